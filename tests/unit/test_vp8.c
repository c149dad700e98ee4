/* Tests of rtp/vp8.c: payload descriptor vectors hand-written from the RFC 7741 section 4.2
 * layouts (minimal, 7- and 15-bit PictureID, every extension, KEYIDX alone, reserved bits
 * set), byte-exact re-serialisation, every truncation refused, a round trip over every flag
 * combination, writer misuse; the packetizer's payload sizes, descriptors, marker and
 * PictureID wrap; and the frame assembler over frames of many sizes and MTUs fed in order,
 * reversed, shuffled (seeded), with duplicates and with a packet missing, across the
 * sequence number wrap, with key frame detection and dimensions, superseded frames, gaps,
 * size and packet limits, and malformed frame headers. */
#include "test.h"

#include "core/util/rand.h"
#include "meshrtc/error.h"
#include "rtp/vp8.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- Descriptor ---- */

typedef struct vector {
    const char *name;
    uint8_t bytes[8];
    size_t desc_len;
    mrtc_vp8_desc want;
} vector;

/* Each vector is a descriptor followed by one payload byte 0xaa. */
static const vector vectors[] = {
    {"minimal S=1 PID=0", {0x10, 0xaa}, 1, {.start = true}},
    {"N=1 PID=3, no S", {0x23, 0xaa}, 1, {.non_reference = true, .pid = 3}},
    {"7-bit PictureID 0x55, N S PID 2",
     {0xb2, 0x80, 0x55, 0xaa},
     3,
     {.non_reference = true, .start = true, .pid = 2, .has_picture_id = true, .picture_id = 0x55}},
    {"15-bit PictureID 0x0123",
     {0x90, 0x80, 0x81, 0x23, 0xaa},
     4,
     {.start = true, .has_picture_id = true, .picture_id_long = true, .picture_id = 0x123}},
    {"I L T K: PictureID 0x7fff, TL0PICIDX 0x17, TID 1 Y KEYIDX 11",
     {0x90, 0xf0, 0xff, 0xff, 0x17, 0x6b, 0xaa},
     6,
     {.start = true,
      .has_picture_id = true,
      .picture_id_long = true,
      .picture_id = 0x7fff,
      .has_tl0picidx = true,
      .tl0picidx = 0x17,
      .has_tid = true,
      .tid = 1,
      .layer_sync = true,
      .has_keyidx = true,
      .keyidx = 11}},
    {"K only: KEYIDX 5", {0x80, 0x10, 0x05, 0xaa}, 3, {.has_keyidx = true, .keyidx = 5}},
    {"T only: TID 3, no Y", {0x81, 0x20, 0xc0, 0xaa}, 3, {.pid = 1, .has_tid = true, .tid = 3}},
    {"L only", {0x80, 0x40, 0x00, 0xaa}, 3, {.has_tl0picidx = true, .tl0picidx = 0}},
};

/* Reserved bits (R in the first byte, RSV in X) are ignored on parsing and written as 0. */
static const uint8_t reserved_set[] = {0xd8, 0x8f, 0x12, 0xaa};
/* An X byte announcing no extension parses; the writer then leaves X out. */
static const uint8_t empty_x[] = {0x90, 0x00, 0xaa};

static void check_desc(const mrtc_vp8_desc *a, const mrtc_vp8_desc *b)
{
    CHECK_EQ(a->non_reference, b->non_reference);
    CHECK_EQ(a->start, b->start);
    CHECK_EQ(a->pid, b->pid);
    CHECK_EQ(a->has_picture_id, b->has_picture_id);
    CHECK_EQ(a->picture_id_long, b->picture_id_long);
    CHECK_EQ(a->picture_id, b->picture_id);
    CHECK_EQ(a->has_tl0picidx, b->has_tl0picidx);
    CHECK_EQ(a->tl0picidx, b->tl0picidx);
    CHECK_EQ(a->has_tid, b->has_tid);
    CHECK_EQ(a->tid, b->tid);
    CHECK_EQ(a->layer_sync, b->layer_sync);
    CHECK_EQ(a->has_keyidx, b->has_keyidx);
    CHECK_EQ(a->keyidx, b->keyidx);
}

