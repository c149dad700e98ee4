/* Tests of ice/candidate.c and ice/checklist.c: candidate and pair priorities (known
 * values of RFC 8445 sections 5.1.2.1 and 6.1.2.3), local preferences, foundations, the SDP
 * candidate attribute codec (round trips, browser lines, malformed lines), and the
 * checklist's ordering, initial states and unfreezing, and the agent's pure interface
 * selection helper (mrtc_ice_agent_select_interfaces). */
#include "test.h"

#include "core/util/addr.h"
#include "ice/agent.h"
#include "ice/candidate.h"
#include "ice/checklist.h"
#include "meshrtc/error.h"

static mrtc_addr ip(const char *s, uint16_t port)
{
    mrtc_addr a;
    memset(&a, 0, sizeof a);
    if (mrtc_addr_parse_ip(&a, s, port) != 0)
        fprintf(stderr, "bad test address %s\n", s);
    return a;
}

static void test_priority(void)
{
    CHECK_EQ(mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_HOST, 65535, 1), 2130706431u);
    CHECK_EQ(mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_SRFLX, 65535, 1), 1694498815u);
    CHECK_EQ(mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_PRFLX, 65535, 1), 1862270975u);
    CHECK_EQ(mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_RELAY, 65535, 1), 16777215u);
    CHECK_EQ(mrtc_ice_candidate_priority(MRTC_ICE_TYPE_PREF_HOST, 65535, 2), 2130706430u);
    CHECK_EQ(mrtc_ice_candidate_type_pref(MRTC_ICE_CAND_HOST), 126);
    CHECK_EQ(mrtc_ice_candidate_type_pref(MRTC_ICE_CAND_PRFLX), 110);
    CHECK_EQ(mrtc_ice_candidate_type_pref(MRTC_ICE_CAND_SRFLX), 100);
    CHECK_EQ(mrtc_ice_candidate_type_pref(MRTC_ICE_CAND_RELAY), 0);
}

static void test_pair_priority(void)
{
    /* controlling host (G) against controlled srflx (D), and the same with roles swapped */
    CHECK_U64(mrtc_ice_pair_priority(2130706431u, 1694498815u), 7277816997797167103ull);
    CHECK_U64(mrtc_ice_pair_priority(1694498815u, 2130706431u), 7277816997797167102ull);
    CHECK_U64(mrtc_ice_pair_priority(5, 5), (5ull << 32) + 10);
    CHECK_U64(mrtc_ice_pair_priority(0xffffffffu, 0xffffffffu),
              (0xffffffffull << 32) + 2 * 0xffffffffull);
}

static void test_local_pref(void)
{
    mrtc_addr v6 = ip("2001:db8::1", 1), v4 = ip("192.0.2.1", 1), ll = ip("fe80::1", 1);
    CHECK_EQ(mrtc_ice_candidate_local_pref(&v6, 0), 65535);
    CHECK(mrtc_ice_candidate_local_pref(&v6, 0) > mrtc_ice_candidate_local_pref(&v4, 0));
    CHECK(mrtc_ice_candidate_local_pref(&v4, 0) > mrtc_ice_candidate_local_pref(&ll, 0));
    CHECK(mrtc_ice_candidate_local_pref(&v4, 0) > mrtc_ice_candidate_local_pref(&v4, 1));
    CHECK(mrtc_ice_candidate_local_pref(&v4, 5) > mrtc_ice_candidate_local_pref(&ll, 0));
    CHECK(mrtc_ice_candidate_local_pref(&v6, 3) > mrtc_ice_candidate_local_pref(&v4, 0));
}

