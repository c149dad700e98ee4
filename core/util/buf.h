/*
 * Byte readers and writers for wire formats (network byte order), and a growable string
 * builder for text formats such as SDP and JSON.
 *
 * The reader never reads past its end: a short read sets `err` and returns zeros, so a
 * parser can read a whole header and check once. The writer likewise sets `err` when the
 * caller's buffer is too small and writes nothing further.
 */
#ifndef MRTC_UTIL_BUF_H
#define MRTC_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mrtc_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool err;
} mrtc_rd;

static inline void mrtc_rd_init(mrtc_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = false;
}
static inline size_t mrtc_rd_left(const mrtc_rd *r)
{
    return r->len - r->pos;
}
uint8_t mrtc_rd_u8(mrtc_rd *r);
uint16_t mrtc_rd_u16(mrtc_rd *r);
uint32_t mrtc_rd_u24(mrtc_rd *r);
uint32_t mrtc_rd_u32(mrtc_rd *r);
uint64_t mrtc_rd_u64(mrtc_rd *r);
/* Returns a pointer to the next n bytes and advances, or NULL (and sets err). */
const uint8_t *mrtc_rd_bytes(mrtc_rd *r, size_t n);
void mrtc_rd_skip(mrtc_rd *r, size_t n);

typedef struct mrtc_wr {
    uint8_t *p;
    size_t cap;
    size_t len;
    bool err;
} mrtc_wr;

static inline void mrtc_wr_init(mrtc_wr *w, uint8_t *p, size_t cap)
{
    w->p = p;
    w->cap = cap;
    w->len = 0;
    w->err = false;
}
void mrtc_wr_u8(mrtc_wr *w, uint8_t v);
void mrtc_wr_u16(mrtc_wr *w, uint16_t v);
void mrtc_wr_u24(mrtc_wr *w, uint32_t v);
void mrtc_wr_u32(mrtc_wr *w, uint32_t v);
void mrtc_wr_u64(mrtc_wr *w, uint64_t v);
void mrtc_wr_bytes(mrtc_wr *w, const void *data, size_t n);
void mrtc_wr_zeros(mrtc_wr *w, size_t n);
/* Reserves n bytes and returns a pointer to them to fill in later, or NULL (err set). */
uint8_t *mrtc_wr_reserve(mrtc_wr *w, size_t n);

static inline uint16_t mrtc_load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t mrtc_load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void mrtc_store_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void mrtc_store_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Growable NUL-terminated string. A failed allocation sets `err`; later appends are no-ops,
 * and mrtc_sb_take() then returns NULL. */
typedef struct mrtc_sb {
    char *s;
    size_t len;
    size_t cap;
    bool err;
} mrtc_sb;

void mrtc_sb_init(mrtc_sb *sb);
void mrtc_sb_free(mrtc_sb *sb);
void mrtc_sb_append(mrtc_sb *sb, const char *s);
void mrtc_sb_appendn(mrtc_sb *sb, const char *s, size_t n);
void mrtc_sb_printf(mrtc_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mrtc_sb_vprintf(mrtc_sb *sb, const char *fmt, va_list ap);
/* Hands the string to the caller (free with mrtc_free) and resets sb; NULL after an
 * allocation failure (the partial string is freed). */
char *mrtc_sb_take(mrtc_sb *sb);

#endif
