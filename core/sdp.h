/*
 * SDP session descriptions (RFC 8866) with the attributes WebRTC uses (RFC 8829 JSEP,
 * RFC 8839 ICE, RFC 8842 DTLS, RFC 8843 BUNDLE, RFC 8285 extmap, RFC 8830 msid, RFC 5576
 * ssrc, RFC 4585 rtcp-fb, RFC 8841 SCTP): the data model the JSEP layer builds offers and
 * answers with and reads remote descriptions from, a parser and a canonical writer.
 *
 * Ownership: an mrtc_sdp owns everything reachable from it. Every `char *` field is a
 * NUL-terminated string allocated with mrtc_malloc (NULL means "absent"); replace one with
 * mrtc_sdp_str_set(). Arrays (`T *x; size_t x_count`) grow only through the functions
 * below (their capacity is implied by the count); code may read them, change the fields of
 * their elements, and lower a count after freeing the dropped elements' strings, but must
 * not realloc them itself. A pointer to an array element stays valid until the next
 * addition to that array; media sections are individually allocated, so an
 * `mrtc_sdp_media *` stays valid until the description is freed.
 *
 * The writer emits CRLF lines in Chromium's order (see mrtc_sdp_write). Unknown attributes
 * are kept in order as (name, value) pairs and written at the end of their section, so a
 * parse/write round trip loses no line of a browser's description.
 *
 * Returned ints: 0 on success, MRTC_ENOMEM, MRTC_EINVAL (bad argument), MRTC_ESDP (parse).
 */
#ifndef MRTC_CORE_SDP_H
#define MRTC_CORE_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parser limits: larger inputs are refused with MRTC_ESDP. */
#define MRTC_SDP_MAX_LEN (1024 * 1024) /* bytes */
#define MRTC_SDP_MAX_LINES 16384
#define MRTC_SDP_MAX_MEDIA 256

typedef enum mrtc_sdp_direction {
    MRTC_SDP_SENDRECV = 0,
    MRTC_SDP_SENDONLY,
    MRTC_SDP_RECVONLY,
    MRTC_SDP_INACTIVE,
} mrtc_sdp_direction;

typedef enum mrtc_sdp_setup {
    MRTC_SDP_SETUP_NONE = 0, /* no a=setup */
    MRTC_SDP_SETUP_ACTPASS,
    MRTC_SDP_SETUP_ACTIVE,
    MRTC_SDP_SETUP_PASSIVE,
    MRTC_SDP_SETUP_HOLDCONN,
} mrtc_sdp_setup;

typedef enum mrtc_sdp_media_kind {
    MRTC_SDP_AUDIO,
    MRTC_SDP_VIDEO,
    MRTC_SDP_APPLICATION,
    MRTC_SDP_OTHER, /* any other media token; see mrtc_sdp_media.type */
} mrtc_sdp_media_kind;

/* A list of owned strings. */
typedef struct mrtc_sdp_strlist {
    char **items;
    size_t count;
} mrtc_sdp_strlist;

/* An attribute without a typed field: a=<name>[:<value>]; value NULL when there is no
 * colon. */
typedef struct mrtc_sdp_attr {
    char *name;
    char *value;
} mrtc_sdp_attr;

/* A line kept verbatim: i=, u=, e=, p=, k=, r=, z= and any t= after the first. */
typedef struct mrtc_sdp_line {
    char type;
    char *value;
} mrtc_sdp_line;

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
typedef struct mrtc_sdp_origin {
    char *username;
    char *sess_id; /* kept as text: any token, usually up to 20 digits */
    uint64_t sess_version;
    char *nettype;
    char *addrtype;
    char *address;
} mrtc_sdp_origin;

/* c=<nettype> <addrtype> <address>; absent when address is NULL. `address` is kept
 * verbatim (it may carry /ttl/count for multicast or be a name). */
typedef struct mrtc_sdp_conn {
    char *nettype;
    char *addrtype;
    char *address;
} mrtc_sdp_conn;

