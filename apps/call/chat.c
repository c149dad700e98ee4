/*
 * The "chat" data channel of meshrtc-call (docs/call.md, "Chat"): one reliable, ordered
 * channel per peer, created by the offerer of the pair before its first offer and received
 * by the answerer through the datachannel callback. Text messages print as "[name] text" on
 * stdout; stdin lines (input.c) go to every open chat; --echo sends each received message
 * back marked DCMSG_ECHO_PREFIX (a marked message is counted as an echo and never echoed
 * again); --send-messages K sends msg-1..msg-K once the channel opens, pacing on the
 * channel's bufferedAmount like the file sender. The channel's open/closing/closed states
 * go to the report timeline (kind "datachannel") and its counters to the report's
 * datachannel object.
 *
 * It does not retry a failed send, queue lines for a channel that is not open yet, or echo
 * binary messages (they are counted and shown by size only).
 */
#include "apps/call/call.h"

#include "apps/call/dcmsg.h"
#include "apps/call/minichat.h"
#include "apps/common/mem.h"

#include <stdio.h>
#include <string.h>

/* --send-messages keeps at most this much queued in the channel (bufferedAmount). */
#define CHAT_HIGH_WATER (256 * 1024)
#define CHAT_LOW_WATER (64 * 1024)

static void open_count(call_peer *p, bool open)
{
    call *c = p->call;
    if (p->chat_open == open)
        return;
    p->chat_open = open;
    if (open)
        c->n_chat_open++;
    else if (c->n_chat_open > 0)
        c->n_chat_open--;
    input_update(c);
}

/* Sends one text message on p's chat, counting it. */
static int chat_send(call_peer *p, const void *data, size_t len)
{
    int err = mrtc_datachannel_send(p->chat, data, len, false);
    if (err) {
        call_warn(p->call, "%s: chat message not sent (%s)", p->label, mrtc_err_name(err));
        return err;
    }
    if (p->rp) {
        p->rp->dc.messages_sent++;
        p->rp->dc.bytes_sent += len;
    }
    return 0;
}

/* --send-messages: msg-N while the channel's buffer is below the high-water mark. */
static void pump_messages(call_peer *p)
{
    uint32_t k = p->call->args->send_messages;
    while (p->chat_open && p->next_msg >= 1 && p->next_msg <= k &&
           mrtc_datachannel_buffered_amount(p->chat) <= CHAT_HIGH_WATER) {
        char text[32];
        int n = snprintf(text, sizeof(text), "msg-%u", (unsigned)p->next_msg);
        if (chat_send(p, text, (size_t)n) != 0) {
            p->next_msg = 0; /* give up: one warning is enough */
            return;
        }
        if (p->next_msg++ == k)
            call_say(p->call, "%s chat: sent msg-1 .. msg-%u", p->label, (unsigned)k);
    }
}

/* ---- channel callbacks ---- */

static void on_open(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    call_peer *p = user;
    peer_record(p, "datachannel", "open"); /* sets the report's open_ms */
    open_count(p, true);
    if (p->call->args->send_messages > 0) {
        p->next_msg = 1;
        pump_messages(p);
    }
    if (p->call->args->send_file)
        xfer_send_to(p);
}

static void on_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *user)
{
    call_peer *p = user;
    call *c = p->call;
    bool echo = !binary && dcmsg_is_echo(data, len);
    if (p->rp) {
        p->rp->dc.messages_received++;
        p->rp->dc.bytes_received += len;
        if (echo)
            p->rp->dc.echoes_received++;
    }
    if (binary) {
        printf("[%s] (binary message, %zu bytes)\n", p->name, len);
    } else {
        char *text = mem_alloc(len + 1);
        if (text) {
            dcmsg_printable(text, len + 1, data, len);
            printf("[%s] %s\n", p->name, text);
            mem_free(text);
        }
    }
    fflush(stdout);
    if (echo && p->rp && !p->echoes_done && c->args->send_messages > 0 &&
        p->rp->dc.echoes_received >= c->args->send_messages) {
        p->echoes_done = true;
        call_say(c, "%s chat: %u echoes received", p->label, (unsigned)c->args->send_messages);
    }
    if (c->args->echo && !binary && !echo) {
        char *out = mem_alloc(DCMSG_ECHO_PREFIX_LEN + len);
        if (!out) {
            call_warn(c, "%s: out of memory echoing a message", p->label);
            return;
        }
        memcpy(out, DCMSG_ECHO_PREFIX, DCMSG_ECHO_PREFIX_LEN);
        if (len)
            memcpy(out + DCMSG_ECHO_PREFIX_LEN, data, len);
        chat_send(p, out, DCMSG_ECHO_PREFIX_LEN + len);
        mem_free(out);
    }
    (void)dc;
}

static void on_buffered_low(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    pump_messages(user);
}

static void on_error(mrtc_datachannel *dc, int code, const char *message, void *user)
{
    (void)dc;
    call_peer *p = user;
    call_warn(p->call, "%s chat: error %s: %s", p->label, mrtc_err_name(code),
              message ? message : "");
}

static void on_closing(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    call_peer *p = user;
    open_count(p, false);
    peer_record(p, "datachannel", "closing");
}

static void on_close(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    call_peer *p = user;
    open_count(p, false);
    p->chat = NULL;
    peer_record(p, "datachannel", "closed");
}

static void attach(call_peer *p, mrtc_datachannel *dc)
{
    static const mrtc_datachannel_callbacks cbs = {
        .open = on_open,
        .message = on_message,
        .buffered_amount_low = on_buffered_low,
        .error = on_error,
        .closing = on_closing,
        .close = on_close,
    };
    p->chat = dc;
    mrtc_datachannel_set_callbacks(dc, &cbs, p);
    mrtc_datachannel_set_buffered_amount_low_threshold(dc, CHAT_LOW_WATER);
    if (p->rp)
        report_peer_set_datachannel(p->rp, DCMSG_CHAT_LABEL);
}

void chat_create(call_peer *p)
{
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init); /* reliable and ordered */
    mrtc_datachannel *dc = NULL;
    int err = mrtc_pc_create_datachannel(p->pc, DCMSG_CHAT_LABEL, &init, &dc);
    if (err) {
        call_warn(p->call, "%s: cannot create the chat channel (%s)", p->label, mrtc_err_name(err));
        return;
    }
    attach(p, dc);
}

void chat_adopt(call_peer *p, mrtc_datachannel *dc)
{
    attach(p, dc);
}

void chat_broadcast(call *c, const char *line, size_t len)
{
    if (c->mc) { /* Minichat: the chat-message event (minichat.c) */
        minichat_chat(c, line, len);
        return;
    }
    for (call_peer *p = c->peers; p; p = p->next)
        if (p->chat_open && !p->closing)
            chat_send(p, line, len);
}

void chat_forget(call_peer *p)
{
    open_count(p, false);
    p->chat = NULL;
}
