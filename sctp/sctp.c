/*
 * The SCTP association of a WebRTC data channel transport (RFC 8831 section 6, SCTP over
 * DTLS per RFC 8261) on top of usrsctp 0.9.5, shaped sans-IO: usrsctp runs without its
 * threads (usrsctp_init_nothreads), with AF_CONN sockets whose address is the association
 * itself; packets leave through the output callback into this association's queue, arrive
 * through usrsctp_conninput, and usrsctp's timers advance by the `now` values callers pass.
 *
 * usrsctp's state is process-global and owned here: initialisation on the first
 * association (kept until the process exits), the sysctls (below), one mutex around
 * every usrsctp call, and the one usrsctp clock, advanced by the time elapsed since the
 * latest `now` any association saw (re-based, never run backwards, when a `now` is older).
 * usrsctp's callbacks never call back into usrsctp: they only queue (packets into the
 * association's transmit queue, data and notifications into its inbox), and the inbox is
 * processed after the usrsctp call returns (sctp_settle()).
 *
 * Socket setup follows the browsers' usrsctp transports: a one-to-one (SOCK_STREAM) socket,
 * non-blocking, whole messages (SCTP_EXPLICIT_EOR off), SCTP_NODELAY, SCTP_RECVRCVINFO,
 * abort on close (SO_LINGER 0), stream reset requests enabled (RFC 6525, for closing
 * channels), SCTP_INITMSG streams, SO_SNDBUF/SO_RCVBUF, no path MTU discovery with the
 * configured MTU, and the notifications association change, stream reset, stream change,
 * send failed and sender dry. Both sides connect (RFC 8831 section 6.2: the INIT collision
 * of RFC 9260 section 5.2.4 resolves it).
 *
 * Known exceptions to "no clock here": usrsctp reads the wall clock itself to measure RTTs
 * (so under a virtual clock RTOs stay at RTO.Min), to date state cookies, and for the
 * lifetime of PR-SCTP "timed" messages (MRTC_SCTP_MAX_LIFETIME expires on wall time).
 *
 * Channels, DCEP and message queues are in sctp/sctp_channel.c. Not here: DTLS, SDP.
 */
#include "sctp/crc32c.h"
#include "sctp/packet.h"
#include "sctp/sctp_int.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <usrsctp.h>

/* usrsctp gives no access to its timer queue, so an association that is not closed asks to
 * be woken at this cadence. */
#define TICK MRTC_MSEC(10)
/* Packets waiting in one association's transmit queue before new ones are dropped (SCTP
 * retransmits them). */
#define TX_QUEUE_MAX 8192
/* Largest packet the output callback accepts. */
#define PACKET_MAX 65536
/* SCTP common header (RFC 9260 section 3.1). */
#define SCTP_COMMON_HEADER_LEN 12

/* ---- process-global usrsctp state ---- */

static struct {
    pthread_mutex_t lock;
    bool initialised;
    unsigned refs;
    bool have_now;
    mrtc_time last_now; /* `now` the usrsctp clock stands at (whole milliseconds moved) */
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void lock(void)
{
    pthread_mutex_lock(&g.lock);
}

static void unlock(void)
{
    pthread_mutex_unlock(&g.lock);
}

void sctp_lock(void)
{
    lock();
}

void sctp_unlock(void)
{
    unlock();
}

/* Advances the usrsctp clock to `now` (see the header of sctp.h). Timers that fire may
 * queue packets and inbox items for any association. */
static void clock_advance(mrtc_time now)
{
    if (!g.have_now || now < g.last_now) {
        g.last_now = now;
        g.have_now = true;
        return;
    }
    uint64_t ms = (now - g.last_now) / 1000u;
    if (ms == 0)
        return;
    g.last_now += ms * 1000u;
    while (ms > 0) {
        uint32_t step = ms > 3600000u ? 3600000u : (uint32_t)ms;
        usrsctp_handle_timers(step);
        ms -= step;
    }
}

static void usrsctp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usrsctp_debug(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!mrtc_log_enabled("usrsctp", MRTC_LOG_TRACE))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    MRTC_TRACE("usrsctp", "%s", line);
}

static int conn_output(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df);

