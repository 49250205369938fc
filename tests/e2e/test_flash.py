"""`eerom flash` and friends, end to end: the real CLI and mpremote's serial transport
against the qemu ARM firmware, whose fake native I2C bus holds the EEPROM."""

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

from eerom import flash
from eerom.progress import Progress

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


def test_every_interruption_is_refused_then_completed(board, tmp_path):
    """Cut the flash after k writes, for every k: the badge refuses what is there,
    and running flash again completes and verifies it."""
    old = build_image(app_copy(tmp_path / "old", "the old app"), "m24c16", name="Old")
    new = build_image(app_copy(tmp_path / "new", "the new app, which is longer than the old"), "m24c16",
                      name="New")
    board.attach("m24c16", data=old.image.to_bytes())
    s = session(board)
    try:
        steps = len(flash.planner.plan(new.image.to_bytes(), 16, range(len(flash.planner.pieces(
            new.image.size, 16))), 32, 24))
    finally:
        s.close()
    assert steps >= 4
    for k in range(1, steps):
        board.attach("m24c16", data=old.image.to_bytes())
        s = session(board)
        try:
            with pytest.raises(flash.Interrupted):
                flash.flash_image(s, new.image.to_bytes(), QUIET, abort_after=k)
        finally:
            s.close()
        state = board.mount_and_run()
        assert state[0] == "error", (k, state)  # neither the old image nor half of the new
        s = session(board)
        try:
            _, result = flash.flash_image(s, new.image.to_bytes(), QUIET)
        finally:
            s.close()
        assert board.mount_and_run() == ("ok", "the new app, which is longer than the old (hexpansion port ?)")


def test_killed_mid_flash(board, tmp_path):
    """A real interruption: the flash process is killed at random moments."""
    rng = random.Random(1234)
    old = build_image(app_copy(tmp_path / "old", "the old app"), "m24c64", name="Old")
    new = build_image(app_copy(tmp_path / "new", "x" * 3000), "m24c64", name="New")
    path = tmp_path / "new.eerom"
    path.write_bytes(new.image.to_bytes())
    for _ in range(3):
        board.attach("m24c64", data=old.image.to_bytes())
        proc = subprocess.Popen(EEROM + ["flash", str(path), "--device", board.port, "--bus", "1", "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Refused, or the old app (killed before its first write), or the new one (after
        # its last): never a mixture that mounts.
        state = board.mount_and_run()
        assert state[0] == "error" or state[1] in ("the old app (hexpansion port ?)",
                                                   "x" * 3000 + " (hexpansion port ?)"), state
        cli("flash", path, "--device", board.port, "--bus", 1, check=0)
        assert board.mount_and_run()[1].startswith("xxxx")


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
    r = cli("flash", big, "--device", board.port, "--bus", 1, check=4)
    assert "the image is %d B but the EEPROM on the bus holds 2048 B" % os.path.getsize(big) in r.stderr

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
