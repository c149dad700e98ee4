#!/usr/bin/env python3
"""Checks meshrtc-call reports (docs/report-format.md, version 1) of a full-mesh call.

usage: check_reports.py ROOM NAME=REPORT.json [NAME=REPORT.json ...] [--exit-status N]
       [--expect-exit-reason TEXT] [--summary]

For every report: the documented field names and types, self/exit as expected, the peers
being exactly the other participants (by id), each with ice_connected_ms and a selected pair
on 127.0.0.1 over udp. For every pair of participants: exactly one offerer (and it is the one
that joined first: the mesh rule), and mirrored selected pairs (A's local is B's remote).
Prints one summary line per pair. Exits 1 with the reasons on failure.
"""
import json
import sys

KINDS = {"signaling", "ice-gathering", "ice", "dtls", "sctp", "connection", "datachannel"}
STATES = {
    "signaling": {"stable", "have-local-offer", "have-remote-offer", "have-local-pranswer",
                  "have-remote-pranswer", "closed"},
    "ice-gathering": {"new", "gathering", "complete"},
    "ice": {"new", "checking", "connected", "completed", "disconnected", "failed", "closed"},
    "connection": {"new", "connecting", "connected", "disconnected", "failed", "closed"},
}
PEER_FIELDS = {"id", "name", "role", "created_ms", "states", "ice_connected_ms", "connected_ms",
               "selected_pair", "rtt_ms", "datachannel", "files", "tracks"}

errors = []


def err(msg):
    errors.append(msg)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_endpoint(where, e):
    if not isinstance(e, dict) or set(e) != {"address", "port", "protocol", "type"}:
        err(f"{where}: endpoint fields {sorted(e) if isinstance(e, dict) else e}")
        return
    if e["address"] != "127.0.0.1":
        err(f"{where}: address {e['address']} is not 127.0.0.1")
    if not isinstance(e["port"], int) or not 0 < e["port"] < 65536:
        err(f"{where}: bad port {e['port']}")
    if e["protocol"] != "udp":
        err(f"{where}: protocol {e['protocol']}")
    if e["type"] not in ("host", "srflx", "prflx", "relay"):
        err(f"{where}: type {e['type']}")


def check_report(name, r, room, exit_status, exit_reason):
    if r.get("version") != 1:
        err(f"{name}: version {r.get('version')}")
    if list(r)[:2] != ["version", "self"]:
        err(f"{name}: top-level fields out of documented order: {list(r)}")
    extra = set(r) - {"version", "self", "exit", "peers"}
    if extra:
        err(f"{name}: unknown top-level fields {sorted(extra)}")
    self = r.get("self", {})
    if self.get("name") != name or self.get("room") != room or not self.get("id"):
        err(f"{name}: self is {self}")
    if not str(self.get("signal", "")).startswith("ws://127.0.0.1:"):
        err(f"{name}: self.signal is {self.get('signal')}")
    ex = r.get("exit")
    if not isinstance(ex, dict) or ex.get("status") != exit_status:
        err(f"{name}: exit is {ex}, expected status {exit_status}")
    elif exit_reason is not None and ex.get("reason") != exit_reason:
        err(f"{name}: exit reason {ex.get('reason')!r}, expected {exit_reason!r}")
    for p in r.get("peers", []):
        where = f"{name}: peer {p.get('id')}"
        unknown = set(p) - PEER_FIELDS
        if unknown:
            err(f"{where}: unknown fields {sorted(unknown)}")
        if p.get("role") not in ("offerer", "answerer"):
            err(f"{where}: role {p.get('role')}")
        if not is_num(p.get("created_ms")):
            err(f"{where}: created_ms {p.get('created_ms')}")
        last_t = -1.0
        for s in p.get("states", []):
            if set(s) != {"t_ms", "kind", "state"} or s["kind"] not in KINDS:
                err(f"{where}: bad state entry {s}")
                continue
            if s["kind"] in STATES and s["state"] not in STATES[s["kind"]]:
                err(f"{where}: {s['kind']} state {s['state']!r} is not a W3C spelling")
            if not is_num(s["t_ms"]) or s["t_ms"] < last_t:
                err(f"{where}: timeline not in order at {s}")
            last_t = s["t_ms"]
        ice = [s for s in p.get("states", []) if s["kind"] == "ice"]
        if not is_num(p.get("ice_connected_ms")):
            err(f"{where}: no ice_connected_ms (ice states: {[s['state'] for s in ice]})")
        elif not any(s["state"] in ("connected", "completed") and
                     s["t_ms"] == p["ice_connected_ms"] for s in ice):
            err(f"{where}: ice_connected_ms {p['ice_connected_ms']} not in the timeline")
        if "connected_ms" in p and not any(s["kind"] == "connection" and
                                           s["state"] == "connected" for s in p["states"]):
            err(f"{where}: connected_ms without a connection connected state")
        sp = p.get("selected_pair")
        if not isinstance(sp, dict) or set(sp) != {"local", "remote"}:
            err(f"{where}: selected_pair is {sp}")
        else:
            check_endpoint(where + " local", sp["local"])
            check_endpoint(where + " remote", sp["remote"])


