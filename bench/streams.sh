#!/usr/bin/env bash
# Streams and oversized input (a benchmark, not a test: run by hand).
#
# Prints, for the binary under test and (with BASELINE=path) for another one:
#   - peak RSS of `head -c 1G /dev/zero | vastleaks scan -`     (goal < 100 MB)
#   - peak RSS and time of `scan --git` on a repository holding one 500 MB
#     random blob, loose and then packed                       (goal < 100 MB)
#   - time of one 8 MB line with 8,000 findings (and 2 MB / 2,000) (goal < 1 s)
#
# Usage: bench/streams.sh
# Env:   VASTLEAKS (binary, default target/release/vastleaks), BASELINE (a
#        second binary to compare, e.g. one built from main), BLOB_MB (500),
#        STDIN_SIZE (1G)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$here/corpus/streams"
blob_mb="${BLOB_MB:-500}"
stdin_size="${STDIN_SIZE:-1G}"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is required for peak memory: apt-get install -y time" >&2
    exit 2
fi
vastleaks="${VASTLEAKS:-$root/target/release/vastleaks}"
if [[ ! -x "$vastleaks" ]]; then
    (cd "$root" && cargo build --release --quiet)
fi
binaries=("$vastleaks")
[[ -n "${BASELINE:-}" ]] && binaries+=("$BASELINE")

mkdir -p "$work"

# "wall_seconds max_rss_MiB cpu_seconds" of a shell command line; its
# output discarded. CPU (user + system) is quoted too: on a shared machine
# the wall time also measures the neighbours.
measure() {
    local log
    log=$(mktemp)
    /usr/bin/time -v -o "$log" bash -c "$1" >/dev/null 2>&1 || true
    awk -F': ' '/Elapsed \(wall clock\)/{split($2,t,":"); w=(length(t)==3)?t[1]*3600+t[2]*60+t[3]:t[1]*60+t[2]} /Maximum resident/{r=$2} /User time/{u=$2} /System time/{y=$2} END{printf "%.2f %.0f %.2f\n", w, r/1024, u+y}' "$log"
    rm -f "$log"
}

# Two repositories with one big random blob (built once): the blob loose
# in one, packed in the other.
repo="$work/big-blob"
if [[ ! -d "$repo-packed/.git" ]]; then
    echo "== building $repo-{loose,packed} (once): one ${blob_mb} MB random blob" >&2
    rm -rf "$repo-loose" "$repo-packed"
    git init -q -b main "$repo-loose"
    head -c "${blob_mb}M" /dev/urandom >"$repo-loose/weights.bin"
    printf 'VAST_API_KEY=38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad\n' >"$repo-loose/.env"
    git -C "$repo-loose" -c core.compression=1 add -A
    git -C "$repo-loose" -c user.name=b -c user.email=b@example.com commit -q -m "model and key"
    rm "$repo-loose/weights.bin"
    cp -r "$repo-loose" "$repo-packed"
    git -C "$repo-packed" -c pack.compression=1 gc -q
fi

# One long line with many findings (kept in a file: generation is not measured).
line_file() { # $1 = findings; 1,000 bytes each
    local file="$work/line-$1.txt"
    if [[ ! -f "$file" ]]; then
        python3 - "$1" "$file" <<'PY'
import hashlib, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        key = hashlib.sha256(b"bench %d" % i).hexdigest()
        unit = "VAST_API_KEY=%s " % key
        f.write(unit + "x" * (999 - len(unit)) + " ")
    f.write("\n")
PY
    fi
    echo "$file"
}

for bin in "${binaries[@]}"; do
    echo
    echo "== $bin"
    read -r s mib cpu < <(measure "head -c $stdin_size /dev/zero | '$bin' scan - -q")
    echo "head -c $stdin_size /dev/zero | scan -: ${s} s (cpu ${cpu} s), peak ${mib} MiB (goal < 100 MB)"

    for layout in loose packed; do
        read -r s mib cpu < <(measure "'$bin' scan --git '$repo-$layout' -q --progress never")
        echo "scan --git, ${blob_mb} MB blob $layout: ${s} s (cpu ${cpu} s), peak ${mib} MiB (goal < 100 MB)"
    done
    for n in 2000 8000; do
        file=$(line_file "$n")
        read -r s mib cpu < <(measure "'$bin' scan '$file' -q")
        echo "one $((n / 1000)) MB line, $n findings: ${s} s (cpu ${cpu} s), peak ${mib} MiB (goal < 1 s for 8,000)"
    done
done

echo
echo "what the packed scan reports:"
{ "$vastleaks" scan --git "$repo-packed" --progress never 2>&1 >/dev/null || true; } | grep -E 'skipped|scanned' | sed 's/^/  /'
