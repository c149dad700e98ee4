/* Tests of media/wav.c, media/y4m.c and media/ivf.c: header parsing of canonical and variant
 * files (WAVE_FORMAT_EXTENSIBLE, skipped and odd-sized chunks, streaming sizes, Y4M parameter
 * sets, IVF fields), hostile headers refused with MRTC_EPROTO (sizes beyond the file, zero or
 * three channels, bad formats, huge or tiny dimensions, bad chroma, truncations), the buffer
 * iterators, write-then-read round trips compared byte for byte, looping readers, and files
 * left by writers that were never closed (as after a kill) still parsing with their size
 * fields covering what was written. Files live in a fresh mkdtemp directory. */
#include "test.h"

#include "media/ivf.h"
#include "media/wav.h"
#include "media/y4m.h"
#include "meshrtc/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

/* Reads a whole file into an mrtc_malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    *len = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = mrtc_malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        *len = (size_t)n;
    fclose(f);
    return buf;
}

static void spit(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

/* ---- WAV ---- */

/* A canonical 44-byte header for 8 stereo frames at 48 kHz, then the 32 sample bytes. */
static size_t make_wav(uint8_t *buf)
{
    CHECK_EQ(mrtc_wav_write_header(buf, 44, 48000, 2, 32), 44);
    for (int i = 0; i < 32; i++)
        buf[44 + i] = (uint8_t)i;
    return 76;
}

static void test_wav_parse_canonical(void)
{
    uint8_t buf[128];
    mrtc_wav_info info;
    size_t len = make_wav(buf);

    CHECK_EQ(mrtc_wav_parse_header(buf, len, len, &info), 0);
    CHECK_EQ(info.rate, 48000);
    CHECK_EQ(info.channels, 2);
    CHECK_U64(info.data_offset, 44);
    CHECK_U64(info.data_bytes, 32);
    CHECK_U64(info.frames, 8);
    CHECK(!info.to_end);
    /* Only the header in the buffer, the file is longer: still fine. */
    CHECK_EQ(mrtc_wav_parse_header(buf, 44, len, &info), 0);
    CHECK_U64(info.data_bytes, 32);
    CHECK_EQ(mrtc_wav_parse_header(buf, len, len - 1, &info), MRTC_EINVAL);
    CHECK_EQ(mrtc_wav_parse_header(NULL, 0, 0, &info), MRTC_EPROTO);
    CHECK_EQ(mrtc_wav_write_header(buf, 43, 48000, 2, 0), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_wav_write_header(buf, 44, 7999, 2, 0), MRTC_EINVAL);
    CHECK_EQ(mrtc_wav_write_header(buf, 44, 48000, 3, 0), MRTC_EINVAL);
}

static void test_wav_parse_variants(void)
{
    uint8_t buf[256];
    mrtc_wav_info info;
    size_t len;

    /* A LIST chunk of odd size (padded) between RIFF header and fmt. */
    memcpy(buf, "RIFF\0\0\0\0WAVE", 12);
    memcpy(buf + 12, "LIST", 4);
    put32(buf + 16, 3);
    memcpy(buf + 20, "abc\0", 4);
    /* WAVE_FORMAT_EXTENSIBLE, mono 16 kHz, PCM subformat. */
    uint8_t *fmt = buf + 24;
    memcpy(fmt, "fmt ", 4);
    put32(fmt + 4, 40);
    put16(fmt + 8, 0xFFFE);
    put16(fmt + 10, 1);
    put32(fmt + 12, 16000);
    put32(fmt + 16, 32000);
    put16(fmt + 20, 2);
    put16(fmt + 22, 16);
    put16(fmt + 24, 22);
    put16(fmt + 26, 16);
    put32(fmt + 28, 4);
    static const uint8_t guid[16] = {1,    0, 0, 0,    0, 0,    0x10, 0,
                                     0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71};
    memcpy(fmt + 32, guid, 16);
    uint8_t *data = fmt + 48;
    memcpy(data, "data", 4);
    put32(data + 4, 7); /* odd: 3 whole frames */
    len = (size_t)(data + 8 - buf) + 8;
    CHECK_EQ(mrtc_wav_parse_header(buf, len, len, &info), 0);
    CHECK_EQ(info.rate, 16000);
    CHECK_EQ(info.channels, 1);
    CHECK_U64(info.data_offset, (uint64_t)(data + 8 - buf));
    CHECK_U64(info.data_bytes, 6);
    CHECK_U64(info.frames, 3);

    /* Streaming sizes: 0 and 0xFFFFFFFF run to the end of the file. */
    put32(data + 4, 0);
    CHECK_EQ(mrtc_wav_parse_header(buf, len, 1000, &info), 0);
    CHECK(info.to_end);
    CHECK_U64(info.data_bytes, 1000 - info.data_offset);
    put32(data + 4, 0xFFFFFFFFu);
    CHECK_EQ(mrtc_wav_parse_header(buf, len, len + 5, &info), 0);
    CHECK(info.to_end);
    CHECK_U64(info.data_bytes, 12);

    /* A non-PCM subformat (IEEE float) is refused. */
    put32(data + 4, 8);
    fmt[32] = 3;
    CHECK_EQ(mrtc_wav_parse_header(buf, len, len, &info), MRTC_EPROTO);
}

typedef struct wav_mutation {
    const char *name;
    size_t off;
    uint32_t value;
    int width; /* 2 or 4 bytes */
} wav_mutation;

