/*
 * bench_scale: how many connected pairs of PeerConnections one process (one loop, one
 * runtime) holds with every data channel still echoing within 1 s, over real UDP on
 * 127.0.0.1.
 *
 * Method (docs/benchmarks.md): grow in steps (default 50, 100, 150, 200, 250, 500, 1000,
 * 1500, 2000, 3000, 4000, 5000, 6000, 8000 pairs, capped by the descriptor limit, which is raised to the hard
 * limit first: each PeerConnection holds one UDP socket). Pairs are connected in batches of
 * 100 (all of a batch negotiating at once). After each step one 16-byte message is sent on
 * every channel from the offering end, the other end echoes it; the step passes when every
 * echo (checked: pair index and round) is back within 1 s of the first send. The largest
 * passing step is reported; growth stops at the first failing step. Also per step: the time
 * to connect the step's new pairs, the CPU the process burns while idle (1 s), VmRSS.
 *
 *   bench_scale [--steps N[,N...]] [--quick]
 *     --quick  steps 10,20 (the ctest smoke run)
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100
#define MAX_STEPS 32
#define ECHO_LIMIT_MS 1000
#define ECHO_WAIT_MS 10000 /* how long a failing round is still watched, to report it */

typedef struct scale {
    bend *ends;
    uint64_t round;
    size_t echoes, bad;
    uint64_t t_last;
} scale;

static scale S;

static void on_message(bend *e, const uint8_t *data, size_t len, bool binary)
{
    if (!e->offerer) { /* echo it back */
        int err = mrtc_datachannel_send(e->dc, data, len, binary);
        if (err)
            fprintf(stderr, "bench_scale: echo send: %s\n", mrtc_err_name(err));
        return;
    }
    uint64_t msg[2];
    uint64_t idx = (uint64_t)(e - S.ends) / 2;
    if (len != sizeof msg || !binary) {
        S.bad++;
        return;
    }
    memcpy(msg, data, sizeof msg);
    if (msg[0] != idx || msg[1] != S.round) {
        S.bad++;
        return;
    }
    S.echoes++;
    S.t_last = bench_now_ns();
    bw_poke(e->w);
}

static const bend_hooks hooks = {.message = on_message};

typedef struct echo_goal {
    size_t want;
} echo_goal;

static bool all_echoed(bw *w, void *arg)
{
    (void)w;
    return S.echoes >= ((echo_goal *)arg)->want;
}

/* One round over pairs [0, n): returns the time until the last echo (ms), or -1 when not
 * every echo came back within ECHO_WAIT_MS. *sent counts the messages that could be sent. */
static double echo_round(bw *w, size_t n, size_t *sent)
{
    S.round++;
    S.echoes = 0;
    S.bad = 0;
    *sent = 0;
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < n; i++) {
        bend *a = &S.ends[2 * i];
        uint64_t msg[2] = {i, S.round};
        if (a->dc && mrtc_datachannel_send(a->dc, msg, sizeof msg, true) == 0)
            (*sent)++;
    }
    echo_goal g = {.want = n};
    w->n_failed = 0;
    bool ok = bw_run(w, all_echoed, &g, ECHO_WAIT_MS);
    if (!ok)
        return -1;
    return (double)(S.t_last - t0) / 1e6;
}

