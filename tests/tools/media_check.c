/*
 * meshrtc-media-check: checks recordings made by meshrtc-call and the tests, for integration
 * tests and scripts/demo. It prints one JSON line of measurements and exits 1 with a clear
 * message for each expectation that fails, 2 on usage errors and unreadable files.
 *
 *   meshrtc-media-check wav FILE [--expect-hz HZ] [--tolerance-hz 10] [--min-seconds S]
 *                                [--max-gap-ms MS] [--skip-seconds S] [--gap-threshold 300]
 *                                [--min-power-ratio R]
 *   meshrtc-media-check ivf FILE [--expect-width W] [--expect-height H] [--min-frames N]
 *                                [--decode] [--min-unique N] [--max-decode-errors N]
 *   meshrtc-media-check y4m FILE [--expect-width W] [--expect-height H] [--min-frames N]
 *                                [--min-unique N]
 *
 * WAV: stereo is averaged to mono; the first --skip-seconds are left out of the analysis
 * (not of "seconds"); gaps are 5 ms windows with an RMS below --gap-threshold. IVF: key
 * frames are counted for VP8 from the frame tag; with --decode every frame goes through
 * libvpx's VP8 decoder and the test pattern's counter (media/pattern.h) is read from each
 * picture. Y4M: the counter is read from every frame.
 */
#include "media/analysis.h"
#include "media/ivf.h"
#include "media/pattern.h"
#include "media/wav.h"
#include "media/y4m.h"
#include "meshrtc/error.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#define PROG "meshrtc-media-check"
#define EXIT_FAILED 1
#define EXIT_USAGE 2

typedef struct opt {
    const char *name;
    const char *modes; /* which modes accept it: letters w(av), i(vf), y(4m) */
    bool flag;         /* takes no value */
    bool set;
    double value;
} opt;

enum {
    O_EXPECT_HZ,
    O_TOLERANCE_HZ,
    O_MIN_SECONDS,
    O_MAX_GAP_MS,
    O_SKIP_SECONDS,
    O_GAP_THRESHOLD,
    O_MIN_POWER_RATIO,
    O_EXPECT_WIDTH,
    O_EXPECT_HEIGHT,
    O_MIN_FRAMES,
    O_DECODE,
    O_MIN_UNIQUE,
    O_MAX_DECODE_ERRORS,
    O_COUNT
};

static opt opts[O_COUNT] = {
    [O_EXPECT_HZ] = {"--expect-hz", "w", false, false, 0},
    [O_TOLERANCE_HZ] = {"--tolerance-hz", "w", false, false, 10},
    [O_MIN_SECONDS] = {"--min-seconds", "w", false, false, 0},
    [O_MAX_GAP_MS] = {"--max-gap-ms", "w", false, false, 0},
    [O_SKIP_SECONDS] = {"--skip-seconds", "w", false, false, 0},
    [O_GAP_THRESHOLD] = {"--gap-threshold", "w", false, false, 300},
    [O_MIN_POWER_RATIO] = {"--min-power-ratio", "w", false, false, 0},
    [O_EXPECT_WIDTH] = {"--expect-width", "iy", false, false, 0},
    [O_EXPECT_HEIGHT] = {"--expect-height", "iy", false, false, 0},
    [O_MIN_FRAMES] = {"--min-frames", "iy", false, false, 0},
    [O_DECODE] = {"--decode", "i", true, false, 0},
    [O_MIN_UNIQUE] = {"--min-unique", "iy", false, false, 0},
    [O_MAX_DECODE_ERRORS] = {"--max-decode-errors", "i", false, false, 0},
};

static const char *file;
static int failures;

static void usage(const char *why)
{
    if (why)
        fprintf(stderr, PROG ": %s\n", why);
    fprintf(stderr,
            "usage: " PROG " wav FILE [--expect-hz HZ] [--tolerance-hz HZ] [--min-seconds S]\n"
            "                 [--max-gap-ms MS] [--skip-seconds S] [--gap-threshold LEVEL]\n"
            "                 [--min-power-ratio R]\n"
            "       " PROG " ivf FILE [--expect-width W] [--expect-height H] [--min-frames N]\n"
            "                 [--decode] [--min-unique N] [--max-decode-errors N]\n"
            "       " PROG " y4m FILE [--expect-width W] [--expect-height H] [--min-frames N]\n"
            "                 [--min-unique N]\n");
    exit(EXIT_USAGE);
}

