/*
 * The Multicast DNS codec of ice/mdns.h: the DNS message format of RFC 1035 section 4.1
 * (header, questions, resource records, name compression of section 4.1.4) with the mDNS
 * rules of RFC 6762: query ID 0 (section 18.1), the QU bit in the question class (section
 * 5.4), the cache-flush bit in the record class (section 10.2), messages with a non-zero
 * OPCODE or RCODE ignored (sections 18.3, 18.11).
 *
 * Parsing is strict about bounds: every name and record must end inside the message, a
 * compression pointer must point before the label that holds it (so decoding always
 * terminates), a name is at most 255 bytes on the wire, and nothing may follow the last
 * record.
 *
 * Deliberately not done: DNS-SD records beyond skipping them (PTR, SRV, TXT, NSEC), known-
 * answer lists, probing and announcing (we never claim names), IDNA/UTF-8 names (such a name
 * is skipped), EDNS(0) options (an OPT record is skipped like any other).
 */
#include "ice/mdns.h"

#include "core/util/buf.h"
#include "meshrtc/error.h"

#include <string.h>

#define HEADER_LEN 12
#define WIRE_NAME_MAX 255
#define FLAG_QR 0x8000
#define FLAG_AA 0x0400
#define FLAG_TC 0x0200
#define OPCODE_MASK 0x7800
#define RCODE_MASK 0x000f
#define CLASS_TOP 0x8000

/* ---- Names ---------------------------------------------------------------------------- */

static bool label_char_ok(uint8_t c)
{
    return c > 0x20 && c < 0x7f && c != '.';
}

/* Writes `name` as a sequence of labels. Returns false when it is malformed. */
static bool write_name(mrtc_wr *w, const char *name)
{
    if (!name || !*name)
        return false;
    size_t total = 0;
    const char *p = name;
    while (*p) {
        size_t n = 0;
        while (p[n] && p[n] != '.')
            n++;
        if (n == 0 || n > 63)
            return false;
        for (size_t i = 0; i < n; i++) {
            if (!label_char_ok((uint8_t)p[i]))
                return false;
        }
        total += n + 1;
        if (total + 1 > WIRE_NAME_MAX)
            return false;
        mrtc_wr_u8(w, (uint8_t)n);
        mrtc_wr_bytes(w, p, n);
        p += n;
        if (*p == '.') {
            p++;
            if (!*p)
                break; /* a final dot */
            if (*p == '.')
                return false;
        }
    }
    mrtc_wr_u8(w, 0);
    return true;
}

enum { NAME_OK = 0, NAME_SKIP = 1 };

/* Decodes the name at *pos (advanced past it, following no pointer for the advance) into
 * out (MRTC_MDNS_NAME_MAX + 1 bytes). Returns NAME_OK, NAME_SKIP (well-formed but not
 * printable ASCII: out is "") or MRTC_EPROTO. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, char *out)
{
    size_t p = *pos, end_pos = 0, wire = 0, o = 0;
    size_t limit = p; /* a pointer must point before the label that holds it */
    bool jumped = false, printable = true;
    for (;;) {
        if (p >= len)
            return MRTC_EPROTO;
        uint8_t b = msg[p];
        if ((b & 0xc0) == 0xc0) {
            if (p + 1 >= len)
                return MRTC_EPROTO;
            size_t target = (size_t)(b & 0x3f) << 8 | msg[p + 1];
            if (!jumped)
                end_pos = p + 2;
            if (target >= limit)
                return MRTC_EPROTO;
            jumped = true;
            limit = target;
            p = target;
            continue;
        }
        if (b & 0xc0)
            return MRTC_EPROTO; /* 0x40 and 0x80: reserved label types (RFC 6891) */
        wire += (size_t)b + 1;
        if (wire > WIRE_NAME_MAX)
            return MRTC_EPROTO;
        if (b == 0) {
            if (!jumped)
                end_pos = p + 1;
            break;
        }
        if (p + 1 + b > len)
            return MRTC_EPROTO;
        for (size_t i = 0; i < b; i++) {
            uint8_t c = msg[p + 1 + i];
            if (!label_char_ok(c))
                printable = false;
        }
        if (printable) {
            if (o)
                out[o++] = '.';
            memcpy(out + o, msg + p + 1, b);
            o += b;
        }
        if (!jumped)
            limit = p + 1 + b; /* labels after this one may point back up to here */
        p += 1 + (size_t)b;
    }
    /* wire <= 255 counts the root byte, so o <= 253. */
    out[printable ? o : 0] = '\0';
    *pos = end_pos;
    return printable ? NAME_OK : NAME_SKIP;
}

