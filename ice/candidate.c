/*
 * ICE candidate values: priority (RFC 8445 section 5.1.2), local preference for multihomed
 * and dual-stack hosts (section 5.1.2.1, RFC 8421 in spirit: IPv6 first), foundations
 * (section 5.1.1.3), and the SDP candidate-attribute codec (RFC 8839 section 5.1, RFC 6544
 * section 4.5 for tcptype, and the browsers' generation/ufrag/network-id/network-cost).
 *
 * Deliberately not done here: resolving hostnames (mDNS or DNS), and any notion of which
 * candidates a session uses; the parser accepts TCP candidates but the agent ignores them.
 * The parser never trusts its input: every field is length- and range-checked, and a
 * refused line leaves the output untouched.
 */
#include "ice/candidate.h"

#include "meshrtc/error.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS 64

void mrtc_ice_candidate_init(mrtc_ice_candidate *c)
{
    memset(c, 0, sizeof *c);
    c->component = 1;
    c->transport = MRTC_ICE_TRANSPORT_UDP;
    c->type = MRTC_ICE_CAND_HOST;
    c->tcptype = MRTC_ICE_TCPTYPE_NONE;
    c->generation = -1;
    c->network_id = -1;
    c->network_cost = -1;
}

uint32_t mrtc_ice_candidate_priority(unsigned type_pref, uint16_t local_pref, uint16_t component)
{
    if (component < 1)
        component = 1;
    if (component > 256)
        component = 256;
    return ((uint32_t)(type_pref & 0x7f) << 24) + ((uint32_t)local_pref << 8) +
           (uint32_t)(256 - component);
}

unsigned mrtc_ice_candidate_type_pref(mrtc_ice_cand_type type)
{
    switch (type) {
    case MRTC_ICE_CAND_HOST:
        return MRTC_ICE_TYPE_PREF_HOST;
    case MRTC_ICE_CAND_PRFLX:
        return MRTC_ICE_TYPE_PREF_PRFLX;
    case MRTC_ICE_CAND_SRFLX:
        return MRTC_ICE_TYPE_PREF_SRFLX;
    case MRTC_ICE_CAND_RELAY:
        return MRTC_ICE_TYPE_PREF_RELAY;
    }
    return 0;
}

uint16_t mrtc_ice_candidate_local_pref(const mrtc_addr *base, unsigned index)
{
    unsigned top;
    if (mrtc_addr_is_link_local(base))
        top = 0x7fff;
    else if (base->family == MRTC_AF_INET6)
        top = 0xffff;
    else
        top = 0xbfff;
    if (index > 0x3fff)
        index = 0x3fff;
    return (uint16_t)(top - index);
}

