"""Image format v1 (docs/SPEC.md): round trips and every check, by problem name."""

import struct
import zlib

import pytest

from eerom import compress, romfs
from eerom.errors import ImageError
from eerom.header import Header
from eerom.image import (METHOD_DEFLATE, METHOD_STORED, SB_SIZE_V1, Image, Superblock, crc32,
                         inflate)

ROMFS = romfs.write({"app.py": b"print('hi')\n" * 20, "data": {"x.txt": b"hello " * 30}})


def make(method=METHOD_DEFLATE, part=(2048, 16), romfs_image=ROMFS):
    size, page = part
    h = Header(0xCA75, 0x1337, "T", fs_offset=max(32, page), page_size=page, total_size=size)
    payload = compress.zlib_raw(romfs_image) if method == METHOD_DEFLATE else romfs_image
    return Image.create(h, romfs_image, payload, method)


def problem(data, **kw):
    with pytest.raises(ImageError) as e:
        Image.from_bytes(data, **kw)
    return e.value.problem


def resign_sb(data, fs_offset=32, sb_size=SB_SIZE_V1):
    """Recompute sb_crc after editing superblock fields (to reach later checks)."""
    data = bytearray(data)
    end = fs_offset + sb_size
    data[end - 4:end] = struct.pack("<I", crc32(bytes(data[fs_offset:end - 4])))
    return bytes(data)


@pytest.mark.parametrize("method", [METHOD_STORED, METHOD_DEFLATE])
@pytest.mark.parametrize("part", [(2048, 16), (8192, 32), (32768, 64), (65536, 128)])
def test_round_trip(method, part):
    img = make(method, part)
    data = img.to_bytes()
    assert len(data) == img.size == max(32, part[1]) + 24 + img.superblock.stored_size
    back = Image.from_bytes(data + b"\xff" * 100)  # a whole-EEPROM dump reads the same
    assert back.romfs == ROMFS
    assert back.superblock.method == method
    assert data[32:max(32, part[1])] == b"\xff" * (max(32, part[1]) - 32)


def test_superblock_layout():
    sb = Superblock(METHOD_DEFLATE, 57, 70, 0x003F8EEB).pack()
    assert sb[:8] == b"EERM\x01\x18\x01\x00"
    assert struct.unpack("<III", sb[8:20]) == (57, 70, 0x003F8EEB)
    assert struct.unpack("<I", sb[20:]) == (zlib.crc32(sb[:20]),)


def test_every_superblock_and_payload_byte_is_protected():
    data = make().to_bytes()
    for i in range(32, len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        assert problem(bytes(bad)) in ("no-image", "sb-version", "sb-size", "truncated", "sb-crc",
                                       "payload-crc"), i


def test_checks_by_name():
    data = make().to_bytes()
    assert problem(data[:40]) == "truncated"
    assert problem(data[:-1]) == "truncated"
    bad = bytearray(data)
    bad[31] ^= 1
    assert problem(bytes(bad)) == "header-checksum"
    bad = bytearray(data)
    bad[32:36] = b"\xff\xff\xff\xff"
    assert problem(bytes(bad)) == "no-image"
    for offset, value, name in [(4, 2, "sb-version"), (6, 7, "sb-method"), (7, 1, "sb-flags")]:
        bad = bytearray(data)
        bad[32 + offset] = value
        assert problem(resign_sb(bad)) == name
    bad = bytearray(data)
    bad[37] = 20  # sb_size below 24
    assert problem(bytes(bad)) == "sb-size"


def test_sizes_are_bounded_before_anything_is_allocated():
    data = bytearray(make().to_bytes())
    # a "zip bomb": a plausible ratio, far more than the reader allows
    stored = struct.unpack_from("<I", data, 32 + 8)[0]
    struct.pack_into("<I", data, 32 + 12, stored * 1032)
    assert problem(resign_sb(data), max_image_size=4096) == "too-large"
    struct.pack_into("<I", data, 32 + 12, 1 << 30)  # an impossible one
    assert problem(resign_sb(data)) == "sb-sizes"
    # stored_size past the part
    data = bytearray(make().to_bytes())
    struct.pack_into("<II", data, 32 + 8, 5000, 6000)
    assert problem(resign_sb(data)) == "size-part"
    # impossible ratio and deflate not smaller than the image
    data = bytearray(make().to_bytes())
    struct.pack_into("<I", data, 32 + 12, 3)
    assert problem(resign_sb(data)) == "sb-sizes"
    data = bytearray(make(METHOD_STORED).to_bytes())
    struct.pack_into("<I", data, 32 + 12, len(ROMFS) + 1)
    assert problem(resign_sb(data)) == "sb-sizes"
    assert problem(make().to_bytes(), max_image_size=len(ROMFS) - 1) == "too-large"


def test_inflate_must_match_exactly():
    raw = compress.zlib_raw(b"x" * 100)
    assert inflate(raw, 100) == b"x" * 100
    for bad, size in [(raw, 99), (raw, 101), (raw + b"\x00", 100), (raw[:-1], 100), (b"\xff\xff", 100)]:
        with pytest.raises(ImageError) as e:
            inflate(bad, size)
        assert e.value.problem == "inflate"


def test_bad_romfs_inside_a_valid_image_is_refused():
    bogus = b"\xd2\xcd\x31\x7f" + b"A" * 40  # record runs past the image
    h = Header(1, 2, fs_offset=32, page_size=16, total_size=2048)
    img = Image.create(h, bogus, bogus, METHOD_STORED)
    assert problem(img.to_bytes()) == "romfs-bounds"


def test_stored_is_chosen_when_deflate_does_not_pay():
    tiny = romfs.write({"a": b"\x93\x17\x42"})
    method, payload, label = compress.best(tiny)
    assert (method, label) == (METHOD_STORED, "stored") and payload == tiny
    method, payload, _ = compress.best(ROMFS)
    assert method == METHOD_DEFLATE and len(payload) < len(ROMFS)
    assert zlib.decompress(payload, -15) == ROMFS
