/*
 * Chained hash map from uint64_t to pointers, doubled when the load passes 1. It does not
 * shrink and is not thread-safe: each map belongs to one loop.
 */
#include "apps/common/idmap.h"

#include "apps/common/mem.h"

struct idmap_entry {
    idmap_entry *next;
    uint64_t key;
    void *value;
};

static size_t slot(uint64_t key, size_t nbuckets)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)(key & (nbuckets - 1));
}

void idmap_init(idmap *m)
{
    m->buckets = NULL;
    m->nbuckets = 0;
    m->count = 0;
}

void idmap_deinit(idmap *m)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        idmap_entry *e = m->buckets[i];
        while (e) {
            idmap_entry *next = e->next;
            mem_free(e);
            e = next;
        }
    }
    mem_free(m->buckets);
    idmap_init(m);
}

static int grow(idmap *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    idmap_entry **b = mem_calloc(n, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < m->nbuckets; i++) {
        idmap_entry *e = m->buckets[i];
        while (e) {
            idmap_entry *next = e->next;
            size_t s = slot(e->key, n);
            e->next = b[s];
            b[s] = e;
            e = next;
        }
    }
    mem_free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 0;
}

static idmap_entry *find(const idmap *m, uint64_t key)
{
    if (!m->nbuckets)
        return NULL;
    for (idmap_entry *e = m->buckets[slot(key, m->nbuckets)]; e; e = e->next)
        if (e->key == key)
            return e;
    return NULL;
}

int idmap_put(idmap *m, uint64_t key, void *value)
{
    idmap_entry *e = find(m, key);
    if (e) {
        e->value = value;
        return 0;
    }
    if (m->count >= m->nbuckets && grow(m) != 0)
        return -1;
    e = mem_alloc(sizeof(*e));
    if (!e)
        return -1;
    size_t s = slot(key, m->nbuckets);
    e->key = key;
    e->value = value;
    e->next = m->buckets[s];
    m->buckets[s] = e;
    m->count++;
    return 0;
}

void *idmap_get(const idmap *m, uint64_t key)
{
    idmap_entry *e = find(m, key);
    return e ? e->value : NULL;
}

void *idmap_remove(idmap *m, uint64_t key)
{
    if (!m->nbuckets)
        return NULL;
    idmap_entry **pp = &m->buckets[slot(key, m->nbuckets)];
    for (; *pp; pp = &(*pp)->next) {
        idmap_entry *e = *pp;
        if (e->key == key) {
            void *v = e->value;
            *pp = e->next;
            mem_free(e);
            m->count--;
            return v;
        }
    }
    return NULL;
}

void idmap_foreach(const idmap *m, void (*fn)(uint64_t key, void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (idmap_entry *e = m->buckets[i]; e; e = e->next)
            fn(e->key, e->value, arg);
}
