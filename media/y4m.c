/*
 * YUV4MPEG2 streams (the mjpegtools yuv4mpeg(5) format, as written by ffmpeg and used for
 * raw test sequences): a text stream header "YUV4MPEG2 W.. H.. F..:.. I. A..:.. C... X..",
 * then per frame a "FRAME" line (its parameters ignored) followed by the planar Y, U and V
 * samples. The parsers work on byte buffers and check every length, so hostile input gets
 * MRTC_EPROTO; the file reader and writer wrap them.
 *
 * Deliberately not done: chroma other than 4:2:0 (444, 422, mono, high bit depth are
 * refused), de-interlacing (interlaced streams are accepted and treated as progressive),
 * aspect ratio and colour range (ignored), seeking.
 */
#include "media/y4m.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>

#define LOG_TAG "y4m"
#define MAGIC "YUV4MPEG2"
#define MAGIC_LEN 9
#define DEFAULT_FPS 30

static int refuse(const char *why)
{
    MRTC_DEBUG(LOG_TAG, "refused YUV4MPEG2 data: %s", why);
    return MRTC_EPROTO;
}

static bool parse_u32(const uint8_t *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool token_is(const uint8_t *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* One parameter: its tag letter and value (n bytes at v). */
static int parse_param(uint8_t tag, const uint8_t *v, size_t n, mrtc_y4m_info *out, bool *have_w,
                       bool *have_h)
{
    uint32_t x;
    switch (tag) {
    case 'W':
    case 'H':
        if (!parse_u32(v, n, &x) || x < MRTC_Y4M_MIN_DIM || x > MRTC_Y4M_MAX_DIM)
            return refuse("width or height outside 2..8192");
        if (tag == 'W') {
            out->width = (uint16_t)x;
            *have_w = true;
        } else {
            out->height = (uint16_t)x;
            *have_h = true;
        }
        return 0;
    case 'F': {
        const uint8_t *colon = memchr(v, ':', n);
        uint32_t num, den;
        if (!colon || !parse_u32(v, (size_t)(colon - v), &num) ||
            !parse_u32(colon + 1, n - (size_t)(colon - v) - 1, &den))
            return refuse("frame rate is not rate:scale");
        if ((num == 0) != (den == 0))
            return refuse("frame rate with a zero term");
        if (num) {
            out->fps_num = num;
            out->fps_den = den;
        }
        return 0;
    }
    case 'I':
        if (n != 1 || !strchr("ptbm?", v[0]))
            return refuse("unknown interlacing");
        out->interlaced = v[0] == 't' || v[0] == 'b' || v[0] == 'm';
        return 0;
    case 'C':
        if (token_is(v, n, "420jpeg") || token_is(v, n, "420paldv") || token_is(v, n, "420mpeg2") ||
            token_is(v, n, "420"))
            return 0;
        return refuse("chroma is not 8-bit 4:2:0");
    default: /* A (aspect), X (extensions) and parameters we do not know */
        return 0;
    }
}

int mrtc_y4m_parse_header(const uint8_t *data, size_t len, mrtc_y4m_info *out)
{
    bool have_w = false, have_h = false;
    int err;

    if (!out || (!data && len))
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    out->fps_num = DEFAULT_FPS;
    out->fps_den = 1;
    size_t lim = len < MRTC_Y4M_MAX_HEADER ? len : MRTC_Y4M_MAX_HEADER;
    const uint8_t *nl = lim ? memchr(data, '\n', lim) : NULL;
    if (!nl)
        return refuse("no stream header line");
    size_t end = (size_t)(nl - data);
    if (end < MAGIC_LEN || memcmp(data, MAGIC, MAGIC_LEN) != 0 ||
        (end > MAGIC_LEN && data[MAGIC_LEN] != ' '))
        return refuse("no YUV4MPEG2 signature");
    size_t pos = MAGIC_LEN;
    while (pos < end) {
        if (data[pos] == ' ') {
            pos++;
            continue;
        }
        size_t start = pos;
        while (pos < end && data[pos] != ' ')
            pos++;
        err = parse_param(data[start], data + start + 1, pos - start - 1, out, &have_w, &have_h);
        if (err)
            return err;
    }
    if (!have_w || !have_h)
        return refuse("W or H missing");
    uint64_t cw = (out->width + 1u) / 2, ch = (out->height + 1u) / 2;
    uint64_t size = (uint64_t)out->width * out->height + 2 * cw * ch;
    if (size > SIZE_MAX)
        return refuse("frame size overflows");
    out->frame_size = (size_t)size;
    return (int)(end + 1);
}

int mrtc_y4m_parse_frame_header(const uint8_t *data, size_t len)
{
    if (!data && len)
        return MRTC_EINVAL;
    size_t lim = len < MRTC_Y4M_MAX_FRAME_HEADER ? len : MRTC_Y4M_MAX_FRAME_HEADER;
    const uint8_t *nl = lim ? memchr(data, '\n', lim) : NULL;
    if (!nl)
        return refuse("no frame header line");
    size_t end = (size_t)(nl - data);
    if (end < 5 || memcmp(data, "FRAME", 5) != 0 || (end > 5 && data[5] != ' '))
        return refuse("not a FRAME header");
    return (int)(end + 1);
}

void mrtc_y4m_frame_view(const mrtc_y4m_info *info, const uint8_t *pixels, mrtc_video_frame *out)
{
    size_t ysize = (size_t)info->width * info->height;
    int cw = (info->width + 1) / 2, ch = (info->height + 1) / 2;

    out->width = info->width;
    out->height = info->height;
    out->y = pixels;
    out->u = pixels + ysize;
    out->v = pixels + ysize + (size_t)cw * ch;
    out->stride_y = info->width;
    out->stride_u = cw;
    out->stride_v = cw;
}

int mrtc_y4m_next_frame(const mrtc_y4m_info *info, const uint8_t *data, size_t len, size_t *pos,
                        mrtc_video_frame *out)
{
    if (!info || !pos || !out || (!data && len) || *pos > len)
        return MRTC_EINVAL;
    if (*pos == len)
        return 0;
    int hl = mrtc_y4m_parse_frame_header(data + *pos, len - *pos);
    if (hl < 0)
        return hl;
    if (info->frame_size > len - *pos - (size_t)hl)
        return refuse("truncated frame");
    mrtc_y4m_frame_view(info, data + *pos + hl, out);
    *pos += (size_t)hl + info->frame_size;
    return 1;
}

/* ---- Reader ---- */

struct mrtc_y4m_reader {
    FILE *f;
    mrtc_y4m_info info;
    bool loop;
    off_t data_start; /* offset of the first frame header */
    uint8_t *buf;     /* one picture */
};

/* Reads one line (newline included) of at most cap bytes into line. Returns its length, 0
 * at end of file or when the line is cut short by it, MRTC_EPROTO when longer than cap,
 * MRTC_EIO on a read error. */
static int read_line(FILE *f, uint8_t *line, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        int c = getc(f);
        if (c == EOF)
            return ferror(f) ? MRTC_EIO : 0;
        line[n++] = (uint8_t)c;
        if (c == '\n')
            return (int)n;
    }
    return refuse("header line too long");
}

int mrtc_y4m_reader_open(const char *path, bool loop, mrtc_y4m_reader **out)
{
    uint8_t line[MRTC_Y4M_MAX_HEADER];
    mrtc_y4m_reader *r;
    int err;

    if (!path || !out)
        return MRTC_EINVAL;
    *out = NULL;
    r = mrtc_calloc(1, sizeof *r);
    if (!r)
        return MRTC_ENOMEM;
    r->loop = loop;
    r->f = fopen(path, "rb");
    if (!r->f) {
        MRTC_DEBUG(LOG_TAG, "cannot open %s", path);
        err = MRTC_EIO;
        goto out;
    }
    err = read_line(r->f, line, sizeof line);
    if (err == 0)
        err = refuse("no stream header line");
    if (err < 0)
        goto out;
    err = mrtc_y4m_parse_header(line, (size_t)err, &r->info);
    if (err < 0)
        goto out;
    r->data_start = err;
    err = 0;
    r->buf = mrtc_malloc(r->info.frame_size);
    if (!r->buf)
        err = MRTC_ENOMEM;
out:
    if (err) {
        mrtc_y4m_reader_close(r);
        return err;
    }
    *out = r;
    return 0;
}

/* One frame from the current position: 1, 0 at the end (or a truncated frame), or an error. */
static int read_frame(mrtc_y4m_reader *r)
{
    uint8_t line[MRTC_Y4M_MAX_FRAME_HEADER];
    int n = read_line(r->f, line, sizeof line);
    if (n <= 0)
        return n;
    n = mrtc_y4m_parse_frame_header(line, (size_t)n);
    if (n < 0)
        return n;
    if (fread(r->buf, 1, r->info.frame_size, r->f) != r->info.frame_size)
        return ferror(r->f) ? MRTC_EIO : 0;
    return 1;
}

int mrtc_y4m_reader_read(mrtc_y4m_reader *r, mrtc_video_frame *out)
{
    if (!r || !out)
        return MRTC_EINVAL;
    int n = read_frame(r);
    if (n == 0 && r->loop) {
        if (fseeko(r->f, r->data_start, SEEK_SET) != 0)
            return MRTC_EIO;
        n = read_frame(r); /* 0 again: the file holds no whole frame */
    }
    if (n == 1)
        mrtc_y4m_frame_view(&r->info, r->buf, out);
    return n;
}

const mrtc_y4m_info *mrtc_y4m_reader_info(const mrtc_y4m_reader *r)
{
    return r ? &r->info : NULL;
}

uint16_t mrtc_y4m_reader_width(const mrtc_y4m_reader *r)
{
    return r ? r->info.width : 0;
}

uint16_t mrtc_y4m_reader_height(const mrtc_y4m_reader *r)
{
    return r ? r->info.height : 0;
}

double mrtc_y4m_reader_fps(const mrtc_y4m_reader *r)
{
    return r ? (double)r->info.fps_num / r->info.fps_den : 0.0;
}

void mrtc_y4m_reader_close(mrtc_y4m_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    mrtc_free(r->buf);
    mrtc_free(r);
}

/* ---- Writer ---- */

struct mrtc_y4m_writer {
    FILE *f;
    uint16_t width, height;
};

int mrtc_y4m_writer_open(const char *path, uint16_t width, uint16_t height, uint32_t fps_num,
                         uint32_t fps_den, mrtc_y4m_writer **out)
{
    mrtc_y4m_writer *w;

    if (!path || !out || width < MRTC_Y4M_MIN_DIM || width > MRTC_Y4M_MAX_DIM ||
        height < MRTC_Y4M_MIN_DIM || height > MRTC_Y4M_MAX_DIM || !fps_num || !fps_den)
        return MRTC_EINVAL;
    *out = NULL;
    w = mrtc_calloc(1, sizeof *w);
    if (!w)
        return MRTC_ENOMEM;
    w->width = width;
    w->height = height;
    w->f = fopen(path, "wb");
    if (!w->f ||
        fprintf(w->f, MAGIC " W%u H%u F%u:%u Ip A1:1 C420jpeg\n", (unsigned)width, (unsigned)height,
                (unsigned)fps_num, (unsigned)fps_den) < 0 ||
        fflush(w->f) != 0) {
        MRTC_DEBUG(LOG_TAG, "cannot create %s", path);
        if (w->f)
            fclose(w->f);
        mrtc_free(w);
        return MRTC_EIO;
    }
    *out = w;
    return 0;
}

static bool write_plane(FILE *f, const uint8_t *p, int stride, size_t w, size_t h)
{
    for (size_t row = 0; row < h; row++)
        if (fwrite(p + row * (size_t)stride, 1, w, f) != w)
            return false;
    return true;
}

int mrtc_y4m_writer_write(mrtc_y4m_writer *w, const mrtc_video_frame *f)
{
    if (!w || !f || f->width != w->width || f->height != w->height || !f->y || !f->u || !f->v)
        return MRTC_EINVAL;
    size_t cw = (f->width + 1u) / 2, ch = (f->height + 1u) / 2;
    if (f->stride_y < (int)f->width || f->stride_u < (int)cw || f->stride_v < (int)cw)
        return MRTC_EINVAL;
    if (fwrite("FRAME\n", 1, 6, w->f) != 6 ||
        !write_plane(w->f, f->y, f->stride_y, f->width, f->height) ||
        !write_plane(w->f, f->u, f->stride_u, cw, ch) ||
        !write_plane(w->f, f->v, f->stride_v, cw, ch) || fflush(w->f) != 0)
        return MRTC_EIO;
    return 0;
}

int mrtc_y4m_writer_close(mrtc_y4m_writer *w)
{
    if (!w)
        return 0;
    int err = fclose(w->f) != 0 ? MRTC_EIO : 0;
    mrtc_free(w);
    return err;
}
