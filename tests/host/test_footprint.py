"""tools/footprint.py on the qemu ARM firmware built with and without eerom."""

import os
import subprocess
import sys


from conftest import ROOT, qemu_firmware

FOOTPRINT = os.path.join(ROOT, "tools", "footprint.py")
sys.path.insert(0, os.path.dirname(FOOTPRINT))


def elfs():
    return qemu_firmware("qemu-plain"), qemu_firmware("qemu-eerom")


def test_footprint_of_the_module():
    import footprint

    base, with_module = elfs()
    added, base_totals, new_totals, changes = footprint.compare(base, with_module, top=200)
    names = {name for _, name, _, how in changes if how == "new"}
    assert {"eerom_romfs_check", "eerom_inflate", "eerom_bus_read", "eerom_mount (local)"} <= names
    assert not any(name.startswith("fake") for name in names)  # no test code in the product
    # The goals of the firmware issue: <= 6 KiB of Thumb-2 code, a few words of RAM, for
    # everything but the device-side writer (eerom.program, MICROPY_PY_EEROM_PROGRAM),
    # which a firmware may leave out and which adds at most 2.5 KiB.
    _, _, _, every = footprint.compare(base, with_module, top=10 ** 6)
    writer = sum(delta for delta, name, kind, _ in every if kind == "code" and (
        name.startswith("eerom_prog") or name.startswith("eerom_image_check_buffer")))
    assert 0 < writer <= 2560, writer
    assert added["code"] - writer <= 6 * 1024, added
    assert new_totals["bss"] - base_totals["bss"] <= 16 and added["data"] == 0


def test_footprint_cli_prints_markdown():
    base, with_module = elfs()
    out = subprocess.run([sys.executable, FOOTPRINT, base, with_module, "--top", "5"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("| added | code | rodata | data | bss |")
    assert out.count("\n| `") == 5
