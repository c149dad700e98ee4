/*
 * RTP statistics for one SSRC after RFC 3550: sequence number extension and validation
 * (appendix A.1), expected and lost packets and the fraction lost per reporting interval
 * (A.3), interarrival jitter (A.8, the integer form scaled by 16), the report block and
 * sender info fields of section 6.4.1, and the round-trip time from the LSR and DLSR fields
 * a peer echoes (6.4.1, figure 2).
 *
 * Deviations, on purpose: no probation (A.1's MIN_SEQUENTIAL): the first packet of a source
 * is accepted, as browsers do, since SRTP already authenticated it; jitter is sampled only
 * from in-order packets with a new timestamp (packets of one video frame share one and are
 * paced, which says nothing about the network); the RTT is measured on the monotonic clock
 * when the echoed LSR is one of our recent SRs, and only falls back to the NTP arithmetic of
 * 6.4.1 otherwise, so wall-clock steps between SR and report do not distort it.
 *
 * Deliberately not done here: building or parsing RTCP (rtp/rtcp.c), scheduling reports
 * (RFC 3550 6.2 intervals: the owner decides), and anything about RTX SSRCs themselves.
 */
#include "rtp/rtp_stats.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u
#define USEC_PER_SEC 1000000u
#define LOST_MAX 0x7FFFFF
#define LOST_MIN (-0x800000)

uint64_t mrtc_ntp_from_unix_us(uint64_t us)
{
    uint64_t sec = us / USEC_PER_SEC + MRTC_NTP_UNIX_OFFSET;
    uint64_t frac = ((us % USEC_PER_SEC) << 32) / USEC_PER_SEC;
    return sec << 32 | frac;
}

uint32_t mrtc_ntp_compact(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

/* A duration in microseconds in units of a clock_rate Hz clock, without overflow. */
static uint64_t us_to_units(uint64_t us, uint32_t rate)
{
    return us / USEC_PER_SEC * rate + us % USEC_PER_SEC * rate / USEC_PER_SEC;
}

/* 1/65536 s units (DLSR, compact NTP differences) to microseconds. */
static mrtc_time compact_to_us(uint32_t v)
{
    return (mrtc_time)v * USEC_PER_SEC / 65536u;
}

/* Microseconds to 1/65536 s units, saturating at the 32-bit field. */
static uint32_t us_to_compact(mrtc_time us)
{
    if (us >= (mrtc_time)65536u * USEC_PER_SEC)
        return UINT32_MAX;
    return (uint32_t)(us * 65536u / USEC_PER_SEC);
}

/* ---- Receive side ---- */

void mrtc_rtp_recv_stats_init(mrtc_rtp_recv_stats *s, uint32_t ssrc, uint32_t clock_rate)
{
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    s->clock_rate = clock_rate ? clock_rate : 90000;
    s->bad_seq = RTP_SEQ_MOD + 1;
}

/* RFC 3550 A.1 init_seq: restarts loss counting at seq. */
static void init_seq(mrtc_rtp_recv_stats *s, uint16_t seq)
{
    s->started = true;
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_SEQ_MOD + 1;
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
    s->have_transit = false;
}

/* RFC 3550 A.8 with the arrival time in timestamp units. */
static void update_jitter(mrtc_rtp_recv_stats *s, mrtc_time now, uint32_t rtp_ts)
{
    uint32_t arrival = (uint32_t)us_to_units(now, s->clock_rate);
    uint32_t transit = arrival - rtp_ts;

    if (s->have_transit && rtp_ts == s->last_jitter_ts)
        return;
    if (s->have_transit) {
        uint32_t d = transit - s->transit;
        if (d > 0x80000000u)
            d = 0u - d; /* |D| modulo 2^32 */
        /* J += (|D| - J) / 16, in the integer form scaled by 16; never underflows since
         * (J + 8) >> 4 <= J. */
        s->jitter_q4 = s->jitter_q4 + d - ((s->jitter_q4 + 8) >> 4);
    }
    s->have_transit = true;
    s->transit = transit;
    s->last_jitter_ts = rtp_ts;
}

void mrtc_rtp_recv_stats_on_packet(mrtc_rtp_recv_stats *s, mrtc_time now, uint16_t seq,
                                   uint32_t rtp_ts, size_t payload_bytes, bool recovered)
{
    bool in_order = true;

    if (!s->started) {
        init_seq(s, seq);
    } else {
        uint16_t udelta = (uint16_t)(seq - s->max_seq);
        if (udelta == 0) {
            in_order = false; /* a duplicate of the highest */
        } else if (udelta < MAX_DROPOUT) {
            if (seq < s->max_seq)
                s->cycles += RTP_SEQ_MOD;
            s->max_seq = seq;
        } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
            if (seq != s->bad_seq) {
                s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
                return; /* a very large jump: ignored unless the next packet follows it */
            }
            init_seq(s, seq); /* two sequential packets: the sender restarted */
            s->restarts++;
        } else {
            in_order = false; /* reordered or duplicate */
        }
    }
    s->received++;
    s->packets_total++;
    s->bytes_total += payload_bytes;
    s->last_arrival = now;
    if (recovered)
        s->recovered_total++;
    else if (in_order)
        update_jitter(s, now, rtp_ts);
}

