/* Tests of rtp/rtcp.c: a hand-written Chromium-like SR+SDES compound (decode, byte-exact
 * re-encoding, every truncation), RR, BYE, NACK (PID/BLP expansion, building from lists,
 * wraparound), PLI, FIR, reduced-size datagrams, padding rules, malformed packets of every
 * kind, RFC 5761 demultiplexing, and the writers' capacity handling. */
#include "test.h"

#include "core/util/buf.h"
#include "meshrtc/error.h"
#include "rtp/rtcp.h"

#include <stdbool.h>
#include <stdint.h>

/* SR (RC=1): SSRC 0x11223344, NTP 0xe8a1b2c3d4e5f607, RTP ts 16000, 100 packets, 12000
 * octets; report block for 0x55667788: fraction 16/256, 5 lost, highest 0x0001abcd, jitter
 * 32, LSR 0xb2c3d4e5, DLSR 1 s. Then SDES with one chunk: CNAME "AbCdEfGhIjKlMnOp" (the
 * 16-character random CNAME Chromium uses), null item and one null octet: the SDES starts
 * at byte 52. */
static const uint8_t sr_sdes[] = {
    0x81, 0xc8, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44, 0xe8, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07,
    0x00, 0x00, 0x3e, 0x80, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x2e, 0xe0, 0x55, 0x66, 0x77, 0x88,
    0x10, 0x00, 0x00, 0x05, 0x00, 0x01, 0xab, 0xcd, 0x00, 0x00, 0x00, 0x20, 0xb2, 0xc3, 0xd4, 0xe5,
    0x00, 0x01, 0x00, 0x00, 0x81, 0xca, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44, 0x01, 0x10, 0x41, 0x62,
    0x43, 0x64, 0x45, 0x66, 0x47, 0x68, 0x49, 0x6a, 0x4b, 0x6c, 0x4d, 0x6e, 0x4f, 0x70, 0x00, 0x00,
};
#define SR_LEN 52

/* Generic NACK from 1 about 2: PID 100, BLP 0x8005 (101, 103, 116). */
static const uint8_t nack[] = {
    0x81, 0xcd, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x64, 0x80, 0x05,
};

/* BYE for 0x11223344, reason "done", padded to 32 bits. */
static const uint8_t bye[] = {
    0x81, 0xcb, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 0x04, 0x64, 0x6f, 0x6e, 0x65, 0x00, 0x00, 0x00,
};

/* PLI from 1 about 2; FIR from 1 for 0x0a0b0c0d, sequence number 7. */
static const uint8_t pli[] = {
    0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2,
};
static const uint8_t fir[] = {
    0x84, 0xce, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x07, 0, 0, 0,
};

static int next(mrtc_rtcp_iter *it, mrtc_rtcp_packet *p)
{
    return mrtc_rtcp_iter_next(it, p);
}

