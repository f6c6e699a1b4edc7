#!/usr/bin/env bash
# Git-history benchmark for vastleaks (a benchmark, not a test: run by hand).
#
# Builds (once, cached under bench/corpus/) a repository with >= 10,000
# commits and >= 1 GB of blob content made of real source text (the cargo
# registry sources on this machine), written with `git fast-import` and
# packed with `git gc`, then prints:
#   - vastleaks scan --git: wall time, peak RSS, phase times
#   - the floor: git cat-file --batch-all-objects --unordered --batch >/dev/null
#   - their ratio (goal <= 0.4) and the memory goal (< 450 MiB)
#   - --staged with one changed file in the >= 4,000-file checkout (goal < 15 ms)
#   - a 50-commit --since-commit range vs the whole history
#   - attribution time of the planted keys (goal < 2 s)
#
# Usage: bench/git_history.sh [--rebuild]
# Env:   SOURCE_DIR (default ~/.cargo/registry/src), COMMITS (10000),
#        FILES_PER_COMMIT (8), TREE_FILES (5000), VASTLEAKS (binary to use)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="$here/corpus/history"
source_dir="${SOURCE_DIR:-$HOME/.cargo/registry/src}"
commits="${COMMITS:-10000}"
per_commit="${FILES_PER_COMMIT:-8}"
tree_files="${TREE_FILES:-5000}"

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is required for peak memory: apt-get install -y time" >&2
    exit 2
fi

if [[ "${1:-}" == "--rebuild" ]]; then
    rm -rf "$corpus"
fi

