/* Data channels through whole PeerConnections over the simulated network (tests/sim/sim.h)
 * with a virtual clock: ICE, DTLS and SCTP end to end, each peer a virtual I/O host
 * (core/vio.h), the descriptions and candidates carried by a simulated signaling channel.
 * Covers:
 *   1. every kind of channel (reliable ordered, unordered, max-retransmits, max-packet-
 *      lifetime, negotiated), created before and after the first negotiation, opening on
 *      both sides with the right attributes and ids (even/odd by DTLS role); text, binary
 *      and empty messages both ways; the connection, DTLS and SCTP state callbacks and the
 *      transports' getters;
 *   2. a 20 MB reliable transfer under 5% loss, reordering, delay and jitter, paced by
 *      bufferedAmount and buffered_amount_low, arriving intact (SHA-256 and byte compare);
 *   3. partially reliable channels (maxRetransmits 0, maxPacketLifetime) across loss and
 *      duplication: some messages lost, none corrupted or duplicated;
 *   4. max-message-size: MRTC_ETOOBIG above the SCTP transport's maxMessageSize, exactly
 *      the maximum works, and a peer announcing a smaller a=max-message-size is honoured;
 *   5. close semantics on both sides (queued messages delivered first, sends refused
 *      afterwards) and a PeerConnection close (channels closed without callbacks);
 *   6. a peer that vanishes mid-transfer: disconnected, then failed, then silence on the
 *      pair (RFC 7675 consent expiry); everything freed;
 *   7. a fingerprint mismatch: DTLS and the connection fail, no channel opens;
 *   8. callbacks that call the API: echo from the message callback, sends from the open and
 *      datachannel callbacks, close from the open callback, pc close from a message callback;
 *   9. closing channels that are still connecting;
 *  10. large messages on several channels at once, both ways, across light loss;
 *  11. more channels than the SCTP streams allow;
 *  12. an ICE restart by the answerer and an added transceiver during a transfer: DTLS
 *      roles, SCTP and the channel untouched;
 *  13. ICE, DTLS and SCTP handshakes across 30% loss.
 * Every run is seeded and nothing sleeps, but runs are not bit-for-bit reproducible: the DTLS
 * handshake and usrsctp draw from their own random sources, so packet sizes and SCTP timer
 * jitter differ from run to run; the checks hold for every run. MESHRTC_LOG=debug shows the
 * library's view; MESHRTC_SIM_TEST=name runs only the tests whose name contains it, and
 * MESHRTC_SIM_SEED=n only that seed of the partial reliability test. */
#include "unit/test.h"

#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc.h"
#include "sim/sim.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <time.h>

#define MAX_MSGS 512
#define MAX_CHANS 600
#define MAX_STORED 128
#define MAX_HIST 32

struct world;
struct chan;

/* A signaling message in flight (description or candidate) with its delivery time. */
typedef struct sig_msg {
    int to;
    mrtc_time at; /* MRTC_TIME_NEVER once delivered */
    int kind;     /* 0 description, 1 candidate, 2 end of candidates */
    mrtc_description_type type;
    char *text;
    char mid[8];
    int index;
} sig_msg;

typedef struct peer {
    int id;
    struct world *w;
    mrtc_vio *vio;
    mrtc_pc *pc; /* NULL once its close_cb ran */
    bool polite;
    bool closing;      /* mrtc_pc_close() was called */
    bool ignore_offer; /* perfect negotiation: the last remote offer was ignored (glare) */
    int n_close_cb;
    int n_negotiation_needed;
    int n_datachannel;
    int n_late_callbacks; /* any callback after mrtc_pc_close() */
    mrtc_ice_connection_state ice;
    mrtc_connection_state conn_hist[MAX_HIST];
    mrtc_time conn_at[MAX_HIST];
    int n_conn;
    mrtc_dtls_transport_state dtls_hist[MAX_HIST];
    int n_dtls;
    mrtc_sctp_transport_state sctp_hist[MAX_HIST];
    int n_sctp;
} peer;

typedef enum rx_mode {
    RX_STORE = 0, /* keep a copy of each message (MAX_STORED) */
    RX_STREAM,    /* a deterministic byte stream (scenario 2) */
    RX_NUMBERED,  /* numbered messages with a checksum (scenario 3) */
} rx_mode;

typedef struct stored {
    uint8_t *data; /* malloc'd copy (plain malloc: test bookkeeping, not library memory) */
    size_t len;
    bool binary;
} stored;

/* The sending half of a transfer paced by bufferedAmount. */
typedef struct xfer {
    uint64_t seed;
    uint64_t total;      /* bytes to send */
    uint64_t sent;       /* bytes accepted by send() */
    uint64_t k;          /* messages sent */
    size_t high;         /* stop filling above this bufferedAmount */
    size_t max_buffered; /* largest bufferedAmount seen after a send */
    uint64_t bad_accounting;
    EVP_MD_CTX *sha;
} xfer;

typedef struct chan {
    struct world *w;
    int side;
    mrtc_datachannel *dc; /* NULL once its close callback returned */
    bool remote;          /* announced by the datachannel callback */
    char label[64];
    int n_open, n_msg, n_low, n_error, n_closing, n_close;
    int last_error;
    char events[64]; /* o open, g closing, c close, e error, m message (first 40) */
    size_t n_events;
    int msgs_at_closing, msgs_at_close;
    size_t buffered_at_close;
    int32_t id_at_open;
    rx_mode mode;
    stored msgs[MAX_STORED];
    size_t n_msgs;
    bool null_data_violation; /* data != NULL with len 0, or NULL with len > 0 */
    /* RX_STREAM */
    uint64_t seed;
    uint64_t rx_bytes, rx_msgs;
    uint64_t first_bad_offset; /* UINT64_MAX: none */
    EVP_MD_CTX *sha;
    /* RX_NUMBERED */
    uint8_t *seen;
    uint32_t n_numbered;
    uint32_t n_valid, n_corrupt, n_dup, n_out_of_order, last_seq;
    bool expect_ordered;
    bool any_len; /* RX_NUMBERED: any payload length (else numbered_payload_len) */
    xfer *tx;
    /* Test hooks, called from the channel's callbacks after the bookkeeping. */
    void (*open_hook)(struct chan *c);
    void (*msg_hook)(struct chan *c, const uint8_t *data, size_t len, bool binary);
} chan;

typedef struct world {
    mrtc_time clock;
    sim_net *net;
    peer p[2];
    sig_msg msgs[MAX_MSGS];
    size_t n_msgs;
    mrtc_time signal_delay;
    chan *chans; /* MAX_CHANS */
    size_t n_chans;
    /* Called from the datachannel callback for each announced channel. */
    void (*remote_hook)(struct world *w, chan *c);
    rx_mode remote_mode; /* mode for channels announced by the datachannel callback */
    /* Edits a remote description before peer `to` applies it: returns a malloc'd text or
     * NULL to leave it unchanged. */
    char *(*munge)(struct world *w, int to, mrtc_description_type type, const char *sdp);
    /* A test hook run when the virtual clock reaches app_at (it may re-arm app_at). */
    void (*app)(struct world *w);
    mrtc_time app_at;
    void *app_user;
} world;

/* ---- helpers --------------------------------------------------------------------------- */

static double wall_now(void)
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
static void stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t pos = off + i;
        buf[i] = (uint8_t)(splitmix(seed ^ (pos >> 3)) >> ((pos & 7) * 8));
    }
}

static uint8_t scratch[(256u << 10) + 64];
/* Sends after which bufferedAmount had not grown by the message size (W3C says it does). */
static unsigned long g_w3c_buffered_violations;
static uint8_t scratch2[(256u << 10) + 64];

static const char *conn_name(mrtc_connection_state s)
{
    return mrtc_connection_state_name(s);
}

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