static void test_sr_sdes(void)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;

    mrtc_rtcp_iter_init(&it, sr_sdes, sizeof sr_sdes);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_SR);
    CHECK_EQ(p.pt, 200);
    CHECK_EQ(p.len, SR_LEN);
    CHECK_U64(p.u.sr.ssrc, 0x11223344u);
    CHECK_U64(p.u.sr.ntp, 0xe8a1b2c3d4e5f607u);
    CHECK_U64(p.u.sr.rtp_ts, 16000);
    CHECK_U64(p.u.sr.packet_count, 100);
    CHECK_U64(p.u.sr.octet_count, 12000);
    CHECK_EQ(p.u.sr.n_reports, 1);
    const mrtc_rtcp_report *rb = &p.u.sr.reports[0];
    CHECK_U64(rb->ssrc, 0x55667788u);
    CHECK_EQ(rb->fraction_lost, 16);
    CHECK_EQ(rb->cumulative_lost, 5);
    CHECK_U64(rb->ext_highest_seq, 0x0001abcdu);
    CHECK_U64(rb->jitter, 32);
    CHECK_U64(rb->lsr, 0xb2c3d4e5u);
    CHECK_U64(rb->dlsr, 0x00010000u);
    mrtc_rtcp_sr sr = p.u.sr;

    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_SDES);
    CHECK_EQ(p.u.sdes.n_chunks, 1);
    CHECK_U64(p.u.sdes.chunks[0].ssrc, 0x11223344u);
    CHECK_EQ(p.u.sdes.chunks[0].cname_len, 16);
    CHECK_MEM(p.u.sdes.chunks[0].cname, "AbCdEfGhIjKlMnOp", 16);
    mrtc_rtcp_sdes sdes = p.u.sdes;
    CHECK_EQ(next(&it, &p), 0);
    CHECK_EQ(next(&it, &p), 0);
    CHECK_EQ(mrtc_rtcp_validate(sr_sdes, sizeof sr_sdes), 2);

    /* The writers give the same bytes back. */
    uint8_t out[128];
    mrtc_wr w;
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_sr(&w, &sr), 0);
    CHECK_EQ(mrtc_rtcp_write_sdes(&w, &sdes), 0);
    CHECK_EQ(w.len, sizeof sr_sdes);
    CHECK_MEM(out, sr_sdes, sizeof sr_sdes);

    /* Too small: refused, and the writer is left as it was (the SR stays usable). */
    for (size_t cap = SR_LEN; cap < sizeof sr_sdes; cap++) {
        mrtc_wr_init(&w, out, cap);
        CHECK_EQ(mrtc_rtcp_write_sr(&w, &sr), 0);
        CHECK_EQ(mrtc_rtcp_write_sdes(&w, &sdes), MRTC_ENOBUFS);
        CHECK_EQ(w.len, SR_LEN);
        CHECK(!w.err);
    }
    mrtc_wr_init(&w, out, 10);
    CHECK_EQ(mrtc_rtcp_write_sr(&w, &sr), MRTC_ENOBUFS);
    CHECK_EQ(w.len, 0);
}

static void test_truncations(void)
{
    /* Every prefix is refused, except the one that ends at the packet boundary. */
    for (size_t n = 0; n < sizeof sr_sdes; n++)
        CHECK_EQ(mrtc_rtcp_validate(sr_sdes, n), n == SR_LEN ? 1 : MRTC_EPROTO);
    for (size_t n = 0; n < sizeof nack; n++)
        CHECK_EQ(mrtc_rtcp_validate(nack, n), MRTC_EPROTO);
    for (size_t n = 0; n < sizeof bye; n++)
        CHECK_EQ(mrtc_rtcp_validate(bye, n), MRTC_EPROTO);
    for (size_t n = 0; n < sizeof fir; n++)
        CHECK_EQ(mrtc_rtcp_validate(fir, n), MRTC_EPROTO);
}

