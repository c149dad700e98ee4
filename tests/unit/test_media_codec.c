/* Tests of media/opus_codec.c (the VP8 and I420 tests are in test_media_vp8.c).
 *
 * A second of a 440 Hz sine survives encode and decode (Goertzel energy at 440 Hz
 * dominates, the lengths add up) in mono and stereo; a lost packet recovered from the next
 * packet's in-band FEC is much closer to what the lossless decoder produced than
 * concealment is, and FEC sized for no loss recovers nothing; concealment lengths; corrupt
 * packets refused with the decoder still working; DTX shrinks silence to packets of at
 * most 2 bytes; bitrate changes show in packet sizes; bad arguments; every allocation
 * failure leaks nothing. */
#include "test.h"

#include "media/opus_codec.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define PI 3.14159265358979323846
#define FRAME MRTC_AUDIO_FRAME_SAMPLES
#define RATE MRTC_AUDIO_RATE

/* ---- Audio helpers ---- */

/* Power of pcm (n samples, every `step`-th from the start: one channel of interleaved
 * audio) at freq Hz, normalised by n^2. */
static double goertzel(const int16_t *pcm, size_t n, size_t step, double freq)
{
    double coeff = 2.0 * cos(2.0 * PI * freq / RATE), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = pcm[i * step] / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((double)n * (double)n);
}

static void sine(int16_t *pcm, size_t frames, unsigned channels, size_t start, double freq,
                 double amp)
{
    for (size_t i = 0; i < frames; i++) {
        int16_t v = (int16_t)lrint(amp * sin(2.0 * PI * freq * (double)(start + i) / RATE));
        for (unsigned c = 0; c < channels; c++)
            pcm[i * channels + c] = v;
    }
}

/* Voice-like test signal for frame k: a harmonic series whose fundamental changes from
 * frame to frame, so concealment (which extrapolates the last frame) cannot guess it. */
static void voiced(int16_t *pcm, size_t k)
{
    static const double f0s[] = {140, 230, 180, 260, 120, 200, 160, 240};
    double f0 = f0s[k % 8];
    for (size_t i = 0; i < FRAME; i++) {
        double t = (double)(k * FRAME + i) / RATE, v = 0;
        for (int h = 1; h <= 6; h++)
            v += sin(2.0 * PI * f0 * h * t) / h;
        pcm[i] = (int16_t)lrint(6000.0 * v);
    }
}

/* Normalised correlation of two equal-length signals (1: same shape). */
static double correlation(const int16_t *a, const int16_t *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

static mrtc_opus_encoder *new_encoder(unsigned channels, bool dtx)
{
    mrtc_opus_encoder_config cfg;
    mrtc_opus_encoder *e = NULL;
    mrtc_opus_encoder_config_init(&cfg);
    cfg.channels = channels;
    cfg.dtx = dtx;
    CHECK_EQ(mrtc_opus_encoder_new(&cfg, &e), 0);
    return e;
}

/* ---- Opus ---- */

static void check_sine_roundtrip(unsigned channels)
{
    static int16_t in[FRAME * 2], out[MRTC_OPUS_DECODER_MAX_FRAMES * 2], all[RATE * 2];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    mrtc_opus_encoder *e = new_encoder(channels, false);
    mrtc_opus_decoder *d = NULL;
    CHECK_EQ(mrtc_opus_decoder_new(channels, &d), 0);
    if (!e || !d)
        goto out;
    size_t total = 0;
    for (size_t k = 0; k < RATE / FRAME; k++) {
        sine(in, FRAME, channels, k * FRAME, 440, 12000);
        int n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
        CHECK(n > 2);
        if (n <= 0)
            break;
        int got = mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, MRTC_OPUS_DECODER_MAX_FRAMES);
        CHECK_EQ(got, FRAME);
        if (got != FRAME)
            break;
        memcpy(all + total * channels, out, sizeof(int16_t) * FRAME * channels);
        total += FRAME;
    }
    CHECK_EQ(total, RATE);
    /* The second half of the second, past the codec's start-up. */
    for (unsigned c = 0; c < channels; c++) {
        const int16_t *p = all + (RATE / 2) * channels + c;
        double at = goertzel(p, RATE / 2, channels, 440);
        static const double others[] = {220, 330, 550, 880, 1320, 3000};
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
            double o = goertzel(p, RATE / 2, channels, others[i]);
            if (!(at > 100 * o))
                fprintf(stderr, "  channel %u: 440 Hz %g vs %g Hz %g\n", c, at, others[i], o);
            CHECK(at > 100 * o);
        }
        CHECK(at > 0.01); /* amplitude kept: a 12000/32768 sine gives ~0.033 */
    }
