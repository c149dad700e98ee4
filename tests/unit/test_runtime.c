/* Tests of core/runtime.c over real sockets: two PeerConnections on one libuv loop, ICE
 * restricted to loopback with the allow-list, negotiate through their callbacks (the
 * callbacks call the API directly, which is allowed) and reach ICE connected over
 * 127.0.0.1 UDP, connect DTLS and SCTP, open a data channel and echo a message over it; a
 * uv timer bounds the test so it fails instead of hanging. Also
 * mrtc_runtime_post() from another thread, closing the runtime with PeerConnections still
 * open, and that only the runtime includes uv.h (the lint test covers the tree). */
#include "test.h"

#include "meshrtc.h"

#include <uv.h>

typedef struct side {
    mrtc_pc *pc;
    struct side *other;
    mrtc_ice_connection_state ice;
    mrtc_connection_state conn;
    bool closed;
    int candidates;
    mrtc_datachannel *dc;
    bool dc_open;
    char got[32];
} side;

typedef struct call {
    uv_loop_t loop;
    uv_timer_t guard;
    mrtc_runtime *rt;
    side a, b;
    bool timed_out;
    bool rt_closed;
} call;

static bool up(mrtc_ice_connection_state s)
{
    return s == MRTC_ICE_CONNECTION_CONNECTED || s == MRTC_ICE_CONNECTION_COMPLETED;
}

static void send_local(side *s)
{
    char *sdp = NULL;
    mrtc_description_type type;
    CHECK_EQ(mrtc_pc_get_description(s->pc, MRTC_LOCAL_DESCRIPTION, &type, &sdp), 0);
    int err = mrtc_pc_set_remote_description(s->other->pc, type, sdp);
    if (err)
        fprintf(stderr, "SRD: %s\n", mrtc_pc_last_error(s->other->pc));
    CHECK_EQ(err, 0);
    if (type == MRTC_DESCRIPTION_OFFER) {
        CHECK_EQ(mrtc_pc_set_local_description(s->other->pc, MRTC_DESCRIPTION_NONE, NULL), 0);
        send_local(s->other);
    }
    mrtc_string_free(sdp);
}

static void on_negotiation_needed(mrtc_pc *pc, void *user)
{
    side *s = user;
    CHECK_EQ(mrtc_pc_set_local_description(pc, MRTC_DESCRIPTION_NONE, NULL), 0);
    send_local(s);
}

static void on_candidate(mrtc_pc *pc, const char *cand, const char *mid, int index, void *user)
{
    side *s = user;
    (void)pc;
    if (cand) {
        s->candidates++;
        CHECK(strstr(cand, " 127.0.0.1 ") != NULL); /* the allow-list holds */
    }
    CHECK_EQ(mrtc_pc_add_ice_candidate(s->other->pc, cand, mid, index), 0);
}

static void stop_if_done(call *c)
{
    if (up(c->a.ice) && up(c->b.ice) && c->a.conn == MRTC_CONNECTION_CONNECTED &&
        c->b.conn == MRTC_CONNECTION_CONNECTED && strcmp(c->a.got, "ping") == 0)
        uv_stop(&c->loop);
}

static call *the_call;

static void dc_open(mrtc_datachannel *dc, void *user)
{
    side *s = user;
    s->dc_open = true;
    if (s == &the_call->a)
        CHECK_EQ(mrtc_datachannel_send_text(dc, "ping"), 0);
}

/* B echoes; A keeps what came back. */
static void dc_message(mrtc_datachannel *dc, const uint8_t *data, size_t len, bool binary,
                       void *user)
{
    side *s = user;
    CHECK(!binary);
    if (s == &the_call->b) {
        CHECK_EQ(mrtc_datachannel_send(dc, data, len, false), 0);
        return;
    }
    snprintf(s->got, sizeof s->got, "%.*s", (int)len, (const char *)data);
    stop_if_done(the_call);
}

static const mrtc_datachannel_callbacks dc_cbs = {.open = dc_open, .message = dc_message};

static void on_datachannel(mrtc_pc *pc, mrtc_datachannel *dc, void *user)
{
    side *s = user;
    (void)pc;
    s->dc = dc;
    mrtc_datachannel_set_callbacks(dc, &dc_cbs, s);
}

static void on_conn(mrtc_pc *pc, mrtc_connection_state st, void *user)
{
    side *s = user;
    (void)pc;
    s->conn = st;
    stop_if_done(the_call);
}

static void on_ice(mrtc_pc *pc, mrtc_ice_connection_state st, void *user)
{
    side *s = user;
    (void)pc;
    s->ice = st;
    stop_if_done(the_call);
}

static void on_guard(uv_timer_t *t)
{
    call *c = t->data;
    c->timed_out = true;
    uv_stop(&c->loop);
}

static void on_pc_closed(mrtc_pc *pc, void *user)
{
    side *s = user;
    (void)pc;
    s->closed = true;
}

