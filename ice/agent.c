/*
 * The ICE agent's lifecycle and state: configuration, the transport state machine (the W3C
 * RTCIceTransportState derived from RFC 8445 section 6.1.3 / 8 and RFC 7675), the
 * gathering state machine, the event and transmit queues, timers (next_timeout), pair
 * selection, consent freshness (RFC 7675 section 5.1: randomised requests, expiry after
 * failed_timeout, "disconnected" after disconnected_timeout of silence), ICE restart
 * (RFC 8445 section 9 / JSEP 5.2.1, the old selected pair stays in use until a new one is
 * selected), remote candidates and credentials (RFC 8838 trickle), and close.
 *
 * Checks and their responses live in ice/agent_check.c, local candidates and STUN servers
 * in ice/agent_gather.c. Not done here: any I/O or clock; relays; several components.
 */
#include "ice/agent_int.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const state_names[] = {
#define MRTC_ICE_STATE_NAME_(name, str) str,
    MRTC_ICE_STATE_MAP(MRTC_ICE_STATE_NAME_)
#undef MRTC_ICE_STATE_NAME_
};

static const char *const gathering_names[] = {
#define MRTC_ICE_GATHERING_NAME_(name, str) str,
    MRTC_ICE_GATHERING_MAP(MRTC_ICE_GATHERING_NAME_)
#undef MRTC_ICE_GATHERING_NAME_
};

const char *mrtc_ice_state_name(mrtc_ice_state s)
{
    if ((unsigned)s >= sizeof state_names / sizeof state_names[0])
        return "?";
    return state_names[s];
}

const char *mrtc_ice_gathering_state_name(mrtc_ice_gathering_state s)
{
    if ((unsigned)s >= sizeof gathering_names / sizeof gathering_names[0])
        return "?";
    return gathering_names[s];
}

void mrtc_ice_config_init(mrtc_ice_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ta = MRTC_MSEC(50);
    cfg->check_rto = MRTC_MSEC(500);
    cfg->check_rto_max = MRTC_MSEC(1600);
    cfg->check_max_retransmits = 6;
    cfg->nomination_delay = MRTC_MSEC(250);
    cfg->consent_interval = MRTC_SEC(5);
    cfg->disconnected_timeout = MRTC_SEC(5);
    cfg->failed_timeout = MRTC_SEC(30);
    cfg->max_pairs = 100;
}

/* ---- queues ---- */

static void q_init(ice_queue *q, size_t elem, size_t max)
{
    memset(q, 0, sizeof *q);
    q->elem = elem;
    q->max = max;
}

static void q_free(ice_queue *q)
{
    mrtc_free(q->buf);
    q->buf = NULL;
    q->len = q->cap = q->head = 0;
}

static bool q_push(ice_queue *q, const void *e)
{
    if (q->len >= q->max)
        return false;
    if (q->len == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 8;
        uint8_t *nb = mrtc_malloc(ncap * q->elem);
        if (!nb)
            return false;
        for (size_t i = 0; i < q->len; i++)
            memcpy(nb + i * q->elem, q->buf + ((q->head + i) % q->cap) * q->elem, q->elem);
        mrtc_free(q->buf);
        q->buf = nb;
        q->cap = ncap;
        q->head = 0;
    }
    memcpy(q->buf + ((q->head + q->len) % q->cap) * q->elem, e, q->elem);
    q->len++;
    return true;
}

static bool q_pop(ice_queue *q, void *out)
{
    if (q->len == 0)
        return false;
    memcpy(out, q->buf + q->head * q->elem, q->elem);
    q->head = (q->head + 1) % q->cap;
    q->len--;
    if (q->len == 0) /* drained: an idle agent keeps no queue memory (2 KB a datagram) */
        q_free(q);
    return true;
}

