/*
 * A virtual I/O host (core/io.h) for tests and simulations: a virtual clock, a fixed list
 * of interface addresses, and sockets that are only (address, port) pairs. Datagrams a
 * PeerConnection sends are handed to a callback (a simulated network); the network hands
 * datagrams back with mrtc_vio_deliver(). The simulation drives time: it advances the clock
 * to mrtc_vio_next_timeout() (or a network event) and calls mrtc_vio_run(). No sleeping, no
 * sockets, deterministic from the seed.
 */
#ifndef MRTC_CORE_VIO_H
#define MRTC_CORE_VIO_H

#include "core/io.h"
#include "meshrtc/pc.h"

typedef struct mrtc_vio mrtc_vio;

/* Receives every datagram a PeerConnection on this host sends (t->local is the sending
 * socket, t->remote the destination). Borrowed for the call. */
typedef void (*mrtc_vio_send_cb)(void *user, const mrtc_transmit *t);

typedef struct mrtc_vio_config {
    const mrtc_time *clock;        /* the virtual clock (shared by the hosts of a simulation) */
    const mrtc_io_ifaddr *ifaddrs; /* the host's interfaces (copied) */
    size_t n_ifaddrs;
    mrtc_vio_send_cb send; /* may be NULL: datagrams are dropped */
    void *send_user;
    uint64_t seed;       /* the host's random source (ICE credentials, transaction ids) */
    uint16_t first_port; /* ports are allocated from here upwards; 0 means 50000 */
} mrtc_vio_config;

void mrtc_vio_config_init(mrtc_vio_config *cfg);
int mrtc_vio_new(const mrtc_vio_config *cfg, mrtc_vio **out);
/* Closes every PeerConnection still on the host (their close callbacks run), then frees. */
void mrtc_vio_free(mrtc_vio *v);

/* The I/O interface, for mrtc_pc_create(). */
mrtc_io *mrtc_vio_io(mrtc_vio *v);

/* A datagram for this host arrives at `to` from `from`. Returns false (dropped) when no
 * socket is bound at `to`. Once the host sent an mDNS query, datagrams to one of its
 * interface addresses at port 5353, or to 224.0.0.251:5353, are mDNS and handed to every
 * PeerConnection (mrtc_pc_handle_mdns()). */
bool mrtc_vio_deliver(mrtc_vio *v, const mrtc_addr *to, const mrtc_addr *from, const uint8_t *data,
                      size_t len);

/* When the host wants mrtc_vio_run() next: the earliest PeerConnection deadline, or the
 * current time when callbacks are queued; MRTC_TIME_NEVER when idle. */
mrtc_time mrtc_vio_next_timeout(const mrtc_vio *v);

/* Runs what is due at the current virtual time: timeouts, then queued callbacks (the
 * "loop iteration"), repeated until nothing more is due now. */
void mrtc_vio_run(mrtc_vio *v);

/* Number of PeerConnections on the host (closed ones disappear after their close_cb). */
size_t mrtc_vio_pc_count(const mrtc_vio *v);

/* Datagrams sent and dropped (no route: the send callback is NULL). */
uint64_t mrtc_vio_sent(const mrtc_vio *v);

/* mDNS queries sent (io mdns_send(): a transmit from <interface>:5353 to 224.0.0.251:5353
 * handed to the send callback). */
uint64_t mrtc_vio_mdns_sent(const mrtc_vio *v);

#endif
