/* Tests of rtp/rtx.c: a hand-written RFC 4588 RTX vector in both directions; build/unwrap
 * round trips that give back the original bytes with CSRCs and one-byte, two-byte and
 * non-RFC 8285 header extensions, with padding dropped and in-place unwrapping; throttling
 * by min_interval; not-found and aged-out packets; the count, byte and age bounds and the
 * memory they release; lookups across the sequence wrap and with gaps; a repeated sequence
 * number replacing the held copy; argument and allocation failures; and the counters. */
#include "test.h"

#include "meshrtc/error.h"
#include "rtp/rtp.h"
#include "rtp/rtx.h"

#include <stdbool.h>
#include <stdint.h>

#define RTX_PT 97
#define RTX_SSRC 0x55667788u
#define MEDIA_PT 96
#define MEDIA_SSRC 0x11223344u

/* Writes a media packet with two CSRCs, a MID and an abs-send-time extension and a payload
 * of plen bytes derived from seq; padding bytes of padding when non-zero. */
static size_t make_packet(uint8_t *out, size_t cap, uint16_t seq, size_t plen, uint8_t padding)
{
    mrtc_rtp_packet p;
    uint8_t payload[1200], ast[3];

    mrtc_rtp_packet_init(&p);
    p.marker = (seq & 1) != 0;
    p.pt = MEDIA_PT;
    p.seq = seq;
    p.ts = 0xfffffff0u + seq * 3000u;
    p.ssrc = MEDIA_SSRC;
    p.n_csrc = 2;
    p.csrc[0] = 0xc0c0c0c0u;
    p.csrc[1] = 0x01020304u;
    CHECK_EQ(mrtc_rtp_ext_set_mid(&p.ext[0], 1, "video0"), 0);
    CHECK_EQ(mrtc_rtp_ext_set_abs_send_time(&p.ext[1], 3, 0x123456, ast), 0);
    p.n_ext = 2;
    for (size_t i = 0; i < plen; i++)
        payload[i] = (uint8_t)(seq * 7 + i);
    p.payload = payload;
    p.payload_len = plen;
    p.padding_len = padding;
    int n = mrtc_rtp_write(&p, out, cap);
    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0;
}

static mrtc_rtx_history *new_history(size_t max_packets, mrtc_time max_age, size_t max_bytes)
{
    mrtc_rtx_history_config cfg;
    mrtc_rtx_history *h = NULL;

    mrtc_rtx_history_config_init(&cfg);
    if (max_packets)
        cfg.max_packets = max_packets;
    if (max_age)
        cfg.max_age = max_age;
    if (max_bytes)
        cfg.max_bytes = max_bytes;
    CHECK_EQ(mrtc_rtx_history_new(&cfg, &h), 0);
    return h;
}

/* RFC 4588 section 4: the OSN precedes the original payload; header fields are replaced. */
static void test_known_vector(void)
{
    static const uint8_t orig[] = {0x80, 0xe0, 0x12, 0x34, 0x00, 0x00, 0x00,
                                   0x10, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb};
    static const uint8_t rtx[] = {0x80, 0xe1, 0x01, 0x00, 0x00, 0x00, 0x00, 0x10,
                                  0x55, 0x66, 0x77, 0x88, 0x12, 0x34, 0xaa, 0xbb};
    uint8_t out[64];
    uint16_t rtx_seq = 0x0100;
    mrtc_rtx_history *h = new_history(0, 0, 0);

    CHECK_EQ(mrtc_rtx_history_put(h, 0, orig, sizeof orig), 0);
    int n =
        mrtc_rtx_history_build_rtx(h, 10, 0x1234, RTX_PT, RTX_SSRC, &rtx_seq, 0, out, sizeof out);
    CHECK_EQ(n, sizeof rtx);
    CHECK_MEM(out, rtx, sizeof rtx);
    CHECK_EQ(rtx_seq, 0x0101);

    n = mrtc_rtx_unwrap(rtx, sizeof rtx, MEDIA_PT, MEDIA_SSRC, out, sizeof out);
    CHECK_EQ(n, sizeof orig);
    CHECK_MEM(out, orig, sizeof orig);
    mrtc_rtx_history_free(h);
}