build_corpus() {
    echo "== building corpus in $corpus (once; cached)" >&2
    rm -rf "$corpus.tmp"
    git init -q -b main "$corpus.tmp"
    local started=$SECONDS
    # The generator: an initial tree of TREE_FILES real source files, then
    # COMMITS commits each editing FILES_PER_COMMIT of them (a line inserted,
    # a line appended), as real histories do: every version is a new blob,
    # and consecutive versions delta well. A few example keys are planted
    # in files that are later deleted, for the attribution measurement.
    python3 - "$source_dir" "$commits" "$per_commit" "$tree_files" <<'PY' |
import os, sys
src, commits, per_commit, tree_files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = sys.stdout.buffer
paths = []
for d, _, names in os.walk(src):
    for n in sorted(names):
        if n.endswith((".rs", ".md", ".toml", ".txt", ".c", ".h", ".py")):
            p = os.path.join(d, n)
            try:
                if 200 <= os.path.getsize(p) <= 256 * 1024:
                    paths.append(p)
            except OSError:
                pass
paths.sort()
if len(paths) < 100:
    sys.exit("not enough source files under " + src)
files = {}
for i in range(tree_files):
    p = paths[i % len(paths)]
    rel = os.path.relpath(p, src)
    if i >= len(paths):
        rel = "copy%d/%s" % (i // len(paths), rel)
    with open(p, "rb") as f:
        files[rel] = f.read()
names = sorted(files)
# Example keys from the project's tests (random values, never real keys).
keys = [
    "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad",
    "0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39",
    "97a188ae6989333290979729e514930096e84e5b529ab3caacf0091ae36d40c5",
    "2edaa5fb5e0a4fedce950305f38d3453ddf1931687de519891a99c9ffa40449c",
    "5f0bff8c88adad278b09ea7d902af5918868265f46db2b6c8fdff0cceaa69b0a",
]
plant = {commits * (k + 1) // (len(keys) + 1): k for k in range(len(keys))}
t0 = 1_600_000_000

def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")

def commit(n, message, changes, deletes=()):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer Bench <bench@example.com> %d +0000\n" % (t0 + n * 600))
    data(message.encode())
    if n == 0:
        out.write(b"deleteall\n")
    for rel in deletes:
        out.write(b"D %s\n" % rel.encode())
    for rel, content in changes:
        out.write(b"M 100644 inline %s\n" % rel.encode())
        data(content)

commit(0, "initial import", [(r, files[r]) for r in names])
for n in range(1, commits):
    changes = []
    for j in range(per_commit):
        rel = names[(n * 7919 + j * 104729) % len(names)]
        body = files[rel]
        lines = body.split(b"\n")
        at = (n * 31 + j) % max(1, len(lines))
        lines.insert(at, b"// edit %d.%d: keep the history moving" % (n, j))
        body = b"\n".join(lines) + b"\n// rev %d\n" % n
        if len(body) > 300 * 1024:
            body = body[-200 * 1024:]
        files[rel] = body
        changes.append((rel, body))
    deletes = []
    if n in plant:
        k = plant[n]
        changes.append(("deploy/vast-%d.env" % k, ("VAST_API_KEY=%s\n" % keys[k]).encode()))
    if n - 10 in plant:
        deletes.append("deploy/vast-%d.env" % plant[n - 10])
    commit(n, "change %d" % n, changes, deletes)
PY
    git -C "$corpus.tmp" fast-import --quiet
    echo "   fast-import: $((SECONDS - started)) s" >&2
    git -C "$corpus.tmp" -c pack.threads=0 gc -q
    echo "   + git gc: $((SECONDS - started)) s" >&2
    git -C "$corpus.tmp" checkout -q -f main
    mv "$corpus.tmp" "$corpus"
}

[[ -d "$corpus" ]] || build_corpus

vastleaks="${VASTLEAKS:-$root/target/release/vastleaks}"
if [[ ! -x "$vastleaks" ]]; then
    (cd "$root" && cargo build --release --quiet)
fi

# Facts about the corpus.
read -r n_commits < <(git -C "$corpus" rev-list --all --count)
read -r n_objects blob_bytes < <(git -C "$corpus" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
    awk '{n++} $1=="blob"{b+=$2} END{print n, b}')
n_files=$(git -C "$corpus" ls-files | wc -l)
pack_bytes=$(du -sb "$corpus/.git/objects/pack" | cut -f1)
cores=$(nproc)
echo "corpus: $n_commits commits, $n_objects objects, $((blob_bytes / 1048576)) MiB of blob content, pack $((pack_bytes / 1048576)) MiB, $n_files files at HEAD; $cores cores"

# Warm the page cache so both sides read from memory.
cat "$corpus"/.git/objects/pack/* >/dev/null

measure() { # prints "wall_seconds max_rss_kib"; command output discarded
    local log
    log=$(mktemp)
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$log.err" || true
    awk -F': ' '/Elapsed \(wall clock\)/{split($2,t,":"); w=(length(t)==3)?t[1]*3600+t[2]*60+t[3]:t[1]*60+t[2]} /Maximum resident/{r=$2} END{printf "%.2f %d\n", w, r}' "$log"
    rm -f "$log" "$log.err"
}

best_of() { # best of N runs of measure: "wall rss"
    local n=$1
    shift
    local best="" line
    for _ in $(seq "$n"); do
        line=$(measure "$@")
        if [[ -z "$best" ]] || awk -v a="${line% *}" -v b="${best% *}" 'BEGIN{exit !(a<b)}'; then best=$line; fi
    done
    echo "$best"
}

echo
echo "== full history"
read -r floor_s floor_kib < <(best_of 3 git -C "$corpus" cat-file --batch-all-objects --unordered --batch)
echo "git cat-file --batch-all-objects --unordered --batch: ${floor_s} s, peak ${floor_kib} KiB"
read -r vl_s vl_kib < <(best_of 3 "$vastleaks" scan --git "$corpus" --progress never -q)
echo "vastleaks scan --git: ${vl_s} s, peak $((vl_kib / 1024)) MiB"
awk -v a="$vl_s" -v b="$floor_s" 'BEGIN{printf "ratio vastleaks/cat-file: %.2fx (goal <= 0.40x)\n", a/b}'
echo "phases: $(VASTLEAKS_TIMINGS=1 "$vastleaks" scan --git "$corpus" --progress never -f json 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print([n for n in d["summary"].get("notes",[]) if n.startswith("timings")], "findings:", len(d["findings"]))')"
for jobs in 1 2; do
    read -r j_s j_kib < <(best_of 1 "$vastleaks" scan --git "$corpus" --progress never -q -j "$jobs")
    echo "  -j $jobs: ${j_s} s, peak $((j_kib / 1024)) MiB"
done

echo
echo "== --staged, one changed file in $n_files tracked files"
victim=$(git -C "$corpus" ls-files | sed -n '100p')
cp "$corpus/$victim" "$corpus/$victim.orig"
echo "// staged edit" >>"$corpus/$victim"
git -C "$corpus" add "$victim"
python3 - "$vastleaks" "$corpus" <<'PY'
import subprocess, sys, time
exe, repo = sys.argv[1], sys.argv[2]
def timed(cmd, stdin=None):
    runs = []
    for _ in range(30):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=repo, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append((time.perf_counter() - t) * 1000)
    runs.sort()
    return runs[len(runs)//2], runs[0]
print("vastleaks scan --staged: median %.1f ms, min %.1f ms (30 runs, whole process; goal < 15 ms)"
      % timed([exe, "scan", "--staged", "-q", "--progress", "never"]))
print("  floor, vastleaks scan - on empty input (start-up + rule compilation): median %.1f ms, min %.1f ms"
      % timed([exe, "scan", "-", "-q"], stdin=subprocess.DEVNULL))
print("  reference, git diff --cached --quiet: median %.1f ms, min %.1f ms" % timed(["git", "diff", "--cached", "--quiet"]))
PY
(cd "$corpus" && "$vastleaks" scan --staged --progress never 2>&1 >/dev/null | sed 's/^/  /')
git -C "$corpus" reset -q HEAD -- "$victim"
mv "$corpus/$victim.orig" "$corpus/$victim"

echo
echo "== range: the last 50 commits vs the whole history"
read -r r_s r_kib < <(best_of 3 "$vastleaks" scan --git --since-commit HEAD~50 "$corpus" --progress never -q)
echo "vastleaks scan --git --since-commit HEAD~50: ${r_s} s, peak $((r_kib / 1024)) MiB (full history: ${vl_s} s)"
read -r r_s2 _ < <(best_of 3 "$vastleaks" scan --git --since-commit HEAD~500 "$corpus" --progress never -q)
echo "vastleaks scan --git --since-commit HEAD~500: ${r_s2} s (10x the range)"
