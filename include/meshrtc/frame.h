/*
 * Raw media frames as the library hands them to and takes them from the application:
 * PCM audio (signed 16-bit, interleaved) and I420 video (planar YUV 4:2:0).
 *
 * Frames are views: the pointers are borrowed from whoever produced the frame and are valid
 * for the duration of the call (or callback) that passes the frame, unless a function says
 * otherwise.
 */
#ifndef MESHRTC_FRAME_H
#define MESHRTC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The sample rate of everything the library sends and mixes (Opus runs at 48 kHz). */
#define MRTC_AUDIO_RATE 48000
/* The audio frame the library works in: 20 ms (960 samples per channel at 48 kHz). */
#define MRTC_AUDIO_FRAME_SAMPLES 960

/* A block of PCM: `frames` samples per channel, `channels` interleaved, at `rate` Hz. */
typedef struct mrtc_audio_frame {
    const int16_t *samples;
    size_t frames;
    unsigned channels; /* 1 or 2 */
    unsigned rate;     /* Hz */
} mrtc_audio_frame;

/* One I420 picture: a full-resolution Y plane and U, V planes of ((width+1)/2) x
 * ((height+1)/2). Strides are in bytes, at least the plane width. */
typedef struct mrtc_video_frame {
    uint16_t width, height;
    const uint8_t *y, *u, *v;
    int stride_y, stride_u, stride_v;
} mrtc_video_frame;

#ifdef __cplusplus
}
#endif
#endif