static void test_desc_vectors(void)
{
    mrtc_vp8_desc d;
    uint8_t out[8];

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vector *v = &vectors[i];
        test_current = v->name;
        size_t len = v->desc_len + 1;
        CHECK_EQ(mrtc_vp8_desc_parse(&d, v->bytes, len), (int)v->desc_len);
        check_desc(&d, &v->want);
        /* A longer payload parses the same. */
        CHECK_EQ(mrtc_vp8_desc_parse(&d, v->bytes, sizeof v->bytes), (int)v->desc_len);
        CHECK_EQ(mrtc_vp8_desc_len(&v->want), (int)v->desc_len);
        CHECK_EQ(mrtc_vp8_desc_write(&v->want, out, sizeof out), (int)v->desc_len);
        CHECK_MEM(out, v->bytes, v->desc_len);
        CHECK_EQ(mrtc_vp8_desc_write(&v->want, out, v->desc_len - 1), MRTC_ENOBUFS);
        /* Every truncation, including no payload byte, is refused. */
        for (size_t n = 0; n < len; n++)
            CHECK_EQ(mrtc_vp8_desc_parse(&d, v->bytes, n), MRTC_EPROTO);
    }
    test_current = "test_desc_vectors";

    CHECK_EQ(mrtc_vp8_desc_parse(&d, reserved_set, sizeof reserved_set), 3);
    CHECK(d.start);
    CHECK_EQ(d.pid, 0);
    CHECK(d.has_picture_id && !d.picture_id_long);
    CHECK_EQ(d.picture_id, 0x12);
    CHECK(!d.has_tl0picidx && !d.has_tid && !d.has_keyidx);
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), 3);
    CHECK_MEM(out, "\x90\x80\x12", 3);
    CHECK_EQ(mrtc_vp8_desc_parse(&d, empty_x, sizeof empty_x), 2);
    CHECK(d.start && !d.has_picture_id && !d.has_tl0picidx && !d.has_tid && !d.has_keyidx);
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), 1);
    CHECK_EQ(out[0], 0x10);

    CHECK_EQ(mrtc_vp8_desc_parse(NULL, reserved_set, 4), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_desc_parse(&d, NULL, 4), MRTC_EINVAL);
}

static void test_desc_round_trip(void)
{
    uint8_t out[16];
    mrtc_vp8_desc d, r;

    for (unsigned flags = 0; flags < 256; flags++) {
        mrtc_vp8_desc_init(&d);
        d.non_reference = flags & 1;
        d.start = flags & 2;
        d.pid = (uint8_t)(flags % 8);
        d.has_picture_id = flags & 4;
        d.picture_id_long = flags & 8;
        if (d.has_picture_id)
            d.picture_id =
                d.picture_id_long ? (uint16_t)(0x7fff - flags) : (uint16_t)(flags & 0x7f);
        d.has_tl0picidx = flags & 16;
        if (d.has_tl0picidx)
            d.tl0picidx = (uint8_t)(flags * 7);
        d.has_tid = flags & 32;
        if (d.has_tid) {
            d.tid = (uint8_t)(flags >> 6);
            d.layer_sync = flags & 1;
        }
        d.has_keyidx = flags & 64;
        if (d.has_keyidx)
            d.keyidx = (uint8_t)(flags % 32);
        if (!d.has_picture_id)
            d.picture_id_long = false;
        int n = mrtc_vp8_desc_write(&d, out, sizeof out);
        CHECK(n >= 1 && n <= MRTC_VP8_DESC_MAX_LEN);
        if (n < 1)
            continue;
        out[n] = 0x42;
        CHECK_EQ(mrtc_vp8_desc_parse(&r, out, (size_t)n + 1), n);
        check_desc(&r, &d);
    }
}

static void test_desc_invalid(void)
{
    mrtc_vp8_desc d;
    uint8_t out[8];

    mrtc_vp8_desc_init(&d);
    d.pid = 8;
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), MRTC_EINVAL);
    d.pid = 0;
    d.has_tid = true;
    d.tid = 4;
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), MRTC_EINVAL);
    d.tid = 3;
    d.has_keyidx = true;
    d.keyidx = 32;
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), MRTC_EINVAL);
    d.keyidx = 31;
    d.has_picture_id = true;
    d.picture_id = 0x80;
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), MRTC_EINVAL);
    d.picture_id_long = true;
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), 5);
    d.picture_id = 0x8000;
    CHECK_EQ(mrtc_vp8_desc_write(&d, out, sizeof out), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_desc_len(NULL), MRTC_EINVAL);
}

/* ---- Packetizer ---- */

