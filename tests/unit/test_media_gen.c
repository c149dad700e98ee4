/* Tests of media/tone.c, media/analysis.c and media/pattern.c: tone frequencies measured by
 * the dominant-frequency analysis (440 Hz within 2 Hz, others within 1 Hz, at 48 and 8 kHz),
 * phase continuity across calls of any size, stereo duplication, config checks; beep onsets
 * found by the onset detector on exactly the announced samples, with silence between; the
 * gap detector on a punched 30 ms hole; the onset detector's 50 ms rule and capacity; the
 * pattern's counter read back at several sizes and frame numbers, under +-20 noise on luma,
 * after a real VP8 encode/decode at a modest bitrate (libvpx directly), unreadable frames
 * refused, and motion between frames. */
#include "test.h"

#include "core/util/rand.h"
#include "media/analysis.h"
#include "media/pattern.h"
#include "media/tone.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#define RATE 48000

static int16_t pcm[RATE * 5];

static void gen(double hz, unsigned rate, size_t n)
{
    mrtc_tone_config cfg;
    mrtc_tone t;
    mrtc_tone_config_init(&cfg);
    cfg.freq_hz = hz;
    cfg.rate = rate;
    CHECK_EQ(mrtc_tone_init(&t, &cfg), 0);
    mrtc_tone_fill(&t, pcm, n);
}

/* ---- Tone and frequency analysis ---- */

static void test_tone_440_dominant(void)
{
    double ratio = 0;
    gen(440.0, RATE, RATE);
    double hz = mrtc_audio_dominant_hz(pcm, RATE, RATE, &ratio);
    if (fabs(hz - 440.0) > 2.0)
        fprintf(stderr, "dominant %.3f Hz\n", hz);
    CHECK(fabs(hz - 440.0) <= 2.0);
    CHECK(ratio > 0.95);
    /* Short excerpts (zero-padded) and long ones (averaged segments) agree. */
    hz = mrtc_audio_dominant_hz(pcm, 4800, RATE, NULL);
    CHECK(fabs(hz - 440.0) <= 2.0);
    gen(440.0, RATE, RATE * 5);
    hz = mrtc_audio_dominant_hz(pcm, RATE * 5, RATE, &ratio);
    CHECK(fabs(hz - 440.0) <= 2.0);
}

static void test_tone_frequencies(void)
{
    static const double freqs[] = {60.0, 100.0, 997.0, 1000.0, 3000.5, 12000.0, 20000.0};
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
        gen(freqs[i], RATE, RATE);
        double ratio = 0;
        double hz = mrtc_audio_dominant_hz(pcm, RATE, RATE, &ratio);
        if (fabs(hz - freqs[i]) > 1.0)
            fprintf(stderr, "want %.1f Hz got %.3f Hz\n", freqs[i], hz);
        CHECK(fabs(hz - freqs[i]) <= 1.0);
        CHECK(ratio > 0.9);
    }
    gen(1000.0, 8000, 8000);
    CHECK(fabs(mrtc_audio_dominant_hz(pcm, 8000, 8000, NULL) - 1000.0) <= 1.0);
}

static void test_tone_noise_and_silence(void)
{
    mrtc_rand_seeded rs;
    double ratio = 1;

    memset(pcm, 0, sizeof pcm);
    CHECK(mrtc_audio_dominant_hz(pcm, RATE, RATE, &ratio) == 0.0);
    CHECK(ratio == 0.0);
    CHECK(mrtc_audio_dominant_hz(pcm, 63, RATE, &ratio) == 0.0);
    CHECK(mrtc_audio_dominant_hz(pcm, RATE, 4000, &ratio) == MRTC_EINVAL);
    CHECK(mrtc_audio_dominant_hz(NULL, 10, RATE, &ratio) == MRTC_EINVAL);

    /* White noise: no band holds much of the energy. */
    mrtc_rand_seeded_init(&rs, 7);
    for (int i = 0; i < RATE; i++)
        pcm[i] = (int16_t)((int)mrtc_rand_below(&rs.rand, 20001) - 10000);
    mrtc_audio_dominant_hz(pcm, RATE, RATE, &ratio);
    CHECK(ratio < 0.2);
    /* A tone under noise is still found, with a lower ratio. */
    mrtc_tone_config cfg;
    mrtc_tone t;
    static int16_t tone[RATE];
    mrtc_tone_config_init(&cfg);
    CHECK_EQ(mrtc_tone_init(&t, &cfg), 0);
    mrtc_tone_fill(&t, tone, RATE);
    for (int i = 0; i < RATE; i++)
        pcm[i] = (int16_t)(pcm[i] / 2 + tone[i]);
    double hz = mrtc_audio_dominant_hz(pcm, RATE, RATE, &ratio);
    CHECK(fabs(hz - 440.0) <= 2.0);
    CHECK(ratio > 0.5 && ratio < 0.99);
}

