/*
 * Engine.IO v4 / Socket.IO v5 text packets (see sio_msg.h): a strict parser of what a
 * Socket.IO 4 server sends a WebSocket client, and the three encoders a client needs.
 * Every length is checked before it is used; JSON goes through jansson with its own depth
 * limit; nothing here allocates outside apps/common/mem.h and jansson (whose allocations
 * the programs route through mem.h too).
 *
 * It does not check that an event's arguments have any particular shape: that is the
 * caller's business (the Minichat dialect, apps/call/minichat.c).
 */
#include "apps/common/sio_msg.h"

#include "apps/common/mem.h"

#include <meshrtc.h>
#include <stdio.h>
#include <string.h>

#define ACK_DIGITS_MAX 15

static int fail(int code, char *why, size_t whylen, const char *text)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", text);
    return code;
}

/* Reads a non-negative JSON integer member into *out (<= max). Absent: `required` decides. */
static bool int_member(const json_t *obj, const char *key, uint64_t max, bool required,
                       uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return !required;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* Copies the string member `key` of obj into buf (non-empty, fits). */
static bool sid_member(const json_t *obj, const char *key, char *buf, size_t cap)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return false;
    size_t n = json_string_length(v);
    if (n == 0 || n >= cap || memchr(json_string_value(v), '\0', n))
        return false;
    memcpy(buf, json_string_value(v), n + 1);
    return true;
}

static int parse_json(const char *p, size_t n, json_t **out, char *why, size_t whylen)
{
    json_error_t jerr;
    *out = json_loadb(p, n, JSON_DECODE_ANY, &jerr);
    if (!*out)
        return fail(MRTC_EPROTO, why, whylen, "malformed JSON payload");
    return 0;
}

static int parse_open(const char *p, size_t n, sio_msg *m, char *why, size_t whylen)
{
    int err = parse_json(p, n, &m->packet, why, whylen);
    if (err)
        return err;
    uint64_t interval = 0, timeout = 0, max_payload = 0;
    if (!json_is_object(m->packet) || !sid_member(m->packet, "sid", m->sid, sizeof(m->sid)) ||
        !int_member(m->packet, "pingInterval", UINT32_MAX, true, &interval) ||
        !int_member(m->packet, "pingTimeout", UINT32_MAX, true, &timeout) ||
        !int_member(m->packet, "maxPayload", UINT64_MAX >> 1, false, &max_payload))
        return fail(MRTC_EPROTO, why, whylen,
                    "open packet without a valid sid, pingInterval or pingTimeout");
    m->ping_interval_ms = (uint32_t)interval;
    m->ping_timeout_ms = (uint32_t)timeout;
    m->max_payload = max_payload;
    return 0;
}

/* The Socket.IO packet after the Engine.IO "4". */
static int parse_socketio(const char *p, size_t n, sio_msg *m, char *why, size_t whylen)
{
    if (n == 0)
        return fail(MRTC_EPROTO, why, whylen, "empty Socket.IO packet");
    char t = p[0];
    p++, n--;
    if (t == '5' || t == '6')
        return fail(MRTC_ENOTSUP, why, whylen, "binary Socket.IO packets are not supported");
    if (t < '0' || t > '4')
        return fail(MRTC_EPROTO, why, whylen, "unknown Socket.IO packet type");
    static const sio_kind kinds[] = {SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_ACK,
                                     SIO_CONNECT_ERROR};
    m->kind = kinds[t - '0'];

    strcpy(m->nsp, "/");
    if (n > 0 && p[0] == '/') {
        const char *comma = memchr(p, ',', n);
        size_t nl = comma ? (size_t)(comma - p) : n;
        if (nl >= sizeof(m->nsp) || memchr(p, '\0', nl))
            return fail(MRTC_EPROTO, why, whylen, "namespace too long");
        memcpy(m->nsp, p, nl);
        m->nsp[nl] = '\0';
        p += nl, n -= nl;
        if (comma)
            p++, n--;
    }
    size_t digits = 0;
    while (digits < n && p[digits] >= '0' && p[digits] <= '9')
        digits++;
    if (digits > ACK_DIGITS_MAX)
        return fail(MRTC_EPROTO, why, whylen, "ack id too long");
    if (digits) {
        m->ack_id = 0;
        for (size_t i = 0; i < digits; i++)
            m->ack_id = m->ack_id * 10 + (p[i] - '0');
        p += digits, n -= digits;
    }
    if (m->ack_id >= 0 && m->kind != SIO_EVENT && m->kind != SIO_ACK)
        return fail(MRTC_EPROTO, why, whylen, "ack id on a packet that takes none");

    if (n > 0) {
        int err = parse_json(p, n, &m->packet, why, whylen);
        if (err)
            return err;
    }
    switch (m->kind) {
    case SIO_CONNECT:
        /* Protocol v5 servers send {"sid":...}; v4 servers sent nothing. */
        if (m->packet &&
            (!json_is_object(m->packet) || !sid_member(m->packet, "sid", m->sid, sizeof(m->sid))))
            return fail(MRTC_EPROTO, why, whylen, "connect packet without a valid sid");
        return 0;
    case SIO_DISCONNECT:
        if (m->packet)
            return fail(MRTC_EPROTO, why, whylen, "disconnect packet with a payload");
        return 0;
    case SIO_EVENT: {
        if (!json_is_array(m->packet) || json_array_size(m->packet) == 0 ||
            !json_is_string(json_array_get(m->packet, 0)))
            return fail(MRTC_EPROTO, why, whylen, "event packet without [\"name\", ...]");
        m->event = json_string_value(json_array_get(m->packet, 0));
        m->args = json_array();
        if (!m->args)
            return fail(MRTC_ENOMEM, why, whylen, "out of memory");
        for (size_t i = 1; i < json_array_size(m->packet); i++)
            if (json_array_append(m->args, json_array_get(m->packet, i)) != 0)
                return fail(MRTC_ENOMEM, why, whylen, "out of memory");
        return 0;
    }
    case SIO_ACK:
        if (m->ack_id < 0 || !json_is_array(m->packet))
            return fail(MRTC_EPROTO, why, whylen, "ack packet without an id and an array");
        m->args = json_incref(m->packet);
        return 0;
    default: /* SIO_CONNECT_ERROR */
        if (!m->packet)
            return fail(MRTC_EPROTO, why, whylen, "connect_error packet without data");
        m->args = json_incref(m->packet);
        return 0;
    }
}

