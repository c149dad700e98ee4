/*
 * Log level filter (a global default plus a small table of per-component overrides),
 * MESHRTC_LOG parsing, and the default stderr sink. The configuration is read once from the
 * environment on first use. Level changes are plain stores: configure logging before
 * starting threads that log.
 */
#include "core/util/log.h"

#include "meshrtc/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OVERRIDES 32
#define MAX_TAG 16

typedef struct {
    char tag[MAX_TAG];
    mrtc_log_level level;
} override;

static struct {
    bool init;
    mrtc_log_level level;
    override ov[MAX_OVERRIDES];
    int n_ov;
    mrtc_log_cb cb;
    void *user;
} g = {.level = MRTC_LOG_WARN};

static const char *const level_names[] = {"none", "error", "warn", "info", "debug", "trace"};

const char *mrtc_log_level_name(mrtc_log_level level)
{
    if ((int)level < 0 || level > MRTC_LOG_TRACE)
        return "?";
    return level_names[level];
}

static int parse_level(const char *s, size_t n, mrtc_log_level *out)
{
    for (int i = 0; i <= MRTC_LOG_TRACE; i++) {
        if (strlen(level_names[i]) == n && strncmp(s, level_names[i], n) == 0) {
            *out = (mrtc_log_level)i;
            return 0;
        }
    }
    if (n == 7 && strncmp(s, "warning", 7) == 0) {
        *out = MRTC_LOG_WARN;
        return 0;
    }
    return MRTC_EINVAL;
}

static void ensure_init(void)
{
    if (g.init)
        return;
    g.init = true;
    const char *env = getenv("MESHRTC_LOG");
    /* mrtc_log_configure() marks the configuration initialised only when it succeeds. */
    if (env && *env && mrtc_log_configure(env) != 0)
        fprintf(stderr, "meshrtc: ignoring malformed MESHRTC_LOG=\"%s\"\n", env);
}

static int set_override(override *ov, int *n_ov, const char *tag, size_t n,
                        mrtc_log_level level)
{
    if (n == 0 || n >= MAX_TAG)
        return MRTC_EINVAL;
    for (int i = 0; i < *n_ov; i++) {
        if (strlen(ov[i].tag) == n && strncmp(ov[i].tag, tag, n) == 0) {
            ov[i].level = level;
            return 0;
        }
    }
    if (*n_ov == MAX_OVERRIDES)
        return MRTC_ENOBUFS;
    memcpy(ov[*n_ov].tag, tag, n);
    ov[*n_ov].tag[n] = '\0';
    ov[*n_ov].level = level;
    (*n_ov)++;
    return 0;
}

int mrtc_log_set_level(const char *component, mrtc_log_level level)
{
    ensure_init();
    if ((int)level < 0 || level > MRTC_LOG_TRACE)
        return MRTC_EINVAL;
    if (!component) {
        g.level = level;
        g.n_ov = 0;
        return 0;
    }
    return set_override(g.ov, &g.n_ov, component, strlen(component), level);
}

int mrtc_log_configure(const char *spec)
{
    if (!spec)
        return MRTC_EINVAL;
    /* Parse into copies first so a malformed spec changes nothing. */
    mrtc_log_level level = g.level;
    override ov[MAX_OVERRIDES];
    int n_ov = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        mrtc_log_level lv;
        if (eq) {
            size_t tn = (size_t)(eq - p);
            if (parse_level(eq + 1, n - tn - 1, &lv) != 0)
                return MRTC_EINVAL;
            if (set_override(ov, &n_ov, p, tn, lv) != 0)
                return MRTC_EINVAL;
        } else if (n > 0) {
            if (parse_level(p, n, &lv) != 0)
                return MRTC_EINVAL;
            level = lv;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    /* Configured from the API: the environment no longer overrides it. */
    g.init = true;
    g.level = level;
    memcpy(g.ov, ov, sizeof ov);
    g.n_ov = n_ov;
    return 0;
}

void mrtc_log_set_callback(mrtc_log_cb cb, void *user)
{
    g.cb = cb;
    g.user = user;
}

bool mrtc_log_enabled(const char *component, mrtc_log_level level)
{
    ensure_init();
    for (int i = 0; i < g.n_ov; i++) {
        if (strcmp(g.ov[i].tag, component) == 0)
            return level <= g.ov[i].level;
    }
    return level <= g.level;
}

void mrtc_log_write(mrtc_log_level level, const char *component, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g.cb) {
        g.cb(level, component, msg, g.user);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld %-5s %-5s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, mrtc_log_level_name(level), component, msg);
}
