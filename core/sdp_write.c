/*
 * SDP writer (RFC 8866 section 5 line order): serializes an mrtc_sdp with CRLF line ends
 * in the attribute order Chromium uses (listed in sdp.h), unknown attributes last in
 * their section, in their original order. Numbers are written in canonical decimal, lists
 * with single spaces, verbatim fields unchanged, so writing what the parser produced and
 * parsing it again gives the same description.
 *
 * It does not validate: a description built with missing fields gets placeholders ("-",
 * "0") where a token is required, and lines of a type SDP does not know are skipped.
 */
#include "core/sdp.h"

#include "core/util/alloc.h"
#include "core/util/buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *nz(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static void write_lines(mrtc_sb *sb, const mrtc_sdp_line *lines, size_t n, const char *types)
{
    for (size_t i = 0; i < n; i++)
        if (lines[i].type && strchr(types, lines[i].type))
            mrtc_sb_printf(sb, "%c=%s\r\n", lines[i].type, nz(lines[i].value, ""));
}

static void write_conn(mrtc_sb *sb, const mrtc_sdp_conn *c)
{
    if (c->address)
        mrtc_sb_printf(sb, "c=%s %s %s\r\n", nz(c->nettype, "IN"), nz(c->addrtype, "IP4"),
                       c->address);
}

static void write_bandwidths(mrtc_sb *sb, const mrtc_sdp_bandwidth *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mrtc_sb_printf(sb, "b=%s:%" PRIu64 "\r\n", nz(b[i].type, "AS"), b[i].value);
}

static void write_attr(mrtc_sb *sb, const char *name, const char *value)
{
    if (value)
        mrtc_sb_printf(sb, "a=%s:%s\r\n", name, value);
    else
        mrtc_sb_printf(sb, "a=%s\r\n", name);
}

static void write_attrs(mrtc_sb *sb, const mrtc_sdp_attr *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        write_attr(sb, nz(a[i].name, "x"), a[i].value);
}

static void write_strlist(mrtc_sb *sb, const mrtc_sdp_strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        mrtc_sb_printf(sb, " %s", l->items[i]);
}

static void write_transport(mrtc_sb *sb, const mrtc_sdp_transport *t)
{
    if (t->ice_ufrag)
        write_attr(sb, "ice-ufrag", t->ice_ufrag);
    if (t->ice_pwd)
        write_attr(sb, "ice-pwd", t->ice_pwd);
    if (t->ice_options.count) {
        mrtc_sb_append(sb, "a=ice-options:");
        for (size_t i = 0; i < t->ice_options.count; i++)
            mrtc_sb_printf(sb, "%s%s", i ? " " : "", t->ice_options.items[i]);
        mrtc_sb_append(sb, "\r\n");
    }
    for (size_t i = 0; i < t->fingerprint_count; i++)
        mrtc_sb_printf(sb, "a=fingerprint:%s %s\r\n", nz(t->fingerprints[i].hash, "sha-256"),
                       nz(t->fingerprints[i].value, "00"));
    if (mrtc_sdp_setup_name(t->setup))
        write_attr(sb, "setup", mrtc_sdp_setup_name(t->setup));
}

static void write_extmaps(mrtc_sb *sb, const mrtc_sdp_extmap *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mrtc_sb_printf(sb, "a=extmap:%u", e[i].id);
        if (e[i].has_direction)
            mrtc_sb_printf(sb, "/%s", mrtc_sdp_direction_name(e[i].direction));
        mrtc_sb_printf(sb, " %s", nz(e[i].uri, "-"));
        if (e[i].attrs)
            mrtc_sb_printf(sb, " %s", e[i].attrs);
        mrtc_sb_append(sb, "\r\n");
    }
}

static void write_fbs(mrtc_sb *sb, const char *pt, const mrtc_sdp_rtcp_fb *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mrtc_sb_printf(sb, "a=rtcp-fb:%s %s", pt, nz(f[i].type, "-"));
        if (f[i].subtype)
            mrtc_sb_printf(sb, " %s", f[i].subtype);
        mrtc_sb_append(sb, "\r\n");
    }
}

