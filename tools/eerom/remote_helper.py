# Device side of `eerom flash/read/verify/erase/info`: tools/eerom/link.py sends it
# to the board's REPL once per session (packed: link.pack_source), then calls the
# methods of one Eeprom object, `ee`.  With the eerom module this is all there is;
# stock firmware also gets remote_helper_stock.py, whose StockEeprom does the same in
# pure Python.  Addresses m are EEPROM memory addresses; writes and digests go by
# pages of `page` bytes.
import machine
try:
    import eerom as X
    X.page_digests
except Exception:
    X = None


class Eeprom:
    # The EEPROM on bus i2c: its I2C address and memory address bits.
    def __init__(self, i2c, addr=None, addrsize=16):
        self.i2c, self.addr, self.addrsize = i2c, addr, addrsize
        if addr is None:
            self.detect()

    def detect(self):
        self.addr, self.addrsize = X.detect(self.i2c)

    def read(self, m, n):
        return X.read(self.i2c, m, n, addr=self.addr, addrsize=self.addrsize)

    def digests(self, m, n, page):
        return X.page_digests(self.i2c, m, n, page, addr=self.addr, addrsize=self.addrsize)

    def write(self, m, d, page):
        X.write(self.i2c, m, d, page, addr=self.addr, addrsize=self.addrsize)

    def mount(self, path):
        # Mount (eerom checks everything first), list, unmount: prints the mount info
        # and the files.
        import os
        print(X.mount(self.i2c, path, addr=self.addr, addrsize=self.addrsize))
        print(os.listdir(path))
        X.umount(path)


# The wire encodings (link.py); binascii is imported where used, as a board may lack it.
def out(b):
    import binascii as B
    print(B.b2a_base64(b).decode().strip())


def b64(s):
    import binascii as B
    return B.a2b_base64(s)


def z(s):
    import binascii as B, deflate, io
    return deflate.DeflateIO(io.BytesIO(B.a2b_base64(s)), deflate.RAW, 9).read()
