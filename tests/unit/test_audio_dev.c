/* A real device test of media/audio_dev.c, never skipped: PortAudio must be there and work.
 *
 * Without PULSE_SERVER in the environment it starts a private PulseAudio daemon with
 * `scripts/pulse start` (tests run from the repository root) in a fresh directory under /tmp,
 * and stops it at the end. That daemon's default sink is a null sink and its default source
 * the sink's monitor, and PortAudio reaches it through ALSA's pulse plugin: what is played to
 * the default output comes back on the default input.
 *
 * Checks: the device list (a default input and output), unknown devices and bad arguments
 * refused, devices opened by name and index, and the loopback: a 1 kHz tone played while
 * capturing until one clean second of it has come back (about 1.2 s on an idle machine;
 * glitches before it are tolerated, and up to five attempts with fresh streams are made);
 * that second's strongest frequency must be 1 kHz, at about the amplitude played, with over
 * 90 % of the energy, and the counters sane (callbacks ran, no capture overrun, no refused
 * write, few playback underruns). This test waits for real audio: it polls the rings every
 * few milliseconds, with a deadline per attempt, and never asserts a timing. */
#include "test.h"

#include "media/audio_dev.h"
#include "meshrtc/error.h"
#include "meshrtc/frame.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TONE_HZ 1000.0
#define TONE_AMP 12000.0
#define RATE MRTC_AUDIO_RATE
#define ATTEMPTS 5
#define ATTEMPT_S 8                               /* the longest one attempt waits */
#define CAPTURE_FRAMES ((size_t)ATTEMPT_S * RATE) /* what the buffer holds */
#define BLOCK_FRAMES (RATE / 100)                 /* 10 ms */
#define CLEAN_BLOCKS 100                          /* one second */
#define ANALYSIS_FRAMES (CLEAN_BLOCKS * BLOCK_FRAMES)

/* Sanitizer builds: while PortAudio enumerates devices, ALSA dlopens plugins whose libraries
 * allocate in their constructors, then unloads them; those blocks are reported as leaks with
 * no symbol for the unloaded code. Only a full unwind reaches the snd_dlopen frame that
 * identifies them, so this test (alone) unwinds fully on malloc and suppresses leaks under
 * snd_dlopen. The sanitizer runtime calls these hooks at start-up; without sanitizers they
 * are unused. */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0:malloc_context_size=64";
}

const char *__lsan_default_suppressions(void)
{
    return "leak:snd_dlopen\n";
}

static char pulse_dir[64];
static bool started_pulse;

/* Starts a private PulseAudio daemon unless one is configured; false when that fails. */
static bool pulse_start(void)
{
    if (getenv("PULSE_SERVER")) {
        fprintf(stderr, "using the PulseAudio server of PULSE_SERVER=%s\n", getenv("PULSE_SERVER"));
        return true;
    }
    snprintf(pulse_dir, sizeof pulse_dir, "/tmp/meshrtc-audio-test-XXXXXX");
    if (!mkdtemp(pulse_dir)) {
        perror("mkdtemp");
        return false;
    }
    setenv("MESHRTC_PULSE_DIR", pulse_dir, 1);
    /* If this process dies without stopping it, the daemon exits once idle. */
    setenv("MESHRTC_PULSE_EXIT_IDLE", "30", 1);
    FILE *f = popen("scripts/pulse start", "r");
    if (!f) {
        perror("popen scripts/pulse start");
        return false;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *kv = strncmp(line, "export ", 7) == 0 ? line + 7 : line;
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        setenv(kv, eq + 1, 1);
    }
    int status = pclose(f);
    started_pulse = true;
    if (status != 0 || !getenv("PULSE_SERVER")) {
        fprintf(stderr,
                "scripts/pulse start failed (status %d): cannot test the device "
                "path without PulseAudio (run scripts/setup)\n",
                status);
        return false;
    }
    return true;
}

