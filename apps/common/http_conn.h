/*
 * A small HTTP/1.1 client and server over libuv TCP (one request per connection,
 * "Connection: close"), for meshrtc-call's SDP-over-HTTP and WHIP dialects. Messages are
 * parsed by http_msg.c. Everything runs on the caller's loop; memory comes from apps/common
 * mem.h.
 */
#ifndef APPS_COMMON_HTTP_CONN_H
#define APPS_COMMON_HTTP_CONN_H

#include "apps/common/http_msg.h"

#include <stddef.h>
#include <uv.h>

/* ---- client ---- */

typedef struct http_client http_client;

/* The outcome of a request: `resp` is the response (NULL when none arrived: `error` says
 * why in one line). Both are valid only during the call. The client frees itself after
 * the callback returns. */
typedef void (*http_client_cb)(void *user, const http_msg *resp, const char *error);

typedef struct http_request {
    const char *method; /* "POST", "DELETE", ... */
    const http_url *url;
    const char *content_type;  /* NULL: no Content-Type (and no body expected) */
    const char *authorization; /* NULL: none; else the whole value ("Bearer x") */
    const char *accept;        /* NULL: none */
    const char *body;
    size_t body_len;
    size_t max_response; /* the largest response body accepted */
    unsigned timeout_ms; /* the whole exchange, name resolution included */
} http_request;

/* Starts a request (all of `req` is copied). 0 and *out (may be NULL when the caller does
 * not cancel), or MRTC_ENOMEM / MRTC_EINVAL; on failure the callback is never called. */
int http_client_start(uv_loop_t *loop, const http_request *req, http_client_cb cb, void *user,
                      http_client **out);

/* Abandons a request still in flight: the callback is never called. The handles close on
 * the loop, then the memory is freed. */
void http_client_cancel(http_client *h);

/* ---- server ---- */

typedef struct http_server http_server;
typedef struct http_conn http_conn;

/* A complete, well-formed request (malformed ones were answered 400/413 already). The
 * handler answers with http_conn_reply(), now or later. `req` is valid during the call. */
typedef void (*http_server_request_cb)(void *user, http_conn *conn, const http_msg *req);
/* A connection whose request had been delivered closed before it was answered: forget
 * `conn` (it is being freed). */
typedef void (*http_server_gone_cb)(void *user, http_conn *conn);

/* Listens on a numeric address (IPv4 or IPv6) and port (0: the kernel picks; see
 * http_server_port()). Requests of more than max_body bytes of body are answered 413. 0, or
 * a negative libuv error (an address that does not parse is UV_EINVAL) with no server. */
int http_server_start(uv_loop_t *loop, const char *host, int port, size_t max_body,
                      http_server_request_cb on_request, http_server_gone_cb on_gone,
                      void *user, http_server **out);

/* The port it listens on. */
int http_server_port(const http_server *s);

/* Sends the response (status, optional extra header lines each ending in "\r\n", a body of
 * body_len bytes with its Content-Type) and closes the connection once written. At most
 * once per connection; `conn` must not be used after. */
void http_conn_reply(http_conn *conn, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t body_len);

/* Stops listening and closes every connection (unanswered ones without a response, without
 * the gone callback). The memory is freed once the handles closed. */
void http_server_close(http_server *s);

#endif
