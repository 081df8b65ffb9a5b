#!/usr/bin/env bash
# The conformance matrix: runs `ksnsim conformance` against every implementation below (the reference
# ksn-proxy, and nginx and Squid in a careful and a naive configuration, through the adapter scripts of this
# folder), Global and Private, and puts the runs side by side with `ksnsim report compare`.
#
#   conformance/matrix.sh [OUT]        (default OUT: reports/out/matrix)
#
# Writes OUT/<impl>/ (each run's reports and its terminal table, table.txt), OUT/compare/ (the side-by-side
# matrix), OUT/verdicts.tsv (impl, check id, verdict: what ci/matrix.sh compares with
# conformance/expected-verdicts.tsv) and OUT/times.tsv (wall seconds per implementation).
# Needs target/release/{ksnsim,ksn-proxy} (cargo build --release -p ksnsim -p ksnsim-reference --bins),
# or KSNSIM and KSN_PROXY pointing at them; and nginx and squid on PATH (Debian: apt-get install nginx
# squid-openssl — the default squid package is built with GnuTLS, whose TLS to the upstream fails, see
# conformance/EXPECTED.md). An implementation whose program is missing is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-reports/out/matrix}
KSNSIM=${KSNSIM:-target/release/ksnsim}
KSN_PROXY=${KSN_PROXY:-target/release/ksn-proxy}
for program in "$KSNSIM" "$KSN_PROXY"; do
    [ -x "$program" ] || {
        echo "matrix: $program is not built: cargo build --release -p ksnsim -p ksnsim-reference --bins" >&2
        exit 2
    }
done
# ksn-proxy's cache capacity, so that PX-CACHE-7 is tested for it (nginx and Squid bound their caches in
# bytes, not entries: PX-CACHE-7 is not tested for them).
CAPACITY=64

rm -rf "$OUT"
mkdir -p "$OUT/tmp"
# The adapters make their directories under TMPDIR and exec their proxy, so they cannot clean up: this does.
export TMPDIR
TMPDIR=$(realpath "$OUT/tmp")
printf 'impl\tseconds\texit\n' > "$OUT/times.tsv"
printf 'impl\tcheck\tverdict\n' > "$OUT/verdicts.tsv"

# name | program that must be on PATH (or a file) | proxy command | extra ksnsim flags
IMPLS=(
    "ksn-proxy|$KSN_PROXY|'$(realpath "$KSN_PROXY")' --listen {listen} --upstream {upstream} --ca {ca} --upstream-timeout-ms 2000 --cache-capacity $CAPACITY|--cache-capacity $CAPACITY"
    "nginx-careful|nginx|conformance/nginx/careful.sh {listen} {upstream} {ca}|"
    "nginx-naive|nginx|conformance/nginx/naive.sh {listen} {upstream} {ca}|"
    "squid-careful|squid|conformance/squid/careful.sh {listen} {upstream} {ca}|"
    "squid-naive|squid|conformance/squid/naive.sh {listen} {upstream} {ca}|"
)

reports=()
for entry in "${IMPLS[@]}"; do
    IFS='|' read -r name program command extra <<< "$entry"
    if ! command -v "$program" > /dev/null && [ ! -x "$program" ]; then
        echo "matrix: $name skipped: $program is not installed" >&2
        continue
    fi
    mkdir -p "$OUT/$name"
    started=$(date +%s.%N)
    # In a session of its own, so that whatever the proxy leaves behind is found by its process group.
    # shellcheck disable=SC2086
    setsid "$KSNSIM" conformance --name "$name" --proxy-cmd "$command" --private-cmd "$command" $extra \
        --report "$OUT/$name" --pki "$OUT/pki" > "$OUT/$name/table.txt" 2>&1 < /dev/null &
    leader=$!
    code=0
    wait "$leader" || code=$?
    kill -- "-$leader" 2> /dev/null || true
    seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    printf '%s\t%s\t%s\n' "$name" "$seconds" "$code" >> "$OUT/times.tsv"
    # The table's rows: id, level, verdict ("not tested" is two words); wrapped reasons are indented.
    awk -v impl="$name" '/^PX-/ { v = $3; if ($3 == "not") v = "not tested"; printf "%s\t%s\t%s\n", impl, $1, v }' \
        "$OUT/$name/table.txt" >> "$OUT/verdicts.tsv"
    echo "matrix: $name: exit $code in $seconds s ($(tail -n +2 "$OUT/$name/table.txt" | grep -m1 ' checks: ' || echo 'no table'))"
    reports+=("$OUT/$name/report.json")
done
rm -rf "$OUT/tmp"
if [ "${#reports[@]}" -gt 0 ]; then
    "$KSNSIM" report compare "${reports[@]}" --out "$OUT/compare" > "$OUT/compare.txt"
    cat "$OUT/compare.txt"
fi
echo "matrix: $OUT/verdicts.tsv, $OUT/times.tsv, $OUT/compare/"
