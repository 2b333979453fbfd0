#!/usr/bin/env bash
# First run of a new stage, in order (each step can also be run alone):
#
#   infra/scripts/first-run.sh --stage prod --create-pepper
#       creates the pepper: 32 random bytes, hex, as an SSM SecureString /galeri/<stage>/pepper.
#       Refuses to overwrite one: every voucher's stored hash depends on it.
#   infra/scripts/deploy.sh --stage prod --domain … --certificate …
#       (not run by this script: deploy in between)
#   infra/scripts/first-run.sh --stage prod --admin-token "Nama Admin"
#       mints the first admin token in the stage's table and prints it once.
#   infra/scripts/first-run.sh --stage prod --load-catalog
#       builds the site for the stage's domain and loads public/catalog.json as the price list.
#   infra/scripts/publish-site.sh --stack galeri-prod
#
# Set `api_base_url` in content/site.yaml to the stack's ApiUrl output before building.
set -euo pipefail
cd "$(dirname "$0")/../.."

stage=prod
action=
admin_name=
while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --create-pepper) action=pepper; shift ;;
    --admin-token) action="admin"; admin_name=$2; shift 2 ;;
    --load-catalog) action=catalog; shift ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
stack=galeri-$stage
parameter=/galeri/$stage/pepper

case $action in
  pepper)
    existing=$(aws ssm describe-parameters --parameter-filters "Key=Name,Values=$parameter" \
      --query 'length(Parameters)' --output text)
    if [ "$existing" != 0 ]; then
      echo "$parameter already exists; not touching it (see infra/README.md, 'Rotation')" >&2
      exit 1
    fi
    # The value goes through a private file, never the command line (visible in `ps`).
    umask 077
    secret_file=$(mktemp)
    trap 'rm -f "$secret_file"' EXIT
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$secret_file"
    aws ssm put-parameter --name "$parameter" --type SecureString \
      --description "Galeri $stage: HMAC pepper of voucher codes (hex). Never overwrite." \
      --value "file://$secret_file" >/dev/null
    echo "created $parameter (SecureString, aws/ssm key)"
    ;;
  admin)
    table=$(infra/scripts/stack-output.sh "$stack" TableName)
    echo "admin token for $admin_name (shown once; keep it in a password manager):" >&2
    cargo run --quiet --release -- tokens create --role admin --name "$admin_name" \
      --store "dynamodb:$table"
    ;;
  catalog)
    table=$(infra/scripts/stack-output.sh "$stack" TableName)
    site_url=$(infra/scripts/stack-output.sh "$stack" SiteUrl)
    cargo run --quiet --release -- build --base-url "$site_url"
    cargo run --quiet --release -- load-catalog --catalog public/catalog.json --store "dynamodb:$table"
    echo "price list loaded into $table; publish the same build: infra/scripts/publish-site.sh --stack $stack"
    ;;
  *)
    sed -n '2,17p' "$0" >&2
    exit 2
    ;;
esac
