#!/usr/bin/env bash
# SDP over HTTP and WHIP in meshrtc-call (docs/call.md, "SDP over HTTP and WHIP").
#
# anna listens (--listen http://127.0.0.1:0/offer; tone 440 Hz, a 320x240@30 pattern) and
# records; ben posts his offer to her (--signal http://...; tone 880 Hz, a 320x240@30
# pattern) and records. Each chats one line from stdin to the other. While they talk, bad
# requests go to anna's server: a GET (405), another path (404), a body that is not JSON, an
# answer instead of an offer, an offer whose SDP the library refuses (400 with the reason),
# a 300 KB body (413), a malformed request line and a chunked body (400), a connection
# that closes without a byte; anna must answer each and create no peer. Then carl, a WHIP
# client (--signal whip+http://... --bearer), sends a 660 Hz tone through a WHIP server
# written here in Python (standard library): it checks the bearer token, forwards the SDP
# offer to anna as JSON and returns her answer as 201 Created with a Location, and logs the
# DELETE carl sends on exit. anna's peers are p1 (ben) and p2 (carl), nothing else.
# meshrtc-media-check reads every recording (tone, size, frames, decodable, the pattern's
# counters). Also: bad arguments exit 2, an unreachable /offer exits 3, a WHIP server that
# refuses the token exits 3.
. "$(dirname "$0")/lib.sh"

CHECK_BIN=$BUILD/tests/meshrtc-media-check
[ -x "$CHECK_BIN" ] || fail "missing $CHECK_BIN (build the tests first)"

# ---- bad arguments: status 2, one line ----
bad_args() {
  local want=$1
  shift
  local st=0
  "$CALL_BIN" "$@" >"$WORK/bad.out" 2>"$WORK/bad.err" || st=$?
  [ "$st" = 2 ] || fail "meshrtc-call $* exited $st, expected 2"
  grep -qF -- "$want" "$WORK/bad.err" || fail "meshrtc-call $*: stderr lacks '$want'"
  [ "$(wc -l <"$WORK/bad.err")" = 1 ] || fail "meshrtc-call $*: stderr is not one line"
}
bad_args "bad --signal value 'http://' (expected http://HOST:PORT/PATH)" --signal http://
bad_args "bad --signal value 'whip+http://:80/x'" --signal whip+http://:80/x
bad_args "bad --listen value 'http://localhost:8080/offer' (expected http://ADDRESS:PORT/PATH" \
  --listen http://localhost:8080/offer
bad_args "--signal and --listen exclude each other" --listen http://127.0.0.1:0/offer \
  --signal http://127.0.0.1:1/offer
bad_args "--room and --code are for ws:// room servers only" --signal http://127.0.0.1:1/offer \
  --room x
bad_args "--bearer needs --signal whip+http://..." --signal http://127.0.0.1:1/offer --bearer t
bad_args "bad --bearer value (spaces or control characters)" --signal whip+http://127.0.0.1:1/w \
  --bearer "a b"
bad_args "--signal is required" --bearer t

# ---- nobody listening: status 3, one line ----
PORT=$(free_port)
st=0
"$CALL_BIN" --signal "http://127.0.0.1:$PORT/offer" --ice-allow 127.0.0.1 --duration 5 \
  >"$WORK/nobody.out" 2>"$WORK/nobody.err" || st=$?
[ "$st" = 3 ] || fail "posting to a closed port exited $st, expected 3"
grep -q "cannot connect to http://127.0.0.1:$PORT: connection refused" "$WORK/nobody.err" ||
  fail "posting to a closed port: $(cat "$WORK/nobody.err")"

# ---- anna listens ----
printf 'hello from anna\n' | "$CALL_BIN" --listen http://127.0.0.1:0/offer --ice-allow 127.0.0.1 \
  --audio tone:440 --video pattern:320x240@30 --record "$WORK/rec-anna" --report "$WORK/anna.json" \
  >"$WORK/anna.out" 2>"$WORK/anna.err" &
ANNA_PID=$!
PIDS+=("$ANNA_PID")
wait_for 10 "anna to listen" grep -q 'listening on http://' "$WORK/anna.out"
ANNA_URL=$(grep -o 'http://127.0.0.1:[0-9]*/offer' "$WORK/anna.out" | head -n 1)

# ---- ben posts his offer ----
printf 'hello from ben\n' | "$CALL_BIN" --signal "$ANNA_URL" --ice-allow 127.0.0.1 \
  --audio tone:880 --video pattern:320x240@30 --record "$WORK/rec-ben" --report "$WORK/ben.json" \
  --duration 9 >"$WORK/ben.out" 2>"$WORK/ben.err" &
