"""The badge's real hexpansion manager (modules/system/hexpansion/app.py) on the
unix port, against the UNPATCHED badge tree: these prove the fakes and the harness
(a LittleFS hexpansion is mounted and its app launched, removal stops and unloads
it; a blank filesystem launches nothing), so patch tests start from known ground."""

import pytest

from .harness import run_badge, lfs_image, header_image, eerom_image

APP_PY = b'''\
import app
from .util import shout

_HERE = __file__.rsplit("/", 1)[0]


class HarnessApp(app.App):
    def __init__(self, config=None):
        super().__init__()
        self.config = config
        self.deinit_called = False
        with open(_HERE + "/greeting.txt") as f:
            self.greeting = shout(f.read().strip())

    def deinit(self):
        self.deinit_called = True


__app_export__ = HarnessApp
'''
UTIL_PY = b"def shout(s):\n    return s.upper() + '!'\n"
FILES = [("app.py", APP_PY), ("util.py", UTIL_PY), ("greeting.txt", b"hello from port\n")]


@pytest.fixture(scope="module")
def lfs_app_image():
    return lfs_image(FILES, "m24c16", vid=0xCA75, pid=0x1337, name="Harness")


def test_littlefs_hexpansion_is_mounted_launched_and_removed(badge_dir, lfs_app_image, tmp_path):
    r = run_badge(badge_dir, """
start_manager()
settle()
before = event_log()
insert(2, "lfs")
settle()
out = {"before": before, "inserted": event_log(), "state": state(), "mounts": mounts(),
       "modules": modules("hexpansion_2")}
app = bh.manager.hexpansion_apps[2]
out["greeting"] = app.greeting
out["config_port"] = app.config.port
out["scheduler_has_app"] = app in bh.scheduler().apps
out["listing"] = sorted(os.listdir("/hexpansion_2"))
n = len(events)
remove(2)
settle()
out["removed"] = event_log()[n:]
out["after_state"] = state()
out["after_mounts"] = mounts()
out["after_modules"] = modules("hexpansion_2")
out["deinit_called"] = app.deinit_called
out["scheduler_has_app_after"] = app in bh.scheduler().apps
report(**out)
""", images={"lfs": lfs_app_image}, root=tmp_path)
    res = r.result
    assert res["before"] == []  # nothing plugged at start-up: no events
    types = [e["type"] for e in res["inserted"]]
    assert types[0] == "HexpansionInsertionEvent" and res["inserted"][0]["port"] == 2
    assert {"type": "ShowNotificationEvent", "message": "Harness", "port": 2} in res["inserted"]
    start = [e for e in res["inserted"] if e["type"] == "RequestStartAppEvent"]
    assert len(start) == 1 and start[0]["app"] == {"class": "HarnessApp", "module": "hexpansion_2.app"}
    mounted = [e for e in res["inserted"] if e["type"] == "HexpansionMountedEvent"]
    assert len(mounted) == 1 and mounted[0]["header"]["vid"] == 0xCA75
    assert mounted[0]["header"]["friendly_name"] == "Harness"
    assert res["state"]["mountpoints"] == {"2": "/hexpansion_2"}
    assert "/hexpansion_2" in res["mounts"]
    assert res["modules"] == ["hexpansion_2", "hexpansion_2.app", "hexpansion_2.util"]
    assert res["listing"] == ["app.py", "greeting.txt", "util.py"]
    assert res["greeting"] == "HELLO FROM PORT!" and res["config_port"] == 2
    assert res["scheduler_has_app"]  # the real scheduler's handler started it

    removed_types = [e["type"] for e in res["removed"]]
    assert removed_types[0] == "HexpansionRemovalEvent"
    stop = [e for e in res["removed"] if e["type"] == "RequestStopAppEvent"]
    assert len(stop) == 1 and stop[0]["app"]["class"] == "HarnessApp"
    assert "HexpansionUnmountedEvent" in removed_types
    assert res["deinit_called"]
    assert res["after_state"]["mountpoints"] == {} and res["after_state"]["apps"] == {}
    assert "/hexpansion_2" not in res["after_mounts"]
    assert res["after_modules"] == []
    assert not res["scheduler_has_app_after"]


