/*
 * The VP8 RTP payload format of RFC 7741: the payload descriptor of section 4.2 (X, N, S,
 * PID and the I/L/T/K extensions with 7- or 15-bit PictureIDs), a packetizer following
 * section 4.1 and 5 (the frame sent as one partition, S=1 on its first packet, the marker
 * on its last), and a frame assembler following section 4.5: packets are grouped by
 * timestamp, a frame is complete when its packets from the S=1 PID=0 start to the marker
 * are all present, and the VP8 payload header of section 4.3 (the frame tag's P bit, and for
 * key frames the start code and dimensions of RFC 6386 section 9.1) is read from the result.
 *
 * Network input never trips an assertion: malformed descriptors and frame headers return
 * MRTC_EPROTO. The assembler's memory is bounded by its config.
 *
 * Deliberately not done here: splitting frames along VP8 partition boundaries (the
 * packetizer sends one partition, which every receiver accepts), waiting for reordered
 * packets of an older frame once a newer one completes (a jitter buffer in front does
 * that), temporal layer filtering by TID, and sending NACK/PLI (the owner does, from the
 * reported gaps and non-continuous frames).
 */
#include "rtp/vp8.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"
#include "rtp/rtp.h"

#include <string.h>

#define LOG_TAG "vp8"

/* A packet at most this far behind the last emitted frame is late and ignored; further
 * behind, the sender is taken to have restarted its sequence numbers. */
#define LATE_WINDOW 0x2000

static int refuse(const char *why)
{
    MRTC_DEBUG(LOG_TAG, "refused VP8 payload: %s", why);
    return MRTC_EPROTO;
}

/* ---- Payload descriptor ---- */

void mrtc_vp8_desc_init(mrtc_vp8_desc *d)
{
    memset(d, 0, sizeof *d);
}

int mrtc_vp8_desc_parse(mrtc_vp8_desc *d, const uint8_t *data, size_t len)
{
    size_t pos = 0;

    if (!d || !data)
        return MRTC_EINVAL;
    mrtc_vp8_desc_init(d);
    if (len < 1)
        return refuse("empty payload");
    uint8_t b = data[pos++];
    d->non_reference = (b & 0x20) != 0;
    d->start = (b & 0x10) != 0;
    d->pid = b & 0x07;
    if (b & 0x80) {
        if (pos >= len)
            return refuse("X byte missing");
        uint8_t x = data[pos++];
        d->has_picture_id = (x & 0x80) != 0;
        d->has_tl0picidx = (x & 0x40) != 0;
        d->has_tid = (x & 0x20) != 0;
        d->has_keyidx = (x & 0x10) != 0;
        if (d->has_picture_id) {
            if (pos >= len)
                return refuse("PictureID missing");
            uint8_t p0 = data[pos++];
            if (p0 & 0x80) {
                if (pos >= len)
                    return refuse("15-bit PictureID truncated");
                d->picture_id_long = true;
                d->picture_id = (uint16_t)((p0 & 0x7F) << 8 | data[pos++]);
            } else {
                d->picture_id = p0;
            }
        }
        if (d->has_tl0picidx) {
            if (pos >= len)
                return refuse("TL0PICIDX missing");
            d->tl0picidx = data[pos++];
        }
        if (d->has_tid || d->has_keyidx) {
            if (pos >= len)
                return refuse("TID/KEYIDX byte missing");
            uint8_t t = data[pos++];
            if (d->has_tid) {
                d->tid = t >> 6;
                d->layer_sync = (t & 0x20) != 0;
            }
            if (d->has_keyidx)
                d->keyidx = t & 0x1F;
        }
    }
    if (pos >= len)
        return refuse("no VP8 payload after the descriptor");
    return (int)pos;
}

int mrtc_vp8_desc_len(const mrtc_vp8_desc *d)
{
    if (!d || d->pid > 7 || d->tid > 3 || d->keyidx > 31)
        return MRTC_EINVAL;
    if (d->has_picture_id && d->picture_id > (d->picture_id_long ? 0x7FFF : 0x7F))
        return MRTC_EINVAL;
    int n = 1;
    if (d->has_picture_id || d->has_tl0picidx || d->has_tid || d->has_keyidx)
        n++;
    if (d->has_picture_id)
        n += d->picture_id_long ? 2 : 1;
    if (d->has_tl0picidx)
        n++;
    if (d->has_tid || d->has_keyidx)
        n++;
    return n;
}

