// A full mesh of two browser pages (Chromium, fake camera and microphone) and one
// meshrtc-call (--audio tone:440 --video pattern:320x240@30) in one room, in two join orders:
//   pages-first:  page A, page B, then meshrtc-call (both pages offer to it);
//   native-first: meshrtc-call, page A, page B (meshrtc-call offers to both pages).
// Checks: each page has the two others connected with the chat channel open and their
// video playing (meshrtc-call's at >= 20 fps) with audio; meshrtc-call receives audio and
// video from both pages; a chat line from meshrtc-call reaches both pages, one from page A
// reaches page B and meshrtc-call; meshrtc-call leaves with status 0 and both pages drop it.

import { runCase, waitFor, check } from './lib.mjs'

const MIN_FPS = 20

async function mesh(h, order) {
  const room = h.room(order)
  const callName = `call-${order}`
  const names = [`pageA-${order}`, `pageB-${order}`]
  const callArgs = ['--audio', 'tone:440', '--video', 'pattern:320x240@30']
  const pages = []
  let call
  if (order === 'native-first') {
    call = h.startCall(callName, room, callArgs)
    await call.waitLine(/joined room/)
  }
  for (const n of names) pages.push(await h.openPage(n, room)) // one after the other
  if (!call) {
    call = h.startCall(callName, room, callArgs)
    await call.waitLine(/joined room/)
  }
  const callId = call.find(/joined room \S+ as (\S+)/)[1]
  const [A, B] = pages
  const t = Date.now()

  for (const [me, other] of [[A, B], [B, A]]) {
    await waitFor(`${order}: page ${me.name} to see ${other.name} and ${callName} connected with media`, async () => {
      const ps = await me.peers()
      if (ps.length !== 2) return false
      const o = ps.find((p) => p.id === other.id)
      const c = ps.find((p) => p.id === callId)
      return o && c && [o, c].every((p) => p.connectionState === 'connected' && p.dataChannelState === 'open' &&
        p.videoPlaying && p.audioLevel > 0) && c.fps >= MIN_FPS
    }, { timeout: 30000, state: async () => JSON.stringify(await me.peers()) })
  }
  for (const p of pages) {
    await call.waitLine(new RegExp(`\\(${p.name}\\) datachannel: open`), { timeout: 10000 })
    await call.waitLine(new RegExp(`\\(${p.name}\\): receiving video`), { timeout: 10000 })
    await call.waitLine(new RegExp(`\\(${p.name}\\): receiving audio`), { timeout: 10000 })
  }
  const meshMs = Date.now() - t

  const fromNative = `hello pages from ${callName}`
  call.write(fromNative + '\n')
  for (const p of pages) {
    await waitFor(`${order}: "${fromNative}" in page ${p.name}`,
      async () => (await p.chatLog()).some((m) => m.from === callId && m.text === fromNative),
      { timeout: 10000, state: async () => JSON.stringify(await p.chatLog()) })
  }
  const fromA = `hello from ${A.name}`
  const sent = await A.chat(fromA)
  check(sent === 2, `${order}: page A's chat() sent to ${sent} peers, expected 2`)
  await call.waitLine(new RegExp(`^\\[${A.name}\\] ${fromA}$`), { timeout: 10000 })
  await waitFor(`${order}: "${fromA}" in page B`,
    async () => (await B.chatLog()).some((m) => m.from === A.id && m.text === fromA),
    { timeout: 10000, state: async () => JSON.stringify(await B.chatLog()) })

  const status = await call.stop()
  check(status === 0, `${order}: meshrtc-call exited with ${status}, expected 0`)
  for (const p of pages) {
    await waitFor(`${order}: page ${p.name} to drop ${callName}`,
      async () => (await p.peers()).length === 1, { timeout: 10000 })
  }
  for (const p of pages) await p.close()
  return `${order} mesh up in ${meshMs} ms`
}

await runCase('page_mesh', async (h) => {
  await h.startSignal()
  const a = await mesh(h, 'pages-first')
  const b = await mesh(h, 'native-first')
  return `two pages + meshrtc-call, media and chat: ${a}, ${b}`
})
