/*
 * libFuzzer target for sctp/sctp.c and sctp/sctp_channel.c: untrusted SCTP packets into an
 * established association. Each input sets up two in-process associations, A (DTLS client)
 * and B, joined by an in-memory pipe on a virtual clock, pumps them to "connected", opens a
 * channel from each side (sid 0 from A, sid 1 from B, DCEP), and then runs a script against
 * A. Setting up per input costs about 2 ms in the sanitizer build (measured; the 20000-run smoke
 * run takes about 20 s), so nothing carries over from one input to the next but usrsctp's
 * process-global state, which sctp/ keeps.
 *
 * Input: byte 0 holds options (bit 0: A accepts messages of at most 4 KiB), then operations,
 * each an opcode byte and its operands:
 *   0 PACKET u8 fix, u16 length, bytes: one fuzzed packet into A. The CRC32c (bytes 8..11,
 *            computed with the field zeroed, stored as usrsctp stores it) is recomputed
 *            unless fix bit 1 is set; fix bit 0 puts A's verification tag into bytes 4..7;
 *   1 PUMP   every queued packet across, both ways, until quiet;
 *   2 SEND   u8 flags, u8 sid, u16 length: a message from B (flags bit 0: from A; bit 1:
 *            binary) of that many pattern bytes;
 *   3 TIMER  u8 t: the clock forward by (t + 1) * 10 ms, both associations' timers run;
 *   4 OPEN   u8 flags: a new channel (bit 0: from A), bits 1-2 pick the reliability
 *            (reliable, 0 retransmits, 1 ms lifetime), bit 3 unordered;
 *   5 CLOSECH u8 flags, u8 sid: close a channel (bit 0: A's);
 *   6 CLOSE  u8 flags: close the association gracefully (bit 0: A);
 *   7 DROP   u8 flags: the next queued packet of B (bit 0: of A) is lost.
 *
 * Determinism: usrsctp draws its verification tags, initial TSNs and cookie secret from
 * getrandom (through syscall()), and stamps cookies and its vtag time-wait list with
 * gettimeofday(). This program defines both (they interpose on libc's for libusrsctp, as
 * tests/unit/test_sctp.c does with gettimeofday): getrandom returns a generator restarted
 * for every input, the time of day follows the virtual clock, which moves an hour ahead
 * per input so tags of freed associations have left time-wait. So every input meets the
 * same tags and TSNs, and packets captured from a real exchange (the seed corpus) stay
 * valid inputs.
 *
 * Invariants (any breach aborts): handle_packet returns 0, MRTC_EPROTO or MRTC_ESTATE;
 * state events go new -> connecting -> connected -> closed (closed from anywhere, final)
 * and end at get_state(); no OPEN_REQUEST, OPEN or MESSAGE after "closed"; sids carried by
 * events lie below the 256 streams configured; a MESSAGE has data exactly when len > 0,
 * and len within our max-message-size; OPEN_REQUEST strings and CHANNEL_ERROR text are
 * set; every message B receives is one A sent (the pattern checks); nothing of ours leaks
 * (mrtc_alloc_live() back to where it started after both are freed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include "script.h"
#include "core/util/alloc.h"
#include "core/util/time.h"
#include "meshrtc/error.h"
#include "sctp/sctp.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
uint32_t usrsctp_crc32c(void *buffer, size_t length); /* <usrsctp.h> needs its own defines */

#define STREAMS 256
#define MAX_OPS 64
#define PKT_MAX 65536

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_sctp: %s\n", what);
        abort();
    }
}

/* ---- determinism: the virtual clock and usrsctp's randomness ---- */

static mrtc_time now;      /* the virtual clock, never reset: +1 h per input */
static bool virtual_on;    /* inside an input */
static uint64_t rng_state; /* restarted per input */

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    if (virtual_on) {
        tv->tv_sec = (time_t)(1700000000u + now / 1000000u);
        tv->tv_usec = (suseconds_t)(now % 1000000u);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return 0;
}

static uint8_t rng_byte(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 24);
}

long syscall(long number, ...)
{
    static long (*real)(long, ...);
    va_list ap;
    long a[6];
    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_getrandom && virtual_on) {
        uint8_t *buf = (uint8_t *)a[0];
        for (long i = 0; i < a[1]; i++)
            buf[i] = rng_byte();
        return a[1];
    }
    if (!real)
        real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- the two associations ---- */

typedef struct side {
    mrtc_sctp *s;
    mrtc_sctp_config cfg;
    mrtc_sctp_state state; /* from its events */
    bool saw_closed;
    uint32_t sent; /* messages sent (the pattern's counter) */
} side;

static side sides[2];     /* [0] A, the target; [1] B */
static uint8_t a_vtag[4]; /* A's verification tag, from B's packets */
static bool have_vtag;

static bool state_ok(mrtc_sctp_state from, mrtc_sctp_state to)
{
    if (from == MRTC_SCTP_STATE_CLOSED)
        return false;
    return to == MRTC_SCTP_STATE_CLOSED || to > from;
}

