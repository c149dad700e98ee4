/*
 * The Opus RTP payload format of RFC 7587 (section 4: one Opus packet per RTP packet,
 * 48 kHz timestamps, the marker bit at talkspurt starts) and the Opus packet framing of
 * RFC 6716 section 3 (the TOC byte of 3.1, frame length coding of 3.2.1, codes 0..3 of
 * 3.2.2 to 3.2.5 and the well-formedness requirements R1..R7 of 3.4), which a receiver
 * uses to refuse garbage and to learn a packet's duration.
 *
 * Deliberately not done here: decoding or inspecting the SILK/CELT bitstream, the
 * SDP fmtp parameters (stereo, useinbandfec, maxplaybackrate: core/ negotiates them), FEC
 * or packet-loss concealment, and choosing the first timestamp (the caller draws it from
 * its random source).
 */
#include "rtp/opus.h"

#include "core/util/log.h"
#include "meshrtc/error.h"

#define LOG_TAG "opus"

static int refuse(const char *why)
{
    MRTC_DEBUG(LOG_TAG, "refused Opus packet: %s", why);
    return MRTC_EPROTO;
}

int mrtc_opus_toc_frame_samples(uint8_t toc)
{
    unsigned config = toc >> 3;
    if (config < 12) /* SILK-only, NB/MB/WB: 10, 20, 40, 60 ms */
        return (int[]){480, 960, 1920, 2880}[config & 3];
    if (config < 16) /* Hybrid, SWB/FB: 10, 20 ms */
        return (config & 1) ? 960 : 480;
    return 120 << (config & 3); /* CELT-only: 2.5, 5, 10, 20 ms */
}

/* Reads one frame length (section 3.2.1) at *pos; -1 when the bytes run out. */
static int read_frame_len(const uint8_t *data, size_t len, size_t *pos)
{
    if (*pos >= len)
        return -1;
    uint8_t b0 = data[(*pos)++];
    if (b0 < 252)
        return b0;
    if (*pos >= len)
        return -1;
    return data[(*pos)++] * 4 + b0;
}

int mrtc_opus_packet_frames(const uint8_t *data, size_t len)
{
    size_t pos = 1;

    if (!data)
        return MRTC_EINVAL;
    if (len < 1)
        return refuse("empty packet"); /* R1 */
    switch (data[0] & 3) {
    case 0: /* one frame: the rest */
        if (len - 1 > MRTC_OPUS_MAX_FRAME_BYTES)
            return refuse("frame longer than 1275 bytes"); /* R2 */
        return 1;
    case 1: /* two frames of equal size */
        if ((len - 1) % 2 != 0 || (len - 1) / 2 > MRTC_OPUS_MAX_FRAME_BYTES)
            return refuse("code 1 payload not two equal frames"); /* R3 */
        return 2;
    case 2: { /* two frames, the first one's length coded */
        int n1 = read_frame_len(data, len, &pos);
        if (n1 < 0 || (size_t)n1 > len - pos)
            return refuse("code 2 first frame past the end"); /* R4 */
        if (n1 > MRTC_OPUS_MAX_FRAME_BYTES || len - pos - (size_t)n1 > MRTC_OPUS_MAX_FRAME_BYTES)
            return refuse("frame longer than 1275 bytes");
        return 2;
    }
    default:
        break;
    }

    /* Code 3 (section 3.2.5): frame count byte v|p|M, optional padding, then frames. */
    if (len < 2)
        return refuse("code 3 without a frame count byte"); /* R5 */
    bool vbr = (data[1] & 0x80) != 0;
    bool padded = (data[1] & 0x40) != 0;
    int m = data[1] & 0x3F;
    pos = 2;
    if (m == 0)
        return refuse("code 3 with zero frames");
    if (m * mrtc_opus_toc_frame_samples(data[0]) > MRTC_OPUS_MAX_SAMPLES)
        return refuse("code 3 longer than 120 ms");
    size_t padding = 0;
    if (padded) {
        for (;;) {
            if (pos >= len)
                return refuse("padding length past the end"); /* R6/R7 */
            uint8_t b = data[pos++];
            padding += b == 255 ? 254 : b;
            if (b != 255)
                break;
        }
    }
    if (padding > len - pos)
        return refuse("padding past the end");
    size_t end = len - padding; /* frame data occupies [pos, end) after the lengths */
    if (vbr) {
        size_t sum = 0;
        for (int i = 0; i < m - 1; i++) {
            int n = read_frame_len(data, end, &pos);
            if (n < 0)
                return refuse("code 3 frame lengths past the end");
            if (n > MRTC_OPUS_MAX_FRAME_BYTES)
                return refuse("frame longer than 1275 bytes");
            sum += (size_t)n;
        }
        if (sum > end - pos)
            return refuse("code 3 VBR frames past the end");
        if (end - pos - sum > MRTC_OPUS_MAX_FRAME_BYTES)
            return refuse("frame longer than 1275 bytes");
    } else {
        size_t rest = end - pos;
        if (rest % (size_t)m != 0)
            return refuse("code 3 CBR payload not a multiple of the frame count");
        if (rest / (size_t)m > MRTC_OPUS_MAX_FRAME_BYTES)
            return refuse("frame longer than 1275 bytes");
    }
    return m;
}

int mrtc_opus_packet_samples(const uint8_t *data, size_t len)
{
    int n = mrtc_opus_packet_frames(data, len);
    if (n < 0)
        return n;
    return n * mrtc_opus_toc_frame_samples(data[0]);
}

void mrtc_opus_packetizer_init(mrtc_opus_packetizer *p, uint32_t first_ts)
{
    p->next_ts = first_ts;
    p->talkspurt = true;
}

int mrtc_opus_packetize(mrtc_opus_packetizer *p, const uint8_t *data, size_t len, uint32_t *ts,
                        bool *marker)
{
    if (!p || !ts || !marker)
        return MRTC_EINVAL;
    int samples = mrtc_opus_packet_samples(data, len);
    if (samples < 0)
        return samples;
    bool dtx = len <= 2; /* libopus DTX: a TOC byte and at most one more */
    *ts = p->next_ts;
    *marker = p->talkspurt && !dtx;
    if (!dtx)
        p->talkspurt = false;
    else
        p->talkspurt = true;
    p->next_ts += (uint32_t)samples;
    return samples;
}

void mrtc_opus_packetizer_skip(mrtc_opus_packetizer *p, uint32_t samples)
{
    p->next_ts += samples;
    p->talkspurt = true;
}
