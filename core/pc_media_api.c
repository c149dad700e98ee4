/*
 * The public media functions of a PeerConnection (include/meshrtc/media.h): addTrack,
 * removeTrack, replaceTrack (W3C webrtc-pc sections 5.1, 5.2), sinks of receivers, RTP
 * statistics.
 */
#include "core/pc_media_impl.h"

#include "core/util/log.h"
#include "meshrtc/error.h"

#include <string.h>

#define LOG_TAG "pc"

static int attach(pc_sender *s, mrtc_track *track)
{
    if (s->track == track)
        return 0;
    if (track) {
        int err = mrtc_track_attach(track, s);
        if (err)
            return err;
    }
    if (s->track)
        mrtc_track_detach(s->track, s);
    s->track = track;
    return 0;
}

int mrtc_pc_add_track(mrtc_pc *pc, mrtc_track *track, mrtc_transceiver **out)
{
    if (out)
        *out = NULL;
    if (!pc || !track)
        return MRTC_EINVAL;
    if (pc->closed) {
        mrtc_pc_set_error(pc, "addTrack: the PeerConnection is closed");
        return MRTC_ECLOSED;
    }
    mrtc_media_kind kind = mrtc_track_kind(track);
    mrtc_transceiver *use = NULL;
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->removed || t->stopped)
            continue;
        if (t->media && t->media->snd.track == track) {
            mrtc_pc_set_error(pc, "addTrack: the track is already sent on this PeerConnection");
            return MRTC_EEXIST;
        }
        /* W3C addTrack: a transceiver of the kind whose sender never sent and has no track,
         * not stopped. */
        if (!use && t->kind == kind && !t->stopped && !t->has_sent &&
            !(t->media && t->media->snd.track))
            use = t;
    }
    int err;
    if (!use) {
        mrtc_transceiver_init init;
        mrtc_transceiver_init_defaults(&init);
        err = mrtc_pc_add_transceiver(pc, kind, &init, &use);
        if (err)
            return err;
    }
    err = mrtc_pc_media_transceiver_init(pc, use);
    if (!err)
        err = attach(&use->media->snd, track);
    if (err) {
        mrtc_pc_set_error(pc, "addTrack: out of memory");
        return err;
    }
    if (use->direction == MRTC_DIRECTION_RECVONLY)
        use->direction = MRTC_DIRECTION_SENDRECV;
    else if (use->direction == MRTC_DIRECTION_INACTIVE)
        use->direction = MRTC_DIRECTION_SENDONLY;
    mrtc_jsep_update_negotiation_needed(pc);
    mrtc_pc_flush(pc);
    if (out)
        *out = use;
    return 0;
}

int mrtc_pc_remove_track(mrtc_pc *pc, mrtc_transceiver *t)
{
    if (!pc || !t || t->pc != pc)
        return MRTC_EINVAL;
    if (pc->closed) {
        mrtc_pc_set_error(pc, "removeTrack: the PeerConnection is closed");
        return MRTC_ECLOSED;
    }
    if (!t->media || !t->media->snd.track)
        return 0; /* W3C: nothing to remove */
    (void)attach(&t->media->snd, NULL);
    if (t->direction == MRTC_DIRECTION_SENDRECV)
        t->direction = MRTC_DIRECTION_RECVONLY;
    else if (t->direction == MRTC_DIRECTION_SENDONLY)
        t->direction = MRTC_DIRECTION_INACTIVE;
    mrtc_jsep_update_negotiation_needed(pc);
    mrtc_pc_flush(pc);
    return 0;
}

int mrtc_transceiver_replace_track(mrtc_transceiver *t, mrtc_track *track)
{
    if (!t)
        return MRTC_EINVAL;
    mrtc_pc *pc = t->pc;
    if (pc->closed)
        return MRTC_ECLOSED;
    if (t->stopped || t->removed) {
        mrtc_pc_set_error(pc, "replaceTrack: the transceiver is stopped");
        return MRTC_ESTATE;
    }
    if (track && mrtc_track_kind(track) != t->kind) {
        mrtc_pc_set_error(pc, "replaceTrack: a %s track on a %s transceiver",
                          mrtc_media_kind_name(mrtc_track_kind(track)), mrtc_media_kind_name(t->kind));
        return MRTC_EINVAL;
    }
    int err = mrtc_pc_media_transceiver_init(pc, t);
    if (!err)
        err = attach(&t->media->snd, track);
    if (err)
        return err;
    mrtc_pc_flush(pc);
    return 0;
}

