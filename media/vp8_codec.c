/*
 * VP8 encoder and decoder wrappers (media/vp8_codec.h) over libvpx, RFC 6386.
 *
 * The encoder is set up like a browser's real-time VP8 encoder: one pass, CBR, deadline
 * VPX_DL_REALTIME, no lag, error resilient (entropy contexts reset each frame, so a lost
 * frame does not spoil the probabilities of the next), key frames on request (kf_mode auto
 * with a 3000-frame maximum interval), libwebrtc's rate control buffer (500/600/1000 ms,
 * undershoot 100 %, overshoot 15 %, quantizer 2..56, drop threshold 30, intra frames capped
 * at half the optimal buffer per frame interval), noise sensitivity off, static threshold
 * 1, one token partition.
 *
 * Temporal scalability (RFC 7741 section 4.2 TID, Y, TL0PICIDX): libvpx's layer rate
 * control (ts_* fields, layer id set per frame) plus per-frame reference and update flags
 * over VP8's three buffers: LAST holds TL0, GOLDEN holds TL1, TL2 frames update nothing.
 * A frame only references buffers of its own or lower layers, so a receiver that drops the
 * upper layers keeps decoding. The pattern repeats every 8 frames; its first frame of each
 * higher layer references LAST only and is a layer sync (Y=1) point. Key frames are TL0 and
 * restart the pattern.
 *
 * The decoder refuses inter frames until it has a key frame, refuses everything after a
 * corrupt frame until the next key frame (a decoded picture would show garbage), and bounds
 * picture sizes so a forged key frame cannot make libvpx allocate gigabytes.
 *
 * Deliberately not done here: spatial layers and simulcast, scaling, multiple token
 * partitions (rtp/vp8.c sends one partition), error concealment in the decoder, and
 * threading (the caller runs the codec on its video worker).
 */
#include "media/vp8_codec.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <limits.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#define LOG_TAG "vp8codec"

#define CLOCK_90K 90000
#define KF_MAX_DIST 3000
#define PATTERN_LEN 8
/* A VP8 frame longer than this is not something our peers send. */
#define MAX_FRAME_BYTES (16u << 20)

/* References and updates: which buffers a frame may predict from and which it replaces. */
#define REF_LAST_ONLY (VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF)
#define REF_LAST_GOLD (VP8_EFLAG_NO_REF_ARF)
#define UPD_LAST (VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF)
#define UPD_GOLD (VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_ARF)
#define UPD_NONE (VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF)

typedef struct layer_step {
    uint8_t tid;
    bool sync;
    vpx_enc_frame_flags_t flags;
} layer_step;

static const layer_step one_layer[PATTERN_LEN] = {{0}};

/* TL1 predicts from LAST and its own previous frame in GOLDEN. */
static const layer_step two_layers[PATTERN_LEN] = {
    {0, false, REF_LAST_ONLY | UPD_LAST}, {1, true, REF_LAST_ONLY | UPD_GOLD},
    {0, false, REF_LAST_ONLY | UPD_LAST}, {1, false, REF_LAST_GOLD | UPD_GOLD},
    {0, false, REF_LAST_ONLY | UPD_LAST}, {1, false, REF_LAST_GOLD | UPD_GOLD},
    {0, false, REF_LAST_ONLY | UPD_LAST}, {1, false, REF_LAST_GOLD | UPD_GOLD},
};

/* TL1 as above; TL2 predicts from LAST and GOLDEN and is never referenced. */
static const layer_step three_layers[PATTERN_LEN] = {
    {0, false, REF_LAST_ONLY | UPD_LAST}, {2, true, REF_LAST_ONLY | UPD_NONE},
    {1, true, REF_LAST_ONLY | UPD_GOLD},  {2, false, REF_LAST_GOLD | UPD_NONE},
    {0, false, REF_LAST_ONLY | UPD_LAST}, {2, false, REF_LAST_GOLD | UPD_NONE},
    {1, false, REF_LAST_GOLD | UPD_GOLD}, {2, false, REF_LAST_GOLD | UPD_NONE},
};

