/*
 * bench_call: the CPU cost of a media call, and the audio latency, with PeerConnections in
 * one process over real UDP sockets on 127.0.0.1 (docs/benchmarks.md).
 *
 * CPU (default): one sending side with an Opus track (440 Hz tone) and a VP8 track (the
 * moving test pattern, 640x480 at 30 fps, 800 kbps), sent one way to R receiving
 * PeerConnections (--receivers R, default 1; 3 is the mesh fan-out case: the sender holds R
 * PeerConnections sending the same two tracks, encoded once). Receivers decode everything
 * (as a browser decodes a track it does not render). After connecting and 2 s of warm-up,
 * S seconds (--seconds, default 20) are measured: (user+sys CPU)/wall of the whole process
 * as percent of one core, the received frame rate per receiver, and the sent video bitrate
 * per PeerConnection.
 *
 * Latency (--latency): an application audio source pushes 20 ms frames from a 20 ms loop
 * timer, with a 200 ms beep every second; the receiver's audio callback stands in for the
 * recording: each onset's delay is when its first loud sample plays (the time its frame
 * reaches the callback plus the sample's offset in the frame) minus when it was captured
 * (the push time of its frame, less the frame's 20 ms, plus its offset: a microphone
 * delivers a frame once its last sample is in). No loss; the median over the beeps is
 * printed.
 *
 *   bench_call [--receivers R] [--seconds S] [--latency] [--quick]
 *     --quick  160x120, 2 s (the ctest smoke run)
 */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RX 8

typedef struct rx_state {
    uint64_t frames;
    uint64_t audio_frames;
    /* latency */
    bool quiet;
    size_t quiet_run;
    double onset_ms[128];
    size_t n_onsets;
} rx_state;

static rx_state g_rx[MAX_RX];
static mrtc_sink *g_sinks[MAX_RX];
static bend g_ends[2 * MAX_RX];
static size_t g_n_rx;

/* Latency source: push times of the onset frames. */
static double g_push_ms[256]; /* per beep k: when the frame with its onset was pushed + offset */
static size_t g_n_push;
static uint64_t g_t0;

static double now_ms(void)
{
    return (double)(bench_now_ns() - g_t0) / 1e6;
}

static void on_video(const mrtc_video_frame *f, uint32_t ts, void *user)
{
    (void)f;
    (void)ts;
    ((rx_state *)user)->frames++;
}

#define LOUD 4000
static void on_audio(const mrtc_audio_frame *f, void *user)
{
    rx_state *r = user;
    r->audio_frames++;
    double t = now_ms();
    for (size_t i = 0; i < f->frames; i++) {
        int v = abs(f->samples[i * f->channels]);
        if (v < LOUD) {
            r->quiet_run++;
            continue;
        }
        if (r->quiet_run >= 48 * 100 && r->n_onsets < 128) /* 100 ms quiet before */
            r->onset_ms[r->n_onsets++] = t + (double)i / 48.0; /* when the sample plays */
        r->quiet_run = 0;
    }
}

static void on_track(bend *e, mrtc_transceiver *t)
{
    size_t i = (size_t)(e - g_ends) / 2;
    if (i >= MAX_RX)
        return;
    if (!g_sinks[i]) {
        mrtc_sink_callbacks cbs = {.video = on_video, .audio = on_audio};
        if (mrtc_sink_new_callbacks(&cbs, &g_rx[i], &g_sinks[i]))
            return;
    }
    (void)mrtc_transceiver_add_sink(t, g_sinks[i]);
}

static const bend_hooks hooks = {.track = on_track};

static bool all_connected(bw *w, void *arg)
{
    (void)w;
    (void)arg;
    for (size_t i = 0; i < 2 * g_n_rx; i++) {
        if (!g_ends[i].t_conn)
            return false;
    }
    return true;
}

/* ---- the application audio source of --latency ------------------------------------------- */

typedef struct beeper {
    uv_timer_t timer;
    mrtc_track *track;
    uint64_t sample;
} beeper;

