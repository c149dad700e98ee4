/*
 * mrtc_pc: the PeerConnection, a browser's RTCPeerConnection translated to C.
 *
 * Threads and callbacks. A PeerConnection belongs to the runtime (libuv loop) it was created
 * on: call its functions on that loop's thread only. Callbacks run on the loop thread and
 * are NEVER called from inside an API call: an API call queues its events, and the runtime
 * delivers them from the loop once the call has returned, in the order they happened.
 * Calling any function, mrtc_pc_close() included, from inside any callback is safe.
 *
 * Calls are synchronous: where the browser returns a promise, these functions return the
 * result. A failed call returns a negative MRTC_E* code, leaves the PeerConnection exactly
 * as it was (no state change, no event), and mrtc_pc_last_error() says why (for SDP: the
 * line number and what was wrong). W3C exceptions map as: InvalidStateError ->
 * MRTC_ESTATE (MRTC_ECLOSED once closed), syntax errors in SDP -> MRTC_ESDP,
 * InvalidAccessError/InvalidModificationError/TypeError -> MRTC_EINVAL, OperationError ->
 * MRTC_ENOTFOUND (no such m-section) or MRTC_EINVAL.
 *
 * Strings returned through `char **` are the caller's: free them with mrtc_string_free().
 * Pointers passed in are borrowed for the call only (the library copies what it keeps).
 *
 * What works now: JSEP offer/answer with BUNDLE (max-bundle), rtcp-mux, trickle ICE over
 * host candidates (UDP), ICE restart, DTLS with fingerprint verification, SCTP data
 * channels (datachannel.h), the W3C state machines. Not yet: media, TURN, STUN servers
 * given by name, stats. docs/api.md tracks this.
 */
#ifndef MESHRTC_PC_H
#define MESHRTC_PC_H

#include "meshrtc/datachannel.h"
#include "meshrtc/export.h"
#include "meshrtc/runtime.h"
#include "meshrtc/states.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A PeerConnection (opaque). Valid from mrtc_pc_new() until its close_cb returns. */
typedef struct mrtc_pc mrtc_pc;

/* An RTP transceiver (opaque), owned by its PeerConnection: valid until the
 * PeerConnection's close_cb returns (also after a rollback removed it from the list). */
typedef struct mrtc_transceiver mrtc_transceiver;

/* ---- Certificates (RTCCertificate) ------------------------------------------------------ */

/* A DTLS identity: an ECDSA P-256 key with a self-signed certificate. */
typedef struct mrtc_certificate mrtc_certificate;

/* generateCertificate(): a new key and certificate (valid from a day ago for 30 days).
 * Returns 0 and *out, MRTC_ENOMEM or MRTC_EIO (OpenSSL failed). */
MRTC_EXPORT int mrtc_certificate_generate(mrtc_certificate **out);
/* Releases the application's reference; PeerConnections using it keep their own. Accepts
 * NULL. */
MRTC_EXPORT void mrtc_certificate_free(mrtc_certificate *c);
/* The SHA-256 fingerprint as a=fingerprint carries it ("AB:CD:..."); valid as long as c. */
MRTC_EXPORT const char *mrtc_certificate_fingerprint(const mrtc_certificate *c);

/* ---- Configuration (RTCConfiguration) ---------------------------------------------------- */

/* RTCIceServer. Strings are copied by mrtc_pc_new(). URLs are validated ("stun:",
 * "stuns:", "turn:", "turns:" with host, optional port and ?transport=udp|tcp); a "turn"
 * URL needs username and credential. Servers are not contacted yet: only host candidates
 * are gathered. */
typedef struct mrtc_ice_server {
    const char *const *urls;
    size_t n_urls;
    const char *username;   /* may be NULL */
    const char *credential; /* may be NULL */
} mrtc_ice_server;

