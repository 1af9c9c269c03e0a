"""The board is removed and re-added 50 times mid-stream: every line it printed while connected
reaches stdout and the log file, in order, with nothing lost, doubled or reordered."""
from __future__ import annotations

import signal
import statistics

from conftest import Running, make_bootable

CYCLES = 50
LINES = 20


def sent_lines(cycle: int) -> list[str]:
    return [f"c{cycle:02d} line {j:02d} " + "x" * (j * 7 % 50) for j in range(LINES)]


def test_fifty_unplugs_mid_stream_lose_nothing(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="app", heartbeat=0)
    make_bootable(boards)
    serial = boards.board(0)["serial"]
    log = tmp_path / "board.log"
    run = Running(boards, [picoctl, "monitor", "-v", "--serial", serial, "--log", str(log), "--timeout", "300"])
    expected: list[str] = []
    for cycle in range(CYCLES):
        boards.wait(0, mode="app", dtr=True, timeout=20)
        # The app prints its banner when DTR rises; let it finish so two writers do not interleave.
        run.wait_for(f" boot {cycle + 1}\r\n".encode(), timeout=20)
        lines = sent_lines(cycle)
        stream = "".join(line + "\r\n" for line in lines).encode()
        # Written in pieces that cut lines (and CR LF pairs) in two, as USB packets do.
        for start in range(0, len(stream), 61):
            boards.tty_write(0, stream[start:start + 61])
        tail = f"c{cycle:02d} partial line cut by the unplug"
        boards.tty_write(0, tail)
        expected += lines + [tail]
        run.wait_for(tail.encode(), timeout=20)
        boards.unplug(0)
        boards.plug(0)
    boards.wait(0, mode="app", dtr=True, timeout=20)
    boards.tty_write(0, "ALL DONE\r\n")
    run.wait_for(b"ALL DONE\r\n")
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish(timeout=60) == 130, run.stderr

    shown = [line for line in run.stdout.replace("\r\n", "\n").split("\n") if line.startswith("c")]
    assert shown == expected
    logged = [line for line in log.read_text().split("\n") if line.startswith("c")]
    assert logged == expected
    assert run.stderr.count("disconnected from") == CYCLES
    assert run.stderr.count("reconnected to") == CYCLES
    # Each connection raised DTR, and the board saw it: once at start plus once per replug.
    rises = boards.events(event="lines", dtr=True)
    assert len(rises) == CYCLES + 1
    delays = [float(part.split(" ms after")[0].rsplit(" ", 1)[1])
              for part in run.stderr.splitlines() if "ms after the tty appeared" in part]
    assert len(delays) == CYCLES
    print(f"\nuevent → DTR over {len(delays)} reconnections: median {statistics.median(delays):.2f} ms, "
          f"max {max(delays):.2f} ms")