/* b=<type>:<value>, e.g. AS (kbit/s), TIAS (bit/s), CT, RR, RS. */
typedef struct mrtc_sdp_bandwidth {
    char *type;
    uint64_t value;
} mrtc_sdp_bandwidth;

/* a=fingerprint:<hash> <value>: hash name as written ("sha-256"), value the hex pairs
 * separated by colons as written ("AB:CD:..."). */
typedef struct mrtc_sdp_fingerprint {
    char *hash;
    char *value;
} mrtc_sdp_fingerprint;

/* The ICE and DTLS attributes, present at session level, media level or both; a media
 * section's own values win over the session's (mrtc_sdp_media_transport). */
typedef struct mrtc_sdp_transport {
    char *ice_ufrag; /* kept verbatim; the ICE layer validates */
    char *ice_pwd;
    mrtc_sdp_strlist ice_options; /* tokens of every a=ice-options line, e.g. "trickle" */
    mrtc_sdp_fingerprint *fingerprints;
    size_t fingerprint_count;
    mrtc_sdp_setup setup;
} mrtc_sdp_transport;

/* a=group:<semantics> <mid>... (RFC 5888), e.g. BUNDLE. */
typedef struct mrtc_sdp_group {
    char *semantics;
    mrtc_sdp_strlist mids;
} mrtc_sdp_group;

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285). Ids 1..255; 1..14 fit the
 * one-byte header form, 15 and above need the two-byte form (a=extmap-allow-mixed). */
typedef struct mrtc_sdp_extmap {
    uint16_t id;
    bool has_direction;
    mrtc_sdp_direction direction;
    char *uri;
    char *attrs; /* the rest of the line, NULL when none */
} mrtc_sdp_extmap;

/* a=rtcp-fb:<pt> <type>[ <subtype>] (RFC 4585): "nack", "nack pli", "ccm fir",
 * "goog-remb", "transport-cc". */
typedef struct mrtc_sdp_rtcp_fb {
    char *type;
    char *subtype; /* the rest of the line, NULL when none */
} mrtc_sdp_rtcp_fb;

/* One RTP payload type of a media section: the m= entry with its rtpmap, fmtp and
 * rtcp-fb lines. */
typedef struct mrtc_sdp_codec {
    uint8_t pt;          /* 0..127 */
    char *name;          /* a=rtpmap encoding name ("opus"); NULL when there is no rtpmap */
    uint32_t clock_rate; /* Hz */
    uint16_t channels;   /* 0 when the rtpmap gives none (Chromium writes none for mono) */
    char *fmtp;          /* a=fmtp parameters verbatim; NULL when none */
    mrtc_sdp_rtcp_fb *fbs;
    size_t fb_count;
} mrtc_sdp_codec;

/* a=msid:<stream id>[ <track id>] (RFC 8830). */
typedef struct mrtc_sdp_msid {
    char *stream;
    char *track; /* NULL when absent */
} mrtc_sdp_msid;

/* a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576), e.g. cname, msid. */
typedef struct mrtc_sdp_ssrc {
    uint32_t ssrc;
    char *attr;
    char *value; /* NULL when the attribute has no value */
} mrtc_sdp_ssrc;

/* a=ssrc-group:<semantics> <ssrc>... e.g. FID (RTX), SIM. */
typedef struct mrtc_sdp_ssrc_group {
    char *semantics;
    uint32_t *ssrcs;
    size_t count;
} mrtc_sdp_ssrc_group;

