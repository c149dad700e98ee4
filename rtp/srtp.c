/*
 * SRTP and SRTCP protection (RFC 3711 sections 3.3, 3.4 and 4, with the AEAD_AES_128_GCM
 * transform of RFC 7714 sections 8 to 10) for a DTLS-SRTP association (RFC 5764 section
 * 4.2 for the layout of the keying material), as a thin wrapper over libsrtp2: the suites
 * map to libsrtp's crypto policies, the keying material is split into this side's and the
 * peer's master key || master salt, and libsrtp's status codes map to MRTC_E* codes.
 *
 * Before libsrtp sees an RTP packet, this file checks that the fixed header, the CSRC list
 * and the header extension (RFC 3550 section 5.3.1) lie inside the packet, so input from
 * the network reaches libsrtp only well framed; libsrtp does its own checks too.
 *
 * Deliberately not done here: MKI, key lifetimes, header extension encryption (RFC 6904),
 * specific-SSRC policies, srtp_shutdown() (see srtp.h), RTCP parsing beyond the 8-byte
 * header.
 */
#include "rtp/srtp.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <limits.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <string.h>

#define LOG_TAG "srtp"

#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8
#define SRTCP_INDEX_LEN 4 /* E flag and 31-bit SRTCP index */
#define CM_TAG_LEN 10     /* HMAC-SHA1 truncated to 80 bits */
#define GCM_TAG_LEN 16

struct mrtc_srtp {
    mrtc_srtp_suite suite;
    srtp_t out; /* this side's key and salt, ssrc_any_outbound */
    srtp_t in;  /* the peer's, ssrc_any_inbound */
    mrtc_srtp_stats stats;
};

/* ---- Process-wide initialisation ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_init_fail;

static void init_libsrtp(void)
{
    init_status = srtp_init();
}

/* ---- Suites ---- */

static size_t salt_len(mrtc_srtp_suite suite)
{
    switch (suite) {
    case MRTC_SRTP_SUITE_AES128_CM_SHA1_80:
        return MRTC_SRTP_CM_SALT_LEN;
    case MRTC_SRTP_SUITE_AEAD_AES_128_GCM:
        return MRTC_SRTP_GCM_SALT_LEN;
    }
    return 0;
}

size_t mrtc_srtp_keying_material_len(mrtc_srtp_suite suite)
{
    size_t salt = salt_len(suite);
    return salt ? 2 * (MRTC_SRTP_KEY_LEN + salt) : 0;
}

size_t mrtc_srtp_overhead(mrtc_srtp_suite suite, bool rtcp)
{
    switch (suite) {
    case MRTC_SRTP_SUITE_AES128_CM_SHA1_80:
        return CM_TAG_LEN + (rtcp ? SRTCP_INDEX_LEN : 0);
    case MRTC_SRTP_SUITE_AEAD_AES_128_GCM:
        return GCM_TAG_LEN + (rtcp ? SRTCP_INDEX_LEN : 0);
    }
    return 0;
}

static void set_policy(srtp_policy_t *p, mrtc_srtp_suite suite)
{
    memset(p, 0, sizeof *p);
    if (suite == MRTC_SRTP_SUITE_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    }
    p->window_size = 0;     /* libsrtp's default replay window, 128 packets */
    p->allow_repeat_tx = 0; /* never re-encrypt an index (srtp.h) */
    p->next = NULL;
}

