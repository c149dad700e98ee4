/*
 * The PeerConnection's secure transport: one DTLS endpoint (dtls/) on the bundled ICE
 * transport, and on top of it one SCTP association (sctp/) for the data channels
 * (RFC 8829 section 5.1, RFC 8261, RFC 8831).
 *
 *   - DTLS role from a=setup (RFC 8842): the answerer's a=setup decides, active = client.
 *     The transport is created once the role is known (our answer applied, or the remote
 *     answer), keeps its role for the PeerConnection's life (an ICE restart does not touch
 *     DTLS), and starts when ICE has a selected pair. DTLS datagrams that arrive before
 *     the role is known (the answerer's ClientHello racing its answer) are kept, up to
 *     PC_EARLY_DTLS_MAX, and replayed.
 *   - The peer's certificate is checked against the fingerprint of the remote
 *     description; a new remote description with another fingerprint is passed on.
 *   - DTLS goes out on the selected pair of the generation carrying traffic, or, before
 *     this side ever selected one (controlled agent not yet nominated), back where the
 *     last DTLS datagram came from; after consent is lost nothing goes out.
 *   - SCTP is created when both descriptions carry a data m-section, started when DTLS
 *     connects, and closed when DTLS closes or fails; its packets ride in DTLS records.
 *   - MESHRTC_KEYLOG=FILE appends the DTLS secrets in the NSS key log format.
 *
 * Not here: the data channel objects (core/pc_dc.c), SRTP (the media issue).
 */
#include "core/pc_impl.h"
#include "core/pc_media.h"

#include "core/util/alloc.h"
#include "core/util/log.h"
#include "meshrtc/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "pc"

/* ---- MESHRTC_KEYLOG --------------------------------------------------------------------- */

static pthread_mutex_t keylog_lock = PTHREAD_MUTEX_INITIALIZER;

static void keylog_line(void *arg, const char *line)
{
    (void)arg;
    const char *path = getenv("MESHRTC_KEYLOG");
    if (!path || !*path)
        return;
    pthread_mutex_lock(&keylog_lock);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\n", line);
        fclose(f);
    } else {
        MRTC_WARN(LOG_TAG, "MESHRTC_KEYLOG: cannot open %s", path);
    }
    pthread_mutex_unlock(&keylog_lock);
}

/* ---- What the descriptions say ---------------------------------------------------------- */

static mrtc_description_type local_type(const mrtc_pc *pc)
{
    return pc->pend_local ? pc->pend_local_type : pc->cur_local_type;
}

static mrtc_description_type remote_type(const mrtc_pc *pc)
{
    return pc->pend_remote ? pc->pend_remote_type : pc->cur_remote_type;
}

/* The DTLS/ICE attributes of a description's bundle transport. */
static bool bundle_transport(const mrtc_sdp *sdp, mrtc_sdp_transport *out)
{
    int bi = sdp ? mrtc_jsep_bundle_index(sdp) : -1;
    if (bi < 0)
        return false;
    mrtc_sdp_media_transport(sdp, sdp->media[bi], out);
    return true;
}

/* The negotiated data m-section of a description, or NULL. */
static const mrtc_sdp_media *data_section(const mrtc_sdp *sdp)
{
    for (size_t i = 0; sdp && i < sdp->media_count; i++) {
        const mrtc_sdp_media *m = sdp->media[i];
        if (mrtc_sdp_proto_is_sctp(m->proto) && !mrtc_jsep_is_rejected(sdp, m))
            return m;
    }
    return NULL;
}

static bool is_answer(mrtc_description_type t)
{
    return t == MRTC_DESCRIPTION_ANSWER || t == MRTC_DESCRIPTION_PRANSWER;
}

