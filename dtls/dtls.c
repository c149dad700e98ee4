/*
 * mrtc_dtls: a DTLS 1.2 endpoint (RFC 6347) for DTLS-SRTP (RFC 5764) and data channels
 * (RFC 8261) on OpenSSL, sans-IO. The SSL object runs over dtls_bio.c's in-memory datagram
 * BIO; its context comes from dtls_ctx.c, which shares one SSL_CTX among all endpoints
 * with the same key and certificate (a reference-counted cache behind a mutex).
 *
 * OpenSSL's retransmit clock is taken over. OpenSSL 3.0 times DTLS retransmissions with
 * the wall clock and checks its timer inside every read, so its own timer must never
 * expire by itself: DTLS_set_timer_cb makes every timer it starts last an hour. This
 * module keeps the real timer on the caller's clock (RFC 6347 4.2.4.1): when OpenSSL says
 * its timer runs (DTLSv1_get_timeout) and ours is not armed, ours is armed at now + rto;
 * at our deadline OpenSSL's deadline is moved into the past and DTLSv1_handle_timeout()
 * retransmits the flight; rto doubles up to max_rto; after max_retransmits retransmissions
 * of one flight the handshake fails ("handshake timed out"). When OpenSSL stops its timer
 * (the peer's next flight arrived) ours is disarmed and rto starts over. Moving OpenSSL's
 * deadline uses the pointer OpenSSL 3.0 and 3.1 hand a datagram BIO with
 * BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT, which points at the deadline itself. OpenSSL 3.2 and
 * later pass a copy instead; run against those (checked at run time: libssl.so.3 is the
 * same soname) OpenSSL's timer is given our rto instead of an hour, so it expires on the
 * wall clock about when ours does: right in production, not on a virtual clock.
 *
 * The peer's certificate is accepted whoever signed it and compared with the remote
 * fingerprint (RFC 8122 section 5) as soon as both are known: in the verify callback
 * during the handshake (a mismatch there makes OpenSSL send a fatal bad_certificate
 * alert), else when the handshake completes or when the fingerprint is set (a mismatch
 * after the handshake sends close_notify, the only alert OpenSSL can send then). The state
 * is "connected" and application data flows only after a match; records that arrive
 * between the handshake and the fingerprint are held (up to MAX_HELD records) and
 * delivered after the match.
 *
 * Untrusted input: a datagram must be whole DTLS records, and unprotected epoch-0 records
 * are checked before OpenSSL sees them (OpenSSL fails the handshake on a malformed one).
 * Memory: records are at most one MTU (SSL_set_max_send_fragment), so the write buffer
 * OpenSSL keeps for DTLS is ~1.3 KB instead of ~17 KB, and reads stop when OpenSSL holds
 * nothing more; an established endpoint measured ~57 KB inside OpenSSL 3.0, most of it the
 * handshake and read buffers OpenSSL's DTLS code keeps for the connection's life.
 *
 * Not here: cookie exchange, renegotiation, session resumption, DTLS 1.3, choosing the
 * role, generating certificates, writing key log files; sending close_notify before the
 * handshake completed (OpenSSL refuses to).
 */
#include "dtls/dtls.h"

#include "core/util/alloc.h"
#include "core/util/buf.h"
#include "core/util/log.h"
#include "dtls/dtls_bio.h"
#include "dtls/dtls_ctx.h"
#include "meshrtc/error.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "dtls"

#define RECORD_HEADER_LEN 13
#define MAX_RECORD_PLAINTEXT 16384
#define MAX_HELD 32               /* application records held until the fingerprint */
#define OSSL_TIMER_US 3600000000u /* OpenSSL's own timer: an hour, i.e. never */
#define OSSL_MAX_RETRANSMITS 12u  /* OpenSSL fails the handshake after this many */
#define SRTP_LABEL "EXTRACTOR-dtls_srtp"
#define PEER_FP_LEN 96     /* 32 bytes as "AB:" * 31 + "CD" + NUL */
#define MAX_STATE_EVENTS 4 /* new -> connecting -> connected -> closed/failed */

typedef struct ev_node {
    struct ev_node *next;
    mrtc_dtls_event_type type;
    mrtc_dtls_state state;
    bool allocated; /* DATA nodes are allocated; STATE nodes live in mrtc_dtls */
    size_t len;
    uint8_t *data;
} ev_node;

