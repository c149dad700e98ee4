/* Tests of JSEP (core/jsep*.c) through the public PeerConnection API on virtual I/O hosts
 * (no network, virtual clock): every signaling transition with its events (offer/answer
 * both ways, pranswer both ways, rollback local and remote, implicit rollback), illegal
 * transitions refused without a state change, glare resolved by rollback as perfect
 * negotiation does, the content of offers and answers (BUNDLE, mids, codecs and payload
 * types, rtcp-fb, setup roles, directions, rejected m-sections, data m-section), invalid
 * remote descriptions refused with a message and no change, implicit setLocalDescription,
 * description getters, negotiation-needed and ICE restart credentials. (Candidates in
 * descriptions and addIceCandidate are in test_pc_api.c.) */
#include "test.h"

#include "core/pc.h"
#include "core/sdp.h"
#include "core/vio.h"
#include "meshrtc/error.h"

#include <stdarg.h>

static mrtc_time clk;

typedef struct peer {
    mrtc_vio *vio;
    mrtc_pc *pc;
    char log[96][128];
    int n_log;
} peer;

static void note(peer *p, const char *fmt, ...)
{
    if (p->n_log == 96)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->log[p->n_log++], sizeof p->log[0], fmt, ap);
    va_end(ap);
}

static void on_nn(mrtc_pc *pc, void *u)
{
    (void)pc;
    note(u, "negotiation-needed");
}

static void on_cand(mrtc_pc *pc, const char *c, const char *mid, int idx, void *u)
{
    (void)pc;
    if (c)
        note(u, "candidate %s %d", mid, idx);
    else
        note(u, "end-of-candidates");
}

static void on_sig(mrtc_pc *pc, mrtc_signaling_state s, void *u)
{
    (void)pc;
    note(u, "signaling %s", mrtc_signaling_state_name(s));
}

static void on_gather(mrtc_pc *pc, mrtc_gathering_state s, void *u)
{
    (void)pc;
    note(u, "gathering %s", mrtc_gathering_state_name(s));
}

static const mrtc_pc_callbacks cbs = {.negotiation_needed = on_nn,
                                      .ice_candidate = on_cand,
                                      .signaling_state_change = on_sig,
                                      .ice_gathering_state_change = on_gather};

static void peer_init(peer *p, const char *ip, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    mrtc_io_ifaddr ifa = {.name = "eth0"};
    mrtc_addr_parse_ip(&ifa.addr, ip, 0);
    mrtc_vio_config cfg;
    mrtc_vio_config_init(&cfg);
    cfg.clock = &clk;
    cfg.ifaddrs = &ifa;
    cfg.n_ifaddrs = 1;
    cfg.seed = seed;
    CHECK_EQ(mrtc_vio_new(&cfg, &p->vio), 0);
    CHECK_EQ(mrtc_pc_create(mrtc_vio_io(p->vio), NULL, &cbs, p, &p->pc), 0);
}

static void peer_free(peer *p)
{
    mrtc_vio_free(p->vio);
}

/* Delivers the queued callbacks (one loop iteration) and returns the log, joined by '|'. */
static const char *events(peer *p)
{
    static char buf[4096];
    mrtc_vio_run(p->vio);
    buf[0] = '\0';
    for (int i = 0; i < p->n_log; i++) {
        if (i)
            strcat(buf, "|");
        strncat(buf, p->log[i], sizeof buf - strlen(buf) - 1);
    }
    p->n_log = 0;
    return buf;
}

static char *create_offer(peer *p)
{
    char *sdp = NULL;
    CHECK_EQ(mrtc_pc_create_offer(p->pc, NULL, &sdp), 0);
    return sdp;
}

static char *create_answer(peer *p)
{
    char *sdp = NULL;
    int err = mrtc_pc_create_answer(p->pc, &sdp);
    if (err)
        fprintf(stderr, "create answer: %s\n", mrtc_pc_last_error(p->pc));
    CHECK_EQ(err, 0);
    return sdp;
}

static char *get_desc(peer *p, mrtc_description_slot slot)
{
    char *sdp = NULL;
    (void)mrtc_pc_get_description(p->pc, slot, NULL, &sdp);
    return sdp;
}

static int srd(peer *p, mrtc_description_type t, const char *sdp)
{
    int err = mrtc_pc_set_remote_description(p->pc, t, sdp);
    if (err)
        fprintf(stderr, "(expected or not) SRD: %s\n", mrtc_pc_last_error(p->pc));
    return err;
}

