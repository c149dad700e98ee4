/* Tests of rtp/rtp.c: hand-written known-answer packets (one-byte extension with mid and
 * abs-send-time; two-byte extension with CSRCs and padding), byte-exact re-serialisation,
 * every truncation, padding edge cases, RFC 8285 edge cases (padding bytes, id 15, overruns,
 * appbits, unknown profiles, form selection), the extension helpers, writer capacity and
 * misuse, and sequence number arithmetic across the wrap. */
#include "test.h"

#include "meshrtc/error.h"
#include "rtp/rtp.h"

#include <stdbool.h>
#include <stdint.h>

/* V=2 X=1 CC=0, M=1 PT=96, seq 0x1234, ts 0x11223344, SSRC 0xaabbccdd; one-byte extension
 * block of 2 words: id 4 (mid) "0", id 2 (abs-send-time) 0x123456, two padding bytes;
 * payload 01 02 03. */
static const uint8_t pkt_one[] = {
    0x90, 0xe0, 0x12, 0x34, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd, 0xbe, 0xde,
    0x00, 0x02, 0x40, 0x30, 0x22, 0x12, 0x34, 0x56, 0x00, 0x00, 0x01, 0x02, 0x03,
};

/* V=2 P=1 X=1 CC=2, PT=111, seq 0xffff, ts 0, SSRC 1, CSRCs 2 and 3; two-byte extension
 * (0x1000) of 2 words: id 1 len 2 ab cd, id 20 len 0, two padding bytes; payload ff; three
 * bytes of padding. */
static const uint8_t pkt_two[] = {
    0xb2, 0x6f, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x02,
    0x01, 0x02, 0xab, 0xcd, 0x14, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x03,
};

static void test_parse_one_byte(void)
{
    mrtc_rtp_packet p;
    char mid[8];
    uint32_t ast = 0;

    CHECK_EQ(mrtc_rtp_parse(&p, pkt_one, sizeof pkt_one), 0);
    CHECK(p.marker);
    CHECK_EQ(p.pt, 96);
    CHECK_EQ(p.seq, 0x1234);
    CHECK_U64(p.ts, 0x11223344u);
    CHECK_U64(p.ssrc, 0xaabbccddu);
    CHECK_EQ(p.n_csrc, 0);
    CHECK(p.has_ext);
    CHECK_EQ(p.ext_profile, MRTC_RTP_EXT_ONE_BYTE);
    CHECK_EQ(p.ext_raw_len, 8);
    CHECK_EQ(p.n_ext, 2);
    CHECK_EQ(p.header_len, 24);
    CHECK_EQ(p.payload_len, 3);
    CHECK(p.payload == pkt_one + 24);
    CHECK_EQ(p.padding_len, 0);

    const mrtc_rtp_ext *e = mrtc_rtp_find_ext(&p, 4);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(mrtc_rtp_ext_read_mid(e, mid, sizeof mid), 0);
        CHECK_STR(mid, "0");
        CHECK_EQ(mrtc_rtp_ext_read_mid(e, mid, 1), MRTC_ENOBUFS);
    }
    e = mrtc_rtp_find_ext(&p, 2);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(mrtc_rtp_ext_read_abs_send_time(e, &ast), 0);
        CHECK_U64(ast, 0x123456u);
    }
    CHECK(mrtc_rtp_find_ext(&p, 3) == NULL);
}

static void test_write_one_byte(void)
{
    mrtc_rtp_packet p;
    uint8_t st[3];
    uint8_t out[64];
    static const uint8_t payload[] = {1, 2, 3};

    mrtc_rtp_packet_init(&p);
    p.marker = true;
    p.pt = 96;
    p.seq = 0x1234;
    p.ts = 0x11223344u;
    p.ssrc = 0xaabbccddu;
    CHECK_EQ(mrtc_rtp_ext_set_mid(&p.ext[0], 4, "0"), 0);
    CHECK_EQ(mrtc_rtp_ext_set_abs_send_time(&p.ext[1], 2, 0x123456u, st), 0);
    p.n_ext = 2;
    p.payload = payload;
    p.payload_len = sizeof payload;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), (int)sizeof pkt_one);
    CHECK_MEM(out, pkt_one, sizeof pkt_one);

    /* Every smaller capacity is refused. */
    for (size_t cap = 0; cap < sizeof pkt_one; cap++)
        CHECK_EQ(mrtc_rtp_write(&p, out, cap), MRTC_ENOBUFS);
}

