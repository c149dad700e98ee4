/*
 * Media inside core/: local tracks (core/track.c), sinks and the speaker (core/sink.c), and
 * the per-PeerConnection RTP machinery (core/pc_media.c: SRTP, senders, receivers, RTCP).
 * Shared by those files and core/pc*.c / core/jsep*.c only.
 *
 * Clocking: there is no media thread and no timer of its own. A track, a receiver's
 * playout and the speaker each have a deadline; every PeerConnection that uses them folds
 * those deadlines into mrtc_pc_next_timeout() and ticks them from
 * mrtc_pc_handle_timeout(). Ticks are idempotent per deadline, so an object shared by
 * several PeerConnections (a track sent to every peer of a mesh, the speaker) runs once
 * per period whichever PeerConnection's timer fires first. Under tests/sim this runs on
 * the virtual clock like everything else.
 */
#ifndef MRTC_CORE_MEDIA_IMPL_H
#define MRTC_CORE_MEDIA_IMPL_H

#include "core/util/time.h"
#include "meshrtc/media.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pc_sender;

/* What a track hands its senders for one encoded frame. */
typedef struct mrtc_encoded_frame {
    mrtc_media_kind kind;
    const uint8_t *data;
    size_t len;
    uint32_t ts; /* media timestamp of the track (48 kHz or 90 kHz), before a sender's offset */
    bool keyframe;
    bool marker;
    /* VP8 temporal layering (RFC 7741 T/Y/TL0PICIDX), for the descriptor */
    bool has_tid;
    uint8_t tid;
    bool layer_sync;
    uint8_t tl0picidx;
    /* audio: the RFC 6464 level of the frame (0 loudest .. 127), and voice activity */
    uint8_t audio_level;
    bool voice;
} mrtc_encoded_frame;

/* ---- core/track.c ------------------------------------------------------------------------ */

/* mrtc_track_new_audio/video without a runtime (tracks need none: the PeerConnections that
 * send them drive them), for hosts other than the libuv runtime such as tests/sim. */
int mrtc_track_create_audio(const mrtc_audio_source_config *cfg, mrtc_track **out);
int mrtc_track_create_video(const mrtc_video_source_config *cfg, mrtc_track **out);

/* A sender starts or stops using the track (reference and fan-out list). */
int mrtc_track_attach(mrtc_track *t, struct pc_sender *s);
void mrtc_track_detach(mrtc_track *t, struct pc_sender *s);
void mrtc_track_ref(mrtc_track *t);
/* The next time the track wants to produce a frame (NEVER when no sender is active). */
mrtc_time mrtc_track_next_timeout(const mrtc_track *t);
/* Produces and encodes the frames that are due and hands them to every active sender. */
void mrtc_track_handle_timeout(mrtc_track *t, mrtc_time now);
/* A receiver asked for a key frame (PLI/FIR): the next video frame is a key frame. */
void mrtc_track_request_keyframe(mrtc_track *t);
/* Sum of encoder statistics. */
void mrtc_track_encoder_stats(const mrtc_track *t, uint64_t *frames, uint64_t *keyframes);

/* ---- core/sink.c ------------------------------------------------------------------------- */

/* mrtc_speaker_new without a runtime. */
int mrtc_speaker_create(const char *device, mrtc_speaker **out);
void mrtc_sink_ref(mrtc_sink *s);
/* What the sink wants: decoded audio/video, encoded frames. */
bool mrtc_sink_wants_audio(const mrtc_sink *s);
bool mrtc_sink_wants_video(const mrtc_sink *s);
bool mrtc_sink_wants_encoded(const mrtc_sink *s);
/* The sink is for audio (wav, speaker), video (ivf, y4m) or either (callbacks). */
bool mrtc_sink_accepts(const mrtc_sink *s, mrtc_media_kind kind);
void mrtc_sink_deliver_audio(mrtc_sink *s, const mrtc_audio_frame *f);
void mrtc_sink_deliver_video(mrtc_sink *s, const mrtc_video_frame *f, uint32_t rtp_ts);
void mrtc_sink_deliver_encoded(mrtc_sink *s, const uint8_t *data, size_t len, uint32_t rtp_ts,
                               bool keyframe, uint16_t width, uint16_t height);
/* The speaker behind a speaker sink, or NULL: its playout deadline and tick. */
mrtc_speaker *mrtc_sink_speaker(const mrtc_sink *s);
mrtc_time mrtc_speaker_next_timeout(const mrtc_speaker *sp);
void mrtc_speaker_handle_timeout(mrtc_speaker *sp, mrtc_time now);

#endif
