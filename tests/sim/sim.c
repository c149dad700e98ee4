/*
 * The simulated network of tests/sim (see sim.h): a priority queue of datagrams in flight
 * ordered by (delivery time, send order), link models (loss, delay, jitter, reordering,
 * duplication, bandwidth with a tail-drop queue, blackholes), NATs with
 * endpoint-independent mapping (RFC 4787 section 4.1) and full-cone or port-restricted
 * filtering (section 5), a minimal STUN Binding server (RFC 8489), an mDNS responder that
 * answers A/AAAA questions for registered names (RFC 6762, by unicast), and a driver loop
 * for sans-IO nodes on a virtual clock.
 *
 * Not modelled: IP fragmentation and MTU, ICMP errors, NAT mapping timeouts, hairpinning,
 * address-dependent mapping (symmetric NAT), TCP.
 */
#include "sim.h"

#include "core/util/alloc.h"
#include "core/util/rand.h"
#include "ice/mdns.h"
#include "ice/stun.h"
#include "meshrtc/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

typedef struct link_rule {
    mrtc_addr from;
    mrtc_addr to;
    sim_link link;
} link_rule;

typedef struct flow {
    mrtc_addr from;
    mrtc_addr to;
    mrtc_time busy_until;
} flow;

typedef struct inflight {
    sim_datagram d;
    uint64_t seq;
} inflight;

typedef struct nat_map {
    mrtc_addr priv;
    uint16_t port;
    mrtc_addr *perms; /* remote addresses this mapping sent to */
    size_t n_perms;
    size_t cap_perms;
} nat_map;

typedef struct nat {
    mrtc_addr pub;
    mrtc_addr prefix;
    unsigned bits;
    bool restricted;
    nat_map *maps;
    size_t n_maps;
    size_t cap_maps;
    uint16_t next_port;
} nat;

typedef struct node {
    const sim_node_ops *ops;
    void *obj;
} node;

typedef struct binding {
    mrtc_addr addr;
    int node;
} binding;

typedef struct mdns_entry {
    char name[MRTC_MDNS_NAME_MAX + 1];
    mrtc_addr addr;
} mdns_entry;

typedef struct stun_srv {
    mrtc_addr addr;
    mrtc_transmit *q;
    size_t n;
    size_t cap;
} stun_srv;

struct sim_net {
    mrtc_rand_seeded rng;
    mrtc_time now;
    uint64_t seq;
    sim_link def;
    link_rule *rules;
    size_t n_rules, cap_rules;
    flow *flows;
    size_t n_flows, cap_flows;
    mrtc_addr *holes;
    size_t n_holes, cap_holes;
    nat *nats;
    size_t n_nats, cap_nats;
    inflight **heap;
    size_t n_heap, cap_heap;
    node *nodes;
    size_t n_nodes, cap_nodes;
    binding *binds;
    size_t n_binds, cap_binds;
    stun_srv **stuns;
    size_t n_stuns, cap_stuns;
    mdns_entry *mdns;
    size_t n_mdns, cap_mdns;
    sim_stats stats;
    void (*trace)(void *user, const char *line);
    void *trace_user;
    bool (*drop)(void *user, const mrtc_transmit *t);
    void *drop_user;
};

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *np = mrtc_realloc(*p, ncap * elem);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

uint64_t sim_hash(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void sim_link_init(sim_link *l)
{
    memset(l, 0, sizeof *l);
    l->delay = MRTC_MSEC(10);
    l->reorder_delay = MRTC_MSEC(20);
    l->queue_bytes = 64 * 1024;
}

/* ---- The wall clock seen by libraries that read it themselves ----------------------------
 * usrsctp samples RTTs with gettimeofday() and its T3 retransmission timeout only resends
 * chunks sent at least one RTO ago by that clock. Under a virtual clock that runs ahead of
 * the wall clock a T3 timeout would find nothing to resend and loss recovery would stall.
 * So simulation executables define gettimeofday() themselves: while a simulation runs it
 * returns a fixed base plus the virtual clock (the definition in the executable interposes
 * on libc's for the shared libraries too). */
static const mrtc_time *wall_clock;
static bool wall_clock_explicit;
static struct timeval wall_base;

static void real_time(struct timeval *tv)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    if (!wall_clock) {
        real_time(tv);
        return 0;
    }
    if (wall_base.tv_sec == 0)
        real_time(&wall_base);
    mrtc_time t = (mrtc_time)wall_base.tv_sec * 1000000u + (mrtc_time)wall_base.tv_usec + *wall_clock;
    tv->tv_sec = (time_t)(t / 1000000u);
    tv->tv_usec = (suseconds_t)(t % 1000000u);
    return 0;
}

