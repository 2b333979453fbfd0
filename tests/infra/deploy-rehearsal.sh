#!/usr/bin/env bash
# Rehearses infra/scripts/deploy.sh end to end with the real SAM CLI (PyPI, in tests/.venv-infra)
# against a local AWS emulator (moto server): `sam validate --lint`, then deploys of a stage as
# an operator would run them (first deploy, pepper rotation, switch to a restored table, a
# routine deploy that must keep all of that, switch back), a stack deleted and deployed again
# (what a failed first deploy leaves), and the script's refusals. Checks the parameters the
# stack ends up with after each step. Prints "N passed, M failed"; exits non-zero on a failure.
#
# Where the emulator stops (also in infra/README.md, "Checks"): SAM parses the parameters,
# packages and uploads the code and the template, and moto accepts CreateChangeSet,
# ExecuteChangeSet and the stack events SAM waits on. Moto does not apply the Serverless
# transform: the functions and APIs (and CloudFront, the alarms, the bucket policy) are skipped
# with a warning, the table, log groups, bucket, managed policy and topic are created, and the
# stack reports no Outputs, so the output table deploy.sh prints at the end is empty here.
# The Lambda build itself (`sam build`, cargo lambda for arm64) is not rehearsed: a stub
# bootstrap stands in for each binary (--no-build).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

venv=tests/.venv-infra
sam_version=1.170.0
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/aws" ] ||
  [ "$("$venv/bin/sam" --version 2>/dev/null | awk '{print $4}')" != "$sam_version" ]; then
  python3 -m venv "$venv"
  echo '*' >"$venv/.gitignore"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'moto[server,cloudformation]==5.2.5' 'awscli==1.46.3' 'cfn-lint==1.58.0' "aws-sam-cli==$sam_version"
fi
# `--install-only`: only fill the venv (cfn-lint.sh and publish-site.sh use it too); tests/run.sh
# does this in the background while cargo compiles.
if [ "${1:-}" = --install-only ]; then exit 0; fi
export PATH="$root/$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

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

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=ap-southeast-3 AWS_REGION=ap-southeast-3
unset AWS_PROFILE AWS_SESSION_TOKEN

if sam validate --lint --template-file infra/template.yaml >"$work/validate.log" 2>&1; then
  check "sam validate --lint" ok ok
else
  cat "$work/validate.log"
  check "sam validate --lint" ok failed
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
# `localhost`, not 127.0.0.1: SAM hands CloudFormation a path-style TemplateURL built from the
# S3 endpoint (http://HOST:PORT/bucket/key), and moto reads such a URL as path-style only when
# it contains "localhost"; otherwise it takes the host's first label ("127") for the bucket and
# CreateChangeSet answers NoSuchBucket.
export AWS_ENDPOINT_URL="http://localhost:$port"

# What `sam build` would leave: the template with each function's code folder holding a
# bootstrap (a stub: the arm64 build needs cargo lambda and takes minutes).
build=$work/build
mkdir -p "$build/stub"
printf '#!/bin/sh\nexit 1\n' >"$build/stub/bootstrap"
sed 's#^    CodeUri: .*#    CodeUri: stub#' infra/template.yaml >"$build/template.yaml"
grep -q '^    CodeUri: stub$' "$build/template.yaml" || { echo "no Globals CodeUri to replace"; exit 1; }

aws s3api create-bucket --bucket galeri-artifacts \
  --create-bucket-configuration LocationConstraint=ap-southeast-3 >/dev/null
aws ssm put-parameter --name /galeri/prod/pepper --type SecureString --value 00 >/dev/null

certificate=arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-123456789012
deploy() { # log-name args...
  local log=$work/$1.log
  shift
  infra/scripts/deploy.sh --no-build --build-dir "$build" --artifact-bucket galeri-artifacts "$@" \
    >"$log" 2>&1
}
parameter() { # stack key
  aws cloudformation describe-stacks --stack-name "$1" \
    --query "Stacks[0].Parameters[?ParameterKey=='$2'].ParameterValue" --output text
}
status() {
  aws cloudformation describe-stacks --stack-name "$1" --query 'Stacks[0].StackStatus' \
    --output text 2>/dev/null || echo NONE
}
exit_code() { # runs the rest, prints its exit code
  local code=0
  "$@" || code=$?
  echo "$code"
}

