# Device side of `eerom flash/read/verify/erase/info`: tools/eerom/link.py sends it
# to the board's REPL once per session (without full-line comments), then calls the
# methods of one Eeprom object, `ee`.  With the eerom module this is all there is;
# stock firmware also gets remote_helper_stock.py, whose StockEeprom does the same in
# pure Python.
import machine, binascii as B
try:
    import eerom as X
    X.page_digests
except Exception:
    X = None


class Eeprom:
    # The EEPROM on bus i2c: I2C address, memory address bits, write page size.
    def __init__(self, i2c, page, addr=None, addrsize=16):
        self.i2c, self.page, self.addr, self.addrsize = i2c, page, addr, addrsize
        if addr is None:
            self.detect()

    def detect(self):
        self.addr, self.addrsize = X.detect(self.i2c)

    def read(self, m, n):
        return X.read(self.i2c, m, n, addr=self.addr, addrsize=self.addrsize)

    def digests(self, m, n):
        return X.page_digests(self.i2c, m, n, self.page, addr=self.addr, addrsize=self.addrsize)

    def write(self, m, d):
        X.write(self.i2c, m, d, self.page, addr=self.addr, addrsize=self.addrsize)

    def mount(self, path):
        # Mount (eerom checks everything first), list, unmount: prints the mount info
        # and the files.
        import os
        print(X.mount(self.i2c, path, addr=self.addr, addrsize=self.addrsize))
        print(sorted(os.listdir(path)))
        X.umount(path)


def out(b):
    print(B.b2a_base64(b).decode().strip())


def b64(s):
    return B.a2b_base64(s)


def z(s):
    import deflate, io
    return deflate.DeflateIO(io.BytesIO(B.a2b_base64(s)), deflate.RAW, 9).read()
