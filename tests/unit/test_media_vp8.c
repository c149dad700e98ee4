/* Tests of media/vp8_codec.c and media/i420.c (the Opus tests are in
 * test_media_codec.c).
 *
 * VP8: 60 frames of 320x240 moving content round-trip above 30 dB PSNR-Y; key frames only
 * first and when forced; two and three temporal layers give the TID, Y and TL0PICIDX
 * patterns and a receiver decoding only the lower layers keeps decoding well; the bitrate
 * is honoured within a factor of 2 and follows set_bitrate; a decoder fed truncated,
 * garbage, forged and out-of-order frames refuses them and decodes the next key frame; bad
 * configurations and frames; allocation failures. I420 helpers: allocation, copy, PSNR. */
#include "test.h"

#include "media/i420.h"
#include "media/vp8_codec.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- Video helpers ---- */

#define W 320
#define H 240

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Frame i of a moving scene: a textured background scrolling right, a bright square
 * moving diagonally, a dark disc moving left, colour gradients drifting; `noise` adds
 * per-frame grain of that amplitude (to make content expensive to code). */
static void draw(mrtc_i420 *img, unsigned i, int noise)
{
    uint8_t *y = mrtc_i420_y(img), *u = mrtc_i420_u(img), *v = mrtc_i420_v(img);
    int w = img->f.width, h = img->f.height;
    uint32_t seed = 0x1234567u + i * 7919u;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            int x = c - (int)i * 2;
            int val = 60 + (int)(40 * sin(x * 0.15) + 30 * sin(r * 0.11 + x * 0.03));
            int sx = 20 + (int)i * 3, sy = 30 + (int)i * 2;
            if (c >= sx && c < sx + 48 && r >= sy && r < sy + 48)
                val = 220 - ((c - sx) ^ (r - sy)) % 16;
            int dx = c - (w - 40 - (int)i * 4), dy = r - h / 2;
            if (dx * dx + dy * dy < 30 * 30)
                val = 25;
            if (noise)
                val += (int)(lcg(&seed) % (unsigned)(2 * noise + 1)) - noise;
            y[r * img->f.stride_y + c] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
        }
    }
    for (int r = 0; r < (h + 1) / 2; r++) {
        for (int c = 0; c < (w + 1) / 2; c++) {
            u[r * img->f.stride_u + c] = (uint8_t)(128 + 40 * sin((c + (int)i) * 0.05));
            v[r * img->f.stride_v + c] = (uint8_t)(128 + 40 * cos((r - (int)i) * 0.07));
        }
    }
}

static mrtc_vp8_encoder *new_vp8(unsigned layers, unsigned kbps)
{
    mrtc_vp8_encoder_config cfg;
    mrtc_vp8_encoder *e = NULL;
    mrtc_vp8_encoder_config_init(&cfg);
    cfg.width = W;
    cfg.height = H;
    cfg.temporal_layers = layers;
    cfg.bitrate_kbps = kbps;
    CHECK_EQ(mrtc_vp8_encoder_new(&cfg, &e), 0);
    return e;
}

/* ---- VP8 ---- */

static void test_vp8_roundtrip(void)
{
    mrtc_i420 img = {0};
    mrtc_vp8_encoder *e = new_vp8(1, 800);
    mrtc_vp8_decoder *d = NULL;
    CHECK_EQ(mrtc_vp8_decoder_new(&d), 0);
    CHECK_EQ(mrtc_i420_alloc(&img, W, H), 0);
    if (!e || !d || !img.buf)
        goto out;
    CHECK(mrtc_vp8_decoder_needs_keyframe(d));
    int decoded = 0, keys = 0;
    double worst = 100;
    for (unsigned i = 0; i < 60; i++) {
        mrtc_vp8_encoded enc;
        mrtc_video_frame pic;
        draw(&img, i, 0);
        bool force = i == 40;
        CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, 1000u + i * 3000u, force, &enc), 0);
        CHECK(enc.len > 0); /* 800 kbit/s is plenty: nothing dropped */
        if (enc.len == 0)
            continue;
        CHECK_EQ(enc.keyframe, i == 0 || i == 40);
        CHECK_EQ(enc.tid, 0);
        CHECK_EQ(enc.layer_sync, enc.keyframe);
        CHECK_EQ(enc.tl0picidx, (uint8_t)i);
        keys += enc.keyframe;
        int rc = mrtc_vp8_decoder_decode(d, enc.data, enc.len, &pic);
        CHECK_EQ(rc, 1);
        if (rc != 1)
            continue;
        CHECK_EQ(pic.width, W);
        CHECK_EQ(pic.height, H);
        double psnr = mrtc_i420_psnr_y(&img.f, &pic);
        worst = psnr < worst ? psnr : worst;
        decoded++;
    }
    CHECK_EQ(decoded, 60);
    CHECK_EQ(keys, 2);
    if (!(worst > 30))
        fprintf(stderr, "  worst PSNR-Y %.2f dB\n", worst);
    CHECK(worst > 30);
    CHECK(!mrtc_vp8_decoder_needs_keyframe(d));
