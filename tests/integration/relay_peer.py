#!/usr/bin/env python3
"""A scripted misbehaving room participant ("mallory") for test_call_badpeer.sh.

usage: relay_peer.py ws://HOST:PORT/ws ROOM NAME

Speaks the room protocol (docs/signaling-protocol.md) over a minimal RFC 6455 client
(standard library only). It joins a room that holds exactly one participant A, then:
  1. receives A's offer (A offers to newcomers) and answers it with a colliding *offer* of
     garbage: A is the impolite side towards us, so it must ignore it (perfect negotiation);
  2. holds A's offer and candidates until a participant B joins; B is a newcomer, so we
     must offer to B: we send B garbage signals first (malformed SDP, bad types, junk
     candidates), then A's candidates, end-of-candidates, and only then A's offer with its
     candidate lines removed, so B can only learn A's candidates from the ones it queued
     before it had a remote description;
  3. from then on relays every signal between A and B, so A and B negotiate and connect to
     each other directly while each believes it talks to us.
Prints one line per step to stdout. Runs until the server closes the connection or SIGTERM.
"""
import base64
import json
import os
import socket
import sys
from urllib.parse import urlsplit


class WebSocket:
    def __init__(self, url):
        u = urlsplit(url)
        if u.scheme != "ws":
            raise SystemExit("only ws:// URLs")
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=30)
        self.sock.settimeout(None)
        self.buf = bytearray()
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {u.path or '/'} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"handshake refused: {head.splitlines()[0]!r}")
        self.buf = bytearray(rest)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _send_frame(self, opcode, payload):
        head = bytearray([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head.append(0x80 | n)
        elif n < 65536:
            head.append(0x80 | 126)
            head += n.to_bytes(2, "big")
        else:
            head.append(0x80 | 127)
            head += n.to_bytes(8, "big")
        mask = os.urandom(4)
        head += mask
        self.sock.sendall(bytes(head) + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, obj):
        self._send_frame(0x1, json.dumps(obj).encode())

    def recv(self):
        """The next text message as a parsed object; None when the connection closed."""
        message = bytearray()
        while True:
            try:
                b0, b1 = self._take(2)
            except EOFError:
                return None
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._take(2), "big")
            elif n == 127:
                n = int.from_bytes(self._take(8), "big")
            mask = self._take(4) if b1 & 0x80 else None
            payload = self._take(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                return None
            elif opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return json.loads(message.decode())


GARBAGE = [
    {"description": {"type": "offer", "sdp": "v=0\r\nthis is not a session description\r\n"}},
    {"description": {"type": "bogus", "sdp": "v=0\r\n"}},
    {"description": "offer"},
    {"candidate": {"candidate": "candidate:garbage", "sdpMid": "0", "sdpMLineIndex": 0}},
    {"candidate": {"candidate": 42}},
    {"candidate": "x"},
    {"nothing": "useful"},
]


def strip_candidates(sdp):
    keep = [ln for ln in sdp.split("\r\n")
            if not ln.startswith("a=candidate:") and ln != "a=end-of-candidates"]
    return "\r\n".join(keep)


def say(text):
    print(text, flush=True)


def main():
    url, room, name = sys.argv[1:4]
    ws = WebSocket(url)
    ws.send({"type": "join", "room": room, "name": name})
    a_id = b_id = None
    held = []
    relayed_from_b = 0
    while True:
        msg = ws.recv()
        if msg is None:
            say("connection closed")
            return 0
        t = msg.get("type")
        if t == "welcome":
            peers = msg.get("peers", [])
            if len(peers) != 1:
                raise SystemExit(f"expected exactly one participant in the room, got {peers}")
            a_id = peers[0]["id"]
            say(f"joined as {msg['id']}; A is {a_id}")
        elif t == "peer-joined" and b_id is None:
            b_id = msg["id"]
            say(f"B is {b_id}")
            for g in GARBAGE:
                ws.send({"type": "signal", "to": b_id, "data": g})
            say(f"sent {len(GARBAGE)} garbage signals to B")
            for d in held:
                if "candidate" in d:
                    ws.send({"type": "signal", "to": b_id, "data": d})
            for d in held:
                if "description" in d:
                    desc = dict(d["description"])
                    desc["sdp"] = strip_candidates(desc["sdp"])
                    ws.send({"type": "signal", "to": b_id, "data": {"description": desc}})
            say(f"relayed A's held signals to B: {len(held)} (candidates first)")
        elif t == "signal" and msg.get("from") == a_id:
            data = msg["data"]
            if b_id is not None:
                ws.send({"type": "signal", "to": b_id, "data": data})
                continue
            held.append(data)
            desc = data.get("description")
            if isinstance(desc, dict) and desc.get("type") == "offer" and len(held) == 1:
                ws.send({"type": "signal", "to": a_id, "data": {
                    "description": {"type": "offer", "sdp": "v=0\r\ncolliding\r\n"}}})
                say("sent a colliding offer to A")
        elif t == "signal" and b_id is not None and msg.get("from") == b_id:
            ws.send({"type": "signal", "to": a_id, "data": msg["data"]})
            relayed_from_b += 1
            if relayed_from_b == 1:
                say("relaying B's signals to A")
        elif t == "peer-left":
            say(f"{msg.get('id')} left")
        elif t == "error":
            say(f"server error: {msg.get('code')}")


if __name__ == "__main__":
    sys.exit(main())
