// Firefox (Debian's firefox-esr, headless, fake camera and microphone, driven over Marionette
// by tests/interop/firefox.mjs) on meshrtc-signal's page with one meshrtc-call
// (--audio tone:440 --video pattern:320x240@30 --record DIR), in both join orders
// (page-first: Firefox offers and opens the "chat" channel; native-first: meshrtc-call does):
//   - the chat data channel opens; window.__meshrtc.chat() in Firefox prints
//     "[page-name] text" in meshrtc-call, a stdin line of meshrtc-call shows up in Firefox's
//     chatLog() from meshrtc-call's id;
//   - native -> Firefox: meshrtc-call's video plays in Firefox (videoPlaying, frames decoded
//     per getStats at >= MIN_FPS);
//   - Firefox -> native: meshrtc-call receives Firefox's video and audio and its recording
//     holds decodable VP8 frames;
//   - meshrtc-call leaves with status 0 (no leak) and Firefox drops it.
//
// Firefox offers no 127.0.0.1 candidate (docs/interop.md, "Firefox"), so it runs in a network
// namespace the case creates (firefox.mjs createNetns: veth 10.77.X.1 host side, 10.77.X.2
// inside; needs root): meshrtc-signal listens on 10.77.X.1 and meshrtc-call gathers only on
// 10.77.X.1 (--ice-allow); the namespace and the veth pair are removed on every exit path.

import fs from 'node:fs'
import path from 'node:path'
import { runCase, waitFor, check, sleep, Proc, SIGNAL_BIN, CALL_BIN } from './lib.mjs'
import { openFirefoxPage, firefoxVersion, createNetns } from './firefox.mjs'

const MIN_FPS = 15
const RECORD_MS = 3000 // how long Firefox's media is recorded once it arrived
const MIN_FRAMES = 10 // Firefox's fake camera sends about 10-30 fps

// meshrtc-signal on the host side of the veth pair, a free port; sets h.signal like
// h.startSignal() does for 127.0.0.1.
async function startSignalOn(h, addr) {
  const proc = new Proc(h, 'signal', SIGNAL_BIN, ['--host', addr, '--port', '0'])
  const esc = addr.replace(/\./g, '\\.')
  const m = await proc.waitLine(new RegExp(`listening on ws://${esc}:(\\d+)/ws`), { stream: 'err', timeout: 10000 })
  const port = Number(m[1])
  h.signal = { proc, port, ws: `ws://${addr}:${port}/ws`, http: `http://${addr}:${port}/` }
  return h.signal
}

// h.startCall() with ICE gathering on ADDR (the veth's host side) instead of 127.0.0.1.
function startCallOn(h, addr, name, room, args) {
  const report = path.join(h.work, `${name}.json`)
  const proc = new Proc(h, name, CALL_BIN, [
    '--signal', h.signal.ws, '--room', room, '--name', name, '--ice-allow', addr,
    '--report', report, ...args,
  ], { env: { MESHRTC_CALL_LEAKCHECK: '1' }, stdin: 'pipe' })
  proc.report = report
  return proc
}

async function firefoxCase(h, netns, order) {
  const room = h.room(order)
  const pageName = `firefox-${order}`
  const callName = `call-${order}`
  const rec = path.join(h.work, `rec-${order}`)
  const callArgs = ['--audio', 'tone:440', '--video', 'pattern:320x240@30', '--record', rec]
  let page, call
  if (order === 'page-first') {
    page = await openFirefoxPage(h, pageName, room, {}, { netns })
    call = startCallOn(h, netns.hostAddr, callName, room, callArgs)
    await call.waitLine(/joined room/)
  } else {
    call = startCallOn(h, netns.hostAddr, callName, room, callArgs)
    await call.waitLine(/joined room/)
    page = await openFirefoxPage(h, pageName, room, {}, { netns })
  }
  try {
    const callId = call.find(/joined room \S+ as (\S+)/)[1]
    const t = Date.now()
    const peersState = async () => JSON.stringify(await page.peers())

    await waitFor(`${order}: Firefox's data channel to ${callName} to open`, async () => {
      const p = await page.peerNamed(callName)
      return p && p.id === callId && p.connectionState === 'connected' && p.dataChannelState === 'open'
    }, { timeout: 25000, state: peersState })
    await call.waitLine(new RegExp(`\\(${pageName}\\) datachannel: open`), { timeout: 10000 })
    const openMs = Date.now() - t

    // chat both ways
    const toNative = `hello native from ${pageName} ${process.pid}`
    const sent = await page.chat(toNative)
    check(sent === 1, `${order}: chat() in Firefox sent to ${sent} peers, expected 1`)
    await call.waitLine(new RegExp(`^\\[${pageName}\\] ${toNative}$`), { timeout: 10000 })
    const toPage = `hello firefox from ${callName} ${process.pid}`
    call.write(toPage + '\n')
    await waitFor(`${order}: "${toPage}" in Firefox's chatLog`,
      async () => (await page.chatLog()).some((m) => m.from === callId && m.text === toPage),
      { timeout: 10000, state: async () => JSON.stringify(await page.chatLog()) })

    // native -> Firefox
    let seen = null
    await waitFor(`${order}: Firefox to play ${callName}'s video at >= ${MIN_FPS} fps`, async () => {
      seen = await page.peerNamed(callName)
      return seen && seen.videoPlaying && seen.fps >= MIN_FPS
    }, { timeout: 25000, state: peersState })

    // Firefox -> native
    await call.waitLine(new RegExp(`\\(${pageName}\\): receiving video`), { timeout: 10000 })
    await call.waitLine(new RegExp(`\\(${pageName}\\): receiving audio`), { timeout: 10000 })
    await sleep(RECORD_MS) // a recording of fixed length, not a wait for a result
    const status = await call.stop()
    check(status === 0, `${order}: meshrtc-call exited with ${status}, expected 0`)
    const ivf = path.join(rec, `${page.id}-video.ivf`)
    check(fs.existsSync(ivf),
      `${order}: no video recording; ${rec} holds ${fs.existsSync(rec) ? fs.readdirSync(rec).join(', ') : 'nothing'}`)
    const v = h.mediaCheck(['ivf', ivf, '--min-frames', String(MIN_FRAMES), '--decode'])
    check(v.status === 0 && v.json && v.json.decoded >= MIN_FRAMES && v.json.decode_errors === 0,
      `${order}: Firefox's video recording: ${v.text}`)
    await waitFor(`${order}: Firefox to drop ${callName} after it left`,
      async () => !(await page.peerNamed(callName)), { timeout: 10000, state: peersState })
    return `${order}: chat open in ${openMs} ms, Firefox plays ${seen.fps} fps ` +
      `(${seen.framesDecoded} frames), recorded ${v.json.decoded} frames ` +
      `${v.json.decoded_width}x${v.json.decoded_height} from Firefox`
  } finally {
    await page.close()
  }
}

await runCase('firefox_page', async (h) => {
  h.note(`${firefoxVersion() ?? 'firefox-esr --version failed'}`)
  const netns = createNetns(h)
  try {
    await startSignalOn(h, netns.hostAddr)
    const a = await firefoxCase(h, netns, 'page-first')
    const b = await firefoxCase(h, netns, 'native-first')
    return `${a}; ${b}`
  } finally {
    await h.signal?.proc.stop()
    netns.destroy()
  }
}, { browser: false })