/* Our DTLS role once an answer (ours or theirs) is in place. */
static bool negotiated_role(const mrtc_pc *pc, mrtc_dtls_role *role)
{
    mrtc_sdp_transport t;
    if (is_answer(local_type(pc)) && bundle_transport(mrtc_jsep_local(pc), &t)) {
        *role = t.setup == MRTC_SDP_SETUP_PASSIVE ? MRTC_DTLS_ROLE_SERVER : MRTC_DTLS_ROLE_CLIENT;
        return true;
    }
    if (is_answer(remote_type(pc)) && bundle_transport(mrtc_jsep_remote(pc), &t)) {
        *role = t.setup == MRTC_SDP_SETUP_PASSIVE ? MRTC_DTLS_ROLE_CLIENT : MRTC_DTLS_ROLE_SERVER;
        return true;
    }
    return false;
}

/* The remote fingerprint to check: a usable SHA-256 one when offered, else the first usable
 * one (remote descriptions without any were refused by core/jsep_check.c). */
static const mrtc_sdp_fingerprint *remote_fingerprint(const mrtc_pc *pc)
{
    mrtc_sdp_transport t;
    const mrtc_sdp_fingerprint *first = NULL;
    if (!bundle_transport(mrtc_jsep_remote(pc), &t))
        return NULL;
    for (size_t i = 0; i < t.fingerprint_count; i++) {
        const mrtc_sdp_fingerprint *f = &t.fingerprints[i];
        if (!mrtc_dtls_fingerprint_usable(f->hash, f->value))
            continue;
        if (strcasecmp(f->hash, "sha-256") == 0)
            return f;
        if (!first)
            first = f;
    }
    return first;
}

/* ---- Creating the transports ------------------------------------------------------------ */

static void apply_fingerprint(mrtc_pc *pc, mrtc_time now)
{
    const mrtc_sdp_fingerprint *fp = remote_fingerprint(pc);
    if (!fp || !pc->dtls)
        return;
    if (strcmp(fp->hash, pc->remote_fp_alg) == 0 && strcmp(fp->value, pc->remote_fp) == 0)
        return;
    int err = mrtc_dtls_set_remote_fingerprint(pc->dtls, now, fp->hash, fp->value);
    if (err) {
        MRTC_WARN(LOG_TAG, "%s: remote fingerprint %s refused: %s", pc->name, fp->hash,
                  mrtc_strerror(err));
        return;
    }
    snprintf(pc->remote_fp_alg, sizeof pc->remote_fp_alg, "%s", fp->hash);
    snprintf(pc->remote_fp, sizeof pc->remote_fp, "%s", fp->value);
}

static void create_dtls(mrtc_pc *pc, mrtc_dtls_role role, mrtc_time now)
{
    mrtc_dtls_config cfg;
    mrtc_dtls_config_init(&cfg);
    cfg.pkey = mrtc_cert_pkey(pc->cert);
    cfg.x509 = mrtc_cert_x509(pc->cert);
    cfg.role = role;
    /* The largest UDP payload on a 1280-byte IPv6 path: an SCTP packet of 1191 bytes (the
     * sctp/ default, as browsers use) plus DTLS AES-GCM record overhead (37) fits. */
    cfg.mtu = 1232;
    const char *keylog = getenv("MESHRTC_KEYLOG");
    if (keylog && *keylog)
        cfg.keylog = keylog_line;
    int err = mrtc_dtls_new(&cfg, &pc->dtls);
    if (err) {
        MRTC_ERROR(LOG_TAG, "%s: DTLS transport not created: %s", pc->name, mrtc_strerror(err));
        return;
    }
    MRTC_INFO(LOG_TAG, "%s: DTLS transport created (%s)", pc->name,
              role == MRTC_DTLS_ROLE_CLIENT ? "client" : "server");
    apply_fingerprint(pc, now);
}

