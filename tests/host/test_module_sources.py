"""Rules the C module's sources keep, checked on the files themselves: error texts
through MP_ERROR_TEXT and short enough for every build, one config-macro prefix,
licence headers, and build files that refuse a MicroPython whose uzlib lacks the
fix eerom's safety depends on."""

import glob
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USERMOD = os.path.join(ROOT, "usermod", "eerom")
C_FILES = sorted(glob.glob(os.path.join(USERMOD, "*.[ch]")))
# The longest MP_ERROR_TEXT in MicroPython 1.26's own sources is 73 characters
# ("can't switch from manual field specification to automatic field numbering").
# Builds with ROM-text compression decompress into a buffer as long as the longest
# message of the build and then write a NUL after it, one byte past the end
# (patches/micropython-objexcept-decompress-nul.patch): eerom's texts stay well
# below the core's so that they are never the longest, patched or not.
MAX_TEXT = 64


def micropython_dir():
    path = os.path.join(os.environ.get("EEROM_BUILD", os.path.join(ROOT, "build")), "micropython.path")
    if not os.path.exists(path):
        pytest.fail("no MicroPython source recorded at %s: run `make setup`" % path)
    return open(path).read().strip()


def source(path):
    return open(path).read()


def test_error_texts_go_through_mp_error_text_and_are_short():
    texts = []
    for path in C_FILES:
        s = source(path)
        # Every raise names its text with MP_ERROR_TEXT (terse builds drop them).
        for call in re.finditer(r"\b(eerom_raise|mp_raise_\w+|mp_raise_msg_varg)\(([^;]*?)\);", s, re.S):
            args = call.group(2)
            if '"' in args:
                assert "MP_ERROR_TEXT(" in args, "%s: %s" % (os.path.basename(path), call.group(0)[:80])
        texts += re.findall(r'MP_ERROR_TEXT\("((?:[^"\\]|\\.)*)"\)', s)
    assert len(texts) > 20
    too_long = [t for t in texts if len(t) > MAX_TEXT]
    assert too_long == []


def test_one_config_macro_prefix():
    """Every knob a firmware builder can set is MICROPY_PY_EEROM_*."""
    knobs = set()
    for path in C_FILES:
        knobs |= {k for k in re.findall(r"#ifndef\s+(\w+)\s*\n#define\s+\1\b", source(path)) if not k.endswith("_H") and not k.startswith("MP_")}  # MP_*: compatibility shims
    assert knobs, "no configuration macros found"
    assert {k for k in knobs if not k.startswith("MICROPY_PY_EEROM")} == set()
    firmware_doc = source(os.path.join(ROOT, "docs", "FIRMWARE.md"))
    for knob in knobs:  # and the guide lists them all
        assert knob in firmware_doc, knob


def test_every_c_file_carries_the_licence():
    files = C_FILES + glob.glob(os.path.join(ROOT, "tests", "native", "fakei2c", "*.c"))
    for path in files:
        head = source(path)[:400]
        assert "SPDX-License-Identifier: MIT" in head, path
    assert "MIT License" in source(os.path.join(ROOT, "LICENSE"))


def unpatched_tree(tmp_path):
    """A MicroPython tree like the real one but with uzlib as upstream ships it."""
    mp = micropython_dir()
    tree = tmp_path / "micropython"
    (tree / "lib" / "uzlib").mkdir(parents=True)
    os.symlink(os.path.join(mp, "py"), tree / "py")
    shutil.copy(os.path.join(mp, "lib", "uzlib", "tinflate.c"), tree / "lib" / "uzlib" / "tinflate.c")
    subprocess.run(["patch", "-R", "-p1", "-s", "-d", str(tree),
                    "-i", os.path.join(ROOT, "patches", "micropython-uzlib-bad-symbol.patch")], check=True)
    return tree


@pytest.mark.parametrize("fixed", [False, True])
def test_make_build_refuses_an_unpatched_uzlib(tmp_path, fixed):
    tree = unpatched_tree(tmp_path) if not fixed else micropython_dir()
    proc = subprocess.run(["make", "-f", os.path.join(USERMOD, "micropython.mk"), "--eval=eerom-check: ; @echo ok",
                           "TOP=%s" % tree, "USERMOD_DIR=%s" % USERMOD, "eerom-check"],
                          capture_output=True, text=True)
    if fixed:
        assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr
    else:
        assert proc.returncode != 0
        assert "micropython-uzlib-bad-symbol.patch" in proc.stderr


def test_cmake_build_refuses_an_unpatched_uzlib(tmp_path):
    tree = unpatched_tree(tmp_path)
    proc = subprocess.run(["cmake", "-S", os.path.join(ROOT, "tests", "cmake"), "-B", str(tmp_path / "b"),
                           "-DMICROPY_DIR=%s" % tree, "-DUSER_C_MODULES=%s" % os.path.join(ROOT, "micropython.cmake")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "micropython-uzlib-bad-symbol.patch" in proc.stderr + proc.stdout


def test_the_dictionary_source_is_generated_from_the_dictionary():
    """usermod/eerom/eerom_dict.c is exactly what dictionary.c_source() makes of the
    badge's dictionary (tools/eerom/dicts/): regenerate it when the dictionary changes,
    never edit it (the command is in eerom_dict.h)."""
    from eerom import dictionary

    data = dictionary.builtin()
    want = dictionary.c_source(data)
    have = source(os.path.join(USERMOD, "eerom_dict.c"))
    assert have == want, ("usermod/eerom/eerom_dict.c is stale: regenerate it with the command in "
                          "usermod/eerom/eerom_dict.h")
    assert "0x%08xu" % dictionary.dict_id(data) in have and 1 <= len(data) <= dictionary.MAX_SIZE


def test_the_dictionary_is_built_in_by_one_config_option():
    """MICROPY_PY_EEROM_DICT (default 1) decides, for every file that uses the
    dictionary, through eerom_dict.h; the build files compile eerom_dict.c."""
    header = source(os.path.join(USERMOD, "eerom_dict.h"))
    assert re.search(r"#ifndef MICROPY_PY_EEROM_DICT\n#define MICROPY_PY_EEROM_DICT \(1\)", header)
    for path in C_FILES:
        s = source(path)
        if path.endswith(".c") and ("eerom_dict_data" in s or "eerom_dict_id" in s):
            assert '#include "eerom_dict.h"' in s, path
    for build_file in ("micropython.mk", "micropython.cmake"):
        assert "eerom_dict.c" in source(os.path.join(USERMOD, build_file)), build_file