static bool reserve(void **arr, size_t n, size_t *cap, size_t max, size_t elem)
{
    if (n >= max)
        return false;
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 2;
    if (ncap > max)
        ncap = max;
    void *p = mrtc_realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

bool ice_reserve_local(mrtc_ice_agent *a)
{
    return reserve((void **)&a->locals, a->n_locals, &a->cap_locals, ICE_MAX_LOCALS,
                   sizeof a->locals[0]);
}

bool ice_reserve_remote(mrtc_ice_agent *a)
{
    return reserve((void **)&a->remotes, a->n_remotes, &a->cap_remotes, ICE_MAX_REMOTES,
                   sizeof a->remotes[0]);
}

void ice_emit(mrtc_ice_agent *a, const mrtc_ice_event *ev)
{
    if (!q_push(&a->evq, ev))
        MRTC_WARN(ICE_LOG_TAG, "%s: event queue full: event %d dropped", a->name, (int)ev->type);
}

bool ice_send(mrtc_ice_agent *a, const mrtc_addr *local, const mrtc_addr *remote,
              const uint8_t *data, size_t len)
{
    mrtc_transmit t;
    if (a->state == MRTC_ICE_STATE_CLOSED || len > MRTC_TRANSMIT_MAX)
        return false;
    t.local = *local;
    t.remote = *remote;
    t.len = len;
    memcpy(t.data, data, len);
    if (!q_push(&a->txq, &t)) {
        a->stats.transmits_dropped++;
        return false;
    }
    return true;
}

void ice_random_tid(mrtc_ice_agent *a, uint8_t tid[MRTC_STUN_TID_LEN])
{
    mrtc_rand_bytes(a->rand, tid, MRTC_STUN_TID_LEN);
}

/* ---- lifecycle ---- */

static bool valid_cred(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

static void new_local_credentials(mrtc_ice_agent *a)
{
    mrtc_rand_ice_chars(a->rand, a->lufrag, 8);
    mrtc_rand_ice_chars(a->rand, a->lpwd, 24);
}

mrtc_ice_agent *mrtc_ice_agent_new(const mrtc_ice_config *cfg)
{
    mrtc_ice_config def;
    if (!cfg) {
        mrtc_ice_config_init(&def);
        cfg = &def;
    }
    if ((cfg->local_ufrag && !valid_cred(cfg->local_ufrag, 4, MRTC_ICE_UFRAG_MAX)) ||
        (cfg->local_pwd && !valid_cred(cfg->local_pwd, 22, MRTC_ICE_PWD_MAX)) || cfg->ta == 0 ||
        cfg->check_rto == 0)
        return NULL;
    mrtc_ice_agent *a = mrtc_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = *cfg;
    snprintf(a->name, sizeof a->name, "%s", cfg->name ? cfg->name : "");
    a->cfg.name = NULL;
    a->cfg.local_ufrag = NULL;
    a->cfg.local_pwd = NULL;
    if (a->cfg.check_rto_max < a->cfg.check_rto)
        a->cfg.check_rto_max = a->cfg.check_rto;
    a->rand = cfg->rand ? cfg->rand : mrtc_rand_system();
    a->controlling = cfg->controlling;
    a->tiebreaker = cfg->tiebreaker ? cfg->tiebreaker : mrtc_rand_u64(a->rand);
    new_local_credentials(a);
    if (cfg->local_ufrag)
        snprintf(a->lufrag, sizeof a->lufrag, "%s", cfg->local_ufrag);
    if (cfg->local_pwd)
        snprintf(a->lpwd, sizeof a->lpwd, "%s", cfg->local_pwd);
    a->state = MRTC_ICE_STATE_NEW;
    a->gathering = MRTC_ICE_GATHERING_NEW;
    mrtc_ice_checklist_init(&a->cl, cfg->max_pairs ? cfg->max_pairs : 100, a->name);
    q_init(&a->txq, sizeof(mrtc_transmit), ICE_TXQ_MAX);
    q_init(&a->evq, sizeof(mrtc_ice_event), ICE_EVQ_MAX);
    MRTC_DEBUG(ICE_LOG_TAG, "%s: agent created (%s, ufrag %s)", a->name,
               a->controlling ? "controlling" : "controlled", a->lufrag);
    return a;
}

void mrtc_ice_agent_free(mrtc_ice_agent *a)
{
    if (!a)
        return;
    q_free(&a->evq);
    q_free(&a->txq);
    mrtc_ice_checklist_deinit(&a->cl);
    mrtc_free(a->locals);
    mrtc_free(a->remotes);
    mrtc_free(a);
}

/* ---- state machines ---- */

static bool state_legal(mrtc_ice_state from, mrtc_ice_state to)
{
    if (to == MRTC_ICE_STATE_CLOSED)
        return from != MRTC_ICE_STATE_CLOSED;
    switch (from) {
    case MRTC_ICE_STATE_NEW:
        return to == MRTC_ICE_STATE_CHECKING || to == MRTC_ICE_STATE_FAILED;
    case MRTC_ICE_STATE_CHECKING:
        return to == MRTC_ICE_STATE_CONNECTED || to == MRTC_ICE_STATE_FAILED;
    case MRTC_ICE_STATE_CONNECTED:
        return to == MRTC_ICE_STATE_COMPLETED || to == MRTC_ICE_STATE_DISCONNECTED ||
               to == MRTC_ICE_STATE_FAILED;
    case MRTC_ICE_STATE_COMPLETED:
        return to == MRTC_ICE_STATE_CONNECTED || to == MRTC_ICE_STATE_DISCONNECTED ||
               to == MRTC_ICE_STATE_FAILED;
    case MRTC_ICE_STATE_DISCONNECTED:
        return to == MRTC_ICE_STATE_CONNECTED || to == MRTC_ICE_STATE_COMPLETED ||
               to == MRTC_ICE_STATE_FAILED;
    case MRTC_ICE_STATE_FAILED:
        return to == MRTC_ICE_STATE_CHECKING; /* after a restart */
    case MRTC_ICE_STATE_CLOSED:
        return false;
    }
    return false;
}

/* The one transition function of the transport state machine. */
static void set_state(mrtc_ice_agent *a, mrtc_ice_state to)
{
    mrtc_ice_state from = a->state;
    if (from == to)
        return;
    if (!state_legal(from, to)) {
        MRTC_ERROR(ICE_LOG_TAG, "%s: illegal transition %s -> %s refused", a->name,
                   mrtc_ice_state_name(from), mrtc_ice_state_name(to));
        return;
    }
    MRTC_INFO(ICE_LOG_TAG, "%s: %s -> %s", a->name, mrtc_ice_state_name(from),
              mrtc_ice_state_name(to));
    a->state = to;
    mrtc_ice_event ev = {.type = MRTC_ICE_EVENT_STATE};
    ev.state.old_state = from;
    ev.state.new_state = to;
    ice_emit(a, &ev);
}

static bool gathering_legal(mrtc_ice_gathering_state from, mrtc_ice_gathering_state to)
{
    return (from == MRTC_ICE_GATHERING_NEW && to == MRTC_ICE_GATHERING_GATHERING) ||
           (from == MRTC_ICE_GATHERING_GATHERING && to == MRTC_ICE_GATHERING_COMPLETE) ||
           (from == MRTC_ICE_GATHERING_COMPLETE && to == MRTC_ICE_GATHERING_GATHERING);
}

/* The one transition function of the gathering state machine. */
void ice_set_gathering(mrtc_ice_agent *a, mrtc_ice_gathering_state to)
{
    mrtc_ice_gathering_state from = a->gathering;
    if (from == to)
        return;
    if (!gathering_legal(from, to)) {
        MRTC_ERROR(ICE_LOG_TAG, "%s: illegal gathering transition %s -> %s refused", a->name,
                   mrtc_ice_gathering_state_name(from), mrtc_ice_gathering_state_name(to));
        return;
    }
    MRTC_INFO(ICE_LOG_TAG, "%s: gathering %s -> %s", a->name, mrtc_ice_gathering_state_name(from),
              mrtc_ice_gathering_state_name(to));
    a->gathering = to;
    mrtc_ice_event ev = {.type = MRTC_ICE_EVENT_GATHERING_STATE};
    ev.gathering.old_state = from;
    ev.gathering.new_state = to;
    ice_emit(a, &ev);
}

void ice_set_role(mrtc_ice_agent *a, bool controlling, const char *why)
{
    if (a->controlling == controlling)
        return;
    MRTC_INFO(ICE_LOG_TAG, "%s: role %s -> %s (%s)", a->name,
              a->controlling ? "controlling" : "controlled",
              controlling ? "controlling" : "controlled", why);
    a->controlling = controlling;
    a->nominating = 0;
    mrtc_ice_checklist_set_role(&a->cl, controlling);
    mrtc_ice_event ev = {.type = MRTC_ICE_EVENT_ROLE};
    ev.role.controlling = controlling;
    ice_emit(a, &ev);
}

static bool have_unresolved(const mrtc_ice_agent *a)
{
    for (size_t i = 0; i < a->n_remotes; i++)
        if (!a->remotes[i].dropped && a->remotes[i].cand.addr.family == MRTC_AF_NONE)
            return true;
    return false;
}

static bool completed(const mrtc_ice_agent *a)
{
    if (!a->sel.active || a->sel.pair_id == 0 || !a->sel.nominated || !a->remote_eoc)
        return false;
    if (!a->controlling)
        return true;
    return a->checklist_done && a->gathering == MRTC_ICE_GATHERING_COMPLETE;
}

/* Every way to lose the pairs: all failed (or none formed) with both candidate sets
 * final. */
static bool all_failed(const mrtc_ice_agent *a)
{
    if (a->gathering != MRTC_ICE_GATHERING_COMPLETE || !a->remote_eoc || have_unresolved(a))
        return false;
    if (a->n_triggered > 0 && a->cl.n > 0 && !mrtc_ice_checklist_all_failed(&a->cl))
        return false;
    return a->cl.n == 0 || mrtc_ice_checklist_all_failed(&a->cl);
}

void ice_update_state(mrtc_ice_agent *a, mrtc_time now)
{
    mrtc_ice_state to;
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return;
    if (a->consent_lost) {
        to = MRTC_ICE_STATE_FAILED;
    } else if (a->sel.active) {
        if (now >= a->sel.last_rx + a->cfg.disconnected_timeout)
            to = MRTC_ICE_STATE_DISCONNECTED;
        else if (completed(a))
            to = MRTC_ICE_STATE_COMPLETED;
        else
            to = MRTC_ICE_STATE_CONNECTED;
    } else if (all_failed(a)) {
        to = MRTC_ICE_STATE_FAILED;
    } else if (a->checks_started) {
        to = MRTC_ICE_STATE_CHECKING;
    } else {
        to = a->state; /* nothing started yet, or a restart waiting for the peer */
    }
    if (a->state == MRTC_ICE_STATE_FAILED && to != MRTC_ICE_STATE_CHECKING)
        return; /* failed is left only through a restart whose checks started */
    if (to == MRTC_ICE_STATE_CONNECTED || to == MRTC_ICE_STATE_COMPLETED ||
        to == MRTC_ICE_STATE_DISCONNECTED) {
        /* A selection always passes through checking and connected. */
        if (a->state == MRTC_ICE_STATE_NEW)
            set_state(a, MRTC_ICE_STATE_CHECKING);
        if (a->state == MRTC_ICE_STATE_CHECKING)
            set_state(a, MRTC_ICE_STATE_CONNECTED);
    }
    set_state(a, to);
}

static void check_gathering_complete(mrtc_ice_agent *a)
{
    if (!a->local_done || a->gathering == MRTC_ICE_GATHERING_COMPLETE || ice_gather_pending(a))
        return;
    if (a->gathering == MRTC_ICE_GATHERING_NEW)
        ice_set_gathering(a, MRTC_ICE_GATHERING_GATHERING);
    ice_set_gathering(a, MRTC_ICE_GATHERING_COMPLETE);
}

/* ---- selection and consent ---- */

static mrtc_time consent_delay(mrtc_ice_agent *a)
{
    /* RFC 7675 section 5.1: uniformly over 0.8..1.2 times the interval. */
    return a->cfg.consent_interval * (800 + mrtc_rand_below(a->rand, 401)) / 1000;
}

static void sel_info(const mrtc_ice_agent *a, mrtc_ice_pair_info *info)
{
    memset(info, 0, sizeof *info);
    if (!a->sel.active)
        return;
    info->exists = true;
    info->local = a->sel.base;
    info->remote = a->sel.remote;
    info->local_candidate = a->sel.lcand;
    info->remote_candidate = a->sel.rcand;
    info->nominated = a->sel.nominated;
}

static void emit_selected(mrtc_ice_agent *a)
{
    mrtc_ice_event ev = {.type = MRTC_ICE_EVENT_SELECTED_PAIR};
    sel_info(a, &ev.selected);
    ice_emit(a, &ev);
}

void ice_select(mrtc_ice_agent *a, mrtc_time now, mrtc_ice_pair *p)
{
    char names[2 * MRTC_ADDR_STRLEN + 8];
    const ice_local *l = &a->locals[p->local];
    const ice_local *vl = &a->locals[p->valid_local >= 0 ? p->valid_local : p->local];
    const ice_remote *r = &a->remotes[p->remote];

    if (a->sel.active && a->sel.pair_id == p->id) {
        a->sel.nominated = p->nominated;
        return;
    }
    ice_pair_names(a, p, names, sizeof names);
    MRTC_INFO(ICE_LOG_TAG, "%s: selected pair %u %s (%s -> %s)%s", a->name, (unsigned)p->id, names,
              mrtc_ice_candidate_type_name(vl->cand.type),
              mrtc_ice_candidate_type_name(r->cand.type), p->nominated ? " nominated" : "");
    memset(&a->sel, 0, sizeof a->sel);
    a->sel.active = true;
    a->sel.pair_id = p->id;
    a->sel.base = l->base;
    a->sel.remote = r->cand.addr;
    a->sel.lcand = vl->cand;
    a->sel.rcand = r->cand;
    a->sel.priority = p->priority;
    a->sel.nominated = p->nominated;
    snprintf(a->sel.lufrag, sizeof a->sel.lufrag, "%s", a->lufrag);
    snprintf(a->sel.lpwd, sizeof a->sel.lpwd, "%s", a->lpwd);
    snprintf(a->sel.rufrag, sizeof a->sel.rufrag, "%s", a->rufrag);
    snprintf(a->sel.rpwd, sizeof a->sel.rpwd, "%s", a->rpwd);
    a->sel.last_rx = now;
    a->sel.consent_ok = now;
    a->sel.consent_next = now + consent_delay(a);
    a->sel.last_consent_tx = now;
    emit_selected(a);
}

/* Silence on the selected pair: a consent request is sent as a probe halfway to
 * "disconnected", then every PROBE_REPEAT while the silence lasts, so one or two lost
 * datagrams on an idle path do not make it "disconnected" (RFC 7675 allows more frequent
 * checks than the consent interval; browsers also ping faster when a path goes quiet). */
#define PROBE_REPEAT MRTC_MSEC(500)

static mrtc_time probe_time(const mrtc_ice_agent *a)
{
    mrtc_time first = a->sel.last_rx + a->cfg.disconnected_timeout / 2;
    if (a->sel.last_consent_tx < first)
        return first;
    return a->sel.last_consent_tx + PROBE_REPEAT;
}

static void run_consent(mrtc_ice_agent *a, mrtc_time now)
{
    if (!a->sel.active)
        return;
    if (now >= a->sel.consent_ok + a->cfg.failed_timeout) {
        MRTC_WARN(ICE_LOG_TAG, "%s: consent expired (no response for %llu ms): stop sending",
                  a->name, (unsigned long long)(a->cfg.failed_timeout / 1000));
        a->consent_lost = true;
        a->sel.active = false;
        emit_selected(a);
        return;
    }
    bool due = now >= a->sel.consent_next || now >= probe_time(a);
    if (!due)
        return;
    ice_send_consent(a, now);
    a->sel.last_consent_tx = now;
    a->sel.consent_next = now + consent_delay(a);
}

void ice_run(mrtc_ice_agent *a, mrtc_time now)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return;
    ice_gather_run(a, now);
    ice_run_retransmits(a, now);
    ice_run_nomination(a, now);
    ice_run_checks(a, now);
    run_consent(a, now);
    check_gathering_complete(a);
    ice_update_state(a, now);
}

/* ---- the sans-IO interface ---- */

static void note_rx(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                    const mrtc_addr *remote)
{
    if (a->sel.active && mrtc_addr_eq(local, &a->sel.base) && mrtc_addr_eq(remote, &a->sel.remote))
        a->sel.last_rx = now;
}

int mrtc_ice_agent_handle_packet(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                                 const mrtc_addr *remote, const uint8_t *data, size_t len)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    a->stats.packets_received++;
    if (!data || len == 0 || !local || !remote) {
        a->stats.stun_malformed++;
        return MRTC_EPROTO;
    }
    if (data[0] > 3) {
        note_rx(a, now, local, remote);
        ice_run(a, now);
        return MRTC_ICE_NOT_STUN;
    }
    int r = ice_handle_stun(a, now, local, remote, data, len);
    if (r < 0)
        return r; /* refused: nothing else happens */
    if (r == 0 || r == MRTC_ICE_NOT_STUN)
        note_rx(a, now, local, remote);
    ice_run(a, now);
    return r;
}

