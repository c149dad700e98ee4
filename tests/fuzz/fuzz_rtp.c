/* libFuzzer target for rtp/rtp.c. Parses the input as an RTP packet; when it parses, checks
 * that every view stays inside the input and the lengths add up, runs the extension readers
 * on every element, re-serialises the packet with the writer, parses that again and requires
 * the same fields back. Also checks the sequence number helpers on the first bytes. Any
 * mismatch aborts, so libFuzzer reports it. */
#include "meshrtc/error.h"
#include "rtp/rtp.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_rtp: %s\n", what);
        abort();
    }
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return n == 0 || (p && p >= data && p + n <= data + size);
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
    return n == 0 || memcmp(a, b, n) == 0;
}

static void check_seq(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    uint16_t a = (uint16_t)(data[0] << 8 | data[1]);
    uint16_t b = (uint16_t)(data[2] << 8 | data[3]);
    bool ab = mrtc_rtp_seq_newer(a, b), ba = mrtc_rtp_seq_newer(b, a);
    require(a == b ? (!ab && !ba) : (ab != ba), "seq_newer is not antisymmetric");
    int32_t d = mrtc_rtp_seq_diff(a, b);
    require(d >= -32768 && d <= 32767 && (uint16_t)(b + d) == a, "seq_diff wrong");

    mrtc_rtp_seq_unwrapper u;
    mrtc_rtp_seq_unwrapper_init(&u);
    int64_t prev = mrtc_rtp_seq_unwrap(&u, a);
    require(prev == a, "first unwrapped value changed");
    for (size_t i = 4; i + 1 < size && i < 64; i += 2) {
        uint16_t s = (uint16_t)(data[i] << 8 | data[i + 1]);
        int64_t v = mrtc_rtp_seq_unwrap(&u, s);
        require((uint16_t)v == s, "unwrapped value has the wrong low bits");
    }
}

static void check_exts(const mrtc_rtp_packet *p)
{
    char mid[256];
    bool voice;
    uint8_t level;
    uint32_t t;
    uint16_t seq;

    for (int i = 0; i < p->n_ext; i++) {
        const mrtc_rtp_ext *e = &p->ext[i];
        int err = mrtc_rtp_ext_read_mid(e, mid, sizeof mid);
        require(err == 0 || err == MRTC_EPROTO, "read_mid returned an undocumented code");
        if (err == 0)
            require(strlen(mid) == e->len, "mid length changed");
        err = mrtc_rtp_ext_read_audio_level(e, &voice, &level);
        require(err == (e->len == 1 ? 0 : MRTC_EPROTO), "read_audio_level code");
        if (err == 0)
            require(level <= 127, "audio level out of range");
        err = mrtc_rtp_ext_read_abs_send_time(e, &t);
        require(err == (e->len == 3 ? 0 : MRTC_EPROTO), "read_abs_send_time code");
        if (err == 0)
            require(t <= 0xFFFFFFu, "abs-send-time out of range");
        err = mrtc_rtp_ext_read_twcc(e, &seq);
        require(err == (e->len == 2 ? 0 : MRTC_EPROTO), "read_twcc code");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[0x50000];
    mrtc_rtp_packet p, r;

    check_seq(data, size);
    int err = mrtc_rtp_parse(&p, data, size);
    require(err == 0 || err == MRTC_EPROTO, "parse returned an undocumented code");
    if (err)
        return 0;
    require(mrtc_rtp_is_rtp_or_rtcp(data, size), "parsed a packet the demux test rejects");
    require(p.header_len + p.payload_len + p.padding_len == size, "lengths do not add up");
    require(p.payload == data + p.header_len, "payload does not follow the header");
    require(p.n_csrc <= MRTC_RTP_MAX_CSRC && p.pt <= 127, "header field out of range");
    require(p.n_ext >= 0 && p.n_ext <= MRTC_RTP_MAX_EXT, "n_ext out of range");
    require(!p.has_ext || inside(p.ext_raw, p.ext_raw_len, data, size), "block out of bounds");
    require(p.has_ext || p.n_ext == 0, "elements without an extension");
    for (int i = 0; i < p.n_ext; i++) {
        const mrtc_rtp_ext *e = &p.ext[i];
        require(e->id != 0, "element id 0");
        require(e->data >= p.ext_raw && e->data + e->len <= p.ext_raw + p.ext_raw_len,
                "element outside its block");
        if (p.ext_profile == MRTC_RTP_EXT_ONE_BYTE)
            require(e->id <= 14 && e->len >= 1 && e->len <= 16, "one-byte element range");
    }
    check_exts(&p);

    int n = mrtc_rtp_write(&p, out, sizeof out);
    require(n > 0, "writer failed on parsed fields");
    require(mrtc_rtp_write(&p, out, (size_t)n - 1) == MRTC_ENOBUFS, "writer ignored capacity");
    n = mrtc_rtp_write(&p, out, sizeof out);
    require(mrtc_rtp_parse(&r, out, (size_t)n) == 0, "re-serialised packet does not parse");

    require(r.marker == p.marker && r.pt == p.pt && r.seq == p.seq && r.ts == p.ts &&
                r.ssrc == p.ssrc,
            "fixed header changed");
    require(r.n_csrc == p.n_csrc && memcmp(r.csrc, p.csrc, sizeof p.csrc) == 0,
            "CSRC list changed");
    require(r.has_ext == p.has_ext && r.n_ext == p.n_ext, "extension presence changed");
    for (int i = 0; i < p.n_ext; i++)
        require(r.ext[i].id == p.ext[i].id && r.ext[i].len == p.ext[i].len &&
                    same(r.ext[i].data, p.ext[i].data, p.ext[i].len),
                "extension element changed");
    if (p.has_ext && p.n_ext == 0)
        require(r.ext_profile == p.ext_profile && r.ext_raw_len == p.ext_raw_len &&
                    same(r.ext_raw, p.ext_raw, p.ext_raw_len),
                "raw extension block changed");
    require(r.payload_len == p.payload_len && same(r.payload, p.payload, p.payload_len),
            "payload changed");
    require(r.padding_len == p.padding_len, "padding changed");
    return 0;
}
