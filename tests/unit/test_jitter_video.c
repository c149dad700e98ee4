/* Tests of rtp/jitter_video.c on a virtual clock, with frames made by rtp/vp8.h's
 * packetizer: in-order delivery; a loss recovered by a later RTX push (the frame and the
 * following ones come out in order, no key frame request); a loss never recovered (after
 * the wait: a key frame request, deltas dropped until the key frame, then delivery
 * resumes; the request repeats until then); NACK timing and retry counts (RTT 50 ms);
 * reordering shorter than the NACK allowance (never requested) and longer (requested
 * once); the sequence number wrap; a stream starting with a delta frame; decode_failed;
 * temporal layers (a lost TL1 frame is skipped without waiting, a lost TL0 frame is not);
 * a sender restart; next_timeout; bounded memory under floods of garbage and of incomplete
 * frames; and 60 s at 5% random loss (media and retransmissions) with an RTX round trip
 * of one RTT, which must deliver at least 99% of the frames. */
#include "test.h"

#include "core/util/rand.h"
#include "core/util/time.h"
#include "meshrtc/error.h"
#include "rtp/jitter_video.h"
#include "rtp/vp8.h"

#define MTU 1200
#define MAX_FRAME_PKTS 64

typedef struct pkt {
    uint16_t seq;
    uint32_t ts;
    bool marker;
    size_t len;
    uint8_t data[MTU];
} pkt;

typedef struct sender {
    mrtc_vp8_packetizer pz;
    uint16_t seq;
    uint32_t ts;
    uint32_t idx; /* frame number, written into the frame */
} sender;

static pkt P[MAX_FRAME_PKTS];
static uint8_t frame_buf[200000];

static void sender_init(sender *s, uint16_t seq0)
{
    mrtc_vp8_packetizer_init(&s->pz, 1000, false);
    s->seq = seq0;
    s->ts = 90000;
    s->idx = 0;
}

/* A synthetic VP8 frame: key frame header (640x480) or interframe tag, the frame number in
 * bytes 10..13, then a pattern. */
static void make_frame(uint8_t *f, size_t len, bool key, uint32_t idx)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 7 + idx);
    f[0] = key ? 0x10 : 0x11;
    f[1] = f[2] = 0;
    if (key) {
        static const uint8_t hdr[] = {0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
        memcpy(f + 3, hdr, sizeof hdr);
    }
    f[10] = (uint8_t)idx;
    f[11] = (uint8_t)(idx >> 8);
    f[12] = (uint8_t)(idx >> 16);
    f[13] = (uint8_t)(idx >> 24);
}

static uint32_t frame_idx(const mrtc_vp8_frame *f)
{
    if (f->len < 14)
        return UINT32_MAX;
    return (uint32_t)f->data[10] | (uint32_t)f->data[11] << 8 | (uint32_t)f->data[12] << 16 |
           (uint32_t)f->data[13] << 24;
}

/* Packetizes the sender's next frame (len bytes) into P[]; returns the packet count. */
static size_t next_frame(sender *s, bool key, size_t len, pkt *out)
{
    bool m = false;
    size_t n = 0;

    make_frame(frame_buf, len, key, s->idx);
    int count = mrtc_vp8_packetizer_frame(&s->pz, frame_buf, len, MTU);
    CHECK(count > 0 && count <= MAX_FRAME_PKTS);
    for (;;) {
        int r = mrtc_vp8_packetizer_next(&s->pz, out[n].data, sizeof out[n].data, &m);
        if (r <= 0)
            break;
        out[n].len = (size_t)r;
        out[n].seq = s->seq++;
        out[n].ts = s->ts;
        out[n].marker = m;
        n++;
    }
    s->ts += 3000;
    s->idx++;
    return n;
}

static int push(mrtc_jitter_video *jb, mrtc_time now, const pkt *k, bool recovered)
{
    return mrtc_jitter_video_push(jb, now, k->seq, k->ts, k->marker, k->data, k->len, recovered);
}

/* Polls every ready frame; records their numbers into got (cap entries). */
static size_t poll_all(mrtc_jitter_video *jb, mrtc_time now, uint32_t *got, size_t cap)
{
    mrtc_vp8_frame f;
    size_t n = 0;
    while (mrtc_jitter_video_poll_frame(jb, now, &f)) {
        if (n < cap)
            got[n] = frame_idx(&f);
        n++;
    }
    return n;
}

static mrtc_jitter_video *make(void)
{
    mrtc_jitter_video *jb = NULL;
    CHECK_EQ(mrtc_jitter_video_new(&jb), 0);
    CHECK(jb != NULL);
    return jb;
}