static void test_parse_two_byte_padding(void)
{
    mrtc_rtp_packet p;

    CHECK_EQ(mrtc_rtp_parse(&p, pkt_two, sizeof pkt_two), 0);
    CHECK(!p.marker);
    CHECK_EQ(p.pt, 111);
    CHECK_EQ(p.seq, 0xffff);
    CHECK_EQ(p.n_csrc, 2);
    CHECK_U64(p.csrc[0], 2);
    CHECK_U64(p.csrc[1], 3);
    CHECK_EQ(p.ext_profile, MRTC_RTP_EXT_TWO_BYTE);
    CHECK_EQ(p.n_ext, 2);
    CHECK_EQ(p.ext[0].id, 1);
    CHECK_EQ(p.ext[0].len, 2);
    CHECK_MEM(p.ext[0].data, "\xab\xcd", 2);
    CHECK_EQ(p.ext[1].id, 20);
    CHECK_EQ(p.ext[1].len, 0);
    CHECK_EQ(p.header_len, 32);
    CHECK_EQ(p.payload_len, 1);
    CHECK_EQ(p.payload[0], 0xff);
    CHECK_EQ(p.padding_len, 3);

    /* Re-serialising the parsed view gives the same bytes. */
    uint8_t out[64];
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), (int)sizeof pkt_two);
    CHECK_MEM(out, pkt_two, sizeof pkt_two);
}

static void test_truncations(void)
{
    mrtc_rtp_packet p;

    /* pkt_two: every prefix is refused (the padding count becomes wrong or missing). */
    for (size_t n = 0; n < sizeof pkt_two; n++)
        CHECK_EQ(mrtc_rtp_parse(&p, pkt_two, n), MRTC_EPROTO);
    /* pkt_one: prefixes shorter than the header are refused; longer ones only lose payload. */
    for (size_t n = 0; n < 24; n++)
        CHECK_EQ(mrtc_rtp_parse(&p, pkt_one, n), MRTC_EPROTO);
    for (size_t n = 24; n < sizeof pkt_one; n++) {
        CHECK_EQ(mrtc_rtp_parse(&p, pkt_one, n), 0);
        CHECK_EQ(p.payload_len, n - 24);
    }
    CHECK_EQ(mrtc_rtp_parse(NULL, pkt_one, sizeof pkt_one), MRTC_EINVAL);
    CHECK_EQ(mrtc_rtp_parse(&p, NULL, 0), MRTC_EINVAL);
}

static void test_header_fields(void)
{
    mrtc_rtp_packet p;
    uint8_t b[16] = {0x80, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};

    CHECK_EQ(mrtc_rtp_parse(&p, b, 12), 0);
    CHECK(!p.has_ext);
    CHECK_EQ(p.payload_len, 0);
    /* Versions 0, 1 and 3 are refused. */
    for (uint8_t v = 0; v < 4; v++) {
        b[0] = (uint8_t)(v << 6);
        CHECK_EQ(mrtc_rtp_parse(&p, b, 12), v == 2 ? 0 : MRTC_EPROTO);
    }
    /* CSRC count past the end. */
    b[0] = 0x81;
    CHECK_EQ(mrtc_rtp_parse(&p, b, 12), MRTC_EPROTO);
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), 0);
    CHECK_EQ(p.n_csrc, 1);
    /* Extension header past the end. */
    b[0] = 0x90;
    CHECK_EQ(mrtc_rtp_parse(&p, b, 14), MRTC_EPROTO);
    b[12] = 0xbe;
    b[13] = 0xde;
    b[14] = 0;
    b[15] = 1; /* one word announced, none present */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), MRTC_EPROTO);
    b[15] = 0; /* empty block */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), 0);
    CHECK(p.has_ext);
    CHECK_EQ(p.n_ext, 0);
    CHECK_EQ(p.ext_raw_len, 0);

    CHECK(mrtc_rtp_is_rtp_or_rtcp(pkt_one, sizeof pkt_one));
    CHECK(!mrtc_rtp_is_rtp_or_rtcp(pkt_one, 11));
    CHECK(!mrtc_rtp_is_rtp_or_rtcp((const uint8_t *)"\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                                    "\x00\x00",
                                   12));
}

