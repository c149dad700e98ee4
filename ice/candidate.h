/*
 * ICE candidates (RFC 8445 section 5.1): the candidate value type, priority and foundation
 * computation, and the SDP "candidate" attribute codec of RFC 8839 section 5.1 (with the
 * browser extensions "generation", "ufrag", "network-id", "network-cost" and RFC 6544's
 * "tcptype").
 *
 * Candidates are plain values (no allocation). A candidate whose connection address is a
 * hostname (an mDNS "<uuid>.local" name, or any FQDN) keeps the name in `hostname` and an
 * address of family MRTC_AF_NONE with the port set: resolving names is the owner's job.
 */
#ifndef MRTC_ICE_CANDIDATE_H
#define MRTC_ICE_CANDIDATE_H

#include "core/util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_ICE_FOUNDATION_MAX 32 /* 1*32ice-char */
#define MRTC_ICE_HOSTNAME_MAX 253
#define MRTC_ICE_UFRAG_MAX 256           /* RFC 8839: ice-ufrag is 4..256 ice-chars */
#define MRTC_ICE_PWD_MAX 256             /* ice-pwd is 22..256 ice-chars */
#define MRTC_ICE_CANDIDATE_LINE_MAX 1024 /* longest accepted or produced attribute line */

/* Type preferences of RFC 8445 section 5.1.2.2 (recommended values). */
#define MRTC_ICE_TYPE_PREF_HOST 126
#define MRTC_ICE_TYPE_PREF_PRFLX 110
#define MRTC_ICE_TYPE_PREF_SRFLX 100
#define MRTC_ICE_TYPE_PREF_RELAY 0

typedef enum mrtc_ice_cand_type {
    MRTC_ICE_CAND_HOST = 0,
    MRTC_ICE_CAND_SRFLX,
    MRTC_ICE_CAND_PRFLX,
    MRTC_ICE_CAND_RELAY,
} mrtc_ice_cand_type;

typedef enum mrtc_ice_transport {
    MRTC_ICE_TRANSPORT_UDP = 0,
    MRTC_ICE_TRANSPORT_TCP, /* parsed, never used by the agent */
} mrtc_ice_transport;

typedef enum mrtc_ice_tcptype {
    MRTC_ICE_TCPTYPE_NONE = 0,
    MRTC_ICE_TCPTYPE_ACTIVE,
    MRTC_ICE_TCPTYPE_PASSIVE,
    MRTC_ICE_TCPTYPE_SO,
} mrtc_ice_tcptype;

typedef struct mrtc_ice_candidate {
    char foundation[MRTC_ICE_FOUNDATION_MAX + 1];
    uint16_t component; /* 1..256; meshrtc uses 1 only (rtcp-mux) */
    mrtc_ice_transport transport;
    uint32_t priority;
    /* The connection address. family == MRTC_AF_NONE (port still set) when the address is
     * the hostname below and it has not been resolved. */
    mrtc_addr addr;
    char hostname[MRTC_ICE_HOSTNAME_MAX + 1]; /* "" unless the line carried a name */
    mrtc_ice_cand_type type;
    bool has_related; /* raddr/rport present (a hostname raddr is dropped) */
    mrtc_addr related;
    mrtc_ice_tcptype tcptype;
    int generation;                     /* -1 when absent */
    int network_id;                     /* -1 when absent */
    int network_cost;                   /* -1 when absent */
    char ufrag[MRTC_ICE_UFRAG_MAX + 1]; /* "" when absent */
} mrtc_ice_candidate;

/* Sets every field to "absent" (component 1, udp, host, generation/network -1). */
void mrtc_ice_candidate_init(mrtc_ice_candidate *c);

/* Priority of RFC 8445 section 5.1.2.1:
 *   (2^24) * type_pref + (2^8) * local_pref + (256 - component)
 * component is 1..256. */
uint32_t mrtc_ice_candidate_priority(unsigned type_pref, uint16_t local_pref, uint16_t component);

/* The recommended type preference of a candidate type (126, 100, 110, 0). */
unsigned mrtc_ice_candidate_type_pref(mrtc_ice_cand_type type);

/* The local preference meshrtc gives a host base (RFC 8445 section 5.1.2.1 leaves it to the
 * agent): global IPv6 before IPv4 before link-local, and within a family the order in which
 * the bases were added (`index` 0 is the most preferred), so every interface gets a
 * distinct value. */
uint16_t mrtc_ice_candidate_local_pref(const mrtc_addr *base, unsigned index);

/* Foundation of RFC 8445 section 5.1.1.3: equal for candidates of the same type, base IP
 * address, STUN/TURN server IP address (NULL for host and prflx) and transport, different
 * otherwise (a 32-bit hash printed in decimal; collisions are possible but harmless).
 * out needs MRTC_ICE_FOUNDATION_MAX + 1 bytes. */
void mrtc_ice_candidate_foundation(char *out, mrtc_ice_cand_type type, const mrtc_addr *base,
                                   const mrtc_addr *server, mrtc_ice_transport transport);

/* Parses a candidate attribute: "candidate:842163049 1 udp 1677729535 203.0.113.7 46154
 * typ srflx raddr 10.0.0.2 rport 46154 generation 0 ufrag EsAw network-cost 999", with or
 * without the "a=" and "candidate:" prefixes, trailing CR/LF tolerated. The transport is
 * case-insensitive; unknown extension name/value pairs are skipped.
 * Returns 0, or MRTC_EINVAL with *reason (may be NULL) set to a static explanation; `out`
 * is then left untouched. */
int mrtc_ice_candidate_parse(mrtc_ice_candidate *out, const char *line, const char **reason);

/* Formats "candidate:<foundation> <component> udp <priority> <address> <port> typ <type>
 * [raddr <a> rport <p>] [tcptype <t>] [generation <g>] [ufrag <u>] [network-id <n>]
 * [network-cost <c>]" (no "a=" prefix, no line ending) into buf. Returns the string length,
 * or MRTC_ENOBUFS if cap is too small (buf then holds a truncated string), or MRTC_EINVAL
 * for a candidate with neither address nor hostname. */
int mrtc_ice_candidate_format(const mrtc_ice_candidate *c, char *buf, size_t cap);

/* True if the two candidates carry the same transport address (resolved address, or the
 * same hostname and port when unresolved) and transport. */
bool mrtc_ice_candidate_same_address(const mrtc_ice_candidate *a, const mrtc_ice_candidate *b);

/* True when hostname ends in ".local" (an mDNS name, RFC 6762 / draft-ietf-mmusic-mdns-ice). */
bool mrtc_ice_candidate_is_mdns(const mrtc_ice_candidate *c);

/* "host", "srflx", "prflx", "relay"; "udp", "tcp". Never NULL. */
const char *mrtc_ice_candidate_type_name(mrtc_ice_cand_type type);
const char *mrtc_ice_transport_name(mrtc_ice_transport t);

#endif
