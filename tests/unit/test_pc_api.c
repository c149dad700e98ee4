/* Tests of the PeerConnection API semantics (core/pc.c) on virtual I/O hosts: callbacks are
 * never called from inside an API call, a callback may call any API and close the
 * PeerConnection from inside itself, events arrive in order, close stops every other
 * callback and frees after close_cb, failed calls leave a readable message and no change
 * (also under injected allocation failures), configuration checks, the interface
 * allow-list for gathering, local candidates in descriptions and addIceCandidate. */
#include "test.h"

#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc/error.h"

#include <stdarg.h>

static mrtc_time clk;
static int in_api;    /* > 0 while the test is inside an API call */
static int reentrant; /* callbacks that ran inside an API call */

/* Wraps an API call made by the test body. */
#define API(call) (in_api++, api_done_((call)))
static int api_done_(int r)
{
    in_api--;
    return r;
}

/* ---- A two-host world with an ideal network ------------------------------------------- */

typedef struct peer {
    mrtc_vio *vio;
    mrtc_pc *pc;
    struct peer *other;
    char log[128][96];
    int n_log;
    int closed_calls;
    bool close_in_nn;        /* close from inside negotiation-needed */
    bool close_in_candidate; /* close from inside the first ice-candidate */
    bool auto_negotiate;     /* answer/offer from the callbacks, perfect-negotiation style */
    mrtc_ice_connection_state ice;
} peer;

static mrtc_transmit queue[512];
static size_t n_queue;

static void net_send(void *user, const mrtc_transmit *t)
{
    (void)user;
    if (n_queue < 512)
        queue[n_queue++] = *t;
}

static void note(peer *p, const char *fmt, ...)
{
    if (in_api)
        reentrant++;
    if (p->n_log == 128)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->log[p->n_log++], sizeof p->log[0], fmt, ap);
    va_end(ap);
}

static int find(const peer *p, const char *ev)
{
    for (int i = 0; i < p->n_log; i++) {
        if (strcmp(p->log[i], ev) == 0)
            return i;
    }
    return -1;
}

static void on_closed(mrtc_pc *pc, void *u)
{
    peer *p = u;
    if (in_api)
        reentrant++;
    p->closed_calls++;
    /* inside close_cb: the object is still readable, every call is refused */
    CHECK_EQ(mrtc_pc_signaling_state(pc), MRTC_SIGNALING_CLOSED);
    CHECK_EQ(mrtc_pc_close(pc, on_closed), MRTC_ECLOSED);
    CHECK_EQ(mrtc_pc_add_transceiver(pc, MRTC_MEDIA_AUDIO, NULL, NULL), MRTC_ECLOSED);
    p->pc = NULL;
}

static void send_local(peer *p)
{
    char *sdp = NULL;
    mrtc_description_type t;
    CHECK_EQ(mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &t, &sdp), 0);
    peer *o = p->other;
    CHECK_EQ(mrtc_pc_set_remote_description(o->pc, t, sdp), 0);
    if (t == MRTC_DESCRIPTION_OFFER) {
        CHECK_EQ(mrtc_pc_set_local_description(o->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
        send_local(o);
    }
    mrtc_string_free(sdp);
}

static void on_nn(mrtc_pc *pc, void *u)
{
    peer *p = u;
    note(p, "negotiation-needed");
    if (p->auto_negotiate) {
        CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
        send_local(p);
    }
    if (p->close_in_nn) {
        char *o = NULL;
        CHECK_EQ(mrtc_pc_create_offer(pc, NULL, &o), 0);
        CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_OFFER, o), 0); /* queues */
        mrtc_string_free(o);
        CHECK_EQ(mrtc_pc_close(pc, on_closed), 0);
        CHECK_EQ(mrtc_pc_signaling_state(pc), MRTC_SIGNALING_CLOSED);
    }
}

static void on_cand(mrtc_pc *pc, const char *c, const char *mid, int idx, void *u)
{
    peer *p = u;
    note(p, c ? "candidate" : "end-of-candidates");
    if (p->auto_negotiate && p->other->pc)
        CHECK_EQ(mrtc_pc_add_ice_candidate(p->other->pc, c, mid, idx), 0);
    if (c && p->close_in_candidate)
        CHECK_EQ(mrtc_pc_close(pc, on_closed), 0);
}

