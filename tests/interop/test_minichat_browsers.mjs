// Sanity check of the harness: the Minichat fixture (tests/interop/minichat, Express +
// Socket.IO) holds a call between two Chromium pages, as its own test/two-browsers.mjs
// does, but started, watched and cleaned up by lib.mjs. If this fails, the browser setup
// (Chromium, flags, fake devices, loopback networking) is broken, not meshrtc.
//
// Page A joins, then page B (the fixture's pages must join one after the other: README,
// "What the browser page does"); both pages are the same code, so one join order covers it.
// Checks: one peer each, connected, remote video playing with currentTime advancing,
// remote audio level > 0 (the fake microphone beeps), a chat line A -> B and B -> A through
// the page's form, and B's leaving removes it from A.

import { runCase, waitFor, check, sleep } from './lib.mjs'

const peers = (p) => p.eval(() => window.__minichat.peers())
const selfId = (p) => p.eval(() => window.__minichat.selfId())

async function openMinichat(h, name, url) {
  const p = await h.openUrl(name, url)
  await waitFor(`Minichat page ${name} to join`,
    () => p.eval(() => !!(window.__minichat && window.__minichat.selfId() && document.getElementById('localVideo')?.srcObject)))
  p.id = await selfId(p)
  return p
}

async function sendChat(from, to, text) {
  await from.page.fill('#chatInput', text)
  await from.page.click('#sendMessage')
  await waitFor(`chat line "${text}" in page ${to.name}`,
    () => to.eval((t) => [...document.querySelectorAll('#messages .message')].map((m) => m.textContent).find((x) => x.includes(t)), text),
    { timeout: 10000 })
  const line = await to.eval((t) => [...document.querySelectorAll('#messages .message')].map((m) => m.textContent).find((x) => x.includes(t)), text)
  check(line === `${from.id}: ${text}`, `chat line in ${to.name} is ${JSON.stringify(line)}, expected "${from.id}: ${text}"`)
}

await runCase('minichat_browsers', async (h) => {
  const server = await h.startMinichat()
  const A = await openMinichat(h, 'A', server.http)
  const B = await openMinichat(h, 'B', server.http)
  const t = Date.now()

  for (const [me, other] of [[A, B], [B, A]]) {
    await waitFor(`page ${me.name} to play ${other.name}'s video`, async () => {
      const ps = await peers(me)
      return ps.length === 1 && ps[0].id === other.id && ps[0].connectionState === 'connected' &&
        ps[0].videoPlaying && ps[0].videoWidth > 0
    }, { timeout: 20000, state: async () => JSON.stringify(await peers(me)) })
  }
  const mediaMs = Date.now() - t
  const before = { A: (await peers(A))[0].currentTime, B: (await peers(B))[0].currentTime }
  await sleep(1000) // a measurement interval: currentTime must advance by > 0.5 s in 1 s
  const after = { A: (await peers(A))[0].currentTime, B: (await peers(B))[0].currentTime }
  for (const s of ['A', 'B']) {
    check(after[s] - before[s] > 0.5, `page ${s}: remote currentTime ${before[s]} -> ${after[s]} in 1 s`)
  }
  for (const p of [A, B]) {
    await waitFor(`remote audio level > 0 in page ${p.name}`, async () => (await peers(p))[0].audioLevel > 0,
      { timeout: 10000, state: async () => JSON.stringify(await peers(p)) })
  }

  await sendChat(A, B, `hello from A ${process.pid}`)
  await sendChat(B, A, `hello from B ${process.pid}`)

  await B.close()
  await waitFor('page A to drop B', async () => (await peers(A)).length === 0, { timeout: 10000 })
  return `two Minichat pages: media both ways ${mediaMs} ms after B joined, audio, chat both ways, leave`
}, { native: false })