static void test_tone_phase_continuous(void)
{
    static int16_t once[4800], parts[4800];
    static const size_t sizes[] = {1, 7, 960, 13, 2000, 819, 1000};
    mrtc_tone_config cfg;
    mrtc_tone a, b;

    mrtc_tone_config_init(&cfg);
    cfg.freq_hz = 1234.5;
    CHECK_EQ(mrtc_tone_init(&a, &cfg), 0);
    CHECK_EQ(mrtc_tone_init(&b, &cfg), 0);
    mrtc_tone_fill(&a, once, 4800);
    size_t off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mrtc_tone_fill(&b, parts + off, sizes[i]);
        off += sizes[i];
    }
    CHECK_EQ(off, 4800);
    CHECK_MEM(once, parts, sizeof once);
    CHECK_U64(mrtc_tone_position(&b), 4800);
    CHECK_EQ(once[0], 0);
    /* No click anywhere: consecutive samples differ by at most amplitude * step. */
    double max_step = cfg.amplitude * 2.0 * M_PI * cfg.freq_hz / RATE + 1.0;
    int worst = 0;
    for (int i = 1; i < 4800; i++) {
        int d = abs(once[i] - once[i - 1]);
        if (d > worst)
            worst = d;
    }
    CHECK(worst <= max_step);
}