static void on_sig(mrtc_pc *pc, mrtc_signaling_state s, void *u)
{
    (void)pc;
    note(u, "signaling %s", mrtc_signaling_state_name(s));
}

static void on_gather(mrtc_pc *pc, mrtc_gathering_state s, void *u)
{
    (void)pc;
    note(u, "gathering %s", mrtc_gathering_state_name(s));
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state s, void *u)
{
    peer *p = u;
    (void)pc;
    p->ice = s;
    note(u, "ice %s", mrtc_ice_connection_state_name(s));
}

static void on_conn(mrtc_pc *pc, mrtc_connection_state s, void *u)
{
    (void)pc;
    note(u, "connection %s", mrtc_connection_state_name(s));
}

static const mrtc_pc_callbacks cbs = {.negotiation_needed = on_nn,
                                      .ice_candidate = on_cand,
                                      .signaling_state_change = on_sig,
                                      .ice_gathering_state_change = on_gather,
                                      .ice_connection_state_change = on_ice,
                                      .connection_state_change = on_conn};

static mrtc_vio *host(const mrtc_io_ifaddr *ifs, size_t n, uint64_t seed)
{
    mrtc_vio_config cfg;
    mrtc_vio_config_init(&cfg);
    cfg.clock = &clk;
    cfg.ifaddrs = ifs;
    cfg.n_ifaddrs = n;
    cfg.send = net_send;
    cfg.seed = seed;
    mrtc_vio *v = NULL;
    CHECK_EQ(mrtc_vio_new(&cfg, &v), 0);
    return v;
}

static void peer_init(peer *p, const char *ip, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    mrtc_io_ifaddr ifa = {.name = "eth0"};
    mrtc_addr_parse_ip(&ifa.addr, ip, 0);
    p->vio = host(&ifa, 1, seed);
    CHECK_EQ(API(mrtc_pc_create(mrtc_vio_io(p->vio), NULL, &cbs, p, &p->pc)), 0);
}

static void pair(peer *a, peer *b)
{
    n_queue = 0;
    peer_init(a, "10.0.0.1", 1);
    peer_init(b, "10.0.0.2", 2);
    a->other = b;
    b->other = a;
}

/* The loop: deliver datagrams, run both hosts, advance the virtual clock; until done() or
 * `limit` of virtual time. */
static void deliver_queue(peer *a, peer *b)
{
    while (n_queue) {
        static mrtc_transmit batch[512];
        size_t n = n_queue;
        memcpy(batch, queue, n * sizeof batch[0]);
        n_queue = 0;
        for (size_t i = 0; i < n; i++) {
            const mrtc_transmit *t = &batch[i];
            if (!mrtc_vio_deliver(a->vio, &t->remote, &t->local, t->data, t->len))
                mrtc_vio_deliver(b->vio, &t->remote, &t->local, t->data, t->len);
        }
    }
}

static void pump(peer *a, peer *b, bool (*done)(peer *, peer *), mrtc_time limit)
{
    mrtc_time until = clk + limit;
    for (;;) {
        deliver_queue(a, b);
        mrtc_vio_run(a->vio);
        mrtc_vio_run(b->vio);
        if (done && done(a, b))
            return;
        if (n_queue)
            continue;
        mrtc_time next =
            mrtc_time_min(mrtc_vio_next_timeout(a->vio), mrtc_vio_next_timeout(b->vio));
        if (next == MRTC_TIME_NEVER || next > until)
            return;
        if (next > clk)
            clk = next;
    }
}

static bool up(mrtc_ice_connection_state s)
{
    return s == MRTC_ICE_CONNECTION_CONNECTED || s == MRTC_ICE_CONNECTION_COMPLETED;
}

static bool connected(peer *a, peer *b)
{
    return up(a->ice) && up(b->ice);
}

static void peers_free(peer *a, peer *b)
{
    mrtc_vio_free(a->vio);
    mrtc_vio_free(b->vio);
}

/* ---- Tests ---------------------------------------------------------------------------- */

/* A whole call driven from the callbacks (which call the API: allowed); no callback ever
 * runs inside an API call, and the events come in their causal order. */
