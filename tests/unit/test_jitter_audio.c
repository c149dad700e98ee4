/* Tests of rtp/jitter_audio.c on a virtual clock (1 ms steps; packets every 20 ms of RTP
 * time; the playout side pops every 20 ms): in-order playout after buffering, reordering
 * within the delay, a single loss with the next packet present (FEC), two losses in a row
 * (CONCEAL then FEC), late packets, duplicates, the sequence and timestamp wrap, jitter
 * adaptation (a steady stream stays at the minimum delay; +-60 ms of jitter raises the
 * target and, once adapted, causes no concealment), the overflow and max delay bounds, a
 * DTX pause and a plain silence, a sender restart, and misuse. */
#include "test.h"

#include "core/util/rand.h"
#include "core/util/time.h"
#include "meshrtc/error.h"
#include "rtp/jitter_audio.h"

#define MAX_PKTS 2000
#define MAX_LOG 4000
#define NONE (-1)

/* A stream: packet k has sequence number seq0 + k, timestamp ts[k] and arrives at
 * arrive[k] ms (NONE: lost). Its payload identifies it: k in two bytes, then a filler
 * (len 3), or a 1-byte DTX packet. */
typedef struct stream {
    uint16_t seq0;
    int n;
    uint32_t ts[MAX_PKTS];
    long arrive[MAX_PKTS];
    bool dtx[MAX_PKTS];
} stream;

typedef struct logged {
    mrtc_jitter_audio_action action;
    int pkt; /* packet whose payload came out, or NONE */
    unsigned samples;
    uint32_t ts;
    long at;
} logged;

static stream S;
static logged LOG[MAX_LOG];
static int n_log;

/* Packets every 960 samples from ts0, arriving on time at 20 ms each plus offset. */
static void stream_init(uint16_t seq0, uint32_t ts0, int n, long offset)
{
    memset(&S, 0, sizeof S);
    S.seq0 = seq0;
    S.n = n;
    for (int k = 0; k < n; k++) {
        S.ts[k] = ts0 + (uint32_t)k * 960u;
        S.arrive[k] = 20L * k + offset;
    }
}

static void push_pkt(mrtc_jitter_audio *jb, long at, int k)
{
    uint8_t p[3] = {(uint8_t)k, (uint8_t)(k >> 8), 0xab};
    CHECK_EQ(mrtc_jitter_audio_push(jb, MRTC_MSEC(at), (uint16_t)(S.seq0 + k), S.ts[k], p,
                                    S.dtx[k] ? 1 : 3, 960),
             0);
}

static int pkt_of(const mrtc_jitter_audio_out *o)
{
    if (!o->payload)
        return NONE;
    if (o->len == 1)
        return 10000; /* a DTX packet */
    return o->payload[0] | o->payload[1] << 8;
}

/* Runs the clock from 0 to end ms: packets are pushed when they arrive (in index order
 * within a millisecond), then every 20 ms from pop_offset the playout side pops. */
static void run(mrtc_jitter_audio *jb, long end, long pop_offset)
{
    n_log = 0;
    for (long t = 0; t <= end; t++) {
        for (int k = 0; k < S.n; k++)
            if (S.arrive[k] == t)
                push_pkt(jb, t, k);
        if (t >= pop_offset && (t - pop_offset) % 20 == 0 && n_log < MAX_LOG) {
            mrtc_jitter_audio_out o;
            CHECK_EQ(mrtc_jitter_audio_pop(jb, MRTC_MSEC(t), &o), 0);
            LOG[n_log++] = (logged){o.action, pkt_of(&o), o.samples, o.ts, t};
        }
    }
}

static mrtc_jitter_audio *make(unsigned min_delay, unsigned max_delay, size_t max_packets)
{
    mrtc_jitter_audio_config cfg;
    mrtc_jitter_audio *jb = NULL;

    mrtc_jitter_audio_config_init(&cfg);
    if (min_delay)
        cfg.min_delay_ms = min_delay;
    if (max_delay)
        cfg.max_delay_ms = max_delay;
    if (max_packets)
        cfg.max_packets = max_packets;
    CHECK_EQ(mrtc_jitter_audio_new(&cfg, &jb), 0);
    return jb;
}

