"""The badge's LittleFS layout, used for comparison, is faithful to the badge."""

import os

from eerom import littlefs_layout
from eerom.parts import get_part

FILES = [("app.mpy", os.urandom(1500)), ("lib/a.mpy", os.urandom(700)), ("data.txt", b"x" * 40)]


def test_block_size_rule():
    # badge-2024-software util.py: 512-byte blocks from 8 KiB up, 64-byte blocks below.
    assert get_part("m24c16").badge_lfs_block_size == 64
    assert get_part("m24c32").badge_lfs_block_size == 64
    assert get_part("m24c64").badge_lfs_block_size == 512
    assert get_part("m24512").badge_lfs_block_size == 512


def test_littlefs_python_matches_micropython(micropython):
    """Two implementations of the same layout agree at 512-byte blocks."""
    part = get_part("m24256")
    a = littlefs_layout._lfs_python(FILES, 512, 63)
    b = littlefs_layout._lfs_micropython(micropython, FILES, 512, 63)
    assert a == b


def test_small_parts_use_micropython_vfslfs2(micropython):
    layout = littlefs_layout.badge_layout(FILES[1:], get_part("m24c16"), micropython=micropython)
    assert layout.tool == "MicroPython VfsLfs2" and layout.block_size == 64
    assert layout.fits and layout.blocks_available == (2048 - 32) // 64


def test_does_not_fit_reports_the_need(micropython):
    big = [("app.mpy", os.urandom(4000))]
    layout = littlefs_layout.badge_layout(big, get_part("m24c16"), micropython=micropython)
    assert not layout.fits and layout.blocks_used > layout.blocks_available
