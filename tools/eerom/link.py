"""The host's side of talking to a board: mpremote's serial transport, capability
probing, the device helper (remote_helper.py) and the encodings data travels in.

Everything the board runs goes through mpremote's raw REPL (raw-paste mode where the
board has it); nothing here speaks a protocol of its own.  Bytes on the wire are
counted in both directions.
"""

import ast
import base64
import binascii
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

# `eerom flash` on a board whose eerom module writes images itself (eerom.program)
# needs nothing else probed: connect_quick() finds that out in the exec that
# connects.  Any other board answers nothing there, and gets the full probe.
QUICK_CAPS = {"machine_i2c": True, "eerom": True, "sha256": False, "base64": True, "deflate": False, "program": True}

# eerom.program()'s progress on the board: a line "phase total" when a phase begins,
# one character per page after that (link.Link.program() turns them into progress).
PROGRESS_CODE = "def p(f,d,t):print(end=f[0]if d else'\\n%s %d\\n'%(f,t))"


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

    def __init__(self, device, baudrate=115200, use_module=True, quick=False):
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
        # connect_quick() leaves the helper out; it is sent with the first call that
        # needs `ee` (_run_ee).
        self.helper_pending = False
        self.prefetched = None
        self.requested_module = use_module
        if quick and use_module:  # probed by connect_quick(), or by _probe_all() if it cannot
            self.caps, self.use_module, self.digest = dict(QUICK_CAPS), True, "fnv"
            return
        self._probe_all()

    def _probe_all(self):
        use_module = self.requested_module
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

    def run(self, code, data_consumer=None):
        """Execute code on the board; return its output (or, with data_consumer, pass
        the output to it as it arrives).  Board exceptions become
        DeviceError carrying the exception's last line (device_message) and the
        name of its errno (errno_name: "ENODEV", ...; None if not an OSError)."""
        from mpremote.transport import TransportError, TransportExecError

        try:
            return self.transport.exec(code, data_consumer=data_consumer).decode(errors="replace")
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

    @property
    def can_program(self):
        """Does the board's eerom module write images itself (eerom.program)?  Known
        after connect_quick(); the full probe leaves it out (its boards have no need)."""
        return bool(self.use_module and self.caps.get("program"))

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

    def connect_quick(self, bus_expr, addr=None, addrsize=None, digests=None):
        """connect() for a board whose eerom module has program(), in the exec that
        finds out whether it has: no helper (it follows with the first call that
        needs it), the bus as `i`, the EEPROM's (I2C address, address bits) as `a`,
        its first 32 bytes, and, with digests=(n,
        page), the digests of [0, n) by pieces of `page`, kept in self.prefetched.
        Returns Found, or None for a board without eerom.program: it is then probed
        in full, and connect() is the way."""
        kw = "" if addr is None else ",addr=%d,addrsize=%d" % (addr, addrsize or 16)
        where = "a=eerom.detect(i)" if addr is None else "a=%d,%d" % (addr, addrsize or 16)
        more = ""
        if digests:
            n, piece = digests
            # An image that cannot fit a 1-byte-address part (2 KiB) gets no digests
            # there: page_digests() would refuse to read past what the bus addresses.
            more = "+eerom.page_digests(i,0,%s,%d%s)" % (n if n <= 2048 else "%d*(a[1]>8)" % n, piece, kw)
        # The module's dictionary, for building an app folder (dict_id()); an image
        # known here needs none: eerom.program() refuses one naming another.
        code = ("try:import eerom,machine,binascii as B;eerom.program\nexcept:eerom=0\nif eerom:\n"
                " i=%s;%s\n print(%s*a,B.b2a_base64(eerom.read(i,0,32%s)%s))"
                % (bus_expr, where, "" if digests else "eerom.DICT_ID,", kw, more))
        try:
            words = self.run(code).split()
        except DeviceError as e:
            if e.errno_name == "ENODEV":
                raise DeviceError("no EEPROM answers on this bus (I2C addresses 0x50..0x57)",
                                  hint="check the hexpansion is plugged in and --bus names its port") from None
            raise
        if not words:  # no eerom.program there
            self._probe_all()
            return None
        try:
            if not digests:
                dict_id = words.pop(0)
                self.caps["dict_id"] = None if dict_id == "None" else int(dict_id)
            found_addr, found_addrsize, raw = words
            found_addr, found_addrsize = int(found_addr), int(found_addrsize)
            raw = base64.b64decode(ast.literal_eval(raw))
        except (ValueError, SyntaxError, binascii.Error):
            raise DeviceError("the board's answer to connecting is garbled: %r" % " ".join(words)[:200],
                              hint="try again; check nothing else is using the serial port") from None
        # eerom's functions then find the EEPROM themselves, unless told where it is
        self.kw = kw
        self.prefetched = None
        if digests and len(raw) > 32:
            self.prefetched = (digests, [raw[i:i + 4] for i in range(32, len(raw), 4)])
        self.helper_pending = True
        return Found(found_addr, found_addrsize, raw[:32])

    def _run_ee(self, code):
        """Run code that uses the helper's `ee`, sending the helper first if
        connect_quick() left it out."""
        if self.helper_pending:
            code = "%s\nee=Eeprom(i,*a)\n%s" % (self._exec_code(helper_source(True)), code)
            self.helper_pending = False
        return self.run(code)

    def page_digests(self, at, n, page):
        """digests() through eerom.page_digests itself (after connect_quick()); those
        it prefetched if they are the ones asked for."""
        if at == 0 and self.prefetched and self.prefetched[0] == (n, page):
            return self.prefetched[1]
        raw = base64.b64decode(ast.literal_eval(self.run("print(B.b2a_base64(eerom.page_digests(i,%d,%d,%d%s)))"
                                                         % (at, n, page, self.kw)).strip()))
        return [raw[i:i + 4] for i in range(0, len(raw), 4)]

    def program(self, size, runs, force=False, progress=None):
        """Make the EEPROM hold an image of `size` bytes with eerom.program() on the
        board, in one exec: `runs` [(start, bytes)] are the parts of the image to send;
        the rest the board takes from what the EEPROM holds.  Returns eerom.program()'s
        (pages, changed, written, rewritten); `progress` (progress.Progress) shows the
        board's phases as it reports them."""
        lines = [PROGRESS_CODE]
        whole = len(runs) == 1 and runs[0][0] == 0 and len(runs[0][1]) == size
        if whole:
            image = "B.a2b_base64(%r)" % base64.b64encode(runs[0][1]).decode()
        else:
            lines.append("b=bytearray(eerom.read(i,0,%d%s))" % (size, self.kw))
            lines += ["b[%d:%d]=B.a2b_base64(%r)" % (start, start + len(data), base64.b64encode(data).decode())
                      for start, data in runs]
            image = "b"
        lines.append("print('\\n=',*eerom.program(i,%s,progress=p%s%s))"
                     % (image, ",force=1" if force else "", self.kw))
        stream = _ProgressStream(progress)
        self.run("\n".join(lines), stream.feed)
        if stream.result is None or len(stream.result) != 4:
            raise DeviceError("the board did not say what eerom.program did")
        return stream.result

    def _decode(self, text):
        text = text.strip()
        if self.caps["base64"]:
            return base64.b64decode(text)
        return ast.literal_eval(text)

    def _out_code(self, expr):
        return ("out(%s)" if self.caps["base64"] else "print(bytes(%s))") % expr

    def _out(self, expr):
        return self._decode(self._run_ee(self._out_code(expr)))

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
            output = self._run_ee("%see.write(%d,%s,%d)%s" % (before, at, expr, page, after))
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
        if self.helper_pending:  # after connect_quick(): eerom itself, no helper needed
            code = "import os\nprint(eerom.mount(i,%r%s))\nprint(os.listdir(%r))\neerom.umount(%r)" % (
                path, self.kw, path, path)
        else:
            code = "ee.mount(%r)" % path
        info, files = self._run_ee(code).strip().splitlines()
        fields = attrtuple(info)
        return MountInfo(*(fields.get(f) for f in MountInfo._fields)), sorted(ast.literal_eval(files))


class _ProgressStream:
    """The board's output during eerom.program(), as it arrives: PROGRESS_CODE's lines
    and page marks to a Progress, and the result line ("= pages changed written
    rewritten") kept."""

    def __init__(self, progress):
        self.progress = progress
        self.text = ""
        self.result = None

    def feed(self, data):
        self.text += data.decode(errors="replace")
        while True:
            head = self.text
            if head.startswith("\n"):
                end = head.find("\n", 1)
                if end < 0:
                    return
                words = head[1:end].split()
                self.text = head[end + 1:]
                if words and words[0] == "=":
                    self.result = tuple(int(w) for w in words[1:] if w.isdigit())
                elif len(words) == 2 and words[1].isdigit() and self.progress is not None:
                    self.progress.begin(words[0], int(words[1]))
            elif head:
                if self.progress is not None and head[0] in "cwvr":
                    self.progress.advance(1)
                self.text = head[1:]
            else:
                return


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
