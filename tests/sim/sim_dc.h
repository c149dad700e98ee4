/*
 * Two whole PeerConnections with data channels over the simulated network (sim.h), for the
 * tests/sim/test_dc_sim*.c tests: ICE, DTLS and SCTP end to end, each peer a virtual I/O
 * host (core/vio.h) with one address, the descriptions and candidates carried by a
 * simulated signaling channel (perfect negotiation: pc1 is polite), one virtual clock.
 *
 *   sim_dc_world w;
 *   sim_dc_world_init(&w, seed, NULL);          (NULL: 10 ms delay, 2 ms jitter)
 *   sim_dc_chan *c = sim_dc_chan_create(&w, 0, "label", NULL);
 *   CHECK(sim_dc_run_until(&w, MRTC_SEC(20), sim_dc_one_remote));
 *   ...
 *   sim_dc_close_both(&w);
 *   CHECK_EQ(sim_dc_world_free(&w), 0);
 *
 * Every channel (created locally or announced by the datachannel callback) is a
 * sim_dc_chan that records its events and what it received (stored copies, a byte stream
 * or numbered messages); test hooks run from the callbacks after that bookkeeping.
 *
 * The helpers cannot use the CHECK macros of unit/test.h (their counters are per
 * translation unit), so a condition they check that does not hold is printed (file, line,
 * condition) and counted in the world: sim_dc_world_free() returns that count, and every
 * test checks it is 0 (the compiler insists the result is used). Anything that goes wrong
 * inside the helpers thus fails the test that owns the world.
 */
#ifndef MRTC_SIM_DC_H
#define MRTC_SIM_DC_H

#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc.h"
#include "sim/sim.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_DC_MAX_MSGS 512
#define SIM_DC_MAX_CHANS 600
#define SIM_DC_MAX_STORED 128
#define SIM_DC_MAX_HIST 32

struct sim_dc_world;
struct sim_dc_chan;

/* A signaling message in flight (description or candidate) with its delivery time. */
typedef struct sim_dc_sig_msg {
    int to;
    mrtc_time at; /* MRTC_TIME_NEVER once delivered */
    int kind;     /* 0 description, 1 candidate, 2 end of candidates */
    mrtc_description_type type;
    char *text;
    char mid[8];
    int index;
} sim_dc_sig_msg;

typedef struct sim_dc_peer {
    int id;
    struct sim_dc_world *w;
    mrtc_vio *vio;
    mrtc_pc *pc; /* NULL once its close_cb ran */
    bool polite;
    bool closing;      /* mrtc_pc_close() was called */
    bool ignore_offer; /* perfect negotiation: the last remote offer was ignored (glare) */
    int n_close_cb;
    int n_negotiation_needed;
    int n_datachannel;
    int n_track;
    int n_late_callbacks; /* any callback after mrtc_pc_close() */
    mrtc_ice_connection_state ice;
    mrtc_connection_state conn_hist[SIM_DC_MAX_HIST];
    mrtc_time conn_at[SIM_DC_MAX_HIST];
    int n_conn;
    mrtc_dtls_transport_state dtls_hist[SIM_DC_MAX_HIST];
    int n_dtls;
    mrtc_sctp_transport_state sctp_hist[SIM_DC_MAX_HIST];
    int n_sctp;
} sim_dc_peer;

typedef enum sim_dc_rx_mode {
    SIM_DC_RX_STORE = 0, /* keep a copy of each message (SIM_DC_MAX_STORED) */
    SIM_DC_RX_STREAM,    /* a deterministic byte stream (sim_dc_stream_fill) */
    SIM_DC_RX_NUMBERED,  /* numbered messages with a checksum (sim_dc_numbered_build) */
} sim_dc_rx_mode;

typedef struct sim_dc_stored {
    uint8_t *data; /* malloc'd copy (plain malloc: test bookkeeping, not library memory) */
    size_t len;
    bool binary;
} sim_dc_stored;

