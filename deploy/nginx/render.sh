#!/bin/sh
# Print deploy/nginx/ponton.conf with this deployment's values, read from the environment;
# unset, each keeps the file's own value, so with none set the output is the file itself.
#
#   PONTON_SERVER_NAME   care.example.com
#   PONTON_UPSTREAMS     "127.0.0.1:8001 127.0.0.1:8002"  the app processes (host:port, spaces)
#   PONTON_STATIC_ROOT   /var/cache/ponton/static          as given to `ponton collectstatic`
#   PONTON_TLS_CERT      /etc/letsencrypt/live/$PONTON_SERVER_NAME/fullchain.pem
#   PONTON_TLS_KEY       /etc/letsencrypt/live/$PONTON_SERVER_NAME/privkey.pem
#   PONTON_HTTP_LISTEN   "80 [::]:80"                      addresses of the plain-HTTP block
#   PONTON_HTTPS_LISTEN  "443 [::]:443"                    addresses of the TLS block
#   PONTON_ACME_ROOT     /var/www/letsencrypt              certbot's webroot
#
# Usage: deploy/nginx/render.sh [ponton.conf] > /etc/nginx/sites-available/ponton
# It fails, printing nothing, when the file no longer has a line it knows how to set.
set -eu
source_file=${1:-$(dirname "$0")/ponton.conf}
name=${PONTON_SERVER_NAME:-care.example.com}
static=${PONTON_STATIC_ROOT:-/var/cache/ponton/static}
rendered=$(awk \
  -v name="$name" \
  -v upstreams="${PONTON_UPSTREAMS:-127.0.0.1:8001 127.0.0.1:8002}" \
  -v static="${static%/}/" \
  -v cert="${PONTON_TLS_CERT:-/etc/letsencrypt/live/$name/fullchain.pem}" \
  -v key="${PONTON_TLS_KEY:-/etc/letsencrypt/live/$name/privkey.pem}" \
  -v http_listen="${PONTON_HTTP_LISTEN:-80 [::]:80}" \
  -v https_listen="${PONTON_HTTPS_LISTEN:-443 [::]:443}" \
  -v acme="${PONTON_ACME_ROOT:-/var/www/letsencrypt}" '
  function each(list, before, after,    items, n, i) {
    n = split(list, items, " ")
    for (i = 1; i <= n; i++) print before items[i] after
    return n
  }
  /^upstream ponton_app \{/ { upstream = 1 }
  upstream && /^}/ { upstream = 0 }
  /^server \{/ { http_done = 0; https_done = 0 }
  upstream && /^    server [^ ]+;$/ {
    if (!upstream_done) { if (each(upstreams, "    server ", ";") == 0) exit 2; upstream_done = 1; hits++ }
    next
  }
  /^    listen (\[::\]:)?80;$/ {
    if (!http_done) { if (each(http_listen, "    listen ", ";") == 0) exit 2; http_done = 1; hits++ }
    next
  }
  /^    listen (\[::\]:)?443 ssl http2;$/ {
    if (!https_done) { if (each(https_listen, "    listen ", " ssl http2;") == 0) exit 2; https_done = 1; hits++ }
    next
  }
  /^    server_name [^ ]+;$/ { print "    server_name " name ";"; hits++; next }
  /^    ssl_certificate [^ ]+;$/ { print "    ssl_certificate " cert ";"; hits++; next }
  /^    ssl_certificate_key [^ ]+;$/ { print "    ssl_certificate_key " key ";"; hits++; next }
  /^        alias [^ ]+;$/ { print "        alias " static ";"; hits++; next }
  /^        root [^ ]+;$/ { print "        root " acme ";"; hits++; next }
  { print }
  # The upstream, two listen groups, two names, the certificate and key, static files, ACME.
  END { if (hits != 9) exit 3 }
' "$source_file") || {
  echo "render.sh: $source_file does not have the lines it sets (or a list is empty)" >&2
  exit 1
}
printf '%s\n' "$rendered"
