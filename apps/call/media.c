/*
 * meshrtc-call media: one local track per kind for the whole process, encoded once and added
 * to every peer's PeerConnection (mrtc_pc_add_track, the W3C addTrack()); remote tracks to the
 * recording files and the speaker; the periodic stats lines and the report's "tracks".
 *
 * Negotiation follows a browser that calls addTrack() for what it has: the offerer adds its
 * tracks before its first offer and a recvonly transceiver for a kind it does not send (so it
 * still receives the peer's media); the answerer adds its tracks after applying the offer,
 * which reuses the transceivers the offer created (sendrecv in the answer) and leaves the other
 * kinds recvonly. Remote tracks arrive through the track event: --record attaches a WAV sink
 * (decoded audio) or an IVF sink (VP8 frames as received) named DIR/<peer-id>-audio.wav and
 * DIR/<peer-id>-video.ivf (then -audio-2.wav ... for further tracks of the same peer); --play
 * attaches a mixer input of the one speaker. The application's references to sinks are
 * dropped at once: the PeerConnection keeps the sinks until it closes, which completes the
 * files.
 *
 * Video can start late and stop mid-call (--video-after, the stdin commands "/video on" and
 * "/video off"): while it is off, offers carry a recvonly video transceiver as without
 * --video; turning it on adds the track to every open PeerConnection (mrtc_pc_add_track, which
 * reuses that recvonly transceiver, or, after "/video off", adds a new m-section as a
 * browser's removeTrack() then addTrack() does), and negotiation-needed
 * makes peer.c's perfect negotiation send the offer; turning it off is mrtc_pc_remove_track.
 * Peers that join while it is on get the track at once. The switch is process-wide state
 * here (one call per process).
 *
 * It does not adapt bitrates, mute audio, switch devices, or render video.
 */
#include "apps/call/call.h"

#include "apps/common/mem.h"

#include <stdio.h>
#include <string.h>

/* One transceiver of a peer, as the stats and the report see it. */
typedef struct media_tr {
    mrtc_transceiver *t;
    bool receiving;  /* the track event fired */
    double recv_ms;  /* when it first fired */
    char *recording; /* the recording's path, or NULL */
    media_counters last;
} media_tr;

struct media_peer {
    media_tr *trs;
    size_t n_trs, cap_trs;
    double last_ms;                /* the previous stats line (or the creation) */
    bool audio_added, video_added; /* our track is added to this PeerConnection */
    mrtc_transceiver *video_t;     /* the transceiver that carries our video (last added) */
    unsigned n_recorded[2];        /* recordings made per kind, to name the next one */
};

/* ---- process-wide: tracks and speaker ---- */

/* Whether our video track goes to the peers now, and the --video-after timer (heap-allocated
 * so that media_stop() can close it; NULL without --video-after or once closed). */
static bool video_on;
static uv_timer_t *video_after_timer;

static void on_video_after(uv_timer_t *t)
{
    call *c = t->data;
    if (c->finishing || video_on)
        return;
    call_say(c, "--video-after: sending our video");
    media_video_set(c, true);
}

static void free_timer(uv_handle_t *h)
{
    mem_free(h);
}

/* Starts the --video-after timer (c->video_track exists). */
static int start_video_after(call *c, char *err, size_t errlen)
{
    video_after_timer = mem_calloc(1, sizeof(*video_after_timer));
    if (!video_after_timer) {
        snprintf(err, errlen, "out of memory");
        return CALL_EXIT_INTERNAL;
    }
    uv_timer_init(&c->loop, video_after_timer);
    video_after_timer->data = c;
    uv_update_time(&c->loop); /* count from now, not from the loop's cached time */
    double ms = c->args->video_after_s * 1000.0;
    uv_timer_start(video_after_timer, on_video_after, (uint64_t)(ms + 0.5), 0);
    return 0;
}

