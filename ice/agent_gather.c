/*
 * ICE gathering (RFC 8445 section 5.1.1): host candidates for the bases the owner bound,
 * with priorities and foundations (5.1.2, 5.1.1.3), server-reflexive candidates learnt
 * with STUN Binding requests to STUN servers (5.1.1.2, RFC 8489: retransmitted like checks,
 * XOR-MAPPED-ADDRESS or MAPPED-ADDRESS, raddr/rport set to the base), redundant srflx
 * candidates eliminated (5.1.3: equal to the base or to a known candidate), the trickling
 * of each candidate as an event (RFC 8838), and the choice of usable interface addresses
 * (5.1.1.1, RFC 8421) from a list the owner enumerated, with an allow-list.
 *
 * Not done: TURN allocations (relay candidates), enumerating interfaces (the owner does
 * it: no OS calls here), mDNS name generation for host candidates.
 */
#include "ice/agent_int.h"

#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- host candidates ---- */

void ice_announce_local(mrtc_ice_agent *a, int li)
{
    char line[MRTC_ICE_CANDIDATE_LINE_MAX];
    ice_local *l = &a->locals[li];
    snprintf(l->cand.ufrag, sizeof l->cand.ufrag, "%s", a->lufrag);
    mrtc_ice_event ev = {.type = MRTC_ICE_EVENT_LOCAL_CANDIDATE};
    ev.candidate = l->cand;
    if (mrtc_ice_candidate_format(&l->cand, line, sizeof line) > 0)
        MRTC_INFO(ICE_LOG_TAG, "%s: local %s", a->name, line);
    ice_emit(a, &ev);
}

/* 0: global IPv6, 1: IPv4, 2: link-local (the families of mrtc_ice_candidate_local_pref). */
static int pref_class(const mrtc_addr *a)
{
    if (mrtc_addr_is_link_local(a))
        return 2;
    return a->family == MRTC_AF_INET6 ? 0 : 1;
}

int mrtc_ice_agent_add_host(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *base)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    if (!base || (base->family != MRTC_AF_INET && base->family != MRTC_AF_INET6) ||
        base->port == 0 || mrtc_addr_is_unusable(base))
        return MRTC_EINVAL;
    if (ice_find_local_base(a, base) >= 0)
        return MRTC_EEXIST;
    if (!ice_reserve_local(a))
        return a->n_locals >= ICE_MAX_LOCALS ? MRTC_ENOBUFS : MRTC_ENOMEM;

    unsigned index = 0;
    for (size_t i = 0; i < a->n_locals; i++)
        if (a->locals[i].cand.type == MRTC_ICE_CAND_HOST &&
            pref_class(&a->locals[i].base) == pref_class(base))
            index++;
    int li = (int)a->n_locals++;
    ice_local *l = &a->locals[li];
    memset(l, 0, sizeof *l);
    mrtc_ice_candidate_init(&l->cand);
    l->cand.type = MRTC_ICE_CAND_HOST;
    l->cand.addr = *base;
    l->cand.priority = mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_HOST,
                                                   mrtc_ice_candidate_local_pref(base, index), 1);
    mrtc_ice_candidate_foundation(l->cand.foundation, MRTC_ICE_CAND_HOST, base, NULL,
                                  MRTC_ICE_TRANSPORT_UDP);
    l->base = *base;
    l->host = li;

    if (a->gathering == MRTC_ICE_GATHERING_NEW)
        ice_set_gathering(a, MRTC_ICE_GATHERING_GATHERING);
    else if (a->gathering == MRTC_ICE_GATHERING_COMPLETE)
        MRTC_WARN(ICE_LOG_TAG, "%s: host candidate added after gathering completed", a->name);
    ice_announce_local(a, li);
    ice_pair_with_local(a, li);
    ice_gather_start_host(a, li);
    ice_run(a, now);
    return 0;
}

void mrtc_ice_agent_gathering_done(mrtc_ice_agent *a, mrtc_time now)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return;
    a->local_done = true;
    ice_run(a, now);
}

/* ---- STUN servers ---- */

static void gtx_start(mrtc_ice_agent *a, int host, int server)
{
    if (a->n_gtx >= sizeof a->gtx / sizeof a->gtx[0])
        return;
    ice_gather_tx *g = &a->gtx[a->n_gtx++];
    memset(g, 0, sizeof *g);
    g->host = host;
    g->server = server;
    g->active = true;
    g->next = 0; /* at once */
    g->rto = a->cfg.check_rto;
    ice_random_tid(a, g->tid);
}

void ice_gather_start_host(mrtc_ice_agent *a, int host)
{
    for (size_t s = 0; s < a->n_servers; s++)
        if (a->servers[s].family == a->locals[host].base.family &&
            !mrtc_addr_is_loopback(&a->locals[host].base))
            gtx_start(a, host, (int)s);
}

