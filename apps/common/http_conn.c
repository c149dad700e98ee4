/*
 * A small HTTP/1.1 client and server over libuv TCP (RFC 9112), enough for posting an SDP
 * offer and reading the answer (meshrtc-call's SDP-over-HTTP and WHIP dialects): one request
 * per connection, both sides send "Connection: close". The client resolves the host with
 * uv_getaddrinfo, connects to the first address, writes the request and reads the response
 * until http_msg_parse() says it is complete (or the connection ends), under one timeout.
 * The server reads one request per connection (bad ones are answered 400 or 413 here),
 * hands it to its callback, writes the response when the callback answers, then shuts the
 * write side down and drains what the client still sends until it closes, so a response to
 * a request whose body was not read is not lost to a reset.
 *
 * It does not do TLS, keep-alive, pipelining, chunked bodies, redirects or proxies.
 */
#include "apps/common/http_conn.h"

#include "apps/common/mem.h"

#include <meshrtc.h>
#include <stdio.h>
#include <string.h>

#define SERVER_MAX_CONNS 64
#define REASON_MAX 256

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* Appends to a growing buffer; false when out of memory. */
static bool buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 4096;
        while (want < *len + n + 1)
            want *= 2;
        char *b = mem_realloc(*buf, want);
        if (!b)
            return false;
        *buf = b;
        *cap = want;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char slab[65536]; /* one loop thread; the data is copied out in the read callback */
    *buf = uv_buf_init(slab, sizeof(slab));
}

/* ================================ client ================================ */

struct http_client {
    uv_loop_t *loop;
    http_client_cb cb;
    void *user;
    http_url url;
    size_t max_response;
    char *out;
    size_t out_len;
    char *in;
    size_t in_len, in_cap;
    uv_getaddrinfo_t gai;
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uv_timer_t timer;
    bool gai_busy, tcp_open, done, cancelled;
    int handles; /* open handles (timer, tcp) */
};

static void client_maybe_free(http_client *h)
{
    if (h->handles > 0 || h->gai_busy)
        return;
    mem_free(h->out);
    mem_free(h->in);
    mem_free(h);
}

static void client_handle_closed(uv_handle_t *hd)
{
    http_client *h = hd->data;
    h->handles--;
    client_maybe_free(h);
}

/* Ends the exchange once: the callback (unless cancelled), then the handles close. */
static void client_finish(http_client *h, const http_msg *resp, const char *error)
{
    if (h->done)
        return;
    h->done = true;
    uv_timer_stop(&h->timer);
    if (!h->cancelled && h->cb)
        h->cb(h->user, resp, error);
    if (h->gai_busy)
        uv_cancel((uv_req_t *)&h->gai);
    uv_close((uv_handle_t *)&h->timer, client_handle_closed);
    if (h->tcp_open)
        uv_close((uv_handle_t *)&h->tcp, client_handle_closed);
}

static void client_fail(http_client *h, const char *fmt, const char *detail)
{
    char line[REASON_MAX + 2048];
    snprintf(line, sizeof(line), fmt, h->url.host, h->url.port, detail);
    client_finish(h, NULL, line);
}

static void client_parse(http_client *h, bool eof)
{
    http_msg *m = mem_calloc(1, sizeof(*m)); /* large: not on the stack */
    char why[REASON_MAX];
    if (!m) {
        client_fail(h, "http://%s:%d: %s", "out of memory");
        return;
    }
    int rc = h->in ? http_msg_parse(h->in, h->in_len, false, eof, h->max_response, m, why,
                                    sizeof(why))
                   : (eof ? MRTC_EPROTO : 0);
    if (!h->in && eof)
        snprintf(why, sizeof(why), "connection closed without a response");
    if (rc > 0)
        client_finish(h, m, NULL);
    else if (rc < 0)
        client_fail(h, "bad response from http://%s:%d: %s", why);
    mem_free(m);
}

