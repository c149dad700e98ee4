/*
 * Structural check of SCTP packets (sctp/packet.h): the common header, every chunk's length
 * (at least 4, inside the packet, the last one possibly without padding), and inside the
 * chunks that carry TLVs each TLV's length (at least 4, inside the chunk; for INIT and INIT
 * ACK up to the end of the packet, as usrsctp walks them). Values are not interpreted;
 * usrsctp does that.
 */
#include "sctp/packet.h"

#define COMMON_HEADER 12
#define CHUNK_HEADER 4

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t padded(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

/* Where a chunk's TLV list starts (offset from the chunk), or 0 for chunks without one. */
static size_t tlv_start(uint8_t type)
{
    switch (type) {
    case 1:    /* INIT: tag, a_rwnd, OS, MIS, initial TSN */
    case 2:    /* INIT ACK: the same */
        return CHUNK_HEADER + 16;
    case 4:    /* HEARTBEAT: heartbeat info parameter */
    case 5:    /* HEARTBEAT ACK */
    case 6:    /* ABORT: error causes */
    case 9:    /* ERROR: error causes */
    case 130:  /* RE-CONFIG (RFC 6525): parameters */
        return CHUNK_HEADER;
    case 0xc1: /* ASCONF (RFC 5061): serial, then parameters */
    case 0x80: /* ASCONF ACK */
        return CHUNK_HEADER + 4;
    default:
        return 0;
    }
}

static bool tlvs_wellformed(const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        if (len - off < 4)
            return false;
        size_t l = be16(p + off + 2);
        if (l < 4 || l > len - off)
            return false;
        off += padded(l);
    }
    return true;
}

bool mrtc_sctp_packet_wellformed(const uint8_t *data, size_t len)
{
    if (!data || len < COMMON_HEADER)
        return false;
    size_t off = COMMON_HEADER;
    while (off < len) {
        if (len - off < CHUNK_HEADER)
            return false;
        const uint8_t *c = data + off;
        size_t l = be16(c + 2);
        if (l < CHUNK_HEADER || l > len - off)
            return false;
        size_t start = tlv_start(c[0]);
        if (start) {
            if (l < start)
                return false;
            /* usrsctp walks INIT and INIT ACK parameters to the end of the packet, not of
             * the chunk (they may not be bundled with other chunks anyway, RFC 9260
             * section 6.10): check the same range. */
            size_t end = c[0] == 1 || c[0] == 2 ? len - off : l;
            if (!tlvs_wellformed(c + start, end - start))
                return false;
        }
        size_t next = padded(l);
        if (next > len - off)
            next = len - off; /* the last chunk's padding may be missing */
        off += next;
    }
    return true;
}
