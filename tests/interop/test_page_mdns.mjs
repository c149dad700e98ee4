// Chromium's real mDNS `.local` host candidates against meshrtc-call (docs/ice.md "mDNS").
//
// Every other Chromium case runs with --allow-loopback-in-peer-connection on 127.0.0.1,
// where Chromium offers plain 127.0.0.1 candidates. Here Chromium runs INSIDE a network
// namespace the case creates (firefox.mjs createNetns: veth 10.77.X.1 host side, 10.77.X.2
// inside; needs root), started through a wrapper script `ip netns exec NS chromium "$@"`
// (playwright-core launches it as its executable), WITHOUT the loopback flag. The page is
// opened from http://10.77.X.1:PORT/ (meshrtc-signal --host 10.77.X.1) with camera=0&mic=0:
// no getUserMedia permission, so Chromium hides its host address behind a `<uuid>.local`
// name and answers mDNS queries for it on the veth. The namespace gets a default route via
// 10.77.X.1: without one Chromium (156) gathers no candidate at all. One meshrtc-call on the host
// (--ice-allow 10.77.X.1 --audio tone --video pattern, MESHRTC_LOG with ice, mdns and pc at
// debug) joins after the page (the page offers and opens the "chat" channel). Checked:
//   - meshrtc-call's log shows a remote host candidate with a `.local` name;
//   - the connection reaches connected and the chat channel opens;
//   - chat both ways (window.__meshrtc.chat() -> "[page] text" in meshrtc-call; a stdin
//     line of meshrtc-call -> the page's chatLog());
//   - meshrtc-call's video plays in the page (videoPlaying, >= MIN_FPS decoded);
//   - meshrtc-call leaves with status 0 (no leak).
// The summary says which path connected: the name resolved by an mDNS answer ("mdns: ...
// NAME is ADDR", then a selected pair host -> host) or the peer-reflexive fallback ("no mDNS
// answer for NAME", selected pair host -> prflx), with the log lines.

import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { runCase, waitFor, check, Proc, SIGNAL_BIN, CALL_BIN, CHROMIUM } from './lib.mjs'
import { createNetns, IP } from './firefox.mjs'

const MIN_FPS = 15
const CALL_LOG = 'warn,ice=debug,mdns=debug,pc=debug'

// CHROMIUM_ARGS of lib.mjs without --allow-loopback-in-peer-connection and without
// --use-fake-ui-for-media-stream (with it Chromium counts as having media permission and sends
// its plain 10.77.X.2 address instead of a .local name); the page's origin is made a secure
// context like Firefox's (the page calls no getUserMedia with camera=0&mic=0).
function chromiumArgs(origin) {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required',
    `--unsafely-treat-insecure-origin-as-secure=${origin}`,
  ]
}

// meshrtc-signal on ADDR, a free port; sets h.signal like h.startSignal() does.
async function startSignalOn(h, addr) {
  const proc = new Proc(h, 'signal', SIGNAL_BIN, ['--host', addr, '--port', '0'])
  const esc = addr.replace(/\./g, '\\.')
  const m = await proc.waitLine(new RegExp(`listening on ws://${esc}:(\\d+)/ws`), { stream: 'err', timeout: 10000 })
  const port = Number(m[1])
  h.signal = { proc, port, ws: `ws://${addr}:${port}/ws`, http: `http://${addr}:${port}/` }
  return h.signal
}

