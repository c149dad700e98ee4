/* Two ICE agents over the simulated network (tests/sim/sim.h) with a simulated signalling
 * channel (credentials, trickled candidates and end-of-candidates delivered after a delay):
 * connection in both trickle orders and with one side's candidates late, 20% loss with
 * reordering over several seeds, determinism of a seeded run, a vanished peer
 * (disconnected, then failed at the expected virtual times), ICE restart, a role conflict,
 * and a NAT with a STUN server. Virtual time only; prints the figures it measures. */
#include "unit/test.h"

#include "core/util/log.h"
#include "core/util/rand.h"
#include "ice/agent.h"
#include "ice/stun.h"
#include "meshrtc/error.h"
#include "sim/sim.h"

#define INBOX_MAX 128

typedef struct sig_msg {
    mrtc_time at;
    int kind; /* 0 candidate, 1 end-of-candidates, 2 credentials */
    mrtc_ice_candidate cand;
    char ufrag[MRTC_ICE_UFRAG_MAX + 1];
    char pwd[MRTC_ICE_PWD_MAX + 1];
} sig_msg;

typedef struct peer {
    const char *name;
    mrtc_rand_seeded rng;
    mrtc_ice_agent *agent;
    mrtc_addr addr;
    struct peer *other;
    sig_msg inbox[INBOX_MAX];
    size_t n_in;
    mrtc_time sig_delay;  /* signalling latency of what this peer sends */
    mrtc_time hold_until; /* what this peer sends is not delivered before */
    char sent_ufrag[MRTC_ICE_UFRAG_MAX + 1];
    mrtc_ice_state state;
    mrtc_time connected_at, completed_at, disconnected_at, failed_at;
    int role_events, selected_events, candidates_sent;
    mrtc_time last_rx, last_success_rx;
    uint64_t *hash;
} peer;

typedef struct world {
    sim_net *net;
    peer a, b;
    uint64_t hash;
    bool want_completed;
} world;

static void hash_str(uint64_t *h, const char *s)
{
    *h = sim_hash(*h, s, strlen(s) + 1);
}

static void trace_cb(void *user, const char *line)
{
    hash_str(user, line);
}

static void send_sig(peer *p, mrtc_time now, const sig_msg *m)
{
    peer *o = p->other;
    if (o->n_in == INBOX_MAX) {
        fprintf(stderr, "inbox full\n");
        return;
    }
    sig_msg *x = &o->inbox[o->n_in++];
    *x = *m;
    x->at = now + p->sig_delay;
    if (m->kind != 2 && x->at < p->hold_until)
        x->at = p->hold_until; /* candidates late; credentials come with the description */
}

static void pump(peer *p, mrtc_time now)
{
    mrtc_ice_event ev;
    char line[MRTC_ICE_CANDIDATE_LINE_MAX + 64];
    const char *uf = mrtc_ice_agent_local_ufrag(p->agent);
    if (strcmp(uf, p->sent_ufrag) != 0) {
        sig_msg m = {.kind = 2};
        snprintf(m.ufrag, sizeof m.ufrag, "%s", uf);
        snprintf(m.pwd, sizeof m.pwd, "%s", mrtc_ice_agent_local_pwd(p->agent));
        snprintf(p->sent_ufrag, sizeof p->sent_ufrag, "%s", uf);
        send_sig(p, now, &m);
    }
    while (mrtc_ice_agent_poll_event(p->agent, &ev)) {
        snprintf(line, sizeof line, "%s %llu ev %d", p->name, (unsigned long long)now, ev.type);
        hash_str(p->hash, line);
        switch (ev.type) {
        case MRTC_ICE_EVENT_LOCAL_CANDIDATE: {
            sig_msg m = {.kind = 0, .cand = ev.candidate};
            mrtc_ice_candidate_format(&ev.candidate, line, sizeof line);
            hash_str(p->hash, line);
            p->candidates_sent++;
            send_sig(p, now, &m);
            break;
        }
        case MRTC_ICE_EVENT_GATHERING_STATE:
            if (ev.gathering.new_state == MRTC_ICE_GATHERING_COMPLETE) {
                sig_msg m = {.kind = 1};
                send_sig(p, now, &m);
            }
            break;
        case MRTC_ICE_EVENT_STATE:
            p->state = ev.state.new_state;
            hash_str(p->hash, mrtc_ice_state_name(p->state));
            if (p->state == MRTC_ICE_STATE_CONNECTED && !p->connected_at)
                p->connected_at = now;
            if (p->state == MRTC_ICE_STATE_COMPLETED && !p->completed_at)
                p->completed_at = now;
            if (p->state == MRTC_ICE_STATE_DISCONNECTED)
                p->disconnected_at = now;
            if (p->state == MRTC_ICE_STATE_FAILED)
                p->failed_at = now;
            break;
        case MRTC_ICE_EVENT_SELECTED_PAIR:
            p->selected_events++;
            if (ev.selected.exists) {
                mrtc_addr_str(&ev.selected.remote, line, sizeof line);
                hash_str(p->hash, line);
            }
            break;
        case MRTC_ICE_EVENT_ROLE:
            p->role_events++;
            break;
        }
    }
}

