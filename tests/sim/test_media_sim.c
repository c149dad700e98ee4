/* Media through whole PeerConnections over the simulated network, on the virtual clock:
 * tracks, SRTP keyed from DTLS, RTP/RTCP, the jitter buffers and the codecs end to end.
 *   1. a 440 Hz tone across 10% loss arrives with 440 Hz dominant and no gap longer than
 *      one 20 ms frame (Opus in-band FEC and concealment);
 *   2. the moving test pattern across 5% loss: NACK/RTX (and key frame requests when they
 *      fail) get at least 95% of the frames decoded, in order, no duplicates;
 *   3. video added in the middle of an audio call by renegotiation; then removeTrack
 *      stops it (recvonly, answered inactive);
 *   4. mute (a disabled track sends silence), replaceTrack to another tone, and RTT from
 *      SR/RR in the stats.
 * MESHRTC_SIM_TEST=name runs only the tests whose name contains it. */
#include "unit/test.h"

#include "core/media_impl.h"
#include "media/analysis.h"
#include "media/pattern.h"
#include "meshrtc.h"
#include "sim/sim.h"
#include "sim/sim_dc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What side 1 received: decoded audio, decoded pattern counters. */
typedef struct rx {
    int16_t *pcm;
    size_t n, cap;
    int *counters;
    size_t n_frames, cap_frames;
    size_t unreadable;
    uint16_t width, height;
    mrtc_sink *sink;
    mrtc_transceiver *audio_tr, *video_tr;
} rx;

static rx g_rx;

static void on_audio(const mrtc_audio_frame *f, void *user)
{
    rx *r = user;
    if (r->n + f->frames > r->cap) {
        r->cap = (r->n + f->frames) * 2;
        r->pcm = realloc(r->pcm, r->cap * sizeof *r->pcm);
    }
    for (size_t i = 0; i < f->frames; i++)
        r->pcm[r->n + i] = f->samples[i * f->channels];
    r->n += f->frames;
}

static void on_video(const mrtc_video_frame *f, uint32_t rtp_ts, void *user)
{
    (void)rtp_ts;
    rx *r = user;
    r->width = f->width;
    r->height = f->height;
    int c = mrtc_pattern_read_counter(f);
    if (c < 0) {
        r->unreadable++;
        return;
    }
    if (r->n_frames == r->cap_frames) {
        r->cap_frames = r->cap_frames ? r->cap_frames * 2 : 256;
        r->counters = realloc(r->counters, r->cap_frames * sizeof *r->counters);
    }
    r->counters[r->n_frames++] = c;
}

static void track_hook(sim_dc_world *w, int side, mrtc_transceiver *t)
{
    (void)w;
    if (side != 1)
        return;
    if (!g_rx.sink) {
        mrtc_sink_callbacks cbs = {.audio = on_audio, .video = on_video};
        CHECK_EQ(mrtc_sink_new_callbacks(&cbs, &g_rx, &g_rx.sink), 0);
    }
    CHECK_EQ(mrtc_transceiver_add_sink(t, g_rx.sink), 0);
    if (mrtc_transceiver_kind(t) == MRTC_MEDIA_AUDIO)
        g_rx.audio_tr = t;
    else
        g_rx.video_tr = t;
}

static void rx_reset(void)
{
    mrtc_sink_free(g_rx.sink);
    free(g_rx.pcm);
    free(g_rx.counters);
    memset(&g_rx, 0, sizeof g_rx);
}

static mrtc_track *tone(double hz)
{
    mrtc_audio_source_config cfg;
    mrtc_audio_source_config_init(&cfg);
    cfg.tone_hz = hz;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_audio(&cfg, &t), 0);
    return t;
}

static mrtc_track *pattern(uint16_t w, uint16_t h)
{
    mrtc_video_source_config cfg;
    mrtc_video_source_config_init(&cfg);
    cfg.width = w;
    cfg.height = h;
    cfg.bitrate_kbps = 500;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_video(&cfg, &t), 0);
    return t;
}

