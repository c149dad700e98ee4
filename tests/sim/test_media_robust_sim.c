/* Robustness of the media path of whole PeerConnections (core/pc_media.c, core/pc_rtcp.c,
 * core/pc_media_api.c, core/sink.c) over the simulated network: packets a peer sends after
 * SRTP that are malformed or unexpected, and the application calling the API from inside
 * sink callbacks. The hostile packets are built here and protected with the sending
 * PeerConnection's own SRTP context, so they pass authentication like anything its peer
 * sends, then handed to the receiving PeerConnection as if they came off the wire.
 *
 * Tests that may crash (use-after-free under ASan) run in a child process so that the
 * others still report. Tests are written as the code should behave: see the report for
 * which fail today.
 *
 * MESHRTC_SIM_TEST=name runs only the tests whose name contains it. */
#include "unit/test.h"

#include "core/media_impl.h"
#include "core/pc_media_impl.h"
#include "core/util/buf.h"
#include "media/opus_codec.h"
#include "meshrtc.h"
#include "rtp/rtcp.h"
#include "rtp/rtp.h"
#include "rtp/srtp.h"
#include "sim/sim.h"
#include "sim/sim_dc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- what side 1 receives ----------------------------------------------------------------- */

typedef enum close_from { CLOSE_NONE, CLOSE_AUDIO_CB, CLOSE_ENCODED_CB, CLOSE_VIDEO_CB } close_from;

typedef struct rx {
    sim_dc_world *w;
    mrtc_sink *sink, *sink_b; /* sink_b: a second audio sink (self-removal test) */
    mrtc_transceiver *audio_tr, *video_tr;
    uint64_t audio_cbs, audio_samples, bad_audio_frames;
    uint64_t video_cbs, encoded_cbs;
    uint64_t b_audio_cbs;
    close_from close_in;
    bool closed_in_cb;
    bool remove_self; /* sink removes itself from inside its audio callback */
    bool removed;
} rx;

static rx g;

static void close_now(void)
{
    if (g.closed_in_cb || !g.w->p[1].pc)
        return;
    g.closed_in_cb = true;
    g.w->p[1].closing = true;
    CHECK_EQ(mrtc_pc_close(g.w->p[1].pc, sim_dc_close_cb), 0);
}

static void on_audio(const mrtc_audio_frame *f, void *user)
{
    (void)user;
    g.audio_cbs++;
    g.audio_samples += f->frames;
    if (f->frames != MRTC_AUDIO_FRAME_SAMPLES) /* media.h: "20 ms of 48 kHz PCM" */
        g.bad_audio_frames++;
    if (g.close_in == CLOSE_AUDIO_CB && g.audio_cbs == 50)
        close_now();
    if (g.remove_self && !g.removed && g.audio_cbs == 50) {
        g.removed = true;
        /* The application drops its reference, then removes the sink: it is freed inside
         * its own callback. */
        mrtc_sink *s = g.sink;
        g.sink = NULL;
        mrtc_sink_free(s);
        CHECK_EQ(mrtc_transceiver_remove_sink(g.audio_tr, s), 0);
    }
}

static void on_audio_b(const mrtc_audio_frame *f, void *user)
{
    (void)f;
    (void)user;
    g.b_audio_cbs++;
}

static void on_video(const mrtc_video_frame *f, uint32_t rtp_ts, void *user)
{
    (void)f;
    (void)rtp_ts;
    (void)user;
    g.video_cbs++;
    if (g.close_in == CLOSE_VIDEO_CB && g.video_cbs == 10)
        close_now();
}

static void on_encoded(const uint8_t *data, size_t len, uint32_t rtp_ts, bool key, void *user)
{
    (void)data;
    (void)len;
    (void)rtp_ts;
    (void)key;
    (void)user;
    g.encoded_cbs++;
    if (g.close_in == CLOSE_ENCODED_CB && g.encoded_cbs == 10)
        close_now();
}