BEN_PID=$!
PIDS+=("$BEN_PID")
wait_for 20 "ben to connect" grep -q 'p1 connection: connected' "$WORK/ben.out"

# ---- bad requests to anna while the call runs ----
python3 - "${ANNA_URL#http://}" >"$WORK/badreq.log" 2>&1 <<'EOF' || fail "bad requests: $(cat "$WORK/badreq.log")"
import socket, sys
hostport = sys.argv[1].split("/")[0]
host, port = hostport.split(":")
port = int(port)

def exchange(raw):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(raw)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    return data

def post(path, body, ctype="application/json"):
    return exchange(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                    % (path.encode(), ctype.encode(), len(body)) + body)

def expect(name, resp, status, reason=None):
    line = resp.split(b"\r\n", 1)[0].decode("latin-1")
    ok = line.startswith("HTTP/1.1 %d " % status)
    if ok and reason is not None:
        ok = reason.encode() in resp
    print("%-22s %s %s" % (name, "ok" if ok else "WRONG", resp[:300]))
    if not ok:
        sys.exit(1)

expect("GET", exchange(b"GET /offer HTTP/1.1\r\nHost: x\r\n\r\n"), 405)
expect("other path", post("/nope", b'{"type":"offer","sdp":"v=0"}'), 404)
expect("not JSON", post("/offer", b"v=0\r\n", "application/sdp"), 400, "not JSON")
expect("answer", post("/offer", b'{"type":"answer","sdp":"v=0\\r\\n"}'), 400, 'expected "offer"')
expect("no sdp", post("/offer", b'{"type":"offer"}'), 400, "\"sdp\"")
expect("bad SDP", post("/offer", b'{"type":"offer","sdp":"v=0\\r\\nhello\\r\\n"}'), 400, "offer refused")
expect("too large", post("/offer", b"x" * 300000), 413)
expect("bad request line", exchange(b"POST\r\n\r\n"), 400)
expect("chunked", exchange(b"POST /offer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400)
s = socket.create_connection((host, port), timeout=10)
s.close()
EOF

# ---- the WHIP server (standard-library Python): a gateway to anna ----
cat >"$WORK/whip.py" <<'EOF'
import http.server, json, sys, urllib.request
anna, token, log = sys.argv[1], sys.argv[2], open(sys.argv[3], "a", buffering=1)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, status, body=b"", ctype="text/plain", extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization")
        log.write("POST %s auth=%s type=%s\n" % (self.path, auth, self.headers.get("Content-Type")))
        if auth != "Bearer " + token:
            return self.reply(401, b"bad token\n")
        if self.headers.get("Content-Type") != "application/sdp" or not body.startswith(b"v=0"):
            return self.reply(415, b"expected application/sdp\n")
        req = urllib.request.Request(anna, data=json.dumps({"sdp": body.decode(), "type": "offer"}).encode(),
                                     headers={"Content-Type": "application/json"})
        answer = json.load(urllib.request.urlopen(req, timeout=10))
        self.reply(201, answer["sdp"].encode(), "application/sdp",
                   [("Location", "/whip/session/1"), ("ETag", '"1"')])
    def do_DELETE(self):
        log.write("DELETE %s auth=%s\n" % (self.path, self.headers.get("Authorization")))
        self.reply(200)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
log.write("listening %d\n" % srv.server_address[1])
srv.serve_forever()
EOF
python3 "$WORK/whip.py" "$ANNA_URL" s3cret "$WORK/whip.log" 2>"$WORK/whip.err" &
PIDS+=("$!")
wait_for 10 "the WHIP server to listen" grep -q '^listening' "$WORK/whip.log"
WHIP_URL="whip+http://127.0.0.1:$(awk '/^listening/ {print $2}' "$WORK/whip.log")/whip/endpoint"

# A wrong token: refused, status 3, nothing created.
st=0
"$CALL_BIN" --signal "$WHIP_URL" --bearer wrong --ice-allow 127.0.0.1 --duration 5 \
  >"$WORK/wrong.out" 2>"$WORK/wrong.err" || st=$?
[ "$st" = 3 ] || fail "WHIP with a wrong token exited $st, expected 3"
grep -q "offer refused by $WHIP_URL: 401 Unauthorized: bad token" "$WORK/wrong.err" ||
  fail "WHIP with a wrong token: $(cat "$WORK/wrong.err")"

# carl: sends a tone through WHIP, records anna, leaves before ben.
"$CALL_BIN" --signal "$WHIP_URL" --bearer s3cret --ice-allow 127.0.0.1 --audio tone:660 \
  --record "$WORK/rec-carl" --duration 5 >"$WORK/carl.out" 2>"$WORK/carl.err" &
CARL_PID=$!
PIDS+=("$CARL_PID")

wait_exit "$CARL_PID" 30
[ "$EXIT_STATUS" = 0 ] || fail "carl exited $EXIT_STATUS"
wait_exit "$BEN_PID" 30
[ "$EXIT_STATUS" = 0 ] || fail "ben exited $EXIT_STATUS"
kill -TERM "$ANNA_PID"
wait_exit "$ANNA_PID" 10
[ "$EXIT_STATUS" = 0 ] || fail "anna exited $EXIT_STATUS"

# ---- what happened ----
grep -q 'WHIP session deleted (200 OK)' "$WORK/carl.out" || fail "carl did not delete his session"
grep -q '^POST /whip/endpoint auth=Bearer s3cret type=application/sdp$' "$WORK/whip.log" ||
  fail "the WHIP server saw no good POST"
grep -q '^DELETE /whip/session/1 auth=Bearer s3cret$' "$WORK/whip.log" ||
  fail "the WHIP server saw no DELETE of the session"
grep -q 'hello from anna' "$WORK/ben.out" || fail "ben did not print anna's chat line"
grep -q '\[p1\] hello from ben' "$WORK/anna.out" || fail "anna did not print ben's chat line"
for bad in 'bad request to /offer: the body is not JSON' 'expected "offer"' 'offer refused'; do
  grep -qF "$bad" "$WORK/anna.err" || fail "anna did not warn: $bad"
done
python3 - "$WORK/anna.json" "$WORK/ben.json" <<'EOF' || fail "reports: see above"
import json, sys
anna, ben = (json.load(open(f)) for f in sys.argv[1:3])
ids = [p["id"] for p in anna["peers"]]
assert ids == ["p1", "p2"], "anna's peers: %r" % ids
for who, rep in (("anna", anna), ("ben", ben)):
    p1 = [p for p in rep["peers"] if p["id"] == "p1"][0]
    assert p1.get("ice_connected_ms") is not None, "%s: p1 never connected" % who
    kinds = sorted(t["kind"] + "/" + t["direction"] for t in p1.get("tracks", []))
    assert "audio/inbound" in kinds and "video/inbound" in kinds, "%s's tracks: %r" % (who, kinds)
assert [p["role"] for p in ben["peers"]] == ["offerer"], ben["peers"]
assert anna["peers"][0]["role"] == "answerer"
EOF

# ---- the recordings ----
check_audio() { # FILE HZ
  "$CHECK_BIN" wav "$1" --expect-hz "$2" --tolerance-hz 10 --skip-seconds 1 --max-gap-ms 1500 \
    >"$WORK/check.json" || fail "$1: $(cat "$WORK/check.json")"
  echo "  $1: $(cat "$WORK/check.json")"
}
check_video() { # FILE W H MIN_FRAMES
  "$CHECK_BIN" ivf "$1" --expect-width "$2" --expect-height "$3" --min-frames "$4" --decode \
    --max-decode-errors 0 --min-unique $(($4 * 9 / 10)) >"$WORK/check.json" ||
    fail "$1: $(cat "$WORK/check.json")"
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
sys.exit(0 if j["counter_read"] > 0 and j["counter_last"] > j["counter_first"] else 1)' \
    "$WORK/check.json" || fail "$1: the frame counters do not increase"
  echo "  $1: $(cat "$WORK/check.json")"
}
check_audio "$WORK/rec-anna/p1-audio.wav" 880
check_audio "$WORK/rec-ben/p1-audio.wav" 440
check_audio "$WORK/rec-anna/p2-audio.wav" 660
check_audio "$WORK/rec-carl/p1-audio.wav" 440
# About 8 s of 30 fps video each way: at least 100 frames (a loaded 2-core machine under
# ASan runs three encoders here; the gap bound above likewise only catches audio that stopped).
check_video "$WORK/rec-anna/p1-video.ivf" 320 240 100
check_video "$WORK/rec-ben/p1-video.ivf" 320 240 100
[ -s "$WORK/rec-carl/p1-video.ivf" ] || fail "carl did not record anna's video"
echo "test_call_http: ok"
