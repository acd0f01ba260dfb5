#!/usr/bin/env bash
# SQLite and PostgreSQL side by side: import of the CISA corpus, search latency (1,000 queries) and advisory-page
# throughput under load (wrk, 64 connections, 30 s), each measured on both stores in one run.
#
# It installs nothing. It needs:
#   PostgreSQL 15's server programs (initdb, postgres)   Debian: apt-get install -y postgresql
#   wrk and curl                                        Debian: apt-get install -y wrk curl
#   release builds       swift build -c release --product vigil        (default binary: .build/release/vigil)
#                        swift build -c release --product vigil-bench  (default binary: .build/release/vigil-bench)
#
# What it does: starts a throwaway PostgreSQL cluster (initdb into a temporary folder, the server on a free loopback
# port, as the postgres user when run as root), imports the corpus into a new SQLite file and into a new PostgreSQL
# database with `vigil-bench import-run` (the same steps as `vigil import`), the two taking turns --import-runs times
# (default 3) and each store's best run reported, runs `vigil-bench search` on each, then
# serves each store with `vigil serve` and runs wrk against advisory pages: one page, and every advisory in turn
# (a Lua script walks the IDs, so most requests render a page the cache has not seen yet). Prints both columns, the
# PostgreSQL/SQLite ratios and the targets (PostgreSQL within 2x of SQLite on import and page throughput, search p99
# under 20 ms on both). It asserts nothing. Everything it starts is stopped when it exits, however it exits.
#
# Usage: Benchmarks/backends-bench.sh [--vigil PATH] [--vigil-bench PATH] [--corpus PATH] [--duration 30s] [--connections 64] [--import-runs 3] [--keep]
# The last line printed is a JSON summary for scripts.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PACKAGE_DIR=$(dirname "$SCRIPT_DIR")
VIGIL=${VIGIL:-$PACKAGE_DIR/.build/release/vigil}
VIGIL_BENCH=${VIGIL_BENCH:-$PACKAGE_DIR/.build/release/vigil-bench}
CORPUS=${VIGIL_CORPUS:-$PACKAGE_DIR/../shared/data/providers/cisa}
DURATION=${BENCH_DURATION:-30s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ADVISORY=ICSA-22-172-04
KEEP=0
IMPORT_RUNS=${BENCH_IMPORT_RUNS:-3}

die() { echo "backends-bench: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --vigil) VIGIL=${2:?}; shift 2 ;;
    --vigil-bench) VIGIL_BENCH=${2:?}; shift 2 ;;
    --corpus) CORPUS=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --connections) CONNECTIONS=${2:?}; shift 2 ;;
    --import-runs) IMPORT_RUNS=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

pg_bin() {
  command -v "$1" 2>/dev/null && return 0
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1)
  [ -n "$found" ] && echo "$found" && return 0
  die "$1 not found (Debian: apt-get install -y postgresql)"
}
INITDB=$(pg_bin initdb)
POSTGRES=$(pg_bin postgres)
CREATEDB=$(pg_bin createdb)
DROPDB=$(pg_bin dropdb)
command -v wrk >/dev/null || die "wrk is not installed (Debian: apt-get install -y wrk)"
command -v curl >/dev/null || die "curl is not installed"
command -v python3 >/dev/null || die "python3 is needed to read the JSON figures"
[ -x "$VIGIL" ] || die "no vigil binary at $VIGIL (swift build -c release --product vigil, or --vigil PATH)"
[ -x "$VIGIL_BENCH" ] || die "no vigil-bench binary at $VIGIL_BENCH (swift build -c release --product vigil-bench, or --vigil-bench PATH)"
[ -d "$CORPUS" ] || die "the corpus folder $CORPUS does not exist"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-backends-bench.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
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

# --- the throwaway PostgreSQL cluster ----------------------------------------------------------------------------

