/*
 * libFuzzer target for the SDP parser and writer (core/sdp*.c). Whatever parses must be
 * written, parse again, and write to the same text; a deep copy must write the same text
 * too; nothing may leak. Any breach aborts.
 *
 * The canonical text may exceed the parser's limits when the input sits at them (CRLF for
 * LF, an added t=0 0 line); such inputs skip the second parse.
 */
#include "core/sdp.h"
#include "core/util/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long live = mrtc_alloc_live();
    mrtc_sdp *a = NULL;
    if (mrtc_sdp_parse((const char *)data, size, &a, NULL) != 0) {
        if (mrtc_alloc_live() != live)
            abort();
        return 0;
    }
    char *w1 = mrtc_sdp_write(a);
    if (!w1)
        abort();
    size_t len = strlen(w1);
    if (len <= MRTC_SDP_MAX_LEN && count_lines(w1) <= MRTC_SDP_MAX_LINES) {
        mrtc_sdp *b = NULL;
        mrtc_sdp_error err;
        if (mrtc_sdp_parse(w1, len, &b, &err) != 0) {
            fprintf(stderr, "written text does not parse: %s\n%s", err.message, w1);
            abort();
        }
        char *w2 = mrtc_sdp_write(b);
        if (!w2 || strcmp(w1, w2) != 0) {
            fprintf(stderr, "second write differs:\n%s\n----\n%s", w1, w2 ? w2 : "(null)");
            abort();
        }
        mrtc_free(w2);
        mrtc_sdp_free(b);
    }
    mrtc_sdp *c = mrtc_sdp_copy(a);
    mrtc_sdp_free(a);
    char *w3 = c ? mrtc_sdp_write(c) : NULL;
    if (!w3 || strcmp(w1, w3) != 0)
        abort();
    mrtc_free(w3);
    mrtc_sdp_free(c);
    mrtc_free(w1);
    if (mrtc_alloc_live() != live)
        abort();
    return 0;
}
