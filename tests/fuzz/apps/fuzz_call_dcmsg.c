/*
 * libFuzzer target for the data channel messages of meshrtc-call (apps/call/dcmsg.c): every
 * function there that reads bytes from the network gets the input, whole.
 *
 *   dcmsg_is_echo: true exactly when the input starts with "[echo] ".
 *   dcmsg_printable: with room to spare the result is what a reference gives (printable
 *     characters copied, one '?' per control character or byte that is not UTF-8), and
 *     with any smaller capacity a prefix of that cut at most one character short; always
 *     NUL-terminated within the capacity, valid UTF-8 without control characters but tab.
 *   dcmsg_name_problem: NULL exactly when an independent check accepts the name (1 to 255
 *     bytes, no leading '.', well-formed UTF-8 by the Unicode table, no '/', '\', C0, DEL
 *     or C1), on the whole input and on its first 255 bytes.
 *   dcmsg_header_parse: a header that parses has a name the check above accepts, a size of
 *     at most 2^53 and 64 lowercase hex digits; it rebuilds (dcmsg_header_build) into a
 *     header that parses to the same fields. A refusal says why, within any buffer size.
 *   dcmsg_receipt_parse: an "ok" receipt has bytes <= 2^53 and 64 lowercase hex digits, an
 *     error receipt printable text; either rebuilds (dcmsg_receipt_build) into a receipt
 *     that parses to the same fields.
 * Nothing may leak (apps/common/mem.h counts jansson's blocks too). Any breach aborts.
 */
#include "apps/call/dcmsg.h"
#include "apps/common/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 65536

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_call_dcmsg: %s\n", what);
        abort();
    }
}

/* Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7) and its code point,
 * or 0 when the bytes there are not one. */
static size_t utf8_ref(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (b <= 0x7f) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
    } else if (b == 0xe0) {
        len = 3, lo = 0xa0;
    } else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
        len = 3;
    } else if (b == 0xed) {
        len = 3, hi = 0x9f;
    } else if (b == 0xf0) {
        len = 4, lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) {
        len = 4;
    } else if (b == 0xf4) {
        len = 4, hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    uint32_t v = b & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t k = 1; k < len; k++)
        v = v << 6 | (s[k] & 0x3f);
    *cp = v;
    return len;
}

static bool control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Valid UTF-8 with no control character other than tab. */
static bool printable_ok(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_ref(p + i, n - i, &cp);
        if (k == 0 || (control(cp) && cp != '\t'))
            return false;
        i += k;
    }
    return true;
}

static bool name_ok(const uint8_t *p, size_t n)
{
    if (n == 0 || n > DCMSG_NAME_MAX || p[0] == '.')
        return false;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_ref(p + i, n - i, &cp);
        if (k == 0 || cp == '/' || cp == '\\' || control(cp))
            return false;
        i += k;
    }
    return true;
}

static bool hex_ok(const char *h)
{
    if (strlen(h) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

static void check_echo(const uint8_t *data, size_t size)
{
    bool want = size >= 7 && memcmp(data, "[echo] ", 7) == 0;
    require(dcmsg_is_echo(data, size) == want, "dcmsg_is_echo disagrees");
}

/* What dcmsg_printable() must give with room to spare: printable characters copied, one
 * '?' for each control character (tab excepted) and for each byte that is not UTF-8. */
static size_t printable_ref(char *dst, const uint8_t *src, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_ref(src + i, len - i, &cp);
        if (k && (!control(cp) || cp == '\t'))
            memcpy(dst + out, src + i, k), out += k;
        else
            dst[out++] = '?';
        i += k ? k : 1;
    }
    dst[out] = '\0';
    return out;
}

static void check_printable(const uint8_t *data, size_t size)
{
    static char full[MAX_INPUT + 1], part[MAX_INPUT + 1], ref[MAX_INPUT + 1];
    size_t n = dcmsg_printable(full, size + 1, data, size);
    size_t rn = printable_ref(ref, data, size);
    require(n == rn && strlen(full) == n && memcmp(full, ref, n) == 0,
            "printable differs from the reference");
    require(printable_ok(full, n), "printable output is not printable");
    static const size_t caps[] = {1, 2, 3, 4, 5, 8, 96, 128};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        size_t cap = caps[i];
        if (cap > n)
            break;
        size_t m = dcmsg_printable(part, cap, data, size);
        require(m < cap && strlen(part) == m, "printable overran its capacity");
        require(m + 4 >= cap, "printable cut more than one character short");
        require(memcmp(part, full, m) == 0, "a cut printable copy is not a prefix");
    }
}

