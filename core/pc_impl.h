/*
 * The PeerConnection object shared by its own files only: core/pc.c (API, lifetime,
 * callback queue), core/pc_ice.c (ICE agents, sockets, candidates, aggregate states),
 * core/jsep.c (signaling state machine, applying descriptions), core/jsep_build.c (offers and
 * answers) and core/jsep_check.c (validating remote descriptions). Not for other modules.
 */
#ifndef MRTC_CORE_PC_IMPL_H
#define MRTC_CORE_PC_IMPL_H

#include "core/cert.h"
#include "core/io.h"
#include "core/pc.h"
#include "core/sdp.h"
#include "dtls/dtls.h"
#include "ice/agent.h"
#include "sctp/sctp.h"

#include <stdarg.h>

#define PC_MAX_BASES 16
#define PC_MAX_STUN 4
#define PC_MID_MAX 32
#define PC_UFRAG_LEN 8  /* what we generate (RFC 8839 allows 4..256) */
#define PC_PWD_LEN 24   /* at least 22 */
#define PC_CRED_MAX 257 /* 256 ice-chars + NUL */
#define PC_MAX_LOCAL_CANDS 64

/* A queued callback. */
typedef enum pc_ev_type {
    PC_EV_NEGOTIATION_NEEDED,
    PC_EV_ICE_CANDIDATE, /* candidate NULL: end of candidates */
    PC_EV_ICE_CANDIDATE_ERROR,
    PC_EV_SIGNALING,
    PC_EV_GATHERING,
    PC_EV_ICE_CONNECTION,
    PC_EV_CONNECTION,
    PC_EV_DTLS,        /* state: mrtc_dtls_transport_state */
    PC_EV_SCTP,        /* state: mrtc_sctp_transport_state */
    PC_EV_DATACHANNEL, /* dc: the peer opened it */
    DC_EV_OPEN,        /* dc */
    DC_EV_MESSAGE,     /* dc, data/len/binary */
    DC_EV_BUFFERED, /* dc: bufferedAmount is brought up to date (and may fall below the low
                       threshold) */
    DC_EV_ERROR, /* dc, error_code, text */
    DC_EV_CLOSING,
    DC_EV_CLOSE, /* dc: freed after delivery */
    PC_EV_TRACK, /* tr: the peer sends on this transceiver (W3C track event) */
} pc_ev_type;

typedef struct pc_event {
    pc_ev_type type;
    int state;
    char *candidate; /* owned */
    char *mid;       /* owned */
    int mline_index;
    char *url;  /* candidate error, owned */
    char *text; /* candidate error, data channel error; owned */
    int error_code;
    mrtc_datachannel *dc;
    mrtc_transceiver *tr;
    uint8_t *data; /* DC_EV_MESSAGE, owned */
    size_t len;
    bool binary;
} pc_event;

/* One ICE generation: an agent with its local credentials. A PeerConnection normally has
 * one; during an ICE restart the new generation runs next to the old one (which keeps the
 * selected pair alive) until it connects or the restart is rolled back. */
typedef struct pc_gen {
    mrtc_ice_agent *agent;
    char ufrag[PC_CRED_MAX];
    char pwd[PC_CRED_MAX];
    char remote_ufrag[PC_CRED_MAX]; /* "" until the remote credentials are known */
    bool controlling;
    mrtc_ice_state state;               /* as of the last event drained */
    mrtc_ice_gathering_state gathering; /* as of the last event drained */
    bool hosts_added;                   /* gathering started */
    bool gathering_complete;
    char *cands[PC_MAX_LOCAL_CANDS]; /* local candidate attribute values, owned */
    size_t n_cands;
} pc_gen;

struct mrtc_transceiver {
    mrtc_pc *pc;
    mrtc_transceiver *next;
    mrtc_media_kind kind;
    mrtc_direction direction;
    mrtc_direction current_direction;
    char mid[PC_MID_MAX + 1]; /* "" when not associated */
    bool removed;             /* taken out by a rollback; kept allocated until pc is freed */
    bool stopped;
    /* Association as of the last stable state, restored by a rollback. */
    char stable_mid[PC_MID_MAX + 1];
    bool created_by_pending; /* created by the pending remote offer */
    /* Media (core/pc_media.c): sender and receiver state; NULL until first needed. */
    struct pc_tr_media *media;
    bool track_fired;  /* the track event was delivered for the current remote sending */
    bool has_sent;     /* the sender was ever used (addTrack reuses only fresh ones) */
};

