/*
 * Capture and playback through PortAudio (media/audio_dev.h).
 *
 * Each open device is one PortAudio callback stream of interleaved int16 at the device's
 * default rate. Its callback runs on PortAudio's thread and does nothing but copy: capture
 * writes the device's input into a media/ring.h ring; playback reads the device's output
 * from one and plays silence for whatever is missing (an underrun, counted once audio has
 * started). The callbacks never lock, allocate, log or call back into PortAudio; their
 * counters are atomics written by that thread alone.
 *
 * The caller's thread (the loop thread) does the rest: capture drains the ring in blocks,
 * mixes stereo down to mono and converts to 48 kHz (media/resample.h) into a small pending
 * buffer that mrtc_audio_capture_read serves from; playback converts the caller's 48 kHz
 * frames to the device rate and layout and writes them into the ring, accepting only what is
 * sure to fit so a write is never cut inside a frame. Rings carry whole frames: their
 * capacities are powers of two and every write and read is a multiple of the channel count
 * (1 or 2).
 *
 * PortAudio's Pa_Initialize/Pa_Terminate are reference-counted under a mutex, which also
 * serialises every other PortAudio call made here (device lookup, open, start, stop, close):
 * PortAudio does not promise that those are thread-safe.
 *
 * Deliberately not done: full-duplex streams and echo cancellation (capture and playback
 * are separate streams, possibly on different devices), clock-drift compensation between
 * the device and the network (a playback ring that runs dry plays silence; one that fills up
 * refuses writes), hot-plugging, and more than two device channels.
 */
#include "media/audio_dev.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "media/resample.h"
#include "media/ring.h"
#include "meshrtc/error.h"
#include "meshrtc/frame.h"

#include <ctype.h>
#include <dlfcn.h>
#include <portaudio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "audio"
#define BLOCK 480 /* frames converted at a time (10 ms at 48 kHz) */
/* The least latency asked of the host API, in ms; MESHRTC_AUDIO_LATENCY_MS overrides it.
 * PortAudio's own choice for ALSA's pulse plugin (9 ms) glitches as soon as the machine is
 * busy; see docs/audio.md. */
#define DEFAULT_LATENCY_MS 50

static pthread_mutex_t pa_mutex = PTHREAD_MUTEX_INITIALIZER;
static unsigned pa_refs;
static bool pa_quiet; /* the host libraries' messages are silenced */

/* What both directions share. */
typedef struct dev_common {
    PaStream *stream;
    bool pa_held;
    mrtc_ring *ring;    /* device rate, device channels */
    mrtc_resampler *rs; /* capture: device -> 48 kHz mono; playback: 48 kHz -> device */
    unsigned rate, channels;
    double latency;
    char name[MRTC_AUDIO_DEV_NAME_MAX];
    /* Written by the audio callback only. */
    _Atomic uint64_t callbacks, frames, host_overflows, host_underflows;
} dev_common;

struct mrtc_audio_capture {
    dev_common d;
    int16_t *raw;  /* BLOCK device frames */
    int16_t *pend; /* converted 48 kHz mono frames not yet read */
    size_t pend_cap, pend_len, pend_off;
};

struct mrtc_audio_playback {
    dev_common d;
    unsigned channels;     /* the caller's layout */
    int16_t *scratch;      /* one converted block, in the device layout */
    size_t scratch_frames; /* its capacity */
    uint64_t overruns, overrun_frames;
    bool started; /* audio thread only: the ring has delivered audio once */
};

/* ---- PortAudio lifetime and errors ---- */

static int pa_error(const char *what, PaError e)
{
    if (e == paUnanticipatedHostError) {
        const PaHostErrorInfo *h = Pa_GetLastHostErrorInfo();
        MRTC_ERROR(LOG_TAG, "%s: %s (host error %ld: %s)", what, Pa_GetErrorText(e),
                   h ? h->errorCode : 0, h && h->errorText ? h->errorText : "");
    } else {
        MRTC_ERROR(LOG_TAG, "%s: %s", what, Pa_GetErrorText(e));
    }
    return MRTC_EIO;
}

