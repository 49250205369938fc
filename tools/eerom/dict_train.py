"""Train a preset dictionary (docs/SPEC.md section 5.2) from code the badge already carries.

    samples(paths)              ROMFS images of the Python under some folders, compiled
                                as the registry compiles apps
    train(samples, size)        a dictionary of at most `size` bytes (COVER, below)
    badge_dictionary(dir, size) the recipe of tools/eerom/dicts/tildagon-v1.bin:
                                train(samples([dir]), size) with the default parameters

`eerom dict train BADGE/modules --size 16384 -o tools/eerom/dicts/tildagon-v1.bin`
runs the recipe; tests/host/test_dict_train.py checks it reproduces the committed file.

What the dictionary is for
--------------------------
A preset dictionary is history that the encoder and the badge both hold: a back-reference
in an image may reach into it.  Small apps gain most: each starts with an empty window and
pays again for the names, qstrs and bytecode idioms every badge app shares.  The training
data is public code the badge already runs: the badge OS's own modules
(badge-2024-software/modules), never an app the dictionary is evaluated on.

Samples
-------
`samples()` compiles every .py as `eerom build` compiles a registry app (mpy-cross -O3,
-march=xtensawin, the file's name alone as its source name: eerom.mpy.compile_source's
defaults) and yields one ROMFS image per folder that holds Python, made of that folder's
own modules (`name.mpy`; subfolders are samples of their own), exactly as eerom.romfs.write
lays out an app.  So the dictionary also learns what an image holds besides bytecode: the
ROMFS header and file records, and names such as `app.mpy` and `__init__.mpy` next to
the .mpy header that follows them.  Files and folders that `eerom build` leaves out of an
app (hidden ones, __pycache__, editor leftovers) are left out here too.

The trainer: COVER
------------------
The algorithm of zstd's dictionary builder (Liu, Cyan, Huang, "Effective construction of
relative Lempel-Ziv dictionaries", 2016), in plain Python:

1. Concatenate the samples.  Every d-byte substring ("d-mer", d = 4) gets a frequency:
   the number of samples that contain it.  A d-mer found in one sample only is scored 0:
   it says nothing about other apps.
2. Cut the concatenation into epochs, enough that each epoch is visited `rounds` times
   while the dictionary fills (and each is at least 10 segments long), as zstd does.
   Visit the epochs in turn; in each, slide a k-byte window (k = 64) and take the window
   whose distinct d-mers have the largest total frequency (the first such window on a
   tie), trimmed of zero-frequency d-mers at both ends.  Set the frequency of every d-mer
   in the chosen segment to 0, so that nothing is paid for twice.
3. Stop when the dictionary is full or no epoch has a segment of positive score left.

Segments are placed from the END of the dictionary backwards, so that the first chosen
(the best of its epoch, chosen while every frequency was still intact) sit nearest the
image: deflate codes short distances in fewer bits, and zlib ignores 3-byte matches more
than 4 KiB back.  k, d and rounds were chosen by 4-fold cross-validation within the badge
modules (folders held out in turn); docs/BENCHMARKS.md has the resulting size curve on
apps that none of the training data came from.

Deterministic: no randomness, no dependence on hash or directory order (d-mers are
numbered in order of first appearance; folders and files are visited in sorted order), so
the same input gives the same bytes.  The input depends on the mpy-cross that compiles
it: RECIPE_MPY_CROSS names the one the committed dictionary was made with.
"""

import os
from array import array

from . import mpy, romfs
from .builder import skipped
from .dictionary import MAX_SIZE
from .errors import UsageError
from .fileio import read_file

K = 64  # segment length (bytes)
D = 4  # d-mer length (bytes)
ROUNDS = 8  # times each epoch is visited while the dictionary fills
MIN_EPOCH_SEGMENTS = 10  # an epoch holds at least this many segments (zstd's minimum)

# The recipe of dicts/tildagon-v1.bin: badge_dictionary(BADGE/modules, RECIPE_SIZE), compiled
# by this mpy-cross (`mpy-cross --version`), from badge-2024-software at this commit.
RECIPE_SIZE = 16384
RECIPE_MPY_CROSS = "MicroPython v1.26.1 on 2025-09-13; mpy-cross emitting mpy v6.3"
RECIPE_BADGE_COMMIT = "a412e00"


def _folders(root):
    """(relative folder, absolute folder, sorted file names) under root, in sorted order."""
    out = []

    def visit(folder, rel):
        names = sorted(os.listdir(folder))
        files = [n for n in names if not skipped(n) and os.path.isfile(os.path.join(folder, n))]
        out.append((rel, folder, files))
        for n in names:
            full = os.path.join(folder, n)
            if not skipped(n) and os.path.isdir(full) and not os.path.islink(full):
                visit(full, rel + n + "/")

    visit(root, "")
    return out


class Samples:
    """The samples of some folders (see samples()): iterable, compiled as iterated."""

    def __init__(self, paths, mpy_cross=None, opt=3, arch=mpy.BADGE_ARCH):
        self.paths = [os.fspath(p) for p in paths]
        self.mpy_cross, self.opt, self.arch = mpy_cross, opt, arch

    def __iter__(self):
        binary = self.mpy_cross or mpy.default_mpy_cross()
        for path in self.paths:
            if not os.path.isdir(path):
                raise UsageError("%s is not a folder" % path, hint="give folders of Python modules to train on")
            for rel, folder, files in _folders(path):
                tree = {}
                for name in files:
                    if name.endswith(".py"):
                        data = read_file(os.path.join(folder, name))
                        tree[name[:-3] + ".mpy"] = mpy.compile_source(data, rel + name, binary, self.opt, self.arch)
                if tree:
                    yield romfs.write(tree)

    def __str__(self):
        return ", ".join(self.paths)


