/*
 * Opus encoder and decoder wrappers (media/opus_codec.h) over libopus, RFC 6716. The
 * encoder runs the VoIP application at 48 kHz on 20 ms frames with the options WebRTC
 * negotiates: in-band FEC sized for an expected loss rate (RFC 6716 section 2.1.7, LBRR of
 * SILK), DTX (section 2.1.9; RFC 7587 section 3.1.3 for what the caller does with the
 * 1-byte packets), complexity and bitrate. The decoder adds FEC recovery of a lost frame
 * from the next packet and packet loss concealment (section 4.4).
 *
 * libopus state is allocated here (opus_*_get_size, opus_*_init) so it counts in the
 * library's allocator. Corrupt packets are refused by libopus' framing checks before any
 * state changes, so the decoder stays usable.
 *
 * Deliberately not done here: RTP framing (rtp/opus.h), resampling (everything runs at
 * MRTC_AUDIO_RATE), frame sizes other than 20 ms on the send side, multistream, and the
 * soft-clipping float API.
 */
#include "media/opus_codec.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <opus.h>
#include <string.h>

#define LOG_TAG "opus"

/* 2.5 ms at 48 kHz: every Opus duration is a multiple of it. */
#define OPUS_QUANTUM 120

struct mrtc_opus_encoder {
    OpusEncoder *st; /* own block, opus_encoder_get_size() bytes */
    unsigned channels;
};

struct mrtc_opus_decoder {
    OpusDecoder *st; /* own block, opus_decoder_get_size() bytes */
    unsigned channels;
};

static bool bitrate_ok(int bps)
{
    return bps >= 6000 && bps <= 510000;
}

/* Errors of opus_*_init and opus_*_ctl. */
static int from_opus(int rc)
{
    switch (rc) {
    case OPUS_BAD_ARG:
        return MRTC_EINVAL;
    case OPUS_ALLOC_FAIL:
        return MRTC_ENOMEM;
    default:
        return MRTC_EIO;
    }
}

/* Errors of opus_decode: the packet is what was wrong, unless the buffer was too small. */
static int from_opus_decode(int rc)
{
    return rc == OPUS_BUFFER_TOO_SMALL ? MRTC_ENOBUFS : MRTC_EPROTO;
}

/* ---- Encoder ---- */

void mrtc_opus_encoder_config_init(mrtc_opus_encoder_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->channels = 1;
    cfg->bitrate_bps = 32000;
    cfg->inband_fec = true;
    cfg->packet_loss_perc = 10;
    cfg->dtx = false;
    cfg->complexity = 8;
}

static int encoder_configure(OpusEncoder *st, const mrtc_opus_encoder_config *cfg)
{
    int rc = opus_encoder_ctl(st, OPUS_SET_BITRATE(cfg->bitrate_bps));
    if (rc == OPUS_OK)
        rc = opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(cfg->inband_fec ? 1 : 0));
    if (rc == OPUS_OK)
        rc = opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(cfg->packet_loss_perc));
    if (rc == OPUS_OK)
        rc = opus_encoder_ctl(st, OPUS_SET_DTX(cfg->dtx ? 1 : 0));
    if (rc == OPUS_OK)
        rc = opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(cfg->complexity));
    return rc == OPUS_OK ? 0 : from_opus(rc);
}

int mrtc_opus_encoder_new(const mrtc_opus_encoder_config *cfg, mrtc_opus_encoder **out)
{
    mrtc_opus_encoder *e = NULL;
    int err;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cfg || (cfg->channels != 1 && cfg->channels != 2) || !bitrate_ok(cfg->bitrate_bps) ||
        cfg->packet_loss_perc < 0 || cfg->packet_loss_perc > 100 || cfg->complexity < 0 ||
        cfg->complexity > 10)
        return MRTC_EINVAL;
    e = mrtc_calloc(1, sizeof *e);
    if (!e)
        return MRTC_ENOMEM;
    e->channels = cfg->channels;
    e->st = mrtc_malloc((size_t)opus_encoder_get_size((int)cfg->channels));
    if (!e->st) {
        err = MRTC_ENOMEM;
        goto out;
    }
    int rc = opus_encoder_init(e->st, MRTC_AUDIO_RATE, (int)cfg->channels, OPUS_APPLICATION_VOIP);
    if (rc != OPUS_OK) {
        err = from_opus(rc);
        goto out;
    }
    err = encoder_configure(e->st, cfg);
    if (err)
        goto out;
    *out = e;
    return 0;
out:
    mrtc_opus_encoder_free(e);
    return err;
}

void mrtc_opus_encoder_free(mrtc_opus_encoder *e)
{
    if (!e)
        return;
    mrtc_free(e->st);
    mrtc_free(e);
}

