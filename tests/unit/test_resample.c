/* Tests of media/resample.c: 48000 -> 48000 is an exact copy; a 1 kHz sine through
 * 44100 -> 48000 -> 44100 keeps its frequency and amplitude (measured with a Goertzel
 * filter written here); at least 85 dB of stopband attenuation of images (8000 -> 48000,
 * 44100 -> 48000) and aliases (48000 -> 8000, 48000 -> 44100) next to the band edge; stereo
 * channels stay separate; a stream converted in odd chunk sizes (and empty calls) equals the
 * one-shot conversion for many rate pairs, including ratios that use interpolated phases; the
 * output counts reported by mrtc_resampler_output_for/input_for are exact; full-scale input
 * saturates instead of wrapping; reset; argument checks, ENOBUFS consuming nothing, allocation
 * failures; and the mono <-> stereo helpers, in place too. */
#include "test.h"

#include "media/resample.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define AMP 10000.0

/* Fills n frames (channel ch of `channels`) with AMP * sin(2 pi f t). */
static void sine(int16_t *x, size_t n, unsigned channels, unsigned ch, double f, double rate,
                 double amp)
{
    for (size_t i = 0; i < n; i++)
        x[i * channels + ch] = (int16_t)lrint(amp * sin(2.0 * M_PI * f * (double)i / rate));
}

/* The amplitude of the component at f Hz in n samples (stride apart) of x: a Goertzel filter
 * over a Hann-windowed block, scaled so a sine of amplitude A reads A. */
static double goertzel(const int16_t *x, size_t n, size_t stride, double f, double rate)
{
    double w = 2.0 * M_PI * f / rate, c = 2.0 * cos(w), s1 = 0.0, s2 = 0.0, wsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double win = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n);
        double s0 = x[i * stride] * win + c * s1 - s2;
        s2 = s1;
        s1 = s0;
        wsum += win;
    }
    double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return 2.0 * sqrt(power > 0 ? power : 0) / wsum;
}

static double db(double ratio)
{
    return 20.0 * log10(ratio > 1e-12 ? ratio : 1e-12);
}

/* Converts n frames one-shot into a new buffer (mrtc_malloc'd, *out_n frames). */
static int16_t *convert(unsigned from, unsigned to, unsigned channels, const int16_t *in, size_t n,
                        size_t *out_n)
{
    mrtc_resampler *rs = NULL;
    int16_t *out = NULL;
    *out_n = 0;
    CHECK_EQ(mrtc_resampler_new(from, to, channels, &rs), 0);
    if (!rs)
        return NULL;
    size_t cap = mrtc_resampler_output_for(rs, n);
    out = mrtc_malloc((cap ? cap : 1) * channels * sizeof *out);
    CHECK(out != NULL);
    if (out)
        CHECK_EQ(mrtc_resampler_process(rs, in, n, out, cap, out_n), 0);
    CHECK_EQ(*out_n, cap);
    mrtc_resampler_free(rs);
    return out;
}

static void test_passthrough(void)
{
    for (unsigned channels = 1; channels <= 2; channels++) {
        int16_t in[2 * 777], out[2 * 777];
        uint32_t s = 5;
        for (size_t i = 0; i < 2 * 777; i++) {
            s = s * 1103515245u + 12345u;
            in[i] = (int16_t)(s >> 16);
        }
        mrtc_resampler *rs = NULL;
        size_t n = 0;
        CHECK_EQ(mrtc_resampler_new(48000, 48000, channels, &rs), 0);
        if (!rs)
            continue;
        CHECK_EQ(mrtc_resampler_latency(rs), 0);
        CHECK_EQ(mrtc_resampler_output_for(rs, 777), 777);
        CHECK_EQ(mrtc_resampler_input_for(rs, 500), 500);
        CHECK_EQ(mrtc_resampler_process(rs, in, 777, out, 777, &n), 0);
        CHECK_EQ(n, 777);
        CHECK_MEM(out, in, 777 * channels * sizeof in[0]);
        CHECK_EQ(mrtc_resampler_process(rs, in, 777, out, 776, &n), MRTC_ENOBUFS);
        mrtc_resampler_free(rs);
    }
}