out:
    mrtc_i420_free(&img);
    mrtc_vp8_encoder_free(e);
    mrtc_vp8_decoder_free(d);
}

/* Encodes 24 frames with `layers` temporal layers (a key frame forced at frame 13) and
 * checks TID, Y and TL0PICIDX against want_tid/want_sync; every decoder in dec[t] gets the
 * frames of layers <= t and must decode all of them well. */
static void check_layers(unsigned layers, const uint8_t *want_tid, const bool *want_sync)
{
    mrtc_i420 img = {0};
    mrtc_vp8_encoder *e = new_vp8(layers, 1200);
    mrtc_vp8_decoder *dec[3] = {NULL, NULL, NULL};
    CHECK_EQ(mrtc_i420_alloc(&img, W, H), 0);
    for (unsigned t = 0; t < layers; t++)
        CHECK_EQ(mrtc_vp8_decoder_new(&dec[t]), 0);
    if (!e || !img.buf)
        goto out;
    int tl0 = -1, decoded[3] = {0, 0, 0}, sent[3] = {0, 0, 0};
    double worst = 100;
    for (unsigned i = 0; i < 24; i++) {
        mrtc_vp8_encoded enc;
        draw(&img, i, 0);
        CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, i * 3000u, i == 13, &enc), 0);
        CHECK(enc.len > 0);
        if (enc.len == 0)
            continue;
        if (enc.tid != want_tid[i] || enc.layer_sync != want_sync[i])
            fprintf(stderr, "  %u layers, frame %u: tid %u sync %d, want %u %d\n", layers, i,
                    enc.tid, enc.layer_sync, want_tid[i], want_sync[i]);
        CHECK_EQ(enc.tid, want_tid[i]);
        CHECK_EQ(enc.layer_sync, want_sync[i]);
        CHECK_EQ(enc.keyframe, i == 0 || i == 13);
        if (enc.tid == 0)
            tl0++;
        CHECK_EQ(enc.tl0picidx, tl0);
        for (unsigned t = enc.tid; t < layers; t++) {
            mrtc_video_frame pic;
            sent[t]++;
            if (dec[t] && mrtc_vp8_decoder_decode(dec[t], enc.data, enc.len, &pic) == 1) {
                decoded[t]++;
                double psnr = mrtc_i420_psnr_y(&img.f, &pic);
                worst = psnr < worst ? psnr : worst;
            }
        }
    }
    for (unsigned t = 0; t < layers; t++)
        CHECK_EQ(decoded[t], sent[t]);
    if (!(worst > 30))
        fprintf(stderr, "  %u layers: worst PSNR-Y %.2f dB\n", layers, worst);
    CHECK(worst > 30);
out:
    for (unsigned t = 0; t < 3; t++)
        mrtc_vp8_decoder_free(dec[t]);
    mrtc_i420_free(&img);
    mrtc_vp8_encoder_free(e);
}

static void test_vp8_two_layers(void)
{
    /* Key frames at 0 and 13 restart the 8-frame pattern. */
    static const uint8_t tid[24] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                    0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
    static const bool sync[24] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
                                  0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    check_layers(2, tid, sync);
}

static void test_vp8_three_layers(void)
{
    static const uint8_t tid[24] = {0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 2,
                                    0, 0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1};
    static const bool sync[24] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0,
                                  0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1};
    check_layers(3, tid, sync);
}

