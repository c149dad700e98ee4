/* Tests of dtls/dtls.c: two endpoints handshaking in memory on a virtual clock (datagrams
 * pumped between them), application data, SRTP profile and exported keys, fingerprint
 * checks before, during and after the handshake, retransmission after lost flights, the
 * handshake timeout with doubling deadlines, close_notify, malformed and replayed
 * datagrams, the key log, configuration and fingerprint errors, allocation failures, and
 * (printed, not timed) the memory an established endpoint holds. */
#include "test.h"

#include "core/cert.h"
#include "core/util/time.h"
#include "dtls/dtls.h"
#include "meshrtc/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

static mrtc_time now;

typedef struct side {
    mrtc_dtls *d;
    mrtc_dtls_state states[8];
    int n_states;
    int n_data;
    uint8_t data[2048];
    size_t data_len;
    int keylog_lines, client_random_lines;
    int sent; /* datagrams taken from d */
} side;

/* ---- OpenSSL's heap, counted so the test can print what an endpoint costs. ---- */

static atomic_long ossl_bytes;

static void *count_malloc(size_t n, const char *file, int line)
{
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    atomic_fetch_add(&ossl_bytes, (long)n);
    return (char *)p + 16;
}

static void count_free(void *ptr, const char *file, int line)
{
    if (!ptr)
        return;
    size_t *p = (size_t *)((char *)ptr - 16);
    atomic_fetch_sub(&ossl_bytes, (long)p[0]);
    free(p);
}

static void *count_realloc(void *ptr, size_t n, const char *file, int line)
{
    if (!ptr)
        return count_malloc(n, file, line);
    size_t *p = (size_t *)((char *)ptr - 16);
    size_t old = p[0];
    size_t *q = realloc(p, n + 16);
    if (!q)
        return NULL;
    q[0] = n;
    atomic_fetch_add(&ossl_bytes, (long)n - (long)old);
    return (char *)q + 16;
}

/* ---- Helpers ---- */

static void keylog(void *arg, const char *line)
{
    side *s = arg;
    s->keylog_lines++;
    if (strncmp(line, "CLIENT_RANDOM ", 14) == 0)
        s->client_random_lines++;
}

static void new_side(side *s, mrtc_dtls_role role, mrtc_cert *cert, mrtc_dtls_config *cfg_in)
{
    mrtc_dtls_config cfg;
    memset(s, 0, sizeof *s);
    if (cfg_in)
        cfg = *cfg_in;
    else
        mrtc_dtls_config_init(&cfg);
    cfg.pkey = mrtc_cert_pkey(cert);
    cfg.x509 = mrtc_cert_x509(cert);
    cfg.role = role;
    cfg.keylog = keylog;
    cfg.keylog_arg = s;
    CHECK_EQ(mrtc_dtls_new(&cfg, &s->d), 0);
}

static void drain_events(side *s)
{
    mrtc_dtls_event ev;
    while (mrtc_dtls_poll_event(s->d, &ev)) {
        if (ev.type == MRTC_DTLS_EVENT_STATE) {
            if (s->n_states < 8)
                s->states[s->n_states++] = ev.state;
        } else {
            CHECK_EQ(ev.type, MRTC_DTLS_EVENT_DATA);
            s->n_data++;
            s->data_len = ev.len < sizeof s->data ? ev.len : sizeof s->data;
            memcpy(s->data, ev.data, s->data_len);
        }
    }
}

/* Moves every queued datagram of from to to; the first *drop of them are lost. */
static int transfer(side *from, side *to, int *drop)
{
    uint8_t buf[2048];
    size_t len = 0;
    int n = 0;
    while (mrtc_dtls_poll_transmit(from->d, buf, sizeof buf, &len)) {
        CHECK(len <= 1200);
        from->sent++;
        n++;
        if (drop && *drop > 0) {
            (*drop)--;
            continue;
        }
        mrtc_dtls_handle_packet(to->d, now, buf, len);
    }
    drain_events(from);
    drain_events(to);
    return n;
}

static void pump(side *a, side *b)
{
    for (int i = 0; i < 100; i++) {
        if (transfer(a, b, NULL) + transfer(b, a, NULL) == 0)
            break;
    }
}

