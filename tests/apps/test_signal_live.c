/*
 * meshrtc-signal over real sockets on 127.0.0.1: the server (apps/signal/server.c, the code
 * the program runs) and several room clients (apps/common/room_client.c) on one uv loop,
 * plus a hand-written WebSocket client on a raw TCP socket for what a well-behaved client
 * never does (stay silent to pings, send binary frames, plain HTTP).
 *
 * Every wait is bounded by a uv timer: a missing event fails the test instead of hanging.
 * There is no sleep: quiet periods are timers too.
 */
#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"
#include "apps/common/room_client.h"
#include "apps/signal/server.h"
#include "unit/test.h"
#include "apps/live.h"

#include <jansson.h>
#include <meshrtc.h>
#include <signal.h>
#include <uv.h>

/* ---- fixture: a loop, a server ---- */

typedef struct fixture {
    live_loop lp;
    signal_server *srv;
    bool srv_closed;
    int port;
    FILE *log;
    char *logbuf;
    size_t loglen;
    long live_at_start;
} fixture;

static bool fx_start(fixture *f, uint32_t ping_ms, uint32_t idle_ms, const room_fixed *rooms,
                     size_t n_rooms)
{
    memset(f, 0, sizeof(*f));
    f->live_at_start = mem_live();
    live_init(&f->lp);
    f->log = open_memstream(&f->logbuf, &f->loglen);
    signal_server_config cfg;
    signal_server_config_init(&cfg);
    cfg.port = 0;
    cfg.ping_interval_ms = ping_ms;
    cfg.idle_timeout_ms = idle_ms;
    cfg.room.rooms = rooms;
    cfg.room.n_rooms = n_rooms;
    cfg.log = f->log;
    char err[256] = "";
    int rc = signal_server_start(&f->lp.loop, &cfg, &f->srv, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "signal_server_start: %s\n", err);
        return false;
    }
    f->port = signal_server_port(f->srv);
    CHECK(f->port > 0);
    return true;
}

static void srv_closed_cb(void *arg)
{
    ((fixture *)arg)->srv_closed = true;
}

/* Closes the server (if still open), waits for everything to be released, and checks the
 * loop closes with no handle and no block left. */
static void fx_finish(fixture *f)
{
    if (f->srv && !f->srv_closed) {
        signal_server_close(f->srv, srv_closed_cb, f);
        WAIT(&f->lp, f->srv_closed, 5000);
    }
    live_finish(&f->lp);
    CHECK_EQ(mem_live(), f->live_at_start);
    fclose(f->log);
}

static bool log_has(fixture *f, const char *needle)
{
    fflush(f->log);
    return f->logbuf && strstr(f->logbuf, needle) != NULL;
}

/* ---- room clients that record what they see ---- */

#define MAXN 8

typedef struct crec {
    fixture *f;
    room_client *rc;
    char id[32];
    int welcomes;
    char welcome_peers[MAXN][32];
    size_t n_welcome_peers;
    char joined[MAXN][32];
    size_t n_joined;
    char left[MAXN][32];
    size_t n_left;
    int n_signals;
    char sig_from[32];
    char sig_text[256];
    size_t sig_len;
    int n_errors;
    char err_code[32];
    char err_msg[256];
    bool failed, closed;
    char end_msg[512];
    bool released;
} crec;

static void c_welcome(room_client *rc, const room_welcome *w, void *user)
{
    (void)rc;
    crec *c = user;
    c->welcomes++;
    snprintf(c->id, sizeof(c->id), "%s", w->id);
    for (size_t i = 0; i < w->n_peers && i < MAXN; i++)
        snprintf(c->welcome_peers[c->n_welcome_peers++], 32, "%s", w->peers[i].id);
}

static void c_joined(room_client *rc, const char *id, const char *name, void *user)
{
    (void)rc;
    (void)name;
    crec *c = user;
    if (c->n_joined < MAXN)
        snprintf(c->joined[c->n_joined++], 32, "%s", id);
}

