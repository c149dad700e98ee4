#!/usr/bin/env bash
# Media of meshrtc-call on loopback (docs/call.md, "Media").
#
# Room "media": alice (--audio tone:440 --video pattern:320x240@30) joins first and offers to
# bob (--audio tone:880 --video pattern, i.e. 640x480@30); both --record. After some 8 s (once
# each printed a stats line with decoded media of the other) each recording of the other is
# checked with meshrtc-media-check: alice's WAV of bob is 880 Hz,
# bob's of alice 440 Hz, without dropouts; the IVFs have the sender's size, at least 70% of
# 30 fps over the time they were received, decode, and the test pattern's frame counters
# read from them increase. Both printed "receiving audio/video" and stats lines, and their
# reports list tracks with packets both ways, the recordings and an rtt.
# Room "files", at the same time: dave (no media) joins first and offers receive-only
# transceivers; carol sends a 44.1 kHz WAV (1000 Hz) and a 160x120@15 Y4M, both generated
# here; erin (no media) joins last and answers carol's offer without tracks. dave and erin
# both record carol (one encoding, two peers): 1000 Hz, 160x120, about 15 fps. Nothing flows
# between dave and erin, and no stats line is printed for that pair.
# Room "devices", at the same time, through a private PulseAudio daemon (scripts/pulse: a
# null sink whose monitor is the default capture device): frank sends a 660 Hz tone; gina
# has --audio mic --play, so she plays frank's tone and her microphone hears it and sends it
# back: frank's recording of gina is 660 Hz. (Skipped, with a note, when PulseAudio cannot
# start.)
# Also: bad values of the media options, junk files and missing devices exit 2 with the
# reason on stderr.
. "$(dirname "$0")/lib.sh"

CHECK_BIN=$BUILD/tests/meshrtc-media-check
[ -x "$CHECK_BIN" ] || fail "missing $CHECK_BIN (build the tests first)"

# Processes that open audio devices: PortAudio's ALSA plugins allocate in their constructors
# and are unloaded, which sanitizer builds report as leaks with no symbol; a full unwind
# finds snd_dlopen in those stacks (as tests/unit/test_audio_dev.c does). No effect
# without sanitizers.
printf 'leak:snd_dlopen\n' >"$WORK/lsan.supp"
DEVICE_ENV=(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:malloc_context_size=64"
  LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$WORK/lsan.supp")

# ---- bad arguments: status 2 and the reason (one line when the library logs nothing) ----
bad_args() {
  local want=$1 lines=$2
  shift 2
  local st=0
  env "${DEVICE_ENV[@]}" "$CALL_BIN" --signal ws://127.0.0.1:9/ws --room x "$@" \
    >"$WORK/bad.out" 2>"$WORK/bad.err" || st=$?
  [ "$st" = 2 ] || fail "meshrtc-call $* exited $st, expected 2"
  grep -q -- "$want" "$WORK/bad.err" || fail "meshrtc-call $*: stderr lacks '$want'"
  if [ "$lines" = one ]; then
    [ "$(wc -l <"$WORK/bad.err")" = 1 ] || fail "meshrtc-call $*: stderr is not one line"
  fi
  [ ! -s "$WORK/bad.out" ] || fail "meshrtc-call $*: printed on stdout"
}
bad_args "bad --audio value 'beep' (expected none, tone\[:HZ\], mic\[:DEVICE\] or FILE.wav)" one \
  --audio beep
bad_args "bad --audio value 'tone:abc' (expected tone:HZ with HZ from 1 to 23999)" one \
  --audio tone:abc
bad_args "bad --video value 'pattern:641x480'" one --video pattern:641x480
bad_args "bad --video value 'pattern:640x480@0'" one --video pattern:640x480@0
bad_args "bad --video value 'camera'" one --video camera
bad_args "bad --audio value '$WORK/missing.wav' (No such file or directory)" one \
  --audio "$WORK/missing.wav"
bad_args "bad --video value '$WORK/missing.y4m' (No such file or directory)" one \
  --video "$WORK/missing.y4m"
bad_args "bad --record value '/dev/null/x'" one --record /dev/null/x
bad_args "--play takes no value" one --play=yes
# A file that exists but is not a WAV / Y4M: refused when the track is created, before joining
# (the library may log its own reason too).
echo "not a wav" >"$WORK/junk.wav"
echo "not a y4m" >"$WORK/junk.y4m"
bad_args "bad --audio value '$WORK/junk.wav' (not a 16-bit PCM WAV file" any --audio "$WORK/junk.wav"
bad_args "bad --video value '$WORK/junk.y4m' (not a 4:2:0 Y4M file" any --video "$WORK/junk.y4m"
# Devices that do not exist (whatever audio system this machine has).
bad_args "bad --audio value 'mic:no-such-device-meshrtc' (cannot open that capture device" any \
  --audio mic:no-such-device-meshrtc
bad_args "bad --play-device value 'no-such-device-meshrtc' (cannot open that output device" any \
  --play-device no-such-device-meshrtc

# ---- the media files for room "files" (standard-library Python) ----
python3 - "$WORK/in.wav" "$WORK/in.y4m" <<'EOF'
import math, struct, sys
wav, y4m = sys.argv[1:3]
rate, hz, secs = 44100, 1000, 3  # 3000 whole cycles: the loop is seamless
pcm = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / rate)))
               for i in range(rate * secs))