typedef struct ev_queue {
    ev_node *head, *tail;
    unsigned count;
} ev_queue;

struct mrtc_dtls {
    SSL_CTX *ctx; /* shared, see dtls_ctx.c */
    SSL *ssl;
    mrtc_dtls_bio_state io;
    mrtc_dtls_role role;
    mrtc_dtls_state state;

    /* Retransmission timer on the caller's clock. */
    mrtc_time initial_rto, max_rto, rto, deadline;
    unsigned max_retransmits, flight_retransmits;

    bool handshake_done;
    bool fp_set, fp_mismatch;
    const EVP_MD *fp_md;
    uint8_t fp[EVP_MAX_MD_SIZE];
    unsigned fp_len;
    X509 *peer_cert; /* a reference, taken when OpenSSL first shows it */
    char peer_fp[PEER_FP_LEN];
    int alert_received, alert_sent; /* fatal alert descriptions, -1 for none */
    char failure[96];
    mrtc_srtp_profile profile;

    ev_queue events, held;
    ev_node *delivered; /* the DATA node last returned by poll_event */
    ev_node state_nodes[MAX_STATE_EVENTS];
    unsigned state_nodes_used;
    uint64_t records_in; /* application records decrypted */

    mrtc_dtls_keylog_fn keylog;
    void *keylog_arg;
    mrtc_dtls_stats stats;
};

static const char *const state_names[] = {
    [MRTC_DTLS_STATE_NEW] = "new",
    [MRTC_DTLS_STATE_CONNECTING] = "connecting",
    [MRTC_DTLS_STATE_CONNECTED] = "connected",
    [MRTC_DTLS_STATE_CLOSED] = "closed",
    [MRTC_DTLS_STATE_FAILED] = "failed",
};

const char *mrtc_dtls_state_name(mrtc_dtls_state s)
{
    if ((unsigned)s < sizeof state_names / sizeof state_names[0] && state_names[s])
        return state_names[s];
    return "unknown";
}

void mrtc_dtls_config_init(mrtc_dtls_config *cfg)
{
    *cfg = (mrtc_dtls_config){
        .role = MRTC_DTLS_ROLE_CLIENT,
        .mtu = 1200,
        .initial_rto = MRTC_SEC(1),
        .max_rto = MRTC_SEC(60),
        .max_retransmits = 8,
    };
}

/* ---- Events ---- */

static void queue_push(ev_queue *q, ev_node *n)
{
    n->next = NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->count++;
}

static ev_node *queue_pop(ev_queue *q)
{
    ev_node *n = q->head;
    if (!n)
        return NULL;
    q->head = n->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    n->next = NULL;
    return n;
}

static void queue_clear(ev_queue *q)
{
    ev_node *n;
    while ((n = queue_pop(q)) != NULL) {
        if (n->allocated)
            mrtc_free(n);
    }
}

static bool transition_ok(mrtc_dtls_state from, mrtc_dtls_state to)
{
    switch (from) {
    case MRTC_DTLS_STATE_NEW:
        return to == MRTC_DTLS_STATE_CONNECTING || to == MRTC_DTLS_STATE_CLOSED ||
               to == MRTC_DTLS_STATE_FAILED;
    case MRTC_DTLS_STATE_CONNECTING:
        return to == MRTC_DTLS_STATE_CONNECTED || to == MRTC_DTLS_STATE_CLOSED ||
               to == MRTC_DTLS_STATE_FAILED;
    case MRTC_DTLS_STATE_CONNECTED:
        return to == MRTC_DTLS_STATE_CLOSED || to == MRTC_DTLS_STATE_FAILED;
    default:
        return false;
    }
}

static void set_state(mrtc_dtls *d, mrtc_dtls_state to)
{
    if (!transition_ok(d->state, to)) {
        MRTC_WARN(LOG_TAG, "ignored transition %s -> %s", mrtc_dtls_state_name(d->state),
                  mrtc_dtls_state_name(to));
        return;
    }
    MRTC_DEBUG(LOG_TAG, "%s %s -> %s", d->role == MRTC_DTLS_ROLE_CLIENT ? "client" : "server",
               mrtc_dtls_state_name(d->state), mrtc_dtls_state_name(to));
    d->state = to;
    /* At most MAX_STATE_EVENTS transitions in a lifetime (each one leaves a state for a
     * later one), so the node never has to be allocated. */
    if (d->state_nodes_used < MAX_STATE_EVENTS) {
        ev_node *n = &d->state_nodes[d->state_nodes_used++];
        *n = (ev_node){.type = MRTC_DTLS_EVENT_STATE, .state = to};
        queue_push(&d->events, n);
    }
    if (to == MRTC_DTLS_STATE_CLOSED || to == MRTC_DTLS_STATE_FAILED) {
        d->deadline = MRTC_TIME_NEVER;
        queue_clear(&d->held);
    }
}

