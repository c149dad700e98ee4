// Firefox for the browser interop tests: Debian's firefox-esr, headless, with fake media,
// driven over Marionette (Firefox's own remote protocol) from Node, since playwright-core can
// only drive its patched Firefox build and nothing is downloaded here.
//
// launchFirefox(h, name) starts `firefox-esr --headless --marionette --profile DIR
// --no-remote` with a fresh profile directory (inside the case's work directory) whose
// user.js sets a free Marionette port, fake camera and microphone without a permission
// prompt, loopback ICE candidates without mDNS obfuscation, autoplay, and turns off the
// default-browser check, telemetry, updates and proxies. The process is a lib.mjs Proc, so
// the harness stops it on failure or interrupt; FirefoxPage.close() quits Firefox through
// Marionette, waits for the process and removes the profile.
//
// The Marionette client speaks the wire format of Marionette protocol level 3: every packet
// is `LEN:JSON` (LEN = byte length of the JSON, decimal); the server greets with
// {"applicationType":"gecko","marionetteProtocol":3}; a command is [0, id, name, params] and
// its response [1, id, error, result].
//
// Firefox gathers ICE candidates only on non-loopback addresses (docs/interop.md,
// "Firefox"), so createNetns(h) gives it a network of its own: a network namespace
// mrtc-ff-PID with a veth pair, 10.77.X.1/30 on the host side and 10.77.X.2/30 inside (X
// random per run), loopback up inside. launchFirefox(h, name, { netns }) then starts
// `ip netns exec NS firefox-esr ...`; Marionette only listens on the loopback of its own
// namespace, so the client reaches it through a byte bridge `ip netns exec NS node -e ...`
// (stdin/stdout <-> 127.0.0.1:PORT inside). The page's origin http://10.77.X.1:PORT is made
// a secure context (getUserMedia) with the pref dom.securecontext.allowlist. The namespace
// and the veth pair are removed by netns.destroy() and, whatever happens, at process exit.
// Needs root (CI runs as root) and iproute2's ip (scripts/setup-interop installs it).
//
// It deliberately does not implement WebDriver BiDi, element interaction or more than one
// window: the cases only navigate and run scripts against window.__meshrtc.
//
//   FIREFOX   browser binary (default /usr/bin/firefox-esr)

import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { Duplex } from 'node:stream'
import { Proc, waitFor, sleep } from './lib.mjs'

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr'

// Preferences of the profile (user.js); marionette.port is added per launch.
export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Note: with firefox-esr 153 on Debian 12 ice.loopback has no visible effect: Firefox
  // gathers only on the machine's non-loopback addresses (docs/interop.md, "Firefox").
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.normandy.enabled': false,
  'extensions.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.proxy.type': 0,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'devtools.console.stdout.content': true, // the page's console on stdout (the process log)
}

// Firefox's version string ("Mozilla Firefox 115.x.yesr"), or null.
export function firefoxVersion() {
  const r = spawnSync(FIREFOX, ['--version'], { encoding: 'utf8', env: { ...process.env, MOZ_HEADLESS: '1' } })
  return r.status === 0 ? r.stdout.trim() : null
}

// A port on 127.0.0.1 that was free a moment ago.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

// A Marionette connection: command(name, params) resolves to the result, or rejects with
// "NAME: error: message".
export class Marionette {
  constructor(socket) {
    this.socket = socket
    this.buf = Buffer.alloc(0)
    this.nextId = 1
    this.pending = new Map() // id -> {resolve, reject, name}
    this.greeting = null
    this.greeted = new Promise((resolve) => { this.onGreeting = resolve })
    this.closed = false
    socket.on('data', (d) => this.receive(d))
    socket.on('close', () => {
      this.closed = true
      for (const p of this.pending.values()) p.reject(new Error(`${p.name}: Marionette connection closed`))
      this.pending.clear()
    })
    socket.on('error', () => {})
  }

