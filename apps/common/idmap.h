/*
 * A map from 64-bit ids to pointers (connection ids to connection state). Any 64-bit value
 * is a key; values are borrowed pointers.
 */
#ifndef APPS_COMMON_IDMAP_H
#define APPS_COMMON_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct idmap_entry idmap_entry;

typedef struct idmap {
    idmap_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
} idmap;

void idmap_init(idmap *m);
void idmap_deinit(idmap *m); /* frees the map's memory, not the values */

/* Inserts or replaces. Returns 0, or -1 when out of memory (the map is unchanged). */
int idmap_put(idmap *m, uint64_t key, void *value);
void *idmap_get(const idmap *m, uint64_t key); /* NULL when absent */
void *idmap_remove(idmap *m, uint64_t key);    /* the removed value, or NULL */

/* Calls fn for every entry, in no particular order. fn must not change the map. */
void idmap_foreach(const idmap *m, void (*fn)(uint64_t key, void *value, void *arg), void *arg);

#endif
