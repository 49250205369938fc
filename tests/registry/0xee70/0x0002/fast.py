# The app's hot paths as native code: @micropython.native and @micropython.viper
# methods of a class, and a module-level @micropython.native function.  mpy-cross
# compiles them only for one CPU architecture (-march).  All results are kept to
# 16 bits, so that every architecture (and plain bytecode) computes the same values.
import micropython


@micropython.native
def checksum(data):
    s = 0
    for b in data:
        s = (s * 31 + b) & 0xFFFF
    return s


class Fast:
    def __init__(self, n):
        self.buf = bytearray(n)

    @micropython.native
    def fill(self, seed):
        buf = self.buf
        x = seed
        for i in range(len(buf)):
            x = (x * 75 + 74) % 65537
            buf[i] = x & 0xFF
        return x

    @micropython.viper
    def total(self) -> int:
        p = ptr8(self.buf)
        n = int(len(self.buf))
        s = 0
        i = 0
        while i < n:
            s += p[i]
            i += 1
        return s

    @micropython.viper
    def mix(self, key: int) -> int:
        p = ptr8(self.buf)
        n = int(len(self.buf))
        acc = 0
        i = 0
        while i < n:
            v = (p[i] ^ key) & 0xFF
            p[i] = v
            acc = (acc * 33 + v) & 0xFFFF
            key = (key + 1) & 0xFF
            i += 1
        return acc

    @micropython.viper
    def scale(self, a: int, b: int) -> int:
        r = 0
        for i in range(b):
            r = (r + a * (i + 1)) & 0xFFFF
        return r