static void track_hook(sim_dc_world *w, int side, mrtc_transceiver *t)
{
    (void)w;
    if (side != 1)
        return;
    if (!g.sink) {
        mrtc_sink_callbacks cbs = {.audio = on_audio, .video = on_video, .encoded = on_encoded};
        CHECK_EQ(mrtc_sink_new_callbacks(&cbs, NULL, &g.sink), 0);
    }
    CHECK_EQ(mrtc_transceiver_add_sink(t, g.sink), 0);
    if (mrtc_transceiver_kind(t) == MRTC_MEDIA_AUDIO) {
        g.audio_tr = t;
        if (g.remove_self) {
            mrtc_sink_callbacks cb = {.audio = on_audio_b};
            CHECK_EQ(mrtc_sink_new_callbacks(&cb, NULL, &g.sink_b), 0);
            CHECK_EQ(mrtc_transceiver_add_sink(t, g.sink_b), 0);
        }
    } else {
        g.video_tr = t;
    }
}

static void rx_reset(void)
{
    mrtc_sink_free(g.sink);
    mrtc_sink_free(g.sink_b);
    memset(&g, 0, sizeof g);
}

/* ---- a call ------------------------------------------------------------------------------- */

static mrtc_track *tone(void)
{
    mrtc_audio_source_config cfg;
    mrtc_audio_source_config_init(&cfg);
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_audio(&cfg, &t), 0);
    return t;
}

static mrtc_track *pattern(void)
{
    mrtc_video_source_config cfg;
    mrtc_video_source_config_init(&cfg);
    cfg.width = 160;
    cfg.height = 120;
    cfg.bitrate_kbps = 300;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_video(&cfg, &t), 0);
    return t;
}

typedef struct call {
    sim_dc_world w;
    mrtc_track *audio, *video;
    mrtc_transceiver *a_tr, *v_tr; /* side 0's senders */
} call;

/* Side 0 sends a tone and/or the pattern to side 1; runs until connected plus 2 s. */
static void call_start(call *c, uint64_t seed, bool audio, bool video)
{
    memset(c, 0, sizeof *c);
    sim_dc_world_init(&c->w, seed, NULL);
    g.w = &c->w;
    c->w.track_hook = track_hook;
    if (audio) {
        c->audio = tone();
        CHECK_EQ(mrtc_pc_add_track(c->w.p[0].pc, c->audio, &c->a_tr), 0);
    }
    if (video) {
        c->video = pattern();
        CHECK_EQ(mrtc_pc_add_track(c->w.p[0].pc, c->video, &c->v_tr), 0);
    }
    CHECK(sim_dc_run_until(&c->w, MRTC_SEC(20), sim_dc_both_connected));
    sim_dc_run_for(&c->w, MRTC_SEC(2));
}

static void call_end(call *c)
{
    mrtc_track_free(c->audio);
    mrtc_track_free(c->video);
    sim_dc_close_both(&c->w);
    CHECK_EQ(sim_dc_world_free(&c->w), 0);
    rx_reset();
}

static pc_sender *sender(mrtc_transceiver *t)
{
    return &mrtc_pc_media_of(t)->snd;
}

static pc_receiver *receiver(mrtc_transceiver *t)
{
    return &mrtc_pc_media_of(t)->rcv;
}

/* Protects pkt with side `from`'s SRTP context and hands it to the other side. */
static void inject(call *c, int from, const uint8_t *pkt, size_t len, bool rtcp)
{
    uint8_t buf[MRTC_TRANSMIT_MAX];
    CHECK(len + MRTC_SRTP_MAX_OVERHEAD <= sizeof buf);
    memcpy(buf, pkt, len);
    mrtc_pc *src = c->w.p[from].pc, *dst = c->w.p[1 - from].pc;
    CHECK(src && dst && src->media && src->media->srtp);
    if (!src || !dst || !src->media || !src->media->srtp)
        return;
    int err = rtcp ? mrtc_srtp_protect_rtcp(src->media->srtp, buf, &len, sizeof buf)
                   : mrtc_srtp_protect_rtp(src->media->srtp, buf, &len, sizeof buf);
    CHECK_EQ(err, 0);
    uint64_t srtp_errors = dst->media->srtp_errors;
    mrtc_pc_media_handle_packet(dst, c->w.clock, buf, len);
    CHECK_U64(dst->media->srtp_errors, srtp_errors); /* it did pass authentication */
}