void mrtc_ice_agent_note_received(mrtc_ice_agent *a, mrtc_time now, const mrtc_addr *local,
                                  const mrtc_addr *remote)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return;
    note_rx(a, now, local, remote);
    ice_run(a, now);
}

void mrtc_ice_agent_handle_timeout(mrtc_ice_agent *a, mrtc_time now)
{
    ice_run(a, now);
}

mrtc_time mrtc_ice_agent_next_timeout(const mrtc_ice_agent *a)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_TIME_NEVER;
    mrtc_time t = ice_checks_next_timeout(a);
    t = mrtc_time_min(t, ice_gather_next_timeout(a));
    if (a->sel.active) {
        t = mrtc_time_min(t, a->sel.consent_next);
        t = mrtc_time_min(t, a->sel.consent_ok + a->cfg.failed_timeout);
        t = mrtc_time_min(t, probe_time(a));
        if (a->state != MRTC_ICE_STATE_DISCONNECTED)
            t = mrtc_time_min(t, a->sel.last_rx + a->cfg.disconnected_timeout);
    }
    return t;
}

bool mrtc_ice_agent_poll_transmit(mrtc_ice_agent *a, mrtc_transmit *out)
{
    return q_pop(&a->txq, out);
}

bool mrtc_ice_agent_poll_event(mrtc_ice_agent *a, mrtc_ice_event *out)
{
    return q_pop(&a->evq, out);
}