/* The index of the first log entry decoding packet k, or NONE. */
static int find_decode(int k)
{
    for (int i = 0; i < n_log; i++)
        if (LOG[i].action == MRTC_JITTER_AUDIO_DECODE && LOG[i].pkt == k)
            return i;
    return NONE;
}

/* Every packet in [from, to) decoded once, in order, with its timestamp. */
static void check_decoded_in_order(int from, int to)
{
    int last = -1;
    for (int k = from; k < to; k++) {
        int i = find_decode(k);
        CHECK(i != NONE);
        if (i == NONE)
            continue;
        CHECK(i > last);
        CHECK_U64(LOG[i].ts, S.ts[k]);
        CHECK_EQ(LOG[i].samples, 960);
        last = i;
    }
}

static void test_in_order(void)
{
    mrtc_jitter_audio *jb = make(0, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(1000, 5000, 50, 30); /* first packet at 30 ms */
    run(jb, 30 + 20 * 49, 5);
    /* WAIT before the first packet; the 20 ms target is met by the first packet. */
    CHECK_EQ(LOG[0].action, MRTC_JITTER_AUDIO_WAIT);
    CHECK_EQ(LOG[1].action, MRTC_JITTER_AUDIO_WAIT);
    CHECK_EQ(LOG[0].samples, 960);
    CHECK_EQ(LOG[2].action, MRTC_JITTER_AUDIO_DECODE);
    CHECK_EQ(LOG[2].pkt, 0);
    for (int i = 2; i < n_log; i++) {
        CHECK_EQ(LOG[i].action, MRTC_JITTER_AUDIO_DECODE);
        CHECK_EQ(LOG[i].pkt, i - 2);
    }
    check_decoded_in_order(0, 49);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_received, 50);
    CHECK_U64(st.packets_lost + st.packets_late + st.packets_duplicated, 0);
    CHECK_U64(st.concealed_frames + st.fec_recovered + st.packets_discarded, 0);
    CHECK_EQ(st.target_delay_ms, 20);
    CHECK(st.current_delay_ms >= 20 && st.current_delay_ms <= 40);
    CHECK(st.jitter_ms == 0.0);
    mrtc_jitter_audio_free(jb);
}

static void test_reorder_within_delay(void)
{
    mrtc_jitter_audio *jb = make(60, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(7, 0, 40, 0);
    S.arrive[4] = 105; /* after 5 */
    S.arrive[5] = 100;
    S.arrive[11] = 245; /* after 12 */
    S.arrive[20] = 441; /* after 21 and 22 */
    run(jb, 20 * 38, 10);
    check_decoded_in_order(0, 36);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_lost + st.packets_late + st.concealed_frames + st.fec_recovered, 0);
    CHECK(st.jitter_ms > 0.0);
    mrtc_jitter_audio_free(jb);
}

/* Target 60 ms: the playout side runs 50 ms behind the arrivals, so at the slot of a lost
 * packet the next one is buffered. */
static void test_single_loss_fec(void)
{
    mrtc_jitter_audio *jb = make(60, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(100, 3000, 30, 0);
    S.arrive[5] = NONE;
    run(jb, 20 * 28, 10);
    int i = find_decode(4);
    CHECK(i != NONE && i + 2 < n_log);
    if (i == NONE || i + 2 >= n_log)
        goto out;
    CHECK_EQ(LOG[i + 1].action, MRTC_JITTER_AUDIO_FEC);
    CHECK_EQ(LOG[i + 1].pkt, 6);
    CHECK_EQ(LOG[i + 1].samples, 960);
    CHECK_U64(LOG[i + 1].ts, S.ts[5]);
    CHECK_EQ(LOG[i + 2].action, MRTC_JITTER_AUDIO_DECODE);
    CHECK_EQ(LOG[i + 2].pkt, 6);
    check_decoded_in_order(6, 25);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_lost, 1);
    CHECK_U64(st.fec_recovered, 1);
    CHECK_U64(st.concealed_frames, 0);
out:
    mrtc_jitter_audio_free(jb);
}

