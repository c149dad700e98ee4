/*
 * mrtc_dtls: one DTLS 1.2 endpoint (RFC 6347) for DTLS-SRTP (RFC 5764) and data channels
 * (RFC 8261), sans-IO: OpenSSL runs over a BIO that holds datagrams in memory, so no
 * socket and no clock are touched here.
 *
 * Shape (STYLE.md): datagrams in with mrtc_dtls_handle_packet(), datagrams out with
 * mrtc_dtls_poll_transmit(), state changes and received application data out with
 * mrtc_dtls_poll_event(), timers through mrtc_dtls_next_timeout() / handle_timeout().
 *
 * Time: OpenSSL's DTLS retransmission timer reads the wall clock on its own. This module
 * takes that timer over: it keeps its own retransmission deadline on the `now` the caller
 * passes (initial_rto, doubled per retransmission up to max_rto, failed after
 * max_retransmits); OpenSSL's own timer is set far out (DTLS_set_timer_cb) and expired
 * exactly when this module asks it to retransmit (dtls.c says how). So handshakes run on a
 * virtual clock in tests. That needs OpenSSL 3.0 or 3.1 (Debian 12's); with 3.2 or later,
 * detected at run time, retransmissions follow the wall clock instead (see dtls.c).
 *
 * Memory: endpoints with the same key and certificate share one SSL_CTX. An established
 * endpoint holds about 57 KB inside OpenSSL 3.0 (its handshake buffer and read buffer are
 * kept for the connection's life by OpenSSL's DTLS code); records are at most one MTU, so
 * the write buffer is small.
 *
 * Identity: the caller's key and certificate (ECDSA P-256 in meshrtc). The peer's
 * certificate is accepted during the handshake (WebRTC certificates are self-signed) and
 * then checked against the fingerprint from the remote description (RFC 8122): on a
 * mismatch the transport fails and no application data passes in either direction. The
 * fingerprint may be given before, during or after the handshake; application data waits
 * for it (events and mrtc_dtls_send() report "connected" only once it matched).
 *
 * use_srtp (RFC 5764 section 4.1.2): SRTP_AEAD_AES_128_GCM and SRTP_AES128_CM_SHA1_80 are
 * offered/accepted, in that preference order; the keying material is exported with
 * mrtc_dtls_export_srtp_keys().
 *
 * Not here: the choice of role (core/ reads a=setup), certificates' generation
 * (core/cert.c), writing the key log file (the caller gets the lines through a callback),
 * DTLS 1.3, cookie exchange (HelloVerifyRequest is not used by WebRTC endpoints).
 */
#ifndef MRTC_DTLS_DTLS_H
#define MRTC_DTLS_DTLS_H

#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mrtc_dtls mrtc_dtls;

typedef enum mrtc_dtls_role {
    MRTC_DTLS_ROLE_CLIENT = 0, /* a=setup:active: sends the ClientHello */
    MRTC_DTLS_ROLE_SERVER,     /* a=setup:passive */
} mrtc_dtls_role;

/* The RTCDtlsTransportState values (same order as mrtc_dtls_transport_state in
 * include/meshrtc/states.h, which core/ maps to). */
typedef enum mrtc_dtls_state {
    MRTC_DTLS_STATE_NEW = 0,    /* created, handshake not started */
    MRTC_DTLS_STATE_CONNECTING, /* handshake in progress, or done and fingerprint pending */
    MRTC_DTLS_STATE_CONNECTED,  /* handshake done and fingerprint verified */
    MRTC_DTLS_STATE_CLOSED,     /* close_notify sent or received */
    MRTC_DTLS_STATE_FAILED,     /* handshake failed, fatal alert, fingerprint mismatch,
                                   retransmissions exhausted */
} mrtc_dtls_state;

const char *mrtc_dtls_state_name(mrtc_dtls_state s); /* "connected"; static */

