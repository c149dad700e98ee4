/*
 * Media: local tracks (MediaStreamTrack with a source), what a transceiver sends and
 * receives, sinks for remote tracks, and RTP statistics.
 *
 * A local track owns its source and its encoder. It is encoded once however many
 * PeerConnections send it (mesh calls): every sender keeps its own SSRC, sequence numbers,
 * timestamp offset, SRTP context and retransmission history. Audio is Opus at 48 kHz in
 * 20 ms frames; video is VP8.
 *
 * Threads: everything here runs on the runtime's loop thread, like the PeerConnection.
 * Device I/O (PortAudio) runs on PortAudio's thread and meets the loop through lock-free
 * rings, invisibly to the caller.
 *
 * Lifetimes: tracks and sinks are reference counted. mrtc_track_free()/mrtc_sink_free()
 * drop the application's reference; a PeerConnection that sends the track or delivers to
 * the sink keeps its own until the track is replaced or removed, the sink removed, or the
 * PeerConnection closed. Files written by sinks are complete once the last reference is
 * gone (and readable at any time before: headers are rewritten at least once a second).
 */
#ifndef MESHRTC_MEDIA_H
#define MESHRTC_MEDIA_H

#include "meshrtc/export.h"
#include "meshrtc/frame.h"
#include "meshrtc/pc.h"
#include "meshrtc/runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Local tracks ------------------------------------------------------------------------ */

/* A local track (opaque). */
typedef struct mrtc_track mrtc_track;

typedef enum mrtc_audio_source_type {
    MRTC_AUDIO_SOURCE_TONE = 0, /* a sine at tone_hz (or beeps, see beep_*) */
    MRTC_AUDIO_SOURCE_WAV,      /* a 16-bit PCM WAV file, looped, resampled to 48 kHz */
    MRTC_AUDIO_SOURCE_MIC,      /* a capture device through PortAudio */
    MRTC_AUDIO_SOURCE_APP,      /* the application pushes PCM with mrtc_track_push_audio() */
} mrtc_audio_source_type;

typedef struct mrtc_audio_source_config {
    mrtc_audio_source_type type;
    double tone_hz;          /* TONE: default 440 */
    unsigned beep_period_ms; /* TONE: 0 (default) continuous; else on for beep_on_ms each period */
    unsigned beep_on_ms;
    const char *path;      /* WAV: the file (copied) */
    const char *device;    /* MIC: PortAudio device name (substring) or NULL for the default */
    int bitrate_bps;       /* Opus target bitrate, default 32000 */
    bool dtx;              /* Opus DTX, default false */
} mrtc_audio_source_config;

MRTC_EXPORT void mrtc_audio_source_config_init(mrtc_audio_source_config *cfg);

typedef enum mrtc_video_source_type {
    MRTC_VIDEO_SOURCE_PATTERN = 0, /* a moving test pattern with a visible frame counter */
    MRTC_VIDEO_SOURCE_Y4M,         /* a YUV4MPEG2 4:2:0 file, looped */
    MRTC_VIDEO_SOURCE_APP,         /* the application pushes I420 with mrtc_track_push_video() */
} mrtc_video_source_type;

typedef struct mrtc_video_source_config {
    mrtc_video_source_type type;
    uint16_t width, height; /* PATTERN and APP: default 640x480; Y4M: taken from the file */
    unsigned fps;           /* PATTERN: default 30; Y4M: the file's rate when 0 */
    const char *path;       /* Y4M: the file (copied) */
    unsigned bitrate_kbps;  /* VP8 target bitrate, default 800 */
    unsigned temporal_layers; /* 1 (default), 2 or 3 */
} mrtc_video_source_config;

MRTC_EXPORT void mrtc_video_source_config_init(mrtc_video_source_config *cfg);

/* Creates a local audio or video track on rt. The source starts producing once a sender
 * uses the track. Returns 0 and *out, MRTC_EINVAL (bad configuration), MRTC_EIO (file or
 * device could not be opened, or not a supported format: the reason is logged under
 * "media"), MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_track_new_audio(mrtc_runtime *rt, const mrtc_audio_source_config *cfg,
                                     mrtc_track **out);
MRTC_EXPORT int mrtc_track_new_video(mrtc_runtime *rt, const mrtc_video_source_config *cfg,
                                     mrtc_track **out);

/* Drops the application's reference (accepts NULL). */
MRTC_EXPORT void mrtc_track_free(mrtc_track *t);

MRTC_EXPORT mrtc_media_kind mrtc_track_kind(const mrtc_track *t);
/* The track id (a UUID-like string, as in a=msid), valid as long as the track. */
MRTC_EXPORT const char *mrtc_track_id(const mrtc_track *t);

/* MediaStreamTrack.enabled: a disabled track sends silence (audio) or black frames
 * (video), as browsers do. */
MRTC_EXPORT void mrtc_track_set_enabled(mrtc_track *t, bool enabled);
MRTC_EXPORT bool mrtc_track_enabled(const mrtc_track *t);

/* APP sources: one 20 ms frame of 48 kHz PCM (frames == MRTC_AUDIO_FRAME_SAMPLES, 1 or 2
 * channels), or one I420 picture of the configured size. Encoded and sent at once. Returns
 * 0, MRTC_EINVAL (wrong kind, source type or shape), MRTC_EIO (encoder failure). */
MRTC_EXPORT int mrtc_track_push_audio(mrtc_track *t, const mrtc_audio_frame *f);
MRTC_EXPORT int mrtc_track_push_video(mrtc_track *t, const mrtc_video_frame *f);

/* ---- Sending ----------------------------------------------------------------------------- */

