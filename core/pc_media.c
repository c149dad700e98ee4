/*
 * RTP on a PeerConnection: SRTP keyed from DTLS (RFC 5764), senders, receivers, playout.
 *
 *   - SRTP/SRTCP: one libsrtp session per PeerConnection keyed from the DTLS exporter once
 *     DTLS connects, with the negotiated profile (AEAD_AES_128_GCM or AES128_CM_SHA1_80);
 *     replayed and unauthenticated packets are counted and dropped.
 *   - Demultiplexing (RFC 8843 section 9.2, ARCHITECTURE.md): RTCP by payload type 192..223
 *     (RFC 5761); RTP to its transceiver by the MID header extension, then by a known
 *     SSRC (learned from MID or from a=ssrc), then by a payload type only one receiving
 *     transceiver uses. RTX (RFC 4588) is unwrapped to the original before anything else.
 *   - Senders: the track's encoded frame gets the sender's SSRC, sequence number and
 *     timestamp offset, the MID and audio-level extensions, VP8 payload descriptors with a
 *     15-bit PictureID; video packets are kept in a history for NACK/RTX.
 *   - Receivers: audio goes through the adaptive jitter buffer to the Opus decoder (FEC,
 *     PLC) every 20 ms and then to the sinks; video through the video jitter buffer (NACK,
 *     key frame requests) to the VP8 decoder when a sink wants pictures, and as encoded
 *     frames to sinks that record them.
 *
 * Not here: RTCP (core/pc_rtcp.c), the public functions (core/pc_media_api.c), simulcast,
 * congestion control (TWCC/REMB), RED, audio/video synchronisation.
 */
#include "core/pc_media_impl.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"
#include "rtp/opus.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "rtp"

#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

pc_tr_media *mrtc_pc_media_of(mrtc_transceiver *t)
{
    return t->media;
}

mrtc_time mrtc_pc_media_now(const mrtc_pc *pc)
{
    return pc->io->ops->now(pc->io);
}

static pc_media *pc_media_get(mrtc_pc *pc)
{
    if (pc->media)
        return pc->media;
    pc_media *m = mrtc_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    uint8_t r[12];
    mrtc_rand_bytes(pc->io->rand, r, sizeof r);
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < 16; i++)
        m->cname[i] = alphabet[(r[i % 12] + i * 7) % 64];
    m->cname[16] = '\0';
    snprintf(m->stream_id, sizeof m->stream_id, "meshrtc-%02x%02x%02x%02x", r[0], r[3], r[6], r[9]);
    m->rtcp_ssrc = mrtc_rand_u32(pc->io->rand) | 1u;
    m->next_rtcp = MRTC_TIME_NEVER;
    pc->media = m;
    /* The first transceiver with media after DTLS connected: key SRTP now. */
    if (pc->dtls && mrtc_dtls_get_state(pc->dtls) == MRTC_DTLS_STATE_CONNECTED)
        mrtc_pc_media_dtls_connected(pc);
    return m;
}

/* Some transceiver sends or receives RTP: RTCP is due. */
static bool rtp_in_use(const mrtc_pc *pc)
{
    for (const mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->media && !t->removed && (t->media->snd.sending || t->media->rcv.receiving))
            return true;
    }
    return false;
}

/* ---- Transceiver state -------------------------------------------------------------------- */

int mrtc_pc_media_transceiver_init(mrtc_pc *pc, mrtc_transceiver *t)
{
    if (t->media)
        return 0;
    if (!pc_media_get(pc))
        return MRTC_ENOMEM;
    pc_tr_media *tm = mrtc_calloc(1, sizeof *tm);
    if (!tm)
        return MRTC_ENOMEM;
    pc_sender *s = &tm->snd;
    s->pc = pc;
    s->t = t;
    s->ssrc = mrtc_rand_u32(pc->io->rand) | 1u;
    do
        s->rtx_ssrc = mrtc_rand_u32(pc->io->rand);
    while (s->rtx_ssrc == s->ssrc || s->rtx_ssrc == 0);
    s->seq = (uint16_t)mrtc_rand_u32(pc->io->rand);
    s->rtx_seq = (uint16_t)mrtc_rand_u32(pc->io->rand);
    s->ts_offset = mrtc_rand_u32(pc->io->rand);
    s->pt = s->rtx_pt = -1;
    s->last_fir_seq = -1;
    mrtc_vp8_packetizer_init(&s->vp8, (uint16_t)(mrtc_rand_u32(pc->io->rand) & 0x7FFF), false);
    mrtc_rtp_send_stats_init(&s->stats, s->ssrc, t->kind == MRTC_MEDIA_AUDIO ? 48000 : 90000);
    if (t->kind == MRTC_MEDIA_VIDEO) {
        mrtc_rtx_history_config hc;
        mrtc_rtx_history_config_init(&hc);
        if (mrtc_rtx_history_new(&hc, &s->history)) {
            mrtc_free(tm);
            return MRTC_ENOMEM;
        }
    }
    tm->rcv.pt = tm->rcv.rtx_pt = -1;
    tm->rcv.next_playout = MRTC_TIME_NEVER;
    t->media = tm;
    return 0;
}