static void test_wav_hostile(void)
{
    static const wav_mutation muts[] = {
        {"data size beyond the file", 40, 33, 4},
        {"data size far beyond the file", 40, 0x7FFFFFFF, 4},
        {"fmt size beyond the buffer", 16, 0xFFFFFFF0, 4},
        {"fmt size below 16", 16, 14, 4},
        {"zero channels", 22, 0, 2},
        {"three channels", 22, 3, 2},
        {"8 bits", 34, 8, 2},
        {"24 bits", 34, 24, 2},
        {"rate 4000", 24, 4000, 4},
        {"rate 200000", 24, 200000, 4},
        {"rate 0", 24, 0, 4},
        {"block align 3", 32, 3, 2},
        {"IEEE float format", 20, 3, 2},
        {"A-law format", 20, 6, 2},
        {"extensible but short fmt", 20, 0xFFFE, 2},
        {"RIFF magic", 0, 0x46464952 ^ 1, 4},
        {"WAVE magic", 8, 0x45564157 ^ 0x100, 4},
        {"fmt chunk renamed: data before fmt", 12, 0x61746164, 4},
    };
    uint8_t good[128], buf[128];
    mrtc_wav_info info;
    size_t len = make_wav(good);

    for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
        memcpy(buf, good, len);
        if (muts[i].width == 2)
            put16(buf + muts[i].off, (uint16_t)muts[i].value);
        else
            put32(buf + muts[i].off, muts[i].value);
        int err = mrtc_wav_parse_header(buf, len, len, &info);
        if (err != MRTC_EPROTO)
            fprintf(stderr, "mutation: %s\n", muts[i].name);
        CHECK_EQ(err, MRTC_EPROTO);
    }
    /* Every truncation of the header (the file being as long as the buffer). */
    for (size_t n = 0; n < 44; n++)
        CHECK_EQ(mrtc_wav_parse_header(good, n, n, &info), MRTC_EPROTO);
    /* The header in the buffer, but a file shorter than the data size. */
    CHECK_EQ(mrtc_wav_parse_header(good, 44, 44 + 31, &info), MRTC_EPROTO);
    /* A second fmt chunk. */
    memcpy(buf, good, 36);
    memcpy(buf + 36, good + 12, 24);
    memcpy(buf + 60, good + 36, 8 + 32);
    put32(buf + 4, 36 + 24 + 32);
    CHECK_EQ(mrtc_wav_parse_header(buf, 100, 100, &info), MRTC_EPROTO);
    /* No data chunk at all: an unknown chunk running to the end. */
    memcpy(buf, good, 36);
    memcpy(buf + 36, "junk", 4);
    put32(buf + 40, 32);
    CHECK_EQ(mrtc_wav_parse_header(buf, 76, 76, &info), MRTC_EPROTO);
}

static void test_wav_round_trip(void)
{
    enum { FRAMES = 3000 };
    static int16_t pcm[FRAMES * 2], back[FRAMES * 2 + 2];
    mrtc_wav_writer *w = NULL;
    mrtc_wav_reader *r = NULL;
    const char *path = tmp_path("rt.wav");

    for (int i = 0; i < FRAMES * 2; i++)
        pcm[i] = (int16_t)(i * 37 - 30000);
    pcm[1] = INT16_MIN;
    pcm[2] = INT16_MAX;
    CHECK_EQ(mrtc_wav_writer_open(path, 48000, 2, &w), 0);
    CHECK_EQ(mrtc_wav_writer_write(w, pcm, 1), 0);
    CHECK_EQ(mrtc_wav_writer_write(w, pcm + 2, 999), 0);
    CHECK_EQ(mrtc_wav_writer_write(w, pcm + 2000, FRAMES - 1000), 0);
    CHECK_U64(mrtc_wav_writer_frames(w), FRAMES);
    CHECK_EQ(mrtc_wav_writer_close(w), 0);

    size_t len;
    uint8_t *file = slurp(path, &len);
    CHECK_EQ(len, 44 + FRAMES * 4);
    if (file && len == 44 + FRAMES * 4) {
        uint8_t hdr[44];
        mrtc_wav_write_header(hdr, sizeof hdr, 48000, 2, FRAMES * 4);
        CHECK_MEM(file, hdr, 44);
        bool same = true;
        for (int i = 0; i < FRAMES * 2; i++)
            same = same && (int16_t)(file[44 + 2 * i] | file[45 + 2 * i] << 8) == pcm[i];
        CHECK(same);
    }
    mrtc_free(file);

    CHECK_EQ(mrtc_wav_reader_open(path, false, &r), 0);
    if (!r)
        return;
    CHECK_EQ(mrtc_wav_reader_info(r)->rate, 48000);
    CHECK_EQ(mrtc_wav_reader_info(r)->channels, 2);
    CHECK_EQ(mrtc_wav_reader_read(r, back, 100), 100);
    CHECK_EQ(mrtc_wav_reader_read(r, back + 200, FRAMES), FRAMES - 100);
    CHECK_MEM(back, pcm, sizeof pcm);
    CHECK_EQ(mrtc_wav_reader_read(r, back, 10), 0);
    mrtc_wav_reader_close(r);
    remove(path);
}

