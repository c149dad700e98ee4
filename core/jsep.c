/*
 * JSEP (RFC 8829) session negotiation state: the signaling state machine of section 3.2
 * (W3C RTCSignalingState) with every legal transition, applying local and remote
 * descriptions (sections 5.5, 5.6, 5.7 rollback; W3C "set the session description" with
 * implicit setLocalDescription and implicit rollback), transceiver-to-m-section association
 * and the W3C negotiation-needed flag.
 *
 * Every operation checks everything that can fail first (state, syntax, semantics, memory)
 * and only then changes anything, so a failed call leaves the PeerConnection as it was.
 * setLocalDescription accepts only the last created offer/answer (W3C: no SDP munging).
 *
 * Not here: building offers and answers (core/jsep_build.c), validating remote descriptions
 * (core/jsep_check.c), ICE itself (core/pc_ice.c). Not done: transceiver stop(),
 * m-section recycling, msid/track signalling (later issues).
 */
#include "core/pc_impl.h"
#include "core/pc_media.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define LOG_TAG "jsep"

#define S_STABLE MRTC_SIGNALING_STABLE
#define S_HLO MRTC_SIGNALING_HAVE_LOCAL_OFFER
#define S_HRO MRTC_SIGNALING_HAVE_REMOTE_OFFER
#define S_HLP MRTC_SIGNALING_HAVE_LOCAL_PRANSWER
#define S_HRP MRTC_SIGNALING_HAVE_REMOTE_PRANSWER
#define S_CLOSED MRTC_SIGNALING_CLOSED

/* ---- The signaling state machine ------------------------------------------------------ */

/* Every legal transition of RFC 8829 section 3.2 / the W3C state diagram (rollback to
 * stable from any non-stable state, section 5.7; close from anywhere). */
static bool legal(mrtc_signaling_state from, mrtc_signaling_state to)
{
    if (to == S_CLOSED)
        return from != S_CLOSED;
    switch (from) {
    case S_STABLE:
        return to == S_HLO || to == S_HRO;
    case S_HLO:
        return to == S_HLO || to == S_STABLE || to == S_HRP;
    case S_HRO:
        return to == S_HRO || to == S_STABLE || to == S_HLP;
    case S_HLP:
        return to == S_HLP || to == S_STABLE;
    case S_HRP:
        return to == S_HRP || to == S_STABLE;
    case S_CLOSED:
        return false;
    }
    return false;
}

void mrtc_jsep_set_state(mrtc_pc *pc, mrtc_signaling_state to)
{
    mrtc_signaling_state from = pc->signaling;
    assert(legal(from, to));
    if (!legal(from, to)) {
        MRTC_ERROR(LOG_TAG, "%s: illegal signaling transition %s -> %s", pc->name,
                   mrtc_signaling_state_name(from), mrtc_signaling_state_name(to));
        return;
    }
    if (from == to)
        return; /* a re-offer or updated pranswer: no change, no event */
    MRTC_INFO(LOG_TAG, "%s: signaling %s -> %s", pc->name, mrtc_signaling_state_name(from),
              mrtc_signaling_state_name(to));
    pc->signaling = to;
    if (to != S_CLOSED)
        mrtc_pc_emit_state(pc, PC_EV_SIGNALING, to);
}

/* The state a description of `type` leads to, or -1 when it is not allowed (RFC 8829
 * sections 5.5 and 5.6; rollback section 5.7; an offer in have-local-offer applied as a
 * remote description is the W3C implicit rollback). */
static int next_state(mrtc_signaling_state s, bool local, mrtc_description_type type)
{
    switch (type) {
    case MRTC_DESCRIPTION_OFFER:
        if (local)
            return s == S_STABLE || s == S_HLO ? S_HLO : -1;
        return s == S_STABLE || s == S_HRO || s == S_HLO ? S_HRO : -1;
    case MRTC_DESCRIPTION_PRANSWER:
        if (local)
            return s == S_HRO || s == S_HLP ? S_HLP : -1;
        return s == S_HLO || s == S_HRP ? S_HRP : -1;
    case MRTC_DESCRIPTION_ANSWER:
        if (local)
            return s == S_HRO || s == S_HLP ? S_STABLE : -1;
        return s == S_HLO || s == S_HRP ? S_STABLE : -1;
    case MRTC_DESCRIPTION_ROLLBACK:
        return s != S_STABLE && s != S_CLOSED ? S_STABLE : -1;
    default:
        return -1;
    }
}