out:
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(d);
}

static void test_opus_sine_mono(void)
{
    check_sine_roundtrip(1);
}

static void test_opus_sine_stereo(void)
{
    check_sine_roundtrip(2);
}

#define FEC_FRAMES 40

/* Encodes FEC_FRAMES voiced frames with the given expected loss; loses packet `lost` and
 * recovers it with decode_fec (fec true) or conceal; returns the correlation of the
 * recovered frame with what a decoder without loss produced for it. */
static double fec_recovery(int loss_perc, size_t lost, bool fec)
{
    static uint8_t pkts[FEC_FRAMES][MRTC_OPUS_ENCODER_MAX_PACKET];
    static int16_t ref[FEC_FRAMES][FRAME], got[FRAME], in[FRAME];
    int lens[FEC_FRAMES];
    mrtc_opus_encoder *e = new_encoder(1, false);
    mrtc_opus_decoder *clean = NULL, *lossy = NULL;
    double corr = -2;
    CHECK_EQ(mrtc_opus_decoder_new(1, &clean), 0);
    CHECK_EQ(mrtc_opus_decoder_new(1, &lossy), 0);
    if (!e || !clean || !lossy)
        goto out;
    CHECK_EQ(mrtc_opus_encoder_set_packet_loss(e, loss_perc), 0);
    for (size_t k = 0; k < FEC_FRAMES; k++) {
        voiced(in, k);
        lens[k] = mrtc_opus_encoder_encode(e, in, pkts[k], sizeof pkts[k]);
        CHECK(lens[k] > 2);
        if (lens[k] <= 0)
            goto out;
        CHECK_EQ(mrtc_opus_decoder_decode(clean, pkts[k], (size_t)lens[k], ref[k], FRAME), FRAME);
    }
    for (size_t k = 0; k < lost; k++)
        CHECK_EQ(mrtc_opus_decoder_decode(lossy, pkts[k], (size_t)lens[k], got, FRAME), FRAME);
    if (fec)
        CHECK_EQ(
            mrtc_opus_decoder_decode_fec(lossy, pkts[lost + 1], (size_t)lens[lost + 1], FRAME, got),
            FRAME);
    else
        CHECK_EQ(mrtc_opus_decoder_conceal(lossy, FRAME, got), FRAME);
    corr = correlation(got, ref[lost], FRAME);
    /* The next packet still decodes normally afterwards. */
    CHECK_EQ(mrtc_opus_decoder_decode(lossy, pkts[lost + 1], (size_t)lens[lost + 1], got, FRAME),
             FRAME);
out:
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(clean);
    mrtc_opus_decoder_free(lossy);
    return corr;
}

static void test_opus_fec(void)
{
    /* SILK codes LBRR for most frames, not all: judge over many lost positions. */
    double sum_fec = 0, sum_plc = 0, sum_none = 0;
    int good = 0, n = 0;
    for (size_t lost = 10; lost < FEC_FRAMES - 2; lost++, n++) {
        double fec = fec_recovery(20, lost, true);
        good += fec > 0.8;
        sum_fec += fec;
        sum_plc += fec_recovery(20, lost, false);
        sum_none += fec_recovery(0, lost, true); /* no LBRR coded: libopus conceals */
    }
    double fec = sum_fec / n, plc = sum_plc / n, none = sum_none / n;
    if (!(good >= n * 3 / 4 && fec > plc + 0.4 && fec > none + 0.4))
        fprintf(stderr,
                "  %d of %d recovered; mean correlation: fec %.3f, conceal %.3f, "
                "fec without LBRR %.3f\n",
                good, n, fec, plc, none);
    CHECK(good >= n * 3 / 4);
    CHECK(fec > plc + 0.4);
    CHECK(fec > none + 0.4);
}

