/*
 * meshrtc: a native WebRTC peer endpoint on libuv.
 *
 * The one public header. Everything in it is prefixed mrtc_/MRTC_; handles are opaque;
 * every call happens on the thread that runs the handle's loop unless documented
 * otherwise. See docs/api.md for how the pieces fit.
 *
 *   meshrtc/error.h    error codes, mrtc_strerror()
 *   meshrtc/log.h      log levels and sink
 *   meshrtc/runtime.h  mrtc_runtime: binding to the caller's libuv loop, mrtc_runtime_post()
 *   meshrtc/states.h   W3C state enums and their names
 *   meshrtc/pc.h       mrtc_pc: the PeerConnection (RTCPeerConnection translated to C)
 *   meshrtc/frame.h    raw PCM and I420 frames
 *   meshrtc/media.h    local tracks, sinks, the speaker, RTP statistics
 */
#ifndef MESHRTC_H
#define MESHRTC_H

#include "meshrtc/error.h"
#include "meshrtc/export.h"
#include "meshrtc/log.h"
#include "meshrtc/runtime.h"
#include "meshrtc/states.h"
#include "meshrtc/datachannel.h"
#include "meshrtc/pc.h"
#include "meshrtc/frame.h"
#include "meshrtc/media.h"

#endif
