/*
 * The PeerConnection object (W3C webrtc-pc section 4): creation and configuration checks,
 * the public entry points (each validates, calls into core/jsep*.c or core/pc_ice.c, then
 * flushes), the getters, and the callback queue.
 *
 * Callbacks are never called from inside an API call: every event is queued here and the I/O
 * host calls mrtc_pc_dispatch() from its loop. Dispatch re-checks, per event, that the
 * PeerConnection is not closed (and for negotiation-needed, the W3C conditions), so closing
 * from inside a callback stops the rest. close_cb runs from dispatch, then the object is
 * freed.
 *
 * Not here: media, data channels and stats (later issues).
 */
#include "core/pc_impl.h"
#include "core/pc_media.h"

#include "core/states.h"
#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define LOG_TAG "pc"

static atomic_uint pc_counter;

/* ---- Names ---------------------------------------------------------------------------- */

const char *mrtc_description_type_name(mrtc_description_type t)
{
    static const char *const names[] = {"",
#define NAME_(name, str) str,
                                        MRTC_DESCRIPTION_TYPE_MAP(NAME_)
#undef NAME_
    };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

int mrtc_description_type_parse(const char *name, mrtc_description_type *out)
{
    if (!name || !out)
        return MRTC_EINVAL;
    for (int t = MRTC_DESCRIPTION_OFFER; t <= MRTC_DESCRIPTION_ROLLBACK; t++) {
        if (strcmp(name, mrtc_description_type_name((mrtc_description_type)t)) == 0) {
            *out = (mrtc_description_type)t;
            return 0;
        }
    }
    return MRTC_EINVAL;
}

const char *mrtc_media_kind_name(mrtc_media_kind k)
{
    return k == MRTC_MEDIA_AUDIO ? "audio" : k == MRTC_MEDIA_VIDEO ? "video" : "?";
}

const char *mrtc_direction_name(mrtc_direction d)
{
    static const char *const names[] = {"",         "sendrecv", "sendonly",
                                        "recvonly", "inactive", "stopped"};
    return (unsigned)d < sizeof names / sizeof names[0] ? names[d] : "?";
}

void mrtc_string_free(char *s)
{
    mrtc_free(s);
}

/* ---- Configuration -------------------------------------------------------------------- */

void mrtc_pc_config_init(mrtc_pc_config *cfg)
{
    *cfg = (mrtc_pc_config){
        .ice_transport_policy = MRTC_ICE_TRANSPORT_POLICY_ALL,
        .bundle_policy = MRTC_BUNDLE_POLICY_MAX_BUNDLE,
        .rtcp_mux_policy = MRTC_RTCP_MUX_POLICY_REQUIRE,
    };
}

void mrtc_offer_options_init(mrtc_offer_options *opts)
{
    *opts = (mrtc_offer_options){.ice_restart = false};
}

void mrtc_transceiver_init_defaults(mrtc_transceiver_init *init)
{
    *init = (mrtc_transceiver_init){.direction = MRTC_DIRECTION_SENDRECV};
}

static int check_config(const mrtc_pc_config *cfg)
{
    if (cfg->bundle_policy != MRTC_BUNDLE_POLICY_MAX_BUNDLE) {
        MRTC_WARN(LOG_TAG, "bundle policy %d not supported (max-bundle only)",
                  (int)cfg->bundle_policy);
        return cfg->bundle_policy <= MRTC_BUNDLE_POLICY_MAX_COMPAT ? MRTC_ENOTSUP : MRTC_EINVAL;
    }
    if (cfg->rtcp_mux_policy != MRTC_RTCP_MUX_POLICY_REQUIRE) {
        MRTC_WARN(LOG_TAG, "rtcp-mux policy must be require");
        return MRTC_EINVAL;
    }
    if (cfg->ice_transport_policy != MRTC_ICE_TRANSPORT_POLICY_ALL) {
        MRTC_WARN(LOG_TAG, "ICE transport policy relay is not supported yet");
        return cfg->ice_transport_policy == MRTC_ICE_TRANSPORT_POLICY_RELAY ? MRTC_ENOTSUP
                                                                            : MRTC_EINVAL;
    }
    if (cfg->ice_candidate_pool_size != 0) {
        MRTC_WARN(LOG_TAG, "ICE candidate pool not supported (size must be 0)");
        return MRTC_ENOTSUP;
    }
    if ((cfg->n_ice_servers && !cfg->ice_servers) ||
        (cfg->n_ice_interfaces && !cfg->ice_interfaces))
        return MRTC_EINVAL;
    return 0;
}

/* ---- Lifetime ------------------------------------------------------------------------- */

static void free_event(pc_event *ev)
{
    mrtc_free(ev->candidate);
    mrtc_free(ev->mid);
    mrtc_free(ev->url);
    mrtc_free(ev->text);
    mrtc_free(ev->data);
}

static void clear_events(mrtc_pc *pc)
{
    for (size_t i = 0; i < pc->ev_len; i++)
        free_event(&pc->evq[(pc->ev_head + i) % pc->ev_cap]);
    pc->ev_head = 0;
    pc->ev_len = 0;
}

static void pc_free(mrtc_pc *pc)
{
    clear_events(pc);
    mrtc_free(pc->evq);
    mrtc_pc_media_free(pc); /* closed before (do_close), or never connected */
    mrtc_pc_transport_close(pc);
    mrtc_pc_dc_free_all(pc);
    mrtc_pc_ice_free(pc);
    mrtc_sdp_free(pc->cur_local);
    mrtc_sdp_free(pc->pend_local);
    mrtc_sdp_free(pc->cur_remote);
    mrtc_sdp_free(pc->pend_remote);
    mrtc_free(pc->last_offer);
    mrtc_sdp_free(pc->last_offer_sdp);
    mrtc_free(pc->last_offer_plan);
    mrtc_free(pc->last_answer);
    mrtc_sdp_free(pc->last_answer_sdp);
    for (mrtc_transceiver *t = pc->tr_head, *next; t; t = next) {
        next = t->next;
        mrtc_pc_media_transceiver_free(t);
        mrtc_free(t);
    }
    for (size_t i = 0; i < pc->n_ice_allow; i++)
        mrtc_free(pc->ice_allow[i]);
    mrtc_free(pc->ice_allow);
    mrtc_cert_free(pc->cert);
    mrtc_free(pc);
}

int mrtc_pc_create(mrtc_io *io, const mrtc_pc_config *cfg, const mrtc_pc_callbacks *cbs, void *user,
                   mrtc_pc **out)
{
    mrtc_pc_config defaults;
    mrtc_pc *pc = NULL;
    int err;
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!io)
        return MRTC_EINVAL;
    if (!cfg) {
        mrtc_pc_config_init(&defaults);
        cfg = &defaults;
    }
    err = check_config(cfg);
    if (err)
        return err;
    pc = mrtc_calloc(1, sizeof *pc);
    if (!pc)
        return MRTC_ENOMEM;
    pc->io = io;
    if (cbs)
        pc->cbs = *cbs;
    pc->user = user;
    snprintf(pc->name, sizeof pc->name, "pc%u", atomic_fetch_add(&pc_counter, 1) + 1);
    pc->signaling = MRTC_SIGNALING_STABLE;
    pc->gathering = MRTC_GATHERING_NEW;
    pc->ice_connection = MRTC_ICE_CONNECTION_NEW;
    pc->connection = MRTC_CONNECTION_NEW;
    pc->sess_id = mrtc_rand_u64(io->rand) >> 2; /* < 2^62, RFC 8829 section 5.2.1 */
    pc->sess_version = 1;
    err = mrtc_pc_ice_configure(pc, cfg);
    if (err)
        goto out;
    if (cfg->certificate)
        pc->cert = mrtc_cert_ref(mrtc_certificate_cert(cfg->certificate));
    else
        err = mrtc_cert_default(&pc->cert);
    if (err) {
        MRTC_ERROR(LOG_TAG, "certificate generation failed");
        goto out;
    }
    mrtc_pc_ice_new_credentials(pc, pc->ufrag, pc->pwd);
    err = io->ops->attach(io, pc);
    if (err)
        goto out;
    MRTC_INFO(LOG_TAG, "%s: created (fingerprint sha-256 %.11s...)", pc->name,
              mrtc_cert_fingerprint(pc->cert));
    *out = pc;
    pc = NULL;
out:
    if (pc)
        pc_free(pc);
    return err;
}

