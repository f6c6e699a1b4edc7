#!/bin/sh
# Installs vastleaks: a release binary, verified before it is ever run, or a
# build from source. Used by the GitHub Action (action.yml) and usable by hand:
#
#   sh scripts/install.sh --version 0.1.0 --dest "$HOME/.local" \
#     --base-url https://github.com/OWNER/vastleaks/releases/download
#
# A release archive is trusted only if
#   - its SHA-256 equals the one pinned for that version and platform in the
#     checksum table that ships with this script (packaging/release-checksums.txt,
#     so it is fixed by the commit the action is pinned to), or
#   - no sum is pinned and `gh attestation verify` (--attest-repo) confirms
#     the archive was built by this repository's release workflow.
# A mismatch or a failed attestation stops with exit code 1 and nothing is
# installed. A checksum file downloaded from the same release is not used: whoever
# can replace the archive can replace it too.
#
# Options:
#   --version V        version to install (required), e.g. 0.1.0
#   --dest DIR         install prefix; the binary goes to DIR/bin (required)
#   --mode MODE        auto (default): a verified release binary, else a source
#                      build; binary: a verified release binary or fail;
#                      source: always build from source
#   --base-url URL     release downloads: URL/vV/vastleaks-V-TARGET.tar.gz
#                      (https, or http to a loopback address for tests);
#                      empty: no release is looked for
#   --checksums FILE   pinned table, lines `VERSION TARGET SHA256`
#                      (default: ../packaging/release-checksums.txt)
#   --attest-repo R    OWNER/NAME whose build attestation may vouch for an
#                      archive that has no pinned sum (needs `gh` and GH_TOKEN)
#   --target TRIPLE    platform (default: detected from uname)
#   --source DIR       source build of this checkout (default: crates.io, --version)
#   --cargo PROGRAM    cargo for source builds (default: cargo)
#
# Exit codes: 0 installed, 1 verification failed or nothing could be
# installed, 2 usage error.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=
dest=
mode=auto
base_url=
checksums="$here/../packaging/release-checksums.txt"
attest_repo=
target=
source_dir=
cargo=cargo

say() { printf 'vastleaks install: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { say "usage error: $*"; exit 2; }

while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "$1 needs a value"
  case $1 in
    --version) version=$2 ;;
    --dest) dest=$2 ;;
    --mode) mode=$2 ;;
    --base-url) base_url=$2 ;;
    --checksums) checksums=$2 ;;
    --attest-repo) attest_repo=$2 ;;
    --target) target=$2 ;;
    --source) source_dir=$2 ;;
    --cargo) cargo=$2 ;;
    *) usage "unknown option $1" ;;
  esac
  shift 2
done

[ -n "$dest" ] || usage "--dest is required"
case $mode in auto | binary | source) ;; *) usage "--mode must be auto, binary or source, not '$mode'" ;; esac
# The version becomes part of a URL and a file name: digits and dots only
# (plus a pre-release suffix), never a path.
case $version in
  '' | *[!0-9A-Za-z.-]* | .* | *..*) usage "--version must look like 0.1.0, not '$version'" ;;
esac

# Release targets, as the release workflow names them.
detect_target() {
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
  esac
  case "$os/$arch" in
    Linux/x86_64) echo x86_64-unknown-linux-musl ;;
    Linux/aarch64) echo aarch64-unknown-linux-musl ;;
    Darwin/x86_64) echo x86_64-apple-darwin ;;
    Darwin/aarch64) echo aarch64-apple-darwin ;;
    MINGW*/x86_64 | MSYS*/x86_64 | CYGWIN*/x86_64) echo x86_64-pc-windows-msvc ;;
    *) echo "unknown:$os/$arch" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  fi
}

# The pinned sum for $version/$target, or nothing.
pinned_sum() {
  [ -f "$checksums" ] || return 0
  # `|| [ -n "$v" ]`: a last line without a newline still counts.
  while read -r v t sum _rest || [ -n "$v" ]; do
    case $v in '#'* | '') continue ;; esac
    if [ "$v" = "$version" ] && [ "$t" = "$target" ]; then
      echo "$sum"
      return 0
    fi
  done <"$checksums"
}

