/*
 * meshrtc-signal's server: the WebSocket layer (apps/common/ws.h) wired to the room logic
 * (room.h) on a caller's loop, so the program and the tests run the same code.
 */
#ifndef APPS_SIGNAL_SERVER_H
#define APPS_SIGNAL_SERVER_H

#include "apps/signal/room.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

typedef struct signal_server signal_server;

typedef struct signal_server_config {
    const char *host;          /* "127.0.0.1" */
    int port;                  /* 8787; 0: the kernel picks */
    room_config room;          /* rooms, limits, ICE servers, TURN secret */
    uint32_t ping_interval_ms; /* 20000 */
    uint32_t idle_timeout_ms;  /* 60000 */
    FILE *log;                 /* joins, leaves, refusals, one timestamped line each; stderr;
                                  NULL: silent */
    const char *tls_cert;      /* PEM certificate file: https:// and wss://; NULL: plain */
    const char *tls_key;       /* PEM private key file, with tls_cert */
    bool page;                 /* serve the browser page (web.h) at /, /app.js, /style.css;
                                  false (every GET is a 404); the program sets it */
} signal_server_config;

void signal_server_config_init(signal_server_config *cfg);

/* Listens on ws://HOST:PORT/ws (and serves the page over HTTP on the same port when
 * cfg->page). Returns 0, or a negative MRTC_* code with a one-line reason
 * in `err`: MRTC_EINVAL for a bad room configuration, MRTC_EADDR when it cannot listen. */
int signal_server_start(uv_loop_t *loop, const signal_server_config *cfg, signal_server **out,
                        char *err, size_t errlen);

int signal_server_port(const signal_server *s);

/* Closes every connection (going-away), releases everything, then calls `cb` (may be
 * NULL). */
void signal_server_close(signal_server *s, void (*cb)(void *arg), void *arg);

/* Writes "<UTC time> <line>\n" to `f` (the server log format). */
void signal_server_log(FILE *f, const char *line);

#endif
