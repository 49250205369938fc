"""The badge's hexpansion manager with eerom's patch series applied, on the unix port:
eerom images are mounted (under the writable overlay) and launched, LittleFS
hexpansions as before, damaged images are refused with a notification and run
nothing, removal unmounts and unloads, and an app's saved settings come back."""

import pytest

from .harness import run_badge, lfs_image, eerom_image
from .test_manager_unpatched import APP_PY, UTIL_PY, FILES

VID, PID = 0xCA75, 0x1337


# An app that saves its settings next to its code, as some registry apps do.
SETTINGS_APP = b'''\
import app
import json

_HERE = __file__.rsplit("/", 1)[0]


class SettingsApp(app.App):
    def __init__(self, config=None):
        super().__init__()
        try:
            with open(_HERE + "/settings.json") as f:
                self.settings = json.load(f)
        except OSError:
            self.settings = {"runs": 0}

    def save(self):
        self.settings["runs"] += 1
        with open(_HERE + "/settings.json", "w") as f:
            json.dump(self.settings, f)


__app_export__ = SettingsApp
'''


@pytest.fixture(scope="module")
def images():
    damaged = bytearray(eerom_image(FILES, "m24c16", vid=VID, pid=PID, name="Eerom"))
    damaged[-3] ^= 0x10  # in the payload: its CRC no longer matches
    return {
        "eerom": eerom_image(FILES, "m24c16", vid=VID, pid=PID, name="Eerom"),
        "lfs": lfs_image(FILES, "m24c16", vid=VID, pid=PID, name="Harness"),
        "damaged": bytes(damaged),
        "settings": eerom_image([("app.py", SETTINGS_APP)], "m24c16", vid=VID, pid=PID, unique_id=7,
                                name="Settings"),
        "data_only": eerom_image([("greeting.txt", b"data only\n")], "m24c16", vid=VID, pid=PID,
                                 name="NoApp"),
    }


INSERT_REMOVE = """
start_manager()
insert(3, %(image)r)
settle()
out = {"inserted": event_log(), "state": state(), "mounts": mounts(), "modules": modules("hexpansion_3"),
       "kind": bh.manager.hexpansion_kinds.get(3), "root": sorted(os.listdir("/"))}
app = bh.manager.hexpansion_apps.get(3)
if app:
    out["greeting"] = app.greeting
    out["listing"] = sorted(os.listdir("/hexpansion_3"))
n = len(events)
remove(3)
settle()
out["removed"] = event_log()[n:]
out["after_state"] = state()
out["after_mounts"] = mounts()
out["after_modules"] = modules("hexpansion_3")
out["after_kind"] = bh.manager.hexpansion_kinds.get(3)
out["deinit_called"] = app and app.deinit_called
report(**out)
"""


def types(events):
    return [e["type"] for e in events]


def notifications(events):
    return [e["message"] for e in events if e["type"] == "ShowNotificationEvent"]


def test_eerom_hexpansion_is_mounted_launched_and_removed(patched_badge, images, tmp_path):
    r = run_badge(patched_badge, INSERT_REMOVE % {"image": "eerom"}, images=images, root=tmp_path)
    res = r.result
    assert res["kind"] == "eerom"
    start = [e for e in res["inserted"] if e["type"] == "RequestStartAppEvent"]
    assert len(start) == 1 and start[0]["app"] == {"class": "HarnessApp", "module": "hexpansion_3.app"}
    assert notifications(res["inserted"]) == ["Eerom"]  # the name, and no complaint
    assert res["greeting"] == "HELLO FROM PORT!"  # a relative import and a data file by __file__
    assert res["listing"] == ["app.mpy", "greeting.txt", "util.mpy"]
    assert res["state"]["mountpoints"] == {"3": "/hexpansion_3"}
    assert "/hexpansion_3" in res["mounts"] and "HexpansionMountedEvent" in types(res["inserted"])
    assert "hexpansion_data" not in res["root"]  # nothing written, nothing created
    assert "LittleFS" not in r.output and "partition block count" not in r.output  # no LittleFS attempt

    assert "RequestStopAppEvent" in types(res["removed"]) and res["deinit_called"]
    assert "HexpansionUnmountedEvent" in types(res["removed"])
    assert res["after_state"]["mountpoints"] == {} and res["after_state"]["apps"] == {}
    assert "/hexpansion_3" not in res["after_mounts"] and res["after_modules"] == []
    assert res["after_kind"] is None


