#!/usr/bin/env bash
# Builds every Lambda binary of functions/lambda for arm64 (Graviton, provided.al2023) with
# `cargo lambda build` and the size-optimised `lambda` profile of the workspace, then prints a
# Markdown table of the binary and zip sizes and the build time (recorded in
# tests/bench/RESULTS.md).
#
#   infra/scripts/build-lambdas.sh            # build into target/lambda-arm64/lambda/<name>/bootstrap
#   JOBS=1 infra/scripts/build-lambdas.sh     # gentler on a shared machine
#
# Installs what it needs on first use: cargo-lambda (PyPI, with zig for linking) in
# tests/.venv-infra, and the aarch64 standard library (infra/scripts/arm64-toolchain.sh).
# Uses its own target directory so that a ten-minute cross build never holds the lock on the
# shared target/ that the test suite uses.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

venv=tests/.venv-infra
cargo_lambda_version=1.9.2
target_dir=${TARGET_DIR:-$root/target/lambda-arm64}
jobs=${JOBS:-}

if [ ! -x "$venv/bin/cargo-lambda" ]; then
  python3 -m venv "$venv"
  echo '*' >"$venv/.gitignore"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$cargo_lambda_version"
fi
export PATH="$root/$venv/bin:$PATH"

# RUSTC=... and CARGO=... lines (comments start with #).
toolchain=$(infra/scripts/arm64-toolchain.sh)
echo "$toolchain" | grep '^#' || true
RUSTC=$(echo "$toolchain" | sed -n 's/^RUSTC=//p')
CARGO=$(echo "$toolchain" | sed -n 's/^CARGO=//p')
export RUSTC CARGO

binaries=()
for source in functions/lambda/src/bin/*.rs; do
  binaries+=("$(basename "$source" .rs)")
done
echo "binaries: ${binaries[*]}"
echo "compiler: $("$RUSTC" --version); $(cargo-lambda lambda --version 2>/dev/null || echo "cargo-lambda $cargo_lambda_version")"

args=(lambda build --arm64 --profile lambda --package galeri-lambda --locked)
# The environment variable, not --target-dir: cargo-lambda 1.9.2 passes that flag on to
# `cargo metadata`, which rejects it.
export CARGO_TARGET_DIR=$target_dir
if [ -n "$jobs" ]; then
  args+=(--jobs "$jobs")
fi

started=$(date +%s)
# Lower priority: the machine is shared with people running tests.
nice -n 10 "$CARGO" "${args[@]}"
finished=$(date +%s)
seconds=$((finished - started))

out="$target_dir/lambda"
echo
echo "Built in ${seconds} s ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)."
echo
echo "| function | bootstrap (bytes) | bootstrap (MiB) | zip (bytes) | arch |"
echo "|---|---:|---:|---:|---|"
status=0
for name in "${binaries[@]}"; do
  binary="$out/$name/bootstrap"
  if [ ! -f "$binary" ]; then
    echo "| $name | missing | | | |"
    status=1
    continue
  fi
  size=$(stat -c %s "$binary")
  # The deployment package Lambda receives: the binary alone, deflated, as SAM and
  # `cargo lambda build --output-format zip` make it.
  zip_size=$(python3 - "$binary" <<'PY'
import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    archive.write(sys.argv[1], "bootstrap")
print(len(buffer.getvalue()))
PY
)
  # ELF header: byte 18-19 is e_machine; 0xb7 (183) is AArch64.
  machine=$(od -An -t u2 -j 18 -N 2 "$binary" | tr -d ' ')
  arch=$([ "$machine" = "183" ] && echo "aarch64" || echo "NOT aarch64 (e_machine $machine)")
  [ "$machine" = "183" ] || status=1
  mib=$(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }')
  echo "| $name | $size | $mib | $zip_size | $arch |"
done
exit $status
