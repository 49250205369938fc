"""Run the badge OS's real modules (badge-2024-software `modules/`: the hexpansion
manager, the eventbus, the scheduler's event handlers, the Hexpansions app...) on
MicroPython's unix port (build/unix/micropython: eerom, VfsLfs2, threads, sockets)
against simulated hexpansions (tools/eerom_testkit/eeprom_sim.py), for pytest.

tests/badge is a package (so that its conftest does not shadow tests/conftest.py):
its tests import `from .harness import run_badge, ...`.

Host side (CPython)
-------------------
run_badge(badge_dir, script, images=None, files=None, root=None, timeout=60,
          binary=None, check=True, heapsize="8M", env=None) -> Result

- badge_dir: a badge-2024-software tree (the snapshot, or a patched copy); its
  modules/ is copied into the root, the tree itself is never written.
- script: MicroPython source, run after the prelude (below).
- images: {name: bytes}; image(name) in the script, and insert()/plug() take the name.
- files: {"/path": bytes or str} written into the root first ("/settings.json",
  "/drivers/hex_ca75_1337/app.py", ...).
- root: the directory that becomes "/" (default: a new tempfile.mkdtemp, left in
  place); pass pytest's tmp_path to look at what the run wrote (Result.path("/x")).
- heapsize: MicroPython's -X heapsize; the unix port's threads have no GIL.
- Result: .results (one dict per report() call), .result (exactly one, asserted),
  .output (stdout + stderr: the badge's prints, tracebacks), .returncode, .root,
  .path(p).  check=True raises BadgeError (with .output) on a non-zero exit, and a
  timeout raises BadgeError too.

Helpers (need the eerom package, i.e. build/venv): header_bytes(part, vid=, pid=,
name=, unique_id=) the 32-byte header; header_image(part, **header) a header and a
blank (0xff) rest; lfs_image(files, part, **header) the badge's LittleFS layout
(as tests/device/test_littlefs.py's badge_lfs_image); eerom_image(folder_or_files,
part, vid=, pid=, name=, **build_kw) an eerom image; registry_tarball(files) a
firmware_0x..._0x....tar.gz as the registry packs one; http_server(directory): a
context manager serving a directory with CPython's http.server on 127.0.0.1, giving
the base URL (a str with .requests, the paths fetched).  Point the badge at it with
files={"/settings.json": '{"hexpansion_firmware_repo": "%s"}' % base}.

The root holds /modules (the badge's), /fakes (tests/badge/fakes), /lib/asyncio
(MicroPython's extmod asyncio: this unix build freezes none), /harness (eeprom_sim,
badgeharness) and /harness_data (images, the script).

MicroPython side (the prelude)
------------------------------
"/" is remounted onto vfs.VfsPosix(root), cwd "/": /settings.json, /drivers,
/firmware_dl.* and the /hexpansion_N mounts all live in the root.
sys.path = ['', '/harness', '/fakes', '/modules', '/modules/lib', '/lib'] (the
manager imports hexpansion_N.app through '' after os.chdir("/"), as on the badge).
badgeharness.boot() then imports system.scheduler first, as main.py does (importing
system.eventbus first is circular), after loading threadsafe/message.py with its
"not on the unix port" guard dropped (see boot()).  Names the script gets (module
badgeharness is also `bh`), plus sys, os, vfs, asyncio, json, eeprom_sim, machine,
egpio:

- start_manager(autolaunch=True): starts eventbus.run() as a task (once), records
  every event it dispatches, and constructs HexpansionManagerApp, which emits
  HexpansionInsertionEvent for ports whose detect pin already reads 0.  Returns the
  manager (also bh.manager).  start_eventbus(): the bus and the recorder only.
  The real scheduler's event handlers run (RequestStartAppEvent starts an app's
  background_task; bh.scheduler().apps), its render loop does not.
- insert(port, bus_or_image, part="m24c16", **eeprom_kw): I2C(port) becomes the
  hexpansion's bus, then the port's detect pin (tildagonos.EPIN_ND_A..F) goes 0 and
  its IRQ handler, which the manager set, emits HexpansionInsertionEvent(port).
  bus_or_image: an eeprom_sim.Bus, image bytes (put in an
  eeprom_sim.EEPROM.part(part, **eeprom_kw), e.g. write_protect=), or an images= name.
  Returns the Bus (bus.log, bus.inject(at, "remove"), stats...).  Before
  start_manager() there is no handler yet: the manager finds the port at start-up.
- plug(port, bus_or_image, ...): the bus only, no pin change.
- remove(port): the bus loses its chips (whoever holds it sees an empty bus), then
  the detect pin goes 1 (IRQ -> HexpansionRemovalEvent(port)).
- bh.detect_pin(port); egpio.set_level(pin, v) / egpio.level(pin);
  machine.set_bus(port, bus) / machine.get_bus(port).
- emit(event): eventbus.emit.
- run_for(seconds): run the asyncio tasks that long (asyncio.run of a sleep; tasks
  carry over between calls).  settle(quiet=0.3, timeout=10): run until the queue
  is empty and nothing was dispatched for `quiet` s; True if it went quiet.
  asyncio.run(coro) drives a badge coroutine (e.g. the Hexpansions app's
  HexpansionDetail._update_wrapper()) with the other tasks running.
- events: the dispatched event objects, in order.  event_log(*type_names): the same
  as dicts, taken at dispatch: {"type": "ShowNotificationEvent", "message": ...,
  "port": ...}; apps as {"class": ..., "module": "hexpansion_1.app"}, headers as
  dicts of their fields, bytes as {"bytes": hex}.
- state(): the manager's mountpoints, apps, headers, manifests (JSON-able; and
  "kinds" from a hexpansion_kinds dict when the manager has one).
- mounts(): mounted paths.  modules(prefix): sys.modules keys with that prefix.
- image(name): the bytes of an images= entry.
- hexpansions_detail(port, header=None): the Hexpansions app's page for a port, with
  a render_update that renders nothing and keeps its dialogs' messages in .messages;
  drive it with asyncio.run(detail._update_wrapper()) and the like.
- report(**values): one JSON line, becomes an entry of Result.results (values pass
  through bh.jsonable: bytes become {"bytes": hex}, other objects a description).
"""

