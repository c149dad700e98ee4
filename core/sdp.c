/*
 * The SDP data model (see sdp.h): construction, deep copy and release. Lookups and names
 * are in sdp_lookup.c, parsing in sdp_parse.c, writing in sdp_write.c.
 *
 * Arrays carry no capacity field: the capacity is implied by the count (4, then the next
 * power of two), so an array grows only here and a copy allocates the same capacity.
 * Nothing here checks JSEP rules (BUNDLE consistency, codec negotiation): that is the JSEP
 * layer's job.
 */
#include "core/sdp.h"

#include "core/util/alloc.h"
#include "meshrtc/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- Arrays ------------------------------------------------------------------------- */

static size_t vec_cap(size_t count)
{
    size_t cap = 4;
    while (cap < count)
        cap *= 2;
    return cap;
}

/* Makes room for element `count` (the next one) of an array of `count` elements.
 * Returns the possibly moved array, or NULL when out of memory (the old one stays). */
static void *vec_reserve(void *items, size_t count, size_t elem)
{
    if (items && count != 0 && (count < 4 || (count & (count - 1)) != 0))
        return items;
    size_t cap = count < 4 ? 4 : count * 2;
    return mrtc_realloc(items, cap * elem);
}

/* A zeroed array with room for `count` elements (NULL for none, or when out of memory). */
static void *vec_alloc(size_t count, size_t elem)
{
    if (count == 0)
        return NULL;
    return mrtc_calloc(vec_cap(count), elem);
}

/* ---- Strings ------------------------------------------------------------------------ */

int mrtc_sdp_str_set(char **field, const char *value)
{
    char *copy = NULL;
    if (value) {
        copy = mrtc_strdup(value);
        if (!copy)
            return MRTC_ENOMEM;
    }
    mrtc_free(*field);
    *field = copy;
    return 0;
}

/* Copies src into an empty *dst; 0 or MRTC_ENOMEM. */
static int copy_str(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = mrtc_strdup(src);
    return *dst ? 0 : MRTC_ENOMEM;
}

int mrtc_sdp_strlist_add(mrtc_sdp_strlist *list, const char *s)
{
    char **items = vec_reserve(list->items, list->count, sizeof *items);
    if (!items)
        return MRTC_ENOMEM;
    list->items = items;
    char *copy = mrtc_strdup(s ? s : "");
    if (!copy)
        return MRTC_ENOMEM;
    list->items[list->count++] = copy;
    return 0;
}

void mrtc_sdp_strlist_clear(mrtc_sdp_strlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        mrtc_free(list->items[i]);
    mrtc_free(list->items);
    list->items = NULL;
    list->count = 0;
}

bool mrtc_sdp_strlist_has(const mrtc_sdp_strlist *list, const char *s)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], s) == 0)
            return true;
    return false;
}

static int copy_strlist(mrtc_sdp_strlist *dst, const mrtc_sdp_strlist *src)
{
    dst->items = vec_alloc(src->count, sizeof *dst->items);
    if (src->count && !dst->items)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < src->count; i++) {
        dst->count = i + 1;
        if (copy_str(&dst->items[i], src->items[i]))
            return MRTC_ENOMEM;
    }
    return 0;
}

/* ---- Release ------------------------------------------------------------------------ */

static void free_conn(mrtc_sdp_conn *c)
{
    mrtc_free(c->nettype);
    mrtc_free(c->addrtype);
    mrtc_free(c->address);
}

static void free_lines(mrtc_sdp_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mrtc_free(lines[i].value);
    mrtc_free(lines);
}

static void free_attrs(mrtc_sdp_attr *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mrtc_free(a[i].name);
        mrtc_free(a[i].value);
    }
    mrtc_free(a);
}

static void free_bandwidths(mrtc_sdp_bandwidth *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mrtc_free(b[i].type);
    mrtc_free(b);
}

static void free_extmaps(mrtc_sdp_extmap *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mrtc_free(e[i].uri);
        mrtc_free(e[i].attrs);
    }
    mrtc_free(e);
}

static void free_fbs(mrtc_sdp_rtcp_fb *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mrtc_free(f[i].type);
        mrtc_free(f[i].subtype);
    }
    mrtc_free(f);
}

