/*
 * WebSocket URL parsing: ws://HOST[:PORT][/PATH][?QUERY] and wss://..., HOST a name, an
 * IPv4 address or a bracketed IPv6 address.
 */
#ifndef APPS_COMMON_URL_H
#define APPS_COMMON_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct url_parts {
    bool tls;        /* wss:// */
    char host[256];  /* without the brackets of an IPv6 literal */
    int port;        /* 1-65535; 80 or 443 when the URL gives none */
    char path[2048]; /* starts with '/'; includes the query; "/" when the URL gives none */
} url_parts;

/* Returns 0, or -1 with a one-line reason in `err` (which may be NULL). */
int url_parse(const char *url, url_parts *out, char *err, size_t errlen);

#endif
