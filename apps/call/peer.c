/*
 * One remote participant of meshrtc-call: its PeerConnection and the negotiation with it,
 * following the W3C "perfect negotiation" example (webrtc-pc section 10.7) with implicit
 * setLocalDescription. Because the library's calls are synchronous, the example's
 * `makingOffer` is never true when a message is handled, so an offer collides exactly when
 * the signaling state is not stable: the impolite side (joined first) ignores it, the
 * polite side applies it (the library rolls the local offer back implicitly) and answers.
 * Remote candidates that arrive before a remote description are queued and added once one
 * is applied. Every state change (the DTLS and SCTP transports' too) is printed and recorded
 * in the report. The offerer creates the "chat" data channel before its first offer
 * (chat.c); channels the peer opens are dispatched by label and protocol: "chat" to chat.c,
 * meshrtc-file/1 to xfer.c, anything else is logged and left alone.
 *
 * Media is media.c's: the offerer adds the local tracks (or recvonly transceivers) before
 * its first offer, the answerer adds its tracks after applying an offer, and the track event
 * goes to media.c. It does not restart ICE; a malformed description or candidate is logged
 * and dropped, never fatal.
 */
#include "apps/call/call.h"

#include "apps/call/dcmsg.h"
#include "apps/call/http_signal.h"
#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"

#include <stdio.h>
#include <string.h>

#define MAX_QUEUED_CANDIDATES 256

typedef struct queued_candidate {
    struct queued_candidate *next;
    char *candidate; /* NULL: end of candidates */
    char *mid;       /* NULL: null */
    int mline;       /* -1: null */
} queued_candidate;

/* ---- helpers ---- */

void peer_record(call_peer *p, const char *kind, const char *state)
{
    call *c = p->call;
    double t = call_now_ms(c);
    if (p->rp && report_peer_state(p->rp, t, kind, state) != 0)
        call_warn(c, "%s: out of memory recording a state", p->label);
    call_say(c, "%s %s: %s", p->label, kind, state);
}

static void set_role(call_peer *p, const char *role, bool final)
{
    if (p->negotiated || !p->rp)
        return;
    report_peer_set_role(p->rp, role);
    p->negotiated = final;
}

static bool has_remote_description(const call_peer *p)
{
    char *sdp = NULL;
    mrtc_description_type type = MRTC_DESCRIPTION_NONE;
    int err = mrtc_pc_get_description(p->pc, MRTC_REMOTE_DESCRIPTION, &type, &sdp);
    mrtc_string_free(sdp);
    return err == 0;
}

/* Sends our current local description ({"description":{"type":...,"sdp":...}}). */
static void send_local_description(call_peer *p)
{
    call *c = p->call;
    char *sdp = NULL;
    mrtc_description_type type = MRTC_DESCRIPTION_NONE;
    int err = mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp);
    if (err) {
        call_warn(c, "%s: no local description to send: %s", p->label, mrtc_strerror(err));
        return;
    }
    json_t *data = json_pack("{s:{s:s, s:s}}", "description", "type",
                             mrtc_description_type_name(type), "sdp", sdp);
    mrtc_string_free(sdp);
    if (!data) {
        call_warn(c, "%s: out of memory sending a description", p->label);
        return;
    }
    call_send(c, p->id, data);
    json_decref(data);
}