static void test_foundation(void)
{
    char f1[MRTC_ICE_FOUNDATION_MAX + 1], f2[MRTC_ICE_FOUNDATION_MAX + 1];
    mrtc_addr b1 = ip("192.0.2.1", 5000), b1p = ip("192.0.2.1", 6000), b2 = ip("192.0.2.2", 5000);
    mrtc_addr s1 = ip("198.51.100.1", 3478), s2 = ip("198.51.100.2", 3478);

    mrtc_ice_candidate_foundation(f1, MRTC_ICE_CAND_HOST, &b1, NULL, MRTC_ICE_TRANSPORT_UDP);
    mrtc_ice_candidate_foundation(f2, MRTC_ICE_CAND_HOST, &b1p, NULL, MRTC_ICE_TRANSPORT_UDP);
    CHECK_STR(f1, f2); /* same type and base IP: same foundation, whatever the port */
    mrtc_ice_candidate_foundation(f2, MRTC_ICE_CAND_HOST, &b2, NULL, MRTC_ICE_TRANSPORT_UDP);
    CHECK(strcmp(f1, f2) != 0); /* another base IP */
    mrtc_ice_candidate_foundation(f2, MRTC_ICE_CAND_SRFLX, &b1, &s1, MRTC_ICE_TRANSPORT_UDP);
    CHECK(strcmp(f1, f2) != 0); /* another type */
    mrtc_ice_candidate_foundation(f1, MRTC_ICE_CAND_SRFLX, &b1p, &s1, MRTC_ICE_TRANSPORT_UDP);
    CHECK_STR(f1, f2); /* same type, base IP and server */
    mrtc_ice_candidate_foundation(f1, MRTC_ICE_CAND_SRFLX, &b1, &s2, MRTC_ICE_TRANSPORT_UDP);
    CHECK(strcmp(f1, f2) != 0); /* another server */
    mrtc_ice_candidate_foundation(f1, MRTC_ICE_CAND_HOST, &b1, NULL, MRTC_ICE_TRANSPORT_TCP);
    mrtc_ice_candidate_foundation(f2, MRTC_ICE_CAND_HOST, &b1, NULL, MRTC_ICE_TRANSPORT_UDP);
    CHECK(strcmp(f1, f2) != 0); /* another transport */
    CHECK(strlen(f1) >= 1 && strlen(f1) <= MRTC_ICE_FOUNDATION_MAX);
}

/* parse(line) must succeed and format back to `expect` (or line itself when NULL). */
static void round_trip(const char *line, const char *expect, mrtc_ice_candidate *out)
{
    char buf[MRTC_ICE_CANDIDATE_LINE_MAX];
    const char *why = "unset";
    int err = mrtc_ice_candidate_parse(out, line, &why);
    CHECK_EQ(err, 0);
    if (err) {
        fprintf(stderr, "  refused: %s\n  line: %s\n", why, line);
        return;
    }
    CHECK(why == NULL);
    int n = mrtc_ice_candidate_format(out, buf, sizeof buf);
    CHECK(n > 0);
    CHECK_STR(buf, expect ? expect : line);
    /* and the formatted line parses to the same candidate */
    mrtc_ice_candidate again;
    CHECK_EQ(mrtc_ice_candidate_parse(&again, buf, NULL), 0);
    CHECK_MEM(&again, out, sizeof again);
}

static void test_parse_srflx(void)
{
    mrtc_ice_candidate c;
    const char *line = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr "
                       "10.0.0.2 rport 46154 generation 0 ufrag EsAw network-cost 999";
    round_trip(line, NULL, &c);
    CHECK_STR(c.foundation, "842163049");
    CHECK_EQ(c.component, 1);
    CHECK_EQ(c.transport, MRTC_ICE_TRANSPORT_UDP);
    CHECK_EQ(c.priority, 1677729535u);
    mrtc_addr want = ip("203.0.113.7", 46154), rel = ip("10.0.0.2", 46154);
    CHECK(mrtc_addr_eq(&c.addr, &want));
    CHECK_EQ(c.type, MRTC_ICE_CAND_SRFLX);
    CHECK(c.has_related);
    CHECK(mrtc_addr_eq(&c.related, &rel));
    CHECK_EQ(c.generation, 0);
    CHECK_STR(c.ufrag, "EsAw");
    CHECK_EQ(c.network_cost, 999);
    CHECK_EQ(c.network_id, -1);
    CHECK(c.hostname[0] == '\0');

    /* prefixes and line endings */
    mrtc_ice_candidate d;
    CHECK_EQ(mrtc_ice_candidate_parse(&d, line + strlen("candidate:"), NULL), 0);
    CHECK_MEM(&d, &c, sizeof c);
    char with_a[600];
    snprintf(with_a, sizeof with_a, "a=%s\r\n", line);
    CHECK_EQ(mrtc_ice_candidate_parse(&d, with_a, NULL), 0);
    CHECK_MEM(&d, &c, sizeof c);
}

