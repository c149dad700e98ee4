/* Tests of the ICE agent (ice/agent*.c) driven by hand: the test plays the peer, crafting
 * STUN messages with ice/stun.h and decoding what the agent sends. Covers answering
 * requests (bytes, XOR-MAPPED-ADDRESS, integrity), refusals (400/401/420, garbage), role
 * conflicts both ways, peer-reflexive candidates both ways, triggered checks, nomination on
 * both sides, the transport states (checking, connected, completed, disconnected and back,
 * failed through consent expiry and through exhausted pairs), gathering with a STUN server,
 * remote candidate handling (tcp, mDNS, duplicates), restart and close. Virtual time only. */
#include "test.h"

#include "core/util/addr.h"
#include "core/util/buf.h"
#include "core/util/rand.h"
#include "ice/agent.h"
#include "ice/stun.h"
#include "meshrtc/error.h"

#define A_UFRAG "AAAA"
#define A_PWD "aaaaaaaaaaaaaaaaaaaaaa"
#define B_UFRAG "BBBB"
#define B_PWD "bbbbbbbbbbbbbbbbbbbbbb"

static mrtc_rand_seeded rng;

static mrtc_addr ip(const char *s, uint16_t port)
{
    mrtc_addr a;
    memset(&a, 0, sizeof a);
    if (mrtc_addr_parse_ip(&a, s, port) != 0)
        fprintf(stderr, "bad test address %s\n", s);
    return a;
}

static mrtc_addr A_BASE, B_ADDR, B_ADDR2, B_ADDR3;

static mrtc_ice_agent *make_agent(bool controlling, uint64_t tiebreaker)
{
    mrtc_ice_config cfg;
    mrtc_ice_config_init(&cfg);
    mrtc_rand_seeded_init(&rng, 7);
    cfg.rand = &rng.rand;
    cfg.controlling = controlling;
    cfg.tiebreaker = tiebreaker;
    cfg.local_ufrag = A_UFRAG;
    cfg.local_pwd = A_PWD;
    cfg.name = "A";
    mrtc_ice_agent *a = mrtc_ice_agent_new(&cfg);
    CHECK(a != NULL);
    return a;
}

/* An agent with host A_BASE and the peer's credentials, no remote candidates. */
static mrtc_ice_agent *ready_agent(bool controlling, uint64_t tiebreaker)
{
    mrtc_ice_agent *a = make_agent(controlling, tiebreaker);
    CHECK_EQ(mrtc_ice_agent_add_host(a, 0, &A_BASE), 0);
    mrtc_ice_agent_gathering_done(a, 0);
    CHECK_EQ(mrtc_ice_agent_set_remote_credentials(a, 0, B_UFRAG, B_PWD), 0);
    return a;
}

static mrtc_ice_candidate remote_host(const mrtc_addr *addr, uint32_t prio, const char *fnd)
{
    mrtc_ice_candidate c;
    mrtc_ice_candidate_init(&c);
    c.addr = *addr;
    c.priority = prio;
    snprintf(c.foundation, sizeof c.foundation, "%s", fnd);
    return c;
}

static void add_remote(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *addr, uint32_t prio,
                       const char *fnd)
{
    mrtc_ice_candidate c = remote_host(addr, prio, fnd);
    CHECK_EQ(mrtc_ice_agent_add_remote_candidate(a, now, &c), 0);
}

/* Peer-side message building. role: 1 controlling, 0 controlled, -1 neither. */
static size_t make_request(uint8_t *buf, size_t cap, const uint8_t tid[12], const char *user,
                           const char *key, bool with_priority, int role, uint64_t tb,
                           bool use_cand, uint16_t unknown_attr)
{
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, cap, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, tid);
    if (user)
        mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, user, strlen(user));
    if (with_priority)
        mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, 1862270975u);
    if (role == 1)
        mrtc_stun_add_u64(&w, MRTC_STUN_ATTR_ICE_CONTROLLING, tb);
    else if (role == 0)
        mrtc_stun_add_u64(&w, MRTC_STUN_ATTR_ICE_CONTROLLED, tb);
    if (use_cand)
        mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    if (unknown_attr)
        mrtc_stun_add_u32(&w, unknown_attr, 0);
    if (key)
        mrtc_stun_add_integrity(&w, (const uint8_t *)key, strlen(key));
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0;
}

static size_t make_response(uint8_t *buf, size_t cap, const uint8_t tid[12], int code,
                            const mrtc_addr *mapped, const char *key)
{
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, cap, MRTC_STUN_BINDING,
                          code ? MRTC_STUN_ERROR : MRTC_STUN_SUCCESS, tid);
    if (code)
        mrtc_stun_add_error(&w, code, code == 487 ? "Role Conflict" : "Error");
    if (mapped)
        mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
    if (key)
        mrtc_stun_add_integrity(&w, (const uint8_t *)key, strlen(key));
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0;
}

static int send_request(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *from, uint8_t *tid,
                        bool use_cand, int role, uint64_t tb)
{
    uint8_t buf[512];
    mrtc_rand_bytes(&rng.rand, tid, 12);
    size_t n =
        make_request(buf, sizeof buf, tid, A_UFRAG ":" B_UFRAG, A_PWD, true, role, tb, use_cand, 0);
    return mrtc_ice_agent_handle_packet(a, now, &A_BASE, from, buf, n);
}

#define MAX_TX 64
typedef struct txlist {
    mrtc_transmit t[MAX_TX];
    int n;
} txlist;

static txlist tx;

/* Appends the agent's transmits to tx; returns how many were appended. */
static int drain_append(mrtc_ice_agent *a)
{
    int before = tx.n;
    mrtc_transmit extra;
    while (tx.n < MAX_TX && mrtc_ice_agent_poll_transmit(a, &tx.t[tx.n]))
        tx.n++;
    while (mrtc_ice_agent_poll_transmit(a, &extra)) {
    }
    return tx.n - before;
}

/* tx becomes exactly the agent's pending transmits. */
static int drain(mrtc_ice_agent *a)
{
    tx.n = 0;
    return drain_append(a);
}

static int count_events(mrtc_ice_agent *a, mrtc_ice_event_type type, mrtc_ice_event *last)
{
    mrtc_ice_event ev;
    int n = 0;
    while (mrtc_ice_agent_poll_event(a, &ev)) {
        if (ev.type == type) {
            n++;
            if (last)
                *last = ev;
        }
    }
    return n;
}

