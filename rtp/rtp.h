/*
 * RTP packet codec (RFC 3550 section 5.1) with RFC 8285 header extensions, helpers for the
 * extensions WebRTC negotiates (sdes:mid, ssrc-audio-level, abs-send-time,
 * transport-wide-cc) and sequence number arithmetic. Pure functions over caller buffers:
 * no allocation, no I/O.
 *
 * Parsing fills an mrtc_rtp_packet view that borrows the input bytes (CSRCs are copied,
 * the extension block, extension element data and payload point into the datagram): keep
 * the datagram alive while using it. Anything malformed is refused with MRTC_EPROTO.
 */
#ifndef MRTC_RTP_RTP_H
#define MRTC_RTP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_RTP_HEADER_LEN 12
#define MRTC_RTP_MAX_CSRC 15
#define MRTC_RTP_MAX_EXT 16 /* RFC 8285 elements parsed per packet; more is MRTC_EPROTO */

#define MRTC_RTP_EXT_ONE_BYTE 0xBEDEu /* RFC 8285 section 4.2 profile */
#define MRTC_RTP_EXT_TWO_BYTE 0x1000u /* RFC 8285 section 4.3, low 4 bits: appbits */
#define MRTC_RTP_EXT_TWO_BYTE_MASK 0xFFF0u

/* One RFC 8285 extension element. data borrows the parsed datagram (or, when writing, the
 * caller's storage); len is 0..255 (the one-byte form carries 1..16). */
typedef struct mrtc_rtp_ext {
    uint8_t id; /* 1..14 in the one-byte form, 1..255 in the two-byte form */
    uint8_t len;
    const uint8_t *data;
} mrtc_rtp_ext;

/* A parsed RTP packet, or the description of one to write. */
typedef struct mrtc_rtp_packet {
    bool marker;
    uint8_t pt; /* 0..127 */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t n_csrc; /* 0..15 */
    uint32_t csrc[MRTC_RTP_MAX_CSRC];

    /* Header extension (X bit). ext_raw/ext_raw_len is the block after the 4-byte extension
     * header (a multiple of 4 bytes). When ext_profile is the one-byte or two-byte RFC 8285
     * profile the elements are also parsed into ext[] (padding skipped). */
    bool has_ext;
    uint16_t ext_profile;
    const uint8_t *ext_raw;
    size_t ext_raw_len;
    mrtc_rtp_ext ext[MRTC_RTP_MAX_EXT];
    int n_ext;

    const uint8_t *payload;
    size_t payload_len;
    uint8_t padding_len; /* 0: no padding (P bit clear); else the padding count, 1..255 */

    size_t header_len; /* set by mrtc_rtp_parse: bytes before the payload */
} mrtc_rtp_packet;

/* Zeroes a packet description (no extension, no padding, no payload). */
void mrtc_rtp_packet_init(mrtc_rtp_packet *p);

/* True when the datagram looks like RTP or RTCP (RFC 7983: first byte 128..191), and is at
 * least a fixed RTP header long. Use mrtc_rtcp_is_rtcp() to tell the two apart. */
bool mrtc_rtp_is_rtp_or_rtcp(const uint8_t *data, size_t len);

/* Parses an RTP packet into p, which borrows data. Refused with MRTC_EPROTO: shorter than its
 * header, version not 2, CSRC list or extension block past the end, a padding count of 0 or
 * larger than what follows the header, an RFC 8285 block with a malformed element (overruns
 * the block, non-zero length on a one-byte padding id) or more than MRTC_RTP_MAX_EXT
 * elements. One-byte id 15 stops element parsing (RFC 8285 section 4.2). MRTC_EINVAL on NULL
 * arguments. */
int mrtc_rtp_parse(mrtc_rtp_packet *p, const uint8_t *data, size_t len);

/* The first extension element with this id, or NULL. */
const mrtc_rtp_ext *mrtc_rtp_find_ext(const mrtc_rtp_packet *p, uint8_t id);

