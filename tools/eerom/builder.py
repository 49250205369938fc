"""Turn an app folder (or an existing .romfs) into an eerom image for one EEPROM part."""

import os

from . import compress, mpy, romfs
from .errors import BuildError, ImageError, UsageError
from .fileio import read_file
from .header import Header
from . import dictionary as dictionaries
from .image import METHOD_DEFLATE, SB_SIZE_DICT, SB_SIZE_V1, Image
from .manifest import MANIFEST_NAME, REGISTRY_EXCLUDED

# Never part of an app: hidden files (.DS_Store, .git, editor swap files) are
# skipped by their leading dot, and these by name or ending.
SKIP_NAMES = {"__pycache__", "Thumbs.db", "desktop.ini"}
SKIP_SUFFIXES = (".pyc", ".pyo", "~", ".bak", ".orig", ".rej")


def skipped(name):
    return (name.startswith(".") or name in SKIP_NAMES or name.endswith(SKIP_SUFFIXES)
            or (name.startswith("#") and name.endswith("#")))  # an Emacs autosave


class BuiltFile:
    def __init__(self, path, source_size, data, how):
        self.path = path  # path inside the image, '/'-separated
        self.source_size = source_size  # bytes in the app folder
        self.data = data  # bytes stored in the ROMFS
        self.how = how  # "compiled", "kept", "data", "romfs", "source" (native code, --arch none)
        self.marginal = None  # deflated bytes this file costs (filled by marginal_costs)


class Build:
    def __init__(self, part, files, romfs_image, image, method_label, warnings, layout="solid", left_out=()):
        self.layout = layout
        self.left_out = list(left_out)  # paths in the folder that are not part of the app
        self.use_mpy = "USE_MPY" in self.left_out  # the registry ships this app compiled
        self.dictionary = None  # the preset dictionary the payload was deflated with
        self.dictionary_saved = 0  # image bytes that saved
        self.part = part
        self.files = files
        self.romfs = romfs_image
        self.image = image
        self.method_label = method_label
        self.warnings = warnings

    @property
    def size(self):
        return self.image.size

    @property
    def fits(self):
        return self.size <= self.part.size


def is_romfs_file(path):
    """Does `path` name a ROMFS image file (as `mpremote romfs build` writes)?"""
    if not os.path.isfile(path):  # a pipe would block the read below
        return False
    try:
        with open(path, "rb") as f:
            return f.read(3) == romfs.HEADER
    except OSError:  # not a readable file: the caller's own read says why
        return False


def default_opt(appdir):
    """mpy-cross's -O for an app folder: 3, as the registry compiles with USE_MPY; but 0
    for a registry folder without USE_MPY, which the registry ships as source that the
    badge compiles with asserts and line numbers (-O3 would drop the asserts: another
    program)."""
    registry = os.path.isfile(os.path.join(appdir, MANIFEST_NAME))
    return 0 if registry and not os.path.isfile(os.path.join(appdir, "USE_MPY")) else 3