static void dump_peer(const peer *p)
{
    int v[MAX_HIST];
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

static void chan_event(chan *c, char e)
{
    if (c->n_events + 1 < sizeof c->events) {
        c->events[c->n_events++] = e;
        c->events[c->n_events] = 0;
    }
}

static void late_check(chan *c)
{
    peer *p = &c->w->p[c->side];
    if (p->closing)
        p->n_late_callbacks++;
}

static void rx_stream(chan *c, const uint8_t *data, size_t len)
{
    if (c->first_bad_offset == UINT64_MAX && len) {
        stream_fill(c->seed, c->rx_bytes, scratch2, len);
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

/* Numbered message: [seq u32][payload len u32][fnv64 of payload][payload]. */
#define NUM_HDR 16

static size_t numbered_payload_len(uint32_t seq)
{
    return (size_t)(splitmix(0x5eed0000u + seq) % 2000u); /* 0..1999: one or two packets */
}

/* Builds message `seq` with an n-byte payload into out (NUM_HDR + n bytes). */
static size_t numbered_build_n(uint32_t seq, size_t n, uint8_t *out)
{
    stream_fill(0xabc0000000ull + seq, 0, out + NUM_HDR, n);
    uint64_t h = sim_hash(SIM_HASH_INIT, out + NUM_HDR, n);
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(seq >> (24 - 8 * i));
        out[4 + i] = (uint8_t)(n >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)(h >> (56 - 8 * i));
    return NUM_HDR + n;
}

static size_t numbered_build(uint32_t seq, uint8_t *out)
{
    return numbered_build_n(seq, numbered_payload_len(seq), out);
}

static void rx_numbered(chan *c, const uint8_t *data, size_t len)
{
    if (len < NUM_HDR) {
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
    if (seq >= c->n_numbered || n != len - NUM_HDR ||
        (!c->any_len && n != numbered_payload_len(seq)) ||
        h != sim_hash(SIM_HASH_INIT, data + NUM_HDR, n)) {
        c->n_corrupt++;
        return;
    }
    stream_fill(0xabc0000000ull + seq, 0, scratch2, n);
    if (memcmp(scratch2, data + NUM_HDR, n) != 0) {
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
    chan *c = user;
    late_check(c);
    c->n_open++;
    chan_event(c, 'o');
    c->id_at_open = mrtc_datachannel_id(dc);
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_OPEN);
    if (c->open_hook)
        c->open_hook(c);
}

static void on_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *user)
{
    chan *c = user;
    (void)dc;
    late_check(c);
    c->n_msg++;
    if ((len == 0) != (data == NULL))
        c->null_data_violation = true;
    switch (c->mode) {
    case RX_STORE:
        if (c->n_events < 40)
            chan_event(c, 'm');
        if (c->n_msgs < MAX_STORED) {
            stored *s = &c->msgs[c->n_msgs++];
            s->len = len;
            s->binary = binary;
            s->data = malloc(len ? len : 1);
            if (len)
                memcpy(s->data, data, len);
        }
        break;
    case RX_STREAM:
        CHECK(binary);
        rx_stream(c, data, len);
        break;
    case RX_NUMBERED:
        CHECK(binary);
        rx_numbered(c, data, len);
        break;
    }
    if (c->msg_hook)
        c->msg_hook(c, data, len, binary);
}

static void xfer_pump(chan *c);

static void on_low(mrtc_datachannel *dc, void *user)
{
    chan *c = user;
    late_check(c);
    c->n_low++;
    /* A transfer only sends from here, so the amount is still low. (Elsewhere a send after
     * the crossing may have raised it again before the event is delivered.) */
    if (c->tx) {
        CHECK(mrtc_datachannel_buffered_amount(dc) <=
              mrtc_datachannel_buffered_amount_low_threshold(dc));
        xfer_pump(c);
    }
}

static void on_error(mrtc_datachannel *dc, int code, const char *message, void *user)
{
    chan *c = user;
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
    chan *c = user;
    late_check(c);
    c->n_closing++;
    chan_event(c, 'g');
    c->msgs_at_closing = c->n_msg;
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSING);
    /* A closing channel refuses to send (W3C InvalidStateError), and nothing is queued. */
    size_t before = mrtc_datachannel_buffered_amount(dc);
    CHECK_EQ(mrtc_datachannel_send_text(dc, "late"), MRTC_ESTATE);
    CHECK_EQ(mrtc_datachannel_buffered_amount(dc), before);
}

static void on_close(mrtc_datachannel *dc, void *user)
{
    chan *c = user;
    late_check(c);
    c->n_close++;
    chan_event(c, 'c');
    c->msgs_at_close = c->n_msg;
    c->buffered_at_close = mrtc_datachannel_buffered_amount(dc);
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_CLOSED);
    CHECK_EQ(mrtc_datachannel_send_text(dc, "late"), MRTC_ESTATE);
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

static chan *chan_add(world *w, int side, mrtc_datachannel *dc, bool remote, const char *label)
{
    if (w->n_chans == MAX_CHANS)
        return NULL;
    chan *c = &w->chans[w->n_chans++];
    memset(c, 0, sizeof *c);
    c->w = w;
    c->side = side;
    c->dc = dc;
    c->remote = remote;
    c->id_at_open = -2;
    c->first_bad_offset = UINT64_MAX;
    snprintf(c->label, sizeof c->label, "%s", label ? label : "");
    mrtc_datachannel_set_callbacks(dc, &chan_callbacks, c);
    CHECK(mrtc_datachannel_user(dc) == c);
    return c;
}

/* Creates a channel on side `side`; NULL (and a failed check) on error. */
static chan *chan_create(world *w, int side, const char *label, const mrtc_datachannel_init *init)
{
    mrtc_datachannel *dc = NULL;
    int err = mrtc_pc_create_datachannel(w->p[side].pc, label, init, &dc);
    if (err)
        fprintf(stderr, "  create_datachannel(%s) on pc%d: %s (%s)\n", label, side,
                mrtc_err_name(err), mrtc_pc_last_error(w->p[side].pc));
    CHECK_EQ(err, 0);
    if (err)
        return NULL;
    CHECK(dc != NULL);
    CHECK(mrtc_datachannel_pc(dc) == w->p[side].pc);
    return chan_add(w, side, dc, false, label);
}

/* The channel announced on `side` with this label (datachannel callback), or NULL. */
static chan *chan_remote(world *w, int side, const char *label)
{
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].side == side && w->chans[i].remote && !strcmp(w->chans[i].label, label))
            return &w->chans[i];
    return NULL;
}

static void chans_release(world *w)
{
    for (size_t i = 0; i < w->n_chans; i++) {
        chan *c = &w->chans[i];
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

static void post_msg(world *w, int to, int kind, mrtc_description_type type, const char *text,
                     const char *mid, int index)
{
    CHECK(w->n_msgs < MAX_MSGS);
    if (w->n_msgs == MAX_MSGS)
        return;
    sig_msg *m = &w->msgs[w->n_msgs++];
    *m = (sig_msg){
        .to = to, .at = w->clock + w->signal_delay, .kind = kind, .type = type, .index = index};
    m->text = text ? mrtc_strdup(text) : NULL;
    snprintf(m->mid, sizeof m->mid, "%s", mid ? mid : "");
}

static void net_send(void *user, const mrtc_transmit *t)
{
    world *w = user;
    sim_net_send(w->net, w->clock, t);
}

static void send_local(peer *p)
{
    char *sdp = NULL;
    mrtc_description_type type;
    CHECK_EQ(mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp), 0);
    post_msg(p->w, 1 - p->id, 0, type, sdp, NULL, -1);
    mrtc_string_free(sdp);
}

static void pc_late(peer *p)
{
    if (p->closing)
        p->n_late_callbacks++;
}

static void on_negotiation_needed(mrtc_pc *pc, void *user)
{
    peer *p = user;
    pc_late(p);
    p->n_negotiation_needed++;
    CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    send_local(p);
}

static void on_candidate(mrtc_pc *pc, const char *cand, const char *mid, int index, void *user)
{
    peer *p = user;
    (void)pc;
    pc_late(p);
    if (cand)
        post_msg(p->w, 1 - p->id, 1, MRTC_DESCRIPTION_NONE, cand, mid, index);
    else
        post_msg(p->w, 1 - p->id, 2, MRTC_DESCRIPTION_NONE, NULL, NULL, -1);
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state s, void *user)
{
    peer *p = user;
    (void)pc;
    pc_late(p);
    p->ice = s;
}

static void on_conn(mrtc_pc *pc, mrtc_connection_state s, void *user)
{
    peer *p = user;
    (void)pc;
    pc_late(p);
    if (p->n_conn < MAX_HIST) {
        p->conn_at[p->n_conn] = p->w->clock;
        p->conn_hist[p->n_conn++] = s;
    }
}

static void on_dtls(mrtc_pc *pc, mrtc_dtls_transport_state s, void *user)
{
    peer *p = user;
    (void)pc;
    pc_late(p);
    if (p->n_dtls < MAX_HIST)
        p->dtls_hist[p->n_dtls++] = s;
}

static void on_sctp(mrtc_pc *pc, mrtc_sctp_transport_state s, void *user)
{
    peer *p = user;
    (void)pc;
    pc_late(p);
    if (p->n_sctp < MAX_HIST)
        p->sctp_hist[p->n_sctp++] = s;
}

static void on_datachannel(mrtc_pc *pc, mrtc_datachannel *dc, void *user)
{
    peer *p = user;
    pc_late(p);
    p->n_datachannel++;
    CHECK(mrtc_datachannel_pc(dc) == pc);
    CHECK_EQ(mrtc_datachannel_ready_state(dc), MRTC_DATACHANNEL_OPEN);
    CHECK(!mrtc_datachannel_negotiated(dc));
    chan *c = chan_add(p->w, p->id, dc, true, mrtc_datachannel_label(dc));
    CHECK(c != NULL);
    if (!c)
        return;
    c->mode = p->w->remote_mode;
    if (c->mode == RX_NUMBERED) {
        c->n_numbered = 4096;
        c->seen = calloc(c->n_numbered, 1);
        c->expect_ordered = mrtc_datachannel_ordered(dc);
    }
    if (p->w->remote_hook)
        p->w->remote_hook(p->w, c);
}

static const mrtc_pc_callbacks pc_callbacks = {
    .negotiation_needed = on_negotiation_needed,
    .ice_candidate = on_candidate,
    .ice_connection_state_change = on_ice,
    .connection_state_change = on_conn,
    .datachannel = on_datachannel,
    .dtls_state_change = on_dtls,
    .sctp_state_change = on_sctp,
};

static void deliver_msg(world *w, sig_msg *m)
{
    peer *p = &w->p[m->to];
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
        CHECK_EQ(err, 0);
        free(edited);
        if (!err && m->type == MRTC_DESCRIPTION_OFFER) {
            CHECK_EQ(mrtc_pc_set_local_description(p->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
            send_local(p);
        }
    } else if (m->kind == 1) {
        /* Candidates of an ignored offer fail; perfect negotiation swallows that. */
        int err = mrtc_pc_add_ice_candidate(p->pc, m->text, m->mid, m->index);
        if (err && !p->ignore_offer) {
            fprintf(stderr, "  pc%d addIceCandidate failed: %s\n", p->id,
                    mrtc_pc_last_error(p->pc));
            CHECK_EQ(err, 0);
        }
    } else {
        int err = mrtc_pc_add_ice_candidate(p->pc, NULL, NULL, -1);
        if (!p->ignore_offer)
            CHECK_EQ(err, 0);
    }
}

/* Link defaults for a world: delay/jitter only. */
static void world_init(world *w, uint64_t seed, const sim_link *link)
{
    memset(w, 0, sizeof *w);
    w->chans = calloc(MAX_CHANS, sizeof *w->chans);
    w->net = sim_net_new(seed);
    CHECK(w->net != NULL);
    w->signal_delay = MRTC_MSEC(30);
    w->app_at = MRTC_TIME_NEVER;
    sim_link def;
    sim_link_init(&def);
    def.delay = MRTC_MSEC(10);
    def.jitter = MRTC_MSEC(2);
    sim_net_set_default_link(w->net, link ? link : &def);
    for (int i = 0; i < 2; i++) {
        peer *p = &w->p[i];
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
        CHECK_EQ(mrtc_vio_new(&cfg, &p->vio), 0);
        CHECK_EQ(mrtc_pc_create(mrtc_vio_io(p->vio), NULL, &pc_callbacks, p, &p->pc), 0);
        CHECK_EQ(mrtc_pc_connection_state(p->pc), MRTC_CONNECTION_NEW);
    }
}

static void world_free(world *w)
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
}

/* One step of the event loop: advance the virtual clock to the next datagram, signaling
 * message, test hook or PeerConnection deadline and handle everything due then. */
static bool world_step(world *w, mrtc_time until)
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
        sig_msg *m = &w->msgs[i];
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
static bool run_until(world *w, mrtc_time limit, bool (*pred)(world *w))
{
    mrtc_time until = w->clock + limit;
    while (!pred || !pred(w)) {
        if (!world_step(w, until))
            return pred ? pred(w) : true;
    }
    return true;
}

static void run_for(world *w, mrtc_time d)
{
    run_until(w, d, NULL);
}

static bool both_connected(world *w)
{
    return w->p[0].pc && w->p[1].pc &&
           mrtc_pc_connection_state(w->p[0].pc) == MRTC_CONNECTION_CONNECTED &&
           mrtc_pc_connection_state(w->p[1].pc) == MRTC_CONNECTION_CONNECTED;
}

/* Every channel in the world (local and remote) has opened, and both PCs are connected. */
static size_t want_remote[2]; /* datachannel callbacks expected per side */
static bool all_open(world *w)
{
    if (!both_connected(w))
        return false;
    for (int s = 0; s < 2; s++)
        if ((size_t)w->p[s].n_datachannel < want_remote[s])
            return false;
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].n_open < 1)
            return false;
    return true;
}