/* DTLS-SRTP protection profiles, with their IANA values (RFC 5764, RFC 7714). */
typedef enum mrtc_srtp_profile {
    MRTC_SRTP_PROFILE_NONE = 0,
    MRTC_SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
    MRTC_SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
} mrtc_srtp_profile;

/* Receives one NSS key log line (no newline), e.g. "CLIENT_RANDOM <hex> <hex>". */
typedef void (*mrtc_dtls_keylog_fn)(void *arg, const char *line);

typedef struct mrtc_dtls_config {
    void *pkey; /* EVP_PKEY *, borrowed for the call (up-referenced by mrtc_dtls_new) */
    void *x509; /* X509 *, likewise; must match pkey */
    mrtc_dtls_role role;
    /* Largest datagram to produce (the DTLS record layer's MTU), bytes. Default 1200. */
    size_t mtu;
    /* Handshake retransmission timer (RFC 6347 section 4.2.4.1): initial value, ceiling,
     * and the number of retransmissions of one flight before the handshake fails (at most
     * 12, OpenSSL's own limit; larger values count as 12). Defaults: 1 s, 60 s, 8. */
    mrtc_time initial_rto;
    mrtc_time max_rto;
    unsigned max_retransmits;
    /* Optional: called with each key log line while the handshake runs. */
    mrtc_dtls_keylog_fn keylog;
    void *keylog_arg;
} mrtc_dtls_config;

/* Fills cfg with the defaults (no key or certificate: the caller must set them). */
void mrtc_dtls_config_init(mrtc_dtls_config *cfg);

/* Creates an endpoint in state "new". Returns 0 and *out, MRTC_EINVAL (no key or
 * certificate, or they do not match, mtu < 256 or > 65535, initial_rto 0 or above
 * max_rto), MRTC_ENOMEM or MRTC_EIO (OpenSSL failed). */
int mrtc_dtls_new(const mrtc_dtls_config *cfg, mrtc_dtls **out);
/* Frees without sending anything (accepts NULL). */
void mrtc_dtls_free(mrtc_dtls *d);

/* The expected fingerprint of the peer's certificate, as a=fingerprint carries it:
 * algorithm "sha-1", "sha-224", "sha-256", "sha-384" or "sha-512" (any case) and the
 * colon-separated hex bytes (any case). May be called at any time, also again (a new
 * remote description); a change after the transport connected fails it if the peer's
 * certificate does not match the new value. Returns 0, MRTC_EINVAL (unknown algorithm or
 * malformed value; nothing changes) or MRTC_ESTATE (closed or failed). */
int mrtc_dtls_set_remote_fingerprint(mrtc_dtls *d, mrtc_time now, const char *algorithm,
                                     const char *fingerprint);

/* Whether a fingerprint would be accepted by mrtc_dtls_set_remote_fingerprint(): a known
 * algorithm and exactly its number of hex pairs. For checking a remote description before
 * it is applied. */
bool mrtc_dtls_fingerprint_usable(const char *algorithm, const char *fingerprint);

/* Starts the handshake: a client queues its ClientHello; a server waits for one. The
 * state becomes "connecting". Returns 0 or MRTC_ESTATE (not "new"). */
int mrtc_dtls_start(mrtc_dtls *d, mrtc_time now);

/* One received DTLS datagram (first byte 20..63). A server that was not started yet starts
 * on it. Returns 0, or MRTC_EPROTO when the datagram was not usable (dropped and counted:
 * not a sequence of whole DTLS 1.x records, or an unprotected epoch-0 record that is
 * malformed; a record that fails authentication or is a replay is dropped silently as RFC
 * 6347 section 4.1.2.7 says and counted, a fatal alert or handshake failure fails the
 * transport and also returns 0), MRTC_ESTATE when closed or failed, or when a client was
 * not started yet (dropped). */
int mrtc_dtls_handle_packet(mrtc_dtls *d, mrtc_time now, const uint8_t *data, size_t len);

