"""eerom's patch series for the badge's repository (integrations/badge-2024-software):
it applies to the pinned commit the way the firmware workflow applies it, and what it
changes is checked as far as this machine can without ESP-IDF."""

import os
import re
import subprocess

import pytest

from . import series

ROOT = series.ROOT


@pytest.fixture(scope="module")
def tree(patched_badge):
    return patched_badge


def test_series_applies_with_git_am_and_puts_eerom_at_drivers_eerom(tree):
    log = series.git(tree, "log", "--format=%s").splitlines()
    subjects = []
    for name in series.series():
        text = open(os.path.join(series.SERIES_DIR, name)).read()
        subject = re.search(r"^Subject: \[PATCH[^\]]*\] (.*(?:\n .*)*)$", text, re.M).group(1)
        subjects.append(subject.replace("\n ", " "))  # unfolded
    assert log[:-1] == subjects[::-1]  # every patch, in name order, on the badge's commit
    assert series.git(tree, "status", "--porcelain", "--untracked-files=no") == ""
    assert os.path.isfile(os.path.join(tree, "drivers", "eerom", "micropython.cmake"))
    assert os.path.isfile(os.path.join(tree, "drivers", "eerom", "usermod", "eerom", "modeerom.c"))


def test_every_patch_is_git_format_patch_output():
    for name in series.series():
        text = open(os.path.join(series.SERIES_DIR, name)).read()
        assert text.startswith("From ") and "\nSubject: [PATCH" in text and "\ndiff --git " in text, name


