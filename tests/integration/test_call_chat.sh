#!/usr/bin/env bash
# Data channels of meshrtc-call on loopback (docs/call.md, "Chat" and "File transfer").
#
# Room "chat": alice, bob and carol (staggered joins), stdin of each a FIFO. Once every chat
# channel is open each gets one line on stdin and the two others print "[name] line"; bob
# sends a 50 MB random file with --send-file, alice and carol receive it into --recv-dir
# (created by them). The SHA-256 bob prints, the ones the receivers print and sha256sum of
# the saved files all equal the file's; nothing else is left in the directories.
# Room "echo", at the same time: dave and erin both --echo, dave --send-messages 50, erin
# --send-messages 100: each gets exactly its K echoes back and the counters in the reports
# show no echo was echoed. dave also sends a file announced as "../evil.bin" (the test hook
# MESHRTC_CALL_TEST_SEND_AS): erin refuses it and nothing is written outside (or inside) her
# directory. All five end on SIGTERM with status 0 and no leak; the reports are checked by
# check_reports.py (mesh) and check_dc_reports.py (datachannel and files).
# Also: bad values of the new options exit 2 with one line on stderr.
. "$(dirname "$0")/lib.sh"

HERE=$(dirname "$0")
SIZE=52428800

# ---- bad arguments: status 2, one line ----
bad_args() {
  local want=$1
  shift
  local st=0
  "$CALL_BIN" --signal ws://127.0.0.1:9/ws --room x "$@" >"$WORK/bad.out" 2>"$WORK/bad.err" ||
    st=$?
  [ "$st" = 2 ] || fail "meshrtc-call $* exited $st, expected 2"
  [ "$(wc -l <"$WORK/bad.err")" = 1 ] || fail "meshrtc-call $*: stderr is not one line"
  grep -q -- "$want" "$WORK/bad.err" || fail "meshrtc-call $*: stderr lacks '$want'"
}
bad_args "bad --send-messages value 'abc'" --send-messages abc
bad_args "bad --send-messages value '0'" --send-messages 0
bad_args "bad --send-messages value '-5'" --send-messages -5
bad_args "bad --send-file value" --send-file "$WORK/missing.bin"
bad_args "not a regular file" --send-file "$WORK"
bad_args "bad --recv-dir value" --recv-dir /dev/null/x
bad_args "--echo takes no value" --echo=yes
echo data >"$WORK/plainfile"
bad_args "not a directory" --recv-dir "$WORK/plainfile"

# ---- the rooms ----
head -c "$SIZE" /dev/urandom >"$WORK/big.bin"
WANT=$(sha256sum "$WORK/big.bin" | cut -d' ' -f1)
echo "small file" >"$WORK/small.bin"
start_signal signal

declare -A IN # name -> fd of the write end of its stdin FIFO

# start_chat NAME ARGS...: like start_call, with stdin from the FIFO $WORK/NAME.in (opened
# read-write here so neither side blocks and the writer stays open).
start_chat() {
  local name=$1 fd
  shift
  mkfifo "$WORK/$name.in"
  exec {fd}<>"$WORK/$name.in"
  IN[$name]=$fd
  "$CALL_BIN" --signal "$SIGNAL_URL" --name "$name" --ice-allow 127.0.0.1 "$@" \
    <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  CALL_PID=$!
  PIDS+=("$CALL_PID")
}

# channels_open NAME N: NAME printed N "datachannel: open" lines.
channels_open() {
  [ "$(grep -c ' datachannel: open$' "$WORK/$1.out")" -ge "$2" ]
}

start_chat alice --room chat --recv-dir "$WORK/recv-alice" --report "$WORK/alice.json"
ALICE=$CALL_PID
wait_for 10 "alice to join" joined alice
start_chat bob --room chat --send-file "$WORK/big.bin" --report "$WORK/bob.json"
BOB=$CALL_PID
wait_for 10 "bob to join" joined bob
start_chat carol --room chat --recv-dir "$WORK/recv-carol" --report "$WORK/carol.json"
CAROL=$CALL_PID

# dave announces small.bin as "../evil.bin" (test hook read by dave's process only).
export MESHRTC_CALL_TEST_SEND_AS=../evil.bin
start_call dave --room echo --echo --send-messages 50 --send-file "$WORK/small.bin" \
  --report "$WORK/dave.json" </dev/null
DAVE=$CALL_PID
unset MESHRTC_CALL_TEST_SEND_AS
mkdir -p "$WORK/recv-erin/inner"
wait_for 10 "dave to join" joined dave
start_call erin --room echo --echo --send-messages 100 --recv-dir "$WORK/recv-erin/inner" \
  --report "$WORK/erin.json" </dev/null
ERIN=$CALL_PID

for who in alice bob carol; do
  wait_for 20 "$who's two chat channels to open" channels_open "$who" 2
done
for who in alice bob carol; do
  echo "hello from $who" >&"${IN[$who]}"
done
for who in alice bob carol; do
  for other in alice bob carol; do
    [ "$who" = "$other" ] && continue
    wait_for 10 "$other to print $who's line" grep -Fqx "[$who] hello from $who" "$WORK/$other.out"
  done
done

wait_for 45 "alice to receive the file" grep -q '^\[ *[0-9.]* ms\] file received from bob: ' \
  "$WORK/alice.out"
