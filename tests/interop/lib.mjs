// Harness of the browser interop tests (tests/interop/test_*.mjs, ctest label `interop`).
//
// Real processes on 127.0.0.1 only: meshrtc-signal on a port the kernel picks (its log says
// which; the browser page is served by it at `/`), meshrtc-call processes with a report and a
// stdin pipe for chat, the Minichat fixture server, and Debian's Chromium (/usr/bin/chromium)
// driven by playwright-core with a fresh profile (playwright's launch() creates a temporary
// user-data-dir and deletes it on close; every page also gets its own browser context).
// Waits poll a condition with a deadline, never sleep a fixed time for a result. Everything
// started here is stopped when the case ends, also on SIGINT/SIGTERM or an uncaught error.
// On failure every log (page consoles, server, meshrtc-call stdout/stderr) is printed.
//
// It deliberately does not download anything, install anything (scripts/setup-interop does)
// or skip a case: a missing node module, browser or binary is a failure with a clear message.
//
//   MESHRTC_BUILD       build directory (ctest sets it; default: build)
//   CHROMIUM            browser binary (default /usr/bin/chromium)
//   KEEP_WORK=1         keep the temporary directory (logs, reports, recordings)
//   INTEROP_VERBOSE=1   print every log line live (also: --verbose)
//   MESHRTC_LOG         passed to meshrtc-call (e.g. debug)

import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const HERE = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.resolve(HERE, '..', '..')
export const BUILD = path.resolve(ROOT, process.env.MESHRTC_BUILD || 'build')
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
export const SIGNAL_BIN = path.join(BUILD, 'apps', 'meshrtc-signal')
export const CALL_BIN = path.join(BUILD, 'apps', 'call', 'meshrtc-call')
export const MEDIA_CHECK_BIN = path.join(BUILD, 'tests', 'meshrtc-media-check')
export const MINICHAT_DIR = path.join(HERE, 'minichat')

// The flags of the project's Chromium runs (docs/interop.md).
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
]

const VERBOSE = process.env.INTEROP_VERBOSE === '1' || process.argv.includes('--verbose')
const T0 = Date.now()
export const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(1)}s`
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// waitFor(what, fn, {timeout, interval, state}): polls fn until it returns a truthy value
// (returned); a throw counts as "not yet". On timeout throws "timed out after Ns waiting for
// WHAT", followed by what state() returns (the current observations) or the last error.
export async function waitFor(what, fn, { timeout = 20000, interval = 100, state } = {}) {
  const deadline = Date.now() + timeout
  let lastErr = null
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
      lastErr = null
    } catch (e) {
      lastErr = e
    }
    if (Date.now() >= deadline) break
    await sleep(interval)
  }
  let detail = ''
  if (state) {
    try { detail = `; state: ${await state()}` } catch (e) { detail = `; state unavailable: ${e.message}` }
  } else if (lastErr) {
    detail = `; last error: ${lastErr.message.split('\n')[0]}`
  }
  throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}${detail}`)
}

export function check(cond, msg) {
  if (!cond) throw new Error(msg)
}

// A log kept in memory (for the failure dump) and in a file of the work directory.
class Log {
  constructor(file, label) {
    this.file = file
    this.label = label
    this.lines = []
    this.fd = fs.openSync(file, 'a')
  }

  add(line) {
    const l = `[${elapsed()}] ${line}`
    this.lines.push(line)
    fs.writeSync(this.fd, l + '\n')
    if (VERBOSE) console.log(`  [${this.label}] ${line}`)
  }

  close() {
    if (this.fd !== null) { fs.closeSync(this.fd); this.fd = null }
  }
}