static void free_transport(mrtc_sdp_transport *t)
{
    mrtc_free(t->ice_ufrag);
    mrtc_free(t->ice_pwd);
    mrtc_sdp_strlist_clear(&t->ice_options);
    for (size_t i = 0; i < t->fingerprint_count; i++) {
        mrtc_free(t->fingerprints[i].hash);
        mrtc_free(t->fingerprints[i].value);
    }
    mrtc_free(t->fingerprints);
}

static void free_codec(mrtc_sdp_codec *c)
{
    mrtc_free(c->name);
    mrtc_free(c->fmtp);
    free_fbs(c->fbs, c->fb_count);
}

static void free_media(mrtc_sdp_media *m)
{
    if (!m)
        return;
    mrtc_free(m->type);
    mrtc_free(m->proto);
    for (size_t i = 0; i < m->codec_count; i++)
        free_codec(&m->codecs[i]);
    mrtc_free(m->codecs);
    mrtc_sdp_strlist_clear(&m->fmts);
    free_lines(m->lines, m->line_count);
    free_conn(&m->conn);
    free_bandwidths(m->bandwidths, m->bandwidth_count);
    free_conn(&m->rtcp_conn);
    mrtc_sdp_strlist_clear(&m->candidates);
    free_transport(&m->transport);
    mrtc_free(m->mid);
    free_extmaps(m->extmaps, m->extmap_count);
    for (size_t i = 0; i < m->msid_count; i++) {
        mrtc_free(m->msids[i].stream);
        mrtc_free(m->msids[i].track);
    }
    mrtc_free(m->msids);
    free_fbs(m->fbs_all, m->fb_all_count);
    for (size_t i = 0; i < m->ssrc_group_count; i++) {
        mrtc_free(m->ssrc_groups[i].semantics);
        mrtc_free(m->ssrc_groups[i].ssrcs);
    }
    mrtc_free(m->ssrc_groups);
    for (size_t i = 0; i < m->ssrc_count; i++) {
        mrtc_free(m->ssrcs[i].attr);
        mrtc_free(m->ssrcs[i].value);
    }
    mrtc_free(m->ssrcs);
    mrtc_free(m->sctpmap_app);
    free_attrs(m->attrs, m->attr_count);
    mrtc_free(m);
}

void mrtc_sdp_free(mrtc_sdp *sdp)
{
    if (!sdp)
        return;
    for (size_t i = sdp->media_count; i > 0; i--)
        free_media(sdp->media[i - 1]);
    mrtc_free(sdp->media);
    free_attrs(sdp->attrs, sdp->attr_count);
    free_extmaps(sdp->extmaps, sdp->extmap_count);
    free_transport(&sdp->transport);
    mrtc_free(sdp->msid_semantic);
    mrtc_sdp_strlist_clear(&sdp->msid_semantic_ids);
    for (size_t i = 0; i < sdp->group_count; i++) {
        mrtc_free(sdp->groups[i].semantics);
        mrtc_sdp_strlist_clear(&sdp->groups[i].mids);
    }
    mrtc_free(sdp->groups);
    free_bandwidths(sdp->bandwidths, sdp->bandwidth_count);
    free_conn(&sdp->conn);
    free_lines(sdp->lines, sdp->line_count);
    mrtc_free(sdp->name);
    mrtc_free(sdp->origin.username);
    mrtc_free(sdp->origin.sess_id);
    mrtc_free(sdp->origin.nettype);
    mrtc_free(sdp->origin.addrtype);
    mrtc_free(sdp->origin.address);
    mrtc_free(sdp);
}

/* ---- Builders ----------------------------------------------------------------------- */

mrtc_sdp *mrtc_sdp_new(void)
{
    mrtc_sdp *sdp = mrtc_calloc(1, sizeof *sdp);
    if (!sdp)
        return NULL;
    if (mrtc_sdp_set_origin(sdp, "-", 0, 0, "IP4", "127.0.0.1") ||
        mrtc_sdp_str_set(&sdp->name, "-")) {
        mrtc_sdp_free(sdp);
        return NULL;
    }
    return sdp;
}

