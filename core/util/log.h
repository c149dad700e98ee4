/*
 * Internal logging front end. Each module passes its component tag; the level filter is
 * checked before formatting, so a disabled line costs a lookup and no formatting.
 */
#ifndef MRTC_UTIL_LOG_H
#define MRTC_UTIL_LOG_H

#include "meshrtc/log.h"

#include <stdbool.h>

bool mrtc_log_enabled(const char *component, mrtc_log_level level);
void mrtc_log_write(mrtc_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define MRTC_LOG(level, comp, ...)                                                         \
    do {                                                                                   \
        if (mrtc_log_enabled((comp), (level)))                                             \
            mrtc_log_write((level), (comp), __VA_ARGS__);                                  \
    } while (0)

#define MRTC_ERROR(comp, ...) MRTC_LOG(MRTC_LOG_ERROR, comp, __VA_ARGS__)
#define MRTC_WARN(comp, ...) MRTC_LOG(MRTC_LOG_WARN, comp, __VA_ARGS__)
#define MRTC_INFO(comp, ...) MRTC_LOG(MRTC_LOG_INFO, comp, __VA_ARGS__)
#define MRTC_DEBUG(comp, ...) MRTC_LOG(MRTC_LOG_DEBUG, comp, __VA_ARGS__)
#define MRTC_TRACE(comp, ...) MRTC_LOG(MRTC_LOG_TRACE, comp, __VA_ARGS__)

#endif