static void set_sysctls(void)
{
    /* ECN needs the IP header's ECN bits, which DTLS over UDP does not carry to us. */
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    /* WebRTC uses neither dynamic addresses nor SCTP-AUTH (DTLS authenticates every
     * packet); both off as in Chromium and Firefox, ASCONF first since it requires AUTH.
     * Stream reset (RE-CONFIG, RFC 6525) and PR-SCTP (RFC 3758) do not need AUTH and stay
     * enabled (sctp_reconfig_enable and sctp_pr_enable default to 1). */
    usrsctp_sysctl_set_sctp_asconf_enable(0);
    usrsctp_sysctl_set_sctp_auth_enable(0);
    /* RTO.Min 200 ms and RTO.Initial 1 s as browsers' usrsctp builds; RTO.Max and the INIT
     * RTO cap at 10 s instead of 60 s so a lossy burst or a late peer is not waited on for a
     * minute. Under a virtual clock RTTs measure ~0 (wall clock), so RTO sits at RTO.Min. */
    usrsctp_sysctl_set_sctp_rto_min_default(200);
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
    /* The delayed SACK must stay well under RTO.Min, or a lone message's SACK (default
     * delay 200 ms) races its own retransmission timer (RTO.Min 200 ms) and every quiet
     * period costs a spurious retransmission and a cwnd collapse. */
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
    /* Partial delivery may interleave messages of different streams (RFC 6458 section
     * 8.1.20, level 2; Firefox sets it), so one large message does not hold back small
     * ones on other channels; reassembly is per channel. */
    usrsctp_sysctl_set_sctp_default_frag_interleave(2);
}

static void finish_at_exit(void);

static void global_acquire(void)
{
    if (!g.initialised) {
        static bool exit_hook;
        if (!exit_hook && atexit(finish_at_exit) == 0)
            exit_hook = true;
        usrsctp_init_nothreads(0, conn_output, usrsctp_debug);
        /* Checksums: computed here on output (sctp/crc32c.c, SSE4.2), not verified on input,
         * where DTLS has authenticated every packet already. usrsctp's table CRC took 11%
         * of the CPU of a transfer (tests/bench). */
        usrsctp_enable_crc32c_offload();
        set_sysctls();
        g.initialised = true;
        g.have_now = false;
        MRTC_DEBUG(SCTP_LOG_TAG, "usrsctp initialised (no threads)");
    }
    g.refs++;
}

/* usrsctp stays initialised after the last association: starting it again costs about
 * 0.3 ms (measured by tests/bench/bench_setup), which every new connection would pay in a
 * process that holds one at a time. It is shut down when the process exits. */
static void global_release(void)
{
    g.refs--;
}

static void finish_at_exit(void)
{
    lock();
    for (int i = 0; g.initialised && g.refs == 0 && i < 200; i++) {
        if (usrsctp_finish() == 0)
            g.initialised = false;
        else
            usrsctp_handle_timers(10);
    }
    unlock();
}

void sctp_enter(mrtc_sctp *s, mrtc_time now)
{
    lock();
    s->now = now;
    clock_advance(now);
}

/* ---- queues ---- */

static int conn_output(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df)
{
    mrtc_sctp *s = addr;
    (void)tos;
    (void)set_df;
    if (!s || s->freeing)
        return 0;
    if (length > PACKET_MAX || s->tx_count >= TX_QUEUE_MAX) {
        MRTC_WARN(SCTP_LOG_TAG, "%p: outgoing packet of %zu bytes dropped", (void *)s, length);
        return 0;
    }
    sctp_pkt *p = mrtc_malloc(sizeof *p + length);
    if (!p)
        return 0; /* SCTP retransmits */
    p->next = NULL;
    p->len = length;
    memcpy(p->data, buffer, length);
    if (length >= SCTP_COMMON_HEADER_LEN)
        mrtc_sctp_set_checksum(p->data, length); /* usrsctp's checksum is offloaded */
    if (s->tx_tail)
        s->tx_tail->next = p;
    else
        s->tx_head = p;
    s->tx_tail = p;
    s->tx_count++;
    return 0;
}

void sctp_emit(mrtc_sctp *s, const mrtc_sctp_event *ev, void *owned)
{
    sctp_ev *e = mrtc_malloc(sizeof *e);
    if (!e) {
        MRTC_ERROR(SCTP_LOG_TAG, "%p: out of memory: event %d lost", (void *)s, (int)ev->type);
        mrtc_free(owned);
        return;
    }
    e->next = NULL;
    e->ev = *ev;
    e->owned = owned;
    if (s->ev_tail)
        s->ev_tail->next = e;
    else
        s->ev_head = e;
    s->ev_tail = e;
}