static void test_in_order(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    mrtc_vp8_frame f;
    sender s;
    uint16_t nacks[8];

    if (!jb)
        return;
    sender_init(&s, 500);
    for (int i = 0; i < 21; i++) {
        mrtc_time now = MRTC_MSEC(33) * (mrtc_time)i;
        size_t n = next_frame(&s, i == 0, i == 0 ? 5000 : 2500, P);
        CHECK_EQ(n, i == 0 ? 5 : 3);
        for (size_t k = 0; k < n; k++) {
            CHECK_EQ(push(jb, now, &P[k], false), 0);
            CHECK_U64(mrtc_jitter_video_next_timeout(jb), now);
            bool got = mrtc_jitter_video_poll_frame(jb, now, &f);
            CHECK_EQ(got, k == n - 1);
            if (!got)
                continue;
            CHECK_EQ(frame_idx(&f), i);
            CHECK_EQ(f.len, i == 0 ? 5000 : 2500);
            CHECK_EQ(f.keyframe, i == 0);
            CHECK_EQ(f.width, i == 0 ? 640 : 0);
            CHECK_EQ(f.height, i == 0 ? 480 : 0);
            CHECK_EQ(f.continuous, i != 0);
            CHECK_EQ(f.first_seq, P[0].seq);
            CHECK_EQ(f.last_seq, P[n - 1].seq);
            CHECK_U64(f.ts, P[0].ts);
            CHECK(f.desc.has_picture_id);
            CHECK_EQ(f.desc.picture_id, 1000 + i);
            CHECK_U64(mrtc_jitter_video_next_timeout(jb), now); /* poll again */
            CHECK(!mrtc_jitter_video_poll_frame(jb, now, &f));
        }
        CHECK_EQ(mrtc_jitter_video_poll_nack(jb, now + MRTC_MSEC(20), nacks, 8), 0);
        CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, now + MRTC_MSEC(20)));
        CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_TIME_NEVER);
    }
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.packets, 65);
    CHECK_U64(st.frames_received, 21);
    CHECK_U64(st.frames_delivered, 21);
    CHECK_U64(st.keyframes_delivered, 1);
    CHECK_U64(st.frames_dropped + st.nacks_sent + st.keyframe_requests + st.packets_recovered, 0);
    mrtc_jitter_video_free(jb);
}

/* Frame 3's middle packet is lost; frames 4 and 5 arrive; the NACK goes out 10 ms after
 * the gap showed; the RTX copy arrives and frames 3, 4, 5 come out in order. */
static void test_loss_recovered(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    sender s;
    pkt lost;
    uint16_t nacks[8];
    uint32_t got[8];

    if (!jb)
        return;
    sender_init(&s, 100);
    mrtc_time now = 0;
    for (int i = 0; i < 6; i++, now += MRTC_MSEC(33)) {
        size_t n = next_frame(&s, i == 0, 2500, P);
        for (size_t k = 0; k < n; k++) {
            if (i == 3 && k == 1) {
                lost = P[k];
                continue;
            }
            CHECK_EQ(push(jb, now, &P[k], false), 0);
        }
        size_t d = poll_all(jb, now, got, 8);
        CHECK_EQ(d, i < 3 ? 1 : 0);
        if (i < 3 && d == 1)
            CHECK_EQ(got[0], i);
    }
    /* The gap showed at 99 ms, when frame 3's last packet arrived. */
    mrtc_time gap = MRTC_MSEC(99);
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, gap + MRTC_MSEC(10), nacks, 8), 1);
    CHECK_EQ(nacks[0], lost.seq);
    now = gap + MRTC_MSEC(80);
    CHECK_EQ(poll_all(jb, now, got, 8), 0);
    CHECK_EQ(push(jb, now, &lost, true), 0);
    CHECK_EQ(poll_all(jb, now, got, 8), 3);
    CHECK_EQ(got[0], 3);
    CHECK_EQ(got[1], 4);
    CHECK_EQ(got[2], 5);
    for (mrtc_time t = now; t < now + MRTC_SEC(2); t += MRTC_MSEC(5)) {
        CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, t));
        CHECK_EQ(mrtc_jitter_video_poll_nack(jb, t, nacks, 8), 0);
    }
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.frames_delivered, 6);
    CHECK_U64(st.packets_recovered, 1);
    CHECK_U64(st.nacks_sent, 1);
    CHECK_U64(st.frames_dropped + st.keyframe_requests, 0);
    mrtc_jitter_video_free(jb);
}

