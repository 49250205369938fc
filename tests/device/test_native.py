"""Apps with native code (issue 9): @micropython.native and @micropython.viper, as
several apps in the hexpansion registry use, from an eerom image.

The app is tests/registry/0xee70/0x0002 (a registry folder); its `fast` module has
native and viper methods and a native function.  mpy-cross compiles native code for
one CPU only (`eerom build --arch`): x64 for the unix port, armv7m for the qemu ARM
firmware (Cortex-M3), xtensawin for the badge; with arch "none" the file with
native code is stored as source and the board compiles it at import.
tests/registry-variants/native-bytecode is the same app without the decorators
(bytecode only), for the RAM comparison.  The figures (image bytes, heap kept by
the import, free heap the import needs) print with
`pytest tests/device/test_native.py -s -k "sizes or ram or free_heap"`."""

import json
import os

import pytest

import targets
from conftest import ROOT, Device
from eerom import builder, mpy
from eerom.parts import get_part
from test_lifetime import lean  # noqa: F401 (a fixture: the unix build without native emitters)

REGISTRY_APP = os.path.join(ROOT, "tests", "registry", "0xee70", "0x0002")
BYTECODE_APP = os.path.join(ROOT, "tests", "registry-variants", "native-bytecode")
# The native architecture each target's firmware loads (mpy-cross -march names).
TARGET_ARCH = {"unix": "x64", "qemu": "armv7m"}
OTHER_ARCH = {"unix": "armv7m", "qemu": "x64"}
# sys.implementation._mpy's arch field on each target: x64 (2); the qemu firmware
# is built for armv7em (6), which loads armv6m..armv7em code.
FIRMWARE_ARCH = {"unix": 2, "qemu": 6}


def expected_results():
    """What the app computes, from the bytecode variant run by CPython."""
    namespace = {}
    with open(os.path.join(BYTECODE_APP, "fast.py")) as f:
        exec(f.read(), namespace)
    f = namespace["Fast"](64)
    r = {"fill": f.fill(7), "sum": f.total(), "mix": f.mix(0x5A)}
    r.update(sum_after=f.total(), check=namespace["checksum"](f.buf), scale=f.scale(1234, 5), port=1)
    return r


EXPECTED = expected_results()


@pytest.fixture(scope="module")
def header():
    with open(os.path.join(REGISTRY_APP, "eeprom.json")) as f:
        h = json.load(f)
    part = get_part("m24c64")
    assert (h["eeprom_total_size"], h["eeprom_page_size"], h["fs_offset"]) == (part.size, part.page, part.fs_offset)
    return part, int(h["vid"], 16), int(h["pid"], 16), h["friendly_name"]


@pytest.fixture(scope="module")
def images(header):
    """images(arch, variant="native") -> Build, built once each.  The registry
    folder's eeprom.json stays out of the image (the builder leaves it out)."""
    part, vid, pid, name = header
    dirs = {"native": REGISTRY_APP, "bytecode": BYTECODE_APP}
    cache = {}

    def get(arch, variant="native"):
        if (arch, variant) not in cache:
            # no preset dictionary: the lean firmware below holds none
            cache[arch, variant] = builder.build(dirs[variant], part, vid, pid, name=name, arch=arch,
                                                 dictionary="none")
        return cache[arch, variant]
    return get


def files_of(build):
    return {f.path: f.data for f in build.files}


SETUP = """
os.chdir("/")
def load(data, where="/hexpansion_1"):
    eerom.mount(new_bus_of("sim", "m24c64", data), where)
    return __import__(where[1:] + ".app").app
def attempt(data, where="/hexpansion_1"):
    # The app's results, or the exception its import raised, as [type, args].
    try:
        return load(data, where).__app_export__(config=1).results()
    except Exception as e:
        return [type(e).__name__, list(e.args)]
"""


def test_native_app_runs_from_eerom(device, images):
    """The image for the target's CPU: the native and viper methods and the native
    function run and compute what the bytecode computes."""
    arch = TARGET_ARCH[device.kind]
    build = images(arch)
    files = files_of(build)
    assert sorted(files) == ["app.mpy", "fast.mpy"]
    assert mpy.mpy_arch(files["fast.mpy"]) == arch  # native code for this CPU
    assert mpy.mpy_arch(files["app.mpy"]) is None  # no native code: plain bytecode
    r = device.run1(SETUP + """
app = load(ARGS[0])
with open("/hexpansion_1/fast.mpy", "rb") as f:
    head = f.read(4)
report(results=app.__app_export__(config=1).results(), mpy_arch=head[2] >> 2,
       firmware_arch=(sys.implementation._mpy >> 10) & 0xf,
       listing=sorted(os.listdir("/hexpansion_1")), file=app.__file__)
""", build.image.to_bytes())
    assert r["results"] == EXPECTED
    assert r["firmware_arch"] == FIRMWARE_ARCH[device.kind]
    assert r["mpy_arch"] == mpy.ARCH_NAMES.index(arch)
    assert r["listing"] == ["app.mpy", "fast.mpy"] and r["file"] == "hexpansion_1/app.mpy"