/* A 1 kHz sine to 48 kHz and back: frequency and amplitude survive both conversions. */
static void test_round_trip_sine(void)
{
    const size_t n = 3 * 44100;
    int16_t *in = mrtc_malloc(n * sizeof *in);
    size_t n48 = 0, nback = 0;
    if (!in)
        return;
    sine(in, n, 1, 0, 1000.0, 44100.0, AMP);
    int16_t *up = convert(44100, 48000, 1, in, n, &n48);
    int16_t *back = up ? convert(48000, 44100, 1, up, n48, &nback) : NULL;
    if (!up || !back)
        goto out;
    /* About n * 48000 / 44100 frames, less the latency. */
    CHECK(n48 > n * 48000 / 44100 - 100 && n48 <= n * 48000 / 44100);
    CHECK(nback > n - 200 && nback <= n);

    /* One second of each, past the start-up transient. */
    double a48 = goertzel(up + 4800, 48000, 1, 1000.0, 48000.0);
    double a = goertzel(back + 4410, 44100, 1, 1000.0, 44100.0);
    double a_in = goertzel(in + 4410, 44100, 1, 1000.0, 44100.0);
    if (fabs(db(a48 / a_in)) > 0.01 || fabs(db(a / a_in)) > 0.01)
        fprintf(stderr, "amplitudes: in %.2f, at 48 kHz %.2f, back %.2f\n", a_in, a48, a);
    CHECK(fabs(db(a48 / a_in)) < 0.01);
    CHECK(fabs(db(a / a_in)) < 0.01);

    /* The strongest component between 500 and 1500 Hz is at 1000 Hz (1 Hz steps). */
    double best_f = 0.0, best = -1.0;
    for (double f = 500.0; f <= 1500.0; f += 1.0) {
        double v = goertzel(back + 4410, 44100, 1, f, 44100.0);
        if (v > best) {
            best = v;
            best_f = f;
        }
    }
    CHECK_EQ(lrint(best_f), 1000);
    /* The signal is aligned with the input (no phase delay): compare sample by sample. */
    double err = 0.0;
    for (size_t i = 4410; i < nback - 100; i++)
        err = fmax(err, fabs((double)back[i] - in[i]));
    if (err > 3.0)
        fprintf(stderr, "largest difference after the round trip: %.1f\n", err);
    CHECK(err <= 3.0);
out:
    mrtc_free(in);
    mrtc_free(up);
    mrtc_free(back);
}

/* Attenuation in dB of `probe` Hz in the output of a `tone` Hz sine converted from -> to. */
static double leak_db(unsigned from, unsigned to, double tone, double probe)
{
    const double amp = 30000.0;
    size_t n = 2 * from, m = 0;
    int16_t *in = mrtc_malloc(n * sizeof *in);
    double att = 0.0;
    if (!in)
        return 0.0;
    sine(in, n, 1, 0, tone, from, amp);
    int16_t *out = convert(from, to, 1, in, n, &m);
    CHECK(out && m > to + to / 10);
    if (out && m > to + to / 10)
        att = db(goertzel(out + to / 10, to, 1, probe, to) / amp);
    mrtc_free(in);
    mrtc_free(out);
    return att;
}

/* Tones close to the band edge, where the attenuation is weakest (a sweep across the whole
 * stopband measured 90 to 91 dB). Full-scale-ish tones keep int16 rounding far below. */
static void test_stopband(void)
{
    /* Upsampling: a tone f at 8 kHz has an image at 8000 - f. */
    double image1 = leak_db(8000, 48000, 3900.0, 4100.0);
    double image2 = leak_db(44100, 48000, 21800.0, 22300.0);
    /* Downsampling: f above the output's Nyquist frequency would alias to rate - f. */
    double alias1 = leak_db(48000, 8000, 4100.0, 3900.0);
    double alias2 = leak_db(48000, 44100, 22300.0, 21800.0);
    /* The passband is untouched. */
    double pass1 = leak_db(8000, 48000, 3000.0, 3000.0);
    double pass2 = leak_db(48000, 11025, 1000.0, 1000.0);
    fprintf(stderr, "images %.1f / %.1f dB, aliases %.1f / %.1f dB, passband %.4f / %.4f dB\n",
            image1, image2, alias1, alias2, pass1, pass2);
    CHECK(image1 < -85.0);
    CHECK(image2 < -85.0);
    CHECK(alias1 < -85.0);
    CHECK(alias2 < -85.0);
    CHECK(fabs(pass1) < 0.01);
    CHECK(fabs(pass2) < 0.01);
}

static void test_stereo_separation(void)
{
    const size_t n = 2 * 44100;
    int16_t *in = mrtc_malloc(2 * n * sizeof *in);
    size_t m = 0;
    if (!in)
        return;
    sine(in, n, 2, 0, 1000.0, 44100.0, AMP);
    sine(in, n, 2, 1, 2500.0, 44100.0, AMP / 2);
    int16_t *out = convert(44100, 48000, 2, in, n, &m);
    if (out && m > 53000) {
        CHECK(fabs(db(goertzel(out + 9600, 48000, 2, 1000.0, 48000) / AMP)) < 0.01);
        CHECK(fabs(db(goertzel(out + 9601, 48000, 2, 2500.0, 48000) / (AMP / 2))) < 0.01);
        CHECK(db(goertzel(out + 9600, 48000, 2, 2500.0, 48000) / AMP) < -90.0);
        CHECK(db(goertzel(out + 9601, 48000, 2, 1000.0, 48000) / AMP) < -90.0);
    } else {
        CHECK(false);
    }
    mrtc_free(in);
    mrtc_free(out);
}

