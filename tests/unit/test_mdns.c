/* Unit tests of the mDNS codec (ice/mdns.c): query bytes against hand-assembled RFC 1035 /
 * RFC 6762 messages, name validation, answers built and parsed back (IPv4 and IPv6), a
 * browser-style response with name compression, every kind of malformed input (truncation
 * at every length, forward and looping pointers, reserved label types, oversize names, bad
 * record lengths, impossible counts, trailing bytes), messages to ignore (OPCODE, RCODE),
 * records skipped (other types and classes, non-ASCII names) and the record limit. */
#include "unit/test.h"

#include "ice/mdns.h"
#include "meshrtc/error.h"

static void test_query_bytes(void)
{
    static const uint8_t want[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c', 5,
                                   'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1};
    uint8_t buf[64];
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "abc.local", MRTC_MDNS_TYPE_A, false),
             sizeof want);
    CHECK(memcmp(buf, want, sizeof want) == 0);
    /* A final dot is the same name; QU sets the top bit of the class; AAAA is type 28. */
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "abc.local.", MRTC_MDNS_TYPE_AAAA, true),
             sizeof want);
    CHECK(memcmp(buf, want, sizeof want - 4) == 0);
    CHECK_EQ(buf[sizeof want - 4], 0);
    CHECK_EQ(buf[sizeof want - 3], 28);
    CHECK_EQ(buf[sizeof want - 2], 0x80);
    CHECK_EQ(buf[sizeof want - 1], 1);
    /* Every capacity short of the length is refused. */
    for (size_t cap = 0; cap < sizeof want; cap++)
        CHECK_EQ(mrtc_mdns_build_query(buf, cap, "abc.local", MRTC_MDNS_TYPE_A, false),
                 MRTC_ENOBUFS);
    /* It parses back as a query with that one question. */
    mrtc_mdns_msg m;
    CHECK_EQ(mrtc_mdns_parse(&m, want, sizeof want), 0);
    CHECK(!m.response);
    CHECK_EQ(m.n_questions, 1);
    CHECK_STR(m.questions[0].name, "abc.local");
    CHECK_EQ(m.questions[0].qtype, MRTC_MDNS_TYPE_A);
    CHECK_EQ(m.questions[0].qclass, MRTC_MDNS_CLASS_IN);
    CHECK(!m.questions[0].unicast_response);
    CHECK_EQ(m.n_records, 0);
}

static void test_query_names(void)
{
    uint8_t buf[600];
    char name[400];
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, NULL, 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "", 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, ".", 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, ".local", 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "a..local", 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "a.local..", 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "a b.local", 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, "a\x7f.local", 1, false), MRTC_EINVAL);
    /* 63-byte labels are fine, 64 is not. */
    memset(name, 'x', 63);
    strcpy(name + 63, ".local");
    CHECK(mrtc_mdns_build_query(buf, sizeof buf, name, 1, false) > 0);
    memset(name, 'x', 64);
    strcpy(name + 64, ".local");
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, name, 1, false), MRTC_EINVAL);
    /* The longest name: 255 bytes on the wire (253 characters). */
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        size_t n = i < 3 ? 63 : 61;
        memset(name + o, 'a' + i, n);
        o += n;
        name[o++] = i < 3 ? '.' : '\0';
    }
    CHECK_EQ(strlen(name), 253);
    int len = mrtc_mdns_build_query(buf, sizeof buf, name, 1, false);
    CHECK_EQ(len, 12 + 255 + 4);
    mrtc_mdns_msg m;
    CHECK_EQ(mrtc_mdns_parse(&m, buf, (size_t)len), 0);
    CHECK_STR(m.questions[0].name, name);
    strcpy(name + 253, "b"); /* 254 characters: one byte too long on the wire */
    name[252] = '.';
    CHECK_EQ(mrtc_mdns_build_query(buf, sizeof buf, name, 1, false), MRTC_EINVAL);
}

