/* libFuzzer target for rtp/rtx.c. First unwraps the input as an RTX packet: only documented
 * codes; a rebuilt packet parses, carries the given PT, SSRC, the OSN as its sequence number,
 * the RTX header's marker, timestamp, CSRCs and extension block and the payload after the
 * OSN, and is 2 bytes shorter than the RTX packet without padding; in-place unwrapping gives
 * the same bytes and one byte less capacity is MRTC_ENOBUFS. Then runs the input as a script
 * against a small history (3 config bytes, then operations: put raw bytes, build an RTX for
 * a sequence number, advance the clock, expire): the history never exceeds its bounds, and
 * every RTX it builds unwraps to the packet last stored with that sequence number, padding
 * stripped. Any violation aborts. */
#include "meshrtc/error.h"
#include "rtp/rtp.h"
#include "rtp/rtx.h"
#include "script.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define APT 96
#define MEDIA_SSRC 0xa1b2c3d4u
#define SHADOW 32 /* > the largest max_packets below: every held packet has a shadow */
#define MAX_PKT 300

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_rtx: %s\n", what);
        abort();
    }
}

static void check_unwrap(const uint8_t *data, size_t size)
{
    static uint8_t out[65536 + 16], inplace[65536 + 16];
    mrtc_rtp_packet in, r;

    if (size > 65536)
        return;
    int n = mrtc_rtx_unwrap(data, size, APT, MEDIA_SSRC, out, sizeof out);
    require(n == MRTC_EPROTO || n > 0, "unwrap returned an undocumented code");
    int parsed = mrtc_rtp_parse(&in, data, size);
    if (n < 0) {
        require(parsed != 0 || in.payload_len < 2, "a valid RTX packet was refused");
        return;
    }
    require(parsed == 0, "an invalid packet was unwrapped");
    require((size_t)n == in.header_len + in.payload_len - 2, "rebuilt length");
    require(mrtc_rtp_parse(&r, out, (size_t)n) == 0, "rebuilt packet does not parse");
    require(r.pt == APT && r.ssrc == MEDIA_SSRC, "PT or SSRC not replaced");
    require(r.seq == (uint16_t)(in.payload[0] << 8 | in.payload[1]), "sequence is not the OSN");
    require(r.marker == in.marker && r.ts == in.ts && r.n_csrc == in.n_csrc, "header changed");
    require(memcmp(r.csrc, in.csrc, sizeof r.csrc[0] * in.n_csrc) == 0, "CSRCs changed");
    require(r.has_ext == in.has_ext && r.ext_raw_len == in.ext_raw_len, "extension changed");
    require(!r.has_ext || memcmp(r.ext_raw, in.ext_raw, in.ext_raw_len) == 0,
            "extension bytes changed");
    require(r.padding_len == 0, "padding kept");
    require(r.payload_len == in.payload_len - 2 &&
                memcmp(r.payload, in.payload + 2, r.payload_len) == 0,
            "payload changed");
    require(mrtc_rtx_unwrap(data, size, APT, MEDIA_SSRC, out, (size_t)n - 1) == MRTC_ENOBUFS,
            "capacity ignored");
    memcpy(inplace, data, size);
    require(mrtc_rtx_unwrap(inplace, size, APT, MEDIA_SSRC, inplace, size) == n, "in-place length");
    require(memcmp(inplace, out, (size_t)n) == 0, "in-place bytes differ");
}

typedef struct shadow {
    uint8_t data[MAX_PKT];
    size_t len;
    uint16_t seq;
    bool used;
} shadow;

/* The original packet as an RTX round trip must give it back: padding stripped. */
static size_t strip_padding(const shadow *s, uint8_t *out)
{
    mrtc_rtp_packet p;
    require(mrtc_rtp_parse(&p, s->data, s->len) == 0, "stored packet does not parse");
    memcpy(out, s->data, p.header_len);
    out[0] &= (uint8_t)~0x20u;
    memcpy(out + p.header_len, p.payload, p.payload_len);
    return p.header_len + p.payload_len;
}