# Downloads $1 to $2. Only https, except http to loopback (tests).
download() {
  case $1 in
    https://*) proto='=https' ;;
    http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) proto='=http' ;;
    *) die "refusing to download from $1: only https (or http to a loopback address) is allowed" ;;
  esac
  if command -v curl >/dev/null 2>&1; then
    curl --proto "$proto" --proto-redir '=https' -fsSL --retry 2 -o "$2" "$1"
  else
    wget -q -O "$2" "$1"
  fi
}

source_build() {
  say "building from source: $1 (a release build takes several minutes)"
  if [ -n "$source_dir" ]; then
    "$cargo" install --locked --root "$dest" --path "$source_dir"
  else
    "$cargo" install --locked --root "$dest" vastleaks --version "=$version"
  fi
}

if [ "$mode" = source ]; then
  source_build "asked for (mode source)"
  exit 0
fi

[ -n "$target" ] || target=$(detect_target)
case $target in
  unknown:*)
    [ "$mode" = auto ] || die "no release binary for this platform (${target#unknown:})"
    source_build "no release binary for this platform (${target#unknown:})"
    exit 0
    ;;
esac
if [ -z "$base_url" ]; then
  [ "$mode" = auto ] || die "no release location (--base-url) to download from"
  source_build "no release location to download from"
  exit 0
fi

expected=$(pinned_sum)
if [ -z "$expected" ]; then
  if [ -n "$attest_repo" ] && command -v gh >/dev/null 2>&1 && [ -n "${GH_TOKEN:-${GITHUB_TOKEN:-}}" ]; then
    check=attestation
  else
    [ "$mode" = auto ] || die "vastleaks $version ($target): no checksum is pinned for it and its attestation cannot be checked (needs --attest-repo, gh and GH_TOKEN)"
    source_build "no checksum pinned for $version ($target) and no attestation check available"
    exit 0
  fi
else
  check=pinned
fi

case $target in
  *-windows-*) archive="vastleaks-$version-$target.zip" exe=vastleaks.exe ;;
  *) archive="vastleaks-$version-$target.tar.gz" exe=vastleaks ;;
esac
url="${base_url%/}/v$version/$archive"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
if ! download "$url" "$work/$archive"; then
  [ "$mode" = auto ] || die "could not download $url"
  source_build "could not download $url"
  exit 0
fi

if [ "$check" = pinned ]; then
  actual=$(sha256 "$work/$archive")
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $archive: pinned $expected, downloaded $actual. Not installed: the download is not the released file."
  fi
  say "$archive: SHA-256 matches the pinned checksum"
else
  # Built by this repository's release workflow, not merely by someone who
  # could attest in its name from another workflow.
  if ! gh attestation verify "$work/$archive" --repo "$attest_repo" \
    --signer-workflow "$attest_repo/.github/workflows/release.yml" >&2; then
    die "$archive: build attestation could not be verified for $attest_repo. Not installed."
  fi
  say "$archive: build attestation verified ($attest_repo)"
fi

mkdir "$work/x"
case $archive in
  *.zip) if command -v unzip >/dev/null 2>&1; then unzip -q "$work/$archive" -d "$work/x"; else tar -xf "$work/$archive" -C "$work/x"; fi ;;
  *) tar -xzf "$work/$archive" -C "$work/x" ;;
esac
binary="$work/x/vastleaks-$version-$target/$exe"
[ -f "$binary" ] || die "$archive has no vastleaks-$version-$target/$exe"
mkdir -p "$dest/bin"
cp "$binary" "$dest/bin/$exe"
chmod 755 "$dest/bin/$exe"
reported=$("$dest/bin/$exe" -V)  # -V: the one-line form
[ "$reported" = "vastleaks $version" ] || die "$dest/bin/$exe reports '$reported', expected 'vastleaks $version'"
say "installed vastleaks $version ($target) in $dest/bin"
