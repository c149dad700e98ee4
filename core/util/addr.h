/*
 * Transport addresses (IPv4/IPv6 + port) as plain values, and the datagram-to-send record
 * that every sans-IO module hands to its owner. No DNS here: parsing accepts numeric
 * addresses only.
 */
#ifndef MRTC_UTIL_ADDR_H
#define MRTC_UTIL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mrtc_af { MRTC_AF_NONE = 0, MRTC_AF_INET = 4, MRTC_AF_INET6 = 6 } mrtc_af;

typedef struct mrtc_addr {
    mrtc_af family;
    uint16_t port;
    uint8_t ip[16]; /* IPv4 uses ip[0..3] */
    uint32_t scope_id; /* IPv6 link-local interface index, else 0 */
} mrtc_addr;

/* "192.0.2.1", "2001:db8::1", "fe80::1%eth0" (scope by index or name). Returns 0 or
 * MRTC_EINVAL; out is untouched on error. */
int mrtc_addr_parse_ip(mrtc_addr *out, const char *ip, uint16_t port);
/* "192.0.2.1:3478", "[2001:db8::1]:3478". */
int mrtc_addr_parse(mrtc_addr *out, const char *hostport);
/* Formats the IP only ("2001:db8::1"); buf needs MRTC_ADDR_STRLEN. Returns buf. */
char *mrtc_addr_ip_str(const mrtc_addr *a, char *buf, size_t cap);
/* Formats "ip:port" or "[ip6]:port"; buf needs MRTC_ADDR_STRLEN. Returns buf. */
char *mrtc_addr_str(const mrtc_addr *a, char *buf, size_t cap);
#define MRTC_ADDR_STRLEN 64

bool mrtc_addr_eq(const mrtc_addr *a, const mrtc_addr *b);    /* family, ip and port */
bool mrtc_addr_ip_eq(const mrtc_addr *a, const mrtc_addr *b); /* family and ip */
bool mrtc_addr_is_loopback(const mrtc_addr *a);
bool mrtc_addr_is_link_local(const mrtc_addr *a);
bool mrtc_addr_is_any(const mrtc_addr *a);
/* IPv4-mapped IPv6, site-local, and similar addresses ICE must not use as host candidates. */
bool mrtc_addr_is_unusable(const mrtc_addr *a);

/* Conversion to and from struct sockaddr (for core/runtime only). `sa` points at a
 * struct sockaddr_storage or sockaddr_in/in6. */
int mrtc_addr_from_sockaddr(mrtc_addr *out, const void *sa);
/* Returns the sockaddr length written into `ss` (a struct sockaddr_storage). */
size_t mrtc_addr_to_sockaddr(const mrtc_addr *a, void *ss);

/* Largest datagram a module may queue: fits a full 1500-byte MTU plus TURN framing. */
#define MRTC_TRANSMIT_MAX 2048

/* A datagram to send. `local` selects the socket (the local base address), `remote` is the
 * destination. */
typedef struct mrtc_transmit {
    mrtc_addr local;
    mrtc_addr remote;
    size_t len;
    uint8_t data[MRTC_TRANSMIT_MAX];
} mrtc_transmit;

#endif
