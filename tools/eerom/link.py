"""The host's side of talking to a board: mpremote's serial transport, capability
probing, the device helper (remote_helper.py) and the encodings data travels in.

Everything the board runs goes through mpremote's raw REPL (raw-paste mode where the
board has it); nothing here speaks a protocol of its own.  Bytes on the wire are
counted in both directions.
"""

import ast
import base64
import collections
import errno
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


# -- errors --------------------------------------------------------------------------

def errno_name(line):
    """The errno an OSError line from the board names, as a name ("ETIMEDOUT"), or
    None.  Boards with the errno module print "[Errno 116] ETIMEDOUT" (the number is
    the port's own: newlib's ETIMEDOUT is 116, MicroPython's 110); others print
    "OSError: 110", in MicroPython's numbering, which mpremote's table maps."""
    from mpremote.mp_errno import MP_ERRNO_TABLE

    m = re.search(r"\[Errno \d+\] (E[A-Z0-9]+)", line)
    if m:
        return m.group(1)
    m = re.search(r"OSError: (\d+)$", line)
    if m and int(m.group(1)) in MP_ERRNO_TABLE:
        return errno.errorcode.get(MP_ERRNO_TABLE[int(m.group(1))])
    return None


# -- records from the board ----------------------------------------------------------------

Found = collections.namedtuple("Found", "addr addrsize first_bytes")
Found.__doc__ = "The EEPROM connect() found: I2C address, memory address bits, its first 32 bytes."

# eerom.mount()'s info, field by field (the board prints it with the names).
MountInfo = collections.namedtuple("MountInfo", "name vid pid unique_id addr addrsize image_size stored_size "
                                                "transactions bytes_read reused")


def attrtuple(text):
    """A MicroPython attrtuple as the board prints it, "(name='x', vid=1, ...)", as a
    dict: the fields by name, whatever their order."""
    call = ast.parse("f" + text.strip(), mode="eval").body
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


# -- the link ------------------------------------------------------------------------

class Link:
    """A session with a board: raw REPL entered once (with a soft reset), helper
    loaded.  Its operations are calls of the helper's Eeprom object, `ee`, made by
    connect(): read, digests, write and mount, each one round trip."""

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
        DeviceError carrying the exception's last line (device_message) and the
        name of its errno (errno_name: "ENODEV", ...; None if not an OSError)."""
        from mpremote.transport import TransportError, TransportExecError

        try:
            return self.transport.exec(code).decode(errors="replace")
        except TransportExecError as e:
            last = [l for l in e.error_output.strip().splitlines() if l.strip()][-1:] or ["?"]
            err = DeviceError("the board raised %s" % last[0])
            err.errno_name = errno_name(last[0])
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
        # The digest the board's digests() computes, for the host to compute too.
        self.digest = "fnv" if self.use_module or not self.caps["sha256"] else "sha256"

    # -- operations: one round trip each ---------------------------------------------

    def connect(self, bus_expr, page, addr=None, addrsize=None):
        """Make the bus and the helper's Eeprom on it, finding the EEPROM the badge's
        way unless addr is given, and read its first 32 bytes.  Returns Found."""
        cls = "Eeprom" if self.use_module else "StockEeprom"
        where = "" if addr is None else ", %d, %d" % (addr, addrsize or 16)
        try:
            lines = self.run("ee = %s(%s, %d%s)\nprint((ee.addr, ee.addrsize))\n%s"
                             % (cls, bus_expr, page, where, self._out_code("ee.read(0, 32)"))).strip().splitlines()
        except DeviceError as e:
            if e.errno_name == "ENODEV":
                raise DeviceError("no EEPROM answers on this bus (I2C addresses 0x50..0x57)",
                                  hint="check the hexpansion is plugged in and --bus names its port") from None
            raise
        found_addr, found_addrsize = ast.literal_eval(lines[0])
        return Found(found_addr, found_addrsize, self._decode(lines[1]))

    def set_page(self, page):
        self.run("ee.page = %d" % page)

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
        return self._out("ee.read(%d, %d)" % (at, n))

    def reads(self, spans):
        """[bytes] for each (at, n) of `spans`, all in one round trip."""
        raw = self._out("b''.join(ee.read(a, n) for a, n in %r)" % (tuple(spans),))
        out = []
        for _, n in spans:
            out.append(raw[:n])
            raw = raw[n:]
        return out

    def digests(self, at, n):
        """A digest of each page-aligned piece of [at, at + n), computed on the board."""
        raw = self._out("ee.digests(%d, %d)" % (at, n))
        return [raw[i:i + 4] for i in range(0, len(raw), 4)]

    def write(self, at, data):
        """Write `data` at `at` (the board splits it at page boundaries and polls the
        part after each page).  Returns the encoding the data travelled in."""
        kind, expr = cheapest(data, self.caps)
        try:
            self.run("ee.write(%d, %s)" % (at, expr))
        except DeviceError as e:
            if e.errno_name == "ETIMEDOUT":
                raise DeviceError("the EEPROM stayed busy after a page write at 0x%04x" % at,
                                  hint="a part whose write cycle never ends is broken or not an EEPROM") from None
            if e.errno_name == "EIO":
                raise DeviceError("the EEPROM refused data at 0x%04x: it is write-protected" % at,
                                  hint="release its write-control (WC) pin") from None
            raise
        return kind

    def mount(self, path="/_eerom_check"):
        """Mount the image with the board's eerom module (which checks everything
        first), list its files, unmount: (MountInfo, [file names])."""
        info, files = self.run("ee.mount(%r)" % path).strip().splitlines()
        fields = attrtuple(info)
        return MountInfo(*(fields.get(f) for f in MountInfo._fields)), ast.literal_eval(files)


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
