/*
 * RTP retransmission (RFC 4588) for generic NACKs (RFC 4585 section 6.2.1): a per-sender
 * history of the plaintext packets sent, and the RTX packet format of RFC 4588 section 4 in
 * both directions. An RTX packet carries the original packet's header with the RTX payload
 * type, SSRC and sequence number, and a payload made of the original sequence number (OSN,
 * 2 bytes) and the original payload. The header extension block is copied byte for byte, so
 * the MID and any other element survive (the caller rewrites transport-wide-cc or
 * abs-send-time when it wants fresh values); padding is dropped in both directions.
 *
 * The history is a ring in insertion order bounded by count, bytes and age; each packet is
 * one allocation. A NACK for a packet resent less than min_interval (the RTT) ago is
 * refused, so one loss reported by several NACKs costs one retransmission per round trip.
 *
 * Deliberately not done here: parsing NACKs (rtp/rtcp.c), SRTP protection of the RTX packet
 * (the caller protects it with the RTX SSRC's context), RTX sequence number state beyond the
 * caller's counter, and bandwidth limits on retransmissions (the owner's pacer decides).
 */
#include "rtp/rtx.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"
#include "rtp/rtp.h"

#include <string.h>

typedef struct entry {
    uint8_t *data; /* NULL: a dead slot (its packet was replaced by a newer copy) */
    size_t len;
    uint16_t seq;
    bool resent;
    mrtc_time stored_at;
    mrtc_time resent_at;
} entry;

struct mrtc_rtx_history {
    mrtc_rtx_history_config cfg;
    entry *ring;  /* cfg.max_packets slots */
    size_t head;  /* index of the oldest slot */
    size_t count; /* slots in use, dead ones included */
    size_t live;  /* slots holding a packet */
    size_t bytes; /* bytes of the packets held */
    mrtc_rtx_stats stats;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void mrtc_rtx_history_config_init(mrtc_rtx_history_config *cfg)
{
    cfg->max_packets = MRTC_RTX_DEFAULT_MAX_PACKETS;
    cfg->max_age = MRTC_RTX_DEFAULT_MAX_AGE;
    cfg->max_bytes = MRTC_RTX_DEFAULT_MAX_BYTES;
}

int mrtc_rtx_history_new(const mrtc_rtx_history_config *cfg, mrtc_rtx_history **out)
{
    mrtc_rtx_history_config def;
    mrtc_rtx_history *h = NULL;
    int err = 0;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cfg) {
        mrtc_rtx_history_config_init(&def);
        cfg = &def;
    }
    if (cfg->max_packets < 1 || cfg->max_packets > MRTC_RTX_MAX_PACKETS || cfg->max_age == 0 ||
        cfg->max_bytes == 0) {
        err = MRTC_EINVAL;
        goto out;
    }
    h = mrtc_calloc(1, sizeof *h);
    if (!h) {
        err = MRTC_ENOMEM;
        goto out;
    }
    h->cfg = *cfg;
    h->ring = mrtc_calloc(cfg->max_packets, sizeof *h->ring);
    if (!h->ring) {
        err = MRTC_ENOMEM;
        goto out;
    }
    *out = h;
    h = NULL;
out:
    mrtc_rtx_history_free(h);
    return err;
}

static entry *slot(const mrtc_rtx_history *h, size_t i)
{
    return &h->ring[(h->head + i) % h->cfg.max_packets];
}

static void drop_packet(mrtc_rtx_history *h, entry *e)
{
    if (!e->data)
        return;
    h->bytes -= e->len;
    h->live--;
    mrtc_free(e->data);
    e->data = NULL;
    e->len = 0;
}

static void pop_oldest(mrtc_rtx_history *h)
{
    drop_packet(h, slot(h, 0));
    h->head = (h->head + 1) % h->cfg.max_packets;
    h->count--;
}

void mrtc_rtx_history_free(mrtc_rtx_history *h)
{
    if (!h)
        return;
    if (h->ring)
        while (h->count > 0)
            pop_oldest(h);
    mrtc_free(h->ring);
    mrtc_free(h);
}

static bool too_old(const mrtc_rtx_history *h, const entry *e, mrtc_time now)
{
    return now > e->stored_at && now - e->stored_at > h->cfg.max_age;
}

void mrtc_rtx_history_expire(mrtc_rtx_history *h, mrtc_time now)
{
    while (h->count > 0) {
        entry *e = slot(h, 0);
        if (e->data && !too_old(h, e, now))
            break;
        pop_oldest(h);
    }
}

/* The live slot holding seq, or NULL. Sequence numbers are usually consecutive, so the slot
 * at the distance from the newest packet is tried first; otherwise every slot, newest
 * first. */
