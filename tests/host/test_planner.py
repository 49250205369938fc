"""The flash planner and wire encodings, on the host (fast, no board)."""

import base64
import zlib

import pytest

from eerom import builder, compress, link, planner, romfs
from eerom.builder import collect
from conftest import EXAMPLE_APP, build_image


def test_pieces_cut_at_page_boundaries():
    parts = planner.pieces(70, 16, start=10)
    assert [(p.start, p.end) for p in parts] == [(10, 16), (16, 32), (32, 48), (48, 64), (64, 80)]
    assert planner.pieces(0, 16) == []


def test_write_order_keeps_every_prefix_refusable():
    image = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    parts = planner.pieces(len(image), 16)
    steps = planner.plan(image, 16, range(len(parts)), fs_offset=32, sb_size=24, batch=64)
    phases = [s.phase for s in steps]
    assert phases[0] == "invalidate" and steps[0].start == 32 and len(steps[0].data) == 4
    assert steps[0].data != image[32:36]  # anything but the magic
    assert phases[-1] == "commit" and steps[-1].start == 32  # the magic's page, last
    order = [planner.PHASES.index(p) for p in phases]
    assert order == sorted(order)
    # everything is written exactly once (the invalidation aside), within batch size
    written = sorted((p.start, p.end) for s in steps[1:] for p in s.pieces)
    assert written == [(p.start, p.end) for p in parts]
    assert all(len(s.data) <= 64 for s in steps)
    for s in steps[1:]:
        assert s.data == image[s.start:s.start + len(s.data)]


def _renamed(image, name):
    """`image` with another friendly name in its header (the rest unchanged)."""
    from eerom.header import Header

    header = Header.unpack(image)
    header.name = name
    return header.pack() + image[32:]


def _flash_states(old, new, page, fs_offset, sb_size):
    """Every state an EEPROM holding `old` passes through while `new` is written as
    planned: one page write at a time, as the board writes them (a step of several
    pages is not atomic), from the planned steps in order."""
    memory = bytearray(old + b"\xff" * max(0, len(new) - len(old)))
    parts = planner.pieces(len(new), page)
    changed = [p.index for p in parts if memory[p.start:p.end] != new[p.start:p.end]]
    for step in planner.plan(new, page, changed, fs_offset, sb_size):
        for piece in planner.pieces(len(step.data), page, step.start):
            memory[piece.start:piece.end] = step.data[piece.start - step.start:piece.end - step.start]
            yield bytes(memory)


def _pairs():
    from eerom.parts import custom_part

    def build(app, part, **kw):
        return builder.build(app, part, 0xCA75, 0x1337, kw.pop("name", "Test"), effort="fast", **kw).image.to_bytes()

    hello = build_image(EXAMPLE_APP, "m24c16", name="Hello").image.to_bytes()
    other = build_image(EXAMPLE_APP, "m24c16", name="Other", keep_py=True).image.to_bytes()
    yield "blank -> image", b"\xff" * 2048, hello, 16
    yield "image -> another", hello, other, 16
    yield "image -> blank (erase)", hello, None, 16
    for page in (8, 16, 32, 64, 128, 256, 512):
        part = custom_part(8192, page)
        yield "solid -> paged, %d B pages" % page, build(EXAMPLE_APP, part), build(EXAMPLE_APP, part, layout="paged"), page
    # A new name whose change in the header's third 8-byte page leaves the header's
    # XOR checksum as it was: that page alone makes a valid header, neither old nor new.
    eight = build(EXAMPLE_APP, custom_part(2048, 8), name="ABcdef")
    yield "rename over two header pages", eight, _renamed(eight, "@Cddef"), 8


