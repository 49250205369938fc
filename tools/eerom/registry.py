"""Build every app of a hexpansion registry checkout, and report how each fits.

The registry (github.com/emfcamp/hexpansion-firmwares) holds one folder per product,
`0xVVVV/0xPPPP/`, and publishes `firmware_0xvvvv_0xpppp.tar.gz` for each (lower-case
hex, from the folder names).  `eerom registry` writes `firmware_0xvvvv_0xpppp.eerom`
beside those names, and a report as Markdown (for a GitHub step summary) and JSON.
"""

import json
import multiprocessing
import os
import signal
import sys
import time

from . import builder, manifest, report
from .errors import EeromError, UsageError
from .dictionary import dict_id
from .fileio import write_file

REPORT_NAME = "eerom-report"
STATUS_OK, STATUS_TOO_BIG, STATUS_FAILED, STATUS_SKIPPED = "fits", "does not fit", "failed", "skipped"


HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _is_app_dir(name):
    """build.sh takes every folder matching 0x*/0x*/."""
    return name.startswith("0x")


def _hex_name(name):
    """The number a registry folder name such as "0x025D" stands for, or None."""
    digits = name[2:]
    return int(digits, 16) if name.startswith("0x") and digits and set(digits) <= HEX_DIGITS else None


class App:
    """A product folder of the registry."""

    def __init__(self, repo, vid_dir, pid_dir):
        self.path = os.path.join(repo, vid_dir, pid_dir)
        self.folder = "%s/%s" % (vid_dir, pid_dir)
        self.vid, self.pid = _hex_name(vid_dir), _hex_name(pid_dir)
        self.image_name = "firmware_%s_%s.eerom" % (vid_dir.lower(), pid_dir.lower())
        self.clash = None  # the folder that already has this image name


def find_apps(repo, only=()):
    """The registry's product folders, in the order `ls` gives them, narrowed to
    `only` ("VID/PID" strings, hex with or without 0x)."""
    if not os.path.isdir(repo):
        raise UsageError("%s is not a folder" % repo, hint="give a checkout of the hexpansion registry")
    apps, names = [], {}
    for vid_dir in sorted(os.listdir(repo), key=str.lower):
        if not _is_app_dir(vid_dir) or not os.path.isdir(os.path.join(repo, vid_dir)):
            continue
        for pid_dir in sorted(os.listdir(os.path.join(repo, vid_dir)), key=str.lower):
            if _is_app_dir(pid_dir) and os.path.isdir(os.path.join(repo, vid_dir, pid_dir)):
                app = App(repo, vid_dir, pid_dir)
                app.clash = names.setdefault(app.image_name, app.folder)
                if app.clash == app.folder:
                    app.clash = None
                apps.append(app)
    if not apps:
        raise UsageError("%s has no 0xVVVV/0xPPPP/ folders" % repo,
                         hint="give a checkout of github.com/emfcamp/hexpansion-firmwares")
    if only:
        wanted = [_parse_only(text) for text in only]
        apps = [a for a in apps if (a.vid, a.pid) in wanted]
        missing = [text for text, key in zip(only, wanted) if not any((a.vid, a.pid) == key for a in apps)]
        if missing:
            raise UsageError("no folder for --only %s in %s" % (", ".join(missing), repo),
                             hint="give VID/PID as the folder names have them, e.g. 0xCAFE/0x0C02")
    return apps


def _parse_only(text):
    vid, sep, pid = text.partition("/")
    try:
        if not sep:
            raise ValueError
        return _number(vid), _number(pid)
    except ValueError:
        raise UsageError("--only %s: give VID/PID in hex, e.g. 0xCAFE/0x0C02" % text) from None


def _number(text):
    digits = text[2:] if text.lower().startswith("0x") else text
    if not digits or not set(digits) <= HEX_DIGITS:
        raise ValueError(text)
    return int(digits, 16)


def _has_code(folder):
    """Does the folder hold a .py or .mpy that the registry would ship?"""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in manifest.REGISTRY_EXCLUDED and not builder.skipped(d)]
        if any(f.endswith((".py", ".mpy")) and not builder.skipped(f) for f in files):
            return True
    return False