static bool decode(const mrtc_transmit *t, mrtc_stun_msg *m)
{
    return mrtc_stun_decode(m, t->data, t->len) == 0;
}

/* Index in tx of the first request (to `to`, if given), or -1. */
static int find_request(const mrtc_addr *to)
{
    mrtc_stun_msg m;
    for (int i = 0; i < tx.n; i++)
        if (decode(&tx.t[i], &m) && m.cls == MRTC_STUN_REQUEST &&
            (!to || mrtc_addr_eq(&tx.t[i].remote, to)))
            return i;
    return -1;
}

/* Runs the agent's timers up to `until`, answering nothing; tx collects what it sent. */
static int run_until(mrtc_ice_agent *a, mrtc_time *now, mrtc_time until)
{
    tx.n = 0;
    for (int guard = 0; guard < 100000; guard++) {
        mrtc_time t = mrtc_ice_agent_next_timeout(a);
        if (t > until)
            break;
        if (t > *now)
            *now = t;
        mrtc_ice_agent_handle_timeout(a, *now);
        drain_append(a);
    }
    *now = until;
    mrtc_ice_agent_handle_timeout(a, *now);
    drain_append(a);
    return tx.n;
}

/* Answers every request in tx with a success as the peer (mapped address = the source). */
static void answer_all(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *mapped)
{
    txlist copy = tx;
    for (int i = 0; i < copy.n; i++) {
        mrtc_stun_msg m;
        uint8_t buf[256];
        if (!decode(&copy.t[i], &m) || m.cls != MRTC_STUN_REQUEST)
            continue;
        size_t n =
            make_response(buf, sizeof buf, m.tid, 0, mapped ? mapped : &copy.t[i].local, B_PWD);
        CHECK_EQ(mrtc_ice_agent_handle_packet(a, now, &copy.t[i].local, &copy.t[i].remote, buf, n),
                 0);
    }
}

/* ---- answering requests ---- */

static void test_answer_request(void)
{
    mrtc_ice_agent *a = ready_agent(false, 10);
    uint8_t tid[12];
    drain(a);
    count_events(a, MRTC_ICE_EVENT_STATE, NULL);
    CHECK_EQ(send_request(a, 1000, &B_ADDR, tid, false, 1, 99), 0);
    drain(a);
    CHECK(tx.n >= 1);
    /* the response comes first, from the base that received the request */
    mrtc_stun_msg m;
    CHECK(decode(&tx.t[0], &m));
    CHECK_EQ(m.cls, MRTC_STUN_SUCCESS);
    CHECK_EQ(m.method, MRTC_STUN_BINDING);
    CHECK_MEM(m.tid, tid, 12);
    CHECK(m.has_xor_mapped);
    CHECK(mrtc_addr_eq(&m.xor_mapped, &B_ADDR));
    CHECK_EQ(mrtc_stun_check_integrity(&m, (const uint8_t *)A_PWD, strlen(A_PWD)), 0);
    CHECK(m.has_fingerprint);
    CHECK(mrtc_addr_eq(&tx.t[0].local, &A_BASE));
    CHECK(mrtc_addr_eq(&tx.t[0].remote, &B_ADDR));

    /* the source was unknown: a prflx remote candidate, and a triggered check to it */
    mrtc_ice_stats st;
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.remote_candidates, 1);
    CHECK_EQ(st.pairs, 1);
    int r = find_request(&B_ADDR);
    CHECK(r >= 0);
    if (r >= 0) {
        CHECK(decode(&tx.t[r], &m));
        CHECK_EQ(m.username_len, strlen(B_UFRAG ":" A_UFRAG));
        CHECK(memcmp(m.username, B_UFRAG ":" A_UFRAG, m.username_len) == 0);
        CHECK(m.has_priority);
        CHECK_EQ(m.priority, mrtc_ice_candidate_priority(110, 0xbfff, 1));
        CHECK(m.has_ice_controlled);
        CHECK_U64(m.tiebreaker, 10);
        CHECK(!m.use_candidate);
        CHECK_EQ(mrtc_stun_check_integrity(&m, (const uint8_t *)B_PWD, strlen(B_PWD)), 0);
        CHECK(m.has_fingerprint);
    }
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CHECKING);
    mrtc_ice_agent_free(a);
}

static void check_refused(mrtc_ice_agent *a, const uint8_t *buf, size_t n, int want_err,
                          int want_code)
{
    mrtc_ice_stats before, after;
    mrtc_ice_agent_get_stats(a, &before);
    mrtc_time nt = mrtc_ice_agent_next_timeout(a);
    mrtc_ice_state st = mrtc_ice_agent_state(a);
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 1000, &A_BASE, &B_ADDR, buf, n), want_err);
    drain(a);
    if (want_code) {
        CHECK_EQ(tx.n, 1);
        mrtc_stun_msg m;
        CHECK(tx.n >= 1 && decode(&tx.t[0], &m));
        CHECK_EQ(m.cls, MRTC_STUN_ERROR);
        CHECK_EQ(m.error_code, want_code);
    } else {
        CHECK_EQ(tx.n, 0);
    }
    mrtc_ice_agent_get_stats(a, &after);
    CHECK_EQ(after.remote_candidates, before.remote_candidates);
    CHECK_EQ(after.pairs, before.pairs);
    CHECK_EQ(mrtc_ice_agent_next_timeout(a), nt);
    CHECK_EQ(mrtc_ice_agent_state(a), st);
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_STATE, NULL), 0);
}

