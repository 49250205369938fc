"""Run scripts in the MicroPython unix port built with the eerom module.

Used by `make demo`, the device tests and the benchmarks: the script runs in real
MicroPython, with eeprom_sim (the simulated bus) importable."""

import os
import subprocess
import tempfile

from eerom.errors import EeromError
from eerom.littlefs_layout import find_micropython

SIM_DIR = os.path.dirname(os.path.abspath(__file__))  # eeprom_sim.py lives here (eerom_testkit)

# What a script needs first: the badge's sys.path ('' first, so that after
# os.chdir("/") `import hexpansion_N.app` finds the mount) and the simulator.
PRELUDE = "import sys\nsys.path.insert(0, '')\nsys.path.append(%r)\n" % SIM_DIR


class MicroPythonError(EeromError):
    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output


def micropython_binary():
    binary = find_micropython()
    if not binary:
        raise EeromError("no MicroPython unix binary with the eerom module",
                         hint="run `make setup` (it builds build/unix/micropython) or set EEROM_MICROPYTHON")
    return binary


def run(script, args=(), binary=None, timeout=120, heapsize=None, check=True, env=None):
    """Run `script` (source text) with PRELUDE; return (returncode, stdout+stderr).
    `env`: extra environment variables (e.g. sanitizer options)."""
    binary = binary or micropython_binary()
    with tempfile.NamedTemporaryFile("w", suffix=".py", prefix="eerom-", delete=False) as f:
        f.write(PRELUDE + script)
        path = f.name
    try:
        cmd = [binary]
        if heapsize:
            cmd += ["-X", "heapsize=%s" % heapsize]
        proc = subprocess.run(cmd + [path] + [str(a) for a in args], capture_output=True,
                              text=True, timeout=timeout, env=dict(os.environ, **(env or {})))
    finally:
        os.unlink(path)
    out = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise MicroPythonError("MicroPython exited with %d:\n%s" % (proc.returncode, out), out)
    return proc.returncode, out