static void write_codec(mrtc_sb *sb, const mrtc_sdp_codec *c)
{
    char pt[4];
    snprintf(pt, sizeof pt, "%u", c->pt);
    if (c->name) {
        mrtc_sb_printf(sb, "a=rtpmap:%s %s/%" PRIu32, pt, c->name, c->clock_rate);
        if (c->channels)
            mrtc_sb_printf(sb, "/%u", c->channels);
        mrtc_sb_append(sb, "\r\n");
    }
    write_fbs(sb, pt, c->fbs, c->fb_count);
    if (c->fmtp)
        mrtc_sb_printf(sb, "a=fmtp:%s %s\r\n", pt, c->fmtp);
}

static void write_media(mrtc_sb *sb, const mrtc_sdp_media *m)
{
    bool rtp = mrtc_sdp_proto_is_rtp(m->proto);
    mrtc_sb_printf(sb, "m=%s %u", nz(m->type, "application"), m->port);
    if (m->port_count)
        mrtc_sb_printf(sb, "/%u", m->port_count);
    mrtc_sb_printf(sb, " %s", nz(m->proto, "RTP/AVP"));
    if (rtp) {
        for (size_t i = 0; i < m->codec_count; i++)
            mrtc_sb_printf(sb, " %u", m->codecs[i].pt);
    } else {
        write_strlist(sb, &m->fmts);
    }
    mrtc_sb_append(sb, "\r\n");
    write_lines(sb, m->lines, m->line_count, "i");
    write_conn(sb, &m->conn);
    write_bandwidths(sb, m->bandwidths, m->bandwidth_count);
    write_lines(sb, m->lines, m->line_count, "k");

    if (m->has_rtcp) {
        mrtc_sb_printf(sb, "a=rtcp:%u", m->rtcp_port);
        if (m->rtcp_conn.address)
            mrtc_sb_printf(sb, " %s %s %s", nz(m->rtcp_conn.nettype, "IN"),
                           nz(m->rtcp_conn.addrtype, "IP4"), m->rtcp_conn.address);
        mrtc_sb_append(sb, "\r\n");
    }
    for (size_t i = 0; i < m->candidates.count; i++)
        write_attr(sb, "candidate", m->candidates.items[i]);
    if (m->end_of_candidates)
        write_attr(sb, "end-of-candidates", NULL);
    write_transport(sb, &m->transport);
    if (m->mid)
        write_attr(sb, "mid", m->mid);
    if (m->extmap_allow_mixed)
        write_attr(sb, "extmap-allow-mixed", NULL);
    write_extmaps(sb, m->extmaps, m->extmap_count);
    if (m->direction_explicit)
        write_attr(sb, mrtc_sdp_direction_name(m->direction), NULL);
    for (size_t i = 0; i < m->msid_count; i++) {
        mrtc_sb_printf(sb, "a=msid:%s", nz(m->msids[i].stream, "-"));
        if (m->msids[i].track)
            mrtc_sb_printf(sb, " %s", m->msids[i].track);
        mrtc_sb_append(sb, "\r\n");
    }
    if (m->rtcp_mux)
        write_attr(sb, "rtcp-mux", NULL);
    if (m->rtcp_mux_only)
        write_attr(sb, "rtcp-mux-only", NULL);
    if (m->rtcp_rsize)
        write_attr(sb, "rtcp-rsize", NULL);
    write_fbs(sb, "*", m->fbs_all, m->fb_all_count);
    for (size_t i = 0; rtp && i < m->codec_count; i++)
        write_codec(sb, &m->codecs[i]);
    for (size_t i = 0; i < m->ssrc_group_count; i++) {
        const mrtc_sdp_ssrc_group *g = &m->ssrc_groups[i];
        mrtc_sb_printf(sb, "a=ssrc-group:%s", nz(g->semantics, "FID"));
        for (size_t j = 0; j < g->count; j++)
            mrtc_sb_printf(sb, " %" PRIu32, g->ssrcs[j]);
        mrtc_sb_append(sb, "\r\n");
    }
    for (size_t i = 0; i < m->ssrc_count; i++) {
        const mrtc_sdp_ssrc *s = &m->ssrcs[i];
        mrtc_sb_printf(sb, "a=ssrc:%" PRIu32 " %s", s->ssrc, nz(s->attr, "cname"));
        if (s->value)
            mrtc_sb_printf(sb, ":%s", s->value);
        mrtc_sb_append(sb, "\r\n");
    }
    if (m->sctpmap_port) {
        mrtc_sb_printf(sb, "a=sctpmap:%u %s", m->sctpmap_port,
                       nz(m->sctpmap_app, "webrtc-datachannel"));
        if (m->sctpmap_streams)
            mrtc_sb_printf(sb, " %" PRIu32, m->sctpmap_streams);
        mrtc_sb_append(sb, "\r\n");
    }
    if (m->sctp_port)
        mrtc_sb_printf(sb, "a=sctp-port:%u\r\n", m->sctp_port);
    if (m->has_max_message_size)
        mrtc_sb_printf(sb, "a=max-message-size:%" PRIu64 "\r\n", m->max_message_size);
    write_attrs(sb, m->attrs, m->attr_count);
}