static void test_rr_bye(void)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;
    uint8_t out[64];
    mrtc_wr w;

    /* An RR with no report blocks, then the BYE: also a reduced-size-free compound. */
    static const uint8_t rr_bye[] = {
        0x80, 0xc9, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x81, 0xcb, 0x00, 0x03,
        0x11, 0x22, 0x33, 0x44, 0x04, 0x64, 0x6f, 0x6e, 0x65, 0x00, 0x00, 0x00,
    };
    mrtc_rtcp_iter_init(&it, rr_bye, sizeof rr_bye);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_RR);
    CHECK_U64(p.u.sr.ssrc, 0xdeadbeefu);
    CHECK_EQ(p.u.sr.n_reports, 0);
    mrtc_rtcp_sr rr = p.u.sr;
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_BYE);
    CHECK_EQ(p.u.bye.n_ssrcs, 1);
    CHECK_U64(p.u.bye.ssrcs[0], 0x11223344u);
    CHECK_EQ(p.u.bye.reason_len, 4);
    CHECK_MEM(p.u.bye.reason, "done", 4);
    mrtc_rtcp_bye b = p.u.bye;
    CHECK_EQ(next(&it, &p), 0);

    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_rr(&w, &rr), 0);
    CHECK_EQ(mrtc_rtcp_write_bye(&w, &b), 0);
    CHECK_EQ(w.len, sizeof rr_bye);
    CHECK_MEM(out, rr_bye, sizeof rr_bye);

    /* A BYE with no SSRC and no reason; a reason overrunning the packet. */
    static const uint8_t empty_bye[] = {
        0x80,
        0xcb,
        0x00,
        0x00,
    };
    CHECK_EQ(mrtc_rtcp_validate(empty_bye, sizeof empty_bye), 1);
    uint8_t long_reason[sizeof bye];
    memcpy(long_reason, bye, sizeof bye);
    long_reason[8] = 8;
    CHECK_EQ(mrtc_rtcp_validate(long_reason, sizeof long_reason), MRTC_EPROTO);
    uint8_t many_ssrc[sizeof bye];
    memcpy(many_ssrc, bye, sizeof bye);
    many_ssrc[0] = 0x84; /* 4 SSRCs in 12 bytes */
    CHECK_EQ(mrtc_rtcp_validate(many_ssrc, sizeof many_ssrc), MRTC_EPROTO);

    /* Negative cumulative loss (duplicates) round-trips through the 24-bit field. */
    mrtc_rtcp_sr s = {.ssrc = 9, .n_reports = 2};
    s.reports[0].cumulative_lost = -1;
    s.reports[1].cumulative_lost = -0x800000;
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_rr(&w, &s), 0);
    CHECK_EQ(out[0], 0x82);
    CHECK_MEM(out + 13, "\xff\xff\xff", 3);
    mrtc_rtcp_iter_init(&it, out, w.len);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.u.sr.reports[0].cumulative_lost, -1);
    CHECK_EQ(p.u.sr.reports[1].cumulative_lost, -0x800000);
    s.reports[1].cumulative_lost = 0x800000;
    CHECK_EQ(mrtc_rtcp_write_rr(&w, &s), MRTC_EINVAL);
    s.n_reports = 32;
    CHECK_EQ(mrtc_rtcp_write_rr(&w, &s), MRTC_EINVAL);

    /* Report count larger than the body; extra bytes after the blocks are skipped. */
    static const uint8_t rr_short[] = {
        0x81, 0xc9, 0x00, 0x01, 0, 0, 0, 1,
    };
    CHECK_EQ(mrtc_rtcp_validate(rr_short, sizeof rr_short), MRTC_EPROTO);
    static const uint8_t rr_ext[] = {
        0x80, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd,
    };
    CHECK_EQ(mrtc_rtcp_validate(rr_ext, sizeof rr_ext), 1);
    static const uint8_t sr_short[] = {
        0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 1,
    };
    CHECK_EQ(mrtc_rtcp_validate(sr_short, sizeof sr_short), MRTC_EPROTO);
}