/* With temporal layers every payload carries TID, Y and TL0PICIDX (RFC 7741 4.2), and the
 * payload sizes account for the longer descriptor. */
static void test_packetizer_layers(void)
{
    mrtc_vp8_packetizer p;
    uint8_t frame[40], out[64];
    bool m = false;
    memset(frame, 0xAB, sizeof frame);
    mrtc_vp8_packetizer_init(&p, 5, false);
    mrtc_vp8_packetizer_set_layer(&p, 2, true, 77);
    int n = mrtc_vp8_packetizer_frame(&p, frame, sizeof frame, 26);
    CHECK(n >= 2);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        int len = mrtc_vp8_packetizer_next(&p, out, sizeof out, &m);
        CHECK(len > 0 && len <= 26);
        mrtc_vp8_desc d;
        int dl = mrtc_vp8_desc_parse(&d, out, (size_t)len);
        CHECK_EQ(dl, 6); /* X, I (15-bit), L, T/Y/K byte */
        CHECK(d.has_tid && d.tid == 2 && d.layer_sync);
        CHECK(d.has_tl0picidx && d.tl0picidx == 77);
        CHECK_EQ(d.picture_id, 5);
        CHECK_EQ(d.start, i == 0);
        total += (size_t)(len - dl);
    }
    CHECK(m);
    CHECK_EQ(total, sizeof frame);
    /* The next frame keeps the layer until it is set again. */
    mrtc_vp8_packetizer_set_layer(&p, 0, false, 78);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 10, 64), 1);
    int len = mrtc_vp8_packetizer_next(&p, out, sizeof out, &m);
    mrtc_vp8_desc d;
    CHECK_EQ(mrtc_vp8_desc_parse(&d, out, (size_t)len), 6);
    CHECK(d.tid == 0 && !d.layer_sync && d.tl0picidx == 78 && d.picture_id == 6);
}

static void test_packetizer(void)
{
    mrtc_vp8_packetizer p;
    uint8_t frame[10], out[64];
    bool m = true;

    for (int i = 0; i < 10; i++)
        frame[i] = (uint8_t)i;
    mrtc_vp8_packetizer_init(&p, 0x7ffe, false);
    /* 15-bit PictureID: 4 descriptor bytes, 4 bytes of room: 3 payloads of 4, 3, 3. */
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, sizeof frame, 8), 3);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, 7, &m), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 8);
    CHECK_MEM(out, "\x90\x80\xff\xfe\x00\x01\x02\x03", 8);
    CHECK(!m);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 7);
    CHECK_MEM(out, "\x80\x80\xff\xfe\x04\x05\x06", 7);
    CHECK(!m);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 7);
    CHECK_MEM(out, "\x80\x80\xff\xfe\x07\x08\x09", 7);
    CHECK(m);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 0);
    CHECK(!m);
    /* Next frame: PictureID 0x7fff, then it wraps to 0. */
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 3, 1200), 1);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 7);
    CHECK_MEM(out, "\x90\x80\xff\xff\x00\x01\x02", 7);
    CHECK(m);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 3, 1200), 1);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 7);
    CHECK_MEM(out, "\x90\x80\x80\x00", 4);
    /* An abandoned frame still uses its PictureID. */
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 10, 5), 10);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 5);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 1, 5), 1);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 5);
    CHECK_MEM(out, "\x90\x80\x80\x02\x00", 5);

    /* 7-bit PictureIDs wrap at 127. */
    mrtc_vp8_packetizer_init(&p, 0xffff, true);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 2, 100), 1);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 5);
    CHECK_MEM(out, "\x90\x80\x7f\x00\x01", 5);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 2, 100), 1);
    CHECK_EQ(mrtc_vp8_packetizer_next(&p, out, sizeof out, &m), 5);
    CHECK_MEM(out, "\x90\x80\x00\x00\x01", 5);

    /* Misuse. */
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 0, 100), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, NULL, 3, 100), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 3, 3), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_packetizer_frame(&p, frame, 3, 4), 3);
}

/* ---- Assembler ---- */

#define MAX_PKTS 600
#define MAX_PAYLOAD 1500

typedef struct pkt {
    uint16_t seq;
    uint32_t ts;
    bool marker;
    size_t len;
    uint8_t data[MAX_PAYLOAD];
} pkt;

static pkt pkts[MAX_PKTS];
static size_t order[2 * MAX_PKTS];
static uint8_t frame_buf[400000];