/* ---- Helpers -------------------------------------------------------------------------- */

mrtc_sdp *mrtc_jsep_local(const mrtc_pc *pc)
{
    return pc->pend_local ? pc->pend_local : pc->cur_local;
}

mrtc_sdp *mrtc_jsep_remote(const mrtc_pc *pc)
{
    return pc->pend_remote ? pc->pend_remote : pc->cur_remote;
}

int mrtc_jsep_bundle_index(const mrtc_sdp *sdp)
{
    const mrtc_sdp_group *g = mrtc_sdp_find_group(sdp, "BUNDLE");
    for (size_t k = 0; g && k < g->mids.count; k++) {
        for (size_t i = 0; i < sdp->media_count; i++) {
            const mrtc_sdp_media *m = sdp->media[i];
            if (m->mid && strcmp(m->mid, g->mids.items[k]) == 0 &&
                (m->port != 0 || mrtc_sdp_media_find_attr(m, "bundle-only")))
                return (int)i;
        }
    }
    for (size_t i = 0; i < sdp->media_count; i++) {
        if (sdp->media[i]->port != 0)
            return (int)i;
    }
    return -1;
}

static mrtc_transceiver *find_by_mid(const mrtc_pc *pc, const char *mid)
{
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (!t->removed && mid && t->mid[0] && strcmp(t->mid, mid) == 0)
            return t;
    }
    return NULL;
}

static mrtc_direction from_sdp_dir(mrtc_sdp_direction d)
{
    switch (d) {
    case MRTC_SDP_SENDRECV:
        return MRTC_DIRECTION_SENDRECV;
    case MRTC_SDP_SENDONLY:
        return MRTC_DIRECTION_SENDONLY;
    case MRTC_SDP_RECVONLY:
        return MRTC_DIRECTION_RECVONLY;
    case MRTC_SDP_INACTIVE:
        return MRTC_DIRECTION_INACTIVE;
    }
    return MRTC_DIRECTION_INACTIVE;
}

static void clear_last_created(mrtc_pc *pc)
{
    mrtc_free(pc->last_offer);
    mrtc_sdp_free(pc->last_offer_sdp);
    mrtc_free(pc->last_offer_plan);
    mrtc_free(pc->last_answer);
    mrtc_sdp_free(pc->last_answer_sdp);
    pc->last_offer = NULL;
    pc->last_offer_sdp = NULL;
    pc->last_offer_plan = NULL;
    pc->last_offer_plan_n = 0;
    pc->last_answer = NULL;
    pc->last_answer_sdp = NULL;
}

/* The ICE ufrag a description uses for its bundle transport, or NULL. */
static const char *desc_ufrag(const mrtc_sdp *sdp)
{
    int bi = sdp ? mrtc_jsep_bundle_index(sdp) : -1;
    if (bi < 0)
        return NULL;
    mrtc_sdp_transport t;
    mrtc_sdp_media_transport(sdp, sdp->media[bi], &t);
    return t.ice_ufrag;
}

/* ---- Negotiation-needed (W3C webrtc-pc 4.7.3) ----------------------------------------- */

static const mrtc_sdp_media *section_of(const mrtc_sdp *sdp, const char *mid)
{
    return sdp && mid && *mid ? mrtc_sdp_find_media(sdp, mid) : NULL;
}

static unsigned dir_bits(mrtc_direction d)
{
    switch (d) {
    case MRTC_DIRECTION_SENDRECV:
        return 3;
    case MRTC_DIRECTION_SENDONLY:
        return 1;
    case MRTC_DIRECTION_RECVONLY:
        return 2;
    default:
        return 0;
    }
}

static mrtc_direction from_bits(unsigned b)
{
    static const mrtc_direction d[4] = {MRTC_DIRECTION_INACTIVE, MRTC_DIRECTION_SENDONLY,
                                        MRTC_DIRECTION_RECVONLY, MRTC_DIRECTION_SENDRECV};
    return d[b & 3];
}

