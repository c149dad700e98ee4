/*
 * libFuzzer target for the room logic of meshrtc-signal (apps/signal/room.c), the server side
 * of SIGNALING.md: its text frames come from anyone who can open a WebSocket.
 *
 * The input is a script of newline-separated records, readable so that seeds can be written
 * by hand and mutations keep their shape. The first record configures the server: a digit
 * 1-9 sets the room limit (default 2), 'T' a TURN secret, 'F' a configured room "locked" with
 * code 421690, 'S' a 1 KiB frame limit, 'K' ends without closing the connections (the server
 * is freed with members and undrained output). Every other record is one transport event:
 * byte 0 the action ('o' open, 't' text frame, 'c' close, 'b' binary frame, 'x' text frame
 * over the limit reported by length; any other byte picks one of these), byte 1 the
 * connection slot 0-7 (its low three bits), the rest the frame. A frame to a slot that is
 * not open opens it first; a closed slot reopens under a new connection id.
 *
 * A reference model of SIGNALING.md (rooms, codes, members in join order, the room limit)
 * predicts the outcome of every event, and the queued output must match it exactly: the
 * right error code (and a close after a failed join only), welcome with the members oldest
 * first and the ICE servers, peer-joined / peer-left to exactly the other members, a signal
 * to exactly its target and never back to its sender, nothing at all for a connection being
 * closed. Every frame must be one JSON object with a string "type", every log line one line.
 * The run ends with no live block in the counting allocator. Any breach aborts.
 */
#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"
#include "apps/signal/room.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSLOTS 8
#define NROOMS (NSLOTS + 1)
#define NOW 1700000000
#define SMALL_FRAME 1024
#define FIXED_ROOM "locked"
#define FIXED_CODE "421690"
#define TURN_SECRET "fuzz-secret"

static const char *const ice_urls[] = {"stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp"};
#define N_ICE (sizeof(ice_urls) / sizeof(ice_urls[0]))

typedef enum action { ACT_OPEN, ACT_TEXT, ACT_CLOSE, ACT_BINARY, ACT_OVERSIZE } action;

typedef struct mslot {
    bool open;
    bool closing; /* the room asked the transport to close it */
    bool joined;
    uint64_t conn;
    uint32_t gen;
    uint64_t seq; /* join order */
    char id[32];
    char room[ROOM_NAME_MAX + 1];
    char name[4 * ROOM_DISPLAY_NAME_MAX + 1];
} mslot;

typedef struct mroom {
    bool used;
    bool fixed;
    char name[ROOM_NAME_MAX + 1];
    bool has_code;
    char code[ROOM_CODE_MAX + 1];
} mroom;

typedef struct model {
    size_t max_peers;
    size_t max_frame;
    bool turn;
    bool fixed;
    bool keep;
    mslot slots[NSLOTS];
    mroom rooms[NROOMS];
    uint64_t next_seq;
    char (*ids)[32]; /* every id a welcome ever gave: must be unique */
    size_t n_ids, cap_ids;
    size_t step;
} model;

typedef enum exp_kind {
    EXP_NONE,
    EXP_ERROR,
    EXP_REFUSE,
    EXP_WELCOME,
    EXP_SIGNAL,
    EXP_LEFT
} exp_kind;

typedef struct expect {
    exp_kind kind;
    const char *code; /* EXP_ERROR, EXP_REFUSE */
    /* EXP_WELCOME */
    const char *room;
    const char *name;
    const char *join_code; /* NULL: none */
    /* EXP_SIGNAL */
    int target;
    const json_t *data;
} expect;

typedef struct outlist {
    room_output *o;
    json_t **j; /* parsed SEND frames, NULL for other kinds */
    size_t n, cap;
} outlist;

static model *cur; /* for failure reports */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fuzz_signal_room: step %zu: ", cur ? cur->step : 0);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ---- model ---- */

static bool valid_room_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > ROOM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", s[i]))
            return false;
    return true;
}

/* Code points of a string jansson accepted (so valid UTF-8): bytes that are not
 * continuation bytes. */
static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static mroom *model_room(model *m, const char *name)
{
    for (size_t i = 0; i < NROOMS; i++)
        if (m->rooms[i].used && strcmp(m->rooms[i].name, name) == 0)
            return &m->rooms[i];
    return NULL;
}

