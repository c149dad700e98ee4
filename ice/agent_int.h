/*
 * Internals of the ICE agent shared by ice/agent.c (lifecycle, state machines, queues,
 * timers, selection, consent, restart), ice/agent_check.c (sending checks, answering
 * requests, processing responses) and ice/agent_gather.c (local candidates, STUN servers,
 * interface selection). Not for use outside ice/agent*.c.
 */
#ifndef MRTC_ICE_AGENT_INT_H
#define MRTC_ICE_AGENT_INT_H

#include "ice/agent.h"
#include "ice/candidate.h"
#include "ice/checklist.h"
#include "ice/stun.h"

#define ICE_LOG_TAG "ice"
#define ICE_MAX_REMOTES 64
#define ICE_MAX_LOCALS 32
#define ICE_MAX_SERVERS 4
#define ICE_TXQ_MAX 256  /* queued datagrams before new ones are dropped */
#define ICE_EVQ_MAX 1024 /* queued events before new ones are dropped */
#define ICE_CONSENT_TIDS 4

typedef struct ice_local {
    mrtc_ice_candidate cand; /* cand.addr: the transport address the peer sees */
    mrtc_addr base;          /* the socket it is sent from */
    int host;                /* index of the host candidate of this base (itself if host) */
} ice_local;

typedef struct ice_remote {
    mrtc_ice_candidate cand;
    bool dropped; /* its hostname could not be resolved, or a duplicate after resolving */
} ice_remote;

/* A Binding transaction towards a STUN server from one host base (srflx gathering). */
typedef struct ice_gather_tx {
    int host;   /* local index */
    int server; /* server index */
    bool active;
    uint8_t tid[MRTC_STUN_TID_LEN];
    unsigned sends;
    mrtc_time next;
    mrtc_time rto;
} ice_gather_tx;

/* The selected pair, self-contained so that it survives an ICE restart (the new checklist
 * then does not contain it: pair_id 0) with the credentials its consent uses. */
typedef struct ice_sel {
    bool active;
    uint32_t pair_id; /* 0: a pair of the previous generation */
    mrtc_addr base;
    mrtc_addr remote;
    mrtc_ice_candidate lcand;
    mrtc_ice_candidate rcand;
    uint64_t priority;
    bool nominated;
    char lufrag[MRTC_ICE_UFRAG_MAX + 1];
    char lpwd[MRTC_ICE_PWD_MAX + 1];
    char rufrag[MRTC_ICE_UFRAG_MAX + 1];
    char rpwd[MRTC_ICE_PWD_MAX + 1];
    mrtc_time last_rx;      /* any datagram received on it */
    mrtc_time consent_ok;   /* last authenticated consent/check response (or selection) */
    mrtc_time consent_next; /* next scheduled consent request */
    mrtc_time last_consent_tx;
    uint8_t consent_tid[ICE_CONSENT_TIDS][MRTC_STUN_TID_LEN];
    unsigned consent_n; /* requests sent (ring index) */
} ice_sel;

typedef struct ice_queue {
    uint8_t *buf;
    size_t elem;
    size_t head;
    size_t len;
    size_t cap;
    size_t max;
} ice_queue;

struct mrtc_ice_agent {
    mrtc_ice_config cfg;
    char name[16];
    const mrtc_rand *rand;
    bool controlling;
    uint64_t tiebreaker;
    char lufrag[MRTC_ICE_UFRAG_MAX + 1];
    char lpwd[MRTC_ICE_PWD_MAX + 1];
    char rufrag[MRTC_ICE_UFRAG_MAX + 1];
    char rpwd[MRTC_ICE_PWD_MAX + 1];
    bool have_remote_creds;
    unsigned generation; /* restarts so far */

    mrtc_ice_state state;
    mrtc_ice_gathering_state gathering;

    /* Grown on demand up to ICE_MAX_LOCALS / ICE_MAX_REMOTES (ice_reserve_*): a fixed
     * array cost 62 KB per agent, while a typical agent holds one or two of each. Adding
     * one may move the array: no pointer into it is kept across an addition. */
    ice_local *locals;
    size_t n_locals, cap_locals;
    ice_remote *remotes;
    size_t n_remotes, cap_remotes;
    uint32_t prflx_seq; /* for the foundations of learnt prflx candidates */

