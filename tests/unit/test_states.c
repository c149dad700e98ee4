/* Tests of core/states.c: the W3C aggregate state derivations (webrtc-pc RTCIceConnectionState,
 * RTCPeerConnectionState, RTCIceGatheringState) row by row from the W3C tables, then
 * exhaustively over every combination of up to three transports against an oracle written
 * independently from the "worst wins" ordering, and the W3C spellings. */
#include "test.h"

#include "core/states.h"

#define I_NEW MRTC_ICE_TRANSPORT_NEW
#define I_CHK MRTC_ICE_TRANSPORT_CHECKING
#define I_CON MRTC_ICE_TRANSPORT_CONNECTED
#define I_CMP MRTC_ICE_TRANSPORT_COMPLETED
#define I_DIS MRTC_ICE_TRANSPORT_DISCONNECTED
#define I_FLD MRTC_ICE_TRANSPORT_FAILED
#define I_CLS MRTC_ICE_TRANSPORT_CLOSED

#define D_NEW MRTC_DTLS_TRANSPORT_NEW
#define D_CNG MRTC_DTLS_TRANSPORT_CONNECTING
#define D_CON MRTC_DTLS_TRANSPORT_CONNECTED
#define D_CLS MRTC_DTLS_TRANSPORT_CLOSED
#define D_FLD MRTC_DTLS_TRANSPORT_FAILED

static mrtc_ice_connection_state ice2(mrtc_ice_transport_state a, mrtc_ice_transport_state b)
{
    mrtc_ice_transport_state s[2] = {a, b};
    return mrtc_states_ice_connection(false, s, 2);
}

#define CHECK_ICE(got, want)                                                                       \
    CHECK_STR(mrtc_ice_connection_state_name(got), mrtc_ice_connection_state_name(want))
#define CHECK_CONN(got, want)                                                                      \
    CHECK_STR(mrtc_connection_state_name(got), mrtc_connection_state_name(want))
#define CHECK_GATH(got, want)                                                                      \
    CHECK_STR(mrtc_gathering_state_name(got), mrtc_gathering_state_name(want))

/* One test per row of the RTCIceConnectionState table. */
static void test_ice_connection_rows(void)
{
    mrtc_ice_transport_state one = I_CON;
    /* closed: [[IsClosed]] is true, whatever the transports say. */
    CHECK_ICE(mrtc_states_ice_connection(true, &one, 1), MRTC_ICE_CONNECTION_CLOSED);
    CHECK_ICE(mrtc_states_ice_connection(true, NULL, 0), MRTC_ICE_CONNECTION_CLOSED);
    /* failed: any transport failed (beats disconnected, checking, ...). */
    CHECK_ICE(ice2(I_FLD, I_CON), MRTC_ICE_CONNECTION_FAILED);
    CHECK_ICE(ice2(I_DIS, I_FLD), MRTC_ICE_CONNECTION_FAILED);
    CHECK_ICE(ice2(I_NEW, I_FLD), MRTC_ICE_CONNECTION_FAILED);
    /* disconnected: any transport disconnected, none failed. */
    CHECK_ICE(ice2(I_DIS, I_CHK), MRTC_ICE_CONNECTION_DISCONNECTED);
    CHECK_ICE(ice2(I_CON, I_DIS), MRTC_ICE_CONNECTION_DISCONNECTED);
    CHECK_ICE(ice2(I_DIS, I_NEW), MRTC_ICE_CONNECTION_DISCONNECTED);
    /* new: all new or closed, or no transports. */
    CHECK_ICE(mrtc_states_ice_connection(false, NULL, 0), MRTC_ICE_CONNECTION_NEW);
    CHECK_ICE(ice2(I_NEW, I_NEW), MRTC_ICE_CONNECTION_NEW);
    CHECK_ICE(ice2(I_NEW, I_CLS), MRTC_ICE_CONNECTION_NEW);
    CHECK_ICE(ice2(I_CLS, I_CLS), MRTC_ICE_CONNECTION_NEW);
    /* checking: any new or checking. */
    CHECK_ICE(ice2(I_CHK, I_CHK), MRTC_ICE_CONNECTION_CHECKING);
    CHECK_ICE(ice2(I_NEW, I_CON), MRTC_ICE_CONNECTION_CHECKING);
    CHECK_ICE(ice2(I_CMP, I_CHK), MRTC_ICE_CONNECTION_CHECKING);
    CHECK_ICE(ice2(I_CHK, I_CLS), MRTC_ICE_CONNECTION_CHECKING);
    /* completed: all completed or closed. */
    CHECK_ICE(ice2(I_CMP, I_CMP), MRTC_ICE_CONNECTION_COMPLETED);
    CHECK_ICE(ice2(I_CMP, I_CLS), MRTC_ICE_CONNECTION_COMPLETED);
    /* connected: all connected, completed or closed. */
    CHECK_ICE(ice2(I_CON, I_CON), MRTC_ICE_CONNECTION_CONNECTED);
    CHECK_ICE(ice2(I_CON, I_CMP), MRTC_ICE_CONNECTION_CONNECTED);
    CHECK_ICE(ice2(I_CLS, I_CON), MRTC_ICE_CONNECTION_CONNECTED);
}

