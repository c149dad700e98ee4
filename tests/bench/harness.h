/*
 * The benchmarks' shared harness: one libuv loop with one meshrtc runtime (a "world"),
 * PeerConnection ends with their data channel, direct signaling between two ends of one
 * process, and the small tools every benchmark needs (clock, percentiles, VmRSS, CPU time,
 * file descriptor limit, command line echo).
 *
 * Only the public API (include/meshrtc.h) and libuv are used: the benchmarks measure what an
 * application sees. Every PeerConnection gathers host candidates on 127.0.0.1 only (ICE
 * allow-list), has no STUN/TURN server, and uses the library's default certificate
 * (generated once per process, before any measured interval). The offering end creates
 * its data channel (reliable, ordered, label "bench") before the offer.
 *
 * Signaling, as the issue prescribes: create-offer, set local, set remote on the other
 * end, create-answer, set local, set remote; every candidate goes from the ice_candidate
 * callback straight into add_ice_candidate of the other end (bend_link() for two ends in
 * one process; bench_throughput carries the same calls over a socketpair between two
 * processes).
 */
#ifndef MESHRTC_BENCH_HARNESS_H
#define MESHRTC_BENCH_HARNESS_H

#include "meshrtc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct bw bw;
typedef struct bend bend;

typedef enum bsig_type {
    BSIG_OFFER = 1,
    BSIG_ANSWER,
    BSIG_CANDIDATE, /* text NULL: end of candidates */
} bsig_type;

/* Where an end's signaling goes. `text` is the SDP or the candidate (NULL for the end of
 * candidates); strings are valid for the call only. */
typedef void (*bsig_fn)(bend *from, bsig_type type, const char *text, const char *mid, int idx,
                        void *user);

/* What a benchmark wants to hear about its ends' data channel. Every member may be NULL. */
typedef struct bend_hooks {
    void (*open)(bend *e);
    void (*message)(bend *e, const uint8_t *data, size_t len, bool binary);
    void (*buffered_low)(bend *e);
    /* The peer sends media on t (the track callback). */
    void (*track)(bend *e, mrtc_transceiver *t);
} bend_hooks;

/* One PeerConnection and its data channel. */
struct bend {
    bw *w;
    mrtc_pc *pc;
    mrtc_datachannel *dc;
    bool offerer;
    bend *peer; /* the other end when both live in this process (bend_link), else NULL */
    bsig_fn sig;
    void *sig_user;
    const bend_hooks *hooks;
    void *user; /* the benchmark's */
    /* uv_hrtime() (ns) when this end saw: ICE connected (or completed), connection state
     * connected, its channel open; 0 until then. */
    uint64_t t_ice, t_conn, t_open;
    uint64_t t_dtls, t_sctp; /* DTLS transport connected, SCTP transport connected */
    bool failed;
    bool closed; /* close_cb ran */
    bool closing;
    bool quiet_close; /* the peer is expected to close: a channel close is no failure */
};

/* A loop, a runtime, and counters over all ends of the world. */
struct bw {
    uv_loop_t loop;
    mrtc_runtime *rt;
    uv_timer_t guard;
    bool (*done)(bw *w, void *arg);
    void *done_arg;
    bool timed_out;
    long n_ice, n_conn, n_open, n_failed, n_closed; /* ends that reached it */
    const char *const *allow;
    size_t n_allow;
};

/* Creates the loop and the runtime. Returns 0 or a negative code. */
int bw_init(bw *w);
/* Closes the runtime (and every PeerConnection still open), runs the loop dry, closes it. */
void bw_destroy(bw *w);
/* Runs the loop until done(w, arg) holds (checked whenever an end reports progress, and
 * after every loop iteration), an end failed, or timeout_ms passed. True when done. */
bool bw_run(bw *w, bool (*done)(bw *w, void *arg), void *arg, uint64_t timeout_ms);
/* Re-evaluates the run condition (stops the loop if met). Hooks call it after changing
 * what their condition reads. */
void bw_poke(bw *w);
/* Runs the loop for ms milliseconds (no condition). */
void bw_idle(bw *w, uint64_t ms);

/* Creates e's PeerConnection on w (and, for the offerer, its data channel). Not timed.
 * Returns 0 or a negative code (message on stderr). */
int bend_create(bw *w, bend *e, bool offerer, const bend_hooks *hooks, void *user);
/* Direct signaling between two ends of this process. */
void bend_link(bend *a, bend *b);
/* Offerer: create-offer, set local, signal the offer. Returns 0 or a negative code. */
int bend_offer(bend *e);
/* Applies signaling from the other end (an answerer answers at once). Returns 0 or a
 * negative code (the end is marked failed). */
int bend_on_signal(bend *e, bsig_type type, const char *text, const char *mid, int idx);
/* Closes e's PeerConnection; w->n_closed counts it when its close_cb ran. */
void bend_close(bend *e);

/* Creates and links n pairs pairs[2i] (offerer) and pairs[2i+1], starts them all, runs
 * until every channel end is open. False on failure or after timeout_ms. */
bool bench_connect(bw *w, bend *ends, size_t n_pairs, const bend_hooks *hooks,
                   uint64_t timeout_ms);
/* Closes ends[0..n) and runs until their close callbacks ran. */
void bench_close(bw *w, bend *ends, size_t n);

/* ---- Tools ----------------------------------------------------------------------------- */

static inline uint64_t bench_now_ns(void)
{
    return uv_hrtime();
}
/* Sorts v[0..n) and returns the p-quantile (0..1), linear between ranks. */
double bench_quantile(double *v, size_t n, double p);
/* VmRSS of this process in KiB, or -1. */
long bench_rss_kib(void);
/* User + system CPU time of this process, in seconds. */
double bench_cpu_s(void);
/* Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit. */
long bench_raise_nofile(void);
/* Prints the command line ("command: ...") and the machine (CPUs, kernel). */
void bench_print_header(int argc, char **argv, const char *what);

#endif
