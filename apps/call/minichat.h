/*
 * meshrtc-call's Minichat dialect (docs/call.md, "Minichat (Socket.IO)"): --signal
 * socketio+http://HOST:PORT joins the call of a Minichat server (tests/interop/minichat,
 * Express + Socket.IO) instead of a meshrtc-signal room, speaking its events over
 * apps/common/sio_client.c.
 */
#ifndef MESHRTC_APP_CALL_MINICHAT_H
#define MESHRTC_APP_CALL_MINICHAT_H

#include <jansson.h>
#include <stddef.h>

typedef struct call call;

/* Connects to c->args->signal_url (socketio+http://...); on connect emits join-call. Sets
 * c->mc. Returns 0, or a CALL_EXIT_* status with a one-line reason in why. */
int minichat_start(call *c, char *why, size_t whylen);

/* Sends a signal of peer.c ({"description":{type,sdp}} or {"candidate":{...}|null}, data
 * borrowed) to the socket `to` as the app's offer / answer / ice-candidate event; the null
 * end-of-candidates is not sent (the app has no event for it). Failures are logged. */
void minichat_send(call *c, const char *to, const json_t *data);

/* One stdin line (len bytes) as a chat-message event to everyone. */
void minichat_chat(call *c, const char *line, size_t len);

/* Closes the Socket.IO connection (the server tells the others user-disconnected); `cb`
 * (may be NULL) runs once it is released. Clears c->mc. */
void minichat_close(call *c, void (*cb)(void *arg), void *arg);

#endif