char *mrtc_sdp_write(const mrtc_sdp *sdp)
{
    mrtc_sb sb;
    mrtc_sb_init(&sb);
    const mrtc_sdp_origin *o = &sdp->origin;
    mrtc_sb_printf(&sb, "v=0\r\no=%s %s %" PRIu64 " %s %s %s\r\ns=%s\r\n", nz(o->username, "-"),
                   nz(o->sess_id, "0"), o->sess_version, nz(o->nettype, "IN"),
                   nz(o->addrtype, "IP4"), nz(o->address, "127.0.0.1"), nz(sdp->name, "-"));
    write_lines(&sb, sdp->lines, sdp->line_count, "iuep");
    write_conn(&sb, &sdp->conn);
    write_bandwidths(&sb, sdp->bandwidths, sdp->bandwidth_count);
    mrtc_sb_printf(&sb, "t=%" PRIu64 " %" PRIu64 "\r\n", sdp->time_start, sdp->time_stop);
    write_lines(&sb, sdp->lines, sdp->line_count, "trz");
    write_lines(&sb, sdp->lines, sdp->line_count, "k");

    for (size_t i = 0; i < sdp->group_count; i++) {
        mrtc_sb_printf(&sb, "a=group:%s", nz(sdp->groups[i].semantics, "BUNDLE"));
        write_strlist(&sb, &sdp->groups[i].mids);
        mrtc_sb_append(&sb, "\r\n");
    }
    if (sdp->extmap_allow_mixed)
        write_attr(&sb, "extmap-allow-mixed", NULL);
    if (sdp->msid_semantic) {
        mrtc_sb_printf(&sb, "a=msid-semantic:%s%s", sdp->msid_semantic_space ? " " : "",
                       sdp->msid_semantic);
        write_strlist(&sb, &sdp->msid_semantic_ids);
        mrtc_sb_append(&sb, "\r\n");
    }
    if (sdp->ice_lite)
        write_attr(&sb, "ice-lite", NULL);
    write_transport(&sb, &sdp->transport);
    if (sdp->direction_explicit)
        write_attr(&sb, mrtc_sdp_direction_name(sdp->direction), NULL);
    write_extmaps(&sb, sdp->extmaps, sdp->extmap_count);
    if (sdp->end_of_candidates)
        write_attr(&sb, "end-of-candidates", NULL);
    write_attrs(&sb, sdp->attrs, sdp->attr_count);

    for (size_t i = 0; i < sdp->media_count; i++)
        write_media(&sb, sdp->media[i]);
    return mrtc_sb_take(&sb);
}
