/*
 * The meshrtc-call report writer (apps/call/report.c) against docs/report-format.md: field names
 * and order, times rounded to 0.1 ms, ice_connected_ms/connected_ms derived from the timeline,
 * unmeasured fields omitted (role, exit, connected_ms, selected_pair, rtt_ms, datachannel,
 * open_ms, files, mbytes_per_s), the datachannel object and files array, the tracks array
 * (only the fields marked measured, after files), the atomic file write, and no block left
 * allocated (apps counting allocator).
 */
#include "apps/call/report.h"
#include "apps/common/mem.h"
#include "unit/test.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long live_at_start;

static void begin(void)
{
    mem_install_hooks();
    live_at_start = mem_live();
}

static void end(void)
{
    CHECK_EQ(mem_live(), live_at_start);
}

/* The report as compact JSON text (keys in the writer's order), for exact comparisons. */
static char *compact(const report *r)
{
    char *text = report_to_json(r);
    CHECK(text != NULL);
    if (!text)
        return NULL;
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    mem_free(text);
    CHECK(j != NULL);
    char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(j);
    return out;
}

static void free_compact(char *s)
{
    json_free_t f;
    json_get_alloc_funcs(NULL, &f);
    f(s);
}

static void test_empty(void)
{
    begin();
    report r;
    report_init(&r);
    CHECK_EQ(report_set_self(&r, NULL, "alice", "demo", "ws://127.0.0.1:8787/ws"), 0);
    char *s = compact(&r);
    CHECK_STR(s, "{\"version\":1,\"self\":{\"name\":\"alice\",\"room\":\"demo\","
                 "\"signal\":\"ws://127.0.0.1:8787/ws\"},\"peers\":[]}");
    free_compact(s);
    /* The id arrives with the welcome; NULL leaves the other fields alone. */
    CHECK_EQ(report_set_self(&r, "p2", NULL, NULL, NULL), 0);
    CHECK_EQ(report_set_exit(&r, 3, "join refused: bad-code"), 0);
    s = compact(&r);
    CHECK_STR(s, "{\"version\":1,\"self\":{\"id\":\"p2\",\"name\":\"alice\",\"room\":\"demo\","
                 "\"signal\":\"ws://127.0.0.1:8787/ws\"},"
                 "\"exit\":{\"status\":3,\"reason\":\"join refused: bad-code\"},\"peers\":[]}");
    free_compact(s);
    report_free(&r);
    end();
}

static void test_full_peer(void)
{
    begin();
    report r;
    report_init(&r);
    report_set_self(&r, "p2", "alice", "demo", "ws://127.0.0.1:8787/ws");
    report_set_exit(&r, 0, "duration reached");
    report_peer *p = report_peer_get(&r, "p1", "bob", 12.04);
    CHECK(p != NULL);
    CHECK(report_peer_get(&r, "p1", "other", 99.0) == p);
    report_peer_set_role(p, "offerer");
    report_peer_state(p, 12.1, "signaling", "have-local-offer");
    report_peer_state(p, 14.0, "ice", "checking");
    report_peer_state(p, 15.249, "ice", "connected");
    report_peer_state(p, 15.6, "ice", "completed");
    report_peer_state(p, 18.9, "dtls", "connected");
    report_peer_state(p, 19.0, "connection", "connected");
    p->has_pair = true;
    p->local =
        (report_endpoint){.address = "127.0.0.1", .port = 50000, .protocol = "udp", .type = "host"};
    p->remote =
        (report_endpoint){.address = "127.0.0.1", .port = 50001, .protocol = "udp", .type = "host"};
    char *s = compact(&r);
    CHECK_STR(s, "{\"version\":1,\"self\":{\"id\":\"p2\",\"name\":\"alice\",\"room\":\"demo\","
                 "\"signal\":\"ws://127.0.0.1:8787/ws\"},"
                 "\"exit\":{\"status\":0,\"reason\":\"duration reached\"},"
                 "\"peers\":[{\"id\":\"p1\",\"name\":\"bob\",\"role\":\"offerer\","
                 "\"created_ms\":12.0,\"states\":["
                 "{\"t_ms\":12.1,\"kind\":\"signaling\",\"state\":\"have-local-offer\"},"
                 "{\"t_ms\":14.0,\"kind\":\"ice\",\"state\":\"checking\"},"
                 "{\"t_ms\":15.2,\"kind\":\"ice\",\"state\":\"connected\"},"
                 "{\"t_ms\":15.6,\"kind\":\"ice\",\"state\":\"completed\"},"
                 "{\"t_ms\":18.9,\"kind\":\"dtls\",\"state\":\"connected\"},"
                 "{\"t_ms\":19.0,\"kind\":\"connection\",\"state\":\"connected\"}],"
                 "\"ice_connected_ms\":15.2,\"connected_ms\":19.0,"
                 "\"selected_pair\":{"
                 "\"local\":{\"address\":\"127.0.0.1\",\"port\":50000,\"protocol\":\"udp\","
                 "\"type\":\"host\"},"
                 "\"remote\":{\"address\":\"127.0.0.1\",\"port\":50001,\"protocol\":\"udp\","
                 "\"type\":\"host\"}}}]}");
    free_compact(s);
    report_free(&r);
    end();
}