static void client_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    http_client *h = s->data;
    if (h->done || n == 0)
        return;
    if (n < 0) {
        if (n == UV_EOF)
            client_parse(h, true);
        else
            client_fail(h, "http://%s:%d: %s", uv_strerror((int)n));
        return;
    }
    if (!buf_append(&h->in, &h->in_len, &h->in_cap, buf->base, (size_t)n)) {
        client_fail(h, "http://%s:%d: %s", "out of memory");
        return;
    }
    client_parse(h, false);
}

static void client_on_write(uv_write_t *w, int status)
{
    http_client *h = w->data;
    if (status < 0 && !h->done)
        client_fail(h, "cannot send the request to http://%s:%d: %s", uv_strerror(status));
}

static void client_on_connect(uv_connect_t *req, int status)
{
    http_client *h = req->data;
    if (h->done)
        return;
    if (status < 0) {
        client_fail(h, "cannot connect to http://%s:%d: %s", uv_strerror(status));
        return;
    }
    uv_buf_t b = uv_buf_init(h->out, (unsigned)h->out_len);
    h->write.data = h;
    int err = uv_write(&h->write, (uv_stream_t *)&h->tcp, &b, 1, client_on_write);
    if (!err)
        err = uv_read_start((uv_stream_t *)&h->tcp, alloc_cb, client_on_read);
    if (err)
        client_fail(h, "cannot send the request to http://%s:%d: %s", uv_strerror(err));
}

static void client_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    http_client *h = req->data;
    h->gai_busy = false;
    if (h->done) {
        uv_freeaddrinfo(res);
        client_maybe_free(h);
        return;
    }
    if (status < 0 || !res) {
        uv_freeaddrinfo(res);
        client_fail(h, "cannot resolve %s (port %d): %s",
                    status < 0 ? uv_strerror(status) : "no address");
        return;
    }
    int err = uv_tcp_init(h->loop, &h->tcp);
    if (!err) {
        h->tcp_open = true;
        h->handles++;
        h->tcp.data = h;
        h->connect.data = h;
        err = uv_tcp_connect(&h->connect, &h->tcp, res->ai_addr, client_on_connect);
    }
    uv_freeaddrinfo(res);
    if (err)
        client_fail(h, "cannot connect to http://%s:%d: %s", uv_strerror(err));
}

static void client_on_timeout(uv_timer_t *t)
{
    http_client *h = t->data;
    client_fail(h, "http://%s:%d: %s", "no response in time");
}

