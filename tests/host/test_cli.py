"""The eerom command line, run as a user runs it."""

import os
import subprocess
import sys

import pytest

from conftest import EXAMPLE_APP, TEST_APPS
from eerom.image import Image

EEROM = [sys.executable, "-m", "eerom"]
IDS = ["--vid", "0xCA75", "--pid", "0x1337", "--name", "Test"]


def run(*args, cwd=None, timeout=120):
    args = [a if isinstance(a, bytes) else str(a) for a in args]
    return subprocess.run(EEROM + args, capture_output=True, text=True, errors="replace", cwd=cwd,
                          timeout=timeout)


def assert_usage_error(r, *words):
    """Exit status 2 and only `eerom: error: <one line>` and `eerom: hint: <one line>`."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("eerom: error: ") and lines[1].startswith("eerom: hint: "), \
        r.stderr
    for word in words:
        assert word in r.stderr, (word, r.stderr)


def test_build_prints_a_fit_report(tmp_path):
    out = tmp_path / "hello.eerom"
    r = run("build", EXAMPLE_APP, "-o", out, "--part", "m24c16", *IDS)
    assert r.returncode == 0, r.stderr
    image = Image.from_bytes(out.read_bytes())
    assert image.header.name == "Test" and image.header.total_size == 2048
    text = r.stdout
    for expected in ("app.mpy", "lib/greeting.mpy", "message.txt", ".py -> .mpy", "fits m24c16",
                     "%d of 2048 B" % image.size,
                     "badge today, by the registry's size check (LittleFS, 64 B blocks, a formula)",
                     "real LittleFS layout (MicroPython VfsLfs2)"):
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
    (["build", EXAMPLE_APP, "-o", "x"] + IDS, "no eeprom.json here to take the header from: give --part"),
    (["build", EXAMPLE_APP, "-o", "x", "--part", "m24c16"], "no eeprom.json here to take the header from: "
                                                             "give --vid and --pid"),
    (["build", EXAMPLE_APP, "-o", "x", "--part", "m24c16", "--vid", "0x10000", "--pid", "1"], "out of range"),
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


# -- bad input: one line saying what is wrong, one saying what to do, exit status 2 ---------

def app_with(tmp_path, files, name="app"):
    app = tmp_path / name
    for path, text in files.items():
        (app / path).parent.mkdir(parents=True, exist_ok=True)
        (app / path).write_text(text)
    return app


def build(tmp_path, source, *extra, part=("--part", "m24c16"), timeout=120):
    return run("build", source, "-o", tmp_path / "x.eerom", *part, "--vid", "1", "--pid", "2", *extra,
               timeout=timeout)


def test_name_that_is_not_utf8(tmp_path):
    # what a shell passes for a name typed in Latin-1: bytes that are not UTF-8
    r = build(tmp_path, EXAMPLE_APP, b"--name", b"Caf\xe9")
    assert_usage_error(r, "--name", "UTF-8")


def fake_mpy_cross(tmp_path, script):
    path = tmp_path / "fake-mpy-cross"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("program,words", [
    (None, ["cannot run", "missing-mpy-cross", "--mpy-cross"]),
    ("exit 0\n", ["wrote no .mpy", "app.py", "--mpy-cross"]),
    # writes a .mpy in MicroPython 1.19's format (version 5) to the file after -o
    ('while [ "$1" != -o ]; do shift; done; printf "M\\005\\000\\037" > "$2"\n',
     ["cannot load", "app.py", "--mpy-cross"]),
])
def test_mpy_cross_that_does_not_work(tmp_path, program, words):
    binary = tmp_path / "missing-mpy-cross" if program is None else fake_mpy_cross(tmp_path, program)
    assert_usage_error(build(tmp_path, EXAMPLE_APP, "--mpy-cross", binary), *words)


@pytest.mark.parametrize("size,page,words", [
    ("0", "16", ["EEPROM size 0", "--size"]),
    ("2048", "0", ["page size 0", "8 to 512"]),
    ("65536", "1", ["page size 1", "8 to 512"]),
    ("65536", "4", ["page size 4", "8 to 512"]),
    ("65536", "1024", ["page size 1024", "8 to 512"]),
    ("65536", "24", ["page size 24", "8 to 512"]),
    ("64", "64", ["EEPROM size 64", "64-byte pages"]),
    ("0x100000000", "16", ["EEPROM size 4294967296", "32 bits"]),
    ("-2048", "16", ["EEPROM size -2048"]),
])
def test_impossible_geometry_is_refused_before_building(tmp_path, size, page, words):
    r = build(tmp_path, EXAMPLE_APP, part=("--size", size, "--page", page))
    assert_usage_error(r, *words)
    assert r.stdout == ""  # no fit report: refused before compiling and compressing


def test_sizes_that_are_not_numbers(tmp_path):
    r = build(tmp_path, EXAMPLE_APP, part=("--size", "2k", "--page", "16"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == "eerom build: error: argument --size: '2k' is not a number", r.stderr


@pytest.mark.parametrize("part,words", [
    (("--size", "2048"), ["--size needs --page"]),
    (("--page", "16"), ["--page needs --size"]),
    (("--part", "m24c16", "--size", "0"), ["either --part or --size/--page"]),
])
def test_incomplete_or_conflicting_part(tmp_path, part, words):
    assert_usage_error(build(tmp_path, EXAMPLE_APP, part=part), *words)


def test_romfs_too_short(tmp_path):
    romfs = tmp_path / "tiny.romfs"
    romfs.write_bytes(b"\xd2\xcd\x31")
    r = build(tmp_path, romfs)
    assert_usage_error(r, "tiny.romfs", "3 bytes", "mpremote romfs build")
    assert "found d2cd31" not in r.stderr


def test_folder_named_like_a_compiled_module(tmp_path):
    # foo.py compiles to foo.mpy, which cannot sit beside a folder foo.mpy/
    app = app_with(tmp_path, {"app.py": "import foo\n", "foo.py": "X = 1\n", "foo.mpy/data.txt": "hi\n"})
    r = build(tmp_path, app, part=("--part", "m24c64"))
    assert_usage_error(r, "foo.py", "foo.mpy/", "rename")
    assert not (tmp_path / "x.eerom").exists()
    # with --keep-py nothing is compiled, and both are stored
    r = build(tmp_path, app, "--keep-py", "--no-compare", part=("--part", "m24c64"))
    assert r.returncode == 0, r.stderr
    assert "foo.py" in r.stdout and "foo.mpy/data.txt" in r.stdout


def test_compiled_module_beside_a_folder_named_like_its_source(tmp_path):
    # the mirror case: foo.mpy is a file, foo.py/ a folder; both are kept
    from eerom import mpy

    app = app_with(tmp_path, {"app.py": "import foo\n", "foo.py/data.txt": "hi\n"})
    (app / "foo.mpy").write_bytes(mpy.compile_source(b"X = 1\n", "foo.py"))
    r = build(tmp_path, app, "--no-compare", part=("--part", "m24c64"))
    assert r.returncode == 0, r.stderr
    assert "foo.mpy " in r.stdout and "foo.py/data.txt" in r.stdout, r.stdout


def test_name_too_long_once_compiled(tmp_path):
    long = "m" * 252 + ".py"  # 255 bytes, as long as file names get; its .mpy name is 256
    r = build(tmp_path, app_with(tmp_path, {"app.py": "x = 1\n", long: "y = 2\n"}))
    assert_usage_error(r, long, "255", "--keep-py")


@pytest.mark.parametrize("decorator", ["native", "viper"])
def test_native_code_is_built_for_the_badge_by_default(tmp_path, decorator):
    app = app_with(tmp_path, {"app.py": "import micropython\n@micropython.%s\ndef f() -> int:\n    return 1\n"
                                        % decorator})
    r = build(tmp_path, app, "--no-compare")
    assert r.returncode == 0, r.stderr
    assert "app.mpy" in r.stdout and ".py -> .mpy, xtensawin code" in r.stdout, r.stdout
    r = run("inspect", tmp_path / "x.eerom")
    assert r.returncode == 0 and "xtensawin native code" in r.stdout, r.stdout


# -- the rest of the command line: bad numbers, choices, files --------------------------

@pytest.mark.parametrize("extra,words", [
    (["--vid", "0x10000"], ["--vid 0x10000", "0 .. 0xFFFF"]),
    (["--vid", "-1"], ["--vid -1", "0 .. 0xFFFF"]),
    (["--pid", "twelve"], ["--pid 'twelve' is not a number"]),
    (["--unique-id", "70000"], ["--unique-id 70000", "0 .. 0xFFFF"]),
])
def test_header_numbers_out_of_range(tmp_path, extra, words):
    r = run("build", EXAMPLE_APP, "-o", tmp_path / "x", "--part", "m24c16", "--vid", "1", "--pid", "2", *extra)
    assert_usage_error(r, *words)


@pytest.mark.parametrize("extra,words", [
    (["--manifest-version", "2025"], ["--manifest-version", "invalid choice: '2025'"]),
    (["-O", "7"], ["-O", "invalid choice: 7"]),
    (["-O", "-1"], ["-O", "invalid choice: -1"]),
])
def test_bad_choices(tmp_path, extra, words):
    r = build(tmp_path, EXAMPLE_APP, *extra)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    for word in words:
        assert word in r.stderr, (word, r.stderr)


@pytest.mark.parametrize("output,words", [
    ("no/such/folder/x.eerom", ["no/such/folder", "does not exist"]),
    (".", ["is a folder"]),
])
def test_output_that_cannot_be_written_is_refused_before_building(tmp_path, output, words):
    r = run("build", EXAMPLE_APP, "-o", output, "--part", "m24c16", "--vid", "1", "--pid", "2", cwd=tmp_path)
    assert_usage_error(r, *words)
    assert r.stdout == ""


def test_inputs_that_are_not_regular_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes to it: reading it would wait forever
    assert_usage_error(build(tmp_path, fifo, timeout=20), "fifo", "neither a folder nor a .romfs")
    assert_usage_error(run("inspect", fifo, timeout=20), "fifo", "not a regular file")
    assert_usage_error(run("inspect", tmp_path), "not a regular file")
    assert_usage_error(run("diff", fifo, fifo, timeout=20), "not a regular file")


def test_inspect_max_size_must_not_be_negative(tmp_path):
    out = tmp_path / "a.eerom"
    assert build(tmp_path, EXAMPLE_APP, "-o", out, "--no-compare").returncode == 0
    r = run("inspect", out, "--max-size", "-1")
    assert r.returncode == 2 and "--max-size" in r.stderr and "Traceback" not in r.stderr, r
    assert run("inspect", out, "--max-size", "0x10000").returncode == 0


def test_diff_of_a_file_that_is_not_an_image(tmp_path):
    good = tmp_path / "good.eerom"
    assert build(tmp_path, EXAMPLE_APP, "-o", good, "--no-compare").returncode == 0
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image\n")
    assert_usage_error(run("diff", good, bad), "notes.txt", "not an eerom image", "eerom inspect")
    r = run("diff", bad, good)  # OLD may be anything: a dump, a blank or a LittleFS part
    assert r.returncode == 0 and "pages" in r.stdout, r.stderr


def test_folders_nested_too_deep(tmp_path):
    app = app_with(tmp_path, {"app.py": "x = 1\n", "/".join("d%d" % i for i in range(17)) + "/f.txt": "x"})
    assert_usage_error(build(tmp_path, app, "--no-compare"), "d16", "16")
    loop = app_with(tmp_path, {"app.py": "x = 1\n"}, name="loop")
    os.symlink(".", loop / "again")  # a link to its own folder: a loop
    assert_usage_error(build(tmp_path, loop, "--no-compare", timeout=60), "16")
    os.remove(loop / "again")
    os.symlink("..", loop / "up")  # a link to a parent folder leaves the app
    assert_usage_error(build(tmp_path, loop, "--no-compare", timeout=60), "up is a link to", "outside the app folder")


def test_long_path_compiles(tmp_path):
    # mpy-cross refuses a source name above 255 bytes ("name too long")
    deep = "/".join(["p" * 100] * 3)
    app = app_with(tmp_path, {"app.py": "x = 1\n", deep + "/m.py": "X = 1\n"})
    r = build(tmp_path, app, "--no-compare", part=("--part", "m24c64"))
    assert r.returncode == 0, r.stderr


def test_littlefs_comparison_on_a_part_too_small_for_two_blocks(tmp_path):
    r = build(tmp_path, EXAMPLE_APP, part=("--size", "64", "--page", "32"))
    assert r.returncode == 3 and "Traceback" not in r.stdout, r.stdout
    assert "registry's size check (LittleFS, 64 B blocks" in r.stdout and "of 0 blocks" in r.stdout, r.stdout


def test_output_to_a_reader_that_went_away(tmp_path):
    # `eerom inspect x.eerom | head -1`: head exits before eerom has written everything
    image = tmp_path / "x.eerom"
    assert build(tmp_path, EXAMPLE_APP, "-o", image, "--no-compare").returncode == 0
    proc = subprocess.Popen(EEROM + ["inspect", str(image)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before eerom has started up and printed anything
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


# -- --device auto ----------------------------------------------------------------------

class _Port:
    """What serial.tools.list_ports.comports() lists (this machine has no USB board)."""

    def __init__(self, device, vid=None, pid=None):
        self.device, self.vid, self.pid = device, vid, pid

    def __lt__(self, other):  # pyserial's ListPortInfo sorts by device name
        return self.device < other.device


def test_device_auto_picks_the_first_usb_serial_port_that_opens(monkeypatch):
    import pty

    import serial.tools.list_ports

    from eerom import link

    controller, board = pty.openpty()  # a real serial port, opened by mpremote's transport
    name = os.ttyname(board)  # /dev/pts/N
    unplugged = "/dev/aaa-eerom-unplugged"  # sorts first, and cannot be opened
    ports = [_Port(name, 0x303A, 0x1001), _Port("/dev/ttyS0"), _Port(unplugged, 0x303A, 0x1001)]
    assert link.usb_serial_ports(ports) == [unplugged, name]  # sorted; no VID/PID: not a USB board
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: ports)
    try:
        port, transport = link._first_board(115200)
        transport.close()
    finally:
        os.close(controller)
        os.close(board)
    assert port == name


def test_device_auto_without_a_board_says_so(monkeypatch):
    import serial.tools.list_ports

    from eerom import link
    from eerom.errors import DeviceError

    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [_Port("/dev/ttyS0")])
    with pytest.raises(DeviceError, match="no board found: no USB serial port is connected") as e:
        link._first_board(115200)
    assert "--device PORT" in e.value.hint