/* One m= section. */
typedef struct mrtc_sdp_media {
    char *type; /* "audio", "video", "application", or another token */
    mrtc_sdp_media_kind kind;
    uint16_t port;       /* 0 marks a rejected or bundled-only section */
    uint16_t port_count; /* m=<type> <port>/<count>; 0 when not given */
    char *proto;         /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
    /* The m= formats. For RTP protocols (mrtc_sdp_proto_is_rtp) they are `codecs`, in m=
     * order, and `fmts` is empty; otherwise they are the tokens in `fmts`
     * ("webrtc-datachannel", or a port number for old DTLS/SCTP). */
    mrtc_sdp_codec *codecs;
    size_t codec_count;
    mrtc_sdp_strlist fmts;

    mrtc_sdp_line *lines; /* i= and k= */
    size_t line_count;
    mrtc_sdp_conn conn;
    mrtc_sdp_bandwidth *bandwidths;
    size_t bandwidth_count;

    bool has_rtcp; /* a=rtcp:<port>[ <nettype> <addrtype> <address>] (RFC 3605) */
    uint16_t rtcp_port;
    mrtc_sdp_conn rtcp_conn;

    /* a=candidate values, without the "a=candidate:" prefix (the W3C candidate string is
     * "candidate:" followed by this). Parsed by the ICE layer, not here. */
    mrtc_sdp_strlist candidates;
    bool end_of_candidates;
    mrtc_sdp_transport transport;
    char *mid; /* NULL when absent; unique among the sections */
    bool extmap_allow_mixed;
    mrtc_sdp_extmap *extmaps;
    size_t extmap_count;
    mrtc_sdp_direction direction; /* sendrecv when no direction attribute was given */
    bool direction_explicit;      /* an a=sendrecv/sendonly/recvonly/inactive line exists */
    mrtc_sdp_msid *msids;
    size_t msid_count;
    bool rtcp_mux;
    bool rtcp_mux_only;
    bool rtcp_rsize;
    mrtc_sdp_rtcp_fb *fbs_all; /* a=rtcp-fb:* lines (apply to every payload type) */
    size_t fb_all_count;
    mrtc_sdp_ssrc_group *ssrc_groups;
    size_t ssrc_group_count;
    mrtc_sdp_ssrc *ssrcs;
    size_t ssrc_count;

    uint16_t sctp_port; /* a=sctp-port (RFC 8841); 0 when absent */
    bool has_max_message_size;
    uint64_t max_message_size; /* a=max-message-size; 0 means "no limit" */
    /* Old-style a=sctpmap:<port> <app> [<streams>] (draft-ietf-mmusic-sctp-sdp-05). */
    uint16_t sctpmap_port; /* 0 when absent */
    char *sctpmap_app;
    uint32_t sctpmap_streams; /* 0 when absent */

    mrtc_sdp_attr *attrs; /* every other attribute, in order (a=rid, a=simulcast, ...) */
    size_t attr_count;
} mrtc_sdp_media;

/* A session description. */
typedef struct mrtc_sdp {
    mrtc_sdp_origin origin;
    char *name;          /* s= */
    uint64_t time_start; /* the first t= line; "t=0 0" when the text had none */
    uint64_t time_stop;
    mrtc_sdp_line *lines; /* i= u= e= p= k=, later t=, r=, z=, in order */
    size_t line_count;
    mrtc_sdp_conn conn;
    mrtc_sdp_bandwidth *bandwidths;
    size_t bandwidth_count;

    mrtc_sdp_group *groups;
    size_t group_count;
    bool extmap_allow_mixed;
    /* a=msid-semantic:<semantic> <id>... ; absent when msid_semantic is NULL.
     * msid_semantic_space records Chromium's "a=msid-semantic: WMS" spelling. */
    char *msid_semantic;
    mrtc_sdp_strlist msid_semantic_ids;
    bool msid_semantic_space;
    bool ice_lite;
    mrtc_sdp_transport transport; /* session-level ICE/DTLS attributes (Firefox) */
    bool end_of_candidates;
    mrtc_sdp_direction direction; /* session-level direction attribute, if explicit */
    bool direction_explicit;
    mrtc_sdp_extmap *extmaps; /* session-level extmap */
    size_t extmap_count;
    mrtc_sdp_attr *attrs; /* other session-level attributes, in order */
    size_t attr_count;

    mrtc_sdp_media **media;
    size_t media_count;
} mrtc_sdp;

