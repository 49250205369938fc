__app_export__ = None
