/*
 * meshrtc-call's data channel messages (dcmsg.h, docs/call.md): the chat echo marking, the
 * meshrtc-file/1 header and receipt (JSON text messages, parsed with jansson through the
 * apps' JSON helpers), the file-name check for names that come from the network, SHA-256
 * of a file with OpenSSL's EVP interface, and printable copies of untrusted text.
 *
 * It does no socket or directory I/O and keeps no state; it does not decide what to do with
 * a refused name (xfer.c refuses the transfer) and does not rewrite names into acceptable
 * ones: a name is used as given or not at all.
 */
#include "apps/call/dcmsg.h"

#include "apps/common/jsonutil.h"
#include "apps/common/mem.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool dcmsg_is_echo(const uint8_t *data, size_t len)
{
    return len >= DCMSG_ECHO_PREFIX_LEN &&
           memcmp(data, DCMSG_ECHO_PREFIX, DCMSG_ECHO_PREFIX_LEN) == 0;
}

/* Decodes one UTF-8 sequence at s (n > 0 bytes left): its length, and the code point in
 * *cp; 0 when the bytes there are not UTF-8 (overlong, surrogate, past U+10FFFF, cut). */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    size_t len;
    uint32_t v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        len = 2, v = b & 0x1f, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3, v = b & 0x0f, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4, v = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

size_t dcmsg_printable(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    size_t out = 0, i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_next(src + i, len - i, &cp);
        bool keep = n > 0 && (!is_control(cp) || cp == '\t');
        size_t w = keep ? n : 1;
        if (out + w >= cap)
            break;
        if (keep)
            memcpy(dst + out, src + i, n);
        else
            dst[out] = '?';
        out += w;
        i += n ? n : 1;
    }
    dst[out] = '\0';
    return out;
}

const char *dcmsg_name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "empty name";
    if (len > DCMSG_NAME_MAX)
        return "name longer than 255 bytes";
    if (name[0] == '.')
        return "name starts with '.'";
    const uint8_t *s = (const uint8_t *)name;
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0)
            return "name is not UTF-8";
        if (cp == '/' || cp == '\\')
            return "name contains a path separator";
        if (is_control(cp))
            return "name contains a control character";
        i += n;
    }
    return NULL;
}

void dcmsg_hex(const uint8_t digest[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

/* Copies 64 hex digits, lowercased; false when s is anything else. */
static bool hex64(const char *s, char out[65])
{
    if (!s || strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++) {
        char ch = s[i];
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
        out[i] = ch;
    }
    out[64] = '\0';
    return true;
}

static bool json_u64(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > DCMSG_SIZE_MAX)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

char *dcmsg_header_build(const char *name, uint64_t size, const char *sha256_hex)
{
    json_t *j =
        json_pack("{s:s, s:I, s:s}", "name", name, "size", (json_int_t)size, "sha256", sha256_hex);
    char *text = jsonutil_dump(j, NULL);
    json_decref(j);
    return text;
}

int dcmsg_header_parse(const uint8_t *data, size_t len, dcmsg_file_header *out, char *why,
                       size_t whylen)
{
    int rc = -1;
    memset(out, 0, sizeof(*out));
    json_t *j = jsonutil_parse((const char *)data, len, NULL);
    if (!json_is_object(j)) {
        snprintf(why, whylen, "the header is not a JSON object");
        goto out;
    }
    json_t *jn = json_object_get(j, "name");
    if (!json_is_string(jn)) {
        snprintf(why, whylen, "the header has no \"name\" string");
        goto out;
    }
    const char *name = json_string_value(jn);
    size_t nlen = json_string_length(jn);
    const char *problem = dcmsg_name_problem(name, nlen);
    if (problem) {
        char shown[96];
        size_t n = dcmsg_printable(shown, sizeof(shown), (const uint8_t *)name, nlen);
        snprintf(why, whylen, "bad file name '%s'%s: %s", shown, n < nlen ? "..." : "", problem);
        goto out;
    }
    if (!json_u64(json_object_get(j, "size"), &out->size)) {
        snprintf(why, whylen, "the header has no valid \"size\" (an integer 0..2^53)");
        goto out;
    }
    if (!hex64(jsonutil_string(j, "sha256"), out->sha256)) {
        snprintf(why, whylen, "the header has no valid \"sha256\" (64 hex digits)");
        goto out;
    }
    memcpy(out->name, name, nlen);
    out->name[nlen] = '\0';
    rc = 0;
out:
    json_decref(j);
    return rc;
}

char *dcmsg_receipt_build(const dcmsg_receipt *r)
{
    json_t *j = r->ok ? json_pack("{s:b, s:I, s:s}", "ok", 1, "bytes", (json_int_t)r->bytes,
                                  "sha256", r->sha256)
                      : json_pack("{s:b, s:s}", "ok", 0, "error", r->error);
    char *text = jsonutil_dump(j, NULL);
    json_decref(j);
    return text;
}

int dcmsg_receipt_parse(const uint8_t *data, size_t len, dcmsg_receipt *out)
{
    int rc = -1;
    memset(out, 0, sizeof(*out));
    json_t *j = jsonutil_parse((const char *)data, len, NULL);
    json_t *ok = json_object_get(j, "ok");
    if (!json_is_boolean(ok))
        goto out;
    out->ok = json_is_true(ok);
    if (out->ok) {
        if (!json_u64(json_object_get(j, "bytes"), &out->bytes) ||
            !hex64(jsonutil_string(j, "sha256"), out->sha256))
            goto out;
    } else {
        json_t *e = json_object_get(j, "error");
        if (json_is_string(e))
            dcmsg_printable(out->error, sizeof(out->error), (const uint8_t *)json_string_value(e),
                            json_string_length(e));
        else
            snprintf(out->error, sizeof(out->error), "no reason given");
    }
    rc = 0;
out:
    json_decref(j);
    return rc;
}

int dcmsg_hash_fd(int fd, uint64_t *size, char hex[65])
{
    static uint8_t buf[1 << 16];
    int rc = 0;
    uint64_t off = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = -EIO;
        goto out;
    }
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        if (n == 0)
            break;
        if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
            rc = -EIO;
            goto out;
        }
        off += (uint64_t)n;
    }
    uint8_t digest[32];
    unsigned dlen = 0;
    if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32) {
        rc = -EIO;
        goto out;
    }
    dcmsg_hex(digest, hex);
    *size = off;
out:
    EVP_MD_CTX_free(md);
    return rc;
}
