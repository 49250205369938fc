# A registry folder with what the registry leaves out: README.md, extras/, USE_MPY.
from .lib.tone import notes

try:
    from app import App
except ImportError:
    App = object


class Buzzer(App):
    def __init__(self, config=None):
        self.config = config

    def summary(self):
        return {"notes": notes()}


__app_export__ = Buzzer
