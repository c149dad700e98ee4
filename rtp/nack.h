/*
 * The receiver's NACK scheduler for generic NACK (RFC 4585 section 6.2.1): it watches the
 * sequence numbers of received media packets, remembers the ones that are missing, and
 * says which to request now, spacing the retries by the round-trip time. Sans-IO: the
 * owner passes the time, builds the RTCP feedback from what mrtc_nack_poll returns and
 * wakes it at mrtc_nack_next_timeout.
 *
 * Timing, in terms of the constants below: a missing sequence number is requested first
 * MRTC_NACK_REORDER_DELAY after the packet that revealed the gap arrived (a packet that is
 * merely reordered by less than that is never requested), then again every
 * max(rtt, MRTC_NACK_MIN_RETRY_INTERVAL) * 5/4, at most MRTC_NACK_MAX_SENDS times in all,
 * and forgotten MRTC_NACK_GIVE_UP after the gap was seen or one retry interval after its
 * last request, whichever comes first.
 */
#ifndef MRTC_RTP_NACK_H
#define MRTC_RTP_NACK_H

#include "core/util/time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MRTC_NACK_MAX_MISSING 1000            /* sequence numbers tracked at most */
#define MRTC_NACK_REORDER_DELAY MRTC_MSEC(10) /* wait before the first request */
#define MRTC_NACK_MIN_RETRY_INTERVAL MRTC_MSEC(20)
#define MRTC_NACK_DEFAULT_RTT MRTC_MSEC(100) /* until mrtc_nack_set_rtt */
#define MRTC_NACK_MAX_SENDS 10               /* requests per sequence number */
#define MRTC_NACK_GIVE_UP MRTC_SEC(1)        /* after the gap was seen */

typedef struct mrtc_nack mrtc_nack;

/* Creates a scheduler with nothing missing and an RTT of MRTC_NACK_DEFAULT_RTT. *out is
 * owned by the caller (mrtc_nack_free). Returns 0, MRTC_EINVAL (out NULL) or MRTC_ENOMEM. */
int mrtc_nack_new(mrtc_nack **out);

/* Frees the scheduler; accepts NULL. */
void mrtc_nack_free(mrtc_nack *n);

/* Reports a received media packet's sequence number: every one, including packets
 * recovered by RTX (recovered = true, which only clears their entry). A packet newer than
 * the newest seen turns the numbers skipped over into missing entries; an older one clears
 * its entry. A jump of more than MRTC_NACK_MAX_MISSING, or more missing entries than that
 * (the oldest are dropped), or a packet more than 0x2000 behind the newest (a sender
 * restart: tracking starts over from it) clears what cannot be requested any more and
 * returns 1: the owner should ask for a key frame. Otherwise returns 0; MRTC_EINVAL for a
 * NULL n. */
int mrtc_nack_on_packet(mrtc_nack *n, mrtc_time now, uint16_t seq, bool recovered);

/* Sets the round-trip time that spaces the retries (0 or unset: MRTC_NACK_DEFAULT_RTT). */
void mrtc_nack_set_rtt(mrtc_nack *n, mrtc_time rtt);

/* Writes up to cap sequence numbers to request now into out, oldest first, and returns how
 * many; entries past their last retry or MRTC_NACK_GIVE_UP are dropped. Due entries that do
 * not fit stay due. out may be NULL when cap is 0. */
size_t mrtc_nack_poll(mrtc_nack *n, mrtc_time now, uint16_t *out, size_t cap);

/* When mrtc_nack_poll next has something to do (a request due or an entry to drop), or
 * MRTC_TIME_NEVER when nothing is missing. */
mrtc_time mrtc_nack_next_timeout(const mrtc_nack *n);

/* Forgets the missing sequence numbers older than seq (the owner gave up on them, for
 * instance because it asked for a key frame). */
void mrtc_nack_remove_before(mrtc_nack *n, uint16_t seq);

/* Number of missing sequence numbers tracked now. */
size_t mrtc_nack_missing(const mrtc_nack *n);

#endif