/* a offers, b answers; everything applied. */
static void negotiate(peer *a, peer *b)
{
    char *o = create_offer(a);
    CHECK_EQ(mrtc_pc_set_local_description(a->pc, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(srd(b, MRTC_DESCRIPTION_OFFER, o), 0);
    char *ans = create_answer(b);
    CHECK_EQ(mrtc_pc_set_local_description(b->pc, MRTC_DESCRIPTION_ANSWER, ans), 0);
    CHECK_EQ(srd(a, MRTC_DESCRIPTION_ANSWER, ans), 0);
    mrtc_string_free(o);
    mrtc_string_free(ans);
}

static mrtc_sdp *parse(const char *text)
{
    mrtc_sdp *sdp = NULL;
    mrtc_sdp_error e;
    int err = text ? mrtc_sdp_parse(text, strlen(text), &sdp, &e) : MRTC_EINVAL;
    if (err)
        fprintf(stderr, "parse: %s\n", text ? e.message : "(null)");
    CHECK_EQ(err, 0);
    return sdp;
}

#define CHECK_STATE(p, s) CHECK_STR(mrtc_signaling_state_name(mrtc_pc_signaling_state((p)->pc)), s)

/* ---- Transitions ---------------------------------------------------------------------- */

static void test_offer_answer_transitions(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    CHECK_EQ(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL), 0);
    CHECK_STR(events(&a), "negotiation-needed");
    CHECK_STATE(&a, "stable");

    char *o = create_offer(&a);
    CHECK_STR(events(&a), ""); /* createOffer changes nothing */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_STATE(&a, "have-local-offer");
    CHECK_STR(events(&a), "signaling have-local-offer|gathering gathering|candidate 0 0|"
                          "gathering complete|end-of-candidates");

    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_STATE(&b, "have-remote-offer");
    CHECK_STR(events(&b), "signaling have-remote-offer");
    /* pranswer, then pranswer again, then the final answer (local side) */
    char *pr = create_answer(&b);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_PRANSWER, pr), 0);
    CHECK_STATE(&b, "have-local-pranswer");
    CHECK_STR(events(&b), "signaling have-local-pranswer|gathering gathering|candidate 0 0|"
                          "gathering complete|end-of-candidates");
    char *pr2 = create_answer(&b);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_PRANSWER, pr2), 0);
    CHECK_STATE(&b, "have-local-pranswer");
    CHECK_STR(events(&b), ""); /* same state: no event */

    /* remote side: pranswer, pranswer, answer */
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_PRANSWER, pr), 0);
    CHECK_STATE(&a, "have-remote-pranswer");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_PRANSWER, pr2), 0);
    CHECK_STATE(&a, "have-remote-pranswer");
    CHECK_STR(events(&a), "signaling have-remote-pranswer");

    char *ans = create_answer(&b);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_ANSWER, ans), 0);
    CHECK_STATE(&b, "stable");
    CHECK_STR(events(&b), "signaling stable");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, ans), 0);
    CHECK_STATE(&a, "stable");
    CHECK_STR(events(&a), "signaling stable"); /* and no negotiation-needed: all done */

    mrtc_string_free(o);
    mrtc_string_free(pr);
    mrtc_string_free(pr2);
    mrtc_string_free(ans);
    peer_free(&a);
    peer_free(&b);
}

/* Every (state, local/remote, type) that JSEP forbids is refused with MRTC_ESTATE, without
 * a state change or an event. */
static void test_illegal_transitions(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    events(&a);
    char *o = create_offer(&a);
    char *junk = NULL;
    /* stable */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_ANSWER, "v=0"), MRTC_ESTATE);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "not allowed in signaling state stable") != NULL);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_PRANSWER, "v=0"), MRTC_ESTATE);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_ROLLBACK, NULL), MRTC_ESTATE);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, o), MRTC_ESTATE);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_PRANSWER, o), MRTC_ESTATE);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ROLLBACK, NULL), MRTC_ESTATE);
    CHECK_EQ(mrtc_pc_create_answer(a.pc, &junk), MRTC_ESTATE);
    CHECK(junk == NULL);
    CHECK_STATE(&a, "stable");
    /* have-local-offer */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o), 0);
    events(&a);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_ANSWER, "v=0"), MRTC_ESTATE);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_PRANSWER, "v=0"), MRTC_ESTATE);
    CHECK_EQ(mrtc_pc_create_answer(a.pc, &junk), MRTC_ESTATE);
    CHECK_STATE(&a, "have-local-offer");
    /* have-remote-offer */
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    events(&b);
    char *bo = create_offer(&b); /* allowed, but it cannot be applied now */
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_OFFER, bo), MRTC_ESTATE);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_ANSWER, o), MRTC_ESTATE);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_PRANSWER, o), MRTC_ESTATE);
    CHECK_STATE(&b, "have-remote-offer");
    /* have-local-pranswer: no remote offer, no local offer */
    char *pr = create_answer(&b);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_PRANSWER, pr), 0);
    events(&b);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), MRTC_ESTATE);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_OFFER, bo), MRTC_ESTATE);
    CHECK_STATE(&b, "have-local-pranswer");
    /* have-remote-pranswer */
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_PRANSWER, pr), 0);
    events(&a);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_OFFER, bo), MRTC_ESTATE);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, NULL), MRTC_ESTATE);
    CHECK_STATE(&a, "have-remote-pranswer");
    CHECK_STR(events(&a), "");
    CHECK_STR(events(&b), "");
    mrtc_string_free(o);
    mrtc_string_free(bo);
    mrtc_string_free(pr);
    peer_free(&a);
    peer_free(&b);
}