typedef enum mrtc_bundle_policy {
    MRTC_BUNDLE_POLICY_BALANCED = 0, /* not supported: MRTC_ENOTSUP */
    MRTC_BUNDLE_POLICY_MAX_COMPAT,   /* not supported: MRTC_ENOTSUP */
    MRTC_BUNDLE_POLICY_MAX_BUNDLE,   /* the default here: one transport for everything */
} mrtc_bundle_policy;

typedef enum mrtc_rtcp_mux_policy {
    MRTC_RTCP_MUX_POLICY_REQUIRE = 0, /* the only policy (W3C removed "negotiate") */
} mrtc_rtcp_mux_policy;

typedef enum mrtc_ice_transport_policy {
    MRTC_ICE_TRANSPORT_POLICY_ALL = 0,
    MRTC_ICE_TRANSPORT_POLICY_RELAY, /* not supported yet: MRTC_ENOTSUP */
} mrtc_ice_transport_policy;

/* RTCConfiguration. Start from mrtc_pc_config_init(); everything is copied by
 * mrtc_pc_new(). */
typedef struct mrtc_pc_config {
    const mrtc_ice_server *ice_servers; /* array of n_ice_servers, may be NULL if 0 */
    size_t n_ice_servers;
    mrtc_ice_transport_policy ice_transport_policy;
    mrtc_bundle_policy bundle_policy;
    mrtc_rtcp_mux_policy rtcp_mux_policy;
    unsigned ice_candidate_pool_size; /* must be 0 (no pre-gathering) */
    /* Allow-list for gathering host candidates. Each entry is an interface name ("lo",
     * "eth0"), a numeric address ("127.0.0.1", "::1") or a prefix ("10.0.0.0/8",
     * "fd00::/8"). Empty: every usable interface address (RFC 8445 section 5.1.1.1:
     * loopback and link-local only when nothing else is up). An address allowed by name
     * or prefix is still subject to the usability rules except that loopback is allowed
     * when the list names it explicitly. Restricting ICE to loopback: {"127.0.0.1"} or
     * {"lo"}. */
    const char *const *ice_interfaces;
    size_t n_ice_interfaces;
    /* The DTLS identity (RTCConfiguration.certificates). NULL (default): one certificate
     * generated once per process and shared by every PeerConnection that has none. The
     * PeerConnection takes its own reference. */
    const mrtc_certificate *certificate;
} mrtc_pc_config;

/* Fills cfg with the defaults: no ICE servers, policy all, max-bundle, rtcp-mux require,
 * pool 0, no allow-list. */
MRTC_EXPORT void mrtc_pc_config_init(mrtc_pc_config *cfg);

/* ---- Session descriptions ---------------------------------------------------------------- */

#define MRTC_DESCRIPTION_TYPE_MAP(X)                                                               \
    X(OFFER, "offer")                                                                              \
    X(PRANSWER, "pranswer")                                                                        \
    X(ANSWER, "answer")                                                                            \
    X(ROLLBACK, "rollback")

/* RTCSdpType. MRTC_DESCRIPTION_NONE means "no type": an implicit setLocalDescription(). */
typedef enum mrtc_description_type {
    MRTC_DESCRIPTION_NONE = 0,
#define MRTC_DESC_ENUM_(name, str) MRTC_DESCRIPTION_##name,
    MRTC_DESCRIPTION_TYPE_MAP(MRTC_DESC_ENUM_)
#undef MRTC_DESC_ENUM_
} mrtc_description_type;

/* "offer", "pranswer", "answer", "rollback"; "" for NONE; "?" out of range. Static. */
MRTC_EXPORT const char *mrtc_description_type_name(mrtc_description_type t);
/* Parses a W3C spelling ("answer"). Returns 0 or MRTC_EINVAL. */
MRTC_EXPORT int mrtc_description_type_parse(const char *name, mrtc_description_type *out);

