#!/usr/bin/env bash
# Lints infra/template.yaml with cfn-lint (PyPI, pinned) in its own venv, tests/.venv-infra,
# created on first use. Fails on any error, warning or informational finding: the template is
# kept clean at every level so a new finding stands out.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=tests/.venv-infra
cfn_lint_version=1.58.0

if [ ! -x "$venv/bin/cfn-lint" ] || [ "$("$venv/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}')" != "$cfn_lint_version" ]; then
  python3 -m venv "$venv"
  # The venv is a cache, never committed.
  echo '*' >"$venv/.gitignore"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$cfn_lint_version"
fi

echo "cfn-lint $("$venv/bin/cfn-lint" --version | awk '{print $2}') on infra/template.yaml"
# Regions the gallery would deploy to: Jakarta (closest to Malang) and us-east-1 (where
# CloudFront's certificate lives); checks that every resource type exists in both.
"$venv/bin/cfn-lint" --include-checks I --regions ap-southeast-3 us-east-1 -- infra/template.yaml
echo "cfn-lint: no errors, warnings or informational findings"
