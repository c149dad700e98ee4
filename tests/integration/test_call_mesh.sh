#!/usr/bin/env bash
# Three meshrtc-call processes in one room on loopback (staggered joins: each starts once the
# previous one has joined) with --duration and --report. From the three reports: every pair
# reached ICE connected on both sides with a selected pair on 127.0.0.1 (mirrored), each
# report lists exactly the two others, roles are consistent (exactly one offerer per pair,
# the earlier joiner per the mesh rule), every process exits 0 with "duration reached", and
# nothing is left allocated at exit.
. "$(dirname "$0")/lib.sh"

ROOM=mesh
start_signal signal

# Durations overlap by seconds: the calls are all in the room well after the last join.
start_call alice --room "$ROOM" --duration 4 --report "$WORK/alice.json"
ALICE=$CALL_PID
wait_for 10 "alice to join" joined alice
start_call bob --room "$ROOM" --duration 3.5 --report "$WORK/bob.json"
BOB=$CALL_PID
wait_for 10 "bob to join" joined bob
start_call carol --room "$ROOM" --duration 3 --report "$WORK/carol.json"
CAROL=$CALL_PID
wait_for 10 "carol to join" joined carol

for who in alice:$ALICE bob:$BOB carol:$CAROL; do
  wait_exit "${who#*:}" 30
  [ "$EXIT_STATUS" = 0 ] || fail "${who%%:*} exited with status $EXIT_STATUS"
done

# The state lines on stdout carry a timestamp and name the peer.
grep -Eq '^\[ *[0-9]+\.[0-9] ms\] p[0-9]+ \(bob\) ice: (connected|completed)$' "$WORK/alice.out" ||
  fail "alice printed no timestamped 'p? (bob) ice: connected' line"
grep -Eq '^\[ *[0-9]+\.[0-9] ms\] p[0-9]+ \(alice\) signaling: have-remote-offer$' \
  "$WORK/carol.out" || fail "carol printed no 'signaling: have-remote-offer' line for alice"

python3 "$(dirname "$0")/check_reports.py" "$ROOM" --summary \
  alice="$WORK/alice.json" bob="$WORK/bob.json" carol="$WORK/carol.json" ||
  fail "the reports do not show a connected mesh"
echo "1 passed, 0 failed"