/* Which description to read (W3C localDescription, currentLocalDescription, ...). */
typedef enum mrtc_description_slot {
    MRTC_LOCAL_DESCRIPTION = 0, /* pending if any, else current */
    MRTC_CURRENT_LOCAL_DESCRIPTION,
    MRTC_PENDING_LOCAL_DESCRIPTION,
    MRTC_REMOTE_DESCRIPTION, /* pending if any, else current */
    MRTC_CURRENT_REMOTE_DESCRIPTION,
    MRTC_PENDING_REMOTE_DESCRIPTION,
} mrtc_description_slot;

/* ---- Transceivers ------------------------------------------------------------------------ */

typedef enum mrtc_media_kind {
    MRTC_MEDIA_AUDIO = 0, /* offered as opus/48000/2, payload type 111 */
    MRTC_MEDIA_VIDEO,     /* offered as VP8/90000 (96) with rtx (97) */
} mrtc_media_kind;

/* RTCRtpTransceiverDirection; NONE stands for the W3C null (no current direction yet). */
typedef enum mrtc_direction {
    MRTC_DIRECTION_NONE = 0,
    MRTC_DIRECTION_SENDRECV,
    MRTC_DIRECTION_SENDONLY,
    MRTC_DIRECTION_RECVONLY,
    MRTC_DIRECTION_INACTIVE,
    MRTC_DIRECTION_STOPPED,
} mrtc_direction;

/* Names: "audio"/"video"; "sendrecv", ..., "" for NONE. Static, "?" out of range. */
MRTC_EXPORT const char *mrtc_media_kind_name(mrtc_media_kind k);
MRTC_EXPORT const char *mrtc_direction_name(mrtc_direction d);

typedef struct mrtc_transceiver_init {
    mrtc_direction direction; /* default sendrecv; NONE and STOPPED are invalid */
} mrtc_transceiver_init;

/* Fills init with the defaults (direction sendrecv). */
MRTC_EXPORT void mrtc_transceiver_init_defaults(mrtc_transceiver_init *init);

/* ---- ICE transport and candidates -------------------------------------------------------- */

/* One ICE candidate as RTCIceCandidate describes it. */
typedef struct mrtc_ice_candidate_info {
    char address[64]; /* numeric IP */
    uint16_t port;
    char protocol[4]; /* "udp" */
    char type[8];     /* "host", "srflx", "prflx", "relay" */
    uint32_t priority;
    char foundation[33];
} mrtc_ice_candidate_info;

/* RTCIceTransport (with max-bundle a PeerConnection has exactly one), and the state of its
 * RTCDtlsTransport. During an ICE restart the old pair keeps carrying traffic until the new
 * credentials connect; state, role and pair describe the one in use. */
typedef struct mrtc_ice_transport_info {
    mrtc_ice_transport_state state;
    mrtc_gathering_state gathering_state;
    const char *role;                     /* "controlling", "controlled" or "unknown"; static */
    mrtc_dtls_transport_state dtls_state; /* "new" until the DTLS role is negotiated */
    bool has_selected_pair;
    mrtc_ice_candidate_info local; /* selected pair, when has_selected_pair */
    mrtc_ice_candidate_info remote;
} mrtc_ice_transport_info;

/* RTCPeerConnectionIceErrorEvent fields. */
typedef struct mrtc_ice_candidate_error {
    const char *address; /* local address, or NULL when not disclosed */
    uint16_t port;
    const char *url; /* the STUN/TURN server URL */
    int error_code;  /* STUN error code, or 701 when the server was not reached */
    const char *error_text;
} mrtc_ice_candidate_error;

/* ---- Callbacks ----------------------------------------------------------------------------- */

/* negotiationneeded: fired per the W3C rules (only while stable, coalesced: several
 * changes in a row give one call). Create and send an offer from it. */
typedef void (*mrtc_pc_negotiation_needed_cb)(mrtc_pc *pc, void *user);

/* icecandidate: a local candidate to send to the peer. `candidate` is the attribute value
 * without "a=" ("candidate:1 1 udp 2122260223 10.0.0.2 53421 typ host ..."), `sdp_mid` and
 * `sdp_mline_index` name the first bundled m-section. After the last candidate of a
 * gathering round it is called once with candidate, sdp_mid NULL and sdp_mline_index -1
 * (end of candidates, W3C null candidate). Strings are valid for the call only. */