static void do_close(mrtc_pc *pc, mrtc_pc_close_cb close_cb)
{
    MRTC_INFO(LOG_TAG, "%s: closing", pc->name);
    pc->closed = true;
    pc->close_due = true;
    pc->close_cb = close_cb;
    /* W3C close(): states become closed without events; queued events are dropped. */
    if (pc->signaling != MRTC_SIGNALING_CLOSED)
        MRTC_DEBUG("jsep", "%s: signaling %s -> closed", pc->name,
                   mrtc_signaling_state_name(pc->signaling));
    pc->signaling = MRTC_SIGNALING_CLOSED;
    pc->ice_connection = MRTC_ICE_CONNECTION_CLOSED;
    pc->connection = MRTC_CONNECTION_CLOSED;
    pc->negotiation_needed = false;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        t->stopped = true;
        t->current_direction = MRTC_DIRECTION_STOPPED;
    }
    clear_events(pc);
    mrtc_pc_media_close(pc);
    mrtc_pc_transport_close(pc);
    mrtc_pc_ice_free(pc);
    pc->io->ops->unbind_all(pc->io, pc);
    pc->io->ops->wake(pc->io, pc);
}

int mrtc_pc_close(mrtc_pc *pc, mrtc_pc_close_cb close_cb)
{
    if (!pc)
        return MRTC_EINVAL;
    if (pc->closed) {
        mrtc_pc_set_error(pc, "close: already closed");
        return MRTC_ECLOSED;
    }
    do_close(pc, close_cb);
    return 0;
}

