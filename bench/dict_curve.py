"""Preset dictionary: payload bytes against dictionary size, on apps it was not trained on.

    build/venv/bin/python bench/dict_curve.py [--sizes 0,1,2,4,8,16,24,32] [--full 16] [--full-all]

At each size (KiB) a dictionary is trained by the recipe of tools/eerom/dicts/tildagon-v1.bin
(eerom.dict_train: COVER over the badge OS's modules, $BADGE_DIR/modules, else
../shared/badge-2024-software/modules next to the repository).  The apps measured share
no code with that training data:

- capacity: bench/report.py's capacity corpus (MicroPython's own modules and apps, and
  examples/hello_hexpansion);
- registry: every tests/registry app that builds;

each as the ROMFS image `eerom build` makes of it (builder.collect + romfs.write: the
registry's compiler options, the folder's own -O), compressed as one raw deflate stream.

- "today's best": the payload `eerom build` writes without a dictionary (compress.best:
  zlib -9, zlib -9 filtered, zopfli; stored when smaller).
- the curve: zlib -9 with the dictionary (the better of default and filtered strategy),
  which is fast; zopfli with it saves a few % more.
- "full effort" (--full KIB, or every size with --full-all): compress.best with the
  dictionary, what `eerom build --dict` writes (zlib and zopfli with the dictionary as
  history).
- "images, --dict auto": an image naming a dictionary has a superblock 4 bytes longer
  (SPEC section 4); each app counts min(today's best, payload with the dictionary + 4), as
  `eerom build --dict auto` chooses.
- "apps under 2 KiB": the apps whose payload today is under 2048 bytes.
"""

import argparse
import glob
import os
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import capacity  # noqa: E402
from eerom import builder, compress, dict_train, romfs  # noqa: E402
from eerom.dictionary import dict_id  # noqa: E402

SIZES_KIB = (0, 1, 2, 4, 8, 16, 24, 32)
CHOSEN_KIB = dict_train.RECIPE_SIZE // 1024
SMALL = 2048  # "apps under 2 KiB": today's best payload below this
SB_EXTRA = 4  # superblock bytes an image naming a dictionary adds (28 against 24)


def badge_modules():
    """The badge OS's modules folder, or None when the snapshot is absent."""
    base = os.environ.get("BADGE_DIR") or os.path.join(ROOT, "..", "shared", "badge-2024-software")
    path = os.path.join(base, "modules")
    return os.path.realpath(path) if os.path.isdir(path) else None


def apps():
    """[(name, group, ROMFS image)] of the evaluation apps."""
    out = []
    for name, folder in capacity.apps():
        tree, _, _ = builder.collect(folder)
        out.append((name, "capacity", romfs.write(tree)))
    for folder in sorted(glob.glob(os.path.join(ROOT, "tests", "registry", "*", "*", ""))):
        name = os.path.relpath(folder, os.path.join(ROOT, "tests")).rstrip(os.sep)
        try:
            tree, _, _ = builder.collect(folder)
        except Exception:  # noqa: BLE001 - the test registry holds apps that must not build
            continue
        out.append((name, "registry", romfs.write(tree)))
    return out


def zlib_with(data, zdict):
    """Payload bytes by zlib -9 with zdict as history (default or filtered, stored if smaller)."""
    streams = [compress.zlib_raw(data, dictionary=zdict),
               compress.zlib_raw(data, strategy=zlib.Z_FILTERED, dictionary=zdict)]
    best = min(streams, key=len)
    if compress.inflate(best, zdict) != data:
        raise AssertionError("a stream with the dictionary does not inflate back")
    return min(len(best), len(data))


def full_with(data, zdict):
    """Payload bytes as `eerom build --dict` writes them (compress.best with the dictionary)."""
    return len(compress.best(data, "best", dictionary=zdict)[1])


def measure(sizes_kib=SIZES_KIB, full_kib=(CHOSEN_KIB,), today=None, badge=None, log=sys.stderr):
    """{"apps": [...], "curve": [...], ...}, or None without the badge snapshot.  `today`:
    {app name: today's best payload} already known (the capacity section's)."""
    badge = badge or badge_modules()
    if badge is None:
        return None
    today = dict(today or {})
    rows, images = [], {}
    for name, group, image in apps():
        images[name] = image
        if name not in today:
            today[name] = len(compress.best(image)[1])
        rows.append({"app": name, "group": group, "romfs": len(image), "today": today[name],
                     "zlib": len(compress.zlib_raw(image)), "dict": {}, "full": {}})
    t = time.time()
    samples = list(dict_train.samples([badge]))
    sample_s = time.time() - t
    curve = []
    for kib in sizes_kib:
        zdict, train_s = b"", 0.0
        if kib:
            t = time.time()
            zdict = dict_train.train(samples, kib * 1024)
            train_s = time.time() - t
            for r in rows:
                r["dict"][kib] = zlib_with(images[r["app"]], zdict)
                if kib in full_kib:
                    r["full"][kib] = full_with(images[r["app"]], zdict)
        curve.append({"kib": kib, "bytes": len(zdict), "id": dict_id(zdict) if zdict else None, "train_s": train_s})
        if log:
            print("dictionary: %d KiB" % kib, file=log)
    return {"apps": rows, "curve": curve, "samples": len(samples), "sample_bytes": sum(map(len, samples)),
            "sample_s": sample_s, "badge": badge, "mpy_cross": dict_train.mpy_cross_version()}


