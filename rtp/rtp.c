/*
 * RTP packet codec: the fixed header, CSRC list, header extension and padding of RFC 3550
 * section 5.1 (and 5.3.1 for the extension framing), the one-byte and two-byte header
 * extension forms of RFC 8285 sections 4.2 and 4.3, the element payloads of sdes:mid
 * (RFC 8843 section 15), ssrc-audio-level (RFC 6464 section 3), abs-send-time and
 * transport-wide-cc (the WebRTC experiments), and the sequence number arithmetic of
 * RFC 3550 appendix A.1.
 *
 * Parsing never allocates, reads only through the bounds-checked reader and refuses any
 * malformed packet with MRTC_EPROTO; nothing a peer sends can trip an assertion.
 *
 * Deliberately not done here: SRTP (rtp/ srtp wrapper), the receiver statistics and source
 * validation (probation, max dropout) of appendix A.1 and A.8, mapping of extension ids to
 * URIs (that comes from SDP, in core/), the RFC 5285 mixed one-/two-byte negotiation
 * (extmap-allow-mixed is implied by the writer choosing per packet), and payload type checks
 * against RTCP (demultiplexing is mrtc_rtcp_is_rtcp's job, RFC 5761 section 4).
 */
#include "rtp/rtp.h"

#include "core/util/buf.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <string.h>

#define LOG_TAG "rtp"

static int refuse(const char *why)
{
    MRTC_DEBUG(LOG_TAG, "refused RTP packet: %s", why);
    return MRTC_EPROTO;
}

void mrtc_rtp_packet_init(mrtc_rtp_packet *p)
{
    memset(p, 0, sizeof *p);
}

bool mrtc_rtp_is_rtp_or_rtcp(const uint8_t *data, size_t len)
{
    return data && len >= MRTC_RTP_HEADER_LEN && data[0] >= 128 && data[0] <= 191;
}

/* ---- RFC 8285 element parsing ---- */

static int add_ext(mrtc_rtp_packet *p, uint8_t id, uint8_t len, const uint8_t *data)
{
    if (p->n_ext >= MRTC_RTP_MAX_EXT)
        return refuse("too many header extension elements");
    p->ext[p->n_ext].id = id;
    p->ext[p->n_ext].len = len;
    p->ext[p->n_ext].data = data;
    p->n_ext++;
    return 0;
}

/* One-byte form (section 4.2): ID (4 bits) and L (4 bits, length - 1), then L+1 bytes. A zero
 * byte is padding; a byte with ID 0 and a non-zero L is skipped alone as padding too (as
 * libwebrtc reads it, so its peers parse the same); ID 15 ends processing. */
static int parse_one_byte(mrtc_rtp_packet *p)
{
    mrtc_rd r;
    int err = 0;

    mrtc_rd_init(&r, p->ext_raw, p->ext_raw_len);
    while (mrtc_rd_left(&r) > 0) {
        uint8_t b = mrtc_rd_u8(&r);
        uint8_t id = b >> 4;
        uint8_t len = (uint8_t)((b & 0x0F) + 1);
        if (id == 0)
            continue;
        if (id == 15)
            break;
        const uint8_t *d = mrtc_rd_bytes(&r, len);
        if (!d) {
            err = refuse("one-byte extension element overruns the block");
            goto out;
        }
        err = add_ext(p, id, len, d);
        if (err)
            goto out;
    }
out:
    return err;
}

/* Two-byte form (section 4.3): ID (8 bits), length (8 bits, 0..255), data. A zero ID byte is
 * padding. */
static int parse_two_byte(mrtc_rtp_packet *p)
{
    mrtc_rd r;
    int err = 0;

    mrtc_rd_init(&r, p->ext_raw, p->ext_raw_len);
    while (mrtc_rd_left(&r) > 0) {
        uint8_t id = mrtc_rd_u8(&r);
        if (id == 0)
            continue;
        uint8_t len = mrtc_rd_u8(&r);
        const uint8_t *d = mrtc_rd_bytes(&r, len);
        if (r.err) {
            err = refuse("two-byte extension element overruns the block");
            goto out;
        }
        err = add_ext(p, id, len, d);
        if (err)
            goto out;
    }
out:
    return err;
}

