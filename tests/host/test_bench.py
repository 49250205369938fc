"""The benchmark code keeps working (a small case, no callgrind): `make bench` is not
part of the tests, but its measuring code should not rot."""

import os
import sys

from conftest import EXAMPLE_APP, ROOT
from eerom.parts import get_part

sys.path.insert(0, os.path.join(ROOT, "bench"))


def test_mount_measurement_runs():
    import mount

    m = mount.measure(EXAMPLE_APP, get_part("m24c16"), callgrind=False)
    e, py = m["eerom"], m["lfs-py"]
    assert e["data_read"] == m["eerom_size"]
    assert e["wire_bytes"] < py["wire_bytes"] and e["transactions"] < py["transactions"]
    assert m["image_size"] <= e["heap_mount"] < m["image_size"] + 2048
    # the preset dictionary, side by side: fewer bytes read, a peak of at most the
    # dictionary more, and exactly as much held after the mount
    from eerom import dictionary
    d = m["eerom+dict"]
    assert d["data_read"] == d["size"] < e["data_read"]
    assert e["peak"] < d["peak"] <= e["peak"] + len(dictionary.builtin())
    assert d["held"] == e["held"]