/* The selected pair, recorded when it exists; printed when it is new or changed. */
static void update_pair(call_peer *p, bool print)
{
    mrtc_ice_transport_info info;
    if (!p->rp || mrtc_pc_get_ice_transport(p->pc, &info) != 0 || !info.has_selected_pair)
        return;
    const mrtc_ice_candidate_info *src[2] = {&info.local, &info.remote};
    report_endpoint *dst[2] = {&p->rp->local, &p->rp->remote};
    for (int i = 0; i < 2; i++) {
        snprintf(dst[i]->address, sizeof(dst[i]->address), "%s", src[i]->address);
        dst[i]->port = src[i]->port;
        snprintf(dst[i]->protocol, sizeof(dst[i]->protocol), "%s", src[i]->protocol);
        snprintf(dst[i]->type, sizeof(dst[i]->type), "%s", src[i]->type);
    }
    p->rp->has_pair = true;
    bool changed = !p->pair_printed ||
                   memcmp(&p->last_local, &p->rp->local, sizeof(p->last_local)) != 0 ||
                   memcmp(&p->last_remote, &p->rp->remote, sizeof(p->last_remote)) != 0;
    if (print && changed) {
        const report_endpoint *l = &p->rp->local, *r = &p->rp->remote;
        call_say(p->call, "%s selected pair: %s:%u %s %s <-> %s:%u %s %s", p->label, l->address,
                 l->port, l->protocol, l->type, r->address, r->port, r->protocol, r->type);
        p->pair_printed = true;
        p->last_local = *l;
        p->last_remote = *r;
    }
}

/* ---- queued candidates ---- */

static void queue_clear(call_peer *p)
{
    while (p->queue) {
        queued_candidate *q = p->queue;
        p->queue = q->next;
        mem_free(q->candidate);
        mem_free(q->mid);
        mem_free(q);
    }
    p->queue_tail = &p->queue;
    p->n_queued = 0;
}

static void add_candidate(call_peer *p, const char *cand, const char *mid, int mline)
{
    int err = mrtc_pc_add_ice_candidate(p->pc, cand, mid, mline);
    if (err && !p->ignore_offer)
        call_warn(p->call, "%s: remote candidate refused (%s): %s", p->label, mrtc_err_name(err),
                  mrtc_pc_last_error(p->pc));
}

static void queue_push(call_peer *p, const char *cand, const char *mid, int mline)
{
    if (p->n_queued >= MAX_QUEUED_CANDIDATES) {
        call_warn(p->call, "%s: too many candidates before a remote description; dropped",
                  p->label);
        return;
    }
    queued_candidate *q = mem_calloc(1, sizeof(*q));
    if (!q || (cand && !(q->candidate = mem_strdup(cand))) ||
        (mid && !(q->mid = mem_strdup(mid)))) {
        if (q) {
            mem_free(q->candidate);
            mem_free(q);
        }
        call_warn(p->call, "%s: out of memory queueing a candidate", p->label);
        return;
    }
    q->mline = mline;
    *p->queue_tail = q;
    p->queue_tail = &q->next;
    p->n_queued++;
}

static void queue_flush(call_peer *p)
{
    queued_candidate *q = p->queue;
    p->queue = NULL;
    p->queue_tail = &p->queue;
    p->n_queued = 0;
    while (q) {
        queued_candidate *next = q->next;
        if (!p->closing)
            add_candidate(p, q->candidate, q->mid, q->mline);
        mem_free(q->candidate);
        mem_free(q->mid);
        mem_free(q);
        q = next;
    }
}

/* ---- PeerConnection callbacks ---- */

static void on_negotiation_needed(mrtc_pc *pc, void *user)
{
    call_peer *p = user;
    if (mrtc_pc_signaling_state(pc) != MRTC_SIGNALING_STABLE)
        return; /* a browser checks this too before firing the event */
    int err = mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL);
    if (err) {
        call_warn(p->call, "%s: creating the offer failed (%s): %s", p->label, mrtc_err_name(err),
                  mrtc_pc_last_error(pc));
        return;
    }
    set_role(p, "offerer", false);
    send_local_description(p);
}

static void on_ice_candidate(mrtc_pc *pc, const char *candidate, const char *sdp_mid,
                             int sdp_mline_index, void *user)
{
    call_peer *p = user;
    json_t *data;
    if (!candidate) {
        data = json_pack("{s:n}", "candidate");
    } else {
        data = json_pack("{s:{s:s, s:s?, s:o}}", "candidate", "candidate", candidate, "sdpMid",
                         sdp_mid, "sdpMLineIndex",
                         sdp_mline_index >= 0 ? json_integer(sdp_mline_index) : json_null());
    }
    (void)pc;
    if (!data) {
        call_warn(p->call, "%s: out of memory sending a candidate", p->label);
        return;
    }
    call_send(p->call, p->id, data);
    json_decref(data);
}

