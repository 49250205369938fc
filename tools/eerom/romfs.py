"""MicroPython ROMFS images: write them with mpremote's writer, read and check them here.

The format is MicroPython's (extmod/vfs_rom.c): records of (kind, length, payload)
with big-endian 7-bit varuints.  `check()` applies exactly the structural rules of
usermod/eerom/eerom_romfs.c, so an image this module accepts is one the device
accepts: every record inside its parent, pointers inside the filesystem, names that
are non-empty UTF-8 without '/', NUL, "." or "..", and nesting no deeper than
MAX_DEPTH directories.
"""

from mpremote.romfs import VfsRomWriter

from .errors import ImageError, UsageError

HEADER = b"\xd2\xcd\x31"
KIND_UNUSED = 0
KIND_PADDING = 1
KIND_DATA_VERBATIM = 2
KIND_DATA_POINTER = 3
KIND_DIRECTORY = 4
KIND_FILE = 5
KIND_FILESYSTEM = 0x14A6B1
MIN_SIZE = 4
MAX_DEPTH = 16  # EEROM_ROMFS_MAX_DEPTH in usermod/eerom/eerom_romfs.h
MAX_NAME = 255


class Dir:
    def __init__(self, name):
        self.name = name
        self.children = []

    is_dir = True


class File:
    def __init__(self, name, data, offset):
        self.name = name
        self.data = data  # bytes
        self.offset = offset  # where the data sits in the ROMFS image

    is_dir = False


def _bad(problem, message):
    return ImageError("romfs-" + problem, "ROMFS " + message)


def _uint(data, pos, end):
    """Decode a varuint at pos (< end); return (value, next pos)."""
    value = 0
    while True:
        if pos >= end:
            raise _bad("record", "varuint runs past its record at offset %d" % pos)
        b = data[pos]
        pos += 1
        if value >> 25:
            raise _bad("record", "varuint at offset %d does not fit 32 bits" % pos)
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, pos


def _record(data, pos, end):
    kind, pos = _uint(data, pos, end)
    length, pos = _uint(data, pos, end)
    if length > end - pos:
        raise _bad("bounds", "record of kind %d at offset %d claims %d bytes, only %d left in its parent"
                   % (kind, pos, length, end - pos))
    return kind, pos, pos + length


def _name(data, pos, end):
    n, pos = _uint(data, pos, end)
    if n > end - pos:
        raise _bad("bounds", "name at offset %d claims %d bytes, past its record" % (pos, n))
    raw = bytes(data[pos:pos + n])
    if not raw or n > MAX_NAME:
        raise _bad("name", "entry at offset %d has a name of %d bytes (1..%d allowed)" % (pos, n, MAX_NAME))
    if b"/" in raw or b"\0" in raw or raw in (b".", b".."):
        raise _bad("name", "entry name %r at offset %d is not a plain file name" % (raw, pos))
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("name", "entry name %r at offset %d is not UTF-8" % (raw, pos)) from None
    return name, pos + n


