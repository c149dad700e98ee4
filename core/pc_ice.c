/*
 * The PeerConnection's ICE transport: one ICE agent (ice/agent.h) per ICE generation with
 * BUNDLE and rtcp-mux (one component), its sockets, candidates, and the aggregate states.
 *
 *   - Gathering (W3C: starts when a local description is applied): the host's interface
 *     addresses are filtered by the ICE module's selection helper and the configured
 *     allow-list, one UDP socket is bound per usable address, and each becomes a host
 *     candidate. STUN servers with a numeric address ("stun:192.0.2.1:3478") are handed to
 *     the agent for server-reflexive candidates; named servers and TURN are not used yet.
 *   - Received datagrams are demultiplexed by their first byte (RFC 7983 section 7): STUN
 *     (0-3) goes to the agent, DTLS (20-63) to core/pc_transport.c; TURN ChannelData (64-79)
 *     and RTP/RTCP (128-191) are counted and dropped (later issues wire them). Everything
 *     counts as liveness on the selected pair.
 *   - ICE restart (RFC 8445 section 9, RFC 8829 section 5.2.1): a new generation (agent with
 *     the new credentials) runs next to the old one, which keeps its selected pair and
 *     consent alive; STUN requests are routed by the local ufrag in USERNAME. The old
 *     generation is dropped once the new one connects, or the new one when the restart is
 *     rolled back.
 *   - States: the ICE transport state is the connected generation's, the aggregate ICE
 *     connection and connection states are derived with core/states.c from it and the DTLS
 *     transport's state (core/pc_transport.c).
 *
 *   - Remote ".local" candidates (browsers' mDNS names) stay pending in the agent while
 *     core/pc_mdns.c resolves them.
 *
 * Not done: TURN, resolving other hostnames (FQDN candidates stay unpaired), the
 * ice-candidate-error event (the agent does not report server failures).
 */
#include "core/pc_impl.h"
#include "core/pc_media.h"

#include "core/states.h"
#include "core/util/alloc.h"
#include "core/util/log.h"
#include "ice/stun.h"
#include "meshrtc/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_TAG "pc"

/* ---- Configuration -------------------------------------------------------------------- */

/* Parses an ICE server URL (RFC 7064 stun/stuns, RFC 7065 turn/turns). *numeric is set when
 * the host is a numeric address (stored in *addr). */
