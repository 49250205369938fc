"""The Hexpansions app with eerom's patch series, on the unix port, against a registry
served by CPython's http.server on 127.0.0.1: "Update firmware" writes the registry's
.eerom image with eerom.program() and the app relaunches; without one, the tarball as
before; factory reset writes the image and forgets the app's saved files."""

import json

import pytest

from .harness import run_badge, lfs_image, eerom_image, http_server, registry_tarball, header_bytes
from .test_manager_unpatched import APP_PY, UTIL_PY, FILES

VID, PID = 0xCA75, 0x1337
NEW_FILES = [("app.py", APP_PY), ("util.py", UTIL_PY), ("greeting.txt", b"updated\n")]
STEM = "firmware_0x%04x_0x%04x" % (VID, PID)



@pytest.fixture(scope="module")
def images():
    damaged = bytearray(eerom_image(FILES, "m24c16", vid=VID, pid=PID, name="Old", unique_id=7))
    damaged[-3] ^= 0x10
    return {
        # what is on the hexpansion: its own unique id, 7
        "eerom": eerom_image(FILES, "m24c16", vid=VID, pid=PID, name="Old", unique_id=7),
        "lfs": lfs_image(FILES, "m24c16", vid=VID, pid=PID, name="Old", unique_id=7),
        "damaged": bytes(damaged),
        # what the registry builds: unique id 0
        "registry": eerom_image(NEW_FILES, "m24c16", vid=VID, pid=PID, name="New"),
        "other_product": eerom_image(NEW_FILES, "m24c16", vid=VID, pid=PID + 1, name="Other"),
    }


def serve(tmp_path, images, eerom=True, tarball=True):
    d = tmp_path / "serve"
    d.mkdir()
    if eerom:
        (d / (STEM + ".eerom")).write_bytes(images[eerom if isinstance(eerom, str) else "registry"])
    if tarball:
        (d / (STEM + ".tar.gz")).write_bytes(registry_tarball(NEW_FILES))
    return d


UPDATE = """
start_manager()
bus = insert(2, %(image)r)
settle()
old = bh.manager.hexpansion_apps.get(2)
detail = hexpansions_detail(2, bh.manager.hexpansion_headers[2])
n = len(events)
asyncio.run(detail._update_wrapper())
settle()
app = bh.manager.hexpansion_apps.get(2)
out = dict(old=old and old.greeting, new=app and app.greeting, events=event_log()[n:], messages=detail.messages,
           kind=bh.manager.hexpansion_kinds.get(2), listing=sorted(os.listdir("/hexpansion_2")),
           header=machine.I2C(2).readfrom_mem(0x50, 0, 32, addrsize=8),
           root=sorted(f for f in os.listdir("/") if not f in ("modules", "fakes", "lib", "harness", "harness_data")))
chip = machine.I2C(2).chips[0]   # unplugged and plugged in again: what the EEPROM really holds
remove(2)
settle()
insert(2, eeprom_sim.Bus(chip))
settle()
again = bh.manager.hexpansion_apps.get(2)
out["again"] = again and again.greeting
report(**out)
"""


def update(badge, images, tmp_path, image, **served):
    with http_server(serve(tmp_path, images, **served)) as base:
        r = run_badge(badge, UPDATE % {"image": image}, images=images, root=tmp_path / "root",
                      files={"/settings.json": json.dumps({"hexpansion_firmware_repo": base})})
        fetched = [p.lstrip("/") for p in base.requests]
    return r, r.result, fetched


def test_failed_downloads_write_nothing(patched_badge, images, tmp_path):
    """No .eerom and no tarball (404s): "Update failed", and the eerom image on the
    EEPROM is untouched: the app runs again after reinsertion."""
    r, res, fetched = update(patched_badge, images, tmp_path, "eerom", eerom=False, tarball=False)
    assert fetched == [STEM + ".eerom", STEM + ".tar.gz"]
    assert "Update failed" in notifications(res["events"])
    assert res["kind"] == "eerom" and res["listing"] == ["app.mpy", "greeting.txt", "util.mpy"], r.output
    assert header_of(res) == header_bytes("m24c16", vid=VID, pid=PID, name="Old", unique_id=7)
    assert res["again"] == "HELLO FROM PORT!"


def test_an_image_for_another_product_is_refused(patched_badge, images, tmp_path):
    r, res, fetched = update(patched_badge, images, tmp_path, "eerom", eerom="other_product")
    assert fetched == [STEM + ".eerom"]
    assert "Update failed" in notifications(res["events"])
    assert header_of(res) == header_bytes("m24c16", vid=VID, pid=PID, name="Old", unique_id=7)
    assert res["again"] == "HELLO FROM PORT!"


def notifications(events):
    return [e["message"] for e in events if e["type"] == "ShowNotificationEvent"]


def header_of(res):
    return bytes.fromhex(res["header"]["bytes"]) if isinstance(res["header"], dict) else bytes(res["header"])


