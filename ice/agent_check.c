/*
 * ICE connectivity checks (RFC 8445 sections 6.1.4, 7 and 8.1): forming pairs as candidates
 * arrive (6.1.2.2, same address family; IPv6 link-local only with link-local, loopback only
 * with loopback), ordinary checks paced by Ta with the triggered-check queue first
 * (6.1.4.1/6.1.4.2), Binding requests with USERNAME, PRIORITY, ICE-CONTROLLING/CONTROLLED,
 * USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT (7.2.4), retransmissions with a doubling
 * RTO, answering requests (7.3: 400, 401, 420 and 487 errors, XOR-MAPPED-ADDRESS of the
 * source, peer-reflexive remote candidates 7.3.1.3, triggered checks 7.3.1.4, nomination
 * 7.3.1.5), processing responses (7.2.5: role conflict 7.2.5.1, the symmetric address
 * check 7.2.5.2.1, local peer-reflexive candidates 7.2.5.3.1, unfreezing 7.2.5.3.3),
 * regular nomination by the controlling agent (8.1.1), and the consent requests of RFC 7675.
 *
 * Not done: aggressive nomination and renomination, checks over relays.
 */
#include "ice/agent_int.h"

#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>

#define MSG_BUF 1024

/* ---- lookups ---- */

int ice_find_local_base(const mrtc_ice_agent *a, const mrtc_addr *base)
{
    for (size_t i = 0; i < a->n_locals; i++)
        if (a->locals[i].cand.type == MRTC_ICE_CAND_HOST && mrtc_addr_eq(&a->locals[i].base, base))
            return (int)i;
    return -1;
}

int ice_find_local_addr(const mrtc_ice_agent *a, const mrtc_addr *addr, const mrtc_addr *base)
{
    for (size_t i = 0; i < a->n_locals; i++)
        if (mrtc_addr_eq(&a->locals[i].cand.addr, addr) && mrtc_addr_eq(&a->locals[i].base, base))
            return (int)i;
    return -1;
}

static uint32_t prflx_priority(const mrtc_ice_agent *a, int host)
{
    uint16_t lp = (uint16_t)((a->locals[host].cand.priority >> 8) & 0xffff);
    return mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_PRFLX, lp, 1);
}

/* ---- pairing ---- */

static bool pairable(const ice_local *l, const ice_remote *r)
{
    if (l->cand.type != MRTC_ICE_CAND_HOST || r->dropped || r->cand.addr.family == MRTC_AF_NONE)
        return false;
    if (l->base.family != r->cand.addr.family)
        return false;
    if (l->base.family == MRTC_AF_INET6 &&
        mrtc_addr_is_link_local(&l->base) != mrtc_addr_is_link_local(&r->cand.addr))
        return false;
    return mrtc_addr_is_loopback(&l->base) == mrtc_addr_is_loopback(&r->cand.addr);
}

static mrtc_ice_pair *add_pair(mrtc_ice_agent *a, int li, int ri)
{
    char names[2 * MRTC_ADDR_STRLEN + 8];
    bool added;
    const ice_local *l = &a->locals[li];
    const ice_remote *r = &a->remotes[ri];
    mrtc_ice_pair *p =
        mrtc_ice_checklist_add(&a->cl, a->controlling, li, l->cand.priority, l->cand.foundation, ri,
                               r->cand.priority, r->cand.foundation, &added);
    if (p && added) {
        ice_pair_names(a, p, names, sizeof names);
        MRTC_DEBUG(ICE_LOG_TAG, "%s: pair %u is %s", a->name, (unsigned)p->id, names);
    }
    return p;
}

void ice_pair_with_remote(mrtc_ice_agent *a, int ri)
{
    if (a->checklist_done)
        return;
    for (size_t i = 0; i < a->n_locals; i++)
        if (pairable(&a->locals[i], &a->remotes[ri]))
            add_pair(a, (int)i, ri);
}

void ice_pair_with_local(mrtc_ice_agent *a, int li)
{
    if (a->checklist_done)
        return;
    for (size_t i = 0; i < a->n_remotes; i++)
        if (a->remotes[i].cand.type != MRTC_ICE_CAND_PRFLX &&
            pairable(&a->locals[li], &a->remotes[i]))
            add_pair(a, li, (int)i);
}

