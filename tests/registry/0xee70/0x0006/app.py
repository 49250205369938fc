from . import photo_note
__app_export__ = None
