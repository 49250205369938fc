"""The dictionary trainer (eerom.dict_train) and the badge's dictionary its recipe makes."""

import os
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLE_APP, ROOT
from eerom import builder, compress, dict_train, dictionary, romfs
from eerom.errors import UsageError

TRAIN = [os.path.join(ROOT, "tools"), os.path.join(ROOT, "bench")]  # for the trainer itself
REGISTRY_APP = os.path.join(ROOT, "tests", "registry", "0xee70", "0x0001")


def badge_modules():
    """The badge OS's modules: $BADGE_DIR/modules, else ../shared/badge-2024-software/modules
    next to the repository."""
    base = os.environ.get("BADGE_DIR") or os.path.join(ROOT, "..", "shared", "badge-2024-software")
    return os.path.join(base, "modules")


@pytest.fixture(scope="module")
def badge():
    path = badge_modules()
    if not os.path.isdir(path):
        pytest.skip("no badge OS snapshot at %s: set BADGE_DIR to a badge-2024-software checkout "
                    "(commit %s) to check the dictionary's recipe" % (path, dict_train.RECIPE_BADGE_COMMIT))
    return path


def test_the_recipe_reproduces_the_committed_dictionary(badge):
    version = dict_train.mpy_cross_version()
    if version != dict_train.RECIPE_MPY_CROSS:
        pytest.skip("the recipe compiles with %r, this mpy-cross is %r: its bytecode may differ"
                    % (dict_train.RECIPE_MPY_CROSS, version))
    data = dict_train.badge_dictionary(badge, dict_train.RECIPE_SIZE)
    committed = dictionary.builtin()
    assert len(committed) == dict_train.RECIPE_SIZE
    assert data == committed, (
        "badge_dictionary(%s, %d) is 0x%08x, tools/eerom/dicts/%s is 0x%08x: rerun `eerom dict train %s "
        "--size %d -o tools/eerom/dicts/%s` only if the recipe was meant to change (the firmware's "
        "dictionary changes with it)" % (badge, dict_train.RECIPE_SIZE, dictionary.dict_id(data), dictionary.BADGE,
                                         dictionary.dict_id(committed), badge, dict_train.RECIPE_SIZE,
                                         dictionary.BADGE))


def _zlib(image, zdict=None):
    return len(compress.zlib_raw(image, dictionary=zdict))


@pytest.mark.parametrize("app", [EXAMPLE_APP, REGISTRY_APP], ids=["hello_hexpansion", "registry-0x0001"])
def test_the_dictionary_helps_an_app_it_was_not_trained_on(app):
    tree, _, _ = builder.collect(app)
    image = romfs.write(tree)
    zdict = dictionary.builtin()
    without, with_ = _zlib(image), _zlib(image, zdict)
    assert compress.inflate(compress.zlib_raw(image, dictionary=zdict), zdict) == image
    # measured: 566 -> 409 B and 345 -> 245 B (docs/BENCHMARKS.md, "Preset dictionary")
    assert with_ <= 0.85 * without, (with_, without)


def _train_in_subprocess(hashseed, size):
    code = ("import sys; from eerom import dict_train; "
            "sys.stdout.buffer.write(dict_train.train(dict_train.samples(%r), %d))" % (TRAIN, size))
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env).stdout


def test_training_is_deterministic():
    """Same input, same bytes: in this process, again, and under other hash seeds."""
    samples = list(dict_train.samples(TRAIN))
    assert len(samples) >= 3
    first = dict_train.train(samples, 4096)
    assert len(first) == 4096
    assert dict_train.train(iter(samples), 4096) == first
    assert _train_in_subprocess(1, 4096) == first
    assert _train_in_subprocess(2, 4096) == first


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def test_samples_are_romfs_images_of_each_folder(tmp_path):
    _write(str(tmp_path / "app.py"), "import lib\nclass App:\n    def update(self, delta):\n        pass\n")
    _write(str(tmp_path / "notes.txt"), "not python\n")
    _write(str(tmp_path / ".hidden.py"), "x = 1\n")
    _write(str(tmp_path / "lib" / "__init__.py"), "def f():\n    return 1\n")
    _write(str(tmp_path / "lib" / "util.py"), "def g():\n    return 2\n")
    _write(str(tmp_path / "data" / "x.bin"), "no python here")
    out = list(dict_train.samples([str(tmp_path)]))
    assert len(out) == 2  # the top folder and lib/; data/ has no Python
    names = [[path for path, _ in romfs.walk_files(romfs.check(s))] for s in out]
    assert names == [["app.mpy"], ["__init__.mpy", "util.mpy"]]
    top = dict(romfs.walk_files(romfs.check(out[0])))["app.mpy"].data
    assert top[:1] == b"M" and b"app.py" in top  # compiled, named by its file name alone
    with pytest.raises(UsageError):
        list(dict_train.samples([str(tmp_path / "missing")]))
    with pytest.raises(UsageError, match=re.escape("nothing in %s repeats" % (tmp_path / "lib"))):
        dict_train.train(dict_train.samples([str(tmp_path / "lib")]), 1024)  # one folder: one sample


def test_train_takes_segments_from_samples_shared_by_two():
    common = b"__app_export__ update draw ctx eventbus "
    samples = [b"%d unique bytes %s, and %s" % (i, bytes([65 + i]) * 40, common) for i in range(8)]
    data = dict_train.train(samples, 1024)
    assert 0 < len(data) < 1024  # nothing more that two samples share
    assert b"eventbus" in data and bytes([65]) * 8 not in data  # a run in one sample alone is left out
    with pytest.raises(UsageError):
        dict_train.train(samples, 0)
    with pytest.raises(UsageError):
        dict_train.train(samples, dictionary.MAX_SIZE + 1)
    with pytest.raises(UsageError):
        dict_train.train([], 1024)
