"""eerom.BlockDev: LittleFS hexpansions (the ones in the field) through C, not Python.

Images are made in the badge's layout: 512-byte blocks with littlefs-python for parts
from 8 KiB up, 64-byte blocks with MicroPython's own VfsLfs2 below (littlefs-python
refuses blocks under 128 bytes)."""

import os

import pytest

from conftest import TEST_APPS
from eerom import littlefs_layout
from eerom.header import Header
from eerom.parts import get_part

LFS_APP = os.path.join(TEST_APPS, "lfsapp")
FILES = [(name, open(os.path.join(LFS_APP, name), "rb").read()) for name in sorted(os.listdir(LFS_APP))]

BUS = """
part, kind = ARGS[1], ARGS[2]
def new_bus(data, **kw):
    return new_bus_of(kind, part, data, **kw)
stats, memory = bus_stats, bus_memory
"""


def badge_lfs_image(part_name):
    part = get_part(part_name)
    header = Header.for_part(part, 0xCA75, 0x1337, "LFS").pack()
    return littlefs_layout.badge_image(FILES, part, header)


@pytest.fixture(scope="module", params=["m24c16", "m24c64"])
def lfs_image(request):
    return request.param, badge_lfs_image(request.param)


@pytest.mark.parametrize("kind", ["sim", "native"])
def test_blockdev_mounts_the_badges_littlefs(device, lfs_image, kind):
    part, image = lfs_image
    r = device.run1(BUS + """
import badge_lfs
# the C block device
bus = new_bus(ARGS[0])
bdev = eerom.BlockDev(bus)
vfs.mount(vfs.VfsLfs2(bdev), "/hexpansion_1")
listing = sorted(os.listdir("/hexpansion_1"))
text = open("/hexpansion_1/greeting.txt").read()
c_stats = stats(bus)
vfs.umount("/hexpansion_1")
# the badge's pure-Python driver, same image, same reads
bus = new_bus(ARGS[0])
h = eerom.header(bus)
py = badge_lfs.BadgeEEPROM(bus, h.fs_offset, h.page_size, h.total_size, h.addr, h.addrsize)
vfs.mount(vfs.VfsLfs2(py), "/hexpansion_2")
same = sorted(os.listdir("/hexpansion_2")) == listing and open("/hexpansion_2/greeting.txt").read() == text
report(listing=listing, text=text, geometry=[bdev.ioctl(4, 0), bdev.ioctl(5, 0)], c=c_stats, py=stats(bus), same=same)
""", image, part, kind)
    assert r["listing"] == ["app.py", "greeting.txt", "util.py"]
    assert r["text"] == "hello from littlefs\n" and r["same"]
    part_obj = get_part(part)
    bs = 64 if part == "m24c16" else 512
    assert r["geometry"] == [(part_obj.size - part_obj.fs_offset) // bs, bs]
    assert r["c"]["data_written"] == 0
    # Reads as long as LittleFS asks for, not one transaction per page.
    assert r["c"]["transactions"] < r["py"]["transactions"]


def test_blockdev_writes_are_read_back_by_littlefs_python(device):
    """Write through eerom.BlockDev on the device; read the EEPROM with littlefs-python."""
    image = badge_lfs_image("m24c64")
    r = device.run1(BUS + """
bus = new_bus(ARGS[0])
vfs.mount(vfs.VfsLfs2(eerom.BlockDev(bus)), "/hexpansion_1")
with open("/hexpansion_1/notes.txt", "w") as f:
    f.write("written through eerom.BlockDev\\n" * 40)
vfs.umount("/hexpansion_1")
report(memory=binascii.b2a_base64(memory(bus)).decode(), stats=stats(bus))
""", image, "m24c64", "native")
    import base64
    from littlefs import LittleFS
    from littlefs.context import UserContext

    memory = base64.b64decode(r["memory"])
    assert memory[:32] == image[:32]  # the header is untouched
    ctx = UserContext(512 * 15)
    ctx.buffer[:] = memory[32:32 + 512 * 15]
    fs = LittleFS(context=ctx, block_size=512, block_count=15, mount=True)
    assert fs.open("notes.txt", "r").read() == "written through eerom.BlockDev\n" * 40
    assert fs.open("app.py", "rb").read() == dict(FILES)["app.py"]
    assert r["stats"]["page_writes"] > 0


def test_blockdev_write_errors(device):
    """Writes that never finish, writes a protected part refuses, blocks out of range."""
    image = badge_lfs_image("m24c64")
    r = device.run1(BUS + """
out = {}
bdev = eerom.BlockDev(new_bus(ARGS[0], busy_polls=100000))   # stays busy: bounded wait
out["busy"] = bdev.writeblocks(0, bytearray(64))
bdev = eerom.BlockDev(new_bus(ARGS[0], write_protect="nack"))
out["protected"] = bdev.writeblocks(0, bytearray(64))
bus = new_bus(ARGS[0])
bdev = eerom.BlockDev(bus)
out["range"] = [bdev.readblocks(15, bytearray(512)), bdev.writeblocks(14, bytearray(16), 500)]
out["ok"] = bdev.writeblocks(14, bytearray(b"x" * 40), 100)
import errno
out["errno"] = [errno.ETIMEDOUT, errno.EIO, errno.EINVAL]
buf = bytearray(40)
bdev.readblocks(14, buf, 100)
out["back"] = bytes(buf) == b"x" * 40
report(**out)
""", image, "m24c64", "native")
    etimedout, eio, einval = r["errno"]  # the port's own numbers
    assert r["busy"] == -etimedout
    assert r["protected"] == -eio
    assert r["range"] == [-einval, -einval]
    assert r["ok"] == 0 and r["back"]
