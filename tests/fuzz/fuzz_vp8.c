/* libFuzzer target for rtp/vp8.c. First parses the input as a VP8 payload descriptor; when
 * it parses, writes it back, requires a descriptor no longer than the input's (reserved bits
 * and an empty X byte are dropped) and the same fields when parsed again. Then splits the
 * input into packets (a control byte: marker and a timestamp step; a sequence step; a length;
 * that many payload bytes) and feeds them to a small frame assembler: only documented codes,
 * pending packets within the limit, emitted frames no larger than the limit and together no
 * larger than the payload bytes fed, each spanning at most max_packets sequence
 * numbers, with key frame dimensions only on key frames. Any violation aborts. */
#include "meshrtc/error.h"
#include "rtp/rtp.h"
#include "rtp/vp8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAME 4096
#define MAX_PACKETS 16

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_vp8: %s\n", what);
        abort();
    }
}

static bool same_desc(const mrtc_vp8_desc *a, const mrtc_vp8_desc *b)
{
    return a->non_reference == b->non_reference && a->start == b->start && a->pid == b->pid &&
           a->has_picture_id == b->has_picture_id && a->picture_id_long == b->picture_id_long &&
           a->picture_id == b->picture_id && a->has_tl0picidx == b->has_tl0picidx &&
           a->tl0picidx == b->tl0picidx && a->has_tid == b->has_tid && a->tid == b->tid &&
           a->layer_sync == b->layer_sync && a->has_keyidx == b->has_keyidx &&
           a->keyidx == b->keyidx;
}

static void check_desc(const uint8_t *data, size_t size)
{
    mrtc_vp8_desc d, r;
    uint8_t out[MRTC_VP8_DESC_MAX_LEN + 1];

    int n = mrtc_vp8_desc_parse(&d, data, size);
    require(n == MRTC_EPROTO || (n >= 1 && n <= MRTC_VP8_DESC_MAX_LEN && (size_t)n < size),
            "parse returned an undocumented code or length");
    if (n < 0)
        return;
    int w = mrtc_vp8_desc_write(&d, out, sizeof out);
    require(w >= 1 && w <= n, "writer failed on parsed fields or grew the descriptor");
    require(w == mrtc_vp8_desc_len(&d), "desc_len disagrees with the writer");
    require(mrtc_vp8_desc_write(&d, out, (size_t)w - 1) == MRTC_ENOBUFS, "capacity ignored");
    out[w] = 0;
    require(mrtc_vp8_desc_parse(&r, out, (size_t)w + 1) == w, "rewritten descriptor length");
    require(same_desc(&d, &r), "descriptor fields changed");
}

static void check_assembler(const uint8_t *data, size_t size)
{
    mrtc_vp8_assembler_config cfg;
    mrtc_vp8_push_result res;
    size_t pos = 0, fed = 0, emitted = 0;
    uint16_t seq = 0xfff0;
    uint32_t ts = 0xffffff00u;

    mrtc_vp8_assembler_config_init(&cfg);
    cfg.max_frame_bytes = MAX_FRAME;
    cfg.max_packets = MAX_PACKETS;
    mrtc_vp8_assembler *a = mrtc_vp8_assembler_new(&cfg);
    require(a != NULL, "assembler_new failed");
    while (size - pos >= 3) {
        uint8_t ctl = data[pos], step = data[pos + 1];
        size_t len = data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        seq = (uint16_t)(seq + (int8_t)step);
        ts += (uint32_t)((ctl >> 1) & 3) * 3000u;
        int err = mrtc_vp8_assembler_push(a, seq, ts, ctl & 1, data + pos, len, &res);
        require(err == 0 || err == MRTC_EPROTO || err == MRTC_ETOOBIG,
                "push returned an undocumented code");
        if (err == 0 || err == MRTC_ETOOBIG)
            fed += len;
        pos += len;
        require(mrtc_vp8_assembler_pending(a) <= MAX_PACKETS, "pending above the limit");
        if (res.has_frame) {
            const mrtc_vp8_frame *f = &res.frame;
            require(err == 0, "frame with an error");
            require(f->len >= 3 && f->len <= MAX_FRAME, "frame size out of range");
            emitted += f->len;
            require(emitted <= fed, "frames larger than the payload bytes fed");
            int32_t span = mrtc_rtp_seq_diff(f->last_seq, f->first_seq);
            require(span >= 0 && span < MAX_PACKETS, "frame spans too many packets");
            require(f->desc.start && f->desc.pid == 0, "frame without a partition 0 start");
            require(f->keyframe ? f->len >= 10 : (f->width == 0 && f->height == 0),
                    "dimensions on a non-key frame");
            require(f->width <= 0x3FFF && f->height <= 0x3FFF, "dimension over 14 bits");
            volatile uint8_t sink = 0;
            for (size_t i = 0; i < f->len; i++)
                sink ^= f->data[i]; /* the whole frame is readable */
            (void)sink;
        }
        require(res.gap_count == 0 || res.gap_count < 0x8000, "gap too large");
    }
    mrtc_vp8_assembler_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_desc(data, size);
    check_assembler(data, size);
    return 0;
}
