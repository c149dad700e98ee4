/* Closing data channels and PeerConnections, over the simulated network (tests/sim/sim.h)
 * with a virtual clock: whole PeerConnections with ICE, DTLS and SCTP end to end, each peer
 * a virtual I/O host (core/vio.h), the descriptions and candidates carried by a simulated
 * signaling channel (the world, its peers and channels: tests/sim/sim_dc.h). Covers:
 *   1. close semantics on both sides (queued messages delivered first, sends refused
 *      afterwards), a simultaneous close, a closed id reused, and a PeerConnection close
 *      (channels closed without callbacks, the peer's channels close);
 *   2. callbacks that call the API: echo from the message callback, sends from the open and
 *      datachannel callbacks, close from the open callback, pc close from a message callback;
 *   3. closing channels that are still connecting.
 * Channel kinds and negotiation are in test_dc_sim.c, loss and failures in
 * test_dc_sim_loss.c.
 * Every run is seeded and nothing sleeps, but runs are not bit-for-bit reproducible: the DTLS
 * handshake and usrsctp draw from their own random sources, so packet sizes and SCTP timer
 * jitter differ from run to run; the checks hold for every run. MESHRTC_LOG=debug shows the
 * library's view; MESHRTC_SIM_TEST=name runs only the tests whose name contains it. */
#include "unit/test.h"

#include "meshrtc.h"
#include "sim/sim.h"
#include "sim/sim_dc.h"

#include <stdint.h>

/* ---- 1. close semantics ------------------------------------------------------------------ */

#define CLOSE_QUEUED 100 /* 1.6 MB: more than the SCTP send buffer takes at once */
#define CLOSE_MSG 16000

static bool closed_pair(sim_dc_world *w, sim_dc_chan *a, sim_dc_chan *b)
{
    (void)w;
    return a->n_close == 1 && b->n_close == 1;
}

static sim_dc_chan *g_ca, *g_cb;
static bool g_closed_pair(sim_dc_world *w)
{
    return closed_pair(w, g_ca, g_cb);
}

static bool four_remote(sim_dc_world *w)
{
    return sim_dc_both_connected(w) && w->p[1].n_datachannel >= 4 && w->p[0].n_datachannel >= 1 &&
           sim_dc_all_open(w);
}

/* Closes `closer` with CLOSE_QUEUED messages still queued and checks both sides. */
static void close_one(sim_dc_world *w, sim_dc_chan *closer, sim_dc_chan *other)
{
    for (int k = 0; k < CLOSE_QUEUED; k++) {
        sim_dc_stream_fill(500 + (uint64_t)k, 0, sim_dc_scratch, CLOSE_MSG);
        CHECK_EQ(mrtc_datachannel_send(closer->dc, sim_dc_scratch, CLOSE_MSG, true), 0);
    }
    size_t queued = mrtc_datachannel_buffered_amount(closer->dc);
    CHECK(queued > 0 && queued <= (size_t)CLOSE_QUEUED * CLOSE_MSG);
    printf("  closing %s (pc%d) with bufferedAmount %zu\n", closer->label, closer->side, queued);
    mrtc_datachannel_close(closer->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(closer->dc), MRTC_DATACHANNEL_CLOSING);
    /* Refused after close, and nothing queued; a second close is a no-op. */
    CHECK_EQ(mrtc_datachannel_send_text(closer->dc, "after close"), MRTC_ESTATE);
    CHECK_EQ(mrtc_datachannel_send(closer->dc, sim_dc_scratch, 0, true), MRTC_ESTATE);
    CHECK_EQ(mrtc_datachannel_buffered_amount(closer->dc), queued);
    mrtc_datachannel_close(closer->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(closer->dc), MRTC_DATACHANNEL_CLOSING);
    /* The other side can still send while the closer drains (its direction is open). */
    g_ca = closer;
    g_cb = other;
    bool ok = sim_dc_run_until(w, MRTC_SEC(20), g_closed_pair);
    if (!ok)
        fprintf(stderr, "  close of %s (pc%d) did not complete: closer '%s', other '%s'\n",
                closer->label, closer->side, closer->events, other->events);
    CHECK(ok);
    /* The closer: "closing" at once (no closing event: W3C fires it only when the closing
     * procedure was not started by close()), then close; the other side: closing then
     * close, after every queued message. */
    CHECK_EQ(closer->n_closing, 0);
    CHECK_EQ(closer->n_close, 1);
    CHECK_EQ(other->n_closing, 1);
    CHECK_EQ(other->n_close, 1);
    CHECK(strchr(other->events, 'g') && strchr(other->events, 'g') < strchr(other->events, 'c'));
    CHECK_EQ(other->msgs_at_closing, CLOSE_QUEUED);
    CHECK_EQ(other->msgs_at_close, CLOSE_QUEUED);
    CHECK_EQ(closer->buffered_at_close, 0);
    CHECK_EQ(other->n_msgs, CLOSE_QUEUED);
    for (size_t k = 0; k < other->n_msgs && k < CLOSE_QUEUED; k++) {
        sim_dc_stream_fill(500 + (uint64_t)k, 0, sim_dc_scratch, CLOSE_MSG);
        CHECK(other->msgs[k].len == CLOSE_MSG &&
              !memcmp(other->msgs[k].data, sim_dc_scratch, CLOSE_MSG));
    }
    CHECK_EQ(closer->n_error + other->n_error, 0);
    CHECK(closer->dc == NULL && other->dc == NULL);
}