/* The side whose DTLS role is client (its local description says a=setup:active). */
static int dtls_client_side(world *w)
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
static long long remote_max_message_size(world *w, int side)
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

static void close_cb(mrtc_pc *pc, void *user)
{
    peer *p = user;
    CHECK(p->pc == pc);
    p->n_close_cb++;
    p->pc = NULL;
}

static bool both_pcs_gone(world *w)
{
    return !w->p[0].pc && !w->p[1].pc;
}

/* Closes both PCs with close callbacks, runs until they are freed and checks that no
 * callback came after close. */
static void close_both(world *w)
{
    for (int i = 0; i < 2; i++) {
        if (!w->p[i].pc)
            continue;
        w->p[i].closing = true;
        CHECK_EQ(mrtc_pc_close(w->p[i].pc, close_cb), 0);
    }
    CHECK(run_until(w, MRTC_SEC(1), both_pcs_gone));
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(w->p[i].n_close_cb, 1);
        CHECK_EQ(w->p[i].n_late_callbacks, 0);
        CHECK_EQ(mrtc_vio_pc_count(w->p[i].vio), 0);
    }
}

/* ---- SDP munging (remote descriptions only) --------------------------------------------- */

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
        stream_fill(100 + (uint64_t)side, 0, buf, n);
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
static void check_kinds(chan *c, int from_side, const char *label, bool ordered)
{
    CHECK_EQ(c->n_msgs, N_KINDS);
    CHECK(!c->null_data_violation);
    bool used[N_KINDS] = {0};
    for (int k = 0; k < N_KINDS; k++) {
        bool binary;
        size_t n = kind_msg(k, from_side, label, scratch, &binary);
        int found = -1;
        for (size_t i = 0; i < c->n_msgs && found < 0; i++) {
            stored *s = &c->msgs[i];
            if (!used[i] && s->len == n && s->binary == binary && !memcmp(s->data, scratch, n))
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

static void send_kinds(chan *c)
{
    for (int k = 0; k < N_KINDS; k++) {
        bool binary;
        size_t n = kind_msg(k, c->side, c->label, scratch, &binary);
        size_t before = mrtc_datachannel_buffered_amount(c->dc);
        int err = k == 0 ? mrtc_datachannel_send_text(c->dc, (const char *)scratch)
                         : mrtc_datachannel_send(c->dc, n ? scratch : NULL, n, binary);
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

static bool all_kinds_received(world *w)
{
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].n_msgs < N_KINDS)
            return false;
    return true;
}

static int state_hist_connected(const peer *p)
{
    int n = 0;
    for (int i = 0; i < p->n_conn; i++)
        n += p->conn_hist[i] == MRTC_CONNECTION_CONNECTED;
    return n;
}

static void test_channel_kinds(void)
{
    double t0 = wall_now();
    world w;
    world_init(&w, 11, NULL);
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
    chan *rel = chan_create(&w, 0, label_rel, &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    chan *unord = chan_create(&w, 0, "unordered", &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    init.max_retransmits = 5;
    init.protocol = "x-rexmit";
    chan *rexmit = chan_create(&w, 0, "rexmit", &init);
    mrtc_datachannel_init_defaults(&init);
    init.max_packet_lifetime = 3000;
    chan *life = chan_create(&w, 0, "lifetime", &init);
    mrtc_datachannel_init_defaults(&init);
    init.negotiated = true;
    init.id = 42;
    init.protocol = "neg";
    chan *neg0 = chan_create(&w, 0, "negotiated", &init);
    if (!rel || !unord || !rexmit || !life || !neg0) {
        world_free(&w);
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

    want_remote[0] = 0;
    want_remote[1] = 4;
    bool ok = run_until(&w, MRTC_SEC(20), all_open);
    if (!ok) {
        fprintf(stderr, "  channels did not open: pc1 saw %d datachannel callbacks\n",
                w.p[1].n_datachannel);
        for (size_t i = 0; i < w.n_chans; i++)
            fprintf(stderr, "  pc%d %s: events '%s'\n", w.chans[i].side, w.chans[i].label,
                    w.chans[i].events);
        dump_peer(&w.p[0]);
        dump_peer(&w.p[1]);
    }
    CHECK(ok);
    CHECK_EQ(w.p[0].n_negotiation_needed, 1);
    CHECK_EQ(w.p[1].n_negotiation_needed, 0);
    mrtc_time t_open = w.clock;

    /* States: new -> connecting -> connected, through the callbacks too. */
    for (int i = 0; i < 2; i++) {
        peer *p = &w.p[i];
        bool hist_ok = p->n_conn == 2 && p->conn_hist[0] == MRTC_CONNECTION_CONNECTING &&
                       p->conn_hist[1] == MRTC_CONNECTION_CONNECTED;
        bool dtls_ok = p->n_dtls == 2 && p->dtls_hist[0] == MRTC_DTLS_TRANSPORT_CONNECTING &&
                       p->dtls_hist[1] == MRTC_DTLS_TRANSPORT_CONNECTED;
        int s0 = p->n_sctp > 0 && p->sctp_hist[0] == MRTC_SCTP_TRANSPORT_CONNECTING ? 1 : 0;
        bool sctp_ok = p->n_sctp == s0 + 1 && p->sctp_hist[s0] == MRTC_SCTP_TRANSPORT_CONNECTED;
        if (!hist_ok || !dtls_ok || !sctp_ok)
            dump_peer(p);
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
        long long mms = remote_max_message_size(&w, i);
        size_t want = mms < 0 ? 65536 : mms == 0 ? SIZE_MAX : (size_t)mms;
        if (si.max_message_size != want)
            fprintf(stderr, "  pc%d maxMessageSize %zu, remote a=max-message-size %lld\n", i,
                    si.max_message_size, mms);
        CHECK(si.max_message_size == want);
    }

    /* Ids by DTLS role: even for the client, odd for the server (RFC 8832 section 6). */
    int client = dtls_client_side(&w);
    CHECK_EQ(client, 1); /* the answerer answered actpass with active */
    chan *mine[] = {rel, unord, rexmit, life};
    for (size_t i = 0; i < 4; i++) {
        int32_t id = mrtc_datachannel_id(mine[i]->dc);
        CHECK(id >= 0);
        CHECK_EQ(id % 2, client == 0 ? 0 : 1);
        CHECK_EQ(mine[i]->id_at_open, id);
        chan *r = chan_remote(&w, 1, mine[i]->label);
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
    chan *neg1 = chan_create(&w, 1, "negotiated", &init);
    init.id = 100;
    init.ordered = false;
    init.protocol = "";
    chan *negb0 = chan_create(&w, 0, "neg100", &init);
    chan *negb1 = chan_create(&w, 1, "neg100", &init);
    mrtc_datachannel_init_defaults(&init);
    chan *late0 = chan_create(&w, 0, "late0", &init);
    init.protocol = "from-answerer";
    init.max_retransmits = 2;
    chan *late1 = chan_create(&w, 1, "late1", &init);
    if (!neg1 || !negb0 || !negb1 || !late0 || !late1) {
        world_free(&w);
        return;
    }
    /* The DTLS role is known now: ids are assigned at creation. */
    CHECK(mrtc_datachannel_id(late0->dc) >= 0);
    CHECK(mrtc_datachannel_id(late1->dc) >= 0);
    want_remote[0] = 1;
    want_remote[1] = 5;
    CHECK(run_until(&w, MRTC_SEC(5), all_open));
    CHECK_EQ(w.p[0].n_negotiation_needed, 1);
    CHECK_EQ(w.p[1].n_negotiation_needed, 0);
    CHECK_EQ(mrtc_pc_signaling_state(w.p[0].pc), MRTC_SIGNALING_STABLE);
    CHECK_EQ(mrtc_datachannel_id(late0->dc) % 2, client == 0 ? 0 : 1);
    CHECK_EQ(mrtc_datachannel_id(late1->dc) % 2, client == 1 ? 0 : 1);
    chan *late1r = chan_remote(&w, 0, "late1");
    chan *late0r = chan_remote(&w, 1, "late0");
    CHECK(late1r && late0r);
    if (!late1r || !late0r) {
        world_free(&w);
        return;
    }
    CHECK_EQ(mrtc_datachannel_id(late1r->dc), mrtc_datachannel_id(late1->dc));
    CHECK_STR(mrtc_datachannel_protocol(late1r->dc), "from-answerer");
    CHECK_EQ(mrtc_datachannel_max_retransmits(late1r->dc), 2);
    CHECK(mrtc_datachannel_ordered(late1r->dc));
    CHECK_EQ(mrtc_datachannel_id(neg1->dc), 42);

    /* Every kind of message, both ways, on every channel pair. */
    struct {
        chan *a, *b;
        bool ordered;
    } pairs[] = {
        {rel, chan_remote(&w, 1, label_rel), true},
        {unord, chan_remote(&w, 1, "unordered"), false},
        {rexmit, chan_remote(&w, 1, "rexmit"), false},
        {life, chan_remote(&w, 1, "lifetime"), true},
        {neg0, neg1, true},
        {negb0, negb1, false},
        {late0, late0r, true},
        {late1r, late1, true},
    };
    size_t n_pairs = sizeof pairs / sizeof pairs[0];
    for (size_t i = 0; i < n_pairs; i++) {
        CHECK(pairs[i].a && pairs[i].b);
        if (!pairs[i].a || !pairs[i].b) {
            world_free(&w);
            return;
        }
        send_kinds(pairs[i].a);
        send_kinds(pairs[i].b);
    }
    CHECK(run_until(&w, MRTC_SEC(10), all_kinds_received));
    for (size_t i = 0; i < n_pairs; i++) {
        chan *a = pairs[i].a, *b = pairs[i].b;
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
    run_for(&w, MRTC_SEC(2));
    for (size_t i = 0; i < w.n_chans; i++)
        CHECK_EQ(w.chans[i].n_msgs, N_KINDS);
    CHECK(both_connected(&w));
    printf("  channel kinds: open at %.3f s virtual, done at %.3f s virtual, %.2f s wall\n",
           (double)t_open / 1e6, (double)w.clock / 1e6, wall_now() - t0);
    close_both(&w);
    world_free(&w);
}

/* ---- 2. a 20 MB transfer under loss ------------------------------------------------------ */

#define XFER_MSG_MAX 65000u

static size_t xfer_msg_len(const xfer *x, uint64_t k)
{
    return 1 + (size_t)(splitmix(x->seed * 31 + k) % XFER_MSG_MAX);
}

static void xfer_pump(chan *c)
{
    xfer *x = c->tx;
    if (!c->dc || mrtc_datachannel_ready_state(c->dc) != MRTC_DATACHANNEL_OPEN)
        return;
    while (x->sent < x->total && mrtc_datachannel_buffered_amount(c->dc) < x->high) {
        size_t n = xfer_msg_len(x, x->k);
        if (n > x->total - x->sent)
            n = (size_t)(x->total - x->sent);
        stream_fill(x->seed, x->sent, scratch, n);
        size_t before = mrtc_datachannel_buffered_amount(c->dc);
        int err = mrtc_datachannel_send(c->dc, scratch, n, true);
        CHECK_EQ(err, 0);
        if (err)
            return;
        size_t after = mrtc_datachannel_buffered_amount(c->dc);
        CHECK(after <= before + n);
        if (after != before + n)
            x->bad_accounting++;
        if (after > x->max_buffered)
            x->max_buffered = after;
        EVP_DigestUpdate(x->sha, scratch, n);
        x->sent += n;
        x->k++;
    }
}

static chan *g_rx; /* the receiving channel of the transfer */
static chan *g_tx;

static bool xfer_done(world *w)
{
    (void)w;
    return g_rx && g_rx->rx_bytes >= g_tx->tx->total && g_tx->dc &&
           mrtc_datachannel_buffered_amount(g_tx->dc) == 0;
}

static bool one_remote(world *w)
{
    return both_connected(w) && w->p[1].n_datachannel >= 1 && w->chans[0].n_open == 1;
}

/* Starts a transfer of `total` bytes from pc0 to pc1 on a new reliable ordered channel
 * (created before negotiation) and returns once it is open on both sides. */
static bool xfer_setup(world *w, uint64_t total, uint64_t seed)
{
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    w->remote_mode = RX_STREAM;
    chan *tx = chan_create(w, 0, "bulk", &init);
    if (!tx)
        return false;
    tx->tx = calloc(1, sizeof *tx->tx);
    tx->tx->seed = seed;
    tx->tx->total = total;
    tx->tx->high = 1u << 20;
    tx->tx->sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(tx->tx->sha, EVP_sha256(), NULL);
    mrtc_datachannel_set_buffered_amount_low_threshold(tx->dc, 256u << 10);
    CHECK_EQ(mrtc_datachannel_buffered_amount_low_threshold(tx->dc), 256u << 10);
    g_tx = tx;
    g_rx = NULL;
    bool ok = run_until(w, MRTC_SEC(30), one_remote);
    CHECK(ok);
    if (!ok) {
        dump_peer(&w->p[0]);
        dump_peer(&w->p[1]);
        return false;
    }
    g_rx = chan_remote(w, 1, "bulk");
    CHECK(g_rx != NULL);
    if (!g_rx)
        return false;
    g_rx->seed = seed;
    g_rx->sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(g_rx->sha, EVP_sha256(), NULL);
    return true;
}

static void bulk_transfer(uint64_t seed)
{
    double t0 = wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.05;
    link.delay = MRTC_MSEC(15);
    link.jitter = MRTC_MSEC(3);
    link.reorder = 0.03;
    link.reorder_delay = MRTC_MSEC(10);
    link.bandwidth_bps = 100000000; /* 100 Mbit/s */
    link.queue_bytes = 1u << 20;
    world w;
    world_init(&w, seed, &link);
    const uint64_t total = 20ull << 20;
    if (!xfer_setup(&w, total, 0x2020 + seed)) {
        world_free(&w);
        return;
    }
    mrtc_time start = w.clock;
    xfer_pump(g_tx);
    bool ok = run_until(&w, MRTC_SEC(900), xfer_done);
    if (!ok)
        fprintf(stderr,
                "  transfer stalled: %llu of %llu bytes received, %llu sent, buffered "
                "%zu, conn %s/%s\n",
                (unsigned long long)g_rx->rx_bytes, (unsigned long long)total,
                (unsigned long long)g_tx->tx->sent,
                g_tx->dc ? mrtc_datachannel_buffered_amount(g_tx->dc) : 0,
                conn_name(mrtc_pc_connection_state(w.p[0].pc)),
                conn_name(mrtc_pc_connection_state(w.p[1].pc)));
    CHECK(ok);
    mrtc_time took = w.clock - start;
    xfer *x = g_tx->tx;
    CHECK_U64(x->sent, total);
    CHECK_U64(g_rx->rx_bytes, total);
    CHECK_U64(g_rx->rx_msgs, x->k);
    CHECK_U64(g_rx->first_bad_offset, UINT64_MAX);
    uint8_t h1[32], h2[32];
    unsigned l1 = 0, l2 = 0;
    EVP_DigestFinal_ex(x->sha, h1, &l1);
    EVP_DigestFinal_ex(g_rx->sha, h2, &l2);
    CHECK_EQ(l1, 32);
    CHECK_MEM(h1, h2, 32);
    /* Paced by buffered_amount_low; the buffer never grew past high + one message. */
    CHECK(g_tx->n_low > 0);
    CHECK(x->max_buffered <= x->high + XFER_MSG_MAX);
    CHECK(!g_rx->null_data_violation);
    CHECK_EQ(g_tx->n_error + g_rx->n_error, 0);
    const sim_stats *ns = sim_net_get_stats(w.net);
    CHECK(ns->lost > 0 && ns->reordered > 0);
    mrtc_datachannel_stats st;
    mrtc_datachannel_get_stats(g_rx->dc, &st);
    CHECK_U64(st.bytes_received, total);
    CHECK_U64(st.messages_received, x->k);
    printf("  seed %llu: 20 MB under 5%% loss: %llu messages in %.2f s virtual (%.2f Mbit/s), %d "
           "buffered-low events, max bufferedAmount %zu, %llu sends handed to SCTP at once, "
           "%llu datagrams lost, %llu reordered, %.2f s wall\n",
           (unsigned long long)seed, (unsigned long long)x->k, (double)took / 1e6,
           (double)total * 8 / ((double)took / 1e6) / 1e6, g_tx->n_low, x->max_buffered,
           (unsigned long long)x->bad_accounting, (unsigned long long)ns->lost,
           (unsigned long long)ns->reordered, wall_now() - t0);
    CHECK(both_connected(&w));
    close_both(&w);
    world_free(&w);
}

static void test_bulk_transfer_lossy(void)
{
    for (uint64_t seed = 21; seed <= 23; seed++)
        bulk_transfer(seed);
}

/* ---- 3. partially reliable channels ------------------------------------------------------ */

#define PR_COUNT 500
#define PR_INTERVAL MRTC_MSEC(60) /* 3 x ~1 KB each: ~50 KB/s, well under what the link carries */

typedef struct pr_state {
    chan *tx[3];
    uint32_t next;
} pr_state;

static pr_state g_pr;

static void pr_tick(world *w)
{
    for (int i = 0; i < 3; i++) {
        uint8_t buf[NUM_HDR + 3000];
        size_t n = numbered_build(g_pr.next, buf);
        CHECK_EQ(mrtc_datachannel_send(g_pr.tx[i]->dc, buf, n, true), 0);
    }
    if (++g_pr.next < PR_COUNT)
        w->app_at = w->clock + PR_INTERVAL;
}

static bool pr_drained(world *w)
{
    (void)w;
    for (int i = 0; i < 3; i++)
        if (mrtc_datachannel_buffered_amount(g_pr.tx[i]->dc) != 0)
            return false;
    return true;
}

static bool pr_opened(world *w)
{
    return both_connected(w) && w->p[1].n_datachannel == 3 && g_pr.tx[0]->n_open &&
           g_pr.tx[1]->n_open && g_pr.tx[2]->n_open;
}

static void partial_reliability(uint64_t seed)
{
    double t0 = wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.10;
    link.delay = MRTC_MSEC(15);
    link.jitter = MRTC_MSEC(5);
    link.reorder = 0.03;
    link.reorder_delay = MRTC_MSEC(15);
    link.duplicate = 0.03;
    world w;
    world_init(&w, seed, &link);
    w.remote_mode = RX_NUMBERED;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    init.max_retransmits = 0;
    g_pr.tx[0] = chan_create(&w, 0, "rexmit0", &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = false;
    init.max_packet_lifetime = 50;
    g_pr.tx[1] = chan_create(&w, 0, "life50", &init);
    mrtc_datachannel_init_defaults(&init);
    init.ordered = true;
    init.max_retransmits = 0;
    g_pr.tx[2] = chan_create(&w, 0, "ordered-rexmit0", &init);
    g_pr.next = 0;
    if (!g_pr.tx[0] || !g_pr.tx[1] || !g_pr.tx[2]) {
        world_free(&w);
        return;
    }
    bool ok = run_until(&w, MRTC_SEC(60), pr_opened);
    CHECK(ok);
    if (!ok) {
        dump_peer(&w.p[0]);
        dump_peer(&w.p[1]);
        world_free(&w);
        return;
    }
    w.app = pr_tick;
    w.app_at = w.clock;
    run_for(&w, PR_INTERVAL * PR_COUNT);
    CHECK_EQ(g_pr.next, PR_COUNT);
    /* Everything queued is handed to SCTP (sent or given up), then late packets land. */
    CHECK(run_until(&w, MRTC_SEC(60), pr_drained));
    run_for(&w, MRTC_SEC(10));
    const char *names[3] = {"rexmit0", "life50", "ordered-rexmit0"};
    for (int i = 0; i < 3; i++) {
        chan *r = chan_remote(&w, 1, names[i]);
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
           wall_now() - t0);
    /* Still up. On an idle 10%-loss link ICE may be "disconnected" for a moment: the agent
     * probes once at half of the 5 s disconnected timeout, and when that probe is lost
     * both ways nothing else is sent before the timeout. Not failed, though. */
    for (int i = 0; i < 2; i++) {
        mrtc_connection_state cs = mrtc_pc_connection_state(w.p[i].pc);
        if (cs != MRTC_CONNECTION_CONNECTED) {
            fprintf(stderr, "  seed %llu: pc%d %s at the end (%.3f s)\n", (unsigned long long)seed,
                    i, conn_name(cs), (double)w.clock / 1e6);
            dump_peer(&w.p[i]);
        }
        CHECK(cs == MRTC_CONNECTION_CONNECTED || cs == MRTC_CONNECTION_DISCONNECTED);
        mrtc_sctp_transport_info si;
        CHECK(mrtc_pc_get_sctp_transport(w.p[i].pc, &si) == 0 &&
              si.state == MRTC_SCTP_TRANSPORT_CONNECTED);
    }
    close_both(&w);
    world_free(&w);
}

static void test_partial_reliability(void)
{
    for (uint64_t seed = 31; seed <= 35; seed++)
        if (!getenv("MESHRTC_SIM_SEED") || strtoull(getenv("MESHRTC_SIM_SEED"), NULL, 10) == seed)
            partial_reliability(seed);
}

/* ---- 4. max-message-size ----------------------------------------------------------------- */

static chan *g_small_tx, *g_small_rx;

static bool rx_got_one(world *w)
{
    (void)w;
    return g_small_rx->n_msg >= 1;
}

static bool small_done(world *w)
{
    (void)w;
    return g_small_rx->n_msg >= 2 && g_small_tx->n_msg >= 1;
}

static char *munge_answer_mms(world *w, int to, mrtc_description_type type, const char *sdp)
{
    (void)w;
    return to == 0 && type == MRTC_DESCRIPTION_ANSWER ? munge_mms(sdp) : NULL;
}

static void test_max_message_size(void)
{
    double t0 = wall_now();
    /* a) between two meshrtc peers: the announced maximum works, one more does not. */
    {
        world w;
        world_init(&w, 41, NULL);
        mrtc_datachannel_init init;
        mrtc_datachannel_init_defaults(&init);
        chan *c = chan_create(&w, 0, "mms", &init);
        if (!c || !run_until(&w, MRTC_SEC(20), one_remote)) {
            CHECK(0);
            world_free(&w);
            return;
        }
        chan *r = chan_remote(&w, 1, "mms");
        mrtc_sctp_transport_info si;
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), 0);
        size_t max = si.max_message_size;
        printf("  maxMessageSize between meshrtc peers: %zu (remote a=max-message-size %lld)\n",
               max, remote_max_message_size(&w, 0));
        CHECK(max >= 65536 && max <= sizeof scratch - 64);
        if (max > sizeof scratch - 64)
            max = sizeof scratch - 64;
        stream_fill(7, 0, scratch, max + 1);
        mrtc_datachannel_stats before, after;
        mrtc_datachannel_get_stats(c->dc, &before);
        CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, max + 1, true), MRTC_ETOOBIG);
        CHECK_EQ(mrtc_datachannel_buffered_amount(c->dc), 0);
        mrtc_datachannel_get_stats(c->dc, &after);
        CHECK_U64(after.messages_sent, before.messages_sent);
        CHECK_U64(after.bytes_sent, before.bytes_sent);
        CHECK_EQ(mrtc_datachannel_ready_state(c->dc), MRTC_DATACHANNEL_OPEN);
        CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, max, true), 0);
        CHECK(mrtc_datachannel_buffered_amount(c->dc) <= max);
        g_small_rx = r;
        CHECK(r && run_until(&w, MRTC_SEC(10), rx_got_one));
        CHECK(r && r->n_msgs == 1);
        if (r && r->n_msgs == 1) {
            CHECK_EQ(r->msgs[0].len, max);
            CHECK(r->msgs[0].len == max && !memcmp(r->msgs[0].data, scratch, max));
        }
        run_for(&w, MRTC_SEC(1));
        CHECK_EQ(r ? r->n_msgs : 0, 1);
        CHECK_EQ(c->n_error + (r ? r->n_error : 0), 0);
        close_both(&w);
        world_free(&w);
    }
    /* b) the answerer announces a=max-message-size:1000 (munged in the answer pc0
     * applies): pc0 may send 1000 bytes, not 1001; pc1 still may send more to pc0. */
    {
        world w;
        world_init(&w, 42, NULL);
        w.munge = munge_answer_mms;
        mms_value = 1000;
        mrtc_datachannel_init init;
        mrtc_datachannel_init_defaults(&init);
        chan *c = chan_create(&w, 0, "small", &init);
        if (!c || !run_until(&w, MRTC_SEC(20), one_remote)) {
            CHECK(0);
            world_free(&w);
            return;
        }
        chan *r = chan_remote(&w, 1, "small");
        CHECK(r != NULL);
        CHECK_EQ(remote_max_message_size(&w, 0), 1000);
        mrtc_sctp_transport_info si;
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), 0);
        CHECK_EQ(si.max_message_size, 1000);
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[1].pc, &si), 0);
        CHECK(si.max_message_size > 1000);
        stream_fill(8, 0, scratch, 5000);
        CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, 1001, true), MRTC_ETOOBIG);
        CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, 4000, false), MRTC_ETOOBIG);
        CHECK_EQ(mrtc_datachannel_buffered_amount(c->dc), 0);
        CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, 1000, true), 0);
        CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, 0, true), 0);
        if (r)
            CHECK_EQ(mrtc_datachannel_send(r->dc, scratch, 5000, true), 0);
        if (r) {
            g_small_tx = c;
            g_small_rx = r;
            CHECK(run_until(&w, MRTC_SEC(10), small_done));
            run_for(&w, MRTC_SEC(1));
            CHECK_EQ(r->n_msgs, 2);
            CHECK_EQ(r->msgs[0].len, 1000);
            CHECK(!memcmp(r->msgs[0].data, scratch, 1000));
            CHECK_EQ(r->msgs[1].len, 0);
        }
        CHECK(c->n_msgs >= 1 && c->msgs[0].len == 5000 && !memcmp(c->msgs[0].data, scratch, 5000));
        close_both(&w);
        world_free(&w);
    }
    /* c) no a=max-message-size in the answer: 64 KiB (RFC 8841 section 6.1); d) 0: no
     * limit on our side, so a message over the peer's own limit (its a=max-message-size
     * says 256 KiB, but we were told otherwise) leaves, and the peer reports an error. */
    const size_t mms_cases[2] = {MMS_REMOVE, 0};
    for (int k = 0; k < 2; k++) {
        world w;
        world_init(&w, 43 + (uint64_t)k, NULL);
        w.munge = munge_answer_mms;
        mms_value = mms_cases[k];
        chan *c = chan_create(&w, 0, "mms", NULL);
        if (!c || !run_until(&w, MRTC_SEC(20), one_remote)) {
            CHECK(0);
            world_free(&w);
            return;
        }
        chan *r = chan_remote(&w, 1, "mms");
        mrtc_sctp_transport_info si;
        CHECK_EQ(mrtc_pc_get_sctp_transport(w.p[0].pc, &si), 0);
        if (k == 0) {
            CHECK_EQ(remote_max_message_size(&w, 0), -1);
            CHECK_EQ(si.max_message_size, 65536);
            CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, 65537, true), MRTC_ETOOBIG);
            CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, 65536, true), 0);
            g_small_rx = r;
            CHECK(r && run_until(&w, MRTC_SEC(10), rx_got_one));
            CHECK(r && r->n_msgs == 1 && r->msgs[0].len == 65536);
        } else {
            /* W3C: remote 0 means "what we can send" (here the SCTP send buffer), not
             * necessarily SIZE_MAX. */
            printf("  a=max-message-size:0: maxMessageSize %zu\n", si.max_message_size);
            CHECK(si.max_message_size > (256u << 10));
            if (si.max_message_size < sizeof scratch)
                CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, si.max_message_size + 1, true),
                         MRTC_ETOOBIG);
            size_t big = (256u << 10) + 1;
            stream_fill(9, 0, scratch, big);
            CHECK_EQ(mrtc_datachannel_send(c->dc, scratch, big, true), 0);
            CHECK_EQ(mrtc_datachannel_send_text(c->dc, "after"), 0);
            run_for(&w, MRTC_SEC(5));
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
        close_both(&w);
        world_free(&w);
    }
    printf("  max-message-size: %.2f s wall\n", wall_now() - t0);
}