/* Encrypts one application data record (an SCTP packet). Returns 0, MRTC_EINVAL (len 0),
 * MRTC_ESTATE (not connected), MRTC_ETOOBIG (len exceeds the record limit of 16384 or the
 * MTU allows less), MRTC_EAGAIN (256 datagrams wait in the transmit queue: drain it with
 * mrtc_dtls_poll_transmit), MRTC_ENOMEM. */
int mrtc_dtls_send(mrtc_dtls *d, mrtc_time now, const uint8_t *data, size_t len);

/* Sends close_notify (if the handshake had completed: OpenSSL sends no alert in the middle
 * of a handshake) and goes to "closed". No-op when already closed or failed. */
void mrtc_dtls_close(mrtc_dtls *d, mrtc_time now);

void mrtc_dtls_handle_timeout(mrtc_dtls *d, mrtc_time now);
/* The next retransmission deadline, or MRTC_TIME_NEVER. */
mrtc_time mrtc_dtls_next_timeout(const mrtc_dtls *d);

/* Copies the next datagram to send into buf[0..cap) and sets *len. Returns false when
 * there is none. A datagram longer than cap is dropped (and counted). */
bool mrtc_dtls_poll_transmit(mrtc_dtls *d, uint8_t *buf, size_t cap, size_t *len);

typedef enum mrtc_dtls_event_type {
    MRTC_DTLS_EVENT_STATE = 1, /* .state */
    MRTC_DTLS_EVENT_DATA,      /* .data/.len: one received application data record */
} mrtc_dtls_event_type;

typedef struct mrtc_dtls_event {
    mrtc_dtls_event_type type;
    mrtc_dtls_state state;
    const uint8_t *data; /* valid until the next call on d */
    size_t len;
} mrtc_dtls_event;

/* The next event, in order. Returns false when there is none. */
bool mrtc_dtls_poll_event(mrtc_dtls *d, mrtc_dtls_event *out);

mrtc_dtls_state mrtc_dtls_get_state(const mrtc_dtls *d);
mrtc_dtls_role mrtc_dtls_get_role(const mrtc_dtls *d);
/* Why the transport failed ("fingerprint mismatch", "handshake timed out", "alert
 * received: handshake failure"), or "". */
const char *mrtc_dtls_failure(const mrtc_dtls *d);

/* The negotiated SRTP profile once connected, else MRTC_SRTP_PROFILE_NONE. */
mrtc_srtp_profile mrtc_dtls_srtp_profile(const mrtc_dtls *d);

/* The DTLS-SRTP keying material (RFC 5764 section 4.2, label "EXTRACTOR-dtls_srtp"):
 * client key, server key, client salt, server salt, len bytes in all (the profile says how
 * long: 2*16+2*14 = 60 for AES128_CM_SHA1_80, 2*16+2*12 = 56 for AEAD_AES_128_GCM).
 * Returns 0, MRTC_ESTATE (not connected or no profile), MRTC_EINVAL (len is not the
 * profile's), MRTC_EIO. */
int mrtc_dtls_export_srtp_keys(const mrtc_dtls *d, uint8_t *out, size_t len);

/* The SHA-256 fingerprint of the peer's certificate once it was seen (same format as
 * core/cert.c produces), else "". */
const char *mrtc_dtls_peer_fingerprint(const mrtc_dtls *d);

typedef struct mrtc_dtls_stats {
    uint64_t datagrams_sent, datagrams_received;
    uint64_t bytes_sent, bytes_received; /* datagram bytes */
    uint64_t retransmissions;            /* handshake flights retransmitted */
    uint64_t dropped; /* datagrams not usable, records not decrypted, outgoing datagrams
                         lost (queue full, out of memory, longer than poll_transmit's cap) */
} mrtc_dtls_stats;

void mrtc_dtls_get_stats(const mrtc_dtls *d, mrtc_dtls_stats *out);

#endif