def test_wrong_architecture_is_refused(device, images):
    """The badge's image (xtensawin) and the other target's: the import raises
    ValueError('incompatible .mpy arch'), leaves no half-imported module, and the
    interpreter goes on (it then runs the right image)."""
    r = device.run1(SETUP + """
out = {}
for i, name in ((1, "xtensawin"), (2, "other")):
    out[name] = attempt(ARGS[i - 1], "/hexpansion_%d" % i)
    out[name + "_modules"] = sorted(m for m in sys.modules if m.startswith("hexpansion_%d." % i))
out["right"] = attempt(ARGS[2], "/hexpansion_3")
report(**out)
""", images("xtensawin").image.to_bytes(), images(OTHER_ARCH[device.kind]).image.to_bytes(),
        images(TARGET_ARCH[device.kind]).image.to_bytes())
    assert r["xtensawin"] == ["ValueError", ["incompatible .mpy arch"]]
    assert r["other"] == ["ValueError", ["incompatible .mpy arch"]]
    assert r["xtensawin_modules"] == [] and r["other_modules"] == []
    assert r["right"] == EXPECTED


def test_arch_none_is_compiled_by_the_board(device, images):
    """arch "none": the file with native code is stored as source (app.py, which has
    none, is still bytecode); the board's own compiler makes the native code."""
    build = images("none")
    files = files_of(build)
    assert sorted(files) == ["app.mpy", "fast.py"]
    assert {f.path: f.how for f in build.files} == {"app.mpy": "compiled", "fast.py": "source"}
    with open(os.path.join(REGISTRY_APP, "fast.py"), "rb") as f:
        assert files["fast.py"] == f.read()
    assert mpy.mpy_arch(files["app.mpy"]) is None
    r = device.run1(SETUP + "report(results=attempt(ARGS[0]))", build.image.to_bytes())
    assert r["results"] == EXPECTED


def test_firmware_without_native_emitters(lean, images):  # noqa: F811
    """A firmware that cannot run native code (tests/native/unix-lean): the native
    image raises ValueError('native code in .mpy unsupported'), the source image
    SyntaxError('invalid micropython decorator') at import; neither crashes it, and
    the bytecode variant then runs."""
    r = lean.run1(SETUP + """
report(native=attempt(ARGS[0], "/hexpansion_1"), source=attempt(ARGS[1], "/hexpansion_2"),
       bytecode=attempt(ARGS[2], "/hexpansion_3"), firmware_arch=(sys.implementation._mpy >> 10) & 0xf)
""", images("x64").image.to_bytes(), images("none").image.to_bytes(), images("x64", "bytecode").image.to_bytes())
    assert r["firmware_arch"] == 0
    assert r["native"] == ["ValueError", ["native code in .mpy unsupported"]]
    assert r["source"] == ["SyntaxError", ["invalid micropython decorator"]]
    assert r["bytecode"] == EXPECTED


def test_image_sizes(images, header):
    """Image bytes of the native app for each architecture (printed with -s)."""
    part = header[0]
    sizes = {arch: images(arch).size for arch in ("x64", "armv7m", "xtensawin", "none")}
    sizes["bytecode variant"] = images("xtensawin", "bytecode").size
    for arch, size in sizes.items():
        assert size <= part.size, (arch, size)
    # Thumb-2 and Xtensa code are denser than x64; bytecode is densest.
    assert sizes["armv7m"] < sizes["x64"] and sizes["xtensawin"] < sizes["x64"]
    assert sizes["bytecode variant"] < min(sizes["armv7m"], sizes["xtensawin"], sizes["none"])
    native = {arch: len(files_of(images(arch))["fast.mpy"]) for arch in ("x64", "armv7m", "xtensawin")}
    print("\nimage bytes of the native app (%s): %s; fast.mpy: %s" % (
        part.name, ", ".join("%s %d" % kv for kv in sizes.items()),
        ", ".join("%s %d" % kv for kv in native.items())))


