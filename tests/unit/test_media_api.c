/* The media API without a network (include/meshrtc/media.h): track and sink creation and
 * their checks, addTrack/removeTrack/replaceTrack and what they do to transceivers,
 * directions and negotiation-needed, the a=msid/a=ssrc/FID lines of offers and answers,
 * the track event, and sinks refused for the wrong kind. Media flowing end to end is in
 * tests/sim/test_media_sim.c. */
#include "test.h"

#include "core/media_impl.h"
#include "core/pc.h"
#include "core/vio.h"
#include "meshrtc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static mrtc_time clk;
static int n_nego, n_track;
static mrtc_transceiver *last_track;

static void net_send(void *user, const mrtc_transmit *t)
{
    (void)user;
    (void)t;
}

static void on_nego(mrtc_pc *pc, void *u)
{
    (void)pc;
    (void)u;
    n_nego++;
}

static void on_track(mrtc_pc *pc, mrtc_transceiver *t, void *u)
{
    (void)pc;
    (void)u;
    n_track++;
    last_track = t;
}

static mrtc_vio *host(const char *ip, uint64_t seed)
{
    static mrtc_io_ifaddr ifa[2];
    mrtc_io_ifaddr *a = &ifa[seed & 1];
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "eth0");
    mrtc_addr_parse_ip(&a->addr, ip, 0);
    mrtc_vio_config cfg;
    mrtc_vio_config_init(&cfg);
    cfg.clock = &clk;
    cfg.ifaddrs = a;
    cfg.n_ifaddrs = 1;
    cfg.send = net_send;
    cfg.seed = seed;
    mrtc_vio *v = NULL;
    CHECK_EQ(mrtc_vio_new(&cfg, &v), 0);
    return v;
}

static mrtc_pc *new_pc(mrtc_vio *v)
{
    mrtc_pc_callbacks cbs = {.negotiation_needed = on_nego, .track = on_track};
    mrtc_pc *pc = NULL;
    CHECK_EQ(mrtc_pc_create(mrtc_vio_io(v), NULL, &cbs, NULL, &pc), 0);
    return pc;
}

static void dispatch(mrtc_vio *v)
{
    for (int i = 0; i < 10; i++)
        mrtc_vio_run(v);
}

static mrtc_track *tone(void)
{
    mrtc_audio_source_config cfg;
    mrtc_audio_source_config_init(&cfg);
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_audio(&cfg, &t), 0);
    return t;
}

static mrtc_track *pattern(void)
{
    mrtc_video_source_config cfg;
    mrtc_video_source_config_init(&cfg);
    cfg.width = 160;
    cfg.height = 120;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_video(&cfg, &t), 0);
    return t;
}

static void test_track_config(void)
{
    mrtc_audio_source_config a;
    mrtc_track *t = (mrtc_track *)1;
    mrtc_audio_source_config_init(&a);
    CHECK_EQ(a.tone_hz, 440);
    a.tone_hz = 0;
    CHECK_EQ(mrtc_track_create_audio(&a, &t), MRTC_EINVAL);
    CHECK(t == NULL);
    mrtc_audio_source_config_init(&a);
    a.bitrate_bps = 1000;
    CHECK_EQ(mrtc_track_create_audio(&a, &t), MRTC_EINVAL);
    mrtc_audio_source_config_init(&a);
    a.beep_period_ms = 1000;
    a.beep_on_ms = 2000;
    CHECK_EQ(mrtc_track_create_audio(&a, &t), MRTC_EINVAL);
    mrtc_audio_source_config_init(&a);
    a.type = MRTC_AUDIO_SOURCE_WAV;
    CHECK_EQ(mrtc_track_create_audio(&a, &t), MRTC_EINVAL); /* no path */
    a.path = "/nonexistent/meshrtc-test.wav";
    CHECK_EQ(mrtc_track_create_audio(&a, &t), MRTC_EIO);
    a.path = "CMakeLists.txt"; /* not a WAV file */
    CHECK_EQ(mrtc_track_create_audio(&a, &t), MRTC_EIO);
    CHECK_EQ(mrtc_track_new_audio(NULL, &a, &t), MRTC_EINVAL);

    mrtc_video_source_config v;
    mrtc_video_source_config_init(&v);
    CHECK_EQ(v.width, 640);
    CHECK_EQ(v.fps, 30);
    v.width = 641;
    CHECK_EQ(mrtc_track_create_video(&v, &t), MRTC_EINVAL);
    mrtc_video_source_config_init(&v);
    v.fps = 0;
    CHECK_EQ(mrtc_track_create_video(&v, &t), MRTC_EINVAL);
    mrtc_video_source_config_init(&v);
    v.temporal_layers = 4;
    CHECK_EQ(mrtc_track_create_video(&v, &t), MRTC_EINVAL);
    mrtc_video_source_config_init(&v);
    v.type = MRTC_VIDEO_SOURCE_Y4M;
    v.path = "CMakeLists.txt";
    CHECK_EQ(mrtc_track_create_video(&v, &t), MRTC_EIO);

    mrtc_track *a1 = tone(), *v1 = pattern();
    CHECK_EQ(mrtc_track_kind(a1), MRTC_MEDIA_AUDIO);
    CHECK_EQ(mrtc_track_kind(v1), MRTC_MEDIA_VIDEO);
    CHECK_EQ(strlen(mrtc_track_id(a1)), 36);
    CHECK(strcmp(mrtc_track_id(a1), mrtc_track_id(v1)) != 0);
    CHECK(mrtc_track_enabled(a1));
    mrtc_track_set_enabled(a1, false);
    CHECK(!mrtc_track_enabled(a1));
    /* APP pushes are refused on generator tracks. */
    int16_t pcm[MRTC_AUDIO_FRAME_SAMPLES] = {0};
    mrtc_audio_frame f = {.samples = pcm, .frames = MRTC_AUDIO_FRAME_SAMPLES, .channels = 1,
                          .rate = MRTC_AUDIO_RATE};
    CHECK_EQ(mrtc_track_push_audio(a1, &f), MRTC_EINVAL);
    mrtc_track_free(a1);
    mrtc_track_free(v1);
    mrtc_track_free(NULL);
}

