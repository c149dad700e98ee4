/*
 * W3C state names and the aggregate state derivations of webrtc-pc:
 * RTCIceConnectionState (4.4.4), RTCPeerConnectionState (4.4.3) and RTCIceGatheringState
 * (4.4.2). Each rule is checked in the order of the W3C table ("the previous state doesn't
 * apply"), so the code reads next to the specification text.
 *
 * One deliberate reading: the connectionState rules name only an ICE connection state of
 * "connected", which leaves ICE "completed" with every DTLS transport connected matched by no
 * rule (w3c/webrtc-pc#2827). Browsers report "connected" there, and so do we. No state is
 * invented for a transport that does not exist: the caller decides which transports are in
 * use.
 */
#include "core/states.h"

#define NAME_CASE_(name, str) str,

static const char *const signaling_names[] = {MRTC_SIGNALING_STATE_MAP(NAME_CASE_)};
static const char *const gathering_names[] = {MRTC_GATHERING_STATE_MAP(NAME_CASE_)};
static const char *const ice_transport_names[] = {MRTC_ICE_TRANSPORT_STATE_MAP(NAME_CASE_)};
static const char *const ice_connection_names[] = {MRTC_ICE_CONNECTION_STATE_MAP(NAME_CASE_)};
static const char *const dtls_names[] = {MRTC_DTLS_TRANSPORT_STATE_MAP(NAME_CASE_)};
static const char *const connection_names[] = {MRTC_CONNECTION_STATE_MAP(NAME_CASE_)};
static const char *const sctp_names[] = {MRTC_SCTP_TRANSPORT_STATE_MAP(NAME_CASE_)};

#define NAME_OF_(table, v)                                                                         \
    ((unsigned)(v) < sizeof(table) / sizeof(table[0]) ? table[(unsigned)(v)] : "?")

const char *mrtc_signaling_state_name(mrtc_signaling_state s)
{
    return NAME_OF_(signaling_names, s);
}

const char *mrtc_gathering_state_name(mrtc_gathering_state s)
{
    return NAME_OF_(gathering_names, s);
}

const char *mrtc_ice_transport_state_name(mrtc_ice_transport_state s)
{
    return NAME_OF_(ice_transport_names, s);
}

const char *mrtc_ice_connection_state_name(mrtc_ice_connection_state s)
{
    return NAME_OF_(ice_connection_names, s);
}

const char *mrtc_dtls_transport_state_name(mrtc_dtls_transport_state s)
{
    return NAME_OF_(dtls_names, s);
}

const char *mrtc_sctp_transport_state_name(mrtc_sctp_transport_state s)
{
    return NAME_OF_(sctp_names, s);
}

const char *mrtc_connection_state_name(mrtc_connection_state s)
{
    return NAME_OF_(connection_names, s);
}

/* True if any ice[i] is a or b. */
static bool ice_any(const mrtc_ice_transport_state *ice, size_t n, mrtc_ice_transport_state a,
                    mrtc_ice_transport_state b)
{
    for (size_t i = 0; i < n; i++) {
        if (ice[i] == a || ice[i] == b)
            return true;
    }
    return false;
}

/* True if every ice[i] is a, b or c (vacuously true for n == 0). */
static bool ice_all(const mrtc_ice_transport_state *ice, size_t n, mrtc_ice_transport_state a,
                    mrtc_ice_transport_state b, mrtc_ice_transport_state c)
{
    for (size_t i = 0; i < n; i++) {
        if (ice[i] != a && ice[i] != b && ice[i] != c)
            return false;
    }
    return true;
}

