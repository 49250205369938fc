"""The preset dictionary in the module (docs/SPEC.md section 5.2, docs/FIRMWARE.md):
the test firmwares carry tools/eerom/dicts' badge dictionary (eerom_dict.c), the lean
unix build (tests/native/unix-lean) carries none.

An image deflated with the firmware's dictionary mounts and runs like the same app
without it; the mount peaks at the dictionary's size above a mount without it and
keeps exactly as much RAM afterwards; an image naming another dictionary, or any
dictionary on a firmware without one, is refused with ENOEXEC before anything is
allocated; a stream that refers back before the dictionary is refused as inflate.
Images are deflated here with zlib and the dictionary as history (the builder's own
`--dict` has its tests in tests/host)."""

import os
import zlib

import pytest

from conftest import TEST_APPS, build_image
from eerom import dictionary
from eerom.image import METHOD_DEFLATE, Image
from test_hostile import asan_device  # noqa: F401 (a fixture: the sanitizer build)
from test_lifetime import lean  # noqa: F401 (a fixture: the unix build without the dictionary)

BASIC = os.path.join(TEST_APPS, "basic")
ENOEXEC = 8
HISTORY = dictionary.builtin()
DICT_ID = dictionary.dict_id(HISTORY)
OTHER_ID = dictionary.dict_id(b"a dictionary no firmware carries")


def deflate_with(data, history):
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=history)
    return c.compress(data) + c.flush()


def with_dict(plain, ident=DICT_ID, payload=None, image_size=None):
    """The Build `plain`'s ROMFS deflated with the firmware's dictionary: an Image."""
    payload = deflate_with(plain.romfs, HISTORY) if payload is None else payload
    romfs = plain.romfs if image_size is None else bytes(image_size)
    return Image.create(plain.image.header, romfs, payload, METHOD_DEFLATE, dict_id=ident)


@pytest.fixture(scope="module", params=["m24c16", "m24c64"])
def basic(request):
    """(part, the basic app without a dictionary, the same with the firmware's)."""
    plain = build_image(BASIC, request.param, dictionary="none")
    return request.param, plain, with_dict(plain)


def test_the_firmware_names_its_dictionary(device):
    r = device.run1("report(dict_id=eerom.DICT_ID, attr=hasattr(eerom, 'DICT_ID'))")
    assert r == {"dict_id": DICT_ID, "attr": True}


@pytest.mark.parametrize("kind", ["sim", "native"])
def test_a_dictionary_image_mounts_and_its_app_runs(device, basic, kind):
    part, plain, image = basic
    assert image.superblock.stored_size < plain.image.superblock.stored_size  # the dictionary pays
    r = device.run1("""
bus = new_bus_of(ARGS[1], ARGS[2], ARGS[0])
info = eerom.mount(bus, "/hexpansion_1")
os.chdir("/")
app = __import__("hexpansion_1.app").app.__app_export__(config=3)
report(info=list(info), summary=app.summary(), listing=sorted(os.listdir("/hexpansion_1")),
       data=open("/hexpansion_1/data/table.csv").read())
eerom.umount("/hexpansion_1")
""", image.to_bytes(), kind, part)
    name, vid, pid, uid, addr, addrsize, image_size, stored_size, transactions, bytes_read, reused = r["info"]
    assert (name, image_size, stored_size, reused) == ("Test", len(plain.romfs), image.superblock.stored_size, False)
    assert bytes_read == image.size  # the 28-byte superblock, and the payload once
    assert r["summary"] == {"value": 42, "name": "helpers", "flag": "sub-init", "where": "hexpansion_1.sub.inner",
                            "file": "hexpansion_1/app.mpy", "rows": 3, "port": 3}
    assert r["listing"] == ["app.mpy", "data", "lib", "sub"]
    assert r["data"] == open(os.path.join(BASIC, "data", "table.csv")).read()


