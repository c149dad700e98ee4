/*
 * File transfer over data channels for meshrtc-call (docs/call.md, "File transfer"): the
 * meshrtc-file/1 protocol, one reliable ordered channel per file and peer (label "file").
 *
 *   sender -> receiver   text    {"name":"big.bin","size":52428800,"sha256":"<hex>"}
 *   sender -> receiver   binary  the bytes, in chunks of up to 64 KiB, `size` in all
 *   receiver -> sender   text    {"ok":true,"bytes":N,"sha256":"<hex>"}
 *                                or {"ok":false,"error":"..."} (at any time; then it closes)
 *   sender               closes the channel once the receipt arrived
 *
 * The sender streams the file from disk (pread, chunk by chunk), stopping while the
 * channel's bufferedAmount is above a high-water mark and resuming on buffered_amount_low
 * (threshold set on the channel); it hashes what it sends and warns if the file changed
 * since it was hashed at start. The receiver checks the header (dcmsg_header_parse(): a
 * plain file name, no path), writes the chunks as they arrive into a temporary file inside
 * --recv-dir (opened relative to the directory's descriptor, O_EXCL|O_NOFOLLOW), verifies
 * size and SHA-256, and only then links it under its name, never replacing a file:
 * "name", else "name.1" ... "name.99". A transfer that fails, or is cut by a closed channel
 * or the end of the call, leaves nothing behind. Completed transfers print one line on each
 * side (with the SHA-256) and are recorded in the report's "files".
 *
 * It does not resume interrupted transfers, limit the size it accepts (beyond 2^53), or
 * send several files; writes and reads are synchronous on the loop thread (page cache).
 */
#include "apps/call/call.h"

#include "apps/call/dcmsg.h"
#include "apps/common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XFER_CHUNK (64 * 1024)
#define XFER_HIGH_WATER (1024 * 1024) /* stop sending above this bufferedAmount */
#define XFER_LOW_WATER (256 * 1024)   /* resume at buffered_amount_low */
#define XFER_MAX_SUFFIX 99            /* name.1 .. name.99 when name exists */
#define WHY_MAX 512                   /* a reason line (quotes a name of up to 255 bytes) */

typedef enum xfer_state {
    X_WAIT_OPEN,    /* sender: channel not open yet */
    X_SENDING,      /* sender: streaming */
    X_WAIT_RECEIPT, /* sender: every byte queued */
    X_WAIT_HEADER,  /* receiver: nothing received yet */
    X_RECEIVING,    /* receiver: writing chunks */
    X_DONE,         /* finished, refused or failed: waiting for the channel to close */
} xfer_state;

struct xfer {
    xfer *next;
    call_peer *peer;
    mrtc_datachannel *dc;
    bool sending;
    xfer_state state;
    dcmsg_file_header h; /* announced (sender) or received (receiver) */
    uint64_t done;       /* bytes sent / received */
    uint64_t t0_ns;      /* header sent / received */
    size_t chunk;
    EVP_MD_CTX *md;
    int fd;       /* sender: the file; receiver: the temporary file; -1 */
    char tmp[64]; /* receiver: the temporary file's name in --recv-dir, "" when none */
};

static uint8_t chunk_buf[XFER_CHUNK];
static unsigned tmp_counter;

static double seconds_since(uint64_t t0_ns)
{
    return (double)(uv_hrtime() - t0_ns) / 1e9;
}

static double mbps(uint64_t bytes, double s)
{
    return s > 0 ? (double)bytes / 1048576.0 / s : 0.0;
}

/* Closes the file and removes the temporary file, if any. */
static void release_files(xfer *x)
{
    const call_args *a = x->peer->call->args;
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    if (x->tmp[0] && a->recv_dirfd >= 0)
        unlinkat(a->recv_dirfd, x->tmp, 0);
    x->tmp[0] = '\0';
    EVP_MD_CTX_free(x->md);
    x->md = NULL;
}

static void xfer_free(xfer *x)
{
    release_files(x);
    for (xfer **pp = &x->peer->xfers; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    }
    mem_free(x);
}

