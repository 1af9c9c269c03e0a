"""`PicoctlDriver`: a Pico board's flashing, rebooting and identity through picoctl on the exporter host."""
from __future__ import annotations

import json
import os
import subprocess

import attr
from labgrid.driver.common import Driver
from labgrid.driver.exception import ExecutionError
from labgrid.factory import target_factory
from labgrid.step import step
from labgrid.util.managedfile import ManagedFile


@attr.s(eq=False)
class PicoctlError(ExecutionError):
    """picoctl ended with a non-zero exit status: `msg` is its message, `status` its exit status
    (see picoctl's exit-status table: 4 no board, 5 device error, 6 permission denied, ...)."""

    status = attr.ib(default=None)


@target_factory.reg_driver
@attr.s(eq=False)
class PicoctlDriver(Driver):
    """Runs `picoctl … --json` for the board on the bound USB port, on the host the port is on.

    The board is named by its USB port path (the resource's `path`), which stays the same in the app
    and in BOOTSEL. `picoctl` is the program's path on the exporter host; `timeout` bounds each run.
    """

    bindings = {"device": {"USBFlashableDevice", "NetworkUSBFlashableDevice"}}
    picoctl = attr.ib(default="picoctl", validator=attr.validators.instance_of(str))
    image = attr.ib(default=None, validator=attr.validators.optional(attr.validators.instance_of(str)))
    timeout = attr.ib(default=300.0, validator=attr.validators.instance_of((int, float)))

    def _run(self, args: list[str]) -> list[dict]:
        """Runs picoctl with `args` and `--json` on the exporter host; returns its JSON lines."""
        command = self.device.wrap_command([self.picoctl, *args, "--json"])
        self.logger.debug("Running %s", " ".join(command))
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=self.timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as error:
            raise PicoctlError(f"picoctl {args[0]} did not finish within {self.timeout} s", status=None) from error
        text = done.stdout.decode(errors="replace")
        out = text.splitlines()
        err = done.stderr.decode(errors="replace").splitlines()
        if done.returncode != 0:
            # picoctl's errors: "picoctl: error: WHAT", then "  fix: WHAT TO DO" where there is one.
            errors = [i for i, line in enumerate(err) if line.startswith("picoctl: error: ")]
            if errors:
                message = err[errors[-1]].removeprefix("picoctl: error: ")
                if errors[-1] + 1 < len(err) and err[errors[-1] + 1].startswith("  fix: "):
                    message += "; fix: " + err[errors[-1] + 1].removeprefix("  fix: ")
            else:
                lines = [line for line in err if line.strip()]
                message = lines[-1] if lines else f"picoctl {args[0]} failed"
            raise PicoctlError(f"{message} (picoctl exit status {done.returncode})", out, err,
                               status=done.returncode)
        try:   # one document (info, list, reboot) or JSON lines (flash)
            document = json.loads(text)
            return document if isinstance(document, list) else [document]
        except json.JSONDecodeError:
            return [json.loads(line) for line in out if line.strip().startswith("{")]

    @property
    def port(self) -> str:
        """The board's USB port path on the exporter host (`1-3.2`)."""
        return str(self.device.path)

    @Driver.check_active
    @step(args=["image"])
    def flash(self, image: str | None = None) -> dict:
        """Flashes `image` (a path, or an image name of the environment) and starts it; returns the
        `finished` event of `picoctl flash --json`."""
        image = image or self.image
        if image is None:
            raise PicoctlError("flash needs an image", status=None)
        if not os.path.exists(image) and self.target.env:
            image = self.target.env.config.get_image_path(image)   # an image named in the environment
        managed = ManagedFile(image, self.device)
        managed.sync_to_resource()
        events = self._run(["flash", managed.get_remote_path(), "--port", self.port])
        return next((e for e in reversed(events) if e.get("event") == "finished"), events[-1] if events else {})

    @Driver.check_active
    @step(args=["bootsel"])
    def reboot(self, bootsel: bool = False) -> dict:
        """Reboots the board into its app, or into BOOTSEL with `bootsel=True`; returns picoctl's result."""
        events = self._run(["reboot", "--port", self.port, "--bootsel" if bootsel else "--app"])
        return events[-1] if events else {}

    @Driver.check_active
    @step()
    def info(self) -> dict:
        """What picoctl reads from the board (`picoctl info --device --json`)."""
        events = self._run(["info", "--device", "--port", self.port])
        return events[-1] if events else {}

    @Driver.check_active
    @step()
    def list(self) -> list[dict]:
        """Every Pico-family board on the exporter host (`picoctl list --json`)."""
        events = self._run(["list"])
        return events[-1]["boards"] if events else []

    @Driver.check_active
    @step(args=["args"])
    def monitor(self, args: list[str] | tuple[str, ...] = ()) -> int:
        """Follows the board's console with `picoctl monitor --port PATH ARGS` on the exporter host, across
        resets and re-flashing (picoctl follows the tty through udev there); its output is passed through.
        Returns picoctl's exit status (0 `--expect` seen, 10 `--fail-on`, 11 `--timeout`, ...). Bound the run
        with `--timeout`. The tty must be free: not held by a labgrid console at the same time."""
        command = self.device.wrap_command([self.picoctl, "monitor", "--port", self.port, "--no-input", *args])
        self.logger.debug("Running %s", " ".join(command))
        return subprocess.run(command, stdin=subprocess.DEVNULL).returncode

