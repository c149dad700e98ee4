/* Data channels through whole PeerConnections over the simulated network (tests/sim/sim.h)
 * with a virtual clock: ICE, DTLS and SCTP end to end, each peer a virtual I/O host
 * (core/vio.h), the descriptions and candidates carried by a simulated signaling channel
 * (the world, its peers and channels: tests/sim/sim_dc.h). Channels and negotiation on a
 * good link. Covers:
 *   1. every kind of channel (reliable ordered, unordered, max-retransmits, max-packet-
 *      lifetime, negotiated), created before and after the first negotiation, opening on
 *      both sides with the right attributes and ids (even/odd by DTLS role); text, binary
 *      and empty messages both ways; the connection, DTLS and SCTP state callbacks and the
 *      transports' getters;
 *   2. max-message-size: MRTC_ETOOBIG above the SCTP transport's maxMessageSize, exactly
 *      the maximum works, and a peer announcing a smaller a=max-message-size is honoured;
 *   3. more channels than the SCTP streams allow;
 *   4. an ICE restart by the answerer and an added transceiver during a transfer: DTLS
 *      roles, SCTP and the channel untouched.
 * Closing is in test_dc_sim_close.c, loss and failures in test_dc_sim_loss.c.
 * Every run is seeded and nothing sleeps, but runs are not bit-for-bit reproducible: the DTLS
 * handshake and usrsctp draw from their own random sources, so packet sizes and SCTP timer
 * jitter differ from run to run; the checks hold for every run. MESHRTC_LOG=debug shows the
 * library's view; MESHRTC_SIM_TEST=name runs only the tests whose name contains it. */
#include "unit/test.h"

#include "meshrtc.h"
#include "sim/sim.h"
#include "sim/sim_dc.h"

#include <stdint.h>

/* Sends after which bufferedAmount had not grown by the message size (W3C says it does). */
static unsigned long g_w3c_buffered_violations;

/* ---- 1. every kind of channel ------------------------------------------------------------ */

/* The messages one side sends on one channel in scenario 1. */
#define N_KINDS 6
static size_t kind_msg(int k, int side, const char *label, uint8_t *buf, bool *binary)
{
    size_t n = 0;
    switch (k) {
    case 0:
        n = (size_t)sprintf((char *)buf, "hello on %s from pc%d", label, side);
        *binary = false;
        break;
    case 1:
        for (n = 0; n < 300; n++)
            buf[n] = (uint8_t)(n * 7 + side);
        buf[0] = 0;
        buf[299] = 0xff;
        *binary = true;
        break;
    case 2:
        *binary = false; /* empty string */
        break;
    case 3:
        *binary = true; /* empty binary */
        break;
    case 4:
        n = 3000; /* several SCTP packets */
        sim_dc_stream_fill(100 + (uint64_t)side, 0, buf, n);
        *binary = true;
        break;
    default:
        n = (size_t)sprintf((char *)buf, "gr\xc3\xbc\xc3\x9f\x65 \xe2\x9c\x93 %d", side);
        *binary = false;
        break;
    }
    return n;
}

/* Checks that c received the N_KINDS messages the other side sent, in order if ordered. */
static void check_kinds(sim_dc_chan *c, int from_side, const char *label, bool ordered)
{
    CHECK_EQ(c->n_msgs, N_KINDS);
    CHECK(!c->null_data_violation);
    bool used[N_KINDS] = {0};
    for (int k = 0; k < N_KINDS; k++) {
        bool binary;
        size_t n = kind_msg(k, from_side, label, sim_dc_scratch, &binary);
        int found = -1;
        for (size_t i = 0; i < c->n_msgs && found < 0; i++) {
            sim_dc_stored *s = &c->msgs[i];
            if (!used[i] && s->len == n && s->binary == binary &&
                !memcmp(s->data, sim_dc_scratch, n))
                found = (int)i;
        }
        if (found < 0)
            fprintf(stderr, "  [pc%d %s] message kind %d from pc%d missing\n", c->side, label, k,
                    from_side);
        CHECK(found >= 0);
        if (found >= 0) {
            used[found] = true;
            if (ordered)
                CHECK_EQ(found, k);
        }
    }
}

static void send_kinds(sim_dc_chan *c)
{
    for (int k = 0; k < N_KINDS; k++) {
        bool binary;
        size_t n = kind_msg(k, c->side, c->label, sim_dc_scratch, &binary);
        size_t before = mrtc_datachannel_buffered_amount(c->dc);
        int err = k == 0 ? mrtc_datachannel_send_text(c->dc, (const char *)sim_dc_scratch)
                         : mrtc_datachannel_send(c->dc, n ? sim_dc_scratch : NULL, n, binary);
        CHECK_EQ(err, 0);
        /* W3C send() adds the message size to bufferedAmount within the call; here the
         * channel may hand the message to SCTP at once (datachannel.h: "not yet handed to
         * the SCTP stack"), so it is at most that. Counted, reported by main(). */
        size_t after = mrtc_datachannel_buffered_amount(c->dc);
        CHECK(after <= before + n);
        if (after != before + n)
            g_w3c_buffered_violations++;
    }
}