static void test_parse_variants(void)
{
    mrtc_ice_candidate c;
    /* Uppercase transport, formatted back in lowercase. */
    round_trip("candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host",
               "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host", &c);
    CHECK_EQ(c.transport, MRTC_ICE_TRANSPORT_UDP);
    CHECK_EQ(c.generation, -1);

    /* IPv6 (Chrome's shape) */
    round_trip("candidate:3 1 udp 2122262783 2001:db8::7 50000 typ host generation 0 "
               "ufrag abcd network-id 2 network-cost 10",
               NULL, &c);
    CHECK_EQ(c.addr.family, MRTC_AF_INET6);
    CHECK_EQ(c.addr.port, 50000);
    CHECK_EQ(c.network_id, 2);
    /* IPv6 written uncompressed comes back canonical */
    round_trip("candidate:3 1 udp 2122262783 2001:DB8:0:0:0:0:0:7 50000 typ host",
               "candidate:3 1 udp 2122262783 2001:db8::7 50000 typ host", &c);

    /* mDNS hostname (Chrome/Firefox with host-candidate obfuscation) */
    round_trip("candidate:2 1 udp 2122260223 3c7a2f1e-8f4c-4b8a-9d2e-1a2b3c4d5e6f.local 54321 "
               "typ host generation 0 network-cost 999",
               NULL, &c);
    CHECK_EQ(c.addr.family, MRTC_AF_NONE);
    CHECK_EQ(c.addr.port, 54321);
    CHECK_STR(c.hostname, "3c7a2f1e-8f4c-4b8a-9d2e-1a2b3c4d5e6f.local");
    CHECK(mrtc_ice_candidate_is_mdns(&c));

    /* srflx whose base is hidden behind 0.0.0.0 (mDNS mode) */
    round_trip("candidate:4 1 udp 1685987071 198.51.100.9 61000 typ srflx raddr 0.0.0.0 rport 0",
               NULL, &c);
    CHECK(c.has_related);
    CHECK(mrtc_addr_is_any(&c.related));
    /* a hostname raddr is accepted and dropped */
    round_trip("candidate:4 1 udp 1685987071 198.51.100.9 61000 typ srflx raddr x.local rport 9",
               "candidate:4 1 udp 1685987071 198.51.100.9 61000 typ srflx", &c);
    CHECK(!c.has_related);

    /* TCP candidates are parsed (and marked tcp: the agent ignores them) */
    round_trip("candidate:5 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0",
               NULL, &c);
    CHECK_EQ(c.transport, MRTC_ICE_TRANSPORT_TCP);
    CHECK_EQ(c.tcptype, MRTC_ICE_TCPTYPE_ACTIVE);
    CHECK_EQ(c.addr.port, 9);

    /* unknown extensions are skipped, known ones after them still read */
    CHECK_EQ(mrtc_ice_candidate_parse(&c,
                                      "candidate:6 1 udp 1 192.0.2.1 1 typ relay raddr "
                                      "192.0.2.9 rport 2 foo bar x-y 7 generation 3",
                                      NULL),
             0);
    CHECK_EQ(c.type, MRTC_ICE_CAND_RELAY);
    CHECK_EQ(c.generation, 3);

    /* prflx, component 2, extra spaces */
    CHECK_EQ(
        mrtc_ice_candidate_parse(&c, "candidate:7  2 udp  1862270974 192.0.2.3 7 typ prflx", NULL),
        0);
    CHECK_EQ(c.type, MRTC_ICE_CAND_PRFLX);
    CHECK_EQ(c.component, 2);
}

static void refuse(const char *line)
{
    mrtc_ice_candidate c, before;
    const char *why = NULL;
    memset(&c, 0xa5, sizeof c);
    before = c;
    int err = mrtc_ice_candidate_parse(&c, line, &why);
    CHECK_EQ(err, MRTC_EINVAL);
    CHECK(why != NULL && why[0] != '\0');
    CHECK_MEM(&c, &before, sizeof c); /* untouched */
    if (err == 0)
        fprintf(stderr, "  accepted: %s\n", line);
}

