/*
 * meshrtc-call's data channel messages (apps/call/dcmsg.c): the file-name check against names
 * a hostile peer would send ("../x", "/etc/passwd", "a/b", ".", "..", hidden files, control
 * characters, NUL, bad UTF-8, overlong names), the meshrtc-file/1 header and receipt both
 * ways (well-formed and malformed), the echo marking, SHA-256 known answers, printable text,
 * and no block left allocated (apps counting allocator).
 */
#include "apps/call/dcmsg.h"
#include "apps/common/mem.h"
#include "unit/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long live_at_start;

static void begin(void)
{
    mem_install_hooks();
    live_at_start = mem_live();
}

static void end(void)
{
    CHECK_EQ(mem_live(), live_at_start);
}

#define NAME_OK(s) CHECK(dcmsg_name_problem((s), sizeof(s) - 1) == NULL)
#define NAME_BAD(s) CHECK(dcmsg_name_problem((s), sizeof(s) - 1) != NULL)

static void test_names(void)
{
    NAME_OK("big.bin");
    NAME_OK("a..b"); /* dots inside a name are not a path */
    NAME_OK("report 2024 (1).pdf");
    NAME_OK("caf\xc3\xa9.txt");  /* UTF-8 */
    NAME_OK("\xf0\x9f\x98\x80"); /* U+1F600 */
    NAME_OK("x.");
    NAME_BAD("");
    NAME_BAD(".");
    NAME_BAD("..");
    NAME_BAD("../x");
    NAME_BAD("..\\x");
    NAME_BAD(".bashrc");
    NAME_BAD("/etc/passwd");
    NAME_BAD("a/b");
    NAME_BAD("a/../../b");
    NAME_BAD("dir/");
    NAME_BAD("a\\b");
    NAME_BAD("a\nb");
    NAME_BAD("a\rb");
    NAME_BAD("tab\there");
    NAME_BAD("esc\x1b[2Jx");
    NAME_BAD("del\x7f");
    NAME_BAD("c1\xc2\x9b"); /* U+009B, CSI */
    NAME_BAD("a\0b");       /* a NUL inside: the C string would be "a" */
    NAME_BAD("bad\xff");
    NAME_BAD("overlong\xc0\xaf"); /* overlong '/' */
    NAME_BAD("surrogate\xed\xa0\x80");
    NAME_BAD("cut\xe2\x82");
    char longname[300];
    memset(longname, 'a', sizeof(longname));
    CHECK(dcmsg_name_problem(longname, 255) == NULL);
    CHECK(dcmsg_name_problem(longname, 256) != NULL);
    CHECK_STR(dcmsg_name_problem("../x", 4), "name starts with '.'");
    CHECK_STR(dcmsg_name_problem("a/b", 3), "name contains a path separator");
}

