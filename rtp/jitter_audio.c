/*
 * An adaptive jitter buffer for Opus over RTP (RFC 7587). Packets are kept sorted by
 * sequence number (extended to 64 bits, RFC 3550 appendix A.1) with timestamps extended
 * the same way. Playout walks the sequence numbers one slot at a time; timestamps measure
 * delay and show silence: a packet that follows its predecessor's sequence number with a
 * later timestamp ends a DTX pause (RFC 7587 section 4.1), and the time in between is
 * played as silence, not concealment.
 *
 * Delay: each packet's transit time (arrival minus timestamp, in samples) is kept for the
 * last WINDOW packets; the smallest is the reference "fastest" transit and the 99th
 * percentile of the rest above it is the delay needed to play nearly every packet on time
 * (RFC 3550 section 6.4.1's jitter figure is computed too, for stats only). The playout
 * delay L is how far playout runs behind that fastest path. When the buffer is empty at a
 * slot and L is below the target, the slot is concealed without being given up (the delay
 * grows by a frame: an expansion); when a later packet is there, the missing slot is given
 * up at once (FEC from the next packet, else concealment), and slots whose time expansions
 * already covered are skipped. A packet is dropped when L exceeds the target by more than a
 * frame and a half.
 *
 * Deliberately not done here: decoding, time stretching (accelerate/preemptive expand as
 * NetEq does), comfort noise generation, and parsing Opus packets (the caller passes each
 * packet's duration).
 */
#include "rtp/jitter_audio.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"
#include "rtp/opus.h"
#include "rtp/rtp.h"

#include <string.h>

#define SAMPLES_PER_MS 48
#define DEFAULT_FRAME 960
#define WINDOW 500               /* packets whose transit times set the target */
#define RESTART_SEQ 3000         /* sequence numbers away from playout: a sender restart */
#define MAX_EXPAND 5             /* concealments of one slot before giving it up */
#define MAX_TS_GAP (10 * 48000)  /* a timestamp jump beyond this is not waited for */
#define DTX_MAX_LEN 2            /* Opus DTX packets are at most 2 bytes (RFC 7587 4.1) */
#define MAX_DELAY_LIMIT_MS 10000 /* config bound */

typedef struct apkt {
    int64_t seq, ts; /* extended */
    unsigned samples;
    int64_t arrival; /* in samples */
    uint8_t *data;
    size_t len;
} apkt;

enum { BUFFERING, PLAYING };

struct mrtc_jitter_audio {
    mrtc_jitter_audio_config cfg;
    apkt *pkts; /* max_packets + 1 entries, ascending seq, all >= expected */
    size_t n;
    uint8_t *out_data; /* payload handed out by the last DECODE */

    bool have_ref;
    int64_t hi_seq, hi_ts; /* highest extended values seen: the unwrapping references */

    int state;
    bool have_expected;
    int64_t expected;   /* sequence number of the next slot */
    int64_t cursor;     /* timestamp of the next sample to play */
    uint64_t recv_mask; /* bit i: slot expected-1-i had its packet (played or dropped) */
    unsigned frame;     /* duration of the last packet */
    bool last_dtx;      /* the last decoded packet was a DTX packet */
    unsigned expand_run;

    int64_t *transit; /* WINDOW entries, a ring */
    size_t t_count, t_pos;
    int64_t base;   /* smallest transit in the window */
    int64_t dev;    /* 99th percentile of transit - base */
    int64_t target; /* samples */
    int64_t cur_delay;
    bool have_last_transit;
    int64_t last_transit;
    double jitter; /* samples */

    mrtc_jitter_audio_stats st;
};

void mrtc_jitter_audio_config_init(mrtc_jitter_audio_config *cfg)
{
    cfg->min_delay_ms = 20;
    cfg->max_delay_ms = 400;
    cfg->max_packets = 100;
}