/* What is not measured is not written: no role before a negotiation, no ice_connected_ms
 * without ice connected/completed, no connected_ms, no selected_pair, no rtt_ms. */
static void test_omits_unmeasured(void)
{
    begin();
    report r;
    report_init(&r);
    report_peer *p = report_peer_get(&r, "p7", NULL, 0.04);
    report_peer_state(p, 1.0, "ice", "checking");
    report_peer_state(p, 2.0, "ice", "failed");
    report_peer_state(p, 2.0, "connection", "failed");
    report_peer *q = report_peer_get(&r, "p8", "dave", 3.0);
    report_peer_state(q, 4.0, "ice", "completed"); /* completed counts as ICE connected */
    report_peer_state(q, 5.0, "ice", "connected"); /* the first one stays */
    char *s = compact(&r);
    CHECK_STR(s, "{\"version\":1,\"self\":{},\"peers\":["
                 "{\"id\":\"p7\",\"name\":\"\",\"created_ms\":0.0,\"states\":["
                 "{\"t_ms\":1.0,\"kind\":\"ice\",\"state\":\"checking\"},"
                 "{\"t_ms\":2.0,\"kind\":\"ice\",\"state\":\"failed\"},"
                 "{\"t_ms\":2.0,\"kind\":\"connection\",\"state\":\"failed\"}]},"
                 "{\"id\":\"p8\",\"name\":\"dave\",\"created_ms\":3.0,\"states\":["
                 "{\"t_ms\":4.0,\"kind\":\"ice\",\"state\":\"completed\"},"
                 "{\"t_ms\":5.0,\"kind\":\"ice\",\"state\":\"connected\"}],"
                 "\"ice_connected_ms\":4.0}]}");
    free_compact(s);
    CHECK(report_peer_find(&r, "p8") == q);
    CHECK(report_peer_find(&r, "p9") == NULL);
    report_free(&r);
    end();
}

/* A long timeline grows the state array; times keep 0.1 ms resolution for hours. */
static void test_many_states(void)
{
    begin();
    report r;
    report_init(&r);
    report_peer *p = report_peer_get(&r, "p1", "bob", 0);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(report_peer_state(p, 3600000.0 + i * 0.1, "ice", i % 2 ? "checking" : "new"), 0);
    CHECK_EQ(p->n_states, 1000);
    char *text = report_to_json(&r);
    json_t *j = json_loads(text, 0, NULL);
    json_t *st = json_object_get(json_array_get(json_object_get(j, "peers"), 0), "states");
    CHECK_EQ(json_array_size(st), 1000);
    double t = json_real_value(json_object_get(json_array_get(st, 999), "t_ms"));
    CHECK(t > 3600099.85 && t < 3600099.95);
    json_decref(j);
    mem_free(text);
    report_free(&r);
    end();
}

/* The chat channel's object and the file transfers, in the documented order after rtt_ms;
 * seconds to 1 ms, MB/s (2^20 bytes) to 0.1. */
