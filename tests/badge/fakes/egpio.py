"""Fake of the badge's `egpio` (C module drivers/tildagon_pin: the pins of the three
AW9523B I2C GPIO expanders).

As in the C module: ePin(pin) with pin = (expander, bit) gives the one object of
that pin (ePin((2, 12)) is ePin((2, 12))); irq(handler=, trigger=) keeps one handler
per pin and edge (IRQ_RISING, IRQ_FALLING; both when trigger is left out),
handler=None clears the edges given, irq() with no arguments does nothing; the
handler is called with the pin object.
The C module schedules it (mp_sched_schedule) from the expander's interrupt; here
set_level() calls it at once.

Levels: every pin reads 1 (pulled up) until set: a hexpansion's detect pin reads 0
while one is plugged in, a button's pin 0 while pressed.  Tests drive a pin with
set_level(pin, value), which calls the handler of the edge it makes; ePin.value(v)
(an output write) changes the level without an IRQ.
"""

IN = 1
OUT = 3
PWM = 8
IRQ_RISING = 1
IRQ_FALLING = 2

_levels = {}
_handlers = {}   # (pin key, edge) -> (handler, ePin object it was set through)
_instances = {}  # pin key -> the ePin object
_UNSET = object()


def _key(pin):
    return tuple(pin) if isinstance(pin, (tuple, list)) else pin


def level(pin):
    return _levels.get(_key(pin), 1)


def set_level(pin, value):
    """Drive `pin` to `value` (0/1); call the handler of the edge, if any."""
    key = _key(pin)
    old = _levels.get(key, 1)
    value = 1 if value else 0
    _levels[key] = value
    if old != value:
        entry = _handlers.get((key, IRQ_RISING if value else IRQ_FALLING))
        if entry is not None:
            entry[0](entry[1])


class ePin:
    IN = IN
    OUT = OUT
    PWM = PWM
    IRQ_RISING = IRQ_RISING
    IRQ_FALLING = IRQ_FALLING

    def __new__(cls, pin, mode=None):
        if cls is not ePin:  # a Python subclass (tildagon.Pin): its own object
            return object.__new__(cls)
        key = _key(pin)
        obj = _instances.get(key)
        if obj is None:
            obj = object.__new__(cls)
            _instances[key] = obj
        return obj

    def __init__(self, pin, mode=None):
        self._id = _key(pin)
        if mode is not None:
            self.init(mode)

    def init(self, mode=None, value=None):
        if value is not None:
            _levels[self._id] = 1 if value else 0
        if mode is not None:
            self._mode = mode

    def value(self, value=None):
        if value is None:
            return level(self._id)
        _levels[self._id] = 1 if value else 0

    def __call__(self, value=None):
        if value is None:
            return self.value()
        self.value(value)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def duty(self, duty=None):
        if duty is not None:
            self._duty = duty

    def irq(self, handler=_UNSET, trigger=IRQ_RISING | IRQ_FALLING):
        if handler is _UNSET:
            return  # irq() without arguments changes nothing (as the C module)
        for edge in (IRQ_RISING, IRQ_FALLING):
            if trigger & edge:
                if handler is None:
                    _handlers.pop((self._id, edge), None)
                else:
                    _handlers[(self._id, edge)] = (handler, self)

    def __repr__(self):
        return "ePin(%r)" % (self._id,)
