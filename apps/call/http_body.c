/*
 * The bodies of the SDP-over-HTTP dialect (the JSON {"sdp", "type"} description of aiortc's
 * server example and of many WebRTC demos) and of a WHIP answer (RFC 9725 section 4.2,
 * application/sdp), parsed from untrusted bytes with jansson through apps/common/jsonutil.
 * It checks only the envelope: whether the SDP itself is acceptable is the library's
 * judgement when the description is applied.
 */
#include "apps/call/http_body.h"

#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"

#include <meshrtc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t whylen,
                                                      const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return MRTC_EPROTO;
}

int http_body_parse_desc(const char *body, size_t len, const char *want_type, char **sdp,
                         char *why, size_t whylen)
{
    *sdp = NULL;
    if (len > HTTP_BODY_MAX)
        return fail(why, whylen, "body too large");
    json_t *j = jsonutil_parse(body, len, NULL);
    if (!j)
        return fail(why, whylen, "the body is not JSON");
    int rc = 0;
    json_t *js = json_object_get(j, "sdp");
    json_t *jt = json_object_get(j, "type");
    if (!json_is_object(j)) {
        rc = fail(why, whylen, "the body is not a JSON object");
    } else if (!json_is_string(jt)) {
        rc = fail(why, whylen, "\"type\" is missing or not a string");
    } else if (strcmp(json_string_value(jt), want_type) != 0) {
        char shown[40];
        snprintf(shown, sizeof(shown), "%s", json_string_value(jt));
        for (char *q = shown; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                *q = '?';
        rc = fail(why, whylen, "\"type\" is \"%s\", expected \"%s\"", shown, want_type);
    } else if (!json_is_string(js)) {
        rc = fail(why, whylen, "\"sdp\" is missing or not a string");
    } else if (json_string_length(js) == 0) {
        rc = fail(why, whylen, "\"sdp\" is empty");
    } else if (strlen(json_string_value(js)) != json_string_length(js)) {
        rc = fail(why, whylen, "\"sdp\" holds a NUL character");
    } else if (!(*sdp = mem_strdup(json_string_value(js)))) {
        rc = MRTC_ENOMEM;
        if (why && whylen)
            snprintf(why, whylen, "out of memory");
    }
    json_decref(j);
    return rc;
}

char *http_body_desc_json(const char *type, const char *sdp, size_t *len)
{
    json_t *j = json_pack("{s:s, s:s}", "sdp", sdp, "type", type);
    if (!j)
        return NULL;
    char *out = jsonutil_dump(j, len);
    json_decref(j);
    return out;
}

int http_body_parse_sdp(const char *body, size_t len, char **sdp, char *why, size_t whylen)
{
    *sdp = NULL;
    if (len > HTTP_BODY_MAX)
        return fail(why, whylen, "body too large");
    if (len < 3 || memcmp(body, "v=0", 3) != 0)
        return fail(why, whylen, "the body is not an SDP description (no \"v=0\")");
    if (memchr(body, '\0', len))
        return fail(why, whylen, "the SDP holds a NUL character");
    if (!(*sdp = mem_strndup(body, len))) {
        if (why && whylen)
            snprintf(why, whylen, "out of memory");
        return MRTC_ENOMEM;
    }
    return 0;
}

bool http_body_type_is(const char *content_type, const char *type)
{
    if (!content_type)
        return false;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
        n--;
    return n == strlen(type) && strncasecmp(content_type, type, n) == 0;
}
