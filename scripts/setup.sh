#!/usr/bin/env bash
# Sets up everything Tinytown needs on a fresh machine, and is quick when nothing changed:
# pnpm, redis-server (and Chromium with --browser), dependencies, a build, and `tt` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 CI="${CI:-}"
PNPM_VERSION=12.21.0
want_browser=0
for a in "$@"; do [ "$a" = "--browser" ] && want_browser=1; done

say() { printf '\033[1m▸ %s\033[0m\n' "$*"; }
as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  # $1 = command that must exist afterwards, rest = Debian packages
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if as_root && command -v apt-get >/dev/null 2>&1; then
    say "installing $* (apt-get)"
    if [ ! -f /tmp/.tt-apt-updated ]; then apt-get update -qq && touch /tmp/.tt-apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "Tinytown needs \`$cmd\`. Install it with: sudo apt-get install -y $* (Debian/Ubuntu) or your system's package manager." >&2
    exit 1
  fi
}

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then echo "Tinytown needs Node.js 20 or newer (found $(node -v))." >&2; exit 1; fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --silent >/dev/null 2>&1 || npm install -g "pnpm@$PNPM_VERSION"
fi

apt_install redis-server redis-server
# redis-cli (Debian: redis-tools, a dependency of redis-server) builds the test Redis Cluster.
apt_install redis-cli redis-tools
if [ "$want_browser" = 1 ]; then apt_install chromium chromium; fi

# Install only when the lockfile or a manifest changed since the last install.
stamp=node_modules/.tt-install-stamp
sum=$(cat pnpm-lock.yaml pnpm-workspace.yaml package.json apps/*/package.json packages/*/package.json tooling/*/package.json 2>/dev/null | sha1sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  say "installing dependencies (pnpm install)"
  pnpm install --frozen-lockfile --reporter=append-only
  echo "$sum" > "$stamp"
fi

say "building (cached when nothing changed)"
pnpm exec turbo run build --output-logs=errors-only

# Put `tt` on PATH (root: /usr/local/bin) unless another tt is already there.
tt_bin="$ROOT/apps/cli/bin/tt.mjs"
if as_root && [ -d /usr/local/bin ]; then
  current=$(readlink /usr/local/bin/tt 2>/dev/null || true)
  if [ ! -e /usr/local/bin/tt ] || [ "$current" = "$tt_bin" ] || [[ "$current" == */apps/cli/bin/tt.mjs ]]; then ln -sf "$tt_bin" /usr/local/bin/tt; fi
fi
