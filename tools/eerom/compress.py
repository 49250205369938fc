"""Compress a ROMFS image as hard as pays, as one raw-deflate stream.

The device inflates the whole image into one buffer with no separate window, so the
encoder may use the full 32 KiB window at no cost to the reader.  Candidates are
zlib at level 9 (default and filtered strategies) and zopfli; the smallest stream
wins, and the image is stored uncompressed when deflate does not save a byte.
Every candidate is inflated again before it is accepted.
"""

import ctypes
import struct
import zlib

try:
    import zopfli.zopfli as _zopfli
except ImportError:  # zopfli is a dependency, but keep working without it
    _zopfli = None

from . import romfs
from .image import METHOD_DEFLATE, METHOD_STORED


def zlib_raw(data, level=9, strategy=zlib.Z_DEFAULT_STRATEGY, dictionary=None):
    if dictionary:
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy, zdict=dictionary)
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return c.compress(data) + c.flush()


def inflate(raw, dictionary=None):
    """The bytes a raw deflate stream inflates to (with `dictionary` as history)."""
    d = zlib.decompressobj(-15, zdict=dictionary) if dictionary else zlib.decompressobj(-15)
    return d.decompress(raw) + d.flush()


def zopfli_raw(data, iterations):
    out = _zopfli.compress(bytes(data), numiterations=iterations, blocksplitting=1)
    # zopfli emits a zlib stream: 2-byte header (never with a preset dictionary) and a
    # 4-byte Adler-32 trailer around the raw deflate data.
    assert out[0] & 0x0F == 8 and not out[1] & 0x20
    return out[2:-4]


class _ZopfliOptions(ctypes.Structure):
    # zopfli.h's ZopfliOptions
    _fields_ = [("verbose", ctypes.c_int), ("verbose_more", ctypes.c_int), ("numiterations", ctypes.c_int),
                ("blocksplitting", ctypes.c_int), ("blocksplittinglast", ctypes.c_int),
                ("blocksplittingmax", ctypes.c_int)]


_zopfli_lib = None


def _zopfli_part():
    """zopfli's ZopfliDeflatePart, from the zopfli module's own library (it exports
    zopfli's C API), or None where it is not to be had."""
    global _zopfli_lib
    if _zopfli_lib is None:
        try:
            lib = ctypes.CDLL(_zopfli.__file__)
            lib.ZopfliDeflatePart.restype = None
            lib.ZopfliDeflatePart.argtypes = [
                ctypes.POINTER(_ZopfliOptions), ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte), ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
                ctypes.POINTER(ctypes.c_size_t)]
            lib.ZopfliInitOptions.argtypes = [ctypes.POINTER(_ZopfliOptions)]
            libc = ctypes.CDLL(None)
            libc.free.argtypes = [ctypes.c_void_p]
            _zopfli_lib = (lib, libc)
        except (AttributeError, OSError, TypeError):
            _zopfli_lib = False
    return _zopfli_lib or None


def zopfli_raw_history(data, history, iterations):
    """Raw deflate of `data` by zopfli, with `history` (a preset dictionary) as the
    bytes before it: ZopfliDeflatePart over history + data from len(history) on."""
    lib, libc = _zopfli_part()
    opts = _ZopfliOptions()
    lib.ZopfliInitOptions(ctypes.byref(opts))
    opts.numiterations = iterations
    opts.blocksplitting = 1
    buf = bytes(history) + bytes(data)
    bp = ctypes.c_ubyte(0)
    out = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_size_t(0)
    lib.ZopfliDeflatePart(ctypes.byref(opts), 2, 1, buf, len(history), len(buf), ctypes.byref(bp),
                          ctypes.byref(out), ctypes.byref(size))
    try:
        return ctypes.string_at(out, size.value)
    finally:
        libc.free(out)


