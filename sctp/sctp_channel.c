/*
 * WebRTC data channels on an SCTP association (RFC 8831 section 6) opened with DCEP
 * (RFC 8832): sid allocation by DTLS role (RFC 8832 section 6: even for the DTLS client,
 * odd for the server), DATA_CHANNEL_OPEN and its ACK, ordered sending until the ACK
 * (section 6), the reliability of each message through PR-SCTP policies (RFC 8831 section
 * 6.6: max retransmissions, max lifetime), PPIDs (section 8: 51/53 text/binary, 56/57 empty,
 * the deprecated 52/54 partial messages reassembled), reassembly of messages usrsctp hands
 * over in pieces, the local max-message-size (RFC 8841 section 6), per-channel queues of
 * messages usrsctp has not taken yet (bufferedAmount), and closing by stream reset
 * (RFC 8831 section 6.7, RFC 6525).
 *
 * Channel records are allocated on demand and kept in an array sorted by sid, so an
 * association costs memory for the channels it has, not for the streams it could have.
 *
 * Not here: the association and usrsctp's global state (sctp/sctp.c), the public data
 * channel objects and their W3C state (core/), channel priorities in the scheduler (the
 * priority is carried in DCEP only).
 */
#include "sctp/dcep.h"
#include "sctp/sctp_int.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <usrsctp.h>

/* After this many refused stream resets a channel is closed without the peer's help. */
#define MAX_RESET_FAILURES 3
/* The largest DCEP message: an OPEN with a 65535-byte label and protocol. */
#define DCEP_MAX_LEN (MRTC_DCEP_OPEN_HEADER_LEN + 2u * 65535u)

static const char *const chan_state_names[] = {
#define SCTP_CHAN_STATE_NAME_(name, str) str,
    SCTP_CHAN_STATE_MAP(SCTP_CHAN_STATE_NAME_)
#undef SCTP_CHAN_STATE_NAME_
};

static void chan_set_state(mrtc_sctp *s, sctp_chan *c, sctp_chan_state st)
{
    if (c->state == st)
        return;
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: %s -> %s", (void *)s, c->sid, chan_state_names[c->state],
               chan_state_names[st]);
    c->state = st;
}

static void emit_sid(mrtc_sctp *s, mrtc_sctp_event_type type, uint16_t sid)
{
    mrtc_sctp_event ev = {.type = type, .sid = sid};
    sctp_emit(s, &ev, NULL);
}

static void emit_error(mrtc_sctp *s, uint16_t sid, const char *text)
{
    mrtc_sctp_event ev = {.type = MRTC_SCTP_EVENT_CHANNEL_ERROR, .sid = sid, .text = text};
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: %s", (void *)s, sid, text);
    sctp_emit(s, &ev, NULL);
}

/* ---- the channel table ---- */

