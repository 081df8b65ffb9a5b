#!/usr/bin/env bash
# Does `ksnsim explore` find bugs nobody wrote a scenario for? Plants four bugs in a copy of the reference, one
# at a time (tests/planted_bugs.rs: each breaks a different requirement in a different module), builds ksnsim
# with each, runs `ksnsim explore` with its default budget, and checks that it finds the broken requirement and
# that `ksnsim run` on the feature file it wrote fails the same way. Then, without a bug, the default budget
# must find nothing. About 15-20 minutes on 2 cores (a release build per bug); the table goes to
# target/planted/summary.md. Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --locked --test planted_bugs -- --ignored --nocapture
echo "== without a planted bug: the default budget finds nothing"
cargo build --release --locked -p ksnsim
status=0
target/release/ksnsim explore --out target/planted/out/clean || status=$?
if [ "$status" != 0 ]; then
  echo "ci/explore-planted.sh: explore found a violation in the unchanged reference (exit $status): a real bug, or a wrong invariant; see target/planted/out/clean" >&2
  exit 1
fi
cat target/planted/summary.md
