// meshrtc browser client, served by meshrtc-signal at /.
//
// Implements the room protocol (docs/signaling-protocol.md, version 1) as meshrtc-call does
// (docs/call.md): one WebSocket to /ws on the page's own origin, one RTCPeerConnection per
// participant (full mesh). Existing participants offer to a newcomer; the newcomer answers.
// Perfect negotiation (W3C webrtc-pc "Perfect Negotiation Example"): we are polite towards
// the participants listed in our welcome and impolite towards those who join after us.
// The offerer opens the reliable, ordered data channel "chat" before its first offer; chat
// messages are plain text on it (a line starting "[echo] " is a meshrtc-call echo).
//
// URL parameters: room, name, code, autojoin=1, camera=0|1, mic=0|1, ice=<JSON
// RTCIceServer[]>. Test hook: window.__meshrtc (docs/signaling-server.md).
//
// It does not: restart ICE, send files (meshrtc-file/1 channels are ignored), reconnect
// after the server goes away, or switch devices.
'use strict'

;(() => {
  const params = new URLSearchParams(location.search)
  const $ = (id) => document.getElementById(id)
  const ui = {
    form: $('joinForm'), room: $('room'), name: $('name'), code: $('code'), join: $('joinButton'),
    mic: $('micButton'), camera: $('cameraButton'), leave: $('leaveButton'), status: $('status'),
    grid: $('grid'), chatLog: $('chatLog'), chatForm: $('chatForm'), chatInput: $('chatInput'),
    chatSend: $('chatSend'),
  }

  const flag = (name, def) => {
    const v = params.get(name)
    return v === null ? def : !(v === '0' || v === 'false' || v === 'off')
  }

  let urlIceServers = []
  if (params.get('ice')) {
    try {
      const v = JSON.parse(params.get('ice'))
      if (!Array.isArray(v)) throw new Error('not an array')
      urlIceServers = v
    } catch (e) {
      console.warn('meshrtc: ignoring the ice parameter:', e.message)
    }
  }

  // ---- state ----
  const state = {
    ws: null,
    wsOpen: false,
    outbox: [], // frames queued until the socket opens
    selfId: null,
    joined: false,
    joining: false,
    room: '',
    name: '',
    iceServers: [],
    wantCamera: flag('camera', true),
    wantMic: flag('mic', true),
    local: new MediaStream(),
    localPending: null, // the getUserMedia promise in flight
    peers: new Map(), // id -> peer
    chat: [], // {from, text}
  }

  function setStatus (text, error) {
    ui.status.textContent = text
    ui.status.classList.toggle('error', !!error)
  }

  // ---- local media ----
  const localTrack = (kind) => state.local.getTracks().find((t) => t.kind === kind) || null

  async function acquire (kinds) {
    const want = kinds.filter((k) => !localTrack(k))
    if (!want.length) return
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        audio: want.includes('audio'), video: want.includes('video'),
      })
      for (const t of s.getTracks()) {
        if (localTrack(t.kind)) { t.stop(); continue }
        state.local.addTrack(t)
      }
    } catch (e) {
      console.warn('meshrtc: no local ' + want.join('+') + ':', e.name, e.message)
      if (want.length === 2) { // try each on its own: a camera may be missing, not the mic
        for (const k of want) await acquire([k])
      }
    }
  }

  function localReady () {
    if (!state.localPending) {
      const kinds = []
      if (state.wantMic) kinds.push('audio')
      if (state.wantCamera) kinds.push('video')
      state.localPending = (navigator.mediaDevices && kinds.length ? acquire(kinds) : Promise.resolve())
        .then(renderSelf)
    }
    return state.localPending
  }

  // Gives a track to every peer: an idle transceiver of its kind if there is one (after a
  // negotiation it may need its direction widened), else addTrack. Either way the browser
  // fires negotiationneeded when the session must change: renegotiation.
  function shareTrack (p, track) {
    if (!p.pc || !p.tracksAdded) return
    const tr = p.pc.getTransceivers().find((x) => !x.stopped && x.receiver.track &&
      x.receiver.track.kind === track.kind && !x.sender.track)
    if (tr && tr.mid !== null) {
      tr.sender.replaceTrack(track).catch((e) => console.warn('meshrtc: replaceTrack', e))
      if (tr.direction === 'recvonly') tr.direction = 'sendrecv'
      else if (tr.direction === 'inactive') tr.direction = 'sendonly'
    } else {
      p.pc.addTrack(track, state.local)
    }
  }

  async function setDevice (kind, on) {
    if (kind === 'video') state.wantCamera = on
    else state.wantMic = on
    let t = localTrack(kind)
    if (on && !t) {
      await localReady()
      await acquire([kind])
      t = localTrack(kind)
      if (t) for (const p of state.peers.values()) shareTrack(p, t)
      renderSelf()
    }
    if (t) t.enabled = on
    renderButtons()
    return !!(t && t.enabled)
  }

  // ---- signaling socket ----
  function send (msg) {
    const text = JSON.stringify(msg)
    if (state.ws && state.wsOpen) state.ws.send(text)
    else if (state.ws) state.outbox.push(text)
  }

  function openSocket () {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const ws = new WebSocket(proto + '//' + location.host + '/ws')
    state.ws = ws
    state.wsOpen = false
    ws.onopen = () => {
      if (state.ws !== ws) return
      state.wsOpen = true
      for (const text of state.outbox.splice(0)) ws.send(text)
    }
    ws.onmessage = (e) => {
      if (state.ws !== ws) return
      let msg
      try { msg = JSON.parse(e.data) } catch { return }
      if (msg && typeof msg.type === 'string') onServer(msg)
    }
    ws.onclose = (e) => {
      if (state.ws !== ws) return
      state.ws = null
      state.wsOpen = false
      state.outbox = []
      const was = state.joined || state.joining
      dropAll()
      state.joined = state.joining = false
      if (was && !ui.status.classList.contains('error')) {
        setStatus('Connection to the server closed' + (e.reason ? ': ' + e.reason : '') + '.', true)
      }
      renderButtons()
    }
  }

  function onServer (msg) {
    switch (msg.type) {
      case 'welcome':
        state.selfId = String(msg.id)
        state.joined = true
        state.joining = false
        state.iceServers = (Array.isArray(msg.iceServers) ? msg.iceServers : []).concat(urlIceServers)
        for (const x of Array.isArray(msg.peers) ? msg.peers : []) {
          // Earlier participants offer to us; we wait for their offers (polite side).
          peerFor(String(x.id), typeof x.name === 'string' ? x.name : '', true)
        }
        setStatus('In room ' + state.room + ' as ' + (state.name || state.selfId) + ' (' +
          state.peers.size + ' other participant' + (state.peers.size === 1 ? '' : 's') + ').')
        renderSelf()
        renderButtons()
        break
      case 'peer-joined': {
        if (!state.joined) break
        const p = peerFor(String(msg.id), typeof msg.name === 'string' ? msg.name : '', false)
        startPeer(p, true)
        systemLine((p.name || p.id) + ' joined')
        break
      }
      case 'peer-left': {
        const p = state.peers.get(String(msg.id))
        if (p) { systemLine((p.name || p.id) + ' left'); dropPeer(p) }
        break
      }
      case 'signal': {
        if (!state.joined || !msg.data || typeof msg.data !== 'object') break
        const id = String(msg.from)
        const p = state.peers.get(id)
        if (!p) { console.warn('meshrtc: signal from unknown participant', id); break }
        p.chain = p.chain.then(() => onSignal(p, msg.data)).catch((e) => console.warn('meshrtc: ' + id + ':', e))
        break
      }
      case 'error':
        console.warn('meshrtc: server error', msg.code, msg.message)
        if (state.joining) {
          state.joining = false
          setStatus('Join refused: ' + (msg.message || msg.code), true)
          renderButtons()
        }
        break
    }
  }

  // ---- peers ----
  function peerFor (id, name, polite) {
    let p = state.peers.get(id)
    if (p) return p
    p = {
      id, name, polite, pc: null, dc: null, tracksAdded: false, makingOffer: false,
      ignoreOffer: false, pendingCandidates: [], chain: Promise.resolve(),
      remote: new MediaStream(), tile: null, video: null, lastCt: 0, lastAdvance: 0,
      stats: { framesDecoded: 0, audioLevel: 0, audioEnergy: 0, history: [] },
    }
    state.peers.set(id, p)
    renderTile(p)
    return p
  }

  function startPeer (p, offerer) {
    if (p.pc) return
    const pc = new RTCPeerConnection({ iceServers: state.iceServers })
    p.pc = pc
    pc.onicecandidate = (e) => {
      send({ type: 'signal', to: p.id, data: { candidate: e.candidate ? e.candidate.toJSON() : null } })
    }
    pc.onnegotiationneeded = async () => {
      try {
        p.makingOffer = true
        await pc.setLocalDescription()
        send({ type: 'signal', to: p.id, data: { description: pc.localDescription.toJSON() } })
      } catch (e) {
        console.warn('meshrtc: offer to ' + p.id + ' failed:', e)
      } finally {
        p.makingOffer = false
      }
    }
    pc.onconnectionstatechange = () => renderTile(p)
    pc.oniceconnectionstatechange = () => renderTile(p)
    pc.ontrack = (e) => {
      const t = e.track
      // A fresh stream each time, so the <video> surely picks up the new track.
      p.remote = new MediaStream(p.remote.getTracks().filter((x) => x.kind !== t.kind).concat([t]))
      t.onunmute = () => renderTile(p)
      renderTile(p)
      if (p.video) {
        p.video.srcObject = p.remote
        p.lastCt = 0 // a new srcObject starts again at currentTime 0
        playVideo(p.video)
      }
    }
    pc.ondatachannel = (e) => {
      if (e.channel.label === 'chat' && !p.dc) wireChat(p, e.channel)
      else console.info('meshrtc: ignoring data channel', e.channel.label, e.channel.protocol)
    }
    if (offerer) {
      addLocalTracks(p, true)
      wireChat(p, pc.createDataChannel('chat', { ordered: true }))
    }
    renderTile(p)
  }

  // As meshrtc-call: the offerer adds its tracks (a recvonly transceiver for a kind it does
  // not send, so the offer asks for the peer's audio and video, audio first); the answerer
  // adds them right after applying the offer, reusing the offer's transceivers.
  function addLocalTracks (p, offerer) {
    if (p.tracksAdded) return
    p.tracksAdded = true
    for (const kind of ['audio', 'video']) {
      const t = localTrack(kind)
      if (t) p.pc.addTrack(t, state.local)
      else if (offerer) p.pc.addTransceiver(kind, { direction: 'recvonly' })
    }
  }

  async function onSignal (p, data) {
    if (!p.pc) {
      await localReady()
      if (!state.peers.has(p.id) || p.pc) return
      startPeer(p, false)
    }
    const pc = p.pc
    if (data.description) {
      const d = data.description
      const collision = d.type === 'offer' && (p.makingOffer || pc.signalingState !== 'stable')
      p.ignoreOffer = !p.polite && collision
      if (p.ignoreOffer) {
        console.info('meshrtc: glare with ' + p.id + ': ignoring the colliding offer (impolite)')
        return
      }
      await pc.setRemoteDescription(d)
      if (d.type === 'offer') {
        addLocalTracks(p, false)
        await pc.setLocalDescription()
        send({ type: 'signal', to: p.id, data: { description: pc.localDescription.toJSON() } })
      }
      for (const c of p.pendingCandidates.splice(0)) await addCandidate(p, c)
    } else if ('candidate' in data) {
      if (!pc.remoteDescription) {
        if (p.pendingCandidates.length < 256) p.pendingCandidates.push(data.candidate)
        return
      }
      await addCandidate(p, data.candidate)
    }
  }

  async function addCandidate (p, c) {
    try {
      if (c === null || c === undefined) await p.pc.addIceCandidate()
      else await p.pc.addIceCandidate(c)
    } catch (e) {
      if (!p.ignoreOffer) console.warn('meshrtc: candidate from ' + p.id + ' refused:', e.message)
    }
  }

  function dropPeer (p) {
    state.peers.delete(p.id)
    if (p.dc) { p.dc.onmessage = p.dc.onopen = p.dc.onclose = null; p.dc.close() }
    if (p.pc) p.pc.close()
    if (p.tile) p.tile.remove()
    renderButtons()
  }

  function dropAll () {
    for (const p of [...state.peers.values()]) dropPeer(p)
  }

  // ---- chat ----
  function wireChat (p, dc) {
    p.dc = dc
    dc.onopen = () => { renderTile(p); renderButtons() }
    dc.onclose = () => { renderTile(p); renderButtons() }
    dc.onmessage = (e) => {
      if (typeof e.data !== 'string') {
        addChat(p.id, '(binary message, ' + (e.data.byteLength || e.data.size || 0) + ' bytes)')
        return
      }
      addChat(p.id, e.data)
    }
  }

  function addChat (from, text) {
    state.chat.push({ from, text })
    const li = document.createElement('li')
    const who = document.createElement('span')
    who.className = 'from'
    const p = state.peers.get(from)
    const own = from === state.selfId
    who.textContent = own ? (state.name || 'me') : (p && p.name) || from
    if (own) li.className = 'own'
    li.append(who, document.createTextNode(text))
    ui.chatLog.append(li)
    ui.chatLog.scrollTop = ui.chatLog.scrollHeight
  }

  function systemLine (text) {
    const li = document.createElement('li')
    li.className = 'system'
    li.textContent = text
    ui.chatLog.append(li)
  }

  function chat (text) {
    text = String(text)
    if (!text) return 0
    let n = 0
    for (const p of state.peers.values()) {
      if (p.dc && p.dc.readyState === 'open') { p.dc.send(text); n++ }
    }
    addChat(state.selfId, text)
    return n
  }

  // ---- rendering ----
  function makeTile (label, self) {
    const tile = document.createElement('div')
    tile.className = 'tile' + (self ? ' self' : '')
    const video = document.createElement('video')
    video.autoplay = true
    video.playsInline = true
    if (self) video.muted = true
    const bar = document.createElement('div')
    bar.className = 'label'
    const name = document.createElement('span')
    name.className = 'name'
    name.textContent = label
    const st = document.createElement('span')
    st.className = 'state'
    bar.append(name, st)
    tile.append(video, bar)
    ui.grid.append(tile)
    return { tile, video, name, st }
  }

  // Without a user gesture a browser may refuse to play sound: play muted then, and unmute
  // at the first click or key press on the page.
  function playVideo (video) {
    video.play().catch((e) => {
      if (!e || e.name !== 'NotAllowedError') return // e.g. interrupted by a new srcObject
      video.muted = true
      video.play().catch(() => {})
      const unmute = () => { video.muted = false }
      document.addEventListener('pointerdown', unmute, { once: true })
      document.addEventListener('keydown', unmute, { once: true })
    })
  }

  let selfTile = null
  function renderSelf () {
    if (!selfTile) selfTile = makeTile('', true)
    selfTile.name.textContent = (state.name || 'me') + ' (you)'
    const a = localTrack('audio'); const v = localTrack('video')
    selfTile.st.textContent = [a ? (a.enabled ? 'mic on' : 'muted') : 'no mic',
      v ? (v.enabled ? 'camera on' : 'camera off') : 'no camera'].join(', ')
    // Only a stream with a picture: an element fed an empty or audio-only stream can hold
    // the document's load event back.
    const src = v ? state.local : null
    if (selfTile.video.srcObject !== src) selfTile.video.srcObject = src
  }

  function renderTile (p) {
    if (!state.peers.has(p.id)) return
    if (!p.tile) {
      const t = makeTile(p.name || p.id, false)
      p.tile = t.tile
      p.video = t.video
      p.stateEl = t.st
      p.video.addEventListener('timeupdate', () => {
        if (p.video.currentTime > p.lastCt) {
          p.lastCt = p.video.currentTime
          p.lastAdvance = performance.now()
        }
      })
    }
    const cs = p.pc ? p.pc.connectionState : 'new'
    p.tile.dataset.state = cs
    p.stateEl.textContent = cs + (p.dc ? ' · chat ' + p.dc.readyState : '')
  }

  function renderButtons () {
    const busy = state.joined || state.joining
    ui.join.disabled = busy
    for (const el of [ui.room, ui.name, ui.code]) el.disabled = busy
    ui.leave.disabled = !busy
    const open = [...state.peers.values()].some((p) => p.dc && p.dc.readyState === 'open')
    ui.chatInput.disabled = ui.chatSend.disabled = !state.joined
    ui.chatSend.title = open ? '' : 'nobody to send to yet'
    const a = localTrack('audio'); const v = localTrack('video')
    const micOn = state.wantMic && !!a && a.enabled
    const camOn = state.wantCamera && !!v && v.enabled
    ui.mic.textContent = micOn ? 'Mute' : 'Unmute'
    ui.mic.setAttribute('aria-pressed', String(!micOn))
    ui.camera.textContent = camOn ? 'Camera off' : 'Camera on'
    ui.camera.setAttribute('aria-pressed', String(!camOn))
    if (selfTile) renderSelf()
  }

  // ---- stats (for the tiles' state and the test hook) ----
  async function pollStats () {
    for (const p of state.peers.values()) {
      if (!p.pc || p.pc.connectionState === 'closed') continue
      let report
      try { report = await p.pc.getStats() } catch { continue }
      let fd = null; let level = 0; let energy = 0
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp') return
        if (s.kind === 'video' && typeof s.framesDecoded === 'number') fd = (fd || 0) + s.framesDecoded
        if (s.kind === 'audio') {
          if (typeof s.audioLevel === 'number') level = Math.max(level, s.audioLevel)
          if (typeof s.totalAudioEnergy === 'number') energy += s.totalAudioEnergy
        }
      })
      const now = performance.now()
      const st = p.stats
      st.audioLevel = level
      st.audioEnergy = energy
      if (fd !== null) {
        st.framesDecoded = fd
        st.history.push([now, fd])
        while (st.history.length > 2 && now - st.history[1][0] >= 2000) st.history.shift()
      }
      if (p.video && p.video.currentTime > p.lastCt) { // timeupdate may be throttled
        p.lastCt = p.video.currentTime
        p.lastAdvance = now
      }
      renderTile(p)
    }
  }
  setInterval(pollStats, 500)

  function fps (p) {
    const h = p.stats.history
    if (h.length < 2) return 0
    const a = h[0]; const b = h[h.length - 1]
    if (performance.now() - b[0] > 2000 || b[0] <= a[0]) return 0
    return Math.round(((b[1] - a[1]) * 1000 / (b[0] - a[0])) * 10) / 10
  }

  // ---- join / leave ----
  async function join () {
    if (state.joined || state.joining) return false
    const room = ui.room.value.trim()
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
      setStatus('A room name is 1-64 letters, digits, _ or -.', true)
      return false
    }
    state.room = room
    state.name = ui.name.value
    state.joining = true
    setStatus('Joining ' + room + '...')
    renderButtons()
    await localReady()
    if (!state.joining) return false
    if (!state.ws) openSocket()
    const msg = { type: 'join', room, name: state.name }
    if (ui.code.value) msg.code = ui.code.value
    send(msg)
    return true
  }

  function leave () {
    if (!state.joined && !state.joining) return
    if (state.joined) send({ type: 'leave' })
    dropAll()
    state.joined = state.joining = false
    state.selfId = null
    setStatus('Left the room.')
    renderButtons()
  }

  ui.form.addEventListener('submit', (e) => { e.preventDefault(); join() })
  ui.leave.addEventListener('click', leave)
  ui.mic.addEventListener('click', () => {
    const t = localTrack('audio')
    setDevice('audio', !(t && t.enabled && state.wantMic))
  })
  ui.camera.addEventListener('click', () => {
    const t = localTrack('video')
    setDevice('video', !(t && t.enabled && state.wantCamera))
  })
  ui.chatForm.addEventListener('submit', (e) => {
    e.preventDefault()
    const text = ui.chatInput.value
    if (!text) return
    chat(text)
    ui.chatInput.value = ''
  })

  // ---- test hook ----
  window.__meshrtc = {
    peers: () => [...state.peers.values()].map((p) => ({
      id: p.id,
      name: p.name,
      connectionState: p.pc ? p.pc.connectionState : 'new',
      iceConnectionState: p.pc ? p.pc.iceConnectionState : 'new',
      dataChannelState: p.dc ? p.dc.readyState : 'none',
      videoPlaying: !!(p.video && p.video.videoWidth > 0 && p.lastAdvance > 0 &&
        performance.now() - p.lastAdvance < 2000),
      fps: fps(p),
      framesDecoded: p.stats.framesDecoded,
      audioLevel: p.stats.audioLevel,
      audioEnergy: p.stats.audioEnergy,
    })),
    selfId: () => state.selfId,
    chat,
    chatLog: () => state.chat.map((x) => ({ from: x.from, text: x.text })),
    setCamera: (on) => setDevice('video', !!on),
    setMic: (on) => setDevice('audio', !!on),
    leave,
    join,
    joined: () => state.joined,
    // pc.restartIce() on every peer: negotiationneeded sends the offer with new ICE
    // credentials. Returns how many PeerConnections were restarted.
    restartIce: () => {
      let n = 0
      for (const p of state.peers.values()) {
        if (p.pc && p.pc.signalingState !== 'closed') { p.pc.restartIce(); n++ }
      }
      return n
    },
  }

  // ---- start ----
  ui.room.value = params.get('room') || ''
  ui.name.value = params.get('name') || ''
  ui.code.value = params.get('code') || ''
  renderSelf()
  renderButtons()
  if (params.get('autojoin') === '1') join()
  else localReady().then(renderButtons)
})()
