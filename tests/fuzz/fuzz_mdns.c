/* libFuzzer target for ice/mdns.c. Parses the input as an mDNS message: only documented
 * codes, counts within the limits, every kept name printable ASCII of at most 253
 * characters, every record an A (IPv4) or AAAA (IPv6). Each kept question name must build a
 * query and each kept record an answer that parse back to the same name, type and address.
 * Then the input (up to its first NUL, at most 300 bytes) is used as a name to build a query:
 * when it builds, it must parse back as one question of that name. Any violation aborts. */
#include "ice/mdns.h"
#include "meshrtc/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_mdns: %s\n", what);
        abort();
    }
}

static void check_name(const char *name)
{
    size_t n = strlen(name);
    require(n <= MRTC_MDNS_NAME_MAX, "name too long");
    for (size_t i = 0; i < n; i++)
        require(name[i] > 0x20 && name[i] < 0x7f, "name not printable");
}

static mrtc_mdns_msg msg, back;
static uint8_t buf[MRTC_MDNS_MSG_MAX];

static void check_parse(const uint8_t *data, size_t size)
{
    int err = mrtc_mdns_parse(&msg, data, size);
    require(err == 0 || err == MRTC_EPROTO || err == MRTC_ENOTSUP, "undocumented code");
    if (err)
        return;
    require(msg.n_questions <= MRTC_MDNS_MAX_QUESTIONS, "too many questions");
    require(msg.n_records <= MRTC_MDNS_MAX_RECORDS, "too many records");
    for (size_t i = 0; i < msg.n_questions; i++) {
        const mrtc_mdns_question *q = &msg.questions[i];
        check_name(q->name);
        if (!q->name[0])
            continue; /* the root name cannot be queried */
        int n = mrtc_mdns_build_query(buf, sizeof buf, q->name, q->qtype, q->unicast_response);
        require(n > 0, "a parsed question name does not build");
        require(mrtc_mdns_parse(&back, buf, (size_t)n) == 0, "built query does not parse");
        require(back.n_questions == 1 && strcmp(back.questions[0].name, q->name) == 0 &&
                    back.questions[0].qtype == q->qtype &&
                    back.questions[0].unicast_response == q->unicast_response,
                "query round trip");
    }
    for (size_t i = 0; i < msg.n_records; i++) {
        const mrtc_mdns_record *r = &msg.records[i];
        check_name(r->name);
        require((r->type == MRTC_MDNS_TYPE_A && r->addr.family == MRTC_AF_INET) ||
                    (r->type == MRTC_MDNS_TYPE_AAAA && r->addr.family == MRTC_AF_INET6),
                "record type and address family disagree");
        require(r->addr.port == 0, "record address with a port");
        if (!r->name[0])
            continue;
        int n = mrtc_mdns_build_answer(buf, sizeof buf, r->name, &r->addr, r->ttl);
        require(n > 0, "a parsed record does not build");
        require(mrtc_mdns_parse(&back, buf, (size_t)n) == 0, "built answer does not parse");
        require(back.n_records == 1 && strcmp(back.records[0].name, r->name) == 0 &&
                    back.records[0].type == r->type && back.records[0].ttl == r->ttl &&
                    mrtc_addr_eq(&back.records[0].addr, &r->addr),
                "answer round trip");
    }
}

static void check_build(const uint8_t *data, size_t size)
{
    char name[301];
    size_t n = 0;
    while (n < size && n < 300 && data[n])
        n++;
    memcpy(name, data, n);
    name[n] = '\0';
    int len = mrtc_mdns_build_query(buf, sizeof buf, name, MRTC_MDNS_TYPE_A, false);
    require(len == MRTC_EINVAL || (len > 12 && len <= 12 + 255 + 4), "query length");
    if (len < 0)
        return;
    require(mrtc_mdns_parse(&back, buf, (size_t)len) == 0, "query does not parse");
    require(back.n_questions == 1 && mrtc_mdns_name_eq(back.questions[0].name, name),
            "query name changed");
    require(mrtc_mdns_build_query(buf, (size_t)len - 1, name, MRTC_MDNS_TYPE_A, false) ==
                MRTC_ENOBUFS,
            "capacity ignored");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_build(data, size);
    return 0;
}