void sim_wallclock_set(const mrtc_time *clock)
{
    wall_clock = clock;
    wall_clock_explicit = clock != NULL;
}

sim_net *sim_net_new(uint64_t seed)
{
    sim_net *net = mrtc_calloc(1, sizeof *net);
    if (!net)
        return NULL;
    mrtc_rand_seeded_init(&net->rng, seed);
    sim_link_init(&net->def);
    if (!wall_clock_explicit)
        wall_clock = &net->now;
    return net;
}

void sim_net_free(sim_net *net)
{
    if (!net)
        return;
    if (wall_clock == &net->now)
        wall_clock = NULL;
    for (size_t i = 0; i < net->n_heap; i++)
        mrtc_free(net->heap[i]);
    for (size_t i = 0; i < net->n_nats; i++) {
        for (size_t k = 0; k < net->nats[i].n_maps; k++)
            mrtc_free(net->nats[i].maps[k].perms);
        mrtc_free(net->nats[i].maps);
    }
    for (size_t i = 0; i < net->n_stuns; i++) {
        mrtc_free(net->stuns[i]->q);
        mrtc_free(net->stuns[i]);
    }
    mrtc_free(net->stuns);
    mrtc_free(net->mdns);
    mrtc_free(net->heap);
    mrtc_free(net->rules);
    mrtc_free(net->flows);
    mrtc_free(net->holes);
    mrtc_free(net->nats);
    mrtc_free(net->nodes);
    mrtc_free(net->binds);
    mrtc_free(net);
}

mrtc_time sim_net_now(const sim_net *net)
{
    return net->now;
}

const sim_stats *sim_net_get_stats(const sim_net *net)
{
    return &net->stats;
}

void sim_net_set_trace(sim_net *net, void (*cb)(void *user, const char *line), void *user)
{
    net->trace = cb;
    net->trace_user = user;
}

void sim_net_set_drop_hook(sim_net *net, bool (*fn)(void *user, const mrtc_transmit *t), void *user)
{
    net->drop = fn;
    net->drop_user = user;
}

__attribute__((format(printf, 2, 3))) static void trace(sim_net *net, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    if (!net->trace)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    net->trace(net->trace_user, line);
}

void sim_net_set_default_link(sim_net *net, const sim_link *l)
{
    net->def = *l;
}

int sim_net_set_link(sim_net *net, const mrtc_addr *from, const mrtc_addr *to, const sim_link *l)
{
    if (!grow((void **)&net->rules, &net->cap_rules, net->n_rules + 1, sizeof *net->rules))
        return MRTC_ENOMEM;
    net->rules[net->n_rules++] = (link_rule){.from = *from, .to = *to, .link = *l};
    return 0;
}

int sim_net_set_blackhole(sim_net *net, const mrtc_addr *ip, bool on)
{
    for (size_t i = 0; i < net->n_holes; i++) {
        if (mrtc_addr_ip_eq(&net->holes[i], ip)) {
            if (!on)
                net->holes[i] = net->holes[--net->n_holes];
            return 0;
        }
    }
    if (!on)
        return 0;
    if (!grow((void **)&net->holes, &net->cap_holes, net->n_holes + 1, sizeof *net->holes))
        return MRTC_ENOMEM;
    net->holes[net->n_holes++] = *ip;
    return 0;
}

static bool holed(const sim_net *net, const mrtc_addr *a)
{
    for (size_t i = 0; i < net->n_holes; i++)
        if (mrtc_addr_ip_eq(&net->holes[i], a))
            return true;
    return false;
}

int sim_net_add_nat(sim_net *net, const mrtc_addr *public_ip, const mrtc_addr *prefix,
                    unsigned bits, bool port_restricted)
{
    if (!grow((void **)&net->nats, &net->cap_nats, net->n_nats + 1, sizeof *net->nats))
        return MRTC_ENOMEM;
    nat *n = &net->nats[net->n_nats++];
    memset(n, 0, sizeof *n);
    n->pub = *public_ip;
    n->prefix = *prefix;
    n->bits = bits;
    n->restricted = port_restricted;
    n->next_port = 40000;
    return 0;
}

