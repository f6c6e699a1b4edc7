#!/bin/sh
# Times what the GitHub Action spends installing vastleaks: scripts/install.sh
# fetching a release archive from a fake release host on 127.0.0.1 (python3
# -m http.server), checking it against a pinned SHA-256 and unpacking it, five
# times; and, with --cold, a cold `cargo install --locked` of this checkout
# (an empty target directory), which is what the Action does without a release.
#
# Usage: bench/install.sh [--cold]
#   VASTLEAKS=path/to/binary  the binary to package (default target/dist/vastleaks:
#                             `cargo build --profile dist` first)
set -eu
cold=${1:-}
here=$(pwd)
bin=$(realpath "${VASTLEAKS:-target/dist/vastleaks}")
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
target=x86_64-unknown-linux-musl
work=$(mktemp -d)
server=
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

mkdir -p "$work/site/v$version"
line=$(python3 scripts/package.py --binary "$bin" --target "$target" --out "$work/site/v$version" | sed -n 2p)
echo "$line" > "$work/pinned.txt"
archive="$work/site/v$version/vastleaks-$version-$target.tar.gz"
echo "binary: $(wc -c < "$bin") bytes; archive: $(wc -c < "$archive") bytes"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/site" "$port" >/dev/null 2>&1 &
server=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
  curl -fs -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done

times=
for i in 1 2 3 4 5; do
  /usr/bin/time -f "%e" -o "$work/time" sh scripts/install.sh --version "$version" \
    --dest "$work/dest$i" --mode binary --base-url "http://127.0.0.1:$port" \
    --checksums "$work/pinned.txt" --target "$target" 2>/dev/null
  times="$times $(cat "$work/time")"
done
echo "install.sh from the loopback release (s, 5 runs):$times"

if [ "$cold" = --cold ]; then
  /usr/bin/time -f "%e s wall, %U s user, %S s system" -o "$work/time" \
    cargo install --quiet --locked --path "$here" --root "$work/cold-root" --target-dir "$work/cold-target"
  echo "cold cargo install --locked: $(cat "$work/time")"
fi