static void c_left(room_client *rc, const char *id, void *user)
{
    (void)rc;
    crec *c = user;
    if (c->n_left < MAXN)
        snprintf(c->left[c->n_left++], 32, "%s", id);
}

static void c_signal(room_client *rc, const char *from, const json_t *data, const char *text,
                     void *user)
{
    (void)rc;
    crec *c = user;
    c->n_signals++;
    snprintf(c->sig_from, sizeof(c->sig_from), "%s", from);
    snprintf(c->sig_text, sizeof(c->sig_text), "%s", text);
    c->sig_len = strlen(text);
    CHECK(json_is_object(data));
}

static void c_error(room_client *rc, const char *code, const char *message, void *user)
{
    (void)rc;
    crec *c = user;
    c->n_errors++;
    snprintf(c->err_code, sizeof(c->err_code), "%s", code);
    snprintf(c->err_msg, sizeof(c->err_msg), "%s", message);
}

static void c_failed(room_client *rc, const char *message, void *user)
{
    (void)rc;
    crec *c = user;
    CHECK(!c->failed && !c->closed);
    c->failed = true;
    snprintf(c->end_msg, sizeof(c->end_msg), "%s", message);
}

static void c_closed(room_client *rc, const char *message, void *user)
{
    (void)rc;
    crec *c = user;
    CHECK(!c->failed && !c->closed);
    c->closed = true;
    snprintf(c->end_msg, sizeof(c->end_msg), "%s", message);
}

static void c_released(void *arg)
{
    ((crec *)arg)->released = true;
}

static void connect_url(fixture *f, crec *c, const char *url, const char *room, const char *name,
                        const char *code)
{
    memset(c, 0, sizeof(*c));
    c->f = f;
    room_client_config cfg;
    room_client_config_init(&cfg);
    cfg.url = url;
    cfg.room = room;
    cfg.name = name;
    cfg.code = code;
    cfg.cb = (room_client_callbacks){
        .welcome = c_welcome,
        .peer_joined = c_joined,
        .peer_left = c_left,
        .signal = c_signal,
        .error = c_error,
        .connect_failed = c_failed,
        .closed = c_closed,
    };
    cfg.user = c;
    char err[256] = "";
    int rc = room_client_connect(&f->lp.loop, &cfg, &c->rc, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc)
        fprintf(stderr, "room_client_connect: %s\n", err);
}

static void connect_client(fixture *f, crec *c, const char *room, const char *name,
                           const char *code)
{
    char url[64];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", f->port);
    connect_url(f, c, url, room, name, code);
}

static void release(fixture *f, crec *c)
{
    if (!c->rc)
        return;
    room_client_close(c->rc, c_released, c);
    WAIT(&f->lp, c->released, 5000);
    c->rc = NULL;
}

/* ---- tests ---- */

