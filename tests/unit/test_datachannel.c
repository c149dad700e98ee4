/* Tests of the data channel API (core/pc_dc.c) on virtual I/O hosts joined by an ideal
 * network: argument checks (W3C TypeError/InvalidStateError/OperationError cases) that
 * change nothing, ids chosen by DTLS role, negotiation-needed on the first channel, the
 * order of callbacks (datachannel before open, nothing from inside API calls), send
 * before open refused, close before the transport exists, the ownership rule (a channel
 * is freed after its close callback; with its PeerConnection otherwise), buffered amount
 * low events, connection/DTLS/SCTP state callbacks, MESHRTC_KEYLOG lines. */
#include "test.h"

#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc/error.h"

#include <stdarg.h>
#include <unistd.h>

static mrtc_time clk;
static int in_api;
static int reentrant;

typedef struct peer {
    mrtc_vio *vio;
    mrtc_pc *pc;
    struct peer *other;
    mrtc_datachannel *remote_dc; /* the last channel the peer opened */
    char log[256][64];
    int n_log;
    int messages;
    size_t bytes;
    int low_events;
    mrtc_connection_state conn;
    mrtc_dtls_transport_state dtls;
    mrtc_sctp_transport_state sctp;
    bool auto_negotiate;
} peer;

static mrtc_transmit queue[4096];
static size_t n_queue;

static void net_send(void *user, const mrtc_transmit *t)
{
    (void)user;
    if (n_queue < 4096)
        queue[n_queue++] = *t;
}

static void note(peer *p, const char *fmt, ...)
{
    if (in_api)
        reentrant++;
    if (p->n_log == 256)
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

static peer A, B;

/* Delivers queued datagrams and runs both hosts until nothing is due; advances the clock
 * to the next deadline when idle, up to `until`. */
static void pump(mrtc_time until)
{
    for (int guard = 0; guard < 200000; guard++) {
        mrtc_vio_run(A.vio);
        mrtc_vio_run(B.vio);
        if (n_queue) {
            size_t n = n_queue;
            static mrtc_transmit batch[4096];
            memcpy(batch, queue, n * sizeof batch[0]);
            n_queue = 0;
            for (size_t i = 0; i < n; i++) {
                if (!mrtc_vio_deliver(A.vio, &batch[i].remote, &batch[i].local, batch[i].data,
                                      batch[i].len))
                    (void)mrtc_vio_deliver(B.vio, &batch[i].remote, &batch[i].local,
                                           batch[i].data, batch[i].len);
            }
            clk += 100; /* 0.1 ms per hop */
            continue;
        }
        mrtc_time next = mrtc_time_min(mrtc_vio_next_timeout(A.vio), mrtc_vio_next_timeout(B.vio));
        if (next == MRTC_TIME_NEVER || next > until)
            break;
        if (next > clk)
            clk = next;
    }
}

/* ---- Callbacks ------------------------------------------------------------------------ */

static void send_local(peer *p)
{
    char *sdp = NULL;
    mrtc_description_type type;
    CHECK_EQ(mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp), 0);
    CHECK_EQ(mrtc_pc_set_remote_description(p->other->pc, type, sdp), 0);
    if (type == MRTC_DESCRIPTION_OFFER) {
        CHECK_EQ(mrtc_pc_set_local_description(p->other->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
        send_local(p->other);
    }
    mrtc_string_free(sdp);
}

static void on_nn(mrtc_pc *pc, void *u)
{
    peer *p = u;
    note(p, "negotiationneeded");
    if (!p->auto_negotiate)
        return;
    CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    send_local(p);
}

static void on_cand(mrtc_pc *pc, const char *c, const char *mid, int idx, void *u)
{
    peer *p = u;
    (void)pc;
    if (in_api)
        reentrant++;
    (void)mrtc_pc_add_ice_candidate(p->other->pc, c, mid, idx);
}

static void on_conn(mrtc_pc *pc, mrtc_connection_state s, void *u)
{
    peer *p = u;
    (void)pc;
    p->conn = s;
    note(p, "connection %s", mrtc_connection_state_name(s));
}

static void on_dtls(mrtc_pc *pc, mrtc_dtls_transport_state s, void *u)
{
    peer *p = u;
    (void)pc;
    p->dtls = s;
    note(p, "dtls %s", mrtc_dtls_transport_state_name(s));
}

static void on_sctp(mrtc_pc *pc, mrtc_sctp_transport_state s, void *u)
{
    peer *p = u;
    (void)pc;
    p->sctp = s;
    note(p, "sctp %s", mrtc_sctp_transport_state_name(s));
}

static void dc_open(mrtc_datachannel *dc, void *u)
{
    peer *p = u;
    note(p, "open %s", mrtc_datachannel_label(dc));
}

static void dc_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *u)
{
    peer *p = u;
    (void)dc;
    p->messages++;
    p->bytes += len;
    if (len == 0)
        note(p, "message empty %s", binary ? "binary" : "text");
    else if (len < 40 && !binary)
        note(p, "message %.*s", (int)len, (const char *)data);
}

static void dc_low(mrtc_datachannel *dc, void *u)
{
    peer *p = u;
    (void)dc;
    p->low_events++;
    note(p, "bufferedamountlow");
}

static void dc_closing(mrtc_datachannel *dc, void *u)
{
    peer *p = u;
    note(p, "closing %s", mrtc_datachannel_label(dc));
}

static void dc_close(mrtc_datachannel *dc, void *u)
{
    peer *p = u;
    note(p, "close %s", mrtc_datachannel_label(dc));
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSED);
    if (p->remote_dc == dc)
        p->remote_dc = NULL;
}

