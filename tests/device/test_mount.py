"""The eerom C module on MicroPython's unix port and its qemu ARM port.

Each test runs on both targets (the `device` fixture) and, where the bus matters,
over the simulated EEPROM in Python (duck-typed I2C) and over the fake native I2C
bus in C, with and without combined write-then-read transfers."""

import os

import pytest

from conftest import EXAMPLE_APP, TEST_APPS, build_image

BASIC = os.path.join(TEST_APPS, "basic")
ENOENT, EIO, ENOEXEC, ENODEV, EINVAL, EFBIG, EPERM = 2, 5, 8, 19, 22, 27, 1
BUS_KINDS = ["sim", "native", "native-nowrite1"]

SETUP = """
image, part = ARGS[0], ARGS[1]
kind = ARGS[2] if len(ARGS) > 2 else "sim"
def new_bus(data=image):
    return new_bus_of(kind, part, data)
stats, inject = bus_stats, bus_inject
def try_mount(bus, **kw):
    try:
        eerom.mount(bus, "/hexpansion_1", **kw)
    except OSError as e:
        return e.errno, e.args[1] if len(e.args) > 1 else "", mounted()
    eerom.umount("/hexpansion_1")
    return 0, "", []
os.chdir("/")
"""


def expected_reads(part, size):
    """(I2C address, memory address, length) of each read eerom should make."""
    if part != "m24c16":
        return [[0x50, 0, 56], [0x50, 56, size - 56]]
    reads, at = [[0x50, 0, 56]], 56
    while at < size:  # whole 256-byte blocks, each at its own I2C address
        n = min(size, (at // 256 + 1) * 256) - at
        reads.append([0x50 + at // 256, at % 256, n])
        at += n
    return reads


@pytest.fixture(scope="module", params=["m24c16", "m24c64"])
def basic(request):
    return request.param, build_image(BASIC, request.param)


@pytest.mark.parametrize("kind", BUS_KINDS)
def test_app_imports_and_runs(device, basic, kind):
    part, build = basic
    r = device.run1(SETUP + """
bus = new_bus()
if kind == "sim":
    bus.log = []
info = eerom.mount(bus, "/hexpansion_1")
s = stats(bus)
app = __import__("hexpansion_1.app").app.__app_export__(config=3)
report(info=list(info), stats=s, log=getattr(bus, "log", None), summary=app.summary(),
       listing=sorted(os.listdir("/hexpansion_1")), mounts=mounted())
vfs.umount("/hexpansion_1")
""", build.image.to_bytes(), part, kind)
    name, vid, pid, uid, addr, addrsize, image_size, stored_size, transactions, bytes_read, reused = r["info"]
    assert (name, vid, pid, uid) == ("Test", 0xCA75, 0x1337, 0)
    assert (addr, addrsize) == ((0x50, 8) if part == "m24c16" else (0x50, 16))
    assert (image_size, stored_size, reused) == (len(build.romfs), build.image.superblock.stored_size, False)
    assert r["summary"] == {"value": 42, "name": "helpers", "flag": "sub-init", "where": "hexpansion_1.sub.inner",
                            "file": "hexpansion_1/app.mpy", "rows": 3, "port": 3}
    assert r["listing"] == ["app.mpy", "data", "lib", "sub"]
    assert "/hexpansion_1" in r["mounts"]
    # The module's own count of what it did matches what the part saw.
    assert transactions == r["stats"]["transactions"]
    assert bytes_read == r["stats"]["data_read"] == build.image.size
    assert r["stats"]["data_written"] == 0
    wire = sum(n + (4 if addrsize == 16 else 3) for _, _, n in expected_reads(part, build.image.size))
    probes = 8 if part == "m24c16" else 2
    assert r["stats"]["wire_bytes"] == wire + probes
    if kind == "sim":
        # Detection probes as the badge does, then few, large, sequential reads: the
        # header and superblock in one, the payload in as few as the part allows.
        assert len([e for e in r["log"] if e[0] == "w"]) == probes
        assert [e[1:] for e in r["log"] if e[0] == "rm"] == expected_reads(part, build.image.size)


def big_module():
    """A module whose .mpy is mostly bytecode and string constants: a few functions
    with long bodies and long strings (per-function RAM is small next to them)."""
    out = []
    for f in range(6):
        out.append("TEXT%d = %r\n" % (f, "".join("line %d of text block %d; " % (i, f) for i in range(60))))
        out.append("def f%d(x):\n    t = 0\n" % f)
        for i in range(120):
            out.append("    t = (t * 31 + x * %d + len(TEXT%d) + %d) %% 65521\n" % (i + 1, f, i * f))
        out.append("    return t\n")
    out.append("def total():\n    return sum(f(7) for f in (f0, f1, f2, f3, f4, f5))\n")
    return "".join(out)


def expected_total():
    namespace = {}
    exec(big_module(), namespace)
    return namespace["total"]()


@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    d = tmp_path_factory.mktemp("bigapp")
    (d / "app.py").write_text("from .big import total\n__app_export__ = total\n")
    (d / "big.py").write_text(big_module())
    return str(d), build_image(str(d), "m24128")


COPY_VFS = """
import io
class CopyVfs:
    # A filesystem whose files are streams: MicroPython copies what it imports.
    def __init__(self, files):
        self.files = files
    def mount(self, readonly, mkfs):
        pass
    def umount(self):
        pass
    def chdir(self, path):
        pass
    def getcwd(self):
        return ""
    def stat(self, path):
        path = path.strip("/")
        if path == "":
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        if path in self.files:
            return (0x8000, 0, 0, 0, 0, 0, len(self.files[path]), 0, 0, 0)
        raise OSError(2)
    def ilistdir(self, path):
        for name in self.files:
            yield (name, 0x8000, 0, len(self.files[name]))
    def open(self, path, mode):
        return io.BytesIO(self.files[path.strip("/")])
"""


def test_bytecode_runs_in_place(device, big_app):
    """Importing from eerom grows the heap by far less than the .mpy: bytecode and
    strings are used where they lie.  The same .mpy from a stream is copied."""
    _, build = big_app
    mpy = {f.path: f.data for f in build.files}["big.mpy"]
    r = device.run1(SETUP + COPY_VFS + """
def grow(name):
    gc.collect()
    before = gc.mem_alloc()
    m = __import__(name)
    gc.collect()
    return gc.mem_alloc() - before, m
eerom.mount(new_bus(), "/hexpansion_1")
rom_growth, m = grow("hexpansion_1.big")
rom_total = m.big.total()
with open("/hexpansion_1/big.mpy", "rb") as f:
    vfs.mount(CopyVfs({"big.mpy": f.read()}), "/copied")
file_growth, m2 = grow("copied.big")
report(rom=rom_growth, file=file_growth, rom_total=rom_total, file_total=m2.big.total())
""", build.image.to_bytes(), "m24128")
    assert r["rom_total"] == r["file_total"] == expected_total()
    assert len(mpy) > 10000
    assert r["rom"] < len(mpy) / 4, r
    assert r["file"] > len(mpy), r  # the copy holds all the bytecode
    print("\n%s: .mpy %d B: heap growth on import %d B from eerom, %d B copied from a stream"
          % (device.kind, len(mpy), r["rom"], r["file"]))


# Code imported from an image keeps running after umount(), module clean-up and heap
# churn (test_lifetime.py runs this on a build without native code too).
OUTLIVES = """
eerom.mount(new_bus(), "/hexpansion_1")
total = __import__("hexpansion_1.app").app.__app_export__
first = total()
eerom.umount("/hexpansion_1")
for name in ("hexpansion_1.app", "hexpansion_1.big", "hexpansion_1"):
    del sys.modules[name]
gc.collect()
# Churn: fill most of the free heap with other data, many times over, so that a
# freed image would be overwritten.
for round in range(10):
    junk = []
    try:
        while gc.mem_free() > 8192:
            junk.append(bytearray(b"\\xa5" * 256))
    except MemoryError:
        pass
    del junk
    gc.collect()
report(first=first, again=total(), mounts=mounted())
"""


def test_imported_code_outlives_umount_and_gc(device, big_app):
    _, build = big_app
    r = device.run1(SETUP + OUTLIVES, build.image.to_bytes(), "m24128")
    assert r["first"] == r["again"] == expected_total()
    assert "/hexpansion_1" not in r["mounts"]


def test_remounting_one_image_shares_its_buffer(device, big_app):
    _, build = big_app
    r = device.run1(SETUP + """
bus = new_bus()
first = eerom.mount(bus, "/hexpansion_1")
eerom.umount("/hexpansion_1")
gc.collect()
before = gc.mem_alloc()
reused = []
for i in range(10):
    reused.append(eerom.mount(bus, "/hexpansion_1").reused)
    eerom.umount("/hexpansion_1")
reused.append(eerom.mount(bus, "/second").reused)
eerom.umount("/second")
gc.collect()
report(first=first.reused, reused=reused, growth=gc.mem_alloc() - before, size=first.image_size)
""", build.image.to_bytes(), "m24128")
    assert r["first"] is False and all(r["reused"])
    assert r["growth"] < r["size"] / 4, r  # 11 mounts, not 11 copies


@pytest.fixture(scope="module")
def small():
    return build_image(BASIC, "m24c16")


@pytest.mark.parametrize("kind", ["sim", "native"])
def test_every_damaged_byte_is_refused(device, small, kind):
    """Flip each byte from fs_offset to the image's end: always OSError, never mounted,
    and afterwards the interpreter still mounts and runs the good image."""
    data = small.image.to_bytes()
    r = device.run1(SETUP + """
codes = []
for i in range(32, len(image)):
    bad = bytearray(image)
    bad[i] ^= 0xff
    errno, message, mounts = try_mount(new_bus(bytes(bad)))
    codes.append([errno, message.split(":")[1].strip() if ":" in message else message,
                  "/hexpansion_1" in mounts])
    gc.collect()  # keeps the long-lived results from fragmenting the heap
eerom.mount(new_bus(), "/hexpansion_1")
app = __import__("hexpansion_1.app").app.__app_export__()
report(codes=codes, value=app.summary()["value"])
""", data, "m24c16", kind, timeout=600)
    assert r["value"] == 42
    assert len(r["codes"]) == len(data) - 32
    for offset, (errno, problem, was_mounted) in enumerate(r["codes"], 32):
        assert errno in (ENOEXEC, ENOENT), (offset, errno, problem)
        assert not was_mounted
        if offset >= 32 + 24:
            assert problem == "payload-crc", (offset, problem)


def test_truncated_and_header_damage(device, small):
    data = small.image.to_bytes()
    bad_header = bytearray(data)
    bad_header[20] ^= 1  # unique_id: only the checksum notices
    r = device.run1(SETUP + """
out = {}
for name, blob in (("cut", ARGS[2]), ("header", ARGS[3]), ("blank", ARGS[4])):
    out[name] = try_mount(new_bus(blob))
out["absent"] = try_mount(eeprom_sim.Bus())
out["absent_addr"] = try_mount(eeprom_sim.Bus(), addr=0x50)
out["too_large"] = try_mount(new_bus(), max_size=100)
report(**out)
""", data, "m24c16", data[:len(data) // 2], bytes(bad_header), b"\xff" * 2048)
    assert r["cut"][0] == ENOEXEC and "payload-crc" in r["cut"][1]
    assert r["header"][0] == EINVAL and "header-checksum" in r["header"][1]
    assert r["blank"][0] == EINVAL and "header-magic" in r["blank"][1]
    assert r["absent"][0] == ENODEV and r["absent_addr"][0] == ENODEV
    assert r["too_large"][0] == EFBIG and "too-large" in r["too_large"][1]
    for v in r.values():
        assert "/hexpansion_1" not in v[2]


def test_littlefs_hexpansion_is_not_an_eerom_image(device, small):
    """A valid header with LittleFS behind it: ENOENT, so a loader can fall back."""
    data = bytearray(small.image.to_bytes())
    data[32:36] = b"\xf0\x0f\xff\xf7"  # littlefs block 0 starts with a revision count
    r = device.run1(SETUP + "report(r=try_mount(new_bus(bytes(image))))", bytes(data), "m24c16")
    assert r["r"][0] == ENOENT and "no-image" in r["r"][1]


@pytest.mark.parametrize("kind", BUS_KINDS)
def test_bus_faults_mid_mount(device, small, kind):
    """A NACK, timeout, unplug or garbled byte during the payload read."""
    r = device.run1(SETUP + """
out = {}
for fault in ("nack", "timeout", "remove", "short", "flip"):
    bus = new_bus()
    inject(bus, 9, fault)   # after detection (8 probes) and the header read
    out[fault] = try_mount(bus)
out["after"] = eerom.mount(new_bus(), "/hexpansion_1").image_size
report(**out)
""", small.image.to_bytes(), "m24c16", kind)
    for fault in ("nack", "timeout", "remove"):
        assert r[fault][0] == EIO, r
        assert "I2C read" in r[fault][1]
    for fault in ("short", "flip"):
        assert r[fault][0] == ENOEXEC and "payload-crc" in r[fault][1], r
    assert r["after"] == len(small.romfs)


def test_mount_point_in_use_keeps_nothing(device, small):
    """A mount that fails at the last step (mount point taken) frees the image it loaded."""
    other = build_image(EXAMPLE_APP, "m24c16")
    r = device.run1(SETUP + """
eerom.mount(new_bus(), "/hexpansion_1")
gc.collect()
before = gc.mem_alloc()
out = []
for data in (image, ARGS[2]):  # the same image, then another
    try:
        eerom.mount(new_bus(data), "/hexpansion_1")
        out.append("mounted twice")
    except OSError as e:
        out.append(e.errno)
    gc.collect()
report(out=out, growth=gc.mem_alloc() - before, mounts=mounted())
""", small.image.to_bytes(), "m24c16", other.image.to_bytes())
    assert r["out"] == [EPERM, EPERM]
    assert r["mounts"].count("/hexpansion_1") == 1
    # Had the second image's buffer been kept, the heap would have grown by its
    # inflated size at least (plus its payload while loading).
    assert r["growth"] < len(other.romfs) / 2, r


def test_detection_follows_the_badge(device, small):
    results = device.run("""
E = eeprom_sim.EEPROM
report(
    m24c16=eerom.detect(eeprom_sim.Bus(E.part("m24c16"))),
    at50=eerom.detect(eeprom_sim.Bus(E.part("m24c64"))),
    at57=eerom.detect(eeprom_sim.Bus(E.part("m24c64", base=0x57))),
    header=list(eerom.header(eeprom_sim.Bus(E.part("m24c16", data=ARGS[0])))),
)
try:
    eerom.mount(object(), "/x")
except TypeError as e:
    report(typeerror=str(e))
""", small.image.to_bytes())
    assert results[0] == {"m24c16": [0x50, 8], "at50": [0x50, 16], "at57": [0x57, 16],
                          "header": ["Test", 0xCA75, 0x1337, 0, "2024", 32, 16, 2048, 0x50, 8]}
    assert "readfrom_mem_into" in results[1]["typeerror"]
