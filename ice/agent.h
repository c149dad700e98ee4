/*
 * The ICE agent: a full agent (RFC 8445) with trickle (RFC 8838) and consent freshness
 * (RFC 7675), for one data stream with one component (BUNDLE + rtcp-mux), over UDP.
 *
 * Sans-IO: the agent never reads a clock, opens a socket or calls a random source of its
 * own. Its owner (core/) binds one UDP socket per usable local address and feeds it:
 *   - datagrams received:  mrtc_ice_agent_handle_packet()  (STUN is consumed; the rest is
 *                          handed back, after counting for liveness);
 *   - timer expiries:      mrtc_ice_agent_handle_timeout();
 *   - signalling:          remote credentials, trickled candidates, end-of-candidates;
 * and after every call drains mrtc_ice_agent_poll_transmit() (send data[0..len) from the
 * socket bound to `local` to `remote`) and mrtc_ice_agent_poll_event(), then re-arms one
 * timer at mrtc_ice_agent_next_timeout(). Times are mrtc_time microseconds, monotonic.
 * Every entry point that takes `now` also runs whatever work is due, so a check triggered
 * by a request can go out (paced by Ta) straight from handle_packet().
 *
 * Roles and nomination: regular nomination (RFC 8445 section 8.1.1). The controlling agent
 * selects a pair when its USE-CANDIDATE check succeeds; the controlled agent selects the
 * pair the peer nominated once its own check on it succeeded, and follows a later
 * nomination of another pair (browsers switch pairs that way). After selection ordinary
 * checks stop; requests are still answered and may trigger checks on new paths.
 *
 * Application data (DTLS, SRTP) goes out on mrtc_ice_agent_selected_pair(): send from the
 * socket bound to `local` to `remote`. Data received on it must be reported (it returns
 * from handle_packet as MRTC_ICE_NOT_STUN, or through mrtc_ice_agent_note_received()) so
 * the agent knows the path is alive.
 *
 * Not done: TURN relays (candidates of type relay are accepted from the peer, never
 * gathered), TCP candidates (parsed, ignored), ICE-lite, aggressive nomination and
 * renomination, several components or data streams, resolving mDNS names (the owner does it
 * and calls mrtc_ice_agent_resolve_remote()).
 */
#ifndef MRTC_ICE_AGENT_H
#define MRTC_ICE_AGENT_H

#include "core/util/addr.h"
#include "core/util/rand.h"
#include "core/util/time.h"
#include "ice/candidate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The W3C RTCIceTransportState. X(NAME, "name") */
#define MRTC_ICE_STATE_MAP(X)                                                                      \
    X(NEW, "new")                                                                                  \
    X(CHECKING, "checking")                                                                        \
    X(CONNECTED, "connected")                                                                      \
    X(COMPLETED, "completed")                                                                      \
    X(DISCONNECTED, "disconnected")                                                                \
    X(FAILED, "failed")                                                                            \
    X(CLOSED, "closed")

typedef enum mrtc_ice_state {
#define MRTC_ICE_STATE_ENUM_(name, str) MRTC_ICE_STATE_##name,
    MRTC_ICE_STATE_MAP(MRTC_ICE_STATE_ENUM_)
#undef MRTC_ICE_STATE_ENUM_
} mrtc_ice_state;

/* The W3C RTCIceGatheringState. */
#define MRTC_ICE_GATHERING_MAP(X)                                                                  \
    X(NEW, "new")                                                                                  \
    X(GATHERING, "gathering")                                                                      \
    X(COMPLETE, "complete")

typedef enum mrtc_ice_gathering_state {
#define MRTC_ICE_GATHERING_ENUM_(name, str) MRTC_ICE_GATHERING_##name,
    MRTC_ICE_GATHERING_MAP(MRTC_ICE_GATHERING_ENUM_)
#undef MRTC_ICE_GATHERING_ENUM_
} mrtc_ice_gathering_state;