int mrtc_rtp_parse(mrtc_rtp_packet *p, const uint8_t *data, size_t len)
{
    mrtc_rd r;
    int err = 0;

    if (!p || !data)
        return MRTC_EINVAL;
    mrtc_rtp_packet_init(p);
    mrtc_rd_init(&r, data, len);

    uint8_t b0 = mrtc_rd_u8(&r);
    uint8_t b1 = mrtc_rd_u8(&r);
    p->seq = mrtc_rd_u16(&r);
    p->ts = mrtc_rd_u32(&r);
    p->ssrc = mrtc_rd_u32(&r);
    if (r.err) {
        err = refuse("shorter than the fixed header");
        goto out;
    }
    if (b0 >> 6 != 2) {
        err = refuse("version is not 2");
        goto out;
    }
    bool padding = (b0 & 0x20) != 0;
    p->has_ext = (b0 & 0x10) != 0;
    p->n_csrc = b0 & 0x0F;
    p->marker = (b1 & 0x80) != 0;
    p->pt = b1 & 0x7F;

    for (int i = 0; i < p->n_csrc; i++)
        p->csrc[i] = mrtc_rd_u32(&r);
    if (r.err) {
        err = refuse("CSRC list overruns the packet");
        goto out;
    }

    if (p->has_ext) {
        p->ext_profile = mrtc_rd_u16(&r);
        size_t words = mrtc_rd_u16(&r);
        p->ext_raw_len = words * 4;
        p->ext_raw = mrtc_rd_bytes(&r, p->ext_raw_len);
        if (r.err) {
            err = refuse("header extension overruns the packet");
            goto out;
        }
        if (p->ext_profile == MRTC_RTP_EXT_ONE_BYTE)
            err = parse_one_byte(p);
        else if ((p->ext_profile & MRTC_RTP_EXT_TWO_BYTE_MASK) == MRTC_RTP_EXT_TWO_BYTE)
            err = parse_two_byte(p);
        if (err)
            goto out;
    }

    p->header_len = r.pos;
    size_t rest = mrtc_rd_left(&r);
    if (padding) {
        /* RFC 3550 5.1: the last octet counts the padding octets, itself included. */
        if (rest == 0) {
            err = refuse("padding bit set without a padding count");
            goto out;
        }
        p->padding_len = data[len - 1];
        if (p->padding_len == 0) {
            err = refuse("padding count is 0");
            goto out;
        }
        if (p->padding_len > rest) {
            err = refuse("padding count larger than the payload");
            goto out;
        }
    }
    p->payload = data + p->header_len;
    p->payload_len = rest - p->padding_len;
out:
    return err;
}

const mrtc_rtp_ext *mrtc_rtp_find_ext(const mrtc_rtp_packet *p, uint8_t id)
{
    for (int i = 0; i < p->n_ext; i++)
        if (p->ext[i].id == id)
            return &p->ext[i];
    return NULL;
}

/* ---- Writer ---- */

static bool fits_one_byte(const mrtc_rtp_packet *p)
{
    for (int i = 0; i < p->n_ext; i++)
        if (p->ext[i].id > 14 || p->ext[i].len < 1 || p->ext[i].len > 16)
            return false;
    return true;
}

static int check_description(const mrtc_rtp_packet *p)
{
    if (p->pt > 127 || p->n_csrc > MRTC_RTP_MAX_CSRC)
        return MRTC_EINVAL;
    if (p->n_ext < 0 || p->n_ext > MRTC_RTP_MAX_EXT)
        return MRTC_EINVAL;
    for (int i = 0; i < p->n_ext; i++)
        if (p->ext[i].id == 0 || (p->ext[i].len && !p->ext[i].data))
            return MRTC_EINVAL;
    if (p->n_ext == 0 && p->has_ext &&
        (p->ext_raw_len % 4 != 0 || p->ext_raw_len > 4 * 0xFFFFu ||
         (p->ext_raw_len && !p->ext_raw)))
        return MRTC_EINVAL;
    if (p->payload_len && !p->payload)
        return MRTC_EINVAL;
    return 0;
}