static bool remote_closed(sim_dc_world *w)
{
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].side == 1 && w->chans[i].n_close == 0)
            return false;
    return true;
}

static void test_close(void)
{
    double t0 = sim_dc_wall_now();
    sim_dc_world w;
    sim_dc_world_init(&w, 51, NULL);
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    sim_dc_chan *a = sim_dc_chan_create(&w, 0, "closed-by-offerer", &init);
    sim_dc_chan *b = sim_dc_chan_create(&w, 0, "closed-by-answerer", &init);
    sim_dc_chan *k = sim_dc_chan_create(&w, 0, "keep", &init);
    init.ordered = false;
    sim_dc_chan *k2 = sim_dc_chan_create(&w, 0, "keep-unordered", &init);
    if (!a || !b || !k || !k2) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    w.want_remote[0] = 0;
    w.want_remote[1] = 4;
    CHECK(sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_all_open));
    /* An answerer-created channel, to be closed by the offerer's side too. */
    mrtc_datachannel_init_defaults(&init);
    sim_dc_chan *c1 = sim_dc_chan_create(&w, 1, "from-answerer", &init);
    w.want_remote[0] = 1;
    CHECK(c1 && sim_dc_run_until(&w, MRTC_SEC(5), four_remote));
    sim_dc_chan *ar = sim_dc_chan_remote(&w, 1, "closed-by-offerer");
    sim_dc_chan *br = sim_dc_chan_remote(&w, 1, "closed-by-answerer");
    sim_dc_chan *c1r = sim_dc_chan_remote(&w, 0, "from-answerer");
    if (!ar || !br || !c1r) {
        CHECK(0);
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    int32_t ida = mrtc_datachannel_id(a->dc);

    close_one(&w, a, ar);   /* the creator closes */
    close_one(&w, br, b);   /* the side that received the DCEP OPEN closes */
    close_one(&w, c1r, c1); /* the offerer closes a channel the answerer opened */

    /* Both sides close at once. */
    mrtc_datachannel_init_defaults(&init);
    sim_dc_chan *both = sim_dc_chan_create(&w, 0, "both-close", &init);
    w.want_remote[1] = 5;
    CHECK(both && sim_dc_run_until(&w, MRTC_SEC(5), sim_dc_all_open));
    sim_dc_chan *bothr = sim_dc_chan_remote(&w, 1, "both-close");
    if (both && bothr) {
        CHECK_EQ(mrtc_datachannel_send_text(both->dc, "last words"), 0);
        mrtc_datachannel_close(both->dc);
        mrtc_datachannel_close(bothr->dc);
        CHECK_EQ(mrtc_datachannel_ready_state(bothr->dc), MRTC_DATACHANNEL_CLOSING);
        g_ca = both;
        g_cb = bothr;
        CHECK(sim_dc_run_until(&w, MRTC_SEC(10), g_closed_pair));
        CHECK_EQ(both->n_close, 1);
        CHECK_EQ(bothr->n_close, 1);
        CHECK(bothr->n_msgs <= 1);
        printf("  simultaneous close: message before close %s\n",
               bothr->n_msgs == 1 ? "delivered" : "not delivered");
    }
    /* A closed id is reusable: a new channel opens (possibly on the same id). */
    mrtc_datachannel_init_defaults(&init);
    sim_dc_chan *again = sim_dc_chan_create(&w, 0, "again", &init);
    w.want_remote[1] = 6;
    CHECK(again && sim_dc_run_until(&w, MRTC_SEC(5), sim_dc_all_open));
    if (again && again->dc)
        printf("  closed id %d, new channel got id %d\n", ida, mrtc_datachannel_id(again->dc));

    /* Closing the PeerConnection: the channels go "closed" at once, with no callback. */
    CHECK_EQ(mrtc_datachannel_send(k->dc, sim_dc_scratch, 10000, true), 0);
    int counts_before = 0;
    for (size_t i = 0; i < w.n_chans; i++)
        if (w.chans[i].side == 0)
            counts_before += w.chans[i].n_open + w.chans[i].n_msg + w.chans[i].n_closing +
                             w.chans[i].n_close + w.chans[i].n_error + w.chans[i].n_low;
    mrtc_datachannel *kdc = k->dc, *k2dc = k2->dc;
    w.p[0].closing = true;
    CHECK_EQ(mrtc_pc_close(w.p[0].pc, sim_dc_close_cb), 0);
    CHECK_EQ(mrtc_pc_close(w.p[0].pc, sim_dc_close_cb), MRTC_ECLOSED);
    CHECK_EQ(mrtc_datachannel_ready_state(kdc), MRTC_DATACHANNEL_CLOSED);
    CHECK_EQ(mrtc_datachannel_ready_state(k2dc), MRTC_DATACHANNEL_CLOSED);
    CHECK_EQ(mrtc_datachannel_send_text(kdc, "after pc close"), MRTC_ESTATE);
    mrtc_datachannel_close(kdc); /* a no-op */
    mrtc_datachannel *bad = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "late", NULL, &bad), MRTC_ECLOSED);
    CHECK(bad == NULL);
    mrtc_time closed_at = w.clock;
    /* The peer learns: its channels close (SCTP ABORT/SHUTDOWN or DTLS close_notify). */
    bool peer_closed = sim_dc_run_until(&w, MRTC_SEC(40), remote_closed);
    CHECK_EQ(w.p[0].n_close_cb, 1);
    CHECK(w.p[0].pc == NULL);
    CHECK_EQ(w.p[0].n_late_callbacks, 0);
    int counts_after = 0;
    for (size_t i = 0; i < w.n_chans; i++)
        if (w.chans[i].side == 0)
            counts_after += w.chans[i].n_open + w.chans[i].n_msg + w.chans[i].n_closing +
                            w.chans[i].n_close + w.chans[i].n_error + w.chans[i].n_low;
    CHECK_EQ(counts_after, counts_before);
    mrtc_dtls_transport_state ds = MRTC_DTLS_TRANSPORT_NEW;
    mrtc_pc_get_dtls_transport(w.p[1].pc, &ds, NULL, 0);
    printf("  pc0 closed: pc1's channels %s after %.3f s virtual; pc1 dtls %s, connection %s\n",
           peer_closed ? "closed" : "NOT closed", (double)(w.clock - closed_at) / 1e6,
           mrtc_dtls_transport_state_name(ds),
           mrtc_connection_state_name(mrtc_pc_connection_state(w.p[1].pc)));
    if (!peer_closed)
        for (size_t i = 0; i < w.n_chans; i++)
            if (w.chans[i].side == 1)
                fprintf(stderr, "  pc1 %s: events '%s'\n", w.chans[i].label, w.chans[i].events);
    CHECK(peer_closed);
    printf("  close semantics: %.2f s virtual, %.2f s wall\n", (double)w.clock / 1e6,
           sim_dc_wall_now() - t0);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