import contextlib
import functools
import glob
import http.server
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FAKES = os.path.join(HERE, "fakes")
MP_DIR = os.path.join(HERE, "mp")
EEPROM_SIM = os.path.join(REPO, "tools", "eerom_testkit", "eeprom_sim.py")
RESULT_TAG = "BADGE-RESULT "

PRELUDE = """\
import sys, vfs, os
vfs.umount("/")
vfs.mount(vfs.VfsPosix(%(root)r), "/")
os.chdir("/")
sys.path[:] = ['', '/harness', '/fakes', '/modules', '/modules/lib', '/lib']
import badgeharness as bh
bh.boot()
from badgeharness import (start_manager, start_eventbus, insert, plug, remove, emit,
    run_for, settle, events, event_log, state, mounts, modules, image, report, hexpansions_detail)
import asyncio, json, eeprom_sim, machine, egpio
"""


class BadgeError(Exception):
    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output


class Result:
    def __init__(self, returncode, output, root):
        self.returncode = returncode
        self.output = output
        self.root = root
        self.results = []
        for line in output.splitlines():
            if line.startswith(RESULT_TAG):
                self.results.append(json.loads(line[len(RESULT_TAG):]))

    @property
    def result(self):
        assert len(self.results) == 1, (self.results, self.output)
        return self.results[0]

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))


def micropython_binary():
    """build/unix/micropython (or $EEROM_MICROPYTHON), as eerom_testkit.unixport."""
    env = os.environ.get("EEROM_MICROPYTHON")
    if env:
        return env
    built = os.path.join(os.environ.get("EEROM_BUILD", os.path.join(REPO, "build")),
                         "unix", "micropython")
    if os.access(built, os.X_OK):
        return built
    raise BadgeError("no MicroPython unix build with eerom: run `make setup` "
                     "(or set EEROM_MICROPYTHON)")


def asyncio_dir():
    """MicroPython's extmod/asyncio: $MICROPY_DIR, build/micropython.path, build/deps."""
    build = os.environ.get("EEROM_BUILD", os.path.join(REPO, "build"))
    candidates = []
    if os.environ.get("MICROPY_DIR"):
        candidates.append(os.environ["MICROPY_DIR"])
    try:
        with open(os.path.join(build, "micropython.path")) as f:
            candidates.append(f.read().strip())
    except OSError:
        pass
    candidates += sorted(glob.glob(os.path.join(build, "deps", "micropython-*")))
    for c in candidates:
        d = os.path.join(c, "extmod", "asyncio")
        if os.path.isfile(os.path.join(d, "core.py")):
            return d
    raise BadgeError("MicroPython's extmod/asyncio not found: run `make setup` or set MICROPY_DIR")


def _ignore(_dir, names):
    return [n for n in names if n == "__pycache__" or n.endswith(".pyc")]


def make_root(badge_dir, root=None, images=None, files=None):
    """Fill (or create) the temp root for a run; returns its path."""
    modules = os.path.join(badge_dir, "modules")
    if not os.path.isdir(modules):
        raise BadgeError("%s has no modules/ (not a badge-2024-software tree)" % badge_dir)
    root = root or tempfile.mkdtemp(prefix="badge-root-")
    root = str(root)
    os.makedirs(root, exist_ok=True)
    for name, src in (("modules", modules), ("fakes", FAKES), ("harness", MP_DIR)):
        dst = os.path.join(root, name)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst, ignore=_ignore)
    shutil.copy(EEPROM_SIM, os.path.join(root, "harness", "eeprom_sim.py"))
    lib = os.path.join(root, "lib", "asyncio")
    if os.path.exists(lib):
        shutil.rmtree(lib)
    shutil.copytree(asyncio_dir(), lib, ignore=_ignore)
    data = os.path.join(root, "harness_data")
    os.makedirs(data, exist_ok=True)
    for name, blob in (images or {}).items():
        with open(os.path.join(data, name + ".bin"), "wb") as f:
            f.write(bytes(blob))
    for path, blob in (files or {}).items():
        dst = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(blob.encode() if isinstance(blob, str) else bytes(blob))
    return root