static bool all_kinds_received(sim_dc_world *w)
{
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].n_msgs < N_KINDS)
            return false;
    return true;
}

static void test_channel_kinds(void)
{
    double t0 = sim_dc_wall_now();
    sim_dc_world w;
    sim_dc_world_init(&w, 11, NULL);
    mrtc_sctp_transport_info si;
    mrtc_dtls_transport_state ds;
    CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), MRTC_ENOTFOUND);
    CHECK_EQ(mrtc_pc_get_dtls_transport(w.p[0].pc, &ds, NULL, 0), MRTC_ENOTFOUND);

    /* Invalid inits change nothing. */
    mrtc_datachannel *bad = NULL;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    CHECK(init.ordered && init.max_packet_lifetime == -1 && init.max_retransmits == -1 &&
          !init.negotiated && init.id == -1);
    init.max_packet_lifetime = 100;
    init.max_retransmits = 1;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "x", &init, &bad), MRTC_EINVAL);
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "x", &init, &bad), MRTC_EINVAL);
    init.id = 65535;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "x", &init, &bad), MRTC_EINVAL);
    mrtc_datachannel_init_defaults(&init);
    init.max_retransmits = 70000;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "x", &init, &bad), MRTC_EINVAL);
    CHECK(bad == NULL);
    CHECK_EQ(w.p[0].n_negotiation_needed, 0);

    /* Before the first negotiation, on the offerer. */
    const char *label_rel = "reliable-\xc3\xbc";
    mrtc_datachannel_init_defaults(&init);
    init.protocol = "chat";
    sim_dc_chan *rel = sim_dc_chan_create(&w, 0, label_rel, &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    sim_dc_chan *unord = sim_dc_chan_create(&w, 0, "unordered", &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    init.max_retransmits = 5;
    init.protocol = "x-rexmit";
    sim_dc_chan *rexmit = sim_dc_chan_create(&w, 0, "rexmit", &init);
    mrtc_datachannel_init_defaults(&init);
    init.max_packet_lifetime = 3000;
    sim_dc_chan *life = sim_dc_chan_create(&w, 0, "lifetime", &init);
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true;
    init.id = 42;
    init.protocol = "neg";
    sim_dc_chan *neg0 = sim_dc_chan_create(&w, 0, "negotiated", &init);
    if (!rel || !unord || !rexmit || !life || !neg0) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    /* Local attributes, and no id before the DTLS role is known. */
    CHECK_EQ(mrtc_datachannel_id(rel->dc), -1);
    CHECK_EQ(mrtc_datachannel_id(rexmit->dc), -1);
    CHECK_EQ(mrtc_datachannel_id(neg0->dc), 42);
    CHECK_EQ(mrtc_datachannel_ready_state(rel->dc), MRTC_DATACHANNEL_CONNECTING);
    CHECK_EQ(mrtc_datachannel_ready_state(neg0->dc), MRTC_DATACHANNEL_CONNECTING);
    CHECK_STR(mrtc_datachannel_label(rel->dc), label_rel);
    CHECK_STR(mrtc_datachannel_protocol(rel->dc), "chat");
    CHECK_STR(mrtc_datachannel_protocol(unord->dc), "");
    CHECK(!mrtc_datachannel_ordered(rexmit->dc));
    CHECK_EQ(mrtc_datachannel_max_retransmits(rexmit->dc), 5);
    CHECK_EQ(mrtc_datachannel_max_packet_lifetime(rexmit->dc), -1);
    CHECK_EQ(mrtc_datachannel_max_packet_lifetime(life->dc), 3000);
    CHECK(mrtc_datachannel_negotiated(neg0->dc));
    CHECK_EQ(mrtc_datachannel_send_text(rel->dc, "too early"), MRTC_ESTATE);
    CHECK_EQ(mrtc_datachannel_buffered_amount(rel->dc), 0);
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true;
    init.id = 42;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "dup", &init, &bad), MRTC_EEXIST);

    w.want_remote[0] = 0;
    w.want_remote[1] = 4;
    bool ok = sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_all_open);
    if (!ok) {
        fprintf(stderr, "  channels did not open: pc1 saw %d datachannel callbacks\n",
                w.p[1].n_datachannel);
        for (size_t i = 0; i < w.n_chans; i++)
            fprintf(stderr, "  pc%d %s: events '%s'\n", w.chans[i].side, w.chans[i].label,
                    w.chans[i].events);
        sim_dc_dump_peer(&w.p[0]);
        sim_dc_dump_peer(&w.p[1]);
    }
    CHECK(ok);
    CHECK_EQ(w.p[0].n_negotiation_needed, 1);
    CHECK_EQ(w.p[1].n_negotiation_needed, 0);
    mrtc_time t_open = w.clock;

    /* States: new -> connecting -> connected, through the callbacks too. */
    for (int i = 0; i < 2; i++) {
        sim_dc_peer *p = &w.p[i];
        bool hist_ok = p->n_conn == 2 && p->conn_hist[0] == MRTC_CONNECTION_CONNECTING &&
                       p->conn_hist[1] == MRTC_CONNECTION_CONNECTED;
        bool dtls_ok = p->n_dtls == 2 && p->dtls_hist[0] == MRTC_DTLS_TRANSPORT_CONNECTING &&
                       p->dtls_hist[1] == MRTC_DTLS_TRANSPORT_CONNECTED;
        int s0 = p->n_sctp > 0 && p->sctp_hist[0] == MRTC_SCTP_TRANSPORT_CONNECTING ? 1 : 0;
        bool sctp_ok = p->n_sctp == s0 + 1 && p->sctp_hist[s0] == MRTC_SCTP_TRANSPORT_CONNECTED;
        if (!hist_ok || !dtls_ok || !sctp_ok)
            sim_dc_dump_peer(p);
        CHECK(hist_ok);
        CHECK(dtls_ok);
        CHECK(sctp_ok);
        CHECK_EQ(mrtc_pc_connection_state(p->pc), MRTC_CONNECTION_CONNECTED);

        char fp[96];
        CHECK_EQ(mrtc_pc_get_dtls_transport(p->pc, &ds, fp, sizeof fp), 0);
        CHECK_EQ(ds, MRTC_DTLS_TRANSPORT_CONNECTED);
        CHECK_STR(fp, mrtc_pc_fingerprint(w.p[1 - i].pc));
        mrtc_ice_transport_info ii;
        CHECK_EQ(mrtc_pc_get_ice_transport(p->pc, &ii), 0);
        CHECK_EQ(ii.dtls_state, MRTC_DTLS_TRANSPORT_CONNECTED);

        CHECK_EQ(mrtc_pc_get_sctp_transport(p->pc, &si), 0);
        CHECK_EQ(si.state, MRTC_SCTP_TRANSPORT_CONNECTED);
        CHECK(si.max_channels > 0 && si.max_channels <= 65535);
        long long mms = sim_dc_remote_max_message_size(&w, i);
        size_t want = mms < 0 ? 65536 : mms == 0 ? SIZE_MAX : (size_t)mms;
        if (si.max_message_size != want)
            fprintf(stderr, "  pc%d maxMessageSize %zu, remote a=max-message-size %lld\n", i,
                    si.max_message_size, mms);
        CHECK(si.max_message_size == want);
    }

    /* Ids by DTLS role: even for the client, odd for the server (RFC 8832 section 6). */
    int client = sim_dc_dtls_client_side(&w);
    CHECK_EQ(client, 1); /* the answerer answered actpass with active */
    sim_dc_chan *mine[] = {rel, unord, rexmit, life};
    for (size_t i = 0; i < 4; i++) {
        int32_t id = mrtc_datachannel_id(mine[i]->dc);
        CHECK(id >= 0);
        CHECK_EQ(id % 2, client == 0 ? 0 : 1);
        CHECK_EQ(mine[i]->id_at_open, id);
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1, mine[i]->label);
        CHECK(r != NULL);
        if (!r)
            continue;
        /* What the peer sees, from DCEP. */
        CHECK_EQ(mrtc_datachannel_id(r->dc), id);
        CHECK_STR(mrtc_datachannel_label(r->dc), mine[i]->label);
        CHECK_STR(mrtc_datachannel_protocol(r->dc), mrtc_datachannel_protocol(mine[i]->dc));
        CHECK_EQ(mrtc_datachannel_ordered(r->dc), mrtc_datachannel_ordered(mine[i]->dc));
        CHECK_EQ(mrtc_datachannel_max_retransmits(r->dc),
                 mrtc_datachannel_max_retransmits(mine[i]->dc));
        CHECK_EQ(mrtc_datachannel_max_packet_lifetime(r->dc),
                 mrtc_datachannel_max_packet_lifetime(mine[i]->dc));
        CHECK(!mrtc_datachannel_negotiated(r->dc));
        CHECK_EQ(r->n_open, 1);
        CHECK_STR(r->events, "o");
        CHECK_EQ(mine[i]->n_open, 1);
    }
    CHECK_EQ(neg0->n_open, 1);
    CHECK_EQ(mrtc_datachannel_id(neg0->dc), 42);

    /* After the first negotiation: the answerer's side of the negotiated channel, new
     * in-band channels from both sides, and a second negotiated pair. No renegotiation. */
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true;
    init.id = mrtc_datachannel_id(rel->dc);
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "taken", &init, &bad), MRTC_EEXIST);
    init.id = 42;
    init.protocol = "neg";
    sim_dc_chan *neg1 = sim_dc_chan_create(&w, 1, "negotiated", &init);
    init.id = 100;
    init.ordered = false;
    init.protocol = "";
    sim_dc_chan *negb0 = sim_dc_chan_create(&w, 0, "neg100", &init);
    sim_dc_chan *negb1 = sim_dc_chan_create(&w, 1, "neg100", &init);
    mrtc_datachannel_init_defaults(&init);
    sim_dc_chan *late0 = sim_dc_chan_create(&w, 0, "late0", &init);
    init.protocol = "from-answerer";
    init.max_retransmits = 2;
    sim_dc_chan *late1 = sim_dc_chan_create(&w, 1, "late1", &init);
    if (!neg1 || !negb0 || !negb1 || !late0 || !late1) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    /* The DTLS role is known now: ids are assigned at creation. */
    CHECK(mrtc_datachannel_id(late0->dc) >= 0);
    CHECK(mrtc_datachannel_id(late1->dc) >= 0);
    w.want_remote[0] = 1;
    w.want_remote[1] = 5;
    CHECK(sim_dc_run_until(&w, MRTC_SEC(5), sim_dc_all_open));
    CHECK_EQ(w.p[0].n_negotiation_needed, 1);
    CHECK_EQ(w.p[1].n_negotiation_needed, 0);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[0].pc), MRTC_SIGNALING_STABLE);
    CHECK_EQ(mrtc_datachannel_id(late0->dc) % 2, client == 0 ? 0 : 1);
    CHECK_EQ(mrtc_datachannel_id(late1->dc) % 2, client == 1 ? 0 : 1);
    sim_dc_chan *late1r = sim_dc_chan_remote(&w, 0, "late1");
    sim_dc_chan *late0r = sim_dc_chan_remote(&w, 1, "late0");
    CHECK(late1r && late0r);
    if (!late1r || !late0r) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    CHECK_EQ(mrtc_datachannel_id(late1r->dc), mrtc_datachannel_id(late1->dc));
    CHECK_STR(mrtc_datachannel_protocol(late1r->dc), "from-answerer");
    CHECK_EQ(mrtc_datachannel_max_retransmits(late1r->dc), 2);
    CHECK(mrtc_datachannel_ordered(late1r->dc));
    CHECK_EQ(mrtc_datachannel_id(neg1->dc), 42);

    /* Every kind of message, both ways, on every channel pair. */
    struct {
        sim_dc_chan *a, *b;
        bool ordered;
    } pairs[] = {
        {rel, sim_dc_chan_remote(&w, 1, label_rel), true},
        {unord, sim_dc_chan_remote(&w, 1, "unordered"), false},
        {rexmit, sim_dc_chan_remote(&w, 1, "rexmit"), false},
        {life, sim_dc_chan_remote(&w, 1, "lifetime"), true},
        {neg0, neg1, true},
        {negb0, negb1, false},
        {late0, late0r, true},
        {late1r, late1, true},
    };
    size_t n_pairs = sizeof pairs / sizeof pairs[0];
    for (size_t i = 0; i < n_pairs; i++) {
        CHECK(pairs[i].a && pairs[i].b);
        if (!pairs[i].a || !pairs[i].b) {
            CHECK_EQ(sim_dc_world_free(&w), 0);
            return;
        }
        send_kinds(pairs[i].a);
        send_kinds(pairs[i].b);
    }
    CHECK(sim_dc_run_until(&w, MRTC_SEC(10), all_kinds_received));
    for (size_t i = 0; i < n_pairs; i++) {
        sim_dc_chan *a = pairs[i].a, *b = pairs[i].b;
        check_kinds(b, a->side, a->label, pairs[i].ordered);
        check_kinds(a, b->side, b->label, pairs[i].ordered);
        CHECK_EQ(mrtc_datachannel_buffered_amount(a->dc), 0);
        mrtc_datachannel_stats st;
        mrtc_datachannel_get_stats(a->dc, &st);
        CHECK_U64(st.messages_sent, N_KINDS);
        CHECK_U64(st.messages_received, N_KINDS);
        CHECK_U64(st.bytes_received, st.bytes_sent);
        CHECK_EQ(a->n_error + b->n_error, 0);
        CHECK_EQ(a->n_closing + a->n_close + b->n_closing + b->n_close, 0);
    }
    /* Nothing more arrives later (no duplicates). */
    sim_dc_run_for(&w, MRTC_SEC(2));
    for (size_t i = 0; i < w.n_chans; i++)
        CHECK_EQ(w.chans[i].n_msgs, N_KINDS);
    CHECK(sim_dc_both_connected(&w));
    printf("  channel kinds: open at %.3f s virtual, done at %.3f s virtual, %.2f s wall\n",
           (double)t_open / 1e6, (double)w.clock / 1e6, sim_dc_wall_now() - t0);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