def collect(appdir, keep_py=False, mpy_cross=None, opt=None, arch=mpy.BADGE_ARCH, full_names=False,
            left_out=None):
    """Read an app folder into ({name: bytes | dict}, [BuiltFile], warnings).

    A registry folder (one with an eeprom.json) leaves out what the registry leaves
    out of its tarballs (manifest.REGISTRY_EXCLUDED, at any depth); hidden files and
    editor leftovers are always left out.  Their paths are appended to `left_out`.
    With arch "none", a source with native code is stored as source."""
    if not os.path.exists(appdir):
        raise UsageError("%s does not exist" % appdir, hint="give the folder that holds your app.py")
    if not os.path.isdir(appdir):
        raise UsageError("%s is neither a folder nor a .romfs image" % appdir,
                         hint="give the folder that holds your app.py, or a .romfs made by `mpremote romfs build`")
    tree, files, warnings = {}, [], []
    binary = None if keep_py else (mpy_cross or mpy.default_mpy_cross())
    excluded = REGISTRY_EXCLUDED if os.path.isfile(os.path.join(appdir, MANIFEST_NAME)) else ()
    left_out = [] if left_out is None else left_out
    opt = default_opt(appdir) if opt is None else opt
    root = os.path.realpath(appdir)

    def visit(folder, rel, node, depth):
        if depth > romfs.MAX_DEPTH:
            raise UsageError("%s is %d folders deep; the badge reads at most %d" % (rel, depth, romfs.MAX_DEPTH),
                             hint="flatten the app's folders, or remove a link that loops back to a parent")
        try:
            names = sorted(os.listdir(folder))
        except OSError as e:
            raise UsageError("cannot list %s: %s" % (folder, e.strerror or e)) from None
        for name in names:
            full = os.path.join(folder, name)
            inner = rel + name
            if skipped(name) or name in excluded:
                left_out.append(inner + ("/" if os.path.isdir(full) else ""))
                continue
            if not os.path.isdir(full) and not os.path.isfile(full):
                raise UsageError("%s is not a regular file or folder (a broken link, a device, a pipe?)" % full,
                                 hint="remove it from the app folder")
            target = os.path.realpath(full)
            if os.path.islink(full) and target != root and not target.startswith(root + os.sep):
                # the registry's tar would store the link, not what it points to
                raise UsageError("%s is a link to %s, outside the app folder" % (full, target),
                                 hint="copy the file into the app folder, or remove the link")
            if os.path.isdir(full):
                sub = {}
                visit(full, inner + "/", sub, depth + 1)
                node[name] = sub
                continue
            data = read_file(full)
            if name.endswith(".py") and not keep_py:
                target = name[:-3] + ".mpy"
                if os.path.isdir(os.path.join(folder, target)):
                    raise UsageError("%s compiles to %s, but %s/ is a folder" % (inner, rel + target, rel + target),
                                     hint="rename the folder %s/, or pass --keep-py to store %s as source"
                                          % (rel + target, inner))
                if len(target.encode("utf-8", "surrogateescape")) > romfs.MAX_NAME:
                    raise UsageError("%s: its .mpy name would be longer than the %d bytes of a ROMFS name"
                                     % (inner, romfs.MAX_NAME),
                                     hint="shorten the file name, or pass --keep-py to store the source")
                if os.path.isfile(os.path.join(folder, target)):
                    warnings.append("%s and %s both exist: using the compiled %s"
                                    % (inner, rel + target, inner))
                try:
                    node[target] = mpy.compile_source(data, inner, binary, opt, arch, full_names)
                except mpy.NeedsArch as e:
                    if arch != "none":
                        raise
                    warnings.append("%s has native code: stored as source (--arch none), which the board "
                                    "compiles at import, in RAM" % inner)
                    node[name] = data
                    files.append(BuiltFile(inner, len(data), data, "source"))
                    continue
                files.append(BuiltFile(rel + target, len(data), node[target], "compiled"))
            elif name.endswith(".mpy"):
                if os.path.isfile(full[:-4] + ".py") and not keep_py:
                    continue  # replaced by the compiled source above
                ok, text = mpy.describe(data)
                if not ok:
                    raise BuildError("%s: %s" % (inner, text), hint="rebuild it with mpy-cross 1.23 or newer")
                native = mpy.mpy_arch(data)
                if native and (arch == "none" or not mpy.loads_on(arch, native)):
                    raise BuildError("%s holds %s native code, which %s cannot run" % (
                        inner, native, "an image without machine code (--arch none)" if arch == "none" else
                        "the badge (xtensawin)" if arch == mpy.BADGE_ARCH else "--arch " + arch),
                        hint="build the .mpy again from its source for %s, or ship the source" % arch)
                node[name] = data
                files.append(BuiltFile(inner, len(data), data, "kept"))
            else:
                node[name] = data
                files.append(BuiltFile(inner, len(data), data, "kept" if name.endswith(".py") else "data"))

    visit(appdir, "", tree, 0)
    if not files:
        raise UsageError("%s holds no files" % appdir, hint="an app folder holds at least app.py")
    if not ({"app.py", "app.mpy"} & set(tree)):
        warnings.append("no app.py or app.mpy at the top: the badge imports hexpansion_N.app")
    return tree, files, warnings


LAYOUTS = ("solid", "paged", "auto")


