/*
 * WAV (RIFF/WAVE) files of 16-bit PCM. The parser walks the RIFF chunk list of a byte buffer
 * (the "fmt " chunk of the Multimedia Programming Interface and Data Specifications 1.0, and
 * WAVE_FORMAT_EXTENSIBLE with KSDATAFORMAT_SUBTYPE_PCM), checks every size against the
 * buffer and the file, and reports where the samples are. The reader streams samples from a
 * file, optionally looping; the writer keeps its two size fields (RIFF and data) current
 * at least once per second of audio and flushes, so a killed process leaves a valid file.
 *
 * Deliberately not done: other sample formats (8/24/32-bit, float, A-law), more than two
 * channels, resampling, the "fact", "LIST" or cue chunks (skipped), RF64 files over 4 GiB. The
 * byte-rate field is not checked (writers get it wrong; block alignment is what matters).
 */
#include "media/wav.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define LOG_TAG "wav"

#define FORMAT_PCM 0x0001
#define FORMAT_EXTENSIBLE 0xFFFE
#define MAX_DATA_BYTES (0xFFFFFFFFu - 36u)
#define HEADER_PREFIX (1024 * 1024) /* bytes of a file the reader parses the header from */

/* KSDATAFORMAT_SUBTYPE_PCM as stored in the file (little-endian GUID fields). */
static const uint8_t pcm_guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                     0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

