/*
 * An adaptive jitter buffer for Opus audio (RFC 7587: timestamps in 48 kHz units whatever
 * the coded bandwidth). The network side pushes received packets; the playout side pops
 * one piece of audio each time its output runs low and is told what to do with it: decode a
 * packet, decode the next packet's in-band FEC for a lost one, conceal a loss, or play
 * silence while buffering. Sans-IO: the time is a parameter of every call.
 *
 * The target delay follows the measured arrival jitter: the 99th percentile, over the last
 * 500 packets, of each packet's transit time (arrival time minus RTP timestamp) above the
 * smallest one, plus one frame, clamped to [min_delay_ms, max_delay_ms]. The playout delay
 * moves toward it without stretching audio: a missing packet is waited for (concealed, not
 * yet given up) while the delay is below the target, and a packet is dropped when the delay
 * exceeds the target by more than a frame and a half.
 */
#ifndef MRTC_RTP_JITTER_AUDIO_H
#define MRTC_RTP_JITTER_AUDIO_H

#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_JITTER_AUDIO_MAX_PAYLOAD 8192 /* bytes of one packet accepted at most */

typedef struct mrtc_jitter_audio mrtc_jitter_audio;

typedef struct mrtc_jitter_audio_config {
    unsigned min_delay_ms; /* lower bound of the target delay (default 20) */
    unsigned max_delay_ms; /* upper bound of the target and of the buffered audio (400) */
    size_t max_packets;    /* packets held at most (100) */
} mrtc_jitter_audio_config;

/* Fills cfg with the defaults above. */
void mrtc_jitter_audio_config_init(mrtc_jitter_audio_config *cfg);

/* Creates a buffer (cfg NULL: defaults). *out is owned by the caller
 * (mrtc_jitter_audio_free). Returns 0, MRTC_EINVAL (out NULL, min_delay_ms > max_delay_ms,
 * max_delay_ms above 10000, max_packets outside 2..10000) or MRTC_ENOMEM. */
int mrtc_jitter_audio_new(const mrtc_jitter_audio_config *cfg, mrtc_jitter_audio **out);

/* Frees the buffer and the packets it holds; accepts NULL. */
void mrtc_jitter_audio_free(mrtc_jitter_audio *jb);

/* A received packet (after SRTP, RTX unwrapped) arriving at now: seq and ts from its RTP
 * header, the Opus packet in payload (len bytes, borrowed for the call and copied), and
 * samples its duration in 48 kHz samples (the caller gets it from mrtc_opus_packet_samples,
 * normally 960). Duplicates, packets whose slot was already played or concealed ("late"),
 * and packets over the max_packets or max_delay_ms bounds are dropped and counted. A packet
 * more than 3000 sequence numbers away from the playout position is taken as a sender
 * restart: the buffer starts over from it. Returns 0, MRTC_EINVAL (NULL jb or payload, len
 * 0 or above MRTC_JITTER_AUDIO_MAX_PAYLOAD, samples 0 or above 5760) or MRTC_ENOMEM. */
int mrtc_jitter_audio_push(mrtc_jitter_audio *jb, mrtc_time now, uint16_t seq, uint32_t ts,
                           const uint8_t *payload, size_t len, unsigned samples);

typedef enum mrtc_jitter_audio_action {
    /* Nothing to play (buffering before the first packet, after a long silence, or in a DTX
     * pause): play `samples` of silence without counting it as concealment. */
    MRTC_JITTER_AUDIO_WAIT = 0,
    /* Decode payload: `samples` of audio. */
    MRTC_JITTER_AUDIO_DECODE,
    /* The packet for this slot is lost but the next one is here: decode the FEC data of
     * payload (the NEXT packet, which is decoded normally afterwards) for `samples`, the
     * lost duration. */
    MRTC_JITTER_AUDIO_FEC,
    /* The packet for this slot is missing (lost, or late while the delay grows): conceal
     * `samples`. */
    MRTC_JITTER_AUDIO_CONCEAL,
} mrtc_jitter_audio_action;

typedef struct mrtc_jitter_audio_out {
    mrtc_jitter_audio_action action;
    const uint8_t *payload; /* DECODE and FEC; owned by jb, valid until the next call on jb */
    size_t len;
    unsigned samples; /* duration of this piece in 48 kHz samples */
    uint32_t ts;      /* RTP timestamp of its first sample */
} mrtc_jitter_audio_out;

/* The next piece of audio for the playout side, which asks each time its output runs low
 * (normally every 20 ms of played audio). Fills *out; returns 0, or MRTC_EINVAL on NULL
 * arguments. */
int mrtc_jitter_audio_pop(mrtc_jitter_audio *jb, mrtc_time now, mrtc_jitter_audio_out *out);

typedef struct mrtc_jitter_audio_stats {
    uint64_t packets_received;   /* valid pushes, duplicates and late ones included */
    uint64_t packets_duplicated; /* a copy of a packet held or already played */
    uint64_t packets_late;       /* arrived after its slot was played over */
    uint64_t packets_discarded;  /* dropped to respect max_packets/max_delay or the target */
    uint64_t packets_lost;       /* slots given up without their packet */
    uint64_t fec_recovered;      /* lost slots played from the next packet's FEC */
    uint64_t concealed_frames;   /* CONCEAL actions */
    uint64_t concealed_samples;
    unsigned target_delay_ms;  /* the adaptive target */
    unsigned current_delay_ms; /* playout delay relative to the fastest recent packet */
    double jitter_ms;          /* RFC 3550 section 6.4.1 interarrival jitter, in ms */
} mrtc_jitter_audio_stats;

/* Copies the counters and current figures into *out (zeroed for a NULL jb). */
void mrtc_jitter_audio_get_stats(const mrtc_jitter_audio *jb, mrtc_jitter_audio_stats *out);

#endif
