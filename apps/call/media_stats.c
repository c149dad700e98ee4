/*
 * meshrtc-call's media figures without I/O: the periodic stats line of a transceiver, its
 * entries in the report's "tracks" (docs/report-format.md), a peer's rtt_ms, and a peer id
 * made safe for a recording's file name.
 *
 * The inputs are the library's W3C-style statistics (mrtc_transceiver_get_stats(): outbound-rtp,
 * remote-inbound-rtp, inbound-rtp in one struct). Rates are computed here from counters and a
 * duration the caller measures; nothing here reads a clock. It does not guess values the
 * statistics do not carry: a figure that is not measured yet is left out, never shown as 0.
 */
#include "apps/call/media.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *media_codec_name(mrtc_media_kind kind)
{
    return kind == MRTC_MEDIA_VIDEO ? "VP8" : "opus";
}

/* mrtc_media_kind_name()'s spelling, here so that this file needs only the header. */
static const char *kind_name(mrtc_media_kind kind)
{
    return kind == MRTC_MEDIA_VIDEO ? "video" : "audio";
}

/* Appends printf output to line, cut at cap. */
__attribute__((format(printf, 3, 4))) static void add(char *line, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(line);
    if (used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + used, cap - used, fmt, ap);
    va_end(ap);
}

/* kbps of `bytes` over dt_ms (bytes * 8 / 1000 per second = bytes * 8 / ms). */
static double kbps(uint64_t bytes, double dt_ms)
{
    return dt_ms > 0 ? (double)bytes * 8.0 / dt_ms : 0.0;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
    return now >= before ? now - before : 0;
}

void media_stats_append(char *line, size_t cap, const mrtc_rtp_stats *st,
                        const media_counters *last, double dt_ms, bool sending, bool receiving)
{
    const char *kind = kind_name(st->kind);
    bool video = st->kind == MRTC_MEDIA_VIDEO;
    if (cap == 0)
        return;
    if (sending) {
        add(line, cap, "%s%s out %.1f kbps %llu pkts", line[0] ? " | " : "", kind,
            kbps(delta(st->bytes_sent, last->bytes_sent), dt_ms),
            (unsigned long long)st->packets_sent);
        if (video)
            add(line, cap, " nacks %llu plis %llu", (unsigned long long)st->nack_count_received,
                (unsigned long long)st->pli_count_received);
        if (st->round_trip_time >= 0)
            add(line, cap, " rtt %.1f ms", st->round_trip_time * 1000.0);
    }
    if (receiving) {
        add(line, cap, "%s%s in %.1f kbps", line[0] ? " | " : "", kind,
            kbps(delta(st->bytes_received, last->bytes_received), dt_ms));
        if (video) {
            double fps =
                dt_ms > 0 ? (double)delta(st->frames_decoded, last->frames_decoded) * 1000.0 / dt_ms
                          : 0.0;
            add(line, cap, " %.1f fps", fps);
            if (st->frame_width && st->frame_height)
                add(line, cap, " %ux%u", (unsigned)st->frame_width, (unsigned)st->frame_height);
            add(line, cap, " decoded %llu", (unsigned long long)st->frames_decoded);
        }
        if (st->remote_ssrc != 0)
            add(line, cap, " lost %lld jitter %.1f ms", (long long)st->packets_lost,
                st->jitter * 1000.0);
        if (video)
            add(line, cap, " nacks %llu plis %llu", (unsigned long long)st->nack_count_sent,
                (unsigned long long)st->pli_count_sent);
    }
}

static void entry_init(report_track *t, const mrtc_rtp_stats *st, const char *direction)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->kind, sizeof(t->kind), "%s", kind_name(st->kind));
    snprintf(t->direction, sizeof(t->direction), "%s", direction);
    snprintf(t->codec, sizeof(t->codec), "%s", media_codec_name(st->kind));
}

size_t media_stats_tracks(const mrtc_rtp_stats *st, bool sending, bool receiving, double out_s,
                          double in_s, const char *recording, report_track out[2])
{
    bool video = st->kind == MRTC_MEDIA_VIDEO;
    size_t n = 0;
    if (sending) {
        report_track *t = &out[n++];
        entry_init(t, st, "outbound");
        t->packets = st->packets_sent;
        t->bytes = st->bytes_sent;
        if (out_s > 0) {
            t->bitrate_kbps = (double)st->bytes_sent * 8.0 / 1000.0 / out_s;
            t->has |= REPORT_TRACK_BITRATE;
        }
        t->nacks_received = st->nack_count_received;
        t->has |= REPORT_TRACK_NACKS_RECEIVED;
    }
    if (receiving) {
        report_track *t = &out[n++];
        entry_init(t, st, "inbound");
        t->packets = st->packets_received;
        t->bytes = st->bytes_received;
        if (in_s > 0) {
            t->bitrate_kbps = (double)st->bytes_received * 8.0 / 1000.0 / in_s;
            t->has |= REPORT_TRACK_BITRATE;
        }
        if (st->remote_ssrc != 0) {
            t->packets_lost = st->packets_lost;
            t->jitter_ms = st->jitter * 1000.0;
            t->has |= REPORT_TRACK_PACKETS_LOST | REPORT_TRACK_JITTER;
        }
        if (video) {
            t->frames_decoded = st->frames_decoded;
            t->has |= REPORT_TRACK_FRAMES_DECODED;
            if (st->frame_width && st->frame_height) {
                t->width = st->frame_width;
                t->height = st->frame_height;
                t->has |= REPORT_TRACK_SIZE;
            }
            if (in_s > 0) {
                t->fps = (double)st->frames_decoded / in_s;
                t->has |= REPORT_TRACK_FPS;
            }
            t->plis_sent = st->pli_count_sent;
            t->has |= REPORT_TRACK_PLIS_SENT;
        }
        t->nacks_sent = st->nack_count_sent;
        t->has |= REPORT_TRACK_NACKS_SENT;
        t->recording = (char *)recording;
    }
    return n;
}

double media_stats_rtt_ms(const double *rtt_s, size_t n)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rtt_s[i] >= 0) {
            sum += rtt_s[i];
            k++;
        }
    }
    return k ? sum / (double)k * 1000.0 : -1.0;
}

void media_safe_id(char *buf, size_t cap, const char *id)
{
    size_t n = 0;
    if (cap == 0)
        return;
    for (const char *q = id; *q && n < 64 && n + 1 < cap; q++) {
        char ch = *q;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        buf[n++] = ok ? ch : '_';
    }
    buf[n] = '\0';
    if (n == 0)
        snprintf(buf, cap, "peer");
}
