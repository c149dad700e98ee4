/*
 * RTCP codec: the common header, compound framing and padding of RFC 3550 section 6.4, SR
 * and RR with report blocks (6.4.1, 6.4.2), SDES chunks with the CNAME item (6.5, 6.5.1), BYE
 * (6.6), the feedback header of RFC 4585 section 6.1 with generic NACK (6.2.1) and PLI
 * (6.3.1), and FIR (RFC 5104 section 4.3.1). Reduced-size RTCP (RFC 5506) is accepted: a
 * datagram need not start with SR or RR nor carry an SDES. Demultiplexing from RTP follows
 * RFC 5761 section 4.
 *
 * Decoding never allocates, reads only through the bounds-checked reader and refuses any
 * malformed packet with MRTC_EPROTO; nothing a peer sends can trip an assertion.
 *
 * Deliberately not done here: SRTCP (encryption and the E bit / index trailer are the SRTP
 * layer's), APP, XR, REMB and transport-wide feedback (they come out as MRTC_RTCP_OTHER with
 * their raw bytes), SDES items other than CNAME (skipped), the RTCP timing rules of 6.3 and
 * the statistics that fill report blocks (those belong to the sender/receiver state).
 */
#include "rtp/rtcp.h"

#include "core/util/log.h"
#include "meshrtc/error.h"

#include <string.h>

#define LOG_TAG "rtcp"

#define REPORT_LEN 24
#define SENDER_INFO_LEN 20

static int refuse(const char *why, unsigned pt)
{
    MRTC_DEBUG(LOG_TAG, "refused RTCP packet (type %u): %s", pt, why);
    return MRTC_EPROTO;
}

bool mrtc_rtcp_is_rtcp(const uint8_t *data, size_t len)
{
    return data && len >= 2 && data[0] >> 6 == 2 && data[1] >= 192 && data[1] <= 223;
}

void mrtc_rtcp_iter_init(mrtc_rtcp_iter *it, const uint8_t *data, size_t len)
{
    it->data = data;
    it->len = data ? len : 0;
    it->pos = 0;
}

/* ---- Decoders of the packet bodies ---- */

static void read_report(mrtc_rd *r, mrtc_rtcp_report *rb)
{
    rb->ssrc = mrtc_rd_u32(r);
    rb->fraction_lost = mrtc_rd_u8(r);
    uint32_t lost = mrtc_rd_u24(r);
    rb->cumulative_lost = (lost & 0x800000u) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    rb->ext_highest_seq = mrtc_rd_u32(r);
    rb->jitter = mrtc_rd_u32(r);
    rb->lsr = mrtc_rd_u32(r);
    rb->dlsr = mrtc_rd_u32(r);
}

static int parse_sr_rr(mrtc_rtcp_packet *p, bool sr)
{
    mrtc_rd r;
    mrtc_rtcp_sr *s = &p->u.sr;
    size_t need = 4 + (sr ? SENDER_INFO_LEN : 0) + (size_t)p->count * REPORT_LEN;

    if (p->body_len < need)
        return refuse("body shorter than its report count", p->pt);
    mrtc_rd_init(&r, p->body, p->body_len);
    s->ssrc = mrtc_rd_u32(&r);
    if (sr) {
        s->ntp = mrtc_rd_u64(&r);
        s->rtp_ts = mrtc_rd_u32(&r);
        s->packet_count = mrtc_rd_u32(&r);
        s->octet_count = mrtc_rd_u32(&r);
    }
    s->n_reports = p->count;
    for (int i = 0; i < s->n_reports; i++)
        read_report(&r, &s->reports[i]);
    p->kind = sr ? MRTC_RTCP_SR : MRTC_RTCP_RR;
    return 0;
}

