/*
 * Helpers for the live tests of tests/apps: a uv loop whose waits are bounded by a timer
 * (WAIT fails the test instead of hanging; there is no sleep), and a hand-written WebSocket
 * client on a raw TCP socket for what a well-behaved client never does (ignore pings, send
 * fragments or binary frames, speak plain HTTP). Include after unit/test.h.
 */
#ifndef TESTS_APPS_LIVE_H
#define TESTS_APPS_LIVE_H

#include "apps/common/mem.h"

#include <stdbool.h>
#include <string.h>
#include <uv.h>

typedef struct live_loop {
    uv_loop_t loop;
    uv_timer_t deadline;
    bool expired;
} live_loop;

static void live_deadline_cb(uv_timer_t *t)
{
    ((live_loop *)t->data)->expired = true;
}

static inline void live_init(live_loop *lp)
{
    memset(lp, 0, sizeof(*lp));
    uv_loop_init(&lp->loop);
    uv_timer_init(&lp->loop, &lp->deadline);
    lp->deadline.data = lp;
}

/* Closes the deadline, lets pending closes finish, and checks no handle is left. */
static inline void live_finish(live_loop *lp)
{
    uv_close((uv_handle_t *)&lp->deadline, NULL);
    for (int i = 0; i < 1000 && uv_run(&lp->loop, UV_RUN_NOWAIT); i++)
        ;
    CHECK_EQ(uv_loop_close(&lp->loop), 0);
}

/* Runs the loop until `cond` holds or `ms` pass; a timeout is a failed check. */
#define WAIT(lp, cond, ms)                                                                 \
    do {                                                                                   \
        (lp)->expired = false;                                                             \
        uv_timer_start(&(lp)->deadline, live_deadline_cb, (ms), 0);                        \
        while (!(cond) && !(lp)->expired)                                                  \
            uv_run(&(lp)->loop, UV_RUN_ONCE);                                              \
        uv_timer_stop(&(lp)->deadline);                                                    \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: %s: timed out after %d ms waiting for %s\n", __FILE__, \
                    __LINE__, test_current, (int)(ms), #cond);                             \
            test_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

/* Runs the loop for `ms` whatever happens (a quiet period). */
static inline void run_for(live_loop *lp, uint64_t ms)
{
    lp->expired = false;
    uv_timer_start(&lp->deadline, live_deadline_cb, ms, 0);
    while (!lp->expired)
        uv_run(&lp->loop, UV_RUN_ONCE);
}

typedef struct raw {
    live_loop *lp;
    uv_tcp_t tcp;
    uv_connect_t creq;
    char buf[1 << 16];
    size_t len;
    bool connected, http_done, upgraded, eof, handle_closed;
    char status[64];
    int pings, texts, closes;
    char last_text[4096];
    const char *request;
} raw;

typedef struct wreq {
    uv_write_t req;
    char data[];
} wreq;

static inline void raw_written(uv_write_t *req, int status)
{
    (void)status;
    mem_free(req);
}

static inline void raw_write(raw *r, const void *data, size_t len)
{
    wreq *w = mem_alloc(sizeof(*w) + len);
    memcpy(w->data, data, len);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&r->tcp, &b, 1, raw_written))
        mem_free(w);
}

