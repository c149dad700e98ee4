/*
 * Internal to dtls/: the datagram BIO under mrtc_dtls's SSL object. Each BIO write is one
 * outgoing datagram, appended to a bounded queue the owner drains; each BIO read hands
 * OpenSSL the one incoming datagram the owner is feeding. It also records what OpenSSL tells
 * a datagram BIO about its retransmission timer (see dtls.c).
 */
#ifndef MRTC_DTLS_DTLS_BIO_H
#define MRTC_DTLS_DTLS_BIO_H

#include <openssl/bio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* Queued outgoing datagrams beyond which further writes are dropped (as a full socket
 * buffer drops UDP): a handshake flight is a handful, a data channel burst is drained by
 * the owner after every call. */
#define MRTC_DTLS_BIO_MAX_QUEUED 256

typedef struct mrtc_dtls_datagram {
    struct mrtc_dtls_datagram *next;
    size_t len;
    uint8_t data[];
} mrtc_dtls_datagram;

typedef struct mrtc_dtls_bio_state {
    const uint8_t *in; /* the datagram being fed to OpenSSL (borrowed), NULL when none */
    size_t in_len;
    mrtc_dtls_datagram *tx_head, *tx_tail;
    size_t tx_count;
    size_t mtu;
    uint64_t tx_dropped; /* writes dropped: queue full or out of memory */
    /* OpenSSL's own retransmission deadline, as passed with BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT
     * (OpenSSL 3.0/3.1: a pointer into its DTLS state, valid for the SSL's lifetime; NULL
     * with a later OpenSSL, which passes a copy). */
    struct timeval *ossl_timer;
    bool timer_stopped; /* OpenSSL stopped its timer (set here, cleared by the owner) */
} mrtc_dtls_bio_state;

/* A new BIO over st (st must outlive it); NULL when OpenSSL is out of memory. */
BIO *mrtc_dtls_bio_new(mrtc_dtls_bio_state *st);

/* Removes the oldest queued datagram; the caller frees it with mrtc_free(). */
mrtc_dtls_datagram *mrtc_dtls_bio_pop(mrtc_dtls_bio_state *st);

/* Frees every queued datagram. */
void mrtc_dtls_bio_clear(mrtc_dtls_bio_state *st);

#endif
