/*
 * Socket.IO 4 client over the WebSocket client (see sio_client.h). States: CONNECTING (the
 * WebSocket and the Engine.IO open packet), OPENED (our "40" sent, waiting for the server's
 * "40{sid}"), CONNECTED, DONE (the `closed` callback ran). One uv timer serves as the
 * connect timeout until CONNECTED and as the ping watchdog after: every server ping re-arms
 * it to pingInterval + pingTimeout, as Engine.IO clients do.
 *
 * It does not reconnect, poll, or speak another namespace; an event on another namespace,
 * acks and Engine.IO noops are ignored; a malformed packet ends the connection (the server
 * would not send one).
 */
#include "apps/common/sio_client.h"

#include "apps/common/mem.h"
#include "apps/common/sio_msg.h"
#include "apps/common/ws.h"

#include <meshrtc.h>
#include <stdio.h>
#include <string.h>

#define SIO_QUERY "socket.io/?EIO=4&transport=websocket"
#define URL_MAX 2400

struct sio_client {
    uv_loop_t *loop;
    ws_client *ws;
    uv_timer_t timer;
    enum { SIO_CONNECTING, SIO_OPENED, SIO_CONNECTED, SIO_DONE } state;
    char sid[SIO_SID_MAX];
    char url[URL_MAX];
    uint32_t connect_timeout_ms;
    uint64_t watchdog_ms; /* pingInterval + pingTimeout from the open packet */
    sio_client_callbacks cb;
    void *user;
    bool closing;
    int pending_closes; /* the WebSocket and the timer */
    void (*close_cb)(void *arg);
    void *close_arg;
};

void sio_client_config_init(sio_client_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_message = 4 * 1024 * 1024;
    cfg->connect_timeout_ms = 10000;
}

int sio_client_ws_url(const char *url, char *buf, size_t cap)
{
    const char *rest;
    const char *scheme;
    if (!url || !buf)
        return MRTC_EINVAL;
    if (strncmp(url, "http://", 7) == 0)
        rest = url + 7, scheme = "ws://";
    else if (strncmp(url, "https://", 8) == 0)
        rest = url + 8, scheme = "wss://";
    else
        return MRTC_EINVAL;
    if (!*rest || *rest == '/' || strpbrk(rest, "?# \t\r\n"))
        return MRTC_EINVAL;
    size_t n = strlen(rest);
    bool slash = rest[n - 1] == '/';
    int w = snprintf(buf, cap, "%s%s%s%s", scheme, rest, slash ? "" : "/", SIO_QUERY);
    if (w < 0 || (size_t)w >= cap)
        return MRTC_ENOBUFS;
    return 0;
}

/* Ends the connection from our side: the one `closed` callback. */
static void finish(sio_client *s, const char *fmt, const char *detail)
{
    if (s->state == SIO_DONE || s->closing)
        return;
    bool was_connected = s->state == SIO_CONNECTED;
    s->state = SIO_DONE;
    uv_timer_stop(&s->timer);
    char line[600];
    snprintf(line, sizeof(line), fmt, s->url, detail ? detail : "");
    if (s->cb.closed)
        s->cb.closed(s, was_connected, line, s->user);
}

static void on_timer(uv_timer_t *t)
{
    sio_client *s = t->data;
    if (s->state == SIO_CONNECTED)
        finish(s, "Socket.IO server %s%s stopped answering (no ping)", "");
    else
        finish(s, "Socket.IO connect to %s timed out%s", "");
}

static int send_text(sio_client *s, char *text, size_t len)
{
    if (!text)
        return MRTC_ENOMEM;
    int err = ws_client_send(s->ws, text, len);
    mem_free(text);
    return err;
}

static void on_packet(sio_client *s, sio_msg *m)
{
    size_t len = 0;
    char *text;
    switch (m->kind) {
    case SIO_EIO_OPEN:
        if (s->state != SIO_CONNECTING) {
            finish(s, "Socket.IO server %s sent a second open packet%s", "");
            return;
        }
        s->watchdog_ms = (uint64_t)m->ping_interval_ms + m->ping_timeout_ms;
        s->state = SIO_OPENED;
        text = sio_msg_connect(&len);
        if (send_text(s, text, len) != 0)
            finish(s, "Socket.IO connect to %s failed: %s", "cannot send");
        return;
    case SIO_EIO_PING:
        text = sio_msg_pong(m->payload, m->payload_len, &len);
        if (send_text(s, text, len) != 0) {
            finish(s, "Socket.IO connection to %s failed: %s", "cannot answer a ping");
            return;
        }
        if (s->state == SIO_CONNECTED && s->watchdog_ms)
            uv_timer_start(&s->timer, on_timer, s->watchdog_ms, 0);
        return;
    case SIO_EIO_CLOSE:
        finish(s, "Socket.IO server %s closed the session%s", "");
        return;
    case SIO_CONNECT:
        if (s->state != SIO_OPENED || strcmp(m->nsp, "/") != 0 || !m->sid[0]) {
            finish(s, "Socket.IO server %s: unexpected connect packet%s", "");
            return;
        }
        memcpy(s->sid, m->sid, sizeof(s->sid));
        s->state = SIO_CONNECTED;
        uv_timer_stop(&s->timer);
        if (s->watchdog_ms)
            uv_timer_start(&s->timer, on_timer, s->watchdog_ms, 0);
        if (s->cb.connected)
            s->cb.connected(s, s->sid, s->user);
        return;
    case SIO_CONNECT_ERROR: {
        char detail[300] = "";
        json_t *msg = json_is_object(m->args) ? json_object_get(m->args, "message") : m->args;
        if (json_is_string(msg))
            snprintf(detail, sizeof(detail), ": %s", json_string_value(msg));
        finish(s, "Socket.IO server %s refused the connection%s", detail);
        return;
    }
    case SIO_DISCONNECT:
        if (strcmp(m->nsp, "/") == 0)
            finish(s, "Socket.IO server %s disconnected us%s", "");
        return;
    case SIO_EVENT:
        if (s->state == SIO_CONNECTED && strcmp(m->nsp, "/") == 0 && s->cb.event)
            s->cb.event(s, m->event, m->args, s->user);
        return;
    default: /* pong, upgrade, noop, ack: nothing to do */
        return;
    }
}