/* Pumps and fires timers on the virtual clock until nothing is due before limit. */
static void run(side *a, side *b, mrtc_time limit)
{
    for (int i = 0; i < 100; i++) {
        pump(a, b);
        mrtc_time t = mrtc_time_min(mrtc_dtls_next_timeout(a->d), mrtc_dtls_next_timeout(b->d));
        if (t == MRTC_TIME_NEVER || t > limit)
            break;
        if (t > now)
            now = t;
        mrtc_dtls_handle_timeout(a->d, now);
        mrtc_dtls_handle_timeout(b->d, now);
    }
}

static void set_fp(side *s, mrtc_cert *peer)
{
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(s->d, now, mrtc_cert_fingerprint_algorithm(peer),
                                              mrtc_cert_fingerprint(peer)),
             0);
}

static mrtc_dtls_state last_state(const side *s)
{
    return s->n_states ? s->states[s->n_states - 1] : MRTC_DTLS_STATE_NEW;
}

/* Two endpoints, fingerprints set, started, pumped to "connected". */
static void connect_pair(side *c, side *s, mrtc_cert *cc, mrtc_cert *sc)
{
    new_side(c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    new_side(s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
    set_fp(c, sc);
    set_fp(s, cc);
    CHECK_EQ(mrtc_dtls_start(s->d, now), 0);
    CHECK_EQ(mrtc_dtls_start(c->d, now), 0);
    pump(c, s);
    CHECK_EQ(mrtc_dtls_get_state(c->d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(mrtc_dtls_get_state(s->d), MRTC_DTLS_STATE_CONNECTED);
}

static void free_sides(side *a, side *b)
{
    mrtc_dtls_free(a->d);
    mrtc_dtls_free(b->d);
}

/* ---- Tests ---- */

static void test_handshake(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    side c, s;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    now = MRTC_SEC(100);
    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
    CHECK_EQ(mrtc_dtls_get_role(c.d), MRTC_DTLS_ROLE_CLIENT);
    CHECK_EQ(mrtc_dtls_get_role(s.d), MRTC_DTLS_ROLE_SERVER);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_NEW);
    CHECK_STR(mrtc_dtls_peer_fingerprint(c.d), "");
    CHECK_U64(mrtc_dtls_next_timeout(c.d), MRTC_TIME_NEVER);
    set_fp(&c, sc);
    set_fp(&s, cc);
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"x", 1), MRTC_ESTATE);

    /* The server starts on the ClientHello. */
    CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
    CHECK_EQ(mrtc_dtls_start(c.d, now), MRTC_ESTATE);
    CHECK_U64(mrtc_dtls_next_timeout(c.d), now + MRTC_SEC(1));
    pump(&c, &s);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(c.n_states, 2);
    CHECK_EQ(c.states[0], MRTC_DTLS_STATE_CONNECTING);
    CHECK_EQ(c.states[1], MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(s.n_states, 2);
    CHECK_EQ(s.states[0], MRTC_DTLS_STATE_CONNECTING);
    CHECK_EQ(s.states[1], MRTC_DTLS_STATE_CONNECTED);
    CHECK_U64(mrtc_dtls_next_timeout(c.d), MRTC_TIME_NEVER);
    CHECK_U64(mrtc_dtls_next_timeout(s.d), MRTC_TIME_NEVER);
    CHECK_STR(mrtc_dtls_failure(c.d), "");
    CHECK_STR(mrtc_dtls_state_name(MRTC_DTLS_STATE_CONNECTED), "connected");

    /* Identities. */
    CHECK_STR(mrtc_dtls_peer_fingerprint(c.d), mrtc_cert_fingerprint(sc));
    CHECK_STR(mrtc_dtls_peer_fingerprint(s.d), mrtc_cert_fingerprint(cc));

    /* SRTP: the same profile (GCM preferred) and the same keying material on both sides. */
    CHECK_EQ(mrtc_dtls_srtp_profile(c.d), MRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
    CHECK_EQ(mrtc_dtls_srtp_profile(s.d), MRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
    uint8_t kc[56], ks[56], zero[56] = {0}, big[60];
    CHECK_EQ(mrtc_dtls_export_srtp_keys(c.d, kc, sizeof kc), 0);
    CHECK_EQ(mrtc_dtls_export_srtp_keys(s.d, ks, sizeof ks), 0);
    CHECK_MEM(kc, ks, sizeof kc);
    CHECK(memcmp(kc, zero, sizeof kc) != 0);
    /* client key, server key, client salt, server salt: the two keys differ. */
    CHECK(memcmp(kc, kc + 16, 16) != 0);
    CHECK_EQ(mrtc_dtls_export_srtp_keys(c.d, big, sizeof big), MRTC_EINVAL);

    /* Application data both ways, record boundaries kept. */
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"hello server", 12), 0);
    pump(&c, &s);
    CHECK_EQ(s.n_data, 1);
    CHECK_EQ(s.data_len, 12);
    CHECK_MEM(s.data, "hello server", 12);
    CHECK_EQ(mrtc_dtls_send(s.d, now, (const uint8_t *)"hi", 2), 0);
    CHECK_EQ(mrtc_dtls_send(s.d, now, (const uint8_t *)"again", 5), 0);
    pump(&c, &s);
    CHECK_EQ(c.n_data, 2);
    CHECK_EQ(c.data_len, 5);
    CHECK_MEM(c.data, "again", 5);

    /* A record must fit one datagram. */
    uint8_t large[1400];
    memset(large, 7, sizeof large);
    CHECK_EQ(mrtc_dtls_send(c.d, now, large, sizeof large), MRTC_ETOOBIG);
    CHECK_EQ(mrtc_dtls_send(c.d, now, large, 1100), 0);
    pump(&c, &s);
    CHECK_EQ(s.n_data, 2);
    CHECK_EQ(s.data_len, 1100);

    mrtc_dtls_stats st;
    mrtc_dtls_get_stats(c.d, &st);
    CHECK_U64(st.datagrams_sent, (uint64_t)c.sent);
    CHECK_U64(st.retransmissions, 0);
    CHECK_U64(st.dropped, 0);
    free_sides(&c, &s);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

/* One side holds the wrong fingerprint: it refuses the peer's certificate during the
 * handshake with bad_certificate, the peer fails on that alert, and nothing passes. */
static void fingerprint_mismatch(bool client_checks)
{
    mrtc_cert *cc = NULL, *sc = NULL, *other = NULL;
    side c, s;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    CHECK_EQ(mrtc_cert_generate(&other), 0);
    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
    set_fp(&c, client_checks ? other : sc);
    set_fp(&s, client_checks ? cc : other);
    side *checker = client_checks ? &c : &s, *peer = client_checks ? &s : &c;
    CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
    run(&c, &s, now + MRTC_SEC(300));
    CHECK_EQ(mrtc_dtls_get_state(checker->d), MRTC_DTLS_STATE_FAILED);
    CHECK_STR(mrtc_dtls_failure(checker->d), "fingerprint mismatch");
    CHECK_EQ(last_state(checker), MRTC_DTLS_STATE_FAILED);
    CHECK_EQ(mrtc_dtls_get_state(peer->d), MRTC_DTLS_STATE_FAILED);
    CHECK_STR(mrtc_dtls_failure(peer->d), "alert received: bad certificate");
    CHECK_EQ(c.n_data + s.n_data, 0);
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"x", 1), MRTC_ESTATE);
    CHECK_EQ(mrtc_dtls_send(s.d, now, (const uint8_t *)"x", 1), MRTC_ESTATE);
    CHECK_EQ(mrtc_dtls_srtp_profile(checker->d), MRTC_SRTP_PROFILE_NONE);
    uint8_t k[56];
    CHECK_EQ(mrtc_dtls_export_srtp_keys(checker->d, k, sizeof k), MRTC_ESTATE);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(checker->d, now, "sha-256",
                                              mrtc_cert_fingerprint(client_checks ? sc : cc)),
             MRTC_ESTATE);
    CHECK_EQ(mrtc_dtls_handle_packet(checker->d, now, (const uint8_t *)"\x17\xfe\xfd", 3),
             MRTC_ESTATE);
    free_sides(&c, &s);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
    mrtc_cert_free(other);
}

