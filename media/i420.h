/*
 * Owned I420 pictures: one heap block holding the Y, U and V planes of a picture with
 * tightly packed rows, described by an mrtc_video_frame view (include/meshrtc/frame.h) that
 * can be handed to any function taking a frame. Plus PSNR of the luma plane, which the
 * codec tests and benchmarks use to judge decoded pictures.
 */
#ifndef MRTC_MEDIA_I420_H
#define MRTC_MEDIA_I420_H

#include "meshrtc/frame.h"

#include <stdint.h>

/* The largest width or height mrtc_i420_alloc accepts. */
#define MRTC_I420_MAX_DIM 16384

/* An I420 picture that owns its planes. `f` describes them (strides: width for Y,
 * (width+1)/2 for U and V); `buf` is the single block they live in. Zero-initialise or
 * mrtc_i420_alloc before use. */
typedef struct mrtc_i420 {
    mrtc_video_frame f;
    uint8_t *buf;
} mrtc_i420;

/* Allocates a w x h picture (1..MRTC_I420_MAX_DIM each) into img, black: Y 16, U and V 128
 * (BT.601 studio range). img is overwritten; an earlier buffer in it is not freed. Returns
 * 0, MRTC_EINVAL (NULL img, bad size), MRTC_ENOMEM (img is then zeroed). */
int mrtc_i420_alloc(mrtc_i420 *img, uint16_t w, uint16_t h);

/* Frees img's planes and zeroes it. Accepts NULL and a zeroed or already freed img. */
void mrtc_i420_free(mrtc_i420 *img);

/* Writable pointers to img's planes (img->f.y, u, v without const); NULL for a zeroed img. */
uint8_t *mrtc_i420_y(mrtc_i420 *img);
uint8_t *mrtc_i420_u(mrtc_i420 *img);
uint8_t *mrtc_i420_v(mrtc_i420 *img);

/* Copies the picture `src` (any strides) into img, which must have src's size. Returns 0 or
 * MRTC_EINVAL (NULL, missing planes, size mismatch). */
int mrtc_i420_copy(mrtc_i420 *img, const mrtc_video_frame *src);

/* PSNR of b's luma against a's, in dB, over the whole Y plane (8-bit peak 255). Identical
 * planes give MRTC_I420_PSNR_MAX; different sizes or a missing plane give -1. Meant for
 * tests and benchmarks. */
#define MRTC_I420_PSNR_MAX 99.0
double mrtc_i420_psnr_y(const mrtc_video_frame *a, const mrtc_video_frame *b);

#endif
