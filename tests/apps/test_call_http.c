/*
 * meshrtc-call's SDP-over-HTTP and WHIP parsers without I/O: HTTP/1.1 requests and responses
 * (apps/common/http_msg.c) as they arrive in pieces, Content-Length bodies (complete, short,
 * too large, conflicting), bodies that end with the connection, the refusals (chunked,
 * folding, bad request and status lines, control characters, oversized heads); http:// and
 * whip+http:// URLs with port 0 and Location resolution; the JSON description and the WHIP
 * SDP body (apps/call/http_body.c); the new command-line options (args.c); and no block left
 * allocated (apps counting allocator).
 */
#include "apps/call/args.h"
#include "apps/call/http_body.h"
#include "apps/common/http_msg.h"
#include "apps/common/mem.h"
#include "unit/test.h"

#include <meshrtc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long live_at_start;
static http_msg msg; /* large: not on the stack */

static void begin(void)
{
    mem_install_hooks();
    live_at_start = mem_live();
}

static void end(void)
{
    CHECK_EQ(mem_live(), live_at_start);
}

static int parse(const char *s, bool request, bool eof, size_t max_body)
{
    char why[256];
    int rc = http_msg_parse(s, strlen(s), request, eof, max_body, &msg, why, sizeof(why));
    if (rc < 0)
        CHECK(why[0] != '\0'); /* every refusal says why */
    return rc;
}

static void test_request(void)
{
    const char *req = "POST /offer?x=1 HTTP/1.1\r\nHost: a\r\ncontent-type: application/json\r\n"
                      "Content-Length: 4\r\nAuthorization:  Bearer t0k \r\n\r\nabcdEXTRA";
    size_t head = strlen(req) - 9;
    CHECK_EQ(parse(req, true, false, 100), (int)head + 4);
    CHECK_STR(msg.method, "POST");
    CHECK_STR(msg.target, "/offer?x=1");
    CHECK_STR(msg.content_type, "application/json");
    CHECK_STR(msg.authorization, "Bearer t0k");
    CHECK(msg.has_length);
    CHECK_EQ(msg.body_len, 4);
    CHECK(memcmp(msg.body, "abcd", 4) == 0);
    /* Every prefix needs more bytes, none is an error. */
    for (size_t n = 0; n < head + 4; n++) {
        char cut[512];
        memcpy(cut, req, n);
        cut[n] = '\0';
        CHECK_EQ(http_msg_parse(cut, n, true, false, 100, &msg, NULL, 0), 0);
    }
    /* Bare LF line ends; no Content-Length: no body. */
    CHECK_EQ(parse("GET / HTTP/1.0\nHost: x\n\n", true, false, 0), 24);
    CHECK_STR(msg.method, "GET");
    CHECK_EQ(msg.body_len, 0);
}

static void test_request_refusals(void)
{
    CHECK_EQ(parse("POST\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST /x HTTP/2.0\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("PO(ST /x HTTP/1.1\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST /a b HTTP/1.1\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", true, false, 10),
             MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nNoColon\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nA b: c\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nA: b\x01\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nA: b\rc\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", true, false, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", true,
                   false, 10),
             MRTC_EPROTO);
    /* The same length twice is fine. */
    CHECK(parse("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", true,
                false, 10) > 0);
    /* Too large: known from Content-Length before the body. */
    CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", true, false, 10),
             MRTC_ETOOBIG);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 999999999999999\r\n\r\n", true, false, 10),
             MRTC_ETOOBIG);
    /* A head that never ends. */
    char *big = malloc(HTTP_HEAD_MAX + 64);
    CHECK(big != NULL);
    if (big) {
        strcpy(big, "POST / HTTP/1.1\r\nX: ");
        size_t n = strlen(big);
        memset(big + n, 'a', HTTP_HEAD_MAX + 10 - n);
        big[HTTP_HEAD_MAX + 10] = '\0';
        CHECK_EQ(parse(big, true, false, 10), MRTC_ETOOBIG);
        free(big);
    }
    /* The connection closed early. */
    CHECK_EQ(parse("POST / HTTP/1.1\r\n", true, true, 10), MRTC_EPROTO);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", true, true, 10), MRTC_EPROTO);
}

