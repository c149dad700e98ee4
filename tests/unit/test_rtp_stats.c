/* Tests of rtp/rtp_stats.c: NTP conversion (the RFC 3550 figure 2 date); an A.8 jitter
 * vector worked by hand in the RFC's integer form, constant delay giving zero, and the
 * packets that do not feed it (recovered, reordered, same timestamp); loss across the
 * sequence wrap; the fraction lost per reporting interval (A.3); duplicates making the
 * cumulative loss negative, and its 24-bit clamping both ways; A.1 large jumps and restarts;
 * LSR/DLSR as RFC 3550 6.4.1 defines them; the figure 2 RTT example through the NTP
 * arithmetic and the same RTT measured on the monotonic clock across a wall-clock step;
 * smoothing, LSR 0, negative RTTs and foreign report blocks; SR timestamp extrapolation
 * across the 32-bit wrap and the SR and W3C counters with retransmissions. */
#include "test.h"

#include "rtp/rtp_stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#define SSRC 0x12345678u

/* RFC 3550 figure 2: an SR sent at 10 Nov 1995 11:33:25.125 UTC, reported back with DLSR
 * 5.250 s and received at 46864.500 s (compact), gives an RTT of 6.125 s. */
#define FIG2_SR_NTP 0xb44db70520000000ull
#define FIG2_LSR 0xb7052000u
#define FIG2_DLSR 0x00054000u
#define FIG2_A_NTP 0xb44db71080000000ull
#define FIG2_UNIX_US 816003205125000ull

static void test_ntp(void)
{
    CHECK_U64(mrtc_ntp_from_unix_us(0), (uint64_t)2208988800u << 32);
    CHECK_U64(mrtc_ntp_from_unix_us(1500000), ((uint64_t)2208988801u << 32) | 0x80000000u);
    CHECK_U64(mrtc_ntp_from_unix_us(FIG2_UNIX_US), FIG2_SR_NTP);
    CHECK_U64(mrtc_ntp_compact(FIG2_SR_NTP), FIG2_LSR);
    CHECK_U64(mrtc_ntp_compact(FIG2_A_NTP), 0xb7108000u);
}

static void report(mrtc_rtp_recv_stats *s, mrtc_time now, mrtc_rtcp_report *rb)
{
    mrtc_rtp_recv_stats_report_block(s, now, rb);
    CHECK_U64(rb->ssrc, s->ssrc);
}

/* 8 kHz, 20 ms packets; arrival offsets 0, +1, 0, +2, 0 ms. Transit in timestamp units:
 * 0, 8, 0, 16, 0, so |D| = 8, 8, 16, 16 and, with J scaled by 16 (A.8 integer form
 * J += |D| - ((J + 8) >> 4)): 8, 15, 30, 44. The report carries 44 >> 4 = 2. */
static void test_jitter_vector(void)
{
    static const mrtc_time arrival_ms[] = {0, 21, 40, 62, 80};
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;
    mrtc_rtp_inbound_stats in;

    mrtc_rtp_recv_stats_init(&s, SSRC, 8000);
    for (uint16_t i = 0; i < 5; i++)
        mrtc_rtp_recv_stats_on_packet(&s, MRTC_SEC(100) + MRTC_MSEC(arrival_ms[i]),
                                      (uint16_t)(1000 + i), 0xfffffe00u + 160u * i, 160, false);
    CHECK_U64(s.jitter_q4, 44);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK(fabs(in.jitter - 44.0 / 16.0 / 8000.0) < 1e-12);

    /* None of these move it: a recovered packet with a wild arrival time, a duplicate of the
     * highest, a reordered one, and a later packet repeating the last sampled timestamp. */
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_SEC(200), 1005, 0xfffffe00u + 800u, 160, true);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_SEC(201), 1005, 0xfffffe00u + 800u, 160, false);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_SEC(202), 1003, 0xfffffe00u + 480u, 160, false);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_SEC(203), 1006, 0xfffffe00u + 640u, 160, false);
    CHECK_U64(s.jitter_q4, 44);
    report(&s, MRTC_SEC(204), &rb);
    CHECK_U64(rb.jitter, 2);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_U64(in.packets_received, 9);
    CHECK_U64(in.packets_recovered, 1);
    CHECK_U64(in.bytes_received, 9 * 160);

    /* Constant network delay, 90 kHz video with three packets per frame paced 1 ms apart:
     * only the first packet of a frame is sampled, so the jitter stays 0. */
    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    for (uint16_t i = 0; i < 90; i++) {
        uint16_t frame = i / 3;
        mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(37) + MRTC_MSEC(100) * frame + MRTC_MSEC(i % 3),
                                      (uint16_t)(65500 + i), 9000u * frame, 1000, false);
    }
    report(&s, MRTC_SEC(4), &rb);
    CHECK_U64(rb.jitter, 0);
    CHECK_EQ(rb.cumulative_lost, 0);
}

