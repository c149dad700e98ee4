/*
 * Internals shared by sctp/sctp.c (the association, usrsctp's global state and callbacks)
 * and sctp/sctp_channel.c (data channels, DCEP, message queues, stream resets). Not for
 * use outside sctp/.
 *
 * Every function here is called with the process-wide usrsctp mutex held (sctp_lock()).
 */
#ifndef MRTC_SCTP_SCTP_INT_H
#define MRTC_SCTP_SCTP_INT_H

#include "sctp/sctp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCTP_LOG_TAG "sctp"

/* PPIDs (RFC 8831 section 8, RFC 8832 section 8.1). */
#define PPID_DCEP 50u
#define PPID_STRING 51u
#define PPID_BINARY_PARTIAL 52u /* deprecated */
#define PPID_BINARY 53u
#define PPID_STRING_PARTIAL 54u /* deprecated */
#define PPID_STRING_EMPTY 56u
#define PPID_BINARY_EMPTY 57u

struct socket;

/* A message waiting for usrsctp to take it (usrsctp_sendv said EWOULDBLOCK). */
typedef struct sctp_msg {
    struct sctp_msg *next;
    uint32_t ppid;
    bool ctrl;       /* DCEP: always ordered and reliable, not in bufferedAmount */
    size_t len;      /* bytes handed to usrsctp (1 for an empty message) */
    size_t user_len; /* bytes counted in bufferedAmount */
    uint8_t data[];
} sctp_msg;

/* X(name, string) */
#define SCTP_CHAN_STATE_MAP(X)                                                                     \
    X(OPENING, "opening") /* we sent DCEP OPEN, no ACK yet */                                      \
    X(OPEN, "open")                                                                                \
    X(CLOSING, "closing") /* a stream reset is under way in one or both directions */

typedef enum sctp_chan_state {
#define SCTP_CHAN_STATE_ENUM_(name, str) SCTP_CHAN_##name,
    SCTP_CHAN_STATE_MAP(SCTP_CHAN_STATE_ENUM_)
#undef SCTP_CHAN_STATE_ENUM_
} sctp_chan_state;

typedef struct sctp_chan {
    uint16_t sid;
    sctp_chan_state state;
    bool ordered;
    bool negotiated;
    bool opener; /* we sent the DCEP OPEN */
    bool acked;  /* may send unordered: not the opener, or the ACK (or data) arrived */
    mrtc_sctp_reliability reliability;
    uint32_t reliability_param;
    uint16_t priority;
    /* Closing (RFC 8831 section 6.7). */
    bool reset_wanted; /* reset our outgoing stream once the queue is empty */
    bool reset_sent;   /* SCTP_RESET_STREAMS accepted, waiting for the event */
    bool out_reset;    /* our outgoing stream is reset */
    bool in_reset;     /* the peer reset its outgoing stream */
    uint8_t reset_failures;
    /* Messages usrsctp has not taken yet. */
    sctp_msg *q_head, *q_tail;
    size_t buffered;          /* user bytes in the queue (bufferedAmount) */
    size_t buffered_reported; /* the amount the user last saw; BUFFERED when below it */
    /* Reassembly of a message delivered in pieces (no MSG_EOR, or legacy PPIDs 52/54). */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    bool rx_discard; /* the message in progress went over our max-message-size */
} sctp_chan;

/* Something a usrsctp callback handed over, processed after the usrsctp call returns. */
typedef struct sctp_in {
    struct sctp_in *next;
    bool notification;
    bool eor;
    uint16_t sid;
    uint32_t ppid; /* host order */
    size_t len;
    uint8_t *data; /* mrtc_malloc'd, may be handed on (then NULL) */
} sctp_in;

typedef struct sctp_pkt {
    struct sctp_pkt *next;
    size_t len;
    uint8_t data[];
} sctp_pkt;

typedef struct sctp_ev {
    struct sctp_ev *next;
    mrtc_sctp_event ev;
    void *owned; /* message bytes or label/protocol strings */
} sctp_ev;

struct mrtc_sctp {
    mrtc_sctp_config cfg;
    struct socket *sock;
    mrtc_sctp_state state;
    bool registered;      /* usrsctp_register_address(s) done */
    bool closing;         /* mrtc_sctp_close() called: shut down once the queues are empty */
    bool shutdown_sent;   /* usrsctp_shutdown() done */
    bool freeing;         /* inside mrtc_sctp_free(): output is discarded */
    unsigned max_streams; /* negotiated (COMM_UP), 0 before */
    mrtc_time now;        /* latest `now` this association was given */

    /* Channels, sorted by sid (allocated on demand). */
    sctp_chan **chans;
    size_t n_chans, cap_chans;
    size_t rr;          /* round-robin start of the next drain */
    size_t queued_msgs; /* messages in all channel queues */

    sctp_in *in_head, *in_tail;
    sctp_pkt *tx_head, *tx_tail;
    size_t tx_count;
    sctp_ev *ev_head, *ev_tail;
    sctp_ev *held; /* the last polled event, kept until the next poll or free */

    mrtc_sctp_stats stats;
};

/* sctp.c */
/* Takes the process-wide usrsctp mutex; sctp_enter() also records `now` and advances the
 * usrsctp clock to it. */
void sctp_lock(void);
void sctp_unlock(void);
void sctp_enter(mrtc_sctp *s, mrtc_time now);
void sctp_emit(mrtc_sctp *s, const mrtc_sctp_event *ev, void *owned);
/* Processes what usrsctp's callbacks queued, drains the channel queues into usrsctp, sends
 * pending stream resets and a pending SHUTDOWN. Call after every usrsctp call. */
void sctp_settle(mrtc_sctp *s);

/* sctp_channel.c */
sctp_chan *sctp_chan_find(const mrtc_sctp *s, uint16_t sid);
void sctp_chans_free(mrtc_sctp *s, bool emit_closed);
void sctp_chan_on_data(mrtc_sctp *s, sctp_in *in);
void sctp_chan_on_stream_reset(mrtc_sctp *s, uint16_t flags, const uint16_t *sids, size_t n);
/* Hands queued messages to usrsctp until it refuses one, then issues pending stream
 * resets; emits BUFFERED where bufferedAmount fell below what the user last saw. */
void sctp_chan_drain(mrtc_sctp *s);

#endif