static uint32_t fnv1a(uint32_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t hash_ip(uint32_t h, const mrtc_addr *a)
{
    uint8_t fam = a ? (uint8_t)a->family : 0;
    h = fnv1a(h, &fam, 1);
    if (a && a->family == MRTC_AF_INET)
        h = fnv1a(h, a->ip, 4);
    else if (a && a->family == MRTC_AF_INET6)
        h = fnv1a(h, a->ip, 16);
    return h;
}

void mrtc_ice_candidate_foundation(char *out, mrtc_ice_cand_type type, const mrtc_addr *base,
                                   const mrtc_addr *server, mrtc_ice_transport transport)
{
    uint32_t h = 2166136261u;
    uint8_t t[2] = {(uint8_t)type, (uint8_t)transport};
    h = fnv1a(h, t, sizeof t);
    h = hash_ip(h, base);
    h = hash_ip(h, server);
    snprintf(out, MRTC_ICE_FOUNDATION_MAX + 1, "%u", (unsigned)h);
}

const char *mrtc_ice_candidate_type_name(mrtc_ice_cand_type type)
{
    switch (type) {
    case MRTC_ICE_CAND_HOST:
        return "host";
    case MRTC_ICE_CAND_SRFLX:
        return "srflx";
    case MRTC_ICE_CAND_PRFLX:
        return "prflx";
    case MRTC_ICE_CAND_RELAY:
        return "relay";
    }
    return "?";
}

const char *mrtc_ice_transport_name(mrtc_ice_transport t)
{
    return t == MRTC_ICE_TRANSPORT_TCP ? "tcp" : "udp";
}

static const char *tcptype_name(mrtc_ice_tcptype t)
{
    switch (t) {
    case MRTC_ICE_TCPTYPE_ACTIVE:
        return "active";
    case MRTC_ICE_TCPTYPE_PASSIVE:
        return "passive";
    case MRTC_ICE_TCPTYPE_SO:
        return "so";
    case MRTC_ICE_TCPTYPE_NONE:
        break;
    }
    return "";
}

bool mrtc_ice_candidate_same_address(const mrtc_ice_candidate *a, const mrtc_ice_candidate *b)
{
    if (a->transport != b->transport)
        return false;
    if (a->addr.family != MRTC_AF_NONE && b->addr.family != MRTC_AF_NONE)
        return mrtc_addr_eq(&a->addr, &b->addr);
    if (a->hostname[0] && b->hostname[0])
        return a->addr.port == b->addr.port && strcasecmp(a->hostname, b->hostname) == 0;
    return false;
}

bool mrtc_ice_candidate_is_mdns(const mrtc_ice_candidate *c)
{
    size_t n = strlen(c->hostname);
    return n > 6 && strcasecmp(c->hostname + n - 6, ".local") == 0;
}

/* ---- parsing ---- */

static bool is_ice_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '+' || ch == '/';
}

static bool all_ice_chars(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_ice_char(s[i]))
            return false;
    return true;
}

/* Decimal digits only, at most max_digits of them, value <= max. */
static bool parse_uint(const char *s, unsigned max_digits, uint64_t max, uint64_t *out)
{
    size_t n = strlen(s);
    uint64_t v = 0;
    if (n == 0 || n > max_digits)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_port(const char *s, uint16_t *out)
{
    uint64_t v;
    if (!parse_uint(s, 5, 65535, &v))
        return false;
    *out = (uint16_t)v;
    return true;
}

static bool parse_small_int(const char *s, int *out)
{
    uint64_t v;
    if (!parse_uint(s, 9, INT_MAX, &v))
        return false;
    *out = (int)v;
    return true;
}

/* A DNS name (RFC 1123 letters, digits, hyphens and dots; labels of 1..63 characters) with
 * at least one letter, so that a mistyped IPv4 address is not taken for a name. */
static bool valid_hostname(const char *s)
{
    size_t n = strlen(s);
    size_t label = 0;
    bool alpha = false;
    if (n == 0 || n > MRTC_ICE_HOSTNAME_MAX || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)ch) && ch != '-')
            return false;
        if (isalpha((unsigned char)ch))
            alpha = true;
        if (++label > 63)
            return false;
    }
    return alpha;
}

/* Address or hostname. Returns 1 for an address, 2 for a hostname, 0 if malformed. */
static int parse_conn_addr(const char *s, uint16_t port, mrtc_addr *addr, char *host)
{
    if (mrtc_addr_parse_ip(addr, s, port) == 0)
        return 1;
    if (strchr(s, ':') || !valid_hostname(s))
        return 0;
    memset(addr, 0, sizeof *addr);
    addr->port = port;
    snprintf(host, MRTC_ICE_HOSTNAME_MAX + 1, "%s", s);
    return 2;
}

static int fail(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return MRTC_EINVAL;
}

