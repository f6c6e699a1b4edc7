#!/bin/sh
# Times one `git commit` of a one-line change in a large working tree: no hook,
# the `vastleaks install-hook` hook, and the pre-commit framework running the
# `vastleaks-system` hook from this checkout. Needs `pre-commit` on PATH.
#
# Usage: bench/hooks.sh REPO
#   REPO  a repository with many tracked files (it is cloned, not modified)
#   VASTLEAKS=path/to/binary (default target/release/vastleaks)
set -eu
repo=$1
bin=$(realpath "${VASTLEAKS:-target/release/vastleaks}")
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$(dirname "$bin"):$PATH" PRE_COMMIT_HOME="$work/pre-commit-home"
git clone -q "$repo" "$work/repo"
cd "$work/repo"
git config user.name bench && git config user.email bench@example.com
echo "repository: $repo ($(git ls-files | wc -l) tracked files)"

commit() { # label: 5 commits, wall seconds each
    times=
    for _ in 1 2 3 4 5; do
        echo "change $(date +%s%N)" >> bench-change.txt
        git add bench-change.txt
        /usr/bin/time -f "%e" -o "$work/time" git commit -q -m bench 2> /dev/null
        times="$times $(cat "$work/time")"
    done
    printf '%-32s%s (s, 5 commits)\n' "$1" "$times"
}
commit "no hook"
"$bin" install-hook . > /dev/null
commit "vastleaks install-hook"
rm .git/hooks/pre-commit

mkdir "$work/hooks" && cp "$here/.pre-commit-hooks.yaml" "$work/hooks/"
git -C "$work/hooks" init -q && git -C "$work/hooks" add -A
git -C "$work/hooks" -c user.name=b -c user.email=b@e commit -q -m hooks
rev=$(git -C "$work/hooks" rev-parse HEAD)
printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: vastleaks-system\n' "$work/hooks" "$rev" > .pre-commit-config.yaml
git add .pre-commit-config.yaml && git commit -q --no-verify -m config
pre-commit install > /dev/null
commit "pre-commit vastleaks-system"
