#!/usr/bin/env bash
# CI for the WebAssembly package, on a fresh machine: installs what it needs
# (the wasm32 target, wasm-bindgen-cli of exactly Cargo.lock's version, the
# npm dev dependencies, Debian's Chromium), builds the package, then runs the
# Node suite (WASM vs the native CLI) and the Chromium test of the page.
set -euo pipefail
cd "$(dirname "$0")"

echo "== wasm: toolchain"
rustup target add wasm32-unknown-unknown

want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$want" != "$have" ]; then
  # No --locked: wasm-bindgen-cli's own lockfile pins a yanked crate
  # (bindings/wasm/README.md). About 4.5 minutes on 2 cores.
  cargo install wasm-bindgen-cli --version "$want"
fi

major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || echo 0)
if [ "${major:-0}" -lt 20 ]; then
  echo "ci.sh: needs Node.js 20 or later (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
# binaryen (wasm-opt), playwright-core, typescript: exact versions from package-lock.json.
npm ci --no-audit --no-fund

if [ ! -x /usr/bin/chromium ]; then
  # Debian's Chromium; playwright-core drives it (no browser download).
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

echo "== wasm: native reference (release CLI)"
(cd ../.. && cargo build --release --bin podplan)

echo "== wasm: build"
./build.sh

echo "== wasm: Node suite and Chromium test"
export PODPLAN_BIN="${CARGO_TARGET_DIR:-$PWD/../../target}/release/podplan"
export PODPLAN_REQUIRE_BROWSER=1
node --test test/*.test.js
