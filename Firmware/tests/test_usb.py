"""The companion as a USB device in rp2040py: descriptors like a pico-sdk stdio_usb app, CDC
output once DTR is up, echo, and the reset interface taking the chip back to the bootrom."""

import re
import struct

import pytest
from emulator import Board, image_path
from usb_host import Host

from rp2040py.peripherals import ssi

CDC_INTERFACE = 0
RESET_INTERFACE = 2
DATA_IN, DATA_OUT = 2, 2
UNIQUE_ID = bytes.fromhex("E6614103E7A1B2C3")


@pytest.fixture
def board() -> Board:
    return Board(image_path(".bin").read_bytes())


@pytest.fixture
def host(board: Board) -> Host:
    host = Host(board)
    assert host.wait_for_bus_reset(), "the device never connected"
    return host


def cdc_text(host: Host, board: Board, pattern: str, wall_seconds: float = 30) -> str:
    received = bytearray()

    def seen() -> bool:
        received.extend(host.bulk_in(DATA_IN))
        return re.search(pattern, received.decode("ascii", "replace")) is not None

    assert board.run_until(seen, wall_seconds), received
    return received.decode("ascii", "replace")


def raise_dtr(host: Host) -> None:
    host.control_out(0x21, 0x22, 0x3, CDC_INTERFACE)


def test_device_descriptor_is_a_stdio_usb_app(host: Host):
    device = host.get_descriptor(1, 0, 18)
    length, kind, bcd_usb, cls, subclass, protocol, ep0, vid, pid = struct.unpack_from("<BBHBBBBHH", device)
    assert (length, kind, ep0) == (18, 1, 64)
    assert (cls, subclass, protocol) == (0xEF, 0x02, 0x01)
    assert (vid, pid) == (0x2E8A, 0x000A)
    assert host.string(1) == "Raspberry Pi"
    assert host.string(2) == "Pico"


def interfaces(config: bytes) -> list:
    found, index = [], 0
    while index < len(config):
        length, kind = config[index], config[index + 1]
        if kind == 4:
            found.append(tuple(config[index + 2 : index + 9]))
        index += length
    return found


def test_configuration_has_cdc_and_the_reset_interface(host: Host):
    config = host.configuration()
    assert struct.unpack_from("<H", config, 2)[0] == len(config)
    # (number, alternate, endpoints, class, subclass, protocol, string)
    numbers = [(i[0], i[2], i[3], i[4], i[5]) for i in interfaces(config)]
    assert numbers == [(0, 1, 0x02, 0x02, 0x00), (1, 2, 0x0A, 0x00, 0x00), (2, 0, 0xFF, 0x00, 0x01)]
    assert b"\x07\x05\x81\x03" in config and b"\x07\x05\x02\x02" in config and b"\x07\x05\x82\x02" in config


def test_serial_number_is_the_flash_unique_id(board: Board, monkeypatch):
    # Give the emulated flash a 4Bh (read unique id) command, as the end-to-end harness does.
    original = ssi.RPSSI._shift_byte

    def shift_byte(self, byte_out):
        if self._tx_buffer[:1] == bytearray([0x4B]) or (not self._tx_buffer and byte_out == 0x4B):
            self._tx_buffer.append(byte_out)
            position = len(self._tx_buffer) - 1
            return UNIQUE_ID[position - 5] if 5 <= position < 13 else 0xFF
        return original(self, byte_out)

    monkeypatch.setattr(ssi.RPSSI, "_shift_byte", shift_byte)
    board = Board(image_path(".bin").read_bytes())
    host = Host(board)
    assert host.wait_for_bus_reset()
    assert host.string(3) == UNIQUE_ID.hex().upper()
    assert board.run_until(lambda: "heartbeat" in board.uart_text())
    assert f" id {UNIQUE_ID.hex().upper()} " in board.uart_text()


def test_serial_number_without_4bh_is_all_ones(host: Host):
    assert host.string(3) == "F" * 16


def test_cdc_is_silent_until_dtr_then_logs_banner_and_heartbeats(host: Host, board: Board):
    host.enumerate()
    assert board.run_until(lambda: "heartbeat 1 " in board.uart_text(), 30)
    assert host.bulk_in(DATA_IN) == b""          # no DTR yet: nothing queued, like stdio_usb
    raise_dtr(host)
    text = cdc_text(host, board, r"heartbeat (\d+) uptime_ms \d+\r\n.*heartbeat (\d+) uptime_ms")
    assert text.startswith("picoctl-companion 0.1.0 id ")
    beats = [int(n) for n in re.findall(r"heartbeat (\d+)", text)]
    assert beats[1] == beats[0] + 1


