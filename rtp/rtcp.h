/*
 * RTCP codec (RFC 3550 section 6) for the packets a WebRTC endpoint exchanges: SR, RR,
 * SDES (CNAME), BYE, generic NACK (RFC 4585 section 6.2.1), PLI (RFC 4585 section 6.3.1) and
 * FIR (RFC 5104 section 4.3.1). Pure functions over caller buffers: no allocation, no I/O.
 *
 * Reading: an iterator walks the packets of a compound (or RFC 5506 reduced-size) datagram
 * and decodes each into an mrtc_rtcp_packet view that borrows the datagram. Writing: each
 * mrtc_rtcp_write_* appends one packet to a byte writer, so a compound is a series of calls.
 */
#ifndef MRTC_RTP_RTCP_H
#define MRTC_RTP_RTCP_H

#include "core/util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_RTCP_HEADER_LEN 4
#define MRTC_RTCP_MAX_COUNT 31 /* the 5-bit RC/SC field */

enum {
    MRTC_RTCP_PT_SR = 200,
    MRTC_RTCP_PT_RR = 201,
    MRTC_RTCP_PT_SDES = 202,
    MRTC_RTCP_PT_BYE = 203,
    MRTC_RTCP_PT_APP = 204,
    MRTC_RTCP_PT_RTPFB = 205,
    MRTC_RTCP_PT_PSFB = 206,
};

enum {
    MRTC_RTCP_FMT_NACK = 1, /* RTPFB */
    MRTC_RTCP_FMT_PLI = 1,  /* PSFB */
    MRTC_RTCP_FMT_FIR = 4,  /* PSFB */
};

#define MRTC_RTCP_SDES_CNAME 1

typedef enum mrtc_rtcp_kind {
    MRTC_RTCP_OTHER = 0, /* APP, XR, other feedback: raw bytes only */
    MRTC_RTCP_SR,
    MRTC_RTCP_RR,
    MRTC_RTCP_SDES,
    MRTC_RTCP_BYE,
    MRTC_RTCP_NACK,
    MRTC_RTCP_PLI,
    MRTC_RTCP_FIR,
} mrtc_rtcp_kind;

/* RFC 3550 section 6.4.1 report block. */
typedef struct mrtc_rtcp_report {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost; /* 24-bit signed on the wire: -8388608..8388607 */
    uint32_t ext_highest_seq;
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr;
} mrtc_rtcp_report;

/* SR (6.4.1) and RR (6.4.2) share this layout; the sender info fields are zero for an RR.
 * Profile-specific extensions after the report blocks are skipped on reading. */
typedef struct mrtc_rtcp_sr {
    uint32_t ssrc;
    uint64_t ntp; /* NTP timestamp, 32.32 fixed point */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
    int n_reports; /* 0..31 */
    mrtc_rtcp_report reports[MRTC_RTCP_MAX_COUNT];
} mrtc_rtcp_sr;

/* SDES (6.5): one chunk per source; only the CNAME item is kept, other items are skipped. */
typedef struct mrtc_rtcp_sdes_chunk {
    uint32_t ssrc;
    const char *cname; /* borrowed, not NUL-terminated; NULL when the chunk has none */
    uint8_t cname_len;
} mrtc_rtcp_sdes_chunk;

typedef struct mrtc_rtcp_sdes {
    int n_chunks; /* 0..31 */
    mrtc_rtcp_sdes_chunk chunks[MRTC_RTCP_MAX_COUNT];
} mrtc_rtcp_sdes;

/* BYE (6.6). */
typedef struct mrtc_rtcp_bye {
    int n_ssrcs; /* 0..31 */
    uint32_t ssrcs[MRTC_RTCP_MAX_COUNT];
    const char *reason; /* borrowed, not NUL-terminated; NULL when absent */
    uint8_t reason_len;
} mrtc_rtcp_bye;

/* Generic NACK (RFC 4585 6.2.1): FCI entries of PID (16 bits) and BLP (16 bits). */
typedef struct mrtc_rtcp_nack {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    const uint8_t *fci; /* borrowed, n_fci * 4 bytes */
    size_t n_fci;       /* >= 1 */
} mrtc_rtcp_nack;

/* PLI (RFC 4585 6.3.1): no FCI. */
typedef struct mrtc_rtcp_pli {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
} mrtc_rtcp_pli;

/* FIR (RFC 5104 4.3.1): FCI entries of SSRC (32 bits), sequence number (8), reserved (24). */
typedef struct mrtc_rtcp_fir_entry {
    uint32_t ssrc;
    uint8_t seq;
} mrtc_rtcp_fir_entry;

typedef struct mrtc_rtcp_fir {
    uint32_t sender_ssrc;
    uint32_t media_ssrc; /* 0 per RFC 5104; not checked */
    const uint8_t *fci;  /* borrowed, n_entries * 8 bytes */
    size_t n_entries;    /* >= 1 */
} mrtc_rtcp_fir;

