#!/usr/bin/env bash
# Fuzzes the UF2 library (UF2, ELF and BIN readers, validator, binary info, writer) with libFuzzer
# for a bounded time. Usage: Scripts/fuzz.sh [SECONDS]  (default 60; FUZZ_SECONDS works too).
# Builds with `swiftc -sanitize=fuzzer,address`; crashes, and inputs that take longer than
# FUZZ_TIMEOUT seconds (default 10: a loop that never ends), land in .build/fuzz/artifacts and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swiftc >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
SECONDS_TO_RUN="${1:-${FUZZ_SECONDS:-60}}"
OUT=.build/fuzz
mkdir -p "$OUT/corpus" "$OUT/artifacts"

swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name UF2 \
    Sources/UF2/*.swift Tests/Fuzz/FuzzEntry.swift -o "$OUT/uf2-fuzz"

# Seeds: a small UF2 (two families, an E10 block), an SDK-shaped ELF, a BIN with a binary info header.
python3 - "$OUT/corpus" <<'PY'
import struct, sys, os
out = sys.argv[1]
def block(addr, n, count, fam, flags=0x2000, data=b"\0" * 256):
    data = data.ljust(476, b"\0")
    return struct.pack("<8I", 0x0A324655, 0x9E5D5157, flags, addr, 256, n, count, fam) + data + struct.pack("<I", 0x0AB16F30)
absb = block(0x10ffff00, 0, 2, 0xe48bff57, 0xa000, b"\xef" * 256 + struct.pack("<I", 0x9957e304))
uf2 = absb + block(0x10000000, 0, 2, 0xe48bff59) + block(0x10000100, 1, 2, 0xe48bff59) + block(0x20000000, 0, 1, 0xe48bff56)
open(os.path.join(out, "seed.uf2"), "wb").write(uf2)
flash = bytearray(0x400)
flash[0x1c0:0x1d4] = struct.pack("<5I", 0x7188ebf2, 0x10000300, 0x10000304, 0x10000310, 0xe71aa390)
flash[0x300:0x310] = struct.pack("<4I", 0x10000320, 0, 0, 0)
flash[0x320:0x32c] = struct.pack("<HHII", 6, 0x5052, 0x02031c86, 0x10000340)
flash[0x340:0x345] = b"seed\0"
open(os.path.join(out, "seed.bin"), "wb").write(flash)
ph = struct.pack("<8I", 1, 84, 0x10000000, 0x10000000, len(flash), len(flash), 5, 4)
eh = b"\x7fELF\x01\x01\x01\0" + b"\0" * 8 + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, 0x10000201, 52, 0, 0, 52, 32, 1, 40, 0, 0)
open(os.path.join(out, "seed.elf"), "wb").write(eh + ph + bytes(flash))
# The top of the address space: a UF2 block, an ELF segment and an IMAGE_DEF-shaped BIN at 0xffffff00.
open(os.path.join(out, "seed-top.uf2"), "wb").write(block(0xffffff00, 0, 1, 0xe48bff59) + block(0xfffff000, 0, 1, 0xe48bff56))
ph = struct.pack("<8I", 1, 84, 0xffffff00, 0xffffff00, 256, 256, 5, 4)
eh = b"\x7fELF\x01\x01\x01\0" + b"\0" * 8 + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, 0xffffff01, 52, 0, 0, 52, 32, 1, 40, 0, 0)
open(os.path.join(out, "seed-top.elf"), "wb").write(eh + ph + b"\x11" * 256)
open(os.path.join(out, "seed-top.bin"), "wb").write(struct.pack("<5I", 0xffffded3, 0x10210142, 0x1ff, 0, 0xab123579) + bytes(0xec))
PY

echo "fuzz: running for ${SECONDS_TO_RUN}s" >&2
"$OUT/uf2-fuzz" "$OUT/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1