int media_start(call *c, char *err, size_t errlen)
{
    const call_args *a = c->args;
    int rc = 0;
    if (a->audio != CALL_AUDIO_NONE) {
        mrtc_audio_source_config cfg;
        mrtc_audio_source_config_init(&cfg);
        if (a->audio == CALL_AUDIO_TONE) {
            cfg.type = MRTC_AUDIO_SOURCE_TONE;
            cfg.tone_hz = a->tone_hz;
        } else if (a->audio == CALL_AUDIO_MIC) {
            cfg.type = MRTC_AUDIO_SOURCE_MIC;
            cfg.device = a->audio_device;
        } else {
            cfg.type = MRTC_AUDIO_SOURCE_WAV;
            cfg.path = a->audio_path;
        }
        int e = mrtc_track_new_audio(c->rt, &cfg, &c->audio_track);
        if (e && a->audio == CALL_AUDIO_MIC) {
            if (a->audio_device)
                snprintf(err, errlen,
                         "bad --audio value 'mic:%s' (cannot open that capture device: %s)",
                         a->audio_device, mrtc_strerror(e));
            else
                snprintf(err, errlen,
                         "bad --audio value 'mic' (cannot open the default capture device: %s)",
                         mrtc_strerror(e));
            rc = CALL_EXIT_USAGE;
        } else if (e) {
            snprintf(err, errlen, "bad --audio value '%s' (%s)",
                     a->audio == CALL_AUDIO_WAV ? a->audio_path : "tone",
                     a->audio == CALL_AUDIO_WAV && e == MRTC_EIO
                         ? "not a 16-bit PCM WAV file the library can read"
                         : mrtc_strerror(e));
            rc = CALL_EXIT_USAGE;
        }
    }
    if (!rc && a->video != CALL_VIDEO_NONE) {
        mrtc_video_source_config cfg;
        mrtc_video_source_config_init(&cfg);
        if (a->video == CALL_VIDEO_PATTERN) {
            cfg.type = MRTC_VIDEO_SOURCE_PATTERN;
            cfg.width = a->video_width;
            cfg.height = a->video_height;
            cfg.fps = a->video_fps;
        } else {
            cfg.type = MRTC_VIDEO_SOURCE_Y4M;
            cfg.path = a->video_path;
            cfg.fps = 0; /* the file's rate */
        }
        int e = mrtc_track_new_video(c->rt, &cfg, &c->video_track);
        if (e) {
            snprintf(err, errlen, "bad --video value '%s' (%s)",
                     a->video == CALL_VIDEO_Y4M ? a->video_path : "pattern",
                     a->video == CALL_VIDEO_Y4M && e == MRTC_EIO
                         ? "not a 4:2:0 Y4M file of even size the library can read"
                         : mrtc_strerror(e));
            rc = CALL_EXIT_USAGE;
        }
        if (!rc && a->video_after_s >= 0)
            rc = start_video_after(c, err, errlen);
        else if (!rc)
            video_on = true;
    }
    if (!rc && a->play) {
        int e = mrtc_speaker_new(c->rt, a->play_device, &c->speaker);
        if (e && a->play_device)
            snprintf(err, errlen,
                     "bad --play-device value '%s' (cannot open that output device: %s)",
                     a->play_device, mrtc_strerror(e));
        else if (e)
            snprintf(err, errlen, "--play: cannot open the default output device (%s)",
                     mrtc_strerror(e));
        if (e)
            rc = CALL_EXIT_USAGE;
    }
    return rc;
}

void media_stop(call *c)
{
    mrtc_track_free(c->audio_track);
    mrtc_track_free(c->video_track);
    mrtc_speaker_free(c->speaker);
    c->audio_track = c->video_track = NULL;
    c->speaker = NULL;
    video_on = false;
    if (video_after_timer) {
        uv_close((uv_handle_t *)video_after_timer, free_timer);
        video_after_timer = NULL;
    }
}

/* ---- per peer ---- */

static struct media_peer *peer_media(call_peer *p)
{
    if (!p->media) {
        p->media = mem_calloc(1, sizeof(*p->media));
        if (p->media)
            p->media->last_ms = call_now_ms(p->call);
        else
            call_warn(p->call, "%s: out of memory for media bookkeeping", p->label);
    }
    return p->media;
}

static media_tr *find_tr(call_peer *p, mrtc_transceiver *t, bool create)
{
    struct media_peer *m = peer_media(p);
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->n_trs; i++)
        if (m->trs[i].t == t)
            return &m->trs[i];
    if (!create)
        return NULL;
    if (m->n_trs == m->cap_trs) {
        size_t cap = m->cap_trs ? m->cap_trs * 2 : 4;
        media_tr *v = mem_realloc(m->trs, cap * sizeof(*v));
        if (!v)
            return NULL;
        m->trs = v;
        m->cap_trs = cap;
    }
    media_tr *tr = &m->trs[m->n_trs++];
    memset(tr, 0, sizeof(*tr));
    tr->t = t;
    return tr;
}

void media_peer_free(call_peer *p)
{
    struct media_peer *m = p->media;
    if (!m)
        return;
    for (size_t i = 0; i < m->n_trs; i++)
        mem_free(m->trs[i].recording);
    mem_free(m->trs);
    mem_free(m);
    p->media = NULL;
}

/* Adds our track of this kind to p (once). */
static int add_track(call_peer *p, mrtc_track *track)
{
    struct media_peer *m = peer_media(p);
    if (!m)
        return MRTC_ENOMEM;
    bool video = mrtc_track_kind(track) == MRTC_MEDIA_VIDEO;
    bool *added = video ? &m->video_added : &m->audio_added;
    if (*added)
        return 0;
    mrtc_transceiver *t = NULL;
    int err = mrtc_pc_add_track(p->pc, track, &t);
    if (err == MRTC_EEXIST)
        err = 0;
    if (err) {
        call_warn(p->call, "%s: cannot add our %s track (%s): %s", p->label,
                  mrtc_media_kind_name(mrtc_track_kind(track)), mrtc_err_name(err),
                  mrtc_pc_last_error(p->pc));
        return err;
    }
    *added = true;
    if (t) {
        find_tr(p, t, true);
        if (video)
            m->video_t = t;
    }
    return 0;
}

