/*
 * Data channels (W3C webrtc-pc section 6.2, RFC 8831): the public mrtc_datachannel objects
 * on top of the SCTP association's streams (sctp/sctp.h does DCEP and the streams).
 *
 *   - createDataChannel before SCTP is up: the channel waits in "connecting" with id -1
 *     (unless negotiated) and gets its id when the association connects (even for the
 *     DTLS client, odd for the server: RFC 8832 section 6);
 *   - channels the peer opens arrive through the PeerConnection's datachannel callback,
 *     already open, followed by their open callback;
 *   - every callback goes through the PeerConnection's event queue, so it is delivered in
 *     order, from the loop, never from inside an API call;
 *   - bufferedAmount grows inside send() by the message's size (W3C) and is brought down
 *     to what the SCTP layer has not taken yet in a later task, where bufferedamountlow
 *     fires if it fell from above the threshold to at or below it;
 *   - a channel is freed right after its close callback was delivered, or with its
 *     PeerConnection (datachannel.h states the ownership rule).
 *
 * Not here: DCEP and stream resets (sctp/), priorities (sent as "normal"), stats beyond
 * message and byte counters.
 */
#include "core/pc_impl.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <string.h>

#define LOG_TAG "dc"

static const char *const state_names[] = {
#define MRTC_DC_NAME_(name, str) str,
    MRTC_DATACHANNEL_STATE_MAP(MRTC_DC_NAME_)
#undef MRTC_DC_NAME_
};