    mrtc_ice_checklist cl;
    uint32_t triggered[64]; /* FIFO of pair ids (section 6.1.4.1) */
    size_t n_triggered;
    bool checks_started;  /* a check went out in this generation */
    mrtc_time last_check; /* when the last paced check went out */
    bool any_check;       /* last_check is meaningful */
    bool checklist_done;  /* nomination finished: no more checks (section 8.1.2) */
    bool have_valid;
    mrtc_time first_valid; /* when the first pair of this generation became valid */
    uint32_t nominating;   /* pair id with a nomination in flight, or 0 */

    bool local_done;   /* the owner called gathering_done for this generation */
    bool remote_eoc;   /* the peer signalled end-of-candidates */
    bool consent_lost; /* failed through consent expiry: sticky until restart */

    mrtc_addr servers[ICE_MAX_SERVERS];
    size_t n_servers;
    ice_gather_tx gtx[ICE_MAX_LOCALS * ICE_MAX_SERVERS];
    size_t n_gtx;

    ice_sel sel;

    ice_queue txq; /* mrtc_transmit */
    ice_queue evq; /* mrtc_ice_event */
    mrtc_ice_stats stats;
};

/* agent.c */
/* Room for one more local / remote candidate: false at the limit or out of memory. */
bool ice_reserve_local(mrtc_ice_agent *a);
bool ice_reserve_remote(mrtc_ice_agent *a);
void ice_emit(mrtc_ice_agent *a, const mrtc_ice_event *ev);
/* Queues a datagram; returns false (and counts it) when the queue is full. */
bool ice_send(mrtc_ice_agent *a, const mrtc_addr *local, const mrtc_addr *remote,
              const uint8_t *data, size_t len);
void ice_set_role(mrtc_ice_agent *a, bool controlling, const char *why);
void ice_select(mrtc_ice_agent *a, mrtc_time now, mrtc_ice_pair *p);
void ice_update_state(mrtc_ice_agent *a, mrtc_time now);
void ice_set_gathering(mrtc_ice_agent *a, mrtc_ice_gathering_state to);
void ice_random_tid(mrtc_ice_agent *a, uint8_t tid[MRTC_STUN_TID_LEN]);
/* Runs everything that is due; the end of every public entry point. */
void ice_run(mrtc_ice_agent *a, mrtc_time now);
void ice_pair_names(const mrtc_ice_agent *a, const mrtc_ice_pair *p, char *buf, size_t cap);

/* agent_check.c */
int ice_handle_stun(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                    const mrtc_addr *remote, const uint8_t *data, size_t len);
void ice_pair_with_remote(mrtc_ice_agent *a, int remote);
void ice_pair_with_local(mrtc_ice_agent *a, int local);
void ice_enqueue_triggered(mrtc_ice_agent *a, mrtc_ice_pair *p);
/* Pacing: sends one triggered or ordinary check if Ta allows. */
void ice_run_checks(mrtc_ice_agent *a, mrtc_time now);
/* Retransmissions and timeouts of checks. */
void ice_run_retransmits(mrtc_ice_agent *a, mrtc_time now);
/* Controlling agent: nominates when the time has come (section 8.1.1). */
void ice_run_nomination(mrtc_ice_agent *a, mrtc_time now);
/* Earliest deadline of the check machinery. */
mrtc_time ice_checks_next_timeout(const mrtc_ice_agent *a);
/* Sends a consent request on the selected pair. */
void ice_send_consent(mrtc_ice_agent *a, mrtc_time now);
int ice_find_local_base(const mrtc_ice_agent *a, const mrtc_addr *base);
int ice_find_local_addr(const mrtc_ice_agent *a, const mrtc_addr *addr, const mrtc_addr *base);
int ice_find_remote_addr(const mrtc_ice_agent *a, const mrtc_addr *addr);

/* agent_gather.c */
void ice_gather_start_host(mrtc_ice_agent *a, int host);
/* Consumes a Binding response or error matching a STUN server transaction; false if the
 * transaction id is not one of them. */
bool ice_gather_handle_response(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                                const mrtc_addr *remote, const mrtc_stun_msg *msg);
void ice_gather_run(mrtc_ice_agent *a, mrtc_time now);
mrtc_time ice_gather_next_timeout(const mrtc_ice_agent *a);
bool ice_gather_pending(const mrtc_ice_agent *a);
/* Announces a local candidate (LOCAL_CANDIDATE event). */
void ice_announce_local(mrtc_ice_agent *a, int local);

#endif
