#!/usr/bin/env bash
# Runs every fuzz target in turn, one process (one job) each, at the lowest priority (the
# machine is shared): ./run-all.sh [SECONDS-PER-TARGET] [TARGET...]
# Corpora grow in corpus/TARGET (not committed); seeds/TARGET are the
# committed starting points; crashes land in artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
mkdir -p logs
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  dict=vast.dict
  [ -f "$target.dict" ] && dict="$target.dict"
  # Patterns stay short: a long one is slow to compile and finds nothing new.
  max_len=16384
  [ "$target" = rule_pattern ] && max_len=512
  echo "== $target: ${seconds}s"
  nice -n 19 timeout $((seconds + 120)) cargo +nightly fuzz run "$target" \
    "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -dict="$dict" \
    -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    2>&1 | tee "logs/$target.log" | grep -E "^#[0-9]+.*(pulse|DONE)|stat::|SUMMARY|panicked" || true
done
