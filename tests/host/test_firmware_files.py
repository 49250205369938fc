"""Firmware integration that ESP-IDF would consume: checked here as far as it can be
without ESP-IDF (which is on no registry this machine reaches)."""

import os
import re
import subprocess

import pytest

from conftest import ROOT
import targets

def micropython_dir():
    with open(os.path.join(targets.BUILD, "micropython.path")) as f:
        return f.read().strip()


def module_sources_from_mk():
    text = open(os.path.join(ROOT, "usermod", "eerom", "micropython.mk")).read()
    return sorted(re.findall(r"\$\(EEROM_MOD_DIR\)/(\w+\.c)", text))


@pytest.mark.parametrize("entry", ["micropython.cmake", "tests/cmake/badge_style.cmake"])
def test_cmake_entry_point_as_usermod_cmake_uses_it(tmp_path, entry):
    """Include MicroPython's own py/usermod.cmake with USER_C_MODULES pointing at us
    (directly, or from a badge-style top-level cmake that include()s each driver)."""
    proc = subprocess.run(["cmake", "-S", os.path.join(ROOT, "tests", "cmake"), "-B", str(tmp_path),
                           "-DMICROPY_DIR=" + micropython_dir(),
                           "-DUSER_C_MODULES=" + os.path.join(ROOT, entry)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = dict(line.split("=", 1) for line in (tmp_path / "usermod.txt").read_text().splitlines())
    assert info["modules"] == "usermod_eerom" and info["links"] == "usermod_eerom"
    sources = sorted(os.path.basename(p) for p in info["sources"].split(","))
    # Every C file of the module is built, by make ports and CMake ports alike.
    on_disk = sorted(f for f in os.listdir(os.path.join(ROOT, "usermod", "eerom")) if f.endswith(".c"))
    assert sources == on_disk == module_sources_from_mk()
    assert info["includes"] == os.path.join(ROOT, "usermod", "eerom")