static void receiver_release(pc_receiver *r)
{
    mrtc_jitter_audio_free(r->ajb);
    mrtc_opus_decoder_free(r->adec);
    mrtc_jitter_video_free(r->vjb);
    mrtc_vp8_decoder_free(r->vdec);
    r->ajb = NULL;
    r->adec = NULL;
    r->vjb = NULL;
    r->vdec = NULL;
    for (size_t i = 0; i < r->n_sinks; i++)
        mrtc_sink_free(r->sinks[i]);
    r->n_sinks = 0;
}

void mrtc_pc_media_transceiver_free(mrtc_transceiver *t)
{
    pc_tr_media *tm = t->media;
    if (!tm)
        return;
    if (tm->snd.track) {
        mrtc_track_detach(tm->snd.track, &tm->snd);
        tm->snd.track = NULL;
    }
    mrtc_rtx_history_free(tm->snd.history);
    receiver_release(&tm->rcv);
    mrtc_free(tm);
    t->media = NULL;
}

/* ---- Negotiated parameters ----------------------------------------------------------------- */

static bool sends(mrtc_direction d)
{
    return d == MRTC_DIRECTION_SENDRECV || d == MRTC_DIRECTION_SENDONLY;
}

static bool receives(mrtc_direction d)
{
    return d == MRTC_DIRECTION_SENDRECV || d == MRTC_DIRECTION_RECVONLY;
}

static void update_transceiver(mrtc_pc *pc, mrtc_transceiver *t, const mrtc_sdp_media *rm)
{
    pc_tr_media *tm = t->media;
    pc_sender *s = &tm->snd;
    pc_receiver *r = &tm->rcv;
    const char *codec = t->kind == MRTC_MEDIA_AUDIO ? "opus" : "VP8";
    uint32_t clock = t->kind == MRTC_MEDIA_AUDIO ? 48000 : 90000;
    const mrtc_sdp_codec *c = mrtc_sdp_media_find_codec_by_name(rm, codec, clock);
    s->pt = r->pt = c ? c->pt : -1;
    s->rtx_pt = r->rtx_pt = -1;
    if (c && t->kind == MRTC_MEDIA_VIDEO) {
        const mrtc_sdp_codec *x = mrtc_sdp_media_find_rtx(rm, c->pt);
        s->rtx_pt = r->rtx_pt = x ? x->pt : -1;
    }
    const mrtc_sdp_extmap *e = mrtc_sdp_media_find_extmap(rm, MID_URI);
    s->mid_ext = e && e->id >= 1 && e->id <= 14 ? (uint8_t)e->id : 0;
    e = mrtc_sdp_media_find_extmap(rm, LEVEL_URI);
    s->level_ext = e && e->id >= 1 && e->id <= 14 ? (uint8_t)e->id : 0;
    s->sending = sends(t->current_direction) && s->pt >= 0;
    if (sends(t->current_direction))
        t->has_sent = true; /* W3C: addTrack no longer reuses it */
    bool was_receiving = r->receiving;
    r->receiving = receives(t->current_direction) && r->pt >= 0;
    /* The peer's SSRCs, when it announces them (a=ssrc, FID group for RTX); a new one in a
     * later description replaces the old (the peer replaced its sender). */
    uint32_t announced = rm->ssrc_count ? rm->ssrcs[0].ssrc : 0;
    uint32_t announced_rtx = 0;
    for (size_t i = 0; i < rm->ssrc_group_count; i++) {
        const mrtc_sdp_ssrc_group *g = &rm->ssrc_groups[i];
        if (g->count == 2 && strcasecmp(g->semantics, "FID") == 0) {
            announced = g->ssrcs[0];
            announced_rtx = g->ssrcs[1];
            break;
        }
    }
    if (announced && announced != r->sdp_ssrc) {
        r->sdp_ssrc = announced;
        if (r->ssrc != announced) {
            r->ssrc = announced;
            r->stats_started = false;
        }
        r->rtx_ssrc = announced_rtx;
    }
    if (r->receiving && !was_receiving)
        MRTC_INFO(LOG_TAG, "%s: mid %s receives %s (pt %d, rtx %d)", pc->name, t->mid, codec,
                  r->pt, r->rtx_pt);
}