/* addTrack(): uses the first transceiver of the track's kind that has never sent and has no
 * track, else adds a sendrecv transceiver; its direction gains "send"; negotiation-needed
 * fires. *out (may be NULL) receives the transceiver. Returns 0, MRTC_EINVAL, MRTC_EEXIST
 * (the track is already sent on pc), MRTC_ECLOSED, MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_pc_add_track(mrtc_pc *pc, mrtc_track *track, mrtc_transceiver **out);

/* removeTrack(): the sender stops sending (its track becomes NULL) and the direction loses
 * "send"; negotiation-needed fires. Returns 0, MRTC_EINVAL, MRTC_ECLOSED. */
MRTC_EXPORT int mrtc_pc_remove_track(mrtc_pc *pc, mrtc_transceiver *t);

/* RTCRtpSender.replaceTrack(): switches what the sender sends without renegotiation. track
 * may be NULL (send nothing). Returns 0, MRTC_EINVAL (other kind), MRTC_ECLOSED. */
MRTC_EXPORT int mrtc_transceiver_replace_track(mrtc_transceiver *t, mrtc_track *track);

/* The sender's track (borrowed) or NULL. */
MRTC_EXPORT mrtc_track *mrtc_transceiver_track(const mrtc_transceiver *t);

/* ---- Receiving ------------------------------------------------------------------------- */

/* Where a remote track goes (opaque, reference counted). */
typedef struct mrtc_sink mrtc_sink;

typedef struct mrtc_sink_callbacks {
    /* Decoded audio: 20 ms of 48 kHz PCM, played out by the jitter buffer (concealment and
     * FEC included). */
    void (*audio)(const mrtc_audio_frame *f, void *user);
    /* A decoded picture; rtp_ts is its RTP timestamp (90 kHz). */
    void (*video)(const mrtc_video_frame *f, uint32_t rtp_ts, void *user);
    /* An encoded frame as received, in decode order (VP8 frame or Opus packet). */
    void (*encoded)(const uint8_t *data, size_t len, uint32_t rtp_ts, bool keyframe, void *user);
} mrtc_sink_callbacks;

/* A sink calling the application. Only the non-NULL callbacks are fed (and video is decoded
 * only if some sink wants pictures). Returns 0, MRTC_EINVAL, MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_sink_new_callbacks(const mrtc_sink_callbacks *cbs, void *user,
                                        mrtc_sink **out);
/* File sinks: a 48 kHz mono WAV of decoded audio; an IVF of the received VP8 frames; a Y4M
 * of decoded pictures. Return 0, MRTC_EIO (cannot create the file), MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_sink_new_wav(const char *path, mrtc_sink **out);
MRTC_EXPORT int mrtc_sink_new_ivf(const char *path, mrtc_sink **out);
MRTC_EXPORT int mrtc_sink_new_y4m(const char *path, mrtc_sink **out);

/* The speaker: one playback stream (PortAudio) that mixes every remote audio track
 * delivered to its sinks. */
typedef struct mrtc_speaker mrtc_speaker;
/* device: PortAudio device name (substring) or NULL for the default. Returns 0, MRTC_EIO,
 * MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_speaker_new(mrtc_runtime *rt, const char *device, mrtc_speaker **out);
/* Drops the application's reference; playback stops when no sink uses it. */
MRTC_EXPORT void mrtc_speaker_free(mrtc_speaker *sp);
/* One mixer input of the speaker, as a sink. */
MRTC_EXPORT int mrtc_sink_new_speaker(mrtc_speaker *sp, mrtc_sink **out);

/* Drops the application's reference (accepts NULL). */
MRTC_EXPORT void mrtc_sink_free(mrtc_sink *s);

/* Delivers what the transceiver receives to s (one transceiver may feed several sinks).
 * Returns 0, MRTC_EINVAL (a video-only sink on audio or the reverse), MRTC_EEXIST,
 * MRTC_ECLOSED, MRTC_ENOMEM. */
MRTC_EXPORT int mrtc_transceiver_add_sink(mrtc_transceiver *t, mrtc_sink *s);
/* Returns 0 or MRTC_ENOTFOUND. */
MRTC_EXPORT int mrtc_transceiver_remove_sink(mrtc_transceiver *t, mrtc_sink *s);

/* ---- Statistics (W3C outbound-rtp, inbound-rtp, remote-inbound-rtp) ------------------- */

typedef struct mrtc_rtp_stats {
    mrtc_media_kind kind;
    /* outbound-rtp (what this side sends) */
    uint32_t ssrc;
    uint64_t packets_sent, bytes_sent; /* payload bytes */
    uint64_t retransmitted_packets_sent;
    uint64_t frames_encoded, keyframes_encoded;
    uint64_t nack_count_received, pli_count_received, fir_count_received;
    /* remote-inbound-rtp (what the peer said about it in RTCP) */
    double round_trip_time; /* seconds, last measured; < 0 when none yet */
    int64_t remote_packets_lost;
    double remote_jitter; /* seconds */
    double remote_fraction_lost;
    /* inbound-rtp (what this side receives) */
    uint32_t remote_ssrc; /* 0 until a packet arrived */
    uint64_t packets_received, bytes_received;
    int64_t packets_lost;
    double jitter; /* seconds */
    uint64_t frames_received, frames_decoded, frames_dropped, keyframes_decoded;
    uint16_t frame_width, frame_height;
    uint64_t nack_count_sent, pli_count_sent;
    uint64_t packets_recovered; /* by RTX (video) or FEC (audio) */
    uint64_t concealed_samples, total_samples_received;
    double jitter_buffer_delay_ms; /* current target */
} mrtc_rtp_stats;

/* The transceiver's sender and receiver statistics. Returns 0, MRTC_EINVAL. */
MRTC_EXPORT int mrtc_transceiver_get_stats(const mrtc_transceiver *t, mrtc_rtp_stats *out);

#ifdef __cplusplus
}
#endif
#endif
