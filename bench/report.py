"""`make bench`: measure everything side by side, write docs/BENCHMARKS.md and its plots.

    build/venv/bin/python bench/report.py [--quick]

Sections: capacity (eerom vs the badge's LittleFS layout vs raw files, every part
from 2 KiB to 64 KiB, over a corpus of MicroPython's own code), the preset dictionary
(payload against dictionary size, bench/dict_curve.py), mount and first
import (bus bytes and transactions, modelled bus time, callgrind instruction counts,
heap), programming through a board (bench/flash.py), and the fuzzing record.  Every
number is measured by this run; nothing is copied in by hand.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import capacity  # noqa: E402
import corpus  # noqa: E402
import dict_curve  # noqa: E402
import flash as flash_bench  # noqa: E402
import mount  # noqa: E402
from eerom import builder, dict_train, dictionary, littlefs_layout  # noqa: E402
from eerom.dictionary import dict_id  # noqa: E402
from eerom.image import SB_SIZE_V1  # noqa: E402
from eerom.parts import PARTS, get_part  # noqa: E402

DOCS = os.path.join(ROOT, "docs")
PLOTS = os.path.join(DOCS, "bench")
BUILD = os.environ.get("EEROM_BUILD", os.path.join(ROOT, "build"))
CAPACITY_PARTS = [p for p in PARTS if p.size <= 65536]


def pct(a, b):
    return "%d %%" % round(100.0 * a / b) if b else "-"


# -- capacity -------------------------------------------------------------------------

def capacity_rows():
    """Per app: source, .mpy, eerom payload (solid, best effort), and per part the
    eerom image and the LittleFS layout."""
    rows = []
    for name, app_dir in capacity.apps():
        b = builder.build(app_dir, get_part("m24512"), 0xCA75, 0x1337, "bench")
        files = [(f.path, f.data) for f in b.files]
        row = {"app": name, "files": len(files), "source": sum(f.source_size for f in b.files),
               "mpy": sum(len(f.data) for f in b.files), "payload": b.image.superblock.stored_size, "parts": {}}
        for part in CAPACITY_PARTS:
            size = part.fs_offset + b.image.superblock.sb_size + row["payload"]
            lfs = littlefs_layout.badge_layout(files, part)
            row["parts"][part.name] = {"eerom": size, "eerom_fits": size <= part.size,
                                       "lfs": lfs.size, "lfs_fits": lfs.fits}
        rows.append(row)
        print("capacity: %s" % name, file=sys.stderr)
    return rows


def fill(part, fits):
    """Add corpus modules in order while `fits(files)` holds; return (files, .mpy bytes)."""
    chosen = []
    for name, path in corpus.single_files():
        b = builder.build(corpus.materialise({"m.py": path}, tempfile.mkdtemp()), get_part("m24512"), 1, 2,
                          effort="fast")
        data = b.files[0].data
        trial = chosen + [("m%d.mpy" % len(chosen), data)]
        if fits(trial):
            chosen = trial
    return chosen, sum(len(d) for _, d in chosen)


def capacity_fill(part):
    def eerom_fits(files):
        tmp = tempfile.mkdtemp()
        for n, d in files:
            with open(os.path.join(tmp, n), "wb") as f:
                f.write(d)
        return builder.build(tmp, part, 1, 2).fits

    def lfs_fits(files):
        layout = littlefs_layout.badge_layout(files, part)
        return layout.fits

    e_files, e_bytes = fill(part, eerom_fits)
    l_files, l_bytes = fill(part, lfs_fits)
    return {"eerom_modules": len(e_files), "eerom_bytes": e_bytes, "lfs_modules": len(l_files), "lfs_bytes": l_bytes}


def capacity_section(rows, fill16):
    out = ["## Capacity", "",
           "How many bytes of EEPROM the same app takes: as an eerom image (solid layout, best "
           "compression), and as the badge lays it out today (THEX header, then LittleFS from "
           "fs_offset with 64-byte blocks below 8 KiB and 512-byte blocks above; `littlefs-python` "
           "for 512-byte blocks, MicroPython's own VfsLfs2 for 64-byte ones). Both hold the same "
           ".mpy files (eerom's build output). \"too big\": does not fit the part; \"impossible\": "
           "LittleFS cannot store these files at any size with 64-byte blocks (an entry with its name "
           "and mtime does not fit a metadata block).", "",
           "**Headline (M24C16, 2 KiB).** Filling the part with corpus modules in order: eerom holds "
           "%d modules, %d bytes of bytecode; the badge's LittleFS holds %d modules, %d bytes: "
           "**%.1f x as much code** on the same part." % (
               fill16["eerom_modules"], fill16["eerom_bytes"], fill16["lfs_modules"], fill16["lfs_bytes"],
               fill16["eerom_bytes"] / max(1, fill16["lfs_bytes"])), ""]
    counts = []
    for part in CAPACITY_PARTS:
        e = sum(r["parts"][part.name]["eerom_fits"] for r in rows)
        lf = sum(r["parts"][part.name]["lfs_fits"] for r in rows)
        ratios = sorted(r["parts"][part.name]["eerom"] / r["parts"][part.name]["lfs"]
                        for r in rows if r["parts"][part.name]["lfs"])
        counts.append("| %s | %d B | %d of %d | %d of %d | %s |" % (
            part.name, part.size, e, len(rows), lf, len(rows),
            pct(ratios[len(ratios) // 2], 1) if ratios else "-"))
    out += ["| part | size | apps that fit as eerom | apps that fit as LittleFS | eerom/LittleFS bytes (median) |",
            "|---|---|---|---|---|"] + counts + [""]
    head = "| app | files | source B | .mpy B | eerom payload B |" + "".join(
        " %s eerom / LittleFS |" % p.name for p in CAPACITY_PARTS[:3])
    out += [head, "|" + "---|" * (5 + 3)]
    for r in rows:
        cells = []
        for p in CAPACITY_PARTS[:3]:
            c = r["parts"][p.name]
            lfs = "impossible" if c["lfs"] is None else ("%d" % c["lfs"] + ("" if c["lfs_fits"] else " (too big)"))
            cells.append("%d%s / %s" % (c["eerom"], "" if c["eerom_fits"] else " (too big)", lfs))
        out.append("| %s | %d | %d | %d | %d | %s |" % (r["app"], r["files"], r["source"], r["mpy"], r["payload"],
                                                        " | ".join(cells)))
    out += ["", "![capacity](bench/capacity.png)", "",
            "Reproduce: `build/venv/bin/python bench/report.py` (or `bench/capacity.py` for one table).", ""]
    return out


def _axes(ax, labels, title, legend=True, **tick_kw):
    """Category labels under the bars, the legend and the title of one chart."""
    ax.set_xticks(list(range(len(labels))))
    ax.set_xticklabels(labels, fontsize=8, **tick_kw)
    if legend:
        ax.legend(fontsize=8)
    ax.set_title(title)


def _save(fig, name):
    fig.tight_layout()
    fig.savefig(os.path.join(PLOTS, name), dpi=90)
    plt.close(fig)


def capacity_plot(rows):
    part = get_part("m24c16")
    names = [r["app"] for r in rows]
    x = range(len(rows))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    w = 0.2
    ax.bar([i - 1.5 * w for i in x], [r["source"] for r in rows], w, label="source (.py)")
    ax.bar([i - 0.5 * w for i in x], [r["mpy"] for r in rows], w, label=".mpy files")
    ax.bar([i + 0.5 * w for i in x], [r["parts"][part.name]["lfs"] or 0 for r in rows], w,
           label="badge LittleFS on M24C16 (0: impossible)")
    ax.bar([i + 1.5 * w for i in x], [r["parts"][part.name]["eerom"] for r in rows], w, label="eerom image")
    ax.axhline(part.size, color="k", lw=1, ls="--", label="M24C16 (2048 B)")
    ax.set_yscale("log")
    ax.set_ylabel("bytes")
    _axes(ax, names, "The same app: bytes of EEPROM (log scale)", rotation=40, ha="right")
    _save(fig, "capacity.png")


# -- preset dictionary -----------------------------------------------------------------

def dictionary_rows():
    """bench/dict_curve.py's measurements (today's best computed there, without a
    dictionary: builder.build now takes one when it helps); None without the badge snapshot."""
    return dict_curve.measure()


def dictionary_section(res):
    out = ["## Preset dictionary", ""]
    if res is None:
        return out + ["Not measured: no badge OS snapshot (set BADGE_DIR to a badge-2024-software checkout; "
                      "the dictionary is trained from its modules/).", ""]
    kib = dict_curve.CHOSEN_KIB
    chosen = next(c for c in res["curve"] if c["kib"] == kib)
    t, p, a = dict_curve.totals(res, kib, "full")
    st, sp, sa = dict_curve.totals(res, kib, "full", small=True)
    by = {c["kib"]: dict_curve.totals(res, c["kib"])[1] for c in res["curve"]}
    committed = dict_id(dictionary.builtin())
    n_small = sum(r["today"] < dict_curve.SMALL for r in res["apps"])
    out += ["A preset dictionary is history that the badge's firmware carries in flash and every image may "
            "refer back to (SPEC section 5.2): the names, qstrs and bytecode idioms badge apps share are not "
            "paid for again in each image. It is trained by `eerom dict train` (eerom.dict_train: COVER, "
            "zstd's dictionary builder, in plain Python) from the badge OS's own modules (badge-2024-software "
            "`modules/`, %d ROMFS images of %d bytes once compiled as the registry compiles: -O3, xtensawin) "
            "and measured on apps none of that code came from: the capacity corpus above (MicroPython's own "
            "modules and apps, and the example) and every test-registry app that builds (%d apps, %d of them "
            "under 2 KiB: today's best payload below 2048 B). \"today's best\" is the payload `eerom build` "
            "writes without a dictionary (zlib, zlib filtered and zopfli). The curve "
            "is measured with zlib -9 and the dictionary, to keep the run short; \"full effort\" is "
            "`eerom build --dict` at the chosen size (zlib and zopfli, both with the dictionary as history). "
            "An image naming a dictionary has a superblock 4 bytes longer: \"images, --dict auto\" adds them "
            "and lets each app go without the dictionary when that is smaller." % (
                res["samples"], res["sample_bytes"], len(res["apps"]), n_small), "",
            "**The badge's dictionary: %d KiB** (tools/eerom/dicts/tildagon-v1.bin, id %08x%s). With it, "
            "`eerom build` writes **%d B instead of %d B for all apps (%s less; %s with the 4-byte superblock "
            "extension, --dict auto), and %d B instead of %d B for the apps under 2 KiB (%s less; %s)**. "
            "Goals: 8 %% and 12 %%." % (
                kib, chosen["id"], "" if chosen["id"] == committed else
                ", but the committed file is %08x: rerun the recipe" % committed,
                p, t, dict_curve.saved(p, t), dict_curve.saved(a, t), sp, st, dict_curve.saved(sp, st),
                dict_curve.saved(sa, st)), ""]
    if all(k in by for k in (8, 16, 32)):
        out += ["Why %d KiB: the dictionary costs its size in the firmware's flash (rodata; %d KiB is %.1f %% "
                "of the badge's 2.4 MiB app partition, partitions-tildagon.csv) and, while an image is "
                "inflated, as much RAM in front of it (nothing after the mount). From 8 to 16 KiB the apps "
                "here lose %d B more (zlib), %.0f B per KiB of flash; from 16 to 32 KiB only %d B more, %.0f B per "
                "KiB: the curve flattens past 16 KiB, once the strings most apps share are in." % (
                    kib, kib, 100.0 * kib * 1024 / 0x270000, by[8] - by[16], (by[8] - by[16]) / 8.0,
                    by[16] - by[32], (by[16] - by[32]) / 16.0), ""]
    out += dict_curve.curve_table(res) + ["", "Per app with the %d KiB dictionary (**bold**: under 2 KiB):" % kib,
                                          ""] + dict_curve.app_table(res, kib)
    out += ["", "![preset dictionary](bench/dictionary.png)", "",
            "Training takes %.1f s to compile the samples and %s s per dictionary (%s). Reproduce: "
            "`build/venv/bin/python bench/dict_curve.py` (`--full-all`: every size at full effort, about "
            "40 s); the badge's dictionary: `eerom dict train BADGE/modules --size %d -o "
            "tools/eerom/dicts/tildagon-v1.bin` (checked by tests/host/test_dict_train.py)." % (
                res["sample_s"], "%.1f-%.1f" % (min(c["train_s"] for c in res["curve"] if c["kib"]),
                                                max(c["train_s"] for c in res["curve"] if c["kib"])),
                res["mpy_cross"], dict_train.RECIPE_SIZE), ""]
    return out


def dictionary_plot(res):
    if res is not None:
        dict_curve.plot(res, os.path.join(PLOTS, "dictionary.png"))


# -- mount and first import ------------------------------------------------------------

def mount_apps():
    mp = dict(corpus.multi_file_apps())
    tmp = tempfile.mkdtemp(prefix="eerom-bench-mount-")
    asyncio_app = corpus.materialise(mp["asyncio"], os.path.join(tmp, "asyncio"))
    with open(os.path.join(asyncio_app, "app.py"), "w") as f:
        f.write("from . import asyncio\n")
    return [("hello_hexpansion", os.path.join(ROOT, "examples", "hello_hexpansion"), ["m24c16", "m24c64"]),
            ("basic test app", os.path.join(ROOT, "tests", "device", "apps", "basic"), ["m24c64"]),
            ("asyncio (8 modules)", asyncio_app, ["m24256"])]


def mount_rows():
    rows = []
    for name, app, parts in mount_apps():
        for p in parts:
            print("mount: %s on %s" % (name, p), file=sys.stderr)
            rows.append((name, p, mount.measure(app, get_part(p))))
    return rows


def mount_section(rows):
    out = ["## Mount and first import", "",
           "The same app on the same simulated part, mounted and `hexpansion_1.app` imported in the "
           "unix port (build/unix-test), over the fake native I2C bus (C, so that the driver is "
           "measured, not the simulator): **eerom** (`eerom.mount`, an image built with `--dict none`), "
           "**eerom+dict** (the same app deflated with the firmware's preset dictionary), **lfs-c** (the "
           "badge's LittleFS "
           "image through eerom's C block device + `vfs.VfsLfs2`), **lfs-py** (the same image through a "
           "rewrite of the badge's pure-Python EEPROM driver + `vfs.VfsLfs2`). Bus time is modelled at 9 "
           "clocks per byte on the wire (address, memory address and data bytes); the floor is the eerom "
           "payload read once. Instructions: valgrind callgrind, the run minus the same script stopped "
           "before the mount. Mount peak and held after mount: exact, from MicroPython's own counters "
           "(`micropython.mem_peak()` and `mem_current()` above the count before the mount). Heap: "
           "`gc.mem_alloc()` growth, after `gc.collect()`, from before the mount to after the mount and to "
           "after the import (a conservative GC may keep a little garbage).", "", mount.markdown(rows), ""]
    out += ["The preset dictionary against the goals (instructions within 10 % of a mount without it; "
            "the peak at most the dictionary above it; nothing more held after the mount):", "",
            "| app | part | bytes read, without / with | instructions, with / without | peak, without / "
            "with (dictionary %d B) | held after mount, without / with |" % len(dictionary.builtin()),
            "|---|---|---|---|---|---|"]
    for name, part, m in rows:
        e, d = m["eerom"], m["eerom+dict"]
        out.append("| %s | %s | %d / %d B | %s | %d / %d B | %d / %d B |" % (
            name, part, e["data_read"], d["data_read"],
            "%.3f" % (d["instructions"] / e["instructions"]) if e["instructions"] else "-",
            e["peak"], d["peak"], e["held"], d["held"]))
    out.append("")
    out += ["Against the goals: mount + import within 1.15 x of the floor at 400 kHz; at least 5 x faster "
            "than the badge's pure-Python LittleFS path (modelled time); RAM after import no more than the "
            "inflated image + 2 KiB.", "",
            "| app | part | eerom x floor @400k | lfs-py / eerom, modelled time | lfs-py / eerom, instructions "
            "| eerom heap after mount | after import | inflated image + 2 KiB | lfs-py heap after import |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, part, m in rows:
        e, py = m["eerom"], m["lfs-py"]
        out.append("| %s | %s | %.2f | %.1f x | %.1f x | %d B | %d B | %d B | %d B |" % (
            name, part, e["wire_bytes"] * 9 / 400e3 / mount.floor_s(m, 400e3),
            py["wire_bytes"] / e["wire_bytes"], py["instructions"] / e["instructions"],
            e["heap_mount"], e["heap"], m["image_size"] + 2048, py["heap"]))
    out += ["", "eerom's own RAM is the heap after the mount: the inflated image and about half a KiB "
            "(the VfsRom object, the mount entry, the cache entry, the returned info). The import then "
            "creates the app's modules, functions and classes, as it does from LittleFS; those grow with "
            "the app, and are why an app that imports much of itself can end above image + 2 KiB. From "
            "LittleFS only the modules imported are read, so an app that imports little of itself (asyncio "
            "imports parts lazily) can end with less in RAM than eerom, which holds the whole image."]
    out += ["", "![mount time](bench/mount_time.png) ![instructions](bench/mount_instructions.png)", "",
            "Reproduce: `build/venv/bin/python bench/mount.py --parts m24c16,m24c64` (the same method).", ""]
    return out


def mount_plots(rows):
    labels = ["%s\n%s" % (n, p) for n, p, _ in rows]
    x = range(len(rows))
    fig, ax = plt.subplots(figsize=(10, 4))
    w = 0.25
    for k, method in enumerate(mount.METHODS):
        ax.bar([i + (k - 1) * w for i in x], [m[method]["wire_bytes"] * 9 / 400e3 * 1000 for _, _, m in rows], w,
               label=method)
    ax.bar([i - 1.5 * w for i in x], [mount.floor_s(m, 400e3) * 1000 for _, _, m in rows], w * 0.3,
           color="k", label="floor")
    ax.set_yscale("log")
    ax.set_ylabel("ms on a 400 kHz bus (modelled)")
    _axes(ax, labels, "Mount + first import: bus time")
    _save(fig, "mount_time.png")
    fig, ax = plt.subplots(figsize=(10, 4))
    for k, method in enumerate(mount.METHODS):
        ax.bar([i + (k - 1) * w for i in x], [m[method]["instructions"] / 1e6 for _, _, m in rows], w, label=method)
    ax.set_ylabel("million instructions (callgrind)")
    _axes(ax, labels, "Mount + first import: instructions executed")
    _save(fig, "mount_instructions.png")


# -- programming -----------------------------------------------------------------------

def flash_rows():
    board = flash_bench.QemuBoard(os.path.join(BUILD, "qemu-test", "firmware.elf")).start()
    rows = []
    try:
        for name, app_dir, part in flash_bench.apps():
            print("flash: %s on %s" % (name, part), file=sys.stderr)
            rows += flash_bench.run(board, name, app_dir, get_part(part))
    finally:
        board.stop()
    return rows


def flash_section(rows):
    out = ["## Programming an EEPROM through a board", "",
           "The qemu ARM test firmware is the board (its serial port a pty, driven by mpremote's "
           "transport), its fake native I2C bus holds the EEPROM. Routes: `eerom flash` of a paged or a "
           "solid image, with every page write driven from the host (`--host-writes`, what a board "
           "without `eerom.program` gets) or by the board's `eerom.program()` (\"board writes\": the host "
           "sends only the pages that differ, in one command; what `eerom flash` does on such a board); "
           "a full rewrite of every page; and the badge's route today, LittleFS on the "
           "EEPROM (mounted through the badge's pure-Python driver) with the app's **source files** "
           "copied by mpremote's own `fs cp` code (which skips files whose SHA-256 matches). Cases: a "
           "first programming (blank part; LittleFS freshly formatted), an unchanged reflash, a reflash "
           "after one small file changed (%s). Serial bytes: both directions, whole session (connection, "
           "probing and the helper included). Modelled device time: page writes x 5 ms + I2C bytes x 9 "
           "clocks at 400 kHz." % ", ".join(sorted({"%s: %s" % (r["app"], r["changed_file"]) for r in rows})),
           "", flash_bench.markdown(rows), ""]
    summary = ["| app | case | eerom paged serial / mpremote | paged, board writes / mpremote "
               "| solid, board writes / mpremote | page writes: paged, solid, mpremote |",
               "|---|---|---|---|---|---|"]
    for app in sorted({r["app"] for r in rows}):
        for case in flash_bench.CASES:
            get = {r["route"]: r for r in rows if r["app"] == app and r["case"] == case}
            mp = get["mpremote fs cp"]["wire"]
            summary.append("| %s | %s | %s | %s | %s | %d, %d, %d |" % (
                app, case, pct(get["eerom paged"]["wire"], mp), pct(get["eerom paged, board writes"]["wire"], mp),
                pct(get["eerom solid, board writes"]["wire"], mp),
                get["eerom paged"]["page_writes"], get["eerom solid"]["page_writes"],
                get["mpremote fs cp"]["page_writes"]))
    out += summary + ["", "![flash](bench/flash.png)", "",
                      "Reproduce: `build/venv/bin/python bench/flash.py` (this section of this file alone: "
                      "`build/venv/bin/python bench/report.py --flash-only`).", ""]
    return out


def flash_plot(rows):
    apps = sorted({r["app"] for r in rows})
    fig, axes = plt.subplots(1, len(apps), figsize=(12, 4))
    for ax, app in zip(axes, apps):
        x = range(len(flash_bench.CASES))
        w = 0.8 / len(flash_bench.ROUTES)
        for k, route in enumerate(flash_bench.ROUTES):
            vals = [next(r["wire"] for r in rows if r["app"] == app and r["case"] == c and r["route"] == route)
                    for c in flash_bench.CASES]
            ax.bar([i + (k - (len(flash_bench.ROUTES) - 1) / 2) * w for i in x], vals, w, label=route)
        _axes(ax, flash_bench.CASES, app, legend=ax is axes[0])
        ax.set_ylabel("bytes on the serial wire")
    _save(fig, "flash.png")


# -- fuzzing ---------------------------------------------------------------------------

def fuzz_section():
    log = os.path.join(BUILD, "fuzz.log")
    out = ["## Fuzzing", ""]
    if not os.path.exists(log):
        return out + ["`make fuzz` has not been run here (it writes build/fuzz.log).", ""]
    text = open(log).read()
    stats = {}
    for line in text.splitlines():
        if line.startswith("stat::"):
            key, value = line[len("stat::"):].split(":", 1)
            stats[key.strip()] = value.strip()
    findings = [f for f in os.listdir(os.path.join(BUILD, "fuzz-findings"))] if os.path.isdir(
        os.path.join(BUILD, "fuzz-findings")) else []
    out += ["The C core (header, superblock, inflate with MicroPython's uzlib, ROMFS checker) under "
            "libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer (`tests/fuzz/fuzz_image.c`, "
            "four modes: whole images behind the CRCs, whole images with CRCs repaired, the inflater "
            "alone, the ROMFS checker alone), seeded with real images (`tests/fuzz/make_corpus.py`).", "",
            "| executions | executions/s | new units | findings |", "|---|---|---|---|",
            "| %s | %s | %s | %d |" % (stats.get("number_of_executed_units", "?"),
                                      stats.get("average_exec_per_sec", "?"), stats.get("new_units_added", "?"),
                                      len(findings)), "",
            "Found and fixed on the way: an out-of-bounds read in MicroPython's uzlib "
            "(`patches/micropython-uzlib-bad-symbol.patch`), within the first hundred executions.", "",
            "Reproduce: `make fuzz FUZZ_SECONDS=600`.", ""]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default=os.path.join(BUILD, "bench.json"))
    ap.add_argument("--flash-only", action="store_true",
                    help="measure only the programming section; the others from the last run's --json")
    args = ap.parse_args(argv)
    os.makedirs(PLOTS, exist_ok=True)
    if args.flash_only:
        with open(args.json) as f:  # JSON makes int keys (KiB, sizes) strings: back to ints
            last = json.load(f, object_hook=lambda d: {int(k) if k.isdigit() else k: v for k, v in d.items()})
        cap, fill16, drows, mrows = last["capacity"], last["fill_m24c16"], last["dictionary"], last["mount"]
    else:
        cap = capacity_rows()
        fill16 = capacity_fill(get_part("m24c16"))
        drows = dictionary_rows()
        mrows = mount_rows()
    frows = flash_rows()
    with open(args.json, "w") as f:
        json.dump({"capacity": cap, "fill_m24c16": fill16, "dictionary": drows, "mount": mrows, "flash": frows}, f,
                  indent=1)
    if not args.flash_only:
        capacity_plot(cap)
        dictionary_plot(drows)
        mount_plots(mrows)
    flash_plot(frows)
    mp_version = open(os.path.join(BUILD, "micropython.path")).read().strip().rsplit("-", 1)[-1]
    doc = ["# Benchmarks", "",
           "Written by `make bench` (bench/report.py) on %s: MicroPython %s (unix port for mount figures, "
           "qemu ARM port as the board for programming), %s, Python %s. Corpus: %s Nothing here is a "
           "timed measurement: bytes, transactions, page writes and instruction counts are exact for "
           "the same inputs; times are modelled from them." % (
               datetime.date.today().isoformat(), mp_version, platform.machine(), platform.python_version(),
               corpus.__doc__.strip().split("\n\n", 1)[1].replace("\n", " ")), ""]
    doc += (capacity_section(cap, fill16) + dictionary_section(drows) + mount_section(mrows) + flash_section(frows)
            + fuzz_section())
    with open(os.path.join(DOCS, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(doc))
    print("wrote docs/BENCHMARKS.md and docs/bench/*.png", file=sys.stderr)


if __name__ == "__main__":
    main()
