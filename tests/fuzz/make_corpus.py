"""Write the fuzzer's seed corpus: real images, payloads and ROMFS images.

    python tests/fuzz/make_corpus.py OUTDIR

Each seed starts with the harness's mode byte (tests/fuzz/fuzz_image.c)."""

import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "host"))

from eerom import builder  # noqa: E402
from eerom.parts import get_part  # noqa: E402
from test_spec import spec_example  # noqa: E402

APPS = [os.path.join(ROOT, "examples", "hello_hexpansion"),
        os.path.join(ROOT, "tests", "device", "apps", "basic"),
        os.path.join(ROOT, "tests", "device", "apps", "lfsapp")]


def seeds():
    yield b"\x00" + spec_example()
    yield b"\x01" + spec_example()
    for app in APPS:
        for part in ("m24c16", "m24c64", "m24512"):
            for layout in ("solid", "paged"):
                b = builder.build(app, get_part(part), 0xCA75, 0x1337, "seed", layout=layout, effort="fast")
                image = b.image.to_bytes()
                yield b"\x00" + image
                yield b"\x01" + image
                sb = b.image.superblock
                yield b"\x02" + sb.image_size.to_bytes(2, "little") + b.image.payload
                yield b"\x03" + b.romfs


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