struct mrtc_vp8_encoder {
    vpx_codec_ctx_t ctx;
    vpx_codec_enc_cfg_t cfg;
    bool ctx_ready;
    uint16_t width, height;
    unsigned fps, layers;
    const layer_step *pattern;
    unsigned step;    /* index of the next frame in the pattern */
    bool key_pending; /* a forced key frame was dropped: force the next frame */
    bool tl0_seen;    /* a TL0 frame was emitted, tl0picidx is its index */
    uint8_t tl0picidx;
    bool have_pts;
    uint32_t last_pts32;
    int64_t pts; /* unwrapped, in the 90 kHz timebase */
};

struct mrtc_vp8_decoder {
    vpx_codec_ctx_t ctx;
    bool ctx_ready;
    bool need_key;
};

/* ---- Encoder ---- */

void mrtc_vp8_encoder_config_init(mrtc_vp8_encoder_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->fps = 30;
    cfg->bitrate_kbps = 800;
    cfg->temporal_layers = 1;
    cfg->cpu_used = -6;
    cfg->threads = 1;
}

static bool dim_ok(uint16_t v)
{
    return v >= MRTC_VP8_ENCODER_MIN_DIM && v <= MRTC_VP8_ENCODER_MAX_DIM && v % 2 == 0;
}

static bool kbps_ok(unsigned kbps)
{
    return kbps >= 10 && kbps <= 100000;
}

static bool config_ok(const mrtc_vp8_encoder_config *c)
{
    return dim_ok(c->width) && dim_ok(c->height) && c->fps >= 1 && c->fps <= 120 &&
           kbps_ok(c->bitrate_kbps) && c->temporal_layers >= 1 &&
           c->temporal_layers <= MRTC_VP8_ENCODER_MAX_LAYERS && c->cpu_used >= -16 &&
           c->cpu_used <= 16 && c->threads >= 1 && c->threads <= 16;
}

/* Splits kbps over the layers (cumulative targets, as libvpx wants them). */
static void set_layer_rates(vpx_codec_enc_cfg_t *cfg, unsigned layers, unsigned kbps)
{
    cfg->rc_target_bitrate = kbps;
    if (layers == 2) {
        cfg->ts_target_bitrate[0] = kbps * 60 / 100;
        cfg->ts_target_bitrate[1] = kbps;
    } else if (layers == 3) {
        cfg->ts_target_bitrate[0] = kbps * 40 / 100;
        cfg->ts_target_bitrate[1] = kbps * 60 / 100;
        cfg->ts_target_bitrate[2] = kbps;
    }
}

static void fill_vpx_config(vpx_codec_enc_cfg_t *cfg, const mrtc_vp8_encoder_config *c)
{
    cfg->g_w = c->width;
    cfg->g_h = c->height;
    cfg->g_threads = c->threads;
    cfg->g_timebase.num = 1;
    cfg->g_timebase.den = CLOCK_90K;
    cfg->g_pass = VPX_RC_ONE_PASS;
    cfg->g_lag_in_frames = 0;
    cfg->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg->rc_end_usage = VPX_CBR;
    cfg->rc_resize_allowed = 0;
    cfg->rc_dropframe_thresh = 30;
    cfg->rc_min_quantizer = 2;
    cfg->rc_max_quantizer = 56;
    cfg->rc_undershoot_pct = 100;
    cfg->rc_overshoot_pct = 15;
    cfg->rc_buf_initial_sz = 500;
    cfg->rc_buf_optimal_sz = 600;
    cfg->rc_buf_sz = 1000;
    cfg->kf_mode = VPX_KF_AUTO;
    cfg->kf_min_dist = 0;
    cfg->kf_max_dist = KF_MAX_DIST;
    cfg->ts_number_layers = c->temporal_layers;
    if (c->temporal_layers == 2) {
        cfg->ts_periodicity = 2;
        cfg->ts_layer_id[0] = 0;
        cfg->ts_layer_id[1] = 1;
        cfg->ts_rate_decimator[0] = 2;
        cfg->ts_rate_decimator[1] = 1;
    } else if (c->temporal_layers == 3) {
        cfg->ts_periodicity = 4;
        cfg->ts_layer_id[0] = 0;
        cfg->ts_layer_id[1] = 2;
        cfg->ts_layer_id[2] = 1;
        cfg->ts_layer_id[3] = 2;
        cfg->ts_rate_decimator[0] = 4;
        cfg->ts_rate_decimator[1] = 2;
        cfg->ts_rate_decimator[2] = 1;
    } else {
        cfg->ts_periodicity = 0;
    }
    set_layer_rates(cfg, c->temporal_layers, c->bitrate_kbps);
}

