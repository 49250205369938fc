"""The host's side of talking to a board: mpremote's serial transport, capability
probing, the device helper (remote_helper.py) and the encodings data travels in.

Everything the board runs goes through mpremote's raw REPL (raw-paste mode where the
board has it); nothing here speaks a protocol of its own.  Bytes on the wire are
counted in both directions.
"""

import ast
import base64
import hashlib
import os
import re
import zlib

from .errors import DeviceError

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(HERE, "remote_helper.py")
HELPER_STOCK = os.path.join(HERE, "remote_helper_stock.py")

# Each capability is probed on its own (a board may have any subset), all in one
# round trip: the board prints one bit per capability.
PROBES = {
    "machine_i2c": "import machine;machine.I2C",
    "eerom": "import eerom;eerom.page_digests",
    "sha256": "import hashlib;hashlib.sha256",
    "base64": "import binascii;binascii.a2b_base64;binascii.b2a_base64",
    "deflate": "import deflate,io;deflate.DeflateIO;deflate.RAW",
}


class CountingSerial:
    """Wraps the pyserial object: counts bytes sent and received."""

    def __init__(self, serial):
        self._serial = serial
        self.sent = 0
        self.received = 0

    def write(self, data):
        self.sent += len(data)
        return self._serial.write(data)

    def read(self, size=1):
        data = self._serial.read(size)
        self.received += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self._serial, name)


# -- encodings -----------------------------------------------------------------------

def packings(data, caps):
    """`data` as text the board can turn back into bytes: [(kind, text)] where kind is
    "repr" (a bytes literal), "base64", or "deflate" (raw deflate, then base64)."""
    out = [("repr", repr(bytes(data)))]
    if caps.get("base64"):
        out.append(("base64", base64.b64encode(data).decode()))
        if caps.get("deflate"):
            c = zlib.compressobj(9, zlib.DEFLATED, -9)  # the board inflates with a 512 B window
            out.append(("deflate", base64.b64encode(c.compress(bytes(data)) + c.flush()).decode()))
    return out


# How the helper (remote_helper.py) rebuilds each packing.
_DECODERS = {"repr": "%s", "base64": "b64(%r)", "deflate": "z(%r)"}


def encodings(data, caps):
    """Candidate Python expressions that rebuild `data` on the board, cheapest first."""
    out = [(kind, _DECODERS[kind] % text) for kind, text in packings(data, caps)]
    out.sort(key=lambda e: len(e[1]))
    return out


def cheapest(data, caps):
    return encodings(data, caps)[0]


# -- the link ------------------------------------------------------------------------