AS=()
if [ "$(id -u)" = 0 ]; then AS=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
mkdir -p "$WORK/pg"
PASSWORD=bench-$RANDOM$RANDOM
echo "$PASSWORD" >"$WORK/pg/password"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK/pg"
"${AS[@]}" "$INITDB" -D "$WORK/pg/data" -U vigil --pwfile "$WORK/pg/password" --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-instructions >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
PG_PORT=$(free_port)
# Durable settings (fsync on), as a production server runs: the comparison is with SQLite's WAL, synchronous=NORMAL.
"${AS[@]}" "$POSTGRES" -D "$WORK/pg/data" -p "$PG_PORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 \
  -c shared_buffers=256MB -c max_connections=200 -c synchronous_commit=on >"$WORK/postgres.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do grep -q "ready to accept connections" "$WORK/postgres.log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready to accept connections" "$WORK/postgres.log" || { cat "$WORK/postgres.log" >&2; die "PostgreSQL did not start"; }
"${AS[@]}" "$CREATEDB" -h "$WORK/pg" -p "$PG_PORT" -U vigil vigil_bench
PG_URL="postgres://vigil:$PASSWORD@127.0.0.1:$PG_PORT/vigil_bench?sslmode=disable"
SQLITE_DB=$WORK/bench.sqlite

json_field() { python3 -c "import json,sys; print(json.loads(sys.stdin.readlines()[-1])['$1'])"; }

# --- import ------------------------------------------------------------------------------------------------------

# The stores take turns, each run into a fresh database, so that both see the same spells of load; the report uses
# each store's best run and prints every pair. The last run's databases are kept for the searches and pages below.
for run in $(seq "$IMPORT_RUNS"); do
  rm -f "$SQLITE_DB" "$SQLITE_DB"-wal "$SQLITE_DB"-shm
  echo "import run $run of $IMPORT_RUNS: SQLite..." >&2
  "$VIGIL_BENCH" import-run --corpus "$CORPUS" --db "$SQLITE_DB" >"$WORK/import-sqlite-$run.json"
  echo "import run $run of $IMPORT_RUNS: PostgreSQL..." >&2
  if [ "$run" -gt 1 ]; then
    "${AS[@]}" "$DROPDB" -h "$WORK/pg" -p "$PG_PORT" -U vigil vigil_bench
    "${AS[@]}" "$CREATEDB" -h "$WORK/pg" -p "$PG_PORT" -U vigil vigil_bench
  fi
  "$VIGIL_BENCH" import-run --corpus "$CORPUS" --db "$PG_URL" >"$WORK/import-postgres-$run.json"
done
DOCS=$(json_field documents <"$WORK/import-sqlite-1.json")
DOCS_PG=$(json_field documents <"$WORK/import-postgres-1.json")
[ "$DOCS" = "$DOCS_PG" ] || die "the stores imported different numbers of documents: SQLite $DOCS, PostgreSQL $DOCS_PG"

# --- search ------------------------------------------------------------------------------------------------------

echo "searching..." >&2
"$VIGIL_BENCH" search --db "$SQLITE_DB" --json >"$WORK/search-sqlite.json"
"$VIGIL_BENCH" search --db "$PG_URL" --json >"$WORK/search-postgres.json"

# --- pages under load --------------------------------------------------------------------------------------------

IDS=$(python3 - "$SQLITE_DB" <<'EOF'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT id FROM advisories ORDER BY id").fetchall()
print(",".join('"%s"' % r[0] for r in rows))
EOF
)
cat >"$WORK/walk.lua" <<EOF
local ids = { $IDS }
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/advisories/" .. ids[(n % #ids) + 1])
end
EOF

serve_and_load() {
  local name=$1 db=$2 port
  port=$(free_port)
  "$VIGIL" serve --db "$db" --host 127.0.0.1 --port "$port" --no-sync --log-level error >"$WORK/serve-$name.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/advisories/$ADVISORY" || die "$name: /advisories/$ADVISORY did not load"
  echo "wrk $name: one page..." >&2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/advisories/$ADVISORY" >"$WORK/wrk-$name-one.txt"
  echo "wrk $name: every advisory in turn..." >&2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/walk.lua" "http://127.0.0.1:$port/" >"$WORK/wrk-$name-walk.txt"
  kill "$pid" 2>/dev/null || true
}
serve_and_load sqlite "$SQLITE_DB"
serve_and_load postgres "$PG_URL"

# --- report ------------------------------------------------------------------------------------------------------