static int vpx_fail(vpx_codec_ctx_t *ctx, const char *what)
{
    const char *detail = vpx_codec_error_detail(ctx);
    MRTC_WARN(LOG_TAG, "%s: %s%s%s", what, vpx_codec_error(ctx), detail ? ": " : "",
              detail ? detail : "");
    return MRTC_EIO;
}

/* The controls libwebrtc sets on its real-time VP8 encoder. */
static int encoder_controls(mrtc_vp8_encoder *e, int cpu_used)
{
    /* Largest intra frame: half the optimal buffer spread over frame intervals, in percent
     * of the per-frame bandwidth, at least 300. */
    unsigned max_intra = (unsigned)(e->cfg.rc_buf_optimal_sz * 0.5 * e->fps / 10);
    if (max_intra < 300)
        max_intra = 300;
    if (vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu_used) ||
        vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0u) ||
        vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1u) ||
        vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS, (int)VP8_ONE_TOKENPARTITION) ||
        vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, max_intra) ||
        vpx_codec_control(&e->ctx, VP8E_SET_ENABLEAUTOALTREF, 0u) ||
        vpx_codec_control(&e->ctx, VP8E_SET_SCREEN_CONTENT_MODE, 0u))
        return vpx_fail(&e->ctx, "encoder control");
    return 0;
}

int mrtc_vp8_encoder_new(const mrtc_vp8_encoder_config *cfg, mrtc_vp8_encoder **out)
{
    mrtc_vp8_encoder *e = NULL;
    int err;

    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    if (!cfg || !config_ok(cfg))
        return MRTC_EINVAL;
    e = mrtc_calloc(1, sizeof *e);
    if (!e)
        return MRTC_ENOMEM;
    e->width = cfg->width;
    e->height = cfg->height;
    e->fps = cfg->fps;
    e->layers = cfg->temporal_layers;
    e->pattern = e->layers == 3 ? three_layers : e->layers == 2 ? two_layers : one_layer;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0)) {
        err = MRTC_EIO;
        goto out;
    }
    fill_vpx_config(&e->cfg, cfg);
    if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0)) {
        err = vpx_fail(&e->ctx, "vpx_codec_enc_init"); /* libvpx cleaned up */
        goto out;
    }
    e->ctx_ready = true;
    err = encoder_controls(e, cfg->cpu_used);
    if (err)
        goto out;
    *out = e;
    return 0;
out:
    mrtc_vp8_encoder_free(e);
    return err;
}

void mrtc_vp8_encoder_free(mrtc_vp8_encoder *e)
{
    if (!e)
        return;
    if (e->ctx_ready)
        vpx_codec_destroy(&e->ctx);
    mrtc_free(e);
}

static bool frame_ok(const mrtc_vp8_encoder *e, const mrtc_video_frame *in)
{
    int cw = (e->width + 1) / 2;
    return in->width == e->width && in->height == e->height && in->y && in->u && in->v &&
           in->stride_y >= (int)e->width && in->stride_u >= cw && in->stride_v >= cw;
}

