/*
 * mrtc_sctp: one SCTP association over DTLS (RFC 8261) carrying WebRTC data channels
 * (RFC 8831) opened with DCEP (RFC 8832, sctp/dcep.h), sans-IO in shape.
 *
 * usrsctp does the SCTP. It runs without its threads (usrsctp_init_nothreads) with AF_CONN
 * sockets: packets to send come out of usrsctp's output callback into this association's
 * queue (mrtc_sctp_poll_transmit), received packets go in with usrsctp_conninput, and its
 * timers advance with usrsctp_handle_timers from the `now` values callers pass.
 *
 * usrsctp's state is process-global, and sctp/ owns it:
 *   - mrtc_sctp_new() initialises usrsctp on first use; it stays initialised (starting it
 *     costs ~0.3 ms) until the process exits; a process-wide mutex serialises every usrsctp
 *     call, so associations on
 *     different loops (threads) are safe;
 *   - the usrsctp clock is one for the process: each call advances it by the time elapsed
 *     since the latest `now` seen by any association (never backwards: a `now` earlier than
 *     the latest, e.g. a new virtual clock in the next test, only re-bases it);
 *   - a usrsctp timer may fire for an association while another one is being driven; its
 *     packets then wait in their own association's queue, and that association's
 *     mrtc_sctp_next_timeout() returns 0 ("now") until they are polled. So a host must
 *     re-read every association's deadline after driving any of them (core's runtime does
 *     after each timer run, the virtual host after each step; so such packets wait at most
 *     until the next tick).
 *   - usrsctp reads the wall clock itself (libc's time-of-day call: RTT samples, cookie dates,
 *     PR-SCTP lifetimes), not `now`; its timers still run on `now`. With real time both
 *     agree. Under a virtual clock that runs ahead of the wall clock, RTTs measure ~0 (RTOs
 *     sit at RTO.Min: this module sets RTO.Min 200 ms, RTO.Initial 1 s, as browsers' usrsctp
 *     builds do), MRTC_SCTP_MAX_LIFETIME messages never expire, and, worse, a T3
 *     retransmission timeout only resends chunks sent at least one RTO ago *by the wall
 *     clock*, so loss recovery by timeout stalls (fast retransmit still works). A test or
 *     simulator with loss on a virtual clock must therefore make that call return its
 *     virtual clock (tests/unit/test_sctp.c defines it in the test program, which
 *     interposes on libc's definition for libusrsctp as well).
 *
 * Data channels: a channel is a stream id (sid). This module allocates sids (even for the
 * DTLS client, odd for the DTLS server: RFC 8832 section 6), sends DCEP OPEN and answers it
 * with ACK, applies the channel's reliability to every message (ordered or unordered;
 * reliable, max retransmits or max packet lifetime through usrsctp's PR-SCTP policies),
 * sends messages ordered until the ACK arrives (RFC 8832 section 6), maps text/binary and
 * empty messages to their PPIDs (51/53, 56/57; the deprecated partial PPIDs 52/54 are
 * reassembled), reassembles messages usrsctp delivers in pieces, keeps per channel a queue
 * of messages usrsctp has not accepted yet (the bufferedAmount), and closes a channel by
 * resetting its outgoing stream (RFC 8831 section 6.7) once that queue is empty.
 *
 * Not here: the public data channel objects and callbacks (core/pc_dc.c), the SDP
 * attributes (core reads a=sctp-port and a=max-message-size and passes them in).
 */
#ifndef MRTC_SCTP_SCTP_H
#define MRTC_SCTP_SCTP_H

#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mrtc_sctp mrtc_sctp;

#define MRTC_SCTP_DEFAULT_PORT 5000
/* What meshrtc accepts and announces in a=max-message-size. */
#define MRTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE (256u * 1024u)
/* RFC 8841 section 6.1: a=max-message-size absent means 64 KiB. */
#define MRTC_SCTP_SDP_DEFAULT_MAX_MESSAGE_SIZE 65536u
/* Stream ids 0..65534 (65535 is reserved). */
#define MRTC_SCTP_MAX_SID 65534u

typedef enum mrtc_sctp_state {
    MRTC_SCTP_STATE_NEW = 0,    /* created, not started */
    MRTC_SCTP_STATE_CONNECTING, /* INIT sent or expected */
    MRTC_SCTP_STATE_CONNECTED,  /* association up (SCTP_COMM_UP) */
    MRTC_SCTP_STATE_CLOSED,     /* shut down or aborted, by either side */
} mrtc_sctp_state;

const char *mrtc_sctp_state_name(mrtc_sctp_state s); /* W3C RTCSctpTransportState spellings */