/* ---- 2. callbacks that call the API ------------------------------------------------------ */

#define PINGS 50

/* pc1: echoes every message from inside the message callback; "bye" closes the whole
 * PeerConnection from inside it. */
static void echo_msg(sim_dc_chan *c, const uint8_t *data, size_t len, bool binary)
{
    sim_dc_peer *p = &c->w->p[c->side];
    if (len == 3 && !binary && !memcmp(data, "bye", 3)) {
        p->closing = true;
        CHECK_EQ(mrtc_pc_close(p->pc, sim_dc_close_cb), 0);
        return;
    }
    CHECK_EQ(mrtc_datachannel_send(c->dc, len ? data : NULL, len, binary), 0);
}

/* pc0: ping n goes out when the echo of ping n-1 came back. */
static void ping_next(sim_dc_chan *c)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "ping %d", c->n_msg);
    CHECK_EQ(mrtc_datachannel_send(c->dc, buf, (size_t)n, false), 0);
}

static void ping_open(sim_dc_chan *c)
{
    ping_next(c);
}

static void ping_msg(sim_dc_chan *c, const uint8_t *data, size_t len, bool binary)
{
    char want[32];
    int n = snprintf(want, sizeof want, "ping %d", c->n_msg - 1);
    CHECK(!binary && len == (size_t)n && !memcmp(data, want, len));
    if (c->n_msg < PINGS)
        ping_next(c);
}

