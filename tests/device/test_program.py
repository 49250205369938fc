"""eerom.program(), the device-side writer (usermod/eerom/eerom_program.c), against
its reference, the host's flash.py and planner.py: for the same EEPROM contents and
image it writes the same pages in the same order and leaves the same bytes; a fault
at any transaction leaves an EEPROM that readers refuse or that holds the old image,
and a rerun completes; what flash.py refuses before writing it refuses before
writing; a part smaller than the image is found by the wrap probe and put back; the
progress callback may raise, collect garbage and change the image under it.  On the
simulated bus (which logs every transaction) and the native one, on unix and qemu;
the Python-heavy cases under AddressSanitizer too."""

import os
import random
import shutil

import pytest

from conftest import EXAMPLE_APP, build_image
from eerom import planner
from eerom.errors import ImageError
from eerom.header import HEADER_SIZE, Header
from eerom.image import Image
from eerom_testkit.eeprom_sim import PARTS
from test_hostile import asan_device  # noqa: F401 (a fixture: the sanitizer build)

EFBIG, ENOEXEC, EIO = 27, 8, 5

# Helpers on the device: the absolute addresses of the page writes the simulated bus
# logged, and a mount that says what it found.
HELPERS = """
def writes(bus, span):
    return [[(e[1] - 0x50) * span + e[2], e[3]] for e in bus.log if e[0] == 'wm']
def mount_state(bus, path='/hexpansion_1', probe='message.txt'):
    try:
        info = eerom.mount(bus, path)
    except OSError as e:
        return ['refused', e.errno]
    try:
        with open(path + '/' + probe) as f:
            text = f.read()
    except OSError:
        text = None
    eerom.umount(path)
    return [info.name, info.image_size, text]
"""


def app_v2(tmp_path, name="v2"):
    """hello_hexpansion with its message edited, as a maker's next version."""
    dest = str(tmp_path / name)
    shutil.copytree(EXAMPLE_APP, dest)
    with open(os.path.join(dest, "message.txt"), "a") as f:
        f.write("edited\n")
    return dest


def big_app(tmp_path, seed=1, extra=""):
    """An app whose image is over 1 KiB (random data does not compress)."""
    dest = str(tmp_path / ("big%d%s" % (seed, "x" if extra else "")))
    shutil.copytree(EXAMPLE_APP, dest)
    with open(os.path.join(dest, "data.bin"), "wb") as f:
        f.write(random.Random(seed).randbytes(1500))
    if extra:
        with open(os.path.join(dest, "message.txt"), "a") as f:
            f.write(extra)
    return dest


def image(app, part, name="Test", **kw):
    return build_image(app, part, name=name, **kw).image.to_bytes()


def with_fs_offset(data, fs_offset):
    img = Image.from_bytes(data)
    img.header.fs_offset = fs_offset
    return img.to_bytes()


def host_plan(old, new):
    """What `eerom flash` does to an EEPROM holding `old`: ([(address, length)] of its
    page writes, in order; the bytes it leaves; pages; changed pages)."""
    img = Image.from_bytes(new)
    data = img.to_bytes()
    try:
        current = Header.unpack(old[:HEADER_SIZE])
    except ImageError:
        current = None
    page = img.header.page_size
    if current is not None and current.page_size < page:
        page = current.page_size
    fs = img.header.fs_offset
    if fs > HEADER_SIZE and current is not None and current.fs_offset == fs:
        data = data[:HEADER_SIZE] + old[HEADER_SIZE:fs] + data[fs:]
    parts = planner.pieces(len(data), page)
    changed = [i for i, p in enumerate(parts) if old[p.start:p.end] != data[p.start:p.end]]
    steps = planner.plan(data, page, changed, fs, img.superblock.sb_size, invalidate=b"\1\2\3\4")
    out = [[p.start, p.end - p.start] for s in steps for p in planner.pieces(len(s.data), page, s.start)]
    return out, data + old[len(data):], len(parts), len(changed)


def blank(part):
    return b"\xff" * PARTS[part][0]


def loaded(part, data):
    return data + blank(part)[len(data):]


