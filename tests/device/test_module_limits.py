"""The module against callers that try to break it: a bus that calls back into eerom
or keeps the buffers it is handed, sizes that wrap 32-bit arithmetic, headers that
claim more memory than the addressing reaches, forged CRCs, and umount() of what
eerom did not mount.  Each test failed on the module before the hardening issue
(docs/FIRMWARE.md, "What the module guarantees")."""

import os
import zlib

import pytest

import targets
from conftest import Device, EXAMPLE_APP, TEST_APPS, build_image
from eerom.image import METHOD_STORED, Image
from eerom.parts import custom_part
from eerom import builder

BASIC = os.path.join(TEST_APPS, "basic")
ENOENT, EIO, ENOEXEC, ENODEV, EINVAL, EFBIG, EPERM = 2, 5, 8, 19, 22, 27, 1


def tiny_images(tmp_path, n, part="m24c16"):
    """n images of n different one-line apps."""
    out = []
    for i in range(n):
        d = tmp_path / ("app%d" % i)
        d.mkdir()
        (d / "app.py").write_text("VALUE = %d\n" % (1000 + i))
        out.append(build_image(str(d), part).image.to_bytes())
    return out


REENTRANT = """
# A duck-typed bus that, during the payload read of the image it holds, mounts other
# images (growing eerom's list of kept images), churns the heap so that freed memory
# is overwritten, and only then answers.
class Reentrant(eeprom_sim.Bus):
    def __init__(self, chip, others):
        super().__init__(chip)
        self.others = others
    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        if self.others and len(buf) > 100:
            others, self.others = self.others, None
            for i, data in enumerate(others):
                eerom.mount(new_bus_of("sim", "m24c16", data), "/other%d" % i)
            gc.collect()
            junk = [bytearray(b"\\xa5" * 48) for _ in range(400)]
        return super().readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)
E = eeprom_sim.EEPROM
first = eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hexpansion_1")
eerom.umount("/hexpansion_1")
bus = Reentrant(E.part("m24c16", data=ARGS[0]), ARGS[1:])
info = eerom.mount(bus, "/hexpansion_1")
os.chdir("/")
app = __import__("hexpansion_1.app").app.__app_export__(config=1)
others = [__import__("other%d.app" % i).app.VALUE for i in range(len(ARGS) - 1)]
report(reused=info.reused, listing=sorted(os.listdir("/hexpansion_1")), value=app.summary()["value"],
       others=others)
"""


def test_a_bus_that_mounts_during_the_read(device, tmp_path):
    """Finding 2: mount() held a pointer into the cache's array across the bus's
    readfrom_mem_into(); a callback that mounted more images moved and freed it."""
    good = build_image(BASIC, "m24c16").image.to_bytes()
    others = tiny_images(tmp_path, 9)
    r = device.run1(REENTRANT, good, *others)
    assert r["reused"] is True  # the same image as the first mount: shared
    assert r["listing"] == ["app.mpy", "data", "lib", "sub"] and r["value"] == 42
    assert r["others"] == [1000 + i for i in range(9)]


KEEPER = """
# A duck-typed bus that keeps every buffer it is handed and, later, writes into all of
# them: it must never have been given eerom's own memory.
class Keeper(eeprom_sim.Bus):
    kept = []
    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        Keeper.kept.append(buf)
        return super().readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)
    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        Keeper.kept.append(buf)
        return super().writeto_mem(addr, memaddr, buf, addrsize=addrsize)
E = eeprom_sim.EEPROM
damaged = bytearray(ARGS[0])
damaged[-3] ^= 0xff
failed = None
try:
    eerom.mount(Keeper(E.part("m24c16", data=bytes(damaged))), "/bad")
except OSError as e:
    failed = e.errno
# Stored (not deflated): the bytes read are the very bytes VfsRom serves.
info = eerom.mount(Keeper(E.part("m24c16", data=ARGS[1])), "/hexpansion_1")
eerom.write(Keeper(E.part("m24c64")), 0, b"x" * 40, 32)
written = 0
for buf in Keeper.kept:
    try:
        for i in range(len(buf)):
            buf[i] = 0xa5
        written += len(buf)
    except TypeError:  # read-only: cannot hurt
        pass
gc.collect()
junk = [bytearray(b"\\x5a" * 64) for _ in range(200)]
os.chdir("/")
app = __import__("hexpansion_1.app").app.__app_export__(config=1)
report(failed=failed, written=written, listing=sorted(os.listdir("/hexpansion_1")),
       data=open("/hexpansion_1/data/table.csv").read(), value=app.summary()["value"])
"""


