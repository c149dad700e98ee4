/*
 * WebSocket server (RFC 6455) on the caller's libuv loop, built on libwebsockets 4.1 with its
 * libuv event library attached to that loop as a "foreign" loop (docs/decisions.md).
 *
 * What it adds to lws: whole-message delivery with a size cap, per-connection send queues
 * with a cap, application pings and an idle timeout driven by a uv timer with millisecond
 * settings, a GET hook for static pages, a listen check that names the errno, a going-away
 * close on shutdown, and the two-step teardown a foreign loop needs: lws_context_destroy()
 * once from outside any lws callback, let the loop finish closing the handles lws closed,
 * then lws_context_destroy() again to free the context (calling it twice in a row frees
 * memory that pending close callbacks still use).
 *
 * TLS (https:// and wss://) when given a certificate and key files (OpenSSL through lws).
 *
 * It does not do: permessage-deflate, subprotocol negotiation, HTTP/2, or anything
 * but static GET responses on the HTTP side.
 */
#include "apps/common/ws.h"

#include "apps/common/idmap.h"
#include "apps/common/mem.h"
#include "apps/common/ws_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <meshrtc.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DRAIN_MS 1000 /* how long a closing server waits for close handshakes */

typedef enum srv_state {
    SRV_RUNNING,
    SRV_DRAINING,   /* close frames sent; waiting for the connections or the drain timer */
    SRV_DESTROYING, /* first lws_context_destroy() done; waiting for the loop to settle */
    SRV_FINAL,      /* context freed; closing our own handles */
} srv_state;

struct ws_conn {
    ws_server *srv;
    struct lws *wsi;
    uint64_t id;
    ws_conn *prev, *next;
    ws_io_queue q;
    ws_io_rx rx;
    uint64_t last_rx_ms, last_ping_ms;
    bool ping_due;
    bool close_requested;
    bool close_sent;
    bool killed;
    bool gone;
    const char *why;
    int close_code;
    char close_reason[124];
    char peer[64];
};

struct ws_server {
    uv_loop_t *loop;
    ws_server_config cfg;
    char *host, *path;
    char iface[INET6_ADDRSTRLEN];
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct lws_protocols protocols[2];
    int port;
    uint64_t next_id;
    ws_conn *conns;
    size_t n_conns;
    idmap by_id;
    uv_timer_t tick, drain;
    uv_idle_t idle;
    int handles_open;
    srv_state state;
    int settle;
    void (*close_cb)(void *arg);
    void *close_arg;
};

struct pss {
    ws_conn *conn;
    const ws_http_page *page;
};

void ws_server_config_init(ws_server_config *cfg)
{
    *cfg = (ws_server_config){
        .host = "127.0.0.1",
        .port = 8787,
        .path = "/ws",
        .max_message = 256 * 1024,
        .max_queued = 8 * 1024 * 1024,
        .ping_interval_ms = 20000,
        .idle_timeout_ms = 60000,
    };
}

static void conn_kill(ws_conn *c, const char *why)
{
    if (c->killed || c->gone)
        return;
    c->killed = true;
    c->why = why;
    /* The next WRITEABLE returns -1. A timeout too, for a peer that never lets us write;
     * waking the service makes lws re-arm its timer when we are outside its callbacks. */
    lws_callback_on_writable(c->wsi);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 2);
    lws_cancel_service(c->srv->ctx);
}

static void server_idle(uv_idle_t *h);

static void server_begin_teardown(ws_server *s)
{
    if (s->state == SRV_DRAINING)
        uv_idle_start(&s->idle, server_idle);
}

static void conn_gone(ws_server *s, ws_conn *c)
{
    c->gone = true;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    idmap_remove(&s->by_id, c->id);
    if (s->state == SRV_RUNNING && s->cfg.cb.close) {
        const char *why = c->why ? c->why : "connection lost";
        s->cfg.cb.close(s, c, why, s->cfg.user);
    }
    ws_io_queue_clear(&c->q);
    ws_io_rx_clear(&c->rx);
    mem_free(c);
    if (s->state == SRV_DRAINING && s->n_conns == 0)
        server_begin_teardown(s);
}

