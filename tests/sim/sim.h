/*
 * A simulated UDP network with a virtual clock, for tests of sans-IO modules (ICE agents
 * today, whole PeerConnections later) without sockets or sleeping.
 *
 * Datagrams (mrtc_transmit, as every sans-IO module emits them) are scheduled for delivery
 * according to link properties: loss, base delay, jitter, reordering, duplication, a
 * bandwidth limit with a tail-drop queue, and a blackhole that simulates a vanished peer.
 * Links are per direction between two addresses (port 0 matches any port), or the global
 * default. Optional NATs (endpoint-independent mapping, full-cone or port-restricted
 * filtering), a built-in STUN server and an mDNS responder. Every random decision comes from one seeded
 * generator, so a run is reproducible from its seed, and the order of deliveries at equal
 * times is the order of sending.
 *
 * Two ways to use it:
 *   - by hand: sim_net_send() each transmit; advance time to the minimum of
 *     sim_net_next_delivery() and the modules' next timeouts; sim_net_poll() due datagrams
 *     and hand each to the module bound to its destination; call due timeouts; repeat.
 *   - the driver: register each module as a node (sim_net_add_node) with its addresses
 *     (sim_net_bind), then sim_net_run() does exactly that loop until a condition holds or
 *     a virtual deadline passes.
 */
#ifndef MRTC_SIM_H
#define MRTC_SIM_H

#include "core/util/addr.h"
#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_net sim_net;

typedef struct sim_link {
    double loss;             /* probability that a datagram is lost, 0..1 */
    mrtc_time delay;         /* base one-way delay */
    mrtc_time jitter;        /* extra delay, uniform over [0, jitter] */
    double reorder;          /* probability that a datagram is held back by reorder_delay */
    mrtc_time reorder_delay; /* extra delay of a reordered datagram */
    double duplicate;        /* probability that a datagram is delivered twice */
    uint64_t bandwidth_bps;  /* serialisation rate; 0: unlimited */
    size_t queue_bytes;      /* bottleneck queue before tail drop (with bandwidth) */
    bool blackhole;          /* drop everything */
} sim_link;

/* A perfect link: 10 ms delay, nothing else (reorder_delay 20 ms, queue 64 KB when a
 * bandwidth is set). */
void sim_link_init(sim_link *l);

typedef struct sim_datagram {
    mrtc_addr from; /* as seen by the receiver (after NAT) */
    mrtc_addr to;   /* the receiver's own address (after NAT) */
    mrtc_time sent;
    mrtc_time at; /* delivery time */
    size_t len;
    uint8_t data[MRTC_TRANSMIT_MAX];
} sim_datagram;

typedef struct sim_stats {
    uint64_t sent;
    uint64_t delivered;
    uint64_t lost;
    uint64_t duplicated;
    uint64_t reordered;
    uint64_t queue_dropped;
    uint64_t blackholed;
    uint64_t unreachable; /* no node bound at the destination */
    uint64_t nat_dropped; /* no mapping, or filtered */
    uint64_t mdns_queries; /* datagrams sent to 224.0.0.251:5353 (answered or not) */
    uint64_t mdns_answers; /* responses the mDNS responder sent */
} sim_stats;

/* A network whose virtual clock starts at 0 and whose randomness comes from `seed`.
 * NULL when out of memory. */
sim_net *sim_net_new(uint64_t seed);
void sim_net_free(sim_net *net);

mrtc_time sim_net_now(const sim_net *net);

/* gettimeofday() in simulation executables returns a fixed base plus this virtual clock
 * (usrsctp reads the wall clock for its retransmission timer; see sim.c). By default the
 * clock of the latest sim_net_new() network; NULL restores the real clock. */
void sim_wallclock_set(const mrtc_time *clock);
const sim_stats *sim_net_get_stats(const sim_net *net);

/* The link used when no specific one matches. */
void sim_net_set_default_link(sim_net *net, const sim_link *l);
/* The link for datagrams from `from` to `to` (one direction; port 0 matches any port).
 * The most recent matching definition wins. Returns 0 or MRTC_ENOMEM. */
