/*
 * The VP8 video jitter buffer (RFC 7741 frames, RFC 4585 NACK and PLI): packets are kept in
 * a ring indexed by their sequence number extended to 64 bits (RFC 3550 appendix A.1), one
 * slot per number over a window of MRTC_JITTER_VIDEO_MAX_PACKETS. A cursor marks the first
 * sequence number not yet delivered or given up; frames are read at the cursor following
 * RFC 7741 section 4.5 (from an S=1 PID=0 packet to the marker, one timestamp, consecutive
 * sequence numbers) and handed out in order when decodable (see rtp/jitter_video.h).
 *
 * When the frame at the cursor cannot be read yet and later packets exist, the buffer
 * waits for the missing ones (the NACK scheduler asks for them), unless a later complete
 * frame is decodable without them (a key frame, or a frame whose TL0 chain is intact);
 * once the wait ends it skips to the next key frame start it holds, or drops what it holds
 * and asks for a key frame. Frames that provably cannot complete (a packet after the
 * cursor that does not start a frame, a frame that ends without its marker, a malformed or
 * oversized frame) are dropped at once.
 *
 * Deliberately not done here: decoding, render timing and frame pacing (frames come out as
 * soon as they are decodable), SRTP and RTX unwrapping (the owner does both), and
 * reassembly of VP8 partitions other than in sequence order.
 */
#include "rtp/jitter_video.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"
#include "rtp/nack.h"
#include "rtp/rtp.h"

#include <string.h>

#define LOG_TAG "jitter-video"
#define CAP MRTC_JITTER_VIDEO_MAX_PACKETS /* a power of two */
#define LATE_WINDOW 0x2000                /* behind the window by more: a sender restart */
#define DEFAULT_RTT MRTC_MSEC(100)

typedef struct vpkt {
    bool used;
    bool marker;
    bool start;     /* S=1, PID=0: the first packet of a frame */
    bool key_start; /* start and the VP8 frame tag says key frame */
    int64_t seq;
    uint32_t ts;
    mrtc_vp8_desc desc;
    uint8_t *data; /* VP8 bytes after the descriptor */
    size_t len;
} vpkt;

struct mrtc_jitter_video {
    vpkt *slots; /* CAP entries, slot seq & (CAP - 1) */
    size_t count, bytes;
    bool have_ref;
    int64_t highest; /* highest extended sequence number seen */
    bool have_cursor;
    int64_t cursor; /* packets below are delivered or given up */
    bool started;   /* a frame was delivered */
    bool gap;       /* something was skipped since the last delivered frame */
    bool need_keyframe;
    bool have_tl0;
    uint8_t last_tl0; /* TL0PICIDX of the last delivered TL0 frame */

    bool waiting;
    int64_t wait_cursor;
    mrtc_time wait_since;

    bool kf_pending;
    mrtc_time kf_due;

    bool dirty; /* pushed since the last poll_frame */
    mrtc_time dirty_at;
    mrtc_time rtt;
    mrtc_nack *nack;
    uint8_t *frame;
    size_t frame_cap;
    mrtc_jitter_video_stats st;
};

typedef enum scan { MISSING, PARTIAL, COMPLETE, BROKEN } scan;

typedef struct frame_span {
    int64_t first, last; /* last: the marker packet (COMPLETE), or the last contiguous one */
    int64_t hole;        /* PARTIAL/MISSING: the first missing sequence number */
    size_t bytes;
} frame_span;

static mrtc_time add_sat(mrtc_time a, mrtc_time b)
{
    return a > MRTC_TIME_NEVER - b ? MRTC_TIME_NEVER : a + b;
}

int mrtc_jitter_video_new(mrtc_jitter_video **out)
{
    mrtc_jitter_video *jb = NULL;
    int err = 0;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    jb = mrtc_calloc(1, sizeof *jb);
    if (!jb) {
        err = MRTC_ENOMEM;
        goto out;
    }
    jb->rtt = DEFAULT_RTT;
    jb->slots = mrtc_calloc(CAP, sizeof *jb->slots);
    if (!jb->slots) {
        err = MRTC_ENOMEM;
        goto out;
    }
    err = mrtc_nack_new(&jb->nack);
    if (err)
        goto out;
    *out = jb;
    jb = NULL;
out:
    mrtc_jitter_video_free(jb);
    return err;
}

