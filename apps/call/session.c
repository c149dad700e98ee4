/*
 * The meshrtc-call session: one process, one room. It joins through the room client,
 * applies the mesh rule of the room protocol (on peer-joined we create the PeerConnection and
 * offer; after welcome we wait for the offers of the peers already there), routes relayed
 * signals to the peers (peer.c), reads stdin lines for the chat (input.c), creates the local
 * media tracks before joining and prints the media stats lines (media.c), and ends the call
 * on --duration, SIGINT/SIGTERM, a refused join or a lost connection: write the report, stop
 * reading stdin, close every PeerConnection, the room client and the runtime, then let the
 * loop run dry. A guard timer bounds that shutdown.
 *
 * It does not reconnect to the server, retry a refused join, or keep PeerConnections alive
 * after the signaling connection is gone.
 */
#include "apps/call/call.h"
#include "apps/call/http_signal.h"
#include "apps/call/minichat.h"

#include "apps/common/mem.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHUTDOWN_GUARD_MS 5000

/* ---- output ---- */

double call_now_ms(const call *c)
{
    return (double)(uv_hrtime() - c->t0_ns) / 1e6;
}

static void vline(const call *c, FILE *f, const char *prefix, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    fprintf(f, "[%7.1f ms] %s%s\n", call_now_ms(c), prefix, text);
}

void call_say(const call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(c, stdout, "", fmt, ap);
    va_end(ap);
}

void call_warn(const call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(c, stderr, "warning: ", fmt, ap);
    va_end(ap);
}

void call_label(char *buf, size_t cap, const char *id, const char *name)
{
    if (name && *name)
        snprintf(buf, cap, "%s (%s)", id, name);
    else
        snprintf(buf, cap, "%s", id);
    for (unsigned char *q = (unsigned char *)buf; *q; q++)
        if (*q < 0x20 || *q == 0x7f)
            *q = '?';
}

/* ---- contacts: names of the participants by id ---- */

static void contact_add(call *c, const char *id, const char *name)
{
    for (size_t i = 0; i < c->n_contacts; i++)
        if (strcmp(c->contacts[i].id, id) == 0)
            return;
    if (c->n_contacts == c->cap_contacts) {
        size_t cap = c->cap_contacts ? c->cap_contacts * 2 : 16;
        call_contact *v = mem_realloc(c->contacts, cap * sizeof(*v));
        if (!v)
            return;
        c->contacts = v;
        c->cap_contacts = cap;
    }
    call_contact *ct = &c->contacts[c->n_contacts];
    ct->id = mem_strdup(id);
    ct->name = mem_strdup(name ? name : "");
    if (!ct->id || !ct->name) {
        mem_free(ct->id);
        mem_free(ct->name);
        return;
    }
    c->n_contacts++;
}

static const char *contact_name(const call *c, const char *id)
{
    for (size_t i = 0; i < c->n_contacts; i++)
        if (strcmp(c->contacts[i].id, id) == 0)
            return c->contacts[i].name;
    return "";
}

static void contacts_free(call *c)
{
    for (size_t i = 0; i < c->n_contacts; i++) {
        mem_free(c->contacts[i].id);
        mem_free(c->contacts[i].name);
    }
    mem_free(c->contacts);
    c->contacts = NULL;
    c->n_contacts = c->cap_contacts = 0;
}

/* ---- PeerConnection configuration ---- */

static void ice_servers_free(call *c)
{
    for (size_t i = 0; i < c->n_ice_strings; i++)
        mem_free(c->ice_strings[i]);
    mem_free(c->ice_strings);
    for (size_t i = 0; i < c->n_ice_servers; i++)
        mem_free((void *)c->ice_servers[i].urls);
    mem_free(c->ice_servers);
    c->ice_strings = NULL;
    c->ice_servers = NULL;
    c->n_ice_strings = c->n_ice_servers = 0;
}

static const char *keep_string(call *c, const char *s, size_t cap)
{
    if (!s)
        return NULL;
    char *copy = mem_strdup(s);
    if (!copy || c->n_ice_strings >= cap) {
        mem_free(copy);
        return NULL;
    }
    c->ice_strings[c->n_ice_strings++] = copy;
    return copy;
}

