"""`picoctl monitor rfc2217://` and `tcp://`: against a scripted server fed byte by byte (every option
sequence, IAC-escaped data both ways, drops), and against Debian's ser2net serving an emulated board's tty."""
from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import socket
import subprocess
import threading
import time
import tty

import pytest

from conftest import Running

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
BINARY, ECHO, SGA, TTYPE, COM = 0, 1, 3, 24, 44


def sb(code: int, *value: int) -> bytes:
    """A COM-PORT-OPTION subnegotiation as a server sends it (value IAC-escaped)."""
    body = bytes(value).replace(b"\xff", b"\xff\xff")
    return bytes([IAC, SB, COM, code]) + body + bytes([IAC, SE])


class ScriptedServer:
    """A TCP server on loopback that plays one script per connection: ("send", bytes) goes out one byte
    per segment, ("expect", bytes) waits until the client has sent exactly that much more, ("close",)
    hangs up. What each connection received is kept. Every wait is bounded."""

    def __init__(self, scripts: list[list[tuple]]):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(15)
        self.port = self.listener.getsockname()[1]
        self.scripts = scripts
        self.received: list[bytearray] = []
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            for script in self.scripts:
                conn, _ = self.listener.accept()
                with conn:
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    conn.settimeout(10)
                    got = bytearray()
                    self.received.append(got)
                    for step in script:
                        if step[0] == "send":
                            for byte in step[1]:
                                conn.sendall(bytes([byte]))
                                time.sleep(0.001)
                        elif step[0] == "expect":
                            want = len(got) + len(step[1])
                            while len(got) < want:
                                chunk = conn.recv(want - len(got))
                                if not chunk:
                                    break
                                got += chunk
                            if bytes(got[-len(step[1]):]) != step[1]:
                                self.failures.append(f"expected {step[1]!r}, client sent {bytes(got)!r}")
                                return
                        elif step[0] == "close":
                            break
        except OSError as error:
            self.failures.append(f"server: {error}")
        finally:
            self.listener.close()

    def join(self) -> None:
        self.thread.join(15)
        assert not self.failures, self.failures


def run_monitor(picoctl: str, argv: list[str], stdin=None) -> Running:
    class Plain:   # Running needs only popen from the harness; these tests run without the preload
        @staticmethod
        def popen(args, **kw):
            return subprocess.Popen(args, stdin=stdin if stdin is not None else subprocess.DEVNULL, **kw)
    return Running(Plain, [picoctl, "monitor", *argv])


OPENING = bytes([IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA, IAC, WILL, COM])


def test_rfc2217_options_settings_and_escaped_data_byte_by_byte(picoctl):
    client_settings = bytes([IAC, SB, COM, 1, 0x00, 0x00, 0x25, 0x80, IAC, SE,    # 9600 baud
                             IAC, SB, COM, 2, 7, IAC, SE,                          # 7 data bits
                             IAC, SB, COM, 3, 3, IAC, SE,                          # even parity
                             IAC, SB, COM, 4, 2, IAC, SE,                          # 2 stop bits
                             IAC, SB, COM, 5, 1, IAC, SE,                          # no flow control
                             IAC, SB, COM, 5, 8, IAC, SE,                          # DTR on
                             IAC, SB, COM, 5, 11, IAC, SE,                         # RTS on
                             IAC, SB, COM, 12, 3, IAC, SE])                        # purge both
    answers = (sb(101, 0, 0, 0x25, 0x80) + sb(102, 7) + sb(103, 3) + sb(104, 2) + sb(105, 1) + sb(105, 8)
               + sb(105, 11) + sb(112, 3) + sb(106, 0x60) + sb(107, 0xB0) + sb(108) + sb(109)
               + sb(100, *b"scripted") + sb(101, 0, 0, 0xFF, 0x00))                 # an escaped IAC in a value
    server = ScriptedServer([[
        ("expect", OPENING),
        ("send", bytes([IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA,
                        IAC, WILL, ECHO, IAC, DO, TTYPE, IAC, 241, IAC, DO, COM])),
        ("expect", bytes([IAC, DO, ECHO, IAC, WONT, TTYPE]) + client_settings),
        ("send", answers + b"data \xff\xff|\xff\xff\xff\xff| ok\r\n" + b"ready\r\n"),
        ("expect", b"a\xff\xffb\r"),                                                  # typed: IAC doubled
        ("send", b"got it\r\nend\r\n"),
    ]])
    master, slave = pty.openpty()
    run = run_monitor(picoctl, [f"rfc2217://127.0.0.1:{server.port}?format=7E2&purge=both", "--baud", "9600",
                                "--json", "--expect", "^end$", "--timeout", "20"], stdin=slave)
    os.close(slave)
    try:
        run.wait_for(b'"text":"ready"')
        os.write(master, b"a\xffb\r")
        assert run.finish() == 0, run.stderr
    finally:
        os.close(master)
    server.join()
    events = [json.loads(line) for line in run.stdout.splitlines()]
    lines = [e for e in events if e["event"] == "line"]
    assert bytes.fromhex(lines[0]["hex"]) == b"data \xff|\xff\xff| ok"
    assert [e["text"] for e in lines[1:]] == ["ready", "got it", "end"]
    assert events[0]["event"] == "connected" and events[0]["dtr"] == "asserted"
    assert events[-1] == {"schema": 1, "event": "end", "reason": "expected", "status": 0}


