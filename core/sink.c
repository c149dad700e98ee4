/*
 * Sinks for remote tracks (include/meshrtc/media.h): application callbacks, WAV (decoded
 * audio), IVF (received VP8 frames, no re-encoding), Y4M (decoded pictures), and the
 * speaker: a mixer with one input per remote audio track feeding one PortAudio playback
 * stream.
 *
 *   - The IVF file is created at the first key frame, whose dimensions it records; frames
 *     before it are not decodable and are skipped. Timestamps are the RTP timestamps
 *     (timebase 1/90000) relative to the first frame.
 *   - The Y4M file takes the size of the first picture; pictures of another size (the
 *     sender changed resolution) are skipped and counted, since Y4M has one size per file.
 *   - The speaker mixes every 20 ms on the loop clock (ticked by the PeerConnections whose
 *     receivers feed it) and hands the mix to the device ring; the device's own clock
 *     drains it on PortAudio's thread.
 */
#include "core/media_impl.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "media/audio_dev.h"
#include "media/ivf.h"
#include "media/mixer.h"
#include "media/wav.h"
#include "media/y4m.h"
#include "meshrtc/error.h"

#include <string.h>

#define LOG_TAG "media"

typedef enum sink_type { SINK_CALLBACKS, SINK_WAV, SINK_IVF, SINK_Y4M, SINK_SPEAKER } sink_type;

struct mrtc_speaker {
    int refs;
    mrtc_mixer *mixer;
    mrtc_audio_playback *playback;
    mrtc_time next_due; /* NEVER until an input delivered audio */
    bool starting;      /* audio arrived: the next tick starts the 20 ms cadence */
};

struct mrtc_sink {
    int refs;
    sink_type type;
    mrtc_sink_callbacks cbs;
    void *user;
    char *path;
    mrtc_wav_writer *wav;
    mrtc_ivf_writer *ivf;
    bool ivf_failed;
    uint32_t ivf_first_ts;
    mrtc_y4m_writer *y4m;
    bool y4m_failed;
    uint64_t skipped;
    mrtc_speaker *speaker;
    mrtc_mixer_input *input;
};

static int sink_alloc(sink_type type, const char *path, mrtc_sink **out)
{
    *out = NULL;
    mrtc_sink *s = mrtc_calloc(1, sizeof *s);
    if (!s)
        return MRTC_ENOMEM;
    s->refs = 1;
    s->type = type;
    if (path && !(s->path = mrtc_strdup(path))) {
        mrtc_free(s);
        return MRTC_ENOMEM;
    }
    *out = s;
    return 0;
}

int mrtc_sink_new_callbacks(const mrtc_sink_callbacks *cbs, void *user, mrtc_sink **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cbs || (!cbs->audio && !cbs->video && !cbs->encoded))
        return MRTC_EINVAL;
    int err = sink_alloc(SINK_CALLBACKS, NULL, out);
    if (!err) {
        (*out)->cbs = *cbs;
        (*out)->user = user;
    }
    return err;
}

int mrtc_sink_new_wav(const char *path, mrtc_sink **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!path || !*path)
        return MRTC_EINVAL;
    mrtc_sink *s;
    int err = sink_alloc(SINK_WAV, path, &s);
    if (err)
        return err;
    err = mrtc_wav_writer_open(path, MRTC_AUDIO_RATE, 1, &s->wav);
    if (err) {
        MRTC_ERROR(LOG_TAG, "%s: cannot create the WAV file (%s)", path, mrtc_strerror(err));
        mrtc_sink_free(s);
        return MRTC_EIO;
    }
    *out = s;
    return 0;
}

int mrtc_sink_new_ivf(const char *path, mrtc_sink **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!path || !*path)
        return MRTC_EINVAL;
    return sink_alloc(SINK_IVF, path, out);
}

int mrtc_sink_new_y4m(const char *path, mrtc_sink **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!path || !*path)
        return MRTC_EINVAL;
    return sink_alloc(SINK_Y4M, path, out);
}

/* ---- Speaker ------------------------------------------------------------------------------ */

int mrtc_speaker_new(mrtc_runtime *rt, const char *device, mrtc_speaker **out)
{
    if (out)
        *out = NULL;
    if (!rt)
        return MRTC_EINVAL;
    return mrtc_speaker_create(device, out);
}

int mrtc_speaker_create(const char *device, mrtc_speaker **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    mrtc_speaker *sp = mrtc_calloc(1, sizeof *sp);
    if (!sp)
        return MRTC_ENOMEM;
    sp->refs = 1;
    sp->next_due = MRTC_TIME_NEVER;
    int err = mrtc_mixer_new(1, &sp->mixer);
    if (!err) {
        err = mrtc_audio_playback_open(device, 1, &sp->playback);
        if (err)
            err = MRTC_EIO;
    }
    if (err) {
        mrtc_mixer_free(sp->mixer);
        mrtc_free(sp);
        return err;
    }
    *out = sp;
    return 0;
}

static void speaker_unref(mrtc_speaker *sp)
{
    if (sp && --sp->refs == 0) {
        mrtc_audio_playback_close(sp->playback);
        mrtc_mixer_free(sp->mixer);
        mrtc_free(sp);
    }
}

void mrtc_speaker_free(mrtc_speaker *sp)
{
    speaker_unref(sp);
}