/* Two losses: CONCEAL the first (the next is missing too), FEC the second. The lost
 * packets then arrive after their slots: late, dropped. */
static void test_two_losses_and_late(void)
{
    mrtc_jitter_audio *jb = make(60, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(100, 3000, 30, 0);
    S.arrive[5] = 300;
    S.arrive[6] = 301;
    run(jb, 20 * 28, 10);
    int i = find_decode(4);
    CHECK(i != NONE && i + 3 < n_log);
    if (i == NONE || i + 3 >= n_log)
        goto out;
    CHECK_EQ(LOG[i + 1].action, MRTC_JITTER_AUDIO_CONCEAL);
    CHECK_EQ(LOG[i + 1].samples, 960);
    CHECK_U64(LOG[i + 1].ts, S.ts[5]);
    CHECK_EQ(LOG[i + 2].action, MRTC_JITTER_AUDIO_FEC);
    CHECK_EQ(LOG[i + 2].pkt, 7);
    CHECK_U64(LOG[i + 2].ts, S.ts[6]);
    CHECK_EQ(LOG[i + 3].action, MRTC_JITTER_AUDIO_DECODE);
    CHECK_EQ(LOG[i + 3].pkt, 7);
    CHECK_EQ(find_decode(5), NONE);
    CHECK_EQ(find_decode(6), NONE);
    check_decoded_in_order(7, 25);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_lost, 2);
    CHECK_U64(st.fec_recovered, 1);
    CHECK_U64(st.concealed_frames, 1);
    CHECK_U64(st.concealed_samples, 960);
    CHECK_U64(st.packets_late, 2);
    CHECK_U64(st.packets_duplicated, 0);
out:
    mrtc_jitter_audio_free(jb);
}

static void test_duplicates(void)
{
    mrtc_jitter_audio *jb = make(60, 0, 0);
    mrtc_jitter_audio_stats st;
    mrtc_jitter_audio_out o;

    if (!jb)
        return;
    stream_init(65000, 0, 20, 0);
    /* Copies of 3 while it is buffered and of 1 after it was played, plus 2 copies of 4. */
    n_log = 0;
    for (long t = 0; t <= 20 * 18; t++) {
        for (int k = 0; k < S.n; k++)
            if (S.arrive[k] == t)
                push_pkt(jb, t, k);
        if (t == 61 || t == 200)
            push_pkt(jb, t, t == 61 ? 3 : 1);
        if (t == 75 || t == 76)
            push_pkt(jb, t, 4); /* before the original, then the original is the copy */
        if (t >= 10 && (t - 10) % 20 == 0) {
            CHECK_EQ(mrtc_jitter_audio_pop(jb, MRTC_MSEC(t), &o), 0);
            LOG[n_log++] = (logged){o.action, pkt_of(&o), o.samples, o.ts, t};
        }
    }
    check_decoded_in_order(0, 16);
    int decodes = 0;
    for (int i = 0; i < n_log; i++)
        decodes += LOG[i].action == MRTC_JITTER_AUDIO_DECODE;
    CHECK_EQ(decodes, n_log - 2); /* two WAITs while buffering to 60 ms */
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_duplicated, 4);
    CHECK_U64(st.packets_late + st.packets_lost + st.concealed_frames, 0);
    mrtc_jitter_audio_free(jb);
}

/* Sequence numbers wrap at packet 6, timestamps at packet 3; packet 7 is lost. */
static void test_wrap(void)
{
    mrtc_jitter_audio *jb = make(60, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(65530, (uint32_t)(0x100000000ull - 3 * 960 + 100), 30, 0);
    S.arrive[7] = NONE;
    run(jb, 20 * 28, 10);
    check_decoded_in_order(0, 7);
    check_decoded_in_order(8, 25);
    int i = find_decode(8);
    CHECK(i > 0);
    if (i > 0) {
        CHECK_EQ(LOG[i - 1].action, MRTC_JITTER_AUDIO_FEC);
        CHECK_U64(LOG[i - 1].ts, S.ts[7]);
    }
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_lost, 1);
    CHECK_U64(st.packets_late + st.packets_discarded + st.concealed_frames, 0);
    mrtc_jitter_audio_free(jb);
}