def _text(b):
    return (b or b"").decode("utf-8", "replace")


def run_badge(badge_dir, script, images=None, files=None, root=None, timeout=60,
              binary=None, check=True, heapsize="8M", env=None):
    """Run `script` on the unix port against the badge's modules; see the module doc."""
    root = make_root(badge_dir, root, images, files)
    binary = binary or micropython_binary()
    path = os.path.join(root, "harness_data", "script.py")
    with open(path, "w") as f:
        f.write(PRELUDE % {"root": os.path.abspath(root)})
        f.write(script)
    cmd = [binary]
    if heapsize:
        cmd += ["-X", "heapsize=%s" % heapsize]
    try:
        proc = subprocess.run(cmd + [path], capture_output=True, timeout=timeout, cwd=root,
                              env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired as e:
        out = _text(e.stdout) + _text(e.stderr)
        raise BadgeError("MicroPython timed out after %ss:\n%s" % (timeout, out[-6000:]), out)
    # The badge prints what it reads (a blank EEPROM's name is 0xff bytes): not UTF-8.
    out = _text(proc.stdout) + _text(proc.stderr)
    if check and proc.returncode != 0:
        raise BadgeError("MicroPython exited with %d:\n%s" % (proc.returncode, out[-6000:]), out)
    return Result(proc.returncode, out, root)


# -- images (host side, with the eerom package) ------------------------------------------

def header_bytes(part="m24c16", vid=0xCA75, pid=0x1337, name="", unique_id=0):
    """The badge's 32-byte hexpansion header for `part` (fs_offset at the first page
    boundary after the header)."""
    from eerom.header import Header
    from eerom.parts import get_part

    return Header.for_part(get_part(part), vid, pid, name, unique_id=unique_id).pack()


def header_image(part="m24c16", **header):
    """A header and nothing else: the filesystem area is blank (0xff)."""
    from eerom.parts import get_part

    h = header_bytes(part, **header)
    return h + b"\xff" * (get_part(part).size - len(h))


def lfs_image(files, part="m24c16", **header):
    """A whole EEPROM in the badge's LittleFS layout (header, 0xff to fs_offset,
    LittleFS in the badge's geometry) holding `files` [(path, bytes)], as
    tests/device/test_littlefs.py's badge_lfs_image() makes it."""
    from eerom import littlefs_layout
    from eerom.parts import get_part

    return littlefs_layout.badge_image(files, get_part(part), header_bytes(part, **header))


def registry_tarball(files, dot_prefix=True):
    """firmware_0x<vid>_0x<pid>.tar.gz as the registry's build packs a folder: a
    gzipped tar of [(path, bytes)], members named "./path" after a "./" directory
    entry (dot_prefix=False: bare names)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        if dot_prefix:
            info = tarfile.TarInfo("./")
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for path, data in files:
            info = tarfile.TarInfo(("./" if dot_prefix else "") + path)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        # Once per request (log_message also runs for an error's log_error).
        self.server.requests.append(self.path)

    def log_message(self, fmt, *args):
        pass


@contextlib.contextmanager
def http_server(directory):
    """Serve `directory` over HTTP/1.0 on 127.0.0.1 (CPython's http.server, a thread);
    yields the base URL ("http://127.0.0.1:PORT").  Served paths are in
    server.requests, which the context value's .requests also gives:
        with http_server(d) as base: ... base.requests"""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _BaseURL("http://127.0.0.1:%d" % server.server_address[1], server.requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _BaseURL(str):
    def __new__(cls, url, requests):
        s = super().__new__(cls, url)
        s.requests = requests
        return s


def eerom_image(source, part="m24c16", vid=0xCA75, pid=0x1337, name="", unique_id=0, **build_kw):
    """An eerom image (bytes) of an app: `source` is an app folder, or [(path, bytes)]
    files (written to a temp folder first).  build_kw go to eerom.builder.build
    (e.g. dictionary="none", layout="paged")."""
    from eerom import builder
    from eerom.parts import get_part

    if isinstance(source, (str, os.PathLike)):
        return builder.build(str(source), get_part(part), vid, pid, name=name,
                             unique_id=unique_id, **build_kw).image.to_bytes()
    with tempfile.TemporaryDirectory(prefix="badge-app-") as d:
        for path, data in source:
            dst = os.path.join(d, path)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(data)
        return eerom_image(d, part, vid, pid, name, unique_id, **build_kw)
