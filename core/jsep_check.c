/*
 * Semantic checks of a remote description before anything is applied (RFC 8829 section
 * 5.8 "parsing a session description" and 5.6 "applying a remote description"; W3C:
 * InvalidAccessError), after core/sdp.c has checked the syntax:
 *   - every m-section that is not rejected has an a=mid (JSEP requires it), mids unique;
 *   - an a=group:BUNDLE names only mids that exist;
 *   - every used m-section has ICE credentials (RFC 8839 section 5.4 syntax: ice-chars,
 *     ufrag 4..256, pwd 22..256), a DTLS fingerprint (RFC 8842), a=rtcp-mux for RTP
 *     (rtcp-mux policy "require"), and in an answer an a=setup other than actpass;
 *   - a renegotiation offer keeps the negotiated m-sections at their positions and mids;
 *   - an answer matches the offer: same number of m-sections, same mids and media types in
 *     the same order, nothing accepted that the offer rejected, and (max-bundle) a BUNDLE
 *     group when more than one m-section is accepted.
 * Messages name the line of the m-section at fault ("line 12 (m=audio): ...").
 *
 * Not checked: codec parameters (unsupported codecs are simply not answered), candidate
 * syntax (a malformed candidate is skipped, as browsers do).
 */
#include "core/pc_impl.h"

#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>

unsigned mrtc_jsep_mline_lineno(const char *text, size_t i)
{
    unsigned line = 1;
    size_t seen = 0;
    for (const char *p = text; *p;) {
        if (p[0] == 'm' && p[1] == '=') {
            if (seen++ == i)
                return line;
        }
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
        line++;
    }
    return 0;
}

static bool ice_chars(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return n >= min && n <= max;
}

/* Sets "set remote <type>: line N (m=<type>): <what>" and returns MRTC_EINVAL. */
static int fail(mrtc_pc *pc, mrtc_description_type type, const char *text, const mrtc_sdp *sdp,
                int index, const char *what)
{
    const char *tn = mrtc_description_type_name(type);
    if (index < 0) {
        mrtc_pc_set_error(pc, "set remote %s: %s", tn, what);
    } else {
        unsigned line = mrtc_jsep_mline_lineno(text, (size_t)index);
        mrtc_pc_set_error(pc, "set remote %s: line %u (m=%s, m-section %d): %s", tn, line,
                          sdp->media[index]->type, index, what);
    }
    return MRTC_EINVAL;
}

static int check_sections(mrtc_pc *pc, mrtc_description_type type, const mrtc_sdp *sdp,
                          const char *text)
{
    char why[160];
    for (size_t i = 0; i < sdp->media_count; i++) {
        const mrtc_sdp_media *m = sdp->media[i];
        if (mrtc_jsep_is_rejected(sdp, m))
            continue;
        if (!m->mid)
            return fail(pc, type, text, sdp, (int)i, "a=mid is missing (required by JSEP)");
        mrtc_sdp_transport t;
        mrtc_sdp_media_transport(sdp, m, &t);
        if (!t.ice_ufrag || !t.ice_pwd)
            return fail(pc, type, text, sdp, (int)i,
                        !t.ice_ufrag ? "a=ice-ufrag is missing" : "a=ice-pwd is missing");
        if (!ice_chars(t.ice_ufrag, 4, 256)) {
            snprintf(why, sizeof why, "a=ice-ufrag:%.40s is not 4..256 ice-chars", t.ice_ufrag);
            return fail(pc, type, text, sdp, (int)i, why);
        }
        if (!ice_chars(t.ice_pwd, 22, 256))
            return fail(pc, type, text, sdp, (int)i, "a=ice-pwd is not 22..256 ice-chars");
        if (t.fingerprint_count == 0)
            return fail(pc, type, text, sdp, (int)i,
                        "a=fingerprint is missing (DTLS is "
                        "required)");
        bool usable = false;
        for (size_t k = 0; k < t.fingerprint_count && !usable; k++)
            usable = mrtc_dtls_fingerprint_usable(t.fingerprints[k].hash, t.fingerprints[k].value);
        if (!usable) {
            snprintf(why, sizeof why,
                     "a=fingerprint:%.16s has no usable value (sha-1/224/256/384/512 with "
                     "exactly as many hex pairs as the hash has bytes)",
                     t.fingerprints[0].hash);
            return fail(pc, type, text, sdp, (int)i, why);
        }
        if (type != MRTC_DESCRIPTION_OFFER && t.setup == MRTC_SDP_SETUP_ACTPASS)
            return fail(pc, type, text, sdp, (int)i,
                        "a=setup:actpass is not allowed in an "
                        "answer");
        if (mrtc_sdp_proto_is_rtp(m->proto) && !m->rtcp_mux)
            return fail(pc, type, text, sdp, (int)i,
                        "a=rtcp-mux is missing (the rtcp-mux "
                        "policy is require)");
    }
    return 0;
}

