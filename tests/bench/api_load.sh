#!/usr/bin/env bash
# HTTP load benchmark of POST /api/v1/redemptions on `galeri serve` (release build, SQLite
# store): wrk (Debian package `wrk`) with 32 connections on 2 threads, every request a fresh
# redemption (its own Idempotency-Key) of the cheapest catalog product, rotating over 64
# vouchers. Prints wrk's report and one summary line: throughput and p50/p90/p99 latency.
#
#   tests/bench/api_load.sh                  # 20 s, 32 connections
#   DURATION=60s CONNECTIONS=64 tests/bench/api_load.sh
#   GALERI_BIN=path/to/galeri tests/bench/api_load.sh
#
# The server and wrk share the machine's cores, so the figure is a floor for a dedicated host.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

bin="${GALERI_BIN:-}"
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --release -p galeri --quiet)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/galeri"
fi

work="$(mktemp -d)"
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

store="sqlite:$work/vouchers.db"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
expires=$(date -u -d '+90 days' +%Y-%m-%d)
# Rp1.000.000.000 each: enough for every request of a long run to be a real sale.
"$bin" vouchers issue --count 64 --amount 1000000000 --expires "$expires" --batch BENCH \
  --unit bench --out "$work/codes.csv" --store "$store" >/dev/null
token=$("$bin" tokens create --role cashier --name bench --store "$store" 2>/dev/null)
codes=$(tail -n +2 "$work/codes.csv" | cut -d, -f1 | paste -sd, -)

RUST_LOG=warn "$bin" serve --port "$port" --store "$store" --out "$work/public" \
  --content "$root/content" --theme "$root/themes/default" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.2
done
sku=$(python3 -c 'import json,sys; items=json.load(open(sys.argv[1]))["items"]; print(min(items, key=lambda i: i["price"])["sku"])' "$work/public/catalog.json")

echo "wrk: $connections connections, 2 threads, $duration, POST /api/v1/redemptions ($sku x1)"
GALERI_CODES=$codes GALERI_TOKEN=$token GALERI_SKU=$sku \
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$root/tests/bench/api_load.lua" \
  "http://127.0.0.1:$port/api/v1/redemptions"

# The books must still balance after the run.
kill -INT "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
"$bin" audit --store "$store"
