"""The writable overlay (the badge's system/hexpansion/overlay.py, from eerom's patch
series in integrations/badge-2024-software/) on MicroPython's unix port.

The badge's root filesystem is LittleFS on a RAM block device mounted at "/" (as on
the badge), or a host folder under the unix port's own VfsPosix; the hexpansion is a
simulated EEPROM holding an eerom image of an app that saves its settings next to its
own code.  Unix only: the qemu port has no writable filesystem.  (Not VfsPosix(root) at
"/": its rename() joins both paths into one buffer, so renames with absolute paths
fail with ENOENT on MicroPython 1.26.)"""

import json
import os

import pytest

from conftest import Device, _target, build_image
from test_mount import big_module

from badge import series  # noqa: E402  (tests/badge/series.py: one patched tree per session)


@pytest.fixture(scope="module")
def overlay_dir(tmp_path_factory):
    """The folder of overlay.py in the badge's repository with the series applied."""
    tree = series.patched_tree(tmp_path_factory.getbasetemp())
    return os.path.join(tree, "modules", "system", "hexpansion")
ENOENT, EEXIST, EINVAL, ENOTDIR, EROFS = 2, 17, 22, 20, 30

SETTINGS_APP = {
    "app.py": '''\
import json
import sys

HERE = __file__[: __file__.rfind("/")]
SETTINGS = HERE + "/settings.json"


def load():
    try:
        with open(SETTINGS) as f:
            return json.load(f)
    except OSError:
        return None


def save(settings):
    with open(SETTINGS, "w") as f:
        json.dump(settings, f)


def defaults():
    with open(HERE + "/defaults.json") as f:
        return json.load(f)


__app_export__ = load
''',
    "defaults.json": '{"count": 0}\n',
    "data/notes.txt": "shipped with the image\n",
}


