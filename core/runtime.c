/*
 * The libuv runtime: the one place (with nothing else in core/) that includes <uv.h>. It
 * implements the I/O interface of core/io.h for the PeerConnections of one loop:
 *   - the clock: uv_hrtime() in microseconds;
 *   - interfaces: uv_interface_addresses();
 *   - one UDP socket (uv_udp_t) per PeerConnection and local address, received datagrams
 *     handed to mrtc_pc_handle_datagram(), sends with uv_udp_try_send() (a datagram the
 *     kernel cannot take now is dropped, as UDP may drop it anyway);
 *   - ONE uv_timer armed at the earliest mrtc_pc_next_timeout() of every PeerConnection (a
 *     full scan after each timer run; between runs a PeerConnection that changed can only
 *     move the timer earlier, so a datagram costs O(1));
 *   - one uv_async that runs mrtc_runtime_post() work and delivers queued callbacks, so
 *     callbacks never run inside an API call;
 *   - one mDNS socket, opened by the first query (core/pc_mdns.c): 0.0.0.0:5353 shared with
 *     other mDNS software (SO_REUSEADDR, RFC 6762 section 5.2), else an ephemeral port
 *     (responders then answer by unicast, section 6.7). Each query leaves through the
 *     interface of the PeerConnection's base address only (IP_MULTICAST_IF), which also joins
 *     224.0.0.251 on that interface; IP_MULTICAST_ALL is off so group traffic of interfaces
 *     nobody joined here is not received. Received datagrams go to every PeerConnection.
 *
 * Not done: name resolution (STUN/TURN server names), sockets shared between
 * PeerConnections, TCP, IPv6 mDNS (ff02::fb).
 */
#include "core/pc.h"
#include "core/runtime_hooks.h"

#include "core/io.h"
#include "core/util/alloc.h"
#include "core/util/log.h"
#include "ice/mdns.h"
#include "meshrtc/error.h"
#include "meshrtc/runtime.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#define LOG_TAG "rt"
#define RECV_BUF 65536

typedef struct rt_sock rt_sock;
typedef struct rt_post rt_post;
typedef struct rt_pc rt_pc;

struct rt_sock {
    uv_udp_t udp;
    mrtc_runtime *rt;
    mrtc_pc *pc; /* NULL once unbound (closing) */
    mrtc_addr local;
    rt_sock *next;
    bool is_mdns; /* the runtime's mDNS socket (not in the socks list) */
};

struct rt_post {
    mrtc_runtime_post_cb fn;
    void *user;
    rt_post *next;
};

struct rt_pc {
    mrtc_pc *pc;
    rt_pc *next;
};

#define RT_SOCKET_BUFFER (4 * 1024 * 1024)
#define RT_MDNS_MAX_JOINED 16

struct mrtc_runtime {
    mrtc_io io; /* first: the io pointer converts back to the runtime */
    uv_loop_t *loop;
    uv_timer_t timer;
    uv_async_t async;
    uv_mutex_t mu; /* guards posts and closing */
    rt_post *posts, *posts_tail;
    bool closing;
    rt_pc *pcs;
    rt_sock *socks;
    int open_handles; /* timer, async and sockets not yet closed */
    bool handles_closing;
    mrtc_runtime_close_cb close_cb;
    void *close_user;
    uint8_t buf[RECV_BUF];
    bool buf_busy;
    mrtc_time armed;  /* when the timer fires (MRTC_TIME_NEVER: stopped) */
    bool in_timer;    /* inside on_timer: it re-arms once at the end */
    mrtc_runtime_hook *hooks; /* close hooks (core/runtime_hooks.h) */
    rt_sock *mdns;            /* NULL until the first mDNS query */
    mrtc_addr mdns_joined[RT_MDNS_MAX_JOINED]; /* interfaces joined to 224.0.0.251 */
    size_t n_mdns_joined;
};

static mrtc_runtime *rt_of(mrtc_io *io)
{
    return (mrtc_runtime *)io;
}