static void test_rollback_local(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    events(&a);
    char *o = create_offer(&a);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_STR(mrtc_transceiver_mid(mrtc_pc_transceiver_at(a.pc, 0)), "0");
    events(&a);
    /* setLocalDescription(rollback): back to stable, no local description, mid unset */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_ROLLBACK, "ignored"), 0);
    CHECK_STATE(&a, "stable");
    CHECK(get_desc(&a, MRTC_LOCAL_DESCRIPTION) == NULL);
    CHECK(mrtc_transceiver_mid(mrtc_pc_transceiver_at(a.pc, 0)) == NULL);
    /* the transceiver still needs negotiating: negotiation-needed fires again */
    CHECK_STR(events(&a), "signaling stable|gathering new|negotiation-needed");
    /* rollback of a local offer through setRemoteDescription (RFC 8829 5.7: same effect) */
    char *o2 = create_offer(&a);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o2), 0);
    events(&a);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    CHECK_STATE(&a, "stable");
    CHECK(strncmp(events(&a), "signaling stable", 16) == 0);
    /* rollback from have-remote-pranswer */
    char *o3 = create_offer(&a);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o3), 0);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o3), 0);
    char *pr = create_answer(&b);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_PRANSWER, pr), 0);
    CHECK_STATE(&a, "have-remote-pranswer");
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    CHECK_STATE(&a, "stable");
    CHECK(get_desc(&a, MRTC_REMOTE_DESCRIPTION) == NULL);
    mrtc_string_free(o);
    mrtc_string_free(o2);
    mrtc_string_free(o3);
    mrtc_string_free(pr);
    peer_free(&a);
    peer_free(&b);
}

static void test_rollback_remote(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, NULL, NULL);
    char *o = create_offer(&a);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 2); /* created by the remote offer */
    mrtc_transceiver *kept = mrtc_pc_transceiver_at(b.pc, 0);
    CHECK_STR(events(&b), "signaling have-remote-offer");
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    CHECK_STATE(&b, "stable");
    CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 0);            /* W3C: removed by the rollback */
    CHECK_EQ(mrtc_transceiver_kind(kept), MRTC_MEDIA_AUDIO); /* handle still valid */
    CHECK(get_desc(&b, MRTC_REMOTE_DESCRIPTION) == NULL);
    CHECK_STR(events(&b), "signaling stable"); /* b never gathered: gathering stays new */
    /* setLocalDescription(rollback) in have-remote-offer, and from have-local-pranswer */
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    CHECK_STATE(&b, "stable");
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_PRANSWER, NULL), 0);
    CHECK_STATE(&b, "have-local-pranswer");
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    CHECK_STATE(&b, "stable");
    CHECK(get_desc(&b, MRTC_LOCAL_DESCRIPTION) == NULL);
    CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 0);
    /* and the offer can still be answered afterwards */
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    CHECK_STATE(&b, "stable");
    CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 2);
    mrtc_string_free(o);
    peer_free(&a);
    peer_free(&b);
}

/* Glare: both offer at once. The polite side rolls back (implicitly, by applying the remote
 * offer, or explicitly) and answers; the impolite side ignores the colliding offer. */
static void glare(bool explicit_rollback)
{
    peer a, b; /* a impolite, b polite */
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    mrtc_pc_add_transceiver(b.pc, MRTC_MEDIA_VIDEO, NULL, NULL);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    events(&a);
    events(&b);
    char *ao = get_desc(&a, MRTC_LOCAL_DESCRIPTION);
    char *bo = get_desc(&b, MRTC_LOCAL_DESCRIPTION);
    /* impolite a: ignores b's offer (it would be refused anyway: no implicit rollback for
     * an offer applied locally... a just does not apply it). polite b: */
    if (explicit_rollback) {
        CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
        CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, ao), 0);
    } else {
        CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, ao), 0); /* implicit rollback */
    }
    const char *ev = events(&b);
    CHECK(strncmp(ev, "signaling stable|", 17) == 0);
    CHECK(strstr(ev, "signaling have-remote-offer") != NULL);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    char *ba = get_desc(&b, MRTC_LOCAL_DESCRIPTION);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, ba), 0);
    CHECK_STATE(&a, "stable");
    CHECK_STATE(&b, "stable");
    /* b's own video transceiver was not negotiated: negotiation-needed, b offers now */
    CHECK(strstr(events(&b), "negotiation-needed") != NULL);
    CHECK(strstr(events(&a), "negotiation-needed") == NULL);
    negotiate(&b, &a);
    CHECK_EQ(mrtc_pc_transceiver_count(a.pc), 2);
    CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 2);
    /* b's transceivers: the one created for a's audio (mid 0) and its own video (mid 1) */
    mrtc_transceiver *bv = mrtc_pc_transceiver_at(b.pc, 0);
    CHECK_EQ(mrtc_transceiver_kind(bv), MRTC_MEDIA_VIDEO);
    CHECK_STR(mrtc_transceiver_mid(bv), "1");
    CHECK_EQ(mrtc_transceiver_current_direction(bv), MRTC_DIRECTION_SENDONLY);
    CHECK_STR(mrtc_transceiver_mid(mrtc_pc_transceiver_at(a.pc, 0)), "0");
    CHECK_STATE(&a, "stable");
    CHECK_STATE(&b, "stable");
    CHECK(strstr(events(&a), "negotiation-needed") == NULL);
    CHECK(strstr(events(&b), "negotiation-needed") == NULL);
    mrtc_string_free(ao);
    mrtc_string_free(bo);
    mrtc_string_free(ba);
    peer_free(&a);
    peer_free(&b);
}

static void test_glare_implicit_rollback(void)
{
    glare(false);
}

static void test_glare_explicit_rollback(void)
{
    glare(true);
}

/* ---- Content -------------------------------------------------------------------------- */

