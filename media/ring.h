/*
 * A lock-free single-producer/single-consumer ring of int16 PCM samples: the one way PCM
 * crosses between the PortAudio callback thread and the loop thread (ARCHITECTURE.md,
 * "Threads"). One thread writes, one thread reads; neither ever locks, allocates or blocks.
 * The capacity is a power of two; indices run freely and are masked.
 *
 * Loss is counted where it happens: a write that does not fit stores what fits and counts an
 * overrun (and the samples dropped); the consumer records an underrun itself when a read
 * came up short at a moment it needed the samples (an audio callback), because a short read
 * is normal for a polling consumer. The counters are atomics readable from any thread.
 */
#ifndef MRTC_MEDIA_RING_H
#define MRTC_MEDIA_RING_H

#include <stddef.h>
#include <stdint.h>

/* The largest capacity mrtc_ring_new accepts (samples). */
#define MRTC_RING_MAX_CAPACITY ((size_t)1 << 26)

typedef struct mrtc_ring mrtc_ring;

/* Loss counters; events and samples. */
typedef struct mrtc_ring_counters {
    uint64_t overruns;         /* writes that did not fit entirely */
    uint64_t overrun_samples;  /* samples those writes dropped */
    uint64_t underruns;        /* short reads the consumer reported */
    uint64_t underrun_samples; /* samples missing from them */
} mrtc_ring_counters;

/* Creates an empty ring holding at least capacity_samples samples (rounded up to a power of
 * two). *out is owned by the caller, freed with mrtc_ring_free once neither thread uses it.
 * Returns 0, MRTC_EINVAL (out NULL, capacity 0 or above MRTC_RING_MAX_CAPACITY) or
 * MRTC_ENOMEM. */
int mrtc_ring_new(size_t capacity_samples, mrtc_ring **out);

/* Frees the ring; accepts NULL. */
void mrtc_ring_free(mrtc_ring *r);

/* The capacity in samples (a power of two). Any thread. */
size_t mrtc_ring_capacity(const mrtc_ring *r);

/* Producer only. Copies as many of the n samples of src as fit and returns how many; when
 * not all fit, counts one overrun and the samples dropped (the newest ones: src's tail). */
size_t mrtc_ring_write(mrtc_ring *r, const int16_t *src, size_t n);

/* Consumer only. Copies up to n samples into dst (capacity n) and returns how many. */
size_t mrtc_ring_read(mrtc_ring *r, int16_t *dst, size_t n);

/* Consumer only. Drops up to n of the oldest samples; returns how many. */
size_t mrtc_ring_discard(mrtc_ring *r, size_t n);

/* Samples ready to read. Exact on the consumer thread; from the producer it may be an
 * over-estimate (the consumer may be reading), from a third thread an approximation. */
size_t mrtc_ring_available(const mrtc_ring *r);

/* Samples that can be written. Exact on the producer thread; from the consumer it may be an
 * over-estimate (the producer may be writing), from a third thread an approximation. */
size_t mrtc_ring_space(const mrtc_ring *r);

/* Consumer only. Records that a read needed missing_samples more than it got (one
 * underrun); missing_samples 0 records nothing. */
void mrtc_ring_note_underrun(mrtc_ring *r, size_t missing_samples);

/* Fills *out with the counters. Any thread; each field is read atomically. */
void mrtc_ring_get_counters(const mrtc_ring *r, mrtc_ring_counters *out);

#endif