static void ws_open(ws_client *ws, void *user)
{
    (void)ws;
    (void)user; /* the server speaks first (the open packet) */
}

static void ws_message(ws_client *ws, const char *data, size_t len, bool binary, void *user)
{
    (void)ws;
    sio_client *s = user;
    if (s->state == SIO_DONE || s->closing)
        return;
    if (binary || !data) {
        finish(s, "Socket.IO server %s sent %s", binary ? "a binary frame" : "an oversized frame");
        return;
    }
    sio_msg m;
    char why[200];
    int err = sio_msg_parse(data, len, &m, why, sizeof(why));
    if (err == MRTC_ENOTSUP)
        return; /* well-formed but not ours (binary events, ...): ignored */
    if (err) {
        finish(s, "Socket.IO server %s sent a bad packet: %s", why);
        return;
    }
    on_packet(s, &m);
    sio_msg_free(&m);
}

static void ws_closed(ws_client *ws, bool was_open, const char *message, void *user)
{
    (void)ws;
    (void)was_open;
    sio_client *s = user;
    finish(s, "%.0s%s", message);
}

int sio_client_connect(uv_loop_t *loop, const sio_client_config *cfg, sio_client **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    sio_client *s = mem_calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    char wsurl[URL_MAX + 64];
    int r = cfg->url && strlen(cfg->url) < sizeof(s->url)
                ? sio_client_ws_url(cfg->url, wsurl, sizeof(wsurl))
                : MRTC_EINVAL;
    if (r) {
        snprintf(err, errlen, "invalid Socket.IO server URL \"%s\" (expected http://HOST:PORT)",
                 cfg->url ? cfg->url : "");
        mem_free(s);
        return MRTC_EINVAL;
    }
    snprintf(s->url, sizeof(s->url), "%s", cfg->url);
    s->loop = loop;
    s->cb = cfg->cb;
    s->user = cfg->user;
    s->connect_timeout_ms = cfg->connect_timeout_ms;
    ws_client_config wc;
    ws_client_config_init(&wc);
    wc.url = wsurl;
    wc.max_message = cfg->max_message;
    wc.connect_timeout_ms = cfg->connect_timeout_ms;
    wc.cb.open = ws_open;
    wc.cb.message = ws_message;
    wc.cb.closed = ws_closed;
    wc.user = s;
    r = ws_client_connect(loop, &wc, &s->ws, err, errlen);
    if (r) {
        mem_free(s);
        return r;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    if (s->connect_timeout_ms)
        uv_timer_start(&s->timer, on_timer, s->connect_timeout_ms, 0);
    *out = s;
    return 0;
}

int sio_client_emit(sio_client *s, const char *name, const json_t *args)
{
    if (!s || s->closing || s->state != SIO_CONNECTED)
        return MRTC_ESTATE;
    if (!name || (args && !json_is_array(args)))
        return MRTC_EINVAL;
    size_t len = 0;
    char *text = sio_msg_event(name, args, &len);
    if (!text)
        return MRTC_ENOMEM;
    return send_text(s, text, len);
}

bool sio_client_connected(const sio_client *s)
{
    return s && !s->closing && s->state == SIO_CONNECTED;
}

const char *sio_client_sid(const sio_client *s)
{
    return s && s->state == SIO_CONNECTED ? s->sid : "";
}

static void one_closed(sio_client *s)
{
    if (--s->pending_closes > 0)
        return;
    void (*cb)(void *) = s->close_cb;
    void *arg = s->close_arg;
    mem_free(s);
    if (cb)
        cb(arg);
}

static void timer_closed(uv_handle_t *h)
{
    one_closed(h->data);
}

static void ws_released(void *arg)
{
    one_closed(arg);
}

void sio_client_close(sio_client *s, void (*cb)(void *arg), void *arg)
{
    if (!s || s->closing)
        return;
    if (s->state == SIO_CONNECTED)
        ws_client_send(s->ws, "1", 1); /* Engine.IO close: the server drops us at once */
    s->closing = true;
    s->close_cb = cb;
    s->close_arg = arg;
    s->pending_closes = 2;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, timer_closed);
    ws_client_close(s->ws, ws_released, s);
}
