#!/usr/bin/env bash
# The production topology on this machine, from the files in deploy/: Debian's nginx with
# deploy/nginx/ponton.conf (rendered by deploy/nginx/render.sh), two app processes and a
# worker started with the systemd units' own commands, PostgreSQL and Redis; then
# scripts/smoke_topology.py through the proxy. Everything it starts is stopped at the end.
#
#   CI_TOPO_DATABASE_URL  postgres://postgres@127.0.0.1:5432/ponton_topo (dropped and made anew)
#   CI_TOPO_REDIS_URL     redis://127.0.0.1:6379/7
# Run as root (as CI does) nginx's workers run as nobody: they read the static files as
# www-data would in production.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
database_url=${CI_TOPO_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ponton_topo}
redis_url=${CI_TOPO_REDIS_URL:-redis://127.0.0.1:6379/7}

if [ ! -x /usr/sbin/nginx ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi

work=$(mktemp -d)
chmod 0755 "$work"  # nginx's workers go through it to the static files
pids=()
status=1
teardown() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for log in "$work"/logs/*.log; do
      echo "----- ${log##*/}"
      tail -n 60 "$log"
    done
  fi
  rm -rf "$work"
  "$repo/.venv/bin/python" - "$database_url" <<'EOF' || true
import sys, psycopg
base, name = sys.argv[1].rsplit("/", 1)
with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
EOF
}
trap teardown EXIT
mkdir -p "$work/logs" "$work/tls" "$work/nginx" "$work/acme"

# A fresh database.
.venv/bin/python - "$database_url" <<'EOF'
import sys, psycopg
base, name = sys.argv[1].rsplit("/", 1)
with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
EOF

read -r app_a app_b http_port https_port < <(.venv/bin/python -c '
import socket
probes = [socket.socket() for _ in range(4)]
for probe in probes:
    probe.bind(("127.0.0.1", 0))
print(*(probe.getsockname()[1] for probe in probes))
')

# The environment of deploy/ponton.env.example, for this machine.
export DATABASE_URL=$database_url REDIS_URL=$redis_url
export PONTON_DATA_DIR=$work/data PONTON_STATIC_ROOT=$work/static
export SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
export PONTON_PRODUCTION=1 ALLOWED_HOSTS=127.0.0.1,localhost
export SITE_URL=https://127.0.0.1:$https_port PONTON_TRUSTED_PROXIES=127.0.0.1
export PYTHONUNBUFFERED=1

# The units' commands, with this checkout's virtualenv and the instance's port.
unit_commands() {  # FILE [INSTANCE]
  sed -n 's/^ExecStart=//p' "deploy/systemd/$1" \
    | sed -e "s#/opt/ponton/.venv/bin/#$repo/.venv/bin/#" -e "s#%i#${2:-}#g"
}
# The images run the same commands (no Docker here to build them: their texts are compared).
.venv/bin/python - <<'PY'
import json, re, yaml

def unit(name):
    with open(f"deploy/systemd/{name}") as file:
        lines = [line.removeprefix("ExecStart=").strip() for line in file if line.startswith("ExecStart=")]
    return [line.replace("/opt/ponton/.venv/bin/", "") for line in lines]

with open("deploy/compose.yaml") as file:
    compose = {name: " ".join(service.get("command", [])) for name, service in yaml.safe_load(file)["services"].items()}
with open("deploy/Containerfile") as file:
    containerfile = file.read()
image = " ".join(json.loads(re.findall(r"^CMD (\[.*\])$", containerfile, re.M)[-1]))
web = unit("ponton-web@.service")[0].replace("--host 127.0.0.1 --port %i", "--host 0.0.0.0 --port 8000")
migrate, collect = unit("ponton-migrate.service")
for what, runs, unit_runs in (
    ("the app image", image, web),
    ("compose's web", compose["web"], web),
    ("compose's worker", compose["worker"], unit("ponton-worker.service")[0]),
    ("compose's migrate", compose["migrate"], migrate),
):
    assert runs == unit_runs, f"{what} runs {runs!r}, the systemd unit {unit_runs!r}"
assert f"/opt/ponton/venv/bin/{collect}" in containerfile, f"the image does not run {collect!r}"
PY
while read -r -a command; do
  echo "+ ${command[*]}"
  "${command[@]}" >>"$work/logs/migrate.log" 2>&1 </dev/null
done < <(unit_commands ponton-migrate.service)
start() {  # NAME FILE [INSTANCE]
  local -a command
  read -r -a command < <(unit_commands "$2" "${3:-}")
  echo "+ ${command[*]} &"
  "${command[@]}" >"$work/logs/$1.log" 2>&1 &
  pids+=($!)
}
start web-a "ponton-web@.service" "$app_a"
start web-b "ponton-web@.service" "$app_b"
start worker ponton-worker.service

# nginx: a private instance (own prefix, pid and logs), in the foreground, on free ports,
# with a certificate made for the run.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
PONTON_SERVER_NAME=localhost \
PONTON_UPSTREAMS="127.0.0.1:$app_a 127.0.0.1:$app_b" \
PONTON_TLS_CERT=$work/tls/cert.pem PONTON_TLS_KEY=$work/tls/key.pem \
PONTON_HTTP_LISTEN=127.0.0.1:$http_port PONTON_HTTPS_LISTEN=127.0.0.1:$https_port \
PONTON_ACME_ROOT=$work/acme \
  deploy/nginx/render.sh >"$work/nginx/ponton.conf"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/logs/nginx-error.log;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log $work/logs/nginx-access.log;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/nginx/ponton.conf;
}
EOF
nginx_args=(-p "$work/nginx/" -e "$work/logs/nginx-error.log" -c "$work/nginx/nginx.conf")
/usr/sbin/nginx -t -q "${nginx_args[@]}"
/usr/sbin/nginx "${nginx_args[@]}" -g 'daemon off;' &
pids+=($!)

.venv/bin/python scripts/smoke_topology.py \
  --proxy "https://127.0.0.1:$https_port" --plain "http://127.0.0.1:$http_port" \
  --ca "$work/tls/cert.pem" --static-root "$work/static" \
  --app "http://127.0.0.1:$app_a" --app "http://127.0.0.1:$app_b"
# Every process is still up (none died under the smoke test).
for pid in "${pids[@]}"; do kill -0 "$pid"; done
grep -q "Worker started." "$work/logs/worker.log"
status=0