static bool digest_init(xfer *x)
{
    x->md = EVP_MD_CTX_new();
    return x->md && EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) == 1;
}

static bool digest_final(xfer *x, char hex[65])
{
    uint8_t d[32];
    unsigned n = 0;
    bool ok = x->md && EVP_DigestFinal_ex(x->md, d, &n) == 1 && n == 32;
    if (ok)
        dcmsg_hex(d, hex);
    return ok;
}

/* Copies a reason into a receipt, cut to fit. */
static void set_error(dcmsg_receipt *r, const char *why)
{
    size_t n = strlen(why);
    if (n >= sizeof(r->error))
        n = sizeof(r->error) - 1;
    memcpy(r->error, why, n);
    r->error[n] = '\0';
}

static void send_receipt(xfer *x, const dcmsg_receipt *r)
{
    char *text = dcmsg_receipt_build(r);
    int err = text ? mrtc_datachannel_send(x->dc, text, strlen(text), false) : MRTC_ENOMEM;
    if (err)
        call_warn(x->peer->call, "%s: cannot send the file receipt (%s)", x->peer->label,
                  mrtc_err_name(err));
    mem_free(text);
}

/* ---- sending ---- */

static void send_fail(xfer *x, const char *why)
{
    call_warn(x->peer->call, "file %s to %s failed: %s", x->h.name, x->peer->name, why);
    release_files(x);
    x->state = X_DONE;
    mrtc_datachannel_close(x->dc);
}

static void pump(xfer *x)
{
    while (x->state == X_SENDING && mrtc_datachannel_buffered_amount(x->dc) <= XFER_HIGH_WATER) {
        if (x->done == x->h.size) {
            char hex[65];
            if (!digest_final(x, hex)) {
                send_fail(x, "SHA-256 failed (OpenSSL)");
                return;
            }
            if (strcmp(hex, x->h.sha256) != 0)
                call_warn(x->peer->call,
                          "file %s changed while it was being sent to %s (sha256 now %s)",
                          x->h.name, x->peer->name, hex);
            release_files(x);
            x->state = X_WAIT_RECEIPT;
            return;
        }
        uint64_t left = x->h.size - x->done;
        size_t n = left < x->chunk ? (size_t)left : x->chunk;
        ssize_t r;
        do
            r = pread(x->fd, chunk_buf, n, (off_t)x->done);
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
            char why[128];
            snprintf(why, sizeof(why), "reading at byte %llu: %s", (unsigned long long)x->done,
                     r < 0 ? strerror(errno) : "the file became shorter");
            send_fail(x, why);
            return;
        }
        n = (size_t)r;
        if (EVP_DigestUpdate(x->md, chunk_buf, n) != 1) {
            send_fail(x, "SHA-256 failed (OpenSSL)");
            return;
        }
        int err = mrtc_datachannel_send(x->dc, chunk_buf, n, true);
        if (err) {
            char why[96];
            snprintf(why, sizeof(why), "send: %s", mrtc_err_name(err));
            send_fail(x, why);
            return;
        }
        x->done += n;
    }
}

static void sender_open(xfer *x)
{
    const call_args *a = x->peer->call->args;
    x->fd = open(a->send_file, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) {
        char why[160];
        snprintf(why, sizeof(why), "cannot open %s: %s", a->send_file, strerror(errno));
        send_fail(x, why);
        return;
    }
    if (!digest_init(x)) {
        send_fail(x, "SHA-256 failed (OpenSSL)");
        return;
    }
    x->chunk = XFER_CHUNK;
    mrtc_sctp_transport_info info;
    if (mrtc_pc_get_sctp_transport(x->peer->pc, &info) == 0 && info.max_message_size > 0 &&
        info.max_message_size < x->chunk)
        x->chunk = info.max_message_size;
    char *header = dcmsg_header_build(x->h.name, x->h.size, x->h.sha256);
    int err = header ? mrtc_datachannel_send(x->dc, header, strlen(header), false) : MRTC_ENOMEM;
    mem_free(header);
    if (err) {
        char why[96];
        snprintf(why, sizeof(why), "sending the header: %s", mrtc_err_name(err));
        send_fail(x, why);
        return;
    }
    x->t0_ns = uv_hrtime();
    x->state = X_SENDING;
    pump(x);
}

