#!/usr/bin/env bash
# Resource-exhaustion figures (issue 13, finding 3): what slow, idle and oversized clients can hold of `vigil serve`.
#
# It installs nothing. It needs python3 and curl, and a vigil binary (debug or release build).
#
# What it does: starts `vigil serve --import CORPUS` on a temporary database (the CISA provider folder by default) on a
# free loopback port, then Benchmarks/hardening.py measures, against it:
#   - 100 idle sockets, 100 slowloris clients (a header byte every 0.5 s) and 50 kept-alive connections: when each is
#     closed, against the header and idle timeouts, while `/` is requested every 250 ms (latency, target under 100 ms);
#   - the server's RSS (/proc/PID/status) after 2,048 requests for one advisory with distinct ?x=N, and after 2,048
#     distinct list searches;
#   - its RSS during and after 150 concurrent unauthenticated POST /login with 2 MB bodies (declared, then chunked),
#     and with 150 bodies of 60 KiB held open (target: under 300 MB throughout);
#   - a second server on the same database started under `ulimit -n 256`: /healthz with 300 idle sockets open;
#   - 40 wrong passwords for one account at once (401s are password checks, 429s were refused before any);
#   - Schemathesis against /api/v1/openapi.json (pip install schemathesis): cases run and failures.
# Every loop is bounded in count and time; the whole run takes about a minute plus the import. It asserts nothing.
# Every process it starts is stopped when it exits, however it exits.
#
# Usage: Benchmarks/hardening.sh [VIGIL_BINARY] [options]
#   VIGIL_BINARY           the vigil binary        (env VIGIL; default <package>/.build/debug/vigil)
#   --corpus PATH          folder to import        (env VIGIL_CORPUS; default <package>/../shared/data/providers/cisa)
#   --db PATH              serve this database instead of importing (it is not modified beyond what serve does)
#   --header-timeout D     passed to vigil serve   (default 10s, the server's default)
#   --idle-timeout D       passed to vigil serve   (default 20s, to keep the run short; the server's default is 60s)
#   --keep                 keep the temporary folder (server logs) and say where it is
#
# The last line printed is a JSON summary for scripts.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PACKAGE_DIR=$(dirname "$SCRIPT_DIR")

VIGIL=${VIGIL:-$PACKAGE_DIR/.build/debug/vigil}
CORPUS=${VIGIL_CORPUS:-$PACKAGE_DIR/../shared/data/providers/cisa}
DB=
HEADER_TIMEOUT=10s
IDLE_TIMEOUT=20s
KEEP=0

die() { echo "hardening: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS=${2:?--corpus needs a path}; shift 2 ;;
    --db) DB=${2:?--db needs a path}; shift 2 ;;
    --header-timeout) HEADER_TIMEOUT=${2:?--header-timeout needs a duration}; shift 2 ;;
    --idle-timeout) IDLE_TIMEOUT=${2:?--idle-timeout needs a duration}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown argument $1 (see --help)" ;;
    *) VIGIL=$1; shift ;;
  esac
done

command -v python3 >/dev/null || die "python3 is not installed"
command -v curl >/dev/null || die "curl is not installed"
[ -x "$VIGIL" ] || die "no vigil binary at $VIGIL (build it: swift build --product vigil, or pass its path)"
[ -d /proc/self ] || die "needs /proc to read the server's memory (Linux)"
if [ -z "$DB" ]; then
  [ -d "$CORPUS" ] || die "the corpus folder $CORPUS does not exist (pass --corpus PATH or --db PATH)"
fi

seconds() {
  case "$1" in
    *ms) awk -v ms="${1%ms}" 'BEGIN { print ms / 1000 }' ;;
    *s) echo "${1%s}" ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *) echo "$1" ;;
  esac
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-hardening.XXXXXX")
VIGIL_PID=
LIMITED_PID=
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
  stop "$LIMITED_PID"
  stop "$VIGIL_PID"
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "found no free loopback port"
}

# Waits until a server answers /healthz, or its process dies (the import before serving can take minutes).
wait_for() {
  local port=$1 pid=$2 log=$3 what=$4
  for _ in $(seq 6000); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "hardening: $what exited before answering; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  die "$what did not answer within 10 minutes (log: $log)"
}

IMPORT=()
if [ -z "$DB" ]; then
  DB=$WORK/vigil.sqlite
  IMPORT=(--import "$(cd "$CORPUS" && pwd -P)")
  echo "vigil serve --import $CORPUS (the import runs before serving)..."
fi

PORT=$(free_port)
"$VIGIL" serve --db "$DB" --host 127.0.0.1 --port "$PORT" --no-sync "${IMPORT[@]}" \
  --header-timeout "$HEADER_TIMEOUT" --idle-timeout "$IDLE_TIMEOUT" >"$WORK/vigil-serve.log" 2>&1 &
VIGIL_PID=$!
started=$(date +%s)
wait_for "$PORT" "$VIGIL_PID" "$WORK/vigil-serve.log" "vigil serve"
echo "serving on 127.0.0.1:$PORT after $(( $(date +%s) - started )) s ($VIGIL)"

# The same database under a 256-file limit: the connection limit must fit the descriptors the process may open.
LIMITED_PORT=$(free_port)
while [ "$LIMITED_PORT" = "$PORT" ]; do LIMITED_PORT=$(free_port); done
bash -c 'ulimit -n 256 && exec "$@"' limited "$VIGIL" serve --db "$DB" --host 127.0.0.1 --port "$LIMITED_PORT" --no-sync \
  >"$WORK/vigil-limited.log" 2>&1 &
LIMITED_PID=$!
wait_for "$LIMITED_PORT" "$LIMITED_PID" "$WORK/vigil-limited.log" "vigil serve under ulimit -n 256"
grep -h "connections are served at once" "$WORK/vigil-limited.log" | sed 's/^/ulimit -n 256 server says: /' || true

# An account for the sign-in throttle figure (a throwaway password, in this temporary database only).
LOGIN=bench-$RANDOM@vigil.example
echo "a throwaway password for the throttle figure" | "$VIGIL" users add "$LOGIN" --org Bench --db "$DB" --password-stdin >/dev/null

python3 "$SCRIPT_DIR/hardening.py" --port "$PORT" --pid "$VIGIL_PID" --limited-port "$LIMITED_PORT" --login-email "$LOGIN" \
  --header-timeout "$(seconds "$HEADER_TIMEOUT")" --idle-timeout "$(seconds "$IDLE_TIMEOUT")" &
CHILD_PID=$!
status=0
wait "$CHILD_PID" || status=$?
CHILD_PID=

errors=$(grep -c " error " "$WORK/vigil-serve.log" || true)
echo "error lines in the server log: $errors"
exit "$status"
