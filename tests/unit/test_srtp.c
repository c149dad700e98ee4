/* Tests of rtp/srtp.c: round trips of RTP and RTCP for both suites in both directions,
 * the exact overhead (no byte written past it), tampering, replays, wrong keys, capacity,
 * bad arguments, malformed input, and known answers: libsrtp's reference vectors
 * (test/srtp_driver.c, srtp_validate and srtp_validate_gcm) whose AES-CM master key and
 * salt are the RFC 3711 appendix B.3 ones, cross-checked by recomputing the AES-CM packet
 * with OpenSSL from the session keys of appendix B.3 (key derivation, section 4.3.1; IV,
 * section 4.1.1; tag, section 4.2). */
#include "test.h"

#include "meshrtc/error.h"
#include "rtp/srtp.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

static const mrtc_srtp_suite suites[] = {MRTC_SRTP_SUITE_AES128_CM_SHA1_80,
                                         MRTC_SRTP_SUITE_AEAD_AES_128_GCM};

/* Keying material with a recognisable pattern (distinct client and server halves). */
static void fill_km(uint8_t *km, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        km[i] = (uint8_t)(seed + 7 * i);
}

/* client: is_client = true; server: built from the same keying material. */
static void make_pair(mrtc_srtp_suite suite, uint8_t seed, mrtc_srtp **client, mrtc_srtp **server)
{
    uint8_t km[60];
    size_t n = mrtc_srtp_keying_material_len(suite);
    fill_km(km, n, seed);
    CHECK_EQ(mrtc_srtp_new(suite, km, n, true, client), 0);
    CHECK_EQ(mrtc_srtp_new(suite, km, n, false, server), 0);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload)
{
    buf[0] = 0x80;
    buf[1] = 111;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[4] = 0x00;
    buf[5] = 0x01;
    buf[6] = (uint8_t)(seq >> 8);
    buf[7] = (uint8_t)seq;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    for (size_t i = 0; i < payload; i++)
        buf[12 + i] = (uint8_t)(i * 13 + seq);
    return 12 + payload;
}

/* A receiver report with one report block (RFC 3550 section 6.4.2): 32 bytes. */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc)
{
    memset(buf, 0, 32);
    buf[0] = 0x81;
    buf[1] = 201;
    buf[3] = 7;
    buf[4] = (uint8_t)(ssrc >> 24);
    buf[5] = (uint8_t)(ssrc >> 16);
    buf[6] = (uint8_t)(ssrc >> 8);
    buf[7] = (uint8_t)ssrc;
    for (int i = 8; i < 32; i++)
        buf[i] = (uint8_t)(i * 3);
    return 32;
}

/* Protects with `from` (checking the exact overhead and that nothing past it was written)
 * and unprotects with `to`, expecting the original back. */
static void round_trip(mrtc_srtp *from, mrtc_srtp *to, bool rtcp, uint16_t seq)
{
    uint8_t orig[300], buf[300];
    size_t n = rtcp ? make_rtcp(orig, 0x11223344) : make_rtp(orig, seq, 0x11223344, 160);
    size_t over = mrtc_srtp_overhead(mrtc_srtp_get_suite(from), rtcp);
    memset(buf, 0xEE, sizeof buf);
    memcpy(buf, orig, n);
    size_t len = n;
    int err = rtcp ? mrtc_srtp_protect_rtcp(from, buf, &len, sizeof buf)
                   : mrtc_srtp_protect_rtp(from, buf, &len, sizeof buf);
    CHECK_EQ(err, 0);
    CHECK_EQ(len, n + over);
    for (size_t i = len; i < sizeof buf; i++)
        CHECK_EQ(buf[i], 0xEE);
    if (!rtcp)
        CHECK_MEM(buf, orig, 12); /* the header stays in the clear */
    CHECK(memcmp(buf + 12, orig + 12, n - 12) != 0);
    err = rtcp ? mrtc_srtp_unprotect_rtcp(to, buf, &len) : mrtc_srtp_unprotect_rtp(to, buf, &len);
    CHECK_EQ(err, 0);
    CHECK_EQ(len, n);
    CHECK_MEM(buf, orig, n);
}