/* Sets three owned strings at once, all or nothing. */
static int set3(char **a, const char *va, char **b, const char *vb, char **c, const char *vc)
{
    char *na = NULL, *nb = NULL, *nc = NULL;
    if (copy_str(&na, va) || copy_str(&nb, vb) || copy_str(&nc, vc)) {
        mrtc_free(na);
        mrtc_free(nb);
        mrtc_free(nc);
        return MRTC_ENOMEM;
    }
    mrtc_free(*a);
    mrtc_free(*b);
    mrtc_free(*c);
    *a = na;
    *b = nb;
    *c = nc;
    return 0;
}

int mrtc_sdp_set_origin(mrtc_sdp *sdp, const char *username, uint64_t sess_id,
                        uint64_t sess_version, const char *addrtype, const char *address)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, sess_id);
    char *nettype = NULL, *addr = NULL;
    if (copy_str(&nettype, "IN") || copy_str(&addr, address) ||
        set3(&sdp->origin.username, username, &sdp->origin.sess_id, id, &sdp->origin.addrtype,
             addrtype)) {
        mrtc_free(nettype);
        mrtc_free(addr);
        return MRTC_ENOMEM;
    }
    mrtc_free(sdp->origin.nettype);
    mrtc_free(sdp->origin.address);
    sdp->origin.nettype = nettype;
    sdp->origin.address = addr;
    sdp->origin.sess_version = sess_version;
    return 0;
}

int mrtc_sdp_conn_set(mrtc_sdp_conn *conn, const char *addrtype, const char *address)
{
    if (!addrtype || !address)
        return MRTC_EINVAL;
    return set3(&conn->nettype, "IN", &conn->addrtype, addrtype, &conn->address, address);
}

int mrtc_sdp_add_group(mrtc_sdp *sdp, const char *semantics, const char *const *mids,
                       size_t mid_count)
{
    mrtc_sdp_group *groups = vec_reserve(sdp->groups, sdp->group_count, sizeof *groups);
    if (!groups)
        return MRTC_ENOMEM;
    sdp->groups = groups;
    mrtc_sdp_group g = {0};
    if (copy_str(&g.semantics, semantics ? semantics : ""))
        return MRTC_ENOMEM;
    for (size_t i = 0; i < mid_count; i++) {
        if (mrtc_sdp_strlist_add(&g.mids, mids[i])) {
            mrtc_free(g.semantics);
            mrtc_sdp_strlist_clear(&g.mids);
            return MRTC_ENOMEM;
        }
    }
    sdp->groups[sdp->group_count++] = g;
    return 0;
}

int mrtc_sdp_set_msid_semantic(mrtc_sdp *sdp, const char *semantic, const char *const *ids,
                               size_t id_count)
{
    mrtc_sdp_strlist list = {0};
    for (size_t i = 0; i < id_count; i++) {
        if (mrtc_sdp_strlist_add(&list, ids[i])) {
            mrtc_sdp_strlist_clear(&list);
            return MRTC_ENOMEM;
        }
    }
    if (mrtc_sdp_str_set(&sdp->msid_semantic, semantic)) {
        mrtc_sdp_strlist_clear(&list);
        return MRTC_ENOMEM;
    }
    mrtc_sdp_strlist_clear(&sdp->msid_semantic_ids);
    sdp->msid_semantic_ids = list;
    sdp->msid_semantic_space = true;
    return 0;
}

static int add_bandwidth(mrtc_sdp_bandwidth **arr, size_t *count, const char *type, uint64_t value)
{
    mrtc_sdp_bandwidth *b = vec_reserve(*arr, *count, sizeof *b);
    if (!b)
        return MRTC_ENOMEM;
    *arr = b;
    char *t = mrtc_strdup(type ? type : "");
    if (!t)
        return MRTC_ENOMEM;
    b[*count] = (mrtc_sdp_bandwidth){.type = t, .value = value};
    (*count)++;
    return 0;
}

int mrtc_sdp_add_bandwidth(mrtc_sdp *sdp, const char *type, uint64_t value)
{
    return add_bandwidth(&sdp->bandwidths, &sdp->bandwidth_count, type, value);
}

int mrtc_sdp_media_add_bandwidth(mrtc_sdp_media *m, const char *type, uint64_t value)
{
    return add_bandwidth(&m->bandwidths, &m->bandwidth_count, type, value);
}

