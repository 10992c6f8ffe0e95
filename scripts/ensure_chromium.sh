#!/usr/bin/env bash
# The browser tests drive Debian's chromium through Playwright's executable_path (never `playwright install`,
# which downloads a browser). Install it when it is missing and we may; under CI a missing browser is an error
# (the tests fail rather than skip), elsewhere the browser tests skip with this message.
set -euo pipefail
CHROMIUM="${POSTGATE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium is missing at $CHROMIUM and this is not root: run 'sudo apt-get install -y chromium' for the browser tests" >&2
if [ "${CI:-}" = "true" ]; then
  exit 1
fi
echo "(the browser tests will be skipped)" >&2
