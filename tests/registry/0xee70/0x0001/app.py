# A 2 KiB hexpansion app: a counter the badge shows.
try:
    from app import App
except ImportError:  # not on a badge: the tests import it alone
    App = object


class Counter(App):
    def __init__(self, config=None):
        self.config = config
        self.count = 0

    def update(self, delta):
        self.count += 1

    def draw(self, ctx):
        ctx.text("count %d" % self.count)

    def summary(self):
        for _ in range(3):
            self.update(10)
        return {"count": self.count, "port": getattr(self.config, "port", self.config)}


__app_export__ = Counter
