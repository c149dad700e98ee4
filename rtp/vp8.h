/*
 * The VP8 RTP payload format (RFC 7741): the payload descriptor (section 4.2), a
 * packetizer that splits an encoded frame into payloads of bounded size, and a receive-side
 * frame assembler that puts packets back together in any arrival order, recognises key
 * frames and their dimensions (section 4.3 and RFC 6386 section 9.1), discards frames that
 * can no longer complete and reports sequence gaps so its owner can send NACK or PLI.
 *
 * The descriptor codec and packetizer do not allocate; the assembler owns bounded storage
 * (MRTC_VP8_DEFAULT_MAX_FRAME bytes per frame, MRTC_VP8_DEFAULT_MAX_PACKETS pending packets
 * by default).
 */
#ifndef MRTC_RTP_VP8_H
#define MRTC_RTP_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_VP8_DESC_MAX_LEN 6 /* X + I (15-bit) + L + T/K after the first byte */

/* The payload descriptor (RFC 7741 section 4.2). Optional fields are present when their
 * has_ flag is set; reserved bits are written as 0 and ignored on parsing. */
typedef struct mrtc_vp8_desc {
    bool non_reference; /* N: the frame can be discarded without affecting others */
    bool start;         /* S: first packet of a VP8 partition */
    uint8_t pid;        /* partition index, 0..7 */

    bool has_picture_id;  /* I */
    bool picture_id_long; /* M: 15-bit PictureID (else 7-bit) */
    uint16_t picture_id;  /* 0..0x7F or 0..0x7FFF */

    bool has_tl0picidx; /* L */
    uint8_t tl0picidx;

    bool has_tid;    /* T: tid and layer_sync are meaningful */
    uint8_t tid;     /* 0..3 */
    bool layer_sync; /* Y */

    bool has_keyidx; /* K */
    uint8_t keyidx;  /* 0..31 */
} mrtc_vp8_desc;

/* Zeroes a descriptor (no extensions, S=0, PID 0). */
void mrtc_vp8_desc_init(mrtc_vp8_desc *d);

/* Parses the descriptor at the start of an RTP payload. Returns its length (1..6): the VP8
 * payload follows it and must be at least one byte. MRTC_EPROTO when the descriptor is
 * truncated or nothing follows it; MRTC_EINVAL on NULL arguments. */
int mrtc_vp8_desc_parse(mrtc_vp8_desc *d, const uint8_t *data, size_t len);

/* Length mrtc_vp8_desc_write would produce (1..6), or MRTC_EINVAL for an invalid
 * descriptor (pid > 7, tid > 3, keyidx > 31, picture_id out of range for its width). */
int mrtc_vp8_desc_len(const mrtc_vp8_desc *d);

/* Writes the descriptor into out (capacity cap) and returns its length; MRTC_EINVAL as
 * mrtc_vp8_desc_len, MRTC_ENOBUFS when it does not fit. The X byte is written only when an
 * extension is present; T/K share one byte. */
int mrtc_vp8_desc_write(const mrtc_vp8_desc *d, uint8_t *out, size_t cap);

/* ---- Packetizer ---- */

/* Splits frames into payloads of at most max_payload bytes (descriptor included), all of
 * one size or one byte apart. Every payload carries the PictureID; the first has S=1,
 * PID 0 (the frame is sent as one partition); the RTP marker goes on the last. The
 * PictureID advances by one per frame, modulo its width. Fields are private. */
typedef struct mrtc_vp8_packetizer {
    uint16_t picture_id;
    bool picture_id_short; /* 7-bit PictureIDs (default 15-bit) */
    const uint8_t *frame;  /* borrowed from mrtc_vp8_packetizer_frame until the last payload */
    size_t len, off;
    size_t chunk, extra; /* bytes per payload, and how many payloads get one more */
    size_t index;
    bool active;
    /* Temporal layering of the frames (RFC 7741 T, Y, L, TL0PICIDX), when set */
    bool layers;
    uint8_t tid;
    bool layer_sync;
    uint8_t tl0picidx;
} mrtc_vp8_packetizer;

/* The temporal layer of the next frames (until called again): every payload then carries
 * TID, the layer sync bit and TL0PICIDX (RFC 7741 section 4.2), as encoders with temporal
 * layers send them. */
void mrtc_vp8_packetizer_set_layer(mrtc_vp8_packetizer *p, uint8_t tid, bool layer_sync,
                                   uint8_t tl0picidx);

/* Starts at PictureID first_picture_id (reduced to its width). */
void mrtc_vp8_packetizer_init(mrtc_vp8_packetizer *p, uint16_t first_picture_id,
                              bool picture_id_short);

/* Begins a frame: frame (len > 0 bytes) is borrowed until mrtc_vp8_packetizer_next has
 * returned its last payload. Returns the number of payloads it will make, or MRTC_EINVAL
 * when frame is empty/NULL or max_payload leaves no room after the descriptor. A frame
 * that was not fully drained is abandoned (its PictureID is still consumed). */