/* The sending half of a transfer paced by bufferedAmount. */
typedef struct sim_dc_xfer {
    uint64_t seed;
    uint64_t total;      /* bytes to send */
    uint64_t sent;       /* bytes accepted by send() */
    uint64_t k;          /* messages sent */
    size_t high;         /* stop filling above this bufferedAmount */
    size_t max_buffered; /* largest bufferedAmount seen after a send */
    uint64_t bad_accounting;
    EVP_MD_CTX *sha;
} sim_dc_xfer;

typedef struct sim_dc_chan {
    struct sim_dc_world *w;
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
    sim_dc_rx_mode mode;
    sim_dc_stored msgs[SIM_DC_MAX_STORED];
    size_t n_msgs;
    bool null_data_violation; /* data != NULL with len 0, or NULL with len > 0 */
    /* SIM_DC_RX_STREAM */
    uint64_t seed;
    uint64_t rx_bytes, rx_msgs;
    uint64_t first_bad_offset; /* UINT64_MAX: none */
    EVP_MD_CTX *sha;
    /* SIM_DC_RX_NUMBERED */
    uint8_t *seen;
    uint32_t n_numbered;
    uint32_t n_valid, n_corrupt, n_dup, n_out_of_order, last_seq;
    bool expect_ordered;
    bool any_len; /* SIM_DC_RX_NUMBERED: any payload length (else the one of its number) */
    sim_dc_xfer *tx;
    /* Test hooks, called from the channel's callbacks after the bookkeeping. */
    void (*open_hook)(struct sim_dc_chan *c);
    void (*msg_hook)(struct sim_dc_chan *c, const uint8_t *data, size_t len, bool binary);
} sim_dc_chan;

typedef struct sim_dc_world {
    mrtc_time clock;
    sim_net *net;
    sim_dc_peer p[2];
    sim_dc_sig_msg msgs[SIM_DC_MAX_MSGS];
    size_t n_msgs;
    mrtc_time signal_delay;
    sim_dc_chan *chans; /* SIM_DC_MAX_CHANS */
    size_t n_chans;
    /* Called from the datachannel callback for each announced channel. */
    void (*remote_hook)(struct sim_dc_world *w, sim_dc_chan *c);
    sim_dc_rx_mode remote_mode; /* mode for channels announced by the datachannel callback */
    /* Edits a remote description before peer `to` applies it: returns a malloc'd text or
     * NULL to leave it unchanged. */
    char *(*munge)(struct sim_dc_world *w, int to, mrtc_description_type type, const char *sdp);
    /* Called from the track callback of side `side` (media tests attach sinks here). */
    void (*track_hook)(struct sim_dc_world *w, int side, mrtc_transceiver *t);
    /* A test hook run when the virtual clock reaches app_at (it may re-arm app_at). */
    void (*app)(struct sim_dc_world *w);
    mrtc_time app_at;
    void *app_user;
    /* sim_dc_all_open: datachannel callbacks expected per side. */
    size_t want_remote[2];
    /* The transfer of sim_dc_xfer_setup: its sending and receiving channels. */
    sim_dc_chan *bulk_tx, *bulk_rx;
    /* Conditions checked by the helpers that did not hold (see the top of this file). */
    int failures;
} sim_dc_world;

/* ---- utilities ---- */

/* Seconds on the real monotonic clock, for the "s wall" figures the tests print. */
double sim_dc_wall_now(void);
/* The deterministic byte stream of `seed` at offset off, n bytes. */
void sim_dc_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n);
/* A scratch buffer for building messages (the transfer pump uses it too). */
#define SIM_DC_SCRATCH_SIZE ((256u << 10) + 64)
extern uint8_t sim_dc_scratch[SIM_DC_SCRATCH_SIZE];
/* Prints a peer's connection (with times), DTLS and SCTP state histories to stderr. */
void sim_dc_dump_peer(const sim_dc_peer *p);

/* Numbered message: [seq u32][payload len u32][fnv64 of payload][payload]. A channel in
 * SIM_DC_RX_NUMBERED mode counts valid, corrupt, duplicated and (if expect_ordered)
 * out-of-order ones; `seen` needs n_numbered bytes. */