/* 10 s of a steady stream: the target stays at the minimum and nothing is concealed. */
static void test_steady_stays_at_min(void)
{
    mrtc_jitter_audio *jb = make(0, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(1, 1, 500, 3);
    run(jb, 20 * 498, 7);
    check_decoded_in_order(0, 498);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_EQ(st.target_delay_ms, 20);
    CHECK(st.current_delay_ms <= 40);
    CHECK_U64(st.concealed_frames + st.packets_lost + st.packets_discarded, 0);
    mrtc_jitter_audio_free(jb);
}

/* Arrivals spread uniformly over 0..120 ms after the send time (+-60 ms around the mean),
 * so packets are often reordered. The target rises to cover it; after 5 s of adaptation
 * nothing more is concealed or lost during the next 25 s. */
static void test_jitter_adaptation(void)
{
    mrtc_jitter_audio *jb = make(0, 0, 0);
    mrtc_jitter_audio_stats st, mid;
    mrtc_rand_seeded rng;

    if (!jb)
        return;
    mrtc_rand_seeded_init(&rng, 3550);
    stream_init(40000, 123456, 1500, 0);
    for (int k = 0; k < S.n; k++)
        S.arrive[k] = 20L * k + (long)mrtc_rand_below(&rng.rand, 121);
    n_log = 0;
    mrtc_jitter_audio_out o;
    for (long t = 0; t <= 20 * 1490; t++) {
        for (int k = 0; k < S.n; k++)
            if (S.arrive[k] == t)
                push_pkt(jb, t, k);
        if (t % 20 == 9)
            CHECK_EQ(mrtc_jitter_audio_pop(jb, MRTC_MSEC(t), &o), 0);
        if (t == 5000)
            mrtc_jitter_audio_get_stats(jb, &mid);
    }
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK(mid.target_delay_ms >= 120 && mid.target_delay_ms <= 160);
    CHECK(st.target_delay_ms >= 120 && st.target_delay_ms <= 160);
    CHECK(st.current_delay_ms >= 120 && st.current_delay_ms <= 200);
    CHECK_U64(st.concealed_frames, mid.concealed_frames);
    CHECK_U64(st.packets_lost, mid.packets_lost);
    CHECK_U64(st.packets_late, mid.packets_late);
    CHECK(st.jitter_ms > 20.0 && st.jitter_ms < 60.0);
    fprintf(stderr,
            "jitter adaptation: target %u ms, delay %u ms, jitter %.1f ms, adapting: "
            "%" PRIu64 " concealed, %" PRIu64 " lost, %" PRIu64 " discarded\n",
            st.target_delay_ms, st.current_delay_ms, st.jitter_ms, mid.concealed_frames,
            mid.packets_lost, st.packets_discarded);

    /* When the jitter stops, the target comes back down to the minimum (the window is 500
     * packets) and the delay follows by dropping packets. */
    stream_init(41500, 123456 + 1500 * 960, 1000, 30000);
    run(jb, 30000 + 20 * 990, 30000 + 9);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_EQ(st.target_delay_ms, 20);
    CHECK(st.current_delay_ms <= 50);
    mrtc_jitter_audio_free(jb);
}

/* Nobody pops: the buffer keeps at most max_packets, and at most max_delay_ms of audio. */
static void test_overflow(void)
{
    mrtc_jitter_audio *jb = make(0, 10000, 10);
    mrtc_jitter_audio_stats st;
    mrtc_jitter_audio_out o;

    if (!jb)
        return;
    stream_init(0, 0, 50, 0);
    for (int k = 0; k < S.n; k++)
        push_pkt(jb, S.arrive[k], k);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_discarded, 40);
    /* Playout starts at 40 with 200 ms buffered against a 20 ms target: 40 is dropped. */
    CHECK_EQ(mrtc_jitter_audio_pop(jb, MRTC_MSEC(980), &o), 0);
    CHECK_EQ(o.action, MRTC_JITTER_AUDIO_DECODE);
    CHECK_EQ(pkt_of(&o), 41);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_discarded, 41);
    CHECK_U64(st.packets_lost, 0);
    mrtc_jitter_audio_free(jb);

    jb = make(0, 0, 0); /* 400 ms: 20 packets */
    if (!jb)
        return;
    for (int k = 0; k < S.n; k++)
        push_pkt(jb, S.arrive[k], k);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_discarded, 30);
    CHECK_EQ(mrtc_jitter_audio_pop(jb, MRTC_MSEC(980), &o), 0);
    CHECK_EQ(o.action, MRTC_JITTER_AUDIO_DECODE);
    CHECK_EQ(pkt_of(&o), 31);
    /* Packets already dropped count as late when they come again. */
    push_pkt(jb, 1000, 3);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_late, 1);
    mrtc_jitter_audio_free(jb);
}

