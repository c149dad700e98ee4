/* A browser's mDNS host candidates over the simulated network (tests/sim/sim.h): peer 1 plays
 * the browser, every candidate it signals (SDP and trickle) carries "<uuid>.local" instead of
 * its address; peer 0 is meshrtc resolving it (core/pc_mdns.c) through its virtual I/O host
 * (core/vio.h), with two interfaces of which the ICE allow-list keeps one.
 *   - resolved: the network's mDNS responder answers; ICE connects to the resolved host
 *     address (remote candidate type host), queries left only through the allowed
 *     interface, and an ICE restart by the browser reuses the answer (no new query);
 *   - unanswered: nobody answers; ICE still connects through the peer-reflexive candidate the
 *     browser's checks create, the queries stop after three (0, 1, 3 s) and the candidate is
 *     dropped at 5 s without disturbing the connection.
 * No sleeping: virtual clock. */
#include "unit/test.h"

#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc/error.h"
#include "sim/sim.h"

#define MAX_MSGS 256
#define NAME "1f4712db-ea17-4bcf-a596-105139dfd8bf.local"

typedef struct msg {
    int to;
    mrtc_time at;
    int kind; /* 0 description, 1 candidate, 2 end of candidates */
    mrtc_description_type type;
    char *text;
    char mid[8];
    int index;
} msg;

typedef struct peer {
    int id;
    mrtc_vio *vio;
    mrtc_pc *pc;
    mrtc_ice_connection_state ice;
    bool ever_failed;
} peer;

typedef struct world {
    mrtc_time clock;
    sim_net *net;
    peer p[2];
    msg msgs[MAX_MSGS];
    size_t n_msgs;
    unsigned queries_allowed, queries_other; /* mDNS queries by source interface */
} world;

static world *W;

/* The browser's obfuscation: its address in candidates becomes NAME. */
static char *mask_address(const char *text)
{
    static const char ip[] = " 10.0.0.2 ";
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, ip)); p += sizeof ip - 1)
        n++;
    char *out = mrtc_malloc(strlen(text) + n * strlen(NAME) + 1);
    if (!out)
        return NULL;
    char *o = out;
    const char *p = text, *hit;
    while ((hit = strstr(p, ip))) {
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        o += sprintf(o, " %s ", NAME);
        p = hit + sizeof ip - 1;
    }
    strcpy(o, p);
    return out;
}

static void post_msg(int from, int kind, mrtc_description_type type, const char *text,
                     const char *mid, int index)
{
    if (W->n_msgs == MAX_MSGS)
        return;
    msg *m = &W->msgs[W->n_msgs++];
    *m = (msg){.to = 1 - from, .at = W->clock + MRTC_MSEC(30), .kind = kind, .type = type,
               .index = index};
    m->text = text ? (from == 1 ? mask_address(text) : mrtc_strdup(text)) : NULL;
    snprintf(m->mid, sizeof m->mid, "%s", mid ? mid : "");
}

static void net_send(void *user, const mrtc_transmit *t)
{
    (void)user;
    sim_net_send(W->net, W->clock, t);
}

static bool watch_queries(void *user, const mrtc_transmit *t)
{
    (void)user;
    if (t->remote.port == 5353) {
        mrtc_addr allowed;
        mrtc_addr_parse_ip(&allowed, "10.0.0.1", 5353);
        if (mrtc_addr_eq(&t->local, &allowed))
            W->queries_allowed++;
        else
            W->queries_other++;
    }
    return false;
}

static void send_local(peer *p)
{
    char *sdp = NULL;
    mrtc_description_type type;
    CHECK_EQ(mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp), 0);
    post_msg(p->id, 0, type, sdp, NULL, -1);
    mrtc_string_free(sdp);
}

static void on_negotiation_needed(mrtc_pc *pc, void *user)
{
    CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    send_local(user);
}

static void on_candidate(mrtc_pc *pc, const char *cand, const char *mid, int index, void *user)
{
    peer *p = user;
    (void)pc;
    post_msg(p->id, cand ? 1 : 2, MRTC_DESCRIPTION_NONE, cand, mid, index);
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state s, void *user)
{
    peer *p = user;
    (void)pc;
    p->ice = s;
    if (s == MRTC_ICE_CONNECTION_FAILED)
        p->ever_failed = true;
}

