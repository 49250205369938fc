class Broken:
    def update(self, delta)
        pass

__app_export__ = Broken
