#!/usr/bin/env bash
# Builds the Lambda functions with SAM (cargo lambda, arm64) and deploys the stack.
#
#   First deploy of a stage (domain and certificate are required then):
#     infra/scripts/deploy.sh --stage prod --domain galeri.example.go.id \
#       --certificate arn:aws:acm:us-east-1:123456789012:certificate/… [--alarm-email ops@…]
#   Every later deploy (new code): infra/scripts/deploy.sh --stage prod
#
# A parameter that is not given keeps the stack's current value: a routine deploy never puts
# back the default pepper parameter after a rotation, nor the stack's own table after a restore.
# To change one, give it: --domain, --certificate, --alarm-email ('' for none),
# --pepper-parameter NAME, --restored-table NAME (after a point-in-time restore),
# --stack-table (back to the stack's own table).
# --no-build deploys what the last build made (e.g. after a failed deploy); --build-dir DIR
# (default .aws-sam/build); --artifact-bucket NAME uploads the packaged code there instead
# of SAM's managed bucket (--resolve-s3).
#
# Needs: the AWS CLI and SAM CLI with credentials for the target account and region
# (AWS_REGION, e.g. ap-southeast-3 Jakarta), cargo-lambda (pip install cargo-lambda) and the
# aarch64 target (infra/scripts/arm64-toolchain.sh). The pepper parameter must exist first
# (infra/scripts/first-run.sh creates it): the functions cannot start without it.
set -euo pipefail
cd "$(dirname "$0")/../.."

stage=prod
build=yes
build_dir=.aws-sam/build
artifact_bucket=
# Only what was asked for goes to `sam deploy`; SAM sends every other parameter as
# UsePreviousValue on an update, and the template's default on a create.
declare -A given=()

while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --domain) given[SiteDomain]=$2; shift 2 ;;
    --certificate) given[SiteCertificateArn]=$2; shift 2 ;;
    --alarm-email) given[AlarmEmail]=$2; shift 2 ;;
    --pepper-parameter) given[PepperParameterName]=$2; shift 2 ;;
    # After a point-in-time restore: switch the functions to the restored table (README).
    --restored-table)
      if [ -z "$2" ]; then
        echo "--restored-table needs a table name; --stack-table switches back" >&2
        exit 2
      fi
      given[RestoredTableName]=$2; shift 2 ;;
    --stack-table) given[RestoredTableName]=; shift ;;
    --no-build) build=no; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --artifact-bucket) artifact_bucket=$2; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case $stage in
  dev | staging | prod) ;;
  *) echo "--stage must be dev, staging or prod" >&2; exit 2 ;;
esac
stack=galeri-$stage

# The stack's status and current parameters; nothing when it does not exist yet.
describe_error=$(mktemp)
trap 'rm -f "$describe_error"' EXIT
if status=$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].StackStatus' --output text 2>"$describe_error"); then
  current=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query 'Stacks[0].Parameters[].[ParameterKey,ParameterValue]' --output text)
elif grep -q 'does not exist' "$describe_error"; then
  status=NONE
  current=
else
  cat "$describe_error" >&2
  exit 1
fi
# A first deploy that failed leaves a stack that can only be deleted (its table is kept, under
# a generated name, and is empty): delete it so that this deploy creates the stack afresh.
if [ "$status" = ROLLBACK_COMPLETE ]; then
  echo "$stack is ROLLBACK_COMPLETE (a failed first deploy): deleting it before deploying" >&2
  aws cloudformation delete-stack --stack-name "$stack"
  aws cloudformation wait stack-delete-complete --stack-name "$stack"
  current=
fi
current_value() {
  awk -F '\t' -v key="$1" '$1 == key { print $2 }' <<<"$current"
}
if [ -z "$current" ]; then
  if [ -z "${given[SiteDomain]:-}" ] || [ -z "${given[SiteCertificateArn]:-}" ]; then
    echo "$stack does not exist yet: --domain and --certificate are required (infra/README.md)" >&2
    exit 2
  fi
  given[PepperParameterName]=${given[PepperParameterName]:-/galeri/$stage/pepper}
  given[Stage]=$stage
fi
pepper_parameter=${given[PepperParameterName]:-$(current_value PepperParameterName)}

pepper_type=$(aws ssm describe-parameters \
  --parameter-filters "Key=Name,Values=$pepper_parameter" \
  --query 'Parameters[0].Type' --output text)
if [ "$pepper_type" != SecureString ]; then
  echo "the pepper parameter $pepper_parameter does not exist as a SecureString ($pepper_type);" >&2
  echo "create it with infra/scripts/first-run.sh --stage $stage --create-pepper" >&2
  exit 1
fi

if [ "$build" = yes ]; then
  infra/scripts/arm64-toolchain.sh >/dev/null

  # SAM's rust-cargolambda builder runs `cargo lambda build --release --arm64 --bin <name>`;
  # these make its release build the same as the workspace's size-optimised `lambda` profile.
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
  export CARGO_PROFILE_RELEASE_LTO=true
  export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
  export CARGO_PROFILE_RELEASE_STRIP=true
  export CARGO_PROFILE_RELEASE_PANIC=abort

  # The builder runs in the functions' CodeUri (functions/lambda) and copies
  # <CodeUri>/target/lambda/<name>/bootstrap: keep cargo's output there.
  export CARGO_TARGET_DIR="$PWD/functions/lambda/target"

  sam build --template-file infra/template.yaml --build-dir "$build_dir" --beta-features
fi
if [ ! -f "$build_dir/template.yaml" ]; then
  echo "no build in $build_dir: run without --no-build first" >&2
  exit 1
fi

# SAM's --parameter-overrides reads `Key=Value` pairs; a bare `Key=` is refused ("invalid
# format"), so every value is quoted and the empty one reads `Key=""`. Values are checked
# first so that a quote or backslash cannot end one early.
overrides=()
for key in "${!given[@]}"; do
  value=${given[$key]}
  if [[ $value == *[\"\\]* ]]; then
    echo "$key must not contain a quote or a backslash" >&2
    exit 2
  fi
  overrides+=("$key=\"$value\"")
done

if [ -n "$artifact_bucket" ]; then
  artifacts=(--s3-bucket "$artifact_bucket" --s3-prefix "$stack")
else
  artifacts=(--resolve-s3)
fi
deploy=(sam deploy
  --template-file "$build_dir/template.yaml"
  --stack-name "$stack"
  --capabilities CAPABILITY_IAM
  "${artifacts[@]}"
  --no-confirm-changeset
  --no-fail-on-empty-changeset)
if [ ${#overrides[@]} -gt 0 ]; then
  deploy+=(--parameter-overrides "${overrides[@]}")
fi
"${deploy[@]}"

aws cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table