static void test_parse_malformed(void)
{
    char big[MRTC_ICE_CANDIDATE_LINE_MAX + 100];
    refuse("");
    refuse("candidate:");
    refuse("candidate: 1 1 udp 1 192.0.2.1 5000 typ host");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ");       /* missing type */
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000");           /* missing typ */
    refuse("candidate:1 1 udp 2130706431 192.0.2.1");                /* missing port */
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 70000 typ host"); /* bad port */
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 -1 typ host");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 12a typ host");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 0 typ host");    /* port 0 on udp */
    refuse("candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host"); /* bad priority */
    refuse("candidate:1 1 udp 0x10 192.0.2.1 5000 typ host");
    refuse("candidate:1 1 udp -5 192.0.2.1 5000 typ host");
    refuse("candidate:1 1 udp 0 192.0.2.1 5000 typ host");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ hots"); /* bad type */
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 type host");
    refuse("candidate:1 0 udp 2130706431 192.0.2.1 5000 typ host"); /* bad component */
    refuse("candidate:1 257 udp 2130706431 192.0.2.1 5000 typ host");
    refuse("candidate:1 1 sctp 2130706431 192.0.2.1 5000 typ host"); /* bad transport */
    refuse("candidate:1! 1 udp 2130706431 192.0.2.1 5000 typ host"); /* bad foundation */
    refuse("candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 5000 typ host");
    refuse("candidate:1 1 udp 2130706431 999.1.1.1 5000 typ host"); /* bad address */
    refuse("candidate:1 1 udp 2130706431 1.2.3 5000 typ host");
    refuse("candidate:1 1 udp 2130706431 2001:db8::g 5000 typ host");
    refuse("candidate:1 1 udp 2130706431 bad_host.local 5000 typ host");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ srflx raddr 10.0.0.1");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ srflx rport 1 raddr");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ srflx raddr 10.0.0.1 rport x");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host generation");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host generation -1");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host ufrag a:b");
    refuse("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host tcptype active");
    refuse("candidate:1 1 tcp 2130706431 192.0.2.1 9 typ host tcptype sideways");
    refuse("a=ice-ufrag:abcd");
    memset(big, 0, sizeof big);
    memcpy(big, "candidate:1 1 udp 1 192.0.2.1 5000 typ host x ", 46);
    memset(big + 46, 'y', sizeof big - 47);
    refuse(big);
    /* too many extension fields */
    char many[MRTC_ICE_CANDIDATE_LINE_MAX] = "candidate:1 1 udp 1 192.0.2.1 5 typ host";
    for (int i = 0; i < 60; i++)
        strcat(many, " a b");
    refuse(many);

    const char *why = NULL;
    CHECK_EQ(mrtc_ice_candidate_parse(NULL, "candidate:1 1 udp 1 192.0.2.1 5 typ host", &why),
             MRTC_EINVAL);
    mrtc_ice_candidate c;
    CHECK_EQ(mrtc_ice_candidate_parse(&c, NULL, &why), MRTC_EINVAL);
}

static void test_format_errors(void)
{
    mrtc_ice_candidate c;
    char small[16];
    CHECK_EQ(mrtc_ice_candidate_parse(&c, "candidate:1 1 udp 1 192.0.2.1 5 typ host", NULL), 0);
    CHECK_EQ(mrtc_ice_candidate_format(&c, small, sizeof small), MRTC_ENOBUFS);
    CHECK(strlen(small) < sizeof small);
    mrtc_ice_candidate_init(&c);
    char buf[128];
    CHECK_EQ(mrtc_ice_candidate_format(&c, buf, sizeof buf), MRTC_EINVAL);
}

