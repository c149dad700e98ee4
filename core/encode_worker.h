/*
 * A video encoder on its own thread (ARCHITECTURE.md "Threads": the loop never waits for a
 * codec). The loop thread submits pictures; the worker encodes them and hands each result
 * back to the loop through mrtc_runtime_post(). One picture is in flight at a time: a
 * picture submitted while the encoder is still busy is refused (MRTC_EAGAIN) and the caller
 * skips it, as a real-time encoder that cannot keep up drops frames.
 */
#ifndef MRTC_CORE_ENCODE_WORKER_H
#define MRTC_CORE_ENCODE_WORKER_H

#include "media/vp8_codec.h"
#include "meshrtc/frame.h"
#include "meshrtc/runtime.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct mrtc_encode_worker mrtc_encode_worker;

/* Called on the loop thread with one encoded picture (enc->len 0: rate control dropped it);
 * enc is valid for the call. */
typedef void (*mrtc_encode_worker_done_cb)(void *owner, const mrtc_vp8_encoded *enc, uint32_t ts,
                                           bool forced_key);

/* Starts the worker thread; it takes over enc (freed with the worker). Returns 0,
 * MRTC_ENOMEM, MRTC_EIO (no thread). */
int mrtc_encode_worker_new(mrtc_runtime *rt, mrtc_vp8_encoder *enc, mrtc_encode_worker_done_cb cb,
                           void *owner, mrtc_encode_worker **out);

/* Copies the picture and queues it for encoding. Returns 0, MRTC_EAGAIN (the previous
 * picture is still being encoded), MRTC_ENOMEM, MRTC_EINVAL. Loop thread. */
int mrtc_encode_worker_submit(mrtc_encode_worker *w, const mrtc_video_frame *in, uint32_t ts,
                              bool force_key);

/* Stops and joins the thread. Results already posted to the loop are dropped when they
 * run (the owner is not called again). Loop thread; accepts NULL. */
void mrtc_encode_worker_free(mrtc_encode_worker *w);

#endif