static void parse_options(char mode, int argc, char **argv)
{
    for (int i = 3; i < argc; i++) {
        opt *o = NULL;
        for (int k = 0; k < O_COUNT; k++)
            if (strcmp(argv[i], opts[k].name) == 0)
                o = &opts[k];
        if (!o || !strchr(o->modes, mode)) {
            fprintf(stderr, PROG ": unknown option for this mode: %s\n", argv[i]);
            usage(NULL);
        }
        o->set = true;
        if (o->flag)
            continue;
        if (i + 1 >= argc)
            usage("option needs a value");
        char *end;
        o->value = strtod(argv[++i], &end);
        if (end == argv[i] || *end || !isfinite(o->value) || o->value < 0) {
            fprintf(stderr, PROG ": bad value for %s: %s\n", o->name, argv[i]);
            usage(NULL);
        }
    }
}

static void unreadable(const char *what, int err)
{
    fprintf(stderr, PROG ": %s: %s (%s: %s)\n", file, what, mrtc_err_name(err), mrtc_strerror(err));
    exit(EXIT_USAGE);
}

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, PROG ": %s: ", file);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* ---- WAV ---- */

static int check_wav(void)
{
    mrtc_wav_reader *r = NULL;
    int16_t block[4800 * 2];
    int16_t *mono = NULL;
    size_t n = 0, cap = 0;

    int err = mrtc_wav_reader_open(file, false, &r);
    if (err)
        unreadable("cannot read WAV", err);
    const mrtc_wav_info *info = mrtc_wav_reader_info(r);
    unsigned ch = info->channels, rate = info->rate;
    for (;;) {
        int got = mrtc_wav_reader_read(r, block, 4800);
        if (got < 0)
            unreadable("read error", got);
        if (got == 0)
            break;
        if (n + (size_t)got > cap) {
            cap = cap ? cap * 2 : 48000;
            int16_t *nm = realloc(mono, cap * sizeof *mono);
            if (!nm)
                unreadable("out of memory", MRTC_ENOMEM);
            mono = nm;
        }
        for (int i = 0; i < got; i++)
            mono[n + (size_t)i] =
                ch == 2 ? (int16_t)((block[2 * i] + block[2 * i + 1]) / 2) : block[i];
        n += (size_t)got;
    }
    mrtc_wav_reader_close(r);

    size_t skip = (size_t)(opts[O_SKIP_SECONDS].value * rate);
    if (skip > n)
        skip = n;
    const int16_t *a = mono ? mono + skip : NULL;
    size_t an = n - skip;
    double ratio = 0.0;
    double hz = mrtc_audio_dominant_hz(a, an, rate, &ratio);
    if (hz < 0)
        unreadable("analysis failed", (int)hz);
    double thr = opts[O_GAP_THRESHOLD].value;
    size_t gap = mrtc_audio_longest_gap(a, an, rate, (int16_t)(thr > 32767 ? 32767 : thr));
    double sq = 0.0;
    for (size_t i = 0; i < an; i++)
        sq += (double)a[i] * a[i];
    double seconds = (double)n / rate, gap_ms = (double)gap * 1000.0 / rate;

    printf("{\"file\":");
    print_json_string(file);
    printf(",\"seconds\":%.3f,\"rate\":%u,\"channels\":%u,\"analysed_seconds\":%.3f,"
           "\"rms\":%.1f,\"dominant_hz\":%.2f,\"power_ratio\":%.4f,\"longest_gap_ms\":%.1f}\n",
           seconds, rate, ch, (double)an / rate, an ? sqrt(sq / (double)an) : 0.0, hz, ratio,
           gap_ms);
    fflush(stdout);

    if (opts[O_MIN_SECONDS].set && seconds < opts[O_MIN_SECONDS].value)
        fail("%.3f s of audio, expected at least %g s", seconds, opts[O_MIN_SECONDS].value);
    if (opts[O_EXPECT_HZ].set && fabs(hz - opts[O_EXPECT_HZ].value) > opts[O_TOLERANCE_HZ].value)
        fail("dominant frequency %.2f Hz, expected %g +- %g Hz", hz, opts[O_EXPECT_HZ].value,
             opts[O_TOLERANCE_HZ].value);
    if (opts[O_MIN_POWER_RATIO].set && ratio < opts[O_MIN_POWER_RATIO].value)
        fail("power ratio %.4f around the dominant frequency, expected at least %g", ratio,
             opts[O_MIN_POWER_RATIO].value);
    if (opts[O_MAX_GAP_MS].set && gap_ms > opts[O_MAX_GAP_MS].value)
        fail("longest gap %.1f ms (RMS below %g), expected at most %g ms", gap_ms, thr,
             opts[O_MAX_GAP_MS].value);
    free(mono);
    return failures ? EXIT_FAILED : 0;
}