void mrtc_jitter_video_free(mrtc_jitter_video *jb)
{
    if (!jb)
        return;
    if (jb->slots)
        for (size_t i = 0; i < CAP; i++)
            mrtc_free(jb->slots[i].data);
    mrtc_free(jb->slots);
    mrtc_nack_free(jb->nack);
    mrtc_free(jb->frame);
    mrtc_free(jb);
}

/* ---- Packet store ---- */

static vpkt *at(const mrtc_jitter_video *jb, int64_t seq)
{
    vpkt *p = &jb->slots[(uint64_t)seq & (CAP - 1)];
    return p->used && p->seq == seq ? p : NULL;
}

static void release(mrtc_jitter_video *jb, vpkt *p)
{
    jb->bytes -= p->len;
    jb->count--;
    mrtc_free(p->data);
    memset(p, 0, sizeof *p);
}

static int64_t window_low(const mrtc_jitter_video *jb)
{
    return jb->highest - CAP + 1;
}

/* Lowest stored sequence number (count > 0). */
static int64_t lowest(const mrtc_jitter_video *jb)
{
    for (int64_t s = window_low(jb); s <= jb->highest; s++)
        if (at(jb, s))
            return s;
    return jb->highest + 1;
}

/* Releases the stored packets in [from, to); when count_dropped, counts the frames
 * (timestamp runs) they held as dropped. */
static void free_range(mrtc_jitter_video *jb, int64_t from, int64_t to, bool count_dropped)
{
    bool have_ts = false;
    uint32_t ts = 0;

    if (from < window_low(jb))
        from = window_low(jb);
    if (to > jb->highest + 1)
        to = jb->highest + 1;
    for (int64_t s = from; s < to && jb->count; s++) {
        vpkt *p = at(jb, s);
        if (!p)
            continue;
        if (count_dropped && (!have_ts || p->ts != ts || p->start))
            jb->st.frames_dropped++;
        have_ts = true;
        ts = p->ts;
        release(jb, p);
    }
}

static void drop_range(mrtc_jitter_video *jb, int64_t from, int64_t to)
{
    free_range(jb, from, to, true);
}

static void request_keyframe(mrtc_jitter_video *jb, mrtc_time now)
{
    if (!jb->kf_pending) {
        jb->kf_pending = true;
        jb->kf_due = now;
    }
}

/* The references are gone: only a key frame can be decoded now. */
static void break_chain(mrtc_jitter_video *jb, mrtc_time now)
{
    jb->gap = true;
    jb->need_keyframe = true;
    request_keyframe(jb, now);
}

/* The sender restarted its sequence numbers: everything held is from the old stream. */
static void reset_stream(mrtc_jitter_video *jb, mrtc_time now)
{
    if (jb->have_ref)
        drop_range(jb, window_low(jb), jb->highest + 1);
    jb->have_ref = false;
    jb->have_cursor = false;
    jb->waiting = false;
    if (jb->started)
        break_chain(jb, now);
}

/* ---- Push ---- */