static void test_fingerprint_mismatch_client(void)
{
    fingerprint_mismatch(true);
}

static void test_fingerprint_mismatch_server(void)
{
    fingerprint_mismatch(false);
}

/* The server learns the fingerprint only after the handshake: it stays "connecting" and
 * holds the client's data until the fingerprint arrives; a matching one connects it and
 * delivers the held data, a wrong one fails it and the data is never delivered. */
static void test_fingerprint_late(void)
{
    mrtc_cert *cc = NULL, *sc = NULL, *other = NULL;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    CHECK_EQ(mrtc_cert_generate(&other), 0);
    for (int wrong = 0; wrong < 2; wrong++) {
        side c, s;
        new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
        new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
        set_fp(&c, sc);
        CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
        run(&c, &s, now + MRTC_SEC(300));
        CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
        CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTING);
        CHECK_EQ(last_state(&s), MRTC_DTLS_STATE_CONNECTING);
        CHECK_U64(mrtc_dtls_next_timeout(s.d), MRTC_TIME_NEVER);
        CHECK_STR(mrtc_dtls_peer_fingerprint(s.d), mrtc_cert_fingerprint(cc));
        CHECK_EQ(mrtc_dtls_send(s.d, now, (const uint8_t *)"x", 1), MRTC_ESTATE);
        CHECK_EQ(mrtc_dtls_srtp_profile(s.d), MRTC_SRTP_PROFILE_NONE);
        CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"early", 5), 0);
        pump(&c, &s);
        CHECK_EQ(s.n_data, 0);
        now += MRTC_SEC(5);
        set_fp(&s, wrong ? other : cc);
        drain_events(&s);
        if (!wrong) {
            CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
            CHECK_EQ(s.n_states, 2);
            CHECK_EQ(s.n_data, 1);
            CHECK_MEM(s.data, "early", 5);
            /* The same fingerprint again changes nothing; another one fails the transport
             * (and close_notify tells the peer). */
            set_fp(&s, cc);
            CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
            set_fp(&s, other);
        }
        pump(&c, &s);
        CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_FAILED);
        CHECK_STR(mrtc_dtls_failure(s.d), "fingerprint mismatch");
        CHECK_EQ(s.n_data, wrong ? 0 : 1);
        CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CLOSED);
        free_sides(&c, &s);
    }
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
    mrtc_cert_free(other);
}

