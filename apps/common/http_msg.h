/*
 * HTTP/1.1 messages without I/O (RFC 9112): parsing one request or response from the bytes
 * received so far, and the http:// URLs meshrtc-call signals to. Used by the small HTTP
 * client and server of apps/common/http_conn.c.
 */
#ifndef APPS_COMMON_HTTP_MSG_H
#define APPS_COMMON_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 16384 /* request or status line plus headers, bytes */

/* One parsed message. Strings are copies (NUL-terminated, cut never: a longer value is an
 * error); `body` points into the buffer given to http_msg_parse(). */
typedef struct http_msg {
    /* request */
    char method[16];
    char target[2048];
    /* response */
    int status; /* 100-999 */
    char reason[128];
    /* headers the apps use (case-insensitive names); "" when absent */
    char content_type[128];
    char authorization[1024];
    char location[2048];
    bool has_length;       /* Content-Length was given */
    size_t content_length; /* its value */
    bool connection_close; /* Connection: close */
    /* body */
    const char *body;
    size_t body_len;
} http_msg;

/* Parses one message from `buf` (len bytes received so far). `request`: a request (method,
 * target, version), else a response (version, status, reason). A body is delimited by
 * Content-Length; a response without one ends at the end of the connection (`eof` true: no
 * more bytes will come); a request without one has no body. Transfer-Encoding is refused.
 * Returns the number of bytes the message took (> 0) when it is complete, 0 when more bytes
 * are needed, MRTC_EPROTO for a malformed message (a one-line reason in `why`, which may be
 * NULL), MRTC_ETOOBIG when the head exceeds HTTP_HEAD_MAX or the body `max_body` bytes
 * (also known before the body arrived, from Content-Length). */
int http_msg_parse(const char *buf, size_t len, bool request, bool eof, size_t max_body,
                   http_msg *out, char *why, size_t whylen);

/* An http:// URL (no https): HOST[:PORT][/PATH[?QUERY]], HOST a name, an IPv4 address or a
 * bracketed IPv6 address; port 80 when none, 0 when the URL says 0 (a server's any port). */
typedef struct http_url {
    char host[256];
    int port;        /* 0-65535 */
    char path[2048]; /* starts with '/' */
} http_url;

/* Parses "http://..." (or, with `scheme` "whip+http", "whip+http://..."). 0, or -1 with a
 * one-line reason in `why` (may be NULL). */
int http_url_parse(const char *url, const char *scheme, http_url *out, char *why,
                   size_t whylen);

/* Resolves a Location header value against `base` (RFC 9110 section 10.2.2): an absolute
 * http:// URL, an absolute path ("/x"), or a path relative to base's directory. 0, or -1
 * when the result is not a usable http:// URL. */
int http_url_resolve(const http_url *base, const char *location, http_url *out);

#endif