/* Speech, then Opus DTX (1-byte packets every 400 ms, consecutive sequence numbers), then
 * speech again: the pause plays as silence, nothing is concealed or lost. */
static void test_dtx(void)
{
    mrtc_jitter_audio *jb = make(0, 0, 0);
    mrtc_jitter_audio_stats st;

    if (!jb)
        return;
    stream_init(500, 77, 80, 0);
    /* Packets 0..49 speech; 50, 51, 52 DTX at slots 50, 70, 90; 53.. speech from slot 110. */
    for (int k = 50; k < 80; k++) {
        int slot = k <= 52 ? 50 + (k - 50) * 20 : 110 + (k - 53);
        S.ts[k] = 77 + (uint32_t)slot * 960u;
        S.arrive[k] = 20L * slot;
        S.dtx[k] = k <= 52;
    }
    run(jb, 20 * (110 + 25), 5);
    check_decoded_in_order(0, 50);
    check_decoded_in_order(53, 78);
    int waits = 0, dtx = 0;
    for (int i = 0; i < n_log; i++) {
        waits += LOG[i].action == MRTC_JITTER_AUDIO_WAIT;
        dtx += LOG[i].pkt == 10000;
    }
    CHECK_EQ(dtx, 3);
    CHECK(waits >= 55 && waits <= 60); /* 57 slots of silence, give or take the rounding */
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.concealed_frames + st.packets_lost + st.packets_late, 0);
    CHECK_U64(st.packets_discarded, 0);
    mrtc_jitter_audio_free(jb);

    /* The sender goes quiet for 2 s without DTX packets: a few concealed frames while the
     * buffer cannot know it is silence, then WAIT until the speech comes back. */
    jb = make(0, 0, 0);
    if (!jb)
        return;
    stream_init(500, 77, 80, 0);
    for (int k = 50; k < 80; k++) {
        S.ts[k] = 77 + (uint32_t)(k + 100) * 960u;
        S.arrive[k] = 20L * (k + 100);
    }
    run(jb, 20 * 179 + 5, 5); /* until packet 79 is played */
    check_decoded_in_order(0, 80);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK(st.concealed_frames <= 5);
    CHECK_U64(st.packets_lost + st.packets_late + st.packets_discarded, 0);
    mrtc_jitter_audio_free(jb);
}

/* A packet 3001 sequence numbers away is a sender restart: the buffer starts over. */
static void test_restart(void)
{
    mrtc_jitter_audio *jb = make(0, 0, 0);
    mrtc_jitter_audio_stats st;
    mrtc_jitter_audio_out o;

    if (!jb)
        return;
    stream_init(10, 0, 5, 0);
    run(jb, 60, 5); /* 0..3 played, 3 arrived at 60 after the pop at 45 */
    CHECK_EQ(find_decode(2), 2);
    static const uint8_t p[] = {0xee, 0xee, 0xee};
    CHECK_EQ(mrtc_jitter_audio_push(jb, MRTC_MSEC(61), (uint16_t)(13 + 3001), 999999, p, 3, 960),
             0);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_discarded, 1); /* packet 3 */
    CHECK_EQ(mrtc_jitter_audio_pop(jb, MRTC_MSEC(65), &o), 0);
    CHECK_EQ(o.action, MRTC_JITTER_AUDIO_DECODE);
    CHECK_U64(o.ts, 999999);
    CHECK_EQ(o.len, 3);
    CHECK(o.payload && o.payload[0] == 0xee);
    mrtc_jitter_audio_free(jb);
}

