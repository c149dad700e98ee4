/*
 * A Multicast DNS message codec (RFC 6762 over the DNS message format of RFC 1035 section
 * 4), just enough to resolve the "<uuid>.local" host candidates browsers send
 * (draft-ietf-mmusic-mdns-ice-candidates): build a one-question A or AAAA query, build a
 * one-record answer (for test responders), and parse any mDNS message into its questions and
 * its A/AAAA records.
 *
 * Sans-IO and allocation-free: messages live in caller buffers, a parsed message in caller
 * storage. Parsing never reads outside the input; name compression pointers must point
 * strictly backwards, so a message cannot loop.
 */
#ifndef MRTC_ICE_MDNS_H
#define MRTC_ICE_MDNS_H

#include "core/util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_MDNS_PORT 5353
#define MRTC_MDNS_GROUP_V4 "224.0.0.251" /* RFC 6762 section 3 */
#define MRTC_MDNS_NAME_MAX 253           /* dotted text without the final dot */
#define MRTC_MDNS_MSG_MAX 9000           /* RFC 6762 section 17: the largest message */
#define MRTC_MDNS_MAX_QUESTIONS 4        /* questions kept by mrtc_mdns_parse() */
#define MRTC_MDNS_MAX_RECORDS 16         /* address records kept by mrtc_mdns_parse() */

#define MRTC_MDNS_TYPE_A 1
#define MRTC_MDNS_TYPE_AAAA 28
#define MRTC_MDNS_TYPE_ANY 255
#define MRTC_MDNS_CLASS_IN 1

/* One question (RFC 1035 section 4.1.2). */
typedef struct mrtc_mdns_question {
    char name[MRTC_MDNS_NAME_MAX + 1]; /* dotted, as received (case preserved) */
    uint16_t qtype;
    uint16_t qclass;       /* without the top bit */
    bool unicast_response; /* the QU bit (RFC 6762 section 5.4) */
} mrtc_mdns_question;

/* One A or AAAA record of class IN (answer or additional section). */
typedef struct mrtc_mdns_record {
    char name[MRTC_MDNS_NAME_MAX + 1]; /* dotted, as received (case preserved) */
    uint16_t type;                     /* MRTC_MDNS_TYPE_A or MRTC_MDNS_TYPE_AAAA */
    bool cache_flush;                  /* the top bit of the class (RFC 6762 section 10.2) */
    uint32_t ttl;                      /* seconds; 0 is a "goodbye" (section 10.1) */
    mrtc_addr addr;                    /* port 0 */
} mrtc_mdns_record;

/* A parsed message: a view filled by mrtc_mdns_parse(), borrowing nothing. */
typedef struct mrtc_mdns_msg {
    uint16_t id;
    bool response; /* QR */
    bool truncated; /* TC */
    size_t n_questions; /* kept in questions[]; further ones are validated and skipped */
    mrtc_mdns_question questions[MRTC_MDNS_MAX_QUESTIONS];
    size_t n_records; /* A/AAAA records of class IN kept in records[] */
    mrtc_mdns_record records[MRTC_MDNS_MAX_RECORDS];
} mrtc_mdns_msg;

/* Writes a query with one question for `name` ("abc.local", a final dot optional) of type
 * qtype (MRTC_MDNS_TYPE_A or _AAAA, or any other type), class IN, with the QU bit when
 * unicast_response is set. The message ID is 0 (RFC 6762 section 18.1). Labels are 1..63
 * bytes of printable ASCII other than '.', the encoded name at most 255 bytes.
 * Returns the message length, MRTC_EINVAL (NULL or malformed name), or MRTC_ENOBUFS (cap
 * too small; buf may hold a partial message). */
int mrtc_mdns_build_query(uint8_t *buf, size_t cap, const char *name, uint16_t qtype,
                          bool unicast_response);

/* Writes an authoritative response (QR and AA set, ID 0) with one answer: an A record for an
 * IPv4 addr, an AAAA record for an IPv6 one, class IN with the cache-flush bit, the given
 * TTL. Returns the message length, MRTC_EINVAL (malformed name, addr neither IPv4 nor IPv6)
 * or MRTC_ENOBUFS. */
int mrtc_mdns_build_answer(uint8_t *buf, size_t cap, const char *name, const mrtc_addr *addr,
                           uint32_t ttl);

/* Parses an mDNS message of len bytes into *msg (RFC 1035 section 4.1 with the mDNS
 * meanings of the QU and cache-flush bits). Questions are kept up to
 * MRTC_MDNS_MAX_QUESTIONS; A and AAAA records of class IN from the answer, authority and
 * additional sections up to MRTC_MDNS_MAX_RECORDS; every other record is checked for bounds
 * and skipped, as are names that are not printable ASCII (legal in mDNS, never a candidate).
 * Returns 0, MRTC_EPROTO (truncated header, a name or record overrunning the message, a
 * forward or looping compression pointer, a reserved label type, a name over 255 bytes,
 * an A record whose data is not 4 bytes or an AAAA one not 16, trailing bytes) or
 * MRTC_ENOTSUP (a well-formed header with a non-zero OPCODE or RCODE: RFC 6762 sections
 * 18.3 and 18.11 say to ignore the message). msg is unspecified after an error. */
int mrtc_mdns_parse(mrtc_mdns_msg *msg, const uint8_t *data, size_t len);

/* DNS name equality: ASCII case-insensitive, a final dot ignored on either side. */
bool mrtc_mdns_name_eq(const char *a, const char *b);

#endif
