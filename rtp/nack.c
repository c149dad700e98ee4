/*
 * The receiver side of generic NACK (RFC 4585 section 6.2.1): which sequence numbers are
 * missing and when to request each one. Sequence numbers are extended to 64 bits relative
 * to the newest one seen (RFC 3550 appendix A.1 arithmetic), so the list stays sorted across
 * the 16-bit wrap. The list is a sorted array of at most MRTC_NACK_MAX_MISSING entries,
 * allocated once; nothing allocates after mrtc_nack_new.
 *
 * Deliberately not done here: building the RTCP feedback packet (rtp/rtcp.c does),
 * estimating the RTT (the owner sets it from RTCP), and adapting the reordering allowance
 * from measured reordering (it is a fixed MRTC_NACK_REORDER_DELAY).
 */
#include "rtp/nack.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"
#include "rtp/rtp.h"

#include <string.h>

/* A packet this far behind the newest one is a sender restart, not a late packet. */
#define RESTART_WINDOW 0x2000

typedef struct entry {
    int64_t ext;          /* extended sequence number */
    mrtc_time give_up_at; /* seen + MRTC_NACK_GIVE_UP */
    mrtc_time next_send;  /* next request, or removal once sends == MRTC_NACK_MAX_SENDS */
    unsigned sends;
} entry;

struct mrtc_nack {
    entry *list; /* MRTC_NACK_MAX_MISSING entries, ascending ext */
    size_t count;
    bool have_newest;
    int64_t newest; /* extended sequence number of the newest packet */
    mrtc_time rtt;
};

static mrtc_time add_sat(mrtc_time a, mrtc_time b)
{
    return a > MRTC_TIME_NEVER - b ? MRTC_TIME_NEVER : a + b;
}

int mrtc_nack_new(mrtc_nack **out)
{
    mrtc_nack *n = NULL;
    int err = 0;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    n = mrtc_calloc(1, sizeof *n);
    if (!n) {
        err = MRTC_ENOMEM;
        goto out;
    }
    n->list = mrtc_calloc(MRTC_NACK_MAX_MISSING, sizeof *n->list);
    if (!n->list) {
        err = MRTC_ENOMEM;
        goto out;
    }
    n->rtt = MRTC_NACK_DEFAULT_RTT;
    *out = n;
    n = NULL;
out:
    mrtc_nack_free(n);
    return err;
}

void mrtc_nack_free(mrtc_nack *n)
{
    if (!n)
        return;
    mrtc_free(n->list);
    mrtc_free(n);
}

void mrtc_nack_set_rtt(mrtc_nack *n, mrtc_time rtt)
{
    if (n)
        n->rtt = rtt ? rtt : MRTC_NACK_DEFAULT_RTT;
}

static mrtc_time retry_interval(const mrtc_nack *n)
{
    mrtc_time base = n->rtt > MRTC_NACK_MIN_RETRY_INTERVAL ? n->rtt : MRTC_NACK_MIN_RETRY_INTERVAL;
    if (base > MRTC_SEC(60))
        base = MRTC_SEC(60); /* keeps the arithmetic finite for absurd RTTs */
    return base + base / 4;
}

/* Index of the first entry with ext >= v. */
static size_t lower_bound(const mrtc_nack *n, int64_t v)
{
    size_t lo = 0, hi = n->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (n->list[mid].ext < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void drop_front(mrtc_nack *n, size_t k)
{
    if (k > n->count)
        k = n->count;
    memmove(n->list, n->list + k, (n->count - k) * sizeof *n->list);
    n->count -= k;
}

int mrtc_nack_on_packet(mrtc_nack *n, mrtc_time now, uint16_t seq, bool recovered)
{
    int ret = 0;

    (void)recovered; /* a recovered packet clears its entry like any other */
    if (!n)
        return MRTC_EINVAL;
    if (!n->have_newest) {
        n->have_newest = true;
        n->newest = seq;
        return 0;
    }
    int64_t ext = n->newest + mrtc_rtp_seq_diff(seq, (uint16_t)n->newest);
    if (ext <= n->newest) {
        if (n->newest - ext > RESTART_WINDOW) {
            n->count = 0;
            n->newest = ext;
            return 1;
        }
        size_t i = lower_bound(n, ext);
        if (i < n->count && n->list[i].ext == ext) {
            memmove(n->list + i, n->list + i + 1, (n->count - i - 1) * sizeof *n->list);
            n->count--;
        }
        return 0;
    }
    int64_t gap = ext - n->newest - 1;
    n->newest = ext;
    if (gap == 0)
        return 0;
    if (gap > MRTC_NACK_MAX_MISSING) {
        n->count = 0;
        return 1;
    }
    if (n->count + (size_t)gap > MRTC_NACK_MAX_MISSING) {
        drop_front(n, n->count + (size_t)gap - MRTC_NACK_MAX_MISSING);
        ret = 1;
    }
    mrtc_time first = add_sat(now, MRTC_NACK_REORDER_DELAY);
    mrtc_time give_up = add_sat(now, MRTC_NACK_GIVE_UP);
    for (int64_t s = ext - gap; s < ext; s++)
        n->list[n->count++] = (entry){.ext = s, .give_up_at = give_up, .next_send = first};
    return ret;
}

size_t mrtc_nack_poll(mrtc_nack *n, mrtc_time now, uint16_t *out, size_t cap)
{
    size_t written = 0, keep = 0;

    if (!n)
        return 0;
    if (!out)
        cap = 0;
    mrtc_time interval = retry_interval(n);
    for (size_t i = 0; i < n->count; i++) {
        entry e = n->list[i];
        bool expired =
            now >= e.give_up_at || (e.sends >= MRTC_NACK_MAX_SENDS && now >= e.next_send);
        if (expired)
            continue;
        if (now >= e.next_send && e.sends < MRTC_NACK_MAX_SENDS && written < cap) {
            out[written++] = (uint16_t)e.ext;
            e.sends++;
            e.next_send = add_sat(now, interval);
        }
        n->list[keep++] = e;
    }
    n->count = keep;
    return written;
}

mrtc_time mrtc_nack_next_timeout(const mrtc_nack *n)
{
    mrtc_time t = MRTC_TIME_NEVER;

    if (!n)
        return t;
    for (size_t i = 0; i < n->count; i++)
        t = mrtc_time_min(t, mrtc_time_min(n->list[i].next_send, n->list[i].give_up_at));
    return t;
}

void mrtc_nack_remove_before(mrtc_nack *n, uint16_t seq)
{
    if (!n || !n->have_newest)
        return;
    int64_t ext = n->newest + mrtc_rtp_seq_diff(seq, (uint16_t)n->newest);
    drop_front(n, lower_bound(n, ext));
}

size_t mrtc_nack_missing(const mrtc_nack *n)
{
    return n ? n->count : 0;
}
