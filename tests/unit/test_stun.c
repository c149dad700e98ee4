/* Tests of ice/stun.c: the RFC 5769 test vectors (decode, integrity, fingerprint, byte-exact
 * re-encoding), integrity and fingerprint failures, malformed input of every kind, unknown
 * attributes, the writer's round trips, misuse and capacity limits, and log names. */
#include "test.h"

#include "core/util/addr.h"
#include "core/util/buf.h"
#include "core/util/rand.h"
#include "ice/stun.h"
#include "meshrtc/error.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- RFC 5769 vectors (section 2.1 to 2.4), byte for byte. ---- */

static const uint8_t rfc_tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
static const char rfc_short_pass[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* 2.1 Sample request: SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED, USERNAME
 * "evtj:h6vY" (padded with three 0x20 bytes), MESSAGE-INTEGRITY, FINGERPRINT. */
static const uint8_t v21[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* 2.2 IPv4 response: SOFTWARE "test vector" (padded with one 0x20), XOR-MAPPED-ADDRESS
 * 192.0.2.1:32853, MESSAGE-INTEGRITY, FINGERPRINT. */
static const uint8_t v22[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* 2.3 IPv6 response: as 2.2 with XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]
 * port 32853. */
static const uint8_t v23[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* 2.4 Request with long-term authentication: USERNAME (UTF-8 Katakana, zero padding),
 * NONCE, REALM "example.org" (zero padding), MESSAGE-INTEGRITY; no FINGERPRINT. */
static const uint8_t v24[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
    0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
    0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73,
    0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02,
    0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};
static const uint8_t v24_tid[12] = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                    0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
/* "マトリックス" in UTF-8, written as escapes so the source stays ASCII. */
static const char v24_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
                               "\xe3\x82\xb9";
static const char v24_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char v24_realm[] = "example.org";
static const char v24_pass[] = "TheMatrIX"; /* already the SASLprep output of the RFC */

static const uint8_t *short_key(void)
{
    return (const uint8_t *)rfc_short_pass;
}

#define SHORT_KEY_LEN (sizeof rfc_short_pass - 1)

static bool mem_is(const void *p, size_t n, const char *s)
{
    return p && n == strlen(s) && memcmp(p, s, n) == 0;
}

/* ---- Decoding the vectors ---- */

static void test_rfc5769_request(void)
{
    mrtc_stun_msg m;
    CHECK(mrtc_stun_is_stun(v21, sizeof v21));
    CHECK_EQ(mrtc_stun_decode(&m, v21, sizeof v21), 0);
    CHECK_EQ(m.method, MRTC_STUN_BINDING);
    CHECK_EQ(m.cls, MRTC_STUN_REQUEST);
    CHECK_MEM(m.tid, rfc_tid, 12);
    CHECK(m.raw == v21);
    CHECK_EQ(m.raw_len, sizeof v21);
    CHECK_EQ(m.n_attrs, 6);
    CHECK_EQ(m.n_unknown, 0);
    CHECK_EQ(m.attrs[0].type, MRTC_STUN_ATTR_SOFTWARE);
    CHECK(mem_is(m.attrs[0].value, m.attrs[0].len, "STUN test client"));
    CHECK_EQ(m.attrs[1].type, MRTC_STUN_ATTR_PRIORITY);
    CHECK_EQ(m.attrs[2].type, MRTC_STUN_ATTR_ICE_CONTROLLED);
    CHECK_EQ(m.attrs[3].type, MRTC_STUN_ATTR_USERNAME);
    CHECK_EQ(m.attrs[4].type, MRTC_STUN_ATTR_MESSAGE_INTEGRITY);
    CHECK_EQ(m.attrs[5].type, MRTC_STUN_ATTR_FINGERPRINT);
    CHECK(m.has_priority);
    CHECK_U64(m.priority, 0x6e0001ffu);
    CHECK(m.has_ice_controlled);
    CHECK(!m.has_ice_controlling);
    CHECK_U64(m.tiebreaker, 0x932ff9b151263b36ull);
    CHECK(!m.use_candidate);
    CHECK(mem_is(m.username, m.username_len, "evtj:h6vY"));
    CHECK(m.realm == NULL && m.nonce == NULL);
    CHECK(!m.has_xor_mapped && !m.has_mapped && !m.has_error && !m.has_lifetime);
    CHECK(!m.has_channel && m.data == NULL);
    CHECK(m.has_integrity);
    CHECK_EQ(m.integrity_offset, 76);
    CHECK(m.has_fingerprint);
    CHECK_EQ(mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN), 0);
    const mrtc_stun_attr *sw = mrtc_stun_find(&m, MRTC_STUN_ATTR_SOFTWARE);
    CHECK(sw == &m.attrs[0]);
    CHECK(mrtc_stun_find(&m, MRTC_STUN_ATTR_REALM) == NULL);
}

static void check_rfc_response(const uint8_t *v, size_t n, const mrtc_addr *want)
{
    mrtc_stun_msg m;
    char a[MRTC_ADDR_STRLEN], b[MRTC_ADDR_STRLEN];
    CHECK(mrtc_stun_is_stun(v, n));
    CHECK_EQ(mrtc_stun_decode(&m, v, n), 0);
    CHECK_EQ(m.method, MRTC_STUN_BINDING);
    CHECK_EQ(m.cls, MRTC_STUN_SUCCESS);
    CHECK_MEM(m.tid, rfc_tid, 12);
    CHECK_EQ(m.n_attrs, 4);
    CHECK_EQ(m.n_unknown, 0);
    const mrtc_stun_attr *sw = mrtc_stun_find(&m, MRTC_STUN_ATTR_SOFTWARE);
    CHECK(sw && mem_is(sw->value, sw->len, "test vector"));
    CHECK(m.has_xor_mapped);
    CHECK(!m.has_mapped);
    CHECK(mrtc_addr_eq(&m.xor_mapped, want));
    CHECK_STR(mrtc_addr_str(&m.xor_mapped, a, sizeof a), mrtc_addr_str(want, b, sizeof b));
    CHECK_EQ(m.xor_mapped.scope_id, 0);
    CHECK(m.username == NULL && !m.has_priority && !m.has_ice_controlled);
    CHECK(m.has_integrity);
    CHECK_EQ(m.integrity_offset, n - 32);
    CHECK(m.has_fingerprint);
    CHECK_EQ(mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN), 0);
}

static void test_rfc5769_ipv4_response(void)
{
    mrtc_addr want;
    CHECK_EQ(mrtc_addr_parse(&want, "192.0.2.1:32853"), 0);
    check_rfc_response(v22, sizeof v22, &want);
}

static void test_rfc5769_ipv6_response(void)
{
    mrtc_addr want;
    CHECK_EQ(mrtc_addr_parse(&want, "[2001:db8:1234:5678:11:2233:4455:6677]:32853"), 0);
    check_rfc_response(v23, sizeof v23, &want);
}

static void test_rfc5769_long_term(void)
{
    mrtc_stun_msg m;
    uint8_t key[16];
    CHECK_EQ(mrtc_stun_decode(&m, v24, sizeof v24), 0);
    CHECK_EQ(m.method, MRTC_STUN_BINDING);
    CHECK_EQ(m.cls, MRTC_STUN_REQUEST);
    CHECK_MEM(m.tid, v24_tid, 12);
    CHECK_EQ(m.n_attrs, 4);
    CHECK_EQ(m.n_unknown, 0);
    CHECK(mem_is(m.username, m.username_len, v24_user));
    CHECK_EQ(m.username_len, 18);
    CHECK(mem_is(m.nonce, m.nonce_len, v24_nonce));
    CHECK(mem_is(m.realm, m.realm_len, v24_realm));
    CHECK(m.has_integrity);
    CHECK_EQ(m.integrity_offset, sizeof v24 - 24);
    CHECK(!m.has_fingerprint);
    CHECK(!m.has_priority && !m.has_xor_mapped);

    mrtc_stun_long_term_key(v24_user, v24_realm, v24_pass, key);
    CHECK_EQ(mrtc_stun_check_integrity(&m, key, sizeof key), 0);
    /* The short-term interpretation of the password is not the key. */
    CHECK_EQ(mrtc_stun_check_integrity(&m, (const uint8_t *)v24_pass, strlen(v24_pass)),
             MRTC_EAUTH);
    /* Strings are used as given, no SASLprep: a different spelling gives another key. */
    uint8_t other[16];
    mrtc_stun_long_term_key(v24_user, v24_realm, "thematrix", other);
    CHECK(memcmp(key, other, 16) != 0);
    CHECK_EQ(mrtc_stun_check_integrity(&m, other, sizeof other), MRTC_EAUTH);
}

/* The seed corpus of the fuzz target holds the same four vectors. */
static void test_seed_corpus_matches(void)
{
    static const struct {
        const char *path;
        const uint8_t *v;
        size_t n;
    } seeds[] = {
        {"tests/fuzz/corpus/fuzz_stun/rfc5769_2_1_request.bin", v21, sizeof v21},
        {"tests/fuzz/corpus/fuzz_stun/rfc5769_2_2_ipv4_response.bin", v22, sizeof v22},
        {"tests/fuzz/corpus/fuzz_stun/rfc5769_2_3_ipv6_response.bin", v23, sizeof v23},
        {"tests/fuzz/corpus/fuzz_stun/rfc5769_2_4_long_term_request.bin", v24, sizeof v24},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        uint8_t buf[256];
        FILE *f = fopen(seeds[i].path, "rb");
        CHECK(f != NULL);
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK_EQ(n, seeds[i].n);
        CHECK_MEM(buf, seeds[i].v, seeds[i].n);
    }
}

/* ---- Re-encoding the vectors with the writer ---- */

/* RFC 5769 pads USERNAME and SOFTWARE with 0x20 bytes in 2.1 to 2.3, where our writer pads
 * with zeros (RFC 8489 section 14 lets padding be any value; senders should use zeros). The
 * padding is covered by MESSAGE-INTEGRITY and FINGERPRINT, so the vector's values cannot come
 * out of a zero-padded message. The helper checks that the writer wrote zero padding, then
 * overwrites those bytes with the vector's 0x20 before the writer adds MESSAGE-INTEGRITY and
 * FINGERPRINT: from there the whole message must be byte-identical, which proves the header
 * length adjustment, the HMAC and the CRC of the writer. */
static void repad(mrtc_stun_writer *w, size_t attr_end, size_t pad)
{
    CHECK(attr_end <= w->len);
    for (size_t i = attr_end - pad; i < attr_end; i++) {
        CHECK_EQ(w->buf[i], 0);
        w->buf[i] = 0x20;
    }
}

static void test_rfc5769_encode_request(void)
{
    uint8_t buf[256];
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_SOFTWARE, "STUN test client", 16);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, 0x6e0001ffu);
    mrtc_stun_add_u64(&w, MRTC_STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, "evtj:h6vY", 9);
    repad(&w, w.len, 3);
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, sizeof v21);
    if (n == (int)sizeof v21)
        CHECK_MEM(buf, v21, sizeof v21);
}

