/*
 * A moving test pattern for video sources: colour bars over the top two thirds, a luma ramp
 * below, a red square bouncing across the ramp so every frame differs, and the frame number
 * drawn as six big seven-segment digits (black on a white box) that survive lossy coding and
 * can be read back from a decoded frame of the same size.
 */
#ifndef MRTC_MEDIA_PATTERN_H
#define MRTC_MEDIA_PATTERN_H

#include "meshrtc/frame.h"

#include <stdbool.h>
#include <stdint.h>

#define MRTC_PATTERN_MIN_DIM 2
#define MRTC_PATTERN_MAX_DIM 8192
#define MRTC_PATTERN_COUNTER_MOD 1000000 /* six digits: the counter shows frame_no mod this */

typedef struct mrtc_pattern mrtc_pattern;

/* Creates a generator of width x height (2..8192 each) I420 frames; *out is owned by the
 * caller (mrtc_pattern_free). Returns 0, MRTC_EINVAL for a bad size or NULL out,
 * MRTC_ENOMEM. */
int mrtc_pattern_new(uint16_t width, uint16_t height, mrtc_pattern **out);

/* Frees the generator and its frame buffer; accepts NULL. */
void mrtc_pattern_free(mrtc_pattern *p);

/* Draws frame number frame_no (the moving square's position and the counter depend on it
 * alone) and points *out at it: the view is owned by the generator and valid until the next
 * draw or free. */
void mrtc_pattern_draw(mrtc_pattern *p, uint32_t frame_no, mrtc_video_frame *out);

/* Whether frames of this size carry a readable counter: the digit box (digits of 4u x 7u
 * pixels with u >= 2, u = min(width * 6 / 380, height * 3 / 110)) must fit. 640x480 gives
 * 40x70-pixel digits. */
bool mrtc_pattern_has_counter(uint16_t width, uint16_t height);

/* Reads the counter from a frame of the size it was drawn at, possibly after lossy coding
 * and noise: the mean luma at the centre of each segment must be clearly dark (on) or clearly
 * light (off), the box around the digits and the holes inside them light, and each digit a
 * valid seven-segment figure. Only the Y plane is read (borrowed for the call). Returns
 * 0..999999, or -1 when unreadable (no counter at this size, NULL or inconsistent frame). */
int mrtc_pattern_read_counter(const mrtc_video_frame *f);

#endif
