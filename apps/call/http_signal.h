/*
 * meshrtc-call's HTTP signaling dialects (docs/call.md, "SDP over HTTP and WHIP"): the
 * client of an /offer endpoint (--signal http://...), the WHIP client (--signal
 * whip+http://..., RFC 9725) and the /offer server (--listen http://...). Each replaces the
 * room: a PeerConnection per exchange, all candidates gathered before the description is
 * sent, no trickle.
 */
#ifndef MESHRTC_APP_CALL_HTTP_SIGNAL_H
#define MESHRTC_APP_CALL_HTTP_SIGNAL_H

#include <stddef.h>

typedef struct call call;
typedef struct call_peer call_peer;

/* Starts the dialect of c->args->signal_kind (not the room): the client creates its one
 * peer (the offerer) and posts the offer once gathering completes; the server listens.
 * Returns 0, or a CALL_EXIT_* status with a one-line reason in why. */
int http_signal_start(call *c, char *why, size_t whylen);

/* p's ICE gathering completed (peer.c): the client posts its offer, the server answers the
 * request that created p. Does nothing in a room call. */
void http_signal_gathered(call_peer *p);

/* p's DTLS transport was closed by the peer (peer.c): with no room to say that it left,
 * that is its leaving: "ID left (DTLS closed)" and the peer is closed as on peer-left.
 * Does nothing in a room call. */
void http_signal_hangup(call_peer *p);

/* p is closing (peer.c): a request still waiting for p's answer is answered 503. */
void http_signal_peer_closing(call_peer *p);

/* The call is ending (session.c): abandons requests in flight, stops listening, and sends
 * the WHIP DELETE to the resource (its response or a 2 s timeout ends it; the loop keeps
 * running until then). */
void http_signal_stop(call *c);

#endif