static void test_round_trips(void)
{
    for (size_t k = 0; k < 2; k++) {
        mrtc_srtp *c = NULL, *s = NULL;
        make_pair(suites[k], 1, &c, &s);
        CHECK_EQ(mrtc_srtp_get_suite(c), suites[k]);
        for (uint16_t seq = 65530; seq != 6; seq++) { /* across a rollover */
            round_trip(c, s, false, seq);
            round_trip(s, c, false, seq);
        }
        for (int i = 0; i < 3; i++) {
            round_trip(c, s, true, 0);
            round_trip(s, c, true, 0);
        }
        mrtc_srtp_stats st;
        mrtc_srtp_get_stats(c, &st);
        CHECK_U64(st.rtp_protected, 12);
        CHECK_U64(st.rtp_unprotected, 12);
        CHECK_U64(st.rtcp_protected, 3);
        CHECK_U64(st.rtcp_unprotected, 3);
        CHECK_U64(st.auth_failures + st.replays + st.malformed, 0);
        mrtc_srtp_free(c);
        mrtc_srtp_free(s);
    }
}

static void test_overheads(void)
{
    CHECK_EQ(mrtc_srtp_keying_material_len(MRTC_SRTP_SUITE_AES128_CM_SHA1_80), 60);
    CHECK_EQ(mrtc_srtp_keying_material_len(MRTC_SRTP_SUITE_AEAD_AES_128_GCM), 56);
    CHECK_EQ(mrtc_srtp_keying_material_len((mrtc_srtp_suite)2), 0);
    CHECK_EQ(mrtc_srtp_overhead(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, false), 10);
    CHECK_EQ(mrtc_srtp_overhead(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, true), 14);
    CHECK_EQ(mrtc_srtp_overhead(MRTC_SRTP_SUITE_AEAD_AES_128_GCM, false), 16);
    CHECK_EQ(mrtc_srtp_overhead(MRTC_SRTP_SUITE_AEAD_AES_128_GCM, true), MRTC_SRTP_MAX_OVERHEAD);
    CHECK_EQ(mrtc_srtp_overhead((mrtc_srtp_suite)0, false), 0);
}

/* Every byte of a protected packet, flipped, is refused with MRTC_EAUTH, *len unchanged;
 * afterwards the untouched packet still passes (the failure moved no replay window). */
static void tamper_each_byte(mrtc_srtp *c, mrtc_srtp *s, bool rtcp)
{
    uint8_t pkt[300], copy[300];
    size_t n = rtcp ? make_rtcp(pkt, 0xabcdef01) : make_rtp(pkt, 100, 0xabcdef01, 64);
    int err = rtcp ? mrtc_srtp_protect_rtcp(c, pkt, &n, sizeof pkt)
                   : mrtc_srtp_protect_rtp(c, pkt, &n, sizeof pkt);
    CHECK_EQ(err, 0);
    mrtc_srtp_stats before, after;
    mrtc_srtp_get_stats(s, &before);
    size_t refused = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0)
            continue; /* the version bits make it malformed, not forged (checked below) */
        memcpy(copy, pkt, n);
        copy[i] ^= 0x01;
        size_t len = n;
        err =
            rtcp ? mrtc_srtp_unprotect_rtcp(s, copy, &len) : mrtc_srtp_unprotect_rtp(s, copy, &len);
        if (err != MRTC_EAUTH)
            fprintf(stderr, "byte %zu: %s\n", i, mrtc_err_name(err));
        CHECK_EQ(err, MRTC_EAUTH);
        CHECK_EQ(len, n);
        if (mrtc_srtp_get_suite(s) == MRTC_SRTP_SUITE_AES128_CM_SHA1_80) {
            /* HMAC is checked before decryption: the refused bytes are untouched. */
            uint8_t expect[300];
            memcpy(expect, pkt, n);
            expect[i] ^= 0x01;
            CHECK_MEM(copy, expect, n);
        }
        refused++;
    }
    mrtc_srtp_get_stats(s, &after);
    CHECK_U64(after.auth_failures - before.auth_failures, refused);
    memcpy(copy, pkt, n);
    copy[0] ^= 0x40; /* version 3 */
    size_t len = n;
    err = rtcp ? mrtc_srtp_unprotect_rtcp(s, copy, &len) : mrtc_srtp_unprotect_rtp(s, copy, &len);
    CHECK_EQ(err, MRTC_EPROTO);
    CHECK_EQ(len, n);
    len = n;
    err = rtcp ? mrtc_srtp_unprotect_rtcp(s, pkt, &len) : mrtc_srtp_unprotect_rtp(s, pkt, &len);
    CHECK_EQ(err, 0);
}