/* A fingerprint given in the middle of the handshake (after the certificate was seen). */
static void test_fingerprint_during(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    side c, s;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
    set_fp(&s, cc);
    CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
    transfer(&c, &s, NULL); /* ClientHello */
    transfer(&s, &c, NULL); /* the server's flight: the client sees the certificate */
    CHECK_STR(mrtc_dtls_peer_fingerprint(c.d), mrtc_cert_fingerprint(sc));
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTING);
    set_fp(&c, sc);
    pump(&c, &s);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
    free_sides(&c, &s);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

/* Lost flights are retransmitted on the virtual clock: the first ClientHello, the server's
 * first flight, the client's second flight, the server's last flight. */
static void test_retransmit(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    for (int lost = 0; lost < 4; lost++) {
        side c, s;
        int drop = 100;
        now = MRTC_SEC(1000);
        mrtc_time t0 = now;
        new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
        new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
        set_fp(&c, sc);
        set_fp(&s, cc);
        CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
        /* Deliver flights until the one to lose, lose it whole. */
        for (int flight = 0; flight <= lost; flight++) {
            side *from = flight % 2 ? &s : &c, *to = flight % 2 ? &c : &s;
            transfer(from, to, flight == lost ? &drop : NULL);
        }
        CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTING);
        /* Nothing moves until a deadline. */
        pump(&c, &s);
        CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTING);
        mrtc_time dc = mrtc_dtls_next_timeout(c.d);
        CHECK(dc != MRTC_TIME_NEVER);
        CHECK(dc <= t0 + MRTC_SEC(1));
        mrtc_dtls_handle_timeout(c.d, dc - 1); /* early: nothing */
        mrtc_dtls_handle_timeout(s.d, dc - 1);
        CHECK_EQ(mrtc_dtls_poll_transmit(c.d, (uint8_t[1]){0}, 0, &(size_t){0}), false);
        run(&c, &s, now + MRTC_SEC(30));
        CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
        CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
        CHECK(now >= t0 + MRTC_SEC(1));
        CHECK(now <= t0 + MRTC_SEC(2));
        mrtc_dtls_stats sc_st, ss_st;
        mrtc_dtls_get_stats(c.d, &sc_st);
        mrtc_dtls_get_stats(s.d, &ss_st);
        CHECK(sc_st.retransmissions + ss_st.retransmissions >= 1);
        if (lost == 3) /* the last flight's sender has no timer: the client resends */
            CHECK_U64(ss_st.retransmissions, 0);
        CHECK_U64(mrtc_dtls_next_timeout(c.d), MRTC_TIME_NEVER);
        CHECK_U64(mrtc_dtls_next_timeout(s.d), MRTC_TIME_NEVER);
        uint8_t kc[56], ks[56];
        CHECK_EQ(mrtc_dtls_export_srtp_keys(c.d, kc, sizeof kc), 0);
        CHECK_EQ(mrtc_dtls_export_srtp_keys(s.d, ks, sizeof ks), 0);
        CHECK_MEM(kc, ks, sizeof kc);
        free_sides(&c, &s);
    }
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