static void create_sctp(mrtc_pc *pc, mrtc_time now)
{
    const mrtc_sdp_media *lm = data_section(mrtc_jsep_local(pc));
    const mrtc_sdp_media *rm = data_section(mrtc_jsep_remote(pc));
    if (!lm || !rm)
        return;
    mrtc_sctp_config cfg;
    mrtc_sctp_config_init(&cfg);
    cfg.local_port = lm->sctp_port      ? lm->sctp_port
                     : lm->sctpmap_port ? lm->sctpmap_port
                                        : MRTC_SCTP_DEFAULT_PORT;
    cfg.remote_port = rm->sctp_port      ? rm->sctp_port
                      : rm->sctpmap_port ? rm->sctpmap_port
                                         : MRTC_SCTP_DEFAULT_PORT;
    cfg.dtls_client = mrtc_dtls_get_role(pc->dtls) == MRTC_DTLS_ROLE_CLIENT;
    if (rm->has_max_message_size)
        cfg.remote_max_message_size =
            rm->max_message_size > SIZE_MAX ? SIZE_MAX : (size_t)rm->max_message_size;
    else
        cfg.remote_max_message_size = MRTC_SCTP_SDP_DEFAULT_MAX_MESSAGE_SIZE;
    if (lm->has_max_message_size && lm->max_message_size > 0 &&
        lm->max_message_size < cfg.local_max_message_size)
        cfg.local_max_message_size = (size_t)lm->max_message_size;
    int err = mrtc_sctp_new(&cfg, now, &pc->sctp);
    if (err) {
        MRTC_ERROR(LOG_TAG, "%s: SCTP transport not created: %s", pc->name, mrtc_strerror(err));
        return;
    }
    pc->sctp_exists = true;
    pc->sctp_state = MRTC_SCTP_TRANSPORT_CONNECTING;
    MRTC_INFO(LOG_TAG, "%s: SCTP transport created (ports %u -> %u, peer max message %zu)",
              pc->name, cfg.local_port, cfg.remote_port, cfg.remote_max_message_size);
    if (mrtc_dtls_get_state(pc->dtls) == MRTC_DTLS_STATE_CONNECTED)
        (void)mrtc_sctp_start(pc->sctp, now);
}

static void replay_early(mrtc_pc *pc, mrtc_time now)
{
    for (size_t i = 0; i < pc->n_early_dtls; i++) {
        if (pc->dtls)
            (void)mrtc_dtls_handle_packet(pc->dtls, now, pc->early_dtls[i], pc->early_dtls_len[i]);
        mrtc_free(pc->early_dtls[i]);
        pc->early_dtls[i] = NULL;
    }
    pc->n_early_dtls = 0;
}

void mrtc_pc_transport_update(mrtc_pc *pc)
{
    if (pc->closed)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    mrtc_dtls_role role;
    if (!pc->dtls && negotiated_role(pc, &role)) {
        create_dtls(pc, role, now);
        replay_early(pc, now);
    }
    apply_fingerprint(pc, now);
    if (pc->dtls && !pc->sctp && !pc->sctp_exists && pc->dtls_state != MRTC_DTLS_TRANSPORT_FAILED &&
        pc->dtls_state != MRTC_DTLS_TRANSPORT_CLOSED)
        create_sctp(pc, now);
}

/* ---- Moving packets --------------------------------------------------------------------- */

/* Where DTLS goes: the selected pair in use, else back to the last DTLS sender. */
bool mrtc_pc_transport_out_path(const mrtc_pc *pc, mrtc_addr *local, mrtc_addr *remote)
{
    if (pc->gen_next && mrtc_ice_agent_selected_pair(pc->gen_next->agent, local, remote))
        return true;
    if (pc->gen && mrtc_ice_agent_selected_pair(pc->gen->agent, local, remote))
        return true;
    /* Only before ICE ever selected a pair: once consent is lost (RFC 7675 section 5.1)
     * nothing may be sent on the old path. */
    if (pc->dtls_path_known && !pc->ice_had_pair) {
        *local = pc->dtls_local;
        *remote = pc->dtls_remote;
        return true;
    }
    return false;
}

static bool ice_has_pair(const mrtc_pc *pc)
{
    mrtc_addr l, r;
    return (pc->gen && mrtc_ice_agent_selected_pair(pc->gen->agent, &l, &r)) ||
           (pc->gen_next && mrtc_ice_agent_selected_pair(pc->gen_next->agent, &l, &r));
}

