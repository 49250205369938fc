"""Fake of `network`: a WLAN that is never connected (the harness has no Wi-Fi;
requests talks to 127.0.0.1 through the unix port's sockets)."""

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3


def hostname(name=None):
    return "tildagon"


class WLAN:
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __init__(self, mode=STA_IF):
        self.mode = mode
        self._active = False
        self._cfg = {"channel": 1, "essid": "", "mac": b"\x02\x00\x00\x00\x00\x01"}

    def active(self, a=None):
        if a is None:
            return self._active
        self._active = bool(a)

    def scan(self):
        return []

    def connect(self, ssid=None, key=None, **kwargs):
        pass

    def disconnect(self):
        pass

    def isconnected(self):
        return False

    def status(self, param=None):
        return STAT_IDLE

    def ifconfig(self, cfg=None):
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *args, **kwargs):
        if args:
            return self._cfg.get(args[0])
        self._cfg.update(kwargs)
