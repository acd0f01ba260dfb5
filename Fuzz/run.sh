#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/Targets and runs each for a bounded time.
#
#   bash Fuzz/run.sh [SECONDS_PER_TARGET]      default 45 (CI); `bash Fuzz/run.sh 3600` for a long run
#   FUZZ_TARGETS="json csaf" bash Fuzz/run.sh   run only these targets
#   FUZZ_BUILD_ONLY=1 bash Fuzz/run.sh          build, do not run
#
# Targets: json csaf versions csv cyclonedx smtp openpgp (see Fuzz/README.md). Each target's modules are compiled
# straight from Sources/ with swiftc -sanitize=fuzzer,address (no SwiftPM), except swift-crypto, which the OpenPGP
# target links from the SwiftPM debug build (.build/debug): run `swift build` or `swift test` first (CI does).
# Everything goes to Fuzz/.build-fuzz/: mods/ (modules), bin/, corpus/<target>/ (seeds plus what the fuzzer found;
# kept between runs), artifacts/<target>/ (crashing inputs), logs/<target>.log.
# Exits non-zero when a target crashes, leaks, times out on one input or runs out of memory, printing the input.
set -euo pipefail
cd "$(dirname "$0")/.."

per_target=${1:-45}
targets=(${FUZZ_TARGETS:-json csaf versions csv cyclonedx smtp openpgp})
out=Fuzz/.build-fuzz
mods=$out/mods
mkdir -p "$mods" "$out/bin" "$out/logs"

swift_flags=(-parse-as-library -O -g -sanitize=fuzzer,address -swift-version 6 -I "$mods")
spm=.build/debug
crypto_flags=(-I "$spm/Modules"
  -Xcc "-fmodule-map-file=.build/checkouts/swift-crypto/Sources/CCryptoBoringSSL/include/module.modulemap"
  -Xcc "-I" -Xcc ".build/checkouts/swift-crypto/Sources/CCryptoBoringSSL/include"
  -Xcc "-fmodule-map-file=.build/checkouts/swift-crypto/Sources/CCryptoBoringSSLShims/include/module.modulemap"
  -Xcc "-I" -Xcc ".build/checkouts/swift-crypto/Sources/CCryptoBoringSSLShims/include")

# True when $1 is missing or older than any of the other files.
stale() {
  local product=$1; shift
  [ -e "$product" ] || return 0
  local file
  for file in "$@"; do [ "$file" -nt "$product" ] && return 0; done
  return 1
}

