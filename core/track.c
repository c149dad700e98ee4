/*
 * Local tracks: a source, an encoder, and the senders it feeds (encode once, mesh fan-out).
 *
 *   - Audio: 20 ms frames of 48 kHz mono PCM from a tone/beep generator, a looped WAV file
 *     (resampled), a capture device (PortAudio through a lock-free ring) or the
 *     application; one Opus encoder (in-band FEC on).
 *   - Video: I420 pictures from the moving test pattern, a looped Y4M file or the
 *     application; one VP8 encoder with real-time settings.
 *   - The track produces only while at least one sender is active; each encoded frame is
 *     handed to every active sender, which adds its own SSRC, sequence numbers, timestamp
 *     offset, SRTP and retransmission history (core/pc_media.c). A key frame request from
 *     any receiver makes the next frame a key frame for all (the cost of encoding once).
 *   - Timing is driven by the PeerConnections that send the track (core/media_impl.h).
 *     Audio catches up after a late tick (every 20 ms slot is produced, timestamps stay
 *     continuous); video skips the frames it missed.
 *   - A disabled track (mute) sends silence or black pictures, as browsers do.
 *
 * Not here: per-peer rate adaptation (all senders get every temporal layer).
 */
#include "core/media_impl.h"

#include "core/encode_worker.h"
#include "core/pc_media.h"
#include "core/util/alloc.h"
#include "core/util/log.h"
#include "core/util/rand.h"
#include "media/audio_dev.h"
#include "media/i420.h"
#include "media/opus_codec.h"
#include "media/pattern.h"
#include "media/resample.h"
#include "media/tone.h"
#include "media/vp8_codec.h"
#include "media/wav.h"
#include "media/y4m.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LOG_TAG "media"

#define MAX_ENCODED 1500
#define AUDIO_PERIOD MRTC_MSEC(20)
#define MAX_CATCH_UP 10 /* audio frames produced in one late tick at most */

struct mrtc_track {
    int refs;
    mrtc_media_kind kind;
    char id[40];
    bool enabled;
    int src_type; /* mrtc_audio_source_type or mrtc_video_source_type */

    struct pc_sender **senders;
    size_t n_senders, cap_senders;

    mrtc_time next_due; /* MRTC_TIME_NEVER while no sender is active */
    mrtc_time period;
    uint64_t frame_no;
    uint32_t ts; /* media timestamp of the next frame */
    uint64_t frames_encoded, keyframes_encoded;

    /* audio */
    mrtc_tone tone;
    mrtc_wav_reader *wav;
    mrtc_resampler *wav_rs;
    unsigned wav_channels;
    mrtc_audio_capture *mic;
    mrtc_opus_encoder *opus;
    uint8_t enc_buf[MAX_ENCODED];

    /* video */
    uint16_t width, height;
    unsigned fps;
    mrtc_pattern *pattern;
    mrtc_y4m_reader *y4m;
    mrtc_i420 black;
    mrtc_vp8_encoder *vp8;             /* NULL once handed to the worker */
    mrtc_encode_worker *worker;        /* tracks made on a runtime encode on a thread */
    uint64_t frames_skipped;           /* the worker was still busy */
    bool want_key;
    unsigned bitrate_kbps, temporal_layers;
};

void mrtc_audio_source_config_init(mrtc_audio_source_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->type = MRTC_AUDIO_SOURCE_TONE;
    cfg->tone_hz = 440;
    cfg->bitrate_bps = 32000;
}

void mrtc_video_source_config_init(mrtc_video_source_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->type = MRTC_VIDEO_SOURCE_PATTERN;
    cfg->width = 640;
    cfg->height = 480;
    cfg->fps = 30;
    cfg->bitrate_kbps = 800;
    cfg->temporal_layers = 1;
}

