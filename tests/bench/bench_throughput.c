/*
 * bench_throughput: bulk transfer over one reliable ordered data channel between two
 * PeerConnections over real UDP on 127.0.0.1, in one process (both ends on one loop) and in
 * two processes (fork; each runs its own loop and runtime, SDP and candidates cross a
 * socketpair).
 *
 * Method (docs/benchmarks.md): a fresh pair per run; the sender sends 64 MiB of binary
 * messages (16 KiB or 64 KiB each) from its channel's open event, and whenever
 * bufferedAmount exceeds 4 MiB it waits for the buffered-amount-low event (threshold
 * 1 MiB). MB/s = bytes / (last byte received - first send) with MB = 1e6 bytes; the median
 * of 15 runs is reported. CPU = getrusage(RUSAGE_SELF) user+sys over wall time, per
 * process (sender: first send to last byte known received; receiver: first to last
 * message). The receiver checks every message (length, sequence number, content against
 * the same pseudo-random pattern) and the byte count, so a broken run reports an error
 * instead of a number.
 *
 *   bench_throughput [--quick] [--runs N] [--mib N] [--msg BYTES] [--procs 1|2]
 *     --quick  1 MiB, 1 run per case (the ctest smoke run)
 *     --msg    only this message size (default: 16384 and 65536)
 *     --procs  only one or two processes (default: both)
 */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HIGH_WATER (4u << 20) /* wait for buffered-amount-low above this */
#define LOW_MARK (1u << 20)   /* the buffered-amount-low threshold */
#define RUN_TIMEOUT_MS 120000

static uint8_t *pattern; /* msg + 256 pseudo-random bytes, the same in both processes */

static void make_pattern(size_t msg)
{
    free(pattern);
    pattern = malloc(msg + 256);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < msg + 256; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[i] = (uint8_t)(x >> 32);
    }
}

/* One transfer, seen from one process (one-process runs use both halves). */
typedef struct xfer {
    size_t msg;
    uint64_t total, n_msgs;
    /* sender */
    uint64_t sent_msgs;
    uint64_t t_first_send;
    double cpu_first_send;
    /* receiver */
    uint64_t recv_msgs, recv_bytes;
    uint64_t t_first_recv, t_end;
    double cpu_first_recv, cpu_end;
    bool bad;
    bool result_in; /* two processes: the receiver's result arrived */
    bool peer_gone;
} xfer;

static void pump(bend *e)
{
    xfer *x = e->user;
    if (!e->dc || x->bad)
        return;
    while (x->sent_msgs < x->n_msgs) {
        if (mrtc_datachannel_buffered_amount(e->dc) > HIGH_WATER)
            return; /* resumed by the buffered-amount-low event */
        uint64_t i = x->sent_msgs;
        uint8_t *m = pattern + (i % 256);
        uint8_t saved[8];
        memcpy(saved, m, 8);
        memcpy(m, &i, 8);
        int err = mrtc_datachannel_send(e->dc, m, x->msg, true);
        memcpy(m, saved, 8);
        if (err) {
            fprintf(stderr, "bench_throughput: send #%llu: %s\n", (unsigned long long)i,
                    mrtc_err_name(err));
            x->bad = true;
            bw_poke(e->w);
            return;
        }
        x->sent_msgs++;
    }
}

static void on_open(bend *e)
{
    xfer *x = e->user;
    if (!e->offerer)
        return;
    mrtc_datachannel_set_buffered_amount_low_threshold(e->dc, LOW_MARK);
    x->cpu_first_send = bench_cpu_s();
    x->t_first_send = bench_now_ns();
    pump(e);
}

static void on_low(bend *e)
{
    if (e->offerer)
        pump(e);
}