@pytest.mark.parametrize("what,old,new,page", list(_pairs()), ids=[p[0] for p in _pairs()])
def test_every_state_while_flashing_is_refused_or_old_or_new(what, old, new, page):
    """Apply the planned writes one page at a time to a copy of the EEPROM: after
    each, the image checker refuses the bytes, or they are exactly the old image or
    exactly the new one."""
    from eerom.errors import ImageError
    from eerom.image import Image

    def image_bytes(data):
        try:
            return Image.from_bytes(data).to_bytes()
        except ImageError:
            return None

    images = [image_bytes(old)]
    if new is None:  # erase: the magic's page first, then the rest
        new = b"\xff" * len(old)
        steps = planner.plan(new, page, range(len(planner.pieces(len(new), page))), 32, magic_first=True)
        states = []
        memory = bytearray(old)
        for step in steps:
            memory[step.start:step.start + len(step.data)] = step.data
            states.append(bytes(memory))
    else:
        new_image = Image.from_bytes(new)
        images.append(image_bytes(new))
        states = list(_flash_states(old, new, page, new_image.header.fs_offset, new_image.superblock.sb_size))
    assert states and states[-1][:len(new)] == new
    for n, state in enumerate(states):
        try:
            image = Image.from_bytes(state)
        except ImageError:
            continue
        assert state[:image.size] in images, "%s: after page write %d of %d the EEPROM holds a third image" % (
            what, n + 1, len(states))


def test_only_changed_pieces_are_written():
    image = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    steps = planner.plan(image, 16, [5], fs_offset=32, sb_size=24)
    assert [(s.phase, s.start, len(s.data)) for s in steps] == [("payload", 80, 16)]
    # the magic's piece changed: invalidate first, commit last
    steps = planner.plan(image, 16, [2, 7], fs_offset=32, sb_size=24)
    assert [s.phase for s in steps] == ["invalidate", "payload", "commit"]


def test_the_magic_is_rewritten_around_any_write_that_is_not_atomic():
    """Several pages, or any page from 1 KiB on (flash checks the part's size then):
    invalidate first and commit last, even if the magic's piece did not change."""
    image = build_image(EXAMPLE_APP, "m24c16").image.to_bytes()
    steps = planner.plan(image, 16, [5, 9, 10], fs_offset=32, sb_size=24, invalidate=b"abcd")
    assert [(s.phase, s.start, s.data) for s in steps] == [
        ("invalidate", 32, b"abcd"), ("payload", 80, image[80:96]), ("payload", 144, image[144:176]),
        ("commit", 32, image[32:48])]
    big = b"\xff" * 1100
    for changed, phases in (([63], ["payload"]), ([64], ["invalidate", "payload", "commit"]),
                            ([0], ["header"]), ([0, 1], ["invalidate", "header", "commit"])):
        assert [s.phase for s in planner.plan(big, 16, changed, fs_offset=32)] == phases, changed
    assert [s.phase for s in planner.plan(big, 16, [5, 64], fs_offset=32, magic_first=True)] == ["payload"] * 2


def test_erase_order_refuses_the_image_first():
    steps = planner.plan(b"\xff" * 256, 16, range(16), fs_offset=32, magic_first=True)
    assert steps[0].phase == "commit" and steps[0].start == 32


@pytest.mark.parametrize("data", [bytes(300), bytes(range(256)) * 3, b"print('hi')\n" * 40, b"\x01\x02"])
def test_encodings_round_trip_and_cheapest_wins(data):
    caps = {"base64": True, "deflate": True}
    cands = link.encodings(data, caps)
    assert [len(e) for _, e in cands] == sorted(len(e) for _, e in cands)
    for kind, expr in cands:
        if kind == "repr":
            assert eval(expr) == data
        elif kind == "base64":
            assert base64.b64decode(eval(expr[4:-1])) == data
        else:
            assert zlib.decompress(base64.b64decode(eval(expr[2:-1])), -9) == data
    assert [k for k, _ in link.encodings(data, {})] == ["repr"]


