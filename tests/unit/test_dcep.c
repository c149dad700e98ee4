/* Tests for sctp/dcep.c: RFC 8832 DATA_CHANNEL_OPEN / DATA_CHANNEL_ACK vectors, every
 * truncation and malformed variant refused, encoder errors, round trips. */
#include "sctp/dcep.h"
#include "test.h"

#include "meshrtc/error.h"

/* OPEN: reliable ordered, priority 256, label "chat", protocol "" */
static const uint8_t open_chat[] = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x04, 0x00, 0x00, 'c',  'h',  'a',  't'};
/* OPEN: unordered, max retransmits 3, priority 512, label "a", protocol "p" */
static const uint8_t open_rexmit[] = {0x03, 0x81, 0x02, 0x00, 0x00, 0x00, 0x00,
                                      0x03, 0x00, 0x01, 0x00, 0x01, 'a',  'p'};
/* OPEN: ordered, lifetime 1500 ms, priority 128, label "", protocol "proto" */
static const uint8_t open_timed[] = {0x03, 0x02, 0x00, 0x80, 0x00, 0x00, 0x05, 0xdc, 0x00,
                                     0x00, 0x00, 0x05, 'p',  'r',  'o',  't',  'o'};
/* OPEN: unordered timed, empty label and protocol */
static const uint8_t open_empty[] = {0x03, 0x82, 0x01, 0x00, 0x00, 0x00,
                                     0x00, 0x64, 0x00, 0x00, 0x00, 0x00};
static const uint8_t ack[] = {0x02};

static void test_parse_vectors(void)
{
    mrtc_dcep_msg m;

    CHECK_EQ(mrtc_dcep_parse(open_chat, sizeof open_chat, &m), 0);
    CHECK_EQ(m.type, MRTC_DCEP_MSG_OPEN);
    CHECK(m.open.ordered);
    CHECK_EQ(m.open.reliability, MRTC_DCEP_CHANNEL_RELIABLE);
    CHECK_EQ(m.open.priority, 256);
    CHECK_EQ(m.open.reliability_param, 0);
    CHECK_EQ(m.open.label_len, 4);
    CHECK_MEM(m.open.label, "chat", 4);
    CHECK_EQ(m.open.protocol_len, 0);
    CHECK_EQ(mrtc_dcep_channel_type(&m.open), 0x00);

    CHECK_EQ(mrtc_dcep_parse(open_rexmit, sizeof open_rexmit, &m), 0);
    CHECK(!m.open.ordered);
    CHECK_EQ(m.open.reliability, MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT);
    CHECK_EQ(m.open.priority, 512);
    CHECK_EQ(m.open.reliability_param, 3);
    CHECK_EQ(m.open.label_len, 1);
    CHECK_MEM(m.open.label, "a", 1);
    CHECK_EQ(m.open.protocol_len, 1);
    CHECK_MEM(m.open.protocol, "p", 1);
    CHECK_EQ(mrtc_dcep_channel_type(&m.open), 0x81);

    CHECK_EQ(mrtc_dcep_parse(open_timed, sizeof open_timed, &m), 0);
    CHECK(m.open.ordered);
    CHECK_EQ(m.open.reliability, MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED);
    CHECK_EQ(m.open.priority, 128);
    CHECK_EQ(m.open.reliability_param, 1500);
    CHECK_EQ(m.open.label_len, 0);
    CHECK_EQ(m.open.protocol_len, 5);
    CHECK_MEM(m.open.protocol, "proto", 5);

    CHECK_EQ(mrtc_dcep_parse(open_empty, sizeof open_empty, &m), 0);
    CHECK(!m.open.ordered);
    CHECK_EQ(mrtc_dcep_channel_type(&m.open), 0x82);
    CHECK_EQ(m.open.reliability_param, 100);

    CHECK_EQ(mrtc_dcep_parse(ack, sizeof ack, &m), 0);
    CHECK_EQ(m.type, MRTC_DCEP_MSG_ACK);
}

static void check_truncations(const uint8_t *v, size_t n)
{
    mrtc_dcep_msg m;
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(mrtc_dcep_parse(v, i, &m), MRTC_EPROTO);
}

static void test_truncated(void)
{
    mrtc_dcep_msg m;
    check_truncations(open_chat, sizeof open_chat);
    check_truncations(open_rexmit, sizeof open_rexmit);
    check_truncations(open_timed, sizeof open_timed);
    check_truncations(open_empty, sizeof open_empty);
    CHECK_EQ(mrtc_dcep_parse(NULL, 0, &m), MRTC_EPROTO);
    CHECK_EQ(mrtc_dcep_parse(ack, 0, &m), MRTC_EPROTO);
}