// A child process whose stdout and stderr are split into lines (proc.out / proc.err logs).
export class Proc {
  constructor(h, name, cmd, args, { env = {}, cwd = ROOT, stdin = 'ignore' } = {}) {
    this.name = name
    this.cmd = [cmd, ...args]
    this.out = new Log(path.join(h.work, `${name}.out`), `${name}`)
    this.err = new Log(path.join(h.work, `${name}.err`), `${name} stderr`)
    this.child = spawn(cmd, args, {
      cwd, env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'],
    })
    this.exitCode = null
    this.exitSignal = null
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, sig) => {
        this.exitCode = code
        this.exitSignal = sig
        resolve(code)
      })
      this.child.on('error', (e) => {
        this.err.add(`spawn failed: ${e.message}`)
        this.exitCode = 127
        resolve(127)
      })
    })
    const split = (stream, log) => {
      let buf = ''
      stream.setEncoding('utf8')
      stream.on('data', (s) => {
        buf += s
        let i
        while ((i = buf.indexOf('\n')) !== -1) {
          log.add(buf.slice(0, i))
          buf = buf.slice(i + 1)
        }
      })
      stream.on('end', () => { if (buf) log.add(buf) })
    }
    split(this.child.stdout, this.out)
    split(this.child.stderr, this.err)
    h.procs.push(this)
  }

  get running() {
    return this.exitCode === null && this.exitSignal === null
  }

  // The first line of stdout (or stderr with stream 'err') matching re, as a match array.
  find(re, stream = 'out') {
    for (const l of this[stream].lines) {
      const m = l.match(re)
      if (m) return m
    }
    return null
  }

  async waitLine(re, { timeout = 20000, stream = 'out' } = {}) {
    return waitFor(`${this.name} to print ${re}`, () => {
      const m = this.find(re, stream)
      if (m) return m
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal})`)
      return null
    }, { timeout, state: async () => `${this.name} ${this.running ? 'running' : 'exited ' + (this.exitCode ?? this.exitSignal)}, last line: ${JSON.stringify(this.out.lines.at(-1) ?? '')}` })
  }

  write(text) {
    this.child.stdin.write(text)
  }

  // Stops the process (SIGTERM, then SIGKILL after `timeout` ms); returns its exit code
  // (null when it was killed by a signal).
  async stop({ signal = 'SIGTERM', timeout = 8000 } = {}) {
    if (this.running) {
      try { this.child.kill(signal) } catch {}
      const t = setTimeout(() => { try { this.child.kill('SIGKILL') } catch {} }, timeout)
      await this.exited
      clearTimeout(t)
    }
    return this.exitCode
  }

  killNow() {
    if (this.running) { try { this.child.kill('SIGKILL') } catch {} }
  }
}

// One browser page (a fresh context) with its console captured and the page's test hook
// window.__meshrtc wrapped.
export class Page {
  constructor(h, name, context, page) {
    this.h = h
    this.name = name
    this.context = context
    this.page = page
    this.log = new Log(path.join(h.work, `${name}.console`), `${name} console`)
    page.on('console', (m) => this.log.add(`${m.type()}: ${m.text()}`))
    page.on('pageerror', (e) => this.log.add(`pageerror: ${e.message}`))
    page.on('crash', () => this.log.add('page crashed'))
    page.on('requestfailed', (r) => this.log.add(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`))
  }

  eval(fn, arg) {
    return this.page.evaluate(fn, arg)
  }

  // window.__meshrtc (the page contract of docs/interop.md).
  peers() { return this.eval(() => window.__meshrtc.peers()) }
  selfId() { return this.eval(() => window.__meshrtc.selfId()) }
  joined() { return this.eval(() => !!(window.__meshrtc && window.__meshrtc.joined())) }
  chat(text) { return this.eval((t) => window.__meshrtc.chat(t), text) }
  chatLog() { return this.eval(() => window.__meshrtc.chatLog()) }
  setCamera(on) { return this.eval((v) => window.__meshrtc.setCamera(v), on) }
  setMic(on) { return this.eval((v) => window.__meshrtc.setMic(v), on) }
  leave() { return this.eval(() => window.__meshrtc.leave()) }
  join() { return this.eval(() => window.__meshrtc.join()) }

  async waitJoined(timeout = 20000) {
    await waitFor(`page ${this.name} to join`, () => this.joined(), { timeout })
    this.id = await this.selfId()
    return this.id
  }

  // The peer of this page whose display name is `name` (or null).
  async peerNamed(name) {
    return (await this.peers()).find((p) => p.name === name) ?? null
  }

  async close() {
    await this.context.close().catch(() => {})
  }
}

