/*
 * Test pattern generator and counter reader. The background (75% colour bars in BT.601
 * limited range over the top two thirds, a 16..235 luma ramp below) is drawn once; each frame
 * copies it, draws a red square whose position bounces across the ramp as a function of the
 * frame number, and draws the frame number as six seven-segment digits in a white box near
 * the top. The layout is a function of the frame size alone, so a reader given a decoded
 * frame of the same size knows where every segment is and measures the mean luma at the
 * centre of each one (away from edges, where coding artefacts ring).
 *
 * Deliberately not done: reading scaled or cropped frames, locating the box by search,
 * error-correcting codes (a digit that is not a valid figure makes the whole read fail).
 */
#include "media/pattern.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <string.h>

/* Digit geometry in units u: a digit is 4u x 7u with strokes u thick, 2u apart, inside a box
 * with a 2u margin: 6 * 4 + 5 * 2 + 2 * 2 = 38 units wide, 7 + 2 * 2 = 11 units high. */
#define DIGITS 6
#define BOX_UNITS_W 38
#define BOX_UNITS_H 11
#define DIGIT_PITCH 6
#define MIN_UNIT 2

#define LUMA_BLACK 16
#define LUMA_WHITE 235
#define LUMA_ON_BELOW 100  /* a segment whose mean is darker is on */
#define LUMA_OFF_ABOVE 150 /* ... lighter is off; in between is unreadable */

/* Segments a (top), b (top right), c (bottom right), d (bottom), e (bottom left),
 * f (top left), g (middle): bit i of a figure is segment 'a' + i. */
static const uint8_t figures[10] = {0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F};

typedef struct rect {
    int x0, y0, x1, y1; /* [x0, x1) x [y0, y1), in units */
} rect;

static const rect strokes[7] = {
    {0, 0, 4, 1}, {3, 0, 4, 4}, {3, 3, 4, 7}, {0, 6, 4, 7},
    {0, 3, 1, 7}, {0, 0, 1, 4}, {0, 3, 4, 4},
};
/* Where each segment is measured: its middle, clear of the corners it shares. */
static const rect probes[7] = {
    {1, 0, 3, 1}, {3, 1, 4, 3}, {3, 4, 4, 6}, {1, 6, 3, 7},
    {0, 4, 1, 6}, {0, 1, 1, 3}, {1, 3, 3, 4},
};
static const rect holes[2] = {{1, 1, 3, 3}, {1, 4, 3, 6}};