static void test_wav_loop(void)
{
    int16_t pcm[100], back[250];
    mrtc_wav_writer *w = NULL;
    mrtc_wav_reader *r = NULL;
    const char *path = tmp_path("loop.wav");

    for (int i = 0; i < 100; i++)
        pcm[i] = (int16_t)(i + 1);
    CHECK_EQ(mrtc_wav_writer_open(path, 8000, 1, &w), 0);
    CHECK_EQ(mrtc_wav_writer_write(w, pcm, 100), 0);
    CHECK_EQ(mrtc_wav_writer_close(w), 0);
    CHECK_EQ(mrtc_wav_reader_open(path, true, &r), 0);
    if (!r)
        return;
    CHECK_EQ(mrtc_wav_reader_read(r, back, 30), 30);
    CHECK_EQ(mrtc_wav_reader_read(r, back + 30, 220), 220);
    bool same = true;
    for (int i = 0; i < 250; i++)
        same = same && back[i] == pcm[i % 100];
    CHECK(same);
    mrtc_wav_reader_close(r);

    /* An empty looping file reads nothing rather than spinning. */
    CHECK_EQ(mrtc_wav_writer_open(path, 8000, 1, &w), 0);
    CHECK_EQ(mrtc_wav_writer_close(w), 0);
    CHECK_EQ(mrtc_wav_reader_open(path, true, &r), 0);
    CHECK_EQ(mrtc_wav_reader_read(r, back, 10), 0);
    mrtc_wav_reader_close(r);
    remove(path);
}

/* A writer that is never closed (the process was killed) leaves a file whose header sizes
 * cover at least every whole second written. */
static void test_wav_killed_writer(void)
{
    static int16_t pcm[960];
    mrtc_wav_writer *w = NULL;
    mrtc_wav_info info;
    const char *path = tmp_path("killed.wav");

    for (int i = 0; i < 960; i++)
        pcm[i] = (int16_t)(i * 11);
    CHECK_EQ(mrtc_wav_writer_open(path, 48000, 1, &w), 0);
    if (!w)
        return;
    for (int i = 0; i < 75; i++) /* 1.5 s in 20 ms frames */
        CHECK_EQ(mrtc_wav_writer_write(w, pcm, 960), 0);
    size_t len;
    uint8_t *file = slurp(path, &len);
    CHECK(file != NULL);
    CHECK_EQ(mrtc_wav_parse_header(file, len, len, &info), 0);
    CHECK(!info.to_end);
    CHECK_U64(info.frames, 48000);
    mrtc_free(file);

    for (int i = 0; i < 25; i++) /* to 2 s */
        CHECK_EQ(mrtc_wav_writer_write(w, pcm, 960), 0);
    file = slurp(path, &len);
    CHECK_EQ(mrtc_wav_parse_header(file, len, len, &info), 0);
    CHECK(info.frames >= 48000);
    CHECK_U64(info.frames, 96000);
    mrtc_free(file);
    /* One large write still rewrites the sizes at every second inside it. */
    static int16_t big[48000 * 2 + 100];
    memset(big, 0, sizeof big);
    CHECK_EQ(mrtc_wav_writer_write(w, big, 48000 * 2 + 100), 0);
    file = slurp(path, &len);
    CHECK_EQ(mrtc_wav_parse_header(file, len, len, &info), 0);
    CHECK_U64(info.frames, 4 * 48000);
    mrtc_free(file);

    CHECK_EQ(mrtc_wav_writer_close(w), 0);
    file = slurp(path, &len);
    CHECK_EQ(mrtc_wav_parse_header(file, len, len, &info), 0);
    CHECK_U64(info.frames, 4 * 48000 + 100);
    mrtc_free(file);
    remove(path);
}

static void test_wav_errors(void)
{
    mrtc_wav_writer *w = NULL;
    mrtc_wav_reader *r = NULL;
    uint8_t junk[64] = "RIFF\0\0\0\0WAVEfmt ";

    CHECK_EQ(mrtc_wav_writer_open(tmp_path("x.wav"), 7999, 1, &w), MRTC_EINVAL);
    CHECK_EQ(mrtc_wav_writer_open(tmp_path("x.wav"), 48000, 0, &w), MRTC_EINVAL);
    CHECK_EQ(mrtc_wav_writer_open(tmp_path("no/such/dir.wav"), 48000, 1, &w), MRTC_EIO);
    CHECK(w == NULL);
    CHECK_EQ(mrtc_wav_reader_open(tmp_path("missing.wav"), false, &r), MRTC_EIO);
    spit(tmp_path("junk.wav"), junk, sizeof junk);
    CHECK_EQ(mrtc_wav_reader_open(tmp_path("junk.wav"), false, &r), MRTC_EPROTO);
    CHECK(r == NULL);
    remove(tmp_path("junk.wav"));
    CHECK_EQ(mrtc_wav_writer_close(NULL), 0);
    mrtc_wav_reader_close(NULL);
}

/* ---- Y4M ---- */

static int parse_y4m(const char *s, mrtc_y4m_info *info)
{
    return mrtc_y4m_parse_header((const uint8_t *)s, strlen(s), info);
}