/* ---- 5. close semantics ------------------------------------------------------------------ */

#define CLOSE_QUEUED 100 /* 1.6 MB: more than the SCTP send buffer takes at once */
#define CLOSE_MSG 16000

static bool closed_pair(world *w, chan *a, chan *b)
{
    (void)w;
    return a->n_close == 1 && b->n_close == 1;
}

static chan *g_ca, *g_cb;
static bool g_closed_pair(world *w)
{
    return closed_pair(w, g_ca, g_cb);
}

static bool four_remote(world *w)
{
    return both_connected(w) && w->p[1].n_datachannel >= 4 && w->p[0].n_datachannel >= 1 &&
           all_open(w);
}

/* Closes `closer` with CLOSE_QUEUED messages still queued and checks both sides. */
static void close_one(world *w, chan *closer, chan *other)
{
    for (int k = 0; k < CLOSE_QUEUED; k++) {
        stream_fill(500 + (uint64_t)k, 0, scratch, CLOSE_MSG);
        CHECK_EQ(mrtc_datachannel_send(closer->dc, scratch, CLOSE_MSG, true), 0);
    }
    size_t queued = mrtc_datachannel_buffered_amount(closer->dc);
    CHECK(queued > 0 && queued <= (size_t)CLOSE_QUEUED * CLOSE_MSG);
    printf("  closing %s (pc%d) with bufferedAmount %zu\n", closer->label, closer->side, queued);
    mrtc_datachannel_close(closer->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(closer->dc), MRTC_DATACHANNEL_CLOSING);
    /* Refused after close, and nothing queued; a second close is a no-op. */
    CHECK_EQ(mrtc_datachannel_send_text(closer->dc, "after close"), MRTC_ESTATE);
    CHECK_EQ(mrtc_datachannel_send(closer->dc, scratch, 0, true), MRTC_ESTATE);
    CHECK_EQ(mrtc_datachannel_buffered_amount(closer->dc), queued);
    mrtc_datachannel_close(closer->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(closer->dc), MRTC_DATACHANNEL_CLOSING);
    /* The other side can still send while the closer drains (its direction is open). */
    g_ca = closer;
    g_cb = other;
    bool ok = run_until(w, MRTC_SEC(20), g_closed_pair);
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
        stream_fill(500 + (uint64_t)k, 0, scratch, CLOSE_MSG);
        CHECK(other->msgs[k].len == CLOSE_MSG && !memcmp(other->msgs[k].data, scratch, CLOSE_MSG));
    }
    CHECK_EQ(closer->n_error + other->n_error, 0);
    CHECK(closer->dc == NULL && other->dc == NULL);
}