/* An RTP packet: optional MID extension (id 0: none). */
static size_t build_rtp(uint8_t *out, size_t cap, uint8_t pt, uint16_t seq, uint32_t ts,
                        uint32_t ssrc, uint8_t mid_id, const char *mid, const uint8_t *payload,
                        size_t len)
{
    mrtc_rtp_packet p;
    mrtc_rtp_packet_init(&p);
    p.pt = pt;
    p.seq = seq;
    p.ts = ts;
    p.ssrc = ssrc;
    if (mid_id) {
        CHECK_EQ(mrtc_rtp_ext_set_mid(&p.ext[0], mid_id, mid), 0);
        p.n_ext = 1;
        p.has_ext = true;
        p.ext_profile = MRTC_RTP_EXT_ONE_BYTE;
    }
    p.payload = payload;
    p.payload_len = len;
    int n = mrtc_rtp_write(&p, out, cap);
    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0;
}

static mrtc_rtp_stats stats_of(mrtc_transceiver *t)
{
    mrtc_rtp_stats st;
    memset(&st, 0, sizeof st);
    if (t)
        CHECK_EQ(mrtc_transceiver_get_stats(t, &st), 0);
    return st;
}

/* ---- 1. hostile RTP: RTX and payload types ------------------------------------------------ */

/* RTX with payloads of 0, 1 and 2 bytes (only the OSN), RTX on an SSRC nobody announced,
 * padding-only RTX, a media payload type on the RTX SSRC, a payload type nobody negotiated,
 * an audio packet on the video SSRC: all dropped, and the video goes on. */
static void test_hostile_rtx_and_pt(void)
{
    call c;
    call_start(&c, 101, true, true);
    CHECK(g.video_tr != NULL && g.audio_tr != NULL);
    if (!g.video_tr || !g.audio_tr) {
        call_end(&c);
        return;
    }
    pc_sender *vs = sender(c.v_tr);
    pc_receiver *vr = receiver(g.video_tr);
    CHECK(vs->rtx_pt >= 0);
    uint64_t decoded = stats_of(g.video_tr).frames_decoded;
    uint8_t pkt[1500], pay[1200];
    memset(pay, 0xA5, sizeof pay);
    uint16_t rseq = (uint16_t)(vs->rtx_seq + 1000);
    for (size_t len = 0; len <= 3; len++) {
        size_t n = build_rtp(pkt, sizeof pkt, (uint8_t)vs->rtx_pt, rseq++, 1234, vs->rtx_ssrc, 0,
                             NULL, pay, len);
        inject(&c, 0, pkt, n, false);
    }
    /* RTX for an SSRC that was never announced (with and without MID). */
    size_t n = build_rtp(pkt, sizeof pkt, (uint8_t)vs->rtx_pt, 1, 1, 0xDEADBEEF, 0, NULL, pay, 40);
    inject(&c, 0, pkt, n, false);
    CHECK_EQ(vr->rtx_ssrc, vs->rtx_ssrc);
    /* With the MID it binds a new RTX SSRC (RFC 8843 section 9.2): the sender's next
     * retransmission, which carries the MID too, binds it back. */
    n = build_rtp(pkt, sizeof pkt, (uint8_t)vs->rtx_pt, 2, 1, 0xDEADBEF0, vs->mid_ext,
                  c.v_tr->mid, pay, 40);
    inject(&c, 0, pkt, n, false);
    /* The media payload type on the RTX SSRC, an unknown payload type on the media SSRC,
     * an audio-sized Opus packet on the video SSRC. */
    n = build_rtp(pkt, sizeof pkt, (uint8_t)vs->pt, rseq++, 1, vs->rtx_ssrc, 0, NULL, pay, 100);
    inject(&c, 0, pkt, n, false);
    n = build_rtp(pkt, sizeof pkt, 77, vs->seq, 1, vs->ssrc, 0, NULL, pay, 100);
    vs->seq++;
    inject(&c, 0, pkt, n, false);
    n = build_rtp(pkt, sizeof pkt, (uint8_t)sender(c.a_tr)->pt, vs->seq, 1, vs->ssrc, 0, NULL,
                  pay, 60);
    vs->seq++;
    inject(&c, 0, pkt, n, false);
    CHECK_EQ(vr->ssrc, vs->ssrc);
    sim_dc_run_for(&c.w, MRTC_SEC(2));
    uint64_t after = stats_of(g.video_tr).frames_decoded;
    printf("  frames decoded before %llu, after %llu\n", (unsigned long long)decoded,
           (unsigned long long)after);
    CHECK(after > decoded + 40);
    call_end(&c);
}

/* ---- 2. a packet with the video MID but another payload type and SSRC --------------------- */

