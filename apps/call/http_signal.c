/*
 * The HTTP signaling dialects of meshrtc-call, in place of the room (docs/call.md, "SDP over
 * HTTP and WHIP"):
 *
 * - `--signal http://HOST:PORT/offer`: one PeerConnection, the offerer (tracks and the chat
 *   channel as in a room). Once ICE gathering completes, the offer with every candidate is
 *   POSTed as {"sdp": ..., "type": "offer"} (application/json) and the JSON answer of a 200
 *   (or 201) response is applied: the protocol of aiortc's server example.
 * - `--signal whip+http://HOST:PORT/PATH` (RFC 9725 section 4.2): the offer is POSTed as
 *   application/sdp with "Authorization: Bearer TOKEN" (--bearer); a 201 Created carries the
 *   answer and the session's URL in Location, which gets a DELETE when the call ends
 *   (section 4.3). No trickle (PATCH) and no ICE restart: the offer holds every candidate.
 * - `--listen http://ADDRESS:PORT/offer`: an HTTP server; each valid POST of a JSON offer to
 *   the path is a new peer (p1, p2, ...): the offer is applied, the answer created, and the
 *   response, 200 with the JSON answer, waits until that peer's gathering completed. Requests
 *   to another path are answered 404, other methods 405, bodies that are not a JSON offer or
 *   whose SDP the library refuses 400 with the reason (the offer is tried on a throwaway
 *   PeerConnection first, so a bad one leaves no trace), bodies over 256 KiB 413.
 *
 * Everything after the exchange is the room call's: peer.c, chat.c, media.c and the report.
 * It does not renegotiate over HTTP (a later negotiation-needed is not sent anywhere), follow
 * redirects, speak https, or accept WHIP on the server side.
 */
#include "apps/call/http_signal.h"

#include "apps/call/call.h"
#include "apps/call/http_body.h"
#include "apps/common/http_conn.h"
#include "apps/common/mem.h"

#include <stdio.h>
#include <string.h>

#define REQUEST_TIMEOUT_MS 10000
#define DELETE_TIMEOUT_MS 2000

/* A --listen request waiting for its peer's gathering to complete. */
typedef struct pending {
    struct pending *next;
    http_conn *conn;
    call_peer *peer;
} pending;

typedef struct http_signal {
    call *c;
    http_url url;      /* --signal / --listen */
    http_client *post; /* the offer in flight */
    bool posted;
    bool has_resource; /* WHIP: the Location to DELETE at the end */
    http_url resource;
    http_server *srv;
    pending *pending;
    unsigned next_id;
    bool stopping;
} http_signal;

static http_signal the_hs; /* one call per process */

static bool is_whip(const call *c)
{
    return c->args->signal_kind == CALL_SIGNAL_WHIP;
}

/* ---- client: --signal http:// and whip+http:// ---- */

