"""Program, read back, verify and erase hexpansion EEPROMs through a board's REPL.

A Session connects to the board (link.py), sets up the I2C bus and finds the EEPROM.
flash() asks the board for a digest of every page, writes only the pages that differ
in the order planner.py gives, then asks for the digests again: pages that did not
take are written once more, and if they still differ it fails, naming them.
"""

import time

from . import planner
from .errors import DeviceError, ImageError, UsageError
from .header import Header
from .image import Image
from .link import Link, digest

WRITE_CYCLE_S = 0.005  # the parts' maximum write cycle (FACTS 1.3)


class Interrupted(DeviceError):
    pass


def bus_expression(bus=None, sda=None, scl=None, freq=None, soft=False, expr=None):
    """The Python expression that makes the I2C bus on the board."""
    if expr:
        return expr
    cls = "machine.SoftI2C" if soft else "machine.I2C"
    if sda is None and scl is None and freq is None:
        if soft:
            raise UsageError("--soft needs --sda and --scl")
        return "%s(%d)" % (cls, 0 if bus is None else bus)
    if sda is None or scl is None:
        raise UsageError("give both --sda and --scl")
    args = [] if soft else ["%d" % (0 if bus is None else bus)]
    args += ["sda=machine.Pin(%d)" % sda, "scl=machine.Pin(%d)" % scl]
    if freq:
        args.append("freq=%d" % freq)
    return "%s(%s)" % (cls, ", ".join(args))


class Session:
    def __init__(self, device, bus_expr, addr=None, addrsize=None, use_module=True, baudrate=115200,
                 page=16):
        self.link = Link(device, baudrate, use_module)
        try:
            self.page = page
            self.addr, self.addrsize, self.first_bytes = self.link.connect_bus(bus_expr, page, addr, addrsize)
        except DeviceError as e:
            self.link.close()
            if getattr(e, "device_message", "") and "ValueError" in e.device_message:
                raise DeviceError("the board cannot make that I2C bus: %s" % e.device_message,
                                  hint="check --bus (or --sda/--scl) for this board") from None
            raise

    def close(self):
        self.link.close()

    @property
    def capacity(self):
        """What the bus tells about the part's size: 1-byte parts answer on 8 addresses
        of 256 bytes; 2-byte parts could be anything up to 64 KiB."""
        return 2048 if self.addrsize == 8 else 65536

    def set_page(self, page):
        self.page = page
        self.link.run("P = %d" % page)

    def header(self):
        """The header the EEPROM held when the session began (None: blank or damaged)."""
        try:
            return Header.unpack(self.first_bytes)
        except ImageError:
            return None


class Result:
    def __init__(self, pages):
        self.pages = pages
        self.changed = 0
        self.written = 0
        self.rewritten = 0
        self.steps = 0
        self.encodings = {}
        self.wire_bytes = 0
        self.seconds = 0.0

    @property
    def skipped(self):
        return self.pages - self.changed

    def summary(self):
        enc = ", ".join("%s %d" % kv for kv in sorted(self.encodings.items())) or "none"
        return ("%d pages: %d unchanged, %d written%s; %d bytes on the wire (encodings: %s); %.1f s"
                % (self.pages, self.skipped, self.written,
                   " (%d rewritten after verify)" % self.rewritten if self.rewritten else "",
                   self.wire_bytes, enc, self.seconds))


def _runs(indices):
    """Consecutive runs in a sorted list of piece indices."""
    runs = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _compare(session, data, parts):
    """(host digests, indices of the pieces the EEPROM does not hold) for `data` from
    offset 0: one digest request to the board."""
    host = planner.digests(data, parts, lambda b: digest(session.link.digest, b))
    device = session.link.digests(0, len(data), session.page)
    return host, [i for i, (a, b) in enumerate(zip(host, device)) if a != b]


def _write_steps(session, steps, result, progress, abort_after):
    for step in steps:
        if abort_after is not None and result.steps >= abort_after:
            raise Interrupted("interrupted after %d writes" % result.steps)
        kind = session.link.write(step.start, step.data)
        result.steps += 1
        result.encodings[kind] = result.encodings.get(kind, 0) + 1
        result.written += len(step.pieces)
        progress.advance(len(step.pieces), wire="%d B" % session.link.wire_bytes)