# SAM itself refuses an empty `Key=` (what deploy.sh used to pass on every deploy).
sam deploy --template-file "$build/template.yaml" --stack-name galeri-probe \
  --s3-bucket galeri-artifacts --parameter-overrides 'RestoredTableName=' >"$work/bare.log" 2>&1 || true
check "SAM refuses a bare RestoredTableName=" yes \
  "$(grep -q 'RestoredTableName= is not a valid format' "$work/bare.log" && echo yes || echo no)"

check "a new stage needs --domain and --certificate" 2 "$(exit_code deploy refused --stage prod)"
check "nothing was created by the refusal" NONE "$(status galeri-prod)"
check "a stage without its pepper is refused" 1 \
  "$(exit_code deploy no-pepper --stage dev --domain galeri.example.go.id --certificate "$certificate")"

# First deploy.
if deploy first --stage prod --domain galeri.example.go.id --certificate "$certificate"; then
  check "first deploy" ok ok
else
  check "first deploy" ok "failed: $(tail -3 "$work/first.log")"
fi
check "stack created" CREATE_COMPLETE "$(status galeri-prod)"
check "domain set" galeri.example.go.id "$(parameter galeri-prod SiteDomain)"
check "pepper parameter defaults to the stage's" /galeri/prod/pepper "$(parameter galeri-prod PepperParameterName)"
check "the stack's own table" "" "$(parameter galeri-prod RestoredTableName)"
check "the template went through S3 (changeset from the uploaded template)" yes \
  "$(grep -q 'Uploading to galeri-prod/.*\.template' "$work/first.log" && echo yes || echo no)"

# Pepper rotation to a new parameter, then a restore.
aws ssm put-parameter --name /galeri/prod/pepper-2027 --type SecureString --value 00 >/dev/null
deploy rotate --stage prod --pepper-parameter /galeri/prod/pepper-2027 || cat "$work/rotate.log"
check "rotation sets the new pepper parameter" /galeri/prod/pepper-2027 "$(parameter galeri-prod PepperParameterName)"
deploy restore --stage prod --restored-table galeri-prod-restored-20261127 || cat "$work/restore.log"
check "restore switches the table" galeri-prod-restored-20261127 "$(parameter galeri-prod RestoredTableName)"
check "restore keeps the rotated pepper" /galeri/prod/pepper-2027 "$(parameter galeri-prod PepperParameterName)"

# A routine deploy (new code) changes none of it.
deploy routine --stage prod || cat "$work/routine.log"
check "routine deploy succeeds" UPDATE_COMPLETE "$(status galeri-prod)"
check "routine deploy keeps the restored table" galeri-prod-restored-20261127 "$(parameter galeri-prod RestoredTableName)"
check "routine deploy keeps the rotated pepper" /galeri/prod/pepper-2027 "$(parameter galeri-prod PepperParameterName)"
check "routine deploy keeps the domain" galeri.example.go.id "$(parameter galeri-prod SiteDomain)"
check "routine deploy keeps the certificate" "$certificate" "$(parameter galeri-prod SiteCertificateArn)"

deploy back --stage prod --stack-table || cat "$work/back.log"
check "--stack-table switches back" "" "$(parameter galeri-prod RestoredTableName)"
check "--restored-table needs a name" 2 "$(exit_code deploy empty-restore --stage prod --restored-table '')"

# A stack deleted with its table kept (what a failed first deploy leaves behind): deploying the
# stage again must work, so nothing kept may hold a fixed name.
tables_before=$(aws dynamodb list-tables --query 'length(TableNames)' --output text)
aws cloudformation delete-stack --stack-name galeri-prod
aws cloudformation wait stack-delete-complete --stack-name galeri-prod
check "the table outlives its stack" "$tables_before" "$(aws dynamodb list-tables --query 'length(TableNames)' --output text)"
if deploy again --stage prod --domain galeri.example.go.id --certificate "$certificate"; then
  check "deploying the stage again after that" CREATE_COMPLETE "$(status galeri-prod)"
else
  check "deploying the stage again after that" CREATE_COMPLETE "failed: $(tail -3 "$work/again.log")"
fi

echo "deploy rehearsal: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
