"""docs/SPEC.md's worked example is what the tools produce, and both readers accept it."""

import os
import re

from eerom import compress, romfs
from eerom.builder import collect
from eerom.header import Header
from eerom.image import METHOD_DEFLATE, Image
from conftest import ROOT


def spec_example():
    text = open(os.path.join(ROOT, "docs", "SPEC.md")).read()
    section = text[text.index("## 11. Worked example"):]
    rows = re.findall(r"^([0-9a-f]{4}): ((?:[0-9a-f]{2} ?)+)", section, re.M)
    data = b"".join(bytes.fromhex(hexes) for _, hexes in rows)
    assert [int(off, 16) for off, _ in rows] == list(range(0, len(data), 16))
    return data


def build_example(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "app.py").write_bytes(b'print("hi")\n')
    (tmp_path / "lib" / "msg.txt").write_bytes(b"hello hello hello hello\n")
    tree, _, _ = collect(str(tmp_path), keep_py=True)
    image = romfs.write(tree)
    header = Header(0xCA75, 0x1337, "Example", fs_offset=32, page_size=16, total_size=2048)
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