/* Writes the RFC 8285 block (profile, length and elements padded to 32 bits). */
static int write_elements(const mrtc_rtp_packet *p, mrtc_wr *w)
{
    bool one = fits_one_byte(p);
    size_t start;

    mrtc_wr_u16(w, one ? MRTC_RTP_EXT_ONE_BYTE : MRTC_RTP_EXT_TWO_BYTE);
    uint8_t *len_field = mrtc_wr_reserve(w, 2);
    start = w->len;
    for (int i = 0; i < p->n_ext; i++) {
        const mrtc_rtp_ext *e = &p->ext[i];
        if (one) {
            mrtc_wr_u8(w, (uint8_t)(e->id << 4 | (e->len - 1)));
        } else {
            mrtc_wr_u8(w, e->id);
            mrtc_wr_u8(w, e->len);
        }
        mrtc_wr_bytes(w, e->data, e->len);
    }
    if (w->err)
        return MRTC_ENOBUFS;
    size_t body = w->len - start;
    mrtc_wr_zeros(w, (4 - (body & 3)) & 3);
    if (w->err)
        return MRTC_ENOBUFS;
    body = w->len - start;
    if (body / 4 > 0xFFFFu)
        return MRTC_EINVAL; /* cannot happen with 16 elements of at most 257 bytes */
    mrtc_store_u16(len_field, (uint16_t)(body / 4));
    return 0;
}

int mrtc_rtp_write(const mrtc_rtp_packet *p, uint8_t *out, size_t cap)
{
    mrtc_wr w;
    int err;

    if (!p || (!out && cap))
        return MRTC_EINVAL;
    err = check_description(p);
    if (err)
        goto out;
    bool ext = p->n_ext > 0 || p->has_ext;
    mrtc_wr_init(&w, out, cap);
    mrtc_wr_u8(&w, (uint8_t)(0x80 | (p->padding_len ? 0x20 : 0) | (ext ? 0x10 : 0) | p->n_csrc));
    mrtc_wr_u8(&w, (uint8_t)((p->marker ? 0x80 : 0) | p->pt));
    mrtc_wr_u16(&w, p->seq);
    mrtc_wr_u32(&w, p->ts);
    mrtc_wr_u32(&w, p->ssrc);
    for (int i = 0; i < p->n_csrc; i++)
        mrtc_wr_u32(&w, p->csrc[i]);
    if (p->n_ext > 0) {
        err = write_elements(p, &w);
        if (err)
            goto out;
    } else if (p->has_ext) {
        mrtc_wr_u16(&w, p->ext_profile);
        mrtc_wr_u16(&w, (uint16_t)(p->ext_raw_len / 4));
        mrtc_wr_bytes(&w, p->ext_raw, p->ext_raw_len);
    }
    mrtc_wr_bytes(&w, p->payload, p->payload_len);
    if (p->padding_len) {
        mrtc_wr_zeros(&w, p->padding_len - 1u);
        mrtc_wr_u8(&w, p->padding_len);
    }
    if (w.err) {
        err = MRTC_ENOBUFS;
        goto out;
    }
    err = (int)w.len;
out:
    return err;
}

/* ---- Common extensions ---- */

int mrtc_rtp_ext_read_mid(const mrtc_rtp_ext *e, char *out, size_t cap)
{
    if (e->len == 0 || memchr(e->data, 0, e->len))
        return MRTC_EPROTO;
    if (cap < (size_t)e->len + 1)
        return MRTC_ENOBUFS;
    memcpy(out, e->data, e->len);
    out[e->len] = '\0';
    return 0;
}