/* Index of sid, or of where it would be inserted. */
static size_t chan_index(const mrtc_sctp *s, uint16_t sid)
{
    size_t lo = 0, hi = s->n_chans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->chans[mid]->sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

sctp_chan *sctp_chan_find(const mrtc_sctp *s, uint16_t sid)
{
    size_t i = chan_index(s, sid);
    return i < s->n_chans && s->chans[i]->sid == sid ? s->chans[i] : NULL;
}

static int chan_add(mrtc_sctp *s, uint16_t sid, sctp_chan **out)
{
    if (s->n_chans == s->cap_chans) {
        size_t ncap = s->cap_chans ? s->cap_chans * 2 : 4;
        sctp_chan **n = mrtc_realloc(s->chans, ncap * sizeof *n);
        if (!n)
            return MRTC_ENOMEM;
        s->chans = n;
        s->cap_chans = ncap;
    }
    sctp_chan *c = mrtc_calloc(1, sizeof *c);
    if (!c)
        return MRTC_ENOMEM;
    c->sid = sid;
    size_t i = chan_index(s, sid);
    memmove(s->chans + i + 1, s->chans + i, (s->n_chans - i) * sizeof *s->chans);
    s->chans[i] = c;
    s->n_chans++;
    *out = c;
    return 0;
}

static void chan_destroy(mrtc_sctp *s, sctp_chan *c)
{
    while (c->q_head) {
        sctp_msg *m = c->q_head;
        c->q_head = m->next;
        s->queued_msgs--;
        mrtc_free(m);
    }
    mrtc_free(c->rx);
    mrtc_free(c);
}

static void chan_remove(mrtc_sctp *s, sctp_chan *c)
{
    size_t i = chan_index(s, c->sid);
    if (i >= s->n_chans || s->chans[i] != c)
        return;
    memmove(s->chans + i, s->chans + i + 1, (s->n_chans - i - 1) * sizeof *s->chans);
    s->n_chans--;
    chan_destroy(s, c);
    if (s->n_chans == 0) { /* an idle association keeps no table */
        mrtc_free(s->chans);
        s->chans = NULL;
        s->cap_chans = 0;
    }
}

void sctp_chans_free(mrtc_sctp *s, bool emit_closed)
{
    for (size_t i = 0; i < s->n_chans; i++) {
        if (emit_closed)
            emit_sid(s, MRTC_SCTP_EVENT_CLOSED, s->chans[i]->sid);
        chan_destroy(s, s->chans[i]);
    }
    mrtc_free(s->chans);
    s->chans = NULL;
    s->n_chans = s->cap_chans = 0;
    s->queued_msgs = 0;
}

/* Both directions reset: the channel is gone and its sid free again. */
static void chan_check_closed(mrtc_sctp *s, sctp_chan *c)
{
    if (!(c->in_reset && c->out_reset))
        return;
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: closed", (void *)s, c->sid);
    emit_sid(s, MRTC_SCTP_EVENT_CLOSED, c->sid);
    chan_remove(s, c);
}

/* ---- sending ---- */

static int chan_queue(mrtc_sctp *s, sctp_chan *c, uint32_t ppid, bool ctrl, const void *data,
                      size_t len, size_t user_len)
{
    sctp_msg *m = mrtc_malloc(sizeof *m + len);
    if (!m)
        return MRTC_ENOMEM;
    m->next = NULL;
    m->ppid = ppid;
    m->ctrl = ctrl;
    m->len = len;
    m->user_len = user_len;
    if (len)
        memcpy(m->data, data, len);
    if (c->q_tail)
        c->q_tail->next = m;
    else
        c->q_head = m;
    c->q_tail = m;
    c->buffered += user_len;
    s->queued_msgs++;
    return 0;
}

enum { SENT, BLOCKED, DROPPED };

static int send_one(mrtc_sctp *s, sctp_chan *c, const sctp_msg *m)
{
    struct sctp_sendv_spa spa;

    memset(&spa, 0, sizeof spa);
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = c->sid;
    spa.sendv_sndinfo.snd_ppid = htonl(m->ppid);
    if (!m->ctrl && !c->ordered && c->acked)
        spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
    if (!m->ctrl && c->reliability != MRTC_SCTP_RELIABLE) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy =
            c->reliability == MRTC_SCTP_MAX_RETRANSMITS ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
        spa.sendv_prinfo.pr_value = c->reliability_param;
    }
    ssize_t r =
        usrsctp_sendv(s->sock, m->data, m->len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0);
    if (r >= 0) {
        if ((size_t)r != m->len) /* cannot happen without SCTP_EXPLICIT_EOR */
            MRTC_WARN(SCTP_LOG_TAG, "%p: sid %u: usrsctp took %zd of %zu bytes", (void *)s, c->sid,
                      r, m->len);
        if (!m->ctrl) {
            s->stats.messages_sent++;
            s->stats.bytes_sent += m->user_len;
        }
        return SENT;
    }
    int e = errno;
    if (e == EWOULDBLOCK || e == EAGAIN || e == ENOMEM || e == ENOBUFS)
        return BLOCKED;
    MRTC_WARN(SCTP_LOG_TAG, "%p: sid %u: usrsctp_sendv (%zu bytes): %s: message dropped", (void *)s,
              c->sid, m->len, strerror(e));
    s->stats.dropped++;
    emit_error(s, c->sid,
               e == EMSGSIZE ? "message larger than the SCTP send buffer"
                             : "message refused by SCTP");
    return DROPPED;
}