static void on_answer(void *user, const http_msg *resp, const char *error)
{
    http_signal *hs = user;
    call *c = hs->c;
    hs->post = NULL;
    char line[600], why[300];
    const char *url = c->args->signal_url;
    if (!resp) {
        call_finish(c, CALL_EXIT_SIGNALING, error, error);
        return;
    }
    bool whip = is_whip(c);
    if (resp->status != 201 && (whip || resp->status != 200)) {
        int n = (int)(resp->body_len < 200 ? resp->body_len : 200);
        snprintf(line, sizeof(line), "offer refused by %s: %d %s%s%.*s", url, resp->status,
                 resp->reason, n ? ": " : "", n, resp->body ? resp->body : "");
        for (char *q = line; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                *q = ' ';
        call_finish(c, CALL_EXIT_SIGNALING, line, line);
        return;
    }
    char *sdp = NULL;
    int err = whip ? http_body_parse_sdp(resp->body, resp->body_len, &sdp, why, sizeof(why))
                   : http_body_parse_desc(resp->body, resp->body_len, "answer", &sdp, why,
                                          sizeof(why));
    if (!err && whip && !http_body_type_is(resp->content_type, "application/sdp"))
        call_warn(c, "the WHIP answer's Content-Type is '%s', not application/sdp",
                  resp->content_type);
    call_peer *p = c->peers;
    if (!err && p) {
        json_t *data = json_pack("{s:{s:s, s:s}}", "description", "type", "answer", "sdp", sdp);
        if (data)
            peer_on_signal(p, data);
        json_decref(data);
        char *remote = NULL;
        if (mrtc_pc_get_description(p->pc, MRTC_REMOTE_DESCRIPTION, NULL, &remote) != 0) {
            snprintf(why, sizeof(why), "the answer was refused: %s", mrtc_pc_last_error(p->pc));
            err = MRTC_EPROTO;
        }
        mrtc_string_free(remote);
    }
    mem_free(sdp);
    if (err || !p) {
        snprintf(line, sizeof(line), "bad answer from %s: %s", url, p ? why : "call closed");
        call_finish(c, CALL_EXIT_SIGNALING, line, line);
        return;
    }
    if (whip) {
        if (!*resp->location)
            call_warn(c, "the WHIP server sent no Location: the session cannot be deleted");
        else if (http_url_resolve(&hs->url, resp->location, &hs->resource) != 0)
            call_warn(c, "unusable WHIP Location '%.200s': the session cannot be deleted",
                      resp->location);
        else
            hs->has_resource = true;
    }
    c->joined = true;
    call_say(c, "answer from %s applied (%d %s)%s%s", url, resp->status, resp->reason,
             hs->has_resource ? "; WHIP session " : "", hs->has_resource ? resp->location : "");
}

static void post_offer(http_signal *hs, call_peer *p)
{
    call *c = hs->c;
    char *sdp = NULL, *json = NULL;
    mrtc_description_type type = MRTC_DESCRIPTION_NONE;
    int err = mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp);
    if (err || type != MRTC_DESCRIPTION_OFFER) {
        mrtc_string_free(sdp);
        call_finish(c, CALL_EXIT_INTERNAL, "no local offer to send", "no local offer to send");
        return;
    }
    hs->posted = true;
    char auth[1100];
    http_request req = {
        .method = "POST",
        .url = &hs->url,
        .max_response = HTTP_BODY_MAX,
        .timeout_ms = REQUEST_TIMEOUT_MS,
    };
    if (is_whip(c)) {
        req.content_type = "application/sdp";
        req.accept = "application/sdp";
        req.body = sdp;
        req.body_len = strlen(sdp);
        if (c->args->bearer) {
            snprintf(auth, sizeof(auth), "Bearer %s", c->args->bearer);
            req.authorization = auth;
        }
    } else {
        size_t len = 0;
        json = http_body_desc_json("offer", sdp, &len);
        req.content_type = "application/json";
        req.accept = "application/json";
        req.body = json;
        req.body_len = len;
    }
    err = req.body ? http_client_start(&c->loop, &req, on_answer, hs, &hs->post) : MRTC_ENOMEM;
    mrtc_string_free(sdp);
    mem_free(json);
    if (err) {
        char line[300];
        snprintf(line, sizeof(line), "cannot post the offer to %s: %s", c->args->signal_url,
                 mrtc_strerror(err));
        call_finish(c, CALL_EXIT_SIGNALING, line, line);
        return;
    }
    call_say(c, "posting the offer to %s", c->args->signal_url);
}

/* ---- server: --listen ---- */

static void pending_remove(http_signal *hs, pending *gone)
{
    for (pending **pp = &hs->pending; *pp; pp = &(*pp)->next) {
        if (*pp == gone) {
            *pp = gone->next;
            mem_free(gone);
            return;
        }
    }
}

static pending *pending_for_peer(http_signal *hs, const call_peer *p)
{
    for (pending *q = hs->pending; q; q = q->next)
        if (q->peer == p)
            return q;
    return NULL;
}

/* Replies to the request that created p with its answer (gathering complete). */
static void reply_answer(http_signal *hs, pending *q)
{
    call_peer *p = q->peer;
    char *sdp = NULL, *json = NULL;
    size_t len = 0;
    mrtc_description_type type = MRTC_DESCRIPTION_NONE;
    if (mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp) == 0 &&
        type == MRTC_DESCRIPTION_ANSWER)
        json = http_body_desc_json("answer", sdp, &len);
    mrtc_string_free(sdp);
    if (json) {
        http_conn_reply(q->conn, 200, "application/json", NULL, json, len);
        call_say(hs->c, "%s: answer sent", p->label);
    } else {
        static const char oom[] = "cannot produce the answer\n";
        http_conn_reply(q->conn, 500, "text/plain; charset=utf-8", NULL, oom, sizeof(oom) - 1);
    }
    mem_free(json);
    pending_remove(hs, q);
}

