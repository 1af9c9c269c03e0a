#!/usr/bin/env bash
# Runs every test layer: pure units and simulated boards (swift test), then the built binary
# against emulated devices. This is the command the README gives and CI runs.
# Setup and builds stop the run when they fail; every test layer runs even if an earlier one
# failed. At the end: one line per step with its time and counts, then "N passed, N failed" over
# all layers (tests as each runner counts them; the fuzzing run counts as one). Exit 0 only if
# nothing failed. FUZZ_SECONDS=0 skips fuzzing.
# Tests never change the machine: the run fails when /run/udev, /dev or /etc/udev differ after it
# from before it (the difference is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/picoctl-test.XXXXXX")"
trap 'rm -rf "$LOGS"' EXIT
SUMMARY=()
PASSED=0 FAILED=0 SKIPPED=0
T0=$EPOCHREALTIME

# step NAME KIND COMMAND...: runs COMMAND with its output shown and kept, times it, counts it.
# KIND: setup (stops the run on failure), swift (Swift Testing), pytest, check (1 test).
step() {
    local name=$1 kind=$2; shift 2
    local log="$LOGS/${#SUMMARY[@]}.log" start=$EPOCHREALTIME rc
    printf '\n=== %s\n' "$name"
    set +e
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    local secs p=0 f=0 s=0 note
    secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    case $kind in
        swift)
            # "✔ Test run with N tests in M suites passed ..." / "✘ Test run with N tests ... failed ..."
            local total
            total=$(grep -aoE 'Test run with [0-9]+ tests?' "$log" | tail -1 | grep -oE '[0-9]+' || true)
            f=$(grep -acE '^✘ Test .* failed after' "$log" || true)
            if [ -n "$total" ]; then p=$((total - f)); fi
            if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
            ;;
        pytest)
            local last
            last=$(grep -aE '^(=+ )?[0-9]+ (passed|failed|skipped|error|errors|deselected)' "$log" | tail -1 || true)
            p=$(grep -oE '[0-9]+ passed' <<<"$last" | grep -oE '[0-9]+' || echo 0)
            f=$(( $(grep -oE '[0-9]+ failed' <<<"$last" | grep -oE '[0-9]+' || echo 0)
                + $(grep -oE '[0-9]+ errors?' <<<"$last" | grep -oE '[0-9]+' || echo 0) ))
            s=$(grep -oE '[0-9]+ skipped' <<<"$last" | grep -oE '[0-9]+' || echo 0)
            if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
            ;;
        check)
            if [ "$rc" = 0 ]; then p=1; else f=1; fi
            ;;
    esac
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
    if [ "$kind" = setup ]; then
        note=$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")
    else
        note="$p passed, $f failed$([ "$s" = 0 ] || echo ", $s skipped")"
    fi
    SUMMARY+=("$(printf '%7ss  %-44s %s' "$secs" "$name" "$note")")
    if [ "$kind" = setup ] && [ "$rc" != 0 ]; then
        finish
        exit "$rc"
    fi
}

# What tests must leave as they found it: each entry under /run/udev, /dev and /etc/udev with its type,
# mode, device numbers and link target, and a hash of every regular file's contents. /dev/pts,
# /dev/shm and /dev/mqueue are other file systems (-xdev): per-process scratch of every program.
host_state() {
    local dir
    for dir in /run/udev /dev /etc/udev; do
        if [ ! -e "$dir" ]; then echo "absent $dir"; continue; fi
        find "$dir" -xdev -printf '%y %m %p -> %l\n' | while IFS= read -r entry; do
            case $entry in
                [cb]\ *) path=${entry#* * }; path=${path% -> *}
                         printf '%s %s\n' "$entry" "$(stat -c '%t:%T' "$path" 2>/dev/null)" ;;
                *) printf '%s\n' "$entry" ;;
            esac
        done
        find "$dir" -xdev -type f -exec sha256sum {} + 2>/dev/null || true
    done | sort
}

# check: /run/udev, /dev and /etc/udev as before the run; prints what differs.
host_unchanged() {
    local after
    after=$(host_state)
    if [ "$after" = "$HOST_BEFORE" ]; then echo "unchanged"; return 0; fi
    echo "the run changed the machine (< before, > after):"
    diff <(printf '%s\n' "$HOST_BEFORE") <(printf '%s\n' "$after") || true
    return 1
}

finish() {
    printf '\n=== Summary (%s s in all)\n' "$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')"
    printf '%s\n' "${SUMMARY[@]}"
    [ "$SKIPPED" = 0 ] || echo "($SKIPPED skipped)"
    echo "$PASSED passed, $FAILED failed"
}

step "setup (Scripts/setup.sh)" setup Scripts/setup.sh
# Taken once setup has installed what the tests need (installing packages may add udev rules):
# from here on nothing may change these places.
HOST_BEFORE=$(host_state)
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

step "swift build --build-tests" setup swift build --build-tests
step "swift test --parallel" swift swift test --skip-build --parallel

# The companion firmware (Embedded Swift): build it, then boot it in the emulated RP2040.
step "firmware (Firmware/build.sh)" setup Firmware/build.sh
step "firmware tests (Firmware/tests)" pytest .venv/bin/python -m pytest -q Firmware/tests

# End to end against emulated boards (umockdev + the harness in Tests/Harness): the harness's own
# tests, the picoctl scenarios kept next to them (Tests/Harness/tests) and the demo.
step "harness and end to end (Tests/Harness)" pytest .venv/bin/python -m pytest -q Tests/Harness
# picoctl monitor against emulated boards (real libudev, termios, hotplug, 50 replugs).
step "monitor, emulated (PicoSerialTests/Emulated)" pytest \
    .venv/bin/python -m pytest -q -p no:cacheprovider Tests/PicoSerialTests/Emulated

# The labgrid layer (contrib/labgrid): the driver on emulated boards, then a whole lab in two network
# namespaces joined by a veth pair (coordinator, exporter with ser2net, sshd; client); needs root.
step "labgrid lab (contrib/labgrid/tests)" pytest \
    .venv/bin/python -m pytest -q -p no:cacheprovider contrib/labgrid/tests

# Bounded fuzzing of the firmware-image readers (libFuzzer); FUZZ_SECONDS=0 skips it.
if [ "${FUZZ_SECONDS:-60}" != 0 ]; then
    step "fuzzing (Scripts/fuzz.sh ${FUZZ_SECONDS:-60})" check Scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi

# udev rules, applied by the real udevadm to emulated devices (needs root; skipped otherwise).
step "udev rules (Tests/UdevRules)" pytest .venv/bin/python -m pytest -q Tests/UdevRules

# Installation into a temporary prefix and back out (binary, rules, man page, completions).
step "install and uninstall (Scripts/install.sh)" pytest .venv/bin/python -m pytest -q -p no:cacheprovider Tests/Install

# The benchmark package (its own Package.swift) must keep building; run it with
# `swift package --package-path Benchmarks benchmark` for the figures.
step "benchmarks build (Benchmarks/)" check swift build --package-path Benchmarks
# Whole-process figures (Benchmarks/whole-process.sh); here only its quick mode on the debug
# binary, to keep the script working. Figures: a release build, without --quick.
step "whole-process benchmark runs (--quick)" check env PICOCTL=.build/debug/picoctl Benchmarks/whole-process.sh --quick

step "machine unchanged (/run/udev, /dev, /etc/udev)" check host_unchanged

finish
[ "$FAILED" = 0 ]
