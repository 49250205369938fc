"""Write the fuzzer's seed corpus: real images, payloads and ROMFS images, with and
without the firmware's preset dictionary.

    python tests/fuzz/make_corpus.py OUTDIR

Each seed starts with the harness's mode byte (tests/fuzz/fuzz_image.c)."""

import hashlib
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "host"))

from eerom import builder, dictionary  # noqa: E402
from eerom.image import METHOD_DEFLATE, Image  # noqa: E402
from eerom.parts import get_part  # noqa: E402
from test_spec import spec_example  # noqa: E402

APPS = [os.path.join(ROOT, "examples", "hello_hexpansion"),
        os.path.join(ROOT, "tests", "device", "apps", "basic"),
        os.path.join(ROOT, "tests", "device", "apps", "lfsapp")]

# Mode bytes (fuzz_image.c): bits 0-1 the mode, bit 2 "no dictionary" (modes 0, 1)
# or "inflate after some of the dictionary" (mode 2).
WHOLE, REPAIRED, INFLATE, ROMFS, NO_DICT = 0, 1, 2, 3, 4


def deflate_with(data, zdict):
    """Raw deflate of data with zdict as history (zlib -9, 32 KiB window)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=zdict)
    return c.compress(data) + c.flush()


def seeds():
    yield bytes([WHOLE]) + spec_example()
    yield bytes([REPAIRED]) + spec_example()
    history = dictionary.builtin()
    ident = dictionary.dict_id(history)
    for app in APPS:
        for part in ("m24c16", "m24c64", "m24512"):
            for layout in ("solid", "paged"):
                b = builder.build(app, get_part(part), 0xCA75, 0x1337, "seed", layout=layout, effort="fast",
                                  dictionary="none")
                image = b.image.to_bytes()
                yield bytes([WHOLE]) + image
                yield bytes([REPAIRED]) + image
                sb = b.image.superblock
                yield bytes([INFLATE]) + sb.image_size.to_bytes(2, "little") + b.image.payload
                yield bytes([ROMFS]) + b.romfs
            # The same ROMFS deflated with the firmware's dictionary as history: the
            # reader that holds it, the reader that does not, and the inflater alone
            # with all of the dictionary before the output, and with too little of it.
            payload = deflate_with(b.romfs, history)
            if len(payload) >= len(b.romfs):
                continue
            image = Image.create(b.image.header, b.romfs, payload, METHOD_DEFLATE, dict_id=ident).to_bytes()
            yield bytes([WHOLE]) + image
            yield bytes([REPAIRED]) + image
            yield bytes([WHOLE | NO_DICT]) + image
            size = len(b.romfs).to_bytes(2, "little")
            yield bytes([INFLATE | NO_DICT]) + size + len(history).to_bytes(2, "little") + payload
            yield bytes([INFLATE | NO_DICT]) + size + (len(history) // 2).to_bytes(2, "little") + payload


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for seed in seeds():
        name = hashlib.sha1(seed).hexdigest()[:16]
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(seed)
        n += 1
    print("%d seeds in %s" % (n, outdir))


if __name__ == "__main__":
    main(sys.argv[1])
