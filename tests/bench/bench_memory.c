/*
 * bench_memory: resident memory per connected pair of PeerConnections with an open data
 * channel, both ends in one process over real UDP on 127.0.0.1.
 *
 * Method (docs/benchmarks.md): connect one warm-up pair (kept open) and let the loop idle
 * 300 ms, read VmRSS from /proc/self/status (the baseline); then connect pairs in batches
 * of 50 until 50 pairs (then 500) are open, idle 300 ms, read VmRSS again; per pair =
 * (after - baseline) / pairs, in KiB. The malloc heap in use (mallinfo2: uordblks +
 * hblkhd) is reported the same way, to tell the library's allocations from the rest
 * (mapped libraries, thread stacks, allocator slack). A pair is two PeerConnections, two
 * UDP sockets (their kernel buffers are not in VmRSS), one channel seen from both ends.
 *
 *   bench_memory [--pairs N[,N...]] [--quick]
 *     --pairs  cumulative counts to measure at (default 50,500)
 *     --quick  5 pairs (the ctest smoke run)
 */
#include "harness.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 50
#define MAX_COUNTS 16

static long heap_kib(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

int main(int argc, char **argv)
{
    size_t counts[MAX_COUNTS] = {50, 500};
    size_t n_counts = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            counts[0] = 5;
            n_counts = 1;
        } else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc) {
            n_counts = 0;
            for (char *s = argv[++i]; *s && n_counts < MAX_COUNTS;) {
                char *end;
                unsigned long v = strtoul(s, &end, 10);
                if (end == s || v == 0)
                    break;
                if (n_counts == 0 || v > counts[n_counts - 1])
                    counts[n_counts++] = v;
                s = *end == ',' ? end + 1 : end;
            }
            if (n_counts == 0) {
                fprintf(stderr, "bench_memory: bad --pairs\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--pairs N[,N...]] [--quick]\n", argv[0]);
            return 2;
        }
    }
    long nofile = bench_raise_nofile();
    bench_print_header(argc, argv, "bench_memory: VmRSS per connected pair with an open channel");
    size_t max = counts[n_counts - 1];
    if (nofile > 0 && (long)(2 * max + 64) > nofile) {
        fprintf(stderr, "bench_memory: %zu pairs need about %zu descriptors, the limit is %ld\n",
                max, 2 * max + 64, nofile);
        return 1;
    }

    bw w;
    if (bw_init(&w) != 0) {
        fprintf(stderr, "bench_memory: cannot create the runtime\n");
        return 1;
    }
    bend *ends = calloc(2 * (max + 1), sizeof *ends);
    int rc = 0;
    size_t open = 0;
    double per_pair[MAX_COUNTS];
    if (!bench_connect(&w, ends, 1, NULL, 10000)) {
        fprintf(stderr, "bench_memory: warm-up pair failed\n");
        rc = 1;
        goto out;
    }
    bw_idle(&w, 300);
    long rss0 = bench_rss_kib(), heap0 = heap_kib();
    printf("# baseline after one warm-up pair: VmRSS %ld KiB, malloc heap in use %ld KiB\n\n",
           rss0, heap0);
    printf("| %6s | %14s | %14s | %13s | %20s |\n", "pairs", "VmRSS KiB", "delta KiB",
           "KiB per pair", "heap KiB per pair");
    printf("|--------|----------------|----------------|---------------|----------------------|\n");
    for (size_t c = 0; c < n_counts; c++) {
        while (open < counts[c]) {
            size_t n = counts[c] - open < BATCH ? counts[c] - open : BATCH;
            if (!bench_connect(&w, ends + 2 * (1 + open), n, NULL, 30000)) {
                fprintf(stderr, "bench_memory: connecting pairs %zu..%zu failed%s\n", open + 1,
                        open + n, w.timed_out ? " (timeout)" : "");
                rc = 1;
                goto out;
            }
            open += n;
        }
        bw_idle(&w, 300);
        long rss = bench_rss_kib(), heap = heap_kib();
        double per = (double)(rss - rss0) / (double)open;
        double heap_per = (double)(heap - heap0) / (double)open;
        per_pair[c] = per;
        printf("| %6zu | %14ld | %14ld | %13.1f | %20.1f |\n", open, rss, rss - rss0, per,
               heap_per);
        fflush(stdout);
    }
    printf("\n");
    for (size_t c = 0; c < n_counts; c++)
        printf("target: <= 100 KiB per pair, at %zu pairs: %s (%.1f KiB)\n", counts[c],
               per_pair[c] <= 100 ? "met" : "MISSED", per_pair[c]);
out:
    bench_close(&w, ends, 2 * (open + 1));
    bw_destroy(&w);
    free(ends);
    return rc;
}
