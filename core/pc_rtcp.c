/*
 * RTCP on a PeerConnection (RFC 3550 section 6, RFC 4585, RFC 5104, RFC 5506).
 *
 *   - Regular reports about every second (randomised 0.5..1.5 s): an SR per sending
 *     source (the first one carries the report blocks) or an RR, with a report block per
 *     received source, then SDES CNAME: one compound packet.
 *   - Feedback: generic NACK and PLI go out at once, alone (reduced-size, RFC 5506) when
 *     the peer accepted a=rtcp-rsize, else after an RR.
 *   - Received: SR (LSR for our report blocks), report blocks about our sources (RTT, loss,
 *     jitter), NACK answered with RTX, PLI and FIR asking the track for a key frame, BYE
 *     (logged). Anything malformed is counted and dropped.
 *   - NTP times come from the PeerConnection's monotonic clock: enough for RTT (LSR/DLSR
 *     only compare our own clock with itself) but not wall-clock time.
 *
 * Not here: XR, APP, REMB, transport-cc feedback.
 */
#include "core/pc_media_impl.h"

#include "core/util/buf.h"
#include "core/util/log.h"
#include "meshrtc/error.h"
#include "rtp/rtcp.h"

#include <string.h>

#define LOG_TAG "rtcp"

uint64_t mrtc_pc_rtcp_ntp(mrtc_time now)
{
    return mrtc_ntp_from_unix_us(now);
}

static uint32_t feedback_ssrc(const mrtc_pc *pc, const mrtc_transceiver *t)
{
    if (t && t->media && t->media->snd.sending)
        return t->media->snd.ssrc;
    return pc->media->rtcp_ssrc;
}

static bool peer_rsize(const mrtc_pc *pc)
{
    const mrtc_sdp *r = mrtc_jsep_remote(pc);
    if (!r)
        return false;
    for (size_t i = 0; i < r->media_count; i++) {
        if (r->media[i]->rtcp_rsize)
            return true;
    }
    return false;
}

/* Report blocks about every source we receive, at most 31. */
static int report_blocks(mrtc_pc *pc, mrtc_time now, mrtc_rtcp_report *out)
{
    int n = 0;
    for (mrtc_transceiver *t = pc->tr_head; t && n < MRTC_RTCP_MAX_COUNT; t = t->next) {
        pc_tr_media *tm = t->media;
        if (!tm || t->removed || !tm->rcv.stats_started || !mrtc_rtp_recv_stats_active(&tm->rcv.stats))
            continue;
        mrtc_rtp_recv_stats_report_block(&tm->rcv.stats, now, &out[n++]);
    }
    return n;
}

static void write_sdes(mrtc_wr *w, const mrtc_pc *pc, uint32_t ssrc)
{
    mrtc_rtcp_sdes sdes = {.n_chunks = 1};
    sdes.chunks[0].ssrc = ssrc;
    sdes.chunks[0].cname = pc->media->cname;
    sdes.chunks[0].cname_len = (uint8_t)strlen(pc->media->cname);
    (void)mrtc_rtcp_write_sdes(w, &sdes);
}

void mrtc_pc_rtcp_send_report(mrtc_pc *pc, mrtc_time now)
{
    uint8_t buf[MRTC_TRANSMIT_MAX];
    mrtc_wr w;
    mrtc_wr_init(&w, buf, sizeof buf - MRTC_SRTP_MAX_OVERHEAD);
    mrtc_rtcp_sr sr;
    memset(&sr, 0, sizeof sr);
    sr.n_reports = report_blocks(pc, now, sr.reports);
    uint64_t ntp = mrtc_pc_rtcp_ntp(now);
    bool first = true;
    uint32_t sdes_ssrc = pc->media->rtcp_ssrc;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        pc_tr_media *tm = t->media;
        if (!tm || t->removed || !tm->snd.sent_any || !mrtc_pc_sender_active(&tm->snd))
            continue;
        int n_reports = first ? sr.n_reports : 0;
        mrtc_rtcp_report saved[MRTC_RTCP_MAX_COUNT];
        memcpy(saved, sr.reports, sizeof saved);
        mrtc_rtp_send_stats_fill_sr(&tm->snd.stats, now, ntp, &sr);
        sr.n_reports = n_reports;
        memcpy(sr.reports, saved, sizeof saved);
        if (mrtc_rtcp_write_sr(&w, &sr) != 0)
            break;
        if (first)
            sdes_ssrc = tm->snd.ssrc;
        first = false;
    }
    if (first) {
        sr.ssrc = pc->media->rtcp_ssrc;
        if (mrtc_rtcp_write_rr(&w, &sr) != 0)
            return;
    }
    write_sdes(&w, pc, sdes_ssrc);
    if (w.err)
        return;
    mrtc_pc_media_send(pc, buf, w.len, sizeof buf, true);
}

