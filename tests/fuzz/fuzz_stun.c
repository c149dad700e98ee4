/* libFuzzer target for ice/stun.c. Decodes the input; when it decodes, checks
 * MESSAGE-INTEGRITY with a fixed key (the answer must be one of the documented codes), then
 * re-encodes a message from the decoded fields with the writer, decodes that again and
 * requires the same fields back. Any mismatch aborts, so libFuzzer reports it. */
#include "core/util/addr.h"
#include "core/util/buf.h"
#include "ice/stun.h"
#include "meshrtc/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[] = "VOkJxbRl1RmTxUk/WvJxBt";
#define FUZZ_KEY_LEN (sizeof fuzz_key - 1)

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_stun: %s\n", what);
        abort();
    }
}

static int same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
    if (an != bn)
        return 0;
    if (an == 0)
        return 1;
    return a && b && memcmp(a, b, an) == 0;
}

static void add_plain_addr(mrtc_stun_writer *w, const mrtc_addr *a)
{
    uint8_t v[20] = {0};
    size_t n = a->family == MRTC_AF_INET ? 8 : 20;
    v[1] = a->family == MRTC_AF_INET ? 1 : 2;
    mrtc_store_u16(v + 2, a->port);
    memcpy(v + 4, a->ip, n - 4);
    mrtc_stun_add_attr(w, MRTC_STUN_ATTR_MAPPED_ADDRESS, v, n);
}

static void reencode(const mrtc_stun_msg *m)
{
    static uint8_t out[MRTC_STUN_HEADER_LEN + 0x10000];
    char reason[764];
    mrtc_stun_writer w;
    mrtc_stun_msg r;

    mrtc_stun_writer_init(&w, out, sizeof out, m->method, m->cls, m->tid);
    if (m->has_xor_mapped)
        mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, &m->xor_mapped);
    if (m->has_mapped)
        add_plain_addr(&w, &m->mapped);
    if (m->has_xor_relayed)
        mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_RELAYED_ADDRESS, &m->xor_relayed);
    if (m->has_xor_peer)
        mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_PEER_ADDRESS, &m->xor_peer);
    if (m->username)
        mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, m->username, m->username_len);
    if (m->realm)
        mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_REALM, m->realm, m->realm_len);
    if (m->nonce)
        mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_NONCE, m->nonce, m->nonce_len);
    if (m->has_priority)
        mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, m->priority);
    if (m->use_candidate)
        mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    if (m->has_ice_controlling)
        mrtc_stun_add_u64(&w, MRTC_STUN_ATTR_ICE_CONTROLLING, m->tiebreaker);
    if (m->has_ice_controlled)
        mrtc_stun_add_u64(&w, MRTC_STUN_ATTR_ICE_CONTROLLED, m->tiebreaker);
    if (m->has_error) {
        require(m->reason_len < sizeof reason, "reason longer than 763 bytes was accepted");
        memcpy(reason, m->reason, m->reason_len);
        reason[m->reason_len] = '\0'; /* an embedded NUL shortens it: compared below */
        mrtc_stun_add_error(&w, m->error_code, reason);
    }
    if (m->n_unknown > 0)
        mrtc_stun_add_unknown_attrs(&w, m->unknown, m->n_unknown);
    if (m->has_lifetime)
        mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_LIFETIME, m->lifetime);
    if (m->data)
        mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_DATA, m->data, m->data_len);
    if (m->has_channel)
        mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_CHANNEL_NUMBER, (uint32_t)m->channel << 16);
    if (m->has_integrity)
        mrtc_stun_add_integrity(&w, fuzz_key, FUZZ_KEY_LEN);
    if (m->has_fingerprint)
        mrtc_stun_add_fingerprint(&w);

    int n = mrtc_stun_writer_finish(&w);
    if (n < 0) {
        /* Only a message already near the 64 KiB limit may grow past it (UNKNOWN-ATTRIBUTES
         * can take more room than the unknown attributes it lists). */
        require(n == MRTC_ETOOBIG && m->raw_len > 0xF000, "writer failed on decoded fields");
        return;
    }
    require(mrtc_stun_decode(&r, out, (size_t)n) == 0, "re-encoded message does not decode");

    require(r.method == m->method && r.cls == m->cls, "method/class changed");
    require(memcmp(r.tid, m->tid, MRTC_STUN_TID_LEN) == 0, "transaction id changed");
    require(r.has_xor_mapped == m->has_xor_mapped &&
                (!m->has_xor_mapped || mrtc_addr_eq(&r.xor_mapped, &m->xor_mapped)),
            "XOR-MAPPED-ADDRESS changed");
    require(r.has_mapped == m->has_mapped &&
                (!m->has_mapped || mrtc_addr_eq(&r.mapped, &m->mapped)),
            "MAPPED-ADDRESS changed");
    require(r.has_xor_relayed == m->has_xor_relayed &&
                (!m->has_xor_relayed || mrtc_addr_eq(&r.xor_relayed, &m->xor_relayed)),
            "XOR-RELAYED-ADDRESS changed");
    require(r.has_xor_peer == m->has_xor_peer &&
                (!m->has_xor_peer || mrtc_addr_eq(&r.xor_peer, &m->xor_peer)),
            "XOR-PEER-ADDRESS changed");
    require((r.username != NULL) == (m->username != NULL) &&
                same_bytes(r.username, r.username_len, m->username, m->username_len),
            "USERNAME changed");
    require((r.realm != NULL) == (m->realm != NULL) &&
                same_bytes(r.realm, r.realm_len, m->realm, m->realm_len),
            "REALM changed");
    require((r.nonce != NULL) == (m->nonce != NULL) &&
                same_bytes(r.nonce, r.nonce_len, m->nonce, m->nonce_len),
            "NONCE changed");
    require(r.has_priority == m->has_priority && r.priority == m->priority, "PRIORITY changed");
    require(r.use_candidate == m->use_candidate, "USE-CANDIDATE changed");
    require(r.has_ice_controlling == m->has_ice_controlling &&
                r.has_ice_controlled == m->has_ice_controlled && r.tiebreaker == m->tiebreaker,
            "ICE-CONTROLLING/ICE-CONTROLLED changed");
    require(r.has_error == m->has_error && r.error_code == m->error_code, "ERROR-CODE changed");
    if (m->has_error) {
        size_t rl = strlen(reason);
        require(same_bytes(r.reason, r.reason_len, reason, rl), "reason changed");
    }
    require(r.has_lifetime == m->has_lifetime && r.lifetime == m->lifetime, "LIFETIME changed");
    require((r.data != NULL) == (m->data != NULL) &&
                same_bytes(r.data, r.data_len, m->data, m->data_len),
            "DATA changed");
    require(r.has_channel == m->has_channel && r.channel == m->channel, "CHANNEL-NUMBER changed");
    require(r.n_unknown == 0, "re-encoded message has unknown attributes");
    if (m->n_unknown > 0) {
        const mrtc_stun_attr *ua = mrtc_stun_find(&r, MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES);
        require(ua && ua->len == 2 * m->n_unknown, "UNKNOWN-ATTRIBUTES missing");
        for (int i = 0; i < m->n_unknown; i++)
            require(mrtc_load_u16(ua->value + 2 * i) == m->unknown[i],
                    "UNKNOWN-ATTRIBUTES changed");
    }
    require(r.has_integrity == m->has_integrity, "MESSAGE-INTEGRITY presence changed");
    require(r.has_fingerprint == m->has_fingerprint, "FINGERPRINT presence changed");
    if (r.has_integrity)
        require(mrtc_stun_check_integrity(&r, fuzz_key, FUZZ_KEY_LEN) == 0,
                "re-encoded MESSAGE-INTEGRITY does not verify");
}