int sio_msg_parse(const char *data, size_t len, sio_msg *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    out->ack_id = -1;
    if (why && whylen)
        why[0] = '\0';
    if (!data || len == 0)
        return fail(MRTC_EPROTO, why, whylen, "empty Engine.IO packet");
    if (memchr(data, 0x1e, len))
        return fail(MRTC_ENOTSUP, why, whylen, "long-polling payloads are not supported");
    const char *p = data + 1;
    size_t n = len - 1;
    int err = 0;
    switch (data[0]) {
    case '0':
        out->kind = SIO_EIO_OPEN;
        err = parse_open(p, n, out, why, whylen);
        break;
    case '1':
        out->kind = SIO_EIO_CLOSE;
        break;
    case '2':
    case '3':
        out->kind = data[0] == '2' ? SIO_EIO_PING : SIO_EIO_PONG;
        out->payload = p;
        out->payload_len = n;
        break;
    case '4':
        err = parse_socketio(p, n, out, why, whylen);
        break;
    case '5':
        out->kind = SIO_EIO_UPGRADE;
        break;
    case '6':
        out->kind = SIO_EIO_NOOP;
        break;
    case 'b':
        err = fail(MRTC_ENOTSUP, why, whylen, "base64 binary packets are not supported");
        break;
    default:
        err = fail(MRTC_EPROTO, why, whylen, "unknown Engine.IO packet type");
        break;
    }
    if (err) {
        sio_msg_free(out);
        out->ack_id = -1;
    }
    return err;
}

void sio_msg_free(sio_msg *m)
{
    if (!m)
        return;
    json_decref(m->args);
    json_decref(m->packet);
    m->args = m->packet = NULL;
    m->event = NULL;
    m->payload = NULL;
    m->payload_len = 0;
}

char *sio_msg_connect(size_t *len)
{
    char *s = mem_strdup("40");
    if (s && len)
        *len = 2;
    return s;
}

char *sio_msg_pong(const char *payload, size_t payload_len, size_t *len)
{
    if (payload_len && !payload)
        return NULL;
    char *s = mem_alloc(payload_len + 2);
    if (!s)
        return NULL;
    s[0] = '3';
    if (payload_len)
        memcpy(s + 1, payload, payload_len);
    s[payload_len + 1] = '\0';
    if (len)
        *len = payload_len + 1;
    return s;
}

char *sio_msg_event(const char *event, const json_t *args, size_t *len)
{
    if (!event || (args && !json_is_array(args)))
        return NULL;
    json_t *arr = json_array();
    char *s = NULL;
    if (!arr || json_array_append_new(arr, json_string(event)) != 0)
        goto out;
    if (args && json_array_extend(arr, (json_t *)args) != 0)
        goto out;
    size_t need = json_dumpb(arr, NULL, 0, JSON_COMPACT);
    if (need == 0)
        goto out;
    s = mem_alloc(need + 3);
    if (!s)
        goto out;
    s[0] = '4';
    s[1] = '2';
    if (json_dumpb(arr, s + 2, need, JSON_COMPACT) != need) {
        mem_free(s);
        s = NULL;
        goto out;
    }
    s[need + 2] = '\0';
    if (len)
        *len = need + 2;
out:
    json_decref(arr);
    return s;
}