const char *mrtc_datachannel_state_name(mrtc_datachannel_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

void mrtc_datachannel_init_defaults(mrtc_datachannel_init *init)
{
    *init = (mrtc_datachannel_init){
        .ordered = true, .max_packet_lifetime = -1, .max_retransmits = -1, .id = -1};
}

static void dc_free(mrtc_datachannel *dc)
{
    mrtc_free(dc->label);
    mrtc_free(dc->protocol);
    mrtc_free(dc);
}

static void unlink_dc(mrtc_pc *pc, mrtc_datachannel *dc)
{
    for (mrtc_datachannel **p = &pc->dc_head; *p; p = &(*p)->next) {
        if (*p == dc) {
            *p = dc->next;
            return;
        }
    }
}

void mrtc_pc_dc_free_all(mrtc_pc *pc)
{
    for (mrtc_datachannel *dc = pc->dc_head, *next; dc; dc = next) {
        next = dc->next;
        dc_free(dc);
    }
    pc->dc_head = NULL;
}

/* The channel bound to sid on the association (not one that is already being freed). */
static mrtc_datachannel *by_sid(mrtc_pc *pc, uint16_t sid)
{
    for (mrtc_datachannel *dc = pc->dc_head; dc; dc = dc->next) {
        if (dc->id == (int32_t)sid && !dc->close_queued)
            return dc;
    }
    return NULL;
}

static void emit_dc(mrtc_pc *pc, pc_ev_type type, mrtc_datachannel *dc)
{
    pc_event ev = {.type = type, .dc = dc, .mline_index = -1};
    mrtc_pc_emit(pc, &ev);
}

static void emit_error(mrtc_pc *pc, mrtc_datachannel *dc, int code, const char *text)
{
    pc_event ev = {.type = DC_EV_ERROR, .dc = dc, .error_code = code, .mline_index = -1};
    ev.text = mrtc_strdup(text ? text : "");
    mrtc_pc_emit(pc, &ev);
}

/* Queues the close event (readyState becomes "closed" when it is delivered, at the latest);
 * the channel is freed once it is delivered. */
static void queue_close(mrtc_pc *pc, mrtc_datachannel *dc)
{
    if (dc->close_queued)
        return;
    dc->close_queued = true;
    MRTC_DEBUG(LOG_TAG, "%s: channel %d \"%s\" closed", pc->name, (int)dc->id, dc->label);
    if (pc->closed) /* freed with the PeerConnection */
        return;
    if (mrtc_pc_reserve_events(pc, 1) != 0) {
        /* Cannot queue the close: the channel is closed without its close event and freed
         * with the PeerConnection (events queued for it still refer to it). */
        MRTC_ERROR(LOG_TAG, "%s: out of memory, channel closed without its close event",
                   pc->name);
        dc->state = MRTC_DATACHANNEL_CLOSED;
        return;
    }
    emit_dc(pc, DC_EV_CLOSE, dc);
}

/* The transport closed the channel: readyState "closed" now, the close event follows. */
static void set_closed(mrtc_pc *pc, mrtc_datachannel *dc)
{
    if (dc->close_queued)
        return;
    dc->state = MRTC_DATACHANNEL_CLOSED;
    queue_close(pc, dc);
}

/* Brings bufferedAmount up to date in a later task (one queued at a time). */
static void queue_buffered_update(mrtc_pc *pc, mrtc_datachannel *dc)
{
    if (dc->buffered_update_queued || dc->close_queued || mrtc_pc_reserve_events(pc, 1) != 0)
        return;
    dc->buffered_update_queued = true;
    emit_dc(pc, DC_EV_BUFFERED, dc);
}

/* Binds a waiting channel to the association. */
static void open_on_sctp(mrtc_pc *pc, mrtc_datachannel *dc)
{
    mrtc_time now = pc->io->ops->now(pc->io);
    int err = 0;
    if (dc->id < 0) {
        uint16_t sid;
        err = mrtc_sctp_alloc_sid(pc->sctp, &sid);
        if (err)
            goto out;
        dc->id = sid;
    }
    mrtc_sctp_channel_params p = {
        .label = dc->label,
        .protocol = dc->protocol,
        .ordered = dc->ordered,
        .reliability = dc->max_retransmits >= 0       ? MRTC_SCTP_MAX_RETRANSMITS
                       : dc->max_packet_lifetime >= 0 ? MRTC_SCTP_MAX_LIFETIME
                                                      : MRTC_SCTP_RELIABLE,
        .reliability_param = dc->max_retransmits >= 0       ? (uint32_t)dc->max_retransmits
                             : dc->max_packet_lifetime >= 0 ? (uint32_t)dc->max_packet_lifetime
                                                            : 0,
        .priority = 256,
        .negotiated = dc->negotiated,
    };
    err = mrtc_sctp_open_channel(pc->sctp, now, (uint16_t)dc->id, &p);
out:
    if (err) {
        /* W3C: no id available or the open failed: the channel errors and closes. */
        MRTC_WARN(LOG_TAG, "%s: channel \"%s\" cannot open: %s", pc->name, dc->label,
                  mrtc_strerror(err));
        emit_error(pc, dc, err, "data-channel-failure: cannot open the stream");
        set_closed(pc, dc);
        return;
    }
    dc->on_sctp = true;
}

void mrtc_pc_dc_sctp_connected(mrtc_pc *pc)
{
    /* Negotiated channels with fixed ids first, so automatic ids never take theirs. */
    for (int pass = 0; pass < 2; pass++) {
        for (mrtc_datachannel *dc = pc->dc_head; dc; dc = dc->next) {
            if (dc->on_sctp || dc->close_queued || dc->state != MRTC_DATACHANNEL_CONNECTING)
                continue;
            if ((pass == 0) == (dc->id >= 0))
                open_on_sctp(pc, dc);
        }
    }
}

void mrtc_pc_dc_transport_closed(mrtc_pc *pc, const char *reason)
{
    for (mrtc_datachannel *dc = pc->dc_head; dc; dc = dc->next) {
        if (dc->close_queued)
            continue;
        if (reason)
            emit_error(pc, dc, MRTC_ECONN, reason);
        set_closed(pc, dc);
    }
}

static mrtc_datachannel *dc_new(mrtc_pc *pc, const char *label, const char *protocol)
{
    mrtc_datachannel *dc = mrtc_calloc(1, sizeof *dc);
    if (!dc)
        return NULL;
    dc->pc = pc;
    dc->label = mrtc_strdup(label ? label : "");
    dc->protocol = mrtc_strdup(protocol ? protocol : "");
    if (!dc->label || !dc->protocol) {
        dc_free(dc);
        return NULL;
    }
    dc->id = -1;
    dc->ordered = true;
    dc->max_packet_lifetime = -1;
    dc->max_retransmits = -1;
    dc->state = MRTC_DATACHANNEL_CONNECTING;
    return dc;
}

static void append_dc(mrtc_pc *pc, mrtc_datachannel *dc)
{
    mrtc_datachannel **p = &pc->dc_head;
    while (*p)
        p = &(*p)->next;
    *p = dc;
}

static void on_open_request(mrtc_pc *pc, const mrtc_sctp_event *ev)
{
    mrtc_datachannel *dc = dc_new(pc, ev->params.label, ev->params.protocol);
    if (!dc || mrtc_pc_reserve_events(pc, 2) != 0) {
        if (dc)
            dc_free(dc);
        MRTC_ERROR(LOG_TAG, "%s: out of memory, channel %u from the peer closed", pc->name,
                   ev->sid);
        (void)mrtc_sctp_close_channel(pc->sctp, pc->io->ops->now(pc->io), ev->sid);
        return;
    }
    dc->id = ev->sid;
    dc->ordered = ev->params.ordered;
    /* The W3C attributes are unsigned short: a larger DCEP value reads as 65535. */
    int32_t param = ev->params.reliability_param > 65535 ? 65535
                                                         : (int32_t)ev->params.reliability_param;
    if (ev->params.reliability == MRTC_SCTP_MAX_RETRANSMITS)
        dc->max_retransmits = param;
    else if (ev->params.reliability == MRTC_SCTP_MAX_LIFETIME)
        dc->max_packet_lifetime = param;
    dc->state = MRTC_DATACHANNEL_OPEN;
    dc->on_sctp = true;
    append_dc(pc, dc);
    MRTC_INFO(LOG_TAG, "%s: the peer opened channel %u \"%s\"", pc->name, ev->sid, dc->label);
    emit_dc(pc, PC_EV_DATACHANNEL, dc);
    emit_dc(pc, DC_EV_OPEN, dc);
}

static void on_message(mrtc_pc *pc, mrtc_datachannel *dc, const mrtc_sctp_event *ev)
{
    if (dc->state != MRTC_DATACHANNEL_OPEN && dc->state != MRTC_DATACHANNEL_CLOSING)
        return;
    pc_event out = {.type = DC_EV_MESSAGE, .dc = dc, .len = ev->len, .binary = ev->binary,
                    .mline_index = -1};
    if (ev->len) {
        out.data = mrtc_malloc(ev->len);
        if (!out.data) {
            MRTC_ERROR(LOG_TAG, "%s: out of memory, message of %zu bytes dropped", pc->name,
                       ev->len);
            return;
        }
        memcpy(out.data, ev->data, ev->len);
    }
    dc->stats.messages_received++;
    dc->stats.bytes_received += ev->len;
    mrtc_pc_emit(pc, &out);
}

void mrtc_pc_dc_handle_sctp_event(mrtc_pc *pc, const mrtc_sctp_event *ev)
{
    if (ev->type == MRTC_SCTP_EVENT_OPEN_REQUEST) {
        on_open_request(pc, ev);
        return;
    }
    mrtc_datachannel *dc = by_sid(pc, ev->sid);
    if (!dc)
        return;
    switch (ev->type) {
    case MRTC_SCTP_EVENT_OPEN:
        if (dc->state == MRTC_DATACHANNEL_CONNECTING) {
            dc->state = MRTC_DATACHANNEL_OPEN;
            MRTC_DEBUG(LOG_TAG, "%s: channel %d \"%s\" open", pc->name, (int)dc->id, dc->label);
            emit_dc(pc, DC_EV_OPEN, dc);
        }
        break;
    case MRTC_SCTP_EVENT_MESSAGE:
        on_message(pc, dc, ev);
        break;
    case MRTC_SCTP_EVENT_BUFFERED:
        queue_buffered_update(pc, dc);
        break;
    case MRTC_SCTP_EVENT_CLOSING:
        if (dc->state != MRTC_DATACHANNEL_CLOSING && dc->state != MRTC_DATACHANNEL_CLOSED) {
            dc->state = MRTC_DATACHANNEL_CLOSING;
            emit_dc(pc, DC_EV_CLOSING, dc);
        }
        break;
    case MRTC_SCTP_EVENT_CLOSED:
        set_closed(pc, dc);
        break;
    case MRTC_SCTP_EVENT_CHANNEL_ERROR:
        emit_error(pc, dc, MRTC_EPROTO, ev->text);
        break;
    case MRTC_SCTP_EVENT_STATE:
    case MRTC_SCTP_EVENT_OPEN_REQUEST:
        break;
    }
}

void mrtc_pc_dc_deliver(mrtc_pc *pc, const pc_event *ev)
{
    mrtc_datachannel *dc = ev->dc;
    const mrtc_datachannel_callbacks *cb = &dc->cbs;
    switch (ev->type) {
    case PC_EV_DATACHANNEL:
        if (pc->cbs.datachannel)
            pc->cbs.datachannel(pc, dc, pc->user);
        break;
    case DC_EV_OPEN:
        /* W3C "announce open" and message delivery abort once close() was called. */
        if (cb->open && !dc->close_called)
            cb->open(dc, dc->user);
        break;
    case DC_EV_MESSAGE:
        if (cb->message && !dc->close_called)
            cb->message(dc, ev->data, ev->len, ev->binary, dc->user);
        break;
    case DC_EV_BUFFERED: {
        dc->buffered_update_queued = false;
        size_t before = dc->buffered;
        size_t now = pc->sctp && dc->on_sctp ? mrtc_sctp_buffered_amount(pc->sctp, (uint16_t)dc->id)
                                             : 0;
        if (now < dc->buffered)
            dc->buffered = now;
        if (before > dc->low_threshold && dc->buffered <= dc->low_threshold &&
            cb->buffered_amount_low)
            cb->buffered_amount_low(dc, dc->user);
        break;
    }
    case DC_EV_ERROR:
        if (cb->error)
            cb->error(dc, ev->error_code, ev->text ? ev->text : "", dc->user);
        break;
    case DC_EV_CLOSING:
        if (cb->closing)
            cb->closing(dc, dc->user);
        break;
    case DC_EV_CLOSE:
        dc->state = MRTC_DATACHANNEL_CLOSED;
        if (cb->close)
            cb->close(dc, dc->user);
        /* The callback may have closed the PeerConnection: the channel then goes with it. */
        if (!pc->closed) {
            unlink_dc(pc, dc);
            dc_free(dc);
        }
        break;
    default:
        break;
    }
}

/* ---- The API ---------------------------------------------------------------------------- */

static bool id_taken(const mrtc_pc *pc, int32_t id)
{
    for (const mrtc_datachannel *dc = pc->dc_head; dc; dc = dc->next) {
        if (dc->id == id && !dc->close_queued)
            return true;
    }
    return false;
}

int mrtc_pc_create_datachannel(mrtc_pc *pc, const char *label, const mrtc_datachannel_init *init,
                               mrtc_datachannel **out)
{
    mrtc_datachannel_init defaults;
    if (!pc || !out)
        return MRTC_EINVAL;
    *out = NULL;
    if (pc->closed) {
        mrtc_pc_set_error(pc, "create data channel: the PeerConnection is closed");
        return MRTC_ECLOSED;
    }
    if (!init) {
        mrtc_datachannel_init_defaults(&defaults);
        init = &defaults;
    }
    const char *protocol = init->protocol ? init->protocol : "";
    if (!label)
        label = "";
    if (strlen(label) > 65535 || strlen(protocol) > 65535) {
        mrtc_pc_set_error(pc, "create data channel: label or protocol longer than 65535 bytes");
        return MRTC_EINVAL;
    }
    if (init->max_packet_lifetime >= 0 && init->max_retransmits >= 0) {
        mrtc_pc_set_error(pc, "create data channel: both maxPacketLifeTime and maxRetransmits");
        return MRTC_EINVAL;
    }
    if (init->max_packet_lifetime < -1 || init->max_packet_lifetime > 65535 ||
        init->max_retransmits < -1 || init->max_retransmits > 65535) {
        mrtc_pc_set_error(pc, "create data channel: maxPacketLifeTime/maxRetransmits out of range");
        return MRTC_EINVAL;
    }
    if (init->id < -1 || init->id > (int32_t)MRTC_SCTP_MAX_SID) {
        mrtc_pc_set_error(pc, "create data channel: id %d out of range", (int)init->id);
        return MRTC_EINVAL;
    }
    if (init->negotiated && init->id < 0) {
        mrtc_pc_set_error(pc, "create data channel: negotiated without an id");
        return MRTC_EINVAL;
    }
    int32_t id = init->negotiated ? init->id : -1;
    if (id >= 0 && id_taken(pc, id)) {
        mrtc_pc_set_error(pc, "create data channel: id %d is in use", (int)id);
        return MRTC_EEXIST;
    }
    if (pc->sctp && pc->sctp_state == MRTC_SCTP_TRANSPORT_CONNECTED && id >= 0 &&
        (unsigned)id >= mrtc_sctp_max_channels(pc->sctp)) {
        mrtc_pc_set_error(pc, "create data channel: id %d beyond the negotiated streams", (int)id);
        return MRTC_ERANGE;
    }
    int err = mrtc_pc_reserve_events(pc, 3);
    if (err)
        return err;
    mrtc_datachannel *dc = dc_new(pc, label, protocol);
    if (!dc)
        return MRTC_ENOMEM;
    dc->id = id;
    dc->ordered = init->ordered;
    dc->max_packet_lifetime = init->max_packet_lifetime;
    dc->max_retransmits = init->max_retransmits;
    dc->negotiated = init->negotiated;
    if (pc->sctp && pc->sctp_state == MRTC_SCTP_TRANSPORT_CONNECTED) {
        /* W3C: with no id left, createDataChannel throws OperationError. */
        uint16_t sid = 0;
        if (id < 0) {
            err = mrtc_sctp_alloc_sid(pc->sctp, &sid);
            if (err) {
                dc_free(dc);
                mrtc_pc_set_error(pc, "create data channel: no stream id left");
                return err;
            }
            dc->id = sid;
        }
    }
    append_dc(pc, dc);
    if (pc->sctp && pc->sctp_state == MRTC_SCTP_TRANSPORT_CONNECTED) {
        open_on_sctp(pc, dc);
    } else if ((pc->sctp_exists && pc->sctp_state == MRTC_SCTP_TRANSPORT_CLOSED) ||
               pc->dtls_state == MRTC_DTLS_TRANSPORT_FAILED ||
               pc->dtls_state == MRTC_DTLS_TRANSPORT_CLOSED) {
        /* The transport is gone for good: the channel can never open (error, then close). */
        emit_error(pc, dc, MRTC_ECONN, "sctp-failure: the SCTP transport is closed");
        set_closed(pc, dc);
    }
    /* The first channel makes a data m-section necessary (W3C: negotiationneeded). */
    if (!pc->data_wanted) {
        pc->data_wanted = true;
        mrtc_jsep_update_negotiation_needed(pc);
    }
    MRTC_DEBUG(LOG_TAG, "%s: channel \"%s\" created", pc->name, dc->label);
    *out = dc;
    mrtc_pc_flush(pc);
    return 0;
}

void mrtc_datachannel_set_callbacks(mrtc_datachannel *dc, const mrtc_datachannel_callbacks *cbs,
                                    void *user)
{
    if (!dc)
        return;
    if (cbs)
        dc->cbs = *cbs;
    else
        memset(&dc->cbs, 0, sizeof dc->cbs);
    dc->user = user;
}

void *mrtc_datachannel_user(const mrtc_datachannel *dc)
{
    return dc ? dc->user : NULL;
}

mrtc_pc *mrtc_datachannel_pc(const mrtc_datachannel *dc)
{
    return dc ? dc->pc : NULL;
}

int mrtc_datachannel_send(mrtc_datachannel *dc, const void *data, size_t len, bool binary)
{
    if (!dc || (len && !data))
        return MRTC_EINVAL;
    mrtc_pc *pc = dc->pc;
    if (pc->closed || dc->state != MRTC_DATACHANNEL_OPEN || !pc->sctp) {
        mrtc_pc_set_error(pc, "send: the channel is %s",
                          pc->closed ? "closed" : mrtc_datachannel_state_name(dc->state));
        return MRTC_ESTATE;
    }
    size_t max = mrtc_sctp_max_message_size(pc->sctp);
    if (len > max) {
        mrtc_pc_set_error(pc, "send: %zu bytes exceed the maximum message size %zu", len, max);
        return MRTC_ETOOBIG;
    }
    int err = mrtc_pc_reserve_events(pc, 1); /* the bufferedAmount update */
    if (err)
        return err;
    mrtc_time now = pc->io->ops->now(pc->io);
    err = mrtc_sctp_send(pc->sctp, now, (uint16_t)dc->id, binary, data, len);
    if (err) {
        mrtc_pc_set_error(pc, "send: %s", mrtc_strerror(err));
        return err;
    }
    dc->stats.messages_sent++;
    dc->stats.bytes_sent += len;
    dc->buffered += len;
    queue_buffered_update(pc, dc);
    mrtc_pc_flush(pc);
    return 0;
}

int mrtc_datachannel_send_text(mrtc_datachannel *dc, const char *text)
{
    if (!text)
        return MRTC_EINVAL;
    return mrtc_datachannel_send(dc, text, strlen(text), false);
}

void mrtc_datachannel_close(mrtc_datachannel *dc)
{
    if (!dc)
        return;
    mrtc_pc *pc = dc->pc;
    if (pc->closed || dc->state == MRTC_DATACHANNEL_CLOSING ||
        dc->state == MRTC_DATACHANNEL_CLOSED)
        return;
    /* W3C: "closing" now; "closed" with the close event, in a later task. */
    dc->state = MRTC_DATACHANNEL_CLOSING;
    dc->close_called = true;
    if (dc->on_sctp && pc->sctp) {
        mrtc_time now = pc->io->ops->now(pc->io);
        if (mrtc_sctp_close_channel(pc->sctp, now, (uint16_t)dc->id) == MRTC_ENOTFOUND)
            queue_close(pc, dc);
    } else {
        queue_close(pc, dc); /* never opened: nothing to reset */
    }
    mrtc_pc_flush(pc);
}

const char *mrtc_datachannel_label(const mrtc_datachannel *dc)
{
    return dc ? dc->label : "";
}

const char *mrtc_datachannel_protocol(const mrtc_datachannel *dc)
{
    return dc ? dc->protocol : "";
}

int32_t mrtc_datachannel_id(const mrtc_datachannel *dc)
{
    return dc ? dc->id : -1;
}

bool mrtc_datachannel_ordered(const mrtc_datachannel *dc)
{
    return dc && dc->ordered;
}

int32_t mrtc_datachannel_max_packet_lifetime(const mrtc_datachannel *dc)
{
    return dc ? dc->max_packet_lifetime : -1;
}

int32_t mrtc_datachannel_max_retransmits(const mrtc_datachannel *dc)
{
    return dc ? dc->max_retransmits : -1;
}

bool mrtc_datachannel_negotiated(const mrtc_datachannel *dc)
{
    return dc && dc->negotiated;
}

mrtc_datachannel_state mrtc_datachannel_ready_state(const mrtc_datachannel *dc)
{
    return dc ? dc->state : MRTC_DATACHANNEL_CLOSED;
}

size_t mrtc_datachannel_buffered_amount(const mrtc_datachannel *dc)
{
    return dc ? dc->buffered : 0;
}

size_t mrtc_datachannel_buffered_amount_low_threshold(const mrtc_datachannel *dc)
{
    return dc ? dc->low_threshold : 0;
}

void mrtc_datachannel_set_buffered_amount_low_threshold(mrtc_datachannel *dc, size_t threshold)
{
    if (dc)
        dc->low_threshold = threshold;
}

void mrtc_datachannel_get_stats(const mrtc_datachannel *dc, mrtc_datachannel_stats *out)
{
    if (!out)
        return;
    if (dc)
        *out = dc->stats;
    else
        memset(out, 0, sizeof *out);
}