def test_a_bus_that_keeps_its_buffers(device):
    """Finding 3: a duck-typed bus got a writable memoryview of the buffer VfsRom
    serves (and of one freed after a failed mount) and could write through it."""
    build = build_image(BASIC, "m24c16")
    stored = Image.create(build.image.header, build.romfs, build.romfs, METHOD_STORED)
    r = device.run1(KEEPER, build.image.to_bytes(), stored.to_bytes())
    assert r["failed"] == ENOEXEC
    assert r["written"] > len(build.romfs)  # it did write into everything it was handed
    assert r["listing"] == ["app.mpy", "data", "lib", "sub"] and r["value"] == 42
    files = {f.path: f.data for f in build.files}
    assert r["data"] == files["data/table.csv"].decode()


def test_a_bus_that_keeps_its_buffers_under_asan():
    """The same under AddressSanitizer: no access to freed memory anywhere."""
    binary = os.path.join(targets.BUILD, "unix-asan", "micropython")
    if not os.access(binary, os.X_OK):
        pytest.fail("no sanitizer build at %s: run `make setup`" % binary)
    asan = Device(targets.UnixTarget(binary, env=targets.SANITIZER_ENV))
    test_a_bus_that_keeps_its_buffers(asan)


ARGUMENTS = """
bus = new_bus_of("native", "m24c64", None)
def outcome(f, *a, **kw):
    try:
        f(*a, **kw)
        return "ok"
    except ValueError:
        return "ValueError"
    except TypeError:
        return "TypeError"
    except MemoryError:
        return "MemoryError"
    except OverflowError:
        return "OverflowError"
    except OSError as e:
        return "OSError %d" % e.errno
r = {}
# Finding 4: on 32-bit ports page 1 and n = 0x40000001 wrapped the output size.
r["digests_wrap"] = outcome(eerom.page_digests, bus, 1, 0x40000001, 8)
r["digests_page1"] = outcome(eerom.page_digests, bus, 0, 64, 1)
r["digests_page0"] = outcome(eerom.page_digests, bus, 0, 64, 0)
r["digests_page3"] = outcome(eerom.page_digests, bus, 0, 64, 24)
r["digests_page1024"] = outcome(eerom.page_digests, bus, 0, 64, 1024)
r["digests_at_end"] = outcome(eerom.page_digests, bus, 0xffffffff, 2, 8)
r["digests_at_big"] = outcome(eerom.page_digests, bus, 2 ** 40, 2, 8)
r["digests_n_neg"] = outcome(eerom.page_digests, bus, 0, -1, 8)
r["read_big"] = outcome(eerom.read, bus, 0, 2 ** 31)
r["read_past"] = outcome(eerom.read, bus, 0x10000 - 4, 8, addr=0x57)
r["write_wrap"] = outcome(eerom.write, bus, 2 ** 32 - 1, b"xx", 16)
r["addr_big"] = outcome(eerom.read, bus, 0, 4, addr=2 ** 33)
# what a good call gives, for contrast
r["digests_ok"] = len(eerom.page_digests(bus, 0, 8192, 32))
r["digests_512"] = len(eerom.page_digests(bus, 0, 8192, 512))
report(**r)
"""


def test_size_arguments_cannot_wrap(device):
    r = device.run1(ARGUMENTS)
    assert r.pop("digests_ok") == 8192 // 32 * 4 and r.pop("digests_512") == 8192 // 512 * 4
    assert r == {k: "ValueError" for k in r}, r