def test_hexpansion_present_at_start_up_is_launched(badge_dir, lfs_app_image, tmp_path):
    r = run_badge(badge_dir, """
plug(5, "lfs")
egpio.set_level(bh.detect_pin(5), 0)   # plugged in before boot: no edge, the pin just reads 0
start_manager()
settle()
report(events=event_log("HexpansionInsertionEvent", "RequestStartAppEvent"), state=state())
""", images={"lfs": lfs_app_image}, root=tmp_path)
    res = r.result
    assert res["events"][0] == {"type": "HexpansionInsertionEvent", "port": 5}
    assert res["events"][1]["app"]["module"] == "hexpansion_5.app"
    assert res["state"]["mountpoints"] == {"5": "/hexpansion_5"}


def test_header_with_blank_filesystem_launches_nothing(badge_dir, tmp_path):
    image = header_image("m24c16", vid=0xCA75, pid=0x1337, name="Blank")
    r = run_badge(badge_dir, """
start_manager()
insert(1, "blank")
settle()
out = {"events": event_log(), "state": state(), "mounts": mounts(), "modules": modules("hexpansion_1")}
remove(1)
settle()
out["after"] = event_log()[len(out["events"]):]
report(**out)
""", images={"blank": image}, root=tmp_path)
    res = r.result
    types = [e["type"] for e in res["events"]]
    assert "RequestStartAppEvent" not in types
    assert "HexpansionMountedEvent" in types  # the header is valid
    assert {"type": "ShowNotificationEvent", "message": "Blank", "port": 1} in res["events"]
    assert not any("crashed" in str(e.get("message", "")) for e in res["events"])
    assert res["state"]["mountpoints"] == {} and res["state"]["apps"] == {}
    assert res["state"]["headers"]["1"]["friendly_name"] == "Blank"
    assert "/hexpansion_1" not in res["mounts"] and res["modules"] == []
    after = [e["type"] for e in res["after"]]
    assert "HexpansionUnmountedEvent" in after and "RequestStopAppEvent" not in after
    assert "Failed to mount" in r.output  # the manager's own message for the blank area


def test_hexpansionfw_imports_under_the_fakes(badge_dir, tmp_path):
    r = run_badge(badge_dir, """
import firmware_apps.hexpansionfw as fw
import requests, gzip, tarfile
report(ok=hasattr(fw, "HexpansionDetail"), url=fw._FIRMWARE_URL)
""", root=tmp_path)
    assert r.result["ok"]


UPDATE_SCRIPT = """
import settings
start_manager()
insert(2, "lfs")
settle()
old = bh.manager.hexpansion_apps[2].greeting
detail = hexpansions_detail(2, bh.manager.hexpansion_headers[2])
n = len(events)
asyncio.run(detail._update_wrapper())
settle()
app = bh.manager.hexpansion_apps.get(2)
report(old=old, new=app and app.greeting, events=event_log()[n:], listing=sorted(os.listdir("/hexpansion_2")),
       tmp_left=[f for f in os.listdir("/") if f.startswith("firmware_dl")])
"""


def test_hexpansionfw_update_over_http(badge_dir, lfs_app_image, tmp_path):
    """The Hexpansions app's "Update firmware" against a CPython http.server: the
    tarball is fetched (fake requests), gunzipped and untarred (fake gzip/tarfile)
    onto the mounted LittleFS, and the manager relaunches the app."""
    from .harness import http_server, registry_tarball

    serve = tmp_path / "serve"
    serve.mkdir()
    new_files = [("app.py", APP_PY), ("util.py", UTIL_PY), ("greeting.txt", b"updated\n")]
    (serve / "firmware_0xca75_0x1337.tar.gz").write_bytes(registry_tarball(new_files))
    with http_server(serve) as base:
        r = run_badge(badge_dir, UPDATE_SCRIPT, images={"lfs": lfs_app_image}, root=tmp_path / "root",
                      files={"/settings.json": '{"hexpansion_firmware_repo": "%s"}' % base})
        assert base.requests == ["/firmware_0xca75_0x1337.tar.gz"]
    res = r.result
    assert res["old"] == "HELLO FROM PORT!"
    assert res["new"] == "UPDATED!", r.output
    messages = [e.get("message") for e in res["events"] if e["type"] == "ShowNotificationEvent"]
    assert "Updated" in messages
    types = [e["type"] for e in res["events"]]
    assert types.index("HexpansionRemovalEvent") < types.index("HexpansionInsertionEvent")
    assert res["listing"] == ["app.py", "greeting.txt", "util.py"] and res["tmp_left"] == []