static bool remote_closed(world *w)
{
    for (size_t i = 0; i < w->n_chans; i++)
        if (w->chans[i].side == 1 && w->chans[i].n_close == 0)
            return false;
    return true;
}

static void test_close(void)
{
    double t0 = wall_now();
    world w;
    world_init(&w, 51, NULL);
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    chan *a = chan_create(&w, 0, "closed-by-offerer", &init);
    chan *b = chan_create(&w, 0, "closed-by-answerer", &init);
    chan *k = chan_create(&w, 0, "keep", &init);
    init.ordered = false;
    chan *k2 = chan_create(&w, 0, "keep-unordered", &init);
    if (!a || !b || !k || !k2) {
        world_free(&w);
        return;
    }
    want_remote[0] = 0;
    want_remote[1] = 4;
    CHECK(run_until(&w, MRTC_SEC(20), all_open));
    /* An answerer-created channel, to be closed by the offerer's side too. */
    mrtc_datachannel_init_defaults(&init);
    chan *c1 = chan_create(&w, 1, "from-answerer", &init);
    want_remote[0] = 1;
    CHECK(c1 && run_until(&w, MRTC_SEC(5), four_remote));
    chan *ar = chan_remote(&w, 1, "closed-by-offerer");
    chan *br = chan_remote(&w, 1, "closed-by-answerer");
    chan *c1r = chan_remote(&w, 0, "from-answerer");
    if (!ar || !br || !c1r) {
        CHECK(0);
        world_free(&w);
        return;
    }
    int32_t ida = mrtc_datachannel_id(a->dc);

    close_one(&w, a, ar);   /* the creator closes */
    close_one(&w, br, b);   /* the side that received the DCEP OPEN closes */
    close_one(&w, c1r, c1); /* the offerer closes a channel the answerer opened */

    /* Both sides close at once. */
    mrtc_datachannel_init_defaults(&init);
    chan *both = chan_create(&w, 0, "both-close", &init);
    want_remote[1] = 5;
    CHECK(both && run_until(&w, MRTC_SEC(5), all_open));
    chan *bothr = chan_remote(&w, 1, "both-close");
    if (both && bothr) {
        CHECK_EQ(mrtc_datachannel_send_text(both->dc, "last words"), 0);
        mrtc_datachannel_close(both->dc);
        mrtc_datachannel_close(bothr->dc);
        CHECK_EQ(mrtc_datachannel_ready_state(bothr->dc), MRTC_DATACHANNEL_CLOSING);
        g_ca = both;
        g_cb = bothr;
        CHECK(run_until(&w, MRTC_SEC(10), g_closed_pair));
        CHECK_EQ(both->n_close, 1);
        CHECK_EQ(bothr->n_close, 1);
        CHECK(bothr->n_msgs <= 1);
        printf("  simultaneous close: message before close %s\n",
               bothr->n_msgs == 1 ? "delivered" : "not delivered");
    }
    /* A closed id is reusable: a new channel opens (possibly on the same id). */
    mrtc_datachannel_init_defaults(&init);
    chan *again = chan_create(&w, 0, "again", &init);
    want_remote[1] = 6;
    CHECK(again && run_until(&w, MRTC_SEC(5), all_open));
    if (again && again->dc)
        printf("  closed id %d, new channel got id %d\n", ida, mrtc_datachannel_id(again->dc));

    /* Closing the PeerConnection: the channels go "closed" at once, with no callback. */
    CHECK_EQ(mrtc_datachannel_send(k->dc, scratch, 10000, true), 0);
    int counts_before = 0;
    for (size_t i = 0; i < w.n_chans; i++)
        if (w.chans[i].side == 0)
            counts_before += w.chans[i].n_open + w.chans[i].n_msg + w.chans[i].n_closing +
                             w.chans[i].n_close + w.chans[i].n_error + w.chans[i].n_low;
    mrtc_datachannel *kdc = k->dc, *k2dc = k2->dc;
    w.p[0].closing = true;
    CHECK_EQ(mrtc_pc_close(w.p[0].pc, close_cb), 0);
    CHECK_EQ(mrtc_pc_close(w.p[0].pc, close_cb), MRTC_ECLOSED);
    CHECK_EQ(mrtc_datachannel_ready_state(kdc), MRTC_DATACHANNEL_CLOSED);
    CHECK_EQ(mrtc_datachannel_ready_state(k2dc), MRTC_DATACHANNEL_CLOSED);
    CHECK_EQ(mrtc_datachannel_send_text(kdc, "after pc close"), MRTC_ESTATE);
    mrtc_datachannel_close(kdc); /* a no-op */
    mrtc_datachannel *bad = NULL;
    CHECK_EQ(mrtc_pc_create_datachannel(w.p[0].pc, "late", NULL, &bad), MRTC_ECLOSED);
    CHECK(bad == NULL);
    mrtc_time closed_at = w.clock;
    /* The peer learns: its channels close (SCTP ABORT/SHUTDOWN or DTLS close_notify). */
    bool peer_closed = run_until(&w, MRTC_SEC(40), remote_closed);
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
           mrtc_dtls_transport_state_name(ds), conn_name(mrtc_pc_connection_state(w.p[1].pc)));
    if (!peer_closed)
        for (size_t i = 0; i < w.n_chans; i++)
            if (w.chans[i].side == 1)
                fprintf(stderr, "  pc1 %s: events '%s'\n", w.chans[i].label, w.chans[i].events);
    CHECK(peer_closed);
    printf("  close semantics: %.2f s virtual, %.2f s wall\n", (double)w.clock / 1e6,
           wall_now() - t0);
    close_both(&w);
    world_free(&w);
}

