// Chat both ways over the data channel between meshrtc-signal's browser page (Chromium) and
// one meshrtc-call, in both join orders:
//   page-first:   the page is in the room first, so it offers and opens the "chat" channel;
//   native-first: meshrtc-call is there first, so it offers and opens the channel.
// The page sends with window.__meshrtc.chat(), meshrtc-call prints "[page-name] text"; a
// line written to meshrtc-call's stdin shows up in the page's chatLog() from meshrtc-call's
// id. The page joins with camera=0 and mic=0 (data only; its host candidates are then mDNS
// .local names, since it has no media permission). meshrtc-call leaves with status 0 (no
// leaked block) and its report counts the messages both ways.

import fs from 'node:fs'
import { runCase, waitFor, check } from './lib.mjs'

async function chatBothWays(h, order) {
  const room = h.room(order)
  const pageName = `page-${order}`
  const callName = `call-${order}`
  let page, call
  if (order === 'page-first') {
    page = await h.openPage(pageName, room, { camera: 0, mic: 0 })
    call = h.startCall(callName, room)
    await call.waitLine(/joined room/)
  } else {
    call = h.startCall(callName, room)
    await call.waitLine(/joined room/)
    page = await h.openPage(pageName, room, { camera: 0, mic: 0 })
  }
  const callId = call.find(/joined room \S+ as (\S+)/)[1]
  const t = Date.now()

  await waitFor(`${order}: the page's data channel to ${callName} to open`, async () => {
    const p = await page.peerNamed(callName)
    return p && p.id === callId && p.connectionState === 'connected' && p.dataChannelState === 'open'
  }, { timeout: 20000, state: async () => JSON.stringify(await page.peers()) })
  await call.waitLine(new RegExp(`\\(${pageName}\\) datachannel: open`), { timeout: 10000 })
  const openMs = Date.now() - t

  const toNative = `hello native from ${pageName} ${process.pid}`
  const sent = await page.chat(toNative)
  check(sent === 1, `${order}: page.chat() sent to ${sent} peers, expected 1`)
  await call.waitLine(new RegExp(`^\\[${pageName}\\] ${toNative}$`), { timeout: 10000 })

  const toPage = `hello page from ${callName} ${process.pid}`
  call.write(toPage + '\n')
  await waitFor(`${order}: "${toPage}" in the page's chatLog`,
    async () => (await page.chatLog()).some((m) => m.from === callId && m.text === toPage),
    { timeout: 10000, state: async () => JSON.stringify(await page.chatLog()) })
  const own = (await page.chatLog()).find((m) => m.text === toNative)
  check(own && own.from === page.id, `${order}: the page's own line is logged from ${own?.from}, expected ${page.id}`)

  const status = await call.stop()
  check(status === 0, `${order}: meshrtc-call exited with ${status}, expected 0`)
  const report = JSON.parse(fs.readFileSync(call.report, 'utf8'))
  const entry = report.peers.find((p) => p.id === page.id)
  check(entry && entry.datachannel, `${order}: no datachannel entry for the page in the report`)
  const dc = entry.datachannel
  check(dc.messages_sent === 1 && dc.messages_received === 1,
    `${order}: report datachannel sent ${dc.messages_sent} received ${dc.messages_received}, expected 1 and 1`)
  await waitFor(`${order}: the page to drop ${callName} after it left`,
    async () => !(await page.peerNamed(callName)), { timeout: 10000 })
  await page.close()
  return `${order} open in ${openMs} ms`
}

await runCase('page_chat', async (h) => {
  await h.startSignal()
  const a = await chatBothWays(h, 'page-first')
  const b = await chatBothWays(h, 'native-first')
  return `chat both ways, ${a}, ${b}`
})
