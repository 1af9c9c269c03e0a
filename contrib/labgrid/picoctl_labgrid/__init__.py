"""labgrid support for Raspberry Pi Pico boards through picoctl.

Importing the package registers `PicoctlDriver` with labgrid; an environment file loads it with
`imports: [picoctl_labgrid]`.
"""
from .driver import PicoctlDriver, PicoctlError

__all__ = ["PicoctlDriver", "PicoctlError"]