def build(source, part, vid, pid, name="", unique_id=0, manifest_version=b"2024",
          keep_py=False, mpy_cross=None, opt=None, effort="best", layout="solid", arch=mpy.BADGE_ARCH,
          full_names=False, dictionary="auto"):
    """Build an image from an app folder or a .romfs file.  Does not check the fit.

    layout "solid": one deflate stream over the whole ROMFS, the smallest image.
    layout "paged": every file compressed alone and page-aligned on the part, so that
    reflashing after a change to one file rewrites few pages (compress.paged).
    layout "auto": paged if that image fits the part, else solid (what `eerom flash`
    does with an app folder).
    Sources compile as the registry compiles them (-O3, or default_opt(); native code
    for `arch`; tracebacks naming the file alone unless `full_names`).
    `dictionary`: "auto" deflates with the badge firmware's preset dictionary as history
    when that makes the image smaller (solid layout only), "none" never, or the bytes
    of another dictionary to deflate with."""
    if layout not in LAYOUTS:
        raise UsageError("unknown layout %r" % layout, hint="use %s" % ", ".join(LAYOUTS))
    if is_romfs_file(source):
        romfs_image = _trim_romfs(read_file(source))
        try:
            root = romfs.check(romfs_image)
        except ImageError as e:
            raise UsageError("%s: %s" % (source, e.message),
                             hint="make it again with `mpremote romfs build`, or give the app folder") from None
        files = [BuiltFile(path, len(f.data), f.data, "romfs") for path, f in romfs.walk_files(root)]
        warnings, left_out = [], []
        tree = _tree_of(files)
    else:
        left_out = []
        tree, files, warnings = collect(source, keep_py, mpy_cross, opt, arch, full_names, left_out)
        romfs_image = romfs.write(tree)
    header = Header.for_part(part, vid, pid, name, unique_id, manifest_version)
    header.pack()  # raises UsageError on a bad field before the slow compression
    for chosen in (("paged", "solid") if layout == "auto" else (layout,)):
        enc = _encode(tree, romfs_image, part, chosen, effort, dictionary)
        if chosen == "paged" and not isinstance(dictionary, str):
            warnings.append("the paged layout compresses every file alone, with no preset dictionary: "
                            "--dict FILE is not used (--layout solid uses it)")
        elif enc.dictionary is not None and enc.saved < 0:
            warnings.append("the preset dictionary makes this image %d B bigger than --dict none would"
                            % -enc.saved)
        image = Image.create(header, enc.romfs, enc.payload, enc.method,
                             dict_id=None if enc.dictionary is None else dictionaries.dict_id(enc.dictionary))
        if image.size <= part.size:
            break
    # Self-check: what we wrote must read back through the full checker.
    Image.from_bytes(image.to_bytes(), max_image_size=max(len(enc.romfs), 1), check_part_size=False,
                     dictionary=enc.dictionary)
    result = Build(part, files, enc.romfs, image, enc.label, warnings, chosen, left_out)
    result.dictionary, result.dictionary_saved = enc.dictionary, enc.saved
    return result


class Encoding:
    """A ROMFS image and its payload: `dictionary` the preset dictionary it was
    deflated with (None: none), `saved` the image bytes that saved."""

    def __init__(self, romfs_image, payload, method, label, dictionary=None, saved=0):
        self.romfs = romfs_image
        self.payload = payload
        self.method = method
        self.label = label
        self.dictionary = dictionary
        self.saved = saved


def _encode(tree, romfs_image, part, layout, effort, dictionary="auto"):
    """The Encoding of `tree` in `layout` on `part`.  The paged layout compresses every
    file alone, so it never takes a dictionary (SPEC section 5.1)."""
    if layout == "paged":
        paged_image, paged_payload = compress.paged(tree, part.page, part.fs_offset + SB_SIZE_V1)
        if len(paged_payload) < len(paged_image):
            return Encoding(paged_image, paged_payload, METHOD_DEFLATE, "zlib-9 per file")
    method, payload, label = compress.best(romfs_image, effort)
    plain = Encoding(romfs_image, payload, method, label)
    if dictionary == "none" or layout == "paged":  # a paged image that stores its files: still none
        return plain
    history = dictionaries.builtin() if dictionary == "auto" else dictionary
    method, payload, label = compress.best(romfs_image, effort, history)
    # The dictionary's identifier makes the superblock 4 bytes longer.
    saved = len(plain.payload) - len(payload) - (SB_SIZE_DICT - SB_SIZE_V1)
    if method == METHOD_DEFLATE and (dictionary != "auto" or saved > 0):
        return Encoding(romfs_image, payload, method, label, history, saved)
    return plain


def _trim_romfs(raw):
    """A .romfs read from a partition may carry padding after the filesystem record."""
    try:
        _, _, end = romfs._record(memoryview(raw), 0, len(raw))
    except Exception:
        return raw  # let romfs.check() report it
    return raw[:end]


def marginal_costs(build, effort="best"):
    """For each file, how many bytes the solid payload would lose without it (with the
    build's dictionary, if it took one).

    Uses the build's effort for up to 16 files (so a one-file app's cost is its solid
    payload), zlib -9 beyond that to keep the report quick."""
    if len(build.files) > 16:
        effort = "fast"

    def size(files):
        if not files:
            return 0
        return len(compress.best(romfs.write(_tree_of(files)), effort, build.dictionary)[1])

    whole = size(build.files)
    for f in build.files:
        f.marginal = whole - size([g for g in build.files if g is not f])


def _tree_of(files):
    tree = {}
    for f in files:
        parts = f.path.split("/")
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = f.data
    return tree


def parse_int(text, what, bits=16):
    try:
        value = int(text, 0)
    except (TypeError, ValueError):
        raise UsageError("%s %r is not a number" % (what, text), hint="use decimal or 0x-prefixed hex") from None
    if not 0 <= value < 1 << bits:
        raise UsageError("%s %s is out of range 0 .. 0x%X" % (what, text, (1 << bits) - 1),
                         hint="the header holds it in %d bits" % bits)
    return value


__all__ = ["build", "collect", "marginal_costs", "Build", "BuiltFile", "BuildError"]
