# A package with data files read through __file__.
from .gfx import load_words, shape_names
from .gfx.shapes import Shape

try:
    from app import App
except ImportError:
    App = object


class Gallery(App):
    def __init__(self, config=None):
        self.config = config
        self.words = load_words()
        self.shapes = [Shape(n) for n in shape_names()]

    def summary(self):
        return {"words": self.words, "shapes": [s.describe() for s in self.shapes],
                "sprite": sum(s.sprite_sum() for s in self.shapes[:1])}


__app_export__ = Gallery