const char *mrtc_ice_state_name(mrtc_ice_state s);                     /* "connected" */
const char *mrtc_ice_gathering_state_name(mrtc_ice_gathering_state s); /* "complete" */

typedef struct mrtc_ice_agent mrtc_ice_agent;

/* Agent configuration. Start from mrtc_ice_config_init(); every time is in microseconds. */
typedef struct mrtc_ice_config {
    /* Random source for ufrag/pwd, tie-breaker, transaction ids and consent jitter.
     * Borrowed: must outlive the agent. NULL: mrtc_rand_system(). */
    const mrtc_rand *rand;
    /* Initial role (RFC 8445 section 6.1.1: the offerer of a full agent is controlling).
     * A role conflict may change it; MRTC_ICE_EVENT_ROLE reports that. Default false. */
    bool controlling;
    /* The 64-bit tie-breaker of section 16.1; 0 (default) draws one at random. */
    uint64_t tiebreaker;
    /* Ta, the pacing interval between new checks (section 14.2). Default 50 ms. */
    mrtc_time ta;
    /* Initial retransmission timeout of a check (section 14.3); it doubles on each
     * retransmission up to check_rto_max. Defaults 500 ms and 1600 ms. */
    mrtc_time check_rto;
    mrtc_time check_rto_max;
    /* Retransmissions before a check fails (Rc - 1). Default 6: with the default timers a
     * check to a silent address fails 9.5 s after its first transmission. Also used for
     * Binding requests to STUN servers. */
    unsigned check_max_retransmits;
    /* Regular nomination (section 8.1.1): the controlling agent nominates the best valid
     * pair as soon as no higher-priority pair is still being checked, or at the latest this
     * long after the first pair became valid. Default 250 ms. */
    mrtc_time nomination_delay;
    /* RFC 7675 consent: a Binding request on the selected pair every consent_interval,
     * randomised over 0.8..1.2 times it. Default 5 s. */
    mrtc_time consent_interval;
    /* No datagram received on the selected pair for this long: "disconnected" (back to
     * "connected" when traffic returns). The agent probes the pair with a consent request
     * when half of it has passed in silence. Default 5 s. */
    mrtc_time disconnected_timeout;
    /* Consent expiry: no consent response for this long: "failed", and the selected pair
     * is dropped (RFC 7675 section 5.1: stop sending). Default 30 s. */
    mrtc_time failed_timeout;
    /* Candidate-pair limit (section 6.1.2.5). Default 100. */
    unsigned max_pairs;
    /* Fixed local credentials (tests); NULL (default) draws random ones (8-character ufrag,
     * 24-character pwd). Copied. Restarts always draw new random ones. */
    const char *local_ufrag;
    const char *local_pwd;
    /* Short name prefixed to log lines ("ice: pc1: checking -> connected"). Copied, at
     * most 15 characters. Default "". */
    const char *name;
} mrtc_ice_config;

void mrtc_ice_config_init(mrtc_ice_config *cfg);

/* Creates an agent in state "new", gathering "new". cfg is copied (strings too). Returns
 * NULL on a bad configuration (credentials that are not ice-chars of a legal length) or
 * out of memory. */
mrtc_ice_agent *mrtc_ice_agent_new(const mrtc_ice_config *cfg);
/* Frees the agent and everything it holds; NULL is accepted. Queued transmits and events
 * are discarded: call mrtc_ice_agent_close() and drain first to observe "closed". */
void mrtc_ice_agent_free(mrtc_ice_agent *a);
/* Enters "closed": no check, consent or event is produced afterwards except the state
 * change itself; queued transmits are dropped; handle_* return MRTC_ECLOSED. Idempotent. */
void mrtc_ice_agent_close(mrtc_ice_agent *a);

/* ---- Local side: gathering ---- */

/* Adds a host candidate for a UDP socket the owner bound at `base` (IPv4 or IPv6, port set,
 * not the any-address). Emits MRTC_ICE_EVENT_LOCAL_CANDIDATE (and the gathering state
 * "gathering" the first time), pairs it with the known remote candidates, and sends Binding
 * requests from it to every STUN server (not from loopback bases). Returns 0, MRTC_EINVAL
 * (unusable address), MRTC_EEXIST (already added), MRTC_ENOBUFS (more than 32 local
 * candidates), MRTC_ECLOSED. */