/* Feedback alone when the peer takes reduced-size RTCP, else after an empty RR. */
static void feedback_start(mrtc_pc *pc, mrtc_wr *w, uint8_t *buf, size_t cap, uint32_t ssrc)
{
    mrtc_wr_init(w, buf, cap - MRTC_SRTP_MAX_OVERHEAD);
    if (!peer_rsize(pc)) {
        mrtc_rtcp_sr rr;
        memset(&rr, 0, sizeof rr);
        rr.ssrc = ssrc;
        (void)mrtc_rtcp_write_rr(w, &rr);
    }
}

void mrtc_pc_rtcp_send_nack(mrtc_pc *pc, mrtc_transceiver *t, const uint16_t *seqs, size_t n)
{
    pc_receiver *r = &t->media->rcv;
    if (!r->ssrc)
        return;
    uint8_t buf[MRTC_TRANSMIT_MAX];
    mrtc_wr w;
    uint32_t me = feedback_ssrc(pc, t);
    feedback_start(pc, &w, buf, sizeof buf, me);
    if (mrtc_rtcp_write_nack(&w, me, r->ssrc, seqs, n) != 0 || w.err)
        return;
    mrtc_pc_media_send(pc, buf, w.len, sizeof buf, true);
}

void mrtc_pc_rtcp_send_pli(mrtc_pc *pc, mrtc_transceiver *t)
{
    pc_receiver *r = &t->media->rcv;
    if (!r->ssrc)
        return;
    uint8_t buf[256];
    mrtc_wr w;
    uint32_t me = feedback_ssrc(pc, t);
    feedback_start(pc, &w, buf, sizeof buf, me);
    if (mrtc_rtcp_write_pli(&w, me, r->ssrc) != 0 || w.err)
        return;
    MRTC_DEBUG(LOG_TAG, "%s: PLI for mid %s", pc->name, t->mid);
    mrtc_pc_media_send(pc, buf, w.len, sizeof buf, true);
}

void mrtc_pc_rtcp_send_bye(mrtc_pc *pc)
{
    uint8_t buf[512];
    mrtc_wr w;
    mrtc_wr_init(&w, buf, sizeof buf - MRTC_SRTP_MAX_OVERHEAD);
    mrtc_rtcp_sr rr;
    memset(&rr, 0, sizeof rr);
    rr.ssrc = pc->media->rtcp_ssrc;
    (void)mrtc_rtcp_write_rr(&w, &rr);
    mrtc_rtcp_bye bye = {.n_ssrcs = 0};
    for (mrtc_transceiver *t = pc->tr_head; t && bye.n_ssrcs < MRTC_RTCP_MAX_COUNT; t = t->next) {
        if (t->media && t->media->snd.sent_any)
            bye.ssrcs[bye.n_ssrcs++] = t->media->snd.ssrc;
    }
    if (bye.n_ssrcs == 0)
        bye.ssrcs[bye.n_ssrcs++] = pc->media->rtcp_ssrc;
    (void)mrtc_rtcp_write_bye(&w, &bye);
    pc->media->sending_bye = true;
    if (!w.err)
        mrtc_pc_media_send(pc, buf, w.len, sizeof buf, true);
    pc->media->sending_bye = false;
}

/* ---- Received --------------------------------------------------------------------------- */

static pc_sender *sender_by_ssrc(mrtc_pc *pc, uint32_t ssrc)
{
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->media && !t->removed && t->media->snd.ssrc == ssrc)
            return &t->media->snd;
    }
    return NULL;
}