#define SIM_DC_NUM_HDR 16
/* Builds message `seq` with an n-byte payload into out (SIM_DC_NUM_HDR + n bytes). */
size_t sim_dc_numbered_build_n(uint32_t seq, size_t n, uint8_t *out);
/* The same with the payload length of its number (0..1999: one or two packets). */
size_t sim_dc_numbered_build(uint32_t seq, uint8_t *out);

/* ---- the world ---- */

/* Two peers (10.0.0.1 offerer, 10.0.0.2 polite answerer) with PeerConnections in state
 * new, 30 ms signaling delay, the default link `link` (NULL: 10 ms delay, 2 ms jitter). */
void sim_dc_world_init(sim_dc_world *w, uint64_t seed, const sim_link *link);
/* Frees both peers (closing what is still open, silently), the network and the channels'
 * bookkeeping. Returns the number of conditions checked by the helpers that did not hold
 * during the world's life: tests CHECK it is 0. */
__attribute__((warn_unused_result)) int sim_dc_world_free(sim_dc_world *w);

/* Runs the event loop until pred(w) holds (true) or `limit` of virtual time passed
 * (false). pred may be NULL: run for `limit`. */
bool sim_dc_run_until(sim_dc_world *w, mrtc_time limit, bool (*pred)(sim_dc_world *w));
void sim_dc_run_for(sim_dc_world *w, mrtc_time d);

/* Predicates. */
bool sim_dc_both_connected(sim_dc_world *w);
/* Both connected, want_remote[] datachannel callbacks per side, every channel opened. */
bool sim_dc_all_open(sim_dc_world *w);
/* Both connected, pc1 announced a channel and the first channel opened. */
bool sim_dc_one_remote(sim_dc_world *w);

/* The side whose DTLS role is client (its local description says a=setup:active), or -1. */
int sim_dc_dtls_client_side(sim_dc_world *w);
/* a=max-message-size in side's current remote description, -1 if absent, -2 if none. */
long long sim_dc_remote_max_message_size(sim_dc_world *w, int side);

/* The close callback for mrtc_pc_close(): counts and clears the peer's pc. */
void sim_dc_close_cb(mrtc_pc *pc, void *user);
/* Closes both PCs with close callbacks, runs until they are freed and checks that no
 * callback came after close. */
void sim_dc_close_both(sim_dc_world *w);

/* ---- channels ---- */

/* Creates a channel on side `side` (init may be NULL); NULL (and a failure) on error. */
sim_dc_chan *sim_dc_chan_create(sim_dc_world *w, int side, const char *label,
                                const mrtc_datachannel_init *init);
/* The channel announced on `side` with this label (datachannel callback), or NULL. */
sim_dc_chan *sim_dc_chan_remote(sim_dc_world *w, int side, const char *label);

/* ---- a transfer paced by bufferedAmount ---- */

/* Longest message of a transfer. */
#define SIM_DC_XFER_MSG_MAX 65000u
/* Starts a transfer of `total` bytes from pc0 to pc1 on a new reliable ordered channel
 * "bulk" (created before negotiation, w->bulk_tx) and returns once it is open on both sides
 * (w->bulk_rx, in stream mode with a SHA-256); false (and a failure) if it did not open.
 * Sending starts with sim_dc_xfer_pump(w->bulk_tx), then continues from the
 * buffered_amount_low callback (threshold 256 KiB, filling up to 1 MiB). */
bool sim_dc_xfer_setup(sim_dc_world *w, uint64_t total, uint64_t seed);
void sim_dc_xfer_pump(sim_dc_chan *c);
/* Everything arrived and the sender's buffer is empty. */
bool sim_dc_xfer_done(sim_dc_world *w);

/* MESHRTC_SIM_TEST=name: whether the test called `name` runs (all when unset). */
bool sim_dc_selected(const char *name);

/* RUN() (tests/unit/test.h) for a test MESHRTC_SIM_TEST selects. */
#define RUN_IF(fn)                                                                                 \
    do {                                                                                           \
        if (sim_dc_selected(#fn))                                                                  \
            RUN(fn);                                                                               \
    } while (0)

#endif
