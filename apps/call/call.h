/*
 * meshrtc-call internals shared by the session (session.c: the room, the process, the exit),
 * the per-peer negotiation (peer.c), the chat channel (chat.c), file transfers (xfer.c), the
 * stdin reader (input.c) and media (media.c). Not a library: one call per process.
 */
#ifndef MESHRTC_APP_CALL_H
#define MESHRTC_APP_CALL_H

#include "apps/call/args.h"
#include "apps/call/media.h"
#include "apps/call/report.h"
#include "apps/common/room_client.h"

#include <jansson.h>
#include <meshrtc.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct call_peer call_peer;
typedef struct xfer xfer;
struct queued_candidate;
struct media_peer;

/* A participant we know by id and name (from welcome or peer-joined). */
typedef struct call_contact {
    char *id;
    char *name;
} call_contact;

/* The stdin reader (input.c): lines go to the chat channels. */
#define CALL_LINE_MAX 65536
typedef struct call_input {
    enum { INPUT_NONE, INPUT_TTY, INPUT_PIPE, INPUT_FILE } kind;
    union {
        uv_tty_t tty;
        uv_pipe_t pipe;
    } h;
    uv_fs_t req;
    bool started;  /* the handle was initialised (it must be closed) */
    bool reading;  /* uv_read_start() / a file read wanted */
    bool req_busy; /* a file read is in flight */
    bool done;     /* EOF or error: never read again */
    bool closed;
    char line[CALL_LINE_MAX];
    size_t len;
    bool overlong; /* the current line was cut: drop the rest */
} call_input;

typedef struct call {
    uv_loop_t loop;
    uint64_t t0_ns; /* uv_hrtime() at process start: report and log times count from here */
    const call_args *args;
    mrtc_runtime *rt;
    room_client *rc;
    struct http_signal *http; /* the HTTP dialects instead of rc (http_signal.c), else NULL */
    struct minichat *mc;      /* the Minichat Socket.IO dialect instead of rc (minichat.c) */
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
    call_peer *peers;     /* open or closing PeerConnections */
    unsigned n_chat_open; /* peers whose chat channel is open: stdin is read while > 0 */
    call_input in;

    /* media.c: the process's one track per kind (NULL: --audio/--video none), sent to every
     * peer, and the speaker every remote audio track is mixed into (NULL without --play). */
    mrtc_track *audio_track, *video_track;
    mrtc_speaker *speaker;
    uv_timer_t stats_timer; /* the stats lines, every CALL_STATS_PERIOD_MS */

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

/* Sends {"type":"signal","to":to,"data":data} (data borrowed) when joined, or the Minichat
 * event for it (minichat_send()); logs failures. */
void call_send(call *c, const char *to, const json_t *data);

/* Called by peer.c once a PeerConnection's close_cb ran and the peer was freed. */
void call_peer_gone(call *c);

/* Ends the call (idempotent: the first reason wins): `error_line` (may be NULL) is printed
 * on stderr as "meshrtc-call: LINE", `reason` goes to the report; then the shutdown. */
void call_finish(call *c, int status, const char *reason, const char *error_line);

/* ---- peer.c ---- */

/* One remote participant (peer.c; chat.c and xfer.c use the channel fields). */
struct call_peer {
    call_peer *next;
    call *call;
    char *id;
    char label[CALL_LABEL_MAX]; /* "p1 (bob)" or "p1" for log lines */
    char name[CALL_LABEL_MAX];  /* "bob" (else the id), printable: chat and file lines */
    bool polite;
    mrtc_pc *pc;
    report_peer *rp;
    bool ignore_offer; /* perfect negotiation: the last offer was ignored (impolite) */
    bool negotiated;   /* the first offer/answer exchange completed: role is final */
    struct queued_candidate *queue, **queue_tail;
    size_t n_queued;
    bool closing;
    bool pair_printed;
    report_endpoint last_local, last_remote;
    bool dtls_live, sctp_live; /* a state other than "closed" was reported last */

    /* chat.c: the "chat" channel, NULL before it exists and once it closed. */
    mrtc_datachannel *chat;
    bool chat_open;
    uint32_t next_msg; /* --send-messages: the N of the next msg-N */
    bool echoes_done;  /* "all K echoes received" was printed */

    /* xfer.c: file transfers in progress with this peer. */
    xfer *xfers;

    /* media.c: what we send to and receive from this peer (NULL until media.c needs it). */
    struct media_peer *media;
};

/* Creates the PeerConnection with `id` (polite: we joined after it). An offerer adds the
 * local tracks, or receive-only transceivers for the kinds it does not send
 * (media_peer_offer()), and sends the offer when negotiation-needed fires. Logs and returns
 * NULL on failure. The peer is linked into c->peers. */
call_peer *peer_create(call *c, const char *id, const char *name, bool polite, bool offerer);
call_peer *peer_find(const call *c, const char *id);

/* Handles the `data` of a signal from this peer ({"description":...} / {"candidate":...}).
 * Anything malformed is logged and dropped. */
void peer_on_signal(call_peer *p, const json_t *data);

/* Records every open peer's selected pair (if any) and media tracks into the report. */
void peers_snapshot(call *c);

/* Closes the PeerConnection; `left`: the peer left the room (its report entry records the
 * closed states). The peer is unlinked and freed from the close callback. */
void peer_close(call_peer *p, bool left);

/* Closes every peer (as peer_close(p, false)). */
void peers_close_all(call *c);

/* Records {kind, state} in the peer's report timeline and prints it. */
void peer_record(call_peer *p, const char *kind, const char *state);

/* ---- chat.c ---- */

/* The offerer's "chat" channel (reliable, ordered), created before the first offer. */
void chat_create(call_peer *p);
/* A "chat" channel the peer opened (from the datachannel callback). */
void chat_adopt(call_peer *p, mrtc_datachannel *dc);
/* One line from stdin (len bytes, no newline) to every open chat channel. */
void chat_broadcast(call *c, const char *line, size_t len);
/* The PeerConnection is closing: forget the channel (its callbacks stopped). */
void chat_forget(call_peer *p);

/* ---- xfer.c ---- */

/* --send-file: opens a file channel to p and sends the file once it is open. */
void xfer_send_to(call_peer *p);
/* A meshrtc-file/1 channel the peer opened: receive into --recv-dir, or refuse. */
void xfer_accept(call_peer *p, mrtc_datachannel *dc);
/* The PeerConnection is closing (left: the peer left the room): abandon every transfer with
 * p (partial files removed). */
void xfer_forget(call_peer *p, bool left);

/* ---- media.c: see apps/call/media.h ---- */

/* ---- input.c ---- */

/* Looks at stdin (a terminal, a pipe or FIFO, a file; nothing when it is closed). */
void input_init(call *c);
/* Reads stdin while some chat channel is open (c->n_chat_open > 0), else pauses. A
 * terminal is read only while we are its foreground process group. */
void input_update(call *c);
/* Stops reading and closes the handle (the call is ending). */
void input_close(call *c);

#endif
