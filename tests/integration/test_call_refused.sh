#!/usr/bin/env bash
# meshrtc-call's failure paths, each a one-line error on stderr and a documented exit status
# (docs/call.md): a wrong meeting code (bad-code, 3, no report since it never joined), an
# unreachable server (3), a full room (room-full, 3), bad arguments (2); SIGTERM after joining
# (0, report written with the reason); the server going away mid-call (3, report written).
. "$(dirname "$0")/lib.sh"

# expect NAME STATUS PATTERN: NAME's exit status is STATUS and its stderr is exactly one line
# matching PATTERN (extended regex).
expect() {
  local name=$1 status=$2 pattern=$3
  [ "$EXIT_STATUS" = "$status" ] || fail "$name: exit status $EXIT_STATUS, expected $status"
  local lines
  lines=$(wc -l <"$WORK/$name.err")
  [ "$lines" = 1 ] || fail "$name: $lines lines on stderr, expected one"
  grep -Eq "$pattern" "$WORK/$name.err" || fail "$name: stderr does not match '$pattern'"
}

start_signal signal --room locked:421690 --max-peers 1

# A wrong meeting code is refused.
start_call badcode --room locked --code 000000 --report "$WORK/badcode.json"
wait_exit "$CALL_PID" 20
expect badcode 3 '^meshrtc-call: join refused: bad-code'
[ ! -e "$WORK/badcode.json" ] || fail "badcode wrote a report without having joined"

# No server at all.
PORT=$(free_port)
"$CALL_BIN" --signal "ws://127.0.0.1:$PORT/ws" --room any >"$WORK/unreachable.out" \
  2>"$WORK/unreachable.err" &
PIDS+=($!)
wait_exit $! 20
expect unreachable 3 "^meshrtc-call: .*127\.0\.0\.1:$PORT"

# A full room: the first participant holds it (the server allows one per room).
start_call holder --room locked --code 421690 --report "$WORK/holder.json"
HOLDER=$CALL_PID
wait_for 10 "holder to join" joined holder
start_call extra --room locked --code 421690
wait_exit "$CALL_PID" 20
expect extra 3 '^meshrtc-call: join refused: room-full'

# SIGTERM ends a joined call cleanly, with the report.
kill -TERM "$HOLDER"
wait_exit "$HOLDER" 20
[ "$EXIT_STATUS" = 0 ] || fail "holder exited with status $EXIT_STATUS after SIGTERM"
python3 - "$WORK/holder.json" <<'EOF' || fail "holder's report is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["version"] == 1 and r["self"]["room"] == "locked" and r["self"]["id"], r
assert r["exit"] == {"status": 0, "reason": "terminated (SIGTERM)"}, r["exit"]
assert r["peers"] == [], r["peers"]
EOF

# Bad arguments: exit 2, one line.
n=0
for args in "--room r" "--signal $SIGNAL_URL" "--signal http://x/ws --room r" \
  "--signal $SIGNAL_URL --room bad/room" "--signal $SIGNAL_URL --room r --duration abc" \
  "--signal $SIGNAL_URL --room r --duration 0" "--signal $SIGNAL_URL --room r --bogus" \
  "--signal $SIGNAL_URL --room r --ice-allow 10.0.0.0/99" \
  "--signal $SIGNAL_URL --room r --log nonsense" "--signal $SIGNAL_URL --room r stray" \
  "--signal $SIGNAL_URL --room"; do
  n=$((n + 1))
  # shellcheck disable=SC2086 # the arguments are split on purpose
  "$CALL_BIN" $args >"$WORK/args$n.out" 2>"$WORK/args$n.err" &
  PIDS+=($!)
  wait_exit $! 10
  expect "args$n" 2 '^meshrtc-call: .*\(see --help\)$'
done
"$CALL_BIN" --help >"$WORK/help.out" 2>&1 || fail "--help exited with status $?"
grep -q -- '--ice-allow' "$WORK/help.out" || fail "--help does not list --ice-allow"

# The server goes away while we are in a room: status 3, one line, and the report.
start_signal signal2
start_call orphan --room lonely --report "$WORK/orphan.json"
ORPHAN=$CALL_PID
wait_for 10 "orphan to join" joined orphan
kill -TERM "$SIGNAL_PID"
wait_exit "$ORPHAN" 20
expect orphan 3 '^meshrtc-call: signaling connection lost'
python3 - "$WORK/orphan.json" <<'EOF' || fail "orphan's report is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit"]["status"] == 3, r["exit"]
assert r["exit"]["reason"].startswith("signaling connection lost"), r["exit"]
EOF
echo "1 passed, 0 failed"
