/*
 * The bodies of meshrtc-call's SDP-over-HTTP dialect without I/O: the JSON description
 * {"sdp": "...", "type": "offer"} posted to an /offer endpoint and the answer that comes back
 * (the protocol of aiortc's server example), and the checks on a WHIP answer (RFC 9725
 * section 4.2: an application/sdp body).
 */
#ifndef MESHRTC_APP_CALL_HTTP_BODY_H
#define MESHRTC_APP_CALL_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_BODY_MAX (256 * 1024) /* the largest description accepted, bytes */

/* Parses a JSON description of `len` bytes: an object with a string "sdp" and a string
 * "type" equal to `want_type` ("offer" or "answer"); other members are ignored. On success
 * returns 0 and *sdp, a NUL-terminated copy from mem_alloc() (the caller mem_free()s it).
 * Otherwise MRTC_EPROTO (not JSON, not an object, "sdp" missing or not a string, empty,
 * holding a NUL, wrong "type") or MRTC_ENOMEM, with a one-line reason in `why`, and *sdp
 * NULL. */
int http_body_parse_desc(const char *body, size_t len, const char *want_type, char **sdp,
                         char *why, size_t whylen);

/* Serialises {"sdp": sdp, "type": type} compactly. A block from mem_alloc() (length in *len
 * when len is not NULL), or NULL when out of memory or sdp is not UTF-8. */
char *http_body_desc_json(const char *type, const char *sdp, size_t *len);

/* Checks an application/sdp body (a WHIP answer): non-empty, no NUL, starts with "v=0".
 * On success returns 0 and *sdp, a NUL-terminated copy (mem_free()); else MRTC_EPROTO or
 * MRTC_ENOMEM with a reason in `why`. */
int http_body_parse_sdp(const char *body, size_t len, char **sdp, char *why, size_t whylen);

/* True when the media type of a Content-Type value (before any ';', case-insensitive,
 * spaces trimmed) is `type`. */
bool http_body_type_is(const char *content_type, const char *type);

#endif