def samples(paths, mpy_cross=None, opt=3, arch=mpy.BADGE_ARCH):
    """The training samples (an iterable of bytes) of some folders: for each folder in
    `paths`, and every folder below, in sorted order, the ROMFS image of the .py files
    directly in it, each compiled as the registry compiles it (eerom.mpy.compile_source(
    source, path) with its defaults: -O3, xtensawin, the file's name alone) and stored as
    NAME.mpy.  Folders without Python give nothing.  A file mpy-cross cannot compile
    raises BuildError, a path that is not a folder UsageError (while iterating)."""
    return Samples(paths, mpy_cross, opt, arch)


def _dmers(samples, d):
    """(concatenation, d-mer number at each position or -1, frequency of each d-mer)."""
    buf = bytearray()
    ids = array("i")
    table = {}
    freq = array("i")
    last = array("i")  # the last sample each d-mer was seen in
    for s, sample in enumerate(samples):
        sample = bytes(sample)
        buf += sample
        for i in range(len(sample) - d + 1):
            key = sample[i:i + d]
            j = table.get(key)
            if j is None:
                j = table[key] = len(freq)
                freq.append(0)
                last.append(-1)
            ids.append(j)
            if last[j] != s:
                last[j] = s
                freq[j] += 1
        ids.extend([-1] * min(len(sample), d - 1))  # no d-mer starts this close to the end
    for j in range(len(freq)):
        if freq[j] < 2:
            freq[j] = 0
    return bytes(buf), ids, freq


def _select(ids, freq, begin, end, k, d):
    """COVER's best segment in [begin, end): (start, stop) of its d-mers, or None."""
    w = k - d + 1  # d-mers in a window of k bytes
    active = {}  # d-mer -> occurrences in the window
    score = best = 0
    start = -1
    for i in range(begin, end):
        j = ids[i]
        if j >= 0:
            c = active.get(j, 0)
            if not c:
                score += freq[j]
            active[j] = c + 1
        o = i - w
        if o >= begin:
            j = ids[o]
            if j >= 0:
                c = active[j] - 1
                if c:
                    active[j] = c
                else:
                    del active[j]
                    score -= freq[j]
        if score > best:
            best, start = score, max(begin, i - w + 1)
    if start < 0:
        return None
    stop = min(end, start + w)
    while start < stop and (ids[start] < 0 or not freq[ids[start]]):
        start += 1
    while stop > start and (ids[stop - 1] < 0 or not freq[ids[stop - 1]]):
        stop -= 1
    for i in range(start, stop):
        if ids[i] >= 0:
            freq[ids[i]] = 0
    return start, stop


def train(samples, size, k=K, d=D, rounds=ROUNDS):
    """A preset dictionary of at most `size` bytes (1..32768) from an iterable of samples
    (bytes), by COVER (see the module's docstring).  Shorter than `size` only when the
    samples have nothing more that two of them share."""
    if not 0 < size <= MAX_SIZE:
        raise UsageError("a preset dictionary holds 1 to %d bytes, not %d" % (MAX_SIZE, size))
    if not 2 <= d < k:
        raise UsageError("COVER needs 2 <= d < k (d=%d, k=%d)" % (d, k))
    buf, ids, freq = _dmers(samples, d)
    n = len(buf)
    where = samples if isinstance(samples, Samples) else "the samples"
    if not n:
        raise UsageError("no training data in %s" % where, hint="give folders that hold Python modules")
    epochs = max(1, size // (k * rounds))
    epoch_size = n // epochs
    if epoch_size < k * MIN_EPOCH_SEGMENTS:
        epoch_size = min(k * MIN_EPOCH_SEGMENTS, n)
        epochs = max(1, n // epoch_size)
    segments = []  # in the order chosen; the first ends the dictionary
    room = size
    epoch = idle = 0
    while room > 0 and idle < epochs:
        begin = epoch * epoch_size
        end = n if epoch == epochs - 1 else begin + epoch_size
        epoch = (epoch + 1) % epochs
        found = _select(ids, freq, begin, end, k, d)
        if found is None:
            idle += 1
            continue
        idle = 0
        start, stop = found
        length = min(stop - start + d - 1, room)
        room -= length
        segments.append(buf[start:start + length])
    if not segments:
        raise UsageError("nothing in %s repeats from one sample to another: no dictionary to make of it" % where,
                         hint="train on more folders of modules: a sample is a folder's modules, and only "
                              "what two samples share goes into the dictionary")
    return b"".join(reversed(segments))


def badge_dictionary(badge_modules_dir, size=RECIPE_SIZE, mpy_cross=None):
    """The recipe of the badge's dictionary (dicts/tildagon-v1.bin, with size RECIPE_SIZE):
    COVER with the default parameters over the badge OS's modules folder
    (badge-2024-software/modules), compiled by the pinned mpy-cross."""
    return train(samples([badge_modules_dir], mpy_cross), size)


def mpy_cross_version(binary=None):
    """`mpy-cross --version` of the compiler samples() uses (the recipe depends on it)."""
    import subprocess

    binary = binary or mpy.default_mpy_cross()
    return subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