static const ws_http_page *find_page(const ws_server *s, const char *path)
{
    for (size_t i = 0; i < s->cfg.n_pages; i++)
        if (strcmp(s->cfg.pages[i].path, path) == 0)
            return &s->cfg.pages[i];
    return NULL;
}

static int serve_http(ws_server *s, struct lws *wsi, struct pss *pss, const char *uri)
{
    const ws_http_page *page = s->state == SRV_RUNNING && uri ? find_page(s, uri) : NULL;
    if (!page) {
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    unsigned char hdr[LWS_PRE + 512];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, page->content_type,
                                    (lws_filepos_t)page->len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    pss->page = page;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_writeable(struct lws *wsi, struct pss *pss)
{
    const ws_http_page *page = pss->page;
    if (!page)
        return 0;
    pss->page = NULL;
    unsigned char *buf = mem_alloc(LWS_PRE + page->len);
    if (!buf)
        return -1;
    if (page->len)
        memcpy(buf + LWS_PRE, page->body, page->len);
    int n = lws_write(wsi, buf + LWS_PRE, page->len, LWS_WRITE_HTTP_FINAL);
    mem_free(buf);
    if (n < 0 || (size_t)n < page->len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int server_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    ws_server *s = ctx ? lws_context_user(ctx) : NULL;
    struct pss *pss = NULL;
    switch (reason) { /* the callbacks whose `user` is our per-session data */
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_WRITEABLE:
        pss = user;
        break;
    default:
        break;
    }
    ws_conn *c = pss ? pss->conn : NULL;
    if (!s)
        return 0;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[256];
        if (s->state != SRV_RUNNING)
            return 1;
        if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
            strcmp(uri, s->path) != 0)
            return 1;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        if (!pss || s->state != SRV_RUNNING)
            return -1;
        c = mem_calloc(1, sizeof(*c));
        if (!c)
            return -1;
        c->srv = s;
        c->wsi = wsi;
        c->id = ++s->next_id;
        c->last_rx_ms = c->last_ping_ms = uv_now(s->loop);
        lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
        if (idmap_put(&s->by_id, c->id, c)) {
            mem_free(c);
            return -1;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        pss->conn = c;
        if (s->cfg.cb.open)
            s->cfg.cb.open(s, c, s->cfg.user);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!c || c->gone)
            return 0;
        c->last_rx_ms = uv_now(s->loop);
        if (ws_io_rx_feed(&c->rx, wsi, in, len, s->cfg.max_message)) {
            bool binary = c->rx.binary;
            const char *data = c->rx.overflow ? NULL : (c->rx.data ? c->rx.data : "");
            size_t total = c->rx.total;
            if (s->state == SRV_RUNNING && !c->killed && s->cfg.cb.message)
                s->cfg.cb.message(s, c, data, total, binary, s->cfg.user);
            ws_io_rx_done(&c->rx);
        }
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (c)
            c->last_rx_ms = uv_now(s->loop);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!c || c->killed)
            return c ? -1 : 0;
        return ws_io_write_one(wsi, &c->q, &c->ping_due, c->close_requested, &c->close_sent,
                               c->close_code, c->close_reason);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && !c->why)
            c->why = "closed by peer";
        return c && c->close_sent ? 1 : 0; /* the echo of our close: no echo back */
    case LWS_CALLBACK_CLOSED:
        if (c) {
            pss->conn = NULL;
            conn_gone(s, c);
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        return serve_http(s, wsi, pss, in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return pss ? http_writeable(wsi, pss) : 0;
    default:
        return 0;
    }
}

static void server_tick(uv_timer_t *t)
{
    ws_server *s = t->data;
    uint64_t now = uv_now(s->loop);
    for (ws_conn *c = s->conns; c; c = c->next) {
        if (c->killed || c->gone)
            continue;
        if (s->cfg.idle_timeout_ms && now - c->last_rx_ms >= s->cfg.idle_timeout_ms) {
            conn_kill(c, "idle timeout");
        } else if (s->cfg.ping_interval_ms && now - c->last_ping_ms >= s->cfg.ping_interval_ms) {
            c->last_ping_ms = now;
            c->ping_due = true;
            lws_callback_on_writable(c->wsi);
        }
    }
}

static void server_handle_closed(uv_handle_t *h)
{
    ws_server *s = h->data;
    if (--s->handles_open > 0)
        return;
    void (*cb)(void *) = s->close_cb;
    void *arg = s->close_arg;
    idmap_deinit(&s->by_id);
    mem_free(s->host);
    mem_free(s->path);
    mem_free(s);
    if (cb)
        cb(arg);
}

static void server_idle(uv_idle_t *h)
{
    ws_server *s = h->data;
    if (s->state == SRV_DRAINING) {
        uv_timer_stop(&s->drain);
        s->state = SRV_DESTROYING;
        s->settle = 0;
        lws_context_destroy(s->ctx); /* closes what is left; no callback reaches the user */
        return;
    }
    if (s->state != SRV_DESTROYING || ++s->settle < 2 || !ws_io_loop_settled(s->loop))
        return;
    lws_context_destroy(s->ctx); /* second call: frees the context */
    s->ctx = NULL;
    s->state = SRV_FINAL;
    uv_idle_stop(&s->idle);
    uv_close((uv_handle_t *)&s->tick, server_handle_closed);
    uv_close((uv_handle_t *)&s->drain, server_handle_closed);
    uv_close((uv_handle_t *)&s->idle, server_handle_closed);
}

static void server_drain_expired(uv_timer_t *t)
{
    ws_server *s = t->data;
    server_begin_teardown(s);
}

static int resolve_listen_address(ws_server *s, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(s->host, NULL, &hints, &res);
    if (rc != 0) {
        hints.ai_flags = 0; /* a name: resolved once, at start-up */
        rc = getaddrinfo(s->host, NULL, &hints, &res);
    }
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot listen on %s: %s", s->host, gai_strerror(rc));
        return MRTC_EADDR;
    }
    const void *a = res->ai_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
    inet_ntop(res->ai_family, a, s->iface, sizeof(s->iface));

    /* Try the bind first: lws reports a failed bind only in its log. */
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int one = 1;
    int bad = 0;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (res->ai_family == AF_INET6)
            ((struct sockaddr_in6 *)res->ai_addr)->sin6_port = htons((uint16_t)s->cfg.port);
        else
            ((struct sockaddr_in *)res->ai_addr)->sin_port = htons((uint16_t)s->cfg.port);
        if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
            bad = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (bad) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", s->host, s->cfg.port,
                 uv_strerror(uv_translate_sys_error(bad)));
        return MRTC_EADDR;
    }
    return 0;
}