static void test_y4m_parse_header(void)
{
    mrtc_y4m_info info;
    const char *full = "YUV4MPEG2 W640 H480 F30000:1001 It A1:1 C420jpeg XYSCSS=420JPEG\nFRAME";

    CHECK_EQ(parse_y4m(full, &info), (int)strlen(full) - 5);
    CHECK_EQ(info.width, 640);
    CHECK_EQ(info.height, 480);
    CHECK_EQ(info.fps_num, 30000);
    CHECK_EQ(info.fps_den, 1001);
    CHECK(info.interlaced);
    CHECK_EQ(info.frame_size, 640 * 480 * 3 / 2);

    CHECK_EQ(parse_y4m("YUV4MPEG2 W5 H3\n", &info), 16);
    CHECK_EQ(info.fps_num, 30);
    CHECK_EQ(info.fps_den, 1);
    CHECK(!info.interlaced);
    CHECK_EQ(info.frame_size, 5 * 3 + 2 * 3 * 2);
    CHECK(parse_y4m("YUV4MPEG2  H2   W2 F0:0 Ip C420paldv Zfuture\n", &info) > 0);
    CHECK_EQ(info.fps_num, 30);
    CHECK(parse_y4m("YUV4MPEG2 W8192 H8192 C420mpeg2 Im\n", &info) > 0);
    CHECK_EQ(info.frame_size, 8192 * 8192 * 3 / 2);
    CHECK(parse_y4m("YUV4MPEG2 W2 H2 C420 I?\n", &info) > 0);

    static const char *bad[] = {
        "YUV4MPEG2 W640 H480 C444\n",
        "YUV4MPEG2 W640 H480 C422\n",
        "YUV4MPEG2 W640 H480 Cmono\n",
        "YUV4MPEG2 W640 H480 C420p10\n",
        "YUV4MPEG2 W8193 H480\n",
        "YUV4MPEG2 W640 H9000\n",
        "YUV4MPEG2 W1 H480\n",
        "YUV4MPEG2 W0 H480\n",
        "YUV4MPEG2 W99999999999 H480\n",
        "YUV4MPEG2 W-4 H480\n",
        "YUV4MPEG2 W640\n",
        "YUV4MPEG2 H480\n",
        "YUV4MPEG2 W H480\n",
        "YUV4MPEG2 W64x H480\n",
        "YUV4MPEG2 W64 H48 F30:0\n",
        "YUV4MPEG2 W64 H48 F30\n",
        "YUV4MPEG2 W64 H48 Fa:b\n",
        "YUV4MPEG2 W64 H48 Ix\n",
        "YUV4MPEG2 W64 H48",
        "YUV4MPEG W64 H48\n",
        "YUV4MPEG2W64 H48\n",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int err = parse_y4m(bad[i], &info);
        if (err != MRTC_EPROTO)
            fprintf(stderr, "header: %s\n", bad[i]);
        CHECK_EQ(err, MRTC_EPROTO);
    }
    /* A header line longer than the limit. */
    static char longline[MRTC_Y4M_MAX_HEADER + 32];
    memset(longline, ' ', sizeof longline);
    memcpy(longline, "YUV4MPEG2 W64 H48", 17);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    CHECK_EQ(parse_y4m(longline, &info), MRTC_EPROTO);

    CHECK_EQ(mrtc_y4m_parse_frame_header((const uint8_t *)"FRAME\n", 6), 6);
    CHECK_EQ(mrtc_y4m_parse_frame_header((const uint8_t *)"FRAME Ip Xa=b\nxx", 16), 14);
    CHECK_EQ(mrtc_y4m_parse_frame_header((const uint8_t *)"FRAME", 5), MRTC_EPROTO);
    CHECK_EQ(mrtc_y4m_parse_frame_header((const uint8_t *)"FRAMES\n", 7), MRTC_EPROTO);
    CHECK_EQ(mrtc_y4m_parse_frame_header((const uint8_t *)"FRAM\n", 5), MRTC_EPROTO);
    CHECK_EQ(mrtc_y4m_parse_frame_header((const uint8_t *)"", 0), MRTC_EPROTO);
}

static void test_y4m_iterate_buffer(void)
{
    /* 3x3 frames: 9 luma + 4 + 4 chroma = 17 bytes. */
    uint8_t buf[256];
    mrtc_y4m_info info;
    mrtc_video_frame f;
    size_t len = 0;
    const char *hdr = "YUV4MPEG2 W3 H3 F25:1\n";
    memcpy(buf, hdr, strlen(hdr));
    len = strlen(hdr);
    for (int k = 0; k < 3; k++) {
        const char *fh = k == 1 ? "FRAME Ixyz\n" : "FRAME\n";
        memcpy(buf + len, fh, strlen(fh));
        len += strlen(fh);
        for (int i = 0; i < 17; i++)
            buf[len++] = (uint8_t)(k * 100 + i);
    }
    int hl = mrtc_y4m_parse_header(buf, len, &info);
    CHECK_EQ(hl, (int)strlen(hdr));
    CHECK_EQ(info.frame_size, 17);
    size_t pos = (size_t)hl;
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(mrtc_y4m_next_frame(&info, buf, len, &pos, &f), 1);
        CHECK_EQ(f.width, 3);
        CHECK_EQ(f.height, 3);
        CHECK_EQ(f.stride_y, 3);
        CHECK_EQ(f.stride_u, 2);
        CHECK_EQ(f.y[0], k * 100);
        CHECK_EQ(f.y[8], k * 100 + 8);
        CHECK_EQ(f.u[0], k * 100 + 9);
        CHECK_EQ(f.v[3], k * 100 + 16);
    }
    CHECK_EQ(mrtc_y4m_next_frame(&info, buf, len, &pos, &f), 0);
    CHECK_EQ(pos, len);
    /* A truncated last frame, and garbage instead of a frame header. */
    pos = (size_t)hl;
    CHECK_EQ(mrtc_y4m_next_frame(&info, buf, (size_t)hl + 6 + 16, &pos, &f), MRTC_EPROTO);
    CHECK_EQ(pos, (size_t)hl);
    buf[hl] = 'X';
    CHECK_EQ(mrtc_y4m_next_frame(&info, buf, len, &pos, &f), MRTC_EPROTO);
    pos = len + 1;
    CHECK_EQ(mrtc_y4m_next_frame(&info, buf, len, &pos, &f), MRTC_EINVAL);
}

/* A 7x5 frame (odd sizes: 4x3 chroma) with padded strides, its value pattern seeded by k. */
typedef struct padded_frame {
    uint8_t y[10 * 5], u[6 * 3], v[6 * 3];
    mrtc_video_frame f;
} padded_frame;