export class Harness {
  constructor(caseName) {
    this.caseName = caseName
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), `meshrtc-interop-${caseName}.`))
    this.procs = []
    this.pages = []
    this.browser = null
    this.playwright = null
    this.nextRoom = 1
    this.notes = []
  }

  // Checks that everything the case needs is there; throws a clear message otherwise.
  async preflight({ browser = true, native = true } = {}) {
    if (browser) {
      try {
        fs.accessSync(CHROMIUM, fs.constants.X_OK)
      } catch {
        throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium with scripts/setup-interop`)
      }
      try {
        this.playwright = await import('playwright-core')
      } catch (e) {
        throw new Error(`cannot load playwright-core (${e.code ?? e.message}): run scripts/setup-interop (npm ci in tests/interop)`)
      }
    }
    if (native) {
      for (const bin of [SIGNAL_BIN, CALL_BIN, MEDIA_CHECK_BIN]) {
        try { fs.accessSync(bin, fs.constants.X_OK) } catch {
          throw new Error(`missing ${bin} (build first: scripts/build, or set MESHRTC_BUILD)`)
        }
      }
    }
  }

  // A room name not used before in this case.
  room(label = 'r') {
    return `${this.caseName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${label}-${this.nextRoom++}`
  }

  // Starts meshrtc-signal on 127.0.0.1, a free port; returns {proc, port, ws, http}.
  async startSignal(args = [], name = 'signal') {
    const proc = new Proc(this, name, SIGNAL_BIN, ['--host', '127.0.0.1', '--port', '0', ...args])
    const m = await proc.waitLine(/listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/, { stream: 'err', timeout: 10000 })
    const port = Number(m[1])
    this.signal = { proc, port, ws: `ws://127.0.0.1:${port}/ws`, http: `http://127.0.0.1:${port}/` }
    return this.signal
  }

  // Starts the Minichat fixture server (tests/interop/minichat/server.js) on a free port;
  // returns {proc, port, http}.
  async startMinichat(name = 'minichat') {
    try {
      fs.accessSync(path.join(MINICHAT_DIR, 'node_modules', 'socket.io'))
    } catch {
      throw new Error('the Minichat fixture has no node_modules: run scripts/setup-interop')
    }
    const proc = new Proc(this, name, process.execPath,
      [path.join(MINICHAT_DIR, 'server.js'), '--port', '0', '--host', '127.0.0.1'], { cwd: MINICHAT_DIR })
    const m = await proc.waitLine(/Server started on port (\d+)/, { timeout: 10000 })
    const port = Number(m[1])
    return { proc, port, http: `http://127.0.0.1:${port}/` }
  }

  // Starts meshrtc-call NAME in ROOM against the signal server with a report
  // (WORK/NAME.json), a stdin pipe (chat lines) and the apps' leak check; `args` are extra
  // options (--audio, --video, --record ...).
  // `label` (default NAME) names the log and report files, for a second process of the same name.
  startCall(name, room, args = [], { env = {}, label = name } = {}) {
    const report = path.join(this.work, `${label}.json`)
    const proc = new Proc(this, label, CALL_BIN, [
      '--signal', this.signal.ws, '--room', room, '--name', name, '--ice-allow', '127.0.0.1',
      '--report', report, ...args,
    ], { env: { MESHRTC_CALL_LEAKCHECK: '1', ...env }, stdin: 'pipe' })
    proc.report = report
    return proc
  }

  async launchBrowser() {
    if (this.browser) return this.browser
    const t = Date.now()
    this.browser = await this.playwright.chromium.launch({
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000,
    })
    this.note(`Chromium ${this.browser.version()} launched in ${Date.now() - t} ms`)
    return this.browser
  }

  // Opens URL in a new page of a fresh browser context.
  async openUrl(name, url) {
    await this.launchBrowser()
    const context = await this.browser.newContext()
    const page = await context.newPage()
    const p = new Page(this, name, context, page)
    this.pages.push(p)
    p.log.add(`goto ${url}`)
    // 'domcontentloaded', not 'load': a page whose <video> holds a stream without a video
    // track may delay its load event for ever (Chromium), and the hook is there at DCL.
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 20000 })
    return p
  }

  // Opens meshrtc-signal's page as NAME in ROOM with autojoin=1 and waits until it has
  // joined. params: camera, mic (0/1, default 1), code, ice.
  async openPage(name, room, params = {}) {
    const q = new URLSearchParams({ room, name, autojoin: '1' })
    for (const [k, v] of Object.entries(params)) q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
    const p = await this.openUrl(name, `${this.signal.http}?${q}`)
    try {
      await waitFor(`page ${name} to define window.__meshrtc`,
        () => p.eval(() => typeof window.__meshrtc === 'object' && window.__meshrtc !== null), { timeout: 10000 })
    } catch (e) {
      const body = await p.eval(() => document.title + ' | ' + document.body?.innerText?.slice(0, 200)).catch(() => '?')
      throw new Error(`${e.message} (the page served at ${this.signal.http} shows: ${JSON.stringify(body)})`)
    }
    await p.waitJoined()
    return p
  }

  // Runs meshrtc-media-check with ARGS; returns {status, json, text}.
  mediaCheck(args) {
    const r = spawnSync(MEDIA_CHECK_BIN, args, { encoding: 'utf8' })
    let json = null
    try { json = JSON.parse(r.stdout) } catch {}
    return { status: r.status, json, text: (r.stdout + r.stderr).trim() }
  }

  note(text) {
    this.notes.push(text)
    if (VERBOSE) console.log(`[${elapsed()}] ${text}`)
  }

  dumpLogs() {
    const dump = (label, lines) => {
      if (!lines.length) return
      console.log(`---- ${label} (last ${Math.min(lines.length, 60)} of ${lines.length} lines)`)
      for (const l of lines.slice(-60)) console.log(`  ${l}`)
    }
    for (const p of this.pages) dump(`page ${p.name} console`, p.log.lines)
    for (const p of this.procs) {
      console.log(`---- ${p.name}: ${p.cmd.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` +
        ` (${p.running ? 'running' : `exit ${p.exitCode ?? p.exitSignal}`})`)
      dump(`${p.name} stdout`, p.out.lines)
      dump(`${p.name} stderr`, p.err.lines)
    }
  }

  async cleanup(keep) {
    for (const p of this.pages) await p.close()
    if (this.browser) {
      const b = this.browser
      this.browser = null
      await Promise.race([b.close().catch(() => {}), sleep(5000)])
    }
    await Promise.all(this.procs.map((p) => p.stop({ timeout: 3000 })))
    for (const p of this.pages) p.log.close()
    for (const p of this.procs) { p.out.close(); p.err.close() }
    if (keep) {
      console.log(`kept ${this.work}`)
    } else {
      fs.rmSync(this.work, { recursive: true, force: true })
    }
  }
}