int ws_server_start(uv_loop_t *loop, const ws_server_config *cfg, ws_server **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    ws_io_setup();
    if (cfg->port < 0 || cfg->port > 65535 || !cfg->path || cfg->path[0] != '/' ||
        !cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errlen, "bad server configuration (port or path)");
        return MRTC_EINVAL;
    }
    ws_server *s = mem_calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    s->loop = loop;
    s->cfg = *cfg;
    s->host = mem_strdup(cfg->host && *cfg->host ? cfg->host : "127.0.0.1");
    s->path = mem_strdup(cfg->path);
    idmap_init(&s->by_id);
    if (!s->host || !s->path) {
        mem_free(s->host);
        mem_free(s->path);
        mem_free(s);
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    s->cfg.host = s->host;
    s->cfg.path = s->path;
    int rc = resolve_listen_address(s, err, errlen);
    if (rc) {
        mem_free(s->host);
        mem_free(s->path);
        mem_free(s);
        return rc;
    }

    uv_timer_init(loop, &s->tick);
    uv_timer_init(loop, &s->drain);
    uv_idle_init(loop, &s->idle);
    s->tick.data = s->drain.data = s->idle.data = s;
    s->handles_open = 3;

    s->protocols[0] = (struct lws_protocols){
        .name = WS_IO_PROTOCOL,
        .callback = server_cb,
        .per_session_data_size = sizeof(struct pss),
        .rx_buffer_size = WS_IO_RX_CHUNK,
    };
    void *loops[1] = {loop};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (cfg->tls_cert)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.user = s;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = s->protocols;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(err, errlen,
                 "cannot create the WebSocket context (libwebsockets evlib_uv "
                 "plugin missing?)");
        s->state = SRV_FINAL;
        uv_close((uv_handle_t *)&s->tick, server_handle_closed);
        uv_close((uv_handle_t *)&s->drain, server_handle_closed);
        uv_close((uv_handle_t *)&s->idle, server_handle_closed);
        return MRTC_EIO;
    }

    struct lws_context_creation_info vinfo;
    memset(&vinfo, 0, sizeof(vinfo));
    vinfo.options = info.options;
    /* With IPv6 on, this lws binds an IPv4 iface as the IPv6 wildcard (every address):
     * an IPv4 address needs an IPv4-only vhost, an IPv6 one a v6-only socket. */
    if (!strchr(s->iface, ':'))
        vinfo.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    else
        vinfo.options |= LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
    vinfo.port = cfg->port;
    vinfo.iface = s->iface;
    vinfo.protocols = s->protocols;
    vinfo.vhost_name = "meshrtc";
    vinfo.keepalive_timeout = 5;
    vinfo.ssl_cert_filepath = cfg->tls_cert;
    vinfo.ssl_private_key_filepath = cfg->tls_key;
    /* HTTP/1.1 only: the page writer sends a body in one lws_write(), which HTTP/2 flow
     * control would cut, and WebSockets over HTTP/2 (RFC 8441) are not needed. */
    vinfo.alpn = "http/1.1";
    s->vh = lws_create_vhost(s->ctx, &vinfo);
    if (!s->vh) {
        if (cfg->tls_cert)
            snprintf(err, errlen, "cannot listen on %s:%d with TLS (certificate %s, key %s)",
                     s->host, cfg->port, cfg->tls_cert, cfg->tls_key);
        else
            snprintf(err, errlen, "cannot listen on %s:%d", s->host, cfg->port);
        s->state = SRV_DRAINING; /* releases itself once the loop runs */
        uv_idle_start(&s->idle, server_idle);
        return MRTC_EADDR;
    }
    s->port = lws_get_vhost_listen_port(s->vh);

    uint64_t tick = 1000;
    if (cfg->ping_interval_ms && cfg->ping_interval_ms < tick)
        tick = cfg->ping_interval_ms;
    if (cfg->idle_timeout_ms && cfg->idle_timeout_ms / 4 < tick)
        tick = cfg->idle_timeout_ms / 4;
    if (tick < 5)
        tick = 5;
    if (cfg->ping_interval_ms || cfg->idle_timeout_ms)
        uv_timer_start(&s->tick, server_tick, tick, tick);
    *out = s;
    return 0;
}