static void dc_error(mrtc_datachannel *dc, int code, const char *msg, void *u)
{
    peer *p = u;
    (void)dc;
    (void)code;
    note(p, "error %.40s", msg);
}

static const mrtc_datachannel_callbacks dc_cbs = {
    .open = dc_open,
    .message = dc_message,
    .buffered_amount_low = dc_low,
    .error = dc_error,
    .closing = dc_closing,
    .close = dc_close,
};

static void on_datachannel(mrtc_pc *pc, mrtc_datachannel *dc, void *u)
{
    peer *p = u;
    (void)pc;
    note(p, "datachannel %s", mrtc_datachannel_label(dc));
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_OPEN);
    mrtc_datachannel_set_callbacks(dc, &dc_cbs, p);
    p->remote_dc = dc;
    if (strcmp(mrtc_datachannel_label(dc), "reject") == 0)
        mrtc_datachannel_close(dc); /* W3C: no open event follows, nor messages */
}

static void setup_with(bool auto_negotiate, const mrtc_certificate *cert_a)
{
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    n_queue = 0;
    clk = 1000000;
    peer *ps[2] = {&A, &B};
    for (int i = 0; i < 2; i++) {
        mrtc_io_ifaddr ifa = {.name = "eth0"};
        CHECK_EQ(mrtc_addr_parse_ip(&ifa.addr, i == 0 ? "10.0.0.1" : "10.0.0.2", 0), 0);
        mrtc_vio_config vc;
        mrtc_vio_config_init(&vc);
        vc.clock = &clk;
        vc.ifaddrs = &ifa;
        vc.n_ifaddrs = 1;
        vc.send = net_send;
        vc.seed = 7 + (uint64_t)i;
        CHECK_EQ(mrtc_vio_new(&vc, &ps[i]->vio), 0);
        mrtc_pc_callbacks cbs = {.negotiation_needed = on_nn,
                                 .ice_candidate = on_cand,
                                 .connection_state_change = on_conn,
                                 .datachannel = on_datachannel,
                                 .dtls_state_change = on_dtls,
                                 .sctp_state_change = on_sctp};
        mrtc_pc_config cfg;
        mrtc_pc_config_init(&cfg);
        cfg.certificate = i == 0 ? cert_a : NULL;
        CHECK_EQ(mrtc_pc_create(mrtc_vio_io(ps[i]->vio), &cfg, &cbs, ps[i], &ps[i]->pc), 0);
        ps[i]->auto_negotiate = auto_negotiate;
    }
    A.other = &B;
    B.other = &A;
}

static void setup(bool auto_negotiate)
{
    setup_with(auto_negotiate, NULL);
}

static void teardown(void)
{
    mrtc_vio_free(A.vio);
    mrtc_vio_free(B.vio);
}

/* ---- Tests ---------------------------------------------------------------------------- */

