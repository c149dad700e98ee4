// Renegotiation and rejoining between meshrtc-signal's browser page (Chromium) and
// meshrtc-call.
//   camera-on (both join orders): the page joins with camera=0 (microphone on), the call
//     connects with audio only from the page; then window.__meshrtc.setCamera(true) adds a
//     video track, the page renegotiates, and meshrtc-call receives and records decodable
//     video from it while the chat channel stays open and meshrtc-call's own video keeps
//     playing in the page.
//   page-rejoin: the page leaves (window.__meshrtc.leave()), meshrtc-call sees it leave,
//     the page joins again (join(), a new id) and chat and media work again.
//   native-rejoin: meshrtc-call leaves (SIGTERM, status 0), the page drops it; a new
//     meshrtc-call with the same name joins and chat and media work again.
// meshrtc-call adding video mid-call is in test_page_native_reneg.mjs.

import fs from 'node:fs'
import path from 'node:path'
import { runCase, waitFor, check, sleep } from './lib.mjs'

const CALL_ARGS = ['--audio', 'tone:440', '--video', 'pattern:320x240@30']
const MIN_FRAMES = 20

// Waits until `page` has `callName` connected, chat open, its video playing with audio.
async function waitMediaFrom(page, callName, what) {
  await waitFor(`${what}: page ${page.name} to play ${callName} with chat open`, async () => {
    const p = await page.peerNamed(callName)
    return p && p.connectionState === 'connected' && p.dataChannelState === 'open' && p.videoPlaying &&
      p.audioLevel > 0
  }, { timeout: 25000, state: async () => JSON.stringify(await page.peers()) })
}

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

const callIdOf = (call) => call.find(/joined room \S+ as (\S+)/)[1]
const count = (call, re) => call.out.lines.filter((l) => re.test(l)).length

async function cameraOn(h, order) {
  const room = h.room(order)
  const pageName = `page-${order}`
  const callName = `call-${order}`
  const rec = path.join(h.work, `rec-${order}`)
  const args = [...CALL_ARGS, '--record', rec]
  let page, call
  if (order === 'page-first') {
    page = await h.openPage(pageName, room, { camera: 0 })
    call = h.startCall(callName, room, args)
    await call.waitLine(/joined room/)
  } else {
    call = h.startCall(callName, room, args)
    await call.waitLine(/joined room/)
    page = await h.openPage(pageName, room, { camera: 0 })
  }
  await waitMediaFrom(page, callName, order)
  await call.waitLine(new RegExp(`\\(${pageName}\\): receiving audio`), { timeout: 10000 })
  check(!call.find(new RegExp(`\\(${pageName}\\): receiving video`)),
    `${order}: meshrtc-call receives video from a page whose camera is off`)

  const t = Date.now()
  await page.setCamera(true)
  await call.waitLine(new RegExp(`\\(${pageName}\\): receiving video`), { timeout: 15000 })
  const videoMs = Date.now() - t
  await waitFor(`${order}: ${MIN_FRAMES} frames of the page's video recorded`, () => {
    const f = path.join(rec, `${page.id}-video.ivf`)
    if (!fs.existsSync(f)) return false
    const r = h.mediaCheck(['ivf', f])
    return r.json && r.json.frames >= MIN_FRAMES
  }, { timeout: 15000, interval: 250 })
  await waitMediaFrom(page, callName, `${order} after camera on`)
  await chatBothWays(page, call, callIdOf(call), `${order} after camera on`)

  const status = await call.stop()
  check(status === 0, `${order}: meshrtc-call exited with ${status}, expected 0`)
  const v = h.mediaCheck(['ivf', path.join(rec, `${page.id}-video.ivf`), '--min-frames', String(MIN_FRAMES), '--decode'])
  check(v.status === 0 && v.json && v.json.decode_errors === 0 && v.json.decoded >= MIN_FRAMES,
    `${order}: video recorded after the camera was turned on: ${v.text}`)
  await page.close()
  return `${order}: video ${videoMs} ms after setCamera(true), ${v.json.decoded} frames decoded`
}

async function pageRejoin(h) {
  const room = h.room('page-rejoin')
  const callName = 'call-pr'
  const call = h.startCall(callName, room, CALL_ARGS)
  await call.waitLine(/joined room/)
  const callId = callIdOf(call)
  const page = await h.openPage('page-pr', room)
  await waitMediaFrom(page, callName, 'page-rejoin (first join)')
  await chatBothWays(page, call, callId, 'before leaving')
  const firstId = page.id

  await page.leave()
  await waitFor('page-rejoin: the page to leave', async () => !(await page.joined()) && (await page.peers()).length === 0,
    { timeout: 10000 })
  await call.waitLine(new RegExp(`${firstId} \\(page-pr\\) left`), { timeout: 10000 })
  const t = Date.now()
  await page.join()
  const secondId = await page.waitJoined()
  check(secondId !== firstId, `page-rejoin: the page rejoined with its old id ${firstId}`)
  await waitMediaFrom(page, callName, 'page-rejoin (second join)')
  await call.waitLine(new RegExp(`${secondId} \\(page-pr\\) datachannel: open`), { timeout: 10000 })
  await chatBothWays(page, call, callId, 'after rejoining')
  const status = await call.stop()
  check(status === 0, `page-rejoin: meshrtc-call exited with ${status}, expected 0`)
  await page.close()
  return `page-rejoin: back in ${Date.now() - t} ms`
}

async function nativeRejoin(h) {
  const room = h.room('native-rejoin')
  const callName = 'call-nr'
  const page = await h.openPage('page-nr', room)
  const first = h.startCall(callName, room, CALL_ARGS)
  await first.waitLine(/joined room/)
  await waitMediaFrom(page, callName, 'native-rejoin (first join)')
  await chatBothWays(page, first, callIdOf(first), 'before the call leaves')
  const status = await first.stop()
  check(status === 0, `native-rejoin: the first meshrtc-call exited with ${status}, expected 0`)
  await waitFor('native-rejoin: the page to drop meshrtc-call', async () => (await page.peers()).length === 0,
    { timeout: 10000 })

  const t = Date.now()
  const second = h.startCall(callName, room, CALL_ARGS, { label: `${callName}-2` })
  await second.waitLine(/joined room/)
  await waitMediaFrom(page, callName, 'native-rejoin (second join)')
  await chatBothWays(page, second, callIdOf(second), 'after the call rejoined')
  check((await page.peers()).length === 1, 'native-rejoin: the page has more than one peer after the rejoin')
  const status2 = await second.stop()
  check(status2 === 0, `native-rejoin: the second meshrtc-call exited with ${status2}, expected 0`)
  await page.close()
  return `native-rejoin: back in ${Date.now() - t} ms`
}

await runCase('page_renegotiate', async (h) => {
  await h.startSignal()
  const r = []
  r.push(await cameraOn(h, 'page-first'))
  r.push(await cameraOn(h, 'native-first'))
  r.push(await pageRejoin(h))
  r.push(await nativeRejoin(h))
  return r.join('; ')
})
