/*
 * The library's allocator. Every allocation goes through these functions so tests can
 * count live blocks (a test ends with mrtc_alloc_live() == 0) and inject failures.
 */
#ifndef MRTC_UTIL_ALLOC_H
#define MRTC_UTIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *mrtc_malloc(size_t n);
void *mrtc_calloc(size_t count, size_t n);
void *mrtc_realloc(void *p, size_t n); /* realloc(NULL, n) counts as a new block */
void mrtc_free(void *p);                /* accepts NULL */
char *mrtc_strdup(const char *s);       /* NULL in, NULL out */
char *mrtc_strndup(const char *s, size_t n);
void *mrtc_memdup(const void *p, size_t n);

/* Number of blocks allocated and not yet freed, across all threads. */
long mrtc_alloc_live(void);
/* Test hook: the n-th allocation from now (1 = the next) fails; 0 disables. */
void mrtc_alloc_fail_after(long n);

#endif