/* RFC 8843 section 9.2: the MID binds the SSRC, but only for a packet the receiver takes.
 * An audio packet (Opus payload type) with the video MID and a new SSRC is dropped for its
 * payload type; it must not rebind the video receiver to that SSRC, else the real stream
 * (which, like libwebrtc's, stops sending the MID once the peer has acknowledged it) can no
 * longer be routed and the video stops for good. */
static void test_mid_rebind_by_foreign_packet(void)
{
    call c;
    call_start(&c, 102, true, true);
    CHECK(g.video_tr != NULL);
    if (!g.video_tr) {
        call_end(&c);
        return;
    }
    pc_sender *vs = sender(c.v_tr);
    pc_receiver *vr = receiver(g.video_tr);
    uint8_t mid_ext = vs->mid_ext;
    CHECK(mid_ext != 0);
    vs->mid_ext = 0; /* the sender stops sending the MID, as libwebrtc does after RTCP */
    sim_dc_run_for(&c.w, MRTC_SEC(1));
    uint32_t bound = vr->ssrc;
    CHECK_EQ(bound, vs->ssrc);
    uint8_t pkt[256], pay[60];
    memset(pay, 0x55, sizeof pay);
    pay[0] = 0x78; /* an Opus TOC byte */
    size_t n = build_rtp(pkt, sizeof pkt, (uint8_t)sender(c.a_tr)->pt, 100, 100, 0x12345678,
                         mid_ext, c.v_tr->mid, pay, sizeof pay);
    inject(&c, 0, pkt, n, false);
    CHECK_EQ(vr->ssrc, bound);
    uint64_t decoded = stats_of(g.video_tr).frames_decoded;
    sim_dc_run_for(&c.w, MRTC_SEC(2));
    uint64_t after = stats_of(g.video_tr).frames_decoded;
    printf("  receiver bound to %08x (sender %08x); frames decoded %llu -> %llu\n", vr->ssrc,
           vs->ssrc, (unsigned long long)decoded, (unsigned long long)after);
    CHECK(after > decoded + 40);
    call_end(&c);
}

/* ---- 3. a new SSRC mid-stream (MID-bound) ------------------------------------------------- */

/* The sender switches its audio SSRC mid-call (a sender restart; the MID carries the
 * binding). The receiver follows (RFC 8843), so its statistics and the report blocks it sends
 * must follow too: inbound stats about the new SSRC, and RTT measured again at the sender
 * from report blocks about the new SSRC. */
static void test_ssrc_change_midstream(void)
{
    call c;
    call_start(&c, 103, true, false);
    CHECK(g.audio_tr != NULL);
    if (!g.audio_tr) {
        call_end(&c);
        return;
    }
    pc_sender *as = sender(c.a_tr);
    CHECK(as->mid_ext != 0);
    uint32_t fresh = as->ssrc ^ 0x5A5A5A5Au;
    as->ssrc = fresh;
    mrtc_rtp_send_stats_init(&as->stats, fresh, 48000);
    sim_dc_run_for(&c.w, MRTC_SEC(4));
    mrtc_rtp_stats rs = stats_of(g.audio_tr), ss = stats_of(c.a_tr);
    pc_receiver *ar = receiver(g.audio_tr);
    printf("  receiver bound to %08x, its report blocks are about %08x; sender RTT %.1f ms, "
           "remote packets lost %lld\n",
           ar->ssrc, ar->stats.ssrc, ss.round_trip_time * 1000, (long long)ss.remote_packets_lost);
    CHECK_EQ(rs.remote_ssrc, fresh);
    CHECK_EQ(ar->stats.ssrc, fresh);
    CHECK(ss.round_trip_time > 0);
    CHECK(rs.packets_lost < 10 && rs.packets_lost > -10);
    call_end(&c);
}

/* ---- 4. Opus packets of 60 ms ------------------------------------------------------------- */

/* A peer may send 40 or 60 ms Opus packets (RFC 7587, a=maxptime). media.h promises the
 * audio callback "20 ms of 48 kHz PCM": a sink must never get 2880 samples in one call. */