/* Bytes produced over `frames` frames of grainy content starting at frame *i. */
static size_t encode_bytes(mrtc_vp8_encoder *e, mrtc_i420 *img, unsigned frames, unsigned *i)
{
    size_t total = 0;
    for (unsigned j = 0; j < frames; j++, (*i)++) {
        mrtc_vp8_encoded enc;
        draw(img, *i, 12);
        CHECK_EQ(mrtc_vp8_encoder_encode(e, &img->f, *i * 3000u, false, &enc), 0);
        total += enc.len;
    }
    return total;
}

static void test_vp8_bitrate(void)
{
    mrtc_i420 img = {0};
    mrtc_vp8_encoder *e = new_vp8(1, 300);
    CHECK_EQ(mrtc_i420_alloc(&img, W, H), 0);
    if (!e || !img.buf)
        goto out;
    unsigned i = 0;
    double kbps = (double)encode_bytes(e, &img, 60, &i) * 8 / 2 / 1000;
    CHECK_EQ(mrtc_vp8_encoder_set_bitrate(e, 100), 0);
    encode_bytes(e, &img, 30, &i); /* let the buffer drain */
    double low = (double)encode_bytes(e, &img, 60, &i) * 8 / 2 / 1000;
    if (!(kbps > 150 && kbps < 600 && low > 50 && low < 200 && low < kbps * 0.6))
        fprintf(stderr, "  %.0f kbit/s for 300, %.0f kbit/s for 100\n", kbps, low);
    CHECK(kbps > 150 && kbps < 600);
    CHECK(low > 50 && low < 200);
    CHECK(low < kbps * 0.6);
    CHECK_EQ(mrtc_vp8_encoder_set_bitrate(e, 0), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_encoder_set_bitrate(e, 100001), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_encoder_set_bitrate(NULL, 300), MRTC_EINVAL);
out:
    mrtc_i420_free(&img);
    mrtc_vp8_encoder_free(e);
}

static void test_vp8_bitrate_layers(void)
{
    mrtc_i420 img = {0};
    mrtc_vp8_encoder *e = new_vp8(3, 300);
    CHECK_EQ(mrtc_i420_alloc(&img, W, H), 0);
    if (!e || !img.buf)
        goto out;
    unsigned i = 0;
    double kbps = (double)encode_bytes(e, &img, 60, &i) * 8 / 2 / 1000;
    if (!(kbps > 150 && kbps < 600))
        fprintf(stderr, "  three layers: %.0f kbit/s for 300\n", kbps);
    CHECK(kbps > 150 && kbps < 600);
    CHECK_EQ(mrtc_vp8_encoder_set_bitrate(e, 500), 0);
out:
    mrtc_i420_free(&img);
    mrtc_vp8_encoder_free(e);
}

typedef struct stream {
    uint8_t data[8][65536];
    size_t len[8];
    bool key[8];
} stream;

/* Encodes 8 frames (key frames where keys[i]) into s. */
static bool encode_stream(stream *s, const bool *keys)
{
    mrtc_i420 img = {0};
    mrtc_vp8_encoder *e = new_vp8(1, 800);
    bool ok = e && mrtc_i420_alloc(&img, W, H) == 0;
    for (unsigned i = 0; ok && i < 8; i++) {
        mrtc_vp8_encoded enc;
        draw(&img, i, 0);
        ok = mrtc_vp8_encoder_encode(e, &img.f, i * 3000u, keys[i], &enc) == 0 && enc.len > 0 &&
             enc.len <= sizeof s->data[i];
        if (ok) {
            memcpy(s->data[i], enc.data, enc.len);
            s->len[i] = enc.len;
            s->key[i] = enc.keyframe;
        }
    }
    CHECK(ok);
    mrtc_i420_free(&img);
    mrtc_vp8_encoder_free(e);
    return ok;
}

