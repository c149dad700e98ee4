/*
 * SDP parser (RFC 8866 sections 5 and 9) for the WebRTC attributes of sdp.h: ICE (RFC
 * 8839), DTLS fingerprint/setup (RFC 8122, RFC 8842), BUNDLE groups (RFC 5888, RFC 8843),
 * extmap (RFC 8285), msid (RFC 8830), ssrc and ssrc-group (RFC 5576), rtpmap/fmtp (RFC
 * 8866 6.6, 6.15), rtcp-fb (RFC 4585), rtcp (RFC 3605), rtcp-mux (RFC 5761, RFC 8858),
 * SCTP (RFC 8841, and the old a=sctpmap draft).
 *
 * The input is copied once; each line is NUL-terminated in the copy and its typed
 * attributes are tokenized in place. Attributes it does not type, or types only at the
 * other level, are kept verbatim. It is strict about syntax and about what would make a
 * description ambiguous (duplicate single-valued attributes, a duplicate mid, an rtpmap
 * for a payload type outside m=), lenient about order and about spacing. It does not
 * check JSEP rules (BUNDLE mids exist, credentials, codecs), does not parse candidates
 * (the ICE layer does) and does not follow a=charset: text is treated as bytes.
 */
#include "core/sdp.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
    mrtc_sdp *sdp;
    mrtc_sdp_media *m; /* the current section, NULL at session level */
    bool m_rtp;        /* the current section's formats are RTP payload types */
    mrtc_sdp_error *err;
    const char *text; /* the caller's input, for error excerpts */
    size_t line_off;
    size_t line_len;
    unsigned lineno;
    bool seen_o;
    bool seen_s;
    bool seen_t;
} parser;

/* Replaces control and non-ASCII bytes (NUL included) of s[0..n) with '?'. */
static void sanitize(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            s[i] = '?';
}

/* Records why parsing stopped (the message is prefixed with the line number when there
 * is one) and returns MRTC_ESDP. */
static int fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *p, const char *fmt, ...)
{
    mrtc_sdp_error *e = p->err;
    if (!e)
        return MRTC_ESDP;
    e->line = p->lineno;
    e->text[0] = '\0';
    int n = 0;
    if (p->lineno) {
        size_t len = p->line_len;
        if (len >= sizeof e->text) {
            len = sizeof e->text - 4;
            memcpy(e->text + len, "...", 4);
        } else {
            e->text[len] = '\0';
        }
        memcpy(e->text, p->text + p->line_off, len);
        sanitize(e->text, len);
        n = snprintf(e->message, sizeof e->message, "line %u: ", p->lineno);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message + n, sizeof e->message - (size_t)n, fmt, ap);
    va_end(ap);
    sanitize(e->message, strlen(e->message));
    return MRTC_ESDP;
}

/* ---- Tokens and numbers ------------------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The next blank-separated token of *s, NUL-terminated in place, or NULL at the end. */
static char *token(char **s)
{
    char *q = *s;
    while (is_blank(*q))
        q++;
    if (!*q) {
        *s = q;
        return NULL;
    }
    char *t = q;
    while (*q && !is_blank(*q))
        q++;
    if (*q)
        *q++ = '\0';
    *s = q;
    return t;
}

/* What is left of *s after blanks, or NULL when nothing is. */
static char *rest(char **s)
{
    char *q = *s;
    while (is_blank(*q))
        q++;
    *s = q + strlen(q);
    return *q ? q : NULL;
}

typedef enum { NUM_OK, NUM_BAD, NUM_RANGE } num_res;

/* A decimal number of digits only (n chars of s, or up to NUL when n is SIZE_MAX). */
static num_res num_n(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;
    bool big = false;
    size_t i = 0;
    for (; i < n && s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return NUM_BAD;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            big = true;
        else
            x = x * 10 + d;
    }
    if (i == 0)
        return NUM_BAD;
    if (big || x < min || x > max)
        return NUM_RANGE;
    *out = x;
    return NUM_OK;
}

static num_res num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    return num_n(s, SIZE_MAX, min, max, out);
}

/* A number field named `what` of line/attribute `ctx`; fails with a message. */
static int get_num(parser *p, const char *ctx, const char *what, const char *s, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    if (!s)
        return fail(p, "%s: missing %s", ctx, what);
    switch (num(s, min, max, out)) {
    case NUM_OK:
        return 0;
    case NUM_RANGE:
        return fail(p, "%s: %s %.24s out of range", ctx, what, s);
    case NUM_BAD:
    default:
        return fail(p, "%s: bad %s '%.24s'", ctx, what, s);
    }
}

