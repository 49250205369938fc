"""micropython-lib's `gzip` (read side), on the deflate built-in.  Debian's
MicroPython source has no micropython-lib, so the badge's copy is not available."""

import builtins
import deflate
import io


def decompress(data):
    return deflate.DeflateIO(io.BytesIO(data), deflate.GZIP).read()


def open(filename, mode="rb"):
    if mode not in ("r", "rb"):
        raise ValueError("only reading is supported")
    return deflate.DeflateIO(builtins.open(filename, "rb"), deflate.GZIP, 0, True)