/* ---- 6. a peer vanishes mid-transfer ----------------------------------------------------- */

static bool pc0_failed(world *w)
{
    return w->p[0].n_conn > 0 && w->p[0].conn_hist[w->p[0].n_conn - 1] == MRTC_CONNECTION_FAILED &&
           w->p[1].n_conn > 0 && w->p[1].conn_hist[w->p[1].n_conn - 1] == MRTC_CONNECTION_FAILED;
}

static void vanish(world *w)
{
    mrtc_addr ip;
    mrtc_addr_parse_ip(&ip, "10.0.0.2", 0);
    CHECK_EQ(sim_net_set_blackhole(w->net, &ip, true), 0);
}

static void test_peer_vanishes(void)
{
    double t0 = wall_now();
    world w;
    world_init(&w, 61, NULL);
    if (!xfer_setup(&w, 200ull << 20, 0x6161)) {
        world_free(&w);
        return;
    }
    xfer_pump(g_tx);
    w.app = vanish;
    w.app_at = w.clock + MRTC_SEC(1);
    mrtc_time gone = w.app_at;
    int n0 = w.p[0].n_conn, n1 = w.p[1].n_conn;
    bool ok = run_until(&w, MRTC_SEC(90), pc0_failed);
    CHECK(ok);
    /* connected -> disconnected -> failed on both sides. */
    for (int i = 0; i < 2; i++) {
        peer *p = &w.p[i];
        int from = i == 0 ? n0 : n1;
        bool seq_ok = p->n_conn == from + 2 && p->conn_hist[from] == MRTC_CONNECTION_DISCONNECTED &&
                      p->conn_hist[from + 1] == MRTC_CONNECTION_FAILED;
        if (!seq_ok)
            dump_peer(p);
        CHECK(seq_ok);
        CHECK_EQ(mrtc_pc_connection_state(p->pc), MRTC_CONNECTION_FAILED);
    }
    /* RFC 7675 section 5.1: consent expired, so nothing more goes out on the pair. */
    uint64_t sent0 = mrtc_vio_sent(w.p[0].vio), sent1 = mrtc_vio_sent(w.p[1].vio);
    run_for(&w, MRTC_SEC(10));
    if (mrtc_vio_sent(w.p[0].vio) != sent0 || mrtc_vio_sent(w.p[1].vio) != sent1)
        fprintf(stderr, "  after consent expiry: pc0 sent %llu, pc1 sent %llu more datagrams\n",
                (unsigned long long)(mrtc_vio_sent(w.p[0].vio) - sent0),
                (unsigned long long)(mrtc_vio_sent(w.p[1].vio) - sent1));
    CHECK_U64(mrtc_vio_sent(w.p[0].vio), sent0);
    CHECK_U64(mrtc_vio_sent(w.p[1].vio), sent1);
    CHECK(g_rx->rx_bytes > 0 && g_rx->rx_bytes < g_tx->tx->total);
    CHECK_U64(g_rx->first_bad_offset, UINT64_MAX);
    mrtc_sctp_transport_info si = {0};
    mrtc_pc_get_sctp_transport(w.p[0].pc, &si);
    int nc = w.p[0].n_conn;
    printf("  vanished peer: pc0 disconnected %.2f s, failed %.2f s virtual after the blackhole "
           "(%llu bytes had arrived); sender channel '%s' %s, sctp %s; %.2f s wall\n",
           nc >= 2 ? (double)(w.p[0].conn_at[nc - 2] - gone) / 1e6 : -1.0,
           nc >= 1 ? (double)(w.p[0].conn_at[nc - 1] - gone) / 1e6 : -1.0,
           (unsigned long long)g_rx->rx_bytes, g_tx->events,
           g_tx->dc ? mrtc_datachannel_state_name(mrtc_datachannel_ready_state(g_tx->dc)) : "freed",
           mrtc_sctp_transport_state_name(si.state), wall_now() - t0);
    close_both(&w);
    world_free(&w);
}

/* ---- 7. fingerprint mismatch ------------------------------------------------------------- */

static int g_munge_side;

static char *munge_fp_hook(world *w, int to, mrtc_description_type type, const char *sdp)
{
    (void)w;
    (void)type;
    return to == g_munge_side ? munge_fingerprint(sdp) : NULL;
}

static bool dtls_failed(world *w)
{
    mrtc_dtls_transport_state ds;
    return mrtc_pc_get_dtls_transport(w->p[g_munge_side].pc, &ds, NULL, 0) == 0 &&
           ds == MRTC_DTLS_TRANSPORT_FAILED &&
           mrtc_pc_connection_state(w->p[g_munge_side].pc) == MRTC_CONNECTION_FAILED;
}

static void fingerprint_mismatch(int side)
{
    world w;
    world_init(&w, 71 + (uint64_t)side, NULL);
    g_munge_side = side;
    w.munge = munge_fp_hook;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    chan *c = chan_create(&w, 0, "never", &init);
    init.negotiated = true;
    init.id = 3;
    chan *n0 = chan_create(&w, 0, "neg", &init);
    chan *n1 = chan_create(&w, 1, "neg", &init);
    if (!c || !n0 || !n1) {
        world_free(&w);
        return;
    }
    bool ok = run_until(&w, MRTC_SEC(30), dtls_failed);
    CHECK(ok);
    /* Give the other side time to do whatever it does, and try to send. */
    if (n0->dc)
        CHECK_EQ(mrtc_datachannel_send_text(n0->dc, "secret"), MRTC_ESTATE);
    run_for(&w, MRTC_SEC(10));
    peer *p = &w.p[side];
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
           conn_name(mrtc_pc_connection_state(w.p[0].pc)),
           state_hist_connected(&w.p[0]) ? "yes" : "no", mrtc_dtls_transport_state_name(ds1),
           conn_name(mrtc_pc_connection_state(w.p[1].pc)),
           state_hist_connected(&w.p[1]) ? "yes" : "no", c->events);
    close_both(&w);
    world_free(&w);
}

