"""Fake of `esp32`: the OTA partition surface the badge OS touches."""


class Partition:
    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0
    TYPE_DATA = 1

    def __init__(self, which):
        self.which = which

    def get_next_update(self):
        return Partition(Partition.RUNNING + 1)

    def info(self):
        return (0, 0, 0x10000, 0x300000, "ota_%d" % self.which, False)

    @staticmethod
    def mark_app_valid_cancel_rollback():
        return None


class NVS:
    def __init__(self, namespace):
        self._d = {}

    def get_i32(self, k):
        if k not in self._d:
            raise OSError(-4354)  # ESP_ERR_NVS_NOT_FOUND
        return self._d[k]

    def set_i32(self, k, v):
        self._d[k] = v

    def commit(self):
        pass


def raw_temperature():
    return 100


def mcu_temperature():
    return 40
