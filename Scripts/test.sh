#!/usr/bin/env bash
# Runs every test layer: pure units and simulated boards (swift test), then the built binary
# against emulated devices. This is the command the README gives and CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

swift build --build-tests
swift test --skip-build --parallel

# udev rules, applied by the real udevadm to emulated devices (needs root; skipped otherwise).
.venv/bin/python -m pytest -q Tests/UdevRules