def write_app(folder, files):
    for path, text in files.items():
        os.makedirs(os.path.join(folder, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(folder, path), "w") as f:
            f.write(text)
    return folder


@pytest.fixture(scope="module")
def unix(overlay_dir):
    device = Device(_target("unix"))
    device.overlay_dir = overlay_dir
    return device


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return write_app(str(tmp_path_factory.mktemp("settingsapp")), SETTINGS_APP)


@pytest.fixture(scope="module")
def images(app_dir, tmp_path_factory):
    """The settings app on a 2 KiB part; an update of it (same VID/PID, one more file);
    the same app as another product; and as a second unit (unique_id 1)."""
    update = write_app(str(tmp_path_factory.mktemp("update")), dict(SETTINGS_APP, **{"extra.txt": "v2\n"}))
    return {
        "app": build_image(app_dir, "m24c16").image.to_bytes(),
        "update": build_image(update, "m24c16").image.to_bytes(),
        "other": build_image(app_dir, "m24c16", vid=0xEE70, pid=0x0001).image.to_bytes(),
        "unit1": build_image(app_dir, "m24c16", unique_id=1).image.to_bytes(),
    }


@pytest.fixture(params=["lfs", "posix"])
def store(request, tmp_path):
    """The badge's root filesystem: LittleFS on a RAM block device mounted at "/" (as
    on the badge), or a host folder under the unix port's VfsPosix at "/"."""
    return request.param, str(tmp_path)


SETUP = """
images, kind = ARGS[0], ARGS[2]
sys.path.append(ARGS[1])
import overlay
class RAMBlockDev:
    def __init__(self, block_size, count):
        self.block_size = block_size
        self.data = bytearray(block_size * count)
    def readblocks(self, block, buf, offset=0):
        at = block * self.block_size + offset
        buf[:] = memoryview(self.data)[at : at + len(buf)]
    def writeblocks(self, block, buf, offset=0):
        at = block * self.block_size + offset
        self.data[at : at + len(buf)] = buf
    def ioctl(self, op, arg):
        if op == 4:
            return len(self.data) // self.block_size
        if op == 5:
            return self.block_size
        if op == 6:
            return 0
if kind == "lfs":
    bdev = RAMBlockDev(512, 256)
    vfs.VfsLfs2.mkfs(bdev)
    vfs.umount("/")
    vfs.mount(vfs.VfsLfs2(bdev), "/")
    BADGE = ""          # the folder that stands for the badge's "/"
else:
    BADGE = ARGS[3]
os.chdir("/")
def insert(name="app", port=1, part="m24c16"):
    # What the hexpansion manager does: mount the image, then the overlay over it.
    mp = "/hexpansion_%d" % port
    info = eerom.mount(eeprom_sim.Bus(eeprom_sim.EEPROM.part(part, data=images[name])), mp)
    overlay.mount_overlay(mp, BADGE + overlay.data_dir(info))
    return info
def remove(port=1):
    mp = "hexpansion_%d" % port
    vfs.umount("/" + mp)
    for k in list(sys.modules):
        if k == mp or k.startswith(mp + "."):
            del sys.modules[k]
def app(port=1):
    return __import__("hexpansion_%d.app" % port).app
def errno_of(f, *args, **kw):
    try:
        f(*args, **kw)
    except OSError as e:
        return e.errno
    return 0
def read(path):
    with open(path) as f:
        return f.read()
def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
def exists(path):
    return errno_of(os.stat, path) == 0
DATA = BADGE + "/hexpansion_data"
"""


def run(unix, store, images, script):
    kind, tmp = store
    results = unix.run(SETUP + script, images, unix.overlay_dir, kind, tmp)
    return results[0] if len(results) == 1 else results


def test_settings_are_written_to_the_badge_and_read_back(unix, store, images):
    r = run(unix, store, images, """
info = insert()
a = app()
first = a.load()
created_early = exists(DATA)
a.save({"count": 1})
report(first=first, created_early=created_early, again=a.load(), defaults=a.defaults(),
       file=a.__file__, settings=a.SETTINGS,
       listing=sorted(os.listdir("/hexpansion_1")), data=sorted(os.listdir("/hexpansion_1/data")),
       stat=list(os.stat("/hexpansion_1/settings.json"))[6], image_stat=list(os.stat("/hexpansion_1/app.mpy"))[6],
       root=sorted(n for n in os.listdir("/") if "hexpansion" in n or "eerom" in n),
       mounts=mounted(), dir=overlay.data_dir(info), stored=read(DATA + "/ca75_1337_0000/settings.json"),
       eerom_umount=errno_of(eerom.umount, "/hexpansion_1"))
remove()
report(mounts=mounted(), root=sorted(n for n in os.listdir("/") if "hexpansion" in n or "eerom" in n),
       stored=read(DATA + "/ca75_1337_0000/settings.json"))
""")
    r, after = r
    assert r["first"] is None and not r["created_early"]  # nothing written, nothing created
    assert r["again"] == {"count": 1} and r["defaults"] == {"count": 0}
    assert r["file"] == "hexpansion_1/app.mpy" and r["settings"] == "hexpansion_1/settings.json"
    assert r["listing"] == ["app.mpy", "data", "defaults.json", "settings.json"]
    assert r["data"] == ["notes.txt"]
    assert r["stat"] == len('{"count": 1}') and r["image_stat"] > 0
    # The file is in the badge's filesystem, under the hexpansion's VID/PID/unique_id.
    assert r["dir"] == "/hexpansion_data/ca75_1337_0000"
    assert json.loads(r["stored"]) == {"count": 1}
    # One mount, no hidden one: "/" lists the overlay and the badge's own files only
    # (on the unix port with the host's root, hexpansion_data is in a temporary folder).
    kind = store[0]
    assert r["mounts"] == ["/hexpansion_1", "/"]
    assert r["root"] == (["hexpansion_1", "hexpansion_data"] if kind == "lfs" else ["hexpansion_1"])
    assert r["eerom_umount"] == EINVAL  # the overlay is not eerom's: vfs.umount() it
    assert after["mounts"] == ["/"] and after["root"] == (["hexpansion_data"] if kind == "lfs" else [])
    assert json.loads(after["stored"]) == {"count": 1}  # kept on the badge


def test_files_dirs_and_errors(unix, store, images):
    r = run(unix, store, images, """
insert()
M = "/hexpansion_1"
out = {}
write(M + "/settings.json", "{}")
out["remove_image_file"] = errno_of(os.remove, M + "/app.mpy")
out["remove_image_data"] = errno_of(os.remove, M + "/data/notes.txt")
out["remove_missing"] = errno_of(os.remove, M + "/nothing")
out["rename_image_file"] = errno_of(os.rename, M + "/defaults.json", M + "/d.json")
out["rmdir_image_dir"] = errno_of(os.rmdir, M + "/data")
out["rmdir_root"] = errno_of(os.rmdir, M)
out["mkdir_image_dir"] = errno_of(os.mkdir, M + "/data")
out["open_missing"] = errno_of(open, M + "/nothing")
out["write_in_missing_dir"] = errno_of(write, M + "/no/such.txt", "x")
out["write_over_dir"] = errno_of(write, M + "/data", "x")
# rename a written file, and onto a name the image has (the written file hides it)
out["rename"] = errno_of(os.rename, M + "/settings.json", M + "/s2.json")
out["after_rename"] = sorted(os.listdir(M))
write(M + "/s3.json", "mine")
out["rename_over_image"] = errno_of(os.rename, M + "/s3.json", M + "/defaults.json")
out["hidden"] = read(M + "/defaults.json")
out["remove_shows_image"] = errno_of(os.remove, M + "/defaults.json")
out["shown"] = read(M + "/defaults.json")
# a file in a folder that only the image has: the folder is made in the data folder
write(M + "/data/log.txt", "one\\n")
out["data"] = sorted(os.listdir(M + "/data"))
# mkdir, a file in it, rename the folder, rmdir
out["mkdir"] = errno_of(os.mkdir, M + "/cache")
write(M + "/cache/c.bin", "c")
out["rename_dir"] = errno_of(os.rename, M + "/cache", M + "/cache2")
out["rmdir_full"] = errno_of(os.rmdir, M + "/cache2")
os.remove(M + "/cache2/c.bin")
out["rmdir"] = errno_of(os.rmdir, M + "/cache2")
# append to, and update, a file the image holds: copied first
write(M + "/data/notes.txt", "appended\\n", "a")
out["appended"] = read(M + "/data/notes.txt")
with open(M + "/defaults.json", "r+") as f:
    f.write("{\\"count\\": 9}")
out["updated"] = read(M + "/defaults.json")
out["exclusive"] = errno_of(open, M + "/app.mpy", "x")
if kind == "lfs":  # the unix port's VfsPosix ignores "x" (it opens read-only)
    out["exclusive_new"] = [errno_of(write, M + "/new.txt", "n", "x"), read(M + "/new.txt"),
                            errno_of(write, M + "/new.txt", "n", "x")]
    os.remove(M + "/new.txt")
# bytes paths, ilistdir entries, stat of folders
out["bytes"] = sorted(os.listdir(M.encode() + b"/data"))
out["kinds"] = sorted([e[0], e[1]] for e in os.ilistdir(M))
out["stat_dir"] = os.stat(M + "/data")[0] & 0xF000 == 0x4000
out["stat_root"] = os.stat(M)[0] & 0xF000 == 0x4000
# the current directory inside the overlay
os.chdir(M)
out["cwd"] = os.getcwd()
out["relative"] = [sorted(os.listdir()), read("s2.json")]
os.chdir("data")
out["cwd_data"] = os.getcwd()
out["relative_data"] = [sorted(os.listdir()), read("../s2.json"), read("log.txt")]
out["chdir_file"] = errno_of(os.chdir, M + "/app.mpy")
os.chdir("/")
out["statvfs"] = len(os.statvfs(M))
out["written"] = sorted(os.listdir(BADGE + overlay.data_dir(eerom.header(eeprom_sim.Bus(
    eeprom_sim.EEPROM.part("m24c16", data=images["app"]))))))
out["stored_notes"] = read(DATA + "/ca75_1337_0000/data/notes.txt")
report(**out)
""")
    assert r["remove_image_file"] == r["remove_image_data"] == EROFS
    assert r["rename_image_file"] == r["rmdir_image_dir"] == r["rmdir_root"] == EROFS
    assert r["remove_missing"] == r["open_missing"] == r["write_in_missing_dir"] == ENOENT
    assert r["mkdir_image_dir"] == EEXIST and r["write_over_dir"] == 21  # EISDIR
    assert r["rename"] == 0
    assert r["after_rename"] == ["app.mpy", "data", "defaults.json", "s2.json"]
    assert r["rename_over_image"] == 0 and r["hidden"] == "mine"
    assert r["remove_shows_image"] == 0 and r["shown"] == '{"count": 0}\n'
    assert r["data"] == ["log.txt", "notes.txt"]
    assert r["mkdir"] == r["rename_dir"] == r["rmdir"] == 0 and r["rmdir_full"] != 0
    assert r["appended"] == "shipped with the image\nappended\n"
    assert r["updated"] == '{"count": 9}\n'
    assert r["exclusive"] == EEXIST
    assert r.get("exclusive_new", [0, "n", EEXIST]) == [0, "n", EEXIST]
    assert r["bytes"] == ["log.txt", "notes.txt"]
    assert r["kinds"] == [["app.mpy", 0x8000], ["data", 0x4000], ["defaults.json", 0x8000], ["s2.json", 0x8000]]
    assert r["stat_dir"] and r["stat_root"]
    assert r["cwd"] == "/hexpansion_1" and r["cwd_data"] == "/hexpansion_1/data"
    assert r["relative"] == [["app.mpy", "data", "defaults.json", "s2.json"], "{}"]
    assert r["relative_data"] == [["log.txt", "notes.txt"], "{}", "one\n"]
    assert r["chdir_file"] == ENOTDIR
    assert r["statvfs"] == 10
    assert r["written"] == ["data", "defaults.json", "s2.json"]
    assert r["stored_notes"] == "shipped with the image\nappended\n"


def test_reinsertion_update_and_other_products(unix, store, images):
    r = run(unix, store, images, """
out = {}
insert()
app().save({"count": 5})
remove()
insert()                       # unplugged and plugged in again
out["again"] = app().load()
remove()
insert("update")               # a newer image of the same product and unit
out["update"] = [app().load(), read("/hexpansion_1/extra.txt")]
remove()
insert("other")                # another product in the same port
out["other"] = app().load()
app().save({"count": 7})
remove()
insert("unit1")                # a second unit of the same product (unique_id 1)
out["unit1"] = app().load()
remove()
# Two hexpansions whose headers are the same (unique_id 0 on both) share the folder.
insert(port=1)
insert(port=2)
app(2).save({"count": 6})
out["twins"] = app(1).load()
remove(1)
remove(2)
out["mounts"] = mounted()
out["folders"] = sorted(os.listdir(DATA))
report(**out)
""")
    assert r["again"] == {"count": 5}
    assert r["update"] == [{"count": 5}, "v2\n"]
    assert r["other"] is None and r["unit1"] is None
    assert r["twins"] == {"count": 6}
    assert r["mounts"] == ["/"]
    assert r["folders"] == ["ca75_1337_0000", "ee70_0001_0000"]


def test_readonly_mount_and_mkfs(unix, store, images):
    r = run(unix, store, images, """
info = eerom.mount(eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24c16", data=images["app"])), "/hexpansion_1")
rom = [fs for fs, p in vfs.mount() if p == "/hexpansion_1"][0]
eerom.umount("/hexpansion_1")
vfs.mount(overlay.OverlayVfs(rom, BADGE + overlay.data_dir(info)), "/hexpansion_1", readonly=True)
out = {"write": errno_of(write, "/hexpansion_1/settings.json", "{}"),
       "mkdir": errno_of(os.mkdir, "/hexpansion_1/d"),
       "read": read("/hexpansion_1/defaults.json")}
vfs.umount("/hexpansion_1")
out["mkfs"] = errno_of(vfs.mount, overlay.OverlayVfs(rom, "/x"), "/hexpansion_1", mkfs=True)
out["nothing"] = errno_of(overlay.mount_overlay, "/hexpansion_3", "/x")
out["created"] = exists(DATA)
report(**out)
""")
    assert r == {"write": EROFS, "mkdir": EROFS, "read": '{"count": 0}\n', "mkfs": 1, "nothing": ENOENT,
                 "created": False}


@pytest.fixture(scope="module")
def big_image(tmp_path_factory):
    d = write_app(str(tmp_path_factory.mktemp("bigapp")), {"app.py": "from .big import total\n__app_export__ = total\n",
                                                            "big.py": big_module()})
    build = build_image(d, "m24128")
    return build.image.to_bytes(), len({f.path: f.data for f in build.files}["big.mpy"])


def test_import_stays_in_place(unix, store, big_image):
    """Importing through the overlay grows the heap as little as importing from the
    VfsRom directly: the file object is the VfsRom's own, and the bytecode runs from
    the image.  The same .mpy written to the overlay (so read from the badge's
    filesystem) is copied, which shows the measurement tells the two apart."""
    image, mpy_size = big_image
    r = unix.run1(SETUP + """
def grow(name):
    gc.collect()
    before = gc.mem_alloc()
    m = __import__(name)
    gc.collect()
    return gc.mem_alloc() - before, m
eerom.mount(eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24128", data=images["big"])), "/hexpansion_2")
direct, m2 = grow("hexpansion_2.big")
insert("big", part="m24128")
through, m1 = grow("hexpansion_1.big")
rom_file = open("/hexpansion_1/big.mpy", "rb")
plain_file = open("/hexpansion_2/big.mpy", "rb")
same_type = type(rom_file) is type(plain_file)
in_place = len(memoryview(rom_file)) == len(memoryview(plain_file))
with open("/hexpansion_1/copy.mpy", "wb") as f:
    f.write(plain_file.read())
with open("/hexpansion_1/copy.mpy", "rb") as f:
    same_type = same_type and type(f) is not type(rom_file)  # a written file is the badge's
copied, m3 = grow("hexpansion_1.copy")
report(direct=direct, through=through, copied=copied, same_type=same_type, in_place=in_place,
       totals=[m1.big.total(), m2.big.total(), m3.copy.total()], file=m1.big.__file__)
""", {"big": image}, unix.overlay_dir, *store)
    assert mpy_size > 10000
    assert r["same_type"] and r["in_place"]
    assert r["totals"][0] == r["totals"][1] == r["totals"][2]
    assert r["file"] == "hexpansion_1/big.mpy"
    # Through the overlay: what a direct import costs, plus a few stat/open calls' garbage.
    assert r["through"] < r["direct"] + 512, r
    assert r["through"] < mpy_size / 4, r
    assert r["copied"] > mpy_size, r
    print("\n.mpy %d B: heap growth on import %d B from the VfsRom, %d B through the overlay, "
          "%d B from the badge's filesystem" % (mpy_size, r["direct"], r["through"], r["copied"]))


def test_insert_and_remove_many_times_keeps_nothing(unix, store, images):
    r = run(unix, store, images, """
insert()
app().save({"count": 1})
remove()
gc.collect()
before = gc.mem_alloc()
for i in range(30):
    insert()
    app().load()
    remove()
gc.collect()
report(growth=gc.mem_alloc() - before, mounts=mounted())
""")
    assert r["mounts"] == ["/"]
    assert r["growth"] < 1024, r
