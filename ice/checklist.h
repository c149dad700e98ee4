/*
 * The ICE checklist of one data stream (RFC 8445 section 6.1.2): candidate pairs sorted by
 * pair priority, their states, the frozen/waiting rules, and pruning. Internal to the ICE
 * agent (ice/agent*.c); a plain data structure so that its ordering and unfreezing rules can
 * be unit-tested without an agent.
 *
 * Pairs refer to candidates by index into the agent's local and remote candidate arrays;
 * the checklist copies the priorities and foundations it needs to order and unfreeze.
 * Pairs are identified by a stable `id` (indices shift when the list is re-sorted).
 */
#ifndef MRTC_ICE_CHECKLIST_H
#define MRTC_ICE_CHECKLIST_H

#include "core/util/time.h"
#include "ice/candidate.h"
#include "ice/stun.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(NAME, "name") */
#define MRTC_ICE_PAIR_STATE_MAP(X)                                                                 \
    X(FROZEN, "frozen")                                                                            \
    X(WAITING, "waiting")                                                                          \
    X(IN_PROGRESS, "in-progress")                                                                  \
    X(SUCCEEDED, "succeeded")                                                                      \
    X(FAILED, "failed")

typedef enum mrtc_ice_pair_state {
#define MRTC_ICE_PAIR_ENUM_(name, str) MRTC_ICE_PAIR_##name,
    MRTC_ICE_PAIR_STATE_MAP(MRTC_ICE_PAIR_ENUM_)
#undef MRTC_ICE_PAIR_ENUM_
} mrtc_ice_pair_state;

/* One outstanding STUN transaction of a pair (a check, or a nomination check). */
typedef struct mrtc_ice_check_tx {
    bool active;
    uint8_t tid[MRTC_STUN_TID_LEN];
    bool controlling;   /* role attribute carried (kept for retransmissions and 487) */
    bool use_candidate; /* a nomination */
    unsigned sends;     /* transmissions so far */
    mrtc_time started;  /* first transmission */
    mrtc_time next;     /* next retransmission, or when the transaction times out */
    mrtc_time rto;      /* the interval before `next` */
} mrtc_ice_check_tx;

typedef struct mrtc_ice_pair {
    uint32_t id;
    int local;  /* index of the local candidate whose base sends the checks */
    int remote; /* index of the remote candidate */
    uint32_t local_prio;
    uint32_t remote_prio;
    char local_foundation[MRTC_ICE_FOUNDATION_MAX + 1];
    char remote_foundation[MRTC_ICE_FOUNDATION_MAX + 1];
    uint64_t priority;
    mrtc_ice_pair_state state;

    /* Valid-list data (RFC 8445 section 7.2.5.3.2), meaningful once SUCCEEDED: the local
     * candidate that the mapped address designated (the pair's own, a srflx or a learnt
     * prflx) and the valid pair's priority computed with it. */
    int valid_local;
    uint64_t valid_priority;
    bool nominated;
    bool nominate_on_success; /* controlled agent: USE-CANDIDATE came before success */
    bool heard;               /* the peer sent a request or response on it ... */
    mrtc_time last_heard;     /* ... at this time */

    mrtc_ice_check_tx tx;
    bool has_old_tid; /* a superseded transaction whose late success still counts */
    bool old_use_candidate;
    uint8_t old_tid[MRTC_STUN_TID_LEN];
} mrtc_ice_pair;

typedef struct mrtc_ice_checklist {
    mrtc_ice_pair *pairs; /* sorted by priority, highest first */
    size_t n;
    size_t cap;
    size_t max; /* pair limit (RFC 8445 section 6.1.2.5) */
    uint32_t next_id;
    const char *name; /* for logs; borrowed */
} mrtc_ice_checklist;

/* Pair priority of RFC 8445 section 6.1.2.3, G the controlling agent's candidate priority
 * and D the controlled agent's: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0). */
uint64_t mrtc_ice_pair_priority(uint32_t g, uint32_t d);

/* "frozen", "waiting", ...; never NULL. */
const char *mrtc_ice_pair_state_name(mrtc_ice_pair_state s);

void mrtc_ice_checklist_init(mrtc_ice_checklist *cl, size_t max, const char *name);
void mrtc_ice_checklist_deinit(mrtc_ice_checklist *cl);
void mrtc_ice_checklist_clear(mrtc_ice_checklist *cl);

/* Adds the pair (local, remote) in priority order, or returns the existing pair with the
 * same candidates (*added false). The new pair starts Waiting if no pair of its foundation
 * is Waiting or In-Progress (a lower-priority Waiting pair of the same foundation goes back
 * to Frozen, so the outcome matches section 6.1.2.6 whatever the trickling order), else
 * Frozen. When the list is full the lowest-priority pair that is not in use is dropped to
 * make room for a better one (section 6.1.2.5). Returns NULL if the pair does not fit or
 * memory runs out. The returned pointer is valid until the next add/remove/sort. */
mrtc_ice_pair *mrtc_ice_checklist_add(mrtc_ice_checklist *cl, bool controlling, int local,
                                      uint32_t local_prio, const char *local_foundation, int remote,
                                      uint32_t remote_prio, const char *remote_foundation,
                                      bool *added);

/* The single transition function of the pair state machine: checks the transition is legal
 * (returns MRTC_ESTATE and changes nothing if not) and logs "old -> new". Setting the
 * current state again is a no-op returning 0. */
int mrtc_ice_checklist_set_state(mrtc_ice_checklist *cl, mrtc_ice_pair *p, mrtc_ice_pair_state to);

/* Recomputes every pair priority for a new role (after a role conflict) and re-sorts. */
void mrtc_ice_checklist_set_role(mrtc_ice_checklist *cl, bool controlling);

/* The next pair for an ordinary check (section 6.1.4.2): the highest-priority Waiting pair;
 * if there is none, first unfreezes, for each foundation with no Waiting or In-Progress
 * pair, its highest-priority Frozen pair. NULL when nothing can be checked now. */
mrtc_ice_pair *mrtc_ice_checklist_next_ordinary(mrtc_ice_checklist *cl);
/* Whether next_ordinary() would return a pair (no side effects). */
bool mrtc_ice_checklist_has_ordinary(const mrtc_ice_checklist *cl);

/* Section 7.2.5.3.3: after a success, the Frozen pairs of the same foundation go Waiting. */
void mrtc_ice_checklist_unfreeze_foundation(mrtc_ice_checklist *cl, const mrtc_ice_pair *p);

mrtc_ice_pair *mrtc_ice_checklist_find(mrtc_ice_checklist *cl, int local, int remote);
mrtc_ice_pair *mrtc_ice_checklist_find_id(mrtc_ice_checklist *cl, uint32_t id);
/* The pair whose current (or superseded) transaction has this id; *old tells which. */
mrtc_ice_pair *mrtc_ice_checklist_find_tid(mrtc_ice_checklist *cl,
                                           const uint8_t tid[MRTC_STUN_TID_LEN], bool *old);

/* True when the list is non-empty and every pair is Failed. */
bool mrtc_ice_checklist_all_failed(const mrtc_ice_checklist *cl);
/* Number of pairs in a state. */
size_t mrtc_ice_checklist_count(const mrtc_ice_checklist *cl, mrtc_ice_pair_state s);

#endif