void mrtc_ice_agent_close(mrtc_ice_agent *a)
{
    if (!a || a->state == MRTC_ICE_STATE_CLOSED)
        return;
    mrtc_transmit t;
    while (q_pop(&a->txq, &t)) {
    }
    a->sel.active = false;
    set_state(a, MRTC_ICE_STATE_CLOSED);
}

/* ---- remote side ---- */

int mrtc_ice_agent_set_remote_credentials(mrtc_ice_agent *a, mrtc_time now, const char *ufrag,
                                          const char *pwd)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    if (!ufrag || !pwd || !valid_cred(ufrag, 1, MRTC_ICE_UFRAG_MAX) ||
        !valid_cred(pwd, 1, MRTC_ICE_PWD_MAX))
        return MRTC_EINVAL;
    if (a->have_remote_creds && strcmp(ufrag, a->rufrag) == 0 && strcmp(pwd, a->rpwd) == 0)
        return 0;
    if (a->have_remote_creds && strcmp(ufrag, a->rufrag) != 0) {
        MRTC_INFO(ICE_LOG_TAG, "%s: remote ufrag changed: the peer restarted ICE", a->name);
        int err = mrtc_ice_agent_restart(a, now);
        if (err)
            return err;
    }
    snprintf(a->rufrag, sizeof a->rufrag, "%s", ufrag);
    snprintf(a->rpwd, sizeof a->rpwd, "%s", pwd);
    a->have_remote_creds = true;
    ice_run(a, now);
    return 0;
}