def test_digests_see_through_crc_protected_structures():
    """Two superblocks differ only in fields and their own CRC: a page CRC-32 is the
    same for both (CRC residue), the page digest is not."""
    a = build_image(EXAMPLE_APP, "m24c64").image.to_bytes()
    b = build_image(EXAMPLE_APP, "m24c64", name="Other").image.to_bytes()
    a = a[:32] + a[32:56] + b"\x00" * 8
    c = bytearray(a)
    c[40] ^= 1  # stored_size
    from eerom.image import crc32
    import struct
    struct.pack_into("<I", c, 52, crc32(bytes(c[32:52])))
    assert zlib.crc32(a[32:64]) == zlib.crc32(bytes(c[32:64]))
    assert link.digest("fnv", a[32:64]) != link.digest("fnv", bytes(c[32:64]))
    assert link.digest("sha256", a[32:64]) != link.digest("sha256", bytes(c[32:64]))


def test_paged_layout_round_trips():
    """compress.paged() asserts that every compressed file starts on a page boundary."""
    tree, files, _ = collect(EXAMPLE_APP)
    for page, offset in ((16, 56), (32, 56), (64, 88), (128, 152)):
        image, payload = compress.paged(tree, page, offset)
        assert zlib.decompress(payload, -15) == image
        got = {p: f.data for p, f in romfs.walk_files(romfs.check(image))}
        assert got == {f.path: f.data for f in files}


def test_auto_layout_is_paged_when_that_fits_else_solid(tmp_path):
    """What `eerom flash` builds from an app folder: one compilation, the paged layout
    unless only the (smaller) solid one fits the part."""
    assert build_image(EXAMPLE_APP, "m24c64", layout="auto").layout == "paged"
    # Many small, alike files: solid deflates them together, paged pads each to a page.
    for i in range(30):
        (tmp_path / ("f%02d.txt" % i)).write_text("the same sort of line of text, file %d\n" % i * 2)
    (tmp_path / "app.py").write_text("X = 1\n")
    paged = build_image(str(tmp_path), "m24c16", layout="paged")
    auto = build_image(str(tmp_path), "m24c16", layout="auto")
    assert not paged.fits
    assert auto.layout == "solid" and auto.fits
    assert auto.image.to_bytes() == build_image(str(tmp_path), "m24c16", layout="solid").image.to_bytes()


@pytest.mark.parametrize("use_module", [True, False])
def test_the_packed_helper_is_the_helper(use_module):
    """What the board gets: the helper without comments, blank lines or `self`, one
    space per indentation level, and the same code (same syntax tree, self renamed)."""
    import ast

    packed = link.helper_source(use_module)
    assert "#" not in packed and "self" not in packed and "\n\n" not in packed
    assert max(len(l) - len(l.lstrip(" ")) for l in packed.splitlines()) <= 5  # the helpers nest 5 deep at most
    paths = [link.HELPER] if use_module else [link.HELPER, link.HELPER_STOCK]
    source = "".join(open(p).read() for p in paths)
    renamed = ast.dump(ast.parse(source)).replace("'self'", "'o'")
    assert ast.dump(ast.parse(packed)) == renamed
    assert ("class StockEeprom(Eeprom)" in packed) != use_module


@pytest.mark.parametrize("line,name", [
    ("OSError: [Errno 116] ETIMEDOUT: eerom: the EEPROM stayed busy after a page write", "ETIMEDOUT"),  # newlib
    ("OSError: [Errno 110] ETIMEDOUT", "ETIMEDOUT"),
    ("OSError: [Errno 19] ENODEV", "ENODEV"),
    ("OSError: 19", "ENODEV"),  # a board without the errno module: MicroPython's numbers
    ("OSError: 110", "ETIMEDOUT"),
    ("OSError: 5", "EIO"),
    ("ValueError: invalid pin", None),
    ("MemoryError: memory allocation failed", None),
])
def test_board_errors_are_told_apart_by_errno_name(line, name):
    assert link.errno_name(line) == name


def test_records_from_the_board_are_read_by_name():
    fields = link.attrtuple("(name='Hello', vid=51829, pid=4919, unique_id=0, addr=80, addrsize=8, image_size=770, "
                            "stored_size=581, transactions=9, bytes_read=700, reused=False)")
    info = link.MountInfo(*(fields.get(f) for f in link.MountInfo._fields))
    assert (info.name, info.image_size, info.stored_size, info.reused) == ("Hello", 770, 581, False)
