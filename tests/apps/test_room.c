/*
 * Room logic of meshrtc-signal (apps/signal/room.c) without sockets: connection events in,
 * queued frames / close requests / log lines out, checked against SIGNALING.md. TURN
 * credentials are checked against an HMAC computed here with OpenSSL and a known answer.
 */
#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"
#include "apps/signal/room.h"
#include "unit/test.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NOW 1700000000 /* Unix time passed to the room logic */
#define MAX_OUT 128

typedef struct outs {
    size_t n;
    room_output o[MAX_OUT];
    bool taken[MAX_OUT];
} outs;

static long live_at_start;

static void begin(void)
{
    live_at_start = mem_live();
}

static void end(void)
{
    CHECK_EQ(mem_live(), live_at_start);
}

static void outs_clear(outs *o)
{
    for (size_t i = 0; i < o->n; i++)
        room_output_clear(&o->o[i]);
    memset(o, 0, sizeof(*o));
}

/* Replaces `o` with everything the room queued since the last drain. */
static void drain(room_server *rs, outs *o)
{
    outs_clear(o);
    room_output out;
    while (room_poll_output(rs, &out)) {
        if (o->n < MAX_OUT)
            o->o[o->n++] = out;
        else
            room_output_clear(&out);
    }
}

static room_server *new_server(const room_config *cfg)
{
    room_config def;
    room_config_init(&def);
    room_server *rs = NULL;
    char err[256] = "";
    int rc = room_server_new(cfg ? cfg : &def, &rs, err, sizeof(err));
    CHECK_EQ(rc, 0);
    if (rc)
        fprintf(stderr, "room_server_new: %s\n", err);
    return rs;
}

static void feed(room_server *rs, uint64_t conn, const char *text, outs *o)
{
    room_on_text(rs, conn, text, strlen(text), NOW);
    drain(rs, o);
}

/* Frames sent to `conn`, in order. */
static size_t sends_to(const outs *o, uint64_t conn)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += o->o[i].kind == ROOM_OUT_SEND && o->o[i].conn == conn;
    return n;
}

static size_t sends_total(const outs *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += o->o[i].kind == ROOM_OUT_SEND;
    return n;
}

static bool closes(const outs *o, uint64_t conn)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->o[i].kind == ROOM_OUT_CLOSE && o->o[i].conn == conn)
            return true;
    return false;
}

/* The text of the first frame to `conn` not yet taken, or NULL. */
static const char *take(outs *o, uint64_t conn)
{
    for (size_t i = 0; i < o->n; i++) {
        if (!o->taken[i] && o->o[i].kind == ROOM_OUT_SEND && o->o[i].conn == conn) {
            o->taken[i] = true;
            return o->o[i].text;
        }
    }
    return NULL;
}

/* Checks the next frame to `conn` is an error with `code` and a non-empty message. */
static void expect_error(outs *o, uint64_t conn, const char *code)
{
    const char *t = take(o, conn);
    CHECK(t != NULL);
    if (!t)
        return;
    json_t *j = json_loads(t, 0, NULL);
    CHECK_STR(jsonutil_string(j, "type"), "error");
    CHECK_STR(jsonutil_string(j, "code"), code);
    const char *m = jsonutil_string(j, "message");
    CHECK(m && *m);
    CHECK_EQ(json_object_size(j), 3);
    json_decref(j);
}

static bool log_has(const outs *o, const char *needle)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->o[i].kind == ROOM_OUT_LOG && strstr(o->o[i].text, needle))
            return true;
    return false;
}

static void join(room_server *rs, uint64_t conn, const char *room, const char *name,
                 const char *code, outs *o)
{
    json_t *j = json_pack("{s:s, s:s}", "type", "join", "room", room);
    if (name)
        json_object_set_new(j, "name", json_string(name));
    if (code)
        json_object_set_new(j, "code", json_string(code));
    char *t = jsonutil_dump(j, NULL);
    json_decref(j);
    room_on_open(rs, conn);
    feed(rs, conn, t, o);
    mem_free(t);
}

