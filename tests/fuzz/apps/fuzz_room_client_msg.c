/*
 * libFuzzer target for what the room client (apps/common/room_client.c) can be fuzzed through
 * without a socket: the JSON helpers of apps/common/jsonutil.c it parses every server
 * message with. room_client.c keeps its message handler (on_text) static behind the
 * WebSocket client, so the handler itself is not reached here; see the seam described in
 * the fuzz report (a sans-IO parse function for server messages) for what would let it be.
 *
 * The input is one server frame. When jsonutil_parse() accepts it: no string or key may hold
 * a NUL byte (jsonutil.h promises they are refused, and the client hands strings on as C
 * strings), every string must be valid UTF-8 with the code point count an independent
 * decoder gives, jsonutil_string() must agree with the value types for the fields the
 * client reads, and jsonutil_dump() must give NUL-free valid UTF-8 that parses back to an
 * equal value and dumps again to the same bytes (the client passes a signal's "data" on in
 * that form). When it refuses, jansson's message must be set. jsonutil_utf8_count() on the
 * raw input must agree with a validator written from the Unicode well-formed byte sequence
 * table. Nothing may leak. Any breach aborts.
 */
#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_room_client_msg: %s\n", what);
        abort();
    }
}

/* Code points of `n` bytes, or -1 when they are not well-formed UTF-8: Unicode 15, table
 * 3-7, one row per lead byte range with the allowed range of the second byte. */
static long utf8_reference(const uint8_t *s, size_t n)
{
    long count = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        size_t len;
        uint8_t lo = 0x80, hi = 0xbf;
        if (b <= 0x7f)
            len = 1;
        else if (b >= 0xc2 && b <= 0xdf)
            len = 2;
        else if (b == 0xe0) {
            len = 3;
            lo = 0xa0;
        } else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
            len = 3;
        else if (b == 0xed) {
            len = 3;
            hi = 0x9f;
        } else if (b == 0xf0) {
            len = 4;
            lo = 0x90;
        } else if (b >= 0xf1 && b <= 0xf3)
            len = 4;
        else if (b == 0xf4) {
            len = 4;
            hi = 0x8f;
        } else
            return -1;
        if (n - i < len)
            return -1;
        if (len > 1 && (s[i + 1] < lo || s[i + 1] > hi))
            return -1;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return -1;
        i += len;
        count++;
    }
    return count;
}

static void check_text(const char *s, size_t len, const char *what)
{
    require(memchr(s, '\0', len) == NULL, what);
    long ref = utf8_reference((const uint8_t *)s, len);
    require(ref >= 0, what);
    require(jsonutil_utf8_count(s, len) == ref, "jsonutil_utf8_count disagrees on a string");
}

/* Walks every value: strings and keys must be NUL-free valid UTF-8. */
static void walk(const json_t *j, int depth)
{
    require(depth < 4096, "nesting deeper than jansson allows");
    if (json_is_string(j)) {
        check_text(json_string_value(j), json_string_length(j), "string holds NUL or bad UTF-8");
        require(strlen(json_string_value(j)) == json_string_length(j), "string holds NUL");
    } else if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v)
        {
            check_text(key, strlen(key), "key holds bad UTF-8");
            walk(v, depth + 1);
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            walk(v, depth + 1);
        }
    }
}

/* The fields room_client.c reads from server messages, and the nested ones of welcome. */
static void check_fields(const json_t *msg)
{
    static const char *const keys[] = {"type", "id",      "room",     "name",      "from",
                                       "code", "message", "username", "credential"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(msg, keys[i]);
        const char *s = jsonutil_string(msg, keys[i]);
        require((s != NULL) == json_is_string(v), "jsonutil_string disagrees with the type");
        require(!s || s == json_string_value(v), "jsonutil_string returns another string");
    }
    const char *type = jsonutil_string(msg, "type");
    if (!type)
        return;
    if (strcmp(type, "welcome") == 0) {
        const json_t *lists[] = {json_object_get(msg, "peers"), json_object_get(msg, "iceServers")};
        for (size_t l = 0; l < 2; l++)
            for (size_t i = 0; i < json_array_size(lists[l]); i++)
                check_fields(json_array_get(lists[l], i));
    } else if (strcmp(type, "signal") == 0) {
        json_t *d = json_object_get(msg, "data");
        if (json_is_object(d))
            check_fields(d);
    }
}

static void check_dump(const json_t *j)
{
    size_t len = 0;
    char *text = jsonutil_dump(j, &len);
    require(text != NULL, "jsonutil_dump failed on a parsed value");
    require(strlen(text) == len, "dump length wrong or NUL inside");
    require(utf8_reference((const uint8_t *)text, len) >= 0, "dump is not valid UTF-8");
    json_error_t err;
    json_t *back = jsonutil_parse(text, len, &err);
    require(back != NULL, "dump does not parse back");
    require(json_equal((json_t *)j, back), "dump parses back to another value");
    size_t len2 = 0;
    char *text2 = jsonutil_dump(back, &len2);
    require(text2 && len2 == len && memcmp(text, text2, len) == 0, "dump is not stable");
    mem_free(text2);
    json_decref(back);
    mem_free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mem_install_hooks();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long live = mem_live();
    const char *text = (const char *)data;

    long ref = utf8_reference(data, size);
    require(jsonutil_utf8_count(text, size) == ref, "jsonutil_utf8_count disagrees on input");

    json_error_t err;
    memset(&err, 0, sizeof(err));
    json_t *msg = jsonutil_parse(text, size, &err);
    if (!msg) {
        require(err.text[0] != '\0', "refused without a message");
        require(jsonutil_parse(text, size, NULL) == NULL, "answer depends on the error buffer");
    } else {
        walk(msg, 0);
        check_fields(msg);
        json_t *d = json_object_get(msg, "data");
        if (d)
            check_dump(d);
        check_dump(msg);
        json_decref(msg);
    }
    require(mem_live() == live, "blocks leaked");
    return 0;
}