static void force_closed(mrtc_sctp *s, sctp_chan *c)
{
    MRTC_WARN(SCTP_LOG_TAG, "%p: sid %u: stream reset keeps failing: closed locally", (void *)s,
              c->sid);
    c->in_reset = c->out_reset = true;
    chan_check_closed(s, c);
}

/* One SCTP_RESET_STREAMS for every channel whose outgoing stream should be reset now
 * (usrsctp allows one outstanding request; it sends it after the stream's queued data). */
static void issue_resets(mrtc_sctp *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_chans; i++) {
        sctp_chan *c = s->chans[i];
        if (c->reset_wanted && !c->reset_sent && !c->out_reset && !c->q_head)
            n++;
    }
    if (n == 0)
        return;
    socklen_t size = (socklen_t)(sizeof(struct sctp_reset_streams) + n * sizeof(uint16_t));
    struct sctp_reset_streams *rs = mrtc_calloc(1, size);
    if (!rs)
        return; /* retried on the next settle */
    rs->srs_assoc_id = SCTP_ALL_ASSOC;
    rs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    rs->srs_number_streams = (uint16_t)n;
    size_t k = 0;
    for (size_t i = 0; i < s->n_chans && k < n; i++) {
        sctp_chan *c = s->chans[i];
        if (c->reset_wanted && !c->reset_sent && !c->out_reset && !c->q_head)
            rs->srs_stream_list[k++] = c->sid;
    }
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, rs, size) == 0) {
        for (size_t i = 0; i < k; i++) {
            sctp_chan *c = sctp_chan_find(s, rs->srs_stream_list[i]);
            if (c)
                c->reset_sent = true;
        }
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: reset of %zu outgoing stream(s) requested", (void *)s, k);
    } else {
        int e = errno;
        if (e != EALREADY && e != EBUSY && e != EAGAIN) {
            MRTC_WARN(SCTP_LOG_TAG, "%p: SCTP_RESET_STREAMS: %s", (void *)s, strerror(e));
            for (size_t i = 0; i < k; i++) {
                sctp_chan *c = sctp_chan_find(s, rs->srs_stream_list[i]);
                if (c && ++c->reset_failures >= MAX_RESET_FAILURES)
                    force_closed(s, c);
            }
        }
    }
    mrtc_free(rs);
}

void sctp_chan_drain(mrtc_sctp *s)
{
    size_t n = s->n_chans;

    if (s->queued_msgs > 0 && n > 0 && s->sock) {
        size_t start = s->rr % n;
        bool blocked = false;
        for (size_t k = 0; k < n && !blocked; k++) {
            sctp_chan *c = s->chans[(start + k) % n];
            while (c->q_head) {
                sctp_msg *m = c->q_head;
                if (send_one(s, c, m) == BLOCKED) {
                    blocked = true;
                    break;
                }
                c->q_head = m->next;
                if (!c->q_head)
                    c->q_tail = NULL;
                c->buffered -= m->user_len;
                s->queued_msgs--;
                mrtc_free(m);
            }
        }
        s->rr = start + 1;
    }
    for (size_t i = 0; i < s->n_chans; i++) {
        sctp_chan *c = s->chans[i];
        if (c->buffered < c->buffered_reported) {
            c->buffered_reported = c->buffered;
            mrtc_sctp_event ev = {
                .type = MRTC_SCTP_EVENT_BUFFERED, .sid = c->sid, .len = c->buffered};
            sctp_emit(s, &ev, NULL);
        }
    }
    issue_resets(s);
}

/* ---- receiving ---- */