BLOCKDEV = """
bus = new_bus_of("native", "m24c64", ARGS[0])
bdev = eerom.BlockDev(bus)
header = bytes(bus_memory(bus)[:64])
r = {}
# Finding 5: negative offsets and spans were not refused.
r["w_neg_offset"] = bdev.writeblocks(0, bytearray(32), -32)
r["w_offset_m1"] = bdev.writeblocks(0, bytearray(1), -1)
r["r_neg_offset"] = bdev.readblocks(0, bytearray(32), -32)
r["w_neg_block"] = bdev.writeblocks(-1, bytearray(32))
r["w_past_end"] = bdev.writeblocks(bdev.ioctl(4, 0) - 1, bytearray(513))
r["w_huge_block"] = bdev.writeblocks(2 ** 31, bytearray(16))
r["w_huger_offset"] = bdev.writeblocks(0, bytearray(16), 2 ** 70)
r["header_intact"] = bytes(bus_memory(bus)[:64]) == header
def error(f, *a, **kw):
    try:
        f(*a, **kw)
    except (ValueError, TypeError, OSError) as e:
        return [type(e).__name__, str(e)]
    return None
r["too_many_blocks"] = error(eerom.BlockDev, bus, offset=0, block_size=64, block_count=2 ** 40, page=32)
r["count_past_bus"] = error(eerom.BlockDev, bus, offset=0, block_size=512, block_count=1025, page=32)  # > 512 KiB
r["no_block"] = error(eerom.BlockDev, new_bus_of("native", "m24c64", ARGS[1]))
report(**r)
"""


def test_blockdev_bounds(device):
    """Finding 5: eerom.BlockDev's bounds check wrapped, and its errors named the
    wrong problem."""
    from test_littlefs import badge_lfs_image
    from eerom.header import Header

    # A header whose filesystem area (fs_offset 32 up to 64) holds no 64-byte block.
    tiny = Header(0xCA75, 0x1337, "Tiny", fs_offset=32, page_size=32, total_size=64).pack()
    r = device.run1(BLOCKDEV, badge_lfs_image("m24c64"), tiny)
    einval = 22
    for k in ("w_neg_offset", "w_offset_m1", "r_neg_offset", "w_neg_block", "w_past_end", "w_huge_block", "w_huger_offset"):
        assert r[k] == -einval, (k, r[k])
    assert r["header_intact"]
    assert r["too_many_blocks"][0] == "ValueError" and "block_count" in r["too_many_blocks"][1]
    assert r["count_past_bus"][0] == "ValueError" and "block_count" in r["count_past_bus"][1]
    assert r["no_block"][0] == "OSError" and "no 64-byte block fits" in r["no_block"][1], r["no_block"]


def test_m24c16_header_cannot_reach_past_2k(device, tmp_path):
    """Finding 6: an M24C16 whose header says 4 KiB made mount() read from the
    devices at 0x58..0x5f (here a second EEPROM holding the image's second half)."""
    app = tmp_path / "big"
    app.mkdir()
    (app / "app.py").write_text("X = 1\n")
    (app / "noise.bin").write_bytes(os.urandom(2600))
    data = builder.build(str(app), custom_part(4096, 16), 0xCA75, 0x1337, name="Big").image.to_bytes()
    assert len(data) > 2048
    r = device.run1("""
E = eeprom_sim.EEPROM
bus = eeprom_sim.Bus(E.part("m24c16", data=ARGS[0][:2048]), E(2048, 16, 8, base=0x58, data=ARGS[0][2048:]))
bus.log = []
try:
    eerom.mount(bus, "/hexpansion_1")
    report(mounted=True)
except OSError as e:
    report(errno=e.errno, message=e.args[1], high=[t for t in bus.log if t[1] >= 0x58])
""", data)
    assert r.get("errno") == EINVAL, r
    assert "header-geometry" in r["message"] and "2048" in r["message"]
    assert r["high"] == []