static void test_refuse_bad_requests(void)
{
    mrtc_ice_agent *a = ready_agent(false, 10);
    uint8_t buf[512], tid[12] = {1, 2, 3};
    size_t n;
    drain(a);
    count_events(a, MRTC_ICE_EVENT_STATE, NULL);

    /* wrong password: 401, nothing learnt */
    n = make_request(buf, sizeof buf, tid, A_UFRAG ":" B_UFRAG, "wrongwrongwrongwrong12", true, 1,
                     5, false, 0);
    check_refused(a, buf, n, MRTC_EAUTH, 401);
    /* wrong local ufrag */
    n = make_request(buf, sizeof buf, tid, "ZZZZ:" B_UFRAG, A_PWD, true, 1, 5, false, 0);
    check_refused(a, buf, n, MRTC_EAUTH, 401);
    /* no colon in USERNAME */
    n = make_request(buf, sizeof buf, tid, A_UFRAG, A_PWD, true, 1, 5, false, 0);
    check_refused(a, buf, n, MRTC_EAUTH, 401);
    /* no USERNAME, no MESSAGE-INTEGRITY: 400 */
    n = make_request(buf, sizeof buf, tid, NULL, NULL, true, 1, 5, false, 0);
    check_refused(a, buf, n, MRTC_EAUTH, 400);
    /* authenticated but no PRIORITY: 400 */
    n = make_request(buf, sizeof buf, tid, A_UFRAG ":" B_UFRAG, A_PWD, false, 1, 5, false, 0);
    check_refused(a, buf, n, 0, 400);
    /* unknown comprehension-required attribute: 420 listing it */
    n = make_request(buf, sizeof buf, tid, A_UFRAG ":" B_UFRAG, A_PWD, true, 1, 5, false, 0x7f31);
    check_refused(a, buf, n, 0, 420);
    mrtc_stun_msg m;
    CHECK(decode(&tx.t[0], &m));
    const mrtc_stun_attr *ua = mrtc_stun_find(&m, MRTC_STUN_ATTR_UNKNOWN_ATTRIBUTES);
    CHECK(ua != NULL && ua->len >= 2 && mrtc_load_u16(ua->value) == 0x7f31);
    CHECK_EQ(mrtc_stun_check_integrity(&m, (const uint8_t *)A_PWD, strlen(A_PWD)), 0);

    mrtc_ice_stats st;
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.stun_unauthorized, 4);
    mrtc_ice_agent_free(a);
}

static void test_garbage(void)
{
    mrtc_ice_agent *a = ready_agent(true, 10);
    add_remote(a, 0, &B_ADDR, 2130706431u, "b1");
    drain(a);
    count_events(a, MRTC_ICE_EVENT_STATE, NULL);

    uint8_t good[512], tid[12] = {9};
    size_t n =
        make_request(good, sizeof good, tid, A_UFRAG ":" B_UFRAG, A_PWD, true, 0, 5, false, 0);
    uint8_t bad[512];
    const uint8_t zero = 0;

    check_refused(a, &zero, 0, MRTC_EPROTO, 0); /* empty */
    check_refused(a, &zero, 1, MRTC_EPROTO, 0); /* one byte */
    check_refused(a, good, 19, MRTC_EPROTO, 0); /* shorter than a header */
    check_refused(a, good, 30, MRTC_EPROTO, 0); /* truncated */
    check_refused(a, good, n - 4, MRTC_EPROTO, 0);
    memcpy(bad, good, n);
    bad[n - 1] ^= 1; /* FINGERPRINT mismatch */
    check_refused(a, bad, n, MRTC_EPROTO, 0);
    memcpy(bad, good, n);
    bad[3] += 4; /* length field disagrees with the datagram */
    check_refused(a, bad, n, MRTC_EPROTO, 0);
    memcpy(bad, good, n);
    bad[4] = 0; /* no magic cookie */
    check_refused(a, bad, n, MRTC_EPROTO, 0);
    for (int i = 0; i < 200; i++) {
        size_t len = 1 + mrtc_rand_below(&rng.rand, sizeof bad - 1);
        mrtc_rand_bytes(&rng.rand, bad, len);
        bad[0] &= 0x03; /* claims to be STUN */
        check_refused(a, bad, len, MRTC_EPROTO, 0);
    }
    /* oversized */
    size_t big_len = 70000;
    uint8_t *big = mrtc_calloc(1, big_len);
    memcpy(big, good, n);
    check_refused(a, big, big_len, MRTC_EPROTO, 0);
    mrtc_free(big);

    mrtc_ice_stats st;
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.stun_malformed, 209);

    /* not STUN at all: handed back */
    const uint8_t dtls[] = {22, 254, 253, 0, 0};
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 1000, &A_BASE, &B_ADDR, dtls, sizeof dtls),
             MRTC_ICE_NOT_STUN);
    mrtc_ice_agent_free(a);
}

/* ---- role conflicts ---- */

static void test_role_conflict_incoming(void)
{
    uint8_t tid[12];
    mrtc_stun_msg m;
    mrtc_ice_event ev;

    /* controlling with the larger tie-breaker: 487, keeps its role */
    mrtc_ice_agent *a = ready_agent(true, 1000);
    drain(a);
    CHECK_EQ(send_request(a, 10, &B_ADDR, tid, false, 1, 999), 0);
    drain(a);
    CHECK(tx.n >= 1 && decode(&tx.t[0], &m));
    CHECK_EQ(m.error_code, 487);
    CHECK(m.has_integrity);
    CHECK(mrtc_ice_agent_is_controlling(a));
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_ROLE, NULL), 0);
    /* ... with the smaller one: becomes controlled and answers with success */
    CHECK_EQ(send_request(a, 20, &B_ADDR, tid, false, 1, 1001), 0);
    drain(a);
    CHECK(tx.n >= 1 && decode(&tx.t[0], &m));
    CHECK_EQ(m.cls, MRTC_STUN_SUCCESS);
    CHECK(!mrtc_ice_agent_is_controlling(a));
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_ROLE, &ev), 1);
    CHECK(!ev.role.controlling);
    mrtc_ice_agent_free(a);

    /* controlled, peer also controlled with a larger tie-breaker: 487 */
    a = ready_agent(false, 1000);
    drain(a);
    CHECK_EQ(send_request(a, 10, &B_ADDR, tid, false, 0, 1001), 0);
    drain(a);
    CHECK(tx.n >= 1 && decode(&tx.t[0], &m));
    CHECK_EQ(m.error_code, 487);
    CHECK(!mrtc_ice_agent_is_controlling(a));
    /* ... with a smaller one: we become controlling */
    CHECK_EQ(send_request(a, 20, &B_ADDR, tid, false, 0, 999), 0);
    drain(a);
    CHECK(tx.n >= 1 && decode(&tx.t[0], &m));
    CHECK_EQ(m.cls, MRTC_STUN_SUCCESS);
    CHECK(mrtc_ice_agent_is_controlling(a));
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_ROLE, &ev), 1);
    CHECK(ev.role.controlling);
    mrtc_ice_agent_free(a);
}

