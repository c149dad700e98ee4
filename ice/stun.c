/*
 * STUN message codec: the header and attribute framing of RFC 8489 (sections 5, 14 and 15),
 * MESSAGE-INTEGRITY (14.5, HMAC-SHA1 with the length field adjusted) and FINGERPRINT (14.7,
 * CRC-32 xor 0x5354554e), the long-term credential key (9.2.2), the ICE attributes of
 * RFC 8445 section 16.1 (PRIORITY, USE-CANDIDATE, ICE-CONTROLLED, ICE-CONTROLLING) and the
 * TURN attributes of RFC 8656 section 18 that a client reads (XOR-RELAYED-ADDRESS,
 * XOR-PEER-ADDRESS, LIFETIME, DATA, CHANNEL-NUMBER).
 *
 * Decoding never allocates, reads only through the bounds-checked reader, and refuses any
 * malformed datagram with MRTC_EPROTO; nothing a peer sends can trip an assertion.
 *
 * Deliberately not done here: MESSAGE-INTEGRITY-SHA256, USERHASH and PASSWORD-ALGORITHM
 * (RFC 8489 sections 14.6, 14.4, 14.12; WebRTC peers do not use them, and as
 * comprehension-required attributes they land in unknown[] so the caller answers 420);
 * SASLprep/OpaqueString of the long-term credential strings (callers pass prepared
 * strings); the RFC 3489 classic (cookie-less) format; semantic checks that belong to the
 * ICE agent or TURN client (which method may carry which attribute, channel number range,
 * transaction matching, retransmission).
 */
#include "ice/stun.h"

#include "core/util/buf.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#define LOG_TAG "stun"

#define FINGERPRINT_XOR 0x5354554eu
#define INTEGRITY_LEN 20 /* HMAC-SHA1 */
#define MAX_TEXT_LEN 763 /* USERNAME, REALM, NONCE, SOFTWARE, reason: < 128 chars (8489 14) */
#define MAX_BODY_LEN 0xFFFFu

/* ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), four bits at a time. ---- */

static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc = (crc >> 4) ^ crc_nibble[(crc ^ p[i]) & 0x0F];
        crc = (crc >> 4) ^ crc_nibble[(crc ^ (uint32_t)(p[i] >> 4)) & 0x0F];
    }
    return crc ^ 0xFFFFFFFFu;
}

/* ---- HMAC-SHA1 through EVP_MAC (OpenSSL 3), fed in two pieces so the adjusted header
 * needs no copy of the whole message. ---- */

static int hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
                     const uint8_t *b, size_t b_len, uint8_t out[INTEGRITY_LEN])
{
    static const uint8_t empty_key[1];
    int err = MRTC_ENOMEM;
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t out_len = 0;

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac)
        goto out;
    ctx = EVP_MAC_CTX_new(mac);
    if (!ctx)
        goto out;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0);
    params[1] = OSSL_PARAM_construct_end();
    /* A NULL key would mean "keep the previous key": pass a real pointer even when empty. */
    if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params))
        goto out;
    if (!EVP_MAC_update(ctx, a, a_len) || !EVP_MAC_update(ctx, b, b_len))
        goto out;
    if (!EVP_MAC_final(ctx, out, &out_len, INTEGRITY_LEN) || out_len != INTEGRITY_LEN)
        goto out;
    err = 0;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return err;
}

/* ---- Message type: 0b00MMMMMCMMMCMMMM (RFC 8489 section 5). ---- */

static uint16_t type_method(uint16_t t)
{
    return (uint16_t)((t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2));
}

static mrtc_stun_class type_class(uint16_t t)
{
    return (mrtc_stun_class)(((t & 0x0010) >> 4) | ((t & 0x0100) >> 7));
}

static uint16_t make_type(uint16_t method, mrtc_stun_class cls)
{
    unsigned c = (unsigned)cls;
    return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                      ((c & 1) << 4) | ((c & 2) << 7));
}

static size_t pad4(size_t n)
{
    return (4 - (n & 3)) & 3;
}

/* ---- Decoding ---- */