mrtc_track *mrtc_transceiver_track(const mrtc_transceiver *t)
{
    return t && t->media ? t->media->snd.track : NULL;
}

int mrtc_transceiver_add_sink(mrtc_transceiver *t, mrtc_sink *s)
{
    if (!t || !s)
        return MRTC_EINVAL;
    mrtc_pc *pc = t->pc;
    if (pc->closed)
        return MRTC_ECLOSED;
    if (!mrtc_sink_accepts(s, t->kind))
        return MRTC_EINVAL;
    int err = mrtc_pc_media_transceiver_init(pc, t);
    if (err)
        return err;
    pc_receiver *r = &t->media->rcv;
    for (size_t i = 0; i < r->n_sinks; i++) {
        if (r->sinks[i] == s)
            return MRTC_EEXIST;
    }
    if (r->n_sinks == PC_MAX_SINKS)
        return MRTC_ENOMEM;
    mrtc_sink_ref(s);
    r->sinks[r->n_sinks++] = s;
    mrtc_pc_flush(pc);
    return 0;
}

int mrtc_transceiver_remove_sink(mrtc_transceiver *t, mrtc_sink *s)
{
    if (!t || !s || !t->media)
        return MRTC_ENOTFOUND;
    pc_receiver *r = &t->media->rcv;
    for (size_t i = 0; i < r->n_sinks; i++) {
        if (r->sinks[i] == s) {
            memmove(&r->sinks[i], &r->sinks[i + 1], (r->n_sinks - i - 1) * sizeof r->sinks[0]);
            r->n_sinks--;
            mrtc_sink_free(s);
            return 0;
        }
    }
    return MRTC_ENOTFOUND;
}

int mrtc_transceiver_get_stats(const mrtc_transceiver *t, mrtc_rtp_stats *out)
{
    if (!t || !out)
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    out->kind = t->kind;
    out->round_trip_time = -1;
    const pc_tr_media *tm = t->media;
    if (!tm)
        return 0;
    const pc_sender *s = &tm->snd;
    mrtc_rtp_outbound_stats os;
    mrtc_rtp_send_stats_get(&s->stats, &os);
    out->ssrc = s->ssrc;
    out->packets_sent = os.packets_sent;
    out->bytes_sent = os.bytes_sent;
    out->retransmitted_packets_sent = os.retransmitted_packets_sent;
    out->nack_count_received = os.nack_count;
    out->pli_count_received = os.pli_count;
    out->fir_count_received = s->fir_received;
    out->frames_encoded = s->frames_sent;
    out->keyframes_encoded = s->keyframes_sent;
    if (os.rtt_measurements)
        out->round_trip_time = (double)os.rtt / 1e6;
    out->remote_packets_lost = os.packets_lost;
    out->remote_jitter = os.jitter;
    out->remote_fraction_lost = os.fraction_lost;

    const pc_receiver *r = &tm->rcv;
    if (r->stats_started) {
        mrtc_rtp_inbound_stats is;
        mrtc_rtp_recv_stats_get(&r->stats, &is);
        out->remote_ssrc = r->ssrc;
        out->packets_received = is.packets_received;
        out->bytes_received = is.bytes_received;
        out->packets_lost = is.packets_lost;
        out->jitter = is.jitter;
        out->packets_recovered = is.packets_recovered;
    }
    out->nack_count_sent = r->nack_sent;
    out->pli_count_sent = r->pli_sent;
    if (r->vjb) {
        mrtc_jitter_video_stats vs;
        mrtc_jitter_video_get_stats(r->vjb, &vs);
        out->frames_received = vs.frames_received;
        out->frames_dropped = vs.frames_dropped;
    }
    out->frames_decoded = r->frames_decoded;
    out->keyframes_decoded = r->keyframes_decoded;
    out->frame_width = r->width;
    out->frame_height = r->height;
    if (r->ajb) {
        mrtc_jitter_audio_stats as;
        mrtc_jitter_audio_get_stats(r->ajb, &as);
        out->packets_recovered += as.fec_recovered;
        out->jitter_buffer_delay_ms = as.target_delay_ms;
    }
    out->concealed_samples = r->samples_concealed;
    out->total_samples_received = r->samples_played;
    return 0;
}