/* The members of `room` in join order; returns how many. */
static size_t members(const model *m, const char *room, int out[NSLOTS])
{
    size_t n = 0;
    for (int i = 0; i < NSLOTS; i++)
        if (m->slots[i].joined && strcmp(m->slots[i].room, room) == 0)
            out[n++] = i;
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && m->slots[out[b - 1]].seq > m->slots[out[b]].seq; b--) {
            int t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    return n;
}

static int slot_of_conn(const model *m, uint64_t conn)
{
    for (int i = 0; i < NSLOTS; i++)
        if (m->slots[i].open && m->slots[i].conn == conn)
            return i;
    return -1;
}

static void remember_id(model *m, const char *id)
{
    for (size_t i = 0; i < m->n_ids; i++)
        if (strcmp(m->ids[i], id) == 0)
            fail("welcome id %s was given before", id);
    if (m->n_ids == m->cap_ids) {
        size_t cap = m->cap_ids ? 2 * m->cap_ids : 64;
        void *p = realloc(m->ids, cap * sizeof(m->ids[0]));
        if (!p)
            abort();
        m->ids = p;
        m->cap_ids = cap;
    }
    snprintf(m->ids[m->n_ids++], sizeof(m->ids[0]), "%s", id);
}

/* What the room must answer to a text frame from slot `a` (open, not closing). `msg` is the
 * parsed frame or NULL; the expectation borrows from it. */
static expect predict_text(model *m, int a, const json_t *msg, size_t len)
{
    const mslot *s = &m->slots[a];
    expect e = {.kind = EXP_ERROR, .code = "bad-request", .target = -1};
    if (len > m->max_frame) {
        e.code = "too-large";
        return e;
    }
    if (!msg || !json_is_object(msg))
        return e;
    json_t *jt = json_object_get(msg, "type");
    if (!json_is_string(jt))
        return e;
    const char *type = json_string_value(jt);

    if (strcmp(type, "join") == 0) {
        if (s->joined)
            return e;
        e.kind = EXP_REFUSE;
        json_t *jr = json_object_get(msg, "room");
        if (!json_is_string(jr) || !valid_room_name(json_string_value(jr)))
            return e;
        e.room = json_string_value(jr);
        json_t *jn = json_object_get(msg, "name");
        if (jn && !json_is_null(jn) && !json_is_string(jn))
            return e;
        e.name = json_is_string(jn) ? json_string_value(jn) : "";
        if (code_points(e.name) > ROOM_DISPLAY_NAME_MAX)
            return e;
        json_t *jc = json_object_get(msg, "code");
        if (jc && !json_is_null(jc) && !json_is_string(jc))
            return e;
        e.join_code = json_is_string(jc) ? json_string_value(jc) : NULL;
        if (e.join_code && strlen(e.join_code) > ROOM_CODE_MAX)
            return e;
        if (e.join_code && !*e.join_code)
            e.join_code = NULL;
        const mroom *r = model_room(m, e.room);
        int mem[NSLOTS];
        if (r && r->has_code && (!e.join_code || strcmp(e.join_code, r->code) != 0)) {
            e.code = "bad-code";
            return e;
        }
        if (r && members(m, e.room, mem) >= m->max_peers) {
            e.code = "room-full";
            return e;
        }
        e.kind = EXP_WELCOME;
        e.code = NULL;
        return e;
    }
    if (strcmp(type, "signal") == 0) {
        if (!s->joined) {
            e.code = "not-joined";
            return e;
        }
        json_t *jto = json_object_get(msg, "to");
        json_t *jd = json_object_get(msg, "data");
        if (!json_is_string(jto) || !json_is_object(jd))
            return e;
        const char *to = json_string_value(jto);
        if (strcmp(to, s->id) == 0)
            return e;
        for (int i = 0; i < NSLOTS; i++) {
            const mslot *t = &m->slots[i];
            if (i != a && t->joined && strcmp(t->room, s->room) == 0 && strcmp(t->id, to) == 0) {
                e.kind = EXP_SIGNAL;
                e.code = NULL;
                e.target = i;
                e.data = jd;
                return e;
            }
        }
        e.code = "unknown-peer";
        return e;
    }
    if (strcmp(type, "leave") == 0) {
        if (!s->joined) {
            e.code = "not-joined";
            return e;
        }
        e.kind = EXP_LEFT;
        e.code = NULL;
        return e;
    }
    e.code = "unknown-type";
    return e;
}

