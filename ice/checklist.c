/*
 * The ICE checklist (RFC 8445 section 6.1.2): pair priority (6.1.2.3), ordering, the pair
 * limit (6.1.2.5), initial and trickled pair states (6.1.2.6, RFC 8838 section 10), the
 * choice of the next ordinary check with foundation-based unfreezing (6.1.4.2), and
 * unfreezing on success (7.2.5.3.3). One data stream and one component only (BUNDLE and
 * rtcp-mux), so "all checklists" is this one.
 *
 * Deliberately not here: sending anything, timers, the valid list as a separate list (a
 * succeeded pair carries its valid-pair data), and candidate pruning by base (the agent
 * pairs host candidates only, so a pair's local base is unique per local candidate).
 */
#include "ice/checklist.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>

#define LOG_TAG "ice"

static const char *const state_names[] = {
#define MRTC_ICE_PAIR_NAME_(name, str) str,
    MRTC_ICE_PAIR_STATE_MAP(MRTC_ICE_PAIR_NAME_)
#undef MRTC_ICE_PAIR_NAME_
};

const char *mrtc_ice_pair_state_name(mrtc_ice_pair_state s)
{
    if ((unsigned)s >= sizeof state_names / sizeof state_names[0])
        return "?";
    return state_names[s];
}

uint64_t mrtc_ice_pair_priority(uint32_t g, uint32_t d)
{
    uint64_t mn = g < d ? g : d;
    uint64_t mx = g < d ? d : g;
    return (mn << 32) + 2 * mx + (g > d ? 1 : 0);
}

void mrtc_ice_checklist_init(mrtc_ice_checklist *cl, size_t max, const char *name)
{
    memset(cl, 0, sizeof *cl);
    cl->max = max ? max : 100;
    cl->next_id = 1;
    cl->name = name ? name : "";
}

void mrtc_ice_checklist_deinit(mrtc_ice_checklist *cl)
{
    mrtc_free(cl->pairs);
    cl->pairs = NULL;
    cl->n = cl->cap = 0;
}

void mrtc_ice_checklist_clear(mrtc_ice_checklist *cl)
{
    cl->n = 0;
}

static bool same_foundation(const mrtc_ice_pair *a, const mrtc_ice_pair *b)
{
    return strcmp(a->local_foundation, b->local_foundation) == 0 &&
           strcmp(a->remote_foundation, b->remote_foundation) == 0;
}

static bool legal(mrtc_ice_pair_state from, mrtc_ice_pair_state to)
{
    switch (from) {
    /* Frozen or Waiting to Succeeded: a late response to a transaction that a triggered
     * check cancelled (RFC 8445 section 7.3.1.4). */
    case MRTC_ICE_PAIR_FROZEN:
        return to == MRTC_ICE_PAIR_WAITING || to == MRTC_ICE_PAIR_IN_PROGRESS ||
               to == MRTC_ICE_PAIR_SUCCEEDED || to == MRTC_ICE_PAIR_FAILED;
    case MRTC_ICE_PAIR_WAITING:
        return to == MRTC_ICE_PAIR_FROZEN || to == MRTC_ICE_PAIR_IN_PROGRESS ||
               to == MRTC_ICE_PAIR_SUCCEEDED || to == MRTC_ICE_PAIR_FAILED;
    case MRTC_ICE_PAIR_IN_PROGRESS:
        /* back to Waiting when a role conflict makes the check be sent again */
        return to == MRTC_ICE_PAIR_SUCCEEDED || to == MRTC_ICE_PAIR_FAILED ||
               to == MRTC_ICE_PAIR_WAITING;
    case MRTC_ICE_PAIR_SUCCEEDED:
        return to == MRTC_ICE_PAIR_FAILED; /* its nomination check failed */
    case MRTC_ICE_PAIR_FAILED:
        return to == MRTC_ICE_PAIR_WAITING; /* a triggered check revives it */
    }
    return false;
}

int mrtc_ice_checklist_set_state(mrtc_ice_checklist *cl, mrtc_ice_pair *p, mrtc_ice_pair_state to)
{
    if (p->state == to)
        return 0;
    if (!legal(p->state, to)) {
        MRTC_WARN(LOG_TAG, "%s: pair %u: illegal transition %s -> %s refused", cl->name,
                  (unsigned)p->id, mrtc_ice_pair_state_name(p->state),
                  mrtc_ice_pair_state_name(to));
        return MRTC_ESTATE;
    }
    MRTC_DEBUG(LOG_TAG, "%s: pair %u: %s -> %s", cl->name, (unsigned)p->id,
               mrtc_ice_pair_state_name(p->state), mrtc_ice_pair_state_name(to));
    p->state = to;
    return 0;
}