GROWTH = """
def exec_mapped():
    # unix: native code lives in its own mmap'd pages, outside the GC heap.
    total = 0
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split()
                if fields[1].startswith("rwx") and len(fields) < 6:
                    lo, hi = fields[0].split("-")
                    total += int(hi, 16) - int(lo, 16)
    except OSError:
        pass
    return total
info = eerom.mount(new_bus_of("sim", "m24c64", ARGS[0]), "/hexpansion_1")
mapped = exec_mapped()
gc.collect()
before = gc.mem_alloc()
import hexpansion_1.app
gc.collect()
growth = gc.mem_alloc() - before
mapped = exec_mapped() - mapped
results = hexpansion_1.app.__app_export__(config=1).results()
report(growth=growth, mapped=mapped, image=info.image_size, results=results)
"""


def ram_cases(device, images):
    arch = TARGET_ARCH[device.kind]
    return (("native .mpy (%s)" % arch, images(arch)), ("arch none (source)", images("none")),
            ("bytecode .mpy in place", images(arch, "bytecode")))


def test_ram_of_native_code(device, images):
    """Heap kept by the import of (a) the native .mpy from eerom, (b) the source
    image compiled by the board, (c) the bytecode variant in place.  Native code is
    always copied to RAM (the GC heap on qemu, as on bare-metal ports; mmap'd pages
    on unix); bytecode runs where it lies in the image."""
    cases = ram_cases(device, images)
    r = {}
    for label, build in cases:
        r[label] = device.run1(SETUP + GROWTH, build.image.to_bytes())
        assert r[label]["results"] == EXPECTED
    print("\n%s: heap kept by the import (gc.mem_alloc() after gc.collect()), and the mounted image's buffer:"
          % device.kind)
    for label, _ in cases:
        print("  %-24s %5d B%s; image buffer %d B" % (
            label, r[label]["growth"], ", mmap'd executable pages %d B" % r[label]["mapped"]
            if device.kind == "unix" else "", r[label]["image"]))
    native, source, bytecode = (r[label] for label, _ in cases)
    text = len(files_of(cases[0][1])["fast.mpy"])
    if device.kind == "qemu":
        # The native .mpy's machine code is copied onto the heap: its import keeps
        # more than the bytecode's by most of the .mpy.
        assert native["growth"] - bytecode["growth"] > text / 2, r
        assert native["mapped"] == source["mapped"] == 0, r
    else:
        # unix: each native function gets its own executable pages (5 functions),
        # from the .mpy or compiled from source alike.
        assert native["mapped"] == source["mapped"] == 5 * 4096 and bytecode["mapped"] == 0, r
        assert native["growth"] > bytecode["growth"], r


HOLE = """
eerom.mount(new_bus_of("sim", "m24c64", ARGS[0]), "/hexpansion_1")
out = [0, 0]  # imported, free heap before the import: made before the heap is full
def attempt(k):
    # Fill the heap with small objects, free the last k (one hole), import.
    junk = [None] * 8000
    n = fill_heap(junk)
    for i in range(k):
        junk[n - 1 - i] = None
    gc.collect()
    out[1] = gc.mem_free()
    try:
        __import__("hexpansion_1.app")
        out[0] = 1
    except MemoryError:
        pass
    junk = None
    gc.collect()
attempt(ARGS[1])
report(imported=out[0], free=out[1])
"""


def free_heap_needed(device, data):
    """The least free heap (one hole, to 32 or 64 bytes) in which the import
    succeeds: a bisection over fresh runs, so that nothing a failed attempt
    allocated (qstrs) helps the next."""
    def run(k):
        r = device.run1(SETUP + HOLE, data, k)
        return r["imported"], r["free"]
    lo, hi = 0, 1024  # freed objects: the import fails with lo, works with hi
    assert run(lo)[0] == 0 and run(hi)[0] == 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if run(mid)[0]:
            hi = mid
        else:
            lo = mid
    return run(hi)[1]


def test_free_heap_needed_to_import(device, images):
    """What the import needs free, transient memory included: compiling the source
    on the board needs far more than loading a .mpy (printed with -s)."""
    if device.kind == "unix":  # a heap as small as a board's, so that filling it is quick
        device = Device(targets.UnixTarget(device.target.binary, heapsize="160k"))
    cases = ram_cases(device, images)
    need = {label: free_heap_needed(device, build.image.to_bytes()) for label, build in cases}
    print("\n%s: least free heap the import succeeds in: %s" % (
        device.kind, ", ".join("%s %d B" % kv for kv in need.items())))
    native, source, bytecode = (need[label] for label, _ in cases)
    assert source > native + 1024 and native > bytecode, need