/* While PortAudio enumerates devices, ALSA reports every configured PCM it cannot open
 * (tens of lines on a machine without a sound card) and JACK that no server runs; while
 * streams run, ALSA reports each xrun (which the stats count). All of it goes to stderr, from
 * any thread. The libraries' message handlers are swapped for quiet ones from Pa_Initialize
 * to Pa_Terminate, unless MESHRTC_AUDIO_VERBOSE is set. They are found with dlsym, since
 * PortAudio loads these libraries, not us (NULL when absent). */
typedef void (*alsa_error_handler)(const char *file, int line, const char *function, int err,
                                   const char *fmt, ...);
typedef int (*alsa_set_handler_fn)(alsa_error_handler handler);
typedef void (*jack_set_fn)(void (*func)(const char *msg));

static void alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt,
                       ...)
{
}

static void jack_quiet(const char *msg)
{
}

/* What JACK does by default with both kinds of message. */
static void jack_to_stderr(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
}

static void quiet_host_libraries(bool quiet)
{
    alsa_set_handler_fn alsa =
        (alsa_set_handler_fn)dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler");
    jack_set_fn jack_error = (jack_set_fn)dlsym(RTLD_DEFAULT, "jack_set_error_function");
    jack_set_fn jack_info = (jack_set_fn)dlsym(RTLD_DEFAULT, "jack_set_info_function");

    if (alsa)
        alsa(quiet ? alsa_quiet : NULL); /* NULL: ALSA's default handler */
    if (jack_error)
        jack_error(quiet ? jack_quiet : jack_to_stderr);
    if (jack_info)
        jack_info(quiet ? jack_quiet : jack_to_stderr);
}

/* Takes a reference on PortAudio, initialising it for the first. Called with pa_mutex held. */
static int pa_acquire_locked(void)
{
    if (pa_refs == 0) {
        bool quiet = !getenv("MESHRTC_AUDIO_VERBOSE");
        if (quiet)
            quiet_host_libraries(true);
        PaError e = Pa_Initialize();
        if (e != paNoError) {
            if (quiet)
                quiet_host_libraries(false);
            return pa_error("Pa_Initialize", e);
        }
        pa_quiet = quiet;
    }
    pa_refs++;
    return 0;
}

static void pa_release_locked(void)
{
    if (pa_refs > 0 && --pa_refs == 0) {
        Pa_Terminate();
        if (pa_quiet)
            quiet_host_libraries(false);
        pa_quiet = false;
    }
}

static uint64_t load(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Audio thread: adds to a counter only that thread writes. */
static void bump(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, load(c) + v, memory_order_relaxed);
}

static void note_callback(dev_common *d, unsigned long frames, PaStreamCallbackFlags flags)
{
    bump(&d->callbacks, 1);
    bump(&d->frames, frames);
    if (flags & paInputOverflow)
        bump(&d->host_overflows, 1);
    if (flags & paOutputUnderflow)
        bump(&d->host_underflows, 1);
}

/* ---- Device lookup (pa_mutex held) ---- */

static int channels_of(const PaDeviceInfo *info, bool input)
{
    return input ? info->maxInputChannels : info->maxOutputChannels;
}

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static int find_device(const char *spec, bool input, PaDeviceIndex *out)
{
    const char *dir = input ? "input" : "output";
    PaDeviceIndex n = Pa_GetDeviceCount();

    if (n < 0)
        return pa_error("Pa_GetDeviceCount", n);
    if (!spec || !*spec || strcasecmp(spec, "default") == 0) {
        PaDeviceIndex idx = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
        if (idx == paNoDevice) {
            MRTC_ERROR(LOG_TAG, "no default %s device (%d devices)", dir, (int)n);
            return MRTC_ENOTFOUND;
        }
        *out = idx;
        return 0;
    }
    if (all_digits(spec)) {
        long idx = strtol(spec, NULL, 10);
        if (idx < n && channels_of(Pa_GetDeviceInfo((PaDeviceIndex)idx), input) > 0) {
            *out = (PaDeviceIndex)idx;
            return 0;
        }
    } else {
        /* An exact name first, then the first name containing spec. */
        for (int pass = 0; pass < 2; pass++) {
            for (PaDeviceIndex i = 0; i < n; i++) {
                const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
                if (!info || !info->name || channels_of(info, input) <= 0)
                    continue;
                if (pass == 0 ? strcasecmp(info->name, spec) == 0
                              : strcasestr(info->name, spec) != NULL) {
                    *out = i;
                    return 0;
                }
            }
        }
    }
    MRTC_ERROR(LOG_TAG, "no %s device matches \"%s\"", dir, spec);
    return MRTC_ENOTFOUND;
}