DIFF_SCRIPT = HELPERS + """
part, old, new, kind = ARGS
bus = new_bus_of(kind, part, old)
if kind == 'sim':
    bus.log = []
r = eerom.program(bus, new)
span = 256 if eeprom_sim.PARTS[part][2] == 8 else 65536
log = None
if kind == 'sim':
    log = writes(bus, span)
    bus.log = None
mem = bus_memory(bus)
n = len(new) + 64
report(r=list(r), log=log, head=binascii.b2a_base64(mem[:n]).decode(), rest_kept=mem[n:] == old[n:])
"""


def test_the_writes_are_the_hosts_plan(device, tmp_path):
    """For several (EEPROM contents, image) pairs: the page writes the bus logs are
    planner.plan()'s, in its order, and the EEPROM ends as `eerom flash` leaves it."""
    import base64

    v1 = image(EXAMPLE_APP, "m24c16")
    v2 = image(app_v2(tmp_path), "m24c16", name="Two")
    v2_64 = image(app_v2(tmp_path, "v2b"), "m24c64", name="Two")
    filled = bytearray(loaded("m24c64", with_fs_offset(image(EXAMPLE_APP, "m24c64"), 64)))
    filled[HEADER_SIZE:64] = b"maker's own data, kept by flash!"
    big1 = image(big_app(tmp_path), "m24c64", layout="paged")
    big2 = image(big_app(tmp_path, extra="\nX = 1\n"), "m24c64", layout="paged", name="Big2")
    garbage = random.Random(5).randbytes(PARTS["m24c16"][0])
    cases = [
        ("m24c16", blank("m24c16"), v1),                  # first programming
        ("m24c16", loaded("m24c16", v1), v1),             # unchanged: nothing written
        ("m24c16", loaded("m24c16", v1), v2),             # one file and the name changed
        ("m24c16", garbage, v2),                          # whatever was there
        ("m24c64", loaded("m24c64", v1), v2_64),          # old header's smaller pages win
        ("m24c64", bytes(filled), with_fs_offset(v2_64, 64)),  # keep_fill keeps [32, 64)
        ("m24c64", blank("m24c64"), big1),                # past 1 KiB: the wrap probe runs
        ("m24c64", loaded("m24c64", big1), big2),         # paged: a few pages change
    ]
    args = [[part, old, new, "sim"] for part, old, new in cases] + [[cases[2][0], cases[2][1], cases[2][2], "native"]]
    got = []
    for part, old, new, kind in args:
        r = device.run1(DIFF_SCRIPT, part, old, new, kind)
        got.append(r)
        want_writes, want_memory, pages, changed = host_plan(old, new)
        if kind == "sim":
            assert r["log"] == want_writes, (part, kind)
        head = base64.b64decode(r["head"])
        assert head == want_memory[:len(head)] and r["rest_kept"]
        assert r["r"][:2] == [pages, changed]
        assert r["r"][2] == len(want_writes) - (1 if want_writes and want_writes[0][1] == 4 else 0)
        assert r["r"][3] == 0
    assert got[1]["r"][2] == 0 and got[1]["log"] == []  # unchanged: 0 pages
    assert base64.b64decode(got[5]["head"])[HEADER_SIZE:64] == b"maker's own data, kept by flash!"


FAULT_SCRIPT = HELPERS + """
old, new, faults, part = ARGS[0], ARGS[1], ARGS[2], ARGS[3]
def fresh():
    return eeprom_sim.Bus(eeprom_sim.EEPROM.part(part, data=old, write_cycle_ms=0))
bus = fresh()
eerom.program(bus, new)
total = bus.transactions
states, raised, completed = {}, 0, 0
for fault in faults:
    for at in range(total):
        bus = fresh()
        bus.inject(at, fault)
        try:
            eerom.program(bus, new)
        except OSError:
            raised += 1
        bus.chips += bus.removed  # plugged back in
        bus.removed, bus.faults = [], {}
        s = repr(mount_state(bus))
        states[s] = states.get(s, 0) + 1
        eerom.program(bus, new)  # a rerun completes
        if mount_state(bus) == mount_state(eeprom_sim.Bus(eeprom_sim.EEPROM.part(part, data=new))):
            completed += 1
report(total=total, states=states, raised=raised, completed=completed,
       old=repr(mount_state(eeprom_sim.Bus(eeprom_sim.EEPROM.part(part, data=old)))),
       new=repr(mount_state(eeprom_sim.Bus(eeprom_sim.EEPROM.part(part, data=new)))))
"""