typedef void (*mrtc_pc_ice_candidate_cb)(mrtc_pc *pc, const char *candidate, const char *sdp_mid,
                                         int sdp_mline_index, void *user);

/* icecandidateerror: a STUN/TURN server could not be used. Never called yet, since servers
 * are not contacted yet. */
typedef void (*mrtc_pc_ice_candidate_error_cb)(mrtc_pc *pc, const mrtc_ice_candidate_error *e,
                                               void *user);

/* State changes. `state` is the new state at the time of the change (the getters return the
 * state at the time of the call, which may already be later). A callback fires only for an
 * actual change, and none fires for the transition to "closed" caused by mrtc_pc_close(). */
typedef void (*mrtc_pc_signaling_state_change_cb)(mrtc_pc *pc, mrtc_signaling_state state,
                                                  void *user);
typedef void (*mrtc_pc_ice_gathering_state_change_cb)(mrtc_pc *pc, mrtc_gathering_state state,
                                                      void *user);
typedef void (*mrtc_pc_ice_connection_state_change_cb)(mrtc_pc *pc, mrtc_ice_connection_state state,
                                                       void *user);
typedef void (*mrtc_pc_connection_state_change_cb)(mrtc_pc *pc, mrtc_connection_state state,
                                                   void *user);

/* datachannel: the peer opened a channel (not for negotiated channels, which the
 * application creates on both sides). The channel is already open; set its callbacks from
 * here: its open callback follows after this one returns. Ownership: see datachannel.h. */
typedef void (*mrtc_pc_datachannel_cb)(mrtc_pc *pc, mrtc_datachannel *dc, void *user);

/* The DTLS transport's (RTCDtlsTransport onstatechange) and SCTP transport's
 * (RTCSctpTransport onstatechange) state changes. With max-bundle there is one of each. */
typedef void (*mrtc_pc_dtls_state_change_cb)(mrtc_pc *pc, mrtc_dtls_transport_state state,
                                             void *user);
typedef void (*mrtc_pc_sctp_state_change_cb)(mrtc_pc *pc, mrtc_sctp_transport_state state,
                                             void *user);

/* track: the peer sends media on transceiver t (W3C track event: its remote description
 * made the transceiver's receiving direction active). Attach sinks from here
 * (mrtc_transceiver_add_sink, media.h). Fires again if the peer stops and later resumes
 * sending. */
typedef void (*mrtc_pc_track_cb)(mrtc_pc *pc, mrtc_transceiver *t, void *user);

/* Every member may be NULL. The struct is copied by mrtc_pc_new(). */
typedef struct mrtc_pc_callbacks {
    mrtc_pc_negotiation_needed_cb negotiation_needed;
    mrtc_pc_ice_candidate_cb ice_candidate;
    mrtc_pc_ice_candidate_error_cb ice_candidate_error;
    mrtc_pc_signaling_state_change_cb signaling_state_change;
    mrtc_pc_ice_gathering_state_change_cb ice_gathering_state_change;
    mrtc_pc_ice_connection_state_change_cb ice_connection_state_change;
    mrtc_pc_connection_state_change_cb connection_state_change;
    mrtc_pc_datachannel_cb datachannel;
    mrtc_pc_dtls_state_change_cb dtls_state_change;
    mrtc_pc_sctp_state_change_cb sctp_state_change;
    mrtc_pc_track_cb track;
} mrtc_pc_callbacks;

/* ---- Lifetime ------------------------------------------------------------------------------ */

/* Creates a PeerConnection on rt. cfg NULL means the defaults; cbs may be NULL (no
 * callbacks); `user` is passed to every callback. The DTLS certificate is cfg->certificate,
 * or the process-wide one (generated on first use); its fingerprint is in every
 * description.
 * Returns 0 and *out, or (with *out NULL, reason logged under "pc"): MRTC_EINVAL (bad
 * argument, malformed ICE server URL or allow-list entry), MRTC_ENOTSUP (a policy other than
 * max-bundle/require/all, or a candidate pool), MRTC_ECLOSED (runtime closing),
 * MRTC_ENOMEM, MRTC_EIO (certificate generation failed). */