static void test_callbacks_not_reentrant_and_ordered(void)
{
    peer a, b;
    pair(&a, &b);
    a.auto_negotiate = b.auto_negotiate = true;
    reentrant = 0;
    CHECK_EQ(API(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL)), 0);
    CHECK_EQ(a.n_log, 0); /* nothing delivered from inside the call */
    pump(&a, &b, connected, MRTC_SEC(10));
    CHECK(connected(&a, &b));
    CHECK_EQ(reentrant, 0);
    /* offerer: negotiation-needed, have-local-offer, gathering, candidate, complete,
     * end-of-candidates, ..., stable, checking, connecting, connected */
    int nn = find(&a, "negotiation-needed"), hlo = find(&a, "signaling have-local-offer");
    int g1 = find(&a, "gathering gathering"), c1 = find(&a, "candidate");
    int g2 = find(&a, "gathering complete"), eoc = find(&a, "end-of-candidates");
    int st = find(&a, "signaling stable"), chk = find(&a, "ice checking");
    int cng = find(&a, "connection connecting"), con = find(&a, "ice connected");
    CHECK(nn == 0);
    CHECK(nn < hlo && hlo < g1 && g1 < c1 && c1 < g2 && g2 < eoc);
    CHECK(hlo < st && st < chk && chk < cng && chk < con);
    /* DTLS connects after ICE (no data channel or media: nothing above DTLS) */
    CHECK(con < find(&a, "connection connected"));
    /* answerer */
    CHECK(find(&b, "signaling have-remote-offer") == 0);
    CHECK(find(&b, "signaling stable") == 1);
    CHECK(find(&b, "ice checking") < find(&b, "ice connected"));
    peers_free(&a, &b);
}

/* negotiation-needed calls createOffer, setLocalDescription (queues events) and close()
 * from inside itself: nothing else is delivered, close_cb runs once, memory is freed. */
static void test_close_inside_callback(void)
{
    peer a, b;
    pair(&a, &b);
    a.close_in_nn = true;
    reentrant = 0;
    long live_before = mrtc_alloc_live();
    CHECK_EQ(API(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL)), 0);
    pump(&a, &b, NULL, MRTC_SEC(1));
    CHECK_EQ(a.n_log, 1);
    CHECK_STR(a.log[0], "negotiation-needed");
    CHECK_EQ(a.closed_calls, 1);
    CHECK(a.pc == NULL);
    CHECK_EQ(mrtc_vio_pc_count(a.vio), 0);
    CHECK(mrtc_alloc_live() < live_before); /* the PeerConnection's memory is gone */
    CHECK_EQ(reentrant, 0);
    peers_free(&a, &b);

    /* close from inside the first ice-candidate callback: with two interfaces two
     * candidates are queued; only the first is delivered */
    peer c;
    memset(&c, 0, sizeof c);
    mrtc_io_ifaddr ifs[2] = {{.name = "eth0"}, {.name = "eth1"}};
    mrtc_addr_parse_ip(&ifs[0].addr, "10.0.0.1", 0);
    mrtc_addr_parse_ip(&ifs[1].addr, "192.168.7.1", 0);
    c.vio = host(ifs, 2, 3);
    c.close_in_candidate = true;
    CHECK_EQ(API(mrtc_pc_create(mrtc_vio_io(c.vio), NULL, &cbs, &c, &c.pc)), 0);
    CHECK_EQ(API(mrtc_pc_add_transceiver(c.pc, MRTC_MEDIA_AUDIO, NULL, NULL)), 0);
    CHECK_EQ(API(mrtc_pc_set_local_description(c.pc, MRTC_DESCRIPTION_NONE, NULL)), 0);
    mrtc_vio_run(c.vio);
    CHECK_EQ(c.closed_calls, 1);
    CHECK_STR(c.log[c.n_log - 1], "candidate");
    CHECK(find(&c, "end-of-candidates") < 0);
    CHECK(find(&c, "gathering complete") < 0);
    CHECK_EQ(mrtc_vio_pc_count(c.vio), 0);
    mrtc_vio_free(c.vio);
}

/* close() from the application: queued events are dropped, close_cb runs from the loop (not
 * from inside close), calls fail with MRTC_ECLOSED and a message, getters still work. */