static void test_response(void)
{
    const char *r = "HTTP/1.1 201 Created\r\nLocation: /whip/1\r\nContent-Type: application/sdp"
                    "\r\nContent-Length: 3\r\nConnection: Close\r\n\r\nv=0";
    CHECK_EQ(parse(r, false, false, 10), (int)strlen(r));
    CHECK_EQ(msg.status, 201);
    CHECK_STR(msg.reason, "Created");
    CHECK_STR(msg.location, "/whip/1");
    CHECK(msg.connection_close);
    /* No Content-Length: the body ends with the connection. */
    const char *e = "HTTP/1.0 200 OK\r\n\r\n{\"a\":1}";
    CHECK_EQ(parse(e, false, false, 100), 0);
    CHECK_EQ(parse(e, false, true, 100), (int)strlen(e));
    CHECK_EQ(msg.body_len, 7);
    CHECK_EQ(parse(e, false, false, 3), MRTC_ETOOBIG);
    /* 204 has no body; a status line without a reason; a cut reason. */
    CHECK_EQ(parse("HTTP/1.1 204 No Content\r\n\r\n", false, false, 0), 27);
    CHECK_EQ(parse("HTTP/1.1 404\r\n\r\n", false, true, 10), 16);
    CHECK_EQ(msg.status, 404);
    CHECK_STR(msg.reason, "");
    CHECK_EQ(parse("HTTP/1.1 2000 OK\r\n\r\n", false, true, 10), MRTC_EPROTO);
    CHECK_EQ(parse("HTTP/1.1 20x OK\r\n\r\n", false, true, 10), MRTC_EPROTO);
    CHECK_EQ(parse("ICY 200 OK\r\n\r\n", false, true, 10), MRTC_EPROTO);
}

static void test_urls(void)
{
    http_url u, r;
    char why[256];
    CHECK_EQ(http_url_parse("http://127.0.0.1:8080/offer", "http", &u, why, sizeof(why)), 0);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_EQ(u.port, 8080);
    CHECK_STR(u.path, "/offer");
    CHECK_EQ(http_url_parse("whip+http://[::1]/w/x?q=1", "whip+http", &u, NULL, 0), 0);
    CHECK_STR(u.host, "::1");
    CHECK_EQ(u.port, 80);
    CHECK_STR(u.path, "/w/x?q=1");
    CHECK_EQ(http_url_parse("http://127.0.0.1:0/offer", "http", &u, NULL, 0), 0);
    CHECK_EQ(u.port, 0);
    CHECK_EQ(http_url_parse("http://h:10", "http", &u, NULL, 0), 0);
    CHECK_EQ(u.port, 10);
    CHECK_STR(u.path, "/");
    CHECK_EQ(http_url_parse("https://h/", "http", &u, why, sizeof(why)), -1);
    CHECK(strstr(why, "expected http://") != NULL);
    CHECK_EQ(http_url_parse("http://h/", "whip+http", &u, NULL, 0), -1);
    CHECK_EQ(http_url_parse("http://", "http", &u, NULL, 0), -1);
    CHECK_EQ(http_url_parse("http://u@h/", "http", &u, NULL, 0), -1);
    CHECK_EQ(http_url_parse("http://h:99999/", "http", &u, NULL, 0), -1);
    CHECK_EQ(http_url_parse("http://h/a b", "http", &u, NULL, 0), -1);

    CHECK_EQ(http_url_parse("whip+http://h:9/whip/endpoint?x", "whip+http", &u, NULL, 0), 0);
    CHECK_EQ(http_url_resolve(&u, "/whip/session/1", &r), 0);
    CHECK_STR(r.host, "h");
    CHECK_EQ(r.port, 9);
    CHECK_STR(r.path, "/whip/session/1");
    CHECK_EQ(http_url_resolve(&u, "session/2", &r), 0);
    CHECK_STR(r.path, "/whip/session/2");
    CHECK_EQ(http_url_resolve(&u, "http://other:7/s", &r), 0);
    CHECK_STR(r.host, "other");
    CHECK_EQ(r.port, 7);
    CHECK_EQ(http_url_resolve(&u, "https://other/s", &r), -1);
    CHECK_EQ(http_url_resolve(&u, "//other/s", &r), -1);
    CHECK_EQ(http_url_resolve(&u, "", &r), -1);
    CHECK_EQ(http_url_resolve(&u, "/a b", &r), -1);
}