/* A synthetic VP8 frame: a key frame header (tag with P=0, start code, 640x480 with
 * scaling codes 1 and 2) or an interframe tag (P=1), then a counting pattern. */
static void make_frame(uint8_t *f, size_t len, bool key, uint8_t salt)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 31 + salt);
    if (len >= 1)
        f[0] = key ? 0x10 : 0x11;
    if (key && len >= 10) {
        static const uint8_t hdr[] = {0x9d, 0x01, 0x2a, 0x80, 0x42, 0xe0, 0x81};
        memcpy(f + 3, hdr, sizeof hdr); /* width 0x0280 | 1 << 14, height 0x01e0 | 2 << 14 */
    }
}

/* Packetizes f into pkts[] starting at seq; returns the count. */
static size_t packetize(const uint8_t *f, size_t len, size_t mtu, uint16_t seq, uint32_t ts)
{
    mrtc_vp8_packetizer p;
    bool m = false;
    size_t n = 0;

    mrtc_vp8_packetizer_init(&p, 77, false);
    int count = mrtc_vp8_packetizer_frame(&p, f, len, mtu);
    CHECK(count > 0 && count <= MAX_PKTS);
    if (count <= 0 || count > MAX_PKTS)
        return 0;
    for (;;) {
        int r = mrtc_vp8_packetizer_next(&p, pkts[n].data, sizeof pkts[n].data, &m);
        if (r <= 0)
            break;
        CHECK((size_t)r <= mtu);
        pkts[n].len = (size_t)r;
        pkts[n].seq = (uint16_t)(seq + n);
        pkts[n].ts = ts;
        pkts[n].marker = m;
        n++;
    }
    CHECK_EQ(n, count);
    CHECK(n > 0 && pkts[n - 1].marker);
    return n;
}

static int push(mrtc_vp8_assembler *a, const pkt *k, mrtc_vp8_push_result *res)
{
    return mrtc_vp8_assembler_push(a, k->seq, k->ts, k->marker, k->data, k->len, res);
}

enum feed { IN_ORDER, REVERSED, SHUFFLED, DUPLICATED, MISSING, N_FEEDS };