/* A data channel (core/pc_dc.c). */
struct mrtc_datachannel {
    mrtc_pc *pc;
    mrtc_datachannel *next;
    char *label, *protocol;
    int32_t id; /* -1 until assigned */
    bool ordered;
    int32_t max_packet_lifetime, max_retransmits;
    bool negotiated;
    mrtc_datachannel_state state;
    bool on_sctp;        /* mrtc_sctp_open_channel done: the sid is in use */
    bool close_queued;   /* DC_EV_CLOSE queued: it is being freed */
    bool close_called;   /* the application called mrtc_datachannel_close() */
    size_t low_threshold;
    /* bufferedAmount as the application sees it (W3C): grows inside send(), and falls to
     * what SCTP has not taken yet in a later task (DC_EV_BUFFERED). */
    size_t buffered;
    bool buffered_update_queued;
    mrtc_datachannel_callbacks cbs;
    void *user;
    mrtc_datachannel_stats stats;
};

#define PC_EARLY_DTLS_MAX 8 /* DTLS datagrams kept until the DTLS role is known */

struct mrtc_pc {
    mrtc_io *io;
    mrtc_pc_callbacks cbs;
    void *user;
    char name[16]; /* for logs: "pc1" */

    /* Configuration */
    char **ice_allow;
    size_t n_ice_allow;
    mrtc_addr stun[PC_MAX_STUN];
    size_t n_stun;
    mrtc_cert *cert;

    /* Lifetime */
    bool closed;
    bool close_due; /* close_cb (maybe NULL) still to run from dispatch */
    bool dispatching;
    mrtc_pc_close_cb close_cb;

    char last_error[512];

    /* JSEP */
    mrtc_signaling_state signaling;
    mrtc_sdp *cur_local, *pend_local, *cur_remote, *pend_remote;
    mrtc_description_type cur_local_type, pend_local_type, cur_remote_type, pend_remote_type;
    char *last_offer; /* text of the last created offer ([[LastCreatedOffer]]) */
    mrtc_sdp *last_offer_sdp;
    mrtc_transceiver **last_offer_plan; /* per m-section of last_offer: its transceiver */
    size_t last_offer_plan_n;
    bool last_offer_restart; /* the offer carries restart credentials */
    char *last_answer;       /* [[LastCreatedAnswer]] */
    mrtc_sdp *last_answer_sdp;
    uint64_t sess_id;
    uint64_t sess_version;
    mrtc_transceiver *tr_head, *tr_tail;
    bool data_wanted;              /* the data m-section belongs in offers */
    char data_mid[PC_MID_MAX + 1]; /* "" when the data section has no mid yet */
    char data_stable_mid[PC_MID_MAX + 1];
    unsigned next_mid;
    bool negotiation_needed;
    bool restart_pending; /* restartIce() or a rolled-back restart: replace credentials */
    char restart_ufrag[PC_CRED_MAX], restart_pwd[PC_CRED_MAX]; /* "" until drawn */
    char restart_old_ufrag[PC_CRED_MAX];                       /* the credentials to replace */

    /* ICE */
    char ufrag[PC_CRED_MAX], pwd[PC_CRED_MAX]; /* credentials before the first agent */
    pc_gen *gen;           /* the current generation (NULL before the first description) */
    pc_gen *gen_next;      /* a restart in progress */
    bool gen_next_pending; /* gen_next was created by the pending descriptions */
    mrtc_addr bases[PC_MAX_BASES];
    size_t n_bases;
    bool sockets_bound;
    struct pc_mdns *mdns; /* names being resolved (core/pc_mdns.c); NULL until the first */

