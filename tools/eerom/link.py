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
import io
import os
import re
import tokenize
import zlib

from .errors import DeviceError

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(HERE, "remote_helper.py")
HELPER_STOCK = os.path.join(HERE, "remote_helper_stock.py")

# Each capability is probed on its own (a board may have any subset), all in one
# round trip: the board prints one bit per capability.
PROBES = {
    "machine_i2c": "from machine import I2C",
    "eerom": "from eerom import page_digests",
    "sha256": "from hashlib import sha256",
    "base64": "from binascii import a2b_base64,b2a_base64",
    "deflate": "from deflate import DeflateIO,RAW;import io",
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


# -- the helper ------------------------------------------------------------------------

def pack_source(text, self_name="o"):
    """Python source as it is sent to the board: no comments or blank lines, one
    space per indentation level (of four), and `self` spelt `self_name`.  The helpers
    are written to be read; on the wire every byte counts.  (Not for sources with
    multi-line strings, whose lines would be re-indented.)"""
    edits = collections.defaultdict(list)  # line number -> [(start, end, replacement)]
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string == self_name:
            raise ValueError("the source uses %r itself" % self_name)
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.NAME and tok.string == "self"):
            edits[tok.start[0]].append((tok.start[1], tok.end[1], "" if tok.type == tokenize.COMMENT else self_name))
    out = []
    for row, line in enumerate(text.splitlines(), 1):
        for start, end, new in reversed(edits[row]):
            line = line[:start] + new + line[end:]
        if line.strip():
            out.append(" " * ((len(line) - len(line.lstrip(" "))) // 4) + line.strip() + "\n")
    return "".join(out)


def helper_source(use_module):
    """The packed helper for a board with (True) or without the eerom module."""
    out = []
    for path in [HELPER] if use_module else [HELPER, HELPER_STOCK]:
        with open(path) as f:
            out.append(pack_source(f.read()))
    return "".join(out)


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

AUTO = "auto"  # --device auto: the first board found, as `mpremote connect auto` picks it


def usb_serial_ports(ports):
    """The ports `mpremote connect auto` would try, in its order: USB serial ports
    (those with a USB VID and PID), sorted."""
    return [p.device for p in sorted(ports) if p.vid is not None and p.pid is not None]


def _first_board(baudrate):
    """(port, transport) of the first USB serial port that opens; ports another
    program holds are passed over, as mpremote passes them over."""
    import serial.tools.list_ports
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    tried = usb_serial_ports(serial.tools.list_ports.comports())
    for port in tried:
        try:
            return port, SerialTransport(port, baudrate=baudrate)
        except TransportError as e:
            if not str(e.args[0] if e.args else e).startswith("failed to access"):
                raise DeviceError("no board at %s (%s)" % (port, e), hint="give --device PORT") from None
    raise DeviceError("no board found: %s" % ("none of %s could be opened" % ", ".join(tried) if tried
                                              else "no USB serial port is connected"),
                      hint="plug the badge in by USB (and close other programs using it), "
                           "or give --device PORT; `mpremote devs` lists the ports")

class Link:
    """A session with a board: raw REPL entered once (with a soft reset) and its
    capabilities probed.  connect() loads the helper and makes its Eeprom object,
    `ee`; every operation after that is a call of one of its methods (read,
    digests, write, mount), one round trip each."""

    def __init__(self, device, baudrate=115200, use_module=True):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.device = device
        if device == AUTO:
            self.device, self.transport = _first_board(baudrate)
        else:
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
            self.close()
            raise DeviceError("this board's MicroPython has no machine.I2C",
                              hint="use a firmware with machine.I2C (or machine.SoftI2C, with --soft)")
        self.use_module = use_module and self.caps["eerom"]
        # The digest the board's digests() computes, for the host to compute too.
        self.digest = "fnv" if self.use_module or not self.caps["sha256"] else "sha256"

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

    def native_arch(self):
        """The .mpy native-code architecture the board's MicroPython loads, as a name
        (mpy.ARCH_NAMES), "none" when it loads none, or None when it does not say."""
        from .mpy import arch_name

        value = int(self.run("import sys\nprint(getattr(sys.implementation,'_mpy',-1))"))
        return None if value < 0 else arch_name((value >> 10) & 0x3F)

    def dict_id(self):
        """The identifier of the preset dictionary the board's eerom module holds, or
        None: no module, or one without a dictionary (eerom.DICT_ID)."""
        if not self.caps.get("eerom"):
            return None
        if "dict_id" not in self.caps:  # the firmware does not change within a session: ask once
            value = self.run("import eerom\nprint(getattr(eerom,'DICT_ID',None))").strip()
            self.caps["dict_id"] = None if value == "None" else int(value)
        return self.caps["dict_id"]

    def probe(self):
        bits = int(self.run("r=0\nfor i,c in enumerate(%r):\n try:exec(c);r|=1<<i\n except:pass\nprint(r)"
                            % (tuple(PROBES.values()),)))
        return {name: bool(bits & (1 << bit)) for bit, name in enumerate(PROBES)}

    def _exec_code(self, src):
        """Code that runs the Python source `src` on the board, in the cheapest
        encoding it can decode (the helper's decoders are not there yet)."""
        kind, text = min(packings(src.encode(), self.caps), key=lambda p: len(p[1]))
        if kind == "repr":
            return src
        if kind == "base64":
            return "import binascii\nexec(binascii.a2b_base64(%r))" % text
        return ("import binascii, deflate, io\n"
                "exec(deflate.DeflateIO(io.BytesIO(binascii.a2b_base64(%r)), deflate.RAW, 9).read())" % text)

    # -- operations: one round trip each ---------------------------------------------

    def connect(self, bus_expr, addr=None, addrsize=None):
        """Load the helper, make the bus and the helper's Eeprom on it (finding the
        EEPROM the badge's way unless addr is given) and read the first 32 bytes.
        Returns Found."""
        cls = "Eeprom" if self.use_module else "StockEeprom"
        where = "" if addr is None else ",%d,%d" % (addr, addrsize or 16)
        code = "%s\nee=%s(%s%s)\nprint((ee.addr,ee.addrsize))\n%s" % (
            self._exec_code(helper_source(self.use_module)), cls, bus_expr, where, self._out_code("ee.read(0,32)"))
        try:
            lines = self.run(code).strip().splitlines()
        except DeviceError as e:
            if e.errno_name == "ENODEV":
                raise DeviceError("no EEPROM answers on this bus (I2C addresses 0x50..0x57)",
                                  hint="check the hexpansion is plugged in and --bus names its port") from None
            raise
        found_addr, found_addrsize = ast.literal_eval(lines[0])
        return Found(found_addr, found_addrsize, self._decode(lines[1]))

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
        return self._out("ee.read(%d,%d)" % (at, n))

    def digests(self, at, n, page):
        """A digest of each page-aligned piece of [at, at + n), computed on the board."""
        raw = self._out("ee.digests(%d,%d,%d)" % (at, n, page))
        return [raw[i:i + 4] for i in range(0, len(raw), 4)]

    def write(self, at, data, page):
        """Write `data` at `at`, in writes of at most one page of `page` bytes, each
        followed by ACK polling.  Returns the encoding the data travelled in."""
        return self._write(at, data, page)[0]

    def swap(self, at, data, page, probes=()):
        """Write `data` at `at` as write() does; return (encoding, the bytes it
        replaced, [the len(data) bytes at each address of `probes`, read after the
        write]), all in one round trip."""
        n = len(data)
        kind, output = self._write(at, data, page, "old=ee.read(%d,%d)\n" % (at, n),
                                   "\n" + self._out_code("old+b''.join(ee.read(a,%d) for a in %r)" % (n, tuple(probes))))
        raw = self._decode(output)
        return kind, raw[:n], [raw[i:i + n] for i in range(n, len(raw), n)]

    def _write(self, at, data, page, before="", after=""):
        """write(), with code to run before and after it in the same round trip:
        (encoding, the board's output)."""
        kind, expr = cheapest(data, self.caps)
        try:
            output = self.run("%see.write(%d,%s,%d)%s" % (before, at, expr, page, after))
        except DeviceError as e:
            if e.errno_name == "ETIMEDOUT":
                raise DeviceError("the EEPROM stayed busy after a page write at 0x%04x" % at,
                                  hint="a part whose write cycle never ends is broken or not an EEPROM") from None
            if e.errno_name == "EIO":
                raise DeviceError("the EEPROM refused data at 0x%04x: it is write-protected" % at,
                                  hint="release its write-control (WC) pin") from None
            raise
        return kind, output

    def mount(self, path="/_eerom_check"):
        """Mount the image with the board's eerom module (which checks everything
        first), list its files, unmount: (MountInfo, [file names])."""
        info, files = self.run("ee.mount(%r)" % path).strip().splitlines()
        fields = attrtuple(info)
        return MountInfo(*(fields.get(f) for f in MountInfo._fields)), sorted(ast.literal_eval(files))


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