static void sender_message(xfer *x, const uint8_t *data, size_t len, bool binary)
{
    call *c = x->peer->call;
    dcmsg_receipt r;
    if (x->state == X_DONE)
        return;
    if (binary || dcmsg_receipt_parse(data, len, &r) != 0) {
        call_warn(c, "%s: unexpected message on the file channel ignored", x->peer->label);
        return;
    }
    if (!r.ok) {
        call_warn(c, "file %s refused by %s: %s", x->h.name, x->peer->name, r.error);
    } else if (x->state != X_WAIT_RECEIPT || r.bytes != x->h.size ||
               strcmp(r.sha256, x->h.sha256) != 0) {
        call_warn(c, "file %s to %s: the receipt does not match (%llu bytes, sha256 %s)", x->h.name,
                  x->peer->name, (unsigned long long)r.bytes, r.sha256);
    } else {
        double s = seconds_since(x->t0_ns);
        call_say(c, "file sent to %s: %s %llu bytes sha256 %s in %.3f s (%.1f MB/s)", x->peer->name,
                 x->h.name, (unsigned long long)x->h.size, x->h.sha256, s, mbps(x->h.size, s));
        if (x->peer->rp &&
            report_peer_add_file(x->peer->rp, "sent", x->h.name, x->h.size, x->h.sha256, s) != 0)
            call_warn(c, "out of memory recording a file transfer");
    }
    release_files(x);
    x->state = X_DONE;
    mrtc_datachannel_close(x->dc);
}

/* ---- receiving ---- */

/* Refuses or abandons the transfer: tells the sender why, removes the partial file, closes
 * the channel. */
static void recv_fail(xfer *x, const char *why)
{
    call_warn(x->peer->call, "file from %s refused: %s", x->peer->name, why);
    dcmsg_receipt r = {.ok = false};
    set_error(&r, why);
    send_receipt(x, &r);
    release_files(x);
    x->state = X_DONE;
    mrtc_datachannel_close(x->dc);
}

