"""`make demo`: an app from examples/ built for an M24C16, loaded into the simulated
EEPROM, mounted by the eerom C module in MicroPython's unix port, imported and run as
the badge runs hexpansion apps.

    python -m eerom_testkit.demo [APPDIR] [--part m24c16]
"""

import argparse
import os
import sys
import tempfile

from eerom import builder, littlefs_layout, report
from eerom.errors import EeromError
from eerom.parts import get_part

from . import unixport

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_APP = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "hello_hexpansion"))

DEVICE_SCRIPT = """
import os, gc, eeprom_sim, eerom
image = open(sys.argv[1], "rb").read()
bus = eeprom_sim.Bus(eeprom_sim.EEPROM.part(sys.argv[2], data=image))

info = eerom.mount(bus, "/hexpansion_1")           # detect, read, check, inflate, mount
print("mounted /hexpansion_1:", info)
s = bus.stats()
print("BUS", s["transactions"], s["wire_bytes"], s["data_read"])

class HexpansionConfig:                              # what the badge passes to the app
    port = 1

os.chdir("/")                                        # the badge's import, step by step
gc.collect()
before = gc.mem_alloc()
module = __import__("hexpansion_1.app").app
gc.collect()
print("imported", module.__name__, "from", module.__file__,
      "- heap grew by", gc.mem_alloc() - before, "bytes")
app = module.__app_export__(config=HexpansionConfig())
if hasattr(app, "update"):                           # one frame of the badge's loop
    app.update(20)
print("app says:", app.describe() if hasattr(app, "describe") else repr(app))
eerom.umount("/hexpansion_1")
"""


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m eerom_testkit.demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("app", nargs="?", default=DEFAULT_APP)
    ap.add_argument("--part", default="m24c16")
    args = ap.parse_args(argv)
    try:
        part = get_part(args.part)
        print("== 1. build %s for %s" % (os.path.relpath(args.app), part.name))
        result = builder.build(args.app, part, vid=0xCA75, pid=0x1337, name="Hello")
        builder.marginal_costs(result)
        lfs = littlefs_layout.badge_layout([(f.path, f.data) for f in result.files], part)
        print(report.fit_report(result, lfs))
        with tempfile.TemporaryDirectory(prefix="eerom-demo-") as tmp:
            image_path = os.path.join(tmp, "app.eerom")
            with open(image_path, "wb") as f:
                f.write(result.image.to_bytes())
            print()
            print("== 2. mount and run it in MicroPython (unix port) from a simulated %s" % part.name)
            _, out = unixport.run(DEVICE_SCRIPT, [image_path, part.name])
        lines = []
        for line in out.splitlines():
            if line.startswith("BUS "):
                transactions, wire, data = (int(x) for x in line.split()[1:])
                lines.append("bus: %d transactions, %d bytes on the wire (%d data bytes read)"
                             % (transactions, wire, data))
                times = ", ".join("%.1f ms at %s" % (wire * 9 / f * 1000, name)
                                  for f, name in ((133e3, "133 kHz (badge)"), (400e3, "400 kHz"), (1e6, "1 MHz")))
                lines.append("     modelled wire time: " + times)
            else:
                lines.append(line)
        print("\n".join(lines))
        print()
        if lfs is not None and lfs.possible:
            print("== summary: %d B eerom image vs %d B for the same files in the badge's LittleFS layout (%s)"
                  % (result.size, lfs.size, part.name))
        elif lfs is not None:
            print("== summary: %d B eerom image; the badge's LittleFS cannot hold these files on %s"
                  % (result.size, part.name))
        else:
            print("== summary: %d B eerom image (no tool here lays out the badge's LittleFS on %s)"
                  % (result.size, part.name))
    except EeromError as e:
        print("demo failed: %s" % e, file=sys.stderr)
        if e.hint:
            print("hint: %s" % e.hint, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