/* ---- 2. max-message-size ----------------------------------------------------------------- */

static size_t mms_value = 1000;
#define MMS_REMOVE SIZE_MAX

/* Sets every a=max-message-size to mms_value, adding it after a=sctp-port if absent; with
 * MMS_REMOVE removes the attribute. */
static char *munge_mms(const char *sdp)
{
    size_t n = strlen(sdp);
    char *out = malloc(n + 256);
    char *o = out;
    const char *p = sdp;
    bool found = strstr(sdp, "a=max-message-size:") != NULL;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) + 2 : strlen(p);
        if (!strncmp(p, "a=max-message-size:", 19)) {
            if (mms_value != MMS_REMOVE)
                o += sprintf(o, "a=max-message-size:%zu\r\n", mms_value);
        } else {
            memcpy(o, p, len);
            o += len;
            if (!found && mms_value != MMS_REMOVE && !strncmp(p, "a=sctp-port:", 12))
                o += sprintf(o, "a=max-message-size:%zu\r\n", mms_value);
        }
        p += len;
    }
    *o = 0;
    return out;
}

static sim_dc_chan *g_small_tx, *g_small_rx;

static bool rx_got_one(sim_dc_world *w)
{
    (void)w;
    return g_small_rx->n_msg >= 1;
}

static bool small_done(sim_dc_world *w)
{
    (void)w;
    return g_small_rx->n_msg >= 2 && g_small_tx->n_msg >= 1;
}

