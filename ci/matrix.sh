#!/usr/bin/env bash
# The conformance matrix as a check: builds the release binaries, runs conformance/matrix.sh, and fails when
# any verdict differs from conformance/expected-verdicts.tsv (impl, check id, verdict) or an implementation
# took 60 s or more. Needs nginx and squid (Debian: apt-get install -y nginx squid-openssl).
#
#   ci/matrix.sh [OUT]                 (default OUT: reports/out/matrix)
#   ci/matrix.sh --update [OUT]        writes the run's verdicts to conformance/expected-verdicts.tsv
set -euo pipefail
cd "$(dirname "$0")/.."
update=false
if [ "${1:-}" = --update ]; then
    update=true
    shift
fi
OUT=${1:-reports/out/matrix}
for program in nginx squid; do
    command -v "$program" > /dev/null || {
        echo "ci/matrix: $program is not installed (apt-get install -y nginx squid-openssl)" >&2
        exit 2
    }
done
cargo build --release --locked -p ksnsim -p ksnsim-reference --bins
conformance/matrix.sh "$OUT"
expected=conformance/expected-verdicts.tsv
if $update; then
    cp "$OUT/verdicts.tsv" "$expected"
    echo "ci/matrix: wrote $expected"
    exit 0
fi
status=0
if ! diff -u "$expected" "$OUT/verdicts.tsv"; then
    echo "ci/matrix: FAIL: verdicts differ from $expected (- expected, + this run); read the evidence in $OUT/<impl>/" >&2
    status=1
fi
# Every implementation ran, each within 60 s.
for impl in $(cut -f1 "$expected" | tail -n +2 | sort -u); do
    grep -q "^$impl	" "$OUT/times.tsv" || { echo "ci/matrix: FAIL: $impl did not run" >&2; status=1; }
done
slow=$(awk -F'\t' 'NR > 1 && $2 >= 60 { print $1 " took " $2 " s" }' "$OUT/times.tsv")
if [ -n "$slow" ]; then
    echo "ci/matrix: FAIL: over 60 s: $slow" >&2
    status=1
fi
[ "$status" = 0 ] && echo "ci/matrix: every verdict as expected; times in $OUT/times.tsv"
exit "$status"
