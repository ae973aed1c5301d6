#!/usr/bin/env bash
# Zero-downtime upgrades: this release's migrations must leave the previous release working.
#  1. `ponton check_migrations`: the migrations added since the previous release (the commit
#     in .ci/previous-release) only add what that release can ignore (README, Production).
#  2. The previous release's own tests of the hot endpoints (the web chat API, the agent API,
#     the help center and its search) run against a PostgreSQL schema migrated by THIS
#     release, as they would while an upgrade is under way: the test database is created and
#     migrated with this code first, then pytest-django's --reuse-db keeps it, and the old
#     code's migrate finds nothing of its own left to do.
# The old tree runs with this checkout's .venv (the previous release's dependencies are a
# subset of this one's) and PYTHONPATH pointing at it.
#
#   CI_ZDT_DATABASE_URL  postgres://postgres@127.0.0.1:5432/ponton_zdt (its test_ database is
#                        dropped and made anew, then dropped at the end)
#   CI_ZDT_REDIS_URL     redis://127.0.0.1:6379/8
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
database_url=${CI_ZDT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ponton_zdt}
redis_url=${CI_ZDT_REDIS_URL:-redis://127.0.0.1:6379/8}
previous=$(awk 'NF && $1 !~ /^#/ {print $1; exit}' .ci/previous-release)
test_database_url="${database_url%/*}/test_${database_url##*/}"
# The previous release's tests of the hot endpoints (a fast subset).
old_tests=(
  ponton/connectors/tests/test_webchat_api.py
  ponton/conversations/tests/test_agent_api.py
  ponton/knowledge/tests/test_helpcenter.py
  ponton/knowledge/tests/test_search.py
)

echo "-- migrations since $previous"
.venv/bin/ponton check_migrations --since "$previous"

work=$(mktemp -d)
old=$work/previous
database() {  # drop|create
  "$repo/.venv/bin/python" - "$1" "$test_database_url" <<'PY'
import sys, psycopg
action, url = sys.argv[1:]
base, name = url.rsplit("/", 1)
with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if action == "create":
        conn.execute(f'CREATE DATABASE "{name}"')
PY
}
teardown() {
  git -C "$repo" worktree remove --force "$old" 2>/dev/null || true
  rm -rf "$work"
  git -C "$repo" worktree prune
  database drop || true
}
trap teardown EXIT
git worktree add --quiet --detach "$old" "$previous"

echo "-- the schema migrated by this release"
database create
DATABASE_URL=$test_database_url REDIS_URL=$redis_url .venv/bin/ponton migrate -v0

# Between transactional tests the previous release empties the tables it knows with a
# TRUNCATE; this release's new tables reference some of them, and PostgreSQL refuses that
# TRUNCATE without CASCADE. Production never empties tables: the harness cascades.
mkdir "$work/plugins"
cat >"$work/plugins/zdt_flush_cascades.py" <<'PY'
def pytest_sessionstart(session):
    from django.db.backends.postgresql.operations import DatabaseOperations

    sql_flush = DatabaseOperations.sql_flush

    def cascading(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        return sql_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=True)

    DatabaseOperations.sql_flush = cascading
PY

echo "-- the previous release's hot-endpoint tests on it"
cd "$old"
export DATABASE_URL=$database_url REDIS_URL=$redis_url PYTHONPATH=$old:$work/plugins
# The previous release's code, not this one's (the editable install comes after PYTHONPATH).
"$repo/.venv/bin/python" -c 'import ponton, sys; sys.exit(not ponton.__file__.startswith(sys.argv[1]))' "$old/"
"$repo/.venv/bin/python" -m pytest -q -p no:cacheprovider -p zdt_flush_cascades --reuse-db \
  "${old_tests[@]}"