static void test_offer_content(void)
{
    peer a;
    peer_init(&a, "10.0.0.1", 1);
    mrtc_transceiver_init ti;
    mrtc_transceiver_init_defaults(&ti);
    CHECK_EQ(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, &ti, NULL), 0);
    ti.direction = MRTC_DIRECTION_RECVONLY;
    CHECK_EQ(mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, &ti, NULL), 0);
    CHECK_EQ(mrtc_pc_add_data_section(a.pc), 0);
    char *o = create_offer(&a);
    mrtc_sdp *s = parse(o);
    CHECK(strstr(o, "a=group:BUNDLE 0 1 2\r\n") != NULL);
    CHECK(strstr(o, "a=msid-semantic: WMS") != NULL);
    CHECK(strstr(o, "a=extmap-allow-mixed") != NULL);
    CHECK(strstr(o, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
    CHECK(strstr(o, "a=rtpmap:111 opus/48000/2\r\n") != NULL);
    CHECK(strstr(o, "a=fmtp:111 minptime=10;useinbandfec=1\r\n") != NULL);
    CHECK(strstr(o, "a=rtcp-fb:111 transport-cc\r\n") != NULL);
    CHECK(strstr(o, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n") != NULL);
    CHECK(strstr(o, "a=rtpmap:96 VP8/90000\r\n") != NULL);
    CHECK(strstr(o, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n") != NULL);
    const char *fbs[] = {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"};
    for (int i = 0; i < 5; i++) {
        char line[64];
        snprintf(line, sizeof line, "a=rtcp-fb:96 %s\r\n", fbs[i]);
        CHECK(strstr(o, line) != NULL);
    }
    CHECK(strstr(o, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
    CHECK(strstr(o, "a=sctp-port:5000\r\n") != NULL);
    CHECK(strstr(o, "a=ice-options:trickle") != NULL);
    CHECK(strstr(o, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid") != NULL);
    CHECK_EQ(s->media_count, 3);
    for (size_t i = 0; i < s->media_count; i++) {
        const mrtc_sdp_media *m = s->media[i];
        char mid[24];
        snprintf(mid, sizeof mid, "%zu", i);
        CHECK_STR(m->mid, mid);
        mrtc_sdp_transport t;
        mrtc_sdp_media_transport(s, m, &t);
        CHECK_EQ(t.setup, MRTC_SDP_SETUP_ACTPASS);
        CHECK(t.ice_ufrag && strlen(t.ice_ufrag) >= 4);
        CHECK(t.ice_pwd && strlen(t.ice_pwd) >= 22);
        CHECK_EQ(t.fingerprint_count, 1);
        if (t.fingerprint_count) {
            CHECK_STR(t.fingerprints[0].hash, "sha-256");
            CHECK_STR(t.fingerprints[0].value, mrtc_pc_fingerprint(a.pc));
            CHECK_EQ(strlen(t.fingerprints[0].value), 95);
        }
        if (i < 2) {
            CHECK(m->rtcp_mux);
            CHECK(m->rtcp_rsize);
        }
    }
    CHECK_EQ(s->media[0]->direction, MRTC_SDP_SENDRECV);
    CHECK_EQ(s->media[1]->direction, MRTC_SDP_RECVONLY);
    mrtc_sdp_free(s);
    mrtc_string_free(o);
    peer_free(&a);
}

/* A browser-like offer: opus at pt 109 with PCMU, VP8 at 120 with rtx 121 and H264, an audio
 * m-section with PCMU only, and the data m-section. */
static const char *REMOTE_OFFER =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2 3\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:RmtE\r\n"
    "a=ice-pwd:remotepasswordremotepass\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=rtcp-fb:109 transport-cc\r\n"
    "a=fmtp:109 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 120 121 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:RmtE\r\n"
    "a=ice-pwd:remotepasswordremotepass\r\n"
    "a=fingerprint:sha-256 "
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:120 VP8/90000\r\n"
    "a=rtcp-fb:120 nack\r\n"
    "a=rtcp-fb:120 nack pli\r\n"
    "a=rtcp-fb:120 goog-remb\r\n"
    "a=rtpmap:121 rtx/90000\r\n"
    "a=fmtp:121 apt=120\r\n"
    "a=rtpmap:126 H264/90000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:RmtE\r\n"
    "a=ice-pwd:remotepasswordremotepass\r\n"
    "a=fingerprint:sha-256 "
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99\r\n"
    "a=setup:actpass\r\n"
    "a=mid:2\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:RmtE\r\n"
    "a=ice-pwd:remotepasswordremotepass\r\n"
    "a=fingerprint:sha-256 "
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99\r\n"
    "a=setup:actpass\r\n"
    "a=mid:3\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

static void test_answer_content(void)
{
    peer b;
    peer_init(&b, "10.0.0.2", 2);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, REMOTE_OFFER), 0);
    CHECK_EQ(mrtc_pc_transceiver_count(b.pc), 3);
    /* the video transceiver wants to send too (allowed before answering) */
    CHECK_EQ(
        mrtc_transceiver_set_direction(mrtc_pc_transceiver_at(b.pc, 1), MRTC_DIRECTION_SENDRECV),
        0);
    char *ans = create_answer(&b);
    mrtc_sdp *s = parse(ans);
    CHECK(strstr(ans, "a=group:BUNDLE 0 1 3\r\n") != NULL);
    CHECK_EQ(s->media_count, 4);
    /* mid 0: opus kept at the offer's pt 109, PCMU dropped; sendonly answered recvonly */
    const mrtc_sdp_media *m = s->media[0];
    CHECK_STR(m->mid, "0");
    CHECK_EQ(m->port, 9);
    CHECK_EQ(m->codec_count, 1);
    CHECK_EQ(m->codecs[0].pt, 109);
    CHECK_STR(m->codecs[0].name, "opus");
    CHECK_EQ(m->codecs[0].fb_count, 1);
    CHECK_EQ(m->direction, MRTC_SDP_RECVONLY);
    CHECK(mrtc_sdp_media_find_extmap(m, "urn:ietf:params:rtp-hdrext:sdes:mid") &&
          mrtc_sdp_media_find_extmap(m, "urn:ietf:params:rtp-hdrext:sdes:mid")->id == 9);
    /* mid 1: VP8 120 + rtx 121 apt=120, H264 dropped, only the rtcp-fb offered; sendrecv */
    m = s->media[1];
    CHECK_EQ(m->codec_count, 2);
    CHECK_EQ(m->codecs[0].pt, 120);
    CHECK_EQ(m->codecs[1].pt, 121);
    CHECK_STR(m->codecs[1].fmtp, "apt=120");
    CHECK_EQ(m->codecs[0].fb_count, 3); /* nack, nack pli, goog-remb; not transport-cc/fir */
    CHECK(strstr(ans, "a=rtcp-fb:120 transport-cc") == NULL);
    CHECK(strstr(ans, "a=rtcp-fb:120 ccm fir") == NULL);
    CHECK_EQ(m->direction, MRTC_SDP_SENDRECV);
    CHECK(m->rtcp_rsize);
    /* mid 2: nothing in common: rejected with port 0, not bundled */
    m = s->media[2];
    CHECK_EQ(m->port, 0);
    CHECK_STR(m->mid, "2");
    /* mid 3: the data m-section is answered */
    m = s->media[3];
    CHECK_EQ(m->port, 9);
    CHECK_STR(m->proto, "UDP/DTLS/SCTP");
    CHECK_EQ(m->sctp_port, 5000);
    /* setup:active, our own credentials, in every accepted m-section */
    for (int i = 0; i < 4; i++) {
        if (i == 2)
            continue;
        mrtc_sdp_transport t;
        mrtc_sdp_media_transport(s, s->media[i], &t);
        CHECK_EQ(t.setup, MRTC_SDP_SETUP_ACTIVE);
        CHECK(t.ice_ufrag && strcmp(t.ice_ufrag, "RmtE") != 0);
    }
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_ANSWER, ans), 0);
    CHECK_EQ(mrtc_transceiver_current_direction(mrtc_pc_transceiver_at(b.pc, 0)),
             MRTC_DIRECTION_RECVONLY);
    CHECK_EQ(mrtc_transceiver_current_direction(mrtc_pc_transceiver_at(b.pc, 1)),
             MRTC_DIRECTION_SENDRECV);
    CHECK_EQ(mrtc_transceiver_current_direction(mrtc_pc_transceiver_at(b.pc, 2)),
             MRTC_DIRECTION_STOPPED);
    CHECK(strstr(events(&b), "negotiation-needed") == NULL);
    mrtc_sdp_free(s);
    mrtc_string_free(ans);
    peer_free(&b);
}

/* Directions answered per RFC 8829 5.3.1 for each offered direction against each local
 * preference. */
static void test_answer_directions(void)
{
    static const struct {
        const char *offered;
        mrtc_direction mine;
        const char *answered;
    } rows[] = {
        {"a=sendrecv", MRTC_DIRECTION_SENDRECV, "a=sendrecv"},
        {"a=sendrecv", MRTC_DIRECTION_RECVONLY, "a=recvonly"},
        {"a=sendrecv", MRTC_DIRECTION_SENDONLY, "a=sendonly"},
        {"a=sendrecv", MRTC_DIRECTION_INACTIVE, "a=inactive"},
        {"a=sendonly", MRTC_DIRECTION_SENDRECV, "a=recvonly"},
        {"a=sendonly", MRTC_DIRECTION_SENDONLY, "a=inactive"},
        {"a=recvonly", MRTC_DIRECTION_SENDRECV, "a=sendonly"},
        {"a=recvonly", MRTC_DIRECTION_RECVONLY, "a=inactive"},
        {"a=inactive", MRTC_DIRECTION_SENDRECV, "a=inactive"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        peer b;
        peer_init(&b, "10.0.0.2", 2);
        char offer[4096];
        snprintf(offer, sizeof offer, "%s", REMOTE_OFFER);
        char *d = strstr(offer, "a=sendonly"); /* the first m-section's direction */
        memcpy(d, rows[i].offered, 10);
        CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, offer), 0);
        CHECK_EQ(mrtc_transceiver_set_direction(mrtc_pc_transceiver_at(b.pc, 0), rows[i].mine), 0);
        char *ans = create_answer(&b);
        mrtc_sdp *s = parse(ans);
        char want[16];
        snprintf(want, sizeof want, "%s", rows[i].answered + 2);
        CHECK_STR(mrtc_sdp_direction_name(s->media[0]->direction), want);
        mrtc_sdp_free(s);
        mrtc_string_free(ans);
        peer_free(&b);
    }
}

/* An offer without BUNDLE: with max-bundle only the first m-section is accepted. */
static void test_answer_unbundled_offer(void)
{
    peer b;
    peer_init(&b, "10.0.0.2", 2);
    char offer[4096];
    snprintf(offer, sizeof offer, "%s", REMOTE_OFFER);
    char *g = strstr(offer, "a=group:BUNDLE 0 1 2 3\r\n");
    memmove(g, g + 24, strlen(g + 24) + 1);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, offer), 0);
    char *ans = create_answer(&b);
    mrtc_sdp *s = parse(ans);
    CHECK_EQ(s->media[0]->port, 9);
    CHECK_EQ(s->media[1]->port, 0);
    CHECK_EQ(s->media[3]->port, 0);
    mrtc_sdp_free(s);
    mrtc_string_free(ans);
    peer_free(&b);
}

/* ---- Invalid remote descriptions ------------------------------------------------------ */

/* Copies src into out with the first occurrence of `from` replaced by `to`. */
static void replace(char *out, size_t cap, const char *src, const char *from, const char *to)
{
    const char *at = strstr(src, from);
    CHECK(at != NULL);
    if (!at) {
        snprintf(out, cap, "%s", src);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
}

/* REMOTE_OFFER with one replacement. */
static void variant(char *out, size_t cap, const char *from, const char *to)
{
    replace(out, cap, REMOTE_OFFER, from, to);
}

static void expect_refused(peer *b, const char *sdp, int code, const char *msg_part)
{
    int err = mrtc_pc_set_remote_description(b->pc, MRTC_DESCRIPTION_OFFER, sdp);
    CHECK_EQ(err, code);
    const char *msg = mrtc_pc_last_error(b->pc);
    if (!strstr(msg, msg_part))
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", msg, msg_part);
    CHECK(strstr(msg, msg_part) != NULL);
    CHECK_STATE(b, "stable");
    CHECK(get_desc(b, MRTC_REMOTE_DESCRIPTION) == NULL);
    CHECK_EQ(mrtc_pc_transceiver_count(b->pc), 0);
    CHECK_STR(events(b), "");
}

static void test_invalid_remote(void)
{
    peer b;
    peer_init(&b, "10.0.0.2", 2);
    static char s[8192];
    variant(s, sizeof s, "m=audio 9 UDP/TLS/RTP/SAVPF 109 0", "m=audio nine UDP/TLS/RTP/SAVPF 109");
    expect_refused(&b, s, MRTC_ESDP, "line 8");
    expect_refused(&b, "hello", MRTC_ESDP, "line 1");
    CHECK_EQ(mrtc_pc_set_remote_description(b.pc, MRTC_DESCRIPTION_OFFER, ""), MRTC_EINVAL);
    CHECK_EQ(mrtc_pc_set_remote_description(b.pc, MRTC_DESCRIPTION_OFFER, NULL), MRTC_EINVAL);
    /* a=ice-ufrag missing in the first m-section (line 8) */
    variant(s, sizeof s, "a=ice-ufrag:RmtE\r\n", "");
    expect_refused(&b, s, MRTC_EINVAL, "line 8 (m=audio, m-section 0): a=ice-ufrag is missing");
    variant(s, sizeof s, "a=ice-pwd:remotepasswordremotepass\r\n", "a=ice-pwd:short\r\n");
    expect_refused(&b, s, MRTC_EINVAL, "a=ice-pwd is not 22..256 ice-chars");
    variant(s, sizeof s, "a=rtcp-mux\r\n", "");
    expect_refused(&b, s, MRTC_EINVAL, "a=rtcp-mux is missing");
    variant(s, sizeof s, "a=group:BUNDLE 0 1 2 3", "a=group:BUNDLE 0 1 2 3 7");
    expect_refused(&b, s, MRTC_EINVAL, "BUNDLE names mid \"7\"");
    variant(s, sizeof s, "a=mid:3\r\n", "");
    expect_refused(&b, s, MRTC_EINVAL, "mid \"3\"");
    variant(s, sizeof s, "a=group:BUNDLE 0 1 2 3", "a=group:BUNDLE 0 1 2");
    char s2[8192];
    snprintf(s2, sizeof s2, "%s", s);
    char *mid3 = strstr(s2, "a=mid:3\r\n");
    memmove(mid3, mid3 + 9, strlen(mid3 + 9) + 1);
    expect_refused(&b, s2, MRTC_EINVAL, "line 51 (m=application, m-section 3): a=mid is missing");
    variant(s, sizeof s, "a=fingerprint:sha-256 ", "a=x-fingerprint:sha-256 ");
    expect_refused(&b, s, MRTC_EINVAL, "a=fingerprint is missing");
    /* the valid one is still accepted afterwards */
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, REMOTE_OFFER), 0);
    peer_free(&b);
}

/* Answers that do not match our offer. */
static void test_invalid_answer(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, NULL, NULL);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    events(&a);
    /* REMOTE_OFFER has 4 m-sections; our offer 2 */
    static char s[8192];
    variant(s, sizeof s, "a=setup:actpass", "a=setup:active");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, s), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "4 m-sections where the offer has 2") != NULL);
    /* a real answer with setup:actpass is refused */
    char *o = get_desc(&a, MRTC_LOCAL_DESCRIPTION);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    char *ans = create_answer(&b);
    char bad[8192];
    replace(bad, sizeof bad, ans, "a=setup:active", "a=setup:actpass");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, bad), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "a=setup:actpass is not allowed in an answer") != NULL);
    replace(bad, sizeof bad, ans, "a=group:BUNDLE 0 1", "a=group:LS 0 1");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, bad), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "max-bundle") != NULL);
    replace(bad, sizeof bad, ans, "a=mid:1", "a=mid:7");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, bad), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(a.pc), "mid \"7\" answers mid \"1\"") != NULL);
    CHECK_STATE(&a, "have-local-offer");
    CHECK_STR(events(&a), "");
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, ans), 0);
    CHECK_STATE(&a, "stable");
    mrtc_string_free(o);
    mrtc_string_free(ans);
    peer_free(&a);
    peer_free(&b);
}