static bool in_prefix(const mrtc_addr *a, const mrtc_addr *prefix, unsigned bits)
{
    if (a->family != prefix->family)
        return false;
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a->ip, prefix->ip, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (a->ip[full] & mask) == (prefix->ip[full] & mask);
    }
    return true;
}

/* Outbound translation: rewrites *from when it is behind a NAT and *to is outside. */
static bool nat_out(sim_net *net, mrtc_addr *from, const mrtc_addr *to)
{
    for (size_t i = 0; i < net->n_nats; i++) {
        nat *n = &net->nats[i];
        if (!in_prefix(from, &n->prefix, n->bits) || in_prefix(to, &n->prefix, n->bits))
            continue;
        nat_map *m = NULL;
        for (size_t k = 0; k < n->n_maps && !m; k++)
            if (mrtc_addr_eq(&n->maps[k].priv, from))
                m = &n->maps[k];
        if (!m) {
            if (!grow((void **)&n->maps, &n->cap_maps, n->n_maps + 1, sizeof *n->maps))
                return false;
            m = &n->maps[n->n_maps++];
            memset(m, 0, sizeof *m);
            m->priv = *from;
            m->port = n->next_port++;
        }
        bool known = false;
        for (size_t k = 0; k < m->n_perms && !known; k++)
            known = mrtc_addr_eq(&m->perms[k], to);
        if (!known) {
            if (!grow((void **)&m->perms, &m->cap_perms, m->n_perms + 1, sizeof *m->perms))
                return false;
            m->perms[m->n_perms++] = *to;
        }
        *from = n->pub;
        from->port = m->port;
        return true;
    }
    return true;
}

/* Inbound translation: rewrites *to when it is a NAT's public address; false to drop. */
static bool nat_in(sim_net *net, const mrtc_addr *from, mrtc_addr *to)
{
    for (size_t i = 0; i < net->n_nats; i++) {
        nat *n = &net->nats[i];
        if (!mrtc_addr_ip_eq(&n->pub, to))
            continue;
        for (size_t k = 0; k < n->n_maps; k++) {
            nat_map *m = &n->maps[k];
            if (m->port != to->port)
                continue;
            bool ok = !n->restricted;
            for (size_t j = 0; j < m->n_perms && !ok; j++)
                ok = mrtc_addr_eq(&m->perms[j], from);
            if (!ok)
                return false;
            *to = m->priv;
            return true;
        }
        return false;
    }
    return true;
}

/* A private address behind a NAT is reachable only from the same private network. */
static bool routable(const sim_net *net, const mrtc_addr *from, const mrtc_addr *to)
{
    for (size_t i = 0; i < net->n_nats; i++) {
        const nat *n = &net->nats[i];
        if (in_prefix(to, &n->prefix, n->bits) && !in_prefix(from, &n->prefix, n->bits))
            return false;
    }
    return true;
}

static bool addr_match(const mrtc_addr *rule, const mrtc_addr *a)
{
    return mrtc_addr_ip_eq(rule, a) && (rule->port == 0 || rule->port == a->port);
}

static const sim_link *find_link(const sim_net *net, const mrtc_addr *from, const mrtc_addr *to)
{
    for (size_t i = net->n_rules; i-- > 0;)
        if (addr_match(&net->rules[i].from, from) && addr_match(&net->rules[i].to, to))
            return &net->rules[i].link;
    return &net->def;
}

static flow *find_flow(sim_net *net, const mrtc_addr *from, const mrtc_addr *to)
{
    for (size_t i = 0; i < net->n_flows; i++)
        if (mrtc_addr_ip_eq(&net->flows[i].from, from) && mrtc_addr_ip_eq(&net->flows[i].to, to))
            return &net->flows[i];
    if (!grow((void **)&net->flows, &net->cap_flows, net->n_flows + 1, sizeof *net->flows))
        return NULL;
    flow *f = &net->flows[net->n_flows++];
    f->from = *from;
    f->to = *to;
    f->busy_until = 0;
    return f;
}

static double unit(sim_net *net)
{
    return mrtc_rand_u32(&net->rng.rand) / 4294967296.0;
}

static bool heap_less(const inflight *a, const inflight *b)
{
    if (a->d.at != b->d.at)
        return a->d.at < b->d.at;
    return a->seq < b->seq;
}

static void heap_push(sim_net *net, inflight *x)
{
    size_t i = net->n_heap++;
    net->heap[i] = x;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(net->heap[i], net->heap[parent]))
            break;
        inflight *t = net->heap[i];
        net->heap[i] = net->heap[parent];
        net->heap[parent] = t;
        i = parent;
    }
}

