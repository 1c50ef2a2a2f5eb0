#!/usr/bin/env bash
# The check step of the GitHub Action (action.yml), kept as a script so that it can be tested.
#
# CTDC_PATHS  crosswalk files or folders to check, separated by spaces (the action's `paths`);
#             empty: the repository's own crosswalks/ folder, and an error when there is none,
#             so that a partner's workflow never passes by checking nothing of the partner's
# CTDC_FAIL_ON  error, warning or never (the action's `fail-on`)
# CTDC_AGAINST  a git revision to hold the version numbers to (the action's `against`, opt-in),
#               passed on as --against REF; empty: no semver gate
#
# The partner's crosswalks are always compared with the ones bundled with ctdc-schema.
set -euo pipefail
set -f  # the paths are words, never globs

paths="${CTDC_PATHS:-}"
if [ -z "${paths//[[:space:]]/}" ]; then
  if [ ! -d crosswalks ]; then
    echo "::error title=ctdc validate::no crosswalks/ folder in $(pwd); set the action's 'paths' input to your crosswalk files or folders"
    exit 2
  fi
  paths=crosswalks
fi
against=()
if [ -n "${CTDC_AGAINST:-}" ]; then
  against=(--against "$CTDC_AGAINST")  # one argument, whatever it holds; ctdc refuses options
fi
# shellcheck disable=SC2086  # word-splitting of the paths list is intended
exec ctdc validate --format github --fail-on "${CTDC_FAIL_ON:-error}" "${against[@]}" $paths