static void on_rt_closed(mrtc_runtime *rt, void *user)
{
    call *c = user;
    (void)rt;
    c->rt_closed = true;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void test_loopback_call(void)
{
    call c;
    memset(&c, 0, sizeof c);
    the_call = &c;
    CHECK_EQ(uv_loop_init(&c.loop), 0);
    uv_timer_init(&c.loop, &c.guard);
    c.guard.data = &c;
    uv_timer_start(&c.guard, on_guard, 10000, 0); /* fail after 10 s instead of hanging */
    CHECK_EQ(mrtc_runtime_new(&c.loop, &c.rt), 0);

    const char *allow[] = {"127.0.0.1"};
    mrtc_pc_config cfg;
    mrtc_pc_config_init(&cfg);
    cfg.ice_interfaces = allow;
    cfg.n_ice_interfaces = 1;
    mrtc_pc_callbacks cbs = {.negotiation_needed = on_negotiation_needed,
                             .ice_candidate = on_candidate,
                             .ice_connection_state_change = on_ice,
                             .connection_state_change = on_conn,
                             .datachannel = on_datachannel};
    c.a.other = &c.b;
    c.b.other = &c.a;
    CHECK_EQ(mrtc_pc_new(c.rt, &cfg, &cbs, &c.a, &c.a.pc), 0);
    CHECK_EQ(mrtc_pc_new(c.rt, &cfg, &cbs, &c.b, &c.b.pc), 0);
    CHECK_EQ(mrtc_pc_add_transceiver(c.a.pc, MRTC_MEDIA_AUDIO, NULL, NULL), 0);
    CHECK_EQ(mrtc_pc_create_datachannel(c.a.pc, "chat", NULL, &c.a.dc), 0);
    mrtc_datachannel_set_callbacks(c.a.dc, &dc_cbs, &c.a);

    uv_run(&c.loop, UV_RUN_DEFAULT);
    CHECK(!c.timed_out);
    CHECK(up(c.a.ice) && up(c.b.ice));
    CHECK(c.a.candidates >= 1 && c.b.candidates >= 1);
    CHECK(c.a.dc_open && c.b.dc_open);
    CHECK_STR(c.a.got, "ping");
    CHECK_STR(mrtc_datachannel_label(c.b.dc), "chat");
    mrtc_ice_transport_info info;
    CHECK_EQ(mrtc_pc_get_ice_transport(c.a.pc, &info), 0);
    CHECK(info.has_selected_pair);
    CHECK_STR(info.local.address, "127.0.0.1");
    CHECK_STR(info.remote.address, "127.0.0.1");
    CHECK(info.local.port != 0 && info.remote.port != 0 && info.local.port != info.remote.port);

    /* Close one PeerConnection explicitly, the other through the runtime. */
    CHECK_EQ(mrtc_pc_close(c.a.pc, on_pc_closed), 0);
    CHECK_EQ(mrtc_runtime_close(c.rt, on_rt_closed, &c), 0);
    CHECK_EQ(mrtc_runtime_close(c.rt, NULL, NULL), MRTC_ECLOSED);
    uv_timer_stop(&c.guard);
    uv_close((uv_handle_t *)&c.guard, NULL);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    CHECK(c.a.closed);
    CHECK(c.rt_closed);
    uv_walk(&c.loop, close_walk, NULL);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&c.loop), 0);
}

/* ---- mrtc_runtime_post from other threads -------------------------------------------- */

typedef struct post_state {
    mrtc_runtime *rt;
    uv_loop_t *loop;
    int count;
    int order_errors;
    uv_thread_t loop_thread;
} post_state;

typedef struct post_item {
    post_state *st;
    int seq;
} post_item;

static post_item items[200];

static void on_posted(void *user)
{
    post_item *it = user;
    post_state *st = it->st;
    uv_thread_t self = uv_thread_self();
    if (!uv_thread_equal(&self, &st->loop_thread))
        st->order_errors++;
    st->count++;
    if (st->count == 200)
        mrtc_runtime_close(st->rt, NULL, NULL);
}

static void poster(void *arg)
{
    post_state *st = arg;
    for (int i = 0; i < 200; i++) {
        items[i] = (post_item){.st = st, .seq = i};
        CHECK_EQ(mrtc_runtime_post(st->rt, on_posted, &items[i]), 0);
    }
}

static void test_post(void)
{
    uv_loop_t loop;
    post_state st = {0};
    CHECK_EQ(uv_loop_init(&loop), 0);
    CHECK_EQ(mrtc_runtime_new(&loop, &st.rt), 0);
    st.loop = &loop;
    st.loop_thread = uv_thread_self();
    uv_thread_t t;
    CHECK_EQ(uv_thread_create(&t, poster, &st), 0);
    uv_thread_join(&t); /* all posted before the loop runs: they run in order on the loop */
    CHECK_EQ(mrtc_runtime_post(st.rt, NULL, NULL), MRTC_EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT); /* the 200th closes the runtime; the loop then ends */
    CHECK_EQ(st.count, 200);
    CHECK_EQ(st.order_errors, 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static void test_post_after_close(void)
{
    uv_loop_t loop;
    mrtc_runtime *rt;
    CHECK_EQ(uv_loop_init(&loop), 0);
    CHECK_EQ(mrtc_runtime_new(&loop, &rt), 0);
    post_state st = {.rt = rt, .loop_thread = uv_thread_self()};
    items[0] = (post_item){.st = &st};
    CHECK_EQ(mrtc_runtime_post(rt, on_posted, &items[0]), 0);
    CHECK_EQ(mrtc_runtime_close(rt, NULL, NULL), 0);
    CHECK_EQ(mrtc_runtime_post(rt, on_posted, &items[0]), MRTC_ECLOSED);
    mrtc_pc *pc = NULL;
    CHECK_EQ(mrtc_pc_new(rt, NULL, NULL, NULL, &pc), MRTC_ECLOSED);
    CHECK(pc == NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(st.count, 1); /* posted before close: still ran */
    CHECK_EQ(uv_loop_close(&loop), 0);
}

int main(void)
{
    RUN(test_loopback_call);
    RUN(test_post);
    RUN(test_post_after_close);
    return test_finish();
}