static void shuffle(size_t *v, size_t n, mrtc_rand_seeded *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = mrtc_rand_below(&rng->rand, (uint32_t)i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void test_assembler_round_trips(void)
{
    static const size_t sizes[] = {3, 10, 11, 100, 1199, 1200, 1201, 4000, 65536, 300000};
    static const size_t mtus[] = {6, 7, 50, 200, 1200, 1400};
    mrtc_rand_seeded rng;
    mrtc_vp8_push_result res;
    mrtc_vp8_assembler_config cfg;
    int cases = 0;

    mrtc_rand_seeded_init(&rng, 7741);
    mrtc_vp8_assembler_config_init(&cfg);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t mi = 0; mi < sizeof mtus / sizeof mtus[0]; mi++) {
            size_t len = sizes[si], mtu = mtus[mi];
            size_t room = mtu - 4;
            if ((len + room - 1) / room > cfg.max_packets)
                continue;
            for (int feed = 0; feed < N_FEEDS; feed++) {
                bool key = (si + mi + (size_t)feed) % 2 == 0 && len >= 10;
                uint16_t seq0 = (uint16_t)(65530 - feed * 3); /* frames cross the wrap */
                uint32_t ts = 0xfffffff0u + (uint32_t)feed;
                make_frame(frame_buf, len, key, (uint8_t)feed);
                size_t n = packetize(frame_buf, len, mtu, seq0, ts);
                size_t n_order = 0;
                for (size_t i = 0; i < n; i++)
                    order[n_order++] = feed == REVERSED ? n - 1 - i : i;
                if (feed == DUPLICATED)
                    for (size_t i = 0; i < n; i++)
                        order[n_order++] = i;
                if (feed == SHUFFLED || feed == DUPLICATED)
                    shuffle(order, n_order, &rng);
                size_t missing = n;
                if (feed == MISSING) {
                    if (n < 2)
                        continue;
                    missing = mrtc_rand_below(&rng.rand, (uint32_t)n);
                    shuffle(order, n_order, &rng);
                }
                cases++;

                mrtc_vp8_assembler *a = mrtc_vp8_assembler_new(NULL);
                CHECK(a != NULL);
                if (!a)
                    return;
                int frames = 0;
                size_t when = 0;
                for (size_t i = 0; i < n_order; i++) {
                    if (order[i] == missing)
                        continue;
                    CHECK_EQ(push(a, &pkts[order[i]], &res), 0);
                    if (!res.has_frame)
                        continue;
                    frames++;
                    when = i;
                    CHECK_EQ(res.frame.len, len);
                    if (res.frame.len == len)
                        CHECK(memcmp(res.frame.data, frame_buf, len) == 0);
                    CHECK_EQ(res.frame.first_seq, seq0);
                    CHECK_EQ(res.frame.last_seq, (uint16_t)(seq0 + n - 1));
                    CHECK_U64(res.frame.ts, ts);
                    CHECK_EQ(res.frame.keyframe, key);
                    CHECK_EQ(res.frame.width, key ? 640 : 0);
                    CHECK_EQ(res.frame.height, key ? 480 : 0);
                    CHECK_EQ(res.frame.hscale, key ? 1 : 0);
                    CHECK_EQ(res.frame.vscale, key ? 2 : 0);
                    CHECK(!res.frame.continuous); /* first frame */
                    CHECK(res.frame.desc.start && res.frame.desc.has_picture_id);
                    CHECK_EQ(res.frame.desc.picture_id, 77);
                    CHECK_EQ(res.frames_dropped, 0);
                }
                if (feed == MISSING) {
                    CHECK_EQ(frames, 0);
                    CHECK_EQ(mrtc_vp8_assembler_pending(a), n - 1);
                    /* The next frame completes and supersedes it; the loss shows. */
                    make_frame(frame_buf, 20, false, 1);
                    size_t n2 = packetize(frame_buf, 20, 1200, (uint16_t)(seq0 + n), ts + 3000);
                    CHECK_EQ(n2, 1);
                    CHECK_EQ(push(a, &pkts[0], &res), 0);
                    CHECK(res.has_frame);
                    CHECK(!res.frame.continuous);
                    CHECK(!res.frame.keyframe);
                    CHECK_EQ(res.frames_dropped, 1);
                    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);
                } else {
                    CHECK_EQ(frames, 1);
                    if (feed == IN_ORDER || feed == REVERSED)
                        CHECK_EQ(when, n_order - 1);
                    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);
                }
                mrtc_vp8_assembler_free(a);
            }
        }
    }
    CHECK(cases > 150);
}

