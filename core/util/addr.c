/*
 * Numeric address parsing and formatting over inet_pton/inet_ntop, classification for ICE
 * (RFC 8445 section 5.1.1.1 excludes loopback unless nothing else is up, IPv4-mapped and
 * site-local addresses), and sockaddr conversion for the runtime.
 */
#include "core/util/addr.h"

#include "meshrtc/error.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mrtc_addr_parse_ip(mrtc_addr *out, const char *ip, uint16_t port)
{
    mrtc_addr a = {.port = port};
    char tmp[64];
    if (!ip)
        return MRTC_EINVAL;
    size_t n = strlen(ip);
    if (n == 0 || n >= sizeof tmp)
        return MRTC_EINVAL;
    memcpy(tmp, ip, n + 1);
    if (inet_pton(AF_INET, tmp, a.ip) == 1) {
        a.family = MRTC_AF_INET;
        *out = a;
        return 0;
    }
    char *pct = strchr(tmp, '%');
    if (pct) {
        *pct = '\0';
        const char *scope = pct + 1;
        if (*scope == '\0')
            return MRTC_EINVAL;
        char *end;
        unsigned long idx = strtoul(scope, &end, 10);
        if (*end != '\0') {
            idx = if_nametoindex(scope);
            if (idx == 0)
                return MRTC_EINVAL;
        }
        a.scope_id = (uint32_t)idx;
    }
    if (inet_pton(AF_INET6, tmp, a.ip) == 1) {
        a.family = MRTC_AF_INET6;
        *out = a;
        return 0;
    }
    return MRTC_EINVAL;
}

int mrtc_addr_parse(mrtc_addr *out, const char *hostport)
{
    char host[64];
    const char *portp;
    if (!hostport)
        return MRTC_EINVAL;
    if (hostport[0] == '[') {
        const char *close = strchr(hostport, ']');
        if (!close || close[1] != ':' || (size_t)(close - hostport - 1) >= sizeof host)
            return MRTC_EINVAL;
        memcpy(host, hostport + 1, (size_t)(close - hostport - 1));
        host[close - hostport - 1] = '\0';
        portp = close + 2;
    } else {
        const char *colon = strrchr(hostport, ':');
        if (!colon || (size_t)(colon - hostport) >= sizeof host || strchr(hostport, ':') != colon)
            return MRTC_EINVAL;
        memcpy(host, hostport, (size_t)(colon - hostport));
        host[colon - hostport] = '\0';
        portp = colon + 1;
    }
    char *end;
    if (*portp == '\0' || *portp == '-' || *portp == '+')
        return MRTC_EINVAL;
    unsigned long port = strtoul(portp, &end, 10);
    if (*end != '\0' || port > 65535)
        return MRTC_EINVAL;
    return mrtc_addr_parse_ip(out, host, (uint16_t)port);
}

char *mrtc_addr_ip_str(const mrtc_addr *a, char *buf, size_t cap)
{
    if (a->family == MRTC_AF_INET) {
        inet_ntop(AF_INET, a->ip, buf, (socklen_t)cap);
    } else if (a->family == MRTC_AF_INET6) {
        inet_ntop(AF_INET6, a->ip, buf, (socklen_t)cap);
        if (a->scope_id) {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, "%%%u", (unsigned)a->scope_id);
        }
    } else {
        snprintf(buf, cap, "(none)");
    }
    return buf;
}

char *mrtc_addr_str(const mrtc_addr *a, char *buf, size_t cap)
{
    char ip[MRTC_ADDR_STRLEN];
    mrtc_addr_ip_str(a, ip, sizeof ip);
    if (a->family == MRTC_AF_INET6)
        snprintf(buf, cap, "[%s]:%u", ip, a->port);
    else
        snprintf(buf, cap, "%s:%u", ip, a->port);
    return buf;
}

static size_t ip_len(const mrtc_addr *a)
{
    return a->family == MRTC_AF_INET ? 4 : a->family == MRTC_AF_INET6 ? 16 : 0;
}

bool mrtc_addr_ip_eq(const mrtc_addr *a, const mrtc_addr *b)
{
    return a->family == b->family && memcmp(a->ip, b->ip, ip_len(a)) == 0;
}

bool mrtc_addr_eq(const mrtc_addr *a, const mrtc_addr *b)
{
    return mrtc_addr_ip_eq(a, b) && a->port == b->port;
}

bool mrtc_addr_is_loopback(const mrtc_addr *a)
{
    static const uint8_t v6lo[16] = {[15] = 1};
    if (a->family == MRTC_AF_INET)
        return a->ip[0] == 127;
    if (a->family == MRTC_AF_INET6)
        return memcmp(a->ip, v6lo, 16) == 0;
    return false;
}

bool mrtc_addr_is_link_local(const mrtc_addr *a)
{
    if (a->family == MRTC_AF_INET)
        return a->ip[0] == 169 && a->ip[1] == 254;
    if (a->family == MRTC_AF_INET6)
        return a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80;
    return false;
}

bool mrtc_addr_is_any(const mrtc_addr *a)
{
    static const uint8_t zero[16];
    return a->family != MRTC_AF_NONE && memcmp(a->ip, zero, ip_len(a)) == 0;
}

bool mrtc_addr_is_unusable(const mrtc_addr *a)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (a->family == MRTC_AF_NONE || mrtc_addr_is_any(a))
        return true;
    if (a->family == MRTC_AF_INET6) {
        if (memcmp(a->ip, mapped, 12) == 0)
            return true; /* IPv4-mapped */
        if (a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0xc0)
            return true; /* deprecated site-local fec0::/10 */
        static const uint8_t compat[12];
        if (memcmp(a->ip, compat, 12) == 0 && !mrtc_addr_is_loopback(a))
            return true; /* IPv4-compatible */
    }
    return false;
}

int mrtc_addr_from_sockaddr(mrtc_addr *out, const void *sa)
{
    const struct sockaddr *s = sa;
    mrtc_addr a = {0};
    if (s->sa_family == AF_INET) {
        const struct sockaddr_in *in = sa;
        a.family = MRTC_AF_INET;
        a.port = ntohs(in->sin_port);
        memcpy(a.ip, &in->sin_addr, 4);
    } else if (s->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sa;
        a.family = MRTC_AF_INET6;
        a.port = ntohs(in6->sin6_port);
        memcpy(a.ip, &in6->sin6_addr, 16);
        a.scope_id = in6->sin6_scope_id;
    } else {
        return MRTC_EINVAL;
    }
    *out = a;
    return 0;
}

size_t mrtc_addr_to_sockaddr(const mrtc_addr *a, void *ss)
{
    memset(ss, 0, sizeof(struct sockaddr_storage));
    if (a->family == MRTC_AF_INET) {
        struct sockaddr_in *in = ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->ip, 4);
        return sizeof *in;
    }
    if (a->family == MRTC_AF_INET6) {
        struct sockaddr_in6 *in6 = ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        memcpy(&in6->sin6_addr, a->ip, 16);
        in6->sin6_scope_id = a->scope_id;
        return sizeof *in6;
    }
    return 0;
}