static void test_datachannel_files(void)
{
    begin();
    report r;
    report_init(&r);
    report_peer *p = report_peer_get(&r, "p1", "bob", 12.0);
    report_peer_set_role(p, "offerer");
    report_peer_state(p, 19.0, "sctp", "connected");
    report_peer_state(p, 20.0, "datachannel", "open"); /* no datachannel yet: not open_ms */
    report_peer_set_datachannel(p, "chat");
    report_peer_state(p, 21.54, "datachannel", "open"); /* sets open_ms */
    report_peer_state(p, 22.0, "datachannel", "open");  /* the first one stays */
    p->dc.messages_sent = 200;
    p->dc.messages_received = 200;
    p->dc.echoes_received = 100;
    p->dc.bytes_sent = 1292;
    p->dc.bytes_received = 1992;
    report_peer_set_datachannel(p, "chat"); /* again: the counters stay */
    CHECK_EQ(report_peer_add_file(
                 p, "sent", "big.bin", 52428800,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0.41049),
             0);
    CHECK_EQ(report_peer_add_file(
                 p, "received", "empty.txt", 0,
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0.0),
             0);
    /* A channel that never opened: no open_ms; no transfer: no files. */
    report_peer *q = report_peer_get(&r, "p3", "carol", 13.0);
    report_peer_set_datachannel(q, "chat");
    char *s = compact(&r);
    CHECK_STR(s, "{\"version\":1,\"self\":{},\"peers\":["
                 "{\"id\":\"p1\",\"name\":\"bob\",\"role\":\"offerer\",\"created_ms\":12.0,"
                 "\"states\":[{\"t_ms\":19.0,\"kind\":\"sctp\",\"state\":\"connected\"},"
                 "{\"t_ms\":20.0,\"kind\":\"datachannel\",\"state\":\"open\"},"
                 "{\"t_ms\":21.5,\"kind\":\"datachannel\",\"state\":\"open\"},"
                 "{\"t_ms\":22.0,\"kind\":\"datachannel\",\"state\":\"open\"}],"
                 "\"datachannel\":{\"label\":\"chat\",\"open_ms\":21.5,\"messages_sent\":200,"
                 "\"messages_received\":200,\"echoes_received\":100,\"bytes_sent\":1292,"
                 "\"bytes_received\":1992},"
                 "\"files\":[{\"direction\":\"sent\",\"name\":\"big.bin\",\"bytes\":52428800,"
                 "\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\","
                 "\"seconds\":0.41,\"mbytes_per_s\":121.8},"
                 "{\"direction\":\"received\",\"name\":\"empty.txt\",\"bytes\":0,"
                 "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
                 "\"seconds\":0.0}]},"
                 "{\"id\":\"p3\",\"name\":\"carol\",\"created_ms\":13.0,\"states\":[],"
                 "\"datachannel\":{\"label\":\"chat\",\"messages_sent\":0,"
                 "\"messages_received\":0,\"echoes_received\":0,\"bytes_sent\":0,"
                 "\"bytes_received\":0}}]}");
    free_compact(s);
    report_free(&r);
    end();
}

/* Tracks come last, after rtt_ms and files, each with only the fields marked as measured;
 * the recording path is copied. */
