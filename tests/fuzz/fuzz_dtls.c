/*
 * libFuzzer target for dtls/dtls.c: untrusted datagrams into an mrtc_dtls endpoint (the
 * "target") that may have a real in-process peer, on a virtual clock.
 *
 * Input: byte 0 picks the scenario (bits 0-1) and options; the rest is a script of
 * operations, each an opcode byte and its operands:
 *   scenario 0: a fresh server, no peer, no remote fingerprint;
 *   scenario 1: a server that has received a real ClientHello from an in-process client;
 *   scenario 2: a started client (its ClientHello queued), a real server as its peer;
 *   scenario 3: two endpoints fully connected (bit 2: the target is the server);
 *   bits 3-4: the target's remote fingerprint in scenarios 1-3: right (0, 3), wrong (1:
 *   its own), never set (2).
 * Operations (opcode % 8):
 *   0 DGRAM   u16 length, bytes: one fuzzed datagram into the target;
 *   1 MUTATE  u16 position, u8 xor: the peer's next queued datagram (else a stored one),
 *             one byte flipped, into the target;
 *   2 PUMP    every queued datagram across, both ways;
 *   3 SEND    u8 side, u8 n: one application record of n bytes from the script, sent by
 *             the peer (side even) or the target;
 *   4 TIMER   the clock to the earliest deadline (or +1 s) and both timers handled;
 *   5 REPLAY  u8 k: a stored datagram of the peer, unchanged, into the target;
 *   6 DROP    the peer's next queued datagram lost (stored for REPLAY);
 *   7 CONTROL u8: close the target / close the peer / set the target's fingerprint right /
 *             wrong / start the target.
 *
 * Invariants (any breach aborts): handle_packet returns only its documented codes; every
 * datagram fits the MTU; each endpoint's state events follow new -> connecting ->
 * connected -> closed|failed (never out of closed or failed) and end at get_state(); an
 * endpoint reaches "connected" only with the right remote fingerprint set and a real peer;
 * DATA comes only while connected and is always a record the other real endpoint sent
 * (each at most once: the fuzzer holds no keys, and replays are dropped); everything is
 * freed (mrtc_alloc_live() back to where it started).
 *
 * OpenSSL's randomness is not seeded here, so handshake bytes differ between runs; the
 * script's structure (and what it reaches) does not. The certificates are generated once.
 */
#include "script.h"
#include "core/cert.h"
#include "core/util/alloc.h"
#include "core/util/time.h"
#include "dtls/dtls.h"
#include "meshrtc/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MTU 1200
#define MAX_SENT 64
#define MAX_STORED 8
#define MAX_OPS 256

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_dtls: %s\n", what);
        abort();
    }
}

static mrtc_cert *certs[2]; /* [0] the client's, [1] the server's */
/* One idle endpoint per certificate for the process's life: it keeps that certificate's
 * SSL_CTX in dtls_ctx.c's cache, so inputs do not pay for building it (most of the cost). */
static mrtc_dtls *keepalive[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < 2; i++) {
        mrtc_dtls_config cfg;
        require(mrtc_cert_generate(&certs[i]) == 0, "mrtc_cert_generate failed");
        mrtc_dtls_config_init(&cfg);
        cfg.pkey = mrtc_cert_pkey(certs[i]);
        cfg.x509 = mrtc_cert_x509(certs[i]);
        require(mrtc_dtls_new(&cfg, &keepalive[i]) == 0, "mrtc_dtls_new failed");
    }
    return 0;
}

/* ---- endpoints and what they must satisfy ---- */

typedef struct side {
    mrtc_dtls *d;
    mrtc_cert *cert;       /* its own */
    mrtc_cert *peer_cert;  /* the other endpoint's, NULL when there is none */
    bool fp_right;         /* the remote fingerprint set last is the peer's */
    mrtc_dtls_state state; /* from its events */
    /* Records this endpoint sent: the other one may deliver each once. */
    uint8_t sent[MAX_SENT][4 + 255];
    size_t sent_len[MAX_SENT];
    bool delivered[MAX_SENT];
    unsigned n_sent;
} side;

static side sides[2]; /* [0] the target, [1] the peer */
static mrtc_time now;
static uint8_t stored[MAX_STORED][MTU];
static size_t stored_len[MAX_STORED];
static unsigned n_stored;

static bool transition_ok(mrtc_dtls_state from, mrtc_dtls_state to)
{
    switch (from) {
    case MRTC_DTLS_STATE_NEW:
        return to == MRTC_DTLS_STATE_CONNECTING || to == MRTC_DTLS_STATE_CLOSED ||
               to == MRTC_DTLS_STATE_FAILED;
    case MRTC_DTLS_STATE_CONNECTING:
        return to == MRTC_DTLS_STATE_CONNECTED || to == MRTC_DTLS_STATE_CLOSED ||
               to == MRTC_DTLS_STATE_FAILED;
    case MRTC_DTLS_STATE_CONNECTED:
        return to == MRTC_DTLS_STATE_CLOSED || to == MRTC_DTLS_STATE_FAILED;
    default:
        return false;
    }
}

