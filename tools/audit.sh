#!/usr/bin/env bash
# `make audit`: known vulnerabilities in requirements.lock, checked by pip-audit.
#
# pip-audit cannot live in .venv (it needs packaging >= 23, Rasa 3.6 pins 20.9), so it
# gets its own venv, .venv-audit, made with the same Python 3.10 as .venv and installed
# from tools/audit-requirements.lock (hashes, --no-deps). The lock is audited as pinned
# (--no-deps --disable-pip: nothing is resolved or installed for it).
#
# Exit code 0 only when every finding is explained: each accepted one is listed in
# tools/audit-ignore.txt and reasoned in docs/SECURITY.md. --strict makes a package
# that could not be looked up an error too, so "no data" never passes as "no findings".
#
# Needs network: AUDIT_SERVICE=osv (default, api.osv.dev) or pypi (pypi.org JSON API).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-audit
LOCK=tools/audit-requirements.lock
IGNORE=tools/audit-ignore.txt
SERVICE=${AUDIT_SERVICE:-osv}
REPORT_DIR=var/reports
STAMP=$VENV/.lock.sha256

if [ ! -x .venv/bin/python ]; then
  echo "ERROR: .venv is missing; run 'make install' first" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  # the interpreter .venv was made with (found by scripts/bootstrap.sh)
  base=$(.venv/bin/python -c 'import os, sys; print(os.path.join(sys.base_prefix, "bin", "python3.10"))')
  echo "==> creating $VENV with $base"
  "$base" -m venv "$VENV"
fi
want=$(sha256sum "$LOCK" | cut -d' ' -f1)
if [ "$want" != "$(cat "$STAMP" 2>/dev/null || true)" ]; then
  echo "==> installing pip-audit into $VENV"
  "$VENV/bin/python" -m pip install --quiet --no-deps --require-hashes -r "$LOCK" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" > "$STAMP"
fi

ignores=()
while read -r id _; do
  [ -n "$id" ] && ignores+=(--ignore-vuln "$id")
done < <(grep -v '^\s*#' "$IGNORE" | sed '/^\s*$/d')

mkdir -p "$REPORT_DIR"
rm -f "$REPORT_DIR/audit.json"  # never summarise an older run's report
echo "==> pip-audit of requirements.lock ($(grep -c '^[A-Za-z0-9]' requirements.lock) pins," \
  "service $SERVICE, $(( ${#ignores[@]} / 2 )) accepted ids in $IGNORE)"
"$VENV/bin/pip-audit" -r requirements.lock --no-deps --disable-pip --strict \
  --vulnerability-service "$SERVICE" --progress-spinner off --desc on \
  --format json --output "$REPORT_DIR/audit.json" "${ignores[@]+"${ignores[@]}"}" && status=0 || status=$?
"$VENV/bin/python" tools/audit_summary.py "$REPORT_DIR/audit.json" "$IGNORE" || true
if [ "$status" -ne 0 ]; then
  echo "==> make audit FAILED: unexplained findings or packages that could not be audited" \
    "(report: $REPORT_DIR/audit.json; see docs/SECURITY.md)" >&2
fi
exit "$status"
