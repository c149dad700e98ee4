/*
 * The meshrtc-call report (docs/report-format.md, version 1): a small model the call client
 * fills as events arrive, serialised with jansson in the documented field order, times
 * rounded to 0.1 ms.
 *
 * Only what the build measures is written: rtt_ms once measured, the datachannel object once
 * a chat channel exists, files once a transfer completed, tracks once media was sent or
 * received (each track with only the fields its caller marked as measured). It does not
 * validate state names (the caller passes the library's W3C spellings) and keeps no clock of
 * its own.
 */
#include "apps/call/report.h"

#include "apps/common/mem.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int set_str(char **dst, const char *src)
{
    char *copy = NULL;
    if (src) {
        copy = mem_strdup(src);
        if (!copy)
            return -1;
    }
    mem_free(*dst);
    *dst = copy;
    return 0;
}

void report_init(report *r)
{
    memset(r, 0, sizeof(*r));
}

void report_free(report *r)
{
    for (size_t i = 0; i < r->n_peers; i++) {
        report_peer *p = r->peers[i];
        mem_free(p->id);
        mem_free(p->name);
        mem_free(p->states);
        for (size_t k = 0; k < p->n_files; k++)
            mem_free(p->files[k].name);
        mem_free(p->files);
        report_peer_clear_tracks(p);
        mem_free(p->tracks);
        mem_free(p);
    }
    mem_free(r->peers);
    mem_free(r->self_id);
    mem_free(r->self_name);
    mem_free(r->room);
    mem_free(r->signal);
    mem_free(r->exit_reason);
    report_init(r);
}

int report_set_self(report *r, const char *id, const char *name, const char *room,
                    const char *signal)
{
    char *v[4] = {NULL, NULL, NULL, NULL};
    const char *src[4] = {id, name, room, signal};
    char **dst[4] = {&r->self_id, &r->self_name, &r->room, &r->signal};
    for (int i = 0; i < 4; i++) {
        if (set_str(&v[i], src[i])) {
            for (int k = 0; k < 4; k++)
                mem_free(v[k]);
            return -1;
        }
    }
    for (int i = 0; i < 4; i++) {
        if (src[i]) {
            mem_free(*dst[i]);
            *dst[i] = v[i];
        }
    }
    return 0;
}

int report_set_exit(report *r, int status, const char *reason)
{
    if (set_str(&r->exit_reason, reason ? reason : ""))
        return -1;
    r->has_exit = true;
    r->exit_status = status;
    return 0;
}

report_peer *report_peer_find(const report *r, const char *id)
{
    for (size_t i = 0; i < r->n_peers; i++) {
        if (strcmp(r->peers[i]->id, id) == 0)
            return r->peers[i];
    }
    return NULL;
}

report_peer *report_peer_get(report *r, const char *id, const char *name, double t_ms)
{
    report_peer *p = report_peer_find(r, id);
    if (p)
        return p;
    if (r->n_peers == r->cap_peers) {
        size_t cap = r->cap_peers ? r->cap_peers * 2 : 8;
        report_peer **peers = mem_realloc(r->peers, cap * sizeof(*peers));
        if (!peers)
            return NULL;
        r->peers = peers;
        r->cap_peers = cap;
    }
    p = mem_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->id = mem_strdup(id);
    p->name = mem_strdup(name ? name : "");
    if (!p->id || !p->name) {
        mem_free(p->id);
        mem_free(p->name);
        mem_free(p);
        return NULL;
    }
    p->created_ms = t_ms;
    p->ice_connected_ms = -1;
    p->connected_ms = -1;
    p->rtt_ms = -1;
    r->peers[r->n_peers++] = p;
    return p;
}

int report_peer_state(report_peer *p, double t_ms, const char *kind, const char *state)
{
    if (p->n_states == p->cap_states) {
        size_t cap = p->cap_states ? p->cap_states * 2 : 16;
        report_state *s = mem_realloc(p->states, cap * sizeof(*s));
        if (!s)
            return -1;
        p->states = s;
        p->cap_states = cap;
    }
    report_state *s = &p->states[p->n_states++];
    s->t_ms = t_ms;
    snprintf(s->kind, sizeof(s->kind), "%s", kind);
    snprintf(s->state, sizeof(s->state), "%s", state);
    if (strcmp(kind, "ice") == 0 && p->ice_connected_ms < 0 &&
        (strcmp(state, "connected") == 0 || strcmp(state, "completed") == 0))
        p->ice_connected_ms = t_ms;
    if (strcmp(kind, "connection") == 0 && p->connected_ms < 0 && strcmp(state, "connected") == 0)
        p->connected_ms = t_ms;
    if (strcmp(kind, "datachannel") == 0 && p->has_datachannel && p->dc.open_ms < 0 &&
        strcmp(state, "open") == 0)
        p->dc.open_ms = t_ms;
    return 0;
}

void report_peer_set_role(report_peer *p, const char *role)
{
    snprintf(p->role, sizeof(p->role), "%s", role);
}