static void test_round_trip_extensions_csrcs(void)
{
    uint8_t pkt[1500], rtx[1500], back[1500];
    mrtc_rtp_packet o, r;
    uint16_t rtx_seq = 0xffff;
    mrtc_rtx_history *h = new_history(0, 0, 0);

    size_t len = make_packet(pkt, sizeof pkt, 1001, 300, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, MRTC_MSEC(5), pkt, len), 0);
    int n = mrtc_rtx_history_build_rtx(h, MRTC_MSEC(50), 1001, RTX_PT, RTX_SSRC, &rtx_seq,
                                       MRTC_MSEC(100), rtx, sizeof rtx);
    CHECK_EQ(n, len + 2);
    CHECK_EQ(rtx_seq, 0); /* incremented across the wrap */

    CHECK_EQ(mrtc_rtp_parse(&o, pkt, len), 0);
    CHECK_EQ(mrtc_rtp_parse(&r, rtx, (size_t)n), 0);
    CHECK_EQ(r.pt, RTX_PT);
    CHECK_EQ(r.ssrc, RTX_SSRC);
    CHECK_EQ(r.seq, 0xffff);
    CHECK_EQ(r.marker, o.marker);
    CHECK_U64(r.ts, o.ts);
    CHECK_EQ(r.n_csrc, 2);
    CHECK_U64(r.csrc[0], o.csrc[0]);
    CHECK_U64(r.csrc[1], o.csrc[1]);
    CHECK_EQ(r.ext_raw_len, o.ext_raw_len);
    CHECK_MEM(r.ext_raw, o.ext_raw, o.ext_raw_len);
    CHECK_EQ(r.payload_len, o.payload_len + 2);
    CHECK_EQ(r.payload[0], 1001 >> 8);
    CHECK_EQ(r.payload[1], 1001 & 0xff);
    CHECK_MEM(r.payload + 2, o.payload, o.payload_len);

    int m = mrtc_rtx_unwrap(rtx, (size_t)n, MEDIA_PT, MEDIA_SSRC, back, sizeof back);
    CHECK_EQ(m, len);
    CHECK_MEM(back, pkt, len);

    /* In place: the result lands at the start of the same buffer. */
    m = mrtc_rtx_unwrap(rtx, (size_t)n, MEDIA_PT, MEDIA_SSRC, rtx, (size_t)n);
    CHECK_EQ(m, len);
    CHECK_MEM(rtx, pkt, len);
    mrtc_rtx_history_free(h);
}

/* Every header extension form, and none, survives byte for byte. */
static void test_round_trip_ext_forms(void)
{
    static const uint8_t two_byte[] = {0x05, 0x03, 0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x00};
    static const uint8_t other[] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t payload[5] = {1, 2, 3, 4, 5};
    uint8_t pkt[128], rtx[128], back[128];
    uint16_t rtx_seq = 7;
    mrtc_rtx_history *h = new_history(0, 0, 0);

    for (int form = 0; form < 3; form++) {
        mrtc_rtp_packet p;
        mrtc_rtp_packet_init(&p);
        p.pt = 111;
        p.seq = (uint16_t)(40 + form);
        p.ts = 960u * (uint32_t)form;
        p.ssrc = 0xabcdef01u;
        p.payload = payload;
        p.payload_len = sizeof payload;
        if (form == 1) {
            p.has_ext = true;
            p.ext_profile = MRTC_RTP_EXT_TWO_BYTE;
            p.ext_raw = two_byte;
            p.ext_raw_len = sizeof two_byte;
        } else if (form == 2) {
            p.has_ext = true;
            p.ext_profile = 0x1234; /* not RFC 8285: kept as opaque bytes */
            p.ext_raw = other;
            p.ext_raw_len = sizeof other;
        }
        int len = mrtc_rtp_write(&p, pkt, sizeof pkt);
        CHECK(len > 0);
        CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, (size_t)len), 0);
        int n =
            mrtc_rtx_history_build_rtx(h, 0, p.seq, 112, 0x0badf00du, &rtx_seq, 0, rtx, sizeof rtx);
        CHECK_EQ(n, len + 2);
        int m = mrtc_rtx_unwrap(rtx, (size_t)n, 111, 0xabcdef01u, back, sizeof back);
        CHECK_EQ(m, len);
        CHECK_MEM(back, pkt, (size_t)len);
    }
    CHECK_EQ(rtx_seq, 10);
    mrtc_rtx_history_free(h);
}