bool mrtc_mdns_name_eq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    if (la != lb)
        return false;
    for (size_t i = 0; i < la; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* ---- Building ------------------------------------------------------------------------- */

int mrtc_mdns_build_query(uint8_t *buf, size_t cap, const char *name, uint16_t qtype,
                          bool unicast_response)
{
    mrtc_wr w;
    if (!buf && cap)
        return MRTC_EINVAL;
    mrtc_wr_init(&w, buf, cap);
    mrtc_wr_u16(&w, 0); /* ID */
    mrtc_wr_u16(&w, 0); /* a standard query */
    mrtc_wr_u16(&w, 1); /* QDCOUNT */
    mrtc_wr_u16(&w, 0);
    mrtc_wr_u16(&w, 0);
    mrtc_wr_u16(&w, 0);
    if (!write_name(&w, name))
        return MRTC_EINVAL;
    mrtc_wr_u16(&w, qtype);
    mrtc_wr_u16(&w, (uint16_t)(MRTC_MDNS_CLASS_IN | (unicast_response ? CLASS_TOP : 0)));
    if (w.err)
        return MRTC_ENOBUFS;
    return (int)w.len;
}

int mrtc_mdns_build_answer(uint8_t *buf, size_t cap, const char *name, const mrtc_addr *addr,
                           uint32_t ttl)
{
    mrtc_wr w;
    if ((!buf && cap) || !addr ||
        (addr->family != MRTC_AF_INET && addr->family != MRTC_AF_INET6))
        return MRTC_EINVAL;
    bool v4 = addr->family == MRTC_AF_INET;
    mrtc_wr_init(&w, buf, cap);
    mrtc_wr_u16(&w, 0);
    mrtc_wr_u16(&w, FLAG_QR | FLAG_AA);
    mrtc_wr_u16(&w, 0); /* no question (RFC 6762 section 6) */
    mrtc_wr_u16(&w, 1); /* ANCOUNT */
    mrtc_wr_u16(&w, 0);
    mrtc_wr_u16(&w, 0);
    if (!write_name(&w, name))
        return MRTC_EINVAL;
    mrtc_wr_u16(&w, v4 ? MRTC_MDNS_TYPE_A : MRTC_MDNS_TYPE_AAAA);
    mrtc_wr_u16(&w, MRTC_MDNS_CLASS_IN | CLASS_TOP);
    mrtc_wr_u32(&w, ttl);
    mrtc_wr_u16(&w, v4 ? 4 : 16);
    mrtc_wr_bytes(&w, addr->ip, v4 ? 4 : 16);
    if (w.err)
        return MRTC_ENOBUFS;
    return (int)w.len;
}

/* ---- Parsing -------------------------------------------------------------------------- */

static int parse_question(mrtc_mdns_msg *m, const uint8_t *data, size_t len, size_t *pos)
{
    mrtc_mdns_question q;
    int r = read_name(data, len, pos, q.name);
    if (r < 0)
        return r;
    if (len - *pos < 4)
        return MRTC_EPROTO;
    q.qtype = mrtc_load_u16(data + *pos);
    uint16_t cls = mrtc_load_u16(data + *pos + 2);
    *pos += 4;
    q.qclass = cls & ~CLASS_TOP;
    q.unicast_response = (cls & CLASS_TOP) != 0;
    if (r == NAME_OK && m->n_questions < MRTC_MDNS_MAX_QUESTIONS)
        m->questions[m->n_questions++] = q;
    return 0;
}

static int parse_record(mrtc_mdns_msg *m, const uint8_t *data, size_t len, size_t *pos)
{
    mrtc_mdns_record rec;
    int r = read_name(data, len, pos, rec.name);
    if (r < 0)
        return r;
    if (len - *pos < 10)
        return MRTC_EPROTO;
    const uint8_t *h = data + *pos;
    uint16_t type = mrtc_load_u16(h), cls = mrtc_load_u16(h + 2);
    uint32_t ttl = mrtc_load_u32(h + 4);
    size_t rdlen = mrtc_load_u16(h + 8);
    *pos += 10;
    if (len - *pos < rdlen)
        return MRTC_EPROTO;
    const uint8_t *rdata = data + *pos;
    *pos += rdlen;
    if ((cls & ~CLASS_TOP) != MRTC_MDNS_CLASS_IN ||
        (type != MRTC_MDNS_TYPE_A && type != MRTC_MDNS_TYPE_AAAA))
        return 0;
    if (rdlen != (type == MRTC_MDNS_TYPE_A ? 4u : 16u))
        return MRTC_EPROTO;
    if (r != NAME_OK || m->n_records >= MRTC_MDNS_MAX_RECORDS)
        return 0;
    rec.type = type;
    rec.cache_flush = (cls & CLASS_TOP) != 0;
    rec.ttl = ttl;
    memset(&rec.addr, 0, sizeof rec.addr);
    rec.addr.family = type == MRTC_MDNS_TYPE_A ? MRTC_AF_INET : MRTC_AF_INET6;
    memcpy(rec.addr.ip, rdata, rdlen);
    m->records[m->n_records++] = rec;
    return 0;
}

int mrtc_mdns_parse(mrtc_mdns_msg *msg, const uint8_t *data, size_t len)
{
    if (!msg || (!data && len))
        return MRTC_EINVAL;
    if (len < HEADER_LEN)
        return MRTC_EPROTO;
    msg->id = mrtc_load_u16(data);
    uint16_t flags = mrtc_load_u16(data + 2);
    size_t qd = mrtc_load_u16(data + 4);
    size_t rr = (size_t)mrtc_load_u16(data + 6) + mrtc_load_u16(data + 8) +
                mrtc_load_u16(data + 10);
    msg->response = (flags & FLAG_QR) != 0;
    msg->truncated = (flags & FLAG_TC) != 0;
    msg->n_questions = 0;
    msg->n_records = 0;
    if (flags & (OPCODE_MASK | RCODE_MASK))
        return MRTC_ENOTSUP;
    /* Each question takes at least 5 bytes and each record 11: counts that cannot fit are
     * refused before any work. */
    if (qd * 5 + rr * 11 > len - HEADER_LEN)
        return MRTC_EPROTO;
    size_t pos = HEADER_LEN;
    for (size_t i = 0; i < qd; i++) {
        int err = parse_question(msg, data, len, &pos);
        if (err)
            return err;
    }
    for (size_t i = 0; i < rr; i++) {
        int err = parse_record(msg, data, len, &pos);
        if (err)
            return err;
    }
    return pos == len ? 0 : MRTC_EPROTO;
}