static mrtc_direction reverse_dir(mrtc_direction d)
{
    unsigned b = dir_bits(d);
    return from_bits((b & 1) << 1 | (b & 2) >> 1);
}

bool mrtc_jsep_negotiation_is_needed(const mrtc_pc *pc)
{
    if (pc->restart_pending)
        return true; /* [[LocalIceCredentialsToReplace]] is not empty */
    const mrtc_sdp *desc = pc->cur_local;
    if (pc->data_wanted && !section_of(desc, pc->data_mid))
        return true;
    for (const mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->removed)
            continue;
        const mrtc_sdp_media *m = section_of(desc, t->mid);
        if (t->stopped) {
            if (m && m->port != 0)
                return true;
            continue;
        }
        if (!m)
            return true; /* not yet associated with an m-section */
        if (pc->cur_local_type == MRTC_DESCRIPTION_OFFER) {
            const mrtc_sdp_media *rm = section_of(pc->cur_remote, t->mid);
            bool in_offer = from_sdp_dir(m->direction) == t->direction;
            bool in_answer = rm && reverse_dir(from_sdp_dir(rm->direction)) == t->direction;
            if (!in_offer && !in_answer)
                return true;
        } else {
            const mrtc_sdp_media *om = section_of(pc->cur_remote, t->mid);
            mrtc_direction offered = om ? from_sdp_dir(om->direction) : MRTC_DIRECTION_INACTIVE;
            mrtc_direction want =
                from_bits(dir_bits(t->direction) & dir_bits(reverse_dir(offered)));
            if (m->port != 0 && from_sdp_dir(m->direction) != want)
                return true;
        }
    }
    return false;
}

void mrtc_jsep_update_negotiation_needed(mrtc_pc *pc)
{
    if (pc->closed || pc->signaling != S_STABLE)
        return;
    if (!mrtc_jsep_negotiation_is_needed(pc)) {
        pc->negotiation_needed = false;
        return;
    }
    if (pc->negotiation_needed)
        return;
    pc->negotiation_needed = true;
    MRTC_DEBUG(LOG_TAG, "%s: negotiation needed", pc->name);
    mrtc_pc_emit_state(pc, PC_EV_NEGOTIATION_NEEDED, 0);
}

/* W3C: back in stable, update the flag; if it was set before and still is, fire again. */
static void stable_again(mrtc_pc *pc)
{
    bool before = pc->negotiation_needed;
    mrtc_jsep_update_negotiation_needed(pc);
    if (before && pc->negotiation_needed)
        mrtc_pc_emit_state(pc, PC_EV_NEGOTIATION_NEEDED, 0);
}

/* ---- Rollback (RFC 8829 section 5.7) -------------------------------------------------- */

static void rollback(mrtc_pc *pc)
{
    MRTC_INFO(LOG_TAG, "%s: rollback", pc->name);
    mrtc_sdp_free(pc->pend_local);
    mrtc_sdp_free(pc->pend_remote);
    pc->pend_local = NULL;
    pc->pend_remote = NULL;
    pc->pend_local_type = MRTC_DESCRIPTION_NONE;
    pc->pend_remote_type = MRTC_DESCRIPTION_NONE;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->created_by_pending) {
            /* W3C / RFC 8829 section 4.1.8.2: created by the rolled-back remote offer, it
             * goes, unless addTrack attached a track to it meanwhile: then it stays,
             * without a mid. */
            if (mrtc_pc_media_has_track(t))
                t->stable_mid[0] = '\0';
            else
                t->removed = true;
            t->created_by_pending = false;
        }
        snprintf(t->mid, sizeof t->mid, "%s", t->stable_mid);
    }
    snprintf(pc->data_mid, sizeof pc->data_mid, "%s", pc->data_stable_mid);
    if (pc->gen_next && pc->gen_next_pending) {
        mrtc_pc_ice_gen_free(pc->gen_next);
        pc->gen_next = NULL;
        pc->gen_next_pending = false;
    }
    if (!pc->cur_local && pc->gen) {
        /* The first negotiation is undone: no transport remains (its role is re-decided
         * by the next offer). */
        mrtc_pc_ice_gen_free(pc->gen);
        pc->gen = NULL;
    }
    clear_last_created(pc);
    mrtc_jsep_set_state(pc, S_STABLE);
    mrtc_pc_ice_update_states(pc); /* the transport may be gone: report it before */
    stable_again(pc);
}

