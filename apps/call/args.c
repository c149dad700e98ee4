/*
 * meshrtc-call's command-line parser: `--opt VALUE` and `--opt=VALUE`, required options,
 * value checks that can be made locally (URL scheme, room syntax of the protocol, name
 * length, duration range). Every failure is one line for stderr and exit status 2.
 *
 * --ice-allow entries are checked against the allow-list syntax of mrtc_pc_config (an
 * interface name, a numeric address, or ADDRESS/BITS) so a typo is a usage error rather than
 * a call that gathers nothing; whether the interface exists is the library's business.
 * It does not validate the log specification (main.c hands it to the library, which refuses
 * malformed ones), and it does not contact the server. call_args_prepare_files() is the one
 * check that touches the file system: --send-file is opened and hashed, --recv-dir created.
 */
#include "apps/call/args.h"
#include "apps/call/dcmsg.h"
#include "apps/common/cli.h"

#include "apps/common/jsonutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char call_usage[] =
    "usage: meshrtc-call --signal ws://HOST:PORT/ws --room ROOM [options]\n"
    "\n"
    "Joins ROOM on a meshrtc room server and holds one PeerConnection with every other\n"
    "participant (full mesh), printing each peer's state changes.\n"
    "\n"
    "  --signal URL        room server WebSocket URL (ws:// or wss://); required\n"
    "  --room NAME         room to join (1-64 of A-Z a-z 0-9 _ -); required\n"
    "  --name NAME         display name (up to 64 characters)\n"
    "  --code CODE         meeting code of the room\n"
    "  --duration S        leave after S seconds (exit status 0); default: run until\n"
    "                      SIGINT/SIGTERM\n"
    "  --report FILE.json  write the call report (docs/report-format.md) on exit\n"
    "  --ice-allow WHAT    gather ICE candidates only on this interface, address or prefix\n"
    "                      (lo, 127.0.0.1, 10.0.0.0/8); repeatable\n"
    "  --log LEVEL         library log level or spec (error, warn, info, debug, trace,\n"
    "                      info,ice=debug); default: $MESHRTC_LOG\n"
    "\n"
    "Chat and files (data channels; lines read from stdin go to every peer's chat):\n"
    "  --echo              send every chat message received back to its sender, marked\n"
    "                      \"[echo] \" (echoes are never echoed)\n"
    "  --send-messages K   once a peer's chat is open, send msg-1 .. msg-K to it and count\n"
    "                      the echoes that come back (1-1000000)\n"
    "  --send-file PATH    send this file to every peer, on a channel of its own\n"
    "  --recv-dir DIR      accept files from peers into DIR (created if missing); without\n"
    "                      it, offered files are refused\n"
    "\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 done, 1 internal error, 2 bad arguments, 3 signaling failure (server\n"
    "unreachable, join refused: bad-code, room-full, ..., connection lost).\n";

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return 2;
}

static bool room_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool url_ok(const char *s)
{
    const char *rest = NULL;
    if (strncmp(s, "ws://", 5) == 0)
        rest = s + 5;
    else if (strncmp(s, "wss://", 6) == 0)
        rest = s + 6;
    return rest && *rest && *rest != '/';
}

/* An interface name ("lo", "eth*"), an address ("127.0.0.1", "::1") or a prefix
 * ("10.0.0.0/8"). */
static bool allow_ok(const char *s)
{
    unsigned char buf[16];
    char ip[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof(ip))
        return false;
    memcpy(ip, s, n);
    ip[n] = '\0';
    int max = inet_pton(AF_INET, ip, buf) == 1 ? 32 : inet_pton(AF_INET6, ip, buf) == 1 ? 128 : 0;
    if (max) {
        if (!slash)
            return true;
        char *end;
        if (slash[1] < '0' || slash[1] > '9')
            return false;
        unsigned long bits = strtoul(slash + 1, &end, 10);
        return !*end && bits <= (unsigned long)max;
    }
    if (slash || n > 15)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' ||
                  (ch == '*' && i == n - 1);
        if (!ok)
            return false;
    }
    return true;
}

static const char *const with_value[] = {
    "--signal",    "--room", "--name",          "--code",      "--duration", "--report",
    "--ice-allow", "--log",  "--send-messages", "--send-file", "--recv-dir",
};

