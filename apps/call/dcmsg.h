/*
 * The messages meshrtc-call exchanges over data channels (docs/call.md, "Chat" and "File
 * transfer"), without any I/O: the echo marking of the chat channel, the header and the
 * receipt of the meshrtc-file/1 protocol, the check of a file name that came from the
 * network, SHA-256 as hex, and printable copies of untrusted text. A library of its own so
 * tests/apps can link it alone.
 */
#ifndef MESHRTC_APP_CALL_DCMSG_H
#define MESHRTC_APP_CALL_DCMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- chat ---- */

#define DCMSG_CHAT_LABEL "chat"
/* An echo is the received text with this prefix; a message that starts with it is never
 * echoed again, so two echoing peers cannot ping-pong. */
#define DCMSG_ECHO_PREFIX "[echo] "
#define DCMSG_ECHO_PREFIX_LEN 7

bool dcmsg_is_echo(const uint8_t *data, size_t len);

/* ---- file transfer (meshrtc-file/1) ---- */

#define DCMSG_FILE_LABEL "file"
#define DCMSG_FILE_PROTOCOL "meshrtc-file/1"
#define DCMSG_NAME_MAX 255                 /* bytes of a file name */
#define DCMSG_SIZE_MAX 9007199254740992ULL /* 2^53: exact in every JSON implementation */

typedef struct dcmsg_file_header {
    char name[DCMSG_NAME_MAX + 1];
    uint64_t size;
    char sha256[65]; /* lowercase hex */
} dcmsg_file_header;

typedef struct dcmsg_receipt {
    bool ok;
    uint64_t bytes;  /* ok: bytes received */
    char sha256[65]; /* ok: SHA-256 of what was received, lowercase hex */
    char error[128]; /* !ok: why (printable) */
} dcmsg_receipt;

/* NULL when `name` (len bytes, from the network) is acceptable as a file name inside the
 * receive directory, else a static reason: empty, longer than DCMSG_NAME_MAX bytes, not
 * UTF-8, a '/' or '\' (any path), a leading '.' (".", "..", hidden files, our temporary
 * files), a NUL or another control character (C0, DEL, C1). */
const char *dcmsg_name_problem(const char *name, size_t len);

/* {"name":...,"size":N,"sha256":"hex"} as a NUL-terminated block from mem_alloc() (the
 * caller frees it with mem_free()); NULL when out of memory. */
char *dcmsg_header_build(const char *name, uint64_t size, const char *sha256_hex);

/* Parses and checks a header. 0, or -1 with a one-line reason in why (which quotes a bad
 * name in printable form). */
int dcmsg_header_parse(const uint8_t *data, size_t len, dcmsg_file_header *out, char *why,
                       size_t whylen);

/* {"ok":true,"bytes":N,"sha256":"hex"} or {"ok":false,"error":"..."}; mem_alloc()ed. */
char *dcmsg_receipt_build(const dcmsg_receipt *r);
/* 0, or -1 when the text is not a receipt. */
int dcmsg_receipt_parse(const uint8_t *data, size_t len, dcmsg_receipt *out);

/* ---- helpers ---- */

/* 32 bytes of digest as 64 lowercase hex digits and a NUL. */
void dcmsg_hex(const uint8_t digest[32], char hex[65]);

/* Reads fd from offset 0 to its end (pread: the file position is untouched) and computes
 * its size and SHA-256. 0, or a negative errno value (-EIO when OpenSSL fails). */
int dcmsg_hash_fd(int fd, uint64_t *size, char hex[65]);

/* Copies len bytes of untrusted text into dst (cap > 0, always NUL-terminated) for one line
 * of output: valid UTF-8 is kept, control characters (C0 other than tab, DEL, C1) and bytes
 * that are not UTF-8 become '?'. Cut at a character boundary when dst is too small; the
 * result is never longer than len. Returns the length written. */
size_t dcmsg_printable(char *dst, size_t cap, const uint8_t *src, size_t len);

#endif