/* ---- Completing a negotiation --------------------------------------------------------- */

/* Directions and association after an answer (local_answer: we answered). */
static void apply_answer_directions(mrtc_pc *pc, const mrtc_sdp *answer, bool local_answer)
{
    for (size_t i = 0; i < answer->media_count; i++) {
        const mrtc_sdp_media *m = answer->media[i];
        mrtc_transceiver *t = find_by_mid(pc, m->mid);
        if (!t)
            continue;
        if (m->port == 0) {
            t->stopped = true; /* rejected: the transceiver is stopped */
            t->direction = MRTC_DIRECTION_STOPPED;
            t->current_direction = MRTC_DIRECTION_STOPPED;
            continue;
        }
        mrtc_direction d = from_sdp_dir(m->direction);
        t->current_direction = local_answer ? d : reverse_dir(d);
    }
}

static void commit_stable(mrtc_pc *pc)
{
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        snprintf(t->stable_mid, sizeof t->stable_mid, "%s", t->mid);
        t->created_by_pending = false;
    }
    snprintf(pc->data_stable_mid, sizeof pc->data_stable_mid, "%s", pc->data_mid);
    pc->gen_next_pending = false;
    /* [[LocalIceCredentialsToReplace]] is emptied once the negotiated local credentials
     * are not the ones it holds (our restart offer was answered, or the peer restarted). */
    const char *uf = desc_ufrag(pc->cur_local);
    if (pc->restart_pending && uf && strcmp(uf, pc->restart_old_ufrag) != 0) {
        pc->restart_pending = false;
        pc->restart_old_ufrag[0] = '\0';
    }
    if (!pc->restart_pending) {
        pc->restart_ufrag[0] = '\0'; /* used (or not needed): the next restart draws anew */
        pc->restart_pwd[0] = '\0';
    }
    clear_last_created(pc);
}

/* ---- setLocalDescription -------------------------------------------------------------- */

static int apply_local_offer(mrtc_pc *pc)
{
    mrtc_sdp *offer = pc->last_offer_sdp;
    const char *uf = desc_ufrag(offer);
    pc_gen *new_gen = NULL;
    bool restart = false;
    /* Fallible preparation: the ICE generation this offer's credentials belong to. */
    if (uf) {
        if (!pc->gen) {
            new_gen = mrtc_pc_ice_gen_new(pc, pc->ufrag, pc->pwd, true);
        } else if (strcmp(uf, mrtc_pc_ice_gen_for_description(pc)->ufrag) != 0) {
            restart = true;
            new_gen = mrtc_pc_ice_gen_new(pc, pc->restart_ufrag, pc->restart_pwd, true);
        }
        if ((!pc->gen || restart) && !new_gen) {
            mrtc_pc_set_error(pc, "set local offer: out of memory");
            return MRTC_ENOMEM;
        }
    }
    /* Commit. */
    if (new_gen && !restart) {
        pc->gen = new_gen;
    } else if (new_gen) {
        mrtc_pc_ice_gen_free(pc->gen_next);
        pc->gen_next = new_gen;
        pc->gen_next_pending = true;
        MRTC_INFO(LOG_TAG, "%s: ICE restart offer applied (ufrag %s)", pc->name, uf);
    }
    for (size_t i = 0; i < offer->media_count && i < pc->last_offer_plan_n; i++) {
        mrtc_transceiver *t = pc->last_offer_plan[i];
        const mrtc_sdp_media *m = offer->media[i];
        if (t && m->mid)
            snprintf(t->mid, sizeof t->mid, "%s", m->mid);
        else if (m->kind == MRTC_SDP_APPLICATION && m->mid)
            snprintf(pc->data_mid, sizeof pc->data_mid, "%s", m->mid);
    }
    mrtc_sdp_free(pc->pend_local);
    pc->pend_local = offer;
    pc->pend_local_type = MRTC_DESCRIPTION_OFFER;
    pc->last_offer_sdp = NULL;
    clear_last_created(pc);
    mrtc_jsep_set_state(pc, S_HLO);
    const pc_gen *g = mrtc_pc_ice_gen_for_description(pc);
    if (g)
        mrtc_pc_ice_gather(pc, (pc_gen *)g);
    return 0;
}