int call_args_parse(int argc, char **argv, call_args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->name = "";
    a->recv_dirfd = -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char opt[32];
        const char *val;
        cli_split_option(arg, opt, sizeof(opt), &val);
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0)
            return 1;
        if (strcmp(opt, "--echo") == 0) {
            if (val)
                return bad(err, errlen, "--echo takes no value");
            a->echo = true;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            known |= strcmp(opt, with_value[k]) == 0;
        if (!known) {
            if (arg[0] == '-')
                return bad(err, errlen, "unknown option '%s'", arg);
            return bad(err, errlen, "unexpected argument '%s'", arg);
        }
        if (!val) {
            if (i + 1 >= argc)
                return bad(err, errlen, "%s needs a value", opt);
            val = argv[++i];
        }

        if (strcmp(opt, "--signal") == 0) {
            if (!url_ok(val))
                return bad(err, errlen, "bad --signal value '%s' (expected ws://HOST:PORT/ws)",
                           val);
            a->signal_url = val;
        } else if (strcmp(opt, "--room") == 0) {
            if (!room_ok(val))
                return bad(err, errlen, "bad --room value '%s' (1-64 of A-Z a-z 0-9 _ -)", val);
            a->room = val;
        } else if (strcmp(opt, "--name") == 0) {
            long n = jsonutil_utf8_count(val, strlen(val));
            if (n < 0 || n > 64)
                return bad(err, errlen, "bad --name value (up to 64 characters of UTF-8)");
            a->name = val;
        } else if (strcmp(opt, "--code") == 0) {
            if (jsonutil_utf8_count(val, strlen(val)) < 0)
                return bad(err, errlen, "bad --code value (not UTF-8)");
            a->code = val;
        } else if (strcmp(opt, "--duration") == 0) {
            char *end;
            errno = 0;
            double d = strtod(val, &end);
            if (!*val || *end || errno || !isfinite(d) || d <= 0 || d > 31536000.0)
                return bad(err, errlen, "bad --duration value '%s' (expected seconds > 0)", val);
            a->duration_s = d;
        } else if (strcmp(opt, "--report") == 0) {
            if (!*val)
                return bad(err, errlen, "bad --report value '' (expected a file name)");
            a->report_path = val;
        } else if (strcmp(opt, "--ice-allow") == 0) {
            if (!allow_ok(val))
                return bad(err, errlen,
                           "bad --ice-allow value '%s' (expected an interface, "
                           "address or prefix)",
                           val);
            if (a->n_ice_allow >= CALL_MAX_ICE_ALLOW)
                return bad(err, errlen, "too many --ice-allow options (at most %d)",
                           CALL_MAX_ICE_ALLOW);
            a->ice_allow[a->n_ice_allow++] = val;
        } else if (strcmp(opt, "--log") == 0) {
            if (!*val)
                return bad(err, errlen, "bad --log value '' (expected a level)");
            a->log_spec = val;
        } else if (strcmp(opt, "--send-messages") == 0) {
            char *end;
            errno = 0;
            unsigned long k = strtoul(val, &end, 10);
            if (*val < '0' || *val > '9' || *end || errno || k < 1 || k > CALL_MAX_SEND_MESSAGES)
                return bad(err, errlen, "bad --send-messages value '%s' (expected 1-%d)", val,
                           CALL_MAX_SEND_MESSAGES);
            a->send_messages = (uint32_t)k;
        } else if (strcmp(opt, "--send-file") == 0) {
            if (!*val)
                return bad(err, errlen, "bad --send-file value '' (expected a file)");
            a->send_file = val;
        } else if (strcmp(opt, "--recv-dir") == 0) {
            if (!*val)
                return bad(err, errlen, "bad --recv-dir value '' (expected a directory)");
            a->recv_dir = val;
        }
    }
    if (!a->signal_url)
        return bad(err, errlen, "--signal is required");
    if (!a->room)
        return bad(err, errlen, "--room is required");
    return 0;
}

static int prepare_send_file(call_args *a, char *err, size_t errlen)
{
    const char *path = a->send_file;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *problem = dcmsg_name_problem(name, strlen(name));
    const char *test_name = getenv("MESHRTC_CALL_TEST_SEND_AS");
    if (test_name && *test_name)
        name = test_name, problem = NULL;
    if (problem)
        return bad(err, errlen, "bad --send-file value '%s' (the file name cannot be sent: %s)",
                   path, problem);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bad(err, errlen, "bad --send-file value '%s' (%s)", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = bad(err, errlen, "bad --send-file value '%s' (not a regular file)", path);
    } else {
        int e = dcmsg_hash_fd(fd, &a->send_size, a->send_sha256);
        if (e)
            rc = bad(err, errlen, "bad --send-file value '%s' (cannot read it: %s)", path,
                     strerror(-e));
        else if (a->send_size > DCMSG_SIZE_MAX)
            rc = bad(err, errlen, "bad --send-file value '%s' (larger than 2^53 bytes)", path);
    }
    close(fd);
    a->send_name = name;
    return rc;
}

static int prepare_recv_dir(call_args *a, char *err, size_t errlen)
{
    const char *dir = a->recv_dir;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return bad(err, errlen, "bad --recv-dir value '%s' (cannot create it: %s)", dir,
                   strerror(errno));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bad(err, errlen, "bad --recv-dir value '%s' (%s)", dir,
                   errno == ENOTDIR ? "not a directory" : strerror(errno));
    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        int e = errno;
        close(fd);
        return bad(err, errlen, "bad --recv-dir value '%s' (not writable: %s)", dir, strerror(e));
    }
    a->recv_dirfd = fd;
    return 0;
}

int call_args_prepare_files(call_args *a, char *err, size_t errlen)
{
    int rc = 0;
    if (a->send_file)
        rc = prepare_send_file(a, err, errlen);
    if (!rc && a->recv_dir)
        rc = prepare_recv_dir(a, err, errlen);
    return rc;
}