static void encode_rfc_response(const uint8_t *v, size_t n, const char *hostport)
{
    uint8_t buf[256];
    mrtc_addr a;
    mrtc_stun_writer w;
    CHECK_EQ(mrtc_addr_parse(&a, hostport), 0);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_SUCCESS, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_SOFTWARE, "test vector", 11);
    repad(&w, w.len, 1);
    mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    mrtc_stun_add_fingerprint(&w);
    int len = mrtc_stun_writer_finish(&w);
    CHECK_EQ(len, n);
    if (len == (int)n)
        CHECK_MEM(buf, v, n);
}

static void test_rfc5769_encode_responses(void)
{
    encode_rfc_response(v22, sizeof v22, "192.0.2.1:32853");
    encode_rfc_response(v23, sizeof v23, "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void test_rfc5769_encode_long_term(void)
{
    /* 2.4 pads with zeros, so it is reproduced as is. */
    uint8_t buf[256], key[16];
    mrtc_stun_writer w;
    mrtc_stun_long_term_key(v24_user, v24_realm, v24_pass, key);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, v24_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, v24_user, strlen(v24_user));
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_NONCE, v24_nonce, strlen(v24_nonce));
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_REALM, v24_realm, strlen(v24_realm));
    mrtc_stun_add_integrity(&w, key, sizeof key);
    int n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, sizeof v24);
    if (n == (int)sizeof v24)
        CHECK_MEM(buf, v24, sizeof v24);
}

/* ---- Integrity and fingerprint failures ---- */

static void test_integrity_failures(void)
{
    mrtc_stun_msg m;
    uint8_t key[16], buf[sizeof v24];

    /* Wrong key. */
    CHECK_EQ(mrtc_stun_decode(&m, v21, sizeof v21), 0);
    CHECK_EQ(
        mrtc_stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu", SHORT_KEY_LEN),
        MRTC_EAUTH);
    CHECK_EQ(mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN - 1), MRTC_EAUTH);
    CHECK_EQ(mrtc_stun_check_integrity(&m, NULL, 0), MRTC_EAUTH);
    CHECK_EQ(mrtc_stun_check_integrity(&m, NULL, 4), MRTC_EINVAL);

    /* 2.4 has no FINGERPRINT, so a flipped bit anywhere in what the HMAC covers still
     * decodes and must be caught by the HMAC, as must a flipped bit in the HMAC itself. */
    mrtc_stun_long_term_key(v24_user, v24_realm, v24_pass, key);
    for (size_t byte = 0; byte < sizeof v24; byte++) {
        if (byte == 2 || byte == 3 || (byte >= 4 && byte < 8))
            continue; /* length and cookie: refused by decode, checked elsewhere */
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, v24, sizeof v24);
            buf[byte] ^= (uint8_t)(1u << bit);
            int err = mrtc_stun_decode(&m, buf, sizeof buf);
            if (err) {
                /* e.g. a changed attribute length or type: refused as malformed. */
                CHECK_EQ(err, MRTC_EPROTO);
                continue;
            }
            if (!m.has_integrity)
                continue; /* the MESSAGE-INTEGRITY type itself was hit */
            int ierr = mrtc_stun_check_integrity(&m, key, sizeof key);
            if (ierr != MRTC_EAUTH)
                fprintf(stderr, "flipped byte %zu bit %d: got %d\n", byte, bit, ierr);
            CHECK_EQ(ierr, MRTC_EAUTH);
        }
    }

    /* No MESSAGE-INTEGRITY at all. */
    uint8_t out[64];
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, out, sizeof out, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, 28);
    CHECK_EQ(mrtc_stun_decode(&m, out, (size_t)n), 0);
    CHECK(m.has_fingerprint);
    CHECK_EQ(mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN), MRTC_ENOTFOUND);
}

