/* The media API against W3C semantics and bad arguments, without a network
 * (include/meshrtc/media.h, core/pc_media_api.c, core/track.c, core/encode_worker.c):
 *   - addTrack reuses a transceiver whose sender has never been used to send (its
 *     currentDirection never had send), not merely one that never had a track;
 *   - a rollback keeps a transceiver the application attached a track to with addTrack
 *     (RFC 8829 section 4.1.8.2);
 *   - APP sources refuse pictures of the wrong shape without changing state;
 *   - the encode worker: a track freed with a picture in flight, a runtime closed before
 *     the video track.
 * Tests that may crash run in a child process. Tests are written as the code should
 * behave: see the report for which fail today. */
#include "test.h"

#include "core/media_impl.h"
#include "core/pc.h"
#include "core/pc_media_impl.h"
#include "core/vio.h"
#include "media/i420.h"
#include "meshrtc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

static mrtc_time clk;

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
    cfg.seed = seed;
    mrtc_vio *v = NULL;
    CHECK_EQ(mrtc_vio_new(&cfg, &v), 0);
    return v;
}

static mrtc_pc *new_pc(mrtc_vio *v)
{
    mrtc_pc *pc = NULL;
    CHECK_EQ(mrtc_pc_create(mrtc_vio_io(v), NULL, NULL, NULL, &pc), 0);
    return pc;
}

static mrtc_track *tone(void)
{
    mrtc_audio_source_config cfg;
    mrtc_audio_source_config_init(&cfg);
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_audio(&cfg, &t), 0);
    return t;
}

/* ---- addTrack reuse (W3C webrtc-pc 4.4.1.6 addTrack, "never been used to send") ---------- */

/* addTrack then removeTrack before any negotiation: the sender never sent (its
 * transceiver's currentDirection never had send), so the next addTrack reuses it, as
 * browsers do. */
static void test_add_remove_add_reuses(void)
{
    mrtc_vio *v = host("10.0.0.1", 1);
    mrtc_pc *pc = new_pc(v);
    mrtc_track *a = tone(), *b = tone();
    mrtc_transceiver *t1 = NULL, *t2 = NULL;
    CHECK_EQ(mrtc_pc_add_track(pc, a, &t1), 0);
    CHECK_EQ(mrtc_pc_remove_track(pc, t1), 0);
    CHECK_EQ(mrtc_pc_add_track(pc, b, &t2), 0);
    printf("  transceivers after addTrack, removeTrack, addTrack: %zu\n",
           mrtc_pc_transceiver_count(pc));
    CHECK(t2 == t1);
    CHECK_EQ(mrtc_pc_transceiver_count(pc), 1);
    mrtc_track_free(a);
    mrtc_track_free(b);
    mrtc_vio_free(v);
}

/* replaceTrack does not make a sender "used to send" either. */
static void test_replace_track_not_sent(void)
{
    mrtc_vio *v = host("10.0.0.1", 2);
    mrtc_pc *pc = new_pc(v);
    mrtc_track *a = tone(), *b = tone();
    mrtc_transceiver *t = NULL, *t2 = NULL;
    CHECK_EQ(mrtc_pc_add_transceiver(pc, MRTC_MEDIA_AUDIO, NULL, &t), 0);
    CHECK_EQ(mrtc_transceiver_replace_track(t, a), 0);
    CHECK_EQ(mrtc_transceiver_replace_track(t, NULL), 0);
    CHECK_EQ(mrtc_pc_add_track(pc, b, &t2), 0);
    CHECK(t2 == t);
    CHECK_EQ(mrtc_pc_transceiver_count(pc), 1);
    mrtc_track_free(a);
    mrtc_track_free(b);
    mrtc_vio_free(v);
}

/* ---- rollback (RFC 8829 section 4.1.8.2) --------------------------------------------------- */

/* b's offer creates a transceiver on a; a attaches its track with addTrack (which reuses
 * that transceiver); a rolls the offer back. JSEP: "an RtpTransceiver MUST NOT be removed if
 * a track was attached to the RtpTransceiver via the addTrack method", so that a's next
 * offer carries the track. And addTrack of the same track is still MRTC_EEXIST. */
