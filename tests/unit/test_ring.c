/* Tests of media/ring.c: argument checks and capacity rounding, allocation failures, the
 * single-thread edge cases (empty, full, partial writes counted as overruns, wrap-around of
 * the buffer, discard, underruns noted by the consumer), and two real threads moving a
 * counting sequence of millions of samples through a small ring in chunks of varying sizes:
 * the consumer checks every sample arrives once and in order, and the overrun counters match
 * what the producer saw. No timing: the threads spin (yielding) and are joined. */
#include "test.h"

#include "media/ring.h"
#include "meshrtc/error.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

static void test_new_invalid(void)
{
    mrtc_ring *r = (mrtc_ring *)1;
    CHECK_EQ(mrtc_ring_new(0, &r), MRTC_EINVAL);
    CHECK(r == NULL);
    CHECK_EQ(mrtc_ring_new(MRTC_RING_MAX_CAPACITY + 1, &r), MRTC_EINVAL);
    CHECK_EQ(mrtc_ring_new(16, NULL), MRTC_EINVAL);
    mrtc_ring_free(NULL);
}

static void test_capacity_rounding(void)
{
    static const size_t asked[] = {1, 2, 3, 1000, 1024, 1025, 48000};
    static const size_t want[] = {1, 2, 4, 1024, 1024, 2048, 65536};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        mrtc_ring *r = NULL;
        CHECK_EQ(mrtc_ring_new(asked[i], &r), 0);
        if (!r)
            continue;
        CHECK_EQ(mrtc_ring_capacity(r), want[i]);
        CHECK_EQ(mrtc_ring_space(r), want[i]);
        CHECK_EQ(mrtc_ring_available(r), 0);
        mrtc_ring_free(r);
    }
}

static void test_alloc_failure(void)
{
    for (long n = 1; n <= 2; n++) {
        mrtc_ring *r = (mrtc_ring *)1;
        mrtc_alloc_fail_after(n);
        CHECK_EQ(mrtc_ring_new(64, &r), MRTC_ENOMEM);
        CHECK(r == NULL);
        mrtc_alloc_fail_after(0);
    }
}

static void test_empty_and_full(void)
{
    mrtc_ring *r = NULL;
    int16_t in[12], out[12];
    mrtc_ring_counters c;

    for (int i = 0; i < 12; i++)
        in[i] = (int16_t)(100 + i);
    CHECK_EQ(mrtc_ring_new(8, &r), 0);
    if (!r)
        return;
    CHECK_EQ(mrtc_ring_read(r, out, 4), 0);
    CHECK_EQ(mrtc_ring_discard(r, 4), 0);
    mrtc_ring_get_counters(r, &c);
    CHECK_U64(c.underruns, 0); /* a short read alone is not an underrun */

    /* 12 into 8: 8 fit, the 4 newest are dropped and counted. */
    CHECK_EQ(mrtc_ring_write(r, in, 12), 8);
    CHECK_EQ(mrtc_ring_available(r), 8);
    CHECK_EQ(mrtc_ring_space(r), 0);
    CHECK_EQ(mrtc_ring_write(r, in, 1), 0);
    mrtc_ring_get_counters(r, &c);
    CHECK_U64(c.overruns, 2);
    CHECK_U64(c.overrun_samples, 5);
    CHECK_EQ(mrtc_ring_write(r, in, 0), 0); /* an empty write is not an overrun */
    mrtc_ring_get_counters(r, &c);
    CHECK_U64(c.overruns, 2);

    CHECK_EQ(mrtc_ring_read(r, out, 12), 8);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(out[i], 100 + i);
    CHECK_EQ(mrtc_ring_available(r), 0);
    CHECK_EQ(mrtc_ring_space(r), 8);

    mrtc_ring_note_underrun(r, 0);
    mrtc_ring_note_underrun(r, 7);
    mrtc_ring_note_underrun(r, 3);
    mrtc_ring_get_counters(r, &c);
    CHECK_U64(c.underruns, 2);
    CHECK_U64(c.underrun_samples, 10);
    mrtc_ring_free(r);
}

/* Writes and reads of every size from 1 to 8 at every offset of an 8-sample ring: the
 * copies split at the end of the buffer must join up. */
static void test_wrap(void)
{
    mrtc_ring *r = NULL;
    int16_t in[8], out[8];
    uint16_t next_in = 0, next_out = 0;

    CHECK_EQ(mrtc_ring_new(8, &r), 0);
    if (!r)
        return;
    for (size_t offset = 0; offset < 8; offset++) {
        for (size_t n = 1; n <= 8; n++) {
            /* Move the indices to `offset` within the buffer. */
            while ((next_in & 7) != offset) {
                in[0] = (int16_t)next_in++;
                CHECK_EQ(mrtc_ring_write(r, in, 1), 1);
                CHECK_EQ(mrtc_ring_read(r, out, 1), 1);
                CHECK_EQ((uint16_t)out[0], next_out++);
            }
            for (size_t i = 0; i < n; i++)
                in[i] = (int16_t)next_in++;
            CHECK_EQ(mrtc_ring_write(r, in, n), n);
            CHECK_EQ(mrtc_ring_available(r), n);
            CHECK_EQ(mrtc_ring_space(r), 8 - n);
            /* Read in two pieces so reads also wrap at every offset. */
            size_t half = n / 2;
            CHECK_EQ(mrtc_ring_read(r, out, half), half);
            CHECK_EQ(mrtc_ring_read(r, out + half, 8), n - half);
            for (size_t i = 0; i < n; i++)
                CHECK_EQ((uint16_t)out[i], next_out++);
        }
    }
    mrtc_ring_free(r);
}