bool mrtc_stun_is_stun(const uint8_t *data, size_t len)
{
    if (!data || len < MRTC_STUN_HEADER_LEN)
        return false;
    if ((data[0] & 0xC0) != 0)
        return false;
    if (mrtc_load_u32(data + 4) != MRTC_STUN_MAGIC)
        return false;
    size_t body = mrtc_load_u16(data + 2);
    return (body & 3) == 0 && body == len - MRTC_STUN_HEADER_LEN;
}

/* Logs why a datagram is refused; type is the offending attribute, or -1 for the header. */
static int refuse(const char *why, int type)
{
    if (type < 0)
        MRTC_DEBUG(LOG_TAG, "refused datagram: %s", why);
    else
        MRTC_DEBUG(LOG_TAG, "refused datagram: %s (attribute 0x%04x %s)", why, (unsigned)type,
                   mrtc_stun_attr_name((uint16_t)type));
    return MRTC_EPROTO;
}

/* (XOR-)MAPPED-ADDRESS family: 0x01 IPv4 (8 bytes), 0x02 IPv6 (20 bytes); RFC 8489 14.1/14.2.
 * The XOR variants mask the port with the cookie's top half and the address with the cookie
 * (IPv4) or cookie || transaction id (IPv6). */
static int decode_addr(const mrtc_stun_msg *msg, const uint8_t *v, size_t len, bool xored,
                       mrtc_addr *out)
{
    uint8_t mask[16];
    mrtc_store_u32(mask, MRTC_STUN_MAGIC);
    memcpy(mask + 4, msg->tid, MRTC_STUN_TID_LEN);

    memset(out, 0, sizeof *out);
    if (len < 4)
        return MRTC_EPROTO;
    uint8_t family = v[1]; /* v[0] is reserved and ignored */
    uint16_t port = mrtc_load_u16(v + 2);
    size_t ip_len;
    if (family == 0x01 && len == 8) {
        out->family = MRTC_AF_INET;
        ip_len = 4;
    } else if (family == 0x02 && len == 20) {
        out->family = MRTC_AF_INET6;
        ip_len = 16;
    } else {
        return MRTC_EPROTO;
    }
    out->port = xored ? (uint16_t)(port ^ (MRTC_STUN_MAGIC >> 16)) : port;
    for (size_t i = 0; i < ip_len; i++)
        out->ip[i] = xored ? (uint8_t)(v[4 + i] ^ mask[i]) : v[4 + i];
    return 0;
}

static void note_unknown(mrtc_stun_msg *msg, uint16_t type)
{
    for (int i = 0; i < msg->n_unknown; i++) {
        if (msg->unknown[i] == type)
            return;
    }
    if (msg->n_unknown < MRTC_STUN_MAX_UNKNOWN)
        msg->unknown[msg->n_unknown++] = type;
}

/* Validates one attribute before MESSAGE-INTEGRITY and fills its field. Only the first
 * occurrence of a type sets the field (RFC 8489 section 14: later duplicates may be ignored),
 * but every occurrence must be well formed. */
