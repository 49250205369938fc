"""I2C EEPROM parts used on hexpansions, and the badge's LittleFS geometry for them."""

from .errors import UsageError


class Part:
    """An I2C EEPROM part: capacity, write page and how it is addressed."""

    def __init__(self, name, size, page, addrsize, aliases=(), note="", fs_offset=None):
        self.name = name
        self.size = size  # bytes
        self.page = page  # write page size, bytes
        self.addrsize = addrsize  # memory address bits sent on the bus: 8 or 16
        self.aliases = tuple(aliases)
        self.note = note
        self._fs_offset = fs_offset

    @property
    def fs_offset(self):
        """Where the filesystem (here: the eerom superblock) starts.

        The Tildagon header is 32 bytes and fs_offset must be a multiple of the page
        size, so by default it is the first page boundary at or after byte 32."""
        return self._fs_offset if self._fs_offset is not None else max(32, self.page)

    def with_fs_offset(self, fs_offset):
        """This part with the image starting at `fs_offset` (a page boundary >= 32,
        e.g. taken from an eeprom.json)."""
        if fs_offset < 32 or fs_offset % self.page or fs_offset >= self.size:
            raise UsageError("fs_offset %d is not a page boundary after the 32-byte header on %s (%d B pages)"
                             % (fs_offset, self.name, self.page))
        return Part(self.name, self.size, self.page, self.addrsize, self.aliases, self.note, fs_offset)

    @property
    def badge_lfs_block_size(self):
        """Block size the badge's LittleFS driver uses for this part.

        badge-2024-software modules/system/hexpansion/util.py: 512-byte blocks when
        eeprom_total_size >= 8192, 64-byte blocks below."""
        return 512 if self.size >= 8192 else 64

    def __repr__(self):
        return "Part(%s, %d B, page %d)" % (self.name, self.size, self.page)


PARTS = [
    Part("m24c16", 2048, 16, 8, ("24c16", "at24c16", "24fc16"),
         "8 blocks of 256 B selected by I2C address 0x50..0x57"),
    Part("m24c32", 4096, 32, 16, ("24c32", "at24c32")),
    Part("m24c64", 8192, 32, 16, ("zd24c64a", "24c64", "at24c64"),
         "most registered hexpansions"),
    Part("m24128", 16384, 64, 16, ("24c128", "24lc128")),
    Part("m24256", 32768, 64, 16, ("24c256", "24lc256", "24fc256")),
    Part("m24512", 65536, 128, 16, ("cat24c512", "24c512", "24lc512")),
    Part("m24m02", 262144, 256, 16, ("24m02",),
         "two more address bits in the I2C address"),
]

_BY_NAME = {}
for _p in PARTS:
    for _n in (_p.name,) + _p.aliases:
        _BY_NAME[_n] = _p


def part_names():
    return [p.name for p in PARTS]


def part_for(size, page):
    """The known part of this size and page size, else a custom one."""
    for p in PARTS:
        if p.size == size and p.page == page:
            return p
    return custom_part(size, page)


def get_part(name):
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise UsageError(
            "unknown EEPROM part %r" % name,
            hint="known parts: %s (or give --size and --page)" % ", ".join(part_names()),
        ) from None


PAGE_SIZES = (8, 16, 32, 64, 128, 256, 512)  # docs/SPEC.md section 3, header-geometry


def custom_part(size, page, addrsize=None):
    """A part given by size and page size (for parts not in the table): any geometry
    docs/SPEC.md allows, so that the header it makes passes the header-geometry check."""
    if page not in PAGE_SIZES:
        raise UsageError("page size %d is not a power of two from 8 to 512" % page,
                         hint="give --page, the write page size from the part's datasheet (16 B on 2 KiB "
                              "parts, 32 B on 8 KiB parts)")
    part = Part("custom-%dB" % size, size, page, addrsize or (8 if size <= 2048 else 16))
    if size <= part.fs_offset:
        raise UsageError("EEPROM size %d leaves no room after the header: with %d-byte pages the image starts "
                         "at %d" % (size, page, part.fs_offset), hint="give --size, the EEPROM's size in bytes")
    if size >= 1 << 32:
        raise UsageError("EEPROM size %d does not fit the header's 32 bits" % size,
                         hint="give --size, the EEPROM's size in bytes")
    return part