static mrtc_transceiver *sender_of(mrtc_pc *pc, mrtc_media_kind kind)
{
    for (size_t i = 0; i < mrtc_pc_transceiver_count(pc); i++) {
        mrtc_transceiver *t = mrtc_pc_transceiver_at(pc, i);
        if (mrtc_transceiver_kind(t) == kind && mrtc_transceiver_track(t))
            return t;
    }
    return NULL;
}

/* Audio samples of side 1 from second `from` to the end. */
static void check_tone(double hz, double from_s, size_t max_gap, const char *what)
{
    size_t skip = (size_t)(from_s * 48000);
    CHECK(g_rx.n > skip + 48000);
    if (g_rx.n <= skip + 48000)
        return;
    const char *dump = getenv("MESHRTC_SIM_DUMP_PCM"); /* raw 48 kHz s16le, for a closer look */
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (f) {
            fwrite(g_rx.pcm, sizeof *g_rx.pcm, g_rx.n, f);
            fclose(f);
        }
    }
    double ratio = 0;
    double got = mrtc_audio_dominant_hz(g_rx.pcm + skip, g_rx.n - skip, 48000, &ratio);
    size_t gap = mrtc_audio_longest_gap(g_rx.pcm + skip, g_rx.n - skip, 48000, 500);
    printf("  %s: %.1f s received, dominant %.1f Hz (power ratio %.2f), longest gap %.1f ms\n",
           what, (double)g_rx.n / 48000, got, ratio, (double)gap / 48.0);
    CHECK(got > hz - 5 && got < hz + 5);
    CHECK(ratio > 0.5);
    CHECK(gap <= max_gap);
}

/* ---- 1. tone across 10% loss -------------------------------------------------------------- */

/* The test's loss model (sim_net_set_drop_hook): every datagram in both directions is lost
 * with probability 10%, and the sequence numbers of the lost Opus packets (the RTP header
 * is in the clear under SRTP) are recorded to find loss bursts. */
typedef struct lossy {
    uint64_t state;
    double p;
    uint16_t lost[4096];
    size_t n_lost;
} lossy;

static bool lossy_drop(void *user, const mrtc_transmit *t)
{
    lossy *l = user;
    l->state ^= l->state << 13;
    l->state ^= l->state >> 7;
    l->state ^= l->state << 17;
    bool drop = (double)(l->state >> 11) / 9007199254740992.0 < l->p;
    if (drop && t->len > 12 && (t->data[0] & 0xC0) == 0x80 && (t->data[1] & 0x7F) == 111 &&
        l->n_lost < 4096)
        l->lost[l->n_lost++] = (uint16_t)(t->data[2] << 8 | t->data[3]);
    return drop;
}

/* The longest run of consecutive lost Opus packets. */
static size_t longest_burst(const lossy *l)
{
    size_t best = 0, run = 0;
    for (size_t i = 0; i < l->n_lost; i++) {
        run = i > 0 && l->lost[i] == (uint16_t)(l->lost[i - 1] + 1) ? run + 1 : 1;
        if (run > best)
            best = run;
    }
    return best;
}

