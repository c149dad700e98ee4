/*
 * mrtc_datachannel: a browser's RTCDataChannel in C (W3C webrtc-pc section 6.2, RFC 8831
 * and RFC 8832), carried by the PeerConnection's SCTP association over DTLS.
 *
 * Threads: like the PeerConnection, a channel is used on its runtime's loop thread only,
 * and its callbacks run there, never from inside an API call.
 *
 * Ownership: a channel belongs to its PeerConnection. The pointer is valid from its
 * creation (mrtc_pc_create_datachannel(), or the PeerConnection's `datachannel` callback
 * for a channel the peer opened) until the channel's `close` callback has returned; the
 * library frees it right after. A channel that never reaches "closed" through its own
 * lifecycle (the PeerConnection is closed first) is freed with the PeerConnection, after
 * the PeerConnection's close_cb returns, without further channel callbacks. The
 * application never frees a channel. Data passed to the callbacks is valid for the call
 * only; data passed to the functions is copied.
 */
#ifndef MESHRTC_DATACHANNEL_H
#define MESHRTC_DATACHANNEL_H

#include "meshrtc/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mrtc_pc mrtc_pc;
typedef struct mrtc_datachannel mrtc_datachannel;

#define MRTC_DATACHANNEL_STATE_MAP(X)                                                              \
    X(CONNECTING, "connecting")                                                                    \
    X(OPEN, "open")                                                                                \
    X(CLOSING, "closing")                                                                          \
    X(CLOSED, "closed")

/* RTCDataChannelState. */
typedef enum mrtc_datachannel_state {
#define MRTC_DC_STATE_ENUM_(name, str) MRTC_DATACHANNEL_##name,
    MRTC_DATACHANNEL_STATE_MAP(MRTC_DC_STATE_ENUM_)
#undef MRTC_DC_STATE_ENUM_
} mrtc_datachannel_state;

/* "open"; static, "?" out of range. */
MRTC_EXPORT const char *mrtc_datachannel_state_name(mrtc_datachannel_state s);

/* RTCDataChannelInit. Start from mrtc_datachannel_init_defaults(). */
typedef struct mrtc_datachannel_init {
    bool ordered;                /* default true */
    int32_t max_packet_lifetime; /* milliseconds, -1 (default) for none; 0..65535 */
    int32_t max_retransmits;     /* -1 (default) for none; 0..65535. Not both. */
    const char *protocol;        /* NULL or "" for none; at most 65535 bytes */
    bool negotiated;             /* default false: opened in-band with DCEP */
    int32_t id;                  /* -1 (default): chosen by the library; 0..65534 */
} mrtc_datachannel_init;

MRTC_EXPORT void mrtc_datachannel_init_defaults(mrtc_datachannel_init *init);

/* Callbacks; every member may be NULL. */
typedef struct mrtc_datachannel_callbacks {
    /* readyState became "open". */
    void (*open)(mrtc_datachannel *dc, void *user);
    /* One whole message; binary tells text (UTF-8, not NUL-terminated) from binary. data
     * is NULL when len is 0. Valid for the call only. */
    void (*message)(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                    void *user);
    /* bufferedAmount fell from above the low threshold to at or below it. */
    void (*buffered_amount_low)(mrtc_datachannel *dc, void *user);
    /* An error on the channel (W3C RTCErrorEvent: e.g. "sctp-failure", the peer's data
     * exceeding our max-message-size, a malformed DCEP message). code is an MRTC_E* value;
     * `message` is valid for the call only. A close follows when the channel cannot go on. */
    void (*error)(mrtc_datachannel *dc, int code, const char *message, void *user);
    /* readyState became "closing" because the peer started closing (W3C: not fired for
     * this side's own mrtc_datachannel_close(), which sets "closing" at once). */
    void (*closing)(mrtc_datachannel *dc, void *user);
    /* readyState became "closed". The channel is freed when this returns. */
    void (*close)(mrtc_datachannel *dc, void *user);
} mrtc_datachannel_callbacks;