def force_crc(data, pos, target):
    """`data` with the 4 bytes at pos chosen so that its CRC-32 is `target` (CRC-32 is
    linear over GF(2), so 32 free bits reach any value)."""
    base = bytearray(data)
    base[pos:pos + 4] = bytes(4)
    c0 = zlib.crc32(base)
    basis = {}  # pivot bit -> (effect on the CRC, bits flipped)
    for bit in range(32):
        d = bytearray(base)
        d[pos + bit // 8] ^= 1 << (bit % 8)
        vec, combo = zlib.crc32(d) ^ c0, 1 << bit
        for b in range(31, -1, -1):
            if (vec >> b) & 1:
                if b not in basis:
                    basis[b] = (vec, combo)
                    break
                vec ^= basis[b][0]
                combo ^= basis[b][1]
    want, flips = target ^ c0, 0
    for b in range(31, -1, -1):
        if (want >> b) & 1:
            want ^= basis[b][0]
            flips ^= basis[b][1]
    for bit in range(32):
        if (flips >> bit) & 1:
            base[pos + bit // 8] ^= 1 << (bit % 8)
    assert zlib.crc32(base) == target
    return bytes(base)


def test_a_forged_crc_does_not_serve_another_image(device, tmp_path):
    """Finding 7: the image cache was keyed on CRC and sizes: a second EEPROM with
    the same superblock (a forged payload CRC) ran the first EEPROM's app."""
    app = tmp_path / "forge"
    app.mkdir()
    (app / "app.py").write_text("X = 1\n")
    (app / "secret.txt").write_bytes(b"A" * 64)
    build = build_image(str(app), "m24c16")
    romfs = build.romfs
    at = romfs.index(b"A" * 64)
    forged = force_crc(romfs[:at] + b"B" * 16 + romfs[at + 16:], at + 16, zlib.crc32(romfs))
    header = build.image.header
    one = Image.create(header, romfs, romfs, METHOD_STORED)
    two = Image.create(header, forged, forged, METHOD_STORED)
    assert one.superblock.pack() == two.superblock.pack() and one.to_bytes() != two.to_bytes()
    r = device.run1("""
first = eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hexpansion_1")
a = open("/hexpansion_1/secret.txt", "rb").read()
eerom.umount("/hexpansion_1")
second = eerom.mount(new_bus_of("sim", "m24c16", ARGS[1]), "/hexpansion_1")
b = open("/hexpansion_1/secret.txt", "rb").read()
eerom.umount("/hexpansion_1")
third = eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hexpansion_1")
report(a=list(a), b=list(b), reused=[first.reused, second.reused, third.reused])
""", one.to_bytes(), two.to_bytes())
    assert bytes(r["a"]) == b"A" * 64
    assert bytes(r["b"]).startswith(b"B" * 16) and r["b"] != r["a"]
    assert r["reused"] == [False, False, True]


def test_max_size_is_not_truncated(device):
    """Finding 8: max_size=2**32 became 0 (and overflowed on 32-bit ports)."""
    data = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    r = device.run1("""
out = {}
for name, v in (("2**32", 2 ** 32), ("2**64", 2 ** 64), ("2**31", 2 ** 31), ("0", 0), ("-1", -1), ("big_neg", -2 ** 70)):
    try:
        out[name] = eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hx", max_size=v).image_size
        eerom.umount("/hx")
    except ValueError:
        out[name] = "ValueError"
report(**out)
""", data)
    size = Image.from_bytes(data).superblock.image_size
    assert r == {"2**32": size, "2**64": size, "2**31": size, "0": "ValueError", "-1": "ValueError",
                 "big_neg": "ValueError"}


def test_umount_takes_what_mount_takes_and_only_its_own(device):
    """Finding 10: umount(b'/hx') raised EINVAL and left it mounted; umount() of a
    mount point eerom did not make (even '/') unmounted it."""
    data = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    r = device.run1("""
out = {}
eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), b"/hx")
eerom.umount(b"/hx")
out["bytes"] = "/hx" in mounted()
eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hx")
eerom.umount("/hx")
out["str"] = "/hx" in mounted()
# somebody else's filesystem
vfs.mount(vfs.VfsRom(b"\\xd2\\xcd\\x31\\x00"), "/theirs")
for path in ("/theirs", "/", "/nothing"):
    try:
        eerom.umount(path)
        out[path] = "unmounted"
    except OSError as e:
        out[path] = [e.errno, e.args[1] if len(e.args) > 1 else ""]
out["after"] = mounted()
report(**out)
""", data)
    assert r["bytes"] is False and r["str"] is False
    assert r["/theirs"][0] == EINVAL and "not mounted by eerom" in r["/theirs"][1]
    assert r["/nothing"][0] == EINVAL and "nothing is mounted" in r["/nothing"][1]
    assert r["/"][0] == EINVAL  # unix: VfsPosix is there; qemu: nothing is
    assert "/theirs" in r["after"]
    if device.kind == "unix":
        assert "/" in r["after"] and "not mounted by eerom" in r["/"][1]


# -- findings of the adversarial review of the hardened module ------------------------

REIMPORT = """
eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hx")
os.chdir("/")
import hx.app
f = hx.app.f
first = f(3)
eerom.umount("/hx")
# what a careless "reload everything" helper does, then heap churn
sys.modules.pop("eerom", None)
import eerom
gc.collect()
junk = [bytes([0xff]) * 200 for _ in range(300)]
gc.collect()
report(first=first, again=f(3))
"""


def test_a_reimport_keeps_the_images(device, tmp_path):
    """Review finding 1: the session's state was tied to sys.modules; removing eerom
    from it and importing again dropped the images that imported code runs from."""
    app = tmp_path / "f"
    app.mkdir()
    body = "".join("    t = (t * 7 + x + %d) %% 1009\n" % i for i in range(60))
    (app / "app.py").write_text("def f(x):\n    t = 0\n" + body + "    return t\n")
    namespace = {}
    exec((app / "app.py").read_text(), namespace)
    r = device.run1(REIMPORT, build_image(str(app), "m24c16").image.to_bytes())
    assert r == {"first": namespace["f"](3), "again": namespace["f"](3)}


RESIZING = """
# A duck-typed bus that, during a transfer, resizes the caller's buffer (freeing its
# old storage) and fills the heap with new objects.
class Resizing(eeprom_sim.Bus):
    target = None
    victims = None
    def _strike(self):
        t, Resizing.target = Resizing.target, None
        if t is not None:
            t.extend(bytes(4096))
            gc.collect()
            Resizing.victims = [[None] * 8 for _ in range(200)]
    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self._strike()
        return super().readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)
    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._strike()
        return super().writeto_mem(addr, memaddr, buf, addrsize=addrsize)
chip = eeprom_sim.EEPROM.part("m24c64", data=b"\\x41" * 8192)
bd = eerom.BlockDev(Resizing(chip), offset=0, block_size=64, block_count=100, page=32)
ba = bytearray(64)
Resizing.target = ba
read = bd.readblocks(0, ba)
intact = all(x is None for v in Resizing.victims for x in v)
wa = bytearray(b"\\x42" * 64)
Resizing.target = wa
wrote = bd.writeblocks(1, wa)
intact = intact and all(x is None for v in Resizing.victims for x in v)
report(read=read, wrote=wrote, intact=intact, block1=list(chip.mem[64:128]))
"""


def test_blockdev_with_a_bus_that_resizes_the_callers_buffer(device):
    """Review finding 2: BlockDev read into (and wrote from) the caller's buffer across
    calls into a duck-typed bus, which could free it: the EEPROM's bytes landed in
    unrelated objects, and freed heap memory was written to the EEPROM."""
    r = device.run1(RESIZING)
    assert r["intact"]
    assert r["read"] == -EIO  # the buffer it was reading for changed size under it
    assert r["wrote"] == 0 and r["block1"] == [0x42] * 64  # what the caller passed in


MEMORY = """
bus = new_bus_of("native", "m24c16", ARGS[0])
def attempt(junk, slack):
    # A function: its locals allocate nothing (module-level names would grow globals).
    n = fill_heap(junk)
    freed = 0
    while freed < slack and n > 0:  # the last ones are adjacent: one hole of `slack` bytes
        n -= 1
        junk[n] = None
        freed += 16
    gc.collect()
    try:
        eerom.mount(bus, "/hx")
        outcome = "ok"
    except MemoryError:
        outcome = "MemoryError"
    n = 0
    while n < len(junk):
        junk[n] = None
        n += 1
    gc.collect()
    return outcome
def run():
    junk = [None] * 8000  # slots made up front: filling them allocates nothing else
    seen = {}
    for slack in range(0, 2400, 8):
        key = attempt(junk, slack) + ("+mounted" if "/hx" in mounted() else "")
        seen[key] = seen.get(key, 0) + 1
        if "/hx" in mounted():
            eerom.umount("/hx")
    return seen
report(**run())
"""


def test_out_of_memory_never_leaves_a_mount(device):
    """Review finding 3: the result tuple was made after the mount, so a MemoryError
    could come out of mount() with the image mounted.  The heap (qemu's 140 KiB; 160
    KiB on unix) is filled, then a hole a little larger each time is left, so that
    mount()'s allocations fail one after the other."""
    build = build_image(BASIC, "m24c16")
    stored = Image.create(build.image.header, build.romfs, build.romfs, METHOD_STORED)
    if device.kind == "unix":
        device = Device(targets.UnixTarget(device.target.binary, heapsize="160k"))
    r = device.run1(MEMORY, stored.to_bytes(), timeout=600)
    assert r.get("MemoryError", 0) > 0 and r.get("ok+mounted", 0) > 0, r  # both ends reached
    assert set(r) == {"MemoryError", "ok+mounted"}, r


def test_mount_points_and_umount_of_one_entry(device):
    """Review findings 4, 5 and 8: an empty mount point (MicroPython's VFS then reads
    out of bounds on every lookup), bytes that are not UTF-8, and eerom.umount(p) of a
    filesystem also mounted elsewhere, which unmounted the other path."""
    data = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    r = device.run1("""
out = {}
for name, p in (("empty", ""), ("relative", "hx"), ("not_utf8", b"/h\\xff")):
    try:
        eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), p)
        out[name] = "mounted"
    except ValueError:
        out[name] = "ValueError"
try:
    eerom.umount(b"/\\xf0")
except ValueError:
    out["umount_not_utf8"] = "ValueError"
eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/a")
fs = [o for o, p in vfs.mount() if p == "/a"][0]
vfs.mount(fs, "/b")
eerom.umount("/b")
out["after_b"] = sorted(p for p in mounted() if p != "/")
eerom.umount("/a")
out["after_a"] = sorted(p for p in mounted() if p != "/")
report(**out)
""", data)
    assert r == {"empty": "ValueError", "relative": "ValueError", "not_utf8": "ValueError",
                 "umount_not_utf8": "ValueError", "after_b": ["/a"], "after_a": []}


def test_blockdev_page_and_misleading_errors(device):
    """Review findings 6 and 7: BlockDev took pages that are not powers of two (and
    corrupted writes); a bus's own EINVAL was reported as an address out of range;
    addrsize=2**31 and ioctl(2**31) overflowed."""
    r = device.run1("""
out = {}
bus = new_bus_of("native", "m24c64", None)
for page in (24, 3, 100, 1024):
    try:
        eerom.BlockDev(bus, offset=0, block_size=64, block_count=8, page=page)
        out[page] = "accepted"
    except ValueError:
        out[page] = "ValueError"
class Einval(eeprom_sim.Bus):
    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        raise OSError(22)
try:
    eerom.read(Einval(eeprom_sim.EEPROM.part("m24c16")), 0, 16, addr=0x50)
except OSError as e:
    out["bus_einval"] = [e.errno, e.args[1]]
for name, call in (("addrsize", lambda: eerom.read(bus, 0, 4, addr=0x50, addrsize=2 ** 31)),
                   ("ioctl", lambda: eerom.BlockDev(bus, offset=0, block_size=64, block_count=8, page=32).ioctl(2 ** 31, 0))):
    try:
        out[name] = repr(call())
    except Exception as e:
        out[name] = type(e).__name__
report(**{str(k): v for k, v in out.items()})
""")
    assert [r[p] for p in ("24", "3", "100", "1024")] == ["ValueError"] * 4
    # The bus's own error, as a bus error naming it, not "past the end of the EEPROM"
    assert r["bus_einval"][0] == EIO and "I2C read" in r["bus_einval"][1] and "errno 22" in r["bus_einval"][1]
    assert r["addrsize"] == "ValueError" and r["ioctl"] == "None"
