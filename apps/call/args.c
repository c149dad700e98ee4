/*
 * meshrtc-call's command-line parser: `--opt VALUE` and `--opt=VALUE`, required options,
 * value checks that can be made locally (URL scheme, room syntax of the protocol, name
 * length, duration range). Every failure is one line for stderr and exit status 2.
 *
 * --ice-allow entries are checked against the allow-list syntax of mrtc_pc_config (an
 * interface name, a numeric address, or ADDRESS/BITS) so a typo is a usage error rather than
 * a call that gathers nothing; whether the interface exists is the library's business.
 * The media options are parsed into a source and its parameters (--audio tone[:HZ],
 * mic[:DEVICE] or FILE.wav; --video pattern[:WxH[@FPS]] or FILE.y4m) with the ranges the
 * library accepts, so a bad value is a usage error here rather than a refused track later.
 * It does not validate the log specification (main.c hands it to the library, which refuses
 * malformed ones), open devices, or contact the server. call_args_prepare_files() is the one
 * check that touches the file system: --send-file is opened and hashed, --recv-dir and
 * --record created, the media files opened once to see that they are readable.
 */
#include "apps/call/args.h"
#include "apps/call/dcmsg.h"
#include "apps/common/cli.h"
#include "apps/common/http_msg.h"

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
#include <strings.h>

const char call_usage[] =
    "usage: meshrtc-call --signal ws://HOST:PORT/ws --room ROOM [options]\n"
    "       meshrtc-call --signal http://HOST:PORT/offer | whip+http://HOST:PORT/PATH [options]\n"
    "       meshrtc-call --listen http://ADDRESS:PORT/offer [options]\n"
    "       meshrtc-call --signal socketio+http://HOST:PORT [options]\n"
    "\n"
    "Joins ROOM on a meshrtc room server and holds one PeerConnection with every other\n"
    "participant (full mesh), printing each peer's state changes.\n"
    "\n"
    "  --signal URL        room server WebSocket URL (ws:// or wss://); required. Or\n"
    "                      http://HOST:PORT/offer: post a JSON offer, apply the answer;\n"
    "                      whip+http://HOST:PORT/PATH: a WHIP client (no --room);\n"
    "                      socketio+http://HOST:PORT: join a Minichat call (Socket.IO)\n"
    "  --listen URL        http://ADDRESS:PORT/offer: answer JSON offers posted there,\n"
    "                      one peer per request (instead of --signal and --room)\n"
    "  --bearer TOKEN      WHIP: send \"Authorization: Bearer TOKEN\"\n"
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
    "Media (one audio and one video track, encoded once and sent to every peer):\n"
    "  --audio WHAT        none (default), tone[:HZ] (a sine, default 440 Hz),\n"
    "                      mic[:DEVICE] (a capture device, by name or part of it), or\n"
    "                      FILE.wav (16-bit PCM, looped)\n"
    "  --video WHAT        none (default), pattern[:WxH[@FPS]] (a moving test pattern with\n"
    "                      a frame counter, default 640x480@30), or FILE.y4m (4:2:0, looped)\n"
    "  --play              play the audio of every peer, mixed, on the speaker\n"
    "  --play-device NAME  play on this output device (by name or part of it); implies\n"
    "                      --play\n"
    "  --record DIR        record each peer's audio and video as DIR/<peer-id>-audio.wav and\n"
    "                      DIR/<peer-id>-video.ivf (DIR created if missing)\n"
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

/* --signal http://... / whip+http://... and --listen http://ADDRESS:PORT/PATH (a numeric
 * address for --listen). */
static bool http_url_ok(const char *s, const char *scheme, bool listen)
{
    http_url u;
    if (http_url_parse(s, scheme, &u, NULL, 0) != 0)
        return false;
    unsigned char buf[16];
    return !listen || inet_pton(AF_INET, u.host, buf) == 1 || inet_pton(AF_INET6, u.host, buf) == 1;
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
    "--signal",    "--room",        "--name",          "--code",      "--duration", "--report",
    "--ice-allow", "--log",         "--send-messages", "--send-file", "--recv-dir", "--audio",
    "--video",     "--play-device", "--record",        "--listen",    "--bearer",   "--video-after",
};

/* s ends with suffix (ASCII case-insensitive) and has something before it. */
static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcasecmp(s + n - k, suffix) == 0;
}