def test_reconnects_when_the_server_drops_and_tcp_sends_nothing_of_its_own(picoctl):
    server = ScriptedServer([[("send", b"boot 1\n"), ("close",)],
                             [("send", b"boot 2\npartial"), ("close",)],
                             [("send", b"boot 3\n")]])
    run = run_monitor(picoctl, [f"tcp://127.0.0.1:{server.port}", "--expect", "boot 3", "--timeout", "20"])
    assert run.finish() == 0, run.stderr
    assert run.stdout.splitlines() == ["boot 1", "boot 2", "partial", "boot 3"]
    assert "reconnected to tcp://127.0.0.1" in run.stderr and "(reconnection 2)" in run.stderr
    server.join()
    assert server.received[:2] == [bytearray(), bytearray()], "raw TCP: no Telnet negotiation"


def test_no_server_is_exit_4_without_reconnect_and_a_bad_url_is_refused(picoctl):
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    run = run_monitor(picoctl, [f"rfc2217://127.0.0.1:{port}", "--no-reconnect", "--timeout", "10"])
    assert run.finish() == 4
    assert "Connection refused" in run.stderr
    waited = run_monitor(picoctl, [f"rfc2217://127.0.0.1:{port}", "--timeout", "1"])
    assert waited.finish() == 11, "with reconnection the monitor waits for the server"
    assert waited.stderr.count("Connection refused") == 1, "a server still away is retried without a word"
    bad = run_monitor(picoctl, ["rfc2217://127.0.0.1", "--timeout", "1"])
    assert bad.finish() == 64
    assert "port is missing" in bad.stderr


@pytest.mark.skipif(shutil.which("ser2net") is None and not os.path.exists("/usr/sbin/ser2net"),
                    reason="ser2net is not installed (Scripts/setup.sh installs it)")
def test_ser2net_serves_an_emulated_board_and_a_restart_is_followed(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0.2)
    board = boards.board(0)
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    config = [f"connection: &con0#  accepter: telnet(rfc2217),tcp,127.0.0.1,{port}",
              f"  connector: serialdev,{board['tty']},115200n81,local"]

    def start_ser2net() -> subprocess.Popen:
        argv = [shutil.which("ser2net") or "/usr/sbin/ser2net", "-n", "-u"]
        for line in config:
            argv += ["-Y", line]
        proc = boards.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:   # listening?
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proc
            except OSError:
                time.sleep(0.05)
        proc.kill()
        pytest.fail("ser2net did not listen")

    server = start_ser2net()
    run = run_monitor(picoctl, [f"rfc2217://127.0.0.1:{port}", "--json", "--timeout", "60"])

    def events() -> list[dict]:
        return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]

    try:
        run.wait_for(b"tick 3", timeout=20)
        # DTR went through RFC 2217 to ser2net, which raised it on the emulated tty: the app printed its banner.
        assert f"picoctl-sim app on rp2040 serial {board['serial']}" in run.stdout
        server.terminate()
        server.wait(10)
        run.wait_for(b'"event":"disconnected"', timeout=10)
        server = start_ser2net()
        run.wait_for(b'"event":"reconnected"', timeout=20)
        deadline = time.monotonic() + 20
        while not any(e["event"] == "line" for e in events()[[e["event"] for e in events()].index("reconnected"):]):
            assert time.monotonic() < deadline, f"no line after the reconnection: {run.stdout}"
            time.sleep(0.1)
        run.proc.send_signal(signal.SIGINT)
        assert run.finish(timeout=20) == 130, run.stderr
    finally:
        server.terminate()
        server.wait(10)
    kinds = [e["event"] for e in events()]
    assert kinds.index("connected") < kinds.index("disconnected") < kinds.index("reconnected")
    assert kinds[-1] == "end" and events()[-1]["reason"] == "interrupted"
