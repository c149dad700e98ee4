/*
 * The RTP state of a PeerConnection and its transceivers, shared by core/pc_media.c
 * (SRTP, sending, receiving, playout), core/pc_rtcp.c (RTCP) and core/pc_media_api.c (the
 * public track, sink and stats functions). Internal to those files.
 */
#ifndef MRTC_CORE_PC_MEDIA_IMPL_H
#define MRTC_CORE_PC_MEDIA_IMPL_H

#include "core/pc_impl.h"
#include "core/pc_media.h"
#include "media/opus_codec.h"
#include "media/vp8_codec.h"
#include "rtp/jitter_audio.h"
#include "rtp/jitter_video.h"
#include "rtp/rtp_stats.h"
#include "rtp/rtx.h"
#include "rtp/srtp.h"
#include "rtp/vp8.h"

#define PC_MAX_SINKS 8
#define PC_RTP_MAX_PAYLOAD 1100 /* VP8 payload per packet: 1200-byte packets after SRTP */

typedef struct pc_sender {
    mrtc_pc *pc;
    mrtc_transceiver *t;
    mrtc_track *track; /* holds a reference while attached */
    uint32_t ssrc, rtx_ssrc;
    uint16_t seq, rtx_seq;
    uint32_t ts_offset;
    /* Negotiated (from the descriptions); pt < 0: not negotiated */
    int pt, rtx_pt;
    uint8_t mid_ext; /* 0: none */
    uint8_t level_ext;
    bool sending; /* current direction includes send */
    mrtc_vp8_packetizer vp8;
    mrtc_rtx_history *history; /* video only */
    mrtc_rtp_send_stats stats;
    uint64_t fir_received;
    int last_fir_seq; /* -1: none yet */
    uint64_t frames_sent, keyframes_sent;
    /* RTX budget (packets): one retransmission per media packet sent, at most 32 saved
     * up, so a NACK storm cannot turn the sender into an amplifier. */
    int64_t rtx_budget;
    uint64_t rtx_refused; /* retransmissions refused for lack of budget */
    bool sent_any;
} pc_sender;

typedef struct pc_receiver {
    uint32_t ssrc, rtx_ssrc; /* 0 until known (SDP or first packet) */
    uint32_t sdp_ssrc;       /* the last one the remote description announced */
    int pt, rtx_pt;
    bool receiving; /* current direction includes recv */
    mrtc_rtp_recv_stats stats;
    bool stats_started;
    /* audio */
    mrtc_jitter_audio *ajb;
    mrtc_opus_decoder *adec;
    mrtc_time next_playout; /* NEVER until the first packet */
    uint64_t samples_played, samples_concealed;
    /* video */
    mrtc_jitter_video *vjb;
    mrtc_vp8_decoder *vdec;
    uint64_t frames_decoded, keyframes_decoded, decode_errors;
    uint16_t width, height;
    uint64_t pli_sent, nack_sent;
    uint8_t fir_seq;
    mrtc_sink *sinks[PC_MAX_SINKS];
    size_t n_sinks;
} pc_receiver;

typedef struct pc_tr_media {
    pc_sender snd;
    pc_receiver rcv;
} pc_tr_media;

typedef struct pc_media {
    mrtc_srtp *srtp;
    char cname[24];
    char stream_id[40];
    mrtc_time next_rtcp;
    uint32_t rtcp_ssrc; /* sender SSRC of RTCP when this side sends nothing */
    uint64_t rtp_dropped, rtcp_dropped, srtp_errors;
    bool sending_bye;
} pc_media;

/* core/pc_media.c */
pc_tr_media *mrtc_pc_media_of(mrtc_transceiver *t);
/* Protects and sends one RTP (rtcp false) or RTCP packet built in buf (cap bytes). */
void mrtc_pc_media_send(mrtc_pc *pc, uint8_t *buf, size_t len, size_t cap, bool rtcp);
mrtc_time mrtc_pc_media_now(const mrtc_pc *pc);
/* A NACK from the peer: the listed packets again, as RTX. */
void mrtc_pc_sender_resend(pc_sender *s, mrtc_time now, const uint16_t *seqs, size_t n);

/* core/pc_rtcp.c */
void mrtc_pc_rtcp_handle(mrtc_pc *pc, mrtc_time now, const uint8_t *data, size_t len);
/* Regular compound report (SR/RR + SDES). */
void mrtc_pc_rtcp_send_report(mrtc_pc *pc, mrtc_time now);
void mrtc_pc_rtcp_send_nack(mrtc_pc *pc, mrtc_transceiver *t, const uint16_t *seqs, size_t n);
void mrtc_pc_rtcp_send_pli(mrtc_pc *pc, mrtc_transceiver *t);
void mrtc_pc_rtcp_send_bye(mrtc_pc *pc);
/* NTP time (32.32) for a monotonic time of pc's clock. */
uint64_t mrtc_pc_rtcp_ntp(mrtc_time now);

#endif