static void test_close_stops_callbacks(void)
{
    peer a, b;
    pair(&a, &b);
    CHECK_EQ(API(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL)), 0); /* queued */
    CHECK_EQ(API(mrtc_pc_close(a.pc, on_closed)), 0);
    CHECK_EQ(a.closed_calls, 0); /* not from inside close() */
    mrtc_pc *pc = a.pc;
    char *sdp = NULL;
    CHECK_EQ(mrtc_pc_create_offer(pc, NULL, &sdp), MRTC_ECLOSED);
    CHECK(strstr(mrtc_pc_last_error(pc), "closed") != NULL);
    CHECK_EQ(mrtc_pc_set_remote_description(pc, MRTC_DESCRIPTION_OFFER, "v=0"), MRTC_ECLOSED);
    CHECK_EQ(mrtc_pc_add_ice_candidate(pc, NULL, NULL, -1), MRTC_ECLOSED);
    CHECK_EQ(mrtc_pc_restart_ice(pc), MRTC_ECLOSED);
    CHECK_EQ(mrtc_pc_close(pc, on_closed), MRTC_ECLOSED);
    CHECK_EQ(mrtc_pc_signaling_state(pc), MRTC_SIGNALING_CLOSED);
    CHECK_EQ(mrtc_pc_ice_connection_state(pc), MRTC_ICE_CONNECTION_CLOSED);
    CHECK_EQ(mrtc_pc_connection_state(pc), MRTC_CONNECTION_CLOSED);
    CHECK_EQ(mrtc_transceiver_current_direction(mrtc_pc_transceiver_at(pc, 0)),
             MRTC_DIRECTION_STOPPED);
    pump(&a, &b, NULL, MRTC_SEC(1));
    CHECK_EQ(a.n_log, 0); /* the queued negotiation-needed never came */
    CHECK_EQ(a.closed_calls, 1);
    /* a NULL close_cb is fine too */
    CHECK_EQ(API(mrtc_pc_close(b.pc, NULL)), 0);
    pump(&a, &b, NULL, MRTC_SEC(1));
    CHECK_EQ(mrtc_vio_pc_count(b.vio), 0);
    peers_free(&a, &b);
}

static void test_last_error(void)
{
    peer a, b;
    pair(&a, &b);
    CHECK_STR(mrtc_pc_last_error(a.pc), "");
    CHECK_EQ(mrtc_pc_set_remote_description(a.pc, MRTC_DESCRIPTION_ANSWER, "v=0\r\n"), MRTC_ESTATE);
    CHECK_STR(mrtc_pc_last_error(a.pc), "set remote answer: not allowed in signaling state stable");
    CHECK_EQ(mrtc_pc_set_remote_description(a.pc, MRTC_DESCRIPTION_OFFER, "v=0\r\nbogus\r\n"),
             MRTC_ESDP);
    CHECK(strncmp(mrtc_pc_last_error(a.pc), "set remote offer: line 2", 24) == 0);
    CHECK_EQ(mrtc_pc_set_remote_description(a.pc, (mrtc_description_type)9, "v=0"), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "invalid type") != NULL);
    CHECK_EQ(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO,
                                     &(mrtc_transceiver_init){.direction = MRTC_DIRECTION_STOPPED},
                                     NULL),
             MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "invalid direction") != NULL);
    CHECK_EQ(mrtc_pc_transceiver_count(a.pc), 0);
    CHECK_EQ(mrtc_pc_signaling_state(a.pc), MRTC_SIGNALING_STABLE);
    CHECK_STR(mrtc_pc_last_error(NULL), "");
    peers_free(&a, &b);
}

