/*
 * The audio mixer: any number of inputs, each a FIFO of 48 kHz mono or stereo PCM that its
 * owner feeds (typically one decoded remote peer, in 20 ms frames), mixed into one output
 * stream (typically the speaker's, which then goes through the playback device's ring).
 *
 * Loop thread only: nothing here is thread-safe, and mixing does not allocate.
 */
#ifndef MRTC_MEDIA_MIXER_H
#define MRTC_MEDIA_MIXER_H

#include <stddef.h>
#include <stdint.h>

/* An input's FIFO holds this much by default: 200 ms. */
#define MRTC_MIXER_DEFAULT_INPUT_FRAMES (10 * 960)

typedef struct mrtc_mixer mrtc_mixer;
typedef struct mrtc_mixer_input mrtc_mixer_input;

typedef struct mrtc_mixer_input_stats {
    size_t queued_frames;     /* frames waiting in the FIFO */
    uint64_t pushed_frames;   /* frames accepted by mrtc_mixer_input_push */
    uint64_t dropped_frames;  /* frames refused because the FIFO was full */
    uint64_t mixed_frames;    /* frames taken from the FIFO by mrtc_mixer_mix */
    uint64_t underruns;       /* 20 ms mix blocks the FIFO could not fill, once started */
    uint64_t underrun_frames; /* silence mixed in for them */
} mrtc_mixer_input_stats;

/* Creates a mixer whose output has `channels` (1 or 2) interleaved channels at 48 kHz.
 * *out is owned by the caller (mrtc_mixer_free). Returns 0, MRTC_EINVAL or MRTC_ENOMEM. */
int mrtc_mixer_new(unsigned channels, mrtc_mixer **out);

/* Frees the mixer and every input still attached to it (their handles become invalid).
 * Accepts NULL. */
void mrtc_mixer_free(mrtc_mixer *m);

/* Adds an input carrying `channels` (1 or 2) interleaved channels at 48 kHz, with a FIFO of
 * at least MRTC_MIXER_DEFAULT_INPUT_FRAMES frames. The input belongs to the mixer; its owner
 * may remove it with mrtc_mixer_input_free at any time. Returns 0, MRTC_EINVAL or
 * MRTC_ENOMEM. */
int mrtc_mixer_input_new(mrtc_mixer *m, unsigned channels, mrtc_mixer_input **out);

/* Detaches and frees an input (what it still holds is discarded); accepts NULL. */
void mrtc_mixer_input_free(mrtc_mixer_input *in);

/* Appends `frames` frames of pcm (borrowed for the call) to the input's FIFO. Returns the
 * frames accepted: fewer when the FIFO is full (the rest is dropped and counted). */
size_t mrtc_mixer_input_push(mrtc_mixer_input *in, const int16_t *pcm, size_t frames);

/* Fills *out with the input's counters. */
void mrtc_mixer_input_get_stats(const mrtc_mixer_input *in, mrtc_mixer_input_stats *out);

/* Number of inputs attached. */
size_t mrtc_mixer_input_count(const mrtc_mixer *m);

/* Mixes `frames` frames into out (frames * channels samples of the mixer's channel count):
 * each input contributes what its FIFO holds, up to `frames`, then silence. Mono inputs are
 * copied to both channels of a stereo mix; stereo inputs are averaged into a mono mix. The
 * sum saturates at the int16 range. The mix proceeds in blocks of MRTC_AUDIO_FRAME_SAMPLES
 * frames; an input that has started (ever received a frame) and cannot fill a block counts
 * an underrun and the frames missing. With no inputs the output is silence. */
void mrtc_mixer_mix(mrtc_mixer *m, int16_t *out, size_t frames);

#endif
