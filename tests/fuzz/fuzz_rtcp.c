/* libFuzzer target for rtp/rtcp.c. Iterates over the packets of the input datagram; checks
 * that every view stays inside the input, that mrtc_rtcp_validate agrees with the iterator,
 * then re-writes each decoded packet (SR, RR, SDES, BYE, NACK, PLI, FIR) with the writers,
 * decodes that again and requires the same fields back (for NACK: the same set of sequence
 * numbers). Any mismatch aborts, so libFuzzer reports it. */
#include "core/util/buf.h"
#include "meshrtc/error.h"
#include "rtp/rtcp.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_rtcp: %s\n", what);
        abort();
    }
}

static bool same(const void *a, const void *b, size_t n)
{
    return n == 0 || memcmp(a, b, n) == 0;
}

static bool same_text(const char *a, size_t an, const char *b, size_t bn)
{
    return (a != NULL) == (b != NULL) && an == bn && same(a, b, an);
}

static void nack_set(const mrtc_rtcp_nack *n, uint8_t set[8192])
{
    static uint16_t seqs[17 * 0x10000];
    memset(set, 0, 8192);
    int k = mrtc_rtcp_nack_seqs(n, seqs, sizeof seqs / sizeof seqs[0]);
    require(k >= 1 && (size_t)k <= 17 * n->n_fci, "NACK expansion count");
    for (int i = 0; i < k; i++)
        set[seqs[i] >> 3] = (uint8_t)(set[seqs[i] >> 3] | 1u << (seqs[i] & 7));
}