static void test_arguments(void)
{
    setup(false);
    mrtc_datachannel *dc = NULL;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    CHECK(init.ordered && init.max_packet_lifetime == -1 && init.max_retransmits == -1 &&
          init.id == -1 && !init.negotiated && !init.protocol);

    init.max_packet_lifetime = 10;
    init.max_retransmits = 1;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "x", &init, &dc), MRTC_EINVAL);
    CHECK(dc == NULL);
    CHECK(strstr(mrtc_pc_last_error(A.pc), "both") != NULL);
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true; /* without an id */
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "x", &init, &dc), MRTC_EINVAL);
    init.id = 65535;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "x", &init, &dc), MRTC_EINVAL);
    mrtc_datachannel_init_defaults(&init);
    init.max_retransmits = 70000;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "x", &init, &dc), MRTC_EINVAL);
    char *long_label = malloc(70000);
    memset(long_label, 'a', 69999);
    long_label[69999] = '\0';
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, long_label, NULL, &dc), MRTC_EINVAL);
    free(long_label);
    CHECK_EQ(mrtc_pc_create_datachannel(NULL, "x", NULL, &dc), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "x", NULL, NULL), MRTC_EINVAL);
    /* None of that made negotiation needed. */
    mrtc_vio_run(A.vio);
    CHECK_EQ(find(&A, "negotiationneeded"), -1);

    /* A valid one: connecting, no id yet, negotiation needed (once, coalesced). */
    in_api++;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "chat", NULL, &dc), 0);
    in_api--;
    CHECK(dc != NULL);
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CONNECTING);
    CHECK_EQ(mrtc_datachannel_id(dc), -1);
    CHECK_STR(mrtc_datachannel_label(dc), "chat");
    CHECK_STR(mrtc_datachannel_protocol(dc), "");
    CHECK(mrtc_datachannel_ordered(dc));
    CHECK_EQ(mrtc_datachannel_buffered_amount(dc), 0);
    CHECK(mrtc_datachannel_pc(dc) == A.pc);
    mrtc_datachannel_set_callbacks(dc, &dc_cbs, &A);
    CHECK(mrtc_datachannel_user(dc) == &A);
    /* send before open: InvalidStateError, nothing queued */
    CHECK_EQ(mrtc_datachannel_send_text(dc, "early"), MRTC_ESTATE);
    /* a negotiated channel whose id is then taken */
    mrtc_datachannel *n1 = NULL, *n2 = NULL;
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true;
    init.id = 3;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "n1", &init, &n1), 0);
    CHECK_EQ(mrtc_datachannel_id(n1), 3);
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "n2", &init, &n2), MRTC_EEXIST);
    CHECK(n2 == NULL);
    mrtc_vio_run(A.vio);
    CHECK(find(&A, "negotiationneeded") >= 0);
    CHECK_EQ(reentrant, 0);

    /* close() before any transport: "closing" at once (W3C), "closed" with the close
     * callback from the loop (the callback checks the state), freed after it (the leak
     * check at the end of RUN proves the freeing). */
    in_api++;
    mrtc_datachannel_close(dc);
    in_api--;
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSING);
    CHECK_EQ(find(&A, "close chat"), -1);
    mrtc_vio_run(A.vio);
    CHECK(find(&A, "close chat") >= 0);
    CHECK_EQ(reentrant, 0);
    /* n1 stays open until the PeerConnection goes: freed with it, no callback. */
    teardown();
}