static void test_sdes_edges(void)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;

    /* Two chunks: the first has a NOTE item (skipped) then CNAME "ab"; the second is empty. */
    static const uint8_t two[] = {
        0x82, 0xca, 0x00, 0x05, 0, 0, 0, 1, 0x07, 0x01, 0x78, 0x01,
        0x02, 0x61, 0x62, 0x00, 0, 0, 0, 2, 0x00, 0x00, 0x00, 0x00,
    };
    mrtc_rtcp_iter_init(&it, two, sizeof two);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.u.sdes.n_chunks, 2);
    CHECK_EQ(p.u.sdes.chunks[0].cname_len, 2);
    CHECK_MEM(p.u.sdes.chunks[0].cname, "ab", 2);
    CHECK(p.u.sdes.chunks[1].cname == NULL);
    CHECK_U64(p.u.sdes.chunks[1].ssrc, 2);

    /* The writer pads an empty chunk to one word of null octets. */
    uint8_t out[64];
    mrtc_wr w;
    mrtc_rtcp_sdes s = {.n_chunks = 1};
    s.chunks[0].ssrc = 2;
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_sdes(&w, &s), 0);
    CHECK_EQ(w.len, 12);
    CHECK_MEM(out, "\x81\xca\x00\x02\x00\x00\x00\x02\x00\x00\x00\x00", 12);
    /* An empty CNAME item is still an item. */
    s.chunks[0].cname = "";
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_sdes(&w, &s), 0);
    CHECK_MEM(out, "\x81\xca\x00\x02\x00\x00\x00\x02\x01\x00\x00\x00", 12);
    mrtc_rtcp_iter_init(&it, out, w.len);
    CHECK_EQ(next(&it, &p), 1);
    CHECK(p.u.sdes.chunks[0].cname != NULL);
    CHECK_EQ(p.u.sdes.chunks[0].cname_len, 0);

    uint8_t bad[sizeof two];
    /* Non-zero terminator padding. */
    memcpy(bad, two, sizeof two);
    bad[23] = 1;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    /* An item running past the packet. */
    memcpy(bad, two, sizeof two);
    bad[12] = 0x20;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    /* One chunk announced, two present: bytes after the last chunk. */
    memcpy(bad, two, sizeof two);
    bad[0] = 0x81;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    /* Three chunks announced: the third is missing. */
    bad[0] = 0x83;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    /* A chunk with no null item before the end. */
    static const uint8_t unterminated[] = {
        0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 0x61, 0x62,
    };
    CHECK_EQ(mrtc_rtcp_validate(unterminated, sizeof unterminated), MRTC_EPROTO);
}

static void test_nack(void)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;
    uint16_t seqs[40];
    uint8_t out[128];
    mrtc_wr w;

    mrtc_rtcp_iter_init(&it, nack, sizeof nack);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_NACK);
    CHECK_U64(p.u.nack.sender_ssrc, 1);
    CHECK_U64(p.u.nack.media_ssrc, 2);
    CHECK_EQ(p.u.nack.n_fci, 1);
    CHECK_EQ(mrtc_rtcp_nack_seqs(&p.u.nack, seqs, 40), 4);
    CHECK_EQ(seqs[0], 100);
    CHECK_EQ(seqs[1], 101);
    CHECK_EQ(seqs[2], 103);
    CHECK_EQ(seqs[3], 116);
    CHECK_EQ(mrtc_rtcp_nack_seqs(&p.u.nack, seqs, 3), MRTC_ENOBUFS);
    CHECK_EQ(mrtc_rtcp_nack_seqs(&p.u.nack, seqs, 0), MRTC_ENOBUFS);

    /* Building from the list gives the same packet. */
    static const uint16_t list[] = {100, 101, 103, 116};
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_nack(&w, 1, 2, list, 4), 0);
    CHECK_EQ(w.len, sizeof nack);
    CHECK_MEM(out, nack, sizeof nack);

    /* Across the wrap, duplicates, and a gap of 17 needing a second entry. */
    static const uint16_t wrap[] = {65535, 65535, 0, 1, 16, 17, 40};
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_nack(&w, 1, 2, wrap, 7), 0);
    CHECK_EQ(w.len, 12 + 3 * 4);
    CHECK_MEM(out + 12, "\xff\xff\x00\x03\x00\x10\x00\x01\x00\x28\x00\x00", 12);
    mrtc_rtcp_iter_init(&it, out, w.len);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.u.nack.n_fci, 3);
    CHECK_EQ(mrtc_rtcp_nack_seqs(&p.u.nack, seqs, 40), 6);
    static const uint16_t want[] = {65535, 0, 1, 16, 17, 40};
    for (int i = 0; i < 6; i++)
        CHECK_EQ(seqs[i], want[i]);

    /* All 17 of one entry. */
    uint16_t full[17];
    for (int i = 0; i < 17; i++)
        full[i] = (uint16_t)(65530 + i);
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_nack(&w, 1, 2, full, 17), 0);
    CHECK_EQ(w.len, 16);
    CHECK_MEM(out + 12, "\xff\xfa\xff\xff", 4);
    mrtc_rtcp_iter_init(&it, out, w.len);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(mrtc_rtcp_nack_seqs(&p.u.nack, seqs, 17), 17);
    for (int i = 0; i < 17; i++)
        CHECK_EQ(seqs[i], full[i]);

    /* Out of order: still covers every number, with more entries. */
    static const uint16_t unordered[] = {10, 5};
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_nack(&w, 1, 2, unordered, 2), 0);
    CHECK_EQ(w.len, 20);

    CHECK_EQ(mrtc_rtcp_write_nack(&w, 1, 2, list, 0), MRTC_EINVAL);
    mrtc_wr_init(&w, out, 15);
    CHECK_EQ(mrtc_rtcp_write_nack(&w, 1, 2, list, 4), MRTC_ENOBUFS);
    CHECK_EQ(w.len, 0);

    /* A NACK without FCI; padding leaving a partial entry. */
    static const uint8_t no_fci[] = {
        0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2,
    };
    CHECK_EQ(mrtc_rtcp_validate(no_fci, sizeof no_fci), MRTC_EPROTO);
    static const uint8_t partial[] = {
        0xa1, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 2,
    };
    CHECK_EQ(mrtc_rtcp_validate(partial, sizeof partial), MRTC_EPROTO);
    /* Feedback shorter than its two SSRCs. */
    static const uint8_t fb_short[] = {
        0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1,
    };
    CHECK_EQ(mrtc_rtcp_validate(fb_short, sizeof fb_short), MRTC_EPROTO);
    /* Another RTPFB format (transport-wide feedback, FMT 15) is passed through. */
    static const uint8_t twcc[] = {
        0x8f, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2,
    };
    mrtc_rtcp_iter_init(&it, twcc, sizeof twcc);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_OTHER);
    CHECK_EQ(p.count, 15);
    CHECK_EQ(p.body_len, 8);
}