static int add_line(mrtc_sdp_line **arr, size_t *count, char type, const char *value)
{
    mrtc_sdp_line *l = vec_reserve(*arr, *count, sizeof *l);
    if (!l)
        return MRTC_ENOMEM;
    *arr = l;
    char *v = mrtc_strdup(value ? value : "");
    if (!v)
        return MRTC_ENOMEM;
    l[(*count)++] = (mrtc_sdp_line){.type = type, .value = v};
    return 0;
}

int mrtc_sdp_add_line(mrtc_sdp *sdp, char type, const char *value)
{
    return add_line(&sdp->lines, &sdp->line_count, type, value);
}

int mrtc_sdp_media_add_line(mrtc_sdp_media *m, char type, const char *value)
{
    return add_line(&m->lines, &m->line_count, type, value);
}

static int add_attr(mrtc_sdp_attr **arr, size_t *count, const char *name, const char *value)
{
    mrtc_sdp_attr *a = vec_reserve(*arr, *count, sizeof *a);
    if (!a)
        return MRTC_ENOMEM;
    *arr = a;
    mrtc_sdp_attr na = {0};
    if (copy_str(&na.name, name ? name : "") || copy_str(&na.value, value)) {
        mrtc_free(na.name);
        return MRTC_ENOMEM;
    }
    a[(*count)++] = na;
    return 0;
}

int mrtc_sdp_add_attr(mrtc_sdp *sdp, const char *name, const char *value)
{
    return add_attr(&sdp->attrs, &sdp->attr_count, name, value);
}

int mrtc_sdp_media_add_attr(mrtc_sdp_media *m, const char *name, const char *value)
{
    return add_attr(&m->attrs, &m->attr_count, name, value);
}

static int add_extmap(mrtc_sdp_extmap **arr, size_t *count, unsigned id, const char *uri,
                      mrtc_sdp_extmap **out)
{
    if (id < 1 || id > 255 || !uri)
        return MRTC_EINVAL;
    for (size_t i = 0; i < *count; i++)
        if ((*arr)[i].id == id)
            return MRTC_EINVAL;
    mrtc_sdp_extmap *e = vec_reserve(*arr, *count, sizeof *e);
    if (!e)
        return MRTC_ENOMEM;
    *arr = e;
    char *u = mrtc_strdup(uri);
    if (!u)
        return MRTC_ENOMEM;
    e[*count] = (mrtc_sdp_extmap){.id = (uint16_t)id, .uri = u};
    if (out)
        *out = &e[*count];
    (*count)++;
    return 0;
}

int mrtc_sdp_add_extmap(mrtc_sdp *sdp, unsigned id, const char *uri, mrtc_sdp_extmap **out)
{
    return add_extmap(&sdp->extmaps, &sdp->extmap_count, id, uri, out);
}

int mrtc_sdp_media_add_extmap(mrtc_sdp_media *m, unsigned id, const char *uri,
                              mrtc_sdp_extmap **out)
{
    return add_extmap(&m->extmaps, &m->extmap_count, id, uri, out);
}

int mrtc_sdp_transport_set_ice(mrtc_sdp_transport *t, const char *ufrag, const char *pwd)
{
    char *u = NULL, *p = NULL;
    if (copy_str(&u, ufrag) || copy_str(&p, pwd)) {
        mrtc_free(u);
        return MRTC_ENOMEM;
    }
    mrtc_free(t->ice_ufrag);
    mrtc_free(t->ice_pwd);
    t->ice_ufrag = u;
    t->ice_pwd = p;
    return 0;
}

int mrtc_sdp_transport_add_fingerprint(mrtc_sdp_transport *t, const char *hash, const char *value)
{
    if (!hash || !value)
        return MRTC_EINVAL;
    mrtc_sdp_fingerprint *f = vec_reserve(t->fingerprints, t->fingerprint_count, sizeof *f);
    if (!f)
        return MRTC_ENOMEM;
    t->fingerprints = f;
    mrtc_sdp_fingerprint nf = {0};
    if (copy_str(&nf.hash, hash) || copy_str(&nf.value, value)) {
        mrtc_free(nf.hash);
        return MRTC_ENOMEM;
    }
    f[t->fingerprint_count++] = nf;
    return 0;
}