typedef struct rate_pair {
    unsigned from, to, channels;
} rate_pair;

static const rate_pair pairs[] = {
    {44100, 48000, 1}, {48000, 44100, 2},  {8000, 48000, 1},   {48000, 8000, 2},  {48000, 22050, 1},
    {11025, 48000, 2}, {192000, 48000, 1}, {48000, 192000, 2}, {96000, 48000, 1}, {16000, 48000, 1},
    {8001, 48000, 1},  {48000, 8001, 2},   {47999, 48000, 2},  {32000, 48000, 1},
};

/* Chunks of 0..977 frames (a generator seeded per pair) give the same bytes as one call. */
static void test_streaming_equals_one_shot(void)
{
    const size_t n = 30000;
    int16_t *in = mrtc_malloc(2 * n * sizeof *in);
    if (!in)
        return;
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        const rate_pair *p = &pairs[k];
        uint32_t s = 1 + (uint32_t)k;
        for (size_t i = 0; i < n * p->channels; i++) {
            s = s * 1664525u + 1013904223u;
            in[i] = (int16_t)((int32_t)(s >> 17) - 16384 + 8000 * sin((double)i * 0.01));
        }
        size_t one_n = 0;
        int16_t *one = convert(p->from, p->to, p->channels, in, n, &one_n);
        mrtc_resampler *rs = NULL;
        CHECK_EQ(mrtc_resampler_new(p->from, p->to, p->channels, &rs), 0);
        int16_t *chunked = mrtc_malloc((one_n + 1) * p->channels * sizeof *chunked);
        if (!one || !rs || !chunked) {
            CHECK(false);
            mrtc_free(one);
            mrtc_free(chunked);
            mrtc_resampler_free(rs);
            continue;
        }
        /* From a fresh converter: outputs whose last tap (latency frames ahead) is in. */
        size_t lat = mrtc_resampler_latency(rs);
        uint64_t want = ((uint64_t)(n - lat) * p->to + p->from - 1) / p->from;
        CHECK_U64(one_n, want);

        size_t at = 0, got = 0;
        while (at < n) {
            s = s * 1664525u + 1013904223u;
            size_t c = (s >> 8) % 978;
            if (c > n - at)
                c = n - at;
            size_t expect = mrtc_resampler_output_for(rs, c), m = 0;
            CHECK(got + expect <= one_n);
            if (got + expect > one_n)
                break;
            /* input_for is the inverse: exactly c frames when c makes `expect`, at least. */
            CHECK(mrtc_resampler_input_for(rs, expect) >= c);
            CHECK(mrtc_resampler_output_for(rs, mrtc_resampler_input_for(rs, expect)) == expect);
            CHECK_EQ(mrtc_resampler_process(rs, in + at * p->channels, c,
                                            chunked + got * p->channels, expect, &m),
                     0);
            CHECK_EQ(m, expect);
            got += m;
            at += c;
        }
        if (got != one_n)
            fprintf(stderr, "pair %u -> %u: %zu chunked vs %zu one-shot\n", p->from, p->to, got,
                    one_n);
        CHECK_EQ(got, one_n);
        if (got == one_n)
            CHECK_MEM(chunked, one, one_n * p->channels * sizeof *one);
        mrtc_free(one);
        mrtc_free(chunked);
        mrtc_resampler_free(rs);
    }
    mrtc_free(in);
}

/* A full-scale square wave rings past full scale after filtering: it must clip, not wrap. */
static void test_saturation(void)
{
    const size_t n = 8820;
    int16_t *in = mrtc_malloc(n * sizeof *in);
    size_t m = 0;
    if (!in)
        return;
    for (size_t i = 0; i < n; i++)
        in[i] = (i / 22) % 2 ? -32768 : 32767; /* about 1 kHz */
    int16_t *out = convert(44100, 48000, 1, in, n, &m);
    int16_t lo = 0, hi = 0;
    size_t wrapped = 0;
    for (size_t i = 100; out && i < m; i++) {
        /* Away from the edges, the output keeps the input's sign. */
        size_t src = (size_t)((double)i * 44100.0 / 48000.0);
        size_t phase = src % 22;
        if (phase >= 5 && phase <= 16 && ((out[i] > 0) != (in[src] > 0)))
            wrapped++;
        lo = out[i] < lo ? out[i] : lo;
        hi = out[i] > hi ? out[i] : hi;
    }
    CHECK_EQ(wrapped, 0);
    CHECK_EQ(hi, 32767);
    CHECK_EQ(lo, -32768);
    mrtc_free(in);
    mrtc_free(out);
}