static void beep_tick(uv_timer_t *t)
{
    beeper *b = t->data;
    int16_t pcm[MRTC_AUDIO_FRAME_SAMPLES];
    double t_push = now_ms();
    for (size_t i = 0; i < MRTC_AUDIO_FRAME_SAMPLES; i++) {
        uint64_t s = b->sample + i;
        uint64_t in_period = s % 48000;
        pcm[i] = in_period < 9600 ? (int16_t)(16000 * sin(2 * M_PI * 1000.0 * (double)s / 48000))
                                  : 0;
        if (in_period == 0 && g_n_push < 256)
            g_push_ms[g_n_push++] = t_push - 20.0 + (double)i / 48.0; /* when it was "captured" */
    }
    b->sample += MRTC_AUDIO_FRAME_SAMPLES;
    mrtc_audio_frame f = {.samples = pcm, .frames = MRTC_AUDIO_FRAME_SAMPLES, .channels = 1,
                          .rate = MRTC_AUDIO_RATE};
    (void)mrtc_track_push_audio(b->track, &f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t receivers = 1;
    double seconds = 20;
    bool quick = false, latency = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--receivers") && i + 1 < argc)
            receivers = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (!strcmp(argv[i], "--latency"))
            latency = true;
        else {
            fprintf(stderr, "usage: bench_call [--receivers R] [--seconds S] [--latency] [--quick]\n");
            return 2;
        }
    }
    if (receivers < 1 || receivers > MAX_RX || seconds <= 0) {
        fprintf(stderr, "bench_call: receivers 1..%d, seconds > 0\n", MAX_RX);
        return 2;
    }
    if (quick)
        seconds = 2;
    bench_print_header(argc, argv, latency ? "audio latency, tone onset to the receiver's sink"
                                           : "CPU of a call: Opus + VP8 one way");
    g_t0 = bench_now_ns();
    bw w;
    if (bw_init(&w))
        return 1;
    g_n_rx = latency ? 1 : receivers;

    mrtc_track *audio = NULL, *video = NULL;
    mrtc_audio_source_config ac;
    mrtc_audio_source_config_init(&ac);
    if (latency)
        ac.type = MRTC_AUDIO_SOURCE_APP;
    mrtc_video_source_config vc;
    mrtc_video_source_config_init(&vc);
    if (quick) {
        vc.width = 160;
        vc.height = 120;
    }
    int err = mrtc_track_new_audio(w.rt, &ac, &audio);
    if (!err && !latency)
        err = mrtc_track_new_video(w.rt, &vc, &video);
    if (err) {
        fprintf(stderr, "bench_call: track: %s\n", mrtc_err_name(err));
        return 1;
    }
    for (size_t i = 0; i < g_n_rx; i++) {
        bend *s = &g_ends[2 * i], *r = &g_ends[2 * i + 1];
        if (bend_create(&w, s, true, NULL, NULL) || bend_create(&w, r, false, &hooks, NULL))
            return 1;
        if (mrtc_pc_add_track(s->pc, audio, NULL) || (video && mrtc_pc_add_track(s->pc, video, NULL)))
            return 1;
        bend_link(s, r);
        if (bend_offer(s))
            return 1;
    }
    if (!bw_run(&w, all_connected, NULL, 20000)) {
        fprintf(stderr, "bench_call: the PeerConnections did not connect\n");
        return 1;
    }
    beeper b = {.track = audio};
    if (latency) {
        uv_timer_init(&w.loop, &b.timer);
        b.timer.data = &b;
        uv_timer_start(&b.timer, beep_tick, 20, 20);
    }
    bw_idle(&w, quick ? 500 : 2000); /* warm-up: first key frame, jitter buffers settle */

    mrtc_rtp_stats s0[MAX_RX];
    uint64_t f0[MAX_RX];
    for (size_t i = 0; i < g_n_rx; i++) {
        mrtc_transceiver *vt = mrtc_pc_transceiver_count(g_ends[2 * i].pc) > 1
                                   ? mrtc_pc_transceiver_at(g_ends[2 * i].pc, 1)
                                   : NULL;
        memset(&s0[i], 0, sizeof s0[i]);
        if (vt)
            mrtc_transceiver_get_stats(vt, &s0[i]);
        f0[i] = g_rx[i].frames;
    }
    double cpu0 = bench_cpu_s();
    uint64_t t0 = bench_now_ns();
    bw_idle(&w, (uint64_t)(seconds * 1000));
    double wall = (double)(bench_now_ns() - t0) / 1e9;
    double cpu = bench_cpu_s() - cpu0;

    if (latency) {
        uv_timer_stop(&b.timer);
        rx_state *r = &g_rx[0];
        /* Pair each received onset with the latest pushed onset before it. */
        double d[128];
        size_t n = 0;
        for (size_t k = 0; k < r->n_onsets; k++) {
            double best = -1;
            for (size_t j = 0; j < g_n_push; j++) {
                if (g_push_ms[j] <= r->onset_ms[k])
                    best = r->onset_ms[k] - g_push_ms[j];
            }
            if (best >= 0 && best < 1000)
                d[n++] = best;
        }
        qsort(d, n, sizeof d[0], cmp_double);
        if (n == 0) {
            printf("no onset received\n");
            return 1;
        }
        printf("onsets measured: %zu\n", n);
        printf("latency source->sink: median %.1f ms, min %.1f ms, max %.1f ms\n", d[n / 2], d[0],
               d[n - 1]);
    } else {
        double fps_sum = 0, kbps_sum = 0;
        for (size_t i = 0; i < g_n_rx; i++) {
            mrtc_rtp_stats s1;
            mrtc_transceiver *vt = mrtc_pc_transceiver_at(g_ends[2 * i].pc, 1);
            mrtc_transceiver_get_stats(vt, &s1);
            double fps = (double)(g_rx[i].frames - f0[i]) / wall;
            double kbps = (double)(s1.bytes_sent - s0[i].bytes_sent) * 8 / wall / 1000;
            printf("receiver %zu: %.1f fps decoded, sender video %.0f kbps, %llu NACKs, %llu PLIs\n",
                   i + 1, fps, kbps, (unsigned long long)s1.nack_count_received,
                   (unsigned long long)s1.pli_count_received);
            fps_sum += fps;
            kbps_sum += kbps;
        }
        printf("receivers: %zu, %s %ux%u@%u\n", g_n_rx, "VP8", vc.width, vc.height, vc.fps);
        printf("measured: %.1f s wall, %.2f s CPU\n", wall, cpu);
        printf("CPU: %.1f%% of one core\n", 100 * cpu / wall);
        printf("received frame rate (mean per receiver): %.1f fps\n", fps_sum / (double)g_n_rx);
        printf("sent video bitrate (mean per PeerConnection): %.0f kbps\n", kbps_sum / (double)g_n_rx);
    }
    for (size_t i = 0; i < g_n_rx; i++)
        mrtc_sink_free(g_sinks[i]);
    mrtc_track_free(audio);
    mrtc_track_free(video);
    if (latency)
        uv_close((uv_handle_t *)&b.timer, NULL);
    bench_close(&w, g_ends, 2 * g_n_rx);
    bw_destroy(&w);
    return 0;
}