@pytest.mark.parametrize("part", ["m24c16", "m24c64"])
def test_a_fault_at_every_transaction_leaves_old_or_refused(device, tmp_path, part):
    """Unplugged or NACKed at any transaction of a programming: the EEPROM mounts the
    old image or is refused, never anything in between; a rerun completes."""
    old = image(EXAMPLE_APP, part)
    new = image(app_v2(tmp_path), part, name="Two")
    r = device.run1(FAULT_SCRIPT, old, new, ["remove", "nack"], part, timeout=900)
    assert r["total"] > 20
    tries = 2 * r["total"]
    assert r["completed"] == tries
    allowed = {r["old"], r["new"]}
    seen = set(r["states"])
    bad = {s for s in seen - allowed if not s.startswith("['refused'")}
    assert bad == set(), r["states"]
    assert r["old"] in seen and r["new"] in seen and any(s.startswith("['refused'") for s in seen)
    assert r["raised"] > tries / 2


REFUSE_SCRIPT = HELPERS + """
def attempt(bus, img, **kw):
    sim = isinstance(bus, eeprom_sim.Bus)
    if sim:
        bus.log = []
    try:
        r = list(eerom.program(bus, img, **kw))
    except OSError as e:
        r = [e.errno, str(e)]
    return [r, writes(bus, 65536) if sim else None, len(bus.log) if sim else None]
big, small = ARGS[0], ARGS[1]
out = {}
# too big for what the bus addresses (an M24C16: 2 KiB)
out['bus'] = attempt(new_bus_of('sim', 'm24c16', write_cycle_ms=0), big)
# the EEPROM's header says 2 KiB (an M24C16 image on an M24C64): refused, or forced
bus = new_bus_of('sim', 'm24c64', small, write_cycle_ms=0)
out['header'] = attempt(bus, big)
out['forced'] = attempt(bus, big, force=True)
# a 1 KiB part with 2-byte addresses (the header would not say): the wrap probe
part = eeprom_sim.EEPROM(1024, 32, 16, data=small[:1024], write_cycle_ms=0)
bus = eeprom_sim.Bus(part)
before = bytes(part.mem)
out['wrap'] = attempt(bus, big, force=True)
out['wrap_kept'] = bytes(part.mem) == before
blank = eeprom_sim.EEPROM(1024, 32, 16, write_cycle_ms=0)
out['wrap_blank'] = attempt(eeprom_sim.Bus(blank), big)
out['wrap_blank_kept'] = bytes(blank.mem) == b'\\xff' * 1024
# a bad image: nothing on the bus at all
bad = bytearray(small)
bad[-3] ^= 1
out['bad'] = attempt(new_bus_of('sim', 'm24c64'), bad)
out['short'] = attempt(new_bus_of('sim', 'm24c64'), small[:40])
out['notimage'] = attempt(new_bus_of('sim', 'm24c64'), b'hello')
# write-protected: data ACKed and dropped (Microchip), or NACKed (ST)
out['wp_ignore'] = attempt(new_bus_of('sim', 'm24c64', write_protect='ignore', write_cycle_ms=0), small)
# (the simulator's writeto_mem() cannot say it was NACKed: the native bus can)
out['wp_nack'] = attempt(new_bus_of('native', 'm24c64', write_protect='nack'), small)
report(**out)
"""


