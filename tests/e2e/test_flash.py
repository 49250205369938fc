"""`eerom flash` and friends, end to end: the real CLI and mpremote's serial transport
against the qemu ARM firmware, whose fake native I2C bus holds the EEPROM."""

import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from board import QemuBoard
from conftest import EXAMPLE_APP, build_image, qemu_firmware

from eerom import builder, flash, planner
from eerom import link as link_mod
from eerom.errors import DeviceError
from eerom.link import digest
from eerom.parts import custom_part, get_part
from eerom.progress import Progress

HERE = os.path.dirname(os.path.abspath(__file__))
EEROM = [sys.executable, "-m", "eerom"]


@pytest.fixture(scope="module")
def board():
    b = QemuBoard(qemu_firmware("qemu-test")).start()
    yield b
    b.stop()


def cli(*args, check=None):
    proc = subprocess.run(EEROM + [str(a) for a in args], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def app_copy(tmp_path, message="Hello from an EEPROM!"):
    d = tmp_path / "app"
    shutil.copytree(EXAMPLE_APP, d)
    (d / "message.txt").write_text(message + "\n")
    return d


def session(board, use_module=True):
    return flash.Session(board.port, "machine.I2C(1)", use_module=use_module)


QUIET = Progress(enabled=False)


@pytest.mark.parametrize("module", [True, False], ids=["module", "stock"])
def test_flash_an_app_folder_and_run_it(board, tmp_path, module):
    board.attach("m24c16")
    app = app_copy(tmp_path)
    args = ["flash", app, "--device", board.port, "--bus", 1, "--part", "m24c16", "--vid", "0xCA75",
            "--pid", "0x1337", "--name", "Hello"] + ([] if module else ["--no-module"])
    began = time.monotonic()
    r = cli(*args, check=0)
    elapsed = time.monotonic() - began
    assert "verified: every page reads back as written" in r.stdout
    seconds = float(re.search(r"; ([0-9.]+) s$", r.stdout, re.M).group(1))
    assert 0 < seconds <= elapsed  # the flash's own time, inside the command's
    assert ("the board mounts it" in r.stdout) == module
    assert "compare" in r.stderr and "write" in r.stderr  # the progress display
    assert board.mount_and_run() == ("ok", "Hello from an EEPROM! (hexpansion port ?)")


def test_reflashing_writes_only_what_changed(board, tmp_path):
    board.attach("m24c64")
    v1 = build_image(app_copy(tmp_path / "1"), "m24c64", name="Hello", layout="paged")
    v2 = build_image(app_copy(tmp_path / "2", "Hello again, from the same EEPROM"), "m24c64", name="Hello",
                     layout="paged")
    p1, p2 = tmp_path / "v1.eerom", tmp_path / "v2.eerom"
    p1.write_bytes(v1.image.to_bytes())
    p2.write_bytes(v2.image.to_bytes())
    cli("flash", p1, "--device", board.port, "--bus", 1, check=0)

    # Unchanged: nothing is written.
    board.reset_stats()
    r = cli("flash", p1, "--device", board.port, "--bus", 1, check=0)
    assert " 0 written" in r.stdout
    assert board.stats()["page_writes"] == 0

    # One file changed: exactly the pages `eerom diff` names, plus the 4-byte
    # invalidation of the superblock magic.
    diff = cli("diff", p1, p2, check=0).stdout
    changed = int(diff.split(": ")[1].split(" of ")[0])
    assert 0 < changed <= v2.image.size // 32 // 2  # the paged layout keeps the change local
    board.reset_stats()
    r = cli("flash", p2, "--device", board.port, "--bus", 1, check=0)
    assert " %d written" % changed in r.stdout
    assert board.stats()["page_writes"] == changed + 1
    assert board.mount_and_run() == ("ok", "Hello again, from the same EEPROM (hexpansion port ?)")


class Cut(Exception):
    """The tests' interruption, raised from the link as Ctrl-C or a pulled cable would be."""


WRITES = ("write", "swap")  # the Link's operations that write to the EEPROM


def count_writes(s, cut_at=None):
    """Count the session's writes to the board; raise Cut instead of write number
    `cut_at` (counting from 1).  Returns the counter, a list of one int."""
    count = [0]

    def counting(method):
        def call(*args, **kw):
            if count[0] + 1 == cut_at:
                raise Cut()
            count[0] += 1
            return method(*args, **kw)
        return call

    for name in WRITES:
        setattr(s.link, name, counting(getattr(s.link, name)))
    return count


def flash_counting(board, part, old, new):
    """Put `old` on a fresh `part`, flash `new` over it; the number of writes made."""
    board.attach(part, data=old)
    s = session(board)
    try:
        writes = count_writes(s)
        flash.flash_image(s, new, QUIET)
    finally:
        s.close()
    return writes[0]


def test_every_interruption_is_refused_then_completed(board, tmp_path):
    """Cut the flash before its k-th write, for every k: the badge refuses what is
    there, and running flash again completes and verifies it."""
    old = build_image(app_copy(tmp_path / "old", "the old app"), "m24c16", name="Old")
    new = build_image(app_copy(tmp_path / "new", "the new app, which is longer than the old"), "m24c16",
                      name="New")
    writes = flash_counting(board, "m24c16", old.image.to_bytes(), new.image.to_bytes())
    assert writes >= 4
    for k in range(2, writes + 1):
        board.attach("m24c16", data=old.image.to_bytes())
        s = session(board)
        try:
            done = count_writes(s, cut_at=k)
            with pytest.raises(Cut):
                flash.flash_image(s, new.image.to_bytes(), QUIET)
            assert done[0] == k - 1
        finally:
            s.close()
        state = board.mount_and_run()
        assert state[0] == "error", (k, state)  # neither the old image nor half of the new
        s = session(board)
        try:
            flash.flash_image(s, new.image.to_bytes(), QUIET)
        finally:
            s.close()
        assert board.mount_and_run() == ("ok", "the new app, which is longer than the old (hexpansion port ?)")


def test_killed_mid_flash(board, tmp_path):
    """A real interruption: the flash process is killed (SIGKILL) while it sends a
    write to the board, part-way through the data or just after it, at random.  The
    EEPROM's own count of page writes proves the kill landed after the first page
    write and before the last; the badge refuses what is there, and a rerun finishes."""
    rng = random.Random(1234)
    old = build_image(app_copy(tmp_path / "old", "the old app"), "m24c64", name="Old")
    new = build_image(app_copy(tmp_path / "new", "x" * 3000), "m24c64", name="New")
    path = tmp_path / "new.eerom"
    path.write_bytes(new.image.to_bytes())

    # An uninterrupted flash of the same change, for its counts.
    writes = flash_counting(board, "m24c64", old.image.to_bytes(), new.image.to_bytes())
    page_writes = board.stats()["page_writes"]
    assert writes >= 4 and page_writes > writes

    for _ in range(3):
        board.attach("m24c64", data=old.image.to_bytes())
        k, fraction = rng.randrange(2, writes), rng.uniform(0, 1.3)
        proc = subprocess.run([sys.executable, os.path.join(HERE, "kill_during_write.py"), str(k), str(fraction),
                               "flash", str(path), "--device", board.port, "--bus", "1", "-q", "--host-writes"],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
        landed = board.stats()["page_writes"]
        assert 1 <= landed < page_writes, (k, fraction, landed, page_writes)
        assert board.mount_and_run()[0] == "error", (k, fraction, landed)
        cli("flash", path, "--device", board.port, "--bus", 1, check=0)
        assert board.mount_and_run() == ("ok", "x" * 3000 + " (hexpansion port ?)")


def test_a_torn_page_write_is_found_and_rewritten(board, tmp_path):
    image = build_image(EXAMPLE_APP, "m24c16", name="Hello").image.to_bytes()
    board.attach("m24c16")
    board.exec("import machine, fakei2c\nfakei2c.tear(machine.I2C(1), 7)")  # the 8th page write
    r = cli("flash", _write(tmp_path, image), "--device", board.port, "--bus", 1, check=0)
    assert "rewritten after verify" in r.stdout
    assert board.mount_and_run()[0] == "ok"


def _write(tmp_path, data, name="image.eerom"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_read_verify_info_erase(board, tmp_path):
    image = build_image(EXAMPLE_APP, "m24c16", name="Hello").image.to_bytes()
    board.attach("m24c16", data=image)
    path = _write(tmp_path, image)
    dump = tmp_path / "dump.bin"
    cli("read", "--device", board.port, "--bus", 1, "-o", dump, check=0)
    assert dump.read_bytes()[:len(image)] == image and len(dump.read_bytes()) == 2048
    assert "verified" in cli("verify", path, "--device", board.port, "--bus", 1, check=0).stdout
    for module in ([], ["--no-module"]):
        info = cli("info", "--device", board.port, "--bus", 1, *module, check=0).stdout
        assert "0x50" in info and "Hello" in info and "check: OK" in info
    r = cli("erase", "--device", board.port, "--bus", 1, check=0)
    assert "erased 2048 B" in r.stdout
    assert board.memory() == b"\xff" * 2048
    bad = cli("verify", path, "--device", board.port, "--bus", 1, check=1).stdout
    assert "differs: header pages 0, 1" in bad
    info = cli("info", "--device", board.port, "--bus", 1, check=1).stdout
    assert "no valid hexpansion header" in info


def test_errors_say_what_is_wrong(board, tmp_path):
    small = _write(tmp_path, build_image(EXAMPLE_APP, "m24c16").image.to_bytes(), "small.eerom")
    big_app = app_copy(tmp_path)
    (big_app / "data.txt").write_bytes(os.urandom(2600))
    big = _write(tmp_path, build_image(big_app, "m24c64").image.to_bytes(), "big.eerom")

    r = cli("flash", small, "--device", "/dev/nonexistent-board", "--bus", 1, check=4)
    assert "no board at /dev/nonexistent-board" in r.stderr

    r = cli("flash", small, "--device", board.port, "--bus", 3, check=4)  # nothing attached to bus 3
    assert "no EEPROM answers on this bus" in r.stderr

    board.attach("m24c16")
    r = cli("flash", big, "--device", board.port, "--bus", 1, check=3)
    assert "this EEPROM holds 2048 bytes, the image needs %d: use a bigger part" % os.path.getsize(big) in r.stderr
    board.attach("m24c64", data=build_image(EXAMPLE_APP, "m24c16").image.to_bytes())  # its header says 2 KiB
    r = cli("flash", big, "--device", board.port, "--bus", 1, check=3)
    assert "the EEPROM's header says it holds 2048 bytes, the image needs %d" % os.path.getsize(big) in r.stderr
    assert "--force" in r.stderr

    board.attach("m24c16", write_protect="ignore")  # writes are ACKed and never stick
    r = cli("flash", small, "--device", board.port, "--bus", 1, "-q", check=4)
    assert "still differ after writing them twice" in r.stderr and "write-protected" in r.stderr
    for module in ([], ["--no-module"]):
        board.attach("m24c16", write_protect="nack")  # ST parts NACK the data
        r = cli("flash", small, "--device", board.port, "--bus", 1, "-q", *module, check=4)
        assert "write-protected" in r.stderr, r.stderr

    r = cli("flash", tmp_path / "nothing.eerom", "--device", board.port, "--bus", 1, check=2)
    assert "cannot read" in r.stderr or "does not exist" in r.stderr


def test_a_board_without_machine_i2c():
    b = QemuBoard(qemu_firmware("qemu-eerom")).start()  # the product firmware: no I2C at all
    try:
        r = cli("info", "--device", b.port, "--bus", 1, check=4)
        assert "this board's MicroPython has no machine.I2C" in r.stderr
    finally:
        b.stop()


# -- an EEPROM smaller than the image ---------------------------------------------

M24C32 = get_part("m24c32")  # 4 KiB, 32-byte pages, 2-byte addresses: it ignores address bit 12


def big_app(tmp_path, n=4000):
    """An app of about 4.8 KiB as an image: random data does not compress."""
    app = app_copy(tmp_path, "the big app")
    (app / "data.bin").write_bytes(random.Random(n).randbytes(n))
    return app


@pytest.mark.parametrize("before", ["blank", "8 KiB header"])
@pytest.mark.parametrize("module", [True, False], ids=["module", "stock"])
def test_an_image_bigger_than_the_part_is_refused(board, tmp_path, module, before):
    """A 4 KiB part, blank or holding an image under a header that says 8 KiB, and an
    image of 4.8 KiB built for 8 KiB: writes past 4 KiB would wrap onto the first
    pages.  The flash says so before writing anything but the superblock magic, and
    puts that back: the EEPROM holds what it held."""
    image = build_image(big_app(tmp_path / "big"), "m24c64", name="Big").image.to_bytes()
    assert 4096 < len(image) <= 8192
    old = None
    if before != "blank":
        old = build_image(app_copy(tmp_path / "old", "the old app"), "m24c64", name="Old").image.to_bytes()
    board.attach(M24C32, data=old)
    memory = board.memory()
    r = cli("flash", _write(tmp_path, image), "--device", board.port, "--bus", 1,
            *([] if module else ["--no-module"]))
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert "this EEPROM holds 4096 bytes, the image needs %d: use a bigger part" % len(image) in r.stderr
    assert "verified" not in r.stdout
    assert board.memory() == memory
    if old:
        assert board.mount_and_run() == ("ok", "the old app (hexpansion port ?)")


def test_a_rewrite_is_verified_with_every_page_written(board, tmp_path, monkeypatch):
    """Pages that did not take are written again; if that rewrite breaks a page that
    had verified (as writes past the end of a smaller part do), the final check,
    which covers every page written, finds it."""
    image = build_image(EXAMPLE_APP, "m24c16", name="Hello").image.to_bytes()
    last = (len(image) - 1) // 16 * 16  # the start of the image's last page
    board.attach("m24c16")
    board.exec("import machine, fakei2c\nfakei2c.tear(machine.I2C(1), 7)")  # the 8th page write
    s = session(board)
    try:
        write, digests = s.link.write, s.link.digests
        seen = {"writes": 0, "verifying": False, "clobbered": False}

        def spying_digests(*args, **kw):
            seen["verifying"] |= seen["writes"] > 0  # digests after writes: the verification
            return digests(*args, **kw)

        def clobbering_write(at, data, *args, **kw):
            if seen["verifying"] and not seen["clobbered"]:  # the first rewrite breaks the last page
                seen["clobbered"] = True
                write(last, bytes(len(image) - last), 16)
            seen["writes"] += 1
            return write(at, data, *args, **kw)

        s.link.write, s.link.digests = clobbering_write, spying_digests
        with pytest.raises(DeviceError, match="still differ after writing them twice"):
            flash.flash_image(s, image, QUIET)
    finally:
        s.close()
    assert seen["clobbered"]


# -- page sizes ---------------------------------------------------------------------

@pytest.mark.parametrize("addrsize,page", [(16, p) for p in (8, 16, 32, 64, 128, 256, 512)] + [(8, 8), (8, 16)])
@pytest.mark.parametrize("module", [True, False], ids=["module", "stock"])
def test_every_page_size(board, module, addrsize, page):
    """Every page size the spec allows (8..512), on the stock helper and the module:
    writes split at page boundaries, reads, digests of page-aligned pieces, and a
    whole flash that the board mounts."""
    part = custom_part(2048 if addrsize == 8 else 8192, page, addrsize)
    image = builder.build(EXAMPLE_APP, part, 0xCA75, 0x1337, "Pages", effort="fast").image.to_bytes()
    board.attach(part)
    data = bytes(random.Random(page).randbytes(3 * page + 5))
    at = len(image) + page - 3  # unaligned, across four page boundaries
    parts = planner.pieces(len(data) + 9, page, at - 4)
    s = session(board, use_module=module)  # holds the board's serial port until closed
    try:
        _, result = flash.flash_image(s, image, QUIET)
        whole = flash.read_all(s, part.size, QUIET)
        s.link.write(at, data, page)
        back = s.link.read(at - 2, len(data) + 4)
        device_digests = s.link.digests(at - 4, len(data) + 9, page)
        kind = s.link.digest
    finally:
        s.close()
    memory = board.memory()
    assert result.written == len(planner.pieces(len(image), page))
    assert memory[:len(image)] == image and whole[:at] == memory[:at]
    assert memory[at - 1:at + len(data) + 1] == b"\xff" + data + b"\xff"
    assert back == memory[at - 2:at + len(data) + 2]
    assert device_digests == [digest(kind, memory[p.start:p.end]) for p in parts]
    assert board.mount_and_run()[0] == "ok"


# -- the board's own check after flashing ------------------------------------------------

@pytest.mark.parametrize("route", ["board writes", "host writes"])
def test_a_board_that_refuses_the_flashed_image_fails_the_flash(board, tmp_path, route):
    """An image the board's eerom module does not mount (here: it inflates to more RAM
    than the board has): eerom.program checks it first and writes nothing; written
    from the host, every page reads back but the mount fails.  Either way the flash
    fails with its own message, and never says "verified"."""
    app = app_copy(tmp_path)
    (app / "zeros.bin").write_bytes(bytes(200_000))  # 200 KB inflated, a few hundred bytes deflated
    image = build_image(app, "m24c64", name="Huge", effort="fast").image.to_bytes()
    board.attach("m24c64")
    r = cli("flash", _write(tmp_path, image), "--device", board.port, "--bus", 1,
            *(["--host-writes"] if route == "host writes" else []))
    assert r.returncode == 4, (r.returncode, r.stdout, r.stderr)
    assert "verified" not in r.stdout
    if route == "host writes":
        assert "every page reads back as written, but the board does not mount the image" in r.stderr
    else:
        assert "the board refuses the image before writing anything" in r.stderr
        assert board.memory() == b"\xff" * 8192
    assert "MemoryError" in r.stderr  # the module raises MemoryError when the image does not fit in RAM


def test_a_part_that_stays_busy(board, tmp_path):
    """A part whose write cycle never ends (it NACKs every ACK poll): the errno the
    board raises (ETIMEDOUT, whatever its number on that port) becomes a message."""
    image = _write(tmp_path, build_image(EXAMPLE_APP, "m24c16").image.to_bytes())
    for module in ([], ["--no-module"]):
        board.attach("m24c16", busy_polls=60000)
        r = cli("flash", image, "--device", board.port, "--bus", 1, "-q", *module, check=4)
        assert "the EEPROM stayed busy after a page write" in r.stderr, r.stderr


# -- arguments ----------------------------------------------------------------------

BAD_DEVICE_ARGS = [
    (["--baudrate", "-1"], "--baudrate"),
    (["--baudrate", "0"], "--baudrate"),
    (["--addr", "0x200"], "--addr"),
    (["--addr", "-1"], "--addr"),
    (["--bus", "-1"], "--bus"),
    (["--sda", "-1", "--scl", "5"], "--sda"),
    (["--sda", "4", "--scl", "-5"], "--scl"),
    (["--sda", "4", "--scl", "5", "--freq", "0"], "--freq"),
    (["--sda", "4", "--scl", "5", "--freq", "-100000"], "--freq"),
    (["--freq", "400000"], "--sda"),
    (["--sda", "4"], "--scl"),
    (["--soft"], "--soft"),
    (["--addrsize", "8"], "--addrsize"),
    (["--bus-expr", ""], "--bus-expr"),
    (["--bus-expr", "machine.I2C(1)", "--sda", "4", "--scl", "5"], "--bus-expr"),
    (["--device", ""], "--device"),
]


def _command(name, tmp_path):
    image = tmp_path / "image.eerom"
    if not image.exists():
        image.write_bytes(build_image(EXAMPLE_APP, "m24c16").image.to_bytes())
    return {"flash": ["flash", image], "verify": ["verify", image], "read": ["read", "-o", tmp_path / "dump.bin"],
            "erase": ["erase"], "info": ["info"]}[name]


@pytest.mark.parametrize("command", ["flash", "verify", "read", "erase", "info"])
def test_bad_device_arguments_get_one_line(board, tmp_path, command):
    """Each bad argument: one line saying what is wrong and what to do, exit 2, no
    traceback, and nothing written."""
    board.attach("m24c16")
    for args, name in BAD_DEVICE_ARGS:
        device = [] if "--device" in args else ["--device", board.port]
        if not any(a in args for a in ("--bus", "--bus-expr", "--sda", "--scl", "--freq", "--soft")):
            args = args + ["--bus", "1"]
        r = cli(*_command(command, tmp_path), *device, *args)
        lines = r.stderr.strip().splitlines()
        assert (r.returncode, len(lines)) == (2, 1), (args, r.returncode, r.stderr)
        assert lines[0].startswith("eerom: error: ") and name in lines[0], (args, lines)
    for args in (["--size", "0"], ["--size", "-5"], ["--size", "65537"]):
        if command in ("read", "erase"):
            r = cli(*_command(command, tmp_path), "--device", board.port, "--bus", 1, *args)
            lines = r.stderr.strip().splitlines()
            assert (r.returncode, len(lines)) == (2, 1) and "--size" in lines[0], (args, r.stderr)
    assert board.stats()["page_writes"] == 0


# -- registry folders (issue 9) ---------------------------------------------------------

REGISTRY = os.path.join(HERE, "..", "registry")


def run_app(board, call):
    """Import hexpansion_1.app from the EEPROM as the badge does; return repr of `call`
    applied to its exported app object."""
    import ast
    return ast.literal_eval(board.exec(
        "import eerom, machine, os, sys\nos.chdir('/')\n"
        "eerom.mount(machine.I2C(1), '/hexpansion_1')\n"
        "app = __import__('hexpansion_1.app').app.__app_export__(config=1)\n"
        "print(repr(%s))\n"
        "import vfs\nvfs.umount('/hexpansion_1')\n"
        "for m in [m for m in sys.modules if m.startswith('hexpansion_1')]:\n    del sys.modules[m]\n" % call))


def test_flash_a_registry_folder_with_no_flags(board):
    import json
    from eerom.header import Header

    folder = os.path.join(REGISTRY, "0xee70", "0x0003")
    board.attach("m24c64")
    r = cli("flash", folder, "--device", board.port, "--bus", 1, "-q", check=0)
    assert "built %s" % folder in r.stdout and "for m24c64" in r.stdout
    with open(os.path.join(folder, "eeprom.json")) as f:
        doc = json.load(f)
    header = Header.unpack(bytes(board.memory()[:32]))
    assert (header.vid, header.pid, header.name, header.total_size, header.page_size) == (
        int(doc["vid"], 16), int(doc["pid"], 16), doc["friendly_name"], 8192, 32)
    assert run_app(board, "app.summary()") == {"words": ["tildagon", "hexpansion", "eeprom"],
                                                "shapes": ["hexagon/6", "triangle/3"], "sprite": sum(range(64))}


def test_flash_says_when_the_board_cannot_run_the_native_code(board):
    folder = os.path.join(REGISTRY, "0xee70", "0x0002")
    board.attach("m24c64")
    r = cli("flash", folder, "--device", board.port, "--bus", 1, "-q", check=0)  # for the badge
    # the qemu firmware says it loads armv7em code (MPY_FEATURE_ARCH), which takes armv7m too
    assert re.search(r"note: fast.mpy holds xtensawin native code, which this board \(armv7e?m\) cannot run",
                     r.stdout), r.stdout
    r = cli("flash", folder, "--device", board.port, "--bus", 1, "-q", "--arch", "armv7m", check=0)
    assert "note:" not in r.stdout
    assert run_app(board, "app.results()['scale']") == sum(1234 * (i + 1) for i in range(5)) & 0xFFFF


def test_flash_keeps_what_the_eeprom_holds_before_fs_offset(board, tmp_path):
    # A maker's own data between the header and fs_offset 64 (the registry's HexDrive2
    # keeps an extended header at 0x20): readers ignore it, so a flash leaves it there.
    from eerom.header import Header
    part = get_part("m24256")  # 64-byte pages: fs_offset 64
    own = bytes(range(0x20, 0x40))
    before = Header.for_part(part, 0xCA75, 0x1337, "Mine").pack() + own
    board.attach(part, data=before)
    image = build_image(EXAMPLE_APP, "m24256", name="Hello").image.to_bytes()
    path = tmp_path / "x.eerom"
    path.write_bytes(image)
    r = cli("flash", path, "--device", board.port, "--bus", 1, "-q", check=0)
    assert "the board mounts it" in r.stdout
    memory = bytes(board.memory())
    assert memory[32:64] == own and memory[:32] == image[:32] and memory[64:len(image)] == image[64:]
    cli("verify", path, "--device", board.port, "--bus", 1, "-q", check=0)
    # a blank part has nothing to keep: the fill is written as 0xff
    board.attach(part)
    cli("flash", path, "--device", board.port, "--bus", 1, "-q", check=0)
    assert bytes(board.memory())[:len(image)] == image


# -- preset dictionaries (issue 11) -----------------------------------------------------

def test_flash_checks_the_boards_dictionary_before_writing(board, tmp_path):
    from eerom import dictionary
    from eerom.image import Image
    board.attach("m24c64")
    before = bytes(board.memory())
    mine = tmp_path / "mine.dict"
    mine.write_bytes(build_image(EXAMPLE_APP, "m24c64").romfs[:500])
    foreign = build_image(EXAMPLE_APP, "m24c64", dictionary=mine.read_bytes()).image.to_bytes()
    (tmp_path / "foreign.eerom").write_bytes(foreign)
    r = cli("flash", tmp_path / "foreign.eerom", "--device", board.port, "--bus", 1, "-q", check=2)
    held = dictionary.dict_id(dictionary.builtin())
    assert ("the image needs preset dictionary 0x%08x; this board's eerom firmware holds 0x%08x"
            % (dictionary.dict_id(mine.read_bytes()), held)) in r.stderr, r.stderr
    assert bytes(board.memory()) == before  # refused before anything was written
    # an app folder is built for what the board holds: here the badge's dictionary (in
    # the solid layout: the paged one, flash's default, takes none)
    r = cli("flash", EXAMPLE_APP, "--device", board.port, "--bus", 1, "-q", "--part", "m24c64", "--vid", "1",
            "--pid", "2", "--layout", "solid", check=0)
    assert "the board mounts it" in r.stdout
    assert Image.from_bytes(bytes(board.memory())).superblock.dict_id == held


# -- the board writes: eerom.program ----------------------------------------------------

@pytest.mark.parametrize("layout", ["solid", "paged"])
def test_the_board_writes_the_image_itself(board, tmp_path, layout):
    """On a board with eerom.program, flash_image() sends no helper: one exec connects
    (with the digests), one more writes; an unchanged image costs the connection
    alone, under 400 bytes; the EEPROM ends as the host route leaves it."""
    v1 = build_image(app_copy(tmp_path / "1"), "m24c64", name="Hello", layout=layout).image.to_bytes()
    v2 = build_image(app_copy(tmp_path / "2", "Hello again"), "m24c64", name="Hello", layout=layout).image.to_bytes()
    board.attach("m24c64")
    costs = []
    for data in (v1, v1, v2):
        board.reset_stats()
        s = flash.Session(board.port, "machine.I2C(1)", program=True, image=data)
        try:
            assert s.on_board
            _, result = flash.flash_image(s, data, QUIET)
            assert s.link.helper_pending  # never needed
        finally:
            s.close()
        costs.append((result.wire_bytes, result.written, board.stats()["page_writes"]))
        assert board.memory()[:len(data)] == data
    first, unchanged, changed = costs
    assert unchanged[0] < 400 and unchanged[1:] == (0, 0)
    assert first[0] < 2000 and first[1] > 0
    old_parts = planner.pieces(len(v1), 32)
    want = [i for i, p in enumerate(planner.pieces(len(v2), 32))
            if i >= len(old_parts) or v1[p.start:p.end] != v2[p.start:p.end]]
    assert changed[1] == sum(len(st.pieces) for st in planner.plan(v2, 32, want, 32, 24)) > 0
    assert changed[2] == changed[1] + 1  # and the 4-byte invalidation
    assert board.mount_and_run() == ("ok", "Hello again (hexpansion port ?)")


def test_a_board_short_of_ram_for_the_whole_image_gets_host_writes(board, tmp_path, monkeypatch):
    """When the command that carries the image to eerom.program() fails with a
    MemoryError smaller than the inflated image (the board holds the whole image
    several times over), nothing has been written: flash_image() says so and writes
    page by page from the host instead.  (A MemoryError for the inflated image is the
    image's: the board refuses it, test_a_board_that_refuses_the_flashed_image...)"""
    data = build_image(app_copy(tmp_path / "1"), "m24c64", name="Hello").image.to_bytes()
    board.attach("m24c64")
    calls = []

    def out_of_memory(self, size, runs, force=False, progress=None):
        calls.append(size)
        self.run("raise MemoryError")  # as the parser or a2b_base64 raise it, carrying the image
    monkeypatch.setattr(link_mod.Link, "program", out_of_memory)
    notes = io.StringIO()
    s = flash.Session(board.port, "machine.I2C(1)", program=True, image=data)
    try:
        assert s.on_board
        _, result = flash.flash_image(s, data, Progress(notes, enabled=True))
    finally:
        s.close()
    assert calls == [len(data)]
    assert "too little RAM to write the image itself" in notes.getvalue()
    assert result.written > 0 and board.memory()[:len(data)] == data
    assert board.mount_and_run()[0] == "ok"
