/* Two PeerConnections with data channels over the simulated network, for the
 * tests/sim/test_dc_sim*.c tests (see sim_dc.h): the world (two peers, each a virtual I/O
 * host with one address, and a signaling channel with a fixed delay), its event loop on one
 * virtual clock, perfect negotiation (pc1 polite), the channels' bookkeeping (events, stored
 * messages, a byte stream checked against its generator, numbered messages checked for
 * corruption, duplicates and order) and a transfer paced by bufferedAmount.
 * It checks what every test expects of the library on the way (states inside callbacks,
 * sends refused once closing, API calls that must succeed) and counts what does not hold
 * in the world instead of using unit/test.h (whose counters are per test executable);
 * sim_dc_world_free() returns that count. It does not decide what a scenario expects: the
 * tests do. */
#include "sim/sim_dc.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A condition that must hold: printed and counted in the world when it does not. */
#define EXPECT(w, cond) expect_((w), (cond), #cond, __LINE__)
#define EXPECT_EQ(w, a, b) expect_eq_((w), (long long)(a), (long long)(b), #a, #b, __LINE__)

static void expect_(sim_dc_world *w, bool ok, const char *what, int line)
{
    if (ok)
        return;
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, line, what);
    w->failures++;
}

static void expect_eq_(sim_dc_world *w, long long a, long long b, const char *as, const char *bs,
                       int line)
{
    if (a == b)
        return;
    fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, line, as, bs, a, b);
    w->failures++;
}

/* ---- utilities ------------------------------------------------------------------------- */

double sim_dc_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The byte stream of `seed` at offset off, n bytes. */
void sim_dc_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t pos = off + i;
        buf[i] = (uint8_t)(splitmix(seed ^ (pos >> 3)) >> ((pos & 7) * 8));
    }
}

uint8_t sim_dc_scratch[SIM_DC_SCRATCH_SIZE];
static uint8_t scratch2[SIM_DC_SCRATCH_SIZE]; /* what a received message should be */

static void print_hist(const char *what, int side, const int *v, int n, const char *(*name)(int))
{
    fprintf(stderr, "  pc%d %s:", side, what);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s", name(v[i]));
    fprintf(stderr, "\n");
}

static const char *conn_name_i(int s)
{
    return mrtc_connection_state_name((mrtc_connection_state)s);
}
static const char *dtls_name_i(int s)
{
    return mrtc_dtls_transport_state_name((mrtc_dtls_transport_state)s);
}
static const char *sctp_name_i(int s)
{
    return mrtc_sctp_transport_state_name((mrtc_sctp_transport_state)s);
}

void sim_dc_dump_peer(const sim_dc_peer *p)
{
    int v[SIM_DC_MAX_HIST];
    fprintf(stderr, "  pc%d connection:", p->id);
    for (int i = 0; i < p->n_conn; i++)
        fprintf(stderr, " %s (%.3f s)", conn_name_i((int)p->conn_hist[i]),
                (double)p->conn_at[i] / 1e6);
    fprintf(stderr, "\n");
    for (int i = 0; i < p->n_dtls; i++)
        v[i] = (int)p->dtls_hist[i];
    print_hist("dtls", p->id, v, p->n_dtls, dtls_name_i);
    for (int i = 0; i < p->n_sctp; i++)
        v[i] = (int)p->sctp_hist[i];
    print_hist("sctp", p->id, v, p->n_sctp, sctp_name_i);
}

/* ---- channels -------------------------------------------------------------------------- */

static void chan_event(sim_dc_chan *c, char e)
{
    if (c->n_events + 1 < sizeof c->events) {
        c->events[c->n_events++] = e;
        c->events[c->n_events] = 0;
    }
}

static void late_check(sim_dc_chan *c)
{
    sim_dc_peer *p = &c->w->p[c->side];
    if (p->closing)
        p->n_late_callbacks++;
}

static void rx_stream(sim_dc_chan *c, const uint8_t *data, size_t len)
{
    if (c->first_bad_offset == UINT64_MAX && len) {
        sim_dc_stream_fill(c->seed, c->rx_bytes, scratch2, len);
        if (memcmp(scratch2, data, len) != 0) {
            size_t i = 0;
            while (scratch2[i] == data[i])
                i++;
            c->first_bad_offset = c->rx_bytes + i;
        }
    }
    if (c->sha)
        EVP_DigestUpdate(c->sha, data, len);
    c->rx_bytes += len;
    c->rx_msgs++;
}