int mrtc_ice_agent_add_host(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *base);

/* Adds a STUN server (RFC 8489 Binding, no authentication) to learn server-reflexive
 * candidates from every host base of the same family, already added or added later.
 * Requests are retransmitted like checks; a base that gets no answer simply has no srflx
 * candidate. Call it before mrtc_ice_agent_gathering_done(). Returns 0, MRTC_EINVAL,
 * MRTC_EEXIST, MRTC_ENOMEM, MRTC_ESTATE (after gathering completed). */
int mrtc_ice_agent_add_stun_server(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *server);

/* The owner has added every host base. Gathering becomes "complete" once the STUN server
 * transactions are over (at once when there are none). */
void mrtc_ice_agent_gathering_done(mrtc_ice_agent *a, mrtc_time now);

/* One local interface address, as the owner enumerated them (getifaddrs or libuv). */
typedef struct mrtc_ice_iface {
    const char *name; /* "eth0"; borrowed */
    mrtc_addr addr;
    bool up;
    bool loopback;
} mrtc_ice_iface;

/* Decides which interface addresses make host candidates (RFC 8445 section 5.1.1.1 and
 * RFC 8421): every address of an interface that is up, IPv4 and IPv6, except the
 * any-address, IPv4-mapped/compatible and site-local IPv6; link-local addresses only when
 * no other non-loopback address is usable; loopback only when nothing else is usable.
 * `allow` (n_allow entries, may be 0) restricts the choice: each entry is an interface name
 * ("lo", "eth0", "wl*" with a trailing wildcard), an address ("127.0.0.1", "::1") or a
 * prefix ("10.0.0.0/8", "fe80::/10"); an address explicitly allowed is usable even if
 * loopback or link-local. Sets use[i] for each of the n inputs and returns how many are
 * usable, or MRTC_EINVAL for a malformed allow entry (use[] is then all false). */
int mrtc_ice_agent_select_interfaces(const mrtc_ice_iface *ifs, size_t n, const char *const *allow,
                                     size_t n_allow, bool *use);

/* Local credentials (NUL-terminated, owned by the agent; they change on restart). */
const char *mrtc_ice_agent_local_ufrag(const mrtc_ice_agent *a);
const char *mrtc_ice_agent_local_pwd(const mrtc_ice_agent *a);

/* ---- Remote side ---- */

/* Sets the peer's ufrag/pwd (copied; ice-chars, 1..256 and 1..256 characters accepted).
 * Checks start once credentials and at least one pair exist. A different ufrag than the
 * current one after checks began is an ICE restart by the peer: the agent restarts its
 * own side too (new local credentials, see mrtc_ice_agent_restart()), so the owner reads
 * the new local credentials for its answer. Returns 0, MRTC_EINVAL, MRTC_ECLOSED. */
int mrtc_ice_agent_set_remote_credentials(mrtc_ice_agent *a, mrtc_time now, const char *ufrag,
                                          const char *pwd);

/* Adds a remote candidate (trickled any time). Component-1 UDP candidates are paired with
 * every local host base of the same address family; duplicates (same transport address)
 * are ignored, except that a signalled candidate replaces a peer-reflexive one learnt at
 * the same address. A hostname candidate (mDNS) is kept unresolved until
 * mrtc_ice_agent_resolve_remote(). A candidate with a ufrag extension that differs from
 * the current remote ufrag belongs to another generation and is ignored. Candidates that
 * arrive after a pair was selected are kept but not paired (ordinary checks are over).
 * Returns 0 (added, or ignored duplicate), MRTC_ENOTSUP (tcp or component other than 1:
 * ignored), MRTC_ESTATE (stale generation), MRTC_ENOBUFS (more than 64 remote candidates),
 * MRTC_EINVAL (no address nor hostname, port 0, any-address), MRTC_ECLOSED. c is copied. */