int mrtc_ice_candidate_parse(mrtc_ice_candidate *out, const char *line, const char **reason)
{
    char buf[MRTC_ICE_CANDIDATE_LINE_MAX + 1];
    char *tok[MAX_TOKENS];
    int ntok = 0;
    mrtc_ice_candidate c;
    uint64_t v;
    uint16_t port;
    const char *raddr = NULL, *rport = NULL;

    if (!out || !line)
        return fail(reason, "no line");
    size_t n = strnlen(line, MRTC_ICE_CANDIDATE_LINE_MAX + 1);
    if (n > MRTC_ICE_CANDIDATE_LINE_MAX)
        return fail(reason, "line too long");
    memcpy(buf, line, n);
    buf[n] = '\0';
    while (n > 0 &&
           (buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';

    char *p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "a=", 2) == 0)
        p += 2;
    if (strncasecmp(p, "candidate:", 10) == 0)
        p += 10;
    else if (p != buf + strspn(buf, " \t"))
        return fail(reason, "\"a=\" not followed by \"candidate:\"");
    if (*p == ' ' || *p == '\t')
        return fail(reason, "missing foundation");

    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (ntok == MAX_TOKENS)
            return fail(reason, "too many fields");
        tok[ntok++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
    if (ntok < 8)
        return fail(reason, "missing fields (need foundation, component, transport, "
                            "priority, address, port, \"typ\" and a type)");

    mrtc_ice_candidate_init(&c);
    if (!all_ice_chars(tok[0], MRTC_ICE_FOUNDATION_MAX))
        return fail(reason, "bad foundation (1 to 32 characters of [A-Za-z0-9+/])");
    snprintf(c.foundation, sizeof c.foundation, "%s", tok[0]);

    if (!parse_uint(tok[1], 3, 256, &v) || v == 0)
        return fail(reason, "bad component (1 to 256)");
    c.component = (uint16_t)v;

    if (strcasecmp(tok[2], "udp") == 0)
        c.transport = MRTC_ICE_TRANSPORT_UDP;
    else if (strcasecmp(tok[2], "tcp") == 0)
        c.transport = MRTC_ICE_TRANSPORT_TCP;
    else
        return fail(reason, "unknown transport (udp or tcp)");

    if (!parse_uint(tok[3], 10, UINT32_MAX, &v) || v == 0)
        return fail(reason, "bad priority (1 to 4294967295)");
    c.priority = (uint32_t)v;

    if (!parse_port(tok[5], &port))
        return fail(reason, "bad port (0 to 65535)");
    int kind = parse_conn_addr(tok[4], port, &c.addr, c.hostname);
    if (kind == 0)
        return fail(reason, "bad connection address (IPv4, IPv6 or a hostname)");

    if (strcasecmp(tok[6], "typ") != 0)
        return fail(reason, "expected \"typ\" after the port");
    if (strcasecmp(tok[7], "host") == 0)
        c.type = MRTC_ICE_CAND_HOST;
    else if (strcasecmp(tok[7], "srflx") == 0)
        c.type = MRTC_ICE_CAND_SRFLX;
    else if (strcasecmp(tok[7], "prflx") == 0)
        c.type = MRTC_ICE_CAND_PRFLX;
    else if (strcasecmp(tok[7], "relay") == 0)
        c.type = MRTC_ICE_CAND_RELAY;
    else
        return fail(reason, "unknown candidate type (host, srflx, prflx or relay)");

    if ((ntok - 8) % 2 != 0)
        return fail(reason, "extension attribute without a value");
    for (int i = 8; i < ntok; i += 2) {
        const char *name = tok[i], *val = tok[i + 1];
        if (strcmp(name, "raddr") == 0) {
            raddr = val;
        } else if (strcmp(name, "rport") == 0) {
            rport = val;
        } else if (strcmp(name, "generation") == 0) {
            if (!parse_small_int(val, &c.generation))
                return fail(reason, "bad generation");
        } else if (strcmp(name, "network-id") == 0) {
            if (!parse_small_int(val, &c.network_id))
                return fail(reason, "bad network-id");
        } else if (strcmp(name, "network-cost") == 0) {
            if (!parse_small_int(val, &c.network_cost))
                return fail(reason, "bad network-cost");
        } else if (strcmp(name, "ufrag") == 0) {
            if (!all_ice_chars(val, MRTC_ICE_UFRAG_MAX))
                return fail(reason, "bad ufrag");
            snprintf(c.ufrag, sizeof c.ufrag, "%s", val);
        } else if (strcmp(name, "tcptype") == 0) {
            if (strcasecmp(val, "active") == 0)
                c.tcptype = MRTC_ICE_TCPTYPE_ACTIVE;
            else if (strcasecmp(val, "passive") == 0)
                c.tcptype = MRTC_ICE_TCPTYPE_PASSIVE;
            else if (strcasecmp(val, "so") == 0)
                c.tcptype = MRTC_ICE_TCPTYPE_SO;
            else
                return fail(reason, "bad tcptype (active, passive or so)");
        }
        /* Anything else is an extension we do not know: skipped (RFC 8839 section 5.1). */
    }
    if ((raddr == NULL) != (rport == NULL))
        return fail(reason, "raddr and rport must come together");
    if (raddr) {
        uint16_t rp;
        char rhost[MRTC_ICE_HOSTNAME_MAX + 1];
        if (!parse_port(rport, &rp))
            return fail(reason, "bad rport (0 to 65535)");
        int rk = parse_conn_addr(raddr, rp, &c.related, rhost);
        if (rk == 0)
            return fail(reason, "bad raddr");
        c.has_related = rk == 1;
        if (rk != 1)
            memset(&c.related, 0, sizeof c.related);
    }
    if (c.transport == MRTC_ICE_TRANSPORT_UDP && c.addr.port == 0)
        return fail(reason, "port 0 on a udp candidate");
    if (c.transport == MRTC_ICE_TRANSPORT_UDP && c.tcptype != MRTC_ICE_TCPTYPE_NONE)
        return fail(reason, "tcptype on a udp candidate");
    *out = c;
    if (reason)
        *reason = NULL;
    return 0;
}

/* ---- formatting ---- */

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
} out_buf;

