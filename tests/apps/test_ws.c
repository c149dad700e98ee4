/*
 * The WebSocket layer (apps/common/ws.h) on its own, over 127.0.0.1: URL parsing, message
 * reassembly from fragments, the size cap (oversized messages arrive as a length with no
 * data), binary flags, static HTTP pages and 404s, client/server echo of large messages,
 * close statuses in the client's message, and the send-queue cap. Every run ends with no
 * live block and a loop that closes.
 */
#include "apps/common/mem.h"
#include "apps/common/url.h"
#include "apps/common/ws.h"
#include "unit/test.h"
#include "apps/live.h"

#include <meshrtc.h>
#include <signal.h>

static void test_url_parse(void)
{
    url_parts u;
    char err[200];
    CHECK_EQ(url_parse("ws://127.0.0.1:8787/ws", &u, err, sizeof(err)), 0);
    CHECK(!u.tls);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_EQ(u.port, 8787);
    CHECK_STR(u.path, "/ws");
    CHECK_EQ(url_parse("wss://example.org", &u, err, sizeof(err)), 0);
    CHECK(u.tls);
    CHECK_EQ(u.port, 443);
    CHECK_STR(u.path, "/");
    CHECK_EQ(url_parse("WS://[::1]:9/a/b?room=x", &u, err, sizeof(err)), 0);
    CHECK_STR(u.host, "::1");
    CHECK_EQ(u.port, 9);
    CHECK_STR(u.path, "/a/b?room=x");
    CHECK_EQ(url_parse("ws://h?q=1", &u, err, sizeof(err)), 0);
    CHECK_EQ(u.port, 80);
    CHECK_STR(u.path, "/?q=1");

    struct {
        const char *url, *why;
    } bad[] = {
        {"http://h/ws", "expected ws:// or wss://"},
        {"ws:///ws", "no host"},
        {"ws://h:0/ws", "bad port"},
        {"ws://h:65536/", "bad port"},
        {"ws://h:12ab/", "bad port"},
        {"ws://h:/", "bad port"},
        {"ws://[::1/ws", "unterminated IPv6"},
        {"ws://h/ws#frag", "fragments"},
        {"ws://user@h/ws", "user information"},
        {"ws://h/a b", "printable"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ(url_parse(bad[i].url, &u, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].why))
            fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", bad[i].url, err, bad[i].why);
        CHECK(strstr(err, bad[i].why) != NULL);
    }
}

/* ---- a server that records what it gets ---- */

typedef struct srec {
    live_loop lp;
    ws_server *s;
    int opens, messages, closes;
    size_t last_len;
    bool last_null, last_binary;
    char last[2048];
    char why[64];
    bool echo;
    int burst; /* on the next message, queue this many 4 KiB frames at once */
    bool closed;
    long live0;
} srec;

static void s_open(ws_server *s, ws_conn *c, void *user)
{
    (void)s;
    (void)c;
    ((srec *)user)->opens++;
}

static void s_message(ws_server *s, ws_conn *c, const char *data, size_t len, bool binary,
                      void *user)
{
    (void)s;
    srec *r = user;
    r->messages++;
    r->last_len = len;
    r->last_null = data == NULL;
    r->last_binary = binary;
    r->last[0] = '\0';
    if (data)
        snprintf(r->last, sizeof(r->last), "%.*s", (int)(len < 2000 ? len : 2000), data);
    if (r->echo && data)
        CHECK_EQ(ws_conn_send(c, data, len), 0);
    if (data && strcmp(r->last, "close me") == 0)
        ws_conn_close(c, 4000, "bye");
    if (r->burst) {
        static char block[4096];
        memset(block, 'b', sizeof(block));
        int ok = 0;
        for (int i = 0; i < r->burst; i++)
            ok += ws_conn_send(c, block, sizeof(block)) == 0;
        CHECK(ok < r->burst); /* the cap refused some */
        CHECK_EQ(ws_conn_send(c, "x", 1), MRTC_ECLOSED);
        r->burst = 0;
    }
}

static void s_close(ws_server *s, ws_conn *c, const char *why, void *user)
{
    (void)s;
    (void)c;
    srec *r = user;
    r->closes++;
    snprintf(r->why, sizeof(r->why), "%s", why);
}

static const char page_body[] = "hi\n";
static const ws_http_page pages[] = {
    {.path = "/hello.txt", .content_type = "text/plain", .body = page_body, .len = 3},
};

static bool srv_start(srec *r, size_t max_message, size_t max_queued)
{
    memset(r, 0, sizeof(*r));
    r->live0 = mem_live();
    live_init(&r->lp);
    ws_server_config cfg;
    ws_server_config_init(&cfg);
    cfg.port = 0;
    cfg.max_message = max_message;
    if (max_queued)
        cfg.max_queued = max_queued;
    cfg.pages = pages;
    cfg.n_pages = 1;
    cfg.cb = (ws_server_callbacks){.open = s_open, .message = s_message, .close = s_close};
    cfg.user = r;
    char err[200] = "";
    int rc = ws_server_start(&r->lp.loop, &cfg, &r->s, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc)
        fprintf(stderr, "ws_server_start: %s\n", err);
    return rc == 0;
}

