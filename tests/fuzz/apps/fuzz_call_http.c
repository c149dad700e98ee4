/*
 * libFuzzer target for meshrtc-call's SDP-over-HTTP and WHIP parsers: HTTP/1.1 messages
 * (apps/common/http_msg.c) as its --listen server and its client read them from the network,
 * http:// URLs and Location values, and the JSON and SDP bodies (apps/call/http_body.c).
 *
 * The first byte picks what the rest is: 0 a request, 1 a response, 2 a JSON description,
 * 3 a WHIP SDP body, 4 a URL and a Location (split at the first newline). Messages are parsed
 * with and without end of input: an error must say why; a complete message must lie within
 * the input with its body at its end, Content-Length honoured, and parse to the same size
 * when cut where it ends. An accepted body must serialise and parse back to the same SDP
 * and leave no block allocated. Any breach aborts.
 */
#include "apps/call/http_body.h"
#include "apps/common/http_msg.h"
#include "apps/common/mem.h"

#include <meshrtc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_call_http: %s\n", what);
        abort();
    }
}

static http_msg msg;

static void check_message(const char *buf, size_t len, bool request)
{
    const size_t max_body = 4096;
    char why[256];
    for (int eof = 0; eof < 2; eof++) {
        int rc = http_msg_parse(buf, len, request, eof, max_body, &msg, why, sizeof(why));
        require(rc <= (int)len, "consumed more than the input");
        if (rc < 0) {
            require(rc == MRTC_EPROTO || rc == MRTC_ETOOBIG, "unexpected error code");
            require(why[0] != '\0', "an error without a reason");
            continue;
        }
        if (rc == 0)
            continue; /* needs more bytes */
        require(msg.body >= buf && msg.body + msg.body_len == buf + rc, "body not at the end");
        require(msg.body_len <= max_body, "body over the limit");
        if (msg.has_length)
            require(msg.body_len == msg.content_length, "body is not Content-Length long");
        if (request)
            require(msg.method[0] && msg.target[0], "request without method or target");
        else
            require(msg.status >= 100 && msg.status <= 999, "status out of range");
        /* A complete message stays complete, with the same size, whatever follows. */
        if (!eof && (msg.has_length || request)) {
            size_t used = (size_t)rc;
            int again = http_msg_parse(buf, used, request, false, max_body, &msg, NULL, 0);
            require(again == rc, "the message alone parses differently");
        }
    }
}

static void check_body(const char *buf, size_t len, bool json)
{
    char *sdp = NULL;
    char why[256];
    long before = mem_live();
    int rc = json ? http_body_parse_desc(buf, len, "offer", &sdp, why, sizeof(why))
                  : http_body_parse_sdp(buf, len, &sdp, why, sizeof(why));
    if (rc == 0) {
        require(sdp != NULL && sdp[0] != '\0', "accepted an empty SDP");
        if (!json)
            require(strlen(sdp) == len, "SDP copy of the wrong length");
        size_t jl = 0;
        char *j = http_body_desc_json("offer", sdp, &jl);
        if (j) {
            char *back = NULL;
            require(http_body_parse_desc(j, jl, "offer", &back, NULL, 0) == 0 &&
                        strcmp(back, sdp) == 0,
                    "a description does not parse back");
            mem_free(back);
            mem_free(j);
        }
        mem_free(sdp);
    } else {
        require(sdp == NULL, "an error with an SDP");
        require(rc == MRTC_EPROTO || rc == MRTC_ENOMEM, "unexpected error code");
    }
    require(mem_live() == before, "a block leaked");
}

static void check_url(const char *buf, size_t len)
{
    static char text[8192];
    if (len >= sizeof(text))
        len = sizeof(text) - 1;
    memcpy(text, buf, len);
    text[len] = '\0';
    char *nl = strchr(text, '\n');
    const char *loc = "";
    if (nl) {
        *nl = '\0';
        loc = nl + 1;
    }
    http_url u, r;
    char why[256];
    if (http_url_parse(text, "http", &u, why, sizeof(why)) != 0 &&
        http_url_parse(text, "whip+http", &u, why, sizeof(why)) != 0)
        return;
    require(u.port >= 0 && u.port <= 65535 && u.host[0] && u.path[0] == '/', "bad URL parts");
    if (http_url_resolve(&u, loc, &r) == 0)
        require(r.path[0] == '/' && r.host[0] && r.port >= 0 && r.port <= 65535,
                "bad resolved URL");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool hooked;
    if (!hooked) {
        mem_install_hooks();
        hooked = true;
    }
    if (size < 1)
        return 0;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 5) {
    case 0:
    case 1:
        check_message(buf, len, data[0] % 5 == 0);
        break;
    case 2:
    case 3:
        check_body(buf, len, data[0] % 5 == 2);
        break;
    default:
        check_url(buf, len);
        break;
    }
    return 0;
}