/* ---- Session and media lines -------------------------------------------------------- */

static int add_line(parser *p, char type, const char *value)
{
    return p->m ? mrtc_sdp_media_add_line(p->m, type, value)
                : mrtc_sdp_add_line(p->sdp, type, value);
}

static int parse_origin(parser *p, char *v)
{
    if (p->seen_o)
        return fail(p, "o=: more than one o= line");
    p->seen_o = true;
    char *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = token(&v);
    if (!f[5] || token(&v))
        return fail(p, "o=: expected 6 fields");
    uint64_t ver;
    int err = get_num(p, "o=", "sess-version", f[2], 0, UINT64_MAX, &ver);
    if (err)
        return err;
    mrtc_sdp_origin *o = &p->sdp->origin;
    o->sess_version = ver;
    if (mrtc_sdp_str_set(&o->username, f[0]) || mrtc_sdp_str_set(&o->sess_id, f[1]) ||
        mrtc_sdp_str_set(&o->nettype, f[3]) || mrtc_sdp_str_set(&o->addrtype, f[4]) ||
        mrtc_sdp_str_set(&o->address, f[5]))
        return MRTC_ENOMEM;
    return 0;
}

/* c=<nettype> <addrtype> <address>, or the same three fields of a=rtcp (ctx names it). */
static int parse_conn_fields(parser *p, const char *ctx, char *v, mrtc_sdp_conn *c)
{
    char *nettype = token(&v), *addrtype = token(&v), *address = token(&v);
    if (!address || token(&v))
        return fail(p, "%s: expected <nettype> <addrtype> <address>", ctx);
    if (strcmp(nettype, "IN") == 0 && strcmp(addrtype, "IP4") != 0 && strcmp(addrtype, "IP6") != 0)
        return fail(p, "%s: bad address type '%.16s'", ctx, addrtype);
    if (mrtc_sdp_str_set(&c->nettype, nettype) || mrtc_sdp_str_set(&c->addrtype, addrtype) ||
        mrtc_sdp_str_set(&c->address, address))
        return MRTC_ENOMEM;
    return 0;
}

static int parse_conn(parser *p, char *v)
{
    mrtc_sdp_conn *c = p->m ? &p->m->conn : &p->sdp->conn;
    if (c->address)
        return fail(p, "c=: more than one c= line");
    return parse_conn_fields(p, "c=", v, c);
}

static int parse_bandwidth(parser *p, char *v)
{
    char *colon = strchr(v, ':');
    if (!colon || colon == v)
        return fail(p, "b=: expected <bwtype>:<bandwidth>");
    *colon = '\0';
    uint64_t bw;
    int err = get_num(p, "b=", "bandwidth", colon + 1, 0, UINT64_MAX, &bw);
    if (err)
        return err;
    return p->m ? mrtc_sdp_media_add_bandwidth(p->m, v, bw) : mrtc_sdp_add_bandwidth(p->sdp, v, bw);
}

static int parse_time(parser *p, char *v)
{
    char *start = token(&v), *stop = token(&v);
    if (!stop || token(&v))
        return fail(p, "t=: expected <start-time> <stop-time>");
    uint64_t t0, t1;
    int err = get_num(p, "t=", "start time", start, 0, UINT64_MAX, &t0);
    if (!err)
        err = get_num(p, "t=", "stop time", stop, 0, UINT64_MAX, &t1);
    if (err)
        return err;
    if (!p->seen_t) {
        p->seen_t = true;
        p->sdp->time_start = t0;
        p->sdp->time_stop = t1;
        return 0;
    }
    /* Later time descriptions are kept as text, in canonical form. */
    char line[48];
    snprintf(line, sizeof line, "%" PRIu64 " %" PRIu64, t0, t1);
    return add_line(p, 't', line);
}