int mrtc_ice_agent_add_remote_candidate(mrtc_ice_agent *a, mrtc_time now,
                                        const mrtc_ice_candidate *c);

/* The owner resolved a remote hostname candidate (case-insensitive name match): every
 * unresolved candidate with that name gets `addr` (its port is ignored) and is paired.
 * addr NULL means the name cannot be resolved: those candidates are dropped. Returns the
 * number of candidates updated (>= 0), or MRTC_ENOTFOUND / MRTC_EINVAL / MRTC_ECLOSED. */
int mrtc_ice_agent_resolve_remote(mrtc_ice_agent *a, mrtc_time now, const char *hostname,
                                  const mrtc_addr *addr);

/* The peer signalled end-of-candidates (RFC 8838 section 8.2). */
void mrtc_ice_agent_remote_end_of_candidates(mrtc_ice_agent *a, mrtc_time now);

/* ICE restart (RFC 8445 section 9, JSEP section 5.2.1): new local ufrag/pwd, remote
 * credentials, candidates and checklist forgotten, host candidates announced again
 * (MRTC_ICE_EVENT_LOCAL_CANDIDATE with the new ufrag; gathering goes "gathering", then
 * "complete" again once STUN servers answered) and checks start over when the new remote
 * credentials and candidates arrive. The previously selected pair stays selected and keeps
 * its consent running with the old credentials until the new checks select a pair.
 * Returns 0, MRTC_ENOMEM, MRTC_ECLOSED. */
int mrtc_ice_agent_restart(mrtc_ice_agent *a, mrtc_time now);

/* ---- The sans-IO core ---- */

/* Returned by handle_packet for a datagram that is not the agent's (not STUN, or STUN that
 * is not a Binding): hand it to DTLS/SRTP/TURN. It still counts as liveness when it came
 * on the selected pair. */
#define MRTC_ICE_NOT_STUN 1

/* A datagram arrived on the socket bound to `local` from `remote`. Returns:
 *   0                  consumed: a Binding request (answered, possibly with a 400, 420 or
 *                      487 error), response or indication, including stale ones;
 *   MRTC_ICE_NOT_STUN  not the agent's (see above);
 *   MRTC_EPROTO        claims to be STUN (first byte 0..3, RFC 7983) but is malformed
 *                      (bad header, length, attribute or FINGERPRINT), or empty;
 *   MRTC_EAUTH         a request with a wrong or missing USERNAME/MESSAGE-INTEGRITY
 *                      (answered 400/401) or a response failing MESSAGE-INTEGRITY;
 *   MRTC_ECLOSED       after close.
 * EPROTO and EAUTH are counted in the stats and change nothing else (no candidate, pair or
 * state change, no timer work). data is borrowed for the call. */
int mrtc_ice_agent_handle_packet(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                                 const mrtc_addr *remote, const uint8_t *data, size_t len);

/* Liveness without handing the datagram over (e.g. the owner demultiplexed it first). */
void mrtc_ice_agent_note_received(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                                  const mrtc_addr *remote);

/* Runs due work: checks paced by Ta, retransmissions, nomination, consent, timeouts. Safe
 * to call at any time (early calls do nothing that is not due). */
void mrtc_ice_agent_handle_timeout(mrtc_ice_agent *a, mrtc_time now);

/* When the agent wants handle_timeout() next (may be <= the current time: call it now),
 * or MRTC_TIME_NEVER. */
mrtc_time mrtc_ice_agent_next_timeout(const mrtc_ice_agent *a);

/* Pops the next datagram to send into *out; false when none is queued. */
bool mrtc_ice_agent_poll_transmit(mrtc_ice_agent *a, mrtc_transmit *out);

