"""eerom image format v1: Tildagon header, eerom superblock, compressed ROMFS.

docs/SPEC.md is the normative description; this module and usermod/eerom/eerom_image.c
implement it and are tested against each other.  Layout, little-endian throughout:

    0          Tildagon hexpansion header (32 bytes, header.py)
    32         0xff fill up to fs_offset (a page boundary)
    fs_offset  superblock (24 bytes in v1; 28 with a preset dictionary's identifier)
    +sb_size   payload: stored_size bytes, the ROMFS image raw-deflated (or stored)

An image may be deflated with a preset dictionary as history (FLAG_DICT, SPEC
section 5): its superblock names the dictionary by its CRC-32, and a reader that does
not hold that dictionary refuses it (`sb-dict`).
"""

import struct
import zlib

from .errors import ImageError
from .header import HEADER_SIZE, Header
from . import dictionary as dictionaries
from . import romfs

SB_MAGIC = b"EERM"
SB_VERSION = 1
SB_SIZE_V1 = 24
# With FLAG_DICT the superblock holds the dictionary's identifier at offset 20: writers
# write 28 bytes, readers refuse fewer (`sb-size`).
SB_SIZE_DICT = 28
SB_STRUCT = struct.Struct("<4sBBBBIII")  # everything before the trailing sb_crc
# flags: every bit names a feature a reader must understand.
FLAG_DICT = 0x01  # the payload's history starts with a preset dictionary (dict_id)
FLAGS_KNOWN = FLAG_DICT
METHOD_STORED = 0
METHOD_DEFLATE = 1
METHOD_NAMES = {METHOD_STORED: "stored", METHOD_DEFLATE: "deflate"}
# A deflate stream cannot expand by more than 1032:1 (a 258-byte match per 2 bits).
DEFLATE_MAX_RATIO = 1032
# Default ceiling on the inflated size a reader accepts (matches the C module's default).
DEFAULT_MAX_IMAGE_SIZE = 256 * 1024
FILL = 0xFF


def crc32(data):
    return zlib.crc32(data) & 0xFFFFFFFF


