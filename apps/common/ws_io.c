/*
 * lws plumbing shared by the WebSocket server and client (see ws_io.h): send queues with
 * LWS_PRE headroom, reassembly of fragmented messages up to a cap, the single-frame writer
 * for WRITEABLE callbacks, and the "loop settled" test the foreign-loop teardown needs.
 *
 * It does not own connections or contexts; ws.c and ws_client.c do.
 */
#include "apps/common/ws_io.h"

#include "apps/common/mem.h"

#include <meshrtc.h>
#include <stdlib.h>
#include <string.h>

/* The close opcode of lws_write(): lws 4.1 keeps LWS_WRITE_CLOSE (4) out of its public enum
 * but accepts it (its own close path writes with it). */
#define WS_WRITE_CLOSE ((enum lws_write_protocol)4)

int ws_io_queue_push(ws_io_queue *q, const char *data, size_t len)
{
    ws_io_msg *m = mem_alloc(sizeof(*m) + LWS_PRE + len);
    if (!m)
        return MRTC_ENOMEM;
    m->next = NULL;
    m->len = len;
    if (len)
        memcpy(m->buf + LWS_PRE, data, len);
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->bytes += len;
    return 0;
}

ws_io_msg *ws_io_queue_pop(ws_io_queue *q)
{
    ws_io_msg *m = q->head;
    if (m) {
        q->head = m->next;
        if (!q->head)
            q->tail = NULL;
        q->bytes -= m->len;
    }
    return m;
}

void ws_io_queue_clear(ws_io_queue *q)
{
    ws_io_msg *m;
    while ((m = ws_io_queue_pop(q)))
        mem_free(m);
}

void ws_io_rx_clear(ws_io_rx *rx)
{
    mem_free(rx->data);
    memset(rx, 0, sizeof(*rx));
}

/* Appends a fragment. Returns true when it completed a message (then the caller delivers
 * rx->data/rx->total and calls ws_io_rx_done). */
bool ws_io_rx_feed(ws_io_rx *rx, struct lws *wsi, const void *in, size_t len, size_t max)
{
    if (!rx->active) {
        rx->active = true;
        rx->binary = lws_frame_is_binary(wsi) != 0;
        rx->total = 0;
        rx->len = 0;
        rx->overflow = false;
    }
    rx->total += len;
    if (!rx->overflow && rx->total > max) {
        rx->overflow = true;
        mem_free(rx->data);
        rx->data = NULL;
        rx->len = rx->cap = 0;
    }
    if (!rx->overflow && len) {
        if (rx->len + len + 1 > rx->cap) {
            size_t cap = rx->cap ? rx->cap : 4096;
            while (cap < rx->len + len + 1)
                cap *= 2;
            char *d = mem_realloc(rx->data, cap);
            if (!d) {
                rx->overflow = true; /* reported as too large: the bytes are gone */
                mem_free(rx->data);
                rx->data = NULL;
                rx->len = rx->cap = 0;
            } else {
                rx->data = d;
                rx->cap = cap;
            }
        }
        if (!rx->overflow) {
            memcpy(rx->data + rx->len, in, len);
            rx->len += len;
        }
    }
    return lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
}

void ws_io_rx_done(ws_io_rx *rx)
{
    rx->active = false;
    rx->len = 0;
    rx->total = 0;
    if (rx->cap > 65536) { /* do not keep a large buffer per idle connection */
        mem_free(rx->data);
        rx->data = NULL;
        rx->cap = 0;
    }
}

/* Writes at most one frame (the lws rule for a WRITEABLE callback): a pending ping, else the
 * oldest queued message, else the close frame when a close was asked for. The close frame is
 * written here rather than through lws_close_reason(): this lws version drops that reason
 * and closes the socket without a close frame when the callback returns -1. After our close
 * frame, the peer's echo (LWS_CALLBACK_WS_PEER_INITIATED_CLOSE) ends the connection, or
 * lws's close-ack timeout does. Returns what the lws callback must return. */
int ws_io_write_one(struct lws *wsi, ws_io_queue *q, bool *ping_due, bool close_requested,
                    bool *close_sent, int close_code, const char *close_reason)
{
    if (*close_sent)
        return 0;
    if (ping_due && *ping_due) {
        /* A payload: this lws does not report empty pongs to the protocol callback. */
        unsigned char buf[LWS_PRE + 4] = {0};
        memcpy(buf + LWS_PRE, "ping", 4);
        *ping_due = false;
        if (lws_write(wsi, buf + LWS_PRE, 4, LWS_WRITE_PING) < 0)
            return -1;
    } else if (q->head) {
        ws_io_msg *m = ws_io_queue_pop(q);
        int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
        size_t len = m->len;
        mem_free(m);
        if (n < 0 || (size_t)n < len)
            return -1;
    } else if (close_requested) {
        unsigned char buf[LWS_PRE + 125];
        unsigned char *p = buf + LWS_PRE;
        size_t rl = strlen(close_reason);
        if (rl > 123)
            rl = 123;
        p[0] = (unsigned char)(close_code >> 8);
        p[1] = (unsigned char)close_code;
        memcpy(p + 2, close_reason, rl);
        *close_sent = true;
        if (lws_write(wsi, p, 2 + rl, WS_WRITE_CLOSE) < 0)
            return -1;
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, 2);
        return 0;
    }
    if (q->head || close_requested || (ping_due && *ping_due))
        lws_callback_on_writable(wsi);
    return 0;
}

static void walk_closing(uv_handle_t *h, void *arg)
{
    if (uv_is_closing(h))
        *(bool *)arg = true;
}

/* True when no handle of the loop is waiting for its close callback: the handles lws
 * closed during the first lws_context_destroy() are then really gone. */
bool ws_io_loop_settled(uv_loop_t *loop)
{
    bool closing = false;
    uv_walk(loop, walk_closing, &closing);
    return !closing;
}

void ws_io_setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    mem_install_hooks();
    int level = LLL_ERR;
    const char *env = getenv("MESHRTC_LWS_LOG");
    if (env && *env)
        level = atoi(env);
    lws_set_log_level(level, NULL);
}

void ws_io_copy_close(int *code_out, char *reason_out, size_t cap, int code, const char *reason)
{
    *code_out = code;
    snprintf(reason_out, cap, "%s", reason ? reason : "");
    if (strlen(reason_out) > 120)
        reason_out[120] = '\0';
}
