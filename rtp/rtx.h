/*
 * Retransmission for one RTP sender: a bounded history of the plaintext RTP packets it sent
 * (before SRTP), used to answer generic NACKs (RFC 4585 section 6.2.1) with RTX packets
 * (RFC 4588 section 4), and the receiver-side unwrapping of an RTX packet back into the
 * original packet (RFC 4588 section 4, "OSN").
 *
 * Sans-IO: time is a parameter, output goes to caller buffers. The history owns copies of
 * the packets it holds, bounded by count, bytes and age (mrtc_rtx_history_config).
 */
#ifndef MRTC_RTP_RTX_H
#define MRTC_RTP_RTX_H

#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_RTX_DEFAULT_MAX_PACKETS 600
#define MRTC_RTX_DEFAULT_MAX_AGE MRTC_SEC(1)
#define MRTC_RTX_DEFAULT_MAX_BYTES (1024 * 1024)
#define MRTC_RTX_MAX_PACKETS 32768 /* half the sequence space: lookups stay unambiguous */
#define MRTC_RTX_OSN_LEN 2         /* the original sequence number before the RTX payload */

/* Bounds of the history. A packet leaves it when any bound would be exceeded (oldest first)
 * or when it is older than max_age. */
typedef struct mrtc_rtx_history_config {
    size_t max_packets; /* 1..MRTC_RTX_MAX_PACKETS, default 600 */
    mrtc_time max_age;  /* > 0, default 1 s */
    size_t max_bytes;   /* > 0, stored packet bytes, default 1 MiB */
} mrtc_rtx_history_config;

/* Fills cfg with the defaults above. */
void mrtc_rtx_history_config_init(mrtc_rtx_history_config *cfg);

typedef struct mrtc_rtx_history mrtc_rtx_history;

/* Counters since creation. */
typedef struct mrtc_rtx_stats {
    uint64_t stored;       /* packets accepted by mrtc_rtx_history_put */
    uint64_t resent;       /* RTX packets built */
    uint64_t resent_bytes; /* their total length, RTX header included */
    uint64_t not_found;    /* requests for a packet not (or no longer) in the history */
    uint64_t throttled;    /* requests refused with MRTC_EAGAIN */
} mrtc_rtx_stats;

/* Creates a history (cfg NULL: defaults) into *out, owned by the caller and released with
 * mrtc_rtx_history_free. Returns 0, MRTC_EINVAL (NULL out, or a config out of range) or
 * MRTC_ENOMEM; *out is NULL on failure. */
int mrtc_rtx_history_new(const mrtc_rtx_history_config *cfg, mrtc_rtx_history **out);

/* Frees the history and every packet it holds. Accepts NULL. */
void mrtc_rtx_history_free(mrtc_rtx_history *h);

/* Stores a copy of a sent RTP packet (the full plaintext packet, borrowed for the call) at
 * time now. First drops packets older than max_age, then the oldest ones until the new one
 * fits the count and byte bounds. A packet with the sequence number of one already held
 * replaces it. Returns 0, MRTC_EINVAL (NULL arguments), MRTC_EPROTO (not a valid RTP packet,
 * see mrtc_rtp_parse), MRTC_ETOOBIG (longer than max_bytes) or MRTC_ENOMEM (the history is
 * left as it was, minus expired packets). */
int mrtc_rtx_history_put(mrtc_rtx_history *h, mrtc_time now, const uint8_t *pkt, size_t len);

/* Drops the packets older than max_age at time now, releasing their memory. */
void mrtc_rtx_history_expire(mrtc_rtx_history *h, mrtc_time now);

/* Builds the RTX packet answering a NACK for seq into out (capacity cap): the stored
 * packet's header with PT=rtx_pt, SSRC=rtx_ssrc and sequence number *rtx_seq (then
 * incremented), marker, timestamp, CSRCs and header extension copied byte for byte (the
 * caller may rewrite extensions), padding dropped; the payload is the 2-byte original
 * sequence number followed by the original payload. A packet is resent at most once per
 * min_interval (pass the RTT; 0 disables the limit). Returns the length written,
 * MRTC_ENOTFOUND (not in the history, or older than max_age), MRTC_EAGAIN (resent less than
 * min_interval ago), MRTC_ENOBUFS (cap too small), MRTC_EINVAL (NULL arguments,
 * rtx_pt > 127). *rtx_seq and the resend time change only on success. */
int mrtc_rtx_history_build_rtx(mrtc_rtx_history *h, mrtc_time now, uint16_t seq, uint8_t rtx_pt,
                               uint32_t rtx_ssrc, uint16_t *rtx_seq, mrtc_time min_interval,
                               uint8_t *out, size_t cap);

/* Number of packets held and their total bytes (either pointer may be NULL). */
void mrtc_rtx_history_size(const mrtc_rtx_history *h, size_t *packets, size_t *bytes);

/* Copies the counters into out. */
void mrtc_rtx_history_get_stats(const mrtc_rtx_history *h, mrtc_rtx_stats *out);

/* Receiver side: rebuilds the original packet from an RTX packet (rtx_pkt, len, borrowed)
 * into out (capacity cap): PT=apt, SSRC=media_ssrc, sequence number = the OSN, payload =
 * what follows the OSN; marker, timestamp, CSRCs and header extension are kept, the RTX
 * packet's padding is dropped. out may be rtx_pkt itself (in-place unwrapping: the result is
 * 2 bytes shorter, or more with padding). Returns the rebuilt length, MRTC_EPROTO (not a valid RTP
 * packet, or a payload shorter than the 2-byte OSN, such as a padding-only probe),
 * MRTC_ENOBUFS (cap too small) or MRTC_EINVAL (NULL arguments, apt > 127). */
int mrtc_rtx_unwrap(const uint8_t *rtx_pkt, size_t len, uint8_t apt, uint32_t media_ssrc,
                    uint8_t *out, size_t cap);

#endif