/* Copies the welcome's iceServers. On allocation failure the list stays empty. */
static void ice_servers_copy(call *c, const room_welcome *w)
{
    ice_servers_free(c);
    if (w->n_ice_servers == 0)
        return;
    size_t cap = 0;
    for (size_t i = 0; i < w->n_ice_servers; i++)
        cap += w->ice_servers[i].n_urls + 2;
    c->ice_strings = mem_calloc(cap, sizeof(*c->ice_strings));
    c->ice_servers = mem_calloc(w->n_ice_servers, sizeof(*c->ice_servers));
    if (!c->ice_strings || !c->ice_servers)
        goto fail;
    for (size_t i = 0; i < w->n_ice_servers; i++) {
        const room_ice_server *src = &w->ice_servers[i];
        const char **urls = mem_calloc(src->n_urls, sizeof(*urls));
        if (!urls)
            goto fail;
        mrtc_ice_server *dst = &c->ice_servers[c->n_ice_servers++];
        dst->urls = urls;
        dst->n_urls = src->n_urls;
        for (size_t k = 0; k < src->n_urls; k++)
            if (!(urls[k] = keep_string(c, src->urls[k], cap)))
                goto fail;
        dst->username = keep_string(c, src->username, cap);
        dst->credential = keep_string(c, src->credential, cap);
        if ((src->username && !dst->username) || (src->credential && !dst->credential))
            goto fail;
    }
    return;
fail:
    call_warn(c, "out of memory copying the room's ICE servers; continuing without them");
    ice_servers_free(c);
}

void call_pc_config(const call *c, mrtc_pc_config *cfg, bool with_servers)
{
    mrtc_pc_config_init(cfg);
    if (with_servers && !c->ice_servers_refused) {
        cfg->ice_servers = c->ice_servers;
        cfg->n_ice_servers = c->n_ice_servers;
    }
    cfg->ice_interfaces = c->args->ice_allow;
    cfg->n_ice_interfaces = c->args->n_ice_allow;
}

void call_send(call *c, const char *to, const json_t *data)
{
    if (c->mc) {
        minichat_send(c, to, data);
        return;
    }
    if (!c->rc || !room_client_joined(c->rc))
        return;
    int err = room_client_signal(c->rc, to, data);
    if (err)
        call_warn(c, "cannot send a signal to %s: %s", to, mrtc_strerror(err));
}

/* ---- shutdown ---- */

