"""`monitor --elf`: code addresses in the board's lines annotated from an ELF the test builds (Clang
from the Swift toolchain, or arm-none-eabi-gcc), through the built binary on a pty board."""
from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import threading
import time
import tty
from pathlib import Path

import pytest

SOURCE = """
static volatile int sink;
__attribute__((noinline)) int helper(int x) {
    sink = x;
    return x * 3 + sink;
}
int main(void) { return helper(4); }
void Reset_Handler(void) { main(); for (;;) {} }
"""


def compiler() -> list[str] | None:
    clang = shutil.which("clang") or ("/opt/swift/usr/bin/clang" if os.path.exists("/opt/swift/usr/bin/clang") else None)
    if clang:
        return [clang, "--target=thumbv6m-none-eabi", "-mcpu=cortex-m0plus", "-fuse-ld=lld"]
    gcc = shutil.which("arm-none-eabi-gcc")
    return [gcc, "-mcpu=cortex-m0plus", "-mthumb"] if gcc else None


@pytest.fixture(scope="module")
def elf(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    cc = compiler()
    if cc is None:
        pytest.skip("no Arm compiler (clang from the Swift toolchain or gcc-arm-none-eabi)")
    work = tmp_path_factory.mktemp("elf")
    (work / "main.c").write_text(SOURCE)
    out = work / "app.elf"
    subprocess.run(cc + ["-g", "-O1", "-ffreestanding", "-nostdlib", "-Wl,-N", "-Wl,-Ttext=0x10000100", "-Wl,-e,Reset_Handler",
                         "-o", str(out), str(work / "main.c")], check=True)
    nm = shutil.which("llvm-nm") or "/opt/swift/usr/bin/llvm-nm"
    symbols = {}
    for line in subprocess.run([nm, str(out)], capture_output=True, text=True, check=True).stdout.splitlines():
        value, _, name = line.split()
        symbols[name] = int(value, 16)
    return out, symbols


def start_monitor(picoctl, *args: str):
    """`monitor --quiet --no-reconnect ARGS` on a pty board: the board's end, the process, its stdout so far
    (filled by a thread) and that thread."""
    board, board_tty = pty.openpty()
    tty.setraw(board)
    name = os.ttyname(board_tty)
    os.close(board_tty)
    proc = subprocess.Popen([picoctl, "monitor", name, "--quiet", "--no-reconnect", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
    out = bytearray()

    def read_stdout() -> None:
        while chunk := proc.stdout.read1(4096):
            out.extend(chunk)

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    return board, proc, out, reader


def follow(picoctl, board_bytes: bytes, *args: str) -> subprocess.CompletedProcess:
    """Runs the monitor on a pty, writes `board_bytes` as the board, and hangs up once the monitor has
    shown the last line (a hang-up discards what the monitor has not read yet)."""
    board, proc, out, reader = start_monitor(picoctl, *args)
    time.sleep(0.3)
    os.write(board, board_bytes)
    last = board_bytes.strip().splitlines()[-1].decode()
    deadline = time.monotonic() + 10
    while last not in out.decode(errors="replace") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.close(board)
    err = proc.stderr.read()
    proc.wait(timeout=10)
    reader.join(timeout=10)
    return subprocess.CompletedProcess(proc.args, proc.returncode, bytes(out).decode(), err.decode())


def crash(symbols) -> bytes:
    pc, lr = symbols["helper"] + 4, symbols["main"] | 1
    return (f"HardFault pc=0x{pc:08x} lr=0x{lr:08X}\r\n"
            f"data at 0x20000000 and 0x10000100a is not code\r\nplain line\r\n").encode()


def test_code_addresses_are_annotated_and_the_text_is_kept(picoctl, elf):
    path, symbols = elf
    result = follow(picoctl, crash(symbols), "--elf", str(path))
    assert result.returncode == 7, result.stderr
    first, second, third = result.stdout.splitlines()
    pc, lr = symbols["helper"] + 4, symbols["main"] | 1
    assert first.startswith(f"HardFault pc=0x{pc:08x} <helper+0x4 at main.c:")
    assert f" lr=0x{lr:08X} <main at main.c:" in first
    assert second == "data at 0x20000000 and 0x10000100a is not code"
    assert third == "plain line"


def test_no_symbolize_and_json_fields(picoctl, elf):
    path, symbols = elf
    plain = follow(picoctl, crash(symbols), "--elf", str(path), "--no-symbolize")
    assert "<" not in plain.stdout
    events = [json.loads(line) for line in follow(picoctl, crash(symbols), "--elf", str(path), "--json").stdout.splitlines()]
    lines = [e for e in events if e["event"] == "line"]
    assert lines[0]["text"].startswith("HardFault pc=0x") and "<" not in lines[0]["text"], "the text stays as sent"
    decoded = lines[0]["symbols"]
    assert [(s["function"], s["offset"], Path(s["file"]).name) for s in decoded] == [("helper", 4, "main.c"), ("main", 0, "main.c")]
    assert all(isinstance(s["line"], int) and s["line"] > 0 for s in decoded)
    assert "symbols" not in lines[1]


def test_an_elf_that_is_not_one_is_an_error(picoctl, tmp_path):
    bogus = tmp_path / "app.elf"
    bogus.write_bytes(b"not an elf")
    result = subprocess.run([picoctl, "monitor", "/dev/null", "--elf", str(bogus)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "is not an ELF file" in result.stderr


def test_the_elf_beside_a_uf2_image_is_used_when_it_holds_the_same_bytes(picoctl, elf, tmp_path):
    path, symbols = elf
    uf2 = tmp_path / "app.uf2"
    beside = tmp_path / "app.elf"
    beside.write_bytes(path.read_bytes())
    converted = subprocess.run([picoctl, "uf2", "convert", str(beside), str(uf2), "--family", "rp2040"],
                               capture_output=True, text=True)
    assert converted.returncode == 0, converted.stderr
    result = follow(picoctl, crash(symbols), "--image", str(uf2))
    assert "<helper+0x4 at main.c:" in result.stdout
    other = tmp_path / "other.uf2"
    data = bytearray(uf2.read_bytes())
    helper = symbols["helper"] & ~1
    block = next(i for i in range(0, len(data), 512)
                 if int.from_bytes(data[i + 12:i + 16], "little") == helper & ~0xFF)
    data[block + 32 + (helper & 0xFF)] ^= 0xFF   # a byte of helper's code differs
    other.write_bytes(bytes(data))
    (tmp_path / "other.elf").write_bytes(path.read_bytes())
    result = follow(picoctl, crash(symbols), "--image", str(other))
    assert "<" not in result.stdout, "an ELF of another build is not used"


def test_an_address_cut_between_reads_and_an_unfinished_last_line(picoctl, elf):
    path, symbols = elf
    text = f"pc=0x{symbols['helper']:08x}\r\nlast 0x{symbols['main']:08x}".encode()
    board, proc, out, reader = start_monitor(picoctl, "--elf", str(path))
    time.sleep(0.3)
    for piece in (text[:7], text[7:]):       # "pc=0x10" | "000100..."
        os.write(board, piece)
        time.sleep(0.2)
    deadline = time.monotonic() + 10          # the first line shown: both pieces were read
    while b"\n" not in out and time.monotonic() < deadline:
        time.sleep(0.05)
    os.close(board)                          # the board goes away mid-line: the line is shown at the end
    proc.wait(timeout=10)
    reader.join(timeout=10)
    first, second = out.decode().splitlines()
    assert first.startswith(f"pc=0x{symbols['helper']:08x} <helper at main.c:")
    assert second.startswith(f"last 0x{symbols['main']:08x} <main at main.c:")


def test_a_partial_line_shows_at_once_with_symbols(picoctl, elf):
    """A prompt without a line end is shown as it arrives, as without --elf; an address cut between
    reads is annotated once its digits end."""
    path, symbols = elf
    board, proc, out, reader = start_monitor(picoctl, "--elf", str(path))

    def shown(text: bytes) -> bool:
        deadline = time.monotonic() + 10
        while text not in out and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        return text in out

    time.sleep(0.3)
    os.write(board, b"boot ok\r\nprompt> ")
    assert shown(b"prompt> "), f"the prompt waits for its line end: {bytes(out)!r}"
    helper = f"0x{symbols['helper']:08x}".encode()
    os.write(board, b"pc=" + helper[:6])
    assert shown(b"prompt> pc=" + helper[:6])
    os.write(board, helper[6:] + b" done\r\n")
    assert shown(b" done\n") or shown(b" done\r\n")
    os.close(board)
    proc.wait(timeout=10)
    reader.join(timeout=10)
    lines = out.decode().splitlines()
    assert lines[0] == "boot ok"
    assert lines[1].startswith(f"prompt> pc={helper.decode()} <helper at main.c:") and lines[1].endswith("> done")
