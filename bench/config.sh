#!/usr/bin/env bash
# What the project configuration costs a pre-commit scan (a benchmark, not a
# test: run by hand). Builds a 5,000-file repository with one staged change,
# then times `vastleaks scan --staged` whole-process, alternating runs with
# and without configuration work (--no-config skips discovery, the second
# repository open and the read), in a repository without a .vastleaks.toml
# and in one with a committed one (allow-paths, so a glob is compiled and the
# committed copy compared for the note).
#
# Usage: bench/config.sh [RUNS]   (default 60)
# Env:   VASTLEAKS (binary; default target/release/vastleaks)
set -euo pipefail
runs="${1:-60}"
bin="$(realpath "${VASTLEAKS:-target/release/vastleaks}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

make_repo() { # dir, with_config
    mkdir -p "$1" && cd "$1" && git init -q -b main
    for d in $(seq 1 50); do
        mkdir "d$d"
        for f in $(seq 1 100); do echo "line $d $f" > "d$d/f$f.txt"; done
    done
    if [[ $2 == yes ]]; then printf 'allow-paths = ["tests/fixtures/**"]\n' > .vastleaks.toml; fi
    git add -A && git -c user.name=b -c user.email=b@e commit -qm init
    echo change >> d1/f1.txt && git add d1/f1.txt
    cd - > /dev/null
}
make_repo "$work/plain" no
make_repo "$work/configured" yes

python3 - "$bin" "$runs" "$work" <<'PY'
import statistics, subprocess, sys, time
bin, runs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for repo in ("plain", "configured"):
    times = {"default": [], "--no-config": []}
    for _ in range(runs):
        for label in times:
            args = [bin, "scan", "--staged", "-q"] + ([] if label == "default" else [label])
            start = time.perf_counter()
            subprocess.run(args, cwd=f"{work}/{repo}", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - start)
    for label, t in times.items():
        print(f"{repo:11} {label:12} median {statistics.median(t) * 1000:5.1f} ms  min {min(t) * 1000:5.1f} ms")
PY
