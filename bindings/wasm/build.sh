#!/usr/bin/env bash
# Builds the npm package's WebAssembly part into pkg/, and copies the
# bundled examples for the web page into www/examples. Needs: the wasm32-unknown-unknown target, the
# wasm-bindgen CLI of exactly the version in Cargo.lock, and `npm install`
# (for binaryen's wasm-opt). ci.sh installs all of them.
#
# One build serves Node and browsers: wasm-bindgen's `--target web` output
# is an ES module; js/node.js instantiates it from the file synchronously,
# js/browser.js fetches it (init()).
set -euo pipefail
cd "$(dirname "$0")"

want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$want" != "$have" ]; then
  echo "build.sh: need wasm-bindgen $want on PATH (found '${have:-none}'): cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi

cargo build --release --target wasm32-unknown-unknown
# A CARGO_TARGET_DIR of the caller (e.g. CI) moves the output.
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/podplan_wasm.wasm"

rm -rf pkg
# --experimental-reset-state-function: js/api.js re-creates the instance
# after a trap that is not a panic (stack overflow, out of memory); panics
# reinitialise it themselves (src/lib.rs).
wasm-bindgen "$wasm" --target web --out-dir pkg --experimental-reset-state-function

# binaryen from npm: Debian's wasm-opt 108 writes a module that fails to
# load (bindings/wasm/README.md). The features are those rustc enables
# by default for wasm32-unknown-unknown.
node_modules/.bin/wasm-opt -Oz \
  --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue \
  pkg/podplan_wasm_bg.wasm -o pkg/podplan_wasm_bg.wasm

# The page's bundled examples (www/ is served together with js/ and pkg/).
mkdir -p www/examples
cp ../../examples/aks-multitenant.yaml ../../examples/aks-multitenant.json ../../examples/db-pdb-fix.yaml ../../examples/whatif-*.yaml www/examples/

raw=$(wc -c < pkg/podplan_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/podplan_wasm_bg.wasm | wc -c)
echo "pkg/podplan_wasm_bg.wasm: $raw bytes raw, $gz bytes gzipped"
# The budget is what a browser downloads: 1 MB gzipped (the raw module may
# pass 2 MB as features arrive; speed is kept over size).
if [ "$gz" -gt 1048576 ]; then
  echo "build.sh: over the 1 MB gzipped budget" >&2
  exit 1
fi