void ice_enqueue_triggered(mrtc_ice_agent *a, mrtc_ice_pair *p)
{
    if (p->state == MRTC_ICE_PAIR_SUCCEEDED)
        return;
    if (p->state == MRTC_ICE_PAIR_IN_PROGRESS && p->tx.active) {
        /* Section 7.3.1.4: cancel the transaction (a late response to it still counts)
         * and check again as soon as pacing allows. */
        p->has_old_tid = true;
        p->old_use_candidate = p->tx.use_candidate;
        memcpy(p->old_tid, p->tx.tid, MRTC_STUN_TID_LEN);
        p->tx.active = false;
    }
    if (p->state != MRTC_ICE_PAIR_WAITING)
        mrtc_ice_checklist_set_state(&a->cl, p, MRTC_ICE_PAIR_WAITING);
    for (size_t i = 0; i < a->n_triggered; i++)
        if (a->triggered[i] == p->id)
            return;
    if (a->n_triggered < sizeof a->triggered / sizeof a->triggered[0])
        a->triggered[a->n_triggered++] = p->id;
}

/* ---- sending ---- */

static int build_request(uint8_t *buf, size_t cap, const uint8_t tid[MRTC_STUN_TID_LEN],
                         const char *rufrag, const char *lufrag, const char *rpwd,
                         uint32_t priority, bool controlling, uint64_t tiebreaker,
                         bool use_candidate)
{
    char user[MRTC_ICE_UFRAG_MAX * 2 + 2];
    mrtc_stun_writer w;
    int n = snprintf(user, sizeof user, "%s:%s", rufrag, lufrag);
    mrtc_stun_writer_init(&w, buf, cap, MRTC_STUN_BINDING, MRTC_STUN_REQUEST, tid);
    mrtc_stun_add_attr(&w, MRTC_STUN_ATTR_USERNAME, user, (size_t)n);
    mrtc_stun_add_u32(&w, MRTC_STUN_ATTR_PRIORITY, priority);
    mrtc_stun_add_u64(&w,
                      controlling ? MRTC_STUN_ATTR_ICE_CONTROLLING : MRTC_STUN_ATTR_ICE_CONTROLLED,
                      tiebreaker);
    if (use_candidate)
        mrtc_stun_add_flag(&w, MRTC_STUN_ATTR_USE_CANDIDATE);
    mrtc_stun_add_integrity(&w, (const uint8_t *)rpwd, strlen(rpwd));
    mrtc_stun_add_fingerprint(&w);
    return mrtc_stun_writer_finish(&w);
}

static void transmit_check(mrtc_ice_agent *a, mrtc_time now, mrtc_ice_pair *p)
{
    uint8_t buf[MSG_BUF];
    int n = build_request(buf, sizeof buf, p->tx.tid, a->rufrag, a->lufrag, a->rpwd,
                          prflx_priority(a, p->local), p->tx.controlling, a->tiebreaker,
                          p->tx.use_candidate);
    p->tx.sends++;
    p->tx.next = now + p->tx.rto;
    if (n <= 0) {
        MRTC_ERROR(ICE_LOG_TAG, "%s: cannot encode a check: %d", a->name, n);
        return;
    }
    ice_send(a, &a->locals[p->local].base, &a->remotes[p->remote].cand.addr, buf, (size_t)n);
    a->stats.requests_sent++;
}

static void start_check(mrtc_ice_agent *a, mrtc_time now, mrtc_ice_pair *p, bool use_candidate)
{
    char names[2 * MRTC_ADDR_STRLEN + 8];
    if (p->state == MRTC_ICE_PAIR_WAITING || p->state == MRTC_ICE_PAIR_FROZEN)
        mrtc_ice_checklist_set_state(&a->cl, p, MRTC_ICE_PAIR_IN_PROGRESS);
    if (p->tx.active) {
        p->has_old_tid = true;
        p->old_use_candidate = p->tx.use_candidate;
        memcpy(p->old_tid, p->tx.tid, MRTC_STUN_TID_LEN);
    }
    memset(&p->tx, 0, sizeof p->tx);
    p->tx.active = true;
    p->tx.controlling = a->controlling;
    p->tx.use_candidate = use_candidate;
    p->tx.rto = a->cfg.check_rto;
    p->tx.started = now;
    ice_random_tid(a, p->tx.tid);
    ice_pair_names(a, p, names, sizeof names);
    MRTC_DEBUG(ICE_LOG_TAG, "%s: %s pair %u %s", a->name, use_candidate ? "nominate" : "check",
               (unsigned)p->id, names);
    transmit_check(a, now, p);
    a->last_check = now;
    a->any_check = true;
    a->checks_started = true;
}