static const mrtc_pc_callbacks callbacks = {
    .negotiation_needed = on_negotiation_needed,
    .ice_candidate = on_candidate,
    .ice_connection_state_change = on_ice,
};

static void deliver_msg(msg *m)
{
    peer *p = &W->p[m->to];
    if (m->kind == 0) {
        int err = mrtc_pc_set_remote_description(p->pc, m->type, m->text);
        if (err)
            fprintf(stderr, "SRD failed: %s\n", mrtc_pc_last_error(p->pc));
        CHECK_EQ(err, 0);
        if (m->type == MRTC_DESCRIPTION_OFFER) {
            CHECK_EQ(mrtc_pc_set_local_description(p->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
            send_local(p);
        }
    } else if (m->kind == 1) {
        int err = mrtc_pc_add_ice_candidate(p->pc, m->text, m->mid, m->index);
        if (err)
            fprintf(stderr, "addIceCandidate failed: %s\n", mrtc_pc_last_error(p->pc));
        CHECK_EQ(err, 0);
    } else {
        CHECK_EQ(mrtc_pc_add_ice_candidate(p->pc, NULL, NULL, -1), 0);
    }
    mrtc_free(m->text);
    m->text = NULL;
}

static void world_init(world *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    W = w;
    w->net = sim_net_new(seed);
    sim_net_set_drop_hook(w->net, watch_queries, NULL);
    for (int i = 0; i < 2; i++) {
        peer *p = &w->p[i];
        p->id = i;
        mrtc_io_ifaddr ifa[2] = {{.name = "eth0"}, {.name = "eth1"}};
        char ip[32];
        snprintf(ip, sizeof ip, "10.0.0.%d", i + 1);
        mrtc_addr_parse_ip(&ifa[0].addr, ip, 0);
        mrtc_addr_parse_ip(&ifa[1].addr, i == 0 ? "192.168.7.1" : "192.168.8.1", 0);
        mrtc_vio_config cfg;
        mrtc_vio_config_init(&cfg);
        cfg.clock = &w->clock;
        cfg.ifaddrs = ifa;
        cfg.n_ifaddrs = 2;
        cfg.send = net_send;
        cfg.seed = seed * 2 + (uint64_t)i;
        CHECK_EQ(mrtc_vio_new(&cfg, &p->vio), 0);
        static const char *const allow0[] = {"10.0.0.1"};
        static const char *const allow1[] = {"10.0.0.2"};
        mrtc_pc_config pcfg;
        mrtc_pc_config_init(&pcfg);
        pcfg.ice_interfaces = i == 0 ? allow0 : allow1;
        pcfg.n_ice_interfaces = 1;
        CHECK_EQ(mrtc_pc_create(mrtc_vio_io(p->vio), &pcfg, &callbacks, p, &p->pc), 0);
    }
}

static void world_free(world *w)
{
    for (size_t i = 0; i < w->n_msgs; i++)
        mrtc_free(w->msgs[i].text);
    for (int i = 0; i < 2; i++)
        mrtc_vio_free(w->p[i].vio);
    sim_net_free(w->net);
}

static bool world_step(world *w, mrtc_time until)
{
    mrtc_time next = sim_net_next_delivery(w->net);
    for (int i = 0; i < 2; i++)
        next = mrtc_time_min(next, mrtc_vio_next_timeout(w->p[i].vio));
    for (size_t i = 0; i < w->n_msgs; i++)
        next = mrtc_time_min(next, w->msgs[i].at);
    if (next == MRTC_TIME_NEVER || next > until)
        return false;
    if (next > w->clock)
        w->clock = next;
    sim_datagram d;
    while (sim_net_poll(w->net, w->clock, &d)) {
        for (int i = 0; i < 2; i++)
            mrtc_vio_deliver(w->p[i].vio, &d.to, &d.from, d.data, d.len);
    }
    for (size_t i = 0; i < w->n_msgs; i++) {
        msg *m = &w->msgs[i];
        if (m->at != MRTC_TIME_NEVER && m->at <= w->clock) {
            m->at = MRTC_TIME_NEVER;
            deliver_msg(m);
        }
    }
    for (int i = 0; i < 2; i++)
        mrtc_vio_run(w->p[i].vio);
    return true;
}

static bool is_up(mrtc_ice_connection_state s)
{
    return s == MRTC_ICE_CONNECTION_CONNECTED || s == MRTC_ICE_CONNECTION_COMPLETED;
}

static bool both_connected(const world *w)
{
    return is_up(w->p[0].ice) && is_up(w->p[1].ice);
}

static bool run_until_connected(world *w, mrtc_time limit)
{
    mrtc_time until = w->clock + limit;
    while (!both_connected(w)) {
        if (!world_step(w, until))
            return false;
    }
    return true;
}

static void run_for(world *w, mrtc_time d)
{
    mrtc_time until = w->clock + d;
    while (world_step(w, until))
        ;
}

/* The browser (peer 1) offers audio and a data channel. */
static void start_call(world *w)
{
    CHECK_EQ(mrtc_pc_add_transceiver(w->p[1].pc, MRTC_MEDIA_AUDIO, NULL, NULL), 0);
    CHECK_EQ(mrtc_pc_add_data_section(w->p[1].pc), 0);
}

/* Peer 0's selected pair: 10.0.0.1 -> 10.0.0.2 with a remote candidate of type `type`. */
static void check_pair(const world *w, const char *type)
{
    mrtc_ice_transport_info info;
    CHECK_EQ(mrtc_pc_get_ice_transport(w->p[0].pc, &info), 0);
    CHECK(info.has_selected_pair);
    CHECK_STR(info.local.address, "10.0.0.1");
    CHECK_STR(info.remote.address, "10.0.0.2");
    CHECK_STR(info.remote.type, type);
}

static void test_resolved(void)
{
    world w;
    world_init(&w, 7);
    mrtc_addr a;
    mrtc_addr_parse_ip(&a, "10.0.0.2", 0);
    CHECK_EQ(sim_net_add_mdns_name(w.net, "1F4712DB-ea17-4bcf-a596-105139dfd8bf.local", &a), 0);
    start_call(&w);
    CHECK(run_until_connected(&w, MRTC_SEC(5)));
    printf("resolved: connected at %.1f ms, %llu queries, %llu answers\n", w.clock / 1000.0,
           (unsigned long long)sim_net_get_stats(w.net)->mdns_queries,
           (unsigned long long)sim_net_get_stats(w.net)->mdns_answers);
    check_pair(&w, "host");
    CHECK(w.clock < MRTC_SEC(1));
    CHECK_U64(mrtc_vio_mdns_sent(w.p[0].vio), 1);
    CHECK_U64(mrtc_vio_mdns_sent(w.p[1].vio), 0); /* peer 0 signals plain addresses */
    CHECK_U64(sim_net_get_stats(w.net)->mdns_answers, 1);
    CHECK_EQ(w.queries_allowed, 1);
    CHECK_EQ(w.queries_other, 0); /* never out of the interface the allow-list excludes */

    /* The browser restarts ICE: the same name comes again and is resolved from memory. */
    CHECK_EQ(mrtc_pc_restart_ice(w.p[1].pc), 0);
    run_for(&w, MRTC_SEC(8));
    CHECK(both_connected(&w));
    check_pair(&w, "host");
    CHECK_U64(mrtc_vio_mdns_sent(w.p[0].vio), 1);
    CHECK(!w.p[0].ever_failed && !w.p[1].ever_failed);
    world_free(&w);
}

static void test_unanswered(void)
{
    world w;
    world_init(&w, 8);
    start_call(&w);
    CHECK(run_until_connected(&w, MRTC_SEC(5)));
    printf("unanswered: connected at %.1f ms through a peer-reflexive candidate\n",
           w.clock / 1000.0);
    check_pair(&w, "prflx");
    /* Queries at 0, 1 and 3 s, then the name is given up at 5 s; the call goes on. */
    run_for(&w, MRTC_SEC(10));
    CHECK_U64(mrtc_vio_mdns_sent(w.p[0].vio), 3);
    CHECK_U64(sim_net_get_stats(w.net)->mdns_queries, 3);
    CHECK_U64(sim_net_get_stats(w.net)->mdns_answers, 0);
    CHECK_EQ(w.queries_other, 0);
    CHECK(both_connected(&w));
    check_pair(&w, "prflx");
    CHECK(!w.p[0].ever_failed && !w.p[1].ever_failed);
    world_free(&w);
}

int main(void)
{
    RUN(test_resolved);
    RUN(test_unanswered);
    return test_finish();
}