/* The frame's time in the 90 kHz timebase, unwrapped and strictly increasing. */
static int64_t next_pts(mrtc_vp8_encoder *e, uint32_t pts_90k)
{
    int64_t interval = CLOCK_90K / e->fps;
    if (!e->have_pts) {
        e->have_pts = true;
        e->pts = 0;
    } else {
        int32_t delta = (int32_t)(pts_90k - e->last_pts32);
        e->pts += delta > 0 ? delta : interval;
    }
    e->last_pts32 = pts_90k;
    return e->pts;
}

int mrtc_vp8_encoder_encode(mrtc_vp8_encoder *e, const mrtc_video_frame *in, uint32_t pts_90k,
                            bool force_key, mrtc_vp8_encoded *out)
{
    vpx_image_t img;

    if (!e || !in || !out)
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!frame_ok(e, in))
        return MRTC_EINVAL;
    /* libvpx reads the planes only; its image type has no const. */
    if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, e->width, e->height, 1, (unsigned char *)in->y))
        return MRTC_EINVAL;
    img.planes[VPX_PLANE_Y] = (unsigned char *)in->y;
    img.planes[VPX_PLANE_U] = (unsigned char *)in->u;
    img.planes[VPX_PLANE_V] = (unsigned char *)in->v;
    img.stride[VPX_PLANE_Y] = in->stride_y;
    img.stride[VPX_PLANE_U] = in->stride_u;
    img.stride[VPX_PLANE_V] = in->stride_v;

    force_key = force_key || e->key_pending;
    if (force_key)
        e->step = 0;
    const layer_step *ls = &e->pattern[e->step];
    vpx_enc_frame_flags_t flags = force_key ? VPX_EFLAG_FORCE_KF : ls->flags;
    if (e->layers > 1 && vpx_codec_control(&e->ctx, VP8E_SET_TEMPORAL_LAYER_ID, (int)ls->tid))
        return vpx_fail(&e->ctx, "VP8E_SET_TEMPORAL_LAYER_ID");
    int64_t pts = next_pts(e, pts_90k);
    if (vpx_codec_encode(&e->ctx, &img, pts, CLOCK_90K / e->fps, flags, VPX_DL_REALTIME))
        return vpx_fail(&e->ctx, "vpx_codec_encode");
    e->step = (e->step + 1) % PATTERN_LEN;

    vpx_codec_iter_t iter = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || out->data)
            continue; /* one frame per call: lag 0, one partition */
        out->data = pkt->data.frame.buf;
        out->len = pkt->data.frame.sz;
        out->keyframe = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
    e->key_pending = false;
    if (!out->data || out->len == 0) {
        e->key_pending = force_key;
        out->data = NULL;
        out->len = 0;
        out->tid = ls->tid;
        out->tl0picidx = e->tl0picidx;
        return 0; /* dropped by rate control */
    }
    if (out->keyframe) {
        /* A key frame refreshes every buffer: it is TL0 whatever the pattern said, and
         * the pattern starts again after it. */
        out->tid = 0;
        out->layer_sync = true;
        e->step = 1 % PATTERN_LEN;
    } else {
        out->tid = ls->tid;
        out->layer_sync = ls->sync;
    }
    if (out->tid == 0) {
        if (e->tl0_seen)
            e->tl0picidx++;
        e->tl0_seen = true;
    }
    out->tl0picidx = e->tl0picidx;
    if (e->layers == 1)
        out->layer_sync = out->keyframe;
    return 0;
}

int mrtc_vp8_encoder_set_bitrate(mrtc_vp8_encoder *e, unsigned kbps)
{
    if (!e || !kbps_ok(kbps))
        return MRTC_EINVAL;
    set_layer_rates(&e->cfg, e->layers, kbps);
    if (vpx_codec_enc_config_set(&e->ctx, &e->cfg))
        return vpx_fail(&e->ctx, "vpx_codec_enc_config_set");
    return 0;
}

/* ---- Decoder ---- */