static mrtc_connection_state conn1(mrtc_ice_connection_state ice, mrtc_dtls_transport_state d)
{
    return mrtc_states_connection(false, ice, &d, 1);
}

static mrtc_connection_state conn2(mrtc_ice_connection_state ice, mrtc_dtls_transport_state a,
                                   mrtc_dtls_transport_state b)
{
    mrtc_dtls_transport_state d[2] = {a, b};
    return mrtc_states_connection(false, ice, d, 2);
}

/* One test per row of the RTCPeerConnectionState table. */
static void test_connection_rows(void)
{
    /* closed */
    CHECK_CONN(mrtc_states_connection(true, MRTC_ICE_CONNECTION_CONNECTED, NULL, 0),
               MRTC_CONNECTION_CLOSED);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_CLOSED, D_CON), MRTC_CONNECTION_CLOSED);
    /* failed: ICE failed, or any DTLS failed (even with ICE connected or disconnected). */
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_FAILED, D_CON), MRTC_CONNECTION_FAILED);
    CHECK_CONN(conn2(MRTC_ICE_CONNECTION_CONNECTED, D_CON, D_FLD), MRTC_CONNECTION_FAILED);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_DISCONNECTED, D_FLD), MRTC_CONNECTION_FAILED);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_NEW, D_FLD), MRTC_CONNECTION_FAILED);
    /* disconnected */
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_DISCONNECTED, D_CON), MRTC_CONNECTION_DISCONNECTED);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_DISCONNECTED, D_NEW), MRTC_CONNECTION_DISCONNECTED);
    /* new: ICE new and DTLS all new/closed, or no transports. */
    CHECK_CONN(mrtc_states_connection(false, MRTC_ICE_CONNECTION_NEW, NULL, 0),
               MRTC_CONNECTION_NEW);
    CHECK_CONN(conn2(MRTC_ICE_CONNECTION_NEW, D_NEW, D_CLS), MRTC_CONNECTION_NEW);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_NEW, D_CNG), MRTC_CONNECTION_CONNECTING);
    /* connected: ICE connected and DTLS all connected/closed. */
    CHECK_CONN(conn2(MRTC_ICE_CONNECTION_CONNECTED, D_CON, D_CLS), MRTC_CONNECTION_CONNECTED);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_CONNECTED, D_CON), MRTC_CONNECTION_CONNECTED);
    /* connecting: everything else. ICE connected while DTLS is still new (the state of this
     * library until DTLS exists) is connecting. */
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_CONNECTED, D_NEW), MRTC_CONNECTION_CONNECTING);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_CONNECTED, D_CNG), MRTC_CONNECTION_CONNECTING);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_CHECKING, D_NEW), MRTC_CONNECTION_CONNECTING);
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_COMPLETED, D_NEW), MRTC_CONNECTION_CONNECTING);
    /* ICE "completed" with DTLS connected matches no rule of the table (w3c/webrtc-pc#2827);
     * browsers say "connected". */
    CHECK_CONN(conn1(MRTC_ICE_CONNECTION_COMPLETED, D_CON), MRTC_CONNECTION_CONNECTED);
    CHECK_CONN(conn2(MRTC_ICE_CONNECTION_COMPLETED, D_CON, D_CLS), MRTC_CONNECTION_CONNECTED);
}

