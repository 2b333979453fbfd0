#!/usr/bin/env bash
# Search benchmark (issue 10): index size at N products and keystroke latency at /cari/ under
# Chromium's 4x CPU throttling. Installs playwright-core into tests/.deps/bench-node on first
# use; needs Debian's chromium (CHROMIUM=path to override) and Node.js.
#
#   tests/bench/search_bench.sh            # N = 10000
#   tests/bench/search_bench.sh 2000
#   GALERI_BIN=target/release/galeri tests/bench/search_bench.sh
#
# Budgets: index ≤ 300 KB gzipped at 10,000 products; a keystroke answers in ≤ 50 ms.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
count="${1:-10000}"
bin="${GALERI_BIN:-}"
if [ -z "$bin" ]; then
  for candidate in "$root/target/release/galeri" "$root/target/debug/galeri"; do
    [ -x "$candidate" ] && { bin="$candidate"; break; }
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "no galeri binary: cargo build -p galeri, or set GALERI_BIN" >&2; exit 1; }
deps="$root/tests/.deps/bench-node"
if [ ! -d "$deps/node_modules/playwright-core" ]; then
  mkdir -p "$deps"
  (cd "$deps" && npm install --silent --no-audit --no-fund playwright-core@1 >/dev/null)
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/galeri-search-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$root/tests/bench/search_bench.mjs" "$deps/search_bench.mjs"
node "$deps/search_bench.mjs" "$bin" "$root/themes/default" "$work" "$count"
