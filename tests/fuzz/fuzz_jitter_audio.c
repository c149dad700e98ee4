/*
 * libFuzzer target for rtp/jitter_audio.c: sequence numbers, timestamps, durations and
 * arrival times from the network drive its arithmetic (unwrapping, transit times, the
 * percentile, DTX gaps, restarts), so UBSan overflow checks matter as much as ASan here.
 * Input: byte 0 picks the config (bits 0-2: max_packets 2..9; bits 3-5: min_delay_ms
 * 0..140; bits 6-7: max_delay_ms min + 0, 60, 400 or 10000 capped at 10000), then a script
 * (tests/fuzz/script.h) of operations, an opcode byte (mod 4) and operands:
 *   0 PUSH  u8 flags, u8 step, u16 ts step, u16 samples, u8 length, bytes: a packet.
 *           flags bit 0: the sequence number is step << 8 | flags (absolute), else it
 *           moves by (int8)step; bit 1: the timestamp moves back by ts step instead;
 *           bit 2: the timestamp moves by ts step * 16. At most 255 payload bytes;
 *   1 POP   one pop;
 *   2 TIME  u8 t: the clock moves t ms (t = 255: by 2^40 us);
 *   3 STATS the statistics' invariants.
 *
 * Invariants (any breach aborts): push returns 0 or MRTC_EINVAL (for a zero or oversized
 * duration) only; pop returns 0 with an action in range, 1..5760 samples, a readable
 * payload exactly for DECODE and FEC; counters stay consistent (late, duplicated <=
 * received; FEC recoveries <= losses; concealed samples at most 5760 per frame); the target
 * stays within [min, max]; the buffer never holds more than max_packets blocks; nothing
 * leaks.
 */
#include "script.h"
#include "core/util/alloc.h"
#include "core/util/time.h"
#include "meshrtc/error.h"
#include "rtp/jitter_audio.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 8192

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_jitter_audio: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    mrtc_jitter_audio_config cfg;
    mrtc_jitter_audio *jb = NULL;
    mrtc_jitter_audio_stats st;
    mrtc_jitter_audio_out o;
    mrtc_time now = MRTC_SEC(5);
    uint16_t seq = 0xfff0;
    uint32_t ts = 0xfffff000u;
    long base = mrtc_alloc_live();

    unsigned c = rd8(&r);
    static const unsigned extra[] = {0, 60, 400, 10000};
    mrtc_jitter_audio_config_init(&cfg);
    cfg.max_packets = 2 + (c & 7);
    cfg.min_delay_ms = ((c >> 3) & 7) * 20;
    cfg.max_delay_ms = cfg.min_delay_ms + extra[c >> 6];
    if (cfg.max_delay_ms > 10000)
        cfg.max_delay_ms = 10000;
    require(mrtc_jitter_audio_new(&cfg, &jb) == 0, "new failed");

    for (int op = 0; op < MAX_OPS && r.n > 0; op++) {
        switch (rd8(&r) % 4) {
        case 0: {
            unsigned flags = rd8(&r), step = rd8(&r), tstep = rd16(&r), samples = rd16(&r);
            size_t len = rd8(&r);
            if (len > r.n)
                len = r.n;
            seq = (flags & 1) ? (uint16_t)(step << 8 | flags) : (uint16_t)(seq + (int8_t)step);
            uint32_t d = (flags & 4) ? (uint32_t)tstep * 16u : tstep;
            ts = (flags & 2) ? ts - d : ts + d;
            int err = mrtc_jitter_audio_push(jb, now, seq, ts, len ? r.p : data, len, samples);
            bool valid = len > 0 && samples > 0 && samples <= 5760;
            require(valid ? err == 0 : err == MRTC_EINVAL, "push returned an unexpected code");
            r.p += len;
            r.n -= len;
            break;
        }
        case 1: {
            require(mrtc_jitter_audio_pop(jb, now, &o) == 0, "pop failed");
            require(o.action >= MRTC_JITTER_AUDIO_WAIT && o.action <= MRTC_JITTER_AUDIO_CONCEAL,
                    "action out of range");
            require(o.samples >= 1 && o.samples <= 5760, "samples out of range");
            bool has = o.action == MRTC_JITTER_AUDIO_DECODE || o.action == MRTC_JITTER_AUDIO_FEC;
            require(has == (o.payload != NULL), "payload on the wrong action");
            if (has) {
                require(o.len >= 1 && o.len <= MRTC_JITTER_AUDIO_MAX_PAYLOAD, "payload size");
                volatile uint8_t sink = 0;
                for (size_t i = 0; i < o.len; i++)
                    sink ^= o.payload[i];
                (void)sink;
            }
            break;
        }
        case 2: {
            unsigned t = rd8(&r);
            now += t == 255 ? ((mrtc_time)1 << 40) : MRTC_MSEC(t);
            break;
        }
        default:
            mrtc_jitter_audio_get_stats(jb, &st);
            require(st.packets_late + st.packets_duplicated <= st.packets_received,
                    "more late and duplicated packets than received");
            require(st.fec_recovered <= st.packets_lost, "more FEC than losses");
            require(st.concealed_samples <= st.concealed_frames * 5760, "concealed samples");
            require(st.target_delay_ms >= cfg.min_delay_ms &&
                        st.target_delay_ms <= cfg.max_delay_ms,
                    "target out of bounds");
            require(st.jitter_ms >= 0.0, "negative jitter");
            break;
        }
        require(mrtc_alloc_live() - base <= (long)cfg.max_packets + 3,
                "more blocks than max_packets allows");
    }
    mrtc_jitter_audio_free(jb);
    require(mrtc_alloc_live() == base, "leak");
    return 0;
}
