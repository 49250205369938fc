# eerom user C module, for make-based ports (unix, qemu, ...):
#   make USER_C_MODULES=<eerom checkout>/usermod
EEROM_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += \
	$(EEROM_MOD_DIR)/modeerom.c \
	$(EEROM_MOD_DIR)/eerom_access.c \
	$(EEROM_MOD_DIR)/eerom_blockdev.c \
	$(EEROM_MOD_DIR)/eerom_bus.c \
	$(EEROM_MOD_DIR)/eerom_device.c \
	$(EEROM_MOD_DIR)/eerom_dict.c \
	$(EEROM_MOD_DIR)/eerom_image.c \
	$(EEROM_MOD_DIR)/eerom_inflate.c \
	$(EEROM_MOD_DIR)/eerom_program.c \
	$(EEROM_MOD_DIR)/eerom_romfs.c

CFLAGS_USERMOD += -I$(EEROM_MOD_DIR)

# eerom inflates images from removable hardware: refuse a uzlib that reads out of
# bounds on a malformed stream (eerom's patches/micropython-uzlib-bad-symbol.patch
# fixes it).  A MicroPython that fixes it another way: MICROPY_PY_EEROM_UZLIB_FIXED=1.
ifneq ($(MICROPY_PY_EEROM_UZLIB_FIXED),1)
ifeq ($(shell grep -c "dist < 0 || dist >= 30" $(TOP)/lib/uzlib/tinflate.c),0)
$(error eerom: $(TOP)/lib/uzlib/tinflate.c lacks the fix for a malformed Huffman symbol: apply eerom's patches/micropython-uzlib-bad-symbol.patch (or set MICROPY_PY_EEROM_UZLIB_FIXED=1 if your MicroPython fixes it another way))
endif
endif
