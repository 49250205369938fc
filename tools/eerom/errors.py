"""Exceptions raised by the eerom host tools.

Every error the CLI can report is an EeromError: a one-line message saying what is
wrong and, where there is one, a hint saying what to do about it.  The CLI prints
both and exits non-zero; it never shows a traceback for these.
"""


class EeromError(Exception):
    exit_code = 1

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self):
        return self.message


class UsageError(EeromError):
    """Bad arguments or input files."""

    exit_code = 2


class BuildError(EeromError):
    """An app folder could not be turned into an image."""


class FitError(EeromError):
    """The image does not fit the EEPROM part."""

    exit_code = 3


class ImageError(EeromError):
    """An image is malformed, damaged or of an unsupported version.

    `problem` names the failed check (stable, for tests and scripts); the message
    says in words what was found."""

    def __init__(self, problem, message, hint=None):
        super().__init__(message, hint)
        self.problem = problem


class DeviceError(EeromError):
    """A board, bus or EEPROM did not behave."""

    exit_code = 4