void mrtc_pc_media_update(mrtc_pc *pc)
{
    const mrtc_sdp *remote = mrtc_jsep_remote(pc);
    if (!remote)
        return;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->removed || !t->mid[0])
            continue;
        const mrtc_sdp_media *rm = mrtc_sdp_find_media(remote, t->mid);
        if (!rm || mrtc_pc_media_transceiver_init(pc, t))
            continue;
        if (t->stopped || rm->port == 0) {
            t->media->snd.sending = false;
            t->media->rcv.receiving = false;
            continue;
        }
        update_transceiver(pc, t, rm);
        /* W3C: the track event fires when the peer starts sending on a transceiver. */
        bool peer_sends = rm->direction == MRTC_SDP_SENDRECV || rm->direction == MRTC_SDP_SENDONLY;
        if (peer_sends && !t->track_fired && pc->cbs.track) {
            t->track_fired = true;
            pc_event ev = {.type = PC_EV_TRACK, .tr = t};
            mrtc_pc_emit(pc, &ev);
        } else if (!peer_sends) {
            t->track_fired = false;
        }
    }
    if (pc->media && pc->media->srtp && pc->media->next_rtcp == MRTC_TIME_NEVER && rtp_in_use(pc))
        pc->media->next_rtcp = mrtc_pc_media_now(pc) + MRTC_MSEC(500);
}

/* ---- SRTP ----------------------------------------------------------------------------------- */

