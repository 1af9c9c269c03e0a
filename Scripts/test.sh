#!/usr/bin/env bash
# Runs every test layer: pure units and simulated boards (swift test), then the built binary
# against emulated devices. This is the command the README gives and CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

swift build --build-tests
swift test --skip-build --parallel

# The companion firmware (Embedded Swift): build it, then boot it in the emulated RP2040.
Firmware/build.sh
.venv/bin/python -m pytest -q Firmware/tests

# End to end against emulated boards (umockdev + the harness in Tests/Harness): the harness's own
# tests and the picoctl scenarios kept next to them (Tests/Harness/tests).
.venv/bin/python -m pytest -q Tests/Harness

# picoctl monitor against emulated boards (real libudev, termios, hotplug, 50 replugs).
.venv/bin/python -m pytest -q -p no:cacheprovider Tests/PicoSerialTests/Emulated

# Bounded fuzzing of the firmware-image readers (libFuzzer); FUZZ_SECONDS=0 skips it.
[ "${FUZZ_SECONDS:-60}" = 0 ] || Scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