static int decode_attr(mrtc_stun_msg *msg, uint16_t type, const uint8_t *v, size_t len,
                       size_t offset)
{
    mrtc_addr addr;
    int err = 0;

    switch (type) {
    case MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
    case MRTC_STUN_ATTR_XOR_PEER_ADDRESS:
    case MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS:
    case MRTC_STUN_ATTR_MAPPED_ADDRESS:
        err = decode_addr(msg, v, len, type != MRTC_STUN_ATTR_MAPPED_ADDRESS, &addr);
        if (err)
            return refuse("bad address", type);
        if (type == MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS && !msg->has_xor_mapped) {
            msg->has_xor_mapped = true;
            msg->xor_mapped = addr;
        } else if (type == MRTC_STUN_ATTR_XOR_PEER_ADDRESS && !msg->has_xor_peer) {
            msg->has_xor_peer = true;
            msg->xor_peer = addr;
        } else if (type == MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS && !msg->has_xor_relayed) {
            msg->has_xor_relayed = true;
            msg->xor_relayed = addr;
        } else if (type == MRTC_STUN_ATTR_MAPPED_ADDRESS && !msg->has_mapped) {
            msg->has_mapped = true;
            msg->mapped = addr;
        }
        break;
    case MRTC_STUN_ATTR_USERNAME:
        if (len > MAX_TEXT_LEN)
            return refuse("USERNAME too long", type);
        if (!msg->username) {
            msg->username = (const char *)v;
            msg->username_len = len;
        }
        break;
    case MRTC_STUN_ATTR_REALM:
        if (len > MAX_TEXT_LEN)
            return refuse("REALM too long", type);
        if (!msg->realm) {
            msg->realm = (const char *)v;
            msg->realm_len = len;
        }
        break;
    case MRTC_STUN_ATTR_NONCE:
        if (len > MAX_TEXT_LEN)
            return refuse("NONCE too long", type);
        if (!msg->nonce) {
            msg->nonce = v;
            msg->nonce_len = len;
        }
        break;
    case MRTC_STUN_ATTR_SOFTWARE:
        if (len > MAX_TEXT_LEN)
            return refuse("SOFTWARE too long", type);
        break;
    case MRTC_STUN_ATTR_PRIORITY:
        if (len != 4)
            return refuse("bad length", type);
        if (!msg->has_priority) {
            msg->has_priority = true;
            msg->priority = mrtc_load_u32(v);
        }
        break;
    case MRTC_STUN_ATTR_USE_CANDIDATE:
        if (len != 0)
            return refuse("bad length", type);
        msg->use_candidate = true;
        break;
    case MRTC_STUN_ATTR_ICE_CONTROLLING:
    case MRTC_STUN_ATTR_ICE_CONTROLLED:
        if (len != 8)
            return refuse("bad length", type);
        /* Both in one message is for the ICE agent to judge; the first sets tiebreaker. */
        if (!msg->has_ice_controlling && !msg->has_ice_controlled)
            msg->tiebreaker = (uint64_t)mrtc_load_u32(v) << 32 | mrtc_load_u32(v + 4);
        if (type == MRTC_STUN_ATTR_ICE_CONTROLLING)
            msg->has_ice_controlling = true;
        else
            msg->has_ice_controlled = true;
        break;
    case MRTC_STUN_ATTR_ERROR_CODE: {
        if (len < 4 || len - 4 > MAX_TEXT_LEN)
            return refuse("bad length", type);
        /* 21 reserved bits, a 3-bit class (3..6) and an 8-bit number (0..99). */
        uint32_t w = mrtc_load_u32(v);
        unsigned cls = (w >> 8) & 0x7;
        unsigned num = w & 0xFF;
        if (cls < 3 || cls > 6 || num > 99)
            return refuse("bad error code", type);
        if (!msg->has_error) {
            msg->has_error = true;
            msg->error_code = (int)(cls * 100 + num);
            msg->reason = (const char *)v + 4;
            msg->reason_len = len - 4;
        }
        break;
    }
    case MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
        if (len & 1)
            return refuse("bad length", type);
        break;
    case MRTC_STUN_ATTR_LIFETIME:
        if (len != 4)
            return refuse("bad length", type);
        if (!msg->has_lifetime) {
            msg->has_lifetime = true;
            msg->lifetime = mrtc_load_u32(v);
        }
        break;
    case MRTC_STUN_ATTR_DATA:
        if (!msg->data) {
            msg->data = v;
            msg->data_len = len;
        }
        break;
    case MRTC_STUN_ATTR_CHANNEL_NUMBER:
        /* 16-bit channel number and 16 RFFU bits (RFC 8656 section 18.1). */
        if (len != 4)
            return refuse("bad length", type);
        if (!msg->has_channel) {
            msg->has_channel = true;
            msg->channel = mrtc_load_u16(v);
        }
        break;
    case MRTC_STUN_ATTR_REQUESTED_TRANSPORT:
    case MRTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
        if (len != 4)
            return refuse("bad length", type);
        break;
    case MRTC_STUN_ATTR_MESSAGE_INTEGRITY:
        if (len != INTEGRITY_LEN)
            return refuse("bad length", type);
        msg->has_integrity = true;
        msg->integrity_offset = offset;
        break;
    default:
        /* Comprehension-required (0x0000-0x7FFF) types we do not understand are reported;
         * comprehension-optional ones are simply skipped (RFC 8489 section 14). */
        if (type < 0x8000)
            note_unknown(msg, type);
        break;
    }
    return 0;
}