int sim_net_set_link(sim_net *net, const mrtc_addr *from, const mrtc_addr *to, const sim_link *l);
/* Drops every datagram from or to this IP address (port ignored), including those already
 * in flight; off again restores it. Returns 0 or MRTC_ENOMEM. */
int sim_net_set_blackhole(sim_net *net, const mrtc_addr *ip, bool on);

/* A NAT with one public IP in front of the private addresses in prefix/bits. Outgoing
 * datagrams to addresses outside the prefix get the source public_ip:port (one port per
 * private address and port: endpoint-independent mapping, RFC 4787). Incoming datagrams
 * to a mapped port are let in from anyone (port_restricted false) or only from addresses
 * the private endpoint sent to (port_restricted true). Returns 0 or MRTC_ENOMEM. */
int sim_net_add_nat(sim_net *net, const mrtc_addr *public_ip, const mrtc_addr *prefix,
                    unsigned bits, bool port_restricted);

/* Schedules a datagram sent at `now` (not earlier than the clock). */
void sim_net_send(sim_net *net, mrtc_time now, const mrtc_transmit *t);
/* Delivery time of the next datagram in flight, or MRTC_TIME_NEVER. */
mrtc_time sim_net_next_delivery(const sim_net *net);
/* Pops the next datagram due at `now` (delivery time <= now) into *out; false if none.
 * Advances the clock to now. */
bool sim_net_poll(sim_net *net, mrtc_time now, sim_datagram *out);

/* ---- the driver ---- */

typedef struct sim_node_ops {
    void (*handle_packet)(void *obj, mrtc_time now, const sim_datagram *d);
    void (*handle_timeout)(void *obj, mrtc_time now);
    mrtc_time (*next_timeout)(void *obj);
    bool (*poll_transmit)(void *obj, mrtc_transmit *out);
} sim_node_ops;

/* Registers a node (ops borrowed, must outlive the net). Returns its id (>= 0) or
 * MRTC_ENOMEM. */
int sim_net_add_node(sim_net *net, const sim_node_ops *ops, void *obj);
/* Datagrams to `addr` (exact IP and port) go to node `node`. Returns 0, MRTC_EEXIST,
 * MRTC_ENOMEM. */
int sim_net_bind(sim_net *net, int node, const mrtc_addr *addr);
/* A STUN server (RFC 8489 Binding: answers with XOR-MAPPED-ADDRESS) at addr. Returns 0
 * or an error. */
int sim_net_add_stun_server(sim_net *net, const mrtc_addr *addr);

/* The mDNS responder of the simulated link (RFC 6762): a query sent to 224.0.0.251:5353
 * whose question names `name` (case-insensitive) with type A (IPv4 addr) or AAAA (IPv6) is
 * answered one link delay later by a unicast response from addr:5353 to the querier's
 * address and port (the link and loss rules of that direction apply). Queries themselves are
 * never delivered (multicast is not modelled); each is counted in sim_stats.mdns_queries.
 * Several names may be added. Returns 0, MRTC_EINVAL (malformed name or address) or
 * MRTC_ENOMEM. */
int sim_net_add_mdns_name(sim_net *net, const char *name, const mrtc_addr *addr);

/* Runs the event loop: drains every node's transmits, stops when done(user) is true
 * (returns true), else advances the clock to the earliest delivery or node timeout and
 * handles it; returns false once the next event would be after `until` (the clock is then
 * `until`). done may be NULL. Aborts the process if time stops advancing (a node that
 * keeps asking to be woken in the past without making progress). */
bool sim_net_run(sim_net *net, mrtc_time until, bool (*done)(void *user), void *user);

/* Every send, loss and delivery is described by one line to cb (for transcripts). */
void sim_net_set_trace(sim_net *net, void (*cb)(void *user, const char *line), void *user);

/* A test's own loss model: fn sees every routable datagram before the link's and returns
 * true to lose it (counted and traced as lost). NULL removes it. */
void sim_net_set_drop_hook(sim_net *net, bool (*fn)(void *user, const mrtc_transmit *t), void *user);

/* FNV-1a over bytes, for transcript hashes. */
uint64_t sim_hash(uint64_t h, const void *data, size_t len);
#define SIM_HASH_INIT 14695981039346656037ull

#endif