static void test_opus_60ms_packets(void)
{
    call c;
    call_start(&c, 104, true, false);
    CHECK(g.audio_tr != NULL);
    if (!g.audio_tr) {
        call_end(&c);
        return;
    }
    pc_sender *as = sender(c.a_tr);
    /* Our own track stops; the "peer" now sends 60 ms packets on the same SSRC. */
    CHECK_EQ(mrtc_transceiver_replace_track(c.a_tr, NULL), 0);
    sim_dc_run_for(&c.w, MRTC_MSEC(200));
    mrtc_opus_encoder_config oc;
    mrtc_opus_encoder_config_init(&oc);
    mrtc_opus_encoder *enc = NULL;
    CHECK_EQ(mrtc_opus_encoder_new(&oc, &enc), 0);
    int16_t pcm[MRTC_AUDIO_FRAME_SAMPLES];
    for (size_t i = 0; i < MRTC_AUDIO_FRAME_SAMPLES; i++)
        pcm[i] = (int16_t)((i % 48) < 24 ? 8000 : -8000);
    uint32_t ts = as->ts_offset + 48000u * 10;
    uint64_t bad = g.bad_audio_frames, cbs = g.audio_cbs;
    for (int k = 0; k < 40 && enc; k++) {
        uint8_t fr[3][MRTC_OPUS_ENCODER_MAX_PACKET];
        int fl[3];
        for (int j = 0; j < 3; j++)
            fl[j] = mrtc_opus_encoder_encode(enc, pcm, fr[j], sizeof fr[j]);
        CHECK(fl[0] > 1 && fl[1] > 1 && fl[2] > 1 && fl[0] < 250 && fl[1] < 250);
        /* RFC 6716 section 3.2.5: code 3, VBR, 3 frames. */
        uint8_t pay[1200];
        size_t n = 0;
        pay[n++] = (uint8_t)((fr[0][0] & 0xFC) | 3);
        pay[n++] = 0x80 | 3;
        pay[n++] = (uint8_t)(fl[0] - 1);
        pay[n++] = (uint8_t)(fl[1] - 1);
        for (int j = 0; j < 3; j++) {
            memcpy(pay + n, fr[j] + 1, (size_t)fl[j] - 1);
            n += (size_t)fl[j] - 1;
        }
        uint8_t pkt[1500];
        size_t len = build_rtp(pkt, sizeof pkt, (uint8_t)as->pt, as->seq++, ts, as->ssrc, 0, NULL,
                               pay, n);
        ts += 2880;
        inject(&c, 0, pkt, len, false);
        sim_dc_run_for(&c.w, MRTC_MSEC(60));
    }
    mrtc_opus_encoder_free(enc);
    printf("  %llu audio callbacks, %llu of them not 960 samples\n",
           (unsigned long long)(g.audio_cbs - cbs), (unsigned long long)(g.bad_audio_frames - bad));
    CHECK(g.audio_cbs > cbs + 60);
    CHECK_U64(g.bad_audio_frames, 0);
    call_end(&c);
}

/* ---- 5. hostile RTCP ---------------------------------------------------------------------- */

static size_t nack_raw(uint8_t *out, uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t pid,
                       uint16_t blp, size_t n_fci)
{
    size_t words = 2 + n_fci;
    out[0] = 0x80 | 1;
    out[1] = 205;
    out[2] = (uint8_t)(words >> 8);
    out[3] = (uint8_t)words;
    mrtc_store_u32(out + 4, sender_ssrc);
    mrtc_store_u32(out + 8, media_ssrc);
    for (size_t i = 0; i < n_fci; i++) {
        mrtc_store_u16(out + 12 + 4 * i, pid);
        mrtc_store_u16(out + 14 + 4 * i, blp);
    }
    return 4 * (words + 1);
}

/* PLI and FIR for SSRCs we do not send, an SR with 31 report blocks about unknown SSRCs and
 * about ours with nonsense LSR/DLSR, a BYE: nothing crashes, no key frame is forced for
 * unknown SSRCs, the RTT stays sane. */