int mrtc_vp8_packetizer_frame(mrtc_vp8_packetizer *p, const uint8_t *frame, size_t len,
                              size_t max_payload);

/* Writes the next payload into out (capacity cap, at least max_payload is always enough)
 * and returns its length; *marker is true on the frame's last payload. Returns 0 when the
 * frame is done (or none was begun) and MRTC_ENOBUFS when out is too small (nothing
 * consumed). */
int mrtc_vp8_packetizer_next(mrtc_vp8_packetizer *p, uint8_t *out, size_t cap, bool *marker);

/* ---- Frame assembler ---- */

#define MRTC_VP8_DEFAULT_MAX_FRAME (1024 * 1024)
#define MRTC_VP8_DEFAULT_MAX_PACKETS 512

typedef struct mrtc_vp8_assembler_config {
    size_t max_frame_bytes; /* VP8 bytes of one frame; more is refused, MRTC_ETOOBIG */
    size_t max_packets;     /* packets held while frames are incomplete, 1..32768 */
} mrtc_vp8_assembler_config;

void mrtc_vp8_assembler_config_init(mrtc_vp8_assembler_config *cfg);

typedef struct mrtc_vp8_assembler mrtc_vp8_assembler;

/* A complete frame. data is owned by the assembler and valid until the next call on it. */
typedef struct mrtc_vp8_frame {
    const uint8_t *data; /* the VP8 frame, descriptors stripped */
    size_t len;
    uint32_t ts;
    uint16_t first_seq, last_seq;
    mrtc_vp8_desc desc;     /* descriptor of the first packet (PictureID, TL0PICIDX, ...) */
    bool keyframe;          /* P bit of the VP8 payload header is 0 (RFC 7741 section 4.3) */
    uint16_t width, height; /* key frames only: 14-bit dimensions (RFC 6386 section 9.1) */
    uint8_t hscale, vscale; /* key frames only: 2-bit scaling codes */
    /* A frame was emitted before and this one starts right after its last packet: nothing
     * was lost in between. A delta frame that is not continuous wants a key frame request. */
    bool continuous;
} mrtc_vp8_frame;

/* What one mrtc_vp8_assembler_push did besides storing the packet. */
typedef struct mrtc_vp8_push_result {
    bool has_frame; /* frame is filled */
    mrtc_vp8_frame frame;
    /* Sequence numbers this packet skipped over (first, count): never seen yet, candidates
     * for NACK. count 0: no gap. */
    uint16_t gap_first;
    uint16_t gap_count;
    /* Incomplete frames discarded by this call: superseded by a newer complete frame,
     * evicted to make room, too large, or a key frame with a malformed header. */
    uint32_t frames_dropped;
} mrtc_vp8_push_result;

/* Creates an assembler (cfg NULL: defaults). NULL on allocation failure or an invalid
 * config. Free with mrtc_vp8_assembler_free. */
mrtc_vp8_assembler *mrtc_vp8_assembler_new(const mrtc_vp8_assembler_config *cfg);
void mrtc_vp8_assembler_free(mrtc_vp8_assembler *a); /* accepts NULL */

/* Feeds one RTP packet's fields and payload (borrowed for the call; copied if kept). Fills
 * *res. A frame is emitted when every packet from its S=1 PID=0 start to its marker is
 * present with consecutive sequence numbers and the same timestamp; pending packets older
 * than it are then discarded. Packets up to 8192 sequence numbers older than the last
 * emitted frame, and duplicates, are ignored (0); a packet further behind is taken as a
 * sender restart: every pending packet is discarded and assembly starts over. Returns 0 (packet
 * stored, ignored or frame emitted), MRTC_EPROTO for a malformed descriptor or a complete frame
 * whose VP8 header is malformed (dropped), MRTC_ETOOBIG when the frame exceeds max_frame_bytes (its
 * packets are dropped), MRTC_ENOMEM, MRTC_EINVAL on NULL arguments. When pending packets reach
 * max_packets the oldest frames are evicted first. */
int mrtc_vp8_assembler_push(mrtc_vp8_assembler *a, uint16_t seq, uint32_t ts, bool marker,
                            const uint8_t *payload, size_t len, mrtc_vp8_push_result *res);

/* Packets currently held. */
size_t mrtc_vp8_assembler_pending(const mrtc_vp8_assembler *a);

/* Parses the start of a VP8 frame (the 3-byte frame tag and, for key frames, the 7 bytes
 * after it: start code 9d 01 2a and the dimensions). Fills keyframe, width, height, hscale
 * and vscale of f. MRTC_EPROTO when shorter than 3 bytes, or a key frame shorter than 10
 * bytes or with a wrong start code. */
int mrtc_vp8_parse_frame_header(const uint8_t *data, size_t len, mrtc_vp8_frame *f);

#endif