static int store_attr(mrtc_stun_msg *msg, uint16_t type, uint16_t len, const uint8_t *v)
{
    if (msg->n_attrs >= MRTC_STUN_MAX_ATTRS)
        return refuse("too many attributes", type);
    msg->attrs[msg->n_attrs++] = (mrtc_stun_attr){.type = type, .len = len, .value = v};
    return 0;
}

int mrtc_stun_decode(mrtc_stun_msg *msg, const uint8_t *data, size_t len)
{
    mrtc_rd r;
    int err = 0;

    memset(msg, 0, sizeof *msg);
    if (!mrtc_stun_is_stun(data, len))
        return refuse("not a STUN header", -1);

    mrtc_rd_init(&r, data, len);
    uint16_t type = mrtc_rd_u16(&r);
    mrtc_rd_skip(&r, 2 + 4); /* length and cookie, checked by mrtc_stun_is_stun() */
    const uint8_t *tid = mrtc_rd_bytes(&r, MRTC_STUN_TID_LEN);
    if (r.err || !tid)
        return refuse("short header", -1);
    msg->method = type_method(type);
    msg->cls = type_class(type);
    memcpy(msg->tid, tid, MRTC_STUN_TID_LEN);
    msg->raw = data;
    msg->raw_len = len;

    while (mrtc_rd_left(&r) > 0) {
        size_t offset = r.pos;
        uint16_t at = mrtc_rd_u16(&r);
        uint16_t alen = mrtc_rd_u16(&r);
        const uint8_t *v = mrtc_rd_bytes(&r, alen);
        mrtc_rd_skip(&r, pad4(alen));
        if (r.err)
            return refuse("attribute overruns the message", at);

        if (at == MRTC_STUN_ATTR_FINGERPRINT) {
            if (alen != 4)
                return refuse("bad length", at);
            if (r.pos != len)
                return refuse("FINGERPRINT is not the last attribute", at);
            uint32_t crc = crc32_ieee(data, offset) ^ FINGERPRINT_XOR;
            if (crc != mrtc_load_u32(v))
                return refuse("FINGERPRINT mismatch", at);
            err = store_attr(msg, at, alen, v);
            if (err)
                return err;
            msg->has_fingerprint = true;
            continue;
        }
        if (msg->has_integrity)
            continue; /* after MESSAGE-INTEGRITY: ignored (RFC 8489 section 14.5) */
        err = store_attr(msg, at, alen, v);
        if (err)
            return err;
        err = decode_attr(msg, at, v, alen, offset);
        if (err)
            return err;
    }
    return 0;
}

int mrtc_stun_check_integrity(const mrtc_stun_msg *msg, const uint8_t *key, size_t key_len)
{
    uint8_t hdr[MRTC_STUN_HEADER_LEN];
    uint8_t mac[INTEGRITY_LEN];
    size_t off = msg->integrity_offset;

    if (!key && key_len > 0)
        return MRTC_EINVAL;
    if (!msg->has_integrity)
        return MRTC_ENOTFOUND;
    if (!msg->raw || off < MRTC_STUN_HEADER_LEN || off + 4 + INTEGRITY_LEN > msg->raw_len)
        return MRTC_EAUTH; /* not a view produced by mrtc_stun_decode() */

    /* The HMAC covers the message up to MESSAGE-INTEGRITY, with the header length set as if
     * MESSAGE-INTEGRITY were the last attribute (RFC 8489 section 14.5). */
    memcpy(hdr, msg->raw, sizeof hdr);
    mrtc_store_u16(hdr + 2, (uint16_t)(off + 4 + INTEGRITY_LEN - MRTC_STUN_HEADER_LEN));
    if (hmac_sha1(key, key_len, hdr, sizeof hdr, msg->raw + MRTC_STUN_HEADER_LEN,
                  off - MRTC_STUN_HEADER_LEN, mac)) {
        MRTC_ERROR(LOG_TAG, "HMAC-SHA1 failed: treating MESSAGE-INTEGRITY as a mismatch");
        return MRTC_EAUTH;
    }
    if (CRYPTO_memcmp(mac, msg->raw + off + 4, INTEGRITY_LEN) != 0)
        return MRTC_EAUTH;
    return 0;
}