static int parse_media(parser *p, char *v)
{
    if (!p->seen_o)
        return fail(p, "m=: no o= line before the first m= line");
    if (!p->seen_s)
        return fail(p, "m=: no s= line before the first m= line");
    if (p->sdp->media_count >= MRTC_SDP_MAX_MEDIA)
        return fail(p, "m=: too many media sections (limit %d)", MRTC_SDP_MAX_MEDIA);
    char *type = token(&v), *port = token(&v), *proto = token(&v);
    char *fmt = token(&v);
    if (!fmt)
        return fail(p, "m=: expected <media> <port> <proto> <fmt> ...");
    uint64_t port_num, count = 0;
    char *slash = strchr(port, '/');
    if (slash)
        *slash = '\0';
    int err = get_num(p, "m=", "port", port, 0, 65535, &port_num);
    if (!err && slash)
        err = get_num(p, "m=", "port count", slash + 1, 1, 65535, &count);
    if (err)
        return err;
    mrtc_sdp_media *m = mrtc_sdp_add_media(p->sdp, type, (uint16_t)port_num, proto);
    if (!m)
        return MRTC_ENOMEM;
    p->m = m;
    p->m_rtp = mrtc_sdp_proto_is_rtp(proto);
    m->port_count = (uint16_t)count;
    for (; fmt; fmt = token(&v)) {
        if (!p->m_rtp) {
            if (mrtc_sdp_media_add_fmt(m, fmt))
                return MRTC_ENOMEM;
            continue;
        }
        uint64_t pt;
        err = get_num(p, "m=", "payload type", fmt, 0, 127, &pt);
        if (err)
            return err;
        if (mrtc_sdp_media_find_codec(m, (unsigned)pt))
            return fail(p, "m=: duplicate payload type %u", (unsigned)pt);
        if (mrtc_sdp_media_add_codec(m, (unsigned)pt, NULL, 0, 0, NULL))
            return MRTC_ENOMEM;
    }
    return 0;
}

/* ---- Attributes --------------------------------------------------------------------- */

static mrtc_sdp_transport *cur_transport(parser *p)
{
    return p->m ? &p->m->transport : &p->sdp->transport;
}

static int attr_group(parser *p, char *v)
{
    char *sem = token(&v);
    if (!sem)
        return fail(p, "a=group: missing semantics");
    int err = mrtc_sdp_add_group(p->sdp, sem, NULL, 0);
    if (err)
        return err;
    mrtc_sdp_group *g = &p->sdp->groups[p->sdp->group_count - 1];
    char *mid;
    while ((mid = token(&v)) != NULL)
        if (mrtc_sdp_strlist_add(&g->mids, mid))
            return MRTC_ENOMEM;
    return 0;
}

static int attr_msid_semantic(parser *p, char *v)
{
    mrtc_sdp *s = p->sdp;
    if (s->msid_semantic)
        return fail(p, "a=msid-semantic: more than one");
    bool space = v[0] == ' ';
    char *sem = token(&v);
    if (!sem)
        return fail(p, "a=msid-semantic: missing semantic");
    if (mrtc_sdp_str_set(&s->msid_semantic, sem))
        return MRTC_ENOMEM;
    s->msid_semantic_space = space;
    char *id;
    while ((id = token(&v)) != NULL)
        if (mrtc_sdp_strlist_add(&s->msid_semantic_ids, id))
            return MRTC_ENOMEM;
    return 0;
}

static int attr_ice_lite(parser *p, char *v)
{
    p->sdp->ice_lite = true;
    return 0;
}

static int attr_extmap_allow_mixed(parser *p, char *v)
{
    if (p->m)
        p->m->extmap_allow_mixed = true;
    else
        p->sdp->extmap_allow_mixed = true;
    return 0;
}

static int attr_end_of_candidates(parser *p, char *v)
{
    if (p->m)
        p->m->end_of_candidates = true;
    else
        p->sdp->end_of_candidates = true;
    return 0;
}

static int set_once(parser *p, const char *name, char **field, const char *v)
{
    if (*field)
        return fail(p, "a=%s: more than one", name);
    if (!*v)
        return fail(p, "a=%s: empty value", name);
    return mrtc_sdp_str_set(field, v);
}

static int attr_ice_ufrag(parser *p, char *v)
{
    return set_once(p, "ice-ufrag", &cur_transport(p)->ice_ufrag, v);
}

static int attr_ice_pwd(parser *p, char *v)
{
    return set_once(p, "ice-pwd", &cur_transport(p)->ice_pwd, v);
}

