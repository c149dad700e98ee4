/*
 * meshrtc-call's command line: the options, their checks, and the usage text.
 */
#ifndef MESHRTC_APP_CALL_ARGS_H
#define MESHRTC_APP_CALL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CALL_MAX_ICE_ALLOW 32
#define CALL_MAX_SEND_MESSAGES 1000000

/* Exit statuses of meshrtc-call (docs/call.md). */
enum {
    CALL_EXIT_OK = 0,        /* duration reached, SIGINT/SIGTERM, --help */
    CALL_EXIT_INTERNAL = 1,  /* runtime could not start, report not written, ... */
    CALL_EXIT_USAGE = 2,     /* bad arguments */
    CALL_EXIT_SIGNALING = 3, /* server unreachable, join refused, connection lost */
};

/* --audio: what the process sends as its one audio track. */
typedef enum call_audio_source {
    CALL_AUDIO_NONE = 0, /* receive only */
    CALL_AUDIO_TONE,     /* tone[:HZ] */
    CALL_AUDIO_MIC,      /* mic[:DEVICE] */
    CALL_AUDIO_WAV,      /* FILE.wav, looped */
} call_audio_source;

/* --video: what the process sends as its one video track. */
typedef enum call_video_source {
    CALL_VIDEO_NONE = 0, /* receive only */
    CALL_VIDEO_PATTERN,  /* pattern[:WxH[@FPS]] */
    CALL_VIDEO_Y4M,      /* FILE.y4m, looped */
} call_video_source;

#define CALL_TONE_HZ_DEFAULT 440.0
#define CALL_PATTERN_WIDTH_DEFAULT 640
#define CALL_PATTERN_HEIGHT_DEFAULT 480
#define CALL_PATTERN_FPS_DEFAULT 30

/* How the call is signaled (--signal's scheme, or --listen). */
typedef enum call_signal_kind {
    CALL_SIGNAL_ROOM = 0, /* ws:// or wss://: a meshrtc-signal room */
    CALL_SIGNAL_HTTP,     /* http://: POST a JSON offer, apply the JSON answer */
    CALL_SIGNAL_WHIP,     /* whip+http://: WHIP client (RFC 9725) */
    CALL_SIGNAL_LISTEN,   /* --listen http://: answer JSON offers posted to us */
    CALL_SIGNAL_SOCKETIO, /* socketio+http://: a Minichat server (Socket.IO events) */
} call_signal_kind;

typedef struct call_args {
    const char *signal_url;       /* --signal URL (required unless --listen) */
    call_signal_kind signal_kind; /* from --signal's scheme or --listen */
    const char *listen_url;       /* --listen http://ADDRESS:PORT/PATH */
    const char *bearer;           /* --bearer TOKEN (WHIP), NULL when not given */
    const char *room;        /* --room (required for a room; optional, report only, for Minichat) */
    const char *name;        /* --name, "" when not given */
    const char *code;        /* --code, NULL when not given */
    double duration_s;       /* --duration; 0: until interrupted */
    const char *report_path; /* --report, NULL when not given */
    const char *log_spec;    /* --log; NULL: the library reads MESHRTC_LOG */
    const char *ice_allow[CALL_MAX_ICE_ALLOW]; /* --ice-allow, repeatable */
    size_t n_ice_allow;
    bool echo;              /* --echo */
    uint32_t send_messages; /* --send-messages K; 0: none */
    const char *send_file;  /* --send-file PATH, NULL when not given */
    const char *recv_dir;   /* --recv-dir DIR, NULL: incoming files are refused */

    /* Media (apps/call/media.c). Strings point into argv. */
    call_audio_source audio;  /* --audio, default none */
    double tone_hz;           /* TONE: 1-23999, default 440 */
    const char *audio_device; /* MIC: device name (substring), NULL: the default device */
    const char *audio_path;   /* WAV: the file */
    call_video_source video;  /* --video, default none */
    uint16_t video_width;     /* PATTERN: even, 16-4096; default 640x480 */
    uint16_t video_height;
    unsigned video_fps;      /* PATTERN: 1-120, default 30 */
    const char *video_path;  /* Y4M: the file */
    double video_after_s;    /* --video-after: add the video track this late; < 0: at once */
    bool play;               /* --play (also set by --play-device) */
    const char *play_device; /* --play-device NAME, NULL: the default output */
    const char *record_dir;  /* --record DIR, NULL: no recordings */

    /* Filled by call_args_prepare_files(). */
    const char *send_name; /* the name announced: PATH's last component */
    uint64_t send_size;    /* size and SHA-256 (hex) of the file at start */
    char send_sha256[65];
    int recv_dirfd; /* an O_DIRECTORY descriptor of --recv-dir, or -1 */
} call_args;

extern const char call_usage[];

/* Parses argv (strings are borrowed from it). Returns 0 to run, 1 when --help was asked
 * for, 2 on a bad argument with a one-line reason in err. */
int call_args_parse(int argc, char **argv, call_args *a, char *err, size_t errlen);

/* Checks the paths of a parsed command line: --send-file is a readable regular file whose
 * name can be sent (dcmsg_name_problem()), hashed here once; --recv-dir is created when
 * missing (one level, mode 0777 & ~umask) and must be a writable directory, kept open as
 * recv_dirfd; --audio FILE.wav and --video FILE.y4m must be readable regular files (their
 * format is checked when the track is created, media.c); --record DIR is created like
 * --recv-dir and must be a writable directory. Returns 0, or 2 with a one-line reason in
 * err. The environment variable MESHRTC_CALL_TEST_SEND_AS replaces the announced name
 * unchecked (tests only). */
int call_args_prepare_files(call_args *a, char *err, size_t errlen);

#endif
