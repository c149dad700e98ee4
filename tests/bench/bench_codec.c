/*
 * bench_codec: the cost of the media codecs on one core (media/vp8_codec.c and
 * media/opus_codec.c over libvpx and libopus).
 *
 * Method (docs/benchmarks.md): VP8 at 640x480, 30 fps, 800 kbit/s, one thread, one
 * temporal layer: a synthetic moving scene (scrolling texture, moving shapes, light grain
 * so the encoder has camera-like work) is drawn for each frame (not timed), encoded
 * (timed), and the frame decoded (timed). The first 10 frames are a warm-up, not counted.
 * Reported per cpu_used setting: mean and 95th percentile ms per frame for encode and
 * decode, % of one core that 30 fps costs (mean ms x 30 / 10), the bitrate produced and the
 * mean PSNR-Y of the decoded frames. Opus: 20 ms frames of a voice-like harmonic signal at
 * 32 kbit/s with FEC (the defaults), mono and stereo, complexity 8; encode and decode timed
 * together per frame, reported in microseconds and % of one core (us / 20000). Clock:
 * uv_hrtime (monotonic).
 *
 *   bench_codec [--frames N] [--cpu-used N] [--quick]
 *     --frames    VP8 frames per setting (default 300: 10 s of video); Opus runs 5x as
 *                 many 20 ms frames
 *     --cpu-used  one setting instead of the sweep -4..-8
 *     --quick     20 frames, cpu_used -6 only (the ctest smoke run)
 */
#include "harness.h"

#include "media/i420.h"
#include "media/opus_codec.h"
#include "media/vp8_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VW 640
#define VH 480
#define FPS 30
#define KBPS 800
#define WARMUP 10
#define PI 3.14159265358979323846

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void draw(mrtc_i420 *img, unsigned i)
{
    uint8_t *y = mrtc_i420_y(img), *u = mrtc_i420_u(img), *v = mrtc_i420_v(img);
    int w = img->f.width, h = img->f.height;
    uint32_t seed = 0xbeef + i * 7919u;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            int x = c - (int)i * 2;
            int val = 90 + (int)(40 * sin(x * 0.07) + 30 * sin(r * 0.05 + x * 0.02));
            int sx = (40 + (int)i * 3) % w, sy = (60 + (int)i * 2) % h;
            if (c >= sx && c < sx + 96 && r >= sy && r < sy + 96)
                val = 220 - ((c - sx) ^ (r - sy)) % 32;
            int dx = c - (w - 80 - ((int)i * 4) % w), dy = r - h / 2;
            if (dx * dx + dy * dy < 60 * 60)
                val = 30;
            val += (int)(lcg(&seed) % 7) - 3;
            y[r * img->f.stride_y + c] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
        }
    }
    for (int r = 0; r < h / 2; r++) {
        for (int c = 0; c < w / 2; c++) {
            u[r * img->f.stride_u + c] = (uint8_t)(128 + 40 * sin((c + (int)i) * 0.03));
            v[r * img->f.stride_v + c] = (uint8_t)(128 + 40 * cos((r - (int)i) * 0.04));
        }
    }
}

typedef struct vp8_result {
    double enc_mean, enc_p95, dec_mean, dec_p95; /* ms per frame */
    double kbps, psnr;
    unsigned dropped;
} vp8_result;