static void on_message(bend *e, const uint8_t *data, size_t len, bool binary)
{
    xfer *x = e->user;
    if (e->offerer || x->bad)
        return;
    if (!x->t_first_recv) {
        x->t_first_recv = bench_now_ns();
        x->cpu_first_recv = bench_cpu_s();
    }
    uint64_t i = x->recv_msgs;
    size_t off = (size_t)(i % 256);
    if (len != x->msg || !binary || memcmp(data, &i, 8) != 0 ||
        memcmp(data + 8, pattern + off + 8, len - 8) != 0) {
        uint64_t got = 0;
        if (len >= 8)
            memcpy(&got, data, 8);
        fprintf(stderr, "bench_throughput: message #%llu wrong: len %zu (want %zu), %s, seq %llu\n",
                (unsigned long long)i, len, x->msg, binary ? "binary" : "text",
                (unsigned long long)got);
        x->bad = true;
        bw_poke(e->w);
        return;
    }
    x->recv_msgs++;
    x->recv_bytes += len;
    if (x->recv_bytes == x->total) {
        x->t_end = bench_now_ns();
        x->cpu_end = bench_cpu_s();
        bw_poke(e->w);
    }
}

static const bend_hooks hooks = {.open = on_open, .message = on_message, .buffered_low = on_low};

static void xfer_init(xfer *x, size_t msg, uint64_t total)
{
    memset(x, 0, sizeof *x);
    x->msg = msg;
    x->total = total;
    x->n_msgs = total / msg;
}

typedef struct result {
    double mbps;
    double cpu_a; /* one process: the process; two: the sender's */
    double cpu_b; /* two processes: the receiver's */
} result;

/* ---- One process ------------------------------------------------------------------------- */

static bool xfer_done(bw *w, void *arg)
{
    xfer *x = arg;
    (void)w;
    return x->bad || x->t_end != 0;
}

static bool run_one_process(bw *w, size_t msg, uint64_t total, result *r)
{
    xfer x;
    bend e[2];
    bool ok = false;
    xfer_init(&x, msg, total);
    memset(e, 0, sizeof e);
    if (bend_create(w, &e[0], true, &hooks, &x) || bend_create(w, &e[1], false, &hooks, &x))
        goto out;
    bend_link(&e[0], &e[1]);
    if (bend_offer(&e[0]))
        goto out;
    if (!bw_run(w, xfer_done, &x, RUN_TIMEOUT_MS) || x.bad) {
        fprintf(stderr, "bench_throughput: run failed%s (received %llu of %llu bytes)\n",
                w->timed_out ? " (timeout)" : "", (unsigned long long)x.recv_bytes,
                (unsigned long long)total);
        goto out;
    }
    double wall = (double)(x.t_end - x.t_first_send) / 1e9;
    r->mbps = (double)x.recv_bytes / wall / 1e6;
    r->cpu_a = (x.cpu_end - x.cpu_first_send) / wall;
    r->cpu_b = -1;
    ok = x.recv_bytes == total && x.recv_msgs == x.n_msgs;
out:
    bench_close(w, e, 2);
    w->n_failed = 0;
    return ok;
}

/* ---- Two processes: signaling over a socketpair ------------------------------------------ */

enum { FRAME_RESULT = 10 };

typedef struct frame_hdr {
    uint32_t len; /* bytes after the header */
    uint8_t type;
    uint8_t flags; /* 1: text is NULL, 2: mid is NULL */
    uint16_t mid_len;
    int32_t idx;
} frame_hdr;

typedef struct wire_result {
    uint64_t t_first_recv, t_end, recv_bytes, recv_msgs;
    double cpu_s, wall_s;
    uint8_t ok;
} wire_result;

typedef struct proc {
    bw w;
    bend e;
    xfer x;
    uv_pipe_t pipe;
    bool pipe_open;
    uint8_t *in;
    size_t in_len, in_cap;
    wire_result peer_result;
    bool eof;
} proc;

static void write_done(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void send_frame(proc *p, uint8_t type, const char *mid, const void *body, size_t body_len,
                       int idx, uint8_t flags)
{
    if (!p->pipe_open)
        return;
    size_t mid_len = mid ? strlen(mid) : 0;
    frame_hdr h = {.len = (uint32_t)(mid_len + body_len), .type = type, .flags = flags,
                   .mid_len = (uint16_t)mid_len, .idx = idx};
    uv_write_t *req = malloc(sizeof *req + sizeof h + mid_len + body_len);
    uint8_t *buf = (uint8_t *)(req + 1);
    memcpy(buf, &h, sizeof h);
    if (mid_len)
        memcpy(buf + sizeof h, mid, mid_len);
    if (body_len)
        memcpy(buf + sizeof h + mid_len, body, body_len);
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)(sizeof h + mid_len + body_len));
    if (uv_write(req, (uv_stream_t *)&p->pipe, &b, 1, write_done) != 0)
        free(req);
}

