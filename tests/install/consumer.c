/* Builds against an installed meshrtc through pkg-config: creates a runtime and a
 * PeerConnection with one audio transceiver, creates an offer, checks it is SDP, closes. */
#include <meshrtc.h>

#include <stdio.h>
#include <string.h>
#include <uv.h>

static void on_pc_closed(mrtc_pc *pc, void *user)
{
    (void)pc;
    *(int *)user += 1;
}

static void on_rt_closed(mrtc_runtime *rt, void *user)
{
    (void)rt;
    *(int *)user += 1;
}

int main(void)
{
    uv_loop_t loop;
    mrtc_runtime *rt = NULL;
    mrtc_pc *pc = NULL;
    mrtc_pc_config cfg;
    mrtc_pc_callbacks cbs;
    const char *allow[] = {"127.0.0.1"};
    char *sdp = NULL;
    int closed = 0, err;

    uv_loop_init(&loop);
    err = mrtc_runtime_new(&loop, &rt);
    if (err) {
        fprintf(stderr, "runtime: %s\n", mrtc_strerror(err));
        return 1;
    }
    mrtc_pc_config_init(&cfg);
    cfg.ice_interfaces = allow;
    cfg.n_ice_interfaces = 1;
    memset(&cbs, 0, sizeof cbs);
    err = mrtc_pc_new(rt, &cfg, &cbs, &closed, &pc);
    if (!err)
        err = mrtc_pc_add_transceiver(pc, MRTC_MEDIA_AUDIO, NULL, NULL);
    if (!err)
        err = mrtc_pc_create_offer(pc, NULL, &sdp);
    if (err) {
        fprintf(stderr, "offer: %s: %s\n", mrtc_strerror(err), pc ? mrtc_pc_last_error(pc) : "");
        return 1;
    }
    int ok = strncmp(sdp, "v=0\r\n", 5) == 0 && strstr(sdp, "m=audio ") != NULL;
    mrtc_string_free(sdp);
    mrtc_pc_close(pc, on_pc_closed);
    mrtc_runtime_close(rt, on_rt_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (!ok || closed != 2) {
        fprintf(stderr, "unexpected: ok=%d closed=%d\n", ok, closed);
        return 1;
    }
    printf("1 passed, 0 failed\n");
    return 0;
}
