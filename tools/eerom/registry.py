"""Build every app of a hexpansion registry checkout, and report how each fits.

The registry (github.com/emfcamp/hexpansion-firmwares) holds one folder per product,
`0xVVVV/0xPPPP/`, and publishes `firmware_0xvvvv_0xpppp.tar.gz` for each (lower-case
hex, from the folder names).  `eerom registry` writes `firmware_0xvvvv_0xpppp.eerom`
beside those names, and a report as Markdown (for a GitHub step summary) and JSON.
"""

import concurrent.futures
import json
import os
import sys
import time

from . import builder, manifest, report
from .errors import EeromError, UsageError

REPORT_NAME = "eerom-report"
STATUS_OK, STATUS_TOO_BIG, STATUS_FAILED, STATUS_SKIPPED = "fits", "does not fit", "failed", "skipped"


def _hex_name(name):
    """The number a registry folder name such as "0x025D" stands for, or None."""
    if len(name) < 3 or name[:2].lower() != "0x":
        return None
    try:
        return int(name[2:], 16)
    except ValueError:
        return None


class App:
    """A product folder of the registry."""

    def __init__(self, repo, vid_dir, pid_dir):
        self.path = os.path.join(repo, vid_dir, pid_dir)
        self.folder = "%s/%s" % (vid_dir, pid_dir)
        self.vid, self.pid = _hex_name(vid_dir), _hex_name(pid_dir)
        self.image_name = "firmware_%s_%s.eerom" % (vid_dir.lower(), pid_dir.lower())


def find_apps(repo, only=()):
    """The registry's product folders, in the order `ls` gives them, narrowed to
    `only` ("VID/PID" strings, hex with or without 0x)."""
    if not os.path.isdir(repo):
        raise UsageError("%s is not a folder" % repo, hint="give a checkout of the hexpansion registry")
    apps = []
    for vid_dir in sorted(os.listdir(repo), key=str.lower):
        if _hex_name(vid_dir) is None or not os.path.isdir(os.path.join(repo, vid_dir)):
            continue
        for pid_dir in sorted(os.listdir(os.path.join(repo, vid_dir)), key=str.lower):
            if _hex_name(pid_dir) is not None and os.path.isdir(os.path.join(repo, vid_dir, pid_dir)):
                apps.append(App(repo, vid_dir, pid_dir))
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
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise UsageError("--only %s: give VID/PID in hex, e.g. 0xCAFE/0x0C02" % text) from None


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


def build_app(app, outdir, arch, effort):
    """Build one app; return its report row (a dict of plain values)."""
    row = {"folder": app.folder, "image": None, "name": None, "part": None, "part_size": None,
           "registry_used": None, "registry_room": None, "registry_fits": None,
           "eerom_bytes": None, "eerom_percent": None, "status": STATUS_FAILED, "reason": None}
    try:
        found = manifest.load(app.path)
        if found is not None:
            row.update(name=found.friendly_name, part=found.part.name, part_size=found.part.size)
        if not _has_code(app.path):
            row.update(status=STATUS_SKIPPED, reason="no code: nothing to build")
            return row
        if found is None:
            raise UsageError("no eeprom.json: the registry needs one for the header")
        result = builder.build(app.path, arch=arch, effort=effort, **manifest.settings(found))
        reg = report.registry_estimate(result, found)
        row.update(registry_used=reg.used, registry_room=reg.room, registry_fits=reg.fits,
                   eerom_bytes=result.size, eerom_percent=round(100.0 * result.size / result.part.size, 1))
        if not result.fits:
            row.update(status=STATUS_TOO_BIG, reason="%d B over the %d B part" % (result.size - result.part.size,
                                                                               result.part.size))
            return row
        with open(os.path.join(outdir, app.image_name), "wb") as f:
            f.write(result.image.to_bytes())
        row.update(status=STATUS_OK, image=app.image_name)
        row["warnings"] = [w.replace(app.path + os.sep, "") for w in found.warnings + result.warnings]
    except EeromError as e:
        row["reason"] = _one_line(e).replace(app.path + os.sep, "")
    return row


def build_all(apps, outdir, arch, effort="best", jobs=None, log=None):
    """Build `apps` over `jobs` processes (default: every core); return their rows in
    the order of `apps`.  `log(done, total, row)` is called as each one ends."""
    os.makedirs(outdir, exist_ok=True)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(apps)))
    rows = [None] * len(apps)
    if jobs == 1:
        for i, app in enumerate(apps):
            rows[i] = build_app(app, outdir, arch, effort)
            if log:
                log(i + 1, len(apps), rows[i])
        return rows
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = {pool.submit(build_app, app, outdir, arch, effort): i for i, app in enumerate(apps)}
        for done, future in enumerate(concurrent.futures.as_completed(pending), 1):
            rows[pending[future]] = future.result()
            if log:
                log(done, len(apps), rows[pending[future]])
    return rows


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
        return str(text).replace("|", "\\|").replace("\n", " ")

    out = ["## eerom images", "", summary(rows) + " (native code for %s)." % arch, "",
           "| app | name | part | registry check (LittleFS formula) | eerom image | result |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        reg = "-"
        if r["registry_used"] is not None:
            reg = "%d / %d B (%d %%)%s" % (r["registry_used"], r["registry_room"],
                                          round(100.0 * r["registry_used"] / r["registry_room"]),
                                          "" if r["registry_fits"] else ", fails")
        ee = "-" if r["eerom_bytes"] is None else "%d B (%s %% of the part)" % (r["eerom_bytes"], r["eerom_percent"])
        result = {STATUS_OK: "fits", STATUS_TOO_BIG: "**does not fit**", STATUS_FAILED: "**failed**",
                  STATUS_SKIPPED: "skipped"}[r["status"]]
        if r["reason"]:
            result += ": " + r["reason"]
        part = "-" if r["part"] is None else "%s (%d B)" % (r["part"], r["part_size"])
        out.append("| %s |" % " | ".join(cell(c) for c in (r["folder"], r["name"] or "-", part, reg, ee, result)))
    out += ["", "Registry check: the figure of the registry's size check (sizecheck.sh), used / room, for the "
            "files the registry ships. eerom image: bytes on the EEPROM, header included."]
    return "\n".join(out) + "\n"


def write_reports(rows, outdir, arch, seconds):
    with open(os.path.join(outdir, REPORT_NAME + ".md"), "w", encoding="utf-8") as f:
        f.write(markdown(rows, arch))
    with open(os.path.join(outdir, REPORT_NAME + ".json"), "w", encoding="utf-8") as f:
        json.dump({"arch": arch, "summary": summary(rows), "seconds": round(seconds, 1), "apps": rows}, f, indent=1)
        f.write("\n")


def run(repo, outdir, only=(), arch="xtensawin", effort="best", jobs=None, quiet=False, stream=None):
    """`eerom registry`: build, report, and return the exit status."""
    stream = stream or sys.stderr
    apps = find_apps(repo, only)
    start = time.monotonic()

    def log(done, total, row):
        if quiet:
            return
        what = {STATUS_OK: "%s B" % row["eerom_bytes"], STATUS_SKIPPED: "skipped: " + (row["reason"] or "")}
        text = what.get(row["status"], "%s: %s" % (row["status"], row["reason"]))
        stream.write("[%*d/%d] %-16s %s\n" % (len(str(total)), done, total, row["folder"], text))
        stream.flush()

    rows = build_all(apps, outdir, arch, effort, jobs, log)
    write_reports(rows, outdir, arch, time.monotonic() - start)
    return rows