/* ---- Implicit setLocalDescription, getters, negotiation-needed, restart ---------------- */

static void test_implicit_sld(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    CHECK_STATE(&a, "have-local-offer");
    mrtc_description_type t = MRTC_DESCRIPTION_NONE;
    char *o = NULL;
    CHECK_EQ(mrtc_pc_get_description(a.pc, MRTC_PENDING_LOCAL_DESCRIPTION, &t, &o), 0);
    CHECK_EQ(t, MRTC_DESCRIPTION_OFFER);
    /* an implicit re-offer in have-local-offer */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, ""), 0);
    CHECK_STATE(&a, "have-local-offer");
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    /* modified SDP is refused (W3C InvalidModificationError) */
    char *ans = create_answer(&b);
    ans[strlen(ans) - 3] = 'X';
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_ANSWER, ans), MRTC_EINVAL);
    CHECK(strstr(mrtc_pc_last_error(b.pc), "not the last created answer") != NULL);
    CHECK_STATE(&b, "have-remote-offer");
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    CHECK_STATE(&b, "stable");
    char *cur = NULL;
    CHECK_EQ(mrtc_pc_get_description(b.pc, MRTC_CURRENT_LOCAL_DESCRIPTION, &t, &cur), 0);
    CHECK_EQ(t, MRTC_DESCRIPTION_ANSWER);
    /* an implicit pranswer */
    peer c;
    peer_init(&c, "10.0.0.3", 3);
    CHECK_EQ(srd(&c, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_set_local_description(c.pc, MRTC_DESCRIPTION_PRANSWER, NULL), 0);
    CHECK_STATE(&c, "have-local-pranswer");
    mrtc_string_free(o);
    mrtc_string_free(ans);
    mrtc_string_free(cur);
    peer_free(&c);
    peer_free(&a);
    peer_free(&b);
}