int mrtc_rtp_ext_set_mid(mrtc_rtp_ext *e, uint8_t id, const char *mid)
{
    size_t n = mid ? strlen(mid) : 0;
    if (id == 0 || n == 0 || n > 255)
        return MRTC_EINVAL;
    e->id = id;
    e->len = (uint8_t)n;
    e->data = (const uint8_t *)mid;
    return 0;
}

int mrtc_rtp_ext_read_audio_level(const mrtc_rtp_ext *e, bool *voice, uint8_t *level)
{
    if (e->len != 1)
        return MRTC_EPROTO;
    *voice = (e->data[0] & 0x80) != 0;
    *level = e->data[0] & 0x7F;
    return 0;
}

int mrtc_rtp_ext_set_audio_level(mrtc_rtp_ext *e, uint8_t id, bool voice, uint8_t level,
                                 uint8_t storage[1])
{
    if (id == 0 || level > 127)
        return MRTC_EINVAL;
    storage[0] = (uint8_t)((voice ? 0x80 : 0) | level);
    e->id = id;
    e->len = 1;
    e->data = storage;
    return 0;
}

int mrtc_rtp_ext_read_abs_send_time(const mrtc_rtp_ext *e, uint32_t *t)
{
    if (e->len != 3)
        return MRTC_EPROTO;
    *t = (uint32_t)e->data[0] << 16 | (uint32_t)e->data[1] << 8 | e->data[2];
    return 0;
}

int mrtc_rtp_ext_set_abs_send_time(mrtc_rtp_ext *e, uint8_t id, uint32_t t, uint8_t storage[3])
{
    if (id == 0 || t > 0xFFFFFFu)
        return MRTC_EINVAL;
    storage[0] = (uint8_t)(t >> 16);
    storage[1] = (uint8_t)(t >> 8);
    storage[2] = (uint8_t)t;
    e->id = id;
    e->len = 3;
    e->data = storage;
    return 0;
}

uint32_t mrtc_rtp_abs_send_time_from_us(uint64_t us)
{
    /* The field wraps every 64 s: reduce first so the shift cannot overflow. */
    uint64_t r = us % 64000000u;
    return (uint32_t)(((r << 18) / 1000000u) & 0xFFFFFFu);
}

int mrtc_rtp_ext_read_twcc(const mrtc_rtp_ext *e, uint16_t *seq)
{
    if (e->len != 2)
        return MRTC_EPROTO;
    *seq = mrtc_load_u16(e->data);
    return 0;
}

int mrtc_rtp_ext_set_twcc(mrtc_rtp_ext *e, uint8_t id, uint16_t seq, uint8_t storage[2])
{
    if (id == 0)
        return MRTC_EINVAL;
    mrtc_store_u16(storage, seq);
    e->id = id;
    e->len = 2;
    e->data = storage;
    return 0;
}

/* ---- Sequence numbers ---- */

int32_t mrtc_rtp_seq_diff(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    return d < 0x8000 ? (int32_t)d : (int32_t)d - 0x10000;
}

bool mrtc_rtp_seq_newer(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    if (d == 0x8000)
        return a > b;
    return d != 0 && d < 0x8000;
}

bool mrtc_rtp_ts_newer(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    if (d == 0x80000000u)
        return a > b;
    return d != 0 && d < 0x80000000u;
}

void mrtc_rtp_seq_unwrapper_init(mrtc_rtp_seq_unwrapper *u)
{
    u->started = false;
    u->highest = 0;
}

int64_t mrtc_rtp_seq_unwrap(mrtc_rtp_seq_unwrapper *u, uint16_t seq)
{
    if (!u->started) {
        u->started = true;
        u->highest = seq;
        return seq;
    }
    /* highest & 0xFFFF is its 16-bit value even when highest is negative (two's complement
     * conversion to unsigned is defined modulo 2^16). */
    int64_t v = u->highest + mrtc_rtp_seq_diff(seq, (uint16_t)u->highest);
    if (v > u->highest)
        u->highest = v;
    return v;
}
