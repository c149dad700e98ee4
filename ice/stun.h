/*
 * STUN message codec (RFC 8489), with the ICE attributes of RFC 8445 and the TURN
 * attributes of RFC 8656. Pure functions over caller buffers: no allocation, no I/O.
 *
 * Decoding produces a view (mrtc_stun_msg) that borrows the input bytes: keep the datagram
 * alive while using it. Known attributes are decoded into fields; every attribute stays
 * reachable through attrs[]. A message with a malformed known attribute, a bad length, or a
 * FINGERPRINT that does not match is refused with MRTC_EPROTO. Unknown
 * comprehension-required attributes (type < 0x8000) do not fail decoding: they are listed in
 * unknown[] so the caller can answer 420 with UNKNOWN-ATTRIBUTES, as RFC 8489 section 6.3.1
 * requires for requests.
 */
#ifndef MRTC_ICE_STUN_H
#define MRTC_ICE_STUN_H

#include "core/util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_STUN_HEADER_LEN 20
#define MRTC_STUN_MAGIC 0x2112A442u
#define MRTC_STUN_TID_LEN 12
#define MRTC_STUN_MAX_ATTRS 32
#define MRTC_STUN_MAX_UNKNOWN 8

typedef enum mrtc_stun_class {
    MRTC_STUN_REQUEST = 0,
    MRTC_STUN_INDICATION = 1,
    MRTC_STUN_SUCCESS = 2,
    MRTC_STUN_ERROR = 3,
} mrtc_stun_class;

enum {
    MRTC_STUN_BINDING = 0x001,
    MRTC_STUN_ALLOCATE = 0x003,
    MRTC_STUN_REFRESH = 0x004,
    MRTC_STUN_SEND = 0x006,
    MRTC_STUN_DATA = 0x007,
    MRTC_STUN_CREATE_PERMISSION = 0x008,
    MRTC_STUN_CHANNEL_BIND = 0x009,
};

enum {
    MRTC_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    MRTC_STUN_ATTR_USERNAME = 0x0006,
    MRTC_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    MRTC_STUN_ATTR_ERROR_CODE = 0x0009,
    MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    MRTC_STUN_ATTR_CHANNEL_NUMBER = 0x000C,
    MRTC_STUN_ATTR_LIFETIME = 0x000D,
    MRTC_STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
    MRTC_STUN_ATTR_DATA = 0x0013,
    MRTC_STUN_ATTR_REALM = 0x0014,
    MRTC_STUN_ATTR_NONCE = 0x0015,
    MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
    MRTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
    MRTC_STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
    MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    MRTC_STUN_ATTR_PRIORITY = 0x0024,
    MRTC_STUN_ATTR_USE_CANDIDATE = 0x0025,
    MRTC_STUN_ATTR_SOFTWARE = 0x8022,
    MRTC_STUN_ATTR_FINGERPRINT = 0x8028,
    MRTC_STUN_ATTR_ICE_CONTROLLED = 0x8029,
    MRTC_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* One attribute as it appears on the wire; value borrows the decoded datagram. */
typedef struct mrtc_stun_attr {
    uint16_t type;
    uint16_t len;
    const uint8_t *value;
} mrtc_stun_attr;

typedef struct mrtc_stun_msg {
    uint16_t method;
    mrtc_stun_class cls;
    uint8_t tid[MRTC_STUN_TID_LEN];

    const uint8_t *raw; /* the decoded datagram (borrowed) */
    size_t raw_len;

    mrtc_stun_attr attrs[MRTC_STUN_MAX_ATTRS];
    int n_attrs;
    uint16_t unknown[MRTC_STUN_MAX_UNKNOWN]; /* comprehension-required, not understood */
    int n_unknown;

    /* Decoded known attributes (has_* tells presence). */
    bool has_xor_mapped;
    mrtc_addr xor_mapped;
    bool has_mapped;
    mrtc_addr mapped;
    bool has_xor_relayed;
    mrtc_addr xor_relayed;
    bool has_xor_peer;
    mrtc_addr xor_peer;
    const char *username; /* not NUL-terminated: use username_len */
    size_t username_len;
    const char *realm;
    size_t realm_len;
    const uint8_t *nonce;
    size_t nonce_len;
    bool has_priority;
    uint32_t priority;
    bool use_candidate;
    bool has_ice_controlling;
    bool has_ice_controlled;
    uint64_t tiebreaker; /* from ICE-CONTROLLING or ICE-CONTROLLED */
    bool has_error;
    int error_code;       /* 300..699 */
    const char *reason;   /* not NUL-terminated */
    size_t reason_len;
    bool has_lifetime;
    uint32_t lifetime;
    const uint8_t *data; /* DATA attribute */
    size_t data_len;
    bool has_channel;
    uint16_t channel;
    bool has_integrity;
    size_t integrity_offset; /* offset of the MESSAGE-INTEGRITY attribute header */
    bool has_fingerprint;    /* present and verified */
} mrtc_stun_msg;

/* Cheap demultiplexing test: two leading zero bits, the magic cookie, a length that is a
 * multiple of 4 and matches len. Does not validate attributes. */
bool mrtc_stun_is_stun(const uint8_t *data, size_t len);

/* Decodes a datagram into msg (which borrows data). Returns 0, or MRTC_EPROTO for anything
 * malformed (msg contents are then unspecified). Attributes after MESSAGE-INTEGRITY other
 * than FINGERPRINT are ignored, as RFC 8489 section 14.5 says: not validated, not decoded,
 * not in attrs[] or unknown[]. A repeated attribute fills its field from its first
 * occurrence; every occurrence is in attrs[]. More than MRTC_STUN_MAX_ATTRS attributes:
 * MRTC_EPROTO. Never allocates. */
int mrtc_stun_decode(mrtc_stun_msg *msg, const uint8_t *data, size_t len);

/* Verifies MESSAGE-INTEGRITY (HMAC-SHA1) with key. Returns 0, MRTC_ENOTFOUND if the
 * message has none, or MRTC_EAUTH if it does not match (also if the crypto library fails:
 * it fails closed). MRTC_EINVAL for a NULL key with key_len > 0. The key is the short-term
 * password as bytes, or the output of mrtc_stun_long_term_key(). */
int mrtc_stun_check_integrity(const mrtc_stun_msg *msg, const uint8_t *key, size_t key_len);

/* The first attribute of a type, or NULL. */
const mrtc_stun_attr *mrtc_stun_find(const mrtc_stun_msg *msg, uint16_t type);

/* Long-term credential key (RFC 8489 section 9.2.2, MD5 of "user:realm:pass"). The strings
 * are used as given: no SASLprep/OpaqueString processing is applied (pass the already
 * prepared strings). NULL counts as "". Should the digest fail (out of memory), key is all
 * zeros, so integrity checks made with it fail. */
void mrtc_stun_long_term_key(const char *user, const char *realm, const char *pass,
                             uint8_t key[16]);

/* Encoder: builds a message in a caller buffer. Errors are sticky: check the result of
 * mrtc_stun_writer_finish() once. */
typedef struct mrtc_stun_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
    bool has_integrity;   /* set by mrtc_stun_add_integrity(): only FINGERPRINT may follow */
    bool has_fingerprint; /* set by mrtc_stun_add_fingerprint(): nothing may follow */
} mrtc_stun_writer;

