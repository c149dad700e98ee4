/* Data channels across loss and failures, over the simulated network (tests/sim/sim.h) with a
 * virtual clock: whole PeerConnections with ICE, DTLS and SCTP end to end, each peer a
 * virtual I/O host (core/vio.h), the descriptions and candidates carried by a simulated
 * signaling channel (the world, its peers and channels: tests/sim/sim_dc.h). Covers:
 *   1. a 20 MB reliable transfer under 5% loss, reordering, delay and jitter, paced by
 *      bufferedAmount and buffered_amount_low, arriving intact (SHA-256 and byte compare);
 *   2. partially reliable channels (maxRetransmits 0, maxPacketLifetime) across loss and
 *      duplication: some messages lost, none corrupted or duplicated;
 *   3. a peer that vanishes mid-transfer: disconnected, then failed, then silence on the
 *      pair (RFC 7675 consent expiry); everything freed;
 *   4. a fingerprint mismatch: DTLS and the connection fail, no channel opens;
 *   5. large messages on several channels at once, both ways, across light loss;
 *   6. ICE, DTLS and SCTP handshakes across 30% loss.
 * Channel kinds and negotiation are in test_dc_sim.c, closing in test_dc_sim_close.c.
 * Every run is seeded and nothing sleeps, but runs are not bit-for-bit reproducible: the DTLS
 * handshake and usrsctp draw from their own random sources, so packet sizes and SCTP timer
 * jitter differ from run to run; the checks hold for every run. MESHRTC_LOG=debug shows the
 * library's view; MESHRTC_SIM_TEST=name runs only the tests whose name contains it, and
 * MESHRTC_SIM_SEED=n only that seed of the partial reliability test. */
#include "unit/test.h"

#include "meshrtc.h"
#include "sim/sim.h"
#include "sim/sim_dc.h"

#include <openssl/evp.h>
#include <stdint.h>

/* ---- 1. a 20 MB transfer under loss ------------------------------------------------------ */