static void test_fingerprint_failures(void)
{
    const uint8_t *vs[] = {v21, v22, v23};
    const size_t ns[] = {sizeof v21, sizeof v22, sizeof v23};
    uint8_t buf[128];
    mrtc_stun_msg m;

    for (int i = 0; i < 3; i++) {
        /* One flipped bit anywhere outside the header: the CRC no longer matches (or the
         * framing breaks); never accepted. Not the FINGERPRINT type itself: 0x8028 flipped
         * to 0x9028 or 0x8038 is an unknown optional attribute and the message is then
         * simply one without FINGERPRINT. */
        for (size_t byte = MRTC_STUN_HEADER_LEN; byte < ns[i]; byte++) {
            if (byte == ns[i] - 8 || byte == ns[i] - 7)
                continue;
            memcpy(buf, vs[i], ns[i]);
            buf[byte] ^= 0x10;
            CHECK_EQ(mrtc_stun_decode(&m, buf, ns[i]), MRTC_EPROTO);
        }
        memcpy(buf, vs[i], ns[i]);
        buf[ns[i] - 8] ^= 0x10;
        CHECK_EQ(mrtc_stun_decode(&m, buf, ns[i]), 0);
        CHECK(!m.has_fingerprint);
        /* The transaction id is covered too. */
        memcpy(buf, vs[i], ns[i]);
        buf[19] ^= 1;
        CHECK_EQ(mrtc_stun_decode(&m, buf, ns[i]), MRTC_EPROTO);
    }
}

/* ---- Malformed input ---- */

static void test_truncations(void)
{
    const uint8_t *vs[] = {v21, v22, v23, v24};
    const size_t ns[] = {sizeof v21, sizeof v22, sizeof v23, sizeof v24};
    mrtc_stun_msg m;
    for (int i = 0; i < 4; i++) {
        for (size_t n = 0; n < ns[i]; n++) {
            /* A heap copy of exactly n bytes, so ASan sees any read past the end. */
            uint8_t *p = mrtc_malloc(n ? n : 1);
            CHECK(p != NULL);
            if (!p)
                continue;
            memcpy(p, vs[i], n);
            CHECK(!mrtc_stun_is_stun(p, n));
            CHECK_EQ(mrtc_stun_decode(&m, p, n), MRTC_EPROTO);
            /* The same prefix with the length field patched to match: the header is fine,
             * the attribute walk meets a cut attribute, a missing FINGERPRINT, or a valid
             * shorter message. Whatever it says, it must not read out of bounds. */
            if (n >= MRTC_STUN_HEADER_LEN && n % 4 == 0) {
                mrtc_store_u16(p + 2, (uint16_t)(n - MRTC_STUN_HEADER_LEN));
                int err = mrtc_stun_decode(&m, p, n);
                CHECK(err == 0 || err == MRTC_EPROTO);
            }
            mrtc_free(p);
        }
    }
    CHECK_EQ(mrtc_stun_decode(&m, NULL, 0), MRTC_EPROTO);
}

