/*
 * RTP statistics for one SSRC (RFC 3550 sections 6.4, A.1, A.3 and A.8): on the receive
 * side, the sequence number bookkeeping, loss and interarrival jitter that fill the report
 * blocks of our SR/RR; on the send side, the counters and timestamp that fill our SR and what
 * the peer's report blocks tell us, including the round-trip time.
 *
 * Plain structs in caller storage (no allocation), sans-IO: every time is an mrtc_time
 * parameter. NTP times are 32.32 fixed point; the caller maps its monotonic clock to the
 * wall clock (mrtc_ntp_from_unix_us helps).
 */
#ifndef MRTC_RTP_RTP_STATS_H
#define MRTC_RTP_RTP_STATS_H

#include "core/util/time.h"
#include "rtp/rtcp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_NTP_UNIX_OFFSET 2208988800u /* seconds from 1900-01-01 to 1970-01-01 */

/* NTP 32.32 time of a Unix time in microseconds. */
uint64_t mrtc_ntp_from_unix_us(uint64_t us);

/* The middle 32 bits of an NTP time (RFC 3550 section 4, "compact" 16.16 format, as in LSR). */
uint32_t mrtc_ntp_compact(uint64_t ntp);

/* ---- Receive side: one per remote SSRC. Fields are private; read them with
 * mrtc_rtp_recv_stats_get. ---- */

typedef struct mrtc_rtp_recv_stats {
    uint32_t ssrc;
    uint32_t clock_rate;
    /* RFC 3550 A.1 */
    bool started;
    uint16_t max_seq;
    uint32_t cycles; /* shifted count of sequence number cycles */
    uint32_t base_seq;
    uint32_t bad_seq; /* RTP_SEQ_MOD + 1 when unset */
    uint64_t received;
    uint64_t expected_prior;
    uint64_t received_prior;
    /* RFC 3550 A.8 */
    bool have_transit;
    uint32_t transit;
    uint64_t jitter_q4; /* jitter in timestamp units, times 16 */
    uint32_t last_jitter_ts;
    /* Last SR from this source */
    bool have_sr;
    uint32_t lsr;
    mrtc_time sr_arrival;
    /* Totals that survive a sequence restart */
    uint64_t packets_total;
    uint64_t bytes_total;
    uint64_t recovered_total;
    uint64_t restarts;
    mrtc_time last_arrival;
} mrtc_rtp_recv_stats;

/* W3C inbound-rtp view of a mrtc_rtp_recv_stats. */
typedef struct mrtc_rtp_inbound_stats {
    uint32_t ssrc;
    uint64_t packets_received;  /* every accepted packet, RTX-recovered ones included */
    uint64_t packets_recovered; /* of which recovered through RTX */
    int64_t packets_lost;       /* expected - received since the last restart: negative with
                                   duplicates */
    uint64_t bytes_received;    /* payload bytes */
    double jitter;              /* seconds */
    uint32_t ext_highest_seq;   /* RFC 3550 A.1 cycles + max_seq */
    mrtc_time last_arrival;     /* 0 before the first packet */
    uint64_t restarts;          /* sequence restarts detected (A.1 large jumps) */
} mrtc_rtp_inbound_stats;

/* Starts statistics for the remote source ssrc whose RTP clock runs at clock_rate Hz
 * (> 0; 0 is taken as 90000). */
void mrtc_rtp_recv_stats_init(mrtc_rtp_recv_stats *s, uint32_t ssrc, uint32_t clock_rate);

/* Accounts one received media packet: its arrival time, sequence number, RTP timestamp and
 * payload size. Pass first arrivals of original packets only (not RTX copies); a packet
 * rebuilt from RTX is passed with recovered=true: it counts as received but not for jitter.
 * Sequence numbers are extended across wraps and validated as in RFC 3550 A.1 without
 * probation (the first packet is accepted, as browsers do): a jump of 3000 or more ahead
 * (or more than 100 behind) is ignored once, and taken as a sender restart when the next
 * packet follows it, which restarts loss counting. Jitter follows A.8 with arrival times in
 * timestamp units, from in-order packets whose timestamp differs from the previous one (the
 * packets of one video frame share a timestamp and are sent paced). */
void mrtc_rtp_recv_stats_on_packet(mrtc_rtp_recv_stats *s, mrtc_time now, uint16_t seq,
                                   uint32_t rtp_ts, size_t payload_bytes, bool recovered);

/* A received SR from this source (sr borrowed for the call): remembers its LSR (the middle
 * 32 bits of its NTP time) and its arrival time now. An SR from another SSRC is ignored. */
void mrtc_rtp_recv_stats_on_sr(mrtc_rtp_recv_stats *s, mrtc_time now, const mrtc_rtcp_sr *sr);

/* Fills out with a report block about this source for our SR/RR at time now (RFC 3550
 * 6.4.1): the fraction lost since the previous call (A.3, 0 when nothing was lost or
 * duplicates outnumber losses), the cumulative loss clamped to 24-bit signed, the extended
 * highest sequence number, the jitter (A.8), LSR and DLSR (the delay since that SR arrived,
 * in 1/65536 s; both 0 before any SR). Starts the next "since the last report" interval. */
void mrtc_rtp_recv_stats_report_block(mrtc_rtp_recv_stats *s, mrtc_time now, mrtc_rtcp_report *out);