static void reply_text(http_conn *conn, int status, const char *extra, const char *fmt,
                       const char *detail)
{
    char body[600];
    int n = snprintf(body, sizeof(body), fmt, detail);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1;
    for (size_t i = 0; i + 1 < len; i++)
        if ((unsigned char)body[i] < 0x20 || body[i] == 0x7f)
            body[i] = ' ';
    http_conn_reply(conn, status, "text/plain; charset=utf-8", extra, body, len);
}

/* Tries the offer on a PeerConnection of its own, with no callbacks: NULL when the library
 * accepts it, else its reason in why. */
static bool offer_acceptable(call *c, const char *sdp, char *why, size_t whylen)
{
    mrtc_pc_config cfg;
    call_pc_config(c, &cfg, false);
    mrtc_pc_callbacks cbs;
    memset(&cbs, 0, sizeof(cbs));
    mrtc_pc *pc = NULL;
    int err = mrtc_pc_new(c->rt, &cfg, &cbs, NULL, &pc);
    if (err) {
        snprintf(why, whylen, "cannot create a PeerConnection (%s)", mrtc_err_name(err));
        return false;
    }
    err = mrtc_pc_set_remote_description(pc, MRTC_DESCRIPTION_OFFER, sdp);
    if (err)
        snprintf(why, whylen, "offer refused (%s): %s", mrtc_err_name(err),
                 mrtc_pc_last_error(pc));
    mrtc_pc_close(pc, NULL);
    return err == 0;
}

static void on_request(void *user, http_conn *conn, const http_msg *req)
{
    http_signal *hs = user;
    call *c = hs->c;
    char target[sizeof(req->target)], why[512];
    snprintf(target, sizeof(target), "%s", req->target);
    target[strcspn(target, "?")] = '\0';
    char path[sizeof(hs->url.path)];
    snprintf(path, sizeof(path), "%s", hs->url.path);
    path[strcspn(path, "?")] = '\0';
    if (hs->stopping) {
        reply_text(conn, 503, NULL, "%s\n", "the call is ending");
        return;
    }
    if (strcmp(target, path) != 0) {
        reply_text(conn, 404, NULL, "no such resource; POST offers to %s\n", path);
        return;
    }
    if (strcmp(req->method, "POST") != 0) {
        reply_text(conn, 405, "Allow: POST\r\n", "%s\n", "only POST is allowed here");
        return;
    }
    char *sdp = NULL;
    int err = http_body_parse_desc(req->body, req->body_len, "offer", &sdp, why, sizeof(why));
    if (!err && !offer_acceptable(c, sdp, why, sizeof(why)))
        err = MRTC_EPROTO;
    if (err) {
        mem_free(sdp);
        call_warn(c, "bad request to %s: %s", path, why);
        reply_text(conn, err == MRTC_ENOMEM ? 500 : 400, NULL, "%s\n", why);
        return;
    }
    char id[24];
    snprintf(id, sizeof(id), "p%u", ++hs->next_id);
    pending *q = mem_calloc(1, sizeof(*q));
    call_peer *p = q ? peer_create(c, id, "", true, false) : NULL;
    json_t *data = p ? json_pack("{s:{s:s, s:s}}", "description", "type", "offer", "sdp", sdp)
                     : NULL;
    mem_free(sdp);
    if (!data) {
        mem_free(q);
        if (p)
            peer_close(p, false);
        reply_text(conn, 500, NULL, "%s\n", "cannot create the PeerConnection");
        return;
    }
    call_say(c, "%s: offer received over HTTP", p->label);
    peer_on_signal(p, data);
    json_decref(data);
    q->conn = conn;
    q->peer = p;
    q->next = hs->pending;
    hs->pending = q;
    mrtc_description_type type = MRTC_DESCRIPTION_NONE;
    char *local = NULL;
    mrtc_pc_get_description(p->pc, MRTC_LOCAL_DESCRIPTION, &type, &local);
    mrtc_string_free(local);
    if (type != MRTC_DESCRIPTION_ANSWER) {
        reply_text(conn, 500, NULL, "cannot answer: %s\n", mrtc_pc_last_error(p->pc));
        pending_remove(hs, q);
        peer_close(p, false);
    } else if (mrtc_pc_ice_gathering_state(p->pc) == MRTC_GATHERING_COMPLETE) {
        reply_answer(hs, q);
    }
}