int mrtc_vp8_desc_write(const mrtc_vp8_desc *d, uint8_t *out, size_t cap)
{
    int n = mrtc_vp8_desc_len(d);
    size_t pos = 0;

    if (n < 0)
        return n;
    if (!out || cap < (size_t)n)
        return MRTC_ENOBUFS;
    bool x = n > 1;
    out[pos++] =
        (uint8_t)((x ? 0x80 : 0) | (d->non_reference ? 0x20 : 0) | (d->start ? 0x10 : 0) | d->pid);
    if (x)
        out[pos++] = (uint8_t)((d->has_picture_id ? 0x80 : 0) | (d->has_tl0picidx ? 0x40 : 0) |
                               (d->has_tid ? 0x20 : 0) | (d->has_keyidx ? 0x10 : 0));
    if (d->has_picture_id) {
        if (d->picture_id_long) {
            out[pos++] = (uint8_t)(0x80 | d->picture_id >> 8);
            out[pos++] = (uint8_t)d->picture_id;
        } else {
            out[pos++] = (uint8_t)d->picture_id;
        }
    }
    if (d->has_tl0picidx)
        out[pos++] = d->tl0picidx;
    if (d->has_tid || d->has_keyidx) {
        uint8_t t = 0;
        if (d->has_tid)
            t |= (uint8_t)(d->tid << 6 | (d->layer_sync ? 0x20 : 0));
        if (d->has_keyidx)
            t |= d->keyidx;
        out[pos++] = t;
    }
    return (int)pos;
}

/* ---- Packetizer ---- */

void mrtc_vp8_packetizer_init(mrtc_vp8_packetizer *p, uint16_t first_picture_id,
                              bool picture_id_short)
{
    memset(p, 0, sizeof *p);
    p->picture_id_short = picture_id_short;
    p->picture_id = (uint16_t)(first_picture_id & (picture_id_short ? 0x7F : 0x7FFF));
}

static void packetizer_desc(const mrtc_vp8_packetizer *p, mrtc_vp8_desc *d, bool start)
{
    mrtc_vp8_desc_init(d);
    d->start = start;
    d->has_picture_id = true;
    d->picture_id_long = !p->picture_id_short;
    d->picture_id = p->picture_id;
    if (p->layers) {
        d->has_tid = true;
        d->tid = p->tid;
        d->layer_sync = p->layer_sync;
        d->has_tl0picidx = true;
        d->tl0picidx = p->tl0picidx;
    }
}

void mrtc_vp8_packetizer_set_layer(mrtc_vp8_packetizer *p, uint8_t tid, bool layer_sync,
                                   uint8_t tl0picidx)
{
    p->layers = true;
    p->tid = tid & 3;
    p->layer_sync = layer_sync;
    p->tl0picidx = tl0picidx;
}

int mrtc_vp8_packetizer_frame(mrtc_vp8_packetizer *p, const uint8_t *frame, size_t len,
                              size_t max_payload)
{
    mrtc_vp8_desc d;

    if (!p || !frame || len == 0)
        return MRTC_EINVAL;
    if (p->active) /* abandoned frame: its PictureID is used up */
        p->picture_id = (uint16_t)((p->picture_id + 1) & (p->picture_id_short ? 0x7F : 0x7FFF));
    p->active = false;
    packetizer_desc(p, &d, true);
    size_t dlen = (size_t)mrtc_vp8_desc_len(&d);
    if (max_payload <= dlen)
        return MRTC_EINVAL;
    size_t room = max_payload - dlen;
    size_t n = (len + room - 1) / room;
    if (n > 0x7FFFFFFF)
        return MRTC_EINVAL;
    p->frame = frame;
    p->len = len;
    p->off = 0;
    p->index = 0;
    p->chunk = len / n;
    p->extra = len % n; /* the first `extra` payloads carry chunk + 1 bytes */
    p->active = true;
    return (int)n;
}

