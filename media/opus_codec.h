/*
 * The Opus codec (RFC 6716) as the media pipeline uses it: an encoder of 20 ms frames at
 * 48 kHz in the VoIP application with in-band FEC, DTX and a settable bitrate, and a decoder
 * with forward error correction and packet loss concealment. Thin wrappers over libopus
 * whose state lives in blocks from core/util/alloc.h.
 *
 * The RTP side of Opus (RFC 7587 timestamps, marker bit, packet validation) is rtp/opus.h.
 */
#ifndef MRTC_MEDIA_OPUS_CODEC_H
#define MRTC_MEDIA_OPUS_CODEC_H

#include "meshrtc/frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An output capacity that holds any packet mrtc_opus_encoder_encode produces (RFC 6716
 * section 3.2.1: a 20 ms frame is at most 1275 bytes plus the TOC byte). */
#define MRTC_OPUS_ENCODER_MAX_PACKET 1276
/* A packet of at most this many bytes from a DTX encoder carries no audio: the caller does
 * not send it (RFC 7587 section 3.1.3). */
#define MRTC_OPUS_DTX_MAX_BYTES 2
/* Samples per channel of the longest Opus packet (120 ms at 48 kHz): a decode buffer of this
 * many frames fits any packet. */
#define MRTC_OPUS_DECODER_MAX_FRAMES 5760

/* ---- Encoder ---- */

/* A libopus encoder for 20 ms frames at MRTC_AUDIO_RATE; created by mrtc_opus_encoder_new. */
typedef struct mrtc_opus_encoder mrtc_opus_encoder;

/* Encoder settings. Start from mrtc_opus_encoder_config_init. */
typedef struct mrtc_opus_encoder_config {
    unsigned channels;    /* 1 or 2; default 1 */
    int bitrate_bps;      /* 6000..510000 (RFC 7587 section 3.1.1); default 32000 */
    bool inband_fec;      /* LBRR data for the previous frame (OPUS_SET_INBAND_FEC); default
                             true */
    int packet_loss_perc; /* expected loss 0..100 the FEC is sized for; default 10 */
    bool dtx;             /* discontinuous transmission in silence; default false */
    int complexity;       /* 0..10; default 8 */
} mrtc_opus_encoder_config;

/* Fills cfg with the defaults above. */
void mrtc_opus_encoder_config_init(mrtc_opus_encoder_config *cfg);

/* Creates an encoder (OPUS_APPLICATION_VOIP, 48 kHz) with cfg (borrowed for the call) and
 * stores it in *out, which the caller frees with mrtc_opus_encoder_free. Returns 0,
 * MRTC_EINVAL (NULL argument or a field out of range), MRTC_ENOMEM, MRTC_EIO (libopus
 * refused). *out is NULL on failure. */
int mrtc_opus_encoder_new(const mrtc_opus_encoder_config *cfg, mrtc_opus_encoder **out);

/* Frees the encoder; accepts NULL. */
void mrtc_opus_encoder_free(mrtc_opus_encoder *e);

/* Encodes one 20 ms frame: pcm holds MRTC_AUDIO_FRAME_SAMPLES samples per channel,
 * interleaved (borrowed). Writes one Opus packet into out (capacity cap; a cap of
 * MRTC_OPUS_ENCODER_MAX_PACKET always suffices) and returns its length (> 0). With DTX a
 * return of at most MRTC_OPUS_DTX_MAX_BYTES means "nothing to send": the caller skips the
 * packet (RFC 7587 section 3.1.3). MRTC_ENOBUFS when the packet is longer than cap (the
 * frame is consumed and lost: lower the bitrate to fit a smaller cap), MRTC_EINVAL on NULL
 * arguments, MRTC_EIO when libopus fails. */
int mrtc_opus_encoder_encode(mrtc_opus_encoder *e, const int16_t *pcm, uint8_t *out, size_t cap);

/* Changes the target bitrate (6000..510000 bps) from the next frame on. Returns 0 or
 * MRTC_EINVAL. */
int mrtc_opus_encoder_set_bitrate(mrtc_opus_encoder *e, int bps);

/* Changes the expected packet loss (0..100 %) the in-band FEC is sized for, e.g. from RTCP
 * receiver reports. Returns 0 or MRTC_EINVAL. */
int mrtc_opus_encoder_set_packet_loss(mrtc_opus_encoder *e, int perc);

/* ---- Decoder ---- */

/* A libopus decoder with output at MRTC_AUDIO_RATE; created by mrtc_opus_decoder_new. */
typedef struct mrtc_opus_decoder mrtc_opus_decoder;

/* Creates a decoder producing `channels` (1 or 2) interleaved channels at 48 kHz, whatever
 * the channel count of the packets, and stores it in *out (freed with
 * mrtc_opus_decoder_free). Returns 0, MRTC_EINVAL, MRTC_ENOMEM, MRTC_EIO. */
int mrtc_opus_decoder_new(unsigned channels, mrtc_opus_decoder **out);

/* Frees the decoder; accepts NULL. */
void mrtc_opus_decoder_free(mrtc_opus_decoder *d);

/* Decodes one Opus packet (data, len: untrusted, borrowed) into pcm, which holds cap_frames
 * samples per channel. Returns the samples per channel written (the packet's duration,
 * 120..5760). MRTC_EPROTO for an empty or corrupt packet (RFC 6716 section 3.4 framing),
 * MRTC_ENOBUFS when the packet is longer than cap_frames, MRTC_EINVAL on NULL arguments;
 * after any error the decoder is unchanged and stays usable. For a lost packet call
 * mrtc_opus_decoder_decode_fec or mrtc_opus_decoder_conceal instead. */
int mrtc_opus_decoder_decode(mrtc_opus_decoder *d, const uint8_t *data, size_t len, int16_t *pcm,
                             size_t cap_frames);

/* Recovers the frame BEFORE `next` (the packet that followed a lost one; untrusted,
 * borrowed; not consumed: decode it normally afterwards) from next's in-band FEC (LBRR)
 * data, writing `frames` samples per channel into pcm. `frames` is the lost packet's
 * duration (normally MRTC_AUDIO_FRAME_SAMPLES), a multiple of 120 (2.5 ms) up to
 * MRTC_OPUS_DECODER_MAX_FRAMES. When next carries no FEC, libopus conceals instead. Returns
 * frames, MRTC_EINVAL (NULL, bad frames), MRTC_EPROTO (next is empty or corrupt; the
 * decoder is unchanged). */
int mrtc_opus_decoder_decode_fec(mrtc_opus_decoder *d, const uint8_t *next, size_t len,
                                 size_t frames, int16_t *pcm);

/* Packet loss concealment: writes `frames` samples per channel (a multiple of 120 up to
 * MRTC_OPUS_DECODER_MAX_FRAMES) extrapolated from the audio decoded so far, fading to
 * silence over long losses. Returns frames or MRTC_EINVAL. */
int mrtc_opus_decoder_conceal(mrtc_opus_decoder *d, size_t frames, int16_t *pcm);

#endif
