"""The ROMFS checker: what it accepts VfsRom can serve without leaving the buffer."""

import pytest

from eerom import romfs
from eerom.errors import ImageError, UsageError


def enc(v):
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.insert(0, 0x80 | (v & 0x7F))
        v >>= 7
    return bytes(out)


def rec(kind, payload):
    return enc(kind) + enc(len(payload)) + payload


def fs(*records):
    body = b"".join(records)
    data = b"\xd2\xcd\x31" + enc(len(body)) + body
    if len(data) % 2:
        data = b"\xd2\xcd\x31\x80" + enc(len(body)) + body
    return data


def file_rec(name, data, kind=2):
    return rec(5, enc(len(name)) + name + rec(kind, data))


def problem(image):
    with pytest.raises(ImageError) as e:
        romfs.check(image)
    return e.value.problem


def test_writer_output_is_accepted_and_walked():
    image = romfs.write({"app.mpy": b"M\x06", "lib": {"a.py": b"x=1", "deep": {"d.txt": b"d"}}})
    root = romfs.check(image)
    assert [(p, f.data) for p, f in romfs.walk_files(root)] == [
        ("app.mpy", b"M\x06"), ("lib/a.py", b"x=1"), ("lib/deep/d.txt", b"d")]


def test_padding_and_unknown_records_are_skipped():
    image = fs(rec(1, b"comment"), rec(99, b"future"), file_rec(b"a", b"1"))
    assert [p for p, _ in romfs.walk_files(romfs.check(image))] == ["a"]


def test_pointer_data():
    body = rec(2, b"shared") + rec(5, enc(1) + b"p" + rec(3, enc(6) + enc(2)))
    root = romfs.check(fs(body))
    assert root.children[0].data == b"shared"


@pytest.mark.parametrize("image,expected", [
    (b"\xd2\xcd", "romfs-magic"),
    (b"RM1\x00", "romfs-magic"),
    (fs(file_rec(b"a", b"1")) + b"\x00\x00", "romfs-trailing"),
    (b"\xd2\xcd\x31\x7f" + b"\x00" * 4, "romfs-bounds"),
    (fs(rec(0, b"")), "romfs-record"),
    (fs(rec(5, enc(9) + b"ab")), "romfs-bounds"),
    (fs(file_rec(b"", b"1")), "romfs-name"),
    (fs(file_rec(b"a/b", b"1")), "romfs-name"),
    (fs(file_rec(b"a\x00", b"1")), "romfs-name"),
    (fs(file_rec(b"..", b"1")), "romfs-name"),
    (fs(file_rec(b"\xff", b"1")), "romfs-name"),
    (fs(file_rec(b"\xed\xa0\x80", b"1")), "romfs-name"),   # a UTF-16 surrogate
    (fs(file_rec(b"\xc0\xaf", b"1")), "romfs-name"),       # overlong '/'
    (fs(rec(5, enc(1) + b"a" + rec(1, b"pad"))), "romfs-file"),
    (fs(rec(5, enc(1) + b"a" + rec(3, enc(100) + enc(0)))), "romfs-pointer"),
    (fs(rec(5, enc(1) + b"a" + rec(3, enc(1) + enc(1 << 31)))), "romfs-pointer"),
    (fs(rec(5, enc(1) + b"a" + rec(2, b"") + b"\x90\x80\x80\x80\x80\x00\x00")), "romfs-record"),
])
def test_malformed(image, expected):
    assert problem(image) == expected


def test_depth_limit():
    def nest(n):
        inner = file_rec(b"f", b"1")
        for i in range(n):
            inner = rec(4, enc(1) + b"d" + inner)
        return fs(inner)

    romfs.check(nest(romfs.MAX_DEPTH))
    assert problem(nest(romfs.MAX_DEPTH + 1)) == "romfs-depth"


def test_writer_refuses_non_ascii_names_with_a_message():
    with pytest.raises(UsageError) as e:
        romfs.write({"caf\u00e9.py": b""})
    assert "ASCII" in e.value.hint