static void test_reset(void)
{
    int16_t in[2000], a[3000], b[3000];
    size_t na = 0, nb = 0, junk = 0;
    mrtc_resampler *rs = NULL;
    sine(in, 2000, 1, 0, 440.0, 32000.0, AMP);
    CHECK_EQ(mrtc_resampler_new(32000, 48000, 1, &rs), 0);
    if (!rs)
        return;
    CHECK_EQ(mrtc_resampler_process(rs, in, 2000, a, 3000, &na), 0);
    CHECK_EQ(mrtc_resampler_process(rs, in, 777, b, 3000, &junk), 0);
    mrtc_resampler_reset(rs);
    CHECK_EQ(mrtc_resampler_process(rs, in, 2000, b, 3000, &nb), 0);
    CHECK_EQ(na, nb);
    CHECK_MEM(a, b, na * sizeof a[0]);
    mrtc_resampler_free(rs);
}

static void test_invalid(void)
{
    mrtc_resampler *rs = (mrtc_resampler *)1;
    int16_t in[480] = {0}, out[600];
    size_t n = 0;

    CHECK_EQ(mrtc_resampler_new(7999, 48000, 1, &rs), MRTC_EINVAL);
    CHECK(rs == NULL);
    CHECK_EQ(mrtc_resampler_new(48000, 192001, 1, &rs), MRTC_EINVAL);
    CHECK_EQ(mrtc_resampler_new(48000, 44100, 0, &rs), MRTC_EINVAL);
    CHECK_EQ(mrtc_resampler_new(48000, 44100, 3, &rs), MRTC_EINVAL);
    CHECK_EQ(mrtc_resampler_new(48000, 44100, 1, NULL), MRTC_EINVAL);
    mrtc_resampler_free(NULL);

    CHECK_EQ(mrtc_resampler_new(44100, 48000, 1, &rs), 0);
    if (!rs)
        return;
    CHECK_EQ(mrtc_resampler_process(rs, NULL, 10, out, 600, &n), MRTC_EINVAL);
    CHECK_EQ(mrtc_resampler_process(rs, in, 10, out, 600, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_resampler_process(rs, in, MRTC_RESAMPLE_MAX_INPUT + 1, out, 600, &n),
             MRTC_EINVAL);
    CHECK_EQ(mrtc_resampler_process(rs, NULL, 0, NULL, 0, &n), 0);
    CHECK_EQ(n, 0);
    /* Too small an output: refused, and nothing was consumed. */
    size_t need = mrtc_resampler_output_for(rs, 480);
    CHECK(need > 0);
    CHECK_EQ(mrtc_resampler_process(rs, in, 480, out, need - 1, &n), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_resampler_output_for(rs, 480), need);
    CHECK_EQ(mrtc_resampler_process(rs, in, 480, out, need, &n), 0);
    CHECK_EQ(n, need);
    mrtc_resampler_free(rs);

    for (long k = 1; k <= 4; k++) {
        rs = (mrtc_resampler *)1;
        mrtc_alloc_fail_after(k);
        CHECK_EQ(mrtc_resampler_new(44100, 48000, 2, &rs), MRTC_ENOMEM);
        CHECK(rs == NULL);
        mrtc_alloc_fail_after(0);
    }
}

static void test_channel_helpers(void)
{
    int16_t mono[4] = {1, -2, 32767, -32768};
    int16_t stereo[8];
    int16_t buf[8] = {1, -2, 32767, -32768};
    static const int16_t want_stereo[8] = {1, 1, -2, -2, 32767, 32767, -32768, -32768};

    mrtc_resample_mono_to_stereo(mono, 4, stereo);
    CHECK_MEM(stereo, want_stereo, sizeof want_stereo);
    mrtc_resample_mono_to_stereo(buf, 4, buf); /* in place */
    CHECK_MEM(buf, want_stereo, sizeof want_stereo);

    int16_t st[8] = {100, 200, -3, 0, 32767, 32767, -32768, 32767};
    static const int16_t want_mono[4] = {150, -2, 32767, -1};
    int16_t out[4];
    mrtc_resample_stereo_to_mono(st, 4, out);
    CHECK_MEM(out, want_mono, sizeof want_mono);
    mrtc_resample_stereo_to_mono(st, 4, st); /* in place */
    CHECK_MEM(st, want_mono, sizeof want_mono);
}

int main(void)
{
    RUN(test_passthrough);
    RUN(test_round_trip_sine);
    RUN(test_stopband);
    RUN(test_stereo_separation);
    RUN(test_streaming_equals_one_shot);
    RUN(test_saturation);
    RUN(test_reset);
    RUN(test_invalid);
    RUN(test_channel_helpers);
    return test_finish();
}