/* Frames back to back: continuity, gap reports, late and duplicate packets ignored. */
static void test_assembler_stream(void)
{
    mrtc_vp8_push_result res;
    mrtc_vp8_assembler *a = mrtc_vp8_assembler_new(NULL);
    uint8_t f[64];
    pkt k[3];

    CHECK(a != NULL);
    if (!a)
        return;
    /* Key frame at seq 65535, delta at 0 (continuous). */
    make_frame(f, sizeof f, true, 0);
    CHECK_EQ(packetize(f, sizeof f, 100, 65535, 1000), 1);
    k[0] = pkts[0];
    make_frame(f, sizeof f, false, 1);
    CHECK_EQ(packetize(f, sizeof f, 100, 0, 4000), 1);
    k[1] = pkts[0];
    CHECK_EQ(push(a, &k[0], &res), 0);
    CHECK(res.has_frame && res.frame.keyframe && !res.frame.continuous);
    CHECK_EQ(res.gap_count, 0);
    CHECK_EQ(push(a, &k[1], &res), 0);
    CHECK(res.has_frame && !res.frame.keyframe && res.frame.continuous);
    CHECK_EQ(res.gap_count, 0);
    /* Replays of emitted packets are ignored. */
    CHECK_EQ(push(a, &k[0], &res), 0);
    CHECK(!res.has_frame);
    CHECK_EQ(push(a, &k[1], &res), 0);
    CHECK(!res.has_frame);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);

    /* Seq 1..2 lost: the frame at seq 3 reports the gap and is not continuous. */
    CHECK_EQ(packetize(f, sizeof f, 100, 3, 7000), 1);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK_EQ(res.gap_first, 1);
    CHECK_EQ(res.gap_count, 2);
    CHECK(res.has_frame && !res.frame.continuous);

    /* A two-packet frame whose second packet comes after a newer frame is superseded. */
    CHECK_EQ(packetize(f, sizeof f, 40, 4, 10000), 2);
    k[0] = pkts[0];
    k[1] = pkts[1];
    CHECK_EQ(packetize(f, sizeof f, 100, 6, 13000), 1);
    k[2] = pkts[0];
    CHECK_EQ(push(a, &k[0], &res), 0);
    CHECK(!res.has_frame);
    CHECK_EQ(push(a, &k[2], &res), 0);
    CHECK_EQ(res.gap_first, 5);
    CHECK_EQ(res.gap_count, 1);
    CHECK(res.has_frame && !res.frame.continuous);
    CHECK_EQ(res.frames_dropped, 1);
    CHECK_EQ(push(a, &k[1], &res), 0); /* late */
    CHECK(!res.has_frame);
    CHECK_EQ(res.gap_count, 0);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);

    /* A packet far behind the last frame (seq 6) is a sender restart: pending packets go,
     * the new frame is emitted. Within 8192 behind, packets are late and ignored. */
    CHECK_EQ(packetize(f, sizeof f, 40, 7, 16000), 2);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 1);
    CHECK_EQ(packetize(f, sizeof f, 100, (uint16_t)(6 - 8192), 16000), 1);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK(!res.has_frame);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 1);
    CHECK_EQ(packetize(f, sizeof f, 100, (uint16_t)(6 - 8193), 16000), 1);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK(res.has_frame && !res.frame.continuous);
    CHECK_EQ(res.frames_dropped, 1);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);
    CHECK_EQ(packetize(f, sizeof f, 100, (uint16_t)(6 - 8192), 19000), 1);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK(res.has_frame && res.frame.continuous);

    /* Malformed descriptors are refused. */
    static const uint8_t bad[] = {0x80, 0x80};
    CHECK_EQ(mrtc_vp8_assembler_push(a, 9, 1, true, bad, sizeof bad, &res), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_assembler_push(a, 9, 1, true, bad, 0, &res), MRTC_EPROTO);
    CHECK_EQ(mrtc_vp8_assembler_push(a, 9, 1, true, NULL, 0, &res), MRTC_EINVAL);
    CHECK_EQ(mrtc_vp8_assembler_push(NULL, 9, 1, true, bad, 2, &res), MRTC_EINVAL);

    /* Complete frames with a malformed VP8 header are dropped: too short, bad start code. */
    static const uint8_t short_frame[] = {0x10, 0x11, 0x00};
    CHECK_EQ(mrtc_vp8_assembler_push(a, (uint16_t)(6 - 8190), 20000, true, short_frame, 3, &res),
             MRTC_EPROTO);
    CHECK(!res.has_frame);
    CHECK_EQ(res.frames_dropped, 1);
    static const uint8_t bad_key[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2b, 1, 0, 1, 0, 0};
    CHECK_EQ(mrtc_vp8_assembler_push(a, 11, 23000, true, bad_key, sizeof bad_key, &res),
             MRTC_EPROTO);
    static const uint8_t short_key[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 1, 0, 1};
    CHECK_EQ(mrtc_vp8_assembler_push(a, 12, 26000, true, short_key, sizeof short_key, &res),
             MRTC_EPROTO);
    static const uint8_t tiny_key[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 1, 0, 0, 0};
    CHECK_EQ(mrtc_vp8_assembler_push(a, 13, 29000, true, tiny_key, sizeof tiny_key, &res), 0);
    CHECK(res.has_frame && res.frame.keyframe);
    CHECK_EQ(res.frame.width, 1);
    CHECK_EQ(res.frame.height, 0);
    /* Not a start of partition 0: never completes alone. */
    static const uint8_t pid1[] = {0x11, 0x11, 0, 0};
    CHECK_EQ(mrtc_vp8_assembler_push(a, 14, 32000, true, pid1, sizeof pid1, &res), 0);
    CHECK(!res.has_frame);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 1);
    mrtc_vp8_assembler_free(a);
    mrtc_vp8_assembler_free(NULL);
}

