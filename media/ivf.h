/*
 * IVF files (the container libvpx's tools write): a 32-byte file header and a 12-byte header
 * per encoded frame. A header parser and a frame iterator over byte buffers (so they can be
 * fuzzed), a file reader, and a crash-tolerant file writer whose timebase is 1/90000 so that
 * RTP timestamps of video can be written as presentation times unchanged.
 */
#ifndef MRTC_MEDIA_IVF_H
#define MRTC_MEDIA_IVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_IVF_HEADER_LEN 32
#define MRTC_IVF_FRAME_HEADER_LEN 12
#define MRTC_IVF_MAX_FRAME (16u * 1024 * 1024) /* larger frame sizes are refused */
#define MRTC_IVF_WRITER_TIMEBASE_DEN 90000     /* the writer's timebase is 1/90000 s */

/* The file header. */
typedef struct mrtc_ivf_info {
    char fourcc[5];         /* codec, NUL-terminated ("VP80") */
    uint16_t width, height; /* as written; may be 0 */
    uint32_t timebase_num;  /* a pts unit is timebase_num/timebase_den seconds */
    uint32_t timebase_den;
    uint32_t frame_count; /* as written; a killed writer may leave it behind the real count */
} mrtc_ivf_info;

/* One frame: data borrowed from the buffer (or the reader) it came from. */
typedef struct mrtc_ivf_frame {
    const uint8_t *data;
    size_t len;
    uint64_t pts; /* in timebase units */
} mrtc_ivf_frame;

/* Parses the 32-byte file header at the start of data: "DKIF", version 0, header size 32,
 * any fourcc, timebase terms both non-zero. Fills *out and returns 0; MRTC_EPROTO when
 * shorter than 32 bytes or malformed; MRTC_EINVAL on NULL arguments. */
int mrtc_ivf_parse_header(const uint8_t *data, size_t len, mrtc_ivf_info *out);

/* Writes a file header into out (capacity cap). fourcc must be 4 characters. Returns
 * MRTC_IVF_HEADER_LEN, MRTC_ENOBUFS when cap is too small, MRTC_EINVAL for a bad fourcc or a
 * zero timebase term. */
int mrtc_ivf_write_header(uint8_t *out, size_t cap, const mrtc_ivf_info *info);

/* Iterates over the frames of a buffer holding a whole file. *pos is an offset into data:
 * start it at MRTC_IVF_HEADER_LEN; it is advanced past the frame. Returns 1 with *out filled
 * (data inside the buffer), 0 at the end of the buffer, MRTC_EPROTO for a truncated frame
 * header, a frame size beyond the buffer or above MRTC_IVF_MAX_FRAME (*pos unchanged),
 * MRTC_EINVAL on NULL arguments or *pos > len. */
int mrtc_ivf_next_frame(const uint8_t *data, size_t len, size_t *pos, mrtc_ivf_frame *out);

/* ---- Reader ---- */

typedef struct mrtc_ivf_reader mrtc_ivf_reader;

/* Opens path and parses its file header. *out is owned by the caller (mrtc_ivf_reader_close).
 * Returns 0, MRTC_EIO when the file cannot be opened or read, MRTC_EPROTO for a malformed
 * header, MRTC_ENOMEM, MRTC_EINVAL on NULL arguments. */
int mrtc_ivf_reader_open(const char *path, mrtc_ivf_reader **out);

/* Reads the next frame; out->data is owned by the reader and valid until the next read or
 * close. Returns 1 for a frame, 0 at the end of the file (a truncated last frame, as a
 * killed writer can leave, is taken as the end), MRTC_EPROTO for a frame size above
 * MRTC_IVF_MAX_FRAME, MRTC_ENOMEM, MRTC_EIO on a read error, MRTC_EINVAL on NULL arguments. */
int mrtc_ivf_reader_read(mrtc_ivf_reader *r, mrtc_ivf_frame *out);

/* The parsed file header; owned by the reader. */
const mrtc_ivf_info *mrtc_ivf_reader_info(const mrtc_ivf_reader *r);

/* Closes the file and frees the reader; accepts NULL. */
void mrtc_ivf_reader_close(mrtc_ivf_reader *r);

/* ---- Writer ---- */

typedef struct mrtc_ivf_writer mrtc_ivf_writer;

/* Creates (truncates) path and writes a file header with the 4-character fourcc ("VP80"),
 * width x height and the timebase 1/90000. Every frame is flushed as it is written and the
 * frame count in the header is rewritten every 30 frames and every second of pts, so a
 * killed process leaves a readable file. *out is owned by the caller (mrtc_ivf_writer_close).
 * Returns 0, MRTC_EINVAL for a bad fourcc or NULL arguments, MRTC_EIO when the file cannot be
 * created, MRTC_ENOMEM. */
int mrtc_ivf_writer_open(const char *path, const char *fourcc, uint16_t width, uint16_t height,
                         mrtc_ivf_writer **out);

/* Appends one frame (len 1..MRTC_IVF_MAX_FRAME bytes, borrowed for the call) with its pts in
 * 1/90000 s. Returns 0, MRTC_EINVAL for an empty or oversized frame or NULL arguments,
 * MRTC_ETOOBIG after 2^32-1 frames, MRTC_EIO on a write error. */
int mrtc_ivf_writer_write(mrtc_ivf_writer *w, const uint8_t *data, size_t len, uint64_t pts);

/* Frames written so far. */
uint32_t mrtc_ivf_writer_frames(const mrtc_ivf_writer *w);

/* Rewrites the frame count, closes the file and frees the writer (also on error). Returns 0
 * or MRTC_EIO; accepts NULL (returns 0). */
int mrtc_ivf_writer_close(mrtc_ivf_writer *w);

#endif