static int run_vp8(int cpu_used, unsigned frames, vp8_result *r)
{
    mrtc_vp8_encoder_config cfg;
    mrtc_vp8_encoder *e = NULL;
    mrtc_vp8_decoder *d = NULL;
    mrtc_i420 img = {0};
    double *enc_ms = calloc(frames, sizeof *enc_ms), *dec_ms = calloc(frames, sizeof *dec_ms);
    int rc = 1;

    mrtc_vp8_encoder_config_init(&cfg);
    cfg.width = VW;
    cfg.height = VH;
    cfg.fps = FPS;
    cfg.bitrate_kbps = KBPS;
    cfg.cpu_used = cpu_used;
    memset(r, 0, sizeof *r);
    if (!enc_ms || !dec_ms || mrtc_vp8_encoder_new(&cfg, &e) || mrtc_vp8_decoder_new(&d) ||
        mrtc_i420_alloc(&img, VW, VH)) {
        fprintf(stderr, "bench_codec: VP8 setup failed\n");
        goto out;
    }
    size_t bytes = 0, n = 0, n_dec = 0;
    double psnr_sum = 0;
    for (unsigned i = 0; i < frames + WARMUP; i++) {
        mrtc_vp8_encoded enc;
        mrtc_video_frame pic;
        draw(&img, i);
        uint64_t t0 = bench_now_ns();
        if (mrtc_vp8_encoder_encode(e, &img.f, i * (90000u / FPS), false, &enc)) {
            fprintf(stderr, "bench_codec: encode failed\n");
            goto out;
        }
        uint64_t t1 = bench_now_ns();
        int got = 0;
        if (enc.len > 0)
            got = mrtc_vp8_decoder_decode(d, enc.data, enc.len, &pic);
        uint64_t t2 = bench_now_ns();
        if (got < 0) {
            fprintf(stderr, "bench_codec: decode failed\n");
            goto out;
        }
        if (i < WARMUP)
            continue;
        enc_ms[n++] = (double)(t1 - t0) / 1e6;
        bytes += enc.len;
        if (enc.len == 0) {
            r->dropped++;
            continue;
        }
        dec_ms[n_dec++] = (double)(t2 - t1) / 1e6;
        if (got == 1)
            psnr_sum += mrtc_i420_psnr_y(&img.f, &pic);
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += enc_ms[i];
    r->enc_mean = sum / (double)n;
    r->enc_p95 = bench_quantile(enc_ms, n, 0.95);
    sum = 0;
    for (size_t i = 0; i < n_dec; i++)
        sum += dec_ms[i];
    r->dec_mean = n_dec ? sum / (double)n_dec : 0;
    r->dec_p95 = n_dec ? bench_quantile(dec_ms, n_dec, 0.95) : 0;
    r->kbps = (double)bytes * 8 / ((double)n / FPS) / 1000;
    r->psnr = n_dec ? psnr_sum / (double)n_dec : 0;
    rc = 0;
out:
    free(enc_ms);
    free(dec_ms);
    mrtc_i420_free(&img);
    mrtc_vp8_encoder_free(e);
    mrtc_vp8_decoder_free(d);
    return rc;
}

static void voiced(int16_t *pcm, unsigned channels, size_t k)
{
    static const double f0s[] = {140, 230, 180, 260, 120, 200, 160, 240};
    double f0 = f0s[(k / 10) % 8];
    for (size_t i = 0; i < MRTC_AUDIO_FRAME_SAMPLES; i++) {
        double t = (double)(k * MRTC_AUDIO_FRAME_SAMPLES + i) / MRTC_AUDIO_RATE, s = 0;
        for (int h = 1; h <= 6; h++)
            s += sin(2.0 * PI * f0 * h * t) / h;
        for (unsigned c = 0; c < channels; c++)
            pcm[i * channels + c] = (int16_t)lrint(6000.0 * s * (c ? 0.7 : 1.0));
    }
}

static int run_opus(unsigned channels, unsigned frames, double *us_mean, double *enc_us)
{
    mrtc_opus_encoder_config cfg;
    mrtc_opus_encoder *e = NULL;
    mrtc_opus_decoder *d = NULL;
    static int16_t in[MRTC_AUDIO_FRAME_SAMPLES * 2], out[MRTC_OPUS_DECODER_MAX_FRAMES * 2];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    int rc = 1;

    mrtc_opus_encoder_config_init(&cfg);
    cfg.channels = channels;
    if (mrtc_opus_encoder_new(&cfg, &e) || mrtc_opus_decoder_new(channels, &d)) {
        fprintf(stderr, "bench_codec: Opus setup failed\n");
        goto out;
    }
    uint64_t total = 0, total_enc = 0;
    for (unsigned k = 0; k < frames + WARMUP; k++) {
        voiced(in, channels, k);
        uint64_t t0 = bench_now_ns();
        int n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
        uint64_t t1 = bench_now_ns();
        int got =
            n > 0 ? mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, MRTC_OPUS_DECODER_MAX_FRAMES)
                  : -1;
        uint64_t t2 = bench_now_ns();
        if (got != MRTC_AUDIO_FRAME_SAMPLES) {
            fprintf(stderr, "bench_codec: Opus round trip failed (%d, %d)\n", n, got);
            goto out;
        }
        if (k >= WARMUP) {
            total += t2 - t0;
            total_enc += t1 - t0;
        }
    }
    *us_mean = (double)total / frames / 1e3;
    *enc_us = (double)total_enc / frames / 1e3;
    rc = 0;
out:
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(d);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned frames = 300;
    int cpu_list[8] = {-4, -5, -6, -7, -8}, n_cpu = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            frames = 20;
            cpu_list[0] = -6;
            n_cpu = 1;
        } else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
            frames = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--cpu-used") == 0 && i + 1 < argc) {
            cpu_list[0] = atoi(argv[++i]);
            n_cpu = 1;
        } else {
            fprintf(stderr, "usage: %s [--frames N] [--cpu-used N] [--quick]\n", argv[0]);
            return 2;
        }
    }
    if (frames == 0) {
        fprintf(stderr, "bench_codec: --frames must be > 0\n");
        return 2;
    }
    bench_print_header(argc, argv, "VP8 and Opus encode/decode cost, one core");
    printf("VP8 %dx%d@%d, %d kbit/s CBR, 1 thread, 1 temporal layer, %u frames per setting "
           "(+%d warm-up)\n\n",
           VW, VH, FPS, KBPS, frames, WARMUP);
    printf("%-9s %10s %10s %10s %10s %8s %8s %9s %8s %8s\n", "cpu_used", "enc ms", "enc p95",
           "dec ms", "dec p95", "enc %", "dec %", "kbit/s", "PSNR-Y", "dropped");
    int status = 0;
    for (int k = 0; k < n_cpu; k++) {
        vp8_result r;
        if (run_vp8(cpu_list[k], frames, &r)) {
            status = 1;
            continue;
        }
        printf("%-9d %10.2f %10.2f %10.2f %10.2f %7.1f%% %7.1f%% %9.0f %8.2f %8u%s\n", cpu_list[k],
               r.enc_mean, r.enc_p95, r.dec_mean, r.dec_p95, r.enc_mean * FPS / 10,
               r.dec_mean * FPS / 10, r.kbps, r.psnr, r.dropped,
               cpu_list[k] == -6 ? "   (default)" : "");
    }
    unsigned opus_frames = frames * 5;
    printf("\nOpus 48 kHz, 20 ms frames, 32 kbit/s, FEC on, complexity 8, %u frames\n\n",
           opus_frames);
    printf("%-9s %14s %14s %14s\n", "channels", "enc us", "enc+dec us", "% of a core");
    for (unsigned ch = 1; ch <= 2; ch++) {
        double us, enc_us;
        if (run_opus(ch, opus_frames, &us, &enc_us)) {
            status = 1;
            continue;
        }
        printf("%-9u %14.1f %14.1f %13.2f%%\n", ch, enc_us, us, us / 20000 * 100);
    }
    return status;
}
