/*
 * The injected random source. Protocol cores never call rand() or RAND_bytes() themselves:
 * their owner hands them an mrtc_rand, which is OpenSSL's RAND_bytes in production and a
 * seeded generator (xoshiro256**) in tests, so transaction ids, ufrags, SSRCs and
 * tie-breakers are reproducible from a seed.
 */
#ifndef MRTC_UTIL_RAND_H
#define MRTC_UTIL_RAND_H

#include <stddef.h>
#include <stdint.h>

typedef struct mrtc_rand {
    void (*fill)(void *user, uint8_t *buf, size_t len);
    void *user;
} mrtc_rand;

/* The production source (OpenSSL RAND_bytes; aborts if the CSPRNG fails, as it cannot
 * recover). The returned object is static. */
const mrtc_rand *mrtc_rand_system(void);

void mrtc_rand_bytes(const mrtc_rand *r, uint8_t *buf, size_t len);
uint32_t mrtc_rand_u32(const mrtc_rand *r);
uint64_t mrtc_rand_u64(const mrtc_rand *r);
/* A uniformly distributed value in [0, bound); bound > 0. */
uint32_t mrtc_rand_below(const mrtc_rand *r, uint32_t bound);
/* Fills out[0..len) with characters of the ICE alphabet [A-Za-z0-9+/] and NUL-terminates
 * out[len]. */
void mrtc_rand_ice_chars(const mrtc_rand *r, char *out, size_t len);

/* A deterministic generator for tests and simulations. */
typedef struct mrtc_rand_seeded {
    uint64_t s[4];
    mrtc_rand rand; /* points at this object; pass &x.rand */
} mrtc_rand_seeded;

void mrtc_rand_seeded_init(mrtc_rand_seeded *x, uint64_t seed);

#endif