// runCase(NAME, body): runs `await body(h)` with a fresh Harness, prints one
// "PASS NAME: <body's summary>" or "FAIL NAME: <reason>" line (then every log) and exits
// 0 or 1 after stopping everything.
export async function runCase(name, body, { browser = true, native = true } = {}) {
  const h = new Harness(name)
  let finishing = false
  const emergency = () => {
    for (const p of h.procs) p.killNow()
  }
  process.on('exit', emergency)
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      if (finishing) return
      finishing = true
      console.log(`FAIL ${name}: interrupted by ${sig} after ${elapsed()}`)
      await h.cleanup(false)
      process.exit(130)
    })
  }
  let code = 1
  try {
    await h.preflight({ browser, native })
    const summary = await body(h)
    console.log(`PASS ${name}${summary ? ': ' + summary : ''} (${elapsed()})`)
    for (const n of h.notes) console.log(`  ${n}`)
    code = 0
  } catch (e) {
    if (finishing) return
    console.log(`FAIL ${name}: ${e.message} (after ${elapsed()})`)
    if (process.env.INTEROP_STACK === '1') console.log(e.stack)
    for (const n of h.notes) console.log(`  ${n}`)
    h.dumpLogs()
  }
  finishing = true
  await h.cleanup(process.env.KEEP_WORK === '1')
  process.exit(code)
}