static void test_tone_stereo_and_config(void)
{
    int16_t st[2 * 480];
    mrtc_tone_config cfg;
    mrtc_tone t;

    mrtc_tone_config_init(&cfg);
    cfg.channels = 2;
    CHECK_EQ(mrtc_tone_init(&t, &cfg), 0);
    mrtc_tone_fill(&t, st, 480);
    bool same = true, nonzero = false;
    for (int i = 0; i < 480; i++) {
        same = same && st[2 * i] == st[2 * i + 1];
        nonzero = nonzero || st[2 * i] != 0;
    }
    CHECK(same);
    CHECK(nonzero);

    static const mrtc_tone_config bad[] = {
        {.freq_hz = 0, .amplitude = 100, .rate = RATE, .channels = 1},
        {.freq_hz = 24000, .amplitude = 100, .rate = RATE, .channels = 1},
        {.freq_hz = 440, .amplitude = 40000, .rate = RATE, .channels = 1},
        {.freq_hz = 440, .amplitude = -1, .rate = RATE, .channels = 1},
        {.freq_hz = 440, .amplitude = 100, .rate = 7999, .channels = 1},
        {.freq_hz = 440, .amplitude = 100, .rate = RATE, .channels = 3},
        {.freq_hz = 440,
         .amplitude = 100,
         .rate = RATE,
         .channels = 1,
         .period_ms = 100,
         .on_ms = 100},
        {.freq_hz = 440, .amplitude = 100, .rate = RATE, .channels = 1, .period_ms = 100},
        {.freq_hz = NAN, .amplitude = 100, .rate = RATE, .channels = 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(mrtc_tone_init(&t, &bad[i]), MRTC_EINVAL);
}

static void test_beep_onsets_exact(void)
{
    mrtc_tone_config cfg;
    mrtc_tone t;
    size_t on[8];

    mrtc_tone_config_init(&cfg);
    cfg.period_ms = 1000;
    cfg.on_ms = 200;
    CHECK_EQ(mrtc_tone_init(&t, &cfg), 0);
    /* Filled in odd-sized pieces: the bursts do not depend on call boundaries. */
    for (size_t off = 0; off < RATE * 5; off += 777)
        mrtc_tone_fill(&t, pcm + off, RATE * 5 - off < 777 ? RATE * 5 - off : 777);
    size_t n = mrtc_audio_onsets(pcm, RATE * 5, RATE, 1000, on, 8);
    CHECK_EQ(n, 5);
    for (size_t k = 0; k < n && k < 8; k++) {
        CHECK_U64(on[k], mrtc_tone_onset(&t, k));
        CHECK_U64(on[k], k * RATE);
        CHECK_EQ(pcm[on[k]], 16384);
    }
    /* Tone for 200 ms, then exact silence until the next burst. */
    bool silent = true, loud = true;
    for (size_t i = 0; i < RATE; i++) {
        if (i >= RATE / 5)
            silent = silent && pcm[RATE + i] == 0;
        else if (i % 109 == 0) /* away from zero crossings: some samples are loud */
            loud = loud && pcm[RATE + i] != 0;
    }
    CHECK(silent);
    CHECK(loud);
    /* The same at 8 kHz with a short period. */
    cfg.rate = 8000;
    cfg.period_ms = 250;
    cfg.on_ms = 30;
    CHECK_EQ(mrtc_tone_init(&t, &cfg), 0);
    mrtc_tone_fill(&t, pcm, 8000);
    CHECK_EQ(mrtc_audio_onsets(pcm, 8000, 8000, 1000, on, 8), 4);
    for (size_t k = 0; k < 4; k++)
        CHECK_U64(on[k], mrtc_tone_onset(&t, k));
    CHECK_U64(mrtc_tone_onset(&t, 3), 6000);
}

static void test_onset_rules(void)
{
    size_t on[4];
    memset(pcm, 0, sizeof pcm);
    /* Bursts at 0, then 40 ms after the first ends (too soon), then 50 ms after that. */
    pcm[0] = 5000;
    pcm[1 + RATE * 40 / 1000] = -5000;
    size_t third = 2 + RATE * 40 / 1000 + RATE / 20;
    pcm[third] = 5000;
    CHECK_EQ(mrtc_audio_onsets(pcm, RATE, RATE, 1000, on, 4), 2);
    CHECK_U64(on[0], 0);
    CHECK_U64(on[1], third);
    /* Capacity: the count is complete, only cap indices are written. */
    on[1] = 12345;
    CHECK_EQ(mrtc_audio_onsets(pcm, RATE, RATE, 1000, on, 1), 2);
    CHECK_U64(on[1], 12345);
    CHECK_EQ(mrtc_audio_onsets(pcm, RATE, RATE, 1000, NULL, 0), 2);
    CHECK_EQ(mrtc_audio_onsets(pcm, RATE, RATE, 5000, on, 4), 0);
}

static void test_gap_detector(void)
{
    gen(440.0, RATE, RATE);
    CHECK_EQ(mrtc_audio_longest_gap(pcm, RATE, RATE, 500), 0);
    /* Punch a 30 ms hole at 0.5 s and a 10 ms one at 0.2 s. */
    memset(pcm + RATE / 2, 0, sizeof(int16_t) * (RATE * 30 / 1000));
    memset(pcm + RATE / 5, 0, sizeof(int16_t) * (RATE * 10 / 1000));
    size_t gap = mrtc_audio_longest_gap(pcm, RATE, RATE, 500);
    if (gap < 1440 || gap > 1440 + 48)
        fprintf(stderr, "gap %zu samples\n", gap);
    CHECK(gap >= 1440 && gap <= 1440 + 48);
    /* A 4 ms hole is shorter than the window: not a gap. */
    gen(440.0, RATE, RATE);
    memset(pcm + 1000, 0, sizeof(int16_t) * 192);
    CHECK_EQ(mrtc_audio_longest_gap(pcm, RATE, RATE, 500), 0);
    /* All silence is one gap; tiny inputs are one window. */
    memset(pcm, 0, sizeof(int16_t) * RATE);
    CHECK_EQ(mrtc_audio_longest_gap(pcm, RATE, RATE, 500), RATE);
    CHECK_EQ(mrtc_audio_longest_gap(pcm, 10, RATE, 500), 10);
    CHECK_EQ(mrtc_audio_longest_gap(pcm, 0, RATE, 500), 0);
    CHECK_EQ(mrtc_audio_longest_gap(pcm, RATE, RATE, 0), 0);
}

/* ---- Pattern ---- */

static void test_pattern_round_trip(void)
{
    static const uint16_t sizes[][2] = {{640, 480}, {320, 240}, {1280, 720},
                                        {176, 144}, {321, 241}, {1920, 1080}};
    static const uint32_t numbers[] = {0, 1, 42, 123456, 999999, 1000007, 4294967295u};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        mrtc_pattern *p = NULL;
        mrtc_video_frame f;
        CHECK_EQ(mrtc_pattern_new(sizes[s][0], sizes[s][1], &p), 0);
        if (!p)
            continue;
        CHECK(mrtc_pattern_has_counter(sizes[s][0], sizes[s][1]));
        for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
            mrtc_pattern_draw(p, numbers[i], &f);
            CHECK_EQ(f.width, sizes[s][0]);
            CHECK_EQ(f.height, sizes[s][1]);
            CHECK_EQ(f.stride_u, (sizes[s][0] + 1) / 2);
            int got = mrtc_pattern_read_counter(&f);
            if (got != (int)(numbers[i] % 1000000))
                fprintf(stderr, "%ux%u frame %u\n", sizes[s][0], sizes[s][1], numbers[i]);
            CHECK_EQ(got, numbers[i] % 1000000);
        }
        mrtc_pattern_free(p);
    }
    /* 640x480 digits are at least 24x40 luma pixels: with 888888 drawn, the dark pixels of
     * the top two thirds (the colour bars are never that dark) span that many rows and six
     * times that many columns. */
    mrtc_pattern *p = NULL;
    mrtc_video_frame f;
    int rows = 0, cols = 0;
    CHECK_EQ(mrtc_pattern_new(640, 480, &p), 0);
    mrtc_pattern_draw(p, 888888, &f);
    for (int y = 0; y < 320; y++) {
        bool dark = false;
        for (int x = 0; x < 640; x++)
            dark = dark || f.y[y * 640 + x] < 30;
        rows += dark;
    }
    for (int x = 0; x < 640; x++) {
        bool dark = false;
        for (int y = 0; y < 320; y++)
            dark = dark || f.y[y * 640 + x] < 30;
        cols += dark;
    }
    CHECK(rows >= 40);
    CHECK(cols >= 6 * 24);
    mrtc_pattern_free(p);
}