static int parse_sdes(mrtc_rtcp_packet *p)
{
    mrtc_rd r;
    mrtc_rtcp_sdes *s = &p->u.sdes;

    mrtc_rd_init(&r, p->body, p->body_len);
    s->n_chunks = p->count;
    for (int i = 0; i < s->n_chunks; i++) {
        mrtc_rtcp_sdes_chunk *c = &s->chunks[i];
        size_t start = r.pos;
        c->ssrc = mrtc_rd_u32(&r);
        for (;;) {
            uint8_t type = mrtc_rd_u8(&r);
            if (r.err)
                return refuse("SDES chunk without its terminating null item", p->pt);
            if (type == 0)
                break;
            uint8_t n = mrtc_rd_u8(&r);
            const uint8_t *text = mrtc_rd_bytes(&r, n);
            if (r.err)
                return refuse("SDES item overruns the packet", p->pt);
            if (type == MRTC_RTCP_SDES_CNAME && !c->cname) {
                c->cname = (const char *)text;
                c->cname_len = n;
            }
        }
        /* The null item is followed by null octets up to the next 32-bit boundary. */
        size_t used = r.pos - start;
        size_t pad = (4 - (used & 3)) & 3;
        const uint8_t *z = mrtc_rd_bytes(&r, pad);
        if (r.err)
            return refuse("SDES chunk padding overruns the packet", p->pt);
        for (size_t k = 0; k < pad; k++)
            if (z[k] != 0)
                return refuse("SDES chunk padding is not zero", p->pt);
    }
    if (mrtc_rd_left(&r) != 0)
        return refuse("bytes after the last SDES chunk", p->pt);
    p->kind = MRTC_RTCP_SDES;
    return 0;
}

static int parse_bye(mrtc_rtcp_packet *p)
{
    mrtc_rd r;
    mrtc_rtcp_bye *b = &p->u.bye;

    mrtc_rd_init(&r, p->body, p->body_len);
    b->n_ssrcs = p->count;
    for (int i = 0; i < b->n_ssrcs; i++)
        b->ssrcs[i] = mrtc_rd_u32(&r);
    if (r.err)
        return refuse("BYE SSRC list overruns the packet", p->pt);
    if (mrtc_rd_left(&r) > 0) {
        uint8_t n = mrtc_rd_u8(&r);
        const uint8_t *text = mrtc_rd_bytes(&r, n);
        if (r.err)
            return refuse("BYE reason overruns the packet", p->pt);
        b->reason = (const char *)text;
        b->reason_len = n;
    }
    p->kind = MRTC_RTCP_BYE;
    return 0;
}

/* RFC 4585 6.1: sender SSRC and media source SSRC, then the FCI. */
static int parse_fb(mrtc_rtcp_packet *p)
{
    if (p->body_len < 8)
        return refuse("feedback packet shorter than its two SSRCs", p->pt);
    uint32_t sender = mrtc_load_u32(p->body);
    uint32_t media = mrtc_load_u32(p->body + 4);
    const uint8_t *fci = p->body + 8;
    size_t fci_len = p->body_len - 8;

    if (p->pt == MRTC_RTCP_PT_RTPFB && p->count == MRTC_RTCP_FMT_NACK) {
        if (fci_len == 0 || fci_len % 4 != 0)
            return refuse("NACK without entries or with a partial entry", p->pt);
        p->u.nack.sender_ssrc = sender;
        p->u.nack.media_ssrc = media;
        p->u.nack.fci = fci;
        p->u.nack.n_fci = fci_len / 4;
        p->kind = MRTC_RTCP_NACK;
    } else if (p->pt == MRTC_RTCP_PT_PSFB && p->count == MRTC_RTCP_FMT_PLI) {
        if (fci_len != 0)
            return refuse("PLI with FCI", p->pt);
        p->u.pli.sender_ssrc = sender;
        p->u.pli.media_ssrc = media;
        p->kind = MRTC_RTCP_PLI;
    } else if (p->pt == MRTC_RTCP_PT_PSFB && p->count == MRTC_RTCP_FMT_FIR) {
        if (fci_len == 0 || fci_len % 8 != 0)
            return refuse("FIR without entries or with a partial entry", p->pt);
        p->u.fir.sender_ssrc = sender;
        p->u.fir.media_ssrc = media;
        p->u.fir.fci = fci;
        p->u.fir.n_entries = fci_len / 8;
        p->kind = MRTC_RTCP_FIR;
    }
    return 0;
}