void mrtc_pc_media_dtls_connected(mrtc_pc *pc)
{
    /* Only once a transceiver has media state (a PeerConnection with data channels only
     * never needs SRTP); pc_media_get() calls back here when one appears later. */
    pc_media *m = pc->media;
    if (!m || m->srtp || !pc->dtls)
        return;
    mrtc_srtp_profile prof = mrtc_dtls_srtp_profile(pc->dtls);
    if (prof == MRTC_SRTP_PROFILE_NONE) {
        MRTC_INFO(LOG_TAG, "%s: DTLS negotiated no SRTP profile: no media", pc->name);
        return;
    }
    mrtc_srtp_suite suite = prof == MRTC_SRTP_PROFILE_AEAD_AES_128_GCM
                                ? MRTC_SRTP_SUITE_AEAD_AES_128_GCM
                                : MRTC_SRTP_SUITE_AES128_CM_SHA1_80;
    uint8_t km[64];
    size_t kl = mrtc_srtp_keying_material_len(suite);
    int err = mrtc_dtls_export_srtp_keys(pc->dtls, km, kl);
    if (!err)
        err = mrtc_srtp_new(suite, km, kl, mrtc_dtls_get_role(pc->dtls) == MRTC_DTLS_ROLE_CLIENT,
                            &m->srtp);
    memset(km, 0, sizeof km);
    if (err) {
        MRTC_WARN(LOG_TAG, "%s: SRTP keys not set: %s", pc->name, mrtc_strerror(err));
        return;
    }
    MRTC_INFO(LOG_TAG, "%s: SRTP ready (%s)", pc->name,
              suite == MRTC_SRTP_SUITE_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" : "AES128_CM_SHA1_80");
    if (rtp_in_use(pc))
        m->next_rtcp = mrtc_pc_media_now(pc) + MRTC_MSEC(100);
}

void mrtc_pc_media_send(mrtc_pc *pc, uint8_t *buf, size_t len, size_t cap, bool rtcp)
{
    pc_media *m = pc->media;
    /* While closing, only the BYE goes out (mrtc_pc_media_close runs before the sockets
     * are released). */
    if (!m || !m->srtp || (pc->closed && !m->sending_bye))
        return;
    mrtc_transmit t;
    if (!mrtc_pc_transport_out_path(pc, &t.local, &t.remote))
        return;
    int err = rtcp ? mrtc_srtp_protect_rtcp(m->srtp, buf, &len, cap)
                   : mrtc_srtp_protect_rtp(m->srtp, buf, &len, cap);
    if (err || len > sizeof t.data) {
        m->srtp_errors++;
        return;
    }
    memcpy(t.data, buf, len);
    t.len = len;
    (void)pc->io->ops->send(pc->io, pc, &t);
}

/* ---- Sending -------------------------------------------------------------------------------- */

bool mrtc_pc_media_has_track(const mrtc_transceiver *t)
{
    return t->media && t->media->snd.track;
}

bool mrtc_pc_sender_active(const pc_sender *s)
{
    const mrtc_pc *pc = s->pc;
    return s->sending && !pc->closed && pc->media && pc->media->srtp && s->track &&
           !s->t->stopped;
}

mrtc_time mrtc_pc_sender_now(const pc_sender *s)
{
    return s ? mrtc_pc_media_now(s->pc) : 0;
}

/* Writes one RTP packet of the sender into buf: header with extensions, then payload. */
static int write_rtp(pc_sender *s, const mrtc_encoded_frame *f, bool marker, const uint8_t *payload,
                     size_t len, uint8_t *buf, size_t cap)
{
    mrtc_rtp_packet p;
    mrtc_rtp_packet_init(&p);
    p.pt = (uint8_t)s->pt;
    p.marker = marker;
    p.seq = s->seq;
    p.ts = f->ts + s->ts_offset;
    p.ssrc = s->ssrc;
    uint8_t level_storage[1];
    if (s->mid_ext && s->t->mid[0] && mrtc_rtp_ext_set_mid(&p.ext[p.n_ext], s->mid_ext, s->t->mid) == 0)
        p.n_ext++;
    if (s->level_ext && f->kind == MRTC_MEDIA_AUDIO &&
        mrtc_rtp_ext_set_audio_level(&p.ext[p.n_ext], s->level_ext, f->voice, f->audio_level,
                                     level_storage) == 0)
        p.n_ext++;
    if (p.n_ext) {
        p.has_ext = true;
        p.ext_profile = MRTC_RTP_EXT_ONE_BYTE;
    }
    p.payload = payload;
    p.payload_len = len;
    return mrtc_rtp_write(&p, buf, cap);
}

static void send_packet(pc_sender *s, mrtc_time now, const mrtc_encoded_frame *f, bool marker,
                        const uint8_t *payload, size_t len)
{
    uint8_t buf[MRTC_TRANSMIT_MAX];
    int n = write_rtp(s, f, marker, payload, len, buf, sizeof buf - MRTC_SRTP_MAX_OVERHEAD);
    if (n < 0)
        return;
    s->seq++;
    if (s->history) {
        (void)mrtc_rtx_history_put(s->history, now, buf, (size_t)n);
        /* At most one retransmission per media packet sent, with a burst of 32 (a lost
         * key frame's worth of packets). */
        if (s->rtx_budget < 32)
            s->rtx_budget++;
    }
    mrtc_rtp_send_stats_on_packet(&s->stats, now, f->ts + s->ts_offset, len, false);
    s->sent_any = true;
    mrtc_pc_media_send(s->pc, buf, (size_t)n, sizeof buf, false);
}

void mrtc_pc_sender_send_frame(pc_sender *s, mrtc_time now, const mrtc_encoded_frame *f)
{
    s->frames_sent++;
    if (f->keyframe)
        s->keyframes_sent++;
    if (f->kind == MRTC_MEDIA_AUDIO) {
        send_packet(s, now, f, false, f->data, f->len);
        return;
    }
    if (f->has_tid)
        mrtc_vp8_packetizer_set_layer(&s->vp8, f->tid, f->layer_sync, f->tl0picidx);
    if (mrtc_vp8_packetizer_frame(&s->vp8, f->data, f->len, PC_RTP_MAX_PAYLOAD) <= 0)
        return;
    uint8_t payload[PC_RTP_MAX_PAYLOAD + MRTC_VP8_DESC_MAX_LEN];
    bool last = false;
    while (!last) {
        int n = mrtc_vp8_packetizer_next(&s->vp8, payload, sizeof payload, &last);
        if (n <= 0)
            break;
        send_packet(s, now, f, last, payload, (size_t)n);
    }
}

/* A NACK from the peer: the listed packets again, as RTX. */
void mrtc_pc_sender_resend(pc_sender *s, mrtc_time now, const uint16_t *seqs, size_t n)
{
    if (!s->history || s->rtx_pt < 0)
        return;
    mrtc_rtp_outbound_stats os;
    mrtc_rtp_send_stats_get(&s->stats, &os);
    mrtc_time min_interval = os.smoothed_rtt ? os.smoothed_rtt : MRTC_MSEC(10);
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[MRTC_TRANSMIT_MAX];
        int len = mrtc_rtx_history_build_rtx(s->history, now, seqs[i], (uint8_t)s->rtx_pt,
                                             s->rtx_ssrc, &s->rtx_seq, min_interval, buf,
                                             sizeof buf - MRTC_SRTP_MAX_OVERHEAD);
        if (len < 0)
            continue;
        if (s->rtx_budget < 1) {
            s->rtx_refused++;
            continue;
        }
        s->rtx_budget--;
        mrtc_rtp_packet rp;
        size_t payload = mrtc_rtp_parse(&rp, buf, (size_t)len) == 0 ? rp.payload_len : 0;
        mrtc_rtp_send_stats_on_packet(&s->stats, now, 0, payload, true);
        mrtc_pc_media_send(s->pc, buf, (size_t)len, sizeof buf, false);
    }
}

/* ---- Receiving ------------------------------------------------------------------------------ */

