/*
 * The runtime: meshrtc's binding to a libuv loop that the caller owns and runs.
 *
 * One runtime per loop. Every PeerConnection is created on a runtime and lives on its loop
 * thread: API calls on the PeerConnection and all its callbacks happen there. Other threads
 * hand work to the loop thread with mrtc_runtime_post().
 *
 * The runtime owns the loop handles it needs (one uv_timer, one uv_async and the UDP sockets
 * of its PeerConnections) and never runs the loop itself: the caller calls uv_run().
 */
#ifndef MESHRTC_RUNTIME_H
#define MESHRTC_RUNTIME_H

#include "meshrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libuv's loop type, forward-declared so this header does not include uv.h. */
struct uv_loop_s;

/* A runtime handle (opaque). */
typedef struct mrtc_runtime mrtc_runtime;

/* Creates a runtime on `loop` (borrowed: it must outlive the runtime). Must be called on the
 * thread that runs the loop. On success *out is the new runtime; on failure *out is NULL.
 * Returns 0, MRTC_EINVAL (NULL argument), MRTC_ENOMEM or MRTC_EIO (libuv refused a
 * handle). */
MRTC_EXPORT int mrtc_runtime_new(struct uv_loop_s *loop, mrtc_runtime **out);

/* Work for the loop thread. */
typedef void (*mrtc_runtime_post_cb)(void *user);

/* Thread-safe: may be called from any thread, including the loop thread. Queues fn(user) to
 * run on the loop thread, in posting order, from the loop (never from inside this call).
 * Every successful post runs exactly once, at the latest before the runtime's close_cb.
 * Returns 0, MRTC_EINVAL (fn is NULL), MRTC_ENOMEM, or MRTC_ECLOSED once
 * mrtc_runtime_close() has been called (fn is then never called). Calling it after the
 * runtime's close_cb has started is a use-after-free: stop other threads first. */
MRTC_EXPORT int mrtc_runtime_post(mrtc_runtime *rt, mrtc_runtime_post_cb fn, void *user);

/* Called once when a runtime has finished closing; the runtime is freed when it returns. */
typedef void (*mrtc_runtime_close_cb)(mrtc_runtime *rt, void *user);

/* Closes the runtime. Every PeerConnection still open on it is closed as by
 * mrtc_pc_close(pc, NULL) (their callbacks stop at once), functions already posted still
 * run, the loop handles are closed, then close_cb (may be NULL) runs from the loop and the
 * memory is released after it returns. Loop thread only. Returns 0, MRTC_EINVAL (rt is
 * NULL) or MRTC_ECLOSED (already closing; close_cb is then never called). After close the
 * loop still needs to run (uv_run) for the handles to finish closing. */
MRTC_EXPORT int mrtc_runtime_close(mrtc_runtime *rt, mrtc_runtime_close_cb close_cb, void *user);

/* Frees a string the library returned (created SDP, descriptions). Accepts NULL. Any
 * thread. */
MRTC_EXPORT void mrtc_string_free(char *s);

#ifdef __cplusplus
}
#endif
#endif