static void bulk_transfer(uint64_t seed)
{
    double t0 = sim_dc_wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.05;
    link.delay = MRTC_MSEC(15);
    link.jitter = MRTC_MSEC(3);
    link.reorder = 0.03;
    link.reorder_delay = MRTC_MSEC(10);
    link.bandwidth_bps = 100000000; /* 100 Mbit/s */
    link.queue_bytes = 1u << 20;
    sim_dc_world w;
    sim_dc_world_init(&w, seed, &link);
    const uint64_t total = 20ull << 20;
    if (!sim_dc_xfer_setup(&w, total, 0x2020 + seed)) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    mrtc_time start = w.clock;
    sim_dc_xfer_pump(w.bulk_tx);
    bool ok = sim_dc_run_until(&w, MRTC_SEC(900), sim_dc_xfer_done);
    if (!ok)
        fprintf(stderr,
                "  transfer stalled: %llu of %llu bytes received, %llu sent, buffered "
                "%zu, conn %s/%s\n",
                (unsigned long long)w.bulk_rx->rx_bytes, (unsigned long long)total,
                (unsigned long long)w.bulk_tx->tx->sent,
                w.bulk_tx->dc ? mrtc_datachannel_buffered_amount(w.bulk_tx->dc) : 0,
                mrtc_connection_state_name(mrtc_pc_connection_state(w.p[0].pc)),
                mrtc_connection_state_name(mrtc_pc_connection_state(w.p[1].pc)));
    CHECK(ok);
    mrtc_time took = w.clock - start;
    sim_dc_xfer *x = w.bulk_tx->tx;
    CHECK_U64(x->sent, total);
    CHECK_U64(w.bulk_rx->rx_bytes, total);
    CHECK_U64(w.bulk_rx->rx_msgs, x->k);
    CHECK_U64(w.bulk_rx->first_bad_offset, UINT64_MAX);
    uint8_t h1[32], h2[32];
    unsigned l1 = 0, l2 = 0;
    EVP_DigestFinal_ex(x->sha, h1, &l1);
    EVP_DigestFinal_ex(w.bulk_rx->sha, h2, &l2);
    CHECK_EQ(l1, 32);
    CHECK_MEM(h1, h2, 32);
    /* Paced by buffered_amount_low; the buffer never grew past high + one message. */
    CHECK(w.bulk_tx->n_low > 0);
    CHECK(x->max_buffered <= x->high + SIM_DC_XFER_MSG_MAX);
    CHECK(!w.bulk_rx->null_data_violation);
    CHECK_EQ(w.bulk_tx->n_error + w.bulk_rx->n_error, 0);
    const sim_stats *ns = sim_net_get_stats(w.net);
    CHECK(ns->lost > 0 && ns->reordered > 0);
    mrtc_datachannel_stats st;
    mrtc_datachannel_get_stats(w.bulk_rx->dc, &st);
    CHECK_U64(st.bytes_received, total);
    CHECK_U64(st.messages_received, x->k);
    printf("  seed %llu: 20 MB under 5%% loss: %llu messages in %.2f s virtual (%.2f Mbit/s), %d "
           "buffered-low events, max bufferedAmount %zu, %llu sends handed to SCTP at once, "
           "%llu datagrams lost, %llu reordered, %.2f s wall\n",
           (unsigned long long)seed, (unsigned long long)x->k, (double)took / 1e6,
           (double)total * 8 / ((double)took / 1e6) / 1e6, w.bulk_tx->n_low, x->max_buffered,
           (unsigned long long)x->bad_accounting, (unsigned long long)ns->lost,
           (unsigned long long)ns->reordered, sim_dc_wall_now() - t0);
    CHECK(sim_dc_both_connected(&w));
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

static void test_bulk_transfer_lossy(void)
{
    for (uint64_t seed = 21; seed <= 23; seed++)
        bulk_transfer(seed);
}

/* ---- 2. partially reliable channels ------------------------------------------------------ */

#define PR_COUNT 500
#define PR_INTERVAL MRTC_MSEC(60) /* 3 x ~1 KB each: ~50 KB/s, well under what the link carries */

typedef struct pr_state {
    sim_dc_chan *tx[3];
    uint32_t next;
} pr_state;

static pr_state g_pr;

static void pr_tick(sim_dc_world *w)
{
    for (int i = 0; i < 3; i++) {
        uint8_t buf[SIM_DC_NUM_HDR + 3000];
        size_t n = sim_dc_numbered_build(g_pr.next, buf);
        CHECK_EQ(mrtc_datachannel_send(g_pr.tx[i]->dc, buf, n, true), 0);
    }
    if (++g_pr.next < PR_COUNT)
        w->app_at = w->clock + PR_INTERVAL;
}

static bool pr_drained(sim_dc_world *w)
{
    (void)w;
    for (int i = 0; i < 3; i++)
        if (mrtc_datachannel_buffered_amount(g_pr.tx[i]->dc) != 0)
            return false;
    return true;
}

static bool pr_opened(sim_dc_world *w)
{
    return sim_dc_both_connected(w) && w->p[1].n_datachannel == 3 && g_pr.tx[0]->n_open &&
           g_pr.tx[1]->n_open && g_pr.tx[2]->n_open;
}

static void partial_reliability(uint64_t seed)
{
    double t0 = sim_dc_wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.10;
    link.delay = MRTC_MSEC(15);
    link.jitter = MRTC_MSEC(5);
    link.reorder = 0.03;
    link.reorder_delay = MRTC_MSEC(15);
    link.duplicate = 0.03;
    sim_dc_world w;
    sim_dc_world_init(&w, seed, &link);
    w.remote_mode = SIM_DC_RX_NUMBERED;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    init.max_retransmits = 0;
    g_pr.tx[0] = sim_dc_chan_create(&w, 0, "rexmit0", &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    init.max_packet_lifetime = 50;
    g_pr.tx[1] = sim_dc_chan_create(&w, 0, "life50", &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = true;
    init.max_retransmits = 0;
    g_pr.tx[2] = sim_dc_chan_create(&w, 0, "ordered-rexmit0", &init);
    g_pr.next = 0;
    if (!g_pr.tx[0] || !g_pr.tx[1] || !g_pr.tx[2]) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    bool ok = sim_dc_run_until(&w, MRTC_SEC(60), pr_opened);
    CHECK(ok);
    if (!ok) {
        sim_dc_dump_peer(&w.p[0]);
        sim_dc_dump_peer(&w.p[1]);
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    w.app = pr_tick;
    w.app_at = w.clock;
    sim_dc_run_for(&w, PR_INTERVAL * PR_COUNT);
    CHECK_EQ(g_pr.next, PR_COUNT);
    /* Everything queued is handed to SCTP (sent or given up), then late packets land. */
    CHECK(sim_dc_run_until(&w, MRTC_SEC(60), pr_drained));
    sim_dc_run_for(&w, MRTC_SEC(10));
    const char *names[3] = {"rexmit0", "life50", "ordered-rexmit0"};
    for (int i = 0; i < 3; i++) {
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1, names[i]);
        CHECK(r != NULL);
        if (!r)
            continue;
        CHECK_EQ(r->n_corrupt, 0);
        CHECK_EQ(r->n_dup, 0);
        CHECK_EQ(r->n_out_of_order, 0);
        CHECK(r->n_valid > PR_COUNT / 3); /* most get through */
        /* Some were given up: a 50 ms lifetime is shorter than RTO.Min (200 ms), so a lost
         * fragment is never retransmitted in time (the lifetime runs on the virtual clock
         * in practice: 300 ms loses a few, 1000 ms none). */
        CHECK(r->n_valid < PR_COUNT);
        CHECK(!r->null_data_violation);
        printf("  seed %llu %-16s delivered %u of %u (%u lost), %u corrupt, %u duplicated\n",
               (unsigned long long)seed, names[i], r->n_valid, PR_COUNT, PR_COUNT - r->n_valid,
               r->n_corrupt, r->n_dup);
        CHECK_EQ(mrtc_datachannel_buffered_amount(g_pr.tx[i]->dc), 0);
    }
    const sim_stats *ns = sim_net_get_stats(w.net);
    printf("  partial reliability: %llu datagrams lost, %llu duplicated; %.2f s virtual, %.2f "
           "s wall\n",
           (unsigned long long)ns->lost, (unsigned long long)ns->duplicated, (double)w.clock / 1e6,
           sim_dc_wall_now() - t0);
    /* Still up. On an idle 10%-loss link ICE may be "disconnected" for a moment: the agent
     * probes once at half of the 5 s disconnected timeout, and when that probe is lost
     * both ways nothing else is sent before the timeout. Not failed, though. */
    for (int i = 0; i < 2; i++) {
        mrtc_connection_state cs = mrtc_pc_connection_state(w.p[i].pc);
        if (cs != MRTC_CONNECTION_CONNECTED) {
            fprintf(stderr, "  seed %llu: pc%d %s at the end (%.3f s)\n", (unsigned long long)seed,
                    i, mrtc_connection_state_name(cs), (double)w.clock / 1e6);
            sim_dc_dump_peer(&w.p[i]);
        }
        CHECK(cs == MRTC_CONNECTION_CONNECTED || cs == MRTC_CONNECTION_DISCONNECTED);
        mrtc_sctp_transport_info si;
        CHECK(mrtc_pc_get_sctp_transport(w.p[i].pc, &si) == 0 &&
              si.state == MRTC_SCTP_TRANSPORT_CONNECTED);
    }
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

static void test_partial_reliability(void)
{
    for (uint64_t seed = 31; seed <= 35; seed++)
        if (!getenv("MESHRTC_SIM_SEED") || strtoull(getenv("MESHRTC_SIM_SEED"), NULL, 10) == seed)
            partial_reliability(seed);
}

/* ---- 3. a peer vanishes mid-transfer ----------------------------------------------------- */

static bool pc0_failed(sim_dc_world *w)
{
    return w->p[0].n_conn > 0 && w->p[0].conn_hist[w->p[0].n_conn - 1] == MRTC_CONNECTION_FAILED &&
           w->p[1].n_conn > 0 && w->p[1].conn_hist[w->p[1].n_conn - 1] == MRTC_CONNECTION_FAILED;
}

static void vanish(sim_dc_world *w)
{
    mrtc_addr ip;
    mrtc_addr_parse_ip(&ip, "10.0.0.2", 0);
    CHECK_EQ(sim_net_set_blackhole(w->net, &ip, true), 0);
}

static void test_peer_vanishes(void)
{
    double t0 = sim_dc_wall_now();
    sim_dc_world w;
    sim_dc_world_init(&w, 61, NULL);
    if (!sim_dc_xfer_setup(&w, 200ull << 20, 0x6161)) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    sim_dc_xfer_pump(w.bulk_tx);
    w.app = vanish;
    w.app_at = w.clock + MRTC_SEC(1);
    mrtc_time gone = w.app_at;
    int n0 = w.p[0].n_conn, n1 = w.p[1].n_conn;
    bool ok = sim_dc_run_until(&w, MRTC_SEC(90), pc0_failed);
    CHECK(ok);
    /* connected -> disconnected -> failed on both sides. */
    for (int i = 0; i < 2; i++) {
        sim_dc_peer *p = &w.p[i];
        int from = i == 0 ? n0 : n1;
        bool seq_ok = p->n_conn == from + 2 && p->conn_hist[from] == MRTC_CONNECTION_DISCONNECTED &&
                      p->conn_hist[from + 1] == MRTC_CONNECTION_FAILED;
        if (!seq_ok)
            sim_dc_dump_peer(p);
        CHECK(seq_ok);
        CHECK_EQ(mrtc_pc_connection_state(p->pc), MRTC_CONNECTION_FAILED);
    }
    /* RFC 7675 section 5.1: consent expired, so nothing more goes out on the pair. */
    uint64_t sent0 = mrtc_vio_sent(w.p[0].vio), sent1 = mrtc_vio_sent(w.p[1].vio);
    sim_dc_run_for(&w, MRTC_SEC(10));
    if (mrtc_vio_sent(w.p[0].vio) != sent0 || mrtc_vio_sent(w.p[1].vio) != sent1)
        fprintf(stderr, "  after consent expiry: pc0 sent %llu, pc1 sent %llu more datagrams\n",
                (unsigned long long)(mrtc_vio_sent(w.p[0].vio) - sent0),
                (unsigned long long)(mrtc_vio_sent(w.p[1].vio) - sent1));
    CHECK_U64(mrtc_vio_sent(w.p[0].vio), sent0);
    CHECK_U64(mrtc_vio_sent(w.p[1].vio), sent1);
    CHECK(w.bulk_rx->rx_bytes > 0 && w.bulk_rx->rx_bytes < w.bulk_tx->tx->total);
    CHECK_U64(w.bulk_rx->first_bad_offset, UINT64_MAX);
    mrtc_sctp_transport_info si = {0};
    mrtc_pc_get_sctp_transport(w.p[0].pc, &si);
    int nc = w.p[0].n_conn;
    printf("  vanished peer: pc0 disconnected %.2f s, failed %.2f s virtual after the blackhole "
           "(%llu bytes had arrived); sender channel '%s' %s, sctp %s; %.2f s wall\n",
           nc >= 2 ? (double)(w.p[0].conn_at[nc - 2] - gone) / 1e6 : -1.0,
           nc >= 1 ? (double)(w.p[0].conn_at[nc - 1] - gone) / 1e6 : -1.0,
           (unsigned long long)w.bulk_rx->rx_bytes, w.bulk_tx->events,
           w.bulk_tx->dc ? mrtc_datachannel_state_name(mrtc_datachannel_ready_state(w.bulk_tx->dc))
                         : "freed",
           mrtc_sctp_transport_state_name(si.state), sim_dc_wall_now() - t0);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

/* ---- 4. fingerprint mismatch ------------------------------------------------------------- */

/* The number of "connected" entries in the connection state history. */
static int state_hist_connected(const sim_dc_peer *p)
{
    int n = 0;
    for (int i = 0; i < p->n_conn; i++)
        n += p->conn_hist[i] == MRTC_CONNECTION_CONNECTED;
    return n;
}

/* Flips the first hex digit of every a=fingerprint value. */
static char *munge_fingerprint(const char *sdp)
{
    char *s = strdup(sdp);
    for (char *a = strstr(s, "a=fingerprint:"); a; a = strstr(a + 1, "a=fingerprint:")) {
        char *v = strchr(a, ' ');
        if (!v)
            continue;
        v++;
        *v = *v == '0' ? '1' : '0';
    }
    return s;
}

static int g_munge_side;

static char *munge_fp_hook(sim_dc_world *w, int to, mrtc_description_type type, const char *sdp)
{
    (void)w;
    (void)type;
    return to == g_munge_side ? munge_fingerprint(sdp) : NULL;
}

static bool dtls_failed(sim_dc_world *w)
{
    mrtc_dtls_transport_state ds;
    return mrtc_pc_get_dtls_transport(w->p[g_munge_side].pc, &ds, NULL, 0) == 0 &&
           ds == MRTC_DTLS_TRANSPORT_FAILED &&
           mrtc_pc_connection_state(w->p[g_munge_side].pc) == MRTC_CONNECTION_FAILED;
}

static void fingerprint_mismatch(int side)
{
    sim_dc_world w;
    sim_dc_world_init(&w, 71 + (uint64_t)side, NULL);
    g_munge_side = side;
    w.munge = munge_fp_hook;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    sim_dc_chan *c = sim_dc_chan_create(&w, 0, "never", &init);
    init.negotiated = true;
    init.id = 3;
    sim_dc_chan *n0 = sim_dc_chan_create(&w, 0, "neg", &init);
    sim_dc_chan *n1 = sim_dc_chan_create(&w, 1, "neg", &init);
    if (!c || !n0 || !n1) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    bool ok = sim_dc_run_until(&w, MRTC_SEC(30), dtls_failed);
    CHECK(ok);
    /* Give the other side time to do whatever it does, and try to send. */
    if (n0->dc)
        CHECK_EQ(mrtc_datachannel_send_text(n0->dc, "secret"), MRTC_ESTATE);
    sim_dc_run_for(&w, MRTC_SEC(10));
    sim_dc_peer *p = &w.p[side];
    CHECK(p->n_conn >= 1 && p->conn_hist[p->n_conn - 1] == MRTC_CONNECTION_FAILED);
    CHECK(p->n_dtls >= 1 && p->dtls_hist[p->n_dtls - 1] == MRTC_DTLS_TRANSPORT_FAILED);
    /* The side that holds the wrong fingerprint never connects (its peer may have seen
     * the handshake complete before the alert). */
    CHECK_EQ(state_hist_connected(p), 0);
    CHECK_EQ(w.p[0].n_datachannel + w.p[1].n_datachannel, 0);
    for (size_t i = 0; i < w.n_chans; i++) {
        CHECK_EQ(w.chans[i].n_open, 0);
        CHECK_EQ(w.chans[i].n_msg, 0);
    }
    mrtc_dtls_transport_state ds0 = MRTC_DTLS_TRANSPORT_NEW, ds1 = MRTC_DTLS_TRANSPORT_NEW;
    mrtc_pc_get_dtls_transport(w.p[0].pc, &ds0, NULL, 0);
    mrtc_pc_get_dtls_transport(w.p[1].pc, &ds1, NULL, 0);
    printf("  fingerprint munged at pc%d: pc0 dtls %s connection %s (ever connected: %s), pc1 "
           "dtls %s connection %s (ever connected: %s); channel '%s'\n",
           side, mrtc_dtls_transport_state_name(ds0),
           mrtc_connection_state_name(mrtc_pc_connection_state(w.p[0].pc)),
           state_hist_connected(&w.p[0]) ? "yes" : "no", mrtc_dtls_transport_state_name(ds1),
           mrtc_connection_state_name(mrtc_pc_connection_state(w.p[1].pc)),
           state_hist_connected(&w.p[1]) ? "yes" : "no", c->events);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

static void test_fingerprint_mismatch_offerer(void)
{
    fingerprint_mismatch(0); /* pc0 (DTLS server) gets a wrong fingerprint for pc1 */
}

static void test_fingerprint_mismatch_answerer(void)
{
    fingerprint_mismatch(1); /* pc1 (DTLS client) gets a wrong fingerprint for pc0 */
}

/* ---- 5. large messages interleaved across channels --------------------------------------- */

#define BIG_A 20
#define BIG_B 20
#define SMALL_C 300
#define BIG_BACK 10

static void numbered_rx_setup(sim_dc_chan *c, bool ordered)
{
    c->mode = SIM_DC_RX_NUMBERED;
    c->any_len = true;
    c->n_numbered = 4096;
    c->seen = calloc(c->n_numbered, 1);
    c->expect_ordered = ordered;
}

static void big_remote(sim_dc_world *w, sim_dc_chan *c)
{
    (void)w;
    numbered_rx_setup(c, mrtc_datachannel_ordered(c->dc));
}

static sim_dc_chan *g_big[3];

static bool big_done(sim_dc_world *w)
{
    sim_dc_chan *a = sim_dc_chan_remote(w, 1, "big-ordered"),
                *b = sim_dc_chan_remote(w, 1, "big-unordered"),
                *c = sim_dc_chan_remote(w, 1, "small");
    return a && b && c && a->n_valid + a->n_corrupt + a->n_dup >= BIG_A &&
           b->n_valid + b->n_corrupt + b->n_dup >= BIG_B &&
           c->n_valid + c->n_corrupt + c->n_dup >= SMALL_C &&
           g_big[0]->n_valid + g_big[0]->n_corrupt >= BIG_BACK;
}

static bool big_open(sim_dc_world *w)
{
    return sim_dc_both_connected(w) && w->p[1].n_datachannel == 3 && g_big[0]->n_open &&
           g_big[1]->n_open && g_big[2]->n_open;
}

static void test_interleaved_large_messages(void)
{
    double t0 = sim_dc_wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.02;
    link.delay = MRTC_MSEC(10);
    link.jitter = MRTC_MSEC(2);
    link.reorder = 0.01;
    link.duplicate = 0.01;
    sim_dc_world w;
    sim_dc_world_init(&w, 101, &link);
    w.remote_hook = big_remote;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    g_big[0] = sim_dc_chan_create(&w, 0, "big-ordered", &init);
    g_big[2] = sim_dc_chan_create(&w, 0, "small", &init);
    init.ordered = false;
    g_big[1] = sim_dc_chan_create(&w, 0, "big-unordered", &init);
    if (!g_big[0] || !g_big[1] || !g_big[2]) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    numbered_rx_setup(g_big[0], true);
    CHECK(sim_dc_run_until(&w, MRTC_SEC(20), big_open));
    sim_dc_chan *ar = sim_dc_chan_remote(&w, 1, "big-ordered");
    if (!ar) {
        CHECK(0);
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    /* Everything queued at once, both ways: 7 MB one way, 1 MB back, small ones between. */
    mrtc_time start = w.clock;
    for (uint32_t k = 0; k < BIG_A || k < BIG_B || k < SMALL_C; k++) {
        if (k < BIG_A) {
            size_t n = sim_dc_numbered_build_n(k, 200000 - k * 1000, sim_dc_scratch);
            CHECK_EQ(mrtc_datachannel_send(g_big[0]->dc, sim_dc_scratch, n, true), 0);
        }
        if (k < BIG_B) {
            size_t n = sim_dc_numbered_build_n(k, 150000 + k * 777, sim_dc_scratch);
            CHECK_EQ(mrtc_datachannel_send(g_big[1]->dc, sim_dc_scratch, n, true), 0);
        }
        if (k < SMALL_C) {
            size_t n = sim_dc_numbered_build_n(k, 100, sim_dc_scratch);
            CHECK_EQ(mrtc_datachannel_send(g_big[2]->dc, sim_dc_scratch, n, true), 0);
        }
        if (k < BIG_BACK) {
            size_t n = sim_dc_numbered_build_n(k, 100000 + k, sim_dc_scratch);
            CHECK_EQ(mrtc_datachannel_send(ar->dc, sim_dc_scratch, n, true), 0);
        }
    }
    bool ok = sim_dc_run_until(&w, MRTC_SEC(300), big_done);
    CHECK(ok);
    sim_dc_run_for(&w, MRTC_SEC(2));
    const char *names[3] = {"big-ordered", "big-unordered", "small"};
    const uint32_t want[3] = {BIG_A, BIG_B, SMALL_C};
    for (int i = 0; i < 3; i++) {
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1, names[i]);
        CHECK(r != NULL);
        if (!r)
            continue;
        if (r->n_valid != want[i] || r->n_corrupt || r->n_dup || r->n_out_of_order)
            fprintf(stderr, "  %s: %u valid of %u, %u corrupt, %u dup, %u out of order\n", names[i],
                    r->n_valid, want[i], r->n_corrupt, r->n_dup, r->n_out_of_order);
        CHECK_EQ(r->n_valid, want[i]);
        CHECK_EQ(r->n_corrupt + r->n_dup + r->n_out_of_order, 0);
    }
    CHECK_EQ(g_big[0]->n_valid, BIG_BACK);
    CHECK_EQ(g_big[0]->n_corrupt + g_big[0]->n_dup + g_big[0]->n_out_of_order, 0);
    printf("  interleaved large messages: 8 MB in %.2f s virtual, %.2f s wall\n",
           (double)(w.clock - start) / 1e6, sim_dc_wall_now() - t0);
    CHECK(sim_dc_both_connected(&w));
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

/* ---- 6. handshakes across heavy loss ---------------------------------------------------- */

static sim_dc_chan *g_small_rx;

static bool rx_got_one(sim_dc_world *w)
{
    (void)w;
    return g_small_rx->n_msg >= 1;
}

/* 30% loss both ways (signaling stays reliable): ICE, the DTLS handshake (its flights
 * retransmitted on the virtual clock) and SCTP's INIT/COOKIE still come up, a channel opens
 * and a message passes, for every seed. */
static void test_handshake_heavy_loss(void)
{
    double t0 = sim_dc_wall_now();
    mrtc_time worst = 0;
    for (uint64_t seed = 131; seed <= 140; seed++) {
        sim_link link;
        sim_link_init(&link);
        link.loss = 0.30;
        link.delay = MRTC_MSEC(25);
        link.jitter = MRTC_MSEC(5);
        sim_dc_world w;
        sim_dc_world_init(&w, seed, &link);
        sim_dc_chan *c = sim_dc_chan_create(&w, 0, "lossy", NULL);
        /* Every DTLS flight and SCTP INIT/COOKIE exchange needs both directions through:
         * with retransmission backoff (DTLS 1, 2, 4, 8, 16, 32 s; SCTP up to 10 s) an
         * unlucky seed takes over a minute, as it would between browsers. */
        bool ok = c && sim_dc_run_until(&w, MRTC_SEC(150), sim_dc_one_remote);
        if (!ok) {
            fprintf(stderr, "  seed %llu: no channel after 150 s\n", (unsigned long long)seed);
            sim_dc_dump_peer(&w.p[0]);
            sim_dc_dump_peer(&w.p[1]);
        }
        CHECK(ok);
        if (ok) {
            worst = w.clock > worst ? w.clock : worst;
            sim_dc_chan *r = sim_dc_chan_remote(&w, 1, "lossy");
            CHECK_EQ(mrtc_datachannel_send_text(c->dc, "through"), 0);
            g_small_rx = r;
            CHECK(r && sim_dc_run_until(&w, MRTC_SEC(30), rx_got_one));
            CHECK(r && r->n_msgs == 1 && r->msgs[0].len == 7);
        }
        sim_dc_close_both(&w);
        CHECK_EQ(sim_dc_world_free(&w), 0);
    }
    printf("  30%% loss: every seed opened a channel, the slowest after %.2f s virtual; %.2f s "
           "wall\n",
           (double)worst / 1e6, sim_dc_wall_now() - t0);
}


int main(void)
{
    double t0 = sim_dc_wall_now();
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the report in order with stderr */
    RUN_IF(test_bulk_transfer_lossy);
    RUN_IF(test_partial_reliability);
    RUN_IF(test_peer_vanishes);
    RUN_IF(test_fingerprint_mismatch_offerer);
    RUN_IF(test_fingerprint_mismatch_answerer);
    RUN_IF(test_interleaved_large_messages);
    RUN_IF(test_handshake_heavy_loss);
    printf("  total %.2f s wall\n", sim_dc_wall_now() - t0);
    return test_finish();
}