def test_littlefs_hexpansion_runs_as_before(patched_badge, images, tmp_path):
    r = run_badge(patched_badge, INSERT_REMOVE % {"image": "lfs"}, images=images, root=tmp_path)
    res = r.result
    assert res["kind"] == "littlefs"
    assert res["greeting"] == "HELLO FROM PORT!"
    assert res["listing"] == ["app.py", "greeting.txt", "util.py"]
    assert notifications(res["inserted"]) == ["Harness"]
    assert "partition block count" in r.output  # the badge's own LittleFS path
    assert res["after_mounts"] == ["/"] and res["after_modules"] == [] and res["after_kind"] is None


def test_damaged_image_is_refused_with_a_notification_and_runs_nothing(patched_badge, images, tmp_path):
    """Even with a /drivers app for its VID/PID on the badge: nothing runs."""
    driver = b"import app\nclass Driver(app.App):\n    pass\n__app_export__ = Driver\n"
    r = run_badge(patched_badge, INSERT_REMOVE % {"image": "damaged"}, images=images, root=tmp_path,
                  files={"/drivers/hex_ca75_1337/app.py": driver})
    res = r.result
    assert notifications(res["inserted"]) == ["Eerom", "Bad app image: payload-crc"]
    assert "RequestStartAppEvent" not in types(res["inserted"])
    assert res["state"]["mountpoints"] == {} and res["state"]["apps"] == {}
    assert res["mounts"] == ["/"] and res["modules"] == []
    assert res["kind"] == "eerom"  # so the Hexpansions app can repair it
    assert "HexpansionMountedEvent" in types(res["inserted"])  # the header is good
    assert "partition block count" not in r.output  # no LittleFS attempt over the image
    assert "HexpansionUnmountedEvent" in types(res["removed"]) and res["after_kind"] is None


def test_unplugged_while_the_image_is_read(patched_badge, images, tmp_path):
    """The hexpansion goes away after the header was read, during eerom's image read:
    "Failed to read EEPROM", nothing mounted, and the next insertion works."""
    r = run_badge(patched_badge, """
start_manager()
probe = insert(3, "eerom")   # once whole, to find eerom's first read past the header
probe.log = []
settle()
at = [i for i, (op, addr, mem, n) in enumerate(probe.log) if op.startswith("r") and mem and mem >= 32][0]
remove(3)
settle()
n0 = len(events)
bus = eeprom_sim.Bus(eeprom_sim.EEPROM.part("m24c16", data=image("eerom")))
bus.inject(at, "remove")   # the hexpansion goes away there
insert(3, bus)
settle()
out = {"events": event_log()[n0:], "state": state(), "mounts": mounts(), "at": at}
remove(3)
settle()
n = len(events)
insert(3, "eerom")
settle()
out["again"] = event_log()[n:]
report(**out)
""", images=images, root=tmp_path)
    res = r.result
    assert "Failed to read EEPROM" in notifications(res["events"]), res["events"]
    assert "RequestStartAppEvent" not in types(res["events"])
    assert res["state"]["mountpoints"] == {} and res["mounts"] == ["/"]
    assert "RequestStartAppEvent" in types(res["again"])


