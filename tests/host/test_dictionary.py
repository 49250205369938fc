"""Building with a preset dictionary: the compressors, `eerom build --dict`, `eerom dict`.

(The format and the checker are tested in test_image.py and test_c_core.py, the
trainer in test_dict_train.py, the module in tests/device/test_dict.py.)"""

import json
import os
import random
import subprocess
import sys

import pytest

from conftest import EXAMPLE_APP, ROOT
from eerom import builder, compress, dictionary, romfs
from eerom.errors import ImageError
from eerom.image import FLAG_DICT, Image, Superblock
from eerom.parts import get_part

EEROM = [sys.executable, "-m", "eerom"]
REGISTRY = os.path.join(ROOT, "tests", "registry")


def run(*args):
    return subprocess.run(EEROM + [str(a) for a in args], capture_output=True, text=True, timeout=300)


def hello_romfs():
    tree, _, _ = builder.collect(EXAMPLE_APP)
    return romfs.write(tree)


def test_zopfli_takes_the_dictionary_as_history():
    d = dictionary.builtin()
    data = d[-3000:] + b"and something new"  # all but the tail is in the dictionary
    raw = compress.zopfli_raw_history(data, d, 15)
    assert compress.inflate(raw, d) == data
    assert len(raw) < 60 < len(compress.zopfli_raw(data, 15))  # back-references into the history
    with pytest.raises(Exception):
        assert compress.inflate(raw) == data  # without it the stream means nothing


def test_best_with_a_dictionary_round_trips_every_candidate():
    d = dictionary.builtin()
    data = hello_romfs()
    labels = []
    for name, raw in compress.candidates(data, "best", d):
        assert compress.inflate(raw, d) == data, name
        labels.append(name)
    assert labels == ["zlib-9+dict", "zlib-9-filtered+dict", "zopfli-100+dict"]


def build(app=EXAMPLE_APP, part="m24c16", **kw):
    return builder.build(app, get_part(part), 0xCA75, 0x1337, "Test", **kw)


def test_auto_uses_the_badge_dictionary_when_it_makes_the_image_smaller():
    auto, none = build(), build(dictionary="none")
    assert auto.image.superblock.flags & FLAG_DICT and auto.image.superblock.dict_id == dictionary.dict_id(
        dictionary.builtin())
    assert auto.image.superblock.sb_size == 28 and none.image.superblock.sb_size == 24
    assert not none.image.superblock.flags and none.dictionary is None
    assert auto.size + auto.dictionary_saved == none.size and auto.dictionary_saved > 0
    # both read back; the dictionary image only with the dictionary
    assert Image.from_bytes(auto.image.to_bytes()).romfs == none.romfs == auto.romfs
    with pytest.raises(ImageError) as e:  # a reader that holds no dictionary
        Superblock.unpack(auto.image.to_bytes()[32:], find_dict=lambda ident: None)
    assert e.value.problem == "sb-dict"