static void test_pattern_noise(void)
{
    static uint8_t noisy[1280 * 720 * 3 / 2];
    static const uint16_t sizes[][2] = {{640, 480}, {320, 240}, {1280, 720}};
    mrtc_rand_seeded rs;

    mrtc_rand_seeded_init(&rs, 42);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        mrtc_pattern *p = NULL;
        mrtc_video_frame f, g;
        CHECK_EQ(mrtc_pattern_new(sizes[s][0], sizes[s][1], &p), 0);
        if (!p)
            continue;
        for (uint32_t n = 0; n < 300; n += 7) {
            uint32_t num = n * 3331;
            mrtc_pattern_draw(p, num, &f);
            size_t ysize = (size_t)f.width * f.height;
            for (size_t i = 0; i < ysize; i++) {
                int v = f.y[i] + (int)mrtc_rand_below(&rs.rand, 41) - 20;
                noisy[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            g = f;
            g.y = noisy;
            CHECK_EQ(mrtc_pattern_read_counter(&g), num % 1000000);
        }
        mrtc_pattern_free(p);
    }
}

/* Encodes pattern frames with libvpx VP8 at 400 kbps (640x480, 30 fps, real time) and reads
 * the counter back from every decoded frame. */
static void test_pattern_survives_vp8(void)
{
    vpx_codec_ctx_t enc, dec;
    vpx_codec_enc_cfg_t cfg;
    vpx_image_t img;
    mrtc_pattern *p = NULL;
    mrtc_video_frame f;
    int read_ok = 0, frames = 40;

    CHECK_EQ(mrtc_pattern_new(640, 480, &p), 0);
    CHECK_EQ(vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0), VPX_CODEC_OK);
    cfg.g_w = 640;
    cfg.g_h = 480;
    cfg.g_timebase.num = 1;
    cfg.g_timebase.den = 30;
    cfg.rc_target_bitrate = 400;
    cfg.g_threads = 1;
    cfg.g_lag_in_frames = 0;
    cfg.rc_end_usage = VPX_CBR;
    cfg.kf_max_dist = 1000;
    CHECK_EQ(vpx_codec_enc_init(&enc, vpx_codec_vp8_cx(), &cfg, 0), VPX_CODEC_OK);
    vpx_codec_control(&enc, VP8E_SET_CPUUSED, 8);
    CHECK_EQ(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), NULL, 0), VPX_CODEC_OK);
    for (int n = 0; n < frames; n++) {
        mrtc_pattern_draw(p, (uint32_t)(500 + n), &f);
        vpx_img_wrap(&img, VPX_IMG_FMT_I420, 640, 480, 1, (unsigned char *)f.y);
        CHECK_EQ(vpx_codec_encode(&enc, &img, n, 1, 0, VPX_DL_REALTIME), VPX_CODEC_OK);
        const vpx_codec_cx_pkt_t *pkt;
        vpx_codec_iter_t it = NULL;
        while ((pkt = vpx_codec_get_cx_data(&enc, &it))) {
            if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
                continue;
            CHECK_EQ(
                vpx_codec_decode(&dec, pkt->data.frame.buf, (unsigned)pkt->data.frame.sz, NULL, 0),
                VPX_CODEC_OK);
            vpx_codec_iter_t dit = NULL;
            vpx_image_t *out;
            while ((out = vpx_codec_get_frame(&dec, &dit))) {
                mrtc_video_frame d = {.width = (uint16_t)out->d_w,
                                      .height = (uint16_t)out->d_h,
                                      .y = out->planes[0],
                                      .u = out->planes[1],
                                      .v = out->planes[2],
                                      .stride_y = out->stride[0],
                                      .stride_u = out->stride[1],
                                      .stride_v = out->stride[2]};
                int got = mrtc_pattern_read_counter(&d);
                if (got != 500 + n)
                    fprintf(stderr, "decoded frame %d read as %d\n", n, got);
                read_ok += got == 500 + n;
            }
        }
    }
    CHECK_EQ(read_ok, frames);
    vpx_codec_destroy(&enc);
    vpx_codec_destroy(&dec);
    mrtc_pattern_free(p);
}

