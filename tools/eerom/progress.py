"""A one-line progress display for long transfers, on stderr.

On a terminal the line is redrawn in place; otherwise (CI logs, pipes) a line is
printed when a stage starts and when it ends."""

import sys
import time


class Progress:
    def __init__(self, stream=None, enabled=True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.stage, self.done, self.total = "", 0, 0
        self.stage_start = time.monotonic()
        self.fields = {}
        self._last = 0.0

    def begin(self, stage, total, **fields):
        self.stage, self.done, self.total = stage, 0, total
        self.stage_start = time.monotonic()
        self.fields.update(fields)
        self.show(force=True)

    def advance(self, n=1, **fields):
        self.done += n
        self.fields.update(fields)
        self.show()

    def note(self, text):
        """A line of its own between the progress lines (a change of plan)."""
        if self.enabled:
            self.stream.write(("\r\x1b[K" if self.tty else "") + text + "\n")
            self.stream.flush()

    def line(self):
        width = 24
        frac = self.done / self.total if self.total else 1.0
        filled = int(width * frac)
        parts = ["%-8s [%s%s] %d/%d" % (self.stage, "#" * filled, "." * (width - filled), self.done, self.total)]
        parts += ["%s %s" % kv for kv in self.fields.items()]
        elapsed = time.monotonic() - self.stage_start
        if 0 < self.done < self.total:
            parts.append("ETA %ds" % round((self.total - self.done) * elapsed / self.done))
        return " | ".join(parts)

    def show(self, force=False):
        if not self.enabled:
            return
        complete = self.done >= self.total
        if not self.tty:
            if force or complete:
                self.stream.write(self.line() + "\n")
            return
        now = time.monotonic()
        if force or complete or now - self._last > 0.1:
            self._last = now
            self.stream.write("\r\x1b[K" + self.line() + ("\n" if complete else ""))
            self.stream.flush()
