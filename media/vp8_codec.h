/*
 * The VP8 codec (RFC 6386) as the media pipeline uses it: a real-time libvpx encoder
 * configured the way WebRTC endpoints configure it (CBR, error resilient, no lag, key
 * frames on request, optional temporal scalability with the RFC 7741 TID/Y/TL0PICIDX
 * values for each frame), and a decoder that survives corrupt and truncated frames.
 *
 * The RTP side (payload descriptor, packetizer, frame assembler) is rtp/vp8.h; owned I420
 * picture buffers are media/i420.h.
 */
#ifndef MRTC_MEDIA_VP8_CODEC_H
#define MRTC_MEDIA_VP8_CODEC_H

#include "meshrtc/frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encoder limits. */
#define MRTC_VP8_ENCODER_MIN_DIM 16
#define MRTC_VP8_ENCODER_MAX_DIM 4096
#define MRTC_VP8_ENCODER_MAX_LAYERS 3
/* The decoder refuses key frames wider or taller than this (bounds its memory). */
#define MRTC_VP8_DECODER_MAX_DIM 4096

/* ---- Encoder ---- */

/* A libvpx VP8 encoder; created by mrtc_vp8_encoder_new. Not thread-safe: one thread at a
 * time (the video worker). */
typedef struct mrtc_vp8_encoder mrtc_vp8_encoder;

/* Encoder settings. Start from mrtc_vp8_encoder_config_init, then set width and height. */
typedef struct mrtc_vp8_encoder_config {
    uint16_t width, height;   /* required: even, MRTC_VP8_ENCODER_MIN_DIM..MAX_DIM */
    unsigned fps;             /* nominal frame rate 1..120; default 30 */
    unsigned bitrate_kbps;    /* target 10..100000 kbit/s; default 800 */
    unsigned temporal_layers; /* 1 (default), 2 (TIDs 0,1,0,1...) or 3 (0,2,1,2...): libvpx
                                 temporal scalability with per-layer rate targets (60/40 %
                                 and 40/20/40 % of the bitrate) */
    int cpu_used;             /* libvpx VP8E_SET_CPUUSED -16..16; default -6 (real time; more
                                 negative is faster) */
    unsigned threads;         /* encoder threads 1..16; default 1 */
} mrtc_vp8_encoder_config;

/* Fills cfg with the defaults above (width and height 0: the caller sets them). */
void mrtc_vp8_encoder_config_init(mrtc_vp8_encoder_config *cfg);

/* Creates an encoder with cfg (borrowed for the call) and stores it in *out (freed with
 * mrtc_vp8_encoder_free). Real-time settings as WebRTC uses them: VPX_DL_REALTIME, CBR,
 * error resilient, no lag, key frames only when forced (or after 3000 frames, or when
 * libvpx finds one necessary), libwebrtc's undershoot/overshoot and buffer sizes, frame
 * dropping when the rate controller's buffer runs low, noise sensitivity off, static
 * threshold 1, one token partition. Returns 0, MRTC_EINVAL (NULL or a field out of range),
 * MRTC_ENOMEM, MRTC_EIO (libvpx refused). *out is NULL on failure. */
int mrtc_vp8_encoder_new(const mrtc_vp8_encoder_config *cfg, mrtc_vp8_encoder **out);

/* Frees the encoder; accepts NULL. */
void mrtc_vp8_encoder_free(mrtc_vp8_encoder *e);

/* One encoded frame as mrtc_vp8_encoder_encode reports it. */
typedef struct mrtc_vp8_encoded {
    const uint8_t *data; /* the VP8 frame, owned by the encoder: valid until the next encode
                            call or free */
    size_t len;          /* 0: the encoder dropped this frame (rate control); send nothing */
    bool keyframe;
    uint8_t tid;       /* temporal layer of this frame (0 with one layer; key frames are 0) */
    bool layer_sync;   /* RFC 7741 Y bit: the frame depends on TL0 frames only (set on key
                          frames and on the first frame of each higher layer in a pattern
                          cycle) */
    uint8_t tl0picidx; /* RFC 7741 TL0PICIDX: 0 on the first TL0 frame, one more on each
                          later TL0 frame (wrapping); higher-layer frames carry the value of
                          the TL0 frame before them */
} mrtc_vp8_encoded;

/* Encodes one frame (in: borrowed for the call; its size must match the configuration and
 * its planes be present, MRTC_EINVAL otherwise). pts_90k is the frame's capture time on a
 * 90 kHz clock, like an RTP timestamp (it may wrap; a timestamp not after the previous one
 * is taken as one nominal frame interval later). force_key asks for a key frame, which
 * also restarts the temporal layer pattern (if rate control drops that frame, the next
 * one is forced instead). Returns 0 with *out filled, MRTC_EINVAL,
 * MRTC_EIO when libvpx fails. */
int mrtc_vp8_encoder_encode(mrtc_vp8_encoder *e, const mrtc_video_frame *in, uint32_t pts_90k,
                            bool force_key, mrtc_vp8_encoded *out);

/* Changes the target bitrate (10..100000 kbit/s; the temporal layers keep their shares)
 * from the next frame on. Returns 0, MRTC_EINVAL, MRTC_EIO. */
int mrtc_vp8_encoder_set_bitrate(mrtc_vp8_encoder *e, unsigned kbps);

/* ---- Decoder ---- */

/* A libvpx VP8 decoder; created by mrtc_vp8_decoder_new. */
typedef struct mrtc_vp8_decoder mrtc_vp8_decoder;

/* Creates a decoder (one thread) and stores it in *out (freed with mrtc_vp8_decoder_free).
 * Returns 0, MRTC_EINVAL, MRTC_ENOMEM, MRTC_EIO. */
int mrtc_vp8_decoder_new(mrtc_vp8_decoder **out);

/* Frees the decoder; accepts NULL. */
void mrtc_vp8_decoder_free(mrtc_vp8_decoder *d);

/* Decodes one complete VP8 frame (data, len: untrusted, borrowed for the call). Returns 1
 * with *out describing the picture (planes owned by the decoder, valid until the next
 * decode call or free), 0 when libvpx produced no picture (a hidden frame), MRTC_EPROTO for
 * a corrupt or truncated frame, a key frame larger than MRTC_VP8_DECODER_MAX_DIM, or an
 * inter frame while the decoder waits for a key frame: it does so from creation and after
 * every MRTC_EPROTO, so the caller then needs a key frame (PLI); the decoder stays usable.
 * MRTC_EINVAL on NULL arguments. */
int mrtc_vp8_decoder_decode(mrtc_vp8_decoder *d, const uint8_t *data, size_t len,
                            mrtc_video_frame *out);

/* True while the decoder refuses inter frames until the next key frame. */
bool mrtc_vp8_decoder_needs_keyframe(const mrtc_vp8_decoder *d);

#endif