int ice_find_remote_addr(const mrtc_ice_agent *a, const mrtc_addr *addr)
{
    for (size_t i = 0; i < a->n_remotes; i++) {
        const ice_remote *r = &a->remotes[i];
        if (!r->dropped && r->cand.addr.family != MRTC_AF_NONE && mrtc_addr_eq(&r->cand.addr, addr))
            return (int)i;
    }
    return -1;
}

bool mrtc_ice_agent_knows_path(const mrtc_ice_agent *a, const mrtc_addr *local,
                               const mrtc_addr *remote)
{
    return ice_find_local_base(a, local) >= 0 && ice_find_remote_addr(a, remote) >= 0;
}

/* A duplicate of an already known remote candidate: a signalled candidate upgrades a
 * learnt prflx one (RFC 8445 section 7.3.1.3 / RFC 8838 section 11). */
static bool merge_duplicate(mrtc_ice_agent *a, const mrtc_ice_candidate *c)
{
    for (size_t i = 0; i < a->n_remotes; i++) {
        ice_remote *r = &a->remotes[i];
        if (r->dropped || !mrtc_ice_candidate_same_address(&r->cand, c))
            continue;
        if (r->cand.type == MRTC_ICE_CAND_PRFLX && c->type != MRTC_ICE_CAND_PRFLX) {
            r->cand.type = c->type;
            snprintf(r->cand.foundation, sizeof r->cand.foundation, "%s", c->foundation);
            for (size_t k = 0; k < a->cl.n; k++)
                if (a->cl.pairs[k].remote == (int)i)
                    snprintf(a->cl.pairs[k].remote_foundation,
                             sizeof a->cl.pairs[k].remote_foundation, "%s", c->foundation);
        }
        return true;
    }
    return false;
}