static void test_fingerprint_mismatch_offerer(void)
{
    fingerprint_mismatch(0); /* pc0 (DTLS server) gets a wrong fingerprint for pc1 */
}

static void test_fingerprint_mismatch_answerer(void)
{
    fingerprint_mismatch(1); /* pc1 (DTLS client) gets a wrong fingerprint for pc0 */
}

/* ---- 8. callbacks that call the API ------------------------------------------------------ */

#define PINGS 50

/* pc1: echoes every message from inside the message callback; "bye" closes the whole
 * PeerConnection from inside it. */
static void echo_msg(chan *c, const uint8_t *data, size_t len, bool binary)
{
    peer *p = &c->w->p[c->side];
    if (len == 3 && !binary && !memcmp(data, "bye", 3)) {
        p->closing = true;
        CHECK_EQ(mrtc_pc_close(p->pc, close_cb), 0);
        return;
    }
    CHECK_EQ(mrtc_datachannel_send(c->dc, len ? data : NULL, len, binary), 0);
}

/* pc0: ping n goes out when the echo of ping n-1 came back. */
static void ping_next(chan *c)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "ping %d", c->n_msg);
    CHECK_EQ(mrtc_datachannel_send(c->dc, buf, (size_t)n, false), 0);
}

static void ping_open(chan *c)
{
    ping_next(c);
}

static void ping_msg(chan *c, const uint8_t *data, size_t len, bool binary)
{
    char want[32];
    int n = snprintf(want, sizeof want, "ping %d", c->n_msg - 1);
    CHECK(!binary && len == (size_t)n && !memcmp(data, want, len));
    if (c->n_msg < PINGS)
        ping_next(c);
}

static void close_on_open(chan *c)
{
    mrtc_datachannel_close(c->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(c->dc), MRTC_DATACHANNEL_CLOSING);
}

static void send_five_on_open(chan *c)
{
    for (int k = 0; k < 5; k++) {
        char buf[32];
        snprintf(buf, sizeof buf, "early %d", k);
        CHECK_EQ(mrtc_datachannel_send_text(c->dc, buf), 0);
    }
}

/* pc1's datachannel callback: sends at once on "early" (an announced channel is open),
 * echoes on "echo", closes "closer-remote" from its open callback. */
static void reentrant_remote(world *w, chan *c)
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

static chan *g_echo, *g_early, *g_self, *g_cremote;

static bool reentrant_done(world *w)
{
    chan *er = chan_remote(w, 1, "early");
    return g_echo->n_msg >= PINGS && er && er->n_msg >= 5 && g_early->n_msg >= 3 &&
           g_self->n_close == 1 && g_cremote->n_close == 1;
}

static bool pc1_gone_pc0_chans_closed(world *w)
{
    return !w->p[1].pc && g_echo->n_close == 1 && g_early->n_close == 1;
}

static void test_reentrant_callbacks(void)
{
    double t0 = wall_now();
    world w;
    world_init(&w, 81, NULL);
    w.remote_hook = reentrant_remote;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    g_echo = chan_create(&w, 0, "echo", &init);
    g_early = chan_create(&w, 0, "early", &init);
    g_self = chan_create(&w, 0, "self-close", &init);
    g_cremote = chan_create(&w, 0, "closer-remote", &init);
    if (!g_echo || !g_early || !g_self || !g_cremote) {
        world_free(&w);
        return;
    }
    g_echo->open_hook = ping_open;
    g_echo->msg_hook = ping_msg;
    g_early->open_hook = send_five_on_open;
    g_self->open_hook = close_on_open;
    bool ok = run_until(&w, MRTC_SEC(20), reentrant_done);
    if (!ok)
        for (size_t i = 0; i < w.n_chans; i++)
            fprintf(stderr, "  pc%d %s: events '%s', %d messages\n", w.chans[i].side,
                    w.chans[i].label, w.chans[i].events, w.chans[i].n_msg);
    CHECK(ok);
    /* Sent from the open callback / the datachannel callback: all arrive, in order, after
     * the channel's open event. */
    chan *er = chan_remote(&w, 1, "early");
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
    chan *sr = chan_remote(&w, 1, "self-close");
    if (sr)
        CHECK_EQ(sr->n_close, 1);
    CHECK_STR(g_cremote->events, "ogc");
    chan *cr = chan_remote(&w, 1, "closer-remote");
    CHECK(cr != NULL);
    if (cr)
        CHECK_STR(cr->events, "oc");
    /* pc1 closes its PeerConnection from inside a message callback. */
    CHECK_EQ(mrtc_datachannel_send_text(g_echo->dc, "bye"), 0);
    ok = run_until(&w, MRTC_SEC(40), pc1_gone_pc0_chans_closed);
    if (!ok)
        fprintf(stderr, "  after pc1 closed: pc1 %s, echo '%s', early '%s'\n",
                w.p[1].pc ? "alive" : "gone", g_echo->events, g_early->events);
    CHECK(ok);
    CHECK_EQ(w.p[1].n_close_cb, 1);
    CHECK_EQ(w.p[1].n_late_callbacks, 0);
    printf("  re-entrant callbacks: %.2f s virtual, %.2f s wall\n", (double)w.clock / 1e6,
           wall_now() - t0);
    close_both(&w);
    world_free(&w);
}

/* ---- 9. closing a channel that is still connecting ---------------------------------------- */

static chan *g_doomed, *g_alive, *g_doomed_neg;

static bool alive_open(world *w)
{
    return both_connected(w) && g_alive->n_open == 1 && w->p[1].n_datachannel >= 1 &&
           g_doomed->n_close == 1 && g_doomed_neg->n_close == 1;
}

static void test_close_while_connecting(void)
{
    world w;
    world_init(&w, 91, NULL);
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    g_doomed = chan_create(&w, 0, "doomed", &init);
    init.negotiated = true;
    init.id = 8;
    g_doomed_neg = chan_create(&w, 0, "doomed-negotiated", &init);
    if (!g_doomed || !g_doomed_neg) {
        world_free(&w);
        return;
    }
    mrtc_datachannel_close(g_doomed->dc);
    mrtc_datachannel_close(g_doomed_neg->dc);
    CHECK_EQ(mrtc_datachannel_ready_state(g_doomed->dc), MRTC_DATACHANNEL_CLOSING);
    CHECK_EQ(mrtc_datachannel_send_text(g_doomed->dc, "x"), MRTC_ESTATE);
    mrtc_datachannel_init_defaults(&init);
    g_alive = chan_create(&w, 0, "alive", &init);
    if (!g_alive) {
        world_free(&w);
        return;
    }
    bool ok = run_until(&w, MRTC_SEC(20), alive_open);
    if (!ok)
        fprintf(stderr, "  doomed '%s', doomed-negotiated '%s', alive '%s'\n", g_doomed->events,
                g_doomed_neg->events, g_alive->events);
    CHECK(ok);
    run_for(&w, MRTC_SEC(2));
    CHECK_STR(g_doomed->events, "c");
    CHECK_STR(g_doomed_neg->events, "c");
    CHECK_EQ(w.p[1].n_datachannel, 1); /* only "alive" */
    CHECK(chan_remote(&w, 1, "alive") != NULL);
    /* The negotiated id is free again. */
    init.negotiated = true;
    init.id = 8;
    chan *again = chan_create(&w, 0, "negotiated-again", &init);
    CHECK(again && again->dc && mrtc_datachannel_id(again->dc) == 8);
    close_both(&w);
    world_free(&w);
}

/* ---- 10. large messages interleaved across channels --------------------------------------- */

#define BIG_A 20
#define BIG_B 20
#define SMALL_C 300
#define BIG_BACK 10

static void numbered_rx_setup(chan *c, bool ordered)
{
    c->mode = RX_NUMBERED;
    c->any_len = true;
    c->n_numbered = 4096;
    c->seen = calloc(c->n_numbered, 1);
    c->expect_ordered = ordered;
}

static void big_remote(world *w, chan *c)
{
    (void)w;
    numbered_rx_setup(c, mrtc_datachannel_ordered(c->dc));
}

static chan *g_big[3];

static bool big_done(world *w)
{
    chan *a = chan_remote(w, 1, "big-ordered"), *b = chan_remote(w, 1, "big-unordered"),
         *c = chan_remote(w, 1, "small");
    return a && b && c && a->n_valid + a->n_corrupt + a->n_dup >= BIG_A &&
           b->n_valid + b->n_corrupt + b->n_dup >= BIG_B &&
           c->n_valid + c->n_corrupt + c->n_dup >= SMALL_C &&
           g_big[0]->n_valid + g_big[0]->n_corrupt >= BIG_BACK;
}

static bool big_open(world *w)
{
    return both_connected(w) && w->p[1].n_datachannel == 3 && g_big[0]->n_open &&
           g_big[1]->n_open && g_big[2]->n_open;
}

static void test_interleaved_large_messages(void)
{
    double t0 = wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.02;
    link.delay = MRTC_MSEC(10);
    link.jitter = MRTC_MSEC(2);
    link.reorder = 0.01;
    link.duplicate = 0.01;
    world w;
    world_init(&w, 101, &link);
    w.remote_hook = big_remote;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init);
    g_big[0] = chan_create(&w, 0, "big-ordered", &init);
    g_big[2] = chan_create(&w, 0, "small", &init);
    init.ordered = false;
    g_big[1] = chan_create(&w, 0, "big-unordered", &init);
    if (!g_big[0] || !g_big[1] || !g_big[2]) {
        world_free(&w);
        return;
    }
    numbered_rx_setup(g_big[0], true);
    CHECK(run_until(&w, MRTC_SEC(20), big_open));
    chan *ar = chan_remote(&w, 1, "big-ordered");
    if (!ar) {
        CHECK(0);
        world_free(&w);
        return;
    }
    /* Everything queued at once, both ways: 7 MB one way, 1 MB back, small ones between. */
    mrtc_time start = w.clock;
    for (uint32_t k = 0; k < BIG_A || k < BIG_B || k < SMALL_C; k++) {
        if (k < BIG_A) {
            size_t n = numbered_build_n(k, 200000 - k * 1000, scratch);
            CHECK_EQ(mrtc_datachannel_send(g_big[0]->dc, scratch, n, true), 0);
        }
        if (k < BIG_B) {
            size_t n = numbered_build_n(k, 150000 + k * 777, scratch);
            CHECK_EQ(mrtc_datachannel_send(g_big[1]->dc, scratch, n, true), 0);
        }
        if (k < SMALL_C) {
            size_t n = numbered_build_n(k, 100, scratch);
            CHECK_EQ(mrtc_datachannel_send(g_big[2]->dc, scratch, n, true), 0);
        }
        if (k < BIG_BACK) {
            size_t n = numbered_build_n(k, 100000 + k, scratch);
            CHECK_EQ(mrtc_datachannel_send(ar->dc, scratch, n, true), 0);
        }
    }
    bool ok = run_until(&w, MRTC_SEC(300), big_done);
    CHECK(ok);
    run_for(&w, MRTC_SEC(2));
    const char *names[3] = {"big-ordered", "big-unordered", "small"};
    const uint32_t want[3] = {BIG_A, BIG_B, SMALL_C};
    for (int i = 0; i < 3; i++) {
        chan *r = chan_remote(&w, 1, names[i]);
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
           (double)(w.clock - start) / 1e6, wall_now() - t0);
    CHECK(both_connected(&w));
    close_both(&w);
    world_free(&w);
}

