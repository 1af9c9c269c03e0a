"""Every JSON document and JSON-lines stream picoctl prints, from the built binary on emulated
boards, validated against its JSON Schema in docs/schema/ (one file per document). The schemas hold
the one style: snake_case keys, "schema": 1 everywhere, addresses as "0x%08x"."""
import json
import os
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[3]
PICOCTL = str(REPO / ".build" / "debug" / "picoctl")
SCHEMAS = REPO / "docs" / "schema"
DUMP = os.environ.get("PICOCTL_JSON_DUMP")  # a folder: write every output there too (to look at)


def schema(name: str) -> dict:
    document = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    return document


def check(name: str, text: str, lines: bool = False) -> list[dict]:
    """Validates `text` (one document, or JSON lines) against docs/schema/NAME.schema.json."""
    if DUMP:
        with open(Path(DUMP) / f"{name}.json", "a") as out:
            out.write(text)
    values = [json.loads(l) for l in text.splitlines() if l.strip()] if lines else [json.loads(text)]
    assert values, f"{name}: no JSON output"
    if DUMP and not (SCHEMAS / f"{name}.schema.json").exists():
        return values
    validator = jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker())
    for value in values:
        errors = sorted(validator.iter_errors(value), key=str)
        assert not errors, f"{name}: {value}\n" + "\n".join(e.message for e in errors)
        assert value["schema"] == 1, value
    return values


def test_every_schema_file_is_a_valid_schema_and_is_used():
    names = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    used = {"info", "info-device", "uf2-validate", "list", "list-watch", "flash", "flash-all", "save", "erase",
            "verify", "reboot", "monitor", "doctor", "uf2-info", "otp", "otp-white-label"}
    assert names == used
    for name in names:
        schema(name)


def test_file_commands_json_matches_the_schemas(tmp_path):
    if not Path(PICOCTL).exists():
        pytest.skip("picoctl is not built (swift build)")
    import subprocess
    run = lambda *a: subprocess.run([PICOCTL, *a], capture_output=True, text=True, timeout=60)
    (tmp_path / "app.bin").write_bytes(bytes((i * 7) & 0xFF for i in range(5000)))
    assert run("uf2", "convert", str(tmp_path / "app.bin"), str(tmp_path / "app.uf2"), "--family", "rp2350-arm-s").returncode == 0
    for name in ("app.bin", "app.uf2"):
        info = check("info", run("info", "--json", str(tmp_path / name)).stdout)[0]
        assert info["ranges"][0]["start"] == "0x10000000"
    check("uf2-validate", run("uf2", "validate", "--json", str(tmp_path / "app.uf2")).stdout)
    check("uf2-info", run("uf2", "info", "--json", str(tmp_path / "app.uf2")).stdout)
    check("doctor", run("doctor", "--json").stdout)


def test_device_commands_json_matches_the_schemas(emulated_board, tmp_path):
    if not Path(PICOCTL).exists():
        pytest.skip("picoctl is not built (swift build)")
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "port": "2"}, {"kind": "sim-rp2350", "mode": "app", "port": "3"}])
    run = lambda *a: boards.run([PICOCTL, *a], timeout=120)
    image = tmp_path / "app.bin"
    image.write_bytes(bytes((i * 13 + 1) & 0xFF for i in range(9000)))

    listed = check("list", run("list", "--json").stdout)[0]
    assert sorted(b["port"] for b in listed["boards"]) == ["1-2", "1-3"]
    check("list-watch", run("list", "--watch", "--json", "--timeout", "1").stdout, lines=True)

    flash = run("flash", str(image), "--port", "1-2", "--no-reboot", "--force", "--json")
    assert flash.returncode == 0, flash.stderr
    events = check("flash", flash.stdout, lines=True)
    assert [e["event"] for e in events][-1] == "finished"
    check("info-device", run("info", "--device", "--json", "--port", "1-2").stdout)
    saved = check("save", run("save", str(tmp_path / "back.bin"), "--port", "1-2", "--json").stdout)[0]
    assert saved["start"] == "0x10000000" and saved["end"] == "0x10003000", saved
    mismatch = run("verify", str(image), "--offset", "0x10001000", "--port", "1-2", "--json")
    assert mismatch.returncode == 1
    check("verify", mismatch.stdout)
    check("verify", run("verify", str(image), "--port", "1-2", "--json").stdout)
    check("erase", run("erase", "--range", "0x10004000+0x1000", "--port", "1-2", "--json").stdout)

    monitor = run("monitor", "--port", "1-3", "--json", "--expect", "tick 1", "--timeout", "30")
    assert monitor.returncode == 0, monitor.stderr
    check("monitor", monitor.stdout, lines=True)
    check("reboot", run("reboot", "--bootsel", "--port", "1-3", "--json").stdout)
    boards.wait(1, mode="bootsel", timeout=30)
    check("flash-all", run("flash", str(image), "--all", "--no-reboot", "--force", "--json").stdout, lines=True)


def test_rp2350_commands_json_matches_the_schemas(emulated_board, tmp_path):
    if not Path(PICOCTL).exists():
        pytest.skip("picoctl is not built (swift build)")
    otp = {"72": 0x2, "0": 0x1234, "89": 0x40_0021, "90": 0x40_0021, "91": 0x40_0021, "92": 0x100,
           "256": 0x2e8b, "261": 0x1005, "272": 0x6548, "273": 0x6c6c, "274": 0x006f}
    boards = emulated_board(boards=[{"kind": "sim-rp2350", "flash_size": 4 << 20, "otp": otp}])
    run = lambda *a: boards.run([PICOCTL, *a], timeout=120)
    info = check("info-device", run("info", "--device", "--json").stdout)[0]
    assert info["chip"] == "rp2350"
    check("otp", run("otp", "list", "0x0-0x1", "--json").stdout, lines=True)
    check("otp", run("otp", "get", "BOOT_FLAGS0.ENABLE_BOOTSEL_LED", "--json").stdout, lines=True)
    check("otp-white-label", run("otp", "white-label", "--json").stdout)