/* ---- output checks ---- */

static void outlist_clear(outlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        room_output_clear(&l->o[i]);
        json_decref(l->j[i]);
    }
    l->n = 0;
}

static void drain(room_server *rs, outlist *l)
{
    room_output o;
    while (room_poll_output(rs, &o)) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 32;
            void *po = realloc(l->o, cap * sizeof(*l->o));
            if (!po)
                abort();
            l->o = po;
            void *pj = realloc(l->j, cap * sizeof(*l->j));
            if (!pj)
                abort();
            l->j = pj;
            l->cap = cap;
        }
        json_t *j = NULL;
        switch (o.kind) {
        case ROOM_OUT_SEND:
            if (!o.text || strlen(o.text) != o.len)
                fail("frame text missing or its length is wrong");
            j = jsonutil_parse(o.text, o.len, NULL);
            if (!json_is_object(j) || !jsonutil_string(j, "type"))
                fail("frame is not a JSON object with a string type: %s", o.text);
            break;
        case ROOM_OUT_CLOSE:
            if (o.text)
                fail("close request carries text");
            break;
        case ROOM_OUT_LOG:
            if (!o.text || strlen(o.text) != o.len || o.conn != 0)
                fail("malformed log output");
            if (strpbrk(o.text, "\r\n"))
                fail("log line spans lines: %s", o.text);
            break;
        default:
            fail("unknown output kind %d", (int)o.kind);
        }
        l->o[l->n] = o;
        l->j[l->n] = j;
        l->n++;
    }
}

static const char *type_of(const json_t *j)
{
    return jsonutil_string(j, "type");
}

static void check_keys(const json_t *j, size_t n, const char *what)
{
    if (json_object_size(j) != n)
        fail("%s has %zu keys, expected %zu", what, json_object_size(j), n);
}

static void check_string(const json_t *j, const char *key, const char *want, const char *what)
{
    const char *got = jsonutil_string(j, key);
    if (!got || strcmp(got, want) != 0)
        fail("%s: \"%s\" is %s, expected %s", what, key, got ? got : "(none)", want);
}

static void check_error(const json_t *j, const char *code)
{
    if (strcmp(type_of(j), "error") != 0)
        fail("expected an error %s, got a %s", code, type_of(j));
    check_keys(j, 3, "error");
    check_string(j, "code", code, "error");
    const char *msg = jsonutil_string(j, "message");
    if (!msg || !*msg)
        fail("error %s without a message", code);
}

static void check_welcome(model *m, const json_t *j, const char *room, const int *mem, size_t n)
{
    if (strcmp(type_of(j), "welcome") != 0)
        fail("expected welcome, got %s", type_of(j));
    check_keys(j, 5, "welcome");
    const char *id = jsonutil_string(j, "id");
    if (!id || !*id || strlen(id) >= sizeof(m->slots[0].id))
        fail("welcome id missing or too long");
    remember_id(m, id);
    check_string(j, "room", room, "welcome");

    json_t *peers = json_object_get(j, "peers");
    if (!json_is_array(peers) || json_array_size(peers) != n)
        fail("welcome lists %zu peers, the room has %zu", json_array_size(peers), n);
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(peers, i);
        check_keys(p, 2, "welcome peer");
        check_string(p, "id", m->slots[mem[i]].id, "welcome peer (oldest first)");
        check_string(p, "name", m->slots[mem[i]].name, "welcome peer");
    }

    json_t *ice = json_object_get(j, "iceServers");
    if (!json_is_array(ice) || json_array_size(ice) != N_ICE)
        fail("welcome iceServers is not a list of %zu", N_ICE);
    for (size_t i = 0; i < N_ICE; i++) {
        const json_t *e = json_array_get(ice, i);
        const json_t *urls = json_object_get(e, "urls");
        if (json_array_size(urls) != 1 || !json_is_string(json_array_get(urls, 0)) ||
            strcmp(json_string_value(json_array_get(urls, 0)), ice_urls[i]) != 0)
            fail("iceServers[%zu].urls is not [\"%s\"]", i, ice_urls[i]);
        bool creds = m->turn && strncmp(ice_urls[i], "turn", 4) == 0;
        check_keys(e, creds ? 3 : 1, "iceServers entry");
        if (creds) {
            char user[64];
            snprintf(user, sizeof(user), "%" PRId64 ":%s", (int64_t)NOW + ROOM_DEFAULT_TURN_TTL,
                     id);
            check_string(e, "username", user, "TURN entry");
            const char *cred = jsonutil_string(e, "credential");
            if (!cred || strlen(cred) != 28) /* base64 of a 20-byte HMAC-SHA1 */
                fail("TURN credential is not 28 characters");
        }
    }
}

