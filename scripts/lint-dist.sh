#!/usr/bin/env bash
# Lints the distribution files that cannot run on this machine: the workflows
# (actionlint, zizmor), the Action's metadata (zizmor, action-validator), the
# Dockerfile (hadolint), the pre-commit hooks file and the JSON Schema.
# .ci/run installs the tools (PyPI, and npm for action-validator) and calls
# this; so does .github/workflows/ci.yml.
set -euo pipefail
cd "$(dirname "$0")/.."

workflows=(.github/workflows/*.yml)

echo "actionlint: ${workflows[*]}"
actionlint "${workflows[@]}"

# Every finding of low severity or above fails (none is allowed today, even
# with the pedantic persona).
echo "zizmor: action.yml ${workflows[*]}"
zizmor --offline --min-severity low --persona pedantic action.yml "${workflows[@]}"

# action-validator checks action.yml against the action metadata schema
# (actionlint reads only workflows). Not used on the workflows: its bundled
# workflow schema (0.6.0) predates the `attestations` permission that
# release.yml needs and that actionlint accepts.
if [ -n "${ACTION_VALIDATOR:-}" ] || command -v action-validator >/dev/null 2>&1; then
  echo "action-validator: action.yml"
  "${ACTION_VALIDATOR:-action-validator}" action.yml
else
  echo "action-validator: not found (npm missing? .ci/run installs it with npm), skipped; zizmor and tests/it/action_yml.rs still check action.yml"
fi

echo "hadolint: Dockerfile"
hadolint Dockerfile

echo "pre-commit validate-manifest: .pre-commit-hooks.yaml"
pre-commit validate-manifest .pre-commit-hooks.yaml

echo "check-jsonschema --check-metaschema: schemas/report.schema.json"
check-jsonschema --check-metaschema schemas/report.schema.json

echo "lint-dist: all clean"