/* ---- node glue ---- */

static void node_packet(void *obj, mrtc_time now, const sim_datagram *d)
{
    peer *p = obj;
    mrtc_stun_msg m;
    p->last_rx = now;
    if (mrtc_stun_decode(&m, d->data, d->len) == 0 && m.cls == MRTC_STUN_SUCCESS)
        p->last_success_rx = now;
    mrtc_ice_agent_handle_packet(p->agent, now, &d->to, &d->from, d->data, d->len);
    pump(p, now);
}

static mrtc_time inbox_next(const peer *p)
{
    mrtc_time t = MRTC_TIME_NEVER;
    for (size_t i = 0; i < p->n_in; i++)
        t = mrtc_time_min(t, p->inbox[i].at);
    return t;
}

static void deliver_sig(peer *p, mrtc_time now)
{
    size_t i = 0;
    while (i < p->n_in) {
        if (p->inbox[i].at > now) {
            i++;
            continue;
        }
        sig_msg m = p->inbox[i];
        memmove(&p->inbox[i], &p->inbox[i + 1], (p->n_in - i - 1) * sizeof m);
        p->n_in--;
        if (m.kind == 0)
            mrtc_ice_agent_add_remote_candidate(p->agent, now, &m.cand);
        else if (m.kind == 1)
            mrtc_ice_agent_remote_end_of_candidates(p->agent, now);
        else
            CHECK_EQ(mrtc_ice_agent_set_remote_credentials(p->agent, now, m.ufrag, m.pwd), 0);
        pump(p, now);
    }
}

static void node_timeout(void *obj, mrtc_time now)
{
    peer *p = obj;
    deliver_sig(p, now);
    mrtc_ice_agent_handle_timeout(p->agent, now);
    pump(p, now);
}

static mrtc_time node_next(void *obj)
{
    peer *p = obj;
    return mrtc_time_min(mrtc_ice_agent_next_timeout(p->agent), inbox_next(p));
}

static bool node_poll(void *obj, mrtc_transmit *out)
{
    peer *p = obj;
    return mrtc_ice_agent_poll_transmit(p->agent, out);
}

static const sim_node_ops peer_ops = {
    .handle_packet = node_packet,
    .handle_timeout = node_timeout,
    .next_timeout = node_next,
    .poll_transmit = node_poll,
};

/* ---- worlds ---- */

static mrtc_addr ip(const char *s, uint16_t port)
{
    mrtc_addr a;
    memset(&a, 0, sizeof a);
    mrtc_addr_parse_ip(&a, s, port);
    return a;
}

typedef struct scenario {
    uint64_t seed;
    sim_link link;
    bool a_controlling, b_controlling;
    mrtc_time a_sig_delay, b_sig_delay;
    mrtc_time a_hold; /* A's candidates (not credentials) reach B no earlier than this */
    const char *a_ip, *b_ip;
    bool trace;
} scenario;

static void scenario_init(scenario *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
    sim_link_init(&s->link);
    s->a_controlling = true;
    s->a_sig_delay = s->b_sig_delay = MRTC_MSEC(50);
    s->a_ip = "127.0.0.1";
    s->b_ip = "127.0.0.2";
}

