/* libFuzzer target for rtp/opus.c. Validates the input as an Opus packet: only documented
 * codes; a valid packet has 1..48 frames, a duration of frames x the TOC's frame duration
 * within 120 ms, and satisfies the simple rules of RFC 6716 section 3.4 checked here
 * independently (code 0 and 1 sizes). The packetizer then gives it the previous timestamp
 * and advances by the same duration, or refuses it without moving. Any violation aborts. */
#include "meshrtc/error.h"
#include "rtp/opus.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_opus: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mrtc_opus_packetizer p;
    uint32_t ts = 0;
    bool marker = false;

    int frames = mrtc_opus_packet_frames(data, size);
    int samples = mrtc_opus_packet_samples(data, size);
    require(frames == MRTC_EPROTO || (frames >= 1 && frames <= 48), "frame count");
    require(frames < 0 ? samples == frames
                       : samples == frames * mrtc_opus_toc_frame_samples(data[0]),
            "duration is not frames x frame duration");
    require(samples < 0 || (samples >= 120 && samples <= MRTC_OPUS_MAX_SAMPLES),
            "duration out of range");
    if (size >= 1 && (data[0] & 3) == 0)
        require((frames == 1) == (size - 1 <= MRTC_OPUS_MAX_FRAME_BYTES), "code 0 rule");
    if (size >= 1 && (data[0] & 3) == 1)
        require((frames == 2) == ((size - 1) % 2 == 0 && (size - 1) / 2 <= 1275), "code 1 rule");
    if (size == 0)
        require(frames == MRTC_EPROTO, "empty packet accepted");

    mrtc_opus_packetizer_init(&p, 0xfffff000u);
    int r = mrtc_opus_packetize(&p, data, size, &ts, &marker);
    require(r == samples, "packetizer disagrees with the validator");
    if (r > 0) {
        require(ts == 0xfffff000u, "first timestamp changed");
        require(marker == (size > 2), "marker on the first non-DTX packet");
        r = mrtc_opus_packetize(&p, data, size, &ts, &marker);
        require(ts == 0xfffff000u + (uint32_t)samples, "timestamp did not advance");
        require(!marker, "marker inside a talkspurt or on DTX");
    }
    return 0;
}
