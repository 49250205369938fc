"""The eerom command line, run as a user runs it."""

import os
import subprocess
import sys

import pytest

from conftest import EXAMPLE_APP, TEST_APPS
from eerom.image import Image

EEROM = [sys.executable, "-m", "eerom"]
IDS = ["--vid", "0xCA75", "--pid", "0x1337", "--name", "Test"]


def run(*args, cwd=None):
    return subprocess.run(EEROM + [str(a) for a in args], capture_output=True, text=True, cwd=cwd)


def test_build_prints_a_fit_report(tmp_path):
    out = tmp_path / "hello.eerom"
    r = run("build", EXAMPLE_APP, "-o", out, "--part", "m24c16", *IDS)
    assert r.returncode == 0, r.stderr
    image = Image.from_bytes(out.read_bytes())
    assert image.header.name == "Test" and image.header.total_size == 2048
    text = r.stdout
    for expected in ("app.mpy", "lib/greeting.mpy", "message.txt", ".py -> .mpy", "fits m24c16",
                     "%d of 2048 B" % image.size, "badge today: THEX header + LittleFS (64 B blocks"):
        assert expected in text, (expected, text)
    assert "Traceback" not in r.stderr


def test_inspect_ok_and_damaged(tmp_path):
    out = tmp_path / "a.eerom"
    assert run("build", EXAMPLE_APP, "-o", out, "--part", "m24c64", *IDS).returncode == 0
    r = run("inspect", out)
    assert r.returncode == 0
    assert "check: OK" in r.stdout and "greeting.mpy" in r.stdout and "vid               0xCA75" in r.stdout
    data = bytearray(out.read_bytes())
    data[-3] ^= 0x40
    out.write_bytes(bytes(data))
    r = run("inspect", out)
    assert r.returncode == 1
    assert "check: FAILED [payload-crc]" in r.stdout
    assert "superblock" in r.stdout  # still shows what it could read


def test_app_that_does_not_fit(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("DATA = %r\n" % os.urandom(3000).hex())
    r = run("build", app, "-o", tmp_path / "x.eerom", "--part", "m24c16", *IDS)
    assert r.returncode == 3
    assert "DOES NOT FIT m24c16" in r.stdout
    assert "eerom: error:" in r.stderr and "does not fit m24c16" in r.stderr
    assert "B over; what would help: a bigger part: m24c32 (4096 B)" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args,message", [
    (["build", "/nonexistent/app", "-o", "x", "--part", "m24c16"] + IDS, "does not exist"),
    (["build", EXAMPLE_APP, "-o", "x", "--part", "nosuchpart"] + IDS, "unknown EEPROM part"),
    (["build", EXAMPLE_APP, "-o", "x"] + IDS, "which EEPROM is it for?"),
    (["build", EXAMPLE_APP, "-o", "x", "--part", "m24c16", "--vid", "0x10000", "--pid", "1"], "does not fit in 16 bits"),
    (["build", EXAMPLE_APP, "-o", "x", "--part", "m24c16", "--vid", "1", "--pid", "1", "--name", "much too long"],
     "friendly name"),
    (["inspect", "/nonexistent.eerom"], "cannot read"),
])
def test_bad_arguments_get_a_message(tmp_path, args, message):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, r
    assert message in r.stderr and "Traceback" not in r.stderr


def test_syntax_error_names_the_file(tmp_path):
    (tmp_path / "app.py").write_text("def broken(:\n")
    r = run("build", tmp_path, "-o", tmp_path / "x.eerom", "--part", "m24c16", *IDS)
    assert r.returncode == 1
    assert "app.py" in r.stderr and "SyntaxError" in r.stderr and "--keep-py" in r.stderr


def test_romfs_from_mpremote_is_accepted(tmp_path):
    romfs = tmp_path / "app.romfs"
    mpremote = os.path.join(os.path.dirname(sys.executable), "mpremote")
    made = subprocess.run([mpremote, "romfs", "-o", str(romfs), "build", os.path.join(TEST_APPS, "basic")],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    assert romfs.read_bytes()[:3] == b"\xd2\xcd\x31"
    r = run("build", romfs, "-o", tmp_path / "x.eerom", "--part", "m24c64", *IDS)
    assert r.returncode == 0, r.stderr
    assert "from .romfs" in r.stdout
    image = Image.from_bytes((tmp_path / "x.eerom").read_bytes())
    assert image.romfs == romfs.read_bytes()[:len(image.romfs)]


def test_help_teaches():
    r = run("build", "--help")
    assert r.returncode == 0
    for word in ("--part", "--vid", "app.py", "__file__", "Exit status", "examples:"):
        assert word in r.stdout
    assert run("parts").stdout.count("\n") >= 8


def test_prebuilt_mpy_files_are_checked(tmp_path):
    from eerom import mpy

    good = mpy.compile_source(b"x = 1\n", "m.py")
    assert mpy.describe(good) == (True, ".mpy v6 bytecode")
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.mpy").write_bytes(good)
    assert run("build", app, "-o", tmp_path / "a.eerom", "--part", "m24c16", *IDS).returncode == 0
    (app / "app.mpy").write_bytes(b"M\x05\x00\x1f" + good[4:])  # MicroPython 1.19's format
    r = run("build", app, "-o", tmp_path / "b.eerom", "--part", "m24c16", *IDS)
    assert r.returncode == 1 and "only version 6" in r.stderr and "Traceback" not in r.stderr
