#!/usr/bin/env bash
# `cmake --install` puts the library, the headers and meshrtc.pc under a prefix, and a
# program builds against them with pkg-config alone and runs (tests/install/consumer.c).
set -euo pipefail
build=${MESHRTC_BUILD:?MESHRTC_BUILD must name the build directory}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name meshrtc.pc | head -1)
[ -n "$pc" ] || { echo "meshrtc.pc not installed"; echo "0 passed, 1 failed"; exit 1; }
for f in include/meshrtc.h include/meshrtc/pc.h include/meshrtc/error.h; do
  [ -f "$tmp/prefix/$f" ] || { echo "$f not installed"; echo "0 passed, 1 failed"; exit 1; }
done
libdir=$(dirname "$(dirname "$pc")")
soname=$(find "$libdir" -maxdepth 1 -name 'libmeshrtc.so.*' | head -1)
[ -n "$soname" ] || { echo "no versioned shared library in $libdir"; echo "0 passed, 1 failed"; exit 1; }

cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
extra=()
if grep -q '^MESHRTC_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  extra=(-fsanitize=address,undefined)
fi
export PKG_CONFIG_PATH="$(dirname "$pc")"
# shellcheck disable=SC2046
"${cc:-cc}" -std=gnu11 -Wall -Wextra -Werror "${extra[@]}" -o "$tmp/consumer" \
  tests/install/consumer.c $(pkg-config --cflags meshrtc libuv) $(pkg-config --libs meshrtc libuv)
LD_LIBRARY_PATH="$libdir" "$tmp/consumer"