/* RTT 50 ms: the loss waits 200 ms. NACKs at +10 ms, then 62.5 ms (>= rtt) apart; at
 * +200 ms the frame is given up: a key frame request, the NACK list cleared, the delta
 * frames that follow dropped, then the key frame and the deltas after it delivered. A late
 * RTX copy changes nothing. Then the request repeats every max(300 ms, 1.5 rtt) while no
 * key frame comes. */
static void test_loss_not_recovered(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    sender s;
    pkt lost;
    uint16_t nacks[8];
    uint32_t got[8];
    mrtc_time nack_at[16];
    int n_nacks = 0, requests = 0;
    mrtc_time first_request = 0;

    if (!jb)
        return;
    mrtc_jitter_video_set_rtt(jb, MRTC_MSEC(50));
    sender_init(&s, 65000);
    mrtc_time gap = 0;
    int delivered = 0, last = -1;
    /* A frame every 33 ms for 1.2 s; frame 2 loses its first packet; the sender answers
     * the first key frame request with a key frame 30 ms later. */
    bool key_next = false;
    mrtc_time key_at = MRTC_TIME_NEVER;
    for (mrtc_time t = 0; t <= MRTC_MSEC(1200); t += MRTC_MSEC(1)) {
        if (t % MRTC_MSEC(33) == 0) {
            bool key = s.idx == 0 || (key_next && t >= key_at);
            if (key && s.idx)
                key_next = false;
            size_t n = next_frame(&s, key, 2500, P);
            for (size_t k = 0; k < n; k++) {
                if (s.idx == 3 && k == 0) {
                    lost = P[k];
                    gap = t;
                    continue;
                }
                CHECK_EQ(push(jb, t, &P[k], false), 0);
            }
        }
        size_t d = poll_all(jb, t, got, 8);
        for (size_t i = 0; i < d && i < 8; i++) {
            CHECK((int)got[i] > last);
            last = (int)got[i];
            delivered++;
        }
        size_t k = mrtc_jitter_video_poll_nack(jb, t, nacks, 8);
        if (k) {
            CHECK_EQ(k, 1);
            CHECK_EQ(nacks[0], lost.seq);
            if (n_nacks < 16)
                nack_at[n_nacks++] = t;
        }
        if (mrtc_jitter_video_poll_keyframe_request(jb, t)) {
            if (requests == 0) {
                first_request = t;
                key_next = true;
                key_at = t + MRTC_MSEC(30);
            }
            requests++;
        }
    }
    /* The gap showed when frame 2's second packet arrived. */
    CHECK_EQ(n_nacks, 4);
    if (n_nacks == 4) {
        CHECK_U64(nack_at[0], gap + MRTC_MSEC(10));
        /* 62.5 ms apart, from the millisecond the previous one was polled at */
        CHECK_U64(nack_at[1], gap + MRTC_MSEC(73));
        CHECK_U64(nack_at[2], gap + MRTC_MSEC(136));
        CHECK_U64(nack_at[3], gap + MRTC_MSEC(199));
    }
    CHECK_U64(first_request, gap + MRTC_MSEC(200));
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.keyframe_requests, requests);
    CHECK_EQ(requests, 1);
    CHECK_U64(st.keyframes_delivered, 2);
    /* Frames 0, 1 delivered; 2 .. the key frame dropped; everything after delivered. */
    uint32_t key_idx = (uint32_t)((first_request + MRTC_MSEC(30) + MRTC_MSEC(32)) / MRTC_MSEC(33));
    CHECK_EQ(delivered, 2 + (int)(s.idx - key_idx));
    CHECK_U64(st.frames_delivered, delivered);
    CHECK(st.frames_dropped >= key_idx - 2);
    CHECK_EQ(last, s.idx - 1);
    /* The RTX copy finally arrives: too late, ignored. */
    CHECK_EQ(push(jb, MRTC_MSEC(1201), &lost, true), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(1201), got, 8), 0);
    mrtc_jitter_video_free(jb);

    /* Without a key frame in answer, the request repeats every max(300 ms, 1.5 rtt). */
    jb = make();
    if (!jb)
        return;
    sender_init(&s, 0);
    size_t n = next_frame(&s, true, 100, P);
    CHECK_EQ(push(jb, 0, &P[0], false), 0);
    CHECK_EQ(poll_all(jb, 0, got, 8), n);
    next_frame(&s, false, 100, P); /* lost */
    n = next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(66), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(66), got, 8), 0);
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_MSEC(76)); /* NACK; 100 ms default rtt */
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, MRTC_MSEC(76), nacks, 8), 1);
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_MSEC(76 + 125)); /* NACK retry */
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, MRTC_MSEC(201), nacks, 8), 1);
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_MSEC(326));
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, MRTC_MSEC(326), nacks, 8), 1);
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_MSEC(451));
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, MRTC_MSEC(451), nacks, 8), 1);
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_MSEC(66 + 400)); /* wait: 4 rtt */
    CHECK_EQ(poll_all(jb, MRTC_MSEC(466) - 1, got, 8), 0);
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(466) - 1));
    CHECK_EQ(poll_all(jb, MRTC_MSEC(466), got, 8), 0);
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(466)));
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(466)));
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_MSEC(766)); /* NACK list cleared */
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(765)));
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(766)));
    mrtc_jitter_video_set_rtt(jb, MRTC_MSEC(400)); /* from the next one: 600 ms apart */
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(1066)));
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(1665)));
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(1666)));
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.keyframe_requests, 4);
    mrtc_jitter_video_free(jb);
}