static void test_tampered(void)
{
    for (size_t k = 0; k < 2; k++) {
        mrtc_srtp *c = NULL, *s = NULL;
        make_pair(suites[k], 2, &c, &s);
        tamper_each_byte(c, s, false);
        tamper_each_byte(c, s, true);
        mrtc_srtp_free(c);
        mrtc_srtp_free(s);
    }
}

static void test_replay(void)
{
    for (size_t k = 0; k < 2; k++) {
        mrtc_srtp *c = NULL, *s = NULL;
        make_pair(suites[k], 3, &c, &s);
        uint8_t pkt[300], copy[300];
        size_t n = make_rtp(pkt, 7, 42, 100);
        CHECK_EQ(mrtc_srtp_protect_rtp(c, pkt, &n, sizeof pkt), 0);
        memcpy(copy, pkt, n);
        size_t len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtp(s, pkt, &len), 0);
        len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtp(s, copy, &len), MRTC_EAUTH);
        CHECK_EQ(len, n);

        /* Older than the 128-packet window. */
        uint8_t old[300];
        size_t old_n = make_rtp(old, 8, 42, 100);
        CHECK_EQ(mrtc_srtp_protect_rtp(c, old, &old_n, sizeof old), 0);
        for (uint16_t seq = 9; seq < 300; seq++) {
            len = make_rtp(pkt, seq, 42, 20);
            CHECK_EQ(mrtc_srtp_protect_rtp(c, pkt, &len, sizeof pkt), 0);
            if (seq == 299)
                CHECK_EQ(mrtc_srtp_unprotect_rtp(s, pkt, &len), 0);
        }
        len = old_n;
        CHECK_EQ(mrtc_srtp_unprotect_rtp(s, old, &len), MRTC_EAUTH);

        /* SRTCP */
        n = make_rtcp(pkt, 42);
        CHECK_EQ(mrtc_srtp_protect_rtcp(c, pkt, &n, sizeof pkt), 0);
        memcpy(copy, pkt, n);
        len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtcp(s, pkt, &len), 0);
        len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtcp(s, copy, &len), MRTC_EAUTH);

        mrtc_srtp_stats st;
        mrtc_srtp_get_stats(s, &st);
        CHECK_U64(st.replays, 3);
        CHECK_U64(st.auth_failures, 0);

        /* The sender refuses to protect a sequence number twice. */
        n = make_rtp(pkt, 299, 42, 20);
        memcpy(copy, pkt, n);
        len = n;
        CHECK_EQ(mrtc_srtp_protect_rtp(c, pkt, &len, sizeof pkt), MRTC_ESTATE);
        CHECK_EQ(len, n);
        CHECK_MEM(pkt, copy, n);
        mrtc_srtp_free(c);
        mrtc_srtp_free(s);
    }
}

static void test_wrong_keys(void)
{
    for (size_t k = 0; k < 2; k++) {
        mrtc_srtp *c = NULL, *s = NULL, *c2 = NULL, *s2 = NULL;
        make_pair(suites[k], 4, &c, &s);
        make_pair(suites[k], 5, &c2, &s2);
        uint8_t pkt[300];
        size_t n = make_rtp(pkt, 1, 9, 50);
        CHECK_EQ(mrtc_srtp_protect_rtp(c, pkt, &n, sizeof pkt), 0);
        size_t len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtp(s2, pkt, &len), MRTC_EAUTH); /* other association */
        len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtp(c, pkt, &len), MRTC_EAUTH); /* own outbound key */
        n = make_rtcp(pkt, 9);
        CHECK_EQ(mrtc_srtp_protect_rtcp(c, pkt, &n, sizeof pkt), 0);
        uint8_t copy[300]; /* a failed AES-GCM unprotect may leave buf overwritten */
        memcpy(copy, pkt, n);
        len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtcp(s2, copy, &len), MRTC_EAUTH);
        len = n;
        CHECK_EQ(mrtc_srtp_unprotect_rtcp(s, pkt, &len), 0);
        mrtc_srtp_free(c);
        mrtc_srtp_free(s);
        mrtc_srtp_free(c2);
        mrtc_srtp_free(s2);
    }
}