static void make_padded(padded_frame *p, int k)
{
    memset(p, 0xEE, sizeof *p);
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 7; c++)
            p->y[r * 10 + c] = (uint8_t)(k * 50 + r * 7 + c);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) {
            p->u[r * 6 + c] = (uint8_t)(k * 50 + 100 + r * 4 + c);
            p->v[r * 6 + c] = (uint8_t)(k * 50 + 150 + r * 4 + c);
        }
    p->f = (mrtc_video_frame){.width = 7,
                              .height = 5,
                              .y = p->y,
                              .u = p->u,
                              .v = p->v,
                              .stride_y = 10,
                              .stride_u = 6,
                              .stride_v = 6};
}

static bool same_picture(const mrtc_video_frame *a, const mrtc_video_frame *b)
{
    if (a->width != b->width || a->height != b->height)
        return false;
    int cw = (a->width + 1) / 2, ch = (a->height + 1) / 2;
    for (int r = 0; r < a->height; r++)
        if (memcmp(a->y + r * a->stride_y, b->y + r * b->stride_y, a->width) != 0)
            return false;
    for (int r = 0; r < ch; r++)
        if (memcmp(a->u + r * a->stride_u, b->u + r * b->stride_u, (size_t)cw) != 0 ||
            memcmp(a->v + r * a->stride_v, b->v + r * b->stride_v, (size_t)cw) != 0)
            return false;
    return true;
}

static void test_y4m_round_trip(void)
{
    static padded_frame pf[3];
    mrtc_y4m_writer *w = NULL;
    mrtc_y4m_reader *r = NULL;
    mrtc_video_frame f;
    const char *path = tmp_path("rt.y4m");

    CHECK_EQ(mrtc_y4m_writer_open(path, 7, 5, 30000, 1001, &w), 0);
    if (!w)
        return;
    for (int k = 0; k < 3; k++) {
        make_padded(&pf[k], k);
        CHECK_EQ(mrtc_y4m_writer_write(w, &pf[k].f), 0);
    }
    padded_frame wrong;
    make_padded(&wrong, 0);
    wrong.f.width = 8;
    CHECK_EQ(mrtc_y4m_writer_write(w, &wrong.f), MRTC_EINVAL);
    wrong.f.width = 7;
    wrong.f.stride_u = 3;
    CHECK_EQ(mrtc_y4m_writer_write(w, &wrong.f), MRTC_EINVAL);
    CHECK_EQ(mrtc_y4m_writer_close(w), 0);

    /* The exact bytes: header, then per frame "FRAME\n" and the tight planes. */
    size_t len;
    uint8_t *file = slurp(path, &len);
    const char *hdr = "YUV4MPEG2 W7 H5 F30000:1001 Ip A1:1 C420jpeg\n";
    size_t hl = strlen(hdr), fsz = 35 + 12 + 12;
    CHECK_EQ(len, hl + 3 * (6 + fsz));
    if (file && len == hl + 3 * (6 + fsz)) {
        CHECK_MEM(file, hdr, hl);
        for (int k = 0; k < 3; k++) {
            const uint8_t *fr = file + hl + k * (6 + fsz);
            CHECK_MEM(fr, "FRAME\n", 6);
            CHECK_EQ(fr[6], k * 50);
            CHECK_EQ(fr[6 + 34], k * 50 + 4 * 7 + 6);
            CHECK_EQ(fr[6 + 35], k * 50 + 100);
            CHECK_EQ(fr[6 + 47], k * 50 + 150);
        }
    }
    mrtc_free(file);

    CHECK_EQ(mrtc_y4m_reader_open(path, false, &r), 0);
    if (!r)
        return;
    CHECK_EQ(mrtc_y4m_reader_width(r), 7);
    CHECK_EQ(mrtc_y4m_reader_height(r), 5);
    CHECK(mrtc_y4m_reader_fps(r) > 29.96 && mrtc_y4m_reader_fps(r) < 29.98);
    for (int k = 0; k < 3; k++) {
        CHECK_EQ(mrtc_y4m_reader_read(r, &f), 1);
        CHECK(same_picture(&f, &pf[k].f));
    }
    CHECK_EQ(mrtc_y4m_reader_read(r, &f), 0);
    mrtc_y4m_reader_close(r);
    remove(path);
}

