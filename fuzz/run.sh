#!/usr/bin/env bash
# Runs one fuzz target (read, explain, place, drain) on the stable toolchain:
#   fuzz/run.sh TARGET [libFuzzer options, e.g. -max_total_time=60]
# Seeds: the scenarios of examples/ and the small real dumps of
# tests/fixtures/realworld (copied into fuzz/seeds); the corpus the run grows
# stays in fuzz/corpus/TARGET (under $FUZZ_CORPUS instead when it is set:
# .ci/run starts from the seeds alone, as a grown corpus takes minutes to
# replay), crashes in fuzz/artifacts/TARGET. Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh read|explain|place|drain [libFuzzer options]}
shift
corpus="${FUZZ_CORPUS:-fuzz/corpus}/$target"
mkdir -p fuzz/seeds "$corpus"
for f in examples/*.yaml examples/*.json tests/fixtures/realworld/*.json \
    tests/fixtures/realworld/*.yaml; do
    case "$f" in */expect.json) continue ;; esac
    # The two 1 MB dumps make every mutation slow; the others cover their kinds.
    if [ "$(wc -c <"$f")" -le 200000 ]; then
        cp "$f" fuzz/seeds/
    fi
done
# -s none: no sanitizer, so the stable compiler (RUSTC_BOOTSTRAP=1 for the
# unstable flags cargo-fuzz passes) builds it.
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "$target" -s none "$corpus" fuzz/seeds -- \
    -dict=fuzz/kubernetes.dict "$@"
