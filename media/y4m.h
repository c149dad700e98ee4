/*
 * YUV4MPEG2 (.y4m) files of 8-bit 4:2:0 video: a stream header and frame parser over byte
 * buffers (so they can be fuzzed), a file reader that can loop, and a file writer.
 *
 * Frames are handed out as mrtc_video_frame views (include/meshrtc/frame.h) of I420 data
 * with chroma planes of ((width+1)/2) x ((height+1)/2).
 */
#ifndef MRTC_MEDIA_Y4M_H
#define MRTC_MEDIA_Y4M_H

#include "meshrtc/frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_Y4M_MIN_DIM 2
#define MRTC_Y4M_MAX_DIM 8192
#define MRTC_Y4M_MAX_HEADER 1024      /* stream header line, newline included */
#define MRTC_Y4M_MAX_FRAME_HEADER 256 /* "FRAME" line, newline included */

/* What a stream header says. */
typedef struct mrtc_y4m_info {
    uint16_t width, height; /* 2..8192 each */
    uint32_t fps_num;       /* frame rate fps_num/fps_den; 30/1 when absent or 0:0 */
    uint32_t fps_den;
    bool interlaced;   /* I was t, b or m: accepted, the frames are treated as progressive */
    size_t frame_size; /* bytes of one picture: Y plane then U and V */
} mrtc_y4m_info;

/* Parses the stream header at the start of data: "YUV4MPEG2" then space-separated
 * parameters up to a newline. W and H are required (2..8192); F rate:scale (both 0 or both
 * positive); I p/t/b/m/? (accepted); C absent, 420jpeg, 420paldv, 420mpeg2 or 420; A, X and
 * unknown parameters are ignored. Returns the header length (newline included, at most
 * MRTC_Y4M_MAX_HEADER); MRTC_EPROTO when malformed, unsupported or without a newline in the
 * first MRTC_Y4M_MAX_HEADER bytes; MRTC_EINVAL on NULL arguments. */
int mrtc_y4m_parse_header(const uint8_t *data, size_t len, mrtc_y4m_info *out);

/* Parses a frame header ("FRAME", optional parameters, newline) at the start of data.
 * Returns its length (at most MRTC_Y4M_MAX_FRAME_HEADER); MRTC_EPROTO when it is not a frame
 * header or has no newline within the limit; MRTC_EINVAL on NULL data. */
int mrtc_y4m_parse_frame_header(const uint8_t *data, size_t len);

/* Points *out at an I420 picture of info's dimensions stored at pixels (info->frame_size
 * bytes, tightly packed). The view borrows pixels. */
void mrtc_y4m_frame_view(const mrtc_y4m_info *info, const uint8_t *pixels, mrtc_video_frame *out);

/* Iterates over the frames of a buffer holding the stream after its header. *pos is an
 * offset into data (start at the header length) and is advanced past the frame. Returns 1
 * with *out viewing the picture inside data, 0 at the end of the buffer, MRTC_EPROTO for a
 * malformed frame header or a truncated frame (*pos unchanged), MRTC_EINVAL on NULL
 * arguments or *pos > len. */
int mrtc_y4m_next_frame(const mrtc_y4m_info *info, const uint8_t *data, size_t len, size_t *pos,
                        mrtc_video_frame *out);

/* ---- Reader ---- */

typedef struct mrtc_y4m_reader mrtc_y4m_reader;

/* Opens path and parses its stream header. With loop, reading wraps to the first frame at the
 * end of the file. *out is owned by the caller (mrtc_y4m_reader_close). Returns 0, MRTC_EIO
 * when the file cannot be opened or read, MRTC_EPROTO for a malformed header, MRTC_ENOMEM,
 * MRTC_EINVAL on NULL arguments. */
int mrtc_y4m_reader_open(const char *path, bool loop, mrtc_y4m_reader **out);

/* Reads the next frame into the reader's buffer; *out views it until the next read or close.
 * Returns 1 for a frame, 0 at the end of a non-looping file (a truncated last frame, as a
 * killed writer leaves, is taken as the end), MRTC_EPROTO for a malformed frame header,
 * MRTC_EIO on a read error, MRTC_EINVAL on NULL arguments. */
int mrtc_y4m_reader_read(mrtc_y4m_reader *r, mrtc_video_frame *out);

/* The parsed stream header; owned by the reader. */
const mrtc_y4m_info *mrtc_y4m_reader_info(const mrtc_y4m_reader *r);
uint16_t mrtc_y4m_reader_width(const mrtc_y4m_reader *r);
uint16_t mrtc_y4m_reader_height(const mrtc_y4m_reader *r);
/* Frames per second (fps_num / fps_den). */
double mrtc_y4m_reader_fps(const mrtc_y4m_reader *r);

/* Closes the file and frees the reader; accepts NULL. */
void mrtc_y4m_reader_close(mrtc_y4m_reader *r);

/* ---- Writer ---- */

typedef struct mrtc_y4m_writer mrtc_y4m_writer;

/* Creates (truncates) path and writes a stream header for width x height (2..8192) at
 * fps_num/fps_den frames per second (both > 0), progressive, C420jpeg. *out is owned by the
 * caller (mrtc_y4m_writer_close). Returns 0, MRTC_EINVAL for bad dimensions, rate or NULL
 * arguments, MRTC_EIO when the file cannot be created, MRTC_ENOMEM. */
int mrtc_y4m_writer_open(const char *path, uint16_t width, uint16_t height, uint32_t fps_num,
                         uint32_t fps_den, mrtc_y4m_writer **out);

/* Appends one frame (any strides, borrowed for the call) and flushes, so a killed process
 * leaves whole frames. Returns 0, MRTC_EINVAL when the frame's size differs from the
 * writer's or a plane or stride is missing, MRTC_EIO on a write error. */
int mrtc_y4m_writer_write(mrtc_y4m_writer *w, const mrtc_video_frame *f);

/* Closes the file and frees the writer (also on error). Returns 0 or MRTC_EIO; accepts NULL. */
int mrtc_y4m_writer_close(mrtc_y4m_writer *w);

#endif