/* One decrypted application record: delivered when connected, held while the fingerprint
 * is pending. */
static void deliver(mrtc_dtls *d, const uint8_t *data, size_t len)
{
    d->records_in++;
    bool hold = d->state == MRTC_DTLS_STATE_CONNECTING;
    if (d->state != MRTC_DTLS_STATE_CONNECTED && !hold)
        return;
    if (hold && d->held.count >= MAX_HELD) {
        d->stats.dropped++;
        return;
    }
    ev_node *n = mrtc_malloc(sizeof *n + len);
    if (!n) {
        d->stats.dropped++;
        return;
    }
    *n = (ev_node){.type = MRTC_DTLS_EVENT_DATA, .allocated = true, .len = len};
    n->data = (uint8_t *)(n + 1);
    memcpy(n->data, data, len);
    queue_push(hold ? &d->held : &d->events, n);
}

/* ---- Failure and closing ---- */

static void fail(mrtc_dtls *d, const char *reason, bool notify)
{
    if (d->state == MRTC_DTLS_STATE_CLOSED || d->state == MRTC_DTLS_STATE_FAILED)
        return;
    snprintf(d->failure, sizeof d->failure, "%s", reason);
    MRTC_WARN(LOG_TAG, "%s failed: %s", d->role == MRTC_DTLS_ROLE_CLIENT ? "client" : "server",
              reason);
    if (notify && d->handshake_done) {
        ERR_clear_error();
        SSL_shutdown(d->ssl);
    }
    ERR_clear_error();
    set_state(d, MRTC_DTLS_STATE_FAILED);
}

/* OpenSSL reported a fatal error: says why as precisely as the alerts allow. */
static void fail_ssl(mrtc_dtls *d)
{
    char why[96];
    if (d->fp_mismatch) {
        snprintf(why, sizeof why, "fingerprint mismatch");
    } else if (d->alert_received >= 0) {
        snprintf(why, sizeof why, "alert received: %s",
                 SSL_alert_desc_string_long(d->alert_received));
    } else if (d->alert_sent >= 0) {
        snprintf(why, sizeof why, "alert sent: %s", SSL_alert_desc_string_long(d->alert_sent));
    } else {
        const char *r = ERR_reason_error_string(ERR_peek_last_error());
        snprintf(why, sizeof why, "handshake failed: %s", r ? r : "unknown error");
    }
    fail(d, why, false);
}

static void closed_by_peer(mrtc_dtls *d)
{
    MRTC_DEBUG(LOG_TAG, "close_notify received");
    /* RFC 5246 7.2.1: answer with our own close_notify. */
    ERR_clear_error();
    SSL_shutdown(d->ssl);
    ERR_clear_error();
    set_state(d, MRTC_DTLS_STATE_CLOSED);
}

/* ---- Fingerprints ---- */

static const struct {
    const char *name;
    const EVP_MD *(*md)(void);
    unsigned len;
} fp_algorithms[] = {
    {"sha-1", EVP_sha1, 20},     {"sha-224", EVP_sha224, 28}, {"sha-256", EVP_sha256, 32},
    {"sha-384", EVP_sha384, 48}, {"sha-512", EVP_sha512, 64},
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly want bytes as hex pairs separated by single colons, nothing else. */
static int parse_fingerprint(const char *s, unsigned want, uint8_t *out)
{
    for (unsigned i = 0; i < want; i++) {
        int hi = hex_value(s[0]);
        int lo = hi < 0 ? -1 : hex_value(s[1]);
        if (lo < 0)
            return MRTC_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (i + 1 < want) {
            if (*s != ':')
                return MRTC_EINVAL;
            s++;
        }
    }
    return *s == '\0' ? 0 : MRTC_EINVAL;
}

static bool fingerprint_matches(const mrtc_dtls *d, X509 *cert)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (X509_digest(cert, d->fp_md, md, &n) != 1) {
        ERR_clear_error();
        return false;
    }
    return n == d->fp_len && CRYPTO_memcmp(md, d->fp, n) == 0;
}

