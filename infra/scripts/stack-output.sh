#!/usr/bin/env bash
# Prints one output of the deployed stack: stack-output.sh STACK OUTPUT_KEY
# (e.g. `stack-output.sh galeri-prod TableName`). Used by the other scripts.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 STACK OUTPUT_KEY" >&2
  exit 2
fi
value=$(aws cloudformation describe-stacks --stack-name "$1" \
  --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text)
if [ -z "$value" ] || [ "$value" = "None" ]; then
  echo "stack $1 has no output $2 (is it deployed?)" >&2
  exit 1
fi
echo "$value"