static void test_vp8_decoder_garbage(void)
{
    static stream s;
    static const bool keys[8] = {1, 0, 0, 1, 0, 0, 1, 0};
    mrtc_vp8_decoder *d = NULL;
    mrtc_video_frame pic;
    uint8_t junk[4096];
    uint32_t seed = 99;

    if (!encode_stream(&s, keys))
        return;
    CHECK_EQ(mrtc_vp8_decoder_new(&d), 0);
    if (!d)
        return;
    /* An inter frame first: refused. */
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[1], s.len[1], &pic), MRTC_EPROTO);
    /* Garbage of many sizes, and garbage behind a valid key frame header. */
    for (size_t n = 0; n < 64; n++) {
        size_t len = (size_t)(lcg(&seed) % sizeof junk);
        for (size_t j = 0; j < len; j++)
            junk[j] = (uint8_t)lcg(&seed);
        if (n % 2) {
            memcpy(junk, s.data[0], len < 10 ? len : 10);
        }
        int rc = mrtc_vp8_decoder_decode(d, junk, len, &pic);
        CHECK(rc == MRTC_EPROTO || rc == 0 || rc == 1);
        if (rc == 1) {
            /* libvpx can make a picture of garbage: at least it has the header's size */
            CHECK_EQ(pic.width, W);
        }
    }
    /* Truncated key frame: refused, then the whole one decodes. */
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[0], s.len[0] / 2, &pic), MRTC_EPROTO);
    CHECK(mrtc_vp8_decoder_needs_keyframe(d));
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[0], 9, &pic), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[0], 2, &pic), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[0], 0, &pic), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[0], s.len[0], &pic), 1);
    CHECK_EQ(pic.width, W);
    CHECK(!mrtc_vp8_decoder_needs_keyframe(d));
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[1], s.len[1], &pic), 1);
    /* A truncated inter frame: refused, and the next inter frame too (references lost). */
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[2], s.len[2] / 2, &pic), MRTC_EPROTO);
    CHECK(mrtc_vp8_decoder_needs_keyframe(d));
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[2], s.len[2], &pic), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[3], s.len[3], &pic), 1);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[4], s.len[4], &pic), 1);
    /* A key frame with a forged size beyond the limit, then with a broken start code. */
    memcpy(junk, s.data[6], s.len[6] < sizeof junk ? s.len[6] : sizeof junk);
    junk[6] = 0xff, junk[7] = 0x3f;
    CHECK_EQ(
        mrtc_vp8_decoder_decode(d, junk, s.len[6] < sizeof junk ? s.len[6] : sizeof junk, &pic),
        MRTC_EPROTO);
    memcpy(junk, s.data[6], 16);
    junk[4] = 0x02;
    CHECK_EQ(mrtc_vp8_decoder_decode(d, junk, 16, &pic), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[5], s.len[5], &pic), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[6], s.len[6], &pic), 1);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[7], s.len[7], &pic), 1);
    CHECK_EQ(pic.height, H);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, NULL, 10, &pic), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_decoder_decode(d, s.data[7], s.len[7], NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_decoder_decode(NULL, s.data[7], s.len[7], &pic), MRTC_EINVAL);
    mrtc_vp8_decoder_free(d);
}

