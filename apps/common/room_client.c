/*
 * Room-protocol client (SIGNALING.md version 1) over the WebSocket client of ws.c: sends the
 * join when the socket opens, parses welcome / peer-joined / peer-left / signal / error into
 * callbacks, builds signal and leave messages, and tracks who joined before us for the
 * perfect-negotiation roles.
 *
 * It does not reconnect, buffer signals while disconnected, or look inside signal data: the
 * call client owns those policies. Messages of unknown types from the server are ignored
 * (forward compatibility); malformed known ones are reported as error "bad-message".
 */
#include "apps/common/room_client.h"

#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"
#include "apps/common/ws.h"

#include <meshrtc.h>
#include <stdio.h>
#include <string.h>

typedef enum rc_state {
    RC_CONNECTING,
    RC_JOINING, /* join sent, waiting for welcome */
    RC_JOINED,
    RC_LEFT, /* leave sent; the connection stays open */
    RC_DONE, /* connect_failed or closed delivered */
} rc_state;

typedef struct known_peer {
    struct known_peer *next;
    char *id;
    bool earlier; /* in the room before us: we are polite towards it */
} known_peer;

struct room_client {
    ws_client *ws;
    room_client_callbacks cb;
    void *user;
    char *room, *name, *code;
    char *id;
    rc_state state;
    known_peer *peers;
    bool closing;
    void (*close_cb)(void *arg);
    void *close_arg;
};

void room_client_config_init(room_client_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ms = 10000;
}

/* ---- known peers ---- */

static void peers_clear(room_client *rc)
{
    while (rc->peers) {
        known_peer *p = rc->peers;
        rc->peers = p->next;
        mem_free(p->id);
        mem_free(p);
    }
}

static void peer_add(room_client *rc, const char *id, bool earlier)
{
    known_peer *p = mem_calloc(1, sizeof(*p));
    if (!p)
        return;
    p->id = mem_strdup(id);
    if (!p->id) {
        mem_free(p);
        return;
    }
    p->earlier = earlier;
    p->next = rc->peers;
    rc->peers = p;
}

static void peer_remove(room_client *rc, const char *id)
{
    for (known_peer **pp = &rc->peers; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            known_peer *p = *pp;
            *pp = p->next;
            mem_free(p->id);
            mem_free(p);
            return;
        }
    }
}

int room_client_polite(const room_client *rc, const char *peer_id)
{
    for (const known_peer *p = rc->peers; p; p = p->next)
        if (strcmp(p->id, peer_id) == 0)
            return p->earlier ? 1 : 0;
    return -1;
}

/* ---- incoming ---- */

static bool live(const room_client *rc)
{
    return !rc->closing && rc->state != RC_DONE;
}

static void bad_message(room_client *rc, const char *what)
{
    if (live(rc) && rc->cb.error)
        rc->cb.error(rc, "bad-message", what, rc->user);
}

static void on_welcome(room_client *rc, const json_t *msg)
{
    const char *id = jsonutil_string(msg, "id");
    const char *room = jsonutil_string(msg, "room");
    json_t *peers = json_object_get(msg, "peers");
    json_t *ice = json_object_get(msg, "iceServers");
    if (!id || !room || (peers && !json_is_array(peers)) || (ice && !json_is_array(ice))) {
        bad_message(rc, "welcome without id, room, or with malformed peers/iceServers");
        return;
    }
    size_t np = json_array_size(peers), ni = json_array_size(ice);
    room_peer *pv = mem_calloc(np ? np : 1, sizeof(*pv));
    room_ice_server *iv = mem_calloc(ni ? ni : 1, sizeof(*iv));
    const char **urls = NULL;
    size_t n_urls_total = 0;
    for (size_t i = 0; i < ni; i++) {
        json_t *u = json_object_get(json_array_get(ice, i), "urls");
        n_urls_total += json_is_array(u) ? json_array_size(u) : 1;
    }
    urls = mem_calloc(n_urls_total ? n_urls_total : 1, sizeof(*urls));
    if (!pv || !iv || !urls) {
        bad_message(rc, "out of memory parsing welcome");
        goto out;
    }

    size_t kp = 0;
    for (size_t i = 0; i < np; i++) {
        json_t *p = json_array_get(peers, i);
        const char *pid = jsonutil_string(p, "id");
        if (!pid)
            continue;
        const char *pname = jsonutil_string(p, "name");
        pv[kp++] = (room_peer){.id = pid, .name = pname ? pname : ""};
    }
    size_t ki = 0, ku = 0;
    for (size_t i = 0; i < ni; i++) {
        json_t *e = json_array_get(ice, i);
        json_t *u = json_object_get(e, "urls");
        size_t first = ku;
        if (json_is_string(u)) { /* RTCIceServer also allows a single string */
            urls[ku++] = json_string_value(u);
        } else if (json_is_array(u)) {
            for (size_t k = 0; k < json_array_size(u); k++)
                if (json_is_string(json_array_get(u, k)))
                    urls[ku++] = json_string_value(json_array_get(u, k));
        }
        if (ku == first)
            continue;
        iv[ki++] = (room_ice_server){
            .urls = &urls[first],
            .n_urls = ku - first,
            .username = jsonutil_string(e, "username"),
            .credential = jsonutil_string(e, "credential"),
        };
    }

    mem_free(rc->id);
    rc->id = mem_strdup(id);
    rc->state = RC_JOINED;
    peers_clear(rc);
    for (size_t i = 0; i < kp; i++)
        peer_add(rc, pv[i].id, true);
    if (live(rc) && rc->cb.welcome) {
        room_welcome w = {
            .id = id,
            .room = room,
            .peers = pv,
            .n_peers = kp,
            .ice_servers = iv,
            .n_ice_servers = ki,
            .json = msg,
        };
        rc->cb.welcome(rc, &w, rc->user);
    }
out:
    mem_free(pv);
    mem_free(iv);
    mem_free(urls);
}

