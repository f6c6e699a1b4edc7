#!/usr/bin/env bash
# Working-tree scan benchmark: vastleaks vs. ripgrep's `rg -i -c vast` (the floor:
# the same keyword search with nothing else to do) on >= 200 MB of real source
# text found on this machine, with a few planted keys.
#
#   bench/scan_vs_rg.sh [RUNS]        (default 5 runs each, after one warm-up)
#
# Prints the median wall time of each, their ratio, and checks that vastleaks
# found exactly the planted keys. The corpus is cached in bench/corpus/tree.
set -euo pipefail

runs=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
corpus=$here/corpus/tree
min_bytes=$((200 * 1024 * 1024))

need_rg() {
  command -v rg >/dev/null 2>&1 && return
  echo "installing ripgrep..." >&2
  if command -v apt-get >/dev/null 2>&1 && { apt-get install -y -qq ripgrep >/dev/null 2>&1 || sudo -n apt-get install -y -qq ripgrep >/dev/null 2>&1; }; then
    return
  fi
  cargo install ripgrep --locked --quiet
}

build_corpus() {
  [ -f "$corpus/.complete" ] && return
  rm -rf "$corpus"
  mkdir -p "$corpus"
  echo "building corpus in $corpus ..." >&2
  local n=0
  # Real source text: crate sources, the Rust standard library, the Python
  # standard library, C headers. Copied so every run reads the same bytes.
  for src in "$HOME"/.cargo/registry/src/*/ \
             "$HOME"/.rustup/toolchains/*/lib/rustlib/src/rust/library \
             /root/.pyenv/versions/*/lib/python3* /usr/lib/python3* /usr/include; do
    [ -d "$src" ] || continue
    n=$((n + 1))
    cp -r "$src" "$corpus/src$n" 2>/dev/null || true
    # Keep text only, and nothing that a .gitignore would hide from one tool
    # but not the other: both tools must read the same files.
    find "$corpus/src$n" \( -name '*.pyc' -o -name '*.so' -o -name '*.a' -o -name '*.exe' \
      -o -name '.gitignore' -o -name '.ignore' -o -type l \) -delete
    [ "$(du -sb "$corpus" | cut -f1)" -ge $((min_bytes + 50 * 1024 * 1024)) ] && break
  done
  # Planted keys (random values, never real), in contexts users leak them in.
  mkdir -p "$corpus/planted"
  printf 'VAST_API_KEY=38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad\n' > "$corpus/planted/.env"
  printf 'vastai set api-key 0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39\n' > "$corpus/planted/setup.sh"
  printf 'requests.exceptions.HTTPError: 429 for url: https://console.vast.ai/api/v0/bundles/?api_key=97a188ae6989333290979729e514930096e84e5b529ab3caacf0091ae36d40c5\n' > "$corpus/planted/run.log"
  printf '2edaa5fb5e0a4fedce950305f38d3453ddf1931687de519891a99c9ffa40449c\n' > "$corpus/planted/vast_api_key"
  local bytes
  bytes=$(du -sb "$corpus" | cut -f1)
  if [ "$bytes" -lt "$min_bytes" ]; then
    echo "only $bytes bytes of source text found; need $min_bytes" >&2
    exit 2
  fi
  touch "$corpus/.complete"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Wall seconds of one run of "$@" (output discarded).
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

need_rg
command -v bc >/dev/null 2>&1 || { apt-get install -y -qq bc >/dev/null 2>&1 || true; }
build_corpus
(cd "$repo" && cargo build --release --quiet)
bin=$repo/target/release/vastleaks

files=$(find "$corpus" -type f | wc -l)
bytes=$(du -sb "$corpus" | cut -f1)
echo "corpus: $files files, $((bytes / 1024 / 1024)) MiB ($corpus)"

found=$("$bin" scan --format jsonl "$corpus" 2>/dev/null | wc -l || true)
echo "vastleaks findings: $found (4 planted)"

# Warm the page cache for both, then alternate runs so drift hits both equally.
wall "$bin" scan -q "$corpus" >/dev/null
wall rg -i -c vast "$corpus" >/dev/null
vl=(); rg=()
for _ in $(seq "$runs"); do
  vl+=("$(wall "$bin" scan -q "$corpus")")
  rg+=("$(wall rg -i -c vast "$corpus")")
done
vl_med=$(printf '%s\n' "${vl[@]}" | median)
rg_med=$(printf '%s\n' "${rg[@]}" | median)
printf 'vastleaks scan     median %.3f s  (runs: %s)\n' "$vl_med" "${vl[*]}"
printf 'rg -i -c vast      median %.3f s  (runs: %s)\n' "$rg_med" "${rg[*]}"
printf 'ratio vastleaks/rg %.2f   (goal <= 1.5)\n' "$(echo "$vl_med / $rg_med" | bc -l)"
