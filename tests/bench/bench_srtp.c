/*
 * bench_srtp: SRTP protect and unprotect throughput of rtp/srtp.c (libsrtp2) on one core,
 * for each suite, with 1200-byte RTP packets (12-byte header, 1188-byte payload).
 *
 * Method (docs/benchmarks.md): a client and a server session from the same keying
 * material, in this one thread. Packets go in batches of 1024 consecutive sequence numbers
 * (one SSRC): the batch is copied from a template (not timed), protected on the client
 * (timed), then unprotected on the server (timed), so protect and unprotect are each timed
 * alone over the same packets. "pairs/s" is packets / (protect time + unprotect time), the
 * rate of one core doing both ends. Every packet is checked to come back to its length. The
 * first batch is a warm-up, not counted. Clock: uv_hrtime (monotonic).
 *
 *   bench_srtp [--packets N] [--size BYTES] [--quick]
 *     --packets  packets per suite (default 1000000)
 *     --size     RTP packet size before protection (default 1200)
 *     --quick    10000 packets (the ctest smoke run)
 */
#include "harness.h"

#include "rtp/srtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1024
#define MAX_SIZE 1500

static uint8_t pkts[BATCH][MAX_SIZE + MRTC_SRTP_MAX_OVERHEAD];
static size_t lens[BATCH];

typedef struct result {
    double protect_s, unprotect_s;
    unsigned long packets;
} result;

static int run_suite(mrtc_srtp_suite suite, unsigned long n_packets, size_t size, result *r)
{
    uint8_t km[60], tmpl[MAX_SIZE];
    size_t km_len = mrtc_srtp_keying_material_len(suite);
    mrtc_srtp *c = NULL, *s = NULL;
    for (size_t i = 0; i < km_len; i++)
        km[i] = (uint8_t)(i * 31 + 7);
    if (mrtc_srtp_new(suite, km, km_len, true, &c) || mrtc_srtp_new(suite, km, km_len, false, &s)) {
        fprintf(stderr, "bench_srtp: mrtc_srtp_new failed\n");
        mrtc_srtp_free(c);
        return 1;
    }
    tmpl[0] = 0x80;
    tmpl[1] = 96;
    memset(tmpl + 4, 0, 4);
    tmpl[8] = 0x12, tmpl[9] = 0x34, tmpl[10] = 0x56, tmpl[11] = 0x78;
    for (size_t i = 12; i < size; i++)
        tmpl[i] = (uint8_t)(i * 11);

    memset(r, 0, sizeof *r);
    uint32_t seq = 0;
    int rc = 0;
    for (unsigned long done = 0, batch = 0; done < n_packets; batch++) {
        size_t n = BATCH;
        if (batch > 0 && n_packets - done < n)
            n = n_packets - done;
        for (size_t i = 0; i < n; i++, seq++) {
            memcpy(pkts[i], tmpl, size);
            pkts[i][2] = (uint8_t)(seq >> 8);
            pkts[i][3] = (uint8_t)seq;
            lens[i] = size;
        }
        uint64_t t0 = bench_now_ns();
        for (size_t i = 0; i < n; i++)
            rc |= mrtc_srtp_protect_rtp(c, pkts[i], &lens[i], sizeof pkts[i]);
        uint64_t t1 = bench_now_ns();
        for (size_t i = 0; i < n; i++)
            rc |= mrtc_srtp_unprotect_rtp(s, pkts[i], &lens[i]);
        uint64_t t2 = bench_now_ns();
        for (size_t i = 0; i < n; i++)
            rc |= lens[i] != size;
        if (rc) {
            fprintf(stderr, "bench_srtp: a packet did not round-trip\n");
            break;
        }
        if (batch == 0)
            continue; /* warm-up */
        r->protect_s += (double)(t1 - t0) / 1e9;
        r->unprotect_s += (double)(t2 - t1) / 1e9;
        r->packets += n;
        done += n;
    }
    mrtc_srtp_free(c);
    mrtc_srtp_free(s);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    unsigned long n_packets = 1000000;
    size_t size = 1200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            n_packets = 10000;
        } else if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc) {
            n_packets = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            size = (size_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--packets N] [--size BYTES] [--quick]\n", argv[0]);
            return 2;
        }
    }
    if (n_packets == 0 || size < 12 || size > MAX_SIZE) {
        fprintf(stderr, "bench_srtp: --packets must be > 0, --size within 12..%d\n", MAX_SIZE);
        return 2;
    }
    bench_print_header(argc, argv, "SRTP protect/unprotect, one core");
    printf("%lu packets of %zu bytes per suite, batches of %d, one thread\n\n", n_packets, size,
           BATCH);
    printf("%-20s %14s %14s %14s %12s\n", "suite", "protect/s", "unprotect/s", "pairs/s",
           "pairs MB/s");
    static const struct {
        mrtc_srtp_suite suite;
        const char *name;
    } suites[] = {{MRTC_SRTP_SUITE_AES128_CM_SHA1_80, "AES128_CM_SHA1_80"},
                  {MRTC_SRTP_SUITE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"}};
    int status = 0;
    for (size_t k = 0; k < sizeof suites / sizeof suites[0]; k++) {
        result r;
        double cpu0 = bench_cpu_s();
        if (run_suite(suites[k].suite, n_packets, size, &r)) {
            status = 1;
            continue;
        }
        double cpu = bench_cpu_s() - cpu0;
        double pairs = (double)r.packets / (r.protect_s + r.unprotect_s);
        printf("%-20s %14.0f %14.0f %14.0f %12.1f   (cpu %.2f s)\n", suites[k].name,
               (double)r.packets / r.protect_s, (double)r.packets / r.unprotect_s, pairs,
               pairs * (double)size / 1e6, cpu);
    }
    printf("\ntarget: >= 500000 pairs/s per core\n");
    return status;
}
