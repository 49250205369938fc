"""The 32-byte Tildagon hexpansion header at EEPROM offset 0.

Bit-compatible with badge-2024-software modules/system/hexpansion/header.py:
struct "<4s4sHHIHHH9s" then one checksum byte, 0x55 XOR bytes 1..30.  Readers check
only bytes 1..3 of the magic ("HEX") because on 1-byte-address parts a 2-byte address
write clobbers byte 0.
"""

import struct

from .errors import ImageError, UsageError

HEADER_SIZE = 32
HEADER_STRUCT = struct.Struct("<4s4sHHIHHH9s")
MAGIC = b"THEX"
MANIFEST_VERSIONS = (b"2024", b"2026")
NAME_SIZE = 9


def checksum(raw31):
    """0x55 XOR bytes 1..30 (byte 0 is excluded: it may have been clobbered)."""
    value = 0x55
    for b in raw31[1:31]:
        value ^= b
    return value


class Header:
    def __init__(self, vid, pid, name="", unique_id=0, fs_offset=32, page_size=16,
                 total_size=2048, manifest_version=b"2024", magic=MAGIC):
        self.vid = vid
        self.pid = pid
        self.unique_id = unique_id
        self.name = name
        self.fs_offset = fs_offset
        self.page_size = page_size
        self.total_size = total_size
        self.manifest_version = manifest_version
        self.magic = magic

    @classmethod
    def for_part(cls, part, vid, pid, name="", unique_id=0, manifest_version=b"2024"):
        """The header for an EEPROM `part` (parts.Part): its size and page size, and
        fs_offset at the first page boundary after the header."""
        return cls(vid, pid, name, unique_id, part.fs_offset, part.page, part.size, manifest_version)

    def name_bytes(self):
        try:
            raw = self.name.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, passed on by os.fsdecode
            raise UsageError("the friendly name (--name) is not UTF-8 text",
                             hint="give --name in UTF-8, the encoding the badge shows it in") from None
        if len(raw) > NAME_SIZE:
            raise UsageError(
                "friendly name %r is %d bytes in UTF-8; the header holds %d"
                % (self.name, len(raw), NAME_SIZE),
                hint="shorten --name (the badge would silently cut it to %d bytes)" % NAME_SIZE,
            )
        return raw

    def pack(self):
        for field, value, bits in (("vid", self.vid, 16), ("pid", self.pid, 16),
                                   ("unique_id", self.unique_id, 16),
                                   ("fs_offset", self.fs_offset, 16),
                                   ("page_size", self.page_size, 16),
                                   ("total_size", self.total_size, 32)):
            if not 0 <= value < (1 << bits):
                raise UsageError("%s=%d does not fit in %d bits" % (field, value, bits))
        raw = HEADER_STRUCT.pack(self.magic, self.manifest_version, self.fs_offset,
                                 self.page_size, self.total_size, self.vid, self.pid,
                                 self.unique_id, self.name_bytes())
        return raw + bytes([checksum(raw)])

    @classmethod
    def unpack(cls, raw):
        """Parse and check a header the way the badge does; raise ImageError if bad."""
        raw = bytes(raw)
        if len(raw) < HEADER_SIZE:
            raise ImageError("truncated", "header is %d bytes, need %d" % (len(raw), HEADER_SIZE))
        raw = raw[:HEADER_SIZE]
        if raw[1:4] != MAGIC[1:4]:
            raise ImageError("header-magic", "no hexpansion header: bytes 1..3 are %r, not b'HEX'"
                             % raw[1:4], hint="is this an EEPROM image? blank parts read 0xff")
        magic, version, fs_offset, page, total, vid, pid, uid, name = HEADER_STRUCT.unpack(raw[:31])
        if version not in MANIFEST_VERSIONS:
            raise ImageError("header-version", "header manifest version %r is not 2024 or 2026" % version)
        want = checksum(raw)
        if raw[31] != want:
            raise ImageError("header-checksum", "header checksum is 0x%02x, expected 0x%02x"
                             % (raw[31], want))
        return cls(vid, pid, name.split(b"\0", 1)[0].decode("utf-8", "replace"), uid, fs_offset,
                   page, total, version, magic)

    def problems(self):
        """Checks the badge does not make but a reader of fs_offset needs."""
        out = []
        if self.fs_offset < HEADER_SIZE:
            out.append("fs_offset %d overlaps the 32-byte header" % self.fs_offset)
        if self.page_size not in (8, 16, 32, 64, 128, 256, 512):
            out.append("page size %d is not a power of two in 8..512 "
                       "(the badge's EEPROM driver raises ValueError outside 16..256)" % self.page_size)
        elif self.fs_offset % self.page_size:
            out.append("fs_offset %d is not a multiple of the page size %d"
                       % (self.fs_offset, self.page_size))
        if self.total_size <= self.fs_offset:
            out.append("EEPROM size %d leaves no room after fs_offset %d"
                       % (self.total_size, self.fs_offset))
        return out

    def as_dict(self):
        return {
            "magic": self.magic.decode("latin-1"),
            "manifest_version": self.manifest_version.decode("latin-1"),
            "fs_offset": self.fs_offset,
            "page_size": self.page_size,
            "total_size": self.total_size,
            "vid": "0x%04X" % self.vid,
            "pid": "0x%04X" % self.pid,
            "unique_id": self.unique_id,
            "name": self.name,
        }
