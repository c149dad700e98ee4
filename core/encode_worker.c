/*
 * The video encoder thread (core/encode_worker.h).
 *
 * Threads: the loop thread owns the worker object and submits pictures; the worker thread
 * owns the encoder. They share one job slot under a mutex. Each result travels to the loop
 * as a mrtc_runtime_post() and carries a reference to the worker, so a result that runs
 * after the worker was freed finds the owner gone and only releases its memory. The last
 * reference (the owner's or a result's) frees the object.
 */
#include "core/encode_worker.h"

#include "core/runtime_hooks.h"
#include "core/util/alloc.h"
#include "core/util/log.h"
#include "media/i420.h"
#include "meshrtc/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define LOG_TAG "media"

struct mrtc_encode_worker {
    atomic_int refs;
    mrtc_runtime *rt;
    mrtc_vp8_encoder *enc;
    mrtc_encode_worker_done_cb cb;
    void *owner; /* NULL once freed by the owner (loop thread only) */

    mrtc_runtime_hook hook; /* the runtime closing stops the thread first */
    bool joined;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    bool has_job; /* a picture waits in `pic` */
    bool busy;    /* a picture is queued or being encoded */
    mrtc_i420 pic;
    uint32_t ts;
    bool force_key;
};

typedef struct result {
    mrtc_encode_worker *w;
    mrtc_vp8_encoded enc; /* data points into this allocation */
    uint32_t ts;
    bool forced_key;
} result;

static void unref(mrtc_encode_worker *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    mrtc_vp8_encoder_free(w->enc);
    mrtc_i420_free(&w->pic);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    mrtc_free(w);
}

/* Loop thread. */
static void deliver(void *arg)
{
    result *r = arg;
    mrtc_encode_worker *w = r->w;
    if (w->owner)
        w->cb(w->owner, &r->enc, r->ts, r->forced_key);
    mrtc_free(r);
    unref(w);
}

static void *run(void *arg)
{
    mrtc_encode_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && !w->has_job)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        uint32_t ts = w->ts;
        bool key = w->force_key;
        w->has_job = false;
        pthread_mutex_unlock(&w->mu);

        /* The picture buffer is ours until busy is cleared: submit refuses while busy. */
        mrtc_vp8_encoded enc;
        int err = mrtc_vp8_encoder_encode(w->enc, &w->pic.f, ts, key, &enc);
        result *r = NULL;
        if (err) {
            MRTC_WARN(LOG_TAG, "VP8 encoder failed: %s", mrtc_strerror(err));
        } else if ((r = mrtc_malloc(sizeof *r + enc.len)) != NULL) {
            r->enc = enc;
            r->enc.data = (const uint8_t *)(r + 1);
            memcpy(r + 1, enc.data, enc.len);
            r->ts = ts;
            r->forced_key = key;
            r->w = w;
            atomic_fetch_add(&w->refs, 1);
            if (mrtc_runtime_post(w->rt, deliver, r) != 0) {
                atomic_fetch_sub(&w->refs, 1); /* the owner still holds one */
                mrtc_free(r);
            }
        }
        pthread_mutex_lock(&w->mu);
        w->busy = false;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Stops and joins the thread (loop thread; once). */
static void stop(mrtc_encode_worker *w)
{
    if (w->joined)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->joined = true;
}

static void runtime_closing(void *arg)
{
    stop(arg); /* no post can reach the runtime after this */
}

int mrtc_encode_worker_new(mrtc_runtime *rt, mrtc_vp8_encoder *enc, mrtc_encode_worker_done_cb cb,
                           void *owner, mrtc_encode_worker **out)
{
    *out = NULL;
    mrtc_encode_worker *w = mrtc_calloc(1, sizeof *w);
    if (!w)
        return MRTC_ENOMEM;
    atomic_init(&w->refs, 1);
    w->rt = rt;
    w->cb = cb;
    w->owner = owner;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        mrtc_free(w);
        return MRTC_EIO;
    }
    w->enc = enc;
    w->hook.fn = runtime_closing;
    w->hook.arg = w;
    if (mrtc_runtime_hook_add(rt, &w->hook) != 0) {
        stop(w);
        w->enc = NULL; /* the caller keeps it on failure */
        unref(w);
        return MRTC_ECLOSED;
    }
    *out = w;
    return 0;
}

int mrtc_encode_worker_submit(mrtc_encode_worker *w, const mrtc_video_frame *in, uint32_t ts,
                              bool force_key)
{
    if (!w || !in)
        return MRTC_EINVAL;
    if (w->joined)
        return MRTC_ECLOSED; /* the runtime closed */
    pthread_mutex_lock(&w->mu);
    bool busy = w->busy;
    pthread_mutex_unlock(&w->mu);
    if (busy)
        return MRTC_EAGAIN;
    /* Not busy: the worker does not touch the picture buffer now. */
    if (!w->pic.buf || w->pic.f.width != in->width || w->pic.f.height != in->height) {
        mrtc_i420_free(&w->pic);
        if (mrtc_i420_alloc(&w->pic, in->width, in->height) != 0)
            return MRTC_ENOMEM;
    }
    int err = mrtc_i420_copy(&w->pic, in);
    if (err)
        return err;
    pthread_mutex_lock(&w->mu);
    w->ts = ts;
    w->force_key = force_key;
    w->has_job = true;
    w->busy = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void mrtc_encode_worker_free(mrtc_encode_worker *w)
{
    if (!w)
        return;
    mrtc_runtime_hook_remove(&w->hook);
    stop(w);
    w->owner = NULL;
    unref(w);
}