static const char SHA_ABC[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static void test_header_roundtrip(void)
{
    begin();
    char *h = dcmsg_header_build("big.bin", 52428800, SHA_ABC);
    CHECK(h != NULL);
    char want[256];
    snprintf(want, sizeof(want), "{\"name\":\"big.bin\",\"size\":52428800,\"sha256\":\"%s\"}",
             SHA_ABC);
    CHECK_STR(h, want);
    dcmsg_file_header fh;
    char why[256] = "";
    CHECK_EQ(dcmsg_header_parse((const uint8_t *)h, strlen(h), &fh, why, sizeof(why)), 0);
    CHECK_STR(fh.name, "big.bin");
    CHECK_U64(fh.size, 52428800);
    CHECK_STR(fh.sha256, SHA_ABC);
    mem_free(h);

    /* Upper-case hex is accepted and lower-cased; extra fields are ignored. */
    const char up[] = "{\"name\":\"x\",\"size\":0,\"sha256\":"
                      "\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\","
                      "\"mime\":\"text/plain\"}";
    CHECK_EQ(dcmsg_header_parse((const uint8_t *)up, sizeof(up) - 1, &fh, why, sizeof(why)), 0);
    CHECK_STR(fh.sha256, SHA_ABC);
    CHECK_U64(fh.size, 0);
    end();
}

/* Parses `text` as a header; returns the reason (static buffer) or "" when it parsed. */
static const char *header_why(const char *text)
{
    static char why[256];
    dcmsg_file_header fh;
    why[0] = '\0';
    if (dcmsg_header_parse((const uint8_t *)text, strlen(text), &fh, why, sizeof(why)) == 0)
        return "";
    return why;
}

static void test_header_refused(void)
{
    begin();
    char text[512];
    const char *bad_names[] = {
        "../x",    "../../etc/passwd", "/tmp/x", "a/b",           "..", ".", "",
        ".hidden", "a\\u0000b",        "a\\nb",  "\\u001b[31mred"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        snprintf(text, sizeof(text), "{\"name\":\"%s\",\"size\":1,\"sha256\":\"%s\"}", bad_names[i],
                 SHA_ABC);
        const char *why = header_why(text);
        if (!*why)
            fprintf(stderr, "header with name %s was accepted\n", bad_names[i]);
        CHECK(*why != '\0');
    }
    snprintf(text, sizeof(text), "{\"name\":\"../x\",\"size\":1,\"sha256\":\"%s\"}", SHA_ABC);
    CHECK_STR(header_why(text), "bad file name '../x': name starts with '.'");
    /* A control character is shown as '?' in the reason (it goes to a terminal). */
    snprintf(text, sizeof(text), "{\"name\":\"a\\u001bb\",\"size\":1,\"sha256\":\"%s\"}", SHA_ABC);
    CHECK_STR(header_why(text), "bad file name 'a?b': name contains a control character");

    CHECK_STR(header_why("not json"), "the header is not a JSON object");
    CHECK_STR(header_why("[1]"), "the header is not a JSON object");
    snprintf(text, sizeof(text), "{\"size\":1,\"sha256\":\"%s\"}", SHA_ABC);
    CHECK_STR(header_why(text), "the header has no \"name\" string");
    snprintf(text, sizeof(text), "{\"name\":7,\"size\":1,\"sha256\":\"%s\"}", SHA_ABC);
    CHECK_STR(header_why(text), "the header has no \"name\" string");
    const char *bad_sizes[] = {"-1", "1.5", "\"10\"", "null", "9007199254740993"};
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        snprintf(text, sizeof(text), "{\"name\":\"x\",\"size\":%s,\"sha256\":\"%s\"}", bad_sizes[i],
                 SHA_ABC);
        CHECK_STR(header_why(text), "the header has no valid \"size\" (an integer 0..2^53)");
    }
    const char *bad_sha[] = {
        "\"\"", "\"abc\"", "1",
        "\"zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"",
        "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0\""};
    for (size_t i = 0; i < sizeof(bad_sha) / sizeof(bad_sha[0]); i++) {
        snprintf(text, sizeof(text), "{\"name\":\"x\",\"size\":1,\"sha256\":%s}", bad_sha[i]);
        CHECK_STR(header_why(text), "the header has no valid \"sha256\" (64 hex digits)");
    }
    end();
}