static char *munge_answer_mms(sim_dc_world *w, int to, mrtc_description_type type, const char *sdp)
{
    (void)w;
    return to == 0 && type == MRTC_DESCRIPTION_ANSWER ? munge_mms(sdp) : NULL;
}

static void test_max_message_size(void)
{
    double t0 = sim_dc_wall_now();
    /* a) between two meshrtc peers: the announced maximum works, one more does not. */
    {
        sim_dc_world w;
        sim_dc_world_init(&w, 41, NULL);
        mrtc_datachannel_init init;
        mrtc_datachannel_init_defaults(&init);
        sim_dc_chan *c = sim_dc_chan_create(&w, 0, "mms", &init);
        if (!c || !sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_one_remote)) {
            CHECK(0);
            CHECK_EQ(sim_dc_world_free(&w), 0);
            return;
        }
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1, "mms");
        mrtc_sctp_transport_info si;
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), 0);
        size_t max = si.max_message_size;
        printf("  maxMessageSize between meshrtc peers: %zu (remote a=max-message-size %lld)\n",
               max, sim_dc_remote_max_message_size(&w, 0));
        CHECK(max >= 65536 && max <= sizeof sim_dc_scratch - 64);
        if (max > sizeof sim_dc_scratch - 64)
            max = sizeof sim_dc_scratch - 64;
        sim_dc_stream_fill(7, 0, sim_dc_scratch, max + 1);
        mrtc_datachannel_stats before, after;
        mrtc_datachannel_get_stats(c->dc, &before);
        CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, max + 1, true), MRTC_ETOOBIG);
        CHECK_EQ(mrtc_datachannel_buffered_amount(c->dc), 0);
        mrtc_datachannel_get_stats(c->dc, &after);
        CHECK_U64(after.messages_sent, before.messages_sent);
        CHECK_U64(after.bytes_sent, before.bytes_sent);
        CHECK_EQ(mrtc_datachannel_ready_state(c->dc), MRTC_DATACHANNEL_OPEN);
        CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, max, true), 0);
        CHECK(mrtc_datachannel_buffered_amount(c->dc) <= max);
        g_small_rx = r;
        CHECK(r && sim_dc_run_until(&w, MRTC_SEC(10), rx_got_one));
        CHECK(r && r->n_msgs == 1);
        if (r && r->n_msgs == 1) {
            CHECK_EQ(r->msgs[0].len, max);
            CHECK(r->msgs[0].len == max && !memcmp(r->msgs[0].data, sim_dc_scratch, max));
        }
        sim_dc_run_for(&w, MRTC_SEC(1));
        CHECK_EQ(r ? r->n_msgs : 0, 1);
        CHECK_EQ(c->n_error + (r ? r->n_error : 0), 0);
        sim_dc_close_both(&w);
        CHECK_EQ(sim_dc_world_free(&w), 0);
    }
    /* b) the answerer announces a=max-message-size:1000 (munged in the answer pc0
     * applies): pc0 may send 1000 bytes, not 1001; pc1 still may send more to pc0. */
    {
        sim_dc_world w;
        sim_dc_world_init(&w, 42, NULL);
        w.munge = munge_answer_mms;
        mms_value = 1000;
        mrtc_datachannel_init init;
        mrtc_datachannel_init_defaults(&init);
        sim_dc_chan *c = sim_dc_chan_create(&w, 0, "small", &init);
        if (!c || !sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_one_remote)) {
            CHECK(0);
            CHECK_EQ(sim_dc_world_free(&w), 0);
            return;
        }
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1, "small");
        CHECK(r != NULL);
        CHECK_EQ(sim_dc_remote_max_message_size(&w, 0), 1000);
        mrtc_sctp_transport_info si;
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), 0);
        CHECK_EQ(si.max_message_size, 1000);
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[1].pc, &si), 0);
        CHECK(si.max_message_size > 1000);
        sim_dc_stream_fill(8, 0, sim_dc_scratch, 5000);
        CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, 1001, true), MRTC_ETOOBIG);
        CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, 4000, false), MRTC_ETOOBIG);
        CHECK_EQ(mrtc_datachannel_buffered_amount(c->dc), 0);
        CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, 1000, true), 0);
        CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, 0, true), 0);
        if (r)
            CHECK_EQ(mrtc_datachannel_send(r->dc, sim_dc_scratch, 5000, true), 0);
        if (r) {
            g_small_tx = c;
            g_small_rx = r;
            CHECK(sim_dc_run_until(&w, MRTC_SEC(10), small_done));
            sim_dc_run_for(&w, MRTC_SEC(1));
            CHECK_EQ(r->n_msgs, 2);
            CHECK_EQ(r->msgs[0].len, 1000);
            CHECK(!memcmp(r->msgs[0].data, sim_dc_scratch, 1000));
            CHECK_EQ(r->msgs[1].len, 0);
        }
        CHECK(c->n_msgs >= 1 && c->msgs[0].len == 5000 &&
              !memcmp(c->msgs[0].data, sim_dc_scratch, 5000));
        sim_dc_close_both(&w);
        CHECK_EQ(sim_dc_world_free(&w), 0);
    }
    /* c) no a=max-message-size in the answer: 64 KiB (RFC 8841 section 6.1); d) 0: no
     * limit on our side, so a message over the peer's own limit (its a=max-message-size
     * says 256 KiB, but we were told otherwise) leaves, and the peer reports an error. */
    const size_t mms_cases[2] = {MMS_REMOVE, 0};
    for (int k = 0; k < 2; k++) {
        sim_dc_world w;
        sim_dc_world_init(&w, 43 + (uint64_t)k, NULL);
        w.munge = munge_answer_mms;
        mms_value = mms_cases[k];
        sim_dc_chan *c = sim_dc_chan_create(&w, 0, "mms", NULL);
        if (!c || !sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_one_remote)) {
            CHECK(0);
            CHECK_EQ(sim_dc_world_free(&w), 0);
            return;
        }
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1, "mms");
        mrtc_sctp_transport_info si;
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), 0);
        if (k == 0) {
            CHECK_EQ(sim_dc_remote_max_message_size(&w, 0), -1);
            CHECK_EQ(si.max_message_size, 65536);
            CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, 65537, true), MRTC_ETOOBIG);
            CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, 65536, true), 0);
            g_small_rx = r;
            CHECK(r && sim_dc_run_until(&w, MRTC_SEC(10), rx_got_one));
            CHECK(r && r->n_msgs == 1 && r->msgs[0].len == 65536);
        } else {
            /* W3C: remote 0 means "what we can send" (here the SCTP send buffer), not
             * necessarily SIZE_MAX. */
            printf("  a=max-message-size:0: maxMessageSize %zu\n", si.max_message_size);
            CHECK(si.max_message_size > (256u << 10));
            if (si.max_message_size < sizeof sim_dc_scratch)
                CHECK_EQ(
                    mrtc_datachannel_send(c->dc, sim_dc_scratch, si.max_message_size + 1, true),
                    MRTC_ETOOBIG);
            size_t big = (256u << 10) + 1;
            sim_dc_stream_fill(9, 0, sim_dc_scratch, big);
            CHECK_EQ(mrtc_datachannel_send(c->dc, sim_dc_scratch, big, true), 0);
            CHECK_EQ(mrtc_datachannel_send_text(c->dc, "after"), 0);
            sim_dc_run_for(&w, MRTC_SEC(5));
            if (r) {
                /* The oversize message is not delivered; the peer says so. */
                bool big_seen = false;
                for (size_t i = 0; i < r->n_msgs; i++)
                    big_seen = big_seen || r->msgs[i].len == big;
                CHECK(!big_seen);
                CHECK_EQ(r->n_msgs, 1); /* "after" */
                CHECK_EQ(r->n_close, 0);
                printf("  a=max-message-size:0 and a %zu-byte message: peer got %d error(s)%s%s,"
                       " %zu message(s) after it, channel '%s'\n",
                       big, r->n_error, r->n_error ? ": " : "",
                       r->n_error ? mrtc_err_name(r->last_error) : "", r->n_msgs, r->events);
                CHECK(r->n_error >= 1);
            }
        }
        sim_dc_close_both(&w);
        CHECK_EQ(sim_dc_world_free(&w), 0);
    }
    printf("  max-message-size: %.2f s wall\n", sim_dc_wall_now() - t0);
}
/* ---- 3. many channels --------------------------------------------------------------------- */