static void pipe_sig(bend *from, bsig_type type, const char *text, const char *mid, int idx,
                     void *user)
{
    proc *p = user;
    (void)from;
    uint8_t flags = (uint8_t)((text ? 0 : 1) | (mid ? 0 : 2));
    send_frame(p, (uint8_t)type, mid, text, text ? strlen(text) : 0, idx, flags);
}

static void handle_frame(proc *p, const frame_hdr *h, const uint8_t *body)
{
    if (h->type == FRAME_RESULT) {
        if (h->len == sizeof p->peer_result)
            memcpy(&p->peer_result, body, sizeof p->peer_result);
        p->x.result_in = true;
        bw_poke(&p->w);
        return;
    }
    char *mid = NULL, *text = NULL;
    if (!(h->flags & 2)) {
        mid = malloc(h->mid_len + 1u);
        memcpy(mid, body, h->mid_len);
        mid[h->mid_len] = 0;
    }
    if (!(h->flags & 1)) {
        size_t n = h->len - h->mid_len;
        text = malloc(n + 1);
        memcpy(text, body + h->mid_len, n);
        text[n] = 0;
    }
    bend_on_signal(&p->e, (bsig_type)h->type, text, mid, h->idx);
    free(mid);
    free(text);
}

static void on_pipe_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    proc *p = h->data;
    if (p->in_cap - p->in_len < suggested) {
        p->in_cap = p->in_len + suggested;
        p->in = realloc(p->in, p->in_cap);
    }
    *buf = uv_buf_init((char *)p->in + p->in_len, (unsigned)(p->in_cap - p->in_len));
}

static void on_pipe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proc *p = s->data;
    (void)buf;
    if (n < 0) {
        p->eof = true;
        p->x.peer_gone = true;
        uv_read_stop(s);
        bw_poke(&p->w);
        return;
    }
    p->in_len += (size_t)n;
    size_t at = 0;
    while (p->in_len - at >= sizeof(frame_hdr)) {
        frame_hdr h;
        memcpy(&h, p->in + at, sizeof h);
        if (p->in_len - at - sizeof h < h.len)
            break;
        handle_frame(p, &h, p->in + at + sizeof h);
        at += sizeof h + h.len;
    }
    memmove(p->in, p->in + at, p->in_len - at);
    p->in_len -= at;
}

static int proc_init(proc *p, int fd, bool sender, size_t msg, uint64_t total)
{
    memset(p, 0, sizeof *p);
    if (bw_init(&p->w) != 0)
        return -1;
    xfer_init(&p->x, msg, total);
    uv_pipe_init(&p->w.loop, &p->pipe, 0);
    p->pipe.data = p;
    if (uv_pipe_open(&p->pipe, fd) != 0)
        return -1;
    p->pipe_open = true;
    uv_read_start((uv_stream_t *)&p->pipe, on_pipe_alloc, on_pipe_read);
    if (bend_create(&p->w, &p->e, sender, &hooks, &p->x) != 0)
        return -1;
    p->e.sig = pipe_sig;
    p->e.sig_user = p;
    return 0;
}

static void proc_destroy(proc *p)
{
    bench_close(&p->w, &p->e, 1);
    if (p->pipe_open) {
        p->pipe_open = false;
        uv_close((uv_handle_t *)&p->pipe, NULL);
    }
    bw_destroy(&p->w);
    free(p->in);
}

static bool receiver_done(bw *w, void *arg)
{
    proc *p = arg;
    (void)w;
    return p->x.bad || p->x.t_end != 0 || p->eof;
}

static bool peer_eof(bw *w, void *arg)
{
    (void)w;
    return ((proc *)arg)->eof;
}