static void drain(side *s)
{
    side *other = s == &sides[0] ? &sides[1] : &sides[0];
    mrtc_dtls_event ev;
    if (!s->d)
        return;
    while (mrtc_dtls_poll_event(s->d, &ev)) {
        if (ev.type == MRTC_DTLS_EVENT_STATE) {
            require(transition_ok(s->state, ev.state), "state event breaks the state machine");
            if (ev.state == MRTC_DTLS_STATE_CONNECTED)
                require(s->peer_cert && s->fp_right, "connected without the right fingerprint");
            s->state = ev.state;
            continue;
        }
        require(ev.type == MRTC_DTLS_EVENT_DATA, "unknown event type");
        require(s->state == MRTC_DTLS_STATE_CONNECTED, "DATA while not connected");
        require(ev.data && ev.len > 0 && ev.len <= 16384, "DATA malformed");
        require(other->d != NULL && ev.len >= 4, "DATA nobody sent");
        uint32_t k = (uint32_t)ev.data[0] << 24 | (uint32_t)ev.data[1] << 16 |
                     (uint32_t)ev.data[2] << 8 | ev.data[3];
        require(k < other->n_sent && other->sent_len[k] == ev.len &&
                    memcmp(other->sent[k], ev.data, ev.len) == 0,
                "DATA differs from every record the peer sent");
        require(!other->delivered[k], "DATA delivered twice");
        other->delivered[k] = true;
    }
    require(mrtc_dtls_get_state(s->d) == s->state, "get_state differs from the events");
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

static void deliver(side *to, const uint8_t *p, size_t n)
{
    if (to->d)
        check_rc(mrtc_dtls_handle_packet(to->d, now, p, n));
}

static void store(const uint8_t *p, size_t n)
{
    unsigned i = n_stored++ % MAX_STORED;
    memcpy(stored[i], p, n);
    stored_len[i] = n;
}

/* The peer's next datagram into buf (also stored for REPLAY); false when none. */
static bool peer_next(uint8_t *buf, size_t *n)
{
    if (!sides[1].d || !mrtc_dtls_poll_transmit(sides[1].d, buf, MTU, n))
        return false;
    require(*n <= MTU, "datagram longer than the MTU");
    store(buf, *n);
    return true;
}

static void pump(void)
{
    uint8_t buf[MTU];
    size_t n;
    for (int round = 0; round < 8; round++) {
        bool moved = false;
        while (sides[0].d && mrtc_dtls_poll_transmit(sides[0].d, buf, sizeof buf, &n)) {
            require(n <= MTU, "datagram longer than the MTU");
            deliver(&sides[1], buf, n);
            moved = true;
        }
        while (peer_next(buf, &n)) {
            deliver(&sides[0], buf, n);
            moved = true;
        }
        drain_all();
        if (!moved)
            break;
    }
}

static void set_fp(side *s, bool right)
{
    mrtc_cert *c = right ? s->peer_cert : s->cert;
    if (!c)
        return;
    int rc = mrtc_dtls_set_remote_fingerprint(s->d, now, mrtc_cert_fingerprint_algorithm(c),
                                              mrtc_cert_fingerprint(c));
    require(rc == 0 || rc == MRTC_ESTATE, "set_remote_fingerprint failed");
    if (rc == 0)
        s->fp_right = right;
}

static void new_side(side *s, mrtc_dtls_role role, bool with_peer)
{
    mrtc_dtls_config cfg;
    mrtc_dtls_config_init(&cfg);
    s->cert = certs[role == MRTC_DTLS_ROLE_SERVER];
    s->peer_cert = with_peer ? certs[role != MRTC_DTLS_ROLE_SERVER] : NULL;
    cfg.pkey = mrtc_cert_pkey(s->cert);
    cfg.x509 = mrtc_cert_x509(s->cert);
    cfg.role = role;
    cfg.mtu = MTU;
    cfg.max_retransmits = 3;
    require(mrtc_dtls_new(&cfg, &s->d) == 0, "mrtc_dtls_new failed");
    s->state = MRTC_DTLS_STATE_NEW;
}

static void send_record(side *s, const uint8_t *p, size_t n)
{
    if (!s->d || s->n_sent >= MAX_SENT)
        return;
    uint8_t *m = s->sent[s->n_sent];
    m[0] = 0, m[1] = 0, m[2] = 0, m[3] = (uint8_t)s->n_sent;
    memcpy(m + 4, p, n);
    int rc = mrtc_dtls_send(s->d, now, m, n + 4);
    require(rc == 0 || rc == MRTC_ESTATE || rc == MRTC_EAGAIN, "mrtc_dtls_send failed");
    if (rc == 0)
        s->sent_len[s->n_sent++] = n + 4;
}

static void timers(void)
{
    mrtc_time t = MRTC_TIME_NEVER;
    for (int i = 0; i < 2; i++)
        if (sides[i].d)
            t = mrtc_time_min(t, mrtc_dtls_next_timeout(sides[i].d));
    now = t == MRTC_TIME_NEVER || t <= now ? now + MRTC_SEC(1) : t;
    for (int i = 0; i < 2; i++)
        if (sides[i].d)
            mrtc_dtls_handle_timeout(sides[i].d, now);
    drain_all();
}

/* ---- the script ---- */


static void setup(unsigned flags)
{
    unsigned scenario = flags & 3;
    unsigned fp_mode = (flags >> 3) & 3;
    bool target_server = scenario == 0 || scenario == 1 || (scenario == 3 && (flags & 4));
    mrtc_dtls_role trole = target_server ? MRTC_DTLS_ROLE_SERVER : MRTC_DTLS_ROLE_CLIENT;
    mrtc_dtls_role prole = target_server ? MRTC_DTLS_ROLE_CLIENT : MRTC_DTLS_ROLE_SERVER;

    new_side(&sides[0], trole, scenario != 0);
    if (scenario == 0)
        return;
    new_side(&sides[1], prole, true);
    set_fp(&sides[1], true);
    if (fp_mode != 2)
        set_fp(&sides[0], fp_mode != 1);
    /* A server waits; the client's start queues the ClientHello. */
    side *client = trole == MRTC_DTLS_ROLE_CLIENT ? &sides[0] : &sides[1];
    side *server = client == &sides[0] ? &sides[1] : &sides[0];
    require(mrtc_dtls_start(server->d, now) == 0, "server start failed");
    require(mrtc_dtls_start(client->d, now) == 0, "client start failed");
    drain_all();
    if (scenario == 1) {
        uint8_t buf[MTU];
        size_t n;
        while (peer_next(buf, &n))
            deliver(&sides[0], buf, n);
        drain_all();
    } else if (scenario == 3) {
        pump();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[65536];
    reader r = {data, size};
    long live = mrtc_alloc_live();

    memset(sides, 0, sizeof sides);
    n_stored = 0;
    now = MRTC_SEC(100);
    if (size == 0)
        return 0;
    setup(rd8(&r));

    for (int ops = 0; r.n > 0 && ops < MAX_OPS; ops++) {
        unsigned op = rd8(&r) & 7;
        size_t n;
        switch (op) {
        case 0: /* DGRAM */
            n = rd16(&r);
            if (n > r.n)
                n = r.n;
            deliver(&sides[0], r.p, n);
            r.p += n, r.n -= n;
            break;
        case 1: { /* MUTATE */
            unsigned pos = rd16(&r), x = rd8(&r);
            if (!peer_next(buf, &n)) {
                if (n_stored == 0)
                    break;
                unsigned k = (n_stored - 1) % MAX_STORED;
                n = stored_len[k];
                memcpy(buf, stored[k], n);
            }
            if (n > 0)
                buf[pos % n] ^= (uint8_t)(x ? x : 1);
            deliver(&sides[0], buf, n);
            break;
        }
        case 2: /* PUMP */
            pump();
            break;
        case 3: { /* SEND */
            unsigned who = rd8(&r);
            n = rd8(&r);
            if (n > r.n)
                n = r.n;
            send_record(&sides[who & 1 ? 0 : 1], r.p, n);
            r.p += n, r.n -= n;
            break;
        }
        case 4: /* TIMER */
            timers();
            break;
        case 5: { /* REPLAY */
            unsigned k = rd8(&r);
            if (n_stored == 0)
                break;
            unsigned have = n_stored < MAX_STORED ? n_stored : MAX_STORED;
            k %= have;
            deliver(&sides[0], stored[k], stored_len[k]);
            break;
        }
        case 6: /* DROP */
            (void)peer_next(buf, &n);
            break;
        default: /* CONTROL */
            switch (rd8(&r) % 5) {
            case 0:
                mrtc_dtls_close(sides[0].d, now);
                break;
            case 1:
                mrtc_dtls_close(sides[1].d, now);
                break;
            case 2:
                set_fp(&sides[0], true);
                break;
            case 3:
                set_fp(&sides[0], false);
                break;
            default: {
                int rc = mrtc_dtls_start(sides[0].d, now);
                require(rc == 0 || rc == MRTC_ESTATE, "start returned an undocumented code");
                break;
            }
            }
            break;
        }
        drain_all();
    }
    /* Whatever is in flight still goes through the checks. */
    pump();

    for (int i = 0; i < 2; i++) {
        if (!sides[i].d)
            continue;
        const char *fail = mrtc_dtls_failure(sides[i].d);
        require(fail != NULL, "failure reason is NULL");
        require(mrtc_dtls_peer_fingerprint(sides[i].d) != NULL, "peer fingerprint is NULL");
        mrtc_dtls_free(sides[i].d);
        sides[i].d = NULL;
    }
    require(mrtc_alloc_live() == live, "allocations leaked");
    return 0;
}