#define MANY0 150 /* created by pc0 before negotiation: more than its share of 256 streams */
#define MANY1 100 /* created by pc1 afterwards */

static size_t g_many_settled;
static bool many_settled(sim_dc_world *w)
{
    if (!sim_dc_both_connected(w))
        return false;
    size_t n = 0;
    for (size_t i = 0; i < w->n_chans; i++)
        n += w->chans[i].n_open > 0 || w->chans[i].n_close > 0;
    return n >= g_many_settled;
}

static void test_many_channels(void)
{
    double t0 = sim_dc_wall_now();
    sim_dc_world w;
    sim_dc_world_init(&w, 111, NULL);
    char label[32];
    for (int i = 0; i < MANY0; i++) {
        snprintf(label, sizeof label, "c%03d", i);
        CHECK(sim_dc_chan_create(&w, 0, label, NULL) != NULL);
    }
    /* Every channel either opens (and is announced to pc1) or, without a free stream,
     * fails and closes (W3C: no id available). */
    mrtc_sctp_transport_info si = {0};
    bool ok = false;
    for (int tries = 0; tries < 100 && !ok; tries++) {
        sim_dc_run_until(&w, MRTC_MSEC(300), NULL);
        if (!sim_dc_both_connected(&w) || mrtc_pc_get_sctp_transport(w.p[0].pc, &si) != 0)
            continue;
        size_t cap = si.max_channels / 2, opened = MANY0 < cap ? MANY0 : cap;
        g_many_settled = MANY0 + opened; /* pc0's own, plus those announced to pc1 */
        ok = many_settled(&w);
    }
    CHECK(ok);
    size_t cap0 = si.max_channels / 2;
    size_t open0 = 0, failed0 = 0;
    for (size_t i = 0; i < w.n_chans; i++) {
        sim_dc_chan *c = &w.chans[i];
        if (c->side != 0 || c->remote)
            continue;
        if (c->n_open == 1 && c->n_close == 0) {
            open0++;
        } else if (c->n_open == 0 && c->n_close == 1 && c->n_error == 1) {
            failed0++;
            CHECK(c->dc == NULL);
        } else {
            fprintf(stderr, "  %s: events '%s'\n", c->label, c->events);
            CHECK(0);
        }
    }
    CHECK_EQ(open0, MANY0 < cap0 ? MANY0 : cap0);
    CHECK_EQ(failed0, MANY0 - open0);
    CHECK_EQ((size_t)w.p[1].n_datachannel, open0);
    size_t n1 = MANY1 < cap0 ? MANY1 : cap0;
    for (size_t i = 0; i < n1; i++) {
        snprintf(label, sizeof label, "d%03zu", i);
        CHECK(sim_dc_chan_create(&w, 1, label, NULL) != NULL);
    }
    w.want_remote[0] = n1;
    w.want_remote[1] = open0;
    g_many_settled = w.n_chans + n1;
    CHECK(sim_dc_run_until(&w, MRTC_SEC(30), many_settled));
    /* Ids: unique, by DTLS role (pc1 is the client: even), the same on both sides; one
     * message each way on every open channel. */
    static uint8_t used[65536];
    memset(used, 0, sizeof used);
    size_t n_open = 0;
    for (size_t i = 0; i < w.n_chans; i++) {
        sim_dc_chan *c = &w.chans[i];
        if (c->remote || !c->dc)
            continue;
        n_open++;
        int32_t id = mrtc_datachannel_id(c->dc);
        CHECK(id >= 0 && (unsigned)id < si.max_channels);
        if (id < 0 || id >= 65535)
            continue;
        CHECK(!used[id]);
        used[id] = 1;
        CHECK_EQ(id % 2, c->side == 1 ? 0 : 1);
        sim_dc_chan *r = sim_dc_chan_remote(&w, 1 - c->side, c->label);
        CHECK(r && r->dc && mrtc_datachannel_id(r->dc) == id);
        CHECK_EQ(mrtc_datachannel_send_text(c->dc, c->label), 0);
        if (r && r->dc)
            CHECK_EQ(mrtc_datachannel_send_text(r->dc, c->label), 0);
    }
    CHECK_EQ(n_open, open0 + n1);
    sim_dc_run_for(&w, MRTC_SEC(3));
    for (size_t i = 0; i < w.n_chans; i++) {
        sim_dc_chan *c = &w.chans[i];
        if (!c->dc)
            continue;
        CHECK_EQ(c->n_msgs, 1);
        if (c->n_msgs == 1)
            CHECK(c->msgs[0].len == strlen(c->label) &&
                  !memcmp(c->msgs[0].data, c->label, c->msgs[0].len));
    }
    printf("  many channels: maxChannels %u; pc0 created %d before negotiation: %zu opened, "
           "%zu failed for lack of a stream; pc1 opened %zu more; %.2f s virtual, %.2f s wall\n",
           si.max_channels, MANY0, open0, failed0, n1, (double)w.clock / 1e6,
           sim_dc_wall_now() - t0);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}

