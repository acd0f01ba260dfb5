#!/usr/bin/env bash
# Makes the README's screenshots: imports the CISA folder into a temporary database, serves it, and has headless
# Chromium photograph the advisory page, the list and the exposure dashboard (for the test fixture inventory). Usage: scripts/screenshot.sh [output-folder]
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
