#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the locked dependencies.
# Idempotent: re-installs only when requirements.lock changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.lock.sha256

find_python310() {
  if [ -n "${PYTHON310:-}" ] && "$PYTHON310" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    echo "$PYTHON310"; return 0
  fi
  # python3.10 on PATH (a pyenv shim may exist but not resolve: test it runs)
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
    command -v python3.10; return 0
  fi
  if command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3; return 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local cand
    for cand in $(ls -d "$(pyenv root)"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
      if "$cand" -c 'import sys' >/dev/null 2>&1; then echo "$cand"; return 0; fi
    done
  fi
  return 1
}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  if ! PY=$(find_python310); then
    cat >&2 <<MSG
ERROR: Python 3.10 is required (Rasa 3.6 supports Python 3.8-3.10) and none was found.
Looked at: \$PYTHON310, python3.10 and python3 on PATH, pyenv versions 3.10.*.
Install it (e.g. 'pyenv install 3.10.13' or your distribution's python3.10 package),
or point PYTHON310 at the interpreter, then run the command again.
MSG
    exit 1
  fi
  echo "==> creating $VENV with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

want=$(sha256sum requirements.lock | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "==> installing locked dependencies (first time: about 2 minutes, 2.7 GB)"
  start=$(date +%s)
  # --no-deps: the lock is complete; nothing may be resolved again at install time.
  # (this machine's pip.conf may name local mirrors that do not exist: drop that noise)
  quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
  quiet "$VENV/bin/python" -m pip install --quiet --upgrade "pip<25"
  quiet "$VENV/bin/python" -m pip install --quiet --no-deps -r requirements.lock
  quiet "$VENV/bin/python" -m pip install --quiet --no-deps -e .
  "$VENV/bin/python" -m pip check
  echo "$want" > "$STAMP"
  echo "==> dependencies installed in $(( $(date +%s) - start )) s"
fi