static entry *find(mrtc_rtx_history *h, uint16_t seq)
{
    if (h->count == 0)
        return NULL;
    entry *newest = slot(h, h->count - 1);
    if (newest->data) {
        int32_t d = mrtc_rtp_seq_diff(newest->seq, seq);
        if (d >= 0 && (size_t)d < h->count) {
            entry *e = slot(h, h->count - 1 - (size_t)d);
            if (e->data && e->seq == seq)
                return e;
        }
    }
    for (size_t i = h->count; i-- > 0;) {
        entry *e = slot(h, i);
        if (e->data && e->seq == seq)
            return e;
    }
    return NULL;
}

int mrtc_rtx_history_put(mrtc_rtx_history *h, mrtc_time now, const uint8_t *pkt, size_t len)
{
    mrtc_rtp_packet p;
    int err;

    if (!h || !pkt)
        return MRTC_EINVAL;
    err = mrtc_rtp_parse(&p, pkt, len);
    if (err)
        return err;
    if (len > h->cfg.max_bytes)
        return MRTC_ETOOBIG;
    mrtc_rtx_history_expire(h, now);
    uint8_t *copy = mrtc_memdup(pkt, len);
    if (!copy)
        return MRTC_ENOMEM;
    entry *old = find(h, p.seq);
    if (old)
        drop_packet(h, old);
    while (h->count > 0 && (h->count == h->cfg.max_packets || h->bytes + len > h->cfg.max_bytes))
        pop_oldest(h);
    entry *e = slot(h, h->count);
    *e = (entry){.data = copy, .len = len, .seq = p.seq, .stored_at = now};
    h->count++;
    h->live++;
    h->bytes += len;
    h->stats.stored++;
    return 0;
}

int mrtc_rtx_history_build_rtx(mrtc_rtx_history *h, mrtc_time now, uint16_t seq, uint8_t rtx_pt,
                               uint32_t rtx_ssrc, uint16_t *rtx_seq, mrtc_time min_interval,
                               uint8_t *out, size_t cap)
{
    mrtc_rtp_packet p;

    if (!h || !rtx_seq || !out || rtx_pt > 127)
        return MRTC_EINVAL;
    entry *e = find(h, seq);
    if (!e || too_old(h, e, now)) {
        h->stats.not_found++;
        return MRTC_ENOTFOUND;
    }
    if (e->resent && min_interval > 0 && now >= e->resent_at && now - e->resent_at < min_interval) {
        h->stats.throttled++;
        return MRTC_EAGAIN;
    }
    if (mrtc_rtp_parse(&p, e->data, e->len) != 0)
        return MRTC_EPROTO; /* cannot happen: checked by put */
    size_t n = p.header_len + MRTC_RTX_OSN_LEN + p.payload_len;
    if (n > cap || n > INT32_MAX)
        return MRTC_ENOBUFS;
    memcpy(out, e->data, p.header_len);
    out[0] &= (uint8_t)~0x20u; /* no padding */
    out[1] = (uint8_t)((out[1] & 0x80u) | rtx_pt);
    put16(out + 2, *rtx_seq);
    put32(out + 8, rtx_ssrc);
    put16(out + p.header_len, p.seq);
    if (p.payload_len > 0)
        memcpy(out + p.header_len + MRTC_RTX_OSN_LEN, p.payload, p.payload_len);
    (*rtx_seq)++;
    e->resent = true;
    e->resent_at = now;
    h->stats.resent++;
    h->stats.resent_bytes += n;
    return (int)n;
}

void mrtc_rtx_history_size(const mrtc_rtx_history *h, size_t *packets, size_t *bytes)
{
    if (packets)
        *packets = h->live;
    if (bytes)
        *bytes = h->bytes;
}

void mrtc_rtx_history_get_stats(const mrtc_rtx_history *h, mrtc_rtx_stats *out)
{
    *out = h->stats;
}

int mrtc_rtx_unwrap(const uint8_t *rtx_pkt, size_t len, uint8_t apt, uint32_t media_ssrc,
                    uint8_t *out, size_t cap)
{
    mrtc_rtp_packet p;
    int err;

    if (!rtx_pkt || !out || apt > 127)
        return MRTC_EINVAL;
    err = mrtc_rtp_parse(&p, rtx_pkt, len);
    if (err)
        return err;
    if (p.payload_len < MRTC_RTX_OSN_LEN)
        return MRTC_EPROTO;
    size_t body = p.payload_len - MRTC_RTX_OSN_LEN;
    size_t n = p.header_len + body;
    if (n > cap || n > INT32_MAX)
        return MRTC_ENOBUFS;
    uint16_t osn = (uint16_t)(p.payload[0] << 8 | p.payload[1]);
    memmove(out, rtx_pkt, p.header_len); /* out may be rtx_pkt itself */
    out[0] &= (uint8_t)~0x20u;
    out[1] = (uint8_t)((out[1] & 0x80u) | apt);
    put16(out + 2, osn);
    put32(out + 8, media_ssrc);
    if (body > 0)
        memmove(out + p.header_len, p.payload + MRTC_RTX_OSN_LEN, body);
    return (int)n;
}