typedef struct mrtc_sctp_config {
    uint16_t local_port;  /* a=sctp-port of the local description; default 5000 */
    uint16_t remote_port; /* a=sctp-port of the remote description; default 5000 */
    bool dtls_client;     /* our DTLS role: client uses even sids, server odd */
    /* Largest message the peer accepts (its a=max-message-size; 0 means no limit: RFC 8841
     * section 6.1). Default 64 KiB (attribute absent). */
    size_t remote_max_message_size;
    /* Largest message we accept (our a=max-message-size). Default 256 KiB. */
    size_t local_max_message_size;
    /* Largest SCTP packet handed to DTLS, bytes. Default 1191 (fits a 1280-byte IPv6 path
     * with UDP and DTLS AES-GCM overhead, as browsers use). */
    size_t mtu;
    /* Streams announced in INIT (OS and MIS). Default 256: usrsctp allocates about 104
     * bytes per stream and direction for the association's life (1024 streams cost
     * 115 KB per association, 256 cost 35 KB), and 256 channels per peer is ample; ids
     * 0..255. */
    uint16_t streams;
    /* Send and receive socket buffers (the receive window), bytes. Default 1 MiB each. */
    size_t sndbuf, rcvbuf;
} mrtc_sctp_config;

void mrtc_sctp_config_init(mrtc_sctp_config *cfg);

/* Creates an association in state "new" (the AF_CONN socket exists, nothing is sent).
 * Returns 0 and *out, MRTC_EINVAL, MRTC_ENOMEM or MRTC_EIO (usrsctp refused). */
int mrtc_sctp_new(const mrtc_sctp_config *cfg, mrtc_time now, mrtc_sctp **out);
/* Aborts the association if it is still up (an ABORT is queued but can no longer be
 * polled) and frees it; accepts NULL. */
void mrtc_sctp_free(mrtc_sctp *s);

/* Starts the association once DTLS is connected: both sides send INIT (SCTP handles the
 * collision, RFC 9260 section 5.2.4). State becomes "connecting". Returns 0, MRTC_ESTATE
 * (not "new") or MRTC_EIO. */
int mrtc_sctp_start(mrtc_sctp *s, mrtc_time now);

/* One SCTP packet (a DTLS application data record). Returns 0, MRTC_EPROTO (malformed:
 * chunk or parameter lengths that do not fit, see sctp/packet.h; dropped and counted) or
 * MRTC_ESTATE (not started or closed: dropped). */
int mrtc_sctp_handle_packet(mrtc_sctp *s, mrtc_time now, const uint8_t *data, size_t len);

void mrtc_sctp_handle_timeout(mrtc_sctp *s, mrtc_time now);
/* 0 when packets or events are waiting to be polled; else the next usrsctp tick while the
 * association is not closed (usrsctp keeps its timers to itself, so this is a 10 ms
 * cadence); MRTC_TIME_NEVER once closed or before start. */
mrtc_time mrtc_sctp_next_timeout(const mrtc_sctp *s);

/* Copies the next SCTP packet into buf[0..cap), sets *len. False when there is none. */
bool mrtc_sctp_poll_transmit(mrtc_sctp *s, uint8_t *buf, size_t cap, size_t *len);

/* Shuts the association down gracefully (SCTP SHUTDOWN, queued data first); state becomes
 * "closed" when done. Channels still open are reported closed. */
void mrtc_sctp_close(mrtc_sctp *s, mrtc_time now);

mrtc_sctp_state mrtc_sctp_get_state(const mrtc_sctp *s);

/* RTCSctpTransport.maxMessageSize: the largest message a channel may send, the remote
 * max-message-size (0 there means no limit), but at most the send buffer (cfg->sndbuf:
 * usrsctp refuses a message larger than its send buffer). */
size_t mrtc_sctp_max_message_size(const mrtc_sctp *s);
/* Streams usable in each direction once connected (min of ours and the peer's), else the
 * configured count. RTCSctpTransport.maxChannels. */
unsigned mrtc_sctp_max_channels(const mrtc_sctp *s);

/* ---- Channels -------------------------------------------------------------------------- */

typedef enum mrtc_sctp_reliability {
    MRTC_SCTP_RELIABLE = 0,
    MRTC_SCTP_MAX_RETRANSMITS, /* param: retransmissions */
    MRTC_SCTP_MAX_LIFETIME,    /* param: milliseconds */
} mrtc_sctp_reliability;

typedef struct mrtc_sctp_channel_params {
    const char *label;    /* UTF-8, may be "" (not NULL) */
    const char *protocol; /* UTF-8, may be "" (not NULL) */
    bool ordered;
    mrtc_sctp_reliability reliability;
    uint32_t reliability_param;
    uint16_t priority; /* DCEP priority; 256 is "normal" (RFC 8832) */
    bool negotiated;   /* pre-negotiated (no DCEP): both sides open the same sid */
} mrtc_sctp_channel_params;