int ws_server_port(const ws_server *s)
{
    return s->port;
}

size_t ws_server_conn_count(const ws_server *s)
{
    return s->n_conns;
}

ws_conn *ws_server_find(ws_server *s, uint64_t id)
{
    return idmap_get(&s->by_id, id);
}

void ws_server_close(ws_server *s, void (*cb)(void *arg), void *arg)
{
    if (s->state != SRV_RUNNING)
        return;
    s->state = SRV_DRAINING;
    s->close_cb = cb;
    s->close_arg = arg;
    uv_timer_stop(&s->tick);
    for (ws_conn *c = s->conns; c; c = c->next)
        ws_conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
    if (s->n_conns == 0)
        uv_idle_start(&s->idle, server_idle);
    else
        uv_timer_start(&s->drain, server_drain_expired, DRAIN_MS, 0);
}

uint64_t ws_conn_id(const ws_conn *c)
{
    return c->id;
}

const char *ws_conn_peer(const ws_conn *c)
{
    return c->peer;
}

int ws_conn_send(ws_conn *c, const char *data, size_t len)
{
    if (c->gone || c->killed || c->close_requested)
        return MRTC_ECLOSED;
    if (c->q.bytes + len > c->srv->cfg.max_queued) {
        conn_kill(c, "send queue full");
        return MRTC_ECLOSED;
    }
    int rc = ws_io_queue_push(&c->q, data, len);
    if (rc)
        return rc;
    lws_callback_on_writable(c->wsi);
    return 0;
}

void ws_conn_close(ws_conn *c, int code, const char *reason)
{
    if (c->gone || c->killed || c->close_requested)
        return;
    c->close_requested = true;
    c->why = "closed by server";
    ws_io_copy_close(&c->close_code, c->close_reason, sizeof(c->close_reason), code, reason);
    lws_callback_on_writable(c->wsi);
}