__attribute__((format(printf, 2, 3))) static void put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    va_start(ap, fmt);
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        o->overflow = true;
        o->len = o->cap ? o->cap - 1 : 0;
        return;
    }
    o->len += (size_t)n;
}

int mrtc_ice_candidate_format(const mrtc_ice_candidate *c, char *buf, size_t cap)
{
    char ip[MRTC_ADDR_STRLEN];
    out_buf o = {.buf = buf, .cap = cap};
    if (cap == 0)
        return MRTC_ENOBUFS;
    buf[0] = '\0';
    if (c->addr.family == MRTC_AF_NONE && !c->hostname[0])
        return MRTC_EINVAL;
    const char *host =
        c->addr.family != MRTC_AF_NONE ? mrtc_addr_ip_str(&c->addr, ip, sizeof ip) : c->hostname;
    put(&o, "candidate:%s %u %s %u %s %u typ %s", c->foundation[0] ? c->foundation : "0",
        (unsigned)c->component, mrtc_ice_transport_name(c->transport), (unsigned)c->priority, host,
        (unsigned)c->addr.port, mrtc_ice_candidate_type_name(c->type));
    if (c->has_related)
        put(&o, " raddr %s rport %u", mrtc_addr_ip_str(&c->related, ip, sizeof ip),
            (unsigned)c->related.port);
    if (c->tcptype != MRTC_ICE_TCPTYPE_NONE)
        put(&o, " tcptype %s", tcptype_name(c->tcptype));
    if (c->generation >= 0)
        put(&o, " generation %d", c->generation);
    if (c->ufrag[0])
        put(&o, " ufrag %s", c->ufrag);
    if (c->network_id >= 0)
        put(&o, " network-id %d", c->network_id);
    if (c->network_cost >= 0)
        put(&o, " network-cost %d", c->network_cost);
    if (o.overflow)
        return MRTC_ENOBUFS;
    return (int)o.len;
}
