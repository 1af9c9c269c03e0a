"""`python -m picoctl_labgrid`: a labgrid target's Pico board from the shell.

    python -m picoctl_labgrid -c env.yaml flash firmware.uf2
    python -m picoctl_labgrid -c env.yaml reboot --bootsel
    python -m picoctl_labgrid -c env.yaml info
    python -m picoctl_labgrid -c env.yaml list
    python -m picoctl_labgrid -c env.yaml monitor --expect READY --timeout 60   # picoctl monitor on the exporter host
    python -m picoctl_labgrid lab [-x COORDINATOR] [--json]   # every Pico board of every exporter

The environment file (`-c`, else $LG_ENV) names the target (`--role`, default `main`) with a
`PicoctlDriver`; for a remote place, acquire it first (`labgrid-client -p PLACE acquire`). Results
are printed as JSON; a picoctl failure prints its message and exits with picoctl's exit status.
`monitor` passes its options to `picoctl monitor` and its output through, and exits with its status.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m picoctl_labgrid", description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", default=os.environ.get("LG_ENV"), help="labgrid environment file ($LG_ENV)")
    parser.add_argument("--role", default="main", help="the target in the environment (default: main)")
    commands = parser.add_subparsers(dest="command", required=True)
    flash = commands.add_parser("flash", help="flash an image and start it")
    flash.add_argument("image")
    reboot = commands.add_parser("reboot", help="reboot into the app, or into BOOTSEL")
    reboot.add_argument("--bootsel", action="store_true")
    commands.add_parser("info", help="what picoctl reads from the board")
    commands.add_parser("list", help="every Pico-family board on the exporter host")
    commands.add_parser("monitor", help="picoctl monitor on the exporter host (its options follow)")
    lab = commands.add_parser("lab", help="every Pico board of every exporter: name, host, mode, place, console")
    lab.add_argument("-x", "--coordinator", default=os.environ.get("LG_COORDINATOR", "127.0.0.1:20408"))
    lab.add_argument("--json", action="store_true")
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `monitor` belongs to picoctl monitor, options included.
    at = next((i for i, word in enumerate(argv) if word == "monitor"
               and (i == 0 or argv[i - 1] not in ("-c", "--config", "--role"))), None)
    passed = argv[at + 1:] if at is not None else []
    args = parser.parse_args(argv[:at + 1] if at is not None else argv)
    if args.command == "lab":
        from .lab import board_rows, fetch, render
        rows = board_rows(fetch(args.coordinator))
        print(json.dumps(rows) if args.json else render(rows))
        return 0
    if not args.config:
        parser.error("no environment file: pass -c ENV.yaml or set LG_ENV")

    from labgrid import Environment
    from .driver import PicoctlError

    from labgrid.exceptions import NoConfigFoundError
    try:
        target = Environment(args.config).get_target(args.role)
    except NoConfigFoundError as error:
        print(f"picoctl_labgrid: {error.msg}", file=sys.stderr)
        return 2
    if target is None:
        print(f"picoctl_labgrid: no target '{args.role}' in {args.config}", file=sys.stderr)
        return 2
    try:
        driver = target.get_driver("PicoctlDriver")
        if args.command == "flash":
            result = driver.flash(args.image)
        elif args.command == "reboot":
            result = driver.reboot(bootsel=args.bootsel)
        elif args.command == "monitor":
            return driver.monitor(passed)
        elif args.command == "info":
            result = driver.info()
        else:
            result = driver.list()
    except PicoctlError as error:
        print(f"picoctl_labgrid: {error.msg}", file=sys.stderr)
        return error.status if isinstance(error.status, int) and error.status > 0 else 1
    finally:
        target.cleanup()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