/* Sends in `l` other than to `except`, each to a distinct member of `mem` and all of them
 * reached, with `type` and `id`; `name` too for peer-joined. */
static void check_broadcast(model *m, const outlist *l, size_t from, const int *mem, size_t n,
                            int except, const char *type, const char *id, const char *name)
{
    bool got[NSLOTS] = {false};
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += mem[i] != except;
    size_t seen = 0;
    for (size_t i = from; i < l->n; i++) {
        if (l->o[i].kind != ROOM_OUT_SEND)
            continue;
        int s = slot_of_conn(m, l->o[i].conn);
        bool member = false;
        for (size_t k = 0; k < n; k++)
            member |= mem[k] == s;
        if (s < 0 || s == except || !member || got[s])
            fail("%s sent to conn %" PRIu64 ", not a member to tell (or told twice)", type,
                 l->o[i].conn);
        got[s] = true;
        const json_t *j = l->j[i];
        if (strcmp(type_of(j), type) != 0)
            fail("expected %s, got %s", type, type_of(j));
        check_keys(j, name ? 3 : 2, type);
        check_string(j, "id", id, type);
        if (name)
            check_string(j, "name", name, type);
        seen++;
    }
    if (seen != want)
        fail("%s reached %zu members, expected %zu", type, seen, want);
}

static size_t count_kind(const outlist *l, room_output_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->o[i].kind == kind;
    return n;
}

/* The first SEND at or after `from`, or l->n. */
static size_t next_send(const outlist *l, size_t from)
{
    while (from < l->n && l->o[from].kind != ROOM_OUT_SEND)
        from++;
    return from;
}

static void forget_if_empty(model *m, const char *room)
{
    int mem[NSLOTS];
    mroom *r = model_room(m, room);
    if (r && !r->fixed && members(m, room, mem) == 0)
        r->used = false;
}

static void check_counts(model *m, room_server *rs, const char *extra_room)
{
    size_t n = 0;
    for (size_t i = 0; i < NROOMS; i++) {
        const mroom *r = &m->rooms[i];
        if (!r->used)
            continue;
        n++;
        int mem[NSLOTS];
        long want = (long)members(m, r->name, mem);
        long got = room_server_members(rs, r->name);
        if (got != want)
            fail("room %s has %ld members, expected %ld", r->name, got, want);
        if ((size_t)want > m->max_peers)
            fail("room %s is over the limit", r->name);
    }
    if (room_server_room_count(rs) != n)
        fail("%zu rooms, expected %zu", room_server_room_count(rs), n);
    if (extra_room && !model_room(m, extra_room) && room_server_members(rs, extra_room) != -1)
        fail("room %s exists but should not", extra_room);
}