static void test_bad_header(void)
{
    uint8_t buf[sizeof v22 + 8];
    mrtc_stun_msg m;

    /* Length field not matching the datagram, either way. */
    memcpy(buf, v22, sizeof v22);
    mrtc_store_u16(buf + 2, 0x40);
    CHECK(!mrtc_stun_is_stun(buf, sizeof v22));
    CHECK_EQ(mrtc_stun_decode(&m, buf, sizeof v22), MRTC_EPROTO);
    mrtc_store_u16(buf + 2, 0x38);
    CHECK_EQ(mrtc_stun_decode(&m, buf, sizeof v22), MRTC_EPROTO);

    /* Trailing bytes after the message. */
    memcpy(buf, v22, sizeof v22);
    memset(buf + sizeof v22, 0, 8);
    CHECK_EQ(mrtc_stun_decode(&m, buf, sizeof v22 + 4), MRTC_EPROTO);

    /* A length that is not a multiple of 4, even when it matches the datagram. */
    uint8_t odd[22] = {0x00, 0x01, 0x00, 0x02, 0x21, 0x12, 0xa4, 0x42};
    CHECK(!mrtc_stun_is_stun(odd, sizeof odd));
    CHECK_EQ(mrtc_stun_decode(&m, odd, sizeof odd), MRTC_EPROTO);

    /* Wrong magic cookie (an RFC 3489 message would have a random one). */
    memcpy(buf, v22, sizeof v22);
    buf[7] ^= 0x01;
    CHECK(!mrtc_stun_is_stun(buf, sizeof v22));
    CHECK_EQ(mrtc_stun_decode(&m, buf, sizeof v22), MRTC_EPROTO);

    /* Either of the top two bits set. */
    memcpy(buf, v22, sizeof v22);
    buf[0] |= 0x40;
    CHECK_EQ(mrtc_stun_decode(&m, buf, sizeof v22), MRTC_EPROTO);
    buf[0] = 0x81;
    CHECK_EQ(mrtc_stun_decode(&m, buf, sizeof v22), MRTC_EPROTO);

    /* The smallest valid message: a bare header. */
    uint8_t bare[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    CHECK(mrtc_stun_is_stun(bare, sizeof bare));
    CHECK_EQ(mrtc_stun_decode(&m, bare, sizeof bare), 0);
    CHECK_EQ(m.n_attrs, 0);
    CHECK(!m.has_integrity && !m.has_fingerprint);
}

/* Builds a header (Binding request, rfc_tid) followed by body bytes; returns the length. */
static size_t build(uint8_t *out, const uint8_t *body, size_t body_len)
{
    mrtc_store_u16(out, 0x0001);
    mrtc_store_u16(out + 2, (uint16_t)body_len);
    mrtc_store_u32(out + 4, MRTC_STUN_MAGIC);
    memcpy(out + 8, rfc_tid, 12);
    memcpy(out + 20, body, body_len);
    return 20 + body_len;
}

static int decode_body(mrtc_stun_msg *m, const uint8_t *body, size_t body_len)
{
    static uint8_t buf[1024];
    size_t n = build(buf, body, body_len);
    return mrtc_stun_decode(m, buf, n);
}

static void test_bad_attributes(void)
{
    mrtc_stun_msg m;

    /* Attribute length running past the message: by a lot, and by the padding only. */
    const uint8_t overrun[] = {0x00, 0x06, 0x00, 0x64, 'a', 'b', 'c', 'd'};
    CHECK_EQ(decode_body(&m, overrun, sizeof overrun), MRTC_EPROTO);
    const uint8_t overrun2[] = {0x00, 0x06, 0x00, 0x05, 'a', 'b', 'c', 'd'};
    CHECK_EQ(decode_body(&m, overrun2, sizeof overrun2), MRTC_EPROTO);
    /* Three empty attributes, then a PRIORITY header claiming 4 bytes that are not there. */
    const uint8_t hh[] = {0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
                          0x80, 0x22, 0x00, 0x00, 0x00, 0x24, 0x00, 0x04};
    CHECK_EQ(decode_body(&m, hh, sizeof hh), MRTC_EPROTO);

    /* Known attributes with a wrong length. */
    const uint8_t prio3[] = {0x00, 0x24, 0x00, 0x03, 1, 2, 3, 0};
    CHECK_EQ(decode_body(&m, prio3, sizeof prio3), MRTC_EPROTO);
    const uint8_t prio8[] = {0x00, 0x24, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ(decode_body(&m, prio8, sizeof prio8), MRTC_EPROTO);
    const uint8_t usecand4[] = {0x00, 0x25, 0x00, 0x04, 0, 0, 0, 0};
    CHECK_EQ(decode_body(&m, usecand4, sizeof usecand4), MRTC_EPROTO);
    const uint8_t ctl4[] = {0x80, 0x2a, 0x00, 0x04, 1, 2, 3, 4};
    CHECK_EQ(decode_body(&m, ctl4, sizeof ctl4), MRTC_EPROTO);
    const uint8_t ctd12[] = {0x80, 0x29, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    CHECK_EQ(decode_body(&m, ctd12, sizeof ctd12), MRTC_EPROTO);
    const uint8_t life2[] = {0x00, 0x0d, 0x00, 0x02, 0, 1, 0, 0};
    CHECK_EQ(decode_body(&m, life2, sizeof life2), MRTC_EPROTO);
    const uint8_t chan2[] = {0x00, 0x0c, 0x00, 0x02, 0x40, 0x00, 0, 0};
    CHECK_EQ(decode_body(&m, chan2, sizeof chan2), MRTC_EPROTO);
    const uint8_t mi16[] = {0x00, 0x08, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(decode_body(&m, mi16, sizeof mi16), MRTC_EPROTO);
    const uint8_t fp8[] = {0x80, 0x28, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(decode_body(&m, fp8, sizeof fp8), MRTC_EPROTO);
    const uint8_t unk3[] = {0x00, 0x0a, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00};
    CHECK_EQ(decode_body(&m, unk3, sizeof unk3), MRTC_EPROTO);
    const uint8_t transport2[] = {0x00, 0x19, 0x00, 0x02, 17, 0, 0, 0};
    CHECK_EQ(decode_body(&m, transport2, sizeof transport2), MRTC_EPROTO);

    /* Addresses: IPv4 family with IPv6 length and the reverse, unknown family, too short. */
    const uint8_t xma_v4_20[] = {0x00, 0x20, 0x00, 0x14, 0, 1, 0xa1, 0x47, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0,    0,    0, 0, 0, 0};
    CHECK_EQ(decode_body(&m, xma_v4_20, sizeof xma_v4_20), MRTC_EPROTO);
    const uint8_t xma_v6_8[] = {0x00, 0x20, 0x00, 0x08, 0, 2, 0xa1, 0x47, 1, 2, 3, 4};
    CHECK_EQ(decode_body(&m, xma_v6_8, sizeof xma_v6_8), MRTC_EPROTO);
    const uint8_t xma_fam3[] = {0x00, 0x20, 0x00, 0x08, 0, 3, 0xa1, 0x47, 1, 2, 3, 4};
    CHECK_EQ(decode_body(&m, xma_fam3, sizeof xma_fam3), MRTC_EPROTO);
    const uint8_t ma_short[] = {0x00, 0x01, 0x00, 0x02, 0, 1, 0, 0};
    CHECK_EQ(decode_body(&m, ma_short, sizeof ma_short), MRTC_EPROTO);
    const uint8_t peer_short[] = {0x00, 0x12, 0x00, 0x04, 0, 1, 0x21, 0x12};
    CHECK_EQ(decode_body(&m, peer_short, sizeof peer_short), MRTC_EPROTO);

    /* ERROR-CODE: shorter than 4, class 2 and 7, number 100. */
    const uint8_t err3[] = {0x00, 0x09, 0x00, 0x03, 0, 0, 4, 0};
    CHECK_EQ(decode_body(&m, err3, sizeof err3), MRTC_EPROTO);
    const uint8_t err_c2[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 2, 0};
    CHECK_EQ(decode_body(&m, err_c2, sizeof err_c2), MRTC_EPROTO);
    const uint8_t err_c7[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 7, 0};
    CHECK_EQ(decode_body(&m, err_c7, sizeof err_c7), MRTC_EPROTO);
    const uint8_t err_n100[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 4, 100};
    CHECK_EQ(decode_body(&m, err_n100, sizeof err_n100), MRTC_EPROTO);
    const uint8_t err_ok[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 6, 99};
    CHECK_EQ(decode_body(&m, err_ok, sizeof err_ok), 0);
    CHECK_EQ(m.error_code, 699);
    CHECK_EQ(m.reason_len, 0);

    /* USERNAME at the 763-byte limit and one past it. */
    uint8_t body[800];
    memset(body, 'u', sizeof body);
    mrtc_store_u16(body, MRTC_STUN_ATTR_USERNAME);
    mrtc_store_u16(body + 2, 763);
    body[4 + 763] = 0; /* padding */
    CHECK_EQ(decode_body(&m, body, 4 + 764), 0);
    CHECK_EQ(m.username_len, 763);
    mrtc_store_u16(body + 2, 764);
    CHECK_EQ(decode_body(&m, body, 4 + 764), MRTC_EPROTO);
    mrtc_store_u16(body, MRTC_STUN_ATTR_REALM);
    CHECK_EQ(decode_body(&m, body, 4 + 764), MRTC_EPROTO);
    mrtc_store_u16(body, MRTC_STUN_ATTR_NONCE);
    CHECK_EQ(decode_body(&m, body, 4 + 764), MRTC_EPROTO);
    mrtc_store_u16(body, MRTC_STUN_ATTR_SOFTWARE);
    CHECK_EQ(decode_body(&m, body, 4 + 764), MRTC_EPROTO);
    /* An unknown optional attribute of the same size is fine. */
    mrtc_store_u16(body, 0x8fff);
    CHECK_EQ(decode_body(&m, body, 4 + 764), 0);
}

static void test_fingerprint_not_last(void)
{
    uint8_t buf[128];
    mrtc_stun_msg m;
    mrtc_stun_writer w;

    /* A valid FINGERPRINT followed by SOFTWARE (raw add_attr does not track FINGERPRINT). */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_fingerprint(&w);
    CHECK_EQ(mrtc_stun_writer_finish(&w), 28);
    CHECK_EQ(mrtc_stun_decode(&m, buf, 28), 0);
    w.has_fingerprint = false; /* test-only: let the writer append after it */
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_SOFTWARE, "x", 1);
    int n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, 36);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), MRTC_EPROTO);

    /* FINGERPRINT before MESSAGE-INTEGRITY. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_fingerprint(&w);
    w.has_fingerprint = false;
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), MRTC_EPROTO);

    /* Two FINGERPRINTs. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_fingerprint(&w);
    w.has_fingerprint = false;
    mrtc_stun_add_fingerprint(&w);
    n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, 36);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), MRTC_EPROTO);
}

static void test_too_many_attributes(void)
{
    uint8_t buf[512];
    mrtc_stun_msg m;
    mrtc_stun_writer w;

    /* MRTC_STUN_MAX_ATTRS attributes decode; one more is refused, not truncated. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    for (int i = 0; i < MRTC_STUN_MAX_ATTRS - 1; i++)
        mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_SOFTWARE);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.n_attrs, MRTC_STUN_MAX_ATTRS);

    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    for (int i = 0; i < MRTC_STUN_MAX_ATTRS; i++)
        mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_SOFTWARE);
    mrtc_stun_add_fingerprint(&w);
    n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), MRTC_EPROTO);

    /* Without the FINGERPRINT, too. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    for (int i = 0; i < MRTC_STUN_MAX_ATTRS + 1; i++)
        mrtc_stun_add_flag(&w, 0x8123);
    n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), MRTC_EPROTO);
}

static void test_oversized(void)
{
    /* The largest message the 16-bit length allows decodes; a datagram longer than that
     * cannot match any length field. */
    size_t max = MRTC_STUN_HEADER_LEN + 0xFFFC;
    uint8_t *buf = mrtc_malloc(max + 64);
    uint8_t *payload = mrtc_calloc(1, 0xFFFC);
    CHECK(buf != NULL && payload != NULL);
    if (!buf || !payload) {
        mrtc_free(buf);
        mrtc_free(payload);
        return;
    }
    memset(buf, 0xab, max + 64);
    mrtc_stun_writer w;
    mrtc_stun_msg m;
    mrtc_stun_writer_init(&w, buf, max + 64, MRTC_STUN_SEND, MRTC_STUN_INDICATION, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, payload, 0xFFFC - 4 - 8);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, (int)max);
    CHECK_EQ(mrtc_stun_decode(&m, buf, max), 0);
    CHECK_EQ(m.data_len, 0xFFFC - 12);
    CHECK(m.has_fingerprint);
    CHECK_EQ(mrtc_stun_decode(&m, buf, max + 4), MRTC_EPROTO);
    CHECK_EQ(mrtc_stun_decode(&m, buf, max + 64), MRTC_EPROTO);
    CHECK(!mrtc_stun_is_stun(buf, max + 4));

    /* The writer will not go past the 16-bit length even with room in the buffer. */
    mrtc_stun_writer_init(&w, buf, max + 64, MRTC_STUN_SEND, MRTC_STUN_INDICATION, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, payload, 0xFFFC - 4);
    CHECK_EQ(mrtc_stun_writer_finish(&w), (int)max);
    mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_ETOOBIG);
    mrtc_free(payload);
    mrtc_free(buf);
}

