/* Tests of core/sdp: parsing the captured Chromium and hand-written Firefox descriptions in
 * tests/vectors/sdp, lossless round trips, typed fields, the builder API and its exact
 * output, lookups, deep copy, every refusal with its line number and message, the limits,
 * and allocation failures at every allocation of parse, write and copy. */
#include "test.h"

#include "core/sdp.h"
#include "meshrtc/error.h"

#include <stdbool.h>

#define VEC_DIR "tests/vectors/sdp/"

static const char *const vectors[] = {
    "chromium_offer_av_dc.sdp",    "chromium_answer_av_dc.sdp",    "chromium_offer_dc_mdns.sdp",
    "chromium_answer_dc_mdns.sdp", "chromium_offer_dc_nocand.sdp", "firefox_offer_av_dc.sdp",
    "firefox_answer_av_dc.sdp",    "legacy_sctpmap_offer.sdp",     "handwritten_misc_lf.sdp",
};
#define NVECTORS (sizeof vectors / sizeof vectors[0])

/* Reads a vector (plain malloc: not counted by the leak check). */
static char *read_vector(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, VEC_DIR "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static mrtc_sdp *parse_str(const char *text)
{
    mrtc_sdp *sdp = NULL;
    mrtc_sdp_error err;
    int rc = mrtc_sdp_parse(text, strlen(text), &sdp, &err);
    if (rc)
        fprintf(stderr, "parse failed (%d): %s\n", rc, err.message);
    return sdp;
}

static mrtc_sdp *parse_vector(const char *name)
{
    size_t len;
    char *text = read_vector(name, &len);
    if (!text)
        return NULL;
    mrtc_sdp *sdp = NULL;
    mrtc_sdp_error err;
    int rc = mrtc_sdp_parse(text, len, &sdp, &err);
    if (rc)
        fprintf(stderr, "%s: parse failed (%d): %s\n", name, rc, err.message);
    free(text);
    return sdp;
}

/* ---- Line multisets ----------------------------------------------------------------- */

typedef struct lines {
    char **v;
    size_t n;
    size_t *section; /* index of the m-section each line is in (0: session) */
} lines;

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits text into lines without line ends, sorted within each section. */
static void split_sorted(const char *text, lines *out)
{
    size_t cap = 16;
    out->v = malloc(cap * sizeof *out->v);
    out->section = malloc(cap * sizeof *out->section);
    out->n = 0;
    size_t sec = 0, start = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t l = len;
        if (l && p[l - 1] == '\r')
            l--;
        if (l) {
            if (out->n == cap) {
                cap *= 2;
                out->v = realloc(out->v, cap * sizeof *out->v);
                out->section = realloc(out->section, cap * sizeof *out->section);
            }
            if (p[0] == 'm' && p[1] == '=') {
                qsort(out->v + start, out->n - start, sizeof *out->v, cmp_line);
                start = out->n;
                sec++;
            }
            char *s = malloc(l + 1);
            memcpy(s, p, l);
            s[l] = '\0';
            out->section[out->n] = sec;
            out->v[out->n++] = s;
        }
        p += len + (nl ? 1 : 0);
    }
    qsort(out->v + start, out->n - start, sizeof *out->v, cmp_line);
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->section);
}

/* The lines of a and b are the same multiset in every section. */
static bool same_line_multisets(const char *name, const char *a, const char *b)
{
    lines la, lb;
    split_sorted(a, &la);
    split_sorted(b, &lb);
    bool same = la.n == lb.n;
    if (!same)
        fprintf(stderr, "%s: %zu lines in, %zu lines out\n", name, la.n, lb.n);
    for (size_t i = 0; same && i < la.n; i++) {
        if (la.section[i] != lb.section[i] || strcmp(la.v[i], lb.v[i]) != 0) {
            fprintf(stderr, "%s: section %zu differs: \"%s\" vs \"%s\"\n", name, la.section[i],
                    la.v[i], lb.v[i]);
            same = false;
        }
    }
    free_lines(&la);
    free_lines(&lb);
    return same;
}

/* ---- Vectors ------------------------------------------------------------------------ */

static void test_parse_vectors(void)
{
    for (size_t i = 0; i < NVECTORS; i++) {
        mrtc_sdp *sdp = parse_vector(vectors[i]);
        CHECK(sdp != NULL);
        if (sdp)
            CHECK(sdp->media_count >= 1);
        mrtc_sdp_free(sdp);
    }
}

static void test_roundtrip(void)
{
    for (size_t i = 0; i < NVECTORS; i++) {
        size_t len;
        char *text = read_vector(vectors[i], &len);
        CHECK(text != NULL);
        if (!text)
            continue;
        mrtc_sdp *a = NULL, *b = NULL;
        CHECK_EQ(mrtc_sdp_parse(text, len, &a, NULL), 0);
        char *w1 = a ? mrtc_sdp_write(a) : NULL;
        CHECK(w1 != NULL);
        if (w1) {
            CHECK_EQ(mrtc_sdp_parse(w1, strlen(w1), &b, NULL), 0);
            char *w2 = b ? mrtc_sdp_write(b) : NULL;
            CHECK_STR(w1, w2);
            mrtc_free(w2);
            /* Nothing lost, nothing invented: the same lines in each section. */
            if (!same_line_multisets(vectors[i], text, w1)) {
                fprintf(stderr, "written:\n%s\n", w1);
                CHECK(!"line multisets differ");
            }
            /* CRLF everywhere, ending with one. */
            for (const char *p = w1; (p = strchr(p, '\n')) != NULL; p++)
                CHECK(p > w1 && p[-1] == '\r');
            CHECK(strlen(w1) >= 2 && strcmp(w1 + strlen(w1) - 2, "\r\n") == 0);
        }
        mrtc_free(w1);
        mrtc_sdp_free(a);
        mrtc_sdp_free(b);
        free(text);
    }
}

/* Chromium's own output comes back out byte for byte: the writer uses its order. */
static void test_chromium_order(void)
{
    const char *names[] = {"chromium_offer_dc_mdns.sdp", "chromium_offer_dc_nocand.sdp",
                           "chromium_answer_dc_mdns.sdp"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *text = read_vector(names[i], &len);
        mrtc_sdp *sdp = parse_vector(names[i]);
        CHECK(sdp != NULL);
        char *w = sdp ? mrtc_sdp_write(sdp) : NULL;
        CHECK_STR(w, text);
        mrtc_free(w);
        mrtc_sdp_free(sdp);
        free(text);
    }
    /* With media, only a=rtcp-xr (unknown, so written last) moves. */
    size_t len;
    char *text = read_vector("chromium_offer_av_dc.sdp", &len);
    mrtc_sdp *sdp = parse_vector("chromium_offer_av_dc.sdp");
    char *w = sdp ? mrtc_sdp_write(sdp) : NULL;
    CHECK(w != NULL);
    if (text && w) {
        /* Drop the a=rtcp-xr lines from both and compare the rest as text. */
        char *in = malloc(len + 1), *out = malloc(strlen(w) + 1);
        const char *srcs[2] = {text, w};
        char *dsts[2] = {in, out};
        for (int k = 0; k < 2; k++) {
            const char *p = srcs[k];
            char *d = dsts[k];
            while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
                if (strncmp(p, "a=rtcp-xr:", 10) != 0) {
                    memcpy(d, p, n);
                    d += n;
                }
                p += n;
            }
            *d = '\0';
        }
        CHECK_STR(out, in);
        free(in);
        free(out);
    }
    mrtc_free(w);
    mrtc_sdp_free(sdp);
    free(text);
}