/* Padding of the original is not resent; padding of the RTX packet is not kept. */
static void test_padding_dropped(void)
{
    uint8_t padded[1500], plain[1500], rtx[1500], back[1500];
    mrtc_rtp_packet r;
    uint16_t rtx_seq = 1;
    mrtc_rtx_history *h = new_history(0, 0, 0);

    size_t plen = make_packet(padded, sizeof padded, 77, 40, 7);
    size_t len = make_packet(plain, sizeof plain, 77, 40, 0);
    CHECK_EQ(plen, len + 7);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, padded, plen), 0);
    int n = mrtc_rtx_history_build_rtx(h, 0, 77, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx, sizeof rtx);
    CHECK_EQ(n, len + 2);
    CHECK_EQ(mrtc_rtp_parse(&r, rtx, (size_t)n), 0);
    CHECK_EQ(r.padding_len, 0);
    CHECK_EQ(rtx[0] & 0x20, 0);
    CHECK_EQ(mrtc_rtx_unwrap(rtx, (size_t)n, MEDIA_PT, MEDIA_SSRC, back, sizeof back), len);
    CHECK_MEM(back, plain, len);

    /* An RTX packet that carries padding of its own. */
    rtx[0] |= 0x20;
    memset(rtx + n, 0, 3);
    rtx[n + 3] = 4;
    CHECK_EQ(mrtc_rtx_unwrap(rtx, (size_t)n + 4, MEDIA_PT, MEDIA_SSRC, back, sizeof back), len);
    CHECK_MEM(back, plain, len);
    mrtc_rtx_history_free(h);
}

static void test_throttle(void)
{
    uint8_t pkt[1500], rtx[1500];
    uint16_t rtx_seq = 0;
    mrtc_rtx_stats st;
    mrtc_rtx_history *h = new_history(0, 0, 0);
    const mrtc_time rtt = MRTC_MSEC(80);

    size_t len = make_packet(pkt, sizeof pkt, 500, 100, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(10), 500, RTX_PT, RTX_SSRC, &rtx_seq, rtt, rtx,
                                        sizeof rtx),
             len + 2);
    /* A second NACK within one RTT of the resend. */
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(89), 500, RTX_PT, RTX_SSRC, &rtx_seq, rtt, rtx,
                                        sizeof rtx),
             MRTC_EAGAIN);
    CHECK_EQ(rtx_seq, 1);
    /* One RTT later it goes again, and the clock restarts from there. */
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(90), 500, RTX_PT, RTX_SSRC, &rtx_seq, rtt, rtx,
                                        sizeof rtx),
             len + 2);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(100), 500, RTX_PT, RTX_SSRC, &rtx_seq, rtt,
                                        rtx, sizeof rtx),
             MRTC_EAGAIN);
    /* min_interval 0: no limit. */
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(100), 500, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx,
                                        sizeof rtx),
             len + 2);
    CHECK_EQ(rtx_seq, 3);
    mrtc_rtx_history_get_stats(h, &st);
    CHECK_U64(st.stored, 1);
    CHECK_U64(st.resent, 3);
    CHECK_U64(st.resent_bytes, 3 * (len + 2));
    CHECK_U64(st.throttled, 2);
    CHECK_U64(st.not_found, 0);
    mrtc_rtx_history_free(h);
}

static void test_not_found_and_aged(void)
{
    uint8_t pkt[1500], rtx[1500];
    uint16_t rtx_seq = 0;
    mrtc_rtx_stats st;
    mrtc_rtx_history *h = new_history(0, MRTC_MSEC(500), 0);

    size_t len = make_packet(pkt, sizeof pkt, 9, 10, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, MRTC_SEC(1), pkt, len), 0);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_SEC(1), 10, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx,
                                        sizeof rtx),
             MRTC_ENOTFOUND);
    /* Exactly max_age old is still served; one microsecond more is not. */
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(1500), 9, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx,
                                        sizeof rtx),
             len + 2);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(1500) + 1, 9, RTX_PT, RTX_SSRC, &rtx_seq, 0,
                                        rtx, sizeof rtx),
             MRTC_ENOTFOUND);
    CHECK_EQ(rtx_seq, 1);
    mrtc_rtx_history_get_stats(h, &st);
    CHECK_U64(st.not_found, 2);
    CHECK_U64(st.resent, 1);
    mrtc_rtx_history_free(h);
}

