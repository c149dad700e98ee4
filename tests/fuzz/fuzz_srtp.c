/* libFuzzer target for rtp/srtp.c: the unprotect side, which takes bytes from the network.
 * The first input byte picks one of four fixed receiving sessions' paths (bit 0: suite,
 * AES128_CM_SHA1_80 or AEAD_AES_128_GCM; bit 1: SRTP or SRTCP); the rest is the packet,
 * unprotected in place in a copy. The answer must be one of the documented codes, a
 * success must not grow the packet, and a failure must leave the length alone; anything
 * else aborts. The sessions live for the whole run (replay windows move as inputs pass),
 * keyed as the server of keying material bytes 0, 1, 2, ...; the seed corpus
 * (tests/fuzz/corpus/fuzz_srtp) holds packets protected by the matching client. */
#include "meshrtc/error.h"
#include "rtp/srtp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mrtc_srtp *sessions[2];

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_srtp: %s\n", what);
        abort();
    }
}

static mrtc_srtp *session(int which)
{
    static const mrtc_srtp_suite suites[2] = {MRTC_SRTP_SUITE_AES128_CM_SHA1_80,
                                              MRTC_SRTP_SUITE_AEAD_AES_128_GCM};
    if (!sessions[which]) {
        uint8_t km[60];
        for (size_t i = 0; i < sizeof km; i++)
            km[i] = (uint8_t)i;
        size_t n = mrtc_srtp_keying_material_len(suites[which]);
        require(mrtc_srtp_new(suites[which], km, n, false, &sessions[which]) == 0, "new");
    }
    return sessions[which];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    mrtc_srtp *s = session(data[0] & 1);
    int rtcp = (data[0] >> 1) & 1;
    size_t n = size - 1;
    uint8_t *buf = malloc(n ? n : 1);
    require(buf != NULL, "malloc");
    memcpy(buf, data + 1, n);
    size_t len = n;
    int err = rtcp ? mrtc_srtp_unprotect_rtcp(s, buf, &len) : mrtc_srtp_unprotect_rtp(s, buf, &len);
    require(err == 0 || err == MRTC_EAUTH || err == MRTC_EPROTO, "undocumented error code");
    if (err == 0)
        require(len < n, "unprotect grew or kept the packet");
    else
        require(len == n, "failure changed the length");
    free(buf);
    return 0;
}