void mrtc_rtp_recv_stats_on_sr(mrtc_rtp_recv_stats *s, mrtc_time now, const mrtc_rtcp_sr *sr)
{
    if (sr->ssrc != s->ssrc)
        return;
    s->have_sr = true;
    s->lsr = mrtc_ntp_compact(sr->ntp);
    s->sr_arrival = now;
}

static uint32_t ext_highest(const mrtc_rtp_recv_stats *s)
{
    return s->cycles + s->max_seq;
}

static int64_t expected(const mrtc_rtp_recv_stats *s)
{
    return (int64_t)s->cycles + s->max_seq - s->base_seq + 1;
}

void mrtc_rtp_recv_stats_report_block(mrtc_rtp_recv_stats *s, mrtc_time now, mrtc_rtcp_report *out)
{
    memset(out, 0, sizeof *out);
    out->ssrc = s->ssrc;
    if (s->have_sr) {
        out->lsr = s->lsr;
        out->dlsr = us_to_compact(now > s->sr_arrival ? now - s->sr_arrival : 0);
    }
    if (!s->started)
        return;

    int64_t exp = expected(s);
    int64_t lost = exp - (int64_t)s->received;
    out->cumulative_lost = (int32_t)(lost > LOST_MAX   ? LOST_MAX
                                     : lost < LOST_MIN ? LOST_MIN
                                                       : lost);
    out->ext_highest_seq = ext_highest(s);
    out->jitter = (uint32_t)(s->jitter_q4 >> 4);

    int64_t expected_interval = exp - (int64_t)s->expected_prior;
    int64_t received_interval = (int64_t)(s->received - s->received_prior);
    int64_t lost_interval = expected_interval - received_interval;
    s->expected_prior = (uint64_t)exp;
    s->received_prior = s->received;
    if (expected_interval > 0 && lost_interval > 0) {
        int64_t f = (lost_interval << 8) / expected_interval;
        out->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
    }
}

bool mrtc_rtp_recv_stats_active(const mrtc_rtp_recv_stats *s)
{
    return s->started;
}

void mrtc_rtp_recv_stats_get(const mrtc_rtp_recv_stats *s, mrtc_rtp_inbound_stats *out)
{
    memset(out, 0, sizeof *out);
    out->ssrc = s->ssrc;
    out->packets_received = s->packets_total;
    out->packets_recovered = s->recovered_total;
    out->bytes_received = s->bytes_total;
    out->last_arrival = s->last_arrival;
    out->restarts = s->restarts;
    if (!s->started)
        return;
    out->packets_lost = expected(s) - (int64_t)s->received;
    out->jitter = (double)s->jitter_q4 / 16.0 / (double)s->clock_rate;
    out->ext_highest_seq = ext_highest(s);
}

/* ---- Send side ---- */

void mrtc_rtp_send_stats_init(mrtc_rtp_send_stats *s, uint32_t ssrc, uint32_t clock_rate)
{
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    s->clock_rate = clock_rate ? clock_rate : 90000;
}

void mrtc_rtp_send_stats_on_packet(mrtc_rtp_send_stats *s, mrtc_time now, uint32_t rtp_ts,
                                   size_t payload_bytes, bool retransmit)
{
    if (retransmit) {
        s->rtx_packets++;
        s->rtx_bytes += payload_bytes;
        return;
    }
    s->packets++;
    s->bytes += payload_bytes;
    s->have_sent = true;
    s->last_rtp_ts = rtp_ts;
    s->last_send_time = now;
}

