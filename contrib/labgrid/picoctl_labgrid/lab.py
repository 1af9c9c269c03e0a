"""One view of the lab: every Pico board that any exporter publishes, with its name, host, mode, console
and the place that holds it, from the coordinator's resource list."""
from __future__ import annotations

# USB product ids of Raspberry Pi (vendor 0x2e8a) devices, as `picoctl list` names the modes.
MODES = {0x0003: "bootsel", 0x000F: "bootsel", 0x000A: "app", 0x0005: "micropython", 0x000C: "debugprobe"}
PI_VENDOR = 0x2E8A


def board_rows(resources: dict) -> list[dict]:
    """Rows for `resources` as the coordinator sends them: {exporter: {group: {name: entry}}}, where an
    entry has `cls`, `params` (host, path, vendor_id, model_id, port), `avail` and `acquired`.

    A group is a board when it has a USB resource (`NetworkUSBFlashableDevice`, as `picoctl lab
    labgrid-exporter` writes them); its mode comes from the USB product id while it is present."""
    rows = []
    for exporter, groups in sorted(resources.items()):
        for group, entries in sorted(groups.items()):
            usb = next((e for e in entries.values() if entry_cls(e) in ("NetworkUSBFlashableDevice", "USBFlashableDevice")),
                       None)
            if usb is None:
                continue
            params = entry_params(usb)
            vendor, model = params.get("vendor_id"), params.get("model_id")
            if entry_avail(usb) and vendor is not None and vendor != PI_VENDOR:
                continue
            console = next((e for e in entries.values() if entry_cls(e) == "NetworkSerialPort"), None)
            url = None
            if console is not None and entry_avail(console):
                cp = entry_params(console)
                url = f"{cp.get('protocol', 'rfc2217')}://{cp.get('host')}:{cp.get('port')}".replace("raw://", "tcp://")
            held = next((entry_acquired(e) for e in entries.values() if entry_acquired(e)), None)
            rows.append({
                "name": group, "exporter": exporter, "host": params.get("host"), "port": params.get("path"),
                "mode": (MODES.get(model, f"{model:04x}" if isinstance(model, int) else "unknown")
                         if entry_avail(usb) else "absent"),
                "console": url, "place": held,
            })
    return rows


def entry_cls(entry) -> str:
    return entry["cls"] if isinstance(entry, dict) else entry.cls


def entry_params(entry) -> dict:
    return entry["params"] if isinstance(entry, dict) else entry.params


def entry_avail(entry) -> bool:
    return bool(entry.get("avail") if isinstance(entry, dict) else entry.avail)


def entry_acquired(entry):
    return entry.get("acquired") if isinstance(entry, dict) else entry.acquired


def render(rows: list[dict]) -> str:
    """A table like `picoctl list`'s: NAME HOST PORT MODE PLACE CONSOLE."""
    header = ["NAME", "HOST", "PORT", "MODE", "PLACE", "CONSOLE"]
    table = [header] + [[r["name"], r["host"] or "-", r["port"] or "-", r["mode"], r["place"] or "-", r["console"] or "-"]
                        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table)


def fetch(coordinator: str) -> dict:
    """The coordinator's resources, through labgrid's client session."""
    from labgrid.remote.client import start_session
    session = start_session(coordinator)
    try:
        return session.resources
    finally:
        session.loop.run_until_complete(session.stop())
        session.loop.run_until_complete(session.close())
