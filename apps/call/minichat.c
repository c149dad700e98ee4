/*
 * meshrtc-call in a Minichat call (see minichat.h; the app's event contract is in
 * tests/interop/minichat/README.md). The Socket.IO connection replaces the room:
 *
 * - on connect we emit join-call; our socket id is our id (in the report too). Minichat
 *   has no rooms and no names: --room is only recorded in the report, --name is not sent,
 *   peers are labelled by their socket ids.
 * - user-connected(id): the app's rule is that everyone already in the call offers to the
 *   newcomer, so we create the PeerConnection (offerer: audio m-line first, then video, no
 *   data channel) and send the offer, then trickle our candidates.
 * - offer(desc, from) creates the PeerConnection when there is none (we joined after it)
 *   and we answer; answer(desc, from) and ice-candidate(cand, from) go to peer.c as the
 *   room's signals would. We are polite: a colliding offer rolls ours back.
 * - chat-message(text, from) prints "[from] text" like a chat channel line; stdin lines go
 *   out as chat-message(text) (the socket counts as one open chat channel for input.c).
 * - mute-state({peerId, audio?, video?}) is printed; user-disconnected(id) closes the peer.
 *
 * It does not emit mute-state (our tracks never mute), renegotiate with the app's pages
 * (their offer handler always builds a new PeerConnection), send --send-messages or echo
 * chat lines (those are data channel features), or reconnect.
 */
#include "apps/call/minichat.h"

#include "apps/call/call.h"
#include "apps/call/dcmsg.h"
#include "apps/common/mem.h"
#include "apps/common/sio_client.h"

#include <stdio.h>
#include <string.h>

#define SCHEME_PREFIX "socketio+"

typedef struct minichat {
    call *c;
    sio_client *sio;
    bool counted; /* counted in c->n_chat_open (stdin is read) */
} minichat;

static minichat the_mc; /* one call per process */

static const char *arg_string(const json_t *args, size_t i)
{
    json_t *v = json_array_get(args, i);
    return json_is_string(v) && json_string_length(v) > 0 &&
                   !memchr(json_string_value(v), '\0', json_string_length(v))
               ? json_string_value(v)
               : NULL;
}

static void count_chat(minichat *mc, bool open)
{
    call *c = mc->c;
    if (mc->counted == open)
        return;
    mc->counted = open;
    if (open)
        c->n_chat_open++;
    else if (c->n_chat_open > 0)
        c->n_chat_open--;
    input_update(c);
}

/* ---- events ---- */

static void on_user_connected(minichat *mc, const json_t *args)
{
    call *c = mc->c;
    const char *id = arg_string(args, 0);
    if (!id) {
        call_warn(c, "Minichat: user-connected without a socket id: ignored");
        return;
    }
    if (strcmp(id, sio_client_sid(mc->sio)) == 0)
        return;
    char label[CALL_LABEL_MAX];
    call_label(label, sizeof(label), id, NULL);
    call_say(c, "%s joined", label);
    if (!peer_find(c, id))
        peer_create(c, id, "", false, true); /* we are in the call: we offer */
}

static void on_user_disconnected(minichat *mc, const json_t *args)
{
    call *c = mc->c;
    const char *id = arg_string(args, 0);
    if (!id)
        return;
    char label[CALL_LABEL_MAX];
    call_label(label, sizeof(label), id, NULL);
    call_say(c, "%s left", label);
    call_peer *p = peer_find(c, id);
    if (p)
        peer_close(p, true);
}

/* offer / answer / ice-candidate: (payload, fromSocketId). */
static void on_signal(minichat *mc, const char *name, const json_t *args)
{
    call *c = mc->c;
    json_t *payload = json_array_get(args, 0);
    const char *from = arg_string(args, 1);
    bool is_candidate = strcmp(name, "ice-candidate") == 0;
    if (!from || !json_is_object(payload)) {
        call_warn(c, "Minichat: malformed %s ignored", name);
        return;
    }
    call_peer *p = peer_find(c, from);
    if (!p && strcmp(name, "offer") == 0)
        p = peer_create(c, from, "", true, false);
    if (!p) {
        if (!is_candidate || !peer_find(c, from))
            call_warn(c, "Minichat: %s from %s, with whom we have no connection: ignored", name,
                      from);
        return;
    }
    json_t *data = json_pack("{s:O}", is_candidate ? "candidate" : "description", payload);
    if (!data) {
        call_warn(c, "Minichat: out of memory handling %s", name);
        return;
    }
    peer_on_signal(p, data);
    json_decref(data);
}

static void on_chat(minichat *mc, const json_t *args)
{
    json_t *text = json_array_get(args, 0);
    const char *from = arg_string(args, 1);
    if (!json_is_string(text) || !from) {
        call_warn(mc->c, "Minichat: malformed chat-message ignored");
        return;
    }
    char who[CALL_LABEL_MAX];
    dcmsg_printable(who, sizeof(who), (const uint8_t *)from, strlen(from));
    size_t len = json_string_length(text);
    char *line = mem_alloc(len + 1);
    if (!line)
        return;
    dcmsg_printable(line, len + 1, (const uint8_t *)json_string_value(text), len);
    printf("[%s] %s\n", who, line);
    fflush(stdout);
    mem_free(line);
}

