/*
 * Reading a fuzz input as a script of operations: bytes past the end read as 0, so every
 * input is a complete script. Shared by the stateful fuzz targets (fuzz_dtls, fuzz_sctp).
 */
#ifndef MESHRTC_FUZZ_SCRIPT_H
#define MESHRTC_FUZZ_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static inline unsigned rd8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static inline unsigned rd16(reader *r)
{
    unsigned hi = rd8(r);
    return hi << 8 | rd8(r);
}

#endif