static void check_history(const uint8_t *data, size_t size)
{
    static shadow shadows[SHADOW];
    static uint8_t rtx[MAX_PKT + 16], back[MAX_PKT + 16], want[MAX_PKT];
    mrtc_rtx_history_config cfg;
    mrtc_rtx_history *h = NULL;
    reader rd = {data, size};
    mrtc_time now = 0;
    uint16_t rtx_seq = 0;
    size_t next = 0, packets, bytes;

    memset(shadows, 0, sizeof shadows);
    mrtc_rtx_history_config_init(&cfg);
    cfg.max_packets = 1 + rd8(&rd) % 16;
    cfg.max_bytes = 64 + rd8(&rd) * 16u;
    cfg.max_age = (1 + rd8(&rd)) * MRTC_MSEC(10);
    require(mrtc_rtx_history_new(&cfg, &h) == 0, "history_new failed");
    while (rd.n > 0) {
        unsigned op = rd8(&rd);
        switch (op % 4) {
        case 0: {
            uint8_t pkt[MAX_PKT];
            size_t len = rd8(&rd);
            if (len > rd.n)
                len = rd.n;
            memcpy(pkt, rd.p, len);
            rd.p += len;
            rd.n -= len;
            if ((op & 0x80) && len > 0)
                pkt[0] = (uint8_t)((pkt[0] & 0x3f) | 0x80);
            int err = mrtc_rtx_history_put(h, now, pkt, len);
            require(err == 0 || err == MRTC_EPROTO || err == MRTC_ETOOBIG,
                    "put returned an undocumented code");
            if (err == 0) {
                shadow *s = &shadows[next++ % SHADOW];
                memcpy(s->data, pkt, len);
                s->len = len;
                s->seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
                s->used = true;
            }
            break;
        }
        case 1: {
            uint16_t seq = (uint16_t)rd16(&rd);
            mrtc_time min_interval = rd8(&rd) * MRTC_MSEC(1);
            size_t cap = (op & 0x80) ? rd8(&rd) : sizeof rtx;
            uint16_t before = rtx_seq;
            int n = mrtc_rtx_history_build_rtx(h, now, seq, 97, 0x01020304u, &rtx_seq, min_interval,
                                               rtx, cap);
            require(n > 0 || n == MRTC_ENOTFOUND || n == MRTC_EAGAIN || n == MRTC_ENOBUFS,
                    "build returned an undocumented code");
            require(rtx_seq == (uint16_t)(before + (n > 0)), "rtx_seq advanced wrongly");
            if (n <= 0)
                break;
            require((size_t)n <= cap, "wrote past the capacity");
            const shadow *s = NULL;
            for (size_t i = 0; i < SHADOW && i < next; i++) {
                const shadow *c = &shadows[(next - 1 - i) % SHADOW];
                if (c->used && c->seq == seq) {
                    s = c;
                    break;
                }
            }
            require(s != NULL, "built an RTX for a packet never stored");
            size_t wlen = strip_padding(s, want);
            require((size_t)n == wlen + 2, "RTX length");
            int m = mrtc_rtx_unwrap(rtx, (size_t)n, 0, 0, back, sizeof back);
            require(m == (int)wlen, "RTX does not unwrap");
            back[1] = (uint8_t)((back[1] & 0x80) | (want[1] & 0x7f));
            memcpy(back + 8, want + 8, 4);
            require(memcmp(back, want, wlen) == 0, "round trip changed the packet");
            break;
        }
        case 2:
            now += rd16(&rd) * MRTC_USEC(100);
            break;
        default:
            mrtc_rtx_history_expire(h, now);
            break;
        }
        mrtc_rtx_history_size(h, &packets, &bytes);
        require(packets <= cfg.max_packets && bytes <= cfg.max_bytes, "bounds exceeded");
    }
    mrtc_rtx_history_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_unwrap(data, size);
    check_history(data, size);
    return 0;
}