static void test_bad_args(void)
{
    uint8_t km[64] = {0};
    mrtc_srtp *s = (mrtc_srtp *)km; /* must come back NULL */
    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, km, 56, true, &s), MRTC_EINVAL);
    CHECK(s == NULL);
    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, km, 61, true, &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AEAD_AES_128_GCM, km, 60, false, &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_new((mrtc_srtp_suite)0, km, 60, true, &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_new((mrtc_srtp_suite)2, km, 60, true, &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_new((mrtc_srtp_suite)8, km, 56, true, &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, NULL, 60, true, &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, km, 60, true, NULL), MRTC_EINVAL);
    CHECK(s == NULL);
    mrtc_srtp_free(NULL);

    /* The counting allocator's failure reaches the caller as MRTC_ENOMEM, nothing leaks. */
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, km, 60, true, &s), MRTC_ENOMEM);
    mrtc_alloc_fail_after(0);
    CHECK(s == NULL);

    CHECK_EQ(mrtc_srtp_new(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, km, 60, true, &s), 0);
    uint8_t pkt[64];
    size_t len = make_rtp(pkt, 1, 1, 20);
    CHECK_EQ(mrtc_srtp_protect_rtp(NULL, pkt, &len, sizeof pkt), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_protect_rtp(s, NULL, &len, sizeof pkt), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_protect_rtp(s, pkt, NULL, sizeof pkt), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_unprotect_rtp(s, pkt, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_srtp_unprotect_rtcp(NULL, pkt, &len), MRTC_EINVAL);
    len = 11; /* shorter than the fixed header */
    CHECK_EQ(mrtc_srtp_protect_rtp(s, pkt, &len, sizeof pkt), MRTC_EINVAL);
    len = 16;
    pkt[0] = 0x82; /* two CSRCs: 20 bytes of header in 16 */
    CHECK_EQ(mrtc_srtp_protect_rtp(s, pkt, &len, sizeof pkt), MRTC_EINVAL);
    pkt[0] = 0x90; /* extension header whose length runs past the packet */
    pkt[12] = 0xBE;
    pkt[13] = 0xDE;
    pkt[14] = 0;
    pkt[15] = 1;
    CHECK_EQ(mrtc_srtp_protect_rtp(s, pkt, &len, sizeof pkt), MRTC_EINVAL);
    len = 7;
    CHECK_EQ(mrtc_srtp_protect_rtcp(s, pkt, &len, sizeof pkt), MRTC_EINVAL);
    CHECK_EQ(len, 7);
    mrtc_srtp_free(s);
}

static void test_capacity(void)
{
    for (size_t k = 0; k < 2; k++) {
        mrtc_srtp *c = NULL, *s = NULL;
        make_pair(suites[k], 6, &c, &s);
        for (int rtcp = 0; rtcp < 2; rtcp++) {
            uint8_t pkt[300], orig[300];
            size_t n = rtcp ? make_rtcp(pkt, 5) : make_rtp(pkt, 1, 5, 100);
            size_t over = mrtc_srtp_overhead(suites[k], rtcp);
            memcpy(orig, pkt, n);
            size_t len = n;
            int err = rtcp ? mrtc_srtp_protect_rtcp(c, pkt, &len, n + over - 1)
                           : mrtc_srtp_protect_rtp(c, pkt, &len, n + over - 1);
            CHECK_EQ(err, MRTC_ENOBUFS);
            CHECK_EQ(len, n);
            CHECK_MEM(pkt, orig, n);
            err = rtcp ? mrtc_srtp_protect_rtcp(c, pkt, &len, n - 1)
                       : mrtc_srtp_protect_rtp(c, pkt, &len, n - 1);
            CHECK_EQ(err, MRTC_ENOBUFS);
            /* The exact capacity is enough, and the refused call used no sequence number. */
            err = rtcp ? mrtc_srtp_protect_rtcp(c, pkt, &len, n + over)
                       : mrtc_srtp_protect_rtp(c, pkt, &len, n + over);
            CHECK_EQ(err, 0);
            err = rtcp ? mrtc_srtp_unprotect_rtcp(s, pkt, &len)
                       : mrtc_srtp_unprotect_rtp(s, pkt, &len);
            CHECK_EQ(err, 0);
            CHECK_MEM(pkt, orig, n);
        }
        mrtc_srtp_free(c);
        mrtc_srtp_free(s);
    }
}