static void on_dcep_open(mrtc_sctp *s, sctp_chan *c, uint16_t sid, const mrtc_dcep_open *o)
{
    uint8_t ack[MRTC_DCEP_ACK_LEN];
    char *strings = NULL;
    int err;

    if (c) {
        s->stats.dropped++;
        emit_error(s, sid, "DCEP OPEN on a stream already in use");
        return;
    }
    strings = mrtc_malloc((size_t)o->label_len + o->protocol_len + 2);
    if (!strings)
        goto nomem;
    memcpy(strings, o->label, o->label_len);
    strings[o->label_len] = '\0';
    memcpy(strings + o->label_len + 1, o->protocol, o->protocol_len);
    strings[o->label_len + 1 + o->protocol_len] = '\0';
    err = chan_add(s, sid, &c);
    if (err)
        goto nomem;
    c->ordered = o->ordered;
    c->reliability =
        o->reliability == MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT  ? MRTC_SCTP_MAX_RETRANSMITS
        : o->reliability == MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED ? MRTC_SCTP_MAX_LIFETIME
                                                                     : MRTC_SCTP_RELIABLE;
    c->reliability_param = c->reliability == MRTC_SCTP_RELIABLE ? 0 : o->reliability_param;
    c->priority = o->priority;
    c->acked = true;
    c->state = SCTP_CHAN_OPEN;
    mrtc_dcep_encode_ack(ack, sizeof ack);
    err = chan_queue(s, c, PPID_DCEP, true, ack, sizeof ack, 0);
    if (err) {
        chan_remove(s, c);
        goto nomem;
    }
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: DCEP OPEN \"%s\" (%s, reliability %d/%u)", (void *)s, sid,
               strings, c->ordered ? "ordered" : "unordered", (int)c->reliability,
               c->reliability_param);
    mrtc_sctp_event ev = {
        .type = MRTC_SCTP_EVENT_OPEN_REQUEST,
        .sid = sid,
        .params =
            {
                .label = strings,
                .protocol = strings + o->label_len + 1,
                .ordered = c->ordered,
                .reliability = c->reliability,
                .reliability_param = c->reliability_param,
                .priority = c->priority,
                .negotiated = false,
            },
    };
    sctp_emit(s, &ev, strings);
    return;
nomem:
    mrtc_free(strings);
    s->stats.dropped++;
    emit_error(s, sid, "out of memory: DCEP OPEN dropped");
}

static void on_dcep(mrtc_sctp *s, sctp_chan *c, uint16_t sid, const uint8_t *data, size_t len)
{
    mrtc_dcep_msg msg;

    if (mrtc_dcep_parse(data, len, &msg) != 0) {
        s->stats.dropped++;
        emit_error(s, sid, "malformed DCEP message");
        return;
    }
    if (msg.type == MRTC_DCEP_MSG_OPEN) {
        on_dcep_open(s, c, sid, &msg.open);
        return;
    }
    /* DATA_CHANNEL_ACK */
    if (!c || !c->opener || c->acked) {
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: unexpected DCEP ACK ignored", (void *)s, sid);
        return;
    }
    c->acked = true;
    if (c->state == SCTP_CHAN_OPENING) {
        chan_set_state(s, c, SCTP_CHAN_OPEN);
        emit_sid(s, MRTC_SCTP_EVENT_OPEN, sid);
    }
}

