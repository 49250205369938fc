"""Mount and first import: eerom against the badge's LittleFS paths, side by side.

    build/venv/bin/python bench/mount.py [--parts m24c16,m24c64] [--app APPDIR ...]

For each app and part, the same app is put on the same simulated part three ways and
mounted and imported in the unix port (build/unix-test, over the fake native I2C bus
in C, so that the driver's cost is measured and not the simulator's):

- eerom:  eerom.mount() of an eerom image (read, check, inflate, VfsRom), without the
          preset dictionary (`--dict none`);
- eerom+dict: the same with the firmware's preset dictionary (`--dict auto`);
- lfs-c:  LittleFS in the badge's layout through eerom.BlockDev (C) + vfs.VfsLfs2;
- lfs-py: the same LittleFS image through a rewrite of the badge's pure-Python
          driver (tools/eerom_testkit/badge_lfs.py) + vfs.VfsLfs2.

Measured: bus transactions and bytes on the wire (counted by the fake bus), wire time
modelled at 9 clocks per byte, instructions executed (valgrind --tool=callgrind: the
run minus the same script stopped before the mount), the heap in use after the mount
and after the import (gc.mem_alloc(): a conservative GC may keep some garbage), and
exactly, from MicroPython's own counters, the mount's peak (micropython.mem_peak()
above the count before it) and what the mount still holds afterwards.  The floor is the eerom payload read once at bus speed.  Nothing is timed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from eerom import builder, dictionary, littlefs_layout  # noqa: E402
from eerom.header import Header  # noqa: E402
from eerom.parts import get_part  # noqa: E402

BUILD = os.environ.get("EEROM_BUILD", os.path.join(ROOT, "build"))
UNIX_TEST = os.path.join(BUILD, "unix-test", "micropython")
SIM_DIR = os.path.join(ROOT, "tools", "eerom_testkit")
FREQS = ((133e3, "133 kHz"), (400e3, "400 kHz"), (1e6, "1 MHz"))
METHODS = ("eerom", "eerom+dict", "lfs-c", "lfs-py")

SCRIPT = r"""
import sys, os, gc, vfs, eerom, fakei2c
sys.path.insert(0, "")
sys.path.append(%(sim)r)
import badge_lfs
method, image_path, size, page, addrsize, measure = %(args)r

def attach():  # in a function, so no stray reference keeps the file's bytes alive
    with open(image_path, "rb") as f:
        image = f.read()
    bus = fakei2c.I2C(0)
    fakei2c.attach(bus, image, size=size, page=page, addrsize=addrsize)
    return bus

bus = attach()
os.chdir("/")
import micropython
# Ballast up to the peak so far: any peak after this is the mount's own.
ballast = bytearray(micropython.mem_peak() - micropython.mem_current() + 64)
gc.collect()
gc.collect()
base = gc.mem_alloc()
count0 = micropython.mem_current()
if measure:
    if method.startswith("eerom"):
        eerom.mount(bus, "/hexpansion_1")
    elif method == "lfs-c":
        vfs.mount(vfs.VfsLfs2(eerom.BlockDev(bus)), "/hexpansion_1")
    else:
        h = eerom.header(bus)
        dev = badge_lfs.BadgeEEPROM(bus, h.fs_offset, h.page_size, h.total_size, h.addr, h.addrsize)
        vfs.mount(vfs.VfsLfs2(dev), "/hexpansion_1")
    peak = micropython.mem_peak() - count0
    gc.collect()
    mounted = gc.mem_alloc() - base
    held = micropython.mem_current() - count0  # exact: what the mount still holds
    app = __import__("hexpansion_1.app").app
# The baseline does this too, so it cancels out of the instruction count (gc.collect()
# and gc.mem_alloc() each walk the whole heap).
else:
    peak = micropython.mem_peak() - count0
    gc.collect()
    mounted = gc.mem_alloc() - base
    held = micropython.mem_current() - count0
gc.collect()
heap = gc.mem_alloc() - base
if measure:
    s = fakei2c.stats(bus)
    print("STATS", s["transactions"], s["wire_bytes"], s["data_read"], mounted, heap, peak, held)