static void test_join_relay_leave(void)
{
    fixture f;
    if (!fx_start(&f, 20000, 60000, NULL, 0))
        return;
    crec alice, bob, carol;
    connect_client(&f, &alice, "live", "alice", "c0de");
    WAIT(&f.lp, alice.welcomes == 1, 5000);
    CHECK_STR(alice.id, "p1");
    CHECK_EQ(alice.n_welcome_peers, 0);
    /* Before welcome nothing can be signalled; after it only objects can. */
    connect_client(&f, &bob, "live", "bob", "c0de");
    CHECK_EQ(room_client_signal_text(bob.rc, "p1", "{}"), MRTC_ESTATE);
    WAIT(&f.lp, bob.welcomes == 1 && alice.n_joined == 1, 5000);
    CHECK_STR(bob.id, "p2");
    CHECK_EQ(bob.n_welcome_peers, 1);
    CHECK_STR(bob.welcome_peers[0], "p1");
    CHECK_STR(alice.joined[0], "p2");
    CHECK_EQ(room_client_polite(bob.rc, "p1"), 1);   /* bob joined later: polite */
    CHECK_EQ(room_client_polite(alice.rc, "p2"), 0); /* alice: impolite */
    CHECK_EQ(room_client_polite(alice.rc, "p9"), -1);
    CHECK_EQ(room_client_signal_text(alice.rc, "p2", "[1]"), MRTC_EINVAL);

    const char *offer = "{\"description\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}";
    CHECK_EQ(room_client_signal_text(alice.rc, "p2", offer), 0);
    WAIT(&f.lp, bob.n_signals == 1, 5000);
    CHECK_STR(bob.sig_from, "p1");
    CHECK_STR(bob.sig_text, offer);
    json_t *cand = json_pack("{s:n}", "candidate");
    CHECK_EQ(room_client_signal(bob.rc, "p1", cand), 0);
    json_decref(cand);
    WAIT(&f.lp, alice.n_signals == 1, 5000);
    CHECK_STR(alice.sig_text, "{\"candidate\":null}");
    CHECK_EQ(bob.n_signals, 1); /* never echoed */

    /* A signal to nobody: unknown-peer, the connection stays. */
    CHECK_EQ(room_client_signal_text(alice.rc, "p77", "{}"), 0);
    WAIT(&f.lp, alice.n_errors == 1, 5000);
    CHECK_STR(alice.err_code, "unknown-peer");
    CHECK(room_client_joined(alice.rc));

    /* carol joins, then leaves with a leave message; then her socket closes. */
    connect_client(&f, &carol, "live", "carol", "c0de");
    WAIT(&f.lp, carol.welcomes == 1 && alice.n_joined == 2 && bob.n_joined == 1, 5000);
    CHECK_EQ(carol.n_welcome_peers, 2);
    CHECK_STR(carol.welcome_peers[0], "p1"); /* oldest first */
    CHECK_STR(carol.welcome_peers[1], "p2");
    CHECK_EQ(room_client_leave(carol.rc), 0);
    CHECK_EQ(room_client_leave(carol.rc), MRTC_ESTATE);
    WAIT(&f.lp, alice.n_left == 1 && bob.n_left == 1, 5000);
    CHECK_STR(alice.left[0], "p3");
    CHECK(!carol.closed);
    release(&f, &carol);

    /* bob's socket closes: alice hears peer-left. */
    release(&f, &bob);
    WAIT(&f.lp, alice.n_left == 2, 5000);
    CHECK_STR(alice.left[1], "p2");

    /* Server shutdown: alice is told, with the going-away status. */
    signal_server_close(f.srv, srv_closed_cb, &f);
    WAIT(&f.lp, alice.closed && f.srv_closed, 5000);
    CHECK(strstr(alice.end_msg, "(1001: server shutting down)") != NULL);
    release(&f, &alice);
    CHECK(log_has(&f, "join room=live id=p1 name=\"alice\""));
    CHECK(log_has(&f, "leave room=live id=p3 reason=leave"));
    CHECK(log_has(&f, "leave room=live id=p2 reason=closed"));
    CHECK(log_has(&f, "Z join room=live")); /* timestamped lines */
    fx_finish(&f);
    free(f.logbuf);
}

static void test_bad_code_closes(void)
{
    room_fixed rooms[] = {{"board", "777"}};
    fixture f;
    if (!fx_start(&f, 20000, 60000, rooms, 1))
        return;
    crec alice, mallory, nocode;
    connect_client(&f, &alice, "board", "alice", "777");
    WAIT(&f.lp, alice.welcomes == 1, 5000);
    connect_client(&f, &mallory, "board", "mallory", "000");
    WAIT(&f.lp, mallory.closed, 5000);
    CHECK_EQ(mallory.n_errors, 1);
    CHECK_STR(mallory.err_code, "bad-code");
    CHECK_STR(mallory.err_msg, "meeting code does not match");
    CHECK_EQ(mallory.welcomes, 0);
    CHECK(strstr(mallory.end_msg, "closed by the server (1008: join refused)") != NULL);
    /* The refused socket gets the error, a close frame with 1008, then the TCP close. */
    {
        raw r;
        raw_open(&f.lp, &r, f.port, upgrade_request);
        WAIT(&f.lp, r.upgraded, 5000);
        const char *join = "{\"type\":\"join\",\"room\":\"board\",\"code\":\"1\"}";
        raw_send_frame(&r, 1, join, strlen(join));
        WAIT(&f.lp, r.eof, 5000);
        CHECK_EQ(r.texts, 1);
        CHECK(strstr(r.last_text, "\"bad-code\"") != NULL);
        CHECK_EQ(r.closes, 1);
        raw_close(&f.lp, &r);
    }
    connect_client(&f, &nocode, "board", "x", NULL);
    WAIT(&f.lp, nocode.closed, 5000);
    CHECK_STR(nocode.err_code, "bad-code");
    run_for(&f.lp, 100);
    CHECK_EQ(alice.n_joined, 0); /* nobody was let in */
    CHECK(log_has(&f, "refuse conn="));
    release(&f, &mallory);
    release(&f, &nocode);
    release(&f, &alice);
    fx_finish(&f);
    free(f.logbuf);
}