static void test_bound_count(void)
{
    uint8_t pkt[1500], rtx[1500];
    uint16_t rtx_seq = 0;
    size_t n, bytes;
    long base = mrtc_alloc_live();
    mrtc_rtx_history *h = new_history(4, 0, 0);
    long empty = mrtc_alloc_live();

    CHECK_EQ(empty - base, 2);
    size_t len = make_packet(pkt, sizeof pkt, 0, 50, 0);
    for (uint16_t seq = 0; seq < 6; seq++) {
        len = make_packet(pkt, sizeof pkt, seq, 50, 0);
        CHECK_EQ(mrtc_rtx_history_put(h, MRTC_MSEC(seq), pkt, len), 0);
    }
    mrtc_rtx_history_size(h, &n, &bytes);
    CHECK_EQ(n, 4);
    CHECK_EQ(bytes, 4 * len);
    CHECK_EQ(mrtc_alloc_live() - empty, 4); /* the two oldest copies were freed */
    for (uint16_t seq = 0; seq < 6; seq++)
        CHECK_EQ(mrtc_rtx_history_build_rtx(h, MRTC_MSEC(10), seq, RTX_PT, RTX_SSRC, &rtx_seq, 0,
                                            rtx, sizeof rtx),
                 seq < 2 ? MRTC_ENOTFOUND : (int)len + 2);
    mrtc_rtx_history_free(h);
    CHECK_EQ(mrtc_alloc_live(), base);
}

static void test_bound_bytes(void)
{
    uint8_t pkt[1500], rtx[1500];
    uint16_t rtx_seq = 0;
    size_t n, bytes;

    size_t len = make_packet(pkt, sizeof pkt, 0, 200, 0);
    mrtc_rtx_history *h = new_history(0, 0, 3 * len + 10);
    for (uint16_t seq = 0; seq < 10; seq++) {
        make_packet(pkt, sizeof pkt, seq, 200, 0);
        CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    }
    mrtc_rtx_history_size(h, &n, &bytes);
    CHECK_EQ(n, 3);
    CHECK_EQ(bytes, 3 * len);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, 0, 6, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx, sizeof rtx),
             MRTC_ENOTFOUND);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, 0, 7, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx, sizeof rtx),
             len + 2);
    /* A small packet fits beside the three big ones only after evicting one. */
    size_t small = make_packet(pkt, sizeof pkt, 10, 1, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, small), 0);
    mrtc_rtx_history_size(h, &n, &bytes);
    CHECK_EQ(n, 3);
    CHECK_EQ(bytes, 2 * len + small);
    /* Larger than the whole budget. */
    mrtc_rtx_history_free(h);
    h = new_history(0, 0, 100);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), MRTC_ETOOBIG);
    mrtc_rtx_history_size(h, &n, NULL);
    CHECK_EQ(n, 0);
    mrtc_rtx_history_free(h);
}

static void test_bound_age(void)
{
    uint8_t pkt[1500];
    size_t n;
    long base = mrtc_alloc_live();
    mrtc_rtx_history *h = new_history(0, 0, 0); /* 1 s */

    size_t len = make_packet(pkt, sizeof pkt, 1, 20, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, MRTC_MSEC(0), pkt, len), 0);
    len = make_packet(pkt, sizeof pkt, 2, 20, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, MRTC_MSEC(500), pkt, len), 0);
    len = make_packet(pkt, sizeof pkt, 3, 20, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, MRTC_MSEC(1200), pkt, len), 0); /* drops seq 1 */
    mrtc_rtx_history_size(h, &n, NULL);
    CHECK_EQ(n, 2);
    CHECK_EQ(mrtc_alloc_live() - base, 2 + 2);
    mrtc_rtx_history_expire(h, MRTC_MSEC(1500)); /* seq 2 exactly 1 s old: kept */
    mrtc_rtx_history_size(h, &n, NULL);
    CHECK_EQ(n, 2);
    mrtc_rtx_history_expire(h, MRTC_MSEC(2201));
    mrtc_rtx_history_size(h, &n, NULL);
    CHECK_EQ(n, 0);
    CHECK_EQ(mrtc_alloc_live() - base, 2);
    mrtc_rtx_history_free(h);
    CHECK_EQ(mrtc_alloc_live(), base);
}

