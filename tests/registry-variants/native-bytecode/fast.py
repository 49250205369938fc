# tests/registry/0xee70/0x0002/fast.py without native code: the same functions with
# the @micropython.native and @micropython.viper decorators removed, and the viper
# casts (ptr8(), int()) with them, so that everything is bytecode.  The results are
# the same; tests/device/test_native.py compares the RAM each costs.


def checksum(data):
    s = 0
    for b in data:
        s = (s * 31 + b) & 0xFFFF
    return s


class Fast:
    def __init__(self, n):
        self.buf = bytearray(n)

    def fill(self, seed):
        buf = self.buf
        x = seed
        for i in range(len(buf)):
            x = (x * 75 + 74) % 65537
            buf[i] = x & 0xFF
        return x

    def total(self) -> int:
        p = self.buf
        n = len(self.buf)
        s = 0
        i = 0
        while i < n:
            s += p[i]
            i += 1
        return s

    def mix(self, key: int) -> int:
        p = self.buf
        n = len(self.buf)
        acc = 0
        i = 0
        while i < n:
            v = (p[i] ^ key) & 0xFF
            p[i] = v
            acc = (acc * 33 + v) & 0xFFFF
            key = (key + 1) & 0xFF
            i += 1
        return acc

    def scale(self, a: int, b: int) -> int:
        r = 0
        for i in range(b):
            r = (r + a * (i + 1)) & 0xFFFF
        return r