/* A decimal number of 1-5 digits with no sign, no space: 0..99999 in *out. */
static bool small_uint(const char *s, size_t len, unsigned *out)
{
    if (len == 0 || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* --audio none | tone[:HZ] | mic[:DEVICE] | FILE.wav */
static int parse_audio(const char *val, call_args *a, char *err, size_t errlen)
{
    if (strcmp(val, "none") == 0) {
        a->audio = CALL_AUDIO_NONE;
    } else if (strcmp(val, "tone") == 0 || strncmp(val, "tone:", 5) == 0) {
        double hz = CALL_TONE_HZ_DEFAULT;
        if (val[4] == ':') {
            const char *num = val + 5;
            char *end;
            errno = 0;
            hz = strtod(num, &end);
            if (*num < '0' || *num > '9' || *end || errno || !isfinite(hz) || hz < 1 || hz >= 24000)
                return bad(err, errlen,
                           "bad --audio value '%s' (expected tone:HZ with HZ from 1 to 23999)",
                           val);
        }
        a->audio = CALL_AUDIO_TONE;
        a->tone_hz = hz;
    } else if (strcmp(val, "mic") == 0 || strncmp(val, "mic:", 4) == 0) {
        if (val[3] == ':' && !val[4])
            return bad(err, errlen, "bad --audio value '%s' (expected mic or mic:DEVICE)", val);
        a->audio = CALL_AUDIO_MIC;
        a->audio_device = val[3] == ':' ? val + 4 : NULL;
    } else if (has_suffix(val, ".wav")) {
        a->audio = CALL_AUDIO_WAV;
        a->audio_path = val;
    } else {
        return bad(err, errlen,
                   "bad --audio value '%s' (expected none, tone[:HZ], mic[:DEVICE] or FILE.wav)",
                   val);
    }
    return 0;
}

/* pattern:WxH[@FPS] after "pattern:" */
static bool parse_pattern_spec(const char *spec, call_args *a)
{
    const char *x = strchr(spec, 'x');
    const char *at = strchr(spec, '@');
    unsigned w, h, fps = CALL_PATTERN_FPS_DEFAULT;
    if (!x || (at && at < x))
        return false;
    const char *hend = at ? at : spec + strlen(spec);
    if (!small_uint(spec, (size_t)(x - spec), &w) ||
        !small_uint(x + 1, (size_t)(hend - (x + 1)), &h))
        return false;
    if (at && !small_uint(at + 1, strlen(at + 1), &fps))
        return false;
    if (w < 16 || w > 4096 || h < 16 || h > 4096 || (w & 1) || (h & 1) || fps < 1 || fps > 120)
        return false;
    a->video_width = (uint16_t)w;
    a->video_height = (uint16_t)h;
    a->video_fps = fps;
    return true;
}

/* --video none | pattern[:WxH[@FPS]] | FILE.y4m */
static int parse_video(const char *val, call_args *a, char *err, size_t errlen)
{
    if (strcmp(val, "none") == 0) {
        a->video = CALL_VIDEO_NONE;
    } else if (strcmp(val, "pattern") == 0 || strncmp(val, "pattern:", 8) == 0) {
        a->video_width = CALL_PATTERN_WIDTH_DEFAULT;
        a->video_height = CALL_PATTERN_HEIGHT_DEFAULT;
        a->video_fps = CALL_PATTERN_FPS_DEFAULT;
        if (val[7] == ':' && !parse_pattern_spec(val + 8, a))
            return bad(err, errlen,
                       "bad --video value '%s' (expected pattern:WxH[@FPS] with even W and H "
                       "from 16 to 4096, FPS from 1 to 120)",
                       val);
        a->video = CALL_VIDEO_PATTERN;
    } else if (has_suffix(val, ".y4m")) {
        a->video = CALL_VIDEO_Y4M;
        a->video_path = val;
    } else {
        return bad(err, errlen,
                   "bad --video value '%s' (expected none, pattern[:WxH[@FPS]] or FILE.y4m)", val);
    }
    return 0;
}

int call_args_parse(int argc, char **argv, call_args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    a->name = "";
    a->recv_dirfd = -1;
    a->tone_hz = CALL_TONE_HZ_DEFAULT;
    a->video_width = CALL_PATTERN_WIDTH_DEFAULT;
    a->video_height = CALL_PATTERN_HEIGHT_DEFAULT;
    a->video_fps = CALL_PATTERN_FPS_DEFAULT;
    a->video_after_s = -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char opt[32];
        const char *val;
        cli_split_option(arg, opt, sizeof(opt), &val);
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0)
            return 1;
        if (strcmp(opt, "--echo") == 0 || strcmp(opt, "--play") == 0) {
            if (val)
                return bad(err, errlen, "%s takes no value", opt);
            if (opt[2] == 'e')
                a->echo = true;
            else
                a->play = true;
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
            if (strncmp(val, "socketio+http://", 16) == 0) {
                if (!http_url_ok(val + 9, "http", false))
                    return bad(err, errlen, "bad --signal value '%s' (expected %s)", val,
                               "socketio+http://HOST:PORT");
                a->signal_kind = CALL_SIGNAL_SOCKETIO;
            } else if (strncmp(val, "http://", 7) == 0 || strncmp(val, "whip+http://", 12) == 0) {
                bool whip = val[0] == 'w';
                if (!http_url_ok(val, whip ? "whip+http" : "http", false))
                    return bad(err, errlen, "bad --signal value '%s' (expected %s)", val,
                               whip ? "whip+http://HOST:PORT/PATH" : "http://HOST:PORT/PATH");
                a->signal_kind = whip ? CALL_SIGNAL_WHIP : CALL_SIGNAL_HTTP;
            } else if (!url_ok(val)) {
                return bad(err, errlen, "bad --signal value '%s' (expected ws://HOST:PORT/ws)",
                           val);
            }
            a->signal_url = val;
        } else if (strcmp(opt, "--listen") == 0) {
            if (!http_url_ok(val, "http", true))
                return bad(err, errlen,
                           "bad --listen value '%s' (expected http://ADDRESS:PORT/PATH with a "
                           "numeric address)",
                           val);
            a->listen_url = val;
        } else if (strcmp(opt, "--bearer") == 0) {
            for (const char *q = val; *q; q++)
                if ((unsigned char)*q <= ' ' || *q == 0x7f)
                    return bad(err, errlen, "bad --bearer value (spaces or control characters)");
            if (!*val || strlen(val) > 1000)
                return bad(err, errlen, "bad --bearer value (expected 1-1000 characters)");
            a->bearer = val;
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
        } else if (strcmp(opt, "--audio") == 0) {
            int rc = parse_audio(val, a, err, errlen);
            if (rc)
                return rc;
        } else if (strcmp(opt, "--video") == 0) {
            int rc = parse_video(val, a, err, errlen);
            if (rc)
                return rc;
        } else if (strcmp(opt, "--video-after") == 0) {
            char *end;
            errno = 0;
            double d = strtod(val, &end);
            if (*val < '0' || *val > '9' || *end || errno || !isfinite(d) || d > 86400.0)
                return bad(err, errlen,
                           "bad --video-after value '%s' (expected seconds from 0 to 86400)", val);
            a->video_after_s = d;
        } else if (strcmp(opt, "--play-device") == 0) {
            if (!*val)
                return bad(err, errlen, "bad --play-device value '' (expected a device name)");
            a->play_device = val;
            a->play = true;
        } else if (strcmp(opt, "--record") == 0) {
            if (!*val)
                return bad(err, errlen, "bad --record value '' (expected a directory)");
            a->record_dir = val;
        }
    }
    if (a->listen_url && a->signal_url)
        return bad(err, errlen, "--signal and --listen exclude each other");
    if (a->listen_url)
        a->signal_kind = CALL_SIGNAL_LISTEN;
    else if (!a->signal_url)
        return bad(err, errlen, "--signal is required");
    if (a->signal_kind == CALL_SIGNAL_ROOM && !a->room)
        return bad(err, errlen, "--room is required");
    if (a->signal_kind == CALL_SIGNAL_SOCKETIO && a->code)
        return bad(err, errlen, "--code is for ws:// room servers only");
    if (a->signal_kind != CALL_SIGNAL_ROOM && a->signal_kind != CALL_SIGNAL_SOCKETIO &&
        (a->room || a->code))
        return bad(err, errlen, "--room and --code are for ws:// room servers only");
    if (a->bearer && a->signal_kind != CALL_SIGNAL_WHIP)
        return bad(err, errlen, "--bearer needs --signal whip+http://...");
    if (a->video_after_s >= 0 && a->video == CALL_VIDEO_NONE)
        return bad(err, errlen, "--video-after needs --video pattern or --video FILE.y4m");
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

/* --audio FILE.wav / --video FILE.y4m: a regular file we can read (its format is the
 * library's business when the track is created). */
static int check_media_file(const char *opt, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bad(err, errlen, "bad %s value '%s' (%s)", opt, path, strerror(errno));
    struct stat st;
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!regular)
        return bad(err, errlen, "bad %s value '%s' (not a regular file)", opt, path);
    return 0;
}

/* --record DIR: created when missing (one level), a writable directory. */
static int prepare_record_dir(const call_args *a, char *err, size_t errlen)
{
    const char *dir = a->record_dir;
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return bad(err, errlen, "bad --record value '%s' (cannot create it: %s)", dir,
                   strerror(errno));
    if (stat(dir, &st) != 0)
        return bad(err, errlen, "bad --record value '%s' (%s)", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bad(err, errlen, "bad --record value '%s' (not a directory)", dir);
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
        return bad(err, errlen, "bad --record value '%s' (not writable: %s)", dir, strerror(errno));
    return 0;
}

int call_args_prepare_files(call_args *a, char *err, size_t errlen)
{
    int rc = 0;
    if (a->send_file)
        rc = prepare_send_file(a, err, errlen);
    if (!rc && a->recv_dir)
        rc = prepare_recv_dir(a, err, errlen);
    if (!rc && a->audio == CALL_AUDIO_WAV)
        rc = check_media_file("--audio", a->audio_path, err, errlen);
    if (!rc && a->video == CALL_VIDEO_Y4M)
        rc = check_media_file("--video", a->video_path, err, errlen);
    if (!rc && a->record_dir)
        rc = prepare_record_dir(a, err, errlen);
    return rc;
}