/* 65530..5 with 65533, 0 and 4 missing: 12 expected, 9 received. */
static void test_loss_across_wrap(void)
{
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;
    mrtc_rtp_inbound_stats in;

    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    for (uint32_t i = 65530; i <= 65536 + 5; i++) {
        uint16_t seq = (uint16_t)i;
        if (seq == 65533 || seq == 0 || seq == 4)
            continue;
        mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(i - 65530), seq, i * 90, 100, false);
    }
    report(&s, MRTC_SEC(1), &rb);
    CHECK_U64(rb.ext_highest_seq, 65536 + 5);
    CHECK_EQ(rb.cumulative_lost, 3);
    CHECK_EQ(rb.fraction_lost, 3 * 256 / 12);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_EQ(in.packets_lost, 3);
    CHECK_U64(in.packets_received, 9);
    CHECK_U64(in.ext_highest_seq, 65541);
}

static void feed(mrtc_rtp_recv_stats *s, uint16_t first, uint16_t last, uint16_t skip1,
                 uint16_t skip2)
{
    for (uint16_t seq = first;; seq++) {
        if (seq != skip1 && seq != skip2)
            mrtc_rtp_recv_stats_on_packet(s, MRTC_MSEC(seq), seq, seq * 960u, 50, false);
        if (seq == last)
            break;
    }
}

static void test_fraction_per_interval(void)
{
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;

    mrtc_rtp_recv_stats_init(&s, SSRC, 48000);
    feed(&s, 100, 109, 104, 104); /* 10 expected, 1 lost */
    report(&s, MRTC_SEC(1), &rb);
    CHECK_EQ(rb.fraction_lost, 25);
    CHECK_EQ(rb.cumulative_lost, 1);
    feed(&s, 110, 119, 0, 0); /* none lost in this interval */
    report(&s, MRTC_SEC(2), &rb);
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.cumulative_lost, 1);
    feed(&s, 120, 123, 121, 122); /* 4 expected, 2 lost */
    report(&s, MRTC_SEC(3), &rb);
    CHECK_EQ(rb.fraction_lost, 128);
    CHECK_EQ(rb.cumulative_lost, 3);
    report(&s, MRTC_SEC(4), &rb); /* nothing expected */
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.cumulative_lost, 3);
    CHECK_U64(rb.ext_highest_seq, 123);
    /* 121 arrives late: counted, so the loss shrinks; the interval shows no loss. */
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_SEC(4), 121, 121 * 960u, 50, false);
    report(&s, MRTC_SEC(5), &rb);
    CHECK_EQ(rb.fraction_lost, 0);
    CHECK_EQ(rb.cumulative_lost, 2);
    CHECK_U64(rb.ext_highest_seq, 123);
}

static void test_duplicates(void)
{
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;
    mrtc_rtp_inbound_stats in;

    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    feed(&s, 1, 10, 0, 0);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(11), 5, 5 * 960u, 50, false);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(12), 10, 10 * 960u, 50, false);
    report(&s, MRTC_SEC(1), &rb);
    CHECK_EQ(rb.cumulative_lost, -2);
    CHECK_EQ(rb.fraction_lost, 0);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_EQ(in.packets_lost, -2);
    CHECK_U64(in.packets_received, 12);
}