/* ---- The I/O interface ---------------------------------------------------------------- */

static mrtc_time rt_now(mrtc_io *io)
{
    (void)io;
    return uv_hrtime() / 1000u;
}

static int rt_interfaces(mrtc_io *io, mrtc_io_ifaddr *out, size_t cap, size_t *n)
{
    uv_interface_address_t *ifs;
    int count;
    (void)io;
    *n = 0;
    if (uv_interface_addresses(&ifs, &count) != 0)
        return MRTC_EIO;
    for (int i = 0; i < count && *n < cap; i++) {
        mrtc_io_ifaddr *o = &out[*n];
        memset(o, 0, sizeof *o);
        if (mrtc_addr_from_sockaddr(&o->addr, &ifs[i].address) != 0)
            continue;
        o->addr.port = 0;
        snprintf(o->name, sizeof o->name, "%s", ifs[i].name);
        o->internal = ifs[i].is_internal;
        (*n)++;
    }
    uv_free_interface_addresses(ifs, count);
    return 0;
}

static void on_handle_closed(uv_handle_t *h);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    rt_sock *s = h->data;
    (void)suggested;
    if (s->rt->buf_busy) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    s->rt->buf_busy = true;
    *buf = uv_buf_init((char *)s->rt->buf, RECV_BUF);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    rt_sock *s = h->data;
    mrtc_runtime *rt = s->rt;
    if (buf->base == (char *)rt->buf)
        rt->buf_busy = false;
    if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL) || (!s->pc && !s->is_mdns))
        return;
    mrtc_addr remote;
    if (mrtc_addr_from_sockaddr(&remote, from) != 0)
        return;
    if (s->is_mdns) {
        for (rt_pc *p = rt->pcs; p; p = p->next)
            mrtc_pc_handle_mdns(p->pc, &remote, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    mrtc_pc_handle_datagram(s->pc, &s->local, &remote, (const uint8_t *)buf->base, (size_t)nread);
}

static int rt_bind(mrtc_io *io, mrtc_pc *pc, const mrtc_addr *ip, mrtc_addr *bound)
{
    mrtc_runtime *rt = rt_of(io);
    struct sockaddr_storage ss;
    int namelen = sizeof ss;
    mrtc_addr a = *ip;
    a.port = 0;
    if (mrtc_addr_to_sockaddr(&a, &ss) == 0)
        return MRTC_EADDR;
    rt_sock *s = mrtc_calloc(1, sizeof *s);
    if (!s)
        return MRTC_ENOMEM;
    s->rt = rt;
    s->pc = pc;
    if (uv_udp_init(rt->loop, &s->udp) != 0) {
        mrtc_free(s);
        return MRTC_EIO;
    }
    s->udp.data = s;
    rt->open_handles++;
    s->next = rt->socks;
    rt->socks = s;
    int r = uv_udp_bind(&s->udp, (const struct sockaddr *)&ss,
                        a.family == MRTC_AF_INET6 ? UV_UDP_IPV6ONLY : 0);
    if (r == 0)
        r = uv_udp_getsockname(&s->udp, (struct sockaddr *)&ss, &namelen);
    if (r == 0)
        r = mrtc_addr_from_sockaddr(&s->local, &ss) == 0 ? 0 : UV_EINVAL;
    if (r == 0) {
        /* SCTP bursts up to its 1 MiB window: the 208 KiB default receive buffer drops
         * datagrams under load (measured by tests/bench). The kernel caps the value at
         * net.core.rmem_max/wmem_max; memory is only used while datagrams wait. */
        int size = RT_SOCKET_BUFFER;
        (void)uv_recv_buffer_size((uv_handle_t *)&s->udp, &size);
        size = RT_SOCKET_BUFFER;
        (void)uv_send_buffer_size((uv_handle_t *)&s->udp, &size);
        r = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
    }
    if (r != 0) {
        char buf[MRTC_ADDR_STRLEN];
        MRTC_WARN(LOG_TAG, "bind %s: %s", mrtc_addr_ip_str(ip, buf, sizeof buf), uv_strerror(r));
        s->pc = NULL;
        uv_close((uv_handle_t *)&s->udp, on_handle_closed);
        return MRTC_EADDR;
    }
    s->local.scope_id = ip->scope_id;
    *bound = s->local;
    return 0;
}

static void rt_unbind_all(mrtc_io *io, mrtc_pc *pc)
{
    for (rt_sock *s = rt_of(io)->socks; s; s = s->next) {
        if (s->pc != pc)
            continue;
        s->pc = NULL;
        uv_udp_recv_stop(&s->udp);
        uv_close((uv_handle_t *)&s->udp, on_handle_closed);
    }
}

static int rt_send(mrtc_io *io, mrtc_pc *pc, const mrtc_transmit *t)
{
    mrtc_runtime *rt = rt_of(io);
    for (rt_sock **pp = &rt->socks; *pp; pp = &(*pp)->next) {
        rt_sock *s = *pp;
        if (s->pc != pc || !mrtc_addr_eq(&s->local, &t->local))
            continue;
        if (pp != &rt->socks) { /* most recently used first: sends find it at once */
            *pp = s->next;
            s->next = rt->socks;
            rt->socks = s;
        }
        struct sockaddr_storage ss;
        if (mrtc_addr_to_sockaddr(&t->remote, &ss) == 0)
            return MRTC_EADDR;
        uv_buf_t b = uv_buf_init((char *)t->data, (unsigned)t->len);
        int r = uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)&ss);
        if (r < 0) {
            MRTC_DEBUG(LOG_TAG, "send dropped: %s", uv_strerror(r));
            return MRTC_EIO;
        }
        return 0;
    }
    return MRTC_ENOTFOUND;
}