static void test_y4m_loop_and_truncation(void)
{
    static padded_frame pf[3];
    mrtc_y4m_writer *w = NULL;
    mrtc_y4m_reader *r = NULL;
    mrtc_video_frame f;
    const char *path = tmp_path("loop.y4m");

    CHECK_EQ(mrtc_y4m_writer_open(path, 7, 5, 30, 1, &w), 0);
    if (!w)
        return;
    for (int k = 0; k < 3; k++) {
        make_padded(&pf[k], k);
        CHECK_EQ(mrtc_y4m_writer_write(w, &pf[k].f), 0);
    }
    CHECK_EQ(mrtc_y4m_writer_close(w), 0);
    /* A killed writer's half frame at the end. */
    FILE *fp = fopen(path, "ab");
    CHECK(fp != NULL);
    if (fp) {
        fputs("FRAME\n0123456789", fp);
        fclose(fp);
    }

    CHECK_EQ(mrtc_y4m_reader_open(path, true, &r), 0);
    for (int i = 0; i < 7; i++) {
        CHECK_EQ(mrtc_y4m_reader_read(r, &f), 1);
        CHECK(same_picture(&f, &pf[i % 3].f));
    }
    mrtc_y4m_reader_close(r);
    CHECK_EQ(mrtc_y4m_reader_open(path, false, &r), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(mrtc_y4m_reader_read(r, &f), 1);
    CHECK_EQ(mrtc_y4m_reader_read(r, &f), 0);
    mrtc_y4m_reader_close(r);

    /* Hostile files. */
    static const char *bad = "YUV4MPEG2 W640 H480 C444\nFRAME\n";
    spit(path, (const uint8_t *)bad, strlen(bad));
    CHECK_EQ(mrtc_y4m_reader_open(path, false, &r), MRTC_EPROTO);
    static const char *badframe = "YUV4MPEG2 W2 H2\nFRAMX\n012345";
    spit(path, (const uint8_t *)badframe, strlen(badframe));
    CHECK_EQ(mrtc_y4m_reader_open(path, true, &r), 0);
    CHECK_EQ(mrtc_y4m_reader_read(r, &f), MRTC_EPROTO);
    mrtc_y4m_reader_close(r);
    spit(path, (const uint8_t *)"YUV4MPEG2 W2 H2\n", 16);
    CHECK_EQ(mrtc_y4m_reader_open(path, true, &r), 0);
    CHECK_EQ(mrtc_y4m_reader_read(r, &f), 0); /* no frame at all: no endless loop */
    mrtc_y4m_reader_close(r);
    remove(path);
    CHECK_EQ(mrtc_y4m_reader_open(path, false, &r), MRTC_EIO);
    CHECK_EQ(mrtc_y4m_writer_open(path, 1, 5, 30, 1, &w), MRTC_EINVAL);
    CHECK_EQ(mrtc_y4m_writer_open(path, 8, 5, 30, 0, &w), MRTC_EINVAL);
    CHECK_EQ(mrtc_y4m_writer_open(tmp_path("no/dir.y4m"), 8, 5, 30, 1, &w), MRTC_EIO);
}

/* ---- IVF ---- */

static void test_ivf_header(void)
{
    uint8_t hdr[MRTC_IVF_HEADER_LEN], bad[MRTC_IVF_HEADER_LEN];
    mrtc_ivf_info in = {.fourcc = "VP80",
                        .width = 640,
                        .height = 480,
                        .timebase_num = 1,
                        .timebase_den = 90000,
                        .frame_count = 77};
    mrtc_ivf_info out;

    CHECK_EQ(mrtc_ivf_write_header(hdr, sizeof hdr, &in), MRTC_IVF_HEADER_LEN);
    static const uint8_t want[32] = {'D', 'K',  'I', 'F',  0, 0,    32,   0, 'V', 'P', '8',
                                     '0', 0x80, 2,   0xe0, 1, 0x90, 0x5f, 1, 0,   1,   0,
                                     0,   0,    77,  0,    0, 0,    0,    0, 0,   0};
    CHECK_MEM(hdr, want, 32);
    CHECK_EQ(mrtc_ivf_parse_header(hdr, sizeof hdr, &out), 0);
    CHECK_STR(out.fourcc, "VP80");
    CHECK_EQ(out.width, 640);
    CHECK_EQ(out.height, 480);
    CHECK_EQ(out.timebase_num, 1);
    CHECK_EQ(out.timebase_den, 90000);
    CHECK_EQ(out.frame_count, 77);
    CHECK_EQ(mrtc_ivf_write_header(hdr, 31, &in), MRTC_ENOBUFS);
    memcpy(in.fourcc, "VP8", 4);
    CHECK_EQ(mrtc_ivf_write_header(hdr, sizeof hdr, &in), MRTC_EINVAL);

    static const struct {
        size_t off;
        uint8_t val;
    } muts[] = {{0, 'd'}, {3, 'G'}, {4, 1}, {6, 64}, {7, 1}, {16, 0}, {20, 0}};
    for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
        memcpy(bad, want, 32);
        bad[muts[i].off] = muts[i].val;
        if (muts[i].off == 16)
            memset(bad + 16, 0, 4);
        if (muts[i].off == 20)
            memset(bad + 20, 0, 4);
        CHECK_EQ(mrtc_ivf_parse_header(bad, 32, &out), MRTC_EPROTO);
    }
    for (size_t n = 0; n < 32; n++)
        CHECK_EQ(mrtc_ivf_parse_header(want, n, &out), MRTC_EPROTO);
}

static void test_ivf_iterate_buffer(void)
{
    uint8_t buf[128];
    mrtc_ivf_frame f;
    mrtc_ivf_info info = {.fourcc = "VP80", .timebase_num = 1, .timebase_den = 90000};
    size_t len = (size_t)mrtc_ivf_write_header(buf, sizeof buf, &info);

    /* Frames of 3 and 0 bytes. */
    put32(buf + len, 3);
    put32(buf + len + 4, 0x01020304);
    put32(buf + len + 8, 0x05);
    memcpy(buf + len + 12, "abc", 3);
    len += 15;
    put32(buf + len, 0);
    put32(buf + len + 4, 7);
    put32(buf + len + 8, 0);
    len += 12;
    size_t pos = MRTC_IVF_HEADER_LEN;
    CHECK_EQ(mrtc_ivf_next_frame(buf, len, &pos, &f), 1);
    CHECK_EQ(f.len, 3);
    CHECK_MEM(f.data, "abc", 3);
    CHECK_U64(f.pts, 0x0000000501020304ull);
    CHECK_EQ(mrtc_ivf_next_frame(buf, len, &pos, &f), 1);
    CHECK_EQ(f.len, 0);
    CHECK_U64(f.pts, 7);
    CHECK_EQ(mrtc_ivf_next_frame(buf, len, &pos, &f), 0);

    /* Truncated frame header, frame beyond the buffer, frame over 16 MiB. */
    pos = MRTC_IVF_HEADER_LEN;
    for (size_t n = 1; n < 15; n++) {
        CHECK_EQ(mrtc_ivf_next_frame(buf, MRTC_IVF_HEADER_LEN + n, &pos, &f), MRTC_EPROTO);
        CHECK_EQ(pos, MRTC_IVF_HEADER_LEN);
    }
    put32(buf + MRTC_IVF_HEADER_LEN, 0xFFFFFFFFu);
    CHECK_EQ(mrtc_ivf_next_frame(buf, len, &pos, &f), MRTC_EPROTO);
    put32(buf + MRTC_IVF_HEADER_LEN, MRTC_IVF_MAX_FRAME + 1);
    CHECK_EQ(mrtc_ivf_next_frame(buf, len, &pos, &f), MRTC_EPROTO);
    pos = len + 1;
    CHECK_EQ(mrtc_ivf_next_frame(buf, len, &pos, &f), MRTC_EINVAL);
}

