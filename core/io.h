/*
 * The I/O interface a PeerConnection runs against, so the PeerConnection logic (core/pc*.c,
 * core/jsep*.c) never depends on libuv. Two hosts implement it:
 *   - core/runtime.c: libuv (real clock, UDP sockets, one uv_timer, a uv_async);
 *   - core/vio.c: a virtual host for tests/sim (virtual clock, datagrams handed to a
 *     simulated network), so whole PeerConnections run under a virtual clock with no sleep.
 *
 * Contract, from the PeerConnection's side:
 *   - it reads the time with now() and never keeps a clock of its own;
 *   - after any input (API call, datagram, timeout) it drains its modules' transmits through
 *     send() and calls wake(), so the host re-arms its one timer at the earliest
 *     mrtc_pc_next_timeout() of all its PeerConnections and, when mrtc_pc_has_events() is
 *     true, schedules mrtc_pc_dispatch() to run from the loop (never inside the call);
 *   - sockets are opened with bind() (one per local base address) and closed together with
 *     unbind_all(); the host delivers each received datagram with mrtc_pc_handle_datagram();
 *   - when mrtc_pc_dispatch() reports the PeerConnection finished closing, the host forgets
 *     it (detach) before it is freed;
 *   - mDNS (core/pc_mdns.c resolves browsers' ".local" candidates): queries go out with
 *     mdns_send() on one interface at a time, and the host hands every mDNS datagram it
 *     receives to mrtc_pc_handle_mdns() of each of its PeerConnections.
 */
#ifndef MRTC_CORE_IO_H
#define MRTC_CORE_IO_H

#include "core/util/addr.h"
#include "core/util/rand.h"
#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mrtc_pc;

#define MRTC_IO_IFNAME_MAX 32
#define MRTC_IO_MAX_IFADDRS 64

/* One local interface address. */
typedef struct mrtc_io_ifaddr {
    char name[MRTC_IO_IFNAME_MAX]; /* "lo", "eth0"; "" if unknown */
    mrtc_addr addr;                /* port 0 */
    bool internal;                 /* a loopback interface */
} mrtc_io_ifaddr;

typedef struct mrtc_io mrtc_io;

typedef struct mrtc_io_ops {
    /* The current monotonic time. */
    mrtc_time (*now)(mrtc_io *io);
    /* Lists the local interface addresses into out[0..cap); *n receives the count. Returns
     * 0 or a negative MRTC_E* code. */
    int (*interfaces)(mrtc_io *io, mrtc_io_ifaddr *out, size_t cap, size_t *n);
    /* Opens a UDP socket for pc bound to ip (its port is ignored: the host picks one);
     * *bound receives the bound address. Datagrams to it arrive through
     * mrtc_pc_handle_datagram(pc, ...). Returns 0, MRTC_EADDR or MRTC_ENOMEM. */
    int (*bind)(mrtc_io *io, struct mrtc_pc *pc, const mrtc_addr *ip, mrtc_addr *bound);
    /* Closes every socket opened for pc. */
    void (*unbind_all)(mrtc_io *io, struct mrtc_pc *pc);
    /* Sends one datagram from the socket of pc bound to t->local. Best effort, like UDP:
     * returns 0 or a negative code; the caller drops the datagram on error. */
    int (*send)(mrtc_io *io, struct mrtc_pc *pc, const mrtc_transmit *t);
    /* pc's deadline or event queue changed: re-arm the timer, schedule dispatch. */
    void (*wake)(mrtc_io *io, struct mrtc_pc *pc);
    /* Adds pc to the host's list (at creation) / removes it (just before it is freed). */
    int (*attach)(mrtc_io *io, struct mrtc_pc *pc);
    void (*detach)(mrtc_io *io, struct mrtc_pc *pc);
    /* Sends one mDNS message (RFC 6762) to 224.0.0.251:5353 out of the interface whose IPv4
     * address is ifaddr (its port is ignored), and through no other interface. The host
     * opens its one mDNS socket on first use (port 5353 shared with other responders when it
     * can, RFC 6762 section 5.2; an ephemeral port otherwise, which makes responders answer
     * by unicast, section 6.7) and from then on hands every mDNS datagram it receives to
     * mrtc_pc_handle_mdns() of each of its PeerConnections. NULL for a host without mDNS.
     * Best effort: returns 0, MRTC_EINVAL (ifaddr not IPv4), MRTC_EIO or MRTC_ENOMEM. */
    int (*mdns_send)(mrtc_io *io, const mrtc_addr *ifaddr, const uint8_t *data, size_t len);
} mrtc_io_ops;

struct mrtc_io {
    const mrtc_io_ops *ops;
    const mrtc_rand *rand; /* ICE credentials, tie-breakers, transaction ids */
};

/* The host received an mDNS datagram (from: its source). Borrowed for the call; pc only
 * looks at it while it resolves names (core/pc_mdns.c). */
void mrtc_pc_handle_mdns(struct mrtc_pc *pc, const mrtc_addr *from, const uint8_t *data,
                         size_t len);

#endif
