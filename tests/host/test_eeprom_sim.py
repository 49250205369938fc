"""The EEPROM simulator behaves like the real parts, under CPython and MicroPython alike.

The checks live in one script (SIM_CHECKS) that runs in both interpreters."""

import json

from eerom_testkit import eeprom_sim

SIM_CHECKS = r'''
import eeprom_sim as sim
E, Bus, ENODEV, ETIMEDOUT = sim.EEPROM, sim.Bus, sim.ENODEV, sim.ETIMEDOUT
out = {}

def err(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except OSError as e:  # by name: the numbers differ between ports
        return {ENODEV: "ENODEV", ETIMEDOUT: "ETIMEDOUT"}.get(e.errno, e.errno)
    return 0

# M24C16: 8 I2C addresses, 1-byte memory address, the block in the I2C address.
chip = E.part("m24c16", write_cycle_ms=0)
bus = Bus(chip)
out["m24c16_scan"] = bus.scan()
bus.writeto_mem(0x53, 0x10, b"abc")
out["block_select"] = [chip.mem[0x310], chip.mem[0x311], chip.mem[0x312]]
out["read_back"] = list(bus.readfrom_mem(0x53, 0x10, 3))
# sequential reads run on across blocks and roll over at the end of the memory
chip.mem[0x7ff] = 0x11
chip.mem[0] = 0x22
out["rollover"] = list(bus.readfrom_mem(0x57, 0xff, 2))
# page writes wrap inside the 16-byte page
bus.writeto_mem(0x50, 0x0e, b"123456")
out["page_wrap"] = list(chip.mem[0:16])
# the badge's 2-byte address write on a 1-byte part stores a data byte at 0
chip.mem[0] = ord("T")
bus.writeto(0x50, bytes([0, 0]))
out["clobber"] = chip.mem[0]

# 2-byte-address part: one address, busy (NACK) during its write cycle
chip = E.part("m24c64", write_cycle_ms=50)
bus = Bus(chip)
out["m24c64_scan"] = bus.scan()
bus.writeto_mem(0x50, 0x1ffe, b"xyz", addrsize=16)  # wraps inside the 32-byte page
out["wrap16"] = [chip.mem[0x1ffe], chip.mem[0x1fff], chip.mem[0x1fe0]]
out["busy"] = err(bus.readfrom_mem, 0x50, 0, 1, addrsize=16)
out["nacks"] = bus.nacks
chip.busy_since = None                      # the write cycle has ended
out["after"] = err(bus.readfrom_mem, 0x50, 0, 1, addrsize=16)

# counters: transactions and bytes on the wire
bus = Bus(E.part("m24c64", write_cycle_ms=0))
bus.readfrom_mem(0x50, 0, 100, addrsize=16)   # addr+W, 2 address bytes, addr+R, 100 data
bus.writeto_mem(0x50, 0, b"12345678", addrsize=16)
bus.writeto(0x50, b"")                         # an address probe
out["stats"] = bus.stats()
out["time_400k_us"] = int(bus.bus_time(400000) * 1e6)

# faults at a chosen transaction
bus = Bus(E.part("m24c64", write_cycle_ms=0, data=bytes(range(64))))
bus.inject(0, "nack"); bus.inject(1, "timeout"); bus.inject(2, "flip"); bus.inject(3, "short"); bus.inject(4, "remove")
r = [err(bus.readfrom_mem, 0x50, 0, 8, addrsize=16) for i in range(2)]
r.append(list(bus.readfrom_mem(0x50, 0, 8, addrsize=16)))
r.append(list(bus.readfrom_mem(0x50, 0, 8, addrsize=16)))
r.append(err(bus.readfrom_mem, 0x50, 0, 8, addrsize=16))
r.append(err(bus.readfrom_mem, 0x50, 0, 8, addrsize=16))
out["faults"] = r
out["after_faults_scan"] = bus.scan()

# write protection: writes that never stick, or NACKed data
for mode in ("ignore", "nack"):
    chip = E.part("m24c64", write_cycle_ms=0, write_protect=mode)
    bus = Bus(chip)
    acks = bus.writeto(0x50, b"\x00\x00hello")
    out["wp_" + mode] = [acks, bytes(chip.mem[:5]) == b"\xff" * 5]
'''


def expected():
    return {
        "m24c16_scan": list(range(0x50, 0x58)),
        "block_select": [ord("a"), ord("b"), ord("c")],
        "read_back": [ord("a"), ord("b"), ord("c")],
        "rollover": [0x11, 0x22],
        "page_wrap": list(b"3456" + b"\xff" * 10 + b"12"),
        "clobber": 0,
        "m24c64_scan": [0x50],
        "wrap16": [ord("x"), ord("y"), ord("z")],
        "busy": "ENODEV", "nacks": 111 + 1, "after": 0,  # the scan NACKed 111 addresses
        "stats": {"transactions": 3, "wire_bytes": 104 + 11 + 1, "data_read": 100, "data_written": 8, "nacks": 0},
        "time_400k_us": int(116 * 9 / 400000 * 1e6),
        "faults": ["ENODEV", "ETIMEDOUT", [0, 1, 2, 3, 4 ^ 0x10, 5, 6, 7], [0, 1, 2, 3, 255, 255, 255, 255],
                   "ENODEV", "ENODEV"],
        "after_faults_scan": [],
        "wp_ignore": [7, True],
        "wp_nack": [3, True],
    }


def run_cpython():
    namespace = {}
    import sys
    sys.modules.setdefault("eeprom_sim", eeprom_sim)
    exec(SIM_CHECKS, namespace)
    return json.loads(json.dumps(namespace["out"]))


def test_simulator_under_cpython():
    assert run_cpython() == expected()


def test_simulator_under_micropython(device):
    """The same checks in MicroPython: unix, and the qemu ARM port (which has no clock:
    there the write cycle runs on the simulator's virtual clock)."""
    assert device.run1(SIM_CHECKS + "\nreport(**out)\n") == expected()


def test_simulated_parts_are_the_tools_parts():
    """eeprom_sim runs on MicroPython and keeps its own table: it must not drift."""
    from eerom import parts
    from eerom_testkit import eeprom_sim

    assert eeprom_sim.PARTS == {p.name: (p.size, p.page, p.addrsize) for p in parts.PARTS}