/* 75% colour bars: white, yellow, cyan, green, magenta, red, blue (Y, U, V). */
static const uint8_t bars[7][3] = {
    {180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
    {84, 184, 198},  {65, 100, 212}, {35, 212, 114},
};

typedef struct layout {
    int u;            /* unit in pixels; 0: no counter */
    int box_x, box_y; /* top-left of the white box */
} layout;

struct mrtc_pattern {
    uint16_t w, h;
    int cw, ch;
    size_t size;
    uint8_t *bg;  /* the background frame, I420 packed */
    uint8_t *buf; /* the frame handed out */
    layout lay;
};

static layout layout_for(int w, int h)
{
    layout l = {0, 0, 0};
    int u = w * 6 / (10 * BOX_UNITS_W), uh = h * 3 / (10 * BOX_UNITS_H);
    if (uh < u)
        u = uh;
    if (u < MIN_UNIT)
        return l;
    l.u = u;
    l.box_x = (w - BOX_UNITS_W * u) / 2;
    l.box_y = (h - BOX_UNITS_H * u) / 8;
    return l;
}

bool mrtc_pattern_has_counter(uint16_t width, uint16_t height)
{
    return layout_for(width, height).u != 0;
}

static void fill(uint8_t *plane, int stride, int x0, int y0, int x1, int y1, uint8_t v)
{
    for (int y = y0; y < y1; y++)
        memset(plane + (size_t)y * stride + x0, v, (size_t)(x1 - x0));
}

static void draw_background(mrtc_pattern *p)
{
    uint8_t *y = p->bg, *u = y + (size_t)p->w * p->h, *v = u + (size_t)p->cw * p->ch;
    int split = p->h * 2 / 3, csplit = split / 2;

    for (int row = 0; row < p->h; row++) {
        for (int x = 0; x < p->w; x++) {
            uint8_t val;
            if (row < split)
                val = bars[x * 7 / p->w][0];
            else
                val = (uint8_t)(LUMA_BLACK +
                                (LUMA_WHITE - LUMA_BLACK) * x / (p->w > 1 ? p->w - 1 : 1));
            y[(size_t)row * p->w + x] = val;
        }
    }
    for (int row = 0; row < p->ch; row++) {
        for (int x = 0; x < p->cw; x++) {
            size_t i = (size_t)row * p->cw + x;
            bool top = row < csplit;
            u[i] = top ? bars[x * 7 / p->cw][1] : 128;
            v[i] = top ? bars[x * 7 / p->cw][2] : 128;
        }
    }
}

int mrtc_pattern_new(uint16_t width, uint16_t height, mrtc_pattern **out)
{
    mrtc_pattern *p;

    if (!out || width < MRTC_PATTERN_MIN_DIM || width > MRTC_PATTERN_MAX_DIM ||
        height < MRTC_PATTERN_MIN_DIM || height > MRTC_PATTERN_MAX_DIM)
        return MRTC_EINVAL;
    *out = NULL;
    p = mrtc_calloc(1, sizeof *p);
    if (!p)
        return MRTC_ENOMEM;
    p->w = width;
    p->h = height;
    p->cw = (width + 1) / 2;
    p->ch = (height + 1) / 2;
    p->size = (size_t)width * height + 2 * (size_t)p->cw * p->ch;
    p->bg = mrtc_malloc(p->size);
    p->buf = mrtc_malloc(p->size);
    if (!p->bg || !p->buf) {
        mrtc_pattern_free(p);
        return MRTC_ENOMEM;
    }
    p->lay = layout_for(width, height);
    draw_background(p);
    *out = p;
    return 0;
}

void mrtc_pattern_free(mrtc_pattern *p)
{
    if (!p)
        return;
    mrtc_free(p->bg);
    mrtc_free(p->buf);
    mrtc_free(p);
}

/* A rectangle in luma pixels drawn on all three planes (chroma at half resolution). */
static void fill_yuv(mrtc_pattern *p, int x0, int y0, int x1, int y1, const uint8_t yuv[3])
{
    uint8_t *y = p->buf, *u = y + (size_t)p->w * p->h, *v = u + (size_t)p->cw * p->ch;
    fill(y, p->w, x0, y0, x1, y1, yuv[0]);
    fill(u, p->cw, x0 / 2, y0 / 2, (x1 + 1) / 2, (y1 + 1) / 2, yuv[1]);
    fill(v, p->cw, x0 / 2, y0 / 2, (x1 + 1) / 2, (y1 + 1) / 2, yuv[2]);
}

static void draw_square(mrtc_pattern *p, uint32_t frame_no)
{
    static const uint8_t red[3] = {81, 90, 240}, black[3] = {LUMA_BLACK, 128, 128};
    int band = p->h - p->h * 2 / 3;
    int side = band * 3 / 4;
    if (side < 2)
        return;
    int travel = p->w - side;
    if (travel <= 0)
        return;
    int step = p->w / 160 > 0 ? p->w / 160 : 1;
    uint64_t at = (uint64_t)frame_no * (uint64_t)step % (2 * (uint64_t)travel);
    int x = at < (uint64_t)travel ? (int)at : (int)(2 * (uint64_t)travel - at);
    int y = p->h - band + (band - side) / 2;
    int edge = side / 8;
    fill_yuv(p, x, y, x + side, y + side, black);
    fill_yuv(p, x + edge, y + edge, x + side - edge, y + side - edge, red);
}

static void draw_counter(mrtc_pattern *p, uint32_t value)
{
    static const uint8_t white[3] = {LUMA_WHITE, 128, 128};
    const layout *l = &p->lay;
    uint8_t *y = p->buf;
    int u = l->u;

    fill_yuv(p, l->box_x, l->box_y, l->box_x + BOX_UNITS_W * u, l->box_y + BOX_UNITS_H * u, white);
    for (int d = DIGITS - 1; d >= 0; d--) {
        uint8_t fig = figures[value % 10];
        value /= 10;
        int dx = l->box_x + (2 + d * DIGIT_PITCH) * u, dy = l->box_y + 2 * u;
        for (int s = 0; s < 7; s++) {
            if (!(fig & (1u << s)))
                continue;
            const rect *r = &strokes[s];
            fill(y, p->w, dx + r->x0 * u, dy + r->y0 * u, dx + r->x1 * u, dy + r->y1 * u,
                 LUMA_BLACK);
        }
    }
}

void mrtc_pattern_draw(mrtc_pattern *p, uint32_t frame_no, mrtc_video_frame *out)
{
    memcpy(p->buf, p->bg, p->size);
    draw_square(p, frame_no);
    if (p->lay.u)
        draw_counter(p, frame_no % MRTC_PATTERN_COUNTER_MOD);
    out->width = p->w;
    out->height = p->h;
    out->y = p->buf;
    out->u = p->buf + (size_t)p->w * p->h;
    out->v = out->u + (size_t)p->cw * p->ch;
    out->stride_y = p->w;
    out->stride_u = p->cw;
    out->stride_v = p->cw;
}

/* ---- Reader ---- */

/* Mean luma of a rectangle given in units relative to (ox, oy), shrunk by a quarter unit on
 * every side. */
static int mean_luma(const mrtc_video_frame *f, int u, int ox, int oy, const rect *r)
{
    int m = u / 4;
    int x0 = ox + r->x0 * u + m, x1 = ox + r->x1 * u - m;
    int y0 = oy + r->y0 * u + m, y1 = oy + r->y1 * u - m;
    uint64_t sum = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = f->y + (size_t)y * (size_t)f->stride_y;
        for (int x = x0; x < x1; x++)
            sum += row[x];
    }
    return (int)(sum / ((uint64_t)(x1 - x0) * (uint64_t)(y1 - y0)));
}

