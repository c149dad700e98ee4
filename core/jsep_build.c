/*
 * Building offers and answers (RFC 8829 sections 5.2 and 5.3) as core/sdp.h descriptions.
 *
 * Offers: every m-section bundled (RFC 8843, max-bundle policy) with a=group:BUNDLE and
 * mids "0", "1", ...; m-sections keep the order of the current (or pending) local
 * description, new transceivers and the data section are appended; ICE credentials,
 * a=ice-options:trickle, the certificate's SHA-256 fingerprint and a=setup:actpass in each;
 * rtcp-mux and rtcp-rsize; opus/48000/2 (pt 111, minptime=10;useinbandfec=1,
 * transport-cc) for audio; VP8/90000 (96, goog-remb, transport-cc, ccm fir, nack, nack pli)
 * with rtx (97, apt=96) for video; the mid header extension; the data section as
 * UDP/DTLS/SCTP webrtc-datachannel with sctp-port 5000. Gathered candidates go into the
 * bundle m-section.
 *
 * Answers: the offer's m-sections in order with its mids; codecs intersected with the offer
 * keeping the offer's payload types; directions per section 5.3.1 (RFC 3264 section 6.1);
 * a=setup:active (passive when offered active); m-sections that are not supported, not in
 * the offer's BUNDLE group (max-bundle), or have no codec in common are rejected with port 0.
 *
 * Deliberate differences: every bundled m-section gets port 9 (no a=bundle-only, as
 * browsers do with max-bundle); the default candidate is not written in m=/c= (port 9,
 * 0.0.0.0). A sending m-section carries a=msid, a=ssrc (cname, msid) and, for video, the
 * RTX ssrc-group FID; audio offers the ssrc-audio-level extension. Not done: simulcast,
 * codec preferences.
 */
#include "core/pc_impl.h"
#include "core/pc_media.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "jsep"

#define RTP_PROTO "UDP/TLS/RTP/SAVPF"
#define SCTP_PROTO "UDP/DTLS/SCTP"
#define DATA_FMT "webrtc-datachannel"
#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define MID_EXT_ID 4
#define LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define LEVEL_EXT_ID 1

typedef struct fb_def {
    const char *type;
    const char *subtype;
} fb_def;

typedef struct codec_def {
    const char *name;
    uint32_t clock;
    uint16_t channels;
    uint8_t pt;
    const char *fmtp;
    fb_def fb[5];
    size_t n_fb;
} codec_def;

static const codec_def OPUS = {
    "opus", 48000, 2, 111, "minptime=10;useinbandfec=1", {{"transport-cc", NULL}}, 1};
static const codec_def VP8 = {
    "VP8",
    90000,
    0,
    96,
    NULL,
    {{"goog-remb", NULL}, {"transport-cc", NULL}, {"ccm", "fir"}, {"nack", NULL}, {"nack", "pli"}},
    5};
static const codec_def RTX = {"rtx", 90000, 0, 97, "apt=96", {{NULL, NULL}}, 0};

static mrtc_sdp_direction to_sdp_dir(mrtc_direction d)
{
    switch (d) {
    case MRTC_DIRECTION_SENDRECV:
        return MRTC_SDP_SENDRECV;
    case MRTC_DIRECTION_SENDONLY:
        return MRTC_SDP_SENDONLY;
    case MRTC_DIRECTION_RECVONLY:
        return MRTC_SDP_RECVONLY;
    default:
        return MRTC_SDP_INACTIVE;
    }
}

/* Builder errors are sticky (only ever out of memory): each step runs on, and the first
 * error is what the function returns. */
static int first(int err, int r)
{
    return err ? err : r;
}

static int add_transport(mrtc_pc *pc, mrtc_sdp_media *m, const char *ufrag, const char *pwd,
                         mrtc_sdp_setup setup)
{
    int err = mrtc_sdp_transport_set_ice(&m->transport, ufrag, pwd);
    err = first(err, mrtc_sdp_strlist_add(&m->transport.ice_options, "trickle"));
    err = first(err, mrtc_sdp_transport_add_fingerprint(&m->transport,
                                                        mrtc_cert_fingerprint_algorithm(pc->cert),
                                                        mrtc_cert_fingerprint(pc->cert)));
    m->transport.setup = setup;
    return err;
}