static bool header_value_ok(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int http_client_start(uv_loop_t *loop, const http_request *req, http_client_cb cb, void *user,
                      http_client **out)
{
    if (out)
        *out = NULL;
    if (!req->method || !req->url || !header_value_ok(req->content_type) ||
        !header_value_ok(req->authorization) || !header_value_ok(req->accept))
        return MRTC_EINVAL;
    http_client *h = mem_calloc(1, sizeof(*h));
    if (!h)
        return MRTC_ENOMEM;
    h->loop = loop;
    h->cb = cb;
    h->user = user;
    h->url = *req->url;
    h->max_response = req->max_response;
    bool v6 = strchr(h->url.host, ':') != NULL;
    char head[8192];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nConnection: close\r\n"
                     "User-Agent: meshrtc-call\r\n",
                     req->method, h->url.path, v6 ? "[" : "", h->url.host, v6 ? "]" : "",
                     h->url.port);
    size_t cap = 0;
    bool ok = n > 0 && (size_t)n < sizeof(head) &&
              buf_append(&h->out, &h->out_len, &cap, head, (size_t)n);
    if (ok && req->authorization) {
        n = snprintf(head, sizeof(head), "Authorization: %s\r\n", req->authorization);
        ok = n > 0 && (size_t)n < sizeof(head) &&
             buf_append(&h->out, &h->out_len, &cap, head, (size_t)n);
    }
    if (ok && req->accept) {
        n = snprintf(head, sizeof(head), "Accept: %s\r\n", req->accept);
        ok = n > 0 && (size_t)n < sizeof(head) &&
             buf_append(&h->out, &h->out_len, &cap, head, (size_t)n);
    }
    if (ok) {
        if (req->content_type)
            n = snprintf(head, sizeof(head), "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                         req->content_type, req->body_len);
        else
            n = snprintf(head, sizeof(head), "Content-Length: %zu\r\n\r\n", req->body_len);
        ok = n > 0 && (size_t)n < sizeof(head) &&
             buf_append(&h->out, &h->out_len, &cap, head, (size_t)n) &&
             (!req->body_len || buf_append(&h->out, &h->out_len, &cap, req->body, req->body_len));
    }
    if (!ok) {
        mem_free(h->out);
        mem_free(h);
        return MRTC_ENOMEM;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", h->url.port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    h->gai.data = h;
    int err = uv_getaddrinfo(loop, &h->gai, client_on_resolved, h->url.host, port, &hints);
    if (err) {
        mem_free(h->out);
        mem_free(h);
        return MRTC_EINVAL;
    }
    h->gai_busy = true;
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    h->handles++;
    uv_timer_start(&h->timer, client_on_timeout, req->timeout_ms ? req->timeout_ms : 10000, 0);
    if (out)
        *out = h;
    return 0;
}

void http_client_cancel(http_client *h)
{
    if (!h)
        return;
    h->cancelled = true;
    client_finish(h, NULL, NULL);
}

/* ================================ server ================================ */

struct http_conn {
    http_conn *next;
    http_server *srv;
    uv_tcp_t tcp;
    uv_write_t write;
    uv_shutdown_t shutdown;
    char *in;
    size_t in_len, in_cap;
    char *out;
    bool delivered, replied, draining, closing;
};

struct http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    size_t max_body;
    http_server_request_cb on_request;
    http_server_gone_cb on_gone;
    void *user;
    http_conn *conns;
    size_t n_conns;
    bool closing, listener_closed;
};

static void server_maybe_free(http_server *s)
{
    if (s->closing && s->listener_closed && !s->conns)
        mem_free(s);
}

static void conn_closed(uv_handle_t *hd)
{
    http_conn *c = hd->data;
    http_server *s = c->srv;
    for (http_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    s->n_conns--;
    mem_free(c->in);
    mem_free(c->out);
    mem_free(c);
    server_maybe_free(s);
}

static void conn_close(http_conn *c, bool notify)
{
    if (c->closing)
        return;
    c->closing = true;
    if (notify && c->delivered && !c->replied && c->srv->on_gone && !c->srv->closing)
        c->srv->on_gone(c->srv->user, c);
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void conn_on_shutdown(uv_shutdown_t *req, int status)
{
    http_conn *c = req->data;
    if (status < 0)
        conn_close(c, false);
}

static void conn_on_write(uv_write_t *w, int status)
{
    http_conn *c = w->data;
    if (c->closing)
        return;
    c->shutdown.data = c;
    if (status < 0 || uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, conn_on_shutdown) != 0)
        conn_close(c, false);
}

static void conn_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

void http_conn_reply(http_conn *c, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t body_len)
{
    if (c->replied || c->closing)
        return;
    c->replied = true;
    char head[4096];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nConnection: close\r\n%s%s%sContent-Length: %zu\r\n%s\r\n",
                     status, status_text(status), content_type ? "Content-Type: " : "",
                     content_type ? content_type : "", content_type ? "\r\n" : "", body_len,
                     extra_headers ? extra_headers : "");
    size_t len = 0, cap = 0;
    if (n <= 0 || (size_t)n >= sizeof(head) || !buf_append(&c->out, &len, &cap, head, (size_t)n) ||
        (body_len && !buf_append(&c->out, &len, &cap, body, body_len))) {
        conn_close(c, false);
        return;
    }
    /* Whatever the client still sends is read and dropped until it closes. */
    c->draining = true;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, conn_on_read);
    uv_buf_t b = uv_buf_init(c->out, (unsigned)len);
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, conn_on_write) != 0)
        conn_close(c, false);
}

