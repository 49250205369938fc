"""The C core built for the host (CMakeLists.txt): unit tests, a short fuzz pass, and
agreement with the Python checker on real and damaged images."""

import os
import random
import struct
import subprocess
import sys

import pytest

from conftest import ROOT, build_image, EXAMPLE_APP, TEST_APPS
from eerom.errors import ImageError
from eerom.image import Image, crc32
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


def python_verdict(data):
    try:
        Image.from_bytes(data)
        return "ok"
    except ImageError as e:
        return e.problem


def c_verdicts(paths):
    out = subprocess.run([need(os.path.join(HOST, "eerom_check"))] + [str(p) for p in paths],
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


def test_c_and_python_checkers_agree(tmp_path):
    """The device's checks (C) and the host's (Python) reach the same verdict, naming
    the same failed check, on real images and on 1,500 damaged ones."""
    rng = random.Random(7)
    images = []
    for app in (EXAMPLE_APP, os.path.join(TEST_APPS, "basic")):
        for part in ("m24c16", "m24c64", "m24512"):
            for layout in ("solid", "paged"):
                images.append(build_image(app, part, layout=layout, effort="fast").image.to_bytes())
    cases = list(images)
    for _ in range(1500):
        data = bytearray(rng.choice(images))
        for _ in range(rng.choice((1, 1, 2, 4))):
            where = rng.randrange(len(data))
            data[where] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[:rng.randrange(len(data))]
        cases.append(resign(bytes(data)) if rng.random() < 0.6 and len(data) > 64 else bytes(data))
    paths = []
    for i, data in enumerate(cases):
        p = tmp_path / ("%04d.bin" % i)
        p.write_bytes(data)
        paths.append(p)
    c = c_verdicts(paths)
    disagree = [(i, python_verdict(d), v) for i, (d, v) in enumerate(zip(cases, c)) if python_verdict(d) != v]
    assert c[:len(images)] == ["ok"] * len(images)
    assert not disagree, disagree[:10]
    kinds = sorted(set(c))
    assert len(kinds) >= 8, kinds  # the damage reached many different checks
    print("\nverdicts: %s" % ", ".join("%s %d" % (k, c.count(k)) for k in kinds))