static void test_hostile_rtcp(void)
{
    call c;
    call_start(&c, 105, false, true);
    pc_sender *vs = sender(c.v_tr);
    mrtc_rtp_stats before = stats_of(c.v_tr);
    uint64_t keys = before.keyframes_encoded;
    uint8_t buf[1400];
    mrtc_wr w;
    /* PLI and FIR for unknown SSRCs. */
    mrtc_wr_init(&w, buf, sizeof buf);
    CHECK_EQ(mrtc_rtcp_write_pli(&w, 1, 0xABCDEF01), 0);
    mrtc_rtcp_fir_entry fe[20];
    for (int i = 0; i < 20; i++)
        fe[i] = (mrtc_rtcp_fir_entry){.ssrc = 0x1000u + (uint32_t)i, .seq = (uint8_t)i};
    CHECK_EQ(mrtc_rtcp_write_fir(&w, 1, fe, 20), 0);
    inject(&c, 1, buf, w.len, true);
    /* An SR with 31 report blocks, one about our video with LSR/DLSR from nowhere. */
    mrtc_rtcp_sr sr;
    memset(&sr, 0, sizeof sr);
    sr.ssrc = receiver(g.video_tr)->ssrc ^ 1;
    sr.ntp = 0xFFFFFFFF00000000ull;
    sr.n_reports = 31;
    for (int i = 0; i < 31; i++) {
        sr.reports[i].ssrc = i == 7 ? vs->ssrc : 0x2000u + (uint32_t)i;
        sr.reports[i].lsr = 0xFFFFFFFFu - (uint32_t)i;
        sr.reports[i].dlsr = 0xFFFFFFFFu;
        sr.reports[i].cumulative_lost = -8388608;
        sr.reports[i].ext_highest_seq = 0xFFFFFFFFu;
        sr.reports[i].jitter = 0xFFFFFFFFu;
    }
    mrtc_wr_init(&w, buf, sizeof buf);
    CHECK_EQ(mrtc_rtcp_write_sr(&w, &sr), 0);
    mrtc_rtcp_bye bye = {.n_ssrcs = 31};
    for (int i = 0; i < 31; i++)
        bye.ssrcs[i] = 0x3000u + (uint32_t)i;
    CHECK_EQ(mrtc_rtcp_write_bye(&w, &bye), 0);
    inject(&c, 1, buf, w.len, true);
    /* A NACK for an SSRC we do not send, with 250 entries. */
    size_t n = nack_raw(buf, 1, 0xCAFEBABE, 100, 0xFFFF, 250);
    inject(&c, 1, buf, n, true);
    sim_dc_run_for(&c.w, MRTC_MSEC(300));
    mrtc_rtp_stats after = stats_of(c.v_tr);
    printf("  key frames %llu -> %llu, RTT %.1f ms\n", (unsigned long long)keys,
           (unsigned long long)after.keyframes_encoded, after.round_trip_time * 1000);
    CHECK_U64(after.keyframes_encoded, keys);
    CHECK_U64(after.pli_count_received, before.pli_count_received);
    CHECK_U64(after.fir_count_received, before.fir_count_received);
    CHECK(after.round_trip_time < 1.0);
    sim_dc_run_for(&c.w, MRTC_SEC(1));
    CHECK(stats_of(g.video_tr).frames_decoded > 0);
    call_end(&c);
}

/* W3C nackCount (outbound-rtp): NACK packets received. A NACK that lists more than 512
 * sequence numbers (here 40 entries, all about the last 17 packets) is a NACK: it counts, and
 * the packets it asks for that are still in the history are resent (once each). */
static void test_nack_large_fci(void)
{
    call c;
    call_start(&c, 106, false, true);
    pc_sender *vs = sender(c.v_tr);
    mrtc_rtp_stats before = stats_of(c.v_tr);
    uint8_t buf[1400];
    size_t n = nack_raw(buf, 1, vs->ssrc, (uint16_t)(vs->seq - 17), 0xFFFF, 40);
    inject(&c, 1, buf, n, true);
    mrtc_rtp_stats after = stats_of(c.v_tr);
    printf("  NACKs counted %llu -> %llu, RTX sent %llu -> %llu\n",
           (unsigned long long)before.nack_count_received,
           (unsigned long long)after.nack_count_received,
           (unsigned long long)before.retransmitted_packets_sent,
           (unsigned long long)after.retransmitted_packets_sent);
    CHECK_U64(after.nack_count_received, before.nack_count_received + 1);
    CHECK(after.retransmitted_packets_sent >= before.retransmitted_packets_sent + 17);
    call_end(&c);
}

/* A NACK about an audio SSRC (no RTX there) is still a NACK received. */
static void test_nack_audio_counted(void)
{
    call c;
    call_start(&c, 107, true, false);
    pc_sender *as = sender(c.a_tr);
    mrtc_rtp_stats before = stats_of(c.a_tr);
    uint8_t buf[64];
    size_t n = nack_raw(buf, 1, as->ssrc, (uint16_t)(as->seq - 3), 0x0003, 1);
    inject(&c, 1, buf, n, true);
    CHECK_U64(stats_of(c.a_tr).nack_count_received, before.nack_count_received + 1);
    call_end(&c);
}

