/*
 * Audio measurements for tests and the recording checker. The dominant frequency comes from
 * averaged power spectra (Welch's method: Hann-windowed segments, an iterative radix-2 FFT
 * written here, and Gaussian interpolation of the peak over its neighbouring bins, which is
 * exact for a Gaussian-shaped peak and within a small fraction of a bin for Hann); the gap
 * detector slides a 5 ms RMS window over the signal; the onset detector looks for the first
 * sample above a level after 50 ms at or below it.
 *
 * Deliberately not done: multiple tones, pitch tracking over time, loudness weighting, or
 * anything that needs more than mono PCM (the caller downmixes).
 */
#include "media/analysis.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdbool.h>

#define MIN_HZ 50.0
#define MAX_SEGMENTS 32
#define BAND 0.05 /* +-5% around the dominant frequency */

/* In-place complex FFT of size n (a power of two); tw_re/tw_im hold cos/-sin(2 pi k / n)
 * for k < n/2. */
static void fft(double *re, double *im, size_t n, const double *tw_re, const double *tw_im)
{
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len / 2, step = n / len;
        for (size_t i = 0; i < n; i += len) {
            for (size_t k = 0; k < half; k++) {
                double wr = tw_re[k * step], wi = tw_im[k * step];
                size_t a = i + k, b = a + half;
                double xr = re[b] * wr - im[b] * wi;
                double xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
    }
}

double mrtc_audio_dominant_hz(const int16_t *mono, size_t n, unsigned rate, double *power_ratio)
{
    double *mem = NULL;
    double hz = 0.0, ratio = 0.0;

    if ((!mono && n) || rate < 8000 || rate > 192000)
        return MRTC_EINVAL;
    if (n < 64)
        goto out;
    size_t seg = 1;
    while (seg < rate)
        seg <<= 1;
    size_t win = n < seg ? n : seg;
    size_t nseg = (n + seg - 1) / seg;
    if (nseg > MAX_SEGMENTS)
        nseg = MAX_SEGMENTS;
    size_t bins = seg / 2 + 1;

    mem = mrtc_malloc(sizeof(double) * (2 * seg + bins + seg));
    if (!mem)
        return MRTC_ENOMEM;
    double *re = mem, *im = re + seg, *pow = im + seg, *tw_re = pow + bins,
           *tw_im = tw_re + seg / 2;
    for (size_t k = 0; k < seg / 2; k++) {
        tw_re[k] = cos(2.0 * M_PI * (double)k / (double)seg);
        tw_im[k] = -sin(2.0 * M_PI * (double)k / (double)seg);
    }
    for (size_t k = 0; k < bins; k++)
        pow[k] = 0.0;
    for (size_t s = 0; s < nseg; s++) {
        size_t start = nseg > 1 ? s * (n - win) / (nseg - 1) : 0;
        for (size_t j = 0; j < seg; j++) {
            double w = win > 1 ? 0.5 - 0.5 * cos(2.0 * M_PI * (double)j / (double)(win - 1)) : 1;
            re[j] = j < win ? w * mono[start + j] : 0.0;
            im[j] = 0.0;
        }
        fft(re, im, seg, tw_re, tw_im);
        for (size_t k = 0; k < bins; k++)
            pow[k] += re[k] * re[k] + im[k] * im[k];
    }

    double bin_hz = (double)rate / (double)seg, total = 0.0, best = 0.0;
    size_t kbest = 0;
    size_t kmin = (size_t)ceil(MIN_HZ / bin_hz);
    for (size_t k = 0; k < bins; k++)
        total += pow[k];
    for (size_t k = kmin < 1 ? 1 : kmin; k + 1 < bins; k++) {
        if (pow[k] > best) {
            best = pow[k];
            kbest = k;
        }
    }
    if (best <= 0.0 || total <= 0.0)
        goto out;
    /* Gaussian interpolation: fit a parabola through the logs of the three powers. */
    double la = log(pow[kbest - 1] + 1e-30), lb = log(pow[kbest] + 1e-30);
    double lc = log(pow[kbest + 1] + 1e-30), den = la - 2.0 * lb + lc;
    double delta = den < 0.0 ? 0.5 * (la - lc) / den : 0.0;
    if (delta > 0.5 || delta < -0.5)
        delta = 0.0;
    hz = ((double)kbest + delta) * bin_hz;
    double band = 0.0;
    for (size_t k = 0; k < bins; k++) {
        double f = (double)k * bin_hz;
        if (f >= hz * (1.0 - BAND) && f <= hz * (1.0 + BAND))
            band += pow[k];
    }
    ratio = band / total;
out:
    mrtc_free(mem);
    if (power_ratio)
        *power_ratio = ratio;
    return hz;
}

size_t mrtc_audio_longest_gap(const int16_t *mono, size_t n, unsigned rate, int16_t threshold)
{
    size_t w = rate / 200, best = 0, run_start = 0, run_end = 0;
    bool in_run = false;

    if (!mono || n == 0 || w == 0 || threshold <= 0)
        return 0;
    if (w > n)
        w = n;
    /* RMS < threshold  <=>  sum of squares < threshold^2 * w */
    uint64_t limit = (uint64_t)threshold * (uint64_t)threshold * w, sum = 0;
    for (size_t i = 0; i < w; i++)
        sum += (uint64_t)((int32_t)mono[i] * mono[i]);
    for (size_t i = 0;; i++) {
        if (sum < limit) {
            if (in_run && i <= run_end) {
                run_end = i + w;
            } else {
                in_run = true;
                run_start = i;
                run_end = i + w;
            }
            if (run_end - run_start > best)
                best = run_end - run_start;
        }
        if (i + w >= n)
            break;
        sum -= (uint64_t)((int32_t)mono[i] * mono[i]);
        sum += (uint64_t)((int32_t)mono[i + w] * mono[i + w]);
    }
    return best;
}

size_t mrtc_audio_onsets(const int16_t *mono, size_t n, unsigned rate, int16_t threshold,
                         size_t *out, size_t cap)
{
    size_t need = rate / 20, quiet = need, count = 0;

    if (!mono)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int level = mono[i] < 0 ? -(int)mono[i] : mono[i];
        if (level > threshold) {
            if (quiet >= need) {
                if (out && count < cap)
                    out[count] = i;
                count++;
            }
            quiet = 0;
        } else if (quiet < need) {
            quiet++;
        }
    }
    return count;
}
