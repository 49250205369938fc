"""boards/TILDAGON/modules/hexpansion_loader.py, the badge's flow with eerom, on the
simulated and native buses: eerom images, LittleFS hexpansions, bad and absent ones."""

import os

from conftest import EXAMPLE_APP, LOADER_DIR, build_image
from test_littlefs import badge_lfs_image

LOADER = """
try:
    import hexpansion_loader
except ImportError:  # unix: from the board's folder (qemu has it frozen)
    sys.path.append(ARGS[-1])
    import hexpansion_loader
E = eeprom_sim.EEPROM
good, lfs, native_image = ARGS[0], ARGS[1], ARGS[2]
damaged = bytearray(good)
damaged[-5] ^= 0x01
native = new_bus_of("native", "m24c64", native_image)
buses = {
    1: eeprom_sim.Bus(E.part("m24c16", data=good)),        # an eerom image
    2: eeprom_sim.Bus(E.part("m24c64", data=lfs)),         # LittleFS, as in the field
    3: eeprom_sim.Bus(E.part("m24c16", data=bytes(damaged))),
    4: eeprom_sim.Bus(),                                   # nothing plugged in
    5: eeprom_sim.Bus(E.part("m24c16")),                   # a blank EEPROM
    6: native,                                             # eerom over native I2C
}
class Config:
    def __init__(self, port):
        self.port = port
        self.deinit_called = False
configs = {}
def config_for_port(port, i2c):
    configs[port] = Config(port)
    return configs[port]
log = []
loader = hexpansion_loader.HexpansionLoader(i2c_for_port=buses.__getitem__,
                                            config_for_port=config_for_port, log=log.append)
out = {}
# A distinctive cwd (the root of another mounted image): the loader must give it back.
eerom.mount(eeprom_sim.Bus(E.part("m24c16", data=good)), "/cwd_here")
os.chdir("/cwd_here")
out["cwd_before"] = os.getcwd()
buses[1].log = []  # what the flow reads from an eerom hexpansion
for port in range(1, 7):
    h = loader.insert(port)
    out[str(port)] = None if h is None else [h.kind, h.header.name, type(h.app).__name__]
out["header_reads"] = len([e for e in buses[1].log if e[0] == "rm" and e[1:3] == (0x50, 0)])
out["hello"] = loader.hexpansions[1].app.describe()
out["lfs_greeting"] = loader.hexpansions[2].app.greeting
out["mounted"] = sorted(p for p in mounted() if p.startswith("/hexpansion"))
out["modules"] = sorted(m for m in sys.modules if m.startswith("hexpansion_") and m[11:12].isdigit())
out["cwd"] = os.getcwd()
for port in (1, 2, 6):
    loader.remove(port)
out["deinit"] = configs[2].deinit_called
out["after_mounted"] = sorted(p for p in mounted() if p.startswith("/hexpansion"))
out["after_modules"] = sorted(m for m in sys.modules if m.startswith("hexpansion_") and m[11:12].isdigit())
h = loader.insert(1)  # plugged in again
out["again"] = [h.kind, h.info.reused, h.app.describe()]
out["log"] = log
os.chdir("/")
eerom.umount("/cwd_here")
report(**out)
"""


def test_loader_runs_the_badge_flow(device):
    good = build_image(EXAMPLE_APP, "m24c16", name="Hello")
    native = build_image(EXAMPLE_APP, "m24c64", name="Native")
    r = device.run1(LOADER, good.image.to_bytes(), badge_lfs_image("m24c64"), native.image.to_bytes(), LOADER_DIR)
    assert r["1"] == ["eerom", "Hello", "HelloHexpansion"]
    assert r["2"] == ["littlefs", "LFS", "LfsApp"]
    assert r["3"] is None and r["4"] is None and r["5"] is None
    assert r["6"] == ["eerom", "Native", "HelloHexpansion"]
    assert r["header_reads"] == 1  # mount() reads the header: the loader does not read it again
    assert r["hello"] == "Hello from an EEPROM! (hexpansion port 1)"
    assert r["lfs_greeting"] == "HELLO FROM LITTLEFS!"
    assert r["mounted"] == ["/hexpansion_1", "/hexpansion_2", "/hexpansion_6"]
    assert "hexpansion_1.app" in r["modules"] and "hexpansion_2.util" in r["modules"]
    assert r["cwd_before"] == "/cwd_here" and r["cwd"] == r["cwd_before"]  # the loader restores the cwd
    assert r["deinit"] is True
    assert r["after_mounted"] == [] and r["after_modules"] == []
    assert r["again"] == ["eerom", True, "Hello from an EEPROM! (hexpansion port 1)"]
    log = "\n".join(r["log"])
    assert "hexpansion 3: eerom: payload-crc" in log  # refused, and why
    assert "hexpansion 4: eerom: no EEPROM answers" in log
    assert "hexpansion 5: eerom: header-magic" in log
