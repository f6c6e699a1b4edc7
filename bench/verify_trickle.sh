#!/usr/bin/env bash
# Hostile-server benchmark for `scan --verify` (a measurement, not a test: run by hand).
#
# Starts a fake Vast API on 127.0.0.1 that answers /api/v0/users/current/ with
# its status line and headers at once, then drips a ~330-byte JSON body one
# byte every EVERY seconds (0.5 s: each read is far inside any per-read
# timeout), and times
#   vastleaks scan DIR --verify --verify-timeout 2s --api-url http://127.0.0.1:PORT
# over one file holding one key. Prints the key's outcome and the wall time.
#
# A per-read timeout lets such a server keep the run alive for the whole drip
# (~165 s here) and then report the key live; a total per-request deadline
# ends each attempt after 2 s (with the default 3 retries and 1 s backoff:
# 4 x 2 s + 1 + 2 + 4 s of backoff, plus jitter).
#
# Usage: bench/verify_trickle.sh [extra vastleaks options...]
# Env:   VASTLEAKS (binary, default target/release/vastleaks), EVERY (0.5),
#        RUN_LIMIT (seconds before the run is killed, default 400)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${VASTLEAKS:-$root/target/release/vastleaks}"
every="${EVERY:-0.5}"
run_limit="${RUN_LIMIT:-400}"

if [[ ! -x "$bin" ]]; then
    echo "no binary at $bin: run \`cargo build --release\` first (or set VASTLEAKS)" >&2
    exit 2
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work/port" "$every" <<'PY' &
import http.server, sys, time

port_file, every = sys.argv[1], float(sys.argv[2])
# No personal data: an id, a key id and padding.
BODY = ('{"id": 7, "key_id": 9, "pad": "' + "x" * 290 + '"}').encode()

class Drip(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        for byte in BODY:
            time.sleep(every)
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return  # the client gave up

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
server_pid=$!

for _ in $(seq 100); do
    [[ -s "$work/port" ]] && break
    sleep 0.1
done
port="$(cat "$work/port")"

# A key-shaped value built at run time (never a real key).
key="$(printf 'vastleaks-bench-trickle' | sha256sum | cut -c1-64)"
mkdir -p "$work/scan"
printf 'VAST_API_KEY=%s\n' "$key" >"$work/scan/.env"

echo "== $(basename "$bin") scan --verify --verify-timeout 2s${*:+ $*}, body dripped 1 byte / ${every}s (${#key}-hex key, 1 file)"
start=$(date +%s.%N)
set +e
timeout "$run_limit" "$bin" scan "$work/scan" --verify --api-url "http://127.0.0.1:$port" \
    --verify-timeout 2s --format json "$@" >"$work/report.json" 2>"$work/stderr"
code=$?
set -e
end=$(date +%s.%N)
wall=$(echo "$end - $start" | bc)
if [[ $code -eq 124 ]]; then
    echo "killed after ${run_limit} s (RUN_LIMIT): still waiting for the drip"
else
    outcome=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["findings"][0]["verification"]; print(v["status"] + (" (" + v["reason"] + ")" if v.get("reason") else ""))' "$work/report.json" 2>/dev/null || echo "no report")
    echo "exit code $code, key: $outcome"
    grep -i "unknown (" "$work/stderr" | sed 's/^/    /' || true
fi
printf 'wall: %.1f s\n' "$wall"