void mrtc_pc_close_silently(mrtc_pc *pc)
{
    if (!pc->closed)
        do_close(pc, NULL);
}

void *mrtc_pc_user(const mrtc_pc *pc)
{
    return pc ? pc->user : NULL;
}

const char *mrtc_pc_last_error(const mrtc_pc *pc)
{
    return pc ? pc->last_error : "";
}

void mrtc_pc_set_error(mrtc_pc *pc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pc->last_error, sizeof pc->last_error, fmt, ap);
    va_end(ap);
    MRTC_INFO(LOG_TAG, "%s: %s", pc->name, pc->last_error);
}

const char *mrtc_pc_fingerprint(const mrtc_pc *pc)
{
    return mrtc_cert_fingerprint(pc->cert);
}

void mrtc_pc_get_counters(const mrtc_pc *pc, mrtc_pc_counters *out)
{
    *out = pc->counters;
}

/* ---- The callback queue --------------------------------------------------------------- */

int mrtc_pc_reserve_events(mrtc_pc *pc, size_t n)
{
    if (pc->ev_len + n <= pc->ev_cap)
        return 0;
    size_t cap = pc->ev_cap ? pc->ev_cap : 16;
    while (cap < pc->ev_len + n)
        cap *= 2;
    pc_event *q = mrtc_malloc(cap * sizeof *q);
    if (!q)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < pc->ev_len; i++)
        q[i] = pc->evq[(pc->ev_head + i) % pc->ev_cap];
    mrtc_free(pc->evq);
    pc->evq = q;
    pc->ev_cap = cap;
    pc->ev_head = 0;
    return 0;
}

void mrtc_pc_emit(mrtc_pc *pc, pc_event *ev)
{
    if (pc->closed || mrtc_pc_reserve_events(pc, 1) != 0) {
        if (!pc->closed)
            MRTC_ERROR(LOG_TAG, "%s: out of memory, event %d dropped", pc->name, (int)ev->type);
        free_event(ev);
        return;
    }
    pc->evq[(pc->ev_head + pc->ev_len) % pc->ev_cap] = *ev;
    pc->ev_len++;
}

void mrtc_pc_emit_state(mrtc_pc *pc, pc_ev_type type, int state)
{
    pc_event ev = {.type = type, .state = state, .mline_index = -1};
    mrtc_pc_emit(pc, &ev);
}

bool mrtc_pc_has_events(const mrtc_pc *pc)
{
    return pc->ev_len > 0 || pc->close_due;
}

