"""Image format v1 (docs/SPEC.md): round trips and every check, by problem name."""

import struct
import zlib

import pytest

from eerom import compress, dictionary, romfs
from eerom.errors import ImageError
from eerom.header import Header
from eerom.image import (FLAG_DICT, METHOD_DEFLATE, METHOD_STORED, SB_SIZE_DICT, SB_SIZE_V1, Image,
                         Superblock, crc32, inflate)

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
    for offset, value, name in [(4, 2, "sb-version"), (6, 7, "sb-method"), (7, 2, "sb-flags"), (7, 0x80, "sb-flags"),
                                (7, FLAG_DICT, "sb-size")]:  # FLAG_DICT needs 28 bytes
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


# --- preset dictionary (SPEC sections 4 and 5.2) ---

DICT = b"print('hi')\nhello hello "


def make_dict(history=DICT, ident=None, method=METHOD_DEFLATE):
    h = Header(0xCA75, 0x1337, "T", fs_offset=32, page_size=16, total_size=2048)
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=history)
    payload = c.compress(ROMFS) + c.flush() if method == METHOD_DEFLATE else ROMFS
    return Image.create(h, ROMFS, payload, method, dict_id=dictionary.dict_id(history) if ident is None else ident)


def test_dictionary_round_trip_and_layout():
    img = make_dict()
    data = img.to_bytes()
    assert len(data) == 32 + SB_SIZE_DICT + img.superblock.stored_size
    assert data[32:40] == b"EERM\x01\x1c\x01\x01"  # sb_size 28, deflate, FLAG_DICT
    assert struct.unpack_from("<I", data, 52)[0] == dictionary.dict_id(DICT) == zlib.crc32(DICT)
    assert struct.unpack_from("<I", data, 56)[0] == zlib.crc32(data[32:56])
    assert img.superblock.stored_size < len(make().payload)  # the dictionary pays
    back = Image.from_bytes(data, dictionary=DICT)
    assert back.romfs == ROMFS and back.superblock.dict_id == dictionary.dict_id(DICT)
    assert back.superblock.dictionary == DICT
    assert make().superblock.dict_id is None and make().superblock.sb_size == SB_SIZE_V1
    # the superblock alone
    sb = Superblock.unpack(data[32:], find_dict=lambda ident: DICT)
    assert (sb.flags, sb.sb_size, sb.dict_id) == (FLAG_DICT, 28, zlib.crc32(DICT))
    assert Superblock.unpack(data[32:], find_dict=None).dictionary is None  # fields only


def test_the_firmware_dictionary_is_found_without_being_given():
    history = dictionary.builtin()
    back = Image.from_bytes(make_dict(history).to_bytes())
    assert back.romfs == ROMFS and back.superblock.dictionary == history


def test_an_image_naming_another_dictionary_is_sb_dict():
    data = make_dict().to_bytes()
    with pytest.raises(ImageError) as e:
        Image.from_bytes(data)  # DICT is neither given nor in dicts/
    assert e.value.problem == "sb-dict"
    assert "0x%08x" % zlib.crc32(DICT) in e.value.message and "--dict none" in e.value.hint
    assert problem(data, dictionary=DICT + b"x") == "sb-dict"  # another dictionary given
    assert problem(make_dict(ident=0x12345678).to_bytes(), dictionary=DICT) == "sb-dict"


def test_dictionary_superblock_rules_in_order():
    data = bytearray(make_dict().to_bytes())
    # FLAG_DICT on a stored payload, or with another bit: sb-flags
    stored = bytearray(make_dict(method=METHOD_STORED).to_bytes())
    assert stored[39] == FLAG_DICT and problem(bytes(stored), dictionary=DICT) == "sb-flags"
    bad = bytearray(data)
    bad[39] |= 0x04
    assert problem(resign_sb(bad, sb_size=28), dictionary=DICT) == "sb-flags"
    # FLAG_DICT in a 24-byte superblock: sb-size (after sb_crc)
    short = make_dict()
    short.superblock.extension, short.superblock.sb_size = b"", SB_SIZE_V1
    assert problem(short.to_bytes(), dictionary=DICT) == "sb-size"
    # sb-dict comes before sb-sizes
    bad = bytearray(data)
    struct.pack_into("<I", bad, 32 + 12, 3)
    assert problem(resign_sb(bad, sb_size=28)) == "sb-dict"
    assert problem(resign_sb(bad, sb_size=28), dictionary=DICT) == "sb-sizes"
    # every superblock byte, the identifier included, is under sb_crc
    for i in range(32, 60):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        assert problem(bytes(bad), dictionary=DICT) in ("no-image", "sb-version", "sb-size", "truncated",
                                                        "sb-crc"), i


def test_a_reference_before_the_dictionary_is_inflate():
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=b"xyz" + DICT)
    payload = c.compress(b"xyz" + DICT) + c.flush()
    assert inflate(payload, len(DICT) + 3, b"xyz" + DICT) == b"xyz" + DICT
    with pytest.raises(ImageError) as e:
        inflate(payload, len(DICT) + 3, DICT)
    assert e.value.problem == "inflate"
    with pytest.raises(ImageError) as e:
        inflate(payload, len(DICT) + 3)
    assert e.value.problem == "inflate"
