/* libFuzzer target for the WAV header parser of media/wav.c. Parses the input as a whole
 * file and as a header prefix of a longer file: only 0 or MRTC_EPROTO; on success 1 or 2
 * channels at 8000..192000 Hz, data that starts and ends inside the file and holds whole
 * sample frames, and a canonical header written from the parsed fields parses back to the
 * same fields. Any violation aborts. */
#include "media/wav.h"
#include "meshrtc/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_wav: %s\n", what);
        abort();
    }
}

static void check(const uint8_t *data, size_t len, uint64_t file_size)
{
    mrtc_wav_info info, again;
    int err = mrtc_wav_parse_header(data, len, file_size, &info);
    require(err == 0 || err == MRTC_EPROTO, "undocumented return code");
    if (err)
        return;
    require(info.channels == 1 || info.channels == 2, "channels");
    require(info.rate >= MRTC_WAV_MIN_RATE && info.rate <= MRTC_WAV_MAX_RATE, "rate");
    require(info.data_offset <= len, "data starts outside the buffer");
    require(info.data_offset + info.data_bytes <= file_size, "data ends outside the file");
    require(info.data_bytes % (2 * info.channels) == 0, "partial sample frame");
    require(info.frames * 2 * info.channels == info.data_bytes, "frame count");

    uint8_t hdr[MRTC_WAV_HEADER_LEN + 4];
    uint64_t bytes = info.data_bytes > 0xFFFF0000u ? 0xFFFF0000u : info.data_bytes;
    require(mrtc_wav_write_header(hdr, sizeof hdr, info.rate, info.channels, bytes) ==
                MRTC_WAV_HEADER_LEN,
            "writer refused parsed fields");
    require(mrtc_wav_parse_header(hdr, MRTC_WAV_HEADER_LEN, MRTC_WAV_HEADER_LEN + bytes, &again) ==
                0,
            "written header does not parse");
    require(again.rate == info.rate && again.channels == info.channels &&
                again.data_offset == MRTC_WAV_HEADER_LEN && again.data_bytes == bytes,
            "written header parses to other fields");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, size);
    check(data, size / 2, size);
    check(data, size, (uint64_t)size + 1000000);
    return 0;
}
