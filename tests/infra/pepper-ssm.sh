#!/usr/bin/env bash
# Runs the CLI's SSM pepper path (GALERI_PEPPER_PARAM, read with decryption by
# `configured_pepper()` in functions/vouchers/src/config.rs through aws-sdk-ssm) for real, against
# moto's SSM (moto server from PyPI, in tests/.venv-infra) with the real AWS CLI putting the
# SecureString parameter, as an admin would. On a fresh SQLite store:
# - `galeri vouchers issue` with the parameter succeeds, writes no pepper file beside the
#   database and records the check value (HMAC of the fixed label under the parameter's pepper);
# - `galeri serve` finds an issued code with the same parameter and with GALERI_PEPPER set to the
#   same hex, and refuses to start with another pepper;
# - a parameter holding another pepper is refused with the mismatch message and issues nothing;
#   a missing parameter, an unreachable endpoint and a non-hex value each fail with a one-line
#   message (Indonesian, then English) naming the parameter and the cause, and none of them
#   falls back to creating a pepper file;
# - no pepper value appears in any output.
# Prints "N passed, M failed"; exits non-zero on any failure.
#
# Why a script and not a module of the `it` test binary: the moto venv is filled in the
# background while cargo compiles and is ready only after the cargo test step (tests/run.sh),
# the parameter is put with the AWS CLI as an admin puts it, and the moto server's life is kept
# the same way as in the other scripts here.
#
# Environment: GALERI_BIN (default target/debug/galeri, built if missing); PEPPER_SSM_KEEP=1
# keeps the work folder (logs, store) and prints where it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

venv=tests/.venv-infra
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/aws" ]; then
  # deploy-rehearsal.sh owns the venv's pins; its --install-only fills it.
  tests/infra/deploy-rehearsal.sh --install-only
fi
export PATH="$root/$venv/bin:$PATH"
bin=$(realpath -m "${GALERI_BIN:-${CARGO_TARGET_DIR:-target}/debug/galeri}")
if [ ! -x "$bin" ]; then
  cargo build --quiet --locked --workspace --bins
fi