int mrtc_jitter_video_push(mrtc_jitter_video *jb, mrtc_time now, uint16_t seq, uint32_t ts,
                           bool marker, const uint8_t *payload, size_t len, bool recovered)
{
    mrtc_vp8_desc desc;
    int err;

    if (!jb || !payload)
        return MRTC_EINVAL;
    if (mrtc_nack_on_packet(jb->nack, now, seq, recovered) == 1 && jb->started)
        break_chain(jb, now);
    err = mrtc_vp8_desc_parse(&desc, payload, len);
    if (err < 0) {
        jb->st.packets_malformed++;
        goto out;
    }
    size_t dlen = (size_t)err;
    err = 0;
    jb->st.packets++;
    if (recovered)
        jb->st.packets_recovered++;

    if (!jb->have_ref) {
        jb->have_ref = true;
        jb->highest = seq;
    }
    int64_t ext = jb->highest + mrtc_rtp_seq_diff(seq, (uint16_t)jb->highest);
    int64_t low = window_low(jb);
    if (jb->have_cursor && jb->cursor > low)
        low = jb->cursor;
    if (ext < low) {
        if (jb->highest - ext <= LATE_WINDOW)
            goto out; /* late: its frame was delivered or given up */
        MRTC_DEBUG(LOG_TAG, "sequence jumped back by %lld, restarting",
                   (long long)(jb->highest - ext));
        reset_stream(jb, now);
        jb->have_ref = true;
        jb->highest = ext = seq;
    }
    if (ext > jb->highest) {
        int64_t new_low = ext - CAP + 1;
        if (new_low > window_low(jb))
            drop_range(jb, window_low(jb), new_low);
        jb->highest = ext;
        if (jb->have_cursor && jb->cursor < new_low)
            jb->cursor = new_low; /* what was below is gone; the poll sees a broken frame */
    }
    if (at(jb, ext))
        goto out; /* duplicate */
    size_t vlen = len - dlen;
    while (jb->count && jb->bytes + vlen > MRTC_JITTER_VIDEO_MAX_BYTES) {
        int64_t s = lowest(jb);
        drop_range(jb, s, s + 1);
    }
    uint8_t *copy = mrtc_memdup(payload + dlen, vlen);
    if (!copy) {
        err = MRTC_ENOMEM;
        goto out;
    }
    vpkt *p = &jb->slots[(uint64_t)ext & (CAP - 1)];
    bool start = desc.start && desc.pid == 0;
    *p = (vpkt){.used = true,
                .marker = marker,
                .start = start,
                .key_start = start && (copy[0] & 0x01) == 0,
                .seq = ext,
                .ts = ts,
                .desc = desc,
                .data = copy,
                .len = vlen};
    jb->count++;
    jb->bytes += vlen;
    jb->dirty = true;
    jb->dirty_at = now;
out:
    return err;
}

/* ---- Frames ---- */

/* Reads the frame whose first packet should be at seq. */
static scan scan_frame(const mrtc_jitter_video *jb, int64_t seq, frame_span *f)
{
    const vpkt *p = at(jb, seq);

    memset(f, 0, sizeof *f);
    f->first = f->last = seq;
    f->hole = seq;
    if (!p)
        return MISSING;
    if (!p->start)
        return jb->have_cursor ? BROKEN : PARTIAL;
    for (int64_t s = seq;; s++) {
        const vpkt *q = at(jb, s);
        if (!q) {
            f->hole = s;
            return PARTIAL;
        }
        if (q->ts != p->ts || (s != seq && q->start))
            return BROKEN; /* the frame ended without its marker */
        f->last = s;
        f->bytes += q->len;
        if (f->bytes > MRTC_VP8_DEFAULT_MAX_FRAME)
            return BROKEN;
        if (q->marker)
            return COMPLETE;
    }
}

/* Whether a frame after a gap is decodable through its TL0 chain (RFC 7741 section 4.2). */
static bool tl0_chain_intact(const mrtc_jitter_video *jb, const mrtc_vp8_desc *d)
{
    if (!jb->have_tl0 || !d->has_tl0picidx || !d->has_tid)
        return false;
    if (d->tid == 0)
        return d->tl0picidx == (uint8_t)(jb->last_tl0 + 1);
    return d->layer_sync && d->tl0picidx == jb->last_tl0;
}

static bool decodable(const mrtc_jitter_video *jb, const vpkt *first, bool after_gap)
{
    if (first->key_start)
        return true;
    if (!jb->started || jb->need_keyframe)
        return false;
    return !after_gap || tl0_chain_intact(jb, &first->desc);
}

/* The first complete frame after seq that is decodable past a gap, or -1. */
static int64_t find_skip_target(const mrtc_jitter_video *jb, int64_t seq)
{
    frame_span f;
    for (int64_t s = seq + 1; s <= jb->highest; s++) {
        const vpkt *p = at(jb, s);
        if (!p || !p->start)
            continue;
        scan r = scan_frame(jb, s, &f);
        if (r == COMPLETE && decodable(jb, p, true))
            return s;
        if (r == COMPLETE)
            s = f.last;
    }
    return -1;
}

static void move_cursor(mrtc_jitter_video *jb, int64_t to)
{
    jb->have_cursor = true;
    jb->cursor = to;
    jb->waiting = false;
    if (to > jb->highest + 1)
        jb->cursor = jb->highest + 1;
}

/* The wait for the frame at seq is over: skip to the next key frame start held, or drop
 * everything held and ask for a key frame. */
