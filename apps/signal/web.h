/*
 * The browser page meshrtc-signal serves at / (apps/signal/web: index.html, app.js,
 * style.css), embedded into the program at build time by embed_web.cmake. The client it
 * holds speaks the room protocol like meshrtc-call; docs/signaling-server.md describes its
 * URL parameters and its test hook.
 */
#ifndef APPS_SIGNAL_WEB_H
#define APPS_SIGNAL_WEB_H

#include "apps/common/ws.h"

#include <stddef.h>

/* The pages: "/" (text/html), "/app.js" (text/javascript), "/style.css" (text/css), each
 * with its bytes and length. Static, read-only, valid for the program's lifetime. */
extern const ws_http_page signal_web_pages[];
extern const size_t signal_web_n_pages;

#endif