void report_peer_set_datachannel(report_peer *p, const char *label)
{
    if (!p->has_datachannel) {
        memset(&p->dc, 0, sizeof(p->dc));
        p->dc.open_ms = -1;
        p->has_datachannel = true;
    }
    snprintf(p->dc.label, sizeof(p->dc.label), "%s", label);
}

int report_peer_add_file(report_peer *p, const char *direction, const char *name, uint64_t bytes,
                         const char *sha256, double seconds)
{
    if (p->n_files == p->cap_files) {
        size_t cap = p->cap_files ? p->cap_files * 2 : 4;
        report_file *v = mem_realloc(p->files, cap * sizeof(*v));
        if (!v)
            return -1;
        p->files = v;
        p->cap_files = cap;
    }
    char *copy = mem_strdup(name);
    if (!copy)
        return -1;
    report_file *f = &p->files[p->n_files++];
    memset(f, 0, sizeof(*f));
    snprintf(f->direction, sizeof(f->direction), "%s", direction);
    f->name = copy;
    f->bytes = bytes;
    snprintf(f->sha256, sizeof(f->sha256), "%s", sha256);
    f->seconds = seconds;
    return 0;
}

void report_peer_clear_tracks(report_peer *p)
{
    for (size_t i = 0; i < p->n_tracks; i++)
        mem_free(p->tracks[i].recording);
    p->n_tracks = 0;
}

int report_peer_add_track(report_peer *p, const report_track *t)
{
    if (p->n_tracks == p->cap_tracks) {
        size_t cap = p->cap_tracks ? p->cap_tracks * 2 : 4;
        report_track *v = mem_realloc(p->tracks, cap * sizeof(*v));
        if (!v)
            return -1;
        p->tracks = v;
        p->cap_tracks = cap;
    }
    char *rec = NULL;
    if (t->recording && !(rec = mem_strdup(t->recording)))
        return -1;
    report_track *dst = &p->tracks[p->n_tracks++];
    *dst = *t;
    dst->recording = rec;
    return 0;
}

/* v rounded to `scale` (10: one decimal). */
static json_t *rounded(double v, double scale)
{
    double r = (double)(long long)(v * scale + (v < 0 ? -0.5 : 0.5)) / scale;
    return json_real(r);
}

/* Milliseconds rounded to 0.1 ms, as the format shows them. */
static json_t *ms(double v)
{
    return rounded(v, 10.0);
}

static json_t *endpoint_json(const report_endpoint *e)
{
    return json_pack("{s:s, s:i, s:s, s:s}", "address", e->address, "port", (int)e->port,
                     "protocol", e->protocol, "type", e->type);
}