static void test_too_large_and_junk(void)
{
    fixture f;
    if (!fx_start(&f, 20000, 60000, NULL, 0))
        return;
    crec a, b;
    connect_client(&f, &a, "big", "a", NULL);
    connect_client(&f, &b, "big", "b", NULL);
    WAIT(&f.lp, a.welcomes == 1 && b.welcomes == 1, 5000);

    size_t n = 300 * 1024;
    char *pad = malloc(n);
    memset(pad, 'x', n);
    json_t *data = json_object();
    json_object_set_new(data, "pad", json_stringn(pad, n));
    free(pad);
    CHECK_EQ(room_client_signal(b.rc, a.id, data), 0);
    json_decref(data);
    WAIT(&f.lp, b.n_errors == 1, 5000);
    CHECK_STR(b.err_code, "too-large");
    CHECK(room_client_joined(b.rc));

    /* Junk on the open connection: errors, nothing closes. */
    CHECK_EQ(room_client_send_raw(b.rc, "not json", 8), 0);
    WAIT(&f.lp, b.n_errors == 2, 5000);
    CHECK_STR(b.err_code, "bad-request");
    CHECK_EQ(room_client_send_raw(b.rc, "{\"type\":\"dance\"}", 16), 0);
    WAIT(&f.lp, b.n_errors == 3, 5000);
    CHECK_STR(b.err_code, "unknown-type");

    /* Still relaying, and a is none the wiser. */
    CHECK_EQ(room_client_signal_text(b.rc, a.id, "{\"k\":1}"), 0);
    WAIT(&f.lp, a.n_signals == 1, 5000);
    CHECK_EQ(a.n_errors, 0);
    CHECK(!b.closed);
    release(&f, &a);
    release(&f, &b);
    fx_finish(&f);
    free(f.logbuf);
}

static void test_ping_and_idle_timeout(void)
{
    fixture f;
    if (!fx_start(&f, 100, 500, NULL, 0)) /* ping every 100 ms, drop after 500 ms */
        return;
    crec a;
    connect_client(&f, &a, "quiet", "a", NULL);
    WAIT(&f.lp, a.welcomes == 1, 5000);

    raw r;
    raw_open(&f.lp, &r, f.port, upgrade_request);
    WAIT(&f.lp, r.upgraded, 5000);
    const char *join = "{\"type\":\"join\",\"room\":\"quiet\",\"name\":\"silent\"}";
    raw_send_frame(&r, 1, join, strlen(join));
    WAIT(&f.lp, r.texts == 1 && a.n_joined == 1, 5000);
    CHECK(strstr(r.last_text, "\"welcome\"") != NULL);
    /* Binary frames get bad-request; the connection stays. */
    raw_send_frame(&r, 2, "\x01\x02", 2);
    WAIT(&f.lp, r.texts == 2, 5000);
    CHECK(strstr(r.last_text, "\"bad-request\"") != NULL);

    /* The raw client never answers pings: it is pinged, then dropped; a (whose library
     * answers) stays. The wait is a timer: 1.5 s is three idle timeouts. */
    WAIT(&f.lp, r.eof, 3000);
    CHECK(r.pings >= 2);
    WAIT(&f.lp, a.n_left == 1, 1000);
    CHECK_STR(a.left[0], "p2");
    run_for(&f.lp, 1500);
    CHECK(!a.closed);
    CHECK(room_client_joined(a.rc));
    CHECK(log_has(&f, "drop conn=2"));
    CHECK(log_has(&f, "idle timeout"));
    raw_close(&f.lp, &r);
    release(&f, &a);
    fx_finish(&f);
    free(f.logbuf);
}

