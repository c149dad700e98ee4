/*
 * The virtual I/O host (see core/vio.h): the same contract as the libuv runtime (timer
 * re-armed through next_timeout, callbacks delivered from "the loop" only, never from inside
 * an API call), with time, interfaces and the network supplied by the simulation.
 *
 * Not a network: routing, loss and delay belong to the simulator (tests/sim). Sockets are
 * bookkeeping only: a bound (address, port) owned by a PeerConnection. The host's mDNS socket
 * is <interface>:5353 once a query went out: datagrams to it (or to 224.0.0.251:5353) go to
 * every PeerConnection's mrtc_pc_handle_mdns().
 */
#include "core/vio.h"

#include "core/pc.h"
#include "core/util/alloc.h"
#include "ice/mdns.h"
#include "meshrtc/error.h"

#include <string.h>

#define VIO_MAX_SOCKS 256
#define VIO_MAX_PCS 64

typedef struct vio_sock {
    mrtc_pc *pc;
    mrtc_addr addr;
} vio_sock;

struct mrtc_vio {
    mrtc_io io; /* first: converts back */
    mrtc_vio_config cfg;
    mrtc_io_ifaddr ifs[MRTC_IO_MAX_IFADDRS];
    mrtc_rand_seeded rand;
    vio_sock socks[VIO_MAX_SOCKS];
    size_t n_socks;
    mrtc_pc *pcs[VIO_MAX_PCS];
    size_t n_pcs;
    uint16_t next_port;
    uint64_t sent;
    bool mdns_open; /* mdns_send() was used: datagrams to <interface>:5353 are mDNS */
    uint64_t mdns_sent;
};

static mrtc_vio *vio_of(mrtc_io *io)
{
    return (mrtc_vio *)io;
}

static mrtc_time v_now(mrtc_io *io)
{
    return *vio_of(io)->cfg.clock;
}

static int v_interfaces(mrtc_io *io, mrtc_io_ifaddr *out, size_t cap, size_t *n)
{
    mrtc_vio *v = vio_of(io);
    *n = 0;
    for (size_t i = 0; i < v->cfg.n_ifaddrs && i < cap; i++)
        out[(*n)++] = v->ifs[i];
    return 0;
}

static int v_bind(mrtc_io *io, mrtc_pc *pc, const mrtc_addr *ip, mrtc_addr *bound)
{
    mrtc_vio *v = vio_of(io);
    bool ours = false;
    for (size_t i = 0; i < v->cfg.n_ifaddrs; i++)
        ours = ours || mrtc_addr_ip_eq(&v->ifs[i].addr, ip);
    if (!ours)
        return MRTC_EADDR;
    size_t slot = v->n_socks;
    for (size_t i = 0; i < v->n_socks; i++) {
        if (!v->socks[i].pc) {
            slot = i;
            break;
        }
    }
    if (slot == VIO_MAX_SOCKS)
        return MRTC_ENOMEM;
    vio_sock *s = &v->socks[slot];
    s->pc = pc;
    s->addr = *ip;
    s->addr.port = v->next_port++;
    if (slot == v->n_socks)
        v->n_socks++;
    *bound = s->addr;
    return 0;
}

static void v_unbind_all(mrtc_io *io, mrtc_pc *pc)
{
    mrtc_vio *v = vio_of(io);
    for (size_t i = 0; i < v->n_socks; i++) {
        if (v->socks[i].pc == pc)
            v->socks[i].pc = NULL;
    }
}

static int v_send(mrtc_io *io, mrtc_pc *pc, const mrtc_transmit *t)
{
    mrtc_vio *v = vio_of(io);
    for (size_t i = 0; i < v->n_socks; i++) {
        if (v->socks[i].pc == pc && mrtc_addr_eq(&v->socks[i].addr, &t->local)) {
            v->sent++;
            if (v->cfg.send)
                v->cfg.send(v->cfg.send_user, t);
            return 0;
        }
    }
    return MRTC_ENOTFOUND;
}

static bool is_ifaddr(const mrtc_vio *v, const mrtc_addr *a)
{
    for (size_t i = 0; i < v->cfg.n_ifaddrs; i++) {
        if (mrtc_addr_ip_eq(&v->ifs[i].addr, a))
            return true;
    }
    return false;
}

/* An mDNS query leaves from <interface>:5353 for 224.0.0.251:5353 (RFC 6762 section 5.2). */
static int v_mdns_send(mrtc_io *io, const mrtc_addr *ifaddr, const uint8_t *data, size_t len)
{
    mrtc_vio *v = vio_of(io);
    if (ifaddr->family != MRTC_AF_INET)
        return MRTC_EINVAL;
    if (!is_ifaddr(v, ifaddr))
        return MRTC_EADDR;
    if (len > MRTC_TRANSMIT_MAX)
        return MRTC_ETOOBIG;
    mrtc_transmit t;
    t.local = *ifaddr;
    t.local.port = MRTC_MDNS_PORT;
    mrtc_addr_parse_ip(&t.remote, MRTC_MDNS_GROUP_V4, MRTC_MDNS_PORT);
    memcpy(t.data, data, len);
    t.len = len;
    v->mdns_open = true;
    v->mdns_sent++;
    if (v->cfg.send)
        v->cfg.send(v->cfg.send_user, &t);
    return 0;
}

static void v_wake(mrtc_io *io, mrtc_pc *pc)
{
    (void)io; /* next_timeout is polled by the simulation */
    (void)pc;
}