static void role_conflict_response(bool controlling)
{
    mrtc_ice_agent *a = ready_agent(controlling, 1000);
    mrtc_time now = 0;
    mrtc_stun_msg m;
    uint8_t buf[256];
    add_remote(a, now, &B_ADDR, 2130706431u, "b1");
    drain(a);
    int r = find_request(&B_ADDR);
    CHECK(r >= 0);
    if (r < 0) {
        mrtc_ice_agent_free(a);
        return;
    }
    decode(&tx.t[r], &m);
    CHECK(controlling ? m.has_ice_controlling : m.has_ice_controlled);
    size_t n = make_response(buf, sizeof buf, m.tid, 487, NULL, B_PWD);
    now += 5000;
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, now, &A_BASE, &B_ADDR, buf, n), 0);
    CHECK_EQ(mrtc_ice_agent_is_controlling(a), !controlling);
    mrtc_ice_event ev;
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_ROLE, &ev), 1);
    CHECK_EQ(ev.role.controlling, !controlling);
    /* the pair is checked again (triggered) with the new role, after Ta */
    run_until(a, &now, MRTC_MSEC(60));
    r = find_request(&B_ADDR);
    CHECK(r >= 0);
    if (r >= 0) {
        decode(&tx.t[r], &m);
        CHECK(controlling ? m.has_ice_controlled : m.has_ice_controlling);
    }
    /* a 487 without MESSAGE-INTEGRITY is not believed */
    if (r >= 0) {
        n = make_response(buf, sizeof buf, m.tid, 487, NULL, NULL);
        CHECK_EQ(mrtc_ice_agent_handle_packet(a, now, &A_BASE, &B_ADDR, buf, n), MRTC_EAUTH);
        CHECK_EQ(mrtc_ice_agent_is_controlling(a), !controlling);
    }
    mrtc_ice_agent_free(a);
}

static void test_role_conflict_response(void)
{
    role_conflict_response(true);
    role_conflict_response(false);
}

/* ---- checks, prflx, triggered, nomination ---- */

static void test_prflx_local_and_nomination(void)
{
    mrtc_ice_agent *a = ready_agent(true, 1000);
    mrtc_time now = 0;
    mrtc_stun_msg m;
    mrtc_ice_event ev;
    mrtc_addr nat = ip("203.0.113.5", 7000);
    add_remote(a, now, &B_ADDR, 2130706431u, "b1");
    drain(a);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CHECKING);
    CHECK_EQ(tx.n, 1);
    /* the peer sees us at a NAT address: a local prflx candidate is learnt */
    now = MRTC_MSEC(20);
    answer_all(a, now, &nat);
    mrtc_ice_stats st;
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.local_candidates, 2);
    /* the only pair succeeded with nothing better pending: nominated at once */
    drain(a);
    int r = find_request(&B_ADDR);
    CHECK(r >= 0);
    CHECK(r >= 0 && decode(&tx.t[r], &m) && m.use_candidate && m.has_ice_controlling);
    CHECK(!mrtc_ice_agent_selected_pair(a, NULL, NULL));
    now = MRTC_MSEC(40);
    answer_all(a, now, &nat);
    mrtc_addr l, rr;
    CHECK(mrtc_ice_agent_selected_pair(a, &l, &rr));
    CHECK(mrtc_addr_eq(&l, &A_BASE));
    CHECK(mrtc_addr_eq(&rr, &B_ADDR));
    mrtc_ice_pair_info info;
    CHECK(mrtc_ice_agent_selected_pair_info(a, &info));
    CHECK_EQ(info.local_candidate.type, MRTC_ICE_CAND_PRFLX);
    CHECK(mrtc_addr_eq(&info.local_candidate.addr, &nat));
    CHECK(info.nominated);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_SELECTED_PAIR, &ev), 1);
    CHECK(ev.selected.exists);
    /* completed once the peer's end-of-candidates is known (ours is) */
    mrtc_ice_agent_remote_end_of_candidates(a, now);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_COMPLETED);
    mrtc_ice_agent_free(a);
}

static void test_response_checks(void)
{
    /* A response with a bad MESSAGE-INTEGRITY changes nothing; one from another address
     * than the check went to fails the pair (section 7.2.5.2.1). */
    mrtc_ice_agent *a = ready_agent(true, 1000);
    mrtc_time now = 0;
    mrtc_stun_msg m;
    uint8_t buf[256];
    add_remote(a, now, &B_ADDR, 2130706431u, "b1");
    drain(a);
    CHECK(tx.n == 1 && decode(&tx.t[0], &m));
    size_t n = make_response(buf, sizeof buf, m.tid, 0, &A_BASE, "not-the-peer-password!");
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 10, &A_BASE, &B_ADDR, buf, n), MRTC_EAUTH);
    CHECK_EQ(drain(a), 0);
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_SELECTED_PAIR, NULL), 0);
    n = make_response(buf, sizeof buf, m.tid, 0, &A_BASE, B_PWD);
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 20, &A_BASE, &B_ADDR2, buf, n), 0);
    drain(a);
    CHECK_EQ(find_request(NULL), -1); /* no nomination: the pair failed */
    /* the right response now is too late: the transaction is over */
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 30, &A_BASE, &B_ADDR, buf, n), 0);
    drain(a);
    CHECK_EQ(find_request(NULL), -1);
    mrtc_ice_stats st;
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.stun_unauthorized, 1);
    CHECK_EQ(st.stun_dropped, 1);
    /* a triggered check revives it when the peer checks it */
    uint8_t tid[12];
    CHECK_EQ(send_request(a, MRTC_MSEC(100), &B_ADDR, tid, false, 0, 5), 0);
    drain(a);
    CHECK(find_request(&B_ADDR) >= 0);
    mrtc_ice_agent_free(a);
}

static void test_triggered_first(void)
{
    mrtc_ice_agent *a = ready_agent(false, 10);
    mrtc_time now = 0;
    uint8_t tid[12];
    add_remote(a, now, &B_ADDR, 2130706431u, "f1");
    add_remote(a, now, &B_ADDR2, 2130706430u, "f2");
    add_remote(a, now, &B_ADDR3, 2130706429u, "f3");
    /* the first ordinary check goes out at once, to the best pair */
    drain(a);
    CHECK_EQ(tx.n, 1);
    CHECK(tx.n == 1 && mrtc_addr_eq(&tx.t[0].remote, &B_ADDR));
    /* a request from the worst candidate arrives before the next Ta tick */
    now = MRTC_MSEC(10);
    CHECK_EQ(send_request(a, now, &B_ADDR3, tid, false, 1, 99), 0);
    drain(a);
    CHECK_EQ(tx.n, 1); /* only the response: Ta has not elapsed */
    /* next tick: the triggered check, not the ordinary one to B_ADDR2 */
    run_until(a, &now, MRTC_MSEC(50));
    CHECK_EQ(tx.n, 1);
    CHECK(tx.n == 1 && mrtc_addr_eq(&tx.t[0].remote, &B_ADDR3));
    run_until(a, &now, MRTC_MSEC(100));
    CHECK(find_request(&B_ADDR2) >= 0);
    mrtc_ice_agent_free(a);
}

