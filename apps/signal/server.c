/*
 * meshrtc-signal's server glue: WebSocket connection events go into the room logic, whose
 * outputs (frames, close requests, log lines) are drained into the WebSocket layer and the
 * log after every event. The path /ws carries the protocol; with `page` set, GET /, /app.js
 * and /style.css return the browser client embedded from apps/signal/web (web.h).
 *
 * It does not parse the protocol (room.c does) or speak WebSocket (ws.c does).
 */
#include "apps/signal/server.h"

#include "apps/common/mem.h"
#include "apps/common/ws.h"
#include "apps/signal/web.h"

#include <inttypes.h>
#include <meshrtc.h>
#include <string.h>
#include <time.h>

struct signal_server {
    ws_server *ws;
    room_server *rooms;
    FILE *log;
    void (*close_cb)(void *arg);
    void *close_arg;
};

void signal_server_config_init(signal_server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = "127.0.0.1";
    cfg->port = 8787;
    room_config_init(&cfg->room);
    cfg->ping_interval_ms = 20000;
    cfg->idle_timeout_ms = 60000;
    cfg->log = stderr;
}

void signal_server_log(FILE *f, const char *line)
{
    if (!f)
        return;
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "%s.%03ldZ %s\n", when, ts.tv_nsec / 1000000, line);
    fflush(f);
}

static void drain(signal_server *s)
{
    room_output o;
    while (room_poll_output(s->rooms, &o)) {
        ws_conn *c = o.kind == ROOM_OUT_LOG ? NULL : ws_server_find(s->ws, o.conn);
        switch (o.kind) {
        case ROOM_OUT_SEND:
            if (c)
                ws_conn_send(c, o.text, o.len);
            break;
        case ROOM_OUT_CLOSE:
            if (c)
                ws_conn_close(c, 1008, "join refused");
            break;
        case ROOM_OUT_LOG:
            signal_server_log(s->log, o.text);
            break;
        }
        room_output_clear(&o);
    }
}

static void on_open(ws_server *ws, ws_conn *c, void *user)
{
    (void)ws;
    signal_server *s = user;
    if (room_on_open(s->rooms, ws_conn_id(c)))
        ws_conn_close(c, 1011, "server out of memory");
}

static void on_message(ws_server *ws, ws_conn *c, const char *data, size_t len, bool binary,
                       void *user)
{
    (void)ws;
    signal_server *s = user;
    if (binary)
        room_on_binary(s->rooms, ws_conn_id(c), len);
    else
        room_on_text(s->rooms, ws_conn_id(c), data, len, (int64_t)time(NULL));
    drain(s);
}

static void on_close(ws_server *ws, ws_conn *c, const char *why, void *user)
{
    (void)ws;
    signal_server *s = user;
    if (strcmp(why, "idle timeout") == 0 || strcmp(why, "send queue full") == 0) {
        char line[160];
        snprintf(line, sizeof(line), "drop conn=%" PRIu64 " peer=%s: %s", ws_conn_id(c),
                 ws_conn_peer(c), why);
        signal_server_log(s->log, line);
    }
    room_on_close(s->rooms, ws_conn_id(c));
    drain(s);
}

int signal_server_start(uv_loop_t *loop, const signal_server_config *cfg, signal_server **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    mem_install_hooks();
    signal_server *s = mem_calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    s->log = cfg->log;
    if (room_server_new(&cfg->room, &s->rooms, err, errlen)) {
        mem_free(s);
        return MRTC_EINVAL;
    }
    ws_server_config wc;
    ws_server_config_init(&wc);
    wc.host = cfg->host;
    wc.port = cfg->port;
    wc.path = "/ws";
    wc.max_message = cfg->room.max_frame ? cfg->room.max_frame : ROOM_MAX_FRAME;
    wc.ping_interval_ms = cfg->ping_interval_ms;
    wc.idle_timeout_ms = cfg->idle_timeout_ms;
    wc.tls_cert = cfg->tls_cert;
    wc.tls_key = cfg->tls_key;
    if (cfg->page) {
        wc.pages = signal_web_pages;
        wc.n_pages = signal_web_n_pages;
    }
    wc.cb.open = on_open;
    wc.cb.message = on_message;
    wc.cb.close = on_close;
    wc.user = s;
    int rc = ws_server_start(loop, &wc, &s->ws, err, errlen);
    if (rc) {
        room_server_free(s->rooms);
        mem_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int signal_server_port(const signal_server *s)
{
    return ws_server_port(s->ws);
}

static void ws_closed(void *arg)
{
    signal_server *s = arg;
    void (*cb)(void *) = s->close_cb;
    void *cb_arg = s->close_arg;
    room_server_free(s->rooms);
    mem_free(s);
    if (cb)
        cb(cb_arg);
}

void signal_server_close(signal_server *s, void (*cb)(void *arg), void *arg)
{
    s->close_cb = cb;
    s->close_arg = arg;
    ws_server_close(s->ws, ws_closed, s);
}