static void test_config(void)
{
    mrtc_vio *v = host(NULL, 0, 1);
    mrtc_io *io = mrtc_vio_io(v);
    mrtc_pc *pc = NULL;
    mrtc_pc_config cfg;
    mrtc_pc_config_init(&cfg);
    CHECK_EQ(cfg.bundle_policy, MRTC_BUNDLE_POLICY_MAX_BUNDLE);
    CHECK_EQ(cfg.rtcp_mux_policy, MRTC_RTCP_MUX_POLICY_REQUIRE);
    cfg.bundle_policy = MRTC_BUNDLE_POLICY_BALANCED;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), MRTC_ENOTSUP);
    CHECK(pc == NULL);
    mrtc_pc_config_init(&cfg);
    cfg.ice_transport_policy = MRTC_ICE_TRANSPORT_POLICY_RELAY;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), MRTC_ENOTSUP);
    mrtc_pc_config_init(&cfg);
    cfg.ice_candidate_pool_size = 2;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), MRTC_ENOTSUP);
    const char *bad_url[] = {"http://example.com"};
    const char *turn_url[] = {"turn:192.0.2.1:3478?transport=udp"};
    const char *good[] = {"stun:192.0.2.1:3478", "stun:stun.example.org", "stuns:[2001:db8::1]"};
    mrtc_ice_server srv = {.urls = bad_url, .n_urls = 1};
    mrtc_pc_config_init(&cfg);
    cfg.ice_servers = &srv;
    cfg.n_ice_servers = 1;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), MRTC_EINVAL);
    srv.urls = turn_url;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), MRTC_EINVAL); /* no credentials */
    srv.username = "1700000000:p1";
    srv.credential = "secret";
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), 0);
    mrtc_pc_close(pc, NULL);
    srv.urls = good;
    srv.n_urls = 3;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), 0);
    mrtc_pc_close(pc, NULL);
    const char *bad_allow[] = {"10.0.0.0/99"};
    mrtc_pc_config_init(&cfg);
    cfg.ice_interfaces = bad_allow;
    cfg.n_ice_interfaces = 1;
    CHECK_EQ(mrtc_pc_create(io, &cfg, NULL, NULL, &pc), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_create(NULL, NULL, NULL, NULL, &pc), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_create(io, NULL, NULL, NULL, NULL), MRTC_EINVAL);
    mrtc_vio_run(v);
    CHECK_EQ(mrtc_vio_pc_count(v), 0);
    mrtc_vio_free(v);
}

/* The allow-list decides which interface addresses become host candidates. */
static int candidates_with(const char *const *allow, size_t n_allow, char *seen, size_t cap)
{
    mrtc_io_ifaddr ifs[3] = {{.name = "lo", .internal = true}, {.name = "eth0"}, {.name = "eth1"}};
    mrtc_addr_parse_ip(&ifs[0].addr, "127.0.0.1", 0);
    mrtc_addr_parse_ip(&ifs[1].addr, "10.1.2.3", 0);
    mrtc_addr_parse_ip(&ifs[2].addr, "192.168.7.1", 0);
    mrtc_vio *v = host(ifs, 3, 9);
    mrtc_pc_config cfg;
    mrtc_pc_config_init(&cfg);
    cfg.ice_interfaces = allow;
    cfg.n_ice_interfaces = n_allow;
    mrtc_pc *pc = NULL;
    CHECK_EQ(mrtc_pc_create(mrtc_vio_io(v), &cfg, NULL, NULL, &pc), 0);
    mrtc_pc_add_transceiver(pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    char *l = NULL;
    CHECK_EQ(mrtc_pc_get_description(pc, MRTC_LOCAL_DESCRIPTION, NULL, &l), 0);
    int n = 0;
    seen[0] = '\0';
    for (const char *p = l; p && (p = strstr(p, "a=candidate:")); p++) {
        const char *typ = strstr(p, " typ ");
        const char *ip = typ;
        while (ip > p && ip[-1] != ' ')
            ip--; /* the port */
        ip--;
        while (ip > p && ip[-1] != ' ')
            ip--; /* the address */
        snprintf(seen + strlen(seen), cap - strlen(seen), "%s%.*s", n ? "," : "",
                 (int)strcspn(ip, " "), ip);
        n++;
    }
    mrtc_string_free(l);
    mrtc_vio_free(v);
    return n;
}

static void test_allow_list(void)
{
    char seen[256];
    CHECK_EQ(candidates_with(NULL, 0, seen, sizeof seen), 2);
    CHECK_STR(seen, "10.1.2.3,192.168.7.1"); /* no loopback when something else is up */
    const char *eth1[] = {"eth1"};
    CHECK_EQ(candidates_with(eth1, 1, seen, sizeof seen), 1);
    CHECK_STR(seen, "192.168.7.1");
    const char *lo[] = {"127.0.0.1"};
    CHECK_EQ(candidates_with(lo, 1, seen, sizeof seen), 1);
    CHECK_STR(seen, "127.0.0.1");
    const char *lo_name[] = {"lo"};
    CHECK_EQ(candidates_with(lo_name, 1, seen, sizeof seen), 1);
    CHECK_STR(seen, "127.0.0.1");
    const char *prefix[] = {"10.0.0.0/8"};
    CHECK_EQ(candidates_with(prefix, 1, seen, sizeof seen), 1);
    CHECK_STR(seen, "10.1.2.3");
    const char *none[] = {"172.16.0.0/12"};
    CHECK_EQ(candidates_with(none, 1, seen, sizeof seen), 0);
}

/* Every allocation of setRemoteDescription and createAnswer+setLocalDescription fails in
 * turn: each call either succeeds or fails with nothing changed and nothing leaked. */
static void test_allocation_failures(void)
{
    peer a, b;
    pair(&a, &b);
    CHECK_EQ(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL), 0);
    CHECK_EQ(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, NULL, NULL), 0);
    CHECK_EQ(mrtc_pc_add_data_section(a.pc), 0);
    char *offer = NULL;
    CHECK_EQ(mrtc_pc_create_offer(a.pc, NULL, &offer), 0);
    int failures = 0, n;
    for (n = 1; n < 2000; n++) {
        mrtc_alloc_fail_after(n);
        int err = mrtc_pc_set_remote_description(b.pc, MRTC_DESCRIPTION_OFFER, offer);
        mrtc_alloc_fail_after(0);
        if (err == 0)
            break;
        failures++;
        CHECK_EQ(err, MRTC_ENOMEM);
        CHECK_EQ(mrtc_pc_signaling_state(b.pc), MRTC_SIGNALING_STABLE);
        CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 0);
        char *r = NULL;
        CHECK_EQ(mrtc_pc_get_description(b.pc, MRTC_REMOTE_DESCRIPTION, NULL, &r), MRTC_ENOTFOUND);
    }
    CHECK(failures > 10);
    CHECK_EQ(mrtc_pc_signaling_state(b.pc), MRTC_SIGNALING_HAVE_REMOTE_OFFER);
    for (n = 1; n < 2000; n++) {
        char *ans = NULL;
        mrtc_alloc_fail_after(n);
        int err = mrtc_pc_create_answer(b.pc, &ans);
        if (err == 0)
            err = mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_ANSWER, ans);
        mrtc_alloc_fail_after(0);
        mrtc_string_free(ans);
        if (err == 0)
            break;
        CHECK_EQ(err, MRTC_ENOMEM);
        CHECK_EQ(mrtc_pc_signaling_state(b.pc), MRTC_SIGNALING_HAVE_REMOTE_OFFER);
    }
    CHECK_EQ(mrtc_pc_signaling_state(b.pc), MRTC_SIGNALING_STABLE);
    mrtc_string_free(offer);
    peers_free(&a, &b);
}

