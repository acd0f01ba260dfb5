#!/usr/bin/env bash
# Page-serving benchmark: `vigil serve` against nginx serving the very same pages as static files.
#
# It installs nothing. It needs:
#   wrk and nginx     Debian: apt-get install -y wrk nginx-light   (or: apt-get install -y wrk nginx)
#   curl
#   a release build   swift build -c release --product vigil       (default binary: .build/release/vigil)
#
# What it does: imports the CISA provider folder into a temporary database (unless --db is given), starts
# `vigil serve` on a free loopback port, saves the home page (/) and an advisory page (/advisories/ICSA-22-172-04)
# with curl, starts nginx on another loopback port serving those saved files (its own nginx.conf in the temporary
# folder, run as the current user, error log there too), then runs `wrk --latency` against both pages on both
# servers and prints requests/s, p99 latency, the Vigil/nginx throughput ratio, and the targets as met / not met.
# It asserts nothing. Every process it starts is stopped when it exits, however it exits.
#
# Usage: Benchmarks/serve-bench.sh [options]
#   --vigil PATH        the vigil binary                 (env VIGIL;       default <package>/.build/release/vigil)
#   --db PATH           serve this database, no import   (env VIGIL_DB_BENCH)
#   --corpus PATH       folder to import                 (env VIGIL_CORPUS; default <package>/../shared/data/providers/cisa)
#   --duration D        wrk duration per measurement     (env BENCH_DURATION; default 30s)
#   --threads N         wrk threads                      (env BENCH_THREADS; default 2)
#   --connections N     wrk connections                  (env BENCH_CONNECTIONS; default 64)
#   --advisory ID       the advisory page to measure     (default ICSA-22-172-04)
#   --keep              keep the temporary folder (pages, logs, raw wrk output) and say where it is
#
# The last line printed is a JSON summary for scripts.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PACKAGE_DIR=$(dirname "$SCRIPT_DIR")

VIGIL=${VIGIL:-$PACKAGE_DIR/.build/release/vigil}
DB=${VIGIL_DB_BENCH:-}
CORPUS=${VIGIL_CORPUS:-$PACKAGE_DIR/../shared/data/providers/cisa}
DURATION=${BENCH_DURATION:-30s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
ADVISORY=ICSA-22-172-04
KEEP=0

# Targets: Vigil serves at least this fraction of nginx's requests/s, with a p99 latency under this many ms.
TARGET_RATIO=0.5
TARGET_P99_MS=10

die() { echo "serve-bench: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --vigil) VIGIL=${2:?--vigil needs a path}; shift 2 ;;
    --db) DB=${2:?--db needs a path}; shift 2 ;;
    --corpus) CORPUS=${2:?--corpus needs a path}; shift 2 ;;
    --duration) DURATION=${2:?--duration needs a value such as 30s}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
    --advisory) ADVISORY=${2:?--advisory needs an ID}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

# --- what it needs ---------------------------------------------------------------------------------------------

command -v wrk >/dev/null || die "wrk is not installed (Debian: apt-get install -y wrk)"
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
[ -n "$NGINX" ] || die "nginx is not installed (Debian: apt-get install -y nginx-light, or nginx)"
command -v curl >/dev/null || die "curl is not installed (Debian: apt-get install -y curl)"
[ -x "$VIGIL" ] || die "no vigil binary at $VIGIL (build it: swift build -c release --product vigil, or pass --vigil PATH)"
"$VIGIL" serve --help >/dev/null 2>&1 || die "$VIGIL has no working 'serve' command"
if [ -n "$DB" ]; then
  [ -f "$DB" ] || die "the database $DB does not exist"
else
  [ -d "$CORPUS" ] || die "the corpus folder $CORPUS does not exist (pass --corpus PATH or --db PATH)"
  CORPUS=$(cd "$CORPUS" && pwd -P)
fi

# --- processes and cleanup -------------------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-serve-bench.XXXXXX")
VIGIL_PID=
NGINX_PID=
CHILD_PID=

stop() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  stop "$CHILD_PID"
  stop "$NGINX_PID"
  stop "$VIGIL_PID"
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits for it: unlike a foreground command, `wait` lets the INT/TERM traps
# run at once, and cleanup then stops the command too. Returns the command's exit status.
run() {
  "$@" &
  CHILD_PID=$!
  local status=0
  wait "$CHILD_PID" || status=$?
  CHILD_PID=
  return "$status"
}

# A loopback port nothing listens on (checked by trying to connect).
free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "found no free loopback port"
}

# Waits until a server answers on a URL, or its process dies.
wait_for() {
  local url=$1 pid=$2 log=$3 what=$4
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "serve-bench: $what exited before answering; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  die "$what did not answer $url within 30 s (log: $log)"
}

# --- the database ----------------------------------------------------------------------------------------------

if [ -z "$DB" ]; then
  DB=$WORK/vigil.sqlite
  echo "importing $CORPUS into a temporary database..."
  status=0
  run "$VIGIL" import --db "$DB" --quiet "$CORPUS" || status=$?
  # Status 1 means some files were rejected: the rest is imported and can be served.
  [ "$status" -le 1 ] || die "the import failed (exit status $status)"
fi

# --- vigil serve -----------------------------------------------------------------------------------------------