static void on_request_gone(void *user, http_conn *conn)
{
    http_signal *hs = user;
    for (pending *q = hs->pending; q; q = q->next) {
        if (q->conn == conn) {
            call_peer *p = q->peer;
            call_warn(hs->c, "%s: the client left before the answer; closing", p->label);
            pending_remove(hs, q);
            peer_close(p, false);
            return;
        }
    }
}

/* ---- the call's hooks ---- */

int http_signal_start(call *c, char *why, size_t whylen)
{
    http_signal *hs = &the_hs;
    memset(hs, 0, sizeof(*hs));
    hs->c = c;
    c->http = hs;
    const call_args *a = c->args;
    if (a->signal_kind == CALL_SIGNAL_LISTEN) {
        if (http_url_parse(a->listen_url, "http", &hs->url, why, whylen) != 0)
            return CALL_EXIT_USAGE;
        int err = http_server_start(&c->loop, hs->url.host, hs->url.port, HTTP_BODY_MAX,
                                    on_request, on_request_gone, hs, &hs->srv);
        if (err) {
            snprintf(why, whylen, "cannot listen on %s: %s", a->listen_url, uv_strerror(err));
            return err == UV_EINVAL ? CALL_EXIT_USAGE : CALL_EXIT_SIGNALING;
        }
        c->joined = true;
        bool v6 = strchr(hs->url.host, ':') != NULL;
        call_say(c, "listening on http://%s%s%s:%d%s", v6 ? "[" : "", hs->url.host,
                 v6 ? "]" : "", http_server_port(hs->srv), hs->url.path);
        return 0;
    }
    const char *scheme = a->signal_kind == CALL_SIGNAL_WHIP ? "whip+http" : "http";
    if (http_url_parse(a->signal_url, scheme, &hs->url, why, whylen) != 0)
        return CALL_EXIT_USAGE;
    if (!peer_create(c, "p1", "", false, true)) {
        snprintf(why, whylen, "cannot create the PeerConnection");
        return CALL_EXIT_INTERNAL;
    }
    return 0;
}

void http_signal_gathered(call_peer *p)
{
    call *c = p->call;
    http_signal *hs = c->http;
    if (!hs || hs->stopping || p->closing)
        return;
    if (c->args->signal_kind == CALL_SIGNAL_LISTEN) {
        pending *q = pending_for_peer(hs, p);
        if (q)
            reply_answer(hs, q);
    } else if (!hs->posted) {
        post_offer(hs, p);
    }
}

void http_signal_peer_closing(call_peer *p)
{
    http_signal *hs = p->call->http;
    pending *q = hs ? pending_for_peer(hs, p) : NULL;
    if (q) {
        reply_text(q->conn, 503, NULL, "%s\n", "the call is ending");
        pending_remove(hs, q);
    }
}

void http_signal_hangup(call_peer *p)
{
    call *c = p->call;
    if (!c->http || p->closing || c->finishing)
        return;
    call_say(c, "%s left (DTLS closed)", p->label);
    peer_close(p, true);
}

static void on_deleted(void *user, const http_msg *resp, const char *error)
{
    http_signal *hs = user;
    if (resp)
        call_say(hs->c, "WHIP session deleted (%d %s)", resp->status, resp->reason);
    else
        call_warn(hs->c, "WHIP session not deleted: %s", error);
}

void http_signal_stop(call *c)
{
    http_signal *hs = c->http;
    if (!hs || hs->stopping)
        return;
    hs->stopping = true;
    http_client_cancel(hs->post);
    hs->post = NULL;
    while (hs->pending) {
        pending *q = hs->pending;
        reply_text(q->conn, 503, NULL, "%s\n", "the call is ending");
        pending_remove(hs, q);
    }
    http_server_close(hs->srv);
    hs->srv = NULL;
    if (hs->has_resource) {
        char auth[1100];
        http_request req = {
            .method = "DELETE",
            .url = &hs->resource,
            .max_response = 65536,
            .timeout_ms = DELETE_TIMEOUT_MS,
        };
        if (c->args->bearer) {
            snprintf(auth, sizeof(auth), "Bearer %s", c->args->bearer);
            req.authorization = auth;
        }
        if (http_client_start(&c->loop, &req, on_deleted, hs, NULL) != 0)
            call_warn(c, "WHIP session not deleted: out of memory");
    }
}