int mrtc_opus_encoder_encode(mrtc_opus_encoder *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
    uint8_t scratch[MRTC_OPUS_ENCODER_MAX_PACKET];

    if (!e || !pcm || !out)
        return MRTC_EINVAL;
    /* libopus squeezes a frame into a smaller max_data_bytes by emitting a packet that
     * decodes as a lost frame: encode at full size and refuse what does not fit instead. */
    uint8_t *dst = cap >= MRTC_OPUS_ENCODER_MAX_PACKET ? out : scratch;
    opus_int32 n =
        opus_encode(e->st, pcm, MRTC_AUDIO_FRAME_SAMPLES, dst, MRTC_OPUS_ENCODER_MAX_PACKET);
    if (n < 0) {
        MRTC_WARN(LOG_TAG, "opus_encode: %s", opus_strerror(n));
        return MRTC_EIO;
    }
    if (n == 0) /* not produced by libopus 1.x; never report "0 bytes" as success */
        return MRTC_EIO;
    if ((size_t)n > cap)
        return MRTC_ENOBUFS;
    if (dst != out)
        memcpy(out, dst, (size_t)n);
    return (int)n;
}

int mrtc_opus_encoder_set_bitrate(mrtc_opus_encoder *e, int bps)
{
    if (!e || !bitrate_ok(bps))
        return MRTC_EINVAL;
    int rc = opus_encoder_ctl(e->st, OPUS_SET_BITRATE(bps));
    return rc == OPUS_OK ? 0 : from_opus(rc);
}

int mrtc_opus_encoder_set_packet_loss(mrtc_opus_encoder *e, int perc)
{
    if (!e || perc < 0 || perc > 100)
        return MRTC_EINVAL;
    int rc = opus_encoder_ctl(e->st, OPUS_SET_PACKET_LOSS_PERC(perc));
    return rc == OPUS_OK ? 0 : from_opus(rc);
}

/* ---- Decoder ---- */

int mrtc_opus_decoder_new(unsigned channels, mrtc_opus_decoder **out)
{
    mrtc_opus_decoder *d = NULL;
    int err;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (channels != 1 && channels != 2)
        return MRTC_EINVAL;
    d = mrtc_calloc(1, sizeof *d);
    if (!d)
        return MRTC_ENOMEM;
    d->channels = channels;
    d->st = mrtc_malloc((size_t)opus_decoder_get_size((int)channels));
    if (!d->st) {
        err = MRTC_ENOMEM;
        goto out;
    }
    int rc = opus_decoder_init(d->st, MRTC_AUDIO_RATE, (int)channels);
    if (rc != OPUS_OK) {
        err = from_opus(rc);
        goto out;
    }
    *out = d;
    return 0;
out:
    mrtc_opus_decoder_free(d);
    return err;
}

void mrtc_opus_decoder_free(mrtc_opus_decoder *d)
{
    if (!d)
        return;
    mrtc_free(d->st);
    mrtc_free(d);
}

/* A packet that cannot be Opus: empty (libopus would conceal), or longer than 120 ms of
 * 1275-byte frames plus framing could ever be. */
static bool packet_len_ok(size_t len)
{
    return len > 0 && len <= 48 * (MRTC_OPUS_ENCODER_MAX_PACKET + 2) + 4096;
}

int mrtc_opus_decoder_decode(mrtc_opus_decoder *d, const uint8_t *data, size_t len, int16_t *pcm,
                             size_t cap_frames)
{
    if (!d || !data || !pcm)
        return MRTC_EINVAL;
    if (!packet_len_ok(len))
        return MRTC_EPROTO;
    if (cap_frames == 0)
        return MRTC_ENOBUFS;
    if (cap_frames > MRTC_OPUS_DECODER_MAX_FRAMES)
        cap_frames = MRTC_OPUS_DECODER_MAX_FRAMES;
    int n = opus_decode(d->st, data, (opus_int32)len, pcm, (int)cap_frames, 0);
    if (n < 0) {
        MRTC_DEBUG(LOG_TAG, "refused packet of %zu bytes: %s", len, opus_strerror(n));
        return from_opus_decode(n);
    }
    return n;
}

static bool frames_ok(size_t frames)
{
    return frames > 0 && frames <= MRTC_OPUS_DECODER_MAX_FRAMES && frames % OPUS_QUANTUM == 0;
}

int mrtc_opus_decoder_decode_fec(mrtc_opus_decoder *d, const uint8_t *next, size_t len,
                                 size_t frames, int16_t *pcm)
{
    if (!d || !next || !pcm || !frames_ok(frames))
        return MRTC_EINVAL;
    if (!packet_len_ok(len))
        return MRTC_EPROTO;
    /* libopus parses the packet before it conceals or decodes anything, so an invalid
     * packet leaves the state as it was. */
    int n = opus_decode(d->st, next, (opus_int32)len, pcm, (int)frames, 1);
    if (n < 0) {
        MRTC_DEBUG(LOG_TAG, "FEC decode of %zu bytes: %s", len, opus_strerror(n));
        return from_opus_decode(n);
    }
    return n;
}

int mrtc_opus_decoder_conceal(mrtc_opus_decoder *d, size_t frames, int16_t *pcm)
{
    if (!d || !pcm || !frames_ok(frames))
        return MRTC_EINVAL;
    int n = opus_decode(d->st, NULL, 0, pcm, (int)frames, 0);
    return n < 0 ? MRTC_EIO : n;
}