static int parse_ice_url(const char *url, bool *is_turn, bool *numeric, mrtc_addr *addr)
{
    const char *rest;
    uint16_t port;
    if (strncasecmp(url, "stun:", 5) == 0) {
        rest = url + 5, port = 3478, *is_turn = false;
    } else if (strncasecmp(url, "stuns:", 6) == 0) {
        rest = url + 6, port = 5349, *is_turn = false;
    } else if (strncasecmp(url, "turn:", 5) == 0) {
        rest = url + 5, port = 3478, *is_turn = true;
    } else if (strncasecmp(url, "turns:", 6) == 0) {
        rest = url + 6, port = 5349, *is_turn = true;
    } else {
        return MRTC_EINVAL;
    }
    char host[256];
    size_t hl = strcspn(rest, "?");
    const char *query = rest + hl;
    if (hl == 0 || hl >= sizeof host)
        return MRTC_EINVAL;
    memcpy(host, rest, hl);
    host[hl] = '\0';
    if (*query) {
        if (!*is_turn ||
            (strcmp(query, "?transport=udp") != 0 && strcmp(query, "?transport=tcp") != 0))
            return MRTC_EINVAL;
    }
    /* Split host and port: "[v6]:port", "v6" alone is not allowed, "name:port". */
    char *name = host, *portp = NULL;
    if (host[0] == '[') {
        char *close = strchr(host, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return MRTC_EINVAL;
        *close = '\0';
        name = host + 1;
        portp = close[1] == ':' ? close + 2 : NULL;
    } else {
        char *colon = strchr(host, ':');
        if (colon) {
            if (strchr(colon + 1, ':'))
                return MRTC_EINVAL;
            *colon = '\0';
            portp = colon + 1;
        }
    }
    if (portp) {
        char *end;
        unsigned long p = strtoul(portp, &end, 10);
        if (!*portp || *end || p == 0 || p > 65535)
            return MRTC_EINVAL;
        port = (uint16_t)p;
    }
    if (!*name)
        return MRTC_EINVAL;
    for (const char *c = name; *c; c++) {
        if (*c <= ' ' || *c == '/' || *c == '@')
            return MRTC_EINVAL;
    }
    *numeric = mrtc_addr_parse_ip(addr, name, port) == 0;
    return 0;
}

int mrtc_pc_ice_configure(mrtc_pc *pc, const mrtc_pc_config *cfg)
{
    for (size_t i = 0; i < cfg->n_ice_servers; i++) {
        const mrtc_ice_server *s = &cfg->ice_servers[i];
        if (s->n_urls == 0 || !s->urls) {
            MRTC_WARN(LOG_TAG, "ICE server %zu has no URL", i);
            return MRTC_EINVAL;
        }
        for (size_t u = 0; u < s->n_urls; u++) {
            bool turn = false, numeric = false;
            mrtc_addr a;
            if (!s->urls[u] || parse_ice_url(s->urls[u], &turn, &numeric, &a) != 0) {
                MRTC_WARN(LOG_TAG, "malformed ICE server URL \"%s\"",
                          s->urls[u] ? s->urls[u] : "(null)");
                return MRTC_EINVAL;
            }
            if (turn && (!s->username || !s->credential)) {
                MRTC_WARN(LOG_TAG, "TURN server \"%s\" needs a username and a credential",
                          s->urls[u]);
                return MRTC_EINVAL;
            }
            if (!turn && numeric && strncasecmp(s->urls[u], "stun:", 5) == 0 &&
                pc->n_stun < PC_MAX_STUN) {
                pc->stun[pc->n_stun++] = a;
            } else {
                MRTC_INFO(LOG_TAG, "ICE server \"%s\" is not used yet (%s)", s->urls[u],
                          turn ? "TURN is a later issue" : "only numeric stun: URLs are used");
            }
        }
    }
    if (cfg->n_ice_interfaces) {
        /* Validate the allow-list with the ICE module's own parser. */
        mrtc_ice_iface probe = {.name = "", .up = true};
        bool use = false;
        if (mrtc_ice_agent_select_interfaces(&probe, 1, cfg->ice_interfaces, cfg->n_ice_interfaces,
                                             &use) < 0) {
            MRTC_WARN(LOG_TAG, "malformed ICE interface allow-list entry");
            return MRTC_EINVAL;
        }
        pc->ice_allow = mrtc_calloc(cfg->n_ice_interfaces, sizeof *pc->ice_allow);
        if (!pc->ice_allow)
            return MRTC_ENOMEM;
        pc->n_ice_allow = cfg->n_ice_interfaces;
        for (size_t i = 0; i < cfg->n_ice_interfaces; i++) {
            pc->ice_allow[i] = mrtc_strdup(cfg->ice_interfaces[i]);
            if (!pc->ice_allow[i])
                return MRTC_ENOMEM;
        }
    }
    return 0;
}

void mrtc_pc_ice_new_credentials(mrtc_pc *pc, char *ufrag, char *pwd)
{
    mrtc_rand_ice_chars(pc->io->rand, ufrag, PC_UFRAG_LEN);
    mrtc_rand_ice_chars(pc->io->rand, pwd, PC_PWD_LEN);
}

/* ---- Generations ---------------------------------------------------------------------- */

pc_gen *mrtc_pc_ice_gen_new(mrtc_pc *pc, const char *ufrag, const char *pwd, bool controlling)
{
    pc_gen *g = mrtc_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    mrtc_ice_config cfg;
    mrtc_ice_config_init(&cfg);
    cfg.rand = pc->io->rand;
    cfg.controlling = controlling;
    cfg.local_ufrag = ufrag;
    cfg.local_pwd = pwd;
    cfg.name = pc->name;
    g->agent = mrtc_ice_agent_new(&cfg);
    if (!g->agent) {
        mrtc_free(g);
        return NULL;
    }
    snprintf(g->ufrag, sizeof g->ufrag, "%s", ufrag);
    snprintf(g->pwd, sizeof g->pwd, "%s", pwd);
    g->controlling = controlling;
    MRTC_DEBUG(LOG_TAG, "%s: ICE generation ufrag %s (%s)", pc->name, ufrag,
               controlling ? "controlling" : "controlled");
    return g;
}

void mrtc_pc_ice_gen_free(pc_gen *g)
{
    if (!g)
        return;
    mrtc_ice_agent_free(g->agent);
    for (size_t i = 0; i < g->n_cands; i++)
        mrtc_free(g->cands[i]);
    mrtc_free(g);
}

void mrtc_pc_ice_free(mrtc_pc *pc)
{
    mrtc_pc_mdns_free(pc);
    mrtc_pc_ice_gen_free(pc->gen_next);
    mrtc_pc_ice_gen_free(pc->gen);
    pc->gen_next = NULL;
    pc->gen = NULL;
}

const pc_gen *mrtc_pc_ice_gen_for_description(const mrtc_pc *pc)
{
    return pc->gen_next ? pc->gen_next : pc->gen;
}

/* ---- Gathering ------------------------------------------------------------------------ */

static void bind_sockets(mrtc_pc *pc)
{
    mrtc_io_ifaddr ifa[MRTC_IO_MAX_IFADDRS];
    mrtc_ice_iface ifs[MRTC_IO_MAX_IFADDRS];
    bool use[MRTC_IO_MAX_IFADDRS];
    size_t n = 0;
    pc->sockets_bound = true;
    if (pc->io->ops->interfaces(pc->io, ifa, MRTC_IO_MAX_IFADDRS, &n) != 0) {
        MRTC_WARN(LOG_TAG, "%s: cannot list interfaces", pc->name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ifs[i] = (mrtc_ice_iface){
            .name = ifa[i].name, .addr = ifa[i].addr, .up = true, .loopback = ifa[i].internal};
    }
    if (mrtc_ice_agent_select_interfaces(ifs, n, (const char *const *)pc->ice_allow,
                                         pc->n_ice_allow, use) < 0)
        return;
    for (size_t i = 0; i < n && pc->n_bases < PC_MAX_BASES; i++) {
        char buf[MRTC_ADDR_STRLEN];
        if (!use[i])
            continue;
        mrtc_addr bound;
        if (pc->io->ops->bind(pc->io, pc, &ifa[i].addr, &bound) != 0) {
            MRTC_WARN(LOG_TAG, "%s: cannot bind a socket on %s", pc->name,
                      mrtc_addr_ip_str(&ifa[i].addr, buf, sizeof buf));
            continue;
        }
        pc->bases[pc->n_bases++] = bound;
        MRTC_DEBUG(LOG_TAG, "%s: socket on %s (%s)", pc->name,
                   mrtc_addr_str(&bound, buf, sizeof buf), ifa[i].name);
    }
    if (pc->n_bases == 0)
        MRTC_WARN(LOG_TAG, "%s: no usable local address: no host candidate", pc->name);
}

int mrtc_pc_ice_gather(mrtc_pc *pc, pc_gen *g)
{
    if (!pc->sockets_bound) {
        bind_sockets(pc);
        mrtc_pc_mdns_sockets_ready(pc);
    }
    if (g->hosts_added)
        return 0;
    g->hosts_added = true;
    mrtc_time now = pc->io->ops->now(pc->io);
    for (size_t i = 0; i < pc->n_bases; i++) {
        int err = mrtc_ice_agent_add_host(g->agent, now, &pc->bases[i]);
        if (err && err != MRTC_EEXIST)
            MRTC_WARN(LOG_TAG, "%s: host candidate refused: %s", pc->name, mrtc_strerror(err));
    }
    for (size_t i = 0; i < pc->n_stun; i++)
        (void)mrtc_ice_agent_add_stun_server(g->agent, now, &pc->stun[i]);
    mrtc_ice_agent_gathering_done(g->agent, now);
    return 0;
}

/* ---- Remote side ---------------------------------------------------------------------- */

static int add_candidate_to(mrtc_pc *pc, pc_gen *g, const mrtc_ice_candidate *c)
{
    int err = mrtc_ice_agent_add_remote_candidate(g->agent, pc->io->ops->now(pc->io), c);
    if (err == MRTC_ENOTSUP || err == MRTC_ESTATE || err == MRTC_ENOBUFS) {
        MRTC_DEBUG(LOG_TAG, "%s: remote candidate ignored: %s", pc->name, mrtc_err_name(err));
        err = 0;
    } else if (err == 0 && c->addr.family == MRTC_AF_NONE && mrtc_ice_candidate_is_mdns(c)) {
        mrtc_pc_mdns_resolve(pc, g, c->hostname); /* kept pending by the agent until then */
    }
    return err;
}

void mrtc_pc_ice_apply_remote(mrtc_pc *pc, pc_gen *g, const mrtc_sdp *sdp)
{
    int bi = mrtc_jsep_bundle_index(sdp);
    if (bi < 0)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    mrtc_sdp_transport t;
    mrtc_sdp_media_transport(sdp, sdp->media[bi], &t);
    if (t.ice_ufrag && t.ice_pwd && strcmp(g->remote_ufrag, t.ice_ufrag) != 0) {
        if (g->remote_ufrag[0]) {
            /* New remote credentials outside a restart offer (RFC 8839 section 4.4.1.1: an
             * answer keeps them unless the offer restarted): the agent would restart its own
             * side behind the descriptions' back, so they are not applied. */
            MRTC_WARN(LOG_TAG,
                      "%s: remote ufrag changed to %s without an ICE restart offer: "
                      "ignored",
                      pc->name, t.ice_ufrag);
            return;
        }
        if (mrtc_ice_agent_set_remote_credentials(g->agent, now, t.ice_ufrag, t.ice_pwd) == 0)
            snprintf(g->remote_ufrag, sizeof g->remote_ufrag, "%s", t.ice_ufrag);
    }
    const mrtc_sdp_group *bundle = mrtc_sdp_find_group(sdp, "BUNDLE");
    bool eoc = sdp->end_of_candidates;
    for (size_t i = 0; i < sdp->media_count; i++) {
        const mrtc_sdp_media *m = sdp->media[i];
        if ((int)i != bi && !(bundle && m->mid && mrtc_sdp_strlist_has(&bundle->mids, m->mid)))
            continue;
        for (size_t k = 0; k < m->candidates.count; k++) {
            mrtc_ice_candidate c;
            const char *why = NULL;
            if (mrtc_ice_candidate_parse(&c, m->candidates.items[k], &why) != 0) {
                MRTC_INFO(LOG_TAG, "%s: remote candidate skipped (%s): %s", pc->name,
                          why ? why : "malformed", m->candidates.items[k]);
                continue;
            }
            (void)add_candidate_to(pc, g, &c);
        }
        eoc = eoc || m->end_of_candidates;
    }
    if (eoc)
        mrtc_ice_agent_remote_end_of_candidates(g->agent, now);
}

int mrtc_pc_ice_add_remote_candidate(mrtc_pc *pc, const char *line)
{
    mrtc_ice_candidate c;
    const char *why = NULL;
    if (mrtc_ice_candidate_parse(&c, line, &why) != 0) {
        mrtc_pc_set_error(pc, "add ICE candidate: cannot parse \"%s\": %s", line,
                          why ? why : "malformed");
        return MRTC_EINVAL;
    }
    /* The generation: the one whose remote ufrag the candidate names, else the newest
     * that knows remote credentials. */
    pc_gen *g = NULL;
    if (c.ufrag[0]) {
        if (pc->gen_next && strcmp(pc->gen_next->remote_ufrag, c.ufrag) == 0)
            g = pc->gen_next;
        else if (pc->gen && strcmp(pc->gen->remote_ufrag, c.ufrag) == 0)
            g = pc->gen;
        if (!g) {
            mrtc_pc_set_error(pc,
                              "add ICE candidate: ufrag \"%s\" is not the remote "
                              "description's",
                              c.ufrag);
            return MRTC_EINVAL;
        }
    } else {
        g = pc->gen_next && pc->gen_next->remote_ufrag[0] ? pc->gen_next : pc->gen;
    }
    if (!g) {
        mrtc_pc_set_error(pc, "add ICE candidate: no ICE transport for it");
        return MRTC_ESTATE;
    }
    int err = add_candidate_to(pc, g, &c);
    if (err)
        mrtc_pc_set_error(pc, "add ICE candidate: %s", mrtc_strerror(err));
    return err;
}

void mrtc_pc_ice_remote_end_of_candidates(mrtc_pc *pc)
{
    pc_gen *g = pc->gen_next && pc->gen_next->remote_ufrag[0] ? pc->gen_next : pc->gen;
    if (g)
        mrtc_ice_agent_remote_end_of_candidates(g->agent, pc->io->ops->now(pc->io));
}

/* ---- Datagrams and timers ------------------------------------------------------------- */

/* The generation a STUN request belongs to: USERNAME is "<our ufrag>:<their ufrag>". */
static pc_gen *route_stun(mrtc_pc *pc, const uint8_t *data, size_t len)
{
    mrtc_stun_msg msg;
    if (!pc->gen_next || mrtc_stun_decode(&msg, data, len) != 0 || !msg.username)
        return NULL;
    size_t n = 0;
    while (n < msg.username_len && msg.username[n] != ':')
        n++;
    pc_gen *gens[2] = {pc->gen, pc->gen_next};
    for (int i = 0; i < 2; i++) {
        if (gens[i] && strlen(gens[i]->ufrag) == n && memcmp(gens[i]->ufrag, msg.username, n) == 0)
            return gens[i];
    }
    return NULL;
}

void mrtc_pc_handle_datagram(mrtc_pc *pc, const mrtc_addr *local, const mrtc_addr *remote,
                             const uint8_t *data, size_t len)
{
    if (pc->closed || len == 0)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    uint8_t b = data[0];
    pc_gen *gens[2] = {pc->gen, pc->gen_next};
    if (b <= 3) {
        pc->counters.stun++;
        pc_gen *only = route_stun(pc, data, len);
        for (int i = 0; i < 2; i++) {
            if (!gens[i] || (only && gens[i] != only))
                continue;
            int r = mrtc_ice_agent_handle_packet(gens[i]->agent, now, local, remote, data, len);
            if (r == MRTC_ICE_NOT_STUN)
                MRTC_TRACE(LOG_TAG, "%s: non-Binding STUN dropped", pc->name);
        }
    } else {
        if (b >= 20 && b <= 63) {
            pc->counters.dtls++;
            mrtc_pc_transport_handle_dtls(pc, now, local, remote, data, len);
        }
        else if (b >= 64 && b <= 79)
            pc->counters.turn_channel++;
        else if (b >= 128 && b <= 191) {
            pc->counters.rtp_rtcp++;
            if (len <= MRTC_TRANSMIT_MAX && mrtc_pc_transport_path_known(pc, local, remote)) {
                uint8_t buf[MRTC_TRANSMIT_MAX];
                memcpy(buf, data, len);
                mrtc_pc_media_handle_packet(pc, now, buf, len);
            }
        }
        else
            pc->counters.unknown++;
        /* Any traffic keeps the selected pair alive (a sink callback may have closed the
         * PeerConnection meanwhile: its agents are gone then). */
        for (int i = 0; i < 2 && !pc->closed; i++) {
            if (gens[i])
                mrtc_ice_agent_note_received(gens[i]->agent, now, local, remote);
        }
    }
    mrtc_pc_flush(pc);
}

void mrtc_pc_handle_timeout(mrtc_pc *pc)
{
    if (pc->closed)
        return;
    mrtc_time now = pc->io->ops->now(pc->io);
    pc_gen *gens[2] = {pc->gen, pc->gen_next};
    for (int i = 0; i < 2; i++) {
        if (gens[i] && mrtc_ice_agent_next_timeout(gens[i]->agent) <= now)
            mrtc_ice_agent_handle_timeout(gens[i]->agent, now);
    }
    if (mrtc_pc_mdns_next_timeout(pc) <= now)
        mrtc_pc_mdns_handle_timeout(pc, now);
    mrtc_pc_transport_handle_timeout(pc, now);
    mrtc_pc_media_handle_timeout(pc, now);
    mrtc_pc_flush(pc);
}

mrtc_time mrtc_pc_next_timeout(const mrtc_pc *pc)
{
    mrtc_time t = MRTC_TIME_NEVER;
    if (pc->closed)
        return t;
    if (pc->gen)
        t = mrtc_time_min(t, mrtc_ice_agent_next_timeout(pc->gen->agent));
    if (pc->gen_next)
        t = mrtc_time_min(t, mrtc_ice_agent_next_timeout(pc->gen_next->agent));
    t = mrtc_time_min(t, mrtc_pc_media_next_timeout(pc));
    t = mrtc_time_min(t, mrtc_pc_mdns_next_timeout(pc));
    return mrtc_time_min(t, mrtc_pc_transport_next_timeout(pc));
}

/* ---- Agent outputs -------------------------------------------------------------------- */

static void local_candidate(mrtc_pc *pc, pc_gen *g, const mrtc_ice_candidate *c)
{
    char line[MRTC_ICE_CANDIDATE_LINE_MAX];
    if (mrtc_ice_candidate_format(c, line, sizeof line) < 0)
        return;
    const char *value = strncmp(line, "candidate:", 10) == 0 ? line + 10 : line;
    if (g->n_cands < PC_MAX_LOCAL_CANDS) {
        g->cands[g->n_cands] = mrtc_strdup(value);
        if (g->cands[g->n_cands])
            g->n_cands++;
    }
    if (g != mrtc_pc_ice_gen_for_description(pc))
        return; /* an old generation: not signalled any more */
    /* W3C: the candidate is added to the local description, then announced. */
    mrtc_sdp *local = mrtc_jsep_local(pc);
    int bi = local ? mrtc_jsep_bundle_index(local) : -1;
    if (bi >= 0)
        mrtc_jsep_add_local_candidate(local, value);
    MRTC_DEBUG(LOG_TAG, "%s: local candidate %s", pc->name, line);
    pc_event ev = {.type = PC_EV_ICE_CANDIDATE, .mline_index = bi < 0 ? 0 : bi};
    ev.candidate = mrtc_strdup(line);
    ev.mid = mrtc_strdup(bi >= 0 && local->media[bi]->mid ? local->media[bi]->mid : "0");
    if (!ev.candidate || !ev.mid) {
        mrtc_free(ev.candidate);
        mrtc_free(ev.mid);
        return;
    }
    mrtc_pc_emit(pc, &ev);
}

static void drain_gen(mrtc_pc *pc, pc_gen *g)
{
    mrtc_transmit t;
    while (mrtc_ice_agent_poll_transmit(g->agent, &t))
        (void)pc->io->ops->send(pc->io, pc, &t);
    mrtc_ice_event ev;
    while (mrtc_ice_agent_poll_event(g->agent, &ev)) {
        switch (ev.type) {
        case MRTC_ICE_EVENT_LOCAL_CANDIDATE:
            local_candidate(pc, g, &ev.candidate);
            break;
        case MRTC_ICE_EVENT_GATHERING_STATE:
            /* Each step is derived and reported in order, none skipped. */
            g->gathering = ev.gathering.new_state;
            g->gathering_complete = ev.gathering.new_state == MRTC_ICE_GATHERING_COMPLETE;
            mrtc_pc_ice_update_states(pc);
            break;
        case MRTC_ICE_EVENT_STATE:
            g->state = ev.state.new_state;
            mrtc_pc_ice_update_states(pc);
            break;
        case MRTC_ICE_EVENT_SELECTED_PAIR: {
            char l[MRTC_ADDR_STRLEN], r[MRTC_ADDR_STRLEN];
            if (ev.selected.exists)
                MRTC_INFO(LOG_TAG, "%s: selected pair %s -> %s", pc->name,
                          mrtc_addr_str(&ev.selected.local, l, sizeof l),
                          mrtc_addr_str(&ev.selected.remote, r, sizeof r));
            break;
        }
        case MRTC_ICE_EVENT_ROLE:
            g->controlling = ev.role.controlling;
            break;
        }
    }
}

void mrtc_pc_ice_drain(mrtc_pc *pc)
{
    if (pc->gen)
        drain_gen(pc, pc->gen);
    if (pc->gen_next)
        drain_gen(pc, pc->gen_next);
    /* A restart that was negotiated and has connected replaces the old generation. */
    if (pc->gen_next && !pc->gen_next_pending) {
        mrtc_ice_state s = pc->gen_next->state;
        if (s == MRTC_ICE_STATE_CONNECTED || s == MRTC_ICE_STATE_COMPLETED) {
            MRTC_INFO(LOG_TAG, "%s: ICE restart complete (ufrag %s)", pc->name,
                      pc->gen_next->ufrag);
            mrtc_pc_ice_gen_free(pc->gen);
            pc->gen = pc->gen_next;
            pc->gen_next = NULL;
        }
    }
}

/* ---- States --------------------------------------------------------------------------- */

static mrtc_ice_transport_state to_transport_state(mrtc_ice_state s)
{
    switch (s) {
    case MRTC_ICE_STATE_NEW:
        return MRTC_ICE_TRANSPORT_NEW;
    case MRTC_ICE_STATE_CHECKING:
        return MRTC_ICE_TRANSPORT_CHECKING;
    case MRTC_ICE_STATE_CONNECTED:
        return MRTC_ICE_TRANSPORT_CONNECTED;
    case MRTC_ICE_STATE_COMPLETED:
        return MRTC_ICE_TRANSPORT_COMPLETED;
    case MRTC_ICE_STATE_DISCONNECTED:
        return MRTC_ICE_TRANSPORT_DISCONNECTED;
    case MRTC_ICE_STATE_FAILED:
        return MRTC_ICE_TRANSPORT_FAILED;
    case MRTC_ICE_STATE_CLOSED:
        return MRTC_ICE_TRANSPORT_CLOSED;
    }
    return MRTC_ICE_TRANSPORT_NEW;
}

static bool is_up(mrtc_ice_state s)
{
    return s == MRTC_ICE_STATE_CONNECTED || s == MRTC_ICE_STATE_COMPLETED;
}

/* The one RTCIceTransport across generations: the new generation once it is up, else the
 * old one while it still holds a pair (a restart does not interrupt the transport). */
mrtc_ice_transport_state mrtc_pc_ice_transport_state(const mrtc_pc *pc)
{
    if (pc->closed)
        return MRTC_ICE_TRANSPORT_CLOSED;
    if (!pc->gen)
        return MRTC_ICE_TRANSPORT_NEW;
    mrtc_ice_state cur = pc->gen->state;
    if (!pc->gen_next)
        return to_transport_state(cur);
    mrtc_ice_state next = pc->gen_next->state;
    if (is_up(next) || !(is_up(cur) || cur == MRTC_ICE_STATE_DISCONNECTED))
        return to_transport_state(next);
    return to_transport_state(cur);
}

static mrtc_gathering_state transport_gathering(const mrtc_pc *pc)
{
    const pc_gen *g = mrtc_pc_ice_gen_for_description(pc);
    if (!g)
        return MRTC_GATHERING_NEW;
    switch (g->gathering) {
    case MRTC_ICE_GATHERING_GATHERING:
        return MRTC_GATHERING_GATHERING;
    case MRTC_ICE_GATHERING_COMPLETE:
        return MRTC_GATHERING_COMPLETE;
    default:
        return MRTC_GATHERING_NEW;
    }
}

void mrtc_pc_ice_update_states(mrtc_pc *pc)
{
    if (pc->closed)
        return;
    size_t n = pc->gen ? 1 : 0; /* max-bundle: at most one transport */
    mrtc_ice_transport_state ts = mrtc_pc_ice_transport_state(pc);
    mrtc_dtls_transport_state dtls = pc->dtls_state;
    mrtc_gathering_state gs = transport_gathering(pc);
    mrtc_gathering_state gather = mrtc_states_gathering(&gs, n);
    mrtc_ice_connection_state ice = mrtc_states_ice_connection(false, &ts, n);
    mrtc_connection_state conn = mrtc_states_connection(false, ice, &dtls, n);
    if (gather != pc->gathering) {
        MRTC_DEBUG(LOG_TAG, "%s: ICE gathering %s -> %s", pc->name,
                   mrtc_gathering_state_name(pc->gathering), mrtc_gathering_state_name(gather));
        pc->gathering = gather;
        mrtc_pc_emit_state(pc, PC_EV_GATHERING, gather);
        if (gather == MRTC_GATHERING_COMPLETE) {
            mrtc_sdp *local = mrtc_jsep_local(pc);
            int bi = local ? mrtc_jsep_bundle_index(local) : -1;
            if (bi >= 0)
                local->media[bi]->end_of_candidates = true;
            pc_event ev = {.type = PC_EV_ICE_CANDIDATE, .mline_index = -1};
            mrtc_pc_emit(pc, &ev); /* the null candidate: end of candidates */
        }
    }
    if (ice != pc->ice_connection) {
        MRTC_INFO(LOG_TAG, "%s: ICE connection %s -> %s", pc->name,
                  mrtc_ice_connection_state_name(pc->ice_connection),
                  mrtc_ice_connection_state_name(ice));
        pc->ice_connection = ice;
        mrtc_pc_emit_state(pc, PC_EV_ICE_CONNECTION, ice);
    }
    if (conn != pc->connection) {
        MRTC_INFO(LOG_TAG, "%s: connection %s -> %s", pc->name,
                  mrtc_connection_state_name(pc->connection), mrtc_connection_state_name(conn));
        pc->connection = conn;
        mrtc_pc_emit_state(pc, PC_EV_CONNECTION, conn);
    }
}

/* ---- The ICE transport getter --------------------------------------------------------- */

static void fill_candidate(mrtc_ice_candidate_info *out, const mrtc_ice_candidate *c,
                           const mrtc_addr *fallback)
{
    const mrtc_addr *a = c->addr.family != MRTC_AF_NONE ? &c->addr : fallback;
    mrtc_addr_ip_str(a, out->address, sizeof out->address);
    out->port = a->port;
    snprintf(out->protocol, sizeof out->protocol, "%s", mrtc_ice_transport_name(c->transport));
    snprintf(out->type, sizeof out->type, "%s", mrtc_ice_candidate_type_name(c->type));
    out->priority = c->priority;
    snprintf(out->foundation, sizeof out->foundation, "%s", c->foundation);
}

int mrtc_pc_get_ice_transport(const mrtc_pc *pc, mrtc_ice_transport_info *out)
{
    if (!pc || !out)
        return MRTC_EINVAL;
    memset(out, 0, sizeof *out);
    out->role = "unknown";
    out->dtls_state = pc->dtls_state;
    if (pc->closed) {
        out->state = MRTC_ICE_TRANSPORT_CLOSED;
        out->gathering_state = pc->gathering;
        out->dtls_state = MRTC_DTLS_TRANSPORT_CLOSED;
        return pc->sockets_bound ? 0 : MRTC_ENOTFOUND;
    }
    if (!pc->gen)
        return MRTC_ENOTFOUND;
    out->state = mrtc_pc_ice_transport_state(pc);
    out->gathering_state = transport_gathering(pc);
    /* The generation carrying traffic: the new one once it has a pair. */
    const pc_gen *g = pc->gen;
    mrtc_ice_pair_info info;
    if (pc->gen_next && mrtc_ice_agent_selected_pair_info(pc->gen_next->agent, &info))
        g = pc->gen_next;
    out->role = mrtc_ice_agent_is_controlling(g->agent) ? "controlling" : "controlled";
    if (mrtc_ice_agent_selected_pair_info(g->agent, &info) && info.exists) {
        out->has_selected_pair = true;
        fill_candidate(&out->local, &info.local_candidate, &info.local);
        fill_candidate(&out->remote, &info.remote_candidate, &info.remote);
    }
    return 0;
}
