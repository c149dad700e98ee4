/* Tests of rtp/nack.c on a virtual clock: the first request after the reordering allowance,
 * retries spaced by the RTT and counted, the give-up time, recovered and reordered packets
 * clearing their entries (a reordering shorter than the allowance is never requested),
 * poll capacity, the sequence number wrap, jumps and overflow asking for a key frame, a
 * sender restart, remove_before, and allocation failure. */
#include "test.h"

#include "core/util/time.h"
#include "meshrtc/error.h"
#include "rtp/nack.h"

static mrtc_nack *make(void)
{
    mrtc_nack *n = NULL;
    CHECK_EQ(mrtc_nack_new(&n), 0);
    CHECK(n != NULL);
    return n;
}

/* RTT 50 ms: seqs 2 and 3 are missing when 4 arrives at t0. First request exactly 10 ms
 * later, then every 62.5 ms (>= rtt), 10 requests, then forgotten. */
static void test_nack_timing(void)
{
    mrtc_nack *n = make();
    uint16_t out[8];
    mrtc_time t0 = MRTC_MSEC(100);

    if (!n)
        return;
    mrtc_nack_set_rtt(n, MRTC_MSEC(50));
    CHECK_U64(mrtc_nack_next_timeout(n), MRTC_TIME_NEVER);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 0, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, MRTC_MSEC(20), 1, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, t0, 4, false), 0);
    CHECK_EQ(mrtc_nack_missing(n), 2);
    CHECK_EQ(mrtc_nack_poll(n, t0, out, 8), 0);
    CHECK_U64(mrtc_nack_next_timeout(n), t0 + MRTC_MSEC(10));
    CHECK_EQ(mrtc_nack_poll(n, t0 + MRTC_MSEC(10) - 1, out, 8), 0);
    CHECK_EQ(mrtc_nack_poll(n, t0 + MRTC_MSEC(10), out, 8), 2);
    CHECK_EQ(out[0], 2);
    CHECK_EQ(out[1], 3);
    mrtc_time last = t0 + MRTC_MSEC(10);
    CHECK_U64(mrtc_nack_next_timeout(n), last + MRTC_USEC(62500));
    CHECK_EQ(mrtc_nack_poll(n, last + MRTC_USEC(62499), out, 8), 0);

    int sends = 1;
    mrtc_time t;
    while ((t = mrtc_nack_next_timeout(n)) != MRTC_TIME_NEVER) {
        CHECK(t - last >= MRTC_MSEC(50));
        size_t k = mrtc_nack_poll(n, t, out, 8);
        if (k == 0)
            break;
        CHECK_EQ(k, 2);
        sends++;
        last = t;
        if (sends > 20)
            break;
    }
    CHECK_EQ(sends, MRTC_NACK_MAX_SENDS);
    /* Dropped one interval after the last request, well before the 1 s give-up. */
    CHECK_EQ(mrtc_nack_missing(n), 0);
    CHECK_U64(mrtc_nack_next_timeout(n), MRTC_TIME_NEVER);
    mrtc_nack_free(n);
}

/* With a long RTT the 1 s give-up comes first: RTT 200 ms, interval 250 ms, requests at
 * 10, 260, 510 and 760 ms, gone at 1000 ms. The default RTT is 100 ms. */
static void test_nack_give_up(void)
{
    mrtc_nack *n = make();
    uint16_t out[4];
    int sends = 0;

    if (!n)
        return;
    mrtc_nack_set_rtt(n, MRTC_MSEC(200));
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 10, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 12, false), 0);
    for (mrtc_time t = 0; t <= MRTC_MSEC(1100); t += MRTC_MSEC(1)) {
        size_t k = mrtc_nack_poll(n, t, out, 4);
        if (k) {
            CHECK_EQ(out[0], 11);
            CHECK(t == MRTC_MSEC(10) || t == MRTC_MSEC(260) || t == MRTC_MSEC(510) ||
                  t == MRTC_MSEC(760));
            sends++;
        }
        if (t == MRTC_MSEC(999))
            CHECK_EQ(mrtc_nack_missing(n), 1);
    }
    CHECK_EQ(sends, 4);
    CHECK_EQ(mrtc_nack_missing(n), 0);

    /* Default RTT (also after set_rtt(0)): interval 125 ms. */
    mrtc_nack_set_rtt(n, 0);
    CHECK_EQ(mrtc_nack_on_packet(n, MRTC_SEC(2), 14, false), 0);
    CHECK_EQ(mrtc_nack_poll(n, MRTC_SEC(2) + MRTC_MSEC(10), out, 4), 1);
    CHECK_U64(mrtc_nack_next_timeout(n), MRTC_SEC(2) + MRTC_MSEC(135));
    mrtc_nack_free(n);
}