static void test_padding_edges(void)
{
    mrtc_rtp_packet p;
    /* P=1, 12-byte header then 4 bytes. */
    uint8_t b[16] = {0xa0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xaa, 0xbb, 0x00, 0x00};

    b[15] = 0; /* padding count 0 */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), MRTC_EPROTO);
    b[15] = 5; /* larger than what follows the header */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), MRTC_EPROTO);
    b[15] = 4; /* all padding: an empty payload (padding-only probe) */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), 0);
    CHECK_EQ(p.payload_len, 0);
    CHECK_EQ(p.padding_len, 4);
    b[15] = 1; /* just the count byte */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 16), 0);
    CHECK_EQ(p.payload_len, 3);
    CHECK_EQ(p.padding_len, 1);
    /* P bit with nothing after the header. */
    CHECK_EQ(mrtc_rtp_parse(&p, b, 12), MRTC_EPROTO);

    /* Writer: padding 255 round-trips. */
    uint8_t out[300];
    mrtc_rtp_packet w;
    mrtc_rtp_packet_init(&w);
    w.pt = 100;
    w.padding_len = 255;
    CHECK_EQ(mrtc_rtp_write(&w, out, sizeof out), 12 + 255);
    CHECK_EQ(out[0], 0xa0);
    CHECK_EQ(out[12 + 254], 255);
    CHECK_EQ(mrtc_rtp_parse(&p, out, 12 + 255), 0);
    CHECK_EQ(p.padding_len, 255);
    CHECK_EQ(p.payload_len, 0);
}

/* Builds a packet with a one-byte-profile block made of the given bytes (a multiple of 4). */
static size_t with_block(uint8_t *b, uint16_t profile, const uint8_t *blk, size_t n)
{
    static const uint8_t hdr[12] = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};
    memcpy(b, hdr, 12);
    b[12] = (uint8_t)(profile >> 8);
    b[13] = (uint8_t)profile;
    b[14] = 0;
    b[15] = (uint8_t)(n / 4);
    memcpy(b + 16, blk, n);
    return 16 + n;
}

static void test_one_byte_edges(void)
{
    mrtc_rtp_packet p;
    uint8_t b[128];
    size_t n;

    /* Padding bytes between elements are skipped. */
    static const uint8_t pad[] = {0x00, 0x10, 0x7f, 0x00, 0x00, 0x21,
                                  0x01, 0x02, 0x00, 0x00, 0x00, 0x00};
    n = with_block(b, MRTC_RTP_EXT_ONE_BYTE, pad, sizeof pad);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), 0);
    CHECK_EQ(p.n_ext, 2);
    CHECK_EQ(p.ext[0].id, 1);
    CHECK_EQ(p.ext[0].len, 1);
    CHECK_EQ(p.ext[0].data[0], 0x7f);
    CHECK_EQ(p.ext[1].id, 2);
    CHECK_EQ(p.ext[1].len, 2);

    /* Id 15 stops processing: its length and what follows are ignored. */
    static const uint8_t stop[] = {0x10, 0x55, 0xff, 0x20, 0x01, 0x00, 0x00, 0x00};
    n = with_block(b, MRTC_RTP_EXT_ONE_BYTE, stop, sizeof stop);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), 0);
    CHECK_EQ(p.n_ext, 1);
    CHECK_EQ(p.ext[0].id, 1);

    /* Id 0 with a non-zero length is skipped alone, as libwebrtc does: the next byte is
     * the next element. */
    static const uint8_t zero_id[] = {0x01, 0x10, 0x07, 0x00};
    n = with_block(b, MRTC_RTP_EXT_ONE_BYTE, zero_id, sizeof zero_id);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), 0);
    CHECK_EQ(p.n_ext, 1);
    CHECK_EQ(p.ext[0].id, 1);
    CHECK_EQ(p.ext[0].len, 1);
    CHECK_EQ(p.ext[0].data[0], 7);

    /* An element overrunning the block (16 bytes announced in a 4-byte block). */
    static const uint8_t over[] = {0x1f, 0x00, 0x00, 0x00};
    n = with_block(b, MRTC_RTP_EXT_ONE_BYTE, over, sizeof over);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), MRTC_EPROTO);

    /* 16 elements are accepted, 17 refused. */
    uint8_t many[36] = {0};
    for (int i = 0; i < 17; i++) {
        many[2 * i] = 0x10;
        many[2 * i + 1] = (uint8_t)i;
    }
    n = with_block(b, MRTC_RTP_EXT_ONE_BYTE, many, 32);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), 0);
    CHECK_EQ(p.n_ext, 16);
    n = with_block(b, MRTC_RTP_EXT_ONE_BYTE, many, 36);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), MRTC_EPROTO);
}