/* ---- 4. renegotiation during a transfer ------------------------------------------------- */

static int g_reneg_step;
static bool local_has(sim_dc_world *w, int side, const char *what);

static void reneg_app(sim_dc_world *w)
{
    if (g_reneg_step == 0) {
        /* The answerer restarts ICE: it offers now, so the DTLS roles must not flip. */
        CHECK_EQ(mrtc_pc_restart_ice(w->p[1].pc), 0);
        w->app_at = w->clock + MRTC_SEC(2);
    } else if (g_reneg_step == 1) {
        /* pc0 answered pc1's restart offer keeping its DTLS server role (RFC 8842 section
         * 5.5: a=setup:passive, not active). */
        CHECK_EQ(mrtc_pc_signaling_state(w->p[0].pc), MRTC_SIGNALING_STABLE);
        CHECK(local_has(w, 0, "a=setup:passive"));
        /* The offerer adds media: another offer/answer round, the data m-section kept. */
        CHECK_EQ(mrtc_pc_add_transceiver(w->p[0].pc, MRTC_MEDIA_AUDIO, NULL, NULL), 0);
    }
    g_reneg_step++;
}

static char *local_ufrag(sim_dc_world *w, int side)
{
    char *sdp = NULL, *out = NULL;
    if (mrtc_pc_get_description(w->p[side].pc, MRTC_CURRENT_LOCAL_DESCRIPTION, NULL, &sdp) != 0)
        return NULL;
    const char *u = strstr(sdp, "a=ice-ufrag:");
    if (u)
        out = strndup(u, strcspn(u, "\r\n"));
    mrtc_string_free(sdp);
    return out;
}