static void test_same_address(void)
{
    mrtc_ice_candidate a, b;
    mrtc_ice_candidate_parse(&a, "candidate:1 1 udp 1 192.0.2.1 5 typ host", NULL);
    mrtc_ice_candidate_parse(&b, "candidate:2 1 udp 9 192.0.2.1 5 typ srflx", NULL);
    CHECK(mrtc_ice_candidate_same_address(&a, &b));
    mrtc_ice_candidate_parse(&b, "candidate:2 1 udp 9 192.0.2.1 6 typ host", NULL);
    CHECK(!mrtc_ice_candidate_same_address(&a, &b));
    mrtc_ice_candidate_parse(&a, "candidate:1 1 udp 1 X.local 5 typ host", NULL);
    mrtc_ice_candidate_parse(&b, "candidate:1 1 udp 1 x.LOCAL 5 typ host", NULL);
    CHECK(mrtc_ice_candidate_same_address(&a, &b));
}

/* ---- checklist ---- */

static void test_checklist_order(void)
{
    mrtc_ice_checklist cl;
    bool added;
    mrtc_ice_checklist_init(&cl, 100, "t");
    /* controlling: G = local priority */
    mrtc_ice_checklist_add(&cl, true, 0, 100, "L1", 0, 50, "R1", &added);
    CHECK(added);
    mrtc_ice_checklist_add(&cl, true, 1, 300, "L2", 0, 50, "R1", &added);
    mrtc_ice_checklist_add(&cl, true, 0, 100, "L1", 1, 400, "R2", &added);
    mrtc_ice_pair *dup = mrtc_ice_checklist_add(&cl, true, 0, 100, "L1", 1, 400, "R2", &added);
    CHECK(!added);
    CHECK(dup != NULL);
    CHECK_EQ(cl.n, 3);
    for (size_t i = 1; i < cl.n; i++)
        CHECK(cl.pairs[i - 1].priority >= cl.pairs[i].priority);
    /* (L1,R2): min 100; (L2,R1): min 50 with max 300; (L1,R1): min 50 with max 100 */
    CHECK_EQ(cl.pairs[0].local, 0);
    CHECK_EQ(cl.pairs[0].remote, 1);
    CHECK_EQ(cl.pairs[1].local, 1);
    CHECK_EQ(cl.pairs[2].local, 0);
    CHECK_EQ(cl.pairs[2].remote, 0);
    CHECK_U64(cl.pairs[0].priority, mrtc_ice_pair_priority(100, 400));

    /* role change recomputes and re-sorts */
    uint64_t before = cl.pairs[0].priority;
    mrtc_ice_checklist_set_role(&cl, false);
    CHECK_U64(cl.pairs[0].priority, mrtc_ice_pair_priority(400, 100));
    CHECK(cl.pairs[0].priority == before + 1 || cl.pairs[0].priority + 1 == before);
    mrtc_ice_checklist_deinit(&cl);
}

