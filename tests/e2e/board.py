"""A MicroPython board for end-to-end tests: the qemu ARM test firmware on a pty.

The firmware has the eerom module and the fake native I2C bus, whose EEPROMs live in
static RAM and survive soft resets, so the host can program one through the REPL
(eerom flash) and then check it from a new session, as with a real board."""

import ast
import time

from mpremote.transport_serial import SerialTransport

from eerom.parts import get_part
from targets import start_qemu


class QemuBoard:
    def __init__(self, firmware):
        self.firmware = firmware
        self.proc = None
        self.port = None

    def start(self):
        self.proc, self.port = start_qemu(self.firmware)
        time.sleep(0.2)
        return self

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def exec(self, code):
        """Run code in a fresh session (soft reset); return stdout, raise on error."""
        t = SerialTransport(self.port, baudrate=115200)
        try:
            t.enter_raw_repl(soft_reset=True)
            return t.exec(code).decode()
        finally:
            t.close()

    def attach(self, part, bus=1, data=None, **kw):
        """A new EEPROM on `bus`: a part name from eerom.parts, or a Part; keyword
        arguments go to fakei2c.attach (write_protect, busy_polls, ...)."""
        p = get_part(part) if isinstance(part, str) else part
        extra = "".join(", %s=%r" % kv for kv in kw.items())
        self.exec("import machine, fakei2c\nfakei2c.attach(machine.I2C(%d), %s, size=%d, page=%d, addrsize=%d%s)"
                  % (bus, "None" if data is None else repr(bytes(data)), p.size, p.page, p.addrsize, extra))

    def memory(self, bus=1):
        return ast.literal_eval(self.exec("import machine, fakei2c\nprint(fakei2c.memory(machine.I2C(%d)))" % bus))

    def stats(self, bus=1):
        return ast.literal_eval(self.exec("import machine, fakei2c\nprint(fakei2c.stats(machine.I2C(%d)))" % bus))

    def reset_stats(self, bus=1):
        self.exec("import machine, fakei2c\nfakei2c.reset_stats(machine.I2C(%d))" % bus)

    def mount_and_run(self, bus=1):
        """Mount the EEPROM with eerom and run the app as the badge does: returns the
        app's describe(), or the OSError's (errno, message)."""
        out = self.exec(
            "import eerom, machine, os, sys\n"
            "sys.path.insert(0, '')\n"
            "os.chdir('/')\n"
            "try:\n"
            "    eerom.mount(machine.I2C(%d), '/hexpansion_1')\n"
            "    app = __import__('hexpansion_1.app').app.__app_export__()\n"
            "    print(repr(('ok', app.describe())))\n"
            "except OSError as e:\n"
            "    print(repr(('error', e.errno, e.args[-1])))\n" % bus)
        return ast.literal_eval(out)