int mrtc_rtcp_iter_next(mrtc_rtcp_iter *it, mrtc_rtcp_packet *out)
{
    mrtc_rd r;
    int err = 0;

    memset(out, 0, sizeof *out);
    if (it->pos >= it->len)
        return 0;
    mrtc_rd_init(&r, it->data + it->pos, it->len - it->pos);
    uint8_t b0 = mrtc_rd_u8(&r);
    uint8_t pt = mrtc_rd_u8(&r);
    size_t words = mrtc_rd_u16(&r);
    if (r.err) {
        err = refuse("shorter than the common header", 0);
        goto out;
    }
    if (b0 >> 6 != 2) {
        err = refuse("version is not 2", pt);
        goto out;
    }
    if (pt < 192 || pt > 223) {
        err = refuse("packet type outside 192..223", pt);
        goto out;
    }
    size_t len = (words + 1) * 4;
    if (len > it->len - it->pos) {
        err = refuse("length past the end of the datagram", pt);
        goto out;
    }
    out->pt = pt;
    out->count = b0 & 0x1F;
    out->raw = it->data + it->pos;
    out->len = len;
    out->body = out->raw + MRTC_RTCP_HEADER_LEN;
    out->body_len = len - MRTC_RTCP_HEADER_LEN;
    if (b0 & 0x20) {
        /* RFC 3550 6.4.1: only the last packet of a compound may be padded. */
        if (it->pos + len != it->len) {
            err = refuse("padding on a packet that is not the last", pt);
            goto out;
        }
        out->padding_len = out->raw[len - 1];
        if (out->padding_len == 0 || out->padding_len > out->body_len) {
            err = refuse("padding count 0 or larger than the body", pt);
            goto out;
        }
        out->body_len -= out->padding_len;
    }

    switch (pt) {
    case MRTC_RTCP_PT_SR:
        err = parse_sr_rr(out, true);
        break;
    case MRTC_RTCP_PT_RR:
        err = parse_sr_rr(out, false);
        break;
    case MRTC_RTCP_PT_SDES:
        err = parse_sdes(out);
        break;
    case MRTC_RTCP_PT_BYE:
        err = parse_bye(out);
        break;
    case MRTC_RTCP_PT_RTPFB:
    case MRTC_RTCP_PT_PSFB:
        err = parse_fb(out);
        break;
    default:
        break;
    }
    if (err)
        goto out;
    it->pos += len;
    err = 1;
out:
    return err;
}

int mrtc_rtcp_validate(const uint8_t *data, size_t len)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;
    int n = 0;
    int err;

    mrtc_rtcp_iter_init(&it, data, len);
    while ((err = mrtc_rtcp_iter_next(&it, &p)) == 1)
        n++;
    if (err < 0)
        return err;
    return n > 0 ? n : MRTC_EPROTO;
}

int mrtc_rtcp_nack_seqs(const mrtc_rtcp_nack *n, uint16_t *out, size_t cap)
{
    size_t count = 0;

    for (size_t i = 0; i < n->n_fci; i++) {
        uint16_t pid = mrtc_load_u16(n->fci + 4 * i);
        uint16_t blp = mrtc_load_u16(n->fci + 4 * i + 2);
        if (count >= cap)
            return MRTC_ENOBUFS;
        out[count++] = pid;
        for (int b = 0; b < 16; b++) {
            if (!(blp & (1u << b)))
                continue;
            if (count >= cap)
                return MRTC_ENOBUFS;
            out[count++] = (uint16_t)(pid + b + 1);
        }
    }
    return (int)count;
}

mrtc_rtcp_fir_entry mrtc_rtcp_fir_get(const mrtc_rtcp_fir *f, size_t i)
{
    mrtc_rtcp_fir_entry e = {
        .ssrc = mrtc_load_u32(f->fci + 8 * i),
        .seq = f->fci[8 * i + 4],
    };
    return e;
}