int mrtc_ice_agent_add_stun_server(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *server)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    if (!server || (server->family != MRTC_AF_INET && server->family != MRTC_AF_INET6) ||
        server->port == 0 || mrtc_addr_is_any(server))
        return MRTC_EINVAL;
    if (a->gathering == MRTC_ICE_GATHERING_COMPLETE)
        return MRTC_ESTATE;
    for (size_t s = 0; s < a->n_servers; s++)
        if (mrtc_addr_eq(&a->servers[s], server))
            return MRTC_EEXIST;
    if (a->n_servers >= ICE_MAX_SERVERS)
        return MRTC_ENOBUFS;
    int s = (int)a->n_servers++;
    a->servers[s] = *server;
    for (size_t i = 0; i < a->n_locals; i++)
        if (a->locals[i].cand.type == MRTC_ICE_CAND_HOST &&
            a->locals[i].base.family == server->family &&
            !mrtc_addr_is_loopback(&a->locals[i].base))
            gtx_start(a, (int)i, s);
    ice_run(a, now);
    return 0;
}

static void gtx_send(mrtc_ice_agent *a, mrtc_time now, ice_gather_tx *g)
{
    uint8_t buf[64];
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, g->tid);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    g->sends++;
    g->next = now + g->rto;
    if (n > 0) {
        ice_send(a, &a->locals[g->host].base, &a->servers[g->server], buf, (size_t)n);
        a->stats.requests_sent++;
    }
}

void ice_gather_run(mrtc_ice_agent *a, mrtc_time now)
{
    char buf[MRTC_ADDR_STRLEN];
    for (size_t i = 0; i < a->n_gtx; i++) {
        ice_gather_tx *g = &a->gtx[i];
        if (!g->active || now < g->next)
            continue;
        if (g->sends == 0) {
            gtx_send(a, now, g);
            continue;
        }
        if (g->sends > a->cfg.check_max_retransmits) {
            g->active = false;
            MRTC_INFO(ICE_LOG_TAG, "%s: no answer from STUN server %s", a->name,
                      mrtc_addr_str(&a->servers[g->server], buf, sizeof buf));
            continue;
        }
        g->rto *= 2;
        if (g->rto > a->cfg.check_rto_max)
            g->rto = a->cfg.check_rto_max;
        gtx_send(a, now, g);
    }
}

mrtc_time ice_gather_next_timeout(const mrtc_ice_agent *a)
{
    mrtc_time t = MRTC_TIME_NEVER;
    for (size_t i = 0; i < a->n_gtx; i++)
        if (a->gtx[i].active)
            t = mrtc_time_min(t, a->gtx[i].next);
    return t;
}

bool ice_gather_pending(const mrtc_ice_agent *a)
{
    for (size_t i = 0; i < a->n_gtx; i++)
        if (a->gtx[i].active)
            return true;
    return false;
}

static void add_srflx(mrtc_ice_agent *a, const ice_gather_tx *g, const mrtc_addr *mapped)
{
    const ice_local *h = &a->locals[g->host];
    if (mrtc_addr_eq(mapped, &h->base) || ice_find_local_addr(a, mapped, &h->base) >= 0)
        return; /* redundant (section 5.1.3) */
    if (!ice_reserve_local(a))
        return;
    h = &a->locals[g->host]; /* the array may have moved */
    int li = (int)a->n_locals++;
    ice_local *l = &a->locals[li];
    memset(l, 0, sizeof *l);
    mrtc_ice_candidate_init(&l->cand);
    l->cand.type = MRTC_ICE_CAND_SRFLX;
    l->cand.addr = *mapped;
    l->cand.priority = mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_SRFLX,
                                                   (uint16_t)((h->cand.priority >> 8) & 0xffff), 1);
    mrtc_ice_candidate_foundation(l->cand.foundation, MRTC_ICE_CAND_SRFLX, &h->base,
                                  &a->servers[g->server], MRTC_ICE_TRANSPORT_UDP);
    l->cand.has_related = true;
    l->cand.related = h->base;
    l->base = h->base;
    l->host = g->host;
    /* Not paired: its base already is (section 6.1.2.4 would prune the pair). */
    ice_announce_local(a, li);
}

bool ice_gather_handle_response(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                                const mrtc_addr *remote, const mrtc_stun_msg *msg)
{
    ice_gather_tx *g = NULL;
    for (size_t i = 0; i < a->n_gtx && !g; i++)
        if (a->gtx[i].active && memcmp(a->gtx[i].tid, msg->tid, MRTC_STUN_TID_LEN) == 0)
            g = &a->gtx[i];
    if (!g)
        return false;
    if (!mrtc_addr_eq(remote, &a->servers[g->server]) ||
        !mrtc_addr_eq(local, &a->locals[g->host].base)) {
        a->stats.stun_dropped++;
        return true;
    }
    a->stats.responses_received++;
    g->active = false;
    if (msg->cls == MRTC_STUN_SUCCESS && (msg->has_xor_mapped || msg->has_mapped))
        add_srflx(a, g, msg->has_xor_mapped ? &msg->xor_mapped : &msg->mapped);
    else
        MRTC_INFO(ICE_LOG_TAG, "%s: STUN server answered error %d", a->name, msg->error_code);
    (void)now;
    return true;
}