static void test_gathering_rows(void)
{
    mrtc_gathering_state g[3];
    CHECK_GATH(mrtc_states_gathering(NULL, 0), MRTC_GATHERING_NEW);
    g[0] = MRTC_GATHERING_NEW;
    g[1] = MRTC_GATHERING_COMPLETE;
    CHECK_GATH(mrtc_states_gathering(g, 2), MRTC_GATHERING_NEW);
    g[2] = MRTC_GATHERING_GATHERING;
    CHECK_GATH(mrtc_states_gathering(g, 3), MRTC_GATHERING_GATHERING);
    g[0] = MRTC_GATHERING_COMPLETE;
    CHECK_GATH(mrtc_states_gathering(g, 2), MRTC_GATHERING_COMPLETE);
    CHECK_GATH(mrtc_states_gathering(g, 1), MRTC_GATHERING_COMPLETE);
}

/* Oracle for RTCIceConnectionState: rank each transport state by how bad it is and take the
 * worst, with the W3C special cases spelled out separately (closed transports are ignored
 * unless all are closed; "new" next to a started transport means "checking"; "completed"
 * needs every live transport completed). Written from the ordering, not from the table, so
 * it checks the table implementation independently. */
static mrtc_ice_connection_state oracle_ice(const mrtc_ice_transport_state *s, size_t n)
{
    int n_live = 0, n_new = 0, n_chk = 0, n_con = 0, n_cmp = 0, n_dis = 0, n_fld = 0;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case I_NEW:
            n_new++;
            break;
        case I_CHK:
            n_chk++;
            break;
        case I_CON:
            n_con++;
            break;
        case I_CMP:
            n_cmp++;
            break;
        case I_DIS:
            n_dis++;
            break;
        case I_FLD:
            n_fld++;
            break;
        case I_CLS:
            continue;
        }
        n_live++;
    }
    if (n_fld)
        return MRTC_ICE_CONNECTION_FAILED;
    if (n_dis)
        return MRTC_ICE_CONNECTION_DISCONNECTED;
    if (n_live == n_new)
        return MRTC_ICE_CONNECTION_NEW;
    if (n_new || n_chk)
        return MRTC_ICE_CONNECTION_CHECKING;
    if (n_live == n_cmp)
        return MRTC_ICE_CONNECTION_COMPLETED;
    return n_con + n_cmp == n_live ? MRTC_ICE_CONNECTION_CONNECTED : MRTC_ICE_CONNECTION_NEW;
}

static mrtc_connection_state oracle_conn(mrtc_ice_connection_state ice,
                                         const mrtc_dtls_transport_state *d, size_t n)
{
    int n_fld = 0, n_new_or_closed = 0, n_con_or_closed = 0;
    for (size_t i = 0; i < n; i++) {
        n_fld += d[i] == D_FLD;
        n_new_or_closed += d[i] == D_NEW || d[i] == D_CLS;
        n_con_or_closed += d[i] == D_CON || d[i] == D_CLS;
    }
    if (ice == MRTC_ICE_CONNECTION_CLOSED)
        return MRTC_CONNECTION_CLOSED;
    if (ice == MRTC_ICE_CONNECTION_FAILED || n_fld)
        return MRTC_CONNECTION_FAILED;
    if (ice == MRTC_ICE_CONNECTION_DISCONNECTED)
        return MRTC_CONNECTION_DISCONNECTED;
    if (ice == MRTC_ICE_CONNECTION_NEW && n_new_or_closed == (int)n)
        return MRTC_CONNECTION_NEW;
    if ((ice == MRTC_ICE_CONNECTION_CONNECTED || ice == MRTC_ICE_CONNECTION_COMPLETED) &&
        n_con_or_closed == (int)n)
        return MRTC_CONNECTION_CONNECTED;
    return MRTC_CONNECTION_CONNECTING;
}

/* Every combination of 0..3 ICE transports (7^3) and, for each derived ICE state, every
 * combination of 0..3 DTLS transports (5^3). */
