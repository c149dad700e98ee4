/*
 * WebSocket client (RFC 6455) on the caller's libuv loop over libwebsockets 4.1 (foreign
 * libuv loop, one lws context per client so a client's teardown never touches another's).
 *
 * What it adds to lws: non-blocking name resolution (uv_getaddrinfo; this lws build resolves
 * with blocking getaddrinfo), whole-message delivery, precise failure messages (after lws
 * reports a failed connection, a plain TCP connect to the same address tells "connection
 * refused" from a refused handshake), the server's close status in the closed message, and
 * the same two-step foreign-loop teardown as the server (ws.c).
 *
 * It does not: send pings (the server pings; lws answers), reconnect, follow redirects, use
 * proxies, or negotiate extensions. wss:// uses lws's OpenSSL with the system CAs, untested.
 */
#include "apps/common/ws.h"

#include "apps/common/mem.h"
#include "apps/common/url.h"
#include "apps/common/ws_io.h"

#include <libwebsockets.h>
#include <meshrtc.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define CLOSE_MS 1000 /* how long a closing client waits for the close handshake */
#define PROBE_MS 3000 /* how long the connect-failure diagnosis may take */

typedef enum cli_state {
    CLI_RESOLVING,
    CLI_CONNECTING,
    CLI_PROBING, /* lws failed: finding out why */
    CLI_OPEN,
    CLI_DONE, /* terminal event delivered (or suppressed by close) */
} cli_state;

struct ws_client {
    uv_loop_t *loop;
    ws_client_config cfg;
    char *url;
    url_parts u;
    char addr[INET6_ADDRSTRLEN];
    char host_header[300];
    struct sockaddr_storage sa;
    struct lws_context *ctx;
    struct lws *wsi;
    struct lws_protocols protocols[2];
    cli_state state;

    uv_getaddrinfo_t gai;
    bool gai_pending;
    uv_tcp_t probe;
    uv_connect_t probe_req;
    bool probe_init, probe_closed;
    uv_timer_t timer; /* probe deadline, then close deadline */
    uv_idle_t idle;
    int handles_open;

    ws_io_queue q;
    ws_io_rx rx;
    bool close_requested;
    bool close_sent;
    int close_code;
    char close_reason[124];
    int peer_code;
    char peer_reason[124];
    bool peer_closed;
    char lws_error[160];
    char pending_fail[320]; /* a failure found inside ws_client_connect, delivered later */

    bool closing; /* ws_client_close() called */
    bool close_timer_expired;
    bool destroying;
    int settle;
    void (*close_cb)(void *arg);
    void *close_arg;
};

void ws_client_config_init(ws_client_config *cfg)
{
    *cfg = (ws_client_config){
        .max_message = 4 * 1024 * 1024,
        .connect_timeout_ms = 10000,
    };
}

static void client_fail(ws_client *c, const char *why)
{
    if (c->state == CLI_DONE)
        return;
    c->state = CLI_DONE;
    if (c->closing || !c->cfg.cb.closed)
        return;
    char msg[512];
    snprintf(msg, sizeof(msg), "cannot connect to %s: %s", c->url, why);
    c->cfg.cb.closed(c, false, msg, c->cfg.user);
}

static void client_idle(uv_idle_t *h);

/* Starts the teardown once nothing asynchronous is outstanding. */
static void client_maybe_teardown(ws_client *c)
{
    if (!c->closing || c->destroying)
        return;
    if (c->gai_pending || (c->probe_init && !c->probe_closed))
        return;
    if (c->wsi && !c->close_timer_expired)
        return;
    uv_idle_start(&c->idle, client_idle);
}

static void client_handle_closed(uv_handle_t *h)
{
    ws_client *c = h->data;
    if (h == (uv_handle_t *)&c->probe) {
        c->probe_closed = true;
        client_maybe_teardown(c);
    }
    if (--c->handles_open > 0)
        return;
    void (*cb)(void *) = c->close_cb;
    void *arg = c->close_arg;
    ws_io_queue_clear(&c->q);
    ws_io_rx_clear(&c->rx);
    mem_free(c->url);
    mem_free(c);
    if (cb)
        cb(arg);
}

