/*
 * Streaming sample-rate conversion of interleaved int16 PCM between any two rates from
 * MRTC_RESAMPLE_MIN_RATE to MRTC_RESAMPLE_MAX_RATE (in practice: a sound device's rate and
 * MRTC_AUDIO_RATE), mono or stereo, with state carried across calls so a stream converted in
 * chunks of any sizes gives exactly the samples of a one-shot conversion. Equal rates are an
 * exact copy. Also the channel up/down-mix helpers (mono <-> stereo).
 *
 * Loop thread (or any single thread per converter); allocation only in mrtc_resampler_new.
 */
#ifndef MRTC_MEDIA_RESAMPLE_H
#define MRTC_MEDIA_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define MRTC_RESAMPLE_MIN_RATE 8000
#define MRTC_RESAMPLE_MAX_RATE 192000
/* The most input frames one mrtc_resampler_process call or mrtc_resampler_output_for
 * query takes. */
#define MRTC_RESAMPLE_MAX_INPUT ((size_t)1 << 24)

typedef struct mrtc_resampler mrtc_resampler;

/* Creates a converter from in_rate to out_rate Hz (each MRTC_RESAMPLE_MIN_RATE..
 * MRTC_RESAMPLE_MAX_RATE) for `channels` (1 or 2) interleaved channels. *out is owned by the
 * caller (mrtc_resampler_free). Returns 0, MRTC_EINVAL (a rate or channel count out of range,
 * out NULL) or MRTC_ENOMEM. */
int mrtc_resampler_new(unsigned in_rate, unsigned out_rate, unsigned channels,
                       mrtc_resampler **out);

/* Frees the converter; accepts NULL. */
void mrtc_resampler_free(mrtc_resampler *rs);

/* Returns to the state of a new converter (history cleared), without allocating. */
void mrtc_resampler_reset(mrtc_resampler *rs);

/* Exactly how many output frames mrtc_resampler_process would write if given in_frames more
 * input frames now (in_frames up to MRTC_RESAMPLE_MAX_INPUT; more is treated as that many).
 * Over a stream it totals floor-ish(in * out_rate / in_rate) less the converter's latency. */
size_t mrtc_resampler_output_for(const mrtc_resampler *rs, size_t in_frames);

/* The most input frames whose conversion now writes at most out_frames output frames (the
 * inverse of mrtc_resampler_output_for), capped at MRTC_RESAMPLE_MAX_INPUT. */
size_t mrtc_resampler_input_for(const mrtc_resampler *rs, size_t out_frames);

/* Converts in_frames frames of `in` (borrowed for the call; NULL only if in_frames is 0) and
 * writes the output frames that became ready into out (capacity out_cap frames), setting
 * *out_frames. All input is consumed (kept as history as needed). Returns 0; MRTC_ENOBUFS when
 * out_cap is below mrtc_resampler_output_for(rs, in_frames) (then nothing is consumed);
 * MRTC_EINVAL for NULL arguments or in_frames above MRTC_RESAMPLE_MAX_INPUT. Output samples
 * saturate at the int16 range. */
int mrtc_resampler_process(mrtc_resampler *rs, const int16_t *in, size_t in_frames, int16_t *out,
                           size_t out_cap, size_t *out_frames);

/* The frames of input the converter holds back before they influence output (its latency
 * in input frames; 0 for equal rates). */
size_t mrtc_resampler_latency(const mrtc_resampler *rs);

/* Duplicates each of `frames` mono samples into a stereo frame: out holds 2 * frames samples.
 * out may be the same buffer as in (processed back to front). */
void mrtc_resample_mono_to_stereo(const int16_t *in, size_t frames, int16_t *out);

/* Averages each stereo frame of in (2 * frames samples) into one mono sample of out (rounded
 * toward negative infinity). out may be the same buffer as in. */
void mrtc_resample_stereo_to_mono(const int16_t *in, size_t frames, int16_t *out);

#endif