void ice_send_consent(mrtc_ice_agent *a, mrtc_time now)
{
    uint8_t buf[MSG_BUF];
    uint8_t *tid = a->sel.consent_tid[a->sel.consent_n % ICE_CONSENT_TIDS];
    int host = ice_find_local_base(a, &a->sel.base);
    uint32_t prio = host >= 0 ? prflx_priority(a, host) : a->sel.lcand.priority;
    ice_random_tid(a, tid);
    a->sel.consent_n++;
    int n = build_request(buf, sizeof buf, tid, a->sel.rufrag, a->sel.lufrag, a->sel.rpwd, prio,
                          a->controlling, a->tiebreaker, false);
    if (n <= 0)
        return;
    MRTC_TRACE(ICE_LOG_TAG, "%s: consent request", a->name);
    ice_send(a, &a->sel.base, &a->sel.remote, buf, (size_t)n);
    a->stats.requests_sent++;
    a->stats.consent_requests_sent++;
}

static void respond(mrtc_ice_agent *a, const mrtc_addr *local, const mrtc_addr *remote,
                    const mrtc_stun_msg *req, int code, const char *reason, const char *key,
                    const uint16_t *unknown, int n_unknown)
{
    uint8_t buf[MSG_BUF];
    mrtc_stun_writer w;
    mrtc_stun_writer_init(&w, buf, sizeof buf, MRTC_STUN_BINDING,
                          code ? MRTC_STUN_ERROR : MRTC_STUN_SUCCESS, req->tid);
    if (code == 0) {
        mrtc_stun_add_xor_addr(&w, MRTC_STUN_ATTR_XOR_MAPPED_ADDRESS, remote);
    } else {
        mrtc_stun_add_error(&w, code, reason);
        if (n_unknown > 0)
            mrtc_stun_add_unknown_attrs(&w, unknown, n_unknown);
    }
    if (key)
        mrtc_stun_add_integrity(&w, (const uint8_t *)key, strlen(key));
    mrtc_stun_add_fingerprint(&w);
    int n = mrtc_stun_writer_finish(&w);
    if (n <= 0) {
        MRTC_ERROR(ICE_LOG_TAG, "%s: cannot encode a response: %d", a->name, n);
        return;
    }
    if (code)
        MRTC_DEBUG(ICE_LOG_TAG, "%s: answering a Binding request with %d %s", a->name, code,
                   reason);
    ice_send(a, local, remote, buf, (size_t)n);
    a->stats.responses_sent++;
}

/* ---- check outcomes ---- */

static void fail_pair(mrtc_ice_agent *a, mrtc_ice_pair *p, const char *why)
{
    MRTC_DEBUG(ICE_LOG_TAG, "%s: pair %u failed: %s", a->name, (unsigned)p->id, why);
    p->tx.active = false;
    p->nominate_on_success = false;
    if (a->nominating == p->id)
        a->nominating = 0;
    mrtc_ice_checklist_set_state(&a->cl, p, MRTC_ICE_PAIR_FAILED);
}

/* Section 8.1.2 / 8.3: once a pair is nominated and selected, no more checks. */
static void finish_checks(mrtc_ice_agent *a)
{
    a->checklist_done = true;
    a->n_triggered = 0;
    for (size_t i = 0; i < a->cl.n; i++)
        if (a->cl.pairs[i].id != a->sel.pair_id)
            a->cl.pairs[i].tx.active = false;
}

/* The controlled agent follows the latest nomination (what browsers expect when their
 * controlling agent switches pairs; with regular nomination there is only one). */
static void controlled_select(mrtc_ice_agent *a, mrtc_time now, mrtc_ice_pair *p)
{
    ice_select(a, now, p);
    if (!a->checklist_done)
        finish_checks(a);
}

static const mrtc_ice_pair *best_valid(const mrtc_ice_checklist *cl)
{
    const mrtc_ice_pair *best = NULL;
    for (size_t i = 0; i < cl->n; i++) {
        const mrtc_ice_pair *p = &cl->pairs[i];
        if (p->state == MRTC_ICE_PAIR_SUCCEEDED &&
            (!best || p->valid_priority > best->valid_priority))
            best = p;
    }
    return best;
}