/* A random attribute list that exactly fills p[20..n): types from a list of known and unknown
 * ones, half the time with the length (and family or error class) a decoder accepts. */
static void random_attrs(const mrtc_rand *r, uint8_t *p, size_t n)
{
    static const struct {
        uint16_t type;
        uint16_t len; /* a valid length, 0xFFFF for "any" */
    } kinds[] = {
        {0x0001, 8},      {0x0006, 0xFFFF}, {0x0008, 20},     {0x0009, 0xFFFF}, {0x000a, 0xFFFF},
        {0x000c, 4},      {0x000d, 4},      {0x0012, 8},      {0x0013, 0xFFFF}, {0x0014, 0xFFFF},
        {0x0015, 0xFFFF}, {0x0016, 20},     {0x0019, 4},      {0x0020, 8},      {0x0020, 20},
        {0x0024, 4},      {0x0025, 0},      {0x8022, 0xFFFF}, {0x8028, 4},      {0x8029, 8},
        {0x802a, 8},      {0x7fff, 0xFFFF}, {0xc057, 0xFFFF},
    };
    size_t pos = MRTC_STUN_HEADER_LEN;
    while (n - pos >= 4) {
        size_t room = n - pos - 4; /* a multiple of 4 */
        size_t k = mrtc_rand_below(r, sizeof kinds / sizeof kinds[0]);
        size_t l = mrtc_rand_below(r, (uint32_t)(room < 28 ? room : 28) + 1);
        if (kinds[k].len != 0xFFFF && kinds[k].len <= room && mrtc_rand_below(r, 2))
            l = kinds[k].len;
        mrtc_store_u16(p + pos, kinds[k].type);
        mrtc_store_u16(p + pos + 2, (uint16_t)l);
        if (l >= 4 && kinds[k].type == 0x0009) {
            p[pos + 6] = (uint8_t)(3 + mrtc_rand_below(r, 4));
            p[pos + 7] = (uint8_t)mrtc_rand_below(r, 100);
        } else if (l == 8 || l == 20) {
            p[pos + 5] = l == 8 ? 1 : 2; /* address family, where it is an address */
        }
        pos += 4 + l + ((4 - l % 4) % 4);
    }
}

/* Random bytes, and random attribute lists behind a valid header: decode returns 0 or
 * MRTC_EPROTO and never reads out of bounds (ASan builds check the reads). */
static void test_random_garbage(void)
{
    mrtc_rand_seeded rs;
    mrtc_rand_seeded_init(&rs, 5769);
    const mrtc_rand *r = &rs.rand;
    mrtc_stun_msg m;
    int accepted = 0;

    for (int iter = 0; iter < 20000; iter++) {
        size_t n = mrtc_rand_below(r, 300);
        uint8_t *p = mrtc_malloc(n ? n : 1);
        CHECK(p != NULL);
        if (!p)
            return;
        mrtc_rand_bytes(r, p, n);
        if (iter % 2 == 1 && n >= MRTC_STUN_HEADER_LEN) {
            n -= n % 4;
            mrtc_store_u16(p, (uint16_t)mrtc_rand_below(r, 0x4000));
            mrtc_store_u16(p + 2, (uint16_t)(n - MRTC_STUN_HEADER_LEN));
            mrtc_store_u32(p + 4, MRTC_STUN_MAGIC);
            random_attrs(r, p, n);
        }
        int err = mrtc_stun_decode(&m, p, n);
        CHECK(err == 0 || err == MRTC_EPROTO);
        if (err == 0) {
            accepted++;
            CHECK(m.n_attrs <= MRTC_STUN_MAX_ATTRS);
            for (int i = 0; i < m.n_attrs; i++)
                CHECK(m.attrs[i].value + m.attrs[i].len <= p + n);
            int ierr = mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN);
            CHECK(ierr == MRTC_EAUTH || ierr == MRTC_ENOTFOUND);
        }
        /* RTP/RTCP (128-191) and TURN ChannelData (64-79) first bytes are never STUN. */
        if (n > 0 && p[0] >= 64)
            CHECK(!mrtc_stun_is_stun(p, n));
        mrtc_free(p);
    }
    /* The structured half must get through to the attribute decoders, not stop at the
     * header check. */
    printf("random garbage: %d of 20000 decoded\n", accepted);
    CHECK(accepted > 200);
}