static void test_checklist_unfreeze(void)
{
    mrtc_ice_checklist cl;
    bool added;
    mrtc_ice_checklist_init(&cl, 100, "t");
    /* Two pairs of foundation (L1,R1) and one of (L2,R1). */
    mrtc_ice_pair *p = mrtc_ice_checklist_add(&cl, true, 0, 100, "L1", 0, 100, "R1", &added);
    uint32_t a_id = p->id;
    CHECK_EQ(p->state, MRTC_ICE_PAIR_WAITING);
    p = mrtc_ice_checklist_add(&cl, true, 1, 90, "L1", 0, 100, "R1", &added);
    uint32_t b_id = p->id;
    CHECK_EQ(p->state, MRTC_ICE_PAIR_FROZEN); /* its foundation already has a Waiting pair */
    p = mrtc_ice_checklist_add(&cl, true, 2, 80, "L2", 0, 100, "R1", &added);
    uint32_t c_id = p->id;
    CHECK_EQ(p->state, MRTC_ICE_PAIR_WAITING);
    /* A better pair of the first foundation trickles in: it becomes the Waiting one. */
    p = mrtc_ice_checklist_add(&cl, true, 3, 200, "L1", 0, 100, "R1", &added);
    uint32_t d_id = p->id;
    CHECK_EQ(p->state, MRTC_ICE_PAIR_WAITING);
    CHECK_EQ(mrtc_ice_checklist_find_id(&cl, a_id)->state, MRTC_ICE_PAIR_FROZEN);

    /* Ordinary checks: highest-priority Waiting first. */
    mrtc_ice_pair *n = mrtc_ice_checklist_next_ordinary(&cl);
    CHECK_EQ(n->id, d_id);
    mrtc_ice_checklist_set_state(&cl, n, MRTC_ICE_PAIR_IN_PROGRESS);
    n = mrtc_ice_checklist_next_ordinary(&cl);
    CHECK_EQ(n->id, c_id);
    mrtc_ice_checklist_set_state(&cl, n, MRTC_ICE_PAIR_IN_PROGRESS);
    /* Nothing Waiting; the frozen ones share a foundation with an In-Progress pair. */
    CHECK(mrtc_ice_checklist_next_ordinary(&cl) == NULL);
    CHECK(!mrtc_ice_checklist_has_ordinary(&cl));

    /* Success unfreezes the same foundation (7.2.5.3.3). */
    n = mrtc_ice_checklist_find_id(&cl, d_id);
    CHECK_EQ(mrtc_ice_checklist_set_state(&cl, n, MRTC_ICE_PAIR_SUCCEEDED), 0);
    mrtc_ice_checklist_unfreeze_foundation(&cl, n);
    CHECK_EQ(mrtc_ice_checklist_find_id(&cl, a_id)->state, MRTC_ICE_PAIR_WAITING);
    CHECK_EQ(mrtc_ice_checklist_find_id(&cl, b_id)->state, MRTC_ICE_PAIR_WAITING);
    CHECK_EQ(mrtc_ice_checklist_find_id(&cl, c_id)->state, MRTC_ICE_PAIR_IN_PROGRESS);

    /* Illegal transitions are refused. */
    n = mrtc_ice_checklist_find_id(&cl, d_id);
    CHECK_EQ(mrtc_ice_checklist_set_state(&cl, n, MRTC_ICE_PAIR_WAITING), MRTC_ESTATE);
    CHECK_EQ(n->state, MRTC_ICE_PAIR_SUCCEEDED);
    mrtc_ice_checklist_deinit(&cl);
}

static void test_checklist_unfreeze_when_idle(void)
{
    /* 6.1.4.2: with nothing Waiting, a Frozen pair whose foundation is idle is unfrozen. */
    mrtc_ice_checklist cl;
    bool added;
    mrtc_ice_checklist_init(&cl, 100, "t");
    mrtc_ice_pair *p = mrtc_ice_checklist_add(&cl, true, 0, 100, "L1", 0, 100, "R1", &added);
    uint32_t a_id = p->id;
    p = mrtc_ice_checklist_add(&cl, true, 1, 90, "L1", 0, 100, "R1", &added);
    uint32_t b_id = p->id;
    mrtc_ice_checklist_set_state(&cl, mrtc_ice_checklist_find_id(&cl, a_id),
                                 MRTC_ICE_PAIR_IN_PROGRESS);
    CHECK(mrtc_ice_checklist_next_ordinary(&cl) == NULL);
    mrtc_ice_checklist_set_state(&cl, mrtc_ice_checklist_find_id(&cl, a_id), MRTC_ICE_PAIR_FAILED);
    CHECK(mrtc_ice_checklist_has_ordinary(&cl));
    p = mrtc_ice_checklist_next_ordinary(&cl);
    CHECK(p != NULL && p->id == b_id);
    CHECK(!mrtc_ice_checklist_all_failed(&cl));
    mrtc_ice_checklist_set_state(&cl, p, MRTC_ICE_PAIR_IN_PROGRESS);
    mrtc_ice_checklist_set_state(&cl, p, MRTC_ICE_PAIR_FAILED);
    CHECK(mrtc_ice_checklist_all_failed(&cl));
    mrtc_ice_checklist_deinit(&cl);
}