static void test_tracks(void)
{
    begin();
    report r;
    report_init(&r);
    report_peer *p = report_peer_get(&r, "p1", "bob", 1.0);
    p->rtt_ms = 0.43;
    report_peer_add_file(p, "sent", "a", 1,
                         "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb", 0.5);
    char rec[32] = "rec/p1-video.ivf";
    report_track t;
    memset(&t, 0, sizeof(t));
    strcpy(t.kind, "video");
    strcpy(t.direction, "inbound");
    strcpy(t.codec, "VP8");
    t.packets = 3000;
    t.bytes = 1000000;
    t.has = REPORT_TRACK_BITRATE | REPORT_TRACK_PACKETS_LOST | REPORT_TRACK_JITTER |
            REPORT_TRACK_FRAMES_DECODED | REPORT_TRACK_SIZE | REPORT_TRACK_FPS |
            REPORT_TRACK_NACKS_SENT | REPORT_TRACK_PLIS_SENT;
    t.bitrate_kbps = 812.345;
    t.packets_lost = 2;
    t.jitter_ms = 1.104;
    t.frames_decoded = 300;
    t.width = 640;
    t.height = 480;
    t.fps = 29.96;
    t.nacks_sent = 2;
    t.plis_sent = 1;
    t.recording = rec;
    CHECK_EQ(report_peer_add_track(p, &t), 0);
    rec[0] = 'X';
    memset(&t, 0, sizeof(t));
    strcpy(t.kind, "audio");
    strcpy(t.direction, "outbound");
    strcpy(t.codec, "opus");
    t.packets = 500;
    t.bytes = 40000;
    t.has = REPORT_TRACK_NACKS_RECEIVED;
    CHECK_EQ(report_peer_add_track(p, &t), 0);
    char *s = compact(&r);
    CHECK_STR(s, "{\"version\":1,\"self\":{},\"peers\":["
                 "{\"id\":\"p1\",\"name\":\"bob\",\"created_ms\":1.0,\"states\":[],"
                 "\"rtt_ms\":0.4,"
                 "\"files\":[{\"direction\":\"sent\",\"name\":\"a\",\"bytes\":1,"
                 "\"sha256\":\"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\","
                 "\"seconds\":0.5,\"mbytes_per_s\":0.0}],"
                 "\"tracks\":[{\"kind\":\"video\",\"direction\":\"inbound\",\"codec\":\"VP8\","
                 "\"packets\":3000,\"bytes\":1000000,\"bitrate_kbps\":812.3,"
                 "\"packets_lost\":2,\"jitter_ms\":1.1,\"frames_decoded\":300,"
                 "\"width\":640,\"height\":480,\"fps\":30.0,\"nacks_sent\":2,"
                 "\"plis_sent\":1,\"recording\":\"rec/p1-video.ivf\"},"
                 "{\"kind\":\"audio\",\"direction\":\"outbound\",\"codec\":\"opus\","
                 "\"packets\":500,\"bytes\":40000,\"nacks_received\":0}]}]}");
    free_compact(s);
    report_peer_clear_tracks(p);
    s = compact(&r);
    CHECK(s && strstr(s, "tracks") == NULL);
    free_compact(s);
    report_free(&r);
    end();
}

static void test_write(void)
{
    begin();
    report r;
    report_init(&r);
    report_set_self(&r, "p1", "alice", "demo", "ws://127.0.0.1:1/ws");
    report_set_exit(&r, 0, "interrupted (SIGINT)");
    report_peer_get(&r, "p2", "bob", 1.0);

    const char *tmpdir = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/meshrtc-report-XXXXXX", tmpdir && *tmpdir ? tmpdir : P_tmpdir);
    CHECK(mkdtemp(dir) != NULL);
    char path[320];
    snprintf(path, sizeof(path), "%s/r.json", dir);
    CHECK_EQ(report_write(&r, path), 0);
    char *want = report_to_json(&r);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char got[4096] = "";
    size_t n = f ? fread(got, 1, sizeof(got) - 1, f) : 0;
    got[n] = '\0';
    if (f)
        fclose(f);
    CHECK(n > 0 && got[n - 1] == '\n');
    if (n > 0)
        got[n - 1] = '\0';
    CHECK_STR(got, want);
    mem_free(want);
    unlink(path);
    CHECK_EQ(rmdir(dir), 0); /* no temporary file left beside it */

    snprintf(path, sizeof(path), "%s/missing/r.json", dir);
    errno = 0;
    CHECK_EQ(report_write(&r, path), -1);
    CHECK_EQ(errno, ENOENT);
    report_free(&r);
    end();
}

int main(void)
{
    RUN(test_empty);
    RUN(test_full_peer);
    RUN(test_omits_unmeasured);
    RUN(test_many_states);
    RUN(test_datachannel_files);
    RUN(test_tracks);
    RUN(test_write);
    return test_finish();
}
