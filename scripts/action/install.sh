#!/usr/bin/env bash
# The GitHub Action's first step (action.yml): install and bundle kestra-secrets in the action's own folder
# (npm ci runs the `prepare` build), leaving the user's workspace untouched.
set -euo pipefail
cd "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
npm ci --no-audit --no-fund --loglevel=error >&2
test -f dist/cli.js