/* Message bytes: a 4-byte counter, then bytes derived from it; shorter messages are zeros. */
static void pattern(uint8_t *p, size_t n, uint32_t k)
{
    if (n < 4) {
        memset(p, 0, n);
        return;
    }
    p[0] = (uint8_t)(k >> 24), p[1] = (uint8_t)(k >> 16), p[2] = (uint8_t)(k >> 8);
    p[3] = (uint8_t)k;
    for (size_t i = 4; i < n; i++)
        p[i] = (uint8_t)(k * 31u + i);
}

static bool pattern_ok(const uint8_t *p, size_t n)
{
    if (n < 4) {
        for (size_t i = 0; i < n; i++)
            if (p[i])
                return false;
        return true;
    }
    uint32_t k = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    for (size_t i = 4; i < n; i++)
        if (p[i] != (uint8_t)(k * 31u + i))
            return false;
    return k < sides[0].sent;
}

static void drain(side *d)
{
    mrtc_sctp_event ev;
    while (mrtc_sctp_poll_event(d->s, &ev)) {
        switch (ev.type) {
        case MRTC_SCTP_EVENT_STATE:
            require(state_ok(d->state, ev.state), "state event breaks the state machine");
            d->state = ev.state;
            if (ev.state == MRTC_SCTP_STATE_CLOSED)
                d->saw_closed = true;
            continue;
        case MRTC_SCTP_EVENT_OPEN_REQUEST:
            require(ev.params.label && ev.params.protocol, "OPEN_REQUEST without strings");
            break;
        case MRTC_SCTP_EVENT_MESSAGE:
            require((ev.len == 0) == (ev.data == NULL), "MESSAGE data and len disagree");
            require(ev.len <= d->cfg.local_max_message_size, "MESSAGE over max-message-size");
            if (d == &sides[1])
                require(pattern_ok(ev.data, ev.len), "B received a message A did not send");
            break;
        case MRTC_SCTP_EVENT_CHANNEL_ERROR:
            require(ev.text != NULL, "CHANNEL_ERROR without text");
            continue;
        case MRTC_SCTP_EVENT_OPEN:
        case MRTC_SCTP_EVENT_BUFFERED:
        case MRTC_SCTP_EVENT_CLOSING:
        case MRTC_SCTP_EVENT_CLOSED:
            break;
        default:
            require(0, "unknown event type");
        }
        require(ev.sid < STREAMS, "event sid out of range");
        if (ev.type == MRTC_SCTP_EVENT_OPEN_REQUEST || ev.type == MRTC_SCTP_EVENT_OPEN ||
            ev.type == MRTC_SCTP_EVENT_MESSAGE)
            require(!d->saw_closed, "channel event after the association closed");
    }
    require(mrtc_sctp_get_state(d->s) == d->state, "get_state differs from the events");
}

static void drain_all(void)
{
    drain(&sides[0]);
    drain(&sides[1]);
}

static void check_rc(int rc)
{
    require(rc == 0 || rc == MRTC_EPROTO || rc == MRTC_ESTATE,
            "handle_packet returned an undocumented code");
}

/* Moves one packet from `from` to the other side; false when none was queued. */
static bool move_one(int from, bool drop)
{
    static uint8_t buf[PKT_MAX];
    size_t n;
    if (!mrtc_sctp_poll_transmit(sides[from].s, buf, sizeof buf, &n))
        return false;
    require(n >= 16 && n <= PKT_MAX, "packet of impossible length");
    /* The fix-up of fuzzed packets must store the CRC32c as usrsctp does: check it here. */
    uint8_t sum[4];
    memcpy(sum, buf + 8, 4);
    memset(buf + 8, 0, 4);
    uint32_t crc = usrsctp_crc32c(buf, n);
    require(memcmp(sum, &crc, 4) == 0, "CRC32c fix-up disagrees with usrsctp's own packets");
    memcpy(buf + 8, sum, 4);
    if (from == 1 && buf[12] != 1) { /* not INIT (tag 0): A's verification tag */
        memcpy(a_vtag, buf + 4, 4);
        have_vtag = true;
    }
    if (!drop)
        check_rc(mrtc_sctp_handle_packet(sides[1 - from].s, now, buf, n));
    return true;
}

static void pump(void)
{
    for (int round = 0; round < 64; round++) {
        bool moved = false;
        for (int i = 0; i < 2; i++)
            while (move_one(i, false))
                moved = true;
        drain_all();
        if (!moved)
            break;
    }
}

static void timers(mrtc_time step)
{
    now += step;
    for (int i = 0; i < 2; i++)
        mrtc_sctp_handle_timeout(sides[i].s, now);
    drain_all();
}

static void open_channel(side *d, uint16_t sid, unsigned flags)
{
    mrtc_sctp_channel_params p = {
        .label = "fuzz",
        .protocol = (flags & 16) ? "" : "p",
        .ordered = !(flags & 8),
        .reliability = ((flags >> 1) & 3) == 1   ? MRTC_SCTP_MAX_RETRANSMITS
                       : ((flags >> 1) & 3) == 2 ? MRTC_SCTP_MAX_LIFETIME
                                                 : MRTC_SCTP_RELIABLE,
        .reliability_param = ((flags >> 1) & 3) == 2 ? 1 : 0,
        .priority = 256,
    };
    int rc = mrtc_sctp_open_channel(d->s, now, sid, &p);
    require(rc == 0 || rc == MRTC_ESTATE || rc == MRTC_EEXIST || rc == MRTC_ERANGE,
            "open_channel returned an undocumented code");
}

