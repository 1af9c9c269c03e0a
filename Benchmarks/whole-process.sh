#!/usr/bin/env bash
# Whole-process figures of picoctl as a user runs it: wall time and peak RSS, median of RUNS runs
# (default 5), page cache warm; /bin/true first, for what the measurement itself costs. One function per job (job_NAME); add a job by writing a function
# and listing it in JOBS. Needs /usr/bin/time (Debian package `time`) and python3 for the fixtures.
# The device jobs (floor_testbed, flash, verify and their _b forms) run picoctl against the emulated
# boards of Tests/Harness (Python models of the RP2350 bootrom behind umockdev, which
# Scripts/setup.sh installs with .venv); without them they print why they were skipped.
#
# Usage: Benchmarks/whole-process.sh [--quick] [--instructions] [JOB...]
#   PICOCTL=path  the binary to measure (default .build/release/picoctl; build it as
#                 Scripts/install.sh does: `swift build -c release --static-swift-stdlib --product picoctl`)
#   --quick       one run of each job on small images: checks that the script works (Scripts/test.sh)
#   --instructions  instead of wall time and RSS, one callgrind run of each job: instructions in all
#                 and in the argument parser (repeatable on a loaded machine; needs valgrind); the
#                 device jobs are skipped
set -euo pipefail
cd "$(dirname "$0")/.."
PICOCTL="${PICOCTL:-.build/release/picoctl}"
RUNS="${RUNS:-5}"
QUICK=0 INSTRUCTIONS=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1; RUNS=1; shift ;;
        --instructions) INSTRUCTIONS=1; shift ;;
        *) break ;;
    esac
