/*
 * Small helpers over jansson shared by the room server and the room client: compact
 * serialisation into a counted block, typed field access, UTF-8 checks.
 */
#ifndef APPS_COMMON_JSONUTIL_H
#define APPS_COMMON_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Serialises `j` compactly (no spaces, keys in insertion order, UTF-8 unescaped) into a
 * NUL-terminated block from mem_alloc(); the caller frees it with mem_free(). `len`, when
 * not NULL, receives the length without the NUL. NULL when out of memory or `j` is NULL. */
char *jsonutil_dump(const json_t *j, size_t *len);

/* Parses exactly one JSON value from `len` bytes (NUL bytes inside strings are refused).
 * NULL on any error; `err`, when not NULL, receives jansson's message. */
json_t *jsonutil_parse(const char *data, size_t len, json_error_t *err);

/* The string value of obj[key], or NULL when absent or not a string. */
const char *jsonutil_string(const json_t *obj, const char *key);

/* Counts the code points of `len` bytes of UTF-8. Returns -1 when the bytes are not valid
 * UTF-8 (overlong forms, surrogates, values past U+10FFFF, truncated sequences). */
long jsonutil_utf8_count(const char *s, size_t len);

#endif