def totals(result, kib, key="dict", small=False):
    """(today's best, payload with the dictionary, images with --dict auto) summed over the
    apps (only those under 2 KiB with `small`); key "dict" (zlib) or "full"."""
    rows = [r for r in result["apps"] if not small or r["today"] < SMALL]
    today = sum(r["today"] for r in rows)
    if kib == 0:
        return today, today, today
    payload = sum(r[key][kib] for r in rows)
    auto = sum(min(r["today"], r[key][kib] + SB_EXTRA) for r in rows)
    return today, payload, auto


def saved(new, old):
    return "%.1f %%" % (100.0 * (old - new) / old) if old else "-"


def curve_table(result):
    out = ["| dictionary (flash) | CRC-32 | all apps: payload B | saved | images, --dict auto: saved "
           "| under 2 KiB: payload B | saved | images, --dict auto: saved | full effort: all apps | under 2 KiB |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in result["curve"]:
        kib = c["kib"]
        t, p, a = totals(result, kib)
        st, sp, sa = totals(result, kib, small=True)
        if kib == 0:
            out.append("| none: today's best | - | %d | - | - | %d | - | - | - | - |" % (t, st))
            continue
        full = "- | -"
        if all(kib in r["full"] for r in result["apps"]):
            ft, fp, _ = totals(result, kib, "full")
            fst, fsp, _ = totals(result, kib, "full", small=True)
            full = "%d B, %s | %d B, %s" % (fp, saved(fp, ft), fsp, saved(fsp, fst))
        out.append("| %d KiB | %08x | %d | %s | %s | %d | %s | %s | %s |" % (
            kib, c["id"], p, saved(p, t), saved(a, t), sp, saved(sp, st), saved(sa, st), full))
    return out


def app_table(result, kib):
    out = ["| app | ROMFS B | zlib -9 B | today's best B | zlib -9 + dictionary B | full effort + dictionary B "
           "| saved vs today's best |", "|---|---|---|---|---|---|---|"]
    for r in result["apps"]:
        name = "**%s**" % r["app"] if r["today"] < SMALL else r["app"]
        best = r["full"].get(kib, r["dict"][kib])
        out.append("| %s | %d | %d | %d | %d | %s | %s |" % (
            name, r["romfs"], r["zlib"], r["today"], r["dict"][kib],
            "%d" % r["full"][kib] if kib in r["full"] else "-", saved(min(best, r["today"]), r["today"])))
    return out


def plot(result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = [c["kib"] for c in result["curve"]]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for small, label, color in ((False, "all apps", "C0"), (True, "apps under 2 KiB", "C1")):
        ys = []
        for kib in ks:
            t, p, _ = totals(result, kib, small=small)
            ys.append(100.0 * (t - p) / t)
        ax.plot(ks, ys, marker="o", color=color, label="%s, zlib -9" % label)
        full = [c["kib"] for c in result["curve"] if c["kib"] and all(c["kib"] in r["full"] for r in result["apps"])]
        if full:
            ys = []
            for kib in full:
                t, p, _ = totals(result, kib, "full", small)
                ys.append(100.0 * (t - p) / t)
            ax.plot(full, ys, marker="*", ms=12, ls="--" if len(full) > 1 else "", color=color,
                    label="%s, full effort (zopfli)" % label)
    ax.axhline(8, color="C0", ls=":", lw=1, label="goal, all apps (8 %)")
    ax.axhline(12, color="C1", ls=":", lw=1, label="goal, under 2 KiB (12 %)")
    ax.set_xlabel("dictionary size, KiB (firmware flash)")
    ax.set_ylabel("payload saved vs today's best (%)")
    ax.set_xticks(ks)
    ax.legend(fontsize=7)
    ax.set_title("Preset dictionary: payload saved against dictionary size")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES_KIB)), help="dictionary sizes in KiB")
    ap.add_argument("--full", type=int, default=CHOSEN_KIB, help="the size (KiB) also measured at full effort")
    ap.add_argument("--full-all", action="store_true", help="every size at full effort too (slower)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    result = measure(sizes, sizes if args.full_all else (args.full,))
    if result is None:
        sys.exit("no badge snapshot: set BADGE_DIR to a badge-2024-software checkout")
    print("\n".join(curve_table(result)))
    if args.full in sizes:
        print()
        print("\n".join(app_table(result, args.full)))
    print("\nsamples: %d ROMFS images, %d bytes, compiled in %.1f s by %s; training: %s" % (
        result["samples"], result["sample_bytes"], result["sample_s"], result["mpy_cross"],
        ", ".join("%d KiB %.2f s" % (c["kib"], c["train_s"]) for c in result["curve"] if c["kib"])))


if __name__ == "__main__":
    main()