def test_auto_leaves_the_dictionary_out_when_it_does_not_pay(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("x = 1\n")
    (app / "noise.bin").write_bytes(random.Random(3).randbytes(1500))
    b = build(str(app), part="m24c64")
    # a tiny gain at best, and the superblock grows by 4 bytes: not worth a dependency
    assert b.dictionary is None and not b.image.superblock.flags


def test_paged_layout_never_takes_a_dictionary(tmp_path):
    b = build(part="m24c64", layout="paged")
    assert b.layout == "paged" and b.dictionary is None and not b.image.superblock.flags
    # a tiny app whose paged stream does not shrink: stored solid, still without one
    app = tmp_path / "tiny"
    app.mkdir()
    (app / "app.py").write_text('import os\nprint("hello from the badge app")\n')
    b = build(str(app), part="m24c64", layout="paged")
    assert b.dictionary is None and not b.image.superblock.flags
    b = build(str(app), part="m24c64", layout="paged", dictionary=dictionary.builtin()[:1000])
    assert b.dictionary is None and any("--dict FILE is not used" in w for w in b.warnings)


def test_a_dictionary_that_costs_bytes_says_so(tmp_path):
    useless = random.Random(5).randbytes(4096)
    b = build(dictionary=useless)
    assert b.dictionary == useless and b.dictionary_saved < 0
    assert any("makes this image %d B bigger" % -b.dictionary_saved in w for w in b.warnings)


def test_a_dictionary_file(tmp_path):
    mine = bytes(hello_romfs())[:600]  # a dictionary holding most of the app itself
    b = build(dictionary=mine)
    assert b.image.superblock.dict_id == dictionary.dict_id(mine) and b.dictionary == mine
    assert Image.from_bytes(b.image.to_bytes(), dictionary=mine).romfs == b.romfs
    with pytest.raises(ImageError) as e:
        Image.from_bytes(b.image.to_bytes())  # eerom does not know it
    assert e.value.problem == "sb-dict" and "0x%08x" % dictionary.dict_id(mine) in e.value.message
    # the CLI: build with it; inspect needs it (and says so)
    (tmp_path / "mine.dict").write_bytes(mine)
    r = run("build", EXAMPLE_APP, "-o", tmp_path / "x.eerom", "--part", "m24c16", "--vid", "1", "--pid", "2",
            "--dict", tmp_path / "mine.dict", "--no-compare")
    assert r.returncode == 0 and "preset dictionary 0x%08x (600 B)" % dictionary.dict_id(mine) in r.stdout, r.stderr
    r = run("inspect", tmp_path / "x.eerom")
    assert r.returncode == 1 and "[sb-dict]" in r.stdout and "--dict none" in r.stdout, r.stdout
    r = run("inspect", tmp_path / "x.eerom", "--dict", tmp_path / "mine.dict")  # the hint's other way
    assert r.returncode == 0 and "check: OK" in r.stdout, r.stdout
    r = run("diff", tmp_path / "x.eerom", tmp_path / "x.eerom", "--dict", tmp_path / "mine.dict")
    assert r.returncode == 0 and "0 of" in r.stdout, r.stdout


@pytest.mark.parametrize("size", [0, 32769])
def test_a_dictionary_file_of_a_wrong_size(tmp_path, size):
    (tmp_path / "d").write_bytes(b"x" * size)
    r = run("build", EXAMPLE_APP, "-o", tmp_path / "x.eerom", "--part", "m24c16", "--vid", "1", "--pid", "2",
            "--dict", tmp_path / "d")
    assert r.returncode == 2 and "a preset dictionary holds 1 to 32768" in r.stderr


def test_build_and_inspect_say_which_dictionary(tmp_path):
    out = tmp_path / "x.eerom"
    r = run("build", EXAMPLE_APP, "-o", out, "--part", "m24c16", "--vid", "1", "--pid", "2", "--no-compare")
    ident = dictionary.dict_id(dictionary.builtin())
    assert r.returncode == 0 and "zopfli-100+dict" in r.stdout and "preset dictionary 0x%08x" % ident in r.stdout
    r = run("inspect", out)
    assert r.returncode == 0 and "dictionary        0x%08x" % ident in r.stdout, r.stdout
    r = run("build", EXAMPLE_APP, "-o", out, "--part", "m24c16", "--vid", "1", "--pid", "2", "--no-compare",
            "--dict", "none")
    assert r.returncode == 0 and "preset dictionary" not in r.stdout and "+dict" not in r.stdout
    assert "dictionary" not in run("inspect", out).stdout


def test_dict_show_and_c_source(tmp_path):
    data = dictionary.builtin()
    r = run("dict", "show")
    assert r.returncode == 0 and "%d B, id 0x%08x" % (len(data), dictionary.dict_id(data)) in r.stdout
    r = run("dict", "c-source", "-o", tmp_path / "d.c")
    assert r.returncode == 0
    with open(os.path.join(ROOT, "usermod", "eerom", "eerom_dict.c")) as f:
        assert (tmp_path / "d.c").read_text() == f.read()  # the module's copy is this one


def test_dict_train_cli(tmp_path):
    src = tmp_path / "src"
    for i in range(3):  # a sample per folder: what the folders share is what counts
        (src / ("app%d" % i)).mkdir(parents=True)
        (src / ("app%d" % i) / "app.py").write_text(
            "def handler_%d(event):\n    return event.shared_name + %d\n" % (i, i))
    r = run("dict", "train", src / "app0", "-o", tmp_path / "d.bin")
    assert r.returncode == 2 and "nothing in %s repeats" % (src / "app0") in r.stderr, r.stderr
    r = run("dict", "train", src, "--size", "256", "-o", tmp_path / "d.bin")
    assert r.returncode == 0, r.stderr
    data = (tmp_path / "d.bin").read_bytes()
    assert 0 < len(data) <= 256 and b"shared_name" in data
    assert "id 0x%08x" % dictionary.dict_id(data) in r.stdout
    r = run("dict", "train", tmp_path / "nothing", "-o", tmp_path / "d.bin")
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_registry_report_says_which_images_take_the_dictionary(tmp_path):
    r = run("registry", REGISTRY, "-o", tmp_path, "--fast", "--only", "0xee70/0x0001", "--only", "0xee70/0x0006")
    rows = {row["folder"]: row for row in json.loads((tmp_path / "eerom-report.json").read_text())["apps"]}
    assert rows["0xee70/0x0001"]["dictionary"] == "0x%08x" % dictionary.dict_id(dictionary.builtin())
    assert "preset dictionary" in (tmp_path / "eerom-report.md").read_text()
    r = run("registry", REGISTRY, "-o", tmp_path, "--fast", "--only", "0xee70/0x0001", "--dict", "none")
    rows = json.loads((tmp_path / "eerom-report.json").read_text())["apps"]
    assert r.returncode == 0 and rows[0]["dictionary"] is None
    assert not Image.from_bytes((tmp_path / "firmware_0xee70_0x0001.eerom").read_bytes()).superblock.flags