/* Adds obj[key] = v; false (and v released) when out of memory. */
static bool put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *datachannel_json(const report_datachannel *d)
{
    json_t *o = json_pack("{s:s}", "label", d->label);
    bool ok = o != NULL;
    if (ok && d->open_ms >= 0)
        ok = put(o, "open_ms", ms(d->open_ms));
    const char *keys[5] = {"messages_sent", "messages_received", "echoes_received", "bytes_sent",
                           "bytes_received"};
    const uint64_t vals[5] = {d->messages_sent, d->messages_received, d->echoes_received,
                              d->bytes_sent, d->bytes_received};
    for (int i = 0; ok && i < 5; i++)
        ok = put(o, keys[i], json_integer((json_int_t)vals[i]));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* seconds to 1 ms, MB/s (MiB: 2^20 bytes) to 0.1. */
static json_t *file_json(const report_file *f)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:o}", "direction", f->direction, "name", f->name,
                          "bytes", (json_int_t)f->bytes, "sha256", f->sha256, "seconds",
                          rounded(f->seconds, 1000.0));
    if (o && f->seconds > 0 &&
        !put(o, "mbytes_per_s", rounded((double)f->bytes / 1048576.0 / f->seconds, 10.0))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Fields in the documented order; only the measured optional ones. */
static json_t *track_json(const report_track *t)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "kind", t->kind, "direction", t->direction, "codec",
                  t->codec, "packets", (json_int_t)t->packets, "bytes", (json_int_t)t->bytes);
    bool ok = o != NULL;
    if (ok && (t->has & REPORT_TRACK_BITRATE))
        ok = put(o, "bitrate_kbps", rounded(t->bitrate_kbps, 10.0));
    if (ok && (t->has & REPORT_TRACK_PACKETS_LOST))
        ok = put(o, "packets_lost", json_integer((json_int_t)t->packets_lost));
    if (ok && (t->has & REPORT_TRACK_JITTER))
        ok = put(o, "jitter_ms", rounded(t->jitter_ms, 100.0));
    if (ok && (t->has & REPORT_TRACK_FRAMES_DECODED))
        ok = put(o, "frames_decoded", json_integer((json_int_t)t->frames_decoded));
    if (ok && (t->has & REPORT_TRACK_SIZE))
        ok = put(o, "width", json_integer(t->width)) && put(o, "height", json_integer(t->height));
    if (ok && (t->has & REPORT_TRACK_FPS))
        ok = put(o, "fps", rounded(t->fps, 10.0));
    if (ok && (t->has & REPORT_TRACK_NACKS_SENT))
        ok = put(o, "nacks_sent", json_integer((json_int_t)t->nacks_sent));
    if (ok && (t->has & REPORT_TRACK_NACKS_RECEIVED))
        ok = put(o, "nacks_received", json_integer((json_int_t)t->nacks_received));
    if (ok && (t->has & REPORT_TRACK_PLIS_SENT))
        ok = put(o, "plis_sent", json_integer((json_int_t)t->plis_sent));
    json_t *rec = ok && t->recording ? json_string(t->recording) : NULL;
    if (rec) /* a path that is not UTF-8 cannot be written as JSON: omitted */
        ok = put(o, "recording", rec);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *peer_json(const report_peer *p)
{
    json_t *o = json_pack("{s:s, s:s}", "id", p->id, "name", p->name);
    json_t *states = json_array();
    bool ok = o && states;
    if (ok && p->role[0])
        ok = put(o, "role", json_string(p->role));
    ok = ok && put(o, "created_ms", ms(p->created_ms));
    for (size_t i = 0; ok && i < p->n_states; i++) {
        const report_state *s = &p->states[i];
        json_t *e =
            json_pack("{s:o, s:s, s:s}", "t_ms", ms(s->t_ms), "kind", s->kind, "state", s->state);
        ok = e && json_array_append_new(states, e) == 0;
    }
    if (ok) {
        ok = put(o, "states", states);
        states = NULL;
    }
    if (ok && p->ice_connected_ms >= 0)
        ok = put(o, "ice_connected_ms", ms(p->ice_connected_ms));
    if (ok && p->connected_ms >= 0)
        ok = put(o, "connected_ms", ms(p->connected_ms));
    if (ok && p->has_pair)
        ok = put(o, "selected_pair",
                 json_pack("{s:o, s:o}", "local", endpoint_json(&p->local), "remote",
                           endpoint_json(&p->remote)));
    if (ok && p->rtt_ms >= 0)
        ok = put(o, "rtt_ms", ms(p->rtt_ms));
    if (ok && p->has_datachannel)
        ok = put(o, "datachannel", datachannel_json(&p->dc));
    if (ok && p->n_files > 0) {
        json_t *files = json_array();
        ok = put(o, "files", files);
        for (size_t i = 0; ok && i < p->n_files; i++) {
            json_t *f = file_json(&p->files[i]);
            ok = f && json_array_append_new(files, f) == 0;
        }
    }
    if (ok && p->n_tracks > 0) {
        json_t *tracks = json_array();
        ok = put(o, "tracks", tracks);
        for (size_t i = 0; ok && i < p->n_tracks; i++) {
            json_t *t = track_json(&p->tracks[i]);
            ok = t && json_array_append_new(tracks, t) == 0;
        }
    }
    json_decref(states);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *report_json(const report *r)
{
    json_t *root = json_object();
    json_t *self = json_object();
    json_t *peers = json_array();
    bool ok = root && self && peers && put(root, "version", json_integer(1));
    if (ok && r->self_id)
        ok = put(self, "id", json_string(r->self_id));
    if (ok && r->self_name)
        ok = put(self, "name", json_string(r->self_name));
    if (ok && r->room)
        ok = put(self, "room", json_string(r->room));
    if (ok && r->signal)
        ok = put(self, "signal", json_string(r->signal));
    if (ok) {
        ok = put(root, "self", self);
        self = NULL;
    }
    if (ok && r->has_exit)
        ok = put(root, "exit",
                 json_pack("{s:i, s:s}", "status", r->exit_status, "reason",
                           r->exit_reason ? r->exit_reason : ""));
    for (size_t i = 0; ok && i < r->n_peers; i++) {
        json_t *p = peer_json(r->peers[i]);
        ok = p && json_array_append_new(peers, p) == 0;
    }
    if (ok) {
        ok = put(root, "peers", peers);
        peers = NULL;
    }
    json_decref(self);
    json_decref(peers);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

char *report_to_json(const report *r)
{
    const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);
    json_t *root = report_json(r);
    if (!root)
        return NULL;
    char *text = NULL;
    size_t n = json_dumpb(root, NULL, 0, flags);
    if (n > 0)
        text = mem_alloc(n + 1);
    if (text) {
        json_dumpb(root, text, n, flags);
        text[n] = '\0';
    }
    json_decref(root);
    return text;
}

int report_write(const report *r, const char *path)
{
    char *text = report_to_json(r);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = strlen(path) + 32;
    char *tmp = mem_alloc(n);
    if (!tmp) {
        mem_free(text);
        errno = ENOMEM;
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int rc = -1, saved = 0;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        saved = errno;
    } else {
        bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
        if (!ok)
            saved = errno;
        if (fclose(f) != 0 && ok) {
            ok = false;
            saved = errno;
        }
        if (ok && rename(tmp, path) == 0) {
            rc = 0;
        } else {
            if (ok)
                saved = errno;
            unlink(tmp);
        }
    }
    mem_free(tmp);
    mem_free(text);
    if (rc)
        errno = saved ? saved : EIO;
    return rc;
}