static void on_ice_candidate_error(mrtc_pc *pc, const mrtc_ice_candidate_error *e, void *user)
{
    (void)pc;
    call_peer *p = user;
    call_warn(p->call, "%s: ICE server %s not usable: %d %s", p->label, e->url ? e->url : "?",
              e->error_code, e->error_text ? e->error_text : "");
}

static void on_signaling(mrtc_pc *pc, mrtc_signaling_state s, void *user)
{
    (void)pc;
    peer_record(user, "signaling", mrtc_signaling_state_name(s));
}

static void on_gathering(mrtc_pc *pc, mrtc_gathering_state s, void *user)
{
    (void)pc;
    peer_record(user, "ice-gathering", mrtc_gathering_state_name(s));
    if (s == MRTC_GATHERING_COMPLETE)
        http_signal_gathered(user); /* SDP over HTTP: the description goes out now */
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state s, void *user)
{
    (void)pc;
    call_peer *p = user;
    peer_record(p, "ice", mrtc_ice_connection_state_name(s));
    if (s == MRTC_ICE_CONNECTION_CONNECTED || s == MRTC_ICE_CONNECTION_COMPLETED)
        update_pair(p, true);
}

static void on_connection(mrtc_pc *pc, mrtc_connection_state s, void *user)
{
    (void)pc;
    peer_record(user, "connection", mrtc_connection_state_name(s));
}

static void on_dtls(mrtc_pc *pc, mrtc_dtls_transport_state s, void *user)
{
    (void)pc;
    call_peer *p = user;
    p->dtls_live = s != MRTC_DTLS_TRANSPORT_CLOSED;
    peer_record(p, "dtls", mrtc_dtls_transport_state_name(s));
    if (s == MRTC_DTLS_TRANSPORT_CLOSED)
        http_signal_hangup(p); /* SDP over HTTP: no room says the peer left; its DTLS did */
}

static void on_sctp(mrtc_pc *pc, mrtc_sctp_transport_state s, void *user)
{
    (void)pc;
    call_peer *p = user;
    p->sctp_live = s != MRTC_SCTP_TRANSPORT_CLOSED;
    peer_record(p, "sctp", mrtc_sctp_transport_state_name(s));
}

static void on_track(mrtc_pc *pc, mrtc_transceiver *t, void *user)
{
    (void)pc;
    media_on_track(user, t);
}

static void on_datachannel(mrtc_pc *pc, mrtc_datachannel *dc, void *user)
{
    (void)pc;
    call_peer *p = user;
    const char *label = mrtc_datachannel_label(dc);
    const char *protocol = mrtc_datachannel_protocol(dc);
    label = label ? label : "";
    protocol = protocol ? protocol : "";
    if (strcmp(protocol, DCMSG_FILE_PROTOCOL) == 0) {
        xfer_accept(p, dc);
    } else if (strcmp(label, DCMSG_CHAT_LABEL) == 0 && !p->chat) {
        chat_adopt(p, dc);
    } else {
        char l[64], pr[64];
        dcmsg_printable(l, sizeof(l), (const uint8_t *)label, strlen(label));
        dcmsg_printable(pr, sizeof(pr), (const uint8_t *)protocol, strlen(protocol));
        call_warn(p->call, "%s opened data channel '%s' (protocol '%s'): ignored", p->label, l, pr);
    }
}

/* ---- signals from the peer ---- */

