"""Programming an EEPROM through a board: eerom flash against the badge's route today.

    build/venv/bin/python bench/flash.py

All on the qemu ARM test firmware (the board) over its pty, driven by mpremote's
serial transport, with the fake native I2C bus holding the EEPROM; one run, the same
apps, side by side:

- eerom paged / eerom solid: `eerom flash` of an image in each layout, every page
  write driven from the host (--host-writes; what boards without eerom.program get);
- eerom paged / solid, board writes: the same with the board's eerom.program() doing
  the comparing, writing and verifying (what `eerom flash` does on such a board);
- full rewrite: every page of the (solid) image written, no comparison;
- mpremote fs cp: the badge's route: LittleFS on the EEPROM, mounted through the
  badge's pure-Python driver (tools/eerom_testkit/badge_lfs.py), the app's source files
  copied with mpremote's own `fs cp` code (skipping files whose SHA-256 matches, as
  `mpremote cp` does).

For a first programming (onto a blank part; LittleFS freshly formatted), an
unchanged reflash, and a reflash after one file changed.  Measured: bytes on the
serial wire (both directions, whole session), EEPROM page writes and I2C bytes (the
fake bus counts them), and the modelled device time: page writes x 5 ms + I2C bytes
x 9 clocks at 400 kHz.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import corpus  # noqa: E402
from board import QemuBoard  # noqa: E402
from eerom import builder, flash, planner  # noqa: E402
from eerom.header import Header  # noqa: E402
from eerom.link import CountingSerial  # noqa: E402
from eerom.parts import get_part  # noqa: E402
from eerom.progress import Progress  # noqa: E402

BUILD = os.environ.get("EEROM_BUILD", os.path.join(ROOT, "build"))
QUIET = Progress(enabled=False)
ROUTES = ("eerom paged", "eerom solid", "eerom paged, board writes", "eerom solid, board writes", "full rewrite",
          "mpremote fs cp")
CASES = ("first", "unchanged", "one file changed")  # see change_one_file()


def device_cost(stats):
    return stats["page_writes"] * 0.005 + stats["wire_bytes"] * 9 / 400e3


def eerom_route(board, image, rewrite_all=False, on_board=False):
    s = flash.Session(board.port, "machine.I2C(1)", program=on_board, image=image if on_board else None)
    try:
        if rewrite_all:
            image_obj = flash.Image.from_bytes(image)
            page = image_obj.header.page_size
            parts = planner.pieces(len(image), page)
            steps = planner.plan(image, page, range(len(parts)), image_obj.header.fs_offset, 24)
            for step in steps:
                s.link.write(step.start, step.data, page)
        else:
            flash.flash_image(s, image, QUIET)
        return s.link.wire_bytes
    finally:
        s.close()


LFS_MOUNT = """
import vfs, machine, eerom, badge_lfs
i2c = machine.I2C(1)
h = eerom.header(i2c)
dev = badge_lfs.BadgeEEPROM(i2c, h.fs_offset, h.page_size, h.total_size, h.addr, h.addrsize)
%s
vfs.mount(dev, "/hexpansion_1")
"""


def mpremote_route(board, app_dir, format_first):
    """mpremote's own fs cp (check_hash, as `mpremote cp` does) onto LittleFS."""
    from mpremote import commands, main
    from mpremote.transport_serial import SerialTransport

    t = SerialTransport(board.port, baudrate=115200)
    counter = CountingSerial(t.serial)
    t.serial = counter
    try:
        t.enter_raw_repl(soft_reset=True)
        t.exec(LFS_MOUNT % ("vfs.VfsLfs2.mkfs(dev)" if format_first else ""))
        state = main.State()
        state.transport = t
        state._auto_soft_reset = False
        # as `mpremote cp -r <each entry> :/hexpansion_1` (into the existing mount point)
        for name in sorted(os.listdir(app_dir)):
            commands.do_filesystem_recursive_cp(state, os.path.join(app_dir, name), ":/hexpansion_1", False, True)
        return counter.sent + counter.received
    finally:
        t.close()