int main(int argc, char **argv)
{
    size_t steps[MAX_STEPS] = {50,   100,  150,  200,  250,  500,  1000,
                               1500, 2000, 3000, 4000, 5000, 6000, 8000};
    size_t n_steps = 14;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            steps[0] = 10;
            steps[1] = 20;
            n_steps = 2;
            quick = true;
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            n_steps = 0;
            for (char *s = argv[++i]; *s && n_steps < MAX_STEPS;) {
                char *end;
                unsigned long v = strtoul(s, &end, 10);
                if (end == s || v == 0)
                    break;
                if (n_steps == 0 || v > steps[n_steps - 1])
                    steps[n_steps++] = v;
                s = *end == ',' ? end + 1 : end;
            }
            if (n_steps == 0) {
                fprintf(stderr, "bench_scale: bad --steps\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--steps N[,N...]] [--quick]\n", argv[0]);
            return 2;
        }
    }
    long nofile = bench_raise_nofile();
    bench_print_header(argc, argv, "bench_scale: connected pairs with every channel echoing "
                                   "within 1 s, one process");
    size_t fd_cap = nofile > 100 ? (size_t)(nofile - 100) / 2 : 0;
    printf("# RLIMIT_NOFILE %ld: at most %zu pairs (2 UDP sockets each)\n\n", nofile, fd_cap);
    while (n_steps > 0 && steps[n_steps - 1] > fd_cap)
        n_steps--;
    if (n_steps == 0) {
        fprintf(stderr, "bench_scale: descriptor limit too low\n");
        return 1;
    }

    bw w;
    if (bw_init(&w) != 0) {
        fprintf(stderr, "bench_scale: cannot create the runtime\n");
        return 1;
    }
    size_t max = steps[n_steps - 1];
    S.ends = calloc(2 * max, sizeof *S.ends);
    printf("| %6s | %11s | %11s | %10s | %12s | %9s | %9s |\n", "pairs", "connect s",
           "echo ms", "echoed", "within 1 s", "idle CPU", "VmRSS MiB");
    printf("|--------|-------------|-------------|------------|--------------|-----------|-------"
           "----|\n");
    fflush(stdout);
    size_t open = 0, best = 0;
    for (size_t k = 0; k < n_steps; k++) {
        uint64_t t0 = bench_now_ns();
        bool connected = true;
        while (open < steps[k]) {
            size_t n = steps[k] - open < BATCH ? steps[k] - open : BATCH;
            bool ok = bench_connect(&w, S.ends + 2 * open, n, &hooks, 60000);
            open += n; /* created either way: they are closed at the end */
            if (!ok) {
                fprintf(stderr, "bench_scale: connecting pairs up to %zu failed%s\n", open,
                        w.timed_out ? " (timeout after 60 s)" : "");
                connected = false;
                break;
            }
        }
        double connect_s = (double)(bench_now_ns() - t0) / 1e9;
        if (!connected) {
            printf("| %6zu | %11s | %11s | %10s | %12s | %9s | %9s |\n", steps[k], "FAILED", "-",
                   "-", "no", "-", "-");
            break;
        }
        size_t sent = 0;
        double ms = echo_round(&w, open, &sent);
        bool pass = ms >= 0 && ms <= ECHO_LIMIT_MS && S.bad == 0 && sent == open;
        double cpu0 = bench_cpu_s();
        uint64_t i0 = bench_now_ns();
        bw_idle(&w, 1000);
        double idle = (bench_cpu_s() - cpu0) / ((double)(bench_now_ns() - i0) / 1e9);
        char echo[32], echoed[32];
        if (ms >= 0)
            snprintf(echo, sizeof echo, "%.1f", ms);
        else
            snprintf(echo, sizeof echo, "> %d", ECHO_WAIT_MS);
        snprintf(echoed, sizeof echoed, "%zu", S.echoes);
        printf("| %6zu | %11.2f | %11s | %10s | %12s | %8.1f%% | %9.1f |\n", open, connect_s, echo,
               echoed, pass ? "yes" : "NO", idle * 100, (double)bench_rss_kib() / 1024);
        fflush(stdout);
        if (!pass) {
            if (S.bad)
                fprintf(stderr, "bench_scale: %zu wrong echoes\n", S.bad);
            break;
        }
        best = open;
    }
    printf("\nlargest step with every channel echoing within 1 s: %zu pairs\n", best);
    printf("target: >= 1000 pairs: %s\n", best >= 1000 ? "met" : "MISSED");
    bench_close(&w, S.ends, 2 * open);
    bw_destroy(&w);
    free(S.ends);
    if (quick) /* the smoke run: every step must pass */
        return best == steps[n_steps - 1] ? 0 : 1;
    return best > 0 ? 0 : 1;
}
