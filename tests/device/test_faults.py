"""Bus faults at every transaction of a mount: a NACK, a timeout, a short read, a
flipped bit, the hexpansion pulled out.  Each mount either fails with OSError,
leaving nothing mounted and no memory behind, or (when the fault hit something that
does not matter, or the header retry covered it) mounts the genuine image; a good
part mounts afterwards.  On unix and qemu, over the simulated and the native bus."""

import pytest

from conftest import EXAMPLE_APP, build_image

FAULTS = ("nack", "timeout", "short", "flip", "remove")

SCRIPT = """
image, kind = ARGS[0], ARGS[1]
def new_bus():
    return new_bus_of(kind, "m24c16", image)

# A good mount first: it fills the image cache, and counts the transactions.
bus = new_bus()
good = eerom.mount(bus, "/hexpansion_1")
expected = sorted(os.listdir("/hexpansion_1"))
eerom.umount("/hexpansion_1")
total = bus_stats(bus)["transactions"]
bus = None
gc.collect()
baseline = gc.mem_alloc()
# growth is allocated up front: its own doubling must not count as eerom's.
errors, mounted_ok, wrong, left_mounted = {}, 0, 0, 0
growth, n = [0] * (len(ARGS[2]) * total), 0
gc.collect()
baseline = gc.mem_alloc()
for fault in ARGS[2]:
    for at in range(total):
        bus = new_bus()
        bus_inject(bus, at, fault)
        try:
            eerom.mount(bus, "/hexpansion_1")
        except OSError as e:
            errors[e.errno] = errors.get(e.errno, 0) + 1
            if "/hexpansion_1" in mounted():
                left_mounted += 1
        else:
            mounted_ok += 1
            if sorted(os.listdir("/hexpansion_1")) != expected:
                wrong += 1
            eerom.umount("/hexpansion_1")
        bus = None
        gc.collect()
        growth[n] = gc.mem_alloc() - baseline
        n += 1
after = eerom.mount(new_bus(), "/hexpansion_1").image_size
report(total=total, errors=[[k, v] for k, v in errors.items()], mounted_ok=mounted_ok, wrong=wrong,
       growth=growth, left_mounted=left_mounted, after=after, good=good.image_size)
"""


@pytest.mark.parametrize("kind", ["sim", "native"])
def test_a_fault_at_every_transaction(device, kind):
    build = build_image(EXAMPLE_APP, "m24c16")
    r = device.run1(SCRIPT, build.image.to_bytes(), kind, list(FAULTS), timeout=900)
    assert r["total"] >= 12  # 8 probes, the header, the payload's blocks
    tries = r["total"] * len(FAULTS)
    failed = sum(v for _, v in r["errors"])
    assert failed + r["mounted_ok"] == tries
    assert r["wrong"] == 0  # a fault never yields a mount of something else
    assert r["left_mounted"] == 0
    # No leak: what one failed mount leaves (the last exception, kept alive by the
    # conservative GC) does not add up over 0 of them.
    growth = r["growth"]
    assert max(growth) < 2048, growth
    assert growth[-1] - min(growth) < 1024 and sum(growth[-20:]) / 20 < min(growth) + 512, growth
    assert r["after"] == r["good"] == len(build.romfs)
    assert failed > tries / 2  # most faults do hit (NACK, timeout, unplug: always)
