/*
 * jansson helpers (see jsonutil.h). Serialisation goes through json_dumpb twice (size, then
 * bytes) so the result lives in the counting allocator whether or not jansson's allocator
 * was hooked. Nothing here interprets protocol messages.
 */
#include "apps/common/jsonutil.h"

#include "apps/common/mem.h"

#include <stdint.h>

char *jsonutil_dump(const json_t *j, size_t *len)
{
    if (!j)
        return NULL;
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t n = json_dumpb(j, NULL, 0, flags);
    if (n == 0)
        return NULL;
    char *buf = mem_alloc(n + 1);
    if (!buf)
        return NULL;
    if (json_dumpb(j, buf, n, flags) != n) {
        mem_free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

json_t *jsonutil_parse(const char *data, size_t len, json_error_t *err)
{
    json_error_t local;
    return json_loadb(data, len, JSON_DECODE_ANY, err ? err : &local);
}

const char *jsonutil_string(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long jsonutil_utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        uint32_t cp;
        size_t n;
        if (c < 0x80) {
            i++;
            count++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (len - i - 1 < n)
            return -1;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        i += n + 1;
        count++;
    }
    return count;
}
