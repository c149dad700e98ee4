/*
 * meshrtc-call's command line (apps/call/args.c): the media options --audio, --video, --play,
 * --play-device, --record and --video-after (sources, defaults, ranges, the one-line reason
 * of every bad value), a few of the older options around them, and call_args_prepare_files() on the
 * media paths (a missing or non-regular FILE.wav/FILE.y4m, --record created when missing, a file in
 * its way). Files live in a fresh mkdtemp directory that is removed at the end.
 */
#include "apps/call/args.h"
#include "apps/common/mem.h"
#include "unit/test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static call_args a;
static char err[256];

/* Parses "--signal ws://h:1/ws --room r" followed by the given arguments (NULL-terminated). */
static int parse(const char *first, ...)
{
    char *argv[32] = {"meshrtc-call", "--signal", "ws://127.0.0.1:1/ws", "--room", "r"};
    int argc = 5;
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s && argc < 31; s = va_arg(ap, const char *))
        argv[argc++] = (char *)s;
    va_end(ap);
    err[0] = '\0';
    return call_args_parse(argc, argv, &a, err, sizeof(err));
}

/* The bad value is refused with status 2 and exactly this reason. */
static void bad(const char *opt, const char *val, const char *reason)
{
    CHECK_EQ(parse(opt, val, NULL), 2);
    CHECK_STR(err, reason);
    CHECK(strchr(err, '\n') == NULL);
}