/* Why a parse failed. */
#define MRTC_SDP_ERR_TEXT 64
typedef struct mrtc_sdp_error {
    unsigned line;                /* 1-based line number; 0 when no one line is at fault */
    char text[MRTC_SDP_ERR_TEXT]; /* that line, truncated, control bytes shown as '?' */
    char message[192];            /* "line 7: a=rtpmap: payload type 300 out of range" */
} mrtc_sdp_error;

/* ---- Parse and write ---------------------------------------------------------------- */

/* Parses `len` bytes of SDP text (CRLF or LF line ends, final newline optional).
 * On success stores a new description in *out (free with mrtc_sdp_free) and returns 0.
 * On failure returns MRTC_ESDP (malformed or over the limits, reason in *err) or
 * MRTC_ENOMEM, leaves *out untouched and frees everything it allocated. err may be NULL.
 *
 * Checked: the first line is v=0; every line is <letter>=<value> with a type letter
 * RFC 8866 defines (a description with any other letter is refused as a whole, as RFC
 * 8866 section 5 requires) and without NUL or stray CR bytes; o=, s= exactly once before
 * the first m=; the syntax of o=, c=, b=, t=, m= and of every typed attribute; payload
 * types 0..127 and unique in m= for RTP protocols; ports 0..65535; an a=rtpmap must name a
 * payload type of its m= line (an a=fmtp or a=rtcp-fb naming another one is kept as an
 * unknown attribute, as browsers ignore it); no duplicate rtpmap/fmtp per payload type;
 * extmap ids 1..255, unique per section; a=mid unique across sections; one direction, one
 * a=mid, a=setup, a=ice-ufrag, a=ice-pwd, a=sctp-port, a=max-message-size, a=rtcp per
 * section. Tolerated: any line order after v= (session lines before the first m=), runs
 * of blanks between fields, a missing t= line (read as t=0 0), trailing empty lines.
 * Not checked (JSEP's job): that BUNDLE mids exist, ICE credential syntax, candidate
 * syntax, codec parameters.
 */
int mrtc_sdp_parse(const char *text, size_t len, mrtc_sdp **out, mrtc_sdp_error *err);

/* Writes the description as SDP text with CRLF line ends, in Chromium's order:
 *   v o s [i u e p] [c] [b] t [r z t ...] [k] a=group a=extmap-allow-mixed a=msid-semantic
 *   a=ice-lite ice-ufrag ice-pwd ice-options fingerprint setup direction extmap
 *   end-of-candidates, unknown session attributes;
 *   per section: m [i] [c] [b] [k] a=rtcp candidate... end-of-candidates ice-ufrag
 *   ice-pwd ice-options fingerprint setup mid extmap-allow-mixed extmap direction msid
 *   rtcp-mux rtcp-mux-only rtcp-rsize rtcp-fb:* then per payload type rtpmap rtcp-fb
 *   fmtp, ssrc-group ssrc sctpmap sctp-port max-message-size, unknown attributes.
 * Returns a string to free with mrtc_free, or NULL when out of memory. */
char *mrtc_sdp_write(const mrtc_sdp *sdp);

/* Frees the description and everything it owns; accepts NULL. */
void mrtc_sdp_free(mrtc_sdp *sdp);

/* A deep copy, or NULL when out of memory. */
mrtc_sdp *mrtc_sdp_copy(const mrtc_sdp *sdp);

/* ---- Builders ----------------------------------------------------------------------- */

/* A new description: o=- 0 0 IN IP4 127.0.0.1, s=-, t=0 0, nothing else. NULL when out
 * of memory. */
mrtc_sdp *mrtc_sdp_new(void);

/* Replaces the owned string *field with a copy of value (NULL clears it). On failure the
 * field keeps its old value. Returns 0 or MRTC_ENOMEM. */
int mrtc_sdp_str_set(char **field, const char *value);

int mrtc_sdp_strlist_add(mrtc_sdp_strlist *list, const char *s);
void mrtc_sdp_strlist_clear(mrtc_sdp_strlist *list);
bool mrtc_sdp_strlist_has(const mrtc_sdp_strlist *list, const char *s);

