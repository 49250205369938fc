"""micropython-lib's `tarfile` (reader), rewritten with the same behaviour:

- TarFile(name=None, mode="r", fileobj=None); iterating (or next()) gives TarInfo
  objects until the archive's zero block or the end of the file;
- TarInfo.name is the 100-byte ustar name field (the ustar prefix field and GNU
  long names are not read, as in micropython-lib), .size its octal size field;
- TarInfo.type is DIRTYPE ("dir") when the name ends with "/", else REGTYPE
  ("file"): micropython-lib decides by the name, not by the typeflag byte;
- extractfile(info) gives a file-like object reading that member's bytes; it is
  only valid until the iteration moves on.
"""

DIRTYPE = "dir"
REGTYPE = "file"

_BLOCKSIZE = 512
_S_IFMT = 0o170000
_S_IFREG = 0o100000
_S_IFDIR = 0o040000


def _roundup(val, align):
    return (val + align - 1) & ~(align - 1)


class _Member:
    def __init__(self, f, size, aligned):
        self.f = f
        self.left = size
        self.pad = aligned - size

    def read(self, n=65536):
        if self.left <= 0:
            return b""
        if n is None or n < 0 or n > self.left:
            n = self.left
        data = self.f.read(n)
        self.left -= len(data)
        return data

    def readinto(self, buf):
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def skip(self):
        n = self.left + self.pad
        while n > 0:
            chunk = self.f.read(min(n, _BLOCKSIZE))
            if not chunk:
                break
            n -= len(chunk)
        self.left = 0
        self.pad = 0


class TarInfo:
    def __init__(self, name=""):
        self.name = name
        self.size = 0
        self.mode = _S_IFDIR if name[-1:] == "/" else _S_IFREG

    @property
    def type(self):
        return DIRTYPE if self.isdir() else REGTYPE

    def isdir(self):
        return (self.mode & _S_IFMT) == _S_IFDIR

    def isreg(self):
        return (self.mode & _S_IFMT) == _S_IFREG

    def __str__(self):
        return "TarInfo(%r, %s, %d)" % (self.name, self.type, self.size)


class TarFile:
    def __init__(self, name=None, mode="r", fileobj=None):
        if mode != "r":
            raise NotImplementedError("Install tarfile-write")
        self.mode = mode
        self.f = fileobj if fileobj else open(name, "rb")
        self.subf = None
        self.offset = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def next(self):
        if self.subf:
            self.subf.skip()
        buf = self.f.read(_BLOCKSIZE)
        if not buf or buf[0] == 0:
            return None
        self.offset += len(buf)
        name = bytes(buf[:100])
        end = name.find(b"\0")
        if end >= 0:
            name = name[:end]
        info = TarInfo(str(name, "utf-8"))
        info.size = int(bytes(buf[124:135]), 8)
        aligned = _roundup(info.size, _BLOCKSIZE)
        self.subf = info.subf = _Member(self.f, info.size, aligned)
        self.offset += aligned
        return info

    def __iter__(self):
        return self

    def __next__(self):
        v = self.next()
        if v is None:
            raise StopIteration
        return v

    def extractfile(self, tarinfo):
        return tarinfo.subf

    def close(self):
        self.f.close()
