#!/usr/bin/env bash
# Measures whether the gate (`ksnsim run`) and the explorer (`ksnsim explore`) catch each one-bug patch of a set.
#
#   ci/fresh-bugs/run.sh SET [--explore-budget 60s] [--only NN[,NN...]] [--explore-if-gate-missed]
#
# SET is a folder beside this script (ci/fresh-bugs/SET/) holding NN-slug.patch files and bugs.toml (one [[bug]]
# table per patch: patch, file, requirement, clause, why). The checkout measured is the one this script sits in,
# at its HEAD commit (uncommitted changes are not measured). For the clean tree first, then for each patch:
#   - a scratch worktree of HEAD (one, at a fixed path, reset between patches) and one scratch target dir reused
#     across patches and runs (incremental builds);
#   - git apply (a patch that no longer applies is "does-not-apply", never caught);
#   - cargo build --release -p ksnsim --bins (a patch that no longer builds is "build-failed");
#   - gate:    ksnsim run --report DIR           exit 1 caught, 0 missed, anything else error (exit code kept);
#   - explore: ksnsim explore --budget B --seed 1 --out DIR
#              exit 1 caught (a violation that replays the same), 4 caught-nondeterministic (a violation whose
#              written feature does not fail the same way), 0 missed, anything else error.
# With --explore-if-gate-missed, explore runs on the clean tree and on the patches the gate missed only (the
# "either" score is the same; the explore column then counts only those): a set measures in about half the time.
# Writes ci/fresh-bugs/SET/results.json and score.md. With --only, the patches named are measured again and their
# entries replaced in an existing results.json; the others are kept.
#
# Environment: FRESH_BUGS_WORK (default ${TMPDIR:-/tmp}/ksnsim-fresh-bugs) holds the worktree, the target dir and
# the logs; FRESH_BUGS_TARGET overrides the target dir. Needs git, cargo, python3 (3.11+, for tomllib).
set -euo pipefail

usage() {
    echo "usage: $0 SET [--explore-budget 60s] [--only NN[,NN...]] [--explore-if-gate-missed]" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
SET=$1
shift
BUDGET=60s
ONLY=""
EXPLORE_ALL=true
while [[ $# -gt 0 ]]; do
    case $1 in
        --explore-budget) BUDGET=${2:?--explore-budget needs a value, e.g. 60s}; shift 2 ;;
        --explore-budget=*) BUDGET=${1#*=}; shift ;;
        --only) ONLY=${2:?--only needs NN}; shift 2 ;;
        --only=*) ONLY=${1#*=}; shift ;;
        --explore-if-gate-missed) EXPLORE_ALL=false; shift ;;
        -h|--help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done

command -v python3 >/dev/null || { echo "run.sh needs python3" >&2; exit 2; }
python3 -c 'import tomllib' 2>/dev/null || { echo "run.sh needs python3 >= 3.11 (tomllib)" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
SETDIR=$HERE/$SET
[[ -d $SETDIR ]] || { echo "no set folder $SETDIR" >&2; exit 2; }
[[ -f $SETDIR/bugs.toml ]] || { echo "no $SETDIR/bugs.toml" >&2; exit 2; }
COMMIT=$(git -C "$ROOT" rev-parse HEAD)
COMMAND="ci/fresh-bugs/run.sh $SET --explore-budget $BUDGET${ONLY:+ --only $ONLY}"
$EXPLORE_ALL || COMMAND="$COMMAND --explore-if-gate-missed"

# Time bounds of each step (seconds); every loop below is bounded by the number of patches.
BUILD_TIMEOUT=${FRESH_BUGS_BUILD_TIMEOUT:-2400}
GATE_TIMEOUT=${FRESH_BUGS_GATE_TIMEOUT:-1200}
budget_seconds() {
    local b=$1
    case $b in
        *ms) echo 1 ;;
        *s) echo "${b%s}" ;;
        *m) echo $(( ${b%m} * 60 )) ;;
        *h) echo $(( ${b%h} * 3600 )) ;;
        *) echo "$b" ;;
    esac
}
EXPLORE_TIMEOUT=$(( $(budget_seconds "$BUDGET") + ${FRESH_BUGS_SHRINK_TIMEOUT:-900} ))

WORK=${FRESH_BUGS_WORK:-${TMPDIR:-/tmp}/ksnsim-fresh-bugs}
TARGET=${FRESH_BUGS_TARGET:-$WORK/target}
TREE=$WORK/tree
LOGS=$WORK/logs/$SET
mkdir -p "$WORK" "$TARGET" "$LOGS"