python3 - "$WORK" "$DOCS" "$IMPORT_RUNS" <<'EOF'
import json, re, sys
work, docs, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def last_json(path): return json.loads(open(path).read().strip().splitlines()[-1])
def wrk(path):
    text = open(path).read()
    rps = float(re.search(r'Requests/sec:\s+([0-9.]+)', text).group(1))
    m = re.search(r'99%\s+([0-9.]+)(us|ms|s)', text)
    p99 = float(m.group(1)) * {'us': 0.001, 'ms': 1, 's': 1000}[m.group(2)]
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    return rps, p99, int(errors.group(1)) if errors else 0
runs_of = {b: [last_json(f"{work}/import-{b}-{r}.json") for r in range(1, runs + 1)] for b in ("sqlite", "postgres")}
imp = {b: min(runs_of[b], key=lambda f: f["seconds"]) for b in runs_of}
for r in range(runs):
    s, p = runs_of["sqlite"][r], runs_of["postgres"][r]
    print("import run %d: SQLite %.2f s (CPU %.2f s), PostgreSQL %.2f s (CPU %.2f s, store busy %.2f s): %.2fx" % (
        r + 1, s["seconds"], s["cpu_seconds"], p["seconds"], p["cpu_seconds"], p.get("store_seconds", 0), p["seconds"] / s["seconds"]))
srch = {b: last_json(f"{work}/search-{b}.json") for b in ("sqlite", "postgres")}
one = {b: wrk(f"{work}/wrk-{b}-one.txt") for b in ("sqlite", "postgres")}
walk = {b: wrk(f"{work}/wrk-{b}-walk.txt") for b in ("sqlite", "postgres")}
rows = [
    ("import, seconds", imp["sqlite"]["seconds"], imp["postgres"]["seconds"], "%.1f"),
    ("import, documents/s", docs / imp["sqlite"]["seconds"], docs / imp["postgres"]["seconds"], "%.0f"),
    ("search p50, ms", srch["sqlite"]["p50ms"], srch["postgres"]["p50ms"], "%.2f"),
    ("search p99, ms", srch["sqlite"]["p99ms"], srch["postgres"]["p99ms"], "%.2f"),
    ("one page, requests/s", one["sqlite"][0], one["postgres"][0], "%.0f"),
    ("one page, p99 ms", one["sqlite"][1], one["postgres"][1], "%.2f"),
    ("every page, requests/s", walk["sqlite"][0], walk["postgres"][0], "%.0f"),
    ("every page, p99 ms", walk["sqlite"][1], walk["postgres"][1], "%.2f"),
]
print(f"{docs} documents imported into each store; import figures are each store's best of {runs} runs")
print("%-24s %12s %12s %10s" % ("", "SQLite", "PostgreSQL", "PG/SQLite"))
for name, a, b, fmt in rows:
    print("%-24s %12s %12s %10s" % (name, fmt % a, fmt % b, "%.2f" % (b / a if a else 0)))
import_ratio = imp["postgres"]["seconds"] / imp["sqlite"]["seconds"]
page_ratio = walk["postgres"][0] / walk["sqlite"][0]
one_ratio = one["postgres"][0] / one["sqlite"][0]
print("targets: PostgreSQL import within 2x of SQLite: %s (%.2fx); page throughput within 2x: %s (every page %.2fx, one page %.2fx); "
      "search p99 under 20 ms: SQLite %s, PostgreSQL %s" % (
      "met" if import_ratio <= 2 else "NOT met", import_ratio,
      "met" if page_ratio >= 0.5 and one_ratio >= 0.5 else "NOT met", page_ratio, one_ratio,
      "met" if srch["sqlite"]["p99ms"] < 20 else "NOT met", "met" if srch["postgres"]["p99ms"] < 20 else "NOT met"))
errors = {b: one[b][2] + walk[b][2] for b in one}
if any(errors.values()): print("non-2xx responses:", errors)
print(json.dumps({"documents": docs, "import_seconds": {b: imp[b]["seconds"] for b in imp},
                  "search_p50_ms": {b: srch[b]["p50ms"] for b in srch}, "search_p99_ms": {b: srch[b]["p99ms"] for b in srch},
                  "one_page_rps": {b: one[b][0] for b in one}, "every_page_rps": {b: walk[b][0] for b in walk},
                  "every_page_p99_ms": {b: walk[b][1] for b in walk}}, sort_keys=True))
EOF