static int refuse(const char *why)
{
    MRTC_DEBUG(LOG_TAG, "refused WAV header: %s", why);
    return MRTC_EPROTO;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The "fmt " chunk body (size bytes, already known to be inside the buffer). */
static int parse_fmt(const uint8_t *p, uint32_t size, mrtc_wav_info *out)
{
    if (size < 16)
        return refuse("fmt chunk shorter than 16 bytes");
    uint16_t tag = le16(p);
    uint16_t channels = le16(p + 2);
    uint32_t rate = le32(p + 4);
    uint16_t block_align = le16(p + 12);
    uint16_t bits = le16(p + 14);

    if (tag == FORMAT_EXTENSIBLE) {
        if (size < 40 || le16(p + 16) < 22)
            return refuse("WAVE_FORMAT_EXTENSIBLE fmt chunk too short");
        uint16_t valid_bits = le16(p + 18);
        if (valid_bits > 16)
            return refuse("more valid bits than the 16-bit container");
        if (memcmp(p + 24, pcm_guid, sizeof pcm_guid) != 0)
            return refuse("extensible subformat is not PCM");
    } else if (tag != FORMAT_PCM) {
        return refuse("format is not PCM");
    }
    if (channels < 1 || channels > 2)
        return refuse("not 1 or 2 channels");
    if (rate < MRTC_WAV_MIN_RATE || rate > MRTC_WAV_MAX_RATE)
        return refuse("sample rate outside 8000..192000");
    if (bits != 16)
        return refuse("not 16 bits per sample");
    if (block_align != channels * 2)
        return refuse("block alignment is not 2 bytes per channel");
    out->rate = rate;
    out->channels = channels;
    return 0;
}

int mrtc_wav_parse_header(const uint8_t *data, size_t len, uint64_t file_size, mrtc_wav_info *out)
{
    bool have_fmt = false;
    size_t pos = 12;
    int err;

    if (!out || (!data && len) || len > file_size)
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    if (len < 12)
        return refuse("shorter than the RIFF header");
    if (memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WAVE", 4) != 0)
        return refuse("not RIFF/WAVE");
    for (;;) {
        if (len - pos < 8)
            return refuse("no data chunk");
        const uint8_t *id = data + pos;
        uint32_t size = le32(data + pos + 4);
        pos += 8;
        if (memcmp(id, "data", 4) == 0) {
            if (!have_fmt)
                return refuse("data chunk before the fmt chunk");
            uint64_t avail = file_size - pos;
            uint64_t bytes;
            if (size == 0 || size == 0xFFFFFFFFu) {
                out->to_end = true;
                bytes = avail;
            } else if (size > avail) {
                return refuse("data chunk extends beyond the file");
            } else {
                bytes = size;
            }
            unsigned block = out->channels * 2;
            out->data_offset = pos;
            out->data_bytes = bytes - bytes % block;
            out->frames = out->data_bytes / block;
            return 0;
        }
        uint64_t skip = (uint64_t)size + (size & 1u); /* chunks are padded to even sizes */
        if (skip > len - pos)
            return refuse("chunk extends beyond the buffer");
        if (memcmp(id, "fmt ", 4) == 0) {
            if (have_fmt)
                return refuse("second fmt chunk");
            err = parse_fmt(data + pos, size, out);
            if (err)
                return err;
            have_fmt = true;
        }
        pos += (size_t)skip;
    }
}

int mrtc_wav_write_header(uint8_t *out, size_t cap, unsigned rate, unsigned channels,
                          uint64_t data_bytes)
{
    if (!out || rate < MRTC_WAV_MIN_RATE || rate > MRTC_WAV_MAX_RATE || channels < 1 ||
        channels > 2 || data_bytes > MAX_DATA_BYTES)
        return MRTC_EINVAL;
    if (cap < MRTC_WAV_HEADER_LEN)
        return MRTC_ENOBUFS;
    memcpy(out, "RIFF", 4);
    put32(out + 4, (uint32_t)(36 + data_bytes));
    memcpy(out + 8, "WAVEfmt ", 8);
    put32(out + 16, 16);
    put16(out + 20, FORMAT_PCM);
    put16(out + 22, (uint16_t)channels);
    put32(out + 24, rate);
    put32(out + 28, rate * channels * 2);
    put16(out + 32, (uint16_t)(channels * 2));
    put16(out + 34, 16);
    memcpy(out + 36, "data", 4);
    put32(out + 40, (uint32_t)data_bytes);
    return MRTC_WAV_HEADER_LEN;
}

/* ---- Reader ---- */

struct mrtc_wav_reader {
    FILE *f;
    mrtc_wav_info info;
    bool loop;
    uint64_t pos; /* bytes of data consumed */
};

int mrtc_wav_reader_open(const char *path, bool loop, mrtc_wav_reader **out)
{
    mrtc_wav_reader *r = NULL;
    uint8_t *prefix = NULL;
    struct stat st;
    int err;

    if (!path || !out)
        return MRTC_EINVAL;
    *out = NULL;
    r = mrtc_calloc(1, sizeof *r);
    if (!r)
        return MRTC_ENOMEM;
    r->loop = loop;
    r->f = fopen(path, "rb");
    if (!r->f || fstat(fileno(r->f), &st) != 0 || st.st_size < 0) {
        MRTC_DEBUG(LOG_TAG, "cannot open %s", path);
        err = MRTC_EIO;
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size;
    size_t n = size < HEADER_PREFIX ? (size_t)size : HEADER_PREFIX;
    prefix = mrtc_malloc(n ? n : 1);
    if (!prefix) {
        err = MRTC_ENOMEM;
        goto out;
    }
    if (fread(prefix, 1, n, r->f) != n) {
        err = MRTC_EIO;
        goto out;
    }
    err = mrtc_wav_parse_header(prefix, n, size, &r->info);
    if (err)
        goto out;
    if (fseeko(r->f, (off_t)r->info.data_offset, SEEK_SET) != 0) {
        err = MRTC_EIO;
        goto out;
    }
out:
    mrtc_free(prefix);
    if (err) {
        mrtc_wav_reader_close(r);
        return err;
    }
    *out = r;
    return 0;
}

int mrtc_wav_reader_read(mrtc_wav_reader *r, int16_t *pcm, size_t frames)
{
    if (!r || (!pcm && frames))
        return MRTC_EINVAL;
    if (frames > INT_MAX)
        frames = INT_MAX;
    unsigned block = r->info.channels * 2;
    size_t done = 0;
    while (done < frames) {
        if (r->pos >= r->info.data_bytes) {
            if (!r->loop || r->info.data_bytes == 0)
                break;
            if (fseeko(r->f, (off_t)r->info.data_offset, SEEK_SET) != 0)
                return MRTC_EIO;
            r->pos = 0;
        }
        uint64_t left = (r->info.data_bytes - r->pos) / block;
        size_t want = frames - done;
        if (want > left)
            want = (size_t)left;
        uint8_t *bytes = (uint8_t *)(pcm + done * r->info.channels);
        size_t got = fread(bytes, block, want, r->f);
        for (size_t i = 0; i < got * r->info.channels; i++) {
            const uint8_t *b = bytes + 2 * i;
            pcm[done * r->info.channels + i] = (int16_t)le16(b);
        }
        done += got;
        r->pos += (uint64_t)got * block;
        if (got < want) {
            if (ferror(r->f))
                return MRTC_EIO;
            /* The file is shorter than its header said (truncated since it was opened):
             * what was read is the whole data. */
            r->info.data_bytes = r->pos;
            r->info.frames = r->pos / block;
        }
    }
    return (int)done;
}

const mrtc_wav_info *mrtc_wav_reader_info(const mrtc_wav_reader *r)
{
    return r ? &r->info : NULL;
}

void mrtc_wav_reader_close(mrtc_wav_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    mrtc_free(r);
}

/* ---- Writer ---- */

struct mrtc_wav_writer {
    FILE *f;
    unsigned rate, channels;
    uint64_t frames;      /* written */
    uint64_t since_patch; /* frames written since the size fields were last rewritten */
};

/* Flushes the samples, then rewrites the size fields to cover exactly what is in the file,
 * then flushes again: at no point do the fields claim bytes that are not on disk. */
static int patch_sizes(mrtc_wav_writer *w)
{
    uint8_t hdr[MRTC_WAV_HEADER_LEN];
    uint64_t bytes = w->frames * w->channels * 2;

    mrtc_wav_write_header(hdr, sizeof hdr, w->rate, w->channels, bytes);
    if (fflush(w->f) != 0 || fseeko(w->f, 4, SEEK_SET) != 0 || fwrite(hdr + 4, 4, 1, w->f) != 1 ||
        fseeko(w->f, 40, SEEK_SET) != 0 || fwrite(hdr + 40, 4, 1, w->f) != 1 ||
        fseeko(w->f, 0, SEEK_END) != 0 || fflush(w->f) != 0)
        return MRTC_EIO;
    w->since_patch = 0;
    return 0;
}

int mrtc_wav_writer_open(const char *path, unsigned rate, unsigned channels, mrtc_wav_writer **out)
{
    uint8_t hdr[MRTC_WAV_HEADER_LEN];
    mrtc_wav_writer *w;
    int err;

    if (!path || !out)
        return MRTC_EINVAL;
    *out = NULL;
    err = mrtc_wav_write_header(hdr, sizeof hdr, rate, channels, 0);
    if (err < 0)
        return err;
    w = mrtc_calloc(1, sizeof *w);
    if (!w)
        return MRTC_ENOMEM;
    w->rate = rate;
    w->channels = channels;
    w->f = fopen(path, "wb");
    if (!w->f || fwrite(hdr, sizeof hdr, 1, w->f) != 1 || fflush(w->f) != 0) {
        MRTC_DEBUG(LOG_TAG, "cannot create %s", path);
        if (w->f)
            fclose(w->f);
        mrtc_free(w);
        return MRTC_EIO;
    }
    *out = w;
    return 0;
}

int mrtc_wav_writer_write(mrtc_wav_writer *w, const int16_t *pcm, size_t frames)
{
    uint8_t chunk[4096];
    int err;

    if (!w || (!pcm && frames))
        return MRTC_EINVAL;
    unsigned block = w->channels * 2;
    if (frames > (MAX_DATA_BYTES / block) - w->frames)
        return MRTC_ETOOBIG;
    size_t done = 0;
    while (done < frames) {
        /* Never cross a second boundary inside one piece, so the sizes are rewritten once
         * per second of audio however large the caller's blocks are. */
        uint64_t until_patch = w->rate - w->since_patch;
        size_t n = frames - done;
        if (n > sizeof chunk / block)
            n = sizeof chunk / block;
        if (n > until_patch)
            n = (size_t)until_patch;
        const int16_t *src = pcm + done * w->channels;
        for (size_t i = 0; i < n * w->channels; i++)
            put16(chunk + 2 * i, (uint16_t)src[i]);
        if (fwrite(chunk, block, n, w->f) != n)
            return MRTC_EIO;
        done += n;
        w->frames += n;
        w->since_patch += n;
        if (w->since_patch >= w->rate) {
            err = patch_sizes(w);
            if (err)
                return err;
        }
    }
    return 0;
}

uint64_t mrtc_wav_writer_frames(const mrtc_wav_writer *w)
{
    return w ? w->frames : 0;
}

int mrtc_wav_writer_close(mrtc_wav_writer *w)
{
    if (!w)
        return 0;
    int err = patch_sizes(w);
    if (fclose(w->f) != 0)
        err = MRTC_EIO;
    mrtc_free(w);
    return err;
}
