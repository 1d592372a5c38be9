#!/usr/bin/env bash
# The GitHub Action's check step (action.yml): runs `kestra-secrets check` with the action's inputs, given as
# INPUT_PATH, INPUT_CONFIG, INPUT_STRICT, INPUT_FORMAT and INPUT_SARIF_FILE, and KESTRA_SECRETS_BIN.
# Exits with the check's code: 0 no errors, 1 errors found, 2 bad usage or configuration.
set -uo pipefail

bin="${KESTRA_SECRETS_BIN:?KESTRA_SECRETS_BIN is not set}"
fail_usage() {
  echo "::error title=kestra-secrets::$1"
  exit 2
}

args=(check)
read -r -d '' -a paths <<< "${INPUT_PATH:-.}"
if [ "${#paths[@]}" -eq 0 ]; then paths=(.); fi
args+=("${paths[@]}")
if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
case "${INPUT_STRICT:-false}" in
  true) args+=(--strict) ;;
  false | '') ;;
  *) fail_usage "The strict input must be true or false, not '${INPUT_STRICT}'." ;;
esac
format="${INPUT_FORMAT:-github}"
case "$format" in
  github | text | json | sarif | gitlab) ;;
  *) fail_usage "The format input must be github, text, json, sarif or gitlab, not '${format}'." ;;
esac

if [ -n "${INPUT_SARIF_FILE:-}" ]; then
  sarif_status=0
  mkdir -p "$(dirname "$INPUT_SARIF_FILE")"
  # The summary line goes to the log once, from the run below.
  node "$bin" "${args[@]}" --format sarif > "$INPUT_SARIF_FILE" 2> /dev/null || sarif_status=$?
  if [ "$sarif_status" -ge 2 ]; then
    rm -f "$INPUT_SARIF_FILE"
    node "$bin" "${args[@]}" --format "$format"
    exit $?
  fi
fi

node "$bin" "${args[@]}" --format "$format"