static bool local_has(sim_dc_world *w, int side, const char *what)
{
    char *sdp = NULL;
    if (mrtc_pc_get_description(w->p[side].pc, MRTC_CURRENT_LOCAL_DESCRIPTION, NULL, &sdp) != 0)
        return false;
    bool has = strstr(sdp, what) != NULL;
    mrtc_string_free(sdp);
    return has;
}

static void test_renegotiation_during_transfer(void)
{
    double t0 = sim_dc_wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.01;
    link.delay = MRTC_MSEC(10);
    link.jitter = MRTC_MSEC(2);
    sim_dc_world w;
    sim_dc_world_init(&w, 121, &link);
    const uint64_t total = 8ull << 20;
    if (!sim_dc_xfer_setup(&w, total, 0x1212)) {
        CHECK_EQ(sim_dc_world_free(&w), 0);
        return;
    }
    char *ufrag0 = local_ufrag(&w, 1);
    int32_t id = mrtc_datachannel_id(w.bulk_tx->dc);
    int n_dtls[2] = {w.p[0].n_dtls, w.p[1].n_dtls}, n_sctp[2] = {w.p[0].n_sctp, w.p[1].n_sctp};
    int nn[2] = {w.p[0].n_negotiation_needed, w.p[1].n_negotiation_needed};
    mrtc_time start = w.clock;
    g_reneg_step = 0;
    w.app = reneg_app;
    w.app_at = w.clock + MRTC_SEC(1);
    sim_dc_xfer_pump(w.bulk_tx);
    bool ok = sim_dc_run_until(&w, MRTC_SEC(300), sim_dc_xfer_done);
    CHECK(ok);
    CHECK_EQ(g_reneg_step, 2);
    CHECK_U64(w.bulk_rx->rx_bytes, total);
    CHECK_U64(w.bulk_rx->first_bad_offset, UINT64_MAX);
    /* Two more negotiations happened... */
    CHECK_EQ(w.p[1].n_negotiation_needed, nn[1] + 1);
    CHECK_EQ(w.p[0].n_negotiation_needed, nn[0] + 1);
    char *ufrag1 = local_ufrag(&w, 1);
    CHECK(ufrag0 && ufrag1 && strcmp(ufrag0, ufrag1) != 0);
    free(ufrag0);
    free(ufrag1);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[0].pc), MRTC_SIGNALING_STABLE);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[1].pc), MRTC_SIGNALING_STABLE);
    /* ...without touching DTLS, SCTP or the channel: roles kept (RFC 8842 section 5.5),
     * no state change, no channel event. */
    CHECK(local_has(&w, 1, "a=setup:active")); /* pc1's answer to the audio offer */
    for (int i = 0; i < 2; i++) {
        if (w.p[i].n_dtls != n_dtls[i] || w.p[i].n_sctp != n_sctp[i])
            sim_dc_dump_peer(&w.p[i]);
        CHECK_EQ(w.p[i].n_dtls, n_dtls[i]);
        CHECK_EQ(w.p[i].n_sctp, n_sctp[i]);
    }
    CHECK_EQ(mrtc_datachannel_id(w.bulk_tx->dc), id);
    CHECK_EQ(w.bulk_tx->n_close + w.bulk_tx->n_closing + w.bulk_tx->n_error, 0);
    CHECK_EQ(w.bulk_rx->n_close + w.bulk_rx->n_closing + w.bulk_rx->n_error, 0);
    CHECK(sim_dc_both_connected(&w));
    printf("  renegotiation (ICE restart by the answerer, audio added) during 8 MB: %.2f s "
           "virtual, %.2f s wall\n",
           (double)(w.clock - start) / 1e6, sim_dc_wall_now() - t0);
    sim_dc_close_both(&w);
    CHECK_EQ(sim_dc_world_free(&w), 0);
}


int main(void)
{
    double t0 = sim_dc_wall_now();
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the report in order with stderr */
    RUN_IF(test_channel_kinds);
    RUN_IF(test_max_message_size);
    RUN_IF(test_many_channels);
    RUN_IF(test_renegotiation_during_transfer);
    if (g_w3c_buffered_violations)
        printf("  NOTE: %lu send(s) after which bufferedAmount had not grown by the message "
               "size (W3C: it grows within send())\n",
               g_w3c_buffered_violations);
    printf("  total %.2f s wall\n", sim_dc_wall_now() - t0);
    return test_finish();
}
