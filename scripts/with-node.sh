#!/usr/bin/env bash
# with-node.sh <command...>: run a command under a Node.js that satisfies package.json "engines"
# (^22.12 || ^24). The system Node is used when it fits; otherwise Node 22 LTS is installed once from
# the npm registry into a cache folder and put first on PATH. WEFT_NODE_MAJOR=22|24 asks for that
# major from the cache even when the system Node fits (CI runs the suite on both). npm_config_nodedir
# points node-gyp at that Node's own headers: a user npmrc naming another Node's headers would build
# native addons for the wrong ABI, and they would fail to load.
set -euo pipefail

fits() { # major.minor of `$1 -v` within ^22.12 || ^24
  local v; v=$("$1" -v 2>/dev/null) || return 1
  v=${v#v}; local major=${v%%.*} rest=${v#*.}; local minor=${rest%%.*}
  { [ "$major" -eq 22 ] && [ "$minor" -ge 12 ]; } || [ "$major" -eq 24 ]
}

want=${WEFT_NODE_MAJOR:-}
case "$want" in ''|22|24) ;; *) echo "with-node: WEFT_NODE_MAJOR must be 22 or 24, got $want" >&2; exit 2 ;; esac
is_major() { local v; v=$("$1" -v 2>/dev/null) || return 1; v=${v#v}; [ "${v%%.*}" = "$2" ]; }

if [ -z "$want" ] && command -v node >/dev/null 2>&1 && fits node; then
  nodedir=$(dirname "$(dirname "$(command -v node)")")
  [ -f "$nodedir/include/node/node_api.h" ] && headers="$nodedir"
else
  major=${want:-22}
  cache="${WEFT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-node}/$major"
  bin="$cache/node_modules/node/bin"
  if ! [ -x "$bin/node" ] || ! fits "$bin/node" || ! is_major "$bin/node" "$major"; then
    if [ -n "$want" ]; then echo "with-node: installing Node $major into $cache (WEFT_NODE_MAJOR)" >&2
    else echo "with-node: system Node $(node -v 2>/dev/null || echo none) does not satisfy ^22.12 || ^24; installing Node 22 into $cache" >&2; fi
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund "node@$major" >&2
  fi
  export PATH="$bin:$PATH"
  headers="$cache/node_modules/node/node_modules/node-linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
fi
# node-gyp reads the headers location from npm's config; only commands that build addons need it
# (npm warns about the setting on every other command).
build_env() { [ -n "${headers:-}" ] && export npm_config_nodedir="$headers"; return 0; }
# Tests that build native/icu-collation from source read the headers from here.
if [ -n "${headers:-}" ]; then export WEFT_NODE_HEADERS="$headers"; fi
case " $* " in *" install "*|*" ci "*|*" rebuild "*|*" i "*|*"icu-collation/install.js"*) build_env ;; esac

# Native addons built under another Node ABI load lazily and fail late: probe them for real and
# rebuild once when they do not match the Node we are about to use.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$here/node_modules/better-sqlite3" ] && [ "${WEFT_SKIP_ABI_CHECK:-}" != 1 ]; then
  if ! (cd "$here" && node --no-node-snapshot -e "new (require('better-sqlite3'))(':memory:').close(); require('isolated-vm')" >/dev/null 2>&1); then
    echo "with-node: rebuilding native addons for Node $(node -v)" >&2
    (cd "$here" && build_env && npm rebuild better-sqlite3 isolated-vm >&2)
  fi
fi
# The ICU collation addon (native/icu-collation, Node-API, so not tied to one Node ABI) is chosen by
# `npm ci`'s install script: the platform's prebuilt binary, else a build from source. A checkout
# installed before the addon existed, on a platform without a prebuilt one, builds it here once.
icu=$here/native/icu-collation
if [ -d "$here/node_modules" ] && ! [ -f "$icu/build/Release/icu_collation.node" ] && [ "${WEFT_SKIP_ABI_CHECK:-}" != 1 ] \
  && ! [ -f "$icu/prebuilds/$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')/icu_collation.node" ]; then
  echo "with-node: building native/icu-collation" >&2
  (cd "$here" && build_env && npm run -s install >&2)
fi
export NODE_OPTIONS="--no-node-snapshot ${NODE_OPTIONS:-}"
exec "$@"