static void on_description(call_peer *p, const json_t *desc)
{
    call *c = p->call;
    const char *type_name = jsonutil_string(desc, "type");
    const char *sdp = jsonutil_string(desc, "sdp");
    mrtc_description_type type;
    if (!json_is_object(desc) || !type_name || mrtc_description_type_parse(type_name, &type) != 0 ||
        type == MRTC_DESCRIPTION_NONE) {
        call_warn(c, "%s: malformed description ignored (no valid \"type\")", p->label);
        return;
    }
    if (type != MRTC_DESCRIPTION_ROLLBACK && !sdp) {
        call_warn(c, "%s: %s without \"sdp\" ignored", p->label, type_name);
        return;
    }

    bool collision =
        type == MRTC_DESCRIPTION_OFFER && mrtc_pc_signaling_state(p->pc) != MRTC_SIGNALING_STABLE;
    p->ignore_offer = !p->polite && collision;
    if (p->ignore_offer) {
        call_say(c, "%s glare: ignoring the colliding offer (impolite)", p->label);
        return;
    }
    if (collision)
        call_say(c, "%s glare: rolling back our offer (polite)", p->label);

    int err = mrtc_pc_set_remote_description(p->pc, type, sdp);
    if (err) {
        call_warn(c, "%s: remote %s refused (%s): %s", p->label, type_name, mrtc_err_name(err),
                  mrtc_pc_last_error(p->pc));
        return;
    }
    if (has_remote_description(p))
        queue_flush(p);

    if (type == MRTC_DESCRIPTION_OFFER) {
        set_role(p, "answerer", false);
        media_peer_answer(p); /* addTrack() before the answer, as a browser would */
        err = mrtc_pc_set_local_description(p->pc, MRTC_DESCRIPTION_NONE, NULL);
        if (err) {
            call_warn(c, "%s: answering failed (%s): %s", p->label, mrtc_err_name(err),
                      mrtc_pc_last_error(p->pc));
            return;
        }
        set_role(p, "answerer", true);
        send_local_description(p);
    } else if (type == MRTC_DESCRIPTION_ANSWER) {
        set_role(p, "offerer", true);
    }
}

static void on_candidate(call_peer *p, const json_t *cand)
{
    const char *text = NULL, *mid = NULL;
    int mline = -1;
    if (json_is_null(cand)) {
        /* end of candidates: both selectors null */
    } else if (json_is_object(cand)) {
        json_t *jc = json_object_get(cand, "candidate");
        json_t *jm = json_object_get(cand, "sdpMid");
        json_t *ji = json_object_get(cand, "sdpMLineIndex");
        bool ok = json_is_string(jc) && (!jm || json_is_null(jm) || json_is_string(jm)) &&
                  (!ji || json_is_null(ji) ||
                   (json_is_integer(ji) && json_integer_value(ji) >= 0 &&
                    json_integer_value(ji) <= 65535));
        if (!ok) {
            call_warn(p->call, "%s: malformed candidate ignored", p->label);
            return;
        }
        text = json_string_value(jc);
        mid = json_is_string(jm) ? json_string_value(jm) : NULL;
        mline = json_is_integer(ji) ? (int)json_integer_value(ji) : -1;
        if (!*text)
            text = NULL; /* "" is the browsers' end-of-candidates for one m-section */
    } else {
        call_warn(p->call, "%s: malformed candidate ignored", p->label);
        return;
    }
    if (!has_remote_description(p))
        queue_push(p, text, mid, mline);
    else
        add_candidate(p, text, mid, mline);
}

void peer_on_signal(call_peer *p, const json_t *data)
{
    if (p->closing)
        return;
    json_t *desc = json_object_get(data, "description");
    json_t *cand = json_object_get(data, "candidate");
    if (desc)
        on_description(p, desc);
    else if (cand)
        on_candidate(p, cand);
    else
        call_warn(p->call, "%s: signal without description or candidate ignored", p->label);
}

/* ---- lifetime ---- */

