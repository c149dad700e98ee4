/*
 * A structural check of incoming SCTP packets (RFC 9260 section 3) before usrsctp sees
 * them. usrsctp 0.9.5 (Debian 12) loops forever on an INIT whose parameter list holds a
 * zero-length parameter (usrsctp issue #570, fixed upstream after that release): its
 * parameter walks advance by the parameter's length. Every packet therefore has its chunks
 * and the TLV lists inside them (INIT/INIT ACK parameters, ERROR/ABORT causes, HEARTBEAT
 * info, RE-CONFIG and ASCONF parameters) checked for lengths of at least 4 that stay
 * inside their container; anything else is refused.
 */
#ifndef MRTC_SCTP_PACKET_H
#define MRTC_SCTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when the packet's chunks and their TLV lists are well formed. */
bool mrtc_sctp_packet_wellformed(const uint8_t *data, size_t len);

#endif
