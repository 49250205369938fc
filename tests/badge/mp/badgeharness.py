"""MicroPython side of tests/badge/harness.py (see its docstring for the API).

Imported by the script prelude after "/" has been remounted onto the temp root, so
every path here is inside that root."""

import sys
import json
import asyncio

import machine
import egpio
import eeprom_sim

RESULT_TAG = "BADGE-RESULT "

events = []  # every event the eventbus dispatched, in order (the objects themselves)
_described = []  # describe(event) of each, taken when it was dispatched
manager = None
_bus_task = None


_THREADSAFE_GUARD = 'ok = "linux" not in sys.implementation._machine'


class _Namespace:
    """Stands in for a module object (MicroPython cannot create one from Python)."""


def boot():
    """Import the badge OS as its main.py does, with two adjustments:

    - modules/threadsafe/message.py refuses to import on MicroPython's unix port
      (`"linux" in sys.implementation._machine`: ThreadSafeFlag did not work there
      when it was written; it does on 1.26).  async_helpers needs it, so that module
      is loaded from its own source with that one guard line dropped.  The file in
      the tree is not changed; a tree without the guard is imported as it is.
    - system.scheduler is imported first, as main.py does: importing
      system.eventbus first is circular (eventbus -> system.scheduler.events ->
      system.scheduler -> system.eventbus)."""
    path = "/modules/threadsafe/message.py"
    with open(path) as f:
        src = f.read()
    if _THREADSAFE_GUARD in src and "threadsafe.message" not in sys.modules:
        g = {"__name__": "threadsafe.message", "__file__": path}
        exec(compile(src.replace(_THREADSAFE_GUARD, "ok = True"), path, "exec"), g)
        mod = _Namespace()
        for k in g:
            setattr(mod, k, g[k])
        sys.modules["threadsafe.message"] = mod
    import system.scheduler  # noqa: F401


def image(name):
    """Bytes the host passed as images={name: bytes}."""
    with open("/harness_data/%s.bin" % name, "rb") as f:
        return f.read()


def scheduler():
    """The badge's scheduler (system.scheduler.scheduler): its event handlers run
    (RequestStartAppEvent starts an app's background_task), its render loop does not."""
    from system.scheduler import scheduler as s

    return s


def detect_pin(port):
    """The egpio pin (expander, bit) of port's hexpansion-detect line (0 = plugged)."""
    return _detect_pin(port)


def _detect_pin(port):
    import tildagonos

    return (tildagonos.EPIN_ND_A, tildagonos.EPIN_ND_B, tildagonos.EPIN_ND_C,
            tildagonos.EPIN_ND_D, tildagonos.EPIN_ND_E, tildagonos.EPIN_ND_F)[port - 1]


def make_bus(bus_or_image, part="m24c16", **eeprom_kw):
    if isinstance(bus_or_image, eeprom_sim.Bus):
        return bus_or_image
    if isinstance(bus_or_image, str):
        bus_or_image = image(bus_or_image)
    return eeprom_sim.image_bus(bus_or_image, part, **eeprom_kw)


def plug(port, bus_or_image, part="m24c16", **eeprom_kw):
    """Put a hexpansion on `port` without touching the detect pin (nothing is emitted)."""
    bus = make_bus(bus_or_image, part, **eeprom_kw)
    machine.set_bus(port, bus)
    return bus


def insert(port, bus_or_image, part="m24c16", **eeprom_kw):
    """Plug a hexpansion into `port` (1..6): its bus becomes I2C(port), then the
    port's detect pin goes low, whose IRQ makes the manager emit
    HexpansionInsertionEvent(port).  `bus_or_image`: an eeprom_sim.Bus, image bytes
    (one EEPROM of `part` holding them), or the name of an image the host passed."""
    bus = plug(port, bus_or_image, part, **eeprom_kw)
    egpio.set_level(_detect_pin(port), 0)
    return bus


def remove(port):
    """Unplug: the port's bus loses its chips (also for anyone holding it), then the
    detect pin goes high (IRQ -> HexpansionRemovalEvent(port))."""
    bus = machine.get_bus(port)
    bus.removed.extend(bus.chips)
    bus.chips = []
    egpio.set_level(_detect_pin(port), 1)
    return bus


class _Recorder:
    _focused = True  # receives requires_focus events too


_recorder = _Recorder()


def _record(event):
    events.append(event)
    try:
        _described.append(describe(event))
    except Exception as e:  # never make the bus report the recorder as crashed
        _described.append({"type": type(event).__name__, "describe_error": repr(e)})