void mrtc_rtp_send_stats_fill_sr(mrtc_rtp_send_stats *s, mrtc_time now, uint64_t ntp_at_now,
                                 mrtc_rtcp_sr *out)
{
    memset(out, 0, sizeof *out);
    out->ssrc = s->ssrc;
    out->ntp = ntp_at_now;
    if (s->have_sent) {
        mrtc_time elapsed = now > s->last_send_time ? now - s->last_send_time : 0;
        out->rtp_ts = s->last_rtp_ts + (uint32_t)us_to_units(elapsed, s->clock_rate);
    }
    out->packet_count = (uint32_t)s->packets;
    out->octet_count = (uint32_t)s->bytes;
    out->n_reports = 0;

    uint32_t compact = mrtc_ntp_compact(ntp_at_now);
    if (compact != 0) { /* LSR 0 means "no SR": such an SR can never be matched */
        s->srs[s->sr_next].compact = compact;
        s->srs[s->sr_next].sent_at = now;
        s->sr_next = (s->sr_next + 1) % MRTC_RTP_STATS_SR_HISTORY;
    }
}

/* The RTT from a report block echoing lsr with delay dlsr. */
static mrtc_time rtt_sample(const mrtc_rtp_send_stats *s, mrtc_time now, uint64_t ntp_at_now,
                            uint32_t lsr, uint32_t dlsr)
{
    for (unsigned i = 0; i < MRTC_RTP_STATS_SR_HISTORY; i++) {
        unsigned k = (s->sr_next + MRTC_RTP_STATS_SR_HISTORY - 1 - i) % MRTC_RTP_STATS_SR_HISTORY;
        if (s->srs[k].compact != lsr)
            continue;
        mrtc_time elapsed = now > s->srs[k].sent_at ? now - s->srs[k].sent_at : 0;
        mrtc_time delay = compact_to_us(dlsr);
        return elapsed > delay ? elapsed - delay : 0;
    }
    int32_t rtt = (int32_t)(mrtc_ntp_compact(ntp_at_now) - lsr - dlsr);
    return rtt > 0 ? compact_to_us((uint32_t)rtt) : 0;
}

int mrtc_rtp_send_stats_on_report_block(mrtc_rtp_send_stats *s, mrtc_time now, uint64_t ntp_at_now,
                                        const mrtc_rtcp_report *rb)
{
    if (rb->ssrc != s->ssrc)
        return 0;
    s->report_blocks++;
    s->fraction_lost = rb->fraction_lost;
    s->packets_lost = rb->cumulative_lost;
    s->ext_highest_seq = rb->ext_highest_seq;
    s->jitter = rb->jitter;
    if (rb->lsr == 0)
        return 0;
    mrtc_time rtt = rtt_sample(s, now, ntp_at_now, rb->lsr, rb->dlsr);
    s->rtt = rtt;
    s->srtt = s->rtt_samples == 0 ? rtt : (7 * s->srtt + rtt) / 8;
    s->rtt_samples++;
    return 1;
}

void mrtc_rtp_send_stats_on_nack(mrtc_rtp_send_stats *s, uint32_t n)
{
    s->nacks += n;
}

void mrtc_rtp_send_stats_on_pli(mrtc_rtp_send_stats *s)
{
    s->plis++;
}

void mrtc_rtp_send_stats_get(const mrtc_rtp_send_stats *s, mrtc_rtp_outbound_stats *out)
{
    memset(out, 0, sizeof *out);
    out->ssrc = s->ssrc;
    out->packets_sent = s->packets + s->rtx_packets;
    out->bytes_sent = s->bytes + s->rtx_bytes;
    out->retransmitted_packets_sent = s->rtx_packets;
    out->retransmitted_bytes_sent = s->rtx_bytes;
    out->nack_count = s->nacks;
    out->pli_count = s->plis;
    out->report_blocks_received = s->report_blocks;
    out->fraction_lost = s->fraction_lost / 256.0;
    out->packets_lost = s->packets_lost;
    out->ext_highest_seq = s->ext_highest_seq;
    out->jitter = (double)s->jitter / (double)s->clock_rate;
    out->rtt_measurements = s->rtt_samples;
    out->rtt = s->rtt;
    out->smoothed_rtt = s->srtt;
}
