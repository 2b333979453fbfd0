#!/usr/bin/env bash
# Catalog build benchmark: synthesizes a catalog of N products from N/10 producers (valid
# content: permits, halal, kecamatan, Markdown bodies; no images), runs a release
# `galeri build` on it and prints wall time, pages per second and peak memory (max RSS).
#
#   tests/bench/build_bench.sh                 # N = 1000 10000 20000
#   tests/bench/build_bench.sh 10000           # one size
#   GALERI_BIN=path/to/galeri tests/bench/build_bench.sh 10000
#   BENCH_DIR=/dev/shm tests/bench/build_bench.sh     # work folder (default: mktemp's)
#
# "build" is a build into an empty output folder; "rebuild" replaces that output (the atomic
# swap then also deletes the previous site). Peak memory is the larger of the two.
#
# Target (issue 2): 10,000 products in under 2 s wall and under 300 MB peak on 2 cores.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 20000)

bin="${GALERI_BIN:-}"
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --release -p galeri --quiet)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/galeri"
fi
[ -x "$bin" ] || { echo "no galeri binary at $bin" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 1; }

work="$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/galeri-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

kecamatan=(Ampelgading Bantur Bululawang Dampit Dau Donomulyo Gedangan Gondanglegi Jabung
  Kalipare Karangploso Kasembon Kepanjen Kromengan Lawang Ngajum Ngantang Pagak Pagelaran Pakis
  Pakisaji Poncokusumo Pujon Singosari "Sumbermanjing Wetan" Sumberpucung Tajinan Tirtoyudo
  Tumpang Turen Wagir Wajak Wonosari)
categories=(kopi makanan-ringan minuman kriya batik anyaman)

# Writes a catalog of $1 products into $2 (shell builtins; 10,000 products take a few seconds).
synthesize() {
  local products=$1 content=$2
  local producers=$(( products / 10 )); [ "$producers" -lt 1 ] && producers=1
  mkdir -p "$content/producers" "$content/products" "$content/pages"
  cat > "$content/site.yaml" <<YAML
title: Galeri Bench
base_url: https://bench.example
language: id
address: Jl. KH Agus Salim No. 7, Kota Malang
opening_hours: ["Senin–Jumat 08.00–15.00 WIB"]
contact:
  whatsapp: "081200000000"
api_base_url: /api
YAML
  {
    local slug food
    for slug in "${categories[@]}"; do
      case $slug in kopi|makanan-ringan|minuman) food=true ;; *) food=false ;; esac
      printf -- '- slug: %s\n  name: %s\n  description: Produk %s dari UKM Kabupaten Malang.\n  food: %s\n' \
        "$slug" "${slug^}" "$slug" "$food"
    done
  } > "$content/categories.yaml"
  printf -- '---\ntitle: Cara Belanja\n---\n## Langkah\n\n1. Pilih produk.\n2. Bayar dengan voucher.\n' \
    > "$content/pages/cara-belanja.md"
  local p i category
  for (( p = 0; p < producers; p++ )); do
    printf -- '---\nname: Produsen %d\nkecamatan: %s\ndesa: Desa %d\nnib: "%013d"\nsince: 2010\n---\nCerita produsen %d: usaha keluarga yang membuat produk dengan bahan dari desa sendiri.\n' \
      "$p" "${kecamatan[p % 33]}" "$p" "$(( 9120000000000 + p ))" "$p" > "$content/producers/produsen-$p.md"
    mkdir -p "$content/products/produsen-$p"
  done
  for (( i = 0; i < products; i++ )); do
    p=$(( i % producers ))
    category=${categories[i % ${#categories[@]}]}
    {
      printf -- '---\nname: Produk %d %s\nsku: BN-%06d\ncategory: %s\nprice: %d\nunit: "250 g"\n' \
        "$i" "$category" "$i" "$category" "$(( 5000 + (i * 7919) % 495000 ))"
      case $category in
        kopi|makanan-ringan|minuman)
          printf 'permits:\n  pirt: "2073507%06d-30"\n  halal: "ID3511%013d"\n' "$(( i % 1000000 ))" "$i" ;;
      esac
      printf 'tags: [%s, bench]\nadded: 2026-%02d-%02d\n---\n' "$category" "$(( i % 12 + 1 ))" "$(( i % 28 + 1 ))"
      printf 'Produk **%d** dibuat dengan tangan oleh produsen %d. Bahan dipilih dari kebun dan pasar desa,\n' "$i" "$p"
      printf 'diolah tanpa pengawet, dan dikemas rapi untuk oleh-oleh.\n\n## Penyimpanan\n\n'
      printf '| suhu | lama |\n|---|---|\n| ruang | 3 bulan |\n\nSimpan di tempat kering dan sejuk.\n'
    } > "$content/products/produsen-$p/produk-$i.md"
  done
}

printf '%-9s %-9s %-8s %-10s %-10s %-9s %-11s %-8s\n' products producers pages "build (s)" "pages/s" "CPU (s)" "rebuild (s)" "peak MB"
# Runs one build; prints "<wall seconds> <max RSS KB> <pages> <CPU seconds, user + system>".
# CPU time says what the build costs when the machine is shared and wall time is noisy.
timed_build() {
  local content=$1 out=$2 log=$3
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v "$bin" build --lang en --content "$content" --theme "$root/themes/default" \
    --out "$out" > "$log.out" 2> "$log.time" || { cat "$log.time" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
    "$(grep 'Maximum resident set size' "$log.time" | awk '{print $NF}')" \
    "$(grep -o '^[0-9]* pages' "$log.out" | cut -d' ' -f1)" \
    "$(awk -F': ' '/User time|System time/ { total += $2 } END { print total }' "$log.time")"
}
for n in "${sizes[@]}"; do
  content="$work/content-$n"
  synthesize "$n" "$content"
  out="$work/public-$n"
  read -r wall rss pages cpu < <(timed_build "$content" "$out" "$work/first-$n")
  read -r rewall rerss _ _ < <(timed_build "$content" "$out" "$work/second-$n")
  awk -v n="$n" -v producers="$(( n / 10 ))" -v pages="$pages" -v wall="$wall" -v rewall="$rewall" \
    -v rss="$rss" -v rerss="$rerss" -v cpu="$cpu" 'BEGIN {
      peak = rss > rerss ? rss : rerss
      printf "%-9d %-9d %-8d %-10.2f %-10.0f %-9.2f %-11.2f %-8.0f\n", n, producers, pages, wall, pages / wall, cpu, rewall, peak / 1024
    }'
  rm -rf "$content" "$out"
done