typedef enum mrtc_ice_event_type {
    /* A local candidate to trickle to the peer (host, srflx). */
    MRTC_ICE_EVENT_LOCAL_CANDIDATE,
    /* Gathering state changed; "complete" means end-of-candidates can be signalled. */
    MRTC_ICE_EVENT_GATHERING_STATE,
    /* The ICE transport state changed. */
    MRTC_ICE_EVENT_STATE,
    /* The selected pair changed (selected.exists false: no pair any more). */
    MRTC_ICE_EVENT_SELECTED_PAIR,
    /* The role changed after a role conflict (section 7.3.1.1 / 7.2.5.1). */
    MRTC_ICE_EVENT_ROLE,
} mrtc_ice_event_type;

typedef struct mrtc_ice_pair_info {
    bool exists;
    mrtc_addr local;                    /* the local base: the socket to send from */
    mrtc_addr remote;                   /* the destination */
    mrtc_ice_candidate local_candidate; /* host, srflx or prflx (what the peer sees) */
    mrtc_ice_candidate remote_candidate;
    bool nominated;
} mrtc_ice_pair_info;

typedef struct mrtc_ice_event {
    mrtc_ice_event_type type;
    union {
        mrtc_ice_candidate candidate; /* LOCAL_CANDIDATE */
        struct {
            mrtc_ice_gathering_state old_state, new_state;
        } gathering; /* GATHERING_STATE */
        struct {
            mrtc_ice_state old_state, new_state;
        } state;                     /* STATE */
        mrtc_ice_pair_info selected; /* SELECTED_PAIR */
        struct {
            bool controlling;
        } role; /* ROLE */
    };
} mrtc_ice_event;

/* Pops the next event into *out; false when none is queued. */
bool mrtc_ice_agent_poll_event(mrtc_ice_agent *a, mrtc_ice_event *out);

/* ---- Queries ---- */

/* The pair to send application data on: from the socket bound to *local to *remote.
 * Returns false (outputs untouched) when there is none. Either output may be NULL. */
bool mrtc_ice_agent_selected_pair(const mrtc_ice_agent *a, mrtc_addr *local, mrtc_addr *remote);
/* The same with candidate details, for stats. Returns info->exists. */
bool mrtc_ice_agent_selected_pair_info(const mrtc_ice_agent *a, mrtc_ice_pair_info *info);

/* Whether a datagram from `remote` to the socket bound to `local` comes from a peer address
 * ICE knows: a remote candidate (signalled, or learnt from an authenticated check) seen from
 * one of our host bases. What arrives from anywhere else is not the peer's (RFC 8445
 * section 12: data comes from the peer's candidates; a forged source address elsewhere is
 * not one of them). */
bool mrtc_ice_agent_knows_path(const mrtc_ice_agent *a, const mrtc_addr *local,
                               const mrtc_addr *remote);

mrtc_ice_state mrtc_ice_agent_state(const mrtc_ice_agent *a);
mrtc_ice_gathering_state mrtc_ice_agent_gathering_state(const mrtc_ice_agent *a);
bool mrtc_ice_agent_is_controlling(const mrtc_ice_agent *a);

/* Counters (for the W3C stats and for tests). */
typedef struct mrtc_ice_stats {
    uint64_t packets_received;  /* every datagram handed to handle_packet */
    uint64_t stun_malformed;    /* refused with MRTC_EPROTO: not decodable */
    uint64_t stun_unauthorized; /* bad USERNAME or MESSAGE-INTEGRITY */
    uint64_t stun_dropped;      /* well-formed but unexpected (stale transaction, ...) */
    uint64_t requests_received;
    uint64_t requests_sent; /* checks, nominations and consent, retransmissions too */
    uint64_t responses_received;
    uint64_t responses_sent; /* success and error */
    uint64_t role_conflicts; /* 487 sent or received */
    uint64_t consent_requests_sent;
    uint64_t transmits_dropped; /* the transmit queue was full */
    size_t pairs;               /* current checklist size */
    size_t remote_candidates;
    size_t local_candidates;
} mrtc_ice_stats;

void mrtc_ice_agent_get_stats(const mrtc_ice_agent *a, mrtc_ice_stats *out);

#endif