/* Numbered messages (sim_dc.h). */

static size_t numbered_payload_len(uint32_t seq)
{
    return (size_t)(splitmix(0x5eed0000u + seq) % 2000u); /* 0..1999: one or two packets */
}

/* Builds message `seq` with an n-byte payload into out (SIM_DC_NUM_HDR + n bytes). */
size_t sim_dc_numbered_build_n(uint32_t seq, size_t n, uint8_t *out)
{
    sim_dc_stream_fill(0xabc0000000ull + seq, 0, out + SIM_DC_NUM_HDR, n);
    uint64_t h = sim_hash(SIM_HASH_INIT, out + SIM_DC_NUM_HDR, n);
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(seq >> (24 - 8 * i));
        out[4 + i] = (uint8_t)(n >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)(h >> (56 - 8 * i));
    return SIM_DC_NUM_HDR + n;
}

size_t sim_dc_numbered_build(uint32_t seq, uint8_t *out)
{
    return sim_dc_numbered_build_n(seq, numbered_payload_len(seq), out);
}

static void rx_numbered(sim_dc_chan *c, const uint8_t *data, size_t len)
{
    if (len < SIM_DC_NUM_HDR) {
        c->n_corrupt++;
        return;
    }
    uint32_t seq = 0, n = 0;
    uint64_t h = 0;
    for (int i = 0; i < 4; i++) {
        seq = seq << 8 | data[i];
        n = n << 8 | data[4 + i];
    }
    for (int i = 0; i < 8; i++)
        h = h << 8 | data[8 + i];
    if (seq >= c->n_numbered || n != len - SIM_DC_NUM_HDR ||
        (!c->any_len && n != numbered_payload_len(seq)) ||
        h != sim_hash(SIM_HASH_INIT, data + SIM_DC_NUM_HDR, n)) {
        c->n_corrupt++;
        return;
    }
    sim_dc_stream_fill(0xabc0000000ull + seq, 0, scratch2, n);
    if (memcmp(scratch2, data + SIM_DC_NUM_HDR, n) != 0) {
        c->n_corrupt++;
        return;
    }
    if (c->seen[seq]) {
        c->n_dup++;
        return;
    }
    c->seen[seq] = 1;
    if (c->n_valid && c->expect_ordered && seq < c->last_seq)
        c->n_out_of_order++;
    c->last_seq = seq;
    c->n_valid++;
}

static void on_open(mrtc_datachannel *dc, void *user)
{
    sim_dc_chan *c = user;
    late_check(c);
    c->n_open++;
    chan_event(c, 'o');
    c->id_at_open = mrtc_datachannel_id(dc);
    EXPECT_EQ(c->w, mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_OPEN);
    if (c->open_hook)
        c->open_hook(c);
}

static void on_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *user)
{
    sim_dc_chan *c = user;
    (void)dc;
    late_check(c);
    c->n_msg++;
    if ((len == 0) != (data == NULL))
        c->null_data_violation = true;
    switch (c->mode) {
    case SIM_DC_RX_STORE:
        if (c->n_events < 40)
            chan_event(c, 'm');
        if (c->n_msgs < SIM_DC_MAX_STORED) {
            sim_dc_stored *s = &c->msgs[c->n_msgs++];
            s->len = len;
            s->binary = binary;
            s->data = malloc(len ? len : 1);
            if (len)
                memcpy(s->data, data, len);
        }
        break;
    case SIM_DC_RX_STREAM:
        EXPECT(c->w, binary);
        rx_stream(c, data, len);
        break;
    case SIM_DC_RX_NUMBERED:
        EXPECT(c->w, binary);
        rx_numbered(c, data, len);
        break;
    }
    if (c->msg_hook)
        c->msg_hook(c, data, len, binary);
}

static void on_low(mrtc_datachannel *dc, void *user)
{
    sim_dc_chan *c = user;
    late_check(c);
    c->n_low++;
    /* A transfer only sends from here, so the amount is still low. (Elsewhere a send after
     * the crossing may have raised it again before the event is delivered.) */
    if (c->tx) {
        EXPECT(c->w, mrtc_datachannel_buffered_amount(dc) <=
                         mrtc_datachannel_buffered_amount_low_threshold(dc));
        sim_dc_xfer_pump(c);
    }
}