static void test_sinks(void)
{
    mrtc_sink *s = (mrtc_sink *)1;
    mrtc_sink_callbacks none = {0};
    CHECK_EQ(mrtc_sink_new_callbacks(&none, NULL, &s), MRTC_EINVAL);
    CHECK(s == NULL);
    CHECK_EQ(mrtc_sink_new_wav("/nonexistent/dir/x.wav", &s), MRTC_EIO);
    CHECK_EQ(mrtc_sink_new_ivf("", &s), MRTC_EINVAL);
    CHECK_EQ(mrtc_speaker_new(NULL, NULL, NULL), MRTC_EINVAL);
    char dir[] = "/tmp/mrtc-media-api-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/a.wav", dir);
    mrtc_sink *wav = NULL, *ivf = NULL;
    CHECK_EQ(mrtc_sink_new_wav(path, &wav), 0);
    CHECK(mrtc_sink_accepts(wav, MRTC_MEDIA_AUDIO));
    CHECK(!mrtc_sink_accepts(wav, MRTC_MEDIA_VIDEO));
    CHECK(access(path, F_OK) == 0); /* created at once, so a bad path fails early */
    snprintf(path, sizeof path, "%s/v.ivf", dir);
    CHECK_EQ(mrtc_sink_new_ivf(path, &ivf), 0);
    CHECK(!mrtc_sink_accepts(ivf, MRTC_MEDIA_AUDIO));

    /* A wav sink refused on a video transceiver, accepted once on an audio one. */
    mrtc_vio *v = host("10.0.0.1", 1);
    mrtc_pc *pc = new_pc(v);
    mrtc_transceiver *ta = NULL, *tv = NULL;
    CHECK_EQ(mrtc_pc_add_transceiver(pc, MRTC_MEDIA_AUDIO, NULL, &ta), 0);
    CHECK_EQ(mrtc_pc_add_transceiver(pc, MRTC_MEDIA_VIDEO, NULL, &tv), 0);
    CHECK_EQ(mrtc_transceiver_add_sink(tv, wav), MRTC_EINVAL);
    CHECK_EQ(mrtc_transceiver_add_sink(ta, ivf), MRTC_EINVAL);
    CHECK_EQ(mrtc_transceiver_add_sink(ta, wav), 0);
    CHECK_EQ(mrtc_transceiver_add_sink(ta, wav), MRTC_EEXIST);
    CHECK_EQ(mrtc_transceiver_remove_sink(tv, wav), MRTC_ENOTFOUND);
    CHECK_EQ(mrtc_transceiver_add_sink(tv, ivf), 0);
    /* The application's references go; the PeerConnection keeps its own. */
    mrtc_sink_free(wav);
    mrtc_sink_free(ivf);
    CHECK_EQ(mrtc_transceiver_remove_sink(ta, wav), 0);
    mrtc_vio_free(v); /* closes pc, releasing the ivf sink */
    snprintf(path, sizeof path, "%s/a.wav", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/v.ivf", dir);
    CHECK(access(path, F_OK) != 0); /* no key frame arrived: no IVF file */
    rmdir(dir);
}

