#!/usr/bin/env bash
# CI for the Python package, on a fresh machine: a fresh venv with maturin
# and pytest from PyPI, the abi3 wheel built and installed, then the pytest
# suite (Python vs the native CLI, built here if missing).
set -euo pipefail
cd "$(dirname "$0")"

echo "== python: native reference (release CLI)"
(cd ../.. && cargo build --release --bin podplan)

venv="${PODPLAN_PY_VENV:-$(mktemp -d)/venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "maturin>=1.9,<2" "pytest>=7"

echo "== python: build the wheel (abi3, CPython >= 3.9)"
rm -rf dist
"$venv/bin/maturin" build --release --out dist
"$venv/bin/pip" install --quiet --force-reinstall dist/podplan-*.whl

echo "== python: pytest"
# From outside the source tree, so that the installed wheel is tested.
(cd tests && PODPLAN_BIN="${PODPLAN_BIN:-$(cd ../../.. && pwd)/target/release/podplan}" \
  "$venv/bin/python" -m pytest -q .)
