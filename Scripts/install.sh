#!/usr/bin/env bash
# Installs picoctl: the release binary, the udev rules (and reloads udev), shell completions
# and the man page (`picoctl manual`, built from the commands' help and the exit-status table).
#
#   Scripts/install.sh                 install under /usr/local (PREFIX=... to change)
#   Scripts/install.sh --uninstall     remove everything this script installed
#
# UDEV_RULES_DIR (default /etc/udev/rules.d) places the rules elsewhere (udev is then not reloaded
# unless it is /etc/udev/rules.d); CONFIGURATION=debug installs the debug build (for tests).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
CONFIGURATION="${CONFIGURATION:-release}"
RULES_DIR="${UDEV_RULES_DIR:-/etc/udev/rules.d}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
# A prefix and rules directory this user can write need no sudo.
if [ -n "$SUDO" ]; then
    d="$PREFIX"; while [ ! -e "$d" ]; do d="$(dirname "$d")"; done
    r="$RULES_DIR"; while [ ! -e "$r" ]; do r="$(dirname "$r")"; done
    [ -w "$d" ] && [ -w "$r" ] && SUDO=""
fi
RULES="$RULES_DIR/60-picoctl.rules"
BIN="$PREFIX/bin/picoctl"
MAN="$PREFIX/share/man/man1/picoctl.1"
BASH_COMP="$PREFIX/share/bash-completion/completions/picoctl"
ZSH_COMP="$PREFIX/share/zsh/site-functions/_picoctl"
FISH_COMP="$PREFIX/share/fish/vendor_completions.d/picoctl.fish"

reload_udev() {
    [ "$RULES_DIR" = /etc/udev/rules.d ] || return 0
    if command -v udevadm >/dev/null && [ -d /run/udev ]; then
        $SUDO udevadm control --reload-rules && $SUDO udevadm trigger --subsystem-match=usb --subsystem-match=tty || true
    fi
}

if [ "${1:-}" = "--uninstall" ]; then
    $SUDO rm -f "$BIN" "$MAN" "$BASH_COMP" "$ZSH_COMP" "$FISH_COMP" "$RULES"
    reload_udev
    echo "picoctl removed from $PREFIX and $RULES"
    exit 0
fi

Scripts/setup.sh
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
# A release build on Linux links the Swift runtime in: the process then maps only the pages it
# touches, not whole shared libraries (`--version`: about 11 MiB peak RSS instead of 14).
static=(); [ "$CONFIGURATION" = release ] && [ "$(uname -s)" = Linux ] && static=(--static-swift-stdlib)
swift build -c "$CONFIGURATION" "${static[@]}" --product picoctl
built="$(swift build -c "$CONFIGURATION" "${static[@]}" --show-bin-path)/picoctl"

$SUDO install -D -m 0755 "$built" "$BIN"
$SUDO install -D -m 0644 udev/60-picoctl.rules "$RULES"
reload_udev

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$built" --generate-completion-script bash > "$tmp/bash"
"$built" --generate-completion-script zsh > "$tmp/zsh"
"$built" --generate-completion-script fish > "$tmp/fish"
$SUDO install -D -m 0644 "$tmp/bash" "$BASH_COMP"
$SUDO install -D -m 0644 "$tmp/zsh" "$ZSH_COMP"
$SUDO install -D -m 0644 "$tmp/fish" "$FISH_COMP"
"$built" manual > "$tmp/picoctl.1"
[ -s "$tmp/picoctl.1" ] || { echo "install: picoctl manual printed no man page" >&2; exit 1; }
$SUDO install -D -m 0644 "$tmp/picoctl.1" "$MAN"

echo "installed $BIN, $RULES, completions (bash, zsh, fish) and $MAN"
getent group plugdev >/dev/null && ! id -nG | grep -qw plugdev && \
    echo "note: add yourself to plugdev for access outside a desktop session: sudo usermod -aG plugdev \$USER"
exit 0
