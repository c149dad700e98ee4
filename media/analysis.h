/*
 * Measurements on recorded audio for tests, the recording checker (meshrtc-media-check) and
 * benchmarks: the dominant frequency, the longest dropout, and the onsets of beeps. Input is
 * mono signed 16-bit PCM, borrowed for the call.
 */
#ifndef MRTC_MEDIA_ANALYSIS_H
#define MRTC_MEDIA_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

/* The frequency with the most energy between 50 Hz and rate/2, to better than 1 Hz (averaged
 * Hann-windowed power spectra of up to 32 segments spread over the input, each a power of two
 * of at least rate samples, with the peak interpolated between bins). When power_ratio is not
 * NULL it receives the energy within +-5% of that frequency divided by the total energy
 * (1.0 for a pure tone, small for noise; 0 for silence). Returns the frequency in Hz, 0.0 for
 * silence or fewer than 64 samples, or a negative MRTC_E* code: MRTC_EINVAL (NULL samples
 * with n > 0, rate outside 8000..192000), MRTC_ENOMEM. */
double mrtc_audio_dominant_hz(const int16_t *mono, size_t n, unsigned rate, double *power_ratio);

/* The longest stretch, in samples, covered by 5 ms windows (rate/200 samples, sliding one
 * sample at a time) whose RMS is below threshold: a dropout detector. A tone with a hole of L
 * silent samples reports about L. Returns 0 when no window is that quiet (or n is 0 or rate is
 * below 200); an input shorter than one window is measured as a single window. */
size_t mrtc_audio_longest_gap(const int16_t *mono, size_t n, unsigned rate, int16_t threshold);

/* Sample indices where |sample| rises above threshold after at least 50 ms (rate/20
 * samples) at or below it; the time before the first sample counts as quiet. Writes up to
 * cap indices into out (which may be NULL when cap is 0) and returns how many onsets there
 * are, which may exceed cap. */
size_t mrtc_audio_onsets(const int16_t *mono, size_t n, unsigned rate, int16_t threshold,
                         size_t *out, size_t cap);

#endif
