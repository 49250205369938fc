"""Fake of the badge's `machine` (MicroPython unix port).

A machine.py on sys.path shadows the unix port's built-in machine (an extensible
built-in module), so badge code imports this one.

I2C(port) is the badge's I2C: it takes only a port number (0 front board, 1..6
hexpansion ports, 7 system bus) and here returns the eeprom_sim.Bus the test
registered for that port with set_bus(); an unregistered port is an empty bus.
The same Bus object comes back for every I2C(port) call until the test replaces it.
"""

import eeprom_sim

_buses = {}


def set_bus(port, bus):
    """Put `bus` (an eeprom_sim.Bus, or None for an empty one) on `port`."""
    if bus is None:
        bus = eeprom_sim.Bus()
    _buses[port] = bus
    return bus


def get_bus(port):
    bus = _buses.get(port)
    if bus is None:
        bus = set_bus(port, None)
    return bus


def I2C(id):
    """The badge's I2C(id): one static object per port (here: that port's Bus)."""
    if not (0 <= id <= 7):
        raise ValueError("I2C(%d) doesn't exist" % id)
    return get_bus(id)


def SoftI2C(*args, **kwargs):
    return eeprom_sim.Bus()


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    _levels = {}

    def __init__(self, id, mode=None, pull=None, value=None, **kwargs):
        self.id = id
        self.mode = mode
        self.handler = None
        if value is not None:
            Pin._levels[id] = value

    def init(self, mode=None, pull=None, value=None, **kwargs):
        self.mode = mode
        if value is not None:
            Pin._levels[self.id] = value

    def value(self, v=None):
        if v is None:
            return Pin._levels.get(self.id, 1)
        Pin._levels[self.id] = 1 if v else 0

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=None, **kwargs):
        self.handler = handler

    def __repr__(self):
        return "Pin(%r)" % (self.id,)


class ADC:
    ATTN_0DB = 0
    ATTN_11DB = 3
    WIDTH_12BIT = 3

    def __init__(self, pin, atten=None):
        self.pin = pin

    def atten(self, a):
        pass

    def width(self, w):
        pass

    def read(self):
        return 2048

    def read_u16(self):
        return 32768

    def read_uv(self):
        return 1900000


class PWM:
    def __init__(self, pin, freq=0, duty=0, **kwargs):
        self.pin = pin
        self._freq = freq
        self._duty = duty

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = f

    def duty(self, d=None):
        if d is None:
            return self._duty
        self._duty = d

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._duty = d

    def deinit(self):
        pass


class UART:
    def __init__(self, *args, **kwargs):
        pass

    def init(self, *args, **kwargs):
        pass

    def read(self, n=None):
        return None

    def write(self, b):
        return len(b)

    def any(self):
        return 0

    def deinit(self):
        pass


class SPI:
    def __init__(self, *args, **kwargs):
        pass


class RTC:
    def __init__(self, *args):
        self._dt = (2024, 1, 1, 0, 0, 0, 0, 0)

    def datetime(self, dt=None):
        if dt is None:
            return self._dt
        self._dt = dt


def unique_id():
    return b"\x01\x02\x03\x04\x05\x06"


def reset():
    raise SystemExit("machine.reset()")


def soft_reset():
    raise SystemExit("machine.soft_reset()")


def freq(f=None):
    return 240000000


def idle():
    pass


def lightsleep(ms=None):
    pass


def deepsleep(ms=None):
    raise SystemExit("machine.deepsleep()")


def disable_irq():
    return 0


def enable_irq(state=0):
    pass
