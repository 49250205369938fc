"""docs/SPEC.md's worked examples are what the tools produce, and the readers accept
them: section 11 (no dictionary) and section 11.1 (a preset dictionary, given in the
text)."""

import os
import re
import subprocess
import zlib

from eerom import compress, dictionary, romfs
from eerom.builder import collect
from eerom.errors import ImageError
from eerom.header import Header
from eerom.image import METHOD_DEFLATE, Image
from conftest import ROOT
import targets

ENOEXEC = 8


def spec_dumps(start, end=None):
    """The hex dumps ("0000: 54 48 ...") of the SPEC between two headings, each as bytes."""
    text = open(os.path.join(ROOT, "docs", "SPEC.md")).read()
    section = text[text.index(start):text.index(end) if end else None]
    out = []
    for block in re.findall(r"^```\n(.*?)^```", section, re.M | re.S):
        rows = re.findall(r"^([0-9a-f]{4}): ((?:[0-9a-f]{2} ?)+)", block, re.M)
        if rows:
            data = b"".join(bytes.fromhex(hexes) for _, hexes in rows)
            assert [int(off, 16) for off, _ in rows] == list(range(0, len(data), 16))
            out.append(data)
    return out


def spec_example():
    """Section 11's image (no dictionary)."""
    return spec_dumps("## 11. Worked example", "### 11.1")[0]


def spec_dict_example():
    """(dictionary, image) of section 11.1."""
    return tuple(spec_dumps("### 11.1"))


def example_romfs(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "app.py").write_bytes(b'print("hi")\n')
    (tmp_path / "lib" / "msg.txt").write_bytes(b"hello hello hello hello\n")
    tree, _, _ = collect(str(tmp_path), keep_py=True)
    return romfs.write(tree)


HEADER = dict(fs_offset=32, page_size=16, total_size=2048)


def build_example(tmp_path):
    image = example_romfs(tmp_path)
    header = Header(0xCA75, 0x1337, "Example", **HEADER)
    # The spec shows zlib level 9's stream (zopfli's may differ between versions).
    return Image.create(header, image, compress.zlib_raw(image), METHOD_DEFLATE).to_bytes()


def test_spec_bytes_are_what_the_tools_write(tmp_path):
    example = spec_example()
    assert len(example) == 113
    assert build_example(tmp_path) == example


def test_spec_example_reads_back():
    img = Image.from_bytes(spec_example())
    assert img.header.name == "Example"
    files = {p: f.data for p, f in romfs.walk_files(romfs.check(img.romfs))}
    assert files == {"app.py": b'print("hi")\n', "lib/msg.txt": b"hello hello hello hello\n"}


def test_spec_example_mounts_on_the_device(device):
    r = device.run1("""
bus = eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24c16", data=ARGS[0]))
info = eerom.mount(bus, "/ex")
report(name=info.name, files=sorted(os.listdir("/ex")), lib=os.listdir("/ex/lib"),
       msg=open("/ex/lib/msg.txt").read(), app=open("/ex/app.py").read())
""", spec_example())
    assert r == {"name": "Example", "files": ["app.py", "lib"], "lib": ["msg.txt"],
                 "msg": "hello hello hello hello\n", "app": 'print("hi")\n'}


# --- section 11.1: the same app with a preset dictionary ---

def test_spec_dict_bytes_are_what_the_tools_write(tmp_path):
    history, example = spec_dict_example()
    assert history == b'app.py print("hello")\n lib msg.txt' and len(example) == 98
    assert dictionary.dict_id(history) == 0x7FA2C20C
    image = example_romfs(tmp_path)
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=history)  # zlib -9 with the dictionary
    header = Header(0xCA75, 0x1337, "Example", **HEADER)
    made = Image.create(header, image, c.compress(image) + c.flush(), METHOD_DEFLATE,
                        dict_id=dictionary.dict_id(history)).to_bytes()
    assert made == example
    assert example[:32] == spec_example()[:32]  # "the same header"


def test_spec_dict_example_reads_back_with_the_dictionary_only():
    history, example = spec_dict_example()
    img = Image.from_bytes(example, dictionary=history)
    assert (img.superblock.sb_size, img.superblock.flags, img.superblock.dict_id) == (28, 1, 0x7FA2C20C)
    assert img.romfs == Image.from_bytes(spec_example()).romfs
    try:
        Image.from_bytes(example)
    except ImageError as e:
        assert e.problem == "sb-dict" and "0x7fa2c20c" in e.message
    else:
        raise AssertionError("read without its dictionary")


def test_spec_dict_example_in_the_c_reader(tmp_path):
    """The C core (build/host's eerom_check, as on the device) with the dictionary
    given reads it; holding the firmware's instead it refuses it.  The C unit tests
    (tests/c/test_core.c) carry the same bytes."""
    history, example = spec_dict_example()
    (tmp_path / "dict.bin").write_bytes(history)
    (tmp_path / "ex.eerom").write_bytes(example)
    check = os.path.join(targets.BUILD, "host", "eerom_check")
    verdict = [subprocess.run([check] + opts + [str(tmp_path / "ex.eerom")], capture_output=True, text=True,
                              check=True).stdout.split()[0]
               for opts in (["--dict", str(tmp_path / "dict.bin")], [], ["--no-dict"])]
    assert verdict == ["ok", "sb-dict", "sb-dict"]
    unit = re.sub(r'"\s*"', "", open(os.path.join(ROOT, "tests", "c", "test_core.c")).read())
    assert example.hex() in unit


def test_spec_dict_example_is_refused_by_the_device(device):
    """The module holds the firmware's dictionary, not this one: ENOEXEC, and the
    message the SPEC quotes."""
    _, example = spec_dict_example()
    r = device.run1("""
try:
    eerom.mount(eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24c16", data=ARGS[0])), "/ex")
    report(error=None)
except OSError as e:
    report(error=list(e.args), mounts=mounted())
""", example)
    message = "eerom: sb-dict: needs dictionary 7fa2c20c: rebuild with --dict none"
    assert r["error"] == [ENOEXEC, message] and "/ex" not in r["mounts"]
    text = re.sub(r"\s+", " ", open(os.path.join(ROOT, "docs", "SPEC.md")).read())
    assert message in text