static void test_rollback_keeps_addtrack_transceiver(void)
{
    mrtc_vio *va = host("10.0.0.1", 3), *vb = host("10.0.0.2", 4);
    mrtc_pc *a = new_pc(va), *b = new_pc(vb);
    mrtc_track *ta = tone(), *tb = tone();
    CHECK_EQ(mrtc_pc_add_track(b, tb, NULL), 0);
    char *offer = NULL;
    CHECK_EQ(mrtc_pc_create_offer(b, NULL, &offer), 0);
    CHECK_EQ(mrtc_pc_set_remote_description(a, MRTC_DESCRIPTION_OFFER, offer), 0);
    CHECK_EQ(mrtc_pc_transceiver_count(a), 1);
    mrtc_transceiver *tr = NULL;
    CHECK_EQ(mrtc_pc_add_track(a, ta, &tr), 0);
    CHECK(tr == mrtc_pc_transceiver_at(a, 0));
    CHECK_EQ(mrtc_pc_set_remote_description(a, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    printf("  transceivers after rollback: %zu\n", mrtc_pc_transceiver_count(a));
    CHECK_EQ(mrtc_pc_transceiver_count(a), 1);
    CHECK(mrtc_pc_transceiver_at(a, 0) == tr);
    CHECK(mrtc_transceiver_track(tr) == ta);
    CHECK(mrtc_transceiver_mid(tr) == NULL);
    CHECK_EQ(mrtc_pc_add_track(a, ta, NULL), MRTC_EEXIST);
    char *offer2 = NULL;
    CHECK_EQ(mrtc_pc_create_offer(a, NULL, &offer2), 0);
    CHECK(offer2 && strstr(offer2, mrtc_track_id(ta)) != NULL);
    mrtc_string_free(offer);
    mrtc_string_free(offer2);
    mrtc_track_free(ta);
    mrtc_track_free(tb);
    mrtc_vio_free(va);
    mrtc_vio_free(vb);
}

/* ---- bad arguments -------------------------------------------------------------------------- */

/* An APP picture with strides smaller than its planes is MRTC_EINVAL (media.h: "wrong
 * shape"), and the track's clock does not move. */
static void test_push_video_bad_stride(void)
{
    mrtc_video_source_config cfg;
    mrtc_video_source_config_init(&cfg);
    cfg.type = MRTC_VIDEO_SOURCE_APP;
    cfg.width = 64;
    cfg.height = 48;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_create_video(&cfg, &t), 0);
    mrtc_i420 img;
    CHECK_EQ(mrtc_i420_alloc(&img, 64, 48), 0);
    memset(img.buf, 0x80, (size_t)64 * 48 * 3 / 2);
    mrtc_video_frame f = img.f;
    f.stride_y = 10;
    CHECK_EQ(mrtc_track_push_video(t, &f), MRTC_EINVAL);
    f = img.f;
    f.stride_u = -32;
    CHECK_EQ(mrtc_track_push_video(t, &f), MRTC_EINVAL);
    uint64_t frames = 0, keys = 0;
    mrtc_track_encoder_stats(t, &frames, &keys);
    CHECK_U64(frames, 0);
    CHECK_EQ(mrtc_track_push_video(t, &img.f), 0); /* a good one still works */
    mrtc_track_encoder_stats(t, &frames, &keys);
    CHECK_U64(frames, 1);
    CHECK_U64(keys, 1);
    mrtc_i420_free(&img);
    mrtc_track_free(t);
}

/* Functions of the API given NULL or foreign objects return an error and change nothing. */
static void test_api_bad_arguments(void)
{
    mrtc_vio *va = host("10.0.0.1", 5), *vb = host("10.0.0.2", 6);
    mrtc_pc *a = new_pc(va), *b = new_pc(vb);
    mrtc_track *t = tone();
    mrtc_transceiver *ta = NULL;
    CHECK_EQ(mrtc_pc_add_track(a, t, &ta), 0);
    CHECK_EQ(mrtc_pc_add_track(NULL, t, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_add_track(a, NULL, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_remove_track(b, ta), MRTC_EINVAL); /* not b's */
    CHECK(mrtc_transceiver_track(ta) == t);
    CHECK_EQ(mrtc_pc_remove_track(a, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_transceiver_replace_track(NULL, t), MRTC_EINVAL);
    CHECK_EQ(mrtc_transceiver_add_sink(ta, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_transceiver_get_stats(NULL, NULL), MRTC_EINVAL);
    mrtc_rtp_stats st;
    CHECK_EQ(mrtc_transceiver_get_stats(ta, &st), 0);
    CHECK(st.round_trip_time < 0);
    CHECK_EQ(mrtc_track_push_audio(NULL, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_track_push_video(t, NULL), MRTC_EINVAL);
    mrtc_track_set_enabled(NULL, false);
    CHECK(!mrtc_track_enabled(NULL));
    mrtc_sink_free(NULL);
    mrtc_track_free(t);
    mrtc_vio_free(va);
    mrtc_vio_free(vb);
}

/* ---- the encode worker (core/encode_worker.c) ---------------------------------------------- */

typedef struct rt_ctx {
    uv_loop_t loop;
    mrtc_runtime *rt;
    bool closed;
} rt_ctx;

static void on_rt_closed(mrtc_runtime *rt, void *user)
{
    (void)rt;
    ((rt_ctx *)user)->closed = true;
}

static mrtc_track *app_video(mrtc_runtime *rt, uint16_t w, uint16_t h, mrtc_i420 *img)
{
    mrtc_video_source_config cfg;
    mrtc_video_source_config_init(&cfg);
    cfg.type = MRTC_VIDEO_SOURCE_APP;
    cfg.width = w;
    cfg.height = h;
    cfg.bitrate_kbps = 4000;
    mrtc_track *t = NULL;
    CHECK_EQ(mrtc_track_new_video(rt, &cfg, &t), 0);
    CHECK_EQ(mrtc_i420_alloc(img, w, h), 0);
    for (size_t i = 0; i < (size_t)w * h * 3 / 2; i++)
        img->buf[i] = (uint8_t)(i * 2654435761u >> 13); /* noise: a slow key frame */
    return t;
}

/* A track freed while the worker encodes its picture: the result is dropped when it reaches
 * the loop, nothing leaks, and the runtime closes. */
static void test_worker_track_freed_in_flight(void)
{
    rt_ctx c;
    memset(&c, 0, sizeof c);
    CHECK_EQ(uv_loop_init(&c.loop), 0);
    CHECK_EQ(mrtc_runtime_new(&c.loop, &c.rt), 0);
    mrtc_i420 img;
    mrtc_track *t = app_video(c.rt, 640, 480, &img);
    CHECK_EQ(mrtc_track_push_video(t, &img.f), 0);
    CHECK_EQ(mrtc_track_push_video(t, &img.f), 0); /* busy: skipped, not an error */
    mrtc_track_free(t);                            /* joins the worker */
    uv_run(&c.loop, UV_RUN_NOWAIT);
    CHECK_EQ(mrtc_runtime_close(c.rt, on_rt_closed, &c), 0);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    CHECK(c.closed);
    CHECK_EQ(uv_loop_close(&c.loop), 0);
    mrtc_i420_free(&img);
}

/* The application closes the runtime while a video track (created on it) still encodes a
 * picture, and frees the track afterwards. media.h does not ask for tracks to go first: the
 * worker must not post to the freed runtime. */
static void test_worker_runtime_closed_first(void)
{
    rt_ctx c;
    memset(&c, 0, sizeof c);
    CHECK_EQ(uv_loop_init(&c.loop), 0);
    CHECK_EQ(mrtc_runtime_new(&c.loop, &c.rt), 0);
    mrtc_i420 img;
    mrtc_track *t = app_video(c.rt, 4096, 2160, &img);
    CHECK_EQ(mrtc_track_push_video(t, &img.f), 0);
    CHECK_EQ(mrtc_runtime_close(c.rt, on_rt_closed, &c), 0);
    uv_run(&c.loop, UV_RUN_DEFAULT); /* the runtime is freed here */
    CHECK(c.closed);
    mrtc_track_free(t); /* joins the worker, which finished meanwhile or finishes now */
    CHECK_EQ(uv_loop_close(&c.loop), 0);
    mrtc_i420_free(&img);
}

/* Runs a test in a child process: a crash there is one failed test, not the end of the run. */
#define RUN_FORKED(fn)                                                                         \
    do {                                                                                       \
        fflush(NULL);                                                                          \
        pid_t pid_ = fork();                                                                   \
        if (pid_ == 0) {                                                                       \
            test_failed = test_passed = test_failed_checks = 0;                                \
            RUN(fn);                                                                           \
            fflush(NULL);                                                                      \
            _exit(test_failed ? 1 : 0);                                                        \
        }                                                                                      \
        int st_ = 0;                                                                           \
        waitpid(pid_, &st_, 0);                                                                \
        if (pid_ > 0 && WIFEXITED(st_) && WEXITSTATUS(st_) == 0) {                             \
            test_passed++;                                                                     \
        } else {                                                                               \
            test_failed++;                                                                     \
            fprintf(stderr, "FAIL %s (child process: %s %d)\n", #fn,                           \
                    WIFSIGNALED(st_) ? "signal" : "exit",                                      \
                    WIFSIGNALED(st_) ? WTERMSIG(st_) : WEXITSTATUS(st_));                      \
        }                                                                                      \
    } while (0)

int main(void)
{
    RUN(test_add_remove_add_reuses);
    RUN(test_replace_track_not_sent);
    RUN_FORKED(test_rollback_keeps_addtrack_transceiver);
    RUN(test_push_video_bad_stride);
    RUN(test_api_bad_arguments);
    RUN_FORKED(test_worker_track_freed_in_flight);
    RUN_FORKED(test_worker_runtime_closed_first);
    return test_finish();
}
