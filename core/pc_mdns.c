/*
 * Resolving the mDNS host candidates of browsers (draft-ietf-mmusic-mdns-ice-candidates
 * section 3.2, RFC 6762): a remote candidate whose address is "<uuid>.local" stays pending in
 * the ICE agent while this file asks for the name with one-question queries (ice/mdns.h) sent
 * to 224.0.0.251:5353 through the I/O host, on the PeerConnection's own IPv4 bases only (the
 * interfaces the ICE allow-list let through), never another interface.
 *   - An A record (or AAAA when the PeerConnection has an IPv6 base) for the name resolves
 *     the candidate in every ICE generation that holds it (mrtc_ice_agent_resolve_remote()),
 *     and the answer is remembered for later generations (an ICE restart re-sends the name).
 *   - Queries go out at 0, 1 and 3 s (RFC 6762 section 5.2: at least one second apart,
 *     doubling); without an answer after 5 s the candidates are dropped. A browser is then
 *     still reached through the peer-reflexive candidate its checks create (RFC 8445 section
 *     7.3.1.3), which the agent does on its own.
 *   - Without an IPv4 base, or with a host that has no mDNS (mdns_send NULL), or beyond 16
 *     names, a name is dropped at once.
 *
 * Not done: IPv6 multicast queries (ff02::fb), record TTLs (an answer holds for the
 * PeerConnection's lifetime), continuous querying, and checking that an answer's source is on
 * the link (section 11): an address learnt this way only receives ICE checks, which need the
 * peer's credentials to succeed.
 */
#include "core/pc_impl.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "ice/mdns.h"
#include "meshrtc/error.h"

#include <string.h>

#define LOG_TAG "mdns"
#define MDNS_MAX_NAMES 16
#define MDNS_FIRST_RETRY MRTC_SEC(1) /* then doubling */
#define MDNS_SENDS 3
#define MDNS_TIMEOUT MRTC_SEC(5)

typedef enum mdns_state {
    MDNS_PENDING,
    MDNS_RESOLVED,
    MDNS_FAILED,
} mdns_state;

typedef struct mdns_name {
    char name[MRTC_MDNS_NAME_MAX + 1];
    mdns_state state;
    mrtc_addr addr;      /* resolved */
    mrtc_time deadline;  /* pending: dropped then */
    mrtc_time next_send; /* pending: next query; MRTC_TIME_NEVER after the last */
    unsigned sends;
} mdns_name;

struct pc_mdns {
    mdns_name names[MDNS_MAX_NAMES];
    size_t n;
};

static bool has_base(const mrtc_pc *pc, mrtc_af family)
{
    for (size_t i = 0; i < pc->n_bases; i++) {
        if (pc->bases[i].family == family)
            return true;
    }
    return false;
}

/* One query per wanted type out of every IPv4 base. */
static void send_queries(mrtc_pc *pc, mdns_name *e, mrtc_time now)
{
    uint16_t types[2];
    size_t n_types = 0;
    types[n_types++] = MRTC_MDNS_TYPE_A;
    if (has_base(pc, MRTC_AF_INET6))
        types[n_types++] = MRTC_MDNS_TYPE_AAAA;
    for (size_t t = 0; t < n_types; t++) {
        uint8_t buf[300];
        int len = mrtc_mdns_build_query(buf, sizeof buf, e->name, types[t], false);
        if (len < 0)
            continue;
        for (size_t i = 0; i < pc->n_bases; i++) {
            if (pc->bases[i].family != MRTC_AF_INET)
                continue;
            int err = pc->io->ops->mdns_send(pc->io, &pc->bases[i], buf, (size_t)len);
            if (err)
                MRTC_DEBUG(LOG_TAG, "%s: mDNS query for %s not sent: %s", pc->name, e->name,
                           mrtc_err_name(err));
        }
    }
    e->sends++;
    e->next_send =
        e->sends < MDNS_SENDS ? now + (MDNS_FIRST_RETRY << (e->sends - 1)) : MRTC_TIME_NEVER;
    MRTC_DEBUG(LOG_TAG, "%s: mDNS query %u for %s", pc->name, e->sends, e->name);
}

/* Hands the outcome to the agents (NULL addr: drop the candidates). */
static void apply_to(mrtc_pc *pc, pc_gen *g, const char *name, const mrtc_addr *addr,
                     mrtc_time now)
{
    if (!g)
        return;
    int n = mrtc_ice_agent_resolve_remote(g->agent, now, name, addr);
    if (n < 0 && n != MRTC_ENOTFOUND)
        MRTC_DEBUG(LOG_TAG, "%s: resolving %s: %s", pc->name, name, mrtc_err_name(n));
}

static void apply(mrtc_pc *pc, const mdns_name *e, mrtc_time now)
{
    const mrtc_addr *addr = e->state == MDNS_RESOLVED ? &e->addr : NULL;
    apply_to(pc, pc->gen, e->name, addr, now);
    apply_to(pc, pc->gen_next, e->name, addr, now);
}

/* Multicast, broadcast and the like are never a peer's host address. */
static bool usable(const mrtc_addr *a)
{
    if (mrtc_addr_is_unusable(a))
        return false;
    if (a->family == MRTC_AF_INET)
        return a->ip[0] < 224;
    return a->ip[0] != 0xff;
}