/* ---- mDNS ----------------------------------------------------------------------------- */

/* A UDP handle bound to 0.0.0.0:port, receiving; NULL on failure (the handle is closed). */
static rt_sock *mdns_open_port(mrtc_runtime *rt, int port, unsigned flags)
{
    struct sockaddr_in sin;
    rt_sock *s = mrtc_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rt = rt;
    s->is_mdns = true;
    if (uv_udp_init(rt->loop, &s->udp) != 0) {
        mrtc_free(s);
        return NULL;
    }
    s->udp.data = s;
    rt->open_handles++;
    int r = uv_ip4_addr("0.0.0.0", port, &sin);
    if (r == 0)
        r = uv_udp_bind(&s->udp, (const struct sockaddr *)&sin, flags);
#ifdef IP_MULTICAST_ALL
    uv_os_fd_t fd;
    if (r == 0 && uv_fileno((uv_handle_t *)&s->udp, &fd) == 0) {
        int off = 0;
        (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
    }
#endif
    if (r == 0)
        r = uv_udp_set_multicast_ttl(&s->udp, 255); /* RFC 6762 section 11 */
    if (r == 0)
        r = uv_udp_set_multicast_loop(&s->udp, 1); /* responders on this host */
    if (r == 0)
        r = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
    if (r != 0) {
        MRTC_DEBUG(LOG_TAG, "mDNS socket on port %d: %s", port, uv_strerror(r));
        s->is_mdns = false;
        uv_close((uv_handle_t *)&s->udp, on_handle_closed);
        return NULL;
    }
    return s;
}

static int rt_mdns_send(mrtc_io *io, const mrtc_addr *ifaddr, const uint8_t *data, size_t len)
{
    mrtc_runtime *rt = rt_of(io);
    char ifstr[MRTC_ADDR_STRLEN];
    if (ifaddr->family != MRTC_AF_INET)
        return MRTC_EINVAL;
    if (rt->handles_closing)
        return MRTC_ECLOSED;
    if (!rt->mdns) {
        rt->mdns = mdns_open_port(rt, MRTC_MDNS_PORT, UV_UDP_REUSEADDR);
        if (!rt->mdns) {
            MRTC_INFO(LOG_TAG, "mDNS: port 5353 unavailable, querying from an ephemeral port");
            rt->mdns = mdns_open_port(rt, 0, 0);
        }
        if (!rt->mdns)
            return MRTC_EIO;
    }
    mrtc_addr_ip_str(ifaddr, ifstr, sizeof ifstr);
    bool joined = false;
    for (size_t i = 0; i < rt->n_mdns_joined && !joined; i++)
        joined = mrtc_addr_ip_eq(&rt->mdns_joined[i], ifaddr);
    if (!joined) {
        int r = uv_udp_set_membership(&rt->mdns->udp, MRTC_MDNS_GROUP_V4, ifstr, UV_JOIN_GROUP);
        if (r != 0)
            MRTC_DEBUG(LOG_TAG, "mDNS: joining the group on %s: %s", ifstr, uv_strerror(r));
        if (rt->n_mdns_joined < RT_MDNS_MAX_JOINED)
            rt->mdns_joined[rt->n_mdns_joined++] = *ifaddr;
    }
    /* Never let the routing table pick the interface: no interface, no query. */
    int r = uv_udp_set_multicast_interface(&rt->mdns->udp, ifstr);
    struct sockaddr_in group;
    if (r == 0)
        r = uv_ip4_addr(MRTC_MDNS_GROUP_V4, MRTC_MDNS_PORT, &group);
    if (r == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        r = uv_udp_try_send(&rt->mdns->udp, &b, 1, (const struct sockaddr *)&group);
    }
    if (r < 0) {
        MRTC_DEBUG(LOG_TAG, "mDNS query via %s dropped: %s", ifstr, uv_strerror(r));
        return MRTC_EIO;
    }
    return 0;
}

static void on_timer(uv_timer_t *h);

/* Starts the timer for `next`. From inside on_timer a due deadline waits 1 ms: libuv runs
 * a timer re-armed at 0 ms again in the same pass, which would starve socket reads. */
static void arm(mrtc_runtime *rt, mrtc_time next, bool from_timer)
{
    rt->armed = next;
    if (next == MRTC_TIME_NEVER) {
        uv_timer_stop(&rt->timer);
        return;
    }
    mrtc_time now = rt_now(&rt->io);
    uint64_t ms = next <= now ? 0 : (next - now + 999) / 1000;
    if (ms == 0 && from_timer)
        ms = 1;
    uv_timer_start(&rt->timer, on_timer, ms, 0);
}

/* The full scan: the earliest deadline of every PeerConnection. */
static void rearm(mrtc_runtime *rt, bool from_timer)
{
    if (rt->handles_closing)
        return;
    mrtc_time next = MRTC_TIME_NEVER;
    bool events = false;
    for (rt_pc *p = rt->pcs; p; p = p->next) {
        next = mrtc_time_min(next, mrtc_pc_next_timeout(p->pc));
        events = events || mrtc_pc_has_events(p->pc);
    }
    if (events)
        uv_async_send(&rt->async);
    arm(rt, next, from_timer);
}

/* One PeerConnection changed: only an earlier deadline moves the timer (a later one makes
 * it fire early, and on_timer rescans), so a datagram costs O(1), not a scan of every
 * PeerConnection. */
static void rt_wake(mrtc_io *io, mrtc_pc *pc)
{
    mrtc_runtime *rt = rt_of(io);
    if (rt->handles_closing || rt->in_timer)
        return;
    if (mrtc_pc_has_events(pc))
        uv_async_send(&rt->async);
    mrtc_time next = mrtc_pc_next_timeout(pc);
    if (next < rt->armed)
        arm(rt, next, false);
}

static int rt_attach(mrtc_io *io, mrtc_pc *pc)
{
    mrtc_runtime *rt = rt_of(io);
    rt_pc *p = mrtc_calloc(1, sizeof *p);
    if (!p)
        return MRTC_ENOMEM;
    p->pc = pc;
    p->next = rt->pcs;
    rt->pcs = p;
    return 0;
}

static void rt_detach(mrtc_io *io, mrtc_pc *pc)
{
    mrtc_runtime *rt = rt_of(io);
    for (rt_pc **pp = &rt->pcs; *pp; pp = &(*pp)->next) {
        if ((*pp)->pc == pc) {
            rt_pc *dead = *pp;
            *pp = dead->next;
            mrtc_free(dead);
            return;
        }
    }
}

static const mrtc_io_ops rt_ops = {
    .now = rt_now,
    .interfaces = rt_interfaces,
    .bind = rt_bind,
    .unbind_all = rt_unbind_all,
    .send = rt_send,
    .wake = rt_wake,
    .attach = rt_attach,
    .detach = rt_detach,
    .mdns_send = rt_mdns_send,
};

/* ---- Loop callbacks ------------------------------------------------------------------- */

static void maybe_finish(mrtc_runtime *rt);

static void on_timer(uv_timer_t *h)
{
    mrtc_runtime *rt = h->data;
    mrtc_time now = rt_now(&rt->io);
    rt->armed = MRTC_TIME_NEVER;
    rt->in_timer = true;
    for (rt_pc *p = rt->pcs; p; p = p->next) {
        if (mrtc_pc_next_timeout(p->pc) <= now)
            mrtc_pc_handle_timeout(p->pc);
    }
    rt->in_timer = false;
    rearm(rt, true);
}

/* Delivers queued callbacks of every PeerConnection. A callback may close or create
 * PeerConnections: a PeerConnection is only freed by its own dispatch. */
static void dispatch_all(mrtc_runtime *rt)
{
    bool again = true;
    while (again) {
        again = false;
        for (rt_pc *p = rt->pcs, *next; p; p = next) {
            next = p->next;
            if (mrtc_pc_has_events(p->pc)) {
                mrtc_pc_dispatch(p->pc); /* may free p */
                again = true;
            }
        }
    }
}

static void on_async(uv_async_t *h)
{
    mrtc_runtime *rt = h->data;
    for (;;) {
        uv_mutex_lock(&rt->mu);
        rt_post *list = rt->posts;
        rt->posts = rt->posts_tail = NULL;
        uv_mutex_unlock(&rt->mu);
        if (!list)
            break;
        while (list) {
            rt_post *p = list;
            list = p->next;
            p->fn(p->user);
            mrtc_free(p);
        }
    }
    dispatch_all(rt);
    if (rt->closing)
        maybe_finish(rt);
    else
        rearm(rt, false);
}

static void on_handle_closed(uv_handle_t *h)
{
    mrtc_runtime *rt;
    if (h->type == UV_UDP) {
        rt_sock *s = h->data;
        rt = s->rt;
        for (rt_sock **pp = &rt->socks; *pp; pp = &(*pp)->next) {
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        }
        mrtc_free(s);
    } else {
        rt = h->data;
    }
    if (--rt->open_handles == 0 && rt->handles_closing) {
        mrtc_runtime_close_cb cb = rt->close_cb;
        void *user = rt->close_user;
        if (cb)
            cb(rt, user);
        uv_mutex_destroy(&rt->mu);
        MRTC_DEBUG(LOG_TAG, "runtime freed");
        mrtc_free(rt);
    }
}

/* Closing: once every PeerConnection is gone and no post is left, close the handles. */
static void maybe_finish(mrtc_runtime *rt)
{
    if (rt->handles_closing || rt->pcs)
        return;
    uv_mutex_lock(&rt->mu);
    bool posts = rt->posts != NULL;
    uv_mutex_unlock(&rt->mu);
    if (posts) {
        uv_async_send(&rt->async);
        return;
    }
    rt->handles_closing = true;
    if (rt->mdns) {
        uv_udp_recv_stop(&rt->mdns->udp);
        uv_close((uv_handle_t *)&rt->mdns->udp, on_handle_closed);
        rt->mdns = NULL;
    }
    uv_close((uv_handle_t *)&rt->timer, on_handle_closed);
    uv_close((uv_handle_t *)&rt->async, on_handle_closed);
}

/* ---- Public API ----------------------------------------------------------------------- */

int mrtc_runtime_new(struct uv_loop_s *loop, mrtc_runtime **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!loop)
        return MRTC_EINVAL;
    mrtc_runtime *rt = mrtc_calloc(1, sizeof *rt);
    if (!rt)
        return MRTC_ENOMEM;
    rt->io.ops = &rt_ops;
    rt->io.rand = mrtc_rand_system();
    rt->loop = loop;
    rt->armed = MRTC_TIME_NEVER;
    if (uv_mutex_init(&rt->mu) != 0) {
        mrtc_free(rt);
        return MRTC_EIO;
    }
    if (uv_async_init(loop, &rt->async, on_async) != 0) {
        uv_mutex_destroy(&rt->mu);
        mrtc_free(rt);
        return MRTC_EIO;
    }
    rt->async.data = rt;
    uv_timer_init(loop, &rt->timer); /* cannot fail */
    rt->timer.data = rt;
    rt->open_handles = 2;
    *out = rt;
    return 0;
}