const mrtc_stun_attr *mrtc_stun_find(const mrtc_stun_msg *msg, uint16_t type)
{
    for (int i = 0; i < msg->n_attrs; i++) {
        if (msg->attrs[i].type == type)
            return &msg->attrs[i];
    }
    return NULL;
}

void mrtc_stun_long_term_key(const char *user, const char *realm, const char *pass, uint8_t key[16])
{
    const char *parts[5] = {user ? user : "", ":", realm ? realm : "", ":", pass ? pass : ""};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int out_len = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);

    for (int i = 0; ok && i < 5; i++)
        ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
    ok = ok && EVP_DigestFinal_ex(ctx, key, &out_len) && out_len == 16;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        MRTC_ERROR(LOG_TAG, "MD5 failed: long-term key left zeroed");
        memset(key, 0, 16);
    }
}

/* ---- Writer ---- */

static void fail(mrtc_stun_writer *w, int err)
{
    if (!w->err)
        w->err = err;
}

void mrtc_stun_writer_init(mrtc_stun_writer *w, uint8_t *buf, size_t cap, uint16_t method,
                           mrtc_stun_class cls, const uint8_t tid[MRTC_STUN_TID_LEN])
{
    *w = (mrtc_stun_writer){.buf = buf, .cap = buf ? cap : 0};
    if (method > 0x0FFF || (unsigned)cls > 3 || !tid) {
        fail(w, MRTC_EINVAL);
        return;
    }
    if (w->cap < MRTC_STUN_HEADER_LEN) {
        fail(w, MRTC_ENOBUFS);
        return;
    }
    mrtc_store_u16(buf, make_type(method, cls));
    mrtc_store_u16(buf + 2, 0);
    mrtc_store_u32(buf + 4, MRTC_STUN_MAGIC);
    memcpy(buf + 8, tid, MRTC_STUN_TID_LEN);
    w->len = MRTC_STUN_HEADER_LEN;
}

/* Appends an attribute header, zeroed padding, and updates the header length; returns where
 * the len value bytes go, or NULL (error recorded) if the attribute may not or cannot be
 * added. */
