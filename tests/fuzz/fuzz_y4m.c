/* libFuzzer target for the YUV4MPEG2 parsers of media/y4m.c, and the test pattern's counter
 * reader (media/pattern.c) over whatever pictures they yield. Parses the input as a stream
 * header, then iterates over its frames: only documented codes, header lengths within their
 * limits, dimensions within 2..8192, every plane of every frame inside the buffer, and a
 * counter that is -1 or six digits. Any violation aborts. */
#include "media/pattern.h"
#include "media/y4m.h"
#include "meshrtc/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 64

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_y4m: %s\n", what);
        abort();
    }
}

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mrtc_y4m_info info;
    mrtc_video_frame f;

    int fh = mrtc_y4m_parse_frame_header(data, size);
    require(fh == MRTC_EPROTO || (fh >= 6 && fh <= MRTC_Y4M_MAX_FRAME_HEADER && (size_t)fh <= size),
            "frame header length");
    int hl = mrtc_y4m_parse_header(data, size, &info);
    require(hl == MRTC_EPROTO || (hl >= 10 && hl <= MRTC_Y4M_MAX_HEADER && (size_t)hl <= size),
            "stream header length");
    if (hl < 0)
        return 0;
    require(info.width >= MRTC_Y4M_MIN_DIM && info.width <= MRTC_Y4M_MAX_DIM &&
                info.height >= MRTC_Y4M_MIN_DIM && info.height <= MRTC_Y4M_MAX_DIM,
            "dimensions");
    require(info.fps_num > 0 && info.fps_den > 0, "frame rate");
    size_t cw = (info.width + 1u) / 2, ch = (info.height + 1u) / 2;
    require(info.frame_size == (size_t)info.width * info.height + 2 * cw * ch, "frame size");
    size_t pos = (size_t)hl;
    for (int i = 0; i < MAX_FRAMES; i++) {
        size_t before = pos;
        int n = mrtc_y4m_next_frame(&info, data, size, &pos, &f);
        require(n == 1 || n == 0 || n == MRTC_EPROTO, "undocumented frame code");
        if (n != 1) {
            require(pos == before, "position moved on end or error");
            break;
        }
        require(pos > before && pos <= size, "position");
        require(f.width == info.width && f.height == info.height, "view size");
        require(inside(f.y, (size_t)f.width * f.height, data, size), "Y outside the buffer");
        require(inside(f.u, cw * ch, data, size) && inside(f.v, cw * ch, data, size),
                "chroma outside the buffer");
        int counter = mrtc_pattern_read_counter(&f);
        require(counter >= -1 && counter < MRTC_PATTERN_COUNTER_MOD, "counter range");
    }
    return 0;
}