static mrtc_track *track_alloc(mrtc_media_kind kind, int src_type)
{
    mrtc_track *t = mrtc_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refs = 1;
    t->kind = kind;
    t->enabled = true;
    t->src_type = src_type;
    t->next_due = MRTC_TIME_NEVER;
    uint8_t r[16];
    mrtc_rand_bytes(mrtc_rand_system(), r, sizeof r);
    snprintf(t->id, sizeof t->id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
    return t;
}

static void track_destroy(mrtc_track *t)
{
    mrtc_wav_reader_close(t->wav);
    mrtc_resampler_free(t->wav_rs);
    mrtc_audio_capture_close(t->mic);
    mrtc_opus_encoder_free(t->opus);
    mrtc_pattern_free(t->pattern);
    mrtc_y4m_reader_close(t->y4m);
    mrtc_i420_free(&t->black);
    mrtc_encode_worker_free(t->worker);
    mrtc_vp8_encoder_free(t->vp8);
    mrtc_free(t->senders);
    mrtc_free(t);
}

void mrtc_track_ref(mrtc_track *t)
{
    t->refs++;
}

void mrtc_track_free(mrtc_track *t)
{
    if (t && --t->refs == 0)
        track_destroy(t);
}

mrtc_media_kind mrtc_track_kind(const mrtc_track *t)
{
    return t->kind;
}

const char *mrtc_track_id(const mrtc_track *t)
{
    return t->id;
}

void mrtc_track_set_enabled(mrtc_track *t, bool enabled)
{
    if (t)
        t->enabled = enabled;
}

bool mrtc_track_enabled(const mrtc_track *t)
{
    return t && t->enabled;
}

/* ---- Creation --------------------------------------------------------------------------- */

int mrtc_track_new_audio(mrtc_runtime *rt, const mrtc_audio_source_config *cfg, mrtc_track **out)
{
    if (out)
        *out = NULL;
    if (!rt)
        return MRTC_EINVAL;
    return mrtc_track_create_audio(cfg, out);
}

static void encoded(void *owner, const mrtc_vp8_encoded *enc, uint32_t ts, bool forced_key);

int mrtc_track_new_video(mrtc_runtime *rt, const mrtc_video_source_config *cfg, mrtc_track **out)
{
    if (out)
        *out = NULL;
    if (!rt)
        return MRTC_EINVAL;
    int err = mrtc_track_create_video(cfg, out);
    if (err)
        return err;
    mrtc_track *t = *out;
    err = mrtc_encode_worker_new(rt, t->vp8, encoded, t, &t->worker);
    if (err) {
        mrtc_track_free(t);
        *out = NULL;
        return err;
    }
    t->vp8 = NULL; /* the worker's now */
    return 0;
}

int mrtc_track_create_audio(const mrtc_audio_source_config *cfg, mrtc_track **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cfg || cfg->type > MRTC_AUDIO_SOURCE_APP || cfg->bitrate_bps < 6000 ||
        cfg->bitrate_bps > 510000)
        return MRTC_EINVAL;
    if (cfg->type == MRTC_AUDIO_SOURCE_TONE &&
        (!(cfg->tone_hz > 0 && cfg->tone_hz < 24000) ||
         (cfg->beep_period_ms && (cfg->beep_on_ms == 0 || cfg->beep_on_ms > cfg->beep_period_ms))))
        return MRTC_EINVAL;
    if (cfg->type == MRTC_AUDIO_SOURCE_WAV && (!cfg->path || !*cfg->path))
        return MRTC_EINVAL;
    mrtc_track *t = track_alloc(MRTC_MEDIA_AUDIO, cfg->type);
    if (!t)
        return MRTC_ENOMEM;
    t->period = AUDIO_PERIOD;
    int err = 0;
    switch (cfg->type) {
    case MRTC_AUDIO_SOURCE_TONE:
    {
        mrtc_tone_config tc;
        mrtc_tone_config_init(&tc);
        tc.freq_hz = cfg->tone_hz;
        tc.period_ms = cfg->beep_period_ms;
        if (cfg->beep_period_ms)
            tc.on_ms = cfg->beep_on_ms;
        err = mrtc_tone_init(&t->tone, &tc);
        break;
    }
    case MRTC_AUDIO_SOURCE_WAV:
        err = mrtc_wav_reader_open(cfg->path, true, &t->wav);
        if (err) {
            MRTC_ERROR(LOG_TAG, "%s: not a readable 16-bit PCM WAV file (%s)", cfg->path,
                       mrtc_strerror(err));
            err = MRTC_EIO;
            break;
        }
        t->wav_channels = mrtc_wav_reader_info(t->wav)->channels;
        if (mrtc_wav_reader_info(t->wav)->rate != MRTC_AUDIO_RATE)
            err = mrtc_resampler_new(mrtc_wav_reader_info(t->wav)->rate, MRTC_AUDIO_RATE, 1,
                                     &t->wav_rs);
        break;
    case MRTC_AUDIO_SOURCE_MIC:
        err = mrtc_audio_capture_open(cfg->device, &t->mic);
        if (err)
            err = MRTC_EIO;
        break;
    default:
        break;
    }
    if (!err) {
        mrtc_opus_encoder_config oc;
        mrtc_opus_encoder_config_init(&oc);
        oc.bitrate_bps = cfg->bitrate_bps;
        oc.dtx = cfg->dtx;
        err = mrtc_opus_encoder_new(&oc, &t->opus);
    }
    if (err) {
        track_destroy(t);
        return err;
    }
    *out = t;
    return 0;
}