/* Reordering: a packet that arrives less than 10 ms after the packet that showed it
 * missing is never NACKed; one that arrives 11 ms after is NACKed exactly once. Neither
 * delays delivery past its arrival nor asks for a key frame. */
static void test_reorder(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    sender s;
    uint16_t nacks[8];
    uint32_t got[8];
    pkt a[MAX_FRAME_PKTS];

    if (!jb)
        return;
    mrtc_jitter_video_set_rtt(jb, MRTC_MSEC(50));
    sender_init(&s, 7);
    size_t n = next_frame(&s, true, 3000, a); /* 3 packets */
    CHECK_EQ(n, 3);
    /* 9 ms reorder, polled every millisecond. */
    CHECK_EQ(push(jb, 0, &a[0], false), 0);
    CHECK_EQ(push(jb, 0, &a[2], false), 0);
    for (mrtc_time t = 0; t < MRTC_MSEC(9); t += MRTC_MSEC(1)) {
        CHECK_EQ(poll_all(jb, t, got, 8), 0);
        CHECK_EQ(mrtc_jitter_video_poll_nack(jb, t, nacks, 8), 0);
    }
    CHECK_EQ(push(jb, MRTC_MSEC(9), &a[1], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(9), got, 8), 1);
    for (mrtc_time t = MRTC_MSEC(9); t < MRTC_SEC(2); t += MRTC_MSEC(1))
        CHECK_EQ(mrtc_jitter_video_poll_nack(jb, t, nacks, 8), 0);

    /* Across frames: frame B's packets arrive before frame A's last one, 11 ms earlier. */
    mrtc_time t0 = MRTC_SEC(2);
    n = next_frame(&s, false, 2300, a);
    CHECK_EQ(n, 2);
    size_t n2 = next_frame(&s, false, 1000, a + n);
    CHECK_EQ(n2, 1);
    CHECK_EQ(push(jb, t0, &a[0], false), 0);
    CHECK_EQ(push(jb, t0, &a[2], false), 0);
    CHECK_EQ(poll_all(jb, t0, got, 8), 0);
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, t0 + MRTC_MSEC(10), nacks, 8), 1);
    CHECK_EQ(nacks[0], a[1].seq);
    CHECK_EQ(push(jb, t0 + MRTC_MSEC(11), &a[1], false), 0);
    CHECK_EQ(poll_all(jb, t0 + MRTC_MSEC(11), got, 8), 2);
    CHECK_EQ(got[0], 1);
    CHECK_EQ(got[1], 2);
    for (mrtc_time t = t0 + MRTC_MSEC(11); t < t0 + MRTC_SEC(2); t += MRTC_MSEC(1)) {
        CHECK_EQ(mrtc_jitter_video_poll_nack(jb, t, nacks, 8), 0);
        CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, t));
    }
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.nacks_sent, 1);
    CHECK_U64(st.frames_delivered, 3);
    mrtc_jitter_video_free(jb);
}

/* Sequence numbers wrap inside a frame, and a packet lost at 65535 is recovered. */
static void test_wrap(void)
{
    mrtc_jitter_video *jb = make();
    sender s;
    pkt lost;
    uint32_t got[8];
    uint16_t nacks[8];
    int delivered = 0;

    if (!jb)
        return;
    sender_init(&s, 65528);
    for (int i = 0; i < 6; i++) {
        mrtc_time now = MRTC_MSEC(33) * (mrtc_time)i;
        size_t n = next_frame(&s, i == 0, 3000, P);
        for (size_t k = 0; k < n; k++) {
            if (P[k].seq == 65535) {
                lost = P[k];
                continue;
            }
            CHECK_EQ(push(jb, now, &P[k], false), 0);
        }
        delivered += (int)poll_all(jb, now, got, 8);
    }
    CHECK_EQ(delivered, 2); /* frames 0, 1; frame 2 holds 65535 */
    CHECK_EQ(mrtc_jitter_video_poll_nack(jb, MRTC_MSEC(200), nacks, 8), 1);
    CHECK_EQ(nacks[0], 65535);
    CHECK_EQ(push(jb, MRTC_MSEC(200), &lost, true), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(200), got, 8), 4);
    CHECK_EQ(got[0], 2);
    CHECK_EQ(got[3], 5);
    mrtc_jitter_video_free(jb);
}