static bool pending_above(const mrtc_ice_checklist *cl, const mrtc_ice_pair *best)
{
    for (size_t i = 0; i < cl->n; i++) {
        const mrtc_ice_pair *p = &cl->pairs[i];
        if (p->priority <= best->priority)
            break; /* sorted */
        if (p->state == MRTC_ICE_PAIR_FROZEN || p->state == MRTC_ICE_PAIR_WAITING ||
            p->state == MRTC_ICE_PAIR_IN_PROGRESS)
            return true;
    }
    return false;
}

void ice_run_nomination(mrtc_ice_agent *a, mrtc_time now)
{
    if (!a->controlling || a->checklist_done || a->nominating || !a->have_remote_creds)
        return;
    const mrtc_ice_pair *best = best_valid(&a->cl);
    if (!best)
        return;
    if (pending_above(&a->cl, best) && now < a->first_valid + a->cfg.nomination_delay)
        return;
    mrtc_ice_pair *p = mrtc_ice_checklist_find_id(&a->cl, best->id);
    a->nominating = p->id;
    start_check(a, now, p, true);
}

void ice_run_retransmits(mrtc_ice_agent *a, mrtc_time now)
{
    for (size_t i = 0; i < a->cl.n; i++) {
        mrtc_ice_pair *p = &a->cl.pairs[i];
        if (!p->tx.active || now < p->tx.next)
            continue;
        if (p->tx.sends > a->cfg.check_max_retransmits) {
            if (p->tx.use_candidate && p->heard && p->last_heard >= p->tx.started) {
                /* The peer is alive on this pair, only our nomination's answers were
                 * lost: nominate again rather than fail a valid pair. */
                MRTC_DEBUG(ICE_LOG_TAG, "%s: pair %u: nomination unanswered, retrying", a->name,
                           (unsigned)p->id);
                start_check(a, now, p, true);
                continue;
            }
            fail_pair(a, p, "no response");
            continue;
        }
        p->tx.rto *= 2;
        if (p->tx.rto > a->cfg.check_rto_max)
            p->tx.rto = a->cfg.check_rto_max;
        transmit_check(a, now, p);
    }
}

static bool triggerable(const mrtc_ice_pair *p)
{
    return (p->state == MRTC_ICE_PAIR_WAITING || p->state == MRTC_ICE_PAIR_FROZEN) && !p->tx.active;
}

void ice_run_checks(mrtc_ice_agent *a, mrtc_time now)
{
    mrtc_ice_pair *p = NULL;
    if (!a->have_remote_creds || (a->checklist_done && a->n_triggered == 0))
        return;
    if (a->any_check && now < a->last_check + a->cfg.ta)
        return;
    while (a->n_triggered > 0 && !p) {
        uint32_t id = a->triggered[0];
        a->n_triggered--;
        memmove(a->triggered, a->triggered + 1, a->n_triggered * sizeof id);
        p = mrtc_ice_checklist_find_id(&a->cl, id);
        if (p && !triggerable(p))
            p = NULL;
    }
    if (!p && !a->checklist_done)
        p = mrtc_ice_checklist_next_ordinary(&a->cl);
    if (p)
        start_check(a, now, p, false);
}

mrtc_time ice_checks_next_timeout(const mrtc_ice_agent *a)
{
    mrtc_time t = MRTC_TIME_NEVER;
    for (size_t i = 0; i < a->cl.n; i++)
        if (a->cl.pairs[i].tx.active)
            t = mrtc_time_min(t, a->cl.pairs[i].tx.next);
    if (!a->have_remote_creds)
        return t;
    bool work = !a->checklist_done && mrtc_ice_checklist_has_ordinary(&a->cl);
    for (size_t i = 0; i < a->n_triggered && !work; i++) {
        const mrtc_ice_pair *p = NULL;
        for (size_t k = 0; k < a->cl.n; k++)
            if (a->cl.pairs[k].id == a->triggered[i])
                p = &a->cl.pairs[k];
        work = p && triggerable(p);
    }
    if (work)
        t = mrtc_time_min(t, a->any_check ? a->last_check + a->cfg.ta : 0);
    if (a->controlling && !a->nominating && !a->checklist_done) {
        const mrtc_ice_pair *best = best_valid(&a->cl);
        if (best)
            t = mrtc_time_min(
                t, pending_above(&a->cl, best) ? a->first_valid + a->cfg.nomination_delay : 0);
    }
    return t;
}

