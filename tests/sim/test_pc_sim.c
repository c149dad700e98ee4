/* Whole PeerConnections over the simulated network (tests/sim/sim.h) with a virtual clock:
 * each peer is a virtual I/O host (core/vio.h) with one address; the offer, the answer and
 * the trickled candidates travel through the callbacks as a signaling server would carry
 * them (with a signaling delay), and the ICE checks travel through the simulated network.
 * Covers: a full offer/answer reaching ICE connected on both sides, the same with 20% loss
 * both ways, an ICE restart (new credentials, connected again, traffic never interrupted),
 * and that the connection state stays "connecting" (no DTLS yet). No sleeping. */
#include "unit/test.h"

#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc/error.h"
#include "sim/sim.h"

#define MAX_MSGS 256

/* A signaling message in flight (offer/answer/candidate) with its delivery time. */
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
    mrtc_connection_state conn;
    int n_candidates;
    int n_end_of_candidates;
    int n_ice_states;
    mrtc_ice_connection_state ice_states[32];
    bool polite;
} peer;

typedef struct world {
    mrtc_time clock;
    sim_net *net;
    peer p[2];
    msg msgs[MAX_MSGS];
    size_t n_msgs;
    mrtc_time signal_delay;
} world;

static world *W;

static void post_msg(int to, int kind, mrtc_description_type type, const char *text,
                     const char *mid, int index)
{
    if (W->n_msgs == MAX_MSGS)
        return;
    msg *m = &W->msgs[W->n_msgs++];
    *m = (msg){
        .to = to, .at = W->clock + W->signal_delay, .kind = kind, .type = type, .index = index};
    m->text = text ? mrtc_strdup(text) : NULL;
    snprintf(m->mid, sizeof m->mid, "%s", mid ? mid : "");
}

static void net_send(void *user, const mrtc_transmit *t)
{
    (void)user;
    sim_net_send(W->net, W->clock, t);
}

static peer *peer_of(mrtc_pc *pc)
{
    return mrtc_pc_user(pc);
}

/* Sends the local description to the other side (perfect negotiation style:
 * setLocalDescription() then signal localDescription). */
static void send_local(peer *p)
{
    char *sdp = NULL;
    mrtc_description_type type;
    CHECK_EQ(mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp), 0);
    post_msg(1 - p->id, 0, type, sdp, NULL, -1);
    mrtc_string_free(sdp);
}

static void on_negotiation_needed(mrtc_pc *pc, void *user)
{
    peer *p = user;
    CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    send_local(p);
}

static void on_candidate(mrtc_pc *pc, const char *cand, const char *mid, int index, void *user)
{
    peer *p = user;
    (void)pc;
    if (cand) {
        p->n_candidates++;
        post_msg(1 - p->id, 1, MRTC_DESCRIPTION_NONE, cand, mid, index);
    } else {
        p->n_end_of_candidates++;
        post_msg(1 - p->id, 2, MRTC_DESCRIPTION_NONE, NULL, NULL, -1);
    }
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state s, void *user)
{
    peer *p = user;
    (void)pc;
    p->ice = s;
    if (p->n_ice_states < 32)
        p->ice_states[p->n_ice_states++] = s;
}

static void on_conn(mrtc_pc *pc, mrtc_connection_state s, void *user)
{
    peer_of(pc)->conn = s;
    (void)user;
}

static const mrtc_pc_callbacks callbacks = {
    .negotiation_needed = on_negotiation_needed,
    .ice_candidate = on_candidate,
    .ice_connection_state_change = on_ice,
    .connection_state_change = on_conn,
};