/* A stream that starts with delta frames: dropped, a key frame requested at once; the key
 * frame is delivered and the requests stop. */
static void test_starts_with_delta(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    sender s;
    uint32_t got[8];

    if (!jb)
        return;
    sender_init(&s, 1);
    s.idx = 5;
    size_t n = next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(10), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(10), got, 8), 0);
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(10)));
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(11)));
    n = next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(43), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(43), got, 8), 0);
    n = next_frame(&s, true, 100, P);
    CHECK_EQ(n, 1);
    CHECK_EQ(push(jb, MRTC_MSEC(76), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(76), got, 8), 1);
    CHECK_EQ(got[0], 7);
    n = next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(109), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(109), got, 8), 1);
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_SEC(5)));
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.keyframe_requests, 1);
    CHECK_U64(st.frames_dropped, 2);
    CHECK_U64(st.frames_received, 4);
    mrtc_jitter_video_free(jb);
}

/* The decoder failed: a request at once, deltas dropped until a key frame. */
static void test_decode_failed(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    sender s;
    uint32_t got[8];

    if (!jb)
        return;
    sender_init(&s, 1);
    next_frame(&s, true, 100, P);
    CHECK_EQ(push(jb, 0, &P[0], false), 0);
    CHECK_EQ(poll_all(jb, 0, got, 8), 1);
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, 0));
    mrtc_jitter_video_decode_failed(jb);
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), 0);
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(1)));
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(2)));
    next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(33), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(33), got, 8), 0);
    next_frame(&s, true, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(66), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(66), got, 8), 1);
    CHECK_EQ(got[0], 2);
    next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(99), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(99), got, 8), 1);
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_SEC(9)));
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.keyframe_requests, 1);
    CHECK_U64(st.frames_dropped, 1);
    mrtc_jitter_video_free(jb);
}

/* One-packet frames with temporal layer descriptors (PictureID, TL0PICIDX, TID, Y). */
static size_t tl_packet(pkt *k, uint16_t seq, uint32_t idx, bool key, uint8_t tid, uint8_t tl0,
                        bool sync)
{
    mrtc_vp8_desc d;
    mrtc_vp8_desc_init(&d);
    d.start = true;
    d.has_picture_id = true;
    d.picture_id_long = true;
    d.picture_id = (uint16_t)(idx & 0x7fff);
    d.has_tl0picidx = true;
    d.tl0picidx = tl0;
    d.has_tid = true;
    d.tid = tid;
    d.layer_sync = sync;
    int dl = mrtc_vp8_desc_write(&d, k->data, sizeof k->data);
    CHECK(dl > 0);
    make_frame(k->data + dl, 100, key, idx);
    k->len = (size_t)dl + 100;
    k->seq = seq;
    k->ts = 1000 + idx * 3000;
    k->marker = true;
    return k->len;
}

/* Pattern TL0 TL1 TL0 TL1 ...: frame i is TL0 when even (TL0PICIDX i/2 + 200, wrapping),
 * TL1 when odd (layer sync when i % 4 == 1). A lost TL1 frame is skipped at once (the
 * next TL0 frame's TL0PICIDX shows no TL0 frame was lost); a lost TL0 frame is waited for,
 * then given up. */