static void test_malformed_input(void)
{
    for (size_t k = 0; k < 2; k++) {
        mrtc_srtp *c = NULL, *s = NULL;
        make_pair(suites[k], 7, &c, &s);
        uint8_t pkt[300];
        size_t over = mrtc_srtp_overhead(suites[k], false);
        /* Every length shorter than header + tag. */
        for (size_t n = 0; n < 12 + over; n++) {
            make_rtp(pkt, 1, 1, 100);
            size_t len = n;
            CHECK_EQ(mrtc_srtp_unprotect_rtp(s, pkt, &len), MRTC_EPROTO);
            CHECK_EQ(len, n);
        }
        for (size_t n = 0; n < 8 + mrtc_srtp_overhead(suites[k], true); n++) {
            make_rtcp(pkt, 1);
            size_t len = n;
            CHECK_EQ(mrtc_srtp_unprotect_rtcp(s, pkt, &len), MRTC_EPROTO);
        }
        /* A CSRC count running past the packet. */
        size_t len = make_rtp(pkt, 1, 1, 20);
        CHECK_EQ(mrtc_srtp_protect_rtp(c, pkt, &len, sizeof pkt), 0);
        pkt[0] = 0x8F;
        CHECK_EQ(mrtc_srtp_unprotect_rtp(s, pkt, &len), MRTC_EPROTO);
        mrtc_srtp_stats st;
        mrtc_srtp_get_stats(s, &st);
        CHECK_U64(st.malformed, 12 + over + 8 + mrtc_srtp_overhead(suites[k], true) + 1);
        CHECK_U64(st.rtp_unprotected, 0);
        mrtc_srtp_free(c);
        mrtc_srtp_free(s);
    }
}

/* ---- Known answers ---- */

/* RFC 3711 appendix B.3: master key and salt, and the session keys derived from them. */
static const uint8_t b3_master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                          0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t b3_master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                           0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
static const uint8_t b3_cipher_key[16] = {0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee,
                                          0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87};
static const uint8_t b3_cipher_salt[14] = {0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c,
                                           0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1};
static const uint8_t b3_auth_key[20] = {0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71, 0x6b, 0x6f, 0xd4,
                                        0xab, 0x49, 0xaf, 0x25, 0x6a, 0x15, 0x6d, 0x38, 0xba, 0xa4};

/* libsrtp's srtp_driver.c reference packets: SSRC 0xcafebabe, sequence number 0x1234,
 * ROC 0; the first SRTCP index is 1. */
static const uint8_t kat_rtp_plain[28] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_rtcp_plain[24] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_cm_rtp[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
    0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
    0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t kat_cm_rtcp[38] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
    0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
    0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};