static uint8_t *begin_attr(mrtc_stun_writer *w, uint16_t type, size_t len)
{
    if (w->err)
        return NULL;
    if (w->has_fingerprint || (w->has_integrity && type != MRTC_STUN_ATTR_FINGERPRINT)) {
        fail(w, MRTC_EINVAL);
        return NULL;
    }
    if (len > MAX_BODY_LEN) {
        fail(w, MRTC_ETOOBIG);
        return NULL;
    }
    size_t total = 4 + len + pad4(len);
    size_t body = w->len - MRTC_STUN_HEADER_LEN;
    if (total > MAX_BODY_LEN - body) {
        fail(w, MRTC_ETOOBIG);
        return NULL;
    }
    if (total > w->cap - w->len) {
        fail(w, MRTC_ENOBUFS);
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    mrtc_store_u16(p, type);
    mrtc_store_u16(p + 2, (uint16_t)len);
    memset(p + 4 + len, 0, pad4(len));
    w->len += total;
    mrtc_store_u16(w->buf + 2, (uint16_t)(w->len - MRTC_STUN_HEADER_LEN));
    return p + 4;
}

void mrtc_stun_add_attr(mrtc_stun_writer *w, uint16_t type, const void *value, size_t len)
{
    if (!value && len > 0) {
        fail(w, MRTC_EINVAL);
        return;
    }
    uint8_t *p = begin_attr(w, type, len);
    if (p && len > 0)
        memcpy(p, value, len);
}

void mrtc_stun_add_u32(mrtc_stun_writer *w, uint16_t type, uint32_t v)
{
    uint8_t *p = begin_attr(w, type, 4);
    if (p)
        mrtc_store_u32(p, v);
}

void mrtc_stun_add_u64(mrtc_stun_writer *w, uint16_t type, uint64_t v)
{
    uint8_t *p = begin_attr(w, type, 8);
    if (p) {
        mrtc_store_u32(p, (uint32_t)(v >> 32));
        mrtc_store_u32(p + 4, (uint32_t)v);
    }
}

void mrtc_stun_add_flag(mrtc_stun_writer *w, uint16_t type)
{
    (void)begin_attr(w, type, 0);
}

void mrtc_stun_add_xor_addr(mrtc_stun_writer *w, uint16_t type, const mrtc_addr *a)
{
    size_t ip_len;
    uint8_t family;

    if (a && a->family == MRTC_AF_INET) {
        ip_len = 4;
        family = 0x01;
    } else if (a && a->family == MRTC_AF_INET6) {
        ip_len = 16;
        family = 0x02;
    } else {
        fail(w, MRTC_EINVAL);
        return;
    }
    uint8_t *p = begin_attr(w, type, 4 + ip_len);
    if (!p)
        return;
    /* The mask is the cookie followed by the transaction id, both already in the header. */
    const uint8_t *mask = w->buf + 4;
    p[0] = 0;
    p[1] = family;
    mrtc_store_u16(p + 2, (uint16_t)(a->port ^ (MRTC_STUN_MAGIC >> 16)));
    for (size_t i = 0; i < ip_len; i++)
        p[4 + i] = (uint8_t)(a->ip[i] ^ mask[i]);
}

void mrtc_stun_add_error(mrtc_stun_writer *w, int code, const char *reason)
{
    size_t rlen = reason ? strlen(reason) : 0;
    if (code < 300 || code > 699 || rlen > MAX_TEXT_LEN) {
        fail(w, MRTC_EINVAL);
        return;
    }
    uint8_t *p = begin_attr(w, MRTC_STUN_ATTR_ERROR_CODE, 4 + rlen);
    if (!p)
        return;
    p[0] = 0;
    p[1] = 0;
    p[2] = (uint8_t)(code / 100);
    p[3] = (uint8_t)(code % 100);
    if (rlen > 0)
        memcpy(p + 4, reason, rlen);
}

void mrtc_stun_add_unknown_attrs(mrtc_stun_writer *w, const uint16_t *types, int n)
{
    if (n < 0 || (n > 0 && !types) || (size_t)n > MAX_BODY_LEN / 2) {
        fail(w, MRTC_EINVAL);
        return;
    }
    uint8_t *p = begin_attr(w, MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, (size_t)n * 2);
    if (!p)
        return;
    for (int i = 0; i < n; i++)
        mrtc_store_u16(p + 2 * i, types[i]);
}

void mrtc_stun_add_integrity(mrtc_stun_writer *w, const uint8_t *key, size_t key_len)
{
    if (!key && key_len > 0) {
        fail(w, MRTC_EINVAL);
        return;
    }
    /* begin_attr() already sets the header length to end just after this attribute, which is
     * the length the HMAC must see (RFC 8489 section 14.5). */
    uint8_t *p = begin_attr(w, MRTC_STUN_ATTR_MESSAGE_INTEGRITY, INTEGRITY_LEN);
    if (!p)
        return;
    size_t covered = w->len - 4 - INTEGRITY_LEN;
    int err = hmac_sha1(key, key_len, w->buf, MRTC_STUN_HEADER_LEN, w->buf + MRTC_STUN_HEADER_LEN,
                        covered - MRTC_STUN_HEADER_LEN, p);
    if (err) {
        fail(w, err);
        return;
    }
    w->has_integrity = true;
}

void mrtc_stun_add_fingerprint(mrtc_stun_writer *w)
{
    uint8_t *p = begin_attr(w, MRTC_STUN_ATTR_FINGERPRINT, 4);
    if (!p)
        return;
    mrtc_store_u32(p, crc32_ieee(w->buf, w->len - 8) ^ FINGERPRINT_XOR);
    w->has_fingerprint = true;
}

int mrtc_stun_writer_finish(mrtc_stun_writer *w)
{
    if (w->err)
        return w->err;
    return (int)w->len;
}

/* ---- Names ---- */

const char *mrtc_stun_method_name(uint16_t method)
{
    switch (method) {
    case MRTC_STUN_BINDING:
        return "Binding";
    case MRTC_STUN_ALLOCATE:
        return "Allocate";
    case MRTC_STUN_REFRESH:
        return "Refresh";
    case MRTC_STUN_SEND:
        return "Send";
    case MRTC_STUN_DATA:
        return "Data";
    case MRTC_STUN_CREATE_PERMISSION:
        return "CreatePermission";
    case MRTC_STUN_CHANNEL_BIND:
        return "ChannelBind";
    default:
        return "unknown";
    }
}

const char *mrtc_stun_class_name(mrtc_stun_class cls)
{
    switch (cls) {
    case MRTC_STUN_REQUEST:
        return "request";
    case MRTC_STUN_INDICATION:
        return "indication";
    case MRTC_STUN_SUCCESS:
        return "success";
    case MRTC_STUN_ERROR:
        return "error";
    default:
        return "unknown";
    }
}

const char *mrtc_stun_attr_name(uint16_t type)
{
    switch (type) {
    case MRTC_STUN_ATTR_MAPPED_ADDRESS:
        return "MAPPED-ADDRESS";
    case MRTC_STUN_ATTR_USERNAME:
        return "USERNAME";
    case MRTC_STUN_ATTR_MESSAGE_INTEGRITY:
        return "MESSAGE-INTEGRITY";
    case MRTC_STUN_ATTR_ERROR_CODE:
        return "ERROR-CODE";
    case MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
        return "UNKNOWN-ATTRIBUTES";
    case MRTC_STUN_ATTR_CHANNEL_NUMBER:
        return "CHANNEL-NUMBER";
    case MRTC_STUN_ATTR_LIFETIME:
        return "LIFETIME";
    case MRTC_STUN_ATTR_XOR_PEER_ADDRESS:
        return "XOR-PEER-ADDRESS";
    case MRTC_STUN_ATTR_DATA:
        return "DATA";
    case MRTC_STUN_ATTR_REALM:
        return "REALM";
    case MRTC_STUN_ATTR_NONCE:
        return "NONCE";
    case MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS:
        return "XOR-RELAYED-ADDRESS";
    case MRTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
        return "REQUESTED-ADDRESS-FAMILY";
    case MRTC_STUN_ATTR_REQUESTED_TRANSPORT:
        return "REQUESTED-TRANSPORT";
    case MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
        return "XOR-MAPPED-ADDRESS";
    case MRTC_STUN_ATTR_PRIORITY:
        return "PRIORITY";
    case MRTC_STUN_ATTR_USE_CANDIDATE:
        return "USE-CANDIDATE";
    case MRTC_STUN_ATTR_SOFTWARE:
        return "SOFTWARE";
    case MRTC_STUN_ATTR_FINGERPRINT:
        return "FINGERPRINT";
    case MRTC_STUN_ATTR_ICE_CONTROLLED:
        return "ICE-CONTROLLED";
    case MRTC_STUN_ATTR_ICE_CONTROLLING:
        return "ICE-CONTROLLING";
    /* Recognised for logs only; not decoded. */
    case 0x0018:
        return "EVEN-PORT";
    case 0x001A:
        return "DONT-FRAGMENT";
    case 0x001C:
        return "MESSAGE-INTEGRITY-SHA256";
    case 0x001D:
        return "PASSWORD-ALGORITHM";
    case 0x001E:
        return "USERHASH";
    case 0x0022:
        return "RESERVATION-TOKEN";
    case 0x8000:
        return "ADDITIONAL-ADDRESS-FAMILY";
    case 0x8001:
        return "ADDRESS-ERROR-CODE";
    case 0x8002:
        return "PASSWORD-ALGORITHMS";
    case 0x8003:
        return "ALTERNATE-DOMAIN";
    case 0x8004:
        return "ICMP";
    case 0x8023:
        return "ALTERNATE-SERVER";
    case 0x802B:
        return "RESPONSE-ORIGIN";
    case 0x802C:
        return "OTHER-ADDRESS";
    case 0xC057:
        return "GOOG-NETWORK-INFO";
    default:
        return "unknown";
    }
}