static void tone_loss(uint64_t seed, size_t *burst, size_t *gap)
{
    sim_link link;
    sim_link_init(&link);
    link.delay = MRTC_MSEC(20);
    link.jitter = MRTC_MSEC(5);
    sim_dc_world w;
    sim_dc_world_init(&w, seed, &link);
    static lossy loss;
    memset(&loss, 0, sizeof loss);
    loss.state = seed * 0x9E3779B97F4A7C15ull | 1;
    loss.p = 0.10;
    sim_net_set_drop_hook(w.net, lossy_drop, &loss);
    w.track_hook = track_hook;
    mrtc_track *t = tone(440);
    CHECK_EQ(mrtc_pc_add_track(w.p[0].pc, t, NULL), 0);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(30), sim_dc_both_connected));
    sim_dc_run_for(&w, MRTC_SEC(12));
    CHECK(g_rx.audio_tr != NULL);
    *burst = longest_burst(&loss);
    *gap = 0;
    size_t skip = 2 * 48000;
    double ratio = 0;
    double hz = g_rx.n > skip ? mrtc_audio_dominant_hz(g_rx.pcm + skip, g_rx.n - skip, 48000, &ratio) : 0;
    if (g_rx.n > skip)
        *gap = mrtc_audio_longest_gap(g_rx.pcm + skip, g_rx.n - skip, 48000, 500);
    mrtc_rtp_stats st, ss;
    memset(&st, 0, sizeof st);
    if (g_rx.audio_tr)
        CHECK_EQ(mrtc_transceiver_get_stats(g_rx.audio_tr, &st), 0);
    CHECK_EQ(mrtc_transceiver_get_stats(sender_of(w.p[0].pc, MRTC_MEDIA_AUDIO), &ss), 0);
    printf("  seed %llu: %.1f s received, %.1f Hz (power ratio %.2f), %zu Opus packets lost "
           "(longest burst %zu), %llu recovered by FEC, %llu samples concealed, longest gap "
           "%.1f ms, RTT %.1f ms\n",
           (unsigned long long)seed, (double)g_rx.n / 48000, hz, ratio, loss.n_lost, *burst,
           (unsigned long long)st.packets_recovered, (unsigned long long)st.concealed_samples,
           (double)*gap / 48.0, ss.round_trip_time * 1000);
    CHECK(hz > 435 && hz < 445);
    CHECK(ratio > 0.9);
    CHECK(st.packets_lost > 0);
    CHECK(st.packets_recovered > 0);
    CHECK(ss.packets_sent > 500);
    CHECK(ss.round_trip_time > 0.030 && ss.round_trip_time < 0.2);
    mrtc_track_free(t);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
    rx_reset();
}

/* Opus in-band FEC carries one frame back: a lost packet is rebuilt from the next one, and
 * two lost in a row are one concealed frame plus one rebuilt. So with bursts of at most
 * two, no hole is longer than one 20 ms frame (the 5 ms RMS window of the gap detector adds
 * up to 5 ms). A burst of three leaves two concealed frames, and Opus concealment fades
 * out during the second: that is the limit of FEC without RED, and the figure is printed. */
static void test_tone_loss(void)
{
    const char *seed_env = getenv("MESHRTC_SIM_SEED");
    uint64_t seeds[] = {1, 7, 8, 41};
    size_t n_seeds = sizeof seeds / sizeof seeds[0];
    if (seed_env) {
        seeds[0] = strtoull(seed_env, NULL, 10);
        n_seeds = 1;
    }
    for (size_t i = 0; i < n_seeds; i++) {
        size_t burst = 0, gap = 0;
        tone_loss(seeds[i], &burst, &gap);
        if (burst <= 2)
            CHECK(gap <= 960 + 240);
        else
            CHECK(gap <= (burst - 1) * 960 + 240);
    }
}

/* ---- 2. pattern across 5% loss ------------------------------------------------------------ */

static void test_pattern_loss(void)
{
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.05;
    link.delay = MRTC_MSEC(20);
    link.jitter = MRTC_MSEC(3);
    sim_dc_world w;
    sim_dc_world_init(&w, 42, &link);
    w.track_hook = track_hook;
    mrtc_track *t = pattern(320, 240);
    CHECK_EQ(mrtc_pc_add_track(w.p[0].pc, t, NULL), 0);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(30), sim_dc_both_connected));
    sim_dc_run_for(&w, MRTC_SEC(10));
    mrtc_rtp_stats ss, rs;
    CHECK_EQ(mrtc_transceiver_get_stats(sender_of(w.p[0].pc, MRTC_MEDIA_VIDEO), &ss), 0);
    CHECK(g_rx.video_tr != NULL);
    if (g_rx.video_tr)
        CHECK_EQ(mrtc_transceiver_get_stats(g_rx.video_tr, &rs), 0);
    /* Frames decoded, distinct, in order. */
    size_t distinct = 0, out_of_order = 0;
    for (size_t i = 0; i < g_rx.n_frames; i++) {
        if (i == 0 || g_rx.counters[i] > g_rx.counters[i - 1])
            distinct++;
        else
            out_of_order++;
    }
    printf("  video packets sent %llu, received %llu, lost %lld\n", (unsigned long long)ss.packets_sent,
           (unsigned long long)rs.packets_received, (long long)rs.packets_lost);
    printf("  pattern across 5%% loss: %llu frames encoded, %zu decoded with a readable counter "
           "(%zu unreadable, %zu out of order), %ux%u; NACKs sent %llu, RTX sent %llu, PLIs %llu, "
           "key frames %llu\n",
           (unsigned long long)ss.frames_encoded, distinct, g_rx.unreadable, out_of_order,
           g_rx.width, g_rx.height, (unsigned long long)rs.nack_count_sent,
           (unsigned long long)ss.retransmitted_packets_sent, (unsigned long long)rs.pli_count_sent,
           (unsigned long long)ss.keyframes_encoded);
    CHECK(ss.frames_encoded > 250);
    CHECK((double)distinct >= 0.95 * (double)ss.frames_encoded);
    CHECK_EQ(out_of_order, 0);
    CHECK_EQ(g_rx.unreadable, 0);
    CHECK_EQ(g_rx.width, 320);
    CHECK_EQ(g_rx.height, 240);
    CHECK(rs.nack_count_sent > 0);
    CHECK(ss.retransmitted_packets_sent > 0);
    CHECK(rs.packets_recovered > 0);
    mrtc_track_free(t);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
    rx_reset();
}