static void in_push(mrtc_sctp *s, sctp_in *in)
{
    in->next = NULL;
    if (s->in_tail)
        s->in_tail->next = in;
    else
        s->in_head = in;
    s->in_tail = in;
}

static void in_free(sctp_in *in)
{
    if (in) {
        mrtc_free(in->data);
        mrtc_free(in);
    }
}

/* usrsctp's receive callback: data or a notification. `data` is usrsctp's malloc()ed
 * buffer and is released with free(). Only queues: no usrsctp call from here. */
static int receive_cb(struct socket *sock, union sctp_sockstore addr, void *data, size_t datalen,
                      struct sctp_rcvinfo rcv, int flags, void *ulp_info)
{
    mrtc_sctp *s = ulp_info;
    sctp_in *in = NULL;
    (void)sock;
    (void)addr;

    if (!data) /* end of the association's data: the notifications say why */
        return 1;
    if (!s || s->freeing)
        goto out;
    in = mrtc_calloc(1, sizeof *in);
    if (!in)
        goto nomem;
    in->data = mrtc_malloc(datalen);
    if (!in->data)
        goto nomem;
    memcpy(in->data, data, datalen);
    in->len = datalen;
    in->notification = (flags & MSG_NOTIFICATION) != 0;
    in->eor = (flags & MSG_EOR) != 0;
    in->sid = rcv.rcv_sid;
    in->ppid = ntohl(rcv.rcv_ppid);
    in_push(s, in);
    in = NULL;
    goto out;
nomem:
    MRTC_ERROR(SCTP_LOG_TAG, "%p: out of memory: received %s of %zu bytes lost", (void *)s,
               (flags & MSG_NOTIFICATION) ? "notification" : "data", datalen);
    if (s)
        s->stats.dropped++;
out:
    in_free(in);
    free(data);
    return 1;
}

/* usrsctp's send callback (send buffer space freed): the next settle drains anyway. */
static int send_cb(struct socket *sock, uint32_t sb_free, void *ulp_info)
{
    (void)sock;
    (void)sb_free;
    (void)ulp_info;
    return 0;
}

/* ---- state ---- */

const char *mrtc_sctp_state_name(mrtc_sctp_state st)
{
    switch (st) {
    case MRTC_SCTP_STATE_NEW:
        return "new";
    case MRTC_SCTP_STATE_CONNECTING:
        return "connecting";
    case MRTC_SCTP_STATE_CONNECTED:
        return "connected";
    case MRTC_SCTP_STATE_CLOSED:
        return "closed";
    }
    return "?";
}

/* new -> connecting -> connected -> closed; closed from anywhere; closed is final. */
static void set_state(mrtc_sctp *s, mrtc_sctp_state st)
{
    if (s->state == st || s->state == MRTC_SCTP_STATE_CLOSED)
        return;
    if (st != MRTC_SCTP_STATE_CLOSED && st < s->state) {
        MRTC_WARN(SCTP_LOG_TAG, "%p: refused transition %s -> %s", (void *)s,
                  mrtc_sctp_state_name(s->state), mrtc_sctp_state_name(st));
        return;
    }
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: %s -> %s", (void *)s, mrtc_sctp_state_name(s->state),
               mrtc_sctp_state_name(st));
    s->state = st;
    mrtc_sctp_event ev = {.type = MRTC_SCTP_EVENT_STATE, .state = st};
    sctp_emit(s, &ev, NULL);
    if (st == MRTC_SCTP_STATE_CLOSED)
        sctp_chans_free(s, true);
}

static void on_assoc_change(mrtc_sctp *s, const struct sctp_assoc_change *sac)
{
    switch (sac->sac_state) {
    case SCTP_COMM_UP:
        s->max_streams = sac->sac_outbound_streams < sac->sac_inbound_streams
                             ? sac->sac_outbound_streams
                             : sac->sac_inbound_streams;
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: association up, streams out %u in %u", (void *)s,
                   sac->sac_outbound_streams, sac->sac_inbound_streams);
        set_state(s, MRTC_SCTP_STATE_CONNECTED);
        break;
    case SCTP_RESTART:
        MRTC_INFO(SCTP_LOG_TAG, "%p: peer restarted the association", (void *)s);
        break;
    case SCTP_COMM_LOST:
    case SCTP_SHUTDOWN_COMP:
    case SCTP_CANT_STR_ASSOC:
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: association %s (error %u)", (void *)s,
                   sac->sac_state == SCTP_COMM_LOST       ? "lost"
                   : sac->sac_state == SCTP_SHUTDOWN_COMP ? "shut down"
                                                          : "could not start",
                   sac->sac_error);
        set_state(s, MRTC_SCTP_STATE_CLOSED);
        break;
    default:
        break;
    }
}

