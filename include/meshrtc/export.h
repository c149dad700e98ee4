/* Symbol visibility for the public API: the build hides everything not marked MRTC_EXPORT. */
#ifndef MESHRTC_EXPORT_H
#define MESHRTC_EXPORT_H

#if defined(MESHRTC_BUILDING) && defined(__GNUC__)
#define MRTC_EXPORT __attribute__((visibility("default")))
#else
#define MRTC_EXPORT
#endif

#endif
