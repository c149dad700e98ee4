/*
 * Counting allocator over malloc for apps/ (see mem.h). The counter is atomic because the
 * call client may serialise JSON off the loop thread. It does not inject failures: the
 * library's allocator (core/util/alloc.c) is for the library, which apps/ may not include.
 */
#include "apps/common/mem.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long live;
static atomic_int hooks_installed;

void *mem_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

void *mem_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

void *mem_realloc(void *p, size_t n)
{
    if (!p)
        return mem_alloc(n);
    return realloc(p, n ? n : 1);
}

void mem_free(void *p)
{
    if (!p)
        return;
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(p);
}

char *mem_strdup(const char *s)
{
    return s ? mem_strndup(s, strlen(s)) : NULL;
}

char *mem_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = mem_alloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

void *mem_memdup(const void *p, size_t n)
{
    void *d = mem_alloc(n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

long mem_live(void)
{
    return atomic_load_explicit(&live, memory_order_relaxed);
}

/* libwebsockets' allocator has realloc semantics; size 0 frees. */
static void *lws_realloc_hook(void *p, size_t n, const char *reason)
{
    (void)reason;
    if (n == 0) {
        mem_free(p);
        return NULL;
    }
    return mem_realloc(p, n);
}

void mem_install_hooks(void)
{
    if (atomic_exchange(&hooks_installed, 1))
        return;
    json_set_alloc_funcs(mem_alloc, mem_free);
    lws_set_allocator(lws_realloc_hook);
}