/* A whole message: DCEP or user data. `data` is mrtc_malloc'd and taken over. */
static void deliver(mrtc_sctp *s, sctp_chan *c, uint32_t ppid, uint8_t *data, size_t len)
{
    bool binary;

    switch (ppid) {
    case PPID_DCEP:
        on_dcep(s, c, c->sid, data, len);
        mrtc_free(data);
        return;
    case PPID_STRING:
    case PPID_STRING_EMPTY:
        binary = false;
        break;
    case PPID_BINARY:
    case PPID_BINARY_EMPTY:
        binary = true;
        break;
    default:
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: message with PPID %u dropped", (void *)s, c->sid,
                   ppid);
        s->stats.dropped++;
        mrtc_free(data);
        return;
    }
    if (ppid == PPID_STRING_EMPTY || ppid == PPID_BINARY_EMPTY || len == 0) {
        mrtc_free(data);
        data = NULL;
        len = 0;
    }
    /* RFC 8832 section 6: data before the ACK means the peer has the channel. */
    if (c->opener && !c->acked) {
        c->acked = true;
        if (c->state == SCTP_CHAN_OPENING) {
            chan_set_state(s, c, SCTP_CHAN_OPEN);
            emit_sid(s, MRTC_SCTP_EVENT_OPEN, c->sid);
        }
    }
    s->stats.messages_received++;
    s->stats.bytes_received += len;
    mrtc_sctp_event ev = {
        .type = MRTC_SCTP_EVENT_MESSAGE, .sid = c->sid, .binary = binary, .data = data, .len = len};
    sctp_emit(s, &ev, data);
}

static bool is_partial_ppid(uint32_t ppid)
{
    return ppid == PPID_STRING_PARTIAL || ppid == PPID_BINARY_PARTIAL;
}

void sctp_chan_on_data(mrtc_sctp *s, sctp_in *in)
{
    sctp_chan *c = sctp_chan_find(s, in->sid);
    bool partial = is_partial_ppid(in->ppid);
    bool complete = in->eor && !partial; /* the last piece of a message */
    bool empty = in->ppid == PPID_STRING_EMPTY || in->ppid == PPID_BINARY_EMPTY;
    size_t add = empty ? 0 : in->len;

    if (!c) {
        /* Only a DCEP OPEN may arrive on a stream without a channel. */
        if (in->ppid == PPID_DCEP && complete) {
            on_dcep(s, NULL, in->sid, in->data, in->len);
        } else {
            MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: data without a channel dropped", (void *)s,
                       in->sid);
            s->stats.dropped++;
        }
        return;
    }
    if (c->in_reset) { /* cannot happen: the peer reset this stream */
        s->stats.dropped++;
        return;
    }
    size_t max = in->ppid == PPID_DCEP ? DCEP_MAX_LEN : s->cfg.local_max_message_size;
    if (!c->rx_discard && (c->rx_len + add < c->rx_len || c->rx_len + add > max)) {
        mrtc_free(c->rx);
        c->rx = NULL;
        c->rx_len = c->rx_cap = 0;
        c->rx_discard = true;
    }
    if (c->rx_discard) {
        if (complete) {
            c->rx_discard = false;
            s->stats.dropped++;
            emit_error(s, c->sid, "message larger than the local max-message-size dropped");
        }
        return;
    }
    if (complete && c->rx_len == 0) { /* the usual case: a whole message in one piece */
        uint8_t *data = in->data;
        in->data = NULL;
        deliver(s, c, in->ppid, data, add);
        return;
    }
    if (add > 0) {
        if (c->rx_len + add > c->rx_cap) {
            size_t ncap = c->rx_cap ? c->rx_cap : 4096;
            while (ncap < c->rx_len + add)
                ncap *= 2;
            if (ncap > max)
                ncap = max;
            uint8_t *n = mrtc_realloc(c->rx, ncap);
            if (!n) {
                mrtc_free(c->rx);
                c->rx = NULL;
                c->rx_len = c->rx_cap = 0;
                c->rx_discard = !complete;
                s->stats.dropped++;
                emit_error(s, c->sid, "out of memory: message dropped");
                return;
            }
            c->rx = n;
            c->rx_cap = ncap;
        }
        memcpy(c->rx + c->rx_len, in->data, add);
        c->rx_len += add;
    }
    if (complete) {
        uint8_t *data = c->rx;
        size_t len = c->rx_len;
        c->rx = NULL;
        c->rx_len = c->rx_cap = 0;
        uint32_t ppid = in->ppid;
        if (ppid == PPID_STRING_EMPTY)
            ppid = PPID_STRING;
        else if (ppid == PPID_BINARY_EMPTY)
            ppid = PPID_BINARY;
        deliver(s, c, ppid, data, len);
    }
}