static void peer_init(world *w, peer *p, const char *name, const char *ipstr, uint16_t port,
                      bool controlling, uint64_t seed)
{
    mrtc_ice_config cfg;
    memset(p, 0, sizeof *p);
    p->name = name;
    p->hash = &w->hash;
    mrtc_rand_seeded_init(&p->rng, seed);
    mrtc_ice_config_init(&cfg);
    cfg.rand = &p->rng.rand;
    cfg.controlling = controlling;
    cfg.name = name;
    p->agent = mrtc_ice_agent_new(&cfg);
    CHECK(p->agent != NULL);
    p->addr = ip(ipstr, port);
}

static void world_start(world *w, const scenario *s)
{
    memset(w, 0, sizeof *w);
    w->hash = SIM_HASH_INIT;
    w->net = sim_net_new(s->seed);
    sim_net_set_default_link(w->net, &s->link);
    if (s->trace)
        sim_net_set_trace(w->net, trace_cb, &w->hash);
    peer_init(w, &w->a, "A", s->a_ip, 5000, s->a_controlling, s->seed * 2 + 1);
    peer_init(w, &w->b, "B", s->b_ip, 5001, s->b_controlling, s->seed * 2 + 2);
    w->a.other = &w->b;
    w->b.other = &w->a;
    w->a.sig_delay = s->a_sig_delay;
    w->b.sig_delay = s->b_sig_delay;
    w->a.hold_until = s->a_hold;
    sim_net_bind(w->net, sim_net_add_node(w->net, &peer_ops, &w->a), &w->a.addr);
    sim_net_bind(w->net, sim_net_add_node(w->net, &peer_ops, &w->b), &w->b.addr);
}

static void world_gather(world *w)
{
    mrtc_time now = sim_net_now(w->net);
    peer *ps[2] = {&w->a, &w->b};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(mrtc_ice_agent_add_host(ps[i]->agent, now, &ps[i]->addr), 0);
        mrtc_ice_agent_gathering_done(ps[i]->agent, now);
        pump(ps[i], now);
    }
}

static void world_free(world *w)
{
    mrtc_ice_agent_free(w->a.agent);
    mrtc_ice_agent_free(w->b.agent);
    sim_net_free(w->net);
}

static bool both_connected(void *user)
{
    world *w = user;
    return w->a.connected_at && w->b.connected_at;
}

static bool both_completed(void *user)
{
    world *w = user;
    return w->a.state == MRTC_ICE_STATE_COMPLETED && w->b.state == MRTC_ICE_STATE_COMPLETED;
}

/* Checks that both agents selected the same path, seen from each end. */
static void check_pair(const world *w)
{
    mrtc_addr al, ar, bl, br;
    CHECK(mrtc_ice_agent_selected_pair(w->a.agent, &al, &ar));
    CHECK(mrtc_ice_agent_selected_pair(w->b.agent, &bl, &br));
    CHECK(mrtc_addr_eq(&al, &w->a.addr));
    CHECK(mrtc_addr_eq(&bl, &w->b.addr));
    CHECK(mrtc_addr_eq(&ar, &br) || mrtc_addr_eq(&ar, &w->b.addr));
    CHECK(mrtc_addr_eq(&br, &al) || mrtc_addr_eq(&br, &w->a.addr));
}

/* Runs a scenario to completion; returns the time both were completed, or 0. */
static mrtc_time run_to_completion(const scenario *s, world *w, mrtc_time limit)
{
    world_start(w, s);
    world_gather(w);
    bool ok = sim_net_run(w->net, limit, both_completed, w);
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  seed %llu: A %s, B %s at %llu us\n", (unsigned long long)s->seed,
                mrtc_ice_state_name(w->a.state), mrtc_ice_state_name(w->b.state),
                (unsigned long long)sim_net_now(w->net));
        return 0;
    }
    check_pair(w);
    return sim_net_now(w->net);
}

/* ---- tests ---- */

static void test_connect(void)
{
    scenario s;
    world w;
    scenario_init(&s, 1);
    mrtc_time t = run_to_completion(&s, &w, MRTC_SEC(10));
    CHECK(t > 0);
    CHECK(mrtc_ice_agent_is_controlling(w.a.agent));
    CHECK(!mrtc_ice_agent_is_controlling(w.b.agent));
    CHECK_EQ(w.a.selected_events, 1);
    CHECK_EQ(w.b.selected_events, 1);
    printf("connect, no loss, 10 ms links, 50 ms signalling: connected A %.1f ms B %.1f ms, "
           "completed %.1f ms\n",
           w.a.connected_at / 1000.0, w.b.connected_at / 1000.0, t / 1000.0);
    world_free(&w);
}