/* Picks the stream's channel count and rate: `want` channels if the device has them (else
 * the other of 1 and 2), at the device's default rate, else 48000 or 44100. */
static int choose_format(PaDeviceIndex idx, bool input, unsigned want, PaStreamParameters *sp,
                         unsigned *rate)
{
    const PaDeviceInfo *info = Pa_GetDeviceInfo(idx);
    unsigned chans[2] = {want, want == 1 ? 2 : 1};
    double def = info->defaultSampleRate;
    unsigned rates[3] = {(unsigned)(def + 0.5), 48000, 44100};
    PaError last = paInvalidSampleRate;

    memset(sp, 0, sizeof *sp);
    sp->device = idx;
    sp->sampleFormat = paInt16;
    sp->suggestedLatency = input ? info->defaultLowInputLatency : info->defaultLowOutputLatency;
    double min_latency = DEFAULT_LATENCY_MS / 1000.0;
    const char *env = getenv("MESHRTC_AUDIO_LATENCY_MS");
    if (env && atoi(env) > 0 && atoi(env) <= 2000)
        min_latency = atoi(env) / 1000.0;
    if (sp->suggestedLatency < min_latency)
        sp->suggestedLatency = min_latency;
    for (int c = 0; c < 2; c++) {
        if ((int)chans[c] > channels_of(info, input))
            continue;
        sp->channelCount = (int)chans[c];
        for (int r = 0; r < 3; r++) {
            if (rates[r] < MRTC_RESAMPLE_MIN_RATE || rates[r] > MRTC_RESAMPLE_MAX_RATE)
                continue;
            last = Pa_IsFormatSupported(input ? sp : NULL, input ? NULL : sp, rates[r]);
            if (last == paFormatIsSupported) {
                *rate = rates[r];
                return 0;
            }
        }
    }
    return pa_error("Pa_IsFormatSupported", last);
}

/* Opens (not starts) the stream of d on `device` and fills d's format fields. */
static int open_stream(dev_common *d, const char *device, bool input, unsigned want_channels,
                       PaStreamCallback *cb, void *user)
{
    int err = 0;
    PaDeviceIndex idx = paNoDevice;
    PaStreamParameters sp;
    unsigned rate = 0;

    pthread_mutex_lock(&pa_mutex);
    err = pa_acquire_locked();
    if (err)
        goto out;
    d->pa_held = true;
    err = find_device(device, input, &idx);
    if (err)
        goto out;
    err = choose_format(idx, input, want_channels, &sp, &rate);
    if (err)
        goto out;
    PaError e = Pa_OpenStream(&d->stream, input ? &sp : NULL, input ? NULL : &sp, rate,
                              paFramesPerBufferUnspecified, paNoFlag, cb, user);
    if (e != paNoError) {
        d->stream = NULL;
        err = pa_error("Pa_OpenStream", e);
        goto out;
    }
    const PaStreamInfo *si = Pa_GetStreamInfo(d->stream);
    d->latency = si ? (input ? si->inputLatency : si->outputLatency) : 0.0;
    d->rate = rate;
    d->channels = (unsigned)sp.channelCount;
    snprintf(d->name, sizeof d->name, "%s", Pa_GetDeviceInfo(idx)->name);
out:
    pthread_mutex_unlock(&pa_mutex);
    return err;
}

