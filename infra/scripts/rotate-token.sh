#!/usr/bin/env bash
# Replaces a staff token: mints a new one with the same role and name, prints it once, then
# revokes the old one (by id, from `galeri tokens list`). The old token stops working at once.
#
#   infra/scripts/rotate-token.sh --stage prod --id tok_abcde --role cashier --name "Kasir Galeri 1"
set -euo pipefail
cd "$(dirname "$0")/../.."

stage=prod
id=
role=
name=
while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --id) id=$2; shift 2 ;;
    --role) role=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$id" ] || [ -z "$role" ] || [ -z "$name" ]; then
  echo "--id, --role and --name are required" >&2
  exit 2
fi
table=$(infra/scripts/stack-output.sh "galeri-$stage" TableName)
store="dynamodb:$table"

echo "new $role token for $name (shown once):" >&2
cargo run --quiet --release -- tokens create --role "$role" --name "$name" --store "$store"
cargo run --quiet --release -- tokens revoke "$id" --store "$store"
echo "revoked $id" >&2