mrtc_ice_connection_state mrtc_states_ice_connection(bool is_closed,
                                                     const mrtc_ice_transport_state *ice, size_t n)
{
    /* closed: the RTCPeerConnection object's [[IsClosed]] slot is true. */
    if (is_closed)
        return MRTC_ICE_CONNECTION_CLOSED;
    /* failed: any RTCIceTransports are in the "failed" state. */
    if (ice_any(ice, n, MRTC_ICE_TRANSPORT_FAILED, MRTC_ICE_TRANSPORT_FAILED))
        return MRTC_ICE_CONNECTION_FAILED;
    /* disconnected: any RTCIceTransports are in the "disconnected" state. */
    if (ice_any(ice, n, MRTC_ICE_TRANSPORT_DISCONNECTED, MRTC_ICE_TRANSPORT_DISCONNECTED))
        return MRTC_ICE_CONNECTION_DISCONNECTED;
    /* new: all RTCIceTransports are "new" or "closed", or there are no transports. */
    if (n == 0 || ice_all(ice, n, MRTC_ICE_TRANSPORT_NEW, MRTC_ICE_TRANSPORT_CLOSED,
                          MRTC_ICE_TRANSPORT_CLOSED))
        return MRTC_ICE_CONNECTION_NEW;
    /* checking: any RTCIceTransports are "new" or "checking". */
    if (ice_any(ice, n, MRTC_ICE_TRANSPORT_NEW, MRTC_ICE_TRANSPORT_CHECKING))
        return MRTC_ICE_CONNECTION_CHECKING;
    /* completed: all RTCIceTransports are "completed" or "closed". */
    if (ice_all(ice, n, MRTC_ICE_TRANSPORT_COMPLETED, MRTC_ICE_TRANSPORT_CLOSED,
                MRTC_ICE_TRANSPORT_CLOSED))
        return MRTC_ICE_CONNECTION_COMPLETED;
    /* connected: all RTCIceTransports are "connected", "completed" or "closed". After the
     * rules above every remaining combination satisfies this. */
    return MRTC_ICE_CONNECTION_CONNECTED;
}

static bool dtls_any(const mrtc_dtls_transport_state *d, size_t n, mrtc_dtls_transport_state a)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] == a)
            return true;
    }
    return false;
}

static bool dtls_all(const mrtc_dtls_transport_state *d, size_t n, mrtc_dtls_transport_state a,
                     mrtc_dtls_transport_state b)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] != a && d[i] != b)
            return false;
    }
    return true;
}

mrtc_connection_state mrtc_states_connection(bool is_closed, mrtc_ice_connection_state ice,
                                             const mrtc_dtls_transport_state *dtls, size_t n_dtls)
{
    /* closed: [[IceConnectionState]] is "closed" (that is, [[IsClosed]] is true). */
    if (is_closed || ice == MRTC_ICE_CONNECTION_CLOSED)
        return MRTC_CONNECTION_CLOSED;
    /* failed: [[IceConnectionState]] is "failed" or any RTCDtlsTransports are "failed". */
    if (ice == MRTC_ICE_CONNECTION_FAILED || dtls_any(dtls, n_dtls, MRTC_DTLS_TRANSPORT_FAILED))
        return MRTC_CONNECTION_FAILED;
    /* disconnected: [[IceConnectionState]] is "disconnected". */
    if (ice == MRTC_ICE_CONNECTION_DISCONNECTED)
        return MRTC_CONNECTION_DISCONNECTED;
    /* new: [[IceConnectionState]] is "new" and all RTCDtlsTransports are "new" or "closed",
     * or there are no transports (then ice is "new" and n_dtls is 0). */
    if (ice == MRTC_ICE_CONNECTION_NEW &&
        dtls_all(dtls, n_dtls, MRTC_DTLS_TRANSPORT_NEW, MRTC_DTLS_TRANSPORT_CLOSED))
        return MRTC_CONNECTION_NEW;
    /* connected: [[IceConnectionState]] is "connected" (or "completed", see the top of this
     * file) and all RTCDtlsTransports are "connected" or "closed". */
    if ((ice == MRTC_ICE_CONNECTION_CONNECTED || ice == MRTC_ICE_CONNECTION_COMPLETED) &&
        dtls_all(dtls, n_dtls, MRTC_DTLS_TRANSPORT_CONNECTED, MRTC_DTLS_TRANSPORT_CLOSED))
        return MRTC_CONNECTION_CONNECTED;
    /* connecting: none of the previous states apply. */
    return MRTC_CONNECTION_CONNECTING;
}

mrtc_gathering_state mrtc_states_gathering(const mrtc_gathering_state *g, size_t n)
{
    bool all_complete = n > 0;
    for (size_t i = 0; i < n; i++) {
        /* gathering: any of the RTCIceTransports are in the "gathering" state. */
        if (g[i] == MRTC_GATHERING_GATHERING)
            return MRTC_GATHERING_GATHERING;
        if (g[i] != MRTC_GATHERING_COMPLETE)
            all_complete = false;
    }
    /* complete: at least one RTCIceTransport exists, and all are "complete". */
    if (all_complete)
        return MRTC_GATHERING_COMPLETE;
    /* new: any are "new" and none "gathering", or there are no transports. */
    return MRTC_GATHERING_NEW;
}
