"""Compress a ROMFS image as hard as pays, as one raw-deflate stream.

The device inflates the whole image into one buffer with no separate window, so the
encoder may use the full 32 KiB window at no cost to the reader.  Candidates are
zlib at level 9 (default and filtered strategies) and zopfli; the smallest stream
wins, and the image is stored uncompressed when deflate does not save a byte.
Every candidate is inflated again before it is accepted.
"""

import zlib

try:
    import zopfli.zopfli as _zopfli
except ImportError:  # zopfli is a dependency, but keep working without it
    _zopfli = None

from .image import METHOD_DEFLATE, METHOD_STORED

EFFORTS = ("fast", "best")


def zlib_raw(data, level=9, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return c.compress(data) + c.flush()


def zopfli_raw(data, iterations):
    out = _zopfli.compress(bytes(data), numiterations=iterations, blocksplitting=1)
    # zopfli emits a zlib stream: 2-byte header (never with a preset dictionary) and a
    # 4-byte Adler-32 trailer around the raw deflate data.
    assert out[0] & 0x0F == 8 and not out[1] & 0x20
    return out[2:-4]


def candidates(data, effort="best"):
    yield "zlib-9", zlib_raw(data)
    if effort == "fast":
        return
    yield "zlib-9-filtered", zlib_raw(data, strategy=zlib.Z_FILTERED)
    if _zopfli is not None:
        # Images are at most a few hundred KiB: many iterations stay affordable.
        iterations = 100 if len(data) <= 64 * 1024 else 15
        yield "zopfli-%d" % iterations, zopfli_raw(data, iterations)


def best(data, effort="best"):
    """Return (method, payload, label) for the smallest encoding of data."""
    method, payload, label = METHOD_STORED, bytes(data), "stored"
    for name, raw in candidates(data, effort):
        if len(raw) < len(payload):
            if zlib.decompress(raw, -15) != data:  # never trust an encoder blindly
                raise AssertionError("%s produced a stream that does not inflate back" % name)
            method, payload, label = METHOD_DEFLATE, raw, name
    return method, payload, label