def test_cdc_echoes_what_it_receives(host: Host, board: Board):
    host.enumerate()
    raise_dtr(host)
    cdc_text(host, board, r"picoctl-companion .*\r\n")
    host.bulk_out(DATA_OUT, b"hello companion\r")
    assert "hello companion\r" in cdc_text(host, board, r"hello companion\r")


def test_line_coding_round_trips(host: Host):
    host.enumerate()
    coding = struct.pack("<IBBB", 115200, 0, 0, 8)
    host.control_out(0x21, 0x20, 0, CDC_INTERFACE, coding)
    assert host.control_in(0xA1, 0x21, 0, CDC_INTERFACE, 7) == coding


def boots_into_bootsel(board: Board, host: Host, enumerations: int) -> None:
    """After a reboot the bootrom itself must come up on USB as 2e8a:0003 (`enumerations`: the
    count before the request)."""
    assert board.run_until(lambda: host.enumerations > enumerations and host.resets > 1, 30), "no re-enumeration"
    device = host.get_descriptor(1, 0, 18)
    assert struct.unpack_from("<HH", device, 8) == (0x2E8A, 0x0003)
    assert host.string(2) == "RP2 Boot"


def follow_watchdog_through_the_bootrom(board: Board) -> None:
    """rp2040py restarts a watchdog reboot at 0x10000000, past the bootrom, and keeps the watchdog
    counting (a second, later reset); a real chip fires once and runs the bootrom, which honours
    the reboot-to-BOOTSEL scratch registers."""
    watchdog = board.chip.watchdog

    def fire_once() -> None:
        watchdog._enable = False
        watchdog.timer.enable = False
        watchdog.alarm.enable = False
        board.chip.enter_reset(from_watchdog=True)

    watchdog.on_watchdog_trigger = fire_once


def test_reset_interface_reboots_into_bootsel(host: Host, board: Board):
    follow_watchdog_through_the_bootrom(board)
    host.enumerate()
    before = host.enumerations
    host.control_out(0x21, 0x01, 0x0000, RESET_INTERFACE)
    boots_into_bootsel(board, host, before)


def test_1200_baud_touch_reboots_into_bootsel(host: Host, board: Board):
    follow_watchdog_through_the_bootrom(board)
    host.enumerate()
    before = host.enumerations
    host.control_out(0x21, 0x20, 0, CDC_INTERFACE, struct.pack("<IBBB", 1200, 0, 0, 8))
    boots_into_bootsel(board, host, before)


def test_reset_to_flash_runs_the_program_again(host: Host, board: Board):
    follow_watchdog_through_the_bootrom(board)
    host.enumerate()
    assert board.run_until(lambda: "heartbeat 1 " in board.uart_text(), 30)
    before = host.enumerations
    host.control_out(0x21, 0x02, 0, RESET_INTERFACE)
    assert board.run_until(lambda: board.uart_text().count("picoctl-companion 0.1.0") >= 2, 30)
    assert board.run_until(lambda: host.enumerations > before and host.resets > 1, 30)
    device = host.get_descriptor(1, 0, 18)
    assert struct.unpack_from("<HH", device, 8) == (0x2E8A, 0x000A)


def test_reset_to_bootsel_passes_the_interface_disable_mask(host: Host, board: Board):
    follow_watchdog_through_the_bootrom(board)
    host.enumerate()
    before = host.enumerations
    host.control_out(0x21, 0x01, 0x0001, RESET_INTERFACE)   # bit 0: no mass storage
    boots_into_bootsel(board, host, before)
    config = host.configuration()
    assert config[4] == 1
    assert [(i[3], i[4], i[5]) for i in interfaces(config)] == [(0xFF, 0x00, 0x00)]  # PICOBOOT only


def test_enumeration_fix_for_b1_silicon_runs_after_bus_reset(monkeypatch):
    """rp2040py reports chip revision 1 (B1), so the RP2040-E5 workaround must run: the USB
    lines go to the GPIO path (TO_DIGITAL_PAD) and come back to the PHY."""
    from rp2040py.peripherals.usb import RPUSBController

    muxing = []
    original = RPUSBController.write_uint32

    def record(self, offset, value):
        if offset == 0x74:
            muxing.append(value)
        original(self, offset, value)

    monkeypatch.setattr(RPUSBController, "write_uint32", record)
    board = Board(image_path(".bin").read_bytes())
    host = Host(board)
    assert host.wait_for_bus_reset()
    host.enumerate()
    assert muxing[:3] == [0x9, 0xC, 0x9]   # start-up, forced J, back to the PHY
