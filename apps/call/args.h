/*
 * meshrtc-call's command line: the options, their checks, and the usage text.
 */
#ifndef MESHRTC_APP_CALL_ARGS_H
#define MESHRTC_APP_CALL_ARGS_H

#include <stddef.h>

#define CALL_MAX_ICE_ALLOW 32

/* Exit statuses of meshrtc-call (docs/call.md). */
enum {
    CALL_EXIT_OK = 0,        /* duration reached, SIGINT/SIGTERM, --help */
    CALL_EXIT_INTERNAL = 1,  /* runtime could not start, report not written, ... */
    CALL_EXIT_USAGE = 2,     /* bad arguments */
    CALL_EXIT_SIGNALING = 3, /* server unreachable, join refused, connection lost */
};

typedef struct call_args {
    const char *signal_url;                    /* --signal ws://HOST:PORT/ws (required) */
    const char *room;                          /* --room (required) */
    const char *name;                          /* --name, "" when not given */
    const char *code;                          /* --code, NULL when not given */
    double duration_s;                         /* --duration; 0: until interrupted */
    const char *report_path;                   /* --report, NULL when not given */
    const char *log_spec;                      /* --log; NULL: the library reads MESHRTC_LOG */
    const char *ice_allow[CALL_MAX_ICE_ALLOW]; /* --ice-allow, repeatable */
    size_t n_ice_allow;
} call_args;

extern const char call_usage[];

/* Parses argv (strings are borrowed from it). Returns 0 to run, 1 when --help was asked
 * for, 2 on a bad argument with a one-line reason in err. */
int call_args_parse(int argc, char **argv, call_args *a, char *err, size_t errlen);

#endif