static void test_pli_fir(void)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;
    uint8_t out[64];
    mrtc_wr w;

    mrtc_rtcp_iter_init(&it, pli, sizeof pli);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_PLI);
    CHECK_U64(p.u.pli.sender_ssrc, 1);
    CHECK_U64(p.u.pli.media_ssrc, 2);
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_pli(&w, 1, 2), 0);
    CHECK_EQ(w.len, sizeof pli);
    CHECK_MEM(out, pli, sizeof pli);
    static const uint8_t pli_fci[] = {
        0x81, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0,
    };
    CHECK_EQ(mrtc_rtcp_validate(pli_fci, sizeof pli_fci), MRTC_EPROTO);

    mrtc_rtcp_iter_init(&it, fir, sizeof fir);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_FIR);
    CHECK_U64(p.u.fir.sender_ssrc, 1);
    CHECK_EQ(p.u.fir.n_entries, 1);
    mrtc_rtcp_fir_entry e = mrtc_rtcp_fir_get(&p.u.fir, 0);
    CHECK_U64(e.ssrc, 0x0a0b0c0du);
    CHECK_EQ(e.seq, 7);
    mrtc_wr_init(&w, out, sizeof out);
    CHECK_EQ(mrtc_rtcp_write_fir(&w, 1, &e, 1), 0);
    CHECK_EQ(w.len, sizeof fir);
    CHECK_MEM(out, fir, sizeof fir);
    CHECK_EQ(mrtc_rtcp_write_fir(&w, 1, &e, 0), MRTC_EINVAL);
    static const uint8_t fir_partial[] = {
        0x84, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9,
    };
    CHECK_EQ(mrtc_rtcp_validate(fir_partial, sizeof fir_partial), MRTC_EPROTO);

    /* Reduced size (RFC 5506): a lone PLI, or PLI then NACK, is a valid datagram. */
    uint8_t two[sizeof pli + sizeof nack];
    memcpy(two, pli, sizeof pli);
    memcpy(two + sizeof pli, nack, sizeof nack);
    CHECK_EQ(mrtc_rtcp_validate(two, sizeof two), 2);
}