static void pulse_stop(void)
{
    if (!started_pulse)
        return;
    if (system("scripts/pulse stop") != 0)
        fprintf(stderr, "scripts/pulse stop failed\n");
    rmdir(pulse_dir); /* normally removed by the script already */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void poll_wait(void)
{
    struct timespec ts = {0, 4 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static double hann[ANALYSIS_FRAMES];

/* Amplitude of the f Hz component of ANALYSIS_FRAMES samples (Hann window, Goertzel). */
static double goertzel(const int16_t *x, double f)
{
    double w = 2.0 * M_PI * f / RATE, c = 2.0 * cos(w), s1 = 0.0, s2 = 0.0, wsum = 0.0;
    for (size_t i = 0; i < ANALYSIS_FRAMES; i++) {
        double s0 = x[i] * hann[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
        wsum += hann[i];
    }
    double p = s1 * s1 + s2 * s2 - c * s1 * s2;
    return 2.0 * sqrt(p > 0 ? p : 0) / wsum;
}

static void test_devices_list(void)
{
    mrtc_audio_device_info devs[32];
    int n = mrtc_audio_devices_list(NULL, 0);
    if (n <= 0) {
        fprintf(stderr,
                "PortAudio lists no device (%d): the audio device path is not "
                "usable here\n",
                n);
        CHECK(n > 0);
        return;
    }
    CHECK_EQ(mrtc_audio_devices_list(devs, 32), n);
    int inputs = 0, outputs = 0;
    for (int i = 0; i < n && i < 32; i++) {
        fprintf(stderr, "device %d: \"%s\" (%s) in %u out %u %u Hz%s%s\n", devs[i].index,
                devs[i].name, devs[i].host_api, devs[i].max_input_channels,
                devs[i].max_output_channels, devs[i].default_rate,
                devs[i].default_input ? " [default input]" : "",
                devs[i].default_output ? " [default output]" : "");
        CHECK_EQ(devs[i].index, i);
        CHECK(devs[i].name[0] != '\0');
        inputs += devs[i].default_input;
        outputs += devs[i].default_output;
    }
    CHECK_EQ(inputs, 1);
    CHECK_EQ(outputs, 1);
}

static void test_bad_devices(void)
{
    mrtc_audio_capture *c = (mrtc_audio_capture *)1;
    mrtc_audio_playback *p = (mrtc_audio_playback *)1;

    CHECK_EQ(mrtc_audio_capture_open("no such device, surely", &c), MRTC_ENOTFOUND);
    CHECK(c == NULL);
    CHECK_EQ(mrtc_audio_capture_open("9999", &c), MRTC_ENOTFOUND);
    CHECK_EQ(mrtc_audio_playback_open("no such device, surely", 1, &p), MRTC_ENOTFOUND);
    CHECK(p == NULL);
    CHECK_EQ(mrtc_audio_playback_open(NULL, 3, &p), MRTC_EINVAL);
    CHECK_EQ(mrtc_audio_playback_open(NULL, 0, &p), MRTC_EINVAL);
    CHECK_EQ(mrtc_audio_capture_open(NULL, NULL), MRTC_EINVAL);
    mrtc_audio_capture_close(NULL);
    mrtc_audio_playback_close(NULL);
    CHECK_EQ(mrtc_audio_capture_read(NULL, NULL, 10), 0);
    CHECK_EQ(mrtc_audio_playback_write(NULL, NULL, 10), 0);
}

/* Opening by a part of the name ("pulse", any case) and by index works, both at once. */
static void test_open_by_name(void)
{
    mrtc_audio_capture *c = NULL;
    mrtc_audio_playback *p = NULL;
    mrtc_audio_dev_stats st;

    CHECK_EQ(mrtc_audio_capture_open("PULS", &c), 0);
    CHECK_EQ(mrtc_audio_playback_open("pulse", 2, &p), 0);
    if (c) {
        mrtc_audio_capture_stats(c, &st);
        CHECK_STR(st.device, "pulse");
        CHECK(st.device_channels == 1); /* mono when the device allows it */
    }
    if (p) {
        mrtc_audio_playback_stats(p, &st);
        CHECK_STR(st.device, "pulse");
        CHECK(st.device_channels == 2);
        /* Writing nothing yet: the callback plays silence and counts no underrun. */
        CHECK(mrtc_audio_playback_writable(p) > 0);
    }
    mrtc_audio_capture_close(c);
    mrtc_audio_playback_close(p);

    /* By index: the default output's. */
    mrtc_audio_device_info devs[32];
    int n = mrtc_audio_devices_list(devs, 32);
    for (int i = 0; i < n && i < 32; i++) {
        if (!devs[i].default_output)
            continue;
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        p = NULL;
        CHECK_EQ(mrtc_audio_playback_open(idx, 1, &p), 0);
        if (p) {
            mrtc_audio_playback_stats(p, &st);
            CHECK_STR(st.device, devs[i].name);
        }
        mrtc_audio_playback_close(p);
    }
}

static void print_stats(const char *what, const mrtc_audio_dev_stats *s)
{
    fprintf(stderr,
            "%s \"%s\": %u Hz x%u, latency %.1f ms, %" PRIu64 " callbacks, %" PRIu64
            " frames, overruns %" PRIu64 " (%" PRIu64 " frames), underruns %" PRIu64 " (%" PRIu64
            " frames), host overflows %" PRIu64 " underflows %" PRIu64 "\n",
            what, s->device, s->device_rate, s->device_channels, s->latency * 1000.0, s->callbacks,
            s->device_frames, s->overruns, s->overrun_frames, s->underruns, s->underrun_frames,
            s->host_overflows, s->host_underflows);
}

static void check_common_stats(const mrtc_audio_dev_stats *s)
{
    CHECK(s->device[0] != '\0');
    CHECK(s->device_rate >= 8000 && s->device_rate <= 192000);
    CHECK(s->device_channels == 1 || s->device_channels == 2);
    CHECK(s->latency > 0.0 && s->latency < 2.0);
    CHECK(s->callbacks > 0);
    CHECK(s->device_frames > 0);
}

/* What one loopback attempt saw. */
typedef struct attempt {
    int16_t *cap; /* CAPTURE_FRAMES */
    char *map;    /* one character per 10 ms block */
    size_t got, clean_at;
    uint64_t played;
    mrtc_audio_dev_stats ps, cs;
} attempt;

/* Opens the default output and input, plays a 1 kHz tone and captures until one clean
 * second of it has come back: CLEAN_BLOCKS consecutive 10 ms blocks at the tone's level
 * ('#' in the map; '+' partial, '.' silence). Returns 1 when it did, 0 when no clean second
 * came within ATTEMPT_S, -1 when the devices did not open. The devices are closed on return. */
static int loopback_attempt(attempt *a)
{
    mrtc_audio_capture *c = NULL;
    mrtc_audio_playback *p = NULL;
    int16_t tone[MRTC_AUDIO_FRAME_SAMPLES];
    size_t blocks = 0, run = 0;
    const double tone_rms = TONE_AMP / sqrt(2.0);

    a->got = 0;
    a->played = 0;
    a->clean_at = SIZE_MAX;
    memset(a->map, 0, CAPTURE_FRAMES / BLOCK_FRAMES + 1);
    CHECK_EQ(mrtc_audio_playback_open(NULL, 1, &p), 0);
    CHECK_EQ(mrtc_audio_capture_open(NULL, &c), 0);
    int result = -1;
    if (!p || !c)
        goto out;
    double start = now_s();
    while (now_s() - start < ATTEMPT_S && a->clean_at == SIZE_MAX && a->got < CAPTURE_FRAMES) {
        /* Keep the playback ring at its target with whole 20 ms frames. */
        while (mrtc_audio_playback_writable(p) >= MRTC_AUDIO_FRAME_SAMPLES) {
            for (size_t i = 0; i < MRTC_AUDIO_FRAME_SAMPLES; i++)
                tone[i] = (int16_t)lrint(
                    TONE_AMP * sin(2.0 * M_PI * TONE_HZ * (double)(a->played + i) / RATE));
            size_t w = mrtc_audio_playback_write(p, tone, MRTC_AUDIO_FRAME_SAMPLES);
            CHECK_EQ(w, MRTC_AUDIO_FRAME_SAMPLES);
            a->played += MRTC_AUDIO_FRAME_SAMPLES;
        }
        size_t room = CAPTURE_FRAMES - a->got;
        size_t avail = mrtc_audio_capture_available(c);
        size_t n = mrtc_audio_capture_read(c, a->cap + a->got, room);
        CHECK(n >= (avail < room ? avail : room));
        a->got += n;
        for (; (blocks + 1) * BLOCK_FRAMES <= a->got && a->clean_at == SIZE_MAX; blocks++) {
            const int16_t *b = a->cap + blocks * BLOCK_FRAMES;
            double e = 0.0;
            for (size_t i = 0; i < BLOCK_FRAMES; i++)
                e += (double)b[i] * b[i];
            double rms = sqrt(e / BLOCK_FRAMES);
            bool good = rms > 0.85 * tone_rms && rms < 1.15 * tone_rms;
            a->map[blocks] = good ? '#' : rms > tone_rms / 10 ? '+' : '.';
            run = good ? run + 1 : 0;
            if (run == CLEAN_BLOCKS)
                a->clean_at = (blocks + 1 - CLEAN_BLOCKS) * BLOCK_FRAMES;
        }
        if (a->clean_at == SIZE_MAX)
            poll_wait();
    }
    mrtc_audio_playback_stats(p, &a->ps);
    mrtc_audio_capture_stats(c, &a->cs);
    fprintf(stderr, "played %" PRIu64 " frames, captured %zu in %.2f s; 10 ms blocks:\n%s\n",
            a->played, a->got, now_s() - start, a->map);
    print_stats("playback", &a->ps);
    print_stats("capture", &a->cs);
    result = a->clean_at != SIZE_MAX;
out:
    mrtc_audio_capture_close(c);
    mrtc_audio_playback_close(p);
    return result;
}

/* The loopback through the null sink. A loaded machine may glitch (the PulseAudio client
 * threads compete for the CPU with the other tests): glitches before the clean second are
 * tolerated, and an attempt that gets none (PortAudio's ALSA xrun recovery can keep failing
 * on the pulse plugin while the CPU is saturated) is repeated with fresh streams, up to
 * ATTEMPTS times. The checks apply to the attempt that succeeded. */
static void test_tone_loopback(void)
{
    attempt a = {0};
    int ok = 0;

    a.cap = mrtc_calloc(CAPTURE_FRAMES, sizeof *a.cap);
    a.map = mrtc_calloc(CAPTURE_FRAMES / BLOCK_FRAMES + 1, 1);
    if (!a.cap || !a.map)
        goto out;
    for (int i = 1; i <= ATTEMPTS && ok == 0; i++) {
        fprintf(stderr, "loopback attempt %d of %d\n", i, ATTEMPTS);
        ok = loopback_attempt(&a);
    }
    if (ok < 0)
        goto out; /* the open failures are reported */
    if (ok == 0) {
        fprintf(stderr, "%s\n",
                strchr(a.map, '+') || strchr(a.map, '#')
                    ? "no clean second of tone in any attempt"
                    : "no tone came back: the capture is silence (is the "
                      "default source the null sink's monitor?)");
        CHECK(false);
        goto out;
    }
    check_common_stats(&a.ps);
    check_common_stats(&a.cs);
    CHECK_U64(a.cs.overruns, 0);  /* polled every few ms with a 500 ms ring */
    CHECK_U64(a.ps.overruns, 0);  /* only what writable() allowed was written */
    CHECK_U64(a.cs.underruns, 0); /* capture has none */
    /* The device consumed about what was played, the ring rarely ran dry, and nothing was
     * read that the device did not capture. */
    uint64_t dev_played = a.played * a.ps.device_rate / RATE;
    CHECK(a.ps.device_frames > dev_played / 2);
    CHECK(a.ps.underrun_frames < dev_played / 10);
    CHECK(a.cs.device_frames * RATE / a.cs.device_rate + RATE / 10 >= a.got);

    const int16_t *x = a.cap + a.clean_at;
    double best_f = 0.0, best = -1.0;
    for (double f = 50.0; f <= 8000.0; f += 10.0) {
        double v = goertzel(x, f);
        if (v > best) {
            best = v;
            best_f = f;
        }
    }
    for (double f = best_f - 10.0; f <= best_f + 10.0; f += 1.0) {
        double v = goertzel(x, f);
        if (v > best) {
            best = v;
            best_f = f;
        }
    }
    double energy = 0.0;
    for (size_t i = 0; i < ANALYSIS_FRAMES; i++)
        energy += (double)x[i] * x[i];
    double rms = sqrt(energy / ANALYSIS_FRAMES);
    double tone_share = (best * best / 2.0) / (rms * rms);
    fprintf(stderr,
            "dominant frequency %.0f Hz, amplitude %.0f (played %.0f), %.1f%% of "
            "the energy\n",
            best_f, best, TONE_AMP, 100.0 * tone_share);
    CHECK(fabs(best_f - TONE_HZ) <= 2.0);
    CHECK(best > TONE_AMP * 0.7 && best < TONE_AMP * 1.3);
    CHECK(tone_share > 0.9);
out:
    mrtc_free(a.cap);
    mrtc_free(a.map);
}

int main(void)
{
    for (size_t i = 0; i < ANALYSIS_FRAMES; i++)
        hann[i] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / ANALYSIS_FRAMES);
    if (!pulse_start()) {
        pulse_stop();
        fprintf(stderr, "FAIL: no PulseAudio\n");
        return 1;
    }
    RUN(test_devices_list);
    RUN(test_bad_devices);
    RUN(test_open_by_name);
    RUN(test_tone_loopback);
    pulse_stop();
    return test_finish();
}
