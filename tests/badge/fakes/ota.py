"""Fake of the badge's `ota` (C module)."""


def get_version():
    return "v2.0.0-harness"


def update(cb, url):
    raise OSError("ota.update is not available in the test harness")
