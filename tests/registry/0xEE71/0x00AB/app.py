# fs_offset 32 on a part with 64-byte pages, and a name longer than the header: as real registry folders have
VALUE = 0xAB
__app_export__ = None