/* srtp_validate_gcm: master key 00 01 ... 0f, salt a0 a1 ... ab. */
static const uint8_t kat_gcm_key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                        0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t kat_gcm_salt[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                         0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t kat_gcm_rtp[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t kat_gcm_rtcp[44] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
    0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
    0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

/* Keying material whose client half is (key, salt) and whose server half is junk. */
static size_t kat_km(uint8_t *km, const uint8_t *key, const uint8_t *salt, size_t salt_len)
{
    memcpy(km, key, 16);
    memset(km + 16, 0x55, 16);
    memcpy(km + 32, salt, salt_len);
    memset(km + 32 + salt_len, 0x66, salt_len);
    return 32 + 2 * salt_len;
}

/* The client protects the plain packets into the reference ones; a server session built
 * from the same material (it receives with the client key) turns them back. */
static void check_kat(mrtc_srtp_suite suite, const uint8_t *key, const uint8_t *salt,
                      size_t salt_len, const uint8_t *rtp_ref, size_t rtp_ref_len,
                      const uint8_t *rtcp_ref, size_t rtcp_ref_len)
{
    uint8_t km[60], buf[64];
    size_t n = kat_km(km, key, salt, salt_len);
    mrtc_srtp *c = NULL, *s = NULL;
    CHECK_EQ(mrtc_srtp_new(suite, km, n, true, &c), 0);
    CHECK_EQ(mrtc_srtp_new(suite, km, n, false, &s), 0);

    size_t len = sizeof kat_rtp_plain;
    memcpy(buf, kat_rtp_plain, len);
    CHECK_EQ(mrtc_srtp_protect_rtp(c, buf, &len, sizeof buf), 0);
    CHECK_EQ(len, rtp_ref_len);
    CHECK_MEM(buf, rtp_ref, rtp_ref_len);
    CHECK_EQ(mrtc_srtp_unprotect_rtp(s, buf, &len), 0);
    CHECK_EQ(len, sizeof kat_rtp_plain);
    CHECK_MEM(buf, kat_rtp_plain, sizeof kat_rtp_plain);

    len = sizeof kat_rtcp_plain;
    memcpy(buf, kat_rtcp_plain, len);
    CHECK_EQ(mrtc_srtp_protect_rtcp(c, buf, &len, sizeof buf), 0);
    CHECK_EQ(len, rtcp_ref_len);
    CHECK_MEM(buf, rtcp_ref, rtcp_ref_len);
    CHECK_EQ(mrtc_srtp_unprotect_rtcp(s, buf, &len), 0);
    CHECK_EQ(len, sizeof kat_rtcp_plain);
    CHECK_MEM(buf, kat_rtcp_plain, sizeof kat_rtcp_plain);
    mrtc_srtp_free(c);
    mrtc_srtp_free(s);
}

static void test_known_answers(void)
{
    check_kat(MRTC_SRTP_SUITE_AES128_CM_SHA1_80, b3_master_key, b3_master_salt, 14, kat_cm_rtp,
              sizeof kat_cm_rtp, kat_cm_rtcp, sizeof kat_cm_rtcp);
    check_kat(MRTC_SRTP_SUITE_AEAD_AES_128_GCM, kat_gcm_key, kat_gcm_salt, 12, kat_gcm_rtp,
              sizeof kat_gcm_rtp, kat_gcm_rtcp, sizeof kat_gcm_rtcp);
}

/* AES-128 in counter mode from a 16-byte initial counter block (OpenSSL's CTR mode
 * increments all 128 bits; RFC 3711 increments the low 16, the same for these lengths). */
static void aes_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                    size_t n)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    CHECK(ctx != NULL);
    CHECK_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv), 1);
    CHECK_EQ(EVP_EncryptUpdate(ctx, out, &outl, in, (int)n), 1);
    CHECK_EQ(outl, (int)n);
    EVP_CIPHER_CTX_free(ctx);
}

/* RFC 3711 section 4.3.1 with key_derivation_rate 0: x = (label || 0^48) XOR master salt,
 * keystream of AES-CM(master key) from x * 2^16. */
static void derive(uint8_t label, uint8_t *out, size_t n)
{
    uint8_t iv[16] = {0}, zero[32] = {0};
    memcpy(iv, b3_master_salt, 14);
    iv[7] ^= label;
    aes_ctr(b3_master_key, iv, zero, out, n);
}

static void test_rfc3711_b3_recomputed(void)
{
    uint8_t ke[16], ka[20], ks[14];
    derive(0x00, ke, sizeof ke);
    derive(0x01, ka, sizeof ka);
    derive(0x02, ks, sizeof ks);
    CHECK_MEM(ke, b3_cipher_key, 16);
    CHECK_MEM(ka, b3_auth_key, 20);
    CHECK_MEM(ks, b3_cipher_salt, 14);

    /* Section 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = 0x1234. */
    uint8_t iv[16] = {0}, pkt[38];
    memcpy(iv, ks, 14);
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= kat_rtp_plain[8 + i];
    iv[12] ^= 0x12;
    iv[13] ^= 0x34;
    memcpy(pkt, kat_rtp_plain, 12);
    aes_ctr(ke, iv, kat_rtp_plain + 12, pkt + 12, 16);
    /* Section 4.2: HMAC-SHA1 over the packet and the ROC (0), the first 80 bits. */
    uint8_t authed[32] = {0}, mac[20];
    size_t mac_len = 0;
    memcpy(authed, pkt, 28);
    CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, ka, sizeof ka, authed, 32, mac, sizeof mac,
                    &mac_len) != NULL);
    CHECK_EQ(mac_len, 20);
    memcpy(pkt + 28, mac, 10);
    CHECK_MEM(pkt, kat_cm_rtp, sizeof kat_cm_rtp);
}

int main(void)
{
    RUN(test_overheads);
    RUN(test_round_trips);
    RUN(test_tampered);
    RUN(test_replay);
    RUN(test_wrong_keys);
    RUN(test_bad_args);
    RUN(test_capacity);
    RUN(test_malformed_input);
    RUN(test_known_answers);
    RUN(test_rfc3711_b3_recomputed);
    return test_finish();
}