/* Allocates the ring for MRTC_AUDIO_RING_MS of device audio. */
static int make_ring(dev_common *d)
{
    size_t samples = (size_t)d->rate * MRTC_AUDIO_RING_MS / 1000 * d->channels;
    return mrtc_ring_new(samples, &d->ring);
}

static int start_stream(dev_common *d, bool input)
{
    int err = 0;
    pthread_mutex_lock(&pa_mutex);
    PaError e = Pa_StartStream(d->stream);
    if (e != paNoError)
        err = pa_error("Pa_StartStream", e);
    pthread_mutex_unlock(&pa_mutex);
    if (!err)
        MRTC_INFO(LOG_TAG, "%s \"%s\": %u Hz, %u channel(s), latency %.1f ms",
                  input ? "capture from" : "playback to", d->name, d->rate, d->channels,
                  d->latency * 1000.0);
    return err;
}

/* Stops and closes the stream (the callback has returned for good after this), drops the
 * PortAudio reference and frees the ring and converter. */
static void close_common(dev_common *d)
{
    pthread_mutex_lock(&pa_mutex);
    if (d->stream) {
        PaError e = Pa_AbortStream(d->stream);
        if (e != paNoError && e != paStreamIsStopped)
            pa_error("Pa_AbortStream", e);
        e = Pa_CloseStream(d->stream);
        if (e != paNoError)
            pa_error("Pa_CloseStream", e);
        d->stream = NULL;
    }
    if (d->pa_held)
        pa_release_locked();
    d->pa_held = false;
    pthread_mutex_unlock(&pa_mutex);
    mrtc_ring_free(d->ring);
    mrtc_resampler_free(d->rs);
}

static void common_stats(const dev_common *d, mrtc_audio_dev_stats *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->device, sizeof out->device, "%s", d->name);
    out->device_rate = d->rate;
    out->device_channels = d->channels;
    out->latency = d->latency;
    out->callbacks = load(&d->callbacks);
    out->device_frames = load(&d->frames);
    out->host_overflows = load(&d->host_overflows);
    out->host_underflows = load(&d->host_underflows);
}

/* ---- Capture ---- */

/* Audio thread. */
static int capture_cb(const void *input, void *output, unsigned long frames,
                      const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *user)
{
    mrtc_audio_capture *c = user;
    note_callback(&c->d, frames, flags);
    if (input)
        mrtc_ring_write(c->d.ring, input, frames * c->d.channels);
    return paContinue;
}

int mrtc_audio_capture_open(const char *device, mrtc_audio_capture **out)
{
    int err = 0;
    mrtc_audio_capture *c = NULL;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    c = mrtc_calloc(1, sizeof *c);
    if (!c)
        return MRTC_ENOMEM;
    err = open_stream(&c->d, device, true, 1, capture_cb, c);
    if (err)
        goto out;
    err = make_ring(&c->d);
    if (err)
        goto out;
    err = mrtc_resampler_new(c->d.rate, MRTC_AUDIO_RATE, 1, &c->d.rs);
    if (err)
        goto out;
    /* One block of device frames makes at most this many 48 kHz frames. */
    c->pend_cap = ((size_t)BLOCK * MRTC_AUDIO_RATE + c->d.rate - 1) / c->d.rate + 2;
    c->raw = mrtc_malloc((size_t)BLOCK * c->d.channels * sizeof *c->raw);
    c->pend = mrtc_malloc(c->pend_cap * sizeof *c->pend);
    if (!c->raw || !c->pend) {
        err = MRTC_ENOMEM;
        goto out;
    }
    err = start_stream(&c->d, true);
    if (err)
        goto out;
    *out = c;
    c = NULL;
out:
    mrtc_audio_capture_close(c);
    return err;
}

void mrtc_audio_capture_close(mrtc_audio_capture *c)
{
    if (!c)
        return;
    close_common(&c->d);
    mrtc_free(c->raw);
    mrtc_free(c->pend);
    mrtc_free(c);
}

/* Converts one block from the ring into the (empty) pending buffer. False when the ring
 * was empty. */
