#!/usr/bin/env bash
# Mutation testing of the release gate: seed one small bug at a time into the reference's decision code and the
# mock servers' logic, and check that the scenario suite (the `features` test target) stops it.
#
#   ci/mutants.sh                    # every file of the gate's scope, one mutant at a time
#   ci/mutants.sh --shard 2/8        # one eighth of the mutants (a CI job matrix)
#   ci/mutants.sh -f reference/src/agent/consent.rs    # one file
#
# Results in mutants.out/ (caught.txt, missed.txt, timeout.txt, unviable.txt). Every mutant in missed.txt is a bug
# the suite lets through: kill it with a scenario, an invariant or a test, or add it to the equivalents in the
# README with the reason it cannot change behaviour. Settings (test target, profile): .cargo/mutants.toml.
#
# The baseline is skipped (cargo-mutants 27 builds it with the mutated package's tests instead of the suite's):
# run `cargo test -p ksnsim-scenarios --test features` first; it must pass.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
  echo "ci/mutants.sh: installing cargo-mutants" >&2
  cargo install cargo-mutants --locked --version 27.1.0
fi

scope=(
  -f 'reference/src/agent/*.rs'
  -f 'reference/src/proxy/*.rs'
  -f reference/src/verdict_cache.rs
  -f 'mocks/src/ksn/*.rs'
)
if [ "$#" -gt 0 ] && [[ " $* " == *" -f "* ]]; then
  scope=()
fi

cargo test -p ksnsim-scenarios --test features --profile mutants >/dev/null
exec cargo mutants --workspace --baseline skip --timeout 180 --build-timeout 900 "${scope[@]}" "$@"