static void test_malformed(void)
{
    mrtc_dcep_msg m;
    uint8_t b[64];

    /* Trailing bytes after an ACK or an OPEN. */
    const uint8_t ack2[] = {0x02, 0x00};
    CHECK_EQ(mrtc_dcep_parse(ack2, sizeof ack2, &m), MRTC_EPROTO);
    memcpy(b, open_chat, sizeof open_chat);
    b[sizeof open_chat] = 'x';
    CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat + 1, &m), MRTC_EPROTO);

    /* Lengths that say more, or less, than what is there. */
    memcpy(b, open_chat, sizeof open_chat);
    b[9] = 5;
    CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat, &m), MRTC_EPROTO);
    b[9] = 3;
    CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat, &m), MRTC_EPROTO);
    b[9] = 3;
    b[11] = 1; /* 3 + 1 = 4: fine again, label "cha" protocol "t" */
    CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat, &m), 0);
    CHECK_EQ(m.open.label_len, 3);
    CHECK_MEM(m.open.protocol, "t", 1);
    memcpy(b, open_chat, sizeof open_chat);
    b[8] = 0xFF; /* label length 0xFF04 */
    CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat, &m), MRTC_EPROTO);
    memcpy(b, open_chat, sizeof open_chat);
    b[10] = 0xFF;
    b[11] = 0xFF;
    CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat, &m), MRTC_EPROTO);

    /* Unknown message types. */
    static const uint8_t types[] = {0x00, 0x01, 0x04, 0x05, 0x7F, 0x80, 0x83, 0xFF};
    for (size_t i = 0; i < sizeof types; i++) {
        memcpy(b, open_chat, sizeof open_chat);
        b[0] = types[i];
        CHECK_EQ(mrtc_dcep_parse(b, sizeof open_chat, &m), MRTC_EPROTO);
        CHECK_EQ(mrtc_dcep_parse(b, 1, &m), MRTC_EPROTO);
    }

    /* Channel types: only 0x00-0x02 and 0x80-0x82. */
    for (unsigned t = 0; t < 256; t++) {
        memcpy(b, open_chat, sizeof open_chat);
        b[1] = (uint8_t)t;
        bool known = (t & 0x7F) <= 2;
        int err = mrtc_dcep_parse(b, sizeof open_chat, &m);
        CHECK_EQ(err, known ? 0 : MRTC_EPROTO);
        if (known && err == 0)
            CHECK_EQ(mrtc_dcep_channel_type(&m.open), t);
    }
}

static void roundtrip(const uint8_t *v, size_t n)
{
    mrtc_dcep_msg m;
    uint8_t out[256];
    CHECK_EQ(mrtc_dcep_parse(v, n, &m), 0);
    if (m.type == MRTC_DCEP_MSG_ACK) {
        CHECK_EQ(mrtc_dcep_encode_ack(out, sizeof out), 1);
    } else {
        CHECK_EQ(mrtc_dcep_open_len(&m.open), n);
        CHECK_EQ(mrtc_dcep_encode_open(&m.open, out, sizeof out), (int)n);
    }
    CHECK_MEM(out, v, n);
}

static void test_roundtrip(void)
{
    roundtrip(open_chat, sizeof open_chat);
    roundtrip(open_rexmit, sizeof open_rexmit);
    roundtrip(open_timed, sizeof open_timed);
    roundtrip(open_empty, sizeof open_empty);
    roundtrip(ack, sizeof ack);
}

static void test_encode(void)
{
    uint8_t out[64];
    mrtc_dcep_open o = {
        .ordered = false,
        .reliability = MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT,
        .priority = 512,
        .reliability_param = 3,
        .label = (const uint8_t *)"a",
        .label_len = 1,
        .protocol = (const uint8_t *)"p",
        .protocol_len = 1,
    };
    CHECK_EQ(mrtc_dcep_open_len(&o), sizeof open_rexmit);
    CHECK_EQ(mrtc_dcep_encode_open(&o, out, sizeof out), (int)sizeof open_rexmit);
    CHECK_MEM(out, open_rexmit, sizeof open_rexmit);
    /* Too small a buffer, at every size. */
    for (size_t cap = 0; cap < sizeof open_rexmit; cap++)
        CHECK_EQ(mrtc_dcep_encode_open(&o, out, cap), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_dcep_encode_ack(out, 0), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_dcep_encode_ack(NULL, 1), MRTC_ENOBUFS);
    /* Invalid input. */
    o.reliability = 3;
    CHECK_EQ(mrtc_dcep_encode_open(&o, out, sizeof out), MRTC_EINVAL);
    CHECK_EQ(mrtc_dcep_channel_type(&o), -1);
    o.reliability = 0;
    o.label = NULL;
    CHECK_EQ(mrtc_dcep_encode_open(&o, out, sizeof out), MRTC_EINVAL);
    o.label_len = 0;
    CHECK_EQ(mrtc_dcep_encode_open(&o, out, sizeof out), MRTC_DCEP_OPEN_HEADER_LEN + 1);

    /* The largest OPEN: 65535-byte label and protocol. */
    size_t big = MRTC_DCEP_OPEN_HEADER_LEN + 2u * 65535u;
    uint8_t *buf = mrtc_malloc(big);
    uint8_t *str = mrtc_malloc(65535);
    memset(str, 'x', 65535);
    o.label = o.protocol = str;
    o.label_len = o.protocol_len = 65535;
    CHECK_EQ(mrtc_dcep_encode_open(&o, buf, big), (int)big);
    mrtc_dcep_msg m;
    CHECK_EQ(mrtc_dcep_parse(buf, big, &m), 0);
    CHECK_EQ(m.open.label_len, 65535);
    CHECK_EQ(m.open.protocol_len, 65535);
    CHECK(m.open.protocol == buf + MRTC_DCEP_OPEN_HEADER_LEN + 65535);
    mrtc_free(str);
    mrtc_free(buf);
}

int main(void)
{
    RUN(test_parse_vectors);
    RUN(test_truncated);
    RUN(test_malformed);
    RUN(test_roundtrip);
    RUN(test_encode);
    return test_finish();
}