work=$(mktemp -d)
moto_pid=
serve_pid=
stop() { # pid: stops a process this script started, and waits for it
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -INT "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop "$serve_pid"
  stop "$moto_pid"
  [ -n "${PEPPER_SSM_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port=$(free_port)
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done

# Only the SSM endpoint is redirected (the service-specific variable the Lambdas' SDK reads too);
# dummy credentials, a region, and nothing from the developer's own AWS setup.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=ap-southeast-3 AWS_DEFAULT_REGION=ap-southeast-3
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL GALERI_PEPPER GALERI_PEPPER_PARAM GALERI_STORE
export AWS_ENDPOINT_URL_SSM="http://127.0.0.1:$port"
unset AWS_ENDPOINT_URL_DYNAMODB

passed=0
failed=0
check() { # description expected actual
  if [ "$2" = "$3" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1: expected [$2], got [$3]"
  fi
}
contains() { # file text: "yes" if the file contains the text
  if grep -qF -- "$2" "$1"; then echo yes; else echo no; fi
}
exists() {
  if [ -e "$1" ]; then echo yes; else echo no; fi
}

pepper=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
other=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
# Not hex, but long enough that a length check alone would not catch it.
not_hex=$(python3 -c 'import secrets; print("zz" + secrets.token_hex(31))')
put() { # name value
  aws ssm put-parameter --name "$1" --type SecureString --value "$2" --overwrite >/dev/null
}
put /galeri/test/pepper "$pepper"
put /galeri/test/other "$other"
put /galeri/test/not-hex "$not_hex"
check "the parameter reads back decrypted" "$pepper" \
  "$(aws ssm get-parameter --name /galeri/test/pepper --with-decryption \
    --query Parameter.Value --output text)"

db=$work/store/vouchers.db
store="sqlite:$db"
sql() { # query on the store
  python3 - "$db" "$1" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print("" if row is None or row[0] is None else row[0])
PY
}
issue() { # name: issues 2 vouchers with whatever pepper the environment names
  "$bin" vouchers issue --count 2 --amount 50000 --expires 2099-12-31 --batch "$1" \
    --out "$work/$1.csv" --store "$store" >"$work/$1.out" 2>"$work/$1.err"
}
exit_code() { # command...: its exit status, without stopping the script
  local status=0
  "$@" || status=$?
  echo "$status"
}

# Issue on a fresh store with the pepper from SSM.
check "issue with GALERI_PEPPER_PARAM exits 0" 0 \
  "$(GALERI_PEPPER_PARAM=/galeri/test/pepper exit_code issue first)"
check "no pepper file beside the database" no "$(exists "$db.pepper")"
check "two vouchers issued" 2 "$(sql 'SELECT COUNT(*) FROM vouchers')"
expected_check=$(python3 - "$pepper" <<'PY'
import hashlib, hmac, sys
print(hmac.new(bytes.fromhex(sys.argv[1]), b"galeri pepper check v1", hashlib.sha256).hexdigest())
PY
)
check "check value recorded is the HMAC under the parameter's pepper" "$expected_check" \
  "$(sql "SELECT value FROM settings WHERE name = 'pepper_check'")"
code=$(sed -n 2p "$work/first.csv" | cut -d, -f1)

# `galeri serve` finds the code: the balance lookup hashes it with the pepper.
serve_pid=
serve_port=
serve_state=
serve_with() { # name VAR=VALUE: starts serve with that pepper; serve_state is "up" or "refused"
  serve_port=$(free_port)
  # The small fixture site: the build before serving is not what this tests.
  env "$2" "$bin" serve --port "$serve_port" --store "$store" --out "$work/public-$1" \
    --content tests/fixtures/valid/content \
    >"$work/serve-$1.out" 2>"$work/serve-$1.err" &
  serve_pid=$!
  serve_state="did not start"
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$serve_port/api/v1/health" >/dev/null 2>&1; then
      serve_state=up
      return
    fi
    if ! kill -0 "$serve_pid" 2>/dev/null; then
      wait "$serve_pid" 2>/dev/null || true
      serve_pid=
      serve_state=refused
      return
    fi
    sleep 0.2
  done
}
balance() { # the code's balance from the running serve
  curl -sS -X POST "http://127.0.0.1:$serve_port/api/v1/balance" \
    -H 'content-type: application/json' --data "{\"code\":\"$code\"}" | jq -r '.balance // .code'
}
serve_with param GALERI_PEPPER_PARAM=/galeri/test/pepper
check "serve starts with GALERI_PEPPER_PARAM" up "$serve_state"
check "serve (SSM pepper) finds an issued code" 50000 "$(balance)"
stop "$serve_pid"
serve_with env "GALERI_PEPPER=$pepper"
check "serve starts with GALERI_PEPPER (same hex)" up "$serve_state"
check "serve (GALERI_PEPPER) finds the same code" 50000 "$(balance)"
stop "$serve_pid"
serve_with wrong GALERI_PEPPER_PARAM=/galeri/test/other
check "serve refuses another pepper" refused "$serve_state"
stop "$serve_pid"
check "serve's refusal says the pepper does not match" yes \
  "$(contains "$work/serve-wrong.err" "tidak cocok")"

# The same store with a parameter holding another pepper: refused, nothing issued.
check "issue with another pepper's parameter fails" 1 \
  "$(GALERI_PEPPER_PARAM=/galeri/test/other exit_code issue wrong)"
check "the refusal says the pepper does not match" yes "$(contains "$work/wrong.err" "tidak cocok")"
check "the refusal names the parameter" yes "$(contains "$work/wrong.err" "/galeri/test/other")"
check "nothing issued with another pepper" 2 "$(sql 'SELECT COUNT(*) FROM vouchers')"
check "no codes file written with another pepper" no "$(exists "$work/wrong.csv")"

# Parameters that cannot give a pepper, on a fresh store: each fails naming the parameter, and
# none falls back to the pepper file (which would silently give the store a new pepper).
db=$work/fresh/vouchers.db
store="sqlite:$db"
check "a missing parameter fails" 1 \
  "$(GALERI_PEPPER_PARAM=/galeri/test/missing exit_code issue missing)"
check "the error names the missing parameter" yes \
  "$(contains "$work/missing.err" "parameter SSM /galeri/test/missing")"
check "the error says it does not exist" yes "$(contains "$work/missing.err" "tidak ada")"
closed=$(free_port)
started=$SECONDS
check "an unreachable endpoint fails" 1 \
  "$(AWS_ENDPOINT_URL_SSM="http://127.0.0.1:$closed" GALERI_PEPPER_PARAM=/galeri/test/pepper \
    exit_code issue unreachable)"
check "the error names the parameter" yes \
  "$(contains "$work/unreachable.err" "parameter SSM /galeri/test/pepper")"
check "the error says SSM cannot be reached" yes \
  "$(contains "$work/unreachable.err" "tidak terjangkau")"
check "an unreachable endpoint fails within 60 s" yes \
  "$([ $((SECONDS - started)) -lt 60 ] && echo yes || echo no)"
check "a non-hex parameter fails" 1 \
  "$(GALERI_PEPPER_PARAM=/galeri/test/not-hex exit_code issue not-hex)"
check "the error names the non-hex parameter" yes \
  "$(contains "$work/not-hex.err" "parameter SSM /galeri/test/not-hex")"
check "the error says a pepper is hex" yes "$(contains "$work/not-hex.err" "hex (0-9, a-f)")"
# Each error is one line for the admin, not the SDK's debug dump of its error types.
for name in missing unreachable not-hex; do
  check "$name: one line" 1 "$(wc -l <"$work/$name.err" | tr -d ' ')"
  check "$name: no SDK debug dump" no "$(contains "$work/$name.err" "Error {")"
done
check "no pepper file created after the failures" no "$(exists "$db.pepper")"
check "no check value recorded after the failures" "" \
  "$(sql "SELECT value FROM settings WHERE name = 'pepper_check'" 2>/dev/null || true)"
check "no vouchers issued after the failures" 0 "$(sql 'SELECT COUNT(*) FROM vouchers' 2>/dev/null || echo 0)"

# No pepper value in anything the program wrote to the screen.
for value in "$pepper" "$other" "$not_hex"; do
  leaked=$(grep -lF -- "$value" "$work"/*.out "$work"/*.err 2>/dev/null || true)
  check "no pepper value in any output" "" "$leaked"
done

echo "pepper-ssm: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  for log in "$work"/*.err; do
    echo "--- $(basename "$log")"
    cat "$log"
  done
fi
[ "$failed" -eq 0 ]