bool mrtc_pc_transport_path_known(const mrtc_pc *pc, const mrtc_addr *local,
                                  const mrtc_addr *remote)
{
    return (pc->gen && mrtc_ice_agent_knows_path(pc->gen->agent, local, remote)) ||
           (pc->gen_next && mrtc_ice_agent_knows_path(pc->gen_next->agent, local, remote));
}

void mrtc_pc_transport_handle_dtls(mrtc_pc *pc, mrtc_time now, const mrtc_addr *local,
                                   const mrtc_addr *remote, const uint8_t *data, size_t len)
{
    /* Only from a path ICE knows: a forged datagram from elsewhere could otherwise start
     * (and fail) the handshake or take the fallback path. */
    if (!mrtc_pc_transport_path_known(pc, local, remote)) {
        pc->counters.dtls_dropped++;
        MRTC_DEBUG(LOG_TAG, "%s: DTLS datagram from an address ICE does not know: dropped",
                   pc->name);
        return;
    }
    pc->dtls_path_known = true;
    pc->dtls_local = *local;
    pc->dtls_remote = *remote;
    if (pc->dtls) {
        (void)mrtc_dtls_handle_packet(pc->dtls, now, data, len);
        return;
    }
    if (pc->n_early_dtls >= PC_EARLY_DTLS_MAX)
        return;
    uint8_t *copy = mrtc_malloc(len);
    if (!copy)
        return;
    memcpy(copy, data, len);
    pc->early_dtls[pc->n_early_dtls] = copy;
    pc->early_dtls_len[pc->n_early_dtls++] = len;
}

static mrtc_dtls_transport_state map_dtls(mrtc_dtls_state s)
{
    switch (s) {
    case MRTC_DTLS_STATE_NEW:
        return MRTC_DTLS_TRANSPORT_NEW;
    case MRTC_DTLS_STATE_CONNECTING:
        return MRTC_DTLS_TRANSPORT_CONNECTING;
    case MRTC_DTLS_STATE_CONNECTED:
        return MRTC_DTLS_TRANSPORT_CONNECTED;
    case MRTC_DTLS_STATE_CLOSED:
        return MRTC_DTLS_TRANSPORT_CLOSED;
    case MRTC_DTLS_STATE_FAILED:
        break;
    }
    return MRTC_DTLS_TRANSPORT_FAILED;
}

static void set_sctp_state(mrtc_pc *pc, mrtc_sctp_transport_state s)
{
    if (s == pc->sctp_state)
        return;
    MRTC_INFO(LOG_TAG, "%s: SCTP %s -> %s", pc->name, mrtc_sctp_transport_state_name(pc->sctp_state),
              mrtc_sctp_transport_state_name(s));
    pc->sctp_state = s;
    mrtc_pc_emit_state(pc, PC_EV_SCTP, s);
}

/* DTLS closed or failed: the association cannot go on. */
static void sctp_gone(mrtc_pc *pc, mrtc_time now, const char *reason)
{
    if (pc->sctp) {
        mrtc_sctp_close(pc->sctp, now);
        mrtc_sctp_event ev;
        while (mrtc_sctp_poll_event(pc->sctp, &ev)) {
            if (ev.type != MRTC_SCTP_EVENT_STATE)
                mrtc_pc_dc_handle_sctp_event(pc, &ev);
        }
        mrtc_sctp_free(pc->sctp);
        pc->sctp = NULL;
    }
    if (pc->sctp_exists)
        set_sctp_state(pc, MRTC_SCTP_TRANSPORT_CLOSED);
    mrtc_pc_dc_transport_closed(pc, reason);
}

