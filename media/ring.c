/*
 * The SPSC sample ring of media/ring.h. Two free-running indices count the samples ever
 * written (head, stored only by the producer) and read (tail, stored only by the consumer);
 * head - tail is the fill, masked indices address the buffer. The producer publishes samples
 * with a release store of head after copying them, and the consumer an acquire load of head
 * before copying them out; symmetrically the consumer releases the slots it has copied by a
 * release store of tail, which the producer acquires before overwriting them (C11
 * <stdatomic.h>). Each side keeps a private copy of the other side's index and reloads it
 * only when that copy says the ring is full (or empty), so the shared cache lines move only
 * when needed; the producer's and the consumer's fields sit in different cache lines.
 *
 * Deliberately not done: multiple producers or consumers, blocking or waking a waiting
 * thread (the audio callback must never block; the loop thread polls), and dropping the
 * oldest samples on overrun (only the consumer may move tail: the newest are dropped).
 */
#include "media/ring.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <stdatomic.h>
#include <string.h>

/* Distance that keeps the producer's fields and the consumer's fields out of each other's
 * cache line whatever the allocation's alignment. */
#define CACHE_LINE 64

struct mrtc_ring {
    /* Producer side: written only by the producer. */
    atomic_size_t head;   /* samples ever written */
    size_t producer_tail; /* the producer's last view of tail */
    _Atomic uint64_t overruns, overrun_samples;
    char pad_producer[CACHE_LINE];

    /* Consumer side: written only by the consumer. */
    atomic_size_t tail;   /* samples ever read */
    size_t consumer_head; /* the consumer's last view of head */
    _Atomic uint64_t underruns, underrun_samples;
    char pad_consumer[CACHE_LINE];

    /* Constant after creation. */
    size_t mask; /* capacity - 1 */
    int16_t *buf;
};

int mrtc_ring_new(size_t capacity_samples, mrtc_ring **out)
{
    int err = 0;
    mrtc_ring *r = NULL;
    size_t cap = 1;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (capacity_samples == 0 || capacity_samples > MRTC_RING_MAX_CAPACITY)
        return MRTC_EINVAL;
    while (cap < capacity_samples)
        cap <<= 1;
    r = mrtc_calloc(1, sizeof *r);
    if (!r) {
        err = MRTC_ENOMEM;
        goto out;
    }
    r->buf = mrtc_calloc(cap, sizeof *r->buf);
    if (!r->buf) {
        err = MRTC_ENOMEM;
        goto out;
    }
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->overruns, 0);
    atomic_init(&r->overrun_samples, 0);
    atomic_init(&r->underruns, 0);
    atomic_init(&r->underrun_samples, 0);
    *out = r;
    r = NULL;
out:
    mrtc_ring_free(r);
    return err;
}

void mrtc_ring_free(mrtc_ring *r)
{
    if (!r)
        return;
    mrtc_free(r->buf);
    mrtc_free(r);
}

size_t mrtc_ring_capacity(const mrtc_ring *r)
{
    return r->mask + 1;
}

/* Adds to a counter that only one thread writes: a relaxed load and store, no RMW. */
static void counter_add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

size_t mrtc_ring_write(mrtc_ring *r, const int16_t *src, size_t n)
{
    size_t cap = r->mask + 1;
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t space = cap - (head - r->producer_tail);

    if (space < n) {
        r->producer_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        space = cap - (head - r->producer_tail);
    }
    size_t m = n < space ? n : space;
    size_t at = head & r->mask;
    size_t first = cap - at < m ? cap - at : m;
    if (first)
        memcpy(r->buf + at, src, first * sizeof *src);
    if (m > first)
        memcpy(r->buf, src + first, (m - first) * sizeof *src);
    atomic_store_explicit(&r->head, head + m, memory_order_release);
    if (m < n) {
        counter_add(&r->overruns, 1);
        counter_add(&r->overrun_samples, n - m);
    }
    return m;
}

/* The consumer's count of readable samples, reloading head only when the cached view is
 * short of `want`. */
static size_t consumer_fill(mrtc_ring *r, size_t tail, size_t want)
{
    size_t fill = r->consumer_head - tail;
    if (fill < want) {
        r->consumer_head = atomic_load_explicit(&r->head, memory_order_acquire);
        fill = r->consumer_head - tail;
    }
    return fill;
}

size_t mrtc_ring_read(mrtc_ring *r, int16_t *dst, size_t n)
{
    size_t cap = r->mask + 1;
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t fill = consumer_fill(r, tail, n);
    size_t m = n < fill ? n : fill;
    size_t at = tail & r->mask;
    size_t first = cap - at < m ? cap - at : m;

    if (first)
        memcpy(dst, r->buf + at, first * sizeof *dst);
    if (m > first)
        memcpy(dst + first, r->buf, (m - first) * sizeof *dst);
    atomic_store_explicit(&r->tail, tail + m, memory_order_release);
    return m;
}

size_t mrtc_ring_discard(mrtc_ring *r, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t fill = consumer_fill(r, tail, n);
    size_t m = n < fill ? n : fill;

    atomic_store_explicit(&r->tail, tail + m, memory_order_release);
    return m;
}

/* head - tail with tail loaded first: head only grows, so the difference is never negative;
 * from a third thread it can exceed the capacity (the consumer read and the producer wrote
 * between the two loads), hence the clamp. On either side's own thread it is exact. */
static size_t fill_of(const mrtc_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t fill = head - tail;
    return fill > r->mask + 1 ? r->mask + 1 : fill;
}

size_t mrtc_ring_available(const mrtc_ring *r)
{
    return fill_of(r);
}

size_t mrtc_ring_space(const mrtc_ring *r)
{
    return r->mask + 1 - fill_of(r);
}

void mrtc_ring_note_underrun(mrtc_ring *r, size_t missing_samples)
{
    if (!missing_samples)
        return;
    counter_add(&r->underruns, 1);
    counter_add(&r->underrun_samples, missing_samples);
}

void mrtc_ring_get_counters(const mrtc_ring *r, mrtc_ring_counters *out)
{
    out->overruns = atomic_load_explicit(&r->overruns, memory_order_relaxed);
    out->overrun_samples = atomic_load_explicit(&r->overrun_samples, memory_order_relaxed);
    out->underruns = atomic_load_explicit(&r->underruns, memory_order_relaxed);
    out->underrun_samples = atomic_load_explicit(&r->underrun_samples, memory_order_relaxed);
}
