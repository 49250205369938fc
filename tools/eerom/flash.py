"""Program, read back, verify and erase hexpansion EEPROMs through a board's REPL.

A Session connects to the board (link.py), sets up the I2C bus and finds the EEPROM.
program() asks the board for a digest of every page, writes only the pages that
differ in the order planner.py gives, checking on the way that the part is as big as
the image, then asks for the digests of every page written: pages that did not take
are written once more and every written page is checked again; if any still differs
it fails, naming them.  flash_image() checks an image and programs it.

A board whose eerom module has program() (usermod/eerom/eerom_program.c) does all
that itself: with Session(program=True) the host sends no helper, asks for the
EEPROM's page digests (unless it holds no header: a first programming) and sends, in
one exec, the pieces of the image that differ; the board takes the rest from the
EEPROM, checks the whole image, and writes and verifies as program() here does.
"""

import os
import re
import time

from . import planner
from .errors import DeviceError, FitError, ImageError, UsageError
from .header import HEADER_SIZE, Header
from .image import SB_MAGIC, Image
from .link import Link, digest, fnv1a

# Part sizes the flash looks for through the superblock magic (see _invalidate).
PART_SIZES = [1 << n for n in range(10, 16)]  # 1 KiB .. 32 KiB
assert PART_SIZES[0] == planner.WRAP_CHECK_FROM


def bus_expression(bus=None, sda=None, scl=None, freq=None, soft=False, expr=None):
    """The Python expression that makes the I2C bus on the board."""
    if expr:
        return expr
    cls = "machine.SoftI2C" if soft else "machine.I2C"
    if soft and bus is not None:
        raise UsageError("--soft makes a machine.SoftI2C, which has no bus id: drop --bus, or --soft")
    if sda is None and scl is None and freq is None:
        if soft:
            raise UsageError("--soft needs --sda and --scl: give the pins of the bus")
        return "%s(%d)" % (cls, 0 if bus is None else bus)
    if sda is None and scl is None:
        raise UsageError("--freq needs --sda and --scl: give the pins of the bus, or drop --freq")
    if sda is None or scl is None:
        raise UsageError("give both --sda and --scl, the pins of the bus")
    args = [] if soft else ["%d" % (0 if bus is None else bus)]
    args += ["sda=machine.Pin(%d)" % sda, "scl=machine.Pin(%d)" % scl]
    if freq:
        args.append("freq=%d" % freq)
    return "%s(%s)" % (cls, ", ".join(args))