int mrtc_pattern_read_counter(const mrtc_video_frame *f)
{
    if (!f || !f->y || f->width < MRTC_PATTERN_MIN_DIM || f->height < MRTC_PATTERN_MIN_DIM ||
        f->stride_y < (int)f->width)
        return -1;
    layout l = layout_for(f->width, f->height);
    if (!l.u)
        return -1;
    int u = l.u;
    /* The margins of the box, left of the first digit and right of the last, must be light. */
    rect margins[2] = {{0, 2, 2, 9}, {BOX_UNITS_W - 2, 2, BOX_UNITS_W, 9}};
    for (int i = 0; i < 2; i++)
        if (mean_luma(f, u, l.box_x, l.box_y, &margins[i]) <= LUMA_OFF_ABOVE)
            return -1;
    int value = 0;
    for (int d = 0; d < DIGITS; d++) {
        int dx = l.box_x + (2 + d * DIGIT_PITCH) * u, dy = l.box_y + 2 * u;
        uint8_t fig = 0;
        for (int s = 0; s < 7; s++) {
            int m = mean_luma(f, u, dx, dy, &probes[s]);
            if (m < LUMA_ON_BELOW)
                fig |= (uint8_t)(1u << s);
            else if (m <= LUMA_OFF_ABOVE)
                return -1;
        }
        for (int i = 0; i < 2; i++)
            if (mean_luma(f, u, dx, dy, &holes[i]) <= LUMA_OFF_ABOVE)
                return -1;
        int digit = -1;
        for (int k = 0; k < 10; k++)
            if (figures[k] == fig)
                digit = k;
        if (digit < 0)
            return -1;
        value = value * 10 + digit;
    }
    return value;
}