wait_for 45 "carol to receive the file" grep -q '^\[ *[0-9.]* ms\] file received from bob: ' \
  "$WORK/carol.out"
wait_for 10 "bob to get both receipts" test "$(grep -c 'file sent to ' "$WORK/bob.out")" = 2
wait_for 20 "dave's 50 echoes" grep -q 'chat: 50 echoes received$' "$WORK/dave.out"
wait_for 20 "erin's 100 echoes" grep -q 'chat: 100 echoes received$' "$WORK/erin.out"
wait_for 10 "erin to refuse ../evil.bin" grep -q "file from dave refused: bad file name '../evil.bin'" \
  "$WORK/erin.err"

for who in alice:$ALICE bob:$BOB carol:$CAROL dave:$DAVE erin:$ERIN; do
  kill -TERM "${who#*:}"
done
for who in alice:$ALICE bob:$BOB carol:$CAROL dave:$DAVE erin:$ERIN; do
  wait_exit "${who#*:}" 15
  [ "$EXIT_STATUS" = 0 ] || fail "${who%%:*} exited with status $EXIT_STATUS"
done

# ---- the file: every SHA-256 is the file's ----
for to in alice carol; do
  grep -Eq "file sent to $to: big\.bin $SIZE bytes sha256 $WANT in [0-9.]+ s \([0-9.]+ MB/s\)$" \
    "$WORK/bob.out" || fail "bob printed no 'file sent to $to' line with sha256 $WANT"
done
for who in alice carol; do
  grep -Eq "file received from bob: big\.bin $SIZE bytes sha256 $WANT in [0-9.]+ s \([0-9.]+ MB/s\), saved as $WORK/recv-$who/big\.bin$" \
    "$WORK/$who.out" || fail "$who printed no 'file received from bob' line with sha256 $WANT"
  got=$(sha256sum "$WORK/recv-$who/big.bin" | cut -d' ' -f1)
  [ "$got" = "$WANT" ] || fail "$who saved a file with sha256 $got, expected $WANT"
  left=$(ls -A "$WORK/recv-$who")
  [ "$left" = big.bin ] || fail "recv-$who holds: $left"
done
grep -h 'file sent to\|file received from' "$WORK"/{alice,bob,carol}.out | sed 's/^/  /'

# ---- the hostile name: refused, nothing written ----
[ ! -e "$WORK/recv-erin/evil.bin" ] || fail "erin wrote ../evil.bin outside her directory"
[ -z "$(ls -A "$WORK/recv-erin/inner")" ] || fail "erin's directory is not empty: $(ls -A "$WORK/recv-erin/inner")"
[ "$(ls -A "$WORK/recv-erin")" = inner ] || fail "recv-erin holds: $(ls -A "$WORK/recv-erin")"
grep -q "file \.\./evil\.bin refused by erin: bad file name '\.\./evil\.bin'" "$WORK/dave.err" ||
  fail "dave did not learn that erin refused the file"

# ---- the reports ----
python3 "$HERE/check_reports.py" chat --summary --expect-exit-reason "terminated (SIGTERM)" \
  alice="$WORK/alice.json" bob="$WORK/bob.json" carol="$WORK/carol.json" ||
  fail "the chat room's reports do not show a connected mesh"
python3 "$HERE/check_reports.py" echo --summary --expect-exit-reason "terminated (SIGTERM)" \
  dave="$WORK/dave.json" erin="$WORK/erin.json" ||
  fail "the echo room's reports do not show a connected pair"

# Each chat participant sent exactly its line ("hello from NAME") to each other one and
# received theirs; nobody echoed.
expect=()
for who in alice bob carol; do
  for other in alice bob carol; do
    [ "$who" = "$other" ] && continue
    expect+=(--expect "$who/$other.messages_sent=1" --expect "$who/$other.messages_received=1"
      --expect "$who/$other.bytes_sent=$((11 + ${#who}))"
      --expect "$who/$other.bytes_received=$((11 + ${#other}))"
      --expect "$who/$other.echoes_received=0")
  done
done
python3 "$HERE/check_dc_reports.py" alice="$WORK/alice.json" bob="$WORK/bob.json" \
  carol="$WORK/carol.json" "${expect[@]}" --file "bob:big.bin:$SIZE:$WANT" ||
  fail "the chat room's datachannel/files sections are wrong"

# Echo pair: msg-N bytes, echoes add "[echo] " (7 bytes) and are never echoed again.
read -r D_SENT_B D_RECV_B < <(python3 -c '
m = lambda k: sum(len(f"msg-{i}") for i in range(1, k + 1))
d, e = 50, 100
print(m(d) + 7 * e + m(e), m(e) + 7 * d + m(d))')
python3 "$HERE/check_dc_reports.py" dave="$WORK/dave.json" erin="$WORK/erin.json" --no-files \
  --expect dave/erin.messages_sent=150 --expect dave/erin.messages_received=150 \
  --expect dave/erin.echoes_received=50 --expect erin/dave.echoes_received=100 \
  --expect erin/dave.messages_sent=150 --expect erin/dave.messages_received=150 \
  --expect "dave/erin.bytes_sent=$D_SENT_B" --expect "dave/erin.bytes_received=$D_RECV_B" \
  --expect "erin/dave.bytes_sent=$D_RECV_B" --expect "erin/dave.bytes_received=$D_SENT_B" ||
  fail "the echo pair's counters are wrong"

echo "1 passed, 0 failed"