/* ---- interface selection ---- */

typedef struct allow_entry {
    bool is_name;
    const char *name;
    size_t name_len;
    bool wildcard;
    mrtc_addr prefix;
    unsigned bits;
} allow_entry;

static int parse_allow(const char *s, allow_entry *e)
{
    char ip[64];
    memset(e, 0, sizeof *e);
    if (!s || !*s)
        return MRTC_EINVAL;
    const char *slash = strchr(s, '/');
    size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
    if (iplen < sizeof ip) {
        memcpy(ip, s, iplen);
        ip[iplen] = '\0';
        if (mrtc_addr_parse_ip(&e->prefix, ip, 0) == 0) {
            unsigned max = e->prefix.family == MRTC_AF_INET ? 32 : 128;
            e->bits = max;
            if (slash) {
                char *end;
                if (!slash[1] || slash[1] == '-' || slash[1] == '+')
                    return MRTC_EINVAL;
                unsigned long b = strtoul(slash + 1, &end, 10);
                if (*end || b > max)
                    return MRTC_EINVAL;
                e->bits = (unsigned)b;
            }
            return 0;
        }
    }
    if (slash || strchr(s, ':') || strchr(s, ' '))
        return MRTC_EINVAL;
    e->is_name = true;
    e->name = s;
    e->name_len = strlen(s);
    if (e->name[e->name_len - 1] == '*') {
        e->wildcard = true;
        e->name_len--;
    }
    return 0;
}

static bool prefix_match(const allow_entry *e, const mrtc_addr *a)
{
    if (a->family != e->prefix.family)
        return false;
    unsigned full = e->bits / 8, rest = e->bits % 8;
    if (memcmp(a->ip, e->prefix.ip, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a->ip[full] & mask) != (e->prefix.ip[full] & mask))
            return false;
    }
    return true;
}

static bool name_match(const allow_entry *e, const char *name)
{
    if (!name)
        return false;
    if (e->wildcard)
        return strncmp(name, e->name, e->name_len) == 0;
    return strlen(name) == e->name_len && strncmp(name, e->name, e->name_len) == 0;
}

int mrtc_ice_agent_select_interfaces(const mrtc_ice_iface *ifs, size_t n, const char *const *allow,
                                     size_t n_allow, bool *use)
{
    allow_entry e;
    bool any_normal = false, any_ll = false;
    int count = 0;

    for (size_t i = 0; i < n; i++)
        use[i] = false;
    for (size_t k = 0; k < n_allow; k++)
        if (parse_allow(allow[k], &e) != 0)
            return MRTC_EINVAL;

    /* First pass: what is eligible at all, and which kinds exist. */
    for (size_t i = 0; i < n; i++) {
        const mrtc_ice_iface *f = &ifs[i];
        if (!f->up || mrtc_addr_is_unusable(&f->addr))
            continue;
        bool matched = n_allow == 0;
        for (size_t k = 0; k < n_allow && !matched; k++) {
            parse_allow(allow[k], &e);
            matched = e.is_name ? name_match(&e, f->name) : prefix_match(&e, &f->addr);
        }
        if (!matched)
            continue;
        bool lo = f->loopback || mrtc_addr_is_loopback(&f->addr);
        if (!lo && !mrtc_addr_is_link_local(&f->addr))
            any_normal = true;
        else if (!lo)
            any_ll = true;
    }
    /* Second pass: decide. */
    for (size_t i = 0; i < n; i++) {
        const mrtc_ice_iface *f = &ifs[i];
        if (!f->up || mrtc_addr_is_unusable(&f->addr))
            continue;
        bool matched = n_allow == 0, explicit_addr = false;
        for (size_t k = 0; k < n_allow; k++) {
            parse_allow(allow[k], &e);
            bool m = e.is_name ? name_match(&e, f->name) : prefix_match(&e, &f->addr);
            matched = matched || m;
            explicit_addr = explicit_addr || (m && !e.is_name);
        }
        if (!matched)
            continue;
        bool lo = f->loopback || mrtc_addr_is_loopback(&f->addr);
        bool ll = !lo && mrtc_addr_is_link_local(&f->addr);
        bool ok;
        if (explicit_addr)
            ok = true;
        else if (lo)
            ok = !any_normal && !any_ll;
        else if (ll)
            ok = !any_normal;
        else
            ok = true;
        use[i] = ok;
        count += ok;
    }
    return count;
}