static void test_http_side(void)
{
    fixture f;
    if (!fx_start(&f, 20000, 60000, NULL, 0))
        return;
    raw r;
    raw_open(&f.lp, &r, f.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    WAIT(&f.lp, r.http_done, 5000);
    CHECK(strstr(r.status, " 404") != NULL);
    raw_close(&f.lp, &r);

    /* A WebSocket upgrade on another path is refused; the client says so. */
    crec c;
    char url[64];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/elsewhere", f.port);
    connect_url(&f, &c, url, "r", NULL, NULL);
    WAIT(&f.lp, c.failed, 5000);
    char want[128];
    snprintf(want, sizeof(want), "cannot connect to %s: WebSocket handshake failed", url);
    CHECK(strncmp(c.end_msg, want, strlen(want)) == 0);
    if (strncmp(c.end_msg, want, strlen(want)) != 0)
        fprintf(stderr, "  got: %s\n", c.end_msg);
    release(&f, &c);
    fx_finish(&f);
    free(f.logbuf);
}

static void closed_cb(uv_handle_t *h)
{
    *(bool *)h->data = true;
}

static void test_connect_failed(void)
{
    fixture f;
    if (!fx_start(&f, 20000, 60000, NULL, 0))
        return;
    /* A port nobody listens on: bind one, note it, close it. */
    uv_tcp_t probe;
    bool probe_closed = false;
    uv_tcp_init(&f.lp.loop, &probe);
    probe.data = &probe_closed;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_bind(&probe, (const struct sockaddr *)&sa, 0);
    struct sockaddr_in bound;
    int blen = sizeof(bound);
    uv_tcp_getsockname(&probe, (struct sockaddr *)&bound, &blen);
    int port = ntohs(bound.sin_port);
    uv_close((uv_handle_t *)&probe, closed_cb);
    WAIT(&f.lp, probe_closed, 1000);

    crec c;
    char url[64], want[160];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", port);
    connect_url(&f, &c, url, "r", NULL, NULL);
    WAIT(&f.lp, c.failed, 5000);
    snprintf(want, sizeof(want), "cannot connect to ws://127.0.0.1:%d/ws: connection refused",
             port);
    CHECK_STR(c.end_msg, want);
    CHECK(!c.closed);
    release(&f, &c);

    /* Closing while the connection is still being made: no callback but the close one. */
    connect_url(&f, &c, url, "r", NULL, NULL);
    release(&f, &c);
    CHECK(!c.failed);

    /* Synchronous refusals: no callback ever, nothing to close. */
    room_client_config cfg;
    room_client_config_init(&cfg);
    cfg.url = "http://127.0.0.1/ws";
    cfg.room = "r";
    room_client *rc = NULL;
    char err[256] = "";
    CHECK_EQ(room_client_connect(&f.lp.loop, &cfg, &rc, err, sizeof(err)), MRTC_EINVAL);
    CHECK(strstr(err, "expected ws:// or wss://") != NULL);
    CHECK(rc == NULL);
    cfg.url = "ws://127.0.0.1:99999/ws";
    CHECK_EQ(room_client_connect(&f.lp.loop, &cfg, &rc, err, sizeof(err)), MRTC_EINVAL);
    CHECK(strstr(err, "bad port") != NULL);
    fx_finish(&f);
    free(f.logbuf);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    mem_install_hooks();
    RUN(test_join_relay_leave);
    RUN(test_bad_code_closes);
    RUN(test_too_large_and_junk);
    RUN(test_ping_and_idle_timeout);
    RUN(test_http_side);
    RUN(test_connect_failed);
    return test_finish();
}