static void client_idle(uv_idle_t *h)
{
    ws_client *c = h->data;
    if (!c->destroying) {
        c->destroying = true;
        c->settle = 0;
        uv_timer_stop(&c->timer);
        lws_context_destroy(c->ctx);
        return;
    }
    if (++c->settle < 2 || !ws_io_loop_settled(c->loop))
        return;
    lws_context_destroy(c->ctx);
    c->ctx = NULL;
    uv_idle_stop(&c->idle);
    uv_close((uv_handle_t *)&c->timer, client_handle_closed);
    uv_close((uv_handle_t *)&c->idle, client_handle_closed);
}

static void probe_closed_cb(uv_handle_t *h)
{
    client_handle_closed(h);
}

static void probe_finish(ws_client *c, const char *why)
{
    uv_timer_stop(&c->timer);
    if (c->probe_init && !uv_is_closing((uv_handle_t *)&c->probe))
        uv_close((uv_handle_t *)&c->probe, probe_closed_cb);
    client_fail(c, why);
}

static void probe_connected(uv_connect_t *req, int status)
{
    ws_client *c = req->data;
    if (status == UV_ECANCELED || c->state != CLI_PROBING)
        return;
    char why[256];
    if (status < 0)
        snprintf(why, sizeof(why), "%s", uv_strerror(status));
    else
        snprintf(why, sizeof(why), "WebSocket handshake failed (%s)",
                 c->lws_error[0] ? c->lws_error : "no reason given");
    probe_finish(c, why);
}

static void probe_timeout(uv_timer_t *t)
{
    ws_client *c = t->data;
    if (c->state != CLI_PROBING)
        return;
    probe_finish(c, "connection timed out"); /* a TCP connect that hangs: nobody answers */
}

/* lws gave up on the connection; find out whether TCP itself fails. */
static void client_connection_error(ws_client *c, const char *lws_msg)
{
    if (c->state != CLI_CONNECTING)
        return;
    c->wsi = NULL;
    snprintf(c->lws_error, sizeof(c->lws_error), "%s", lws_msg ? lws_msg : "");
    c->state = CLI_PROBING;
    if (c->closing) {
        client_fail(c, "closed");
        client_maybe_teardown(c);
        return;
    }
    int rc = uv_tcp_init(c->loop, &c->probe);
    if (rc == 0) {
        c->probe_init = true;
        c->handles_open++;
        c->probe.data = c;
        c->probe_req.data = c;
        rc = uv_tcp_connect(&c->probe_req, &c->probe, (const struct sockaddr *)&c->sa,
                            probe_connected);
    }
    if (rc < 0) {
        probe_finish(c, uv_strerror(rc));
        return;
    }
    uv_timer_start(&c->timer, probe_timeout, PROBE_MS, 0);
}