def main():
    args = sys.argv[1:]
    exit_status, exit_reason, summary = 0, "duration reached", False
    if "--summary" in args:
        args.remove("--summary")
        summary = True
    if "--exit-status" in args:
        i = args.index("--exit-status")
        exit_status = int(args[i + 1])
        del args[i:i + 2]
    if "--expect-exit-reason" in args:
        i = args.index("--expect-exit-reason")
        exit_reason = args[i + 1] or None
        del args[i:i + 2]
    room, pairs = args[0], [a.split("=", 1) for a in args[1:]]
    names = [n for n, _ in pairs]
    reports = {}
    for n, path in pairs:
        with open(path) as f:
            reports[n] = json.load(f)
    for n in names:
        check_report(n, reports[n], room, exit_status, exit_reason)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1

    ids = {n: reports[n]["self"]["id"] for n in names}
    peer = {n: {p["id"]: p for p in reports[n]["peers"]} for n in names}
    for n in names:
        want = sorted(ids[o] for o in names if o != n)
        if sorted(peer[n]) != want:
            err(f"{n}: peers {sorted(peer[n])}, expected {want}")
        for o in names:
            if o != n and ids[o] in peer[n] and peer[n][ids[o]]["name"] != o:
                err(f"{n}: peer {ids[o]} named {peer[n][ids[o]]['name']!r}, expected {o!r}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1

    lines = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pa, pb = peer[a][ids[b]], peer[b][ids[a]]
            roles = sorted([pa["role"], pb["role"]])
            if roles != ["answerer", "offerer"]:
                err(f"{a}/{b}: roles {pa['role']}/{pb['role']}: not exactly one offerer")
            # Mesh rule: whoever was in the room first offers. Names are given in join order.
            elif pa["role"] != "offerer":
                err(f"{a}/{b}: {b} offered although {a} joined first")
            la, ra = pa["selected_pair"]["local"], pa["selected_pair"]["remote"]
            lb, rb = pb["selected_pair"]["local"], pb["selected_pair"]["remote"]
            if (la["port"], ra["port"]) != (rb["port"], lb["port"]):
                err(f"{a}/{b}: selected pairs do not mirror: {la['port']}->{ra['port']} vs "
                    f"{lb['port']}->{rb['port']}")
            lines.append(
                f"{a} <-> {b}: ICE connected in {pa['ice_connected_ms'] - pa['created_ms']:.1f} ms"
                f" ({a}, {pa['role']}) / {pb['ice_connected_ms'] - pb['created_ms']:.1f} ms"
                f" ({b}, {pb['role']}) via {la['address']}:{la['port']} <-> "
                f"{ra['address']}:{ra['port']}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    if summary:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