VIGIL_PORT=$(free_port)
"$VIGIL" serve --db "$DB" --host 127.0.0.1 --port "$VIGIL_PORT" >"$WORK/vigil-serve.log" 2>&1 &
VIGIL_PID=$!
wait_for "http://127.0.0.1:$VIGIL_PORT/" "$VIGIL_PID" "$WORK/vigil-serve.log" "vigil serve"

PAGES=("/" "/advisories/$ADVISORY")
mkdir -p "$WORK/www/advisories"
curl -fsS -o "$WORK/www/index.html" "http://127.0.0.1:$VIGIL_PORT/" || die "vigil serve did not return the home page"
curl -fsS -o "$WORK/www/advisories/$ADVISORY" "http://127.0.0.1:$VIGIL_PORT/advisories/$ADVISORY" \
  || die "vigil serve did not return /advisories/$ADVISORY (is the advisory in the database?)"

# --- nginx serving the saved pages -----------------------------------------------------------------------------

NGINX_PORT=$(free_port)
while [ "$NGINX_PORT" = "$VIGIL_PORT" ]; do NGINX_PORT=$(free_port); done
mkdir -p "$WORK/nginx/tmp"
USER_LINE=
# A master started as root hands its workers to "nobody", who cannot read the private temporary folder.
[ "$(id -u)" = 0 ] && USER_LINE="user $(id -un) $(id -gn);"
cat >"$WORK/nginx.conf" <<EOF
$USER_LINE
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/html;
  charset utf-8;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  # Keep connections open as long as wrk wants them (nginx's default closes one after 1,000 requests).
  keepalive_requests 10000000;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    index index.html;
  }
}
EOF
"$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" >"$WORK/nginx-stdout.log" 2>&1 &
NGINX_PID=$!
wait_for "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID" "$WORK/nginx-error.log" "nginx"

for page in "${PAGES[@]}"; do
  vigil_size=$(curl -fsS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$VIGIL_PORT$page")
  nginx_size=$(curl -fsS -o /dev/null -w '%{size_download}' "http://127.0.0.1:$NGINX_PORT$page")
  [ "$nginx_size" = "$vigil_size" ] || die "nginx serves $page as $nginx_size bytes, vigil as $vigil_size: not the same page"
  echo "page $page: $vigil_size bytes"
done

# --- measurements ----------------------------------------------------------------------------------------------

# wrk prints latencies as 850.00us, 1.23ms or 1.02s; this gives milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
    printf "%.3f", n }'
}

declare -A RPS P99 ERRORS
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, per page and server (each after a 2 s warm-up); $(nproc) cores shared by wrk and the server"
for page in "${PAGES[@]}"; do
  for server in vigil nginx; do
    port=$VIGIL_PORT; [ "$server" = nginx ] && port=$NGINX_PORT
    url="http://127.0.0.1:$port$page"
    run wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null
    out="$WORK/wrk-$server-$(echo "$page" | tr '/' '_').txt"
    run wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out"
    key="$server $page"
    RPS[$key]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    P99[$key]=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
    ERRORS[$key]=$errors
    printf '  %-7s %-32s %12s req/s   p99 %9s ms%s\n' "$server" "$page" "${RPS[$key]}" "${P99[$key]}" \
      "$([ "$errors" != 0 ] && echo "   ($errors errors)")"
  done
done

# --- report ----------------------------------------------------------------------------------------------------

met() { if [ "$1" = 1 ]; then echo "met"; else echo "not met"; fi; }
echo
echo "targets (Vigil at least ${TARGET_RATIO} of nginx's requests/s; Vigil p99 under ${TARGET_P99_MS} ms)"
json="{\"duration\":\"$DURATION\",\"threads\":$THREADS,\"connections\":$CONNECTIONS,\"cores\":$(nproc)"
for page in "${PAGES[@]}"; do
  v="vigil $page"; n="nginx $page"
  ratio=$(awk -v a="${RPS[$v]}" -v b="${RPS[$n]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
  ratio_met=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')
  p99_met=$(awk -v p="${P99[$v]}" -v t="$TARGET_P99_MS" 'BEGIN { print (p < t) ? 1 : 0 }')
  [ "${ERRORS[$v]}" = 0 ] || { ratio_met=0; p99_met=0; }
  printf '  %-32s throughput vigil/nginx %6sx   %-8s p99 %9s ms   %s\n' "$page" "$ratio" "$(met "$ratio_met")" \
    "${P99[$v]}" "$(met "$p99_met")"
  name=$([ "$page" = "/" ] && echo home || echo advisory)
  json+=",\"${name}_vigil_rps\":${RPS[$v]},\"${name}_nginx_rps\":${RPS[$n]},\"${name}_ratio\":$ratio"
  json+=",\"${name}_vigil_p99_ms\":${P99[$v]},\"${name}_nginx_p99_ms\":${P99[$n]}"
  json+=",\"${name}_vigil_errors\":${ERRORS[$v]},\"${name}_nginx_errors\":${ERRORS[$n]}"
  json+=",\"${name}_ratio_met\":$([ "$ratio_met" = 1 ] && echo true || echo false)"
  json+=",\"${name}_p99_met\":$([ "$p99_met" = 1 ] && echo true || echo false)"
done
echo
echo "$json}"