def test_update_writes_the_registrys_eerom_image_and_relaunches(patched_badge, images, tmp_path):
    r, res, fetched = update(patched_badge, images, tmp_path, "eerom")
    assert fetched == [STEM + ".eerom"]  # no tarball needed
    assert res["old"] == "HELLO FROM PORT!" and res["new"] == "UPDATED!", r.output
    assert res["again"] == "UPDATED!"
    assert "Updated" in notifications(res["events"]) and "New" in notifications(res["events"])
    assert res["kind"] == "eerom"
    assert any(m.startswith("Writing EEPROM\n") for m in res["messages"]), res["messages"]  # pages written
    # The hexpansion keeps its unique id (7), not the registry's 0.
    assert header_of(res) == header_bytes("m24c16", vid=VID, pid=PID, name="New", unique_id=7)
    assert "firmware_dl.tar.gz" not in res["root"] and "firmware_dl.eerom" not in res["root"]


def test_update_of_a_littlefs_hexpansion_to_the_eerom_image(patched_badge, images, tmp_path):
    r, res, fetched = update(patched_badge, images, tmp_path, "lfs")
    assert fetched == [STEM + ".eerom"]
    assert res["new"] == "UPDATED!" and res["kind"] == "eerom", r.output
    assert res["listing"] == ["app.mpy", "greeting.txt", "util.mpy"]


def test_update_repairs_a_damaged_image(patched_badge, images, tmp_path):
    r, res, fetched = update(patched_badge, images, tmp_path, "damaged")
    assert res["old"] is None and res["new"] == "UPDATED!", r.output
    assert "Updated" in notifications(res["events"])


def test_update_without_an_eerom_image_uses_the_tarball(patched_badge, images, tmp_path):
    """The registry has only the tarball (404 for the .eerom): an EEPROM holding an eerom
    image gets a LittleFS filesystem for it, as factory reset makes one."""
    r, res, fetched = update(patched_badge, images, tmp_path, "eerom", eerom=False)
    assert fetched == [STEM + ".eerom", STEM + ".tar.gz"]
    assert res["new"] == "UPDATED!" and res["kind"] == "littlefs", r.output
    assert res["listing"] == ["app.py", "greeting.txt", "util.py"]
    assert "hexpansion_data" not in res["root"]  # nothing landed in the overlay


def test_update_of_a_littlefs_hexpansion_without_an_eerom_image_is_unchanged(patched_badge, images, tmp_path):
    r, res, fetched = update(patched_badge, images, tmp_path, "lfs", eerom=False)
    assert fetched == [STEM + ".eerom", STEM + ".tar.gz"]
    assert res["new"] == "UPDATED!" and res["kind"] == "littlefs", r.output


RESET = """
start_manager()
bus = insert(1, %(image)r)
settle()
if bh.manager.hexpansion_apps.get(1):
    with open("/hexpansion_1/saved.txt", "w") as f:   # the app saved something
        f.write("x")
saved = sorted(os.listdir("/hexpansion_data")) if "hexpansion_data" in os.listdir("/") else []
n = len(events)
detail = hexpansions_detail(1, bh.manager.hexpansion_headers.get(1))
detail._values["vid"] = 0xCA75
detail._values["pid"] = 0x1337
if detail.header is None:
    asyncio.run(detail.search_handler(None))   # "Search...", as the menu offers first
asyncio.run(detail._factory_reset_wrapper())
settle()
app = bh.manager.hexpansion_apps.get(1)
report(events=event_log()[n:], greeting=app and app.greeting, kind=bh.manager.hexpansion_kinds.get(1),
       saved=saved, data=sorted(os.listdir("/hexpansion_data")) if "hexpansion_data" in os.listdir("/") else [],
       header=machine.I2C(1).readfrom_mem(0x50, 0, 32, addrsize=8))
"""


@pytest.mark.parametrize("image", ["blank", "eerom"])
def test_factory_reset_writes_the_eerom_image(patched_badge, images, tmp_path, image):
    d = serve(tmp_path, images)
    (d / (STEM + ".json")).write_text(json.dumps({
        "manifest_version": "2024", "fs_offset": 32, "eeprom_page_size": 16, "eeprom_total_size": 2048,
        "vid": "0xCA75", "pid": "0x1337", "unique_id": 9, "friendly_name": "New"}))
    imgs = dict(images, blank=b"\xff" * 2048)
    with http_server(d) as base:
        r = run_badge(patched_badge, RESET % {"image": image}, images=imgs, root=tmp_path / "root",
                      files={"/settings.json": json.dumps({"hexpansion_firmware_repo": base})})
        fetched = [p.lstrip("/") for p in base.requests]
    res = r.result
    assert fetched[-1] == STEM + ".eerom" and STEM + ".tar.gz" not in fetched, fetched
    assert "Factory reset" in notifications(res["events"]), r.output
    assert res["greeting"] == "UPDATED!" and res["kind"] == "eerom"
    assert header_of(res) == header_bytes("m24c16", vid=VID, pid=PID, name="New", unique_id=9)
    if image == "eerom":
        assert res["saved"] == ["ca75_1337_0007"]  # what the app saved, under its unique id
    assert res["data"] == []  # forgotten by the reset, and the reset app starts with nothing
