#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (executable_path); nothing
# downloads a browser. Installs the Debian package when missing and we may (root).
# The accessibility tests inject axe-core, an npm dev dependency pinned in
# package-lock.json: `npm ci` installs it into node_modules/ when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_axe() {
  local stamp=node_modules/.package-lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f node_modules/axe-core/axe.min.js ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "NOTE: npm is not installed; the axe-core accessibility tests will be skipped."
    echo "      Install Node.js and npm (Debian: sudo apt-get install npm), then rerun."
    return 0
  fi
  echo "==> installing axe-core for the accessibility tests (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" >"$stamp"
}
ensure_axe

if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the browser tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "NOTE: chromium is not installed and cannot be installed here (not root / no apt-get);"
  echo "      the browser tests will be skipped. Install it with: sudo apt-get install chromium"
fi
