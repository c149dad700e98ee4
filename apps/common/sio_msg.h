/*
 * Engine.IO v4 / Socket.IO v5 packets as text WebSocket messages, without I/O: the parser
 * of what a Socket.IO 4 server sends and the encoders of what a client sends
 * (docs/call.md, "Minichat (Socket.IO)"; the Engine.IO and Socket.IO protocol documents).
 *
 * A message is one Engine.IO packet: a type digit then its payload: "0{json}" open,
 * "1" close, "2" ping, "3" pong, "4" message, "5" upgrade, "6" noop. A "4" message carries
 * one Socket.IO packet: a type digit, an optional "/nsp," namespace, an optional ack id
 * (decimal), then optional JSON: "0" connect ({"sid":...}), "1" disconnect, "2" event
 * (an array whose first element is the event name), "3" ack (an array), "4" connect_error.
 *
 * Deliberately not handled: Engine.IO's long-polling payloads (several packets joined by
 * 0x1e) and base64 "b" packets, Socket.IO's binary events and acks ("5", "6": their
 * attachments come as separate binary frames) — they parse as MRTC_ENOTSUP.
 */
#ifndef APPS_COMMON_SIO_MSG_H
#define APPS_COMMON_SIO_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one text message holds. */
typedef enum sio_kind {
    SIO_EIO_OPEN = 0,  /* "0{...}": sid, ping_interval_ms, ping_timeout_ms, max_payload */
    SIO_EIO_CLOSE,     /* "1" */
    SIO_EIO_PING,      /* "2" + optional payload (answer with sio_msg_pong()) */
    SIO_EIO_PONG,      /* "3" + optional payload */
    SIO_EIO_UPGRADE,   /* "5" */
    SIO_EIO_NOOP,      /* "6" */
    SIO_CONNECT,       /* "40{"sid":...}": sid is the socket id */
    SIO_DISCONNECT,    /* "41" */
    SIO_EVENT,         /* "42[...]": event and args */
    SIO_ACK,           /* "43N[...]": ack_id and args */
    SIO_CONNECT_ERROR, /* "44{...}": data (the server's object or string) */
} sio_kind;

#define SIO_SID_MAX 128 /* bytes of a sid, NUL included */
#define SIO_NSP_MAX 128 /* bytes of a namespace, NUL included */

/* One parsed message. The JSON values are owned by it (sio_msg_free()); the payload points
 * into the parsed input. */
typedef struct sio_msg {
    sio_kind kind;
    char sid[SIO_SID_MAX];     /* OPEN: the Engine.IO session id; CONNECT: the socket id */
    uint32_t ping_interval_ms; /* OPEN */
    uint32_t ping_timeout_ms;  /* OPEN */
    uint64_t max_payload;      /* OPEN; 0 when absent */
    char nsp[SIO_NSP_MAX];     /* Socket.IO packets: "/" unless given */
    int64_t ack_id;            /* EVENT / ACK: -1 when absent */
    const char *event;         /* EVENT: the name (a string inside `packet`) */
    json_t *args;              /* EVENT: the arguments after the name (an array, maybe empty);
                                  ACK: the array; CONNECT_ERROR: the data; else NULL */
    const char *payload;       /* PING / PONG: bytes after the type (not NUL-terminated) */
    size_t payload_len;
    json_t *packet; /* the whole parsed JSON, owned (EVENT: name and args) */
} sio_msg;

/* Parses one text message (data need not be NUL-terminated). On success fills *out (free it
 * with sio_msg_free()) and returns 0. Returns MRTC_EPROTO for a malformed message,
 * MRTC_ENOTSUP for a well-formed one this layer does not handle (binary, long-polling
 * payloads, unknown types), MRTC_ENOMEM; then *out holds nothing to free and `why` (may be
 * NULL) a one-line reason. */
int sio_msg_parse(const char *data, size_t len, sio_msg *out, char *why, size_t whylen);

/* Releases what a successful sio_msg_parse() allocated. Accepts a zeroed message. */
void sio_msg_free(sio_msg *m);

/* Encoders: each returns a NUL-terminated message allocated with mem_alloc() (the caller
 * mem_free()s it) and its length in *len, or NULL when out of memory or given bad
 * arguments. */

/* "40": connect to the default namespace. */
char *sio_msg_connect(size_t *len);

/* "3" + the ping's payload (payload_len bytes, may be 0). */
char *sio_msg_pong(const char *payload, size_t payload_len, size_t *len);

/* "42[\"event\",args...]" on the default namespace: `args` (borrowed, may be NULL for none)
 * must be an array; its elements follow the name. */
char *sio_msg_event(const char *event, const json_t *args, size_t *len);

#endif
