#!/usr/bin/env bash
# Checks the source-tree rules of ARCHITECTURE.md and STYLE.md:
# - only core/runtime*.c includes <uv.h>;
# - ice/, dtls/, sctp/, rtp/ never include each other, nor core/ beyond core/util/;
# - includes are rooted at the source tree (no "../");
# - apps/ include only the public header (and third-party/system headers);
# - no absolute path of a build machine in tracked sources.
set -u
cd "$(dirname "$0")/.."
fail=0
bad() { echo "layer rule violated: $*"; fail=1; }

while IFS= read -r f; do
  case "$f" in core/runtime*.c|core/runtime*.h) ;; *) bad "$f includes <uv.h>";; esac
done < <(grep -rl --include='*.[ch]' -E '#include[[:space:]]*<uv\.h>' core ice dtls rtp sctp media include 2>/dev/null)

for layer in ice dtls sctp rtp; do
  [ -d "$layer" ] || continue
  for other in ice dtls sctp rtp media apps; do
    [ "$other" = "$layer" ] && continue
    hits=$(grep -rn --include='*.[ch]' -E "#include[[:space:]]*\"$other/" "$layer" || true)
    [ -n "$hits" ] && bad "$layer/ includes $other/: $hits"
  done
  hits=$(grep -rn --include='*.[ch]' -E '#include[[:space:]]*"core/' "$layer" | grep -v '"core/util/' || true)
  [ -n "$hits" ] && bad "$layer/ includes core/ above core/util/: $hits"
  hits=$(grep -rn --include='*.[ch]' -E '\b(clock_gettime|gettimeofday|time\(NULL\)|rand\(\)|socket\(|getaddrinfo)' "$layer" || true)
  [ -n "$hits" ] && bad "$layer/ is sans-IO but calls a clock, rand or sockets: $hits"
done

hits=$(grep -rn --include='*.[ch]' -E '#include[[:space:]]*"\.\./' core ice dtls rtp sctp media apps include tests 2>/dev/null || true)
[ -n "$hits" ] && bad "relative ../ include: $hits"

if [ -d apps ]; then
  hits=$(grep -rn --include='*.[ch]' -E '#include[[:space:]]*"(core|ice|dtls|rtp|sctp|media)/' apps || true)
  [ -n "$hits" ] && bad "apps/ includes library internals: $hits"
fi

hits=$(grep -rnE --exclude-dir=node_modules '/(work|root|home|farm)/' --include='*.[ch]' --include='*.sh' --include='*.txt' \
  --include='*.in' --include='*.mjs' --include='*.js' core ice dtls rtp sctp media apps include tests scripts .ci \
  CMakeLists.txt 2>/dev/null | grep -v 'tests/check_layers.sh' || true)
[ -n "$hits" ] && bad "absolute path of a machine in a source file (use paths relative to the repo): $hits"

if [ "$fail" = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