/* The child: answers, receives, reports, then waits for the parent to hang up. */
static int child_main(int fd, size_t msg, uint64_t total)
{
    proc p;
    if (proc_init(&p, fd, false, msg, total) != 0)
        return 1;
    bool ok = bw_run(&p.w, receiver_done, &p, RUN_TIMEOUT_MS) && !p.x.bad && p.x.t_end;
    wire_result wr = {
        .t_first_recv = p.x.t_first_recv,
        .t_end = p.x.t_end,
        .recv_bytes = p.x.recv_bytes,
        .recv_msgs = p.x.recv_msgs,
        .ok = ok && p.x.recv_bytes == total,
    };
    if (p.x.t_end) {
        wr.wall_s = (double)(p.x.t_end - p.x.t_first_recv) / 1e9;
        wr.cpu_s = p.x.cpu_end - p.x.cpu_first_recv;
    }
    send_frame(&p, FRAME_RESULT, NULL, &wr, sizeof wr, -1, 3);
    p.w.n_failed = 0;
    p.e.quiet_close = true;            /* the parent closes first: expected now */
    bw_run(&p.w, peer_eof, &p, 30000); /* until the parent hangs up */
    proc_destroy(&p);
    return ok ? 0 : 1;
}

static bool sender_done(bw *w, void *arg)
{
    proc *p = arg;
    (void)w;
    return p->x.bad || p->x.result_in || p->eof;
}

static bool run_two_processes(size_t msg, uint64_t total, result *r)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return false;
    }
    if (pid == 0) {
        close(sv[0]);
        _exit(child_main(sv[1], msg, total));
    }
    close(sv[1]);
    proc *p = malloc(sizeof *p);
    bool ok = false;
    if (proc_init(p, sv[0], true, msg, total) != 0) {
        fprintf(stderr, "bench_throughput: parent setup failed\n");
        goto out;
    }
    if (bend_offer(&p->e))
        goto out;
    bool done = bw_run(&p->w, sender_done, p, RUN_TIMEOUT_MS);
    uint64_t t_result = bench_now_ns();
    double cpu_result = bench_cpu_s();
    const wire_result *wr = &p->peer_result;
    if (!done || p->x.bad || !p->x.result_in || !wr->ok || wr->recv_bytes != total) {
        fprintf(stderr, "bench_throughput: two-process run failed%s (received %llu of %llu)\n",
                p->w.timed_out ? " (timeout)" : "", (unsigned long long)wr->recv_bytes,
                (unsigned long long)total);
        goto out;
    }
    double wall = (double)(wr->t_end - p->x.t_first_send) / 1e9;
    r->mbps = (double)wr->recv_bytes / wall / 1e6;
    r->cpu_a = (cpu_result - p->x.cpu_first_send) / ((double)(t_result - p->x.t_first_send) / 1e9);
    r->cpu_b = wr->wall_s > 0 ? wr->cpu_s / wr->wall_s : -1;
    ok = true;
out:
    proc_destroy(p); /* closes the socket: the child sees EOF and exits */
    free(p);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_throughput: receiver process exited with status %d\n", status);
        ok = false;
    }
    return ok;
}

/* ---- Main -------------------------------------------------------------------------------- */

typedef struct summary {
    int procs;
    size_t msg;
    int runs, ok;
    double mbps_med, mbps_min, mbps_max, cpu_a, cpu_b;
} summary;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_case(bw *w, int procs, size_t msg, uint64_t total, int runs, summary *s)
{
    double *mb = calloc((size_t)runs, sizeof(double));
    double *ca = calloc((size_t)runs, sizeof(double));
    double *cb = calloc((size_t)runs, sizeof(double));
    memset(s, 0, sizeof *s);
    s->procs = procs;
    s->msg = msg;
    s->runs = runs;
    make_pattern(msg);
    for (int i = 0; i < runs; i++) {
        result r;
        bool ok = procs == 1 ? run_one_process(w, msg, total, &r)
                             : run_two_processes(msg, total, &r);
        if (!ok) {
            printf("  %d process%s, %zu-byte messages, run %d: FAILED\n", procs,
                   procs == 1 ? "" : "es", msg, i + 1);
            continue;
        }
        printf("  %d process%s, %zu-byte messages, run %2d: %8.1f MB/s  cpu %5.0f%%", procs,
               procs == 1 ? "" : "es", msg, i + 1, r.mbps, r.cpu_a * 100);
        if (procs == 2)
            printf(" / %5.0f%%", r.cpu_b * 100);
        printf("\n");
        fflush(stdout);
        mb[s->ok] = r.mbps;
        ca[s->ok] = r.cpu_a;
        cb[s->ok] = r.cpu_b;
        s->ok++;
    }
    if (s->ok) {
        s->mbps_med = bench_quantile(mb, (size_t)s->ok, 0.5);
        qsort(mb, (size_t)s->ok, sizeof *mb, cmp_double);
        s->mbps_min = mb[0];
        s->mbps_max = mb[s->ok - 1];
        s->cpu_a = bench_quantile(ca, (size_t)s->ok, 0.5);
        s->cpu_b = bench_quantile(cb, (size_t)s->ok, 0.5);
    }
    free(mb);
    free(ca);
    free(cb);
}