static void on_text(room_client *rc, const char *data, size_t len)
{
    json_t *msg = jsonutil_parse(data, len, NULL);
    const char *type = msg ? jsonutil_string(msg, "type") : NULL;
    if (!type) {
        bad_message(rc, "server frame is not a JSON object with a string \"type\"");
        json_decref(msg);
        return;
    }
    if (strcmp(type, "welcome") == 0) {
        on_welcome(rc, msg);
    } else if (strcmp(type, "peer-joined") == 0) {
        const char *id = jsonutil_string(msg, "id");
        const char *name = jsonutil_string(msg, "name");
        if (!id) {
            bad_message(rc, "peer-joined without id");
        } else {
            if (rc->state == RC_JOINED)
                peer_add(rc, id, false);
            if (live(rc) && rc->cb.peer_joined)
                rc->cb.peer_joined(rc, id, name ? name : "", rc->user);
        }
    } else if (strcmp(type, "peer-left") == 0) {
        const char *id = jsonutil_string(msg, "id");
        if (!id) {
            bad_message(rc, "peer-left without id");
        } else {
            peer_remove(rc, id);
            if (live(rc) && rc->cb.peer_left)
                rc->cb.peer_left(rc, id, rc->user);
        }
    } else if (strcmp(type, "signal") == 0) {
        const char *from = jsonutil_string(msg, "from");
        json_t *d = json_object_get(msg, "data");
        char *text = json_is_object(d) ? jsonutil_dump(d, NULL) : NULL;
        if (!from || !text)
            bad_message(rc, "signal without from or with non-object data");
        else if (live(rc) && rc->cb.signal)
            rc->cb.signal(rc, from, d, text, rc->user);
        mem_free(text);
    } else if (strcmp(type, "error") == 0) {
        const char *code = jsonutil_string(msg, "code");
        const char *message = jsonutil_string(msg, "message");
        if (live(rc) && rc->cb.error)
            rc->cb.error(rc, code ? code : "unknown", message ? message : "", rc->user);
    }
    json_decref(msg);
}

/* ---- ws callbacks ---- */

static int send_json(room_client *rc, json_t *msg)
{
    size_t len = 0;
    char *text = jsonutil_dump(msg, &len);
    json_decref(msg);
    if (!text)
        return MRTC_ENOMEM;
    int rc_ = ws_client_send(rc->ws, text, len);
    mem_free(text);
    return rc_;
}

static void ws_open(ws_client *ws, void *user)
{
    (void)ws;
    room_client *rc = user;
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "room", rc->room);
    if (join && rc->name)
        json_object_set_new(join, "name", json_string(rc->name));
    if (join && rc->code)
        json_object_set_new(join, "code", json_string(rc->code));
    if (!join || send_json(rc, join) != 0) {
        bad_message(rc, "could not send the join");
        return;
    }
    rc->state = RC_JOINING;
}

