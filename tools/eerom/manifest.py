"""eeprom.json: the header a registry folder asks for.

The hexpansion registry (github.com/emfcamp/hexpansion-firmwares) keeps one folder per
product, `0xVVVV/0xPPPP/`, holding the app and an `eeprom.json` such as

    {"manifest_version": "2024", "fs_offset": 32, "eeprom_page_size": 32,
     "eeprom_total_size": 8192, "vid": "0xCAFE", "pid": "0x0C02", "unique_id": 0,
     "friendly_name": "Canary"}

The badge's Hexpansions app writes a header from it; `eerom build` takes the header
and the EEPROM part from it.  Anything malformed is one UsageError naming the field.
"""

import json
import os

from .errors import UsageError
from .fileio import read_file
from .header import MANIFEST_VERSIONS, NAME_SIZE
from .parts import PAGE_SIZES, part_for

MANIFEST_NAME = "eeprom.json"

# What the registry's build.sh leaves out of an app's tarball (`tar --exclude=NAME`
# matches the name at any depth), so what never enters an image built from a
# registry folder.
REGISTRY_EXCLUDED = frozenset((MANIFEST_NAME, "README.md", "extras", "USE_MPY"))

MIN_TOTAL, MAX_TOTAL = 1024, 512 * 1024  # 1 KiB .. the 4 Mbit parts, powers of two


