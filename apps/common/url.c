/*
 * Parses the ws:// and wss:// URLs of RFC 6455 section 3. It does not percent-decode, accept
 * user-info ("user@host") or fragments (RFC 6455 forbids them), or resolve names.
 */
#include "apps/common/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *url, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "invalid URL \"%s\": %s", url, why);
    return -1;
}

int url_parse(const char *url, url_parts *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *p;
    if (strncasecmp(url, "ws://", 5) == 0) {
        p = url + 5;
        out->port = 80;
    } else if (strncasecmp(url, "wss://", 6) == 0) {
        p = url + 6;
        out->tls = true;
        out->port = 443;
    } else {
        return fail(err, errlen, url, "expected ws:// or wss://");
    }

    const char *host_end;
    const char *host = p;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end)
            return fail(err, errlen, url, "unterminated IPv6 address");
        p = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/?#");
        p = host_end;
    }
    size_t hlen = (size_t)(host_end - host);
    if (hlen == 0)
        return fail(err, errlen, url, "no host");
    if (hlen >= sizeof(out->host))
        return fail(err, errlen, url, "host name too long");
    if (memchr(host, '@', hlen))
        return fail(err, errlen, url, "user information is not supported");
    memcpy(out->host, host, hlen);

    if (*p == ':') {
        p++;
        char *end;
        if (*p < '0' || *p > '9')
            return fail(err, errlen, url, "bad port");
        long port = strtol(p, &end, 10);
        if (port < 1 || port > 65535 || (*end && !strchr("/?", *end)))
            return fail(err, errlen, url, "bad port");
        out->port = (int)port;
        p = end;
    } else if (*p && !strchr("/?", *p)) {
        return fail(err, errlen, url, *p == '#' ? "fragments are not allowed" : "bad host");
    }

    if (strchr(p, '#'))
        return fail(err, errlen, url, "fragments are not allowed");
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return fail(err, errlen, url, "path must be printable ASCII without spaces");
    size_t plen = strlen(p);
    /* Room for the path, the '/' added before a bare "?query", and the NUL. */
    if (plen + (*p == '/' ? 1 : 2) > sizeof(out->path))
        return fail(err, errlen, url, "path too long");
    if (*p == '/')
        memcpy(out->path, p, plen);
    else {
        out->path[0] = '/';
        memcpy(out->path + 1, p, plen); /* "?query" or "" */
    }
    return 0;
}
