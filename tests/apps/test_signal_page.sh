#!/usr/bin/env bash
# The browser page meshrtc-signal serves (apps/signal/web, embedded at build time): GET /
# (also with a query string), /app.js and /style.css answer 200 with their content types
# and exactly the bytes of apps/signal/web; other paths get 404; the page references only
# its own assets (no CDN, no absolute URL, no web font or @import), loads its script and
# style sheet by absolute local path, carries the test hook, and the script parses (when
# node is installed). Reads the server's stderr through a FIFO with timeouts (no sleeps).
set -u
bin="${MESHRTC_BUILD:-build}/apps/meshrtc-signal"
[ -x "$bin" ] || { echo "missing $bin (set MESHRTC_BUILD)"; exit 1; }
web=apps/signal/web
[ -f "$web/index.html" ] || { echo "run from the repository root (no $web/index.html)"; exit 1; }
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

mkfifo "$tmp/fifo"
"$bin" --port 0 2>"$tmp/fifo" &
pid=$!
exec 3<"$tmp/fifo"
line="" page_line=""
read -r -t 10 -u 3 line
read -r -t 10 -u 3 page_line
port=$(printf '%s\n' "$line" | sed -n 's|.*listening on ws://127.0.0.1:\([0-9]*\)/ws$|\1|p')
if [ -z "$port" ]; then
  echo "FAIL: no listening line (got: $line)"
  exit 1
fi
cat <&3 >"$tmp/log" &
fails=0
case "$page_line" in
  *"browser page at http://127.0.0.1:$port/") ;;
  *) echo "FAIL: no page line (got: $page_line)"; fails=$((fails + 1)) ;;
esac

python3 - "$port" "$web" <<'PY' || fails=$((fails + 1))
import html.parser, re, sys, urllib.error, urllib.request

port, web = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
fails = []

def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()

want = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/?room=demo&name=alice&autojoin=1": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
bodies = {}
for path, (name, ctype) in want.items():
    status, got_type, body = get(path)
    with open(f"{web}/{name}", "rb") as f:
        src = f.read()
    if status != 200 or got_type != ctype:
        fails.append(f"GET {path}: {status} {got_type!r}, expected 200 {ctype!r}")
    elif body != src:
        fails.append(f"GET {path}: {len(body)} bytes differ from {web}/{name} ({len(src)} bytes)")
    bodies[name] = body.decode("utf-8", "replace")

for path in ["/index.html", "/nope", "/app.js/x", "/../apps/signal/web/app.js", "/ws/x"]:
    status, _, _ = get(path)
    if status != 404:
        fails.append(f"GET {path}: {status}, expected 404")

class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "action", "poster", "srcset", "data") and v is not None:
                self.refs.append((tag, k, v))

p = Refs()
p.feed(bodies["index.html"])
local = {"/app.js", "/style.css"}
seen = set()
for tag, k, v in p.refs:
    if v.startswith("data:"):
        continue
    if v not in local:
        fails.append(f"index.html <{tag} {k}={v!r}>: not one of the page's own assets {sorted(local)}")
    seen.add(v)
if seen != local:
    fails.append(f"index.html references {sorted(seen)}, expected {sorted(local)}")

# Nothing from outside: no absolute or protocol-relative URL, no CSS import or url().
for name, text in bodies.items():
    for m in re.finditer(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|wss?://[a-z0-9]", text):
        fails.append(f"{name}: external URL {m.group(0)!r}")
    if name.endswith(".css") and re.search(r"(?i)@import|url\(", text):
        fails.append(f"{name}: @import or url() (fetches something)")
    if re.search(r"(?i)\b(fetch|importScripts|XMLHttpRequest)\s*\(", text):
        fails.append(f"{name}: fetches something")

js = bodies["app.js"]
for needle in ["window.__meshrtc", "peers:", "selfId:", "chatLog:", "setCamera:", "setMic:",
               "joined:", "'chat'", "'/ws'", "'join'", "'signal'", "'leave'"]:
    if needle not in js:
        fails.append(f"app.js: missing {needle!r}")

for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY

if command -v node >/dev/null; then
  if ! node --check "$web/app.js" 2>"$tmp/node"; then
    echo "FAIL: app.js does not parse: $(cat "$tmp/node")"; fails=$((fails + 1))
  fi
fi

kill -s TERM "$pid"
wait "$pid"
rc=$?
pid=""
if [ $rc -ne 0 ]; then
  echo "FAIL: SIGTERM -> exit $rc"; fails=$((fails + 1))
fi
exec 3<&-

# TLS: --cert/--key serve the same page over https:// (and the WebSocket over wss://) with a
# self-signed certificate; one of the two alone, or a missing file, is a usage error (2).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }
"$bin" --port 0 --cert "$tmp/cert.pem" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: --cert without --key is not a usage error"; fails=$((fails + 1)); }
"$bin" --port 0 --cert "$tmp/nope.pem" --key "$tmp/key.pem" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a missing certificate file is not a usage error"; fails=$((fails + 1)); }
mkfifo "$tmp/fifo2"
"$bin" --port 0 --cert "$tmp/cert.pem" --key "$tmp/key.pem" 2>"$tmp/fifo2" &
pid=$!
exec 3<"$tmp/fifo2"
line=""
read -r -t 10 -u 3 line
tport=$(printf '%s\n' "$line" | sed -n 's|.*listening on wss://127.0.0.1:\([0-9]*\)/ws$|\1|p')
cat <&3 >"$tmp/log2" &
if [ -z "$tport" ]; then
  echo "FAIL: no wss listening line (got: $line)"; fails=$((fails + 1))
else
  python3 - "$tport" "$web" "$tmp/cert.pem" <<'PY' || fails=$((fails + 1))
import ssl, sys, urllib.request
port, web, cert = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cert)
ctx.check_hostname = False
with urllib.request.urlopen(f"https://127.0.0.1:{port}/", context=ctx, timeout=10) as r:
    body = r.read()
want = open(f"{web}/index.html", "rb").read()
if r.status != 200 or body != want:
    print("FAIL: https:// / did not serve index.html"); sys.exit(1)
PY
fi
kill -s TERM "$pid"
wait "$pid"
pid=""
exec 3<&-

if [ $fails -ne 0 ]; then
  echo "test_signal_page: $fails failure(s)"; exit 1
fi
echo "test_signal_page: ok"