static bool capture_refill(mrtc_audio_capture *c)
{
    unsigned ch = c->d.channels;
    size_t n = mrtc_ring_read(c->d.ring, c->raw, (size_t)BLOCK * ch) / ch;
    size_t made = 0;

    if (n == 0)
        return false;
    if (ch == 2)
        mrtc_resample_stereo_to_mono(c->raw, n, c->raw);
    /* pend_cap covers a whole block, so this cannot fail. */
    mrtc_resampler_process(c->d.rs, c->raw, n, c->pend, c->pend_cap, &made);
    c->pend_len = made;
    c->pend_off = 0;
    return true;
}

size_t mrtc_audio_capture_read(mrtc_audio_capture *c, int16_t *pcm, size_t frames)
{
    size_t done = 0;

    if (!c || !pcm)
        return 0;
    for (;;) {
        size_t have = c->pend_len - c->pend_off;
        size_t take = have < frames - done ? have : frames - done;
        memcpy(pcm + done, c->pend + c->pend_off, take * sizeof *pcm);
        c->pend_off += take;
        done += take;
        if (done == frames || !capture_refill(c))
            break;
    }
    return done;
}

size_t mrtc_audio_capture_available(mrtc_audio_capture *c)
{
    if (!c)
        return 0;
    size_t ring_frames = mrtc_ring_available(c->d.ring) / c->d.channels;
    return c->pend_len - c->pend_off + mrtc_resampler_output_for(c->d.rs, ring_frames);
}

void mrtc_audio_capture_stats(const mrtc_audio_capture *c, mrtc_audio_dev_stats *out)
{
    mrtc_ring_counters rc;
    common_stats(&c->d, out);
    mrtc_ring_get_counters(c->d.ring, &rc);
    out->overruns = rc.overruns;
    out->overrun_frames = rc.overrun_samples / c->d.channels;
}

/* ---- Playback ---- */

/* Audio thread. */
static int playback_cb(const void *input, void *output, unsigned long frames,
                       const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags,
                       void *user)
{
    mrtc_audio_playback *p = user;
    int16_t *pcm = output;
    size_t need = frames * p->d.channels;
    size_t got = mrtc_ring_read(p->d.ring, pcm, need);

    note_callback(&p->d, frames, flags);
    if (got < need) {
        memset(pcm + got, 0, (need - got) * sizeof *pcm);
        if (p->started)
            mrtc_ring_note_underrun(p->d.ring, need - got);
    }
    if (got)
        p->started = true;
    return paContinue;
}

int mrtc_audio_playback_open(const char *device, unsigned channels, mrtc_audio_playback **out)
{
    int err = 0;
    mrtc_audio_playback *p = NULL;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (channels < 1 || channels > 2)
        return MRTC_EINVAL;
    p = mrtc_calloc(1, sizeof *p);
    if (!p)
        return MRTC_ENOMEM;
    p->channels = channels;
    err = open_stream(&p->d, device, false, channels, playback_cb, p);
    if (err)
        goto out;
    err = make_ring(&p->d);
    if (err)
        goto out;
    err = mrtc_resampler_new(MRTC_AUDIO_RATE, p->d.rate, channels, &p->d.rs);
    if (err)
        goto out;
    /* One block of 48 kHz frames makes at most this many device frames; two channels'
     * room so the layout can be converted in place. */
    p->scratch_frames = ((size_t)BLOCK * p->d.rate + MRTC_AUDIO_RATE - 1) / MRTC_AUDIO_RATE + 2;
    p->scratch = mrtc_malloc(p->scratch_frames * 2 * sizeof *p->scratch);
    if (!p->scratch) {
        err = MRTC_ENOMEM;
        goto out;
    }
    err = start_stream(&p->d, false);
    if (err)
        goto out;
    *out = p;
    p = NULL;
out:
    mrtc_audio_playback_close(p);
    return err;
}

void mrtc_audio_playback_close(mrtc_audio_playback *p)
{
    if (!p)
        return;
    close_common(&p->d);
    mrtc_free(p->scratch);
    mrtc_free(p);
}

