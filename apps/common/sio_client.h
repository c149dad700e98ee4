/*
 * A Socket.IO 4 client (Engine.IO v4, Socket.IO protocol v5) over the WebSocket client
 * (apps/common/ws_client.c), on the caller's libuv loop, for the default namespace:
 * GET /socket.io/?EIO=4&transport=websocket, wait for the Engine.IO open packet, send the
 * Socket.IO connect "40", wait for "40{"sid":...}", then deliver events and emit them.
 * Pings from the server are answered at once; a server silent for longer than its
 * pingInterval + pingTimeout ends the connection. Packets are parsed by sio_msg.c.
 *
 * Deliberately not done: HTTP long-polling (WebSocket only), reconnection, other
 * namespaces, acknowledgements, binary events, auth payloads.
 */
#ifndef APPS_COMMON_SIO_CLIENT_H
#define APPS_COMMON_SIO_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct sio_client sio_client;

typedef struct sio_client_callbacks {
    /* The Socket.IO connect completed: `sid` is our socket id (the id other clients see). */
    void (*connected)(sio_client *s, const char *sid, void *user);
    /* One event: `args` (borrowed, valid for the call) is the array after the name. */
    void (*event)(sio_client *s, const char *name, const json_t *args, void *user);
    /* Terminal: connecting failed (`was_connected` false) or the connection ended, with one
     * human line. No other callback follows; the owner still calls sio_client_close(). */
    void (*closed)(sio_client *s, bool was_connected, const char *message, void *user);
} sio_client_callbacks;

typedef struct sio_client_config {
    const char *url;             /* http://HOST[:PORT][/PREFIX] or https://...: the server;
                                    "/socket.io/?EIO=4&transport=websocket" is appended */
    size_t max_message;          /* bytes; 4 MiB */
    uint32_t connect_timeout_ms; /* until the Socket.IO connect completes; 10000 */
    sio_client_callbacks cb;
    void *user;
} sio_client_config;

void sio_client_config_init(sio_client_config *cfg);

/* Builds the WebSocket URL of an http(s):// server URL into buf (ws:// or wss://, the path
 * prefix kept, the Engine.IO query appended). Returns 0, or MRTC_EINVAL (not http(s)://,
 * a query or fragment in it, no host) / MRTC_ENOBUFS (does not fit). */
int sio_client_ws_url(const char *url, char *buf, size_t cap);

/* Starts connecting. Returns 0, or MRTC_EINVAL for a malformed URL / MRTC_ENOMEM with a
 * one-line reason in `err`; then no callback ever fires. */
int sio_client_connect(uv_loop_t *loop, const sio_client_config *cfg, sio_client **out, char *err,
                       size_t errlen);

/* Emits `name` with `args` (borrowed; an array or NULL) on the default namespace. Returns
 * 0, MRTC_ESTATE before connected or after the end, MRTC_EINVAL for a bad name or args,
 * MRTC_ENOMEM. */
int sio_client_emit(sio_client *s, const char *name, const json_t *args);

bool sio_client_connected(const sio_client *s);
/* Our socket id once connected, else "". */
const char *sio_client_sid(const sio_client *s);

/* Closes (an Engine.IO close "1" when connected, then the WebSocket), stops every callback,
 * and calls `cb` (may be NULL) once everything is released. Must be called exactly once for
 * every client sio_client_connect() returned. */
void sio_client_close(sio_client *s, void (*cb)(void *arg), void *arg);

#endif