static void deliver(mrtc_pc *pc, const pc_event *ev)
{
    const mrtc_pc_callbacks *cb = &pc->cbs;
    switch (ev->type) {
    case PC_EV_NEGOTIATION_NEEDED:
        /* W3C "update the negotiation-needed flag", queued task: abort when closed, when
         * the flag was cleared meanwhile, or when not stable (it fires again later). */
        if (!pc->negotiation_needed || pc->signaling != MRTC_SIGNALING_STABLE)
            return;
        if (cb->negotiation_needed)
            cb->negotiation_needed(pc, pc->user);
        break;
    case PC_EV_ICE_CANDIDATE:
        if (cb->ice_candidate)
            cb->ice_candidate(pc, ev->candidate, ev->mid, ev->mline_index, pc->user);
        break;
    case PC_EV_ICE_CANDIDATE_ERROR:
        if (cb->ice_candidate_error) {
            mrtc_ice_candidate_error e = {
                .url = ev->url, .error_code = ev->error_code, .error_text = ev->text};
            cb->ice_candidate_error(pc, &e, pc->user);
        }
        break;
    case PC_EV_SIGNALING:
        if (cb->signaling_state_change)
            cb->signaling_state_change(pc, (mrtc_signaling_state)ev->state, pc->user);
        break;
    case PC_EV_GATHERING:
        if (cb->ice_gathering_state_change)
            cb->ice_gathering_state_change(pc, (mrtc_gathering_state)ev->state, pc->user);
        break;
    case PC_EV_ICE_CONNECTION:
        if (cb->ice_connection_state_change)
            cb->ice_connection_state_change(pc, (mrtc_ice_connection_state)ev->state, pc->user);
        break;
    case PC_EV_CONNECTION:
        if (cb->connection_state_change)
            cb->connection_state_change(pc, (mrtc_connection_state)ev->state, pc->user);
        break;
    case PC_EV_DTLS:
        if (cb->dtls_state_change)
            cb->dtls_state_change(pc, (mrtc_dtls_transport_state)ev->state, pc->user);
        break;
    case PC_EV_SCTP:
        if (cb->sctp_state_change)
            cb->sctp_state_change(pc, (mrtc_sctp_transport_state)ev->state, pc->user);
        break;
    case PC_EV_DATACHANNEL:
    case DC_EV_OPEN:
    case DC_EV_MESSAGE:
    case DC_EV_BUFFERED:
    case DC_EV_ERROR:
    case DC_EV_CLOSING:
    case DC_EV_CLOSE:
        mrtc_pc_dc_deliver(pc, ev);
        break;
    case PC_EV_TRACK:
        if (cb->track && !ev->tr->removed)
            cb->track(pc, ev->tr, pc->user);
        break;
    }
}

bool mrtc_pc_dispatch(mrtc_pc *pc)
{
    if (pc->dispatching)
        return false; /* a nested loop run from inside a callback: the outer one goes on */
    pc->dispatching = true;
    while (!pc->closed && pc->ev_len > 0) {
        pc_event ev = pc->evq[pc->ev_head];
        pc->ev_head = (pc->ev_head + 1) % pc->ev_cap;
        pc->ev_len--;
        deliver(pc, &ev);
        free_event(&ev);
    }
    pc->dispatching = false;
    if (!pc->closed || !pc->close_due)
        return false;
    pc->close_due = false;
    if (pc->close_cb)
        pc->close_cb(pc, pc->user);
    MRTC_DEBUG(LOG_TAG, "%s: freed", pc->name);
    pc->io->ops->detach(pc->io, pc);
    pc_free(pc);
    return true;
}

void mrtc_pc_flush(mrtc_pc *pc)
{
    if (!pc->closed) {
        mrtc_pc_ice_drain(pc);
        mrtc_pc_transport_drain(pc);
        mrtc_pc_ice_update_states(pc);
    }
    pc->io->ops->wake(pc->io, pc);
}

/* ---- JSEP entry points ---------------------------------------------------------------- */

/* Common guard: closed PeerConnections refuse everything. */
static int guard(mrtc_pc *pc, const char *what)
{
    if (pc->closed) {
        mrtc_pc_set_error(pc, "%s: the PeerConnection is closed", what);
        return MRTC_ECLOSED;
    }
    return 0;
}

int mrtc_pc_create_offer(mrtc_pc *pc, const mrtc_offer_options *opts, char **sdp)
{
    if (!pc || !sdp)
        return MRTC_EINVAL;
    *sdp = NULL;
    int err = guard(pc, "create offer");
    if (err)
        return err;
    err = mrtc_jsep_create_offer(pc, opts && opts->ice_restart, sdp);
    mrtc_pc_flush(pc);
    return err;
}