def test_drivers_fallback_for_an_image_without_an_app(patched_badge, images, tmp_path):
    driver = APP_PY.replace(b"from .util import shout", b"shout = str.upper").replace(
        b'open(_HERE + "/greeting.txt")', b'open("/hexpansion_%d/greeting.txt" % config.port)')
    r = run_badge(patched_badge, """
start_manager()
insert(4, "data_only")
settle()
app = bh.manager.hexpansion_apps[4]
report(start=event_log("RequestStartAppEvent"), greeting=app.greeting, kind=bh.manager.hexpansion_kinds[4])
""", images=images, files={"/drivers/hex_ca75_1337/app.py": driver}, root=tmp_path)
    res = r.result
    assert res["start"][0]["app"] == {"class": "HarnessApp", "module": "/drivers/hex_ca75_1337.app"}
    assert res["greeting"] == "DATA ONLY" and res["kind"] == "eerom"


def test_app_settings_survive_removal_and_reinsertion(patched_badge, images, tmp_path):
    r = run_badge(patched_badge, """
start_manager()
insert(2, "settings")
settle()
app = bh.manager.hexpansion_apps[2]
first = dict(app.settings)
app.save()
app.save()
listing = sorted(os.listdir("/hexpansion_2"))
remove(2)
settle()
insert(5, "settings")   # back in, on another port
settle()
report(first=first, listing=listing, again=bh.manager.hexpansion_apps[5].settings,
       data=sorted(os.listdir("/hexpansion_data")), mounts=mounts())
""", images=images, root=tmp_path)
    res = r.result
    assert res["first"] == {"runs": 0}
    assert res["listing"] == ["app.mpy", "settings.json"]  # the image's file and the written one
    assert res["again"] == {"runs": 2}
    assert res["data"] == ["ca75_1337_0007"]  # VID, PID and the hexpansion's unique id
    assert (tmp_path / "hexpansion_data" / "ca75_1337_0007" / "settings.json").read_text() == '{"runs": 2}'
    assert res["mounts"] == ["/", "/hexpansion_5"]


def misaligned_littlefs():
    """A 32 KiB LittleFS hexpansion whose header puts fs_offset 32 on 64-byte pages, as
    the registry's InfraRed hexpansion (0x4291/0x1718) does: eerom would not write such
    a header (EINVAL, header-geometry), but the badge mounts its LittleFS."""
    from eerom import littlefs_layout
    from eerom.header import Header
    header = Header(0x4291, 0x1718, "InfraRed", fs_offset=32, page_size=64, total_size=32768).pack()
    fs = littlefs_layout._lfs_python_fs(FILES, 512, (32768 - 32) // 512)
    fs.unmount()
    image = header + bytes(fs.context.buffer)
    return image + b"\xff" * (32768 - len(image))


def test_littlefs_behind_a_header_eerom_refuses_still_runs(patched_badge, tmp_path):
    r = run_badge(patched_badge, """
start_manager()
insert(1, "ir", part="m24256")
settle()
app = bh.manager.hexpansion_apps.get(1)
report(greeting=app and app.greeting, kind=bh.manager.hexpansion_kinds.get(1),
       messages=[e["message"] for e in event_log("ShowNotificationEvent")])
""", images={"ir": misaligned_littlefs()}, root=tmp_path)
    res = r.result
    assert res["greeting"] == "HELLO FROM PORT!" and res["kind"] == "littlefs", r.output
    assert res["messages"] == ["InfraRed"]


def test_the_developers_mount_script_mounts_both_kinds(patched_badge, images, tmp_path):
    r = run_badge(patched_badge, """
plug(1, "eerom")
plug(2, "lfs")
plug(3, "damaged")
import scripts.mount_hexpansions
report(mounts=mounts(), one=sorted(os.listdir("/hexpansion_1")), two=sorted(os.listdir("/hexpansion_2")))
""", images=images, root=tmp_path)
    res = r.result
    assert res["mounts"] == ["/", "/hexpansion_1", "/hexpansion_2"]
    assert res["one"] == ["app.mpy", "greeting.txt", "util.mpy"] and res["two"] == ["app.py", "greeting.txt", "util.py"]
    assert "Refused the eerom image of hexpansion 3: (8, 'eerom: payload-crc" in r.output, r.output
