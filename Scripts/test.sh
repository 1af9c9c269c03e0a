#!/usr/bin/env bash
# Runs every test layer: pure units and simulated boards (swift test), then the built binary
# against emulated devices. This is the command the README gives and CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

swift build --build-tests
swift test --skip-build --parallel

# Bounded fuzzing of the firmware-image readers (libFuzzer); FUZZ_SECONDS=0 skips it.
[ "${FUZZ_SECONDS:-60}" = 0 ] || Scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
