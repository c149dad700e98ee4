/*
 * The RTP side of a PeerConnection (core/pc_media.c, core/pc_rtcp.c): senders and receivers
 * of its transceivers, SRTP keyed from DTLS, demultiplexing, RTCP. Internal to core/.
 */
#ifndef MRTC_CORE_PC_MEDIA_H
#define MRTC_CORE_PC_MEDIA_H

#include "core/media_impl.h"
#include "core/util/time.h"
#include "meshrtc/pc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pc_sender;
struct mrtc_sdp_media;

/* ---- Used by core/track.c ------------------------------------------------------------- */

/* The sender is negotiated, its direction sends, and SRTP is keyed. */
bool mrtc_pc_sender_active(const struct pc_sender *s);
/* Packetizes, protects and sends one encoded frame. */
void mrtc_pc_sender_send_frame(struct pc_sender *s, mrtc_time now, const mrtc_encoded_frame *f);
/* The clock of the sender's PeerConnection (0 for NULL). */
mrtc_time mrtc_pc_sender_now(const struct pc_sender *s);

/* ---- Used by core/pc*.c and core/jsep*.c ---------------------------------------------- */

/* Allocates the transceiver's media state (sender SSRCs drawn). Returns 0 or MRTC_ENOMEM. */
int mrtc_pc_media_transceiver_init(mrtc_pc *pc, mrtc_transceiver *t);
void mrtc_pc_media_transceiver_free(mrtc_transceiver *t);
/* After a description was applied: payload types, header extension ids, SSRCs of the
 * peer, directions. */
void mrtc_pc_media_update(mrtc_pc *pc);
/* DTLS connected: SRTP keys. */
void mrtc_pc_media_dtls_connected(mrtc_pc *pc);
/* An RTP or RTCP datagram (first byte 128..191) on a path ICE knows. */
void mrtc_pc_media_handle_packet(mrtc_pc *pc, mrtc_time now, uint8_t *data, size_t len);
mrtc_time mrtc_pc_media_next_timeout(const mrtc_pc *pc);
void mrtc_pc_media_handle_timeout(mrtc_pc *pc, mrtc_time now);
/* close(): BYE, senders leave their tracks. Safe from inside a sink callback. */
void mrtc_pc_media_close(mrtc_pc *pc);
/* The PeerConnection is freed: receivers, sinks, SRTP released. */
void mrtc_pc_media_free(mrtc_pc *pc);
/* The sender has a track (addTrack/replaceTrack): rollback keeps such a transceiver. */
bool mrtc_pc_media_has_track(const mrtc_transceiver *t);
/* Adds a=msid, a=ssrc and a=ssrc-group lines of the transceiver's sender to an m-section
 * being built. */
int mrtc_pc_media_describe_sender(const mrtc_pc *pc, const mrtc_transceiver *t,
                                  struct mrtc_sdp_media *m);

#endif