static inflight *heap_pop(sim_net *net)
{
    inflight *top = net->heap[0];
    net->heap[0] = net->heap[--net->n_heap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < net->n_heap && heap_less(net->heap[l], net->heap[m]))
            m = l;
        if (r < net->n_heap && heap_less(net->heap[r], net->heap[m]))
            m = r;
        if (m == i)
            break;
        inflight *t = net->heap[i];
        net->heap[i] = net->heap[m];
        net->heap[m] = t;
        i = m;
    }
    return top;
}

static void schedule(sim_net *net, const mrtc_addr *from, const mrtc_addr *to,
                     const mrtc_transmit *t, mrtc_time at)
{
    if (!grow((void **)&net->heap, &net->cap_heap, net->n_heap + 1, sizeof *net->heap))
        return;
    inflight *x = mrtc_malloc(sizeof *x);
    if (!x)
        return;
    x->d.from = *from;
    x->d.to = *to;
    x->d.sent = net->now;
    x->d.at = at;
    x->d.len = t->len;
    memcpy(x->d.data, t->data, t->len);
    x->seq = net->seq++;
    heap_push(net, x);
}

static bool is_mdns_group(const mrtc_addr *a)
{
    return a->family == MRTC_AF_INET && a->port == MRTC_MDNS_PORT && a->ip[0] == 224 &&
           a->ip[1] == 0 && a->ip[2] == 0 && a->ip[3] == 251;
}

/* A query reached the group: answer its questions for registered names by unicast. */
static void mdns_query(sim_net *net, const mrtc_addr *from, const mrtc_transmit *t)
{
    mrtc_mdns_msg *m = mrtc_malloc(sizeof *m);
    net->stats.mdns_queries++;
    if (!m)
        return;
    if (mrtc_mdns_parse(m, t->data, t->len) != 0 || m->response) {
        mrtc_free(m);
        return;
    }
    for (size_t q = 0; q < m->n_questions; q++) {
        for (size_t i = 0; i < net->n_mdns; i++) {
            const mdns_entry *e = &net->mdns[i];
            uint16_t want = e->addr.family == MRTC_AF_INET ? MRTC_MDNS_TYPE_A : MRTC_MDNS_TYPE_AAAA;
            uint16_t qt = m->questions[q].qtype;
            if (!mrtc_mdns_name_eq(m->questions[q].name, e->name) ||
                (qt != want && qt != MRTC_MDNS_TYPE_ANY))
                continue;
            mrtc_transmit r;
            int n = mrtc_mdns_build_answer(r.data, sizeof r.data, e->name, &e->addr, 120);
            if (n <= 0)
                continue;
            r.len = (size_t)n;
            r.local = e->addr;
            r.local.port = MRTC_MDNS_PORT;
            r.remote = *from;
            const sim_link *l = find_link(net, &r.local, from);
            if (l->blackhole || (l->loss > 0 && unit(net) < l->loss))
                continue;
            net->stats.mdns_answers++;
            trace(net, "%llu mdns-answer %s", (unsigned long long)net->now, e->name);
            schedule(net, &r.local, from, &r, net->now + l->delay);
        }
    }
    mrtc_free(m);
}

