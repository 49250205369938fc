"""Property-based tests of the builder and parser (hypothesis), and the CLI on bad input."""

import os
import subprocess
import sys

from hypothesis import HealthCheck, given, settings, strategies as st

from eerom import compress, romfs
from eerom.header import Header
from eerom.image import METHOD_DEFLATE, Image, Superblock

NAME_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="/")
names = st.text(NAME_CHARS, min_size=1, max_size=24).filter(lambda n: n not in (".", ".."))
contents = st.binary(max_size=300) | st.text(max_size=300).map(str.encode)
trees = st.recursive(st.dictionaries(names, contents, max_size=4),
                     lambda inner: st.dictionaries(names, contents | inner, max_size=4), max_leaves=20)


def flatten(tree, prefix=""):
    out = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, prefix + name + "/"))
        else:
            out[prefix + name] = bytes(value)
    return out


def header(page=32, size=65536):
    return Header(0xCA75, 0x1337, "prop", fs_offset=max(32, page), page_size=page, total_size=size)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_build_then_parse_round_trips(tree):
    image_bytes = romfs.write(tree)
    method, payload, _ = compress.best(image_bytes, "fast")
    data = Image.create(header(), image_bytes, payload, method).to_bytes()
    back = Image.from_bytes(data)
    files = {p: f.data for p, f in romfs.walk_files(romfs.check(back.romfs))}
    assert files == flatten(tree)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees.filter(lambda t: flatten(t)), st.sampled_from([16, 32, 64, 128]))
def test_paged_layout_round_trips(tree, page):
    image_bytes, payload = compress.paged(tree, page, max(32, page) + 24)
    if len(payload) >= len(image_bytes):
        return  # a builder would store it instead
    data = Image.create(header(page), image_bytes, payload, METHOD_DEFLATE).to_bytes()
    files = {p: f.data for p, f in romfs.walk_files(romfs.check(Image.from_bytes(data).romfs))}
    assert files == flatten(tree)


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
       st.text(max_size=9).filter(lambda n: len(n.encode()) <= 9 and "\0" not in n),
       st.sampled_from([(16, 2048), (32, 8192), (64, 32768), (128, 65536)]), st.sampled_from([b"2024", b"2026"]))
def test_header_round_trips(vid, pid, uid, name, geometry, version):
    page, size = geometry
    h = Header(vid, pid, name, uid, max(32, page), page, size, version)
    back = Header.unpack(h.pack())
    assert (back.vid, back.pid, back.unique_id, back.name, back.page_size, back.total_size,
            back.manifest_version) == (vid, pid, uid, name, page, size, version)


@given(st.sampled_from([0, 1]), st.integers(4, 1 << 20), st.integers(0, 0xFFFFFFFF))
def test_superblock_round_trips(method, image_size, crc):
    stored = image_size if method == 0 else max(1, image_size // 3)
    sb = Superblock(method, stored, image_size, crc)
    back = Superblock.unpack(sb.pack())
    assert (back.method, back.stored_size, back.image_size, back.payload_crc) == (method, stored, image_size, crc)


def cli(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "eerom"] + [str(a) for a in args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


IDS = ["--part", "m24c16", "--vid", "1", "--pid", "2"]


def test_cli_on_bad_folders(tmp_path):
    cases = {}
    empty = tmp_path / "empty"
    empty.mkdir()
    cases["empty"] = (empty, "holds no files")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "app.py").write_text("x = 1\n")
    os.symlink("/nonexistent/target", broken / "data.bin")
    cases["broken link"] = (broken, "is not a regular file")
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    (fifo / "app.py").write_text("x = 1\n")
    os.mkfifo(fifo / "pipe")
    cases["fifo"] = (fifo, "is not a regular file")
    utf8 = tmp_path / "utf8"
    utf8.mkdir()
    (utf8 / "caf\u00e9.txt").write_text("x")
    cases["non-ASCII name"] = (utf8, "is not ASCII")
    raw = tmp_path / "raw"
    raw.mkdir()
    with open(os.path.join(os.fsencode(raw), b"\xff\xfe.txt"), "w") as f:
        f.write("x")
    cases["non-UTF-8 name"] = (raw, "is not ASCII")
    notdir = tmp_path / "file.txt"
    notdir.write_text("not an app")
    cases["a file"] = (notdir, "neither a folder nor a .romfs")
    for what, (path, message) in cases.items():
        r = cli("build", path, "-o", tmp_path / "out.eerom", *IDS)
        assert r.returncode == 2, (what, r.stderr)
        assert message in r.stderr, (what, r.stderr)
        assert "eerom: hint:" in r.stderr, what


def test_cli_on_bad_images(tmp_path):
    for what, data in {"empty": b"", "blank EEPROM": b"\xff" * 2048, "random": os.urandom(300),
                       "text": b"hello world\n" * 10}.items():
        p = tmp_path / "x.bin"
        p.write_bytes(data)
        r = cli("inspect", p)
        assert r.returncode == 1, what
        assert "check: FAILED [" in r.stdout, what
    r = cli("diff", tmp_path / "missing", tmp_path / "x.bin")
    assert r.returncode == 2 and "cannot read" in r.stderr
