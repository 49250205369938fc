"""Every app of the test registry that builds runs from eerom, built with no flags
but the target's CPU: its header from eeprom.json, imported as the badge imports it.

(The native-code app, 0xee70/0x0002, has its own tests in test_native.py.)"""

import os

import pytest

from conftest import ROOT
from eerom import builder, manifest

REGISTRY = os.path.join(ROOT, "tests", "registry")
TARGET_ARCH = {"unix": "x64", "qemu": "armv7m"}

# folder -> (expression on the imported hexpansion_1.app module, what it gives)
APPS = {
    "0xee70/0x0001": ("app.__app_export__(config=1).summary()", {"count": 3, "port": 1}),
    "0xee70/0x0003": ("app.__app_export__(config=1).summary()",
                      {"words": ["tildagon", "hexpansion", "eeprom"], "shapes": ["hexagon/6", "triangle/3"],
                       "sprite": sum(range(64))}),
    "0xee70/0x0004": ("app.__app_export__(config=1).summary()", {"notes": ["C4", "E4", "G4"]}),
    "0xEE71/0x00AB": ("[app.VALUE, app.__app_export__]", [0xAB, None]),
}


@pytest.mark.parametrize("folder", sorted(APPS))
def test_registry_app_runs_from_eerom(device, folder):
    path = os.path.join(REGISTRY, folder)
    found = manifest.load(path)
    build = builder.build(path, arch=TARGET_ARCH[device.kind], effort="fast", **manifest.settings(found))
    assert build.fits
    call, expected = APPS[folder]
    r = device.run1("""
os.chdir("/")
info = eerom.mount(new_bus_of("sim", ARGS[1], ARGS[0]), "/hexpansion_1")
app = __import__("hexpansion_1.app").app
report(result=%s, name=info[0], vid=info[1], pid=info[2], listing=sorted(os.listdir("/hexpansion_1")))
""" % call, build.image.to_bytes(), found.part.name)
    assert r["result"] == expected
    assert (r["name"], r["vid"], r["pid"]) == (found.name, found.vid, found.pid)
    assert not set(r["listing"]) & manifest.REGISTRY_EXCLUDED