static void close_on_open(sim_dc_chan *c)
{
    mrtc_datachannel_close(c->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(c->dc), MRTC_DATACHANNEL_CLOSING);
}

static void send_five_on_open(sim_dc_chan *c)
{
    for (int k = 0; k < 5; k++) {
        char buf[32];
        snprintf(buf, sizeof buf, "early %d", k);
        CHECK_EQ(mrtc_datachannel_send_text(c->dc, buf), 0);
    }
}

/* pc1's datachannel callback: sends at once on "early" (an announced channel is open),
 * echoes on "echo", closes "closer-remote" from its open callback. */
static void reentrant_remote(sim_dc_world *w, sim_dc_chan *c)
{
    (void)w;
    if (!strcmp(c->label, "early")) {
        for (int k = 0; k < 3; k++) {
            char buf[32];
            snprintf(buf, sizeof buf, "answer %d", k);
            CHECK_EQ(mrtc_datachannel_send_text(c->dc, buf), 0);
        }
    } else if (!strcmp(c->label, "echo")) {
        c->msg_hook = echo_msg;
    } else if (!strcmp(c->label, "closer-remote")) {
        c->open_hook = close_on_open;
    }
}

static sim_dc_chan *g_echo, *g_early, *g_self, *g_cremote;

static bool reentrant_done(sim_dc_world *w)
{
    sim_dc_chan *er = sim_dc_chan_remote(w, 1, "early");
    return g_echo->n_msg >= PINGS && er && er->n_msg >= 5 && g_early->n_msg >= 3 &&
           g_self->n_close == 1 && g_cremote->n_close == 1;
}

static bool pc1_gone_pc0_chans_closed(sim_dc_world *w)
{
    return !w->p[1].pc && g_echo->n_close == 1 && g_early->n_close == 1;
}