/* ---- 2b. temporal layers ---------------------------------------------------------------- */

/* Three temporal layers (TL0 every 4th frame): descriptors carry TID/TL0PICIDX end to end.
 * A frame of the upper layers that misses packets is skipped at once instead of waiting
 * for retransmission (nothing references it: the next frames stay decodable), so across
 * 3% loss a few percent of the frames are not shown. */
static void test_temporal_layers(void)
{
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.03;
    link.delay = MRTC_MSEC(20);
    sim_dc_world w;
    sim_dc_world_init(&w, 45, &link);
    w.track_hook = track_hook;
    mrtc_video_source_config cfg;
    mrtc_video_source_config_init(&cfg);
    cfg.width = 320;
    cfg.height = 240;
    cfg.temporal_layers = 3;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_video(&cfg, &t), 0);
    CHECK_EQ(mrtc_pc_add_track(w.p[0].pc, t, NULL), 0);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(30), sim_dc_both_connected));
    sim_dc_run_for(&w, MRTC_SEC(8));
    mrtc_rtp_stats ss;
    CHECK_EQ(mrtc_transceiver_get_stats(sender_of(w.p[0].pc, MRTC_MEDIA_VIDEO), &ss), 0);
    size_t distinct = 0;
    for (size_t i = 0; i < g_rx.n_frames; i++) {
        if (i == 0 || g_rx.counters[i] > g_rx.counters[i - 1])
            distinct++;
    }
    printf("  3 temporal layers across 3%% loss: %llu frames encoded, %zu decoded in order\n",
           (unsigned long long)ss.frames_encoded, distinct);
    CHECK(ss.frames_encoded > 200);
    CHECK((double)distinct >= 0.90 * (double)ss.frames_encoded);
    CHECK_EQ(g_rx.unreadable, 0);
    CHECK(ss.keyframes_encoded <= 3); /* a lost TL0 frame that NACK cannot save costs one */
    mrtc_track_free(t);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
    rx_reset();
}

/* ---- 3. video added mid-call, then removed ----------------------------------------------- */

static bool frames_arrived(sim_dc_world *w)
{
    (void)w;
    return g_rx.n_frames >= 30;
}