/* A NACK storm: every 10 ms, NACKs for the whole last second of video. Retransmissions must
 * be budgeted (libwebrtc caps them near the media rate): over one second, RTX packets sent
 * stay below the media packets sent plus the sender's burst allowance (32). */
static void test_nack_storm_budget(void)
{
    call c;
    call_start(&c, 108, false, true);
    pc_sender *vs = sender(c.v_tr);
    mrtc_rtp_stats before = stats_of(c.v_tr);
    uint8_t buf[1400];
    for (int k = 0; k < 100; k++) {
        /* 30 entries of 17: the last 510 packets */
        size_t words = 2 + 30;
        buf[0] = 0x80 | 1;
        buf[1] = 205;
        buf[2] = 0;
        buf[3] = (uint8_t)words;
        mrtc_store_u32(buf + 4, 1);
        mrtc_store_u32(buf + 8, vs->ssrc);
        for (int i = 0; i < 30; i++) {
            mrtc_store_u16(buf + 12 + 4 * i, (uint16_t)(vs->seq - 510 + 17 * i));
            mrtc_store_u16(buf + 14 + 4 * i, 0xFFFF);
        }
        inject(&c, 1, buf, 4 * (words + 1), true);
        sim_dc_run_for(&c.w, MRTC_MSEC(10));
    }
    mrtc_rtp_stats after = stats_of(c.v_tr);
    /* packetsSent includes the retransmissions (W3C: retransmittedPacketsSent is a subset) */
    uint64_t rtx = after.retransmitted_packets_sent - before.retransmitted_packets_sent;
    uint64_t media = after.packets_sent - before.packets_sent - rtx;
    printf("  in 1 s of NACK storm: %llu media packets, %llu retransmissions\n",
           (unsigned long long)media, (unsigned long long)rtx);
    printf("  key frames %llu -> %llu, PLIs received %llu -> %llu, frames %llu -> %llu\n",
           (unsigned long long)before.keyframes_encoded, (unsigned long long)after.keyframes_encoded,
           (unsigned long long)before.pli_count_received, (unsigned long long)after.pli_count_received,
           (unsigned long long)before.frames_encoded, (unsigned long long)after.frames_encoded);
    CHECK(rtx <= media + 32); /* one per media packet, plus a saved-up burst of 32 */
    call_end(&c);
}

/* ---- 6. the application inside sink callbacks --------------------------------------------- */

/* Closing the PeerConnection from inside a sink callback (calling any API from a callback is
 * safe, STYLE.md): no use-after-free, the close callback runs once. */
static void close_in_cb(close_from where, bool audio, bool video, uint64_t seed)
{
    call c;
    memset(&c, 0, sizeof c);
    sim_dc_world_init(&c.w, seed, NULL);
    g.w = &c.w;
    g.close_in = where;
    c.w.track_hook = track_hook;
    if (audio) {
        c.audio = tone();
        CHECK_EQ(mrtc_pc_add_track(c.w.p[0].pc, c.audio, NULL), 0);
    }
    if (video) {
        c.video = pattern();
        CHECK_EQ(mrtc_pc_add_track(c.w.p[0].pc, c.video, NULL), 0);
    }
    CHECK(sim_dc_run_until(&c.w, MRTC_SEC(20), sim_dc_both_connected));
    sim_dc_run_for(&c.w, MRTC_SEC(3));
    CHECK(g.closed_in_cb);
    CHECK_EQ(c.w.p[1].n_close_cb, 1);
    call_end(&c);
}

static void test_close_in_audio_sink_cb(void)
{
    close_in_cb(CLOSE_AUDIO_CB, true, false, 110);
}

static void test_close_in_encoded_sink_cb(void)
{
    close_in_cb(CLOSE_ENCODED_CB, false, true, 111);
}

static void test_close_in_video_sink_cb(void)
{
    close_in_cb(CLOSE_VIDEO_CB, false, true, 112);
}

/* A sink that removes itself from inside its callback (the application's reference already
 * dropped, so it is freed there): the other sink of the transceiver misses nothing. */
