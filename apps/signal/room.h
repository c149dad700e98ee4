/*
 * The room logic of meshrtc-signal (SIGNALING.md, version 1), without sockets or clocks.
 *
 * Input: connection events (open, a text or binary frame, close) tagged with the connection
 * id the transport chose, and the current Unix time where credentials are minted. Output: a
 * queue of frames to send to connection ids, close requests and log lines, drained with
 * room_poll_output() after every input. The transport owns liveness (pings, idle timeouts)
 * and the frame-size cap on the wire; it reports an oversized frame by its length alone.
 */
#ifndef APPS_SIGNAL_ROOM_H
#define APPS_SIGNAL_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOM_DEFAULT_MAX_PEERS 16
#define ROOM_MAX_FRAME (256 * 1024) /* bytes: larger frames get a too-large error */
#define ROOM_NAME_MAX 64            /* room names: 1-64 of [A-Za-z0-9_-] */
#define ROOM_DISPLAY_NAME_MAX 64    /* display names: 0-64 code points */
#define ROOM_CODE_MAX 64            /* meeting codes: bytes */
#define ROOM_DEFAULT_TURN_TTL 86400 /* seconds a minted TURN credential stays valid */

/* A room the server is started with (--room NAME:CODE): it always exists and always needs
 * its code. */
typedef struct room_fixed {
    const char *name;
    const char *code;
} room_fixed;

typedef struct room_config {
    size_t max_peers;        /* participants per room; ROOM_DEFAULT_MAX_PEERS */
    size_t max_frame;        /* bytes; ROOM_MAX_FRAME */
    const room_fixed *rooms; /* configured rooms, copied by room_server_new() */
    size_t n_rooms;
    const char *const *ice_urls; /* stun:, stuns:, turn: or turns: URLs, copied */
    size_t n_ice_urls;
    const char *turn_secret; /* NULL: turn: URLs are listed without credentials */
    uint32_t turn_ttl;       /* seconds; ROOM_DEFAULT_TURN_TTL */
} room_config;

typedef enum room_output_kind {
    ROOM_OUT_SEND,  /* send `text` (`len` bytes) as one text frame to `conn` */
    ROOM_OUT_CLOSE, /* close `conn` once the frames queued before this are sent */
    ROOM_OUT_LOG,   /* one line for the server log in `text`, no timestamp, no newline */
} room_output_kind;

typedef struct room_output {
    room_output_kind kind;
    uint64_t conn; /* 0 for ROOM_OUT_LOG */
    char *text;    /* owned by the output: release with room_output_clear() */
    size_t len;
} room_output;

typedef struct room_server room_server;

void room_config_init(room_config *cfg);

/* Creates the room state. Returns 0, or -1 with a one-line reason in `err` for a bad
 * configuration (a room name outside the syntax, an empty code, a duplicated room, an ICE
 * URL with an unknown scheme) or when out of memory. */
int room_server_new(const room_config *cfg, room_server **out, char *err, size_t errlen);
void room_server_free(room_server *rs); /* accepts NULL; drops undrained outputs */

/* A connection opened. Returns 0, or -1 when out of memory (the transport should close it).
 * Ids are the transport's; reusing the id of an open connection is a programmer error. */
int room_on_open(room_server *rs, uint64_t conn);

/* A complete text frame arrived. `data` may be NULL when `len` exceeds the frame limit (the
 * transport did not keep the bytes). `unix_now` is the current Unix time in seconds, used
 * for TURN credential expiry. Frames of unknown or closing connections are ignored. */
void room_on_text(room_server *rs, uint64_t conn, const char *data, size_t len, int64_t unix_now);

/* A binary frame arrived: always a bad-request error (the protocol is text only). */
void room_on_binary(room_server *rs, uint64_t conn, size_t len);

/* The connection is gone (closed by either side or dropped): the participant, if any, leaves
 * its room. Unknown ids are ignored. */
void room_on_close(room_server *rs, uint64_t conn);

/* Takes the oldest pending output. Returns false when there is none. */
bool room_poll_output(room_server *rs, room_output *out);
void room_output_clear(room_output *out);

/* Introspection for tests and logs. */
size_t room_server_room_count(const room_server *rs); /* rooms that exist, configured too */
/* Participants in `room`, or -1 when the server does not know the room. */
long room_server_members(const room_server *rs, const char *room);

/* TURN REST credential (draft-uberti-behave-turn-rest): base64(HMAC-SHA1(secret, username))
 * into `out` (29 bytes suffice). Returns 0, or -1 when `out` is too small or on a crypto
 * failure. */
int room_turn_credential(const char *secret, const char *username, char *out, size_t outlen);

#endif
