/*
 * Client of the meshrtc room protocol (SIGNALING.md version 1) for meshrtc-call: connects
 * to the room server's WebSocket, sends the join, and turns the server's messages into
 * callbacks with parsed arguments.
 *
 * Threading and lifetime follow libuv: everything happens on the loop passed to
 * room_client_connect(), nothing blocks, callbacks never fire from inside an API call, any
 * API (close included) may be called from a callback. connect_failed or closed is the last
 * callback of a connection; room_client_close() must still be called once to release the
 * client, and its close callback runs when everything is freed.
 *
 * Every pointer handed to a callback is borrowed for the duration of the call: copy what
 * you keep.
 */
#ifndef APPS_COMMON_ROOM_CLIENT_H
#define APPS_COMMON_ROOM_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct room_client room_client;

typedef struct room_peer {
    const char *id;   /* opaque, unique for the server's lifetime */
    const char *name; /* display name, "" when none */
} room_peer;

/* One entry of the welcome's "iceServers" (the W3C RTCIceServer shape). */
typedef struct room_ice_server {
    const char *const *urls;
    size_t n_urls;
    const char *username;   /* NULL when absent */
    const char *credential; /* NULL when absent */
} room_ice_server;

typedef struct room_welcome {
    const char *id;         /* our id */
    const char *room;       /* the room joined */
    const room_peer *peers; /* the participants already there, oldest first */
    size_t n_peers;
    const room_ice_server *ice_servers;
    size_t n_ice_servers;
    const json_t *json; /* the whole message, for fields this version does not parse */
} room_welcome;

typedef struct room_client_callbacks {
    /* The join succeeded. Per the mesh rule, wait for these peers' offers. */
    void (*welcome)(room_client *rc, const room_welcome *w, void *user);
    /* Someone joined after us: create the PeerConnection and send the first offer. */
    void (*peer_joined)(room_client *rc, const char *id, const char *name, void *user);
    void (*peer_left)(room_client *rc, const char *id, void *user);
    /* A relayed signal. `data` is the object the sender sent ({"description":...} or
     * {"candidate":...}); `data_text` is the same object serialised compactly. */
    void (*signal)(room_client *rc, const char *from, const json_t *data, const char *data_text,
                   void *user);
    /* An error from the server: `code` is one of SIGNALING.md's (bad-request, bad-code,
     * room-full, not-joined, unknown-peer, too-large, unknown-type), or "bad-message" when the
     * server sent something this client cannot parse. After an error about the join the
     * server closes the connection: `closed` follows. */
    void (*error)(room_client *rc, const char *code, const char *message, void *user);
    /* The connection could not be made, e.g. "cannot connect to ws://127.0.0.1:9/ws:
     * connection refused". Terminal. */
    void (*connect_failed)(room_client *rc, const char *message, void *user);
    /* The connection ended after it was made, e.g. "connection to ws://...: closed by the
     * server (1008: join refused)". Terminal. */
    void (*closed)(room_client *rc, const char *message, void *user);
} room_client_callbacks;

typedef struct room_client_config {
    const char *url;             /* ws://HOST:PORT/ws (wss:// accepted); required */
    const char *room;            /* required: 1-64 of [A-Za-z0-9_-] (the server checks) */
    const char *name;            /* display name; NULL or "" for none */
    const char *code;            /* meeting code; NULL for none */
    uint32_t connect_timeout_ms; /* 10000 */
    room_client_callbacks cb;
    void *user;
} room_client_config;

void room_client_config_init(room_client_config *cfg);

/* Starts connecting; the join is sent as soon as the WebSocket is open. Returns 0, or
 * MRTC_EINVAL (bad URL, missing room) / MRTC_ENOMEM / MRTC_EIO with a one-line reason in
 * `err`; on failure no callback ever fires and there is nothing to close. The strings in
 * `cfg` are copied. */
int room_client_connect(uv_loop_t *loop, const room_client_config *cfg, room_client **out,
                        char *err, size_t errlen);

/* Sends {"type":"signal","to":to,"data":data}. `data` must be a JSON object (borrowed).
 * Returns 0, MRTC_EINVAL (not an object, empty `to`), MRTC_ESTATE (not joined: before
 * welcome, after leave or close), MRTC_ENOMEM. */
int room_client_signal(room_client *rc, const char *to, const json_t *data);

/* The same with `data` given as JSON text (parsed to check it is one object). */
int room_client_signal_text(room_client *rc, const char *to, const char *data_json);

/* Sends {"type":"leave"}: we leave the room (peers get peer-left) but keep the connection.
 * Returns 0 or MRTC_ESTATE when not joined. */
int room_client_leave(room_client *rc);

/* Sends one raw text frame as is (tests, protocol extensions). Returns 0, MRTC_ESTATE when
 * the connection is not open, MRTC_ENOMEM. */
int room_client_send_raw(room_client *rc, const char *text, size_t len);

/* Our id after welcome, else NULL. */
const char *room_client_id(const room_client *rc);
bool room_client_joined(const room_client *rc);

/* Perfect negotiation roles (SIGNALING.md, "Who offers"): 1 when we are the polite side
 * towards `peer_id` (it was in the room before us: it was listed in our welcome), 0 when we
 * are impolite (it joined after us), -1 when the peer is not in the room. */
int room_client_polite(const room_client *rc, const char *peer_id);

/* Closes the connection (no leave message needed: the server sends peer-left), stops every
 * callback, frees everything, then calls `cb` (may be NULL). Call exactly once. */
void room_client_close(room_client *rc, void (*cb)(void *arg), void *arg);

#endif