static void test_welcome_shape(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};

    join(rs, 1, "demo", "alice", NULL, &o);
    CHECK_STR(take(&o, 1), "{\"type\":\"welcome\",\"id\":\"p1\",\"room\":\"demo\",\"peers\":[],"
                           "\"iceServers\":[]}");
    CHECK_EQ(sends_total(&o), 1);
    CHECK(log_has(&o, "join room=demo id=p1 name=\"alice\""));

    join(rs, 2, "demo", "bob", NULL, &o);
    CHECK_STR(take(&o, 2), "{\"type\":\"welcome\",\"id\":\"p2\",\"room\":\"demo\","
                           "\"peers\":[{\"id\":\"p1\",\"name\":\"alice\"}],\"iceServers\":[]}");
    CHECK_STR(take(&o, 1), "{\"type\":\"peer-joined\",\"id\":\"p2\",\"name\":\"bob\"}");
    CHECK_EQ(sends_total(&o), 2);

    /* No name: "" everywhere; peers oldest first; both earlier participants told. */
    join(rs, 3, "demo", NULL, NULL, &o);
    CHECK_STR(take(&o, 3), "{\"type\":\"welcome\",\"id\":\"p3\",\"room\":\"demo\",\"peers\":["
                           "{\"id\":\"p1\",\"name\":\"alice\"},{\"id\":\"p2\",\"name\":\"bob\"}],"
                           "\"iceServers\":[]}");
    CHECK_STR(take(&o, 1), "{\"type\":\"peer-joined\",\"id\":\"p3\",\"name\":\"\"}");
    CHECK_STR(take(&o, 2), "{\"type\":\"peer-joined\",\"id\":\"p3\",\"name\":\"\"}");
    CHECK_EQ(sends_total(&o), 3);
    CHECK_EQ(room_server_members(rs, "demo"), 3);
    CHECK(!closes(&o, 3));

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_ids_unique(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    char seen[40][24];
    size_t nseen = 0;
    for (uint64_t conn = 1; conn <= 20; conn++) {
        join(rs, conn, conn % 2 ? "odd" : "even", "x", NULL, &o);
        const char *t = take(&o, conn);
        json_t *j = json_loads(t ? t : "", 0, NULL);
        const char *id = jsonutil_string(j, "id");
        CHECK(id != NULL);
        for (size_t k = 0; id && k < nseen; k++)
            CHECK(strcmp(seen[k], id) != 0);
        if (id)
            snprintf(seen[nseen++], sizeof(seen[0]), "%s", id);
        json_decref(j);
        if (conn % 3 == 0) { /* leaving and closing never frees an id for reuse */
            room_on_close(rs, conn);
            drain(rs, &o);
        }
    }
    /* Leave then join again on the same connection: a new id. */
    feed(rs, 1, "{\"type\":\"leave\"}", &o);
    feed(rs, 1, "{\"type\":\"join\",\"room\":\"odd\"}", &o);
    json_t *j = json_loads(take(&o, 1), 0, NULL);
    CHECK_STR(jsonutil_string(j, "id"), "p21");
    json_decref(j);
    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_meeting_codes(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};

    join(rs, 1, "team", "a", "421690", &o); /* the first sets the code */
    CHECK_EQ(sends_to(&o, 1), 1);

    join(rs, 2, "team", "b", "000000", &o);
    expect_error(&o, 2, "bad-code");
    CHECK(closes(&o, 2));
    CHECK_EQ(sends_total(&o), 1); /* p1 hears nothing */
    CHECK(log_has(&o, "refuse conn=2 room=\"team\" error=bad-code"));
    /* A refused connection's later frames are ignored; its close changes nothing. */
    feed(rs, 2, "{\"type\":\"join\",\"room\":\"team\",\"code\":\"421690\"}", &o);
    CHECK_EQ(o.n, 0);
    room_on_close(rs, 2);
    drain(rs, &o);
    CHECK_EQ(o.n, 0);

    join(rs, 3, "team", "c", NULL, &o); /* a missing code is a wrong code */
    expect_error(&o, 3, "bad-code");
    CHECK(closes(&o, 3));

    join(rs, 4, "team", "d", "421690", &o);
    CHECK_EQ(sends_to(&o, 4), 1);
    CHECK_EQ(sends_to(&o, 1), 1); /* peer-joined */
    CHECK_EQ(room_server_members(rs, "team"), 2);

    /* Everyone leaves: the room and its code are forgotten. */
    room_on_close(rs, 1);
    room_on_close(rs, 4);
    drain(rs, &o);
    CHECK_EQ(room_server_members(rs, "team"), -1);
    join(rs, 5, "team", "e", "999", &o);
    CHECK_EQ(sends_to(&o, 5), 1);
    CHECK(!closes(&o, 5));

    /* A room opened without a code stays open to joiners with or without one. */
    join(rs, 6, "open", "f", NULL, &o);
    join(rs, 7, "open", "g", "123", &o);
    CHECK_EQ(sends_to(&o, 7), 1);
    CHECK(!closes(&o, 7));
    CHECK_EQ(room_server_members(rs, "open"), 2);

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_configured_rooms(void)
{
    begin();
    room_fixed fixed[] = {{"lobby", "1234"}, {"ops", "s3cret"}};
    room_config cfg;
    room_config_init(&cfg);
    cfg.rooms = fixed;
    cfg.n_rooms = 2;
    room_server *rs = new_server(&cfg);
    outs o = {0};
    CHECK_EQ(room_server_room_count(rs), 2);
    CHECK_EQ(room_server_members(rs, "lobby"), 0);

    join(rs, 1, "lobby", "a", NULL, &o); /* even the first joiner needs the code */
    expect_error(&o, 1, "bad-code");
    CHECK(closes(&o, 1));
    join(rs, 2, "lobby", "b", "999", &o);
    expect_error(&o, 2, "bad-code");
    join(rs, 3, "lobby", "c", "1234", &o);
    CHECK_EQ(sends_to(&o, 3), 1);
    CHECK(!closes(&o, 3));
    room_on_close(rs, 3);
    drain(rs, &o);
    CHECK_EQ(room_server_members(rs, "lobby"), 0); /* empty but not forgotten */
    join(rs, 4, "lobby", "d", "s3cret", &o);       /* another room's code does not work */
    expect_error(&o, 4, "bad-code");
    join(rs, 5, "lobby", "e", "1234", &o);
    CHECK_EQ(sends_to(&o, 5), 1);

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_room_full(void)
{
    begin();
    room_server *rs = new_server(NULL); /* default: 16 */
    outs o = {0};
    for (uint64_t c = 1; c <= 16; c++) {
        join(rs, c, "big", NULL, NULL, &o);
        CHECK_EQ(sends_to(&o, c), 1);
        CHECK(!closes(&o, c));
    }
    join(rs, 17, "big", NULL, NULL, &o);
    expect_error(&o, 17, "room-full");
    CHECK(closes(&o, 17));
    CHECK_EQ(sends_total(&o), 1);
    CHECK_EQ(room_server_members(rs, "big"), 16);
    room_on_close(rs, 5); /* a seat frees up */
    drain(rs, &o);
    join(rs, 18, "big", NULL, NULL, &o);
    CHECK(!closes(&o, 18));
    CHECK_EQ(room_server_members(rs, "big"), 16);
    room_server_free(rs);

    room_config cfg;
    room_config_init(&cfg);
    cfg.max_peers = 2;
    rs = new_server(&cfg);
    join(rs, 1, "r", NULL, NULL, &o);
    join(rs, 2, "r", NULL, NULL, &o);
    join(rs, 3, "r", NULL, NULL, &o);
    expect_error(&o, 3, "room-full");
    CHECK(closes(&o, 3));
    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_bad_join_fields(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    static const char *const bad_frames[] = {
        "{\"type\":\"join\"}",                                 /* no room */
        "{\"type\":\"join\",\"room\":\"\"}",                   /* empty */
        "{\"type\":\"join\",\"room\":\"a b\"}",                /* space */
        "{\"type\":\"join\",\"room\":\"caf\\u00e9\"}",         /* non-ASCII */
        "{\"type\":\"join\",\"room\":\"a/b\"}",                /* slash */
        "{\"type\":\"join\",\"room\":7}",                      /* not a string */
        "{\"type\":\"join\",\"room\":\"ok\",\"name\":7}",      /* name not a string */
        "{\"type\":\"join\",\"room\":\"ok\",\"code\":421690}", /* code not a string */
    };
    uint64_t conn = 1;
    for (size_t i = 0; i < sizeof(bad_frames) / sizeof(bad_frames[0]); i++, conn++) {
        room_on_open(rs, conn);
        feed(rs, conn, bad_frames[i], &o);
        expect_error(&o, conn, "bad-request");
        CHECK(closes(&o, conn));
        CHECK_EQ(sends_total(&o), 1);
    }

    char name[200];
    memset(name, 'x', 65); /* 65 characters: one too many */
    name[65] = '\0';
    char room65[70];
    memset(room65, 'r', 65);
    room65[65] = '\0';
    join(rs, conn, room65, NULL, NULL, &o);
    expect_error(&o, conn++, "bad-request");
    join(rs, conn, "ok", name, NULL, &o);
    expect_error(&o, conn, "bad-request");
    CHECK(closes(&o, conn++));
    /* 64 two-byte characters (128 bytes) count as 64: accepted. */
    name[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(name, "\xc3\xa9");
    join(rs, conn, "ok", name, NULL, &o);
    CHECK(!closes(&o, conn));
    CHECK_EQ(sends_to(&o, conn++), 1);
    /* 64-character room names are fine too. */
    room65[64] = '\0';
    join(rs, conn, room65, NULL, NULL, &o);
    CHECK(!closes(&o, conn++));
    /* A code longer than 64 bytes. */
    char code[80];
    memset(code, '7', 65);
    code[65] = '\0';
    join(rs, conn, "other", NULL, code, &o);
    expect_error(&o, conn, "bad-request");
    CHECK(closes(&o, conn++));
    /* Bad UTF-8 in the frame: not JSON, so a plain bad-request on an open connection. */
    room_on_open(rs, conn);
    feed(rs, conn, "{\"type\":\"join\",\"room\":\"ok\",\"name\":\"\xff\xfe\"}", &o);
    expect_error(&o, conn, "bad-request");
    CHECK_EQ(room_server_members(rs, "ok"), 1);

    /* The UTF-8 counter the name check uses. */
    CHECK_EQ(jsonutil_utf8_count("abc", 3), 3);
    CHECK_EQ(jsonutil_utf8_count("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), 3);
    CHECK_EQ(jsonutil_utf8_count("\xc0\xaf", 2), -1);         /* overlong */
    CHECK_EQ(jsonutil_utf8_count("\xed\xa0\x80", 3), -1);     /* surrogate */
    CHECK_EQ(jsonutil_utf8_count("\xf4\x90\x80\x80", 4), -1); /* past U+10FFFF */
    CHECK_EQ(jsonutil_utf8_count("\xe2\x82", 2), -1);         /* truncated */
    CHECK_EQ(jsonutil_utf8_count("\x80", 1), -1);             /* lone continuation */

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void three_in_a_room(room_server *rs, outs *o)
{
    join(rs, 1, "demo", "a", NULL, o);
    join(rs, 2, "demo", "b", NULL, o);
    join(rs, 3, "demo", "c", NULL, o);
    join(rs, 4, "elsewhere", "d", NULL, o); /* p4, in another room */
    drain(rs, o);
}

static void test_signal_relay(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    three_in_a_room(rs, &o);

    feed(rs, 1,
         "{\"type\":\"signal\",\"to\":\"p2\",\"data\":{\"description\":{\"type\":\"offer\","
         "\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n\"}}}",
         &o);
    CHECK_EQ(sends_total(&o), 1);
    CHECK_STR(take(&o, 2), "{\"type\":\"signal\",\"from\":\"p1\",\"data\":{\"description\":{"
                           "\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 "
                           "127.0.0.1\\r\\n\"}}}");

    feed(rs, 3,
         "{\"type\":\"signal\",\"to\":\"p1\",\"data\":{\"candidate\":{\"candidate\":\"candidate:1"
         " 1 udp 2122260223 10.0.0.2 53421 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}}",
         &o);
    CHECK_EQ(sends_total(&o), 1);
    CHECK_STR(take(&o, 1), "{\"type\":\"signal\",\"from\":\"p3\",\"data\":{\"candidate\":{"
                           "\"candidate\":\"candidate:1 1 udp 2122260223 10.0.0.2 53421 typ "
                           "host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}}");

    feed(rs, 2, "{\"type\":\"signal\",\"to\":\"p3\",\"data\":{\"candidate\":null}}", &o);
    CHECK_EQ(sends_total(&o), 1);
    CHECK_STR(take(&o, 3), "{\"type\":\"signal\",\"from\":\"p2\",\"data\":{\"candidate\":null}}");

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_signal_errors(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    three_in_a_room(rs, &o);

    struct {
        const char *frame;
        const char *code;
    } cases[] = {
        {"{\"type\":\"signal\",\"to\":\"p99\",\"data\":{}}", "unknown-peer"},
        {"{\"type\":\"signal\",\"to\":\"p4\",\"data\":{}}", "unknown-peer"}, /* other room */
        {"{\"type\":\"signal\",\"to\":\"p1\",\"data\":{}}", "bad-request"},  /* ourselves */
        {"{\"type\":\"signal\",\"to\":\"p2\",\"data\":[1]}", "bad-request"},
        {"{\"type\":\"signal\",\"to\":\"p2\",\"data\":\"x\"}", "bad-request"},
        {"{\"type\":\"signal\",\"to\":\"p2\",\"data\":null}", "bad-request"},
        {"{\"type\":\"signal\",\"to\":\"p2\"}", "bad-request"},
        {"{\"type\":\"signal\",\"data\":{}}", "bad-request"},
        {"{\"type\":\"signal\",\"to\":2,\"data\":{}}", "bad-request"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        feed(rs, 1, cases[i].frame, &o);
        expect_error(&o, 1, cases[i].code);
        CHECK_EQ(sends_total(&o), 1);
        CHECK(!closes(&o, 1));
    }

    /* Not joined: signal and leave. */
    room_on_open(rs, 9);
    feed(rs, 9, "{\"type\":\"signal\",\"to\":\"p1\",\"data\":{}}", &o);
    expect_error(&o, 9, "not-joined");
    CHECK_EQ(sends_total(&o), 1);
    feed(rs, 9, "{\"type\":\"leave\"}", &o);
    expect_error(&o, 9, "not-joined");
    CHECK(!closes(&o, 9));
    /* ... and the connection still works. */
    feed(rs, 9, "{\"type\":\"join\",\"room\":\"demo\"}", &o);
    CHECK_EQ(sends_to(&o, 9), 1);
    CHECK_EQ(room_server_members(rs, "demo"), 4);

    /* A signal to a peer that has left. */
    room_on_close(rs, 2);
    drain(rs, &o);
    feed(rs, 1, "{\"type\":\"signal\",\"to\":\"p2\",\"data\":{}}", &o);
    expect_error(&o, 1, "unknown-peer");

    /* A second join while joined is refused without closing or leaving. */
    feed(rs, 1, "{\"type\":\"join\",\"room\":\"other\"}", &o);
    expect_error(&o, 1, "bad-request");
    CHECK(!closes(&o, 1));
    CHECK_EQ(room_server_members(rs, "demo"), 3);

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_unknown_type(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    room_on_open(rs, 1);
    feed(rs, 1, "{\"type\":\"hello\"}", &o);
    expect_error(&o, 1, "unknown-type");
    CHECK(!closes(&o, 1));
    join(rs, 2, "demo", NULL, NULL, &o);
    feed(rs, 2, "{\"type\":\"offer\",\"sdp\":\"x\"}", &o);
    expect_error(&o, 2, "unknown-type");
    CHECK_EQ(sends_total(&o), 1);
    CHECK(!closes(&o, 2));
    CHECK_EQ(room_server_members(rs, "demo"), 1);
    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_leave_and_peer_left(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    three_in_a_room(rs, &o);

    feed(rs, 2, "{\"type\":\"leave\"}", &o);
    CHECK_STR(take(&o, 1), "{\"type\":\"peer-left\",\"id\":\"p2\"}");
    CHECK_STR(take(&o, 3), "{\"type\":\"peer-left\",\"id\":\"p2\"}");
    CHECK_EQ(sends_total(&o), 2); /* nothing to the leaver, nothing to the other room */
    CHECK(!closes(&o, 2));
    CHECK(log_has(&o, "leave room=demo id=p2 reason=leave members=2"));
    CHECK_EQ(room_server_members(rs, "demo"), 2);

    feed(rs, 2, "{\"type\":\"signal\",\"to\":\"p1\",\"data\":{}}", &o);
    expect_error(&o, 2, "not-joined");

    /* Socket close: the same peer-left. */
    room_on_close(rs, 3);
    drain(rs, &o);
    CHECK_STR(take(&o, 1), "{\"type\":\"peer-left\",\"id\":\"p3\"}");
    CHECK_EQ(sends_total(&o), 1);
    CHECK(log_has(&o, "leave room=demo id=p3 reason=closed members=1"));

    /* Closing a connection that had left sends nothing. */
    room_on_close(rs, 2);
    drain(rs, &o);
    CHECK_EQ(sends_total(&o), 0);

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_empty_room_forgotten(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    join(rs, 1, "a", NULL, "c1", &o);
    join(rs, 2, "b", NULL, NULL, &o);
    CHECK_EQ(room_server_room_count(rs), 2);
    feed(rs, 1, "{\"type\":\"leave\"}", &o);
    CHECK(log_has(&o, "(room forgotten)"));
    CHECK_EQ(room_server_room_count(rs), 1);
    CHECK_EQ(room_server_members(rs, "a"), -1);
    room_on_close(rs, 2);
    drain(rs, &o);
    CHECK_EQ(room_server_room_count(rs), 0);
    /* The forgotten room's code went with it. */
    join(rs, 3, "a", NULL, NULL, &o);
    CHECK(!closes(&o, 3));
    CHECK_EQ(room_server_members(rs, "a"), 1);
    outs_clear(&o);
    room_server_free(rs);
    end();
}

/* The credential computed independently of room.c. */
static void expected_credential(const char *secret, const char *user, char out[64])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)user, strlen(user), mac,
         &n);
    EVP_EncodeBlock((unsigned char *)out, mac, (int)n);
}

static void test_turn_credentials(void)
{
    begin();
    char cred[64];
    CHECK_EQ(room_turn_credential("north", "1700086400:p1", cred, sizeof(cred)), 0);
    CHECK_STR(cred, "wvPNN3c0G6oSzh1a6V6lXwVCp3M="); /* known answer (Python hmac) */
    CHECK_EQ(room_turn_credential("north", "1700086400:p1", cred, 10), -1);

    const char *urls[] = {"stun:stun.example.org:3478", "turn:turn.example.org:3478?transport=udp",
                          "turns:turn.example.org:5349"};
    room_config cfg;
    room_config_init(&cfg);
    cfg.ice_urls = urls;
    cfg.n_ice_urls = 3;
    cfg.turn_secret = "north";
    room_server *rs = new_server(&cfg);
    outs o = {0};
    join(rs, 1, "demo", NULL, NULL, &o);
    join(rs, 2, "demo", NULL, NULL, &o);
    json_t *w = json_loads(take(&o, 2), 0, NULL);
    json_t *ice = json_object_get(w, "iceServers");
    CHECK_EQ(json_array_size(ice), 3);
    json_t *stun = json_array_get(ice, 0);
    CHECK_STR(json_string_value(json_array_get(json_object_get(stun, "urls"), 0)), urls[0]);
    CHECK_EQ(json_object_size(stun), 1); /* no credentials for STUN */
    char want[64];
    expected_credential("north", "1700086400:p2", want);
    CHECK_STR(want, "VbUWlggTQuyU+hJddCz/chDIll8=");
    for (size_t i = 1; i < 3; i++) {
        json_t *t = json_array_get(ice, i);
        CHECK_STR(json_string_value(json_array_get(json_object_get(t, "urls"), 0)), urls[i]);
        CHECK_STR(jsonutil_string(t, "username"), "1700086400:p2");
        CHECK_STR(jsonutil_string(t, "credential"), want);
    }
    json_decref(w);
    outs_clear(&o);
    room_server_free(rs);

    /* A different TTL moves the expiry. */
    cfg.turn_ttl = 600;
    rs = new_server(&cfg);
    join(rs, 1, "demo", NULL, NULL, &o);
    w = json_loads(take(&o, 1), 0, NULL);
    json_t *t = json_array_get(json_object_get(w, "iceServers"), 1);
    CHECK_STR(jsonutil_string(t, "username"), "1700000600:p1");
    expected_credential("north", "1700000600:p1", want);
    CHECK_STR(jsonutil_string(t, "credential"), want);
    json_decref(w);
    outs_clear(&o);
    room_server_free(rs);

    /* Without a secret, TURN URLs are listed without credentials. */
    cfg.turn_secret = NULL;
    rs = new_server(&cfg);
    join(rs, 1, "demo", NULL, NULL, &o);
    w = json_loads(take(&o, 1), 0, NULL);
    t = json_array_get(json_object_get(w, "iceServers"), 1);
    CHECK_EQ(json_object_size(t), 1);
    json_decref(w);
    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_junk_frames(void)
{
    begin();
    room_server *rs = new_server(NULL);
    outs o = {0};
    three_in_a_room(rs, &o);
    size_t rooms = room_server_room_count(rs);

    static const char *const junk[] = {
        "hello",
        "",
        "{",
        "[1,2]",
        "\"str\"",
        "42",
        "null",
        "{}",
        "{\"type\":5}",
        "{\"type\":null}",
        "{\"type\":\"join\"} trailing",
        "{\"Type\":\"join\"}",
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        feed(rs, 1, junk[i], &o);
        expect_error(&o, 1, "bad-request");
        CHECK_EQ(sends_total(&o), 1);
        CHECK(!closes(&o, 1));
    }
    /* A frame over 256 KiB, whether the transport kept the bytes or not. */
    size_t big = ROOM_MAX_FRAME + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    memcpy(huge, "{\"type\":\"leave\"}", 16); /* valid JSON, still refused */
    room_on_text(rs, 1, huge, big, NOW);
    drain(rs, &o);
    expect_error(&o, 1, "too-large");
    CHECK_EQ(sends_total(&o), 1);
    room_on_text(rs, 1, NULL, 10 * ROOM_MAX_FRAME, NOW);
    drain(rs, &o);
    expect_error(&o, 1, "too-large");
    /* Binary frames. */
    room_on_binary(rs, 1, 3);
    drain(rs, &o);
    expect_error(&o, 1, "bad-request");
    CHECK_EQ(sends_total(&o), 1);
    CHECK(!closes(&o, 1));

    /* Nothing changed: same rooms and members, and the connection still relays. */
    CHECK_EQ(room_server_room_count(rs), rooms);
    CHECK_EQ(room_server_members(rs, "demo"), 3);
    /* Exactly 256 KiB is allowed. */
    const char *head = "{\"type\":\"signal\",\"to\":\"p2\",\"data\":{\"pad\":\"";
    size_t hl = strlen(head);
    memcpy(huge, head, hl);
    memset(huge + hl, 'x', ROOM_MAX_FRAME - hl - 3);
    memcpy(huge + ROOM_MAX_FRAME - 3, "\"}}", 3);
    room_on_text(rs, 1, huge, ROOM_MAX_FRAME, NOW);
    drain(rs, &o);
    CHECK_EQ(sends_to(&o, 2), 1);
    CHECK_EQ(sends_total(&o), 1);
    free(huge);

    /* Frames for connections the room never saw open are ignored. */
    feed(rs, 77, "{\"type\":\"join\",\"room\":\"x\"}", &o);
    CHECK_EQ(o.n, 0);
    room_on_close(rs, 77);
    drain(rs, &o);
    CHECK_EQ(o.n, 0);

    outs_clear(&o);
    room_server_free(rs);
    end();
}

static void test_config_validation(void)
{
    begin();
    struct {
        room_fixed room;
        const char *url;
        const char *want;
    } cases[] = {
        {{"bad name", "1"}, NULL, "bad room name"},
        {{"ok", ""}, NULL, "needs a code"},
        {{"ok", "1"}, "http://x", "bad ICE server URL"},
        {{"ok", "1"}, "stun:", "bad ICE server URL"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        room_config cfg;
        room_config_init(&cfg);
        cfg.rooms = &cases[i].room;
        cfg.n_rooms = 1;
        cfg.ice_urls = &cases[i].url;
        cfg.n_ice_urls = cases[i].url ? 1 : 0;
        room_server *rs = (room_server *)1;
        char err[256] = "";
        CHECK_EQ(room_server_new(&cfg, &rs, err, sizeof(err)), -1);
        CHECK(rs == NULL);
        CHECK(strstr(err, cases[i].want) != NULL);
    }
    room_fixed twice[] = {{"a", "1"}, {"a", "2"}};
    room_config cfg;
    room_config_init(&cfg);
    cfg.rooms = twice;
    cfg.n_rooms = 2;
    room_server *rs;
    char err[256] = "";
    CHECK_EQ(room_server_new(&cfg, &rs, err, sizeof(err)), -1);
    CHECK(strstr(err, "twice") != NULL);
    end();
}

int main(void)
{
    mem_install_hooks();
    RUN(test_welcome_shape);
    RUN(test_ids_unique);
    RUN(test_meeting_codes);
    RUN(test_configured_rooms);
    RUN(test_room_full);
    RUN(test_bad_join_fields);
    RUN(test_signal_relay);
    RUN(test_signal_errors);
    RUN(test_unknown_type);
    RUN(test_leave_and_peer_left);
    RUN(test_empty_room_forgotten);
    RUN(test_turn_credentials);
    RUN(test_junk_frames);
    RUN(test_config_validation);
    return test_finish();
}
