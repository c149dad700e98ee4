/*
 * Objects that use a runtime from their own threads (the video encode worker) register a
 * close hook: mrtc_runtime_close() calls it, on the loop thread, before the runtime can be
 * freed, so the object stops its thread and never posts to a runtime that is gone.
 * Internal to core/.
 */
#ifndef MRTC_CORE_RUNTIME_HOOKS_H
#define MRTC_CORE_RUNTIME_HOOKS_H

#include "meshrtc/runtime.h"

typedef struct mrtc_runtime_hook {
    void (*fn)(void *arg); /* called once, from mrtc_runtime_close(), loop thread */
    void *arg;
    struct mrtc_runtime_hook *prev, *next;
    mrtc_runtime *rt; /* set while registered */
} mrtc_runtime_hook;

/* Registers h (owned by the caller, valid until removed or called). Loop thread. Returns
 * 0, or MRTC_ECLOSED when the runtime is closing (h is not registered). */
int mrtc_runtime_hook_add(mrtc_runtime *rt, mrtc_runtime_hook *h);
/* Unregisters h if it is still registered. Loop thread. */
void mrtc_runtime_hook_remove(mrtc_runtime_hook *h);

#endif