static void test_open_send_close(void)
{
    setup(true);
    mrtc_datachannel *dc = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "chat", NULL, &dc), 0);
    mrtc_datachannel_set_callbacks(dc, &dc_cbs, &A);
    pump(clk + MRTC_SEC(5));
    CHECK_EQ(A.conn, MRTC_CONNECTION_CONNECTED);
    CHECK_EQ(B.conn, MRTC_CONNECTION_CONNECTED);
    CHECK_EQ(A.dtls, MRTC_DTLS_TRANSPORT_CONNECTED);
    CHECK_EQ(B.sctp, MRTC_SCTP_TRANSPORT_CONNECTED);
    CHECK(find(&A, "connection connecting") >= 0 &&
          find(&A, "connection connecting") < find(&A, "connection connected"));
    CHECK(find(&A, "dtls connecting") < find(&A, "dtls connected"));
    CHECK(find(&A, "dtls connected") < find(&A, "sctp connected"));
    CHECK(find(&A, "open chat") >= 0);
    /* The answerer is the DTLS client (a=setup:active): even ids are B's, odd are A's. */
    CHECK_EQ(mrtc_datachannel_id(dc) % 2, 1);
    CHECK(B.remote_dc != NULL);
    CHECK(find(&B, "datachannel chat") >= 0 && find(&B, "datachannel chat") < find(&B, "open chat"));
    CHECK_EQ(mrtc_datachannel_id(B.remote_dc), mrtc_datachannel_id(dc));

    /* A DTLS datagram from an address ICE does not know is dropped (counted), and the
     * connection goes on. */
    mrtc_ice_transport_info ti;
    CHECK_EQ(mrtc_pc_get_ice_transport(A.pc, &ti), 0);
    mrtc_addr to, from;
    CHECK_EQ(mrtc_addr_parse_ip(&to, ti.local.address, ti.local.port), 0);
    CHECK_EQ(mrtc_addr_parse_ip(&from, "10.0.0.99", 4444), 0);
    const uint8_t forged[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    mrtc_pc_counters pcn;
    mrtc_pc_get_counters(A.pc, &pcn);
    uint64_t dropped = pcn.dtls_dropped;
    CHECK(mrtc_vio_deliver(A.vio, &to, &from, forged, sizeof forged));
    mrtc_pc_get_counters(A.pc, &pcn);
    CHECK_U64(pcn.dtls_dropped, dropped + 1);
    CHECK_EQ(A.dtls, MRTC_DTLS_TRANSPORT_CONNECTED);

    mrtc_sctp_transport_info si;
    CHECK_EQ(mrtc_pc_get_sctp_transport(A.pc, &si), 0);
    CHECK_EQ(si.state, MRTC_SCTP_TRANSPORT_CONNECTED);
    CHECK_U64(si.max_message_size, 262144);
    CHECK(si.max_channels > 0);
    mrtc_dtls_transport_state ds;
    char fp[100];
    CHECK_EQ(mrtc_pc_get_dtls_transport(A.pc, &ds, fp, sizeof fp), 0);
    CHECK_EQ(ds, MRTC_DTLS_TRANSPORT_CONNECTED);
    CHECK_EQ(strlen(fp), 95);

    /* Messages both ways: text, binary, empty of both kinds. */
    in_api++;
    CHECK_EQ(mrtc_datachannel_send_text(dc, "hello"), 0);
    CHECK_EQ(mrtc_datachannel_buffered_amount(dc), 5); /* W3C: grows inside send() */
    CHECK_EQ(mrtc_datachannel_send(dc, NULL, 0, false), 0);
    CHECK_EQ(mrtc_datachannel_send(dc, NULL, 0, true), 0);
    CHECK_EQ(mrtc_datachannel_send_text(B.remote_dc, "hi back"), 0);
    in_api--;
    pump(clk + MRTC_SEC(1));
    CHECK(find(&B, "message hello") >= 0);
    CHECK(find(&B, "message empty text") > find(&B, "message hello"));
    CHECK(find(&B, "message empty binary") > find(&B, "message empty text"));
    CHECK(find(&A, "message hi back") >= 0);
    CHECK_EQ(reentrant, 0);
    mrtc_datachannel_stats st;
    mrtc_datachannel_get_stats(dc, &st);
    CHECK_U64(st.messages_sent, 3);
    CHECK_U64(st.bytes_sent, 5);
    CHECK_U64(st.messages_received, 1);

    /* Too big: refused, nothing queued. */
    static uint8_t big[262145];
    CHECK_EQ(mrtc_datachannel_send(dc, big, sizeof big, true), MRTC_ETOOBIG);
    CHECK_EQ(mrtc_datachannel_send(dc, big, sizeof big - 1, true), 0);

    /* bufferedAmount grows past the threshold and the low event fires once it drains. */
    mrtc_datachannel_set_buffered_amount_low_threshold(dc, 1000);
    CHECK_EQ(mrtc_datachannel_buffered_amount_low_threshold(dc), 1000);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(mrtc_datachannel_send(dc, big, 100000, true), 0);
    CHECK(mrtc_datachannel_buffered_amount(dc) > 1000);
    pump(clk + MRTC_SEC(10));
    CHECK_EQ(mrtc_datachannel_buffered_amount(dc), 0);
    CHECK(A.low_events >= 1);
    CHECK_U64(B.bytes, 5 + 7 * 0 + 262144 + 40u * 100000);

    /* close(): closing at once, closing then close on the peer, close here; a send after
     * close is refused; both objects freed after their close callbacks. */
    in_api++;
    mrtc_datachannel_close(dc);
    in_api--;
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSING);
    CHECK_EQ(mrtc_datachannel_send_text(dc, "late"), MRTC_ESTATE);
    pump(clk + MRTC_SEC(2));
    CHECK(find(&B, "closing chat") >= 0 && find(&B, "closing chat") < find(&B, "close chat"));
    CHECK(find(&A, "close chat") >= 0);
    CHECK(B.remote_dc == NULL);
    CHECK_EQ(reentrant, 0);

    /* A new channel after the first negotiation opens without renegotiating. */
    int nn_before = 0;
    for (int i = 0; i < A.n_log; i++)
        nn_before += strcmp(A.log[i], "negotiationneeded") == 0;
    mrtc_datachannel *dc2 = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "second", NULL, &dc2), 0);
    mrtc_datachannel_set_callbacks(dc2, &dc_cbs, &A);
    CHECK(mrtc_datachannel_id(dc2) >= 0);
    pump(clk + MRTC_SEC(1));
    CHECK(find(&A, "open second") >= 0);
    CHECK(find(&B, "datachannel second") >= 0);
    int nn_after = 0;
    for (int i = 0; i < A.n_log; i++)
        nn_after += strcmp(A.log[i], "negotiationneeded") == 0;
    CHECK_EQ(nn_after, nn_before);

    /* Closing A's PeerConnection: B's channel closes at once (close_notify), B's DTLS
     * transport is closed; by the W3C rules B's connection stays "connected" (DTLS closed
     * counts as connected) until ICE consent lapses: then "disconnected". A's channel is
     * freed with A without callbacks. */
    int a_log = A.n_log;
    CHECK_EQ(mrtc_pc_close(A.pc, NULL), 0);
    pump(clk + MRTC_SEC(1));
    CHECK(find(&B, "close second") >= 0);
    CHECK_EQ(B.dtls, MRTC_DTLS_TRANSPORT_CLOSED);
    CHECK_EQ(B.sctp, MRTC_SCTP_TRANSPORT_CLOSED);
    CHECK_EQ(B.conn, MRTC_CONNECTION_CONNECTED);
    pump(clk + MRTC_SEC(10));
    CHECK_EQ(B.conn, MRTC_CONNECTION_DISCONNECTED);
    CHECK_EQ(A.n_log, a_log);

    /* B's SCTP transport is closed for good: a new channel errors and closes. */
    mrtc_datachannel *late = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(B.pc, "late", NULL, &late), 0);
    mrtc_datachannel_set_callbacks(late, &dc_cbs, &B);
    pump(clk + MRTC_SEC(1));
    CHECK(find(&B, "error sctp-failure: the SCTP transport is clos") >= 0);
    CHECK(find(&B, "close late") > find(&B, "error sctp-failure: the SCTP transport is clos"));
    teardown();
}