static void test_vp8_bad_config(void)
{
    mrtc_vp8_encoder_config cfg;
    mrtc_vp8_encoder *e = NULL;
    mrtc_i420 img = {0}, small = {0};

    mrtc_vp8_encoder_config_init(&cfg);
    CHECK_EQ(cfg.fps, 30);
    CHECK_EQ(cfg.bitrate_kbps, 800);
    CHECK_EQ(cfg.temporal_layers, 1);
    CHECK_EQ(cfg.cpu_used, -6);
    CHECK_EQ(cfg.threads, 1);
    CHECK_EQ(mrtc_vp8_encoder_new(&cfg, &e), MRTC_EINVAL); /* no size */
    static const struct {
        uint16_t w, h;
        unsigned fps, kbps, layers;
        int cpu;
        unsigned threads;
    } bad[] = {
        {321, 240, 30, 800, 1, -6, 1},  {320, 241, 30, 800, 1, -6, 1},
        {14, 240, 30, 800, 1, -6, 1},   {4098, 240, 30, 800, 1, -6, 1},
        {320, 240, 0, 800, 1, -6, 1},   {320, 240, 121, 800, 1, -6, 1},
        {320, 240, 30, 9, 1, -6, 1},    {320, 240, 30, 100001, 1, -6, 1},
        {320, 240, 30, 800, 0, -6, 1},  {320, 240, 30, 800, 4, -6, 1},
        {320, 240, 30, 800, 1, -17, 1}, {320, 240, 30, 800, 1, 17, 1},
        {320, 240, 30, 800, 1, -6, 0},  {320, 240, 30, 800, 1, -6, 17},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = (mrtc_vp8_encoder_config){.width = bad[i].w,
                                        .height = bad[i].h,
                                        .fps = bad[i].fps,
                                        .bitrate_kbps = bad[i].kbps,
                                        .temporal_layers = bad[i].layers,
                                        .cpu_used = bad[i].cpu,
                                        .threads = bad[i].threads};
        e = (mrtc_vp8_encoder *)&cfg;
        CHECK_EQ(mrtc_vp8_encoder_new(&cfg, &e), MRTC_EINVAL);
        CHECK(e == NULL);
    }
    CHECK_EQ(mrtc_vp8_encoder_new(NULL, &e), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_encoder_new(&cfg, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_decoder_new(NULL), MRTC_EINVAL);

    /* Wrong frames for a 320x240 encoder. */
    e = new_vp8(1, 800);
    CHECK_EQ(mrtc_i420_alloc(&img, W, H), 0);
    CHECK_EQ(mrtc_i420_alloc(&small, 160, 120), 0);
    if (!e || !img.buf || !small.buf)
        goto out;
    mrtc_vp8_encoded enc;
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &small.f, 0, false, &enc), MRTC_EINVAL);
    CHECK_EQ(enc.len, 0);
    mrtc_video_frame f = img.f;
    f.width = W + 2;
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &f, 0, false, &enc), MRTC_EINVAL);
    f = img.f;
    f.u = NULL;
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &f, 0, false, &enc), MRTC_EINVAL);
    f = img.f;
    f.stride_y = W - 1;
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &f, 0, false, &enc), MRTC_EINVAL);
    f = img.f;
    f.stride_v = W / 2 - 1;
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &f, 0, false, &enc), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_encoder_encode(e, NULL, 0, false, &enc), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, 0, false, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_encoder_encode(NULL, &img.f, 0, false, &enc), MRTC_EINVAL);
    /* The refusals left the encoder as it was: the first frame is still the key frame. */
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, 0, false, &enc), 0);
    CHECK(enc.keyframe && enc.len > 0);
    /* Timestamps that wrap or go backwards are accepted. */
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, 0xfffff000u, false, &enc), 0);
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, 0x00000100u, false, &enc), 0);
    CHECK_EQ(mrtc_vp8_encoder_encode(e, &img.f, 0x00000100u, false, &enc), 0);
    CHECK(!enc.keyframe);
out:
    mrtc_i420_free(&img);
    mrtc_i420_free(&small);
    mrtc_vp8_encoder_free(e);
    mrtc_vp8_encoder_free(NULL);
    mrtc_vp8_decoder_free(NULL);
}

static void test_vp8_alloc_failure(void)
{
    mrtc_vp8_encoder_config cfg;
    mrtc_vp8_encoder *e = NULL;
    mrtc_vp8_decoder *d = NULL;
    mrtc_vp8_encoder_config_init(&cfg);
    cfg.width = 64;
    cfg.height = 48;
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_vp8_encoder_new(&cfg, &e), MRTC_ENOMEM);
    CHECK(e == NULL);
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_vp8_decoder_new(&d), MRTC_ENOMEM);
    CHECK(d == NULL);
    mrtc_alloc_fail_after(0);
    CHECK_EQ(mrtc_vp8_encoder_new(&cfg, &e), 0);
    CHECK_EQ(mrtc_vp8_decoder_new(&d), 0);
    mrtc_vp8_encoder_free(e);
    mrtc_vp8_decoder_free(d);
}

/* ---- I420 ---- */

