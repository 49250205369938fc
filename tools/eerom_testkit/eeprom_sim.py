"""A simulated I2C bus with EEPROMs that behave like the real parts.

Runs unchanged under CPython and MicroPython (it is how the unix-port tests feed the
eerom C module through its duck-typed I2C path), so it uses only the subset of Python
both have.  The Bus offers the machine.I2C methods an EEPROM driver uses; EEPROM
holds a part's memory and timing.

What is modelled, because real parts do it:
- 1-byte-address parts up to 2 KiB (M24C16): the memory address's high bits select
  one of up to 8 I2C addresses (0x50..0x57), the low 8 bits travel on the bus.
- 2-byte-address parts (8 KiB .. 64 KiB); bigger parts (M24M02) take address bits
  16.. in the I2C address.
- One internal address counter: a write sets it, a read continues from it and rolls
  over from the end of the memory to 0.
- Page writes wrap inside the page: bytes past the page end overwrite its start.
- A write happens only on STOP, and starts a write cycle (5 ms by default) during
  which the part NACKs its address, so drivers must poll for ACK.
- Write protection: "ignore" (data ACKed, nothing stored, as Microchip parts) or
  "nack" (data bytes NACKed, as ST parts).
- Fault injection at a given transaction: "nack", "timeout", "short" (a read
  returns 0xff after half the bytes, a write stores only half), "flip" (one data bit
  flipped in a read), "remove" (the part is unplugged from then on).
Counters: transactions, bytes on the wire (address, memory address and data bytes),
data bytes read and written, write cycles, NACKs; `bus_time(freq)` models the wire
time at 9 clocks per byte.
"""

try:
    from time import ticks_ms, ticks_diff
except ImportError:
    try:  # CPython
        import time as _time

        def ticks_ms():
            return int(_time.monotonic() * 1000)
    except ImportError:  # a port without a clock (MicroPython's qemu port): each
        _virtual = [0]   # bus transaction advances a virtual clock by 1 ms

        def ticks_ms():
            return _virtual[0]

    def ticks_diff(a, b):
        return a - b


def _tick():
    if "_virtual" in globals():
        _virtual[0] += 1


try:  # errno values differ between ports (newlib's ETIMEDOUT is 116, Linux's 110)
    from errno import EIO, ENODEV, ETIMEDOUT
except ImportError:
    EIO, ENODEV, ETIMEDOUT = 5, 19, 110
FAULTS = ("nack", "timeout", "short", "flip", "remove")
_NAMES = {EIO: "EIO", ENODEV: "ENODEV", ETIMEDOUT: "ETIMEDOUT"}


def _error(code):
    # Two arguments, so that CPython sets .errno too (MicroPython does either way).
    return OSError(code, _NAMES[code])


