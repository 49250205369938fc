# A hexpansion app as the Tildagon badge runs it: the badge mounts the EEPROM at
# /hexpansion_N, imports hexpansion_N.app and calls __app_export__(config=...).
from .lib.greeting import greeting  # relative imports work as on LittleFS

try:
    from app import App  # the badge's app base class
except ImportError:  # elsewhere (the unix-port demo): a stand-in

    class App:
        pass


# Data files live next to the code; __file__ says where the app was mounted.
_HERE = __file__.rsplit("/", 1)[0]


class HelloHexpansion(App):
    def __init__(self, config=None):
        super().__init__()
        self.config = config
        with open(_HERE + "/message.txt") as f:
            self.message = f.read().strip()
        self.frames = 0

    def update(self, delta):
        self.frames += 1

    def draw(self, ctx):
        # On the badge ctx is a ctx.graphics context; keep drawing optional.
        if ctx is not None:
            ctx.text_align = ctx.CENTER
            ctx.move_to(0, 0).text(self.message)

    def describe(self):
        port = getattr(self.config, "port", "?")
        return greeting(self.message, port)


__app_export__ = HelloHexpansion
