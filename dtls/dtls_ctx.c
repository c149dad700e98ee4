/*
 * The SSL_CTX behind every mrtc_dtls: DTLS 1.2 only (RFC 6347; WebRTC does not need 1.0),
 * ECDHE over X25519 and P-256, AEAD cipher suites with ECDSA first and the ECDHE-RSA ones
 * for peers with RSA certificates, use_srtp with SRTP_AEAD_AES_128_GCM then
 * SRTP_AES128_CM_SHA1_80 (RFC 5764 4.1.2, RFC 7714 14.2), the peer's certificate requested
 * and required but accepted whoever signed it (RFC 8827 6.5: the fingerprint check is
 * dtls.c's), no session cache or tickets, no renegotiation, no MTU query, and released
 * buffers when idle.
 *
 * Contexts are shared: a small cache keyed by the (EVP_PKEY, X509) pointers holds one
 * reference-counted context per pair, behind a mutex, so the thousands of connections of
 * one PeerConnection certificate share one context (its certificate, key and cipher
 * tables). The cached context holds references to the key and certificate, so their
 * addresses cannot be reused while the entry exists.
 *
 * Not here: cookie exchange (HelloVerifyRequest is not used between WebRTC endpoints),
 * DTLS 1.3, CBC cipher suites.
 */
#include "dtls/dtls_ctx.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>

#define LOG_TAG "dtls"

#define CIPHERS                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                                 \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256"
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

typedef struct ctx_entry {
    struct ctx_entry *next;
    EVP_PKEY *pkey; /* identity only: the context holds the references */
    X509 *x509;
    SSL_CTX *ctx;
    long refs;
} ctx_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static ctx_entry *cache;

static int make_ctx(EVP_PKEY *pkey, X509 *x509, const mrtc_dtls_ctx_hooks *hooks, SSL_CTX **out)
{
    int err = MRTC_EIO;
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx) {
        err = MRTC_ENOMEM;
        goto out;
    }
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION))
        goto out;
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (!SSL_CTX_set_cipher_list(ctx, CIPHERS) || !SSL_CTX_set1_groups_list(ctx, GROUPS))
        goto out;
    /* Returns 0 on success, unlike its neighbours. */
    if (SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) != 0)
        goto out;
    if (SSL_CTX_use_certificate(ctx, x509) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
        goto out;
    if (SSL_CTX_check_private_key(ctx) != 1) {
        err = MRTC_EINVAL;
        goto out;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, hooks->verify);
    SSL_CTX_set_info_callback(ctx, hooks->info);
    SSL_CTX_set_keylog_callback(ctx, hooks->keylog);
    *out = ctx;
    ctx = NULL;
    err = 0;
out:
    if (err) {
        const char *why = ERR_reason_error_string(ERR_peek_last_error());
        MRTC_WARN(LOG_TAG, "cannot configure an SSL_CTX: %s", why ? why : "unknown");
        ERR_clear_error();
    }
    SSL_CTX_free(ctx);
    return err;
}

int mrtc_dtls_ctx_get(EVP_PKEY *pkey, X509 *x509, const mrtc_dtls_ctx_hooks *hooks, SSL_CTX **out)
{
    int err = 0;
    ctx_entry *e = NULL;
    SSL_CTX *ctx = NULL;

    pthread_mutex_lock(&cache_lock);
    for (e = cache; e; e = e->next) {
        if (e->pkey == pkey && e->x509 == x509) {
            e->refs++;
            *out = e->ctx;
            goto out;
        }
    }
    e = mrtc_calloc(1, sizeof *e);
    if (!e) {
        err = MRTC_ENOMEM;
        goto out;
    }
    err = make_ctx(pkey, x509, hooks, &ctx);
    if (err) {
        mrtc_free(e);
        goto out;
    }
    e->pkey = pkey;
    e->x509 = x509;
    e->ctx = ctx;
    e->refs = 1;
    e->next = cache;
    cache = e;
    *out = ctx;
out:
    pthread_mutex_unlock(&cache_lock);
    return err;
}

void mrtc_dtls_ctx_put(SSL_CTX *ctx)
{
    if (!ctx)
        return;
    SSL_CTX *to_free = NULL;
    ctx_entry *e = NULL;

    pthread_mutex_lock(&cache_lock);
    for (ctx_entry **pp = &cache; *pp; pp = &(*pp)->next) {
        if ((*pp)->ctx == ctx) {
            if (--(*pp)->refs == 0) {
                e = *pp;
                *pp = e->next;
                to_free = e->ctx;
            }
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    SSL_CTX_free(to_free);
    mrtc_free(e);
}