static void test_two_byte_edges(void)
{
    mrtc_rtp_packet p;
    uint8_t b[128];
    size_t n;

    /* Appbits in the low 4 bits of the profile; padding bytes; an element of length 0. */
    static const uint8_t ok[] = {0x00, 0xff, 0x00, 0x05, 0x01, 0x09, 0x00, 0x00};
    n = with_block(b, 0x100f, ok, sizeof ok);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), 0);
    CHECK_EQ(p.ext_profile, 0x100f);
    CHECK_EQ(p.n_ext, 2);
    CHECK_EQ(p.ext[0].id, 255);
    CHECK_EQ(p.ext[0].len, 0);
    CHECK_EQ(p.ext[1].id, 5);
    CHECK_EQ(p.ext[1].len, 1);
    CHECK_EQ(p.ext[1].data[0], 0x09);

    /* Length past the block; a lone id byte at the end. */
    static const uint8_t over[] = {0x01, 0x03, 0xaa, 0xbb};
    n = with_block(b, MRTC_RTP_EXT_TWO_BYTE, over, sizeof over);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), MRTC_EPROTO);
    static const uint8_t lone[] = {0x01, 0x01, 0xaa, 0x07};
    n = with_block(b, MRTC_RTP_EXT_TWO_BYTE, lone, sizeof lone);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), MRTC_EPROTO);

    /* Another profile: the block is kept raw and re-written as is. */
    static const uint8_t raw[] = {0xde, 0xad, 0xbe, 0xef};
    n = with_block(b, 0xabcd, raw, sizeof raw);
    CHECK_EQ(mrtc_rtp_parse(&p, b, n), 0);
    CHECK_EQ(p.n_ext, 0);
    CHECK_EQ(p.ext_raw_len, 4);
    uint8_t out[64];
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), (int)n);
    CHECK_MEM(out, b, n);
}

static void test_writer_forms(void)
{
    mrtc_rtp_packet p, q;
    uint8_t out[128];
    uint8_t big[17] = {0};
    int n;

    mrtc_rtp_packet_init(&p);
    p.pt = 96;
    p.ext[0] = (mrtc_rtp_ext){.id = 14, .len = 16, .data = big};
    p.n_ext = 1;
    n = mrtc_rtp_write(&p, out, sizeof out);
    CHECK_EQ(n, 12 + 4 + 20);
    CHECK_EQ(mrtc_rtp_parse(&q, out, (size_t)n), 0);
    CHECK_EQ(q.ext_profile, MRTC_RTP_EXT_ONE_BYTE);

    /* Length 17, length 0 or id 15 force the two-byte form. */
    p.ext[0].len = 17;
    n = mrtc_rtp_write(&p, out, sizeof out);
    CHECK_EQ(mrtc_rtp_parse(&q, out, (size_t)n), 0);
    CHECK_EQ(q.ext_profile, MRTC_RTP_EXT_TWO_BYTE);
    CHECK_EQ(q.ext[0].len, 17);
    p.ext[0].len = 0;
    n = mrtc_rtp_write(&p, out, sizeof out);
    CHECK_EQ(mrtc_rtp_parse(&q, out, (size_t)n), 0);
    CHECK_EQ(q.ext_profile, MRTC_RTP_EXT_TWO_BYTE);
    CHECK_EQ(q.n_ext, 1);
    CHECK_EQ(q.ext[0].len, 0);
    p.ext[0].len = 1;
    p.ext[0].id = 15;
    n = mrtc_rtp_write(&p, out, sizeof out);
    CHECK_EQ(mrtc_rtp_parse(&q, out, (size_t)n), 0);
    CHECK_EQ(q.ext_profile, MRTC_RTP_EXT_TWO_BYTE);
    CHECK_EQ(q.ext[0].id, 15);

    /* Invalid descriptions. */
    p.ext[0].id = 0;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), MRTC_EINVAL);
    p.ext[0].id = 1;
    p.ext[0].data = NULL;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), MRTC_EINVAL);
    p.n_ext = 0;
    p.pt = 128;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), MRTC_EINVAL);
    p.pt = 0;
    p.n_csrc = 16;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), MRTC_EINVAL);
    p.n_csrc = 0;
    p.has_ext = true;
    p.ext_raw_len = 3;
    p.ext_raw = big;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), MRTC_EINVAL);
    p.has_ext = false;
    p.payload_len = 1;
    CHECK_EQ(mrtc_rtp_write(&p, out, sizeof out), MRTC_EINVAL);
    CHECK_EQ(mrtc_rtp_write(NULL, out, sizeof out), MRTC_EINVAL);
}

