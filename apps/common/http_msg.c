/*
 * HTTP/1.1 message parsing (RFC 9112 sections 2-6) for the SDP-over-HTTP and WHIP dialects
 * of meshrtc-call: the request line or status line, header fields (the few the apps read are
 * copied out: Content-Length, Content-Type, Authorization, Location, Connection), and a body
 * delimited by Content-Length or, for a response, by the end of the connection. Lines end in
 * CRLF (a bare LF is accepted, RFC 9112 section 2.2).
 *
 * It deliberately does not support Transfer-Encoding (chunked bodies are refused: our peers
 * send Content-Length), obsolete line folding, HTTP/0.9 or pipelining beyond reporting how
 * many bytes the message took. http:// URLs are parsed with the ws:// parser of url.c (the
 * same authority and path rules); https is not supported.
 */
#include "apps/common/http_msg.h"

#include "apps/common/url.h"

#include <meshrtc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

__attribute__((format(printf, 4, 5))) static int fail(int code, char *why, size_t whylen,
                                                      const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* RFC 9110 section 5.6.2 tchar. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Copies [s, s+n) into dst (cap bytes) with the NUL; false when it does not fit. */
static bool copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* The end of the head: the offset after the empty line, 0 when not there yet. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static bool version_ok(const char *s, size_t n)
{
    return n == 8 && memcmp(s, "HTTP/1.", 7) == 0 && (s[7] == '0' || s[7] == '1');
}

static int parse_request_line(const char *s, size_t n, http_msg *m, char *why, size_t whylen)
{
    const char *sp1 = memchr(s, ' ', n);
    if (!sp1 || sp1 == s)
        return fail(MRTC_EPROTO, why, whylen, "malformed request line");
    const char *rest = sp1 + 1;
    const char *sp2 = memchr(rest, ' ', (size_t)(s + n - rest));
    if (!sp2 || sp2 == rest)
        return fail(MRTC_EPROTO, why, whylen, "malformed request line");
    for (const char *q = s; q < sp1; q++)
        if (!is_tchar((unsigned char)*q))
            return fail(MRTC_EPROTO, why, whylen, "malformed method");
    for (const char *q = rest; q < sp2; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
            return fail(MRTC_EPROTO, why, whylen, "malformed request target");
    if (!version_ok(sp2 + 1, (size_t)(s + n - (sp2 + 1))))
        return fail(MRTC_EPROTO, why, whylen, "not an HTTP/1.x request");
    if (!copy(m->method, sizeof(m->method), s, (size_t)(sp1 - s)))
        return fail(MRTC_EPROTO, why, whylen, "method too long");
    if (!copy(m->target, sizeof(m->target), rest, (size_t)(sp2 - rest)))
        return fail(MRTC_ETOOBIG, why, whylen, "request target too long");
    return 0;
}

static int parse_status_line(const char *s, size_t n, http_msg *m, char *why, size_t whylen)
{
    if (n < 12 || !version_ok(s, 8) || s[8] != ' ' || s[9] < '1' || s[9] > '9' || s[10] < '0' ||
        s[10] > '9' || s[11] < '0' || s[11] > '9' || (n > 12 && s[12] != ' '))
        return fail(MRTC_EPROTO, why, whylen, "malformed status line");
    m->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    size_t rn = n > 13 ? n - 13 : 0;
    if (rn >= sizeof(m->reason))
        rn = sizeof(m->reason) - 1; /* the reason phrase is informational: cut it */
    memcpy(m->reason, s + 13 < s + n ? s + 13 : s + n, rn);
    m->reason[rn] = '\0';
    for (char *q = m->reason; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *q = '?';
    return 0;
}

static int parse_length(const char *v, size_t n, http_msg *m, char *why, size_t whylen)
{
    if (n == 0 || n > 15)
        return fail(MRTC_EPROTO, why, whylen, "bad Content-Length");
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return fail(MRTC_EPROTO, why, whylen, "bad Content-Length");
        len = len * 10 + (size_t)(v[i] - '0');
    }
    if (m->has_length && m->content_length != len)
        return fail(MRTC_EPROTO, why, whylen, "conflicting Content-Length fields");
    m->has_length = true;
    m->content_length = len;
    return 0;
}

static bool name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static int parse_field(const char *s, size_t n, http_msg *m, char *why, size_t whylen)
{
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return fail(MRTC_EPROTO, why, whylen, "malformed header field");
    size_t nlen = (size_t)(colon - s);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar((unsigned char)s[i]))
            return fail(MRTC_EPROTO, why, whylen, "malformed header field name");
    const char *v = colon + 1, *end = s + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return fail(MRTC_EPROTO, why, whylen, "control character in a header field");
    }
    if (name_is(s, nlen, "content-length"))
        return parse_length(v, vlen, m, why, whylen);
    if (name_is(s, nlen, "transfer-encoding"))
        return fail(MRTC_EPROTO, why, whylen, "Transfer-Encoding is not supported");
    char *dst = NULL;
    size_t cap = 0;
    if (name_is(s, nlen, "content-type"))
        dst = m->content_type, cap = sizeof(m->content_type);
    else if (name_is(s, nlen, "authorization"))
        dst = m->authorization, cap = sizeof(m->authorization);
    else if (name_is(s, nlen, "location"))
        dst = m->location, cap = sizeof(m->location);
    else if (name_is(s, nlen, "connection"))
        m->connection_close = m->connection_close || (vlen == 5 && strncasecmp(v, "close", 5) == 0);
    if (dst && !copy(dst, cap, v, vlen))
        return fail(MRTC_ETOOBIG, why, whylen, "header field too long");
    return 0;
}