static void on_notification(mrtc_sctp *s, const uint8_t *data, size_t len)
{
    const union sctp_notification *n = (const void *)data;

    if (len < sizeof n->sn_header || n->sn_header.sn_length > len)
        return;
    switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
        if (len >= sizeof n->sn_assoc_change)
            on_assoc_change(s, &n->sn_assoc_change);
        break;
    case SCTP_STREAM_RESET_EVENT: {
        const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
        if (len < sizeof *e || e->strreset_length < sizeof *e)
            break;
        size_t count = (e->strreset_length - sizeof *e) / sizeof(uint16_t);
        sctp_chan_on_stream_reset(s, e->strreset_flags, e->strreset_stream_list, count);
        break;
    }
    case SCTP_STREAM_CHANGE_EVENT: {
        const struct sctp_stream_change_event *e = &n->sn_strchange_event;
        if (len < sizeof *e)
            break;
        if (!(e->strchange_flags & (SCTP_STREAM_CHANGE_DENIED | SCTP_STREAM_CHANGE_FAILED)))
            s->max_streams = e->strchange_instrms < e->strchange_outstrms ? e->strchange_instrms
                                                                          : e->strchange_outstrms;
        break;
    }
    case SCTP_SEND_FAILED_EVENT: {
        const struct sctp_send_failed_event *e = &n->sn_send_failed_event;
        if (len < sizeof *e)
            break;
        /* PR-SCTP abandoned a message (or the association went down with it queued). */
        MRTC_TRACE(SCTP_LOG_TAG, "%p: message on sid %u not delivered (%s)", (void *)s,
                   e->ssfe_info.snd_sid,
                   (e->ssfe_flags & SCTP_DATA_SENT) ? "abandoned after sending" : "unsent");
        break;
    }
    case SCTP_SENDER_DRY_EVENT: /* the next drain fills the send buffer again */
    default:
        break;
    }
}

void sctp_settle(mrtc_sctp *s)
{
    /* Draining and resets call usrsctp, which may queue more inbox items (rarely); a few
     * rounds settle it, and whatever is left makes next_timeout() return 0. */
    for (int round = 0; round < 8; round++) {
        while (s->in_head) {
            sctp_in *in = s->in_head;
            s->in_head = in->next;
            if (!s->in_head)
                s->in_tail = NULL;
            if (in->notification)
                on_notification(s, in->data, in->len);
            else
                sctp_chan_on_data(s, in);
            in_free(in);
        }
        if (s->state == MRTC_SCTP_STATE_CONNECTED)
            sctp_chan_drain(s);
        if (s->closing && !s->shutdown_sent && s->queued_msgs == 0 && s->sock &&
            s->state == MRTC_SCTP_STATE_CONNECTED) {
            s->shutdown_sent = true;
            if (usrsctp_shutdown(s->sock, SHUT_WR) < 0) {
                MRTC_WARN(SCTP_LOG_TAG, "%p: usrsctp_shutdown: %s", (void *)s, strerror(errno));
                set_state(s, MRTC_SCTP_STATE_CLOSED);
            }
        }
        if (!s->in_head)
            break;
    }
}

/* ---- lifecycle ---- */

void mrtc_sctp_config_init(mrtc_sctp_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->local_port = MRTC_SCTP_DEFAULT_PORT;
    cfg->remote_port = MRTC_SCTP_DEFAULT_PORT;
    cfg->remote_max_message_size = MRTC_SCTP_SDP_DEFAULT_MAX_MESSAGE_SIZE;
    cfg->local_max_message_size = MRTC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    cfg->mtu = 1191;
    cfg->streams = 256;
    cfg->sndbuf = 1024 * 1024;
    cfg->rcvbuf = 1024 * 1024;
}