static void test_bodies(void)
{
    begin();
    char *sdp = NULL, why[256];
    const char ok[] = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n\","
                      "\"extra\":[1]}";
    CHECK_EQ(http_body_parse_desc(ok, sizeof(ok) - 1, "offer", &sdp, why, sizeof(why)), 0);
    CHECK_STR(sdp, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
    mem_free(sdp);

#define DESC_BAD(s, want, reason)                                                            \
    do {                                                                                     \
        CHECK_EQ(http_body_parse_desc((s), sizeof(s) - 1, (want), &sdp, why, sizeof(why)), \
                 MRTC_EPROTO);                                                               \
        CHECK(sdp == NULL);                                                                  \
        CHECK(strstr(why, (reason)) != NULL);                                                \
    } while (0)
    DESC_BAD("v=0", "offer", "not JSON");
    DESC_BAD("[1]", "offer", "not a JSON object");
    DESC_BAD("{\"sdp\":\"v=0\"}", "offer", "\"type\" is missing");
    DESC_BAD("{\"sdp\":\"v=0\",\"type\":\"answer\"}", "offer", "expected \"offer\"");
    DESC_BAD("{\"sdp\":\"v=0\",\"type\":\"a\\u0001\"}", "offer", "\"a?\"");
    DESC_BAD("{\"type\":\"answer\"}", "answer", "\"sdp\" is missing");
    DESC_BAD("{\"type\":\"answer\",\"sdp\":7}", "answer", "\"sdp\" is missing");
    DESC_BAD("{\"type\":\"answer\",\"sdp\":\"\"}", "answer", "empty");
    DESC_BAD("{\"type\":\"answer\",\"sdp\":\"v=0\\u0000x\"}", "answer", "");
    DESC_BAD("{\"type\":\"answer\",\"sdp\":\"v=0\"} trailing", "answer", "not JSON");

    size_t len = 0;
    char *json = http_body_desc_json("answer", "v=0\r\n", &len);
    CHECK(json != NULL);
    if (json) {
        CHECK_STR(json, "{\"sdp\":\"v=0\\r\\n\",\"type\":\"answer\"}");
        CHECK_EQ(len, strlen(json));
        /* It parses back. */
        CHECK_EQ(http_body_parse_desc(json, len, "answer", &sdp, NULL, 0), 0);
        CHECK_STR(sdp, "v=0\r\n");
        mem_free(sdp);
        mem_free(json);
    }
    CHECK(http_body_desc_json("offer", "\xff", NULL) == NULL); /* not UTF-8 */

    CHECK_EQ(http_body_parse_sdp("v=0\r\ns=-\r\n", 10, &sdp, why, sizeof(why)), 0);
    CHECK_STR(sdp, "v=0\r\ns=-\r\n");
    mem_free(sdp);
    CHECK_EQ(http_body_parse_sdp("", 0, &sdp, why, sizeof(why)), MRTC_EPROTO);
    CHECK_EQ(http_body_parse_sdp("{\"sdp\":1}", 9, &sdp, why, sizeof(why)), MRTC_EPROTO);
    CHECK_EQ(http_body_parse_sdp("v=0\0x", 5, &sdp, why, sizeof(why)), MRTC_EPROTO);
    CHECK(sdp == NULL);

    CHECK(http_body_type_is("application/sdp", "application/sdp"));
    CHECK(http_body_type_is(" Application/SDP ; charset=utf-8", "application/sdp"));
    CHECK(!http_body_type_is("application/sdpx", "application/sdp"));
    CHECK(!http_body_type_is("", "application/sdp"));
    CHECK(!http_body_type_is(NULL, "application/sdp"));
    end();
}

static int args(call_args *a, char *err, size_t errlen, int n, ...)
{
    char *argv[16] = {"meshrtc-call"};
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n && i < 15; i++)
        argv[i + 1] = va_arg(ap, char *);
    va_end(ap);
    return call_args_parse(n + 1, argv, a, err, errlen);
}

static void test_args(void)
{
    call_args a;
    char err[256];
    CHECK_EQ(args(&a, err, sizeof(err), 2, "--signal", "http://127.0.0.1:8080/offer"), 0);
    CHECK_EQ(a.signal_kind, CALL_SIGNAL_HTTP);
    CHECK_EQ(args(&a, err, sizeof(err), 4, "--signal", "whip+http://h/whip", "--bearer", "tok"),
             0);
    CHECK_EQ(a.signal_kind, CALL_SIGNAL_WHIP);
    CHECK_STR(a.bearer, "tok");
    CHECK_EQ(args(&a, err, sizeof(err), 1, "--listen=http://127.0.0.1:0/offer"), 0);
    CHECK_EQ(a.signal_kind, CALL_SIGNAL_LISTEN);
    CHECK_STR(a.listen_url, "http://127.0.0.1:0/offer");
    CHECK(a.signal_url == NULL);
    CHECK_EQ(args(&a, err, sizeof(err), 4, "--signal", "ws://h/ws", "--room", "r"), 0);
    CHECK_EQ(a.signal_kind, CALL_SIGNAL_ROOM);

    CHECK_EQ(args(&a, err, sizeof(err), 1, "--listen=http://localhost:1/offer"), 2);
    CHECK(strstr(err, "numeric address") != NULL);
    CHECK_EQ(args(&a, err, sizeof(err), 2, "--signal", "http://"), 2);
    CHECK_EQ(args(&a, err, sizeof(err), 4, "--signal", "http://h/", "--room", "r"), 2);
    CHECK(strstr(err, "ws:// room servers only") != NULL);
    CHECK_EQ(args(&a, err, sizeof(err), 4, "--signal", "http://h/", "--bearer", "t"), 2);
    CHECK(strstr(err, "--bearer needs") != NULL);
    CHECK_EQ(args(&a, err, sizeof(err), 4, "--signal", "whip+http://h/", "--bearer", "a\tb"), 2);
    CHECK_EQ(args(&a, err, sizeof(err), 4, "--signal", "http://h/", "--listen",
                  "http://127.0.0.1:1/"),
             2);
    CHECK(strstr(err, "exclude each other") != NULL);
    CHECK_EQ(args(&a, err, sizeof(err), 2, "--room", "r"), 2);
    CHECK_STR(err, "--signal is required");
}

int main(void)
{
    RUN(test_request);
    RUN(test_request_refusals);
    RUN(test_response);
    RUN(test_urls);
    RUN(test_bodies);
    RUN(test_args);
    return test_finish();
}