# One measurement at a time per work folder (they share the worktree path and the target dir).
exec 9>"$WORK/lock"
if ! flock -n 9; then
    echo "another run.sh holds $WORK/lock: wait for it, or set FRESH_BUGS_WORK" >&2
    exit 2
fi

remove_tree() {
    if [[ -e $TREE ]]; then
        git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null || rm -rf "$TREE"
    fi
    git -C "$ROOT" worktree prune 2>/dev/null || true
}
cleanup() {
    remove_tree
}
trap cleanup EXIT
remove_tree
git -C "$ROOT" worktree add --detach "$TREE" "$COMMIT" >/dev/null

if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no) ]]; then
    echo "note: $ROOT has uncommitted changes; measuring HEAD $COMMIT only" >&2
fi

# The patches to measure.
mapfile -t ALL_PATCHES < <(cd "$SETDIR" && ls -1 -- *.patch 2>/dev/null | sort)
[[ ${#ALL_PATCHES[@]} -gt 0 ]] || { echo "no patches in $SETDIR" >&2; exit 2; }
PATCHES=()
if [[ -n $ONLY ]]; then
    IFS=',' read -r -a WANTED <<<"$ONLY"
    for p in "${ALL_PATCHES[@]}"; do
        for w in "${WANTED[@]}"; do
            [[ $p == "$w"* ]] && PATCHES+=("$p")
        done
    done
    [[ ${#PATCHES[@]} -gt 0 ]] || { echo "--only $ONLY matches no patch in $SETDIR" >&2; exit 2; }
else
    PATCHES=("${ALL_PATCHES[@]}")
fi

RAW=$LOGS/raw.jsonl
: >"$RAW"

# The requirement ids named by a run's report (failing or erroring items) and by an explore finding.
gate_requirements() {
    python3 - "$1" <<'PY'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
ids, scenarios = [], []
for path in sorted(root.rglob("*.json")):
    try:
        doc = json.loads(path.read_text())
    except Exception:
        continue
    if not isinstance(doc, dict) or "items" not in doc:
        continue
    for item in doc.get("items", []):
        if item.get("verdict") in ("pass", "not_applicable", "not_tested"):
            continue
        failure = item.get("failure") or {}
        named = failure.get("requirement")
        reqs = [named] if named else list(item.get("requirements") or [])
        for r in reqs:
            if r not in ids:
                ids.append(r)
        scenarios.append(f"{item.get('verdict')}: {item.get('id')} ({', '.join(reqs)})")
    break
print(json.dumps({"ids": ids, "scenarios": scenarios}))
PY
}

explore_requirement() {
    # $1 = explore stdout, $2 = out dir
    python3 - "$1" "$2" <<'PY'
import json, pathlib, re, sys
text = pathlib.Path(sys.argv[1]).read_text(errors="replace")
m = re.search(r"^VIOLATED (\S+)\s*\n\s*(.*)$", text, re.M)
req, message = (m.group(1), m.group(2).strip()) if m else (None, None)
if req is None:
    p = pathlib.Path(sys.argv[2]) / "explore.json"
    if p.exists():
        try:
            doc = json.loads(p.read_text())
            finding = doc.get("finding") or {}
            req = finding.get("requirement") or finding.get("violated")
            message = finding.get("message")
        except Exception:
            pass
print(json.dumps({"requirement": req, "message": message}))
PY
}

# measure LABEL PATCH_OR_EMPTY: one line of JSON appended to $RAW.
measure() {
    local label=$1 patch=$2
    local log=$LOGS/$label
    rm -rf "$log"
    mkdir -p "$log"
    local gate="" gate_rc="" explore="" explore_rc="" applies=true built=true
    local t0
    t0=$(date +%s)
    echo "== $label" >&2
    git -C "$TREE" reset -q --hard "$COMMIT"
    git -C "$TREE" clean -qfdx
    if [[ -n $patch ]] && ! git -C "$TREE" apply "$SETDIR/$patch" 2>"$log/apply.log"; then
        applies=false
        gate=does-not-apply
        explore=does-not-apply
        echo "   does not apply: $(head -1 "$log/apply.log")" >&2
    fi
    if $applies; then
        # Incremental release builds without debug info, in the scratch target dir only: each patch touches one
        # file, and a rebuild then takes a fraction of a full one (the code measured is the same).
        if ! (cd "$TREE" && CARGO_TARGET_DIR=$TARGET CARGO_PROFILE_RELEASE_INCREMENTAL=true \
                CARGO_PROFILE_RELEASE_DEBUG=none timeout "$BUILD_TIMEOUT" \
                cargo build --release -p ksnsim --bins) >"$log/build.log" 2>&1; then
            built=false
            gate=build-failed
            explore=build-failed
            echo "   build failed: see $log/build.log" >&2
        fi
    fi
    local gate_json='{"ids":[],"scenarios":[]}' explore_json='{"requirement":null,"message":null}'
    if $applies && $built; then
        set +e
        (cd "$TREE" && timeout "$GATE_TIMEOUT" "$TARGET/release/ksnsim" run --report "$log/run") \
            >"$log/gate.out" 2>"$log/gate.err"
        gate_rc=$?
        set -e
        case $gate_rc in
            0) gate=missed ;;
            1) gate=caught ;;
            *) gate=error ;;
        esac
        gate_json=$(gate_requirements "$log/run")
        echo "   gate: $gate (exit $gate_rc) $(python3 -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])["ids"]))' "$gate_json")" >&2
    fi
    if $applies && $built && [[ $EXPLORE_ALL == false && -n $patch && $gate == caught ]]; then
        explore=not-run
        echo "   explore: not run (the gate caught it)" >&2
    elif $applies && $built; then
        set +e
        (cd "$TREE" && timeout "$EXPLORE_TIMEOUT" "$TARGET/release/ksnsim" explore --budget "$BUDGET" --seed 1 \
            --out "$log/explore") >"$log/explore.out" 2>"$log/explore.err"
        explore_rc=$?
        set -e
        case $explore_rc in
            0) explore=missed ;;
            1) explore=caught ;;
            4) explore=caught-nondeterministic ;;
            *) explore=error ;;
        esac
        explore_json=$(explore_requirement "$log/explore.out" "$log/explore")
        echo "   explore: $explore (exit $explore_rc) $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requirement"] or "")' "$explore_json")" >&2
    fi
    python3 - "$label" "$patch" "$gate" "$gate_rc" "$gate_json" "$explore" "$explore_rc" "$explore_json" \
        "$(( $(date +%s) - t0 ))" "$COMMIT" "$log" >>"$RAW" <<'PY'
