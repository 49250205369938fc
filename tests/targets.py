"""Where device tests run: MicroPython's unix port, or its qemu ARM port under
qemu-system-arm, driven through mpremote's serial transport (the raw REPL).

A device script gets its inputs as ARGS (bytes are sent base64-encoded inside the
script, since the qemu port has no filesystem) and reports with report(**values),
which prints one JSON line.  Both test firmwares contain the eerom module, the fake
native I2C bus (fakei2c) and the simulator (eeprom_sim, frozen into the qemu one).
"""

import base64
import json
import os
import re
import subprocess
import time

from eerom_testkit import unixport

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("EEROM_BUILD", os.path.join(HERE, "..", "build"))

PRELUDE = """\
import sys, json, os, gc, vfs, binascii, eerom, eeprom_sim
if '' not in sys.path:
    sys.path.insert(0, '')  # the badge's sys.path starts with the current directory
def report(**kw):
    print('RESULT ' + json.dumps(kw))
def mounted():
    return [p for _, p in vfs.mount()]
def fill_heap(junk):
    # Fill the free heap with 16-byte objects kept in `junk`; return how many.
    gc.collect()
    n = 0
    try:
        while n < len(junk):
            junk[n] = bytearray(16)
            n += 1
    except MemoryError:
        pass
    return n
# An EEPROM of `part` (a name in eeprom_sim.PARTS) on a bus of `kind`: the simulator
# in Python ("sim", duck-typed I2C) or the fake native bus in C ("native"; and
# "native-nowrite1", without combined write-then-read transfers).
def new_bus_of(kind, part, data=None, **kw):
    if kind == "sim":
        return eeprom_sim.Bus(eeprom_sim.EEPROM.part(part, data=data, **kw))
    import fakei2c
    bus = fakei2c.I2C(0) if kind == "native" else fakei2c.I2CNoWrite1(0)
    size, page, addrsize = eeprom_sim.PARTS[part]
    fakei2c.attach(bus, data, size=size, page=page, addrsize=addrsize, **kw)
    return bus
def bus_stats(bus):
    if isinstance(bus, eeprom_sim.Bus):
        return bus.stats()
    import fakei2c
    return fakei2c.stats(bus)
def bus_inject(bus, at, fault):
    if isinstance(bus, eeprom_sim.Bus):
        bus.inject(at, fault)
    else:
        import fakei2c
        fakei2c.inject(bus, at, fault)
def bus_memory(bus):
    if isinstance(bus, eeprom_sim.Bus):
        return bytes(bus.chips[0].mem)
    import fakei2c
    return fakei2c.memory(bus)
"""


def encode_args(args):
    parts = []
    for a in args:
        if isinstance(a, (bytes, bytearray)):
            parts.append("binascii.a2b_base64(%r)" % base64.b64encode(bytes(a)).decode())
        else:
            parts.append(repr(a))
    return "ARGS = [%s]\n" % ", ".join(parts)


class ScriptError(AssertionError):
    pass


def parse_results(output):
    return [json.loads(line[7:]) for line in output.splitlines() if line.startswith("RESULT ")]


class UnixTarget:
    name = "unix"

    def __init__(self, binary, env=None, heapsize=None):
        self.binary = binary
        self.env = env
        self.heapsize = heapsize  # e.g. "160k": a heap as small as a board's

    def run(self, script, args=(), timeout=300):
        code, out = unixport.run(PRELUDE + encode_args(args) + script, binary=self.binary,
                                 check=False, timeout=timeout, env=self.env, heapsize=self.heapsize)
        if code != 0:
            raise ScriptError("MicroPython (unix) exited with %d:\n%s" % (code, out))
        return out

    def close(self):
        pass


def start_qemu(firmware, machine="mps2-an385"):
    """qemu-system-arm running `firmware` with its UART on a pty: (process, pty path)."""
    proc = subprocess.Popen(
        ["qemu-system-arm", "-machine", machine, "-nographic", "-monitor", "null",
         "-semihosting", "-serial", "pty", "-kernel", firmware],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    m = re.search(r"(/dev/pts/\d+)", line)
    if not m:
        proc.kill()
        proc.wait()
        raise RuntimeError("qemu did not report its serial pty: %r" % line)
    return proc, m.group(1)


class QemuTarget:
    """One qemu-system-arm running the test firmware; each script after a soft reset."""

    name = "qemu"

    def __init__(self, firmware, machine="mps2-an385"):
        self.firmware = firmware
        self.machine = machine
        self.proc = None
        self.transport = None

    def start(self):
        self.proc, port = start_qemu(self.firmware, self.machine)
        from mpremote.transport_serial import SerialTransport

        for _ in range(50):
            try:
                self.transport = SerialTransport(port, baudrate=115200)
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise RuntimeError("cannot open qemu's serial port %s" % port)

    def run(self, script, args=(), timeout=300):
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        t = self.transport
        try:
            t.enter_raw_repl(soft_reset=True)
            out, err = t.exec_raw(PRELUDE + encode_args(args) + script, timeout=timeout)
        except Exception as e:  # the device hung or died: start afresh next time
            self.close()
            raise ScriptError("qemu target failed: %r" % e)
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        if err:
            raise ScriptError("MicroPython (qemu) raised:\n%s\n%s" % (out, err))
        return out

    def close(self):
        if self.transport is not None:
            try:
                self.transport.close()
            except Exception:
                pass
            self.transport = None
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# The sanitizer build: leaks are not errors (MicroPython's heap is one allocation that
# lives as long as the process), anything else stops the run.
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
                 "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}


def unix_test_binary():
    return os.environ.get("EEROM_TEST_MICROPYTHON", os.path.join(BUILD, "unix-test", "micropython"))