/* o=<username> <sess_id> <sess_version> IN <addrtype> <address>. */
int mrtc_sdp_set_origin(mrtc_sdp *sdp, const char *username, uint64_t sess_id,
                        uint64_t sess_version, const char *addrtype, const char *address);
/* c=IN <addrtype> <address> (for the session or a section's conn or rtcp_conn). */
int mrtc_sdp_conn_set(mrtc_sdp_conn *conn, const char *addrtype, const char *address);
/* a=group:<semantics> <mids[0]> ... */
int mrtc_sdp_add_group(mrtc_sdp *sdp, const char *semantics, const char *const *mids,
                       size_t mid_count);
/* a=msid-semantic: <semantic> <ids>... (written with Chromium's space after the colon). */
int mrtc_sdp_set_msid_semantic(mrtc_sdp *sdp, const char *semantic, const char *const *ids,
                               size_t id_count);
int mrtc_sdp_add_bandwidth(mrtc_sdp *sdp, const char *type, uint64_t value);
/* A line kept as text: i= u= e= p= k= r= z= or a further t= (session), i= k= (media). */
int mrtc_sdp_add_line(mrtc_sdp *sdp, char type, const char *value);
int mrtc_sdp_add_attr(mrtc_sdp *sdp, const char *name, const char *value);
/* Session-level extmap; id 1..255 else MRTC_EINVAL. *out (may be NULL) gets the entry. */
int mrtc_sdp_add_extmap(mrtc_sdp *sdp, unsigned id, const char *uri, mrtc_sdp_extmap **out);

/* a=ice-ufrag and a=ice-pwd together (either may be NULL to clear it). */
int mrtc_sdp_transport_set_ice(mrtc_sdp_transport *t, const char *ufrag, const char *pwd);
int mrtc_sdp_transport_add_fingerprint(mrtc_sdp_transport *t, const char *hash, const char *value);

/* Appends an m= section: type "audio"/"video"/"application"/..., proto as written in m=.
 * Starts with no formats, no c=, direction sendrecv (not explicit). Returns the section
 * (owned by sdp) or NULL when out of memory or over MRTC_SDP_MAX_MEDIA. */
mrtc_sdp_media *mrtc_sdp_add_media(mrtc_sdp *sdp, const char *type, uint16_t port,
                                   const char *proto);

/* Appends an RTP payload type to the m= line. name NULL: no a=rtpmap. channels 0: none
 * written. MRTC_EINVAL when pt > 127 or already present. *out (may be NULL) gets it. */
int mrtc_sdp_media_add_codec(mrtc_sdp_media *m, unsigned pt, const char *name, uint32_t clock_rate,
                             unsigned channels, mrtc_sdp_codec **out);
int mrtc_sdp_codec_add_fb(mrtc_sdp_codec *c, const char *type, const char *subtype);
/* a=rtcp-fb:* <type>[ <subtype>] */
int mrtc_sdp_media_add_fb_all(mrtc_sdp_media *m, const char *type, const char *subtype);
/* A non-RTP m= format token ("webrtc-datachannel"). */
int mrtc_sdp_media_add_fmt(mrtc_sdp_media *m, const char *fmt);
int mrtc_sdp_media_add_bandwidth(mrtc_sdp_media *m, const char *type, uint64_t value);
int mrtc_sdp_media_add_line(mrtc_sdp_media *m, char type, const char *value);
/* a=rtcp:<port> IN <addrtype> <address>; addrtype/address NULL: port only. */
int mrtc_sdp_media_set_rtcp(mrtc_sdp_media *m, uint16_t port, const char *addrtype,
                            const char *address);
int mrtc_sdp_media_add_candidate(mrtc_sdp_media *m, const char *candidate);
/* Media-level extmap; id 1..255 and unique in the section, else MRTC_EINVAL. */
int mrtc_sdp_media_add_extmap(mrtc_sdp_media *m, unsigned id, const char *uri,
                              mrtc_sdp_extmap **out);