/* One packet of a compound datagram. raw/len cover the whole packet including its header and
 * padding; body/body_len what follows the 4-byte header, padding excluded. */
typedef struct mrtc_rtcp_packet {
    mrtc_rtcp_kind kind;
    uint8_t pt;    /* 192..223 */
    uint8_t count; /* RC, SC or FMT (5 bits) */
    const uint8_t *raw;
    size_t len;
    const uint8_t *body;
    size_t body_len;
    uint8_t padding_len;
    union {
        mrtc_rtcp_sr sr; /* SR and RR */
        mrtc_rtcp_sdes sdes;
        mrtc_rtcp_bye bye;
        mrtc_rtcp_nack nack;
        mrtc_rtcp_pli pli;
        mrtc_rtcp_fir fir;
    } u;
} mrtc_rtcp_packet;

/* RFC 5761 section 4 demultiplexing: true when the datagram is at least 2 bytes long, its
 * version is 2 and its second byte (the RTCP packet type, or the RTP marker and payload
 * type) is 192..223. */
bool mrtc_rtcp_is_rtcp(const uint8_t *data, size_t len);

typedef struct mrtc_rtcp_iter {
    const uint8_t *data;
    size_t len;
    size_t pos;
} mrtc_rtcp_iter;

/* Starts iterating over the datagram (borrowed for the iterator's lifetime). */
void mrtc_rtcp_iter_init(mrtc_rtcp_iter *it, const uint8_t *data, size_t len);

/* Decodes the next packet into out: returns 1 for a packet, 0 at the end of the datagram,
 * MRTC_EPROTO for a malformed packet (the iterator then stays at it: RFC 3550 section 6.1
 * has the whole compound dropped). Refused: version not 2, packet type outside 192..223, a
 * length past the datagram, a padding count of 0 or larger than the body, padding on a
 * packet that is not the last, and for the decoded kinds a body too short for its count
 * (SR, RR), a chunk or item overrunning the body, a missing chunk terminator, non-zero
 * terminator padding or bytes after the last chunk (SDES), SSRCs or a reason overrunning the
 * body (BYE), a NACK or FIR without entries or with a partial entry, a PLI with FCI. An empty
 * datagram has no packets. */
int mrtc_rtcp_iter_next(mrtc_rtcp_iter *it, mrtc_rtcp_packet *out);

/* Checks every packet of the datagram; returns the number of packets (>= 1) or MRTC_EPROTO
 * (an empty datagram is MRTC_EPROTO too). */
int mrtc_rtcp_validate(const uint8_t *data, size_t len);

/* Writes the sequence numbers a NACK asks for into out (capacity cap entries), in FCI order,
 * each PID followed by the set bits of its BLP from least significant. Returns the count,
 * or MRTC_ENOBUFS when they do not fit (17 * n_fci always does). */
int mrtc_rtcp_nack_seqs(const mrtc_rtcp_nack *n, uint16_t *out, size_t cap);

/* The FIR entry i (0 <= i < n_entries). */
mrtc_rtcp_fir_entry mrtc_rtcp_fir_get(const mrtc_rtcp_fir *f, size_t i);

/* ---- Writers. Each appends one packet to w and returns 0, MRTC_EINVAL for an invalid
 * description (counts over 31, empty lists, out-of-range values), or MRTC_ENOBUFS when it
 * does not fit; on failure w is left as it was. No padding is written. ---- */

int mrtc_rtcp_write_sr(mrtc_wr *w, const mrtc_rtcp_sr *sr);
/* Writes an RR from the ssrc and report blocks of rr (the sender info fields are ignored). */
int mrtc_rtcp_write_rr(mrtc_wr *w, const mrtc_rtcp_sr *rr);
/* Writes an SDES with one chunk per entry: an item CNAME when cname is not NULL (cname_len
 * bytes, 0..255; RFC 3550 6.5.1 wants a non-empty one, the caller decides), else a chunk with
 * no item. */
int mrtc_rtcp_write_sdes(mrtc_wr *w, const mrtc_rtcp_sdes *sdes);
int mrtc_rtcp_write_bye(mrtc_wr *w, const mrtc_rtcp_bye *bye);
/* Writes a generic NACK for the n sequence numbers seqs (n >= 1). Each number not covered by
 * the current FCI entry starts a new one, so a list in increasing order (wraparound allowed,
 * duplicates harmless) gives the fewest entries. */
int mrtc_rtcp_write_nack(mrtc_wr *w, uint32_t sender_ssrc, uint32_t media_ssrc,
                         const uint16_t *seqs, size_t n);
int mrtc_rtcp_write_pli(mrtc_wr *w, uint32_t sender_ssrc, uint32_t media_ssrc);
/* Writes a FIR with n entries (n >= 1); the media SSRC field is 0 (RFC 5104 4.3.1.1). */
int mrtc_rtcp_write_fir(mrtc_wr *w, uint32_t sender_ssrc, const mrtc_rtcp_fir_entry *entries,
                        size_t n);

#endif
