"""The badge's repository with eerom's patch series applied, for the tests: a copy of
BADGE_DIR made a git repository (the snapshot is not one), then
integrations/badge-2024-software/apply.sh, exactly as the firmware workflow runs it."""

import os
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERIES_DIR = os.path.join(ROOT, "integrations", "badge-2024-software")
APPLY = os.path.join(SERIES_DIR, "apply.sh")


def git(tree, *args):
    return subprocess.run(["git", "-C", str(tree), "-c", "user.name=test", "-c", "user.email=test@localhost",
                           *args], check=True, capture_output=True, text=True).stdout


def badge_copy(badge_dir, dest):
    """A git repository holding BADGE_DIR's files, committed, at `dest`."""
    shutil.copytree(badge_dir, dest, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    if not os.path.isdir(os.path.join(badge_dir, ".git")):
        git(dest, "init", "-q")
        git(dest, "add", "-A")
        git(dest, "commit", "-qm", "badge-2024-software")
    else:  # a real checkout: keep its history, so `git am` sees the real base
        shutil.rmtree(dest)
        subprocess.run(["git", "clone", "-q", str(badge_dir), str(dest)], check=True)
    return dest


def patched(badge_dir, dest):
    """badge_copy() with the series applied and eerom at drivers/eerom; returns the
    completed apply.sh process."""
    badge_copy(badge_dir, dest)
    return subprocess.run([APPLY, str(dest)], capture_output=True, text=True)


def series():
    return sorted(f for f in os.listdir(SERIES_DIR) if f.endswith(".patch"))


def find_badge_dir():
    """BADGE_DIR, else ../shared/badge-2024-software beside the project when it exists;
    (None, why) when neither is there."""
    path = os.environ.get("BADGE_DIR") or os.path.join(os.path.dirname(ROOT), "shared", "badge-2024-software")
    if os.path.isdir(os.path.join(path, "modules", "system", "hexpansion")):
        return os.path.abspath(path), None
    return None, ("no badge repository at %s: set BADGE_DIR to a checkout of emfcamp/badge-2024-software "
                  "at commit a412e00 (integrations/badge-2024-software/README.md)" % path)


_patched = {}


def patched_tree(tmp_root):
    """One patched copy of the badge's repository per test session (under tmp_root);
    skips the calling test when there is no badge repository."""
    import pytest
    badge_dir, why = find_badge_dir()
    if badge_dir is None:
        pytest.skip(why)
    if badge_dir not in _patched:
        dest = os.path.join(tempfile.mkdtemp(prefix="badge-patched-", dir=str(tmp_root)), "badge")
        proc = patched(badge_dir, dest)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        _patched[badge_dir] = dest
    return _patched[badge_dir]