/* The report block field is 24-bit signed; the W3C figure is not clamped. */
static void test_cumulative_clamp(void)
{
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;
    mrtc_rtp_inbound_stats in;
    uint16_t seq = 0;

    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    for (int i = 0; i <= 3000; i++) {
        mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(i), seq, 0, 1, false);
        seq = (uint16_t)(seq + 2999); /* the largest step A.1 takes as in order */
    }
    report(&s, MRTC_SEC(10), &rb);
    CHECK_EQ(rb.cumulative_lost, 0x7FFFFF);
    CHECK_EQ(rb.fraction_lost, 255);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_EQ(in.packets_lost, 3000LL * 2998);

    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    for (int i = 0; i < 0x800000 + 10; i++)
        mrtc_rtp_recv_stats_on_packet(&s, 0, 7, 0, 1, false);
    report(&s, MRTC_SEC(10), &rb);
    CHECK_EQ(rb.cumulative_lost, -0x800000);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_EQ(in.packets_lost, 1 - (0x800000 + 10));
}

/* RFC 3550 A.1: a large jump is ignored once; a packet following it restarts the count. */
static void test_large_jump_and_restart(void)
{
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;
    mrtc_rtp_inbound_stats in;

    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    feed(&s, 100, 102, 0, 0);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(200), 40000, 0, 50, false); /* ignored */
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(201), 103, 0, 50, false);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(202), (uint16_t)(103 - 200), 0, 50, false);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(203), 103 - 50, 0, 50, false); /* reordered */
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_U64(in.packets_received, 5);
    CHECK_U64(in.ext_highest_seq, 103);
    CHECK_EQ(in.packets_lost, -1);
    CHECK_U64(in.restarts, 0);

    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(300), 50000, 0, 50, false);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(301), 50001, 0, 50, false);
    mrtc_rtp_recv_stats_get(&s, &in);
    CHECK_U64(in.restarts, 1);
    CHECK_U64(in.packets_received, 6);
    CHECK_U64(in.ext_highest_seq, 50001);
    CHECK_EQ(in.packets_lost, 0);
    mrtc_rtp_recv_stats_on_packet(&s, MRTC_MSEC(302), 50003, 0, 50, false);
    report(&s, MRTC_SEC(1), &rb);
    CHECK_EQ(rb.cumulative_lost, 1);
    CHECK_EQ(rb.fraction_lost, 256 / 3);
    CHECK_U64(rb.ext_highest_seq, 50003);
}

/* LSR: the middle 32 bits of the last SR's NTP time; DLSR: the delay since it arrived, in
 * 1/65536 s (RFC 3550 6.4.1); both 0 before an SR. */
static void test_lsr_dlsr(void)
{
    mrtc_rtp_recv_stats s;
    mrtc_rtcp_report rb;
    mrtc_rtcp_sr sr = {.ssrc = SSRC, .ntp = FIG2_SR_NTP, .rtp_ts = 1234};

    mrtc_rtp_recv_stats_init(&s, SSRC, 90000);
    CHECK(!mrtc_rtp_recv_stats_active(&s));
    report(&s, MRTC_SEC(5), &rb);
    CHECK_U64(rb.lsr, 0);
    CHECK_U64(rb.dlsr, 0);
    CHECK_U64(rb.ext_highest_seq, 0);
    feed(&s, 1, 3, 0, 0);
    CHECK(mrtc_rtp_recv_stats_active(&s));
    mrtc_rtp_recv_stats_on_sr(&s, MRTC_SEC(7), &sr);
    mrtc_rtcp_sr other = {.ssrc = SSRC + 1, .ntp = FIG2_A_NTP};
    mrtc_rtp_recv_stats_on_sr(&s, MRTC_SEC(8), &other); /* another source's: ignored */
    report(&s, MRTC_SEC(7) + MRTC_MSEC(5250), &rb);
    CHECK_U64(rb.lsr, FIG2_LSR);
    CHECK_U64(rb.dlsr, FIG2_DLSR);
    report(&s, MRTC_SEC(7) + 1, &rb);
    CHECK_U64(rb.dlsr, 0); /* 1 us is less than one unit */
    report(&s, MRTC_SEC(7) + 16, &rb);
    CHECK_U64(rb.dlsr, 1); /* 15.26 us per unit */
    report(&s, MRTC_SEC(7) + MRTC_SEC(70000), &rb);
    CHECK_U64(rb.dlsr, UINT32_MAX);
}