def start_eventbus():
    global _bus_task
    from system.eventbus import eventbus

    if _bus_task is None:
        eventbus.on(object, _record, _recorder)
        _bus_task = asyncio.create_task(eventbus.run())
    return eventbus


def start_manager(autolaunch=True):
    """Start the eventbus and the badge's HexpansionManagerApp, as main.py does.
    Ports already plugged (plug()/insert() before this) are seen at start-up."""
    global manager
    start_eventbus()
    from system.hexpansion.app import HexpansionManagerApp

    manager = HexpansionManagerApp(autolaunch=autolaunch)
    return manager


def emit(event):
    from system.eventbus import eventbus

    eventbus.emit(event)


def run_for(seconds):
    """Let the asyncio tasks (eventbus, handlers, app tasks) run for `seconds`."""
    asyncio.run(_sleep(seconds))


async def _sleep(seconds):
    await asyncio.sleep(seconds)


def settle(quiet=0.3, timeout=10.0):
    """Run until the event queue is empty and no event was dispatched for `quiet`
    seconds (or `timeout` seconds passed).  Returns True if it went quiet."""
    import time
    from system.eventbus import eventbus

    start = time.ticks_ms()
    last_n = len(events)
    last_change = start
    while True:
        run_for(0.02)
        now = time.ticks_ms()
        if len(events) != last_n:
            last_n = len(events)
            last_change = now
        if not eventbus.event_queue.empty():
            last_change = now
        if time.ticks_diff(now, last_change) >= int(quiet * 1000):
            return True
        if time.ticks_diff(now, start) >= int(timeout * 1000):
            return False


def _module_of(cls):
    for name in list(sys.modules):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, cls.__name__, None) is cls:
            return name
    return None


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    cls = type(v)
    if cls.__name__ == "HexpansionHeader":
        return {k: jsonable(getattr(v, k, None)) for k in (
            "manifest_version", "fs_offset", "eeprom_page_size", "eeprom_total_size",
            "vid", "pid", "unique_id", "friendly_name")}
    return {"class": cls.__name__, "module": _module_of(cls)}


def describe(event):
    d = {"type": type(event).__name__}
    attrs = getattr(event, "__dict__", None)
    if isinstance(event, dict):
        attrs = event
    if attrs:
        for k in attrs:
            if not k.startswith("_"):
                d[k] = jsonable(attrs[k])
    return d


def event_log(*types):
    """The recorded events as JSON-able dicts ({"type": class name, attributes...},
    described when dispatched), only those whose type name is in `types` if any."""
    out = []
    for d in _described:
        if not types or d["type"] in types:
            out.append(d)
    return out


def mounts():
    import vfs

    return sorted(p for _, p in vfs.mount())


def modules(prefix=""):
    return sorted(m for m in sys.modules if m.startswith(prefix))


def state():
    """A summary of the manager for assertions."""
    m = manager
    if m is None:
        return {}
    out = {
        "mountpoints": {str(k): v for k, v in m.mountpoints.items()},
        "apps": {str(k): jsonable(v) for k, v in m.hexpansion_apps.items()},
        "headers": {str(k): jsonable(v) for k, v in m.hexpansion_headers.items()},
        "manifests": {str(k): jsonable(v) for k, v in m.hexpansion_manifests.items()},
    }
    kinds = getattr(m, "hexpansion_kinds", None)  # a patched manager's, if it has one
    if isinstance(kinds, dict):
        out["kinds"] = {str(k): jsonable(v) for k, v in kinds.items()}
    return out


def hexpansions_detail(port, header=None):
    """The Hexpansions app's page for `port` (firmware_apps.hexpansionfw), as its menu
    opens it, rendering nothing: what its dialogs show is kept in .messages, in order,
    each once.  Drive it with asyncio.run(detail._update_wrapper()) and the like."""
    from firmware_apps.hexpansionfw import HexpansionDetail, HexpansionInfoApp

    detail = HexpansionDetail(port, HexpansionInfoApp(), header)
    detail.messages = []

    async def render_update():
        message = getattr(detail.dialog, "message", None)
        if message is not None and message not in detail.messages[-1:]:
            detail.messages.append(message)

    detail.render_update = render_update
    return detail


def report(**kw):
    """Send values back to the host: one JSON line, parsed into Result.results.
    Values go through jsonable() (bytes become {"bytes": hex}, objects a description)."""
    print(RESULT_TAG + json.dumps(jsonable(kw)))