/* ---- Candidates in descriptions, addIceCandidate ------------------------------------- */

/* noinline: gcc 12's -Wdangling-pointer mistakes the returned copy for the local's address */
__attribute__((noinline)) static char *desc(mrtc_pc *pc, mrtc_description_slot slot)
{
    char *sdp = NULL;
    int err = mrtc_pc_get_description(pc, slot, NULL, &sdp);
    return err ? NULL : sdp;
}

static void on_cand_mid(mrtc_pc *pc, const char *c, const char *mid, int idx, void *u)
{
    (void)pc;
    note(u, c ? "candidate %s %d" : "end-of-candidates %s %d", mid ? mid : "(null)", idx);
}

static void test_local_candidates_in_descriptions(void)
{
    peer a;
    memset(&a, 0, sizeof a);
    mrtc_io_ifaddr ifa = {.name = "eth0"};
    mrtc_addr_parse_ip(&ifa.addr, "10.0.0.1", 0);
    a.vio = host(&ifa, 1, 1);
    mrtc_pc_callbacks c = cbs;
    c.ice_candidate = on_cand_mid;
    CHECK_EQ(mrtc_pc_create(mrtc_vio_io(a.vio), NULL, &c, &a, &a.pc), 0);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, NULL, NULL);
    char *o = NULL;
    CHECK_EQ(mrtc_pc_create_offer(a.pc, NULL, &o), 0);
    CHECK(strstr(o, "a=candidate:") == NULL); /* nothing gathered before SLD */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o), 0);
    mrtc_vio_run(a.vio);
    /* the negotiation-needed queued by the transceivers is dropped: not stable any more by
     * the time it is delivered (W3C); the candidate names the first bundled m-section */
    CHECK_EQ(a.n_log, 5);
    CHECK_STR(a.log[0], "signaling have-local-offer");
    CHECK_STR(a.log[1], "gathering gathering");
    CHECK_STR(a.log[2], "candidate 0 0");
    CHECK_STR(a.log[3], "gathering complete");
    CHECK_STR(a.log[4], "end-of-candidates (null) -1");
    char *l = desc(a.pc, MRTC_LOCAL_DESCRIPTION);
    const char *cand = strstr(l, "a=candidate:");
    CHECK(cand != NULL);
    CHECK(cand && strstr(cand, " 10.0.0.1 50000 typ host") != NULL);
    CHECK(strstr(l, "a=end-of-candidates") != NULL);
    CHECK(cand && cand < strstr(l, "m=video")); /* in the first (bundle) m-section only */
    char *o2 = NULL;
    CHECK_EQ(mrtc_pc_create_offer(a.pc, NULL, &o2), 0);
    CHECK(strstr(o2, "a=candidate:") != NULL); /* and in the next offers */
    mrtc_string_free(o);
    mrtc_string_free(o2);
    mrtc_string_free(l);
    mrtc_vio_free(a.vio);
}