int mrtc_pc_create_answer(mrtc_pc *pc, char **sdp)
{
    if (!pc || !sdp)
        return MRTC_EINVAL;
    *sdp = NULL;
    int err = guard(pc, "create answer");
    if (err)
        return err;
    err = mrtc_jsep_create_answer(pc, sdp);
    mrtc_pc_flush(pc);
    return err;
}

int mrtc_pc_set_local_description(mrtc_pc *pc, mrtc_description_type type, const char *sdp)
{
    if (!pc)
        return MRTC_EINVAL;
    int err = guard(pc, "set local description");
    if (err)
        return err;
    if ((unsigned)type > MRTC_DESCRIPTION_ROLLBACK) {
        mrtc_pc_set_error(pc, "set local description: invalid type %d", (int)type);
        return MRTC_EINVAL;
    }
    err = mrtc_jsep_set_local(pc, type, sdp);
    if (!err) {
        mrtc_pc_transport_update(pc);
        mrtc_pc_media_update(pc);
    }
    mrtc_pc_flush(pc);
    return err;
}

int mrtc_pc_set_remote_description(mrtc_pc *pc, mrtc_description_type type, const char *sdp)
{
    if (!pc)
        return MRTC_EINVAL;
    int err = guard(pc, "set remote description");
    if (err)
        return err;
    if (type < MRTC_DESCRIPTION_OFFER || type > MRTC_DESCRIPTION_ROLLBACK) {
        mrtc_pc_set_error(pc, "set remote description: invalid type %d", (int)type);
        return MRTC_EINVAL;
    }
    err = mrtc_jsep_set_remote(pc, type, sdp);
    if (!err) {
        mrtc_pc_transport_update(pc);
        mrtc_pc_media_update(pc);
    }
    mrtc_pc_flush(pc);
    return err;
}

int mrtc_pc_add_ice_candidate(mrtc_pc *pc, const char *candidate, const char *sdp_mid,
                              int sdp_mline_index)
{
    if (!pc)
        return MRTC_EINVAL;
    int err = guard(pc, "add ICE candidate");
    if (err)
        return err;
    mrtc_sdp *remote = mrtc_jsep_remote(pc);
    if (!remote) {
        /* W3C addIceCandidate step: remoteDescription null -> InvalidStateError. */
        mrtc_pc_set_error(pc, "add ICE candidate: no remote description yet (set the remote "
                              "description first)");
        return MRTC_ESTATE;
    }
    bool end = !candidate || !*candidate;
    if (!end && !sdp_mid && sdp_mline_index < 0) {
        mrtc_pc_set_error(pc, "add ICE candidate: sdpMid and sdpMLineIndex are both null");
        return MRTC_EINVAL;
    }
    /* Find the m-section: the mid wins over the index (W3C). */
    int index = -1;
    if (sdp_mid) {
        for (size_t i = 0; i < remote->media_count; i++) {
            if (remote->media[i]->mid && strcmp(remote->media[i]->mid, sdp_mid) == 0)
                index = (int)i;
        }
        if (index < 0) {
            mrtc_pc_set_error(pc, "add ICE candidate: no m-section with mid \"%s\"", sdp_mid);
            return MRTC_ENOTFOUND;
        }
    } else if (sdp_mline_index >= 0) {
        if ((size_t)sdp_mline_index >= remote->media_count) {
            mrtc_pc_set_error(pc,
                              "add ICE candidate: sdpMLineIndex %d out of range (%zu "
                              "m-sections)",
                              sdp_mline_index, remote->media_count);
            return MRTC_ENOTFOUND;
        }
        index = sdp_mline_index;
    }
    if (end) {
        mrtc_pc_ice_remote_end_of_candidates(pc);
        for (size_t i = 0; i < remote->media_count; i++) {
            if (index < 0 || (size_t)index == i)
                remote->media[i]->end_of_candidates = true;
        }
        mrtc_pc_flush(pc);
        return 0;
    }
    /* With BUNDLE every m-section shares the one transport; a candidate for a rejected
     * m-section is ignored (W3C addIceCandidate: nothing to add it to). */
    if (mrtc_jsep_is_rejected(remote, remote->media[index])) {
        MRTC_DEBUG(LOG_TAG, "%s: candidate for rejected m-section %d ignored", pc->name, index);
        return 0;
    }
    err = mrtc_pc_ice_add_remote_candidate(pc, candidate);
    if (err == 0) {
        const char *v = candidate;
        if (strncmp(v, "a=", 2) == 0)
            v += 2;
        if (strncmp(v, "candidate:", 10) == 0)
            v += 10;
        mrtc_sdp_media *m = remote->media[index]; /* where the application put it */
        char line[MRTC_ICE_CANDIDATE_LINE_MAX];
        snprintf(line, sizeof line, "%s", v);
        line[strcspn(line, "\r\n")] = '\0';
        if (!mrtc_sdp_strlist_has(&m->candidates, line) &&
            mrtc_sdp_media_add_candidate(m, line) != 0)
            MRTC_WARN(LOG_TAG, "%s: out of memory adding the candidate to the description",
                      pc->name);
    }
    mrtc_pc_flush(pc);
    return err;
}