static void test_triggered_in_progress(void)
{
    /* A request on a pair whose check is outstanding: the check is sent again at the next
     * Ta tick as a new transaction, not at its next retransmission; a late answer to the
     * first transaction still counts (section 7.3.1.4). */
    mrtc_ice_agent *a = ready_agent(false, 10);
    mrtc_time now = 0;
    uint8_t tid[12];
    mrtc_stun_msg first, second;
    add_remote(a, now, &B_ADDR, 2130706431u, "f1");
    drain(a);
    CHECK(tx.n == 1 && decode(&tx.t[0], &first));
    txlist first_tx = tx;
    now = MRTC_MSEC(10);
    CHECK_EQ(send_request(a, now, &B_ADDR, tid, true, 1, 99), 0);
    run_until(a, &now, MRTC_MSEC(60));
    int r = find_request(&B_ADDR);
    CHECK(r >= 0);
    CHECK(r >= 0 && decode(&tx.t[r], &second));
    CHECK(r >= 0 && memcmp(first.tid, second.tid, 12) != 0);
    /* the first transaction is not retransmitted any more */
    run_until(a, &now, MRTC_MSEC(400));
    CHECK_EQ(find_request(&B_ADDR), -1);
    tx = first_tx;
    answer_all(a, now, NULL);
    CHECK(mrtc_ice_agent_selected_pair(a, NULL, NULL)); /* nominated, and now valid */
    mrtc_ice_agent_free(a);
}

static void test_nomination_delay(void)
{
    /* controlling: a low pair succeeds while a better one is pending: nominated only after
     * nomination_delay */
    mrtc_ice_agent *a = ready_agent(true, 1000);
    mrtc_time now = 0;
    mrtc_stun_msg m;
    add_remote(a, now, &B_ADDR, 2130706431u, "f1"); /* best: never answers */
    add_remote(a, now, &B_ADDR2, 2130706000u, "f2");
    drain(a);
    run_until(a, &now, MRTC_MSEC(50));
    int r = find_request(&B_ADDR2);
    CHECK(r >= 0);
    if (r < 0) {
        mrtc_ice_agent_free(a);
        return;
    }
    txlist one = {.n = 1};
    one.t[0] = tx.t[r];
    tx = one;
    now = MRTC_MSEC(60);
    answer_all(a, now, NULL);
    drain(a);
    CHECK_EQ(find_request(NULL), -1); /* no nomination yet */
    int nominations = 0;
    mrtc_time nominated_at = 0;
    for (int i = 0; i < 100 && !nominations; i++) {
        now = mrtc_ice_agent_next_timeout(a);
        mrtc_ice_agent_handle_timeout(a, now);
        drain(a);
        for (int k = 0; k < tx.n; k++)
            if (decode(&tx.t[k], &m) && m.use_candidate) {
                nominations++;
                nominated_at = now;
                CHECK(mrtc_addr_eq(&tx.t[k].remote, &B_ADDR2));
            }
    }
    CHECK_EQ(nominations, 1);
    CHECK_U64(nominated_at, MRTC_MSEC(60) + MRTC_MSEC(250));
    mrtc_ice_agent_free(a);
}

/* A controlled agent connected to the peer at B_ADDR at time *now. */
static mrtc_ice_agent *connected_controlled(mrtc_time *now)
{
    mrtc_ice_agent *a = ready_agent(false, 10);
    uint8_t tid[12];
    *now = 0;
    add_remote(a, *now, &B_ADDR, 2130706431u, "b1");
    drain(a);
    CHECK_EQ(tx.n, 1);
    txlist check = tx;
    /* the peer nominates before our own check succeeded */
    *now = MRTC_MSEC(10);
    CHECK_EQ(send_request(a, *now, &B_ADDR, tid, true, 1, 99), 0);
    CHECK(!mrtc_ice_agent_selected_pair(a, NULL, NULL));
    drain(a);
    tx = check;
    *now = MRTC_MSEC(20);
    answer_all(a, *now, NULL);
    CHECK(mrtc_ice_agent_selected_pair(a, NULL, NULL));
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    return a;
}

static void test_controlled_nomination(void)
{
    mrtc_time now;
    mrtc_ice_event ev;
    mrtc_ice_agent *a = connected_controlled(&now);
    mrtc_ice_pair_info info;
    CHECK(mrtc_ice_agent_selected_pair_info(a, &info));
    CHECK(info.nominated);
    CHECK_EQ(info.local_candidate.type, MRTC_ICE_CAND_HOST);
    CHECK_EQ(info.remote_candidate.type, MRTC_ICE_CAND_HOST);
    /* states in order */
    mrtc_ice_state seen[8];
    int ns = 0;
    while (mrtc_ice_agent_poll_event(a, &ev))
        if (ev.type == MRTC_ICE_EVENT_STATE && ns < 8)
            seen[ns++] = ev.state.new_state;
    CHECK_EQ(ns, 2);
    CHECK_EQ(seen[0], MRTC_ICE_STATE_CHECKING);
    CHECK_EQ(seen[1], MRTC_ICE_STATE_CONNECTED);
    mrtc_ice_agent_remote_end_of_candidates(a, now);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_COMPLETED);
    mrtc_ice_agent_free(a);
}

/* ---- liveness and consent ---- */

