/*
 * A sine tone generator for test audio: a continuous tone, or beeps (a burst of tone every
 * period_ms, silence in between) whose onsets fall on known sample indices so a recording
 * can be searched for them to measure latency. No allocation: the state lives in caller
 * storage.
 */
#ifndef MRTC_MEDIA_TONE_H
#define MRTC_MEDIA_TONE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mrtc_tone_config {
    double freq_hz;     /* > 0 and below rate/2; default 440 */
    double amplitude;   /* peak, 0..32767; default 16384 (-6 dBFS) */
    unsigned rate;      /* samples per second, 8000..192000; default MRTC_AUDIO_RATE */
    unsigned channels;  /* 1 or 2 (the same sample in both); default 1 */
    unsigned period_ms; /* 0: continuous tone (default); else one beep every period_ms */
    unsigned on_ms;     /* beep length, 1..period_ms-1 when period_ms is set; default 200 */
} mrtc_tone_config;

/* Sets the defaults: a continuous 440 Hz tone at half scale, 48 kHz mono. */
void mrtc_tone_config_init(mrtc_tone_config *cfg);

/* Generator state; fields are private. */
typedef struct mrtc_tone {
    mrtc_tone_config cfg;
    double step;     /* phase advance per sample, radians */
    double phase;    /* continuous mode: phase of the next sample */
    uint64_t pos;    /* index of the next sample (per channel) */
    uint64_t period; /* beep mode: samples per period */
    uint64_t on;     /* beep mode: samples of tone per period */
} mrtc_tone;

/* Starts a generator at sample 0. A continuous tone starts at phase 0 and stays phase
 * continuous across calls. A beep starts each burst at the crest of a cosine (its first
 * sample is +amplitude), so the onset is sharp: burst k starts at sample
 * mrtc_tone_onset(t, k) = k * (period_ms * rate / 1000) and lasts on_ms * rate / 1000
 * samples. Returns 0 or MRTC_EINVAL for an invalid config (or NULL). */
int mrtc_tone_init(mrtc_tone *t, const mrtc_tone_config *cfg);

/* Writes the next frames sample frames (interleaved when stereo) into pcm. */
void mrtc_tone_fill(mrtc_tone *t, int16_t *pcm, size_t frames);

/* Index (per channel) of the next sample mrtc_tone_fill will produce. */
uint64_t mrtc_tone_position(const mrtc_tone *t);

/* Sample index of the k-th beep onset (k from 0); 0 for a continuous tone. */
uint64_t mrtc_tone_onset(const mrtc_tone *t, uint64_t k);

#endif