static void rewrite(const mrtc_rtcp_packet *p)
{
    static uint8_t out[0x50000];
    static uint16_t list[17 * 0x10000];
    static mrtc_rtcp_fir_entry entries[0x8000];
    static uint8_t set_a[8192], set_b[8192];
    mrtc_wr w;
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet r;
    int err = 0;

    mrtc_wr_init(&w, out, sizeof out);
    switch (p->kind) {
    case MRTC_RTCP_SR:
        err = mrtc_rtcp_write_sr(&w, &p->u.sr);
        break;
    case MRTC_RTCP_RR:
        err = mrtc_rtcp_write_rr(&w, &p->u.sr);
        break;
    case MRTC_RTCP_SDES:
        err = mrtc_rtcp_write_sdes(&w, &p->u.sdes);
        break;
    case MRTC_RTCP_BYE:
        err = mrtc_rtcp_write_bye(&w, &p->u.bye);
        break;
    case MRTC_RTCP_NACK: {
        int k = mrtc_rtcp_nack_seqs(&p->u.nack, list, sizeof list / sizeof list[0]);
        require(k > 0, "NACK expansion failed");
        err =
            mrtc_rtcp_write_nack(&w, p->u.nack.sender_ssrc, p->u.nack.media_ssrc, list, (size_t)k);
        break;
    }
    case MRTC_RTCP_PLI:
        err = mrtc_rtcp_write_pli(&w, p->u.pli.sender_ssrc, p->u.pli.media_ssrc);
        break;
    case MRTC_RTCP_FIR:
        require(p->u.fir.n_entries <= sizeof entries / sizeof entries[0], "FIR too long");
        for (size_t i = 0; i < p->u.fir.n_entries; i++)
            entries[i] = mrtc_rtcp_fir_get(&p->u.fir, i);
        err = mrtc_rtcp_write_fir(&w, p->u.fir.sender_ssrc, entries, p->u.fir.n_entries);
        break;
    case MRTC_RTCP_OTHER:
        return;
    }
    require(err == 0, "writer failed on decoded fields");
    require(mrtc_rtcp_validate(out, w.len) == 1, "re-written packet does not validate");
    mrtc_rtcp_iter_init(&it, out, w.len);
    require(mrtc_rtcp_iter_next(&it, &r) == 1, "re-written packet does not decode");
    require(r.kind == p->kind && r.pt == p->pt, "kind changed");

    switch (p->kind) {
    case MRTC_RTCP_SR:
    case MRTC_RTCP_RR: {
        const mrtc_rtcp_sr *a = &p->u.sr, *b = &r.u.sr;
        require(a->ssrc == b->ssrc && a->ntp == b->ntp && a->rtp_ts == b->rtp_ts &&
                    a->packet_count == b->packet_count && a->octet_count == b->octet_count,
                "sender info changed");
        require(a->n_reports == b->n_reports, "report count changed");
        for (int i = 0; i < a->n_reports; i++) {
            const mrtc_rtcp_report *x = &a->reports[i], *y = &b->reports[i];
            require(x->ssrc == y->ssrc && x->fraction_lost == y->fraction_lost &&
                        x->cumulative_lost == y->cumulative_lost &&
                        x->ext_highest_seq == y->ext_highest_seq && x->jitter == y->jitter &&
                        x->lsr == y->lsr && x->dlsr == y->dlsr,
                    "report block changed");
        }
        break;
    }
    case MRTC_RTCP_SDES:
        require(p->u.sdes.n_chunks == r.u.sdes.n_chunks, "chunk count changed");
        for (int i = 0; i < p->u.sdes.n_chunks; i++) {
            const mrtc_rtcp_sdes_chunk *x = &p->u.sdes.chunks[i], *y = &r.u.sdes.chunks[i];
            require(x->ssrc == y->ssrc && same_text(x->cname, x->cname_len, y->cname, y->cname_len),
                    "SDES chunk changed");
        }
        break;
    case MRTC_RTCP_BYE:
        require(p->u.bye.n_ssrcs == r.u.bye.n_ssrcs &&
                    same(p->u.bye.ssrcs, r.u.bye.ssrcs, sizeof p->u.bye.ssrcs),
                "BYE SSRCs changed");
        require(same_text(p->u.bye.reason, p->u.bye.reason_len, r.u.bye.reason, r.u.bye.reason_len),
                "BYE reason changed");
        break;
    case MRTC_RTCP_NACK:
        require(p->u.nack.sender_ssrc == r.u.nack.sender_ssrc &&
                    p->u.nack.media_ssrc == r.u.nack.media_ssrc,
                "NACK SSRCs changed");
        require(r.u.nack.n_fci <= p->u.nack.n_fci, "rebuilt NACK has more entries");
        nack_set(&p->u.nack, set_a);
        nack_set(&r.u.nack, set_b);
        require(memcmp(set_a, set_b, sizeof set_a) == 0, "NACK sequence numbers changed");
        break;
    case MRTC_RTCP_PLI:
        require(p->u.pli.sender_ssrc == r.u.pli.sender_ssrc &&
                    p->u.pli.media_ssrc == r.u.pli.media_ssrc,
                "PLI changed");
        break;
    case MRTC_RTCP_FIR:
        require(p->u.fir.sender_ssrc == r.u.fir.sender_ssrc &&
                    p->u.fir.n_entries == r.u.fir.n_entries,
                "FIR header changed");
        for (size_t i = 0; i < p->u.fir.n_entries; i++) {
            mrtc_rtcp_fir_entry x = mrtc_rtcp_fir_get(&p->u.fir, i);
            mrtc_rtcp_fir_entry y = mrtc_rtcp_fir_get(&r.u.fir, i);
            require(x.ssrc == y.ssrc && x.seq == y.seq, "FIR entry changed");
        }
        break;
    case MRTC_RTCP_OTHER:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mrtc_rtcp_iter it;
    static mrtc_rtcp_packet p;
    int n = 0, err;

    int v = mrtc_rtcp_validate(data, size);
    require(v > 0 || v == MRTC_EPROTO, "validate returned an undocumented code");
    mrtc_rtcp_iter_init(&it, data, size);
    while ((err = mrtc_rtcp_iter_next(&it, &p)) == 1) {
        n++;
        require(p.raw >= data && p.raw + p.len <= data + size && p.len >= 4 && p.len % 4 == 0,
                "packet out of bounds");
        require(p.body == p.raw + 4 && 4 + p.body_len + p.padding_len == p.len,
                "packet lengths do not add up");
        require(p.pt >= 192 && p.pt <= 223 && p.count <= 31, "header field out of range");
        require(mrtc_rtcp_is_rtcp(p.raw, p.len), "decoded a packet the demux test rejects");
        rewrite(&p);
    }
    require(err == 0 || err == MRTC_EPROTO, "iterator returned an undocumented code");
    if (err == 0 && n > 0)
        require(v == n, "validate disagrees with the iterator");
    else
        require(v == MRTC_EPROTO, "validate accepted what the iterator refused");
    return 0;
}