/* Nobody answers: the ClientHello is resent at 100, 200, 400, 400 ms intervals, then the
 * handshake fails. */
static void test_handshake_timeout(void)
{
    mrtc_cert *cc = NULL;
    side c;
    mrtc_dtls_config cfg;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    mrtc_dtls_config_init(&cfg);
    cfg.initial_rto = MRTC_MSEC(100);
    cfg.max_rto = MRTC_MSEC(400);
    cfg.max_retransmits = 4;
    now = MRTC_SEC(5);
    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, &cfg);
    CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
    static const mrtc_time gaps[] = {MRTC_MSEC(100), MRTC_MSEC(200), MRTC_MSEC(400), MRTC_MSEC(400),
                                     MRTC_MSEC(400)};
    uint8_t buf[2048], first[2048];
    size_t len = 0, first_len = 0;
    CHECK(mrtc_dtls_poll_transmit(c.d, first, sizeof first, &first_len));
    for (int i = 0; i < 5; i++) {
        mrtc_time t = mrtc_dtls_next_timeout(c.d);
        CHECK_U64(t, now + gaps[i]);
        now = t;
        mrtc_dtls_handle_timeout(c.d, now);
        bool sent = mrtc_dtls_poll_transmit(c.d, buf, sizeof buf, &len);
        if (i < 4) {
            CHECK(sent);
            CHECK_EQ(len, first_len); /* the same ClientHello, a new record number */
            CHECK(memcmp(buf, first, len) != 0);
            CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTING);
        } else {
            CHECK(!sent);
        }
    }
    drain_events(&c);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_FAILED);
    CHECK_EQ(last_state(&c), MRTC_DTLS_STATE_FAILED);
    CHECK_STR(mrtc_dtls_failure(c.d), "handshake timed out");
    CHECK_U64(mrtc_dtls_next_timeout(c.d), MRTC_TIME_NEVER);
    mrtc_dtls_stats st;
    mrtc_dtls_get_stats(c.d, &st);
    CHECK_U64(st.retransmissions, 4);
    CHECK_U64(st.datagrams_sent, 5);
    mrtc_dtls_free(c.d);
    mrtc_cert_free(cc);
}

static void test_close(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    side c, s;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    connect_pair(&c, &s, cc, sc);
    mrtc_dtls_close(c.d, now);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CLOSED);
    mrtc_dtls_close(c.d, now); /* no-op */
    transfer(&c, &s, NULL);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CLOSED);
    CHECK_EQ(last_state(&s), MRTC_DTLS_STATE_CLOSED);
    CHECK_EQ(last_state(&c), MRTC_DTLS_STATE_CLOSED);
    CHECK_STR(mrtc_dtls_failure(s.d), "");
    CHECK_EQ(mrtc_dtls_send(s.d, now, (const uint8_t *)"x", 1), MRTC_ESTATE);
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"x", 1), MRTC_ESTATE);
    /* The server answered with its own close_notify, which the closed client refuses. */
    uint8_t buf[2048];
    size_t len = 0;
    CHECK(mrtc_dtls_poll_transmit(s.d, buf, sizeof buf, &len));
    CHECK_EQ(mrtc_dtls_handle_packet(c.d, now, buf, len), MRTC_ESTATE);
    free_sides(&c, &s);

    /* Closing a new endpoint sends nothing. */
    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    mrtc_dtls_close(c.d, now);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CLOSED);
    CHECK(!mrtc_dtls_poll_transmit(c.d, buf, sizeof buf, &len));
    CHECK_EQ(mrtc_dtls_start(c.d, now), MRTC_ESTATE);
    drain_events(&c);
    CHECK_EQ(c.n_states, 1);
    CHECK_EQ(c.states[0], MRTC_DTLS_STATE_CLOSED);
    mrtc_dtls_free(c.d);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

