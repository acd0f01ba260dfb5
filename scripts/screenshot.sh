#!/usr/bin/env bash
# Makes the README's screenshots from the current build and the offline sample (sample/): imports it into a temporary
# database, serves it, and has headless Chromium photograph the advisory page, the list, the exposure dashboard (for
# the test fixture inventory) and the alert log. Beside each NAME.png it writes NAME.txt, the page's visible text
# (scripts/page_text.py); the test suite renders the same pages and fails when their text differs from
# docs/images/*.txt, so a change to a page that a screenshot shows means running this script again.
#
#   scripts/screenshot.sh [--text-only] [OUTPUT_FOLDER]     default docs/images
#   VIGIL=.build/debug/vigil scripts/screenshot.sh …        use that binary (default: build the release one)
set -euo pipefail
cd "$(dirname "$0")/.."
text_only=0
if [ "${1:-}" = --text-only ]; then text_only=1; shift; fi
out=${1:-docs/images}
mkdir -p "$out"
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install chromium; scripts/test does)" >&2; exit 1; }
if [ -z "${VIGIL:-}" ]; then
  swift build -c release --product vigil >/dev/null
  VIGIL=.build/release/vigil
fi
vigil=$VIGIL
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
db=$work/vigil.sqlite
"$vigil" import --quiet --db "$db" sample >/dev/null 2>&1 || true   # the integrity examples are rejected on purpose
"$vigil" assets import --db "$db" --org "Hamburg Works" Tests/MatchingTests/Fixtures/plant-inventory.csv >/dev/null
# The alert log: watches, then three advisories as if published today (history alerts nobody), worked a little.
"$vigil" watch add --db "$db" --org "Hamburg Works" --vendor "Phoenix Contact" >/dev/null
"$vigil" watch add --db "$db" --org "Hamburg Works" --min-cvss 9.0 >/dev/null
"$vigil" watch add --db "$db" --org "Hamburg Works" --assets >/dev/null
python3 - "$work/fresh" sample/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json \
  sample/cisa/csaf_files/OT/white/2024/icsa-24-284-16.json \
  sample/cisa/csaf_files/OT/white/2023/icsa-23-208-03.json <<'PY'
import datetime, json, os, sys
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
for path in sys.argv[2:]:
    doc = json.load(open(path))
    tracking = doc["document"]["tracking"]
    tracking["initial_release_date"] = tracking["current_release_date"] = now
    tracking["id"] = tracking["id"] + "-DEMO"
    json.dump(doc, open(os.path.join(out, os.path.basename(path)), "w"))
PY
"$vigil" import --quiet --db "$db" "$work/fresh" >/dev/null
"$vigil" alerts update 1 --db "$db" --org "Hamburg Works" --status investigating --owner "J. Meyer" --due "$(date -u -d '+7 days' +%F)" --note "Checking line 2 PLCs" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$vigil" serve --db "$db" --org "Hamburg Works" --no-sync --port "$port" --log-level warning &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
chromium_flags=(--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars
  --user-data-dir="$work/chromium")
shoot() {
  local path=$1 size=$2 name=$3
  chromium "${chromium_flags[@]}" --dump-dom "http://127.0.0.1:$port$path" 2>/dev/null | python3 scripts/page_text.py >"$out/$name.txt"
  [ -s "$out/$name.txt" ] || { echo "no text from $path" >&2; exit 1; }
  if [ "$text_only" = 0 ]; then
    chromium "${chromium_flags[@]}" --window-size="$size" --screenshot="$out/$name.png" "http://127.0.0.1:$port$path" 2>/dev/null
    echo "wrote $out/$name.png and $name.txt"
  fi
}
shoot /advisories/ICSA-22-172-04 1200,1500 advisory-page
shoot / 1200,900 advisory-list
shoot /exposures 1200,1400 exposures
shoot /alerts 1200,800 alerts