static int client_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    ws_client *c = ctx ? lws_context_user(ctx) : NULL;
    if (!c)
        return 0;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        client_connection_error(c, in ? (const char *)in : NULL);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c->state != CLI_CONNECTING)
            return -1;
        c->state = CLI_OPEN;
        c->wsi = wsi;
        if (!c->closing && c->cfg.cb.open)
            c->cfg.cb.open(c, c->cfg.user);
        if (c->q.head || c->close_requested)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (ws_io_rx_feed(&c->rx, wsi, in, len, c->cfg.max_message)) {
            bool binary = c->rx.binary;
            const char *data = c->rx.overflow ? NULL : (c->rx.data ? c->rx.data : "");
            size_t total = c->rx.total;
            if (!c->closing && c->state == CLI_OPEN && c->cfg.cb.message)
                c->cfg.cb.message(c, data, total, binary, c->cfg.user);
            ws_io_rx_done(&c->rx);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return ws_io_write_one(wsi, &c->q, NULL, c->close_requested, &c->close_sent, c->close_code,
                               c->close_reason);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c->close_sent)
            return 1; /* the echo of our close */
        c->peer_closed = true;
        if (len >= 2) {
            const unsigned char *b = in;
            c->peer_code = (b[0] << 8) | b[1];
            size_t rl = len - 2 < 120 ? len - 2 : 120;
            memcpy(c->peer_reason, b + 2, rl);
            c->peer_reason[rl] = '\0';
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (wsi != c->wsi)
            return 0;
        c->wsi = NULL;
        if (c->state == CLI_OPEN) {
            c->state = CLI_DONE;
            if (!c->closing && c->cfg.cb.closed) {
                char msg[512];
                if (c->peer_closed && c->peer_code)
                    snprintf(msg, sizeof(msg), "connection to %s closed by the server (%d%s%s)",
                             c->url, c->peer_code, c->peer_reason[0] ? ": " : "", c->peer_reason);
                else if (c->peer_closed)
                    snprintf(msg, sizeof(msg), "connection to %s closed by the server", c->url);
                else
                    snprintf(msg, sizeof(msg), "connection to %s lost", c->url);
                c->cfg.cb.closed(c, true, msg, c->cfg.user);
            }
        }
        client_maybe_teardown(c);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (wsi == c->wsi) {
            c->wsi = NULL;
            if (c->state == CLI_CONNECTING)
                client_connection_error(c, "connection closed");
            client_maybe_teardown(c);
        }
        return 0;
    default:
        return 0;
    }
}

static void client_start_lws(ws_client *c)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = c->ctx;
    ci.address = c->addr;
    ci.port = c->u.port;
    ci.ssl_connection = c->u.tls ? LCCSCF_USE_SSL : 0;
    ci.path = c->u.path;
    ci.host = c->host_header;
    ci.origin = c->host_header;
    ci.ietf_version_or_minus_one = -1;
    ci.local_protocol_name = WS_IO_PROTOCOL;
    ci.opaque_user_data = c;
    c->state = CLI_CONNECTING;
    struct lws *wsi = lws_client_connect_via_info(&ci);
    if (c->state == CLI_CONNECTING) {
        if (wsi)
            c->wsi = wsi;
        else
            client_connection_error(c, "could not start the connection");
    }
}

static void client_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    ws_client *c = req->data;
    c->gai_pending = false;
    if (c->closing) {
        uv_freeaddrinfo(res);
        c->state = CLI_DONE;
        client_maybe_teardown(c);
        return;
    }
    if (status < 0 || !res) {
        char why[300];
        snprintf(why, sizeof(why), "cannot resolve %s: %s", c->u.host,
                 uv_strerror(status < 0 ? status : UV_EAI_NONAME));
        uv_freeaddrinfo(res);
        client_fail(c, why);
        return;
    }
    memcpy(&c->sa, res->ai_addr, res->ai_addrlen);
    if (res->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr, c->addr, sizeof(c->addr));
    else
        uv_ip4_name((const struct sockaddr_in *)res->ai_addr, c->addr, sizeof(c->addr));
    uv_freeaddrinfo(res);
    client_start_lws(c);
}

static void client_deferred_fail(uv_timer_t *t)
{
    ws_client *c = t->data;
    client_fail(c, c->pending_fail);
}