/* What goes to the sinks. Delivery walks a snapshot of the receiver's sinks, each
 * referenced for the walk, so a callback may add, remove or free sinks or close the
 * PeerConnection: the walk stops once the PeerConnection is closed. */
typedef struct delivery {
    enum { DELIVER_AUDIO, DELIVER_VIDEO, DELIVER_ENCODED } kind;
    const mrtc_audio_frame *audio;
    const mrtc_video_frame *video;
    const uint8_t *data;
    size_t len;
    uint32_t ts;
    bool keyframe;
    uint16_t width, height;
} delivery;

/* Returns false when the PeerConnection was closed by a callback. */
static bool deliver(mrtc_pc *pc, const pc_receiver *r, const delivery *d)
{
    mrtc_sink *snap[PC_MAX_SINKS];
    size_t n = r->n_sinks;
    for (size_t i = 0; i < n; i++) {
        snap[i] = r->sinks[i];
        mrtc_sink_ref(snap[i]);
    }
    for (size_t i = 0; i < n && !pc->closed; i++) {
        mrtc_sink *k = snap[i];
        switch (d->kind) {
        case DELIVER_AUDIO:
            if (mrtc_sink_wants_audio(k))
                mrtc_sink_deliver_audio(k, d->audio);
            break;
        case DELIVER_VIDEO:
            if (mrtc_sink_wants_video(k))
                mrtc_sink_deliver_video(k, d->video, d->ts);
            break;
        case DELIVER_ENCODED:
            if (mrtc_sink_wants_encoded(k))
                mrtc_sink_deliver_encoded(k, d->data, d->len, d->ts, d->keyframe, d->width,
                                          d->height);
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        mrtc_sink_free(snap[i]);
    return !pc->closed;
}

static bool wants_pictures(const pc_receiver *r)
{
    for (size_t i = 0; i < r->n_sinks; i++) {
        if (mrtc_sink_wants_video(r->sinks[i]))
            return true;
    }
    return false;
}

static int receiver_start(mrtc_pc *pc, mrtc_transceiver *t, pc_receiver *r)
{
    int err = 0;
    if (t->kind == MRTC_MEDIA_AUDIO && !r->ajb) {
        mrtc_jitter_audio_config jc;
        mrtc_jitter_audio_config_init(&jc);
        err = mrtc_jitter_audio_new(&jc, &r->ajb);
        if (!err)
            err = mrtc_opus_decoder_new(1, &r->adec);
    } else if (t->kind == MRTC_MEDIA_VIDEO && !r->vjb) {
        err = mrtc_jitter_video_new(&r->vjb);
        if (!err)
            err = mrtc_vp8_decoder_new(&r->vdec);
    }
    if (err)
        MRTC_WARN(LOG_TAG, "%s: receiver of mid %s not started: %s", pc->name, t->mid,
                  mrtc_strerror(err));
    return err;
}

/* Video: hand every frame that is ready to the sinks and the decoder; send NACK and PLI. */
static void video_pump(mrtc_pc *pc, mrtc_transceiver *t, pc_receiver *r, mrtc_time now)
{
    if (!r->vjb)
        return;
    mrtc_vp8_frame fr;
    while (mrtc_jitter_video_poll_frame(r->vjb, now, &fr)) {
        if (fr.keyframe) {
            r->width = fr.width;
            r->height = fr.height;
        }
        delivery enc = {.kind = DELIVER_ENCODED, .data = fr.data, .len = fr.len, .ts = fr.ts,
                        .keyframe = fr.keyframe, .width = r->width, .height = r->height};
        if (!deliver(pc, r, &enc))
            return;
        /* Decoding is what "frames decoded" counts, so it runs when nothing shows the
         * pictures too (as a browser decodes a track nobody renders). */
        mrtc_video_frame pic;
        int d = mrtc_vp8_decoder_decode(r->vdec, fr.data, fr.len, &pic);
        if (d < 0) {
            r->decode_errors++;
            mrtc_jitter_video_decode_failed(r->vjb);
            continue;
        }
        if (d == 0)
            continue;
        r->frames_decoded++;
        if (fr.keyframe)
            r->keyframes_decoded++;
        r->width = pic.width;
        r->height = pic.height;
        if (!wants_pictures(r))
            continue;
        delivery vid = {.kind = DELIVER_VIDEO, .video = &pic, .ts = fr.ts};
        if (!deliver(pc, r, &vid))
            return;
    }
    uint16_t seqs[64];
    size_t n = mrtc_jitter_video_poll_nack(r->vjb, now, seqs, 64);
    if (n) {
        r->nack_sent++;
        mrtc_pc_rtcp_send_nack(pc, t, seqs, n);
    }
    if (mrtc_jitter_video_poll_keyframe_request(r->vjb, now)) {
        r->pli_sent++;
        mrtc_pc_rtcp_send_pli(pc, t);
    }
}

/* Audio: 20 ms per call from the jitter buffer through the decoder to the sinks. */
static void audio_playout(mrtc_pc *pc, pc_receiver *r, mrtc_time now)
{
    int16_t pcm[MRTC_AUDIO_FRAME_SAMPLES * 6]; /* up to 120 ms packets */
    size_t cap = sizeof pcm / sizeof pcm[0];
    int guard = 0;
    while (r->next_playout <= now && guard++ < 10) {
        mrtc_jitter_audio_out o;
        int n = 0;
        if (mrtc_jitter_audio_pop(r->ajb, now, &o) != 0)
            o.action = MRTC_JITTER_AUDIO_WAIT;
        switch (o.action) {
        case MRTC_JITTER_AUDIO_DECODE:
            n = mrtc_opus_decoder_decode(r->adec, o.payload, o.len, pcm, cap);
            break;
        case MRTC_JITTER_AUDIO_FEC:
            n = mrtc_opus_decoder_decode_fec(r->adec, o.payload, o.len,
                                             o.samples > cap ? cap : o.samples, pcm);
            break;
        case MRTC_JITTER_AUDIO_CONCEAL:
            n = mrtc_opus_decoder_conceal(r->adec, o.samples > cap ? cap : o.samples, pcm);
            r->samples_concealed += n > 0 ? (uint64_t)n : 0;
            break;
        default:
            break;
        }
        if (o.action != MRTC_JITTER_AUDIO_DECODE)
            MRTC_TRACE(LOG_TAG, "audio playout at %llu ms (%.1f ms played): action %d, %u samples, "
                       "result %d", (unsigned long long)(now / 1000),
                       (double)r->samples_played / 48.0, (int)o.action, o.samples, n);
        if (n <= 0) {
            n = MRTC_AUDIO_FRAME_SAMPLES;
            memset(pcm, 0, sizeof pcm[0] * (size_t)n);
        }
        r->samples_played += (uint64_t)n;
        r->next_playout += MRTC_USEC((uint64_t)n * 1000000u / MRTC_AUDIO_RATE);
        mrtc_audio_frame f = {.samples = pcm, .frames = (size_t)n, .channels = 1,
                              .rate = MRTC_AUDIO_RATE};
        delivery d = {.kind = DELIVER_AUDIO, .audio = &f};
        if (!deliver(pc, r, &d))
            return;
    }
    if (r->next_playout <= now) /* the loop stalled: resynchronise */
        r->next_playout = now + MRTC_MSEC(20);
}

/* Which transceiver a packet belongs to (RFC 8843 section 9.2): the MID extension, else a
 * known SSRC, else a payload type only one receiving transceiver uses. Nothing is bound
 * here: *bind says the packet's SSRC becomes the transceiver's (media or RTX, by *is_rtx)
 * once the packet is accepted, so a stray packet cannot steal a stream. */
static mrtc_transceiver *route(mrtc_pc *pc, const mrtc_rtp_packet *p, bool *is_rtx, bool *bind)
{
    *is_rtx = false;
    *bind = false;
    /* The MID is read once per extension id (with BUNDLE every section has the same one). */
    uint8_t read_id = 0;
    bool have_mid = false;
    char mid[PC_MID_MAX + 1];
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (!t->media || t->removed || !t->media->rcv.receiving || !t->media->snd.mid_ext)
            continue;
        if (t->media->snd.mid_ext != read_id) {
            read_id = t->media->snd.mid_ext;
            const mrtc_rtp_ext *e = mrtc_rtp_find_ext(p, read_id);
            have_mid = e && mrtc_rtp_ext_read_mid(e, mid, sizeof mid) >= 0;
        }
        if (have_mid) {
            if (strcmp(mid, t->mid) != 0)
                continue;
            const pc_receiver *r = &t->media->rcv;
            *is_rtx = r->rtx_pt >= 0 && p->pt == r->rtx_pt;
            *bind = *is_rtx ? p->ssrc != r->rtx_ssrc : p->ssrc != r->ssrc;
            return t;
        }
    }
    mrtc_transceiver *by_pt = NULL;
    int n_pt = 0;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (!t->media || t->removed || !t->media->rcv.receiving)
            continue;
        const pc_receiver *r = &t->media->rcv;
        if (r->ssrc && p->ssrc == r->ssrc)
            return t;
        if (r->rtx_ssrc && p->ssrc == r->rtx_ssrc) {
            *is_rtx = true;
            return t;
        }
        if (p->pt == r->pt || (r->rtx_pt >= 0 && p->pt == r->rtx_pt)) {
            by_pt = t;
            n_pt++;
        }
    }
    if (n_pt == 1) {
        const pc_receiver *r = &by_pt->media->rcv;
        *is_rtx = r->rtx_pt >= 0 && p->pt == r->rtx_pt;
        /* Only a stream whose SSRC is not known yet is claimed by payload type. */
        if (*is_rtx ? r->rtx_ssrc != 0 : r->ssrc != 0)
            return NULL;
        *bind = true;
        return by_pt;
    }
    return NULL;
}