done
[ -x "$PICOCTL" ] || { echo "whole-process: no binary at $PICOCTL (swift build -c release --static-swift-stdlib --product picoctl)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "whole-process: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/picoctl-bench.XXXXXX")"
trap 'harness_stop; rm -rf "$WORK"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM    # the EXIT trap cleans up then too
if [ "$INSTRUCTIONS" = 1 ]; then
    command -v valgrind >/dev/null || { echo "whole-process: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
    # valgrind 3.19 cannot read the binary's DWARF 5 debug info: measure a copy without it.
    strip -g -o "$WORK/picoctl" "$PICOCTL"
    PICOCTL_NAME=$PICOCTL PICOCTL="$WORK/picoctl"
fi

# Image sizes in MiB of flash image: full runs use the issue's sizes, --quick small ones.
if [ "$QUICK" = 1 ]; then MIB_A=1 MIB_B=2 MIB_ELF=1; else MIB_A=16 MIB_B=32 MIB_ELF=8; fi

# measure LABEL COMMAND...: runs COMMAND RUNS times for its wall time, from spawning the process to
# reaping it (posix_spawn and wait4 from one python3 process: the figure `perf stat` gives), and RUNS
# times under /usr/bin/time for its peak RSS (a process started by /usr/bin/time takes about 2 ms
# longer, /usr/bin/time's own start, so its wall time is not used); prints the medians.
#   SETUP=(COMMAND...) runs before each run, untimed (a device job puts the board back in its state).
SETUP=()
measure() {
    local label=$1; shift
    if [ "$INSTRUCTIONS" = 1 ]; then instructions "$label" "$@"; return; fi
    local rss=() i
    for ((i = 0; i < RUNS; i++)); do
        setup "$label" || return 1
        /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/stderr" || {
            echo "whole-process: '$label' failed:" >&2; cat "$WORK/stderr" >&2; return 1; }
        rss+=("$(tail -1 "$WORK/rss")")
    done
    local ms kib
    ms=$(python3 - "$RUNS" "${#SETUP[@]}" "${SETUP[@]}" "$@" <<'PY'
import os, statistics, subprocess, sys, time
runs, n = int(sys.argv[1]), int(sys.argv[2])
setup, argv = sys.argv[3:3 + n], sys.argv[3 + n:]
null = os.open(os.devnull, os.O_WRONLY)
times = []
for _ in range(runs):
    if setup:
        done = subprocess.run(setup, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0: sys.exit(f"setup {' '.join(setup)}: {done.stderr.strip()}")
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
    _, status, _ = os.wait4(pid, 0)
    times.append((time.perf_counter() - start) * 1000)
    if status != 0: sys.exit(f"exit status {status}")
print(f"{statistics.median_low(times):.1f}")
PY
) || { echo "whole-process: '$label' failed: $ms" >&2; return 1; }
    kib=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    printf '%-58s %9s ms %8.1f MiB\n' "$label" "$ms" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')"
}

# setup LABEL: runs SETUP (when set) before a run of LABEL's command.
setup() {
    [ "${#SETUP[@]}" = 0 ] && return 0
    "${SETUP[@]}" >/dev/null 2>"$WORK/stderr" || {
        echo "whole-process: '$1' failed in its setup (${SETUP[*]}):" >&2; cat "$WORK/stderr" >&2; return 1; }
}

# instructions LABEL COMMAND...: one callgrind run of COMMAND; prints its instructions, all and
# those under ParsableCommand.parseAsRoot (the argument parser), in millions.
instructions() {
    local label=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind" "$@" >/dev/null 2>"$WORK/stderr" || {
        echo "whole-process: '$label' failed:" >&2; cat "$WORK/stderr" >&2; return 1; }
    callgrind_annotate --inclusive=yes "$WORK/callgrind" 2>/dev/null | awk -v label="$label" '
        / PROGRAM TOTALS/ { gsub(",", "", $1); all = $1 }
        /parseAsRoot/ && !parser { gsub(",", "", $1); parser = $1 }
        END { printf "%-58s %9.1f M %10.1f M\n", label, all / 1e6, parser / 1e6 }'
}

# Fixtures: BIN images of MIB_A and MIB_B MiB and their UF2s (twice as large), an ELF with one PT_LOAD.
fixtures() {
    python3 - "$WORK" "$MIB_A" "$MIB_B" "$MIB_ELF" <<'PY'
import os, struct, sys
work, a, b, e = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def image(mib):
    # A program the RP2350 bootrom would start (so `uf2 validate` finds it valid): a vector table
    # (stack at the top of SRAM, a Thumb reset handler in the image), then an IMAGE_DEF block
    # (exe, secure Arm, rp2350) at 0x100; the rest a pattern.
    data = bytearray(bytes((i * 7 + (i >> 12)) & 0xff for i in range(65536)) * (mib * 16))
    data[0:8] = struct.pack("<2I", 0x20082000, 0x10000101)
    data[0x100:0x114] = struct.pack("<5I", 0xffffded3, 0x10210142, 0x000001ff, 0, 0xab123579)
    return bytes(data)
for name, mib in (("a", a), ("b", b)):
    open(os.path.join(work, f"{name}.bin"), "wb").write(image(mib))
body = image(e)
ph = struct.pack("<8I", 1, 84, 0x10000000, 0x10000000, len(body), len(body), 5, 4)
eh = b"\x7fELF\x01\x01\x01\0" + b"\0" * 8 + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, 0x10000201, 52, 0, 0, 52, 32, 1, 40, 0, 0)
open(os.path.join(work, "app.elf"), "wb").write(eh + ph + body)
PY
    "$PICOCTL" uf2 convert "$WORK/a.bin" "$WORK/a.uf2" --family rp2350-arm-s --no-abs-block 2>/dev/null
    "$PICOCTL" uf2 convert "$WORK/b.bin" "$WORK/b.uf2" --family rp2350-arm-s --no-abs-block 2>/dev/null
}

# The emulated boards (Tests/Harness/picoharness): one harness process, started by the first device
# job, with two RP2350 models in BOOTSEL (the fixtures are rp2350-arm-s): board 0 (port 1-1) with
# MIB_A MiB of flash for a.uf2, board 1 (port 1-2) with MIB_B MiB for b.uf2. A chip select addresses
# at most 16 MiB: more is a second 16 MiB device on CS1, as the board's FLASH_DEVINFO (GET_INFO)
# says, so the flash window's 32 MiB hold b.uf2 of the full run. Its testbed and control
# socket are made in WORK; it exits when its stdin, a FIFO only this script holds open, closes
# (harness_stop, or the script's end however it ends).
HARNESS_PID="" HARNESS_WHY="" TESTBED="" PRELOAD="" HOLDS=()

# harness_missing: why the harness cannot run here (nothing when it can).
harness_missing() {
    [ -x .venv/bin/python ] || { echo "no .venv: run Scripts/setup.sh"; return; }
    env -u LD_PRELOAD -u UMOCKDEV_DIR .venv/bin/python -c \
        'import gi; gi.require_version("UMockdev", "1.0"); from gi.repository import UMockdev' 2>/dev/null \
        || { echo "umockdev's Python bindings are missing: run Scripts/setup.sh"; return; }
    /sbin/ldconfig -p 2>/dev/null | grep -q 'libumockdev-preload\.so\.0 ' \
        || echo "libumockdev-preload.so.0 is missing: run Scripts/setup.sh"
}