class Session:
    def __init__(self, device, bus_expr, addr=None, addrsize=None, use_module=True, baudrate=115200,
                 page=16, program=False, image=None):
        """program: let a board with eerom.program() write images itself (flash_image);
        the helper is then sent only if another operation needs it.  image: the image
        about to be flashed, if known: its digests come with the connection."""
        self.link = Link(device, baudrate, use_module, quick=program)
        self.page = page  # what the EEPROM is written and digested in
        try:
            found = None
            if program and use_module:
                found = self.link.connect_quick(bus_expr, addr, addrsize, digest_span(image))
            self.on_board = found is not None
            if found is None:
                found = self.link.connect(bus_expr, addr, addrsize)
            self.addr, self.addrsize, self.first_bytes = found
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
        return ("%d pages: %d unchanged, %d written%s; %d bytes on the wire (encodings: %s); %.2f s"
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


def _nonce():
    """4 random bytes for the invalidate step: not the magic, and not what a blank or
    zeroed part holds, so that they are found only where they were written."""
    while True:
        n = os.urandom(4)
        if n not in (SB_MAGIC, b"\0" * 4, b"\xff" * 4):
            return n


def _invalidate(session, step, length):
    """Write the invalidate step (SPEC section 9, step 1), and check that the part holds
    `length` bytes: a part of S bytes ignores the address bits from S up, so the nonce
    written at fs_offset reads back at S + fs_offset.  If it does for some S below
    `length`, put back the 4 bytes it replaced (the EEPROM is as it was) and fail.
    One round trip, two if the part is too small."""
    sizes = [s for s in PART_SIZES if s < length]
    kind, old, seen = session.link.swap(step.start, step.data, session.page, [s + step.start for s in sizes])
    for size, got in zip(sizes, seen):
        if got == step.data:
            session.link.write(step.start, old, session.page)
            raise FitError("this EEPROM holds %d bytes, the image needs %d: use a bigger part" % (size, length),
                           hint="or build the app for this part (eerom build --part ...)")
    return kind


def _write_steps(session, steps, result, progress, length):
    for step in steps:
        if step.phase == "invalidate":
            kind = _invalidate(session, step, length)
        else:
            kind = session.link.write(step.start, step.data, session.page)
        result.steps += 1
        result.encodings[kind] = result.encodings.get(kind, 0) + 1
        result.written += len(step.pieces)
        progress.advance(len(step.pieces), wire="%d B" % session.link.wire_bytes)


def _verify(session, parts, host, written, progress):
    """Indices of the `written` pieces whose digests on the board differ from `host`:
    one digest request per run of consecutive pieces."""
    progress.begin("verify", len(written))
    bad = []
    for run in _runs(written):
        start, end = parts[run[0]].start, parts[run[-1]].end
        device = session.link.digests(start, end - start, session.page)
        bad += [i for i, d in zip(run, device) if d != host[i]]
        progress.advance(len(run), bad=len(bad), wire="%d B" % session.link.wire_bytes)
    return bad


def program(session, target, progress, fs_offset=None, sb_size=24, magic_first=False):
    """Make the EEPROM hold `target` from offset 0, writing only differing pages.
    Returns a Result; raises DeviceError if written pages do not read back."""
    began = time.monotonic()
    page = session.page
    parts = planner.pieces(len(target), page)
    result = Result(len(parts))

    def plan(indices):
        return planner.plan(target, page, indices, fs_offset, sb_size, magic_first=magic_first,
                            invalidate=_nonce())

    progress.begin("compare", len(parts))
    host, changed = _compare(session, target, parts)
    result.changed = len(changed)
    progress.advance(len(parts), changed=len(changed), wire="%d B" % session.link.wire_bytes)

    steps = plan(changed)
    written = sorted({p.index for step in steps for p in step.pieces})
    progress.begin("write", len(written))
    _write_steps(session, steps, result, progress, len(target))

    # Verify every page written (the others matched a moment ago).  Pages that did
    # not take are written once more, then every written page is checked again: a
    # rewrite can break a page that had verified.
    bad = _verify(session, parts, host, written, progress)
    if bad:
        result.rewritten += len(bad)
        steps = plan(bad)
        written = sorted(set(written) | {p.index for step in steps for p in step.pieces})
        progress.begin("rewrite", len(bad))
        _write_steps(session, steps, result, progress, len(target))
        bad = _verify(session, parts, host, written, progress)
    if bad:
        regions = planner.describe(parts, bad, page, fs_offset, sb_size)
        where = "; ".join("%s pages %s" % (r, ", ".join(map(str, p[:12])) + (" ..." if len(p) > 12 else ""))
                          for r, p in regions.items())
        raise DeviceError("%d of %d pages still differ after writing them twice (%s)" % (len(bad), len(parts), where),
                          hint="writes that never stick: is the EEPROM write-protected (WC pin), or is it "
                               "smaller than the image, or are its pages smaller than %d bytes?" % page)
    result.wire_bytes = session.link.wire_bytes  # the whole session: probes and helper too
    result.seconds = time.monotonic() - began
    return result


def flash_image(session, data, progress, force=False, dictionary=None):
    """Check `data` is a good image that fits, then program it: (Image, Result).
    `dictionary`: the preset dictionary the image names, if not one eerom knows."""
    image = Image.from_bytes(data, dictionary=dictionary)  # never write an image the badge would refuse
    data = image.to_bytes()
    if len(data) > session.capacity:
        what = "this EEPROM holds" if session.addrsize == 8 else "2-byte memory addresses reach"
        raise FitError("%s %d bytes, the image needs %d: use a bigger part" % (what, session.capacity, len(data)),
                       hint="or build the app for this part (eerom build --part ...)")
    current = session.header()
    if current is not None and current.total_size < len(data) and not force:
        raise FitError("the EEPROM's header says it holds %d bytes, the image needs %d"
                       % (current.total_size, len(data)),
                       hint="use a bigger part, or --force if that header is wrong")
    page = image.header.page_size
    if current is not None and current.page_size < page:
        page = current.page_size  # writing in smaller pages is always safe
    session.page = page
    if session.on_board:
        try:
            return image, program_on_board(session, image, data, progress, force)
        except BoardOutOfMemory:
            # eerom.program() allocates all it needs before its first write, and the
            # exec that calls it holds the whole image: nothing was written.  The
            # host's route needs a page's worth of RAM on the board.
            progress.note("the board has too little RAM to write the image itself: "
                          "the host writes it page by page")
    data = keep_fill(session, image, data)
    result = program(session, data, progress, image.header.fs_offset, image.superblock.sb_size)
    return image, result


# Bytes between two differing pieces sent anyway rather than starting another run
# (a run costs about this much code on the wire).
RUN_GAP = 24
# The host compares with the board's by pieces of at least a page, and of as many
# pages as keep the digests below this many (4 bytes each, base64 on the wire): an
# unchanged image then costs a few digests.  Where pieces differ over more than
# REFINE bytes, page digests of those pieces follow (one more round trip), so that
# only the pages that differ are sent.
DIGEST_PIECES = 4
REFINE = 1024


def digest_span(data):
    """(length, piece size) of the digests program_on_board() compares `data` by, or
    None if `data` is not an image (flash_image() says what is wrong with it)."""
    if data is None:
        return None
    try:
        header = Header.unpack(bytes(data[:HEADER_SIZE]))
        image = Image.from_bytes(data)
    except ImageError:
        return None
    n = len(image.to_bytes())
    piece = header.page_size
    while piece < 512 and (n + piece - 1) // piece > DIGEST_PIECES:
        piece *= 2
    return n, piece


def program_on_board(session, image, data, progress, force=False):
    """flash_image()'s programming, done by the board's eerom.program(): compare by
    page digests (one round trip; none onto an EEPROM without a header), then one
    exec with the differing pieces, which the board completes from the EEPROM,
    checks, writes in SPEC order and verifies.  Returns a Result."""
    began = time.monotonic()
    link = session.link
    page = image.header.page_size
    parts = planner.pieces(len(data), page)
    current = session.header()
    send = [(p.start, p.end) for p in parts]
    progress.begin("compare", len(parts))
    if current is not None:
        span = digest_span(data)
        send = _differing(link, data, *span)
        if sum(b - a for a, b in send) > REFINE and span[1] > page:
            send = [r for a, b in send for r in _differing(link, data, b - a, page, a)]
        if current.fs_offset == image.header.fs_offset:  # the board keeps [32, fs_offset) (keep_fill)
            send = [(a, b) for a, b in send if not (a >= HEADER_SIZE and b <= current.fs_offset)]
    progress.advance(len(parts), wire="%d B" % link.wire_bytes)
    result = Result(len(parts))
    if send:
        runs = []
        for start, end in send:
            if runs and start - runs[-1][1] <= RUN_GAP:
                runs[-1][1] = end
            else:
                runs.append([start, end])
        try:
            pages, changed, written, rewritten = link.program(
                len(data), [(a, data[a:b]) for a, b in runs], force, progress)
        except DeviceError as e:
            if _short_of_ram_to_carry(e, image):
                raise BoardOutOfMemory() from None
            raise _board_error(e, len(data)) from None
        result.pages, result.changed, result.written, result.rewritten = pages, changed, written, rewritten
        result.steps = 1
        result.encodings = {"base64": len(runs)}
    result.wire_bytes = link.wire_bytes
    result.seconds = time.monotonic() - began
    return result


class BoardOutOfMemory(Exception):
    """The command that carries the image to eerom.program() ran out of RAM on the
    board: before any write."""


def _short_of_ram_to_carry(e, image):
    """Whether the board's MemoryError came from carrying the image (the command's text,
    the decoded bytes, program()'s copy), not from inflating it for the check: an image
    whose inflated size does not fit would not mount either, and is refused."""
    text = getattr(e, "device_message", "") or str(e)
    if "MemoryError" not in text:
        return False
    m = re.search(r"allocating (\d+) bytes", text)
    return m is None or int(m.group(1)) < image.superblock.image_size


def _differing(link, data, n, piece, at=0):
    """[(start, end)] of the pieces of [at, at + n) that the EEPROM does not hold as
    `data` does, by the board's page digests (those prefetched with the connection
    when they are the ones)."""
    parts = planner.pieces(n, piece, at)
    device = link.page_digests(at, n, piece)
    if len(device) != len(parts):  # the bus does not reach that far: send it all
        return [(p.start, p.end) for p in parts]
    return [(p.start, p.end) for p, d in zip(parts, device) if fnv1a(data[p.start:p.end]) != d]


def _board_error(e, length):
    """The error for an OSError eerom.program() raised (its message names the check)."""
    text = getattr(e, "device_message", "") or str(e)
    m = re.search(r"eerom: this part holds (\d+) B", text) or re.search(r"eerom: the bus addresses (\d+) B", text)
    if m:
        return FitError("this EEPROM holds %d bytes, the image needs %d: use a bigger part" % (int(m.group(1)), length),
                        hint="or build the app for this part (eerom build --part ...)")
    m = re.search(r"header says the part holds (\d+) B", text)
    if m:
        return FitError("the EEPROM's header says it holds %d bytes, the image needs %d" % (int(m.group(1)), length),
                        hint="use a bigger part, or --force if that header is wrong")
    if "stayed busy" in text:
        return DeviceError("the EEPROM stayed busy after a page write",
                           hint="a part whose write cycle never ends is broken or not an EEPROM")
    m = re.search(r"eerom: (\d+) pages differ after 2 writes: (.*?)'?\)?$", text)
    if m:
        return DeviceError("%s pages still differ after writing them twice (pages %s)" % (m.group(1), m.group(2)),
                           hint="writes that never stick: is the EEPROM write-protected (WC pin), or is it "
                                "smaller than the image?")
    if "page write at" in text:
        return DeviceError("the EEPROM refused data: it is write-protected (%s)" % text,
                           hint="release its write-control (WC) pin")
    if "MemoryError" in text or re.search(r"eerom: [a-z-]+:", text):
        return DeviceError("the board refuses the image before writing anything: %s" % text,
                           hint="its eerom module checks more than the host can (an older module, or "
                                "too little RAM for the inflated image?); --host-writes needs less RAM")
    return e


def keep_fill(session, image, data):
    """`data` with the bytes between the header and fs_offset that the EEPROM holds
    now, when its header has the same fs_offset: readers ignore them (SPEC section 2),
    and some makers keep their own data there (an extended header at 0x20)."""
    fs_offset = image.header.fs_offset
    current = session.header()
    if fs_offset <= HEADER_SIZE or current is None or current.fs_offset != fs_offset:
        return data
    kept = session.link.read(HEADER_SIZE, fs_offset - HEADER_SIZE)
    return data[:HEADER_SIZE] + kept + data[fs_offset:]


def read_all(session, size, progress, chunk=1024):
    out = bytearray()
    progress.begin("read", size)
    while len(out) < size:
        n = min(chunk, size - len(out))
        out += session.link.read(len(out), n)
        progress.advance(n, wire="%d B" % session.link.wire_bytes)
    return bytes(out)


def verify(session, data, progress, dictionary=None):
    """Compare the EEPROM with the image `data`, page by page: (Image, {region: [page
    numbers]} of the pages that differ, empty when it holds the image)."""
    image = Image.from_bytes(data, dictionary=dictionary)
    data = keep_fill(session, image, image.to_bytes())
    session.page = image.header.page_size
    parts = planner.pieces(len(data), session.page)
    progress.begin("verify", len(parts))
    _, bad = _compare(session, data, parts)
    progress.advance(len(parts), bad=len(bad))
    return image, planner.describe(parts, bad, session.page, image.header.fs_offset, image.superblock.sb_size)


def erase(session, size, progress):
    """Make every byte 0xff, skipping pages already blank; an eerom image is refused
    from the first write on (its superblock magic goes first)."""
    current = session.header()
    fs_offset = current.fs_offset if current is not None and current.fs_offset < size else None
    if current is not None:
        session.page = current.page_size
    return program(session, b"\xff" * size, progress, fs_offset, magic_first=True)


def cost(old, new, dictionary=None):
    """What flashing `new` over `old` would cost: (parts, changed indices, image)."""
    image = Image.from_bytes(new, dictionary=dictionary)
    new = image.to_bytes()
    old = bytes(old)[:len(new)] + b"\xff" * max(0, len(new) - len(old))
    parts = planner.pieces(len(new), image.header.page_size)
    changed = [i for i, p in enumerate(parts) if old[p.start:p.end] != new[p.start:p.end]]
    return parts, changed, image