def test_eerom_module_reads_the_harness_i2c(badge_dir, tmp_path):
    """No manager: the eerom C module mounts an image through the fake machine.I2C
    (an eeprom_sim.Bus) inside the remounted root, as a patched manager will."""
    image = eerom_image(FILES, "m24c16", name="Eerom")
    r = run_badge(badge_dir, """
import eerom
plug(3, "img")
i2c = machine.I2C(3)
eerom.mount(i2c, "/hexpansion_3", addr=0x50, addrsize=8)
os.chdir("/")
mod = __import__("hexpansion_3.app").app
report(listing=sorted(os.listdir("/hexpansion_3")), greeting=mod.HarnessApp().greeting,
       mounts=mounts(), root=sorted(os.listdir("/")))
""", images={"img": image}, root=tmp_path)
    res = r.result
    assert res["listing"] == ["app.mpy", "greeting.txt", "util.mpy"]  # compiled as the registry does
    assert res["greeting"] == "HELLO FROM PORT!"
    assert res["mounts"] == ["/", "/hexpansion_3"]
    assert "modules" in res["root"] and "fakes" in res["root"]


def test_drivers_fallback_when_the_filesystem_has_no_app(badge_dir, tmp_path):
    """A LittleFS that mounts but holds no app: the manager imports the app stored on
    the badge at /drivers/hex_vvvv_pppp/app.py instead (2.x firmware)."""
    image = lfs_image([("greeting.txt", b"data only\n")], "m24c16", vid=0xCA75, pid=0x1337, name="NoApp")
    driver = APP_PY.replace(b"from .util import shout", b"shout = str.upper").replace(
        b'open(_HERE + "/greeting.txt")', b'open("/hexpansion_%d/greeting.txt" % config.port)')
    r = run_badge(badge_dir, """
start_manager()
insert(4, "img")
settle()
app = bh.manager.hexpansion_apps[4]
report(start=event_log("RequestStartAppEvent"), greeting=app.greeting, state=state())
""", images={"img": image}, files={"/drivers/hex_ca75_1337/app.py": driver}, root=tmp_path)
    res = r.result
    assert res["start"][0]["app"] == {"class": "HarnessApp", "module": "/drivers/hex_ca75_1337.app"}
    assert res["greeting"] == "DATA ONLY"
    assert res["state"]["mountpoints"] == {"4": "/hexpansion_4"}


RESET_SCRIPT = """
start_manager()
insert(1, "blank")
settle()
n = len(events)
detail = hexpansions_detail(1)  # no header: the "Search..." menu
detail._values["vid"] = 0xCA75
detail._values["pid"] = 0x1337
asyncio.run(detail.search_handler(None))  # "Search...": the registry's .json -> detail.header
found = bh.jsonable(detail.header)
asyncio.run(detail._factory_reset_wrapper())  # "Factory reset" (a developer-mode item)
settle()
app = bh.manager.hexpansion_apps.get(1)
report(first=event_log()[:n], events=event_log()[n:], greeting=app and app.greeting, state=state(),
       found=found, header=machine.I2C(1).readfrom_mem(0x50, 0, 32, addrsize=8).hex())
"""