int mrtc_runtime_post(mrtc_runtime *rt, mrtc_runtime_post_cb fn, void *user)
{
    if (!rt || !fn)
        return MRTC_EINVAL;
    rt_post *p = mrtc_malloc(sizeof *p);
    if (!p)
        return MRTC_ENOMEM;
    *p = (rt_post){.fn = fn, .user = user};
    int err = 0;
    uv_mutex_lock(&rt->mu);
    if (rt->closing) {
        err = MRTC_ECLOSED;
    } else {
        if (rt->posts_tail)
            rt->posts_tail->next = p;
        else
            rt->posts = p;
        rt->posts_tail = p;
        uv_async_send(&rt->async);
    }
    uv_mutex_unlock(&rt->mu);
    if (err)
        mrtc_free(p);
    return err;
}

int mrtc_runtime_hook_add(mrtc_runtime *rt, mrtc_runtime_hook *h)
{
    if (rt->closing)
        return MRTC_ECLOSED;
    h->rt = rt;
    h->prev = NULL;
    h->next = rt->hooks;
    if (rt->hooks)
        rt->hooks->prev = h;
    rt->hooks = h;
    return 0;
}

void mrtc_runtime_hook_remove(mrtc_runtime_hook *h)
{
    mrtc_runtime *rt = h->rt;
    if (!rt)
        return;
    if (h->prev)
        h->prev->next = h->next;
    else
        rt->hooks = h->next;
    if (h->next)
        h->next->prev = h->prev;
    h->prev = h->next = NULL;
    h->rt = NULL;
}