/* Our video to p (video on): the track added (mrtc_pc_add_track reuses a recvonly video
 * transceiver that never sent; after "/video off" it adds a new one, as a browser's
 * removeTrack() then addTrack() does). */
static void video_start(call_peer *p)
{
    struct media_peer *m = peer_media(p);
    if (m && !m->video_added)
        add_track(p, p->call->video_track);
}

/* Our video no longer to p (video off). */
static void video_stop(call_peer *p)
{
    struct media_peer *m = p->media;
    if (!m || !m->video_added || !m->video_t)
        return;
    int err = mrtc_pc_remove_track(p->pc, m->video_t);
    if (err) {
        call_warn(p->call, "%s: cannot remove our video track (%s)", p->label, mrtc_err_name(err));
        return;
    }
    m->video_added = false;
}

bool media_video_is_on(const call *c)
{
    return c->video_track && video_on;
}

int media_video_set(call *c, bool on)
{
    if (!c->video_track) {
        call_warn(c, "/video %s: no video to send (--video none)", on ? "on" : "off");
        return MRTC_EINVAL;
    }
    if (video_after_timer)
        uv_timer_stop(video_after_timer); /* the command wins over --video-after */
    if (on == video_on) {
        call_say(c, "video already %s", on ? "on" : "off");
        return 0;
    }
    video_on = on;
    unsigned n = 0;
    for (call_peer *p = c->peers; p; p = p->next) {
        if (p->closing || !p->pc)
            continue;
        if (on)
            video_start(p);
        else
            video_stop(p);
        n++;
    }
    call_say(c, "video %s (%u peer%s renegotiate)", on ? "on" : "off", n, n == 1 ? "" : "s");
    return 0;
}

void media_peer_offer(call_peer *p)
{
    call *c = p->call;
    peer_media(p); /* the stats periods start now */
    mrtc_track *tracks[2] = {c->audio_track, video_on ? c->video_track : NULL};
    static const mrtc_media_kind kinds[2] = {MRTC_MEDIA_AUDIO, MRTC_MEDIA_VIDEO};
    for (int i = 0; i < 2; i++) {
        if (tracks[i]) {
            add_track(p, tracks[i]);
            continue;
        }
        mrtc_transceiver_init init;
        mrtc_transceiver_init_defaults(&init);
        init.direction = MRTC_DIRECTION_RECVONLY;
        int err = mrtc_pc_add_transceiver(p->pc, kinds[i], &init, NULL);
        if (err)
            call_warn(c, "%s: cannot add the %s transceiver (%s)", p->label,
                      mrtc_media_kind_name(kinds[i]), mrtc_err_name(err));
    }
}

void media_peer_answer(call_peer *p)
{
    call *c = p->call;
    peer_media(p);
    if (c->audio_track)
        add_track(p, c->audio_track);
    if (c->video_track && video_on)
        video_start(p);
}

/* DIR/<safe id>-<kind>[-N].<ext> for the next recording of this kind. */
static char *recording_path(call_peer *p, mrtc_media_kind kind)
{
    struct media_peer *m = p->media;
    char id[80], num[16] = "";
    media_safe_id(id, sizeof(id), p->id);
    unsigned k = ++m->n_recorded[kind == MRTC_MEDIA_VIDEO];
    if (k > 1)
        snprintf(num, sizeof(num), "-%u", k);
    const char *dir = p->call->args->record_dir;
    size_t n = strlen(dir) + strlen(id) + 32;
    char *path = mem_alloc(n);
    if (path)
        snprintf(path, n, "%s%s%s-%s%s.%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", id,
                 mrtc_media_kind_name(kind), num, kind == MRTC_MEDIA_VIDEO ? "ivf" : "wav");
    return path;
}

/* Hands what t receives to s, the result of creating it (err), and drops our reference to it;
 * logs a failure (`what` we could not do) and returns false. */
static bool attach(call_peer *p, mrtc_transceiver *t, mrtc_sink *s, int err, const char *what)
{
    if (!err) {
        err = mrtc_transceiver_add_sink(t, s);
        mrtc_sink_free(s);
    }
    if (err && err != MRTC_EEXIST) {
        call_warn(p->call, "%s: cannot %s (%s)", p->label, what, mrtc_strerror(err));
        return false;
    }
    return true;
}

