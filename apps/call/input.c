/*
 * meshrtc-call's stdin reader: lines typed (or piped) go to every open chat channel
 * (chat_broadcast()), except commands: a line starting with '/' is a command ("/video on",
 * "/video off": media_video_set()), and "//TEXT" sends the chat line "/TEXT". stdin is read through
 * the call's libuv loop: a terminal with uv_tty, a pipe, FIFO or socket with uv_pipe, a regular
 * file or /dev/null with uv_fs_read (epoll cannot poll those; the reads finish at once). Reading is
 * paused while no chat channel is open, so lines wait in the pipe or terminal until a peer can
 * receive them, and a terminal is read only while we are its foreground process group (main.c
 * ignores SIGTTIN, so a background read fails instead of stopping the process).
 *
 * Lines end at '\n'; a trailing '\r' is dropped, empty lines are skipped, a line longer
 * than CALL_LINE_MAX - 1 bytes is cut with one warning. A last line without '\n' is sent at
 * end of input. End of input or a read error stops reading for good; the call goes on. It
 * does not change the terminal mode or echo typed text.
 */
#include "apps/call/call.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char read_buf[65536];

/* A line starting with '/' (not "//"): "/video on" or "/video off"; anything else is
 * reported as unknown. */
static void run_command(call *c, const char *line, size_t n)
{
    if (n == 9 && memcmp(line, "/video on", 9) == 0)
        media_video_set(c, true);
    else if (n == 10 && memcmp(line, "/video off", 10) == 0)
        media_video_set(c, false);
    else
        call_warn(c,
                  "stdin: unknown command '%.*s' (commands: /video on, /video off; "
                  "//TEXT sends /TEXT)",
                  n > 64 ? 64 : (int)n, line);
}

static void emit_line(call *c)
{
    call_input *in = &c->in;
    size_t n = in->len;
    if (n > 0 && in->line[n - 1] == '\r')
        n--;
    if (n > 1 && in->line[0] == '/' && in->line[1] == '/')
        chat_broadcast(c, in->line + 1, n - 1);
    else if (n > 0 && in->line[0] == '/')
        run_command(c, in->line, n);
    else if (n > 0)
        chat_broadcast(c, in->line, n);
    in->len = 0;
    in->overlong = false;
}

static void feed(call *c, const char *data, size_t len)
{
    call_input *in = &c->in;
    for (size_t i = 0; i < len; i++) {
        char ch = data[i];
        if (ch == '\n') {
            emit_line(c);
            continue;
        }
        if (in->overlong)
            continue;
        if (in->len == sizeof(in->line) - 1) {
            call_warn(c, "stdin: line longer than %d bytes: sent cut", CALL_LINE_MAX - 1);
            emit_line(c);
            in->overlong = true;
            continue;
        }
        in->line[in->len++] = ch;
    }
}

/* End of input or an error: the last partial line goes out, reading stops for good. */
static void finish_input(call *c, int err)
{
    call_input *in = &c->in;
    if (in->len > 0 && !in->overlong)
        emit_line(c);
    in->done = true;
    if (err)
        call_warn(c, "stdin: %s: no longer read", uv_strerror(err));
    if ((in->kind == INPUT_TTY || in->kind == INPUT_PIPE) && in->reading && !in->closed)
        uv_read_stop((uv_stream_t *)&in->h);
    in->reading = false;
}

/* ---- terminals and pipes ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(read_buf, sizeof(read_buf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    call *c = s->data;
    if (n > 0)
        feed(c, buf->base, (size_t)n);
    else if (n == UV_EOF)
        finish_input(c, 0);
    else if (n < 0)
        finish_input(c, (int)n);
}

/* ---- files ---- */

static void file_read(call *c);

static void on_fs_read(uv_fs_t *req)
{
    call *c = req->data;
    call_input *in = &c->in;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    in->req_busy = false;
    if (in->closed)
        return;
    if (n > 0) {
        feed(c, read_buf, (size_t)n);
        file_read(c);
    } else {
        finish_input(c, n < 0 ? (int)n : 0);
    }
}

static void file_read(call *c)
{
    call_input *in = &c->in;
    if (in->req_busy || !in->reading || in->done || in->closed)
        return;
    uv_buf_t buf = uv_buf_init(read_buf, sizeof(read_buf));
    in->req.data = c;
    int err = uv_fs_read(&c->loop, &in->req, 0, &buf, 1, -1, on_fs_read);
    if (err)
        finish_input(c, err);
    else
        in->req_busy = true;
}

/* ---- public ---- */

void input_init(call *c)
{
    call_input *in = &c->in;
    in->kind = INPUT_NONE;
    switch (uv_guess_handle(0)) {
    case UV_TTY:
        if (uv_tty_init(&c->loop, &in->h.tty, 0, 1) == 0)
            in->kind = INPUT_TTY;
        break;
    case UV_NAMED_PIPE:
    case UV_TCP:
    case UV_UDP:
        if (uv_pipe_init(&c->loop, &in->h.pipe, 0) == 0) {
            in->started = true;
            if (uv_pipe_open(&in->h.pipe, 0) == 0)
                in->kind = INPUT_PIPE;
            else
                uv_close((uv_handle_t *)&in->h.pipe, NULL);
        }
        break;
    case UV_FILE:
        in->kind = INPUT_FILE;
        break;
    default:
        break;
    }
    if (in->kind == INPUT_TTY || in->kind == INPUT_PIPE) {
        in->started = true;
        ((uv_handle_t *)&in->h)->data = c;
    } else {
        in->started = false;
    }
    if (in->kind == INPUT_NONE)
        in->done = true;
}

void input_update(call *c)
{
    call_input *in = &c->in;
    if (in->done || in->closed || in->kind == INPUT_NONE)
        return;
    bool want = c->n_chat_open > 0 && !c->finishing;
    if (want && in->kind == INPUT_TTY && tcgetpgrp(0) != getpgrp())
        want = false; /* in the background: leave the terminal to the foreground job */
    if (want == in->reading)
        return;
    in->reading = want;
    if (in->kind == INPUT_FILE) {
        file_read(c);
        return;
    }
    int err = want ? uv_read_start((uv_stream_t *)&in->h, on_alloc, on_read)
                   : uv_read_stop((uv_stream_t *)&in->h);
    if (err)
        finish_input(c, err);
}

void input_close(call *c)
{
    call_input *in = &c->in;
    if (in->closed)
        return;
    in->closed = true;
    in->reading = false;
    if (in->started)
        uv_close((uv_handle_t *)&in->h, NULL);
    /* A file read in flight completes on its own (regular files do not block). */
}