static pc_receiver *receiver_by_ssrc(mrtc_pc *pc, uint32_t ssrc, mrtc_transceiver **tr)
{
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->media && !t->removed && t->media->rcv.ssrc == ssrc && ssrc) {
            *tr = t;
            return &t->media->rcv;
        }
    }
    return NULL;
}

static void rtt_to_receivers(mrtc_pc *pc, mrtc_time rtt)
{
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->media && t->media->rcv.vjb)
            mrtc_jitter_video_set_rtt(t->media->rcv.vjb, rtt);
    }
}

static void handle_reports(mrtc_pc *pc, mrtc_time now, const mrtc_rtcp_sr *sr)
{
    uint64_t ntp = mrtc_pc_rtcp_ntp(now);
    for (int i = 0; i < sr->n_reports; i++) {
        pc_sender *s = sender_by_ssrc(pc, sr->reports[i].ssrc);
        if (s && mrtc_rtp_send_stats_on_report_block(&s->stats, now, ntp, &sr->reports[i]) == 1) {
            mrtc_rtp_outbound_stats os;
            mrtc_rtp_send_stats_get(&s->stats, &os);
            rtt_to_receivers(pc, os.smoothed_rtt);
        }
    }
}

void mrtc_pc_rtcp_handle(mrtc_pc *pc, mrtc_time now, const uint8_t *data, size_t len)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;
    mrtc_rtcp_iter_init(&it, data, len);
    int r;
    while ((r = mrtc_rtcp_iter_next(&it, &p)) == 1) {
        mrtc_transceiver *t = NULL;
        pc_sender *s;
        switch (p.kind) {
        case MRTC_RTCP_SR: {
            pc_receiver *rc = receiver_by_ssrc(pc, p.u.sr.ssrc, &t);
            if (rc && rc->stats_started)
                mrtc_rtp_recv_stats_on_sr(&rc->stats, now, &p.u.sr);
            handle_reports(pc, now, &p.u.sr);
            break;
        }
        case MRTC_RTCP_RR:
            handle_reports(pc, now, &p.u.sr);
            break;
        case MRTC_RTCP_NACK: {
            s = sender_by_ssrc(pc, p.u.nack.media_ssrc);
            if (!s)
                break;
            mrtc_rtp_send_stats_on_nack(&s->stats, 1); /* W3C nackCount: NACK packets */
            /* Each FCI entry (RFC 4585 6.2.1): PID and a bitmask of the 16 following. */
            for (size_t i = 0; i < p.u.nack.n_fci; i++) {
                const uint8_t *e = p.u.nack.fci + 4 * i;
                uint16_t pid = (uint16_t)(e[0] << 8 | e[1]);
                uint16_t blp = (uint16_t)(e[2] << 8 | e[3]);
                uint16_t seqs[17];
                size_t n = 0;
                seqs[n++] = pid;
                for (unsigned b = 0; b < 16; b++) {
                    if (blp & (1u << b))
                        seqs[n++] = (uint16_t)(pid + b + 1);
                }
                mrtc_pc_sender_resend(s, now, seqs, n);
            }
            break;
        }
        case MRTC_RTCP_PLI:
            s = sender_by_ssrc(pc, p.u.pli.media_ssrc);
            if (s) {
                mrtc_rtp_send_stats_on_pli(&s->stats);
                if (s->track)
                    mrtc_track_request_keyframe(s->track);
            }
            break;
        case MRTC_RTCP_FIR:
            for (size_t i = 0; i < p.u.fir.n_entries; i++) {
                mrtc_rtcp_fir_entry e = mrtc_rtcp_fir_get(&p.u.fir, i);
                s = sender_by_ssrc(pc, e.ssrc);
                /* RFC 5104 4.3.1.2: a repeated sequence number is the same request. */
                if (s && s->last_fir_seq != (int)e.seq) {
                    s->last_fir_seq = e.seq;
                    s->fir_received++;
                    if (s->track)
                        mrtc_track_request_keyframe(s->track);
                }
            }
            break;
        case MRTC_RTCP_BYE:
            MRTC_DEBUG(LOG_TAG, "%s: BYE from the peer", pc->name);
            break;
        default:
            break;
        }
    }
    if (r < 0)
        pc->media->rtcp_dropped++;
}
