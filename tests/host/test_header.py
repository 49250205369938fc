import pytest

from eerom.errors import ImageError, UsageError
from eerom.header import Header, checksum

# docs/SPEC.md section 3: the example in the badge documentation (emfcamp/badge-2024-documentation
# docs/hexpansions/eeprom.md) and headers of real hexpansions.
VECTORS = [
    ("5448455832303234400040000000010055f0010002004558414d504c450000eb",
     (b"2024", 64, 64, 65536, 0xF055, 0x0001, 2, "EXAMPLE")),
    ("5448455832303234200010000008000075ca371300004d3234433136000000a8",
     (b"2024", 32, 16, 2048, 0xCA75, 0x1337, 0, "M24C16")),
    ("5448455832303234200020000020000075ca371300005a4432344336344100a7",
     (b"2024", 32, 32, 8192, 0xCA75, 0x1337, 0, "ZD24C64A")),
    ("5448455832303234800080000000010075ca37130000434154323443353132bb",
     (b"2024", 128, 128, 65536, 0xCA75, 0x1337, 0, "CAT24C512")),
    ("54484558323032362000200000200000d3ba00260000537061636561676f6e2a",
     (b"2026", 32, 32, 8192, 0xBAD3, 0x2600, 0, "Spaceagon")),
]


@pytest.mark.parametrize("hexstr,fields", VECTORS)
def test_vectors_round_trip(hexstr, fields):
    raw = bytes.fromhex(hexstr)
    h = Header.unpack(raw)
    assert (h.manifest_version, h.fs_offset, h.page_size, h.total_size, h.vid, h.pid,
            h.unique_id, h.name) == fields
    assert h.pack() == raw
    version, fs, page, total, vid, pid, uid, name = fields
    assert Header(vid, pid, name, uid, fs, page, total, version).pack() == raw
    assert h.problems() == []


def test_checksum_rule():
    raw = bytes.fromhex(VECTORS[1][0])
    acc = 0x55
    for b in raw[1:32]:
        acc ^= b
    assert acc == 0
    assert checksum(raw) == raw[31]


def test_byte_zero_is_not_checked():
    # On an M24C16 the badge's 2-byte address write stores 0 into byte 0.
    raw = bytearray.fromhex(VECTORS[1][0])
    raw[0] = 0
    assert Header.unpack(raw).name == "M24C16"


@pytest.mark.parametrize("offset,problem", [(1, "header-magic"), (3, "header-magic"), (5, "header-version"),
                                            (8, "header-checksum"), (25, "header-checksum"),
                                            (31, "header-checksum")])
def test_damaged_header(offset, problem):
    raw = bytearray.fromhex(VECTORS[2][0])
    raw[offset] ^= 0x01
    with pytest.raises(ImageError) as e:
        Header.unpack(raw)
    assert e.value.problem == problem


def test_blank_and_short():
    with pytest.raises(ImageError) as e:
        Header.unpack(b"\xff" * 32)
    assert e.value.problem == "header-magic"
    with pytest.raises(ImageError) as e:
        Header.unpack(b"THEX")
    assert e.value.problem == "truncated"


def test_name_too_long_is_an_error_not_a_silent_cut():
    with pytest.raises(UsageError) as e:
        Header(1, 2, "TenLetters").pack()
    assert "9" in str(e.value)


def test_name_that_is_not_utf8_is_a_usage_error():
    with pytest.raises(UsageError) as e:
        Header(1, 2, b"Caf\xe9".decode("utf-8", "surrogateescape")).pack()
    assert "UTF-8" in str(e.value)


@pytest.mark.parametrize("fields,problem", [
    (dict(fs_offset=16, page_size=16), "fs_offset 16 overlaps the 32-byte header"),
    (dict(fs_offset=48, page_size=32), "fs_offset 48 is not a multiple of the page size 32"),
    (dict(fs_offset=32, page_size=24), "page size 24 is not a power of two in 8..512 "
                                       "(the badge's EEPROM driver raises ValueError outside 16..256)"),
    (dict(fs_offset=1024, page_size=1024, total_size=4096), "page size 1024 is not a power of two in 8..512 "
                                       "(the badge's EEPROM driver raises ValueError outside 16..256)"),
    (dict(fs_offset=32, page_size=16, total_size=32), "EEPROM size 32 leaves no room after fs_offset 32"),
])
def test_geometry_problems(fields, problem):
    assert Header(1, 2, **fields).problems() == [problem]