int mrtc_ice_agent_add_remote_candidate(mrtc_ice_agent *a, mrtc_time now,
                                        const mrtc_ice_candidate *c)
{
    char buf[MRTC_ADDR_STRLEN];
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    if (!c)
        return MRTC_EINVAL;
    if (c->transport != MRTC_ICE_TRANSPORT_UDP || c->component != 1) {
        MRTC_DEBUG(ICE_LOG_TAG, "%s: remote %s candidate of component %u ignored", a->name,
                   mrtc_ice_transport_name(c->transport), (unsigned)c->component);
        return MRTC_ENOTSUP;
    }
    if (c->ufrag[0] && a->have_remote_creds && strcmp(c->ufrag, a->rufrag) != 0) {
        MRTC_DEBUG(ICE_LOG_TAG, "%s: remote candidate of ufrag %s ignored (current %s)", a->name,
                   c->ufrag, a->rufrag);
        return MRTC_ESTATE;
    }
    if (c->addr.family == MRTC_AF_NONE) {
        if (!c->hostname[0] || c->addr.port == 0)
            return MRTC_EINVAL;
    } else if (c->addr.port == 0 || mrtc_addr_is_any(&c->addr)) {
        return MRTC_EINVAL;
    }
    if (merge_duplicate(a, c))
        return 0;
    if (!ice_reserve_remote(a))
        return a->n_remotes >= ICE_MAX_REMOTES ? MRTC_ENOBUFS : MRTC_ENOMEM;
    int idx = (int)a->n_remotes++;
    ice_remote *r = &a->remotes[idx];
    memset(r, 0, sizeof *r);
    r->cand = *c;
    if (!r->cand.foundation[0])
        snprintf(r->cand.foundation, sizeof r->cand.foundation, "r%d", idx);
    MRTC_DEBUG(ICE_LOG_TAG, "%s: remote candidate %s %s:%u prio %u", a->name,
               mrtc_ice_candidate_type_name(c->type),
               c->addr.family != MRTC_AF_NONE ? mrtc_addr_ip_str(&c->addr, buf, sizeof buf)
                                              : c->hostname,
               (unsigned)c->addr.port, (unsigned)c->priority);
    if (r->cand.addr.family != MRTC_AF_NONE)
        ice_pair_with_remote(a, idx);
    ice_run(a, now);
    return 0;
}