static void test_opus_conceal(void)
{
    static int16_t in[FRAME], out[MRTC_OPUS_DECODER_MAX_FRAMES];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    mrtc_opus_encoder *e = new_encoder(1, false);
    mrtc_opus_decoder *d = NULL;
    CHECK_EQ(mrtc_opus_decoder_new(1, &d), 0);
    if (!e || !d)
        goto out;
    /* Before any packet: silence of the asked length. */
    memset(out, 0x55, sizeof out);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, FRAME, out), FRAME);
    int peak = 0;
    for (size_t i = 0; i < FRAME; i++)
        peak = abs(out[i]) > peak ? abs(out[i]) : peak;
    CHECK(peak < 100);
    for (size_t k = 0; k < 10; k++) {
        sine(in, FRAME, 1, k * FRAME, 440, 12000);
        int n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
        CHECK(n > 0);
        CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, FRAME), FRAME);
    }
    /* After a sine: the concealed frame continues it. */
    CHECK_EQ(mrtc_opus_decoder_conceal(d, FRAME, out), FRAME);
    CHECK(goertzel(out, FRAME, 1, 440) > 10 * goertzel(out, FRAME, 1, 1000));
    CHECK_EQ(mrtc_opus_decoder_conceal(d, 480, out), 480);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, 120, out), 120);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, 2880, out), 2880);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, 100, out), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, 0, out), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, MRTC_OPUS_DECODER_MAX_FRAMES + 120, out), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_conceal(d, FRAME, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_conceal(NULL, FRAME, out), MRTC_EINVAL);
out:
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(d);
}

static void test_opus_corrupt(void)
{
    static int16_t in[FRAME], out[MRTC_OPUS_DECODER_MAX_FRAMES];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    /* RFC 6716 section 3.4 violations; TOC 0x78: SILK-only WB 20 ms (config 15... any). */
    static const struct {
        const char *what;
        uint8_t bytes[8];
        size_t len;
    } bad[] = {
        {"code 1, odd payload", {0x79, 1, 2, 3}, 4},
        {"code 2, first frame past the end", {0x7a, 200, 1, 2}, 4},
        {"code 2, missing length", {0x7a}, 1},
        {"code 3, zero frames", {0x7b, 0x00, 1, 2}, 4},
        {"code 3, 49 frames (over 120 ms)", {0x7b, 0x31, 1, 2}, 4},
        {"code 3 CBR, payload not divisible", {0x7b, 0x02, 1, 2, 3}, 5},
        {"code 3 padding past the end", {0x7b, 0x41, 0xff, 0xff, 0x10}, 5},
    };
    mrtc_opus_encoder *e = new_encoder(1, false);
    mrtc_opus_decoder *d = NULL;
    CHECK_EQ(mrtc_opus_decoder_new(1, &d), 0);
    if (!e || !d)
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* A good packet, then the bad one, then good ones again. */
        for (int j = 0; j < 3; j++, k++) {
            sine(in, FRAME, 1, k * FRAME, 440, 12000);
            int n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
            CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, FRAME), FRAME);
        }
        int rc = mrtc_opus_decoder_decode(d, bad[i].bytes, bad[i].len, out, FRAME);
        if (rc != MRTC_EPROTO)
            fprintf(stderr, "  %s: %d\n", bad[i].what, rc);
        CHECK_EQ(rc, MRTC_EPROTO);
        CHECK_EQ(mrtc_opus_decoder_decode_fec(d, bad[i].bytes, bad[i].len, FRAME, out),
                 MRTC_EPROTO);
    }
    CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, 0, out, FRAME), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_decoder_decode_fec(d, pkt, 0, FRAME, out), MRTC_EPROTO);
    /* A 20 ms packet does not fit 10 ms; the decoder is unchanged. */
    sine(in, FRAME, 1, k++ * FRAME, 440, 12000);
    int n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
    CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, 480), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, 0), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, FRAME), FRAME);
    /* Still decoding the sine. */
    for (int j = 0; j < 5; j++, k++) {
        sine(in, FRAME, 1, k * FRAME, 440, 12000);
        n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
        CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, FRAME), FRAME);
    }
    CHECK(goertzel(out, FRAME, 1, 440) > 100 * goertzel(out, FRAME, 1, 1000));
    CHECK_EQ(mrtc_opus_decoder_decode(d, NULL, 3, out, FRAME), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, NULL, FRAME), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_decode(NULL, pkt, (size_t)n, out, FRAME), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_decode_fec(d, pkt, (size_t)n, 100, out), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_decode_fec(d, pkt, (size_t)n, 0, out), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_decode_fec(d, NULL, 3, FRAME, out), MRTC_EINVAL);
