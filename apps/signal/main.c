/*
 * meshrtc-signal: the room server of SIGNALING.md, which also serves the browser client
 * (web.h) at /. Parses the command line, runs the server (server.c) on a libuv loop until
 * SIGINT or SIGTERM, then closes every connection and exits 0. Bad arguments print one line and exit 2; a failure to listen exits 1.
 *
 * With --cert and --key it serves https:// and wss:// instead. It does not daemonise, write
 * a pid file, or reload certificates.
 */
#include "apps/common/cli.h"
#include "apps/signal/server.h"

#include <errno.h>
#include <limits.h>
#include <meshrtc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define PROG "meshrtc-signal"
#define MAX_LIST 64

static const char usage[] =
    "usage: " PROG " [options]\n"
    "\n"
    "The meshrtc room server: WebSocket at ws://HOST:PORT/ws (protocol: SIGNALING.md),\n"
    "and a browser client at http://HOST:PORT/ that joins the same rooms.\n"
    "\n"
    "  --host ADDR          address to listen on (default 127.0.0.1)\n"
    "  --port N             port (default 8787; 0 picks a free one)\n"
    "  --room NAME:CODE     a room that always exists and always needs CODE (repeatable)\n"
    "  --max-peers N        participants per room (default 16)\n"
    "  --turn-secret S      mint TURN REST credentials for turn: URLs with this secret\n"
    "  --turn-ttl SECONDS   lifetime of minted credentials (default 86400)\n"
    "  --ice-server URL     stun:/turn: URL handed to every participant (repeatable)\n"
    "  --cert FILE          PEM certificate: serve https:// and wss:// (needs --key)\n"
    "  --key FILE           PEM private key of --cert\n"
    "  --help               this text\n";

typedef struct args {
    signal_server_config cfg;
    room_fixed rooms[MAX_LIST];
    char *room_names[MAX_LIST];
    const char *ice[MAX_LIST];
} args;

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s (see --help)\n", msg);
    return 2;
}

static int parse_uint(const char *opt, const char *v, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    char *end;
    errno = 0;
    if (!v || !*v || *v == '-' || *v == '+')
        return bad("bad %s value '%s'", opt, v ? v : "");
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        return bad("bad %s value '%s' (expected %lu-%lu)", opt, v, lo, hi);
    *out = n;
    return 0;
}

/* Returns 0 to run, 1 when --help was printed, 2 on a bad argument. */
static int parse_args(int argc, char **argv, args *a)
{
    signal_server_config *cfg = &a->cfg;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char opt[64];
        const char *val;
        cli_split_option(arg, opt, sizeof(opt), &val);
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        static const char *const with_value[] = {
            "--host",
            "--port",
            "--room",
            "--max-peers",
            "--turn-secret",
            "--turn-ttl",
            "--ice-server",
            "--ping-interval-ms",
            "--idle-timeout-ms",
            "--cert",
            "--key",
        };
        bool known = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            known |= strcmp(opt, with_value[k]) == 0;
        if (!known)
            return bad("unknown option '%s'", arg);
        if (!val) {
            if (i + 1 >= argc)
                return bad("%s needs a value", opt);
            val = argv[++i];
        }

        unsigned long n;
        if (strcmp(opt, "--host") == 0) {
            if (!*val)
                return bad("bad --host value '%s'", val);
            cfg->host = val;
        } else if (strcmp(opt, "--port") == 0) {
            if (parse_uint(opt, val, 0, 65535, &n))
                return 2;
            cfg->port = (int)n;
        } else if (strcmp(opt, "--max-peers") == 0) {
            if (parse_uint(opt, val, 1, 1000, &n))
                return 2;
            cfg->room.max_peers = n;
        } else if (strcmp(opt, "--turn-ttl") == 0) {
            if (parse_uint(opt, val, 1, 365UL * 86400, &n))
                return 2;
            cfg->room.turn_ttl = (uint32_t)n;
        } else if (strcmp(opt, "--ping-interval-ms") == 0) {
            if (parse_uint(opt, val, 0, 86400000, &n))
                return 2;
            cfg->ping_interval_ms = (uint32_t)n;
        } else if (strcmp(opt, "--idle-timeout-ms") == 0) {
            if (parse_uint(opt, val, 0, 86400000, &n))
                return 2;
            cfg->idle_timeout_ms = (uint32_t)n;
        } else if (strcmp(opt, "--turn-secret") == 0) {
            if (!*val)
                return bad("bad --turn-secret value '%s'", val);
            cfg->room.turn_secret = val;
        } else if (strcmp(opt, "--room") == 0) {
            const char *colon = strchr(val, ':');
            if (!colon || colon == val || !colon[1])
                return bad("bad --room value '%s' (expected NAME:CODE)", val);
            if (cfg->room.n_rooms >= MAX_LIST)
                return bad("too many --room options");
            size_t k = cfg->room.n_rooms++;
            a->room_names[k] = strndup(val, (size_t)(colon - val));
            if (!a->room_names[k])
                return bad("out of memory");
            a->rooms[k] = (room_fixed){.name = a->room_names[k], .code = colon + 1};
        } else if (strcmp(opt, "--cert") == 0 || strcmp(opt, "--key") == 0) {
            FILE *f = *val ? fopen(val, "r") : NULL;
            if (!f)
                return bad("bad %s value '%s' (%s)", opt, val,
                           *val ? strerror(errno) : "empty");
            fclose(f);
            if (opt[2] == 'c')
                cfg->tls_cert = val;
            else
                cfg->tls_key = val;
        } else if (strcmp(opt, "--ice-server") == 0) {
            if (cfg->room.n_ice_urls >= MAX_LIST)
                return bad("too many --ice-server options");
            a->ice[cfg->room.n_ice_urls++] = val;
        }
    }
    if (!cfg->tls_cert != !cfg->tls_key)
        return bad("%s needs %s too", cfg->tls_cert ? "--cert" : "--key",
                   cfg->tls_cert ? "--key" : "--cert");
    cfg->room.rooms = a->rooms;
    cfg->room.ice_urls = a->ice;
    return 0;
}