static void test_ivf_round_trip(void)
{
    static uint8_t frames[5][700];
    static const size_t sizes[5] = {700, 1, 35, 512, 2};
    mrtc_ivf_writer *w = NULL;
    mrtc_ivf_reader *r = NULL;
    mrtc_ivf_frame f;
    const char *path = tmp_path("rt.ivf");

    CHECK_EQ(mrtc_ivf_writer_open(path, "VP80", 320, 240, &w), 0);
    if (!w)
        return;
    for (int k = 0; k < 5; k++) {
        for (size_t i = 0; i < sizes[k]; i++)
            frames[k][i] = (uint8_t)(k * 31 + i);
        CHECK_EQ(mrtc_ivf_writer_write(w, frames[k], sizes[k], 1000000 + 3000u * k), 0);
    }
    CHECK_EQ(mrtc_ivf_writer_write(w, frames[0], 0, 0), MRTC_EINVAL);
    CHECK_EQ(mrtc_ivf_writer_frames(w), 5);
    CHECK_EQ(mrtc_ivf_writer_close(w), 0);

    size_t len;
    uint8_t *file = slurp(path, &len);
    mrtc_ivf_info info;
    CHECK_EQ(mrtc_ivf_parse_header(file, len, &info), 0);
    CHECK_STR(info.fourcc, "VP80");
    CHECK_EQ(info.width, 320);
    CHECK_EQ(info.height, 240);
    CHECK_EQ(info.timebase_num, 1);
    CHECK_EQ(info.timebase_den, 90000);
    CHECK_EQ(info.frame_count, 5);
    size_t pos = MRTC_IVF_HEADER_LEN;
    for (int k = 0; k < 5; k++) {
        CHECK_EQ(mrtc_ivf_next_frame(file, len, &pos, &f), 1);
        CHECK_EQ(f.len, sizes[k]);
        CHECK_MEM(f.data, frames[k], sizes[k]);
        CHECK_U64(f.pts, 1000000 + 3000u * k);
    }
    CHECK_EQ(mrtc_ivf_next_frame(file, len, &pos, &f), 0);
    mrtc_free(file);

    CHECK_EQ(mrtc_ivf_reader_open(path, &r), 0);
    if (!r)
        return;
    CHECK_EQ(mrtc_ivf_reader_info(r)->frame_count, 5);
    for (int k = 0; k < 5; k++) {
        CHECK_EQ(mrtc_ivf_reader_read(r, &f), 1);
        CHECK_EQ(f.len, sizes[k]);
        CHECK_MEM(f.data, frames[k], sizes[k]);
        CHECK_U64(f.pts, 1000000 + 3000u * k);
    }
    CHECK_EQ(mrtc_ivf_reader_read(r, &f), 0);
    mrtc_ivf_reader_close(r);
    remove(path);
}

static void test_ivf_killed_writer(void)
{
    uint8_t frame[100];
    mrtc_ivf_writer *w = NULL;
    mrtc_ivf_reader *r = NULL;
    mrtc_ivf_frame f;
    mrtc_ivf_info info;
    const char *path = tmp_path("killed.ivf");

    memset(frame, 0x5a, sizeof frame);
    CHECK_EQ(mrtc_ivf_writer_open(path, "VP80", 64, 48, &w), 0);
    if (!w)
        return;
    for (int k = 0; k < 45; k++) /* 30 fps, 1.5 s */
        CHECK_EQ(mrtc_ivf_writer_write(w, frame, sizeof frame, 3000u * k), 0);
    size_t len;
    uint8_t *file = slurp(path, &len);
    CHECK_EQ(len, 32 + 45 * 112);
    CHECK_EQ(mrtc_ivf_parse_header(file, len, &info), 0);
    CHECK(info.frame_count >= 30);
    size_t pos = MRTC_IVF_HEADER_LEN;
    int n = 0;
    while (mrtc_ivf_next_frame(file, len, &pos, &f) == 1)
        n++;
    CHECK_EQ(n, 45);
    mrtc_free(file);
    /* One frame per second: the count follows pts too. */
    for (int k = 0; k < 3; k++)
        CHECK_EQ(mrtc_ivf_writer_write(w, frame, 10, 200000 + 90000u * k), 0);
    file = slurp(path, &len);
    CHECK_EQ(mrtc_ivf_parse_header(file, len, &info), 0);
    CHECK(info.frame_count >= 47);
    mrtc_free(file);
    CHECK_EQ(mrtc_ivf_writer_close(w), 0);

    /* A half-written last frame reads as the end. */
    FILE *fp = fopen(path, "ab");
    CHECK(fp != NULL);
    if (fp) {
        uint8_t h[12] = {100, 0, 0, 0};
        fwrite(h, 1, sizeof h, fp);
        fwrite(frame, 1, 50, fp);
        fclose(fp);
    }
    CHECK_EQ(mrtc_ivf_reader_open(path, &r), 0);
    CHECK_EQ(mrtc_ivf_reader_info(r)->frame_count, 48);
    n = 0;
    while (mrtc_ivf_reader_read(r, &f) == 1)
        n++;
    CHECK_EQ(n, 48);
    mrtc_ivf_reader_close(r);

    /* A hostile frame size. */
    uint8_t hostile[44] = {0};
    mrtc_ivf_info hi = {.fourcc = "VP80", .timebase_num = 1, .timebase_den = 90000};
    mrtc_ivf_write_header(hostile, sizeof hostile, &hi);
    put32(hostile + 32, 0x7FFFFFFF);
    spit(path, hostile, sizeof hostile);
    CHECK_EQ(mrtc_ivf_reader_open(path, &r), 0);
    CHECK_EQ(mrtc_ivf_reader_read(r, &f), MRTC_EPROTO);
    mrtc_ivf_reader_close(r);
    spit(path, hostile, 20);
    CHECK_EQ(mrtc_ivf_reader_open(path, &r), MRTC_EPROTO);
    remove(path);
    CHECK_EQ(mrtc_ivf_reader_open(path, &r), MRTC_EIO);
    CHECK_EQ(mrtc_ivf_writer_open(path, "VP8", 64, 48, &w), MRTC_EINVAL);
}