static void deliver_msg(msg *m)
{
    peer *p = &W->p[m->to];
    if (m->kind == 0) {
        if (m->type == MRTC_DESCRIPTION_OFFER &&
            mrtc_pc_signaling_state(p->pc) == MRTC_SIGNALING_HAVE_LOCAL_OFFER && !p->polite) {
            /* impolite side ignores the colliding offer */
        } else {
            int err = mrtc_pc_set_remote_description(p->pc, m->type, m->text);
            if (err)
                fprintf(stderr, "SRD failed: %s\n", mrtc_pc_last_error(p->pc));
            CHECK_EQ(err, 0);
            if (m->type == MRTC_DESCRIPTION_OFFER) {
                CHECK_EQ(mrtc_pc_set_local_description(p->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
                send_local(p);
            }
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

static void world_init(world *w, uint64_t seed, double loss)
{
    memset(w, 0, sizeof *w);
    W = w;
    w->net = sim_net_new(seed);
    w->signal_delay = MRTC_MSEC(30);
    sim_link link;
    sim_link_init(&link);
    link.loss = loss;
    link.delay = MRTC_MSEC(10);
    link.jitter = MRTC_MSEC(5);
    sim_net_set_default_link(w->net, &link);
    for (int i = 0; i < 2; i++) {
        peer *p = &w->p[i];
        p->id = i;
        p->polite = i == 1;
        mrtc_io_ifaddr ifa = {.name = "eth0"};
        char ip[32];
        snprintf(ip, sizeof ip, "10.0.0.%d", i + 1);
        mrtc_addr_parse_ip(&ifa.addr, ip, 0);
        mrtc_vio_config cfg;
        mrtc_vio_config_init(&cfg);
        cfg.clock = &w->clock;
        cfg.ifaddrs = &ifa;
        cfg.n_ifaddrs = 1;
        cfg.send = net_send;
        cfg.seed = seed * 2 + (uint64_t)i;
        CHECK_EQ(mrtc_vio_new(&cfg, &p->vio), 0);
        CHECK_EQ(mrtc_pc_create(mrtc_vio_io(p->vio), NULL, &callbacks, p, &p->pc), 0);
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

/* One step of the event loop: advance the virtual clock to the next network delivery,
 * signaling message or PeerConnection deadline and handle everything due. */
static bool world_step(world *w, mrtc_time until)
{
    mrtc_time next = sim_net_next_delivery(w->net);
    for (int i = 0; i < 2; i++)
        next = mrtc_time_min(next, mrtc_vio_next_timeout(w->p[i].vio));
    for (size_t i = 0; i < w->n_msgs; i++) {
        if (w->msgs[i].text || w->msgs[i].kind == 2 || w->msgs[i].kind == 1)
            if (w->msgs[i].at != MRTC_TIME_NEVER)
                next = mrtc_time_min(next, w->msgs[i].at);
    }
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

/* ICE "connected" or "completed" (the controlling agent completes after nominating). */
static bool is_up(mrtc_ice_connection_state s)
{
    return s == MRTC_ICE_CONNECTION_CONNECTED || s == MRTC_ICE_CONNECTION_COMPLETED;
}

static bool both_connected(const world *w)
{
    return is_up(w->p[0].ice) && is_up(w->p[1].ice) &&
           is_up(mrtc_pc_ice_connection_state(w->p[0].pc)) &&
           is_up(mrtc_pc_ice_connection_state(w->p[1].pc));
}

/* Runs until both sides are ICE connected or `limit` of virtual time passed. */
static bool run_until_connected(world *w, mrtc_time limit)
{
    mrtc_time until = w->clock + limit;
    while (!both_connected(w)) {
        if (!world_step(w, until))
            return false;
    }
    return true;
}

static void start_call(world *w)
{
    /* The offerer adds audio and video; negotiation-needed does the rest. */
    CHECK_EQ(mrtc_pc_add_transceiver(w->p[0].pc, MRTC_MEDIA_AUDIO, NULL, NULL), 0);
    CHECK_EQ(mrtc_pc_add_transceiver(w->p[0].pc, MRTC_MEDIA_VIDEO, NULL, NULL), 0);
    CHECK_EQ(mrtc_pc_add_data_section(w->p[0].pc), 0);
}

/* Both sides have a host -> host pair; `controlling` is the side that offered last. */
static void check_selected_pair(const world *w, int controlling)
{
    for (int i = 0; i < 2; i++) {
        mrtc_ice_transport_info info;
        CHECK_EQ(mrtc_pc_get_ice_transport(w->p[i].pc, &info), 0);
        CHECK(info.has_selected_pair);
        CHECK_STR(info.local.address, i == 0 ? "10.0.0.1" : "10.0.0.2");
        CHECK_STR(info.remote.address, i == 0 ? "10.0.0.2" : "10.0.0.1");
        CHECK_STR(info.local.protocol, "udp");
        CHECK_STR(info.local.type, "host");
        CHECK_STR(info.role, i == controlling ? "controlling" : "controlled");
        /* checked as soon as ICE connects: DTLS has started, it may not be done */
        CHECK(info.dtls_state == MRTC_DTLS_TRANSPORT_CONNECTING ||
              info.dtls_state == MRTC_DTLS_TRANSPORT_CONNECTED);
    }
}

static void test_connect(void)
{
    world w;
    world_init(&w, 1, 0.0);
    start_call(&w);
    CHECK(run_until_connected(&w, MRTC_SEC(10)));
    CHECK_EQ(mrtc_pc_signaling_state(w.p[0].pc), MRTC_SIGNALING_STABLE);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[1].pc), MRTC_SIGNALING_STABLE);
    /* checking came before connected, on both sides */
    for (int i = 0; i < 2; i++) {
        CHECK(w.p[i].n_ice_states >= 2);
        CHECK_EQ(w.p[i].ice_states[0], MRTC_ICE_CONNECTION_CHECKING);
        CHECK(w.p[i].n_candidates >= 1);
        CHECK_EQ(w.p[i].n_end_of_candidates, 1);
        /* No DTLS yet: the connection state is honest and stops at connecting. */
        CHECK_EQ(mrtc_pc_connection_state(w.p[i].pc), MRTC_CONNECTION_CONNECTING);
        CHECK_EQ(w.p[i].conn, MRTC_CONNECTION_CONNECTING);
    }
    check_selected_pair(&w, 0);
    /* The answerer got a transceiver per offered media m-section. */
    CHECK_EQ(mrtc_pc_transceiver_count(w.p[1].pc), 2);
    CHECK_STR(mrtc_transceiver_mid(mrtc_pc_transceiver_at(w.p[1].pc, 0)), "0");
    CHECK_STR(mrtc_transceiver_mid(mrtc_pc_transceiver_at(w.p[1].pc, 1)), "1");
    /* Stays connected (consent freshness) for a while. */
    mrtc_time until = w.clock + MRTC_SEC(30);
    while (world_step(&w, until))
        ;
    CHECK(both_connected(&w));
    world_free(&w);
}

/* 20% loss both ways (signaling is reliable, as over a WebSocket): every one of ten seeds
 * connects, and stays connected through consent checks for 20 virtual seconds. */
static void test_connect_lossy(void)
{
    uint64_t lost = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        world w;
        world_init(&w, seed, 0.2);
        start_call(&w);
        bool ok = run_until_connected(&w, MRTC_SEC(30));
        if (!ok)
            fprintf(stderr, "seed %llu did not connect\n", (unsigned long long)seed);
        CHECK(ok);
        check_selected_pair(&w, 0);
        mrtc_time until = w.clock + MRTC_SEC(20);
        while (world_step(&w, until))
            ;
        CHECK(both_connected(&w));
        lost += sim_net_get_stats(w.net)->lost;
        world_free(&w);
    }
    CHECK(lost > 0);
}

static void ice_restart(int who)
{
    world w;
    world_init(&w, 3, 0.0);
    start_call(&w);
    CHECK(run_until_connected(&w, MRTC_SEC(10)));
    char *before = NULL, *after = NULL;
    CHECK_EQ(mrtc_pc_get_description(w.p[who].pc, MRTC_CURRENT_LOCAL_DESCRIPTION, NULL, &before),
             0);
    int states_before = w.p[0].n_ice_states;
    CHECK_EQ(mrtc_pc_restart_ice(w.p[who].pc), 0);
    /* negotiation-needed -> restart offer -> answer -> new checks, for 5 virtual seconds */
    mrtc_time until = w.clock + MRTC_SEC(5);
    while (world_step(&w, until))
        ;
    CHECK(both_connected(&w));
    CHECK_EQ(mrtc_pc_signaling_state(w.p[0].pc), MRTC_SIGNALING_STABLE);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[1].pc), MRTC_SIGNALING_STABLE);
    CHECK_EQ(mrtc_pc_get_description(w.p[who].pc, MRTC_CURRENT_LOCAL_DESCRIPTION, NULL, &after), 0);
    /* New credentials in the renegotiated description. */
    const char *u1 = before ? strstr(before, "a=ice-ufrag:") : NULL;
    const char *u2 = after ? strstr(after, "a=ice-ufrag:") : NULL;
    CHECK(u1 && u2);
    if (u1 && u2)
        CHECK(strncmp(u1, u2, strcspn(u1, "\r\n")) != 0);
    /* The transport never left connected while the new checks ran. */
    for (int i = states_before; i < w.p[0].n_ice_states; i++)
        CHECK(is_up(w.p[0].ice_states[i]));
    check_selected_pair(&w, who);
    mrtc_string_free(before);
    mrtc_string_free(after);
    world_free(&w);
}

static void test_ice_restart(void)
{
    ice_restart(0);
}

/* The answerer of the first negotiation restarts: it offers now (and becomes controlling
 * for the new generation). */
static void test_ice_restart_by_answerer(void)
{
    ice_restart(1);
}

int main(void)
{
    RUN(test_connect);
    RUN(test_connect_lossy);
    RUN(test_ice_restart);
    RUN(test_ice_restart_by_answerer);
    return test_finish();
}