/* Reordering: a packet arriving before the allowance ends is never requested; at the end of
 * the allowance it has been requested once. RTX-recovered packets clear their entry. */
static void test_nack_reorder_and_recovered(void)
{
    mrtc_nack *n = make();
    uint16_t out[4];

    if (!n)
        return;
    mrtc_nack_set_rtt(n, MRTC_MSEC(50));
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 100, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, MRTC_MSEC(1), 102, false), 0);
    CHECK_EQ(mrtc_nack_poll(n, MRTC_MSEC(5), out, 4), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, MRTC_MSEC(11) - 1, 101, false), 0); /* 9.999 ms late */
    CHECK_EQ(mrtc_nack_missing(n), 0);
    for (mrtc_time t = MRTC_MSEC(11); t < MRTC_SEC(2); t += MRTC_MSEC(1))
        CHECK_EQ(mrtc_nack_poll(n, t, out, 4), 0);

    /* 103 missing; 104 arrives at 2 s, 103 at 2 s + 10 ms (after the poll): one request. */
    mrtc_time t0 = MRTC_SEC(2);
    CHECK_EQ(mrtc_nack_on_packet(n, t0, 104, false), 0);
    CHECK_EQ(mrtc_nack_poll(n, t0 + MRTC_MSEC(10), out, 4), 1);
    CHECK_EQ(out[0], 103);
    CHECK_EQ(mrtc_nack_on_packet(n, t0 + MRTC_MSEC(10), 103, false), 0);
    CHECK_EQ(mrtc_nack_missing(n), 0);

    /* 105..107 missing, 106 recovered by RTX, duplicates and old packets change nothing. */
    CHECK_EQ(mrtc_nack_on_packet(n, t0, 108, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, t0, 106, true), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, t0, 108, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, t0, 100, false), 0);
    CHECK_EQ(mrtc_nack_missing(n), 2);
    /* Capacity: the oldest first, the rest stays due. */
    CHECK_EQ(mrtc_nack_poll(n, t0 + MRTC_MSEC(20), out, 1), 1);
    CHECK_EQ(out[0], 105);
    CHECK_U64(mrtc_nack_next_timeout(n), t0 + MRTC_MSEC(10));
    CHECK_EQ(mrtc_nack_poll(n, t0 + MRTC_MSEC(20), NULL, 0), 0);
    CHECK_EQ(mrtc_nack_poll(n, t0 + MRTC_MSEC(21), out, 4), 1);
    CHECK_EQ(out[0], 107);
    mrtc_nack_free(n);
}

static void test_nack_wrap(void)
{
    mrtc_nack *n = make();
    uint16_t out[8];

    if (!n)
        return;
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 65533, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 2, false), 0); /* 65534, 65535, 0, 1 missing */
    CHECK_EQ(mrtc_nack_missing(n), 4);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 0, false), 0);
    CHECK_EQ(mrtc_nack_poll(n, MRTC_MSEC(10), out, 8), 3);
    CHECK_EQ(out[0], 65534);
    CHECK_EQ(out[1], 65535);
    CHECK_EQ(out[2], 1);
    /* remove_before across the wrap. */
    mrtc_nack_remove_before(n, 1);
    CHECK_EQ(mrtc_nack_missing(n), 1);
    CHECK_EQ(mrtc_nack_poll(n, MRTC_SEC(1) - 1, out, 8), 1);
    CHECK_EQ(out[0], 1);
    mrtc_nack_remove_before(n, 5);
    CHECK_EQ(mrtc_nack_missing(n), 0);
    mrtc_nack_free(n);
}