static void give_up(mrtc_jitter_video *jb, mrtc_time now, int64_t seq)
{
    int64_t to = jb->highest + 1;
    bool key = false;
    for (int64_t s = seq + 1; s <= jb->highest; s++) {
        const vpkt *p = at(jb, s);
        if (p && p->key_start) {
            to = s;
            key = true;
            break;
        }
    }
    MRTC_DEBUG(LOG_TAG, "gave up on sequence numbers %lld..%lld%s", (long long)seq,
               (long long)(to - 1), key ? ", a key frame follows" : ", asking for a key frame");
    drop_range(jb, seq, to);
    move_cursor(jb, to);
    jb->gap = true;
    mrtc_nack_remove_before(jb->nack, (uint16_t)to);
    if (!key)
        break_chain(jb, now);
}

static mrtc_time max_wait(const mrtc_jitter_video *jb)
{
    /* Three NACK attempts (rtp/nack.h: +10 ms, then every 1.25 rtt) have their answers
     * back within 10 ms + 3.5 rtt. */
    mrtc_time w = jb->rtt > MRTC_SEC(1) ? MRTC_SEC(4) : 4 * jb->rtt;
    if (w < MRTC_JITTER_VIDEO_MIN_WAIT)
        w = MRTC_JITTER_VIDEO_MIN_WAIT;
    if (w > MRTC_JITTER_VIDEO_MAX_WAIT)
        w = MRTC_JITTER_VIDEO_MAX_WAIT;
    return w;
}

/* Copies the frame's packets into jb->frame and reads its header. 0, MRTC_EPROTO, ENOMEM. */
static int assemble(mrtc_jitter_video *jb, const frame_span *f, mrtc_vp8_frame *out)
{
    int err;

    if (f->bytes > jb->frame_cap) {
        uint8_t *nb = mrtc_realloc(jb->frame, f->bytes);
        if (!nb)
            return MRTC_ENOMEM;
        jb->frame = nb;
        jb->frame_cap = f->bytes;
    }
    size_t pos = 0;
    for (int64_t s = f->first; s <= f->last; s++) {
        const vpkt *p = at(jb, s);
        memcpy(jb->frame + pos, p->data, p->len);
        pos += p->len;
    }
    memset(out, 0, sizeof *out);
    err = mrtc_vp8_parse_frame_header(jb->frame, f->bytes, out);
    if (err)
        return err;
    const vpkt *first = at(jb, f->first);
    out->data = jb->frame;
    out->len = f->bytes;
    out->ts = first->ts;
    out->first_seq = (uint16_t)f->first;
    out->last_seq = (uint16_t)f->last;
    out->desc = first->desc;
    out->continuous = jb->started && !jb->gap;
    return 0;
}

static void delivered(mrtc_jitter_video *jb, const frame_span *f, const mrtc_vp8_frame *out)
{
    jb->st.frames_delivered++;
    if (out->keyframe) {
        jb->st.keyframes_delivered++;
        jb->need_keyframe = false;
        jb->kf_pending = false;
    }
    const mrtc_vp8_desc *d = &out->desc;
    if (d->has_tl0picidx && (!d->has_tid || d->tid == 0)) {
        jb->have_tl0 = true;
        jb->last_tl0 = d->tl0picidx;
    } else if (!d->has_tl0picidx) {
        jb->have_tl0 = false;
    }
    jb->started = true;
    jb->gap = false;
    free_range(jb, f->first, f->last + 1, false);
    move_cursor(jb, f->last + 1);
    mrtc_nack_remove_before(jb->nack, (uint16_t)(f->last + 1));
}