  static connect(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => resolve(new Marionette(s)))
      s.once('error', reject)
    })
  }

  // Connects to 127.0.0.1:PORT inside network namespace NS through a bridge process
  // (`ip netns exec NS node -e ...`, stdio <-> TCP); rejects when the bridge cannot connect.
  static connectInNetns(ns, port) {
    return new Promise((resolve, reject) => {
      const bridge = `const s = require('net').connect(${Number(port)}, '127.0.0.1');
        s.on('connect', () => { process.stderr.write('connected\\n'); process.stdin.pipe(s); s.pipe(process.stdout) });
        s.on('error', () => process.exit(2)); s.on('close', () => process.exit(0));
        process.stdin.on('end', () => s.destroy())`
      const child = spawn(IP, ['netns', 'exec', ns, process.execPath, '-e', bridge],
        { stdio: ['pipe', 'pipe', 'pipe'] })
      let settled = false
      child.on('error', (e) => { if (!settled) { settled = true; reject(e) } })
      child.on('exit', (code) => { if (!settled) { settled = true; reject(new Error(`bridge exited (${code})`)) } })
      child.stderr.on('data', (d) => {
        if (settled || !String(d).includes('connected')) return
        settled = true
        const sock = Duplex.from({ readable: child.stdout, writable: child.stdin })
        const destroy = sock.destroy.bind(sock)
        sock.destroy = () => { try { child.kill('SIGKILL') } catch {} return destroy() }
        child.on('exit', () => sock.emit('close'))
        resolve(new Marionette(sock))
      })
    })
  }

  receive(d) {
    this.buf = Buffer.concat([this.buf, d])
    for (;;) {
      const colon = this.buf.indexOf(0x3a) // ':'
      if (colon < 0) return
      const len = Number(this.buf.subarray(0, colon).toString('ascii'))
      if (!Number.isInteger(len) || len < 0) {
        this.socket.destroy()
        return
      }
      if (this.buf.length < colon + 1 + len) return
      const json = this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8')
      this.buf = this.buf.subarray(colon + 1 + len)
      let msg
      try { msg = JSON.parse(json) } catch { continue }
      if (!Array.isArray(msg)) {
        this.greeting = msg
        this.onGreeting(msg)
        continue
      }
      const [, id, error, result] = msg
      const p = this.pending.get(id)
      if (!p) continue
      this.pending.delete(id)
      if (error) p.reject(new Error(`${p.name}: ${error.error}: ${error.message}`))
      else p.resolve(result)
    }
  }

  command(name, params = {}, { timeout = 30000 } = {}) {
    if (this.closed) return Promise.reject(new Error(`${name}: Marionette connection closed`))
    const id = this.nextId++
    const body = Buffer.from(JSON.stringify([0, id, name, params]), 'utf8')
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${name}: no answer from Marionette in ${timeout / 1000}s`))
      }, timeout)
      this.pending.set(id, {
        name,
        resolve: (v) => { clearTimeout(t); resolve(v) },
        reject: (e) => { clearTimeout(t); reject(e) },
      })
      this.socket.write(Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body]))
    })
  }

  close() {
    this.socket.destroy()
  }
}

// iproute2's ip (Debian: /bin/ip, also reachable as /usr/sbin/ip and /sbin/ip).
export const IP = process.env.IP_BIN ||
  ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => fs.existsSync(p)) || 'ip'

function ipCmd(args, { check = true } = {}) {
  const r = spawnSync(IP, args, { encoding: 'utf8' })
  if (check && r.status !== 0) {
    throw new Error(`ip ${args.join(' ')} failed (${r.status ?? r.error?.message}): ${(r.stderr || '').trim()}`)
  }
  return r
}

// Creates network namespace mrtc-ff-PID-N with a veth pair: host side `hostIf` with
// 10.77.X.1/30, namespace side with 10.77.X.2/30 (X random in 1..254), loopback up inside.
// Returns {ns, hostIf, hostAddr, nsAddr, destroy()}; destroy() (idempotent, also run at
// process exit) deletes the veth pair and the namespace. Throws a clear message when not root.
let netnsCount = 0
export function createNetns(h) {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error('Firefox runs in a network namespace the case creates: run the case as root')
  }
  const n = ++netnsCount
  const ns = `mrtc-ff-${process.pid}-${n}`
  const hostIf = `mff${process.pid % 100000}h${n}`
  const peerIf = `mff${process.pid % 100000}n${n}`
  const x = 1 + Math.floor(Math.random() * 254)
  const hostAddr = `10.77.${x}.1`
  const nsAddr = `10.77.${x}.2`
  let alive = true
  const destroy = () => {
    if (!alive) return
    alive = false
    process.off('exit', destroy)
    ipCmd(['link', 'del', hostIf], { check: false })
    ipCmd(['netns', 'del', ns], { check: false })
  }
  process.on('exit', destroy)
  try {
    ipCmd(['netns', 'add', ns])
    ipCmd(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf])
    ipCmd(['link', 'set', peerIf, 'netns', ns])
    ipCmd(['addr', 'add', `${hostAddr}/30`, 'dev', hostIf])
    ipCmd(['link', 'set', hostIf, 'up'])
    ipCmd(['netns', 'exec', ns, IP, 'addr', 'add', `${nsAddr}/30`, 'dev', peerIf])
    ipCmd(['netns', 'exec', ns, IP, 'link', 'set', peerIf, 'up'])
    ipCmd(['netns', 'exec', ns, IP, 'link', 'set', 'lo', 'up'])
  } catch (e) {
    destroy()
    throw e
  }
  h.note(`network namespace ${ns}: host ${hostIf} ${hostAddr}/30, namespace ${nsAddr}/30`)
  return { ns, hostIf, hostAddr, nsAddr, destroy }
}

// One Firefox with one tab, and the page's test hook wrapped like lib.mjs's Page.
export class FirefoxPage {
  constructor(h, name, proc, client, profile) {
    this.h = h
    this.name = name
    this.proc = proc
    this.client = client
    this.profile = profile
    this.id = null
  }

  // Runs `body` (a function body: `arguments[i]` are args, `return` a value or a promise)
  // in the page; values cross as JSON.
  async run(body, args = []) {
    const script = `const w = window.wrappedJSObject || window;
      return Promise.resolve((function () { ${body} }).apply(w, arguments)).then((v) => JSON.stringify(v === undefined ? null : v))`
    const r = await this.client.command('WebDriver:ExecuteScript', { script, args })
    return JSON.parse(r.value)
  }

  async navigate(url) {
    await this.client.command('WebDriver:Navigate', { url })
  }

  peers() { return this.run('return w.__meshrtc.peers()') }
  selfId() { return this.run('return w.__meshrtc.selfId()') }
  joined() { return this.run('return !!(w.__meshrtc && w.__meshrtc.joined())') }
  chat(text) { return this.run('return w.__meshrtc.chat(arguments[0])', [text]) }
  chatLog() { return this.run('return w.__meshrtc.chatLog()') }
  setCamera(on) { return this.run('return w.__meshrtc.setCamera(arguments[0])', [on]) }
  leave() { return this.run('return w.__meshrtc.leave()') }

  async waitJoined(timeout = 20000) {
    await waitFor(`Firefox page ${this.name} to join`, () => this.joined(), { timeout })
    this.id = await this.selfId()
    return this.id
  }

  async peerNamed(name) {
    return (await this.peers()).find((p) => p.name === name) ?? null
  }

  // Quits Firefox (Marionette:Quit, then SIGTERM/SIGKILL) and removes the profile.
  async close() {
    if (this.proc.running && !this.client.closed) {
      await this.client.command('Marionette:Quit', { flags: ['eForceQuit'] }, { timeout: 5000 }).catch(() => {})
    }
    this.client.close()
    await Promise.race([this.proc.exited, sleep(5000)])
    await this.proc.stop({ timeout: 3000 })
    if (process.env.KEEP_WORK !== '1') fs.rmSync(this.profile, { recursive: true, force: true })
  }
}

// Starts Firefox with a fresh profile, connects Marionette and opens a session; returns a
// FirefoxPage (not yet navigated). Throws a clear message when firefox-esr is missing.
// With `netns` (from createNetns) Firefox runs inside that namespace.
export async function launchFirefox(h, name = 'firefox', { netns = null } = {}) {
  try {
    fs.accessSync(FIREFOX, fs.constants.X_OK)
  } catch {
    throw new Error(`no browser at ${FIREFOX}: install Debian's firefox-esr with scripts/setup-interop`)
  }
  const profile = fs.mkdtempSync(path.join(h.work, `${name}-profile.`))
  const port = netns ? 2828 : await freePort() // a fresh namespace has every port free
  const prefs = { ...FIREFOX_PREFS, 'marionette.port': port }
  if (netns) prefs['dom.securecontext.allowlist'] = netns.hostAddr
  fs.writeFileSync(path.join(profile, 'user.js'),
    Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''))
  const t = Date.now()
  const ffArgs = ['--headless', '--marionette', '--profile', profile, '--no-remote']
  const proc = netns
    ? new Proc(h, name, IP, ['netns', 'exec', netns.ns, FIREFOX, ...ffArgs], {
      env: { MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1' },
    })
    : new Proc(h, name, FIREFOX, ffArgs, {
      env: { MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1' },
    })
  const where = netns ? `127.0.0.1:${port} in ${netns.ns}` : `127.0.0.1:${port}`
  const client = await waitFor(`Firefox's Marionette on ${where}`, async () => {
    if (!proc.running) throw new Error(`firefox exited (${proc.exitCode ?? proc.exitSignal})`)
    return netns ? Marionette.connectInNetns(netns.ns, port) : Marionette.connect(port)
  }, { timeout: 30000, interval: 300 })
  const page = new FirefoxPage(h, name, proc, client, profile)
  try {
    await Promise.race([client.greeted, sleep(10000).then(() => { throw new Error('no Marionette greeting') })])
    const s = await client.command('WebDriver:NewSession', {
      capabilities: { alwaysMatch: { pageLoadStrategy: 'eager', acceptInsecureCerts: true } },
    })
    const caps = s.capabilities || {}
    h.note(`Firefox ${caps.browserVersion ?? '?'} (Marionette protocol ${client.greeting?.marionetteProtocol}) ready in ${Date.now() - t} ms`)
  } catch (e) {
    await page.close()
    throw e
  }
  return page
}

// Opens meshrtc-signal's page in a new Firefox as NAME in ROOM with autojoin=1 (params:
// camera, mic, code, ice as in lib.mjs openPage) and waits until it has joined.
// With opts.netns Firefox runs in that network namespace (h.signal must then listen on
// netns.hostAddr).
export async function openFirefoxPage(h, name, room, params = {}, { netns = null } = {}) {
  const page = await launchFirefox(h, name, { netns })
  const q = new URLSearchParams({ room, name, autojoin: '1' })
  for (const [k, v] of Object.entries(params)) q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
  await page.navigate(`${h.signal.http}?${q}`)
  await waitFor(`Firefox page ${name} to define window.__meshrtc`,
    () => page.run('return typeof w.__meshrtc === "object" && w.__meshrtc !== null'), { timeout: 10000 })
  await page.waitJoined()
  return page
}
