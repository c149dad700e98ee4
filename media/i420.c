/*
 * Owned I420 pictures (media/i420.h): the three planes of a picture in one block allocated
 * through core/util/alloc.h, rows packed without padding, and PSNR of the luma plane.
 *
 * Deliberately not done here: colour conversion, scaling, cropping or row alignment for
 * SIMD (libvpx copies what it needs; frames from elsewhere keep their own strides).
 */
#include "media/i420.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <math.h>
#include <string.h>

int mrtc_i420_alloc(mrtc_i420 *img, uint16_t w, uint16_t h)
{
    if (!img)
        return MRTC_EINVAL;
    memset(img, 0, sizeof *img);
    if (w == 0 || h == 0 || w > MRTC_I420_MAX_DIM || h > MRTC_I420_MAX_DIM)
        return MRTC_EINVAL;
    size_t cw = ((size_t)w + 1) / 2, ch = ((size_t)h + 1) / 2;
    size_t ysz = (size_t)w * h, csz = cw * ch;
    uint8_t *buf = mrtc_malloc(ysz + 2 * csz);
    if (!buf)
        return MRTC_ENOMEM;
    memset(buf, 16, ysz);
    memset(buf + ysz, 128, 2 * csz);
    img->buf = buf;
    img->f.width = w;
    img->f.height = h;
    img->f.y = buf;
    img->f.u = buf + ysz;
    img->f.v = buf + ysz + csz;
    img->f.stride_y = (int)w;
    img->f.stride_u = (int)cw;
    img->f.stride_v = (int)cw;
    return 0;
}

void mrtc_i420_free(mrtc_i420 *img)
{
    if (!img)
        return;
    mrtc_free(img->buf);
    memset(img, 0, sizeof *img);
}

/* The planes point into img->buf, which the picture owns: dropping const is sound. */
uint8_t *mrtc_i420_y(mrtc_i420 *img)
{
    return img && img->buf ? img->buf : NULL;
}

uint8_t *mrtc_i420_u(mrtc_i420 *img)
{
    return img && img->buf ? img->buf + (img->f.u - img->f.y) : NULL;
}

uint8_t *mrtc_i420_v(mrtc_i420 *img)
{
    return img && img->buf ? img->buf + (img->f.v - img->f.y) : NULL;
}

static void copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src, int src_stride, size_t w,
                       size_t h)
{
    for (size_t r = 0; r < h; r++)
        memcpy(dst + r * (size_t)dst_stride, src + r * (size_t)src_stride, w);
}

int mrtc_i420_copy(mrtc_i420 *img, const mrtc_video_frame *src)
{
    if (!img || !img->buf || !src || !src->y || !src->u || !src->v)
        return MRTC_EINVAL;
    if (src->width != img->f.width || src->height != img->f.height)
        return MRTC_EINVAL;
    size_t w = src->width, h = src->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (src->stride_y < (int)w || src->stride_u < (int)cw || src->stride_v < (int)cw)
        return MRTC_EINVAL;
    copy_plane(mrtc_i420_y(img), img->f.stride_y, src->y, src->stride_y, w, h);
    copy_plane(mrtc_i420_u(img), img->f.stride_u, src->u, src->stride_u, cw, ch);
    copy_plane(mrtc_i420_v(img), img->f.stride_v, src->v, src->stride_v, cw, ch);
    return 0;
}

double mrtc_i420_psnr_y(const mrtc_video_frame *a, const mrtc_video_frame *b)
{
    if (!a || !b || !a->y || !b->y || a->width != b->width || a->height != b->height ||
        a->width == 0 || a->height == 0)
        return -1;
    uint64_t sse = 0;
    for (size_t r = 0; r < a->height; r++) {
        const uint8_t *pa = a->y + r * (size_t)a->stride_y;
        const uint8_t *pb = b->y + r * (size_t)b->stride_y;
        for (size_t c = 0; c < a->width; c++) {
            int d = (int)pa[c] - (int)pb[c];
            sse += (uint64_t)(d * d);
        }
    }
    if (sse == 0)
        return MRTC_I420_PSNR_MAX;
    double mse = (double)sse / ((double)a->width * a->height);
    double psnr = 10.0 * log10(255.0 * 255.0 / mse);
    return psnr < MRTC_I420_PSNR_MAX ? psnr : MRTC_I420_PSNR_MAX;
}