import json, sys
label, patch, gate, gate_rc, gate_json, explore, explore_rc, explore_json, secs, commit, log = sys.argv[1:]
g, e = json.loads(gate_json), json.loads(explore_json)
print(json.dumps({
    "label": label, "patch": patch or None, "commit": commit,
    "gate": gate, "gate_exit": int(gate_rc) if gate_rc else None,
    "gate_requirements": g["ids"], "gate_failed_scenarios": g["scenarios"],
    "explore": explore, "explore_exit": int(explore_rc) if explore_rc else None,
    "explore_requirement": e["requirement"], "explore_message": e["message"],
    "seconds": int(secs), "logs": log,
}))
PY
}

measure clean ""
for p in "${PATCHES[@]}"; do
    measure "${p%.patch}" "$p"
done

# Results and score.
python3 - "$SETDIR" "$RAW" "$COMMIT" "$COMMAND" "$BUDGET" <<'PY'
import datetime, json, pathlib, sys, tomllib
setdir, raw, commit, command, budget = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
bugs = {b["patch"]: b for b in tomllib.loads((setdir / "bugs.toml").read_text()).get("bug", [])}
runs = [json.loads(l) for l in open(raw) if l.strip()]
clean = next(r for r in runs if r["label"] == "clean")
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

def entry(r):
    b = bugs.get(r["patch"], {})
    return {
        "patch": r["patch"], "file": b.get("file"), "requirement": b.get("requirement"),
        "clause": b.get("clause"), "side": b.get("side"),
        "gate": r["gate"], "gate_exit": r["gate_exit"], "gate_requirements": r["gate_requirements"],
        "gate_failed_scenarios": r["gate_failed_scenarios"],
        "explore": r["explore"], "explore_exit": r["explore_exit"],
        "explore_requirement": r["explore_requirement"], "explore_message": r["explore_message"],
        "commit": r["commit"], "measured": now, "seconds": r["seconds"],
    }

results_path = setdir / "results.json"
previous = {}
if results_path.exists():
    try:
        previous = {e["patch"]: e for e in json.loads(results_path.read_text())}
    except Exception:
        previous = {}