static int check_bundle(mrtc_pc *pc, mrtc_description_type type, const mrtc_sdp *sdp,
                        const char *text)
{
    char why[160];
    for (size_t g = 0; g < sdp->group_count; g++) {
        const mrtc_sdp_group *grp = &sdp->groups[g];
        if (strcmp(grp->semantics, "BUNDLE") != 0)
            continue;
        for (size_t k = 0; k < grp->mids.count; k++) {
            if (!mrtc_sdp_find_media(sdp, grp->mids.items[k])) {
                snprintf(why, sizeof why,
                         "a=group:BUNDLE names mid \"%.32s\" that no m-section "
                         "has",
                         grp->mids.items[k]);
                return fail(pc, type, text, sdp, -1, why);
            }
        }
    }
    return 0;
}

/* A new offer keeps the negotiated m-sections where they were (RFC 8829 5.2.2, 5.6). */
static int check_reoffer(mrtc_pc *pc, const mrtc_sdp *sdp, const char *text)
{
    const mrtc_sdp *prev = pc->cur_remote ? pc->cur_remote : NULL;
    char why[160];
    if (!prev)
        return 0;
    if (sdp->media_count < prev->media_count)
        return fail(pc, MRTC_DESCRIPTION_OFFER, text, sdp, -1,
                    "the offer removes m-sections of the current session");
    for (size_t i = 0; i < prev->media_count; i++) {
        const char *a = prev->media[i]->mid, *b = sdp->media[i]->mid;
        if (a && b && strcmp(a, b) != 0) {
            snprintf(why, sizeof why, "mid \"%.32s\" where the session has \"%.32s\"", b, a);
            return fail(pc, MRTC_DESCRIPTION_OFFER, text, sdp, (int)i, why);
        }
    }
    return 0;
}

static int check_answer(mrtc_pc *pc, mrtc_description_type type, const mrtc_sdp *sdp,
                        const char *text)
{
    const mrtc_sdp *offer = pc->pend_local;
    char why[160];
    if (!offer)
        return fail(pc, type, text, sdp, -1, "no local offer to answer");
    if (sdp->media_count != offer->media_count) {
        snprintf(why, sizeof why, "%zu m-sections where the offer has %zu", sdp->media_count,
                 offer->media_count);
        return fail(pc, type, text, sdp, -1, why);
    }
    size_t accepted = 0;
    for (size_t i = 0; i < sdp->media_count; i++) {
        const mrtc_sdp_media *a = sdp->media[i], *o = offer->media[i];
        if (strcmp(a->type, o->type) != 0) {
            snprintf(why, sizeof why, "m=%.16s answers an m=%.16s", a->type, o->type);
            return fail(pc, type, text, sdp, (int)i, why);
        }
        if (a->mid && o->mid && strcmp(a->mid, o->mid) != 0) {
            snprintf(why, sizeof why, "mid \"%.32s\" answers mid \"%.32s\"", a->mid, o->mid);
            return fail(pc, type, text, sdp, (int)i, why);
        }
        if (a->port != 0 && o->port == 0)
            return fail(pc, type, text, sdp, (int)i, "accepts an m-section the offer rejected");
        accepted += a->port != 0;
    }
    const mrtc_sdp_group *bundle = mrtc_sdp_find_group(sdp, "BUNDLE");
    const mrtc_sdp_group *obundle = mrtc_sdp_find_group(offer, "BUNDLE");
    if (accepted > 1 && !bundle)
        return fail(pc, type, text, sdp, -1,
                    "no a=group:BUNDLE but several m-sections "
                    "accepted (the bundle policy is max-bundle)");
    for (size_t k = 0; bundle && k < bundle->mids.count; k++) {
        if (!obundle || !mrtc_sdp_strlist_has(&obundle->mids, bundle->mids.items[k])) {
            snprintf(why, sizeof why,
                     "a=group:BUNDLE has mid \"%.32s\" that the offer did not "
                     "bundle",
                     bundle->mids.items[k]);
            return fail(pc, type, text, sdp, -1, why);
        }
    }
    return 0;
}

int mrtc_jsep_check_remote(mrtc_pc *pc, mrtc_description_type type, const mrtc_sdp *sdp,
                           const char *text)
{
    /* The structure first (an answer to another offer says so plainly), then details. */
    int err = type == MRTC_DESCRIPTION_OFFER ? check_reoffer(pc, sdp, text)
                                             : check_answer(pc, type, sdp, text);
    if (!err)
        err = check_bundle(pc, type, sdp, text);
    if (!err)
        err = check_sections(pc, type, sdp, text);
    return err;
}
