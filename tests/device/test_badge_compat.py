"""What badge firmware without eerom does with an eerom hexpansion, and the reverse."""

from conftest import EXAMPLE_APP, build_image

BADGE_FLOW = """
import struct, badge_lfs
bus = eeprom_sim.Bus(eeprom_sim.EEPROM.part(ARGS[1], data=ARGS[0]))
# 1. the badge's detection and header read (util.py): scan, then readfrom_mem
devices = bus.scan()
addr, alen = (0x50, 1) if all(a in devices for a in range(0x50, 0x58)) else (0x50, 2)
raw = bus.readfrom_mem(addr, 0, 32, addrsize=8 * alen)
magic, version, fs_offset, page, total, vid, pid, uid, name = struct.unpack("<4s4sHHIHHH9s", raw[:31])
check = 0x55
for b in raw[1:31]:
    check ^= b
# 2. LittleFS through its pure-Python block device, as the badge mounts it
bdev = badge_lfs.BadgeEEPROM(bus, fs_offset, page, total, addr, 8 * alen)
try:
    vfs.mount(bdev, "/hexpansion_1")
    lfs = "mounted"
except OSError as e:
    lfs = e.errno
written = bus.data_written
# 3. eerom still mounts it afterwards
info = eerom.mount(bus, "/hexpansion_2")
report(header_ok=raw[1:4] == b"HEX" and version in (b"2024", b"2026") and check == raw[31],
       vid=vid, pid=pid, name=name.rstrip(b"\\0").decode(), lfs=lfs, written=written,
       eerom=info.image_size, files=sorted(os.listdir("/hexpansion_2")))
"""


def test_old_firmware_identifies_but_never_writes(device):
    for part in ("m24c16", "m24c64"):
        b = build_image(EXAMPLE_APP, part, name="Hello")
        r = device.run1(BADGE_FLOW, b.image.to_bytes(), part)
        assert r["header_ok"] and (r["vid"], r["pid"], r["name"]) == (0xCA75, 0x1337, "Hello")
        assert r["lfs"] != "mounted"  # LittleFS finds no filesystem ...
        assert r["written"] == 0  # ... and nothing was written to the part
        assert r["eerom"] == len(b.romfs) and r["files"] == ["app.mpy", "lib", "message.txt"]


def test_eerom_leaves_a_littlefs_hexpansion_alone(device):
    """On a LittleFS hexpansion eerom.mount() says ENOENT and writes nothing."""
    r = device.run1("""
import badge_lfs
chip = eeprom_sim.EEPROM.part("m24c64", write_cycle_ms=0)
chip.load(bytes.fromhex("5448455832303234200020000020000075ca371300005a4432344336344100a7"))
bus = eeprom_sim.Bus(chip)
bdev = badge_lfs.BadgeEEPROM(bus, 32, 32, 8192)
vfs.VfsLfs2.mkfs(bdev)
vfs.mount(bdev, "/lfs")
with open("/lfs/app.py", "w") as f:
    f.write("x = 1\\n")
vfs.umount("/lfs")
before = bytes(chip.mem)
bus.reset_stats()
try:
    eerom.mount(bus, "/hexpansion_1")
    r = "mounted"
except OSError as e:
    r = [e.errno, e.args[1]]
report(r=r, written=bus.data_written, same=bytes(chip.mem) == before)
""")
    assert r["r"][0] == 2 and "no-image" in r["r"][1]
    assert r["written"] == 0 and r["same"]
