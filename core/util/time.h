/*
 * Monotonic time for the sans-IO cores: a uint64_t count of microseconds, always passed in
 * as a parameter. Only core/runtime reads a monotonic clock (the default log sink reads the
 * wall clock for its timestamps).
 */
#ifndef MRTC_UTIL_TIME_H
#define MRTC_UTIL_TIME_H

#include <stdint.h>

typedef uint64_t mrtc_time;

#define MRTC_TIME_NEVER UINT64_MAX
#define MRTC_USEC(x) ((mrtc_time)(x))
#define MRTC_MSEC(x) ((mrtc_time)(x) * 1000u)
#define MRTC_SEC(x) ((mrtc_time)(x) * 1000000u)

/* The earlier of two deadlines (MRTC_TIME_NEVER means "no deadline"). */
static inline mrtc_time mrtc_time_min(mrtc_time a, mrtc_time b)
{
    return a < b ? a : b;
}

#endif