static void test_add_video_midcall(void)
{
    sim_dc_world w;
    sim_dc_world_init(&w, 43, NULL);
    w.track_hook = track_hook;
    mrtc_track *a = tone(660);
    CHECK_EQ(mrtc_pc_add_track(w.p[0].pc, a, NULL), 0);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_both_connected));
    sim_dc_run_for(&w, MRTC_SEC(2));
    CHECK(g_rx.n > 48000);
    CHECK(g_rx.video_tr == NULL);
    /* Video in the middle of the call: renegotiation on the same transport. */
    mrtc_track *v = pattern(160, 120);
    mrtc_transceiver *vt = NULL;
    CHECK_EQ(mrtc_pc_add_track(w.p[0].pc, v, &vt), 0);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(10), frames_arrived));
    CHECK(g_rx.video_tr != NULL);
    CHECK_EQ(g_rx.width, 160);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[0].pc), MRTC_SIGNALING_STABLE);
    /* The audio went on while video was added: no hole longer than one frame. */
    check_tone(660, 1.0, 960, "audio while video was added");
    /* removeTrack: the sender stops, the direction becomes recvonly after negotiation. */
    CHECK_EQ(mrtc_pc_remove_track(w.p[0].pc, vt), 0);
    CHECK(mrtc_transceiver_track(vt) == NULL);
    sim_dc_run_for(&w, MRTC_SEC(2));
    /* recvonly offered to a peer that only receives: inactive */
    CHECK_EQ(mrtc_transceiver_current_direction(vt), MRTC_DIRECTION_INACTIVE);
    size_t frames = g_rx.n_frames;
    sim_dc_run_for(&w, MRTC_SEC(2));
    CHECK_EQ(g_rx.n_frames, frames);
    mrtc_track_free(a);
    mrtc_track_free(v);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
    rx_reset();
}

/* ---- 4. mute and replaceTrack ------------------------------------------------------------- */

static double rms_since(size_t from)
{
    double sum = 0;
    for (size_t i = from; i < g_rx.n; i++)
        sum += (double)g_rx.pcm[i] * g_rx.pcm[i];
    return g_rx.n > from ? sqrt(sum / (double)(g_rx.n - from)) : 0;
}

static void test_mute_replace(void)
{
    sim_dc_world w;
    sim_dc_world_init(&w, 44, NULL);
    w.track_hook = track_hook;
    mrtc_track *a = tone(440);
    mrtc_transceiver *tr = NULL;
    CHECK_EQ(mrtc_pc_add_track(w.p[0].pc, a, &tr), 0);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_both_connected));
    sim_dc_run_for(&w, MRTC_SEC(2));
    CHECK(rms_since(g_rx.n / 2) > 3000);
    mrtc_track_set_enabled(a, false);
    sim_dc_run_for(&w, MRTC_SEC(1));
    size_t muted_from = g_rx.n;
    sim_dc_run_for(&w, MRTC_SEC(1));
    printf("  muted: rms %.1f\n", rms_since(muted_from));
    CHECK(rms_since(muted_from) < 50);
    mrtc_track_set_enabled(a, true);
    /* replaceTrack: another source on the same sender, no renegotiation. */
    mrtc_track *b = tone(1000);
    int offers = w.p[0].n_negotiation_needed;
    CHECK_EQ(mrtc_transceiver_replace_track(tr, b), 0);
    CHECK(mrtc_transceiver_track(tr) == b);
    sim_dc_run_for(&w, MRTC_SEC(1));
    size_t from = g_rx.n;
    sim_dc_run_for(&w, MRTC_SEC(2));
    CHECK_EQ(w.p[0].n_negotiation_needed, offers);
    double ratio = 0;
    double hz = mrtc_audio_dominant_hz(g_rx.pcm + from, g_rx.n - from, 48000, &ratio);
    printf("  after replaceTrack: %.1f Hz\n", hz);
    CHECK(hz > 995 && hz < 1005);
    /* A video track on an audio sender is refused and changes nothing. */
    mrtc_track *v = pattern(160, 120);
    CHECK_EQ(mrtc_transceiver_replace_track(tr, v), MRTC_EINVAL);
    CHECK(mrtc_transceiver_track(tr) == b);
    mrtc_track_free(v);
    mrtc_track_free(a);
    mrtc_track_free(b);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
    rx_reset();
}

int main(void)
{
    double t0 = sim_dc_wall_now();
    setvbuf(stdout, NULL, _IONBF, 0);
    RUN_IF(test_tone_loss);
    RUN_IF(test_pattern_loss);
    RUN_IF(test_temporal_layers);
    RUN_IF(test_add_video_midcall);
    RUN_IF(test_mute_replace);
    printf("  total %.2f s wall\n", sim_dc_wall_now() - t0);
    return test_finish();
}