int mrtc_runtime_close(mrtc_runtime *rt, mrtc_runtime_close_cb close_cb, void *user)
{
    if (!rt)
        return MRTC_EINVAL;
    uv_mutex_lock(&rt->mu);
    bool already = rt->closing;
    rt->closing = true;
    uv_mutex_unlock(&rt->mu);
    if (already)
        return MRTC_ECLOSED;
    rt->close_cb = close_cb;
    rt->close_user = user;
    while (rt->hooks) {
        mrtc_runtime_hook *h = rt->hooks;
        mrtc_runtime_hook_remove(h);
        h->fn(h->arg);
    }
    for (rt_pc *p = rt->pcs; p; p = p->next)
        mrtc_pc_close_silently(p->pc);
    uv_timer_stop(&rt->timer);
    uv_async_send(&rt->async);
    return 0;
}

int mrtc_pc_new(mrtc_runtime *rt, const mrtc_pc_config *cfg, const mrtc_pc_callbacks *cbs,
                void *user, mrtc_pc **out)
{
    if (out)
        *out = NULL;
    if (!rt || !out)
        return MRTC_EINVAL;
    uv_mutex_lock(&rt->mu);
    bool closing = rt->closing;
    uv_mutex_unlock(&rt->mu);
    if (closing)
        return MRTC_ECLOSED;
    return mrtc_pc_create(&rt->io, cfg, cbs, user, out);
}