static mrtc_sdp_media_kind kind_of(const char *type)
{
    if (strcmp(type, "audio") == 0)
        return MRTC_SDP_AUDIO;
    if (strcmp(type, "video") == 0)
        return MRTC_SDP_VIDEO;
    if (strcmp(type, "application") == 0)
        return MRTC_SDP_APPLICATION;
    return MRTC_SDP_OTHER;
}

mrtc_sdp_media *mrtc_sdp_add_media(mrtc_sdp *sdp, const char *type, uint16_t port,
                                   const char *proto)
{
    if (!type || !proto || sdp->media_count >= MRTC_SDP_MAX_MEDIA)
        return NULL;
    mrtc_sdp_media **arr = vec_reserve(sdp->media, sdp->media_count, sizeof *arr);
    if (!arr)
        return NULL;
    sdp->media = arr;
    mrtc_sdp_media *m = mrtc_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (copy_str(&m->type, type) || copy_str(&m->proto, proto)) {
        free_media(m);
        return NULL;
    }
    m->kind = kind_of(type);
    m->port = port;
    m->direction = MRTC_SDP_SENDRECV;
    sdp->media[sdp->media_count++] = m;
    return m;
}

int mrtc_sdp_media_add_codec(mrtc_sdp_media *m, unsigned pt, const char *name, uint32_t clock_rate,
                             unsigned channels, mrtc_sdp_codec **out)
{
    if (pt > 127 || channels > UINT16_MAX || mrtc_sdp_media_find_codec(m, pt))
        return MRTC_EINVAL;
    mrtc_sdp_codec *c = vec_reserve(m->codecs, m->codec_count, sizeof *c);
    if (!c)
        return MRTC_ENOMEM;
    m->codecs = c;
    mrtc_sdp_codec nc = {
        .pt = (uint8_t)pt, .clock_rate = clock_rate, .channels = (uint16_t)channels};
    if (copy_str(&nc.name, name))
        return MRTC_ENOMEM;
    c[m->codec_count] = nc;
    if (out)
        *out = &c[m->codec_count];
    m->codec_count++;
    return 0;
}

static int add_fb(mrtc_sdp_rtcp_fb **arr, size_t *count, const char *type, const char *sub)
{
    mrtc_sdp_rtcp_fb *f = vec_reserve(*arr, *count, sizeof *f);
    if (!f)
        return MRTC_ENOMEM;
    *arr = f;
    mrtc_sdp_rtcp_fb nf = {0};
    if (copy_str(&nf.type, type ? type : "") || copy_str(&nf.subtype, sub)) {
        mrtc_free(nf.type);
        return MRTC_ENOMEM;
    }
    f[(*count)++] = nf;
    return 0;
}

int mrtc_sdp_codec_add_fb(mrtc_sdp_codec *c, const char *type, const char *subtype)
{
    return add_fb(&c->fbs, &c->fb_count, type, subtype);
}

int mrtc_sdp_media_add_fb_all(mrtc_sdp_media *m, const char *type, const char *subtype)
{
    return add_fb(&m->fbs_all, &m->fb_all_count, type, subtype);
}

int mrtc_sdp_media_add_fmt(mrtc_sdp_media *m, const char *fmt)
{
    return mrtc_sdp_strlist_add(&m->fmts, fmt);
}

int mrtc_sdp_media_set_rtcp(mrtc_sdp_media *m, uint16_t port, const char *addrtype,
                            const char *address)
{
    if (addrtype && address) {
        int err = mrtc_sdp_conn_set(&m->rtcp_conn, addrtype, address);
        if (err)
            return err;
    } else {
        free_conn(&m->rtcp_conn);
        m->rtcp_conn = (mrtc_sdp_conn){0};
    }
    m->has_rtcp = true;
    m->rtcp_port = port;
    return 0;
}

int mrtc_sdp_media_add_candidate(mrtc_sdp_media *m, const char *candidate)
{
    return mrtc_sdp_strlist_add(&m->candidates, candidate);
}