static void test_not_stun(void)
{
    /* An RTP packet (V=2, PT 111) and a DTLS 1.2 ClientHello record header. */
    const uint8_t rtp[24] = {0x80, 0x6f, 0x12, 0x34, 0x00, 0x00,
                             0x00, 0xa0, 0x21, 0x12, 0xa4, 0x42};
    const uint8_t dtls[24] = {0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x01};
    const uint8_t chdata[24] = {0x40, 0x00, 0x00, 0x14};
    CHECK(!mrtc_stun_is_stun(rtp, sizeof rtp));
    CHECK(!mrtc_stun_is_stun(dtls, sizeof dtls));
    CHECK(!mrtc_stun_is_stun(chdata, sizeof chdata));
    /* A genuine STUN message whose first byte is changed to any non-STUN demux range. */
    uint8_t buf[sizeof v22];
    for (int b = 64; b < 256; b++) {
        memcpy(buf, v22, sizeof v22);
        buf[0] = (uint8_t)b;
        CHECK(!mrtc_stun_is_stun(buf, sizeof buf));
    }
    CHECK(!mrtc_stun_is_stun(NULL, 0));
    CHECK(!mrtc_stun_is_stun(v22, 19));
}

/* ---- Unknown attributes and attributes after MESSAGE-INTEGRITY ---- */

static void test_unknown_attributes(void)
{
    uint8_t buf[512];
    mrtc_stun_msg m;
    mrtc_stun_writer w;

    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_attr(&w, 0x7fff, "abc", 3);              /* comprehension-required */
    mrtc_stun_add_attr(&w, 0xc057, "\x00\x01\x00\x0a", 4); /* comprehension-optional */
    mrtc_stun_add_attr(&w, 0x001c, NULL, 0);  /* MESSAGE-INTEGRITY-SHA256: not supported */
    mrtc_stun_add_attr(&w, 0x7fff, "dup", 3); /* listed once */
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.n_unknown, 2);
    CHECK_EQ(m.unknown[0], 0x7fff);
    CHECK_EQ(m.unknown[1], 0x001c);
    CHECK_EQ(m.n_attrs, 5);
    const mrtc_stun_attr *opt = mrtc_stun_find(&m, 0xc057);
    CHECK(opt && opt->len == 4 && memcmp(opt->value, "\x00\x01\x00\x0a", 4) == 0);
    const mrtc_stun_attr *req = mrtc_stun_find(&m, 0x7fff);
    CHECK(req && mem_is(req->value, req->len, "abc"));

    /* More distinct unknown types than fit: the list stops at MRTC_STUN_MAX_UNKNOWN, every
     * attribute stays in attrs[]. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    for (int i = 0; i < MRTC_STUN_MAX_UNKNOWN + 3; i++)
        mrtc_stun_add_flag(&w, (uint16_t)(0x4000 + i));
    n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.n_unknown, MRTC_STUN_MAX_UNKNOWN);
    CHECK_EQ(m.unknown[MRTC_STUN_MAX_UNKNOWN - 1], 0x4000 + MRTC_STUN_MAX_UNKNOWN - 1);
    CHECK_EQ(m.n_attrs, MRTC_STUN_MAX_UNKNOWN + 3);
}

static void test_after_integrity_ignored(void)
{
    /* Vector 2.4 followed by attributes the sender slipped in after MESSAGE-INTEGRITY: a
     * PRIORITY, an unknown comprehension-required one and a malformed USE-CANDIDATE. They are
     * ignored (not decoded, not listed), and the integrity still verifies, which needs the
     * header length adjusted to end at MESSAGE-INTEGRITY (RFC 8489 section 14.5). */
    uint8_t buf[sizeof v24 + 64];
    const uint8_t tail[] = {0x00, 0x24, 0x00, 0x04, 1,    2,    3, 4, 0x7f, 0xfe,
                            0x00, 0x00, 0x00, 0x25, 0x00, 0x04, 0, 0, 0,    0};
    uint8_t key[16];
    mrtc_stun_msg m;

    memcpy(buf, v24, sizeof v24);
    memcpy(buf + sizeof v24, tail, sizeof tail);
    size_t n = sizeof v24 + sizeof tail;
    mrtc_store_u16(buf + 2, (uint16_t)(n - 20));
    CHECK_EQ(mrtc_stun_decode(&m, buf, n), 0);
    CHECK(!m.has_priority);
    CHECK(!m.use_candidate);
    CHECK_EQ(m.n_unknown, 0);
    CHECK_EQ(m.n_attrs, 4);
    CHECK_EQ(m.integrity_offset, sizeof v24 - 24);
    mrtc_stun_long_term_key(v24_user, v24_realm, v24_pass, key);
    CHECK_EQ(mrtc_stun_check_integrity(&m, key, sizeof key), 0);

    /* A FINGERPRINT after those is still found and verified. */
    mrtc_stun_writer w = {.buf = buf, .cap = sizeof buf, .len = n};
    mrtc_stun_add_fingerprint(&w);
    CHECK_EQ(mrtc_stun_writer_finish(&w), (int)n + 8);
    CHECK_EQ(mrtc_stun_decode(&m, buf, n + 8), 0);
    CHECK(m.has_fingerprint);
    CHECK_EQ(m.n_attrs, 5);
    CHECK_EQ(mrtc_stun_check_integrity(&m, key, sizeof key), 0);
}

static void test_duplicates_first_wins(void)
{
    uint8_t buf[256];
    mrtc_stun_msg m;
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, "first", 5);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, 1);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, "second", 6);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, 2);
    int n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK(mem_is(m.username, m.username_len, "first"));
    CHECK_EQ(m.priority, 1);
    CHECK_EQ(m.n_attrs, 4);
}

/* ---- Writer ---- */

static int build_binding(uint8_t *buf, size_t cap, const uint8_t tid[12])
{
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, cap, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, "remoteUfrag:localUfrag", 22);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, 0x7e7f00ffu);
    mrtc_stun_add_u64(&w, MRTC_STUN_ATTR_ICE_CONTROLLING, 0x0123456789abcdefull);
    mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    mrtc_stun_add_fingerprint(&w);
    return mrtc_stun_writer_finish(&w);
}