static void test_disconnected_recovery_and_consent_expiry(void)
{
    mrtc_time now;
    mrtc_ice_event ev;
    mrtc_ice_agent *a = connected_controlled(&now);
    const mrtc_time t0 = now; /* selection: last packet and last consent */
    count_events(a, MRTC_ICE_EVENT_STATE, NULL);

    /* half the disconnected timeout in silence: a consent probe goes out */
    run_until(a, &now, t0 + MRTC_MSEC(2500) - 1);
    CHECK_EQ(find_request(&B_ADDR), -1);
    run_until(a, &now, t0 + MRTC_MSEC(2500));
    CHECK(find_request(&B_ADDR) >= 0);
    /* the silence goes on: probes every 500 ms, so one lost probe is not "disconnected" */
    CHECK_EQ(run_until(a, &now, t0 + MRTC_MSEC(3000) - 1), 0);
    run_until(a, &now, t0 + MRTC_MSEC(3000));
    CHECK(find_request(&B_ADDR) >= 0);
    CHECK_EQ(run_until(a, &now, t0 + MRTC_MSEC(3500) - 1), 0);
    run_until(a, &now, t0 + MRTC_MSEC(3500));
    CHECK(find_request(&B_ADDR) >= 0);
    run_until(a, &now, t0 + MRTC_SEC(5) - 1);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    run_until(a, &now, t0 + MRTC_SEC(5));
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_DISCONNECTED);
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_STATE, &ev), 1);
    CHECK_EQ(ev.state.old_state, MRTC_ICE_STATE_CONNECTED);
    CHECK_EQ(ev.state.new_state, MRTC_ICE_STATE_DISCONNECTED);

    /* data on the pair: connected again */
    const uint8_t rtp[] = {0x80, 0x60, 0, 1};
    now = t0 + MRTC_SEC(6);
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, now, &A_BASE, &B_ADDR, rtp, sizeof rtp),
             MRTC_ICE_NOT_STUN);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    /* data from elsewhere does not count */
    run_until(a, &now, t0 + MRTC_SEC(11));
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_DISCONNECTED);
    mrtc_ice_agent_handle_packet(a, now, &A_BASE, &B_ADDR2, rtp, sizeof rtp);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_DISCONNECTED);
    mrtc_ice_agent_note_received(a, now, &A_BASE, &B_ADDR);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);

    /* data flows, but consent is never answered: failed 30 s after the last consent */
    int consent_requests = 0;
    for (mrtc_time t = now + MRTC_SEC(1); t < t0 + MRTC_SEC(30); t += MRTC_SEC(1)) {
        consent_requests += run_until(a, &now, t);
        mrtc_ice_agent_note_received(a, now, &A_BASE, &B_ADDR);
    }
    CHECK(consent_requests >= 3); /* 19 s at 4..6 s intervals (RFC 7675 randomisation) */
    run_until(a, &now, t0 + MRTC_SEC(30) - 1);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    count_events(a, MRTC_ICE_EVENT_STATE, NULL);
    run_until(a, &now, t0 + MRTC_SEC(30));
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_FAILED);
    CHECK(!mrtc_ice_agent_selected_pair(a, NULL, NULL));
    /* nothing more is sent on the pair */
    CHECK_EQ(run_until(a, &now, t0 + MRTC_SEC(60)), 0);
    mrtc_ice_agent_free(a);
}

static void test_consent_refresh(void)
{
    mrtc_time now;
    mrtc_ice_agent *a = connected_controlled(&now);
    const mrtc_time t0 = now;
    /* answer every consent request for a minute: never failed, never disconnected */
    for (mrtc_time t = t0 + MRTC_MSEC(100); t < t0 + MRTC_SEC(60); t += MRTC_MSEC(100)) {
        run_until(a, &now, t);
        answer_all(a, now, NULL);
    }
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    mrtc_ice_stats st;
    mrtc_ice_agent_get_stats(a, &st);
    /* randomised 4..6 s (plus liveness probes when nothing else arrives) */
    CHECK(st.consent_requests_sent >= 10 && st.consent_requests_sent <= 30);
    mrtc_ice_agent_free(a);
}

static void test_failed_after_all_pairs_fail(void)
{
    mrtc_ice_agent *a = ready_agent(false, 10);
    mrtc_time now = 0;
    add_remote(a, now, &B_ADDR, 2130706431u, "b1");
    drain(a);
    CHECK_EQ(tx.n, 1); /* first check at 0 */
    /* retransmissions: 0, 0.5, 1.5, 3.1, 4.7, 6.3, 7.9; failure at 9.5 s */
    int sent = 1 + run_until(a, &now, MRTC_MSEC(9500) - 1);
    CHECK_EQ(sent, 7);
    run_until(a, &now, MRTC_MSEC(9500));
    /* the pair failed, but the peer may still trickle candidates: checking */
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CHECKING);
    count_events(a, MRTC_ICE_EVENT_STATE, NULL);
    mrtc_ice_agent_remote_end_of_candidates(a, now);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_FAILED);
    mrtc_ice_event ev;
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_STATE, &ev), 1);
    CHECK_EQ(ev.state.old_state, MRTC_ICE_STATE_CHECKING);
    mrtc_ice_agent_free(a);
}

/* ---- gathering ---- */