void mrtc_sdp_media_set_direction(mrtc_sdp_media *m, mrtc_sdp_direction dir)
{
    m->direction = dir;
    m->direction_explicit = true;
}

int mrtc_sdp_media_add_msid(mrtc_sdp_media *m, const char *stream, const char *track)
{
    mrtc_sdp_msid *a = vec_reserve(m->msids, m->msid_count, sizeof *a);
    if (!a)
        return MRTC_ENOMEM;
    m->msids = a;
    mrtc_sdp_msid n = {0};
    if (copy_str(&n.stream, stream ? stream : "-") || copy_str(&n.track, track)) {
        mrtc_free(n.stream);
        return MRTC_ENOMEM;
    }
    a[m->msid_count++] = n;
    return 0;
}

int mrtc_sdp_media_add_ssrc(mrtc_sdp_media *m, uint32_t ssrc, const char *attr, const char *value)
{
    mrtc_sdp_ssrc *a = vec_reserve(m->ssrcs, m->ssrc_count, sizeof *a);
    if (!a)
        return MRTC_ENOMEM;
    m->ssrcs = a;
    mrtc_sdp_ssrc n = {.ssrc = ssrc};
    if (copy_str(&n.attr, attr ? attr : "") || copy_str(&n.value, value)) {
        mrtc_free(n.attr);
        return MRTC_ENOMEM;
    }
    a[m->ssrc_count++] = n;
    return 0;
}

int mrtc_sdp_media_add_ssrc_group(mrtc_sdp_media *m, const char *semantics, const uint32_t *ssrcs,
                                  size_t count)
{
    mrtc_sdp_ssrc_group *a = vec_reserve(m->ssrc_groups, m->ssrc_group_count, sizeof *a);
    if (!a)
        return MRTC_ENOMEM;
    m->ssrc_groups = a;
    mrtc_sdp_ssrc_group n = {.count = count};
    if (copy_str(&n.semantics, semantics ? semantics : ""))
        return MRTC_ENOMEM;
    if (count) {
        n.ssrcs = mrtc_memdup(ssrcs, count * sizeof *ssrcs);
        if (!n.ssrcs) {
            mrtc_free(n.semantics);
            return MRTC_ENOMEM;
        }
    }
    a[m->ssrc_group_count++] = n;
    return 0;
}

/* ---- Deep copy ---------------------------------------------------------------------- */

static int copy_conn(mrtc_sdp_conn *d, const mrtc_sdp_conn *s)
{
    if (copy_str(&d->nettype, s->nettype) || copy_str(&d->addrtype, s->addrtype) ||
        copy_str(&d->address, s->address))
        return MRTC_ENOMEM;
    return 0;
}