static void dtls_state_changed(mrtc_pc *pc, mrtc_time now, mrtc_dtls_state s)
{
    mrtc_dtls_transport_state ts = map_dtls(s);
    if (ts == pc->dtls_state)
        return;
    if (s == MRTC_DTLS_STATE_FAILED)
        MRTC_WARN(LOG_TAG, "%s: DTLS failed: %s", pc->name, mrtc_dtls_failure(pc->dtls));
    else
        MRTC_INFO(LOG_TAG, "%s: DTLS %s -> %s", pc->name, mrtc_dtls_transport_state_name(pc->dtls_state),
                  mrtc_dtls_transport_state_name(ts));
    pc->dtls_state = ts;
    mrtc_pc_emit_state(pc, PC_EV_DTLS, ts);
    if (ts == MRTC_DTLS_TRANSPORT_CONNECTED)
        mrtc_pc_media_dtls_connected(pc);
    if (ts == MRTC_DTLS_TRANSPORT_CONNECTED && pc->sctp &&
        mrtc_sctp_get_state(pc->sctp) == MRTC_SCTP_STATE_NEW)
        (void)mrtc_sctp_start(pc->sctp, now);
    if (ts == MRTC_DTLS_TRANSPORT_FAILED)
        sctp_gone(pc, now, "sctp-failure: DTLS failed");
    else if (ts == MRTC_DTLS_TRANSPORT_CLOSED)
        sctp_gone(pc, now, NULL);
    mrtc_pc_ice_update_states(pc);
}

static void sctp_event(mrtc_pc *pc, const mrtc_sctp_event *ev)
{
    if (ev->type != MRTC_SCTP_EVENT_STATE) {
        mrtc_pc_dc_handle_sctp_event(pc, ev);
        return;
    }
    switch (ev->state) {
    case MRTC_SCTP_STATE_NEW:
    case MRTC_SCTP_STATE_CONNECTING:
        set_sctp_state(pc, MRTC_SCTP_TRANSPORT_CONNECTING);
        break;
    case MRTC_SCTP_STATE_CONNECTED:
        set_sctp_state(pc, MRTC_SCTP_TRANSPORT_CONNECTED);
        mrtc_pc_dc_sctp_connected(pc);
        break;
    case MRTC_SCTP_STATE_CLOSED:
        set_sctp_state(pc, MRTC_SCTP_TRANSPORT_CLOSED);
        mrtc_pc_dc_transport_closed(pc, NULL);
        break;
    }
}

/* Sends what DTLS has queued. */
static bool send_dtls(mrtc_pc *pc)
{
    mrtc_transmit t;
    bool any = false;
    while (pc->dtls && mrtc_dtls_poll_transmit(pc->dtls, t.data, sizeof t.data, &t.len)) {
        any = true;
        if (mrtc_pc_transport_out_path(pc, &t.local, &t.remote))
            (void)pc->io->ops->send(pc->io, pc, &t);
    }
    return any;
}

void mrtc_pc_transport_drain(mrtc_pc *pc)
{
    if (pc->closed)
        return;
    if (!pc->ice_had_pair && ice_has_pair(pc))
        pc->ice_had_pair = true;
    if (!pc->dtls)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    if (mrtc_dtls_get_state(pc->dtls) == MRTC_DTLS_STATE_NEW && pc->ice_had_pair)
        (void)mrtc_dtls_start(pc->dtls, now);
    uint8_t pkt[MRTC_TRANSMIT_MAX];
    size_t len;
    for (int round = 0; round < 1000; round++) {
        bool progress = false;
        /* Each SCTP packet goes out at once, so DTLS never queues more than one. */
        while (pc->sctp && mrtc_sctp_poll_transmit(pc->sctp, pkt, sizeof pkt, &len)) {
            progress = true;
            if (mrtc_dtls_get_state(pc->dtls) != MRTC_DTLS_STATE_CONNECTED)
                continue;
            int err = mrtc_dtls_send(pc->dtls, now, pkt, len);
            if (err)
                MRTC_DEBUG(LOG_TAG, "%s: SCTP packet of %zu bytes not sent: %s", pc->name, len,
                          mrtc_strerror(err));
            else
                send_dtls(pc);
        }
        mrtc_sctp_event sev;
        while (pc->sctp && mrtc_sctp_poll_event(pc->sctp, &sev)) {
            progress = true;
            sctp_event(pc, &sev);
        }
        mrtc_dtls_event dev;
        while (pc->dtls && mrtc_dtls_poll_event(pc->dtls, &dev)) {
            progress = true;
            if (dev.type == MRTC_DTLS_EVENT_STATE)
                dtls_state_changed(pc, now, dev.state);
            else if (dev.type == MRTC_DTLS_EVENT_DATA && pc->sctp)
                (void)mrtc_sctp_handle_packet(pc->sctp, now, dev.data, dev.len);
        }
        if (send_dtls(pc))
            progress = true;
        if (!progress)
            break;
    }
}