/* ---- Writers ---- */

/* Starts a packet: returns a pointer to its header (filled by finish) or NULL (w->err). */
static uint8_t *begin(mrtc_wr *w)
{
    return mrtc_wr_reserve(w, MRTC_RTCP_HEADER_LEN);
}

/* Completes the header at hdr, or rolls w back to start when anything failed. */
static int finish(mrtc_wr *w, size_t start, uint8_t *hdr, uint8_t count, uint8_t pt)
{
    size_t len = w->len - start;
    if (w->err || !hdr) {
        w->err = false;
        w->len = start;
        return MRTC_ENOBUFS;
    }
    if (len % 4 != 0 || len / 4 - 1 > 0xFFFFu) {
        w->len = start;
        return MRTC_EINVAL;
    }
    hdr[0] = (uint8_t)(0x80 | count);
    hdr[1] = pt;
    mrtc_store_u16(hdr + 2, (uint16_t)(len / 4 - 1));
    return 0;
}

static void write_report(mrtc_wr *w, const mrtc_rtcp_report *rb)
{
    mrtc_wr_u32(w, rb->ssrc);
    mrtc_wr_u8(w, rb->fraction_lost);
    mrtc_wr_u24(w, (uint32_t)rb->cumulative_lost & 0xFFFFFFu);
    mrtc_wr_u32(w, rb->ext_highest_seq);
    mrtc_wr_u32(w, rb->jitter);
    mrtc_wr_u32(w, rb->lsr);
    mrtc_wr_u32(w, rb->dlsr);
}

static int write_sr_rr(mrtc_wr *w, const mrtc_rtcp_sr *s, bool sr)
{
    if (!w || !s || s->n_reports < 0 || s->n_reports > MRTC_RTCP_MAX_COUNT)
        return MRTC_EINVAL;
    for (int i = 0; i < s->n_reports; i++)
        if (s->reports[i].cumulative_lost < -0x800000 || s->reports[i].cumulative_lost > 0x7FFFFF)
            return MRTC_EINVAL;
    if (w->err)
        return MRTC_ENOBUFS;
    size_t start = w->len;
    uint8_t *hdr = begin(w);
    mrtc_wr_u32(w, s->ssrc);
    if (sr) {
        mrtc_wr_u64(w, s->ntp);
        mrtc_wr_u32(w, s->rtp_ts);
        mrtc_wr_u32(w, s->packet_count);
        mrtc_wr_u32(w, s->octet_count);
    }
    for (int i = 0; i < s->n_reports; i++)
        write_report(w, &s->reports[i]);
    return finish(w, start, hdr, (uint8_t)s->n_reports, sr ? MRTC_RTCP_PT_SR : MRTC_RTCP_PT_RR);
}

int mrtc_rtcp_write_sr(mrtc_wr *w, const mrtc_rtcp_sr *sr)
{
    return write_sr_rr(w, sr, true);
}

int mrtc_rtcp_write_rr(mrtc_wr *w, const mrtc_rtcp_sr *rr)
{
    return write_sr_rr(w, rr, false);
}

int mrtc_rtcp_write_sdes(mrtc_wr *w, const mrtc_rtcp_sdes *sdes)
{
    if (!w || !sdes || sdes->n_chunks < 0 || sdes->n_chunks > MRTC_RTCP_MAX_COUNT)
        return MRTC_EINVAL;
    if (w->err)
        return MRTC_ENOBUFS;
    size_t start = w->len;
    uint8_t *hdr = begin(w);
    for (int i = 0; i < sdes->n_chunks; i++) {
        const mrtc_rtcp_sdes_chunk *c = &sdes->chunks[i];
        size_t chunk_start = w->len;
        mrtc_wr_u32(w, c->ssrc);
        if (c->cname) {
            mrtc_wr_u8(w, MRTC_RTCP_SDES_CNAME);
            mrtc_wr_u8(w, c->cname_len);
            mrtc_wr_bytes(w, c->cname, c->cname_len);
        }
        /* The null item, then null octets to the 32-bit boundary. */
        size_t used = w->len - chunk_start + 1;
        mrtc_wr_zeros(w, 1 + ((4 - (used & 3)) & 3));
    }
    return finish(w, start, hdr, (uint8_t)sdes->n_chunks, MRTC_RTCP_PT_SDES);
}