/* Figure 2 of RFC 3550 through the NTP arithmetic (the SR is not one of ours). */
static void test_rtt_rfc_example(void)
{
    mrtc_rtp_send_stats s;
    mrtc_rtp_outbound_stats out;
    mrtc_rtcp_report rb = {.ssrc = SSRC,
                           .fraction_lost = 64,
                           .cumulative_lost = 17,
                           .ext_highest_seq = 70000,
                           .jitter = 900,
                           .lsr = FIG2_LSR,
                           .dlsr = FIG2_DLSR};

    mrtc_rtp_send_stats_init(&s, SSRC, 90000);
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_SEC(50), FIG2_A_NTP, &rb), 1);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.rtt, MRTC_MSEC(6125));
    CHECK_U64(out.smoothed_rtt, MRTC_MSEC(6125));
    CHECK_U64(out.rtt_measurements, 1);
    CHECK_U64(out.report_blocks_received, 1);
    CHECK(fabs(out.fraction_lost - 0.25) < 1e-12);
    CHECK_EQ(out.packets_lost, 17);
    CHECK_U64(out.ext_highest_seq, 70000);
    CHECK(fabs(out.jitter - 0.01) < 1e-12);
}

/* Our own SR echoed back: the RTT comes from the monotonic clock even when the wall clock
 * stepped in between, and is smoothed 7/8 + 1/8. */
static void test_rtt_own_sr(void)
{
    mrtc_rtp_send_stats s;
    mrtc_rtp_outbound_stats out;
    mrtc_rtcp_sr sr;
    mrtc_rtcp_report rb = {.ssrc = SSRC};

    mrtc_rtp_send_stats_init(&s, SSRC, 90000);
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(10), FIG2_SR_NTP, &sr);
    CHECK_U64(sr.ntp, FIG2_SR_NTP);
    rb.lsr = mrtc_ntp_compact(sr.ntp);
    rb.dlsr = FIG2_DLSR;
    /* 5.25 s held by the peer plus 100 ms on the wire; the NTP clock jumped an hour. */
    uint64_t stepped = FIG2_SR_NTP + ((uint64_t)3600 << 32);
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_SEC(10) + MRTC_MSEC(5350), stepped, &rb),
             1);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.rtt, MRTC_MSEC(100));

    /* A second SR; a late report still echoes the first one: 10.5 s since it, 10 s held. */
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(20), FIG2_SR_NTP + ((uint64_t)10 << 32), &sr);
    rb.dlsr = 0x000A0000;
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_MSEC(20500), 0, &rb), 1);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.rtt, MRTC_MSEC(500));
    CHECK_U64(out.smoothed_rtt, MRTC_MSEC(150));
    CHECK_U64(out.rtt_measurements, 2);
}