static void check_name(const uint8_t *data, size_t size)
{
    const char *why = dcmsg_name_problem((const char *)data, size);
    require((why == NULL) == name_ok(data, size), "dcmsg_name_problem disagrees");
    require(!why || why[0], "empty reason");
    if (size > DCMSG_NAME_MAX) {
        why = dcmsg_name_problem((const char *)data, DCMSG_NAME_MAX);
        require((why == NULL) == name_ok(data, DCMSG_NAME_MAX), "dcmsg_name_problem disagrees");
    }
}

static void check_header(const uint8_t *data, size_t size)
{
    dcmsg_file_header h, h2;
    char why[256], tiny[8];
    why[0] = 'x';
    int rc = dcmsg_header_parse(data, size, &h, why, sizeof why);
    require(rc == 0 || rc == -1, "header_parse returned an undocumented code");
    /* A tiny reason buffer gives the same answer. */
    require(dcmsg_header_parse(data, size, &h2, tiny, sizeof tiny) == rc, "answer changed");
    if (rc) {
        require(why[0] != 'x' && why[0] && strlen(why) < sizeof why, "refusal without reason");
        require(strlen(tiny) < sizeof tiny, "reason overran its buffer");
        return;
    }
    size_t nlen = strnlen(h.name, sizeof h.name);
    require(nlen < sizeof h.name && name_ok((const uint8_t *)h.name, nlen),
            "header accepted a bad name");
    require(h.size <= DCMSG_SIZE_MAX, "header size above 2^53");
    require(hex_ok(h.sha256), "header sha256 not 64 lowercase hex digits");
    char *text = dcmsg_header_build(h.name, h.size, h.sha256);
    require(text != NULL, "header_build failed");
    require(dcmsg_header_parse((const uint8_t *)text, strlen(text), &h2, why, sizeof why) == 0,
            "rebuilt header does not parse");
    require(strcmp(h.name, h2.name) == 0 && h.size == h2.size && strcmp(h.sha256, h2.sha256) == 0,
            "rebuilt header parses to other fields");
    mem_free(text);
}

static void check_receipt(const uint8_t *data, size_t size)
{
    dcmsg_receipt r, r2;
    int rc = dcmsg_receipt_parse(data, size, &r);
    require(rc == 0 || rc == -1, "receipt_parse returned an undocumented code");
    if (rc)
        return;
    if (r.ok) {
        require(r.bytes <= DCMSG_SIZE_MAX, "receipt bytes above 2^53");
        require(hex_ok(r.sha256), "receipt sha256 not 64 lowercase hex digits");
    } else {
        size_t n = strnlen(r.error, sizeof r.error);
        require(n < sizeof r.error && printable_ok(r.error, n), "receipt error not printable");
    }
    char *text = dcmsg_receipt_build(&r);
    require(text != NULL, "receipt_build failed");
    require(dcmsg_receipt_parse((const uint8_t *)text, strlen(text), &r2) == 0,
            "rebuilt receipt does not parse");
    require(r.ok == r2.ok, "rebuilt receipt changed ok");
    if (r.ok)
        require(r.bytes == r2.bytes && strcmp(r.sha256, r2.sha256) == 0,
                "rebuilt receipt parses to other fields");
    else
        require(strcmp(r.error, r2.error) == 0, "rebuilt receipt changed its error");
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
    if (size > MAX_INPUT)
        return 0;
    long live = mem_live();
    check_echo(data, size);
    check_printable(data, size);
    check_name(data, size);
    check_header(data, size);
    check_receipt(data, size);
    require(mem_live() == live, "blocks leaked");
    return 0;
}
