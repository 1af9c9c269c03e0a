"""The companion's UF2 (made by `picoctl uf2 convert`) and its binary info, in the pico-sdk layout."""

import struct

from emulator import FLASH_BASE, Board, image_path

UF2_MAGICS = (0x0A324655, 0x9E5D5157, 0x0AB16F30)
RP2040_FAMILY = 0xE48BFF56


def uf2_flash_bytes() -> bytes:
    data = image_path(".uf2").read_bytes()
    assert len(data) % 512 == 0
    blocks = [data[i : i + 512] for i in range(0, len(data), 512)]
    image = bytearray()
    for number, block in enumerate(blocks):
        m0, m1, flags, address, size, block_no, count, family = struct.unpack_from("<8I", block)
        (m_end,) = struct.unpack_from("<I", block, 508)
        assert (m0, m1, m_end) == UF2_MAGICS
        assert flags == 0x2000 and family == RP2040_FAMILY and size == 256
        assert block_no == number and count == len(blocks)
        assert address == FLASH_BASE + 256 * number
        image += block[32 : 32 + 256]
    return bytes(image)


def test_uf2_holds_the_flash_image():
    image = image_path(".bin").read_bytes()
    from_uf2 = uf2_flash_bytes()
    assert from_uf2[: len(image)] == image
    assert set(from_uf2[len(image) :]) <= {0}


def test_boots_from_the_uf2():
    board = Board(uf2_flash_bytes())
    assert board.run_until(lambda: "heartbeat 1 " in board.uart_text(), wall_seconds=60), board.uart_text()
    assert board.uart_text().startswith("picoctl-companion 0.1.0 id ")


def read_string(image: bytes, address: int) -> str:
    offset = address - FLASH_BASE
    return image[offset : image.index(b"\0", offset)].decode()


def binary_info(image: bytes) -> list:
    """(type, id, value) of every entry, found as picotool does: the header in the first 256
    bytes after boot2."""
    window = image[256:512]
    for offset in range(0, 256 - 20, 4):
        if struct.unpack_from("<I", window, offset)[0] == 0x7188EBF2:
            _, begin, end, copy_table, magic_end = struct.unpack_from("<5I", window, offset)
            assert magic_end == 0xE71AA390
            break
    else:
        raise AssertionError("no binary info header in the first 256 bytes after boot2")
    entries = []
    for pointer_at in range(begin, end, 4):
        (entry,) = struct.unpack_from("<I", image, pointer_at - FLASH_BASE)
        kind, tag = struct.unpack_from("<HH", image, entry - FLASH_BASE)
        assert tag == 0x5052
        if kind in (5, 6):
            ident, value = struct.unpack_from("<II", image, entry - FLASH_BASE + 4)
            entries.append((kind, ident, read_string(image, value) if kind == 6 else value))
        elif kind == 8:
            (encoding,) = struct.unpack_from("<I", image, entry - FLASH_BASE + 4)
            entries.append((kind, None, encoding))
        elif kind == 9:
            mask, label = struct.unpack_from("<II", image, entry - FLASH_BASE + 4)
            entries.append((kind, mask, read_string(image, label)))
    source, dest, dest_end = struct.unpack_from("<3I", image, copy_table - FLASH_BASE)
    assert 0x20000000 <= dest <= dest_end and FLASH_BASE < source < FLASH_BASE + len(image)
    return entries


def test_binary_info_names_the_program():
    image = image_path(".bin").read_bytes()
    entries = binary_info(image)
    strings = {ident: value for kind, ident, value in entries if kind == 6}
    assert strings[0x02031C86] == "picoctl-companion"
    assert strings[0x11A9BC3A] == "0.1.0"
    assert strings[0x7F8882E1] == "boot2_generic_03h"
    assert strings[0x1856239A].startswith("https://")
    assert len(strings[0x9DA22254]) >= 10  # "Nov 29 2026"
    features = [value for kind, ident, value in entries if kind == 6 and ident == 0xA1F4B453]
    assert "UART stdin / stdout" in features and "USB stdin / stdout" in features
    (binary_end,) = [value for kind, ident, value in entries if kind == 5 and ident == 0x68F465DE]
    assert binary_end == FLASH_BASE + len(image)
    (uart_pins,) = [value for kind, _, value in entries if kind == 8]
    assert uart_pins & 7 == 2 and (uart_pins >> 3) & 0xF == 2  # multi-pin encoding, UART function
    assert (uart_pins >> 7) & 0x1F == 0 and (uart_pins >> 12) & 0x1F == 1
    assert (9, 1 << 25, "On-board LED") in entries


def test_picoctl_info_reads_the_binary_info():
    """Our own `picoctl info` (the uf2 module's binary info decoder) shows what the firmware
    declares, as picotool would."""
    import json
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    picoctl = Path(os.environ.get("PICOCTL", root / ".build" / "debug" / "picoctl"))
    assert picoctl.exists(), f"{picoctl} is missing: run swift build first"
    result = subprocess.run([str(picoctl), "info", "--json", str(image_path(".uf2"))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["boot2"]["valid"] is True
    binary_info = info["binary_info"]
    assert binary_info["program_name"] == "picoctl-companion"
    assert binary_info["program_version"] == "0.1.0"
    assert binary_info["boot2_name"] == "boot2_generic_03h"
    assert "USB stdin / stdout" in binary_info["features"]
    functions = {pin["function"] for pin in binary_info["pins"]}
    assert {"UART0 TX", "UART0 RX", "On-board LED"} <= functions
