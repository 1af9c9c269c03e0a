"""The client's side of the lab test, run in the client's network namespace:

    python lab_client.py ENV.yaml banner PATTERN   # waits for the console port, toggles DTR, prints what arrives until PATTERN
    python lab_client.py ENV.yaml port             # the exported console's host and port, as JSON

Every wait is bounded; the SSH connections labgrid opened are closed before exiting.
"""
from __future__ import annotations

import json
import re
import sys
import time

from labgrid import Environment
from labgrid.util.ssh import sshmanager


def console_resource(target):
    for resource in target.resources:
        if type(resource).__name__ == "NetworkSerialPort":
            return resource
    raise SystemExit("the place has no NetworkSerialPort")


def main() -> int:
    env_file, command = sys.argv[1], sys.argv[2]
    target = Environment(env_file).get_target("main")
    try:
        port = console_resource(target)
        target.await_resources([port], timeout=90.0)
        if command == "port":
            print(json.dumps({"host": port.host, "port": port.port}))
            return 0
        serial = target.get_driver("SerialDriver")
        # The board prints its banner when the host raises DTR; labgrid flushes what arrived while it
        # opened the port, so drop and raise DTR again (RFC 2217 SET-CONTROL through ser2net).
        serial.serial.dtr = False
        time.sleep(0.3)
        serial.serial.dtr = True
        pattern = re.compile(sys.argv[3].encode())
        seen = b""
        deadline = time.monotonic() + 60
        while not pattern.search(seen) and time.monotonic() < deadline:
            try:
                seen += serial.read(size=4096, timeout=1.0)
            except TimeoutError:
                pass
        sys.stdout.write(seen.decode(errors="replace"))
        return 0 if pattern.search(seen) else 1
    finally:
        target.cleanup()
        sshmanager.close_all()


if __name__ == "__main__":
    sys.exit(main())