int mrtc_vp8_packetizer_next(mrtc_vp8_packetizer *p, uint8_t *out, size_t cap, bool *marker)
{
    mrtc_vp8_desc d;

    if (!p || !marker)
        return MRTC_EINVAL;
    *marker = false;
    if (!p->active)
        return 0;
    size_t take = p->chunk + (p->index < p->extra ? 1 : 0);
    packetizer_desc(p, &d, p->off == 0);
    int dlen = mrtc_vp8_desc_write(&d, out, cap);
    if (dlen < 0)
        return dlen;
    if (cap - (size_t)dlen < take)
        return MRTC_ENOBUFS;
    memcpy(out + dlen, p->frame + p->off, take);
    p->off += take;
    p->index++;
    if (p->off == p->len) {
        *marker = true;
        p->active = false;
        p->frame = NULL;
        p->picture_id = (uint16_t)((p->picture_id + 1) & (p->picture_id_short ? 0x7F : 0x7FFF));
    }
    return dlen + (int)take;
}

/* ---- Frame header (RFC 7741 section 4.3, RFC 6386 section 9.1) ---- */

int mrtc_vp8_parse_frame_header(const uint8_t *data, size_t len, mrtc_vp8_frame *f)
{
    if (!data || !f)
        return MRTC_EINVAL;
    f->keyframe = false;
    f->width = f->height = 0;
    f->hscale = f->vscale = 0;
    if (len < 3)
        return refuse("VP8 frame shorter than its 3-byte tag");
    if (data[0] & 0x01)
        return 0; /* P = 1: interframe */
    if (len < 10)
        return refuse("key frame shorter than its 10-byte header");
    if (data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a)
        return refuse("key frame start code is not 9d 01 2a");
    uint16_t w = (uint16_t)(data[6] | data[7] << 8);
    uint16_t h = (uint16_t)(data[8] | data[9] << 8);
    f->keyframe = true;
    f->width = w & 0x3FFF;
    f->hscale = (uint8_t)(w >> 14);
    f->height = h & 0x3FFF;
    f->vscale = (uint8_t)(h >> 14);
    return 0;
}

/* ---- Frame assembler ---- */

typedef struct slot {
    bool used;
    bool marker;
    uint16_t seq;
    uint32_t ts;
    mrtc_vp8_desc desc;
    uint8_t *data; /* VP8 bytes after the descriptor */
    size_t len;
} slot;

struct mrtc_vp8_assembler {
    mrtc_vp8_assembler_config cfg;
    slot *slots;   /* cfg.max_packets entries */
    size_t *order; /* scratch: slot index by position in a frame */
    size_t n_used;
    uint8_t *frame; /* the last emitted frame */
    size_t frame_cap;
    bool have_highest;
    uint16_t highest; /* highest sequence number seen */
    bool have_emitted;
    uint16_t last_emitted; /* last sequence number of the last emitted frame */
};

void mrtc_vp8_assembler_config_init(mrtc_vp8_assembler_config *cfg)
{
    cfg->max_frame_bytes = MRTC_VP8_DEFAULT_MAX_FRAME;
    cfg->max_packets = MRTC_VP8_DEFAULT_MAX_PACKETS;
}

mrtc_vp8_assembler *mrtc_vp8_assembler_new(const mrtc_vp8_assembler_config *cfg)
{
    mrtc_vp8_assembler_config def;
    mrtc_vp8_assembler *a = NULL;

    if (!cfg) {
        mrtc_vp8_assembler_config_init(&def);
        cfg = &def;
    }
    if (cfg->max_packets < 1 || cfg->max_packets > 32768 || cfg->max_frame_bytes < 1)
        return NULL;
    a = mrtc_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = *cfg;
    a->slots = mrtc_calloc(cfg->max_packets, sizeof *a->slots);
    a->order = mrtc_calloc(cfg->max_packets, sizeof *a->order);
    if (!a->slots || !a->order) {
        mrtc_vp8_assembler_free(a);
        return NULL;
    }
    return a;
}

static void slot_clear(mrtc_vp8_assembler *a, slot *s)
{
    mrtc_free(s->data);
    memset(s, 0, sizeof *s);
    a->n_used--;
}