static void remember_peer_cert(mrtc_dtls *d, X509 *cert)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (d->peer_cert == cert || X509_up_ref(cert) != 1)
        return;
    X509_free(d->peer_cert);
    d->peer_cert = cert;
    d->peer_fp[0] = '\0';
    if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
        ERR_clear_error();
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    char *p = d->peer_fp;
    for (unsigned i = 0; i < n; i++) {
        if (i)
            *p++ = ':';
        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 15];
    }
    *p = '\0';
}

/* Called whenever the fingerprint or the peer's certificate may have become known. */
static void check_fingerprint(mrtc_dtls *d)
{
    if (!d->fp_set || !d->peer_cert)
        return;
    if (!fingerprint_matches(d, d->peer_cert)) {
        d->fp_mismatch = true;
        fail(d, "fingerprint mismatch", true);
        return;
    }
    if (d->handshake_done && d->state == MRTC_DTLS_STATE_CONNECTING) {
        set_state(d, MRTC_DTLS_STATE_CONNECTED);
        ev_node *n;
        while ((n = queue_pop(&d->held)) != NULL)
            queue_push(&d->events, n);
    }
}

/* ---- OpenSSL callbacks (found through SSL_get_app_data) ---- */

static int verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    mrtc_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (!d || !leaf)
        return 0;
    /* Self-signed, unknown issuer, expired: all fine, the fingerprint decides. */
    remember_peer_cert(d, leaf);
    if (d->fp_set && !fingerprint_matches(d, leaf)) {
        d->fp_mismatch = true;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    mrtc_dtls *d = SSL_get_app_data(ssl);
    if (!d || !(where & SSL_CB_ALERT))
        return;
    bool fatal = (ret >> 8) == SSL3_AL_FATAL;
    MRTC_DEBUG(LOG_TAG, "alert %s: %s %s", (where & SSL_CB_READ) ? "received" : "sent",
               SSL_alert_type_string_long(ret), SSL_alert_desc_string_long(ret));
    if (!fatal)
        return;
    if (where & SSL_CB_READ)
        d->alert_received = ret & 0xff;
    else
        d->alert_sent = ret & 0xff;
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    mrtc_dtls *d = SSL_get_app_data(ssl);
    if (d && d->keylog)
        d->keylog(d->keylog_arg, line);
}

static unsigned int timer_cb(SSL *ssl, unsigned int previous_us)
{
    mrtc_dtls *d = SSL_get_app_data(ssl);
    if (!d || d->io.ossl_timer || OpenSSL_version_num() < 0x30200000L)
        return OSSL_TIMER_US;
    /* OpenSSL 3.2+: no way to expire its timer on demand, so let it run on the wall
     * clock with our rto (15 ms early counts as expired there). */
    return d->rto < OSSL_TIMER_US ? (unsigned int)d->rto : OSSL_TIMER_US;
}

static const mrtc_dtls_ctx_hooks hooks = {
    .verify = verify_cb,
    .info = info_cb,
    .keylog = keylog_cb,
};

/* ---- Creation ---- */

