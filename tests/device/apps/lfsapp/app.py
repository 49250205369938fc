# A hexpansion app as makers ship it today: source files on LittleFS.
from .util import shout

_HERE = __file__.rsplit("/", 1)[0]


class LfsApp:
    def __init__(self, config=None):
        self.config = config
        with open(_HERE + "/greeting.txt") as f:
            self.greeting = shout(f.read().strip())

    def deinit(self):
        self.config.deinit_called = True


__app_export__ = LfsApp