/* 48 kHz frames whose conversion fits in `room` device frames. */
static size_t input_fitting(const mrtc_audio_playback *p, size_t room)
{
    return mrtc_resampler_input_for(p->d.rs, room);
}

size_t mrtc_audio_playback_write(mrtc_audio_playback *p, const int16_t *pcm, size_t frames)
{
    if (!p || !pcm || frames == 0)
        return 0;
    unsigned dch = p->d.channels;
    size_t room = mrtc_ring_space(p->d.ring) / dch;
    size_t accept = input_fitting(p, room);
    if (accept > frames)
        accept = frames;
    if (accept < frames) {
        p->overruns++;
        p->overrun_frames += frames - accept;
    }
    for (size_t done = 0; done < accept;) {
        size_t blk = accept - done < BLOCK ? accept - done : BLOCK;
        size_t made = 0;
        /* scratch_frames covers a whole block: this cannot fail. */
        mrtc_resampler_process(p->d.rs, pcm + done * p->channels, blk, p->scratch,
                               p->scratch_frames, &made);
        if (p->channels == 1 && dch == 2)
            mrtc_resample_mono_to_stereo(p->scratch, made, p->scratch);
        else if (p->channels == 2 && dch == 1)
            mrtc_resample_stereo_to_mono(p->scratch, made, p->scratch);
        /* Fits: the whole conversion was sized against the free space above. */
        mrtc_ring_write(p->d.ring, p->scratch, made * dch);
        done += blk;
    }
    return accept;
}

size_t mrtc_audio_playback_writable(mrtc_audio_playback *p)
{
    if (!p)
        return 0;
    unsigned dch = p->d.channels;
    size_t fill = mrtc_ring_available(p->d.ring) / dch;
    size_t space = mrtc_ring_space(p->d.ring) / dch;
    size_t target = (size_t)p->d.rate * MRTC_AUDIO_PLAYBACK_TARGET_MS / 1000;
    if (fill >= target)
        return 0;
    size_t room = target - fill < space ? target - fill : space;
    return input_fitting(p, room);
}

void mrtc_audio_playback_stats(const mrtc_audio_playback *p, mrtc_audio_dev_stats *out)
{
    mrtc_ring_counters rc;
    common_stats(&p->d, out);
    mrtc_ring_get_counters(p->d.ring, &rc);
    out->overruns = p->overruns;
    out->overrun_frames = p->overrun_frames;
    out->underruns = rc.underruns;
    out->underrun_frames = rc.underrun_samples / p->d.channels;
}

/* ---- Devices ---- */

int mrtc_audio_devices_list(mrtc_audio_device_info *out, size_t cap)
{
    int err = 0;

    pthread_mutex_lock(&pa_mutex);
    err = pa_acquire_locked();
    if (err)
        goto out;
    PaDeviceIndex n = Pa_GetDeviceCount();
    if (n < 0) {
        err = pa_error("Pa_GetDeviceCount", n);
        goto release;
    }
    PaDeviceIndex def_in = Pa_GetDefaultInputDevice(), def_out = Pa_GetDefaultOutputDevice();
    for (PaDeviceIndex i = 0; i < n && (size_t)i < cap; i++) {
        const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
        const PaHostApiInfo *api = info ? Pa_GetHostApiInfo(info->hostApi) : NULL;
        mrtc_audio_device_info *o = &out[i];
        memset(o, 0, sizeof *o);
        o->index = i;
        if (!info)
            continue;
        snprintf(o->name, sizeof o->name, "%s", info->name ? info->name : "");
        snprintf(o->host_api, sizeof o->host_api, "%s", api && api->name ? api->name : "");
        o->max_input_channels = info->maxInputChannels > 0 ? (unsigned)info->maxInputChannels : 0;
        o->max_output_channels =
            info->maxOutputChannels > 0 ? (unsigned)info->maxOutputChannels : 0;
        o->default_rate = (unsigned)(info->defaultSampleRate + 0.5);
        o->default_input = i == def_in;
        o->default_output = i == def_out;
    }
    err = (int)n;
release:
    pa_release_locked();
out:
    pthread_mutex_unlock(&pa_mutex);
    return err;
}
