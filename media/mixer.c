/*
 * The audio mixer of media/mixer.h. Each input's FIFO is a media/ring.h ring used from one
 * thread (the loop thread is both its producer and its consumer). Mixing works through the
 * request in blocks of one 20 ms frame (MRTC_AUDIO_FRAME_SAMPLES): each input's samples are
 * read into a scratch block, converted to the mix's channel layout and added into a 32-bit
 * accumulator, which is then saturated to int16 (hard clipping: a sum beyond full scale
 * stays at full scale instead of wrapping around).
 *
 * Deliberately not done: soft limiting or automatic gain (the inputs are speech from
 * different peers and rarely all loud at once; clipping is counted by nobody and heard as
 * distortion only when it happens), per-input gain, clock-drift compensation between a
 * remote sender and the local device (a FIFO that fills up drops what does not fit), and
 * resampling (every input is at MRTC_AUDIO_RATE).
 */
#include "media/mixer.h"

#include "core/util/alloc.h"
#include "media/ring.h"
#include "meshrtc/error.h"
#include "meshrtc/frame.h"

#include <stdbool.h>
#include <string.h>

#define BLOCK MRTC_AUDIO_FRAME_SAMPLES /* frames mixed at a time */

struct mrtc_mixer_input {
    mrtc_mixer *mixer;
    mrtc_mixer_input *prev, *next;
    unsigned channels;
    mrtc_ring *fifo;
    bool started;
    uint64_t pushed, dropped, mixed, underruns, underrun_frames;
};

struct mrtc_mixer {
    unsigned channels;
    mrtc_mixer_input *head;
    size_t count;
    int32_t acc[BLOCK * 2];
    int16_t scratch[BLOCK * 2];
};

int mrtc_mixer_new(unsigned channels, mrtc_mixer **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (channels < 1 || channels > 2)
        return MRTC_EINVAL;
    mrtc_mixer *m = mrtc_calloc(1, sizeof *m);
    if (!m)
        return MRTC_ENOMEM;
    m->channels = channels;
    *out = m;
    return 0;
}

void mrtc_mixer_free(mrtc_mixer *m)
{
    if (!m)
        return;
    while (m->head)
        mrtc_mixer_input_free(m->head);
    mrtc_free(m);
}

int mrtc_mixer_input_new(mrtc_mixer *m, unsigned channels, mrtc_mixer_input **out)
{
    int err = 0;
    mrtc_mixer_input *in = NULL;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!m || channels < 1 || channels > 2)
        return MRTC_EINVAL;
    in = mrtc_calloc(1, sizeof *in);
    if (!in) {
        err = MRTC_ENOMEM;
        goto out;
    }
    in->channels = channels;
    err = mrtc_ring_new(MRTC_MIXER_DEFAULT_INPUT_FRAMES * channels, &in->fifo);
    if (err)
        goto out;
    in->mixer = m;
    in->next = m->head;
    if (m->head)
        m->head->prev = in;
    m->head = in;
    m->count++;
    *out = in;
    in = NULL;
out:
    if (in)
        mrtc_free(in);
    return err;
}

void mrtc_mixer_input_free(mrtc_mixer_input *in)
{
    if (!in)
        return;
    mrtc_mixer *m = in->mixer;
    if (in->prev)
        in->prev->next = in->next;
    else
        m->head = in->next;
    if (in->next)
        in->next->prev = in->prev;
    m->count--;
    mrtc_ring_free(in->fifo);
    mrtc_free(in);
}

size_t mrtc_mixer_input_push(mrtc_mixer_input *in, const int16_t *pcm, size_t frames)
{
    if (!in || !pcm || frames == 0)
        return 0;
    /* The FIFO's capacity is a multiple of the channel count, and so is every write and
     * read: a short write still ends on a frame boundary. */
    size_t n = mrtc_ring_write(in->fifo, pcm, frames * in->channels) / in->channels;
    in->pushed += n;
    in->dropped += frames - n;
    if (n)
        in->started = true;
    return n;
}

void mrtc_mixer_input_get_stats(const mrtc_mixer_input *in, mrtc_mixer_input_stats *out)
{
    memset(out, 0, sizeof *out);
    out->queued_frames = mrtc_ring_available(in->fifo) / in->channels;
    out->pushed_frames = in->pushed;
    out->dropped_frames = in->dropped;
    out->mixed_frames = in->mixed;
    out->underruns = in->underruns;
    out->underrun_frames = in->underrun_frames;
}

size_t mrtc_mixer_input_count(const mrtc_mixer *m)
{
    return m->count;
}

/* Adds n frames of scratch (in the input's layout) into the accumulator (the mix's). */
static void accumulate(mrtc_mixer *m, unsigned in_ch, size_t n)
{
    const int16_t *s = m->scratch;
    int32_t *acc = m->acc;

    if (in_ch == m->channels) {
        for (size_t i = 0; i < n * in_ch; i++)
            acc[i] += s[i];
    } else if (in_ch == 1) { /* mono into stereo */
        for (size_t i = 0; i < n; i++) {
            acc[2 * i] += s[i];
            acc[2 * i + 1] += s[i];
        }
    } else { /* stereo into mono: the average; the accumulator keeps the half */
        for (size_t i = 0; i < n; i++) {
            int32_t sum = (int32_t)s[2 * i] + s[2 * i + 1];
            acc[i] += sum >= 0 ? sum / 2 : -((-sum + 1) / 2);
        }
    }
}

void mrtc_mixer_mix(mrtc_mixer *m, int16_t *out, size_t frames)
{
    unsigned ch = m->channels;

    while (frames > 0) {
        size_t block = frames < BLOCK ? frames : BLOCK;
        memset(m->acc, 0, block * ch * sizeof m->acc[0]);
        for (mrtc_mixer_input *in = m->head; in; in = in->next) {
            size_t got = mrtc_ring_read(in->fifo, m->scratch, block * in->channels) / in->channels;
            in->mixed += got;
            if (got < block && in->started) {
                in->underruns++;
                in->underrun_frames += block - got;
            }
            accumulate(m, in->channels, got);
        }
        for (size_t i = 0; i < block * ch; i++) {
            int32_t v = m->acc[i];
            out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        }
        out += block * ch;
        frames -= block;
    }
}
