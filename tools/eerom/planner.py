"""What to write, and in which order, to turn an EEPROM's contents into an image.

The unit is the page-aligned piece: [0, n) cut at every page boundary.  The board
reports a digest per piece (link.digest); pieces whose digest differs from the
image's are written, and only those.  The order follows docs/SPEC.md section 9, so
that an interruption at any point leaves something readers refuse and a rerun
completes it:

1. invalidate: if the piece holding the superblock magic changes, overwrite the
   magic first (4 bytes that are not the magic), so the old image is refused from
   now on;
2. header: changed pieces before fs_offset;
3. payload: changed pieces after the superblock;
4. superblock: changed superblock pieces other than the magic's;
5. commit: the piece holding the magic, last.

The magic's piece is rewritten (invalidated first, committed last) whenever the plan
writes more than one piece, even if it did not change: a write of several pages is
not atomic, and a header split over pages can pass its checksum half-written.  It is
also rewritten whenever a piece at or beyond WRAP_CHECK_FROM is written, because
flash.py checks through the invalidation that the part is as big as the image.
"""

from .header import HEADER_SIZE

PHASES = ("invalidate", "header", "payload", "superblock", "commit")
WRAP_CHECK_FROM = 1024  # the smallest EEPROM size flash.py checks for


class Piece:
    def __init__(self, index, start, end):
        self.index = index
        self.start = start
        self.end = end

    def __repr__(self):
        return "Piece(%d, %#x..%#x)" % (self.index, self.start, self.end)


def pieces(n, page, start=0):
    """Page-aligned pieces covering [start, start + n)."""
    out = []
    at, end = start, start + n
    while at < end:
        stop = min(end, (at // page + 1) * page)
        out.append(Piece(len(out), at, stop))
        at = stop
    return out


def digests(data, parts, digest):
    """digest(piece bytes) for each piece: the host side of the board's digests()."""
    return [digest(data[p.start:p.end]) for p in parts]


class Step:
    def __init__(self, phase, start, data, pieces=()):
        self.phase = phase
        self.start = start
        self.data = data
        self.pieces = list(pieces)  # the Pieces this step writes

    def __repr__(self):
        return "Step(%s, %#x, %d B)" % (self.phase, self.start, len(self.data))


def plan(image, page, changed, fs_offset=None, sb_size=24, batch=1024, magic_first=False,
         invalidate=b"\0\0\0\0"):
    """Steps that write the `changed` pieces (indices) of `image`, and the magic's
    piece where the rule above says so.

    fs_offset None: no eerom superblock in the target (plain data, e.g. erase).
    invalidate: the 4 bytes the invalidate step writes over the magic.
    magic_first: write the magic piece first instead of last (erase: the old image
    is refused as soon as possible)."""
    parts = pieces(len(image), page)
    changed = sorted(set(changed))
    phase_of = {}
    magic = None
    if fs_offset is not None and fs_offset < len(image):
        magic = fs_offset // page
        sb_end = fs_offset + sb_size
        if not magic_first and magic not in changed and (
                len(changed) > 1 or any(parts[i].end > WRAP_CHECK_FROM for i in changed)):
            changed = sorted(changed + [magic])
    for i in changed:
        p = parts[i]
        if magic is None:
            phase_of[i] = "payload"
        elif i == magic:
            phase_of[i] = "commit"
        elif p.end <= fs_offset:
            phase_of[i] = "header"
        elif p.start < sb_end:
            phase_of[i] = "superblock"
        else:
            phase_of[i] = "payload"
    steps = []
    if magic is not None and magic in changed and not magic_first:
        assert len(invalidate) == 4 and invalidate != image[fs_offset:fs_offset + 4]
        steps.append(Step("invalidate", fs_offset, invalidate))
    order = ("commit", "header", "payload", "superblock") if magic_first else PHASES[1:]
    for phase in order:
        run = []
        for i in changed:
            if phase_of[i] != phase:
                continue
            p = parts[i]
            # Consecutive pieces of one phase go in one step, up to `batch` bytes.
            if run and (run[-1].end != p.start or p.end - run[0].start > batch):
                steps.append(_step(phase, image, run))
                run = []
            run.append(p)
        if run:
            steps.append(_step(phase, image, run))
    return steps


def _step(phase, image, run):
    return Step(phase, run[0].start, image[run[0].start:run[-1].end], run)


def describe(parts, changed, page, fs_offset=None, sb_size=24):
    """Which regions the changed pieces fall in: {region: [page numbers]}."""
    regions = {}
    for i in sorted(changed):
        p = parts[i]
        if fs_offset is None:
            region = "data"
        elif p.end <= HEADER_SIZE:
            region = "header"
        elif p.end <= fs_offset:
            region = "fill"
        elif p.start < fs_offset + sb_size:
            region = "superblock"
        else:
            region = "payload"
        regions.setdefault(region, []).append(p.start // page)
    return regions