static void ws_message(ws_client *ws, const char *data, size_t len, bool binary, void *user)
{
    (void)ws;
    room_client *rc = user;
    if (binary || !data) {
        bad_message(rc, binary ? "server sent a binary frame" : "server frame too large");
        return;
    }
    on_text(rc, data, len);
}

static void ws_closed(ws_client *ws, bool was_open, const char *message, void *user)
{
    (void)ws;
    room_client *rc = user;
    if (!live(rc))
        return;
    rc->state = RC_DONE;
    if (was_open && rc->cb.closed)
        rc->cb.closed(rc, message, rc->user);
    else if (!was_open && rc->cb.connect_failed)
        rc->cb.connect_failed(rc, message, rc->user);
}

/* ---- API ---- */

static void free_client(room_client *rc)
{
    peers_clear(rc);
    mem_free(rc->room);
    mem_free(rc->name);
    mem_free(rc->code);
    mem_free(rc->id);
    mem_free(rc);
}

int room_client_connect(uv_loop_t *loop, const room_client_config *cfg, room_client **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    mem_install_hooks();
    if (!cfg->room || !*cfg->room) {
        snprintf(err, errlen, "no room given");
        return MRTC_EINVAL;
    }
    room_client *rc = mem_calloc(1, sizeof(*rc));
    if (!rc) {
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    rc->cb = cfg->cb;
    rc->user = cfg->user;
    rc->room = mem_strdup(cfg->room);
    rc->name = cfg->name && *cfg->name ? mem_strdup(cfg->name) : NULL;
    rc->code = cfg->code && *cfg->code ? mem_strdup(cfg->code) : NULL;
    if (!rc->room || (cfg->name && *cfg->name && !rc->name) ||
        (cfg->code && *cfg->code && !rc->code)) {
        free_client(rc);
        snprintf(err, errlen, "out of memory");
        return MRTC_ENOMEM;
    }
    ws_client_config wc;
    ws_client_config_init(&wc);
    wc.url = cfg->url;
    wc.connect_timeout_ms = cfg->connect_timeout_ms;
    wc.cb.open = ws_open;
    wc.cb.message = ws_message;
    wc.cb.closed = ws_closed;
    wc.user = rc;
    int r = ws_client_connect(loop, &wc, &rc->ws, err, errlen);
    if (r) {
        free_client(rc);
        return r;
    }
    *out = rc;
    return 0;
}

int room_client_signal(room_client *rc, const char *to, const json_t *data)
{
    if (!to || !*to || !json_is_object(data))
        return MRTC_EINVAL;
    if (rc->closing || rc->state != RC_JOINED)
        return MRTC_ESTATE;
    json_t *msg = json_pack("{s:s, s:s, s:O}", "type", "signal", "to", to, "data", data);
    if (!msg)
        return MRTC_ENOMEM;
    return send_json(rc, msg);
}

int room_client_signal_text(room_client *rc, const char *to, const char *data_json)
{
    if (!data_json)
        return MRTC_EINVAL;
    json_t *data = jsonutil_parse(data_json, strlen(data_json), NULL);
    int r = data ? room_client_signal(rc, to, data) : MRTC_EINVAL;
    json_decref(data);
    return r;
}

int room_client_leave(room_client *rc)
{
    if (rc->closing || rc->state != RC_JOINED)
        return MRTC_ESTATE;
    int r = send_json(rc, json_pack("{s:s}", "type", "leave"));
    if (r == 0) {
        rc->state = RC_LEFT;
        peers_clear(rc);
        mem_free(rc->id);
        rc->id = NULL;
    }
    return r;
}

int room_client_send_raw(room_client *rc, const char *text, size_t len)
{
    if (rc->closing)
        return MRTC_ESTATE;
    return ws_client_send(rc->ws, text, len);
}

const char *room_client_id(const room_client *rc)
{
    return rc->state == RC_JOINED ? rc->id : NULL;
}

bool room_client_joined(const room_client *rc)
{
    return !rc->closing && rc->state == RC_JOINED;
}

static void ws_released(void *arg)
{
    room_client *rc = arg;
    void (*cb)(void *) = rc->close_cb;
    void *cb_arg = rc->close_arg;
    free_client(rc);
    if (cb)
        cb(cb_arg);
}

void room_client_close(room_client *rc, void (*cb)(void *arg), void *arg)
{
    if (rc->closing)
        return;
    rc->closing = true;
    rc->close_cb = cb;
    rc->close_arg = arg;
    ws_client_close(rc->ws, ws_released, rc);
}