int mrtc_ice_agent_resolve_remote(mrtc_ice_agent *a, mrtc_time now, const char *hostname,
                                  const mrtc_addr *addr)
{
    int n = 0;
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    if (!hostname || (addr && addr->family != MRTC_AF_INET && addr->family != MRTC_AF_INET6))
        return MRTC_EINVAL;
    for (size_t i = 0; i < a->n_remotes; i++) {
        ice_remote *r = &a->remotes[i];
        if (r->dropped || r->cand.addr.family != MRTC_AF_NONE ||
            strcasecmp(r->cand.hostname, hostname) != 0)
            continue;
        n++;
        if (!addr) {
            r->dropped = true;
            continue;
        }
        mrtc_addr resolved = *addr;
        resolved.port = r->cand.addr.port;
        if (ice_find_remote_addr(a, &resolved) >= 0) {
            r->dropped = true; /* the same address is already known */
            continue;
        }
        r->cand.addr = resolved;
        ice_pair_with_remote(a, (int)i);
    }
    if (n == 0)
        return MRTC_ENOTFOUND;
    ice_run(a, now);
    return n;
}

void mrtc_ice_agent_remote_end_of_candidates(mrtc_ice_agent *a, mrtc_time now)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return;
    a->remote_eoc = true;
    ice_run(a, now);
}