/* A packet of a new SSRC was accepted for the receiver (the sender restarted, or the first
 * packet): statistics start over for it. */
static void bind_ssrc(pc_receiver *r, uint32_t ssrc, bool rtx)
{
    if (rtx) {
        r->rtx_ssrc = ssrc;
        return;
    }
    r->ssrc = ssrc;
    r->stats_started = false;
}

static void handle_rtp(mrtc_pc *pc, mrtc_time now, uint8_t *data, size_t len)
{
    pc_media *m = pc->media;
    mrtc_rtp_packet p;
    if (mrtc_rtp_parse(&p, data, len) != 0) {
        m->rtp_dropped++;
        return;
    }
    bool is_rtx, bind;
    mrtc_transceiver *t = route(pc, &p, &is_rtx, &bind);
    if (!t) {
        m->rtp_dropped++;
        return;
    }
    pc_receiver *r = &t->media->rcv;
    uint8_t orig[MRTC_TRANSMIT_MAX];
    if (is_rtx) {
        if (r->pt < 0 || r->ssrc == 0 || p.payload_len < 2) {
            m->rtp_dropped++; /* padding-only RTX probes end here too */
            return;
        }
        uint32_t rtx_ssrc = p.ssrc;
        int n = mrtc_rtx_unwrap(data, len, (uint8_t)r->pt, r->ssrc, orig, sizeof orig);
        if (n < 0 || mrtc_rtp_parse(&p, orig, (size_t)n) != 0) {
            m->rtp_dropped++;
            return;
        }
        if (bind)
            bind_ssrc(r, rtx_ssrc, true);
    } else if (p.pt != r->pt) {
        m->rtp_dropped++;
        return;
    } else if (bind) {
        bind_ssrc(r, p.ssrc, false);
    }
    if (p.payload_len == 0) /* padding only */
        return;
    if (receiver_start(pc, t, r))
        return;
    if (!r->stats_started) {
        mrtc_rtp_recv_stats_init(&r->stats, r->ssrc, t->kind == MRTC_MEDIA_AUDIO ? 48000 : 90000);
        r->stats_started = true;
    }
    mrtc_rtp_recv_stats_on_packet(&r->stats, now, p.seq, p.ts, p.payload_len, is_rtx);
    if (t->kind == MRTC_MEDIA_AUDIO) {
        int samples = mrtc_opus_packet_samples(p.payload, p.payload_len);
        if (samples <= 0) {
            m->rtp_dropped++;
            return;
        }
        MRTC_TRACE(LOG_TAG, "audio rx seq %u ts %u at %llu ms", p.seq, p.ts,
                   (unsigned long long)(now / 1000));
        (void)mrtc_jitter_audio_push(r->ajb, now, p.seq, p.ts, p.payload, p.payload_len,
                                     (unsigned)samples);
        if (r->next_playout == MRTC_TIME_NEVER)
            r->next_playout = now;
        delivery d = {.kind = DELIVER_ENCODED, .data = p.payload, .len = p.payload_len, .ts = p.ts};
        (void)deliver(pc, r, &d);
        return;
    }
    (void)mrtc_jitter_video_push(r->vjb, now, p.seq, p.ts, p.marker, p.payload, p.payload_len,
                                 is_rtx);
    video_pump(pc, t, r, now);
}