/* Jumps: a gap of exactly MRTC_NACK_MAX_MISSING is tracked; more missing entries drop the
 * oldest and ask for a key frame; a larger jump clears everything; a packet far behind is a
 * restart. */
static void test_nack_limits(void)
{
    mrtc_nack *n = make();
    uint16_t out[2000];

    if (!n)
        return;
    CHECK_EQ(mrtc_nack_on_packet(n, 0, 0, false), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, MRTC_NACK_MAX_MISSING + 1, false), 0);
    CHECK_EQ(mrtc_nack_missing(n), MRTC_NACK_MAX_MISSING);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, MRTC_NACK_MAX_MISSING + 4, false), 1);
    CHECK_EQ(mrtc_nack_missing(n), MRTC_NACK_MAX_MISSING);
    CHECK_EQ(mrtc_nack_poll(n, MRTC_MSEC(10), out, 2000), MRTC_NACK_MAX_MISSING);
    CHECK_EQ(out[0], 3); /* 1 and 2 were dropped */
    CHECK_EQ(out[MRTC_NACK_MAX_MISSING - 1], MRTC_NACK_MAX_MISSING + 3);

    uint16_t newest = MRTC_NACK_MAX_MISSING + 4;
    CHECK_EQ(mrtc_nack_on_packet(n, 0, (uint16_t)(newest + MRTC_NACK_MAX_MISSING + 2), false), 1);
    CHECK_EQ(mrtc_nack_missing(n), 0);
    newest = (uint16_t)(newest + MRTC_NACK_MAX_MISSING + 2);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, (uint16_t)(newest + 3), false), 0);
    CHECK_EQ(mrtc_nack_missing(n), 2);
    newest = (uint16_t)(newest + 3);
    /* 0x2000 behind is late, 0x2001 a restart. */
    CHECK_EQ(mrtc_nack_on_packet(n, 0, (uint16_t)(newest - 0x2000), false), 0);
    CHECK_EQ(mrtc_nack_missing(n), 2);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, (uint16_t)(newest - 0x2001), false), 1);
    CHECK_EQ(mrtc_nack_missing(n), 0);
    CHECK_EQ(mrtc_nack_on_packet(n, 0, (uint16_t)(newest - 0x1fff), false), 0);
    CHECK_EQ(mrtc_nack_missing(n), 1);
    mrtc_nack_free(n);
}

static void test_nack_misuse(void)
{
    mrtc_nack *n = NULL;

    CHECK_EQ(mrtc_nack_new(NULL), MRTC_EINVAL);
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_nack_new(&n), MRTC_ENOMEM);
    CHECK(n == NULL);
    mrtc_alloc_fail_after(2);
    CHECK_EQ(mrtc_nack_new(&n), MRTC_ENOMEM);
    CHECK(n == NULL);
    mrtc_alloc_fail_after(0);
    CHECK_EQ(mrtc_nack_on_packet(NULL, 0, 1, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_nack_poll(NULL, 0, NULL, 0), 0);
    CHECK_U64(mrtc_nack_next_timeout(NULL), MRTC_TIME_NEVER);
    CHECK_EQ(mrtc_nack_missing(NULL), 0);
    mrtc_nack_remove_before(NULL, 1);
    mrtc_nack_set_rtt(NULL, 1);
    mrtc_nack_free(NULL);
    n = make();
    mrtc_nack_remove_before(n, 7); /* nothing seen yet */
    CHECK_EQ(mrtc_nack_missing(n), 0);
    mrtc_nack_free(n);
}

int main(void)
{
    RUN(test_nack_timing);
    RUN(test_nack_give_up);
    RUN(test_nack_reorder_and_recovered);
    RUN(test_nack_wrap);
    RUN(test_nack_limits);
    RUN(test_nack_misuse);
    return test_finish();
}