static void close_handles(call *c)
{
    if (!c->rt_closed || !c->rc_closed || c->handles_closed)
        return;
    c->handles_closed = true;
    uv_close((uv_handle_t *)&c->stats_timer, NULL);
    uv_close((uv_handle_t *)&c->duration_timer, NULL);
    uv_close((uv_handle_t *)&c->guard_timer, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void on_runtime_closed(mrtc_runtime *rt, void *user)
{
    (void)rt;
    call *c = user;
    c->rt = NULL;
    c->rt_closed = true;
    close_handles(c);
}

static void close_runtime(call *c)
{
    if (c->peers || c->rt_closing)
        return;
    c->rt_closing = true;
    if (!c->rt || mrtc_runtime_close(c->rt, on_runtime_closed, c) != 0) {
        c->rt = NULL;
        c->rt_closed = true;
        close_handles(c);
    }
}

void call_peer_gone(call *c)
{
    if (c->finishing)
        close_runtime(c);
}

static void on_room_closed(void *arg)
{
    call *c = arg;
    c->rc = NULL;
    c->rc_closed = true;
    close_handles(c);
}

static void on_guard(uv_timer_t *t)
{
    call *c = t->data;
    fprintf(stderr, "meshrtc-call: shutdown did not complete within %d ms\n", SHUTDOWN_GUARD_MS);
    fflush(stdout);
    _exit(c->status ? c->status : CALL_EXIT_INTERNAL);
}

static void write_report(call *c, const char *reason)
{
    peers_snapshot(c);
    if (report_set_exit(&c->rep, c->status, reason) != 0 ||
        report_write(&c->rep, c->args->report_path) != 0) {
        fprintf(stderr, "meshrtc-call: cannot write the report %s: %s\n", c->args->report_path,
                strerror(errno));
        if (c->status == CALL_EXIT_OK)
            c->status = CALL_EXIT_INTERNAL;
    }
}

/* Ends the call: `error_line` (may be NULL) is the one-line error for stderr, `reason` goes
 * to the report. Idempotent: the first reason wins. */
static void finish(call *c, int status, const char *reason, const char *error_line);

void call_finish(call *c, int status, const char *reason, const char *error_line)
{
    finish(c, status, reason, error_line);
}

static void finish(call *c, int status, const char *reason, const char *error_line)
{
    if (c->finishing)
        return;
    c->finishing = true;
    c->status = status;
    if (error_line)
        fprintf(stderr, "meshrtc-call: %s\n", error_line);
    uv_timer_stop(&c->duration_timer);
    uv_timer_stop(&c->stats_timer);
    input_close(c);
    if (c->joined) {
        call_say(c, "leaving: %s", reason);
        if (c->args->report_path)
            write_report(c, reason);
    }
    http_signal_stop(c); /* before the peers: a pending answer gets its 503 */
    peers_close_all(c);
    media_stop(c); /* the closing PeerConnections keep their own references */
    if (c->rc)
        room_client_close(c->rc, on_room_closed, c);
    else if (c->mc)
        minichat_close(c, on_room_closed, c);
    else
        c->rc_closed = true;
    uv_timer_start(&c->guard_timer, on_guard, SHUTDOWN_GUARD_MS, 0);
    uv_unref((uv_handle_t *)&c->guard_timer);
    close_runtime(c);
    close_handles(c);
}

static void on_stats(uv_timer_t *t)
{
    media_print_stats(t->data);
}

static void on_duration(uv_timer_t *t)
{
    finish(t->data, CALL_EXIT_OK, "duration reached", NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    call *c = h->data;
    if (c->finishing) {
        fprintf(stderr, "meshrtc-call: second signal: exiting at once\n");
        fflush(stdout);
        _exit(c->status ? c->status : CALL_EXIT_INTERNAL);
    }
    finish(c, CALL_EXIT_OK, signum == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)",
           NULL);
}

/* ---- room client callbacks ---- */

static void on_welcome(room_client *rc, const room_welcome *w, void *user)
{
    (void)rc;
    call *c = user;
    c->joined = true;
    if (report_set_self(&c->rep, w->id, NULL, w->room, NULL) != 0)
        call_warn(c, "out of memory recording our id");
    ice_servers_copy(c, w);
    char list[1024] = "", label[CALL_LABEL_MAX], self[CALL_LABEL_MAX];
    size_t used = 0;
    for (size_t i = 0; i < w->n_peers; i++) {
        contact_add(c, w->peers[i].id, w->peers[i].name);
        call_label(label, sizeof(label), w->peers[i].id, w->peers[i].name);
        if (used < sizeof(list)) {
            int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", label);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    call_label(self, sizeof(self), w->id, c->args->name);
    call_say(c, "joined room %s as %s; %zu peer(s) already there%s%s", w->room, self, w->n_peers,
             w->n_peers ? ": " : "", list);
}

static void on_peer_joined(room_client *rc, const char *id, const char *name, void *user)
{
    call *c = user;
    contact_add(c, id, name);
    char label[CALL_LABEL_MAX];
    call_label(label, sizeof(label), id, name);
    call_say(c, "%s joined", label);
    if (peer_find(c, id))
        return;
    peer_create(c, id, name, room_client_polite(rc, id) == 1, true);
}

static void on_peer_left(room_client *rc, const char *id, void *user)
{
    (void)rc;
    call *c = user;
    char label[CALL_LABEL_MAX];
    call_label(label, sizeof(label), id, contact_name(c, id));
    call_say(c, "%s left", label);
    call_peer *p = peer_find(c, id);
    if (p)
        peer_close(p, true);
}

static void on_room_signal(room_client *rc, const char *from, const json_t *data,
                           const char *data_text, void *user)
{
    (void)data_text;
    call *c = user;
    call_peer *p = peer_find(c, from);
    if (!p) {
        int polite = room_client_polite(rc, from);
        if (polite < 0) {
            call_warn(c, "signal from %s, who is not in the room: ignored", from);
            return;
        }
        p = peer_create(c, from, contact_name(c, from), polite == 1, false);
        if (!p)
            return;
    }
    peer_on_signal(p, data);
}

static void on_room_error(room_client *rc, const char *code, const char *message, void *user)
{
    (void)rc;
    call *c = user;
    char line[512];
    if (c->joined) {
        call_warn(c, "room server: %s%s%s", code, *message ? ": " : "", message);
        return;
    }
    snprintf(line, sizeof(line), "join refused: %s%s%s", code, *message ? ": " : "", message);
    finish(c, CALL_EXIT_SIGNALING, line, line);
}

static void on_connect_failed(room_client *rc, const char *message, void *user)
{
    (void)rc;
    call *c = user;
    finish(c, CALL_EXIT_SIGNALING, message, message);
}

static void on_room_connection_closed(room_client *rc, const char *message, void *user)
{
    (void)rc;
    call *c = user;
    char line[512];
    snprintf(line, sizeof(line), "signaling connection lost: %s", message);
    finish(c, CALL_EXIT_SIGNALING, line, line);
}

/* ---- run ---- */

/* The stats and --duration timers, once signaling started. */
static void start_timers(call *c)
{
    /* Opening devices may have taken a while: the timers count from now, not from the
     * loop's cached time. */
    uv_update_time(&c->loop);
    uv_timer_start(&c->stats_timer, on_stats, CALL_STATS_PERIOD_MS, CALL_STATS_PERIOD_MS);
    if (c->args->duration_s > 0) {
        double left_ms = c->args->duration_s * 1000.0 - call_now_ms(c);
        uv_timer_start(&c->duration_timer, on_duration,
                       left_ms > 0 ? (uint64_t)(left_ms + 0.5) : 0, 0);
    }
}

int call_run(const call_args *a, uint64_t t0_ns)
{
    static call c; /* one call per process; signal handles live until the loop is closed */
    memset(&c, 0, sizeof(c));
    c.t0_ns = t0_ns;
    c.args = a;
    report_init(&c.rep);
    int err = uv_loop_init(&c.loop);
    if (err) {
        fprintf(stderr, "meshrtc-call: cannot start the event loop: %s\n", uv_strerror(err));
        return CALL_EXIT_INTERNAL;
    }
    uv_timer_init(&c.loop, &c.stats_timer);
    uv_timer_init(&c.loop, &c.duration_timer);
    uv_timer_init(&c.loop, &c.guard_timer);
    uv_signal_init(&c.loop, &c.sigint);
    uv_signal_init(&c.loop, &c.sigterm);
    c.stats_timer.data = c.duration_timer.data = c.guard_timer.data = &c;
    c.sigint.data = c.sigterm.data = &c;
    uv_signal_start(&c.sigint, on_signal, SIGINT);
    uv_signal_start(&c.sigterm, on_signal, SIGTERM);
    input_init(&c);

    char line[512];
    if (report_set_self(&c.rep, NULL, a->name, a->room,
                        a->signal_url ? a->signal_url : a->listen_url) != 0) {
        finish(&c, CALL_EXIT_INTERNAL, "out of memory", "out of memory");
    } else if ((err = mrtc_runtime_new(&c.loop, &c.rt)) != 0) {
        snprintf(line, sizeof(line), "cannot start the meshrtc runtime: %s", mrtc_strerror(err));
        finish(&c, CALL_EXIT_INTERNAL, line, line);
    } else if ((err = media_start(&c, line, sizeof(line) - 16)) != 0) {
        strcat(line, " (see --help)"); /* a usage error, before joining */
        finish(&c, err, line, line);
    } else if (a->signal_kind == CALL_SIGNAL_SOCKETIO) {
        /* A Minichat server (Socket.IO) instead of a room (minichat.c). */
        char why[512];
        err = minichat_start(&c, why, sizeof(why));
        if (err)
            finish(&c, err, why, why);
        else
            start_timers(&c);
    } else if (a->signal_kind != CALL_SIGNAL_ROOM) {
        /* SDP over HTTP, WHIP or --listen instead of a room (http_signal.c). */
        char why[512];
        err = http_signal_start(&c, why, sizeof(why));
        if (err)
            finish(&c, err, why, why);
        else
            start_timers(&c);
    } else {
        room_client_config rcfg;
        room_client_config_init(&rcfg);
        rcfg.url = a->signal_url;
        rcfg.room = a->room;
        rcfg.name = a->name;
        rcfg.code = a->code;
        rcfg.cb = (room_client_callbacks){
            .welcome = on_welcome,
            .peer_joined = on_peer_joined,
            .peer_left = on_peer_left,
            .signal = on_room_signal,
            .error = on_room_error,
            .connect_failed = on_connect_failed,
            .closed = on_room_connection_closed,
        };
        rcfg.user = &c;
        char why[256];
        err = room_client_connect(&c.loop, &rcfg, &c.rc, why, sizeof(why));
        if (err) {
            c.rc = NULL;
            finish(&c, err == MRTC_EINVAL ? CALL_EXIT_USAGE : CALL_EXIT_SIGNALING, why, why);
        } else {
            start_timers(&c);
        }
    }

    uv_run(&c.loop, UV_RUN_DEFAULT);
    err = uv_loop_close(&c.loop);
    if (err)
        fprintf(stderr, "meshrtc-call: warning: the event loop did not close cleanly: %s\n",
                uv_strerror(err));
    report_free(&c.rep);
    contacts_free(&c);
    ice_servers_free(&c);
    fflush(stdout);
    if (getenv("MESHRTC_CALL_LEAKCHECK") && mem_live() != 0) {
        fprintf(stderr, "meshrtc-call: %ld block(s) still allocated at exit\n", mem_live());
        if (c.status == CALL_EXIT_OK)
            c.status = CALL_EXIT_INTERNAL;
    }
    return c.status;
}
