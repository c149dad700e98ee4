/*
 * libFuzzer target for the ws:// and wss:// URL parser (apps/common/url.c), which reads a
 * command-line argument of meshrtc-call. The input, cut at its first NUL, is one URL.
 *
 * A URL that parses must give parts within their documented ranges (port 1-65535, a
 * non-empty host without '@' or, unbracketed, without ":/?#", a path that starts with '/',
 * is printable ASCII without '#' and is the tail of the input), must say TLS exactly for
 * wss://, and must parse again, rebuilt from its parts with an explicit port, to the same
 * parts. A URL that does not parse must say why, and give the same answer without an error
 * buffer and with a tiny one. Any breach aborts. It does not judge which characters a
 * host name may hold: the parser leaves that to name resolution.
 */
#include "apps/common/url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_URL 8192

static void require(int cond, const char *what, const char *url)
{
    if (!cond) {
        fprintf(stderr, "fuzz_url: %s (url \"%s\")\n", what, url);
        abort();
    }
}

static void check_parts(const url_parts *u, const char *url, int bracketed)
{
    require(u->port >= 1 && u->port <= 65535, "port out of range", url);
    size_t hlen = strnlen(u->host, sizeof(u->host));
    require(hlen > 0 && hlen < sizeof(u->host), "host empty or unterminated", url);
    require(!strchr(u->host, '@'), "host holds user information", url);
    if (bracketed)
        require(!strchr(u->host, ']'), "bracketed host holds ']'", url);
    else
        require(!strpbrk(u->host, ":/?#"), "host holds a delimiter", url);
    size_t plen = strnlen(u->path, sizeof(u->path));
    require(plen > 0 && plen < sizeof(u->path), "path empty or unterminated", url);
    require(u->path[0] == '/', "path does not start with '/'", url);
    for (size_t i = 0; i < plen; i++)
        require((unsigned char)u->path[i] > ' ' && (unsigned char)u->path[i] < 0x7f,
                "path is not printable ASCII", url);
    require(!strchr(u->path, '#'), "path holds a fragment", url);
}

static int same_parts(const url_parts *a, const url_parts *b)
{
    return a->tls == b->tls && a->port == b->port && strcmp(a->host, b->host) == 0 &&
           strcmp(a->path, b->path) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char url[MAX_URL + 1];
    static char rebuilt[sizeof(((url_parts *)0)->host) + sizeof(((url_parts *)0)->path) + 32];
    if (size > MAX_URL)
        size = MAX_URL;
    memcpy(url, data, size);
    url[size] = '\0';

    url_parts u, v;
    char err[512] = "";
    int r = url_parse(url, &u, err, sizeof(err));
    require(r == 0 || r == -1, "undocumented return value", url);

    url_parts w;
    require(url_parse(url, &w, NULL, 0) == r, "answer depends on the error buffer", url);
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    require(url_parse(url, &w, tiny, sizeof(tiny)) == r, "answer depends on the error buffer", url);
    require(url_parse(url, &w, tiny, 0) == r, "answer depends on the error buffer", url);

    if (r != 0) {
        /* The reason quotes the URL as given, control characters included. */
        require(strncmp(err, "invalid URL \"", 13) == 0, "failure without a reason", url);
        require(memchr(tiny, '\0', sizeof(tiny)) != NULL, "reason overflows a small buffer", url);
        return 0;
    }
    require(same_parts(&u, &w), "two parses of one URL differ", url);

    int tls = strncasecmp(url, "wss://", 6) == 0;
    require(u.tls == tls, "TLS flag does not match the scheme", url);
    const char *authority = url + (tls ? 6 : 5);
    int bracketed = authority[0] == '[';
    check_parts(&u, url, bracketed);

    /* The path is the input's tail, with a '/' put in front of a bare "?query" or "". */
    size_t ulen = strlen(url), plen = strlen(u.path);
    int given_as_is = plen <= ulen && strcmp(url + ulen - plen, u.path) == 0;
    if (!given_as_is) {
        require(plen - 1 <= ulen && strcmp(url + ulen - (plen - 1), u.path + 1) == 0 &&
                    (u.path[1] == '?' || u.path[1] == '\0'),
                "path is not the tail of the URL", url);
    }
    /* Without ":PORT" right after the host the scheme's default applies. */
    const char *after = authority + strlen(u.host) + (bracketed ? 2 : 0);
    if (*after != ':')
        require(u.port == (tls ? 443 : 80), "default port wrong", url);

    int n = snprintf(rebuilt, sizeof(rebuilt), "%s://%s%s%s:%d%s", tls ? "wss" : "ws",
                     bracketed ? "[" : "", u.host, bracketed ? "]" : "", u.port, u.path);
    require(n > 0 && (size_t)n < sizeof(rebuilt), "rebuilt URL does not fit", url);
    static char err2[sizeof(rebuilt) + 128]; /* the reason quotes the whole URL */
    int r2 = url_parse(rebuilt, &v, err2, sizeof(err2));
    require(r2 == 0, "rebuilt URL does not parse", rebuilt);
    require(same_parts(&u, &v), "rebuilt URL parses to other parts", rebuilt);
    return 0;
}