/* Higher priority first; ties keep creation order, so the order is deterministic. */
static bool before(const mrtc_ice_pair *a, const mrtc_ice_pair *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    return a->id < b->id;
}

static void sort(mrtc_ice_checklist *cl)
{
    for (size_t i = 1; i < cl->n; i++) {
        mrtc_ice_pair tmp = cl->pairs[i];
        size_t j = i;
        while (j > 0 && before(&tmp, &cl->pairs[j - 1])) {
            cl->pairs[j] = cl->pairs[j - 1];
            j--;
        }
        cl->pairs[j] = tmp;
    }
}

static uint64_t prio_for_role(const mrtc_ice_pair *p, bool controlling)
{
    return controlling ? mrtc_ice_pair_priority(p->local_prio, p->remote_prio)
                       : mrtc_ice_pair_priority(p->remote_prio, p->local_prio);
}

void mrtc_ice_checklist_set_role(mrtc_ice_checklist *cl, bool controlling)
{
    for (size_t i = 0; i < cl->n; i++)
        cl->pairs[i].priority = prio_for_role(&cl->pairs[i], controlling);
    sort(cl);
}

mrtc_ice_pair *mrtc_ice_checklist_find(mrtc_ice_checklist *cl, int local, int remote)
{
    for (size_t i = 0; i < cl->n; i++)
        if (cl->pairs[i].local == local && cl->pairs[i].remote == remote)
            return &cl->pairs[i];
    return NULL;
}

mrtc_ice_pair *mrtc_ice_checklist_find_id(mrtc_ice_checklist *cl, uint32_t id)
{
    for (size_t i = 0; i < cl->n; i++)
        if (cl->pairs[i].id == id)
            return &cl->pairs[i];
    return NULL;
}

mrtc_ice_pair *mrtc_ice_checklist_find_tid(mrtc_ice_checklist *cl,
                                           const uint8_t tid[MRTC_STUN_TID_LEN], bool *old)
{
    for (size_t i = 0; i < cl->n; i++) {
        mrtc_ice_pair *p = &cl->pairs[i];
        if (p->tx.active && memcmp(p->tx.tid, tid, MRTC_STUN_TID_LEN) == 0) {
            *old = false;
            return p;
        }
        if (p->has_old_tid && memcmp(p->old_tid, tid, MRTC_STUN_TID_LEN) == 0) {
            *old = true;
            return p;
        }
    }
    return NULL;
}

static bool in_use(const mrtc_ice_pair *p)
{
    return p->state == MRTC_ICE_PAIR_IN_PROGRESS || p->state == MRTC_ICE_PAIR_SUCCEEDED ||
           p->tx.active;
}

/* Section 6.1.2.5: drop the lowest-priority pair that is not being checked and has not
 * succeeded, if it ranks below `prio`. */
static bool make_room(mrtc_ice_checklist *cl, uint64_t prio)
{
    for (size_t i = cl->n; i-- > 0;) {
        mrtc_ice_pair *p = &cl->pairs[i];
        if (p->priority >= prio)
            return false;
        if (in_use(p))
            continue;
        MRTC_DEBUG(LOG_TAG, "%s: pair %u dropped: checklist full", cl->name, (unsigned)p->id);
        memmove(p, p + 1, (cl->n - i - 1) * sizeof *p);
        cl->n--;
        return true;
    }
    return false;
}