/* ---- receiving ---- */

static int learn_remote_prflx(mrtc_ice_agent *a, const mrtc_addr *from, uint32_t priority)
{
    char buf[MRTC_ADDR_STRLEN];
    if (!ice_reserve_remote(a))
        return -1;
    int idx = (int)a->n_remotes++;
    ice_remote *r = &a->remotes[idx];
    memset(r, 0, sizeof *r);
    mrtc_ice_candidate_init(&r->cand);
    r->cand.type = MRTC_ICE_CAND_PRFLX;
    r->cand.addr = *from;
    r->cand.priority = priority;
    snprintf(r->cand.foundation, sizeof r->cand.foundation, "prflx%u", (unsigned)a->prflx_seq++);
    if (a->have_remote_creds)
        snprintf(r->cand.ufrag, sizeof r->cand.ufrag, "%s", a->rufrag);
    MRTC_DEBUG(ICE_LOG_TAG, "%s: learnt remote prflx candidate %s", a->name,
               mrtc_addr_str(from, buf, sizeof buf));
    return idx;
}

static int learn_local_prflx(mrtc_ice_agent *a, const mrtc_ice_pair *p, const mrtc_addr *mapped)
{
    char buf[MRTC_ADDR_STRLEN];
    if (!ice_reserve_local(a))
        return -1;
    const ice_local *h = &a->locals[p->local];
    int idx = (int)a->n_locals++;
    ice_local *l = &a->locals[idx];
    memset(l, 0, sizeof *l);
    mrtc_ice_candidate_init(&l->cand);
    l->cand.type = MRTC_ICE_CAND_PRFLX;
    l->cand.addr = *mapped;
    l->cand.priority = prflx_priority(a, p->local);
    l->cand.has_related = true;
    l->cand.related = h->base;
    mrtc_ice_candidate_foundation(l->cand.foundation, MRTC_ICE_CAND_PRFLX, &h->base, NULL,
                                  MRTC_ICE_TRANSPORT_UDP);
    snprintf(l->cand.ufrag, sizeof l->cand.ufrag, "%s", a->lufrag);
    l->base = h->base;
    l->host = p->local;
    MRTC_DEBUG(ICE_LOG_TAG, "%s: learnt local prflx candidate %s", a->name,
               mrtc_addr_str(mapped, buf, sizeof buf));
    return idx;
}

static bool username_local_part(const mrtc_stun_msg *m, const char *ufrag)
{
    const char *colon = memchr(m->username, ':', m->username_len);
    size_t n = strlen(ufrag);
    return colon && (size_t)(colon - m->username) == n && n > 0 &&
           memcmp(m->username, ufrag, n) == 0;
}