mrtc_time mrtc_pc_transport_next_timeout(const mrtc_pc *pc)
{
    mrtc_time t = MRTC_TIME_NEVER;
    if (pc->dtls)
        t = mrtc_time_min(t, mrtc_dtls_next_timeout(pc->dtls));
    if (pc->sctp)
        t = mrtc_time_min(t, mrtc_sctp_next_timeout(pc->sctp));
    return t;
}

void mrtc_pc_transport_handle_timeout(mrtc_pc *pc, mrtc_time now)
{
    if (pc->dtls && mrtc_dtls_next_timeout(pc->dtls) <= now)
        mrtc_dtls_handle_timeout(pc->dtls, now);
    if (pc->sctp && mrtc_sctp_next_timeout(pc->sctp) <= now)
        mrtc_sctp_handle_timeout(pc->sctp, now);
}

void mrtc_pc_transport_close(mrtc_pc *pc)
{
    mrtc_time now = pc->io->ops->now(pc->io);
    mrtc_sctp_free(pc->sctp);
    pc->sctp = NULL;
    if (pc->sctp_exists)
        pc->sctp_state = MRTC_SCTP_TRANSPORT_CLOSED;
    if (pc->dtls) {
        /* close_notify tells the peer at once (its channels close), as browsers do. */
        mrtc_dtls_close(pc->dtls, now);
        mrtc_transmit t;
        while (mrtc_dtls_poll_transmit(pc->dtls, t.data, sizeof t.data, &t.len)) {
            if (mrtc_pc_transport_out_path(pc, &t.local, &t.remote))
                (void)pc->io->ops->send(pc->io, pc, &t);
        }
        mrtc_dtls_free(pc->dtls);
        pc->dtls = NULL;
        pc->dtls_state = MRTC_DTLS_TRANSPORT_CLOSED;
    }
    replay_early(pc, now); /* frees them */
    for (mrtc_datachannel *dc = pc->dc_head; dc; dc = dc->next)
        dc->state = MRTC_DATACHANNEL_CLOSED;
}

/* ---- Getters ---------------------------------------------------------------------------- */

int mrtc_pc_get_sctp_transport(const mrtc_pc *pc, mrtc_sctp_transport_info *out)
{
    if (!pc || !out)
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    if (!pc->sctp_exists)
        return MRTC_ENOTFOUND;
    out->state = pc->sctp_state;
    if (pc->sctp) {
        out->max_message_size = mrtc_sctp_max_message_size(pc->sctp);
        if (pc->sctp_state == MRTC_SCTP_TRANSPORT_CONNECTED)
            out->max_channels = mrtc_sctp_max_channels(pc->sctp);
    }
    return 0;
}

int mrtc_pc_get_dtls_transport(const mrtc_pc *pc, mrtc_dtls_transport_state *state, char *fp,
                               size_t fp_cap)
{
    if (!pc || !state)
        return MRTC_EINVAL;
    if (fp && fp_cap)
        fp[0] = '\0';
    if (!pc->dtls && pc->dtls_state == MRTC_DTLS_TRANSPORT_NEW)
        return MRTC_ENOTFOUND;
    *state = pc->dtls_state;
    if (pc->dtls && fp && fp_cap)
        snprintf(fp, fp_cap, "%s", mrtc_dtls_peer_fingerprint(pc->dtls));
    return 0;
}