void media_on_track(call_peer *p, mrtc_transceiver *t)
{
    call *c = p->call;
    mrtc_media_kind kind = mrtc_transceiver_kind(t);
    media_tr *tr = find_tr(p, t, true);
    call_say(c, "%s: receiving %s", p->label, mrtc_media_kind_name(kind));
    if (!tr || tr->receiving)
        return;
    tr->receiving = true;
    tr->recv_ms = call_now_ms(c);
    if (c->args->record_dir) {
        char *path = recording_path(p, kind);
        mrtc_sink *s = NULL;
        int err = MRTC_ENOMEM;
        if (path)
            err = kind == MRTC_MEDIA_VIDEO ? mrtc_sink_new_ivf(path, &s)
                                           : mrtc_sink_new_wav(path, &s);
        if (attach(p, t, s, err, "record")) {
            tr->recording = path;
            call_say(c, "%s: recording %s to %s", p->label, mrtc_media_kind_name(kind), path);
        } else {
            mem_free(path);
        }
    }
    if (c->speaker && kind == MRTC_MEDIA_AUDIO) {
        mrtc_sink *s = NULL;
        int err = mrtc_sink_new_speaker(c->speaker, &s);
        attach(p, t, s, err, "play the audio");
    }
}

/* ---- stats ---- */

/* Whether t sends (our track on it, or packets went out) and receives (the track event, or
 * packets came in). */
static void flows(const mrtc_rtp_stats *st, mrtc_transceiver *t, const media_tr *tr, bool *sending,
                  bool *receiving)
{
    *sending = mrtc_transceiver_track(t) != NULL || st->packets_sent > 0;
    *receiving = (tr && tr->receiving) || st->packets_received > 0;
}

static void print_peer(call_peer *p, double now)
{
    char line[1024] = "";
    struct media_peer *m = peer_media(p);
    if (!m)
        return;
    double dt = now - m->last_ms;
    size_t n = mrtc_pc_transceiver_count(p->pc);
    for (size_t i = 0; i < n; i++) {
        mrtc_transceiver *t = mrtc_pc_transceiver_at(p->pc, i);
        mrtc_rtp_stats st;
        if (!t || mrtc_transceiver_get_stats(t, &st) != 0)
            continue;
        media_tr *tr = find_tr(p, t, false);
        bool sending, receiving;
        flows(&st, t, tr, &sending, &receiving);
        if (!sending && !receiving)
            continue;
        if (!tr && !(tr = find_tr(p, t, true)))
            continue;
        media_stats_append(line, sizeof(line), &st, &tr->last, dt, sending, receiving);
        tr->last = (media_counters){.bytes_sent = st.bytes_sent,
                                    .bytes_received = st.bytes_received,
                                    .frames_decoded = st.frames_decoded};
    }
    m->last_ms = now;
    if (line[0])
        call_say(p->call, "%s: %s", p->label, line);
}

void media_print_stats(call *c)
{
    double now = call_now_ms(c);
    for (call_peer *p = c->peers; p; p = p->next)
        if (!p->closing)
            print_peer(p, now);
}

void media_peer_report(call_peer *p)
{
    if (!p->rp || p->closing)
        return;
    double now = call_now_ms(p->call);
    double connected = p->rp->connected_ms;
    size_t n = mrtc_pc_transceiver_count(p->pc);
    double rtts[16];
    size_t n_rtt = 0;
    report_peer_clear_tracks(p->rp);
    for (size_t i = 0; i < n; i++) {
        mrtc_transceiver *t = mrtc_pc_transceiver_at(p->pc, i);
        mrtc_rtp_stats st;
        if (!t || mrtc_transceiver_get_stats(t, &st) != 0)
            continue;
        media_tr *tr = find_tr(p, t, false);
        bool sending, receiving;
        flows(&st, t, tr, &sending, &receiving);
        if (sending && n_rtt < sizeof(rtts) / sizeof(rtts[0]))
            rtts[n_rtt++] = st.round_trip_time;
        /* Media flows from the moment the connection (DTLS-SRTP) is up; what we receive, from
         * the track event too. */
        double out_s = connected >= 0 ? (now - connected) / 1000.0 : 0;
        double in_start = tr && tr->receiving && tr->recv_ms > connected ? tr->recv_ms : connected;
        double in_s = connected >= 0 ? (now - in_start) / 1000.0 : 0;
        report_track entries[2];
        size_t k = media_stats_tracks(&st, sending, receiving, out_s, in_s,
                                      tr ? tr->recording : NULL, entries);
        for (size_t e = 0; e < k; e++)
            if (report_peer_add_track(p->rp, &entries[e]) != 0)
                call_warn(p->call, "%s: out of memory recording a track", p->label);
    }
    double rtt = media_stats_rtt_ms(rtts, n_rtt);
    if (rtt >= 0)
        p->rp->rtt_ms = rtt;
}