static void test_receipt(void)
{
    begin();
    dcmsg_receipt r = {.ok = true, .bytes = 3}, back;
    memcpy(r.sha256, SHA_ABC, sizeof(r.sha256));
    char *t = dcmsg_receipt_build(&r);
    char want[256];
    snprintf(want, sizeof(want), "{\"ok\":true,\"bytes\":3,\"sha256\":\"%s\"}", SHA_ABC);
    CHECK_STR(t, want);
    CHECK_EQ(dcmsg_receipt_parse((const uint8_t *)t, strlen(t), &back), 0);
    CHECK(back.ok);
    CHECK_U64(back.bytes, 3);
    CHECK_STR(back.sha256, SHA_ABC);
    mem_free(t);

    dcmsg_receipt e = {.ok = false};
    snprintf(e.error, sizeof(e.error), "bad file name '../x': name starts with '.'");
    t = dcmsg_receipt_build(&e);
    CHECK_STR(t, "{\"ok\":false,\"error\":\"bad file name '../x': name starts with '.'\"}");
    CHECK_EQ(dcmsg_receipt_parse((const uint8_t *)t, strlen(t), &back), 0);
    CHECK(!back.ok);
    CHECK_STR(back.error, "bad file name '../x': name starts with '.'");
    mem_free(t);

    const char *esc = "{\"ok\":false,\"error\":\"x\\u001b[2Jy\"}";
    CHECK_EQ(dcmsg_receipt_parse((const uint8_t *)esc, strlen(esc), &back), 0);
    CHECK_STR(back.error, "x?[2Jy");
    const char *noreason = "{\"ok\":false}";
    CHECK_EQ(dcmsg_receipt_parse((const uint8_t *)noreason, strlen(noreason), &back), 0);
    CHECK_STR(back.error, "no reason given");

    const char *bad[] = {"",
                         "{}",
                         "{\"ok\":1}",
                         "{\"ok\":true}",
                         "{\"ok\":true,\"bytes\":3}",
                         "{\"ok\":true,\"bytes\":-3,\"sha256\":\"00\"}",
                         "[true]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(dcmsg_receipt_parse((const uint8_t *)bad[i], strlen(bad[i]), &back), -1);
    end();
}

static void test_echo_marking(void)
{
    CHECK(dcmsg_is_echo((const uint8_t *)"[echo] msg-1", 12));
    CHECK(dcmsg_is_echo((const uint8_t *)"[echo] ", 7));
    CHECK(!dcmsg_is_echo((const uint8_t *)"[echo]", 6));
    CHECK(!dcmsg_is_echo((const uint8_t *)"msg-1 [echo] ", 13));
    CHECK(!dcmsg_is_echo((const uint8_t *)"", 0));
    CHECK_EQ(strlen(DCMSG_ECHO_PREFIX), DCMSG_ECHO_PREFIX_LEN);
}

static void test_sha256_file(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[256];
    snprintf(path, sizeof(path), "%s/meshrtc-dcmsg-XXXXXX", tmpdir && *tmpdir ? tmpdir : P_tmpdir);
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    uint64_t size = 99;
    char hex[65];
    CHECK_EQ(dcmsg_hash_fd(fd, &size, hex), 0);
    CHECK_U64(size, 0);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_EQ(write(fd, "abc", 3), 3);
    CHECK_EQ(dcmsg_hash_fd(fd, &size, hex), 0);
    CHECK_U64(size, 3);
    CHECK_STR(hex, SHA_ABC);
    /* 200000 bytes: several reads. */
    static char big[200000];
    memset(big, 'a', sizeof(big));
    CHECK_EQ(ftruncate(fd, 0), 0);
    CHECK_EQ(pwrite(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
    CHECK_EQ(dcmsg_hash_fd(fd, &size, hex), 0);
    CHECK_U64(size, 200000);
    /* python3 -c 'import hashlib;print(hashlib.sha256(b"a"*200000).hexdigest())' */
    CHECK_STR(hex, "2287d207f24a941ff3b56c04c8a25ad56b63e3023207b3bb5b4ac0c9869d74be");
    close(fd);
    unlink(path);
    CHECK(dcmsg_hash_fd(-1, &size, hex) < 0);
}

static void test_printable(void)
{
    char out[64];
    CHECK_EQ(dcmsg_printable(out, sizeof(out), (const uint8_t *)"hello", 5), 5);
    CHECK_STR(out, "hello");
    dcmsg_printable(out, sizeof(out), (const uint8_t *)"a\nb\rc\x1b[0m\td", 11);
    CHECK_STR(out, "a?b?c?[0m\td");
    dcmsg_printable(out, sizeof(out), (const uint8_t *)"caf\xc3\xa9 \xff\xc2\x9b!", 10);
    CHECK_STR(out, "caf\xc3\xa9 ?"
                   "?!");
    /* Cut at a character boundary: "é" does not fit in the last byte. */
    CHECK_EQ(dcmsg_printable(out, 5, (const uint8_t *)"abc\xc3\xa9", 5), 3);
    CHECK_STR(out, "abc");
    CHECK_EQ(dcmsg_printable(out, 1, (const uint8_t *)"abc", 3), 0);
    CHECK_STR(out, "");
}

int main(void)
{
    RUN(test_names);
    RUN(test_header_roundtrip);
    RUN(test_header_refused);
    RUN(test_receipt);
    RUN(test_echo_marking);
    RUN(test_sha256_file);
    RUN(test_printable);
    return test_finish();
}
