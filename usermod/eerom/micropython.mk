# eerom user C module, for make-based ports (unix, qemu, ...):
#   make USER_C_MODULES=<eerom checkout>/usermod
EEROM_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += \
	$(EEROM_MOD_DIR)/modeerom.c \
	$(EEROM_MOD_DIR)/eerom_access.c \
	$(EEROM_MOD_DIR)/eerom_blockdev.c \
	$(EEROM_MOD_DIR)/eerom_bus.c \
	$(EEROM_MOD_DIR)/eerom_device.c \
	$(EEROM_MOD_DIR)/eerom_image.c \
	$(EEROM_MOD_DIR)/eerom_inflate.c \
	$(EEROM_MOD_DIR)/eerom_romfs.c

CFLAGS_USERMOD += -I$(EEROM_MOD_DIR)
