#!/usr/bin/env bash
# meshrtc-signal's command line: bad arguments print one line and exit 2; --help exits 0;
# a running server reports where it listens, refuses a busy port with exit 1, and exits 0 on
# SIGTERM and SIGINT. Reads the server's stderr through a FIFO with timeouts (no sleeps).
set -u
bin="${MESHRTC_BUILD:-build}/apps/meshrtc-signal"
[ -x "$bin" ] || { echo "missing $bin (set MESHRTC_BUILD)"; exit 1; }
fails=0
pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_bad() { # expected-substring args...
  local want="$1"; shift
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$tmp/err")
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$want" "$tmp/err"; then
    echo "FAIL: meshrtc-signal $* -> exit $rc, stderr: $(cat "$tmp/err")"
    fails=$((fails + 1))
  else
    pass=$((pass + 1))
  fi
}

check_bad "bad --port value 'abc'" --port abc
check_bad "bad --port value '70000'" --port 70000
check_bad "bad --port value '-1'" --port -1
check_bad "bad --port value ''" --port=
check_bad "bad --port value '80x'" --port 80x
check_bad "--port needs a value" --port
check_bad "unknown option '--prot'" --prot 1
check_bad "bad --max-peers value '0'" --max-peers 0
check_bad "bad --turn-ttl value 'soon'" --turn-ttl soon
check_bad "bad --room value 'lobby'" --room lobby
check_bad "bad room name" --room "a b:1" --port 0
check_bad "bad ICE server URL" --ice-server http://example.org --port 0

if "$bin" --help >"$tmp/out" 2>&1 && grep -q -- "--turn-secret" "$tmp/out"; then
  pass=$((pass + 1))
else
  echo "FAIL: --help"; fails=$((fails + 1))
fi

# A running server: the listening line, a busy port, then a clean exit on each signal.
for sig in TERM INT; do
  mkfifo "$tmp/fifo"
  "$bin" --port 0 --ping-interval-ms 50 --idle-timeout-ms 200 2>"$tmp/fifo" &
  pid=$!
  exec 3<"$tmp/fifo"
  line=""
  read -r -t 10 -u 3 line
  port=$(printf '%s\n' "$line" | sed -n 's|.*listening on ws://127.0.0.1:\([0-9]*\)/ws$|\1|p')
  if [ -z "$port" ]; then
    echo "FAIL: no listening line (got: $line)"; fails=$((fails + 1))
  else
    pass=$((pass + 1))
    "$bin" --port "$port" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "address already in use" "$tmp/err"; then
      pass=$((pass + 1))
    else
      echo "FAIL: second server on port $port -> exit $rc: $(cat "$tmp/err")"
      fails=$((fails + 1))
    fi
  fi
  kill -s "$sig" "$pid"
  rest=$(timeout 10 cat <&3)
  exec 3<&-
  wait "$pid"
  rc=$?
  if [ $rc -eq 0 ] && printf '%s\n' "$rest" | grep -q "shutting down (SIG$sig)"; then
    pass=$((pass + 1))
  else
    echo "FAIL: SIG$sig -> exit $rc, log: $rest"; fails=$((fails + 1))
  fi
  rm -f "$tmp/fifo"
done

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