/* Picks an unused sid of our parity below mrtc_sctp_max_channels(). Returns 0 and *sid,
 * MRTC_ESTATE (not connected: the DTLS role and stream count are final only then) or
 * MRTC_ERANGE (none left). */
int mrtc_sctp_alloc_sid(mrtc_sctp *s, uint16_t *sid);

/* Opens a channel on sid (chosen by mrtc_sctp_alloc_sid, or by the application for a
 * negotiated channel; any parity is fine for those). Not negotiated: sends DCEP
 * DATA_CHANNEL_OPEN; the channel is open for sending at once and MRTC_SCTP_EVENT_OPEN
 * follows with the ACK. Negotiated: MRTC_SCTP_EVENT_OPEN follows at once. Strings are
 * copied. Returns 0, MRTC_ESTATE (not connected), MRTC_EEXIST (sid in use), MRTC_ERANGE
 * (sid beyond the negotiated streams), MRTC_EINVAL (label or protocol longer than 65535),
 * MRTC_ENOMEM. */
int mrtc_sctp_open_channel(mrtc_sctp *s, mrtc_time now, uint16_t sid,
                           const mrtc_sctp_channel_params *p);

/* Queues one message on an open channel. binary selects the PPID (53/57 binary, 51/56
 * string); len may be 0 (data may then be NULL). The message is copied. Returns 0,
 * MRTC_ENOTFOUND (no such sid), MRTC_ESTATE (channel closing, association closing or not
 * connected), MRTC_ETOOBIG (len > mrtc_sctp_max_message_size()), MRTC_EINVAL (data NULL
 * with len > 0), MRTC_ENOMEM. Nothing is queued on error. A message usrsctp later refuses
 * for good is dropped with MRTC_SCTP_EVENT_CHANNEL_ERROR. */
int mrtc_sctp_send(mrtc_sctp *s, mrtc_time now, uint16_t sid, bool binary, const void *data,
                   size_t len);

/* Bytes queued on sid and not yet taken by usrsctp (0 for an unknown sid). */
size_t mrtc_sctp_buffered_amount(const mrtc_sctp *s, uint16_t sid);

/* Starts closing sid (RFC 8831 section 6.7): queued messages are sent first, then the
 * outgoing stream is reset; MRTC_SCTP_EVENT_CLOSED follows when the peer has reset its
 * side too. Returns 0, MRTC_ENOTFOUND, or MRTC_ESTATE if already closing. */
int mrtc_sctp_close_channel(mrtc_sctp *s, mrtc_time now, uint16_t sid);

typedef enum mrtc_sctp_event_type {
    MRTC_SCTP_EVENT_STATE = 1,     /* .state: the association's state changed */
    MRTC_SCTP_EVENT_OPEN_REQUEST,  /* .sid, .params: the peer opened a channel with DCEP
                                      (already acknowledged; it is open) */
    MRTC_SCTP_EVENT_OPEN,          /* .sid: our channel is open (ACK received, or
                                      negotiated channel ready) */
    MRTC_SCTP_EVENT_MESSAGE,       /* .sid, .binary, .data, .len: one whole message */
    MRTC_SCTP_EVENT_BUFFERED,      /* .sid, .len: bufferedAmount decreased to .len */
    MRTC_SCTP_EVENT_CLOSING,       /* .sid: the peer reset its outgoing stream first */
    MRTC_SCTP_EVENT_CLOSED,        /* .sid: both directions reset (or association gone);
                                      the sid is free again */
    MRTC_SCTP_EVENT_CHANNEL_ERROR, /* .sid, .text: e.g. a malformed DCEP message, a
                                      message over our max-message-size (dropped) */
} mrtc_sctp_event_type;

typedef struct mrtc_sctp_event {
    mrtc_sctp_event_type type;
    mrtc_sctp_state state;
    uint16_t sid;
    bool binary;
    const uint8_t *data; /* MESSAGE: valid until the next mrtc_sctp_poll_event() or
                            mrtc_sctp_free() on s (NULL when len 0) */
    size_t len;
    mrtc_sctp_channel_params params; /* OPEN_REQUEST: strings valid as long as .data; a
                                        label or protocol with a NUL byte is cut there */
    const char *text;                /* CHANNEL_ERROR: static or valid until next call */
} mrtc_sctp_event;

bool mrtc_sctp_poll_event(mrtc_sctp *s, mrtc_sctp_event *out);

typedef struct mrtc_sctp_stats {
    uint64_t packets_sent, packets_received;
    uint64_t messages_sent, messages_received;
    uint64_t bytes_sent, bytes_received; /* message payload bytes */
    uint64_t dropped;                    /* malformed DCEP, oversize messages */
} mrtc_sctp_stats;

void mrtc_sctp_get_stats(const mrtc_sctp *s, mrtc_sctp_stats *out);

#endif