/* Lookups across the 16-bit wrap, with gaps, and in a reordered insertion. */
static void test_lookup_wrap_and_gaps(void)
{
    static const uint16_t seqs[] = {65530, 65532, 65533, 65535, 0, 1, 4, 3, 9};
    uint8_t pkt[1500], rtx[1500], back[1500];
    uint16_t rtx_seq = 0;
    mrtc_rtx_history *h = new_history(16, 0, 0);

    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        size_t len = make_packet(pkt, sizeof pkt, seqs[i], 30, 0);
        CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    }
    for (uint32_t s = 65525; s < 65536 + 12; s++) {
        uint16_t seq = (uint16_t)s;
        bool held = false;
        for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
            held = held || seqs[i] == seq;
        int n =
            mrtc_rtx_history_build_rtx(h, 0, seq, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx, sizeof rtx);
        if (!held) {
            CHECK_EQ(n, MRTC_ENOTFOUND);
            continue;
        }
        size_t len = make_packet(pkt, sizeof pkt, seq, 30, 0);
        CHECK_EQ(n, len + 2);
        CHECK_EQ(mrtc_rtx_unwrap(rtx, (size_t)n, MEDIA_PT, MEDIA_SSRC, back, sizeof back), len);
        CHECK_MEM(back, pkt, len);
    }
    mrtc_rtx_history_free(h);
}

/* Storing a sequence number again replaces the copy held (a sender restart, or a re-put). */
static void test_replace_same_seq(void)
{
    uint8_t pkt[1500], rtx[1500], back[1500];
    uint16_t rtx_seq = 0;
    size_t n, bytes;
    mrtc_rtx_history *h = new_history(3, 0, 0);

    size_t len = make_packet(pkt, sizeof pkt, 5, 10, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    len = make_packet(pkt, sizeof pkt, 5, 20, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    mrtc_rtx_history_size(h, &n, &bytes);
    CHECK_EQ(n, 1);
    CHECK_EQ(bytes, len);
    int r = mrtc_rtx_history_build_rtx(h, 0, 5, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx, sizeof rtx);
    CHECK_EQ(r, len + 2);
    CHECK_EQ(mrtc_rtx_unwrap(rtx, (size_t)r, MEDIA_PT, MEDIA_SSRC, back, sizeof back), len);
    CHECK_MEM(back, pkt, len);
    /* The dead slot is recycled: three more packets still fit the count bound of 3. */
    for (uint16_t seq = 6; seq < 9; seq++) {
        len = make_packet(pkt, sizeof pkt, seq, 10, 0);
        CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    }
    mrtc_rtx_history_size(h, &n, NULL);
    CHECK_EQ(n, 3);
    mrtc_rtx_history_free(h);
}

static void test_errors(void)
{
    mrtc_rtx_history_config cfg;
    mrtc_rtx_history *h = (mrtc_rtx_history *)&cfg;
    uint8_t pkt[1500], rtx[1500];
    uint16_t rtx_seq = 42;

    mrtc_rtx_history_config_init(&cfg);
    CHECK_EQ(cfg.max_packets, 600);
    CHECK_U64(cfg.max_age, MRTC_SEC(1));
    CHECK_EQ(cfg.max_bytes, 1024 * 1024);
    cfg.max_packets = 0;
    CHECK_EQ(mrtc_rtx_history_new(&cfg, &h), MRTC_EINVAL);
    CHECK(h == NULL);
    cfg.max_packets = MRTC_RTX_MAX_PACKETS + 1;
    CHECK_EQ(mrtc_rtx_history_new(&cfg, &h), MRTC_EINVAL);
    mrtc_rtx_history_config_init(&cfg);
    cfg.max_age = 0;
    CHECK_EQ(mrtc_rtx_history_new(&cfg, &h), MRTC_EINVAL);
    mrtc_rtx_history_config_init(&cfg);
    cfg.max_bytes = 0;
    CHECK_EQ(mrtc_rtx_history_new(&cfg, &h), MRTC_EINVAL);
    CHECK_EQ(mrtc_rtx_history_new(NULL, NULL), MRTC_EINVAL);
    mrtc_rtx_history_free(NULL);

    CHECK_EQ(mrtc_rtx_history_new(NULL, &h), 0);
    size_t len = make_packet(pkt, sizeof pkt, 3, 100, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, 11), MRTC_EPROTO);
    pkt[0] ^= 0xc0; /* version 1 */
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), MRTC_EPROTO);
    pkt[0] ^= 0xc0;
    CHECK_EQ(mrtc_rtx_history_put(h, 0, NULL, len), MRTC_EINVAL);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    /* Too small for the RTX packet: nothing consumed. */
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, 0, 3, RTX_PT, RTX_SSRC, &rtx_seq, 0, rtx, len + 1),
             MRTC_ENOBUFS);
    CHECK_EQ(rtx_seq, 42);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, 0, 3, 128, RTX_SSRC, &rtx_seq, 0, rtx, sizeof rtx),
             MRTC_EINVAL);
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, 0, 3, RTX_PT, RTX_SSRC, NULL, 0, rtx, sizeof rtx),
             MRTC_EINVAL);
    int n =
        mrtc_rtx_history_build_rtx(h, 0, 3, RTX_PT, RTX_SSRC, &rtx_seq, MRTC_SEC(1), rtx, len + 2);
    CHECK_EQ(n, len + 2);
    /* The failed attempts did not start the throttle clock: this one did. */
    CHECK_EQ(mrtc_rtx_history_build_rtx(h, 1, 3, RTX_PT, RTX_SSRC, &rtx_seq, MRTC_SEC(1), rtx,
                                        sizeof rtx),
             MRTC_EAGAIN);

    uint8_t back[1500];
    CHECK_EQ(mrtc_rtx_unwrap(rtx, (size_t)n, MEDIA_PT, MEDIA_SSRC, back, len - 1), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_rtx_unwrap(rtx, (size_t)n, 128, MEDIA_SSRC, back, sizeof back), MRTC_EINVAL);
    CHECK_EQ(mrtc_rtx_unwrap(NULL, (size_t)n, MEDIA_PT, MEDIA_SSRC, back, sizeof back),
             MRTC_EINVAL);
    CHECK_EQ(mrtc_rtx_unwrap(rtx, 11, MEDIA_PT, MEDIA_SSRC, back, sizeof back), MRTC_EPROTO);
    mrtc_rtx_history_free(h);

    /* Payloads shorter than the OSN: one byte, and a padding-only probe. */
    static const uint8_t one[] = {0x80, 0x61, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0xaa};
    static const uint8_t probe[] = {0xa0, 0x61, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 4};
    static const uint8_t osn_only[] = {0x80, 0x61, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0x12, 0x34};
    CHECK_EQ(mrtc_rtx_unwrap(one, sizeof one, MEDIA_PT, MEDIA_SSRC, back, sizeof back),
             MRTC_EPROTO);
    CHECK_EQ(mrtc_rtx_unwrap(probe, sizeof probe, MEDIA_PT, MEDIA_SSRC, back, sizeof back),
             MRTC_EPROTO);
    CHECK_EQ(mrtc_rtx_unwrap(osn_only, sizeof osn_only, MEDIA_PT, MEDIA_SSRC, back, sizeof back),
             12);
    CHECK_EQ(back[2], 0x12);
    CHECK_EQ(back[3], 0x34);
}

