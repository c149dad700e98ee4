/*
 * A BIO_METHOD that keeps datagrams in memory for the DTLS record layer (RFC 6347 section
 * 4.1.1: a record never spans datagrams, so the BIO must preserve datagram boundaries,
 * which OpenSSL's BIO_s_mem does not). A write queues exactly one datagram; a read returns
 * the one datagram being fed and then "retry" until the next one is fed. The ctrl calls a
 * DTLS SSL makes of a datagram BIO are answered: the MTU (fixed: the owner configures it;
 * MTU discovery is off), no pending output (every write is "sent"), flush succeeds, and
 * the retransmission timer notifications are recorded for dtls.c.
 *
 * Not here: addresses (BIO_CTRL_DGRAM_GET_PEER/CONNECT are answered with nothing, the
 * owner routes datagrams), socket timeouts, SCTP, peeking.
 */
#include "dtls/dtls_bio.h"

#include "core/util/alloc.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

static BIO_METHOD *bio_method;
static pthread_once_t bio_method_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *b, const char *data, int len)
{
    mrtc_dtls_bio_state *st = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!st || len < 0)
        return -1;
    /* A datagram that cannot be queued is lost, as UDP loses it: DTLS retransmits
     * handshake flights and SCTP retransmits data. */
    if (st->tx_count >= MRTC_DTLS_BIO_MAX_QUEUED) {
        st->tx_dropped++;
        return len;
    }
    mrtc_dtls_datagram *dg = mrtc_malloc(sizeof *dg + (size_t)len);
    if (!dg) {
        st->tx_dropped++;
        return len;
    }
    dg->next = NULL;
    dg->len = (size_t)len;
    if (len)
        memcpy(dg->data, data, (size_t)len);
    if (st->tx_tail)
        st->tx_tail->next = dg;
    else
        st->tx_head = dg;
    st->tx_tail = dg;
    st->tx_count++;
    return len;
}

static int bio_read(BIO *b, char *out, int cap)
{
    mrtc_dtls_bio_state *st = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!st || !st->in) {
        BIO_set_retry_read(b);
        return -1;
    }
    /* OpenSSL reads with a buffer of a whole maximum record and more; a longer datagram
     * cannot hold a valid record and is cut (the record layer then drops it). */
    size_t n = st->in_len;
    if (cap < 0)
        cap = 0;
    if (n > (size_t)cap)
        n = (size_t)cap;
    memcpy(out, st->in, n);
    st->in = NULL;
    st->in_len = 0;
    return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    mrtc_dtls_bio_state *st = BIO_get_data(b);
    if (!st)
        return 0;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return st->in ? (long)st->in_len : 0;
    case BIO_CTRL_WPENDING:
        return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return (long)st->mtu;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0; /* the MTU given is the datagram's own, UDP and IP are outside it */
    case BIO_CTRL_DGRAM_SET_MTU:
        return num;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        if (ptr) {
            struct timeval *tv = ptr;
            /* OpenSSL 3.2 and later pass a copy on the stack: never keep that. */
            if (OpenSSL_version_num() < 0x30200000L)
                st->ossl_timer = tv;
            if (tv->tv_sec == 0 && tv->tv_usec == 0)
                st->timer_stopped = true;
        }
        return 1;
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
    case BIO_CTRL_DGRAM_GET_RECV_TIMER_EXP:
    case BIO_CTRL_DGRAM_GET_SEND_TIMER_EXP:
        return 0;
    case BIO_CTRL_DGRAM_GET_PEER:
    case BIO_CTRL_DGRAM_SET_PEER:
    case BIO_CTRL_DGRAM_CONNECT:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
        return 0;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    BIO_set_data(b, NULL);
    return 1;
}

static int bio_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

static void bio_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mrtc_dtls");
    if (!m)
        return;
    if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_puts(m, bio_puts) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
        !BIO_meth_set_create(m, bio_create) || !BIO_meth_set_destroy(m, bio_destroy)) {
        BIO_meth_free(m);
        return;
    }
    bio_method = m; /* process lifetime, like OpenSSL's own methods */
}

BIO *mrtc_dtls_bio_new(mrtc_dtls_bio_state *st)
{
    pthread_once(&bio_method_once, bio_method_init);
    if (!bio_method)
        return NULL;
    BIO *b = BIO_new(bio_method);
    if (b)
        BIO_set_data(b, st);
    return b;
}

mrtc_dtls_datagram *mrtc_dtls_bio_pop(mrtc_dtls_bio_state *st)
{
    mrtc_dtls_datagram *dg = st->tx_head;
    if (!dg)
        return NULL;
    st->tx_head = dg->next;
    if (!st->tx_head)
        st->tx_tail = NULL;
    st->tx_count--;
    dg->next = NULL;
    return dg;
}

void mrtc_dtls_bio_clear(mrtc_dtls_bio_state *st)
{
    mrtc_dtls_datagram *dg;
    while ((dg = mrtc_dtls_bio_pop(st)) != NULL)
        mrtc_free(dg);
}