# One mount in a fresh session.  MicroPython's memory statistics (MICROPY_MEM_STATS,
# on both test firmwares) count the bytes asked of the heap, less those given back
# explicitly (eerom frees its inflater state and shrinks its buffer to the image that
# way), and nothing the GC finds: so they are exact and the same from run to run,
# where gc.mem_alloc() after gc.collect() also counts whatever garbage a stale
# pointer on the stack happens to keep.  A ballast first makes the current count the
# peak, so that the peak after the mount, less the count before it, is the mount's
# own peak; the count after it, less the count before, is what the mount holds: the
# image buffer (after its shrink) and the objects that describe the mount.
MEASURE = """
import micropython
bus = new_bus_of("native", ARGS[1], ARGS[0])
gc.collect()
ballast = bytearray(micropython.mem_peak() - micropython.mem_current() + 64)
gc.collect()
kept0 = gc.mem_alloc()
count0 = micropython.mem_current()
info = eerom.mount(bus, "/hexpansion_1")
peak = micropython.mem_peak() - count0
held = micropython.mem_current() - count0
gc.collect()
kept = gc.mem_alloc() - kept0
again = eerom.mount(new_bus_of("native", ARGS[1], ARGS[2]), "/hexpansion_2")
report(peak=peak, held=held, kept=kept, image=info.image_size, stored=info.stored_size, again_reused=again.reused)
"""


def test_ram_peak_and_after_mount(device, basic):
    """Peak: the dictionary's bytes more than the same app without it (less the
    payload bytes the dictionary saved).  After the mount: exactly as much as
    without it.  And the image in RAM is the same: mounting the other image of the
    same app reuses it."""
    part, plain, image = basic
    r_plain = device.run1(MEASURE, plain.image.to_bytes(), part, image.to_bytes())
    r_dict = device.run1(MEASURE, image.to_bytes(), part, plain.image.to_bytes())
    assert r_plain["again_reused"] and r_dict["again_reused"]  # byte for byte the same image
    assert r_dict["held"] == r_plain["held"], (r_plain, r_dict)
    assert r_plain["held"] >= r_plain["image"]
    assert abs(r_dict["kept"] - r_plain["kept"]) <= 32, (r_plain, r_dict)  # the GC's view, give or take a block
    saved = r_plain["stored"] - r_dict["stored"]
    assert r_dict["peak"] - r_plain["peak"] == len(HISTORY) - saved, (r_plain, r_dict)
    print("\n%s %s: image %d B; payload %d B without, %d B with the dictionary (%d B); mount peak %d B "
          "without, %d B with; held after mount %d B both (gc.mem_alloc: %d B, %d B)"
          % (device.kind, part, r_plain["image"], r_plain["stored"], r_dict["stored"], len(HISTORY),
             r_plain["peak"], r_dict["peak"], r_plain["held"], r_plain["kept"], r_dict["kept"]))


REFUSE = """
bus = new_bus_of("sim", ARGS[1], ARGS[0])
gc.collect()
before = gc.mem_alloc()
try:
    eerom.mount(bus, "/hexpansion_1")
    out = None
except OSError as e:
    out = list(e.args)
bus = None
gc.collect()
report(error=out, mounts=mounted(), growth=gc.mem_alloc() - before)
"""


def test_an_image_naming_another_dictionary_is_refused(device, basic):
    part, plain, _ = basic
    image = with_dict(plain, ident=OTHER_ID)
    r = device.run1(REFUSE, image.to_bytes(), part)
    assert r["error"] == [ENOEXEC, "eerom: sb-dict: needs dictionary %08x: rebuild with --dict none" % OTHER_ID]
    assert "/hexpansion_1" not in r["mounts"]
    assert r["growth"] < 512, r  # refused from the superblock: nothing was allocated for it


