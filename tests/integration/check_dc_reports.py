#!/usr/bin/env python3
"""Checks the data channel parts of meshrtc-call reports (docs/report-format.md, version 1).

usage: check_dc_reports.py NAME=REPORT.json [NAME=REPORT.json ...]
       [--expect NAME/PEER.FIELD=VALUE ...] [--file SENDER:FILE:BYTES:SHA256] [--no-files]

For every peer of every report (peers are matched by name): a "datachannel" object with
exactly the documented fields in the documented order (label "chat", open_ms after
created_ms and in the timeline as datachannel "open", integer counters), and the dtls and
sctp "connected" states before the channel opened. --expect checks one datachannel counter
(alice/bob.messages_sent=1: in alice's report, the peer named bob). --file: SENDER has one
"sent" entry for FILE towards every other participant and each of them one "received"
entry from SENDER, with BYTES and SHA256, seconds > 0 and mbytes_per_s consistent with them;
no other transfer is listed. --no-files: no report lists a transfer. Exits 1 with the
reasons on failure.
"""
import json
import sys

DC_FIELDS = ["label", "open_ms", "messages_sent", "messages_received", "echoes_received",
             "bytes_sent", "bytes_received"]
FILE_FIELDS = ["direction", "name", "bytes", "sha256", "seconds", "mbytes_per_s"]

errors = []


def err(msg):
    errors.append(msg)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def first(states, kind, state):
    for s in states:
        if s["kind"] == kind and s["state"] == state:
            return s["t_ms"]
    return None


def check_peer(name, p):
    where = f"{name}: peer {p.get('name')}"
    dc = p.get("datachannel")
    if not isinstance(dc, dict):
        err(f"{where}: no datachannel object")
        return
    if list(dc) != DC_FIELDS:
        err(f"{where}: datachannel fields {list(dc)}, expected {DC_FIELDS}")
        return
    if dc["label"] != "chat":
        err(f"{where}: datachannel label {dc['label']!r}")
    for k in DC_FIELDS[2:]:
        if not isinstance(dc[k], int) or isinstance(dc[k], bool) or dc[k] < 0:
            err(f"{where}: datachannel {k} is {dc[k]!r}")
    if not is_num(dc["open_ms"]) or dc["open_ms"] < p["created_ms"]:
        err(f"{where}: open_ms {dc['open_ms']} (created_ms {p['created_ms']})")
    states = p.get("states", [])
    t_open = first(states, "datachannel", "open")
    if t_open is None or t_open != dc["open_ms"]:
        err(f"{where}: open_ms {dc['open_ms']} is not the timeline's datachannel open ({t_open})")
    for kind in ("dtls", "sctp"):
        t = first(states, kind, "connected")
        if t is None:
            err(f"{where}: no {kind} connected state")
        elif t_open is not None and t > t_open:
            err(f"{where}: {kind} connected at {t} after the channel opened at {t_open}")
    if first(states, "connection", "connected") is None:
        err(f"{where}: no connection connected state")
    for f in p.get("files", []):
        if list(f) != FILE_FIELDS:
            err(f"{where}: file entry fields {list(f)}, expected {FILE_FIELDS}")


def main():
    args = sys.argv[1:]
    expects, files, no_files = [], [], False
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--expect":
            expects.append(args[i + 1])
            i += 2
        elif args[i] == "--file":
            files.append(args[i + 1])
            i += 2
        elif args[i] == "--no-files":
            no_files = True
            i += 1
        else:
            rest.append(args[i])
            i += 1
    reports = {}
    for a in rest:
        n, path = a.split("=", 1)
        with open(path) as f:
            reports[n] = json.load(f)
    by_name = {n: {p["name"]: p for p in r["peers"]} for n, r in reports.items()}
    for n, r in reports.items():
        if not r["peers"]:
            err(f"{n}: no peers")
        for p in r["peers"]:
            check_peer(n, p)

    for e in expects:
        lhs, value = e.split("=", 1)
        who, rest_ = lhs.split("/", 1)
        peer, field = rest_.split(".", 1)
        p = by_name.get(who, {}).get(peer)
        if p is None or "datachannel" not in p:
            err(f"{who}: no datachannel for peer {peer}")
            continue
        got = p["datachannel"].get(field)
        if got != int(value):
            err(f"{who}/{peer}: datachannel {field} is {got}, expected {value}")

    listed = set()
    for spec in files:
        sender, fname, size, sha = spec.split(":")
        size = int(size)
        for other in reports:
            if other == sender:
                continue
            for who, peer, direction in ((sender, other, "sent"), (other, sender, "received")):
                p = by_name.get(who, {}).get(peer)
                entries = [f for f in (p or {}).get("files", []) if f.get("direction") == direction]
                if len(entries) != 1:
                    err(f"{who}/{peer}: {len(entries)} {direction} file entries, expected 1")
                    continue
                listed.add((who, peer, direction))
                f = entries[0]
                if (f.get("name"), f.get("bytes"), f.get("sha256")) != (fname, size, sha):
                    err(f"{who}/{peer}: {direction} entry {f}, expected {fname} {size} {sha}")
                s, rate = f.get("seconds"), f.get("mbytes_per_s")
                if not is_num(s) or s <= 0 or not is_num(rate) or rate <= 0:
                    err(f"{who}/{peer}: {direction} seconds {s} mbytes_per_s {rate}")
                elif abs(rate - size / 1048576 / s) > max(0.2, 0.05 * rate):
                    err(f"{who}/{peer}: mbytes_per_s {rate} does not match {size} B / {s} s")
    if files or no_files:
        for who, peers in by_name.items():
            for peer, p in peers.items():
                for f in p.get("files", []):
                    if (who, peer, f.get("direction")) not in listed:
                        err(f"{who}/{peer}: unexpected file entry {f}")

    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
