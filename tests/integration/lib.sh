# Shared helpers for tests/integration/test_*.sh (sourced, not run).
#
# Real processes on 127.0.0.1: the room server listens on a port the kernel picks (--port 0)
# and its log says which; every process started here is killed when the test exits, and on
# failure the logs of every process are printed. Waits poll a condition with a deadline
# instead of sleeping a fixed time.
#
#   MESHRTC_BUILD   the build directory (ctest sets it; default: build)
#   KEEP_WORK=1     keep the temporary directory with logs and reports

set -euo pipefail

ROOT=$(pwd)
BUILD=${MESHRTC_BUILD:-$ROOT/build}
SIGNAL_BIN=$BUILD/apps/meshrtc-signal
CALL_BIN=$BUILD/apps/call/meshrtc-call
for bin in "$SIGNAL_BIN" "$CALL_BIN"; do
  [ -x "$bin" ] || { echo "missing $bin (build first: scripts/build)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/meshrtc-it.XXXXXX")
PIDS=()
NAMES=()
export MESHRTC_CALL_LEAKCHECK=1 # meshrtc-call exits 1 if a block is still allocated at exit

dump_logs() {
  local f
  for f in "$WORK"/*.out "$WORK"/*.err "$WORK"/*.log; do
    [ -s "$f" ] || continue
    echo "---- ${f##*/}"
    tail -n 60 "$f"
  done
}

cleanup() {
  local rc=$? p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 40); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.05
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ $rc != 0 ]; then
    echo "test failed (status $rc); logs:" >&2
    dump_logs >&2
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds, fails after SECONDS.
wait_for() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for $what"
    sleep 0.05
  done
}

# wait_exit PID SECONDS: waits for a child to end and sets EXIT_STATUS to its exit status;
# fails when it is still running after SECONDS. (Not in $(...): it must run in this shell.)
wait_exit() {
  local pid=$1 secs=$2
  local deadline=$((SECONDS + secs))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      kill -KILL "$pid" 2>/dev/null || true
      fail "process $pid still running after ${secs}s"
    fi
    sleep 0.05
  done
  EXIT_STATUS=0
  wait "$pid" || EXIT_STATUS=$?
}

# start_signal NAME [ARGS...]: starts meshrtc-signal on a free port; sets SIGNAL_PID and
# SIGNAL_URL (ws://127.0.0.1:PORT/ws).
start_signal() {
  local name=$1
  shift
  "$SIGNAL_BIN" --host 127.0.0.1 --port 0 "$@" 2>"$WORK/$name.log" &
  SIGNAL_PID=$!
  PIDS+=("$SIGNAL_PID")
  wait_for 10 "$name to listen" grep -q 'listening on ws://' "$WORK/$name.log"
  SIGNAL_URL=$(grep -o 'ws://[^ ]*/ws' "$WORK/$name.log" | head -n 1)
}

# start_call NAME [ARGS...]: starts meshrtc-call as NAME on loopback against SIGNAL_URL;
# stdout in $WORK/NAME.out, stderr in $WORK/NAME.err; sets CALL_PID.
start_call() {
  local name=$1
  shift
  "$CALL_BIN" --signal "$SIGNAL_URL" --name "$name" --ice-allow 127.0.0.1 "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  CALL_PID=$!
  PIDS+=("$CALL_PID")
}

# joined NAME: true once NAME printed its welcome line.
joined() {
  grep -q 'joined room' "$WORK/$1.out"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on (bound, then released).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
