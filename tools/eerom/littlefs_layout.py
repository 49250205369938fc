"""How much EEPROM the same files take in the badge's layout today.

The badge mounts LittleFS at fs_offset (header.fs_offset .. eeprom_total_size) with
64-byte blocks below 8 KiB and 512-byte blocks from 8 KiB up, and MicroPython's
VfsLfs2 settings (read/prog size 32, lookahead 32, cache min(block, 128), a 't' mtime
attribute of 8 bytes on every file).  Blocks of 128 bytes and more are laid out with
littlefs-python; littlefs-python refuses blocks below 128 bytes (littlefs asserts
block_size >= 128, which the badge compiles out), so 64-byte layouts are made by
MicroPython's own VfsLfs2 in the unix port, the code the badge runs.
"""

import os
import shutil
import subprocess
import tempfile

from .header import HEADER_SIZE

MTIME_ATTR = "t"
MTIME_SIZE = 8


class LfsLayout:
    """blocks_used is None when LittleFS cannot store the files at any size: with
    64-byte blocks a file entry with a long name and the mtime attribute does not
    fit a metadata block (littlefs then fails with ENOSPC or ENAMETOOLONG)."""

    def __init__(self, block_size, blocks_available, blocks_used, tool, fs_offset):
        self.block_size = block_size
        self.blocks_available = blocks_available
        self.blocks_used = blocks_used
        self.tool = tool
        self.fs_offset = fs_offset

    @property
    def possible(self):
        return self.blocks_used is not None

    @property
    def fits(self):
        return self.possible and self.blocks_used <= self.blocks_available

    @property
    def size(self):
        """EEPROM bytes used: header area up to fs_offset plus the used blocks."""
        return self.fs_offset + self.blocks_used * self.block_size if self.possible else None


def find_micropython():
    """A MicroPython unix binary with VfsLfs2: $EEROM_MICROPYTHON, this checkout's
    build, or `micropython` on PATH.  None if there is none."""
    env = os.environ.get("EEROM_MICROPYTHON")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "build", "unix", "micropython")
    if os.access(built, os.X_OK):
        return os.path.normpath(built)
    return shutil.which("micropython")


def _lfs_python_fs(files, block_size, block_count):
    """A littlefs-python filesystem in the badge's settings holding `files`.
    Raises littlefs.errors.LittleFSError (LFS_ERR_NOSPC when they do not fit)."""
    from littlefs import LittleFS

    fs = LittleFS(block_size=block_size, block_count=block_count, read_size=32, prog_size=32,
                  lookahead_size=32, cache_size=min(block_size, 128), block_cycles=100, mount=False)
    fs.format()
    fs.mount()
    for path, data in files:
        parent = path.rpartition("/")[0]
        if parent:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as f:
            f.write(data)
        fs.setattr(path, MTIME_ATTR, bytes(MTIME_SIZE))
    return fs


def _lfs_python(files, block_size, block_count):
    from littlefs import errors

    try:
        return _lfs_python_fs(files, block_size, block_count).used_block_count
    except errors.LittleFSError as e:
        if e.code == errors.LittleFSError.Error.LFS_ERR_NOSPC:
            return None
        raise


_MP_SCRIPT = r"""
import sys, os, vfs
src, bs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.argv[4] if len(sys.argv) > 4 else None
class Ram:
    def __init__(self):
        self.d = bytearray(bs * n)
    def readblocks(self, b, buf, off=0):
        a = b * bs + off
        buf[:] = self.d[a:a + len(buf)]
    def writeblocks(self, b, buf, off=None):
        a = b * bs + (off or 0)
        self.d[a:a + len(buf)] = buf
    def ioctl(self, op, arg):
        return {4: n, 5: bs}.get(op, 0)
bd = Ram()
vfs.VfsLfs2.mkfs(bd, readsize=32, progsize=32, lookahead=32)
fs = vfs.VfsLfs2(bd, readsize=32, progsize=32, lookahead=32)
dirs = set()
try:
    for line in open(src + "/.manifest"):
        path = line.strip()
        parts = path.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs:
                fs.mkdir(d)
                dirs.add(d)
        with open(src + "/" + path, "rb") as f:
            data = f.read()
        with fs.open(path, "wb") as f:
            f.write(data)
    st = fs.statvfs("")
    # statvfs counts through lfs2_fs_traverse(), which visits every directory's
    # metadata pair twice (once as a directory entry, once in the tail list);
    # lfs2_fs_size(), which littlefs-python reports, counts it once.
    print("USED", st[2] - st[3] - 2 * len(dirs))
    if out:
        with open(out, "wb") as f:
            f.write(bd.d)
except OSError as e:
    # 28 ENOSPC; littlefs reports 36 ENAMETOOLONG when a new entry's name does not
    # fit the metadata block it would go in, which on a full part means no space.
    if e.errno not in (28, 36):
        raise
    print("NOSPC")
"""