def test_hexpansionfw_factory_reset_of_a_blank_eeprom(badge_dir, tmp_path):
    """A blank EEPROM (no header): the manager says so; the Hexpansions app's factory
    reset fetches the registry's .json and .tar.gz over HTTP, writes the header
    (ACK polling on the simulated part), makes LittleFS, untars; then the manager
    mounts it and launches the app."""
    import json

    from .harness import header_bytes, http_server, registry_tarball

    serve = tmp_path / "serve"
    serve.mkdir()
    (serve / "firmware_0xca75_0x1337.tar.gz").write_bytes(registry_tarball(FILES))
    (serve / "firmware_0xca75_0x1337.json").write_text(json.dumps({
        "manifest_version": "2024", "fs_offset": 32, "eeprom_page_size": 16, "eeprom_total_size": 2048,
        "vid": "0xCA75", "pid": "0x1337", "unique_id": 7, "friendly_name": "Reset"}))
    with http_server(serve) as base:
        r = run_badge(badge_dir, RESET_SCRIPT, images={"blank": b"\xff" * 2048}, root=tmp_path / "root",
                      files={"/settings.json": json.dumps({"hexpansion_firmware_repo": base})})
        fetched = [p.lstrip("/") for p in base.requests]
    # search, then factory reset (which loads the metadata again), then the tarball
    assert fetched == ["firmware_0xca75_0x1337.json"] * 2 + ["firmware_0xca75_0x1337.tar.gz"], r.output
    res = r.result
    assert {"type": "ShowNotificationEvent", "message": "Failed to read header", "port": 1} in res["first"]
    assert "Factory reset" in [e.get("message") for e in res["events"]]
    assert res["found"]["friendly_name"] == "Reset" and res["found"]["vid"] == 0xCA75
    assert res["greeting"] == "HELLO FROM PORT!", r.output
    assert res["state"]["headers"]["1"]["friendly_name"] == "Reset"
    assert bytes.fromhex(res["header"]) == header_bytes("m24c16", vid=0xCA75, pid=0x1337,
                                                                 name="Reset", unique_id=7)


def test_eerom_hexpansion_on_a_badge_without_eerom(badge_dir, tmp_path):
    """What today's badge OS does with an eerom hexpansion: it shows the name, fails to
    mount LittleFS over the image, runs nothing, writes nothing and does not crash."""
    image = eerom_image(FILES, "m24c16", name="Eerom")
    r = run_badge(badge_dir, """
start_manager()
bus = insert(3, "img")
settle()
out = {"events": event_log(), "state": state(), "mounts": mounts()}
remove(3)
settle()
out["after"] = [e["type"] for e in event_log()[len(out["events"]):]]
out["eeprom"] = bytes(bus.removed[0].mem)
report(**out)
""", images={"img": image}, root=tmp_path)
    res = r.result
    types = [e["type"] for e in res["events"]]
    assert "RequestStartAppEvent" not in types and "HexpansionMountedEvent" in types
    assert [e["message"] for e in res["events"] if e["type"] == "ShowNotificationEvent"] == ["Eerom"]
    assert "Failed to mount" in r.output
    assert res["state"]["mountpoints"] == {} and res["mounts"] == ["/"]
    assert "HexpansionUnmountedEvent" in res["after"]
    eeprom = bytes.fromhex(res["eeprom"]["bytes"])
    assert eeprom[:len(image)] == image and set(eeprom[len(image):]) == {0xFF}  # nothing written


def test_stock_update_of_an_eerom_hexpansion_stores_a_driver_that_never_runs(badge_dir, tmp_path):
    """Today's Hexpansions app on an eerom hexpansion: /hexpansion_N is not mounted, so
    the tarball goes to /drivers/hex_vvvv_pppp; the manager loads /drivers only for a
    mounted filesystem, so the app still does not run, and the EEPROM is untouched."""
    from .harness import http_server, registry_tarball

    image = eerom_image(FILES, "m24c16", name="Eerom")
    serve = tmp_path / "serve"
    serve.mkdir()
    (serve / "firmware_0xca75_0x1337.tar.gz").write_bytes(registry_tarball(FILES))
    with http_server(serve) as base:
        r = run_badge(badge_dir, """
start_manager()
bus = insert(2, "img")
settle()
detail = hexpansions_detail(2, bh.manager.hexpansion_headers[2])
n = len(events)
asyncio.run(detail._update_wrapper())
settle()
report(events=event_log()[n:], drivers=sorted(os.listdir("/drivers/hex_ca75_1337")),
       apps=state()["apps"], eeprom=bytes(bus.chips[0].mem[:len(image("img"))]) == image("img"))
""", images={"img": image}, root=tmp_path / "root",
                      files={"/settings.json": '{"hexpansion_firmware_repo": "%s"}' % base})
    res = r.result
    assert "Updated" in [e.get("message") for e in res["events"]]
    assert res["drivers"] == ["app.py", "greeting.txt", "util.py"]
    assert "RequestStartAppEvent" not in [e["type"] for e in res["events"]] and res["apps"] == {}
    assert res["eeprom"] is True
