/*
 * IVF, the simple container of libvpx's vpxenc/vpxdec: a 32-byte little-endian file header
 * ("DKIF", version 0, header size 32, fourcc, width, height, timebase denominator and
 * numerator, frame count, 4 unused bytes) followed by frames, each a 4-byte size and an
 * 8-byte presentation time before the encoded bytes. The parsers check every size against
 * the buffer and refuse frames over 16 MiB; the reader streams frames from a file; the
 * writer flushes every frame and rewrites the frame count periodically so a killed process
 * leaves a readable file.
 *
 * Deliberately not done: codec-specific checks (the fourcc is reported, not interpreted),
 * seeking or an index, trusting the header's frame count (readers iterate to the end).
 */
#include "media/ivf.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>

#define LOG_TAG "ivf"
#define PATCH_FRAMES 30
#define PATCH_PTS MRTC_IVF_WRITER_TIMEBASE_DEN /* one second */
#define FRAME_COUNT_OFFSET 24

static int refuse(const char *why)
{
    MRTC_DEBUG(LOG_TAG, "refused IVF data: %s", why);
    return MRTC_EPROTO;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

int mrtc_ivf_parse_header(const uint8_t *data, size_t len, mrtc_ivf_info *out)
{
    if (!out || (!data && len))
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    if (len < MRTC_IVF_HEADER_LEN)
        return refuse("shorter than the file header");
    if (memcmp(data, "DKIF", 4) != 0)
        return refuse("no DKIF signature");
    if (le16(data + 4) != 0)
        return refuse("version is not 0");
    if (le16(data + 6) != MRTC_IVF_HEADER_LEN)
        return refuse("header size is not 32");
    memcpy(out->fourcc, data + 8, 4);
    out->fourcc[4] = '\0';
    out->width = le16(data + 12);
    out->height = le16(data + 14);
    out->timebase_den = le32(data + 16);
    out->timebase_num = le32(data + 20);
    out->frame_count = le32(data + FRAME_COUNT_OFFSET);
    if (!out->timebase_den || !out->timebase_num)
        return refuse("zero timebase");
    return 0;
}

static bool fourcc_ok(const char *fourcc)
{
    return fourcc && strnlen(fourcc, 5) == 4;
}

int mrtc_ivf_write_header(uint8_t *out, size_t cap, const mrtc_ivf_info *info)
{
    if (!out || !info || !fourcc_ok(info->fourcc) || !info->timebase_num || !info->timebase_den)
        return MRTC_EINVAL;
    if (cap < MRTC_IVF_HEADER_LEN)
        return MRTC_ENOBUFS;
    memcpy(out, "DKIF", 4);
    put16(out + 4, 0);
    put16(out + 6, MRTC_IVF_HEADER_LEN);
    memcpy(out + 8, info->fourcc, 4);
    put16(out + 12, info->width);
    put16(out + 14, info->height);
    put32(out + 16, info->timebase_den);
    put32(out + 20, info->timebase_num);
    put32(out + FRAME_COUNT_OFFSET, info->frame_count);
    put32(out + 28, 0);
    return MRTC_IVF_HEADER_LEN;
}

int mrtc_ivf_next_frame(const uint8_t *data, size_t len, size_t *pos, mrtc_ivf_frame *out)
{
    if (!pos || !out || (!data && len) || *pos > len)
        return MRTC_EINVAL;
    size_t left = len - *pos;
    if (left == 0)
        return 0;
    if (left < MRTC_IVF_FRAME_HEADER_LEN)
        return refuse("truncated frame header");
    const uint8_t *h = data + *pos;
    uint32_t size = le32(h);
    if (size > MRTC_IVF_MAX_FRAME)
        return refuse("frame larger than 16 MiB");
    if (size > left - MRTC_IVF_FRAME_HEADER_LEN)
        return refuse("frame extends beyond the buffer");
    out->pts = le64(h + 4);
    out->data = h + MRTC_IVF_FRAME_HEADER_LEN;
    out->len = size;
    *pos += MRTC_IVF_FRAME_HEADER_LEN + (size_t)size;
    return 1;
}

/* ---- Reader ---- */

struct mrtc_ivf_reader {
    FILE *f;
    mrtc_ivf_info info;
    uint8_t *buf;
    size_t cap;
};

int mrtc_ivf_reader_open(const char *path, mrtc_ivf_reader **out)
{
    uint8_t hdr[MRTC_IVF_HEADER_LEN];
    mrtc_ivf_reader *r;
    int err;

    if (!path || !out)
        return MRTC_EINVAL;
    *out = NULL;
    r = mrtc_calloc(1, sizeof *r);
    if (!r)
        return MRTC_ENOMEM;
    r->f = fopen(path, "rb");
    if (!r->f) {
        MRTC_DEBUG(LOG_TAG, "cannot open %s", path);
        err = MRTC_EIO;
        goto out;
    }
    size_t n = fread(hdr, 1, sizeof hdr, r->f);
    if (n < sizeof hdr && ferror(r->f)) {
        err = MRTC_EIO;
        goto out;
    }
    err = mrtc_ivf_parse_header(hdr, n, &r->info);
out:
    if (err) {
        mrtc_ivf_reader_close(r);
        return err;
    }
    *out = r;
    return 0;
}

int mrtc_ivf_reader_read(mrtc_ivf_reader *r, mrtc_ivf_frame *out)
{
    uint8_t h[MRTC_IVF_FRAME_HEADER_LEN];

    if (!r || !out)
        return MRTC_EINVAL;
    size_t n = fread(h, 1, sizeof h, r->f);
    if (n < sizeof h)
        return ferror(r->f) ? MRTC_EIO : 0;
    uint32_t size = le32(h);
    if (size > MRTC_IVF_MAX_FRAME)
        return refuse("frame larger than 16 MiB");
    if (size > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < size)
            cap *= 2;
        uint8_t *nb = mrtc_realloc(r->buf, cap);
        if (!nb)
            return MRTC_ENOMEM;
        r->buf = nb;
        r->cap = cap;
    }
    if (size && fread(r->buf, 1, size, r->f) != size)
        return ferror(r->f) ? MRTC_EIO : 0;
    out->data = r->buf;
    out->len = size;
    out->pts = le64(h + 4);
    return 1;
}

