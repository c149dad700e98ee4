/* libFuzzer target for the VP8 decoder of media/vp8_codec.c. The input is a sequence of
 * frames, each a 2-byte length and that many bytes, fed to one decoder. Key frame sizes are
 * masked to at most 511x511 so runs stay fast (the size limit itself is a unit test).
 * Every call must return 1, 0 or MRTC_EPROTO; a picture must have a sane size and readable
 * planes of that size; after MRTC_EPROTO the decoder waits for a key frame and after a
 * picture it does not. Any violation aborts. */
#include "media/vp8_codec.h"
#include "meshrtc/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t frame[65536];

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_vp8_codec: %s\n", what);
        abort();
    }
}

static unsigned sum_plane(const uint8_t *p, int stride, size_t w, size_t h)
{
    unsigned s = 0;
    for (size_t r = 0; r < h; r++)
        for (size_t c = 0; c < w; c++)
            s += p[r * (size_t)stride + c];
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mrtc_vp8_decoder *d = NULL;
    require(mrtc_vp8_decoder_new(&d) == 0, "decoder_new failed");
    size_t pos = 0;
    while (size - pos >= 2) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        memcpy(frame, data + pos, len);
        pos += len;
        if (len >= 10 && (frame[0] & 1) == 0) {
            frame[7] &= 0xc1; /* keep the scaling bits, width below 512 */
            frame[9] &= 0xc1;
        }
        mrtc_video_frame pic;
        int rc = mrtc_vp8_decoder_decode(d, frame, len, &pic);
        require(rc == 1 || rc == 0 || rc == MRTC_EPROTO, "undocumented code");
        if (rc == MRTC_EPROTO)
            require(mrtc_vp8_decoder_needs_keyframe(d), "error without waiting for a key frame");
        if (rc != 1)
            continue;
        require(!mrtc_vp8_decoder_needs_keyframe(d), "picture while waiting for a key frame");
        require(pic.width > 0 && pic.height > 0 && pic.width < 512 && pic.height < 512,
                "picture size");
        size_t cw = ((size_t)pic.width + 1) / 2, ch = ((size_t)pic.height + 1) / 2;
        require(pic.stride_y >= pic.width && pic.stride_u >= (int)cw && pic.stride_v >= (int)cw,
                "strides");
        volatile unsigned sink = sum_plane(pic.y, pic.stride_y, pic.width, pic.height) +
                                 sum_plane(pic.u, pic.stride_u, cw, ch) +
                                 sum_plane(pic.v, pic.stride_v, cw, ch);
        (void)sink;
    }
    mrtc_vp8_decoder_free(d);
    return 0;
}
