/*
 * Logging: levels and component tags, set from the API or from the environment
 * (MESHRTC_LOG=debug, or per component: MESHRTC_LOG=info,ice=debug,pc=trace).
 */
#ifndef MESHRTC_LOG_H
#define MESHRTC_LOG_H

#include "meshrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mrtc_log_level {
    MRTC_LOG_NONE = 0,
    MRTC_LOG_ERROR = 1,
    MRTC_LOG_WARN = 2,
    MRTC_LOG_INFO = 3,
    MRTC_LOG_DEBUG = 4,
    MRTC_LOG_TRACE = 5,
} mrtc_log_level;

/* Receives each log line that passes the level filter. `component` is a short static tag
 * ("ice", "sdp", "pc", ...); `msg` has no trailing newline and is valid for the call only.
 * Called on whatever thread logged (the loop thread for everything in the library). */
typedef void (*mrtc_log_cb)(mrtc_log_level level, const char *component, const char *msg,
                            void *user);

/* Sets the level of one component, or of every component when `component` is NULL.
 * Returns 0, MRTC_EINVAL for a level out of range or a tag that is empty or 16 characters or
 * longer, or MRTC_ENOBUFS when 32 component overrides are already set. */
MRTC_EXPORT int mrtc_log_set_level(const char *component, mrtc_log_level level);

/* Parses a specification such as "debug" or "warn,ice=debug,stun=trace" (the syntax of
 * MESHRTC_LOG). Returns 0, or MRTC_EINVAL (and changes nothing) if any part is malformed. */
MRTC_EXPORT int mrtc_log_configure(const char *spec);

/* Replaces the sink (default: one line per message on stderr with a timestamp, level and
 * component). NULL restores the default. */
MRTC_EXPORT void mrtc_log_set_callback(mrtc_log_cb cb, void *user);

/* The name of a level ("debug"); never NULL. */
MRTC_EXPORT const char *mrtc_log_level_name(mrtc_log_level level);

#ifdef __cplusplus
}
#endif
#endif
