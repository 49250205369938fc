# Test app: everything a hexpansion app does when the badge imports it.
from .lib.helpers import double, NAME  # relative import of a module in a plain folder
from .sub import PACKAGE_FLAG  # a package with __init__
from .sub.inner import where

_HERE = __file__.rsplit("/", 1)[0]


def table():
    with open(_HERE + "/data/table.csv") as f:
        return [line.strip().split(",") for line in f]


class TestApp:
    def __init__(self, config=None):
        self.config = config
        self.value = double(21)

    def summary(self):
        return {"value": self.value, "name": NAME, "flag": PACKAGE_FLAG, "where": where(),
                "file": __file__, "rows": len(table()), "port": self.config}


__app_export__ = TestApp
