#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (executable_path); nothing
# downloads a browser. Installs the Debian package when missing and we may (root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the browser tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "NOTE: chromium is not installed and cannot be installed here (not root / no apt-get);"
  echo "      the browser tests will be skipped. Install it with: sudo apt-get install chromium"
fi