/* ---- restart ---- */

int mrtc_ice_agent_restart(mrtc_ice_agent *a, mrtc_time now)
{
    if (a->state == MRTC_ICE_STATE_CLOSED)
        return MRTC_ECLOSED;
    new_local_credentials(a);
    a->generation++;
    MRTC_INFO(ICE_LOG_TAG, "%s: ICE restart (generation %u, ufrag %s)%s", a->name, a->generation,
              a->lufrag,
              a->sel.active ? ": keeping the selected pair until a new one is chosen" : "");
    if (a->sel.active)
        a->sel.pair_id = 0; /* keeps its own credentials for consent */

    a->have_remote_creds = false;
    a->rufrag[0] = a->rpwd[0] = '\0';
    a->n_remotes = 0;
    mrtc_ice_checklist_clear(&a->cl);
    a->n_triggered = 0;
    a->checks_started = false;
    a->any_check = false;
    a->checklist_done = false;
    a->have_valid = false;
    a->nominating = 0;
    a->remote_eoc = false;
    a->consent_lost = false;

    /* Keep the host candidates (their sockets stay), forget reflexive ones. */
    size_t n = 0;
    for (size_t i = 0; i < a->n_locals; i++) {
        if (a->locals[i].cand.type != MRTC_ICE_CAND_HOST)
            continue;
        a->locals[n] = a->locals[i];
        a->locals[n].host = (int)n;
        n++;
    }
    a->n_locals = n;
    a->n_gtx = 0;

    if (a->state == MRTC_ICE_STATE_COMPLETED)
        set_state(a, MRTC_ICE_STATE_CONNECTED);
    if (a->n_locals > 0 || a->local_done) {
        ice_set_gathering(a, MRTC_ICE_GATHERING_GATHERING);
        for (size_t i = 0; i < a->n_locals; i++) {
            ice_announce_local(a, (int)i);
            ice_gather_start_host(a, (int)i);
        }
    }
    ice_run(a, now);
    return 0;
}

/* ---- queries ---- */

const char *mrtc_ice_agent_local_ufrag(const mrtc_ice_agent *a)
{
    return a->lufrag;
}

const char *mrtc_ice_agent_local_pwd(const mrtc_ice_agent *a)
{
    return a->lpwd;
}

bool mrtc_ice_agent_selected_pair(const mrtc_ice_agent *a, mrtc_addr *local, mrtc_addr *remote)
{
    if (!a->sel.active || a->state == MRTC_ICE_STATE_CLOSED)
        return false;
    if (local)
        *local = a->sel.base;
    if (remote)
        *remote = a->sel.remote;
    return true;
}

bool mrtc_ice_agent_selected_pair_info(const mrtc_ice_agent *a, mrtc_ice_pair_info *info)
{
    sel_info(a, info);
    return info->exists;
}

mrtc_ice_state mrtc_ice_agent_state(const mrtc_ice_agent *a)
{
    return a->state;
}

mrtc_ice_gathering_state mrtc_ice_agent_gathering_state(const mrtc_ice_agent *a)
{
    return a->gathering;
}

bool mrtc_ice_agent_is_controlling(const mrtc_ice_agent *a)
{
    return a->controlling;
}

void mrtc_ice_agent_get_stats(const mrtc_ice_agent *a, mrtc_ice_stats *out)
{
    *out = a->stats;
    out->pairs = a->cl.n;
    out->remote_candidates = a->n_remotes;
    out->local_candidates = a->n_locals;
}

void ice_pair_names(const mrtc_ice_agent *a, const mrtc_ice_pair *p, char *buf, size_t cap)
{
    char l[MRTC_ADDR_STRLEN], r[MRTC_ADDR_STRLEN];
    mrtc_addr_str(&a->locals[p->local].base, l, sizeof l);
    mrtc_addr_str(&a->remotes[p->remote].cand.addr, r, sizeof r);
    snprintf(buf, cap, "%s -> %s", l, r);
}