    /* DTLS and SCTP (core/pc_transport.c), data channels (core/pc_dc.c) */
    mrtc_dtls *dtls;
    mrtc_dtls_transport_state dtls_state; /* as last reported */
    char remote_fp_alg[16], remote_fp[200]; /* the fingerprint given to dtls */
    uint8_t *early_dtls[PC_EARLY_DTLS_MAX];
    size_t early_dtls_len[PC_EARLY_DTLS_MAX];
    size_t n_early_dtls;
    bool dtls_path_known; /* where the last DTLS datagram came from */
    bool ice_had_pair;    /* ICE selected a pair at least once */
    mrtc_addr dtls_local, dtls_remote;
    mrtc_sctp *sctp;
    bool sctp_exists; /* pc.sctp is not null */
    mrtc_sctp_transport_state sctp_state; /* as last reported */
    mrtc_datachannel *dc_head;

    /* Media (core/pc_media.c, core/pc_rtcp.c) */
    struct pc_media *media;

    /* Aggregate states, as last reported */
    mrtc_gathering_state gathering;
    mrtc_ice_connection_state ice_connection;
    mrtc_connection_state connection;

    mrtc_pc_counters counters;

    pc_event *evq;
    size_t ev_head, ev_len, ev_cap;
};

/* core/pc.c */
void mrtc_pc_set_error(mrtc_pc *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Queues a callback (takes ownership of the strings in ev, frees them on failure). */
void mrtc_pc_emit(mrtc_pc *pc, pc_event *ev);
void mrtc_pc_emit_state(mrtc_pc *pc, pc_ev_type type, int state);
/* Makes room for n more events so that an operation cannot fail half-way. */
int mrtc_pc_reserve_events(mrtc_pc *pc, size_t n);
/* After an API call or input: send what the modules queued, re-derive the states and let
 * the host re-arm (the end of every entry point). */
void mrtc_pc_flush(mrtc_pc *pc);

/* core/pc_ice.c */
int mrtc_pc_ice_configure(mrtc_pc *pc, const mrtc_pc_config *cfg);
void mrtc_pc_ice_free(mrtc_pc *pc);
pc_gen *mrtc_pc_ice_gen_new(mrtc_pc *pc, const char *ufrag, const char *pwd, bool controlling);
void mrtc_pc_ice_gen_free(pc_gen *g);
/* Binds the sockets (once) and adds the host candidates to gen (once). */
int mrtc_pc_ice_gather(mrtc_pc *pc, pc_gen *g);
/* Applies remote credentials and the candidates of a remote description's bundle
 * transport to gen. */
void mrtc_pc_ice_apply_remote(mrtc_pc *pc, pc_gen *g, const mrtc_sdp *sdp);
/* addIceCandidate on the generation the candidate belongs to. */
int mrtc_pc_ice_add_remote_candidate(mrtc_pc *pc, const char *line);
void mrtc_pc_ice_remote_end_of_candidates(mrtc_pc *pc);
/* Draws ICE credentials. */
void mrtc_pc_ice_new_credentials(mrtc_pc *pc, char *ufrag, char *pwd);
/* Drains the agents (transmits, events), updates the aggregate states. */
void mrtc_pc_ice_drain(mrtc_pc *pc);
void mrtc_pc_ice_update_states(mrtc_pc *pc);
/* The generation whose credentials the next offer/answer carries. */
const pc_gen *mrtc_pc_ice_gen_for_description(const mrtc_pc *pc);
mrtc_ice_transport_state mrtc_pc_ice_transport_state(const mrtc_pc *pc);

/* core/pc_mdns.c */
/* The agent of g accepted a remote candidate with the unresolved ".local" name: resolve it
 * (the answer, or the timeout dropping it, reaches every generation holding the name). */
void mrtc_pc_mdns_resolve(mrtc_pc *pc, pc_gen *g, const char *name);
/* The sockets are bound (gathering started): queries for names that arrived before go out. */
void mrtc_pc_mdns_sockets_ready(mrtc_pc *pc);
mrtc_time mrtc_pc_mdns_next_timeout(const mrtc_pc *pc);
void mrtc_pc_mdns_handle_timeout(mrtc_pc *pc, mrtc_time now);
void mrtc_pc_mdns_free(mrtc_pc *pc);

/* core/pc_transport.c */
/* After a description was applied: creates DTLS once the role is known, gives it the
 * remote fingerprint, creates SCTP once a data section is negotiated. */
void mrtc_pc_transport_update(mrtc_pc *pc);
/* A DTLS datagram (first byte 20..63). */
void mrtc_pc_transport_handle_dtls(mrtc_pc *pc, mrtc_time now, const mrtc_addr *local,
                                   const mrtc_addr *remote, const uint8_t *data, size_t len);
/* Moves packets and events between ICE, DTLS, SCTP and the channels; part of flush. */
void mrtc_pc_transport_drain(mrtc_pc *pc);
mrtc_time mrtc_pc_transport_next_timeout(const mrtc_pc *pc);
void mrtc_pc_transport_handle_timeout(mrtc_pc *pc, mrtc_time now);
/* close(): close_notify out, DTLS and SCTP freed, channels closed silently. */
void mrtc_pc_transport_close(mrtc_pc *pc);
/* Where datagrams other than STUN go (the selected pair in use). */
bool mrtc_pc_transport_out_path(const mrtc_pc *pc, mrtc_addr *local, mrtc_addr *remote);
/* The path is one ICE knows (checked before DTLS, RTP or RTCP is accepted). */
bool mrtc_pc_transport_path_known(const mrtc_pc *pc, const mrtc_addr *local,
                                  const mrtc_addr *remote);

/* core/pc_dc.c */
void mrtc_pc_dc_handle_sctp_event(mrtc_pc *pc, const mrtc_sctp_event *ev);
/* SCTP connected: channels waiting for it get their ids and open. */
void mrtc_pc_dc_sctp_connected(mrtc_pc *pc);
/* SCTP gone (DTLS closed or failed, association lost): every channel not closed yet
 * closes; reason non-NULL adds an error event first. */
void mrtc_pc_dc_transport_closed(mrtc_pc *pc, const char *reason);
void mrtc_pc_dc_deliver(mrtc_pc *pc, const pc_event *ev);
void mrtc_pc_dc_free_all(mrtc_pc *pc);

/* core/jsep.c */
int mrtc_jsep_set_local(mrtc_pc *pc, mrtc_description_type type, const char *sdp);
int mrtc_jsep_set_remote(mrtc_pc *pc, mrtc_description_type type, const char *sdp);
void mrtc_jsep_set_state(mrtc_pc *pc, mrtc_signaling_state to);
void mrtc_jsep_update_negotiation_needed(mrtc_pc *pc);
bool mrtc_jsep_negotiation_is_needed(const mrtc_pc *pc);
/* The local/remote description in effect (pending if any, else current), or NULL. */
mrtc_sdp *mrtc_jsep_local(const mrtc_pc *pc);
mrtc_sdp *mrtc_jsep_remote(const mrtc_pc *pc);
/* Port 0 and not a bundle-only member of the BUNDLE group (RFC 8843 section 6). */
bool mrtc_jsep_is_rejected(const mrtc_sdp *sdp, const mrtc_sdp_media *m);
/* The first m-section of a description's BUNDLE group (or its first usable one): where
 * candidates go. Returns its index or -1. */
int mrtc_jsep_bundle_index(const mrtc_sdp *sdp);

/* core/jsep_build.c */
int mrtc_jsep_create_offer(mrtc_pc *pc, bool ice_restart, char **out);
int mrtc_jsep_create_answer(mrtc_pc *pc, char **out);
/* Adds a local candidate line to a description's bundle m-section. */
void mrtc_jsep_add_local_candidate(mrtc_sdp *sdp, const char *cand);

/* core/jsep_check.c */
/* Validates a parsed remote description of the given type against the PeerConnection.
 * Returns 0 or MRTC_EINVAL with the reason in pc's last error (text is the raw SDP, for
 * line numbers). */
int mrtc_jsep_check_remote(mrtc_pc *pc, mrtc_description_type type, const mrtc_sdp *sdp,
                           const char *text);
/* The 1-based line number of the m= line of section i in text (0 if not found). */
unsigned mrtc_jsep_mline_lineno(const char *text, size_t i);

#endif
