// Media both ways between meshrtc-signal's browser page (Chromium, fake camera and
// microphone) and meshrtc-call (--audio tone:440 --video pattern:320x240@30 --record DIR),
// in both join orders (page-first: the page offers; native-first: meshrtc-call offers).
//   native -> page: window.__meshrtc.peers() reports meshrtc-call's video playing at
//     >= 20 fps (getStats inbound-rtp, over 2 s) and an audio level above silence;
//   page -> native: after a few seconds meshrtc-call leaves (status 0) and its recordings
//     of the page hold decodable VP8 frames (meshrtc-media-check ivf --decode) and sound
//     (meshrtc-media-check wav: RMS well above silence; Chromium's fake microphone beeps).

import fs from 'node:fs'
import path from 'node:path'
import { runCase, waitFor, check, sleep } from './lib.mjs'

const MIN_FPS = 20
const MIN_AUDIO_LEVEL = 0.01 // inbound-rtp audioLevel, 0..1; silence is 0
const RECORD_MS = 4000 // how long the page's media is recorded once it arrived
const MIN_FRAMES = 30 // the fake camera sends 20-30 fps: at least 7.5 fps over RECORD_MS
const MIN_RMS = 100 // 16-bit samples; silence (or comfort noise) stays far below

async function mediaBothWays(h, order) {
  const room = h.room(order)
  const pageName = `page-${order}`
  const callName = `call-${order}`
  const rec = path.join(h.work, `rec-${order}`)
  const callArgs = ['--audio', 'tone:440', '--video', 'pattern:320x240@30', '--record', rec]
  let page, call
  if (order === 'page-first') {
    page = await h.openPage(pageName, room)
    call = h.startCall(callName, room, callArgs)
    await call.waitLine(/joined room/)
  } else {
    call = h.startCall(callName, room, callArgs)
    await call.waitLine(/joined room/)
    page = await h.openPage(pageName, room)
  }
  const t = Date.now()

  // native -> page
  let seen = null
  await waitFor(`${order}: the page to play ${callName}'s video at >= ${MIN_FPS} fps with audio`, async () => {
    const p = await page.peerNamed(callName)
    seen = p
    return p && p.connectionState === 'connected' && p.videoPlaying && p.fps >= MIN_FPS &&
      p.audioLevel > MIN_AUDIO_LEVEL
  }, { timeout: 25000, state: async () => JSON.stringify(await page.peers()) })
  const playMs = Date.now() - t

  // page -> native
  await call.waitLine(new RegExp(`\\(${pageName}\\): receiving video`), { timeout: 10000 })
  await call.waitLine(new RegExp(`\\(${pageName}\\): receiving audio`), { timeout: 10000 })
  await sleep(RECORD_MS) // a recording of fixed length, not a wait for a result
  const status = await call.stop()
  check(status === 0, `${order}: meshrtc-call exited with ${status}, expected 0`)

  const ivf = path.join(rec, `${page.id}-video.ivf`)
  const wav = path.join(rec, `${page.id}-audio.wav`)
  check(fs.existsSync(ivf) && fs.existsSync(wav),
    `${order}: recordings missing; ${rec} holds ${fs.existsSync(rec) ? fs.readdirSync(rec).join(', ') : 'nothing'}`)
  const v = h.mediaCheck(['ivf', ivf, '--min-frames', String(MIN_FRAMES), '--decode'])
  check(v.status === 0 && v.json && v.json.decoded >= MIN_FRAMES && v.json.decode_errors === 0,
    `${order}: the page's video recording: ${v.text}`)
  const a = h.mediaCheck(['wav', wav, '--min-seconds', '2'])
  check(a.status === 0 && a.json && a.json.rms >= MIN_RMS,
    `${order}: the page's audio recording is silent or short (RMS >= ${MIN_RMS} expected): ${a.text}`)
  await page.close()
  return `${order}: page plays ${seen.fps} fps, audio level ${seen.audioLevel.toFixed(3)} after ${playMs} ms; ` +
    `recorded ${v.json.decoded} frames ${v.json.decoded_width}x${v.json.decoded_height}, ` +
    `audio RMS ${a.json.rms} at ${a.json.dominant_hz} Hz`
}

await runCase('page_media', async (h) => {
  await h.startSignal()
  const a = await mediaBothWays(h, 'page-first')
  const b = await mediaBothWays(h, 'native-first')
  return `${a}; ${b}`
})