def check(image):
    """Check a ROMFS image; return its root Dir.  Raise ImageError naming the problem."""
    data = memoryview(bytes(image))
    if len(data) < MIN_SIZE:
        raise _bad("magic", "image is %d bytes, shorter than the smallest ROMFS (%d bytes)" % (len(data), MIN_SIZE))
    if bytes(data[:3]) != HEADER:
        raise _bad("magic", "image does not start with d2 cd 31 (found %s)" % bytes(data[:3]).hex(" "))
    kind, fs_start, fs_end = _record(data, 0, len(data))
    assert kind == KIND_FILESYSTEM
    if fs_end != len(data):
        raise _bad("trailing", "image has %d bytes after its filesystem record" % (len(data) - fs_end))
    fs_len = fs_end - fs_start
    root = Dir("")

    def walk(parent, pos, end, depth):
        while pos < end:
            kind, body, nxt = _record(data, pos, end)
            if kind == KIND_UNUSED:
                raise _bad("record", "record of kind 0 (unused) at offset %d" % pos)
            if kind == KIND_DIRECTORY:
                if depth >= MAX_DEPTH:
                    raise _bad("depth", "directories nest deeper than %d" % MAX_DEPTH)
                name, body = _name(data, body, nxt)
                d = Dir(name)
                parent.children.append(d)
                walk(d, body, nxt, depth + 1)
            elif kind == KIND_FILE:
                name, body = _name(data, body, nxt)
                parent.children.append(_file(name, body, nxt))
            pos = nxt

    def _file(name, pos, end):
        found = None
        while pos < end:
            kind, body, nxt = _record(data, pos, end)
            if kind == KIND_UNUSED:
                raise _bad("record", "record of kind 0 (unused) in file %r" % name)
            if found is None and kind == KIND_DATA_VERBATIM:
                found = File(name, bytes(data[body:nxt]), body)
            elif found is None and kind == KIND_DATA_POINTER:
                size, p = _uint(data, body, nxt)
                offset, p = _uint(data, p, nxt)
                if offset > fs_len or size > fs_len - offset:
                    raise _bad("pointer", "file %r points at %d bytes at %d, outside the %d-byte filesystem"
                               % (name, size, offset, fs_len))
                found = File(name, bytes(data[fs_start + offset:fs_start + offset + size]),
                             fs_start + offset)
            pos = nxt
        if found is None:
            raise _bad("file", "file %r has no data record" % name)
        return found

    walk(root, fs_start, fs_end, 0)
    return root


def walk_files(node, prefix=""):
    """Yield (path, File) for every file under node, depth first, in image order."""
    for child in node.children:
        path = prefix + child.name
        if child.is_dir:
            yield from walk_files(child, path + "/")
        else:
            yield path, child


class PaddedRomfsWriter(VfsRomWriter):
    """mpremote's writer, with every record length in a fixed 3-byte varuint (leading
    0x80 bytes are padding the format allows) and padding records on request.

    Fixed widths mean a file's size changes the values of its enclosing lengths but
    moves no byte; the paged layout (compress.paged) relies on that."""

    LEN_BYTES = 3  # lengths up to 2 MiB

    def _fixed(self, value):
        out = bytearray(self._encode_uint(value))
        if len(out) > self.LEN_BYTES:
            raise UsageError("a ROMFS record of %d bytes is too large for the paged layout" % value)
        while len(out) < self.LEN_BYTES:
            out.insert(0, 0x80)
        return bytes(out)

    def _pack(self, kind, payload):
        return self._encode_uint(kind) + self._fixed(len(payload)) + payload

    def mkpad(self, n):
        self._extend(self._pack(KIND_PADDING, b"\xff" * n))

    def finalise(self):
        _, data = self._dir_stack.pop()
        if (len(self.ROMFS_HEADER) + self.LEN_BYTES + len(data)) % 2:
            data += self._pack(KIND_PADDING, b"\xff")  # 5 bytes: the image's length is even
        return self.ROMFS_HEADER + self._fixed(len(data)) + data


def write(tree, pads=None):
    """Build a ROMFS image from a nested dict {name: bytes | dict} with mpremote's writer.

    With `pads` (a list, one entry per file in image order), use PaddedRomfsWriter and
    put a padding record with pads[k] bytes of payload before the k-th file."""
    writer = VfsRomWriter() if pads is None else PaddedRomfsWriter()
    counter = [0]

    def emit(entries):
        for name in sorted(entries):
            value = entries[name]
            try:
                name.encode("ascii")
            except UnicodeEncodeError:
                raise UsageError("file name %r is not ASCII" % name.encode("utf-8", "surrogateescape"),
                                 hint="ROMFS names written by mpremote must be ASCII; rename the file") from None
            if isinstance(value, dict):
                writer.opendir(name)
                emit(value)
                writer.closedir()
            else:
                if pads is not None:
                    writer.mkpad(pads[counter[0]])
                    counter[0] += 1
                writer.mkfile(name, bytes(value))

    emit(tree)
    return writer.finalise()