static void test_description_getters(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    char *x = NULL;
    mrtc_description_type t;
    for (int slot = 0; slot <= MRTC_PENDING_REMOTE_DESCRIPTION; slot++)
        CHECK_EQ(mrtc_pc_get_description(a.pc, (mrtc_description_slot)slot, &t, &x),
                 MRTC_ENOTFOUND);
    CHECK(x == NULL);
    CHECK_EQ(t, MRTC_DESCRIPTION_NONE);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    char *pl = get_desc(&a, MRTC_PENDING_LOCAL_DESCRIPTION);
    char *l = get_desc(&a, MRTC_LOCAL_DESCRIPTION);
    CHECK(pl && l && strcmp(pl, l) == 0);
    CHECK(get_desc(&a, MRTC_CURRENT_LOCAL_DESCRIPTION) == NULL);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, pl), 0);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    char *ba = get_desc(&b, MRTC_CURRENT_LOCAL_DESCRIPTION);
    char *bro = get_desc(&b, MRTC_CURRENT_REMOTE_DESCRIPTION);
    CHECK(ba && bro);
    CHECK(get_desc(&b, MRTC_PENDING_REMOTE_DESCRIPTION) == NULL);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, ba), 0);
    CHECK(get_desc(&a, MRTC_PENDING_LOCAL_DESCRIPTION) == NULL);
    char *cl = get_desc(&a, MRTC_CURRENT_LOCAL_DESCRIPTION);
    char *cr = get_desc(&a, MRTC_CURRENT_REMOTE_DESCRIPTION);
    CHECK(cl && cr);
    CHECK_EQ(mrtc_pc_get_description(a.pc, (mrtc_description_slot)42, &t, &x), MRTC_EINVAL);
    mrtc_string_free(pl);
    mrtc_string_free(l);
    mrtc_string_free(ba);
    mrtc_string_free(bro);
    mrtc_string_free(cl);
    mrtc_string_free(cr);
    peer_free(&a);
    peer_free(&b);
}