/* Checks the output of one event from slot `a` against `e`, then updates the model. */
static void verify(model *m, room_server *rs, int a, const expect *e, outlist *l)
{
    mslot *s = &m->slots[a];
    size_t sends = count_kind(l, ROOM_OUT_SEND), closes = count_kind(l, ROOM_OUT_CLOSE);
    size_t first = next_send(l, 0);
    int mem[NSLOTS];
    size_t n;

    switch (e->kind) {
    case EXP_NONE:
        if (l->n)
            fail("expected no output, got %zu", l->n);
        break;
    case EXP_ERROR:
    case EXP_REFUSE:
        if (sends != 1 || l->o[first].conn != s->conn)
            fail("expected one error %s to the sender, got %zu frames", e->code, sends);
        check_error(l->j[first], e->code);
        if (e->kind == EXP_ERROR && closes)
            fail("error %s closes the connection", e->code);
        if (e->kind == EXP_REFUSE) {
            size_t c = 0;
            while (c < l->n && l->o[c].kind != ROOM_OUT_CLOSE)
                c++;
            if (closes != 1 || c < first || l->o[c].conn != s->conn)
                fail("failed join (%s) is not followed by one close of its connection", e->code);
            s->closing = true;
        }
        break;
    case EXP_WELCOME: {
        if (closes)
            fail("successful join closes a connection");
        if (first == l->n || l->o[first].conn != s->conn)
            fail("welcome is not the first frame, to the joiner");
        n = members(m, e->room, mem);
        check_welcome(m, l->j[first], e->room, mem, n);
        const char *id = jsonutil_string(l->j[first], "id");
        check_broadcast(m, l, first + 1, mem, n, a, "peer-joined", id, e->name);
        if (!model_room(m, e->room)) {
            mroom *r = NULL;
            for (size_t i = 0; i < NROOMS && !r; i++)
                if (!m->rooms[i].used)
                    r = &m->rooms[i];
            if (!r)
                fail("model out of rooms");
            *r = (mroom){.used = true, .has_code = e->join_code != NULL};
            snprintf(r->name, sizeof(r->name), "%s", e->room);
            if (e->join_code)
                snprintf(r->code, sizeof(r->code), "%s", e->join_code);
        }
        s->joined = true;
        s->seq = ++m->next_seq;
        snprintf(s->id, sizeof(s->id), "%s", id);
        snprintf(s->room, sizeof(s->room), "%s", e->room);
        snprintf(s->name, sizeof(s->name), "%s", e->name);
        break;
    }
    case EXP_SIGNAL: {
        const mslot *t = &m->slots[e->target];
        if (closes || sends != 1)
            fail("signal produced %zu frames and %zu closes", sends, closes);
        if (l->o[first].conn == s->conn)
            fail("signal echoed to its sender");
        if (l->o[first].conn != t->conn)
            fail("signal sent to conn %" PRIu64 ", not its target %" PRIu64, l->o[first].conn,
                 t->conn);
        const json_t *j = l->j[first];
        if (strcmp(type_of(j), "signal") != 0)
            fail("expected signal, got %s", type_of(j));
        check_keys(j, 3, "signal");
        check_string(j, "from", s->id, "signal");
        if (!json_equal(json_object_get(j, "data"), (json_t *)e->data))
            fail("signal data changed in the relay");
        break;
    }
    case EXP_LEFT:
        if (closes)
            fail("leave closes a connection");
        n = members(m, s->room, mem);
        check_broadcast(m, l, 0, mem, n, a, "peer-left", s->id, NULL);
        s->joined = false;
        forget_if_empty(m, s->room);
        break;
    }
}

/* ---- events ---- */

static void ensure_open(model *m, room_server *rs, int a)
{
    mslot *s = &m->slots[a];
    if (s->open)
        return;
    *s = (mslot){.open = true, .gen = s->gen + 1};
    s->conn = ((uint64_t)s->gen << 3) | (uint64_t)a;
    if (room_on_open(rs, s->conn) != 0)
        fail("room_on_open failed");
}

static void event(model *m, room_server *rs, outlist *l, action act, int a, const char *frame,
                  size_t len)
{
    mslot *s = &m->slots[a];
    expect e = {.kind = EXP_NONE};
    json_t *msg = NULL;
    const char *room_tried = NULL;

    m->step++;
    if (act == ACT_CLOSE) {
        if (s->open && s->joined)
            e.kind = EXP_LEFT;
        room_on_close(rs, s->open ? s->conn : ((uint64_t)(s->gen + 1) << 3) | (uint64_t)a);
    } else {
        ensure_open(m, rs, a);
        if (act == ACT_OPEN) {
            /* already done */
        } else if (s->closing) {
            if (act == ACT_TEXT)
                room_on_text(rs, s->conn, frame, len, NOW);
            else if (act == ACT_BINARY)
                room_on_binary(rs, s->conn, len);
            else
                room_on_text(rs, s->conn, NULL, m->max_frame + 1, NOW);
        } else if (act == ACT_TEXT) {
            msg = len <= m->max_frame ? jsonutil_parse(frame, len, NULL) : NULL;
            e = predict_text(m, a, msg, len);
            room_tried = e.room;
            room_on_text(rs, s->conn, frame, len, NOW);
        } else if (act == ACT_BINARY) {
            e = (expect){.kind = EXP_ERROR, .code = "bad-request"};
            room_on_binary(rs, s->conn, len);
        } else {
            e = (expect){.kind = EXP_ERROR, .code = "too-large"};
            room_on_text(rs, s->conn, NULL, m->max_frame + 1 + len, NOW);
        }
    }
    drain(rs, l);
    verify(m, rs, a, &e, l);
    if (act == ACT_CLOSE && s->open) {
        s->open = false;
        s->joined = false;
        s->closing = false;
    }
    check_counts(m, rs, room_tried);
    outlist_clear(l);
    json_decref(msg);
}

