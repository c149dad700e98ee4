/*
 * The W3C state enums of a PeerConnection and of its transports, with their W3C spellings.
 *
 * Each enum is generated from one X-macro table (X(NAME, "w3c-spelling")), so a value and its
 * name never drift apart; mrtc_<enum>_name() returns the W3C spelling ("have-local-offer",
 * "checking", ...) as a static string, or "?" for a value out of range.
 */
#ifndef MESHRTC_STATES_H
#define MESHRTC_STATES_H

#include "meshrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RTCSignalingState (W3C webrtc-pc 4.3.1, RFC 8829 section 3.2). */
#define MRTC_SIGNALING_STATE_MAP(X)                                                                \
    X(STABLE, "stable")                                                                            \
    X(HAVE_LOCAL_OFFER, "have-local-offer")                                                        \
    X(HAVE_REMOTE_OFFER, "have-remote-offer")                                                      \
    X(HAVE_LOCAL_PRANSWER, "have-local-pranswer")                                                  \
    X(HAVE_REMOTE_PRANSWER, "have-remote-pranswer")                                                \
    X(CLOSED, "closed")

typedef enum mrtc_signaling_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_SIGNALING_##name,
    MRTC_SIGNALING_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_signaling_state;

/* RTCIceGatheringState of the PeerConnection, and RTCIceGathererState of one ICE transport
 * (the same three values). */
#define MRTC_GATHERING_STATE_MAP(X)                                                                \
    X(NEW, "new")                                                                                  \
    X(GATHERING, "gathering")                                                                      \
    X(COMPLETE, "complete")

typedef enum mrtc_gathering_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_GATHERING_##name,
    MRTC_GATHERING_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_gathering_state;

/* RTCIceTransportState: the state of one ICE transport. */
#define MRTC_ICE_TRANSPORT_STATE_MAP(X)                                                            \
    X(NEW, "new")                                                                                  \
    X(CHECKING, "checking")                                                                        \
    X(CONNECTED, "connected")                                                                      \
    X(COMPLETED, "completed")                                                                      \
    X(DISCONNECTED, "disconnected")                                                                \
    X(FAILED, "failed")                                                                            \
    X(CLOSED, "closed")

typedef enum mrtc_ice_transport_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_ICE_TRANSPORT_##name,
    MRTC_ICE_TRANSPORT_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_ice_transport_state;

/* RTCIceConnectionState: the PeerConnection's aggregate over its ICE transports. */
#define MRTC_ICE_CONNECTION_STATE_MAP(X)                                                           \
    X(NEW, "new")                                                                                  \
    X(CHECKING, "checking")                                                                        \
    X(CONNECTED, "connected")                                                                      \
    X(COMPLETED, "completed")                                                                      \
    X(DISCONNECTED, "disconnected")                                                                \
    X(FAILED, "failed")                                                                            \
    X(CLOSED, "closed")

typedef enum mrtc_ice_connection_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_ICE_CONNECTION_##name,
    MRTC_ICE_CONNECTION_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_ice_connection_state;

/* RTCDtlsTransportState. */
#define MRTC_DTLS_TRANSPORT_STATE_MAP(X)                                                           \
    X(NEW, "new")                                                                                  \
    X(CONNECTING, "connecting")                                                                    \
    X(CONNECTED, "connected")                                                                      \
    X(CLOSED, "closed")                                                                            \
    X(FAILED, "failed")

typedef enum mrtc_dtls_transport_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_DTLS_TRANSPORT_##name,
    MRTC_DTLS_TRANSPORT_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_dtls_transport_state;

/* RTCSctpTransportState. */
#define MRTC_SCTP_TRANSPORT_STATE_MAP(X)                                                           \
    X(CONNECTING, "connecting")                                                                    \
    X(CONNECTED, "connected")                                                                      \
    X(CLOSED, "closed")

typedef enum mrtc_sctp_transport_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_SCTP_TRANSPORT_##name,
    MRTC_SCTP_TRANSPORT_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_sctp_transport_state;

/* RTCPeerConnectionState: the aggregate over the ICE and DTLS transports. */
#define MRTC_CONNECTION_STATE_MAP(X)                                                               \
    X(NEW, "new")                                                                                  \
    X(CONNECTING, "connecting")                                                                    \
    X(CONNECTED, "connected")                                                                      \
    X(DISCONNECTED, "disconnected")                                                                \
    X(FAILED, "failed")                                                                            \
    X(CLOSED, "closed")

typedef enum mrtc_connection_state {
#define MRTC_STATE_ENUM_(name, str) MRTC_CONNECTION_##name,
    MRTC_CONNECTION_STATE_MAP(MRTC_STATE_ENUM_)
#undef MRTC_STATE_ENUM_
} mrtc_connection_state;

/* W3C spellings; static strings, "?" for an out-of-range value. */
MRTC_EXPORT const char *mrtc_signaling_state_name(mrtc_signaling_state s);
MRTC_EXPORT const char *mrtc_gathering_state_name(mrtc_gathering_state s);
MRTC_EXPORT const char *mrtc_ice_transport_state_name(mrtc_ice_transport_state s);
MRTC_EXPORT const char *mrtc_ice_connection_state_name(mrtc_ice_connection_state s);
MRTC_EXPORT const char *mrtc_dtls_transport_state_name(mrtc_dtls_transport_state s);
MRTC_EXPORT const char *mrtc_connection_state_name(mrtc_connection_state s);
MRTC_EXPORT const char *mrtc_sctp_transport_state_name(mrtc_sctp_transport_state s);

#ifdef __cplusplus
}
#endif
#endif