/* Applies an answer or pranswer, local or remote (JSEP 5.10/5.11). A final answer completes
 * the negotiation: the pending offer and the answer become the current descriptions, the old
 * current ones and a superseded pranswer are freed, and the state returns to stable. A
 * pranswer replaces the pending description on its side. Takes ownership of `answer`. */
static void apply_answer(mrtc_pc *pc, mrtc_sdp *answer, mrtc_description_type type, bool local)
{
    mrtc_sdp **own = local ? &pc->pend_local : &pc->pend_remote;
    mrtc_description_type *own_type = local ? &pc->pend_local_type : &pc->pend_remote_type;
    if (type != MRTC_DESCRIPTION_ANSWER) {
        mrtc_sdp_free(*own);
        *own = answer;
        *own_type = MRTC_DESCRIPTION_PRANSWER;
        apply_answer_directions(pc, answer, local);
        mrtc_jsep_set_state(pc, local ? S_HLP : S_HRP);
        return;
    }
    mrtc_sdp_free(pc->cur_local);
    mrtc_sdp_free(pc->cur_remote);
    mrtc_sdp_free(*own); /* a pranswer from our side, superseded */
    *own = answer;
    *own_type = MRTC_DESCRIPTION_ANSWER;
    pc->cur_local = pc->pend_local;
    pc->cur_local_type = pc->pend_local_type;
    pc->cur_remote = pc->pend_remote;
    pc->cur_remote_type = pc->pend_remote_type;
    pc->pend_local = NULL;
    pc->pend_remote = NULL;
    pc->pend_local_type = MRTC_DESCRIPTION_NONE;
    pc->pend_remote_type = MRTC_DESCRIPTION_NONE;
    apply_answer_directions(pc, answer, local);
    commit_stable(pc);
    mrtc_jsep_set_state(pc, S_STABLE);
}

static int apply_local_answer(mrtc_pc *pc, mrtc_description_type type)
{
    mrtc_sdp *answer = pc->last_answer_sdp;
    pc->last_answer_sdp = NULL;
    clear_last_created(pc);
    apply_answer(pc, answer, type, true);
    pc_gen *gens[2] = {pc->gen, pc->gen_next};
    for (int i = 0; i < 2; i++) {
        if (gens[i])
            mrtc_pc_ice_gather(pc, gens[i]);
    }
    if (pc->signaling == S_STABLE)
        stable_again(pc);
    return 0;
}

int mrtc_jsep_set_local(mrtc_pc *pc, mrtc_description_type type, const char *sdp)
{
    bool implicit = type != MRTC_DESCRIPTION_ROLLBACK && (!sdp || !*sdp);
    if (implicit && type == MRTC_DESCRIPTION_NONE) {
        mrtc_signaling_state s = pc->signaling;
        type = s == S_STABLE || s == S_HLO || s == S_HRP ? MRTC_DESCRIPTION_OFFER
                                                         : MRTC_DESCRIPTION_ANSWER;
    }
    if (type == MRTC_DESCRIPTION_NONE) {
        mrtc_pc_set_error(pc, "set local description: a description with SDP needs a type");
        return MRTC_EINVAL;
    }
    if (next_state(pc->signaling, true, type) < 0) {
        mrtc_pc_set_error(pc, "set local %s: not allowed in signaling state %s",
                          mrtc_description_type_name(type),
                          mrtc_signaling_state_name(pc->signaling));
        return MRTC_ESTATE;
    }
    int err = mrtc_pc_reserve_events(pc, 16);
    if (err)
        return err;
    if (type == MRTC_DESCRIPTION_ROLLBACK) {
        rollback(pc);
        return 0;
    }
    if (implicit) {
        char *text = NULL;
        err = type == MRTC_DESCRIPTION_OFFER ? mrtc_jsep_create_offer(pc, false, &text)
                                             : mrtc_jsep_create_answer(pc, &text);
        mrtc_free(text);
        if (err)
            return err;
    } else {
        const char *last = type == MRTC_DESCRIPTION_OFFER ? pc->last_offer : pc->last_answer;
        if (!last || strcmp(last, sdp) != 0) {
            mrtc_pc_set_error(pc,
                              "set local %s: the SDP is not the last created %s (modified "
                              "SDP is not accepted)",
                              mrtc_description_type_name(type),
                              type == MRTC_DESCRIPTION_OFFER ? "offer" : "answer");
            return MRTC_EINVAL;
        }
    }
    if (type == MRTC_DESCRIPTION_OFFER)
        return apply_local_offer(pc);
    return apply_local_answer(pc, type);
}

