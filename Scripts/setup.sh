#!/usr/bin/env bash
# Installs what picoctl needs to build and test on Debian: the C libraries, umockdev (emulated
# devices) and the Python packages of the emulated board. Idempotent; run as root or with sudo.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

APT_PACKAGES=(libusb-1.0-0-dev libudev-dev pkg-config
              umockdev libumockdev-dev gir1.2-umockdev-1.0 python3-gi python3-pip python3-venv udev
              ser2net iproute2 openssh-server rsync time gcc-arm-none-eabi
              zsh fish)  # the completion tests run each shell
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { [ -x /opt/swift/usr/bin/swift ] && export PATH=/opt/swift/usr/bin:$PATH; }
command -v swift >/dev/null || { echo "setup: Swift 6 is required (https://www.swift.org/install/linux/)" >&2; exit 1; }

# The emulated-board layer runs in a virtual environment on the system Python, which has
# python3-gi (umockdev's bindings); the pinned packages come from PyPI.
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    /usr/bin/python3 -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/requirements.txt
# picoctl's labgrid driver (contrib/labgrid), so environment files and its tests can import it.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps ./contrib/labgrid