static void test_writer_binding_round_trip(void)
{
    uint8_t buf[256];
    mrtc_stun_msg m;
    mrtc_rand_seeded rs;
    uint8_t tid[12];
    mrtc_rand_seeded_init(&rs, 42);
    mrtc_rand_bytes(&rs.rand, tid, sizeof tid);

    int n = build_binding(buf, sizeof buf, tid);
    /* 20 header + 4+24 USERNAME (22 + 2 pad) + 8 PRIORITY + 12 ICE-CONTROLLING +
     * 4 USE-CANDIDATE + 24 MESSAGE-INTEGRITY + 8 FINGERPRINT */
    CHECK_EQ(n, 20 + 28 + 8 + 12 + 4 + 24 + 8);
    CHECK_EQ(mrtc_load_u16(buf + 2), n - 20);
    CHECK_EQ(buf[20 + 4 + 22], 0); /* zero padding */
    CHECK_EQ(buf[20 + 4 + 23], 0);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.method, MRTC_STUN_BINDING);
    CHECK_EQ(m.cls, MRTC_STUN_REQUEST);
    CHECK_MEM(m.tid, tid, 12);
    CHECK(mem_is(m.username, m.username_len, "remoteUfrag:localUfrag"));
    CHECK(m.has_priority);
    CHECK_U64(m.priority, 0x7e7f00ffu);
    CHECK(m.has_ice_controlling);
    CHECK(!m.has_ice_controlled);
    CHECK_U64(m.tiebreaker, 0x0123456789abcdefull);
    CHECK(m.use_candidate);
    CHECK(m.has_integrity);
    CHECK(m.has_fingerprint);
    CHECK_EQ(m.n_attrs, 6);
    CHECK_EQ(mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN), 0);
    CHECK_EQ(mrtc_stun_check_integrity(&m, (const uint8_t *)"x", 1), MRTC_EAUTH);

    /* An empty key is legal for HMAC and round-trips too. */
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_INDICATION, tid);
    mrtc_stun_add_integrity(&w, NULL, 0);
    n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(n, 44);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.cls, MRTC_STUN_INDICATION);
    CHECK_EQ(mrtc_stun_check_integrity(&m, (const uint8_t *)"", 0), 0);
    CHECK_EQ(mrtc_stun_check_integrity(&m, short_key(), SHORT_KEY_LEN), MRTC_EAUTH);
}

static void test_writer_error_round_trip(void)
{
    uint8_t buf[256];
    mrtc_stun_msg m;
    mrtc_stun_writer w;
    const uint16_t unknown[] = {0x7fff, 0x001c, 0x0031};

    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_ERROR, rfc_tid);
    mrtc_stun_add_error(&w, 487, "Role Conflict");
    mrtc_stun_add_unknown_attrs(&w, unknown, 3);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    /* ERROR-CODE value: 0, 0, class 4, number 87, then the reason. */
    CHECK_MEM(buf + 20, "\x00\x09\x00\x11\x00\x00\x04\x57Role Conflict\x00\x00\x00", 24);
    /* UNKNOWN-ATTRIBUTES: 6 bytes and two of zero padding. */
    CHECK_MEM(buf + 44, "\x00\x0a\x00\x06\x7f\xff\x00\x1c\x00\x31\x00\x00", 12);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.cls, MRTC_STUN_ERROR);
    CHECK(m.has_error);
    CHECK_EQ(m.error_code, 487);
    CHECK(mem_is(m.reason, m.reason_len, "Role Conflict"));
    const mrtc_stun_attr *ua = mrtc_stun_find(&m, MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES);
    CHECK(ua && ua->len == 6);
    CHECK_EQ(m.n_unknown, 0);

    /* Codes at both ends, an empty reason, and a 420 with no listed attribute. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_ALLOCATE, MRTC_STUN_ERROR, rfc_tid);
    mrtc_stun_add_error(&w, 300, NULL);
    n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.method, MRTC_STUN_ALLOCATE);
    CHECK_EQ(m.error_code, 300);
    CHECK_EQ(m.reason_len, 0);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_ERROR, rfc_tid);
    mrtc_stun_add_error(&w, 699, "x");
    mrtc_stun_add_unknown_attrs(&w, NULL, 0);
    n = mrtc_stun_writer_finish(&w);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.error_code, 699);
}

static void test_writer_turn_round_trip(void)
{
    uint8_t buf[256];
    mrtc_stun_msg m;
    mrtc_stun_writer w;
    mrtc_addr relayed, peer, mapped;
    CHECK_EQ(mrtc_addr_parse(&relayed, "[2001:db8::7]:49152"), 0);
    CHECK_EQ(mrtc_addr_parse(&peer, "198.51.100.9:5000"), 0);
    CHECK_EQ(mrtc_addr_parse(&mapped, "203.0.113.4:1"), 0);
    /* MAPPED-ADDRESS (no XOR): reserved 0, family 1, port, address. */
    const uint8_t plain[8] = {0, 1, 0x00, 0x01, 203, 0, 113, 4};

    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_ALLOCATE, MRTC_STUN_SUCCESS, rfc_tid);
    mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS, &relayed);
    mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_PEER_ADDRESS, &peer);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_MAPPED_ADDRESS, plain, sizeof plain);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_LIFETIME, 600);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_CHANNEL_NUMBER, 0x40010000u);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, "hello", 5);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_REALM, "example.org", 11);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_NONCE, "n0nce", 5);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_REQUESTED_TRANSPORT, 17u << 24);
    int n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(mrtc_stun_decode(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.cls, MRTC_STUN_SUCCESS);
    CHECK(m.has_xor_relayed && mrtc_addr_eq(&m.xor_relayed, &relayed));
    CHECK(m.has_xor_peer && mrtc_addr_eq(&m.xor_peer, &peer));
    CHECK(m.has_mapped && mrtc_addr_eq(&m.mapped, &mapped));
    CHECK(!m.has_xor_mapped);
    CHECK(m.has_lifetime);
    CHECK_EQ(m.lifetime, 600);
    CHECK(m.has_channel);
    CHECK_EQ(m.channel, 0x4001);
    CHECK(mem_is(m.data, m.data_len, "hello"));
    CHECK(mem_is(m.realm, m.realm_len, "example.org"));
    CHECK(mem_is(m.nonce, m.nonce_len, "n0nce"));
    CHECK_EQ(m.n_unknown, 0);

    /* The XOR really masks: the IPv6 address bytes on the wire differ from the address. */
    const mrtc_stun_attr *a = mrtc_stun_find(&m, MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS);
    CHECK(a && a->len == 20 && memcmp(a->value + 4, relayed.ip, 16) != 0);
    CHECK(a && mrtc_load_u16(a->value + 2) == (49152 ^ 0x2112));
}

