#!/usr/bin/env bash
# The release gate: build, run the scenario suite (or one share of it) and the conformance run of the
# reference proxy, write every report, and exit non-zero on any failure: the reference is held to every MUST,
# SHOULD and MAY it implements (`--gate all`; third-party conformance gates on MUST by default).
#
#   ci/gate.sh                  # everything, reports under reports/out/gate/
#   ci/gate.sh 2/4              # share 2 of 4 of the suite (a CI matrix); conformance runs in share 1 only
#   KSNSIM_SEED=7 ci/gate.sh    # another base seed
#
# Exit codes are ksnsim's (README): 0 pass, 1 a requirement failed, 2 bad input, 3 ksnsim broke, 4 nondeterminism.
set -uo pipefail
cd "$(dirname "$0")/.."

share="${1:-}"
seed="${KSNSIM_SEED:-1}"
out="reports/out/gate${share:+/share-${share//\//-of-}}"

cargo build --release --locked -p ksnsim -p ksnsim-reference --bins || exit 3
ksnsim=target/release/ksnsim

status=0
partition=()
[ -n "$share" ] && partition=(--partition "$share")
"$ksnsim" run --seed "$seed" "${partition[@]}" --report "$out/suite" || status=$?

if [ -z "$share" ] || [ "${share%%/*}" = "1" ]; then
  proxy="target/release/ksn-proxy --listen {listen} --upstream {upstream} --ca {ca} --cache-capacity 100"
  "$ksnsim" conformance --name "ksn-proxy (reference)" \
    --proxy-cmd "$proxy" --private-cmd "$proxy" --cache-capacity 100 --gate all \
    --report "$out/conformance" || { s=$?; [ "$status" -eq 0 ] && status=$s; }
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out"/*/summary.md >> "$GITHUB_STEP_SUMMARY" 2>/dev/null || true
fi
echo "gate: reports in $out (exit $status)"
exit "$status"
