#!/bin/sh
# Times `vastleaks ci github` on a real history: what each GitHub event costs.
#
# Usage: bench/ci_github.sh REPO [N]
#   REPO  a repository with more than N commits on HEAD (e.g. a large clone)
#   N     commits in the pushed range / pull request (default 50)
#   VASTLEAKS=path/to/binary (default target/release/vastleaks)
#
# Builds, in a temp dir: origin.git (main = HEAD~N, feat = HEAD), a full clone
# checked out on feat (fetch-depth: 0), a shallow one (fetch-depth: 1) and a
# partial one (filter: blob:none),
# then runs each event and prints wall time and peak memory. Not a test: the
# numbers go in the README.
set -eu
repo=$1
n=${2:-50}
bin=$(realpath "${VASTLEAKS:-target/release/vastleaks}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone -q --bare "$repo" "$work/origin.git"
tip=$(git -C "$work/origin.git" rev-parse HEAD)
base=$(git -C "$work/origin.git" rev-parse "HEAD~$n")
git -C "$work/origin.git" update-ref refs/heads/main "$base"
git -C "$work/origin.git" update-ref refs/heads/feat "$tip"
git -C "$work/origin.git" symbolic-ref HEAD refs/heads/main
git clone -q --branch feat "file://$work/origin.git" "$work/full"
git clone -q --depth 1 --branch feat "file://$work/origin.git" "$work/shallow"
git -C "$work/origin.git" config uploadpack.allowFilter true
git clone -q --filter=blob:none --branch feat "file://$work/origin.git" "$work/partial"
zero=0000000000000000000000000000000000000000
commits=$(git -C "$work/full" rev-list --count HEAD)
echo "repository: $repo ($commits commits on HEAD), range: $n commits"

event() { # name file json
    printf '%s' "$3" > "$work/$2.json"
}
event push push "{\"ref\":\"refs/heads/feat\",\"before\":\"$base\",\"after\":\"$tip\",\"repository\":{\"default_branch\":\"main\"}}"
event pull_request pr "{\"number\":1,\"pull_request\":{\"base\":{\"sha\":\"$base\"},\"head\":{\"sha\":\"$tip\"}},\"repository\":{\"default_branch\":\"main\"}}"
event push new "{\"ref\":\"refs/heads/feat\",\"before\":\"$zero\",\"after\":\"$tip\",\"repository\":{\"default_branch\":\"main\"}}"
event schedule schedule "{}"

run() { # label checkout event-name event-file [args]
    label=$1 checkout=$2 name=$3 file=$4
    shift 4
    code=0
    (cd "$checkout" && GITHUB_EVENT_NAME=$name GITHUB_EVENT_PATH="$work/$file.json" \
        /usr/bin/time -f "%e s wall, %M KiB peak" -o "$work/time" \
        "$bin" ci github --fail-on never --sarif "$work/out.sarif" -q "$@" . \
        > /dev/null 2> "$work/stderr") || code=$?
    # Exit 2 or error lines mean the scan had holes: the time is not comparable.
    printf '%-44s %s, exit %s, %s error line(s)\n' "$label" "$(tail -n 1 "$work/time")" \
        "$code" "$(grep -c 'error' "$work/stderr" || true)"
}
run "push ($n commits), plan only" "$work/full" push push --dry-run
run "push ($n commits)" "$work/full" push push
run "pull_request ($n commits)" "$work/full" pull_request pr
run "new branch ($n commits not on main)" "$work/full" push new
run "push, shallow checkout (deepens)" "$work/shallow" push push
run "pull_request, partial clone (fetches blobs)" "$work/partial" pull_request pr
run "schedule (full history audit)" "$work/full" schedule schedule