static int handle_request(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                          const mrtc_addr *remote, const mrtc_stun_msg *m)
{
    const char *key = NULL;
    bool old_generation = false;

    a->stats.requests_received++;
    if (!m->username || m->username_len == 0 || !m->has_integrity) {
        a->stats.stun_unauthorized++;
        respond(a, local, remote, m, 400, "Bad Request", NULL, NULL, 0);
        return MRTC_EAUTH;
    }
    if (username_local_part(m, a->lufrag)) {
        key = a->lpwd;
    } else if (a->sel.active && a->sel.pair_id == 0 && username_local_part(m, a->sel.lufrag)) {
        key = a->sel.lpwd; /* consent on the pair kept across a restart */
        old_generation = true;
    }
    if (!key || mrtc_stun_check_integrity(m, (const uint8_t *)key, strlen(key)) != 0) {
        a->stats.stun_unauthorized++;
        MRTC_DEBUG(ICE_LOG_TAG, "%s: Binding request with a wrong %s", a->name,
                   key ? "MESSAGE-INTEGRITY" : "USERNAME");
        respond(a, local, remote, m, 401, "Unauthorized", NULL, NULL, 0);
        return MRTC_EAUTH;
    }
    if (m->n_unknown > 0) {
        respond(a, local, remote, m, 420, "Unknown Attribute", key, m->unknown, m->n_unknown);
        return 0;
    }
    if (old_generation) {
        respond(a, local, remote, m, 0, NULL, key, NULL, 0);
        return 0;
    }
    if (!m->has_priority || (m->has_ice_controlling && m->has_ice_controlled)) {
        respond(a, local, remote, m, 400, "Bad Request", key, NULL, 0);
        return 0;
    }

    /* Section 7.3.1.1: role conflicts. */
    if (a->controlling && m->has_ice_controlling) {
        a->stats.role_conflicts++;
        if (a->tiebreaker >= m->tiebreaker) {
            respond(a, local, remote, m, 487, "Role Conflict", key, NULL, 0);
            return 0;
        }
        ice_set_role(a, false, "the peer is controlling with a larger tie-breaker");
    } else if (!a->controlling && m->has_ice_controlled) {
        a->stats.role_conflicts++;
        if (a->tiebreaker < m->tiebreaker) {
            respond(a, local, remote, m, 487, "Role Conflict", key, NULL, 0);
            return 0;
        }
        ice_set_role(a, true, "the peer is controlled with a smaller tie-breaker");
    }

    int li = ice_find_local_base(a, local);
    int ri = ice_find_remote_addr(a, remote);
    if (ri < 0 && li >= 0)
        ri = learn_remote_prflx(a, remote, m->priority);
    respond(a, local, remote, m, 0, NULL, key, NULL, 0);
    if (li < 0 || ri < 0)
        return 0;

    /* Section 7.3.1.4: the triggered check (also after nomination: a new path from the
     * peer is checked, though ordinary checks have stopped). */
    mrtc_ice_pair *p = add_pair(a, li, ri);
    if (!p)
        return 0;
    p->heard = true;
    p->last_heard = now;
    ice_enqueue_triggered(a, p);

    /* Section 7.3.1.5: nomination, seen by the controlled agent. */
    if (m->use_candidate && !a->controlling) {
        if (p->state == MRTC_ICE_PAIR_SUCCEEDED) {
            p->nominated = true;
            controlled_select(a, now, p);
        } else {
            p->nominate_on_success = true;
        }
    }
    return 0;
}

static bool is_consent_tid(const mrtc_ice_agent *a, const uint8_t *tid)
{
    if (!a->sel.active)
        return false;
    unsigned n = a->sel.consent_n < ICE_CONSENT_TIDS ? a->sel.consent_n : ICE_CONSENT_TIDS;
    for (unsigned i = 0; i < n; i++)
        if (memcmp(a->sel.consent_tid[i], tid, MRTC_STUN_TID_LEN) == 0)
            return true;
    return false;
}

static int check_response_integrity(mrtc_ice_agent *a, const mrtc_stun_msg *m, const char *pwd)
{
    if (!pwd[0] || mrtc_stun_check_integrity(m, (const uint8_t *)pwd, strlen(pwd)) != 0) {
        a->stats.stun_unauthorized++;
        return MRTC_EAUTH;
    }
    return 0;
}

static int handle_success(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                          const mrtc_addr *remote, const mrtc_stun_msg *m)
{
    bool old;
    if (ice_gather_handle_response(a, now, local, remote, m))
        return 0;
    if (is_consent_tid(a, m->tid)) {
        if (check_response_integrity(a, m, a->sel.rpwd))
            return MRTC_EAUTH;
        a->stats.responses_received++;
        if (mrtc_addr_eq(local, &a->sel.base) && mrtc_addr_eq(remote, &a->sel.remote))
            a->sel.consent_ok = now;
        return 0;
    }
    mrtc_ice_pair *p = mrtc_ice_checklist_find_tid(&a->cl, m->tid, &old);
    if (!p) {
        a->stats.stun_dropped++;
        return 0;
    }
    if (check_response_integrity(a, m, a->rpwd))
        return MRTC_EAUTH;
    a->stats.responses_received++;
    const ice_local *l = &a->locals[p->local];
    const ice_remote *r = &a->remotes[p->remote];
    if (mrtc_addr_eq(remote, &r->cand.addr) && mrtc_addr_eq(local, &l->base)) {
        p->heard = true;
        p->last_heard = now;
    }
    bool nomination = old ? p->old_use_candidate : p->tx.use_candidate;
    if (old)
        p->has_old_tid = false;
    if (!old || !p->tx.use_candidate || nomination)
        p->tx.active = false; /* answered; a retry of the same kind of check is moot */
    if (p->state == MRTC_ICE_PAIR_FAILED) {
        a->stats.stun_dropped++;
        return 0;
    }
    if (!mrtc_addr_eq(remote, &r->cand.addr) || !mrtc_addr_eq(local, &l->base)) {
        fail_pair(a, p, "response addresses not symmetric (section 7.2.5.2.1)");
        return 0;
    }
    if (!m->has_xor_mapped) {
        fail_pair(a, p, "response without XOR-MAPPED-ADDRESS");
        return 0;
    }

    /* Section 7.2.5.3: the valid pair, with a learnt prflx local candidate if need be. */
    int vl = ice_find_local_addr(a, &m->xor_mapped, &l->base);
    if (vl < 0)
        vl = learn_local_prflx(a, p, &m->xor_mapped);
    if (vl < 0)
        vl = p->local;
    p->valid_local = vl;
    uint32_t lprio = a->locals[vl].cand.priority;
    p->valid_priority = a->controlling ? mrtc_ice_pair_priority(lprio, p->remote_prio)
                                       : mrtc_ice_pair_priority(p->remote_prio, lprio);
    if (p->state != MRTC_ICE_PAIR_SUCCEEDED) {
        mrtc_ice_checklist_set_state(&a->cl, p, MRTC_ICE_PAIR_SUCCEEDED);
        mrtc_ice_checklist_unfreeze_foundation(&a->cl, p);
    }
    if (!a->have_valid) {
        a->have_valid = true;
        a->first_valid = now;
    }
    if (a->sel.active && a->sel.pair_id == p->id)
        a->sel.consent_ok = now;

    if (nomination && a->controlling && a->nominating == p->id) {
        a->nominating = 0;
        p->nominated = true;
        ice_select(a, now, p);
        finish_checks(a);
    } else if (!a->controlling && p->nominate_on_success) {
        p->nominated = true;
        controlled_select(a, now, p);
    }
    return 0;
}