call_peer *peer_find(const call *c, const char *id)
{
    for (call_peer *p = c->peers; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

static void peer_free(call_peer *p)
{
    queue_clear(p);
    media_peer_free(p);
    mem_free(p->id);
    mem_free(p);
}

static void unlink_peer(call_peer *p)
{
    for (call_peer **pp = &p->call->peers; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

call_peer *peer_create(call *c, const char *id, const char *name, bool polite, bool offerer)
{
    call_peer *p = mem_calloc(1, sizeof(*p));
    if (p)
        p->id = mem_strdup(id);
    if (!p || !p->id) {
        if (p)
            peer_free(p);
        call_warn(c, "out of memory creating a peer");
        return NULL;
    }
    call_label(p->label, sizeof(p->label), id, name);
    const char *shown = name && *name ? name : id;
    dcmsg_printable(p->name, sizeof(p->name), (const uint8_t *)shown, strlen(shown));
    p->call = c;
    p->polite = polite;
    p->queue_tail = &p->queue;

    mrtc_pc_callbacks cbs = {
        .negotiation_needed = on_negotiation_needed,
        .ice_candidate = on_ice_candidate,
        .ice_candidate_error = on_ice_candidate_error,
        .signaling_state_change = on_signaling,
        .ice_gathering_state_change = on_gathering,
        .ice_connection_state_change = on_ice,
        .connection_state_change = on_connection,
        .datachannel = on_datachannel,
        .dtls_state_change = on_dtls,
        .sctp_state_change = on_sctp,
        .track = on_track,
    };
    mrtc_pc_config cfg;
    call_pc_config(c, &cfg, true);
    int err = mrtc_pc_new(c->rt, &cfg, &cbs, p, &p->pc);
    if (err == MRTC_EINVAL && cfg.n_ice_servers > 0) {
        call_warn(c, "the room's ICE servers were refused; continuing without them");
        c->ice_servers_refused = true;
        call_pc_config(c, &cfg, false);
        err = mrtc_pc_new(c->rt, &cfg, &cbs, p, &p->pc);
    }
    if (err) {
        call_warn(c, "%s: cannot create the PeerConnection (%s)", p->label, mrtc_err_name(err));
        peer_free(p);
        return NULL;
    }
    p->rp = report_peer_get(&c->rep, id, name, call_now_ms(c));
    if (!p->rp)
        call_warn(c, "%s: out of memory: not in the report", p->label);
    if (offerer) {
        media_peer_offer(p);
        if (!c->mc) /* Minichat chats over its Socket.IO events, not a channel */
            chat_create(p);
    }
    p->next = c->peers;
    c->peers = p;
    return p;
}

void peers_snapshot(call *c)
{
    for (call_peer *p = c->peers; p; p = p->next) {
        if (!p->closing) {
            update_pair(p, false);
            media_peer_report(p);
        }
    }
}

static void on_closed(mrtc_pc *pc, void *user)
{
    (void)pc;
    call_peer *p = user;
    call *c = p->call;
    unlink_peer(p);
    peer_free(p);
    call_peer_gone(c);
}

void peer_close(call_peer *p, bool left)
{
    if (p->closing)
        return;
    update_pair(p, false);
    media_peer_report(p);
    p->closing = true;
    http_signal_peer_closing(p);
    queue_clear(p);
    if (left && p->rp) {
        /* mrtc_pc_close() fires no events for its own transitions: record what it did (the
         * transports and the chat channel only when they had not closed already). */
        double t = call_now_ms(p->call);
        if (p->dtls_live)
            report_peer_state(p->rp, t, "dtls", "closed");
        if (p->sctp_live)
            report_peer_state(p->rp, t, "sctp", "closed");
        if (p->chat)
            report_peer_state(p->rp, t, "datachannel", "closed");
        report_peer_state(p->rp, t, "signaling", "closed");
        report_peer_state(p->rp, t, "ice", "closed");
        report_peer_state(p->rp, t, "connection", "closed");
    }
    int err = mrtc_pc_close(p->pc, on_closed);
    /* No channel callback fires from now on: drop our channel state. */
    chat_forget(p);
    xfer_forget(p, left);
    if (err != 0) {
        call *c = p->call;
        unlink_peer(p);
        peer_free(p);
        call_peer_gone(c);
    }
}

void peers_close_all(call *c)
{
    for (call_peer *p = c->peers, *next; p; p = next) {
        next = p->next;
        peer_close(p, false);
    }
}
