#!/usr/bin/env bash
# Builds the Lambda functions with SAM (cargo lambda, arm64) and deploys the stack.
#
#   infra/scripts/deploy.sh --stage prod --domain galeri.example.go.id \
#     --certificate arn:aws:acm:us-east-1:123456789012:certificate/… [--alarm-email ops@example.go.id]
#     [--restored-table galeri-prod-restored-20261127]
#
# Needs: the AWS CLI and SAM CLI with credentials for the target account and region
# (AWS_REGION, e.g. ap-southeast-3 Jakarta), cargo-lambda (pip install cargo-lambda) and the
# aarch64 target (infra/scripts/arm64-toolchain.sh). The pepper parameter must exist first
# (infra/scripts/first-run.sh creates it): the functions cannot start without it.
set -euo pipefail
cd "$(dirname "$0")/../.."

stage=prod
domain=
certificate=
alarm_email=
pepper_parameter=
restored_table=

while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --domain) domain=$2; shift 2 ;;
    --certificate) certificate=$2; shift 2 ;;
    --alarm-email) alarm_email=$2; shift 2 ;;
    --pepper-parameter) pepper_parameter=$2; shift 2 ;;
    # After a point-in-time restore: switch the functions to the restored table (README).
    --restored-table) restored_table=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$domain" ] || [ -z "$certificate" ]; then
  echo "--domain and --certificate are required (see infra/README.md)" >&2
  exit 2
fi
pepper_parameter=${pepper_parameter:-/galeri/$stage/pepper}
stack=galeri-$stage

pepper_type=$(aws ssm describe-parameters \
  --parameter-filters "Key=Name,Values=$pepper_parameter" \
  --query 'Parameters[0].Type' --output text)
if [ "$pepper_type" != SecureString ]; then
  echo "the pepper parameter $pepper_parameter does not exist as a SecureString ($pepper_type);" >&2
  echo "create it with infra/scripts/first-run.sh --stage $stage --create-pepper" >&2
  exit 1
fi

infra/scripts/arm64-toolchain.sh >/dev/null

# SAM's rust-cargolambda builder runs `cargo lambda build --release --arm64 --bin <name>`; these
# make its release build the same as the workspace's size-optimised `lambda` profile.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_STRIP=true
export CARGO_PROFILE_RELEASE_PANIC=abort

# The builder runs in the functions' CodeUri (functions/lambda) and copies
# <CodeUri>/target/lambda/<name>/bootstrap: keep cargo's output there.
export CARGO_TARGET_DIR="$PWD/functions/lambda/target"

sam build --template-file infra/template.yaml --beta-features

overrides=(
  "Stage=$stage"
  "SiteDomain=$domain"
  "SiteCertificateArn=$certificate"
  "PepperParameterName=$pepper_parameter"
)
if [ -n "$alarm_email" ]; then
  overrides+=("AlarmEmail=$alarm_email")
fi
# Always passed, so that leaving the option out switches back to the stack's own table.
overrides+=("RestoredTableName=$restored_table")

sam deploy \
  --stack-name "$stack" \
  --capabilities CAPABILITY_IAM \
  --resolve-s3 \
  --no-fail-on-empty-changeset \
  --parameter-overrides "${overrides[@]}"

aws cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table