static void setup(unsigned flags)
{
    for (int i = 0; i < 2; i++) {
        side *d = &sides[i];
        mrtc_sctp_config_init(&d->cfg);
        d->cfg.dtls_client = i == 0;
        d->cfg.streams = STREAMS;
        d->cfg.remote_max_message_size = MRTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
        if (i == 0 && (flags & 1))
            d->cfg.local_max_message_size = 4096;
        if (i == 1 && (flags & 1))
            d->cfg.remote_max_message_size = 4096;
        require(mrtc_sctp_new(&d->cfg, now, &d->s) == 0, "mrtc_sctp_new failed");
    }
    for (int i = 0; i < 2; i++)
        require(mrtc_sctp_start(sides[i].s, now) == 0, "mrtc_sctp_start failed");
    pump();
    require(sides[0].state == MRTC_SCTP_STATE_CONNECTED &&
                sides[1].state == MRTC_SCTP_STATE_CONNECTED,
            "setup: the association did not come up");
    open_channel(&sides[0], 0, 0);
    open_channel(&sides[1], 1, 0);
    pump();
}


static void fuzzed_packet(unsigned fix, const uint8_t *p, size_t n)
{
    static uint8_t buf[PKT_MAX];
    memcpy(buf, p, n);
    if (n >= 12) {
        if ((fix & 1) && have_vtag)
            memcpy(buf + 4, a_vtag, 4);
        if (!(fix & 2)) {
            memset(buf + 8, 0, 4);
            uint32_t crc = usrsctp_crc32c(buf, n);
            memcpy(buf + 8, &crc, 4); /* as usrsctp stores it (checked on a real packet) */
        }
    }
    check_rc(mrtc_sctp_handle_packet(sides[0].s, now, buf, n));
}

static void send_message(unsigned flags, unsigned sid, size_t len)
{
    static uint8_t msg[65536];
    side *d = &sides[(flags & 1) ? 0 : 1];
    pattern(msg, len, d->sent);
    int rc = mrtc_sctp_send(d->s, now, (uint16_t)sid, (flags & 2) != 0, msg, len);
    require(rc == 0 || rc == MRTC_ENOTFOUND || rc == MRTC_ESTATE || rc == MRTC_ETOOBIG,
            "send returned an undocumented code");
    if (rc == 0)
        d->sent++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    long live = mrtc_alloc_live();

    if (size == 0)
        return 0;
    now += MRTC_SEC(3600);
    rng_state = 0x9E3779B97F4A7C15ull;
    virtual_on = true;
    memset(sides, 0, sizeof sides);
    have_vtag = false;
    setup(rd8(&r));

    for (int ops = 0; r.n > 0 && ops < MAX_OPS; ops++) {
        unsigned op = rd8(&r) & 7, f, sid;
        size_t n;
        switch (op) {
        case 0: /* PACKET */
            f = rd8(&r);
            n = rd16(&r);
            if (n > r.n)
                n = r.n;
            fuzzed_packet(f, r.p, n);
            r.p += n, r.n -= n;
            break;
        case 1: /* PUMP */
            pump();
            break;
        case 2: /* SEND */
            f = rd8(&r);
            sid = rd8(&r);
            send_message(f, sid, rd16(&r));
            break;
        case 3: /* TIMER */
            timers(MRTC_MSEC(10) * (rd8(&r) + 1u));
            break;
        case 4: { /* OPEN */
            uint16_t s16;
            f = rd8(&r);
            side *d = &sides[f & 1 ? 0 : 1];
            if (mrtc_sctp_alloc_sid(d->s, &s16) == 0)
                open_channel(d, s16, f);
            break;
        }
        case 5: { /* CLOSECH */
            f = rd8(&r);
            sid = rd8(&r);
            int rc = mrtc_sctp_close_channel(sides[f & 1 ? 0 : 1].s, now, (uint16_t)sid);
            require(rc == 0 || rc == MRTC_ENOTFOUND || rc == MRTC_ESTATE,
                    "close_channel returned an undocumented code");
            break;
        }
        case 6: /* CLOSE */
            mrtc_sctp_close(sides[rd8(&r) & 1 ? 0 : 1].s, now);
            break;
        default: /* DROP */
            (void)move_one(rd8(&r) & 1 ? 0 : 1, true);
            break;
        }
        drain_all();
    }
    /* What is still in flight goes through the checks too. */
    pump();
    timers(MRTC_MSEC(10));
    pump();

    for (int i = 0; i < 2; i++) {
        mrtc_sctp_free(sides[i].s);
        sides[i].s = NULL;
    }
    virtual_on = false;
    require(mrtc_alloc_live() == live, "allocations leaked");
    return 0;
}