static int handle_error(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                        const mrtc_addr *remote, const mrtc_stun_msg *m)
{
    bool old;
    char why[64];
    if (ice_gather_handle_response(a, now, local, remote, m))
        return 0;
    if (is_consent_tid(a, m->tid)) {
        if (m->has_integrity && check_response_integrity(a, m, a->sel.rpwd))
            return MRTC_EAUTH;
        a->stats.stun_dropped++;
        return 0;
    }
    mrtc_ice_pair *p = mrtc_ice_checklist_find_tid(&a->cl, m->tid, &old);
    if (!p) {
        a->stats.stun_dropped++;
        return 0;
    }
    if (m->has_integrity && check_response_integrity(a, m, a->rpwd))
        return MRTC_EAUTH;
    a->stats.responses_received++;
    if (old) {
        p->has_old_tid = false;
        return 0;
    }
    if (m->error_code == 487) {
        /* Section 7.2.5.1: switch role if the request carried the current one, then
         * check again. */
        if (!m->has_integrity) {
            a->stats.stun_unauthorized++;
            return MRTC_EAUTH;
        }
        a->stats.role_conflicts++;
        bool sent_controlling = p->tx.controlling;
        p->tx.active = false;
        if (a->nominating == p->id)
            a->nominating = 0;
        if (sent_controlling == a->controlling)
            ice_set_role(a, !sent_controlling, "487 Role Conflict received");
        if (p->state == MRTC_ICE_PAIR_IN_PROGRESS)
            mrtc_ice_checklist_set_state(&a->cl, p, MRTC_ICE_PAIR_WAITING);
        if (p->state == MRTC_ICE_PAIR_WAITING)
            ice_enqueue_triggered(a, p);
        return 0;
    }
    snprintf(why, sizeof why, "error response %d", m->error_code);
    fail_pair(a, p, why);
    return 0;
}

int ice_handle_stun(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                    const mrtc_addr *remote, const uint8_t *data, size_t len)
{
    mrtc_stun_msg m;
    if (mrtc_stun_decode(&m, data, len) != 0) {
        a->stats.stun_malformed++;
        return MRTC_EPROTO;
    }
    if (m.method != MRTC_STUN_BINDING)
        return MRTC_ICE_NOT_STUN;
    switch (m.cls) {
    case MRTC_STUN_REQUEST:
        return handle_request(a, now, local, remote, &m);
    case MRTC_STUN_INDICATION:
        return 0; /* keepalive (RFC 8445 section 11) */
    case MRTC_STUN_SUCCESS:
        return handle_success(a, now, local, remote, &m);
    case MRTC_STUN_ERROR:
        return handle_error(a, now, local, remote, &m);
    }
    return 0;
}
