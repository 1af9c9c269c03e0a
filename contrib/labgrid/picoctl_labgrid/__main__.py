"""`python -m picoctl_labgrid`: a labgrid target's Pico board from the shell.

    python -m picoctl_labgrid -c env.yaml flash firmware.uf2
    python -m picoctl_labgrid -c env.yaml reboot --bootsel
    python -m picoctl_labgrid -c env.yaml info
    python -m picoctl_labgrid -c env.yaml list

The environment file (`-c`, else $LG_ENV) names the target (`--role`, default `main`) with a
`PicoctlDriver`; for a remote place, acquire it first (`labgrid-client -p PLACE acquire`). Results
are printed as JSON; a picoctl failure prints its message and exits with picoctl's exit status.
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
    args = parser.parse_args(argv)
    if not args.config:
        parser.error("no environment file: pass -c ENV.yaml or set LG_ENV")

    from labgrid import Environment
    from .driver import PicoctlError

    target = Environment(args.config).get_target(args.role)
    if target is None:
        print(f"picoctl_labgrid: no target '{args.role}' in {args.config}", file=sys.stderr)
        return 2
    try:
        driver = target.get_driver("PicoctlDriver")
        if args.command == "flash":
            result = driver.flash(args.image)
        elif args.command == "reboot":
            result = driver.reboot(bootsel=args.bootsel)
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
