/*
 * Room logic of meshrtc-signal: the server side of SIGNALING.md version 1 (join, welcome,
 * peer-joined, peer-left, leave, signal relay, errors, meeting codes, room limits, TURN REST
 * credentials), as a state machine fed with connection events that queues frames, close
 * requests and log lines.
 *
 * It deliberately does no I/O: no sockets, no clock (the caller passes Unix time), no
 * pings or idle timeouts (the WebSocket layer owns liveness), no TLS. It never looks inside
 * a relayed signal's "data" beyond checking that it is an object, and never stores
 * messages for later delivery.
 */
#include "apps/signal/room.h"

#include "apps/common/idmap.h"
#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct room room;
typedef struct peer peer;
typedef struct conn conn;

struct peer {
    peer *next; /* in join order: the head is the oldest */
    room *room;
    conn *conn;
    char id[24];
    char *name; /* "" when none was given */
};

struct room {
    room *next;
    char name[ROOM_NAME_MAX + 1];
    char *code; /* NULL: anyone may join */
    bool fixed; /* configured with --room: never forgotten, code always required */
    peer *head, *tail;
    size_t count;
};

struct conn {
    uint64_t id;
    peer *peer;   /* NULL until a join succeeds, and again after leave */
    bool closing; /* a join failed: the close is requested, further frames are ignored */
};

typedef struct out_node {
    struct out_node *next;
    room_output out;
} out_node;

struct room_server {
    size_t max_peers;
    size_t max_frame;
    char **ice_urls;
    size_t n_ice_urls;
    char *turn_secret;
    uint32_t turn_ttl;

    room *rooms;
    size_t n_rooms;
    idmap conns;
    uint64_t next_peer; /* ids "p1", "p2", ... never reused */

    out_node *out_head, *out_tail;
};

/* ---- output queue ---- */

static void push_output(room_server *rs, room_output_kind kind, uint64_t conn_id, char *text,
                        size_t len)
{
    out_node *n = mem_alloc(sizeof(*n));
    if (!n) {
        mem_free(text); /* out of memory: the frame or line is lost */
        return;
    }
    n->next = NULL;
    n->out = (room_output){.kind = kind, .conn = conn_id, .text = text, .len = len};
    if (rs->out_tail)
        rs->out_tail->next = n;
    else
        rs->out_head = n;
    rs->out_tail = n;
}

/* Queues `msg` (consumed) as a text frame to `c`. */
static void send_json(room_server *rs, const conn *c, json_t *msg)
{
    size_t len = 0;
    char *text = jsonutil_dump(msg, &len);
    json_decref(msg);
    if (text)
        push_output(rs, ROOM_OUT_SEND, c->id, text, len);
}

static void log_line(room_server *rs, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    char *text = mem_strndup(buf, len);
    if (text)
        push_output(rs, ROOM_OUT_LOG, 0, text, len);
}

bool room_poll_output(room_server *rs, room_output *out)
{
    out_node *n = rs->out_head;
    if (!n)
        return false;
    rs->out_head = n->next;
    if (!rs->out_head)
        rs->out_tail = NULL;
    *out = n->out;
    mem_free(n);
    return true;
}

void room_output_clear(room_output *out)
{
    mem_free(out->text);
    out->text = NULL;
    out->len = 0;
}

/* A string for a log line: JSON-quoted (so control characters and quotes cannot break the
 * line) and cut to `max` bytes of input. Returns a static buffer. */
static const char *quoted(const char *s, size_t max)
{
    static char buf[3][400];
    static int which;
    char *b = buf[which];
    which = (which + 1) % 3;
    if (!s)
        return "-";
    size_t len = strnlen(s, max);
    json_t *j = json_stringn_nocheck(s, len);
    size_t n = j ? json_dumpb(j, b, sizeof(buf[0]) - 1, JSON_ENCODE_ANY) : 0;
    json_decref(j);
    if (n == 0 || n >= sizeof(buf[0]))
        return "\"?\"";
    b[n] = '\0';
    return b;
}