/* True once a packet was accepted: a report block about this source is meaningful. */
bool mrtc_rtp_recv_stats_active(const mrtc_rtp_recv_stats *s);

/* Fills out with the inbound-rtp view. */
void mrtc_rtp_recv_stats_get(const mrtc_rtp_recv_stats *s, mrtc_rtp_inbound_stats *out);

/* ---- Send side: one per local SSRC. Fields are private; read them with
 * mrtc_rtp_send_stats_get. ---- */

#define MRTC_RTP_STATS_SR_HISTORY 8 /* SRs remembered to match the LSR of report blocks */

typedef struct mrtc_rtp_send_stats {
    uint32_t ssrc;
    uint32_t clock_rate;
    uint64_t packets, bytes; /* originals, for the SR sender info */
    uint64_t rtx_packets, rtx_bytes;
    bool have_sent;
    uint32_t last_rtp_ts;
    mrtc_time last_send_time;
    struct {
        uint32_t compact; /* 0: empty */
        mrtc_time sent_at;
    } srs[MRTC_RTP_STATS_SR_HISTORY];
    unsigned sr_next;
    /* From the peer's report blocks */
    uint64_t report_blocks;
    uint8_t fraction_lost;
    int32_t packets_lost;
    uint32_t ext_highest_seq;
    uint32_t jitter;
    uint64_t rtt_samples;
    mrtc_time rtt, srtt;
    uint64_t nacks, plis;
} mrtc_rtp_send_stats;

/* W3C outbound-rtp and remote-inbound-rtp view of a mrtc_rtp_send_stats. */
typedef struct mrtc_rtp_outbound_stats {
    uint32_t ssrc;
    uint64_t packets_sent; /* retransmissions included */
    uint64_t bytes_sent;   /* payload bytes, retransmissions included */
    uint64_t retransmitted_packets_sent;
    uint64_t retransmitted_bytes_sent;
    uint64_t nack_count;
    uint64_t pli_count;
    /* From the peer's report blocks (remote-inbound-rtp); zero before the first one. */
    uint64_t report_blocks_received;
    double fraction_lost; /* 0..1 */
    int32_t packets_lost;
    uint32_t ext_highest_seq;
    double jitter; /* seconds */
    uint64_t rtt_measurements;
    mrtc_time rtt;          /* last sample, 0 before the first */
    mrtc_time smoothed_rtt; /* 7/8 old + 1/8 sample, 0 before the first */
} mrtc_rtp_outbound_stats;

/* Starts statistics for our source ssrc with an RTP clock of clock_rate Hz (0: 90000). */
void mrtc_rtp_send_stats_init(mrtc_rtp_send_stats *s, uint32_t ssrc, uint32_t clock_rate);

/* Accounts one sent packet with its RTP timestamp and payload size at time now. A
 * retransmission (retransmit=true) counts in the W3C totals and as retransmitted, but not in
 * the SR counts (it travels on the RTX SSRC) and does not move the timestamp reference. */
void mrtc_rtp_send_stats_on_packet(mrtc_rtp_send_stats *s, mrtc_time now, uint32_t rtp_ts,
                                   size_t payload_bytes, bool retransmit);

/* Fills the sender part of an SR at time now (RFC 3550 6.4.1): the ssrc, NTP time
 * ntp_at_now (the caller's NTP 32.32 time for now), the RTP timestamp extrapolated from the
 * last sent packet (its timestamp + elapsed time * clock_rate; 0 before any packet), the
 * packet and octet counts (payload octets, modulo 2^32). n_reports is set to 0 for the caller
 * to append report blocks. Remembers the SR's compact NTP and now to measure the RTT when a
 * report block echoes it. */
void mrtc_rtp_send_stats_fill_sr(mrtc_rtp_send_stats *s, mrtc_time now, uint64_t ntp_at_now,
                                 mrtc_rtcp_sr *out);

/* A report block from the peer (in its SR or RR) received at time now, when our NTP time was
 * ntp_at_now. Ignored (returns 0) when rb->ssrc is not ours. Updates the remote fraction
 * lost, cumulative loss, highest sequence number and jitter, and when LSR is not 0 takes an
 * RTT sample: now - the send time of the SR with that LSR - DLSR when that SR is one of the
 * last MRTC_RTP_STATS_SR_HISTORY, else compact(ntp_at_now) - LSR - DLSR (RFC 3550 6.4.1);
 * negative results count as 0. Returns 1 when an RTT sample was taken, else 0. */
int mrtc_rtp_send_stats_on_report_block(mrtc_rtp_send_stats *s, mrtc_time now, uint64_t ntp_at_now,
                                        const mrtc_rtcp_report *rb);

/* Counts n NACK packets, or one PLI, received for this SSRC (W3C nackCount and pliCount
 * count feedback packets, not the sequence numbers a NACK lists). */
void mrtc_rtp_send_stats_on_nack(mrtc_rtp_send_stats *s, uint32_t n);
void mrtc_rtp_send_stats_on_pli(mrtc_rtp_send_stats *s);

/* Fills out with the outbound-rtp / remote-inbound-rtp view. */
void mrtc_rtp_send_stats_get(const mrtc_rtp_send_stats *s, mrtc_rtp_outbound_stats *out);

#endif