def change_one_file(app_dir):
    """A copy of the app with one module edited slightly: the smallest file other than
    app.py, as when a maker tweaks one helper module or data file."""
    dest = tempfile.mkdtemp(prefix="eerom-bench-v2-")
    shutil.rmtree(dest)
    shutil.copytree(app_dir, dest)
    candidates = []
    for root, _, files in os.walk(dest):
        for f in files:
            candidates.append(os.path.join(root, f))
    others = [c for c in candidates if os.path.basename(c) != "app.py"] or candidates
    target = min(others, key=os.path.getsize)
    with open(target, "a") as f:
        f.write("\nEDITED = True\n" if target.endswith(".py") else "\nedited\n")
    return dest, os.path.relpath(target, dest)


def run(board, app_name, app_dir, part):
    v2_dir, changed_file = change_one_file(app_dir)
    rows = []
    for route in ROUTES:
        for case in CASES:
            src = v2_dir if case == "one file changed" else app_dir
            old = None if case == "first" else app_dir
            if route == "mpremote fs cp":
                hdr = Header.for_part(part, 0xCA75, 0x1337, "bench").pack()
                board.attach(part.name, data=hdr)
                # makers copy their sources (.py) to the badge today
                if old:
                    mpremote_route(board, old, True)
                board.reset_stats()
                wire = mpremote_route(board, src, old is None)
            else:
                layout = "paged" if route.startswith("eerom paged") else "solid"
                image = builder.build(src, part, 0xCA75, 0x1337, "bench", layout=layout).image.to_bytes()
                board.attach(part.name)
                if old:
                    eerom_route(board, builder.build(old, part, 0xCA75, 0x1337, "bench", layout=layout)
                                .image.to_bytes())
                board.reset_stats()
                wire = eerom_route(board, image, rewrite_all=(route == "full rewrite"),
                                   on_board=route.endswith("board writes"))
            stats = board.stats()
            rows.append({"app": app_name, "part": part.name, "route": route, "case": case,
                         "wire": wire, "page_writes": stats["page_writes"], "i2c_bytes": stats["wire_bytes"],
                         "device_s": device_cost(stats), "changed_file": changed_file})
            print("  %-16s %-17s wire %7d B  page writes %4d  device %.2f s" % (
                route, case, wire, stats["page_writes"], device_cost(stats)), file=sys.stderr)
    shutil.rmtree(v2_dir)
    return rows


def markdown(rows):
    lines = ["| app | part | case | route | serial bytes | page writes | I2C bytes | modelled device time |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s | %s | %s | %d | %d | %d | %.2f s |" % (
            r["app"], r["part"], r["case"], r["route"], r["wire"], r["page_writes"], r["i2c_bytes"], r["device_s"]))
    return "\n".join(lines)


def apps():
    mp_apps = dict(corpus.multi_file_apps())
    tmp = tempfile.mkdtemp(prefix="eerom-bench-apps-")
    # The smallest parts on which the badge's LittleFS holds these apps' sources
    # (hello_hexpansion's do not fit an M24C16; M24C64 is what most hexpansions use).
    return [("hello_hexpansion", os.path.join(ROOT, "examples", "hello_hexpansion"), "m24c64"),
            ("bluetooth", corpus.materialise(mp_apps["bluetooth"], os.path.join(tmp, "bluetooth")), "m24256")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the raw figures here")
    args = ap.parse_args(argv)
    board = QemuBoard(os.path.join(BUILD, "qemu-test", "firmware.elf")).start()
    rows = []
    try:
        for name, app_dir, part in apps():
            print("%s on %s:" % (name, part), file=sys.stderr)
            rows += run(board, name, app_dir, get_part(part))
    finally:
        board.stop()
    print(markdown(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