/* ---- frames ---- */

static void send_error(room_server *rs, const conn *c, const char *code, const char *message)
{
    send_json(rs, c,
              json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message));
}

static json_t *peer_summary(const peer *p)
{
    return json_pack("{s:s, s:s}", "id", p->id, "name", p->name);
}

static void broadcast(room_server *rs, const room *r, const peer *except, json_t *msg)
{
    size_t len = 0;
    char *text = jsonutil_dump(msg, &len);
    json_decref(msg);
    if (!text)
        return;
    for (const peer *p = r->head; p; p = p->next) {
        if (p == except)
            continue;
        char *copy = mem_memdup(text, len + 1);
        if (copy)
            push_output(rs, ROOM_OUT_SEND, p->conn->id, copy, len);
    }
    mem_free(text);
}

/* ---- TURN credentials ---- */

int room_turn_credential(const char *secret, const char *username, char *out, size_t outlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)username,
              strlen(username), mac, &maclen))
        return -1;
    size_t need = 4 * ((maclen + 2) / 3) + 1;
    if (outlen < need)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
    return 0;
}

static bool is_turn_url(const char *url)
{
    return strncmp(url, "turn:", 5) == 0 || strncmp(url, "turns:", 6) == 0;
}

static json_t *ice_servers(const room_server *rs, const peer *p, int64_t unix_now)
{
    json_t *list = json_array();
    char username[64] = "", credential[64] = "";
    if (rs->turn_secret) {
        snprintf(username, sizeof(username), "%" PRId64 ":%s", unix_now + (int64_t)rs->turn_ttl,
                 p->id);
        if (room_turn_credential(rs->turn_secret, username, credential, sizeof(credential)))
            credential[0] = '\0';
    }
    for (size_t i = 0; i < rs->n_ice_urls; i++) {
        const char *url = rs->ice_urls[i];
        json_t *entry;
        if (is_turn_url(url) && rs->turn_secret && credential[0])
            entry = json_pack("{s:[s], s:s, s:s}", "urls", url, "username", username, "credential",
                              credential);
        else
            entry = json_pack("{s:[s]}", "urls", url);
        json_array_append_new(list, entry);
    }
    return list;
}

/* ---- rooms ---- */