/* Serialises p into out (capacity cap) and returns the number of bytes written.
 * Extensions: when n_ext > 0 the elements of ext[] are written as an RFC 8285 block, in the
 * one-byte form if every id is 1..14 and every length 1..16, else in the two-byte form
 * (ext_profile and ext_raw are then ignored); when n_ext == 0 and has_ext, ext_raw is
 * written as is under ext_profile. Padding: padding_len > 0 appends that many bytes, the last
 * one holding the count, and sets the P bit. Returns MRTC_EINVAL for an invalid description
 * (pt > 127, n_csrc > 15, n_ext out of range, element id 0 or 15-in-one-byte, ext_raw_len
 * not a multiple of 4, NULL data with a non-zero length) and MRTC_ENOBUFS when it does not
 * fit; out is then unspecified. */
int mrtc_rtp_write(const mrtc_rtp_packet *p, uint8_t *out, size_t cap);

/* ---- Common extensions. Readers return 0, or MRTC_EPROTO when the element's length is
 * wrong for the extension. Setters fill e (borrowing the given storage) and return 0 or
 * MRTC_EINVAL. ---- */

/* urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8843 section 15): copies the MID into out as a
 * NUL-terminated string. MRTC_EPROTO if empty or containing a NUL byte, MRTC_ENOBUFS if
 * out (cap bytes, including the NUL) is too small. */
int mrtc_rtp_ext_read_mid(const mrtc_rtp_ext *e, char *out, size_t cap);
/* Points e at mid (borrowed, 1..255 bytes, not NUL-terminated on the wire). */
int mrtc_rtp_ext_set_mid(mrtc_rtp_ext *e, uint8_t id, const char *mid);

/* urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464): voice activity and level in
 * -dBov, 0..127. The element is exactly 1 byte. */
int mrtc_rtp_ext_read_audio_level(const mrtc_rtp_ext *e, bool *voice, uint8_t *level);
int mrtc_rtp_ext_set_audio_level(mrtc_rtp_ext *e, uint8_t id, bool voice, uint8_t level,
                                 uint8_t storage[1]);

/* http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time: 24-bit seconds in 6.18 fixed
 * point (wraps every 64 s). The element is exactly 3 bytes. */
int mrtc_rtp_ext_read_abs_send_time(const mrtc_rtp_ext *e, uint32_t *t);
int mrtc_rtp_ext_set_abs_send_time(mrtc_rtp_ext *e, uint8_t id, uint32_t t, uint8_t storage[3]);
/* abs-send-time of a time in microseconds (any epoch): the low 24 bits of us * 2^18 / 10^6. */
uint32_t mrtc_rtp_abs_send_time_from_us(uint64_t us);

/* http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01: a 16-bit
 * transport-wide sequence number. The element is exactly 2 bytes. */
int mrtc_rtp_ext_read_twcc(const mrtc_rtp_ext *e, uint16_t *seq);
int mrtc_rtp_ext_set_twcc(mrtc_rtp_ext *e, uint8_t id, uint16_t seq, uint8_t storage[2]);

/* ---- Sequence numbers (RFC 3550 appendix A.1 arithmetic modulo 2^16). ---- */

/* Signed distance a - b in the shorter direction: -32768..32767 (0x8000 apart is -32768). */
int32_t mrtc_rtp_seq_diff(uint16_t a, uint16_t b);
/* True when a comes after b, modulo wraparound. Exactly half the space apart, the larger
 * value is the newer one, so exactly one of newer(a,b) and newer(b,a) holds for a != b. */
bool mrtc_rtp_seq_newer(uint16_t a, uint16_t b);
/* The same for 32-bit RTP timestamps. */
bool mrtc_rtp_ts_newer(uint32_t a, uint32_t b);

/* Extends 16-bit sequence numbers to 64 bits. Each value is placed within 32767 of the
 * highest one seen; the first value maps to itself, so a packet older than the first one
 * across a wrap gets a negative number. */
typedef struct mrtc_rtp_seq_unwrapper {
    bool started;
    int64_t highest;
} mrtc_rtp_seq_unwrapper;

void mrtc_rtp_seq_unwrapper_init(mrtc_rtp_seq_unwrapper *u);
int64_t mrtc_rtp_seq_unwrap(mrtc_rtp_seq_unwrapper *u, uint16_t seq);

#endif
