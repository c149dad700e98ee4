/*
 * The benchmarks' shared harness (harness.h): a loop with a runtime, PeerConnection ends
 * with their data channel and direct signaling, and measuring tools. Public API only.
 */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *const loopback_only[] = {"127.0.0.1"};

static bool ice_up(mrtc_ice_connection_state s)
{
    return s == MRTC_ICE_CONNECTION_CONNECTED || s == MRTC_ICE_CONNECTION_COMPLETED;
}

static void end_fail(bend *e, const char *what, int err)
{
    if (!e->failed) {
        e->failed = true;
        e->w->n_failed++;
        fprintf(stderr, "bench: %s end %p: %s%s%s\n", e->offerer ? "offering" : "answering",
                (void *)e, what, err ? ": " : "", err ? mrtc_err_name(err) : "");
        if (e->pc && err && mrtc_pc_last_error(e->pc)[0])
            fprintf(stderr, "bench:   %s\n", mrtc_pc_last_error(e->pc));
    }
    bw_poke(e->w);
}

/* ---- World ------------------------------------------------------------------------------- */

static void on_guard(uv_timer_t *t)
{
    bw *w = t->data;
    w->timed_out = true;
    uv_stop(&w->loop);
}

int bw_init(bw *w)
{
    memset(w, 0, sizeof *w);
    w->allow = loopback_only;
    w->n_allow = 1;
    int r = uv_loop_init(&w->loop);
    if (r != 0)
        return MRTC_EIO;
    uv_timer_init(&w->loop, &w->guard);
    w->guard.data = w;
    return mrtc_runtime_new(&w->loop, &w->rt);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void bw_destroy(bw *w)
{
    if (w->rt)
        mrtc_runtime_close(w->rt, NULL, NULL);
    w->rt = NULL;
    uv_close((uv_handle_t *)&w->guard, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_walk(&w->loop, close_walk, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&w->loop) != 0)
        fprintf(stderr, "bench: loop still has handles\n");
}

void bw_poke(bw *w)
{
    if (w->n_failed || (w->done && w->done(w, w->done_arg)))
        uv_stop(&w->loop);
}

bool bw_run(bw *w, bool (*done)(bw *w, void *arg), void *arg, uint64_t timeout_ms)
{
    w->done = done;
    w->done_arg = arg;
    w->timed_out = false;
    bool ok = false;
    uv_timer_start(&w->guard, on_guard, timeout_ms, 0);
    for (;;) {
        if (w->n_failed)
            break;
        if (done(w, arg)) {
            ok = true;
            break;
        }
        if (w->timed_out)
            break;
        uv_run(&w->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&w->guard);
    w->done = NULL;
    return ok;
}

static bool never(bw *w, void *arg)
{
    (void)arg;
    return w->timed_out;
}

void bw_idle(bw *w, uint64_t ms)
{
    long failed = w->n_failed;
    w->n_failed = 0; /* run regardless of earlier failures */
    bw_run(w, never, NULL, ms);
    w->n_failed += failed;
}

/* ---- Data channel callbacks -------------------------------------------------------------- */

static void dc_open(mrtc_datachannel *dc, void *user)
{
    bend *e = user;
    (void)dc;
    if (!e->t_open) {
        e->t_open = bench_now_ns();
        e->w->n_open++;
    }
    if (e->hooks && e->hooks->open)
        e->hooks->open(e);
    bw_poke(e->w);
}

static void dc_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *user)
{
    bend *e = user;
    (void)dc;
    if (e->hooks && e->hooks->message)
        e->hooks->message(e, data, len, binary);
}

static void dc_low(mrtc_datachannel *dc, void *user)
{
    bend *e = user;
    (void)dc;
    if (e->hooks && e->hooks->buffered_low)
        e->hooks->buffered_low(e);
}

static void dc_error(mrtc_datachannel *dc, int code, const char *message, void *user)
{
    bend *e = user;
    (void)dc;
    fprintf(stderr, "bench: channel error %s: %s\n", mrtc_err_name(code), message);
    end_fail(e, "data channel error", code);
}

static void dc_close(mrtc_datachannel *dc, void *user)
{
    bend *e = user;
    if (e->dc == dc)
        e->dc = NULL;
    if (!e->closing && !e->quiet_close)
        end_fail(e, "data channel closed unexpectedly", 0);
}

static const mrtc_datachannel_callbacks dc_cbs = {
    .open = dc_open,
    .message = dc_message,
    .buffered_amount_low = dc_low,
    .error = dc_error,
    .close = dc_close,
};

/* ---- PeerConnection callbacks ------------------------------------------------------------ */

static void pc_candidate(mrtc_pc *pc, const char *cand, const char *mid, int idx, void *user)
{
    bend *e = user;
    (void)pc;
    if (e->sig)
        e->sig(e, BSIG_CANDIDATE, cand, mid, idx, e->sig_user);
}

static void pc_ice(mrtc_pc *pc, mrtc_ice_connection_state st, void *user)
{
    bend *e = user;
    (void)pc;
    if (ice_up(st) && !e->t_ice) {
        e->t_ice = bench_now_ns();
        e->w->n_ice++;
        bw_poke(e->w);
    } else if (st == MRTC_ICE_CONNECTION_FAILED) {
        end_fail(e, "ICE failed", 0);
    }
}

static void pc_conn(mrtc_pc *pc, mrtc_connection_state st, void *user)
{
    bend *e = user;
    (void)pc;
    if (st == MRTC_CONNECTION_CONNECTED && !e->t_conn) {
        e->t_conn = bench_now_ns();
        e->w->n_conn++;
        bw_poke(e->w);
    } else if (st == MRTC_CONNECTION_FAILED) {
        end_fail(e, "connection failed", 0);
    }
}

static void pc_dtls(mrtc_pc *pc, mrtc_dtls_transport_state st, void *user)
{
    bend *e = user;
    (void)pc;
    if (st == MRTC_DTLS_TRANSPORT_CONNECTED && !e->t_dtls)
        e->t_dtls = bench_now_ns();
    else if (st == MRTC_DTLS_TRANSPORT_FAILED)
        end_fail(e, "DTLS failed", 0);
}

static void pc_sctp(mrtc_pc *pc, mrtc_sctp_transport_state st, void *user)
{
    bend *e = user;
    (void)pc;
    if (st == MRTC_SCTP_TRANSPORT_CONNECTED && !e->t_sctp)
        e->t_sctp = bench_now_ns();
}

static void pc_datachannel(mrtc_pc *pc, mrtc_datachannel *dc, void *user)
{
    bend *e = user;
    (void)pc;
    if (e->dc) {
        fprintf(stderr, "bench: unexpected second channel\n");
        return;
    }
    e->dc = dc;
    mrtc_datachannel_set_callbacks(dc, &dc_cbs, e);
}

static void pc_closed(mrtc_pc *pc, void *user)
{
    (void)user;
    bend *e = mrtc_pc_user(pc);
    e->closed = true;
    e->pc = NULL;
    e->dc = NULL;
    e->w->n_closed++;
    bw_poke(e->w);
}

static void pc_track(mrtc_pc *pc, mrtc_transceiver *t, void *user)
{
    bend *e = user;
    (void)pc;
    if (e->hooks && e->hooks->track)
        e->hooks->track(e, t);
}

static const mrtc_pc_callbacks pc_cbs = {
    .track = pc_track,
    .ice_candidate = pc_candidate,
    .ice_connection_state_change = pc_ice,
    .connection_state_change = pc_conn,
    .datachannel = pc_datachannel,
    .dtls_state_change = pc_dtls,
    .sctp_state_change = pc_sctp,
};

/* ---- Ends -------------------------------------------------------------------------------- */

int bend_create(bw *w, bend *e, bool offerer, const bend_hooks *hooks, void *user)
{
    memset(e, 0, sizeof *e);
    e->w = w;
    e->offerer = offerer;
    e->hooks = hooks;
    e->user = user;
    mrtc_pc_config cfg;
    mrtc_pc_config_init(&cfg);
    cfg.ice_interfaces = w->allow;
    cfg.n_ice_interfaces = w->n_allow;
    int err = mrtc_pc_new(w->rt, &cfg, &pc_cbs, e, &e->pc);
    if (err) {
        fprintf(stderr, "bench: mrtc_pc_new: %s\n", mrtc_err_name(err));
        return err;
    }
    if (offerer) {
        mrtc_datachannel_init init;
        mrtc_datachannel_init_defaults(&init); /* reliable, ordered */
        err = mrtc_pc_create_datachannel(e->pc, "bench", &init, &e->dc);
        if (err) {
            fprintf(stderr, "bench: create_datachannel: %s\n", mrtc_err_name(err));
            return err;
        }
        mrtc_datachannel_set_callbacks(e->dc, &dc_cbs, e);
    }
    return 0;
}

static void direct_sig(bend *from, bsig_type type, const char *text, const char *mid, int idx,
                       void *user)
{
    (void)user;
    if (from->peer && !from->peer->closing)
        bend_on_signal(from->peer, type, text, mid, idx);
}

void bend_link(bend *a, bend *b)
{
    a->peer = b;
    b->peer = a;
    a->sig = b->sig = direct_sig;
}

int bend_offer(bend *e)
{
    char *sdp = NULL;
    int err = mrtc_pc_create_offer(e->pc, NULL, &sdp);
    if (err) {
        end_fail(e, "create offer", err);
        return err;
    }
    err = mrtc_pc_set_local_description(e->pc, MRTC_DESCRIPTION_OFFER, sdp);
    if (err) {
        end_fail(e, "set local offer", err);
    } else if (e->sig) {
        e->sig(e, BSIG_OFFER, sdp, NULL, -1, e->sig_user);
    }
    mrtc_string_free(sdp);
    return err;
}

int bend_on_signal(bend *e, bsig_type type, const char *text, const char *mid, int idx)
{
    int err = 0;
    char *sdp = NULL;
    if (e->failed || e->closing)
        return 0;
    switch (type) {
    case BSIG_OFFER:
        err = mrtc_pc_set_remote_description(e->pc, MRTC_DESCRIPTION_OFFER, text);
        if (err) {
            end_fail(e, "set remote offer", err);
            break;
        }
        err = mrtc_pc_create_answer(e->pc, &sdp);
        if (err) {
            end_fail(e, "create answer", err);
            break;
        }
        err = mrtc_pc_set_local_description(e->pc, MRTC_DESCRIPTION_ANSWER, sdp);
        if (err) {
            end_fail(e, "set local answer", err);
            break;
        }
        if (e->sig)
            e->sig(e, BSIG_ANSWER, sdp, NULL, -1, e->sig_user);
        break;
    case BSIG_ANSWER:
        err = mrtc_pc_set_remote_description(e->pc, MRTC_DESCRIPTION_ANSWER, text);
        if (err)
            end_fail(e, "set remote answer", err);
        break;
    case BSIG_CANDIDATE:
        err = mrtc_pc_add_ice_candidate(e->pc, text, text ? mid : NULL, text ? idx : -1);
        if (err)
            end_fail(e, "add ICE candidate", err);
        break;
    }
    mrtc_string_free(sdp);
    return err;
}

void bend_close(bend *e)
{
    if (e->closing || !e->pc)
        return;
    e->closing = true;
    if (mrtc_pc_close(e->pc, pc_closed) != 0) {
        e->closed = true;
        e->w->n_closed++;
    }
}

/* ---- Many pairs -------------------------------------------------------------------------- */

typedef struct open_goal {
    long open;
} open_goal;

static bool reached_open(bw *w, void *arg)
{
    return w->n_open >= ((open_goal *)arg)->open;
}

bool bench_connect(bw *w, bend *ends, size_t n_pairs, const bend_hooks *hooks,
                   uint64_t timeout_ms)
{
    for (size_t i = 0; i < n_pairs; i++) {
        if (bend_create(w, &ends[2 * i], true, hooks, NULL) ||
            bend_create(w, &ends[2 * i + 1], false, hooks, NULL))
            return false;
        bend_link(&ends[2 * i], &ends[2 * i + 1]);
    }
    open_goal g = {.open = w->n_open + 2 * (long)n_pairs};
    for (size_t i = 0; i < n_pairs; i++) {
        if (bend_offer(&ends[2 * i]))
            return false;
    }
    return bw_run(w, reached_open, &g, timeout_ms);
}

typedef struct closed_goal {
    long closed;
} closed_goal;

static bool reached_closed(bw *w, void *arg)
{
    return w->n_closed >= ((closed_goal *)arg)->closed;
}

void bench_close(bw *w, bend *ends, size_t n)
{
    long want = w->n_closed;
    for (size_t i = 0; i < n; i++) {
        if (ends[i].pc && !ends[i].closing) {
            bend_close(&ends[i]);
            want++;
        }
    }
    closed_goal g = {.closed = want};
    long failed = w->n_failed;
    w->n_failed = 0;
    if (!bw_run(w, reached_closed, &g, 30000))
        fprintf(stderr, "bench: PeerConnections did not close within 30 s\n");
    w->n_failed = failed;
}

/* ---- Tools ------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_quantile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    double pos = p * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

long bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

long bench_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fprintf(stderr, "bench: setrlimit(NOFILE): %s\n", strerror(errno));
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}

void bench_print_header(int argc, char **argv, const char *what)
{
    struct utsname u;
    printf("# %s\n# command:", what);
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    uname(&u);
    printf("\n# machine: %ld CPUs online, %s %s %s\n", sysconf(_SC_NPROCESSORS_ONLN), u.sysname,
           u.release, u.machine);
    FILE *f = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (f) {
        if (!fgets(load, sizeof load, f))
            snprintf(load, sizeof load, "?\n");
        fclose(f);
    }
    printf("# load average at start (other processes compete for the CPUs): %s", load);
    fflush(stdout);
}
