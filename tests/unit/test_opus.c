/* Tests of rtp/opus.c: the frame duration of every TOC configuration against RFC 6716
 * table 2, frame counts and durations of code 0..3 packets, every framing rule of RFC 6716
 * section 3.4 refused (empty, odd code 1, code 2 and code 3 lengths past the end, frames
 * over 1275 bytes, zero frames, over 120 ms, CBR remainder, padding past the end), and the
 * RFC 7587 packetizer's timestamps and marker bits around DTX. */
#include "test.h"

#include "meshrtc/error.h"
#include "rtp/opus.h"

#include <stdbool.h>
#include <stdint.h>

/* RFC 6716 section 3.1, table 2, in 48 kHz samples per configuration 0..31. */
static const int table2[32] = {
    480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, /* SILK NB MB WB */
    480, 960, 480,  960,                                              /* Hybrid SWB FB */
    120, 240, 480,  960,  120, 240, 480,  960,                        /* CELT NB WB */
    120, 240, 480,  960,  120, 240, 480,  960,                        /* CELT SWB FB */
};

static void test_toc_durations(void)
{
    uint8_t pkt[1];
    for (int config = 0; config < 32; config++) {
        for (int s = 0; s < 2; s++) {
            uint8_t toc = (uint8_t)(config << 3 | s << 2);
            CHECK_EQ(mrtc_opus_toc_frame_samples(toc), table2[config]);
            pkt[0] = toc; /* code 0, one empty frame */
            CHECK_EQ(mrtc_opus_packet_frames(pkt, 1), 1);
            CHECK_EQ(mrtc_opus_packet_samples(pkt, 1), table2[config]);
            pkt[0] = (uint8_t)(toc | 1); /* code 1, two empty frames */
            CHECK_EQ(mrtc_opus_packet_samples(pkt, 1), 2 * table2[config]);
        }
    }
}

static void test_codes(void)
{
    static uint8_t big[1 + 2 * 1276 + 4];
    uint8_t toc = 31 << 3; /* CELT FB 20 ms */

    /* Code 0. */
    big[0] = toc;
    CHECK_EQ(mrtc_opus_packet_samples(big, 1 + 1275), 960);
    CHECK_EQ(mrtc_opus_packet_samples(big, 1 + 1276), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_packet_samples(big, 0), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_packet_samples(NULL, 3), MRTC_EINVAL);

    /* Code 1: an even number of bytes after the TOC. */
    big[0] = toc | 1;
    CHECK_EQ(mrtc_opus_packet_samples(big, 5), 1920);
    CHECK_EQ(mrtc_opus_packet_samples(big, 4), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_packet_samples(big, 1 + 2 * 1275), 1920);
    CHECK_EQ(mrtc_opus_packet_samples(big, 1 + 2 * 1276), MRTC_EPROTO);

    /* Code 2: first frame length 1, second frame 2 bytes. */
    static const uint8_t c2[] = {31 << 3 | 2, 1, 0xaa, 0xbb, 0xcc};
    CHECK_EQ(mrtc_opus_packet_frames(c2, sizeof c2), 2);
    CHECK_EQ(mrtc_opus_packet_samples(c2, sizeof c2), 1920);
    CHECK_EQ(mrtc_opus_packet_samples(c2, 2), MRTC_EPROTO); /* first frame past the end */
    CHECK_EQ(mrtc_opus_packet_samples(c2, 1), MRTC_EPROTO); /* no length byte */
    static const uint8_t c2_past[] = {31 << 3 | 2, 5, 0xaa};
    CHECK_EQ(mrtc_opus_packet_samples(c2_past, sizeof c2_past), MRTC_EPROTO);
    static const uint8_t c2_two_byte_short[] = {31 << 3 | 2, 252};
    CHECK_EQ(mrtc_opus_packet_samples(c2_two_byte_short, 2), MRTC_EPROTO);
    /* Two-byte length 252 + 4 * 1 = 256. */
    big[0] = toc | 2;
    big[1] = 252;
    big[2] = 1;
    CHECK_EQ(mrtc_opus_packet_samples(big, 3 + 256), 1920);
    CHECK_EQ(mrtc_opus_packet_samples(big, 3 + 255), MRTC_EPROTO);
    /* Second frame over 1275 bytes. */
    CHECK_EQ(mrtc_opus_packet_samples(big, 3 + 256 + 1276), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_packet_samples(big, 3 + 256 + 1275), 1920);

    /* Code 3 CBR: three frames of 2 bytes. */
    static const uint8_t c3[] = {31 << 3 | 3, 3, 1, 2, 3, 4, 5, 6};
    CHECK_EQ(mrtc_opus_packet_frames(c3, sizeof c3), 3);
    CHECK_EQ(mrtc_opus_packet_samples(c3, sizeof c3), 2880);
    CHECK_EQ(mrtc_opus_packet_samples(c3, sizeof c3 - 1), MRTC_EPROTO); /* 5 bytes / 3 */
    /* Code 3 VBR: frames of 1 and 2 bytes. */
    static const uint8_t c3v[] = {31 << 3 | 3, 0x82, 1, 0xa, 0xb, 0xc};
    CHECK_EQ(mrtc_opus_packet_samples(c3v, sizeof c3v), 1920);
    static const uint8_t c3v_past[] = {31 << 3 | 3, 0x82, 5, 0xa};
    CHECK_EQ(mrtc_opus_packet_samples(c3v_past, sizeof c3v_past), MRTC_EPROTO);
    static const uint8_t c3v_nolen[] = {31 << 3 | 3, 0x83, 1};
    CHECK_EQ(mrtc_opus_packet_samples(c3v_nolen, sizeof c3v_nolen), MRTC_EPROTO);
    /* Code 3 with padding: 2 padding bytes, one frame of 2 bytes. */
    static const uint8_t c3p[] = {31 << 3 | 3, 0x41, 2, 0xa, 0xb, 0, 0};
    CHECK_EQ(mrtc_opus_packet_samples(c3p, sizeof c3p), 960);
    static const uint8_t c3p_past[] = {31 << 3 | 3, 0x41, 10, 0xa};
    CHECK_EQ(mrtc_opus_packet_samples(c3p_past, sizeof c3p_past), MRTC_EPROTO);
    static const uint8_t c3p_missing[] = {31 << 3 | 3, 0x41};
    CHECK_EQ(mrtc_opus_packet_samples(c3p_missing, sizeof c3p_missing), MRTC_EPROTO);
    /* Padding length 255 means 254 and another length byte: 254 + 1 = 255 bytes. */
    static uint8_t c3pp[4 + 255];
    c3pp[0] = 31 << 3 | 3;
    c3pp[1] = 0x41;
    c3pp[2] = 255;
    c3pp[3] = 1;
    CHECK_EQ(mrtc_opus_packet_samples(c3pp, sizeof c3pp), 960); /* one empty frame */
    CHECK_EQ(mrtc_opus_packet_samples(c3pp, sizeof c3pp - 1), MRTC_EPROTO);
    c3pp[3] = 255; /* the chain runs past the end */
    CHECK_EQ(mrtc_opus_packet_samples(c3pp, 4), MRTC_EPROTO);

    /* Code 3 malformed: no count byte, zero frames, over 120 ms. */
    static const uint8_t c3_short[] = {31 << 3 | 3};
    CHECK_EQ(mrtc_opus_packet_samples(c3_short, 1), MRTC_EPROTO);
    static const uint8_t c3_zero[] = {31 << 3 | 3, 0};
    CHECK_EQ(mrtc_opus_packet_samples(c3_zero, 2), MRTC_EPROTO);
    static const uint8_t c3_60ms_x2[] = {3 << 3 | 3, 2};
    CHECK_EQ(mrtc_opus_packet_samples(c3_60ms_x2, 2), 5760);
    static const uint8_t c3_60ms_x3[] = {3 << 3 | 3, 3};
    CHECK_EQ(mrtc_opus_packet_samples(c3_60ms_x3, 2), MRTC_EPROTO);
    static const uint8_t c3_2_5ms_x48[] = {16 << 3 | 3, 48};
    CHECK_EQ(mrtc_opus_packet_samples(c3_2_5ms_x48, 2), 5760);
    static const uint8_t c3_2_5ms_x49[] = {16 << 3 | 3, 49};
    CHECK_EQ(mrtc_opus_packet_samples(c3_2_5ms_x49, 2), MRTC_EPROTO);
}

