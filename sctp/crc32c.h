/*
 * CRC32c (Castagnoli, RFC 9260 appendix A) of outgoing SCTP packets. usrsctp runs with its
 * checksum "offloaded" (sctp/sctp.c): it neither computes nor verifies checksums, and this
 * module fills the checksum of each packet it sends. Incoming packets are not verified:
 * every SCTP packet arrives inside a DTLS record whose AEAD tag already authenticated it
 * (RFC 8261 section 5), so the CRC would only recheck what DTLS checked.
 */
#ifndef MRTC_SCTP_CRC32C_H
#define MRTC_SCTP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC32c of data[0..len), as the checksum field holds it (memcpy the value into bytes
 * 8..11 of the common header, computed with that field zero). */
uint32_t mrtc_crc32c(const uint8_t *data, size_t len);

/* Computes and stores the checksum of an SCTP packet (len >= 12). */
void mrtc_sctp_set_checksum(uint8_t *packet, size_t len);

#endif