def program(session, target, progress, fs_offset=None, sb_size=24, magic_first=False, abort_after=None):
    """Make the EEPROM hold `target` from offset 0, writing only differing pages."""
    began = time.monotonic()
    page = session.page
    parts = planner.pieces(len(target), page)
    result = Result(len(parts))

    progress.begin("compare", len(parts))
    host, changed = _compare(session, target, parts)
    result.changed = len(changed)
    progress.advance(len(parts), changed=len(changed), wire="%d B" % session.link.wire_bytes)

    steps = planner.plan(target, page, changed, fs_offset, sb_size, magic_first=magic_first)
    progress.begin("write", len(changed))
    _write_steps(session, steps, result, progress, abort_after)

    # Verify what was written (the other pages matched a moment ago): one digest
    # request per run of written pages.
    written = sorted(changed)
    for attempt in (1, 2):
        progress.begin("verify", len(written))
        bad = []
        for run in _runs(written):
            start, end = parts[run[0]].start, parts[run[-1]].end
            device = session.link.digests(start, end - start, page)
            bad += [i for i, d in zip(run, device) if d != host[i]]
            progress.advance(len(run), bad=len(bad), wire="%d B" % session.link.wire_bytes)
        if not bad:
            break
        if attempt == 2:
            regions = planner.describe(parts, bad, page, fs_offset, sb_size)
            where = "; ".join("%s pages %s" % (r, ", ".join(map(str, p[:12])) + (" ..." if len(p) > 12 else ""))
                              for r, p in regions.items())
            raise DeviceError("%d of %d pages still differ after writing them twice (%s)" % (len(bad), len(parts), where),
                              hint="writes that never stick: is the EEPROM write-protected (WC pin), or is it "
                                   "smaller than the image, or are its pages smaller than %d bytes?" % page)
        result.rewritten += len(bad)
        written = bad
        progress.begin("rewrite", len(bad))
        _write_steps(session, planner.plan(target, page, bad, fs_offset, sb_size, magic_first=magic_first),
                     result, progress, None)
    result.wire_bytes = session.link.wire_bytes  # the whole session: probes and helper too
    result.seconds = time.monotonic() - began
    return result


def flash_image(session, data, progress, force=False, abort_after=None):
    """Check `data` is a good image that fits, then program it."""
    image = Image.from_bytes(data)  # never write an image the badge would refuse
    data = image.to_bytes()
    if len(data) > session.capacity:
        raise DeviceError("the image is %d B but the EEPROM on the bus holds %d B" % (len(data), session.capacity),
                          hint="build it for this part (eerom build --part ...)")
    current = session.header()
    if current is not None and current.total_size < len(data) and not force:
        raise DeviceError("the image is %d B but the EEPROM's header says the part holds %d B"
                          % (len(data), current.total_size),
                          hint="use a bigger part, or --force if that header is wrong")
    page = image.header.page_size
    if current is not None and current.page_size < page:
        page = current.page_size  # writing in smaller pages is always safe
    session.set_page(page)
    result = program(session, data, progress, image.header.fs_offset, image.superblock.sb_size,
                     abort_after=abort_after)
    return image, result


def read_all(session, size, progress, chunk=1024):
    out = bytearray()
    progress.begin("read", size)
    while len(out) < size:
        n = min(chunk, size - len(out))
        out += session.link.read(len(out), n)
        progress.advance(n, wire="%d B" % session.link.wire_bytes)
    return bytes(out)


def verify(session, data, progress):
    """[(region, page)] of pages of `data` that the EEPROM does not hold."""
    image = Image.from_bytes(data)
    data = image.to_bytes()
    session.set_page(image.header.page_size)
    parts = planner.pieces(len(data), session.page)
    progress.begin("verify", len(parts))
    _, bad = _compare(session, data, parts)
    progress.advance(len(parts), bad=len(bad))
    return image, planner.describe(parts, bad, session.page, image.header.fs_offset, image.superblock.sb_size)


def erase(session, size, progress, abort_after=None):
    """Make every byte 0xff, skipping pages already blank; an eerom image is refused
    from the first write on (its superblock magic goes first)."""
    current = session.header()
    fs_offset = current.fs_offset if current is not None and current.fs_offset < size else None
    if current is not None:
        session.set_page(current.page_size)
    return program(session, b"\xff" * size, progress, fs_offset, magic_first=True, abort_after=abort_after)


def cost(old, new):
    """What flashing `new` over `old` would cost: (parts, changed indices, image)."""
    image = Image.from_bytes(new)
    new = image.to_bytes()
    old = bytes(old)[:len(new)] + b"\xff" * max(0, len(new) - len(old))
    parts = planner.pieces(len(new), image.header.page_size)
    changed = [i for i, p in enumerate(parts) if old[p.start:p.end] != new[p.start:p.end]]
    return parts, changed, image
