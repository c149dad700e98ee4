/*
 * Lookups over the SDP data model (sdp.h): sections by mid, groups, codecs by payload type,
 * name or RTX association, extmaps, the ICE/DTLS attributes in effect for a section, fmtp
 * "key=value;..." parameters, and the names of the enums. Read-only; no allocation.
 * Codec names compare case-insensitively (RFC 8866 6.6), as do group semantics and fmtp
 * keys; mids, URIs and attribute names compare exactly.
 */
#include "core/sdp.h"

#include <string.h>
#include <strings.h>

/* ---- Lookups ------------------------------------------------------------------------ */

mrtc_sdp_media *mrtc_sdp_find_media(const mrtc_sdp *sdp, const char *mid)
{
    for (size_t i = 0; mid && i < sdp->media_count; i++)
        if (sdp->media[i]->mid && strcmp(sdp->media[i]->mid, mid) == 0)
            return sdp->media[i];
    return NULL;
}

mrtc_sdp_group *mrtc_sdp_find_group(const mrtc_sdp *sdp, const char *semantics)
{
    for (size_t i = 0; i < sdp->group_count; i++)
        if (strcasecmp(sdp->groups[i].semantics, semantics) == 0)
            return &sdp->groups[i];
    return NULL;
}

static mrtc_sdp_attr *find_attr(mrtc_sdp_attr *attrs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(attrs[i].name, name) == 0)
            return &attrs[i];
    return NULL;
}

mrtc_sdp_attr *mrtc_sdp_find_attr(const mrtc_sdp *sdp, const char *name)
{
    return find_attr(sdp->attrs, sdp->attr_count, name);
}

mrtc_sdp_attr *mrtc_sdp_media_find_attr(const mrtc_sdp_media *m, const char *name)
{
    return find_attr(m->attrs, m->attr_count, name);
}

mrtc_sdp_codec *mrtc_sdp_media_find_codec(const mrtc_sdp_media *m, unsigned pt)
{
    for (size_t i = 0; i < m->codec_count; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

mrtc_sdp_codec *mrtc_sdp_media_find_codec_by_name(const mrtc_sdp_media *m, const char *name,
                                                  uint32_t clock_rate)
{
    for (size_t i = 0; i < m->codec_count; i++) {
        const mrtc_sdp_codec *c = &m->codecs[i];
        if (c->name && strcasecmp(c->name, name) == 0 &&
            (clock_rate == 0 || c->clock_rate == clock_rate))
            return &m->codecs[i];
    }
    return NULL;
}

mrtc_sdp_codec *mrtc_sdp_media_find_rtx(const mrtc_sdp_media *m, unsigned pt)
{
    for (size_t i = 0; i < m->codec_count; i++) {
        const mrtc_sdp_codec *c = &m->codecs[i];
        uint64_t apt;
        if (c->name && strcasecmp(c->name, "rtx") == 0 && c->fmtp &&
            mrtc_sdp_fmtp_get_uint(c->fmtp, "apt", &apt) && apt == pt)
            return &m->codecs[i];
    }
    return NULL;
}

mrtc_sdp_extmap *mrtc_sdp_media_find_extmap(const mrtc_sdp_media *m, const char *uri)
{
    for (size_t i = 0; i < m->extmap_count; i++)
        if (strcmp(m->extmaps[i].uri, uri) == 0)
            return &m->extmaps[i];
    return NULL;
}

void mrtc_sdp_media_transport(const mrtc_sdp *sdp, const mrtc_sdp_media *m, mrtc_sdp_transport *out)
{
    const mrtc_sdp_transport *mt = &m->transport, *st = &sdp->transport;
    out->ice_ufrag = mt->ice_ufrag ? mt->ice_ufrag : st->ice_ufrag;
    out->ice_pwd = mt->ice_pwd ? mt->ice_pwd : st->ice_pwd;
    out->ice_options = mt->ice_options.count ? mt->ice_options : st->ice_options;
    if (mt->fingerprint_count) {
        out->fingerprints = mt->fingerprints;
        out->fingerprint_count = mt->fingerprint_count;
    } else {
        out->fingerprints = st->fingerprints;
        out->fingerprint_count = st->fingerprint_count;
    }
    out->setup = mt->setup != MRTC_SDP_SETUP_NONE ? mt->setup : st->setup;
}

/* ---- fmtp parameters ---------------------------------------------------------------- */

bool mrtc_sdp_fmtp_find(const char *fmtp, const char *key, const char **value, size_t *len)
{
    size_t klen = strlen(key);
    const char *p = fmtp;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *kend = eq ? eq : end;
        while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t'))
            kend--;
        if ((size_t)(kend - p) == klen && klen && strncasecmp(p, key, klen) == 0) {
            const char *v = eq ? eq + 1 : end;
            const char *vend = end;
            while (v < vend && (*v == ' ' || *v == '\t'))
                v++;
            while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
                vend--;
            *value = v;
            *len = (size_t)(vend - v);
            return true;
        }
        p = end;
    }
    return false;
}

bool mrtc_sdp_fmtp_get_uint(const char *fmtp, const char *key, uint64_t *out)
{
    const char *v;
    size_t n;
    if (!mrtc_sdp_fmtp_find(fmtp, key, &v, &n) || n == 0)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

/* ---- Names -------------------------------------------------------------------------- */

const char *mrtc_sdp_direction_name(mrtc_sdp_direction d)
{
    switch (d) {
    case MRTC_SDP_SENDONLY:
        return "sendonly";
    case MRTC_SDP_RECVONLY:
        return "recvonly";
    case MRTC_SDP_INACTIVE:
        return "inactive";
    case MRTC_SDP_SENDRECV:
    default:
        return "sendrecv";
    }
}

mrtc_sdp_direction mrtc_sdp_direction_reverse(mrtc_sdp_direction d)
{
    if (d == MRTC_SDP_SENDONLY)
        return MRTC_SDP_RECVONLY;
    if (d == MRTC_SDP_RECVONLY)
        return MRTC_SDP_SENDONLY;
    return d;
}

const char *mrtc_sdp_setup_name(mrtc_sdp_setup s)
{
    switch (s) {
    case MRTC_SDP_SETUP_ACTPASS:
        return "actpass";
    case MRTC_SDP_SETUP_ACTIVE:
        return "active";
    case MRTC_SDP_SETUP_PASSIVE:
        return "passive";
    case MRTC_SDP_SETUP_HOLDCONN:
        return "holdconn";
    case MRTC_SDP_SETUP_NONE:
    default:
        return NULL;
    }
}

bool mrtc_sdp_proto_is_rtp(const char *proto)
{
    /* Any '/'-separated component equal to "RTP": RTP/AVP, UDP/TLS/RTP/SAVPF, ... */
    const char *p = proto;
    while (p && *p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 3 && strncmp(p, "RTP", 3) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

bool mrtc_sdp_proto_is_sctp(const char *proto)
{
    size_t n = proto ? strlen(proto) : 0;
    return n >= 4 && strcmp(proto + n - 4, "SCTP") == 0;
}