static void srv_closed(void *arg)
{
    ((srec *)arg)->closed = true;
}

static void srv_finish(srec *r)
{
    ws_server_close(r->s, srv_closed, r);
    WAIT(&r->lp, r->closed, 5000);
    live_finish(&r->lp);
    CHECK_EQ(mem_live(), r->live0);
}

static void test_reassembly_limits_http(void)
{
    srec r;
    if (!srv_start(&r, 1000, 0))
        return;
    int port = ws_server_port(r.s);
    raw w;
    raw_open(&r.lp, &w, port, upgrade_request);
    WAIT(&r.lp, w.upgraded && r.opens == 1, 5000);

    /* Three frames, one message. */
    raw_send_frame_ex(&w, false, 1, "hel", 3);
    raw_send_frame_ex(&w, false, 0, "lo ", 3);
    raw_send_frame_ex(&w, true, 0, "world", 5);
    WAIT(&r.lp, r.messages == 1, 5000);
    CHECK_STR(r.last, "hello world");
    CHECK(!r.last_binary);

    /* Exactly the cap, then one byte over (in two frames): length only. */
    char big[1500];
    memset(big, 'a', sizeof(big));
    raw_send_frame(&w, 1, big, 1000);
    WAIT(&r.lp, r.messages == 2, 5000);
    CHECK_EQ(r.last_len, 1000);
    CHECK(!r.last_null);
    raw_send_frame_ex(&w, false, 1, big, 700);
    raw_send_frame_ex(&w, true, 0, big, 301);
    WAIT(&r.lp, r.messages == 3, 5000);
    CHECK_EQ(r.last_len, 1001);
    CHECK(r.last_null);
    /* The connection is still fine afterwards; binary frames are flagged. */
    raw_send_frame(&w, 2, "\x00\x01", 2);
    WAIT(&r.lp, r.messages == 4, 5000);
    CHECK(r.last_binary);
    CHECK_EQ(r.last_len, 2);
    CHECK_EQ(ws_server_conn_count(r.s), 1);
    raw_close(&r.lp, &w);
    WAIT(&r.lp, r.closes == 1, 5000);
    CHECK_STR(r.why, "connection lost");
    CHECK_EQ(ws_server_conn_count(r.s), 0);

    /* The HTTP side: a static page, and 404 for the rest. */
    raw_open(&r.lp, &w, port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    WAIT(&r.lp, w.http_done && strstr(w.buf, "\r\n\r\nhi\n"), 5000);
    CHECK(strstr(w.status, " 200") != NULL);
    CHECK(strstr(w.buf, "text/plain") != NULL);
    raw_close(&r.lp, &w);
    raw_open(&r.lp, &w, port, "GET /ws/../etc HTTP/1.1\r\nHost: x\r\n\r\n");
    WAIT(&r.lp, w.http_done, 5000);
    CHECK(strstr(w.status, " 404") != NULL);
    raw_close(&r.lp, &w);
    srv_finish(&r);
}

/* ---- client ---- */

typedef struct crec {
    ws_client *c;
    bool open, ended, was_open, released;
    int messages;
    size_t last_len;
    char end[300];
} crec;

static void c_open(ws_client *c, void *user)
{
    (void)c;
    ((crec *)user)->open = true;
}

static void c_message(ws_client *c, const char *data, size_t len, bool binary, void *user)
{
    (void)c;
    (void)binary;
    crec *r = user;
    r->messages++;
    r->last_len = data ? len : 0;
}

static void c_closed(ws_client *c, bool was_open, const char *message, void *user)
{
    (void)c;
    crec *r = user;
    r->ended = true;
    r->was_open = was_open;
    snprintf(r->end, sizeof(r->end), "%s", message);
}

static void c_released(void *arg)
{
    ((crec *)arg)->released = true;
}

static void test_client_echo_and_close_status(void)
{
    srec r;
    if (!srv_start(&r, 1 << 20, 0))
        return;
    r.echo = true;
    char url[64];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", ws_server_port(r.s));
    crec c = {0};
    ws_client_config cfg;
    ws_client_config_init(&cfg);
    cfg.url = url;
    cfg.cb = (ws_client_callbacks){.open = c_open, .message = c_message, .closed = c_closed};
    cfg.user = &c;
    char err[200];
    CHECK_EQ(ws_client_connect(&r.lp.loop, &cfg, &c.c, err, sizeof(err)), 0);
    CHECK_EQ(ws_client_send(c.c, "early", 5), MRTC_ESTATE); /* not open yet */
    WAIT(&r.lp, c.open, 5000);
    CHECK(ws_client_is_open(c.c));

    size_t n = 200 * 1024; /* several lws buffers each way */
    char *big = mem_alloc(n);
    memset(big, 'z', n);
    CHECK_EQ(ws_client_send(c.c, big, n), 0);
    CHECK_EQ(ws_client_send(c.c, "small", 5), 0);
    mem_free(big);
    WAIT(&r.lp, c.messages == 2, 5000);
    CHECK_EQ(c.last_len, 5);
    CHECK_EQ(r.messages, 2);

    CHECK_EQ(ws_client_send(c.c, "close me", 8), 0);
    WAIT(&r.lp, c.ended, 5000);
    CHECK(c.was_open);
    char want[128];
    snprintf(want, sizeof(want), "connection to %s closed by the server (4000: bye)", url);
    CHECK_STR(c.end, want);
    WAIT(&r.lp, r.closes == 1, 5000);
    CHECK_STR(r.why, "closed by server");
    CHECK_EQ(ws_client_send(c.c, "late", 4), MRTC_ESTATE);
    ws_client_close(c.c, c_released, &c);
    WAIT(&r.lp, c.released, 5000);

    /* A client closing first: the server sees the peer's close. */
    memset(&c, 0, sizeof(c));
    CHECK_EQ(ws_client_connect(&r.lp.loop, &cfg, &c.c, err, sizeof(err)), 0);
    WAIT(&r.lp, c.open && r.opens == 2, 5000);
    ws_client_close(c.c, c_released, &c);
    WAIT(&r.lp, c.released && r.closes == 2, 5000);
    CHECK_STR(r.why, "closed by peer");
    CHECK(!c.ended); /* no callback after close but the close callback */
    srv_finish(&r);
}

static void test_send_queue_cap(void)
{
    srec r;
    if (!srv_start(&r, 4096, 16 * 1024))
        return;
    r.burst = 10; /* 40 KiB queued in one go against a 16 KiB cap */
    raw w;
    raw_open(&r.lp, &w, ws_server_port(r.s), upgrade_request);
    WAIT(&r.lp, w.upgraded, 5000);
    raw_send_frame(&w, 1, "go", 2);
    WAIT(&r.lp, r.closes == 1, 5000);
    CHECK_STR(r.why, "send queue full");
    WAIT(&r.lp, w.eof, 5000);
    raw_close(&r.lp, &w);
    srv_finish(&r);
}

static void connect_done(uv_connect_t *req, int status)
{
    *(int *)req->data = status < 0 ? status : 1;
}

static void tcp_closed(uv_handle_t *h)
{
    *(bool *)h->data = true;
}

/* Listening on 127.0.0.1 means only there: not on ::1 (this lws would otherwise bind the
 * IPv6 wildcard). */
static void test_listens_only_on_its_address(void)
{
    srec r;
    if (!srv_start(&r, 1000, 0))
        return;
    uv_tcp_t t;
    uv_connect_t req;
    int status = 0;
    bool closed = false;
    struct sockaddr_in6 sa;
    uv_ip6_addr("::1", ws_server_port(r.s), &sa);
    uv_tcp_init(&r.lp.loop, &t);
    t.data = &closed;
    req.data = &status;
    if (uv_tcp_connect(&req, &t, (const struct sockaddr *)&sa, connect_done) == 0)
        WAIT(&r.lp, status != 0, 5000);
    CHECK(status != 1);
    uv_close((uv_handle_t *)&t, tcp_closed);
    WAIT(&r.lp, closed, 1000);
    srv_finish(&r);
}

static void test_listen_errors(void)
{
    srec r;
    if (!srv_start(&r, 1000, 0))
        return;
    ws_server_config cfg;
    ws_server_config_init(&cfg);
    cfg.port = ws_server_port(r.s);
    ws_server *s2 = NULL;
    char err[200] = "";
    CHECK_EQ(ws_server_start(&r.lp.loop, &cfg, &s2, err, sizeof(err)), MRTC_EADDR);
    CHECK(s2 == NULL);
    char want[100];
    snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%d: address already in use",
             cfg.port);
    CHECK_STR(err, want);
    cfg.port = 0;
    cfg.path = "ws"; /* not a path */
    CHECK_EQ(ws_server_start(&r.lp.loop, &cfg, &s2, err, sizeof(err)), MRTC_EINVAL);
    srv_finish(&r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    mem_install_hooks();
    RUN(test_url_parse);
    RUN(test_reassembly_limits_http);
    RUN(test_client_echo_and_close_status);
    RUN(test_send_queue_cap);
    RUN(test_listens_only_on_its_address);
    RUN(test_listen_errors);
    return test_finish();
}
