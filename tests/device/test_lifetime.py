"""How long eerom's images live: every image mounted in a VM session stays in RAM,
through the module's own root pointers, until the next soft reset, so that code
imported from it keeps running after umount(); the state starts afresh with the
session.  Shown on the test firmwares and on a unix build without native code and
with terse errors (tests/native/unix-lean), where the runtime keeps no list of
native-code roots for eerom to borrow."""

import os

import pytest

import targets
from conftest import Device, EXAMPLE_APP, build_image
from test_mount import OUTLIVES, SETUP, big_app, expected_total  # noqa: F401 (a fixture)

ENOEXEC, EIO = 8, 5

TERSE = """
out = {}
damaged = bytearray(ARGS[0])
damaged[-1] ^= 0xff
for name, bus in (("damaged", eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24c16", data=bytes(damaged)))),
                  ("absent", eeprom_sim.Bus())):
    try:
        eerom.mount(bus, "/hx")
    except OSError as e:
        out[name] = list(e.args)
bus = eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24c16", data=ARGS[0]))
bus.inject(9, "nack")
try:
    eerom.mount(bus, "/hx")
except OSError as e:
    out["nack"] = list(e.args)
report(**out)
"""


@pytest.fixture(scope="module")
def lean():
    binary = os.path.join(targets.BUILD, "unix-lean", "micropython")
    if not os.access(binary, os.X_OK):
        pytest.fail("no lean unix build at %s: run `make setup`" % binary)
    return Device(targets.UnixTarget(binary))


def test_without_native_code_imported_code_outlives_umount(lean, big_app):  # noqa: F811
    r = lean.run1("import sys\nreport(native=hasattr(sys.implementation, '_mpy') and "
                  "(sys.implementation._mpy >> 10) & 0xf)")
    assert r["native"] == 0  # no native architecture: the runtime cannot load native code
    _, build = big_app
    r = lean.run1(SETUP + OUTLIVES, build.image.to_bytes(), "m24128")
    assert r["first"] == r["again"] == expected_total()


def test_terse_builds_keep_the_check_name_only(lean):
    data = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    r = lean.run1(TERSE, data)
    assert r["damaged"] == [ENOEXEC, "payload-crc"]  # the stable check name survives
    assert r["absent"] == [19]  # ENODEV, no text
    assert r["nack"] == [EIO]


def test_state_lives_for_one_session(device):
    """Within a session, importing eerom again keeps its images (the second mount
    of an image reuses it); after a soft reset (qemu runs each script after one;
    unix starts a new process) the state's old root pointer is recognised as stale
    and the first mount loads afresh."""
    data = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    script = """
import sys
out = [eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hx").reused]
eerom.umount("/hx")
import eerom
del eerom
import eerom
out.append(eerom.mount(new_bus_of("sim", "m24c16", ARGS[0]), "/hx").reused)
eerom.umount("/hx")
report(reused=out)
"""
    for _ in range(2):
        r = device.run1(script, data)
        assert r == {"reused": [False, True]}