static void test_packetizer(void)
{
    mrtc_opus_packetizer p;
    uint32_t ts = 0;
    bool m = false;
    static const uint8_t voice[] = {31 << 3, 0x11, 0x22, 0x33}; /* 20 ms */
    static const uint8_t dtx[] = {31 << 3};
    static const uint8_t bad[] = {31 << 3 | 3, 0};

    mrtc_opus_packetizer_init(&p, 0xfffffe00u);
    CHECK_EQ(mrtc_opus_packetize(&p, voice, sizeof voice, &ts, &m), 960);
    CHECK_U64(ts, 0xfffffe00u);
    CHECK(m);
    CHECK_EQ(mrtc_opus_packetize(&p, voice, sizeof voice, &ts, &m), 960);
    CHECK_U64(ts, 0xfffffe00u + 960u); /* wraps */
    CHECK(!m);
    CHECK_EQ(mrtc_opus_packetize(&p, bad, sizeof bad, &ts, &m), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_packetize(&p, dtx, sizeof dtx, &ts, &m), 960);
    CHECK_U64(ts, 0xfffffe00u + 1920u);
    CHECK(!m);
    CHECK_EQ(mrtc_opus_packetize(&p, voice, sizeof voice, &ts, &m), 960);
    CHECK_U64(ts, 0xfffffe00u + 2880u);
    CHECK(m); /* first packet of a talkspurt after DTX */
    mrtc_opus_packetizer_skip(&p, 9600);
    CHECK_EQ(mrtc_opus_packetize(&p, voice, sizeof voice, &ts, &m), 960);
    CHECK_U64(ts, 0xfffffe00u + 3840u + 9600u);
    CHECK(m);
    CHECK_EQ(mrtc_opus_packetize(&p, voice, 0, &ts, &m), MRTC_EPROTO);
    CHECK_EQ(mrtc_opus_packetize(NULL, voice, sizeof voice, &ts, &m), MRTC_EINVAL);
}

int main(void)
{
    RUN(test_toc_durations);
    RUN(test_codes);
    RUN(test_packetizer);
    return test_finish();
}
