#!/usr/bin/env python3
"""Serial figures of the built `picoctl monitor`:

1. throughput: a pty plays the board and writes log lines as fast as it can; the monitor follows it
   (with --expect, so output goes line by line; with and without --timestamps --log). Reports MB/s
   and the monitor's CPU seconds per MB (its own rusage).
2. latency from a tty's appearance to DTR: an emulated board (Tests/Harness) is plugged N times
   while the monitor waits for it; the board's model records when DTR rose. Reports the delay from
   the plug request to DTR (includes the harness creating the device) and the monitor's own
   figure (uevent received to DTR raised, from --verbose).

    .venv/bin/python Benchmarks/serial_bench.py [--megabytes 32] [--plugs 20]

The library-level throughput (no process, no stdout) is the SerialBenchmarks target of the Benchmarks package.
"""
from __future__ import annotations

import argparse
import os
import pty
import re
import statistics
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "Harness"))


def throughput(picoctl: str, megabytes: int, extra: list[str]) -> str:
    master, slave = pty.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    os.close(slave)
    log = Path("/tmp/picoctl-serial-bench.log")
    log.unlink(missing_ok=True)
    args = [picoctl, "monitor", path, "--expect", "^END$", "--timeout", "120"]
    args += [a.replace("LOG", str(log)) for a in extra]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
    proc.stderr.readline()                                   # "picoctl: connected to ..."
    line = b"[adc] sample 123456 value=2048 temp=27.5C ok\r\n"
    chunk = line * (65536 // len(line))
    total = megabytes * 1_000_000
    start = time.monotonic()
    sent = 0
    while sent < total:
        sent += os.write(master, chunk)
    os.write(master, b"END\r\n")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    os.close(master)
    cpu = usage.ru_utime + usage.ru_stime
    mb = sent / 1e6
    code = os.waitstatus_to_exitcode(status)
    return (f"{' '.join(extra) or 'plain':>28}: {mb:.0f} MB in {seconds:.2f} s = {mb / seconds:.1f} MB/s, "
            f"{cpu:.2f} CPU s = {cpu / mb:.4f} CPU s/MB (exit {code})")


def latency(picoctl: str, plugs: int) -> str:
    from picoharness.client import EmulatedBoards
    from picoharness.flash import crc32_mpeg2
    with EmulatedBoards(mode="off", heartbeat=0) as boards:
        head = bytes(252)
        boards.write_flash(0, 0, head + crc32_mpeg2(head).to_bytes(4, "little"))
        serial = boards.board(0)["unique_id"]
        proc = boards.popen([picoctl, "monitor", "-v", "--serial", serial], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
        err: list[str] = []
        threading.Thread(target=lambda: err.extend(l.decode() for l in proc.stderr), daemon=True).start()
        time.sleep(0.5)
        outside = []
        for _ in range(plugs):
            since = len(boards.events())
            before = time.monotonic()
            boards.plug(0)
            rise = boards.events(since=since, timeout=10, event="lines", dtr=True)
            outside.append((rise[0]["t"] - before) * 1000)
            boards.unplug(0)
            time.sleep(0.05)
        proc.terminate()
        proc.wait(10)
        time.sleep(0.2)
    inside = [float(m.group(1)) for m in (re.search(r"DTR raised ([0-9.]+) ms after", l) for l in err) if m]
    return (f"plug request → DTR at the board: median {statistics.median(outside):.2f} ms, "
            f"max {max(outside):.2f} ms over {len(outside)} plugs\n"
            f"uevent received → DTR raised (monitor): median {statistics.median(inside):.2f} ms, "
            f"max {max(inside):.2f} ms over {len(inside)}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--picoctl", default=str(REPO / ".build" / "release" / "picoctl"))
    p.add_argument("--megabytes", type=int, default=32)
    p.add_argument("--plugs", type=int, default=20)
    args = p.parse_args()
    if not os.access(args.picoctl, os.X_OK):
        print(f"{args.picoctl} is not built (swift build -c release --product picoctl)", file=sys.stderr)
        return 1
    print("throughput of picoctl monitor from a pty:")
    for extra in ([], ["--timestamps=mono", "--log", "LOG"]):
        print("  " + throughput(args.picoctl, args.megabytes, extra))
    print("tty appearance → DTR (emulated board, umockdev):")
    print("  " + latency(args.picoctl, args.plugs).replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