static void test_exhaustive(void)
{
    int mismatches = 0;
    for (size_t n = 0; n <= 3; n++) {
        size_t combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= 7;
        for (size_t c = 0; c < combos; c++) {
            mrtc_ice_transport_state s[3];
            size_t v = c;
            for (size_t i = 0; i < n; i++, v /= 7)
                s[i] = (mrtc_ice_transport_state)(v % 7);
            mrtc_ice_connection_state got = mrtc_states_ice_connection(false, s, n);
            mrtc_ice_connection_state want = oracle_ice(s, n);
            if (got != want && mismatches++ < 5)
                CHECK_ICE(got, want);
            CHECK_ICE(mrtc_states_ice_connection(true, s, n), MRTC_ICE_CONNECTION_CLOSED);
        }
    }
    for (int ice = 0; ice <= MRTC_ICE_CONNECTION_CLOSED; ice++) {
        for (size_t n = 0; n <= 3; n++) {
            size_t combos = 1;
            for (size_t i = 0; i < n; i++)
                combos *= 5;
            for (size_t c = 0; c < combos; c++) {
                mrtc_dtls_transport_state d[3];
                size_t v = c;
                for (size_t i = 0; i < n; i++, v /= 5)
                    d[i] = (mrtc_dtls_transport_state)(v % 5);
                mrtc_connection_state got =
                    mrtc_states_connection(false, (mrtc_ice_connection_state)ice, d, n);
                mrtc_connection_state want = oracle_conn((mrtc_ice_connection_state)ice, d, n);
                if (got != want && mismatches++ < 10)
                    CHECK_CONN(got, want);
            }
        }
    }
    CHECK_EQ(mismatches, 0);
}

/* The gathering states over every combination of up to four transports. */
static void test_gathering_exhaustive(void)
{
    for (size_t n = 0; n <= 4; n++) {
        size_t combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= 3;
        for (size_t c = 0; c < combos; c++) {
            mrtc_gathering_state g[4];
            int n_new = 0, n_gathering = 0;
            size_t v = c;
            for (size_t i = 0; i < n; i++, v /= 3) {
                g[i] = (mrtc_gathering_state)(v % 3);
                n_new += g[i] == MRTC_GATHERING_NEW;
                n_gathering += g[i] == MRTC_GATHERING_GATHERING;
            }
            mrtc_gathering_state want = n_gathering       ? MRTC_GATHERING_GATHERING
                                        : n == 0 || n_new ? MRTC_GATHERING_NEW
                                                          : MRTC_GATHERING_COMPLETE;
            CHECK_GATH(mrtc_states_gathering(g, n), want);
        }
    }
}

/* The honest connection state of this library before DTLS exists: one ICE transport with
 * its DTLS transport in "new" never derives "connected". */
static void test_no_dtls_yet(void)
{
    const mrtc_ice_transport_state walk[] = {I_NEW, I_CHK, I_CON, I_CMP, I_DIS, I_FLD};
    mrtc_dtls_transport_state d = D_NEW;
    for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++) {
        mrtc_ice_connection_state ice = mrtc_states_ice_connection(false, &walk[i], 1);
        CHECK(mrtc_states_connection(false, ice, &d, 1) != MRTC_CONNECTION_CONNECTED);
    }
}

static void test_names(void)
{
    CHECK_STR(mrtc_signaling_state_name(MRTC_SIGNALING_STABLE), "stable");
    CHECK_STR(mrtc_signaling_state_name(MRTC_SIGNALING_HAVE_LOCAL_OFFER), "have-local-offer");
    CHECK_STR(mrtc_signaling_state_name(MRTC_SIGNALING_HAVE_REMOTE_OFFER), "have-remote-offer");
    CHECK_STR(mrtc_signaling_state_name(MRTC_SIGNALING_HAVE_LOCAL_PRANSWER), "have-local-pranswer");
    CHECK_STR(mrtc_signaling_state_name(MRTC_SIGNALING_HAVE_REMOTE_PRANSWER),
              "have-remote-pranswer");
    CHECK_STR(mrtc_signaling_state_name(MRTC_SIGNALING_CLOSED), "closed");
    CHECK_STR(mrtc_signaling_state_name((mrtc_signaling_state)99), "?");
    CHECK_STR(mrtc_gathering_state_name(MRTC_GATHERING_COMPLETE), "complete");
    CHECK_STR(mrtc_ice_transport_state_name(I_DIS), "disconnected");
    CHECK_STR(mrtc_ice_connection_state_name(MRTC_ICE_CONNECTION_COMPLETED), "completed");
    CHECK_STR(mrtc_dtls_transport_state_name(D_CNG), "connecting");
    CHECK_STR(mrtc_connection_state_name(MRTC_CONNECTION_CONNECTING), "connecting");
    CHECK_STR(mrtc_connection_state_name((mrtc_connection_state)-1), "?");
}

int main(void)
{
    RUN(test_ice_connection_rows);
    RUN(test_connection_rows);
    RUN(test_gathering_rows);
    RUN(test_exhaustive);
    RUN(test_gathering_exhaustive);
    RUN(test_no_dtls_yet);
    RUN(test_names);
    return test_finish();
}