void mrtc_stun_writer_init(mrtc_stun_writer *w, uint8_t *buf, size_t cap, uint16_t method,
                           mrtc_stun_class cls, const uint8_t tid[MRTC_STUN_TID_LEN]);
void mrtc_stun_add_attr(mrtc_stun_writer *w, uint16_t type, const void *value, size_t len);
void mrtc_stun_add_u32(mrtc_stun_writer *w, uint16_t type, uint32_t v);
void mrtc_stun_add_u64(mrtc_stun_writer *w, uint16_t type, uint64_t v);
void mrtc_stun_add_flag(mrtc_stun_writer *w, uint16_t type); /* zero-length, e.g. USE-CANDIDATE */
void mrtc_stun_add_xor_addr(mrtc_stun_writer *w, uint16_t type, const mrtc_addr *a);
void mrtc_stun_add_error(mrtc_stun_writer *w, int code, const char *reason);
void mrtc_stun_add_unknown_attrs(mrtc_stun_writer *w, const uint16_t *types, int n);
/* MESSAGE-INTEGRITY over everything written so far (length field adjusted per RFC). */
void mrtc_stun_add_integrity(mrtc_stun_writer *w, const uint8_t *key, size_t key_len);
/* FINGERPRINT (CRC-32 xor 0x5354554e); must be last. */
void mrtc_stun_add_fingerprint(mrtc_stun_writer *w);
/* Returns the message length (> 0), or MRTC_ENOBUFS / MRTC_EINVAL if any step failed (the
 * first failure is kept). Also MRTC_ETOOBIG if the attributes would exceed the 16-bit length
 * field, MRTC_ENOMEM if the crypto library failed to compute MESSAGE-INTEGRITY. Invalid uses
 * that give MRTC_EINVAL: method > 0xFFF, an ERROR-CODE outside 300..699 or with a reason
 * over 763 bytes, an address that is neither IPv4 nor IPv6, any attribute after FINGERPRINT,
 * an attribute other than FINGERPRINT after MESSAGE-INTEGRITY. The buffer is never written
 * past cap. */
int mrtc_stun_writer_finish(mrtc_stun_writer *w);

/* Names for logs: "Binding", "success", "XOR-MAPPED-ADDRESS". Never NULL. */
const char *mrtc_stun_method_name(uint16_t method);
const char *mrtc_stun_class_name(mrtc_stun_class cls);
const char *mrtc_stun_attr_name(uint16_t type);

#endif