mrtc_ice_pair *mrtc_ice_checklist_add(mrtc_ice_checklist *cl, bool controlling, int local,
                                      uint32_t local_prio, const char *local_foundation, int remote,
                                      uint32_t remote_prio, const char *remote_foundation,
                                      bool *added)
{
    mrtc_ice_pair np;
    *added = false;
    mrtc_ice_pair *existing = mrtc_ice_checklist_find(cl, local, remote);
    if (existing)
        return existing;

    memset(&np, 0, sizeof np);
    np.local = local;
    np.remote = remote;
    np.local_prio = local_prio;
    np.remote_prio = remote_prio;
    snprintf(np.local_foundation, sizeof np.local_foundation, "%s", local_foundation);
    snprintf(np.remote_foundation, sizeof np.remote_foundation, "%s", remote_foundation);
    np.priority = prio_for_role(&np, controlling);
    np.valid_local = -1;

    if (cl->n >= cl->max && !make_room(cl, np.priority)) {
        MRTC_DEBUG(LOG_TAG, "%s: checklist full (%zu pairs): new pair not added", cl->name, cl->n);
        return NULL;
    }
    if (cl->n == cl->cap) {
        size_t ncap = cl->cap ? cl->cap * 2 : 8;
        mrtc_ice_pair *np_arr = mrtc_realloc(cl->pairs, ncap * sizeof *np_arr);
        if (!np_arr)
            return NULL;
        cl->pairs = np_arr;
        cl->cap = ncap;
    }

    /* Initial state (6.1.2.6, applied incrementally as pairs trickle in). */
    np.state = MRTC_ICE_PAIR_WAITING;
    for (size_t i = 0; i < cl->n; i++) {
        mrtc_ice_pair *p = &cl->pairs[i];
        if (!same_foundation(p, &np))
            continue;
        if (p->state == MRTC_ICE_PAIR_IN_PROGRESS) {
            np.state = MRTC_ICE_PAIR_FROZEN;
        } else if (p->state == MRTC_ICE_PAIR_WAITING) {
            if (p->priority > np.priority || p->tx.active)
                np.state = MRTC_ICE_PAIR_FROZEN;
            else
                mrtc_ice_checklist_set_state(cl, p, MRTC_ICE_PAIR_FROZEN);
        }
    }
    np.id = cl->next_id++;
    cl->pairs[cl->n++] = np;
    sort(cl);
    *added = true;
    mrtc_ice_pair *p = mrtc_ice_checklist_find_id(cl, np.id);
    MRTC_DEBUG(LOG_TAG, "%s: pair %u added (%s) prio %llu", cl->name, (unsigned)np.id,
               mrtc_ice_pair_state_name(np.state), (unsigned long long)np.priority);
    return p;
}

static bool foundation_active(const mrtc_ice_checklist *cl, const mrtc_ice_pair *f)
{
    for (size_t i = 0; i < cl->n; i++) {
        const mrtc_ice_pair *p = &cl->pairs[i];
        if ((p->state == MRTC_ICE_PAIR_WAITING || p->state == MRTC_ICE_PAIR_IN_PROGRESS) &&
            same_foundation(p, f))
            return true;
    }
    return false;
}

bool mrtc_ice_checklist_has_ordinary(const mrtc_ice_checklist *cl)
{
    for (size_t i = 0; i < cl->n; i++) {
        const mrtc_ice_pair *p = &cl->pairs[i];
        if (p->state == MRTC_ICE_PAIR_WAITING && !p->tx.active)
            return true;
        if (p->state == MRTC_ICE_PAIR_FROZEN && !foundation_active(cl, p))
            return true;
    }
    return false;
}

static mrtc_ice_pair *first_waiting(mrtc_ice_checklist *cl)
{
    for (size_t i = 0; i < cl->n; i++)
        if (cl->pairs[i].state == MRTC_ICE_PAIR_WAITING && !cl->pairs[i].tx.active)
            return &cl->pairs[i];
    return NULL;
}

mrtc_ice_pair *mrtc_ice_checklist_next_ordinary(mrtc_ice_checklist *cl)
{
    mrtc_ice_pair *p = first_waiting(cl);
    if (p)
        return p;
    /* Sorted by priority, so the first Frozen pair met for a foundation is its best. */
    for (size_t i = 0; i < cl->n; i++) {
        mrtc_ice_pair *f = &cl->pairs[i];
        if (f->state == MRTC_ICE_PAIR_FROZEN && !foundation_active(cl, f))
            mrtc_ice_checklist_set_state(cl, f, MRTC_ICE_PAIR_WAITING);
    }
    return first_waiting(cl);
}

void mrtc_ice_checklist_unfreeze_foundation(mrtc_ice_checklist *cl, const mrtc_ice_pair *p)
{
    for (size_t i = 0; i < cl->n; i++) {
        mrtc_ice_pair *f = &cl->pairs[i];
        if (f != p && f->state == MRTC_ICE_PAIR_FROZEN && same_foundation(f, p))
            mrtc_ice_checklist_set_state(cl, f, MRTC_ICE_PAIR_WAITING);
    }
}

bool mrtc_ice_checklist_all_failed(const mrtc_ice_checklist *cl)
{
    if (cl->n == 0)
        return false;
    for (size_t i = 0; i < cl->n; i++)
        if (cl->pairs[i].state != MRTC_ICE_PAIR_FAILED)
            return false;
    return true;
}

size_t mrtc_ice_checklist_count(const mrtc_ice_checklist *cl, mrtc_ice_pair_state s)
{
    size_t n = 0;
    for (size_t i = 0; i < cl->n; i++)
        if (cl->pairs[i].state == s)
            n++;
    return n;
}
