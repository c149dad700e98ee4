/*
 * meshrtc: a native WebRTC peer endpoint on libuv.
 *
 * The one public header. Everything in it is prefixed mrtc_/MRTC_; handles are opaque;
 * every call happens on the thread that runs the handle's loop unless documented
 * otherwise. See docs/ for how the pieces fit.
 */
#ifndef MESHRTC_H
#define MESHRTC_H

#include "meshrtc/error.h"
#include "meshrtc/export.h"
#include "meshrtc/log.h"

#endif