static void test_temporal_layers(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    pkt k;
    uint32_t got[8];
    int last = -1;

    if (!jb)
        return;
    mrtc_jitter_video_set_rtt(jb, MRTC_MSEC(20)); /* waits 100 ms */
    for (uint32_t i = 0; i < 40; i++) {
        mrtc_time now = MRTC_MSEC(33) * i;
        bool tl1 = i % 2 == 1;
        tl_packet(&k, (uint16_t)(65530 + i), i, i == 0, tl1 ? 1 : 0, (uint8_t)(200 + i / 2),
                  i % 4 == 1);
        bool lose = i == 7 || i == 9 || i == 20;
        if (!lose)
            CHECK_EQ(push(jb, now, &k, false), 0);
        size_t d = poll_all(jb, now, got, 8);
        for (size_t j = 0; j < d; j++) {
            CHECK((int)got[j] > last);
            last = (int)got[j];
        }
        if (i == 8 || i == 10) /* the TL0 frame after a lost TL1 frame: at once */
            CHECK(d == 1 && got[0] == i);
        if (i == 11) /* non-sync TL1 right after its TL0: continuous */
            CHECK(d == 1 && got[0] == 11);
        if (i >= 21 && i <= 23) /* TL0 frame 20 lost: 21 (TL1 sync of group 210) waits */
            CHECK_EQ(d, 0);
        if (i == 10)
            CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, now));
    }
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.keyframe_requests, 0);
    /* After 100 ms frame 20 was given up: a key frame request, nothing else delivered. */
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(33) * 40));
    CHECK_EQ(last, 19);
    CHECK_U64(st.frames_delivered, 20 - 2);
    tl_packet(&k, (uint16_t)(65530 + 40), 40, true, 0, 220, false);
    CHECK_EQ(push(jb, MRTC_SEC(2), &k, false), 0);
    CHECK_EQ(poll_all(jb, MRTC_SEC(2), got, 8), 1);
    CHECK_EQ(got[0], 40);
    mrtc_jitter_video_free(jb);
}

/* A packet 0x2001 sequence numbers behind: the sender restarted; the old frames go, a key
 * frame is requested and the new stream's key frame delivered. */
static void test_restart(void)
{
    mrtc_jitter_video *jb = make();
    sender s;
    uint32_t got[8];

    if (!jb)
        return;
    sender_init(&s, 40000);
    next_frame(&s, true, 100, P);
    CHECK_EQ(push(jb, 0, &P[0], false), 0);
    CHECK_EQ(next_frame(&s, false, 3000, P), 3);
    for (int k = 0; k < 3; k++)
        CHECK_EQ(push(jb, 0, &P[k], false), 0);
    CHECK_EQ(poll_all(jb, 0, got, 8), 2);
    CHECK_EQ(P[2].seq, 40003); /* the highest */
    s.seq = (uint16_t)(40003 - 0x2000);
    next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(33), &P[0], false), 0); /* late, not a restart */
    CHECK(!mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(33)));
    s.seq = (uint16_t)(40003 - 0x2001);
    next_frame(&s, false, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(66), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(66), got, 8), 0);
    CHECK(mrtc_jitter_video_poll_keyframe_request(jb, MRTC_MSEC(66)));
    next_frame(&s, true, 100, P);
    CHECK_EQ(push(jb, MRTC_MSEC(99), &P[0], false), 0);
    CHECK_EQ(poll_all(jb, MRTC_MSEC(99), got, 8), 1);
    CHECK_EQ(got[0], 4);
    mrtc_jitter_video_free(jb);
}

/* Floods: random garbage packets (random descriptors, sequence steps, timestamps, markers,
 * sizes), then start packets of frames that never complete. The buffer never holds more
 * than its packet limit (one allocation per packet), and still works afterwards. */
static void test_bounded_memory(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_rand_seeded rng;
    static uint8_t buf[4000];
    uint32_t got[8];
    uint16_t nacks[64];
    sender s;

    if (!jb)
        return;
    long base = mrtc_alloc_live();
    long peak = 0;
    mrtc_rand_seeded_init(&rng, 4585);
    uint16_t seq = 0;
    mrtc_time now = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t r = mrtc_rand_u32(&rng.rand);
        size_t len = 1 + mrtc_rand_below(&rng.rand, (r & 1) ? 3000 : 20);
        mrtc_rand_bytes(&rng.rand, buf, len);
        if (r & 2)
            buf[0] |= 0x10; /* S */
        if (r & 4)
            buf[0] &= 0x7f; /* no X */
        seq = (uint16_t)(seq + ((r >> 8) % 64 == 0 ? (r >> 16) : (r >> 16) % 4));
        now += (r >> 28) * 100;
        int err = mrtc_jitter_video_push(jb, now, seq, (r >> 20) % 8 * 3000, (r & 8) != 0, buf, len,
                                         (r & 16) != 0);
        CHECK(err == 0 || err == MRTC_EPROTO);
        poll_all(jb, now, got, 8);
        mrtc_jitter_video_poll_nack(jb, now, nacks, 64);
        mrtc_jitter_video_poll_keyframe_request(jb, now);
        long live = mrtc_alloc_live() - base;
        if (live > peak)
            peak = live;
    }
    CHECK(peak <= MRTC_JITTER_VIDEO_MAX_PACKETS + 2);
    /* Incomplete frames: first packets only, consecutive sequence numbers, 2 KB each. */
    for (int i = 0; i < 5000; i++) {
        uint8_t p[2001];
        memset(p, 0x11, sizeof p);
        p[0] = 0x10;
        now += MRTC_MSEC(1);
        seq++;
        CHECK_EQ(
            mrtc_jitter_video_push(jb, now, seq, (uint32_t)i * 3000, false, p, sizeof p, false), 0);
        poll_all(jb, now, got, 8);
        long live = mrtc_alloc_live() - base;
        if (live > peak)
            peak = live;
    }
    CHECK(peak <= MRTC_JITTER_VIDEO_MAX_PACKETS + 2);
    /* A key frame now gets through. */
    sender_init(&s, (uint16_t)(seq + 1));
    size_t n = next_frame(&s, true, 5000, P);
    for (size_t k = 0; k < n; k++)
        CHECK_EQ(push(jb, now + MRTC_SEC(1), &P[k], false), 0);
    CHECK_EQ(poll_all(jb, now + MRTC_SEC(1), got, 8), 1);
    mrtc_jitter_video_free(jb);
}

