#!/bin/sh
# Create .venv and install Ponton with pinned dependencies.
# Usage: scripts/setup.sh [dev]   ("dev" adds the test and lint tools)
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Ponton needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || {
    echo "Could not create .venv. On Debian or Ubuntu: sudo apt install python3-venv" >&2
    exit 1
  }
fi
# Nothing to do when the project's requirements are those last installed (with the dev tools
# when asked): the install is editable, so the code itself is always the checkout's.
wanted="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1) ${1:-}"
stamp=.venv/.ponton-installed
if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$wanted" ] || { [ -z "${1:-}" ] && [ "$(cat "$stamp")" = "$wanted"dev ]; }; }; then
  exit 0
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
fi
echo "$wanted" >"$stamp"