/* ---- setRemoteDescription ------------------------------------------------------------- */

bool mrtc_jsep_is_rejected(const mrtc_sdp *sdp, const mrtc_sdp_media *m)
{
    if (m->port != 0)
        return false;
    const mrtc_sdp_group *g = mrtc_sdp_find_group(sdp, "BUNDLE");
    return !(g && m->mid && mrtc_sdp_strlist_has(&g->mids, m->mid) &&
             mrtc_sdp_media_find_attr(m, "bundle-only"));
}

/* Creates (recvonly) transceivers for the offer's audio/video m-sections that have none,
 * W3C "set the session description" step for remote offers. */
static int associate_remote_offer(mrtc_pc *pc, const mrtc_sdp *offer)
{
    /* Pre-allocate the transceivers the offer needs so nothing fails half-way. */
    size_t need = 0;
    for (size_t i = 0; i < offer->media_count; i++) {
        const mrtc_sdp_media *m = offer->media[i];
        if ((m->kind == MRTC_SDP_AUDIO || m->kind == MRTC_SDP_VIDEO) &&
            !mrtc_jsep_is_rejected(offer, m) && !find_by_mid(pc, m->mid))
            need++;
    }
    mrtc_transceiver **fresh = NULL;
    if (need) {
        fresh = mrtc_calloc(need, sizeof *fresh);
        if (!fresh)
            return MRTC_ENOMEM;
        for (size_t k = 0; k < need; k++) {
            fresh[k] = mrtc_calloc(1, sizeof **fresh);
            if (!fresh[k]) {
                for (size_t j = 0; j < k; j++)
                    mrtc_free(fresh[j]);
                mrtc_free(fresh);
                return MRTC_ENOMEM;
            }
        }
    }
    size_t used = 0;
    for (size_t i = 0; i < offer->media_count; i++) {
        const mrtc_sdp_media *m = offer->media[i];
        if (m->kind == MRTC_SDP_APPLICATION) {
            if (!mrtc_jsep_is_rejected(offer, m) && m->mid)
                snprintf(pc->data_mid, sizeof pc->data_mid, "%s", m->mid);
            continue;
        }
        if ((m->kind != MRTC_SDP_AUDIO && m->kind != MRTC_SDP_VIDEO) ||
            mrtc_jsep_is_rejected(offer, m) || find_by_mid(pc, m->mid))
            continue;
        /* W3C: transceivers made by addTransceiver() are not reused for a remote offer;
         * (addTrack does not exist yet) so a new recvonly transceiver is created. */
        mrtc_transceiver *t = fresh[used++];
        t->pc = pc;
        t->kind = m->kind == MRTC_SDP_AUDIO ? MRTC_MEDIA_AUDIO : MRTC_MEDIA_VIDEO;
        t->direction = MRTC_DIRECTION_RECVONLY;
        t->current_direction = MRTC_DIRECTION_NONE;
        t->created_by_pending = true;
        snprintf(t->mid, sizeof t->mid, "%s", m->mid);
        if (pc->tr_tail)
            pc->tr_tail->next = t;
        else
            pc->tr_head = t;
        pc->tr_tail = t;
        MRTC_DEBUG(LOG_TAG, "%s: transceiver created for remote %s m-section mid %s", pc->name,
                   m->type, m->mid);
    }
    mrtc_free(fresh);
    return 0;
}