void mrtc_vp8_assembler_free(mrtc_vp8_assembler *a)
{
    if (!a)
        return;
    if (a->slots)
        for (size_t i = 0; i < a->cfg.max_packets; i++)
            mrtc_free(a->slots[i].data);
    mrtc_free(a->slots);
    mrtc_free(a->order);
    mrtc_free(a->frame);
    mrtc_free(a);
}

size_t mrtc_vp8_assembler_pending(const mrtc_vp8_assembler *a)
{
    return a ? a->n_used : 0;
}

/* Drops every pending packet of timestamp ts. */
static void drop_ts(mrtc_vp8_assembler *a, uint32_t ts)
{
    for (size_t i = 0; i < a->cfg.max_packets; i++)
        if (a->slots[i].used && a->slots[i].ts == ts)
            slot_clear(a, &a->slots[i]);
}

/* Drops pending packets with a sequence number older than seq; returns how many distinct
 * frames (timestamps) lost packets. */
static uint32_t drop_older(mrtc_vp8_assembler *a, uint16_t seq)
{
    uint32_t frames = 0;
    for (size_t i = 0; i < a->cfg.max_packets; i++) {
        slot *s = &a->slots[i];
        if (!s->used || !mrtc_rtp_seq_newer(seq, s->seq))
            continue;
        uint32_t ts = s->ts;
        for (size_t j = i; j < a->cfg.max_packets; j++) {
            slot *o = &a->slots[j];
            if (o->used && o->ts == ts && mrtc_rtp_seq_newer(seq, o->seq))
                slot_clear(a, o);
        }
        frames++;
    }
    return frames;
}

/* Evicts the frame of the oldest pending packet whose timestamp differs from keep_ts.
 * Returns false when there is none. */
static bool evict_oldest(mrtc_vp8_assembler *a, uint32_t keep_ts)
{
    slot *oldest = NULL;
    for (size_t i = 0; i < a->cfg.max_packets; i++) {
        slot *s = &a->slots[i];
        if (s->used && s->ts != keep_ts && (!oldest || mrtc_rtp_seq_newer(oldest->seq, s->seq)))
            oldest = s;
    }
    if (!oldest)
        return false;
    drop_ts(a, oldest->ts);
    return true;
}

/* Tries to complete the frame of timestamp ts. Returns 1 with the frame in res, 0 when it is
 * not complete, or an error (the frame dropped). */
static int try_complete(mrtc_vp8_assembler *a, uint32_t ts, mrtc_vp8_push_result *res)
{
    const slot *start = NULL, *end = NULL;
    size_t count = 0, bytes = 0;
    int err = 0;

    for (size_t i = 0; i < a->cfg.max_packets; i++) {
        const slot *s = &a->slots[i];
        if (!s->used || s->ts != ts)
            continue;
        if (s->desc.start && s->desc.pid == 0 && (!start || mrtc_rtp_seq_newer(start->seq, s->seq)))
            start = s;
        if (s->marker && (!end || mrtc_rtp_seq_newer(end->seq, s->seq)))
            end = s;
    }
    if (!start || !end)
        return 0;
    int32_t span = mrtc_rtp_seq_diff(end->seq, start->seq);
    if (span < 0 || (size_t)span >= a->cfg.max_packets)
        return 0;
    for (size_t i = 0; i < a->cfg.max_packets; i++) {
        const slot *s = &a->slots[i];
        if (!s->used || s->ts != ts)
            continue;
        int32_t off = mrtc_rtp_seq_diff(s->seq, start->seq);
        if (off < 0 || off > span)
            continue;
        a->order[off] = i;
        count++;
        bytes += s->len;
    }
    if (count != (size_t)span + 1)
        return 0; /* sequence numbers are unique, so this means one is missing */

    uint16_t first = start->seq, last = end->seq;
    mrtc_vp8_desc desc = start->desc;
    if (bytes > a->frame_cap) {
        uint8_t *nb = mrtc_realloc(a->frame, bytes);
        if (!nb) {
            err = MRTC_ENOMEM;
            goto out;
        }
        a->frame = nb;
        a->frame_cap = bytes;
    }
    size_t pos = 0;
    for (int32_t k = 0; k <= span; k++) {
        slot *s = &a->slots[a->order[k]];
        memcpy(a->frame + pos, s->data, s->len);
        pos += s->len;
        slot_clear(a, s);
    }
    res->frames_dropped += drop_older(a, first);
    bool continuous = a->have_emitted && (uint16_t)(a->last_emitted + 1) == first;
    a->have_emitted = true;
    a->last_emitted = last;

    mrtc_vp8_frame *f = &res->frame;
    err = mrtc_vp8_parse_frame_header(a->frame, bytes, f);
    if (err) {
        res->frames_dropped++;
        goto out;
    }
    f->data = a->frame;
    f->len = bytes;
    f->ts = ts;
    f->first_seq = first;
    f->last_seq = last;
    f->desc = desc;
    f->continuous = continuous;
    res->has_frame = true;
    err = 1;
out:
    if (err < 0 && err != MRTC_EPROTO)
        drop_ts(a, ts);
    return err;
}