static void on_error(mrtc_datachannel *dc, int code, const char *message, void *user)
{
    sim_dc_chan *c = user;
    (void)dc;
    late_check(c);
    c->n_error++;
    c->last_error = code;
    chan_event(c, 'e');
    fprintf(stderr, "  [pc%d %s] error %s: %s\n", c->side, c->label, mrtc_err_name(code),
            message ? message : "(null)");
}

static void on_closing(mrtc_datachannel *dc, void *user)
{
    sim_dc_chan *c = user;
    late_check(c);
    c->n_closing++;
    chan_event(c, 'g');
    c->msgs_at_closing = c->n_msg;
    EXPECT_EQ(c->w, mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSING);
    /* A closing channel refuses to send (W3C InvalidStateError), and nothing is queued. */
    size_t before = mrtc_datachannel_buffered_amount(dc);
    EXPECT_EQ(c->w, mrtc_datachannel_send_text(dc, "late"), MRTC_ESTATE);
    EXPECT_EQ(c->w, mrtc_datachannel_buffered_amount(dc), before);
}

static void on_close(mrtc_datachannel *dc, void *user)
{
    sim_dc_chan *c = user;
    late_check(c);
    c->n_close++;
    chan_event(c, 'c');
    c->msgs_at_close = c->n_msg;
    c->buffered_at_close = mrtc_datachannel_buffered_amount(dc);
    EXPECT_EQ(c->w, mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSED);
    EXPECT_EQ(c->w, mrtc_datachannel_send_text(dc, "late"), MRTC_ESTATE);
    c->dc = NULL; /* freed when this returns */
}

static const mrtc_datachannel_callbacks chan_callbacks = {
    .open = on_open,
    .message = on_message,
    .buffered_amount_low = on_low,
    .error = on_error,
    .closing = on_closing,
    .close = on_close,
};

static sim_dc_chan *chan_add(sim_dc_world *w, int side, mrtc_datachannel *dc, bool remote,
                             const char *label)
{
    if (w->n_chans == SIM_DC_MAX_CHANS)
        return NULL;
    sim_dc_chan *c = &w->chans[w->n_chans++];
    memset(c, 0, sizeof *c);
    c->w = w;
    c->side = side;
    c->dc = dc;
    c->remote = remote;
    c->id_at_open = -2;
    c->first_bad_offset = UINT64_MAX;
    snprintf(c->label, sizeof c->label, "%s", label ? label : "");
    mrtc_datachannel_set_callbacks(dc, &chan_callbacks, c);
    EXPECT(w, mrtc_datachannel_user(dc) == c);
    return c;
}

/* Creates a channel on side `side`; NULL (and a failed check) on error. */
sim_dc_chan *sim_dc_chan_create(sim_dc_world *w, int side, const char *label,
                                const mrtc_datachannel_init *init)
{
    mrtc_datachannel *dc = NULL;
    int err = mrtc_pc_create_datachannel(w->p[side].pc, label, init, &dc);
    if (err)
        fprintf(stderr, "  create_datachannel(%s) on pc%d: %s (%s)\n", label, side,
                mrtc_err_name(err), mrtc_pc_last_error(w->p[side].pc));
    EXPECT_EQ(w, err, 0);
    if (err)
        return NULL;
    EXPECT(w, dc != NULL);
    EXPECT(w, mrtc_datachannel_pc(dc) == w->p[side].pc);
    return chan_add(w, side, dc, false, label);
}

/* The channel announced on `side` with this label (datachannel callback), or NULL. */
sim_dc_chan *sim_dc_chan_remote(sim_dc_world *w, int side, const char *label)
{
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].side == side && w->chans[i].remote && !strcmp(w->chans[i].label, label))
            return &w->chans[i];
    return NULL;
}

static void chans_release(sim_dc_world *w)
{
    for (size_t i = 0; i < w->n_chans; i++) {
        sim_dc_chan *c = &w->chans[i];
        for (size_t k = 0; k < c->n_msgs; k++)
            free(c->msgs[k].data);
        free(c->seen);
        if (c->sha)
            EVP_MD_CTX_free(c->sha);
        if (c->tx && c->tx->sha)
            EVP_MD_CTX_free(c->tx->sha);
        free(c->tx);
    }
    w->n_chans = 0;
    free(w->chans);
    w->chans = NULL;
}