static void test_gathering(void)
{
    mrtc_ice_agent *a = make_agent(true, 1);
    mrtc_ice_event ev;
    mrtc_addr stun = ip("198.51.100.1", 3478), mapped = ip("203.0.113.9", 40000);
    mrtc_addr v6 = ip("2001:db8::1", 5002), lo = ip("127.0.0.1", 5003);
    mrtc_time now = 0;

    CHECK_EQ(mrtc_ice_agent_add_stun_server(a, now, &stun), 0);
    CHECK_EQ(mrtc_ice_agent_add_stun_server(a, now, &stun), MRTC_EEXIST);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &A_BASE), 0);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &A_BASE), MRTC_EEXIST);
    mrtc_addr bad = ip("0.0.0.0", 5000);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &bad), MRTC_EINVAL);
    bad = ip("192.0.2.1", 0);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &bad), MRTC_EINVAL);
    bad = ip("::ffff:192.0.2.1", 5000);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &bad), MRTC_EINVAL);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &v6), 0);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &lo), 0);

    mrtc_ice_candidate cands[4];
    int nc = 0, ngs = 0;
    while (mrtc_ice_agent_poll_event(a, &ev)) {
        if (ev.type == MRTC_ICE_EVENT_LOCAL_CANDIDATE && nc < 4)
            cands[nc++] = ev.candidate;
        if (ev.type == MRTC_ICE_EVENT_GATHERING_STATE) {
            ngs++;
            CHECK_EQ(ev.gathering.new_state, MRTC_ICE_GATHERING_GATHERING);
        }
    }
    CHECK_EQ(ngs, 1);
    CHECK_EQ(nc, 3);
    CHECK_EQ(cands[0].type, MRTC_ICE_CAND_HOST);
    CHECK_EQ(cands[0].priority, mrtc_ice_candidate_priority(126, 0xbfff, 1));
    CHECK_EQ(cands[1].priority, mrtc_ice_candidate_priority(126, 0xffff, 1)); /* IPv6 first */
    CHECK_EQ(cands[2].priority, mrtc_ice_candidate_priority(126, 0xbffe, 1));
    CHECK_STR(cands[0].ufrag, A_UFRAG);
    CHECK(strcmp(cands[0].foundation, cands[2].foundation) != 0);

    /* the Binding request to the STUN server went from the IPv4 host (not loopback) */
    drain(a);
    CHECK_EQ(tx.n, 1);
    mrtc_stun_msg m;
    CHECK(decode(&tx.t[0], &m));
    CHECK_EQ(m.cls, MRTC_STUN_REQUEST);
    CHECK(mrtc_addr_eq(&tx.t[0].local, &A_BASE));
    CHECK(mrtc_addr_eq(&tx.t[0].remote, &stun));

    mrtc_ice_agent_gathering_done(a, now);
    CHECK_EQ(mrtc_ice_agent_gathering_state(a), MRTC_ICE_GATHERING_GATHERING); /* waits */
    uint8_t buf[128];
    size_t n = make_response(buf, sizeof buf, m.tid, 0, &mapped, NULL);
    /* a response from the wrong address is dropped */
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 30, &A_BASE, &B_ADDR, buf, n), 0);
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_LOCAL_CANDIDATE, NULL), 0);
    CHECK_EQ(mrtc_ice_agent_handle_packet(a, 40, &A_BASE, &stun, buf, n), 0);
    CHECK_EQ(mrtc_ice_agent_gathering_state(a), MRTC_ICE_GATHERING_COMPLETE);
    int ncand = 0, ncomplete = 0;
    while (mrtc_ice_agent_poll_event(a, &ev)) {
        if (ev.type == MRTC_ICE_EVENT_LOCAL_CANDIDATE) {
            ncand++;
            CHECK_EQ(ev.candidate.type, MRTC_ICE_CAND_SRFLX);
            CHECK(mrtc_addr_eq(&ev.candidate.addr, &mapped));
            CHECK(ev.candidate.has_related);
            CHECK(mrtc_addr_eq(&ev.candidate.related, &A_BASE));
            CHECK_EQ(ev.candidate.priority, mrtc_ice_candidate_priority(100, 0xbfff, 1));
        }
        if (ev.type == MRTC_ICE_EVENT_GATHERING_STATE) {
            ncomplete++;
            CHECK_EQ(ev.gathering.new_state, MRTC_ICE_GATHERING_COMPLETE);
        }
    }
    CHECK_EQ(ncand, 1);
    CHECK_EQ(ncomplete, 1);
    CHECK_EQ(mrtc_ice_agent_add_stun_server(a, now, &stun), MRTC_ESTATE);
    mrtc_ice_agent_free(a);
}

static void test_stun_server_silent(void)
{
    mrtc_ice_agent *a = make_agent(true, 1);
    mrtc_addr stun = ip("198.51.100.1", 3478);
    mrtc_time now = 0;
    CHECK_EQ(mrtc_ice_agent_add_stun_server(a, now, &stun), 0);
    CHECK_EQ(mrtc_ice_agent_add_host(a, now, &A_BASE), 0);
    mrtc_ice_agent_gathering_done(a, now);
    run_until(a, &now, MRTC_MSEC(9499));
    CHECK_EQ(mrtc_ice_agent_gathering_state(a), MRTC_ICE_GATHERING_GATHERING);
    run_until(a, &now, MRTC_MSEC(9500));
    CHECK_EQ(mrtc_ice_agent_gathering_state(a), MRTC_ICE_GATHERING_COMPLETE);
    mrtc_ice_agent_free(a);
}

/* ---- remote candidates ---- */

static void test_remote_candidates(void)
{
    mrtc_ice_agent *a = ready_agent(true, 1);
    mrtc_ice_candidate c;
    mrtc_ice_stats st;
    mrtc_time now = 0;

    CHECK_EQ(mrtc_ice_candidate_parse(&c,
                                      "candidate:1 1 tcp 1518280447 192.0.2.2 9 typ host "
                                      "tcptype active",
                                      NULL),
             0);
    CHECK_EQ(mrtc_ice_agent_add_remote_candidate(a, now, &c), MRTC_ENOTSUP);
    CHECK_EQ(
        mrtc_ice_candidate_parse(&c, "candidate:1 2 udp 2130706430 192.0.2.2 6001 typ host", NULL),
        0);
    CHECK_EQ(mrtc_ice_agent_add_remote_candidate(a, now, &c), MRTC_ENOTSUP);
    /* a candidate of another generation */
    CHECK_EQ(mrtc_ice_candidate_parse(&c,
                                      "candidate:1 1 udp 2130706431 192.0.2.2 6000 typ host "
                                      "ufrag OLDX",
                                      NULL),
             0);
    CHECK_EQ(mrtc_ice_agent_add_remote_candidate(a, now, &c), MRTC_ESTATE);
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.remote_candidates, 0);

    /* mDNS: kept unresolved, paired once resolved */
    CHECK_EQ(mrtc_ice_candidate_parse(&c,
                                      "candidate:2 1 udp 2122260223 "
                                      "1f0e2d3c-aaaa-bbbb-cccc-0123456789ab.local 6000 typ host",
                                      NULL),
             0);
    CHECK_EQ(mrtc_ice_agent_add_remote_candidate(a, now, &c), 0);
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.remote_candidates, 1);
    CHECK_EQ(st.pairs, 0);
    mrtc_addr res = ip("192.0.2.2", 1);
    CHECK_EQ(mrtc_ice_agent_resolve_remote(a, now, "nope.local", &res), MRTC_ENOTFOUND);
    CHECK_EQ(
        mrtc_ice_agent_resolve_remote(a, now, "1F0E2D3C-aaaa-bbbb-cccc-0123456789ab.local", &res),
        1);
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.pairs, 1);
    drain(a);
    CHECK(find_request(&B_ADDR) >= 0); /* port kept from the candidate: 6000 */

    /* duplicates are ignored; other families are not paired with IPv4 */
    add_remote(a, now, &B_ADDR, 1, "dup");
    mrtc_addr v6 = ip("2001:db8::2", 6000);
    add_remote(a, now, &v6, 5, "v6");
    mrtc_ice_agent_get_stats(a, &st);
    CHECK_EQ(st.remote_candidates, 2);
    CHECK_EQ(st.pairs, 1);

    /* an unresolvable name is dropped; with end-of-candidates the agent can then fail */
    CHECK_EQ(mrtc_ice_candidate_parse(&c, "candidate:3 1 udp 1 gone.local 7 typ host", NULL), 0);
    CHECK_EQ(mrtc_ice_agent_add_remote_candidate(a, now, &c), 0);
    CHECK_EQ(mrtc_ice_agent_resolve_remote(a, now, "gone.local", NULL), 1);
    mrtc_ice_agent_free(a);
}