static void test_negotiation_needed(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    /* two changes in a row: one event */
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_VIDEO, NULL, NULL);
    CHECK_STR(events(&a), "negotiation-needed");
    CHECK_STR(events(&a), "");
    /* a change while not stable fires only once stable again */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    events(&a);
    mrtc_transceiver *late = NULL;
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, &late);
    CHECK_STR(events(&a), "");
    char *o = get_desc(&a, MRTC_LOCAL_DESCRIPTION);
    CHECK_EQ(srd(&b, MRTC_DESCRIPTION_OFFER, o), 0);
    CHECK_EQ(mrtc_pc_set_local_description(b.pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    char *ans = get_desc(&b, MRTC_LOCAL_DESCRIPTION);
    CHECK_EQ(srd(&a, MRTC_DESCRIPTION_ANSWER, ans), 0);
    CHECK_STR(events(&a), "signaling stable|negotiation-needed");
    CHECK(mrtc_transceiver_mid(late) == NULL);
    negotiate(&a, &b);
    CHECK_STR(mrtc_transceiver_mid(late), "2");
    CHECK(strstr(events(&a), "negotiation-needed") == NULL);
    /* a direction change needs negotiation; the next offer carries it */
    CHECK_EQ(mrtc_transceiver_set_direction(late, MRTC_DIRECTION_INACTIVE), 0);
    CHECK_STR(events(&a), "negotiation-needed");
    char *o2 = create_offer(&a);
    CHECK(strstr(o2, "a=mid:2\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                     "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=inactive") != NULL);
    negotiate(&a, &b);
    CHECK_EQ(mrtc_transceiver_current_direction(late), MRTC_DIRECTION_INACTIVE);
    CHECK(strstr(events(&a), "negotiation-needed") == NULL);
    /* the data m-section */
    CHECK_EQ(mrtc_pc_add_data_section(a.pc), 0);
    CHECK_STR(events(&a), "negotiation-needed");
    negotiate(&a, &b);
    CHECK(strstr(events(&a), "negotiation-needed") == NULL);
    CHECK_EQ(mrtc_pc_add_data_section(a.pc), 0);
    CHECK_STR(events(&a), "");
    mrtc_string_free(o);
    mrtc_string_free(o2);
    mrtc_string_free(ans);
    peer_free(&a);
    peer_free(&b);
}

static char *ufrag_of(const char *sdp)
{
    const char *u = strstr(sdp, "a=ice-ufrag:");
    return u ? mrtc_strndup(u + 12, strcspn(u + 12, "\r\n")) : NULL;
}

static void test_ice_restart_credentials(void)
{
    peer a, b;
    peer_init(&a, "10.0.0.1", 1);
    peer_init(&b, "10.0.0.2", 2);
    mrtc_pc_add_transceiver(a.pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    CHECK_EQ(mrtc_pc_restart_ice(a.pc), 0); /* before any negotiation: nothing to replace */
    negotiate(&a, &b);
    events(&a);
    char *o1 = create_offer(&a);
    char *u1 = ufrag_of(o1);
    /* no restart: same credentials */
    char *o2 = create_offer(&a);
    char *u2 = ufrag_of(o2);
    CHECK_STR(u1, u2);
    /* restartIce: negotiation-needed, new credentials, the same in every offer until used */
    CHECK_EQ(mrtc_pc_restart_ice(a.pc), 0);
    CHECK_STR(events(&a), "negotiation-needed");
    char *o3 = create_offer(&a), *o4 = create_offer(&a);
    char *u3 = ufrag_of(o3), *u4 = ufrag_of(o4);
    CHECK(u3 && strcmp(u1, u3) != 0);
    CHECK_STR(u3, u4);
    CHECK(strstr(o3, "a=candidate:") == NULL); /* the new generation has none yet */
    /* rolled back: still pending, negotiation-needed again */
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_OFFER, o4), 0);
    CHECK_EQ(mrtc_pc_set_local_description(a.pc, MRTC_DESCRIPTION_ROLLBACK, NULL), 0);
    CHECK(strstr(events(&a), "negotiation-needed") != NULL);
    /* negotiated: the answerer restarts too, and the flag clears */
    char *bu_before = NULL, *bu_after = NULL;
    char *bd = get_desc(&b, MRTC_CURRENT_LOCAL_DESCRIPTION);
    bu_before = ufrag_of(bd);
    negotiate(&a, &b);
    char *bd2 = get_desc(&b, MRTC_CURRENT_LOCAL_DESCRIPTION);
    bu_after = ufrag_of(bd2);
    CHECK(bu_before && bu_after && strcmp(bu_before, bu_after) != 0);
    CHECK(strstr(events(&a), "negotiation-needed") == NULL);
    char *o5 = create_offer(&a);
    char *u5 = ufrag_of(o5);
    CHECK_STR(u5, u3);
    /* the iceRestart option alone */
    mrtc_offer_options opts;
    mrtc_offer_options_init(&opts);
    opts.ice_restart = true;
    char *o6 = NULL;
    CHECK_EQ(mrtc_pc_create_offer(b.pc, &opts, &o6), 0);
    char *u6 = ufrag_of(o6);
    CHECK(u6 && strcmp(u6, bu_after) != 0);
    char *ptrs[] = {o1, u1, o2, u2, o3, u4, o4, u3, bu_before, bu_after, bd, bd2, o5, u5, o6, u6};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        mrtc_free(ptrs[i]);
    peer_free(&a);
    peer_free(&b);
}

int main(void)
{
    RUN(test_offer_answer_transitions);
    RUN(test_illegal_transitions);
    RUN(test_rollback_local);
    RUN(test_rollback_remote);
    RUN(test_glare_implicit_rollback);
    RUN(test_glare_explicit_rollback);
    RUN(test_offer_content);
    RUN(test_answer_content);
    RUN(test_answer_directions);
    RUN(test_answer_unbundled_offer);
    RUN(test_invalid_remote);
    RUN(test_invalid_answer);
    RUN(test_implicit_sld);
    RUN(test_description_getters);
    RUN(test_negotiation_needed);
    RUN(test_ice_restart_credentials);
    return test_finish();
}
