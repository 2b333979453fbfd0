#!/usr/bin/env bash
# Runs the arm64 Lambda binaries that build-lambdas.sh made, under qemu-user emulation, as
# Lambda would: each binary is started against an emulator of the Lambda Runtime API
# (functions/lambda/bench/startup.py) and handed API Gateway v2 events
# (functions/lambda/tests/events/*.json), with a private DynamoDB Local as its table. The
# table, a voucher, two staff tokens and the price list are made with the `galeri` CLI, the way
# the first-run steps make them in AWS. Checks every function's answer, then prints
# "N passed, M failed".
#
#   infra/scripts/build-lambdas.sh && infra/scripts/smoke-arm64.sh
#
# Needs (installed on first use when run as root): Debian's qemu-user and libc6-arm64-cross;
# DynamoDB Local from tests/services/dynamodb-local.sh; Java 17.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

lambda_dir=${TARGET_DIR:-$root/target/lambda-arm64}/lambda
for name in balance redeem refund history report; do
  if [ ! -f "$lambda_dir/$name/bootstrap" ]; then
    echo "$lambda_dir/$name/bootstrap is missing: run infra/scripts/build-lambdas.sh first" >&2
    exit 1
  fi
done
if ! command -v qemu-aarch64 >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-user libc6-arm64-cross >/dev/null
fi
jar=$(find tests/.deps/dynamodb-local -name DynamoDBLocal.jar 2>/dev/null | head -1)
if [ -z "$jar" ]; then
  tests/services/dynamodb-local.sh start >/dev/null
  tests/services/dynamodb-local.sh stop >/dev/null
  jar=$(find tests/.deps/dynamodb-local -name DynamoDBLocal.jar | head -1)
fi

work=$(mktemp -d)
database_pid=
cleanup() {
  if [ -n "$database_pid" ]; then
    kill "$database_pid" 2>/dev/null || true
    wait "$database_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
java -Djava.library.path="$(dirname "$jar")/DynamoDBLocal_lib" -jar "$jar" -inMemory -port "$port" \
  >"$work/dynamodb.log" 2>&1 &
database_pid=$!
for _ in $(seq 1 150); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=ap-southeast-3
export GALERI_TABLE=galeri-smoke
GALERI_PEPPER=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export GALERI_PEPPER
store="dynamodb:$GALERI_TABLE"

cargo build --quiet --release --locked -p galeri
galeri=$root/target/release/galeri
today=$(TZ=Asia/Jakarta date +%F)
cat >"$work/catalog.json" <<JSON
{"generated_at": "$(date -u +%FT%TZ)", "currency": "IDR", "items": [
  {"sku": "KOPI-DAMPIT-250", "name": "Kopi Robusta Dampit 250 g", "producer": "kopi-sumber-rejeki",
   "category": "minuman", "price": 35000}]}
JSON
"$galeri" load-catalog --catalog "$work/catalog.json" --store "$store" >/dev/null
"$galeri" vouchers issue --count 1 --amount 50000 --expires 2099-12-31 --batch smoke \
  --out "$work/codes.csv" --store "$store" >/dev/null
code=$(sed -n 2p "$work/codes.csv" | cut -d, -f1)
cashier=$("$galeri" tokens create --role cashier --name "Kasir Smoke" --store "$store")
supervisor=$("$galeri" tokens create --role supervisor --name "Supervisor Smoke" --store "$store")
stranger=MLG-0000-0000-0000

passed=0
failed=0
redemption_id=
# run FUNCTION FIXTURE EXPECTED_STATUS: fills the fixture's placeholders, hands it to the arm64
# binary, and compares the status. The answer's body is kept in $work/answer.json.
run() {
  local function=$1 fixture=$2 expected=$3
  sed -e "s/{{CODE}}/$code/g" -e "s/{{STRANGER_CODE}}/$stranger/g" -e "s/{{TODAY}}/$today/g" \
    -e "s/{{CASHIER_TOKEN}}/$cashier/g" -e "s/{{SUPERVISOR_TOKEN}}/$supervisor/g" \
    -e "s/{{REDEMPTION_ID}}/$redemption_id/g" \
    "functions/lambda/tests/events/$fixture" >"$work/event.json"
  printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu %s\n' \
    "$lambda_dir/$function/bootstrap" >"$work/$function.sh"
  chmod +x "$work/$function.sh"
  local output status
  output=$(python3 - "$work/$function.sh" "$work/event.json" <<'PY'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("startup", "functions/lambda/bench/startup.py")
startup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(startup)
elapsed, answer = startup.one_run(sys.argv[1], open(sys.argv[2], "rb").read())
if elapsed is None:
    print("none {}")
    sys.exit(0)
path, _, body = answer.partition(b" ")
response = json.loads(body)
print(response.get("statusCode"), response.get("body") or "{}", f"{elapsed:.0f}ms")
PY
)
  status=${output%% *}
  local body=${output#* }
  echo "${body% *}" >"$work/answer.json"
  if [ "$status" = "$expected" ]; then
    passed=$((passed + 1))
    echo "ok   $function $fixture: $status (${output##* })"
  else
    failed=$((failed + 1))
    echo "FAIL $function $fixture: expected $expected, got $status: $(cat "$work/answer.json")"
  fi
}

run balance health.json 200
run balance balance.json 200
run balance balance_not_json.json 415
run redeem redeem_without_token.json 401
run redeem redeem.json 201
redemption_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$work/answer.json" 2>/dev/null || echo missing)
run history redemption.json 200
run history history.json 200
run report report.json 200
run refund refund_as_cashier.json 403
run refund refund.json 201
run balance balance.json 200
balance=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["balance"])' "$work/answer.json" 2>/dev/null || echo missing)
if [ "$balance" = 50000 ]; then
  passed=$((passed + 1))
  echo "ok   balance back to 50000 after the refund"
else
  failed=$((failed + 1))
  echo "FAIL balance after the refund: $balance"
fi
"$galeri" audit --store "$store" >"$work/audit.txt" 2>&1 && audit=clean || audit=failed
if [ "$audit" = clean ]; then
  passed=$((passed + 1))
  echo "ok   galeri audit on the table the arm64 functions wrote"
else
  failed=$((failed + 1))
  echo "FAIL galeri audit: $(cat "$work/audit.txt")"
fi

echo "smoke-arm64: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
