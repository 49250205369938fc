"""The C core built for the host (CMakeLists.txt): unit tests, a short fuzz pass, and
agreement with the Python checker on real and damaged images, with and without a
preset dictionary."""

import os
import random
import struct
import subprocess
import sys
import zlib

import pytest

from conftest import ROOT, build_image, EXAMPLE_APP, TEST_APPS
from eerom import dictionary, romfs
from eerom.errors import ImageError
from eerom.image import FLAG_DICT, METHOD_DEFLATE, METHOD_STORED, Image, Superblock, crc32
import targets

HOST = os.path.join(targets.BUILD, "host")
FUZZ = os.path.join(targets.BUILD, "fuzz", "fuzz_image")


def need(path):
    if not os.path.exists(path):
        pytest.fail("%s is missing: run `make setup`" % path)
    return path


def test_unit_tests():
    proc = subprocess.run([need(os.path.join(HOST, "test_core"))], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith(" 0 failures")


def test_short_fuzz_pass(tmp_path):
    """Seconds of libFuzzer with ASan and UBSan from real images (`make fuzz` runs long)."""
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "fuzz", "make_corpus.py"), str(corpus)],
                   check=True, capture_output=True)
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([need(FUZZ), "-runs=400000", "-max_total_time=60", "-print_final_stats=1",
                           "-artifact_prefix=%s/" % tmp_path, str(work), str(corpus)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [f for f in os.listdir(tmp_path) if f.startswith(("crash-", "leak-", "timeout-"))]
    runs = int([l for l in proc.stderr.splitlines() if "number_of_executed_units" in l][0].split()[-1])
    assert runs >= 400000 or "Done" in proc.stderr
    print("\nfuzz: %d executions, no findings" % runs)


def python_error(data, dictionary=None):
    try:
        Image.from_bytes(data, dictionary=dictionary)
        return None
    except ImageError as e:
        return e


def python_verdict(data, dictionary=None):
    e = python_error(data, dictionary)
    return "ok" if e is None else e.problem


# zlib refuses a dynamic block whose Huffman code lengths do not form a complete prefix
# code (over-subscribed, or incomplete but for a lone distance code) or that declares
# more than 286 length or 30 distance codes, even where no symbol it reads needs the
# faulty part; uzlib builds its tables without those checks and reads such a stream.
# Bounded either way (the fuzzer shows uzlib stays inside its tables), so an image
# whose damage lands there may read on the device and be refused on the host: the one
# place the two readers may differ.  (A random damaged image hits it about once in
# 10,000.)
ZLIB_CODE_SET_ERRORS = ("invalid code lengths set", "invalid literal/lengths set", "invalid distances set",
                        "too many length or distance symbols")


def zlib_stricter(error, c_verdict):
    return (error is not None and error.problem == "inflate" and c_verdict != "inflate"
            and any(m in error.message for m in ZLIB_CODE_SET_ERRORS))


def c_verdicts(paths, options=()):
    out = subprocess.run([need(os.path.join(HOST, "eerom_check"))] + list(options) + [str(p) for p in paths],
                         capture_output=True, text=True, check=True).stdout
    return [line.split(" ", 1)[0] for line in out.splitlines()]


def resign(data):
    """Repair the superblock and payload CRCs, so a mutation reaches what lies behind them."""
    data = bytearray(data)
    fs = struct.unpack_from("<H", data, 8)[0]
    sb_size = max(24, data[fs + 5]) if len(data) > fs + 5 else 24
    if len(data) >= fs + sb_size:
        stored = struct.unpack_from("<I", data, fs + 8)[0]
        if fs + sb_size + stored <= len(data):
            struct.pack_into("<I", data, fs + 16, crc32(bytes(data[fs + sb_size:fs + sb_size + stored])))
        struct.pack_into("<I", data, fs + sb_size - 4, crc32(bytes(data[fs:fs + sb_size - 4])))
    return bytes(data)


def damaged(rng, images, n):
    """n copies of the images with a few bytes changed, some cut short, most with the
    CRCs made right again (so that the damage reaches the checks behind them)."""
    for _ in range(n):
        data = bytearray(rng.choice(images))
        for _ in range(rng.choice((1, 1, 2, 4))):
            where = rng.randrange(len(data))
            data[where] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[:rng.randrange(len(data))]
        yield resign(bytes(data)) if rng.random() < 0.6 and len(data) > 64 else bytes(data)


def compare(tmp_path, cases, dictionary=None, options=()):
    """(C verdicts, disagreements) on `cases`; the readers hold `dictionary` (bytes, in
    a file for C), or the firmware's when it is None.  Where zlib alone refuses a
    stream's Huffman code lengths (ZLIB_CODE_SET_ERRORS), the readers may differ."""
    if dictionary is not None:
        (tmp_path / "dict.bin").write_bytes(dictionary)
        options = ["--dict", str(tmp_path / "dict.bin")]
    paths = []
    for i, data in enumerate(cases):
        p = tmp_path / ("%04d.bin" % i)
        p.write_bytes(data)
        paths.append(p)
    c = c_verdicts(paths, options)
    disagree = []
    for i, (data, v) in enumerate(zip(cases, c)):
        e = python_error(data, dictionary)
        p = "ok" if e is None else e.problem
        if p != v and not zlib_stricter(e, v):
            disagree.append((i, p, v))
    return c, disagree


def test_c_and_python_checkers_agree(tmp_path):
    """The device's checks (C) and the host's (Python) reach the same verdict, naming
    the same failed check, on real images and on 1,500 damaged ones."""
    rng = random.Random(7)
    images = []
    for app in (EXAMPLE_APP, os.path.join(TEST_APPS, "basic")):
        for part in ("m24c16", "m24c64", "m24512"):
            for layout in ("solid", "paged"):
                images.append(build_image(app, part, layout=layout, effort="fast").image.to_bytes())
    cases = images + list(damaged(rng, images, 1500))
    c, disagree = compare(tmp_path, cases)
    assert c[:len(images)] == ["ok"] * len(images)
    assert not disagree, disagree[:10]
    kinds = sorted(set(c))
    assert len(kinds) >= 8, kinds  # the damage reached many different checks
    print("\nverdicts: %s" % ", ".join("%s %d" % (k, c.count(k)) for k in kinds))


def deflate_with(data, history):
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=history)
    return c.compress(data) + c.flush()


def with_superblock(image, **fields):
    """image (an Image) as bytes with its superblock's fields replaced and sb_crc made
    right: a superblock no writer would write, for the checks on it."""
    sb = image.superblock
    kw = dict(method=sb.method, stored_size=sb.stored_size, image_size=sb.image_size,
              payload_crc=sb.payload_crc, flags=sb.flags, sb_size=None, extension=sb.extension)
    kw.update(fields)
    sb = Superblock(kw.pop("method"), kw.pop("stored_size"), kw.pop("image_size"), kw.pop("payload_crc"), **kw)
    return Image(image.header, sb, image.payload).to_bytes()


def dict_images(history, ident=None):
    """The test apps' ROMFS images deflated with `history` as the preset dictionary and
    named `ident` (by default, its identifier), on three parts."""
    out = []
    for app in (EXAMPLE_APP, os.path.join(TEST_APPS, "basic")):
        for part in ("m24c16", "m24c64", "m24512"):
            b = build_image(app, part, effort="fast", dictionary="none")
            payload = deflate_with(b.romfs, history)
            assert len(payload) < len(b.image.payload)  # the dictionary is used
            out.append(Image.create(b.image.header, b.romfs, payload, METHOD_DEFLATE,
                                    dict_id=dictionary.dict_id(history) if ident is None else ident))
    return out


def test_c_and_python_agree_on_dictionary_images(tmp_path):
    """With the firmware's dictionary (eerom_dict.c, tools/eerom/dicts/): images that
    use it read the same on both sides; one naming another dictionary is sb-dict; the
    superblock rules of FLAG_DICT (sb-size below 28 bytes, sb-flags on a stored
    payload or with an unknown bit, sb-dict before sb-sizes); and 1,500 damaged ones."""
    history = dictionary.builtin()
    images = dict_images(history)
    good = [i.to_bytes() for i in images]
    one = images[0]
    other = dictionary.dict_id(b"not the firmware's dictionary")
    crafted = {
        "sb-dict": [dict_images(history, ident=other)[0].to_bytes(),
                    with_superblock(one, extension=struct.pack("<I", other), image_size=3)],  # before sb-sizes
        "sb-size": [with_superblock(one, extension=b"")],  # FLAG_DICT, sb_size 24
        "sb-flags": [with_superblock(one, flags=FLAG_DICT | 0x02),
                     with_superblock(Image.create(one.header, one.romfs, one.romfs, METHOD_STORED),
                                     flags=FLAG_DICT, extension=one.superblock.extension)],
        "sb-sizes": [with_superblock(one, image_size=one.superblock.stored_size)],
        "ok": [with_superblock(one, extension=one.superblock.extension + b"more")],  # a longer extension
    }
    expected = [k for k, v in crafted.items() for _ in v]
    cases = good + [d for v in crafted.values() for d in v]
    cases += list(damaged(random.Random(11), good, 1500))
    c, disagree = compare(tmp_path, cases)
    assert c[:len(good)] == ["ok"] * len(good)
    assert c[len(good):len(good) + len(expected)] == expected
    assert not disagree, disagree[:10]
    kinds = sorted(set(c))
    assert {"sb-dict", "payload-crc", "sb-crc"} <= set(kinds), kinds
    print("\nverdicts: %s" % ", ".join("%s %d" % (k, c.count(k)) for k in kinds))


def test_c_and_python_agree_on_a_reference_before_the_dictionary(tmp_path):
    """A stream deflated with more history than the dictionary the image names: its
    references into that history reach before the dictionary's first byte, and both
    readers refuse it as inflate, never reading outside the buffer (ASan in C).  Here
    the readers hold a dictionary given as a file (eerom_check --dict)."""
    held = b"def update(self, delta):\n    def draw(self, ctx):\n"
    before = b"__app_export__ = App\nfrom events.input import Buttons, BUTTON_TYPES\n"
    image = romfs.write({"app.py": before + b"# " + held})
    header = build_image(EXAMPLE_APP, "m24c64", effort="fast", dictionary="none").image.header
    good = Image.create(header, image, deflate_with(image, held), METHOD_DEFLATE, dict_id=dictionary.dict_id(held))
    payload = deflate_with(image, before + held)
    bad = Image.create(header, image, payload, METHOD_DEFLATE, dict_id=dictionary.dict_id(held))
    with pytest.raises(zlib.error, match="too far back"):  # it does refer into `before`
        zlib.decompressobj(-15, zdict=held).decompress(payload)
    c, disagree = compare(tmp_path, [good.to_bytes(), bad.to_bytes()], dictionary=held)
    assert c == ["ok", "inflate"] and not disagree, (c, disagree)
    # The firmware's own reader does not hold `held`: sb-dict, on both sides.
    assert c_verdicts([tmp_path / "0000.bin"]) == ["sb-dict"] == [python_verdict(good.to_bytes())]
