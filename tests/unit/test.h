/*
 * A minimal test harness: checks print both sides on failure, each test function is run
 * and counted, and each RUN() checks that the test left no allocation behind (counting
 * allocator).
 *
 *   static void test_parse(void) { CHECK_EQ(parse("1"), 1); }
 *   int main(void) { RUN(test_parse); return test_finish(); }
 */
#ifndef MESHRTC_TEST_H
#define MESHRTC_TEST_H

#include "core/util/alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks;
static int test_passed;
static int test_failed;
static const char *test_current = "";

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__,           \
                    test_current, #cond);                                                  \
            test_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
        if (check_a_ != check_b_) {                                                        \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: %lld != %lld\n", __FILE__,        \
                    __LINE__, test_current, #a, #b, check_a_, check_b_);                   \
            test_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_U64(a, b)                                                                    \
    do {                                                                                   \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                       \
        if (check_a_ != check_b_) {                                                        \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n",    \
                    __FILE__, __LINE__, test_current, #a, #b, check_a_, check_b_);         \
            test_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_STR(a, b)                                                                    \
    do {                                                                                   \
        const char *check_a_ = (a), *check_b_ = (b);                                       \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                  \
            fprintf(stderr, "%s:%d: %s: %s == %s failed:\n  \"%s\"\n  \"%s\"\n", __FILE__, \
                    __LINE__, test_current, #a, #b, check_a_ ? check_a_ : "(null)",        \
                    check_b_ ? check_b_ : "(null)");                                       \
            test_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_MEM(a, b, n)                                                                 \
    do {                                                                                   \
        const unsigned char *check_a_ = (const unsigned char *)(a);                        \
        const unsigned char *check_b_ = (const unsigned char *)(b);                        \
        size_t check_n_ = (n);                                                             \
        if (memcmp(check_a_, check_b_, check_n_) != 0) {                                   \
            fprintf(stderr, "%s:%d: %s: %s == %s failed (%zu bytes):\n  ", __FILE__,       \
                    __LINE__, test_current, #a, #b, check_n_);                             \
            for (size_t i_ = 0; i_ < check_n_; i_++)                                       \
                fprintf(stderr, "%02x", check_a_[i_]);                                     \
            fprintf(stderr, "\n  ");                                                       \
            for (size_t i_ = 0; i_ < check_n_; i_++)                                       \
                fprintf(stderr, "%02x", check_b_[i_]);                                     \
            fprintf(stderr, "\n");                                                         \
            test_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

#define RUN(fn)                                                                            \
    do {                                                                                   \
        int before_ = test_failed_checks;                                                  \
        long live_ = mrtc_alloc_live();                                                    \
        test_current = #fn;                                                                \
        fn();                                                                              \
        if (mrtc_alloc_live() != live_) {                                                  \
            fprintf(stderr, "%s: leaked %ld block(s)\n", #fn, mrtc_alloc_live() - live_);  \
            test_failed_checks++;                                                          \
        }                                                                                  \
        if (test_failed_checks == before_) {                                               \
            test_passed++;                                                                 \
        } else {                                                                           \
            test_failed++;                                                                 \
            fprintf(stderr, "FAIL %s\n", #fn);                                             \
        }                                                                                  \
    } while (0)

static inline int test_finish(void)
{
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed == 0 ? 0 : 1;
}

#endif
