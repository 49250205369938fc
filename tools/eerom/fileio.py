"""Reading and writing the user's files, with errors a user can act on."""

import os

from .errors import UsageError


def read_file(path):
    # A pipe nobody writes to would block the read for ever; a folder cannot be read.
    if os.path.exists(path) and not os.path.isfile(path):
        raise UsageError("cannot read %s: not a regular file" % path,
                         hint="give a file (not a folder, pipe or device)")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (path, e.strerror or e)) from None


def check_writable(path):
    """Refuse, before any slow work, an output path that write_file could not write."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise UsageError("cannot write %s: it is a folder" % path, hint="give a file name, e.g. app.eerom")
    if not os.path.isdir(folder):
        raise UsageError("cannot write %s: the folder %s does not exist" % (path, folder),
                         hint="create the folder first, or write the file elsewhere")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError("cannot write %s: permission denied" % path, hint="write the file elsewhere")


def write_file(path, data):
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise UsageError("cannot write %s: %s" % (path, e.strerror or e)) from None