/* Garbage, truncated records and forged or replayed records never crash or change state. */
static void test_malformed(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    side c, s;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    uint8_t garbage[64];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)(i * 37 + 11);
    /* header says 40 bytes of body, 10 present */
    static const uint8_t truncated[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        40, 1,    2,    3, 4, 5, 6, 7, 8, 9, 10};
    static const uint8_t bad_type[] = {99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static const uint8_t short_hdr[] = {22, 0xfe, 0xfd, 0, 0};
    /* A handshake record whose fragment is cut (4 bytes, the header alone is 12). */
    static const uint8_t bogus_hs[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 4, 1, 0, 0, 9};
    /* Application data in epoch 0. */
    static const uint8_t plain_app[] = {23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 'h', 'i'};
    /* A well-formed record of an epoch that never comes. */
    static const uint8_t future_hs[] = {22, 0xfe, 0xfd, 0,  3, 0, 0, 0, 0, 0, 77, 0, 16, 1, 0,
                                        0,  4,    0,    50, 0, 0, 0, 0, 0, 4, 1,  2, 3,  4};

    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
    set_fp(&c, sc);
    set_fp(&s, cc);
    /* Before anything started. */
    CHECK_EQ(mrtc_dtls_handle_packet(c.d, now, future_hs, sizeof future_hs), MRTC_ESTATE);
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, garbage, sizeof garbage), MRTC_EPROTO);
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, NULL, 0), MRTC_EPROTO);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_NEW);
    CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
    transfer(&c, &s, NULL);
    /* During the handshake, to both. */
    const uint8_t *bad[] = {garbage,  truncated, bad_type, short_hdr,
                            bogus_hs, plain_app, future_hs};
    const size_t bad_len[] = {sizeof garbage,  sizeof truncated, sizeof bad_type, sizeof short_hdr,
                              sizeof bogus_hs, sizeof plain_app, sizeof future_hs};
    for (int i = 0; i < 7; i++) {
        int expect = i == 6 ? 0 : MRTC_EPROTO;
        CHECK_EQ(mrtc_dtls_handle_packet(c.d, now, bad[i], bad_len[i]), expect);
        CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, bad[i], bad_len[i]), expect);
    }
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTING);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTING);
    pump(&c, &s);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);

    /* After: the same, plus a forged application record, a truncated copy of a real one
     * and a replay of a real one. */
    for (int i = 0; i < 7; i++) {
        int expect = i == 6 ? 0 : MRTC_EPROTO;
        CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, bad[i], bad_len[i]), expect);
    }
    uint8_t rec[2048];
    size_t len = 0;
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"payload", 7), 0);
    CHECK(mrtc_dtls_poll_transmit(c.d, rec, sizeof rec, &len));
    mrtc_dtls_stats before, after;
    mrtc_dtls_get_stats(s.d, &before);
    uint8_t forged[2048];
    memcpy(forged, rec, len);
    forged[len - 1] ^= 0x55; /* the tag */
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, forged, len), 0);
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, rec, len - 3), MRTC_EPROTO);
    drain_events(&s);
    CHECK_EQ(s.n_data, 0);
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, rec, len), 0);
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, rec, len), 0); /* replay */
    drain_events(&s);
    CHECK_EQ(s.n_data, 1);
    CHECK_MEM(s.data, "payload", 7);
    mrtc_dtls_get_stats(s.d, &after);
    CHECK_U64(after.dropped - before.dropped, 3); /* forged, truncated, replayed */
    /* An oversized record: framed, but longer than any record may be. */
    static uint8_t huge[17000];
    huge[0] = 23;
    huge[1] = 0xfe;
    huge[2] = 0xfd;
    huge[4] = 1;
    huge[11] = (uint8_t)((sizeof huge - 13) >> 8);
    huge[12] = (uint8_t)(sizeof huge - 13);
    CHECK_EQ(mrtc_dtls_handle_packet(s.d, now, huge, sizeof huge), 0);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
    /* Still working both ways. */
    CHECK_EQ(mrtc_dtls_send(s.d, now, (const uint8_t *)"ok", 2), 0);
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"ok", 2), 0);
    pump(&c, &s);
    CHECK_EQ(c.n_data, 1);
    CHECK_EQ(s.n_data, 2);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
    /* A datagram longer than the caller's buffer is dropped and counted. */
    mrtc_dtls_get_stats(c.d, &before);
    CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"0123456789", 10), 0);
    CHECK(!mrtc_dtls_poll_transmit(c.d, rec, 8, &len));
    mrtc_dtls_get_stats(c.d, &after);
    CHECK_U64(after.dropped - before.dropped, 1);
    free_sides(&c, &s);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

