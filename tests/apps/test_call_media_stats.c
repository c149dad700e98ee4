/*
 * meshrtc-call's media figures (apps/call/media_stats.c): the stats line segments (rates over
 * the period from counter deltas, totals, rtt/jitter/size only once measured, " | " between
 * segments, cut at the buffer's end), the report's track entries (directions, averages over
 * the active time, omitted fields, the recording) through the report writer, rtt_ms from the
 * senders, and peer ids made safe for file names.
 */
#include "apps/call/media.h"
#include "apps/call/report.h"
#include "apps/common/mem.h"
#include "unit/test.h"

#include <jansson.h>

static mrtc_rtp_stats audio_stats(void)
{
    mrtc_rtp_stats st;
    memset(&st, 0, sizeof(st));
    st.kind = MRTC_MEDIA_AUDIO;
    st.round_trip_time = -1;
    return st;
}

static void test_line_audio(void)
{
    mrtc_rtp_stats st = audio_stats();
    st.packets_sent = 250;
    st.bytes_sent = 20000; /* 20000 B in 5 s = 32.0 kbps */
    media_counters last = {0};
    char line[256] = "";
    media_stats_append(line, sizeof(line), &st, &last, 5000.0, true, false);
    CHECK_STR(line, "audio out 32.0 kbps 250 pkts");

    /* Receiving, before any packet: no loss or jitter yet; the rtt once measured. */
    st.round_trip_time = 0.00042;
    line[0] = '\0';
    media_stats_append(line, sizeof(line), &st, &last, 5000.0, true, true);
    CHECK_STR(line, "audio out 32.0 kbps 250 pkts rtt 0.4 ms | audio in 0.0 kbps");

    st.remote_ssrc = 1234;
    st.packets_received = 500;
    st.bytes_received = 40000;
    st.packets_lost = 3;
    st.jitter = 0.0012;
    last = (media_counters){.bytes_sent = 10000, .bytes_received = 20125};
    line[0] = '\0';
    media_stats_append(line, sizeof(line), &st, &last, 5000.0, false, true);
    CHECK_STR(line, "audio in 31.8 kbps lost 3 jitter 1.2 ms");
}

static void test_line_video(void)
{
    mrtc_rtp_stats st;
    memset(&st, 0, sizeof(st));
    st.kind = MRTC_MEDIA_VIDEO;
    st.round_trip_time = -1;
    st.packets_sent = 700;
    st.bytes_sent = 1000000;
    st.nack_count_received = 2;
    st.pli_count_received = 1;
    st.remote_ssrc = 99;
    st.packets_received = 680;
    st.bytes_received = 900000;
    st.frames_decoded = 300;
    st.frame_width = 640;
    st.frame_height = 480;
    st.nack_count_sent = 4;
    st.pli_count_sent = 5;
    st.packets_lost = -1; /* duplicates make it negative: shown as it is */
    media_counters last = {.bytes_sent = 500000, .bytes_received = 406250, .frames_decoded = 150};
    char line[512] = "audio out 32.0 kbps 250 pkts";
    media_stats_append(line, sizeof(line), &st, &last, 5000.0, true, true);
    CHECK_STR(line, "audio out 32.0 kbps 250 pkts | video out 800.0 kbps 700 pkts nacks 2 plis 1"
                    " | video in 790.0 kbps 30.0 fps 640x480 decoded 300 lost -1 jitter 0.0 ms"
                    " nacks 4 plis 5");

    /* No picture yet: no size; no period yet: rates 0. */
    st.frame_width = st.frame_height = 0;
    line[0] = '\0';
    media_stats_append(line, sizeof(line), &st, &last, 0.0, false, true);
    CHECK_STR(line, "video in 0.0 kbps 0.0 fps decoded 300 lost -1 jitter 0.0 ms nacks 4 plis 5");

    /* Counters that went backwards (a new transceiver state) count as no traffic. */
    last.bytes_received = 2000000;
    line[0] = '\0';
    media_stats_append(line, sizeof(line), &st, &last, 1000.0, false, true);
    CHECK(strncmp(line, "video in 0.0 kbps", 17) == 0);

    /* Cut at the end of the buffer, still terminated. */
    char small[20] = "";
    media_stats_append(small, sizeof(small), &st, &last, 1000.0, true, true);
    CHECK_EQ(strlen(small), 19);
    CHECK_STR(small, "video out 4000.0 kb");
}

