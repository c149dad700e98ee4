/*
 * The W3C aggregate state derivations (webrtc-pc 4.4.3, 4.4.4, 4.4.2) as pure functions of
 * the per-transport states, so they are tested exhaustively against the W3C tables and the
 * PeerConnection only feeds them.
 */
#ifndef MRTC_CORE_STATES_H
#define MRTC_CORE_STATES_H

#include "meshrtc/states.h"

#include <stdbool.h>
#include <stddef.h>

/* RTCIceConnectionState over the ICE transports in use (ice[0..n), n may be 0). */
mrtc_ice_connection_state mrtc_states_ice_connection(bool is_closed,
                                                     const mrtc_ice_transport_state *ice, size_t n);

/* RTCPeerConnectionState from the derived RTCIceConnectionState and the DTLS transports in
 * use (dtls[0..n_dtls)). "There are no transports" is ice == new with n_dtls == 0. Every ICE
 * transport in use has a DTLS transport: until DTLS exists the caller passes "new" for each,
 * so the result cannot be "connected" (the W3C rule would otherwise hold vacuously). */
mrtc_connection_state mrtc_states_connection(bool is_closed, mrtc_ice_connection_state ice,
                                             const mrtc_dtls_transport_state *dtls, size_t n_dtls);

/* RTCIceGatheringState over the gathering states of the ICE transports in use. */
mrtc_gathering_state mrtc_states_gathering(const mrtc_gathering_state *g, size_t n);

#endif
