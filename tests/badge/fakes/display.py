"""Fake of the badge's `display` (C module): nothing is drawn."""


class _Ctx:
    """Accepts any drawing call and returns itself, so chained calls work."""

    width = 240
    height = 240
    font_size = 10
    text_align = "left"
    text_baseline = "alphabetic"
    font = ""
    line_width = 1
    global_alpha = 1.0
    image_smoothing = 0
    compositing_mode = 0
    LEFT = "left"
    RIGHT = "right"
    CENTER = "center"
    MIDDLE = "middle"
    TOP = "top"
    BOTTOM = "bottom"

    def text_width(self, text):
        return len(str(text)) * 6

    def __getattr__(self, name):
        def call(*args, **kwargs):
            return self

        return call


def gfx_init():
    pass


def get_ctx():
    return _Ctx()


def get_overlay_ctx():
    return _Ctx()


def end_frame(ctx):
    pass


def hexagon(ctx, x, y, dim):
    return ctx


def get_fps():
    return 0