static void test_i420(void)
{
    mrtc_i420 a = {0}, b = {0};
    CHECK_EQ(mrtc_i420_alloc(&a, 33, 17), 0);
    CHECK_EQ(a.f.width, 33);
    CHECK_EQ(a.f.height, 17);
    CHECK_EQ(a.f.stride_y, 33);
    CHECK_EQ(a.f.stride_u, 17);
    CHECK_EQ(a.f.stride_v, 17);
    CHECK(mrtc_i420_y(&a) == a.f.y && mrtc_i420_u(&a) == a.f.u && mrtc_i420_v(&a) == a.f.v);
    CHECK(a.f.u == a.f.y + 33 * 17 && a.f.v == a.f.u + 17 * 9);
    CHECK_EQ(a.f.y[0], 16);
    CHECK_EQ(a.f.v[17 * 9 - 1], 128);
    for (int i = 0; i < 33 * 17; i++)
        mrtc_i420_y(&a)[i] = (uint8_t)(i * 7);
    CHECK_EQ(mrtc_i420_alloc(&b, 33, 17), 0);
    CHECK_EQ(mrtc_i420_copy(&b, &a.f), 0);
    CHECK(mrtc_i420_psnr_y(&a.f, &b.f) == MRTC_I420_PSNR_MAX);
    CHECK_MEM(a.buf, b.buf, 33 * 17 + 2 * 17 * 9);
    /* One pixel off by 10: MSE 100 / 561, PSNR 10 log10(65025 * 561 / 100). */
    mrtc_i420_y(&b)[5] = (uint8_t)(mrtc_i420_y(&b)[5] ^ 0x0a);
    int diff = (int)a.f.y[5] - (int)b.f.y[5];
    double want = 10 * log10(65025.0 * 561 / (diff * diff));
    CHECK(fabs(mrtc_i420_psnr_y(&a.f, &b.f) - want) < 1e-9);
    /* A view with padded strides compares and copies the same. */
    static uint8_t big[64 * 17 + 2 * 32 * 9];
    mrtc_video_frame v = {.width = 33,
                          .height = 17,
                          .y = big,
                          .u = big + 64 * 17,
                          .v = big + 64 * 17 + 32 * 9,
                          .stride_y = 64,
                          .stride_u = 32,
                          .stride_v = 32};
    for (int r = 0; r < 17; r++)
        memcpy(big + r * 64, a.f.y + r * 33, 33);
    CHECK(mrtc_i420_psnr_y(&a.f, &v) == MRTC_I420_PSNR_MAX);
    CHECK_EQ(mrtc_i420_copy(&b, &v), 0);
    CHECK(mrtc_i420_psnr_y(&a.f, &b.f) == MRTC_I420_PSNR_MAX);
    v.stride_u = 16;
    CHECK_EQ(mrtc_i420_copy(&b, &v), MRTC_EINVAL);
    mrtc_i420_free(&b);
    CHECK_EQ(mrtc_i420_alloc(&b, 32, 17), 0);
    CHECK(mrtc_i420_psnr_y(&a.f, &b.f) == -1);
    CHECK_EQ(mrtc_i420_copy(&b, &a.f), MRTC_EINVAL);
    CHECK(mrtc_i420_psnr_y(NULL, &b.f) == -1);
    mrtc_i420_free(&a);
    mrtc_i420_free(&b);
    mrtc_i420_free(&b); /* twice is fine */
    mrtc_i420_free(NULL);
    CHECK(mrtc_i420_y(&a) == NULL);
    CHECK_EQ(mrtc_i420_alloc(&a, 0, 10), MRTC_EINVAL);
    CHECK_EQ(mrtc_i420_alloc(&a, 10, MRTC_I420_MAX_DIM + 1), MRTC_EINVAL);
    CHECK_EQ(mrtc_i420_alloc(NULL, 10, 10), MRTC_EINVAL);
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_i420_alloc(&a, 10, 10), MRTC_ENOMEM);
    mrtc_alloc_fail_after(0);
    CHECK(a.buf == NULL);
}

int main(void)
{
    RUN(test_vp8_roundtrip);
    RUN(test_vp8_two_layers);
    RUN(test_vp8_three_layers);
    RUN(test_vp8_bitrate);
    RUN(test_vp8_bitrate_layers);
    RUN(test_vp8_decoder_garbage);
    RUN(test_vp8_bad_config);
    RUN(test_vp8_alloc_failure);
    RUN(test_i420);
    return test_finish();
}