class Link:
    """A session with a board: raw REPL entered once (with a soft reset), helper loaded."""

    def __init__(self, device, baudrate=115200, use_module=True):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.device = device
        try:
            self.transport = SerialTransport(device, baudrate=baudrate)
        except (TransportError, OSError) as e:
            raise DeviceError("no board at %s (%s)" % (device, e),
                              hint="check the cable and the port name (mpremote devs lists them)") from None
        self.serial = CountingSerial(self.transport.serial)
        self.transport.serial = self.serial
        try:
            self.transport.enter_raw_repl(soft_reset=True)
        except (TransportError, OSError) as e:
            self.close()
            raise DeviceError("the board at %s does not answer with a MicroPython REPL (%s)" % (device, e),
                              hint="is it running MicroPython? is another program using the port?") from None
        self.caps = self.probe()
        if not use_module:
            self.caps["eerom"] = False
        if not self.caps["machine_i2c"]:
            raise DeviceError("this board's MicroPython has no machine.I2C",
                              hint="use a firmware with machine.I2C (or machine.SoftI2C, with --soft)")
        self.use_module = use_module and self.caps["eerom"]
        self._load_helper()

    @property
    def wire_bytes(self):
        return self.serial.sent + self.serial.received

    def close(self):
        try:
            self.transport.close()
        except Exception:
            pass

    def run(self, code):
        """Execute code on the board; return its output.  Board exceptions become
        DeviceError carrying the exception's last line and errno."""
        from mpremote.transport import TransportError, TransportExecError

        try:
            return self.transport.exec(code).decode(errors="replace")
        except TransportExecError as e:
            last = [l for l in e.error_output.strip().splitlines() if l.strip()][-1:] or ["?"]
            err = DeviceError("the board raised %s" % last[0])
            m = re.search(r"\[Errno (\d+)\]|OSError: (\d+)", last[0])
            err.errno = int(m.group(1) or m.group(2)) if m else None
            err.device_message = last[0]
            raise err from None
        except TransportError as e:
            raise DeviceError("lost the board at %s (%s)" % (self.device, e)) from None

    def probe(self):
        bits = int(self.run("r=0\nfor i,c in enumerate(%r):\n try:\n  exec(c);r|=1<<i\n except Exception:\n  pass\n"
                            "print(r)" % (tuple(PROBES.values()),)))
        return {name: bool(bits & (1 << bit)) for bit, name in enumerate(PROBES)}

    def _send_source(self, path):
        with open(path) as f:  # full-line comments stay home: they would cost wire bytes
            src = "".join(l for l in f if l.strip() and not l.lstrip().startswith("#")).encode()
        # The helper's decoders are not there yet: spell them out.
        kind, text = min(packings(src, self.caps), key=lambda p: len(p[1]))
        if kind == "repr":
            self.run(src.decode())
        elif kind == "base64":
            self.run("import binascii\nexec(binascii.a2b_base64(%r))" % text)
        else:
            self.run("import binascii, deflate, io\n"
                     "exec(deflate.DeflateIO(io.BytesIO(binascii.a2b_base64(%r)), deflate.RAW, 9).read())"
                     % text)

    def _load_helper(self):
        self._send_source(HELPER)
        if not self.use_module:
            self._send_source(HELPER_STOCK)
            if not self.caps["sha256"]:
                self.run("H = None")
        # The digest the board's digests() computes, for the host to compute too.
        self.digest = "fnv" if self.use_module or not self.caps["sha256"] else "sha256"

    # -- operations -----------------------------------------------------------------

    def connect_bus(self, expr, page, addr=None, addrsize=None):
        """Make the bus, find the EEPROM (the badge's way unless addr is given) and read
        its first 32 bytes, in one round trip.  Returns (addr, addrsize, header bytes)."""
        find = "detect()" if addr is None else "A, S = %d, %d" % (addr, addrsize or 16)
        code = "I, P = %s, %d\n%s%s\nprint((A, S))\n%s" % (
            expr, page, "" if self.use_module else "X = None\n", find, self._out_code("rd(0, 32)"))
        try:
            lines = self.run(code).strip().splitlines()
        except DeviceError as e:
            if e.errno == 19:
                raise DeviceError("no EEPROM answers on this bus (I2C addresses 0x50..0x57)",
                                  hint="check the hexpansion is plugged in and --bus names its port") from None
            raise
        addr, addrsize = ast.literal_eval(lines[0])
        return addr, addrsize, self._decode(lines[1])

    def _decode(self, text):
        text = text.strip()
        if self.caps["base64"]:
            return base64.b64decode(text)
        return ast.literal_eval(text)

    def _out_code(self, expr):
        return ("out(%s)" if self.caps["base64"] else "print(bytes(%s))") % expr

    def _out(self, expr):
        return self._decode(self.run(self._out_code(expr)))

    def read(self, at, n):
        return self._out("rd(%d, %d)" % (at, n))

    def digests(self, at, n, page):
        """A digest of each page-aligned piece, computed on the board."""
        raw = self._out("digests(%d, %d)" % (at, n))
        return [raw[i:i + 4] for i in range(0, len(raw), 4)]

    def write(self, at, data):
        kind, expr = cheapest(data, self.caps)
        try:
            self.run("wr(%d, %s)" % (at, expr))
        except DeviceError as e:
            if e.errno in (110, 116):
                raise DeviceError("the EEPROM stayed busy after a page write at 0x%04x" % at,
                                  hint="a part whose write cycle never ends is broken or not an EEPROM") from None
            if e.errno == 5:
                raise DeviceError("the EEPROM refused data at 0x%04x: it is write-protected" % at,
                                  hint="release its write-control (WC) pin") from None
            raise
        return kind

    def check_mount(self, path="/_eerom_check"):
        """Mount with the board's eerom module (which checks everything first) and list."""
        return ast.literal_eval(self.run("import os\ninfo = X.mount(I, %r, addr=A, addrsize=S)\nfiles = sorted(os.listdir(%r))\n"
                             "X.umount(%r)\nprint((tuple(info), files))" % (path, path, path)))


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h.to_bytes(4, "little")


def digest(kind, data):
    """The board's page digest, on the host: kind is Link.digest."""
    if kind == "sha256":
        return hashlib.sha256(data).digest()[:4]
    return fnv1a(data)