/* ---- Video: counters ---- */

typedef struct counters {
    long first, last; /* -1: none read */
    unsigned long read, unique;
    uint8_t seen[MRTC_PATTERN_COUNTER_MOD / 8 + 1];
} counters;

static void counter_add(counters *c, const mrtc_video_frame *f)
{
    int v = mrtc_pattern_read_counter(f);
    if (v < 0)
        return;
    if (c->first < 0)
        c->first = v;
    c->last = v;
    c->read++;
    if (!(c->seen[v / 8] & (1u << (v % 8)))) {
        c->seen[v / 8] |= (uint8_t)(1u << (v % 8));
        c->unique++;
    }
}

static void print_counters(const counters *c)
{
    printf(",\"counter_read\":%lu,\"counter_first\":%ld,\"counter_last\":%ld,"
           "\"counter_unique\":%lu",
           c->read, c->first, c->last, c->unique);
}

static void check_size_and_counts(unsigned width, unsigned height, unsigned long frames,
                                  const counters *c)
{
    if (opts[O_EXPECT_WIDTH].set && width != opts[O_EXPECT_WIDTH].value)
        fail("width %u, expected %g", width, opts[O_EXPECT_WIDTH].value);
    if (opts[O_EXPECT_HEIGHT].set && height != opts[O_EXPECT_HEIGHT].value)
        fail("height %u, expected %g", height, opts[O_EXPECT_HEIGHT].value);
    if (opts[O_MIN_FRAMES].set && frames < opts[O_MIN_FRAMES].value)
        fail("%lu frames, expected at least %g", frames, opts[O_MIN_FRAMES].value);
    if (opts[O_MIN_UNIQUE].set && (!c || c->unique < opts[O_MIN_UNIQUE].value))
        fail("%lu distinct frame counters read, expected at least %g", c ? c->unique : 0,
             opts[O_MIN_UNIQUE].value);
}

/* ---- IVF ---- */