int mrtc_sink_new_speaker(mrtc_speaker *sp, mrtc_sink **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!sp)
        return MRTC_EINVAL;
    mrtc_sink *s;
    int err = sink_alloc(SINK_SPEAKER, NULL, &s);
    if (err)
        return err;
    err = mrtc_mixer_input_new(sp->mixer, 1, &s->input);
    if (err) {
        mrtc_free(s);
        return err;
    }
    s->speaker = sp;
    sp->refs++;
    *out = s;
    return 0;
}

mrtc_speaker *mrtc_sink_speaker(const mrtc_sink *s)
{
    return s->speaker;
}

mrtc_time mrtc_speaker_next_timeout(const mrtc_speaker *sp)
{
    return sp->next_due;
}

void mrtc_speaker_handle_timeout(mrtc_speaker *sp, mrtc_time now)
{
    int16_t mix[MRTC_AUDIO_FRAME_SAMPLES];
    int guard = 0;
    if (sp->starting) {
        sp->starting = false;
        sp->next_due = now;
    }
    while (sp->next_due <= now && guard++ < 10) {
        mrtc_mixer_mix(sp->mixer, mix, MRTC_AUDIO_FRAME_SAMPLES);
        (void)mrtc_audio_playback_write(sp->playback, mix, MRTC_AUDIO_FRAME_SAMPLES);
        sp->next_due += MRTC_MSEC(20);
    }
    if (sp->next_due <= now)
        sp->next_due = now + MRTC_MSEC(20);
}

/* ---- Common ------------------------------------------------------------------------------- */

void mrtc_sink_ref(mrtc_sink *s)
{
    s->refs++;
}

void mrtc_sink_free(mrtc_sink *s)
{
    if (!s || --s->refs > 0)
        return;
    mrtc_wav_writer_close(s->wav);
    mrtc_ivf_writer_close(s->ivf);
    mrtc_y4m_writer_close(s->y4m);
    if (s->input)
        mrtc_mixer_input_free(s->input);
    speaker_unref(s->speaker);
    mrtc_free(s->path);
    mrtc_free(s);
}

bool mrtc_sink_wants_audio(const mrtc_sink *s)
{
    return s->type == SINK_WAV || s->type == SINK_SPEAKER ||
           (s->type == SINK_CALLBACKS && s->cbs.audio);
}

bool mrtc_sink_wants_video(const mrtc_sink *s)
{
    return s->type == SINK_Y4M || (s->type == SINK_CALLBACKS && s->cbs.video);
}

bool mrtc_sink_wants_encoded(const mrtc_sink *s)
{
    return s->type == SINK_IVF || (s->type == SINK_CALLBACKS && s->cbs.encoded);
}

bool mrtc_sink_accepts(const mrtc_sink *s, mrtc_media_kind kind)
{
    switch (s->type) {
    case SINK_WAV:
    case SINK_SPEAKER:
        return kind == MRTC_MEDIA_AUDIO;
    case SINK_IVF:
    case SINK_Y4M:
        return kind == MRTC_MEDIA_VIDEO;
    default:
        return true;
    }
}

void mrtc_sink_deliver_audio(mrtc_sink *s, const mrtc_audio_frame *f)
{
    switch (s->type) {
    case SINK_WAV:
        (void)mrtc_wav_writer_write(s->wav, f->samples, f->frames);
        break;
    case SINK_SPEAKER:
        (void)mrtc_mixer_input_push(s->input, f->samples, f->frames);
        if (s->speaker->next_due == MRTC_TIME_NEVER) {
            s->speaker->next_due = 0; /* due at once: the tick sets the cadence from now */
            s->speaker->starting = true;
        }
        break;
    case SINK_CALLBACKS:
        if (s->cbs.audio)
            s->cbs.audio(f, s->user);
        break;
    default:
        break;
    }
}

void mrtc_sink_deliver_video(mrtc_sink *s, const mrtc_video_frame *f, uint32_t rtp_ts)
{
    if (s->type == SINK_CALLBACKS) {
        if (s->cbs.video)
            s->cbs.video(f, rtp_ts, s->user);
        return;
    }
    if (s->type != SINK_Y4M || s->y4m_failed)
        return;
    if (!s->y4m) {
        int err = mrtc_y4m_writer_open(s->path, f->width, f->height, 30, 1, &s->y4m);
        if (err) {
            MRTC_ERROR(LOG_TAG, "%s: cannot create the Y4M file (%s)", s->path, mrtc_strerror(err));
            s->y4m_failed = true;
            return;
        }
    }
    if (mrtc_y4m_writer_write(s->y4m, f) != 0)
        s->skipped++;
}

void mrtc_sink_deliver_encoded(mrtc_sink *s, const uint8_t *data, size_t len, uint32_t rtp_ts,
                               bool keyframe, uint16_t width, uint16_t height)
{
    if (s->type == SINK_CALLBACKS) {
        if (s->cbs.encoded)
            s->cbs.encoded(data, len, rtp_ts, keyframe, s->user);
        return;
    }
    if (s->type != SINK_IVF || s->ivf_failed)
        return;
    if (!s->ivf) {
        if (!keyframe || !width || !height)
            return;
        int err = mrtc_ivf_writer_open(s->path, "VP80", width, height, &s->ivf);
        if (err) {
            MRTC_ERROR(LOG_TAG, "%s: cannot create the IVF file (%s)", s->path, mrtc_strerror(err));
            s->ivf_failed = true;
            return;
        }
        s->ivf_first_ts = rtp_ts;
    }
    (void)mrtc_ivf_writer_write(s->ivf, data, len, (uint64_t)(uint32_t)(rtp_ts - s->ivf_first_ts));
}
