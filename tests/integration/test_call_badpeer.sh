#!/usr/bin/env bash
# meshrtc-call against a misbehaving participant (relay_peer.py, "mallory"), checking:
# - perfect negotiation, impolite side: alice, in have-local-offer towards mallory, ignores
#   mallory's colliding offer and still completes her own negotiation;
# - bad input from a peer (malformed SDP, unknown description type, junk candidates, empty
#   signals) is logged on stderr and neither crashes bob nor disturbs his other peer;
# - candidates that arrive before the remote description are queued: mallory relays alice's
#   offer to bob with its candidate lines stripped, after the trickled candidates, so bob's
#   selected pair towards "mallory" can only have a host remote candidate if the queue worked;
# - SIGTERM with peers connected exits 0 and writes the report; a peer that left is kept.
. "$(dirname "$0")/lib.sh"

ROOM=bad
start_signal signal
start_call alice --room "$ROOM" --report "$WORK/alice.json"
ALICE=$CALL_PID
wait_for 10 "alice to join" joined alice

python3 "$(dirname "$0")/relay_peer.py" "$SIGNAL_URL" "$ROOM" mallory >"$WORK/mallory.out" \
  2>"$WORK/mallory.err" &
MALLORY=$!
PIDS+=("$MALLORY")
wait_for 10 "mallory's colliding offer" grep -q 'sent a colliding offer' "$WORK/mallory.out"
wait_for 10 "alice to ignore the colliding offer" \
  grep -q '(mallory) glare: ignoring the colliding offer (impolite)' "$WORK/alice.out"

start_call bob --room "$ROOM" --report "$WORK/bob.json"
BOB=$CALL_PID
wait_for 10 "bob to join" joined bob
connected() { grep -Eq "\(($2)\) ice: (connected|completed)$" "$WORK/$1.out"; }
wait_for 20 "bob to connect to alice" connected bob alice
wait_for 20 "bob to connect to alice through mallory's relay" connected bob mallory
wait_for 20 "alice to connect to bob" connected alice bob
wait_for 20 "alice to connect to bob through mallory's relay" connected alice mallory

kill -0 "$BOB" 2>/dev/null || fail "bob died"
kill -TERM "$BOB"
wait_exit "$BOB" 20
[ "$EXIT_STATUS" = 0 ] || fail "bob exited with status $EXIT_STATUS after SIGTERM"
wait_for 10 "alice to see bob leave" grep -q '(bob) left' "$WORK/alice.out"
kill -TERM "$ALICE"
wait_exit "$ALICE" 20
[ "$EXIT_STATUS" = 0 ] || fail "alice exited with status $EXIT_STATUS after SIGTERM"

# Every kind of garbage was reported, each on its own line.
for what in 'remote offer refused' 'malformed description ignored' \
  'malformed candidate ignored' 'signal without description or candidate ignored' \
  'remote candidate refused'; do
  grep -q "(mallory).*$what" "$WORK/bob.err" || fail "bob did not log '$what'"
done

python3 - "$WORK/alice.json" "$WORK/bob.json" <<'EOF' || fail "the reports are wrong"
import json, sys
alice, bob = (json.load(open(p)) for p in sys.argv[1:3])
for r, why in ((alice, "terminated (SIGTERM)"), (bob, "terminated (SIGTERM)")):
    assert r["exit"] == {"status": 0, "reason": why}, r["exit"]
pa = {p["name"]: p for p in alice["peers"]}
pb = {p["name"]: p for p in bob["peers"]}
assert sorted(pa) == ["bob", "mallory"] and sorted(pb) == ["alice", "mallory"], (pa, pb)
for peers in (pa, pb):
    for name, p in peers.items():
        assert "ice_connected_ms" in p and "selected_pair" in p, (name, p)
# alice offered to mallory and kept that role through the glare; bob answered "mallory".
assert pa["mallory"]["role"] == "offerer" and pb["mallory"]["role"] == "answerer"
assert pa["bob"]["role"] == "offerer" and pb["alice"]["role"] == "answerer"
# The relayed negotiation connected alice and bob to each other.
la, ra = pa["mallory"]["selected_pair"]["local"], pa["mallory"]["selected_pair"]["remote"]
lb, rb = pb["mallory"]["selected_pair"]["local"], pb["mallory"]["selected_pair"]["remote"]
assert (la["port"], ra["port"]) == (rb["port"], lb["port"]), (la, ra, lb, rb)
# Bob learnt alice's candidates only from the queue (the offer carried none).
assert rb["type"] == "host", rb
# Bob left: alice keeps him, with the closed states last.
last = [(s["kind"], s["state"]) for s in pa["bob"]["states"][-3:]]
assert last == [("signaling", "closed"), ("ice", "closed"), ("connection", "closed")], last
EOF
echo "1 passed, 0 failed"