/* Adds a codec with its fmtp and rtcp-fb lines (fbs[0..n_fb) as type/subtype pairs). */
static int add_codec(mrtc_sdp_media *m, unsigned pt, const char *name, uint32_t clock,
                     unsigned channels, const char *fmtp, const fb_def *fbs, size_t n_fb)
{
    mrtc_sdp_codec *c = NULL;
    int err = mrtc_sdp_media_add_codec(m, pt, name, clock, channels, &c);
    if (err)
        return err;
    if (fmtp)
        err = mrtc_sdp_str_set(&c->fmtp, fmtp);
    for (size_t i = 0; i < n_fb; i++)
        err = first(err, mrtc_sdp_codec_add_fb(c, fbs[i].type, fbs[i].subtype));
    return err;
}

static int add_codec_def(mrtc_sdp_media *m, const codec_def *d)
{
    return add_codec(m, d->pt, d->name, d->clock, d->channels, d->fmtp, d->fb, d->n_fb);
}

static int copy_codec(mrtc_sdp_media *m, const mrtc_sdp_codec *src)
{
    mrtc_sdp_codec *c = NULL;
    int err = mrtc_sdp_media_add_codec(m, src->pt, src->name, src->clock_rate, src->channels, &c);
    if (err)
        return err;
    if (src->fmtp)
        err = mrtc_sdp_str_set(&c->fmtp, src->fmtp);
    for (size_t i = 0; i < src->fb_count; i++)
        err = first(err, mrtc_sdp_codec_add_fb(c, src->fbs[i].type, src->fbs[i].subtype));
    return err;
}

static int default_codecs(mrtc_sdp_media *m, mrtc_media_kind kind)
{
    if (kind == MRTC_MEDIA_AUDIO)
        return add_codec_def(m, &OPUS);
    int err = add_codec_def(m, &VP8);
    return first(err, add_codec_def(m, &RTX)); /* rtx after the codec it repairs */
}

static int new_session(mrtc_pc *pc, mrtc_sdp **out)
{
    mrtc_sdp *sdp = mrtc_sdp_new();
    *out = sdp;
    if (!sdp)
        return MRTC_ENOMEM;
    int err = mrtc_sdp_set_origin(sdp, "-", pc->sess_id, pc->sess_version + 1, "IP4", "127.0.0.1");
    sdp->extmap_allow_mixed = true;
    return first(err, mrtc_sdp_set_msid_semantic(sdp, "WMS", NULL, 0));
}

/* The BUNDLE group of every accepted m-section, and the gathered candidates in the first. */
static int finish_session(mrtc_pc *pc, mrtc_sdp *sdp, const pc_gen *g, const char *ufrag)
{
    const char *mids[MRTC_SDP_MAX_MEDIA];
    size_t n = 0;
    for (size_t i = 0; i < sdp->media_count; i++) {
        if (sdp->media[i]->port != 0 && sdp->media[i]->mid)
            mids[n++] = sdp->media[i]->mid;
    }
    int err = n ? mrtc_sdp_add_group(sdp, "BUNDLE", mids, n) : 0;
    int bi = mrtc_jsep_bundle_index(sdp);
    if (bi >= 0 && g && strcmp(g->ufrag, ufrag) == 0) {
        for (size_t i = 0; i < g->n_cands; i++)
            err = first(err, mrtc_sdp_media_add_candidate(sdp->media[bi], g->cands[i]));
        sdp->media[bi]->end_of_candidates = g->gathering_complete;
    }
    (void)pc;
    return err;
}

void mrtc_jsep_add_local_candidate(mrtc_sdp *sdp, const char *cand)
{
    int bi = mrtc_jsep_bundle_index(sdp);
    if (bi < 0 || mrtc_sdp_strlist_has(&sdp->media[bi]->candidates, cand))
        return;
    if (mrtc_sdp_media_add_candidate(sdp->media[bi], cand) != 0)
        MRTC_WARN(LOG_TAG, "out of memory adding a candidate to the local description");
}