def candidates(data, effort="best", dictionary=None):
    suffix = "+dict" if dictionary else ""
    yield "zlib-9" + suffix, zlib_raw(data, dictionary=dictionary)
    if effort == "fast":
        return
    yield "zlib-9-filtered" + suffix, zlib_raw(data, strategy=zlib.Z_FILTERED, dictionary=dictionary)
    if _zopfli is None or (dictionary and _zopfli_part() is None):
        return
    # Images are at most a few hundred KiB: many iterations stay affordable.
    iterations = 100 if len(data) <= 64 * 1024 else 15
    if dictionary:
        yield "zopfli-%d+dict" % iterations, zopfli_raw_history(data, dictionary, iterations)
    else:
        yield "zopfli-%d" % iterations, zopfli_raw(data, iterations)


def best(data, effort="best", dictionary=None):
    """Return (method, payload, label) for the smallest encoding of data, with
    `dictionary` as every deflate candidate's history when given (the stored
    encoding needs none)."""
    method, payload, label = METHOD_STORED, bytes(data), "stored"
    for name, raw in candidates(data, effort, dictionary):
        if len(raw) < len(payload):
            if inflate(raw, dictionary) != data:  # never trust an encoder blindly
                raise AssertionError("%s produced a stream that does not inflate back" % name)
            method, payload, label = METHOD_DEFLATE, raw, name
    return method, payload, label


# -- the paged layout ------------------------------------------------------------------
#
# One raw deflate stream still, but built so that a change to one file rewrites few
# EEPROM pages: every file's data is compressed on its own (no back-references into
# other files) and starts on a page boundary of the EEPROM; the ROMFS records between
# files (headers, and padding records that do the aligning) travel as stored blocks.
# With fixed-width record lengths (romfs.PaddedRomfsWriter) a file's new size changes
# some length values but moves no other file, unless its compressed data needs a
# different number of pages.  Costs some compression against "solid" (measured in
# docs/BENCHMARKS.md); readers need nothing new.

STORED_MAX = 65535


def _stored(data, final=False):
    """Stored deflate blocks holding `data`, from a byte boundary."""
    out = bytearray()
    chunks = [data[i:i + STORED_MAX] for i in range(0, len(data), STORED_MAX)] or [b""]
    for j, chunk in enumerate(chunks):
        last = final and j == len(chunks) - 1
        out += bytes([1 if last else 0]) + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk
    return bytes(out)


def _stored_overhead(n):
    return 5 * max(1, -(-n // STORED_MAX))


def _alone(data):
    """data deflated on its own, ending byte-aligned with no final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def paged(tree, page, payload_offset):
    """(romfs image, raw deflate payload) in the paged layout for a part with `page`-byte
    pages whose payload starts at EEPROM address `payload_offset`."""

    def files_of(image):
        return [f for _, f in romfs.walk_files(romfs.check(image))]

    def count(node):
        return sum(count(v) if isinstance(v, dict) else 1 for v in node.values())

    base = romfs.write(tree, pads=[0] * count(tree))
    files = files_of(base)
    packed = [_alone(f.data) for f in files]
    aligned = [len(p) < len(f.data) for p, f in zip(packed, files)]  # compress only when it pays

    # One pass: the padding before each compressed file puts its data on a page boundary.
    pads = [0] * len(files)
    pos = 0  # bytes of deflate stream so far
    done = 0  # bytes of the base ROMFS image accounted for
    for k, f in enumerate(files):
        if not aligned[k]:
            continue  # stored with the records around it
        meta = f.offset - done
        pads[k] = -(payload_offset + pos + _stored_overhead(meta) + meta) % page
        meta += pads[k]
        pos += _stored_overhead(meta) + meta + len(packed[k])
        done = f.offset + len(f.data)

    image = romfs.write(tree, pads=pads)
    out = bytearray()
    at = 0
    for k, f in enumerate(files_of(image)):
        if not aligned[k]:
            continue
        out += _stored(image[at:f.offset])
        assert (payload_offset + len(out)) % page == 0
        out += packed[k]
        at = f.offset + len(f.data)
    out += _stored(image[at:], final=True)
    if zlib.decompress(bytes(out), -15) != image:
        raise AssertionError("the paged stream does not inflate to its ROMFS image")
    return image, bytes(out)