int mrtc_track_create_video(const mrtc_video_source_config *cfg, mrtc_track **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cfg || cfg->type > MRTC_VIDEO_SOURCE_APP || cfg->fps > 120 ||
        cfg->temporal_layers > 3 || cfg->bitrate_kbps < 30 || cfg->bitrate_kbps > 20000)
        return MRTC_EINVAL;
    if (cfg->type != MRTC_VIDEO_SOURCE_Y4M &&
        (cfg->width < 16 || cfg->height < 16 || cfg->width > 4096 || cfg->height > 4096 ||
         (cfg->width & 1) || (cfg->height & 1) || cfg->fps == 0))
        return MRTC_EINVAL;
    if (cfg->type == MRTC_VIDEO_SOURCE_Y4M && (!cfg->path || !*cfg->path))
        return MRTC_EINVAL;
    mrtc_track *t = track_alloc(MRTC_MEDIA_VIDEO, cfg->type);
    if (!t)
        return MRTC_ENOMEM;
    t->width = cfg->width;
    t->height = cfg->height;
    t->fps = cfg->fps;
    t->bitrate_kbps = cfg->bitrate_kbps;
    t->temporal_layers = cfg->temporal_layers ? cfg->temporal_layers : 1;
    int err = 0;
    if (cfg->type == MRTC_VIDEO_SOURCE_PATTERN) {
        err = mrtc_pattern_new(t->width, t->height, &t->pattern);
    } else if (cfg->type == MRTC_VIDEO_SOURCE_Y4M) {
        err = mrtc_y4m_reader_open(cfg->path, true, &t->y4m);
        if (err) {
            MRTC_ERROR(LOG_TAG, "%s: not a readable 4:2:0 Y4M file (%s)", cfg->path,
                       mrtc_strerror(err));
            err = MRTC_EIO;
        } else {
            t->width = mrtc_y4m_reader_width(t->y4m);
            t->height = mrtc_y4m_reader_height(t->y4m);
            if (!t->fps)
                t->fps = (unsigned)(mrtc_y4m_reader_fps(t->y4m) + 0.5);
            if (!t->fps || t->fps > 120)
                t->fps = 30;
            if ((t->width & 1) || (t->height & 1) || t->width < 16 || t->height < 16) {
                MRTC_ERROR(LOG_TAG, "%s: %ux%u: VP8 here needs even sizes of at least 16",
                           cfg->path, t->width, t->height);
                err = MRTC_EIO;
            }
        }
    }
    if (!err)
        err = mrtc_i420_alloc(&t->black, t->width, t->height);
    if (!err) {
        size_t ysz = (size_t)t->black.f.stride_y * t->height;
        size_t csz = (size_t)t->black.f.stride_u * ((t->height + 1) / 2u);
        memset(mrtc_i420_y(&t->black), 16, ysz);
        memset(mrtc_i420_u(&t->black), 128, csz);
        memset(mrtc_i420_v(&t->black), 128, csz);
        mrtc_vp8_encoder_config vc;
        mrtc_vp8_encoder_config_init(&vc);
        vc.width = t->width;
        vc.height = t->height;
        vc.fps = t->fps;
        vc.bitrate_kbps = t->bitrate_kbps;
        vc.temporal_layers = t->temporal_layers;
        err = mrtc_vp8_encoder_new(&vc, &t->vp8);
    }
    if (err) {
        track_destroy(t);
        return err;
    }
    t->period = MRTC_USEC(1000000u / t->fps);
    t->want_key = true;
    *out = t;
    return 0;
}

/* ---- Senders ------------------------------------------------------------------------------ */

int mrtc_track_attach(mrtc_track *t, struct pc_sender *s)
{
    for (size_t i = 0; i < t->n_senders; i++) {
        if (t->senders[i] == s)
            return 0;
    }
    if (t->n_senders == t->cap_senders) {
        size_t cap = t->cap_senders ? t->cap_senders * 2 : 4;
        struct pc_sender **n = mrtc_realloc(t->senders, cap * sizeof *n);
        if (!n)
            return MRTC_ENOMEM;
        t->senders = n;
        t->cap_senders = cap;
    }
    t->senders[t->n_senders++] = s;
    t->refs++;
    if (t->kind == MRTC_MEDIA_VIDEO)
        t->want_key = true; /* a new receiver needs a key frame to start */
    return 0;
}

