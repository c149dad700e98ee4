/*
 * DCEP, the WebRTC Data Channel Establishment Protocol (RFC 8832): the codec of its two
 * messages, carried on a channel's own stream with PPID 50.
 *
 *   DATA_CHANNEL_OPEN (section 5.1)          DATA_CHANNEL_ACK (section 5.2)
 *   0x03 | channel type | priority (16)      0x02
 *   reliability parameter (32)
 *   label length (16) | protocol length (16)
 *   label | protocol
 *
 * Parsing is strict: the message must be exactly as long as its fields say, and message and
 * channel types other than the ones RFC 8832 defines are refused. Parsed strings point into
 * the input (borrowed, not NUL-terminated). Nothing here allocates.
 */
#ifndef MRTC_SCTP_DCEP_H
#define MRTC_SCTP_DCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_DCEP_PPID 50u /* RFC 8832 section 8.1 */

#define MRTC_DCEP_MSG_ACK 0x02u
#define MRTC_DCEP_MSG_OPEN 0x03u

/* Channel types (RFC 8832 section 5.1): a reliability in the low bits, 0x80 for unordered. */
#define MRTC_DCEP_CHANNEL_RELIABLE 0x00u
#define MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT 0x01u
#define MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED 0x02u
#define MRTC_DCEP_CHANNEL_UNORDERED_BIT 0x80u

#define MRTC_DCEP_OPEN_HEADER_LEN 12u
#define MRTC_DCEP_ACK_LEN 1u
/* Priorities of RFC 8831 section 6.4 (the W3C's very-low, low, medium, high). */
#define MRTC_DCEP_PRIORITY_BELOW_NORMAL 128u
#define MRTC_DCEP_PRIORITY_NORMAL 256u
#define MRTC_DCEP_PRIORITY_HIGH 512u
#define MRTC_DCEP_PRIORITY_EXTRA_HIGH 1024u

typedef struct mrtc_dcep_open {
    bool ordered;
    uint8_t reliability; /* MRTC_DCEP_CHANNEL_RELIABLE, _REXMIT or _TIMED */
    uint16_t priority;
    uint32_t reliability_param; /* retransmissions or milliseconds; sent as is even for a
                                   reliable channel (the receiver ignores it there) */
    const uint8_t *label;       /* label_len bytes of UTF-8, not NUL-terminated */
    uint16_t label_len;
    const uint8_t *protocol; /* protocol_len bytes, not NUL-terminated */
    uint16_t protocol_len;
} mrtc_dcep_open;

typedef struct mrtc_dcep_msg {
    uint8_t type;        /* MRTC_DCEP_MSG_OPEN or MRTC_DCEP_MSG_ACK */
    mrtc_dcep_open open; /* OPEN only; pointers into the parsed bytes */
} mrtc_dcep_msg;

/* Parses one DCEP message (the whole payload of a PPID 50 message). Returns 0 and *out, or
 * MRTC_EPROTO (empty, unknown message or channel type, truncated, trailing bytes). */
int mrtc_dcep_parse(const uint8_t *data, size_t len, mrtc_dcep_msg *out);

/* The channel type byte of an OPEN message, or -1 for a reliability value outside 0..2. */
int mrtc_dcep_channel_type(const mrtc_dcep_open *o);

/* Bytes mrtc_dcep_encode_open() writes for o. */
size_t mrtc_dcep_open_len(const mrtc_dcep_open *o);

/* Writes a DATA_CHANNEL_OPEN into buf[0..cap). Returns its length, MRTC_EINVAL (reliability
 * outside 0..2, or a NULL string with a non-zero length) or MRTC_ENOBUFS (cap too small). */
int mrtc_dcep_encode_open(const mrtc_dcep_open *o, uint8_t *buf, size_t cap);

/* Writes a DATA_CHANNEL_ACK into buf[0..cap). Returns 1 or MRTC_ENOBUFS. */
int mrtc_dcep_encode_ack(uint8_t *buf, size_t cap);

#endif
