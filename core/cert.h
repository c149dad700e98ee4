/*
 * A PeerConnection's DTLS identity: a self-signed ECDSA P-256 certificate and its SHA-256
 * fingerprint (RFC 8122 section 5, as a=fingerprint carries it), reference counted; the DTLS
 * transport (dtls/) uses its key and certificate.
 */
#ifndef MRTC_CORE_CERT_H
#define MRTC_CORE_CERT_H

#include "meshrtc/pc.h"

#define MRTC_CERT_FINGERPRINT_LEN 95 /* 32 bytes as "AB:" * 31 + "CD" */

typedef struct mrtc_cert mrtc_cert;

/* Generates a key and a certificate valid from one day ago for 30 days, with a random
 * serial and subject. Returns 0, MRTC_ENOMEM or MRTC_EIO (OpenSSL failed). */
int mrtc_cert_generate(mrtc_cert **out);
/* Drops one reference (accepts NULL); the last one frees. */
void mrtc_cert_free(mrtc_cert *c);
/* Takes one more reference; returns c. */
mrtc_cert *mrtc_cert_ref(mrtc_cert *c);
/* The process-wide certificate, generated on first use (thread-safe): *out is a new
 * reference. Returns 0, MRTC_ENOMEM or MRTC_EIO. */
int mrtc_cert_default(mrtc_cert **out);
/* The certificate inside a public mrtc_certificate (borrowed). */
mrtc_cert *mrtc_certificate_cert(const mrtc_certificate *c);

/* "sha-256", the hash function name as a=fingerprint spells it. */
const char *mrtc_cert_fingerprint_algorithm(const mrtc_cert *c);
/* Upper-case hex bytes separated by colons; valid for the certificate's lifetime. */
const char *mrtc_cert_fingerprint(const mrtc_cert *c);

/* The OpenSSL objects (EVP_PKEY *, X509 *) for the DTLS layer; borrowed. */
void *mrtc_cert_pkey(const mrtc_cert *c);
void *mrtc_cert_x509(const mrtc_cert *c);

#endif
