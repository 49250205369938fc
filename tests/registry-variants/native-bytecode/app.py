# Test app (issue 9): a hexpansion app whose hot paths are native code, as several
# apps in the hexpansion registry have.  The badge imports it as hexpansion_N.app
# and calls __app_export__(config=...).
try:
    from app import App  # the badge's base class
except ImportError:  # anywhere else (tests on the unix and qemu ports)
    App = object

from .fast import Fast, checksum


class NativeApp(App):
    def __init__(self, config=None):
        super().__init__()
        self.config = config
        self.fast = Fast(64)

    def results(self):
        """What each kind of code computes: native methods, viper methods (ptr8 over a
        bytearray, machine-int arithmetic) and a module-level native function."""
        f = self.fast
        return {
            "fill": f.fill(7),  # @micropython.native method
            "sum": f.total(),  # @micropython.viper method
            "mix": f.mix(0x5A),  # @micropython.viper method writing through ptr8
            "sum_after": f.total(),
            "check": checksum(f.buf),  # @micropython.native function
            "scale": f.scale(1234, 5),  # @micropython.viper, int arguments
            "port": self.config,
        }

    def update(self, delta):
        self.fast.fill(delta & 0xFF)

    def draw(self, ctx):
        pass


__app_export__ = NativeApp