static void test_assembler_limits(void)
{
    mrtc_vp8_assembler_config cfg;
    mrtc_vp8_push_result res;
    uint8_t f[2000];
    mrtc_vp8_assembler *a;

    /* A frame over max_frame_bytes is refused and its packets dropped. */
    mrtc_vp8_assembler_config_init(&cfg);
    CHECK_EQ(cfg.max_frame_bytes, 1024 * 1024);
    CHECK_EQ(cfg.max_packets, 512);
    cfg.max_frame_bytes = 1000;
    a = mrtc_vp8_assembler_new(&cfg);
    CHECK(a != NULL);
    if (!a)
        return;
    make_frame(f, 1500, true, 0);
    size_t n = packetize(f, 1500, 504, 100, 5); /* 3 packets of 500 bytes */
    CHECK_EQ(n, 3);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK_EQ(push(a, &pkts[1], &res), 0);
    CHECK_EQ(push(a, &pkts[2], &res), MRTC_ETOOBIG);
    CHECK_EQ(res.frames_dropped, 1);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);
    make_frame(f, 1000, true, 0);
    CHECK_EQ(packetize(f, 1000, 504, 200, 6), 2);
    CHECK_EQ(push(a, &pkts[1], &res), 0);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK(res.has_frame);
    CHECK_EQ(res.frame.len, 1000);
    mrtc_vp8_assembler_free(a);

    /* max_packets: an incomplete older frame is evicted to make room; a frame that needs
     * more packets than the limit is refused. */
    mrtc_vp8_assembler_config_init(&cfg);
    cfg.max_packets = 4;
    a = mrtc_vp8_assembler_new(&cfg);
    CHECK(a != NULL);
    if (!a)
        return;
    make_frame(f, 40, false, 0);
    CHECK_EQ(packetize(f, 40, 14, 10, 100), 4); /* 10 bytes each */
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK_EQ(push(a, &pkts[1], &res), 0);
    CHECK_EQ(push(a, &pkts[3], &res), 0); /* seq 12 lost */
    CHECK_EQ(packetize(f, 40, 14, 14, 200), 4);
    CHECK_EQ(push(a, &pkts[0], &res), 0);
    CHECK_EQ(push(a, &pkts[1], &res), 0);
    CHECK_EQ(res.frames_dropped, 1); /* the first frame was evicted */
    CHECK_EQ(push(a, &pkts[2], &res), 0);
    CHECK_EQ(push(a, &pkts[3], &res), 0);
    CHECK(res.has_frame);
    CHECK_EQ(res.frame.len, 40);
    CHECK_EQ(packetize(f, 40, 12, 18, 300), 5);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(push(a, &pkts[i], &res), 0);
    CHECK_EQ(push(a, &pkts[4], &res), MRTC_ETOOBIG);
    CHECK_EQ(mrtc_vp8_assembler_pending(a), 0);
    mrtc_vp8_assembler_free(a);

    cfg.max_packets = 0;
    CHECK(mrtc_vp8_assembler_new(&cfg) == NULL);
    cfg.max_packets = 40000;
    CHECK(mrtc_vp8_assembler_new(&cfg) == NULL);

    /* Allocation failures are reported, nothing leaks. */
    for (long fail = 1; fail <= 4; fail++) {
        mrtc_alloc_fail_after(fail);
        a = mrtc_vp8_assembler_new(NULL);
        if (a) {
            int err = push(a, &pkts[0], &res);
            CHECK(err == 0 || err == MRTC_ENOMEM);
            mrtc_vp8_assembler_free(a);
        }
        mrtc_alloc_fail_after(0);
    }
}

static void test_frame_header(void)
{
    mrtc_vp8_frame f;
    static const uint8_t key[] = {0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0xc0};
    CHECK_EQ(mrtc_vp8_parse_frame_header(key, sizeof key, &f), 0);
    CHECK(f.keyframe);
    CHECK_EQ(f.width, 320);
    CHECK_EQ(f.height, 240);
    CHECK_EQ(f.hscale, 0);
    CHECK_EQ(f.vscale, 3);
    CHECK_EQ(mrtc_vp8_parse_frame_header(key, 9, &f), MRTC_EPROTO);
    static const uint8_t delta[] = {0x31, 0x00, 0x00};
    CHECK_EQ(mrtc_vp8_parse_frame_header(delta, 3, &f), 0);
    CHECK(!f.keyframe);
    CHECK_EQ(mrtc_vp8_parse_frame_header(delta, 2, &f), MRTC_EPROTO);
}

int main(void)
{
    RUN(test_desc_vectors);
    RUN(test_desc_round_trip);
    RUN(test_desc_invalid);
    RUN(test_packetizer);
    RUN(test_assembler_round_trips);
    RUN(test_assembler_stream);
    RUN(test_assembler_limits);
    RUN(test_frame_header);
    RUN(test_packetizer_layers);
    return test_finish();
}
