/*
 * Sine tone and beep generator for test audio. The continuous tone keeps a phase
 * accumulator (wrapped to [0, 2 pi)) so consecutive calls join without a click whatever
 * their sizes; beeps are computed from the sample index within their period, so every burst
 * is identical and starts exactly on a known sample, at full amplitude.
 *
 * Deliberately not done: other waveforms, fades (beep edges are meant to be sharp), dither.
 */
#include "media/tone.h"

#include "meshrtc/error.h"
#include "meshrtc/frame.h"

#include <math.h>
#include <string.h>

#define TWO_PI (2.0 * M_PI)

void mrtc_tone_config_init(mrtc_tone_config *cfg)
{
    *cfg = (mrtc_tone_config){
        .freq_hz = 440.0,
        .amplitude = 16384.0,
        .rate = MRTC_AUDIO_RATE,
        .channels = 1,
        .period_ms = 0,
        .on_ms = 200,
    };
}

int mrtc_tone_init(mrtc_tone *t, const mrtc_tone_config *cfg)
{
    if (!t || !cfg || cfg->rate < 8000 || cfg->rate > 192000 || cfg->channels < 1 ||
        cfg->channels > 2 || !(cfg->freq_hz > 0.0) || !(cfg->freq_hz < cfg->rate / 2.0) ||
        !(cfg->amplitude >= 0.0) || !(cfg->amplitude <= 32767.0))
        return MRTC_EINVAL;
    if (cfg->period_ms && (cfg->on_ms == 0 || cfg->on_ms >= cfg->period_ms))
        return MRTC_EINVAL;
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->step = TWO_PI * cfg->freq_hz / cfg->rate;
    if (cfg->period_ms) {
        t->period = (uint64_t)cfg->period_ms * cfg->rate / 1000;
        t->on = (uint64_t)cfg->on_ms * cfg->rate / 1000;
        if (t->on == 0 || t->on >= t->period)
            return MRTC_EINVAL;
    }
    return 0;
}

static int16_t sample(double v)
{
    return (int16_t)lrint(v);
}

void mrtc_tone_fill(mrtc_tone *t, int16_t *pcm, size_t frames)
{
    unsigned ch = t->cfg.channels;
    for (size_t i = 0; i < frames; i++) {
        int16_t s;
        if (t->period) {
            uint64_t in = t->pos % t->period;
            s = in < t->on ? sample(t->cfg.amplitude * cos(t->step * (double)in)) : 0;
        } else {
            s = sample(t->cfg.amplitude * sin(t->phase));
            t->phase += t->step;
            if (t->phase >= TWO_PI)
                t->phase -= TWO_PI;
        }
        for (unsigned c = 0; c < ch; c++)
            pcm[i * ch + c] = s;
        t->pos++;
    }
}

uint64_t mrtc_tone_position(const mrtc_tone *t)
{
    return t->pos;
}

uint64_t mrtc_tone_onset(const mrtc_tone *t, uint64_t k)
{
    return k * t->period;
}