int mrtc_vp8_assembler_push(mrtc_vp8_assembler *a, uint16_t seq, uint32_t ts, bool marker,
                            const uint8_t *payload, size_t len, mrtc_vp8_push_result *res)
{
    mrtc_vp8_desc desc;
    slot *free_slot = NULL;
    int err;

    if (!a || !payload || !res)
        return MRTC_EINVAL;
    memset(res, 0, sizeof *res);
    err = mrtc_vp8_desc_parse(&desc, payload, len);
    if (err < 0)
        goto out;
    size_t dlen = (size_t)err;
    err = 0;

    if (!a->have_highest || mrtc_rtp_seq_newer(seq, a->highest)) {
        if (a->have_highest) {
            int32_t d = mrtc_rtp_seq_diff(seq, a->highest);
            if (d > 1) {
                res->gap_first = (uint16_t)(a->highest + 1);
                res->gap_count = (uint16_t)(d - 1);
            }
        }
        a->have_highest = true;
        a->highest = seq;
    }
    if (a->have_emitted && !mrtc_rtp_seq_newer(seq, a->last_emitted)) {
        if (mrtc_rtp_seq_diff(a->last_emitted, seq) <= LATE_WINDOW)
            goto out; /* late: its frame was emitted or superseded */
        /* Far behind: the sender restarted its sequence numbers. Start over. */
        MRTC_DEBUG(LOG_TAG, "sequence jumped back from %u to %u, resetting",
                   (unsigned)a->last_emitted, (unsigned)seq);
        for (size_t i = 0; i < a->cfg.max_packets; i++) {
            if (a->slots[i].used) {
                drop_ts(a, a->slots[i].ts);
                res->frames_dropped++;
            }
        }
        a->have_emitted = false;
    }

    size_t frame_bytes = len - dlen;
    for (size_t i = 0; i < a->cfg.max_packets; i++) {
        slot *s = &a->slots[i];
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->seq == seq)
            goto out; /* duplicate */
        if (s->ts == ts)
            frame_bytes += s->len;
    }
    if (frame_bytes > a->cfg.max_frame_bytes) {
        MRTC_DEBUG(LOG_TAG, "frame at ts %u exceeds %zu bytes, dropped", (unsigned)ts,
                   a->cfg.max_frame_bytes);
        drop_ts(a, ts);
        res->frames_dropped++;
        err = MRTC_ETOOBIG;
        goto out;
    }
    while (!free_slot) {
        if (!evict_oldest(a, ts)) {
            /* The frame alone fills every slot: it cannot complete. */
            drop_ts(a, ts);
            res->frames_dropped++;
            err = MRTC_ETOOBIG;
            goto out;
        }
        res->frames_dropped++;
        for (size_t i = 0; i < a->cfg.max_packets && !free_slot; i++)
            if (!a->slots[i].used)
                free_slot = &a->slots[i];
    }
    uint8_t *copy = mrtc_memdup(payload + dlen, len - dlen);
    if (!copy) {
        err = MRTC_ENOMEM;
        goto out;
    }
    *free_slot = (slot){.used = true,
                        .marker = marker,
                        .seq = seq,
                        .ts = ts,
                        .desc = desc,
                        .data = copy,
                        .len = len - dlen};
    a->n_used++;
    err = try_complete(a, ts, res);
    if (err > 0)
        err = 0;
out:
    return err;
}