def test_refusals_before_any_write(device, tmp_path):
    big = image(big_app(tmp_path), "m24c64")
    small = image(EXAMPLE_APP, "m24c16")
    assert len(big) > 2048
    r = device.run1(REFUSE_SCRIPT, big, small)
    for case in ("bus", "header"):
        (errno, msg), log, _ = r[case]
        assert errno == EFBIG and log == [], (case, msg)
    assert "bus addresses 2048 B" in r["bus"][0][1]
    assert "header says the part holds 2048 B" in r["header"][0][1]
    assert r["forced"][0][3] == 0 and r["forced"][0][2] > 60  # forced: written, verified
    for case in ("wrap", "wrap_blank"):
        (errno, msg), log, _ = r[case]
        assert errno == EFBIG and "this part holds 1024 B" in msg, msg
        # the nonce over the magic, then the old bytes back: nothing else
        assert [w for w in log] == [[32, 4], [32, 4]], log
    assert r["wrap_kept"] and r["wrap_blank_kept"]
    assert r["bad"][0][0] == ENOEXEC and "eerom: payload-crc:" in r["bad"][0][1] and r["bad"][2] == 0
    assert r["short"][0][0] == ENOEXEC and "eerom: truncated:" in r["short"][0][1] and r["short"][2] == 0
    assert r["notimage"][0][0] == ENOEXEC and r["notimage"][2] == 0
    # written twice, then EIO naming the pages (each page once more, magic's included)
    (errno, msg), log, _ = r["wp_ignore"]
    page = Image.from_bytes(small).header.page_size
    pages = (len(small) + page - 1) // page
    assert errno == EIO and ("%d pages differ after 2 writes: 0, 1, 2, 3, 4, 5, 6, 7 ..." % pages) in msg, msg
    assert len([w for w in log if w[1] != 4]) == 2 * pages
    (errno, msg), log, _ = r["wp_nack"]
    assert errno == EIO and "page write at 0x0020 failed" in msg, msg  # the first write: the magic


def test_keep_fill_and_explicit_page(device):
    """keep_fill=False writes the image's own fill; page= overrides the headers."""
    img = with_fs_offset(image(EXAMPLE_APP, "m24c64"), 64)
    old = bytearray(loaded("m24c64", img))
    old[HEADER_SIZE:64] = b"K" * 32
    r = device.run1(HELPERS + """
out = {}
for keep in (True, False):
    bus = new_bus_of('sim', 'm24c64', ARGS[0])
    r = eerom.program(bus, ARGS[1], keep_fill=keep)
    out[str(keep)] = [list(r), bus_memory(bus)[32:64] == b'K' * 32, bus_memory(bus)[32:64] == b'\\xff' * 32]
    bus = None
bus = new_bus_of('sim', 'm24c64', write_cycle_ms=0)
bus.log = []
eerom.program(bus, ARGS[1], page=8)
out['page8'] = sorted(set(n for a, n in writes(bus, 65536)))
bus.log = None
try:
    eerom.program(bus, ARGS[1], page=12)
except ValueError:
    out['page12'] = 'ValueError'
report(**out)
""", bytes(old), img)
    assert r["True"] == [[21, 0, 0, 0], True, False]
    assert r["False"][1:] == [False, True] and r["False"][0][1] == 1
    assert r["page8"] == [4, 8] or r["page8"] == [3, 4, 8]
    assert r["page12"] == "ValueError"


PROGRESS_SCRIPT = HELPERS + """
old, new = ARGS[0], ARGS[1]
events = []
bus = new_bus_of('sim', 'm24c16', old)
r = eerom.program(bus, new, progress=lambda *a: events.append(a))
out = {'r': list(r), 'events': events}
# a callback that raises stops it there; the EEPROM is refused or old; a rerun completes
class Stop(Exception):
    pass
def stop_at(n):
    count = [0]
    def cb(phase, done, total):
        count[0] += 1
        if count[0] == n:
            raise Stop()
    return cb
states = {}
for n in range(1, len(events) + 1):
    bus = new_bus_of('sim', 'm24c16', old)
    try:
        eerom.program(bus, new, progress=stop_at(n))
        s = 'completed'
    except Stop:
        s = repr(mount_state(bus))
    states[s] = states.get(s, 0) + 1
    eerom.program(bus, new)
    assert mount_state(bus)[0] == 'Two'
out['states'] = states
out['old'] = repr(mount_state(new_bus_of('sim', 'm24c16', old)))
out['new'] = repr(mount_state(new_bus_of('sim', 'm24c16', new)))
report(**out)
"""


def test_progress_is_called_with_sane_numbers_and_may_raise(device, tmp_path):
    old = image(EXAMPLE_APP, "m24c16")
    new = image(app_v2(tmp_path), "m24c16", name="Two")
    r = device.run1(PROGRESS_SCRIPT, old, new)
    pages, changed, written, rewritten = r["r"]
    phases = {}
    for phase, done, total in r["events"]:
        phases.setdefault(phase, []).append((done, total))
    assert list(phases) == ["compare", "write", "verify"]
    for phase, seq in phases.items():
        total = seq[0][1]
        assert seq == [(i, total) for i in range(total + 1)], phase
    assert phases["compare"][0][1] == pages
    assert phases["write"][0][1] == written
    assert phases["verify"][0][1] == written
    assert 0 < changed <= written <= pages and rewritten == 0
    states = r["states"]
    # old (stopped before the invalidate), refused (after it), new (stopped in verify)
    assert set(states) <= {"completed", r["old"], r["new"], "['refused', 2]", "['refused', 8]"}, states
    assert states.get(r["new"], 0) >= len(phases["verify"]) - 1
    assert states.get(r["old"], 0) >= len(phases["compare"])  # stopped before any write


