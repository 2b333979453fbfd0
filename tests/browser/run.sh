#!/usr/bin/env bash
# The browser suites: installs what they need on a fresh machine (Debian's chromium, then
# playwright-core and axe-core from npm with `npm ci`), runs them with node's test runner against
# the debug `galeri` binary already built (target/debug/galeri), and prints `N passed, N failed`.
# Screenshots and receipt PDFs are left in tests/browser/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Installing Debian chromium …"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
"${CHROMIUM:-/usr/bin/chromium}" --version

if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# tests/run.sh installs in the background while cargo compiles.
if [ "${1:-}" = --install-only ]; then exit 0; fi

galeri="${GALERI_BIN:-$(cd "$root" && realpath -m "${CARGO_TARGET_DIR:-target}")/debug/galeri}"
if [ ! -x "$galeri" ]; then
  echo "$galeri is missing: run cargo build --bin galeri first" >&2
  exit 1
fi
export GALERI_BIN="$galeri"

rm -rf artifacts
mkdir -p artifacts
log=$(mktemp)
status=0
node --test --test-concurrency=1 --test-reporter=spec ./*.test.js 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo '^ℹ pass [0-9]+' "$log" | awk '{print $3}' | tail -1)
failed=$(grep -Eo '^ℹ fail [0-9]+' "$log" | awk '{print $3}' | tail -1)
rm -f "$log"
echo "browser: ${passed:-0} passed, ${failed:-0} failed"
echo "Screenshots and receipts: $(pwd)/artifacts/"
exit "$status"
