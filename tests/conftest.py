"""Shared fixtures: paths, image building, and running scripts in the unix port."""

import json
import os

import pytest

from eerom import builder, unixport
from eerom.littlefs_layout import find_micropython
from eerom.parts import get_part

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE_APP = os.path.join(ROOT, "examples", "hello_hexpansion")
TEST_APPS = os.path.join(ROOT, "tests", "device", "apps")


@pytest.fixture(scope="session")
def micropython():
    binary = find_micropython()
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("no MicroPython unix build with the eerom module: run `make setup` (or set EEROM_MICROPYTHON)")
    return binary


def build_image(app, part="m24c16", **kw):
    """Build an app folder into an image; returns the Build."""
    opts = dict(vid=0xCA75, pid=0x1337, name="Test")
    opts.update(kw)
    return builder.build(app, get_part(part), **opts)


class Device:
    """Runs scripts in the unix port; a script reports with report(**values)."""

    PRELUDE = (
        "import json, os, gc, vfs, eerom, eeprom_sim\n"
        "def report(**kw):\n"
        "    print('RESULT ' + json.dumps(kw))\n"
        "def mounted():\n"
        "    return [p for _, p in vfs.mount()]\n"
    )

    def __init__(self, binary, tmp_path):
        self.binary = binary
        self.tmp_path = tmp_path
        self.count = 0

    def file(self, data, name=None):
        self.count += 1
        path = self.tmp_path / (name or "blob%d.bin" % self.count)
        path.write_bytes(data)
        return str(path)

    def run(self, script, *args, heapsize=None):
        """Run; return the list of report() dicts.  Fails the test on a crash."""
        code, out = unixport.run(self.PRELUDE + script, args, binary=self.binary, check=False, heapsize=heapsize)
        assert code == 0, "MicroPython exited with %d:\n%s" % (code, out)
        return [json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT ")]

    def run1(self, script, *args, **kw):
        results = self.run(script, *args, **kw)
        assert len(results) == 1, results
        return results[0]


@pytest.fixture
def device(micropython, tmp_path):
    return Device(micropython, tmp_path)