int mrtc_dtls_new(const mrtc_dtls_config *cfg, mrtc_dtls **out)
{
    int err = MRTC_EINVAL;
    mrtc_dtls *d = NULL;
    BIO *bio = NULL;

    if (!cfg || !out || !cfg->pkey || !cfg->x509 || cfg->mtu < 256 || cfg->mtu > 65535 ||
        (cfg->role != MRTC_DTLS_ROLE_CLIENT && cfg->role != MRTC_DTLS_ROLE_SERVER) ||
        cfg->initial_rto == 0 || cfg->max_rto < cfg->initial_rto)
        goto out;
    ERR_clear_error();
    if (X509_check_private_key(cfg->x509, cfg->pkey) != 1)
        goto out;

    err = MRTC_ENOMEM;
    d = mrtc_calloc(1, sizeof *d);
    if (!d)
        goto out;
    d->role = cfg->role;
    d->state = MRTC_DTLS_STATE_NEW;
    d->initial_rto = d->rto = cfg->initial_rto;
    d->max_rto = cfg->max_rto;
    d->max_retransmits =
        cfg->max_retransmits < OSSL_MAX_RETRANSMITS ? cfg->max_retransmits : OSSL_MAX_RETRANSMITS;
    d->deadline = MRTC_TIME_NEVER;
    d->alert_received = d->alert_sent = -1;
    d->keylog = cfg->keylog;
    d->keylog_arg = cfg->keylog_arg;
    d->io.mtu = cfg->mtu;

    err = mrtc_dtls_ctx_get(cfg->pkey, cfg->x509, &hooks, &d->ctx);
    if (err)
        goto out;
    err = MRTC_ENOMEM;
    d->ssl = SSL_new(d->ctx);
    if (!d->ssl)
        goto out;
    bio = mrtc_dtls_bio_new(&d->io);
    if (!bio)
        goto out;
    SSL_set_bio(d->ssl, bio, bio); /* one reference, now the SSL's */
    err = MRTC_EIO;
    if (!SSL_set_app_data(d->ssl, d))
        goto out;
    SSL_set_mtu(d->ssl, (long)cfg->mtu);
    /* No record is larger than a datagram, so the write buffer (allocated when the
     * handshake starts and, for DTLS, never released) need not hold 16 KiB. */
    if (!SSL_set_max_send_fragment(d->ssl, cfg->mtu < 512 ? 512 : (long)cfg->mtu))
        goto out;
    if (!DTLS_set_link_mtu(d->ssl, (long)cfg->mtu))
        goto out;
    DTLS_set_timer_cb(d->ssl, timer_cb);
    if (d->role == MRTC_DTLS_ROLE_CLIENT)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    *out = d;
    d = NULL;
    err = 0;
out:
    ERR_clear_error();
    mrtc_dtls_free(d);
    return err;
}

void mrtc_dtls_free(mrtc_dtls *d)
{
    if (!d)
        return;
    queue_clear(&d->events);
    queue_clear(&d->held);
    mrtc_free(d->delivered);
    SSL_free(d->ssl); /* and the BIO */
    mrtc_dtls_bio_clear(&d->io);
    X509_free(d->peer_cert);
    mrtc_dtls_ctx_put(d->ctx);
    mrtc_free(d);
}

/* ---- Driving OpenSSL ---- */

/* Follows OpenSSL's retransmission timer with ours; see the header paragraph. */
static void update_timer(mrtc_dtls *d, mrtc_time now)
{
    struct timeval tv;
    bool stopped = d->io.timer_stopped;
    d->io.timer_stopped = false;
    if (d->state != MRTC_DTLS_STATE_CONNECTING || d->handshake_done) {
        /* Once our side is done there is nothing to retransmit on a timer: the last
         * flight is only resent when the peer resends its own (RFC 6347 4.2.4). */
        d->deadline = MRTC_TIME_NEVER;
        return;
    }
    bool running = DTLSv1_get_timeout(d->ssl, &tv) == 1;
    if (stopped || !running) {
        d->deadline = MRTC_TIME_NEVER;
        d->rto = d->initial_rto;
        d->flight_retransmits = 0;
    }
    if (running && d->deadline == MRTC_TIME_NEVER)
        d->deadline = now + d->rto;
}

static void on_handshake_done(mrtc_dtls *d)
{
    d->handshake_done = true;
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (p && p->id == SRTP_AEAD_AES_128_GCM)
        d->profile = MRTC_SRTP_PROFILE_AEAD_AES_128_GCM;
    else if (p && p->id == SRTP_AES128_CM_SHA1_80)
        d->profile = MRTC_SRTP_PROFILE_AES128_CM_SHA1_80;
    if (!d->peer_cert) {
        X509 *c = SSL_get0_peer_certificate(d->ssl);
        if (c)
            remember_peer_cert(d, c);
    }
    MRTC_INFO(LOG_TAG, "%s handshake done: %s, %s, SRTP %s%s",
              d->role == MRTC_DTLS_ROLE_CLIENT ? "client" : "server", SSL_get_version(d->ssl),
              SSL_get_cipher_name(d->ssl), p ? p->name : "none",
              d->fp_set ? "" : ", waiting for the remote fingerprint");
    if (!d->peer_cert) {
        fail(d, "no peer certificate", true);
        return;
    }
    check_fingerprint(d);
}

/* Decrypts every application record of the datagram being fed. It stops as soon as
 * OpenSSL holds nothing more, rather than on SSL_ERROR_WANT_READ: that last read would
 * allocate a fresh 16 KiB read buffer just to find the BIO empty, and keep it. */