static int64_t to_samples(mrtc_time t)
{
    return (int64_t)(t / 1000u) * SAMPLES_PER_MS + (int64_t)(t % 1000u) * SAMPLES_PER_MS / 1000;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int mrtc_jitter_audio_new(const mrtc_jitter_audio_config *cfg, mrtc_jitter_audio **out)
{
    mrtc_jitter_audio_config def;
    mrtc_jitter_audio *jb = NULL;
    int err = 0;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cfg) {
        mrtc_jitter_audio_config_init(&def);
        cfg = &def;
    }
    if (cfg->min_delay_ms > cfg->max_delay_ms || cfg->max_delay_ms > MAX_DELAY_LIMIT_MS ||
        cfg->max_packets < 2 || cfg->max_packets > 10000)
        return MRTC_EINVAL;
    jb = mrtc_calloc(1, sizeof *jb);
    if (!jb) {
        err = MRTC_ENOMEM;
        goto out;
    }
    jb->cfg = *cfg;
    jb->pkts = mrtc_calloc(cfg->max_packets + 1, sizeof *jb->pkts);
    jb->transit = mrtc_calloc(WINDOW, sizeof *jb->transit);
    if (!jb->pkts || !jb->transit) {
        err = MRTC_ENOMEM;
        goto out;
    }
    jb->frame = DEFAULT_FRAME;
    jb->target = (int64_t)cfg->min_delay_ms * SAMPLES_PER_MS;
    *out = jb;
    jb = NULL;
out:
    mrtc_jitter_audio_free(jb);
    return err;
}

static void flush(mrtc_jitter_audio *jb)
{
    for (size_t i = 0; i < jb->n; i++)
        mrtc_free(jb->pkts[i].data);
    jb->n = 0;
}

void mrtc_jitter_audio_free(mrtc_jitter_audio *jb)
{
    if (!jb)
        return;
    if (jb->pkts)
        flush(jb);
    mrtc_free(jb->pkts);
    mrtc_free(jb->transit);
    mrtc_free(jb->out_data);
    mrtc_free(jb);
}

/* ---- Slots ---- */

/* Moves the playout position to slot seq (>= expected); the slots skipped had no packet. */
static void jump_to(mrtc_jitter_audio *jb, int64_t seq)
{
    int64_t k = seq - jb->expected;
    jb->recv_mask = k >= 64 ? 0 : jb->recv_mask << k;
    jb->expected = seq;
}

static void advance_one(mrtc_jitter_audio *jb, bool received)
{
    jb->recv_mask = jb->recv_mask << 1 | (received ? 1u : 0u);
    jb->expected++;
}

static void remove_at(mrtc_jitter_audio *jb, size_t i, bool free_data)
{
    if (free_data)
        mrtc_free(jb->pkts[i].data);
    memmove(jb->pkts + i, jb->pkts + i + 1, (jb->n - i - 1) * sizeof *jb->pkts);
    jb->n--;
}

/* Drops the oldest packet to respect a bound; playout moves past it. */
static void drop_head(mrtc_jitter_audio *jb)
{
    apkt *p = &jb->pkts[0];
    jb->st.packets_discarded++;
    if (jb->have_expected && p->seq >= jb->expected) {
        jb->st.packets_lost += (uint64_t)(p->seq - jb->expected);
        jump_to(jb, p->seq);
        advance_one(jb, true);
        jb->cursor = p->ts + p->samples;
    }
    remove_at(jb, 0, true);
}