/* createDataChannel(): a new channel labelled `label` (UTF-8, NULL means "", at most 65535
 * bytes). If the PeerConnection has no data m-section in its descriptions yet, this makes
 * negotiation needed (the next offer carries one). The channel starts "connecting" and
 * opens when the SCTP association is up (and, not negotiated, the peer acknowledged it).
 * With id -1 the id is chosen when the SCTP association connects (even for the DTLS client, odd
 * for the server); mrtc_datachannel_id() returns -1 until then. init may be NULL.
 * Returns 0 and *out, or: MRTC_ECLOSED (PeerConnection closed), MRTC_EINVAL (both
 * lifetime and retransmits, a value out of range, negotiated without an id, label or
 * protocol too long), MRTC_EEXIST (that id is taken), MRTC_ERANGE (no id left),
 * MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_pc_create_datachannel(mrtc_pc *pc, const char *label,
                                           const mrtc_datachannel_init *init,
                                           mrtc_datachannel **out);

/* Sets the callbacks and their `user` pointer (copied). For a channel the peer opened, set
 * them from the PeerConnection's `datachannel` callback: the channel's open event, and
 * anything after it, is delivered after that callback returns. */
MRTC_EXPORT void mrtc_datachannel_set_callbacks(mrtc_datachannel *dc,
                                                const mrtc_datachannel_callbacks *cbs,
                                                void *user);
MRTC_EXPORT void *mrtc_datachannel_user(const mrtc_datachannel *dc);
/* The PeerConnection the channel belongs to. */
MRTC_EXPORT mrtc_pc *mrtc_datachannel_pc(const mrtc_datachannel *dc);

/* send(): queues one message. binary false sends a string (the bytes should be UTF-8).
 * len 0 sends an empty message. Returns 0, or (nothing is queued): MRTC_ESTATE (not
 * "open": the W3C InvalidStateError), MRTC_ETOOBIG (len exceeds the SCTP transport's
 * maxMessageSize, a TypeError in browsers), MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_datachannel_send(mrtc_datachannel *dc, const void *data, size_t len,
                                      bool binary);
/* A NUL-terminated string as a text message. */
MRTC_EXPORT int mrtc_datachannel_send_text(mrtc_datachannel *dc, const char *text);

/* close(): "closing" now, then "closed" (with the close callback, from the loop) once the
 * stream is reset on both sides (queued messages are sent first), or at once from the loop
 * for a channel that never opened. A no-op when already closing or closed. */
MRTC_EXPORT void mrtc_datachannel_close(mrtc_datachannel *dc);

/* Attributes. Strings are valid as long as the channel. */
MRTC_EXPORT const char *mrtc_datachannel_label(const mrtc_datachannel *dc);
MRTC_EXPORT const char *mrtc_datachannel_protocol(const mrtc_datachannel *dc);
MRTC_EXPORT int32_t mrtc_datachannel_id(const mrtc_datachannel *dc); /* -1: not yet */
MRTC_EXPORT bool mrtc_datachannel_ordered(const mrtc_datachannel *dc);
MRTC_EXPORT int32_t mrtc_datachannel_max_packet_lifetime(const mrtc_datachannel *dc); /* -1 */
MRTC_EXPORT int32_t mrtc_datachannel_max_retransmits(const mrtc_datachannel *dc);     /* -1 */
MRTC_EXPORT bool mrtc_datachannel_negotiated(const mrtc_datachannel *dc);
MRTC_EXPORT mrtc_datachannel_state mrtc_datachannel_ready_state(const mrtc_datachannel *dc);
/* bufferedAmount (W3C): grows by each message's size inside mrtc_datachannel_send(), and
 * falls to the bytes the SCTP stack has not taken yet (its send buffer is 1 MiB) in a later
 * task, from the loop; buffered_amount_low fires there when it fell from above the
 * threshold to at or below it. */
MRTC_EXPORT size_t mrtc_datachannel_buffered_amount(const mrtc_datachannel *dc);
MRTC_EXPORT size_t mrtc_datachannel_buffered_amount_low_threshold(const mrtc_datachannel *dc);
MRTC_EXPORT void mrtc_datachannel_set_buffered_amount_low_threshold(mrtc_datachannel *dc,
                                                                    size_t threshold);

/* Per-channel counters (RTCDataChannelStats). */
typedef struct mrtc_datachannel_stats {
    uint64_t messages_sent, messages_received;
    uint64_t bytes_sent, bytes_received;
} mrtc_datachannel_stats;

MRTC_EXPORT void mrtc_datachannel_get_stats(const mrtc_datachannel *dc,
                                            mrtc_datachannel_stats *out);

#ifdef __cplusplus
}
#endif

#endif
