/*
 * Plumbing shared by the WebSocket server (ws.c) and client (ws_client.c) over
 * libwebsockets: send queues, message reassembly, the one-frame-per-WRITEABLE writer, and the
 * teardown test for a foreign libuv loop. Internal to apps/common.
 */
#ifndef APPS_COMMON_WS_IO_H
#define APPS_COMMON_WS_IO_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define WS_IO_PROTOCOL "meshrtc-ws" /* our lws protocol name (no subprotocol is negotiated) */
#define WS_IO_RX_CHUNK 65536        /* lws receive buffer per connection */

typedef struct ws_io_msg {
    struct ws_io_msg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then the payload */
} ws_io_msg;

typedef struct ws_io_queue {
    ws_io_msg *head, *tail;
    size_t bytes;
} ws_io_queue;

/* Reassembles one message from the fragments lws hands over. */
typedef struct ws_io_rx {
    char *data;
    size_t len, cap;
    size_t total;
    bool active, binary, overflow;
} ws_io_rx;

/* Appends a copy of `data` to the queue. 0 or MRTC_ENOMEM. */
int ws_io_queue_push(ws_io_queue *q, const char *data, size_t len);
ws_io_msg *ws_io_queue_pop(ws_io_queue *q); /* the caller frees it with mem_free */
void ws_io_queue_clear(ws_io_queue *q);

void ws_io_rx_clear(ws_io_rx *rx);
/* Appends a fragment lws delivered (`max`: bytes kept; more is counted, not kept). Returns
 * true when it completed a message: deliver rx->data (NULL when rx->overflow) and
 * rx->total, then call ws_io_rx_done(). */
bool ws_io_rx_feed(ws_io_rx *rx, struct lws *wsi, const void *in, size_t len, size_t max);
void ws_io_rx_done(ws_io_rx *rx);

/* Writes at most one frame from a WRITEABLE callback: a due ping (`ping_due` may be NULL),
 * else the oldest queued message, else our close frame (`code`, `reason`) when a close was
 * requested; sets *close_sent. Returns what the lws callback must return. */
int ws_io_write_one(struct lws *wsi, ws_io_queue *q, bool *ping_due, bool close_requested,
                    bool *close_sent, int close_code, const char *close_reason);

/* True when no handle of the loop is waiting for its close callback. */
bool ws_io_loop_settled(uv_loop_t *loop);

/* Once per process: allocator hooks and the lws log level (errors only; MESHRTC_LWS_LOG=N
 * sets lws's level bitmask). */
void ws_io_setup(void);

/* Stores a close status and a reason cut to 120 bytes. */
void ws_io_copy_close(int *code_out, char *reason_out, size_t cap, int code, const char *reason);

#endif