/* ---- signaling and peers --------------------------------------------------------------- */

static void post_msg(sim_dc_world *w, int to, int kind, mrtc_description_type type,
                     const char *text, const char *mid, int index)
{
    EXPECT(w, w->n_msgs < SIM_DC_MAX_MSGS);
    if (w->n_msgs == SIM_DC_MAX_MSGS)
        return;
    sim_dc_sig_msg *m = &w->msgs[w->n_msgs++];
    *m = (sim_dc_sig_msg){
        .to = to, .at = w->clock + w->signal_delay, .kind = kind, .type = type, .index = index};
    m->text = text ? mrtc_strdup(text) : NULL;
    snprintf(m->mid, sizeof m->mid, "%s", mid ? mid : "");
}

static void net_send(void *user, const mrtc_transmit *t)
{
    sim_dc_world *w = user;
    sim_net_send(w->net, w->clock, t);
}

static void send_local(sim_dc_peer *p)
{
    char *sdp = NULL;
    mrtc_description_type type;
    EXPECT_EQ(p->w, mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp), 0);
    post_msg(p->w, 1 - p->id, 0, type, sdp, NULL, -1);
    mrtc_string_free(sdp);
}

static void pc_late(sim_dc_peer *p)
{
    if (p->closing)
        p->n_late_callbacks++;
}