/* Bitwise CRC-32 (IEEE), independent of the table-driven one under test. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void one_input(const uint8_t *data, size_t size);

/* Mutations almost never keep the length field and the CRC right, which would stop most
 * inputs at the header or the FINGERPRINT. So each input is decoded as given and, when it
 * is long enough, once more as a copy with the length field set to match and a trailing
 * FINGERPRINT recomputed: that copy reaches the attribute decoders. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t fixed[MRTC_STUN_HEADER_LEN + 0x10000];

    one_input(data, size);
    if (size < MRTC_STUN_HEADER_LEN + 8 || size % 4 != 0 || size > sizeof fixed)
        return 0;
    memcpy(fixed, data, size);
    fixed[0] &= 0x3F;
    mrtc_store_u16(fixed + 2, (uint16_t)(size - MRTC_STUN_HEADER_LEN));
    mrtc_store_u32(fixed + 4, MRTC_STUN_MAGIC);
    uint8_t *fp = fixed + size - 8;
    if (mrtc_load_u16(fp) == MRTC_STUN_ATTR_FINGERPRINT && mrtc_load_u16(fp + 2) == 4)
        mrtc_store_u32(fp + 4, crc32_bitwise(fixed, size - 8) ^ 0x5354554eu);
    if (memcmp(fixed, data, size) != 0)
        one_input(fixed, size);
    return 0;
}

static void one_input(const uint8_t *data, size_t size)
{
    mrtc_stun_msg m;
    bool is_stun = mrtc_stun_is_stun(data, size);
    int err = mrtc_stun_decode(&m, data, size);
    require(err == 0 || err == MRTC_EPROTO, "decode returned an undocumented code");
    if (err)
        return;
    require(is_stun, "decoded a datagram that mrtc_stun_is_stun() rejects");
    require(m.n_attrs >= 0 && m.n_attrs <= MRTC_STUN_MAX_ATTRS, "n_attrs out of range");
    require(m.n_unknown >= 0 && m.n_unknown <= MRTC_STUN_MAX_UNKNOWN, "n_unknown out of range");
    for (int i = 0; i < m.n_attrs; i++) {
        const mrtc_stun_attr *a = &m.attrs[i];
        require(a->value >= data && a->value + a->len <= data + size, "attribute out of bounds");
    }
    if (m.has_error)
        require(m.error_code >= 300 && m.error_code <= 699, "error code out of range");

    int ierr = mrtc_stun_check_integrity(&m, fuzz_key, FUZZ_KEY_LEN);
    require(m.has_integrity ? (ierr == 0 || ierr == MRTC_EAUTH) : ierr == MRTC_ENOTFOUND,
            "check_integrity returned an unexpected code");

    reencode(&m);
}
