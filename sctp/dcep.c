/*
 * DCEP message codec (RFC 8832 section 5): DATA_CHANNEL_OPEN with its channel types
 * (reliable, partial reliable by retransmissions or by lifetime, each ordered or with the
 * 0x80 unordered bit), priority, reliability parameter, label and protocol; and
 * DATA_CHANNEL_ACK.
 *
 * Untrusted bytes are read only through the bounds-checked reader; a message whose length
 * is not exactly what its fields say, or with a type RFC 8832 does not define, is refused
 * with MRTC_EPROTO. Deliberately not done here: the protocol itself (who sends what when,
 * sid parity, ordered-until-ACK), which lives in sctp/sctp.c; UTF-8 validation of the label
 * and protocol (they are passed on as bytes).
 */
#include "sctp/dcep.h"

#include "core/util/buf.h"
#include "meshrtc/error.h"

#include <string.h>

int mrtc_dcep_parse(const uint8_t *data, size_t len, mrtc_dcep_msg *out)
{
    mrtc_rd r;
    uint8_t type, ctype;

    if (!data || len == 0)
        return MRTC_EPROTO;
    memset(out, 0, sizeof *out);
    mrtc_rd_init(&r, data, len);
    type = mrtc_rd_u8(&r);
    if (type == MRTC_DCEP_MSG_ACK) {
        if (len != MRTC_DCEP_ACK_LEN)
            return MRTC_EPROTO;
        out->type = type;
        return 0;
    }
    if (type != MRTC_DCEP_MSG_OPEN || len < MRTC_DCEP_OPEN_HEADER_LEN)
        return MRTC_EPROTO;

    mrtc_dcep_open *o = &out->open;
    ctype = mrtc_rd_u8(&r);
    o->priority = mrtc_rd_u16(&r);
    o->reliability_param = mrtc_rd_u32(&r);
    o->label_len = mrtc_rd_u16(&r);
    o->protocol_len = mrtc_rd_u16(&r);
    if (r.err)
        return MRTC_EPROTO;
    o->reliability = ctype & (uint8_t)~MRTC_DCEP_CHANNEL_UNORDERED_BIT;
    o->ordered = !(ctype & MRTC_DCEP_CHANNEL_UNORDERED_BIT);
    if (o->reliability > MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED)
        return MRTC_EPROTO;
    if (mrtc_rd_left(&r) != (size_t)o->label_len + o->protocol_len)
        return MRTC_EPROTO;
    o->label = mrtc_rd_bytes(&r, o->label_len);
    o->protocol = mrtc_rd_bytes(&r, o->protocol_len);
    if (r.err)
        return MRTC_EPROTO;
    out->type = type;
    return 0;
}

int mrtc_dcep_channel_type(const mrtc_dcep_open *o)
{
    if (o->reliability > MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED)
        return -1;
    return o->reliability | (o->ordered ? 0 : MRTC_DCEP_CHANNEL_UNORDERED_BIT);
}

size_t mrtc_dcep_open_len(const mrtc_dcep_open *o)
{
    return MRTC_DCEP_OPEN_HEADER_LEN + (size_t)o->label_len + o->protocol_len;
}

int mrtc_dcep_encode_open(const mrtc_dcep_open *o, uint8_t *buf, size_t cap)
{
    mrtc_wr w;
    int ctype = mrtc_dcep_channel_type(o);

    if (ctype < 0 || (!o->label && o->label_len) || (!o->protocol && o->protocol_len))
        return MRTC_EINVAL;
    if (!buf || cap < mrtc_dcep_open_len(o))
        return MRTC_ENOBUFS;
    mrtc_wr_init(&w, buf, cap);
    mrtc_wr_u8(&w, MRTC_DCEP_MSG_OPEN);
    mrtc_wr_u8(&w, (uint8_t)ctype);
    mrtc_wr_u16(&w, o->priority);
    mrtc_wr_u32(&w, o->reliability_param);
    mrtc_wr_u16(&w, o->label_len);
    mrtc_wr_u16(&w, o->protocol_len);
    if (o->label_len)
        mrtc_wr_bytes(&w, o->label, o->label_len);
    if (o->protocol_len)
        mrtc_wr_bytes(&w, o->protocol, o->protocol_len);
    if (w.err)
        return MRTC_ENOBUFS;
    return (int)w.len;
}

int mrtc_dcep_encode_ack(uint8_t *buf, size_t cap)
{
    if (!buf || cap < MRTC_DCEP_ACK_LEN)
        return MRTC_ENOBUFS;
    buf[0] = MRTC_DCEP_MSG_ACK;
    return MRTC_DCEP_ACK_LEN;
}