with open(wav, "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE")
    f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16))
    f.write(b"data" + struct.pack("<I", len(pcm)) + pcm)
w, h, n = 160, 120, 30
with open(y4m, "wb") as f:
    f.write(b"YUV4MPEG2 W%d H%d F15:1 Ip A1:1 C420jpeg\n" % (w, h))
    for k in range(n):  # a bar moving over a gradient: every frame differs
        y = bytearray((x * 255 // w) for _ in range(h) for x in range(w))
        for row in range(h):
            for x in range(k * 4, k * 4 + 8):
                y[row * w + (x % w)] = 235
        f.write(b"FRAME\n" + bytes(y) + bytes([90]) * (w * h // 4) + bytes([170]) * (w * h // 4))
EOF

# ---- a private PulseAudio for room "devices" ----
export MESHRTC_PULSE_DIR=$WORK/pulse MESHRTC_PULSE_EXIT_IDLE=60
PULSE_ENV=
# Stops the daemon, then lib.sh's cleanup with the test's status.
pulse_cleanup() {
  local rc=$?
  set +e
  scripts/pulse stop >/dev/null 2>&1
  (exit $rc)
  cleanup
}
if PULSE_ENV=$(scripts/pulse start 2>"$WORK/pulse.log"); then
  trap pulse_cleanup EXIT
else
  PULSE_ENV=
  echo "note: PulseAudio did not start ($(tail -n 1 "$WORK/pulse.log")): room \"devices\" skipped"
fi

# ---- the calls ----
# No --duration: on a busy machine joining and connecting can take seconds, so the calls run
# until every receiver printed a stats line showing decoded media (the first comes 5 s after
# its process started), then all get SIGTERM.
start_signal signal
start_call alice --room media --audio tone:440 --video pattern:320x240@30 \
  --record "$WORK/rec-alice" --report "$WORK/alice.json" </dev/null
ALICE=$CALL_PID
start_call dave --room files --record "$WORK/rec-dave" --report "$WORK/dave.json" </dev/null
DAVE=$CALL_PID
wait_for 10 "alice to join" joined alice
wait_for 10 "dave to join" joined dave
start_call bob --room media --audio tone:880 --video pattern --record "$WORK/rec-bob" \
  --report "$WORK/bob.json" </dev/null
BOB=$CALL_PID
start_call carol --room files --audio "$WORK/in.wav" --video "$WORK/in.y4m" \
  --report "$WORK/carol.json" </dev/null
CAROL=$CALL_PID
wait_for 10 "carol to join" joined carol
start_call erin --room files --record "$WORK/rec-erin" --report "$WORK/erin.json" </dev/null
ERIN=$CALL_PID
CALLS=(alice:$ALICE bob:$BOB carol:$CAROL dave:$DAVE erin:$ERIN)
if [ -n "$PULSE_ENV" ]; then
  start_call frank --room devices --audio tone:660 --record "$WORK/rec-frank" \
    --report "$WORK/frank.json" </dev/null
  CALLS+=("frank:$CALL_PID")
  wait_for 10 "frank to join" joined frank
  # gina alone gets the daemon's environment (and the sanitizer settings for devices).
  saved_env=$(export -p)
  eval "$PULSE_ENV"
  export "${DEVICE_ENV[@]}"
  start_call gina --room devices --audio mic --play --record "$WORK/rec-gina" \
    --report "$WORK/gina.json" </dev/null
  CALLS+=("gina:$CALL_PID")
  unset PULSE_SERVER PULSE_RUNTIME_PATH PULSE_STATE_PATH PULSE_CLIENTCONFIG ASAN_OPTIONS LSAN_OPTIONS
  eval "$saved_env"
fi

# stats_lines NAME OTHER REGEX N: NAME printed at least N stats lines about OTHER matching REGEX.
stats_lines() {
  [ "$(grep -Ec "^\[ *[0-9.]+ ms\] [^ ]+ \($2\): .*$3" "$WORK/$1.out")" -ge "$4" ]
}
VIDEO_IN='video in [0-9.]+ kbps [0-9.]+ fps [0-9]+x[0-9]+ decoded [1-9]'
AUDIO_IN='audio in [1-9][0-9.]* kbps'
for pair in alice:bob bob:alice dave:carol erin:carol; do
  wait_for 40 "${pair%%:*} to print stats of ${pair#*:}'s decoded media" \
    stats_lines "${pair%%:*}" "${pair#*:}" "$AUDIO_IN.*$VIDEO_IN" 1
done
if [ -n "$PULSE_ENV" ]; then
  # Two lines: at least 5 s of the tone that came back through gina's speaker and microphone.
  wait_for 40 "frank to print two stats lines of gina's audio" \
    stats_lines frank gina "$AUDIO_IN" 2
fi
for who in "${CALLS[@]}"; do
  kill -TERM "${who#*:}"
done
for who in "${CALLS[@]}"; do
  wait_exit "${who#*:}" 15
  [ "$EXIT_STATUS" = 0 ] || fail "${who%%:*} exited with status $EXIT_STATUS"
done

# ---- what they printed ----
id_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["self"]["id"])' "$1"; }
for who in alice bob carol dave erin; do
  declare "ID_$who=$(id_of "$WORK/$who.json")"
done
expect_line() { # NAME REGEX
  grep -Eq "$2" "$WORK/$1.out" || fail "$1 printed no line matching: $2"
}
for pair in alice:bob bob:alice dave:carol erin:carol; do
  me=${pair%%:*} other=${pair#*:}
  oid=ID_$other
  for kind in audio video; do
    expect_line "$me" "^\[ *[0-9.]+ ms\] ${!oid} \($other\): receiving $kind$"
  done
  expect_line "$me" "^\[ *[0-9.]+ ms\] ${!oid} \($other\): (.* \| )?audio in [0-9.]+ kbps lost -?[0-9]+ jitter [0-9.]+ ms"
  expect_line "$me" "^\[ *[0-9.]+ ms\] ${!oid} \($other\): .*video in [0-9.]+ kbps [0-9.]+ fps [0-9]+x[0-9]+ decoded [0-9]+ lost"
done
expect_line alice "^\[ *[0-9.]+ ms\] $ID_bob \(bob\): audio out [0-9.]+ kbps [0-9]+ pkts.* \| audio in .* \| video out [0-9.]+ kbps [0-9]+ pkts nacks [0-9]+ plis [0-9]+.* \| video in .*640x480"
expect_line bob "\| video in [0-9.]+ kbps [0-9.]+ fps 320x240 decoded"
# dave and erin send nothing: no "receiving" from them, no stats line between them.
for pair in carol:dave carol:erin dave:erin erin:dave; do
  me=${pair%%:*} other=${pair#*:}
  oid=ID_$other
  if grep -q "${!oid} ($other): receiving" "$WORK/$me.out"; then
    fail "$me received media from $other, who sends none"
  fi
done
if grep -Eq "$ID_erin \(erin\): (audio|video) " "$WORK/dave.out"; then
  fail "dave printed a stats line for erin, who sends nothing to him"
fi

# ---- the recordings ----
# frames_min NAME OTHER FPS: 70% of FPS over the time NAME received OTHER's video (from its
# "receiving video" line to the end of the call or OTHER leaving, whichever came first).
frames_min() {
  python3 - "$WORK/$1.out" "$2" "$3" <<'EOF'
import re, sys
out, other, fps = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = end = None
for line in open(out):
    m = re.match(r"\[ *([0-9.]+) ms\] (.*)$", line)
    if not m:
        continue
    t, text = float(m.group(1)), m.group(2)
    if start is None and re.search(r"\(%s\): receiving video$" % other, text):
        start = t
    if end is None and (re.search(r"\(%s\) left$" % other, text) or text.startswith("leaving:")):
        end = t
print(int(0.7 * fps * (end - start) / 1000.0))
EOF
}

# check_rec ME OTHER HZ W H FPS [--pattern]
check_rec() {
  local me=$1 other=$2 hz=$3 w=$4 h=$5 fps=$6 pattern=${7:-}
  local oid=ID_$other
  local base="$WORK/rec-$me/${!oid}"
  [ -s "$base-audio.wav" ] || fail "$me did not record $other's audio as $base-audio.wav"
  [ -s "$base-video.ivf" ] || fail "$me did not record $other's video as $base-video.ivf"
  # Real processes on a shared machine (and under ASan): a stalled loop can leave a hole of a
  # few frames, so the gap bound here only catches audio that stopped; the 20 ms bound is
  # checked on the virtual clock (tests/sim/test_media_sim.c).
  "$CHECK_BIN" wav "$base-audio.wav" --expect-hz "$hz" --tolerance-hz 10 --skip-seconds 1 \
    --max-gap-ms 1000 >"$WORK/$me-$other-wav.json" ||
    fail "$me's recording of $other's audio: $(cat "$WORK/$me-$other-wav.json")"
  local min
  min=$(frames_min "$me" "$other" "$fps")
  [ "$min" -gt 0 ] || fail "$me received $other's video for no time at all"
  local extra=()
  [ -n "$pattern" ] && extra=(--min-unique $((min * 9 / 10)))
  "$CHECK_BIN" ivf "$base-video.ivf" --expect-width "$w" --expect-height "$h" --min-frames "$min" \
    --decode --max-decode-errors 0 "${extra[@]}" >"$WORK/$me-$other-ivf.json" ||
    fail "$me's recording of $other's video: $(cat "$WORK/$me-$other-ivf.json")"
  if [ -n "$pattern" ]; then
    python3 - "$WORK/$me-$other-ivf.json" <<'EOF' || fail "$me's recording of $other: the frame counters do not increase"
import json, sys
j = json.load(open(sys.argv[1]))
ok = j["counter_read"] > 0 and j["counter_last"] > j["counter_first"]
sys.exit(0 if ok else 1)
EOF
  fi
  echo "  $me's recording of $other: $(cat "$WORK/$me-$other-wav.json")"
  echo "  $me's recording of $other: $(cat "$WORK/$me-$other-ivf.json")"
}
check_rec alice bob 880 640 480 30 --pattern
check_rec bob alice 440 320 240 30 --pattern
check_rec dave carol 1000 160 120 15
check_rec erin carol 1000 160 120 15
[ ! -e "$WORK/rec-carol" ] || fail "carol recorded without --record"
for who in dave erin; do
  left=$(ls "$WORK/rec-$who" | sort | tr '\n' ' ')
  oid=ID_carol
  [ "$left" = "${!oid}-audio.wav ${!oid}-video.ivf " ] || fail "rec-$who holds: $left"
done

# ---- the devices: the tone went through gina's speaker and microphone and came back ----
if [ -n "$PULSE_ENV" ]; then
  for who in frank:gina gina:frank; do
    me=${who%%:*} other=${who#*:}
    wav=$(ls "$WORK/rec-$me"/*-audio.wav 2>/dev/null | head -n 1)
    [ -n "$wav" ] || fail "$me did not record $other's audio"
    expect_line "$me" "\($other\): receiving audio$"
    "$CHECK_BIN" wav "$wav" --expect-hz 660 --tolerance-hz 10 --skip-seconds 2 \
      >"$WORK/$me-$other-wav.json" ||
      fail "$me's recording of $other's audio: $(cat "$WORK/$me-$other-wav.json")"
    echo "  $me's recording of $other: $(cat "$WORK/$me-$other-wav.json")"
  done
fi

# ---- the reports ----
python3 - "$WORK" <<'EOF' || fail "the reports' tracks are wrong"
import json, sys
work = sys.argv[1]
rep = {n: json.load(open(f"{work}/{n}.json")) for n in ("alice", "bob", "carol", "dave", "erin")}
ids = {n: r["self"]["id"] for n, r in rep.items()}
bad = []

def peer(me, other):
    for p in rep[me]["peers"]:
        if p["id"] == ids[other]:
            return p
    bad.append(f"{me}'s report has no entry for {other}")
    return {}

def tracks(me, other):
    return {(t["kind"], t["direction"]): t for t in peer(me, other).get("tracks", [])}

def expect(me, other, want, recorded):
    got = tracks(me, other)
    if set(got) != want:
        bad.append(f"{me}/{other}: tracks {sorted(got)}, expected {sorted(want)}")
    for (kind, direction), t in got.items():
        where = f"{me}/{other} {kind} {direction}"
        if t["codec"] != {"audio": "opus", "video": "VP8"}[kind]:
            bad.append(f"{where}: codec {t['codec']}")
        if t["packets"] <= 0 or t["bytes"] <= 0 or t.get("bitrate_kbps", 0) <= 0:
            bad.append(f"{where}: nothing flowed: {t}")
        if direction == "inbound":
            for k in ("packets_lost", "jitter_ms"):
                if k not in t:
                    bad.append(f"{where}: no {k}")
            if kind == "video" and not (t.get("frames_decoded", 0) > 0 and t.get("fps", 0) > 0
                                        and t.get("width", 0) > 0):
                bad.append(f"{where}: no decoded frames: {t}")
            rec = t.get("recording")
            ext = "wav" if kind == "audio" else "ivf"
            if recorded and (not rec or not rec.endswith(f"/{ids[other]}-{kind}.{ext}")):
                bad.append(f"{where}: recording {rec}")
            if not recorded and rec:
                bad.append(f"{where}: recording {rec} without --record")
    if want and "rtt_ms" not in peer(me, other) and any(d == "outbound" for _, d in want):
        bad.append(f"{me}/{other}: no rtt_ms")

both = {(k, d) for k in ("audio", "video") for d in ("inbound", "outbound")}
inbound = {(k, "inbound") for k in ("audio", "video")}
outbound = {(k, "outbound") for k in ("audio", "video")}
expect("alice", "bob", both, True)
expect("bob", "alice", both, True)
expect("carol", "dave", outbound, False)
expect("carol", "erin", outbound, False)
expect("dave", "carol", inbound, True)
expect("erin", "carol", inbound, True)
expect("dave", "erin", set(), True)
expect("erin", "dave", set(), True)
for me, other, size in (("bob", "alice", (320, 240)), ("alice", "bob", (640, 480)),
                        ("dave", "carol", (160, 120)), ("erin", "carol", (160, 120))):
    t = tracks(me, other).get(("video", "inbound"), {})
    if t and (t.get("width"), t.get("height")) != size:
        bad.append(f"{me} decoded {other}'s video at {t.get('width')}x{t.get('height')}")
for line in bad:
    print(line)
for me, other in (("alice", "bob"), ("dave", "carol")):
    for t in peer(me, other).get("tracks", []):
        print(f"  {me}/{other}: " + json.dumps(t))
sys.exit(1 if bad else 0)
EOF

echo "1 passed, 0 failed"
