/*
 * WebSocket server and client on the caller's libuv loop (libwebsockets with its libuv
 * event library on a foreign loop; docs/decisions.md says why and how).
 *
 * Rules shared by both halves, in the spirit of libuv:
 * - everything runs on the loop's thread; nothing blocks (the client resolves names with
 *   uv_getaddrinfo);
 * - callbacks are never delivered from inside an API call; calling any API, close
 *   included, from inside a callback is safe;
 * - after *_close() no callback fires but the close callback, which runs once every
 *   resource (lws context, uv handles) is released; the loop can then end;
 * - messages are delivered whole: the layer reassembles fragments up to a size limit and
 *   reports larger messages by their length with data == NULL.
 */
#ifndef APPS_COMMON_WS_H
#define APPS_COMMON_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct ws_server ws_server;
typedef struct ws_conn ws_conn;
typedef struct ws_client ws_client;

/* ---- server ---- */

/* A static HTTP response for GET requests on `path` (the hook a later browser page uses). */
typedef struct ws_http_page {
    const char *path;         /* "/" */
    const char *content_type; /* "text/html; charset=utf-8" */
    const void *body;
    size_t len;
} ws_http_page;

typedef struct ws_server_callbacks {
    /* A WebSocket handshake on the configured path completed. */
    void (*open)(ws_server *s, ws_conn *c, void *user);
    /* A whole message. `data` is NULL (and `len` its full length) when it exceeded
     * max_message; `data` is valid for the call only and is not NUL-terminated. */
    void (*message)(ws_server *s, ws_conn *c, const char *data, size_t len, bool binary,
                    void *user);
    /* The connection is gone; `why` says how ("closed by peer", "idle timeout", ...).
     * `c` is freed when the callback returns. */
    void (*close)(ws_server *s, ws_conn *c, const char *why, void *user);
} ws_server_callbacks;

typedef struct ws_server_config {
    const char *host;          /* address or name to listen on; "127.0.0.1" */
    int port;                  /* 0: the kernel picks (see ws_server_port) */
    const char *path;          /* WebSocket path; "/ws" */
    size_t max_message;        /* bytes; 256 KiB */
    size_t max_queued;         /* bytes queued to one connection before it is dropped; 8 MiB */
    uint32_t ping_interval_ms; /* WebSocket pings to every connection; 20000; 0: none */
    uint32_t idle_timeout_ms;  /* drop a connection silent this long; 60000; 0: never */
    const char *tls_cert;      /* PEM certificate (chain) file: serve https:// and wss://;
                                  NULL: plain TCP */
    const char *tls_key;       /* PEM private key file; needed with tls_cert */
    const ws_http_page *pages; /* borrowed: must outlive the server; other GETs get 404 */
    size_t n_pages;
    ws_server_callbacks cb;
    void *user;
} ws_server_config;

void ws_server_config_init(ws_server_config *cfg);

/* Starts listening. Returns 0, or a negative MRTC_* code with a one-line reason in `err`
 * (e.g. "cannot listen on 127.0.0.1:8787: address already in use"). */
int ws_server_start(uv_loop_t *loop, const ws_server_config *cfg, ws_server **out, char *err,
                    size_t errlen);

int ws_server_port(const ws_server *s); /* the port actually bound */
size_t ws_server_conn_count(const ws_server *s);
ws_conn *ws_server_find(ws_server *s, uint64_t id); /* NULL when gone */

/* Sends a going-away close to every connection, waits up to a second for them to finish,
 * then releases everything and calls `cb` (which may be NULL). */
void ws_server_close(ws_server *s, void (*cb)(void *arg), void *arg);

uint64_t ws_conn_id(const ws_conn *c);      /* unique per server, from 1 */
const char *ws_conn_peer(const ws_conn *c); /* remote address, for logs */

/* Queues a text frame. Returns 0, MRTC_ECLOSED once the connection is closing, MRTC_ENOMEM;
 * a connection whose queue passes max_queued is dropped ("send queue full"). */
int ws_conn_send(ws_conn *c, const char *data, size_t len);

/* Closes after the frames queued so far are sent, with a close frame (RFC 6455 status
 * `code`, `reason` up to 120 bytes). */
void ws_conn_close(ws_conn *c, int code, const char *reason);

/* ---- client ---- */

typedef struct ws_client_callbacks {
    void (*open)(ws_client *c, void *user);
    void (*message)(ws_client *c, const char *data, size_t len, bool binary, void *user);
    /* Terminal: the connection failed (`was_open` false: name resolution, TCP connect or
     * handshake) or ended. `message` is one human line naming the URL, e.g. "cannot connect
     * to ws://127.0.0.1:9/ws: connection refused". No other callback follows; the owner
     * still calls ws_client_close() to release the client. */
    void (*closed)(ws_client *c, bool was_open, const char *message, void *user);
} ws_client_callbacks;

typedef struct ws_client_config {
    const char *url;             /* ws://HOST[:PORT]/PATH; wss:// uses TLS (system CAs) */
    size_t max_message;          /* bytes; larger messages arrive with data NULL; 4 MiB */
    uint32_t connect_timeout_ms; /* 10000 */
    ws_client_callbacks cb;
    void *user;
} ws_client_config;

void ws_client_config_init(ws_client_config *cfg);

/* Starts connecting. Returns 0, or MRTC_EINVAL for a malformed URL / MRTC_ENOMEM, with a
 * one-line reason in `err`; then no callback ever fires. */
int ws_client_connect(uv_loop_t *loop, const ws_client_config *cfg, ws_client **out, char *err,
                      size_t errlen);

/* Queues a text frame. Returns 0, MRTC_ESTATE before open or after close, MRTC_ENOMEM. */
int ws_client_send(ws_client *c, const char *data, size_t len);
bool ws_client_is_open(const ws_client *c);
const char *ws_client_url(const ws_client *c);

/* Closes (a normal close frame when open, after the queued frames), stops every callback,
 * and calls `cb` (may be NULL) once everything is released. Must be called exactly once
 * for every client ws_client_connect() returned, also after `closed` fired. */
void ws_client_close(ws_client *c, void (*cb)(void *arg), void *arg);

#endif
