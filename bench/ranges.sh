#!/usr/bin/env bash
# Commit-range benchmark for vastleaks (a benchmark, not a test: run by hand).
#
# On a repository you give (measured on a bare copy of git/git: 849,014
# objects in one pack, 81,966 commits), prints wall time, CPU seconds and
# peak RSS (GNU time) of
#   - scan --git (the full-history audit), the yardstick;
#   - scan --git --since-commit HEAD~N for each N in RANGES, as vastleaks
#     chooses (the walk for small ranges, pack order for large ones);
#   - the same ranges with each strategy forced (VASTLEAKS_RANGE_STRATEGY=
#     walk|pack), unless STRATEGIES=0;
# each RUNS times, median first. Goal: any range costs at most about the
# full audit, and a 50-commit range stays near 0.1 s.
#
# It also checks that both strategies report the same findings (the
# "findings" array of the JSON report) for every range.
#
# Usage: bench/ranges.sh REPO
# Env:   RANGES ("50 500 5000 20000"), RUNS (3), STRATEGIES (1),
#        VASTLEAKS (binary; default target/release/vastleaks, built if missing)
# The scan never writes into REPO.
set -euo pipefail

repo="${1:?usage: bench/ranges.sh REPO}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
ranges="${RANGES:-50 500 5000 20000}"
runs="${RUNS:-3}"
strategies="${STRATEGIES:-1}"
bin="${VASTLEAKS:-$root/target/release/vastleaks}"

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is required for peak memory: apt-get install -y time" >&2
    exit 2
fi
if [[ -z "${VASTLEAKS:-}" && ! -x "$bin" ]]; then
    (cd "$root" && cargo build --release -q)
fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# measure LABEL STRATEGY ARGS...: RUNS runs; prints the median wall, its
# CPU (user+sys) and peak RSS, and the min-max of wall.
measure() {
    local label="$1" strategy="$2"
    shift 2
    local i
    for ((i = 0; i < runs; i++)); do
        VASTLEAKS_RANGE_STRATEGY="$strategy" /usr/bin/time -f '%e %U %S %M' -o "$out/time.$i" \
            "$bin" scan "$@" "$repo" -f json --progress never >"$out/$label.json" 2>/dev/null || true
    done
    python3 - "$label" "$out" "$runs" <<'PY'
import sys
label, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for i in range(runs):
    wall, user, sys_, rss = open(f"{out}/time.{i}").read().split()[-4:]
    rows.append((float(wall), float(user) + float(sys_), int(rss) // 1024))
rows.sort()
wall, cpu, rss = rows[len(rows) // 2]
print(f"{label:<28} wall {wall:7.2f} s  cpu {cpu:7.2f} s  peak {rss:5d} MiB  (wall {rows[0][0]:.2f}-{rows[-1][0]:.2f})")
PY
}

findings() {
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["findings"], sort_keys=True))' "$1"
}

echo "== $repo: $(git -C "$repo" count-objects -v | grep -E '^(count|in-pack):' | tr '\n' ' ')"
measure "audit (scan --git)" "" --git
for n in $ranges; do
    commits=$(git -C "$repo" rev-list --count "HEAD~$n..HEAD")
    echo "-- HEAD~$n: $commits commits"
    measure "HEAD~$n" "" --git --since-commit "HEAD~$n"
    if [[ "$strategies" == 1 ]]; then
        measure "HEAD~$n walk" walk --git --since-commit "HEAD~$n"
        measure "HEAD~$n pack" pack --git --since-commit "HEAD~$n"
        if [[ "$(findings "$out/HEAD~$n walk.json")" == "$(findings "$out/HEAD~$n pack.json")" ]]; then
            echo "   same findings both ways"
        else
            echo "   FINDINGS DIFFER between the strategies" >&2
            exit 1
        fi
    fi
done