class Manifest:
    """The fields of an eeprom.json, checked; `part` is the EEPROM it describes."""

    def __init__(self, path, manifest_version, fs_offset, page_size, total_size, vid, pid,
                 unique_id, friendly_name):
        self.path = path
        self.manifest_version = manifest_version  # bytes, b"2024" or b"2026"
        self.fs_offset = fs_offset  # as written in the file
        self.page_size = page_size
        self.total_size = total_size
        self.vid = vid
        self.pid = pid
        self.unique_id = unique_id
        self.friendly_name = friendly_name  # as written (may be longer than the header holds)
        self.warnings = []
        self.part = part_for(total_size, page_size)
        start = -(-fs_offset // page_size) * page_size
        if start != fs_offset:
            # The registry has such files (fs_offset 32 on a part with 64-byte pages);
            # LittleFS does not mind, but eerom's writer needs the image to start on
            # a page (docs/SPEC.md section 3, header-geometry).
            self.warnings.append("%s: fs_offset %d is not a multiple of the %d-byte page: the image starts "
                                 "at %d, and its header says so" % (path, fs_offset, page_size, start))
        if start >= total_size:
            raise UsageError("%s: fs_offset %d leaves no room on a %d-byte EEPROM" % (path, fs_offset, total_size),
                             hint="fs_offset is where the filesystem starts, 32 on most parts")
        self.part = self.part.with_fs_offset(start)

    @property
    def name(self):
        """friendly_name cut to the header's 9 bytes at a character boundary, as the
        badge would show it (the badge cuts bytes; eerom does not split a character)."""
        raw = self.friendly_name.encode("utf-8")
        if len(raw) <= NAME_SIZE:
            return self.friendly_name
        return raw[:NAME_SIZE].decode("utf-8", "ignore")

    @property
    def registry_room(self):
        """The room the registry's size check gives the app: (total - fs_offset) rounded
        down to 64, with fs_offset as written."""
        return (self.total_size - self.fs_offset) // 64 * 64


def _field(doc, key, path, kind, what):
    if key not in doc:
        raise UsageError("%s: %s is missing" % (path, key), hint="eeprom.json needs %s: %s" % (key, what))
    value = doc[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise UsageError("%s: %s is %s, not a whole number" % (path, key, json.dumps(value)), hint=what)
    if kind is str and not isinstance(value, str):
        raise UsageError("%s: %s is %s, not a string" % (path, key, json.dumps(value)), hint=what)
    return value


def _hex16(doc, key, path):
    what = 'a hex string like "0xCAFE"'
    text = _field(doc, key, path, object, what)
    if not isinstance(text, str):
        raise UsageError("%s: %s is %s, not %s" % (path, key, json.dumps(text), what))
    try:
        if not text.lower().startswith("0x"):
            raise ValueError
        value = int(text, 16)
    except ValueError:
        raise UsageError("%s: %s %s is not %s" % (path, key, json.dumps(text), what)) from None
    if not 0 <= value <= 0xFFFF:
        raise UsageError("%s: %s %s does not fit 16 bits" % (path, key, text), hint=what)
    return value


def parse(text, path):
    """Check the text of an eeprom.json; return a Manifest or raise UsageError."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        for k in keys:
            if keys.count(k) > 1:
                raise UsageError("%s: %s appears twice" % (path, k), hint="keep one of them")
        return dict(pairs)

    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as e:  # json.JSONDecodeError, UnicodeDecodeError, too many digits
        raise UsageError("%s: not valid JSON: %s" % (path, str(e).split(";")[0]),
                         hint="compare with another folder's eeprom.json") from None
    if not isinstance(doc, dict):
        raise UsageError("%s: holds %s, not an object of header fields" % (path, type(doc).__name__))
    version = _field(doc, "manifest_version", path, str, '"2024" (every badge) or "2026" (2.x firmware)')
    if version.encode() not in MANIFEST_VERSIONS:
        raise UsageError('%s: manifest_version %s is not "2024" or "2026"' % (path, json.dumps(version)))
    page = _field(doc, "eeprom_page_size", path, int, "the part's write page size in bytes, e.g. 32")
    if page not in PAGE_SIZES:
        raise UsageError("%s: eeprom_page_size %d is not a power of two from 8 to 512" % (path, page),
                         hint="the write page size from the part's datasheet: 16 on 2 KiB parts, 32 on 8 KiB")
    total = _field(doc, "eeprom_total_size", path, int, "the EEPROM's size in bytes, e.g. 8192")
    if not MIN_TOTAL <= total <= MAX_TOTAL or total & (total - 1):
        raise UsageError("%s: eeprom_total_size %d is not an EEPROM size (a power of two from %d to %d)"
                         % (path, total, MIN_TOTAL, MAX_TOTAL), hint="2048 for an M24C16, 8192 for an M24C64")
    fs_offset = _field(doc, "fs_offset", path, int, "where the filesystem starts, 32 on most parts")
    if fs_offset < 32:
        raise UsageError("%s: fs_offset %d overlaps the 32-byte header" % (path, fs_offset),
                         hint="fs_offset is where the filesystem starts, 32 on most parts")
    vid = _hex16(doc, "vid", path)
    pid = _hex16(doc, "pid", path)
    uid = _field(doc, "unique_id", path, int, "0 when unused")
    if not 0 <= uid <= 0xFFFF:
        raise UsageError("%s: unique_id %d does not fit 16 bits" % (path, uid), hint="0 when unused")
    name = _field(doc, "friendly_name", path, str, "the name the badge shows")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800": valid JSON, not text
        raise UsageError("%s: friendly_name %s is not text (a lone surrogate)" % (path, json.dumps(name)),
                         hint="the name the badge shows, in UTF-8") from None
    m = Manifest(path, version.encode(), fs_offset, page, total, vid, pid, uid, name)
    if m.name != name:
        m.warnings.append("%s: friendly_name %r is cut to %r: the header holds %d bytes"
                          % (path, name, m.name, NAME_SIZE))
    return m


def load(folder):
    """The folder's eeprom.json as a Manifest, or None when it has none."""
    path = os.path.join(folder, MANIFEST_NAME)
    if not os.path.isfile(path):
        return None
    return parse(read_file(path), path)


def settings(manifest, part=None, vid=None, pid=None, name=None, unique_id=None, manifest_version=None,
             flag="--part"):
    """Header and part for a build: each value given here overrides the manifest's
    (None: take it from the manifest; no manifest: it must be given).  A part smaller
    than the manifest's EEPROM is a conflict, not an override.  Returns the keyword
    arguments of builder.build for them."""
    if manifest is not None and part is not None and part.size < manifest.total_size:
        raise UsageError("%s holds %d B, but %s says eeprom_total_size %d"
                         % (flag, part.size, manifest.path, manifest.total_size),
                         hint="drop %s to build for the part eeprom.json names, or correct eeprom.json" % flag)
    missing = [opt for opt, value in (("--vid", vid), ("--pid", pid)) if value is None]
    if manifest is None and (part is None or missing):
        what = (["--part (or --size and --page)"] if part is None else []) + missing
        raise UsageError("no eeprom.json here to take the header from: give %s" % " and ".join(what),
                         hint="a registry folder's eeprom.json answers them; see `eerom build --help`")
    pick = (lambda given, field: given if given is not None else getattr(manifest, field))
    return dict(part=pick(part, "part"), vid=pick(vid, "vid"), pid=pick(pid, "pid"),
                name=name if name is not None else (manifest.name if manifest else ""),
                unique_id=unique_id if unique_id is not None else (manifest.unique_id if manifest else 0),
                manifest_version=(manifest_version if manifest_version is not None
                                  else (manifest.manifest_version if manifest else b"2024")))