GC_SCRIPT = HELPERS + """
src = bytearray(ARGS[0])
keep = []
def cb(phase, done, total):
    # drop and mutate everything the caller holds, churn the heap
    global src
    if src is not None:
        for i in range(len(src)):
            src[i] = 0
        src = None
    keep.append(bytearray(300))
    if len(keep) > 20:
        del keep[:10]
    gc.collect()
out = []
for kind in ('sim', 'native'):
    src = bytearray(ARGS[0])
    bus = new_bus_of(kind, 'm24c16')
    r = eerom.program(bus, src, progress=cb)
    out.append([list(r), bus_memory(bus)[:len(ARGS[0])] == ARGS[0], mount_state(bus)])
# the image a bytearray that the callback grows (so moves) on every call, on the
# simulator (which runs Python between transfers)
buf = bytearray(ARGS[0])
def grow(phase, done, total):
    buf.extend(b'x' * 64)
    gc.collect()
bus = new_bus_of('sim', 'm24c16')
r = eerom.program(bus, buf, progress=grow)
out.append([list(r), bus_memory(bus)[:len(ARGS[0])] == ARGS[0], mount_state(bus)])
# a memoryview, and a longer buffer (a dump of a whole EEPROM): the image is cut where
# its superblock says
bus = new_bus_of('sim', 'm24c16')
r = eerom.program(bus, memoryview(ARGS[0] + b'\\x00' * 100))
out.append([list(r), bus_memory(bus)[:len(ARGS[0]) + 100] == ARGS[0] + b'\\xff' * 100, mount_state(bus)])
report(out=out)
"""


def _check_gc(r, n):
    for result, same, state in r["out"]:
        assert same and state[0] == "Test" and result[3] == 0, (result, state)


def test_a_progress_callback_that_collects_and_mutates(device):
    img = image(EXAMPLE_APP, "m24c16")
    _check_gc(device.run1(GC_SCRIPT, img), len(img))


def test_under_asan_and_ubsan(asan_device, tmp_path):  # noqa: F811
    """The Python-heavy paths in the sanitizer build: the GC and mutation callback,
    a fault at every transaction, the refusals."""
    img = image(EXAMPLE_APP, "m24c16")
    _check_gc(asan_device.run1(GC_SCRIPT, img), len(img))
    new = image(app_v2(tmp_path), "m24c16", name="Two")
    r = asan_device.run1(FAULT_SCRIPT, img, new, ["remove"], "m24c16", timeout=900)
    assert r["completed"] == r["total"]
    r = asan_device.run1(REFUSE_SCRIPT, image(big_app(tmp_path), "m24c64"), img)
    assert r["wrap_kept"] and r["bad"][2] == 0


def test_a_header_the_badge_reads_but_eerom_would_not_write(device):
    """The EEPROM's header has fs_offset 40 on 16-byte pages (the badge does not check
    its geometry): its page size still bounds the writes, as on the host."""
    old = Header(0xCA75, 0x1337, "Odd", fs_offset=40, page_size=16, total_size=2048).pack()
    new = image(EXAMPLE_APP, "m24c64")  # 32-byte pages in its header
    assert Image.from_bytes(new).header.page_size == 32 and len(new) < 2048
    r = device.run1(HELPERS + """
bus = new_bus_of('sim', 'm24c16', ARGS[0])
bus.log = []
r = eerom.program(bus, ARGS[1])
sizes = sorted(set(n for a, n in writes(bus, 256)))
bus.log = None
report(r=list(r), sizes=sizes, holds=bus_memory(bus)[:len(ARGS[1])] == ARGS[1])
""", old + b"\xff" * (2048 - len(old)), new)
    assert r["r"][3] == 0 and max(r["sizes"]) == 16, r
    assert r["holds"] is True