/* ---- 11. many channels --------------------------------------------------------------------- */

#define MANY0 150 /* created by pc0 before negotiation: more than its share of 256 streams */
#define MANY1 100 /* created by pc1 afterwards */

static size_t g_many_settled;
static bool many_settled(world *w)
{
    if (!both_connected(w))
        return false;
    size_t n = 0;
    for (size_t i = 0; i < w->n_chans; i++)
        n += w->chans[i].n_open > 0 || w->chans[i].n_close > 0;
    return n >= g_many_settled;
}

static void test_many_channels(void)
{
    double t0 = wall_now();
    world w;
    world_init(&w, 111, NULL);
    char label[32];
    for (int i = 0; i < MANY0; i++) {
        snprintf(label, sizeof label, "c%03d", i);
        CHECK(chan_create(&w, 0, label, NULL) != NULL);
    }
    /* Every channel either opens (and is announced to pc1) or, without a free stream,
     * fails and closes (W3C: no id available). */
    mrtc_sctp_transport_info si = {0};
    bool ok = false;
    for (int tries = 0; tries < 100 && !ok; tries++) {
        run_until(&w, MRTC_MSEC(300), NULL);
        if (!both_connected(&w) || mrtc_pc_get_sctp_transport(w.p[0].pc, &si) != 0)
            continue;
        size_t cap = si.max_channels / 2, opened = MANY0 < cap ? MANY0 : cap;
        g_many_settled = MANY0 + opened; /* pc0's own, plus those announced to pc1 */
        ok = many_settled(&w);
    }
    CHECK(ok);
    size_t cap0 = si.max_channels / 2;
    size_t open0 = 0, failed0 = 0;
    for (size_t i = 0; i < w.n_chans; i++) {
        chan *c = &w.chans[i];
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
        CHECK(chan_create(&w, 1, label, NULL) != NULL);
    }
    want_remote[0] = n1;
    want_remote[1] = open0;
    g_many_settled = w.n_chans + n1;
    CHECK(run_until(&w, MRTC_SEC(30), many_settled));
    /* Ids: unique, by DTLS role (pc1 is the client: even), the same on both sides; one
     * message each way on every open channel. */
    static uint8_t used[65536];
    memset(used, 0, sizeof used);
    size_t n_open = 0;
    for (size_t i = 0; i < w.n_chans; i++) {
        chan *c = &w.chans[i];
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
        chan *r = chan_remote(&w, 1 - c->side, c->label);
        CHECK(r && r->dc && mrtc_datachannel_id(r->dc) == id);
        CHECK_EQ(mrtc_datachannel_send_text(c->dc, c->label), 0);
        if (r && r->dc)
            CHECK_EQ(mrtc_datachannel_send_text(r->dc, c->label), 0);
    }
    CHECK_EQ(n_open, open0 + n1);
    run_for(&w, MRTC_SEC(3));
    for (size_t i = 0; i < w.n_chans; i++) {
        chan *c = &w.chans[i];
        if (!c->dc)
            continue;
        CHECK_EQ(c->n_msgs, 1);
        if (c->n_msgs == 1)
            CHECK(c->msgs[0].len == strlen(c->label) &&
                  !memcmp(c->msgs[0].data, c->label, c->msgs[0].len));
    }
    printf("  many channels: maxChannels %u; pc0 created %d before negotiation: %zu opened, "
           "%zu failed for lack of a stream; pc1 opened %zu more; %.2f s virtual, %.2f s wall\n",
           si.max_channels, MANY0, open0, failed0, n1, (double)w.clock / 1e6, wall_now() - t0);
    close_both(&w);
    world_free(&w);
}

/* ---- 12. renegotiation during a transfer ------------------------------------------------- */

static int g_reneg_step;
static bool local_has(world *w, int side, const char *what);

static void reneg_app(world *w)
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

static char *local_ufrag(world *w, int side)
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

static bool local_has(world *w, int side, const char *what)
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
    double t0 = wall_now();
    sim_link link;
    sim_link_init(&link);
    link.loss = 0.01;
    link.delay = MRTC_MSEC(10);
    link.jitter = MRTC_MSEC(2);
    world w;
    world_init(&w, 121, &link);
    const uint64_t total = 8ull << 20;
    if (!xfer_setup(&w, total, 0x1212)) {
        world_free(&w);
        return;
    }
    char *ufrag0 = local_ufrag(&w, 1);
    int32_t id = mrtc_datachannel_id(g_tx->dc);
    int n_dtls[2] = {w.p[0].n_dtls, w.p[1].n_dtls}, n_sctp[2] = {w.p[0].n_sctp, w.p[1].n_sctp};
    int nn[2] = {w.p[0].n_negotiation_needed, w.p[1].n_negotiation_needed};
    mrtc_time start = w.clock;
    g_reneg_step = 0;
    w.app = reneg_app;
    w.app_at = w.clock + MRTC_SEC(1);
    xfer_pump(g_tx);
    bool ok = run_until(&w, MRTC_SEC(300), xfer_done);
    CHECK(ok);
    CHECK_EQ(g_reneg_step, 2);
    CHECK_U64(g_rx->rx_bytes, total);
    CHECK_U64(g_rx->first_bad_offset, UINT64_MAX);
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
            dump_peer(&w.p[i]);
        CHECK_EQ(w.p[i].n_dtls, n_dtls[i]);
        CHECK_EQ(w.p[i].n_sctp, n_sctp[i]);
    }
    CHECK_EQ(mrtc_datachannel_id(g_tx->dc), id);
    CHECK_EQ(g_tx->n_close + g_tx->n_closing + g_tx->n_error, 0);
    CHECK_EQ(g_rx->n_close + g_rx->n_closing + g_rx->n_error, 0);
    CHECK(both_connected(&w));
    printf("  renegotiation (ICE restart by the answerer, audio added) during 8 MB: %.2f s "
           "virtual, %.2f s wall\n",
           (double)(w.clock - start) / 1e6, wall_now() - t0);
    close_both(&w);
    world_free(&w);
}

/* ---- 13. handshakes across heavy loss ---------------------------------------------------- */

/* 30% loss both ways (signaling stays reliable): ICE, the DTLS handshake (its flights
 * retransmitted on the virtual clock) and SCTP's INIT/COOKIE still come up, a channel opens
 * and a message passes, for every seed. */
static void test_handshake_heavy_loss(void)
{
    double t0 = wall_now();
    mrtc_time worst = 0;
    for (uint64_t seed = 131; seed <= 140; seed++) {
        sim_link link;
        sim_link_init(&link);
        link.loss = 0.30;
        link.delay = MRTC_MSEC(25);
        link.jitter = MRTC_MSEC(5);
        world w;
        world_init(&w, seed, &link);
        chan *c = chan_create(&w, 0, "lossy", NULL);
        /* Every DTLS flight and SCTP INIT/COOKIE exchange needs both directions through:
         * with retransmission backoff (DTLS 1, 2, 4, 8, 16, 32 s; SCTP up to 10 s) an
         * unlucky seed takes over a minute, as it would between browsers. */
        bool ok = c && run_until(&w, MRTC_SEC(150), one_remote);
        if (!ok) {
            fprintf(stderr, "  seed %llu: no channel after 150 s\n", (unsigned long long)seed);
            dump_peer(&w.p[0]);
            dump_peer(&w.p[1]);
        }
        CHECK(ok);
        if (ok) {
            worst = w.clock > worst ? w.clock : worst;
            chan *r = chan_remote(&w, 1, "lossy");
            CHECK_EQ(mrtc_datachannel_send_text(c->dc, "through"), 0);
            g_small_rx = r;
            CHECK(r && run_until(&w, MRTC_SEC(30), rx_got_one));
            CHECK(r && r->n_msgs == 1 && r->msgs[0].len == 7);
        }
        close_both(&w);
        world_free(&w);
    }
    printf("  30%% loss: every seed opened a channel, the slowest after %.2f s virtual; %.2f s "
           "wall\n",
           (double)worst / 1e6, wall_now() - t0);
}

/* MESHRTC_SIM_TEST=name runs only the tests whose name contains it. */
static bool selected(const char *name)
{
    const char *want = getenv("MESHRTC_SIM_TEST");
    return !want || strstr(name, want);
}

#define RUN_IF(fn)                                                                                 \
    do {                                                                                           \
        if (selected(#fn))                                                                         \
            RUN(fn);                                                                               \
    } while (0)

int main(void)
{
    double t0 = wall_now();
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the report in order with stderr */
    RUN_IF(test_channel_kinds);
    RUN_IF(test_bulk_transfer_lossy);
    RUN_IF(test_partial_reliability);
    RUN_IF(test_max_message_size);
    RUN_IF(test_close);
    RUN_IF(test_peer_vanishes);
    RUN_IF(test_fingerprint_mismatch_offerer);
    RUN_IF(test_fingerprint_mismatch_answerer);
    RUN_IF(test_reentrant_callbacks);
    RUN_IF(test_close_while_connecting);
    RUN_IF(test_interleaved_large_messages);
    RUN_IF(test_many_channels);
    RUN_IF(test_renegotiation_during_transfer);
    RUN_IF(test_handshake_heavy_loss);
    if (g_w3c_buffered_violations)
        printf("  NOTE: %lu send(s) after which bufferedAmount had not grown by the message "
               "size (W3C: it grows within send())\n",
               g_w3c_buffered_violations);
    printf("  total %.2f s wall\n", wall_now() - t0);
    return test_finish();
}
