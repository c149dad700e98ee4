/*
 * CRC32c for SCTP (RFC 9260 appendix A) with the SSE4.2 crc32 instruction where the CPU has
 * it (checked once at run time), else usrsctp's own table implementation. The value is
 * stored in the checksum field in host memory order, exactly as usrsctp stores its own
 * (checked against packets usrsctp checksummed itself in tests/unit/test_sctp.c).
 */
#include "sctp/crc32c.h"

#include <string.h>
#include <usrsctp.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_SSE42 1

__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *p, size_t n)
{
    uint64_t c = 0xffffffffu;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}
#endif

uint32_t mrtc_crc32c(const uint8_t *data, size_t len)
{
#ifdef HAVE_SSE42
    static int have = -1;
    if (have < 0)
        have = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    if (have)
        return crc32c_sse42(data, len);
#endif
    return usrsctp_crc32c((void *)data, len);
}

void mrtc_sctp_set_checksum(uint8_t *packet, size_t len)
{
    memset(packet + 8, 0, 4);
    uint32_t c = mrtc_crc32c(packet, len);
    memcpy(packet + 8, &c, 4);
}