MRTC_EXPORT int mrtc_pc_new(mrtc_runtime *rt, const mrtc_pc_config *cfg,
                            const mrtc_pc_callbacks *cbs, void *user, mrtc_pc **out);

/* Called once when the PeerConnection has closed; its memory is released when this
 * returns. */
typedef void (*mrtc_pc_close_cb)(mrtc_pc *pc, void *user);

/* Closes the PeerConnection (W3C close()): the signaling state becomes "closed", the ICE
 * connection and connection states "closed", sockets are released; no callback other than
 * close_cb (may be NULL) fires after this call, even already queued ones. close_cb runs
 * from the loop, never from inside this call. Other functions return MRTC_ECLOSED from
 * now on; getters keep working until close_cb returns. Returns 0, or MRTC_ECLOSED if the
 * PeerConnection was already closed (close_cb is then never called). */
MRTC_EXPORT int mrtc_pc_close(mrtc_pc *pc, mrtc_pc_close_cb close_cb);

/* The `user` pointer given to mrtc_pc_new(). */
MRTC_EXPORT void *mrtc_pc_user(const mrtc_pc *pc);

/* What the last failed call on pc did wrong ("set remote answer: line 7: a=ice-ufrag is
 * missing"), or "" if no call failed yet. Valid until the next call on pc. */
MRTC_EXPORT const char *mrtc_pc_last_error(const mrtc_pc *pc);

/* ---- JSEP (RFC 8829) ----------------------------------------------------------------------- */

typedef struct mrtc_offer_options {
    bool ice_restart; /* new ICE credentials in this offer (RTCOfferOptions.iceRestart) */
} mrtc_offer_options;

/* Fills opts with the defaults (no ICE restart). */
MRTC_EXPORT void mrtc_offer_options_init(mrtc_offer_options *opts);

/* createOffer(): writes a new offer to *sdp (free with mrtc_string_free). opts may be NULL.
 * The offer bundles every m-section (a=group:BUNDLE, mids "0", "1", ...), carries the ICE
 * credentials, a=ice-options:trickle, the certificate fingerprint, a=setup:actpass, and the
 * candidates gathered so far. With opts->ice_restart or after mrtc_pc_restart_ice() (and a
 * completed first negotiation) it carries new ICE credentials, the same ones in every offer
 * until they are negotiated. Changes no state and fires no callback; as in browsers it may
 * be called in any state but closed (an offer made in have-remote-offer can only be applied
 * once stable again). Returns 0, MRTC_EINVAL, MRTC_ECLOSED, MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_pc_create_offer(mrtc_pc *pc, const mrtc_offer_options *opts, char **sdp);

/* createAnswer(): writes an answer to the remote offer to *sdp: m-sections in the offer's
 * order and mids, codecs intersected with the offer (the offer's payload types kept),
 * directions answered per RFC 8829 section 5.3.1, a=setup:active (passive if the offer
 * said active), unsupported or unbundled m-sections rejected with port 0. Returns 0,
 * MRTC_EINVAL, MRTC_ECLOSED, MRTC_ESTATE (not in have-remote-offer/have-local-pranswer),
 * MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_pc_create_answer(mrtc_pc *pc, char **sdp);

/* setLocalDescription(). `sdp` must be the text of the last offer (for type offer) or
 * answer (answer/pranswer) created on this PeerConnection: like the W3C API this does not
 * accept edited SDP (MRTC_EINVAL, InvalidModificationError). sdp NULL or "" is the
 * implicit form: the offer or answer is created here, and with type NONE the type follows
 * from the signaling state (offer in stable/have-local-offer/have-remote-pranswer, answer
 * otherwise). Type rollback ignores sdp. Applying a local description starts gathering
 * (ice_candidate callbacks follow). Returns 0, MRTC_EINVAL, MRTC_ESTATE (type not allowed in
 * the current signaling state), MRTC_ECLOSED, MRTC_ENOMEM, MRTC_EIO (no socket could be
 * opened). */