static void test_sink_removes_itself(void)
{
    g.remove_self = true;
    call c;
    call_start(&c, 113, true, false);
    CHECK(g.removed);
    sim_dc_run_for(&c.w, MRTC_SEC(1));
    mrtc_rtp_stats rs = stats_of(g.audio_tr);
    printf("  sink B: %llu callbacks, %llu samples played\n", (unsigned long long)g.b_audio_cbs,
           (unsigned long long)rs.total_samples_received);
    CHECK_U64(g.b_audio_cbs * MRTC_AUDIO_FRAME_SAMPLES, rs.total_samples_received);
    call_end(&c);
}

/* ---- 7. lifetimes and stats ---------------------------------------------------------------- */

/* The application drops its track references mid-call: the senders keep the tracks alive,
 * and replaceTrack(NULL) then frees the video track while the call goes on. */
static void test_track_freed_by_app(void)
{
    call c;
    call_start(&c, 114, true, true);
    mrtc_track_free(c.audio);
    mrtc_track_free(c.video);
    c.audio = c.video = NULL;
    uint64_t decoded = stats_of(g.video_tr).frames_decoded;
    sim_dc_run_for(&c.w, MRTC_SEC(1));
    CHECK(stats_of(g.video_tr).frames_decoded > decoded + 20);
    CHECK_EQ(mrtc_transceiver_replace_track(c.v_tr, NULL), 0); /* frees the video track */
    CHECK(mrtc_transceiver_track(c.v_tr) == NULL);
    sim_dc_run_for(&c.w, MRTC_MSEC(500));
    call_end(&c);
}

/* W3C framesEncoded and keyFramesEncoded are counters of the outbound-rtp stream: they never
 * go down, whatever replaceTrack does. */
static void test_stats_monotonic_across_replace(void)
{
    call c;
    call_start(&c, 115, false, true);
    mrtc_rtp_stats a = stats_of(c.v_tr);
    CHECK(a.frames_encoded > 30);
    CHECK_EQ(mrtc_transceiver_replace_track(c.v_tr, NULL), 0);
    mrtc_rtp_stats b = stats_of(c.v_tr);
    printf("  framesEncoded %llu -> %llu after replaceTrack(null)\n",
           (unsigned long long)a.frames_encoded, (unsigned long long)b.frames_encoded);
    CHECK(b.frames_encoded >= a.frames_encoded);
    CHECK(b.keyframes_encoded >= a.keyframes_encoded);
    call_end(&c);
}

/* ---- main --------------------------------------------------------------------------------- */

/* Runs a test in a child process: a crash there is one failed test, not the end of the run. */
#define RUN_FORKED(fn)                                                                         \
    do {                                                                                       \
        if (!sim_dc_selected(#fn))                                                             \
            break;                                                                             \
        pid_t pid_ = fork();                                                                   \
        if (pid_ == 0) {                                                                       \
            test_failed = test_passed = test_failed_checks = 0;                                \
            RUN(fn);                                                                           \
            _exit(test_failed ? 1 : 0);                                                        \
        }                                                                                      \
        int st_ = 0;                                                                           \
        waitpid(pid_, &st_, 0);                                                                \
        test_current = #fn;                                                                    \
        bool ok_ = pid_ > 0 && WIFEXITED(st_) && WEXITSTATUS(st_) == 0;                        \
        if (ok_) {                                                                             \
            test_passed++;                                                                     \
        } else {                                                                               \
            test_failed++;                                                                     \
            fprintf(stderr, "FAIL %s (child %s %d)\n", #fn,                                    \
                    WIFSIGNALED(st_) ? "signal" : "exit",                                      \
                    WIFSIGNALED(st_) ? WTERMSIG(st_) : WEXITSTATUS(st_));                      \
        }                                                                                      \
    } while (0)

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    RUN_FORKED(test_hostile_rtx_and_pt);
    RUN_FORKED(test_mid_rebind_by_foreign_packet);
    RUN_FORKED(test_ssrc_change_midstream);
    RUN_FORKED(test_opus_60ms_packets);
    RUN_FORKED(test_hostile_rtcp);
    RUN_FORKED(test_nack_large_fci);
    RUN_FORKED(test_nack_audio_counted);
    RUN_FORKED(test_nack_storm_budget);
    RUN_FORKED(test_close_in_audio_sink_cb);
    RUN_FORKED(test_close_in_encoded_sink_cb);
    RUN_FORKED(test_close_in_video_sink_cb);
    RUN_FORKED(test_sink_removes_itself);
    RUN_FORKED(test_track_freed_by_app);
    RUN_FORKED(test_stats_monotonic_across_replace);
    return test_finish();
}