# build_module NAME [swiftc flags...] -- SOURCES...
build_module() {
  local name=$1; shift
  local extra=()
  while [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  if stale "$mods/$name.o" "$@" "$0"; then
    echo "fuzz: compiling module $name ($# files)"
    swiftc -module-name "$name" -wmo -suppress-warnings "${swift_flags[@]}" "${extra[@]}" -emit-module \
      -emit-module-path "$mods/$name.swiftmodule" -c "$@" -o "$mods/$name.o"
    # swiftc leaves an output whose content did not change untouched: mark it current, or it stays stale.
    touch "$mods/$name.o"
  fi
}

# swift-crypto and what it needs, from the SwiftPM debug build, in one archive (object names hold spaces).
build_crypto_archive() {
  if [ ! -e "$spm/Modules/Crypto.swiftmodule" ] || [ ! -e "$spm/Modules/_CryptoExtras.swiftmodule" ]; then
    echo "fuzz: no SwiftPM debug build of swift-crypto; building the OpenPGP target with swift build"
    swift build --target OpenPGP
  fi
  local stamp=$spm/Modules/Crypto.swiftmodule
  if stale "$out/cryptodeps.a" "$stamp" "$spm/Modules/_CryptoExtras.swiftmodule"; then
    echo "fuzz: archiving swift-crypto objects from $spm"
    rm -rf "$out/cryptodeps" "$out/cryptodeps.a"
    mkdir -p "$out/cryptodeps"
    local i=0 object
    while IFS= read -r object; do
      i=$((i + 1))
      cp "$object" "$out/cryptodeps/$i.o"
    done < <(find -L "$spm/Crypto.build" "$spm/_CryptoExtras.build" "$spm/CryptoBoringWrapper.build" \
               "$spm/CCryptoBoringSSL.build" "$spm/CCryptoBoringSSLShims.build" "$spm/SwiftASN1.build" \
               -name '*.o' ! -name '*.swiftmodule.o')
    ar qc "$out/cryptodeps.a" "$out"/cryptodeps/*.o
    ranlib "$out/cryptodeps.a"
    rm -rf "$out/cryptodeps"
  fi
}

# link_target NAME SOURCE [objects and flags...]
link_target() {
  local name=$1 source=$2; shift 2
  local inputs=()
  local arg
  for arg in "$@"; do [ -f "$arg" ] && inputs+=("$arg"); done
  if stale "$out/bin/$name" "$source" "${inputs[@]}"; then
    echo "fuzz: linking $name"
    # ld.gold warns about every ASan assembly helper ("Cannot export local symbol"): not ours, not useful.
    swiftc "${swift_flags[@]}" "$source" "$@" -o "$out/bin/$name" 2> >(grep -v "Cannot export local symbol" >&2)
  fi
}

wants() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
# A target's Swift files, in its subfolders too (Sources/CSAF/Conformance/), in a stable order.
sources_of() { find "Sources/$1" -name '*.swift' | LC_ALL=C sort; }

build_start=$(date +%s)
if wants json || wants csaf || wants csv || wants cyclonedx; then
  build_module CSAF -- $(sources_of CSAF)
fi
if wants versions || wants csv || wants cyclonedx; then
  build_module Versions -- $(sources_of Versions)
fi
if wants csv || wants cyclonedx; then
  build_module Matching -- $(sources_of Matching)
fi
if wants smtp; then
  # Only the Foundation-only part of Alerts: the SMTP state machine and the types it names (no NIO, no Store).
  build_module Alerts -- Sources/Alerts/SMTPClientStateMachine.swift Sources/Alerts/SMTPConfiguration.swift \
    Sources/Alerts/MailMessage.swift
fi
if wants openpgp; then
  build_crypto_archive
  build_module OpenPGP "${crypto_flags[@]}" -- $(sources_of OpenPGP)
fi

wants json && link_target json Fuzz/Targets/JSONFuzz.swift "$mods/CSAF.o"
wants csaf && link_target csaf Fuzz/Targets/CSAFFuzz.swift "$mods/CSAF.o"
wants versions && link_target versions Fuzz/Targets/VersionsFuzz.swift "$mods/Versions.o"
wants csv && link_target csv Fuzz/Targets/CSVFuzz.swift "$mods/Matching.o" "$mods/CSAF.o" "$mods/Versions.o"
wants cyclonedx && link_target cyclonedx Fuzz/Targets/CycloneDXFuzz.swift "$mods/Matching.o" "$mods/CSAF.o" "$mods/Versions.o"
wants smtp && link_target smtp Fuzz/Targets/SMTPFuzz.swift "$mods/Alerts.o"
wants openpgp && link_target openpgp Fuzz/Targets/OpenPGPFuzz.swift "${crypto_flags[@]}" "$mods/OpenPGP.o" "$out/cryptodeps.a"
echo "fuzz: build took $(( $(date +%s) - build_start )) s"

[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

# The longest input each target tries: a little over its largest seed.
max_len() {
  case $1 in
    csaf|cyclonedx) echo 16384 ;;
    openpgp) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  corpus=$out/corpus/$target
  artifacts=$out/artifacts/$target
  log=$out/logs/$target.log
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: running $target for ${per_target} s"
  status=0
  # The first corpus folder receives new inputs; the seeds in the repository are only read.
  "$out/bin/$target" -max_total_time="$per_target" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$target")" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "Fuzz/Seeds/$target" > "$log" 2>&1 || status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9/a-zA-Z]*\).*/cov \1, features \2, corpus \3/p' <<<"$done_line")
  if [ "$status" -ne 0 ]; then
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //' || true)
    echo "fuzz: $target FAILED (exit $status) after ${execs:-?} runs; input: ${crash:-see log}; log: $log" >&2
    grep -E "ERROR: |Fatal error|SUMMARY" "$log" | head -5 >&2 || true
    failed+=("$target")
  else
    echo "fuzz: $target ok: ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-no coverage line}"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (reproduce: $out/bin/TARGET INPUT)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${per_target} s each without a crash"