static int attr_ice_options(parser *p, char *v)
{
    mrtc_sdp_strlist *l = &cur_transport(p)->ice_options;
    char *t = token(&v);
    if (!t)
        return fail(p, "a=ice-options: empty value");
    for (; t; t = token(&v))
        if (mrtc_sdp_strlist_add(l, t))
            return MRTC_ENOMEM;
    return 0;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static int attr_fingerprint(parser *p, char *v)
{
    char *hash = token(&v), *fp = token(&v);
    if (!fp || token(&v))
        return fail(p, "a=fingerprint: expected <hash-function> <fingerprint>");
    /* RFC 8122 5: 2UHEX *(":" 2UHEX); lower case is tolerated. */
    size_t n = strlen(fp);
    bool ok = n % 3 == 2;
    for (size_t i = 0; ok && i < n; i++)
        ok = i % 3 == 2 ? fp[i] == ':' : is_hex(fp[i]);
    if (!ok)
        return fail(p, "a=fingerprint: bad fingerprint '%.32s'", fp);
    return mrtc_sdp_transport_add_fingerprint(cur_transport(p), hash, fp);
}

static int attr_setup(parser *p, char *v)
{
    static const char *const names[] = {NULL, "actpass", "active", "passive", "holdconn"};
    mrtc_sdp_transport *t = cur_transport(p);
    if (t->setup != MRTC_SDP_SETUP_NONE)
        return fail(p, "a=setup: more than one");
    for (int i = 1; i < 5; i++) {
        if (strcmp(v, names[i]) == 0) {
            t->setup = (mrtc_sdp_setup)i;
            return 0;
        }
    }
    return fail(p, "a=setup: bad value '%.24s'", v);
}

static int set_direction(parser *p, mrtc_sdp_direction d)
{
    bool *expl = p->m ? &p->m->direction_explicit : &p->sdp->direction_explicit;
    mrtc_sdp_direction *dir = p->m ? &p->m->direction : &p->sdp->direction;
    if (*expl)
        return fail(p, "a=%s: more than one direction attribute (already %s)",
                    mrtc_sdp_direction_name(d), mrtc_sdp_direction_name(*dir));
    *expl = true;
    *dir = d;
    return 0;
}

static int attr_sendrecv(parser *p, char *v)
{
    return set_direction(p, MRTC_SDP_SENDRECV);
}

static int attr_sendonly(parser *p, char *v)
{
    return set_direction(p, MRTC_SDP_SENDONLY);
}

static int attr_recvonly(parser *p, char *v)
{
    return set_direction(p, MRTC_SDP_RECVONLY);
}

static int attr_inactive(parser *p, char *v)
{
    return set_direction(p, MRTC_SDP_INACTIVE);
}

static bool direction_from(const char *s, mrtc_sdp_direction *d)
{
    for (int i = MRTC_SDP_SENDRECV; i <= MRTC_SDP_INACTIVE; i++) {
        if (strcmp(s, mrtc_sdp_direction_name((mrtc_sdp_direction)i)) == 0) {
            *d = (mrtc_sdp_direction)i;
            return true;
        }
    }
    return false;
}

static int attr_extmap(parser *p, char *v)
{
    char *id = token(&v), *uri = token(&v), *attrs = rest(&v);
    if (!id)
        return fail(p, "a=extmap: missing id");
    char *slash = strchr(id, '/');
    if (slash)
        *slash++ = '\0';
    uint64_t n;
    switch (num(id, 1, 255, &n)) {
    case NUM_OK:
        break;
    case NUM_RANGE:
        return fail(p, "a=extmap: id %.24s out of range (1..255)", id);
    default:
        return fail(p, "a=extmap: bad id '%.24s'", id);
    }
    mrtc_sdp_direction dir = MRTC_SDP_SENDRECV;
    if (slash && !direction_from(slash, &dir))
        return fail(p, "a=extmap: bad direction '%.24s'", slash);
    if (!uri)
        return fail(p, "a=extmap: missing URI");
    mrtc_sdp_extmap *arr = p->m ? p->m->extmaps : p->sdp->extmaps;
    size_t count = p->m ? p->m->extmap_count : p->sdp->extmap_count;
    for (size_t i = 0; i < count; i++)
        if (arr[i].id == n)
            return fail(p, "a=extmap: duplicate id %u", (unsigned)n);
    mrtc_sdp_extmap *e = NULL;
    int err = p->m ? mrtc_sdp_media_add_extmap(p->m, (unsigned)n, uri, &e)
                   : mrtc_sdp_add_extmap(p->sdp, (unsigned)n, uri, &e);
    if (err)
        return err;
    e->has_direction = slash != NULL;
    e->direction = dir;
    return mrtc_sdp_str_set(&e->attrs, attrs);
}

static int attr_rtcp(parser *p, char *v)
{
    mrtc_sdp_media *m = p->m;
    if (m->has_rtcp)
        return fail(p, "a=rtcp: more than one");
    char *port = token(&v);
    uint64_t n;
    int err = get_num(p, "a=rtcp", "port", port, 0, 65535, &n);
    if (err)
        return err;
    char *addr = rest(&v);
    if (addr) {
        err = parse_conn_fields(p, "a=rtcp", addr, &m->rtcp_conn);
        if (err)
            return err;
    }
    m->has_rtcp = true;
    m->rtcp_port = (uint16_t)n;
    return 0;
}

static int attr_mid(parser *p, char *v)
{
    if (p->m->mid)
        return fail(p, "a=mid: more than one in this section");
    if (!*v)
        return fail(p, "a=mid: empty value");
    for (size_t i = 0; i + 1 < p->sdp->media_count; i++) {
        const char *other = p->sdp->media[i]->mid;
        if (other && strcmp(other, v) == 0)
            return fail(p, "a=mid: duplicate mid '%.32s' (also m-section %zu)", v, i + 1);
    }
    return mrtc_sdp_str_set(&p->m->mid, v);
}

static int attr_candidate(parser *p, char *v)
{
    if (!*v)
        return fail(p, "a=candidate: empty value");
    return mrtc_sdp_media_add_candidate(p->m, v);
}

static int attr_msid(parser *p, char *v)
{
    char *stream = token(&v), *track = rest(&v);
    if (!stream)
        return fail(p, "a=msid: missing stream id");
    return mrtc_sdp_media_add_msid(p->m, stream, track);
}

static int attr_rtcp_mux(parser *p, char *v)
{
    p->m->rtcp_mux = true;
    return 0;
}

static int attr_rtcp_mux_only(parser *p, char *v)
{
    p->m->rtcp_mux_only = true;
    return 0;
}

static int attr_rtcp_rsize(parser *p, char *v)
{
    p->m->rtcp_rsize = true;
    return 0;
}

/* The payload type that starts an rtpmap/fmtp/rtcp-fb value, without changing v. Sets
 * *after to the text that follows it. */
static int leading_pt(parser *p, const char *name, const char *v, unsigned *pt, const char **after)
{
    size_t n = 0;
    while (v[n] && !is_blank(v[n]))
        n++;
    uint64_t x;
    switch (num_n(v, n, 0, 127, &x)) {
    case NUM_OK:
        break;
    case NUM_RANGE:
        return fail(p, "a=%s: payload type %.*s out of range", name, (int)(n > 24 ? 24 : n), v);
    default:
        return fail(p, "a=%s: bad payload type '%.*s'", name, (int)(n > 24 ? 24 : n), v);
    }
    *pt = (unsigned)x;
    *after = v + n;
    return 0;
}

static int attr_rtpmap(parser *p, char *v)
{
    unsigned pt;
    const char *after;
    int err = leading_pt(p, "rtpmap", v, &pt, &after);
    if (err)
        return err;
    mrtc_sdp_codec *c = mrtc_sdp_media_find_codec(p->m, pt);
    if (!c)
        return fail(p, "a=rtpmap: payload type %u not in the m= line", pt);
    if (c->name)
        return fail(p, "a=rtpmap: more than one for payload type %u", pt);
    char *s = v + (after - v);
    char *enc = token(&s);
    if (!enc || token(&s))
        return fail(p, "a=rtpmap: expected <payload type> <encoding>/<clock rate>[/<channels>]");
    char *rate = strchr(enc, '/');
    if (!rate || rate == enc)
        return fail(p, "a=rtpmap: expected <encoding>/<clock rate>");
    *rate++ = '\0';
    char *chan = strchr(rate, '/');
    if (chan)
        *chan++ = '\0';
    uint64_t r, ch = 0;
    err = get_num(p, "a=rtpmap", "clock rate", rate, 1, UINT32_MAX, &r);
    if (!err && chan)
        err = get_num(p, "a=rtpmap", "channel count", chan, 1, UINT16_MAX, &ch);
    if (err)
        return err;
    if (mrtc_sdp_str_set(&c->name, enc))
        return MRTC_ENOMEM;
    c->clock_rate = (uint32_t)r;
    c->channels = (uint16_t)ch;
    return 0;
}

/* Returns 1 when the attribute names a payload type absent from m= (the caller keeps it
 * as an unknown attribute, as browsers ignore it). */
static int attr_fmtp(parser *p, char *v)
{
    unsigned pt;
    const char *after;
    int err = leading_pt(p, "fmtp", v, &pt, &after);
    if (err)
        return err;
    mrtc_sdp_codec *c = mrtc_sdp_media_find_codec(p->m, pt);
    if (!c)
        return 1;
    if (c->fmtp)
        return fail(p, "a=fmtp: more than one for payload type %u", pt);
    char *s = v + (after - v);
    char *params = rest(&s);
    if (!params)
        return fail(p, "a=fmtp: missing parameters for payload type %u", pt);
    return mrtc_sdp_str_set(&c->fmtp, params);
}

static int attr_rtcp_fb(parser *p, char *v)
{
    mrtc_sdp_codec *c = NULL;
    char *s;
    if (v[0] == '*' && (v[1] == '\0' || is_blank(v[1]))) {
        s = v + 1;
    } else {
        unsigned pt;
        const char *after;
        int err = leading_pt(p, "rtcp-fb", v, &pt, &after);
        if (err)
            return err;
        c = mrtc_sdp_media_find_codec(p->m, pt);
        if (!c)
            return 1;
        s = v + (after - v);
    }
    char *type = token(&s), *sub = rest(&s);
    if (!type)
        return fail(p, "a=rtcp-fb: missing feedback type");
    return c ? mrtc_sdp_codec_add_fb(c, type, sub) : mrtc_sdp_media_add_fb_all(p->m, type, sub);
}

static int attr_ssrc(parser *p, char *v)
{
    uint64_t ssrc;
    int err = get_num(p, "a=ssrc", "ssrc", token(&v), 0, UINT32_MAX, &ssrc);
    if (err)
        return err;
    char *a = rest(&v);
    if (!a)
        return fail(p, "a=ssrc: missing attribute");
    char *colon = strchr(a, ':');
    if (colon)
        *colon++ = '\0';
    if (!*a)
        return fail(p, "a=ssrc: missing attribute");
    return mrtc_sdp_media_add_ssrc(p->m, (uint32_t)ssrc, a, colon);
}

static int attr_ssrc_group(parser *p, char *v)
{
    char *sem = token(&v);
    if (!sem)
        return fail(p, "a=ssrc-group: missing semantics");
    uint32_t ssrcs[32];
    size_t n = 0;
    char *t;
    while ((t = token(&v)) != NULL) {
        if (n == sizeof ssrcs / sizeof ssrcs[0])
            return fail(p, "a=ssrc-group: more than %zu SSRCs", n);
        uint64_t x;
        int err = get_num(p, "a=ssrc-group", "ssrc", t, 0, UINT32_MAX, &x);
        if (err)
            return err;
        ssrcs[n++] = (uint32_t)x;
    }
    return mrtc_sdp_media_add_ssrc_group(p->m, sem, ssrcs, n);
}

static int attr_sctp_port(parser *p, char *v)
{
    if (p->m->sctp_port)
        return fail(p, "a=sctp-port: more than one");
    uint64_t port;
    int err = get_num(p, "a=sctp-port", "port", v, 1, 65535, &port);
    if (err)
        return err;
    p->m->sctp_port = (uint16_t)port;
    return 0;
}

static int attr_max_message_size(parser *p, char *v)
{
    if (p->m->has_max_message_size)
        return fail(p, "a=max-message-size: more than one");
    uint64_t size;
    int err = get_num(p, "a=max-message-size", "size", v, 0, UINT64_MAX, &size);
    if (err)
        return err;
    p->m->has_max_message_size = true;
    p->m->max_message_size = size;
    return 0;
}

static int attr_sctpmap(parser *p, char *v)
{
    mrtc_sdp_media *m = p->m;
    if (m->sctpmap_port)
        return fail(p, "a=sctpmap: more than one");
    char *port = token(&v), *app = token(&v), *streams = token(&v);
    if (!app || token(&v))
        return fail(p, "a=sctpmap: expected <port> <protocol> [<streams>]");
    uint64_t n, s = 0;
    int err = get_num(p, "a=sctpmap", "port", port, 1, 65535, &n);
    if (!err && streams)
        err = get_num(p, "a=sctpmap", "streams", streams, 1, UINT32_MAX, &s);
    if (err)
        return err;
    if (mrtc_sdp_str_set(&m->sctpmap_app, app))
        return MRTC_ENOMEM;
    m->sctpmap_port = (uint16_t)n;
    m->sctpmap_streams = (uint32_t)s;
    return 0;
}

enum {
    AT_SESSION = 1, /* typed at session level */
    AT_MEDIA = 2,   /* typed in any media section */
    AT_RTP = 4,     /* typed only in sections with an RTP protocol */
    AT_FLAG = 8,    /* takes no value */
};

typedef int (*attr_fn)(parser *p, char *v);

static const struct {
    const char *name;
    unsigned flags;
    attr_fn fn;
} attr_table[] = {
    {"group", AT_SESSION, attr_group},
    {"msid-semantic", AT_SESSION, attr_msid_semantic},
    {"ice-lite", AT_SESSION | AT_FLAG, attr_ice_lite},
    {"extmap-allow-mixed", AT_SESSION | AT_MEDIA | AT_FLAG, attr_extmap_allow_mixed},
    {"end-of-candidates", AT_SESSION | AT_MEDIA | AT_FLAG, attr_end_of_candidates},
    {"ice-ufrag", AT_SESSION | AT_MEDIA, attr_ice_ufrag},
    {"ice-pwd", AT_SESSION | AT_MEDIA, attr_ice_pwd},
    {"ice-options", AT_SESSION | AT_MEDIA, attr_ice_options},
    {"fingerprint", AT_SESSION | AT_MEDIA, attr_fingerprint},
    {"setup", AT_SESSION | AT_MEDIA, attr_setup},
    {"sendrecv", AT_SESSION | AT_MEDIA | AT_FLAG, attr_sendrecv},
    {"sendonly", AT_SESSION | AT_MEDIA | AT_FLAG, attr_sendonly},
    {"recvonly", AT_SESSION | AT_MEDIA | AT_FLAG, attr_recvonly},
    {"inactive", AT_SESSION | AT_MEDIA | AT_FLAG, attr_inactive},
    {"extmap", AT_SESSION | AT_MEDIA, attr_extmap},
    {"rtcp", AT_MEDIA, attr_rtcp},
    {"mid", AT_MEDIA, attr_mid},
    {"candidate", AT_MEDIA, attr_candidate},
    {"msid", AT_MEDIA, attr_msid},
    {"rtcp-mux", AT_MEDIA | AT_FLAG, attr_rtcp_mux},
    {"rtcp-mux-only", AT_MEDIA | AT_FLAG, attr_rtcp_mux_only},
    {"rtcp-rsize", AT_MEDIA | AT_FLAG, attr_rtcp_rsize},
    {"rtpmap", AT_RTP, attr_rtpmap},
    {"fmtp", AT_RTP, attr_fmtp},
    {"rtcp-fb", AT_RTP, attr_rtcp_fb},
    {"ssrc", AT_MEDIA, attr_ssrc},
    {"ssrc-group", AT_MEDIA, attr_ssrc_group},
    {"sctp-port", AT_MEDIA, attr_sctp_port},
    {"max-message-size", AT_MEDIA, attr_max_message_size},
    {"sctpmap", AT_MEDIA, attr_sctpmap},
};

static int parse_attribute(parser *p, char *v)
{
    char *name = v, *value = NULL;
    char *colon = strchr(v, ':');
    if (colon) {
        *colon = '\0';
        value = colon + 1;
    }
    if (!*name)
        return fail(p, "a=: empty attribute name");
    for (size_t i = 0; i < sizeof attr_table / sizeof attr_table[0]; i++) {
        unsigned f = attr_table[i].flags;
        if (strcmp(name, attr_table[i].name) != 0)
            continue;
        bool typed = p->m ? (f & AT_MEDIA) || ((f & AT_RTP) && p->m_rtp) : (f & AT_SESSION);
        if (!typed)
            break;
        if ((f & AT_FLAG) && value)
            return fail(p, "a=%s: takes no value", name);
        if (!(f & AT_FLAG) && !value)
            return fail(p, "a=%s: missing value", name);
        /* The handlers may tokenize the value in place; the ones that can return 1
         * ("keep it as unknown") do so before touching it. */
        int r = attr_table[i].fn(p, value);
        if (r <= 0)
            return r;
        break;
    }
    return p->m ? mrtc_sdp_media_add_attr(p->m, name, value)
                : mrtc_sdp_add_attr(p->sdp, name, value);
}

/* ---- Lines -------------------------------------------------------------------------- */

static int parse_line(parser *p, char type, char *v)
{
    if (p->lineno == 1) {
        if (type != 'v')
            return fail(p, "first line must be v=0");
        if (strcmp(v, "0") != 0)
            return fail(p, "v=: unsupported version '%.16s'", v);
        return 0;
    }
    const char *allowed = p->m ? "icbkam" : "osiuepcbtrzkam";
    if (!strchr("vosiuepcbtrzkam", type))
        return fail(p, "unknown line type '%c' (RFC 8866 5: the description is refused)", type);
    if (!strchr(allowed, type))
        return fail(p, "%c= line not allowed %s", type,
                    p->m ? "in a media section" : "after the first line");
    switch (type) {
    case 'o':
        return parse_origin(p, v);
    case 's':
        if (p->seen_s)
            return fail(p, "s=: more than one s= line");
        p->seen_s = true;
        return mrtc_sdp_str_set(&p->sdp->name, v);
    case 'c':
        return parse_conn(p, v);
    case 'b':
        return parse_bandwidth(p, v);
    case 't':
        return parse_time(p, v);
    case 'a':
        return parse_attribute(p, v);
    case 'm':
        return parse_media(p, v);
    default: /* i u e p r z k: kept as text */
        return add_line(p, type, v);
    }
}

static bool only_newlines(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int parse_all(parser *p, char *copy, size_t len)
{
    size_t pos = 0;
    while (pos < len || p->lineno == 0) {
        char *nl = memchr(copy + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - copy) : len;
        size_t next = nl ? end + 1 : len;
        size_t line_end = end;
        if (line_end > pos && copy[line_end - 1] == '\r')
            line_end--;
        p->lineno++;
        p->line_off = pos;
        p->line_len = line_end - pos;
        if (p->lineno > MRTC_SDP_MAX_LINES)
            return fail(p, "too many lines (limit %d)", MRTC_SDP_MAX_LINES);
        char *line = copy + pos;
        if (p->line_len == 0) {
            if (p->lineno > 1 && only_newlines(line, len - pos))
                break; /* trailing empty lines */
            return fail(p, p->lineno == 1 ? "first line must be v=0" : "empty line");
        }
        if (memchr(line, '\0', p->line_len))
            return fail(p, "NUL byte in line");
        if (memchr(line, '\r', p->line_len))
            return fail(p, "CR byte inside a line");
        line[p->line_len] = '\0';
        if (p->line_len < 2 || line[1] != '=')
            return fail(p, p->lineno == 1 ? "first line must be v=0" : "expected <type>=<value>");
        int err = parse_line(p, line[0], line + 2);
        if (err)
            return err;
        pos = next;
    }
    p->lineno = 0;
    if (!p->seen_o)
        return fail(p, "missing o= line");
    if (!p->seen_s)
        return fail(p, "missing s= line");
    return 0;
}

int mrtc_sdp_parse(const char *text, size_t len, mrtc_sdp **out, mrtc_sdp_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if ((!text && len) || !out)
        return MRTC_EINVAL;
    if (!text)
        text = "";
    parser p = {.err = err, .text = text};
    if (len > MRTC_SDP_MAX_LEN)
        return fail(&p, "description too large (%zu bytes, limit %d)", len, MRTC_SDP_MAX_LEN);
    char *copy = mrtc_malloc(len + 1);
    p.sdp = mrtc_calloc(1, sizeof *p.sdp);
    int rc = MRTC_ENOMEM;
    if (copy && p.sdp) {
        if (len)
            memcpy(copy, text, len);
        copy[len] = '\0';
        rc = parse_all(&p, copy, len);
    }
    if (rc == MRTC_ENOMEM && err)
        snprintf(err->message, sizeof err->message, "out of memory");
    mrtc_free(copy);
    if (rc) {
        mrtc_sdp_free(p.sdp);
        return rc;
    }
    *out = p.sdp;
    return 0;
}