class EEPROM:
    def __init__(self, size, page, addrsize=16, base=0x50, write_cycle_ms=5, data=None,
                 write_protect=None):
        if addrsize not in (8, 16):
            raise ValueError("addrsize must be 8 or 16")
        if addrsize == 8 and size > 2048:
            raise ValueError("1-byte-address parts hold at most 2 KiB")
        if write_protect not in (None, "ignore", "nack"):
            raise ValueError("write_protect must be None, 'ignore' or 'nack'")
        self.size = size
        self.page = page
        self.addrsize = addrsize
        self.base = base
        self.write_cycle_ms = write_cycle_ms
        self.write_protect = write_protect
        self.mem = bytearray(size)  # erased: all 0xff, filled without a second copy
        blank = b"\xff" * 256
        mv = memoryview(self.mem)
        for i in range(0, size, 256):
            n = min(256, size - i)
            mv[i:i + n] = blank[:n]
        if data:
            self.load(data)
        self.pointer = 0
        self.busy_since = None
        self.page_writes = 0

    @classmethod
    def part(cls, name, **kw):
        """An EEPROM shaped like a known part: m24c16, m24c64, m24256, m24512..."""
        size, page, addrsize = PARTS[name]
        return cls(size, page, addrsize, **kw)

    def load(self, data, offset=0):
        self.mem[offset:offset + len(data)] = data

    def addresses(self):
        """The I2C addresses this part answers on."""
        span = 256 if self.addrsize == 8 else 65536
        n = max(1, (self.size + span - 1) // span)
        return [self.base + i for i in range(n)]

    def busy(self):
        if self.busy_since is None:
            return False
        if ticks_diff(ticks_ms(), self.busy_since) >= self.write_cycle_ms:
            self.busy_since = None
            return False
        return True

    def _select(self, i2c_addr):
        """Memory address bits carried by the I2C address."""
        bits = 8 if self.addrsize == 8 else 16
        return (i2c_addr - self.base) << bits

    def set_address(self, i2c_addr, addr_bytes):
        value = 0
        for b in addr_bytes:
            value = (value << 8) | b
        self.pointer = (self._select(i2c_addr) | value) % self.size

    def read(self, n):
        out = bytearray(n)
        p = self.pointer
        for i in range(n):
            out[i] = self.mem[p]
            p += 1
            if p == self.size:
                p = 0
        self.pointer = p
        return out

    def write(self, data):
        """Page write at the address counter; wraps inside the page."""
        start = self.pointer
        page_base = start - start % self.page
        off = start - page_base
        for b in data:
            self.mem[page_base + off] = b
            off = (off + 1) % self.page
        self.pointer = page_base + off
        self.page_writes += 1
        if self.write_cycle_ms:
            self.busy_since = ticks_ms()


PARTS = {
    "m24c16": (2048, 16, 8),
    "m24c32": (4096, 32, 16),
    "m24c64": (8192, 32, 16),
    "m24128": (16384, 64, 16),
    "m24256": (32768, 64, 16),
    "m24512": (65536, 128, 16),
    "m24m02": (262144, 256, 16),
}


class Bus:
    """machine.I2C-shaped bus: scan, writeto, readfrom(_into), readfrom_mem(_into),
    writeto_mem, writevto."""

    def __init__(self, *chips):
        self.chips = []
        self.faults = {}
        self.removed = []
        self.log = None  # set to a list to record (op, addr, memaddr, n) per transaction
        self.reset_stats()
        for c in chips:
            self.attach(c)

    def attach(self, chip):
        self.chips.append(chip)
        return chip

    def detach(self, chip):
        self.chips.remove(chip)

    def reset_stats(self):
        self.transactions = 0
        self.wire_bytes = 0
        self.data_read = 0
        self.data_written = 0
        self.nacks = 0

    def stats(self):
        return {"transactions": self.transactions, "wire_bytes": self.wire_bytes,
                "data_read": self.data_read, "data_written": self.data_written,
                "nacks": self.nacks}

    def bus_time(self, freq):
        """Seconds on the wire at `freq` Hz, 9 clocks per byte (no software overhead)."""
        return self.wire_bytes * 9 / freq

    def inject(self, at, kind):
        """Make transaction number `at` (counting from 0, as `transactions` does) fail."""
        if kind not in FAULTS:
            raise ValueError("fault must be one of %s" % (FAULTS,))
        self.faults[at] = kind

    # -- transaction machinery ------------------------------------------------------

    def _chip(self, addr):
        for c in self.chips:
            if addr in c.addresses():
                return c
        return None

    def _begin(self, op, addr, memaddr, n, wire):
        """Start a transaction: count it, apply faults, find the chip (or NACK)."""
        index = self.transactions
        self.transactions += 1
        _tick()
        if self.log is not None:
            self.log.append((op, addr, memaddr, n))
        fault = self.faults.pop(index, None)
        if fault == "remove":
            self.removed.extend(self.chips)
            self.chips = []
        chip = self._chip(addr)
        if chip is None or chip.busy() or fault == "nack":
            self.wire_bytes += 1  # only the address byte went out
            self.nacks += 1
            raise _error(ENODEV)
        self.wire_bytes += wire
        if fault == "timeout":
            raise _error(ETIMEDOUT)
        return chip, fault

    def _addr_bytes(self, chip, memaddr, addrsize):
        n = addrsize // 8
        return bytes([(memaddr >> (8 * (n - 1 - i))) & 0xFF for i in range(n)])

    def _write_phase(self, chip, addr, payload, stop):
        """Bytes of a write phase: memory address first, then data (stored on STOP).
        Returns the number of bytes the part ACKed."""
        need = chip.addrsize // 8
        if len(payload) < need:
            return len(payload)  # incomplete address: the part ignores it
        chip.set_address(addr, payload[:need])
        data = payload[need:]
        if not data:
            return len(payload)
        if chip.write_protect == "nack":
            return need + 1 if data else need  # the first data byte is NACKed
        if stop:
            if chip.write_protect != "ignore":
                chip.write(data)
            self.data_written += len(data)
        return len(payload)

    def _read_phase(self, chip, buf, fault):
        n = len(buf)
        data = chip.read(n)
        if fault == "short":
            for i in range(n // 2, n):
                data[i] = 0xFF
        elif fault == "flip" and n:
            data[n // 2] ^= 0x10
        buf[:] = data
        self.data_read += n

    # -- machine.I2C API ------------------------------------------------------------

    def scan(self):
        found = []
        for addr in range(0x08, 0x78):
            try:
                self.writeto(addr, b"")
                found.append(addr)
            except OSError:
                pass
        return found

    def writeto(self, addr, buf, stop=True):
        buf = bytes(buf)
        chip, fault = self._begin("w", addr, None, len(buf), 1 + len(buf))
        if fault == "short":
            buf = buf[:max(chip.addrsize // 8, len(buf) // 2)]
        return self._write_phase(chip, addr, buf, stop)

    def writevto(self, addr, vector, stop=True):
        return self.writeto(addr, b"".join([bytes(v) for v in vector]), stop)

    def readfrom_into(self, addr, buf, stop=True):
        chip, fault = self._begin("r", addr, None, len(buf), 1 + len(buf))
        self._read_phase(chip, buf, fault)

    def readfrom(self, addr, n, stop=True):
        buf = bytearray(n)
        self.readfrom_into(addr, buf, stop)
        return bytes(buf)

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        chip, fault = self._begin("rm", addr, memaddr, len(buf), 2 + addrsize // 8 + len(buf))
        # Address phase, then a repeated START: nothing is written.
        self._write_phase(chip, addr, self._addr_bytes(chip, memaddr, addrsize), False)
        self._read_phase(chip, buf, fault)

    def readfrom_mem(self, addr, memaddr, n, addrsize=8):
        buf = bytearray(n)
        self.readfrom_mem_into(addr, memaddr, buf, addrsize=addrsize)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        buf = bytes(buf)
        chip, fault = self._begin("wm", addr, memaddr, len(buf), 1 + addrsize // 8 + len(buf))
        if fault == "short":
            buf = buf[:len(buf) // 2]
        self._write_phase(chip, addr, self._addr_bytes(chip, memaddr, addrsize) + buf, True)


def image_bus(image, part="m24c16", **kw):
    """A bus with one EEPROM of `part` holding `image` (bytes) from offset 0."""
    return Bus(EEPROM.part(part, data=image, **kw))