/* The entries through the writer: field names and order of docs/report-format.md. */
static char *tracks_json(const report_track *t, size_t n)
{
    report r;
    report_init(&r);
    report_peer *p = report_peer_get(&r, "p1", "bob", 0);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(report_peer_add_track(p, &t[i]), 0);
    char *text = report_to_json(&r);
    json_t *j = json_loads(text, 0, NULL);
    mem_free(text);
    json_t *tracks = json_object_get(json_array_get(json_object_get(j, "peers"), 0), "tracks");
    char *out = json_dumps(tracks, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(j);
    report_free(&r);
    return out;
}

static void free_json_text(char *s)
{
    json_free_t f;
    json_get_alloc_funcs(NULL, &f);
    f(s);
}

static void test_tracks(void)
{
    long live = mem_live();
    mrtc_rtp_stats st = audio_stats();
    st.packets_sent = 500;
    st.bytes_sent = 40000;
    st.nack_count_received = 0;
    st.remote_ssrc = 7;
    st.packets_received = 490;
    st.bytes_received = 39200;
    st.packets_lost = 2;
    st.jitter = 0.00113;
    report_track t[4];
    CHECK_EQ(media_stats_tracks(&st, true, true, 10.0, 9.8, "rec/p1-audio.wav", t), 2);

    mrtc_rtp_stats v;
    memset(&v, 0, sizeof(v));
    v.kind = MRTC_MEDIA_VIDEO;
    v.round_trip_time = -1;
    v.remote_ssrc = 8;
    v.packets_received = 3000;
    v.bytes_received = 1000000;
    v.frames_decoded = 300;
    v.frame_width = 320;
    v.frame_height = 240;
    v.nack_count_sent = 2;
    CHECK_EQ(media_stats_tracks(&v, false, true, 0, 10.0, NULL, t + 2), 1);
    char *s = tracks_json(t, 3);
    CHECK_STR(s, "[{\"kind\":\"audio\",\"direction\":\"outbound\",\"codec\":\"opus\","
                 "\"packets\":500,\"bytes\":40000,\"bitrate_kbps\":32.0,\"nacks_received\":0},"
                 "{\"kind\":\"audio\",\"direction\":\"inbound\",\"codec\":\"opus\","
                 "\"packets\":490,\"bytes\":39200,\"bitrate_kbps\":32.0,\"packets_lost\":2,"
                 "\"jitter_ms\":1.13,\"nacks_sent\":0,\"recording\":\"rec/p1-audio.wav\"},"
                 "{\"kind\":\"video\",\"direction\":\"inbound\",\"codec\":\"VP8\","
                 "\"packets\":3000,\"bytes\":1000000,\"bitrate_kbps\":800.0,"
                 "\"packets_lost\":0,\"jitter_ms\":0.0,\"frames_decoded\":300,\"width\":320,"
                 "\"height\":240,\"fps\":30.0,\"nacks_sent\":2,\"plis_sent\":0}]");
    free_json_text(s);

    /* Before any packet and before the connection: counts only, nothing guessed. */
    memset(&v, 0, sizeof(v));
    v.kind = MRTC_MEDIA_VIDEO;
    CHECK_EQ(media_stats_tracks(&v, true, true, 0, -1, NULL, t), 2);
    s = tracks_json(t, 2);
    CHECK_STR(s, "[{\"kind\":\"video\",\"direction\":\"outbound\",\"codec\":\"VP8\","
                 "\"packets\":0,\"bytes\":0,\"nacks_received\":0},"
                 "{\"kind\":\"video\",\"direction\":\"inbound\",\"codec\":\"VP8\","
                 "\"packets\":0,\"bytes\":0,\"frames_decoded\":0,\"nacks_sent\":0,"
                 "\"plis_sent\":0}]");
    free_json_text(s);
    CHECK_EQ(media_stats_tracks(&v, false, false, 1, 1, NULL, t), 0);
    CHECK_EQ(mem_live(), live);
}

/* A newer snapshot replaces the older one; the recording string is the report's copy. */
static void test_tracks_replaced(void)
{
    long live = mem_live();
    report r;
    report_init(&r);
    report_peer *p = report_peer_get(&r, "p1", "bob", 0);
    char path[32] = "rec/p1-video.ivf";
    mrtc_rtp_stats v;
    memset(&v, 0, sizeof(v));
    v.kind = MRTC_MEDIA_VIDEO;
    report_track t[2];
    CHECK_EQ(media_stats_tracks(&v, false, true, 1, 1, path, t), 1);
    CHECK_EQ(report_peer_add_track(p, &t[0]), 0);
    path[0] = 'X';
    CHECK_STR(p->tracks[0].recording, "rec/p1-video.ivf");
    report_peer_clear_tracks(p);
    CHECK_EQ(p->n_tracks, 0);
    CHECK_EQ(report_peer_add_track(p, &t[0]), 0);
    CHECK_EQ(report_peer_add_track(p, &t[0]), 0);
    CHECK_EQ(p->n_tracks, 2);
    report_free(&r);
    CHECK_EQ(mem_live(), live);
}

static void test_rtt(void)
{
    double none[2] = {-1, -1};
    CHECK(media_stats_rtt_ms(none, 2) < 0);
    CHECK(media_stats_rtt_ms(NULL, 0) < 0);
    double some[3] = {0.0004, -1, 0.0006};
    double ms = media_stats_rtt_ms(some, 3);
    CHECK(ms > 0.4999 && ms < 0.5001);
}

static void test_safe_id(void)
{
    char buf[80];
    media_safe_id(buf, sizeof(buf), "p1");
    CHECK_STR(buf, "p1");
    media_safe_id(buf, sizeof(buf), "../x/y");
    CHECK_STR(buf, "___x_y");
    media_safe_id(buf, sizeof(buf), "");
    CHECK_STR(buf, "peer");
    media_safe_id(buf, sizeof(buf), "a\nb c\xc3\xa9");
    CHECK_STR(buf, "a_b_c__");
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    media_safe_id(buf, sizeof(buf), longid);
    CHECK_EQ(strlen(buf), 64);
    char tiny[4];
    media_safe_id(tiny, sizeof(tiny), "p123456");
    CHECK_STR(tiny, "p12");
}

int main(void)
{
    mem_install_hooks();
    RUN(test_line_audio);
    RUN(test_line_video);
    RUN(test_tracks);
    RUN(test_tracks_replaced);
    RUN(test_rtt);
    RUN(test_safe_id);
    return test_finish();
}