void sctp_chan_on_stream_reset(mrtc_sctp *s, uint16_t flags, const uint16_t *sids, size_t n)
{
    /* n == 0 means every stream. Work on a copy of the sids: closing removes channels. */
    size_t count = n ? n : s->n_chans;
    if (count == 0)
        return;
    uint16_t *list = mrtc_malloc(count * sizeof *list);
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        list[i] = n ? sids[i] : s->chans[i]->sid;

    for (size_t i = 0; i < count; i++) {
        sctp_chan *c = sctp_chan_find(s, list[i]);
        if (!c)
            continue;
        if (flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
            if ((flags & SCTP_STREAM_RESET_OUTGOING_SSN) && c->reset_sent) {
                c->reset_sent = false; /* requested again on the next settle */
                MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: stream reset refused", (void *)s, c->sid);
                if (++c->reset_failures >= MAX_RESET_FAILURES)
                    force_closed(s, c);
            }
            continue;
        }
        if (flags & SCTP_STREAM_RESET_INCOMING_SSN) {
            c->in_reset = true;
            mrtc_free(c->rx);
            c->rx = NULL;
            c->rx_len = c->rx_cap = 0;
            c->rx_discard = false;
            if (c->state != SCTP_CHAN_CLOSING) {
                /* The peer closed first: close our side too (RFC 8831 section 6.7). */
                chan_set_state(s, c, SCTP_CHAN_CLOSING);
                c->reset_wanted = true;
                emit_sid(s, MRTC_SCTP_EVENT_CLOSING, c->sid);
            }
        }
        if (flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
            c->out_reset = true;
            c->reset_sent = false;
        }
        chan_check_closed(s, c);
    }
    mrtc_free(list);
}

/* ---- API ---- */

int mrtc_sctp_alloc_sid(mrtc_sctp *s, uint16_t *sid)
{
    int err = MRTC_ERANGE;

    sctp_lock();
    if (s->state != MRTC_SCTP_STATE_CONNECTED || s->closing) {
        err = MRTC_ESTATE;
        goto out;
    }
    unsigned limit = s->max_streams;
    if (limit > MRTC_SCTP_MAX_SID + 1)
        limit = MRTC_SCTP_MAX_SID + 1;
    for (unsigned id = s->cfg.dtls_client ? 0 : 1; id < limit; id += 2) {
        if (!sctp_chan_find(s, (uint16_t)id)) {
            *sid = (uint16_t)id;
            err = 0;
            break;
        }
    }
out:
    sctp_unlock();
    return err;
}

int mrtc_sctp_open_channel(mrtc_sctp *s, mrtc_time now, uint16_t sid,
                           const mrtc_sctp_channel_params *p)
{
    uint8_t *open = NULL;
    sctp_chan *c = NULL;
    int err;

    if (!p || !p->label || !p->protocol || (unsigned)p->reliability > MRTC_SCTP_MAX_LIFETIME)
        return MRTC_EINVAL;
    size_t label_len = strlen(p->label), protocol_len = strlen(p->protocol);
    if (label_len > 65535 || protocol_len > 65535)
        return MRTC_EINVAL;

    sctp_enter(s, now);
    if (s->state != MRTC_SCTP_STATE_CONNECTED || s->closing) {
        err = MRTC_ESTATE;
        goto out;
    }
    if (sid > MRTC_SCTP_MAX_SID || sid >= s->max_streams) {
        err = MRTC_ERANGE;
        goto out;
    }
    if (sctp_chan_find(s, sid)) {
        err = MRTC_EEXIST;
        goto out;
    }
    err = chan_add(s, sid, &c);
    if (err)
        goto out;
    c->ordered = p->ordered;
    c->reliability = p->reliability;
    c->reliability_param = p->reliability == MRTC_SCTP_RELIABLE ? 0 : p->reliability_param;
    c->priority = p->priority;
    c->negotiated = p->negotiated;
    if (p->negotiated) {
        c->acked = true;
        c->state = SCTP_CHAN_OPEN;
        emit_sid(s, MRTC_SCTP_EVENT_OPEN, sid);
    } else {
        mrtc_dcep_open o = {
            .ordered = p->ordered,
            .reliability = p->reliability == MRTC_SCTP_MAX_RETRANSMITS
                               ? MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT
                           : p->reliability == MRTC_SCTP_MAX_LIFETIME
                               ? MRTC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED
                               : MRTC_DCEP_CHANNEL_RELIABLE,
            .priority = p->priority,
            .reliability_param = c->reliability_param,
            .label = (const uint8_t *)p->label,
            .label_len = (uint16_t)label_len,
            .protocol = (const uint8_t *)p->protocol,
            .protocol_len = (uint16_t)protocol_len,
        };
        size_t n = mrtc_dcep_open_len(&o);
        open = mrtc_malloc(n);
        if (!open) {
            err = MRTC_ENOMEM;
            goto out;
        }
        int w = mrtc_dcep_encode_open(&o, open, n);
        if (w < 0) {
            err = w;
            goto out;
        }
        err = chan_queue(s, c, PPID_DCEP, true, open, (size_t)w, 0);
        if (err)
            goto out;
        c->opener = true;
        c->state = SCTP_CHAN_OPENING;
    }
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: sid %u: opened \"%s\" (%s, %s)", (void *)s, sid, p->label,
               p->negotiated ? "negotiated" : "DCEP", p->ordered ? "ordered" : "unordered");
    c = NULL;
    sctp_settle(s);