int mrtc_pc_restart_ice(mrtc_pc *pc)
{
    if (!pc)
        return MRTC_EINVAL;
    int err = guard(pc, "restart ICE");
    if (err)
        return err;
    err = mrtc_pc_reserve_events(pc, 1);
    if (err)
        return err;
    /* W3C restartIce(): [[LocalIceCredentialsToReplace]] := the credentials of the current
     * local description (none before the first negotiation), then update the
     * negotiation-needed flag. */
    const pc_gen *g = mrtc_pc_ice_gen_for_description(pc);
    if (pc->cur_local && g && !pc->restart_pending) {
        pc->restart_pending = true;
        snprintf(pc->restart_old_ufrag, sizeof pc->restart_old_ufrag, "%s", g->ufrag);
        pc->restart_ufrag[0] = '\0';
        pc->restart_pwd[0] = '\0';
        MRTC_INFO("jsep", "%s: ICE restart requested", pc->name);
    }
    mrtc_jsep_update_negotiation_needed(pc);
    mrtc_pc_flush(pc);
    return 0;
}

int mrtc_pc_add_data_section(mrtc_pc *pc)
{
    if (!pc)
        return MRTC_EINVAL;
    int err = guard(pc, "add data section");
    if (err)
        return err;
    if (pc->data_wanted)
        return 0;
    err = mrtc_pc_reserve_events(pc, 1);
    if (err)
        return err;
    pc->data_wanted = true;
    mrtc_jsep_update_negotiation_needed(pc);
    mrtc_pc_flush(pc);
    return 0;
}

int mrtc_pc_get_description(const mrtc_pc *pc, mrtc_description_slot slot,
                            mrtc_description_type *type, char **sdp)
{
    if (type)
        *type = MRTC_DESCRIPTION_NONE;
    if (!pc || !sdp)
        return MRTC_EINVAL;
    *sdp = NULL;
    const mrtc_sdp *d = NULL;
    mrtc_description_type t = MRTC_DESCRIPTION_NONE;
    switch (slot) {
    case MRTC_LOCAL_DESCRIPTION:
        d = pc->pend_local ? pc->pend_local : pc->cur_local;
        t = pc->pend_local ? pc->pend_local_type : pc->cur_local_type;
        break;
    case MRTC_CURRENT_LOCAL_DESCRIPTION:
        d = pc->cur_local;
        t = pc->cur_local_type;
        break;
    case MRTC_PENDING_LOCAL_DESCRIPTION:
        d = pc->pend_local;
        t = pc->pend_local_type;
        break;
    case MRTC_REMOTE_DESCRIPTION:
        d = pc->pend_remote ? pc->pend_remote : pc->cur_remote;
        t = pc->pend_remote ? pc->pend_remote_type : pc->cur_remote_type;
        break;
    case MRTC_CURRENT_REMOTE_DESCRIPTION:
        d = pc->cur_remote;
        t = pc->cur_remote_type;
        break;
    case MRTC_PENDING_REMOTE_DESCRIPTION:
        d = pc->pend_remote;
        t = pc->pend_remote_type;
        break;
    default:
        return MRTC_EINVAL;
    }
    if (!d)
        return MRTC_ENOTFOUND;
    *sdp = mrtc_sdp_write(d);
    if (!*sdp)
        return MRTC_ENOMEM;
    if (type)
        *type = t;
    return 0;
}

/* ---- Transceivers --------------------------------------------------------------------- */

