#!/bin/sh
# Set everything up and run the whole test suite (SQLite unless DATABASE_URL says otherwise).
# Browser tests drive Debian's Chromium; without it they are skipped, unless
# PONTON_REQUIRE_BROWSER=1 (as in CI), where its absence fails the run.
# Email tests drive Debian's Dovecot the same way (PONTON_REQUIRE_MAIL_SERVERS=1).
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh dev
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "Could not install chromium: browser tests will be skipped." >&2
fi
if [ ! -x /usr/sbin/dovecot ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's dovecot-imapd for the email tests…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null) \
    || echo "Could not install dovecot-imapd: IMAP tests will be skipped." >&2
fi
exec .venv/bin/pytest "$@"
