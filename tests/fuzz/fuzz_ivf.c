/* libFuzzer target for the IVF parsers of media/ivf.c: the file header and the frame
 * iterator over the rest of the input. Only documented codes; every frame lies inside the
 * buffer, is at most MRTC_IVF_MAX_FRAME bytes and advances the position by exactly its header
 * and size; iteration ends at the end of the buffer or with MRTC_EPROTO leaving the position
 * unchanged. A header written from parsed fields parses back to the same. Any violation
 * aborts. */
#include "media/ivf.h"
#include "meshrtc/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_ivf: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mrtc_ivf_info info, again;
    mrtc_ivf_frame f;
    uint8_t hdr[MRTC_IVF_HEADER_LEN];

    int err = mrtc_ivf_parse_header(data, size, &info);
    require(err == 0 || err == MRTC_EPROTO, "undocumented header code");
    if (err == 0) {
        require(info.timebase_num && info.timebase_den, "zero timebase accepted");
        if (strlen(info.fourcc) == 4) {
            require(mrtc_ivf_write_header(hdr, sizeof hdr, &info) == MRTC_IVF_HEADER_LEN,
                    "writer refused parsed fields");
            require(mrtc_ivf_parse_header(hdr, sizeof hdr, &again) == 0 &&
                        memcmp(&info, &again, sizeof info) == 0,
                    "header round trip");
            require(memcmp(hdr, data, 28) == 0, "header bytes changed");
        }
    }
    /* Iterate whether or not the header parsed: the iterator trusts nothing. */
    size_t pos = size < MRTC_IVF_HEADER_LEN ? size : MRTC_IVF_HEADER_LEN;
    for (;;) {
        size_t before = pos;
        int n = mrtc_ivf_next_frame(data, size, &pos, &f);
        require(n == 1 || n == 0 || n == MRTC_EPROTO, "undocumented frame code");
        if (n != 1) {
            require(pos == before, "position moved on end or error");
            require(n != 0 || pos == size, "end before the end of the buffer");
            break;
        }
        require(f.len <= MRTC_IVF_MAX_FRAME, "frame over the limit");
        require(f.data == data + before + MRTC_IVF_FRAME_HEADER_LEN, "frame data position");
        require(pos == before + MRTC_IVF_FRAME_HEADER_LEN + f.len && pos <= size,
                "frame outside the buffer");
    }
    return 0;
}