out:
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(d);
}

/* Encodes `frames` frames of silence; returns how many packets were at most 2 bytes. */
static int tiny_silence_packets(bool dtx, int frames)
{
    static int16_t zero[FRAME];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    mrtc_opus_encoder *e = new_encoder(1, dtx);
    mrtc_opus_decoder *d = NULL;
    int tiny = 0;
    CHECK_EQ(mrtc_opus_decoder_new(1, &d), 0);
    if (!e || !d)
        goto out;
    for (int k = 0; k < frames; k++) {
        int16_t out[FRAME];
        int n = mrtc_opus_encoder_encode(e, zero, pkt, sizeof pkt);
        CHECK(n > 0);
        if (n <= MRTC_OPUS_DTX_MAX_BYTES)
            tiny++;
        /* DTX packets are valid Opus packets too. */
        CHECK_EQ(mrtc_opus_decoder_decode(d, pkt, (size_t)n, out, FRAME), FRAME);
    }
out:
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(d);
    return tiny;
}

static void test_opus_dtx(void)
{
    int with = tiny_silence_packets(true, 100);
    int without = tiny_silence_packets(false, 100);
    if (!(with >= 80 && without == 0))
        fprintf(stderr, "  tiny packets: %d with DTX, %d without\n", with, without);
    CHECK(with >= 80);
    CHECK_EQ(without, 0);
}

static int average_size(mrtc_opus_encoder *e, int frames, size_t *k)
{
    static int16_t in[FRAME];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    long sum = 0;
    for (int j = 0; j < frames; j++, (*k)++) {
        voiced(in, *k);
        int n = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
        CHECK(n > 0);
        sum += n;
    }
    return (int)(sum / frames);
}

static void test_opus_bitrate(void)
{
    static int16_t in[FRAME];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    mrtc_opus_encoder *e = new_encoder(1, false);
    size_t k = 0;
    if (!e)
        return;
    CHECK_EQ(mrtc_opus_encoder_set_bitrate(e, 16000), 0);
    int low = average_size(e, 25, &k);
    CHECK_EQ(mrtc_opus_encoder_set_bitrate(e, 64000), 0);
    average_size(e, 5, &k); /* settle */
    int high = average_size(e, 25, &k);
    /* 16 kbit/s is 40 bytes per 20 ms, 64 kbit/s 160 bytes. */
    if (!(low >= 20 && low <= 80 && high >= 100 && high <= 200 && high > 2 * low))
        fprintf(stderr, "  average packet: %d bytes at 16 kbit/s, %d at 64 kbit/s\n", low, high);
    CHECK(low >= 20 && low <= 80);
    CHECK(high >= 100 && high <= 200);
    CHECK(high > 2 * low);
    /* A packet longer than the capacity is refused; the encoder goes on. */
    voiced(in, k++);
    CHECK_EQ(mrtc_opus_encoder_encode(e, in, pkt, 40), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_opus_encoder_encode(e, in, pkt, 0), MRTC_ENOBUFS);
    voiced(in, k++);
    int n = mrtc_opus_encoder_encode(e, in, pkt, 250);
    CHECK(n > 100 && n <= 250);
    CHECK_EQ(mrtc_opus_encoder_encode(e, NULL, pkt, sizeof pkt), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_encode(e, in, NULL, sizeof pkt), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_encode(NULL, in, pkt, sizeof pkt), MRTC_EINVAL);
    mrtc_opus_encoder_free(e);
}