"""


def run(method, image, part, measure, callgrind):
    with tempfile.TemporaryDirectory(prefix="eerom-bench-") as tmp:
        img = os.path.join(tmp, "image.bin")
        with open(img, "wb") as f:
            f.write(image)
        script = os.path.join(tmp, "bench.py")
        with open(script, "w") as f:
            f.write(SCRIPT % {"sim": SIM_DIR, "args": (method, img, part.size, part.page, part.addrsize, measure)})
        cmd = [UNIX_TEST, script]
        if callgrind:
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.path.join(tmp, "cg.out")] + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError("%s on %s failed:\n%s%s" % (method, part.name, proc.stdout, proc.stderr))
        instructions = None
        if callgrind:
            m = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
            instructions = int(m.group(1))
        stats = None
        for line in proc.stdout.splitlines():
            if line.startswith("STATS"):
                stats = [int(x) for x in line.split()[1:]]
        return stats, instructions


def images(app_dir, part):
    """(Build without the dictionary, {method: image}) of the same app for `part`."""
    b = builder.build(app_dir, part, vid=0xCA75, pid=0x1337, name="bench", dictionary="none")
    bd = builder.build(app_dir, part, vid=0xCA75, pid=0x1337, name="bench", dictionary=dictionary.builtin())
    header = Header.for_part(part, 0xCA75, 0x1337, "bench").pack()
    lfs = littlefs_layout.badge_image([(f.path, f.data) for f in b.files], part, header)
    return b, {"eerom": b.image.to_bytes(), "eerom+dict": bd.image.to_bytes(), "lfs-c": lfs, "lfs-py": lfs}


def measure(app_dir, part, callgrind=True):
    b, images_of = images(app_dir, part)
    out = {"eerom_size": b.size, "payload": b.image.superblock.stored_size, "image_size": len(b.romfs),
           "mpy": sum(len(f.data) for f in b.files)}
    for method in METHODS:
        image = images_of[method]
        (transactions, wire, data, mounted, heap, peak, held), ir = run(method, image, part, True, callgrind)
        base_ir = run(method, image, part, False, callgrind)[1] if callgrind else None
        out[method] = {"transactions": transactions, "wire_bytes": wire, "data_read": data, "heap_mount": mounted,
                       "heap": heap, "peak": peak, "held": held, "size": len(image),
                       "instructions": ir - base_ir if callgrind else None}
    return out


def floor_s(m, freq):
    """The physical floor: the eerom payload read once, at 9 clocks per byte."""
    return m["payload"] * 9 / freq


def markdown(rows):
    lines = ["| app | part | method | transactions | wire bytes | "
             + " | ".join("time @%s" % name for _, name in FREQS)
             + " | x floor @400k | instructions | mount peak | held after mount | heap after mount "
             "| heap after import |",
             "|" + "---|" * (11 + len(FREQS))]
    for app, part, m in rows:
        for method in METHODS:
            r = m[method]
            times = " | ".join("%.1f ms" % (r["wire_bytes"] * 9 / f * 1000) for f, _ in FREQS)
            lines.append("| %s | %s | %s | %d | %d | %s | %.2f | %s | %d | %d | %d | %d |" % (
                app, part, method, r["transactions"], r["wire_bytes"], times,
                r["wire_bytes"] * 9 / 400e3 / floor_s(m, 400e3),
                "{:,}".format(r["instructions"]) if r["instructions"] is not None else "-", r["peak"],
                r["held"], r["heap_mount"], r["heap"]))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="m24c16,m24c64")
    ap.add_argument("--app", action="append", help="app folder (default: examples/hello_hexpansion)")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--json", help="also write the raw figures here")
    args = ap.parse_args(argv)
    apps = args.app or [os.path.join(ROOT, "examples", "hello_hexpansion")]
    rows = []
    for app in apps:
        for name in args.parts.split(","):
            rows.append((os.path.basename(app.rstrip("/")), name, measure(app, get_part(name), not args.no_callgrind)))
    print(markdown(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