int http_msg_parse(const char *buf, size_t len, bool request, bool eof, size_t max_body,
                   http_msg *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (why && whylen)
        why[0] = '\0';
    size_t head = head_end(buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
    if (!head) {
        if (len >= HTTP_HEAD_MAX)
            return fail(MRTC_ETOOBIG, why, whylen, "header section too large");
        if (eof)
            return fail(MRTC_EPROTO, why, whylen, "connection closed in the header section");
        return 0;
    }
    const char *p = buf, *end = buf + head;
    bool first = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (memchr(p, '\r', n) || memchr(p, '\0', n))
            return fail(MRTC_EPROTO, why, whylen, "stray CR or NUL in the header section");
        int err = 0;
        if (first) {
            err = request ? parse_request_line(p, n, out, why, whylen)
                          : parse_status_line(p, n, out, why, whylen);
            first = false;
        } else if (n) {
            if (*p == ' ' || *p == '\t')
                return fail(MRTC_EPROTO, why, whylen, "obsolete line folding");
            err = parse_field(p, n, out, why, whylen);
        }
        if (err)
            return err;
        p = nl + 1;
    }
    size_t body_len;
    if (out->has_length) {
        if (out->content_length > max_body)
            return fail(MRTC_ETOOBIG, why, whylen, "body of %zu bytes is too large",
                        out->content_length);
        body_len = out->content_length;
        if (len - head < body_len) {
            if (eof)
                return fail(MRTC_EPROTO, why, whylen, "connection closed in the body");
            return 0;
        }
    } else if (request || out->status == 204 || out->status == 304 || out->status < 200) {
        body_len = 0;
    } else {
        /* A response delimited by the end of the connection. */
        if (len - head > max_body)
            return fail(MRTC_ETOOBIG, why, whylen, "body too large");
        if (!eof)
            return 0;
        body_len = len - head;
    }
    out->body = buf + head;
    out->body_len = body_len;
    return (int)(head + body_len);
}

int http_url_parse(const char *url, const char *scheme, http_url *out, char *why,
                   size_t whylen)
{
    memset(out, 0, sizeof(*out));
    const char *want = scheme ? scheme : "http";
    size_t k = strlen(want);
    if (strncasecmp(url, want, k) != 0 || strncmp(url + k, "://", 3) != 0) {
        fail(-1, why, whylen, "invalid URL \"%s\": expected %s://", url, want);
        return -1;
    }
    /* The authority and path rules are those of ws:// (url.c). */
    static const size_t cap = 5 + 256 + 8 + 2048 + 1;
    char ws[5 + 256 + 8 + 2048 + 1];
    size_t rest = strlen(url + k + 3);
    if (rest + 6 > cap) {
        fail(-1, why, whylen, "invalid URL: too long");
        return -1;
    }
    memcpy(ws, "ws://", 5);
    memcpy(ws + 5, url + k + 3, rest + 1);
    /* Port 0 (a server's "any port") is valid here: parse it as port 1, then set 0. */
    bool port0 = false;
    char *auth_end = ws + 5 + strcspn(ws + 5, "/?#");
    if (auth_end - ws >= 7 && auth_end[-1] == '0' && auth_end[-2] == ':' &&
        (auth_end - ws == 7 || auth_end[-3] != ':')) {
        auth_end[-1] = '1';
        port0 = true;
    }
    url_parts parts;
    char err[512];
    int rc = url_parse(ws, &parts, err, sizeof(err));
    if (rc != 0) {
        const char *reason = strstr(err, "\": ");
        fail(-1, why, whylen, "invalid URL \"%s\": %s", url, reason ? reason + 3 : "malformed");
        return -1;
    }
    memcpy(out->host, parts.host, sizeof(out->host));
    out->port = port0 ? 0 : parts.port;
    memcpy(out->path, parts.path, sizeof(out->path));
    return 0;
}

int http_url_resolve(const http_url *base, const char *location, http_url *out)
{
    if (strncasecmp(location, "http://", 7) == 0)
        return http_url_parse(location, "http", out, NULL, 0);
    if (!*location || strstr(location, "://") ||
        (location[0] == '/' && location[1] == '/'))
        return -1;
    for (const char *q = location; *q; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f || *q == '#')
            return -1;
    *out = *base;
    if (location[0] == '/') {
        if (!copy(out->path, sizeof(out->path), location, strlen(location)))
            return -1;
        return 0;
    }
    /* Relative to the directory of base's path (its query dropped). */
    size_t dir = strcspn(base->path, "?");
    while (dir > 0 && base->path[dir - 1] != '/')
        dir--;
    size_t n = strlen(location);
    if (dir + n >= sizeof(out->path))
        return -1;
    memcpy(out->path + dir, location, n + 1);
    return 0;
}
