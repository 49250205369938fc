"""The badge's pure-Python path to a LittleFS hexpansion, rewritten for comparison.

Runs under MicroPython.  It behaves as badge-2024-software's EEPROM driver and
partition do (Peter Hinch's eeprom_i2c + EEPROMPartition: badge-2024-software's
modules/lib/eeprom_i2c.py, modules/eeprom_partition.py, modules/system/hexpansion/util.py): blocks of 64 bytes below 8 KiB and 512 bytes from 8 KiB up, starting at the
header's fs_offset; reads split at page boundaries, one I2C transaction per page and
a new buffer per read; writes per page, each followed by ACK polling with 1 ms
sleeps.  Used by the tests (an eerom image must not confuse it) and the benchmarks
(eerom against the badge's path, on the same simulated bus).
"""

try:
    from time import sleep_ms
except ImportError:
    try:  # CPython
        import time

        def sleep_ms(ms):
            time.sleep(ms / 1000)
    except ImportError:  # no clock at all (the qemu port): poll again at once

        def sleep_ms(ms):
            pass


class BadgeEEPROM:
    def __init__(self, i2c, fs_offset, page_size, total_size, addr=0x50, addrsize=16):
        self.i2c = i2c
        self.addr = addr
        self.addrsize = addrsize
        self.page = page_size
        self.offset = fs_offset
        self.block_size = 512 if total_size >= 8192 else 64
        self.blocks = (total_size - fs_offset) // self.block_size

    def _device(self, mem):
        span = 256 if self.addrsize == 8 else 65536
        return self.addr + mem // span, mem % span

    def readblocks(self, block, buf, offset=0):
        mem = self.offset + block * self.block_size + offset
        mv = memoryview(buf)
        pos = 0
        while pos < len(buf):
            n = min(len(buf) - pos, self.page - (mem + pos) % self.page)
            dev, at = self._device(mem + pos)
            mv[pos:pos + n] = self.i2c.readfrom_mem(dev, at, n, addrsize=self.addrsize)
            pos += n

    def writeblocks(self, block, buf, offset=None):
        mem = self.offset + block * self.block_size + (offset or 0)
        mv = memoryview(buf)
        pos = 0
        while pos < len(buf):
            n = min(len(buf) - pos, self.page - (mem + pos) % self.page)
            dev, at = self._device(mem + pos)
            self.i2c.writeto_mem(dev, at, mv[pos:pos + n], addrsize=self.addrsize)
            self._wait(dev)
            pos += n

    def _wait(self, dev):
        while True:  # the badge's driver polls with no timeout
            try:
                self.i2c.writeto(dev, b"\x00")
                return
            except OSError:
                sleep_ms(1)

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.block_size
        return 0