def test_the_badge_cmake_includes_eerom_only_when_it_is_checked_out(tree, tmp_path):
    """The patched drivers/micropython.cmake's eerom block, configured through
    MicroPython's own py/usermod.cmake as the esp32 port does: with drivers/eerom it
    links eerom's library; without, it is left out."""
    text = open(os.path.join(tree, "drivers", "micropython.cmake")).read()
    block = re.search(r"\nif\(EXISTS [^\n]*eerom[^\n]*\n.*?\nendif\(\)\n", text, re.S)
    assert block, text
    entry = os.path.join(tree, "drivers", "eerom_block.cmake")  # beside the drivers, as included
    with open(entry, "w") as f:
        f.write(block.group(0))
    with open(os.path.join(targets_build(), "micropython.path")) as f:
        micropython = f.read().strip()
    proc = subprocess.run(["cmake", "-S", os.path.join(ROOT, "tests", "cmake"), "-B", str(tmp_path / "with"),
                           "-DMICROPY_DIR=" + micropython, "-DUSER_C_MODULES=" + entry],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = (tmp_path / "with" / "usermod.txt").read_text()
    assert "links=usermod_eerom" in info and os.path.join(tree, "drivers", "eerom", "usermod", "eerom") in info
    os.rename(os.path.join(tree, "drivers", "eerom"), os.path.join(tree, "drivers", "eerom.away"))
    try:
        proc = subprocess.run(["cmake", "-S", os.path.join(ROOT, "tests", "cmake"), "-B", str(tmp_path / "without"),
                               "-DMICROPY_DIR=" + micropython, "-DUSER_C_MODULES=" + entry],
                              capture_output=True, text=True)
    finally:
        os.rename(os.path.join(tree, "drivers", "eerom.away"), os.path.join(tree, "drivers", "eerom"))
        os.remove(entry)
    assert proc.returncode != 0 and "usermod does not link usermod_eerom" in proc.stdout + proc.stderr


def targets_build():
    return os.environ.get("EEROM_BUILD") or os.path.join(ROOT, "build")


def test_board_enables_vfs_rom_where_qstr_generation_sees_it(tree):
    text = open(os.path.join(tree, "tildagon", "mpconfigboard.h")).read()
    assert re.search(r"#define MICROPY_VFS_ROM\s+\(1\)", text)
    assert re.search(r"#define MICROPY_VFS_ROM_IOCTL\s+\(0\)", text)


def test_first_time_applies_eeroms_micropython_fixes(tree):
    """firstTime.sh applies every patches/*.diff it names; the two from eerom are
    eerom's patches/*.patch, and they apply to MicroPython (checked in reverse on the
    tree `make setup` built, which has them)."""
    script = open(os.path.join(tree, "scripts", "firstTime.sh")).read()
    named = re.findall(r"git apply \.\./patches/(\S+)", script)
    for name in named:
        assert os.path.isfile(os.path.join(tree, "patches", name)), name
    ours = {"micropython-uzlib-bad-symbol.diff", "micropython-objexcept-decompress-nul.diff"}
    assert ours <= set(named)
    with open(os.path.join(targets_build(), "micropython.path")) as f:
        micropython = f.read().strip()
    for name in sorted(ours):
        diff = os.path.join(tree, "patches", name)
        mine = os.path.join(ROOT, "patches", name[:-len(".diff")] + ".patch")
        strip = lambda t: t[t.index("\n--- a/"):]  # the change itself, not the description
        assert strip(open(diff).read()) == strip(open(mine).read()), name
        proc = subprocess.run(["patch", "-d", micropython, "-p1", "-R", "--dry-run", "-s", "-f"],
                              stdin=open(diff), capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_patched_badge_modules_compile_with_mpy_cross(tree):
    """Every Python file the series touches compiles (the badge freezes them)."""
    from eerom import mpy
    changed = series.git(tree, "diff", "--name-only", "HEAD~%d" % len(series.series()), "HEAD").split()
    py = [p for p in changed if p.endswith(".py")]
    assert "modules/system/hexpansion/app.py" in py and "modules/firmware_apps/hexpansionfw.py" in py
    for path in py:
        src = open(os.path.join(tree, path), "rb").read()
        ok, text = mpy.describe(mpy.compile_source(src, os.path.basename(path)))
        assert ok, (path, text)


def test_firmware_workflow_builds_the_patched_badge_the_badges_way(badge_dir):
    """.github/workflows/firmware.yml: the badge at the series' commit, the series
    applied by apply.sh, the badge's firstTime.sh, and the badge's own build container
    (the one its build.yml uses), uploading what its build.yml uploads."""
    import yaml
    flow = yaml.safe_load(open(os.path.join(ROOT, ".github", "workflows", "firmware.yml")))
    assert flow["env"]["BADGE_REF"] == "a412e00"
    assert "Commit: a412e00" in open(os.path.join(badge_dir, "SNAPSHOT.md")).read() or \
        series.git(badge_dir, "rev-parse", "--short=7", "HEAD").strip() == "a412e00"
    for doc in ("docs/BADGE.md", "integrations/badge-2024-software/README.md"):
        assert "a412e00" in open(os.path.join(ROOT, doc)).read(), doc
    run = "\n".join(step.get("run", "") for step in flow["jobs"]["tildagon"]["steps"])
    assert 'git -C badge checkout "$BADGE_REF"' in run
    assert "--depth" not in run  # the badge's build runs `git describe`
    assert "eerom/integrations/badge-2024-software/apply.sh badge" in run
    assert "./scripts/firstTime.sh" in run
    ours = re.search(r"docker run [^\n]*", run).group(0)
    badge_flow = os.path.join(badge_dir, ".github", "workflows", "build.yml")
    theirs = re.search(r"docker run [^\n]*", open(badge_flow).read()).group(0)
    container = lambda cmd: cmd.split()[-1]
    assert container(ours) == container(theirs) and "TARGET=esp32s3" in ours
    uploads = [step for step in flow["jobs"]["tildagon"]["steps"] if step.get("uses", "").startswith(
        "actions/upload-artifact")][0]["with"]["path"].split()
    theirs_up = [p for p in yaml.safe_load(open(badge_flow))["jobs"]["Build-Firmware"]["steps"]
                 if p.get("name") == "Archive firmware"][0]["with"]["path"].split()
    assert uploads == ["badge/" + p for p in theirs_up if "esp32" in p]