int mrtc_pc_add_transceiver(mrtc_pc *pc, mrtc_media_kind kind, const mrtc_transceiver_init *init,
                            mrtc_transceiver **out)
{
    if (out)
        *out = NULL;
    if (!pc)
        return MRTC_EINVAL;
    int err = guard(pc, "add transceiver");
    if (err)
        return err;
    mrtc_direction dir = init ? init->direction : MRTC_DIRECTION_SENDRECV;
    if (kind != MRTC_MEDIA_AUDIO && kind != MRTC_MEDIA_VIDEO) {
        mrtc_pc_set_error(pc, "add transceiver: invalid kind %d", (int)kind);
        return MRTC_EINVAL;
    }
    if (dir < MRTC_DIRECTION_SENDRECV || dir > MRTC_DIRECTION_INACTIVE) {
        mrtc_pc_set_error(pc, "add transceiver: invalid direction %d", (int)dir);
        return MRTC_EINVAL;
    }
    err = mrtc_pc_reserve_events(pc, 1);
    if (err)
        return err;
    mrtc_transceiver *t = mrtc_calloc(1, sizeof *t);
    if (!t)
        return MRTC_ENOMEM;
    t->pc = pc;
    t->kind = kind;
    t->direction = dir;
    t->current_direction = MRTC_DIRECTION_NONE;
    if (pc->tr_tail)
        pc->tr_tail->next = t;
    else
        pc->tr_head = t;
    pc->tr_tail = t;
    MRTC_DEBUG("jsep", "%s: transceiver added (%s, %s)", pc->name, mrtc_media_kind_name(kind),
               mrtc_direction_name(dir));
    mrtc_jsep_update_negotiation_needed(pc);
    mrtc_pc_flush(pc);
    if (out)
        *out = t;
    return 0;
}

size_t mrtc_pc_transceiver_count(const mrtc_pc *pc)
{
    size_t n = 0;
    for (const mrtc_transceiver *t = pc ? pc->tr_head : NULL; t; t = t->next)
        n += !t->removed;
    return n;
}

mrtc_transceiver *mrtc_pc_transceiver_at(const mrtc_pc *pc, size_t i)
{
    for (mrtc_transceiver *t = pc ? pc->tr_head : NULL; t; t = t->next) {
        if (t->removed)
            continue;
        if (i-- == 0)
            return t;
    }
    return NULL;
}

mrtc_media_kind mrtc_transceiver_kind(const mrtc_transceiver *t)
{
    return t->kind;
}

const char *mrtc_transceiver_mid(const mrtc_transceiver *t)
{
    return t->mid[0] ? t->mid : NULL;
}

mrtc_direction mrtc_transceiver_direction(const mrtc_transceiver *t)
{
    return t->direction;
}

mrtc_direction mrtc_transceiver_current_direction(const mrtc_transceiver *t)
{
    return t->current_direction;
}

int mrtc_transceiver_set_direction(mrtc_transceiver *t, mrtc_direction d)
{
    if (!t)
        return MRTC_EINVAL;
    mrtc_pc *pc = t->pc;
    int err = guard(pc, "set direction");
    if (err)
        return err;
    if (d < MRTC_DIRECTION_SENDRECV || d > MRTC_DIRECTION_INACTIVE) {
        mrtc_pc_set_error(pc, "set direction: invalid direction %d", (int)d);
        return MRTC_EINVAL;
    }
    if (t->stopped || t->removed) {
        mrtc_pc_set_error(pc, "set direction: the transceiver is stopped");
        return MRTC_ESTATE;
    }
    err = mrtc_pc_reserve_events(pc, 1);
    if (err)
        return err;
    t->direction = d;
    mrtc_jsep_update_negotiation_needed(pc);
    mrtc_pc_flush(pc);
    return 0;
}

/* ---- States --------------------------------------------------------------------------- */

mrtc_signaling_state mrtc_pc_signaling_state(const mrtc_pc *pc)
{
    return pc->signaling;
}

mrtc_gathering_state mrtc_pc_ice_gathering_state(const mrtc_pc *pc)
{
    return pc->gathering;
}

mrtc_ice_connection_state mrtc_pc_ice_connection_state(const mrtc_pc *pc)
{
    return pc->ice_connection;
}

mrtc_connection_state mrtc_pc_connection_state(const mrtc_pc *pc)
{
    return pc->connection;
}