/* ---- 5% random loss with NACK and RTX ---- */

#define HIST 4096
#define MAX_EVENTS 4096
#define SIM_MS 60000
#define ONE_WAY 25

typedef struct event {
    long at;  /* ms */
    int kind; /* 0 media to the receiver, 1 RTX to the receiver, 2 NACK to the sender, 3 PLI */
    uint16_t seq;
} event;

static pkt hist[HIST]; /* the sender's packets, by sequence number */
static event events[MAX_EVENTS];
static size_t n_events;

static void schedule(long at, int kind, uint16_t seq)
{
    CHECK(n_events < MAX_EVENTS);
    if (n_events < MAX_EVENTS)
        events[n_events++] = (event){at, kind, seq};
}

static void test_random_loss_with_rtx(void)
{
    mrtc_jitter_video *jb = make();
    mrtc_jitter_video_stats st;
    mrtc_rand_seeded rng;
    sender s;
    uint16_t nacks[64];
    mrtc_vp8_frame f;

    if (!jb)
        return;
    mrtc_rand_seeded_init(&rng, 7741);
    mrtc_jitter_video_set_rtt(jb, MRTC_MSEC(2 * ONE_WAY));
    sender_init(&s, 60000);
    n_events = 0;
    bool key_wanted = true;
    long delivered = 0, sent_frames = 0, lost_pkts = 0, sent_pkts = 0;
    long last_idx = -1;
    for (long t = 0; t <= SIM_MS; t++) {
        mrtc_time now = MRTC_MSEC(t);
        if (t % 33 == 0 && t <= SIM_MS - 1000) {
            bool key = key_wanted;
            key_wanted = false;
            size_t n = next_frame(&s, key, key ? 20000 : 2500, P);
            sent_frames++;
            for (size_t k = 0; k < n; k++) {
                hist[P[k].seq % HIST] = P[k];
                sent_pkts++;
                if (mrtc_rand_below(&rng.rand, 100) < 5)
                    lost_pkts++;
                else
                    schedule(t + ONE_WAY, 0, P[k].seq);
            }
        }
        for (size_t i = 0; i < n_events;) {
            event e = events[i];
            if (e.at != t) {
                i++;
                continue;
            }
            events[i] = events[--n_events];
            if (e.kind <= 1) {
                const pkt *k = &hist[e.seq % HIST];
                CHECK_EQ(k->seq, e.seq);
                CHECK_EQ(push(jb, now, k, e.kind == 1), 0);
            } else if (e.kind == 2) {
                if (mrtc_rand_below(&rng.rand, 100) < 5)
                    lost_pkts++;
                else
                    schedule(t + ONE_WAY, 1, e.seq);
            } else {
                key_wanted = true;
            }
        }
        while (mrtc_jitter_video_poll_frame(jb, now, &f)) {
            long idx = (long)frame_idx(&f);
            CHECK(idx > last_idx);
            /* Decodable: a key frame, or the frame right after the last one delivered. */
            CHECK(f.keyframe || idx == last_idx + 1);
            CHECK(f.continuous == (last_idx >= 0 && idx == last_idx + 1));
            last_idx = idx;
            delivered++;
        }
        size_t k = mrtc_jitter_video_poll_nack(jb, now, nacks, 64);
        for (size_t i = 0; i < k; i++)
            schedule(t + ONE_WAY, 2, nacks[i]);
        if (mrtc_jitter_video_poll_keyframe_request(jb, now))
            schedule(t + ONE_WAY, 3, 0);
    }
    mrtc_jitter_video_get_stats(jb, &st);
    fprintf(stderr,
            "5%% loss: %ld/%ld frames delivered, %ld of %ld packets lost (retransmissions "
            "included), %" PRIu64 " NACKs, %" PRIu64 " recovered, %" PRIu64
            " key frame requests, %" PRIu64 " frames dropped\n",
            delivered, sent_frames, lost_pkts, sent_pkts, st.nacks_sent, st.packets_recovered,
            st.keyframe_requests, st.frames_dropped);
    CHECK(delivered * 100 >= sent_frames * 99);
    CHECK(lost_pkts * 100 >= sent_pkts * 4); /* the loss model did lose about 5% */
    /* The last frame can only be missing when its tail was lost: nothing came after it to
     * show the gap. */
    CHECK(last_idx >= sent_frames - 2);
    CHECK_U64(st.frames_delivered, delivered);
    mrtc_jitter_video_free(jb);
}