static void test_trickle_orders(void)
{
    struct {
        mrtc_time a_delay, b_delay, a_hold;
        const char *what;
    } cases[] = {
        {MRTC_MSEC(10), MRTC_MSEC(400), 0, "A's signalling first"},
        {MRTC_MSEC(400), MRTC_MSEC(10), 0, "B's signalling first"},
        {MRTC_MSEC(50), MRTC_MSEC(50), MRTC_SEC(3), "A's candidates 3 s late"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scenario s;
        world w;
        scenario_init(&s, 10 + i);
        s.a_sig_delay = cases[i].a_delay;
        s.b_sig_delay = cases[i].b_delay;
        s.a_hold = cases[i].a_hold;
        mrtc_time t = run_to_completion(&s, &w, MRTC_SEC(10));
        CHECK(t > 0);
        printf("trickle (%s): connected A %.1f ms B %.1f ms, completed %.1f ms\n", cases[i].what,
               w.a.connected_at / 1000.0, w.b.connected_at / 1000.0, t / 1000.0);
        if (cases[i].a_hold) {
            /* B connected through the peer-reflexive candidate before A's were signalled */
            CHECK(w.b.connected_at > 0 && w.b.connected_at < cases[i].a_hold);
            CHECK(t >= cases[i].a_hold); /* completed needs A's end-of-candidates */
        }
        world_free(&w);
    }
}

static void test_loss(void)
{
    mrtc_time worst = 0, sum = 0;
    const int seeds = 12;
    for (int i = 0; i < seeds; i++) {
        scenario s;
        world w;
        scenario_init(&s, 100 + (uint64_t)i);
        s.link.loss = 0.2;
        s.link.reorder = 0.1;
        s.link.jitter = MRTC_MSEC(15);
        s.link.duplicate = 0.02;
        world_start(&w, &s);
        world_gather(&w);
        bool ok = sim_net_run(w.net, MRTC_SEC(10), both_connected, &w);
        CHECK(ok);
        if (ok) {
            check_pair(&w);
            mrtc_time t = sim_net_now(w.net);
            worst = t > worst ? t : worst;
            sum += t;
        } else {
            fprintf(stderr, "  seed %d: not connected after 10 s (A %s, B %s)\n", 100 + i,
                    mrtc_ice_state_name(w.a.state), mrtc_ice_state_name(w.b.state));
        }
        const sim_stats *st = sim_net_get_stats(w.net);
        CHECK(st->lost > 0 || sim_net_now(w.net) < MRTC_MSEC(300));
        world_free(&w);
    }
    printf("20%% loss, 10%% reordering, 2%% duplication, 15 ms jitter, %d seeds: both connected "
           "after %.1f ms on average, %.1f ms at worst\n",
           seeds, sum / 1000.0 / seeds, worst / 1000.0);
}

static uint64_t transcript(uint64_t seed)
{
    scenario s;
    world w;
    scenario_init(&s, seed);
    s.link.loss = 0.2;
    s.link.jitter = MRTC_MSEC(15);
    s.link.reorder = 0.1;
    s.trace = true;
    world_start(&w, &s);
    world_gather(&w);
    sim_net_run(w.net, MRTC_SEC(20), NULL, NULL);
    uint64_t h = w.hash;
    world_free(&w);
    return h;
}

static void test_determinism(void)
{
    uint64_t h1 = transcript(42), h2 = transcript(42), h3 = transcript(43);
    CHECK_U64(h1, h2);
    CHECK(h1 != h3);
}

static void test_vanished_peer(void)
{
    scenario s;
    world w;
    scenario_init(&s, 7);
    mrtc_time t = run_to_completion(&s, &w, MRTC_SEC(10));
    CHECK(t > 0);
    /* Let consent run for a while, then B vanishes. */
    sim_net_run(w.net, t + MRTC_SEC(12), NULL, NULL);
    CHECK_EQ(w.a.state, MRTC_ICE_STATE_COMPLETED);
    const mrtc_time gone = sim_net_now(w.net);
    sim_net_set_blackhole(w.net, &w.b.addr, true);
    sim_net_run(w.net, gone + MRTC_SEC(60), NULL, NULL);
    CHECK_EQ(w.a.state, MRTC_ICE_STATE_FAILED);
    CHECK(w.a.last_rx <= gone);
    /* disconnected exactly disconnected_timeout after the last datagram received */
    CHECK_U64(w.a.disconnected_at, w.a.last_rx + MRTC_SEC(5));
    /* failed exactly when consent expired: 30 s after the last consent response */
    CHECK_U64(w.a.failed_at, w.a.last_success_rx + MRTC_SEC(30));
    CHECK(w.a.failed_at > w.a.disconnected_at);
    CHECK(!mrtc_ice_agent_selected_pair(w.a.agent, NULL, NULL));
    printf("vanished peer at %.3f s: last datagram %.3f s, disconnected %.3f s, last consent "
           "response %.3f s, failed %.3f s\n",
           gone / 1e6, w.a.last_rx / 1e6, w.a.disconnected_at / 1e6, w.a.last_success_rx / 1e6,
           w.a.failed_at / 1e6);
    world_free(&w);
}

static bool restarted(void *user)
{
    world *w = user;
    return w->a.selected_events >= 2 && w->b.selected_events >= 2 &&
           w->a.state == MRTC_ICE_STATE_COMPLETED && w->b.state == MRTC_ICE_STATE_COMPLETED;
}

static void test_restart(void)
{
    scenario s;
    world w;
    scenario_init(&s, 8);
    mrtc_time t = run_to_completion(&s, &w, MRTC_SEC(10));
    CHECK(t > 0);
    sim_net_run(w.net, t + MRTC_SEC(1), NULL, NULL);
    char old_a[64], old_b[64];
    snprintf(old_a, sizeof old_a, "%s", mrtc_ice_agent_local_ufrag(w.a.agent));
    snprintf(old_b, sizeof old_b, "%s", mrtc_ice_agent_local_ufrag(w.b.agent));
    mrtc_time now = sim_net_now(w.net);
    CHECK_EQ(mrtc_ice_agent_restart(w.a.agent, now), 0);
    pump(&w.a, now);
    /* the old pair stays usable while the new checks run */
    CHECK(mrtc_ice_agent_selected_pair(w.a.agent, NULL, NULL));
    bool ok = sim_net_run(w.net, now + MRTC_SEC(10), restarted, &w);
    CHECK(ok);
    CHECK(strcmp(old_a, mrtc_ice_agent_local_ufrag(w.a.agent)) != 0);
    CHECK(strcmp(old_b, mrtc_ice_agent_local_ufrag(w.b.agent)) != 0); /* B restarted too */
    check_pair(&w);
    CHECK(w.a.disconnected_at == 0 && w.b.disconnected_at == 0);
    printf("ICE restart: both reselected and completed after %.1f ms\n",
           (sim_net_now(w.net) - now) / 1000.0);
    /* and the connection is kept alive afterwards */
    sim_net_run(w.net, sim_net_now(w.net) + MRTC_SEC(40), NULL, NULL);
    CHECK_EQ(w.a.state, MRTC_ICE_STATE_COMPLETED);
    CHECK_EQ(w.b.state, MRTC_ICE_STATE_COMPLETED);
    world_free(&w);
}

static void test_role_conflict(void)
{
    for (uint64_t seed = 20; seed < 24; seed++) {
        scenario s;
        world w;
        scenario_init(&s, seed);
        s.a_controlling = s.b_controlling = true;
        mrtc_time t = run_to_completion(&s, &w, MRTC_SEC(10));
        CHECK(t > 0);
        bool ac = mrtc_ice_agent_is_controlling(w.a.agent);
        bool bc = mrtc_ice_agent_is_controlling(w.b.agent);
        CHECK(ac != bc);
        CHECK_EQ(w.a.role_events + w.b.role_events, 1);
        world_free(&w);
    }
    /* both controlled resolves too */
    scenario s;
    world w;
    scenario_init(&s, 30);
    s.a_controlling = s.b_controlling = false;
    CHECK(run_to_completion(&s, &w, MRTC_SEC(10)) > 0);
    CHECK(mrtc_ice_agent_is_controlling(w.a.agent) != mrtc_ice_agent_is_controlling(w.b.agent));
    world_free(&w);
}

static void test_nat_and_stun_server(void)
{
    /* A behind a port-restricted NAT, with a STUN server; B public. */
    scenario s;
    world w;
    scenario_init(&s, 9);
    s.a_ip = "10.0.0.1";
    s.b_ip = "203.0.113.2";
    world_start(&w, &s);
    mrtc_addr pub = ip("198.51.100.1", 0), priv = ip("10.0.0.0", 0);
    mrtc_addr stun = ip("192.0.2.100", 3478);
    CHECK_EQ(sim_net_add_nat(w.net, &pub, &priv, 8, true), 0);
    CHECK_EQ(sim_net_add_stun_server(w.net, &stun), 0);
    CHECK_EQ(mrtc_ice_agent_add_stun_server(w.a.agent, 0, &stun), 0);
    world_gather(&w);
    bool ok = sim_net_run(w.net, MRTC_SEC(10), both_completed, &w);
    CHECK(ok);
    CHECK_EQ(w.a.candidates_sent, 2); /* host and srflx */
    mrtc_ice_pair_info ia, ib;
    CHECK(mrtc_ice_agent_selected_pair_info(w.a.agent, &ia));
    CHECK(mrtc_ice_agent_selected_pair_info(w.b.agent, &ib));
    CHECK(mrtc_addr_eq(&ia.local, &w.a.addr));
    CHECK(mrtc_addr_ip_eq(&ib.remote, &pub));
    CHECK(ia.local_candidate.type == MRTC_ICE_CAND_SRFLX);
    printf("NAT + STUN server: completed after %.1f ms (A's local candidate %s)\n",
           sim_net_now(w.net) / 1000.0, mrtc_ice_candidate_type_name(ia.local_candidate.type));
    world_free(&w);
}

static void test_sim_link_model(void)
{
    /* The simulator itself: delay, bandwidth queueing, loss statistics, blackhole, poll. */
    sim_net *net = sim_net_new(5);
    sim_link l;
    sim_link_init(&l);
    l.delay = MRTC_MSEC(20);
    l.bandwidth_bps = 800000; /* 100 bytes per ms */
    l.queue_bytes = 1000;
    sim_net_set_default_link(net, &l);
    mrtc_transmit t;
    memset(&t, 0, sizeof t);
    t.local = ip("127.0.0.1", 1);
    t.remote = ip("127.0.0.2", 2);
    t.len = 100;
    for (int i = 0; i < 20; i++)
        sim_net_send(net, 0, &t);
    const sim_stats *st = sim_net_get_stats(net);
    CHECK_EQ(st->sent, 20);
    CHECK(st->queue_dropped >= 9 && st->queue_dropped <= 11);
    CHECK_U64(sim_net_next_delivery(net), MRTC_MSEC(21)); /* 1 ms serialisation + 20 ms */
    sim_datagram d;
    int n = 0;
    mrtc_time last = 0;
    while (sim_net_poll(net, MRTC_SEC(1), &d)) {
        CHECK(d.at >= last);
        last = d.at;
        n++;
    }
    CHECK_EQ(n, 20 - (int)st->queue_dropped);
    sim_net_set_blackhole(net, &t.remote, true);
    sim_net_send(net, MRTC_SEC(2), &t);
    CHECK_EQ(st->blackholed, 1);
    sim_net_set_blackhole(net, &t.remote, false);
    l.loss = 0.5;
    l.bandwidth_bps = 0;
    sim_net_set_link(net, &t.local, &t.remote, &l);
    for (int i = 0; i < 1000; i++)
        sim_net_send(net, MRTC_SEC(3), &t);
    CHECK(st->lost > 400 && st->lost < 600);
    sim_net_free(net);
}

int main(void)
{
    mrtc_log_configure(getenv("MESHRTC_LOG") ? getenv("MESHRTC_LOG") : "warn,ice=error");
    RUN(test_sim_link_model);
    RUN(test_connect);
    RUN(test_trickle_orders);
    RUN(test_loss);
    RUN(test_determinism);
    RUN(test_vanished_peer);
    RUN(test_restart);
    RUN(test_role_conflict);
    RUN(test_nat_and_stun_server);
    return test_finish();
}