static void test_pattern_unreadable_and_motion(void)
{
    static uint8_t flat[640 * 480 * 3 / 2];
    mrtc_video_frame f, g;
    mrtc_pattern *p = NULL;

    static const uint8_t levels[] = {16, 128, 235};
    for (size_t i = 0; i < sizeof levels; i++) {
        memset(flat, levels[i], sizeof flat);
        g = (mrtc_video_frame){.width = 640,
                               .height = 480,
                               .y = flat,
                               .u = flat + 640 * 480,
                               .v = flat + 640 * 480 + 320 * 240,
                               .stride_y = 640,
                               .stride_u = 320,
                               .stride_v = 320};
        CHECK_EQ(mrtc_pattern_read_counter(&g), -1);
    }
    CHECK_EQ(mrtc_pattern_read_counter(NULL), -1);
    g.stride_y = 639;
    CHECK_EQ(mrtc_pattern_read_counter(&g), -1);

    /* Too small for a counter: drawn without one, read as unreadable. */
    CHECK(!mrtc_pattern_has_counter(60, 40));
    CHECK_EQ(mrtc_pattern_new(60, 40, &p), 0);
    mrtc_pattern_draw(p, 5, &f);
    CHECK_EQ(mrtc_pattern_read_counter(&f), -1);
    mrtc_pattern_free(p);
    CHECK_EQ(mrtc_pattern_new(1, 40, &p), MRTC_EINVAL);
    CHECK_EQ(mrtc_pattern_new(8193, 40, &p), MRTC_EINVAL);

    /* Motion: frames 0 and 5 differ below the counter; drawing is deterministic. */
    static uint8_t first[640 * 480 * 3 / 2];
    CHECK_EQ(mrtc_pattern_new(640, 480, &p), 0);
    mrtc_pattern_draw(p, 0, &f);
    memcpy(first, f.y, sizeof first);
    mrtc_pattern_draw(p, 5, &f);
    size_t differ = 0;
    for (size_t i = 640 * 320; i < 640 * 480; i++)
        differ += first[i] != f.y[i];
    CHECK(differ > 1000);
    mrtc_pattern_draw(p, 0, &f);
    CHECK_MEM(f.y, first, sizeof first);
    /* Colour: the bars have chroma away from neutral. */
    size_t coloured = 0;
    for (size_t i = 0; i < 320 * 100; i++)
        coloured += f.u[i] != 128;
    CHECK(coloured > 1000);
    mrtc_pattern_free(p);
}

int main(void)
{
    RUN(test_tone_440_dominant);
    RUN(test_tone_frequencies);
    RUN(test_tone_noise_and_silence);
    RUN(test_tone_phase_continuous);
    RUN(test_tone_stereo_and_config);
    RUN(test_beep_onsets_exact);
    RUN(test_onset_rules);
    RUN(test_gap_detector);
    RUN(test_pattern_round_trip);
    RUN(test_pattern_noise);
    RUN(test_pattern_survives_vp8);
    RUN(test_pattern_unreadable_and_motion);
    return test_finish();
}