bool mrtc_jitter_video_poll_frame(mrtc_jitter_video *jb, mrtc_time now, mrtc_vp8_frame *out)
{
    frame_span f;

    if (!jb || !out)
        return false;
    jb->dirty = false;
    /* Each turn delivers, or drops at least one packet, or returns. */
    for (size_t guard = 0; guard <= 2 * CAP + 4; guard++) {
        if (!jb->count) {
            jb->waiting = false;
            return false;
        }
        int64_t c = jb->have_cursor ? jb->cursor : lowest(jb);
        const vpkt *first = at(jb, c);
        scan r = scan_frame(jb, c, &f);
        if (r == COMPLETE) {
            jb->st.frames_received++;
            if (decodable(jb, first, jb->gap)) {
                int err = assemble(jb, &f, out);
                if (err == 0) {
                    delivered(jb, &f, out);
                    jb->dirty = true; /* the next frame may be ready too */
                    jb->dirty_at = now;
                    return true;
                }
                MRTC_DEBUG(LOG_TAG, "frame at %lld refused: %s", (long long)c,
                           err == MRTC_EPROTO ? "malformed VP8 header" : "out of memory");
            } else if (!jb->need_keyframe || !jb->started) {
                MRTC_DEBUG(LOG_TAG, "delta frame at %lld not decodable, asking for a key frame",
                           (long long)c);
            }
            drop_range(jb, c, f.last + 1);
            move_cursor(jb, f.last + 1);
            break_chain(jb, now);
            continue;
        }
        if (r == BROKEN || (jb->need_keyframe && first && first->start && !first->key_start)) {
            /* Cannot complete, or a delta frame while only a key frame helps. */
            int64_t end = c + 1;
            while (end <= jb->highest && at(jb, end) && at(jb, end)->ts == first->ts &&
                   !at(jb, end)->start)
                end++;
            drop_range(jb, c, end);
            move_cursor(jb, end);
            jb->gap = true;
            continue;
        }
        int64_t skip = find_skip_target(jb, c);
        if (skip >= 0) {
            drop_range(jb, c, skip);
            move_cursor(jb, skip);
            jb->gap = true;
            mrtc_nack_remove_before(jb->nack, (uint16_t)skip);
            continue;
        }
        /* Incomplete: wait while later packets show that something is missing. */
        if (jb->highest <= f.hole) {
            jb->waiting = false;
            return false;
        }
        if (!jb->waiting || jb->wait_cursor != c) {
            jb->waiting = true;
            jb->wait_cursor = c;
            jb->wait_since = now;
        }
        if (now < add_sat(jb->wait_since, max_wait(jb)))
            return false;
        give_up(jb, now, c);
    }
    return false;
}

/* ---- Feedback ---- */

size_t mrtc_jitter_video_poll_nack(mrtc_jitter_video *jb, mrtc_time now, uint16_t *out, size_t cap)
{
    if (!jb)
        return 0;
    size_t n = mrtc_nack_poll(jb->nack, now, out, cap);
    jb->st.nacks_sent += n;
    return n;
}

static mrtc_time keyframe_interval(const mrtc_jitter_video *jb)
{
    mrtc_time r = jb->rtt > MRTC_SEC(10) ? MRTC_SEC(15) : jb->rtt * 3 / 2;
    return r > MRTC_JITTER_VIDEO_KEYFRAME_INTERVAL ? r : MRTC_JITTER_VIDEO_KEYFRAME_INTERVAL;
}

bool mrtc_jitter_video_poll_keyframe_request(mrtc_jitter_video *jb, mrtc_time now)
{
    if (!jb || !jb->kf_pending || now < jb->kf_due)
        return false;
    jb->kf_due = add_sat(now, keyframe_interval(jb));
    jb->st.keyframe_requests++;
    return true;
}

void mrtc_jitter_video_decode_failed(mrtc_jitter_video *jb)
{
    if (!jb)
        return;
    jb->gap = true;
    jb->need_keyframe = true;
    jb->kf_pending = true;
    jb->kf_due = 0;
}

void mrtc_jitter_video_set_rtt(mrtc_jitter_video *jb, mrtc_time rtt)
{
    if (!jb)
        return;
    jb->rtt = rtt ? rtt : DEFAULT_RTT;
    mrtc_nack_set_rtt(jb->nack, rtt);
}

mrtc_time mrtc_jitter_video_next_timeout(const mrtc_jitter_video *jb)
{
    if (!jb)
        return MRTC_TIME_NEVER;
    mrtc_time t = mrtc_nack_next_timeout(jb->nack);
    if (jb->dirty)
        t = mrtc_time_min(t, jb->dirty_at);
    if (jb->waiting)
        t = mrtc_time_min(t, add_sat(jb->wait_since, max_wait(jb)));
    if (jb->kf_pending)
        t = mrtc_time_min(t, jb->kf_due);
    return t;
}

void mrtc_jitter_video_get_stats(const mrtc_jitter_video *jb, mrtc_jitter_video_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (jb)
        *out = jb->st;
}