static int setopt(mrtc_sctp *s, int level, int name, const void *v, socklen_t len, const char *what)
{
    if (usrsctp_setsockopt(s->sock, level, name, v, len) < 0) {
        MRTC_ERROR(SCTP_LOG_TAG, "%p: setsockopt %s: %s", (void *)s, what, strerror(errno));
        return MRTC_EIO;
    }
    return 0;
}

static void set_pathmtu(mrtc_sctp *s, bool assoc)
{
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof pp);
    if (assoc) {
        struct sockaddr_conn *sc = (struct sockaddr_conn *)&pp.spp_address;
        sc->sconn_family = AF_CONN;
        sc->sconn_port = htons(s->cfg.remote_port);
        sc->sconn_addr = s;
    }
    pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
    /* No path MTU discovery (the MTU is fixed, as browsers do), and no SCTP heartbeats:
     * ICE consent (RFC 7675) already checks the path, and usrsctp's randomised heartbeat
     * timer would be the one thing a seeded simulation cannot reproduce. */
    pp.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_DISABLE;
    /* usrsctp's AF_CONN path MTU excludes the 12-byte SCTP common header: packets come out
     * 12 bytes longer than spp_pathmtu (measured), so ask for 12 less. */
    pp.spp_pathmtu = (uint32_t)s->cfg.mtu - SCTP_COMMON_HEADER_LEN;
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) < 0)
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: SCTP_PEER_ADDR_PARAMS (%s): %s", (void *)s,
                   assoc ? "association" : "endpoint", strerror(errno));
}

static int configure_socket(mrtc_sctp *s)
{
    static const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
                                      SCTP_SEND_FAILED_EVENT, SCTP_SENDER_DRY_EVENT,
                                      SCTP_STREAM_CHANGE_EVENT};
    const int on = 1, off = 0;
    int err;

    if (usrsctp_set_non_blocking(s->sock, 1) < 0) {
        MRTC_ERROR(SCTP_LOG_TAG, "%p: usrsctp_set_non_blocking: %s", (void *)s, strerror(errno));
        return MRTC_EIO;
    }
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    err = setopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg, "SO_LINGER");
    if (err)
        return err;
    int sndbuf = (int)s->cfg.sndbuf, rcvbuf = (int)s->cfg.rcvbuf;
    err = setopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf, "SO_SNDBUF");
    if (err)
        return err;
    err = setopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf, "SO_RCVBUF");
    if (err)
        return err;
    err = setopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on, "SCTP_RECVRCVINFO");
    if (err)
        return err;
    err = setopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on, "SCTP_NODELAY");
    if (err)
        return err;
    err = setopt(s, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &off, sizeof off, "SCTP_EXPLICIT_EOR");
    if (err)
        return err;
    struct sctp_assoc_value av = {
        .assoc_id = SCTP_FUTURE_ASSOC,
        .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ,
    };
    err = setopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av,
                 "SCTP_ENABLE_STREAM_RESET");
    if (err)
        return err;
    struct sctp_initmsg im;
    memset(&im, 0, sizeof im);
    im.sinit_num_ostreams = s->cfg.streams;
    im.sinit_max_instreams = s->cfg.streams;
    err = setopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im, "SCTP_INITMSG");
    if (err)
        return err;
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        struct sctp_event ev;
        memset(&ev, 0, sizeof ev);
        ev.se_assoc_id = SCTP_FUTURE_ASSOC;
        ev.se_type = events[i];
        ev.se_on = 1;
        err = setopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev, "SCTP_EVENT");
        if (err)
            return err;
    }
    set_pathmtu(s, false);

    struct sockaddr_conn sc;
    memset(&sc, 0, sizeof sc);
    sc.sconn_family = AF_CONN;
    sc.sconn_port = htons(s->cfg.local_port);
    sc.sconn_addr = s;
    if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof sc) < 0) {
        MRTC_ERROR(SCTP_LOG_TAG, "%p: usrsctp_bind: %s", (void *)s, strerror(errno));
        return MRTC_EIO;
    }
    return 0;
}

