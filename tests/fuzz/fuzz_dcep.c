/* libFuzzer target for sctp/dcep.c. Parses the input as a DCEP message; when it parses,
 * the strings must lie inside the input, the channel type must be one RFC 8832 defines,
 * and re-encoding the parsed fields must give back exactly the input bytes (the format
 * has one encoding per message), which must parse to the same fields again. Any mismatch
 * aborts, so libFuzzer reports it. */
#include "meshrtc/error.h"
#include "sctp/dcep.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_dcep: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[MRTC_DCEP_OPEN_HEADER_LEN + 2u * 65535u];
    mrtc_dcep_msg m, r;

    int err = mrtc_dcep_parse(data, size, &m);
    require(err == 0 || err == MRTC_EPROTO, "parse returned an undocumented code");
    if (err)
        return 0;

    if (m.type == MRTC_DCEP_MSG_ACK) {
        require(size == 1 && data[0] == MRTC_DCEP_MSG_ACK, "ACK of the wrong length parsed");
        require(mrtc_dcep_encode_ack(out, sizeof out) == 1 && out[0] == data[0],
                "ACK does not re-encode");
        return 0;
    }
    require(m.type == MRTC_DCEP_MSG_OPEN, "unknown message type parsed");
    const mrtc_dcep_open *o = &m.open;
    int ctype = mrtc_dcep_channel_type(o);
    require(ctype >= 0 && (ctype & 0x7F) <= 2 && ctype == data[1], "channel type changed");
    require(mrtc_dcep_open_len(o) == size, "lengths do not add up to the input");
    require(o->label_len == 0 || (o->label >= data && o->label + o->label_len <= data + size),
            "label out of bounds");
    require(o->protocol_len == 0 ||
                (o->protocol >= data && o->protocol + o->protocol_len <= data + size),
            "protocol out of bounds");

    int n = mrtc_dcep_encode_open(o, out, sizeof out);
    require(n >= 0 && (size_t)n == size, "re-encoded length differs");
    require(memcmp(out, data, size) == 0, "re-encoded bytes differ");
    /* One byte short must fail cleanly. */
    require(mrtc_dcep_encode_open(o, out, size - 1) == MRTC_ENOBUFS, "short buffer accepted");

    require(mrtc_dcep_parse(out, size, &r) == 0, "re-encoded message does not parse");
    require(r.type == m.type && r.open.ordered == o->ordered &&
                r.open.reliability == o->reliability && r.open.priority == o->priority &&
                r.open.reliability_param == o->reliability_param &&
                r.open.label_len == o->label_len && r.open.protocol_len == o->protocol_len,
            "fields changed in the round trip");
    /* Every truncation is refused. */
    for (size_t i = size > 16 ? size - 16 : 0; i < size; i++)
        require(mrtc_dcep_parse(data, i, &r) == MRTC_EPROTO, "truncated OPEN parsed");
    return 0;
}