/* Wipes key bytes in a way the compiler may not drop as a dead store. */
static void wipe(uint8_t *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static int create_session(srtp_t *session, mrtc_srtp_suite suite, srtp_ssrc_type_t type,
                          uint8_t *key_salt)
{
    srtp_policy_t p;
    set_policy(&p, suite);
    p.ssrc.type = type;
    p.ssrc.value = 0;
    p.key = key_salt;
    srtp_err_status_t st = srtp_create(session, &p);
    if (st == srtp_err_status_ok)
        return 0;
    *session = NULL;
    MRTC_WARN(LOG_TAG, "srtp_create failed: libsrtp status %d", (int)st);
    return st == srtp_err_status_alloc_fail ? MRTC_ENOMEM : MRTC_EIO;
}

int mrtc_srtp_new(mrtc_srtp_suite suite, const uint8_t *km, size_t len, bool is_client,
                  mrtc_srtp **out)
{
    int err = 0;
    mrtc_srtp *s = NULL;
    /* master key || master salt, this side's then the peer's */
    uint8_t local[MRTC_SRTP_KEY_LEN + MRTC_SRTP_CM_SALT_LEN];
    uint8_t remote[MRTC_SRTP_KEY_LEN + MRTC_SRTP_CM_SALT_LEN];
    size_t salt = salt_len(suite);

    if (!out) {
        return MRTC_EINVAL;
    }
    *out = NULL;
    if (!km || salt == 0 || len != mrtc_srtp_keying_material_len(suite)) {
        return MRTC_EINVAL;
    }
    pthread_once(&init_once, init_libsrtp);
    if (init_status != srtp_err_status_ok) {
        MRTC_ERROR(LOG_TAG, "srtp_init failed: libsrtp status %d", (int)init_status);
        return MRTC_EIO;
    }

    /* RFC 5764 section 4.2: client_write_key | server_write_key | client_write_salt |
     * server_write_salt. */
    const uint8_t *client_key = km;
    const uint8_t *server_key = km + MRTC_SRTP_KEY_LEN;
    const uint8_t *client_salt = km + 2 * MRTC_SRTP_KEY_LEN;
    const uint8_t *server_salt = client_salt + salt;
    memcpy(local, is_client ? client_key : server_key, MRTC_SRTP_KEY_LEN);
    memcpy(local + MRTC_SRTP_KEY_LEN, is_client ? client_salt : server_salt, salt);
    memcpy(remote, is_client ? server_key : client_key, MRTC_SRTP_KEY_LEN);
    memcpy(remote + MRTC_SRTP_KEY_LEN, is_client ? server_salt : client_salt, salt);

    s = mrtc_calloc(1, sizeof *s);
    if (!s) {
        err = MRTC_ENOMEM;
        goto out;
    }
    s->suite = suite;
    err = create_session(&s->out, suite, ssrc_any_outbound, local);
    if (err)
        goto out;
    err = create_session(&s->in, suite, ssrc_any_inbound, remote);
    if (err)
        goto out;
    *out = s;
    s = NULL;
out:
    wipe(local, sizeof local);
    wipe(remote, sizeof remote);
    mrtc_srtp_free(s);
    return err;
}

void mrtc_srtp_free(mrtc_srtp *s)
{
    if (!s)
        return;
    if (s->in)
        srtp_dealloc(s->in);
    if (s->out)
        srtp_dealloc(s->out);
    mrtc_free(s);
}

mrtc_srtp_suite mrtc_srtp_get_suite(const mrtc_srtp *s)
{
    return s->suite;
}

void mrtc_srtp_get_stats(const mrtc_srtp *s, mrtc_srtp_stats *out)
{
    *out = s->stats;
}

/* ---- Framing checks ---- */

/* True when the RTP header (fixed part, CSRCs, extension) lies inside buf[0..len) and the
 * version is 2 (RFC 3550 section 5.1 and 5.3.1). */
static bool rtp_framed(const uint8_t *buf, size_t len)
{
    if (len < RTP_HEADER_LEN || (buf[0] >> 6) != 2)
        return false;
    size_t hdr = RTP_HEADER_LEN + 4u * (buf[0] & 0x0F);
    if (hdr > len)
        return false;
    if (buf[0] & 0x10) {
        if (hdr + 4 > len)
            return false;
        hdr += 4 + 4u * (((size_t)buf[hdr + 2] << 8) | buf[hdr + 3]);
        if (hdr > len)
            return false;
    }
    return true;
}

static bool rtcp_framed(const uint8_t *buf, size_t len)
{
    return len >= RTCP_HEADER_LEN && (buf[0] >> 6) == 2;
}

/* ---- Protect ---- */

static int map_protect_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return MRTC_ESTATE;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
        return MRTC_EINVAL;
    default:
        return MRTC_EIO;
    }
}

static int protect(mrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap, bool rtcp)
{
    if (!s || !buf || !len || *len > INT_MAX)
        return MRTC_EINVAL;
    if (rtcp ? !rtcp_framed(buf, *len) : !rtp_framed(buf, *len))
        return MRTC_EINVAL;
    if (cap < *len || cap - *len < mrtc_srtp_overhead(s->suite, rtcp))
        return MRTC_ENOBUFS;

    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_protect_rtcp(s->out, buf, &n) : srtp_protect(s->out, buf, &n);
    int err = map_protect_status(st);
    if (err)
        return err;
    *len = (size_t)n;
    if (rtcp)
        s->stats.rtcp_protected++;
    else
        s->stats.rtp_protected++;
    return 0;
}

int mrtc_srtp_protect_rtp(mrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    return protect(s, buf, len, cap, false);
}

int mrtc_srtp_protect_rtcp(mrtc_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    return protect(s, buf, len, cap, true);
}

/* ---- Unprotect ---- */

static int map_unprotect_status(mrtc_srtp *s, srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
        s->stats.auth_failures++;
        return MRTC_EAUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        s->stats.replays++;
        return MRTC_EAUTH;
    default:
        s->stats.malformed++;
        return MRTC_EPROTO;
    }
}

static int unprotect(mrtc_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
    if (!s || !buf || !len)
        return MRTC_EINVAL;
    size_t min = rtcp ? RTCP_HEADER_LEN : RTP_HEADER_LEN;
    min += mrtc_srtp_overhead(s->suite, rtcp);
    if (*len < min || *len > INT_MAX || (rtcp ? !rtcp_framed(buf, *len) : !rtp_framed(buf, *len))) {
        s->stats.malformed++;
        return MRTC_EPROTO;
    }

    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_unprotect_rtcp(s->in, buf, &n) : srtp_unprotect(s->in, buf, &n);
    int err = map_unprotect_status(s, st);
    if (err)
        return err;
    *len = (size_t)n;
    if (rtcp)
        s->stats.rtcp_unprotected++;
    else
        s->stats.rtp_unprotected++;
    return 0;
}

int mrtc_srtp_unprotect_rtp(mrtc_srtp *s, uint8_t *buf, size_t *len)
{
    return unprotect(s, buf, len, false);
}

int mrtc_srtp_unprotect_rtcp(mrtc_srtp *s, uint8_t *buf, size_t *len)
{
    return unprotect(s, buf, len, true);
}