static void on_negotiation_needed(mrtc_pc *pc, void *user)
{
    sim_dc_peer *p = user;
    pc_late(p);
    p->n_negotiation_needed++;
    EXPECT_EQ(p->w, mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    send_local(p);
}

static void on_candidate(mrtc_pc *pc, const char *cand, const char *mid, int index, void *user)
{
    sim_dc_peer *p = user;
    (void)pc;
    pc_late(p);
    if (cand)
        post_msg(p->w, 1 - p->id, 1, MRTC_DESCRIPTION_NONE, cand, mid, index);
    else
        post_msg(p->w, 1 - p->id, 2, MRTC_DESCRIPTION_NONE, NULL, NULL, -1);
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state s, void *user)
{
    sim_dc_peer *p = user;
    (void)pc;
    pc_late(p);
    p->ice = s;
}

static void on_conn(mrtc_pc *pc, mrtc_connection_state s, void *user)
{
    sim_dc_peer *p = user;
    (void)pc;
    pc_late(p);
    if (p->n_conn < SIM_DC_MAX_HIST) {
        p->conn_at[p->n_conn] = p->w->clock;
        p->conn_hist[p->n_conn++] = s;
    }
}

static void on_dtls(mrtc_pc *pc, mrtc_dtls_transport_state s, void *user)
{
    sim_dc_peer *p = user;
    (void)pc;
    pc_late(p);
    if (p->n_dtls < SIM_DC_MAX_HIST)
        p->dtls_hist[p->n_dtls++] = s;
}

static void on_sctp(mrtc_pc *pc, mrtc_sctp_transport_state s, void *user)
{
    sim_dc_peer *p = user;
    (void)pc;
    pc_late(p);
    if (p->n_sctp < SIM_DC_MAX_HIST)
        p->sctp_hist[p->n_sctp++] = s;
}

static void on_datachannel(mrtc_pc *pc, mrtc_datachannel *dc, void *user)
{
    sim_dc_peer *p = user;
    pc_late(p);
    p->n_datachannel++;
    EXPECT(p->w, mrtc_datachannel_pc(dc) == pc);
    EXPECT_EQ(p->w, mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_OPEN);
    EXPECT(p->w, !mrtc_datachannel_negotiated(dc));
    sim_dc_chan *c = chan_add(p->w, p->id, dc, true, mrtc_datachannel_label(dc));
    EXPECT(p->w, c != NULL);
    if (!c)
        return;
    c->mode = p->w->remote_mode;
    if (c->mode == SIM_DC_RX_NUMBERED) {
        c->n_numbered = 4096;
        c->seen = calloc(c->n_numbered, 1);
        c->expect_ordered = mrtc_datachannel_ordered(dc);
    }
    if (p->w->remote_hook)
        p->w->remote_hook(p->w, c);
}

static void on_track(mrtc_pc *pc, mrtc_transceiver *t, void *user)
{
    sim_dc_peer *p = user;
    p->n_track++;
    if (p->w->track_hook)
        p->w->track_hook(p->w, p->id, t);
}

static const mrtc_pc_callbacks pc_callbacks = {
    .track = on_track,
    .negotiation_needed = on_negotiation_needed,
    .ice_candidate = on_candidate,
    .ice_connection_state_change = on_ice,
    .connection_state_change = on_conn,
    .datachannel = on_datachannel,
    .dtls_state_change = on_dtls,
    .sctp_state_change = on_sctp,
};

static void deliver_msg(sim_dc_world *w, sim_dc_sig_msg *m)
{
    sim_dc_peer *p = &w->p[m->to];
    if (!p->pc || p->closing)
        return;
    if (m->kind == 0) {
        p->ignore_offer = m->type == MRTC_DESCRIPTION_OFFER &&
                          mrtc_pc_signaling_state(p->pc) == MRTC_SIGNALING_HAVE_LOCAL_OFFER &&
                          !p->polite;
        if (p->ignore_offer)
            return; /* the impolite side ignores a colliding offer */
        char *edited = w->munge ? w->munge(w, m->to, m->type, m->text) : NULL;
        int err = mrtc_pc_set_remote_description(p->pc, m->type, edited ? edited : m->text);
        if (err)
            fprintf(stderr, "  pc%d SRD failed: %s\n", p->id, mrtc_pc_last_error(p->pc));
        EXPECT_EQ(w, err, 0);
        free(edited);
        if (!err && m->type == MRTC_DESCRIPTION_OFFER) {
            EXPECT_EQ(w, mrtc_pc_set_local_description(p->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
            send_local(p);
        }
    } else if (m->kind == 1) {
        /* Candidates of an ignored offer fail; perfect negotiation swallows that. */
        int err = mrtc_pc_add_ice_candidate(p->pc, m->text, m->mid, m->index);
        if (err && !p->ignore_offer) {
            fprintf(stderr, "  pc%d addIceCandidate failed: %s\n", p->id,
                    mrtc_pc_last_error(p->pc));
            EXPECT_EQ(w, err, 0);
        }
    } else {
        int err = mrtc_pc_add_ice_candidate(p->pc, NULL, NULL, -1);
        if (!p->ignore_offer)
            EXPECT_EQ(w, err, 0);
    }
}

/* Link defaults for a world (link NULL): delay/jitter only. */
void sim_dc_world_init(sim_dc_world *w, uint64_t seed, const sim_link *link)
{
    memset(w, 0, sizeof *w);
    w->chans = calloc(SIM_DC_MAX_CHANS, sizeof *w->chans);
    w->net = sim_net_new(seed);
    EXPECT(w, w->net != NULL);
    w->signal_delay = MRTC_MSEC(30);
    w->app_at = MRTC_TIME_NEVER;
    sim_link def;
    sim_link_init(&def);
    def.delay = MRTC_MSEC(10);
    def.jitter = MRTC_MSEC(2);
    sim_net_set_default_link(w->net, link ? link : &def);
    for (int i = 0; i < 2; i++) {
        sim_dc_peer *p = &w->p[i];
        p->id = i;
        p->w = w;
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
        cfg.send_user = w;
        cfg.seed = seed * 2 + (uint64_t)i;
        EXPECT_EQ(w, mrtc_vio_new(&cfg, &p->vio), 0);
        EXPECT_EQ(w, mrtc_pc_create(mrtc_vio_io(p->vio), NULL, &pc_callbacks, p, &p->pc), 0);
        EXPECT_EQ(w, mrtc_pc_connection_state(p->pc), MRTC_CONNECTION_NEW);
    }
}

int sim_dc_world_free(sim_dc_world *w)
{
    for (size_t i = 0; i < w->n_msgs; i++)
        mrtc_free(w->msgs[i].text);
    for (int i = 0; i < 2; i++) {
        /* Closes what is still open, silently; channel memory goes with it. */
        w->p[i].closing = true;
        mrtc_vio_free(w->p[i].vio);
        w->p[i].pc = NULL;
    }
    sim_net_free(w->net);
    chans_release(w);
    return w->failures;
}

/* One step of the event loop: advance the virtual clock to the next datagram, signaling
 * message, test hook or PeerConnection deadline and handle everything due then. */
static bool world_step(sim_dc_world *w, mrtc_time until)
{
    mrtc_time next = sim_net_next_delivery(w->net);
    for (int i = 0; i < 2; i++)
        next = mrtc_time_min(next, mrtc_vio_next_timeout(w->p[i].vio));
    for (size_t i = 0; i < w->n_msgs; i++)
        next = mrtc_time_min(next, w->msgs[i].at);
    next = mrtc_time_min(next, w->app_at);
    if (next == MRTC_TIME_NEVER || next > until) {
        if (until != MRTC_TIME_NEVER && until > w->clock)
            w->clock = until;
        return false;
    }
    if (next > w->clock)
        w->clock = next;
    sim_datagram d;
    while (sim_net_poll(w->net, w->clock, &d)) {
        for (int i = 0; i < 2; i++)
            if (mrtc_vio_deliver(w->p[i].vio, &d.to, &d.from, d.data, d.len))
                break;
    }
    for (size_t i = 0; i < w->n_msgs; i++) {
        sim_dc_sig_msg *m = &w->msgs[i];
        if (m->at <= w->clock) {
            m->at = MRTC_TIME_NEVER;
            deliver_msg(w, m);
            mrtc_free(m->text);
            m->text = NULL;
        }
    }
    if (w->app_at <= w->clock) {
        w->app_at = MRTC_TIME_NEVER;
        w->app(w);
    }
    for (int i = 0; i < 2; i++)
        mrtc_vio_run(w->p[i].vio);
    return true;
}

/* Runs until pred(w) holds (true) or `limit` of virtual time passed (false). */
bool sim_dc_run_until(sim_dc_world *w, mrtc_time limit, bool (*pred)(sim_dc_world *w))
{
    mrtc_time until = w->clock + limit;
    while (!pred || !pred(w)) {
        if (!world_step(w, until))
            return pred ? pred(w) : true;
    }
    return true;
}

void sim_dc_run_for(sim_dc_world *w, mrtc_time d)
{
    sim_dc_run_until(w, d, NULL);
}

bool sim_dc_both_connected(sim_dc_world *w)
{
    return w->p[0].pc && w->p[1].pc &&
           mrtc_pc_connection_state(w->p[0].pc) == MRTC_CONNECTION_CONNECTED &&
           mrtc_pc_connection_state(w->p[1].pc) == MRTC_CONNECTION_CONNECTED;
}

/* Every channel in the world (local and remote) has opened, and both PCs are connected. */
bool sim_dc_all_open(sim_dc_world *w)
{
    if (!sim_dc_both_connected(w))
        return false;
    for (int s = 0; s < 2; s++)
        if ((size_t)w->p[s].n_datachannel < w->want_remote[s])
            return false;
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].n_open < 1)
            return false;
    return true;
}

/* The side whose DTLS role is client (its local description says a=setup:active). */
int sim_dc_dtls_client_side(sim_dc_world *w)
{
    int client = -1;
    for (int i = 0; i < 2; i++) {
        char *sdp = NULL;
        if (mrtc_pc_get_description(w->p[i].pc, MRTC_CURRENT_LOCAL_DESCRIPTION, NULL, &sdp) != 0)
            continue;
        if (strstr(sdp, "a=setup:active"))
            client = i;
        mrtc_string_free(sdp);
    }
    return client;
}

/* a=max-message-size in side's current remote description, or -1 if absent. */
long long sim_dc_remote_max_message_size(sim_dc_world *w, int side)
{
    char *sdp = NULL;
    long long v = -1;
    if (mrtc_pc_get_description(w->p[side].pc, MRTC_CURRENT_REMOTE_DESCRIPTION, NULL, &sdp) != 0)
        return -2;
    const char *a = strstr(sdp, "a=max-message-size:");
    if (a)
        v = strtoll(a + strlen("a=max-message-size:"), NULL, 10);
    mrtc_string_free(sdp);
    return v;
}

void sim_dc_close_cb(mrtc_pc *pc, void *user)
{
    sim_dc_peer *p = user;
    EXPECT(p->w, p->pc == pc);
    p->n_close_cb++;
    p->pc = NULL;
}

static bool both_pcs_gone(sim_dc_world *w)
{
    return !w->p[0].pc && !w->p[1].pc;
}

/* Closes both PCs with close callbacks, runs until they are freed and checks that no
 * callback came after close. */
void sim_dc_close_both(sim_dc_world *w)
{
    for (int i = 0; i < 2; i++) {
        if (!w->p[i].pc)
            continue;
        w->p[i].closing = true;
        EXPECT_EQ(w, mrtc_pc_close(w->p[i].pc, sim_dc_close_cb), 0);
    }
    EXPECT(w, sim_dc_run_until(w, MRTC_SEC(1), both_pcs_gone));
    for (int i = 0; i < 2; i++) {
        EXPECT_EQ(w, w->p[i].n_close_cb, 1);
        EXPECT_EQ(w, w->p[i].n_late_callbacks, 0);
        EXPECT_EQ(w, mrtc_vio_pc_count(w->p[i].vio), 0);
    }
}

/* ---- a transfer paced by bufferedAmount ------------------------------------------------ */

static size_t xfer_msg_len(const sim_dc_xfer *x, uint64_t k)
{
    return 1 + (size_t)(splitmix(x->seed * 31 + k) % SIM_DC_XFER_MSG_MAX);
}

void sim_dc_xfer_pump(sim_dc_chan *c)
{
    sim_dc_xfer *x = c->tx;
    if (!c->dc || mrtc_datachannel_ready_state(c->dc) != MRTC_DATACHANNEL_OPEN)
        return;
    while (x->sent < x->total && mrtc_datachannel_buffered_amount(c->dc) < x->high) {
        size_t n = xfer_msg_len(x, x->k);
        if (n > x->total - x->sent)
            n = (size_t)(x->total - x->sent);
        sim_dc_stream_fill(x->seed, x->sent, sim_dc_scratch, n);
        size_t before = mrtc_datachannel_buffered_amount(c->dc);
        int err = mrtc_datachannel_send(c->dc, sim_dc_scratch, n, true);
        EXPECT_EQ(c->w, err, 0);
        if (err)
            return;
        size_t after = mrtc_datachannel_buffered_amount(c->dc);
        EXPECT(c->w, after <= before + n);
        if (after != before + n)
            x->bad_accounting++;
        if (after > x->max_buffered)
            x->max_buffered = after;
        EVP_DigestUpdate(x->sha, sim_dc_scratch, n);
        x->sent += n;
        x->k++;
    }
}

bool sim_dc_xfer_done(sim_dc_world *w)
{
    return w->bulk_rx && w->bulk_rx->rx_bytes >= w->bulk_tx->tx->total && w->bulk_tx->dc &&
           mrtc_datachannel_buffered_amount(w->bulk_tx->dc) == 0;
}

bool sim_dc_one_remote(sim_dc_world *w)
{
    return sim_dc_both_connected(w) && w->p[1].n_datachannel >= 1 && w->chans[0].n_open == 1;
}

/* Starts a transfer of `total` bytes from pc0 to pc1 on a new reliable ordered channel
 * (created before negotiation) and returns once it is open on both sides. */
bool sim_dc_xfer_setup(sim_dc_world *w, uint64_t total, uint64_t seed)
{
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    w->remote_mode = SIM_DC_RX_STREAM;
    sim_dc_chan *tx = sim_dc_chan_create(w, 0, "bulk", &init);
    if (!tx)
        return false;
    tx->tx = calloc(1, sizeof *tx->tx);
    tx->tx->seed = seed;
    tx->tx->total = total;
    tx->tx->high = 1u << 20;
    tx->tx->sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(tx->tx->sha, EVP_sha256(), NULL);
    mrtc_datachannel_set_buffered_amount_low_threshold(tx->dc, 256u << 10);
    EXPECT_EQ(w, mrtc_datachannel_buffered_amount_low_threshold(tx->dc), 256u << 10);
    w->bulk_tx = tx;
    w->bulk_rx = NULL;
    bool ok = sim_dc_run_until(w, MRTC_SEC(30), sim_dc_one_remote);
    EXPECT(w, ok);
    if (!ok) {
        sim_dc_dump_peer(&w->p[0]);
        sim_dc_dump_peer(&w->p[1]);
        return false;
    }
    w->bulk_rx = sim_dc_chan_remote(w, 1, "bulk");
    EXPECT(w, w->bulk_rx != NULL);
    if (!w->bulk_rx)
        return false;
    w->bulk_rx->seed = seed;
    w->bulk_rx->sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(w->bulk_rx->sha, EVP_sha256(), NULL);
    return true;
}

bool sim_dc_selected(const char *name)
{
    const char *want = getenv("MESHRTC_SIM_TEST");
    return !want || strstr(name, want);
}