class Superblock:
    """The eerom superblock.  `dict_id` is the identifier (CRC-32) of the preset
    dictionary the payload needs, or None (FLAG_DICT clear); `extension` holds every
    byte between offset 20 and sb_crc, the identifier included."""

    def __init__(self, method, stored_size, image_size, payload_crc, flags=0,
                 version=SB_VERSION, sb_size=None, extension=None, dict_id=None):
        if dict_id is not None:
            flags |= FLAG_DICT
            if extension is None:
                extension = struct.pack("<I", dict_id)
        if extension is None:
            extension = b""
        self.method = method
        self.stored_size = stored_size
        self.image_size = image_size
        self.payload_crc = payload_crc
        self.flags = flags
        self.version = version
        self.sb_size = SB_STRUCT.size + len(extension) + 4 if sb_size is None else sb_size
        self.extension = extension  # bytes between the v1 fields and sb_crc
        self.dictionary = None  # the dictionary's bytes, once a reader found it

    @property
    def dict_id(self):
        if not self.flags & FLAG_DICT or len(self.extension) < 4:
            return None
        return struct.unpack_from("<I", self.extension)[0]

    def pack(self):
        body = SB_STRUCT.pack(SB_MAGIC, self.version, self.sb_size, self.method, self.flags,
                              self.stored_size, self.image_size, self.payload_crc) + self.extension
        assert len(body) + 4 == self.sb_size
        return body + struct.pack("<I", crc32(body))

    @classmethod
    def unpack(cls, raw, find_dict=dictionaries.find):
        """Parse and check a superblock (raw starts at fs_offset). Raise ImageError.

        `find_dict(dict_id)` gives the bytes of a preset dictionary the reader holds, or
        None (`sb-dict`); the dictionary found is kept as `.dictionary`.  With
        find_dict=None the dictionary is not looked for (to show an image's fields)."""
        raw = bytes(raw)
        if len(raw) < 4 or raw[:4] != SB_MAGIC:
            raise ImageError("no-image", "no eerom superblock at fs_offset (found %r, expected %r)"
                             % (raw[:4], SB_MAGIC),
                             hint="this EEPROM may hold LittleFS or be blank")
        if len(raw) < 6:
            raise ImageError("truncated", "image ends inside the superblock")
        version, sb_size = raw[4], raw[5]
        if version != SB_VERSION:
            raise ImageError("sb-version", "superblock format version %d is not supported "
                             "(this reader knows version %d)" % (version, SB_VERSION),
                             hint="update eerom")
        if sb_size < SB_SIZE_V1:
            raise ImageError("sb-size", "superblock size %d is below the v1 minimum %d"
                             % (sb_size, SB_SIZE_V1))
        if len(raw) < sb_size:
            raise ImageError("truncated", "image ends inside the superblock (%d of %d bytes)"
                             % (len(raw), sb_size))
        body, (stored_crc,) = raw[:sb_size - 4], struct.unpack_from("<I", raw, sb_size - 4)
        if crc32(body) != stored_crc:
            raise ImageError("sb-crc", "superblock CRC is 0x%08x, computed 0x%08x: the superblock is damaged"
                             % (stored_crc, crc32(body)))
        _, _, _, method, flags, stored_size, image_size, payload_crc = SB_STRUCT.unpack_from(body)
        if method not in METHOD_NAMES:
            raise ImageError("sb-method", "unknown compression method %d" % method, hint="update eerom")
        if flags & ~FLAGS_KNOWN:
            raise ImageError("sb-flags", "superblock flags 0x%02x name features this reader lacks" % flags,
                             hint="update eerom")
        if flags & FLAG_DICT and method == METHOD_STORED:
            raise ImageError("sb-flags", "a stored image names a preset dictionary (flags 0x%02x)" % flags)
        if flags & FLAG_DICT and sb_size < SB_SIZE_DICT:
            raise ImageError("sb-size", "superblock size %d is too small for a dictionary's identifier "
                             "(FLAG_DICT needs %d)" % (sb_size, SB_SIZE_DICT))
        sb = cls(method, stored_size, image_size, payload_crc, flags, version, sb_size, body[SB_STRUCT.size:])
        if sb.dict_id is not None and find_dict is not None:
            sb.dictionary = find_dict(sb.dict_id)
            if sb.dictionary is None:
                raise ImageError("sb-dict", "the image needs preset dictionary 0x%08x, which this "
                                 "reader does not hold" % sb.dict_id,
                                 hint="rebuild it with --dict none, or give the dictionary (--dict FILE)")
        if method == METHOD_STORED and stored_size != image_size:
            raise ImageError("sb-sizes", "stored image: stored_size %d != image_size %d"
                             % (stored_size, image_size))
        if method == METHOD_DEFLATE and not stored_size < image_size <= stored_size * DEFLATE_MAX_RATIO:
            raise ImageError("sb-sizes", "image_size %d is impossible for %d deflated bytes "
                             "(deflated payloads are smaller than the image, by at most %d:1)"
                             % (image_size, stored_size, DEFLATE_MAX_RATIO))
        if image_size < romfs.MIN_SIZE:
            raise ImageError("sb-sizes", "image_size %d is below the smallest ROMFS (%d bytes)"
                             % (image_size, romfs.MIN_SIZE))
        return sb


