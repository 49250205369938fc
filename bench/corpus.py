"""The benchmark corpus: real MicroPython code nobody on this project wrote.

MicroPython moved its Python drivers out of `drivers/` into micropython-lib (v1.20),
and Debian's source package leaves the micropython-lib submodule empty, so the
MicroPython tree we build from has no `drivers/*.py`.  The corpus is therefore the
driver-like single-file modules the tree does ship (every `ports/*/modules/*.py`
except boot/setup scripts and manifests) plus multi-file apps made from its own
packages and examples:

- asyncio: extmod/asyncio, MicroPython's asyncio package (8 files);
- bluetooth: examples/bluetooth, a BLE peripheral app with its helper modules.
"""

import glob
import os

SKIP = ("manifest.py", "_boot.py", "_boot_fat.py", "boot.py", "_mkfs.py")


def micropython_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("EEROM_BUILD", os.path.join(here, "..", "build"))
    with open(os.path.join(build, "micropython.path")) as f:
        return f.read().strip()


def single_files(mpdir=None):
    """[(name, path)] of single-file modules, sorted by name."""
    mpdir = mpdir or micropython_dir()
    out = []
    for path in sorted(glob.glob(os.path.join(mpdir, "ports", "*", "modules", "*.py"))):
        if os.path.basename(path) in SKIP:
            continue
        port = path.split(os.sep)[-3]
        out.append(("%s/%s" % (port, os.path.basename(path)), path))
    return out


def multi_file_apps(mpdir=None):
    """[(name, {relative path: source path})]: packages and example apps."""
    mpdir = mpdir or micropython_dir()
    apps = []
    asyncio_dir = os.path.join(mpdir, "extmod", "asyncio")
    apps.append(("asyncio", {"asyncio/" + os.path.basename(p): p
                             for p in sorted(glob.glob(os.path.join(asyncio_dir, "*.py")))
                             if os.path.basename(p) != "manifest.py"}))
    ble = os.path.join(mpdir, "examples", "bluetooth")
    apps.append(("bluetooth", {"app.py": os.path.join(ble, "ble_simple_peripheral.py"),
                               "ble_advertising.py": os.path.join(ble, "ble_advertising.py"),
                               "ble_uart_peripheral.py": os.path.join(ble, "ble_uart_peripheral.py"),
                               "ble_temperature.py": os.path.join(ble, "ble_temperature.py")}))
    return apps


def materialise(files, dest):
    """Copy {relative path: source path} into the folder dest (an app folder)."""
    for rel, src in files.items():
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(src, "rb") as f, open(target, "wb") as g:
            g.write(f.read())
    return dest