static void test_chromium_fields(void)
{
    mrtc_sdp *sdp = parse_vector("chromium_offer_av_dc.sdp");
    CHECK(sdp != NULL);
    if (!sdp)
        return;
    CHECK_STR(sdp->origin.username, "-");
    CHECK_STR(sdp->origin.sess_id, "7449258589124051473");
    CHECK_U64(sdp->origin.sess_version, 2);
    CHECK_STR(sdp->origin.address, "127.0.0.1");
    CHECK_STR(sdp->name, "-");
    CHECK_EQ(sdp->group_count, 1);
    const mrtc_sdp_group *g = mrtc_sdp_find_group(sdp, "BUNDLE");
    CHECK(g != NULL);
    if (g) {
        CHECK_EQ(g->mids.count, 3);
        if (g->mids.count == 3) {
            CHECK_STR(g->mids.items[0], "0");
            CHECK_STR(g->mids.items[1], "1");
            CHECK_STR(g->mids.items[2], "2");
        }
    }
    CHECK(sdp->extmap_allow_mixed);
    CHECK_STR(sdp->msid_semantic, "WMS");
    CHECK(sdp->msid_semantic_space);
    CHECK_EQ(sdp->msid_semantic_ids.count, 1);
    CHECK_EQ(sdp->media_count, 3);
    if (sdp->media_count != 3) {
        mrtc_sdp_free(sdp);
        return;
    }

    const mrtc_sdp_media *a = sdp->media[0];
    CHECK_EQ(a->kind, MRTC_SDP_AUDIO);
    CHECK_STR(a->type, "audio");
    CHECK_EQ(a->port, 50701);
    CHECK_STR(a->proto, "UDP/TLS/RTP/SAVPF");
    CHECK_EQ(a->codec_count, 8);
    CHECK_EQ(a->codecs[0].pt, 111);
    CHECK_STR(a->conn.address, "203.0.113.7");
    CHECK(a->has_rtcp);
    CHECK_EQ(a->rtcp_port, 9);
    CHECK_STR(a->rtcp_conn.address, "0.0.0.0");
    CHECK_EQ(a->candidates.count, 5);
    CHECK_STR(a->candidates.items[2], "2334402478 1 udp 1685987071 203.0.113.7 50701 typ srflx "
                                      "raddr 192.0.2.2 rport 35701 generation 0 network-id 1");
    CHECK_STR(a->transport.ice_ufrag, "vIY/");
    CHECK(a->transport.ice_pwd != NULL);
    CHECK_EQ(a->transport.ice_options.count, 1);
    CHECK_STR(a->transport.ice_options.items[0], "trickle");
    CHECK_EQ(a->transport.fingerprint_count, 1);
    CHECK_STR(a->transport.fingerprints[0].hash, "sha-256");
    CHECK_EQ(strlen(a->transport.fingerprints[0].value), 95);
    CHECK_EQ(a->transport.setup, MRTC_SDP_SETUP_ACTPASS);
    CHECK_STR(a->mid, "0");
    CHECK_EQ(a->extmap_count, 4);
    CHECK_EQ(a->extmaps[0].id, 1);
    CHECK_STR(a->extmaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    CHECK(!a->extmaps[0].has_direction);
    CHECK(mrtc_sdp_media_find_extmap(a, "urn:ietf:params:rtp-hdrext:sdes:mid") != NULL);
    CHECK_EQ(a->direction, MRTC_SDP_SENDRECV);
    CHECK(a->direction_explicit);
    CHECK_EQ(a->msid_count, 1);
    CHECK_STR(a->msids[0].stream, sdp->msid_semantic_ids.items[0]);
    CHECK(a->msids[0].track != NULL);
    CHECK(a->rtcp_mux);
    CHECK(a->rtcp_rsize);
    CHECK(!a->rtcp_mux_only);

    const mrtc_sdp_codec *opus = mrtc_sdp_media_find_codec(a, 111);
    CHECK(opus != NULL);
    if (opus) {
        CHECK_STR(opus->name, "opus");
        CHECK_EQ(opus->clock_rate, 48000);
        CHECK_EQ(opus->channels, 2);
        CHECK_STR(opus->fmtp, "minptime=10;useinbandfec=1");
        CHECK_EQ(opus->fb_count, 1);
        CHECK_STR(opus->fbs[0].type, "transport-cc");
        CHECK(opus->fbs[0].subtype == NULL);
        uint64_t v = 0;
        CHECK(mrtc_sdp_fmtp_get_uint(opus->fmtp, "minptime", &v));
        CHECK_U64(v, 10);
        CHECK(mrtc_sdp_fmtp_get_uint(opus->fmtp, "useinbandfec", &v));
        CHECK_U64(v, 1);
        CHECK(!mrtc_sdp_fmtp_get_uint(opus->fmtp, "stereo", &v));
    }
    CHECK(mrtc_sdp_media_find_codec_by_name(a, "OPUS", 48000) == opus);
    const mrtc_sdp_codec *g722 = mrtc_sdp_media_find_codec(a, 9);
    CHECK(g722 && g722->channels == 0 && g722->clock_rate == 8000 && !g722->fmtp);
    const mrtc_sdp_codec *te = mrtc_sdp_media_find_codec_by_name(a, "telephone-event", 8000);
    CHECK(te && te->pt == 126);
    CHECK(mrtc_sdp_media_find_codec_by_name(a, "VP8", 0) == NULL);
    CHECK_EQ(a->ssrc_count, 2);
    CHECK_U64(a->ssrcs[0].ssrc, 1185785497u);
    CHECK_STR(a->ssrcs[0].attr, "cname");
    CHECK_STR(a->ssrcs[1].attr, "msid");
    CHECK(mrtc_sdp_media_find_attr(a, "rtcp-xr") != NULL);
    CHECK_STR(mrtc_sdp_media_find_attr(a, "rtcp-xr")->value, "rcvr-rtt=all");

    const mrtc_sdp_media *v = mrtc_sdp_find_media(sdp, "1");
    CHECK(v == sdp->media[1]);
    CHECK_EQ(v->kind, MRTC_SDP_VIDEO);
    CHECK_EQ(v->codec_count, 23);
    const mrtc_sdp_codec *vp8 = mrtc_sdp_media_find_codec_by_name(v, "VP8", 90000);
    CHECK(vp8 != NULL);
    if (vp8) {
        CHECK_EQ(vp8->pt, 96);
        CHECK_EQ(vp8->clock_rate, 90000);
        CHECK_EQ(vp8->fb_count, 5);
        CHECK_STR(vp8->fbs[0].type, "goog-remb");
        CHECK_STR(vp8->fbs[2].type, "ccm");
        CHECK_STR(vp8->fbs[2].subtype, "fir");
        CHECK_STR(vp8->fbs[4].type, "nack");
        CHECK_STR(vp8->fbs[4].subtype, "pli");
        const mrtc_sdp_codec *rtx = mrtc_sdp_media_find_rtx(v, 96);
        CHECK(rtx != NULL && rtx->pt == 97);
        CHECK_STR(rtx ? rtx->fmtp : NULL, "apt=96");
    }
    const mrtc_sdp_codec *h264 = mrtc_sdp_media_find_codec(v, 102);
    CHECK(h264 && strcmp(h264->name, "H264") == 0);
    if (h264) {
        const char *val;
        size_t n;
        CHECK(mrtc_sdp_fmtp_find(h264->fmtp, "profile-level-id", &val, &n));
        CHECK(n == 6 && strncmp(val, "42001f", 6) == 0);
        CHECK(mrtc_sdp_fmtp_find(h264->fmtp, "PACKETIZATION-MODE", &val, &n));
        CHECK(n == 1 && val[0] == '1');
    }
    const mrtc_sdp_codec *av1 = mrtc_sdp_media_find_codec_by_name(v, "AV1", 90000);
    CHECK(av1 && av1->pt == 45 && mrtc_sdp_media_find_rtx(v, 45)->pt == 46);
    CHECK(mrtc_sdp_media_find_codec_by_name(v, "ulpfec", 90000) != NULL);
    CHECK_EQ(v->extmap_count, 11);
    CHECK_EQ(v->ssrc_group_count, 1);
    CHECK_STR(v->ssrc_groups[0].semantics, "FID");
    CHECK_EQ(v->ssrc_groups[0].count, 2);
    CHECK_U64(v->ssrc_groups[0].ssrcs[0], v->ssrcs[0].ssrc);
    CHECK_EQ(v->ssrc_count, 4);

    const mrtc_sdp_media *d = sdp->media[2];
    CHECK_EQ(d->kind, MRTC_SDP_APPLICATION);
    CHECK_STR(d->proto, "UDP/DTLS/SCTP");
    CHECK(mrtc_sdp_proto_is_sctp(d->proto));
    CHECK(!mrtc_sdp_proto_is_rtp(d->proto));
    CHECK_EQ(d->codec_count, 0);
    CHECK_EQ(d->fmts.count, 1);
    CHECK_STR(d->fmts.items[0], "webrtc-datachannel");
    CHECK_EQ(d->sctp_port, 5000);
    CHECK(d->has_max_message_size);
    CHECK_U64(d->max_message_size, 262144);
    CHECK(!d->direction_explicit);
    CHECK_STR(d->mid, "2");
    mrtc_sdp_free(sdp);

    sdp = parse_vector("chromium_answer_av_dc.sdp");
    CHECK(sdp && sdp->media_count == 3);
    if (sdp && sdp->media_count == 3)
        for (size_t i = 0; i < 3; i++)
            CHECK_EQ(sdp->media[i]->transport.setup, MRTC_SDP_SETUP_ACTIVE);
    mrtc_sdp_free(sdp);
}

static void test_mdns_candidates(void)
{
    mrtc_sdp *sdp = parse_vector("chromium_offer_dc_mdns.sdp");
    CHECK(sdp && sdp->media_count == 1);
    if (!sdp || sdp->media_count != 1) {
        mrtc_sdp_free(sdp);
        return;
    }
    const mrtc_sdp_media *m = sdp->media[0];
    CHECK_EQ(m->candidates.count, 3);
    CHECK(strstr(m->candidates.items[0], ".local 60735 typ host") != NULL);
    CHECK(strstr(m->candidates.items[2], "typ srflx raddr 0.0.0.0 rport 0") != NULL);
    CHECK(sdp->msid_semantic && sdp->msid_semantic_ids.count == 0);
    CHECK_EQ(m->port, 50735); /* the default candidate: srflx */
    CHECK(!m->has_rtcp);
    mrtc_sdp_free(sdp);
}

static void test_firefox_fields(void)
{
    mrtc_sdp *sdp = parse_vector("firefox_offer_av_dc.sdp");
    CHECK(sdp && sdp->media_count == 3);
    if (!sdp || sdp->media_count != 3) {
        mrtc_sdp_free(sdp);
        return;
    }
    CHECK_STR(sdp->origin.username, "mozilla...THIS_IS_SDPARTA-128.0");
    CHECK_U64(sdp->origin.sess_version, 0);
    /* Session-level fingerprint and ice-options; media-level ufrag/pwd/setup. */
    CHECK_EQ(sdp->transport.fingerprint_count, 1);
    CHECK_EQ(sdp->transport.ice_options.count, 1);
    CHECK_STR(sdp->msid_semantic, "WMS");
    CHECK(!sdp->msid_semantic_space);
    CHECK_EQ(sdp->msid_semantic_ids.count, 1);
    CHECK_STR(sdp->msid_semantic_ids.items[0], "*");
    const mrtc_sdp_media *a = sdp->media[0];
    CHECK_EQ(a->transport.fingerprint_count, 0);
    mrtc_sdp_transport t;
    mrtc_sdp_media_transport(sdp, a, &t);
    CHECK_EQ(t.fingerprint_count, 1);
    CHECK_STR(t.fingerprints[0].value, sdp->transport.fingerprints[0].value);
    CHECK_STR(t.ice_ufrag, "2a96fb1a");
    CHECK_STR(t.ice_pwd, "4720771f8ca8181166d2287672fdf202");
    CHECK_EQ(t.ice_options.count, 1);
    CHECK_EQ(t.setup, MRTC_SDP_SETUP_ACTPASS);
    CHECK(a->direction_explicit && a->direction == MRTC_SDP_SENDRECV);
    CHECK(a->end_of_candidates);
    CHECK_EQ(a->candidates.count, 3);
    CHECK_STR(a->conn.address, "203.0.113.9");
    const mrtc_sdp_codec *opus = mrtc_sdp_media_find_codec(a, 109);
    CHECK(opus && strcmp(opus->name, "opus") == 0 && opus->channels == 2);
    CHECK_STR(opus ? opus->fmtp : NULL, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
    const mrtc_sdp_codec *g722 = mrtc_sdp_media_find_codec(a, 9);
    CHECK(g722 && g722->channels == 1); /* Firefox writes G722/8000/1 */
    const mrtc_sdp_codec *te = mrtc_sdp_media_find_codec(a, 101);
    CHECK_STR(te ? te->fmtp : NULL, "0-15");
    const char *val;
    size_t n;
    CHECK(te && !mrtc_sdp_fmtp_find(te->fmtp, "apt", &val, &n));
    CHECK_EQ(a->extmap_count, 3);
    CHECK(a->extmaps[1].has_direction && a->extmaps[1].direction == MRTC_SDP_RECVONLY);
    CHECK_STR(a->msids[0].stream, "{153e7c2a-26a2-40bd-bb12-87fff52ddf5d}");
    CHECK_STR(a->msids[0].track, "{a8948c89-3b61-4676-a6bb-7dbd2d1c9af0}");
    CHECK_EQ(a->ssrc_count, 1);
    CHECK_STR(a->ssrcs[0].attr, "cname");
    CHECK_STR(a->ssrcs[0].value, "{d4c28c2e-7c26-447f-8316-909e3bbbe9ea}");

    const mrtc_sdp_media *v = sdp->media[1];
    const mrtc_sdp_codec *vp8 = mrtc_sdp_media_find_codec_by_name(v, "VP8", 90000);
    CHECK(vp8 && vp8->pt == 120 && vp8->fb_count == 5);
    CHECK(mrtc_sdp_media_find_rtx(v, 120) && mrtc_sdp_media_find_rtx(v, 120)->pt == 124);
    CHECK(mrtc_sdp_media_find_rtx(v, 122) && mrtc_sdp_media_find_rtx(v, 122)->pt == 119);
    CHECK_EQ(v->ssrc_group_count, 1);
    CHECK_STR(v->ssrc_groups[0].semantics, "FID");
    CHECK_U64(v->ssrc_groups[0].ssrcs[1], 2652540660u);
    CHECK(v->rtcp_rsize);

    const mrtc_sdp_media *d = sdp->media[2];
    CHECK_EQ(d->sctp_port, 5000);
    CHECK_U64(d->max_message_size, 1073741823);
    CHECK(d->direction_explicit);
    mrtc_sdp_free(sdp);

    sdp = parse_vector("firefox_answer_av_dc.sdp");
    CHECK(sdp && sdp->media_count == 3);
    if (sdp && sdp->media_count == 3) {
        mrtc_sdp_media_transport(sdp, sdp->media[1], &t);
        CHECK_EQ(t.setup, MRTC_SDP_SETUP_ACTIVE);
        CHECK_EQ(t.fingerprint_count, 1);
        CHECK(mrtc_sdp_media_find_codec(sdp->media[0], 111) != NULL);
    }
    mrtc_sdp_free(sdp);
}

static void test_legacy_and_misc(void)
{
    mrtc_sdp *sdp = parse_vector("legacy_sctpmap_offer.sdp");
    CHECK(sdp && sdp->media_count == 1);
    if (sdp && sdp->media_count == 1) {
        const mrtc_sdp_media *m = sdp->media[0];
        CHECK_STR(m->proto, "DTLS/SCTP");
        CHECK(mrtc_sdp_proto_is_sctp(m->proto));
        CHECK_EQ(m->fmts.count, 1);
        CHECK_STR(m->fmts.items[0], "5000");
        CHECK_EQ(m->sctpmap_port, 5000);
        CHECK_STR(m->sctpmap_app, "webrtc-datachannel");
        CHECK_EQ(m->sctpmap_streams, 1024);
        CHECK_EQ(m->sctp_port, 0);
        CHECK(mrtc_sdp_find_media(sdp, "data") == m);
    }
    mrtc_sdp_free(sdp);

    sdp = parse_vector("handwritten_misc_lf.sdp");
    CHECK(sdp && sdp->media_count == 3);
    if (!sdp || sdp->media_count != 3) {
        mrtc_sdp_free(sdp);
        return;
    }
    CHECK_STR(sdp->origin.addrtype, "IP6");
    CHECK_STR(sdp->name, "Misc typed fields");
    CHECK_EQ(sdp->line_count, 3);
    CHECK_EQ(sdp->lines[0].type, 'i');
    CHECK_EQ(sdp->lines[2].type, 'e');
    CHECK_STR(sdp->conn.address, "198.51.100.1");
    CHECK_EQ(sdp->bandwidth_count, 1);
    CHECK_STR(sdp->bandwidths[0].type, "CT");
    CHECK_U64(sdp->bandwidths[0].value, 2000);
    CHECK_EQ(sdp->group_count, 2);
    CHECK(mrtc_sdp_find_group(sdp, "LS") == &sdp->groups[1]);
    CHECK(mrtc_sdp_find_group(sdp, "bundle") == &sdp->groups[0]);
    CHECK(sdp->ice_lite);
    CHECK_EQ(sdp->transport.fingerprint_count, 2);
    CHECK_STR(sdp->transport.fingerprints[1].hash, "sha-1");
    CHECK_EQ(sdp->transport.setup, MRTC_SDP_SETUP_PASSIVE);
    CHECK(mrtc_sdp_find_attr(sdp, "tool") != NULL);

    const mrtc_sdp_media *v = sdp->media[0];
    CHECK_EQ(v->bandwidth_count, 2);
    CHECK_STR(v->bandwidths[1].type, "TIAS");
    CHECK_U64(v->bandwidths[1].value, 2500000);
    CHECK(v->end_of_candidates);
    CHECK_EQ(v->extmap_count, 4);
    CHECK(v->extmaps[2].has_direction && v->extmaps[2].direction == MRTC_SDP_SENDONLY);
    CHECK_EQ(v->extmaps[3].id, 16);
    CHECK_STR(v->extmaps[3].attrs, "urn:ietf:params:rtp-hdrext:toffset");
    CHECK_EQ(v->direction, MRTC_SDP_SENDONLY);
    CHECK(v->rtcp_mux && v->rtcp_mux_only && v->rtcp_rsize);
    CHECK_EQ(v->fb_all_count, 2);
    CHECK_STR(v->fbs_all[1].type, "ccm");
    CHECK_STR(v->fbs_all[1].subtype, "tmmbr");
    uint64_t rtx_time;
    CHECK(mrtc_sdp_fmtp_get_uint(mrtc_sdp_media_find_codec(v, 97)->fmtp, "rtx-time", &rtx_time));
    CHECK_U64(rtx_time, 3000);
    CHECK_EQ(v->ssrc_group_count, 2);
    CHECK_EQ(v->ssrc_groups[0].count, 3);
    CHECK_EQ(v->attr_count, 5);
    CHECK_STR(v->attrs[0].name, "rid");
    CHECK_STR(v->attrs[0].value, "q send pt=96;max-width=320");
    CHECK_STR(v->attrs[3].name, "simulcast");
    CHECK(v->attrs[3].value != NULL);
    const mrtc_sdp_media *a = sdp->media[1];
    CHECK_EQ(a->port, 0);
    CHECK_EQ(a->direction, MRTC_SDP_INACTIVE);
    const mrtc_sdp_media *t = sdp->media[2];
    CHECK_EQ(t->kind, MRTC_SDP_OTHER);
    CHECK_STR(t->type, "text");
    CHECK_EQ(t->line_count, 1);
    CHECK_EQ(t->lines[0].type, 'k');
    CHECK_STR(mrtc_sdp_media_find_codec(t, 98)->name, "t140");
    mrtc_sdp_free(sdp);
}

/* LF line ends, a missing final newline, and trailing empty lines parse the same. */
static void test_line_ends(void)
{
    size_t len;
    char *crlf = read_vector("chromium_offer_av_dc.sdp", &len);
    CHECK(crlf != NULL);
    if (!crlf)
        return;
    char *lf = malloc(len + 8);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (crlf[i] != '\r')
            lf[n++] = crlf[i];
    mrtc_sdp *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    CHECK_EQ(mrtc_sdp_parse(crlf, len, &a, NULL), 0);
    CHECK_EQ(mrtc_sdp_parse(lf, n, &b, NULL), 0);
    CHECK_EQ(mrtc_sdp_parse(lf, n - 1, &c, NULL), 0); /* no final newline */
    memcpy(lf + n, "\r\n\n", 3);
    CHECK_EQ(mrtc_sdp_parse(lf, n + 3, &d, NULL), 0); /* trailing empty lines */
    char *wa = a ? mrtc_sdp_write(a) : NULL;
    char *wb = b ? mrtc_sdp_write(b) : NULL;
    char *wc = c ? mrtc_sdp_write(c) : NULL;
    char *wd = d ? mrtc_sdp_write(d) : NULL;
    CHECK_STR(wb, wa);
    CHECK_STR(wc, wa);
    CHECK_STR(wd, wa);
    mrtc_free(wa);
    mrtc_free(wb);
    mrtc_free(wc);
    mrtc_free(wd);
    mrtc_sdp_free(a);
    mrtc_sdp_free(b);
    mrtc_sdp_free(c);
    mrtc_sdp_free(d);
    free(lf);
    free(crlf);
}

/* ---- Builder ------------------------------------------------------------------------ */

static const char expected_built[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijkl\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 AB:CD:EF\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream track\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=ssrc:1234 cname:abc\r\n"
    "a=ssrc:1234 msid:stream track\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:1500\r\n"
    "a=mid:1\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=ssrc-group:FID 5 6\r\n"
    "a=rid:h send\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

static mrtc_sdp *build(void)
{
    mrtc_sdp *s = mrtc_sdp_new();
    CHECK(s != NULL);
    if (!s)
        return NULL;
    int e = 0;
    e |= mrtc_sdp_set_origin(s, "-", 4611731400430051336ull, 2, "IP4", "127.0.0.1");
    const char *mids[] = {"0", "1"};
    e |= mrtc_sdp_add_group(s, "BUNDLE", mids, 2);
    s->extmap_allow_mixed = true;
    const char *ids[] = {"stream"};
    e |= mrtc_sdp_set_msid_semantic(s, "WMS", ids, 1);

    mrtc_sdp_media *m = mrtc_sdp_add_media(s, "audio", 9, "UDP/TLS/RTP/SAVPF");
    CHECK(m != NULL);
    e |= mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0");
    e |= mrtc_sdp_media_set_rtcp(m, 9, "IP4", "0.0.0.0");
    e |=
        mrtc_sdp_media_add_candidate(m, "1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0");
    e |= mrtc_sdp_transport_set_ice(&m->transport, "abcd", "0123456789abcdefghijkl");
    e |= mrtc_sdp_strlist_add(&m->transport.ice_options, "trickle");
    e |= mrtc_sdp_transport_add_fingerprint(&m->transport, "sha-256", "AB:CD:EF");
    m->transport.setup = MRTC_SDP_SETUP_ACTPASS;
    e |= mrtc_sdp_str_set(&m->mid, "0");
    e |= mrtc_sdp_media_add_extmap(m, 1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", NULL);
    mrtc_sdp_extmap *x = NULL;
    e |= mrtc_sdp_media_add_extmap(m, 2, "urn:ietf:params:rtp-hdrext:csrc-audio-level", &x);
    if (x) {
        x->has_direction = true;
        x->direction = MRTC_SDP_RECVONLY;
    }
    mrtc_sdp_media_set_direction(m, MRTC_SDP_SENDRECV);
    e |= mrtc_sdp_media_add_msid(m, "stream", "track");
    m->rtcp_mux = true;
    m->rtcp_rsize = true;
    mrtc_sdp_codec *c = NULL;
    e |= mrtc_sdp_media_add_codec(m, 111, "opus", 48000, 2, &c);
    if (c) {
        e |= mrtc_sdp_codec_add_fb(c, "transport-cc", NULL);
        e |= mrtc_sdp_str_set(&c->fmtp, "minptime=10;useinbandfec=1");
    }
    e |= mrtc_sdp_media_add_codec(m, 0, "PCMU", 8000, 0, NULL);
    e |= mrtc_sdp_media_add_ssrc(m, 1234, "cname", "abc");
    e |= mrtc_sdp_media_add_ssrc(m, 1234, "msid", "stream track");

    m = mrtc_sdp_add_media(s, "video", 9, "UDP/TLS/RTP/SAVPF");
    CHECK(m != NULL);
    e |= mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0");
    e |= mrtc_sdp_media_add_bandwidth(m, "AS", 1500);
    e |= mrtc_sdp_str_set(&m->mid, "1");
    mrtc_sdp_media_set_direction(m, MRTC_SDP_RECVONLY);
    m->rtcp_mux = true;
    e |= mrtc_sdp_media_add_codec(m, 96, "VP8", 90000, 0, &c);
    if (c) {
        e |= mrtc_sdp_codec_add_fb(c, "nack", NULL);
        e |= mrtc_sdp_codec_add_fb(c, "nack", "pli");
    }
    e |= mrtc_sdp_media_add_codec(m, 97, "rtx", 90000, 0, &c);
    if (c)
        e |= mrtc_sdp_str_set(&c->fmtp, "apt=96");
    const uint32_t fid[] = {5, 6};
    e |= mrtc_sdp_media_add_ssrc_group(m, "FID", fid, 2);
    e |= mrtc_sdp_media_add_attr(m, "rid", "h send");

    m = mrtc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP");
    CHECK(m != NULL);
    e |= mrtc_sdp_media_add_fmt(m, "webrtc-datachannel");
    e |= mrtc_sdp_conn_set(&m->conn, "IP4", "0.0.0.0");
    e |= mrtc_sdp_str_set(&m->mid, "2");
    m->sctp_port = 5000;
    m->has_max_message_size = true;
    m->max_message_size = 262144;
    CHECK_EQ(e, 0);
    return s;
}

static void test_builder(void)
{
    mrtc_sdp *s = build();
    if (!s)
        return;
    char *text = mrtc_sdp_write(s);
    CHECK_STR(text, expected_built);

    /* What the builder made parses back to the same text. */
    mrtc_sdp *p = text ? parse_str(text) : NULL;
    char *again = p ? mrtc_sdp_write(p) : NULL;
    CHECK_STR(again, expected_built);

    /* Builder argument checks. */
    mrtc_sdp_media *m = s->media[0];
    CHECK_EQ(mrtc_sdp_media_add_codec(m, 111, "x", 1, 0, NULL), MRTC_EINVAL); /* dup */
    CHECK_EQ(mrtc_sdp_media_add_codec(m, 128, "x", 1, 0, NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_sdp_media_add_extmap(m, 0, "urn:x", NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_sdp_media_add_extmap(m, 256, "urn:x", NULL), MRTC_EINVAL);
    CHECK_EQ(mrtc_sdp_media_add_extmap(m, 1, "urn:x", NULL), MRTC_EINVAL); /* dup */
    CHECK_EQ(mrtc_sdp_media_add_extmap(m, 15, "urn:x", NULL), 0);
    CHECK(mrtc_sdp_find_media(s, "2") == s->media[2]);
    CHECK(mrtc_sdp_find_media(s, "9") == NULL);
    CHECK(mrtc_sdp_find_media(s, NULL) == NULL);
    CHECK(mrtc_sdp_media_find_codec(m, 5) == NULL);
    CHECK(mrtc_sdp_strlist_has(&s->groups[0].mids, "1"));
    CHECK(!mrtc_sdp_strlist_has(&s->groups[0].mids, "2"));

    /* A new description alone is a valid minimal one. */
    mrtc_sdp *empty = mrtc_sdp_new();
    char *et = empty ? mrtc_sdp_write(empty) : NULL;
    CHECK_STR(et, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    mrtc_free(et);
    mrtc_sdp_free(empty);

    mrtc_free(again);
    mrtc_sdp_free(p);
    mrtc_free(text);
    mrtc_sdp_free(s);
    mrtc_sdp_free(NULL);
}

static void test_copy(void)
{
    for (size_t i = 0; i < NVECTORS; i++) {
        mrtc_sdp *a = parse_vector(vectors[i]);
        mrtc_sdp *b = a ? mrtc_sdp_copy(a) : NULL;
        CHECK(b != NULL);
        char *wa = a ? mrtc_sdp_write(a) : NULL;
        /* The copy is independent: free the original before using the copy. */
        mrtc_sdp_free(a);
        char *wb = b ? mrtc_sdp_write(b) : NULL;
        CHECK_STR(wb, wa);
        /* Both grow independently after the copy. */
        if (b && b->media_count)
            CHECK_EQ(mrtc_sdp_media_add_candidate(b->media[0], "x 1 udp 1 192.0.2.1 1 typ host"),
                     0);
        mrtc_free(wa);
        mrtc_free(wb);
        mrtc_sdp_free(b);
    }
    CHECK(mrtc_sdp_copy(NULL) == NULL);
}

static void test_names_and_fmtp(void)
{
    CHECK_STR(mrtc_sdp_direction_name(MRTC_SDP_RECVONLY), "recvonly");
    CHECK_EQ(mrtc_sdp_direction_reverse(MRTC_SDP_SENDONLY), MRTC_SDP_RECVONLY);
    CHECK_EQ(mrtc_sdp_direction_reverse(MRTC_SDP_INACTIVE), MRTC_SDP_INACTIVE);
    CHECK_STR(mrtc_sdp_setup_name(MRTC_SDP_SETUP_HOLDCONN), "holdconn");
    CHECK(mrtc_sdp_setup_name(MRTC_SDP_SETUP_NONE) == NULL);
    CHECK(mrtc_sdp_proto_is_rtp("RTP/AVP"));
    CHECK(mrtc_sdp_proto_is_rtp("TCP/DTLS/RTP/SAVPF"));
    CHECK(!mrtc_sdp_proto_is_rtp("UDP/DTLS/SCTP"));
    CHECK(!mrtc_sdp_proto_is_rtp("XRTP/AVP"));
    CHECK(mrtc_sdp_proto_is_sctp("DTLS/SCTP"));
    CHECK(mrtc_sdp_proto_is_sctp("TCP/DTLS/SCTP"));

    const char *v;
    size_t n;
    const char *f = "a=1; b = two ;flag;c=";
    CHECK(mrtc_sdp_fmtp_find(f, "b", &v, &n) && n == 3 && strncmp(v, "two", 3) == 0);
    CHECK(mrtc_sdp_fmtp_find(f, "flag", &v, &n) && n == 0);
    CHECK(mrtc_sdp_fmtp_find(f, "c", &v, &n) && n == 0);
    CHECK(!mrtc_sdp_fmtp_find(f, "d", &v, &n));
    CHECK(!mrtc_sdp_fmtp_find(f, "", &v, &n));
    uint64_t x;
    CHECK(mrtc_sdp_fmtp_get_uint(f, "A", &x) && x == 1);
    CHECK(!mrtc_sdp_fmtp_get_uint(f, "b", &x));
    CHECK(!mrtc_sdp_fmtp_get_uint("x=99999999999999999999", "x", &x));
}

/* ---- Refusals ----------------------------------------------------------------------- */

#define H "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" /* lines 1-4 */
#define M "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"               /* line 5 */

static const struct bad_case {
    const char *text;
    unsigned line;
    const char *message;
} bad_cases[] = {
    {"", 1, "line 1: first line must be v=0"},
    {"o=- 1 2 IN IP4 127.0.0.1\r\n", 1, "line 1: first line must be v=0"},
    {"v=1\r\n", 1, "line 1: v=: unsupported version '1'"},
    {"\r\nv=0\r\n", 1, "line 1: first line must be v=0"},
    {H "hello\r\n", 5, "line 5: expected <type>=<value>"},
    {H "a\r\n", 5, "line 5: expected <type>=<value>"},
    {H "x=foo\r\n", 5, "line 5: unknown line type 'x' (RFC 8866 5: the description is refused)"},
    {H "A=foo\r\n", 5, "line 5: unknown line type 'A' (RFC 8866 5: the description is refused)"},
    {H M "y=1\r\n", 6, "line 6: unknown line type 'y' (RFC 8866 5: the description is refused)"},
    {H "\r\n" M, 5, "line 5: empty line"},
    {"v=0\r\no=- 1 IN IP4 192.0.2.1\r\n", 2, "line 2: o=: expected 6 fields"},
    {"v=0\r\no=- 1 2 IN IP4 192.0.2.1 x\r\n", 2, "line 2: o=: expected 6 fields"},
    {"v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n", 2, "line 2: o=: bad sess-version 'x'"},
    {H "o=- 1 2 IN IP4 127.0.0.1\r\n", 5, "line 5: o=: more than one o= line"},
    {H "s=again\r\n", 5, "line 5: s=: more than one s= line"},
    {H "v=0\r\n", 5, "line 5: v= line not allowed after the first line"},
    {H M "o=- 1 2 IN IP4 127.0.0.1\r\n", 6, "line 6: o= line not allowed in a media section"},
    {H M "t=0 0\r\n", 6, "line 6: t= line not allowed in a media section"},
    {"v=0\r\ns=-\r\nt=0 0\r\n", 0, "missing o= line"},
    {"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\n", 0, "missing s= line"},
    {"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" M, 3, "line 3: m=: no s= line before the first m= line"},
    {H "c=IN IP4\r\n", 5, "line 5: c=: expected <nettype> <addrtype> <address>"},
    {H "c=IN IP5 192.0.2.1\r\n", 5, "line 5: c=: bad address type 'IP5'"},
    {H M "c=IN IP4 0.0.0.0\r\nc=IN IP4 0.0.0.0\r\n", 7, "line 7: c=: more than one c= line"},
    {H "b=AS\r\n", 5, "line 5: b=: expected <bwtype>:<bandwidth>"},
    {H "b=AS:fast\r\n", 5, "line 5: b=: bad bandwidth 'fast'"},
    {"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0\r\n", 4,
     "line 4: t=: expected <start-time> <stop-time>"},
    {"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=now 0\r\n", 4,
     "line 4: t=: bad start time 'now'"},
    {H "m=audio 70000 RTP/AVP 0\r\n", 5, "line 5: m=: port 70000 out of range"},
    {H "m=audio 9/0 RTP/AVP 0\r\n", 5, "line 5: m=: port count 0 out of range"},
    {H "m=audio x RTP/AVP 0\r\n", 5, "line 5: m=: bad port 'x'"},
    {H "m=audio 9 RTP/AVP\r\n", 5, "line 5: m=: expected <media> <port> <proto> <fmt> ..."},
    {H "m=audio 9 RTP/AVP   \r\n", 5, "line 5: m=: expected <media> <port> <proto> <fmt> ..."},
    {H "m=audio 9 RTP/AVP 0 128\r\n", 5, "line 5: m=: payload type 128 out of range"},
    {H "m=audio 9 RTP/AVP 0 x\r\n", 5, "line 5: m=: bad payload type 'x'"},
    {H "m=audio 9 RTP/AVP 0 8 0\r\n", 5, "line 5: m=: duplicate payload type 0"},
    {H M "a=rtpmap:300 foo/8000\r\n", 6, "line 6: a=rtpmap: payload type 300 out of range"},
    {H M "a=rtpmap:97 foo/8000\r\n", 6, "line 6: a=rtpmap: payload type 97 not in the m= line"},
    {H M "a=rtpmap:opus 111/48000\r\n", 6, "line 6: a=rtpmap: bad payload type 'opus'"},
    {H M "a=rtpmap:111 opus\r\n", 6, "line 6: a=rtpmap: expected <encoding>/<clock rate>"},
    {H M "a=rtpmap:111\r\n", 6,
     "line 6: a=rtpmap: expected <payload type> <encoding>/<clock rate>[/<channels>]"},
    {H M "a=rtpmap:111 opus/0/2\r\n", 6, "line 6: a=rtpmap: clock rate 0 out of range"},
    {H M "a=rtpmap:111 opus/48000/x\r\n", 6, "line 6: a=rtpmap: bad channel count 'x'"},
    {H M "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\n", 7,
     "line 7: a=rtpmap: more than one for payload type 111"},
    {H M "a=fmtp:300 x=1\r\n", 6, "line 6: a=fmtp: payload type 300 out of range"},
    {H M "a=fmtp:111\r\n", 6, "line 6: a=fmtp: missing parameters for payload type 111"},
    {H M "a=fmtp:111 a=1\r\na=fmtp:111 b=2\r\n", 7,
     "line 7: a=fmtp: more than one for payload type 111"},
    {H M "a=rtcp-fb:abc nack\r\n", 6, "line 6: a=rtcp-fb: bad payload type 'abc'"},
    {H M "a=rtcp-fb:111\r\n", 6, "line 6: a=rtcp-fb: missing feedback type"},
    {H M "a=fingerprint:sha-256 ZZ:11\r\n", 6, "line 6: a=fingerprint: bad fingerprint 'ZZ:11'"},
    {H M "a=fingerprint:sha-256 AB:CD:\r\n", 6, "line 6: a=fingerprint: bad fingerprint 'AB:CD:'"},
    {H M "a=fingerprint:sha-256 ABC:D\r\n", 6, "line 6: a=fingerprint: bad fingerprint 'ABC:D'"},
    {H M "a=fingerprint:sha-256\r\n", 6,
     "line 6: a=fingerprint: expected <hash-function> <fingerprint>"},
    {H "a=fingerprint:sha-256 AB CD\r\n", 5,
     "line 5: a=fingerprint: expected <hash-function> <fingerprint>"},
    {H M "a=setup:both\r\n", 6, "line 6: a=setup: bad value 'both'"},
    {H "a=setup:active\r\na=setup:active\r\n", 6, "line 6: a=setup: more than one"},
    {H M "a=sendrecv\r\na=recvonly\r\n", 7,
     "line 7: a=recvonly: more than one direction attribute (already sendrecv)"},
    {H M "a=sendrecv:yes\r\n", 6, "line 6: a=sendrecv: takes no value"},
    {H M "a=rtcp-mux:1\r\n", 6, "line 6: a=rtcp-mux: takes no value"},
    {H M "a=extmap:0 urn:x\r\n", 6, "line 6: a=extmap: id 0 out of range (1..255)"},
    {H M "a=extmap:256 urn:x\r\n", 6, "line 6: a=extmap: id 256 out of range (1..255)"},
    {H M "a=extmap:one urn:x\r\n", 6, "line 6: a=extmap: bad id 'one'"},
    {H M "a=extmap:1/sideways urn:x\r\n", 6, "line 6: a=extmap: bad direction 'sideways'"},
    {H M "a=extmap:1\r\n", 6, "line 6: a=extmap: missing URI"},
    {H M "a=extmap:3 urn:x\r\na=extmap:3 urn:y\r\n", 7, "line 7: a=extmap: duplicate id 3"},
    {H M "a=sctp-port:0\r\n", 6, "line 6: a=sctp-port: port 0 out of range"},
    {H M "a=sctp-port:65536\r\n", 6, "line 6: a=sctp-port: port 65536 out of range"},
    {H M "a=sctp-port:five\r\n", 6, "line 6: a=sctp-port: bad port 'five'"},
    {H M "a=max-message-size:big\r\n", 6, "line 6: a=max-message-size: bad size 'big'"},
    {H M "a=max-message-size:-1\r\n", 6, "line 6: a=max-message-size: bad size '-1'"},
    {H M "a=max-message-size:99999999999999999999\r\n", 6,
     "line 6: a=max-message-size: size 99999999999999999999 out of range"},
    {H M "a=mid:0\r\n" M "a=mid:1\r\n" M "a=mid:0\r\n", 10,
     "line 10: a=mid: duplicate mid '0' (also m-section 1)"},
    {H M "a=mid:0\r\na=mid:1\r\n", 7, "line 7: a=mid: more than one in this section"},
    {H M "a=mid:\r\n", 6, "line 6: a=mid: empty value"},
    {H M "a=mid\r\n", 6, "line 6: a=mid: missing value"},
    {H M "a=ice-ufrag:a\r\na=ice-ufrag:b\r\n", 7, "line 7: a=ice-ufrag: more than one"},
    {H M "a=ice-options:\r\n", 6, "line 6: a=ice-options: empty value"},
    {H M "a=:x\r\n", 6, "line 6: a=: empty attribute name"},
    {H M "a=rtcp:99999\r\n", 6, "line 6: a=rtcp: port 99999 out of range"},
    {H M "a=rtcp:9 IN IP4\r\n", 6, "line 6: a=rtcp: expected <nettype> <addrtype> <address>"},
    {H M "a=ssrc:abc cname:x\r\n", 6, "line 6: a=ssrc: bad ssrc 'abc'"},
    {H M "a=ssrc:4294967296 cname:x\r\n", 6, "line 6: a=ssrc: ssrc 4294967296 out of range"},
    {H M "a=ssrc:1\r\n", 6, "line 6: a=ssrc: missing attribute"},
    {H M "a=ssrc:1 :x\r\n", 6, "line 6: a=ssrc: missing attribute"},
    {H M "a=ssrc-group:FID 1 x\r\n", 6, "line 6: a=ssrc-group: bad ssrc 'x'"},
    {H M "a=msid:\r\n", 6, "line 6: a=msid: missing stream id"},
    {H "a=group:\r\n", 5, "line 5: a=group: missing semantics"},
    {H "a=msid-semantic: \r\n", 5, "line 5: a=msid-semantic: missing semantic"},
    {H "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:5000\r\n", 6,
     "line 6: a=sctpmap: expected <port> <protocol> [<streams>]"},
    {H "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:5000 webrtc-datachannel 0\r\n", 6,
     "line 6: a=sctpmap: streams 0 out of range"},
    {H M "a=candidate:\r\n", 6, "line 6: a=candidate: empty value"},
    {H "s\rx=1\r\n", 5, "line 5: CR byte inside a line"},
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        mrtc_sdp *sentinel = (mrtc_sdp *)&bad_cases[i];
        mrtc_sdp *out = sentinel;
        mrtc_sdp_error err;
        int rc = mrtc_sdp_parse(c->text, strlen(c->text), &out, &err);
        if (rc != MRTC_ESDP)
            fprintf(stderr, "case %zu: \"%s\"\n", i, c->text);
        CHECK_EQ(rc, MRTC_ESDP);
        CHECK(out == sentinel);
        CHECK_EQ(err.line, c->line);
        CHECK_STR(err.message, c->message);
        CHECK(mrtc_sdp_parse(c->text, strlen(c->text), &out, NULL) == MRTC_ESDP);
    }

    /* The error carries the offending line, truncated and sanitized. */
    mrtc_sdp *out = NULL;
    mrtc_sdp_error err;
    const char *t = H M "a=rtpmap:300 foo/8000\r\n";
    CHECK_EQ(mrtc_sdp_parse(t, strlen(t), &out, &err), MRTC_ESDP);
    CHECK_STR(err.text, "a=rtpmap:300 foo/8000");
    char long_line[400];
    snprintf(long_line, sizeof long_line, H M "a=setup:%0200d\x01\r\n", 7);
    CHECK_EQ(mrtc_sdp_parse(long_line, strlen(long_line), &out, &err), MRTC_ESDP);
    CHECK_EQ(strlen(err.text), MRTC_SDP_ERR_TEXT - 1);
    CHECK(strncmp(err.text, "a=setup:0000", 12) == 0);
    CHECK_STR(err.text + MRTC_SDP_ERR_TEXT - 4, "...");
    CHECK(strstr(err.message, "line 6: a=setup: bad value '000") == err.message);
    const char nul[] = H "s=a\0b\r\n";
    CHECK_EQ(mrtc_sdp_parse(nul, sizeof nul - 1, &out, &err), MRTC_ESDP);
    CHECK_STR(err.message, "line 5: NUL byte in line");
    CHECK_STR(err.text, "s=a?b");
    CHECK(out == NULL);
    CHECK_EQ(mrtc_sdp_parse(NULL, 0, &out, &err), MRTC_ESDP);
    CHECK_EQ(mrtc_sdp_parse(NULL, 5, &out, &err), MRTC_EINVAL);
    CHECK_EQ(mrtc_sdp_parse("v=0", 3, NULL, &err), MRTC_EINVAL);
}

/* Attributes that are not typed where they appear are kept, not refused. */
static void test_kept_as_unknown(void)
{
    const char *t = H "a=mid:0\r\na=x-custom\r\n"
                      "m=audio 9 RTP/AVP 0\r\n"
                      "a=fmtp:96 foo=1\r\n"
                      "a=rtcp-fb:96 nack\r\n"
                      "a=group:BUNDLE 0\r\n"
                      "a=ice-lite\r\n"
                      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                      "a=rtpmap:5000 x/1\r\n";
    mrtc_sdp *s = parse_str(t);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ(s->attr_count, 2);
    CHECK_STR(s->attrs[0].name, "mid");
    CHECK(s->attrs[1].value == NULL);
    const mrtc_sdp_media *m = s->media[0];
    CHECK(m->codecs[0].fmtp == NULL);
    CHECK_EQ(m->codecs[0].fb_count, 0);
    CHECK_EQ(m->attr_count, 4);
    CHECK_STR(m->attrs[0].name, "fmtp");
    CHECK_STR(m->attrs[0].value, "96 foo=1");
    CHECK_STR(m->attrs[1].name, "rtcp-fb");
    CHECK_EQ(s->media[1]->attr_count, 1);
    CHECK_STR(s->media[1]->attrs[0].name, "rtpmap");
    char *w = mrtc_sdp_write(s);
    CHECK(w && same_line_multisets("unknown", t, w));
    mrtc_free(w);
    mrtc_sdp_free(s);
}

/* What is tolerated, and how it is written back. */
static void test_tolerated(void)
{
    const char *t = "v=0\n"
                    "o=-  7 3   IN IP4 192.0.2.1\n"
                    "s=Talk\n"
                    "t=0 0\n"
                    "r=604800 3600 0 90000\n"
                    "t=3034423619 3042462419\n"
                    "a=sendonly\n"
                    "a=extmap:2 urn:x\n"
                    "a=end-of-candidates\n"
                    "m=audio  9 RTP/AVP\t0   8\n"
                    "a=ice-options:trickle\n"
                    "a=ice-options:renomination\n";
    mrtc_sdp *s = parse_str(t);
    CHECK(s != NULL);
    char *w = s ? mrtc_sdp_write(s) : NULL;
    CHECK_STR(w, "v=0\r\n"
                 "o=- 7 3 IN IP4 192.0.2.1\r\n"
                 "s=Talk\r\n"
                 "t=0 0\r\n"
                 "r=604800 3600 0 90000\r\n"
                 "t=3034423619 3042462419\r\n"
                 "a=sendonly\r\n"
                 "a=extmap:2 urn:x\r\n"
                 "a=end-of-candidates\r\n"
                 "m=audio 9 RTP/AVP 0 8\r\n"
                 "a=ice-options:trickle renomination\r\n");
    mrtc_free(w);
    mrtc_sdp_free(s);

    /* No t= line: read as t=0 0. */
    s = parse_str("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n");
    CHECK(s != NULL);
    w = s ? mrtc_sdp_write(s) : NULL;
    CHECK_STR(w, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n");
    mrtc_free(w);
    mrtc_sdp_free(s);
}

/* ---- Limits ------------------------------------------------------------------------- */

static void test_limits(void)
{
    mrtc_sdp *out = NULL;
    mrtc_sdp_error err;
    size_t big = MRTC_SDP_MAX_LEN + 1;
    char *text = malloc(big);
    memset(text, 'a', big);
    CHECK_EQ(mrtc_sdp_parse(text, big, &out, &err), MRTC_ESDP);
    CHECK_EQ(err.line, 0);
    CHECK_STR(err.message, "description too large (1048577 bytes, limit 1048576)");

    /* 16384 lines are fine, 16385 are not. */
    size_t n = strlen(H);
    memcpy(text, H, n);
    for (int i = 4; i < MRTC_SDP_MAX_LINES; i++) {
        memcpy(text + n, "a=x\r\n", 5);
        n += 5;
    }
    CHECK_EQ(mrtc_sdp_parse(text, n, &out, &err), 0);
    mrtc_sdp_free(out);
    out = NULL;
    memcpy(text + n, "a=x\r\n", 5);
    CHECK_EQ(mrtc_sdp_parse(text, n + 5, &out, &err), MRTC_ESDP);
    CHECK_STR(err.message, "line 16385: too many lines (limit 16384)");
    CHECK(out == NULL);

    /* 256 m-sections are fine, 257 are not. */
    n = strlen(H);
    for (int i = 0; i <= MRTC_SDP_MAX_MEDIA; i++) {
        memcpy(text + n, M, strlen(M));
        n += strlen(M);
        if (i == MRTC_SDP_MAX_MEDIA - 1) {
            CHECK_EQ(mrtc_sdp_parse(text, n, &out, &err), 0);
            CHECK_EQ(out ? out->media_count : 0, MRTC_SDP_MAX_MEDIA);
            mrtc_sdp_free(out);
            out = NULL;
        }
    }
    CHECK_EQ(mrtc_sdp_parse(text, n, &out, &err), MRTC_ESDP);
    CHECK_STR(err.message, "line 261: m=: too many media sections (limit 256)");
    free(text);
}

/* ---- Allocation failures ------------------------------------------------------------ */

static void test_alloc_failures(void)
{
    size_t len;
    char *text = read_vector("chromium_offer_av_dc.sdp", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    mrtc_sdp *ref = NULL;
    CHECK_EQ(mrtc_sdp_parse(text, len, &ref, NULL), 0);
    char *want = ref ? mrtc_sdp_write(ref) : NULL;
    CHECK(want != NULL);

    /* Parse: every allocation failing in turn gives MRTC_ENOMEM, leaves *out alone and
     * leaks nothing, until the countdown passes the last allocation. */
    long n, failures = 0;
    for (n = 1; n < 100000; n++) {
        long live = mrtc_alloc_live();
        mrtc_sdp *out = (mrtc_sdp *)text;
        mrtc_sdp_error err;
        mrtc_alloc_fail_after(n);
        int rc = mrtc_sdp_parse(text, len, &out, &err);
        mrtc_alloc_fail_after(0);
        if (rc == 0) {
            char *got = mrtc_sdp_write(out);
            CHECK_STR(got, want); /* a swallowed failure would lose something */
            mrtc_free(got);
            mrtc_sdp_free(out);
            break;
        }
        failures++;
        CHECK_EQ(rc, MRTC_ENOMEM);
        CHECK(out == (mrtc_sdp *)text);
        CHECK_STR(err.message, "out of memory");
        CHECK_EQ(mrtc_alloc_live(), live);
    }
    CHECK(failures > 100);
    printf("parse: %ld allocation failure points checked\n", failures);

    /* Write and copy likewise return NULL and leak nothing. */
    for (n = 1; n < 100000 && ref; n++) {
        long live = mrtc_alloc_live();
        mrtc_alloc_fail_after(n);
        char *got = mrtc_sdp_write(ref);
        mrtc_alloc_fail_after(0);
        if (got) {
            CHECK_STR(got, want);
            mrtc_free(got);
            break;
        }
        CHECK_EQ(mrtc_alloc_live(), live);
    }
    for (n = 1; n < 100000 && ref; n++) {
        long live = mrtc_alloc_live();
        mrtc_alloc_fail_after(n);
        mrtc_sdp *c = mrtc_sdp_copy(ref);
        mrtc_alloc_fail_after(0);
        if (c) {
            char *got = mrtc_sdp_write(c);
            CHECK_STR(got, want);
            mrtc_free(got);
            mrtc_sdp_free(c);
            break;
        }
        CHECK_EQ(mrtc_alloc_live(), live);
    }
    /* The builder under failure: each call fails cleanly or succeeds. */
    for (n = 1; n < 100000; n++) {
        long live = mrtc_alloc_live();
        mrtc_alloc_fail_after(n);
        mrtc_sdp *s = mrtc_sdp_new();
        mrtc_sdp_media *m = s ? mrtc_sdp_add_media(s, "audio", 9, "RTP/AVP") : NULL;
        int e = m ? mrtc_sdp_media_add_codec(m, 0, "PCMU", 8000, 0, NULL) : MRTC_ENOMEM;
        if (!e)
            e = mrtc_sdp_media_add_ssrc(m, 1, "cname", "x");
        mrtc_alloc_fail_after(0);
        mrtc_sdp_free(s);
        CHECK_EQ(mrtc_alloc_live(), live);
        if (!e)
            break;
        CHECK_EQ(e, MRTC_ENOMEM);
    }
    mrtc_free(want);
    mrtc_sdp_free(ref);
    free(text);
}

int main(void)
{
    RUN(test_parse_vectors);
    RUN(test_roundtrip);
    RUN(test_chromium_order);
    RUN(test_chromium_fields);
    RUN(test_mdns_candidates);
    RUN(test_firefox_fields);
    RUN(test_legacy_and_misc);
    RUN(test_line_ends);
    RUN(test_builder);
    RUN(test_copy);
    RUN(test_names_and_fmtp);
    RUN(test_refusals);
    RUN(test_kept_as_unknown);
    RUN(test_tolerated);
    RUN(test_limits);
    RUN(test_alloc_failures);
    return test_finish();
}
