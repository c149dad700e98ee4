/*
 * meshrtc-call: the call client. Parses the command line (args.c), checks the files it
 * names (the file to send is hashed once here), sets the library's log level, and runs one
 * call (session.c) until it ends; the exit status says how it ended
 * (docs/call.md): 0 done, 1 internal error, 2 bad arguments, 3 signaling failure.
 *
 * It does not daemonise or read a configuration file. Standard output is line-buffered so
 * the state-change lines interleave correctly when piped.
 */
#include "apps/call/args.h"
#include "apps/call/call.h"
#include "apps/common/mem.h"

#include <meshrtc.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <uv.h>

int main(int argc, char **argv)
{
    uint64_t t0 = uv_hrtime();
    setvbuf(stdout, NULL, _IOLBF, 0);

    static call_args a;
    char err[256];
    int rc = call_args_parse(argc, argv, &a, err, sizeof(err));
    if (rc == 1) {
        fputs(call_usage, stdout);
        return CALL_EXIT_OK;
    }
    if (rc) {
        fprintf(stderr, "meshrtc-call: %s (see --help)\n", err);
        return CALL_EXIT_USAGE;
    }
    if (a.log_spec && mrtc_log_configure(a.log_spec) != 0) {
        fprintf(stderr, "meshrtc-call: bad --log value '%s' (see --help)\n", a.log_spec);
        return CALL_EXIT_USAGE;
    }
    if (call_args_prepare_files(&a, err, sizeof(err)) != 0) {
        fprintf(stderr, "meshrtc-call: %s (see --help)\n", err);
        if (a.recv_dirfd >= 0)
            close(a.recv_dirfd);
        return CALL_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTTIN, SIG_IGN); /* reading stdin from the background: EIO, not a stop */
    mem_install_hooks();
    rc = call_run(&a, t0);
    if (a.recv_dirfd >= 0)
        close(a.recv_dirfd);
    return rc;
}
