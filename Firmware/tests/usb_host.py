"""A minimal USB host on rp2040py's USB controller model: bus reset, control transfers on EP0 and
bulk transfers, driven from the test thread between emulator batches (the controller's hooks run
inside the batches)."""

import struct

from emulator import Board


def setup_packet(request_type: int, request: int, value: int, index: int, length: int) -> bytes:
    return struct.pack("<BBHHH", request_type, request, value, index, length)


class Host:
    """Drives the device side of `board.chip.usb_ctrl` as a host would."""

    def __init__(self, board: Board):
        self.board = board
        self.usb = board.chip.usb_ctrl
        self.resets = 0
        self.enumerations = 0
        self.status_stages = 0
        self._enabled_at: float | None = None
        self.in_packets: dict[int, list[bytes]] = {}
        self.out_armed: dict[int, int] = {}
        self.out_queue: dict[int, bytes] = {}
        self.usb.on_usb_enabled = self._enabled
        self.usb.on_reset_received = self._reset_done
        self.usb.on_endpoint_write = self._in_packet
        self.usb.on_endpoint_read = self._out_armed
        self.usb.on_reset = self._controller_reset

    # Hooks called by the controller model.
    def _enabled(self) -> None:
        self.enumerations += 1
        self._enabled_at = self.board.chip.clock.nanos
        self.usb.reset_device()

    def _reset_done(self) -> None:
        # rp2040py reports every write-1-to-clear of SIE_STATUS.BUS_RESET, including the
        # bootrom's own at start-up; only the one that ends our reset (10 ms after the controller
        # was enabled) counts.
        if self._enabled_at is not None and self.board.chip.clock.nanos - self._enabled_at >= 10_000_000:
            self._enabled_at = None
            self.resets += 1

    def _controller_reset(self) -> None:
        self.in_packets.clear()
        self.out_armed.clear()

    def _in_packet(self, endpoint: int, data: bytes) -> None:
        if endpoint == 0 and not data:
            self.status_stages += 1
        self.in_packets.setdefault(endpoint, []).append(bytes(data))

    def _out_armed(self, endpoint: int, size: int) -> None:
        data = self.out_queue.pop(endpoint, None)
        if data is not None:
            self.usb.endpoint_read_done(endpoint, data[:size])
        else:
            self.out_armed[endpoint] = size

    # Host operations.
    def wait_for_bus_reset(self, count: int = 1, wall_seconds: float = 30) -> bool:
        return self.board.run_until(lambda: self.resets >= count, wall_seconds)

    def control_in(self, request_type: int, request: int, value: int, index: int, length: int) -> bytes:
        """A control read; returns the data stage."""
        self.in_packets[0] = []
        self.usb.send_setup_packet(setup_packet(request_type, request, value, index, length))

        def complete() -> bool:
            packets = self.in_packets.get(0, [])
            return sum(map(len, packets)) >= length or any(len(p) < 64 for p in packets)

        assert self.board.run_until(complete, 30), "no answer to the control read"
        return b"".join(self.in_packets[0])[:length]

    def control_out(self, request_type: int, request: int, value: int, index: int, data: bytes = b"") -> None:
        """A control write; waits for the status stage (a zero-length IN packet)."""
        self.in_packets[0] = []
        if data:
            self.out_queue[0] = data
        before = self.status_stages
        self.usb.send_setup_packet(setup_packet(request_type, request, value, index, len(data)))
        acknowledged = lambda: self.status_stages > before  # noqa: E731
        assert self.board.run_until(acknowledged, 30), "no status stage for the control write"

    def get_descriptor(self, kind: int, index: int, length: int, language: int = 0) -> bytes:
        return self.control_in(0x80, 0x06, (kind << 8) | index, language, length)

    def configuration(self) -> bytes:
        head = self.get_descriptor(2, 0, 9)
        return self.get_descriptor(2, 0, struct.unpack_from("<H", head, 2)[0])

    def string(self, index: int) -> str:
        raw = self.get_descriptor(3, index, 255, 0x0409)
        return raw[2 : raw[0]].decode("utf-16-le")

    def enumerate(self) -> None:
        """SET_ADDRESS and SET_CONFIGURATION, as Linux does after reading the descriptors."""
        self.control_out(0x00, 0x05, 1, 0)
        self.configuration()
        self.control_out(0x00, 0x09, 1, 0)

    def bulk_in(self, endpoint: int) -> bytes:
        """Everything received on an IN endpoint so far (and forgets it)."""
        data = b"".join(self.in_packets.get(endpoint, []))
        self.in_packets[endpoint] = []
        return data

    def bulk_out(self, endpoint: int, data: bytes) -> None:
        """Sends one packet when the device arms the endpoint."""
        if endpoint in self.out_armed:
            size = self.out_armed.pop(endpoint)
            self.usb.endpoint_read_done(endpoint, data[:size])
        else:
            self.out_queue[endpoint] = data
