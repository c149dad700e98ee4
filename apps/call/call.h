/*
 * meshrtc-call internals shared by the session (session.c: the room, the process, the exit)
 * and the per-peer negotiation (peer.c). Not a library: one call per process.
 */
#ifndef MESHRTC_APP_CALL_H
#define MESHRTC_APP_CALL_H

#include "apps/call/args.h"
#include "apps/call/report.h"
#include "apps/common/room_client.h"

#include <jansson.h>
#include <meshrtc.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct call_peer call_peer;

/* A participant we know by id and name (from welcome or peer-joined). */
typedef struct call_contact {
    char *id;
    char *name;
} call_contact;

typedef struct call {
    uv_loop_t loop;
    uint64_t t0_ns; /* uv_hrtime() at process start: report and log times count from here */
    const call_args *args;
    mrtc_runtime *rt;
    room_client *rc;
    report rep;
    bool joined; /* welcome received: the report is written on exit */

    /* PeerConnection configuration: --ice-allow and the welcome's iceServers (copied). */
    mrtc_ice_server *ice_servers;
    size_t n_ice_servers;
    char **ice_strings; /* every string the list points at, to free */
    size_t n_ice_strings;
    bool ice_servers_refused; /* the library refused them once: create PCs without */

    call_contact *contacts;
    size_t n_contacts, cap_contacts;
    call_peer *peers; /* open or closing PeerConnections */

    uv_timer_t duration_timer;
    uv_timer_t guard_timer; /* bounds the shutdown */
    uv_signal_t sigint, sigterm;
    bool finishing;
    bool rc_closed, rt_closed, rt_closing, handles_closed;
    int status;
} call;

/* Runs one call to its end (session.c); returns the exit status. t0_ns: uv_hrtime() at
 * process start. */
int call_run(const call_args *a, uint64_t t0_ns);

/* Milliseconds since the process started. */
double call_now_ms(const call *c);

/* One line on stdout, "[  123.4 ms] " + text. */
__attribute__((format(printf, 2, 3))) void call_say(const call *c, const char *fmt, ...);
/* One line on stderr, "[  123.4 ms] warning: " + text. */
__attribute__((format(printf, 2, 3))) void call_warn(const call *c, const char *fmt, ...);

/* Writes "p1 (bob)", or "p1" when the name is empty, into buf, with control characters
 * replaced by '?' so a name cannot break the one-line-per-event output. */
#define CALL_LABEL_MAX 400
void call_label(char *buf, size_t cap, const char *id, const char *name);

/* Fills cfg (valid until the call's ICE servers change) for a new PeerConnection. */
void call_pc_config(const call *c, mrtc_pc_config *cfg, bool with_servers);

/* Sends {"type":"signal","to":to,"data":data} (data borrowed) when joined; logs failures. */
void call_send(call *c, const char *to, const json_t *data);

/* Called by peer.c once a PeerConnection's close_cb ran and the peer was freed. */
void call_peer_gone(call *c);

/* ---- peer.c ---- */

/* Creates the PeerConnection with `id` (polite: we joined after it). An offerer adds the
 * audio and video transceivers, and sends the offer when negotiation-needed fires. Logs and
 * returns NULL on failure. The peer is linked into c->peers. */
call_peer *peer_create(call *c, const char *id, const char *name, bool polite, bool offerer);
call_peer *peer_find(const call *c, const char *id);

/* Handles the `data` of a signal from this peer ({"description":...} / {"candidate":...}).
 * Anything malformed is logged and dropped. */
void peer_on_signal(call_peer *p, const json_t *data);

/* Records every open peer's selected pair (if any) into the report. */
void peers_snapshot(call *c);

/* Closes the PeerConnection; `left`: the peer left the room (its report entry records the
 * closed states). The peer is unlinked and freed from the close callback. */
void peer_close(call_peer *p, bool left);

/* Closes every peer (as peer_close(p, false)). */
void peers_close_all(call *c);

#endif
