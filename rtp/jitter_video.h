/*
 * The video jitter buffer for VP8 over RTP (RFC 7741): it stores received packets, asks
 * for the missing ones (generic NACK, RFC 4585 section 6.2.1, through rtp/nack.h), puts
 * frames together and hands them out in order once they can be decoded, and asks for a key
 * frame (PLI, RFC 4585 section 6.3.1) when the chain of references is broken. Sans-IO: the
 * time is a parameter; the owner sends the NACK and PLI feedback it is told to send and
 * wakes the buffer at mrtc_jitter_video_next_timeout.
 *
 * A frame is decodable when it is a key frame, or a delta frame that directly follows the
 * last delivered frame with nothing missing in between, or (with temporal layers, RFC 7741
 * section 4.2 TL0PICIDX/TID/Y) a TL0 frame whose TL0PICIDX is one more than the last
 * delivered TL0 frame's, or a layer-sync frame of the last delivered TL0 frame's group.
 * While an earlier frame is incomplete, later frames wait for NACK to recover it for at
 * most min(max(4 * rtt, 100 ms), 400 ms), long enough for the answers to three NACKs of
 * rtp/nack.h; then it is given up: frames up to the next key frame are dropped and a key
 * frame is requested.
 *
 * Memory is bounded: MRTC_JITTER_VIDEO_MAX_PACKETS packets spanning at most that many
 * sequence numbers, MRTC_JITTER_VIDEO_MAX_BYTES payload bytes in all, and frames of at most
 * MRTC_VP8_DEFAULT_MAX_FRAME bytes; older packets are evicted first.
 */
#ifndef MRTC_RTP_JITTER_VIDEO_H
#define MRTC_RTP_JITTER_VIDEO_H

#include "core/util/time.h"
#include "rtp/vp8.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_JITTER_VIDEO_MAX_PACKETS 1024                 /* and sequence number span */
#define MRTC_JITTER_VIDEO_MAX_BYTES (4 * 1024 * 1024)      /* payload bytes held */
#define MRTC_JITTER_VIDEO_MIN_WAIT MRTC_MSEC(100)          /* wait for a loss: 4 * rtt within */
#define MRTC_JITTER_VIDEO_MAX_WAIT MRTC_MSEC(400)          /* these bounds */
#define MRTC_JITTER_VIDEO_KEYFRAME_INTERVAL MRTC_MSEC(300) /* PLI repeat: max(this, 1.5 rtt) */

typedef struct mrtc_jitter_video mrtc_jitter_video;

/* Creates an empty buffer with an RTT of 100 ms until set. *out is owned by the caller
 * (mrtc_jitter_video_free). Returns 0, MRTC_EINVAL (out NULL) or MRTC_ENOMEM. */
int mrtc_jitter_video_new(mrtc_jitter_video **out);

/* Frees the buffer, its packets and its NACK scheduler; accepts NULL. */
void mrtc_jitter_video_free(mrtc_jitter_video *jb);

/* A received VP8 RTP packet (after SRTP; RTX unwrapped, with recovered = true): its
 * sequence number, timestamp and marker bit, and its payload starting with the RFC 7741
 * descriptor (borrowed for the call, copied). Duplicates and packets of frames already
 * delivered or given up are ignored. Call mrtc_jitter_video_poll_frame afterwards. Returns
 * 0, MRTC_EPROTO (malformed descriptor: dropped and counted; its sequence number still
 * counts as received for NACK), MRTC_ENOMEM, or MRTC_EINVAL on NULL arguments. */
int mrtc_jitter_video_push(mrtc_jitter_video *jb, mrtc_time now, uint16_t seq, uint32_t ts,
                           bool marker, const uint8_t *payload, size_t len, bool recovered);

/* The next frame ready to decode, in order (see the top of this file). Fills *out and
 * returns true; the frame data is owned by jb and valid until the next call on jb. out's
 * `continuous` is false when packets before the frame were lost (it is decodable all the
 * same). Also gives up on losses whose wait is over. Returns false when no frame is ready
 * (or on NULL arguments). */
bool mrtc_jitter_video_poll_frame(mrtc_jitter_video *jb, mrtc_time now, mrtc_vp8_frame *out);

/* Sequence numbers to NACK now, from the buffer's mrtc_nack (rtp/nack.h): up to cap
 * written to out, returns how many. */
size_t mrtc_jitter_video_poll_nack(mrtc_jitter_video *jb, mrtc_time now, uint16_t *out, size_t cap);

/* True (once) when a key frame request should go out now: after a loss was given up
 * without a key frame behind it, after mrtc_jitter_video_decode_failed, when the stream
 * starts with a delta frame, after a sequence number jump. Repeated every
 * max(MRTC_JITTER_VIDEO_KEYFRAME_INTERVAL, 1.5 * rtt) until a key frame is delivered. */
bool mrtc_jitter_video_poll_keyframe_request(mrtc_jitter_video *jb, mrtc_time now);

/* The decoder refused the last frame: delta frames are dropped and a key frame requested
 * until a key frame is delivered. */
void mrtc_jitter_video_decode_failed(mrtc_jitter_video *jb);

/* Sets the round-trip time (0: back to the 100 ms default); it scales the loss wait, the
 * NACK retries and the key frame request interval. */
void mrtc_jitter_video_set_rtt(mrtc_jitter_video *jb, mrtc_time rtt);

/* When the buffer next wants to be polled (a NACK due, a loss wait ending, a key frame
 * request due), or MRTC_TIME_NEVER. After a push, or a poll_frame that returned a frame, it
 * is that call's time until mrtc_jitter_video_poll_frame returns false. */
mrtc_time mrtc_jitter_video_next_timeout(const mrtc_jitter_video *jb);

typedef struct mrtc_jitter_video_stats {
    uint64_t packets;           /* valid packets received (duplicates included) */
    uint64_t packets_recovered; /* of which came by RTX */
    uint64_t packets_malformed; /* refused with MRTC_EPROTO */
    uint64_t frames_received;   /* frames that completed (delivered or dropped) */
    uint64_t frames_delivered;  /* handed out by poll_frame */
    uint64_t frames_dropped;    /* complete or partial frames thrown away */
    uint64_t keyframes_delivered;
    uint64_t nacks_sent;        /* sequence numbers returned by poll_nack */
    uint64_t keyframe_requests; /* true returns of poll_keyframe_request */
} mrtc_jitter_video_stats;

/* Copies the counters into *out (zeroed for a NULL jb). */
void mrtc_jitter_video_get_stats(const mrtc_jitter_video *jb, mrtc_jitter_video_stats *out);

#endif