static void test_add_remove_replace(void)
{
    mrtc_vio *va = host("10.0.0.1", 2), *vb = host("10.0.0.2", 3);
    mrtc_pc *a = new_pc(va), *b = new_pc(vb);
    mrtc_track *au = tone(), *vi = pattern(), *au2 = tone();
    n_nego = 0;
    mrtc_transceiver *ta = NULL, *tv = NULL;
    CHECK_EQ(mrtc_pc_add_track(a, au, &ta), 0);
    CHECK_EQ(mrtc_pc_add_track(a, au, NULL), MRTC_EEXIST);
    CHECK_EQ(mrtc_pc_add_track(a, vi, &tv), 0);
    CHECK(ta && tv && ta != tv);
    CHECK_EQ(mrtc_pc_transceiver_count(a), 2);
    CHECK(mrtc_transceiver_track(ta) == au);
    CHECK_EQ(mrtc_transceiver_direction(ta), MRTC_DIRECTION_SENDRECV);
    dispatch(va);
    CHECK_EQ(n_nego, 1); /* coalesced */

    char *offer = NULL, *answer = NULL;
    CHECK_EQ(mrtc_pc_create_offer(a, NULL, &offer), 0);
    char msid[128];
    snprintf(msid, sizeof msid, " %s\r\n", mrtc_track_id(au));
    CHECK(strstr(offer, "a=msid:") != NULL);
    CHECK(strstr(offer, msid) != NULL);
    CHECK(strstr(offer, "a=ssrc-group:FID ") != NULL);
    CHECK(strstr(offer, " cname:") != NULL);
    CHECK(strstr(offer, "urn:ietf:params:rtp-hdrext:ssrc-audio-level") != NULL);
    CHECK_EQ(mrtc_pc_set_local_description(a, MRTC_DESCRIPTION_OFFER, offer), 0);
    n_track = 0;
    CHECK_EQ(mrtc_pc_set_remote_description(b, MRTC_DESCRIPTION_OFFER, offer), 0);
    dispatch(vb);
    CHECK_EQ(n_track, 2); /* the peer sends audio and video */
    /* b answers with its own audio: addTrack reuses the transceiver the offer created. */
    mrtc_transceiver *tb = NULL;
    CHECK_EQ(mrtc_pc_add_track(b, au2, &tb), 0);
    CHECK_EQ(mrtc_pc_transceiver_count(b), 2);
    CHECK_EQ(mrtc_transceiver_direction(tb), MRTC_DIRECTION_SENDRECV);
    CHECK_EQ(mrtc_pc_create_answer(b, &answer), 0);
    CHECK(strstr(answer, mrtc_track_id(au2)) != NULL);
    CHECK_EQ(mrtc_pc_set_local_description(b, MRTC_DESCRIPTION_ANSWER, answer), 0);
    n_track = 0;
    CHECK_EQ(mrtc_pc_set_remote_description(a, MRTC_DESCRIPTION_ANSWER, answer), 0);
    dispatch(va);
    CHECK_EQ(n_track, 1); /* b sends audio only */
    CHECK(last_track == ta);
    CHECK_EQ(mrtc_transceiver_current_direction(tv), MRTC_DIRECTION_SENDONLY);
    mrtc_string_free(offer);
    mrtc_string_free(answer);

    /* replaceTrack: same kind only, no negotiation. */
    n_nego = 0;
    CHECK_EQ(mrtc_transceiver_replace_track(ta, vi), MRTC_EINVAL);
    CHECK(mrtc_transceiver_track(ta) == au);
    CHECK_EQ(mrtc_transceiver_replace_track(ta, au2), 0);
    CHECK(mrtc_transceiver_track(ta) == au2);
    CHECK_EQ(mrtc_transceiver_replace_track(ta, NULL), 0);
    CHECK(mrtc_transceiver_track(ta) == NULL);
    dispatch(va);
    CHECK_EQ(n_nego, 0);
    /* removeTrack: direction loses send, negotiation-needed. */
    CHECK_EQ(mrtc_pc_remove_track(a, tv), 0);
    CHECK(mrtc_transceiver_track(tv) == NULL);
    CHECK_EQ(mrtc_transceiver_direction(tv), MRTC_DIRECTION_RECVONLY);
    dispatch(va);
    CHECK_EQ(n_nego, 1);
    /* A transceiver that has sent is not reused by addTrack: a new one is added. */
    mrtc_transceiver *tv2 = NULL;
    CHECK_EQ(mrtc_pc_add_track(a, vi, &tv2), 0);
    CHECK(tv2 != tv);
    CHECK_EQ(mrtc_pc_transceiver_count(a), 3);

    CHECK_EQ(mrtc_pc_close(a, NULL), 0);
    CHECK_EQ(mrtc_pc_add_track(a, vi, NULL), MRTC_ECLOSED);
    mrtc_track_free(au);
    mrtc_track_free(vi);
    mrtc_track_free(au2);
    mrtc_vio_free(va);
    mrtc_vio_free(vb);
}

int main(void)
{
    RUN(test_track_config);
    RUN(test_sinks);
    RUN(test_add_remove_replace);
    return test_finish();
}