/* Sets the direction and marks it explicit. */
void mrtc_sdp_media_set_direction(mrtc_sdp_media *m, mrtc_sdp_direction dir);
int mrtc_sdp_media_add_msid(mrtc_sdp_media *m, const char *stream, const char *track);
int mrtc_sdp_media_add_ssrc(mrtc_sdp_media *m, uint32_t ssrc, const char *attr, const char *value);
int mrtc_sdp_media_add_ssrc_group(mrtc_sdp_media *m, const char *semantics, const uint32_t *ssrcs,
                                  size_t count);
int mrtc_sdp_media_add_attr(mrtc_sdp_media *m, const char *name, const char *value);

/* ---- Lookups ------------------------------------------------------------------------ */

/* The section with this a=mid, or NULL. */
mrtc_sdp_media *mrtc_sdp_find_media(const mrtc_sdp *sdp, const char *mid);
/* The first a=group with these semantics (case-insensitive), or NULL. */
mrtc_sdp_group *mrtc_sdp_find_group(const mrtc_sdp *sdp, const char *semantics);
/* The first unknown session attribute with this name, or NULL. */
mrtc_sdp_attr *mrtc_sdp_find_attr(const mrtc_sdp *sdp, const char *name);

mrtc_sdp_codec *mrtc_sdp_media_find_codec(const mrtc_sdp_media *m, unsigned pt);
/* The first codec whose rtpmap name matches (case-insensitive, RFC 8866 6.6) and, when
 * clock_rate is not 0, whose clock rate matches; NULL when none. */
mrtc_sdp_codec *mrtc_sdp_media_find_codec_by_name(const mrtc_sdp_media *m, const char *name,
                                                  uint32_t clock_rate);
/* The rtx codec whose fmtp has apt=<pt>, or NULL. */
mrtc_sdp_codec *mrtc_sdp_media_find_rtx(const mrtc_sdp_media *m, unsigned pt);
mrtc_sdp_extmap *mrtc_sdp_media_find_extmap(const mrtc_sdp_media *m, const char *uri);
mrtc_sdp_attr *mrtc_sdp_media_find_attr(const mrtc_sdp_media *m, const char *name);
/* The ICE/DTLS attributes in effect for a section: each field from the section when it
 * has it, else from the session. The result borrows sdp's strings and arrays: do not
 * free or modify it. */
void mrtc_sdp_media_transport(const mrtc_sdp *sdp, const mrtc_sdp_media *m,
                              mrtc_sdp_transport *out);

/* Looks up key in an fmtp parameter string "k1=v1;k2=v2" (keys case-insensitive, spaces
 * around ';' ignored, a parameter without '=' has an empty value). On success points
 * *value at the value inside fmtp (not NUL-terminated) with its length and returns true. */
bool mrtc_sdp_fmtp_find(const char *fmtp, const char *key, const char **value, size_t *len);
/* The same for a decimal value that fits uint64_t ("apt=96", "minptime=10"). */
bool mrtc_sdp_fmtp_get_uint(const char *fmtp, const char *key, uint64_t *out);

/* ---- Names -------------------------------------------------------------------------- */

const char *mrtc_sdp_direction_name(mrtc_sdp_direction d); /* "sendrecv", ... */
/* sendonly <-> recvonly, others unchanged (the answerer's view of an offered direction). */
mrtc_sdp_direction mrtc_sdp_direction_reverse(mrtc_sdp_direction d);
const char *mrtc_sdp_setup_name(mrtc_sdp_setup s); /* "actpass", ...; NULL: none */
/* A protocol with RTP in it ("RTP/AVP", "UDP/TLS/RTP/SAVPF"), whose formats are payload
 * types; and one ending in SCTP ("UDP/DTLS/SCTP", "DTLS/SCTP"). */
bool mrtc_sdp_proto_is_rtp(const char *proto);
bool mrtc_sdp_proto_is_sctp(const char *proto);

#endif
