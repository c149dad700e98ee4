/*
 * meshrtc-call media: the process's local tracks, the sinks for remote tracks, the stats lines
 * and the report's "tracks" (docs/call.md, "Media").
 *
 * media.c wires the library to the call (tracks, sinks, the stats timer); media_stats.c holds
 * the parts without I/O (the stats line, the report entries), a library of its own so that
 * tests/apps can check them without a call.
 */
#ifndef MESHRTC_APP_CALL_MEDIA_H
#define MESHRTC_APP_CALL_MEDIA_H

#include "apps/call/report.h"

#include <meshrtc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct call call;
typedef struct call_peer call_peer;

/* ---- media.c ---- */

/* The period of the stats lines. */
#define CALL_STATS_PERIOD_MS 5000

/* Creates the local tracks (--audio, --video) and the speaker (--play) on c->rt, before
 * joining, and starts the --video-after timer (video is off until it fires). Returns 0, or
 * CALL_EXIT_USAGE with a one-line reason in err (a file the library cannot read, a device that
 * cannot be opened); what was created is then released by media_stop(). */
int media_start(call *c, char *err, size_t errlen);

/* Drops the process's references to the tracks and the speaker (PeerConnections that still
 * use them keep their own). Idempotent. */
void media_stop(call *c);

/* A new PeerConnection that offers: adds our audio and video tracks (mrtc_pc_add_track), or a
 * recvonly transceiver for a kind we do not send (video while it is off), audio first, so the offer
 * always asks for the peer's audio and video. Failures are logged. */
void media_peer_offer(call_peer *p);

/* A remote offer was applied: adds the tracks not yet sent to p; each reuses the fresh
 * transceiver of its kind the offer created, so the answer says sendrecv. Kinds we do not send
 * stay recvonly, as in a browser without tracks. Failures are logged. */
void media_peer_answer(call_peer *p);

/* Whether our video track is sent now: --video given and on (from the start, or since
 * --video-after's delay or "/video on"; not since "/video off"). */
bool media_video_is_on(const call *c);

/* "/video on" / "/video off" (and --video-after's timer): adds our video track to every open
 * PeerConnection (renegotiation through negotiation-needed) or removes it
 * (mrtc_pc_remove_track); peers created later follow the switch. Cancels a pending
 * --video-after. Prints one line. Returns 0, or MRTC_EINVAL (logged) without a --video
 * track. */
int media_video_set(call *c, bool on);

/* The track event of p's PeerConnection: attaches the recording sink (--record: a WAV of the
 * decoded audio or an IVF of the received VP8 frames, named after the peer id) and the speaker
 * sink (--play, audio), and prints "ID (NAME): receiving audio". A second event for the same
 * transceiver (the peer resumed sending) only prints the line. */
void media_on_track(call_peer *p, mrtc_transceiver *t);

/* The stats timer: one line per peer that sends or receives media (media_stats_append()). */
void media_print_stats(call *c);

/* Replaces the tracks of p's report entry with their current figures and sets its rtt_ms from
 * the RTT its senders measured (omitted while none did). */
void media_peer_report(call_peer *p);

/* Frees p->media (accepts a peer without it). */
void media_peer_free(call_peer *p);

/* ---- media_stats.c ---- */

/* Counters of one transceiver at the previous stats line (all 0 before the first). */
typedef struct media_counters {
    uint64_t bytes_sent, bytes_received, frames_decoded;
} media_counters;

/* "opus" for audio, "VP8" for video: the one codec of each kind the library negotiates. */
const char *media_codec_name(mrtc_media_kind kind);

/* Appends one transceiver's segments to the NUL-terminated `line` (capacity cap, cut when
 * full), each after " | " unless line is empty:
 *   "audio out 32.1 kbps 250 pkts rtt 0.4 ms"
 *   "video out 812.3 kbps 700 pkts nacks 0 plis 0"
 *   "audio in 31.8 kbps lost 0 jitter 1.2 ms"
 *   "video in 790.0 kbps 30.0 fps 640x480 decoded 150 lost 0 jitter 3.1 ms nacks 0 plis 0"
 * The "out" segment when `sending`, the "in" segment when `receiving`. Bitrates (payload bytes)
 * and fps are over the dt_ms since `last` (shown as 0 when dt_ms <= 0); packet and frame
 * counts are totals; rtt, jitter and the size appear only once measured. */
void media_stats_append(char *line, size_t cap, const mrtc_rtp_stats *st,
                        const media_counters *last, double dt_ms, bool sending, bool receiving);

/* The report entries of one transceiver: the outbound one when `sending`, then the inbound one
 * when `receiving`, written to out[0..]. out_s and in_s are how long each direction has been
 * active (bitrate_kbps and fps are averages over them; omitted when <= 0). recording (borrowed
 * by out, may be NULL) is the inbound direction's file. Fields the stats do not measure yet
 * (jitter and loss before the first packet, a size before the first picture) are omitted.
 * Returns how many entries were written (0-2). */
size_t media_stats_tracks(const mrtc_rtp_stats *st, bool sending, bool receiving, double out_s,
                          double in_s, const char *recording, report_track out[2]);

/* The report's rtt_ms of a peer from its senders' last RTT measurements (seconds, < 0 when
 * none): their mean in milliseconds, or -1 when no sender measured one. */
double media_stats_rtt_ms(const double *rtt_s, size_t n);

/* Writes a file-name-safe form of a peer id into buf ("p1" stays "p1"): characters other
 * than A-Z a-z 0-9 _ - become '_', at most 64 of them; an empty id becomes "peer". */
void media_safe_id(char *buf, size_t cap, const char *id);

#endif
