/*
 * libFuzzer target for rtp/jitter_video.c (and through it rtp/nack.c and the VP8
 * descriptor and frame header parsers of rtp/vp8.c): the input is a script (tests/fuzz/
 * script.h) run against one buffer on a virtual clock. Operations, an opcode byte (mod 8)
 * and its operands:
 *   0 PUSH     u8 flags, u8 step, u8 ts step, u16 length, bytes: a packet. flags bit 0:
 *              marker; bit 1: recovered; bit 2: the sequence number is step << 8 | ts step
 *              (absolute) instead of moving by (int8)step; bit 3: a copy of the previous
 *              packet's sequence number. The timestamp moves by ts step * 1000. At most 2047
 *              payload bytes (fewer when the input ends);
 *   1 POLL     every ready frame;
 *   2 TIME     u8 t: the clock moves t * 2 ms (t = 255: 60 s);
 *   3 NACK     u8 cap: poll_nack with capacity cap % 65;
 *   4 KEY      poll_keyframe_request;
 *   5 FAILED   decode_failed;
 *   6 RTT      u8 r: set_rtt(r * 4 ms);
 *   7 CHECK    the next_timeout promise: when it lies after now, nothing is due now.
 *
 * Invariants (any breach aborts): push returns only documented codes; delivered frames
 * have 3..MRTC_VP8_DEFAULT_MAX_FRAME bytes, all readable, a key frame flag matching the
 * frame tag's P bit and 14-bit dimensions only on key frames, start with an S=1 PID=0
 * descriptor and span at most MRTC_JITTER_VIDEO_MAX_PACKETS sequence numbers; poll_nack
 * respects its capacity; the stats count what was seen (frames and key frames delivered,
 * NACKs, key frame requests); when next_timeout is after now, poll_frame, poll_nack and
 * poll_keyframe_request have nothing to do; the buffer never holds more blocks than its
 * packet limit allows; nothing leaks.
 */
#include "script.h"
#include "core/util/alloc.h"
#include "core/util/time.h"
#include "meshrtc/error.h"
#include "rtp/jitter_video.h"
#include "rtp/rtp.h"
#include "rtp/vp8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 4096

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_jitter_video: %s\n", what);
        abort();
    }
}

typedef struct seen {
    uint64_t frames, keyframes, nacks, requests;
} seen;

static void check_frame(const mrtc_vp8_frame *f)
{
    require(f->data != NULL, "frame without data");
    require(f->len >= 3 && f->len <= MRTC_VP8_DEFAULT_MAX_FRAME, "frame size out of range");
    require(f->keyframe == ((f->data[0] & 1) == 0), "key frame flag disagrees with the tag");
    require(f->keyframe ? f->len >= 10 : (f->width == 0 && f->height == 0),
            "dimensions on a delta frame");
    require(f->width <= 0x3FFF && f->height <= 0x3FFF, "dimension over 14 bits");
    require(f->desc.start && f->desc.pid == 0, "frame without a partition 0 start");
    int32_t span = mrtc_rtp_seq_diff(f->last_seq, f->first_seq);
    require(span >= 0 && span < MRTC_JITTER_VIDEO_MAX_PACKETS, "frame spans too many packets");
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < f->len; i++)
        sink ^= f->data[i];
    (void)sink;
}

static void poll_frames(mrtc_jitter_video *jb, mrtc_time now, seen *s)
{
    mrtc_vp8_frame f;
    int guard = 0;
    while (mrtc_jitter_video_poll_frame(jb, now, &f)) {
        check_frame(&f);
        s->frames++;
        s->keyframes += f.keyframe;
        require(++guard <= MRTC_JITTER_VIDEO_MAX_PACKETS, "more frames than packets");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    mrtc_jitter_video *jb = NULL;
    mrtc_jitter_video_stats st;
    uint16_t nacks[64];
    seen s = {0};
    mrtc_time now = MRTC_SEC(1000);
    uint16_t seq = 0xfff0;
    uint32_t ts = 0xffff0000u;
    long base = mrtc_alloc_live();

    require(mrtc_jitter_video_new(&jb) == 0, "new failed");
    for (int op = 0; op < MAX_OPS && r.n > 0; op++) {
        switch (rd8(&r) % 8) {
        case 0: {
            unsigned flags = rd8(&r), step = rd8(&r), tstep = rd8(&r);
            size_t len = rd16(&r) & 0x7FF;
            if (len > r.n)
                len = r.n;
            if (flags & 4)
                seq = (uint16_t)(step << 8 | tstep);
            else if (!(flags & 8))
                seq = (uint16_t)(seq + (int8_t)step);
            ts += tstep * 1000u;
            int err =
                mrtc_jitter_video_push(jb, now, seq, ts, flags & 1, r.p, len, (flags & 2) != 0);
            require(err == 0 || err == MRTC_EPROTO, "push returned an undocumented code");
            r.p += len;
            r.n -= len;
            break;
        }
        case 1:
            poll_frames(jb, now, &s);
            break;
        case 2: {
            unsigned t = rd8(&r);
            now += t == 255 ? MRTC_SEC(60) : MRTC_MSEC(2) * t;
            break;
        }
        case 3: {
            size_t cap = rd8(&r) % 65;
            size_t n = mrtc_jitter_video_poll_nack(jb, now, nacks, cap);
            require(n <= cap, "poll_nack past its capacity");
            s.nacks += n;
            break;
        }
        case 4:
            s.requests += mrtc_jitter_video_poll_keyframe_request(jb, now);
            break;
        case 5:
            mrtc_jitter_video_decode_failed(jb);
            break;
        case 6:
            mrtc_jitter_video_set_rtt(jb, MRTC_MSEC(4) * rd8(&r));
            break;
        default: {
            mrtc_time t = mrtc_jitter_video_next_timeout(jb);
            if (t > now) {
                mrtc_vp8_frame f;
                require(!mrtc_jitter_video_poll_frame(jb, now, &f), "frame before timeout");
                require(mrtc_jitter_video_poll_nack(jb, now, nacks, 64) == 0,
                        "NACK before timeout");
                require(!mrtc_jitter_video_poll_keyframe_request(jb, now),
                        "key frame request before timeout");
            }
            break;
        }
        }
        /* One block per packet held, plus the buffer, its ring, its frame and the NACK
         * scheduler with its list. */
        require(mrtc_alloc_live() - base <= MRTC_JITTER_VIDEO_MAX_PACKETS + 5,
                "more blocks than the packet limit allows");
    }
    poll_frames(jb, now, &s);
    mrtc_jitter_video_get_stats(jb, &st);
    require(st.frames_delivered == s.frames, "frames_delivered disagrees");
    require(st.keyframes_delivered == s.keyframes, "keyframes_delivered disagrees");
    require(st.nacks_sent == s.nacks, "nacks_sent disagrees");
    require(st.keyframe_requests == s.requests, "keyframe_requests disagrees");
    require(st.frames_delivered <= st.frames_received, "more delivered than received");
    require(st.packets_recovered <= st.packets, "more recovered than received");
    mrtc_jitter_video_free(jb);
    require(mrtc_alloc_live() == base, "leak");
    return 0;
}