int main(int argc, char **argv)
{
    int runs = 15;
    uint64_t mib = 64;
    size_t only_msg = 0;
    int only_procs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            runs = 1;
            mib = 1;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
            mib = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--msg") == 0 && i + 1 < argc) {
            only_msg = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc) {
            only_procs = atoi(argv[++i]);
        } else {
            fprintf(stderr,
                    "usage: %s [--quick] [--runs N] [--mib N] [--msg BYTES] [--procs 1|2]\n",
                    argv[0]);
            return 2;
        }
    }
    if (runs < 1 || mib < 1 || (only_msg && (only_msg < 8 || (mib << 20) % only_msg))) {
        fprintf(stderr, "bench_throughput: bad --runs, --mib or --msg (must divide the total)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uint64_t total = mib << 20;
    bench_print_header(argc, argv, "bench_throughput: one reliable ordered channel, 127.0.0.1 UDP");
    printf("# %llu MiB per run, %d run(s) per case, fresh pair per run; wait for "
           "buffered-amount-low (1 MiB) above 4 MiB buffered\n",
           (unsigned long long)mib, runs);

    size_t sizes[] = {16384, 65536};
    summary sums[4];
    int n_sums = 0;
    bool all_ok = true;
    for (int procs = 1; procs <= 2; procs++) {
        if (only_procs && procs != only_procs)
            continue;
        bw w;
        memset(&w, 0, sizeof w);
        if (procs == 1 && bw_init(&w) != 0) {
            fprintf(stderr, "bench_throughput: cannot create the runtime\n");
            return 1;
        }
        for (size_t k = 0; k < 2; k++) {
            size_t msg = only_msg ? only_msg : sizes[k];
            if (only_msg && k == 1)
                break;
            run_case(&w, procs, msg, total, runs, &sums[n_sums]);
            all_ok = all_ok && sums[n_sums].ok == runs;
            n_sums++;
        }
        if (procs == 1)
            bw_destroy(&w); /* nothing of it is left when the two-process runs fork */
    }

    printf("\n| %-11s | %8s | %5s | %10s | %10s | %10s | %-23s |\n", "processes", "message",
           "runs", "median MB/s", "min MB/s", "max MB/s", "CPU (median, per process)");
    printf("|-------------|----------|-------|-------------|------------|------------|----------"
           "-----------------|\n");
    for (int i = 0; i < n_sums; i++) {
        summary *s = &sums[i];
        char cpu[64];
        if (s->procs == 1)
            snprintf(cpu, sizeof cpu, "%.0f%% (both ends)", s->cpu_a * 100);
        else
            snprintf(cpu, sizeof cpu, "sender %.0f%%, receiver %.0f%%", s->cpu_a * 100,
                     s->cpu_b * 100);
        printf("| %-11s | %5zu KiB | %2d/%-2d | %11.1f | %10.1f | %10.1f | %-25s |\n",
               s->procs == 1 ? "one" : "two (fork)", s->msg / 1024, s->ok, s->runs, s->mbps_med,
               s->mbps_min, s->mbps_max, cpu);
    }
    for (int i = 0; i < n_sums; i++) {
        if (sums[i].procs == 1 && sums[i].msg == 65536)
            printf("\ntarget: >= 200 MB/s with 64 KiB messages in one process: %s (%.1f MB/s)\n",
                   sums[i].ok && sums[i].mbps_med >= 200 ? "met" : "MISSED", sums[i].mbps_med);
    }
    free(pattern);
    return all_ok ? 0 : 1;
}