/* A masked client frame (RFC 6455 section 5.3); `fin` false leaves the message open. */
static inline void raw_send_frame_ex(raw *r, bool fin, int opcode, const char *data,
                                     size_t len)
{
    unsigned char *fr = mem_alloc(len + 14);
    size_t n = 0;
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    fr[n++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        fr[n++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        fr[n++] = 0x80 | 126;
        fr[n++] = (unsigned char)(len >> 8);
        fr[n++] = (unsigned char)len;
    } else {
        fr[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            fr[n++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    memcpy(fr + n, mask, 4);
    n += 4;
    for (size_t i = 0; i < len; i++)
        fr[n++] = (unsigned char)data[i] ^ mask[i % 4];
    raw_write(r, fr, n);
    mem_free(fr);
}

static inline void raw_send_frame(raw *r, int opcode, const char *data, size_t len)
{
    raw_send_frame_ex(r, true, opcode, data, len);
}

/* Consumes complete server frames (unmasked) from the buffer. */
static inline void raw_parse_frames(raw *r)
{
    for (;;) {
        const unsigned char *b = (const unsigned char *)r->buf;
        if (r->len < 2)
            return;
        size_t hdr = 2, plen = b[1] & 0x7f;
        if (plen == 126) {
            if (r->len < 4)
                return;
            plen = ((size_t)b[2] << 8) | b[3];
            hdr = 4;
        } else if (plen == 127) {
            if (r->len < 10)
                return;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = (plen << 8) | b[2 + i];
            hdr = 10;
        }
        if (r->len < hdr + plen)
            return;
        int opcode = b[0] & 0x0f;
        if (opcode == 1) {
            r->texts++;
            size_t n = plen < sizeof(r->last_text) - 1 ? plen : sizeof(r->last_text) - 1;
            memcpy(r->last_text, b + hdr, n);
            r->last_text[n] = '\0';
        } else if (opcode == 9) {
            r->pings++; /* deliberately never answered */
        } else if (opcode == 8) {
            r->closes++;
        }
        memmove(r->buf, r->buf + hdr + plen, r->len - hdr - plen);
        r->len -= hdr + plen;
    }
}

static inline void raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)suggested;
    raw *r = h->data;
    *out = uv_buf_init(r->buf + r->len, (unsigned)(sizeof(r->buf) - r->len));
}

static inline void raw_closed(uv_handle_t *h)
{
    ((raw *)h->data)->handle_closed = true;
}

static inline void raw_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    raw *r = s->data;
    if (nread < 0) {
        r->eof = true;
        uv_close((uv_handle_t *)&r->tcp, raw_closed);
        return;
    }
    r->len += (size_t)nread;
    if (!r->http_done) {
        char *end = memmem(r->buf, r->len, "\r\n\r\n", 4);
        if (!end)
            return;
        r->http_done = true;
        size_t line = strcspn(r->buf, "\r");
        snprintf(r->status, sizeof(r->status), "%.*s", (int)line, r->buf);
        r->upgraded = strstr(r->status, " 101") != NULL;
        size_t consumed = (size_t)(end + 4 - r->buf);
        if (!r->upgraded)
            return; /* keep the body: tests look at it */
        memmove(r->buf, r->buf + consumed, r->len - consumed);
        r->len -= consumed;
    }
    if (r->upgraded)
        raw_parse_frames(r);
}

static inline void raw_connected(uv_connect_t *req, int status)
{
    raw *r = req->data;
    CHECK_EQ(status, 0);
    if (status)
        return;
    r->connected = true;
    raw_write(r, r->request, strlen(r->request));
    uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
}

static inline void raw_open(live_loop *lp, raw *r, int port, const char *request)
{
    memset(r, 0, sizeof(*r));
    r->lp = lp;
    r->request = request;
    uv_tcp_init(&lp->loop, &r->tcp);
    r->tcp.data = r;
    r->creq.data = r;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    uv_tcp_connect(&r->creq, &r->tcp, (const struct sockaddr *)&sa, raw_connected);
}

static inline void raw_close(live_loop *lp, raw *r)
{
    if (!r->handle_closed && !uv_is_closing((uv_handle_t *)&r->tcp))
        uv_close((uv_handle_t *)&r->tcp, raw_closed);
    WAIT(lp, r->handle_closed, 2000);
}

static const char upgrade_request[] = "GET /ws HTTP/1.1\r\n"
                                      "Host: 127.0.0.1\r\n"
                                      "Upgrade: websocket\r\n"
                                      "Connection: Upgrade\r\n"
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                      "Sec-WebSocket-Version: 13\r\n\r\n";

#endif
