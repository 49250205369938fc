"""Reading and writing the user's files, with errors a user can act on."""

from .errors import UsageError


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (path, e.strerror or e)) from None


def write_file(path, data):
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise UsageError("cannot write %s: %s" % (path, e.strerror or e)) from None