void mrtc_pc_media_handle_packet(mrtc_pc *pc, mrtc_time now, uint8_t *data, size_t len)
{
    pc_media *m = pc->media;
    if (!m || !m->srtp)
        return; /* before DTLS-SRTP: nothing can be authenticated */
    bool rtcp = mrtc_rtcp_is_rtcp(data, len);
    int err = rtcp ? mrtc_srtp_unprotect_rtcp(m->srtp, data, &len)
                   : mrtc_srtp_unprotect_rtp(m->srtp, data, &len);
    if (err) {
        m->srtp_errors++;
        return;
    }
    if (rtcp)
        mrtc_pc_rtcp_handle(pc, now, data, len);
    else
        handle_rtp(pc, now, data, len);
}

/* ---- Timers ------------------------------------------------------------------------------- */

mrtc_time mrtc_pc_media_next_timeout(const mrtc_pc *pc)
{
    mrtc_time due = MRTC_TIME_NEVER;
    if (!pc->media || pc->closed)
        return due;
    if (pc->media->srtp)
        due = mrtc_time_min(due, pc->media->next_rtcp);
    for (const mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        const pc_tr_media *tm = t->media;
        if (!tm || t->removed)
            continue;
        if (tm->snd.track && mrtc_pc_sender_active(&tm->snd))
            due = mrtc_time_min(due, mrtc_track_next_timeout(tm->snd.track));
        const pc_receiver *r = &tm->rcv;
        if (r->ajb)
            due = mrtc_time_min(due, r->next_playout);
        if (r->vjb)
            due = mrtc_time_min(due, mrtc_jitter_video_next_timeout(r->vjb));
        for (size_t i = 0; i < r->n_sinks; i++) {
            mrtc_speaker *sp = mrtc_sink_speaker(r->sinks[i]);
            if (sp)
                due = mrtc_time_min(due, mrtc_speaker_next_timeout(sp));
        }
    }
    return due;
}