def _one_line(error):
    lines = [line.strip() for line in error.message.splitlines()]
    text = " / ".join(line for line in lines if line and line != "Traceback (most recent call last):")
    return text if len(text) <= 300 else text[:297] + "..."


def build_app(app, outdir, arch, effort, dictionary="auto"):
    """Build one app; return its report row (a dict of plain values)."""
    row = {"folder": app.folder, "image": None, "name": None, "part": None, "part_size": None,
           "registry_used": None, "registry_room": None, "registry_fits": None,
           "eerom_bytes": None, "eerom_percent": None, "dictionary": None, "status": STATUS_FAILED, "reason": None,
           "warnings": []}
    image_path = os.path.join(outdir, app.image_name)
    try:
        if app.clash:  # 0xABCD/ and 0xabcd/ on a case-sensitive file system
            raise UsageError("its image name %s is %s's too: rename one folder" % (app.image_name, app.clash))
        found = manifest.load(app.path)
        if found is not None:
            row.update(name=found.name, part=found.part.name, part_size=found.part.size)
        if not _has_code(app.path):
            row.update(status=STATUS_SKIPPED, reason="no code: nothing to build")
            return row
        if found is None:
            raise UsageError("no eeprom.json: the registry needs one for the header")
        result = builder.build(app.path, arch=arch, effort=effort, dictionary=dictionary,
                               **manifest.settings(found))
        reg = report.registry_estimate(result, found)
        row.update(registry_used=reg.used, registry_room=reg.room, registry_fits=reg.fits,
                   eerom_bytes=result.size, eerom_percent=round(100.0 * result.size / result.part.size, 1),
                   dictionary=None if result.dictionary is None else "0x%08x" % dict_id(result.dictionary))
        row["warnings"] = [w.replace(app.path + os.sep, "") for w in found.warnings + result.warnings]
        if not result.fits:
            row.update(status=STATUS_TOO_BIG, reason="%d B over the %d B part" % (result.size - result.part.size,
                                                                               result.part.size))
        else:
            # whole or not at all, even when the build is stopped
            write_file(image_path + ".part", result.image.to_bytes())
            os.replace(image_path + ".part", image_path)
            row.update(status=STATUS_OK, image=app.image_name)
    except EeromError as e:
        row["reason"] = _one_line(e).replace(app.path + os.sep, "")
    except Exception as e:  # one app's surprise must not cost the others their report
        row["reason"] = "eerom failed: %s: %s" % (type(e).__name__, e)
    if row["status"] != STATUS_OK and os.path.exists(image_path):
        os.remove(image_path)  # an image of an earlier run is not this folder's image any more
    return row