/* Index of the first packet with seq >= s. */
static size_t lower_bound(const mrtc_jitter_audio *jb, int64_t s)
{
    size_t lo = 0, hi = jb->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (jb->pkts[mid].seq < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- Delay estimation ---- */

static void update_target(mrtc_jitter_audio *jb)
{
    int64_t lo = (int64_t)jb->cfg.min_delay_ms * SAMPLES_PER_MS;
    int64_t hi = (int64_t)jb->cfg.max_delay_ms * SAMPLES_PER_MS;
    jb->target = clamp64(jb->dev + jb->frame, lo, hi);
}

static void add_transit(mrtc_jitter_audio *jb, int64_t arrival, int64_t ts)
{
    int64_t t = arrival - ts;
    int64_t top[WINDOW / 100 + 1]; /* the largest deviations, descending */
    size_t keep, have = 0;

    if (jb->have_last_transit) {
        int64_t d = t - jb->last_transit;
        if (d < 0)
            d = -d;
        jb->jitter += ((double)d - jb->jitter) / 16.0;
    }
    jb->have_last_transit = true;
    jb->last_transit = t;

    jb->transit[jb->t_pos] = t;
    jb->t_pos = (jb->t_pos + 1) % WINDOW;
    if (jb->t_count < WINDOW)
        jb->t_count++;
    keep = jb->t_count / 100 + 1;
    jb->base = jb->transit[0];
    for (size_t i = 1; i < jb->t_count; i++)
        if (jb->transit[i] < jb->base)
            jb->base = jb->transit[i];
    /* The 99th percentile: the (count/100 + 1)-th largest deviation. */
    for (size_t i = 0; i < jb->t_count; i++) {
        int64_t v = jb->transit[i] - jb->base;
        if (have == keep && v <= top[have - 1])
            continue;
        size_t j = have < keep ? have++ : have - 1;
        while (j > 0 && top[j - 1] < v) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = v;
    }
    jb->dev = top[have - 1];
    update_target(jb);
}

static void restart(mrtc_jitter_audio *jb)
{
    jb->st.packets_discarded += jb->n;
    flush(jb);
    jb->have_ref = false;
    jb->state = BUFFERING;
    jb->have_expected = false;
    jb->recv_mask = 0;
    jb->last_dtx = false;
    jb->expand_run = 0;
    jb->t_count = jb->t_pos = 0;
    jb->have_last_transit = false;
}

/* ---- Push ---- */

int mrtc_jitter_audio_push(mrtc_jitter_audio *jb, mrtc_time now, uint16_t seq, uint32_t ts,
                           const uint8_t *payload, size_t len, unsigned samples)
{
    int err = 0;

    if (!jb || !payload || len == 0 || len > MRTC_JITTER_AUDIO_MAX_PAYLOAD || samples == 0 ||
        samples > MRTC_OPUS_MAX_SAMPLES)
        return MRTC_EINVAL;
    mrtc_free(jb->out_data);
    jb->out_data = NULL;
    jb->st.packets_received++;

    if (!jb->have_ref) {
        jb->have_ref = true;
        jb->hi_seq = seq;
        jb->hi_ts = ts;
    }
    int64_t s = jb->hi_seq + mrtc_rtp_seq_diff(seq, (uint16_t)jb->hi_seq);
    int64_t ref = jb->have_expected ? jb->expected : jb->n ? jb->pkts[0].seq : jb->hi_seq;
    if (s - ref > RESTART_SEQ || ref - s > RESTART_SEQ) {
        restart(jb);
        jb->have_ref = true;
        jb->hi_seq = s = seq;
        jb->hi_ts = ts;
    }
    int64_t t = jb->hi_ts + (int32_t)(ts - (uint32_t)jb->hi_ts);
    if (s > jb->hi_seq)
        jb->hi_seq = s;
    if (t > jb->hi_ts)
        jb->hi_ts = t;
    int64_t arrival = to_samples(now);

    if (jb->have_expected && s < jb->expected) {
        int64_t off = jb->expected - 1 - s;
        if (off < 64 && (jb->recv_mask >> off & 1u)) {
            jb->st.packets_duplicated++;
        } else {
            add_transit(jb, arrival, t); /* late: exactly what the target must learn */
            jb->st.packets_late++;
        }
        goto out;
    }
    size_t i = lower_bound(jb, s);
    if (i < jb->n && jb->pkts[i].seq == s) {
        jb->st.packets_duplicated++;
        goto out;
    }
    uint8_t *copy = mrtc_memdup(payload, len);
    if (!copy) {
        err = MRTC_ENOMEM;
        goto out;
    }
    add_transit(jb, arrival, t);
    memmove(jb->pkts + i + 1, jb->pkts + i, (jb->n - i) * sizeof *jb->pkts);
    jb->pkts[i] =
        (apkt){.seq = s, .ts = t, .samples = samples, .arrival = arrival, .data = copy, .len = len};
    jb->n++;
    while (jb->n > jb->cfg.max_packets)
        drop_head(jb);
    int64_t max = (int64_t)jb->cfg.max_delay_ms * SAMPLES_PER_MS;
    while (jb->n >= 2) {
        const apkt *last = &jb->pkts[jb->n - 1];
        int64_t from = jb->state == PLAYING ? jb->cursor : jb->pkts[0].ts;
        if (last->ts + last->samples - from <= max)
            break;
        drop_head(jb);
    }
out:
    return err;
}

/* ---- Pop ---- */

static void emit(mrtc_jitter_audio_out *out, mrtc_jitter_audio_action action, unsigned samples,
                 int64_t ts)
{
    out->action = action;
    out->samples = samples;
    out->ts = (uint32_t)ts;
}

static void conceal(mrtc_jitter_audio *jb, mrtc_jitter_audio_out *out)
{
    emit(out, MRTC_JITTER_AUDIO_CONCEAL, jb->frame, jb->cursor);
    jb->st.concealed_frames++;
    jb->st.concealed_samples += jb->frame;
}

/* Plays the head packet, dropping it first when the delay is well above the target. */
static void decode_head(mrtc_jitter_audio *jb, int64_t ns, mrtc_jitter_audio_out *out)
{
    apkt *p = &jb->pkts[0];
    int64_t over = ns - jb->base - jb->cursor + jb->frame - p->samples;
    if (jb->n >= 2 && jb->pkts[1].seq == p->seq + 1 && over >= jb->target + jb->frame / 2) {
        jb->st.packets_discarded++;
        advance_one(jb, true);
        jb->cursor = p->ts + p->samples;
        remove_at(jb, 0, true);
        p = &jb->pkts[0];
        if (p->ts > jb->cursor && p->ts - jb->cursor <= MAX_TS_GAP)
            jb->cursor = p->ts;
    }
    jb->out_data = p->data;
    out->payload = p->data;
    out->len = p->len;
    emit(out, MRTC_JITTER_AUDIO_DECODE, p->samples, p->ts);
    advance_one(jb, true);
    jb->cursor = p->ts + p->samples;
    jb->frame = p->samples;
    jb->last_dtx = p->len <= DTX_MAX_LEN;
    jb->expand_run = 0;
    update_target(jb);
    remove_at(jb, 0, false);
}

static void start_playout(mrtc_jitter_audio *jb)
{
    const apkt *head = &jb->pkts[0];
    if (!jb->have_expected) {
        jb->have_expected = true;
        jb->expected = head->seq;
        jb->recv_mask = 0;
    } else if (head->seq > jb->expected) {
        jb->st.packets_lost += (uint64_t)(head->seq - jb->expected);
        jump_to(jb, head->seq);
    }
    jb->cursor = head->ts;
    jb->state = PLAYING;
    jb->expand_run = 0;
    jb->last_dtx = false;
}

int mrtc_jitter_audio_pop(mrtc_jitter_audio *jb, mrtc_time now, mrtc_jitter_audio_out *out)
{
    if (!jb || !out)
        return MRTC_EINVAL;
    mrtc_free(jb->out_data);
    jb->out_data = NULL;
    memset(out, 0, sizeof *out);
    int64_t ns = to_samples(now);

    if (jb->state == BUFFERING) {
        jb->cur_delay = 0;
        if (jb->n == 0) {
            emit(out, MRTC_JITTER_AUDIO_WAIT, jb->frame, jb->cursor);
            return 0;
        }
        const apkt *head = &jb->pkts[0], *last = &jb->pkts[jb->n - 1];
        int64_t span = last->ts + last->samples - head->ts;
        if (span < jb->target && ns - head->arrival < jb->target) {
            emit(out, MRTC_JITTER_AUDIO_WAIT, jb->frame, head->ts);
            return 0;
        }
        start_playout(jb);
    }

    int64_t delay = ns - jb->base - jb->cursor + jb->frame; /* L + frame */
    jb->cur_delay = delay;
    apkt *head = jb->n ? &jb->pkts[0] : NULL;
    if (head && head->seq == jb->expected) {
        if (head->ts > jb->cursor) {
            int64_t gap = head->ts - jb->cursor;
            if (gap <= MAX_TS_GAP && ns - jb->base - head->ts + jb->frame < jb->target) {
                /* A DTX pause: silence until the packet's time comes. */
                unsigned w = gap < jb->frame ? (unsigned)gap : jb->frame;
                emit(out, MRTC_JITTER_AUDIO_WAIT, w, jb->cursor);
                jb->cursor += w;
                return 0;
            }
            jb->cursor = head->ts;
        }
        decode_head(jb, ns, out);
        return 0;
    }
    if (head) {
        /* The slot's packet is missing and later ones are here. */
        /* A later packet is here when this slot is due: the missing one is lost (or so late
         * that waiting for it would stretch every later packet too). Give the slot up at
         * once: concealment, or the next packet's in-band FEC when it is the very next one.
         * Waiting by concealment (expansion) is kept for an empty buffer, below; the
         * frames concealed while waiting already covered the time of as many missing
         * slots, so those are skipped now (keeping the slot right before the packet for
         * its FEC): a burst of N losses is N frames of concealment, not 2N. */
        while (jb->expand_run > 0 && head->seq > jb->expected + 1) {
            jb->expand_run--;
            jb->st.packets_lost++;
            advance_one(jb, false);
            jb->cursor += jb->frame;
        }
        int64_t dur = jb->frame;
        jb->st.packets_lost++;
        if (head->seq == jb->expected + 1) {
            int64_t d = head->ts - jb->cursor;
            if (d > 0 && d <= MRTC_OPUS_MAX_SAMPLES)
                dur = d;
            out->payload = head->data;
            out->len = head->len;
            emit(out, MRTC_JITTER_AUDIO_FEC, (unsigned)dur, jb->cursor);
            jb->st.fec_recovered++;
        } else {
            conceal(jb, out);
        }
        advance_one(jb, false);
        jb->cursor += dur;
        jb->expand_run = 0;
        return 0;
    }
    /* Nothing buffered. */
    if (jb->last_dtx) {
        emit(out, MRTC_JITTER_AUDIO_WAIT, jb->frame, jb->cursor);
        jb->cursor += jb->frame;
        return 0;
    }
    if (jb->expand_run < MAX_EXPAND) {
        jb->expand_run++;
        conceal(jb, out);
        return 0;
    }
    jb->state = BUFFERING; /* a long silence: start over when packets come back */
    jb->cur_delay = 0;
    emit(out, MRTC_JITTER_AUDIO_WAIT, jb->frame, jb->cursor);
    return 0;
}

void mrtc_jitter_audio_get_stats(const mrtc_jitter_audio *jb, mrtc_jitter_audio_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!jb)
        return;
    *out = jb->st;
    out->target_delay_ms = (unsigned)(jb->target / SAMPLES_PER_MS);
    int64_t cur = clamp64(jb->cur_delay, 0, (int64_t)UINT32_MAX * SAMPLES_PER_MS);
    out->current_delay_ms = (unsigned)(cur / SAMPLES_PER_MS);
    out->jitter_ms = jb->jitter / SAMPLES_PER_MS;
}