def fixed_huffman_match(distance):
    """A raw deflate stream, one final fixed-Huffman block: a 10-byte match at
    `distance`, then end of block.  Declared as a 10-byte image (the superblock
    wants more bytes inflated than stored), a match the reader serves fails the
    ROMFS check (`romfs-magic`) and one it refuses fails `inflate`: the two outcomes
    tell whether the dictionary was reached."""
    bits = [1, 1, 0]  # BFINAL, BTYPE 01 (fixed), LSB first

    def huff(code, n):  # Huffman codes go most significant bit first
        bits.extend((code >> i) & 1 for i in reversed(range(n)))

    huff(264 - 256, 7)  # length 10
    base, code = 1, 0  # distance codes (RFC 1951 3.2.5): 30 codes, 0..13 extra bits
    while distance >= base + (1 << max(0, code // 2 - 1)):
        base += 1 << max(0, code // 2 - 1)
        code += 1
    huff(code, 5)
    bits.extend(((distance - base) >> i) & 1 for i in range(max(0, code // 2 - 1)))
    huff(0, 7)  # end of block (256)
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(bits[i + j] << j for j in range(8)) for i in range(0, len(bits), 8))


def test_a_reference_before_the_dictionary_is_refused(device):
    """A match one byte further back than the dictionary reaches: inflate, nothing
    mounted.  (The host's fuzzer and C unit tests show, under ASan, that no byte
    outside the buffer is read.)"""
    if len(HISTORY) >= 32768:
        pytest.skip("a 32 KiB dictionary fills deflate's window: no reference reaches before it")
    plain = build_image(BASIC, "m24c64", dictionary="none")
    stream = fixed_huffman_match(len(HISTORY) + 1)
    assert zlib.decompressobj(-15, zdict=b"x" + HISTORY).decompress(stream) == b"x" + HISTORY[:9]
    with pytest.raises(zlib.error, match="too far back"):
        zlib.decompressobj(-15, zdict=HISTORY).decompress(stream)
    # Payloads that pass every check before inflate, declared as images of 10 bytes.
    image = with_dict(plain, payload=stream, image_size=10)
    r = device.run1(REFUSE, image.to_bytes(), "m24c64")
    assert r["error"] == [ENOEXEC, "eerom: inflate: payload is not a deflate stream of the declared size"]
    assert "/hexpansion_1" not in r["mounts"]
    # the dictionary's first byte is within reach: inflated (it is no ROMFS, though)
    image = with_dict(plain, payload=fixed_huffman_match(len(HISTORY)), image_size=10)
    r = device.run1(REFUSE, image.to_bytes(), "m24c64")
    assert r["error"][0] == ENOEXEC and r["error"][1].startswith("eerom: romfs-magic"), r["error"]


def test_a_firmware_without_the_dictionary(lean, basic):  # noqa: F811
    """MICROPY_PY_EEROM_DICT 0: DICT_ID is None, an image that needs any dictionary
    is refused (terse errors: the check name alone), the same app without one runs."""
    part, plain, image = basic
    r = lean.run1("""
out = {"dict_id": eerom.DICT_ID}
try:
    eerom.mount(new_bus_of("sim", ARGS[2], ARGS[0]), "/hexpansion_1")
except OSError as e:
    out["error"] = list(e.args)
out["mounts"] = mounted()
info = eerom.mount(new_bus_of("sim", ARGS[2], ARGS[1]), "/hexpansion_1")
os.chdir("/")
out["value"] = __import__("hexpansion_1.app").app.__app_export__(config=3).summary()["value"]
report(**out)
""", image.to_bytes(), plain.image.to_bytes(), part)
    assert r == {"dict_id": None, "error": [ENOEXEC, "sb-dict"], "mounts": r["mounts"], "value": 42}
    assert "/hexpansion_1" not in r["mounts"]


def test_dictionary_paths_under_asan_and_ubsan(asan_device):  # noqa: F811
    """The module built with AddressSanitizer and UBSan (build/unix-asan): an image
    with the dictionary mounts and runs; a match reaching exactly the dictionary's
    first byte is served, one reaching a byte before it is refused, both cleanly."""
    plain = build_image(BASIC, "m24c64", dictionary="none")
    cases = [with_dict(plain).to_bytes()]
    for distance in (len(HISTORY), len(HISTORY) + 1):
        if distance <= 32768:
            cases.append(with_dict(plain, payload=fixed_huffman_match(distance), image_size=10).to_bytes())
    r = asan_device.run1("""
out = []
for data in ARGS:
    try:
        eerom.mount(new_bus_of("native", "m24c64", data), "/hexpansion_1")
    except OSError as e:
        out.append(e.args[1].split(":")[1].strip())
        continue
    os.chdir("/")
    out.append(__import__("hexpansion_1.app").app.__app_export__(config=3).summary()["value"])
    eerom.umount("/hexpansion_1")
report(out=out)
""", *cases)
    # the dictionary's first byte is served (no ROMFS there), one byte before it is refused
    assert r["out"] == [42, "romfs-magic", "inflate"][:len(cases)]
