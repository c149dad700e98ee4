/*
 * Counting allocator for the programs in apps/: every block the apps code, jansson and
 * libwebsockets allocate goes through here once mem_install_hooks() has run, so a test can
 * check that a run ends with no live block (ASan is the second line of defence).
 */
#ifndef APPS_COMMON_MEM_H
#define APPS_COMMON_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n); /* NULL on failure; n == 0 allocates one byte */
void *mem_calloc(size_t count, size_t n);
void *mem_realloc(void *p, size_t n); /* realloc(NULL, n) counts as a new block */
void mem_free(void *p);               /* accepts NULL */
char *mem_strdup(const char *s);      /* NULL in, NULL out */
char *mem_strndup(const char *s, size_t n);
void *mem_memdup(const void *p, size_t n);

/* Blocks allocated through these functions and not yet freed, across all threads. */
long mem_live(void);

/* Routes jansson's and libwebsockets' allocations through the counter. Idempotent. Call it
 * before creating any json_t or lws context: a block allocated before the switch and freed
 * after it makes the count drift (harmless, but tests then cannot check it). */
void mem_install_hooks(void);

#endif
