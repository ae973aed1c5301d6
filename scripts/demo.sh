#!/bin/sh
# Set everything up and serve the demo on http://127.0.0.1:8000 (SQLite, no services needed).
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/ponton demo "$@"