static void test_writer_too_small(void)
{
    uint8_t full[256];
    int n = build_binding(full, sizeof full, rfc_tid);
    CHECK(n > 0);

    /* Every capacity below the full size fails with MRTC_ENOBUFS and leaves the bytes after
     * cap untouched. The buffer is a heap block of exactly cap bytes for ASan, followed here
     * by a canary check on a larger stack copy. */
    for (int cap = 0; cap < n; cap++) {
        uint8_t *p = mrtc_malloc(cap ? (size_t)cap : 1);
        CHECK(p != NULL);
        if (!p)
            return;
        CHECK_EQ(build_binding(p, (size_t)cap, rfc_tid), MRTC_ENOBUFS);
        mrtc_free(p);

        uint8_t guard[256 + 16];
        memset(guard, 0xee, sizeof guard);
        CHECK_EQ(build_binding(guard, (size_t)cap, rfc_tid), MRTC_ENOBUFS);
        for (size_t i = (size_t)cap; i < sizeof guard; i++) {
            if (guard[i] != 0xee) {
                fprintf(stderr, "cap %d: byte %zu written\n", cap, i);
                CHECK(guard[i] == 0xee);
                break;
            }
        }
    }
    uint8_t exact[256];
    CHECK_EQ(build_binding(exact, (size_t)n, rfc_tid), n);
    CHECK_MEM(exact, full, (size_t)n);
}

static void test_writer_misuse(void)
{
    uint8_t buf[256];
    mrtc_stun_writer w;
    mrtc_addr none = {0};

    /* Nothing after FINGERPRINT; only FINGERPRINT after MESSAGE-INTEGRITY. */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_fingerprint(&w);
    mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    CHECK_EQ(w.len, 28);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, 1);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    mrtc_stun_add_integrity(&w, short_key(), SHORT_KEY_LEN);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);

    /* Bad values. */
    const int bad_codes[] = {0, 200, 299, 700, -420};
    for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) {
        mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_ERROR, rfc_tid);
        mrtc_stun_add_error(&w, bad_codes[i], "x");
        CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    }
    char long_reason[765];
    memset(long_reason, 'r', 764);
    long_reason[764] = '\0';
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_ERROR, rfc_tid);
    mrtc_stun_add_error(&w, 400, long_reason);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &none);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, NULL, 3);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_unknown_attrs(&w, NULL, 2);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    mrtc_stun_writer_init(&w, buf, sizeof buf, 0x1000, MRTC_STUN_REQUEST, rfc_tid);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, NULL);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);

    /* Sticky: the first error is the one reported, and nothing more is written. */
    mrtc_stun_writer_init(&w, buf, 24, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_error(&w, 42, "x");
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, "too big for 24 bytes", 20);
    mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_EINVAL);
    CHECK_EQ(w.len, 20);
    mrtc_stun_writer_init(&w, buf, 24, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, rfc_tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, "too big for 24 bytes", 20);
    mrtc_stun_add_error(&w, 42, "x");
    CHECK_EQ(mrtc_stun_writer_finish(&w), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_load_u16(buf + 2), 0);
}

static void test_method_class_encoding(void)
{
    /* Every method and class survives the interleaved type encoding. */
    uint8_t buf[32];
    mrtc_stun_msg m;
    mrtc_stun_writer w;
    const uint16_t methods[] = {0x001, 0x003, 0x009, 0x07f, 0x080, 0x0a5, 0xfff};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        for (int c = 0; c < 4; c++) {
            mrtc_stun_writer_init(&w, buf, sizeof buf, methods[i], (mrtc_stun_class)c, rfc_tid);
            CHECK_EQ(mrtc_stun_writer_finish(&w), 20);
            CHECK_EQ(mrtc_stun_decode(&m, buf, 20), 0);
            CHECK_EQ(m.method, methods[i]);
            CHECK_EQ(m.cls, c);
        }
    }
    /* Known wire types (RFC 8489 section 5, RFC 8656 section 17). */
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_SUCCESS, rfc_tid);
    CHECK_EQ(mrtc_load_u16(buf), 0x0101);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_ERROR, rfc_tid);
    CHECK_EQ(mrtc_load_u16(buf), 0x0111);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_SEND, MRTC_STUN_INDICATION, rfc_tid);
    CHECK_EQ(mrtc_load_u16(buf), 0x0016);
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_CHANNEL_BIND, MRTC_STUN_SUCCESS, rfc_tid);
    CHECK_EQ(mrtc_load_u16(buf), 0x0109);
}

static void test_names(void)
{
    CHECK_STR(mrtc_stun_method_name(MRTC_STUN_BINDING), "Binding");
    CHECK_STR(mrtc_stun_method_name(MRTC_STUN_CREATE_PERMISSION), "CreatePermission");
    CHECK_STR(mrtc_stun_method_name(MRTC_STUN_CHANNEL_BIND), "ChannelBind");
    CHECK_STR(mrtc_stun_method_name(0x0abc), "unknown");
    CHECK_STR(mrtc_stun_class_name(MRTC_STUN_REQUEST), "request");
    CHECK_STR(mrtc_stun_class_name(MRTC_STUN_INDICATION), "indication");
    CHECK_STR(mrtc_stun_class_name(MRTC_STUN_SUCCESS), "success");
    CHECK_STR(mrtc_stun_class_name(MRTC_STUN_ERROR), "error");
    CHECK_STR(mrtc_stun_class_name((mrtc_stun_class)7), "unknown");
    CHECK_STR(mrtc_stun_attr_name(MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS), "XOR-MAPPED-ADDRESS");
    CHECK_STR(mrtc_stun_attr_name(MRTC_STUN_ATTR_ICE_CONTROLLING), "ICE-CONTROLLING");
    CHECK_STR(mrtc_stun_attr_name(MRTC_STUN_ATTR_MESSAGE_INTEGRITY), "MESSAGE-INTEGRITY");
    CHECK_STR(mrtc_stun_attr_name(MRTC_STUN_ATTR_FINGERPRINT), "FINGERPRINT");
    CHECK_STR(mrtc_stun_attr_name(0xc057), "GOOG-NETWORK-INFO");
    CHECK_STR(mrtc_stun_attr_name(0x7ffe), "unknown");
}

int main(void)
{
    RUN(test_rfc5769_request);
    RUN(test_rfc5769_ipv4_response);
    RUN(test_rfc5769_ipv6_response);
    RUN(test_rfc5769_long_term);
    RUN(test_seed_corpus_matches);
    RUN(test_rfc5769_encode_request);
    RUN(test_rfc5769_encode_responses);
    RUN(test_rfc5769_encode_long_term);
    RUN(test_integrity_failures);
    RUN(test_fingerprint_failures);
    RUN(test_truncations);
    RUN(test_bad_header);
    RUN(test_bad_attributes);
    RUN(test_fingerprint_not_last);
    RUN(test_too_many_attributes);
    RUN(test_oversized);
    RUN(test_random_garbage);
    RUN(test_not_stun);
    RUN(test_unknown_attributes);
    RUN(test_after_integrity_ignored);
    RUN(test_duplicates_first_wins);
    RUN(test_writer_binding_round_trip);
    RUN(test_writer_error_round_trip);
    RUN(test_writer_turn_round_trip);
    RUN(test_writer_too_small);
    RUN(test_writer_misuse);
    RUN(test_method_class_encoding);
    RUN(test_names);
    return test_finish();
}