static void test_misuse(void)
{
    mrtc_jitter_video *jb = NULL;
    mrtc_jitter_video_stats st;
    mrtc_vp8_frame f;
    uint16_t nacks[4];
    static const uint8_t bad[] = {0x80, 0x80};
    static const uint8_t ok[] = {0x10, 0x11, 0, 0};

    CHECK_EQ(mrtc_jitter_video_new(NULL), MRTC_EINVAL);
    for (long n = 1; n <= 4; n++) {
        mrtc_alloc_fail_after(n);
        CHECK_EQ(mrtc_jitter_video_new(&jb), MRTC_ENOMEM);
        CHECK(jb == NULL);
    }
    mrtc_alloc_fail_after(0);
    jb = make();
    if (!jb)
        return;
    CHECK_U64(mrtc_jitter_video_next_timeout(jb), MRTC_TIME_NEVER);
    CHECK_EQ(mrtc_jitter_video_push(NULL, 0, 1, 1, true, ok, 4, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_video_push(jb, 0, 1, 1, true, NULL, 4, false), MRTC_EINVAL);
    CHECK_EQ(mrtc_jitter_video_push(jb, 0, 1, 1, true, bad, sizeof bad, false), MRTC_EPROTO);
    CHECK_EQ(mrtc_jitter_video_push(jb, 0, 2, 1, true, ok, 0, false), MRTC_EPROTO);
    mrtc_alloc_fail_after(1);
    CHECK_EQ(mrtc_jitter_video_push(jb, 0, 3, 1, true, ok, sizeof ok, false), MRTC_ENOMEM);
    mrtc_alloc_fail_after(0);
    /* A complete one-packet frame too short for its key frame header: dropped. */
    CHECK_EQ(
        mrtc_jitter_video_push(jb, 0, 4, 1, true, (const uint8_t *)"\x10\x10\x00\x00", 4, false),
        0);
    CHECK(!mrtc_jitter_video_poll_frame(jb, 0, &f));
    CHECK(!mrtc_jitter_video_poll_frame(NULL, 0, &f));
    CHECK(!mrtc_jitter_video_poll_frame(jb, 0, NULL));
    CHECK_EQ(mrtc_jitter_video_poll_nack(NULL, 0, nacks, 4), 0);
    CHECK(!mrtc_jitter_video_poll_keyframe_request(NULL, 0));
    CHECK_U64(mrtc_jitter_video_next_timeout(NULL), MRTC_TIME_NEVER);
    mrtc_jitter_video_decode_failed(NULL);
    mrtc_jitter_video_set_rtt(NULL, 1);
    mrtc_jitter_video_get_stats(jb, &st);
    CHECK_U64(st.packets_malformed, 2);
    CHECK_U64(st.packets, 2);
    CHECK_U64(st.frames_received, 1);
    CHECK_U64(st.frames_dropped, 1);
    mrtc_jitter_video_get_stats(NULL, &st);
    CHECK_U64(st.packets, 0);
    mrtc_jitter_video_get_stats(jb, NULL);
    mrtc_jitter_video_free(jb);
    mrtc_jitter_video_free(NULL);
}

int main(void)
{
    RUN(test_in_order);
    RUN(test_loss_recovered);
    RUN(test_loss_not_recovered);
    RUN(test_reorder);
    RUN(test_wrap);
    RUN(test_starts_with_delta);
    RUN(test_decode_failed);
    RUN(test_temporal_layers);
    RUN(test_restart);
    RUN(test_bounded_memory);
    RUN(test_random_loss_with_rtx);
    RUN(test_misuse);
    return test_finish();
}
