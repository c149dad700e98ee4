// WORK IN PROGRESS, not registered with ctest (the glob takes tests/interop/test_*.mjs only):
// it fails on this machine because Firefox offers no 127.0.0.1 candidate (docs/interop.md,
// "Firefox"). Rename it to test_firefox_page.mjs once that is solved. Run by hand:
//   MESHRTC_BUILD=build node tests/interop/wip_firefox_page.mjs
//
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

import fs from 'node:fs'
import path from 'node:path'
import { runCase, waitFor, check, sleep } from './lib.mjs'
import { openFirefoxPage, firefoxVersion } from './firefox.mjs'

const MIN_FPS = 15
const RECORD_MS = 3000 // how long Firefox's media is recorded once it arrived
const MIN_FRAMES = 10 // Firefox's fake camera sends about 10-30 fps

async function firefoxCase(h, order) {
  const room = h.room(order)
  const pageName = `firefox-${order}`
  const callName = `call-${order}`
  const rec = path.join(h.work, `rec-${order}`)
  const callArgs = ['--audio', 'tone:440', '--video', 'pattern:320x240@30', '--record', rec]
  let page, call
  if (order === 'page-first') {
    page = await openFirefoxPage(h, pageName, room)
    call = h.startCall(callName, room, callArgs)
    await call.waitLine(/joined room/)
  } else {
    call = h.startCall(callName, room, callArgs)
    await call.waitLine(/joined room/)
    page = await openFirefoxPage(h, pageName, room)
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
  await h.startSignal()
  const a = await firefoxCase(h, 'page-first')
  const b = await firefoxCase(h, 'native-first')
  return `${a}; ${b}`
}, { browser: false })