void mrtc_pc_media_handle_timeout(mrtc_pc *pc, mrtc_time now)
{
    pc_media *m = pc->media;
    if (!m || pc->closed)
        return;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        pc_tr_media *tm = t->media;
        if (!tm || t->removed)
            continue;
        if (tm->snd.track && mrtc_pc_sender_active(&tm->snd))
            mrtc_track_handle_timeout(tm->snd.track, now);
        pc_receiver *r = &tm->rcv;
        if (r->ajb && r->next_playout <= now)
            audio_playout(pc, r, now);
        if (!pc->closed && r->vjb && mrtc_jitter_video_next_timeout(r->vjb) <= now)
            video_pump(pc, t, r, now);
        if (pc->closed)
            return; /* a sink callback closed the PeerConnection */
        for (size_t i = 0; i < r->n_sinks; i++) {
            mrtc_speaker *sp = mrtc_sink_speaker(r->sinks[i]);
            if (sp && mrtc_speaker_next_timeout(sp) <= now)
                mrtc_speaker_handle_timeout(sp, now);
        }
    }
    if (m->srtp && m->next_rtcp <= now) {
        if (!rtp_in_use(pc)) {
            m->next_rtcp = MRTC_TIME_NEVER; /* armed again by the next negotiation */
            return;
        }
        mrtc_pc_rtcp_send_report(pc, now);
        /* RFC 3550 section 6.3.5 randomisation: 0.5..1.5 times the 1 s interval. */
        m->next_rtcp = now + MRTC_MSEC(500) + MRTC_MSEC(mrtc_rand_below(pc->io->rand, 1000));
    }
}

void mrtc_pc_media_close(mrtc_pc *pc)
{
    if (pc->media && pc->media->srtp)
        mrtc_pc_rtcp_send_bye(pc);
    /* The senders leave their tracks now; receivers, sinks and SRTP stay until the
     * PeerConnection is freed, since close() may be called from inside a sink callback. */
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->media && t->media->snd.track) {
            mrtc_track_detach(t->media->snd.track, &t->media->snd);
            t->media->snd.track = NULL;
        }
    }
}

void mrtc_pc_media_free(mrtc_pc *pc)
{
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next)
        mrtc_pc_media_transceiver_free(t);
    if (pc->media) {
        mrtc_srtp_free(pc->media->srtp);
        mrtc_free(pc->media);
        pc->media = NULL;
    }
}

/* ---- SDP ------------------------------------------------------------------------------------- */

int mrtc_pc_media_describe_sender(const mrtc_pc *pc, const mrtc_transceiver *t, mrtc_sdp_media *m)
{
    const pc_tr_media *tm = t->media;
    if (!tm || !tm->snd.track || !pc->media)
        return 0;
    const pc_sender *s = &tm->snd;
    const char *tid = mrtc_track_id(s->track);
    int err = mrtc_sdp_media_add_msid(m, pc->media->stream_id, tid);
    char v[96];
    bool rtx = t->kind == MRTC_MEDIA_VIDEO;
    if (!err && rtx) {
        uint32_t g[2] = {s->ssrc, s->rtx_ssrc};
        err = mrtc_sdp_media_add_ssrc_group(m, "FID", g, 2);
    }
    for (int i = 0; i < (rtx ? 2 : 1) && !err; i++) {
        uint32_t ssrc = i == 0 ? s->ssrc : s->rtx_ssrc;
        err = mrtc_sdp_media_add_ssrc(m, ssrc, "cname", pc->media->cname);
        snprintf(v, sizeof v, "%s %s", pc->media->stream_id, tid);
        if (!err)
            err = mrtc_sdp_media_add_ssrc(m, ssrc, "msid", v);
    }
    return err;
}