static void test_reentrant_callbacks(void)
{
    double t0 = sim_dc_wall_now();
    sim_dc_world w;
    sim_dc_world_init(&w, 81, NULL);
    w.remote_hook = reentrant_remote;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    g_echo = sim_dc_chan_create(&w, 0, "echo", &init);
    g_early = sim_dc_chan_create(&w, 0, "early", &init);
    g_self = sim_dc_chan_create(&w, 0, "self-close", &init);
    g_cremote = sim_dc_chan_create(&w, 0, "closer-remote", &init);
    if (!g_echo || !g_early || !g_self || !g_cremote) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    g_echo->open_hook = ping_open;
    g_echo->msg_hook = ping_msg;
    g_early->open_hook = send_five_on_open;
    g_self->open_hook = close_on_open;
    bool ok = sim_dc_run_until(&w, MRTC_SEC(20), reentrant_done);
    if (!ok)
        for (size_t i = 0; i < w.n_chans; i++)
            fprintf(stderr, "  pc%d %s: events '%s', %d messages\n", w.chans[i].side,
                    w.chans[i].label, w.chans[i].events, w.chans[i].n_msg);
    CHECK(ok);
    /* Sent from the open callback / the datachannel callback: all arrive, in order, after
     * the channel's open event. */
    sim_dc_chan *er = sim_dc_chan_remote(&w, 1, "early");
    CHECK(er != NULL);
    if (er) {
        CHECK_STR(er->events, "ommmmm");
        for (size_t k = 0; k < er->n_msgs && k < 5; k++) {
            char want[32];
            snprintf(want, sizeof want, "early %zu", k);
            CHECK(er->msgs[k].len == strlen(want) &&
                  !memcmp(er->msgs[k].data, want, er->msgs[k].len));
        }
    }
    CHECK_STR(g_early->events, "ommm");
    CHECK_EQ(g_echo->n_msg, PINGS);
    /* Closed from its own open callback: open, then close (no closing event for a local
     * close); the peer saw closing then close. Closed by the peer from its open callback:
     * closing then close here. */
    CHECK_STR(g_self->events, "oc");
    sim_dc_chan *sr = sim_dc_chan_remote(&w, 1, "self-close");
    if (sr)
        CHECK_EQ(sr->n_close, 1);
    CHECK_STR(g_cremote->events, "ogc");
    sim_dc_chan *cr = sim_dc_chan_remote(&w, 1, "closer-remote");
    CHECK(cr != NULL);
    if (cr)
        CHECK_STR(cr->events, "oc");
    /* pc1 closes its PeerConnection from inside a message callback. */
    CHECK_EQ(mrtc_datachannel_send_text(g_echo->dc, "bye"), 0);
    ok = sim_dc_run_until(&w, MRTC_SEC(40), pc1_gone_pc0_chans_closed);
    if (!ok)
        fprintf(stderr, "  after pc1 closed: pc1 %s, echo '%s', early '%s'\n",
                w.p[1].pc ? "alive" : "gone", g_echo->events, g_early->events);
    CHECK(ok);
    CHECK_EQ(w.p[1].n_close_cb, 1);
    CHECK_EQ(w.p[1].n_late_callbacks, 0);
    printf("  re-entrant callbacks: %.2f s virtual, %.2f s wall\n", (double)w.clock / 1e6,
           sim_dc_wall_now() - t0);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

/* ---- 3. closing a channel that is still connecting ---------------------------------------- */

static sim_dc_chan *g_doomed, *g_alive, *g_doomed_neg;

static bool alive_open(sim_dc_world *w)
{
    return sim_dc_both_connected(w) && g_alive->n_open == 1 && w->p[1].n_datachannel >= 1 &&
           g_doomed->n_close == 1 && g_doomed_neg->n_close == 1;
}

static void test_close_while_connecting(void)
{
    sim_dc_world w;
    sim_dc_world_init(&w, 91, NULL);
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    g_doomed = sim_dc_chan_create(&w, 0, "doomed", &init);
    init.negotiated = true;
    init.id = 8;
    g_doomed_neg = sim_dc_chan_create(&w, 0, "doomed-negotiated", &init);
    if (!g_doomed || !g_doomed_neg) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    mrtc_datachannel_close(g_doomed->dc);
    mrtc_datachannel_close(g_doomed_neg->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(g_doomed->dc), MRTC_DATACHANNEL_CLOSING);
    CHECK_EQ(mrtc_datachannel_send_text(g_doomed->dc, "x"), MRTC_ESTATE);
    mrtc_datachannel_init_defaults(&init);
    g_alive = sim_dc_chan_create(&w, 0, "alive", &init);
    if (!g_alive) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    bool ok = sim_dc_run_until(&w, MRTC_SEC(20), alive_open);
    if (!ok)
        fprintf(stderr, "  doomed '%s', doomed-negotiated '%s', alive '%s'\n", g_doomed->events,
                g_doomed_neg->events, g_alive->events);
    CHECK(ok);
    sim_dc_run_for(&w, MRTC_SEC(2));
    CHECK_STR(g_doomed->events, "c");
    CHECK_STR(g_doomed_neg->events, "c");
    CHECK_EQ(w.p[1].n_datachannel, 1); /* only "alive" */
    CHECK(sim_dc_chan_remote(&w, 1, "alive") != NULL);
    /* The negotiated id is free again. */
    init.negotiated = true;
    init.id = 8;
    sim_dc_chan *again = sim_dc_chan_create(&w, 0, "negotiated-again", &init);
    CHECK(again && again->dc && mrtc_datachannel_id(again->dc) == 8);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}


int main(void)
{
    double t0 = sim_dc_wall_now();
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the report in order with stderr */
    RUN_IF(test_close);
    RUN_IF(test_reentrant_callbacks);
    RUN_IF(test_close_while_connecting);
    printf("  total %.2f s wall\n", sim_dc_wall_now() - t0);
    return test_finish();
}