static void test_keylog(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    side c, s;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    connect_pair(&c, &s, cc, sc);
    CHECK_EQ(c.client_random_lines, 1);
    CHECK_EQ(s.client_random_lines, 1);
    CHECK(c.keylog_lines >= 1);
    free_sides(&c, &s);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

static void test_bad_config(void)
{
    mrtc_cert *a = NULL, *b = NULL;
    mrtc_dtls_config cfg;
    mrtc_dtls *d = NULL;
    CHECK_EQ(mrtc_cert_generate(&a), 0);
    CHECK_EQ(mrtc_cert_generate(&b), 0);
    mrtc_dtls_config_init(&cfg);
    CHECK_EQ(cfg.mtu, 1200);
    CHECK_U64(cfg.initial_rto, MRTC_SEC(1));
    CHECK_U64(cfg.max_rto, MRTC_SEC(60));
    CHECK_EQ(cfg.max_retransmits, 8);
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), MRTC_EINVAL); /* no key, no certificate */
    cfg.pkey = mrtc_cert_pkey(a);
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), MRTC_EINVAL); /* no certificate */
    cfg.x509 = mrtc_cert_x509(b);
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), MRTC_EINVAL); /* not the key's certificate */
    cfg.x509 = mrtc_cert_x509(a);
    cfg.mtu = 100;
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), MRTC_EINVAL);
    cfg.mtu = 1200;
    cfg.max_rto = cfg.initial_rto - 1;
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), MRTC_EINVAL);
    cfg.max_rto = MRTC_SEC(60);
    cfg.role = (mrtc_dtls_role)7;
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), MRTC_EINVAL);
    cfg.role = MRTC_DTLS_ROLE_SERVER;
    CHECK_EQ(mrtc_dtls_new(NULL, &d), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_new(&cfg, NULL), MRTC_EINVAL);
    CHECK(d == NULL);
    CHECK_EQ(mrtc_dtls_new(&cfg, &d), 0);
    mrtc_dtls_free(d);
    mrtc_dtls_free(NULL);
    mrtc_cert_free(a);
    mrtc_cert_free(b);
}

static void hex_fp(X509 *x, const EVP_MD *md, bool lower, char *out)
{
    uint8_t buf[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    CHECK_EQ(X509_digest(x, md, buf, &n), 1);
    for (unsigned i = 0; i < n; i++)
        out += sprintf(out, lower ? "%s%02x" : "%s%02X", i ? ":" : "", buf[i]);
}

/* Malformed fingerprints are refused and change nothing; every algorithm of RFC 8122 (the
 * ones OpenSSL has) and any case are accepted. */
static void test_fingerprint_parse(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    side c, s;
    char fp[256], bad[300];
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
    new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
    X509 *sx = mrtc_cert_x509(sc);
    hex_fp(sx, EVP_sha1(), true, fp);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "SHA-1", fp), 0);

    const char *good256 = mrtc_cert_fingerprint(sc);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "md5", good256), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha256", good256), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", ""), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-384", good256), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", fp), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, NULL, good256), MRTC_EINVAL);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", NULL), MRTC_EINVAL);
    /* one byte short, one byte long, trailing colon, spaces, bad digits, single digits */
    snprintf(bad, sizeof bad, "%.92s", good256);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "%s:AB", good256);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "%s:", good256);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, " %s", good256);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "%s ", good256);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "%s", good256);
    bad[3] = 'G';
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    bad[3] = good256[3];
    bad[2] = '-';
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "%s", good256);
    for (char *p = bad; *p; p++) /* no colons at all */
        if (*p == ':')
            memmove(p, p + 1, strlen(p));
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "A:%s", good256 + 3);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);
    snprintf(bad, sizeof bad, "%s", good256);
    bad[1] = '\0';
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-256", bad), MRTC_EINVAL);

    /* The SHA-1 value set first still holds: the handshake connects. The server checks a
     * SHA-512 one in lower case. */
    hex_fp(mrtc_cert_x509(cc), EVP_sha512(), true, fp);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(s.d, now, "Sha-512", fp), 0);
    CHECK_EQ(mrtc_dtls_start(c.d, now), 0);
    pump(&c, &s);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
    CHECK_EQ(mrtc_dtls_get_state(s.d), MRTC_DTLS_STATE_CONNECTED);
    /* sha-224 and sha-384 parse too (and match). */
    hex_fp(sx, EVP_sha224(), false, fp);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-224", fp), 0);
    hex_fp(sx, EVP_sha384(), false, fp);
    CHECK_EQ(mrtc_dtls_set_remote_fingerprint(c.d, now, "sha-384", fp), 0);
    CHECK_EQ(mrtc_dtls_get_state(c.d), MRTC_DTLS_STATE_CONNECTED);
    free_sides(&c, &s);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

