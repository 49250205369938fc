def _here():
    return __file__.rsplit("/", 1)[0]


def _app_dir():
    return _here().rsplit("/", 1)[0]


def load_words():
    with open(_app_dir() + "/data/words.txt") as f:
        return [w.strip() for w in f if w.strip()]


def shape_names():
    return ["hexagon", "triangle"]
