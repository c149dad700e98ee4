/*
 * The Opus RTP payload format (RFC 7587): one Opus packet per RTP packet, the RTP clock at
 * 48 kHz whatever the coded bandwidth, and the marker bit on the first packet of a
 * talkspurt. Plus a validator of Opus packets (RFC 6716 section 3) that returns their
 * duration, so a receiver can refuse garbage and advance its clock. Pure functions and a
 * tiny caller-owned packetizer state: no allocation, no I/O.
 */
#ifndef MRTC_RTP_OPUS_H
#define MRTC_RTP_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_OPUS_CLOCK_RATE 48000     /* RFC 7587 section 4.1: always 48 kHz */
#define MRTC_OPUS_MAX_FRAME_BYTES 1275 /* RFC 6716 section 3.2.1 */
#define MRTC_OPUS_MAX_SAMPLES 5760     /* 120 ms at 48 kHz, RFC 6716 section 3.2.5 */

/* Duration of one frame of the TOC byte's configuration (RFC 6716 section 3.1, table 2) in
 * 48 kHz samples: 120, 240, 480, 960, 1920 or 2880. Every TOC byte is valid. */
int mrtc_opus_toc_frame_samples(uint8_t toc);

/* Number of frames in an Opus packet (1..48), after checking the framing rules R1..R7 of
 * RFC 6716 section 3.4: non-empty; code 1 with an odd payload; code 2 or 3 frame lengths
 * or padding past the end; frames longer than 1275 bytes; a code 3 packet with zero frames,
 * more than 120 ms of audio, or a CBR payload that does not divide into equal frames. Any
 * violation is MRTC_EPROTO; MRTC_EINVAL on NULL data. */
int mrtc_opus_packet_frames(const uint8_t *data, size_t len);

/* Duration of an Opus packet in 48 kHz samples (frames x frame duration, 120..5760), or
 * MRTC_EPROTO / MRTC_EINVAL as mrtc_opus_packet_frames. This is the receiver side of
 * RFC 7587: the RTP payload is the Opus packet as is. */
int mrtc_opus_packet_samples(const uint8_t *data, size_t len);

/* Sender state: the next RTP timestamp and whether the next packet starts a talkspurt.
 * Fields are private; use the functions. */
typedef struct mrtc_opus_packetizer {
    uint32_t next_ts;
    bool talkspurt; /* next packet starts a talkspurt: set initially and after DTX */
} mrtc_opus_packetizer;

/* Starts a stream at RTP timestamp first_ts (random per RFC 3550, chosen by the caller). */
void mrtc_opus_packetizer_init(mrtc_opus_packetizer *p, uint32_t first_ts);

/* Describes the RTP packet carrying one encoded Opus packet (data, len; borrowed for the
 * call; the RTP payload is those bytes unchanged): *ts gets its timestamp and *marker the
 * M bit (RFC 7587 section 4.1: set on the first packet of a talkspurt, i.e. the first
 * packet of the stream and the first non-DTX packet after DTX packets of at most 2 bytes).
 * The timestamp then advances by the packet's duration. Returns that duration in samples,
 * or MRTC_EPROTO for a malformed Opus packet (state unchanged), MRTC_EINVAL on NULL. */
int mrtc_opus_packetize(mrtc_opus_packetizer *p, const uint8_t *data, size_t len, uint32_t *ts,
                        bool *marker);

/* Advances the timestamp by samples that were not sent (the encoder skipped them, e.g. in
 * DTX without packets, RFC 7587 section 4.1): the next packet starts a talkspurt. */
void mrtc_opus_packetizer_skip(mrtc_opus_packetizer *p, uint32_t samples);

#endif