def build_all(apps, outdir, arch, effort="best", jobs=None, log=None, dictionary="auto"):
    """Build `apps` over `jobs` processes (default: every core); return their rows in
    the order of `apps`.  `log(done, total, row)` is called as each one ends."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(apps)))
    rows = [None] * len(apps)
    if jobs == 1:
        for i, app in enumerate(apps):
            rows[i] = build_app(app, outdir, arch, effort, dictionary)
            if log:
                log(i + 1, len(apps), rows[i])
        return rows
    work = [(i, app, outdir, arch, effort, dictionary) for i, app in enumerate(apps)]
    # multiprocessing.Pool, not concurrent.futures: leaving the `with` (Ctrl-C
    # included) terminates the workers instead of waiting for every queued build.
    # The workers ignore Ctrl-C (the terminal sends it to them too): one killed while
    # it holds the pool's task queue lock would hang terminate(); the parent stops them.
    with multiprocessing.Pool(jobs, initializer=_ignore_ctrl_c) as pool:
        for done, (i, row) in enumerate(pool.imap_unordered(_build_numbered, work), 1):
            rows[i] = row
            if log:
                log(done, len(apps), row)
    return rows


def _ignore_ctrl_c():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _build_numbered(job):
    i, app, outdir, arch, effort, dictionary = job
    return i, build_app(app, outdir, arch, effort, dictionary)


def summary(rows):
    count = {s: sum(1 for r in rows if r["status"] == s)
             for s in (STATUS_OK, STATUS_TOO_BIG, STATUS_FAILED, STATUS_SKIPPED)}
    return ("%d folders: %d built and fit, %d do not fit, %d failed, %d without code (skipped)"
            % (len(rows), count[STATUS_OK], count[STATUS_TOO_BIG], count[STATUS_FAILED], count[STATUS_SKIPPED]))


def exit_status(rows):
    """1 when an app failed to build, else 3 when one does not fit, else 0."""
    if any(r["status"] == STATUS_FAILED for r in rows):
        return 1
    if any(r["status"] == STATUS_TOO_BIG for r in rows):
        return 3
    return 0


def markdown(rows, arch):
    def cell(text):
        text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text.replace("|", "\\|").replace("\n", " ")

    out = ["## eerom images", "", summary(rows) + " (native code for %s)." % arch, "",
           "| app | name | part | registry check (LittleFS formula) | eerom image | result |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        reg = "-"
        if r["registry_used"] is not None:
            reg = "%d / %d B (%s)%s" % (r["registry_used"], r["registry_room"],
                                       report.percent(r["registry_used"], r["registry_room"]),
                                       "" if r["registry_fits"] else ", fails")
        ee = "-" if r["eerom_bytes"] is None else "%d B (%s %% of the part%s)" % (
            r["eerom_bytes"], r["eerom_percent"], ", preset dictionary" if r["dictionary"] else "")
        result = {STATUS_OK: "fits", STATUS_TOO_BIG: "**does not fit**", STATUS_FAILED: "**failed**",
                  STATUS_SKIPPED: "skipped"}[r["status"]]
        if r["reason"]:
            result += ": " + r["reason"]
        for w in r["warnings"]:
            result += "; warning: " + w
        part = "-" if r["part"] is None else "%s (%d B)" % (r["part"], r["part_size"])
        out.append("| %s |" % " | ".join(cell(c) for c in (r["folder"], r["name"] or "-", part, reg, ee, result)))
    out += ["", "Registry check: the figure of the registry's size check (sizecheck.sh), used / room, for the "
            "files the registry ships. eerom image: bytes on the EEPROM, header included."]
    return "\n".join(out) + "\n"


def write_reports(rows, outdir, arch, seconds):
    doc = {"arch": arch, "summary": summary(rows), "seconds": round(seconds, 1), "apps": rows}
    write_file(os.path.join(outdir, REPORT_NAME + ".md"), markdown(rows, arch).encode("utf-8"))
    write_file(os.path.join(outdir, REPORT_NAME + ".json"), (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


def run(repo, outdir, only=(), arch="xtensawin", effort="best", jobs=None, quiet=False, stream=None,
        dictionary="auto"):
    """`eerom registry`: build, report, and return the exit status."""
    stream = stream or sys.stderr
    apps = find_apps(repo, only)
    out = os.path.realpath(outdir)
    for app in apps:
        if (out + os.sep).startswith(os.path.realpath(app.path) + os.sep):
            raise UsageError("%s is inside the app folder %s: the next build would pack it" % (outdir, app.folder),
                             hint="write the images outside the app folders, e.g. -o build-eerom")
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as e:
        raise UsageError("cannot make the folder %s: %s" % (outdir, e.strerror or e)) from None
    start = time.monotonic()

    def log(done, total, row):
        if quiet:
            return
        what = {STATUS_OK: "%s B" % row["eerom_bytes"], STATUS_SKIPPED: "skipped: " + (row["reason"] or "")}
        text = what.get(row["status"], "%s: %s" % (row["status"], row["reason"]))
        stream.write("[%*d/%d] %-16s %s\n" % (len(str(total)), done, total, row["folder"], text))
        stream.flush()

    rows = build_all(apps, outdir, arch, effort, jobs, log, dictionary)
    write_reports(rows, outdir, arch, time.monotonic() - start)
    return rows