static void test_discard(void)
{
    mrtc_ring *r = NULL;
    int16_t in[6] = {1, 2, 3, 4, 5, 6}, out[6];

    CHECK_EQ(mrtc_ring_new(4, &r), 0);
    if (!r)
        return;
    CHECK_EQ(mrtc_ring_write(r, in, 3), 3);
    CHECK_EQ(mrtc_ring_discard(r, 2), 2);
    CHECK_EQ(mrtc_ring_write(r, in + 3, 3), 3); /* wraps */
    CHECK_EQ(mrtc_ring_discard(r, 1), 1);
    CHECK_EQ(mrtc_ring_read(r, out, 6), 3);
    CHECK_EQ(out[0], 4);
    CHECK_EQ(out[1], 5);
    CHECK_EQ(out[2], 6);
    CHECK_EQ(mrtc_ring_discard(r, 5), 0);
    mrtc_ring_free(r);
}

/* ---- Two threads ---- */

#define TOTAL_SAMPLES ((uint64_t)1 << 25)
#define THREAD_RING 1024

typedef struct thread_ctx {
    mrtc_ring *r;
    uint64_t dropped_by_ring; /* producer: samples write() did not take (resent after) */
    uint64_t short_writes;    /* producer: writes that did not take everything */
    uint64_t received;        /* consumer */
    uint64_t mismatches;      /* consumer */
    uint64_t first_mismatch_at;
} thread_ctx;

/* A small deterministic generator for chunk sizes (each thread its own). */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void *producer(void *arg)
{
    thread_ctx *t = arg;
    int16_t chunk[700];
    uint32_t seed = 1;
    uint64_t sent = 0;

    while (sent < TOTAL_SAMPLES) {
        size_t n = 1 + lcg(&seed) % 700;
        if (n > TOTAL_SAMPLES - sent)
            n = (size_t)(TOTAL_SAMPLES - sent);
        for (size_t i = 0; i < n; i++)
            chunk[i] = (int16_t)(uint16_t)(sent + i);
        size_t m = mrtc_ring_write(t->r, chunk, n);
        if (m < n) {
            t->short_writes++;
            t->dropped_by_ring += n - m;
        }
        sent += m; /* what did not fit is generated again next time: nothing is skipped */
        if (m == 0)
            sched_yield();
    }
    return NULL;
}

static void *consumer(void *arg)
{
    thread_ctx *t = arg;
    int16_t chunk[900];
    uint32_t seed = 7;

    while (t->received < TOTAL_SAMPLES) {
        size_t want = 1 + lcg(&seed) % 900;
        size_t m = mrtc_ring_read(t->r, chunk, want);
        for (size_t i = 0; i < m; i++) {
            if ((uint16_t)chunk[i] != (uint16_t)(t->received + i)) {
                if (!t->mismatches)
                    t->first_mismatch_at = t->received + i;
                t->mismatches++;
            }
        }
        t->received += m;
        if (m == 0)
            sched_yield();
    }
    return NULL;
}

static void test_two_threads(void)
{
    thread_ctx t = {0};
    pthread_t p, c;
    mrtc_ring_counters counters;

    CHECK_EQ(mrtc_ring_new(THREAD_RING, &t.r), 0);
    if (!t.r)
        return;
    CHECK_EQ(pthread_create(&c, NULL, consumer, &t), 0);
    CHECK_EQ(pthread_create(&p, NULL, producer, &t), 0);
    pthread_join(p, NULL);
    pthread_join(c, NULL);

    CHECK_U64(t.received, TOTAL_SAMPLES);
    if (t.mismatches)
        fprintf(stderr, "first mismatch at sample %" PRIu64 "\n", t.first_mismatch_at);
    CHECK_U64(t.mismatches, 0);
    CHECK_EQ(mrtc_ring_available(t.r), 0);
    mrtc_ring_get_counters(t.r, &counters);
    CHECK_U64(counters.overruns, t.short_writes);
    CHECK_U64(counters.overrun_samples, t.dropped_by_ring);
    CHECK_U64(counters.underruns, 0);
    mrtc_ring_free(t.r);
}

int main(void)
{
    RUN(test_new_invalid);
    RUN(test_capacity_rounding);
    RUN(test_alloc_failure);
    RUN(test_empty_and_full);
    RUN(test_wrap);
    RUN(test_discard);
    RUN(test_two_threads);
    return test_finish();
}
