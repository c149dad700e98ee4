// Renegotiation started by meshrtc-call and ICE restarts started by meshrtc-signal's browser
// page (Chromium), against meshrtc-call.
//   video-after (page first): meshrtc-call joins with --video-after 3; the page first plays
//     its audio with no video, then meshrtc-call adds its video track (an offer from the
//     native side) and the video plays at >= 15 fps; then "/video off" on meshrtc-call's stdin
//     stops the video, "/video on" brings it back, and "//slash" arrives as the chat line
//     "/slash".
//   video-after (native first): the page joins after --video-after fired, so meshrtc-call's
//     first offer or answer already carries the video: it plays at once.
//   restart-ice (both join orders): window.__meshrtc.restartIce() during a call; meshrtc-call
//     applies the remote ICE restart (its log says so), the connection stays (or is back
//     within 10 s) connected, frames keep being decoded on both sides and chat works both ways.

import { runCase, waitFor, check, sleep } from './lib.mjs'

const VIDEO = ['--video', 'pattern:320x240@30']
const MIN_FPS = 15

const callIdOf = (call) => call.find(/joined room \S+ as (\S+)/)[1]

async function peerOf(page, callName) {
  return page.peerNamed(callName)
}

// Waits until the page has `callName` connected with chat open and `cond(p)` true.
async function waitPeer(page, callName, what, cond, timeout = 25000) {
  await waitFor(what, async () => {
    const p = await peerOf(page, callName)
    return p && p.connectionState === 'connected' && p.dataChannelState === 'open' && cond(p)
  }, { timeout, state: async () => JSON.stringify(await page.peers()) + ' videos: ' + JSON.stringify(await videos(page)) })
}