/* Every allocation of every open, failed in turn: MRTC_ENOMEM and nothing leaked. */
static void test_alloc_failures(void)
{
    mrtc_wav_writer *ww = NULL;
    mrtc_y4m_writer *yw = NULL;
    mrtc_ivf_writer *iw = NULL;
    uint8_t frame[4] = {1, 2, 3, 4};
    int16_t pcm[2] = {1, 2};

    CHECK_EQ(mrtc_wav_writer_open(tmp_path("a.wav"), 8000, 1, &ww), 0);
    CHECK_EQ(mrtc_wav_writer_write(ww, pcm, 2), 0);
    CHECK_EQ(mrtc_wav_writer_close(ww), 0);
    CHECK_EQ(mrtc_ivf_writer_open(tmp_path("a.ivf"), "VP80", 2, 2, &iw), 0);
    CHECK_EQ(mrtc_ivf_writer_write(iw, frame, sizeof frame, 0), 0);
    CHECK_EQ(mrtc_ivf_writer_close(iw), 0);
    padded_frame pf;
    make_padded(&pf, 1);
    CHECK_EQ(mrtc_y4m_writer_open(tmp_path("a.y4m"), 7, 5, 30, 1, &yw), 0);
    CHECK_EQ(mrtc_y4m_writer_write(yw, &pf.f), 0);
    CHECK_EQ(mrtc_y4m_writer_close(yw), 0);

    for (int which = 0; which < 6; which++) {
        int err = MRTC_ENOMEM;
        for (long k = 1; k < 10 && err == MRTC_ENOMEM; k++) {
            mrtc_wav_reader *wr = NULL;
            mrtc_y4m_reader *yr = NULL;
            mrtc_ivf_reader *ir = NULL;
            mrtc_ivf_frame f;
            mrtc_alloc_fail_after(k);
            switch (which) {
            case 0:
                err = mrtc_wav_reader_open(tmp_path("a.wav"), false, &wr);
                break;
            case 1:
                err = mrtc_y4m_reader_open(tmp_path("a.y4m"), false, &yr);
                break;
            case 2:
                err = mrtc_ivf_reader_open(tmp_path("a.ivf"), &ir);
                if (!err) {
                    err = mrtc_ivf_reader_read(ir, &f);
                    err = err == 1 ? 0 : err;
                }
                break;
            case 3:
                err = mrtc_wav_writer_open(tmp_path("b.wav"), 8000, 1, &ww);
                break;
            case 4:
                err = mrtc_y4m_writer_open(tmp_path("b.y4m"), 8, 8, 30, 1, &yw);
                break;
            default:
                err = mrtc_ivf_writer_open(tmp_path("b.ivf"), "VP80", 8, 8, &iw);
                break;
            }
            mrtc_alloc_fail_after(0);
            CHECK(err == 0 || err == MRTC_ENOMEM);
            mrtc_wav_reader_close(wr);
            mrtc_y4m_reader_close(yr);
            mrtc_ivf_reader_close(ir);
            if (which >= 3 && !err) {
                mrtc_wav_writer_close(which == 3 ? ww : NULL);
                mrtc_y4m_writer_close(which == 4 ? yw : NULL);
                mrtc_ivf_writer_close(which == 5 ? iw : NULL);
            }
        }
        CHECK_EQ(err, 0);
    }
    static const char *names[] = {"a.wav", "a.y4m", "a.ivf", "b.wav", "b.y4m", "b.ivf"};
    for (size_t i = 0; i < 6; i++)
        remove(tmp_path(names[i]));
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/meshrtc-media-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_wav_parse_canonical);
    RUN(test_wav_parse_variants);
    RUN(test_wav_hostile);
    RUN(test_wav_round_trip);
    RUN(test_wav_loop);
    RUN(test_wav_killed_writer);
    RUN(test_wav_errors);
    RUN(test_y4m_parse_header);
    RUN(test_y4m_iterate_buffer);
    RUN(test_y4m_round_trip);
    RUN(test_y4m_loop_and_truncation);
    RUN(test_ivf_header);
    RUN(test_ivf_iterate_buffer);
    RUN(test_ivf_round_trip);
    RUN(test_ivf_killed_writer);
    RUN(test_alloc_failures);
    rmdir(tmpdir);
    return test_finish();
}