static void test_add_ice_candidate(void)
{
    peer a, b;
    pair(&a, &b);
    const char *cand = "candidate:1 1 udp 2122260223 10.0.0.1 40000 typ host";
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, cand, "0", 0), MRTC_ESTATE);
    CHECK(strstr(mrtc_pc_last_error(b.pc), "no remote description") != NULL);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, NULL, NULL);
    char *o = NULL;
    CHECK_EQ(mrtc_pc_create_offer(a.pc, NULL, &o), 0);
    CHECK_EQ(mrtc_pc_set_remote_description(b.pc, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, "candidate:garbage", "0", 0), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(b.pc), "cannot parse") != NULL);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, cand, "9", -1), MRTC_ENOTFOUND);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, cand, NULL, 5), MRTC_ENOTFOUND);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, cand, NULL, -1), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc,
                                       "a=candidate:1 1 udp 2122260223 10.0.0.1 40000 typ host "
                                       "ufrag nope",
                                       "0", 0),
             MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, cand, "0", 0), 0);
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, cand, NULL, 1), 0);  /* by index, same transport */
    CHECK_EQ(mrtc_pc_add_ice_candidate(b.pc, NULL, NULL, -1), 0); /* end of candidates */
    char *r = desc(b.pc, MRTC_REMOTE_DESCRIPTION);
    const char *first = strstr(r, "a=candidate:1 1 udp 2122260223 10.0.0.1 40000 typ host");
    CHECK(first != NULL);
    /* recorded in the m-section it was given for: once in "0", once in "1" */
    const char *video = strstr(r, "m=video");
    CHECK(first && video && first < video);
    const char *second = first ? strstr(first + 1, "a=candidate:1 1 udp") : NULL;
    CHECK(second && second > video);
    CHECK(second && strstr(second + 1, "a=candidate:1 1 udp") == NULL);
    CHECK(strstr(r, "a=end-of-candidates") != NULL);
    mrtc_string_free(o);
    mrtc_string_free(r);
    peers_free(&a, &b);
}

static void test_names(void)
{
    CHECK_STR(mrtc_description_type_name(MRTC_DESCRIPTION_PRANSWER), "pranswer");
    CHECK_STR(mrtc_description_type_name(MRTC_DESCRIPTION_NONE), "");
    mrtc_description_type t;
    CHECK_EQ(mrtc_description_type_parse("rollback", &t), 0);
    CHECK_EQ(t, MRTC_DESCRIPTION_ROLLBACK);
    CHECK_EQ(mrtc_description_type_parse("Offer", &t), MRTC_EINVAL);
    CHECK_STR(mrtc_direction_name(MRTC_DIRECTION_RECVONLY), "recvonly");
    CHECK_STR(mrtc_media_kind_name(MRTC_MEDIA_VIDEO), "video");
}

int main(void)
{
    RUN(test_callbacks_not_reentrant_and_ordered);
    RUN(test_close_inside_callback);
    RUN(test_close_stops_callbacks);
    RUN(test_last_error);
    RUN(test_config);
    RUN(test_allow_list);
    RUN(test_allocation_failures);
    RUN(test_local_candidates_in_descriptions);
    RUN(test_add_ice_candidate);
    RUN(test_names);
    return test_finish();
}
