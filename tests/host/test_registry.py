"""Registry folders (eeprom.json, the registry's leftovers) and `eerom registry`.

tests/registry/ is a small registry of our own, laid out as hexpansion-firmwares is:
0xee70/0x0001 a 2 KiB app; 0x0002 native and viper code in a class; 0x0003 a package
with data files read through __file__; 0x0004 README.md, extras/, USE_MPY and hidden
files; 0x0005 no code; 0x0006 does not fit its 2 KiB part; 0x0007 a syntax error;
0x0008 a bad eeprom.json; 0xEE71/0x00AB upper-case hex, fs_offset 32 on 64-byte
pages and a friendly name longer than the header, as real registry folders have.
"""

import json
import os
import subprocess
import sys

import pytest

from eerom import manifest, mpy, registry, romfs
from eerom.header import Header
from eerom.image import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY = os.path.join(HERE, "..", "registry")
EEROM = [sys.executable, "-m", "eerom"]

BUILDS = ["0xee70/0x0001", "0xee70/0x0002", "0xee70/0x0003", "0xee70/0x0004", "0xEE71/0x00AB"]


def run(*args, cwd=None):
    return subprocess.run(EEROM + [str(a) for a in args], capture_output=True, text=True, timeout=300, cwd=cwd)


def folder(name):
    return os.path.join(REGISTRY, name)


def files_of(image_bytes):
    image = Image.from_bytes(image_bytes)
    return sorted(path for path, _ in romfs.walk_files(romfs.check(image.romfs)))


