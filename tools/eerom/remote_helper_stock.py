# Pure-Python EEPROM access for boards without the eerom module (sent after
# remote_helper.py, whose detect/rd/digests/wr these replace).  Only machine.I2C needed.
try:
    from time import ticks_ms, ticks_diff
except ImportError:
    ticks_ms = None
try:
    from hashlib import sha256 as H
except ImportError:
    H = None


def here(a):
    try:
        I.writeto(a, b"")
        return True
    except OSError:
        return False


def detect():
    # The badge's rule: 0x57 alone -> 2-byte addresses there; 0x50..0x57 all -> an
    # M24C16 (1-byte addresses, block in the I2C address); 0x50 -> 2-byte addresses.
    global A, S
    p50, p57 = here(0x50), here(0x57)
    if p57 and not p50:
        A, S = 0x57, 16
    elif p50:
        A, S = 0x50, 8 if all(here(a) for a in range(0x51, 0x58)) else 16
    else:
        raise OSError(19)


def dev(m):
    span = 256 if S == 8 else 65536
    return A + m // span, m % span, span


def rd(m, n):
    out = bytearray(n)
    mv = memoryview(out)
    i = 0
    while i < n:
        d, a, span = dev(m + i)
        k = min(n - i, span - a)
        I.readfrom_mem_into(d, a, mv[i:i + k], addrsize=S)
        i += k
    return out


def fnv(b):
    h = 0x811C9DC5
    for x in b:
        h = ((h ^ x) * 0x01000193) & 0xFFFFFFFF
    return h.to_bytes(4, "little")


def digests(m, n):
    # 4 bytes per page-aligned piece: SHA-256's first 4 if hashlib is there, else FNV-1a.
    out = bytearray()
    end = m + n
    while m < end:
        chunk = rd(m, min(end - m, 256 - m % P))
        i = 0
        while i < len(chunk):
            k = min(len(chunk) - i, P - (m + i) % P)
            out.extend(H(chunk[i:i + k]).digest()[:4] if H else fnv(chunk[i:i + k]))
            i += k
        m += len(chunk)
    return out


def wait(d):
    # ACK polling, bounded: parts finish a write cycle within 5 ms.
    t = ticks_ms() if ticks_ms else 0
    n = 0
    while not here(d):
        n += 1
        if (ticks_diff(ticks_ms(), t) > 50) if ticks_ms else n > 2000:
            raise OSError(110)


def wr(m, data):
    i = 0
    while i < len(data):
        d, a, span = dev(m + i)
        k = min(len(data) - i, P - (m + i) % P)
        ab = bytes([a >> 8, a & 255]) if S == 16 else bytes([a])
        acks = I.writevto(d, (ab, data[i:i + k]))
        if acks is not None and acks < len(ab) + k:
            raise OSError(5)
        wait(d)
        i += k