MRTC_EXPORT int mrtc_pc_set_local_description(mrtc_pc *pc, mrtc_description_type type,
                                              const char *sdp);

/* setRemoteDescription(). The description is validated before anything changes: SDP
 * syntax (MRTC_ESDP, with the line number in mrtc_pc_last_error()), then semantics
 * (MRTC_EINVAL): unique mids on every m-section, a BUNDLE group whose mids exist, ICE
 * ufrag/pwd for every bundled m-section, a=rtcp-mux on RTP m-sections, a=fingerprint and
 * a=setup, an answer matching the offer's m-sections. An offer in have-local-offer first
 * rolls back the local offer (W3C implicit rollback, perfect negotiation). Rollback is
 * allowed in any state but stable and discards both pending descriptions. Remote
 * candidates in the SDP are used. Returns 0, MRTC_EINVAL, MRTC_ESDP, MRTC_ESTATE,
 * MRTC_ECLOSED, MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_pc_set_remote_description(mrtc_pc *pc, mrtc_description_type type,
                                               const char *sdp);

/* addIceCandidate(). `candidate` is an attribute value, with or without "a=" and
 * "candidate:". sdp_mid (may be NULL) or sdp_mline_index (-1 for null) selects the
 * m-section; the mid wins when both are given. candidate NULL or "" means end of
 * candidates (for that m-section's transport, or for all when both selectors are null).
 * Must follow a remote description (as in browsers: MRTC_ESTATE otherwise, nothing is
 * queued). The candidate is also added to the remote description. Returns 0, MRTC_EINVAL
 * (unparsable candidate, both selectors null for a candidate, or a ufrag that is not the
 * remote description's), MRTC_ENOTFOUND (no such m-section), MRTC_ESTATE, MRTC_ECLOSED,
 * MRTC_ENOMEM. An m-section that is rejected or bundled into another ignores it (0). */
MRTC_EXPORT int mrtc_pc_add_ice_candidate(mrtc_pc *pc, const char *candidate, const char *sdp_mid,
                                          int sdp_mline_index);

/* restartIce(): the next offer carries new ICE credentials; negotiation-needed fires (when
 * stable). Returns 0 or MRTC_ECLOSED. */
MRTC_EXPORT int mrtc_pc_restart_ice(mrtc_pc *pc);

/* Reads a description (W3C localDescription, currentLocalDescription, ...). Local
 * descriptions include the candidates gathered so far (and a=end-of-candidates once
 * gathering is complete); remote ones the candidates added with
 * mrtc_pc_add_ice_candidate(). Returns 0 with *type and *sdp (free with mrtc_string_free),
 * MRTC_ENOTFOUND when that description is null (*sdp NULL, *type NONE), MRTC_EINVAL,
 * MRTC_ENOMEM. type may be NULL. Works after close, until close_cb returns. */
MRTC_EXPORT int mrtc_pc_get_description(const mrtc_pc *pc, mrtc_description_slot slot,
                                        mrtc_description_type *type, char **sdp);

/* ---- Transceivers -------------------------------------------------------------------------- */

/* addTransceiver(kind, {direction}): a new transceiver with no mid yet; negotiation-needed
 * fires. init may be NULL (sendrecv). *out (may be NULL) receives the handle. Media does
 * not flow yet: the m-section is negotiated only. Returns 0, MRTC_EINVAL, MRTC_ECLOSED,
 * MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_pc_add_transceiver(mrtc_pc *pc, mrtc_media_kind kind,
                                        const mrtc_transceiver_init *init, mrtc_transceiver **out);

/* getTransceivers(): the count, and the i-th in creation order (NULL past the end).
 * Transceivers are also created by a remote offer with more m-sections than local
 * transceivers (recvonly). */