static void test_ext_helpers(void)
{
    mrtc_rtp_ext e;
    uint8_t st[3];
    bool voice = false;
    uint8_t level = 0;
    uint16_t seq = 0;
    uint32_t t = 0;
    char mid[4];

    /* RFC 6464: V bit and level. */
    static const uint8_t lvl[] = {0x85};
    e = (mrtc_rtp_ext){.id = 1, .len = 1, .data = lvl};
    CHECK_EQ(mrtc_rtp_ext_read_audio_level(&e, &voice, &level), 0);
    CHECK(voice);
    CHECK_EQ(level, 5);
    CHECK_EQ(mrtc_rtp_ext_set_audio_level(&e, 1, false, 127, st), 0);
    CHECK_EQ(st[0], 0x7f);
    CHECK_EQ(mrtc_rtp_ext_read_audio_level(&e, &voice, &level), 0);
    CHECK(!voice);
    CHECK_EQ(level, 127);
    CHECK_EQ(mrtc_rtp_ext_set_audio_level(&e, 1, true, 128, st), MRTC_EINVAL);
    e.len = 2;
    CHECK_EQ(mrtc_rtp_ext_read_audio_level(&e, &voice, &level), MRTC_EPROTO);

    /* abs-send-time: 6.18 fixed point, wraps every 64 s. */
    CHECK_U64(mrtc_rtp_abs_send_time_from_us(1000000), 0x040000u);
    CHECK_U64(mrtc_rtp_abs_send_time_from_us(500000), 0x020000u);
    CHECK_U64(mrtc_rtp_abs_send_time_from_us(64000000), 0);
    CHECK_U64(mrtc_rtp_abs_send_time_from_us(63999999), 0xffffffu);
    CHECK_U64(mrtc_rtp_abs_send_time_from_us(UINT64_MAX),
              mrtc_rtp_abs_send_time_from_us(UINT64_MAX % 64000000u));
    CHECK_EQ(mrtc_rtp_ext_set_abs_send_time(&e, 2, 0xabcdef, st), 0);
    CHECK_MEM(st, "\xab\xcd\xef", 3);
    CHECK_EQ(mrtc_rtp_ext_read_abs_send_time(&e, &t), 0);
    CHECK_U64(t, 0xabcdefu);
    CHECK_EQ(mrtc_rtp_ext_set_abs_send_time(&e, 2, 0x1000000, st), MRTC_EINVAL);
    e.len = 2;
    CHECK_EQ(mrtc_rtp_ext_read_abs_send_time(&e, &t), MRTC_EPROTO);

    /* transport-wide-cc. */
    CHECK_EQ(mrtc_rtp_ext_set_twcc(&e, 3, 0xfedc, st), 0);
    CHECK_EQ(mrtc_rtp_ext_read_twcc(&e, &seq), 0);
    CHECK_EQ(seq, 0xfedc);
    e.len = 3;
    CHECK_EQ(mrtc_rtp_ext_read_twcc(&e, &seq), MRTC_EPROTO);
    CHECK_EQ(mrtc_rtp_ext_set_twcc(&e, 0, 1, st), MRTC_EINVAL);

    /* mid. */
    CHECK_EQ(mrtc_rtp_ext_set_mid(&e, 4, ""), MRTC_EINVAL);
    CHECK_EQ(mrtc_rtp_ext_set_mid(&e, 4, "abc"), 0);
    CHECK_EQ(mrtc_rtp_ext_read_mid(&e, mid, sizeof mid), 0);
    CHECK_STR(mid, "abc");
    CHECK_EQ(mrtc_rtp_ext_read_mid(&e, mid, 3), MRTC_ENOBUFS);
    static const uint8_t nul[] = {'a', 0};
    e = (mrtc_rtp_ext){.id = 4, .len = 2, .data = nul};
    CHECK_EQ(mrtc_rtp_ext_read_mid(&e, mid, sizeof mid), MRTC_EPROTO);
    e.len = 0;
    CHECK_EQ(mrtc_rtp_ext_read_mid(&e, mid, sizeof mid), MRTC_EPROTO);
}

