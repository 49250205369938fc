"""Shared fixtures: paths, image building, and the device targets (unix, qemu)."""

import os

import pytest

from eerom import builder
from eerom.littlefs_layout import find_micropython
from eerom.parts import get_part
import targets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE_APP = os.path.join(ROOT, "examples", "hello_hexpansion")
TEST_APPS = os.path.join(ROOT, "tests", "device", "apps")


@pytest.fixture(scope="session")
def micropython():
    """The product unix build (eerom only), as users get it."""
    binary = find_micropython()
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("no MicroPython unix build with the eerom module: run `make setup` (or set EEROM_MICROPYTHON)")
    return binary


def build_image(app, part="m24c16", **kw):
    """Build an app folder into an image; returns the Build.  Without the preset
    dictionary unless told (dictionary="auto"): the tests count its bus reads and
    bytes, and tests/device/test_dict.py covers the dictionary."""
    opts = dict(vid=0xCA75, pid=0x1337, name="Test", dictionary="none")
    opts.update(kw)
    return builder.build(app, get_part(part), **opts)


class Device:
    """Runs scripts on a target.  report(**values) in a script becomes a dict here."""

    def __init__(self, target):
        self.target = target
        self.kind = target.name

    def run(self, script, *args, timeout=300):
        return targets.parse_results(self.target.run(script, args, timeout=timeout))

    def run1(self, script, *args, **kw):
        results = self.run(script, *args, **kw)
        assert len(results) == 1, results
        return results[0]


_targets = {}


def _target(kind):
    if kind not in _targets:
        if kind == "unix":
            binary = targets.unix_test_binary()
            if not os.access(binary, os.X_OK):
                pytest.fail("no unix test build at %s: run `make setup`" % binary)
            _targets[kind] = targets.UnixTarget(binary)
        else:
            _targets[kind] = targets.QemuTarget(qemu_firmware("qemu-test"))
    return _targets[kind]


def qemu_firmware(name):
    """build/<name>/firmware.elf; skips when set-up could not install qemu here."""
    reason = os.path.join(targets.BUILD, "qemu-unavailable")
    if os.path.exists(reason):
        pytest.skip("qemu ARM target unavailable: " + open(reason).read().strip())
    firmware = os.path.join(targets.BUILD, name, "firmware.elf")
    if not os.path.exists(firmware):
        pytest.fail("no %s firmware at %s: run `make setup`" % (name, firmware))
    return firmware


def pytest_sessionfinish(session, exitstatus):
    for t in _targets.values():
        t.close()


@pytest.fixture(params=["unix", "qemu"])
def device(request):
    """A device test runs on both targets."""
    return Device(_target(request.param))
