/*
 * bench_setup: how long a fresh pair of PeerConnections takes from create-offer to an open
 * data channel, two PeerConnections in one process over real UDP sockets on 127.0.0.1.
 *
 * Method (docs/benchmarks.md): both PeerConnections are constructed (certificate included)
 * and the offerer's channel is created before t0; t0 is taken just before create-offer,
 * then offer, set local, set remote on the other side, answer, set local, set remote (all
 * synchronous); candidates go from the ice_candidate callback straight into
 * add_ice_candidate of the other side. Reported over N fresh pairs (default 60; each pair
 * is closed before the next is built): the time until both ends are ICE connected, both
 * connection states are connected, and both channel ends are open (median, p10, p90), plus
 * the DTLS and SCTP transports' connected times and the synchronous signaling part as a
 * breakdown. One warm-up pair first (not counted) takes one-time process costs (the default
 * certificate, OpenSSL tables) out.
 *
 *   bench_setup [--pairs N] [--quick] [--hold] [--csv]
 *     --quick  3 pairs (the ctest smoke run)
 *     --hold   keep the warm-up pair open while measuring (so the process-global SCTP
 *              stack is not shut down and set up again between pairs)
 *     --csv    also print one line per pair
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_SIG, M_ICE, M_DTLS, M_SCTP, M_CONN, M_OPEN, M_COUNT };

static const char *const metric_names[M_COUNT] = {
    "signaling calls (offer..set remote answer)",
    "both ICE connected",
    "both DTLS connected",
    "both SCTP connected",
    "both connectionState connected",
    "both data channel ends open",
};

static bool both_open(bw *w, void *arg)
{
    bend *e = arg;
    (void)w;
    return e[0].t_open && e[1].t_open;
}

static uint64_t later(uint64_t a, uint64_t b)
{
    return (a == 0 || b == 0) ? 0 : (a > b ? a : b);
}

/* One pair: fills ms[M_COUNT] (milliseconds since t0). False on failure. */
static bool one_pair(bw *w, double *ms)
{
    bend e[2];
    bool ok = false;
    memset(e, 0, sizeof e);
    if (bend_create(w, &e[0], true, NULL, NULL) || bend_create(w, &e[1], false, NULL, NULL))
        goto out;
    bend_link(&e[0], &e[1]);

    uint64_t t0 = bench_now_ns();
    if (bend_offer(&e[0]))
        goto out;
    uint64_t t_sig = bench_now_ns();
    if (!bw_run(w, both_open, e, 10000)) {
        fprintf(stderr, "bench_setup: pair did not open within 10 s%s\n",
                w->timed_out ? " (timeout)" : "");
        goto out;
    }
    uint64_t t[M_COUNT] = {
        [M_SIG] = t_sig,
        [M_ICE] = later(e[0].t_ice, e[1].t_ice),
        [M_DTLS] = later(e[0].t_dtls, e[1].t_dtls),
        [M_SCTP] = later(e[0].t_sctp, e[1].t_sctp),
        [M_CONN] = later(e[0].t_conn, e[1].t_conn),
        [M_OPEN] = later(e[0].t_open, e[1].t_open),
    };
    for (int m = 0; m < M_COUNT; m++)
        ms[m] = t[m] ? (double)(t[m] - t0) / 1e6 : -1;
    ok = true;
out:
    bench_close(w, e, 2);
    w->n_failed = 0;
    return ok;
}

int main(int argc, char **argv)
{
    int pairs = 60;
    bool hold = false, csv = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            pairs = 3;
        else if (strcmp(argv[i], "--hold") == 0)
            hold = true;
        else if (strcmp(argv[i], "--csv") == 0)
            csv = true;
        else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
            pairs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--pairs N] [--quick] [--hold] [--csv]\n", argv[0]);
            return 2;
        }
    }
    if (pairs < 1)
        pairs = 1;
    bench_print_header(argc, argv, "bench_setup: create-offer to open data channel, one process, "
                                   "127.0.0.1 UDP");
    bw w;
    if (bw_init(&w) != 0) {
        fprintf(stderr, "bench_setup: cannot create the runtime\n");
        return 1;
    }
    /* Warm-up pair: not counted; kept open with --hold. */
    bend warm[2];
    if (!bench_connect(&w, warm, 1, NULL, 10000)) {
        fprintf(stderr, "bench_setup: warm-up pair failed\n");
        bw_destroy(&w);
        return 1;
    }
    if (!hold)
        bench_close(&w, warm, 2);

    double *v[M_COUNT];
    for (int m = 0; m < M_COUNT; m++)
        v[m] = calloc((size_t)pairs, sizeof(double));
    int n = 0, failures = 0;
    if (csv)
        printf("pair,signaling_ms,ice_ms,dtls_ms,sctp_ms,connected_ms,open_ms\n");
    for (int i = 0; i < pairs; i++) {
        double ms[M_COUNT];
        if (!one_pair(&w, ms)) {
            failures++;
            continue;
        }
        if (csv)
            printf("%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n", i, ms[M_SIG], ms[M_ICE], ms[M_DTLS],
                   ms[M_SCTP], ms[M_CONN], ms[M_OPEN]);
        for (int m = 0; m < M_COUNT; m++)
            v[m][n] = ms[m];
        n++;
    }
    if (hold)
        bench_close(&w, warm, 2);

    printf("\n%d fresh pairs measured (%d failed)%s\n\n", n, failures,
           hold ? ", a warm-up pair held open" : "");
    printf("| %-44s | %9s | %9s | %9s | %9s |\n", "milliseconds from t0 (create-offer) to", "median",
           "p10", "p90", "max");
    printf("|----------------------------------------------|-----------|-----------|-----------|"
           "-----------|\n");
    for (int m = 0; m < M_COUNT; m++) {
        double med = bench_quantile(v[m], (size_t)n, 0.5);
        double p10 = bench_quantile(v[m], (size_t)n, 0.1);
        double p90 = bench_quantile(v[m], (size_t)n, 0.9);
        double mx = bench_quantile(v[m], (size_t)n, 1.0);
        printf("| %-44s | %9.3f | %9.3f | %9.3f | %9.3f |\n", metric_names[m], med, p10, p90, mx);
    }
    double open_med = bench_quantile(v[M_OPEN], (size_t)n, 0.5);
    printf("\ntarget: both data channel ends open, median <= 2 ms: %s (%.3f ms)\n",
           n > 0 && open_med <= 2.0 ? "met" : "MISSED", open_med);
    for (int m = 0; m < M_COUNT; m++)
        free(v[m]);
    bw_destroy(&w);
    return failures == 0 && n == pairs ? 0 : 1;
}