static void read_records(mrtc_dtls *d)
{
    uint8_t buf[MAX_RECORD_PLAINTEXT];
    while ((d->state == MRTC_DTLS_STATE_CONNECTING || d->state == MRTC_DTLS_STATE_CONNECTED) &&
           (d->io.in || SSL_has_pending(d->ssl))) {
        ERR_clear_error();
        int n = SSL_read(d->ssl, buf, sizeof buf);
        if (n > 0) {
            deliver(d, buf, (size_t)n);
            continue;
        }
        int e = SSL_get_error(d->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN)
            closed_by_peer(d);
        else
            fail_ssl(d);
    }
    ERR_clear_error();
}

/* Runs the handshake, then the record layer, over whatever datagram is being fed. */
static void drive(mrtc_dtls *d)
{
    if (!d->handshake_done) {
        ERR_clear_error();
        int r = SSL_do_handshake(d->ssl);
        if (r != 1) {
            int e = SSL_get_error(d->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                closed_by_peer(d);
            else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                fail_ssl(d);
            ERR_clear_error();
            return;
        }
        on_handshake_done(d);
    }
    read_records(d);
}

int mrtc_dtls_start(mrtc_dtls *d, mrtc_time now)
{
    if (!d)
        return MRTC_EINVAL;
    if (d->state != MRTC_DTLS_STATE_NEW)
        return MRTC_ESTATE;
    set_state(d, MRTC_DTLS_STATE_CONNECTING);
    if (d->role == MRTC_DTLS_ROLE_CLIENT)
        drive(d);
    update_timer(d, now);
    return 0;
}

static size_t load_u24(const uint8_t *p)
{
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

/* Epoch 0 carries no authentication, so its records are checked before OpenSSL sees
 * them: OpenSSL fails the whole handshake on a malformed handshake fragment, which would
 * let anyone who can reach the 5-tuple end it with one datagram. ChangeCipherSpec is one
 * byte of 1, an alert two bytes, a handshake record whole fragments (RFC 6347 4.2.2:
 * 12-byte header, fragment within the message), application data never. */
static bool epoch0_ok(uint8_t type, const uint8_t *p, size_t len)
{
    switch (type) {
    case 20:
        return len == 1 && p[0] == 1;
    case 21:
        return len == 2;
    case 22:
        while (len > 0) {
            if (len < 12)
                return false;
            size_t msg_len = load_u24(p + 1), frag_off = load_u24(p + 6);
            size_t frag_len = load_u24(p + 9);
            if (frag_len > len - 12 || frag_off + frag_len > msg_len)
                return false;
            p += 12 + frag_len;
            len -= 12 + frag_len;
        }
        return true;
    default:
        return false;
    }
}

/* The datagram must be a sequence of whole DTLS records (RFC 6347 4.1) of the content
 * types DTLS 1.2 knows; counts the application data ones. */
static int check_records(const uint8_t *p, size_t len, unsigned *n_app)
{
    size_t off = 0;
    *n_app = 0;
    if (len == 0)
        return MRTC_EPROTO;
    while (off < len) {
        if (len - off < RECORD_HEADER_LEN)
            return MRTC_EPROTO;
        const uint8_t *rec = p + off;
        uint8_t type = rec[0];
        if (type < 20 || type > 23 || rec[1] != 0xFE)
            return MRTC_EPROTO;
        size_t rlen = mrtc_load_u16(rec + 11);
        if (rlen > len - off - RECORD_HEADER_LEN)
            return MRTC_EPROTO;
        if (mrtc_load_u16(rec + 3) == 0 && !epoch0_ok(type, rec + RECORD_HEADER_LEN, rlen))
            return MRTC_EPROTO;
        if (type == 23)
            (*n_app)++;
        off += RECORD_HEADER_LEN + rlen;
    }
    return 0;
}

int mrtc_dtls_handle_packet(mrtc_dtls *d, mrtc_time now, const uint8_t *data, size_t len)
{
    unsigned n_app = 0;
    if (!d || (!data && len))
        return MRTC_EINVAL;
    if (d->state == MRTC_DTLS_STATE_CLOSED || d->state == MRTC_DTLS_STATE_FAILED)
        return MRTC_ESTATE;
    d->stats.datagrams_received++;
    d->stats.bytes_received += len;
    if (check_records(data, len, &n_app) != 0) {
        d->stats.dropped++;
        MRTC_DEBUG(LOG_TAG, "dropped a malformed datagram of %zu bytes", len);
        return MRTC_EPROTO;
    }
    if (d->state == MRTC_DTLS_STATE_NEW) {
        if (d->role == MRTC_DTLS_ROLE_CLIENT) {
            d->stats.dropped++;
            return MRTC_ESTATE;
        }
        set_state(d, MRTC_DTLS_STATE_CONNECTING);
    }
    bool was_done = d->handshake_done;
    uint64_t before = d->records_in;
    d->io.in = data;
    d->io.in_len = len;
    drive(d);
    d->io.in = NULL;
    d->io.in_len = 0;
    /* OpenSSL drops records that fail authentication or are replays without a word
     * (RFC 6347 4.1.2.7); count what did not come out. */
    if (was_done && d->records_in - before < n_app)
        d->stats.dropped += n_app - (d->records_in - before);
    update_timer(d, now);
    return 0;
}

int mrtc_dtls_send(mrtc_dtls *d, mrtc_time now, const uint8_t *data, size_t len)
{
    if (!d || (!data && len))
        return MRTC_EINVAL;
    if (d->state != MRTC_DTLS_STATE_CONNECTED)
        return MRTC_ESTATE;
    if (len == 0)
        return MRTC_EINVAL;
    size_t max = DTLS_get_data_mtu(d->ssl);
    if (max == 0 || max > MAX_RECORD_PLAINTEXT)
        max = MAX_RECORD_PLAINTEXT;
    if (len > max)
        return MRTC_ETOOBIG;
    if (d->io.tx_count >= MRTC_DTLS_BIO_MAX_QUEUED)
        return MRTC_EAGAIN;
    uint64_t dropped = d->io.tx_dropped;
    ERR_clear_error();
    int n = SSL_write(d->ssl, data, (int)len);
    ERR_clear_error();
    if (n <= 0 || d->io.tx_dropped != dropped)
        return MRTC_ENOMEM;
    return 0;
}

void mrtc_dtls_close(mrtc_dtls *d, mrtc_time now)
{
    if (!d || d->state == MRTC_DTLS_STATE_CLOSED || d->state == MRTC_DTLS_STATE_FAILED)
        return;
    if (d->handshake_done) {
        ERR_clear_error();
        SSL_shutdown(d->ssl); /* queues close_notify */
        ERR_clear_error();
    }
    set_state(d, MRTC_DTLS_STATE_CLOSED);
}

void mrtc_dtls_handle_timeout(mrtc_dtls *d, mrtc_time now)
{
    if (!d || d->state != MRTC_DTLS_STATE_CONNECTING || d->deadline == MRTC_TIME_NEVER ||
        now < d->deadline)
        return;
    if (d->flight_retransmits >= d->max_retransmits) {
        fail(d, "handshake timed out", false);
        return;
    }
    d->rto = d->rto * 2 < d->max_rto ? d->rto * 2 : d->max_rto;
    /* OpenSSL's deadline into the past (non-zero: zero means "no timer"), so it
     * retransmits now and restarts its (hour-long) timer. */
    if (d->io.ossl_timer) {
        d->io.ossl_timer->tv_sec = 0;
        d->io.ossl_timer->tv_usec = 1;
    }
    ERR_clear_error();
    int r = DTLSv1_handle_timeout(d->ssl);
    if (r < 0) {
        fail_ssl(d);
        return;
    }
    ERR_clear_error();
    d->flight_retransmits++;
    d->stats.retransmissions++;
    MRTC_DEBUG(LOG_TAG, "retransmitted flight (%u of %u), next in %llu ms", d->flight_retransmits,
               d->max_retransmits, (unsigned long long)(d->rto / 1000));
    d->deadline = now + d->rto;
    update_timer(d, now);
}

mrtc_time mrtc_dtls_next_timeout(const mrtc_dtls *d)
{
    return d ? d->deadline : MRTC_TIME_NEVER;
}

bool mrtc_dtls_poll_transmit(mrtc_dtls *d, uint8_t *buf, size_t cap, size_t *len)
{
    mrtc_dtls_datagram *dg;
    if (!d)
        return false;
    while ((dg = mrtc_dtls_bio_pop(&d->io)) != NULL) {
        if (dg->len > cap || !buf) {
            d->stats.dropped++;
            mrtc_free(dg);
            continue;
        }
        memcpy(buf, dg->data, dg->len);
        *len = dg->len;
        d->stats.datagrams_sent++;
        d->stats.bytes_sent += dg->len;
        mrtc_free(dg);
        return true;
    }
    return false;
}

bool mrtc_dtls_poll_event(mrtc_dtls *d, mrtc_dtls_event *out)
{
    if (!d)
        return false;
    mrtc_free(d->delivered);
    d->delivered = NULL;
    ev_node *n = queue_pop(&d->events);
    if (!n)
        return false;
    *out = (mrtc_dtls_event){.type = n->type, .state = n->state, .data = n->data, .len = n->len};
    if (n->allocated)
        d->delivered = n;
    return true;
}

mrtc_dtls_state mrtc_dtls_get_state(const mrtc_dtls *d)
{
    return d->state;
}

mrtc_dtls_role mrtc_dtls_get_role(const mrtc_dtls *d)
{
    return d->role;
}

const char *mrtc_dtls_failure(const mrtc_dtls *d)
{
    return d->failure;
}

/* The fp_algorithms index of a usable fingerprint, with its bytes in fp, or -1. */
static int fingerprint_parse(const char *algorithm, const char *fingerprint, uint8_t *fp)
{
    size_t i, n = sizeof fp_algorithms / sizeof fp_algorithms[0];
    if (!algorithm || !fingerprint)
        return -1;
    for (i = 0; i < n; i++) {
        if (strcasecmp(algorithm, fp_algorithms[i].name) == 0)
            break;
    }
    if (i == n || parse_fingerprint(fingerprint, fp_algorithms[i].len, fp) != 0)
        return -1;
    return (int)i;
}

bool mrtc_dtls_fingerprint_usable(const char *algorithm, const char *fingerprint)
{
    uint8_t fp[EVP_MAX_MD_SIZE];
    return fingerprint_parse(algorithm, fingerprint, fp) >= 0;
}

int mrtc_dtls_set_remote_fingerprint(mrtc_dtls *d, mrtc_time now, const char *algorithm,
                                     const char *fingerprint)
{
    uint8_t fp[EVP_MAX_MD_SIZE];
    if (!d)
        return MRTC_EINVAL;
    int k = fingerprint_parse(algorithm, fingerprint, fp);
    if (k < 0)
        return MRTC_EINVAL;
    size_t i = (size_t)k;
    if (d->state == MRTC_DTLS_STATE_CLOSED || d->state == MRTC_DTLS_STATE_FAILED)
        return MRTC_ESTATE;
    d->fp_md = fp_algorithms[i].md();
    memcpy(d->fp, fp, fp_algorithms[i].len);
    d->fp_len = fp_algorithms[i].len;
    d->fp_set = true;
    check_fingerprint(d);
    update_timer(d, now);
    return 0;
}

mrtc_srtp_profile mrtc_dtls_srtp_profile(const mrtc_dtls *d)
{
    return d->state == MRTC_DTLS_STATE_CONNECTED ? d->profile : MRTC_SRTP_PROFILE_NONE;
}

int mrtc_dtls_export_srtp_keys(const mrtc_dtls *d, uint8_t *out, size_t len)
{
    size_t want;
    if (!d || !out)
        return MRTC_EINVAL;
    if (d->state != MRTC_DTLS_STATE_CONNECTED)
        return MRTC_ESTATE;
    switch (d->profile) {
    case MRTC_SRTP_PROFILE_AES128_CM_SHA1_80:
        want = 2 * 16 + 2 * 14;
        break;
    case MRTC_SRTP_PROFILE_AEAD_AES_128_GCM:
        want = 2 * 16 + 2 * 12;
        break;
    default:
        return MRTC_ESTATE;
    }
    if (len != want)
        return MRTC_EINVAL;
    ERR_clear_error();
    int r =
        SSL_export_keying_material(d->ssl, out, len, SRTP_LABEL, strlen(SRTP_LABEL), NULL, 0, 0);
    ERR_clear_error();
    return r == 1 ? 0 : MRTC_EIO;
}

const char *mrtc_dtls_peer_fingerprint(const mrtc_dtls *d)
{
    return d->peer_fp;
}

void mrtc_dtls_get_stats(const mrtc_dtls *d, mrtc_dtls_stats *out)
{
    *out = d->stats;
    out->dropped += d->io.tx_dropped;
}