def _lfs_micropython(binary, files, block_size, block_count, image_out=None):
    with tempfile.TemporaryDirectory(prefix="eerom-lfs-") as tmp:
        for path, data in files:
            dest = os.path.join(tmp, path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
        with open(os.path.join(tmp, ".manifest"), "w") as f:
            f.write("".join(p + "\n" for p, _ in files))
        script = os.path.join(tmp, ".lfs.py")
        with open(script, "w") as f:
            f.write(_MP_SCRIPT)
        args = [binary, script, tmp, str(block_size), str(block_count)]
        if image_out:
            args.append(image_out)
        out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError("MicroPython LittleFS layout failed: %s" % (out.stderr or out.stdout).strip())
    word = out.stdout.split()
    return None if word[0] == "NOSPC" else int(word[1])


def _geometry(part):
    """(block size, blocks) of the badge's LittleFS on `part`: from fs_offset to the end."""
    block_size = part.badge_lfs_block_size
    return block_size, (part.size - part.fs_offset) // block_size


def badge_layout(files, part, micropython=None):
    """Lay `files` [(path, bytes)] out as the badge does on `part`.

    Returns an LfsLayout, or None when no tool here can make the part's block size."""
    block_size, available = _geometry(part)
    if block_size >= 128:
        tool = "littlefs-python"
        run = lambda count: _lfs_python(files, block_size, count)
    else:
        binary = micropython or find_micropython()
        if not binary:
            return None
        tool = "MicroPython VfsLfs2"
        run = lambda count: _lfs_micropython(binary, files, block_size, count)
    count = max(available, 2)  # a littlefs needs two blocks, whatever the part holds
    used = run(count)
    while used is None and count < 4096:  # does not fit: measure what it would need
        count *= 4
        used = run(count)
    return LfsLayout(block_size, available, used, tool, part.fs_offset)


def badge_image(files, part, header, micropython=None):
    """A whole EEPROM as the badge's tools make it: the 32-byte header, 0xff up to
    fs_offset, and LittleFS holding `files` [(path, bytes)] in the badge's geometry.
    Raises RuntimeError (64-byte blocks) or littlefs.errors.LittleFSError when the
    files do not fit."""
    block_size, count = _geometry(part)
    if block_size >= 128:
        fs = _lfs_python_fs(files, block_size, count)
        fs.unmount()
        body = bytes(fs.context.buffer)
    else:
        binary = micropython or find_micropython()
        with tempfile.TemporaryDirectory(prefix="eerom-lfsimg-") as tmp:
            out = os.path.join(tmp, "fs.bin")
            if _lfs_micropython(binary, files, block_size, count, out) is None:
                raise RuntimeError("the files do not fit %s's LittleFS" % part.name)
            with open(out, "rb") as f:
                body = f.read()
    return bytes(header) + b"\xff" * (part.fs_offset - HEADER_SIZE) + body


class RegistryEstimate:
    """The hexpansion registry's size check (hexpansion-firmwares sizecheck.sh), a
    formula rather than a layout: blocks of 64 B below 8 KiB and 512 B from 8 KiB up;
    room = (eeprom_total_size - fs_offset) rounded down to 64; used = for every file
    ceil(size / block) + 1 blocks, plus 2 blocks; the check fails when used > room."""

    def __init__(self, file_sizes, total_size, fs_offset):
        self.block_size = 512 if total_size >= 8192 else 64
        bs = self.block_size
        self.room = (total_size - fs_offset) // 64 * 64
        self.used = sum(-(-n // bs) * bs + bs for n in file_sizes) + 2 * bs

    @property
    def fits(self):
        return self.used <= self.room
