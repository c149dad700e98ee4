/*
 * The `meshrtc-call --report FILE.json` document, version 1 (docs/report-format.md).
 *
 * The call client records into this model as things happen; report_write() serialises it.
 * Fields a build cannot fill are left unset and omitted, never faked. Times are
 * milliseconds (double) since the process started, measured by the caller. Memory comes
 * from the apps' counting allocator (apps/common/mem.h).
 */
#ifndef MESHRTC_APP_REPORT_H
#define MESHRTC_APP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct report_endpoint {
    char address[64];
    uint16_t port;
    char protocol[8]; /* "udp" */
    char type[8];     /* "host", "srflx", "prflx", "relay" */
} report_endpoint;

typedef struct report_state {
    double t_ms;
    char kind[16];  /* signaling, ice-gathering, ice, dtls, sctp, connection, datachannel */
    char state[24]; /* W3C spelling */
} report_state;

/* The peer's "chat" data channel (docs/call.md): counters of whole messages and their
 * payload bytes, echoes included. */
typedef struct report_datachannel {
    char label[32];
    double open_ms; /* < 0: never opened (omitted) */
    uint64_t messages_sent, messages_received, echoes_received;
    uint64_t bytes_sent, bytes_received;
} report_datachannel;

/* One completed, verified file transfer. */
typedef struct report_file {
    char direction[12]; /* "sent" / "received" */
    char *name;
    uint64_t bytes;
    char sha256[65]; /* lowercase hex */
    double seconds;  /* header to receipt (sent) or header to last byte (received) */
} report_file;

/* Which optional fields of a report_track are set: the others are omitted. */
enum {
    REPORT_TRACK_BITRATE = 1u << 0,
    REPORT_TRACK_PACKETS_LOST = 1u << 1,
    REPORT_TRACK_JITTER = 1u << 2,
    REPORT_TRACK_FRAMES_DECODED = 1u << 3,
    REPORT_TRACK_SIZE = 1u << 4, /* width and height */
    REPORT_TRACK_FPS = 1u << 5,
    REPORT_TRACK_NACKS_SENT = 1u << 6,
    REPORT_TRACK_NACKS_RECEIVED = 1u << 7,
    REPORT_TRACK_PLIS_SENT = 1u << 8,
};

/* One direction of one media track with a peer (docs/report-format.md, "tracks"). */
typedef struct report_track {
    char kind[8];            /* "audio" / "video" */
    char direction[12];      /* "inbound" / "outbound" */
    char codec[8];           /* "opus" / "VP8" */
    uint64_t packets, bytes; /* always written */
    unsigned has;            /* REPORT_TRACK_* */
    double bitrate_kbps;     /* average over the call, written to 0.1 */
    int64_t packets_lost;
    double jitter_ms; /* written to 0.01 */
    uint64_t frames_decoded;
    unsigned width, height;
    double fps; /* average over the call, written to 0.1 */
    uint64_t nacks_sent, nacks_received, plis_sent;
    char *recording; /* the file this direction is recorded to; NULL: omitted. Owned by the
                        report once added. */
} report_track;

typedef struct report_peer {
    char *id;
    char *name;
    char role[10]; /* "offerer" / "answerer"; empty (omitted) until known */
    double created_ms;
    report_state *states;
    size_t n_states, cap_states;
    double ice_connected_ms; /* < 0: not reached (omitted) */
    double connected_ms;     /* < 0: not reached (omitted) */
    bool has_pair;           /* false: selected_pair omitted */
    report_endpoint local, remote;
    double rtt_ms;        /* < 0: not measured (omitted) */
    bool has_datachannel; /* false: datachannel omitted */
    report_datachannel dc;
    report_file *files; /* in order of completion; omitted when none */
    size_t n_files, cap_files;
    report_track *tracks; /* omitted when none */
    size_t n_tracks, cap_tracks;
} report_peer;

typedef struct report {
    char *self_id, *self_name, *room, *signal; /* NULL: omitted */
    bool has_exit;
    int exit_status;
    char *exit_reason;
    report_peer **peers; /* in order of creation; each block is stable */
    size_t n_peers, cap_peers;
} report;

void report_init(report *r);
void report_free(report *r);

/* Each setter copies its strings (NULL leaves the field unset). Return 0, or -1 on
 * allocation failure (nothing changed). */
int report_set_self(report *r, const char *id, const char *name, const char *room,
                    const char *signal);
int report_set_exit(report *r, int status, const char *reason);

/* Finds the peer with this id, or adds it (created at t_ms). The pointer stays valid until
 * report_free(). NULL on allocation failure. */
report_peer *report_peer_get(report *r, const char *id, const char *name, double t_ms);
report_peer *report_peer_find(const report *r, const char *id);

/* Appends {t_ms, kind, state} to the timeline; the first ice connected/completed sets
 * ice_connected_ms, the first connection connected sets connected_ms, the first datachannel
 * open (after report_peer_set_datachannel()) sets dc.open_ms. 0 or -1 (no memory). */
int report_peer_state(report_peer *p, double t_ms, const char *kind, const char *state);

/* "offerer" or "answerer". */
void report_peer_set_role(report_peer *p, const char *role);

/* Starts the datachannel object (counters at 0, not open) with this label; a second call
 * keeps the counters. */
void report_peer_set_datachannel(report_peer *p, const char *label);

/* Appends a completed transfer ("sent" or "received"); mbytes_per_s is derived when
 * written (bytes / 2^20 / seconds, omitted when seconds is 0). 0 or -1 (no memory). */
int report_peer_add_file(report_peer *p, const char *direction, const char *name, uint64_t bytes,
                         const char *sha256, double seconds);

/* Forgets the peer's tracks (before recording a fresher snapshot of them). */
void report_peer_clear_tracks(report_peer *p);

/* Appends a copy of *t (its recording string copied too; t->recording may be NULL).
 * 0 or -1 (no memory, nothing added). */
int report_peer_add_track(report_peer *p, const report_track *t);

/* Serialises the report as indented JSON text with the fields in the documented order. The
 * caller frees it with mem_free(). NULL on allocation failure. */
char *report_to_json(const report *r);

/* Writes it to path atomically (temporary file beside it, then rename). Returns 0 or -1
 * with errno set. */
int report_write(const report *r, const char *path);

#endif