# device LABEL: true once the harness runs (started here the first time); else prints LABEL and
# why it was skipped, and is false. A harness that is there but does not start ends the script.
device() {
    if [ "$INSTRUCTIONS" = 1 ]; then HARNESS_WHY="not measured with --instructions"; fi
    [ -n "$TESTBED" ] && return 0
    [ -n "$HARNESS_WHY" ] || HARNESS_WHY=$(harness_missing)
    if [ -n "$HARNESS_WHY" ]; then
        printf '%-58s %s\n' "$1" "(skipped: $HARNESS_WHY)"
        return 1
    fi
    harness_start || exit 1
}

harness_start() {
    local boards=() mib i spec
    for mib in "$MIB_A" "$MIB_B"; do
        spec="{\"kind\": \"sim-rp2350\", \"port\": $((${#boards[@]} + 1)), \"flash_size\": $((mib << 20))"
        # FLASH_DEVINFO: CS0_SIZE (bits 11:8) and CS1_SIZE (15:12), 0xc for 16 MiB each.
        if [ "$mib" -gt 16 ]; then spec+=", \"flash_devinfo\": $((0xcc00))"; fi
        boards+=("$spec}")
    done
    mkfifo "$WORK/harness.in"
    # Not under the preload: the harness serves the preloaded programs. TMPDIR: its testbed in WORK.
    env -u LD_PRELOAD -u UMOCKDEV_DIR TMPDIR="$WORK" PYTHONPATH="$PWD/Tests/Harness" \
        .venv/bin/python -m picoharness.server --boards "[$(IFS=,; echo "${boards[*]}")]" --control "$WORK/harness.control" --exit-with-stdin \
        <"$WORK/harness.in" >"$WORK/harness.json" 2>"$WORK/harness.log" &
    HARNESS_PID=$!
    exec {HARNESS_IN}>"$WORK/harness.in"
    for ((i = 0; i < 600; i++)); do
        grep -q '}$' "$WORK/harness.json" 2>/dev/null && break
        running "$HARNESS_PID" || break
        sleep 0.1
    done
    grep -q '}$' "$WORK/harness.json" 2>/dev/null || {
        echo "whole-process: the board harness did not start:" >&2; cat "$WORK/harness.log" >&2; return 1; }
    TESTBED=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["UMOCKDEV_DIR"])' "$WORK/harness.json")
    PRELOAD=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["LD_PRELOAD"])' "$WORK/harness.json")
}

# running PID: the process exists and has not exited (a child that exited is a zombie until reaped).
running() { [ -r "/proc/$1/stat" ] && ! grep -q ') Z ' "/proc/$1/stat"; }

harness_stop() {
    [ -n "$HARNESS_PID" ] || return 0
    exec {HARNESS_IN}>&-           # its stdin closes: it unplugs the boards and removes its testbed
    local i
    for ((i = 0; i < 100; i++)); do running "$HARNESS_PID" || break; sleep 0.1; done
    kill "$HARNESS_PID" 2>/dev/null || true
    wait "$HARNESS_PID" 2>/dev/null || true
    HARNESS_PID=""
}

# under_testbed COMMAND...: COMMAND (a program or a function) with the harness's environment, so
# that picoctl sees the emulated boards and nothing else; without the harness's FIFO, so that only
# this script keeps the harness alive.
under_testbed() { UMOCKDEV_DIR="$TESTBED" LD_PRELOAD="$PRELOAD" "$@" {HARNESS_IN}>&-; }

# flash_onto BOARD NAME LABEL: `picoctl flash NAME.uf2` onto board BOARD (port 1-(BOARD+1)), each run
# onto a blank board in BOOTSEL (`picoctl erase` first, untimed): check, erase, write, verify, reboot
# into the program and see it running.
flash_onto() {
    local board=$1 file="$WORK/$2.uf2" label=$3
    device "$label" || return 0
    SETUP=("$PICOCTL" erase --port "1-$((board + 1))")
    under_testbed measure "$label" "$PICOCTL" flash "$file" --port "1-$((board + 1))" || return 1
    SETUP=()
    HOLDS[$board]=$2
}

