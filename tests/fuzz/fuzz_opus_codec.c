/* libFuzzer target for media/opus_codec.c. The first byte picks the channel count (bit 0)
 * and the mode (bit 1). Decoder mode: the rest is records of a control byte, a 2-byte
 * length and that many bytes; the control byte's low bits choose decode, decode with a
 * small buffer, decode_fec or conceal, its high bits a duration of 1..32 times 2.5 ms.
 * Every call must return a documented code, a duration that is a multiple of 2.5 ms and
 * fits the buffer, and leave the decoder usable (an error leaves it unchanged). Encoder
 * mode: the rest is PCM, encoded frame by frame; every packet must fit the capacity and
 * decode to exactly one 20 ms frame. Any violation aborts. */
#include "media/opus_codec.h"
#include "meshrtc/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME MRTC_AUDIO_FRAME_SAMPLES

static int16_t pcm[MRTC_OPUS_DECODER_MAX_FRAMES * 2];

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_opus_codec: %s\n", what);
        abort();
    }
}

static void check_output(int n, size_t cap)
{
    require(n > 0 && (size_t)n <= cap && n % 120 == 0, "bad duration");
}

static void fuzz_decoder(unsigned channels, const uint8_t *data, size_t size)
{
    mrtc_opus_decoder *d = NULL;
    require(mrtc_opus_decoder_new(channels, &d) == 0, "decoder_new failed");
    size_t pos = 0;
    while (size - pos >= 3) {
        uint8_t ctl = data[pos];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        const uint8_t *pkt = data + pos;
        pos += len;
        size_t frames = 120 * (size_t)((ctl >> 2) % 32 + 1);
        int n;
        switch (ctl & 3) {
        case 0:
            n = mrtc_opus_decoder_decode(d, pkt, len, pcm, MRTC_OPUS_DECODER_MAX_FRAMES);
            require(n == MRTC_EPROTO || n > 0, "decode: undocumented code");
            if (n > 0)
                check_output(n, MRTC_OPUS_DECODER_MAX_FRAMES);
            break;
        case 1:
            n = mrtc_opus_decoder_decode(d, pkt, len, pcm, frames);
            require(n == MRTC_EPROTO || n == MRTC_ENOBUFS || n > 0,
                    "small decode: undocumented code");
            if (n > 0)
                check_output(n, frames);
            break;
        case 2:
            n = mrtc_opus_decoder_decode_fec(d, pkt, len, frames, pcm);
            require(n == MRTC_EPROTO || n == (int)frames, "decode_fec: bad result");
            break;
        default:
            n = mrtc_opus_decoder_conceal(d, frames, pcm);
            require(n == (int)frames, "conceal: bad result");
            break;
        }
    }
    /* Still usable: concealment always works. */
    require(mrtc_opus_decoder_conceal(d, FRAME, pcm) == FRAME, "decoder left unusable");
    mrtc_opus_decoder_free(d);
}

static void fuzz_encoder(unsigned channels, const uint8_t *data, size_t size)
{
    static int16_t in[FRAME * 2];
    uint8_t pkt[MRTC_OPUS_ENCODER_MAX_PACKET];
    mrtc_opus_encoder_config cfg;
    mrtc_opus_encoder *e = NULL;
    mrtc_opus_decoder *d = NULL;
    mrtc_opus_encoder_config_init(&cfg);
    cfg.channels = channels;
    cfg.dtx = size > 0 && (data[0] & 1);
    require(mrtc_opus_encoder_new(&cfg, &e) == 0, "encoder_new failed");
    require(mrtc_opus_decoder_new(channels, &d) == 0, "decoder_new failed");
    size_t frame_bytes = sizeof(int16_t) * FRAME * channels;
    for (size_t pos = 0; pos < size && pos < 8 * frame_bytes; pos += frame_bytes) {
        size_t n = size - pos < frame_bytes ? size - pos : frame_bytes;
        memset(in, 0, sizeof in);
        memcpy(in, data + pos, n);
        int len = mrtc_opus_encoder_encode(e, in, pkt, sizeof pkt);
        require(len > 0 && len <= (int)sizeof pkt, "encode failed");
        require(mrtc_opus_decoder_decode(d, pkt, (size_t)len, pcm, FRAME) == FRAME,
                "own packet does not decode to 20 ms");
    }
    mrtc_opus_encoder_free(e);
    mrtc_opus_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned channels = 1 + (data[0] & 1);
    if (data[0] & 2)
        fuzz_encoder(channels, data + 1, size - 1);
    else
        fuzz_decoder(channels, data + 1, size - 1);
    return 0;
}