/* A plain-text error response with its one-line reason. */
static void conn_error(http_conn *c, int status, const char *why)
{
    char body[REASON_MAX + 2];
    int n = snprintf(body, sizeof(body), "%s\n", why);
    http_conn_reply(c, status, "text/plain; charset=utf-8", NULL, body,
                    n > 0 ? (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1 : 0);
}

static void conn_try_parse(http_conn *c, bool eof)
{
    http_server *s = c->srv;
    http_msg *m = mem_calloc(1, sizeof(*m));
    if (!m) {
        conn_close(c, false);
        return;
    }
    char why[REASON_MAX];
    int rc = http_msg_parse(c->in ? c->in : "", c->in_len, true, eof, s->max_body, m, why,
                            sizeof(why));
    if (rc > 0) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->delivered = true;
        s->on_request(s->user, c, m);
    } else if (rc == MRTC_ETOOBIG) {
        conn_error(c, 413, why);
    } else if (rc < 0) {
        if (c->in_len == 0)
            conn_close(c, false); /* connected and closed without a byte */
        else
            conn_error(c, 400, why);
    }
    mem_free(m);
}

static void conn_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    http_conn *c = st->data;
    if (c->closing || n == 0)
        return;
    if (c->draining) {
        if (n < 0)
            conn_close(c, false);
        return;
    }
    if (n < 0) {
        if (n == UV_EOF && !c->delivered)
            conn_try_parse(c, true);
        else if (n != UV_EOF)
            conn_close(c, true);
        return;
    }
    if (c->delivered)
        return;
    if (!buf_append(&c->in, &c->in_len, &c->in_cap, buf->base, (size_t)n)) {
        conn_close(c, false);
        return;
    }
    conn_try_parse(c, false);
}

static void server_on_connection(uv_stream_t *ls, int status)
{
    http_server *s = ls->data;
    if (status < 0 || s->closing)
        return;
    http_conn *c = mem_calloc(1, sizeof(*c));
    if (!c || uv_tcp_init(s->loop, &c->tcp) != 0) {
        mem_free(c);
        return;
    }
    c->srv = s;
    c->tcp.data = c;
    c->next = s->conns;
    s->conns = c;
    s->n_conns++;
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0 || s->n_conns > SERVER_MAX_CONNS ||
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, conn_on_read) != 0)
        conn_close(c, false);
}

static void listener_closed(uv_handle_t *h)
{
    http_server *s = h->data;
    s->listener_closed = true;
    server_maybe_free(s);
}

int http_server_start(uv_loop_t *loop, const char *host, int port, size_t max_body,
                      http_server_request_cb on_request, http_server_gone_cb on_gone,
                      void *user, http_server **out)
{
    *out = NULL;
    struct sockaddr_storage ss;
    int err = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (err)
        err = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    if (err)
        return UV_EINVAL;
    http_server *s = mem_calloc(1, sizeof(*s));
    if (!s)
        return UV_ENOMEM;
    s->loop = loop;
    s->max_body = max_body;
    s->on_request = on_request;
    s->on_gone = on_gone;
    s->user = user;
    err = uv_tcp_init(loop, &s->listener);
    if (err) {
        mem_free(s);
        return err;
    }
    s->listener.data = s;
    err = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (!err)
        err = uv_listen((uv_stream_t *)&s->listener, 16, server_on_connection);
    if (err) {
        s->closing = true;
        uv_close((uv_handle_t *)&s->listener, listener_closed);
        return err;
    }
    *out = s;
    return 0;
}

int http_server_port(const http_server *s)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void http_server_close(http_server *s)
{
    if (!s || s->closing)
        return;
    s->closing = true;
    for (http_conn *c = s->conns; c; c = c->next)
        conn_close(c, false);
    uv_close((uv_handle_t *)&s->listener, listener_closed);
}