int sim_net_add_mdns_name(sim_net *net, const char *name, const mrtc_addr *addr)
{
    uint8_t probe[300];
    if (!name || !addr || mrtc_mdns_build_answer(probe, sizeof probe, name, addr, 1) < 0 ||
        strlen(name) > MRTC_MDNS_NAME_MAX)
        return MRTC_EINVAL;
    if (!grow((void **)&net->mdns, &net->cap_mdns, net->n_mdns + 1, sizeof *net->mdns))
        return MRTC_ENOMEM;
    mdns_entry *e = &net->mdns[net->n_mdns++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->addr = *addr;
    e->addr.port = 0;
    return 0;
}

void sim_net_send(sim_net *net, mrtc_time now, const mrtc_transmit *t)
{
    char a[MRTC_ADDR_STRLEN], b[MRTC_ADDR_STRLEN];
    if (now > net->now)
        net->now = now;
    net->stats.sent++;
    mrtc_addr from = t->local, to = t->remote;
    if (t->len > MRTC_TRANSMIT_MAX || !nat_out(net, &from, &to)) {
        net->stats.lost++;
        return;
    }
    mrtc_addr_str(&from, a, sizeof a);
    mrtc_addr_str(&to, b, sizeof b);
    if (!routable(net, &from, &to)) {
        net->stats.nat_dropped++;
        trace(net, "%llu unroutable %s > %s %zu", (unsigned long long)net->now, a, b, t->len);
        return;
    }
    const sim_link *l = find_link(net, &from, &to);
    if (l->blackhole || holed(net, &from) || holed(net, &to)) {
        net->stats.blackholed++;
        trace(net, "%llu blackhole %s > %s %zu", (unsigned long long)net->now, a, b, t->len);
        return;
    }
    if ((net->drop && net->drop(net->drop_user, t)) || (l->loss > 0 && unit(net) < l->loss)) {
        net->stats.lost++;
        trace(net, "%llu lost %s > %s %zu", (unsigned long long)net->now, a, b, t->len);
        return;
    }
    if (is_mdns_group(&to)) {
        trace(net, "%llu mdns-query %s %zu", (unsigned long long)net->now, a, t->len);
        mdns_query(net, &from, t);
        return;
    }
    mrtc_time at = net->now;
    if (l->bandwidth_bps) {
        flow *f = find_flow(net, &from, &to);
        mrtc_time start = f && f->busy_until > net->now ? f->busy_until : net->now;
        uint64_t backlog = (start - net->now) * l->bandwidth_bps / 8000000u;
        if (backlog + t->len > l->queue_bytes) {
            net->stats.queue_dropped++;
            trace(net, "%llu queue-drop %s > %s %zu", (unsigned long long)net->now, a, b, t->len);
            return;
        }
        mrtc_time ser = (mrtc_time)t->len * 8u * 1000000u / l->bandwidth_bps;
        if (f)
            f->busy_until = start + ser;
        at = start + ser;
    }
    int copies = 1;
    if (l->duplicate > 0 && unit(net) < l->duplicate) {
        copies = 2;
        net->stats.duplicated++;
    }
    for (int c = 0; c < copies; c++) {
        mrtc_time when = at + l->delay;
        if (l->jitter)
            when += mrtc_rand_u64(&net->rng.rand) % (l->jitter + 1);
        if (l->reorder > 0 && unit(net) < l->reorder) {
            when += l->reorder_delay;
            net->stats.reordered++;
        }
        trace(net, "%llu send %s > %s %zu at %llu", (unsigned long long)net->now, a, b, t->len,
              (unsigned long long)when);
        schedule(net, &from, &to, t, when);
    }
}

mrtc_time sim_net_next_delivery(const sim_net *net)
{
    return net->n_heap ? net->heap[0]->d.at : MRTC_TIME_NEVER;
}

bool sim_net_poll(sim_net *net, mrtc_time now, sim_datagram *out)
{
    char a[MRTC_ADDR_STRLEN], b[MRTC_ADDR_STRLEN];
    if (now > net->now)
        net->now = now;
    while (net->n_heap && net->heap[0]->d.at <= now) {
        inflight *x = heap_pop(net);
        mrtc_addr_str(&x->d.from, a, sizeof a);
        mrtc_addr_str(&x->d.to, b, sizeof b);
        if (holed(net, &x->d.from) || holed(net, &x->d.to)) {
            net->stats.blackholed++;
            trace(net, "%llu blackhole-in-flight %s > %s", (unsigned long long)now, a, b);
            mrtc_free(x);
            continue;
        }
        if (!nat_in(net, &x->d.from, &x->d.to)) {
            net->stats.nat_dropped++;
            trace(net, "%llu nat-drop %s > %s", (unsigned long long)now, a, b);
            mrtc_free(x);
            continue;
        }
        *out = x->d;
        mrtc_free(x);
        net->stats.delivered++;
        trace(net, "%llu deliver %s > %s %zu", (unsigned long long)now, a, b, out->len);
        return true;
    }
    return false;
}

/* ---- the driver ---- */

int sim_net_add_node(sim_net *net, const sim_node_ops *ops, void *obj)
{
    if (!grow((void **)&net->nodes, &net->cap_nodes, net->n_nodes + 1, sizeof *net->nodes))
        return MRTC_ENOMEM;
    net->nodes[net->n_nodes] = (node){.ops = ops, .obj = obj};
    return (int)net->n_nodes++;
}

int sim_net_bind(sim_net *net, int nd, const mrtc_addr *addr)
{
    for (size_t i = 0; i < net->n_binds; i++)
        if (mrtc_addr_eq(&net->binds[i].addr, addr))
            return MRTC_EEXIST;
    if (!grow((void **)&net->binds, &net->cap_binds, net->n_binds + 1, sizeof *net->binds))
        return MRTC_ENOMEM;
    net->binds[net->n_binds++] = (binding){.addr = *addr, .node = nd};
    return 0;
}

static void drain(sim_net *net, const node *n)
{
    mrtc_transmit t;
    while (n->ops->poll_transmit(n->obj, &t))
        sim_net_send(net, net->now, &t);
}

bool sim_net_run(sim_net *net, mrtc_time until, bool (*done)(void *user), void *user)
{
    sim_datagram d;
    mrtc_time last = MRTC_TIME_NEVER;
    unsigned spins = 0;
    for (;;) {
        for (size_t i = 0; i < net->n_nodes; i++)
            drain(net, &net->nodes[i]);
        if (done && done(user))
            return true;
        mrtc_time t = sim_net_next_delivery(net);
        for (size_t i = 0; i < net->n_nodes; i++)
            t = mrtc_time_min(t, net->nodes[i].ops->next_timeout(net->nodes[i].obj));
        if (t == MRTC_TIME_NEVER || t > until) {
            if (until > net->now && until != MRTC_TIME_NEVER)
                net->now = until;
            return false;
        }
        if (t > net->now)
            net->now = t;
        if (net->now == last) {
            if (++spins > 100000) {
                fprintf(stderr,
                        "sim: time stuck at %llu us: a node keeps asking to be "
                        "woken without progress\n",
                        (unsigned long long)net->now);
                abort();
            }
        } else {
            spins = 0;
            last = net->now;
        }
        while (sim_net_poll(net, net->now, &d)) {
            const node *target = NULL;
            for (size_t i = 0; i < net->n_binds && !target; i++)
                if (mrtc_addr_eq(&net->binds[i].addr, &d.to))
                    target = &net->nodes[net->binds[i].node];
            if (!target) {
                net->stats.unreachable++;
                continue;
            }
            target->ops->handle_packet(target->obj, net->now, &d);
            drain(net, target);
        }
        for (size_t i = 0; i < net->n_nodes; i++) {
            node *n = &net->nodes[i];
            if (n->ops->next_timeout(n->obj) <= net->now) {
                n->ops->handle_timeout(n->obj, net->now);
                drain(net, n);
            }
        }
    }
}

/* ---- the STUN server ---- */

static void stun_packet(void *obj, mrtc_time now, const sim_datagram *d)
{
    stun_srv *s = obj;
    mrtc_stun_msg m;
    uint8_t buf[128];
    mrtc_stun_writer w;
    (void)now;
    if (mrtc_stun_decode(&m, d->data, d->len) != 0 || m.method != MRTC_STUN_BINDING ||
        m.cls != MRTC_STUN_REQUEST)
        return;
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING, MRTC_STUN_SUCCESS, m.tid);
    mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &d->from);
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    if (n <= 0 || !grow((void **)&s->q, &s->cap, s->n + 1, sizeof *s->q))
        return;
    mrtc_transmit *t = &s->q[s->n++];
    t->local = s->addr;
    t->remote = d->from;
    t->len = (size_t)n;
    memcpy(t->data, buf, (size_t)n);
}