void mrtc_track_detach(mrtc_track *t, struct pc_sender *s)
{
    for (size_t i = 0; i < t->n_senders; i++) {
        if (t->senders[i] == s) {
            t->senders[i] = t->senders[--t->n_senders];
            mrtc_track_free(t);
            return;
        }
    }
}

void mrtc_track_request_keyframe(mrtc_track *t)
{
    if (t->kind == MRTC_MEDIA_VIDEO)
        t->want_key = true;
}

void mrtc_track_encoder_stats(const mrtc_track *t, uint64_t *frames, uint64_t *keyframes)
{
    *frames = t->frames_encoded;
    *keyframes = t->keyframes_encoded;
}

static bool any_active(const mrtc_track *t)
{
    for (size_t i = 0; i < t->n_senders; i++) {
        if (mrtc_pc_sender_active(t->senders[i]))
            return true;
    }
    return false;
}

mrtc_time mrtc_track_next_timeout(const mrtc_track *t)
{
    if (t->src_type == (t->kind == MRTC_MEDIA_AUDIO ? (int)MRTC_AUDIO_SOURCE_APP
                                                    : (int)MRTC_VIDEO_SOURCE_APP))
        return MRTC_TIME_NEVER;
    if (!any_active(t))
        return MRTC_TIME_NEVER;
    return t->next_due == MRTC_TIME_NEVER ? 0 : t->next_due;
}

static void fan_out(mrtc_track *t, mrtc_time now, const mrtc_encoded_frame *f)
{
    for (size_t i = 0; i < t->n_senders; i++) {
        if (mrtc_pc_sender_active(t->senders[i]))
            mrtc_pc_sender_send_frame(t->senders[i], now, f);
    }
}

/* ---- Audio -------------------------------------------------------------------------------- */

/* RFC 6464 level: -dBov of the frame, 0..127. */
static uint8_t audio_level(const int16_t *pcm, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)pcm[i] * pcm[i];
    double rms = sqrt(sum / (double)n) / 32768.0;
    if (rms <= 1e-7)
        return 127;
    double db = -20.0 * log10(rms);
    return db > 127 ? 127 : (uint8_t)db;
}

static void read_wav(mrtc_track *t, int16_t *pcm)
{
    int16_t raw[MRTC_AUDIO_FRAME_SAMPLES * 2 * 4];
    if (!t->wav_rs) {
        int r = mrtc_wav_reader_read(t->wav, raw, MRTC_AUDIO_FRAME_SAMPLES);
        size_t got = r > 0 ? (size_t)r : 0;
        for (size_t i = 0; i < MRTC_AUDIO_FRAME_SAMPLES; i++)
            pcm[i] = i < got ? (t->wav_channels == 2 ? (int16_t)((raw[2 * i] + raw[2 * i + 1]) / 2)
                                                     : raw[i])
                             : 0;
        return;
    }
    /* Pull input until the resampler has produced a whole frame. */
    size_t have = 0;
    for (int guard = 0; guard < 16 && have < MRTC_AUDIO_FRAME_SAMPLES; guard++) {
        size_t want = (size_t)mrtc_resampler_input_for(t->wav_rs, MRTC_AUDIO_FRAME_SAMPLES - have);
        if (want > MRTC_AUDIO_FRAME_SAMPLES * 4)
            want = MRTC_AUDIO_FRAME_SAMPLES * 4;
        if (want == 0)
            want = 1;
        int r = mrtc_wav_reader_read(t->wav, raw, want);
        if (r <= 0)
            break;
        size_t got = (size_t)r;
        if (t->wav_channels == 2) {
            for (size_t i = 0; i < got; i++)
                raw[i] = (int16_t)((raw[2 * i] + raw[2 * i + 1]) / 2);
        }
        size_t made = 0;
        if (mrtc_resampler_process(t->wav_rs, raw, got, pcm + have, MRTC_AUDIO_FRAME_SAMPLES - have,
                                   &made) != 0)
            break;
        have += made;
    }
    if (have < MRTC_AUDIO_FRAME_SAMPLES)
        memset(pcm + have, 0, (MRTC_AUDIO_FRAME_SAMPLES - have) * sizeof *pcm);
}

