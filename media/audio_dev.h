/*
 * Sound devices through PortAudio: microphone capture and speaker playback at the device's
 * own rate, exchanged with the loop thread as 48 kHz PCM (MRTC_AUDIO_RATE).
 *
 * PortAudio calls back on its own thread; the callbacks only copy between the device buffer
 * and a lock-free ring (media/ring.h) and bump atomic counters: they never lock, allocate or
 * log. Everything else, including the resampling (media/resample.h), happens on the thread
 * that calls these functions: one thread per capture or playback object (the loop thread),
 * and none of the calls blocks on the device. Opening and closing may be done from several
 * threads: PortAudio's initialisation is reference-counted under a mutex.
 *
 * Devices are named by a PortAudio device index ("3"), a case-insensitive name or part of a
 * name ("pulse", "USB"), or NULL / "" / "default" for PortAudio's default device.
 *
 * Environment: MESHRTC_AUDIO_LATENCY_MS (1..2000, default 50) is the least device latency
 * asked of PortAudio; MESHRTC_AUDIO_VERBOSE keeps ALSA's and JACK's own messages on stderr.
 */
#ifndef MRTC_MEDIA_AUDIO_DEV_H
#define MRTC_MEDIA_AUDIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_AUDIO_DEV_NAME_MAX 128
/* Playback keeps about this much audio queued ahead of the device: what
 * mrtc_audio_playback_writable reports room for. */
#define MRTC_AUDIO_PLAYBACK_TARGET_MS 80
/* Each direction's ring holds this much audio at the device rate; beyond it capture
 * overruns (the loop did not read) and playback writes are refused. */
#define MRTC_AUDIO_RING_MS 500

typedef struct mrtc_audio_capture mrtc_audio_capture;
typedef struct mrtc_audio_playback mrtc_audio_playback;

/* The state of one open device. Counters are totals since it was opened. */
typedef struct mrtc_audio_dev_stats {
    char device[MRTC_AUDIO_DEV_NAME_MAX]; /* PortAudio's name of the device */
    unsigned device_rate;                 /* Hz, the stream's rate */
    unsigned device_channels;             /* channels of the stream, 1 or 2 */
    double latency;                       /* seconds, as PortAudio reports for the stream */
    uint64_t callbacks;                   /* audio callbacks run */
    uint64_t device_frames;               /* frames those callbacks moved */
    /* Capture: callbacks whose input did not fit the ring (the loop read too slowly) and the
     * device frames dropped. Playback: mrtc_audio_playback_write calls that could not take
     * everything and the 48 kHz frames refused. */
    uint64_t overruns, overrun_frames;
    /* Playback: callbacks that found the ring short once audio had started, and the device
     * frames of silence played instead. Capture: always 0. */
    uint64_t underruns, underrun_frames;
    /* Trouble the host API itself reported through the callback's status flags (input
     * overflow, output underflow). */
    uint64_t host_overflows, host_underflows;
} mrtc_audio_dev_stats;

/* ---- Capture ---- */

/* Opens and starts capture from `device` (see above; NULL for the default input) at the
 * device's default rate, mono when the device allows it (else stereo, mixed down to mono).
 * *out is owned by the caller (mrtc_audio_capture_close). Returns 0; MRTC_ENOTFOUND when no
 * input device matches; MRTC_EIO when PortAudio fails (its message is logged);
 * MRTC_EINVAL (out NULL), MRTC_ENOMEM. */
int mrtc_audio_capture_open(const char *device, mrtc_audio_capture **out);

/* Stops the stream and frees everything; accepts NULL. */
void mrtc_audio_capture_close(mrtc_audio_capture *c);

/* Copies up to `frames` frames of captured audio, as 48 kHz mono, into pcm and returns how
 * many (0..frames: what has been captured so far). Never blocks. */
size_t mrtc_audio_capture_read(mrtc_audio_capture *c, int16_t *pcm, size_t frames);

/* How many 48 kHz frames mrtc_audio_capture_read could return now, at least. */
size_t mrtc_audio_capture_available(mrtc_audio_capture *c);

/* Fills *out. Any time between open and close, from the capture's thread. */
void mrtc_audio_capture_stats(const mrtc_audio_capture *c, mrtc_audio_dev_stats *out);

/* ---- Playback ---- */

/* Opens and starts playback on `device` (NULL for the default output) at the device's
 * default rate. `channels` (1 or 2) is the layout the caller writes; the device is opened
 * with it when possible, else with the other (converted). Until audio is written the device
 * plays silence. *out is owned by the caller (mrtc_audio_playback_close). Returns as
 * mrtc_audio_capture_open, and MRTC_EINVAL for a bad channel count. */
int mrtc_audio_playback_open(const char *device, unsigned channels, mrtc_audio_playback **out);

/* Stops the stream (what is queued is not played) and frees everything; accepts NULL. */
void mrtc_audio_playback_close(mrtc_audio_playback *p);

/* Queues `frames` frames of 48 kHz PCM (the layout given at open; borrowed for the call) for
 * the device, converted to its rate. Returns the frames accepted: fewer when the ring is
 * full (the rest is dropped and counted as an overrun). Never blocks. */
size_t mrtc_audio_playback_write(mrtc_audio_playback *p, const int16_t *pcm, size_t frames);

/* How many 48 kHz frames to write now to keep MRTC_AUDIO_PLAYBACK_TARGET_MS queued
 * (0 when at least that much is). Writing that many is always accepted in full. */
size_t mrtc_audio_playback_writable(mrtc_audio_playback *p);

/* Fills *out. Any time between open and close, from the playback's thread. */
void mrtc_audio_playback_stats(const mrtc_audio_playback *p, mrtc_audio_dev_stats *out);

/* ---- Devices ---- */

typedef struct mrtc_audio_device_info {
    int index; /* PortAudio device index, usable as a device name */
    char name[MRTC_AUDIO_DEV_NAME_MAX];
    char host_api[32]; /* "ALSA", "JACK Audio Connection Kit", ... */
    unsigned max_input_channels, max_output_channels;
    unsigned default_rate; /* Hz */
    bool default_input, default_output;
} mrtc_audio_device_info;

/* Lists the devices PortAudio sees (for a --list-devices option): fills up to cap entries of
 * out (out may be NULL when cap is 0) and returns the number of devices, which may exceed
 * cap. Returns MRTC_EIO when PortAudio fails (logged). */
int mrtc_audio_devices_list(mrtc_audio_device_info *out, size_t cap);

#endif