/* The a=fingerprint of pc's local offer, or "". */
static void offer_fingerprint(mrtc_pc *pc, char *out, size_t cap)
{
    char *sdp = NULL;
    out[0] = '\0';
    CHECK_EQ(mrtc_pc_create_offer(pc, NULL, &sdp), 0);
    const char *f = sdp ? strstr(sdp, "a=fingerprint:sha-256 ") : NULL;
    if (f)
        snprintf(out, cap, "%.95s", f + strlen("a=fingerprint:sha-256 "));
    mrtc_string_free(sdp);
}

/* Without a certificate every PeerConnection uses the process-wide one; with one, its
 * fingerprint is in the SDP and the peer verifies it during the handshake; the application
 * may free its reference at once. */
static void test_certificates(void)
{
    /* Two PeerConnections without one share the process-wide certificate. */
    char fa[100], fb[100], def[100];
    mrtc_datachannel *dc = NULL;
    setup(false);
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "c", NULL, &dc), 0);
    CHECK_EQ(mrtc_pc_create_datachannel(B.pc, "c", NULL, &dc), 0);
    offer_fingerprint(A.pc, fa, sizeof fa);
    offer_fingerprint(B.pc, fb, sizeof fb);
    CHECK_EQ(strlen(fa), 95);
    CHECK_STR(fa, fb);
    snprintf(def, sizeof def, "%s", fa);
    teardown();

    mrtc_certificate *cert = NULL;
    CHECK_EQ(mrtc_certificate_generate(&cert), 0);
    CHECK_EQ(mrtc_certificate_generate(NULL), MRTC_EINVAL);
    CHECK_EQ(strlen(mrtc_certificate_fingerprint(cert)), 95);
    char mine[100];
    snprintf(mine, sizeof mine, "%s", mrtc_certificate_fingerprint(cert));
    CHECK(strcmp(mine, def) != 0);
    setup_with(true, cert);
    mrtc_certificate_free(cert); /* A keeps its own reference */
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "c", NULL, &dc), 0);
    offer_fingerprint(A.pc, fa, sizeof fa);
    CHECK_STR(fa, mine);
    pump(clk + MRTC_SEC(5));
    CHECK_EQ(A.conn, MRTC_CONNECTION_CONNECTED);
    CHECK_EQ(B.conn, MRTC_CONNECTION_CONNECTED);
    mrtc_dtls_transport_state ds;
    char seen[100];
    CHECK_EQ(mrtc_pc_get_dtls_transport(B.pc, &ds, seen, sizeof seen), 0);
    CHECK_STR(seen, mine);
    CHECK_EQ(mrtc_pc_get_dtls_transport(A.pc, &ds, seen, sizeof seen), 0);
    CHECK_STR(seen, def);
    teardown();
}