MRTC_EXPORT size_t mrtc_pc_transceiver_count(const mrtc_pc *pc);
MRTC_EXPORT mrtc_transceiver *mrtc_pc_transceiver_at(const mrtc_pc *pc, size_t i);

/* The kind given to mrtc_pc_add_transceiver() or taken from the remote m-section. */
MRTC_EXPORT mrtc_media_kind mrtc_transceiver_kind(const mrtc_transceiver *t);
/* The negotiated mid, or NULL before the transceiver is associated with an m-section. The
 * string is valid until the next API call on the PeerConnection. */
MRTC_EXPORT const char *mrtc_transceiver_mid(const mrtc_transceiver *t);
/* The preferred direction (W3C direction): what the next offer/answer asks for; "stopped"
 * once the m-section was rejected. */
MRTC_EXPORT mrtc_direction mrtc_transceiver_direction(const mrtc_transceiver *t);
/* currentDirection: NONE until negotiated; "inactive"/"sendonly"/... after. */
MRTC_EXPORT mrtc_direction mrtc_transceiver_current_direction(const mrtc_transceiver *t);
/* Sets the preferred direction; negotiation-needed fires if it differs from the current
 * direction. Returns 0, MRTC_EINVAL (NONE or STOPPED), MRTC_ECLOSED. */
MRTC_EXPORT int mrtc_transceiver_set_direction(mrtc_transceiver *t, mrtc_direction d);

/* ---- States -------------------------------------------------------------------------------- */

/* The current states (W3C signalingState, iceGatheringState, iceConnectionState,
 * connectionState), derived per the W3C rules over the transports in use; "closed" after
 * mrtc_pc_close(). They can be ahead of the state-change callbacks still queued. The
 * connection state is derived from the ICE and DTLS transports ("worst wins"). */
MRTC_EXPORT mrtc_signaling_state mrtc_pc_signaling_state(const mrtc_pc *pc);
MRTC_EXPORT mrtc_gathering_state mrtc_pc_ice_gathering_state(const mrtc_pc *pc);
MRTC_EXPORT mrtc_ice_connection_state mrtc_pc_ice_connection_state(const mrtc_pc *pc);
MRTC_EXPORT mrtc_connection_state mrtc_pc_connection_state(const mrtc_pc *pc);

/* The ICE transport (sender/receiver.transport.iceTransport): its state, gathering state,
 * role and selected candidate pair. Returns 0, MRTC_ENOTFOUND (no transport yet: before the
 * first description is applied), MRTC_EINVAL. */
MRTC_EXPORT int mrtc_pc_get_ice_transport(const mrtc_pc *pc, mrtc_ice_transport_info *out);

/* RTCSctpTransport. */
typedef struct mrtc_sctp_transport_info {
    mrtc_sctp_transport_state state;
    size_t max_message_size; /* what a channel may send: the peer's a=max-message-size, at
                                most the 1 MiB SCTP send buffer (also when the peer says 0,
                                "any size") */
    unsigned max_channels;   /* 0 until connected */
} mrtc_sctp_transport_info;

/* The SCTP transport (W3C pc.sctp): exists once an offer/answer exchange with a data
 * m-section on both sides has been applied (the DTLS role is then known). Returns 0,
 * MRTC_ENOTFOUND (pc.sctp is null), MRTC_EINVAL. */
MRTC_EXPORT int mrtc_pc_get_sctp_transport(const mrtc_pc *pc, mrtc_sctp_transport_info *out);

/* The DTLS transport's state and the SHA-256 fingerprint of the peer's certificate ("" until
 * seen; fp may be NULL, else 96 bytes). Returns 0, MRTC_ENOTFOUND (no transport yet). */
MRTC_EXPORT int mrtc_pc_get_dtls_transport(const mrtc_pc *pc, mrtc_dtls_transport_state *state,
                                           char *fp, size_t fp_cap);

#ifdef __cplusplus
}
#endif
#endif
