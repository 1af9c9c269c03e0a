#!/usr/bin/env bash
# Builds the picoctl companion firmware (Embedded Swift, RP2040) into Firmware/build/:
#   picoctl-companion.elf   the linked program
#   picoctl-companion.bin   flash image from 0x10000000 (boot2 first)
#   picoctl-companion.uf2   the UF2, made by our own `picoctl uf2 convert`
#   rp2040-ram-helper.bin   the RAM helper picoctl runs with PICOBOOT EXEC (ram-helper/)
# Usage: Firmware/build.sh            (from anywhere; needs Swift 6 with the embedded stdlib)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
OUT="$HERE/build"
mkdir -p "$OUT"
command -v swiftc >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
TOOLBIN="$(dirname "$(readlink -f "$(command -v swiftc)")")"
CLANG="$TOOLBIN/clang"; LLD="$TOOLBIN/ld.lld"; OBJCOPY="$TOOLBIN/llvm-objcopy"; SIZE_NM="$TOOLBIN/llvm-nm"
for tool in "$CLANG" "$LLD" "$OBJCOPY"; do
    [ -x "$tool" ] || { echo "build.sh: $tool not found (the Swift toolchain ships it)" >&2; exit 1; }
done

# The version lives in Sources/Main.swift (the banner); the binary info takes it from there.
VERSION="$(sed -n 's/.*static let version: StaticString = "\(.*\)".*/\1/p' "$HERE/Sources/Main.swift")"
[ -n "$VERSION" ] || { echo "build.sh: no version in Sources/Main.swift" >&2; exit 1; }
BUILD_DATE="${SOURCE_DATE_EPOCH:+$(date -u -d "@$SOURCE_DATE_EPOCH" '+%b %e %Y')}"
BUILD_DATE="${BUILD_DATE:-$(date -u '+%b %e %Y')}"
URL="https://github.com/picoctl/picoctl/tree/main/Firmware"
TARGET=armv6m-none-none-eabi
ASFLAGS=(--target=armv6m-none-eabi -mcpu=cortex-m0plus -mthumb -c)

# 1. boot2: assemble, link at its run address, pad to 252 bytes and append the CRC-32.
"$CLANG" "${ASFLAGS[@]}" "$HERE/boot2/boot2_03h.S" -o "$OUT/boot2.o"
"$LLD" -o "$OUT/boot2.elf" -Ttext=0x20041f00 -e _stage2_boot "$OUT/boot2.o"
"$OBJCOPY" -O binary "$OUT/boot2.elf" "$OUT/boot2.raw"
python3 "$HERE/tools/boot2_checksum.py" "$OUT/boot2.raw" "$OUT/boot2.bin"

# 2. start-up code and binary info.
"$CLANG" "${ASFLAGS[@]}" -DBOOT2_BIN="\"$OUT/boot2.bin\"" "$HERE/Startup/startup.S" -o "$OUT/startup.o"
"$CLANG" "${ASFLAGS[@]}" -DCOMPANION_VERSION="\"$VERSION\"" -DCOMPANION_BUILD_DATE="\"$BUILD_DATE\"" \
    -DCOMPANION_URL="\"$URL\"" "$HERE/Startup/binary_info.S" -o "$OUT/binary_info.o"
"$CLANG" "${ASFLAGS[@]}" "$HERE/Startup/usb_descriptors.S" -o "$OUT/usb_descriptors.o"

# 3. the program, in Embedded Swift.
swiftc -target "$TARGET" -target-cpu cortex-m0plus -enable-experimental-feature Embedded -enable-experimental-feature Extern \
    -wmo -parse-as-library -Osize -Xfrontend -function-sections -Xfrontend -disable-stack-protector \
    -module-name Companion "$HERE"/Sources/*.swift -c -o "$OUT/companion.o"

# 4. link with section garbage collection (otherwise the runtime drags in allocator and atomics).
"$LLD" --gc-sections -T "$HERE/link.ld" -Map "$OUT/picoctl-companion.map" \
    -o "$OUT/picoctl-companion.elf" "$OUT/startup.o" "$OUT/binary_info.o" \
    "$OUT/usb_descriptors.o" "$OUT/companion.o"
"$OBJCOPY" -O binary "$OUT/picoctl-companion.elf" "$OUT/picoctl-companion.bin"

# 5. the RP2040 RAM helper picoctl runs with PICOBOOT EXEC (issue 9): position-independent,
#    linked at 0; ram-helper/generate.py keeps the committed bytes in step.
"$CLANG" "${ASFLAGS[@]}" "$HERE/ram-helper/rp2040_ram_helper.S" -o "$OUT/rp2040-ram-helper.o"
"$LLD" --image-base=0 -Ttext=0 -e helper_start -o "$OUT/rp2040-ram-helper.elf" "$OUT/rp2040-ram-helper.o"
"$OBJCOPY" -O binary "$OUT/rp2040-ram-helper.elf" "$OUT/rp2040-ram-helper.bin"
"$LLD" --image-base=0 -Ttext=0x20000000 -e helper_start -o "$OUT/rp2040-ram-helper-at-ram.elf" "$OUT/rp2040-ram-helper.o"
"$OBJCOPY" -O binary "$OUT/rp2040-ram-helper-at-ram.elf" "$OUT/rp2040-ram-helper-at-ram.bin"
cmp -s "$OUT/rp2040-ram-helper.bin" "$OUT/rp2040-ram-helper-at-ram.bin" \
    || { echo "build.sh: the RAM helper is not position-independent" >&2; exit 1; }
python3 "$HERE/ram-helper/generate.py" "$OUT/rp2040-ram-helper.bin" --check "$ROOT/Sources/PicoFlash/RP2040RAMHelperCode.swift" \
    || echo "build.sh: the committed RAM helper bytes are stale (see above)" >&2

# 6. UF2 through our own converter, `picoctl uf2 convert` (built here unless PICOCTL names one).
if [ -z "${PICOCTL:-}" ]; then
    (cd "$ROOT" && swift build --product picoctl >/dev/null)
    PICOCTL="$(cd "$ROOT" && swift build --show-bin-path)/picoctl"
fi
"$PICOCTL" uf2 convert "$OUT/picoctl-companion.elf" "$OUT/picoctl-companion.uf2" --family rp2040

SIZE=$(stat -c %s "$OUT/picoctl-companion.bin")
echo "picoctl-companion: $SIZE bytes of flash ($OUT/picoctl-companion.elf)"
echo "rp2040-ram-helper: $(stat -c %s "$OUT/rp2040-ram-helper.bin") bytes ($OUT/rp2040-ram-helper.bin)"
echo "picoctl-companion: $OUT/picoctl-companion.uf2 ($(($(stat -c %s "$OUT/picoctl-companion.uf2") / 512)) blocks)"