# verify_on BOARD NAME LABEL: `picoctl verify NAME.uf2` on board BOARD running that image (flashed
# first, untimed, unless the flash job left it there): to BOOTSEL, read back, back into the program.
verify_on() {
    local board=$1 file="$WORK/$2.uf2" label=$3
    device "$label" || return 0
    if [ "${HOLDS[$board]:-}" != "$2" ]; then
        under_testbed "$PICOCTL" flash "$file" --port "1-$((board + 1))" >/dev/null 2>"$WORK/stderr" || {
            echo "whole-process: '$label' failed flashing the image first:" >&2; cat "$WORK/stderr" >&2; return 1; }
        HOLDS[$board]=$2
    fi
    under_testbed measure "$label" "$PICOCTL" verify "$file" --port "1-$((board + 1))"
}

uf2a() { echo "$((MIB_A * 2)) MiB UF2"; }
uf2b() { echo "$((MIB_B * 2)) MiB UF2"; }

job_true()          { measure "/bin/true (what the method itself costs)" /bin/true; }
job_floor()         { measure "process floor (--version)" "$PICOCTL" --version; }
job_info()          { measure "info, $(uf2a)" "$PICOCTL" info "$WORK/a.uf2"; }
job_validate()      { measure "uf2 validate, $(uf2a)" "$PICOCTL" uf2 validate "$WORK/a.uf2"; }
job_info_validate() { measure "info --validate, $(uf2a)" "$PICOCTL" info --validate "$WORK/a.uf2"; }
job_info_b()        { measure "info, $(uf2b)" "$PICOCTL" info "$WORK/b.uf2"; }
job_validate_b()    { measure "uf2 validate, $(uf2b)" "$PICOCTL" uf2 validate "$WORK/b.uf2"; }
job_convert_elf()   { measure "uf2 convert, $MIB_ELF MiB ELF -> UF2 (replaces OUT)" "$PICOCTL" uf2 convert "$WORK/app.elf" "$WORK/out.uf2"; }
job_convert_elf_new() {
    SETUP=(rm -f "$WORK/new.uf2")
    measure "uf2 convert, $MIB_ELF MiB ELF -> UF2 (new OUT)" "$PICOCTL" uf2 convert "$WORK/app.elf" "$WORK/new.uf2" || return 1
    SETUP=()
}
job_convert_bin()   { measure "uf2 convert, $(uf2a) -> BIN" "$PICOCTL" uf2 convert "$WORK/a.uf2" "$WORK/out.bin"; }
job_convert_bin_b() { measure "uf2 convert, $(uf2b) -> BIN" "$PICOCTL" uf2 convert "$WORK/b.uf2" "$WORK/out.bin"; }
job_convert_from_bin() { measure "uf2 convert, $MIB_A MiB BIN -> UF2" "$PICOCTL" uf2 convert "$WORK/a.bin" "$WORK/out.uf2" --family rp2350-arm-s; }
job_convert_elf_bin()  { measure "uf2 convert, $MIB_ELF MiB ELF -> BIN" "$PICOCTL" uf2 convert "$WORK/app.elf" "$WORK/out.bin"; }
job_floor_testbed() {
    local label="process floor under the testbed (--version)"
    device "$label" || return 0
    under_testbed measure "$label" "$PICOCTL" --version
}
job_flash()         { flash_onto 0 a "flash, $(uf2a) (RP2350 model, $MIB_A MiB flash)"; }
job_flash_b()       { flash_onto 1 b "flash, $(uf2b) (RP2350 model, $MIB_B MiB flash)"; }
job_verify()        { verify_on 0 a "verify, $(uf2a) (RP2350 model, $MIB_A MiB flash)"; }
job_verify_b()      { verify_on 1 b "verify, $(uf2b) (RP2350 model, $MIB_B MiB flash)"; }

JOBS=(true floor info validate info_validate info_b validate_b convert_elf convert_elf_new convert_bin convert_bin_b
      convert_from_bin convert_elf_bin floor_testbed flash flash_b verify verify_b)
if [ $# -gt 0 ]; then JOBS=("$@"); fi

fixtures
if [ "$INSTRUCTIONS" = 1 ]; then
    echo "picoctl whole-process instructions (callgrind): $PICOCTL_NAME"
    printf '%-58s %11s %12s\n' "job" "all" "parser"
else
    echo "picoctl whole-process figures: $PICOCTL, median of $RUNS, $(nproc) cores"
    printf '%-58s %12s %12s\n' "job" "wall" "peak RSS"
fi
for job in "${JOBS[@]}"; do
    if [ "$job" = info_validate ] && ! "$PICOCTL" info --help 2>/dev/null | grep -q -- '--validate'; then
        printf '%-58s %s\n' "info --validate" "(not in this binary)"
        continue
    fi
    "job_$job"
done
