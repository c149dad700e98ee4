/*
 * libFuzzer target for the SDP candidate-attribute codec (ice/candidate.c). Any input must
 * be either refused with MRTC_EINVAL and a reason, or parsed; a parsed candidate must
 * format, and the formatted line must parse again and format to the same text (formatting
 * is canonical: lowercase transport, canonical IPv6, known extensions only). Nothing may
 * allocate. Any breach aborts.
 */
#include "core/util/alloc.h"
#include "ice/candidate.h"
#include "meshrtc/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char line[MRTC_ICE_CANDIDATE_LINE_MAX + 64];
    char out1[4 * MRTC_ICE_CANDIDATE_LINE_MAX], out2[4 * MRTC_ICE_CANDIDATE_LINE_MAX];
    mrtc_ice_candidate c, c2;
    const char *why = NULL;
    long live = mrtc_alloc_live();

    if (size > sizeof line - 1)
        size = sizeof line - 1;
    memcpy(line, data, size);
    line[size] = '\0';

    int err = mrtc_ice_candidate_parse(&c, line, &why);
    if (err != 0) {
        if (err != MRTC_EINVAL || !why || !why[0])
            abort();
        goto out;
    }
    int n1 = mrtc_ice_candidate_format(&c, out1, sizeof out1);
    if (n1 <= 0 || (size_t)n1 != strlen(out1))
        abort();
    if (n1 > MRTC_ICE_CANDIDATE_LINE_MAX)
        goto out; /* the added "candidate:" prefix may push a line at the limit over it */
    if (mrtc_ice_candidate_parse(&c2, out1, &why) != 0) {
        fprintf(stderr, "formatted line refused (%s): %s\n", why, out1);
        abort();
    }
    int n2 = mrtc_ice_candidate_format(&c2, out2, sizeof out2);
    if (n2 != n1 || strcmp(out1, out2) != 0) {
        fprintf(stderr, "not canonical:\n%s\n%s\n", out1, out2);
        abort();
    }
    if (c2.priority != c.priority || c2.component != c.component || c2.type != c.type ||
        c2.transport != c.transport || c2.addr.port != c.addr.port)
        abort();
out:
    if (mrtc_alloc_live() != live)
        abort();
    return 0;
}