static void on_mute(minichat *mc, const json_t *args)
{
    json_t *st = json_array_get(args, 0);
    const char *id = json_is_object(st) ? json_string_value(json_object_get(st, "peerId")) : NULL;
    if (!id || !*id) {
        call_warn(mc->c, "Minichat: malformed mute-state ignored");
        return;
    }
    json_t *audio = json_object_get(st, "audio"), *video = json_object_get(st, "video");
    char label[CALL_LABEL_MAX], what[64] = "";
    call_label(label, sizeof(label), id, NULL);
    if (json_is_boolean(audio))
        snprintf(what, sizeof(what), "audio %s", json_is_true(audio) ? "muted" : "unmuted");
    if (json_is_boolean(video)) {
        size_t n = strlen(what);
        snprintf(what + n, sizeof(what) - n, "%svideo %s", n ? ", " : "",
                 json_is_true(video) ? "off" : "on");
    }
    call_say(mc->c, "%s mute-state: %s", label, *what ? what : "(nothing)");
}

static void on_event(sio_client *s, const char *name, const json_t *args, void *user)
{
    (void)s;
    minichat *mc = user;
    if (mc->c->finishing)
        return;
    if (strcmp(name, "user-connected") == 0)
        on_user_connected(mc, args);
    else if (strcmp(name, "user-disconnected") == 0)
        on_user_disconnected(mc, args);
    else if (strcmp(name, "offer") == 0 || strcmp(name, "answer") == 0 ||
             strcmp(name, "ice-candidate") == 0)
        on_signal(mc, name, args);
    else if (strcmp(name, "chat-message") == 0)
        on_chat(mc, args);
    else if (strcmp(name, "mute-state") == 0)
        on_mute(mc, args);
    else {
        char n[64];
        dcmsg_printable(n, sizeof(n), (const uint8_t *)name, strlen(name));
        call_warn(mc->c, "Minichat: unknown event '%s' ignored", n);
    }
}

static void on_connected(sio_client *s, const char *sid, void *user)
{
    minichat *mc = user;
    call *c = mc->c;
    int err = sio_client_emit(s, "join-call", NULL);
    if (err) {
        call_finish(c, CALL_EXIT_SIGNALING, "cannot send join-call", "cannot send join-call");
        return;
    }
    c->joined = true;
    if (report_set_self(&c->rep, sid, NULL, NULL, NULL) != 0)
        call_warn(c, "out of memory recording our id");
    call_say(c, "joined the Minichat call at %s as %s", c->args->signal_url, sid);
    count_chat(mc, true);
}

static void on_closed(sio_client *s, bool was_connected, const char *message, void *user)
{
    (void)s;
    minichat *mc = user;
    char line[700];
    if (was_connected)
        snprintf(line, sizeof(line), "signaling connection lost: %s", message);
    else
        snprintf(line, sizeof(line), "%s", message);
    count_chat(mc, false);
    call_finish(mc->c, CALL_EXIT_SIGNALING, line, line);
}

/* ---- the call's hooks ---- */

int minichat_start(call *c, char *why, size_t whylen)
{
    minichat *mc = &the_mc;
    memset(mc, 0, sizeof(*mc));
    mc->c = c;
    const char *url = c->args->signal_url;
    if (strncmp(url, SCHEME_PREFIX, strlen(SCHEME_PREFIX)) == 0)
        url += strlen(SCHEME_PREFIX);
    sio_client_config cfg;
    sio_client_config_init(&cfg);
    cfg.url = url;
    cfg.cb.connected = on_connected;
    cfg.cb.event = on_event;
    cfg.cb.closed = on_closed;
    cfg.user = mc;
    int err = sio_client_connect(&c->loop, &cfg, &mc->sio, why, whylen);
    if (err)
        return err == MRTC_EINVAL ? CALL_EXIT_USAGE : CALL_EXIT_INTERNAL;
    c->mc = mc;
    return 0;
}

void minichat_send(call *c, const char *to, const json_t *data)
{
    minichat *mc = c->mc;
    if (!mc || !sio_client_connected(mc->sio))
        return;
    json_t *desc = json_object_get(data, "description");
    json_t *cand = json_object_get(data, "candidate");
    const char *event;
    json_t *payload;
    if (desc) {
        const char *type = json_string_value(json_object_get(desc, "type"));
        if (!type || (strcmp(type, "offer") != 0 && strcmp(type, "answer") != 0))
            return; /* the app has no rollback or pranswer */
        event = type;
        payload = desc;
    } else if (json_is_object(cand)) {
        event = "ice-candidate";
        payload = cand;
    } else {
        return; /* end of candidates: the app has no event for it */
    }
    json_t *args = json_pack("[O, s]", payload, to);
    int err = args ? sio_client_emit(mc->sio, event, args) : MRTC_ENOMEM;
    json_decref(args);
    if (err)
        call_warn(c, "cannot send %s to %s: %s", event, to, mrtc_strerror(err));
}

void minichat_chat(call *c, const char *line, size_t len)
{
    minichat *mc = c->mc;
    if (!mc)
        return;
    json_t *args = json_array();
    json_t *text = json_stringn(line, len);
    int err = MRTC_ENOMEM;
    if (!text) {
        err = MRTC_EINVAL; /* not UTF-8 */
        json_decref(args);
        args = NULL;
    } else if (args && json_array_append_new(args, text) == 0) {
        err = sio_client_emit(mc->sio, "chat-message", args);
    } else {
        json_decref(text);
    }
    json_decref(args);
    if (err)
        call_warn(c, "chat line not sent: %s",
                  err == MRTC_EINVAL ? "not UTF-8" : mrtc_strerror(err));
}

void minichat_close(call *c, void (*cb)(void *arg), void *arg)
{
    minichat *mc = c->mc;
    if (!mc)
        return;
    c->mc = NULL;
    count_chat(mc, false);
    sio_client_close(mc->sio, cb, arg);
    mc->sio = NULL;
}