static void test_checklist_limit(void)
{
    mrtc_ice_checklist cl;
    bool added;
    mrtc_ice_checklist_init(&cl, 3, "t");
    for (int i = 0; i < 3; i++)
        CHECK(mrtc_ice_checklist_add(&cl, true, i, 100 + (uint32_t)i, "L", 0, 100, "R", &added));
    /* a worse pair does not fit */
    CHECK(mrtc_ice_checklist_add(&cl, true, 9, 1, "L", 0, 1, "R", &added) == NULL);
    /* a better one replaces the worst */
    CHECK(mrtc_ice_checklist_add(&cl, true, 8, 1000, "L", 0, 1000, "R", &added) != NULL);
    CHECK_EQ(cl.n, 3);
    CHECK(mrtc_ice_checklist_find(&cl, 0, 0) == NULL);
    CHECK(mrtc_ice_checklist_find(&cl, 8, 0) != NULL);
    mrtc_ice_checklist_deinit(&cl);
}

/* ---- interface selection ---- */

static void test_select_interfaces(void)
{
    mrtc_ice_iface ifs[] = {
        {.name = "lo", .addr = ip("127.0.0.1", 0), .up = true, .loopback = true},
        {.name = "lo", .addr = ip("::1", 0), .up = true, .loopback = true},
        {.name = "eth0", .addr = ip("192.168.1.5", 0), .up = true},
        {.name = "eth0", .addr = ip("fe80::1", 0), .up = true},
        {.name = "eth0", .addr = ip("2001:db8::5", 0), .up = true},
        {.name = "docker0", .addr = ip("172.17.0.1", 0), .up = false},
        {.name = "tun0", .addr = ip("::ffff:10.1.1.1", 0), .up = true},
        {.name = "old", .addr = ip("fec0::1", 0), .up = true},
        {.name = "wl0", .addr = ip("10.1.2.3", 0), .up = true},
    };
    const size_t n = sizeof ifs / sizeof ifs[0];
    bool use[sizeof ifs / sizeof ifs[0]];

    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, NULL, 0, use), 3);
    CHECK(!use[0] && !use[1] && use[2] && !use[3] && use[4] && !use[5] && !use[6] && !use[7]);
    CHECK(use[8]);

    const char *lo_only[] = {"127.0.0.1"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, lo_only, 1, use), 1);
    CHECK(use[0]);
    const char *lo_name[] = {"lo"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, lo_name, 1, use), 2);
    CHECK(use[0] && use[1]);
    const char *eth[] = {"eth*"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, eth, 1, use), 2);
    CHECK(use[2] && use[4] && !use[3]);
    const char *ten[] = {"10.0.0.0/8"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, ten, 1, use), 1);
    CHECK(use[8]);
    const char *mixed[] = {"10.0.0.0/8", "::1"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, mixed, 2, use), 2);
    CHECK(use[8] && use[1]);
    const char *ll[] = {"fe80::/10"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, ll, 1, use), 1);
    CHECK(use[3]);
    const char *bad1[] = {"10.0.0.0/33"}, *bad2[] = {""}, *bad3[] = {"1.2.3.4/"};
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, bad1, 1, use), MRTC_EINVAL);
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, bad2, 1, use), MRTC_EINVAL);
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, n, bad3, 1, use), MRTC_EINVAL);
    CHECK(!use[2]);

    /* nothing but loopback and link-local: link-local wins; nothing but loopback: loopback */
    CHECK_EQ(mrtc_ice_agent_select_interfaces(ifs, 4, NULL, 0, use), 1);
    CHECK(use[2] && !use[3] && !use[0]);
    mrtc_ice_iface few[] = {ifs[0], ifs[1], ifs[3]};
    bool use3[3];
    CHECK_EQ(mrtc_ice_agent_select_interfaces(few, 3, NULL, 0, use3), 1);
    CHECK(use3[2]);
    CHECK_EQ(mrtc_ice_agent_select_interfaces(few, 2, NULL, 0, use3), 2);
    CHECK(use3[0] && use3[1]);
}

int main(void)
{
    RUN(test_priority);
    RUN(test_pair_priority);
    RUN(test_local_pref);
    RUN(test_foundation);
    RUN(test_parse_srflx);
    RUN(test_parse_variants);
    RUN(test_parse_malformed);
    RUN(test_format_errors);
    RUN(test_same_address);
    RUN(test_checklist_order);
    RUN(test_checklist_unfreeze);
    RUN(test_checklist_unfreeze_when_idle);
    RUN(test_checklist_limit);
    RUN(test_select_interfaces);
    return test_finish();
}
