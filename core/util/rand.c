/*
 * Random sources: OpenSSL's CSPRNG for production, xoshiro256** (seeded with splitmix64)
 * for deterministic tests. The seeded generator is not cryptographic and is never used
 * outside tests and simulations.
 */
#include "core/util/rand.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

static void system_fill(void *user, uint8_t *buf, size_t len)
{
    (void)user;
    while (len > 0) {
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        if (RAND_bytes(buf, chunk) != 1) {
            fprintf(stderr, "meshrtc: RAND_bytes failed; cannot continue without randomness\n");
            abort();
        }
        buf += chunk;
        len -= (size_t)chunk;
    }
}

const mrtc_rand *mrtc_rand_system(void)
{
    static const mrtc_rand sys = {.fill = system_fill, .user = NULL};
    return &sys;
}

void mrtc_rand_bytes(const mrtc_rand *r, uint8_t *buf, size_t len)
{
    r->fill(r->user, buf, len);
}

uint32_t mrtc_rand_u32(const mrtc_rand *r)
{
    uint8_t b[4];
    r->fill(r->user, b, sizeof b);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t mrtc_rand_u64(const mrtc_rand *r)
{
    /* Two statements: the order of the draws must not depend on the compiler. */
    uint64_t hi = mrtc_rand_u32(r);
    uint64_t lo = mrtc_rand_u32(r);
    return hi << 32 | lo;
}

uint32_t mrtc_rand_below(const mrtc_rand *r, uint32_t bound)
{
    /* Rejection sampling avoids modulo bias. */
    uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
    uint32_t v;
    do {
        v = mrtc_rand_u32(r);
    } while (v >= limit);
    return v % bound;
}

void mrtc_rand_ice_chars(const mrtc_rand *r, char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[mrtc_rand_below(r, 64)];
    out[len] = '\0';
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void seeded_fill(void *user, uint8_t *buf, size_t len)
{
    mrtc_rand_seeded *x = user;
    while (len > 0) {
        uint64_t v = xoshiro_next(x->s);
        for (int i = 0; i < 8 && len > 0; i++, len--) {
            *buf++ = (uint8_t)v;
            v >>= 8;
        }
    }
}

void mrtc_rand_seeded_init(mrtc_rand_seeded *x, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        /* splitmix64 */
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        x->s[i] = z ^ (z >> 31);
    }
    x->rand.fill = seeded_fill;
    x->rand.user = x;
}