static int check_ivf(void)
{
    mrtc_ivf_reader *r = NULL;
    mrtc_ivf_frame f;
    vpx_codec_ctx_t dec;
    static counters cnt;
    bool decode = opts[O_DECODE].set;
    unsigned long frames = 0, keyframes = 0, decoded = 0, decode_errors = 0;
    uint64_t first_pts = 0, last_pts = 0;
    unsigned dec_w = 0, dec_h = 0;

    int err = mrtc_ivf_reader_open(file, &r);
    if (err)
        unreadable("cannot read IVF", err);
    const mrtc_ivf_info *info = mrtc_ivf_reader_info(r);
    bool vp8 = strcmp(info->fourcc, "VP80") == 0;
    if (decode && !vp8)
        unreadable("--decode supports VP80 only", MRTC_ENOTSUP);
    if (decode && vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), NULL, 0) != VPX_CODEC_OK)
        unreadable("cannot create the VP8 decoder", MRTC_EIO);
    cnt.first = cnt.last = -1;
    while ((err = mrtc_ivf_reader_read(r, &f)) == 1) {
        if (frames == 0)
            first_pts = f.pts;
        last_pts = f.pts;
        frames++;
        if (vp8 && f.len >= 3 && !(f.data[0] & 1))
            keyframes++;
        if (!decode)
            continue;
        if (vpx_codec_decode(&dec, f.data, (unsigned)f.len, NULL, 0) != VPX_CODEC_OK) {
            decode_errors++;
            continue;
        }
        vpx_codec_iter_t it = NULL;
        vpx_image_t *img;
        while ((img = vpx_codec_get_frame(&dec, &it))) {
            decoded++;
            dec_w = img->d_w;
            dec_h = img->d_h;
            if (img->fmt != VPX_IMG_FMT_I420 || img->d_w > UINT16_MAX || img->d_h > UINT16_MAX)
                continue;
            mrtc_video_frame v = {
                .width = (uint16_t)img->d_w,
                .height = (uint16_t)img->d_h,
                .y = img->planes[0],
                .u = img->planes[1],
                .v = img->planes[2],
                .stride_y = img->stride[0],
                .stride_u = img->stride[1],
                .stride_v = img->stride[2],
            };
            counter_add(&cnt, &v);
        }
    }
    if (err < 0)
        unreadable("malformed frame", err);
    if (decode)
        vpx_codec_destroy(&dec);

    double duration = 0.0;
    if (frames >= 2 && last_pts > first_pts)
        duration = (double)(last_pts - first_pts) * info->timebase_num / info->timebase_den *
                   (double)frames / (double)(frames - 1);
    printf("{\"file\":");
    print_json_string(file);
    printf(",\"fourcc\":");
    print_json_string(info->fourcc);
    printf(",\"frames\":%lu,\"width\":%u,\"height\":%u,\"keyframes\":%lu,\"duration_s\":%.3f",
           frames, info->width, info->height, keyframes, duration);
    if (decode) {
        printf(",\"decoded\":%lu,\"decode_errors\":%lu,\"decoded_width\":%u,"
               "\"decoded_height\":%u",
               decoded, decode_errors, dec_w, dec_h);
        print_counters(&cnt);
    }
    printf("}\n");
    fflush(stdout);

    check_size_and_counts(info->width, info->height, frames, decode ? &cnt : NULL);
    if (opts[O_MAX_DECODE_ERRORS].set && decode_errors > opts[O_MAX_DECODE_ERRORS].value)
        fail("%lu frames failed to decode, expected at most %g", decode_errors,
             opts[O_MAX_DECODE_ERRORS].value);
    if (opts[O_MAX_DECODE_ERRORS].set && !decode)
        fail("--max-decode-errors needs --decode");
    mrtc_ivf_reader_close(r);
    return failures ? EXIT_FAILED : 0;
}

/* ---- Y4M ---- */

static int check_y4m(void)
{
    mrtc_y4m_reader *r = NULL;
    mrtc_video_frame f;
    static counters cnt;
    unsigned long frames = 0;

    int err = mrtc_y4m_reader_open(file, false, &r);
    if (err)
        unreadable("cannot read YUV4MPEG2", err);
    cnt.first = cnt.last = -1;
    while ((err = mrtc_y4m_reader_read(r, &f)) == 1) {
        frames++;
        counter_add(&cnt, &f);
    }
    if (err < 0)
        unreadable("malformed frame", err);
    unsigned w = mrtc_y4m_reader_width(r), h = mrtc_y4m_reader_height(r);
    printf("{\"file\":");
    print_json_string(file);
    printf(",\"frames\":%lu,\"width\":%u,\"height\":%u,\"fps\":%.3f", frames, w, h,
           mrtc_y4m_reader_fps(r));
    print_counters(&cnt);
    printf("}\n");
    fflush(stdout);
    check_size_and_counts(w, h, frames, &cnt);
    mrtc_y4m_reader_close(r);
    return failures ? EXIT_FAILED : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage(argc == 2 && strcmp(argv[1], "--help") != 0 ? "missing FILE" : NULL);
    const char *mode = argv[1];
    file = argv[2];
    if (strcmp(mode, "wav") == 0) {
        parse_options('w', argc, argv);
        return check_wav();
    }
    if (strcmp(mode, "ivf") == 0) {
        parse_options('i', argc, argv);
        return check_ivf();
    }
    if (strcmp(mode, "y4m") == 0) {
        parse_options('y', argc, argv);
        return check_y4m();
    }
    usage("mode must be wav, ivf or y4m");
    return EXIT_USAGE;
}
