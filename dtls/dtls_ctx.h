/*
 * Internal to dtls/: one shared, configured SSL_CTX per (key, certificate) pair.
 */
#ifndef MRTC_DTLS_DTLS_CTX_H
#define MRTC_DTLS_DTLS_CTX_H

#include <openssl/ssl.h>

/* The per-connection hooks every context installs; they find their connection through
 * SSL_get_app_data(). */
typedef struct mrtc_dtls_ctx_hooks {
    int (*verify)(int ok, X509_STORE_CTX *store);
    void (*info)(const SSL *ssl, int where, int ret);
    void (*keylog)(const SSL *ssl, const char *line);
} mrtc_dtls_ctx_hooks;

/* A context for pkey and x509 with a reference for the caller: shared with every other
 * holder of the same pair. Returns 0, MRTC_EINVAL (key and certificate do not match),
 * MRTC_ENOMEM or MRTC_EIO (OpenSSL refused the configuration). */
int mrtc_dtls_ctx_get(EVP_PKEY *pkey, X509 *x509, const mrtc_dtls_ctx_hooks *hooks, SSL_CTX **out);

/* Drops the caller's reference (accepts NULL); the last one frees the context. */
void mrtc_dtls_ctx_put(SSL_CTX *ctx);

#endif