int ws_client_connect(uv_loop_t *loop, const ws_client_config *cfg, ws_client **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    ws_io_setup();
    url_parts u;
    if (!cfg->url || url_parse(cfg->url, &u, err, errlen))
        return MRTC_EINVAL;
    ws_client *c = mem_calloc(1, sizeof(*c));
    if (!c || !(c->url = mem_strdup(cfg->url))) {
        mem_free(c);
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    c->loop = loop;
    c->cfg = *cfg;
    c->cfg.url = c->url;
    if (!c->cfg.max_message)
        c->cfg.max_message = 4 * 1024 * 1024;
    c->u = u;
    bool default_port = c->u.port == (c->u.tls ? 443 : 80);
    bool v6 = strchr(c->u.host, ':') != NULL;
    if (default_port)
        snprintf(c->host_header, sizeof(c->host_header), v6 ? "[%s]" : "%s", c->u.host);
    else
        snprintf(c->host_header, sizeof(c->host_header), v6 ? "[%s]:%d" : "%s:%d", c->u.host,
                 c->u.port);

    uv_timer_init(loop, &c->timer);
    uv_idle_init(loop, &c->idle);
    c->timer.data = c->idle.data = c;
    c->handles_open = 2;

    c->protocols[0] = (struct lws_protocols){
        .name = WS_IO_PROTOCOL,
        .callback = client_cb,
        .rx_buffer_size = WS_IO_RX_CHUNK,
    };
    void *loops[1] = {loop};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_LIBUV;
    if (c->u.tls)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.user = c;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = c->protocols;
    unsigned secs = (cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 10000) / 1000;
    info.timeout_secs = secs ? secs : 1;
    info.connect_timeout_secs = info.timeout_secs;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        snprintf(c->pending_fail, sizeof(c->pending_fail), "cannot create the WebSocket context");
        c->state = CLI_DONE;
        uv_close((uv_handle_t *)&c->timer, client_handle_closed);
        uv_close((uv_handle_t *)&c->idle, client_handle_closed);
        snprintf(err, errlen,
                 "cannot create the WebSocket context (libwebsockets evlib_uv "
                 "plugin missing?)");
        return MRTC_EIO;
    }

    char port[16];
    snprintf(port, sizeof(port), "%d", c->u.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->gai.data = c;
    c->state = CLI_RESOLVING;
    int rc = uv_getaddrinfo(loop, &c->gai, client_resolved, c->u.host, port, &hints);
    if (rc < 0) {
        snprintf(c->pending_fail, sizeof(c->pending_fail), "cannot resolve %s: %s", c->u.host,
                 uv_strerror(rc));
        uv_timer_start(&c->timer, client_deferred_fail, 0, 0);
    } else {
        c->gai_pending = true;
    }
    *out = c;
    return 0;
}

int ws_client_send(ws_client *c, const char *data, size_t len)
{
    if (c->closing || c->close_requested || c->state != CLI_OPEN || !c->wsi)
        return MRTC_ESTATE;
    int rc = ws_io_queue_push(&c->q, data, len);
    if (rc)
        return rc;
    lws_callback_on_writable(c->wsi);
    return 0;
}

bool ws_client_is_open(const ws_client *c)
{
    return !c->closing && c->state == CLI_OPEN;
}

const char *ws_client_url(const ws_client *c)
{
    return c->url;
}

static void client_close_expired(uv_timer_t *t)
{
    ws_client *c = t->data;
    c->close_timer_expired = true;
    client_maybe_teardown(c);
}

void ws_client_close(ws_client *c, void (*cb)(void *arg), void *arg)
{
    if (c->closing)
        return;
    c->closing = true;
    c->close_cb = cb;
    c->close_arg = arg;
    if (!c->ctx) /* creation failed: handles are already closing */
        return;
    if (c->gai_pending)
        uv_cancel((uv_req_t *)&c->gai);
    if (c->probe_init && !uv_is_closing((uv_handle_t *)&c->probe))
        uv_close((uv_handle_t *)&c->probe, probe_closed_cb);
    uv_timer_stop(&c->timer);
    if (c->wsi && c->state == CLI_OPEN) {
        c->close_requested = true;
        ws_io_copy_close(&c->close_code, c->close_reason, sizeof(c->close_reason),
                         LWS_CLOSE_STATUS_NORMAL, "bye");
        lws_callback_on_writable(c->wsi);
        uv_timer_start(&c->timer, client_close_expired, CLOSE_MS, 0);
    } else if (c->wsi) {
        c->close_timer_expired = true; /* still connecting: the destroy closes it */
    }
    client_maybe_teardown(c);
}