// The page's <video> elements and their tracks (diagnostics of a failed wait).
const videos = (page) => page.eval(() => [...document.querySelectorAll('video')].map((v) => ({
  paused: v.paused, muted: v.muted, readyState: v.readyState, t: v.currentTime, w: v.videoWidth, ended: v.ended,
  tracks: v.srcObject ? v.srcObject.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted ? 'muted' : 'live'}`) : null,
})))

const playing = (p) => p.videoPlaying && p.fps >= MIN_FPS && p.audioLevel > 0

// Chat both ways between page and call (call's id callId), lines tagged with `tag`.
async function chatBothWays(page, call, callId, tag) {
  const toNative = `page says ${tag}`
  await page.chat(toNative)
  await call.waitLine(new RegExp(`^\\[${page.name}\\] ${toNative}$`), { timeout: 10000 })
  const toPage = `call says ${tag}`
  call.write(toPage + '\n')
  await waitFor(`${tag}: "${toPage}" in page ${page.name}`,
    async () => (await page.chatLog()).some((m) => m.from === callId && m.text === toPage),
    { timeout: 10000, state: async () => JSON.stringify(await page.chatLog()) })
}

async function videoAfterPageFirst(h) {
  const room = h.room('va-page-first')
  const callName = 'call-va1'
  const page = await h.openPage('page-va1', room)
  const call = h.startCall(callName, room, ['--audio', 'tone', ...VIDEO, '--video-after', '3'])
  await call.waitLine(/joined room/)
  const callId = callIdOf(call)

  // Audio first, no video.
  await waitPeer(page, callName, 'video-after: the page to hear meshrtc-call', (p) => p.audioLevel > 0, 15000)
  const early = await peerOf(page, callName)
  check(!call.find(/--video-after: sending our video/),
    'video-after: the call connected only after --video-after fired (machine too slow to see the audio-only phase)')
  check(!early.videoPlaying && !early.framesDecoded,
    `video-after: the page decodes video before --video-after fired: ${JSON.stringify(early)}`)

  // Then the native side renegotiates and the video plays.
  await call.waitLine(/--video-after: sending our video/, { timeout: 10000 })
  await call.waitLine(/video on \(1 peer renegotiate\)/, { timeout: 1000 })
  const t = Date.now()
  await waitPeer(page, callName, 'video-after: the video to play after renegotiation', playing, 15000)
  const playMs = Date.now() - t
  await chatBothWays(page, call, callId, 'after video-after')

  // "/video off" and "/video on" on stdin.
  call.write('/video off\n')
  await call.waitLine(/video off \(1 peer renegotiate\)/, { timeout: 5000 })
  // (The <video> element's time goes on with the audio: fps and framesDecoded tell.)
  await waitPeer(page, callName, 'video-after: the video to stop after /video off', (p) => p.fps === 0, 15000)
  const stopped = (await peerOf(page, callName)).framesDecoded
  await sleep(1000)
  const still = (await peerOf(page, callName)).framesDecoded
  check(still - stopped <= 2, `video-after: frames still decoded after /video off (${stopped} -> ${still})`)
  call.write('/video on\n')
  await call.waitLine(/video on \(1 peer renegotiate\)/, { timeout: 5000 })
  await waitPeer(page, callName, 'video-after: the video to play again after /video on',
    (p) => playing(p) && p.framesDecoded > still + 30, 15000)

  // "//slash" is chat, not a command.
  call.write('//slash\n')
  await waitFor('video-after: "/slash" in the page',
    async () => (await page.chatLog()).some((m) => m.from === callId && m.text === '/slash'), { timeout: 10000 })
  check(!call.find(/unknown command/, 'err'), 'video-after: "//slash" was taken for a command')

  const status = await call.stop()
  check(status === 0, `video-after: meshrtc-call exited with ${status}, expected 0`)
  await page.close()
  return `video-after (page first): video ${playMs} ms after the track was added; /video off, on ok`
}

async function videoAfterNativeFirst(h) {
  const room = h.room('va-native-first')
  const callName = 'call-va2'
  const call = h.startCall(callName, room, ['--audio', 'tone', ...VIDEO, '--video-after', '0.5'])
  await call.waitLine(/joined room/)
  await call.waitLine(/--video-after: sending our video/, { timeout: 5000 })
  await call.waitLine(/video on \(0 peers renegotiate\)/, { timeout: 1000 })
  const t = Date.now()
  const page = await h.openPage('page-va2', room)
  await waitPeer(page, callName, 'video-after (late joiner): the video to play', playing, 25000)
  const ms = Date.now() - t
  await chatBothWays(page, call, callIdOf(call), 'late joiner')
  const status = await call.stop()
  check(status === 0, `video-after (late joiner): meshrtc-call exited with ${status}, expected 0`)
  await page.close()
  return `video-after (native first): video playing ${ms} ms after the page opened`
}

async function restartIce(h, order) {
  const room = h.room(`ri-${order}`)
  const pageName = `page-ri-${order}`
  const callName = `call-ri-${order}`
  const args = ['--audio', 'tone:660', ...VIDEO, '--log', 'warn,jsep=info']
  let page, call
  if (order === 'page-first') {
    page = await h.openPage(pageName, room)
    call = h.startCall(callName, room, args)
    await call.waitLine(/joined room/)
  } else {
    call = h.startCall(callName, room, args)
    await call.waitLine(/joined room/)
    page = await h.openPage(pageName, room)
  }
  const callId = callIdOf(call)
  await waitPeer(page, callName, `${order}: the page to play meshrtc-call`, playing)
  await call.waitLine(new RegExp(`\\(${pageName}\\): receiving video`), { timeout: 10000 })
  await chatBothWays(page, call, callId, `${order} before the ICE restart`)

  const before = (await peerOf(page, callName)).framesDecoded
  const t = Date.now()
  const n = await page.eval(() => window.__meshrtc.restartIce())
  check(n === 1, `${order}: restartIce() restarted ${n} PeerConnections, expected 1`)
  await call.waitLine(/remote ICE restart \(ufrag/, { timeout: 10000, stream: 'err' })
  const restartMs = Date.now() - t

  // Connected throughout, or back within 10 s; frames go on being decoded.
  let notConnected = 0
  await waitFor(`${order}: connected and decoding after the ICE restart`, async () => {
    const p = await peerOf(page, callName)
    if (!p || p.connectionState !== 'connected') notConnected++
    return p && p.connectionState === 'connected' && p.framesDecoded > before + 60 && p.videoPlaying
  }, { timeout: 10000, interval: 200, state: async () => JSON.stringify(await page.peers()) })
  await chatBothWays(page, call, callId, `${order} after the ICE restart`)
  // meshrtc-call still receives the page's video: its decoded count grows.
  const decodedIn = () => {
    const l = call.out.lines.filter((x) => x.includes(`(${pageName}):`) && /video in .* decoded (\d+)/.test(x))
    return l.length ? Number(/video in .* decoded (\d+)/.exec(l[l.length - 1])[1]) : -1
  }
  const d0 = decodedIn()
  await waitFor(`${order}: meshrtc-call to go on decoding the page's video`, () => decodedIn() > d0 && decodedIn() > 0,
    { timeout: 12000, interval: 250 })
  check(!call.find(/(peer|connection).*(failed|closed)/), `${order}: meshrtc-call reported a failure`)
  const status = await call.stop()
  check(status === 0, `${order}: meshrtc-call exited with ${status}, expected 0`)
  await page.close()
  return `restart-ice ${order}: restart applied ${restartMs} ms after restartIce(), ` +
    `${notConnected ? 'briefly not connected' : 'connected throughout'}`
}

await runCase('page_native_reneg', async (h) => {
  await h.startSignal()
  const r = []
  r.push(await videoAfterPageFirst(h))
  r.push(await videoAfterNativeFirst(h))
  r.push(await restartIce(h, 'page-first'))
  r.push(await restartIce(h, 'native-first'))
  return r.join('; ')
})
