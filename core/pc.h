/*
 * The PeerConnection's internal interface: what an I/O host (core/runtime.c, core/vio.c)
 * calls, and the internal paths tests use that are not public API yet.
 */
#ifndef MRTC_CORE_PC_H
#define MRTC_CORE_PC_H

#include "core/io.h"
#include "meshrtc/pc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Creates a PeerConnection on any I/O host (mrtc_pc_new() is this with the runtime's io).
 * Same contract as mrtc_pc_new(). */
int mrtc_pc_create(mrtc_io *io, const mrtc_pc_config *cfg, const mrtc_pc_callbacks *cbs, void *user,
                   mrtc_pc **out);

/* A datagram arrived on the socket bound to `local`. Demultiplexed by its first byte
 * (RFC 7983): STUN to ICE; DTLS, TURN ChannelData and RTP/RTCP counted and dropped for now.
 * Borrowed bytes. */
void mrtc_pc_handle_datagram(mrtc_pc *pc, const mrtc_addr *local, const mrtc_addr *remote,
                             const uint8_t *data, size_t len);

/* The host's timer fired: lets every module whose deadline passed act. */
void mrtc_pc_handle_timeout(mrtc_pc *pc);

/* The earliest deadline of every protocol object of pc, or MRTC_TIME_NEVER. */
mrtc_time mrtc_pc_next_timeout(const mrtc_pc *pc);

/* True when callbacks are queued (or close_cb is due): the host must call
 * mrtc_pc_dispatch() from the loop. */
bool mrtc_pc_has_events(const mrtc_pc *pc);

/* Delivers the queued callbacks, from the loop. Returns true if pc finished closing: its
 * close_cb has run and pc has been detached and freed (do not touch it any more). */
bool mrtc_pc_dispatch(mrtc_pc *pc);

/* Closes pc as mrtc_pc_close(pc, NULL) would when its host goes away; no-op if closed. */
void mrtc_pc_close_silently(mrtc_pc *pc);

/* Adds the data-channel m-section (m=application UDP/DTLS/SCTP webrtc-datachannel) to the
 * next offers, as creating the first RTCDataChannel does in a browser; negotiation-needed
 * fires. The data channel API itself is a later issue. Returns 0 (also if already there)
 * or MRTC_ECLOSED. */
int mrtc_pc_add_data_section(mrtc_pc *pc);

/* Datagrams received and dropped per protocol class (RFC 7983 ranges). */
typedef struct mrtc_pc_counters {
    uint64_t stun;
    uint64_t dtls;
    uint64_t dtls_dropped; /* from an address ICE does not know */
    uint64_t turn_channel;
    uint64_t rtp_rtcp;
    uint64_t unknown;
} mrtc_pc_counters;

void mrtc_pc_get_counters(const mrtc_pc *pc, mrtc_pc_counters *out);

/* The SHA-256 fingerprint of pc's certificate, "AB:CD:..." (static for pc's lifetime). */
const char *mrtc_pc_fingerprint(const mrtc_pc *pc);

#endif
