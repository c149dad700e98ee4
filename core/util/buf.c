/*
 * Bounds-checked byte reader/writer and the string builder (see buf.h).
 */
#include "core/util/buf.h"

#include "core/util/alloc.h"

#include <stdio.h>
#include <string.h>

static const uint8_t *take(mrtc_rd *r, size_t n)
{
    if (r->err || n > r->len - r->pos) {
        r->err = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t mrtc_rd_u8(mrtc_rd *r)
{
    const uint8_t *p = take(r, 1);
    return p ? p[0] : 0;
}

uint16_t mrtc_rd_u16(mrtc_rd *r)
{
    const uint8_t *p = take(r, 2);
    return p ? mrtc_load_u16(p) : 0;
}

uint32_t mrtc_rd_u24(mrtc_rd *r)
{
    const uint8_t *p = take(r, 3);
    return p ? (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] : 0;
}

uint32_t mrtc_rd_u32(mrtc_rd *r)
{
    const uint8_t *p = take(r, 4);
    return p ? mrtc_load_u32(p) : 0;
}

uint64_t mrtc_rd_u64(mrtc_rd *r)
{
    const uint8_t *p = take(r, 8);
    return p ? (uint64_t)mrtc_load_u32(p) << 32 | mrtc_load_u32(p + 4) : 0;
}

const uint8_t *mrtc_rd_bytes(mrtc_rd *r, size_t n)
{
    return take(r, n);
}

void mrtc_rd_skip(mrtc_rd *r, size_t n)
{
    (void)take(r, n);
}

uint8_t *mrtc_wr_reserve(mrtc_wr *w, size_t n)
{
    if (w->err || n > w->cap - w->len) {
        w->err = true;
        return NULL;
    }
    uint8_t *p = w->p + w->len;
    w->len += n;
    return p;
}

void mrtc_wr_u8(mrtc_wr *w, uint8_t v)
{
    uint8_t *p = mrtc_wr_reserve(w, 1);
    if (p)
        p[0] = v;
}

void mrtc_wr_u16(mrtc_wr *w, uint16_t v)
{
    uint8_t *p = mrtc_wr_reserve(w, 2);
    if (p)
        mrtc_store_u16(p, v);
}

void mrtc_wr_u24(mrtc_wr *w, uint32_t v)
{
    uint8_t *p = mrtc_wr_reserve(w, 3);
    if (p) {
        p[0] = (uint8_t)(v >> 16);
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)v;
    }
}

void mrtc_wr_u32(mrtc_wr *w, uint32_t v)
{
    uint8_t *p = mrtc_wr_reserve(w, 4);
    if (p)
        mrtc_store_u32(p, v);
}

void mrtc_wr_u64(mrtc_wr *w, uint64_t v)
{
    uint8_t *p = mrtc_wr_reserve(w, 8);
    if (p) {
        mrtc_store_u32(p, (uint32_t)(v >> 32));
        mrtc_store_u32(p + 4, (uint32_t)v);
    }
}

void mrtc_wr_bytes(mrtc_wr *w, const void *data, size_t n)
{
    uint8_t *p = mrtc_wr_reserve(w, n);
    if (p && n)
        memcpy(p, data, n);
}

void mrtc_wr_zeros(mrtc_wr *w, size_t n)
{
    uint8_t *p = mrtc_wr_reserve(w, n);
    if (p && n)
        memset(p, 0, n);
}

void mrtc_sb_init(mrtc_sb *sb)
{
    sb->s = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->err = false;
}

void mrtc_sb_free(mrtc_sb *sb)
{
    mrtc_free(sb->s);
    mrtc_sb_init(sb);
}

static bool grow(mrtc_sb *sb, size_t extra)
{
    if (sb->err)
        return false;
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < need)
        cap *= 2;
    char *s = mrtc_realloc(sb->s, cap);
    if (!s) {
        sb->err = true;
        return false;
    }
    sb->s = s;
    sb->cap = cap;
    return true;
}

void mrtc_sb_appendn(mrtc_sb *sb, const char *s, size_t n)
{
    if (!grow(sb, n))
        return;
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

void mrtc_sb_append(mrtc_sb *sb, const char *s)
{
    mrtc_sb_appendn(sb, s, strlen(s));
}

void mrtc_sb_vprintf(mrtc_sb *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        sb->err = true;
        return;
    }
    if (!grow(sb, (size_t)n))
        return;
    vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void mrtc_sb_printf(mrtc_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mrtc_sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

char *mrtc_sb_take(mrtc_sb *sb)
{
    if (sb->err) {
        mrtc_sb_free(sb);
        return NULL;
    }
    if (!sb->s && !grow(sb, 0)) {
        mrtc_sb_free(sb);
        return NULL;
    }
    if (sb->len == 0)
        sb->s[0] = '\0';
    char *s = sb->s;
    mrtc_sb_init(sb);
    return s;
}