static void read_audio(mrtc_track *t, int16_t *pcm)
{
    switch (t->src_type) {
    case MRTC_AUDIO_SOURCE_TONE:
        mrtc_tone_fill(&t->tone, pcm, MRTC_AUDIO_FRAME_SAMPLES);
        break;
    case MRTC_AUDIO_SOURCE_WAV:
        read_wav(t, pcm);
        break;
    case MRTC_AUDIO_SOURCE_MIC: {
        size_t got = mrtc_audio_capture_read(t->mic, pcm, MRTC_AUDIO_FRAME_SAMPLES);
        if (got < MRTC_AUDIO_FRAME_SAMPLES)
            memset(pcm + got, 0, (MRTC_AUDIO_FRAME_SAMPLES - got) * sizeof *pcm);
        break;
    }
    default:
        memset(pcm, 0, MRTC_AUDIO_FRAME_SAMPLES * sizeof *pcm);
        break;
    }
}

static int encode_audio(mrtc_track *t, mrtc_time now, const int16_t *pcm)
{
    int16_t silence[MRTC_AUDIO_FRAME_SAMPLES];
    if (!t->enabled) {
        memset(silence, 0, sizeof silence);
        pcm = silence;
    }
    int n = mrtc_opus_encoder_encode(t->opus, pcm, t->enc_buf, sizeof t->enc_buf);
    uint32_t ts = t->ts;
    t->ts += MRTC_AUDIO_FRAME_SAMPLES;
    t->frame_no++;
    if (n < 0) {
        MRTC_WARN(LOG_TAG, "track %s: Opus encoder failed: %s", t->id, mrtc_strerror(n));
        return MRTC_EIO;
    }
    t->frames_encoded++;
    if (n <= 2)
        return 0; /* DTX: nothing to send for this frame */
    mrtc_encoded_frame f = {.kind = MRTC_MEDIA_AUDIO, .data = t->enc_buf, .len = (size_t)n,
                            .ts = ts, .marker = false};
    f.audio_level = audio_level(pcm, MRTC_AUDIO_FRAME_SAMPLES);
    f.voice = f.audio_level < 60;
    fan_out(t, now, &f);
    return 0;
}

int mrtc_track_push_audio(mrtc_track *t, const mrtc_audio_frame *f)
{
    if (!t || !f || t->kind != MRTC_MEDIA_AUDIO || t->src_type != MRTC_AUDIO_SOURCE_APP ||
        !f->samples || f->frames != MRTC_AUDIO_FRAME_SAMPLES || f->rate != MRTC_AUDIO_RATE ||
        (f->channels != 1 && f->channels != 2))
        return MRTC_EINVAL;
    int16_t mono[MRTC_AUDIO_FRAME_SAMPLES];
    const int16_t *pcm = f->samples;
    if (f->channels == 2) {
        for (size_t i = 0; i < MRTC_AUDIO_FRAME_SAMPLES; i++)
            mono[i] = (int16_t)((f->samples[2 * i] + f->samples[2 * i + 1]) / 2);
        pcm = mono;
    }
    mrtc_time now = mrtc_pc_sender_now(t->n_senders ? t->senders[0] : NULL);
    return encode_audio(t, now, pcm);
}

/* ---- Video -------------------------------------------------------------------------------- */

/* One encoded picture, from the encoder (directly or through the worker). */
static void video_out(mrtc_track *t, mrtc_time now, const mrtc_vp8_encoded *enc, uint32_t ts,
                      bool key)
{
    if (enc->len == 0)
        return; /* dropped by rate control */
    if (key && enc->keyframe)
        t->want_key = false;
    t->frames_encoded++;
    if (enc->keyframe)
        t->keyframes_encoded++;
    mrtc_encoded_frame f = {.kind = MRTC_MEDIA_VIDEO, .data = enc->data, .len = enc->len,
                            .ts = ts, .keyframe = enc->keyframe, .marker = true,
                            .has_tid = t->temporal_layers > 1, .tid = enc->tid,
                            .layer_sync = enc->layer_sync, .tl0picidx = enc->tl0picidx};
    fan_out(t, now, &f);
}

static void encoded(void *owner, const mrtc_vp8_encoded *enc, uint32_t ts, bool forced_key)
{
    mrtc_track *t = owner;
    video_out(t, mrtc_pc_sender_now(t->n_senders ? t->senders[0] : NULL), enc, ts, forced_key);
}