out:
    if (c)
        chan_remove(s, c);
    mrtc_free(open);
    sctp_unlock();
    return err;
}

int mrtc_sctp_send(mrtc_sctp *s, mrtc_time now, uint16_t sid, bool binary, const void *data,
                   size_t len)
{
    static const uint8_t zero = 0;
    int err;

    if (len > 0 && !data)
        return MRTC_EINVAL;
    sctp_enter(s, now);
    sctp_chan *c = sctp_chan_find(s, sid);
    if (!c) {
        err = MRTC_ENOTFOUND;
        goto out;
    }
    if (c->state == SCTP_CHAN_CLOSING || s->closing || s->state != MRTC_SCTP_STATE_CONNECTED) {
        err = MRTC_ESTATE;
        goto out;
    }
    if (len > mrtc_sctp_max_message_size(s)) {
        err = MRTC_ETOOBIG;
        goto out;
    }
    uint32_t ppid =
        binary ? (len ? PPID_BINARY : PPID_BINARY_EMPTY) : (len ? PPID_STRING : PPID_STRING_EMPTY);
    /* RFC 8831 section 6.6: an empty message is sent as one byte with an "empty" PPID. */
    err = chan_queue(s, c, ppid, false, len ? data : &zero, len ? len : 1, len);
    if (err)
        goto out;
    sctp_settle(s);
    /* What the user sees grew (or BUFFERED reported the fall below the previous view). */
    c = sctp_chan_find(s, sid);
    if (c && c->buffered > c->buffered_reported)
        c->buffered_reported = c->buffered;
out:
    sctp_unlock();
    return err;
}

size_t mrtc_sctp_buffered_amount(const mrtc_sctp *s, uint16_t sid)
{
    sctp_lock();
    const sctp_chan *c = sctp_chan_find(s, sid);
    size_t n = c ? c->buffered : 0;
    sctp_unlock();
    return n;
}

int mrtc_sctp_close_channel(mrtc_sctp *s, mrtc_time now, uint16_t sid)
{
    int err = 0;

    sctp_enter(s, now);
    sctp_chan *c = sctp_chan_find(s, sid);
    if (!c) {
        err = MRTC_ENOTFOUND;
        goto out;
    }
    if (c->state == SCTP_CHAN_CLOSING) {
        err = MRTC_ESTATE;
        goto out;
    }
    chan_set_state(s, c, SCTP_CHAN_CLOSING);
    c->reset_wanted = true;
    sctp_settle(s);
out:
    sctp_unlock();
    return err;
}