static void test_header_and_padding(void)
{
    mrtc_rtcp_iter it;
    mrtc_rtcp_packet p;

    /* Padded RR at the end of a compound: the padding is excluded from the body. */
    uint8_t c[sizeof pli + 12];
    static const uint8_t rr_pad[] = {
        0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 7, 0, 0, 0, 4,
    };
    memcpy(c, pli, sizeof pli);
    memcpy(c + sizeof pli, rr_pad, sizeof rr_pad);
    mrtc_rtcp_iter_init(&it, c, sizeof c);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(p.kind, MRTC_RTCP_RR);
    CHECK_EQ(p.padding_len, 4);
    CHECK_EQ(p.body_len, 4);
    CHECK_U64(p.u.sr.ssrc, 7);

    uint8_t bad[sizeof c];
    memcpy(bad, c, sizeof c);
    bad[sizeof c - 1] = 0; /* padding count 0 */
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    bad[sizeof c - 1] = 9; /* larger than the 8-byte body */
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    bad[sizeof c - 1] = 8; /* the whole body: too short for the RR's SSRC */
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);
    /* Padding on the first packet of the compound. */
    memcpy(bad, c, sizeof c);
    bad[0] |= 0x20;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof bad), MRTC_EPROTO);

    /* Version, packet type range, length past the datagram, trailing bytes. */
    memcpy(bad, pli, sizeof pli);
    bad[0] = 0x41;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof pli), MRTC_EPROTO);
    memcpy(bad, pli, sizeof pli);
    bad[1] = 191;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof pli), MRTC_EPROTO);
    bad[1] = 224;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof pli), MRTC_EPROTO);
    bad[1] = 204; /* APP: passed through as OTHER */
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof pli), 1);
    memcpy(bad, pli, sizeof pli);
    bad[3] = 3;
    CHECK_EQ(mrtc_rtcp_validate(bad, sizeof pli), MRTC_EPROTO);
    CHECK_EQ(mrtc_rtcp_validate(c, sizeof pli + 2), MRTC_EPROTO);
    CHECK_EQ(mrtc_rtcp_validate(NULL, 0), MRTC_EPROTO);

    /* The iterator stays at a malformed packet. */
    memcpy(bad, c, sizeof c);
    bad[sizeof pli] = 0x40;
    mrtc_rtcp_iter_init(&it, bad, sizeof bad);
    CHECK_EQ(next(&it, &p), 1);
    CHECK_EQ(next(&it, &p), MRTC_EPROTO);
    CHECK_EQ(next(&it, &p), MRTC_EPROTO);
}

static void test_demux(void)
{
    CHECK(mrtc_rtcp_is_rtcp(sr_sdes, sizeof sr_sdes));
    CHECK(mrtc_rtcp_is_rtcp((const uint8_t *)"\x80\xc0", 2));  /* 192 */
    CHECK(mrtc_rtcp_is_rtcp((const uint8_t *)"\x80\xdf", 2));  /* 223 */
    CHECK(!mrtc_rtcp_is_rtcp((const uint8_t *)"\x80\xbf", 2)); /* 191 */
    CHECK(!mrtc_rtcp_is_rtcp((const uint8_t *)"\x80\xe0", 2)); /* RTP, M=1 PT=96 */
    CHECK(!mrtc_rtcp_is_rtcp((const uint8_t *)"\x80\x6f", 2)); /* RTP, PT=111 */
    CHECK(!mrtc_rtcp_is_rtcp((const uint8_t *)"\x40\xc8", 2)); /* version 1 */
    CHECK(!mrtc_rtcp_is_rtcp(sr_sdes, 1));
    CHECK(!mrtc_rtcp_is_rtcp(NULL, 2));
}

int main(void)
{
    RUN(test_sr_sdes);
    RUN(test_truncations);
    RUN(test_rr_bye);
    RUN(test_sdes_edges);
    RUN(test_nack);
    RUN(test_pli_fir);
    RUN(test_header_and_padding);
    RUN(test_demux);
    return test_finish();
}