// Chromium inside network namespace NS through a wrapper script in the work directory;
// becomes h.browser, so h.openPage() uses it and h.cleanup() closes it.
async function launchChromiumIn(h, ns, origin) {
  const wrapper = path.join(h.work, 'chromium-netns.sh')
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${IP} netns exec ${ns} ${CHROMIUM} "$@"\n`, { mode: 0o755 })
  const t = Date.now()
  h.browser = await h.playwright.chromium.launch({
    executablePath: wrapper, headless: true, args: chromiumArgs(origin), timeout: 30000,
  })
  h.note(`Chromium ${h.browser.version()} launched in namespace ${ns} in ${Date.now() - t} ms`)
  return h.browser
}

await runCase('page_mdns', async (h) => {
  const netns = createNetns(h)
  try {
    const addr = netns.hostAddr
    // Chromium gathers no candidate at all (not even on the veth) in a namespace without a
    // default route; createNetns() adds none, so add one via the host side.
    const r = spawnSync(IP, ['netns', 'exec', netns.ns, IP, 'route', 'add', 'default', 'via', addr],
      { encoding: 'utf8' })
    check(r.status === 0, `ip route add default in ${netns.ns} failed: ${(r.stderr || '').trim()}`)
    await startSignalOn(h, addr)
    await launchChromiumIn(h, netns.ns, h.signal.http.replace(/\/$/, ''))
    const room = h.room('mdns')
    const pageName = 'page-mdns'
    const callName = 'call-mdns'
    const page = await h.openPage(pageName, room, { camera: 0, mic: 0 })

    const report = path.join(h.work, `${callName}.json`)
    const call = new Proc(h, callName, CALL_BIN, [
      '--signal', h.signal.ws, '--room', room, '--name', callName, '--ice-allow', addr,
      '--report', report, '--audio', 'tone:440', '--video', 'pattern:320x240@30',
    ], { env: { MESHRTC_CALL_LEAKCHECK: '1', MESHRTC_LOG: CALL_LOG }, stdin: 'pipe' })
    await call.waitLine(/joined room/)
    const callId = call.find(/joined room \S+ as (\S+)/)[1]
    const t = Date.now()
    const peersState = async () => JSON.stringify(await page.peers())

    await waitFor(`the page's data channel to ${callName} to open`, async () => {
      const p = await page.peerNamed(callName)
      return p && p.id === callId && p.connectionState === 'connected' && p.dataChannelState === 'open'
    }, { timeout: 25000, state: peersState })
    await call.waitLine(new RegExp(`\\(${pageName}\\) datachannel: open`), { timeout: 10000 })
    const openMs = Date.now() - t

    // the page's candidates as meshrtc-call saw them
    // (trickled: it may arrive after a peer-reflexive pair already connected)
    const local = await call.waitLine(/remote candidate host ([0-9A-Za-z-]+\.local):\d+/,
      { stream: 'err', timeout: 10000 }).catch((e) => {
      const plain = call.find(/remote candidate host (\d+\.\d+\.\d+\.\d+):\d+/, 'err')
      throw new Error(`meshrtc-call saw no .local host candidate from the page` +
        (plain ? ` (it saw a plain one: ${plain[0]})` : ` (${e.message})`))
    })
    const name = local[1]

    // chat both ways
    const toNative = `hello native from ${pageName} ${process.pid}`
    const sent = await page.chat(toNative)
    check(sent === 1, `page.chat() sent to ${sent} peers, expected 1`)
    await call.waitLine(new RegExp(`^\\[${pageName}\\] ${toNative}$`), { timeout: 10000 })
    const toPage = `hello page from ${callName} ${process.pid}`
    call.write(toPage + '\n')
    await waitFor(`"${toPage}" in the page's chatLog`,
      async () => (await page.chatLog()).some((m) => m.from === callId && m.text === toPage),
      { timeout: 10000, state: async () => JSON.stringify(await page.chatLog()) })

    // native -> page video
    let seen = null
    await waitFor(`the page to play ${callName}'s video at >= ${MIN_FPS} fps`, async () => {
      seen = await page.peerNamed(callName)
      return seen && seen.videoPlaying && seen.fps >= MIN_FPS
    }, { timeout: 25000, state: peersState })

    // which path connected (before stopping: the mDNS timeout may still be running)
    const esc = name.replace(/[.]/g, '\\.')
    const resolved = call.find(new RegExp(`${esc} is (\\S+)`), 'err')
    const unanswered = call.find(new RegExp(`no mDNS answer for ${esc}`), 'err')
    const selected = call.err.lines.map((l) => l.match(/ice .*selected pair .*\((\S+) -> (\S+)\)/))
      .filter(Boolean).at(-1) // the last pair the agent selected
    check(selected, 'meshrtc-call logged no selected pair')
    const status = await call.stop()
    check(status === 0, `meshrtc-call exited with ${status}, expected 0`)
    await waitFor(`the page to drop ${callName} after it left`,
      async () => !(await page.peerNamed(callName)), { timeout: 10000, state: peersState })
    check(selected[2] === 'host' || selected[2] === 'prflx', `selected remote candidate type ${selected[2]}`)
    check(selected[2] === 'prflx' || resolved, `a host pair was selected but ${name} was never resolved`)
    const how = selected[2] === 'host'
      ? `the mDNS answer ("${resolved[0].trim()}")`
      : `the peer-reflexive candidate (${resolved ? `"${resolved[0].trim()}" came too late`
        : unanswered ? `"${unanswered[0].trim()}"` : 'no mDNS answer yet'})`
    h.note(`candidate: ${local[0].trim()}`)
    h.note(`selected: ${selected[0].trim()}`)
    return `Chromium's .local candidate ${name}, connected by ${how}; selected pair ` +
      `${selected[1]} -> ${selected[2]}; chat open in ${openMs} ms, page plays ${seen.fps} fps ` +
      `(${seen.framesDecoded} frames)`
  } finally {
    await h.signal?.proc.stop()
    if (h.browser) {
      const b = h.browser
      h.browser = null
      await b.close().catch(() => {})
    }
    netns.destroy()
  }
})
