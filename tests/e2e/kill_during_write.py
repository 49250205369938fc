"""`eerom ARGS...`, killed with SIGKILL while it sends its K-th write to the board
(counting Link.write and Link.swap calls from 1).

    python kill_during_write.py K FRACTION eerom-args...

The process dies after FRACTION of the write's data has gone out on the serial port
(about: the data travels encoded), or, for FRACTION >= 1, right after the whole
command has gone out, while the board runs it.  An interruption from outside eerom,
as a pulled cable or a killed terminal would be, at a known place: for
tests/e2e/test_flash.py.
"""

import os
import signal
import sys

from eerom import cli, link


class Killer:
    """The link's serial port, which kills the process once `budget` bytes are out."""

    def __init__(self, serial, budget):
        self.serial = serial
        self.budget = budget

    def write(self, data):
        if data == b"\x04":  # the end of the command: the board runs it
            self._die(data)
        if len(data) >= self.budget:
            self._die(data[:self.budget])
        self.budget -= len(data)
        return self.serial.write(data)

    def _die(self, last):
        self.serial.write(last)
        self.serial.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name):
        return getattr(self.serial, name)


def main():
    k, fraction, argv = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    calls = [0]

    def killing(method):
        def call(self, at, data, *args, **kw):
            calls[0] += 1
            if calls[0] == k:
                budget = int(fraction * len(data) * 4 / 3) if fraction < 1 else 1 << 30
                self.transport.serial = Killer(self.transport.serial, budget)
            return method(self, at, data, *args, **kw)
        return call

    for name in ("write", "swap"):  # the Link's operations that write to the EEPROM
        setattr(link.Link, name, killing(getattr(link.Link, name)))
    sys.exit(cli.main(argv))


if __name__ == "__main__":
    main()
