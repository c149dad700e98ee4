/*
 * WAV files of 16-bit PCM: a header parser over a byte buffer (so it can be fuzzed), a file
 * reader that can loop, and a crash-tolerant file writer.
 *
 * Accepted: RIFF/WAVE with a "fmt " chunk of WAVE_FORMAT_PCM (1) or WAVE_FORMAT_EXTENSIBLE
 * (0xFFFE) with the PCM subformat, 16 bits per sample, 1 or 2 channels, 8000..192000 Hz.
 * Samples are little-endian and interleaved, as in the file.
 */
#ifndef MRTC_MEDIA_WAV_H
#define MRTC_MEDIA_WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_WAV_MIN_RATE 8000
#define MRTC_WAV_MAX_RATE 192000
#define MRTC_WAV_HEADER_LEN 44 /* what the writer puts before the samples */

/* What a WAV header says. */
typedef struct mrtc_wav_info {
    unsigned rate;        /* samples per second per channel, 8000..192000 */
    unsigned channels;    /* 1 or 2 */
    uint64_t data_offset; /* file offset of the first sample */
    uint64_t data_bytes;  /* bytes of whole sample frames (2 * channels bytes each) */
    uint64_t frames;      /* data_bytes / (2 * channels) */
    bool to_end;          /* the data size field was 0 or 0xFFFFFFFF: data runs to end of file */
} mrtc_wav_info;

/* Parses the header of a WAV file. data holds the first len bytes of a file that is
 * file_size bytes long (len <= file_size; for a whole file in memory pass len twice). Every
 * chunk before the data chunk, and the data chunk's own 8-byte header, must lie inside data;
 * unknown chunks are skipped. A data size of 0 or 0xFFFFFFFF (streaming writers) means "to
 * end of file"; any other data size must fit in file_size. Fills *out and returns 0;
 * MRTC_EPROTO for anything malformed or unsupported (nothing is trusted, nothing crashes),
 * MRTC_EINVAL on NULL arguments or len > file_size. */
int mrtc_wav_parse_header(const uint8_t *data, size_t len, uint64_t file_size, mrtc_wav_info *out);

/* Writes the canonical 44-byte header of a PCM file with data_bytes bytes of samples into out
 * (capacity cap). Returns MRTC_WAV_HEADER_LEN; MRTC_ENOBUFS when cap is too small,
 * MRTC_EINVAL for an unsupported rate or channel count or data_bytes > 0xFFFFFFFF - 36. */
int mrtc_wav_write_header(uint8_t *out, size_t cap, unsigned rate, unsigned channels,
                          uint64_t data_bytes);

/* ---- Reader ---- */

typedef struct mrtc_wav_reader mrtc_wav_reader;

/* Opens path and parses its header. With loop, reading wraps to the first sample at the end
 * of the data. *out is owned by the caller (mrtc_wav_reader_close). Returns 0, MRTC_EIO when
 * the file cannot be opened or read, MRTC_EPROTO for a malformed header, MRTC_ENOMEM,
 * MRTC_EINVAL on NULL arguments. */
int mrtc_wav_reader_open(const char *path, bool loop, mrtc_wav_reader **out);

/* Reads up to frames sample frames (frames * channels interleaved int16 values) into pcm.
 * Returns the number of frames read: fewer than asked only at the end of a non-looping file
 * (0 at the end; a looping reader fills the whole request unless the data is empty).
 * MRTC_EIO on a read error, MRTC_EINVAL on NULL arguments. At most INT_MAX frames per call. */
int mrtc_wav_reader_read(mrtc_wav_reader *r, int16_t *pcm, size_t frames);

/* The parsed header; owned by the reader. */
const mrtc_wav_info *mrtc_wav_reader_info(const mrtc_wav_reader *r);

/* Closes the file and frees the reader; accepts NULL. */
void mrtc_wav_reader_close(mrtc_wav_reader *r);

/* ---- Writer ---- */

typedef struct mrtc_wav_writer mrtc_wav_writer;

/* Creates (truncates) path and writes a header. The RIFF and data size fields are rewritten
 * and the file flushed after every second of audio, so a killed process leaves a valid file
 * holding at least everything up to the last whole second. *out is owned by the caller
 * (mrtc_wav_writer_close). Returns 0, MRTC_EINVAL for a rate outside 8000..192000, channels
 * other than 1 or 2, or NULL arguments, MRTC_EIO when the file cannot be created, MRTC_ENOMEM. */
int mrtc_wav_writer_open(const char *path, unsigned rate, unsigned channels, mrtc_wav_writer **out);

/* Appends frames sample frames (interleaved, channels values each). Returns 0, MRTC_EIO on a
 * write error, MRTC_ETOOBIG when the file would exceed the 4 GiB that its 32-bit size fields
 * can describe (nothing is written), MRTC_EINVAL on NULL arguments. */
int mrtc_wav_writer_write(mrtc_wav_writer *w, const int16_t *pcm, size_t frames);

/* Sample frames written so far. */
uint64_t mrtc_wav_writer_frames(const mrtc_wav_writer *w);

/* Patches the size fields, closes the file and frees the writer (also on error). Returns 0,
 * or MRTC_EIO when the final writes failed; accepts NULL (returns 0). */
int mrtc_wav_writer_close(mrtc_wav_writer *w);

#endif