typedef struct app {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    signal_server *server;
} app;

static void server_closed(void *arg)
{
    app *a = arg;
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    app *a = h->data;
    char line[64];
    snprintf(line, sizeof(line), "shutting down (%s)", signum == SIGINT ? "SIGINT" : "SIGTERM");
    signal_server_log(stderr, line);
    uv_signal_stop(&a->sigint);
    uv_signal_stop(&a->sigterm);
    if (a->server) {
        signal_server *s = a->server;
        a->server = NULL;
        signal_server_close(s, server_closed, a);
    }
}

int main(int argc, char **argv)
{
    static args a;
    signal_server_config_init(&a.cfg);
    a.cfg.page = true;
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        for (size_t i = 0; i < MAX_LIST; i++)
            free(a.room_names[i]);
        return rc == 1 ? 0 : 2;
    }
    signal(SIGPIPE, SIG_IGN);

    static app ap;
    uv_loop_init(&ap.loop);
    char err[256];
    rc = signal_server_start(&ap.loop, &a.cfg, &ap.server, err, sizeof(err));
    for (size_t i = 0; i < MAX_LIST; i++)
        free(a.room_names[i]);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", err);
        uv_run(&ap.loop, UV_RUN_DEFAULT); /* lets a half-started server release itself */
        uv_loop_close(&ap.loop);
        return rc == MRTC_EINVAL ? 2 : 1;
    }
    char line[300];
    bool tls = a.cfg.tls_cert != NULL;
    snprintf(line, sizeof(line), "listening on %s://%s%s%s:%d/ws", tls ? "wss" : "ws",
             strchr(a.cfg.host, ':') ? "[" : "", a.cfg.host, strchr(a.cfg.host, ':') ? "]" : "",
             signal_server_port(ap.server));
    signal_server_log(stderr, line);
    snprintf(line, sizeof(line), "browser page at %s://%s%s%s:%d/", tls ? "https" : "http",
             strchr(a.cfg.host, ':') ? "[" : "", a.cfg.host, strchr(a.cfg.host, ':') ? "]" : "",
             signal_server_port(ap.server));
    signal_server_log(stderr, line);

    uv_signal_init(&ap.loop, &ap.sigint);
    uv_signal_init(&ap.loop, &ap.sigterm);
    ap.sigint.data = ap.sigterm.data = &ap;
    uv_signal_start(&ap.sigint, on_signal, SIGINT);
    uv_signal_start(&ap.sigterm, on_signal, SIGTERM);

    uv_run(&ap.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&ap.loop);
    if (rc) {
        fprintf(stderr, PROG ": loop did not close cleanly: %s\n", uv_strerror(rc));
        return 1;
    }
    return 0;
}