static void free_queues(mrtc_sctp *s)
{
    while (s->in_head) {
        sctp_in *in = s->in_head;
        s->in_head = in->next;
        in_free(in);
    }
    s->in_tail = NULL;
    while (s->tx_head) {
        sctp_pkt *p = s->tx_head;
        s->tx_head = p->next;
        mrtc_free(p);
    }
    s->tx_tail = NULL;
    s->tx_count = 0;
    while (s->ev_head) {
        sctp_ev *e = s->ev_head;
        s->ev_head = e->next;
        mrtc_free(e->owned);
        mrtc_free(e);
    }
    s->ev_tail = NULL;
    if (s->held) {
        mrtc_free(s->held->owned);
        mrtc_free(s->held);
        s->held = NULL;
    }
}

/* Closes the usrsctp socket (aborting a live association: SO_LINGER 0). */
static void close_socket(mrtc_sctp *s)
{
    if (s->sock) {
        usrsctp_close(s->sock);
        s->sock = NULL;
    }
}

int mrtc_sctp_new(const mrtc_sctp_config *cfg, mrtc_time now, mrtc_sctp **out)
{
    mrtc_sctp *s = NULL;
    int err;

    if (!cfg || !out || cfg->streams == 0 || cfg->mtu < 512 || cfg->mtu > PACKET_MAX ||
        cfg->sndbuf == 0 || cfg->sndbuf > INT32_MAX || cfg->rcvbuf == 0 ||
        cfg->rcvbuf > INT32_MAX || cfg->local_port == 0 || cfg->remote_port == 0)
        return MRTC_EINVAL;
    s = mrtc_calloc(1, sizeof *s);
    if (!s)
        return MRTC_ENOMEM;
    s->cfg = *cfg;
    s->state = MRTC_SCTP_STATE_NEW;
    s->now = now;

    lock();
    global_acquire();
    clock_advance(now);
    usrsctp_register_address(s);
    s->registered = true;
    s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb, send_cb,
                             (uint32_t)(s->cfg.sndbuf / 2), s);
    if (!s->sock) {
        MRTC_ERROR(SCTP_LOG_TAG, "usrsctp_socket: %s", strerror(errno));
        err = MRTC_EIO;
        goto fail;
    }
    err = configure_socket(s);
    if (err)
        goto fail;
    unlock();
    MRTC_DEBUG(SCTP_LOG_TAG, "%p: new (port %u -> %u, %s, mtu %zu, streams %u)", (void *)s,
               s->cfg.local_port, s->cfg.remote_port,
               s->cfg.dtls_client ? "DTLS client" : "DTLS server", s->cfg.mtu, s->cfg.streams);
    *out = s;
    return 0;
fail:
    s->freeing = true;
    close_socket(s);
    usrsctp_deregister_address(s);
    free_queues(s);
    mrtc_free(s);
    global_release();
    unlock();
    return err;
}

void mrtc_sctp_free(mrtc_sctp *s)
{
    if (!s)
        return;
    lock();
    s->freeing = true;
    close_socket(s);
    if (s->registered)
        usrsctp_deregister_address(s);
    sctp_chans_free(s, false);
    free_queues(s);
    mrtc_free(s);
    global_release();
    unlock();
}

int mrtc_sctp_start(mrtc_sctp *s, mrtc_time now)
{
    int err = 0;

    sctp_enter(s, now);
    if (s->state != MRTC_SCTP_STATE_NEW || s->closing) {
        err = MRTC_ESTATE;
        goto out;
    }
    struct sockaddr_conn sc;
    memset(&sc, 0, sizeof sc);
    sc.sconn_family = AF_CONN;
    sc.sconn_port = htons(s->cfg.remote_port);
    sc.sconn_addr = s;
    if (usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof sc) < 0 && errno != EINPROGRESS) {
        MRTC_ERROR(SCTP_LOG_TAG, "%p: usrsctp_connect: %s", (void *)s, strerror(errno));
        err = MRTC_EIO;
        goto out;
    }
    set_pathmtu(s, true);
    set_state(s, MRTC_SCTP_STATE_CONNECTING);
    sctp_settle(s);
out:
    unlock();
    return err;
}