/* Every allocation of mrtc_dtls_new failing in turn; then every allocation of a whole
 * handshake failing in turn: errors, never crashes or leaks. */
static void test_alloc_failure(void)
{
    mrtc_cert *cc = NULL, *sc = NULL;
    mrtc_dtls_config cfg;
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    mrtc_dtls_config_init(&cfg);
    cfg.pkey = mrtc_cert_pkey(cc);
    cfg.x509 = mrtc_cert_x509(cc);
    int n, r = MRTC_ENOMEM;
    for (n = 1; n < 20; n++) {
        mrtc_dtls *d = NULL;
        mrtc_alloc_fail_after(n);
        r = mrtc_dtls_new(&cfg, &d);
        mrtc_alloc_fail_after(0);
        if (r == 0) {
            mrtc_dtls_free(d);
            break;
        }
        CHECK_EQ(r, MRTC_ENOMEM);
        CHECK(d == NULL);
    }
    CHECK_EQ(r, 0);
    CHECK(n > 1);

    int connected = 0;
    for (n = 1; n < 40; n++) {
        side c, s;
        now = MRTC_SEC(50);
        new_side(&c, MRTC_DTLS_ROLE_CLIENT, cc, NULL);
        new_side(&s, MRTC_DTLS_ROLE_SERVER, sc, NULL);
        set_fp(&c, sc);
        set_fp(&s, cc);
        mrtc_alloc_fail_after(n);
        mrtc_dtls_start(c.d, now);
        run(&c, &s, now + MRTC_SEC(600));
        mrtc_alloc_fail_after(0);
        if (mrtc_dtls_get_state(c.d) == MRTC_DTLS_STATE_CONNECTED &&
            mrtc_dtls_get_state(s.d) == MRTC_DTLS_STATE_CONNECTED) {
            connected++;
            CHECK_EQ(mrtc_dtls_send(c.d, now, (const uint8_t *)"x", 1), 0);
        }
        free_sides(&c, &s);
    }
    CHECK(connected > 0);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

/* What OpenSSL holds per established endpoint (client and server averaged), with the
 * context shared. Printed, not asserted beyond a loose bound. */
static void test_memory(void)
{
    enum { PAIRS = 16 };
    mrtc_cert *cc = NULL, *sc = NULL;
    side c[PAIRS], s[PAIRS];
    CHECK_EQ(mrtc_cert_generate(&cc), 0);
    CHECK_EQ(mrtc_cert_generate(&sc), 0);
    /* Warm up: the contexts, OpenSSL's method and error caches. */
    connect_pair(&c[0], &s[0], cc, sc);
    long before = atomic_load(&ossl_bytes);
    long live_before = mrtc_alloc_live();
    for (int i = 1; i < PAIRS; i++) {
        connect_pair(&c[i], &s[i], cc, sc);
        CHECK_EQ(mrtc_dtls_send(c[i].d, now, (const uint8_t *)"ping", 4), 0);
        CHECK_EQ(mrtc_dtls_send(s[i].d, now, (const uint8_t *)"pong", 4), 0);
        pump(&c[i], &s[i]);
        CHECK_EQ(c[i].n_data, 1);
    }
    long per = (atomic_load(&ossl_bytes) - before) / (2 * (PAIRS - 1));
    long blocks = (mrtc_alloc_live() - live_before) / (2 * (PAIRS - 1));
    printf("memory per connected endpoint: %ld bytes in OpenSSL, %ld mrtc block(s)\n", per, blocks);
    CHECK(per > 0);
    CHECK(per < 64 * 1024);
    for (int i = 0; i < PAIRS; i++)
        free_sides(&c[i], &s[i]);
    mrtc_cert_free(cc);
    mrtc_cert_free(sc);
}

int main(void)
{
    /* Before OpenSSL allocates anything. */
    CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
    RUN(test_handshake);
    RUN(test_fingerprint_mismatch_client);
    RUN(test_fingerprint_mismatch_server);
    RUN(test_fingerprint_late);
    RUN(test_fingerprint_during);
    RUN(test_retransmit);
    RUN(test_handshake_timeout);
    RUN(test_close);
    RUN(test_malformed);
    RUN(test_keylog);
    RUN(test_bad_config);
    RUN(test_fingerprint_parse);
    RUN(test_alloc_failure);
    RUN(test_memory);
    return test_finish();
}