static void stun_timeout(void *obj, mrtc_time now)
{
    (void)obj;
    (void)now;
}

static mrtc_time stun_next(void *obj)
{
    (void)obj;
    return MRTC_TIME_NEVER;
}

static bool stun_poll(void *obj, mrtc_transmit *out)
{
    stun_srv *s = obj;
    if (s->n == 0)
        return false;
    *out = s->q[0];
    memmove(s->q, s->q + 1, (s->n - 1) * sizeof *s->q);
    s->n--;
    return true;
}

static const sim_node_ops stun_ops = {
    .handle_packet = stun_packet,
    .handle_timeout = stun_timeout,
    .next_timeout = stun_next,
    .poll_transmit = stun_poll,
};

int sim_net_add_stun_server(sim_net *net, const mrtc_addr *addr)
{
    if (!grow((void **)&net->stuns, &net->cap_stuns, net->n_stuns + 1, sizeof *net->stuns))
        return MRTC_ENOMEM;
    stun_srv *s = mrtc_calloc(1, sizeof *s);
    if (!s)
        return MRTC_ENOMEM;
    s->addr = *addr;
    net->stuns[net->n_stuns++] = s;
    int nd = sim_net_add_node(net, &stun_ops, s);
    if (nd < 0)
        return nd;
    return sim_net_bind(net, nd, addr);
}