static int encode_video(mrtc_track *t, mrtc_time now, const mrtc_video_frame *in)
{
    if (!t->enabled)
        in = &t->black.f;
    bool key = t->want_key;
    uint32_t ts = t->ts;
    t->frame_no++;
    if (t->worker) {
        int err = mrtc_encode_worker_submit(t->worker, in, ts, key);
        if (err == MRTC_EAGAIN) {
            t->frames_skipped++;
            MRTC_DEBUG(LOG_TAG, "track %s: encoder still busy, frame skipped (%llu so far)", t->id,
                       (unsigned long long)t->frames_skipped);
        }
        return err == MRTC_EAGAIN ? 0 : err;
    }
    mrtc_vp8_encoded enc;
    int err = mrtc_vp8_encoder_encode(t->vp8, in, ts, key, &enc);
    if (err) {
        MRTC_WARN(LOG_TAG, "track %s: VP8 encoder failed: %s", t->id, mrtc_strerror(err));
        return MRTC_EIO;
    }
    video_out(t, now, &enc, ts, key);
    return 0;
}

int mrtc_track_push_video(mrtc_track *t, const mrtc_video_frame *f)
{
    if (!t || !f || t->kind != MRTC_MEDIA_VIDEO || t->src_type != MRTC_VIDEO_SOURCE_APP ||
        f->width != t->width || f->height != t->height || !f->y || !f->u || !f->v ||
        f->stride_y < (int)f->width || f->stride_u < (int)((f->width + 1u) / 2) ||
        f->stride_v < (int)((f->width + 1u) / 2))
        return MRTC_EINVAL;
    mrtc_time now = mrtc_pc_sender_now(t->n_senders ? t->senders[0] : NULL);
    if (t->next_due != MRTC_TIME_NEVER && now > t->next_due)
        t->ts += (uint32_t)((now - t->next_due) * 90 / 1000);
    t->next_due = now;
    int err = encode_video(t, now, f);
    t->ts += 90000u / t->fps;
    return err;
}

static void video_tick(mrtc_track *t, mrtc_time now)
{
    mrtc_video_frame pic;
    int err = 0;
    if (t->src_type == MRTC_VIDEO_SOURCE_PATTERN)
        mrtc_pattern_draw(t->pattern, (uint32_t)t->frame_no, &pic);
    else if ((err = mrtc_y4m_reader_read(t->y4m, &pic)) == 1)
        err = 0;
    else if (err == 0)
        err = MRTC_EIO; /* a looping reader always has a frame, unless the file shrank */
    if (err) {
        MRTC_WARN(LOG_TAG, "track %s: video source failed: %s", t->id, mrtc_strerror(err));
        pic = t->black.f;
    }
    (void)encode_video(t, now, &pic);
}

void mrtc_track_handle_timeout(mrtc_track *t, mrtc_time now)
{
    mrtc_time due = mrtc_track_next_timeout(t);
    if (due == MRTC_TIME_NEVER || due > now)
        return;
    if (t->next_due == MRTC_TIME_NEVER)
        t->next_due = now; /* the first active sender: start now */
    if (now - t->next_due > MAX_CATCH_UP * t->period) {
        /* Far behind: no sender was active for a while (or the loop stalled). The missed
         * time is skipped (timestamps jump by it, as after a pause) instead of sending a
         * burst of old frames. */
        uint64_t missed = (now - t->next_due) / t->period;
        t->next_due += missed * t->period;
        t->ts += (uint32_t)(missed * (t->kind == MRTC_MEDIA_AUDIO ? MRTC_AUDIO_FRAME_SAMPLES
                                                                  : 90000u / t->fps));
        t->frame_no += missed;
    }
    if (t->kind == MRTC_MEDIA_AUDIO) {
        int16_t pcm[MRTC_AUDIO_FRAME_SAMPLES];
        int n = 0;
        while (t->next_due <= now && n++ < MAX_CATCH_UP) {
            read_audio(t, pcm);
            (void)encode_audio(t, now, pcm);
            t->next_due += t->period;
        }
        if (t->next_due <= now) { /* far behind (a stalled loop): drop the backlog */
            uint64_t missed = (now - t->next_due) / t->period + 1;
            t->next_due += missed * t->period;
            t->ts += (uint32_t)(missed * MRTC_AUDIO_FRAME_SAMPLES);
        }
        return;
    }
    video_tick(t, now);
    t->next_due += t->period;
    t->ts += 90000u / t->fps;
    if (t->next_due <= now) { /* skip the frames that are already late */
        uint64_t missed = (now - t->next_due) / t->period + 1;
        t->next_due += missed * t->period;
        t->ts += (uint32_t)(missed * (90000u / t->fps));
        t->frame_no += missed;
    }
}