static void test_seq(void)
{
    CHECK(mrtc_rtp_seq_newer(1, 0));
    CHECK(!mrtc_rtp_seq_newer(0, 1));
    CHECK(!mrtc_rtp_seq_newer(7, 7));
    CHECK(mrtc_rtp_seq_newer(0, 65535));
    CHECK(mrtc_rtp_seq_newer(5, 65530));
    CHECK(!mrtc_rtp_seq_newer(65530, 5));
    /* Exactly half the space apart: exactly one direction holds. */
    CHECK(mrtc_rtp_seq_newer(0x8000, 0));
    CHECK(!mrtc_rtp_seq_newer(0, 0x8000));
    CHECK(mrtc_rtp_seq_newer(0x8005, 5));
    CHECK(!mrtc_rtp_seq_newer(5, 0x8005));
    CHECK_EQ(mrtc_rtp_seq_diff(2, 65534), 4);
    CHECK_EQ(mrtc_rtp_seq_diff(65534, 2), -4);
    CHECK_EQ(mrtc_rtp_seq_diff(0x8000, 0), -32768);
    CHECK_EQ(mrtc_rtp_seq_diff(0x7fff, 0), 32767);

    CHECK(mrtc_rtp_ts_newer(10, 0xfffffff0u));
    CHECK(!mrtc_rtp_ts_newer(0xfffffff0u, 10));
    CHECK(mrtc_rtp_ts_newer(0x80000000u, 0));
    CHECK(!mrtc_rtp_ts_newer(0, 0x80000000u));

    mrtc_rtp_seq_unwrapper u;
    mrtc_rtp_seq_unwrapper_init(&u);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 65534), 65534);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 65535), 65535);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 1), 65537);     /* 0 lost or late */
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 0), 65536);     /* late, after the wrap */
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 65533), 65533); /* late, before the wrap */
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 2), 65538);
    /* Many wraps in steps of 30000. */
    int64_t want = 65538;
    uint16_t s = 2;
    for (int i = 0; i < 20; i++) {
        s = (uint16_t)(s + 30000);
        want += 30000;
        CHECK_EQ(mrtc_rtp_seq_unwrap(&u, s), want);
    }
    /* Older than the first value across the wrap: negative. */
    mrtc_rtp_seq_unwrapper_init(&u);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 1), 1);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 65535), -1);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 2), 2);
    CHECK_EQ(mrtc_rtp_seq_unwrap(&u, 65534), -2);
}

int main(void)
{
    RUN(test_parse_one_byte);
    RUN(test_write_one_byte);
    RUN(test_parse_two_byte_padding);
    RUN(test_truncations);
    RUN(test_header_fields);
    RUN(test_padding_edges);
    RUN(test_one_byte_edges);
    RUN(test_two_byte_edges);
    RUN(test_writer_forms);
    RUN(test_ext_helpers);
    RUN(test_seq);
    return test_finish();
}