static bool valid_room_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > ROOM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static room *find_room(const room_server *rs, const char *name)
{
    for (room *r = rs->rooms; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static room *add_room(room_server *rs, const char *name, const char *code, bool fixed)
{
    room *r = mem_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    snprintf(r->name, sizeof(r->name), "%s", name);
    if (code) {
        r->code = mem_strdup(code);
        if (!r->code) {
            mem_free(r);
            return NULL;
        }
    }
    r->fixed = fixed;
    r->next = rs->rooms;
    rs->rooms = r;
    rs->n_rooms++;
    return r;
}

static void free_room(room *r)
{
    mem_free(r->code);
    mem_free(r);
}

static void forget_room(room_server *rs, room *r)
{
    for (room **pp = &rs->rooms; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            rs->n_rooms--;
            free_room(r);
            return;
        }
    }
}

static peer *find_peer(const room *r, const char *id)
{
    for (peer *p = r->head; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

/* Takes `p` out of its room, tells the others, logs, and forgets a dynamic room that became
 * empty. */
static void remove_peer(room_server *rs, peer *p, const char *reason)
{
    room *r = p->room;
    peer **pp = &r->head;
    peer *prev = NULL;
    while (*pp && *pp != p) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp)
        *pp = p->next;
    if (r->tail == p)
        r->tail = prev;
    r->count--;
    p->conn->peer = NULL;

    broadcast(rs, r, NULL, json_pack("{s:s, s:s}", "type", "peer-left", "id", p->id));
    bool forget = r->count == 0 && !r->fixed;
    log_line(rs, "leave room=%s id=%s reason=%s members=%zu%s", r->name, p->id, reason, r->count,
             forget ? " (room forgotten)" : "");
    if (forget)
        forget_room(rs, r);
    mem_free(p->name);
    mem_free(p);
}

/* ---- messages ---- */

/* A failed join: one error, then the connection is closed. */
static void refuse(room_server *rs, conn *c, const char *room_name, const char *code,
                   const char *message)
{
    send_error(rs, c, code, message);
    push_output(rs, ROOM_OUT_CLOSE, c->id, NULL, 0);
    c->closing = true;
    log_line(rs, "refuse conn=%" PRIu64 " room=%s error=%s: %s", c->id,
             quoted(room_name, ROOM_NAME_MAX), code, message);
}

/* Reads an optional string field: absent or null gives NULL; other types are an error. */
static int optional_string(const json_t *msg, const char *key, const char **out)
{
    json_t *v = json_object_get(msg, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

static void handle_join(room_server *rs, conn *c, const json_t *msg, int64_t unix_now)
{
    if (c->peer) {
        char m[128];
        snprintf(m, sizeof(m), "already joined room %s as %s", c->peer->room->name, c->peer->id);
        send_error(rs, c, "bad-request", m);
        return;
    }

    json_t *jroom = json_object_get(msg, "room");
    const char *room_name = json_is_string(jroom) ? json_string_value(jroom) : NULL;
    if (!room_name || strlen(room_name) != json_string_length(jroom) ||
        !valid_room_name(room_name)) {
        refuse(rs, c, room_name, "bad-request",
               "room must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
        return;
    }

    const char *name, *code;
    if (optional_string(msg, "name", &name)) {
        refuse(rs, c, room_name, "bad-request", "name must be a string");
        return;
    }
    if (!name)
        name = "";
    long points = jsonutil_utf8_count(name, strlen(name));
    if (points < 0) {
        refuse(rs, c, room_name, "bad-request", "name is not valid UTF-8");
        return;
    }
    if (points > ROOM_DISPLAY_NAME_MAX) {
        refuse(rs, c, room_name, "bad-request", "name is longer than 64 characters");
        return;
    }
    if (optional_string(msg, "code", &code)) {
        refuse(rs, c, room_name, "bad-request", "code must be a string");
        return;
    }
    if (code && strlen(code) > ROOM_CODE_MAX) {
        refuse(rs, c, room_name, "bad-request", "code is longer than 64 bytes");
        return;
    }
    if (code && !*code)
        code = NULL;

    room *r = find_room(rs, room_name);
    if (r && r->code && (!code || strcmp(code, r->code) != 0)) {
        refuse(rs, c, room_name, "bad-code",
               code ? "meeting code does not match" : "this room needs a meeting code");
        return;
    }
    if (r && r->count >= rs->max_peers) {
        char m[64];
        snprintf(m, sizeof(m), "room is full (%zu participants)", rs->max_peers);
        refuse(rs, c, room_name, "room-full", m);
        return;
    }

    bool created = false;
    if (!r) {
        r = add_room(rs, room_name, code, false);
        created = true;
    }
    peer *p = r ? mem_calloc(1, sizeof(*p)) : NULL;
    if (p)
        p->name = mem_strdup(name);
    if (!p || !p->name) {
        if (p)
            mem_free(p);
        if (created)
            forget_room(rs, r);
        refuse(rs, c, room_name, "bad-request", "server out of memory");
        return;
    }
    snprintf(p->id, sizeof(p->id), "p%" PRIu64, ++rs->next_peer);
    p->room = r;
    p->conn = c;

    json_t *peers = json_array();
    for (const peer *q = r->head; q; q = q->next)
        json_array_append_new(peers, peer_summary(q));
    send_json(rs, c,
              json_pack("{s:s, s:s, s:s, s:o, s:o}", "type", "welcome", "id", p->id, "room",
                        r->name, "peers", peers, "iceServers", ice_servers(rs, p, unix_now)));
    broadcast(rs, r, NULL,
              json_pack("{s:s, s:s, s:s}", "type", "peer-joined", "id", p->id, "name", p->name));

    if (r->tail)
        r->tail->next = p;
    else
        r->head = p;
    r->tail = p;
    r->count++;
    c->peer = p;
    log_line(rs, "join room=%s id=%s name=%s conn=%" PRIu64 " members=%zu%s", r->name, p->id,
             quoted(p->name, 256), c->id, r->count,
             created ? (r->code ? " (room created with a code)" : " (room created)") : "");
}

static void handle_signal(room_server *rs, conn *c, const json_t *msg)
{
    if (!c->peer) {
        send_error(rs, c, "not-joined", "join a room before sending signal");
        return;
    }
    const char *to = jsonutil_string(msg, "to");
    if (!to) {
        send_error(rs, c, "bad-request", "signal needs a string \"to\"");
        return;
    }
    json_t *data = json_object_get(msg, "data");
    if (!json_is_object(data)) {
        send_error(rs, c, "bad-request", "signal \"data\" must be a JSON object");
        return;
    }
    peer *target = find_peer(c->peer->room, to);
    if (target == c->peer) {
        send_error(rs, c, "bad-request", "cannot signal yourself");
        return;
    }
    if (!target) {
        char m[128];
        snprintf(m, sizeof(m), "no peer %s in this room", quoted(to, 32));
        send_error(rs, c, "unknown-peer", m);
        return;
    }
    send_json(rs, target->conn,
              json_pack("{s:s, s:s, s:O}", "type", "signal", "from", c->peer->id, "data", data));
}

static void handle_leave(room_server *rs, conn *c)
{
    if (!c->peer) {
        send_error(rs, c, "not-joined", "not in a room");
        return;
    }
    remove_peer(rs, c->peer, "leave");
}

void room_on_text(room_server *rs, uint64_t conn_id, const char *data, size_t len, int64_t unix_now)
{
    conn *c = idmap_get(&rs->conns, conn_id);
    if (!c || c->closing)
        return;
    if (len > rs->max_frame || !data) {
        char m[96];
        snprintf(m, sizeof(m), "frame of %zu bytes is over the %zu-byte limit", len, rs->max_frame);
        send_error(rs, c, "too-large", m);
        return;
    }
    json_t *msg = jsonutil_parse(data, len, NULL);
    if (!msg) {
        send_error(rs, c, "bad-request", "frame is not valid JSON");
        return;
    }
    const char *type = jsonutil_string(msg, "type");
    if (!json_is_object(msg)) {
        send_error(rs, c, "bad-request", "frame must be a JSON object");
    } else if (!type) {
        send_error(rs, c, "bad-request", "frame has no string \"type\"");
    } else if (strcmp(type, "join") == 0) {
        handle_join(rs, c, msg, unix_now);
    } else if (strcmp(type, "signal") == 0) {
        handle_signal(rs, c, msg);
    } else if (strcmp(type, "leave") == 0) {
        handle_leave(rs, c);
    } else {
        char m[96];
        snprintf(m, sizeof(m), "unknown message type %s", quoted(type, 32));
        send_error(rs, c, "unknown-type", m);
    }
    json_decref(msg);
}

void room_on_binary(room_server *rs, uint64_t conn_id, size_t len)
{
    (void)len;
    conn *c = idmap_get(&rs->conns, conn_id);
    if (!c || c->closing)
        return;
    send_error(rs, c, "bad-request", "binary frames are not supported: send JSON text frames");
}

int room_on_open(room_server *rs, uint64_t conn_id)
{
    conn *c = mem_calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->id = conn_id;
    if (idmap_put(&rs->conns, conn_id, c)) {
        mem_free(c);
        return -1;
    }
    return 0;
}

void room_on_close(room_server *rs, uint64_t conn_id)
{
    conn *c = idmap_remove(&rs->conns, conn_id);
    if (!c)
        return;
    if (c->peer)
        remove_peer(rs, c->peer, "closed");
    mem_free(c);
}

/* ---- lifetime ---- */

void room_config_init(room_config *cfg)
{
    *cfg = (room_config){
        .max_peers = ROOM_DEFAULT_MAX_PEERS,
        .max_frame = ROOM_MAX_FRAME,
        .turn_ttl = ROOM_DEFAULT_TURN_TTL,
    };
}

static bool known_ice_scheme(const char *url)
{
    static const char *const schemes[] = {"stun:", "stuns:", "turn:", "turns:"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strncmp(url, schemes[i], strlen(schemes[i])) == 0 && url[strlen(schemes[i])])
            return true;
    return false;
}

int room_server_new(const room_config *cfg, room_server **out, char *err, size_t errlen)
{
    *out = NULL;
    room_server *rs = mem_calloc(1, sizeof(*rs));
    if (!rs)
        goto oom;
    idmap_init(&rs->conns);
    rs->max_peers = cfg->max_peers ? cfg->max_peers : ROOM_DEFAULT_MAX_PEERS;
    rs->max_frame = cfg->max_frame ? cfg->max_frame : ROOM_MAX_FRAME;
    rs->turn_ttl = cfg->turn_ttl ? cfg->turn_ttl : ROOM_DEFAULT_TURN_TTL;
    if (cfg->turn_secret && *cfg->turn_secret) {
        rs->turn_secret = mem_strdup(cfg->turn_secret);
        if (!rs->turn_secret)
            goto oom;
    }
    for (size_t i = 0; i < cfg->n_rooms; i++) {
        const room_fixed *f = &cfg->rooms[i];
        if (!f->name || !valid_room_name(f->name)) {
            snprintf(err, errlen, "bad room name \"%s\": use 1-64 of A-Z a-z 0-9 _ -",
                     f->name ? f->name : "");
            goto fail;
        }
        if (!f->code || !*f->code || strlen(f->code) > ROOM_CODE_MAX) {
            snprintf(err, errlen, "room %s needs a code of 1-%d bytes", f->name, ROOM_CODE_MAX);
            goto fail;
        }
        if (find_room(rs, f->name)) {
            snprintf(err, errlen, "room %s is configured twice", f->name);
            goto fail;
        }
        if (!add_room(rs, f->name, f->code, true))
            goto oom;
    }
    if (cfg->n_ice_urls) {
        rs->ice_urls = mem_calloc(cfg->n_ice_urls, sizeof(char *));
        if (!rs->ice_urls)
            goto oom;
        for (size_t i = 0; i < cfg->n_ice_urls; i++) {
            if (!known_ice_scheme(cfg->ice_urls[i])) {
                snprintf(err, errlen,
                         "bad ICE server URL \"%s\": expected stun:, stuns:, "
                         "turn: or turns:",
                         cfg->ice_urls[i]);
                goto fail;
            }
            rs->ice_urls[i] = mem_strdup(cfg->ice_urls[i]);
            rs->n_ice_urls++;
            if (!rs->ice_urls[i])
                goto oom;
        }
    }
    *out = rs;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    room_server_free(rs);
    return -1;
}

static void free_conn(uint64_t key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    mem_free(value);
}

void room_server_free(room_server *rs)
{
    if (!rs)
        return;
    room *r = rs->rooms;
    while (r) {
        room *next = r->next;
        peer *p = r->head;
        while (p) {
            peer *pn = p->next;
            mem_free(p->name);
            mem_free(p);
            p = pn;
        }
        free_room(r);
        r = next;
    }
    idmap_foreach(&rs->conns, free_conn, NULL);
    room_output o;
    while (room_poll_output(rs, &o))
        room_output_clear(&o);
    idmap_deinit(&rs->conns);
    for (size_t i = 0; i < rs->n_ice_urls; i++)
        mem_free(rs->ice_urls[i]);
    mem_free(rs->ice_urls);
    mem_free(rs->turn_secret);
    mem_free(rs);
}

size_t room_server_room_count(const room_server *rs)
{
    return rs->n_rooms;
}

long room_server_members(const room_server *rs, const char *name)
{
    const room *r = find_room(rs, name);
    return r ? (long)r->count : -1;
}