static void test_media_defaults(void)
{
    CHECK_EQ(parse(NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_NONE);
    CHECK_EQ(a.video, CALL_VIDEO_NONE);
    CHECK(!a.play);
    CHECK(a.play_device == NULL);
    CHECK(a.record_dir == NULL);
    CHECK_EQ(parse("--audio", "none", "--video=none", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_NONE);
    CHECK_EQ(a.video, CALL_VIDEO_NONE);
}

static void test_audio(void)
{
    CHECK_EQ(parse("--audio", "tone", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_TONE);
    CHECK(a.tone_hz == 440.0);
    CHECK_EQ(parse("--audio=tone:880", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_TONE);
    CHECK(a.tone_hz == 880.0);
    CHECK_EQ(parse("--audio", "tone:1000.5", NULL), 0);
    CHECK(a.tone_hz == 1000.5);
    CHECK_EQ(parse("--audio", "tone:1", NULL), 0);
    CHECK_EQ(parse("--audio", "tone:23999", NULL), 0);
    CHECK_EQ(parse("--audio", "mic", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_MIC);
    CHECK(a.audio_device == NULL);
    CHECK_EQ(parse("--audio", "mic:USB Headset", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_MIC);
    CHECK_STR(a.audio_device, "USB Headset");
    CHECK_EQ(parse("--audio", "voice.wav", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_WAV);
    CHECK_STR(a.audio_path, "voice.wav");
    CHECK_EQ(parse("--audio", "dir/VOICE.WAV", NULL), 0);
    CHECK_STR(a.audio_path, "dir/VOICE.WAV");
    /* The last one wins. */
    CHECK_EQ(parse("--audio", "tone", "--audio", "none", NULL), 0);
    CHECK_EQ(a.audio, CALL_AUDIO_NONE);
}

static void test_audio_bad(void)
{
    const char *what = "(expected none, tone[:HZ], mic[:DEVICE] or FILE.wav)";
    char want[200];
    snprintf(want, sizeof(want), "bad --audio value 'beep' %s", what);
    bad("--audio", "beep", want);
    snprintf(want, sizeof(want), "bad --audio value '' %s", what);
    bad("--audio", "", want);
    snprintf(want, sizeof(want), "bad --audio value '.wav' %s", what);
    bad("--audio", ".wav", want);
    snprintf(want, sizeof(want), "bad --audio value 'x.wav.txt' %s", what);
    bad("--audio", "x.wav.txt", want);
    const char *hz[] = {"tone:",      "tone:abc", "tone:0",   "tone:-5",  "tone:24000",
                        "tone:440Hz", "tone:nan", "tone:inf", "tone: 440"};
    for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
        snprintf(want, sizeof(want),
                 "bad --audio value '%s' (expected tone:HZ with HZ from 1 to 23999)", hz[i]);
        bad("--audio", hz[i], want);
    }
    bad("--audio", "mic:", "bad --audio value 'mic:' (expected mic or mic:DEVICE)");
    CHECK_EQ(parse("--audio", NULL), 2);
    CHECK_STR(err, "--audio needs a value");
}

static void test_video(void)
{
    CHECK_EQ(parse("--video", "pattern", NULL), 0);
    CHECK_EQ(a.video, CALL_VIDEO_PATTERN);
    CHECK_EQ(a.video_width, 640);
    CHECK_EQ(a.video_height, 480);
    CHECK_EQ(a.video_fps, 30);
    CHECK_EQ(parse("--video", "pattern:320x240", NULL), 0);
    CHECK_EQ(a.video_width, 320);
    CHECK_EQ(a.video_height, 240);
    CHECK_EQ(a.video_fps, 30);
    CHECK_EQ(parse("--video=pattern:1280x720@15", NULL), 0);
    CHECK_EQ(a.video_width, 1280);
    CHECK_EQ(a.video_height, 720);
    CHECK_EQ(a.video_fps, 15);
    CHECK_EQ(parse("--video", "pattern:16x16@1", NULL), 0);
    CHECK_EQ(parse("--video", "pattern:4096x4096@120", NULL), 0);
    CHECK_EQ(parse("--video", "clip.y4m", NULL), 0);
    CHECK_EQ(a.video, CALL_VIDEO_Y4M);
    CHECK_STR(a.video_path, "clip.y4m");
}

static void test_video_bad(void)
{
    char want[256];
    const char *pat[] = {
        "pattern:",          "pattern:640",         "pattern:640x",      "pattern:x480",
        "pattern:641x480",   "pattern:640x481",     "pattern:14x480",    "pattern:4098x480",
        "pattern:640x480@0", "pattern:640x480@121", "pattern:640x480@",  "pattern:640x480@30x",
        "pattern:@30",       "pattern:-640x480",    "pattern:640x480x2", "pattern:99999999x480",
        "pattern:+640x480"};
    for (size_t i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
        snprintf(want, sizeof(want),
                 "bad --video value '%s' (expected pattern:WxH[@FPS] with even W and H from 16 "
                 "to 4096, FPS from 1 to 120)",
                 pat[i]);
        bad("--video", pat[i], want);
    }
    bad("--video", "camera",
        "bad --video value 'camera' (expected none, pattern[:WxH[@FPS]] or FILE.y4m)");
    bad("--video", "clip.ivf",
        "bad --video value 'clip.ivf' (expected none, pattern[:WxH[@FPS]] or FILE.y4m)");
}

static void test_play_record(void)
{
    CHECK_EQ(parse("--play", NULL), 0);
    CHECK(a.play);
    CHECK(a.play_device == NULL);
    CHECK_EQ(parse("--play-device", "hw:1", NULL), 0);
    CHECK(a.play); /* implied */
    CHECK_STR(a.play_device, "hw:1");
    CHECK_EQ(parse("--record=rec", NULL), 0);
    CHECK_STR(a.record_dir, "rec");
    bad("--play=yes", NULL, "--play takes no value");
    bad("--play-device", "", "bad --play-device value '' (expected a device name)");
    bad("--record", "", "bad --record value '' (expected a directory)");
    CHECK_EQ(parse("--record", NULL), 2);
    CHECK_STR(err, "--record needs a value");
    /* The older options still parse next to the new ones. */
    CHECK_EQ(parse("--echo", "--audio", "tone:880", "--duration", "8", "--video",
                   "pattern:320x240@30", "--record", "out", NULL),
             0);
    CHECK(a.echo);
    CHECK(a.duration_s == 8.0);
    CHECK(a.tone_hz == 880.0);
    CHECK_EQ(a.video_width, 320);
}

static void test_video_after(void)
{
    CHECK_EQ(parse("--video", "pattern", NULL), 0);
    CHECK(a.video_after_s < 0); /* not given: video from the start */
    CHECK_EQ(parse("--video", "pattern", "--video-after", "3", NULL), 0);
    CHECK(a.video_after_s == 3.0);
    CHECK_EQ(parse("--video-after=0.5", "--video", "pattern:320x240", NULL), 0);
    CHECK(a.video_after_s == 0.5);
    CHECK_EQ(parse("--video", "pattern", "--video-after", "0", NULL), 0);
    CHECK(a.video_after_s == 0.0);
    CHECK_EQ(parse("--video", "pattern", "--video-after", "86400", NULL), 0);
    /* Bad values. */
    const char *bads[] = {"",    "-1", "abc", "3s", "86401", "nan",
                          "inf", " 3", "-0",  ".5", "+1",    "1e9"};
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want),
                 "bad --video-after value '%s' (expected seconds from 0 to 86400)", bads[i]);
        CHECK_EQ(parse("--video", "pattern", "--video-after", bads[i], NULL), 2);
        CHECK_STR(err, want);
    }
    CHECK_EQ(parse("--video", "pattern", "--video-after", NULL), 2);
    CHECK_STR(err, "--video-after needs a value");
    /* Without a video track there is nothing to add. */
    bad("--video-after", "3", "--video-after needs --video pattern or --video FILE.y4m");
    CHECK_EQ(parse("--video", "none", "--video-after", "3", NULL), 2);
    CHECK_STR(err, "--video-after needs --video pattern or --video FILE.y4m");
}

/* A fresh directory under $TMPDIR (or /tmp). */
static void make_tmp(char *dir, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, cap, "%s/meshrtc-args-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
}

static void test_prepare_media_files(void)
{
    long live = mem_live();
    char dir[256], wav[300], y4m[300], rec[300], plain[300], want[700];
    make_tmp(dir, sizeof(dir));
    snprintf(wav, sizeof(wav), "%s/in.wav", dir);
    snprintf(y4m, sizeof(y4m), "%s/in.y4m", dir);
    snprintf(rec, sizeof(rec), "%s/rec", dir);
    snprintf(plain, sizeof(plain), "%s/plain", dir);

    /* Missing files. */
    CHECK_EQ(parse("--audio", wav, NULL), 0);
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 2);
    snprintf(want, sizeof(want), "bad --audio value '%s' (No such file or directory)", wav);
    CHECK_STR(err, want);
    CHECK_EQ(parse("--video", y4m, NULL), 0);
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 2);
    snprintf(want, sizeof(want), "bad --video value '%s' (No such file or directory)", y4m);
    CHECK_STR(err, want);

    /* A directory named like a file is not a regular file. */
    CHECK_EQ(mkdir(wav, 0700), 0);
    CHECK_EQ(parse("--audio", wav, NULL), 0);
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 2);
    snprintf(want, sizeof(want), "bad --audio value '%s' (not a regular file)", wav);
    CHECK_STR(err, want);
    CHECK_EQ(rmdir(wav), 0);

    /* Readable files pass (their format is the library's to check); --record is created. */
    FILE *f = fopen(wav, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    f = fopen(y4m, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK_EQ(parse("--audio", wav, "--video", y4m, "--record", rec, NULL), 0);
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 0);
    struct stat st;
    CHECK(stat(rec, &st) == 0 && S_ISDIR(st.st_mode));
    /* An existing directory is fine too. */
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 0);

    /* A file where the directory should be, or a missing parent. */
    f = fopen(plain, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK_EQ(parse("--record", plain, NULL), 0);
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 2);
    snprintf(want, sizeof(want), "bad --record value '%s' (not a directory)", plain);
    CHECK_STR(err, want);
    char deep[400];
    snprintf(deep, sizeof(deep), "%s/missing/rec", dir);
    CHECK_EQ(parse("--record", deep, NULL), 0);
    CHECK_EQ(call_args_prepare_files(&a, err, sizeof(err)), 2);
    snprintf(want, sizeof(want),
             "bad --record value '%s' (cannot create it: No such file or directory)", deep);
    CHECK_STR(err, want);

    CHECK_EQ(unlink(wav), 0);
    CHECK_EQ(unlink(y4m), 0);
    CHECK_EQ(unlink(plain), 0);
    CHECK_EQ(rmdir(rec), 0);
    CHECK_EQ(rmdir(dir), 0);
    CHECK_EQ(mem_live(), live);
}

int main(void)
{
    mem_install_hooks();
    RUN(test_media_defaults);
    RUN(test_audio);
    RUN(test_audio_bad);
    RUN(test_video);
    RUN(test_video_bad);
    RUN(test_play_record);
    RUN(test_video_after);
    RUN(test_prepare_media_files);
    return test_finish();
}