int mrtc_sctp_handle_packet(mrtc_sctp *s, mrtc_time now, const uint8_t *data, size_t len)
{
    int err = 0;

    sctp_enter(s, now);
    if (s->state == MRTC_SCTP_STATE_NEW || s->state == MRTC_SCTP_STATE_CLOSED || !s->sock) {
        err = MRTC_ESTATE;
        goto out;
    }
    if (!data || len < SCTP_COMMON_HEADER_LEN || len > PACKET_MAX) {
        err = MRTC_EPROTO;
        goto out;
    }
    if (!mrtc_sctp_packet_wellformed(data, len)) {
        s->stats.dropped++;
        MRTC_DEBUG(SCTP_LOG_TAG, "%p: malformed packet of %zu bytes dropped", (void *)s, len);
        err = MRTC_EPROTO;
        goto out;
    }
    s->stats.packets_received++;
    usrsctp_conninput(s, data, len, 0);
    sctp_settle(s);
out:
    unlock();
    return err;
}

void mrtc_sctp_handle_timeout(mrtc_sctp *s, mrtc_time now)
{
    sctp_enter(s, now);
    sctp_settle(s);
    unlock();
}

mrtc_time mrtc_sctp_next_timeout(const mrtc_sctp *s)
{
    mrtc_time t;

    lock();
    if (s->tx_head || s->ev_head || s->in_head)
        t = 0;
    else if (s->state == MRTC_SCTP_STATE_NEW || s->state == MRTC_SCTP_STATE_CLOSED)
        t = MRTC_TIME_NEVER;
    else /* usrsctp's clock is one for the process: whoever advances it runs every
          * association's timers, so the others' next tick moves on too */
        t = (g.have_now && g.last_now > s->now ? g.last_now : s->now) + TICK;
    unlock();
    return t;
}

bool mrtc_sctp_poll_transmit(mrtc_sctp *s, uint8_t *buf, size_t cap, size_t *len)
{
    bool ok = false;

    lock();
    while (s->tx_head) {
        sctp_pkt *p = s->tx_head;
        s->tx_head = p->next;
        if (!s->tx_head)
            s->tx_tail = NULL;
        s->tx_count--;
        if (p->len <= cap) {
            memcpy(buf, p->data, p->len);
            *len = p->len;
            s->stats.packets_sent++;
            ok = true;
        } else {
            MRTC_WARN(SCTP_LOG_TAG, "%p: packet of %zu bytes does not fit %zu: dropped", (void *)s,
                      p->len, cap);
        }
        mrtc_free(p);
        if (ok)
            break;
    }
    unlock();
    return ok;
}

bool mrtc_sctp_poll_event(mrtc_sctp *s, mrtc_sctp_event *out)
{
    bool ok = false;

    lock();
    if (s->held) {
        mrtc_free(s->held->owned);
        mrtc_free(s->held);
        s->held = NULL;
    }
    sctp_ev *e = s->ev_head;
    if (e) {
        s->ev_head = e->next;
        if (!s->ev_head)
            s->ev_tail = NULL;
        *out = e->ev;
        s->held = e;
        ok = true;
    }
    unlock();
    return ok;
}

void mrtc_sctp_close(mrtc_sctp *s, mrtc_time now)
{
    sctp_enter(s, now);
    switch (s->state) {
    case MRTC_SCTP_STATE_NEW:
        set_state(s, MRTC_SCTP_STATE_CLOSED);
        break;
    case MRTC_SCTP_STATE_CONNECTING:
        /* Nothing to deliver yet: abort the handshake (the ABORT is queued). */
        close_socket(s);
        set_state(s, MRTC_SCTP_STATE_CLOSED);
        break;
    case MRTC_SCTP_STATE_CONNECTED:
        s->closing = true;
        sctp_settle(s);
        break;
    case MRTC_SCTP_STATE_CLOSED:
        break;
    }
    unlock();
}

mrtc_sctp_state mrtc_sctp_get_state(const mrtc_sctp *s)
{
    lock();
    mrtc_sctp_state st = s->state;
    unlock();
    return st;
}

size_t mrtc_sctp_max_message_size(const mrtc_sctp *s)
{
    size_t m = s->cfg.remote_max_message_size ? s->cfg.remote_max_message_size : SIZE_MAX;
    /* usrsctp refuses a message larger than the send buffer (EMSGSIZE). */
    return m < s->cfg.sndbuf ? m : s->cfg.sndbuf;
}

unsigned mrtc_sctp_max_channels(const mrtc_sctp *s)
{
    lock();
    unsigned n = s->max_streams ? s->max_streams : s->cfg.streams;
    unlock();
    return n;
}

void mrtc_sctp_get_stats(const mrtc_sctp *s, mrtc_sctp_stats *out)
{
    lock();
    *out = s->stats;
    unlock();
}
