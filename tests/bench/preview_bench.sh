#!/usr/bin/env bash
# Live preview benchmark (issue 12): with `galeri serve` running on a catalog, the time from
# saving one product's file to the open tab (headless Chromium) showing the change, median of
# several saves; and the time of a `galeri build` of an unchanged catalog (which writes
# nothing). Runs on the real catalog (a copy) and on a synthesized one of N products (the same
# generator as build_bench.sh). Installs playwright-core into tests/.deps/bench-node on first use;
# needs Debian's chromium (CHROMIUM=path to override) and Node.js.
#
#   tests/bench/preview_bench.sh               # the real catalog and N = 10000
#   tests/bench/preview_bench.sh 2000          # the real catalog and N = 2000
#   GALERI_BIN=target/release/galeri BENCH_DIR=/dev/shm tests/bench/preview_bench.sh
#
# Aims (issue 12): save → tab ≤ 100 ms at 10,000 products; an unchanged rebuild writes nothing
# and takes ≤ 1 s.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
count="${1:-10000}"
saves="${SAVES:-5}"
bin="${GALERI_BIN:-}"
if [ -z "$bin" ]; then
  for candidate in "$root/target/release/galeri" "$root/target/debug/galeri"; do
    [ -x "$candidate" ] && { bin="$candidate"; break; }
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "no galeri binary: cargo build --release -p galeri, or set GALERI_BIN" >&2; exit 1; }
deps="$root/tests/.deps/bench-node"
if [ ! -d "$deps/node_modules/playwright-core" ]; then
  mkdir -p "$deps"
  (cd "$deps" && npm install --silent --no-audit --no-fund playwright-core@1 >/dev/null)
fi
work="$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/galeri-preview-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The catalog generator of build_bench.sh (its arrays and `synthesize`), not a copy of it.
eval "$(sed -n '/^kecamatan=(/,/^categories=/p; /^synthesize() {/,/^}/p' "$root/tests/bench/build_bench.sh")"

echo "binary: $bin"
echo "work folder: $work ($(df -T "$work" | awk 'NR == 2 { print $2 }'))"
printf '%-10s %-9s %-14s %-14s %-16s %-14s\n' catalog products "save→tab p50" "save→tab max" "unchanged (s)" "files written"

# Times `galeri build` of an unchanged catalog into an output folder already built; prints
# "<seconds> <files written>".
unchanged_build() {
  local content=$1 out=$2
  "$bin" build --lang en --content "$content" --theme "$root/themes/default" --out "$out" >/dev/null
  local start end line
  start=$(date +%s.%N)
  line=$("$bin" build --lang en --content "$content" --theme "$root/themes/default" --out "$out")
  end=$(date +%s.%N)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')" \
    "$(printf '%s' "$line" | grep -o '[0-9]* files written' | cut -d' ' -f1)"
}

# One catalog: $1 label, $2 content folder, $3 product file (relative to content), $4 its URL.
run() {
  local label=$1 content=$2 file=$3 url=$4
  local products
  products=$(find "$content/products" -name '*.md' | wc -l)
  read -r seconds written < <(unchanged_build "$content" "$work/public-$label")
  cp "$root/tests/bench/preview_bench.mjs" "$deps/preview_bench.mjs"
  local figures
  figures=$(node "$deps/preview_bench.mjs" "$bin" "$root" "$content" "$work/serve-$label" \
    "$content/$file" "$url" "$saves")
  printf '%-10s %-9s %-14s %-14s %-16s %-14s\n' "$label" "$products" $figures "$seconds" "$written"
}

# The real catalog, copied (the bench edits it), photos from the shared cache.
mkdir -p "$work/real/.galeri"
cp -r "$root/content" "$work/real/content"
mkdir -p "$root/.galeri/image-cache"
ln -s "$root/.galeri/image-cache" "$work/real/.galeri/image-cache"
run real "$work/real/content" products/anyaman-pring-kuning/besek-bambu.md \
  /produk/anyaman-pring-kuning/besek-bambu/

synthesize "$count" "$work/synthetic/content"
run "$count" "$work/synthetic/content" products/produsen-1/produk-1.md /produk/produsen-1/produk-1/