static int v_attach(mrtc_io *io, mrtc_pc *pc)
{
    mrtc_vio *v = vio_of(io);
    if (v->n_pcs == VIO_MAX_PCS)
        return MRTC_ENOMEM;
    v->pcs[v->n_pcs++] = pc;
    return 0;
}

static void v_detach(mrtc_io *io, mrtc_pc *pc)
{
    mrtc_vio *v = vio_of(io);
    for (size_t i = 0; i < v->n_pcs; i++) {
        if (v->pcs[i] == pc) {
            memmove(&v->pcs[i], &v->pcs[i + 1], (v->n_pcs - i - 1) * sizeof v->pcs[0]);
            v->n_pcs--;
            return;
        }
    }
}

static const mrtc_io_ops vio_ops = {
    .now = v_now,
    .interfaces = v_interfaces,
    .bind = v_bind,
    .unbind_all = v_unbind_all,
    .send = v_send,
    .wake = v_wake,
    .attach = v_attach,
    .detach = v_detach,
    .mdns_send = v_mdns_send,
};

void mrtc_vio_config_init(mrtc_vio_config *cfg)
{
    *cfg = (mrtc_vio_config){.seed = 1, .first_port = 50000};
}

int mrtc_vio_new(const mrtc_vio_config *cfg, mrtc_vio **out)
{
    *out = NULL;
    if (!cfg || !cfg->clock || cfg->n_ifaddrs > MRTC_IO_MAX_IFADDRS)
        return MRTC_EINVAL;
    mrtc_vio *v = mrtc_calloc(1, sizeof *v);
    if (!v)
        return MRTC_ENOMEM;
    v->cfg = *cfg;
    if (cfg->n_ifaddrs)
        memcpy(v->ifs, cfg->ifaddrs, cfg->n_ifaddrs * sizeof v->ifs[0]);
    v->cfg.ifaddrs = v->ifs;
    mrtc_rand_seeded_init(&v->rand, cfg->seed);
    v->io.ops = &vio_ops;
    v->io.rand = &v->rand.rand;
    v->next_port = cfg->first_port ? cfg->first_port : 50000;
    *out = v;
    return 0;
}

void mrtc_vio_free(mrtc_vio *v)
{
    if (!v)
        return;
    while (v->n_pcs) {
        mrtc_pc *pc = v->pcs[0];
        mrtc_pc_close_silently(pc);
        mrtc_pc_dispatch(pc); /* runs its close_cb (if any) and frees it */
    }
    mrtc_free(v);
}

mrtc_io *mrtc_vio_io(mrtc_vio *v)
{
    return &v->io;
}

bool mrtc_vio_deliver(mrtc_vio *v, const mrtc_addr *to, const mrtc_addr *from, const uint8_t *data,
                      size_t len)
{
    if (v->mdns_open && to->port == MRTC_MDNS_PORT && to->family == MRTC_AF_INET &&
        (is_ifaddr(v, to) || (to->ip[0] == 224 && to->ip[1] == 0 && to->ip[2] == 0 &&
                              to->ip[3] == 251))) {
        /* Every PeerConnection sees it, as they share the host's one mDNS socket. */
        mrtc_pc *snap[VIO_MAX_PCS];
        size_t n = v->n_pcs;
        memcpy(snap, v->pcs, n * sizeof snap[0]);
        for (size_t i = 0; i < n; i++)
            mrtc_pc_handle_mdns(snap[i], from, data, len);
        return true;
    }
    for (size_t i = 0; i < v->n_socks; i++) {
        if (v->socks[i].pc && mrtc_addr_eq(&v->socks[i].addr, to)) {
            mrtc_pc_handle_datagram(v->socks[i].pc, &v->socks[i].addr, from, data, len);
            return true;
        }
    }
    return false;
}

mrtc_time mrtc_vio_next_timeout(const mrtc_vio *v)
{
    mrtc_time t = MRTC_TIME_NEVER;
    for (size_t i = 0; i < v->n_pcs; i++) {
        if (mrtc_pc_has_events(v->pcs[i]))
            return *v->cfg.clock;
        t = mrtc_time_min(t, mrtc_pc_next_timeout(v->pcs[i]));
    }
    return t;
}

void mrtc_vio_run(mrtc_vio *v)
{
    mrtc_time now = *v->cfg.clock;
    for (int round = 0; round < 1000; round++) {
        bool did = false;
        for (size_t i = 0; i < v->n_pcs; i++) {
            if (mrtc_pc_next_timeout(v->pcs[i]) <= now) {
                mrtc_pc_handle_timeout(v->pcs[i]);
                did = true;
            }
        }
        /* Dispatch from a snapshot: callbacks may create or close PeerConnections. */
        mrtc_pc *snap[VIO_MAX_PCS];
        size_t n = v->n_pcs;
        memcpy(snap, v->pcs, n * sizeof snap[0]);
        for (size_t i = 0; i < n; i++) {
            bool alive = false;
            for (size_t k = 0; k < v->n_pcs; k++)
                alive = alive || v->pcs[k] == snap[i];
            if (alive && mrtc_pc_has_events(snap[i])) {
                mrtc_pc_dispatch(snap[i]);
                did = true;
            }
        }
        if (!did)
            return;
    }
}

size_t mrtc_vio_pc_count(const mrtc_vio *v)
{
    return v->n_pcs;
}

uint64_t mrtc_vio_sent(const mrtc_vio *v)
{
    return v->sent;
}

uint64_t mrtc_vio_mdns_sent(const mrtc_vio *v)
{
    return v->mdns_sent;
}