static void test_misuse(void)
{
    mrtc_jitter_audio_config cfg;
    mrtc_jitter_audio *jb = NULL;
    mrtc_jitter_audio_out o;
    mrtc_jitter_audio_stats st;
    uint8_t p[2] = {1, 2};

    mrtc_jitter_audio_config_init(&cfg);
    CHECK_EQ(cfg.min_delay_ms, 20);
    CHECK_EQ(cfg.max_delay_ms, 400);
    CHECK_EQ(cfg.max_packets, 100);
    CHECK_EQ(mrtc_jitter_audio_new(&cfg, NULL), MRTC_EINVAL);
    cfg.min_delay_ms = 500;
    CHECK_EQ(mrtc_jitter_audio_new(&cfg, &jb), MRTC_EINVAL);
    mrtc_jitter_audio_config_init(&cfg);
    cfg.max_packets = 1;
    CHECK_EQ(mrtc_jitter_audio_new(&cfg, &jb), MRTC_EINVAL);
    cfg.max_packets = 100;
    cfg.max_delay_ms = 10001;
    CHECK_EQ(mrtc_jitter_audio_new(&cfg, &jb), MRTC_EINVAL);
    for (long f = 1; f <= 3; f++) {
        mrtc_alloc_fail_after(f);
        CHECK_EQ(mrtc_jitter_audio_new(NULL, &jb), MRTC_ENOMEM);
        CHECK(jb == NULL);
    }
    mrtc_alloc_fail_after(0);
    CHECK_EQ(mrtc_jitter_audio_new(NULL, &jb), 0);
    if (!jb)
        return;
    CHECK_EQ(mrtc_jitter_audio_push(NULL, 0, 1, 1, p, 2, 960), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_push(jb, 0, 1, 1, NULL, 2, 960), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_push(jb, 0, 1, 1, p, 0, 960), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_push(jb, 0, 1, 1, p, MRTC_JITTER_AUDIO_MAX_PAYLOAD + 1, 960),
             MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_push(jb, 0, 1, 1, p, 2, 0), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_push(jb, 0, 1, 1, p, 2, 5761), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_pop(NULL, 0, &o), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_audio_pop(jb, 0, NULL), MRTC_EINVAL);
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_jitter_audio_push(jb, 0, 1, 1, p, 2, 960), MRTC_ENOMEM);
    mrtc_alloc_fail_after(0);
    mrtc_jitter_audio_get_stats(jb, &st);
    CHECK_U64(st.packets_received, 1);
    CHECK_EQ(mrtc_jitter_audio_pop(jb, 0, &o), 0);
    CHECK_EQ(o.action, MRTC_JITTER_AUDIO_WAIT);
    mrtc_jitter_audio_get_stats(NULL, &st);
    CHECK_U64(st.packets_received, 0);
    mrtc_jitter_audio_get_stats(jb, NULL);
    mrtc_jitter_audio_free(jb);
    mrtc_jitter_audio_free(NULL);
}

int main(void)
{
    RUN(test_in_order);
    RUN(test_reorder_within_delay);
    RUN(test_single_loss_fec);
    RUN(test_two_losses_and_late);
    RUN(test_duplicates);
    RUN(test_wrap);
    RUN(test_steady_stays_at_min);
    RUN(test_jitter_adaptation);
    RUN(test_overflow);
    RUN(test_dtx);
    RUN(test_restart);
    RUN(test_misuse);
    return test_finish();
}