static void test_answer_roundtrip(void)
{
    uint8_t buf[128];
    mrtc_mdns_msg m;
    mrtc_addr a4, a6, got;
    CHECK_EQ(mrtc_addr_parse_ip(&a4, "192.168.1.23", 0), 0);
    CHECK_EQ(mrtc_addr_parse_ip(&a6, "2001:db8::7", 0), 0);
    const char *name = "1f4712db-ea17-4bcf-a596-105139dfd8bf.local";
    int n = mrtc_mdns_build_answer(buf, sizeof buf, name, &a4, 120);
    CHECK(n > 0);
    CHECK_EQ(mrtc_mdns_parse(&m, buf, (size_t)n), 0);
    CHECK(m.response);
    CHECK_EQ(m.n_questions, 0);
    CHECK_EQ(m.n_records, 1);
    CHECK_STR(m.records[0].name, name);
    CHECK_EQ(m.records[0].type, MRTC_MDNS_TYPE_A);
    CHECK(m.records[0].cache_flush);
    CHECK_U64(m.records[0].ttl, 120);
    got = m.records[0].addr;
    CHECK(mrtc_addr_eq(&got, &a4));
    for (int cap = 0; cap < n; cap++)
        CHECK_EQ(mrtc_mdns_build_answer(buf, (size_t)cap, name, &a4, 120), MRTC_ENOBUFS);

    n = mrtc_mdns_build_answer(buf, sizeof buf, "x.local", &a6, 0);
    CHECK(n > 0);
    CHECK_EQ(mrtc_mdns_parse(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.n_records, 1);
    CHECK_EQ(m.records[0].type, MRTC_MDNS_TYPE_AAAA);
    CHECK_U64(m.records[0].ttl, 0);
    got = m.records[0].addr;
    CHECK(mrtc_addr_eq(&got, &a6));

    mrtc_addr none;
    memset(&none, 0, sizeof none);
    CHECK_EQ(mrtc_mdns_build_answer(buf, sizeof buf, "x.local", &none, 1), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_answer(buf, sizeof buf, "x.local", NULL, 1), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_build_answer(buf, sizeof buf, "x..local", &a4, 1), MRTC_EINVAL);
}

/* A response as a browser's responder may send it: the question repeated, the answer's
 * name a compression pointer to it, a second record (AAAA) pointing to the answer's name,
 * and an NSEC record in the additional section that is skipped. */
static const uint8_t browser_resp[] = {
    0x00, 0x00, 0x84, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
    /* 12: question "Ab.local" A IN */
    0x02, 'A', 'b', 0x05, 'l', 'o', 'c', 'a', 'l', 0x00, 0x00, 0x01, 0x00, 0x01,
    /* 26: answer: ptr 12, A, IN|flush, ttl 120, 10.1.2.3 */
    0xc0, 0x0c, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x04, 10, 1, 2, 3,
    /* 42: answer: "x" + ptr 26 (the answer's name, itself a pointer), AAAA, IN */
    0x01, 'x', 0xc0, 0x1a, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x10,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    /* additional: ptr 12, NSEC (47), IN, ttl 120, 5 bytes of data */
    0xc0, 0x0c, 0x00, 0x2f, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x05, 0xc0, 0x0c, 0x00,
    0x01, 0x40};

static void test_parse_compression(void)
{
    mrtc_mdns_msg m;
    char buf[MRTC_ADDR_STRLEN];
    CHECK_EQ(mrtc_mdns_parse(&m, browser_resp, sizeof browser_resp), 0);
    CHECK(m.response);
    CHECK(!m.truncated);
    CHECK_EQ(m.n_questions, 1);
    CHECK_STR(m.questions[0].name, "Ab.local");
    CHECK_EQ(m.n_records, 2);
    CHECK_STR(m.records[0].name, "Ab.local");
    CHECK_STR(mrtc_addr_ip_str(&m.records[0].addr, buf, sizeof buf), "10.1.2.3");
    CHECK(m.records[0].cache_flush);
    CHECK_STR(m.records[1].name, "x.Ab.local");
    CHECK_STR(mrtc_addr_ip_str(&m.records[1].addr, buf, sizeof buf), "2001:db8::1");
    CHECK(!m.records[1].cache_flush);
    CHECK(mrtc_mdns_name_eq(m.records[0].name, "ab.LOCAL."));

    /* Every truncation is refused, and so is a trailing byte. */
    for (size_t len = 0; len < sizeof browser_resp; len++)
        CHECK_EQ(mrtc_mdns_parse(&m, browser_resp, len), MRTC_EPROTO);
    uint8_t longer[sizeof browser_resp + 1];
    memcpy(longer, browser_resp, sizeof browser_resp);
    longer[sizeof browser_resp] = 0;
    CHECK_EQ(mrtc_mdns_parse(&m, longer, sizeof longer), MRTC_EPROTO);
}

/* Edits a copy of browser_resp at offset `at` and expects `want` from the parser. */
static void expect_edit(size_t at, uint8_t value, int want)
{
    uint8_t b[sizeof browser_resp];
    mrtc_mdns_msg m;
    memcpy(b, browser_resp, sizeof b);
    b[at] = value;
    int got = mrtc_mdns_parse(&m, b, sizeof b);
    if (got != want)
        fprintf(stderr, "edit at %zu to 0x%02x\n", at, value);
    CHECK_EQ(got, want);
}

static void test_parse_malformed(void)
{
    expect_edit(27, 0x1a, MRTC_EPROTO); /* answer pointer to itself */
    expect_edit(27, 0x20, MRTC_EPROTO); /* pointer forward */
    expect_edit(27, 0xff, MRTC_EPROTO); /* pointer beyond the message */
    expect_edit(45, 0x2a, MRTC_EPROTO); /* pointer to its own name start: a loop */
    expect_edit(12, 0x42, MRTC_EPROTO); /* reserved label type 01 */
    expect_edit(12, 0x82, MRTC_EPROTO); /* reserved label type 10 */
    expect_edit(72, 0x3f, MRTC_EPROTO); /* a label running past the message */
    expect_edit(37, 0x05, MRTC_EPROTO); /* A record with 5 bytes of data */
    expect_edit(55, 0x0f, MRTC_EPROTO); /* AAAA record with 15 bytes of data */
    expect_edit(5, 0x09, MRTC_EPROTO);  /* more questions than bytes */
    expect_edit(7, 0xff, MRTC_EPROTO);  /* more records than bytes */
    expect_edit(11, 0x00, MRTC_EPROTO); /* one record too few: trailing bytes */
    expect_edit(2, 0x84 | 0x08, MRTC_ENOTSUP); /* OPCODE 1 */
    expect_edit(3, 0x03, MRTC_ENOTSUP);        /* RCODE 3 */
    expect_edit(2, 0x86, 0);                   /* TC set: still parsed */
    /* A record of class CHAOS and one of type TXT are skipped. */
    {
        uint8_t b[sizeof browser_resp];
        mrtc_mdns_msg m;
        memcpy(b, browser_resp, sizeof b);
        b[31] = 3; /* class CH */
        b[47] = 16; /* TXT */
        CHECK_EQ(mrtc_mdns_parse(&m, b, sizeof b), 0);
        CHECK_EQ(m.n_records, 0);
    }
    /* A name that is not printable ASCII: its record is skipped, the message parses. */
    {
        uint8_t b[sizeof browser_resp];
        mrtc_mdns_msg m;
        memcpy(b, browser_resp, sizeof b);
        b[13] = 0xc3; /* "\xc3b.local" */
        CHECK_EQ(mrtc_mdns_parse(&m, b, sizeof b), 0);
        CHECK_EQ(m.n_questions, 0);
        CHECK_EQ(m.n_records, 0);
    }
    mrtc_mdns_msg m;
    CHECK_EQ(mrtc_mdns_parse(&m, NULL, 0), MRTC_EPROTO);
    CHECK_EQ(mrtc_mdns_parse(&m, NULL, 5), MRTC_EINVAL);
    CHECK_EQ(mrtc_mdns_parse(NULL, browser_resp, sizeof browser_resp), MRTC_EINVAL);
}

/* A name longer than 255 bytes built from pointers (each hop adds a label). */
static void test_parse_long_name(void)
{
    uint8_t b[600];
    size_t o = 0;
    memset(b, 0, 12);
    b[5] = 5; /* five questions */
    o = 12;
    size_t prev = 0;
    for (int i = 0; i < 5; i++) {
        size_t start = o;
        b[o++] = 60;
        memset(b + o, 'a' + i, 60);
        o += 60;
        if (i == 0) {
            b[o++] = 0;
        } else {
            b[o++] = (uint8_t)(0xc0 | prev >> 8);
            b[o++] = (uint8_t)prev;
        }
        b[o++] = 0, b[o++] = 1, b[o++] = 0, b[o++] = 1;
        prev = start;
    }
    mrtc_mdns_msg m;
    /* Names of 1, 2, 3, 4 labels of 61 bytes fit (245 bytes); the fifth is 306 bytes. */
    CHECK_EQ(mrtc_mdns_parse(&m, b, o), MRTC_EPROTO);
    b[5] = 4;
    size_t four = o - (1 + 60 + 2 + 4);
    CHECK_EQ(mrtc_mdns_parse(&m, b, four), 0);
    CHECK_EQ(m.n_questions, MRTC_MDNS_MAX_QUESTIONS);
    CHECK_EQ(strlen(m.questions[3].name), 4 * 60 + 3);
}

static void test_parse_record_limit(void)
{
    uint8_t b[1024];
    size_t o = 12;
    memset(b, 0, 12);
    b[2] = 0x84;
    b[7] = 20; /* twenty A records */
    for (int i = 0; i < 20; i++) {
        b[o++] = 1, b[o++] = (uint8_t)('a' + i), b[o++] = 0;
        b[o++] = 0, b[o++] = 1, b[o++] = 0, b[o++] = 1;
        b[o++] = 0, b[o++] = 0, b[o++] = 0, b[o++] = 60;
        b[o++] = 0, b[o++] = 4;
        b[o++] = 10, b[o++] = 0, b[o++] = 0, b[o++] = (uint8_t)i;
    }
    mrtc_mdns_msg m;
    CHECK_EQ(mrtc_mdns_parse(&m, b, o), 0);
    CHECK_EQ(m.n_records, MRTC_MDNS_MAX_RECORDS);
    CHECK_STR(m.records[15].name, "p");
    CHECK_EQ(m.records[15].addr.ip[3], 15);
}

static void test_name_eq(void)
{
    CHECK(mrtc_mdns_name_eq("abc.local", "ABC.Local"));
    CHECK(mrtc_mdns_name_eq("abc.local.", "abc.local"));
    CHECK(!mrtc_mdns_name_eq("abc.local", "abd.local"));
    CHECK(!mrtc_mdns_name_eq("abc.local", "abc.locall"));
    CHECK(!mrtc_mdns_name_eq("abc.local", NULL));
    CHECK(mrtc_mdns_name_eq("", "."));
}

int main(void)
{
    RUN(test_query_bytes);
    RUN(test_query_names);
    RUN(test_answer_roundtrip);
    RUN(test_parse_compression);
    RUN(test_parse_malformed);
    RUN(test_parse_long_name);
    RUN(test_parse_record_limit);
    RUN(test_name_eq);
    return test_finish();
}