@pytest.mark.parametrize("app", BUILDS)
def test_a_registry_folder_builds_with_no_flags_to_its_eeprom_json(tmp_path, app):
    out = tmp_path / "app.eerom"
    r = run("build", folder(app), "-o", out, "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(folder(app), "eeprom.json")) as f:
        doc = json.load(f)
    header = Header.unpack(out.read_bytes())
    page = doc["eeprom_page_size"]
    assert header.manifest_version == doc["manifest_version"].encode()
    assert header.page_size == page
    assert header.total_size == doc["eeprom_total_size"]
    assert (header.vid, header.pid) == (int(doc["vid"], 16), int(doc["pid"], 16))
    assert header.unique_id == doc["unique_id"]
    assert header.name.encode() == doc["friendly_name"].encode()[:9]
    # fs_offset as eeprom.json says, moved up to the next page where it is not on one
    assert header.fs_offset == -(-doc["fs_offset"] // page) * page
    assert "for %s (%d B, %d B pages)" % (manifest.load(folder(app)).part.name, doc["eeprom_total_size"], page) \
        in r.stdout


def test_a_misaligned_fs_offset_and_a_long_name_are_said(tmp_path):
    r = run("build", folder("0xEE71/0x00AB"), "-o", tmp_path / "x.eerom", "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    assert "fs_offset 32 is not a multiple of the 64-byte page: the image starts at 64" in r.stdout
    assert "friendly_name 'Long friendly name' is cut to 'Long frie'" in r.stdout
    assert Header.unpack((tmp_path / "x.eerom").read_bytes()).fs_offset == 64


def test_what_the_registry_leaves_out_never_enters_the_image(tmp_path):
    out = tmp_path / "x.eerom"
    r = run("build", folder("0xee70/0x0004"), "-o", out, "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    assert files_of(out.read_bytes()) == ["app.mpy", "lib/tone.mpy"]
    left = r.stdout.split("left out: ", 1)[1].splitlines()[0].split(", ")
    assert sorted(left) == [".DS_Store", "README.md", "USE_MPY", "app.py~", "eeprom.json", "extras/",
                            "lib/README.md"]


def test_a_folder_without_eeprom_json_keeps_its_readme(tmp_path):
    # not a registry folder: everything but hidden files and leftovers is the app's
    app = tmp_path / "app"
    (app / "extras").mkdir(parents=True)
    (app / "app.py").write_text("x = 1\n")
    (app / "README.md").write_text("read me\n")
    (app / "extras" / "e.txt").write_text("e\n")
    (app / ".DS_Store").write_text("junk\n")
    out = tmp_path / "x.eerom"
    r = run("build", app, "-o", out, "--part", "m24c16", "--vid", "1", "--pid", "2", "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    assert files_of(out.read_bytes()) == ["README.md", "app.mpy", "extras/e.txt"]


def test_flags_override_eeprom_json(tmp_path):
    out = tmp_path / "x.eerom"
    r = run("build", folder("0xee70/0x0001"), "-o", out, "--fast", "--no-compare", "--part", "m24c64",
            "--vid", "0x1234", "--name", "Other", "--unique-id", "7", "--manifest-version", "2026")
    assert r.returncode == 0, r.stderr
    h = Header.unpack(out.read_bytes())
    # the PID is eeprom.json's, every flag given wins
    assert (h.vid, h.pid, h.name, h.unique_id, h.manifest_version) == (0x1234, 0x0001, "Other", 7, b"2026")
    assert (h.total_size, h.page_size, h.fs_offset) == (8192, 32, 32)


@pytest.mark.parametrize("flags,words", [
    (["--part", "m24c16"], ["--part m24c16 holds 2048 B", "eeprom_total_size 8192", "eeprom.json"]),
    (["--size", "4096", "--page", "32"], ["--size 4096 --page 32 holds 4096 B", "eeprom_total_size 8192"]),
])
def test_a_part_smaller_than_eeprom_json_says_is_a_conflict(tmp_path, flags, words):
    r = run("build", folder("0xee70/0x0003"), "-o", tmp_path / "x.eerom", *flags)
    assert r.returncode == 2, r.stdout
    line = r.stderr.splitlines()[0]
    for w in words:
        assert w in line, line
    assert not (tmp_path / "x.eerom").exists()


GOOD = {"manifest_version": "2024", "fs_offset": 32, "eeprom_page_size": 32, "eeprom_total_size": 8192,
        "vid": "0xCAFE", "pid": "0x0C02", "unique_id": 0, "friendly_name": "Canary"}


def bad(**changes):
    doc = dict(GOOD)
    for key, value in changes.items():
        if value is KeyError:
            del doc[key]
        else:
            doc[key] = value
    return json.dumps(doc)


@pytest.mark.parametrize("text,words", [
    ('{"manifest_version": "2024",', ["not valid JSON"]),
    ("[1, 2]", ["holds list, not an object"]),
    (bad(vid=KeyError), ["vid is missing"]),
    (bad(pid=KeyError), ["pid is missing"]),
    (bad(friendly_name=KeyError), ["friendly_name is missing"]),
    (bad(vid=51966), ['vid is 51966, not a hex string like "0xCAFE"']),
    (bad(pid="cafe"), ['pid "cafe" is not a hex string']),
    (bad(pid="0x10000"), ["pid 0x10000 does not fit 16 bits"]),
    (bad(eeprom_page_size="32"), ['eeprom_page_size is "32", not a whole number']),
    (bad(eeprom_page_size=48), ["eeprom_page_size 48 is not a power of two"]),
    (bad(eeprom_total_size=3000), ["eeprom_total_size 3000 is not an EEPROM size"]),
    (bad(eeprom_total_size=True), ["eeprom_total_size is true, not a whole number"]),
    (bad(fs_offset=16), ["fs_offset 16 overlaps the 32-byte header"]),
    (bad(fs_offset=8192), ["fs_offset 8192 leaves no room"]),
    (bad(manifest_version="2025"), ['manifest_version "2025" is not "2024" or "2026"']),
    (bad(unique_id=-1), ["unique_id -1 does not fit 16 bits"]),
    (bad(friendly_name=5), ["friendly_name is 5, not a string"]),
    (bad(friendly_name="a\ud800b"), ['friendly_name "a\\ud800b" is not text']),
    (bad()[:-1] + ', "vid": "0x1234"}', ["vid appears twice"]),
    (bad().replace('"unique_id": 0', '"unique_id": ' + "9" * 5000), ["not valid JSON: Exceeds the limit"]),
])
def test_a_malformed_eeprom_json_is_one_line_naming_the_field(tmp_path, text, words):
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("x = 1\n")
    (app / "eeprom.json").write_text(text)
    r = run("build", app, "-o", tmp_path / "x.eerom", "--fast", "--no-compare")
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert lines[0].startswith("eerom: error: %s: " % (app / "eeprom.json")), lines
    assert all(line.startswith("eerom: hint: ") for line in lines[1:]), lines
    for w in words:
        assert w in lines[0], lines
    assert "Traceback" not in r.stderr


def test_the_defaults_compile_as_the_registry_does(tmp_path):
    # build.sh: mpy-cross -march=xtensawin -s <basename> -O3 <file>
    src = os.path.join(folder("0xee70/0x0002"), "fast.py")
    with open(src, "rb") as f:
        data = f.read()
    (tmp_path / "fast.py").write_bytes(data)
    subprocess.run([mpy.default_mpy_cross(), "-march=xtensawin", "-s", "fast.py", "-O3", str(tmp_path / "fast.py")],
                   check=True)
    registry_mpy = (tmp_path / "fast.mpy").read_bytes()
    assert mpy.compile_source(data, "deep/er/fast.py") == registry_mpy
    assert mpy.mpy_arch(registry_mpy) == "xtensawin"
    # and the choices the help describes change what they say they change
    assert mpy.compile_source(data, "deep/er/fast.py", full_names=True) != registry_mpy
    assert b"deep/er/fast.py" in mpy.compile_source(data, "deep/er/fast.py", full_names=True)
    assert mpy.mpy_arch(mpy.compile_source(data, "fast.py", arch="armv7m")) == "armv7m"
    assert len(mpy.compile_source(data, "fast.py", opt=0)) > len(registry_mpy)


def test_arch_none_stores_native_code_as_source(tmp_path):
    out = tmp_path / "x.eerom"
    r = run("build", folder("0xee70/0x0002"), "-o", out, "--arch", "none", "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    assert "fast.py has native code: stored as source (--arch none)" in r.stdout
    paths = files_of(out.read_bytes())
    assert "fast.py" in paths and "fast.mpy" not in paths and "app.mpy" in paths


# -- eerom registry -------------------------------------------------------------------

@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("registry") / "out"
    r = run("registry", REGISTRY, "-o", out, "--fast")
    return r, out


def test_registry_builds_every_app_and_names_them_as_the_release_does(whole):
    r, out = whole
    assert r.returncode == 1, r.stdout + r.stderr  # 0x0007 and 0x0008 fail to build
    assert sorted(os.listdir(out)) == sorted([
        "eerom-report.json", "eerom-report.md",
        "firmware_0xee70_0x0001.eerom", "firmware_0xee70_0x0002.eerom", "firmware_0xee70_0x0003.eerom",
        "firmware_0xee70_0x0004.eerom", "firmware_0xee71_0x00ab.eerom"])
    for name in os.listdir(out):
        if name.endswith(".eerom"):
            image = Image.from_bytes((out / name).read_bytes())
            assert name == "firmware_0x%04x_0x%04x.eerom" % (image.header.vid, image.header.pid)
    assert "9 folders: 5 built and fit, 1 do not fit, 2 failed, 1 without code (skipped)" in r.stdout
    # one line per app as it ends, on stderr
    assert sum(1 for line in r.stderr.splitlines() if line.startswith("[")) == 9


def test_registry_report(whole):
    _, out = whole
    doc = json.loads((out / "eerom-report.json").read_text())
    rows = {row["folder"]: row for row in doc["apps"]}
    assert list(rows) == ["0xee70/0x0001", "0xee70/0x0002", "0xee70/0x0003", "0xee70/0x0004", "0xee70/0x0005",
                          "0xee70/0x0006", "0xee70/0x0007", "0xee70/0x0008", "0xEE71/0x00AB"]
    status = {k: r["status"] for k, r in rows.items()}
    assert status == {"0xee70/0x0001": "fits", "0xee70/0x0002": "fits", "0xee70/0x0003": "fits",
                      "0xee70/0x0004": "fits", "0xee70/0x0005": "skipped", "0xee70/0x0006": "does not fit",
                      "0xee70/0x0007": "failed", "0xee70/0x0008": "failed", "0xEE71/0x00AB": "fits"}
    assert rows["0xee70/0x0005"]["reason"] == "no code: nothing to build"
    assert "SyntaxError" in rows["0xee70/0x0007"]["reason"] and 'line 2' in rows["0xee70/0x0007"]["reason"]
    assert rows["0xee70/0x0008"]["reason"] == 'eeprom.json: vid is 61040, not a hex string like "0xCAFE"'
    too_big = rows["0xee70/0x0006"]
    assert too_big["image"] is None and too_big["eerom_bytes"] > 2048 and too_big["reason"].endswith("2048 B part")
    # the registry's own figure: its formula over the files it would ship, the
    # sources (no USE_MPY: 64-byte blocks on this 2 KiB part) ...
    tiny = rows["0xee70/0x0001"]
    source_size = os.path.getsize(os.path.join(folder("0xee70/0x0001"), "app.py"))
    assert tiny["registry_used"] == -(-source_size // 64) * 64 + 64 + 128
    # ... or with USE_MPY what mpy-cross makes of them (512-byte blocks on 8 KiB)
    sizes = []
    for name in ("app.py", "lib/tone.py"):
        with open(os.path.join(folder("0xee70/0x0004"), name), "rb") as f:
            sizes.append(len(mpy.compile_source(f.read(), name)))
    assert rows["0xee70/0x0004"]["registry_used"] == sum(-(-n // 512) * 512 + 512 for n in sizes) + 1024
    assert tiny["registry_room"] == (2048 - 32) // 64 * 64
    assert tiny["eerom_bytes"] == len((out / "firmware_0xee70_0x0001.eerom").read_bytes())
    assert tiny["eerom_percent"] == round(100.0 * tiny["eerom_bytes"] / 2048, 1)
    md = (out / "eerom-report.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| 0x")]
    assert len(table) == 9
    assert "| 0xee70/0x0006 | Photo | m24c16 (2048 B) |" in md and "**does not fit**" in md
    assert "%d / 1984 B" % tiny["registry_used"] in md


def test_registry_serial_and_parallel_give_the_same_images(tmp_path, whole):
    _, parallel = whole
    r = run("registry", REGISTRY, "-o", tmp_path, "--fast", "--jobs", "1", "--quiet")
    assert r.returncode == 1 and r.stderr == ""
    for name in os.listdir(parallel):
        if name.endswith(".eerom"):
            assert (tmp_path / name).read_bytes() == (parallel / name).read_bytes(), name


def test_registry_only(tmp_path):
    r = run("registry", REGISTRY, "-o", tmp_path, "--only", "EE70/0001", "--only", "0xee71/0xab", "--fast")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(n for n in os.listdir(tmp_path) if n.endswith(".eerom")) == [
        "firmware_0xee70_0x0001.eerom", "firmware_0xee71_0x00ab.eerom"]
    r = run("registry", REGISTRY, "-o", tmp_path, "--only", "0xee70/0x0006", "--fast")
    assert r.returncode == 3, r.stdout + r.stderr


@pytest.mark.parametrize("args,words", [
    (["--only", "0xee70/0x9999"], "no folder for --only 0xee70/0x9999"),
    (["--only", "ee70"], "--only ee70: give VID/PID in hex"),
    (["--jobs", "0"], "--jobs 0"),
])
def test_registry_bad_arguments(tmp_path, args, words):
    r = run("registry", REGISTRY, "-o", tmp_path, *args)
    assert r.returncode == 2 and words in r.stderr, r.stderr


def test_registry_of_a_folder_that_is_not_one(tmp_path):
    r = run("registry", HERE, "-o", tmp_path / "out")
    assert r.returncode == 2 and "has no 0xVVVV/0xPPPP/ folders" in r.stderr


def test_every_registry_folder_is_in_these_tests():
    # a folder added to tests/registry without a row above would go untested
    apps = [a.folder for a in registry.find_apps(REGISTRY)]
    assert apps == ["0xee70/0x%04x" % i for i in range(1, 9)] + ["0xEE71/0x00AB"]


def test_build_of_a_registry_folder_is_the_registry_image(tmp_path, whole):
    # `eerom build FOLDER` and `eerom registry` make the same bytes
    _, out = whole
    r = run("build", folder("0xee70/0x0003"), "-o", tmp_path / "x.eerom", "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "x.eerom").read_bytes() == (out / "firmware_0xee70_0x0003.eerom").read_bytes()


def test_builder_settings_without_a_manifest_need_the_header():
    from eerom.errors import UsageError
    with pytest.raises(UsageError, match="give --part \\(or --size and --page\\) and --vid and --pid"):
        manifest.settings(None)


# -- what a review found ----------------------------------------------------------------

def make_registry(root, apps):
    """apps: {"0xVVVV/0xPPPP": {file name: text or bytes}}; eeprom.json given as a dict."""
    for folder, files in apps.items():
        for name, data in files.items():
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, dict):
                data = json.dumps(data)
            path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def header_of(vid, pid, **changes):
    doc = dict(GOOD, vid=vid, pid=pid)
    doc.update(changes)
    return doc


def test_a_registry_folder_without_use_mpy_keeps_its_asserts(tmp_path):
    # the registry ships it as source, which the badge compiles with asserts and line
    # numbers: -O0; with USE_MPY the registry compiles -O3, and so does eerom
    from eerom import builder
    source = b"def check(x):\n    assert x > 0\n    return x\n"
    for use_mpy, opt in ((False, 0), (True, 3)):
        app = tmp_path / ("use_mpy" if use_mpy else "source")
        files = {"eeprom.json": GOOD, "app.py": source}
        if use_mpy:
            files["USE_MPY"] = ""
        make_registry(app, {".": files})
        build = builder.build(str(app), effort="fast", **manifest.settings(manifest.load(str(app))))
        assert {f.path: f.data for f in build.files}["app.mpy"] == mpy.compile_source(source, "app.py", opt=opt)
    assert mpy.compile_source(source, "app.py", opt=0) != mpy.compile_source(source, "app.py", opt=3)


def test_a_folder_that_does_not_exist_is_said_first(tmp_path):
    r = run("build", tmp_path / "0xcafe", "-o", tmp_path / "x.eerom")
    assert r.returncode == 2 and r.stderr.startswith("eerom: error: %s does not exist" % (tmp_path / "0xcafe"))


def test_registry_where_one_app_surprises_eerom(tmp_path, monkeypatch):
    from eerom import builder
    repo = make_registry(tmp_path / "repo", {
        "0xaaaa/0x0001": {"eeprom.json": header_of("0xaaaa", "0x0001"), "app.py": "x = 1\n"},
        "0xaaaa/0x0002": {"eeprom.json": header_of("0xaaaa", "0x0002"), "app.py": "x = 2\n"}})
    real = builder.build

    def build(path, **kw):
        if path.endswith("0x0001"):
            raise RuntimeError("a bug")
        return real(path, **kw)
    monkeypatch.setattr(builder, "build", build)
    rows = registry.run(str(repo), str(tmp_path / "out"), effort="fast", jobs=1, quiet=True)
    assert [r["status"] for r in rows] == ["failed", "fits"]
    assert rows[0]["reason"] == "eerom failed: RuntimeError: a bug"
    assert (tmp_path / "out" / "eerom-report.md").exists()


def test_registry_edge_cases(tmp_path):
    repo = make_registry(tmp_path / "repo", {
        # no room at all by the registry's formula: (1024 - 1000) // 64 * 64 == 0
        "0xaaaa/0x0001": {"eeprom.json": header_of("0xaaaa", "0x0001", fs_offset=1000, eeprom_page_size=8,
                                                   eeprom_total_size=1024), "app.py": "x = 1\n"},
        # two folders, one image name, on a case-sensitive file system
        "0xBBBB/0x0001": {"eeprom.json": header_of("0xbbbb", "0x0001"), "app.py": "x = 1\n"},
        "0xbbbb/0x0001": {"eeprom.json": header_of("0xbbbb", "0x0001"), "app.py": "x = 2\n"},
        # a prebuilt .mpy for another CPU than the badge's
        "0xcccc/0x0001": {"eeprom.json": header_of("0xcccc", "0x0001"), "app.py": "from . import fast\n",
                          "fast.mpy": mpy.compile_source(b"import micropython\n@micropython.native\n"
                                                         b"def f():\n    pass\n", "fast.py", arch="x64")},
        # not hex, but build.sh packs it: so does eerom, under the same name
        "0xzz/0x1": {"eeprom.json": header_of("0x0000", "0x0001", friendly_name="<b>|x</b>"), "app.py": "y=1\n"},
    })
    out = tmp_path / "out"
    r = run("registry", repo, "-o", out, "--fast")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    rows = {row["folder"]: row for row in json.loads((out / "eerom-report.json").read_text())["apps"]}
    assert rows["0xaaaa/0x0001"]["registry_room"] == 0 and rows["0xaaaa/0x0001"]["registry_fits"] is False
    assert rows["0xBBBB/0x0001"]["status"] == "fits"
    assert rows["0xbbbb/0x0001"]["status"] == "failed"
    assert rows["0xbbbb/0x0001"]["reason"] == \
        "its image name firmware_0xbbbb_0x0001.eerom is 0xBBBB/0x0001's too: rename one folder"
    assert rows["0xcccc/0x0001"]["status"] == "failed"
    assert "fast.mpy holds x64 native code, which the badge (xtensawin) cannot run" in rows["0xcccc/0x0001"]["reason"]
    assert rows["0xzz/0x1"]["image"] == "firmware_0xzz_0x1.eerom"
    md = (out / "eerom-report.md").read_text()
    row = [line for line in md.splitlines() if line.startswith("| 0xaaaa/0x0001 |")][0]
    assert " / 0 B (-), fails |" in row, row
    assert "&lt;b&gt;\\|x&lt;/b&gt;" in md  # the name, shown as text in one cell
    assert not (out / "firmware_0xcccc_0x0001.eerom").exists()


def test_registry_drops_an_image_an_earlier_run_made(tmp_path):
    repo = make_registry(tmp_path / "repo", {
        "0xdddd/0x0001": {"eeprom.json": header_of("0xdddd", "0x0001"), "app.py": "x = 1\n"}})
    out = tmp_path / "out"
    assert run("registry", repo, "-o", out, "--fast").returncode == 0
    assert (out / "firmware_0xdddd_0x0001.eerom").exists()
    (repo / "0xdddd" / "0x0001" / "app.py").write_text("x = (\n")
    assert run("registry", repo, "-o", out, "--fast").returncode == 1
    assert not (out / "firmware_0xdddd_0x0001.eerom").exists()


def test_registry_output_that_cannot_be(tmp_path):
    repo = make_registry(tmp_path / "repo", {
        "0xdddd/0x0001": {"eeprom.json": header_of("0xdddd", "0x0001"), "app.py": "x = 1\n"}})
    (tmp_path / "afile").write_text("")
    r = run("registry", repo, "-o", tmp_path / "afile")
    assert r.returncode == 2 and "cannot make the folder %s" % (tmp_path / "afile") in r.stderr, r.stderr
    r = run("registry", repo, "-o", repo / "0xdddd" / "0x0001" / "out")
    assert r.returncode == 2 and "is inside the app folder 0xdddd/0x0001" in r.stderr, r.stderr
    assert not (repo / "0xdddd" / "0x0001" / "out").exists()


def test_a_link_out_of_the_app_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("runner's file\n")
    app = make_registry(tmp_path / "app", {".": {"eeprom.json": GOOD, "app.py": "x = 1\n", "d.txt": "data\n"}})
    os.symlink("d.txt", app / "inside.txt")  # a link inside the folder is just another name
    r = run("build", app, "-o", tmp_path / "x.eerom", "--fast", "--no-compare")
    assert r.returncode == 0, r.stderr
    assert files_of((tmp_path / "x.eerom").read_bytes()) == ["app.mpy", "d.txt", "inside.txt"]
    os.symlink(secret, app / "secret.txt")
    r = run("build", app, "-o", tmp_path / "x.eerom", "--fast", "--no-compare")
    assert r.returncode == 2 and "secret.txt is a link to %s, outside the app folder" % secret in r.stderr, r.stderr


def test_ctrl_c_stops_a_parallel_registry_build(tmp_path):
    import shutil
    import signal
    repo = tmp_path / "repo"
    for i in range(24):
        shutil.copytree(folder("0xee70/0x0003"), repo / "0xaaaa" / ("0x%04x" % i))
    out = tmp_path / "out"
    proc = subprocess.Popen(EEROM + ["registry", str(repo), "-o", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = proc.stderr.readline()  # one app built: the pool is busy
    assert first.startswith("[ 1/24]"), first
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    try:
        _, err = proc.communicate(timeout=120)
    finally:  # a hang fails the test without leaving the builds running
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "eerom: interrupted" in err, err
    images = os.listdir(out)
    assert not [n for n in images if not n.endswith(".eerom")]  # no half-written file, no report
    for name in images:
        Image.from_bytes((out / name).read_bytes())  # each image whole