static void test_alloc_failures(void)
{
    mrtc_rtx_history *h = NULL;
    uint8_t pkt[1500];
    size_t n;

    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_rtx_history_new(NULL, &h), MRTC_ENOMEM);
    CHECK(h == NULL);
    mrtc_alloc_fail_after(2);
    CHECK_EQ(mrtc_rtx_history_new(NULL, &h), MRTC_ENOMEM);
    CHECK(h == NULL);
    mrtc_alloc_fail_after(0);

    h = new_history(2, 0, 0);
    size_t len = make_packet(pkt, sizeof pkt, 1, 10, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    len = make_packet(pkt, sizeof pkt, 2, 10, 0);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), 0);
    len = make_packet(pkt, sizeof pkt, 3, 10, 0);
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_rtx_history_put(h, 0, pkt, len), MRTC_ENOMEM);
    mrtc_alloc_fail_after(0);
    mrtc_rtx_history_size(h, &n, NULL);
    CHECK_EQ(n, 2); /* nothing evicted for a packet that was not stored */
    mrtc_rtx_history_free(h);
}

int main(void)
{
    RUN(test_known_vector);
    RUN(test_round_trip_extensions_csrcs);
    RUN(test_round_trip_ext_forms);
    RUN(test_padding_dropped);
    RUN(test_throttle);
    RUN(test_not_found_and_aged);
    RUN(test_bound_count);
    RUN(test_bound_bytes);
    RUN(test_bound_age);
    RUN(test_lookup_wrap_and_gaps);
    RUN(test_replace_same_seq);
    RUN(test_errors);
    RUN(test_alloc_failures);
    return test_finish();
}