static void test_rtt_edges(void)
{
    mrtc_rtp_send_stats s;
    mrtc_rtp_outbound_stats out;
    mrtc_rtcp_report rb = {.ssrc = SSRC, .fraction_lost = 3};

    mrtc_rtp_send_stats_init(&s, SSRC, 90000);
    /* LSR 0: no SR received yet by the peer, no sample, but the loss fields count. */
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_SEC(1), FIG2_A_NTP, &rb), 0);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.rtt_measurements, 0);
    CHECK_U64(out.report_blocks_received, 1);
    CHECK(fabs(out.fraction_lost - 3 / 256.0) < 1e-12);
    /* Another SSRC's block is ignored. */
    rb.ssrc = SSRC + 1;
    rb.lsr = FIG2_LSR;
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_SEC(1), FIG2_A_NTP, &rb), 0);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.report_blocks_received, 1);
    /* DLSR larger than the elapsed time: a negative RTT counts as 0. */
    rb.ssrc = SSRC;
    rb.dlsr = 0x00100000;
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_SEC(1), FIG2_A_NTP, &rb), 1);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.rtt, 0);
    mrtc_rtcp_sr sr;
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(2), FIG2_SR_NTP, &sr);
    rb.lsr = FIG2_LSR;
    rb.dlsr = FIG2_DLSR; /* 5.25 s, but only 1 s passed since our SR */
    CHECK_EQ(mrtc_rtp_send_stats_on_report_block(&s, MRTC_SEC(3), 0, &rb), 1);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.rtt, 0);

    mrtc_rtp_send_stats_on_nack(&s, 2);
    mrtc_rtp_send_stats_on_nack(&s, 1);
    mrtc_rtp_send_stats_on_pli(&s);
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.nack_count, 3);
    CHECK_U64(out.pli_count, 1);
}

/* SR RTP timestamp = last packet's + elapsed * clock rate, wrapping modulo 2^32; counts of
 * originals only, W3C totals with retransmissions. */
static void test_sr_extrapolation(void)
{
    mrtc_rtp_send_stats s;
    mrtc_rtp_outbound_stats out;
    mrtc_rtcp_sr sr;

    mrtc_rtp_send_stats_init(&s, SSRC, 90000);
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(1), FIG2_SR_NTP, &sr);
    CHECK_U64(sr.rtp_ts, 0);
    CHECK_U64(sr.packet_count, 0);

    mrtc_rtp_send_stats_on_packet(&s, MRTC_SEC(1), 0xffffff00u, 1000, false);
    mrtc_rtp_send_stats_on_packet(&s, MRTC_MSEC(1200), 0x1234, 500, true);
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_MSEC(1500), FIG2_SR_NTP, &sr);
    CHECK_U64(sr.ssrc, SSRC);
    CHECK_U64(sr.ntp, FIG2_SR_NTP);
    CHECK_U64(sr.rtp_ts, (uint32_t)(0xffffff00u + 45000u));
    CHECK_U64(sr.packet_count, 1);
    CHECK_U64(sr.octet_count, 1000);
    CHECK_EQ(sr.n_reports, 0);
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(1) + 12, FIG2_SR_NTP, &sr);
    CHECK_U64(sr.rtp_ts, 0xffffff01u); /* 12 us at 90 kHz: 1.08 units */
    mrtc_rtp_send_stats_get(&s, &out);
    CHECK_U64(out.packets_sent, 2);
    CHECK_U64(out.bytes_sent, 1500);
    CHECK_U64(out.retransmitted_packets_sent, 1);
    CHECK_U64(out.retransmitted_bytes_sent, 500);

    /* 48 kHz audio: 20 ms later is 960 ticks; hours of elapsed time do not overflow. */
    mrtc_rtp_send_stats_init(&s, SSRC, 48000);
    mrtc_rtp_send_stats_on_packet(&s, MRTC_SEC(3600) * 1000, 960, 80, false);
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(3600) * 1000 + MRTC_MSEC(20), 1, &sr);
    CHECK_U64(sr.rtp_ts, 1920);
    mrtc_rtp_send_stats_fill_sr(&s, MRTC_SEC(3600) * 1000 + MRTC_SEC(3600) * 24, 1, &sr);
    CHECK_U64(sr.rtp_ts, (uint32_t)(960u + 48000ull * 86400));
}

int main(void)
{
    RUN(test_ntp);
    RUN(test_jitter_vector);
    RUN(test_loss_across_wrap);
    RUN(test_fraction_per_interval);
    RUN(test_duplicates);
    RUN(test_cumulative_clamp);
    RUN(test_large_jump_and_restart);
    RUN(test_lsr_dlsr);
    RUN(test_rtt_rfc_example);
    RUN(test_rtt_own_sr);
    RUN(test_rtt_edges);
    RUN(test_sr_extrapolation);
    return test_finish();
}