static int copy_lines(mrtc_sdp_line **d, size_t *dn, const mrtc_sdp_line *s, size_t n)
{
    *d = vec_alloc(n, sizeof **d);
    if (n && !*d)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        *dn = i + 1;
        (*d)[i].type = s[i].type;
        if (copy_str(&(*d)[i].value, s[i].value))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_attrs(mrtc_sdp_attr **d, size_t *dn, const mrtc_sdp_attr *s, size_t n)
{
    *d = vec_alloc(n, sizeof **d);
    if (n && !*d)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        *dn = i + 1;
        if (copy_str(&(*d)[i].name, s[i].name) || copy_str(&(*d)[i].value, s[i].value))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_bandwidths(mrtc_sdp_bandwidth **d, size_t *dn, const mrtc_sdp_bandwidth *s,
                           size_t n)
{
    *d = vec_alloc(n, sizeof **d);
    if (n && !*d)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        *dn = i + 1;
        (*d)[i].value = s[i].value;
        if (copy_str(&(*d)[i].type, s[i].type))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_extmaps(mrtc_sdp_extmap **d, size_t *dn, const mrtc_sdp_extmap *s, size_t n)
{
    *d = vec_alloc(n, sizeof **d);
    if (n && !*d)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        *dn = i + 1;
        (*d)[i] = s[i];
        (*d)[i].uri = NULL;
        (*d)[i].attrs = NULL;
        if (copy_str(&(*d)[i].uri, s[i].uri) || copy_str(&(*d)[i].attrs, s[i].attrs))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_fbs(mrtc_sdp_rtcp_fb **d, size_t *dn, const mrtc_sdp_rtcp_fb *s, size_t n)
{
    *d = vec_alloc(n, sizeof **d);
    if (n && !*d)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        *dn = i + 1;
        if (copy_str(&(*d)[i].type, s[i].type) || copy_str(&(*d)[i].subtype, s[i].subtype))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_transport(mrtc_sdp_transport *d, const mrtc_sdp_transport *s)
{
    d->setup = s->setup;
    if (copy_str(&d->ice_ufrag, s->ice_ufrag) || copy_str(&d->ice_pwd, s->ice_pwd) ||
        copy_strlist(&d->ice_options, &s->ice_options))
        return MRTC_ENOMEM;
    size_t n = s->fingerprint_count;
    d->fingerprints = vec_alloc(n, sizeof *d->fingerprints);
    if (n && !d->fingerprints)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->fingerprint_count = i + 1;
        if (copy_str(&d->fingerprints[i].hash, s->fingerprints[i].hash) ||
            copy_str(&d->fingerprints[i].value, s->fingerprints[i].value))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_codecs(mrtc_sdp_media *d, const mrtc_sdp_media *s)
{
    size_t n = s->codec_count;
    d->codecs = vec_alloc(n, sizeof *d->codecs);
    if (n && !d->codecs)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        mrtc_sdp_codec *dc = &d->codecs[i];
        const mrtc_sdp_codec *sc = &s->codecs[i];
        d->codec_count = i + 1;
        dc->pt = sc->pt;
        dc->clock_rate = sc->clock_rate;
        dc->channels = sc->channels;
        if (copy_str(&dc->name, sc->name) || copy_str(&dc->fmtp, sc->fmtp) ||
            copy_fbs(&dc->fbs, &dc->fb_count, sc->fbs, sc->fb_count))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_ssrcs(mrtc_sdp_media *d, const mrtc_sdp_media *s)
{
    size_t n = s->ssrc_count;
    d->ssrcs = vec_alloc(n, sizeof *d->ssrcs);
    if (n && !d->ssrcs)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->ssrc_count = i + 1;
        d->ssrcs[i].ssrc = s->ssrcs[i].ssrc;
        if (copy_str(&d->ssrcs[i].attr, s->ssrcs[i].attr) ||
            copy_str(&d->ssrcs[i].value, s->ssrcs[i].value))
            return MRTC_ENOMEM;
    }
    n = s->ssrc_group_count;
    d->ssrc_groups = vec_alloc(n, sizeof *d->ssrc_groups);
    if (n && !d->ssrc_groups)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const mrtc_sdp_ssrc_group *sg = &s->ssrc_groups[i];
        mrtc_sdp_ssrc_group *dg = &d->ssrc_groups[i];
        d->ssrc_group_count = i + 1;
        if (copy_str(&dg->semantics, sg->semantics))
            return MRTC_ENOMEM;
        if (sg->count) {
            dg->ssrcs = mrtc_memdup(sg->ssrcs, sg->count * sizeof *sg->ssrcs);
            if (!dg->ssrcs)
                return MRTC_ENOMEM;
            dg->count = sg->count;
        }
    }
    return 0;
}

static int copy_media(mrtc_sdp_media *d, const mrtc_sdp_media *s)
{
    d->kind = s->kind;
    d->port = s->port;
    d->port_count = s->port_count;
    d->has_rtcp = s->has_rtcp;
    d->rtcp_port = s->rtcp_port;
    d->end_of_candidates = s->end_of_candidates;
    d->extmap_allow_mixed = s->extmap_allow_mixed;
    d->direction = s->direction;
    d->direction_explicit = s->direction_explicit;
    d->rtcp_mux = s->rtcp_mux;
    d->rtcp_mux_only = s->rtcp_mux_only;
    d->rtcp_rsize = s->rtcp_rsize;
    d->sctp_port = s->sctp_port;
    d->has_max_message_size = s->has_max_message_size;
    d->max_message_size = s->max_message_size;
    d->sctpmap_port = s->sctpmap_port;
    d->sctpmap_streams = s->sctpmap_streams;
    if (copy_str(&d->type, s->type) || copy_str(&d->proto, s->proto) || copy_codecs(d, s) ||
        copy_strlist(&d->fmts, &s->fmts) ||
        copy_lines(&d->lines, &d->line_count, s->lines, s->line_count) ||
        copy_conn(&d->conn, &s->conn) ||
        copy_bandwidths(&d->bandwidths, &d->bandwidth_count, s->bandwidths, s->bandwidth_count) ||
        copy_conn(&d->rtcp_conn, &s->rtcp_conn) || copy_strlist(&d->candidates, &s->candidates) ||
        copy_transport(&d->transport, &s->transport) || copy_str(&d->mid, s->mid) ||
        copy_extmaps(&d->extmaps, &d->extmap_count, s->extmaps, s->extmap_count) ||
        copy_fbs(&d->fbs_all, &d->fb_all_count, s->fbs_all, s->fb_all_count) || copy_ssrcs(d, s) ||
        copy_str(&d->sctpmap_app, s->sctpmap_app) ||
        copy_attrs(&d->attrs, &d->attr_count, s->attrs, s->attr_count))
        return MRTC_ENOMEM;
    size_t n = s->msid_count;
    d->msids = vec_alloc(n, sizeof *d->msids);
    if (n && !d->msids)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->msid_count = i + 1;
        if (copy_str(&d->msids[i].stream, s->msids[i].stream) ||
            copy_str(&d->msids[i].track, s->msids[i].track))
            return MRTC_ENOMEM;
    }
    return 0;
}

static int copy_session(mrtc_sdp *d, const mrtc_sdp *s)
{
    const mrtc_sdp_origin *o = &s->origin;
    d->origin.sess_version = o->sess_version;
    d->time_start = s->time_start;
    d->time_stop = s->time_stop;
    d->extmap_allow_mixed = s->extmap_allow_mixed;
    d->msid_semantic_space = s->msid_semantic_space;
    d->ice_lite = s->ice_lite;
    d->end_of_candidates = s->end_of_candidates;
    d->direction = s->direction;
    d->direction_explicit = s->direction_explicit;
    if (copy_str(&d->origin.username, o->username) || copy_str(&d->origin.sess_id, o->sess_id) ||
        copy_str(&d->origin.nettype, o->nettype) || copy_str(&d->origin.addrtype, o->addrtype) ||
        copy_str(&d->origin.address, o->address) || copy_str(&d->name, s->name) ||
        copy_lines(&d->lines, &d->line_count, s->lines, s->line_count) ||
        copy_conn(&d->conn, &s->conn) ||
        copy_bandwidths(&d->bandwidths, &d->bandwidth_count, s->bandwidths, s->bandwidth_count) ||
        copy_str(&d->msid_semantic, s->msid_semantic) ||
        copy_strlist(&d->msid_semantic_ids, &s->msid_semantic_ids) ||
        copy_transport(&d->transport, &s->transport) ||
        copy_extmaps(&d->extmaps, &d->extmap_count, s->extmaps, s->extmap_count) ||
        copy_attrs(&d->attrs, &d->attr_count, s->attrs, s->attr_count))
        return MRTC_ENOMEM;
    size_t n = s->group_count;
    d->groups = vec_alloc(n, sizeof *d->groups);
    if (n && !d->groups)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->group_count = i + 1;
        if (copy_str(&d->groups[i].semantics, s->groups[i].semantics) ||
            copy_strlist(&d->groups[i].mids, &s->groups[i].mids))
            return MRTC_ENOMEM;
    }
    n = s->media_count;
    d->media = vec_alloc(n, sizeof *d->media);
    if (n && !d->media)
        return MRTC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        d->media[i] = mrtc_calloc(1, sizeof *d->media[i]);
        if (!d->media[i])
            return MRTC_ENOMEM;
        d->media_count = i + 1;
        if (copy_media(d->media[i], s->media[i]))
            return MRTC_ENOMEM;
    }
    return 0;
}

mrtc_sdp *mrtc_sdp_copy(const mrtc_sdp *sdp)
{
    if (!sdp)
        return NULL;
    mrtc_sdp *d = mrtc_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (copy_session(d, sdp)) {
        mrtc_sdp_free(d);
        return NULL;
    }
    return d;
}