/* Serializes sdp into *out and remembers it as the last created offer/answer. */
static int finish(mrtc_pc *pc, mrtc_sdp *sdp, bool offer, mrtc_transceiver **plan, size_t n,
                  bool restart, char **out)
{
    char *text = mrtc_sdp_write(sdp);
    char *copy = text ? mrtc_strdup(text) : NULL;
    if (!copy) {
        mrtc_free(text);
        mrtc_sdp_free(sdp);
        mrtc_free(plan);
        return MRTC_ENOMEM;
    }
    pc->sess_version++;
    if (offer) {
        mrtc_free(pc->last_offer);
        mrtc_sdp_free(pc->last_offer_sdp);
        mrtc_free(pc->last_offer_plan);
        pc->last_offer = copy;
        pc->last_offer_sdp = sdp;
        pc->last_offer_plan = plan;
        pc->last_offer_plan_n = n;
        pc->last_offer_restart = restart;
    } else {
        mrtc_free(pc->last_answer);
        mrtc_sdp_free(pc->last_answer_sdp);
        pc->last_answer = copy;
        pc->last_answer_sdp = sdp;
    }
    *out = text;
    return 0;
}

/* A rejected m-section (port 0) mirroring om's type, protocol, formats and mid. */
static int rejected_copy(mrtc_sdp *sdp, const mrtc_sdp_media *om)
{
    mrtc_sdp_media *m = mrtc_sdp_add_media(sdp, om->type, 0, om->proto);
    if (!m)
        return MRTC_ENOMEM;
    int err = 0;
    for (size_t k = 0; k < om->codec_count; k++)
        err = first(err, mrtc_sdp_media_add_codec(m, om->codecs[k].pt, NULL, 0, 0, NULL));
    for (size_t k = 0; k < om->fmts.count; k++)
        err = first(err, mrtc_sdp_media_add_fmt(m, om->fmts.items[k]));
    err = first(err, mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0"));
    if (om->mid)
        err = first(err, mrtc_sdp_str_set(&m->mid, om->mid));
    return err;
}

/* ---- Offers --------------------------------------------------------------------------- */

static bool mid_in(const mrtc_sdp *sdp, const char *mid)
{
    return sdp && mrtc_sdp_find_media(sdp, mid);
}

static bool mid_in_use(const mrtc_pc *pc, const mrtc_sdp *building, const char *mid)
{
    for (const mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (strcmp(t->mid, mid) == 0 || strcmp(t->stable_mid, mid) == 0)
            return true;
    }
    return strcmp(pc->data_mid, mid) == 0 || strcmp(pc->data_stable_mid, mid) == 0 ||
           mid_in(building, mid) || mid_in(pc->cur_local, mid) || mid_in(pc->pend_local, mid) ||
           mid_in(pc->cur_remote, mid) || mid_in(pc->pend_remote, mid);
}

static void new_mid(const mrtc_pc *pc, const mrtc_sdp *building, char *mid, size_t cap)
{
    for (unsigned n = 0;; n++) {
        snprintf(mid, cap, "%u", n);
        if (!mid_in_use(pc, building, mid))
            return;
    }
}

/* One audio/video m-section of an offer; prev is the same mid in the base description. */
static int offer_rtp(mrtc_pc *pc, mrtc_sdp *sdp, const mrtc_transceiver *t, const char *mid,
                     const mrtc_sdp_media *prev, const char *ufrag, const char *pwd)
{
    bool rejected = t->stopped || (prev && prev->port == 0);
    mrtc_sdp_media *m = mrtc_sdp_add_media(sdp, t->kind == MRTC_MEDIA_AUDIO ? "audio" : "video",
                                           rejected ? 0 : 9, RTP_PROTO);
    if (!m)
        return MRTC_ENOMEM;
    int err = mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0");
    err = first(err, mrtc_sdp_str_set(&m->mid, mid));
    if (prev && prev->port != 0 && prev->codec_count) {
        for (size_t i = 0; i < prev->codec_count; i++)
            err = first(err, copy_codec(m, &prev->codecs[i]));
    } else {
        err = first(err, default_codecs(m, t->kind));
    }
    if (rejected) {
        mrtc_sdp_media_set_direction(m, MRTC_SDP_INACTIVE);
        return err;
    }
    err = first(err, add_transport(pc, m, ufrag, pwd, MRTC_SDP_SETUP_ACTPASS));
    const mrtc_sdp_extmap *pe = prev ? mrtc_sdp_media_find_extmap(prev, MID_URI) : NULL;
    err = first(err, mrtc_sdp_media_add_extmap(m, pe ? pe->id : MID_EXT_ID, MID_URI, NULL));
    if (t->kind == MRTC_MEDIA_AUDIO) {
        const mrtc_sdp_extmap *le = prev ? mrtc_sdp_media_find_extmap(prev, LEVEL_URI) : NULL;
        if (!prev || le)
            err = first(err, mrtc_sdp_media_add_extmap(m, le ? le->id : LEVEL_EXT_ID, LEVEL_URI, NULL));
    }
    mrtc_sdp_media_set_direction(m, to_sdp_dir(t->direction));
    m->rtcp_mux = true;
    m->rtcp_rsize = true;
    if (t->direction == MRTC_DIRECTION_SENDRECV || t->direction == MRTC_DIRECTION_SENDONLY)
        err = first(err, mrtc_pc_media_describe_sender(pc, t, m));
    return err;
}

static int data_section(mrtc_pc *pc, mrtc_sdp *sdp, const char *mid, bool rejected,
                        const char *ufrag, const char *pwd, mrtc_sdp_setup setup)
{
    mrtc_sdp_media *m = mrtc_sdp_add_media(sdp, "application", rejected ? 0 : 9, SCTP_PROTO);
    if (!m)
        return MRTC_ENOMEM;
    int err = mrtc_sdp_media_add_fmt(m, DATA_FMT);
    err = first(err, mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0"));
    err = first(err, mrtc_sdp_str_set(&m->mid, mid));
    if (rejected)
        return err;
    err = first(err, add_transport(pc, m, ufrag, pwd, setup));
    m->sctp_port = MRTC_SCTP_DEFAULT_PORT;
    m->has_max_message_size = true;
    m->max_message_size = MRTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    return err;
}

static const mrtc_transceiver *transceiver_of(const mrtc_pc *pc, const char *mid)
{
    for (const mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (!t->removed && mid && t->mid[0] && strcmp(t->mid, mid) == 0)
            return t;
    }
    return NULL;
}

static int build_offer(mrtc_pc *pc, mrtc_sdp *sdp, mrtc_transceiver **plan, const char *ufrag,
                       const char *pwd)
{
    const mrtc_sdp *base =
        pc->signaling == MRTC_SIGNALING_HAVE_LOCAL_OFFER ? pc->pend_local : pc->cur_local;
    bool have_data = false;
    size_t n = 0;
    int err = 0;
    /* The m-sections already negotiated (or offered), in their order (RFC 8829 5.2.2). */
    for (size_t i = 0; base && i < base->media_count; i++) {
        const mrtc_sdp_media *prev = base->media[i];
        const mrtc_transceiver *t = transceiver_of(pc, prev->mid);
        if (prev->kind == MRTC_SDP_APPLICATION) {
            have_data = true;
            err = first(err, data_section(pc, sdp, prev->mid, prev->port == 0, ufrag, pwd,
                                          MRTC_SDP_SETUP_ACTPASS));
        } else if (t) {
            plan[n] = (mrtc_transceiver *)t;
            err = first(err, offer_rtp(pc, sdp, t, prev->mid, prev, ufrag, pwd));
        } else {
            err = first(err, rejected_copy(sdp, prev)); /* no transceiver: stays rejected */
        }
        n++;
    }
    /* New transceivers, then the data section (RFC 8829 5.2.1). */
    for (mrtc_transceiver *t = pc->tr_head; t; t = t->next) {
        if (t->removed || t->stopped || (t->mid[0] && mid_in(sdp, t->mid)))
            continue;
        char mid[PC_MID_MAX + 1];
        if (t->mid[0])
            snprintf(mid, sizeof mid, "%s", t->mid);
        else
            new_mid(pc, sdp, mid, sizeof mid);
        plan[n++] = t;
        err = first(err, offer_rtp(pc, sdp, t, mid, NULL, ufrag, pwd));
    }
    if (pc->data_wanted && !have_data) {
        char mid[PC_MID_MAX + 1];
        if (pc->data_mid[0] && !mid_in(sdp, pc->data_mid))
            snprintf(mid, sizeof mid, "%s", pc->data_mid);
        else
            new_mid(pc, sdp, mid, sizeof mid);
        plan[n++] = NULL;
        err = first(err, data_section(pc, sdp, mid, false, ufrag, pwd, MRTC_SDP_SETUP_ACTPASS));
    }
    return err;
}

int mrtc_jsep_create_offer(mrtc_pc *pc, bool ice_restart, char **out)
{
    const pc_gen *g = mrtc_pc_ice_gen_for_description(pc);
    const char *ufrag = g ? g->ufrag : pc->ufrag;
    const char *pwd = g ? g->pwd : pc->pwd;
    bool restart = false;
    /* W3C createOffer: new credentials when [[LocalIceCredentialsToReplace]] is not empty or
     * iceRestart is set (meaningless before a first negotiation). Drawn once, reused until
     * negotiated. */
    if ((ice_restart || pc->restart_pending) && pc->gen && pc->cur_local) {
        if (!pc->restart_ufrag[0])
            mrtc_pc_ice_new_credentials(pc, pc->restart_ufrag, pc->restart_pwd);
        restart = strcmp(pc->restart_ufrag, ufrag) != 0;
        ufrag = pc->restart_ufrag;
        pwd = pc->restart_pwd;
    }
    size_t cap = 1 + (pc->cur_local ? pc->cur_local->media_count : 0) +
                 (pc->pend_local ? pc->pend_local->media_count : 0);
    for (const mrtc_transceiver *t = pc->tr_head; t; t = t->next)
        cap++;
    mrtc_transceiver **plan = mrtc_calloc(cap, sizeof *plan);
    mrtc_sdp *sdp = NULL;
    int err = plan ? new_session(pc, &sdp) : MRTC_ENOMEM;
    if (!err)
        err = build_offer(pc, sdp, plan, ufrag, pwd);
    if (!err)
        err = finish_session(pc, sdp, g, ufrag);
    if (err) {
        mrtc_sdp_free(sdp);
        mrtc_free(plan);
        mrtc_pc_set_error(pc, "create offer: out of memory");
        return err;
    }
    err = finish(pc, sdp, true, plan, sdp->media_count, restart, out);
    if (err)
        mrtc_pc_set_error(pc, "create offer: out of memory");
    else
        MRTC_DEBUG(LOG_TAG, "%s: offer created (%zu m-sections%s)", pc->name,
                   pc->last_offer_sdp->media_count, restart ? ", ICE restart" : "");
    return err;
}

/* ---- Answers -------------------------------------------------------------------------- */

static bool same_fb(const mrtc_sdp_rtcp_fb *f, const fb_def *d)
{
    if (strcasecmp(f->type, d->type) != 0)
        return false;
    if (!f->subtype || !d->subtype)
        return !f->subtype && !d->subtype;
    return strcasecmp(f->subtype, d->subtype) == 0;
}

static bool offered_fb(const mrtc_sdp_media *om, const mrtc_sdp_codec *oc, const fb_def *d)
{
    for (size_t i = 0; i < oc->fb_count; i++) {
        if (same_fb(&oc->fbs[i], d))
            return true;
    }
    for (size_t i = 0; i < om->fb_all_count; i++) {
        if (same_fb(&om->fbs_all[i], d))
            return true;
    }
    return false;
}

/* Our codec matching an offered one (name case-insensitive, clock, channels), or NULL. */
static const codec_def *supported(mrtc_sdp_media_kind kind, const mrtc_sdp_codec *oc)
{
    const codec_def *d = kind == MRTC_SDP_AUDIO ? &OPUS : &VP8;
    if (!oc->name || strcasecmp(oc->name, d->name) != 0 || oc->clock_rate != d->clock)
        return NULL;
    if (d->channels && oc->channels != d->channels)
        return NULL;
    return d;
}

/* The offered codecs we support, with the offer's payload types, our fmtp and the rtcp-fb
 * both sides support; rtx for a kept video codec. Returns the number of media codecs. */
static int answer_codecs(mrtc_sdp_media *m, const mrtc_sdp_media *om)
{
    int err = 0;
    for (size_t i = 0; i < om->codec_count; i++) {
        const mrtc_sdp_codec *oc = &om->codecs[i];
        const codec_def *d = supported(om->kind, oc);
        if (!d)
            continue;
        fb_def fbs[5];
        size_t n_fb = 0;
        for (size_t k = 0; k < d->n_fb; k++) {
            if (offered_fb(om, oc, &d->fb[k]))
                fbs[n_fb++] = d->fb[k];
        }
        err = first(
            err, add_codec(m, oc->pt, oc->name, oc->clock_rate, oc->channels, d->fmtp, fbs, n_fb));
    }
    for (size_t i = 0; om->kind == MRTC_SDP_VIDEO && i < om->codec_count; i++) {
        const mrtc_sdp_codec *oc = &om->codecs[i];
        uint64_t apt;
        if (!oc->name || strcasecmp(oc->name, "rtx") != 0 || oc->clock_rate != 90000 || !oc->fmtp ||
            !mrtc_sdp_fmtp_get_uint(oc->fmtp, "apt", &apt) || apt > 127 ||
            !mrtc_sdp_media_find_codec(m, (unsigned)apt))
            continue;
        char fmtp[16];
        snprintf(fmtp, sizeof fmtp, "apt=%u", (unsigned)apt);
        err = first(err, add_codec(m, oc->pt, oc->name, oc->clock_rate, 0, fmtp, NULL, 0));
    }
    return err;
}

static bool has_common_codec(const mrtc_sdp_media *om)
{
    for (size_t i = 0; i < om->codec_count; i++) {
        if (supported(om->kind, &om->codecs[i]))
            return true;
    }
    return false;
}

static unsigned bits(mrtc_sdp_direction d)
{
    return d == MRTC_SDP_SENDRECV ? 3 : d == MRTC_SDP_SENDONLY ? 1 : d == MRTC_SDP_RECVONLY ? 2 : 0;
}

/* RFC 8829 5.3.1 / RFC 3264 6.1: the answer's direction is the transceiver's direction
 * restricted to the reverse of the offered one. */
static mrtc_sdp_direction answer_direction(mrtc_direction mine, mrtc_sdp_direction offered)
{
    unsigned o = bits(offered), rev = (o & 1) << 1 | (o & 2) >> 1;
    unsigned b = bits(to_sdp_dir(mine)) & rev;
    return b == 3   ? MRTC_SDP_SENDRECV
           : b == 1 ? MRTC_SDP_SENDONLY
           : b == 2 ? MRTC_SDP_RECVONLY
                    : MRTC_SDP_INACTIVE;
}

static int answer_section(mrtc_pc *pc, mrtc_sdp *sdp, const mrtc_sdp *offer,
                          const mrtc_sdp_media *om, bool accept, const char *ufrag, const char *pwd)
{
    mrtc_sdp_transport ot;
    mrtc_sdp_media_transport(offer, om, &ot);
    mrtc_sdp_setup setup =
        ot.setup == MRTC_SDP_SETUP_ACTIVE ? MRTC_SDP_SETUP_PASSIVE : MRTC_SDP_SETUP_ACTIVE;
    /* A DTLS association that exists keeps its roles (RFC 8842 section 5.5, RFC 8829
     * section 5.3.1): a later answer says what this side already is. */
    if (pc->dtls)
        setup = mrtc_dtls_get_role(pc->dtls) == MRTC_DTLS_ROLE_CLIENT ? MRTC_SDP_SETUP_ACTIVE
                                                                       : MRTC_SDP_SETUP_PASSIVE;
    if (accept && om->kind == MRTC_SDP_APPLICATION)
        return data_section(pc, sdp, om->mid, false, ufrag, pwd, setup);
    const mrtc_transceiver *t = transceiver_of(pc, om->mid);
    if (accept && t && !has_common_codec(om)) {
        MRTC_INFO(LOG_TAG, "%s: m-section %s rejected: no codec in common", pc->name, om->mid);
        accept = false;
    }
    if (!accept || !t)
        return rejected_copy(sdp, om);
    mrtc_sdp_media *m = mrtc_sdp_add_media(sdp, om->type, 9, RTP_PROTO);
    if (!m)
        return MRTC_ENOMEM;
    int err = answer_codecs(m, om);
    err = first(err, mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0"));
    err = first(err, add_transport(pc, m, ufrag, pwd, setup));
    err = first(err, mrtc_sdp_str_set(&m->mid, om->mid));
    const mrtc_sdp_extmap *oe = mrtc_sdp_media_find_extmap(om, MID_URI);
    if (oe)
        err = first(err, mrtc_sdp_media_add_extmap(m, oe->id, MID_URI, NULL));
    const mrtc_sdp_extmap *le = mrtc_sdp_media_find_extmap(om, LEVEL_URI);
    if (le && om->kind == MRTC_SDP_AUDIO && le->id >= 1 && le->id <= 14)
        err = first(err, mrtc_sdp_media_add_extmap(m, le->id, LEVEL_URI, NULL));
    m->extmap_allow_mixed = om->extmap_allow_mixed;
    mrtc_sdp_direction dir = answer_direction(t->direction, om->direction);
    mrtc_sdp_media_set_direction(m, dir);
    m->rtcp_mux = true;
    m->rtcp_rsize = om->rtcp_rsize;
    if (dir == MRTC_SDP_SENDRECV || dir == MRTC_SDP_SENDONLY)
        err = first(err, mrtc_pc_media_describe_sender(pc, t, m));
    return err;
}

/* Can this offered m-section be accepted (before looking at codecs)? */
static bool acceptable(const mrtc_sdp *offer, const mrtc_sdp_media *om, bool any_accepted)
{
    const mrtc_sdp_group *bundle = mrtc_sdp_find_group(offer, "BUNDLE");
    if (mrtc_jsep_is_rejected(offer, om) || !om->mid)
        return false;
    if (bundle ? !mrtc_sdp_strlist_has(&bundle->mids, om->mid) : any_accepted)
        return false; /* max-bundle: everything on the one bundle transport */
    if (om->kind == MRTC_SDP_AUDIO || om->kind == MRTC_SDP_VIDEO)
        return strcasecmp(om->proto, RTP_PROTO) == 0;
    if (om->kind == MRTC_SDP_APPLICATION)
        return strcasecmp(om->proto, SCTP_PROTO) == 0 && mrtc_sdp_strlist_has(&om->fmts, DATA_FMT);
    return false;
}

int mrtc_jsep_create_answer(mrtc_pc *pc, char **out)
{
    if (pc->signaling != MRTC_SIGNALING_HAVE_REMOTE_OFFER &&
        pc->signaling != MRTC_SIGNALING_HAVE_LOCAL_PRANSWER) {
        mrtc_pc_set_error(pc,
                          "create answer: not allowed in signaling state %s (no remote "
                          "offer)",
                          mrtc_signaling_state_name(pc->signaling));
        return MRTC_ESTATE;
    }
    const mrtc_sdp *offer = pc->pend_remote;
    const pc_gen *g = mrtc_pc_ice_gen_for_description(pc);
    const char *ufrag = g ? g->ufrag : pc->ufrag;
    const char *pwd = g ? g->pwd : pc->pwd;
    mrtc_sdp *sdp = NULL;
    int err = new_session(pc, &sdp);
    bool any = false;
    for (size_t i = 0; !err && i < offer->media_count; i++) {
        const mrtc_sdp_media *om = offer->media[i];
        bool accept = acceptable(offer, om, any);
        err = answer_section(pc, sdp, offer, om, accept, ufrag, pwd);
        any = any || (!err && sdp->media[sdp->media_count - 1]->port != 0);
    }
    if (!err) {
        sdp->extmap_allow_mixed = offer->extmap_allow_mixed;
        err = finish_session(pc, sdp, g, ufrag);
    }
    if (err)
        mrtc_sdp_free(sdp);
    else
        err = finish(pc, sdp, false, NULL, 0, false, out);
    if (err)
        mrtc_pc_set_error(pc, "create answer: out of memory");
    else
        MRTC_DEBUG(LOG_TAG, "%s: answer created (%zu m-sections)", pc->name,
                   pc->last_answer_sdp->media_count);
    return err;
}