static void configure(model *m, const uint8_t *rec, size_t n)
{
    m->max_peers = 2;
    m->max_frame = ROOM_MAX_FRAME;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = rec[i];
        if (c >= '1' && c <= '9')
            m->max_peers = (size_t)(c - '0');
        else if (c == 'T')
            m->turn = true;
        else if (c == 'F')
            m->fixed = true;
        else if (c == 'S')
            m->max_frame = SMALL_FRAME;
        else if (c == 'K')
            m->keep = true;
    }
}

static action action_of(uint8_t c)
{
    switch (c) {
    case 'o':
        return ACT_OPEN;
    case 't':
        return ACT_TEXT;
    case 'c':
        return ACT_CLOSE;
    case 'b':
        return ACT_BINARY;
    case 'x':
        return ACT_OVERSIZE;
    default:
        return (action)(c % 5);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mem_install_hooks();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long live = mem_live();
    model m = {0};
    outlist l = {0};
    cur = &m;

    const uint8_t *end = data + size;
    const uint8_t *nl = memchr(data, '\n', size);
    const uint8_t *p = nl ? nl + 1 : end;
    configure(&m, data, (size_t)((nl ? nl : end) - data));

    room_fixed fixed = {.name = FIXED_ROOM, .code = FIXED_CODE};
    room_config cfg;
    room_config_init(&cfg);
    cfg.max_peers = m.max_peers;
    cfg.max_frame = m.max_frame;
    cfg.ice_urls = ice_urls;
    cfg.n_ice_urls = N_ICE;
    cfg.turn_secret = m.turn ? TURN_SECRET : NULL;
    if (m.fixed) {
        cfg.rooms = &fixed;
        cfg.n_rooms = 1;
        m.rooms[0] = (mroom){
            .used = true, .fixed = true, .name = FIXED_ROOM, .has_code = true, .code = FIXED_CODE};
    }
    room_server *rs = NULL;
    char err[256];
    if (room_server_new(&cfg, &rs, err, sizeof(err)) != 0)
        fail("room_server_new: %s", err);

    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *rend = nl ? nl : end;
        size_t rlen = (size_t)(rend - p);
        if (rlen > 0) {
            action act = action_of(p[0]);
            int slot = rlen > 1 ? p[1] & 7 : 0;
            const char *frame = rlen > 2 ? (const char *)p + 2 : "";
            event(&m, rs, &l, act, slot, frame, rlen > 2 ? rlen - 2 : 0);
        }
        p = nl ? nl + 1 : end;
    }

    if (m.keep) {
        /* Free with members in rooms, open connections and a queued peer-left. */
        for (int i = 0; i < NSLOTS; i++) {
            if (m.slots[i].open && m.slots[i].joined) {
                room_on_close(rs, m.slots[i].conn);
                break;
            }
        }
    } else {
        for (int i = 0; i < NSLOTS; i++)
            if (m.slots[i].open)
                event(&m, rs, &l, ACT_CLOSE, i, "", 0);
        size_t fixed_rooms = m.fixed ? 1 : 0;
        if (room_server_room_count(rs) != fixed_rooms)
            fail("%zu rooms left after every connection closed", room_server_room_count(rs));
    }
    room_server_free(rs);
    free(l.o);
    free(l.j);
    free(m.ids);
    cur = NULL;
    if (mem_live() != live)
        fail("%ld blocks leaked", mem_live() - live);
    return 0;
}