def inflate(payload, image_size, dictionary=None):
    """Raw-inflate payload to exactly image_size bytes, with `dictionary` (bytes) as
    the history before its first byte; raise ImageError otherwise."""
    d = zlib.decompressobj(-15, zdict=dictionary) if dictionary else zlib.decompressobj(-15)
    try:
        out = d.decompress(payload, image_size + 1)
    except zlib.error as e:
        raise ImageError("inflate", "payload is not a valid deflate stream (%s)" % e) from None
    if len(out) > image_size:
        raise ImageError("inflate", "payload inflates to more than the declared %d bytes" % image_size)
    if not d.eof:
        raise ImageError("inflate", "deflate stream ends early: %d of %d bytes" % (len(out), image_size))
    if len(out) != image_size:
        raise ImageError("inflate", "payload inflates to %d bytes, superblock says %d"
                         % (len(out), image_size))
    if d.unused_data:
        raise ImageError("inflate", "%d bytes follow the end of the deflate stream" % len(d.unused_data))
    return out


class Image:
    """A complete eerom image: header + superblock + payload."""

    def __init__(self, header, superblock, payload, romfs_image=None):
        self.header = header
        self.superblock = superblock
        self.payload = payload
        self._romfs = romfs_image

    @classmethod
    def create(cls, header, romfs_image, payload, method, dict_id=None):
        """`dict_id`: the identifier of the preset dictionary `payload` was deflated
        with (dictionary.dict_id()), or None."""
        sb = Superblock(method, len(payload), len(romfs_image), crc32(payload), dict_id=dict_id)
        return cls(header, sb, payload, romfs_image)

    @property
    def size(self):
        """Bytes of EEPROM the image occupies, from offset 0."""
        return self.header.fs_offset + self.superblock.sb_size + self.superblock.stored_size

    def to_bytes(self):
        head = self.header.pack()
        fill = bytes([FILL]) * (self.header.fs_offset - HEADER_SIZE)
        return head + fill + self.superblock.pack() + self.payload

    @property
    def romfs(self):
        if self._romfs is None:
            sb = self.superblock
            if sb.method == METHOD_STORED:
                self._romfs = bytes(self.payload)
            else:
                dictionary = sb.dictionary
                if sb.dict_id is not None and dictionary is None:
                    dictionary = dictionaries.find(sb.dict_id)
                    if dictionary is None:
                        raise ImageError("sb-dict", "the image needs preset dictionary 0x%08x, which "
                                         "this reader does not hold" % sb.dict_id,
                                         hint="rebuild it with --dict none")
                self._romfs = inflate(self.payload, sb.image_size, dictionary)
        return self._romfs

    @classmethod
    def from_bytes(cls, data, max_image_size=DEFAULT_MAX_IMAGE_SIZE, check_part_size=True, dictionary=None):
        """Parse and fully check an image, in the order the C module does.

        Raises ImageError naming the first failed check.  `data` may be a whole
        EEPROM dump: bytes past the image are ignored.  An image that names a preset
        dictionary reads with `dictionary` (bytes) if it is that one, else with the
        one of dicts/ it names (dictionary.find()); with none, `sb-dict`."""
        data = bytes(data)
        header = Header.unpack(data)
        for problem in header.problems():
            raise ImageError("header-geometry", "header: " + problem)
        sb = Superblock.unpack(data[header.fs_offset:header.fs_offset + 255],
                               find_dict=lambda ident: dictionaries.find(ident, extra=dictionary))
        end = header.fs_offset + sb.sb_size + sb.stored_size
        if check_part_size and end > header.total_size:
            raise ImageError("size-part", "image needs %d bytes but the header says the EEPROM holds %d"
                             % (end, header.total_size))
        if sb.image_size > max_image_size:
            raise ImageError("too-large", "image inflates to %d bytes, above the %d-byte limit"
                             % (sb.image_size, max_image_size))
        if len(data) < end:
            raise ImageError("truncated", "image is %d bytes, superblock says it ends at %d"
                             % (len(data), end))
        payload = data[end - sb.stored_size:end]
        if crc32(payload) != sb.payload_crc:
            raise ImageError("payload-crc", "payload CRC is 0x%08x, superblock says 0x%08x: the payload is damaged"
                             % (crc32(payload), sb.payload_crc))
        image = cls(header, sb, payload)
        romfs.check(image.romfs)
        return image
