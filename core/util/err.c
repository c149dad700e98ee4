/*
 * Error names and messages, generated from the one table in include/meshrtc/error.h.
 */
#include "meshrtc/error.h"

const char *mrtc_strerror(int err)
{
    switch (err) {
    case MRTC_OK:
        return "success";
#define MRTC_ERR_MSG_(name, value, msg)                                                    \
    case MRTC_##name:                                                                      \
        return msg;
        MRTC_ERRNO_MAP(MRTC_ERR_MSG_)
#undef MRTC_ERR_MSG_
    default:
        return "unknown error";
    }
}

const char *mrtc_err_name(int err)
{
    switch (err) {
    case MRTC_OK:
        return "MRTC_OK";
#define MRTC_ERR_NAME_(name, value, msg)                                                   \
    case MRTC_##name:                                                                      \
        return "MRTC_" #name;
        MRTC_ERRNO_MAP(MRTC_ERR_NAME_)
#undef MRTC_ERR_NAME_
    default:
        return "MRTC_E?";
    }
}
