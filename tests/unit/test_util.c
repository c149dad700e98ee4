/* Tests of core/util: errors, byte reader/writer, string builder, addresses, random
 * sources, log configuration, the counting allocator. */
#include "test.h"

#include "core/util/addr.h"
#include "core/util/buf.h"
#include "core/util/log.h"
#include "core/util/rand.h"
#include "meshrtc/error.h"

static void test_errors(void)
{
    CHECK_STR(mrtc_err_name(MRTC_EPROTO), "MRTC_EPROTO");
    CHECK_STR(mrtc_strerror(MRTC_OK), "success");
    CHECK_STR(mrtc_strerror(-9999), "unknown error");
    CHECK_STR(mrtc_err_name(-9999), "MRTC_E?");
}

static void test_reader(void)
{
    const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7};
    mrtc_rd r;
    mrtc_rd_init(&r, d, sizeof d);
    CHECK_EQ(mrtc_rd_u8(&r), 1);
    CHECK_EQ(mrtc_rd_u16(&r), 0x0203);
    CHECK_EQ(mrtc_rd_u32(&r), 0x04050607);
    CHECK(!r.err);
    CHECK_EQ(mrtc_rd_u8(&r), 0);
    CHECK(r.err);
    mrtc_rd_init(&r, d, 3);
    CHECK(mrtc_rd_bytes(&r, 4) == NULL);
    CHECK(r.err);
}

static void test_writer(void)
{
    uint8_t b[6];
    mrtc_wr w;
    mrtc_wr_init(&w, b, sizeof b);
    mrtc_wr_u16(&w, 0xabcd);
    mrtc_wr_u32(&w, 0x01020304);
    CHECK(!w.err);
    CHECK_MEM(b, "\xab\xcd\x01\x02\x03\x04", 6);
    mrtc_wr_u8(&w, 9);
    CHECK(w.err);
    CHECK_EQ(w.len, 6);
}

static void test_sb(void)
{
    mrtc_sb sb;
    mrtc_sb_init(&sb);
    for (int i = 0; i < 100; i++)
        mrtc_sb_printf(&sb, "%d,", i);
    char *s = mrtc_sb_take(&sb);
    CHECK(s != NULL);
    CHECK(strncmp(s, "0,1,2,", 6) == 0);
    CHECK_EQ(strlen(s), 290);
    mrtc_free(s);

    mrtc_sb_init(&sb);
    mrtc_alloc_fail_after(1);
    mrtc_sb_append(&sb, "x");
    mrtc_alloc_fail_after(0);
    CHECK(sb.err);
    CHECK(mrtc_sb_take(&sb) == NULL);
}

static void test_addr(void)
{
    mrtc_addr a, b;
    char buf[MRTC_ADDR_STRLEN];
    CHECK_EQ(mrtc_addr_parse(&a, "192.0.2.1:3478"), 0);
    CHECK_STR(mrtc_addr_str(&a, buf, sizeof buf), "192.0.2.1:3478");
    CHECK_EQ(mrtc_addr_parse(&b, "[2001:db8::1]:80"), 0);
    CHECK_STR(mrtc_addr_str(&b, buf, sizeof buf), "[2001:db8::1]:80");
    CHECK(!mrtc_addr_eq(&a, &b));
    CHECK_EQ(mrtc_addr_parse(&b, "192.0.2.1:3478"), 0);
    CHECK(mrtc_addr_eq(&a, &b));
    mrtc_addr keep = a;
    CHECK_EQ(mrtc_addr_parse(&a, "192.0.2.1:99999"), MRTC_EINVAL);
    CHECK_EQ(mrtc_addr_parse(&a, "192.0.2.1"), MRTC_EINVAL);
    CHECK_EQ(mrtc_addr_parse(&a, "2001:db8::1:80"), MRTC_EINVAL);
    CHECK_EQ(mrtc_addr_parse(&a, "[::1]80"), MRTC_EINVAL);
    CHECK_EQ(mrtc_addr_parse_ip(&a, "not-an-ip", 1), MRTC_EINVAL);
    CHECK(mrtc_addr_eq(&a, &keep));
    CHECK_EQ(mrtc_addr_parse_ip(&a, "127.0.0.5", 1), 0);
    CHECK(mrtc_addr_is_loopback(&a));
    CHECK_EQ(mrtc_addr_parse_ip(&a, "::1", 1), 0);
    CHECK(mrtc_addr_is_loopback(&a));
    CHECK_EQ(mrtc_addr_parse_ip(&a, "fe80::1%1", 1), 0);
    CHECK(mrtc_addr_is_link_local(&a));
    CHECK_EQ(a.scope_id, 1);
    CHECK_EQ(mrtc_addr_parse_ip(&a, "::ffff:1.2.3.4", 1), 0);
    CHECK(mrtc_addr_is_unusable(&a));
    CHECK_EQ(mrtc_addr_parse_ip(&a, "0.0.0.0", 1), 0);
    CHECK(mrtc_addr_is_unusable(&a));
}

static void test_rand_seeded(void)
{
    mrtc_rand_seeded x, y;
    mrtc_rand_seeded_init(&x, 42);
    mrtc_rand_seeded_init(&y, 42);
    CHECK_U64(mrtc_rand_u64(&x.rand), mrtc_rand_u64(&y.rand));
    mrtc_rand_seeded_init(&y, 43);
    CHECK(mrtc_rand_u64(&x.rand) != mrtc_rand_u64(&y.rand));
    char s[17];
    mrtc_rand_ice_chars(&x.rand, s, 16);
    CHECK_EQ(strlen(s), 16);
    CHECK_EQ(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), 16);
    for (int i = 0; i < 1000; i++)
        CHECK(mrtc_rand_below(&x.rand, 7) < 7);
}

static void test_log_config(void)
{
    CHECK_EQ(mrtc_log_configure("warn,ice=debug"), 0);
    CHECK(mrtc_log_enabled("ice", MRTC_LOG_DEBUG));
    CHECK(!mrtc_log_enabled("sdp", MRTC_LOG_DEBUG));
    CHECK(mrtc_log_enabled("sdp", MRTC_LOG_WARN));
    /* A malformed spec changes nothing. */
    CHECK_EQ(mrtc_log_configure("trace,ice=loud"), MRTC_EINVAL);
    CHECK(!mrtc_log_enabled("sdp", MRTC_LOG_DEBUG));
    CHECK_EQ(mrtc_log_set_level(NULL, MRTC_LOG_ERROR), 0);
    CHECK(!mrtc_log_enabled("ice", MRTC_LOG_WARN));
    CHECK_EQ(mrtc_log_set_level(NULL, (mrtc_log_level)42), MRTC_EINVAL);
}

int main(void)
{
    RUN(test_errors);
    RUN(test_reader);
    RUN(test_writer);
    RUN(test_sb);
    RUN(test_addr);
    RUN(test_rand_seeded);
    RUN(test_log_config);
    return test_finish();
}