static void test_opus_bad_config(void)
{
    mrtc_opus_encoder_config cfg;
    mrtc_opus_encoder *e = (mrtc_opus_encoder *)&cfg;
    mrtc_opus_decoder *d = (mrtc_opus_decoder *)&cfg;

    mrtc_opus_encoder_config_init(&cfg);
    CHECK_EQ(cfg.channels, 1);
    CHECK_EQ(cfg.bitrate_bps, 32000);
    CHECK(cfg.inband_fec);
    CHECK_EQ(cfg.packet_loss_perc, 10);
    CHECK(!cfg.dtx);
    CHECK_EQ(cfg.complexity, 8);

    static const struct {
        unsigned channels;
        int bitrate, loss, complexity;
    } bad[] = {{0, 32000, 10, 8},  {3, 32000, 10, 8},  {1, 5999, 10, 8},
               {1, 510001, 10, 8}, {1, 32000, -1, 8},  {1, 32000, 101, 8},
               {1, 32000, 10, -1}, {1, 32000, 10, 11}, {2, -32000, 10, 8}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mrtc_opus_encoder_config_init(&cfg);
        cfg.channels = bad[i].channels;
        cfg.bitrate_bps = bad[i].bitrate;
        cfg.packet_loss_perc = bad[i].loss;
        cfg.complexity = bad[i].complexity;
        e = (mrtc_opus_encoder *)&cfg;
        CHECK_EQ(mrtc_opus_encoder_new(&cfg, &e), MRTC_EINVAL);
        CHECK(e == NULL);
    }
    mrtc_opus_encoder_config_init(&cfg);
    CHECK_EQ(mrtc_opus_encoder_new(NULL, &e), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_new(&cfg, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_new(0, &d), MRTC_EINVAL);
    CHECK(d == NULL);
    CHECK_EQ(mrtc_opus_decoder_new(3, &d), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_decoder_new(1, NULL), MRTC_EINVAL);

    /* Extreme but valid settings work; setters check their ranges. */
    cfg.channels = 2;
    cfg.bitrate_bps = 510000;
    cfg.complexity = 0;
    cfg.packet_loss_perc = 100;
    cfg.inband_fec = false;
    cfg.dtx = true;
    CHECK_EQ(mrtc_opus_encoder_new(&cfg, &e), 0);
    CHECK_EQ(mrtc_opus_encoder_set_bitrate(e, 5999), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_set_bitrate(e, 510001), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_set_bitrate(e, 6000), 0);
    CHECK_EQ(mrtc_opus_encoder_set_bitrate(NULL, 6000), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_set_packet_loss(e, -1), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_set_packet_loss(e, 101), MRTC_EINVAL);
    CHECK_EQ(mrtc_opus_encoder_set_packet_loss(e, 0), 0);
    CHECK_EQ(mrtc_opus_encoder_set_packet_loss(NULL, 0), MRTC_EINVAL);
    mrtc_opus_encoder_free(e);
    mrtc_opus_encoder_free(NULL);
    mrtc_opus_decoder_free(NULL);
}

static void test_opus_alloc_failure(void)
{
    mrtc_opus_encoder_config cfg;
    mrtc_opus_encoder_config_init(&cfg);
    int failures = 0;
    for (long n = 1; n < 10; n++) {
        mrtc_opus_encoder *e = NULL;
        mrtc_alloc_fail_after(n);
        int rc = mrtc_opus_encoder_new(&cfg, &e);
        mrtc_alloc_fail_after(0);
        if (rc == 0) {
            mrtc_opus_encoder_free(e);
            break;
        }
        CHECK_EQ(rc, MRTC_ENOMEM);
        CHECK(e == NULL);
        failures++;
    }
    CHECK_EQ(failures, 2);
    failures = 0;
    for (long n = 1; n < 10; n++) {
        mrtc_opus_decoder *d = NULL;
        mrtc_alloc_fail_after(n);
        int rc = mrtc_opus_decoder_new(2, &d);
        mrtc_alloc_fail_after(0);
        if (rc == 0) {
            mrtc_opus_decoder_free(d);
            break;
        }
        CHECK_EQ(rc, MRTC_ENOMEM);
        CHECK(d == NULL);
        failures++;
    }
    CHECK_EQ(failures, 2);
}

int main(void)
{
    RUN(test_opus_sine_mono);
    RUN(test_opus_sine_stereo);
    RUN(test_opus_fec);
    RUN(test_opus_conceal);
    RUN(test_opus_corrupt);
    RUN(test_opus_dtx);
    RUN(test_opus_bitrate);
    RUN(test_opus_bad_config);
    RUN(test_opus_alloc_failure);
    return test_finish();
}