/* A channel closed from the datachannel callback gets no open callback; both ends close. */
static void test_reject_in_datachannel_cb(void)
{
    setup(true);
    mrtc_datachannel *dc = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "reject", NULL, &dc), 0);
    mrtc_datachannel_set_callbacks(dc, &dc_cbs, &A);
    pump(clk + MRTC_SEC(5)); /* A's channel is freed after its close callback */
    CHECK(find(&B, "datachannel reject") >= 0);
    CHECK_EQ(find(&B, "open reject"), -1);
    CHECK(find(&B, "close reject") >= 0);
    CHECK(find(&A, "closing reject") >= 0 && find(&A, "close reject") > find(&A, "closing reject"));
    teardown();
}

/* Remote fingerprints that DTLS could not use are refused by setRemoteDescription with
 * the line, and nothing changes; a usable one next to an unusable one is fine. */
static void test_bad_remote_fingerprint(void)
{
    setup(false);
    mrtc_datachannel *dc = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "c", NULL, &dc), 0);
    char *offer = NULL;
    CHECK_EQ(mrtc_pc_create_offer(A.pc, NULL, &offer), 0);
    const char *f = strstr(offer, "a=fingerprint:sha-256 ");
    CHECK(f != NULL);
    const char *bad[] = {"a=fingerprint:sha-256 AB:CD\r\n", "a=fingerprint:md5 AB:CD\r\n",
                         ("a=fingerprint:sha-1 ZZ:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:"
                          "AB:CD:AB:CD\r\n")};
    size_t pre = (size_t)(f - offer);
    const char *post = strstr(f, "\r\n") + 2;
    char buf[8192];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)pre, offer, bad[i], post);
        int err = mrtc_pc_set_remote_description(B.pc, MRTC_DESCRIPTION_OFFER, buf);
        CHECK(err == MRTC_EINVAL || err == MRTC_ESDP); /* semantics, or already the syntax */
        CHECK(strstr(mrtc_pc_last_error(B.pc), "fingerprint") != NULL);
        CHECK_EQ(mrtc_pc_signaling_state(B.pc), MRTC_SIGNALING_STABLE);
    }
    /* an unusable one first, then the real one: accepted */
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)pre, offer, bad[1], f);
    CHECK_EQ(mrtc_pc_set_remote_description(B.pc, MRTC_DESCRIPTION_OFFER, buf), 0);
    mrtc_string_free(offer);
    teardown();
}

static void test_keylog(void)
{
    char path[] = "/tmp/meshrtc-keylog-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    setenv("MESHRTC_KEYLOG", path, 1);
    setup(true);
    mrtc_datachannel *dc = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(A.pc, "k", NULL, &dc), 0);
    pump(clk + MRTC_SEC(5));
    CHECK_EQ(A.conn, MRTC_CONNECTION_CONNECTED);
    teardown();
    unsetenv("MESHRTC_KEYLOG");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[512];
    int lines = 0;
    while (f && fgets(line, sizeof line, f)) {
        /* CLIENT_RANDOM <64 hex> <96 hex>: one per side */
        CHECK(strncmp(line, "CLIENT_RANDOM ", 14) == 0);
        CHECK_EQ(strlen(line), 14 + 64 + 1 + 96 + 1);
        lines++;
    }
    if (f)
        fclose(f);
    CHECK_EQ(lines, 2);
    unlink(path);
}

int main(void)
{
    RUN(test_arguments);
    RUN(test_open_send_close);
    RUN(test_certificates);
    RUN(test_reject_in_datachannel_cb);
    RUN(test_bad_remote_fingerprint);
    RUN(test_keylog);
    return test_finish();
}