fresh = {r["patch"]: entry(r) for r in runs if r["patch"]}
merged = dict(previous)
merged.update(fresh)
patches = sorted(p.name for p in setdir.glob("*.patch"))
results = [merged[p] for p in patches if p in merged]
results_path.write_text(json.dumps(results, indent=2) + "\n")

def caught(v):
    return v in ("caught", "caught-nondeterministic")

n = len(results)
gate_n = sum(caught(e["gate"]) for e in results)
explore_n = sum(caught(e["explore"]) for e in results)
either_n = sum(caught(e["gate"]) or caught(e["explore"]) for e in results)
gate_err = [e for e in results if e["gate"] == "error"]
unmeasured = [e for e in results if e["gate"] in ("does-not-apply", "build-failed")]
missed_both = [e for e in results if not caught(e["gate"]) and not caught(e["explore"])]
false_alarm = clean["gate"] != "missed" or clean["explore"] != "missed"

def right(e, got):
    if not got:
        return ""
    return " (right id)" if e["requirement"] in got else " (other id)"

lines = [f"# Fresh bugs, set {setdir.name}: score", ""]
lines.append(f"- commit measured: `{commit}`")
lines.append(f"- date: {now}")
lines.append(f"- command: `{command}` (explore: `ksnsim explore --budget {budget} --seed 1`; gate: `ksnsim run`)")
lines.append("")
if false_alarm:
    lines.append("**FALSE ALARM ON THE CLEAN TREE**: "
                 f"gate {clean['gate']} (exit {clean['gate_exit']}; {', '.join(clean['gate_requirements']) or '-'}), "
                 f"explore {clean['explore']} (exit {clean['explore_exit']}; {clean['explore_requirement'] or '-'}). "
                 "Catches below are not to be trusted where they name the same ids.")
else:
    lines.append(f"Clean tree: gate passed (exit {clean['gate_exit']}), explore found nothing "
                 f"(exit {clean['explore_exit']}): no false alarm.")
guarded_file = pathlib.Path(clean["logs"]) / "explore" / "explore.json"
try:
    guarded = json.loads(guarded_file.read_text()).get("guarded_requirements") or []
except Exception:
    guarded = []
if guarded:
    lines.append("")
    lines.append(f"Explore judges {len(guarded)} requirements only: {', '.join(guarded)}.")
lines.append("")
lines.append("## Totals")
lines.append("")
lines.append(f"- gate: {gate_n}/{n}" + (f" (plus {len(gate_err)} error: " + ", ".join(f"{e['patch'][:2]} exit {e['gate_exit']}" for e in gate_err) + ")" if gate_err else ""))
explore_run = sum(e["explore"] != "not-run" for e in results)
if explore_run < n:
    lines.append(f"- explore: {explore_n}/{explore_run} (run only on the patches the gate missed)")
else:
    lines.append(f"- explore: {explore_n}/{n}")
lines.append(f"- gate or explore: {either_n}/{n}")
lines.append("- missed by both: " + (", ".join(f"{e['patch']} ({e['requirement']})" for e in missed_both) or "none"))
if unmeasured:
    lines.append("- not measured: " + ", ".join(f"{e['patch']} ({e['gate']})" for e in unmeasured))
lines.append("")
lines.append("## Per bug")
lines.append("")
lines.append("| patch | requirement | clause | gate | gate named | explore | explore named |")
lines.append("|---|---|---|---|---|---|---|")
for e in results:
    gate = e["gate"] + (f" (exit {e['gate_exit']})" if e["gate"] == "error" else "")
    named = ", ".join(e["gate_requirements"]) or "-"
    ex_named = e["explore_requirement"] or "-"
    clause = (e["clause"] or "").replace("|", "/")
    lines.append(f"| {e['patch']} | {e['requirement']} | {clause} | {gate} | {named}{right(e, e['gate_requirements'])} "
                 f"| {e['explore']} | {ex_named}{right(e, [e['explore_requirement']] if e['explore_requirement'] else [])} |")
lines.append("")
lines.append("'right id': the failing scenarios / the finding name the requirement the patch breaks; 'other id': they "
             "fail for another requirement only (caught, perhaps for another reason). Logs of the last run: "
             "`$FRESH_BUGS_WORK/logs/` (default `${TMPDIR:-/tmp}/ksnsim-fresh-bugs/logs/`).")
(setdir / "score.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
