"""Find, mount and run hexpansion apps the way the Tildagon badge does, with eerom.

    loader = HexpansionLoader()           # machine.I2C(port) per hexpansion port
    app = loader.insert(1)                # when hexpansion 1 is plugged in
    loader.remove(1)                      # when it is pulled out

insert() follows the badge (badge-2024-software modules/system/hexpansion/app.py):
detect the EEPROM address the badge's way, read the header, mount the app at
/hexpansion_N, os.chdir("/"), __import__("hexpansion_N.app") and call its
__app_export__ with a config for the port.  The app comes from an eerom image when
the EEPROM holds one (read, checked and run in place by the C module), or else from
LittleFS through eerom's C block device, so hexpansions already in the field keep
working.  A damaged eerom image is refused: nothing from it runs.  remove() calls
the app's deinit(), drops its modules from sys.modules and unmounts.
"""

import os
import sys
import vfs

import eerom

ENOENT = 2


class HexpansionConfig:
    """What an app gets as config= when the badge's own HexpansionConfig is absent."""

    def __init__(self, port, i2c):
        self.port = port
        self.i2c = i2c


class Hexpansion:
    def __init__(self, port, mount_point, kind, header, app, info=None):
        self.port = port
        self.mount_point = mount_point
        self.kind = kind  # "eerom" or "littlefs"
        self.header = header  # has name, vid, pid, unique_id (eerom.header() or mount info)
        self.app = app
        self.info = info  # eerom.mount()'s result for eerom images


def _default_i2c(port):
    from machine import I2C

    return I2C(port)


def _default_config(port, i2c):
    try:
        from system.hexpansion.config import HexpansionConfig as BadgeConfig
    except ImportError:
        return HexpansionConfig(port, i2c)
    return BadgeConfig(port)


class HexpansionLoader:
    def __init__(self, i2c_for_port=_default_i2c, config_for_port=_default_config, log=print,
                 launch=True):
        self.i2c_for_port = i2c_for_port
        self.config_for_port = config_for_port
        self.log = log
        self.launch = launch
        self.hexpansions = {}

    def insert(self, port):
        """Mount hexpansion `port` and start its app.  Returns the Hexpansion, or None
        when there is nothing usable (the reason is logged)."""
        if port in self.hexpansions:
            self.remove(port)
        i2c = self.i2c_for_port(port)
        mount_point = "/hexpansion_%d" % port
        try:
            addr, addrsize = eerom.detect(i2c)
        except OSError as e:
            self.log("hexpansion %d: %s" % (port, e.args[-1] if e.args else e))
            return None
        # mount() reads and checks the header itself (one read with the superblock),
        # so an eerom hexpansion costs no separate header read.
        kind = "eerom"
        try:
            info = header = eerom.mount(i2c, mount_point, addr=addr, addrsize=addrsize)
        except OSError as e:
            if e.errno != ENOENT:  # a bad header, or an eerom image refused: run nothing
                self.log("hexpansion %d: %s" % (port, e.args[-1] if len(e.args) > 1 else e))
                return None
            kind, info = "littlefs", None  # not an eerom image: the LittleFS hexpansions in the field
            try:
                header = eerom.header(i2c, addr=addr, addrsize=addrsize)
                bdev = eerom.BlockDev(i2c, addr=addr, addrsize=addrsize)
                vfs.mount(vfs.VfsLfs2(bdev), mount_point)
            except OSError as e:
                self.log("hexpansion %d: no eerom image and no LittleFS (%s)" % (port, e))
                return None
        hexpansion = Hexpansion(port, mount_point, kind, header, None, info)
        self.hexpansions[port] = hexpansion
        self.log("hexpansion %d: %s %r mounted at %s" % (port, kind, header.name, mount_point))
        if self.launch:
            hexpansion.app = self._start_app(port, i2c, mount_point)
        return hexpansion

    def _start_app(self, port, i2c, mount_point):
        package = mount_point[1:]
        old_cwd, old_path = os.getcwd(), sys.path[:]
        os.chdir("/")
        if "" not in sys.path:
            sys.path.insert(0, "")  # the badge's path starts with '' (the cwd)
        try:
            module = getattr(__import__(package + ".app"), "app")
            app_class = getattr(module, "__app_export__", None)
            if app_class is None:
                self.log("hexpansion %d: app has no __app_export__" % port)
                return None
            config = self.config_for_port(port, i2c)
            try:
                return app_class(config=config)
            except TypeError:
                return app_class()
        except Exception as e:  # an app's bug must not take the badge down
            self.log("hexpansion %d: app failed to start: %r" % (port, e))
            self._forget_modules(package)
            return None
        finally:
            sys.path.clear()
            sys.path.extend(old_path)
            os.chdir(old_cwd)

    def _forget_modules(self, package):
        for name in list(sys.modules):
            if name == package or name.startswith(package + "."):
                del sys.modules[name]

    def remove(self, port):
        """The hexpansion on `port` was pulled out: stop its app and unmount it."""
        hexpansion = self.hexpansions.pop(port, None)
        if hexpansion is None:
            return
        app = hexpansion.app
        if app is not None and hasattr(app, "deinit"):
            try:
                app.deinit()
            except Exception as e:
                self.log("hexpansion %d: deinit failed: %r" % (port, e))
        self._forget_modules(hexpansion.mount_point[1:])
        try:
            vfs.umount(hexpansion.mount_point)
        except OSError:
            pass
