/*
 * mrtc_srtp: SRTP and SRTCP protection (RFC 3711, AEAD AES-GCM of RFC 7714) for one
 * DTLS-SRTP association (RFC 5764), through libsrtp2.
 *
 * One mrtc_srtp holds two libsrtp sessions: an outbound one keyed with this side's key and
 * salt and an inbound one keyed with the peer's (RFC 5764 section 4.2: the DTLS client
 * sends with the client write key). Both use wildcard SSRCs (ssrc_any_outbound,
 * ssrc_any_inbound), so every SSRC of the association shares the keys and libsrtp creates
 * a stream (with its own rollover counter and replay window) per SSRC on first use.
 *
 * Replay protection is on: inbound SRTP uses libsrtp's default window of 128 packets
 * (window_size 0), SRTCP its fixed 128-entry window. Outbound, a sequence number that was
 * already protected is refused (allow_repeat_tx off: re-encrypting an index with another
 * payload would reuse keystream); to retransmit without RTX, resend the protected bytes.
 *
 * Process-wide: srtp_init() runs once, on the first mrtc_srtp_new(), under pthread_once.
 * srtp_shutdown() is never called by meshrtc (libsrtp's global state, its crypto kernel,
 * must outlive every session; it is left for the process exit). An mrtc_srtp is not
 * thread-safe; distinct ones may be used on distinct threads.
 *
 * Memory: the handle comes from the counting allocator; libsrtp allocates its sessions and
 * streams with its own allocator (it has no hook), outside mrtc_alloc_live().
 *
 * Not here: MKI, key lifetimes and re-keying (DTLS-SRTP has none), header extension
 * encryption (RFC 6904), RTP/RTCP parsing beyond what libsrtp checks, the demultiplexing
 * of RTP from RTCP (core/ does that, RFC 5761 section 4).
 */
#ifndef MRTC_RTP_SRTP_H
#define MRTC_RTP_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mrtc_srtp mrtc_srtp;

/* SRTP protection profiles with their IANA DTLS-SRTP values (RFC 5764 section 4.1.2,
 * RFC 7714 section 14.2). The same values as dtls/'s mrtc_srtp_profile; core/ converts
 * (rtp/ and dtls/ do not include each other, so the type has its own name here). */
typedef enum mrtc_srtp_suite {
    MRTC_SRTP_SUITE_AES128_CM_SHA1_80 = 0x0001, /* AES-128 counter mode, HMAC-SHA1 80 bits */
    MRTC_SRTP_SUITE_AEAD_AES_128_GCM = 0x0007,  /* AES-128-GCM, 16-byte tag */
} mrtc_srtp_suite;

/* Master key and salt lengths of each suite, in bytes. */
#define MRTC_SRTP_KEY_LEN 16
#define MRTC_SRTP_CM_SALT_LEN 14  /* AES128_CM_SHA1_80 */
#define MRTC_SRTP_GCM_SALT_LEN 12 /* AEAD_AES_128_GCM */

/* The most bytes protection adds to a packet of either suite (SRTCP with GCM: a 16-byte
 * tag and the 4-byte E flag + index); a buffer with this much room beyond the packet is
 * always large enough. */
#define MRTC_SRTP_MAX_OVERHEAD 20

/* Counters since mrtc_srtp_new(). */
typedef struct mrtc_srtp_stats {
    uint64_t rtp_protected;    /* SRTP packets produced */
    uint64_t rtp_unprotected;  /* SRTP packets verified and decrypted */
    uint64_t rtcp_protected;   /* SRTCP packets produced */
    uint64_t rtcp_unprotected; /* SRTCP packets verified and decrypted */
    uint64_t auth_failures;    /* inbound packets whose tag did not verify */
    uint64_t replays;          /* inbound packets refused as replayed or too old */
    uint64_t malformed;        /* inbound packets libsrtp could not parse */
} mrtc_srtp_stats;

/* Length of the keying material of a suite exported by DTLS-SRTP (RFC 5764 section 4.2):
 * 2 * (key + salt), 60 for AES128_CM_SHA1_80 and 56 for AEAD_AES_128_GCM; 0 for a value
 * that is not a supported suite. */
size_t mrtc_srtp_keying_material_len(mrtc_srtp_suite suite);

/* The protection overhead of a suite in bytes: what protect_rtp (rtcp false) or
 * protect_rtcp (rtcp true) appends. 0 for an unknown suite. */
size_t mrtc_srtp_overhead(mrtc_srtp_suite suite, bool rtcp);

/* Creates the outbound and inbound sessions of one association. `km` is the exported
 * keying material, client key | server key | client salt | server salt, `len` bytes
 * (borrowed; copied into libsrtp, the stack copy is wiped). `is_client`: this side was the
 * DTLS client, so it sends with the client key and salt and receives with the server's.
 * Returns 0 and *out, or MRTC_EINVAL (NULL argument, unknown suite, len not the suite's),
 * MRTC_ENOMEM, MRTC_EIO (libsrtp failed to initialise or to create a session). *out is
 * left NULL on failure. */
int mrtc_srtp_new(mrtc_srtp_suite suite, const uint8_t *km, size_t len, bool is_client,
                  mrtc_srtp **out);

/* Frees both sessions and the handle. Accepts NULL. */
void mrtc_srtp_free(mrtc_srtp *s);

mrtc_srtp_suite mrtc_srtp_get_suite(const mrtc_srtp *s);

/* Protects the RTP packet buf[0..*len) in place: encrypts the payload and appends the tag
 * (mrtc_srtp_overhead(suite, false) bytes), updating *len. `cap` is buf's capacity.
 * Returns 0, MRTC_ENOBUFS (the tag does not fit in cap; nothing changed), MRTC_EINVAL
 * (NULL argument, a packet shorter than the RTP header its first byte declares, or a
 * length past INT_MAX), MRTC_ESTATE (this SSRC's sequence number was already protected,
 * or is older than the replay window; nothing changed), MRTC_EIO (any other libsrtp
 * failure). */
int mrtc_srtp_protect_rtp(mrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap);

/* The same for an RTCP compound packet: encrypts it after the first 8 bytes and appends
 * the E flag and SRTCP index (4 bytes) and the tag (RFC 3711 section 3.4). The SRTCP
 * index is the session's own counter. Same returns as mrtc_srtp_protect_rtp(). */
int mrtc_srtp_protect_rtcp(mrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap);

/* Verifies and decrypts the SRTP packet buf[0..*len) (from the network) in place; on
 * success *len is the RTP packet's length. Returns 0, MRTC_EAUTH (the tag did not verify,
 * or the packet is a replay or older than the window), MRTC_EPROTO (malformed: too short,
 * a header longer than the packet, or anything else libsrtp refuses), MRTC_EINVAL (NULL
 * argument). On failure *len and the session (its rollover counter and replay window) are
 * unchanged and the failure is counted in the stats; the bytes of buf may have been
 * overwritten (with AES-GCM libsrtp decrypts in place before the tag check), so the
 * caller drops the packet. */
int mrtc_srtp_unprotect_rtp(mrtc_srtp *s, uint8_t *buf, size_t *len);

/* The same for an SRTCP packet. Same returns as mrtc_srtp_unprotect_rtp(). */
int mrtc_srtp_unprotect_rtcp(mrtc_srtp *s, uint8_t *buf, size_t *len);

/* Copies the counters into *out. */
void mrtc_srtp_get_stats(const mrtc_srtp *s, mrtc_srtp_stats *out);

#endif