static int apply_remote_offer(mrtc_pc *pc, mrtc_sdp *offer)
{
    const char *uf = desc_ufrag(offer);
    pc_gen *new_gen = NULL;
    bool restart = false;
    if (uf) {
        if (!pc->gen) {
            new_gen = mrtc_pc_ice_gen_new(pc, pc->ufrag, pc->pwd, false);
        } else {
            const pc_gen *g = mrtc_pc_ice_gen_for_description(pc);
            if (g->remote_ufrag[0] && strcmp(g->remote_ufrag, uf) != 0) {
                /* The peer restarts ICE (RFC 8445 section 9): new local credentials too. */
                char ufrag[PC_CRED_MAX], pwd[PC_CRED_MAX];
                mrtc_pc_ice_new_credentials(pc, ufrag, pwd);
                restart = true;
                new_gen = mrtc_pc_ice_gen_new(pc, ufrag, pwd, false);
            }
        }
        if ((!pc->gen || restart) && !new_gen) {
            mrtc_pc_set_error(pc, "set remote offer: out of memory");
            return MRTC_ENOMEM;
        }
    }
    int err = associate_remote_offer(pc, offer);
    if (err) {
        mrtc_pc_ice_gen_free(new_gen);
        mrtc_pc_set_error(pc, "set remote offer: out of memory");
        return err;
    }
    if (new_gen && !restart) {
        pc->gen = new_gen;
    } else if (new_gen) {
        /* A previous restart that has not connected yet (or is still pending) is dropped;
         * the current generation keeps the working pair. */
        mrtc_pc_ice_gen_free(pc->gen_next);
        pc->gen_next = new_gen;
        pc->gen_next_pending = true;
        MRTC_INFO(LOG_TAG, "%s: remote ICE restart (ufrag %s)", pc->name, uf);
    }
    mrtc_sdp_free(pc->pend_remote);
    pc->pend_remote = offer;
    pc->pend_remote_type = MRTC_DESCRIPTION_OFFER;
    mrtc_jsep_set_state(pc, S_HRO);
    pc_gen *g = (pc_gen *)mrtc_pc_ice_gen_for_description(pc);
    if (g)
        mrtc_pc_ice_apply_remote(pc, g, offer);
    return 0;
}

static int apply_remote_answer(mrtc_pc *pc, mrtc_sdp *answer, mrtc_description_type type)
{
    pc_gen *g = (pc_gen *)mrtc_pc_ice_gen_for_description(pc);
    apply_answer(pc, answer, type, false);
    if (g)
        mrtc_pc_ice_apply_remote(pc, g, answer);
    if (pc->signaling == S_STABLE)
        stable_again(pc);
    return 0;
}

int mrtc_jsep_set_remote(mrtc_pc *pc, mrtc_description_type type, const char *text)
{
    const char *tname = mrtc_description_type_name(type);
    if (next_state(pc->signaling, false, type) < 0) {
        mrtc_pc_set_error(pc, "set remote %s: not allowed in signaling state %s", tname,
                          mrtc_signaling_state_name(pc->signaling));
        return MRTC_ESTATE;
    }
    int err = mrtc_pc_reserve_events(pc, 16);
    if (err)
        return err;
    if (type == MRTC_DESCRIPTION_ROLLBACK) {
        rollback(pc);
        return 0;
    }
    if (!text || !*text) {
        mrtc_pc_set_error(pc, "set remote %s: the SDP is empty", tname);
        return MRTC_EINVAL;
    }
    mrtc_sdp *sdp = NULL;
    mrtc_sdp_error perr = {0};
    err = mrtc_sdp_parse(text, strlen(text), &sdp, &perr);
    if (err) {
        if (err == MRTC_ESDP)
            mrtc_pc_set_error(pc, "set remote %s: %s", tname, perr.message);
        else
            mrtc_pc_set_error(pc, "set remote %s: %s", tname, mrtc_strerror(err));
        return err;
    }
    err = mrtc_jsep_check_remote(pc, type, sdp, text);
    if (err) {
        mrtc_sdp_free(sdp);
        return err;
    }
    if (type == MRTC_DESCRIPTION_OFFER) {
        if (pc->signaling == S_HLO) {
            MRTC_INFO(LOG_TAG, "%s: remote offer in have-local-offer: implicit rollback", pc->name);
            rollback(pc);
        }
        err = apply_remote_offer(pc, sdp);
    } else {
        err = apply_remote_answer(pc, sdp, type);
    }
    if (err)
        mrtc_sdp_free(sdp);
    return err;
}
