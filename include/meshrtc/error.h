/*
 * meshrtc error codes.
 *
 * One table (MRTC_ERRNO_MAP) generates the enum, mrtc_strerror() and mrtc_err_name(), so a
 * code, its name and its message never drift apart. 0 is success, every error is negative,
 * and a positive return value is a documented count or size.
 */
#ifndef MESHRTC_ERROR_H
#define MESHRTC_ERROR_H

#include "meshrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define MRTC_ERRNO_MAP(X)                                                                  \
    X(EINVAL, -1, "invalid argument")                                                     \
    X(ENOMEM, -2, "out of memory")                                                        \
    X(EPROTO, -3, "malformed or unexpected protocol data")                                \
    X(ESTATE, -4, "operation not allowed in the current state")                           \
    X(ENOTFOUND, -5, "no such object")                                                    \
    X(ETOOBIG, -6, "message or buffer too large")                                         \
    X(EAGAIN, -7, "resource temporarily unavailable, try again")                          \
    X(EIO, -8, "input/output error")                                                      \
    X(ESDP, -9, "malformed or unsupported session description")                           \
    X(EAUTH, -10, "message integrity or authentication failure")                          \
    X(ECLOSED, -11, "object is closed")                                                   \
    X(ERANGE, -12, "value out of range")                                                  \
    X(ENOTSUP, -13, "operation not supported")                                            \
    X(ETIMEDOUT, -14, "operation timed out")                                              \
    X(ENOBUFS, -15, "no buffer space: output does not fit the given capacity")            \
    X(EADDR, -16, "address unusable or unreachable")                                      \
    X(EEXIST, -17, "object already exists")                                               \
    X(ECONN, -18, "connection failed or was refused")

typedef enum mrtc_errno {
    MRTC_OK = 0,
#define MRTC_ERRNO_ENUM_(name, value, msg) MRTC_##name = (value),
    MRTC_ERRNO_MAP(MRTC_ERRNO_ENUM_)
#undef MRTC_ERRNO_ENUM_
} mrtc_errno;

/* A human-readable message for an error code; never NULL (unknown codes get a generic text).
 * The string is static. */
MRTC_EXPORT const char *mrtc_strerror(int err);

/* The symbolic name of an error code ("MRTC_EPROTO"); never NULL. The string is static. */
MRTC_EXPORT const char *mrtc_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif
