// meshrtc-call in a Minichat call (the Socket.IO dialect, --signal socketio+http://...):
// two Chromium pages run the Minichat app (tests/interop/minichat) with one meshrtc-call.
//
// Order: page A joins, then meshrtc-call (A offers to it: it answers), then page B (A and
// meshrtc-call both offer to the newcomer: meshrtc-call is the offerer here). Checks:
//   1. both pages play meshrtc-call's video (currentTime advancing) and hear its tone
//      (the page's analyser level > 0), connectionState connected;
//   2. meshrtc-call receives audio and video from both pages;
//   3. chat both ways through the app's chat-message event: a stdin line of meshrtc-call
//      appears in both pages as "<its socket id>: text", a line typed in page A is printed
//      by meshrtc-call as "[<A's id>] text";
//   4. A's mute button reaches meshrtc-call as a mute-state line;
//   5. B's leaving (user-disconnected) closes meshrtc-call's peer; meshrtc-call's leaving
//      removes it from page A; it exits 0 with no leak;
//   6. meshrtc-call's recordings of both pages hold decodable video and audible audio
//      (build/tests/meshrtc-media-check).

import fs from 'fs'
import path from 'path'
import { runCase, waitFor, check, sleep, Proc, CALL_BIN } from './lib.mjs'

const RECORD_MS = 4000
const MIN_FRAMES = 30
const MIN_RMS = 100

const peers = (p) => p.eval(() => window.__minichat.peers())

async function openMinichat(h, name, url) {
  const p = await h.openUrl(name, url)
  await waitFor(`Minichat page ${name} to join`,
    () => p.eval(() => !!(window.__minichat && window.__minichat.selfId() && document.getElementById('localVideo')?.srcObject)))
  p.id = await p.eval(() => window.__minichat.selfId())
  return p
}

const messages = (p) => p.eval(() => [...document.querySelectorAll('#messages .message')].map((m) => m.textContent))

async function playsNative(page, nativeId) {
  let seen = null
  await waitFor(`page ${page.name} to play meshrtc-call's video and audio`, async () => {
    const ps = await peers(page)
    seen = ps.find((x) => x.id === nativeId)
    return seen && seen.connectionState === 'connected' && seen.videoPlaying && seen.videoWidth > 0 &&
      seen.audioLevel > 0
  }, { timeout: 25000, state: async () => JSON.stringify(await peers(page)) })
  const t0 = seen.currentTime
  await sleep(1000) // a measurement interval: currentTime must advance
  const t1 = (await peers(page)).find((x) => x.id === nativeId).currentTime
  check(t1 - t0 > 0.5, `page ${page.name}: meshrtc-call's video advanced ${(t1 - t0).toFixed(2)} s in 1 s`)
  return seen
}

await runCase('minichat_native', async (h) => {
  const server = await h.startMinichat()
  const sigUrl = `socketio+${server.http.replace(/\/$/, '')}`
  const rec = path.join(h.work, 'rec')
  const report = path.join(h.work, 'native.json')

  const A = await openMinichat(h, 'A', server.http)
  const call = new Proc(h, 'native', CALL_BIN, [
    '--signal', sigUrl, '--name', 'native', '--ice-allow', '127.0.0.1', '--report', report,
    '--audio', 'tone:440', '--video', 'pattern:320x240@30', '--record', rec,
  ], { env: { MESHRTC_CALL_LEAKCHECK: '1' }, stdin: 'pipe' })
  const nativeId = (await call.waitLine(/joined the Minichat call at \S+ as (\S+)/))[1]
  const t = Date.now()
  const seenA = await playsNative(A, nativeId) // A offered, meshrtc-call answered
  const aMs = Date.now() - t

  const B = await openMinichat(h, 'B', server.http)
  const tb = Date.now()
  const seenB = await playsNative(B, nativeId) // meshrtc-call offered to the newcomer
  const bMs = Date.now() - tb

  for (const p of [A, B]) {
    await call.waitLine(new RegExp(`${p.id}: receiving video`), { timeout: 10000 })
    await call.waitLine(new RegExp(`${p.id}: receiving audio`), { timeout: 10000 })
  }
  const tRec = Date.now()

  // chat: meshrtc-call -> both pages, page A -> meshrtc-call
  call.write('hello from meshrtc-call\n')
  for (const p of [A, B]) {
    await waitFor(`page ${p.name} to show meshrtc-call's chat line`,
      async () => (await messages(p)).includes(`${nativeId}: hello from meshrtc-call`), { timeout: 10000 })
  }
  await A.page.fill('#chatInput', 'hello from page A')
  await A.page.click('#sendMessage')
  await call.waitLine(new RegExp(`^\\[${A.id}\\] hello from page A$`), { timeout: 10000 })

  // mute-state from page A
  await A.page.click('#muteVoice')
  await call.waitLine(new RegExp(`${A.id} mute-state: audio muted`), { timeout: 10000 })

  const left = RECORD_MS - (Date.now() - tRec)
  if (left > 0) await sleep(left) // a recording of fixed length, not a wait for a result

  // B leaves: user-disconnected closes meshrtc-call's peer
  await B.close()
  await call.waitLine(new RegExp(`${B.id} left`), { timeout: 10000 })

  const status = await call.stop()
  check(status === 0, `meshrtc-call exited with ${status}, expected 0`)
  await waitFor('page A to drop meshrtc-call after it left',
    async () => !(await peers(A)).some((x) => x.id === nativeId), { timeout: 10000 })

  const results = []
  for (const p of [A, B]) {
    const ivf = path.join(rec, `${p.id}-video.ivf`)
    const wav = path.join(rec, `${p.id}-audio.wav`)
    check(fs.existsSync(ivf) && fs.existsSync(wav),
      `recordings of page ${p.name} missing; ${rec} holds ${fs.existsSync(rec) ? fs.readdirSync(rec).join(', ') : 'nothing'}`)
    const v = h.mediaCheck(['ivf', ivf, '--min-frames', String(MIN_FRAMES), '--decode'])
    check(v.status === 0 && v.json && v.json.decoded >= MIN_FRAMES && v.json.decode_errors === 0,
      `page ${p.name}'s video recording: ${v.text}`)
    const a = h.mediaCheck(['wav', wav, '--min-seconds', '2'])
    check(a.status === 0 && a.json && a.json.rms >= MIN_RMS,
      `page ${p.name}'s audio recording is silent or short (RMS >= ${MIN_RMS} expected): ${a.text}`)
    results.push(`${p.name}: ${v.json.decoded} frames ${v.json.decoded_width}x${v.json.decoded_height}, RMS ${a.json.rms}`)
  }
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'))
  check(rep.self?.id === nativeId || JSON.stringify(rep).includes(nativeId), 'the report does not name our socket id')

  return `A plays meshrtc-call after ${aMs} ms (answerer; level ${seenA.audioLevel}), ` +
    `B after ${bMs} ms (offerer; level ${seenB.audioLevel}); chat both ways, mute-state, ` +
    `user-disconnected both ways; recorded ${results.join('; ')}`
})