/* Links the verified temporary file under its name (or name.N); the chosen name in out. */
static int save_as(xfer *x, char *out, size_t cap)
{
    int dirfd = x->peer->call->args->recv_dirfd;
    for (int i = 0; i <= XFER_MAX_SUFFIX; i++) {
        if (i == 0)
            snprintf(out, cap, "%s", x->h.name);
        else
            snprintf(out, cap, "%s.%d", x->h.name, i);
        if (linkat(dirfd, x->tmp, dirfd, out, 0) == 0) {
            unlinkat(dirfd, x->tmp, 0);
            x->tmp[0] = '\0';
            return 0;
        }
        if (errno == EEXIST)
            continue;
        if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
            return -errno;
        /* No hard links on this file system: check, then rename (racy, but inside DIR). */
        struct stat st;
        if (fstatat(dirfd, out, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        if (renameat(dirfd, x->tmp, dirfd, out) != 0)
            return -errno;
        x->tmp[0] = '\0';
        return 0;
    }
    return -EEXIST;
}

static void recv_complete(xfer *x)
{
    call *c = x->peer->call;
    char hex[65], why[WHY_MAX];
    double s = seconds_since(x->t0_ns);
    if (!digest_final(x, hex)) {
        recv_fail(x, "SHA-256 failed (OpenSSL)");
        return;
    }
    if (strcmp(hex, x->h.sha256) != 0) {
        snprintf(why, sizeof(why), "%s: SHA-256 mismatch (received %.16s..., announced %.16s...)",
                 x->h.name, hex, x->h.sha256);
        recv_fail(x, why);
        return;
    }
    if (close(x->fd) != 0) {
        x->fd = -1;
        snprintf(why, sizeof(why), "%s: cannot write it: %s", x->h.name, strerror(errno));
        recv_fail(x, why);
        return;
    }
    x->fd = -1;
    char saved[DCMSG_NAME_MAX + 8];
    int err = save_as(x, saved, sizeof(saved));
    if (err) {
        snprintf(why, sizeof(why), "%s: cannot save it in %s: %s", x->h.name, c->args->recv_dir,
                 strerror(-err));
        recv_fail(x, why);
        return;
    }
    call_say(c,
             "file received from %s: %s %llu bytes sha256 %s in %.3f s (%.1f MB/s), saved as %s/%s",
             x->peer->name, x->h.name, (unsigned long long)x->h.size, hex, s, mbps(x->h.size, s),
             c->args->recv_dir, saved);
    if (x->peer->rp &&
        report_peer_add_file(x->peer->rp, "received", x->h.name, x->h.size, hex, s) != 0)
        call_warn(c, "out of memory recording a file transfer");
    dcmsg_receipt r = {.ok = true, .bytes = x->h.size};
    memcpy(r.sha256, hex, sizeof(r.sha256));
    send_receipt(x, &r);
    release_files(x);
    x->state = X_DONE; /* the sender closes the channel */
}

static void recv_header(xfer *x, const uint8_t *data, size_t len, bool binary)
{
    call *c = x->peer->call;
    char why[WHY_MAX];
    if (binary) {
        recv_fail(x, "data before the header");
        return;
    }
    if (dcmsg_header_parse(data, len, &x->h, why, sizeof(why)) != 0) {
        recv_fail(x, why);
        return;
    }
    if (c->args->recv_dirfd < 0) {
        call_say(c,
                 "file offered by %s: %s (%llu bytes): refused (start with --recv-dir DIR to "
                 "accept files)",
                 x->peer->name, x->h.name, (unsigned long long)x->h.size);
        dcmsg_receipt r = {.ok = false};
        set_error(&r, "not accepting files (no --recv-dir)");
        send_receipt(x, &r);
        x->state = X_DONE;
        mrtc_datachannel_close(x->dc);
        return;
    }
    snprintf(x->tmp, sizeof(x->tmp), ".meshrtc-recv-%ld-%u.part", (long)getpid(), ++tmp_counter);
    x->fd = openat(c->args->recv_dirfd, x->tmp,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (x->fd < 0) {
        x->tmp[0] = '\0';
        snprintf(why, sizeof(why), "%s: cannot create a file in %s: %s", x->h.name,
                 c->args->recv_dir, strerror(errno));
        recv_fail(x, why);
        return;
    }
    if (!digest_init(x)) {
        recv_fail(x, "SHA-256 failed (OpenSSL)");
        return;
    }
    x->t0_ns = uv_hrtime();
    x->state = X_RECEIVING;
    call_say(c, "receiving %s (%llu bytes) from %s", x->h.name, (unsigned long long)x->h.size,
             x->peer->name);
    if (x->h.size == 0)
        recv_complete(x);
}

static void recv_chunk(xfer *x, const uint8_t *data, size_t len, bool binary)
{
    char why[WHY_MAX];
    if (!binary) {
        snprintf(why, sizeof(why), "%s: a text message during the transfer", x->h.name);
        recv_fail(x, why);
        return;
    }
    if (len > x->h.size - x->done) {
        snprintf(why, sizeof(why), "%s: more than the announced %llu bytes", x->h.name,
                 (unsigned long long)x->h.size);
        recv_fail(x, why);
        return;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = write(x->fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, sizeof(why), "%s: cannot write it: %s", x->h.name,
                     n < 0 ? strerror(errno) : "no progress");
            recv_fail(x, why);
            return;
        }
        off += (size_t)n;
    }
    if (EVP_DigestUpdate(x->md, data, len) != 1) {
        recv_fail(x, "SHA-256 failed (OpenSSL)");
        return;
    }
    x->done += len;
    if (x->done == x->h.size)
        recv_complete(x);
}

/* ---- channel callbacks (both directions) ---- */

static void on_open(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    xfer *x = user;
    if (x->sending && x->state == X_WAIT_OPEN)
        sender_open(x);
}

static void on_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *user)
{
    (void)dc;
    xfer *x = user;
    if (x->sending)
        sender_message(x, data, len, binary);
    else if (x->state == X_WAIT_HEADER)
        recv_header(x, data, len, binary);
    else if (x->state == X_RECEIVING)
        recv_chunk(x, data, len, binary);
}

static void on_buffered_low(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    pump(user);
}

static void on_error(mrtc_datachannel *dc, int code, const char *message, void *user)
{
    (void)dc;
    xfer *x = user;
    call_warn(x->peer->call, "%s file channel: error %s: %s", x->peer->label, mrtc_err_name(code),
              message ? message : "");
}

/* The transfer ends without completing (channel closed, call ended): say so. */
static void report_cut(xfer *x, const char *how)
{
    call *c = x->peer->call;
    if (x->state == X_DONE)
        return;
    if (x->sending)
        call_warn(c, "file %s to %s not confirmed: %s after %llu of %llu bytes", x->h.name,
                  x->peer->name, how, (unsigned long long)x->done, (unsigned long long)x->h.size);
    else if (x->state == X_RECEIVING)
        call_warn(c, "file %s from %s incomplete: %s after %llu of %llu bytes; discarded",
                  x->h.name, x->peer->name, how, (unsigned long long)x->done,
                  (unsigned long long)x->h.size);
}

static void on_close(mrtc_datachannel *dc, void *user)
{
    (void)dc;
    xfer *x = user;
    report_cut(x, "the channel closed");
    xfer_free(x);
}

static const mrtc_datachannel_callbacks xfer_cbs = {
    .open = on_open,
    .message = on_message,
    .buffered_amount_low = on_buffered_low,
    .error = on_error,
    .close = on_close,
};

static xfer *xfer_new(call_peer *p, mrtc_datachannel *dc, bool sending)
{
    xfer *x = mem_calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->peer = p;
    x->dc = dc;
    x->sending = sending;
    x->fd = -1;
    x->state = sending ? X_WAIT_OPEN : X_WAIT_HEADER;
    x->next = p->xfers;
    p->xfers = x;
    return x;
}

void xfer_send_to(call_peer *p)
{
    call *c = p->call;
    const call_args *a = c->args;
    mrtc_datachannel_init init;
    mrtc_datachannel_init_defaults(&init); /* reliable and ordered */
    init.protocol = DCMSG_FILE_PROTOCOL;
    mrtc_datachannel *dc = NULL;
    int err = mrtc_pc_create_datachannel(p->pc, DCMSG_FILE_LABEL, &init, &dc);
    if (err) {
        call_warn(c, "%s: cannot create a file channel (%s)", p->label, mrtc_err_name(err));
        return;
    }
    xfer *x = xfer_new(p, dc, true);
    if (!x) {
        call_warn(c, "%s: out of memory sending a file", p->label);
        mrtc_datachannel_close(dc);
        return;
    }
    snprintf(x->h.name, sizeof(x->h.name), "%s", a->send_name);
    x->h.size = a->send_size;
    memcpy(x->h.sha256, a->send_sha256, sizeof(x->h.sha256));
    mrtc_datachannel_set_callbacks(dc, &xfer_cbs, x);
    mrtc_datachannel_set_buffered_amount_low_threshold(dc, XFER_LOW_WATER);
    call_say(c, "sending %s (%llu bytes) to %s", x->h.name, (unsigned long long)x->h.size, p->name);
}

void xfer_accept(call_peer *p, mrtc_datachannel *dc)
{
    xfer *x = xfer_new(p, dc, false);
    if (!x) {
        call_warn(p->call, "%s: out of memory accepting a file channel", p->label);
        mrtc_datachannel_close(dc);
        return;
    }
    mrtc_datachannel_set_callbacks(dc, &xfer_cbs, x);
}

void xfer_forget(call_peer *p, bool left)
{
    while (p->xfers) {
        report_cut(p->xfers, left ? "the peer left" : "the call ended");
        xfer_free(p->xfers);
    }
}