const mrtc_ivf_info *mrtc_ivf_reader_info(const mrtc_ivf_reader *r)
{
    return r ? &r->info : NULL;
}

void mrtc_ivf_reader_close(mrtc_ivf_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    mrtc_free(r->buf);
    mrtc_free(r);
}

/* ---- Writer ---- */

struct mrtc_ivf_writer {
    FILE *f;
    uint32_t frames;
    uint32_t since_patch;
    uint64_t patch_pts; /* pts of the first frame after the last count rewrite */
};

/* Rewrites the frame count (the frames are already flushed) and flushes. */
static int patch_count(mrtc_ivf_writer *w)
{
    uint8_t b[4];

    put32(b, w->frames);
    if (fflush(w->f) != 0 || fseeko(w->f, FRAME_COUNT_OFFSET, SEEK_SET) != 0 ||
        fwrite(b, 4, 1, w->f) != 1 || fseeko(w->f, 0, SEEK_END) != 0 || fflush(w->f) != 0)
        return MRTC_EIO;
    w->since_patch = 0;
    return 0;
}

int mrtc_ivf_writer_open(const char *path, const char *fourcc, uint16_t width, uint16_t height,
                         mrtc_ivf_writer **out)
{
    uint8_t hdr[MRTC_IVF_HEADER_LEN];
    mrtc_ivf_info info = {
        .width = width,
        .height = height,
        .timebase_num = 1,
        .timebase_den = MRTC_IVF_WRITER_TIMEBASE_DEN,
    };
    mrtc_ivf_writer *w;

    if (!path || !out || !fourcc_ok(fourcc))
        return MRTC_EINVAL;
    *out = NULL;
    memcpy(info.fourcc, fourcc, 5);
    mrtc_ivf_write_header(hdr, sizeof hdr, &info);
    w = mrtc_calloc(1, sizeof *w);
    if (!w)
        return MRTC_ENOMEM;
    w->f = fopen(path, "wb");
    if (!w->f || fwrite(hdr, sizeof hdr, 1, w->f) != 1 || fflush(w->f) != 0) {
        MRTC_DEBUG(LOG_TAG, "cannot create %s", path);
        if (w->f)
            fclose(w->f);
        mrtc_free(w);
        return MRTC_EIO;
    }
    *out = w;
    return 0;
}

int mrtc_ivf_writer_write(mrtc_ivf_writer *w, const uint8_t *data, size_t len, uint64_t pts)
{
    uint8_t h[MRTC_IVF_FRAME_HEADER_LEN];

    if (!w || !data || len == 0 || len > MRTC_IVF_MAX_FRAME)
        return MRTC_EINVAL;
    if (w->frames == UINT32_MAX)
        return MRTC_ETOOBIG;
    put32(h, (uint32_t)len);
    put64(h + 4, pts);
    if (fwrite(h, sizeof h, 1, w->f) != 1 || fwrite(data, 1, len, w->f) != len || fflush(w->f) != 0)
        return MRTC_EIO;
    if (w->since_patch == 0)
        w->patch_pts = pts;
    w->frames++;
    w->since_patch++;
    if (w->since_patch >= PATCH_FRAMES || pts - w->patch_pts >= PATCH_PTS)
        return patch_count(w);
    return 0;
}

uint32_t mrtc_ivf_writer_frames(const mrtc_ivf_writer *w)
{
    return w ? w->frames : 0;
}

int mrtc_ivf_writer_close(mrtc_ivf_writer *w)
{
    if (!w)
        return 0;
    int err = patch_count(w);
    if (fclose(w->f) != 0)
        err = MRTC_EIO;
    mrtc_free(w);
    return err;
}
