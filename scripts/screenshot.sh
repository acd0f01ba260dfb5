#!/usr/bin/env bash
# Makes the README's screenshots: imports the CISA folder into a temporary database, serves it, and has headless
# Chromium photograph the advisory page, the list, the exposure dashboard (for the test fixture inventory) and the alert log. Usage: scripts/screenshot.sh [output-folder]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images}
mkdir -p "$out"
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 1; }
swift build -c release --product vigil >/dev/null
vigil=.build/release/vigil
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$vigil" import --quiet --db "$work/vigil.sqlite" ../shared/data/providers/cisa
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$vigil" assets import --db "$work/vigil.sqlite" --org "Hamburg Works" Tests/MatchingTests/Fixtures/plant-inventory.csv >/dev/null
# The alert log: watches, then three advisories as if published today (history alerts nobody), worked a little.
"$vigil" watch add --db "$work/vigil.sqlite" --org "Hamburg Works" --vendor "Phoenix Contact" >/dev/null
"$vigil" watch add --db "$work/vigil.sqlite" --org "Hamburg Works" --min-cvss 9.0 >/dev/null
"$vigil" watch add --db "$work/vigil.sqlite" --org "Hamburg Works" --assets >/dev/null
python3 - "$work/fresh" ../shared/data/providers/cisa/csaf_files/OT/white/2022/icsa-22-172-04.json \
  ../shared/data/providers/cisa/csaf_files/OT/white/2024/icsa-24-193-05.json \
  ../shared/data/providers/cisa/csaf_files/OT/white/2023/icsa-23-143-03.json <<'PY'
import datetime, json, os, sys
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
for path in sys.argv[2:]:
    if not os.path.exists(path): continue
    doc = json.load(open(path))
    tracking = doc["document"]["tracking"]
    tracking["initial_release_date"] = tracking["current_release_date"] = now
    tracking["id"] = tracking["id"] + "-DEMO"
    json.dump(doc, open(os.path.join(out, os.path.basename(path)), "w"))
PY
"$vigil" import --quiet --db "$work/vigil.sqlite" "$work/fresh" || true
"$vigil" alerts update 1 --db "$work/vigil.sqlite" --org "Hamburg Works" --status investigating --owner "J. Meyer" --due "$(date -u -d '+7 days' +%F)" --note "Checking line 2 PLCs" >/dev/null || true
"$vigil" serve --db "$work/vigil.sqlite" --org "Hamburg Works" --no-sync --port "$port" --log-level warning &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
shoot() {
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/chromium" \
    --window-size="$2" --screenshot="$out/$3" "http://127.0.0.1:$port$1" 2>/dev/null
  echo "wrote $out/$3"
}
shoot /advisories/ICSA-22-172-04 1200,1500 advisory-page.png
shoot / 1200,900 advisory-list.png
shoot /exposures 1200,1400 exposures.png
shoot /alerts 1200,800 alerts.png
