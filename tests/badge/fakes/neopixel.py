"""Fake of `neopixel` as the badge builds it (micropython-lib's, with the badge's
ComposedNeoPixel/MergedNeoPixel patch): pixels kept in a list, never sent."""


class NeoPixel:
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self.timing = timing
        self.buf = [(0,) * bpp for _ in range(n)]
        self.writes = 0

    def __len__(self):
        return self.n

    def __setitem__(self, i, v):
        self.buf[i] = tuple(v)

    def __getitem__(self, i):
        return self.buf[i]

    def fill(self, v):
        for i in range(self.n):
            self.buf[i] = tuple(v)

    def write(self):
        self.writes += 1


class MergedNeoPixel:
    def __init__(self, string, indices):
        self.string = string
        self.indices = indices
        self.n = len(indices)

    def __setitem__(self, i, v):
        for led in self.indices[i]:
            self.string[led] = v

    def __getitem__(self, i):
        for led in self.indices[i]:
            return self.string[led]
        raise KeyError("No such LED in this string")

    def fill(self, v):
        self.string.fill(v)

    def write(self):
        self.string.write()


class ComposedNeoPixel:
    def __init__(self, string, offset=0):
        self.strings = []
        self.offsets = []
        self.lengths = []
        self.add_string(string, offset)

    def add_string(self, string, offset):
        self.strings.append(string)
        self.offsets.append(offset)
        self.lengths.append(string.n)

    def remove_string(self, string):
        i = self.strings.index(string)
        del self.strings[i]
        del self.offsets[i]
        del self.lengths[i]

    def __setitem__(self, i, v):
        for string, offset, length in zip(self.strings, self.offsets, self.lengths):
            if 0 <= i - offset < length:
                string[i - offset] = v

    def __getitem__(self, i):
        for string, offset, length in zip(self.strings, self.offsets, self.lengths):
            if 0 <= i - offset < length:
                return string[i - offset]
        raise KeyError("No such LED in this string")

    def fill(self, v):
        for string in self.strings:
            string.fill(v)

    def write(self):
        for string in self.strings:
            string.write()

    @property
    def n(self):
        return max(o + l for o, l in zip(self.offsets, self.lengths))