int mrtc_vp8_decoder_new(mrtc_vp8_decoder **out)
{
    if (!out)
        return MRTC_EINVAL;
    *out = NULL;
    mrtc_vp8_decoder *d = mrtc_calloc(1, sizeof *d);
    if (!d)
        return MRTC_ENOMEM;
    vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0};
    if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0)) {
        int err = vpx_fail(&d->ctx, "vpx_codec_dec_init"); /* libvpx cleaned up */
        mrtc_free(d);
        return err;
    }
    d->ctx_ready = true;
    d->need_key = true;
    *out = d;
    return 0;
}

void mrtc_vp8_decoder_free(mrtc_vp8_decoder *d)
{
    if (!d)
        return;
    if (d->ctx_ready)
        vpx_codec_destroy(&d->ctx);
    mrtc_free(d);
}

bool mrtc_vp8_decoder_needs_keyframe(const mrtc_vp8_decoder *d)
{
    return d ? d->need_key : true;
}

/* The uncompressed data chunk of RFC 6386 section 9.1: the frame tag's key frame bit, and
 * for key frames the start code and the 14-bit dimensions. */
static int peek_frame(const uint8_t *data, size_t len, bool *key, unsigned *w, unsigned *h)
{
    if (len < 3)
        return MRTC_EPROTO;
    *key = (data[0] & 0x01) == 0;
    *w = *h = 0;
    if (!*key)
        return 0;
    if (len < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a)
        return MRTC_EPROTO;
    *w = (unsigned)(data[6] | data[7] << 8) & 0x3fff;
    *h = (unsigned)(data[8] | data[9] << 8) & 0x3fff;
    if (*w == 0 || *h == 0 || *w > MRTC_VP8_DECODER_MAX_DIM || *h > MRTC_VP8_DECODER_MAX_DIM)
        return MRTC_EPROTO;
    return 0;
}

static int refuse(mrtc_vp8_decoder *d, const char *why, size_t len)
{
    MRTC_DEBUG(LOG_TAG, "refused VP8 frame of %zu bytes: %s", len, why);
    d->need_key = true;
    return MRTC_EPROTO;
}

int mrtc_vp8_decoder_decode(mrtc_vp8_decoder *d, const uint8_t *data, size_t len,
                            mrtc_video_frame *out)
{
    bool key;
    unsigned w, h;

    if (!d || !data || !out)
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    if (len > MAX_FRAME_BYTES || len > UINT_MAX)
        return refuse(d, "too long", len);
    if (peek_frame(data, len, &key, &w, &h))
        return refuse(d, "bad frame header", len);
    if (!key && d->need_key)
        return refuse(d, "inter frame while waiting for a key frame", len);
    if (vpx_codec_decode(&d->ctx, data, (unsigned int)len, NULL, 0)) {
        const char *detail = vpx_codec_error_detail(&d->ctx);
        return refuse(d, detail ? detail : vpx_codec_error(&d->ctx), len);
    }
    int corrupt = 0;
    if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) == VPX_CODEC_OK && corrupt)
        return refuse(d, "corrupt frame", len);
    d->need_key = false;

    vpx_codec_iter_t iter = NULL;
    vpx_image_t *img, *last = NULL;
    while ((img = vpx_codec_get_frame(&d->ctx, &iter)) != NULL)
        last = img;
    if (!last)
        return 0;
    if (last->fmt != VPX_IMG_FMT_I420 || last->d_w == 0 || last->d_h == 0 ||
        last->d_w > MRTC_VP8_DECODER_MAX_DIM || last->d_h > MRTC_VP8_DECODER_MAX_DIM)
        return refuse(d, "unexpected picture format", len);
    out->width = (uint16_t)last->d_w;
    out->height = (uint16_t)last->d_h;
    out->y = last->planes[VPX_PLANE_Y];
    out->u = last->planes[VPX_PLANE_U];
    out->v = last->planes[VPX_PLANE_V];
    out->stride_y = last->stride[VPX_PLANE_Y];
    out->stride_u = last->stride[VPX_PLANE_U];
    out->stride_v = last->stride[VPX_PLANE_V];
    return 1;
}
