/*
 * Unit tests of the Engine.IO v4 / Socket.IO v5 packet parser and encoders
 * (apps/common/sio_msg.c), with the exact frames a Socket.IO 4 server (the Minichat
 * fixture) sends, as recorded in tests/interop/minichat/README.md, plus malformed and
 * unsupported ones. Every test also checks that no block of the apps allocator leaks.
 */
#include "apps/common/mem.h"
#include "apps/common/sio_msg.h"
#include "unit/test.h"

#include <meshrtc.h>
#include <stdio.h>
#include <string.h>

static long live_at_start;

static void begin(void)
{
    mem_install_hooks();
    live_at_start = mem_live();
}

static void end(void)
{
    CHECK_EQ(mem_live(), live_at_start);
}

static int parse(const char *s, sio_msg *m)
{
    char why[200];
    return sio_msg_parse(s, strlen(s), m, why, sizeof(why));
}

static void test_open(void)
{
    begin();
    sio_msg m;
    const char *open = "0{\"sid\":\"Ab-cD_12\",\"upgrades\":[],\"pingInterval\":25000,"
                       "\"pingTimeout\":20000,\"maxPayload\":1000000}";
    CHECK_EQ(parse(open, &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_OPEN);
    CHECK_STR(m.sid, "Ab-cD_12");
    CHECK_EQ(m.ping_interval_ms, 25000);
    CHECK_EQ(m.ping_timeout_ms, 20000);
    CHECK_U64(m.max_payload, 1000000);
    sio_msg_free(&m);
    /* required fields */
    CHECK_EQ(parse("0{\"sid\":\"x\",\"pingInterval\":1}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("0{\"sid\":\"\",\"pingInterval\":1,\"pingTimeout\":1}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("0{\"sid\":1,\"pingInterval\":1,\"pingTimeout\":1}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("0{\"sid\":\"x\",\"pingInterval\":-1,\"pingTimeout\":1}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("0{\"sid\":\"x\",\"pingInterval\":4294967296,\"pingTimeout\":1}", &m),
             MRTC_EPROTO);
    CHECK_EQ(parse("0[]", &m), MRTC_EPROTO);
    CHECK_EQ(parse("0{\"sid\":\"x\"", &m), MRTC_EPROTO);
    CHECK_EQ(parse("0", &m), MRTC_EPROTO);
    end();
}

static void test_engineio_types(void)
{
    begin();
    sio_msg m;
    CHECK_EQ(parse("2", &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_PING);
    CHECK_EQ(m.payload_len, 0);
    sio_msg_free(&m);
    CHECK_EQ(parse("2probe", &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_PING);
    CHECK_EQ(m.payload_len, 5);
    CHECK(memcmp(m.payload, "probe", 5) == 0);
    sio_msg_free(&m);
    CHECK_EQ(parse("3", &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_PONG);
    CHECK_EQ(parse("1", &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_CLOSE);
    CHECK_EQ(parse("5", &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_UPGRADE);
    CHECK_EQ(parse("6", &m), 0);
    CHECK_EQ(m.kind, SIO_EIO_NOOP);
    CHECK_EQ(sio_msg_parse("", 0, &m, NULL, 0), MRTC_EPROTO);
    CHECK_EQ(sio_msg_parse(NULL, 3, &m, NULL, 0), MRTC_EPROTO);
    CHECK_EQ(parse("7", &m), MRTC_EPROTO);
    CHECK_EQ(parse("x", &m), MRTC_EPROTO);
    /* not supported: base64 binary, long-polling payload separator */
    CHECK_EQ(parse("bAQID", &m), MRTC_ENOTSUP);
    CHECK_EQ(parse("2\x1e"
                   "3",
                   &m),
             MRTC_ENOTSUP);
    char why[100];
    CHECK_EQ(sio_msg_parse("9", 1, &m, why, sizeof(why)), MRTC_EPROTO);
    CHECK(why[0] != '\0');
    end();
}

static void test_connect(void)
{
    begin();
    sio_msg m;
    CHECK_EQ(parse("40{\"sid\":\"snnVlHEN9TjbPg9lAAAA\"}", &m), 0);
    CHECK_EQ(m.kind, SIO_CONNECT);
    CHECK_STR(m.sid, "snnVlHEN9TjbPg9lAAAA");
    CHECK_STR(m.nsp, "/");
    sio_msg_free(&m);
    CHECK_EQ(parse("40", &m), 0); /* protocol v4 servers: no sid */
    CHECK_STR(m.sid, "");
    sio_msg_free(&m);
    CHECK_EQ(parse("40/admin,{\"sid\":\"q\"}", &m), 0);
    CHECK_STR(m.nsp, "/admin");
    CHECK_STR(m.sid, "q");
    sio_msg_free(&m);
    CHECK_EQ(parse("40{\"nosid\":1}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("40\"x\"", &m), MRTC_EPROTO);
    CHECK_EQ(parse("41", &m), 0);
    CHECK_EQ(m.kind, SIO_DISCONNECT);
    CHECK_EQ(parse("41{}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("44{\"message\":\"Not authorized\"}", &m), 0);
    CHECK_EQ(m.kind, SIO_CONNECT_ERROR);
    CHECK_STR(json_string_value(json_object_get(m.args, "message")), "Not authorized");
    sio_msg_free(&m);
    CHECK_EQ(parse("44", &m), MRTC_EPROTO);
    CHECK_EQ(parse("4", &m), MRTC_EPROTO);
    CHECK_EQ(parse("49", &m), MRTC_EPROTO);
    CHECK_EQ(parse("45-[\"x\",{\"_placeholder\":true,\"num\":0}]", &m), MRTC_ENOTSUP);
    CHECK_EQ(parse("46", &m), MRTC_ENOTSUP);
    end();
}

static void test_events(void)
{
    begin();
    sio_msg m;
    CHECK_EQ(parse("42[\"user-connected\",\"snnVlHEN9TjbPg9lAAAA\"]", &m), 0);
    CHECK_EQ(m.kind, SIO_EVENT);
    CHECK_STR(m.event, "user-connected");
    CHECK_EQ(json_array_size(m.args), 1);
    CHECK_STR(json_string_value(json_array_get(m.args, 0)), "snnVlHEN9TjbPg9lAAAA");
    CHECK_EQ(m.ack_id, -1);
    sio_msg_free(&m);

    CHECK_EQ(parse("42[\"offer\",{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"},\"abc\"]", &m), 0);
    CHECK_STR(m.event, "offer");
    CHECK_EQ(json_array_size(m.args), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(m.args, 0), "sdp")), "v=0\r\n");
    CHECK_STR(json_string_value(json_array_get(m.args, 1)), "abc");
    sio_msg_free(&m);

    CHECK_EQ(parse("42[\"join-call\"]", &m), 0);
    CHECK_EQ(json_array_size(m.args), 0);
    sio_msg_free(&m);

    CHECK_EQ(parse("42/chat,17[\"hi\",1]", &m), 0); /* namespace and ack id */
    CHECK_STR(m.nsp, "/chat");
    CHECK_EQ(m.ack_id, 17);
    CHECK_STR(m.event, "hi");
    sio_msg_free(&m);

    CHECK_EQ(parse("4312[\"ok\"]", &m), 0);
    CHECK_EQ(m.kind, SIO_ACK);
    CHECK_EQ(m.ack_id, 12);
    CHECK_EQ(json_array_size(m.args), 1);
    sio_msg_free(&m);
    CHECK_EQ(parse("43[\"ok\"]", &m), MRTC_EPROTO); /* ack without id */

    CHECK_EQ(parse("42[]", &m), MRTC_EPROTO);
    CHECK_EQ(parse("42[1,2]", &m), MRTC_EPROTO);
    CHECK_EQ(parse("42{\"a\":1}", &m), MRTC_EPROTO);
    CHECK_EQ(parse("42[\"a\"", &m), MRTC_EPROTO);
    CHECK_EQ(parse("42[\"a\"]x", &m), MRTC_EPROTO);
    CHECK_EQ(parse("42", &m), MRTC_EPROTO);
    CHECK_EQ(parse("421234567890123456[\"a\"]", &m), MRTC_EPROTO); /* ack id too long */
    CHECK_EQ(parse("4012{\"sid\":\"x\"}", &m), MRTC_EPROTO);       /* ack id on connect */
    /* a namespace longer than SIO_NSP_MAX */
    char big[400] = "42/";
    memset(big + 3, 'n', 300);
    strcpy(big + 303, ",[\"a\"]");
    CHECK_EQ(parse(big, &m), MRTC_EPROTO);
    end();
}

static void test_encode(void)
{
    begin();
    size_t len = 0;
    char *s = sio_msg_connect(&len);
    CHECK_STR(s, "40");
    CHECK_EQ(len, 2);
    mem_free(s);

    s = sio_msg_pong("probe", 5, &len);
    CHECK_STR(s, "3probe");
    CHECK_EQ(len, 6);
    mem_free(s);
    s = sio_msg_pong(NULL, 0, &len);
    CHECK_STR(s, "3");
    mem_free(s);

    s = sio_msg_event("join-call", NULL, &len);
    CHECK_STR(s, "42[\"join-call\"]");
    CHECK_EQ(len, strlen(s));
    mem_free(s);

    json_t *args = json_pack("[{s:s, s:s}, s]", "type", "answer", "sdp", "v=0\r\n", "tgt");
    s = sio_msg_event("answer", args, &len);
    CHECK(s != NULL);
    /* round trip through the parser */
    sio_msg m;
    CHECK_EQ(sio_msg_parse(s, len, &m, NULL, 0), 0);
    CHECK_STR(m.event, "answer");
    CHECK(json_equal(m.args, args));
    sio_msg_free(&m);
    mem_free(s);
    json_decref(args);

    json_t *chat = json_pack("[s]", "hi \"there\" \xc3\xa9");
    s = sio_msg_event("chat-message", chat, &len);
    CHECK_STR(s, "42[\"chat-message\",\"hi \\\"there\\\" \xc3\xa9\"]");
    mem_free(s);
    json_decref(chat);

    json_t *obj = json_object();
    CHECK(sio_msg_event("x", obj, &len) == NULL); /* args must be an array */
    json_decref(obj);
    CHECK(sio_msg_event(NULL, NULL, &len) == NULL);
    CHECK(sio_msg_event("\xff", NULL, &len) == NULL); /* not UTF-8 */
    end();
}

int main(void)
{
    RUN(test_open);
    RUN(test_engineio_types);
    RUN(test_connect);
    RUN(test_events);
    RUN(test_encode);
    return test_finish();
}
