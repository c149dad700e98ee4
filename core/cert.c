/*
 * Self-signed DTLS certificates (ECDSA P-256, SHA-256 signature) and their SHA-256
 * fingerprints for a=fingerprint (RFC 8122 section 5, RFC 8827 section 6.5), as browsers
 * generate one per RTCPeerConnection by default.
 *
 * Key generation uses OpenSSL's own CSPRNG, not the injected mrtc_rand: fingerprints are
 * therefore not reproducible from a test seed (nothing else depends on them).
 *
 * Certificates are reference counted. By default every PeerConnection shares one
 * certificate generated once per process (mrtc_cert_default(), like a browser tab that
 * reuses its generated certificate); applications can generate their own
 * (mrtc_certificate_generate, W3C generateCertificate) and pass it in the configuration.
 * The process-wide one lives until the process ends and is allocated outside the counting
 * allocator, so tests' leak checks do not see it. Does not persist or import certificates.
 */
#include "core/cert.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct mrtc_cert {
    atomic_int refs;
    bool process_wide; /* allocated with calloc(): never freed */
    EVP_PKEY *pkey;
    X509 *x509;
    char fingerprint[MRTC_CERT_FINGERPRINT_LEN + 1];
};

static int make_x509(EVP_PKEY *pkey, X509 **out)
{
    int err = MRTC_EIO;
    X509 *x = X509_new();
    BIGNUM *bn = BN_new();
    unsigned char rnd[8];
    char cn[32];
    if (!x || !bn || RAND_bytes(rnd, sizeof rnd) != 1)
        goto out;
    rnd[0] &= 0x7f; /* a positive serial */
    if (!BN_bin2bn(rnd, sizeof rnd, bn) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
        goto out;
    snprintf(cn, sizeof cn, "meshrtc-%02x%02x%02x%02x", rnd[4], rnd[5], rnd[6], rnd[7]);
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600L) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 30 * 24 * 3600L) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pkey) != 1 ||
        X509_sign(x, pkey, EVP_sha256()) <= 0)
        goto out;
    *out = x;
    x = NULL;
    err = 0;
out:
    BN_free(bn);
    X509_free(x);
    return err;
}

static int generate(bool process_wide, mrtc_cert **out)
{
    int err;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    mrtc_cert *c = process_wide ? calloc(1, sizeof *c) : mrtc_calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return MRTC_ENOMEM;
    atomic_init(&c->refs, 1);
    c->process_wide = process_wide;
    err = MRTC_EIO;
    c->pkey = EVP_EC_gen("P-256");
    if (!c->pkey)
        goto out;
    err = make_x509(c->pkey, &c->x509);
    if (err)
        goto out;
    err = MRTC_EIO;
    if (X509_digest(c->x509, EVP_sha256(), md, &md_len) != 1 || md_len != 32)
        goto out;
    for (unsigned i = 0; i < md_len; i++)
        snprintf(c->fingerprint + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    *out = c;
    c = NULL;
    err = 0;
out:
    mrtc_cert_free(c);
    return err;
}

int mrtc_cert_generate(mrtc_cert **out)
{
    return generate(false, out);
}

mrtc_cert *mrtc_cert_ref(mrtc_cert *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

void mrtc_cert_free(mrtc_cert *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    X509_free(c->x509);
    EVP_PKEY_free(c->pkey);
    if (c->process_wide)
        free(c);
    else
        mrtc_free(c);
}

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static mrtc_cert *default_cert;

int mrtc_cert_default(mrtc_cert **out)
{
    int err = 0;
    pthread_mutex_lock(&default_lock);
    if (!default_cert)
        err = generate(true, &default_cert);
    if (!err)
        *out = mrtc_cert_ref(default_cert);
    pthread_mutex_unlock(&default_lock);
    return err;
}

/* ---- The public RTCCertificate ---------------------------------------------------------- */

struct mrtc_certificate {
    mrtc_cert *cert;
};

int mrtc_certificate_generate(mrtc_certificate **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    mrtc_certificate *c = mrtc_calloc(1, sizeof *c);
    if (!c)
        return MRTC_ENOMEM;
    int err = mrtc_cert_generate(&c->cert);
    if (err) {
        mrtc_free(c);
        return err;
    }
    *out = c;
    return 0;
}

void mrtc_certificate_free(mrtc_certificate *c)
{
    if (!c)
        return;
    mrtc_cert_free(c->cert);
    mrtc_free(c);
}

const char *mrtc_certificate_fingerprint(const mrtc_certificate *c)
{
    return c ? mrtc_cert_fingerprint(c->cert) : "";
}

mrtc_cert *mrtc_certificate_cert(const mrtc_certificate *c)
{
    return c->cert;
}

const char *mrtc_cert_fingerprint_algorithm(const mrtc_cert *c)
{
    (void)c;
    return "sha-256";
}

const char *mrtc_cert_fingerprint(const mrtc_cert *c)
{
    return c->fingerprint;
}

void *mrtc_cert_pkey(const mrtc_cert *c)
{
    return c->pkey;
}

void *mrtc_cert_x509(const mrtc_cert *c)
{
    return c->x509;
}