int mrtc_rtcp_write_bye(mrtc_wr *w, const mrtc_rtcp_bye *bye)
{
    if (!w || !bye || bye->n_ssrcs < 0 || bye->n_ssrcs > MRTC_RTCP_MAX_COUNT ||
        (bye->reason_len && !bye->reason))
        return MRTC_EINVAL;
    if (w->err)
        return MRTC_ENOBUFS;
    size_t start = w->len;
    uint8_t *hdr = begin(w);
    for (int i = 0; i < bye->n_ssrcs; i++)
        mrtc_wr_u32(w, bye->ssrcs[i]);
    if (bye->reason) {
        mrtc_wr_u8(w, bye->reason_len);
        mrtc_wr_bytes(w, bye->reason, bye->reason_len);
        mrtc_wr_zeros(w, (4 - ((1u + bye->reason_len) & 3)) & 3);
    }
    return finish(w, start, hdr, (uint8_t)bye->n_ssrcs, MRTC_RTCP_PT_BYE);
}

int mrtc_rtcp_write_nack(mrtc_wr *w, uint32_t sender_ssrc, uint32_t media_ssrc,
                         const uint16_t *seqs, size_t n)
{
    if (!w || !seqs || n == 0)
        return MRTC_EINVAL;
    if (w->err)
        return MRTC_ENOBUFS;
    size_t start = w->len;
    uint8_t *hdr = begin(w);
    uint8_t *entry = NULL; /* the FCI entry being filled */
    uint16_t pid = 0, blp = 0;

    mrtc_wr_u32(w, sender_ssrc);
    mrtc_wr_u32(w, media_ssrc);
    for (size_t i = 0; i < n; i++) {
        uint16_t d = (uint16_t)(seqs[i] - pid);
        if (entry && d == 0)
            continue;
        if (entry && d >= 1 && d <= 16) {
            blp = (uint16_t)(blp | 1u << (d - 1));
            mrtc_store_u16(entry + 2, blp);
            continue;
        }
        entry = mrtc_wr_reserve(w, 4);
        if (!entry)
            break;
        pid = seqs[i];
        blp = 0;
        mrtc_store_u16(entry, pid);
        mrtc_store_u16(entry + 2, blp);
    }
    return finish(w, start, hdr, MRTC_RTCP_FMT_NACK, MRTC_RTCP_PT_RTPFB);
}

int mrtc_rtcp_write_pli(mrtc_wr *w, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!w)
        return MRTC_EINVAL;
    if (w->err)
        return MRTC_ENOBUFS;
    size_t start = w->len;
    uint8_t *hdr = begin(w);
    mrtc_wr_u32(w, sender_ssrc);
    mrtc_wr_u32(w, media_ssrc);
    return finish(w, start, hdr, MRTC_RTCP_FMT_PLI, MRTC_RTCP_PT_PSFB);
}

int mrtc_rtcp_write_fir(mrtc_wr *w, uint32_t sender_ssrc, const mrtc_rtcp_fir_entry *entries,
                        size_t n)
{
    if (!w || !entries || n == 0 || n > 0x7FFF)
        return MRTC_EINVAL;
    if (w->err)
        return MRTC_ENOBUFS;
    size_t start = w->len;
    uint8_t *hdr = begin(w);
    mrtc_wr_u32(w, sender_ssrc);
    mrtc_wr_u32(w, 0);
    for (size_t i = 0; i < n; i++) {
        mrtc_wr_u32(w, entries[i].ssrc);
        mrtc_wr_u8(w, entries[i].seq);
        mrtc_wr_u24(w, 0);
    }
    return finish(w, start, hdr, MRTC_RTCP_FMT_FIR, MRTC_RTCP_PT_PSFB);
}