static void test_restart_and_close(void)
{
    mrtc_time now;
    mrtc_ice_event ev;
    mrtc_ice_agent *a = connected_controlled(&now);
    while (mrtc_ice_agent_poll_event(a, &ev)) {
    }
    char old_ufrag[16];
    snprintf(old_ufrag, sizeof old_ufrag, "%s", mrtc_ice_agent_local_ufrag(a));
    CHECK_EQ(mrtc_ice_agent_restart(a, now), 0);
    CHECK(strcmp(old_ufrag, mrtc_ice_agent_local_ufrag(a)) != 0);
    CHECK(strlen(mrtc_ice_agent_local_pwd(a)) >= 22);
    /* the old pair stays usable */
    CHECK(mrtc_ice_agent_selected_pair(a, NULL, NULL));
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CONNECTED);
    int ncand = 0;
    mrtc_ice_gathering_state g[4];
    int ng = 0;
    while (mrtc_ice_agent_poll_event(a, &ev)) {
        if (ev.type == MRTC_ICE_EVENT_LOCAL_CANDIDATE) {
            ncand++;
            CHECK_STR(ev.candidate.ufrag, mrtc_ice_agent_local_ufrag(a));
        }
        if (ev.type == MRTC_ICE_EVENT_GATHERING_STATE && ng < 4)
            g[ng++] = ev.gathering.new_state;
    }
    CHECK_EQ(ncand, 1);
    CHECK_EQ(ng, 2);
    CHECK_EQ(g[0], MRTC_ICE_GATHERING_GATHERING);
    CHECK_EQ(g[1], MRTC_ICE_GATHERING_COMPLETE);
    /* requests with the old credentials are still answered (consent on the old pair) */
    uint8_t tid[12];
    CHECK_EQ(send_request(a, now + 1, &B_ADDR, tid, false, 1, 99), 0);
    drain(a);
    mrtc_stun_msg m;
    CHECK(tx.n >= 1 && decode(&tx.t[0], &m) && m.cls == MRTC_STUN_SUCCESS);

    mrtc_ice_agent_close(a);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_CLOSED);
    CHECK_EQ(count_events(a, MRTC_ICE_EVENT_STATE, &ev), 1);
    CHECK_EQ(ev.state.new_state, MRTC_ICE_STATE_CLOSED);
    CHECK_U64(mrtc_ice_agent_next_timeout(a), MRTC_TIME_NEVER);
    CHECK_EQ(send_request(a, now + 2, &B_ADDR, tid, false, 1, 99), MRTC_ECLOSED);
    CHECK_EQ(drain(a), 0);
    CHECK(!mrtc_ice_agent_selected_pair(a, NULL, NULL));
    mrtc_ice_agent_close(a);
    mrtc_ice_agent_free(a);
    mrtc_ice_agent_free(NULL);
}

static void test_config(void)
{
    mrtc_ice_config cfg;
    mrtc_ice_config_init(&cfg);
    CHECK_U64(cfg.ta, MRTC_MSEC(50));
    CHECK_U64(cfg.disconnected_timeout, MRTC_SEC(5));
    CHECK_U64(cfg.failed_timeout, MRTC_SEC(30));
    CHECK_U64(cfg.consent_interval, MRTC_SEC(5));
    cfg.local_ufrag = "ab"; /* too short */
    CHECK(mrtc_ice_agent_new(&cfg) == NULL);
    cfg.local_ufrag = "abcd";
    cfg.local_pwd = "short";
    CHECK(mrtc_ice_agent_new(&cfg) == NULL);
    cfg.local_pwd = NULL;
    mrtc_rand_seeded_init(&rng, 1);
    cfg.rand = &rng.rand;
    mrtc_ice_agent *a = mrtc_ice_agent_new(&cfg);
    CHECK(a != NULL);
    CHECK_STR(mrtc_ice_agent_local_ufrag(a), "abcd");
    CHECK_EQ(strlen(mrtc_ice_agent_local_pwd(a)), 24);
    CHECK_EQ(mrtc_ice_agent_state(a), MRTC_ICE_STATE_NEW);
    CHECK_EQ(mrtc_ice_agent_set_remote_credentials(a, 0, "x y", "pwd"), MRTC_EINVAL);
    CHECK_STR(mrtc_ice_state_name(MRTC_ICE_STATE_DISCONNECTED), "disconnected");
    CHECK_STR(mrtc_ice_gathering_state_name(MRTC_ICE_GATHERING_COMPLETE), "complete");
    mrtc_ice_agent_free(a);
}

int main(void)
{
    A_BASE = ip("192.0.2.1", 5000);
    B_ADDR = ip("192.0.2.2", 6000);
    B_ADDR2 = ip("192.0.2.3", 6000);
    B_ADDR3 = ip("192.0.2.4", 6000);
    RUN(test_config);
    RUN(test_answer_request);
    RUN(test_refuse_bad_requests);
    RUN(test_garbage);
    RUN(test_role_conflict_incoming);
    RUN(test_role_conflict_response);
    RUN(test_prflx_local_and_nomination);
    RUN(test_response_checks);
    RUN(test_triggered_first);
    RUN(test_triggered_in_progress);
    RUN(test_nomination_delay);
    RUN(test_controlled_nomination);
    RUN(test_disconnected_recovery_and_consent_expiry);
    RUN(test_consent_refresh);
    RUN(test_failed_after_all_pairs_fail);
    RUN(test_gathering);
    RUN(test_stun_server_silent);
    RUN(test_remote_candidates);
    RUN(test_restart_and_close);
    return test_finish();
}
