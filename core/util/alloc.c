/*
 * Counting allocator over malloc. The live-block counter is atomic so the PortAudio and
 * codec threads may allocate too. Failure injection is for tests that check every error
 * path leaves objects as they were.
 */
#include "core/util/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long live;
static atomic_long fail_countdown;

static int should_fail(void)
{
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (n <= 0)
        return 0;
    return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *mrtc_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

void *mrtc_calloc(size_t count, size_t n)
{
    if (should_fail())
        return NULL;
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

void *mrtc_realloc(void *p, size_t n)
{
    if (!p)
        return mrtc_malloc(n);
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void mrtc_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(p);
}

char *mrtc_strdup(const char *s)
{
    return s ? mrtc_memdup(s, strlen(s) + 1) : NULL;
}

char *mrtc_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = mrtc_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

void *mrtc_memdup(const void *p, size_t n)
{
    void *d = mrtc_malloc(n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

long mrtc_alloc_live(void)
{
    return atomic_load(&live);
}

void mrtc_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}