static mdns_name *find(struct pc_mdns *m, const char *name)
{
    for (size_t i = 0; m && i < m->n; i++) {
        if (mrtc_mdns_name_eq(m->names[i].name, name))
            return &m->names[i];
    }
    return NULL;
}

void mrtc_pc_mdns_resolve(mrtc_pc *pc, pc_gen *g, const char *name)
{
    if (pc->closed || !g)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    mdns_name *e = find(pc->mdns, name);
    if (e) {
        if (e->state != MDNS_PENDING)
            apply_to(pc, g, e->name, e->state == MDNS_RESOLVED ? &e->addr : NULL, now);
        return;
    }
    const char *why = NULL;
    if (!pc->io->ops->mdns_send)
        why = "the I/O host has no mDNS";
    else if (pc->sockets_bound && !has_base(pc, MRTC_AF_INET))
        why = "no IPv4 interface to query on";
    else if (strlen(name) > MRTC_MDNS_NAME_MAX)
        why = "name too long";
    else if (!pc->mdns && !(pc->mdns = mrtc_calloc(1, sizeof *pc->mdns)))
        why = "out of memory";
    else if (pc->mdns->n == MDNS_MAX_NAMES)
        why = "too many names";
    if (why) {
        MRTC_INFO(LOG_TAG, "%s: candidate %s dropped: %s", pc->name, name, why);
        apply_to(pc, g, name, NULL, now);
        return;
    }
    e = &pc->mdns->names[pc->mdns->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->name, name, strlen(name) + 1);
    e->state = MDNS_PENDING;
    e->deadline = e->next_send = MRTC_TIME_NEVER;
    if (pc->sockets_bound) {
        e->deadline = now + MDNS_TIMEOUT;
        send_queries(pc, e, now);
    } /* else: a remote offer applied before gathering; mrtc_pc_mdns_sockets_ready() starts */
}

void mrtc_pc_mdns_sockets_ready(mrtc_pc *pc)
{
    if (!pc->mdns || pc->closed)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    bool v4 = has_base(pc, MRTC_AF_INET);
    for (size_t i = 0; i < pc->mdns->n; i++) {
        mdns_name *e = &pc->mdns->names[i];
        if (e->state != MDNS_PENDING || e->sends)
            continue;
        if (!v4) {
            MRTC_INFO(LOG_TAG, "%s: candidate %s dropped: no IPv4 interface to query on",
                      pc->name, e->name);
            e->state = MDNS_FAILED;
            apply(pc, e, now);
            continue;
        }
        e->deadline = now + MDNS_TIMEOUT;
        send_queries(pc, e, now);
    }
}

mrtc_time mrtc_pc_mdns_next_timeout(const mrtc_pc *pc)
{
    mrtc_time t = MRTC_TIME_NEVER;
    for (size_t i = 0; pc->mdns && i < pc->mdns->n; i++) {
        const mdns_name *e = &pc->mdns->names[i];
        if (e->state == MDNS_PENDING)
            t = mrtc_time_min(t, mrtc_time_min(e->deadline, e->next_send));
    }
    return t;
}

void mrtc_pc_mdns_handle_timeout(mrtc_pc *pc, mrtc_time now)
{
    for (size_t i = 0; pc->mdns && i < pc->mdns->n; i++) {
        mdns_name *e = &pc->mdns->names[i];
        if (e->state != MDNS_PENDING)
            continue;
        if (e->deadline <= now) {
            e->state = MDNS_FAILED;
            MRTC_INFO(LOG_TAG,
                      "%s: no mDNS answer for %s: candidate dropped (peer-reflexive "
                      "candidates still work)",
                      pc->name, e->name);
            apply(pc, e, now);
        } else if (e->next_send <= now) {
            send_queries(pc, e, now);
        }
    }
}

void mrtc_pc_handle_mdns(mrtc_pc *pc, const mrtc_addr *from, const uint8_t *data, size_t len)
{
    (void)from;
    if (pc->closed || !pc->mdns || mrtc_pc_mdns_next_timeout(pc) == MRTC_TIME_NEVER)
        return; /* nothing pending */
    mrtc_mdns_msg msg;
    if (mrtc_mdns_parse(&msg, data, len) != 0 || !msg.response)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    bool changed = false;
    for (size_t r = 0; r < msg.n_records; r++) {
        const mrtc_mdns_record *rec = &msg.records[r];
        mdns_name *e = find(pc->mdns, rec->name);
        if (!e || e->state != MDNS_PENDING || rec->ttl == 0 ||
            !has_base(pc, rec->addr.family) || !usable(&rec->addr))
            continue;
        char buf[MRTC_ADDR_STRLEN];
        e->state = MDNS_RESOLVED;
        e->addr = rec->addr;
        MRTC_INFO(LOG_TAG, "%s: %s is %s", pc->name, e->name,
                  mrtc_addr_ip_str(&e->addr, buf, sizeof buf));
        apply(pc, e, now);
        changed = true;
    }
    if (changed)
        mrtc_pc_flush(pc);
}

void mrtc_pc_mdns_free(mrtc_pc *pc)
{
    mrtc_free(pc->mdns);
    pc->mdns = NULL;
}
